//! Direct Fulfillment acknowledgements.

use super::*;

#[tokio::test(flavor = "current_thread")]
async fn a_df_acceptance_turns_the_order_accepted_and_a_rejection_cancelled() {
    let (clock, vc) = setup();
    let accepted = orders::df_order("2JK3S9VC", t("2025-03-09T00:00:00Z"), 2);
    let rejected = orders::df_order("3TRD2IAB", t("2025-03-09T01:00:00Z"), 1);
    vc.add_df_order(accepted.clone()).unwrap();
    vc.add_df_order(rejected.clone()).unwrap();
    let id = DirectFulfillmentOrdersApi::submit_acknowledgements(
        &vc,
        &[
            accept_df(&accepted, df_status::ACCEPTED, t(NOW)),
            accept_df(&rejected, df_status::OUT_OF_STOCK, t(NOW)),
        ],
    )
    .await
    .unwrap();
    let status = |id| DirectFulfillmentOrdersApi::transaction_status(&vc, id);
    assert_eq!(status(&id).await.unwrap(), TransactionOutcome::Processing);
    assert_eq!(vc.df_status("2JK3S9VC"), Some(df::OrderStatus::New));
    clock.advance(Duration::from_secs(60));
    assert_eq!(status(&id).await.unwrap(), TransactionOutcome::Success);
    assert_eq!(vc.df_status("2JK3S9VC"), Some(df::OrderStatus::Accepted));
    assert_eq!(vc.df_status("3TRD2IAB"), Some(df::OrderStatus::Cancelled));
    // The same id through retail is unknown there.
    assert_eq!(
        RetailOrdersApi::transaction_status(&vc, &id)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::NotFound
    );
    let received = vc.acknowledgements_for("2JK3S9VC");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].program, Program::DirectFulfillment);
    let lines = received[0].lines();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.code.as_deref() == Some("00")));
}

#[tokio::test(flavor = "current_thread")]
async fn bad_df_acknowledgements_fail_their_transaction() {
    let (clock, vc) = setup();
    // Which rule refused shows in the simulator's own diagnostics.
    vc.set_failures_as_amazon(false);
    let order = DfOrderBuilder::new("2JK3S9VC", t("2025-03-09T00:00:00Z"))
        .line(DfLine::new("B07DFVDRAB", "SKU-1", 2, "18.40"))
        .line(DfLine::new("B076SDSABC", "SKU-2", 1, "21.15"))
        .build();
    vc.add_df_order(order.clone()).unwrap();
    let good = accept_df(&order, df_status::ACCEPTED, t(NOW));

    let mut partial = good.clone();
    partial.lines[0].quantity = 1;
    let mut above = good.clone();
    above.lines[0].quantity = 3;
    let mut missing = good.clone();
    missing.lines.pop();
    let mut unknown_code = good.clone();
    unknown_code.status_code = "99".into();
    let mut other_warehouse = good.clone();
    other_warehouse.ship_from = "ELSEWHERE".parse().unwrap();
    for (ack, code) in [
        (partial, "INVALID_QUANTITY"),
        (above, "INVALID_QUANTITY"),
        (missing, "MISSING_ITEM"),
        (unknown_code, "INVALID_VALUE"),
        (other_warehouse, "INVALID_PARTY"),
    ] {
        let id = DirectFulfillmentOrdersApi::submit_acknowledgements(&vc, &[ack])
            .await
            .unwrap();
        clock.advance(Duration::from_secs(60));
        let outcome = DirectFulfillmentOrdersApi::transaction_status(&vc, &id)
            .await
            .unwrap();
        assert_eq!(failure_codes(&outcome), [code], "{outcome:?}");
        assert_eq!(vc.df_status("2JK3S9VC"), Some(df::OrderStatus::New));
    }

    let mut body = serde_json::to_value(df::SubmitAcknowledgementRequest::from_domain(
        std::slice::from_ref(&good),
    ))
    .unwrap();
    body["orderAcknowledgements"][0]["itemAcknowledgements"][0]["acknowledgedQuantity"]["unitOfMeasure"] =
        json!("EACH");
    let id = vc.submit_df_acknowledgement_body(&body).await.unwrap();
    clock.advance(Duration::from_secs(60));
    let outcome = DirectFulfillmentOrdersApi::transaction_status(&vc, &id)
        .await
        .unwrap();
    assert_eq!(failure_codes(&outcome), ["INVALID_VALUE"]);

    vc.cancel_df_order("2JK3S9VC").unwrap();
    let id = DirectFulfillmentOrdersApi::submit_acknowledgements(&vc, &[good])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(60));
    let outcome = DirectFulfillmentOrdersApi::transaction_status(&vc, &id)
        .await
        .unwrap();
    assert_eq!(failure_codes(&outcome), ["INVALID_ORDER_STATE"]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_df_item_with_nothing_ordered_is_left_out_never_acknowledged_as_zero() {
    let (clock, vc) = setup();
    // Which rule refused shows in the simulator's own diagnostics.
    vc.set_failures_as_amazon(false);
    let order = DfOrderBuilder::new("2JK3S9VC", t("2025-03-09T00:00:00Z"))
        .line(DfLine::new("B07DFVDRAB", "SKU-1", 2, "18.40"))
        .line(DfLine::new("B076SDSABC", "SKU-2", 0, "21.15"))
        .build();
    vc.add_df_order(order.clone()).unwrap();
    let all = accept_df(&order, df_status::ACCEPTED, t(NOW));
    assert_eq!(all.lines[1].quantity, 0);
    let outcome = |ack: DirectFulfillmentAcknowledgement| {
        let (vc, clock) = (&vc, &clock);
        async move {
            let id = DirectFulfillmentOrdersApi::submit_acknowledgements(vc, &[ack])
                .await
                .unwrap();
            clock.advance(Duration::from_secs(60));
            DirectFulfillmentOrdersApi::transaction_status(vc, &id)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        failure_codes(&outcome(all.clone()).await),
        ["INVALID_QUANTITY"]
    );
    assert_eq!(vc.df_status("2JK3S9VC"), Some(df::OrderStatus::New));
    let mut left_out = all;
    left_out.lines.pop();
    assert_eq!(outcome(left_out).await, TransactionOutcome::Success);
    assert_eq!(vc.df_status("2JK3S9VC"), Some(df::OrderStatus::Accepted));
}
