//! Rate limits, scripted failures, latency, and what the simulator shows of itself.

use super::*;

#[tokio::test(flavor = "current_thread")]
async fn the_rate_limit_refuses_calls_over_the_burst_until_tokens_return() {
    let clock = ManualClock::new(t(NOW));
    let vc = VendorCentral::new(clock.clone());
    vc.add_retail_order(orders::retail_order(
        "4Z32PABC",
        t("2025-03-04T00:00:00Z"),
        1,
    ))
    .unwrap();
    let po = number("4Z32PABC");
    for _ in 0..10 {
        vc.purchase_order(&po).await.unwrap();
    }
    let err = vc.purchase_order(&po).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited { retry_after: None });
    assert_eq!(err.messages[0].code, "QuotaExceeded");
    // Other operations have their own buckets.
    vc.purchase_order_status(&po).await.unwrap();
    clock.advance(Duration::from_millis(100));
    vc.purchase_order(&po).await.unwrap();
    assert!(vc.purchase_order(&po).await.is_err());
    assert_eq!(vc.calls(AmazonOperation::GetPurchaseOrder), 13);
    assert_eq!(vc.rate_limit_refusals(AmazonOperation::GetPurchaseOrder), 2);

    // getTransaction bursts to 20.
    let id: TransactionId = "unknown".parse().unwrap();
    for _ in 0..20 {
        assert_eq!(retail_outcome_err(&vc, &id).await.kind, ErrorKind::NotFound);
    }
    assert!(matches!(
        retail_outcome_err(&vc, &id).await.kind,
        ErrorKind::RateLimited { .. }
    ));

    vc.set_rate_limit(AmazonOperation::GetPurchaseOrder, None);
    for _ in 0..50 {
        vc.purchase_order(&po).await.unwrap();
    }
    vc.set_rate_limit(
        AmazonOperation::GetPurchaseOrder,
        Some(RateLimit {
            per_second: 1,
            burst: 1,
        }),
    );
    vc.purchase_order(&po).await.unwrap();
    assert!(vc.purchase_order(&po).await.is_err());
}

async fn retail_outcome_err(vc: &VendorCentral, id: &TransactionId) -> ClientError {
    RetailOrdersApi::transaction_status(vc, id)
        .await
        .unwrap_err()
}

#[tokio::test(flavor = "current_thread")]
async fn scripted_failures_strike_before_or_after_the_effect() {
    let (clock, vc) = setup();
    let order = orders::retail_order("4Z32PABC", t("2025-03-04T00:00:00Z"), 1);
    vc.add_retail_order(order.clone()).unwrap();
    let ack = accept_all(&order, t(NOW));

    vc.fail_next(AmazonOperation::SubmitAcknowledgement, 2);
    assert_eq!(
        vc.pending_failures(AmazonOperation::SubmitAcknowledgement),
        2
    );
    for _ in 0..2 {
        let err = RetailOrdersApi::submit_acknowledgements(&vc, std::slice::from_ref(&ack))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transient);
        assert_eq!(err.messages[0].code, "InternalFailure");
    }
    assert_eq!(vc.acknowledgement_count("4Z32PABC"), 0);

    vc.fail_next_after_effect(AmazonOperation::SubmitAcknowledgement, 1);
    let err = RetailOrdersApi::submit_acknowledgements(&vc, std::slice::from_ref(&ack))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(vc.acknowledgement_count("4Z32PABC"), 1);
    assert_eq!(vc.transaction_count(), 1);
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        vc.retail_state("4Z32PABC"),
        Some(retail::PurchaseOrderState::Acknowledged)
    );
    let id = vc.acknowledgements()[0].transaction_id.clone();
    assert_eq!(
        vc.transaction_outcome(&id),
        Some(TransactionOutcome::Processing)
    );

    vc.fail_next_with(
        AmazonOperation::GetPurchaseOrders,
        ScriptedFailure::of(ErrorKind::Rejected).with_messages(vec![message(
            "InvalidInput",
            "Invalid Input",
            None,
        )]),
        1,
    );
    let err = vc.purchase_orders(&created(10)).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert!(vc.purchase_orders(&created(10)).await.is_ok());
    vc.fail_next(AmazonOperation::GetOrders, 3);
    vc.clear_failures();
    assert_eq!(vc.pending_failures(AmazonOperation::GetOrders), 0);
    assert_eq!(vc.calls(AmazonOperation::SubmitAcknowledgement), 3);
    assert_eq!(vc.total_calls(), 5);
}

#[tokio::test(flavor = "current_thread")]
async fn latency_is_slept_on_the_shared_clock() {
    let (clock, vc) = setup();
    vc.set_latency(Duration::from_millis(250));
    vc.purchase_orders(&created(10)).await.unwrap();
    DirectFulfillmentOrdersApi::orders(&vc, &created(10))
        .await
        .unwrap();
    assert_eq!(clock.total_slept(), Duration::from_millis(500));
    assert_eq!(clock.now(), t("2025-03-10T12:00:00.500Z"));
}

#[tokio::test(flavor = "current_thread")]
async fn too_many_acknowledgements_in_one_post_are_refused() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 3);
    let acks: Vec<_> = numbers
        .iter()
        .map(|n| accept_all(&vc.retail_order(n).unwrap(), t(NOW)))
        .collect();
    vc.set_max_acknowledgements_per_request(Some(2));
    let err = RetailOrdersApi::submit_acknowledgements(&vc, &acks)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert_eq!(err.messages[0].code, "RequestEntityTooLarge");
    assert!(
        RetailOrdersApi::submit_acknowledgements(&vc, &acks[..2])
            .await
            .is_ok()
    );
}

#[test]
fn debug_shows_counts_and_no_consumer() {
    let (_, vc) = setup();
    let order = DfOrderBuilder::new("2JK3S9VC", t("2025-03-09T00:00:00Z"))
        .gift("For Sam, with love")
        .line(DfLine::new("B07DFVDRAB", "SKU-1", 2, "18.40"))
        .build();
    let name = order
        .order_details
        .as_ref()
        .unwrap()
        .ship_to_party
        .as_ref()
        .unwrap()
        .name
        .clone()
        .unwrap();
    vc.add_df_order(order).unwrap();
    let debug = format!("{vc:?}");
    assert!(debug.contains("df_orders: 1"), "{debug}");
    assert!(!debug.contains(&name));
    assert!(!debug.contains("Sam"));
}

#[test]
fn transaction_ids_look_like_amazons_and_do_not_repeat() {
    let op = AmazonOperation::SubmitAcknowledgement;
    let a = records::transaction_id(op, 1, Program::RetailProcurement, t("2019-08-27T18:23:57Z"))
        .unwrap();
    let b = records::transaction_id(op, 2, Program::RetailProcurement, t("2019-08-27T18:23:57Z"))
        .unwrap();
    assert!(a.as_str().starts_with("20190827182357-"), "{a}");
    assert_eq!(
        a.as_str().len(),
        "20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5".len()
    );
    assert_ne!(a, b);
}
