//! Retail Procurement acknowledgements and the changes Amazon makes to its orders.

use super::*;

#[tokio::test(flavor = "current_thread")]
async fn a_good_retail_acknowledgement_stays_processing_while_the_po_turns_acknowledged() {
    let (clock, vc) = setup();
    let order = orders::retail_order("4Z32PABC", t("2025-03-04T00:00:00Z"), 3);
    vc.add_retail_order(order.clone()).unwrap();
    let id = submit(&vc, &[accept_all(&order, t(NOW))]).await;
    assert_eq!(
        retail_outcome(&vc, &id).await,
        TransactionOutcome::Processing
    );
    assert_eq!(
        vc.retail_state("4Z32PABC"),
        Some(retail::PurchaseOrderState::New)
    );
    assert_eq!(vc.acknowledgement_count("4Z32PABC"), 1);

    clock.advance(Duration::from_secs(60));
    assert_eq!(
        retail_outcome(&vc, &id).await,
        TransactionOutcome::Processing
    );
    assert_eq!(
        vc.retail_state("4Z32PABC"),
        Some(retail::PurchaseOrderState::Acknowledged)
    );
    let listed = vc.purchase_order(&number("4Z32PABC")).await.unwrap();
    assert_eq!(
        listed
            .order_details
            .unwrap()
            .purchase_order_state_changed_date
            .as_deref(),
        Some("2025-03-10T12:01:00Z")
    );
    let status = vc
        .purchase_order_status(&number("4Z32PABC"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        status.purchase_order_status,
        Some(retail::PurchaseOrderStatus::Open)
    );
    let items = status.item_status.unwrap();
    assert_eq!(items.len(), 3);
    for (item, ordered) in items
        .iter()
        .zip(order.order_details.unwrap().items.unwrap())
    {
        let ack = item.acknowledgement_status.as_ref().unwrap();
        assert_eq!(
            ack.confirmation_status,
            Some(retail::ConfirmationStatus::Accepted)
        );
        assert_eq!(
            ack.accepted_quantity.as_ref(),
            ordered.ordered_quantity.as_ref()
        );
        assert_eq!(
            ack.rejected_quantity.as_ref().unwrap().amount,
            Some(0.into())
        );
    }

    vc.set_retail_success_reported(true);
    assert_eq!(retail_outcome(&vc, &id).await, TransactionOutcome::Success);
}

#[tokio::test(flavor = "current_thread")]
async fn a_split_line_is_partly_accepted_and_back_orders_need_permission() {
    let (clock, vc) = setup();
    // Which rule refused shows in the simulator's own diagnostics.
    vc.set_failures_as_amazon(false);
    let order = RetailOrderBuilder::new("SPLIT001", t("2025-03-04T00:00:00Z"))
        .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 10, "9.50").back_order_allowed(true))
        .line(RetailLine::cases("B076SDSABC", "SKU-2", 2, 6, "4.00"))
        .build();
    vc.add_retail_order(order.clone()).unwrap();
    let mut ack = accept_all(&order, t(NOW));
    ack.lines[0].decisions = vec![
        decision(AcknowledgementCode::Accepted, Quantity::eaches_of(6)),
        decision(AcknowledgementCode::Backordered, Quantity::eaches_of(2)),
        decision(AcknowledgementCode::Rejected, Quantity::eaches_of(2)),
    ];
    // Half the cases, counted in eaches.
    ack.lines[1].decisions = vec![
        decision(AcknowledgementCode::Accepted, Quantity::eaches_of(6)),
        decision(AcknowledgementCode::Rejected, Quantity::eaches_of(6)),
    ];
    let id = submit(&vc, std::slice::from_ref(&ack)).await;
    clock.advance(Duration::from_secs(61));
    assert_eq!(
        retail_outcome(&vc, &id).await,
        TransactionOutcome::Processing
    );
    let status = vc.retail_status("SPLIT001").unwrap();
    let items = status.item_status.unwrap();
    let first = items[0].acknowledgement_status.as_ref().unwrap();
    assert_eq!(
        first.confirmation_status,
        Some(retail::ConfirmationStatus::PartiallyAccepted)
    );
    assert_eq!(
        first.accepted_quantity.as_ref().unwrap().amount,
        Some(8.into())
    );
    assert_eq!(
        first.rejected_quantity.as_ref().unwrap().amount,
        Some(2.into())
    );
    let second = items[1].acknowledgement_status.as_ref().unwrap();
    // Reported in the PO's unit: one case of six each way.
    assert_eq!(
        second.accepted_quantity,
        Some(retail::ItemQuantity {
            amount: Some(1.into()),
            unit_of_measure: Some(retail::UnitOfMeasure::Cases),
            unit_size: Some(6.into()),
        })
    );

    // The second line does not allow back orders.
    let mut backordered = ack;
    backordered.lines[1].decisions = vec![decision(
        AcknowledgementCode::Backordered,
        Quantity::eaches_of(12),
    )];
    let id = submit(&vc, &[backordered]).await;
    clock.advance(Duration::from_secs(61));
    assert_eq!(
        failure_codes(&retail_outcome(&vc, &id).await),
        ["BACKORDER_NOT_ALLOWED"]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn bad_retail_acknowledgements_fail_their_transaction_and_change_nothing() {
    let (clock, vc) = setup();
    // Which rule refused shows in the simulator's own diagnostics.
    vc.set_failures_as_amazon(false);
    let order = RetailOrderBuilder::new("4Z32PABC", t("2025-03-04T00:00:00Z"))
        .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 10, "9.50"))
        .line(RetailLine::cases("B076SDSABC", "SKU-2", 2, 6, "4.00"))
        .build();
    vc.add_retail_order(order.clone()).unwrap();
    let good = accept_all(&order, t(NOW));

    let mut above = good.clone();
    above.lines[0].decisions = vec![decision(
        AcknowledgementCode::Accepted,
        Quantity::eaches_of(11),
    )];
    let mut missing = good.clone();
    missing.lines.pop();
    let mut unknown = good.clone();
    unknown.purchase_order_number = number("NOSUCHPO");
    let mut costly = good.clone();
    costly.lines[0].net_cost.money =
        crate::Money::new("9.51".parse().unwrap(), "USD".parse().unwrap());
    let mut other_vendor = good.clone();
    other_vendor.selling_party = "OTHER".parse().unwrap();
    let mut wrong_sku = good.clone();
    wrong_sku.lines[0].vendor_sku = Some("SKU-9".parse().unwrap());

    for (ack, code) in [
        (above, "INVALID_QUANTITY"),
        (missing, "MISSING_ITEM"),
        (unknown, "INVALID_ORDER_ID"),
        (costly, "INVALID_COST"),
        (other_vendor, "INVALID_SELLING_PARTY"),
        (wrong_sku, "INVALID_ITEM"),
    ] {
        let id = submit(&vc, &[ack]).await;
        assert_eq!(
            retail_outcome(&vc, &id).await,
            TransactionOutcome::Processing
        );
        clock.advance(Duration::from_secs(60));
        let outcome = retail_outcome(&vc, &id).await;
        assert_eq!(failure_codes(&outcome), [code], "{outcome:?}");
        if let TransactionOutcome::Failure(errors) = &outcome {
            assert!(
                errors[0]
                    .field
                    .as_deref()
                    .unwrap()
                    .starts_with("acknowledgements[0]")
            );
        }
        assert_eq!(
            vc.retail_state("4Z32PABC"),
            Some(retail::PurchaseOrderState::New)
        );
    }
    // One bad acknowledgement fails its whole batch.
    let mut bad = good.clone();
    bad.purchase_order_number = number("NOSUCHPO");
    let id = submit(&vc, &[good, bad]).await;
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        failure_codes(&retail_outcome(&vc, &id).await),
        ["INVALID_ORDER_ID"]
    );
    assert_eq!(
        vc.retail_state("4Z32PABC"),
        Some(retail::PurchaseOrderState::New)
    );
    assert_eq!(
        vc.retail_status("4Z32PABC").unwrap().item_status.unwrap()[0]
            .acknowledgement_status
            .as_ref()
            .unwrap()
            .confirmation_status,
        Some(retail::ConfirmationStatus::Unconfirmed)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_line_first_rejected_cannot_be_accepted_later() {
    let (clock, vc) = setup();
    // Which rule refused shows in the simulator's own diagnostics.
    vc.set_failures_as_amazon(false);
    let order = RetailOrderBuilder::new("4Z32PABC", t("2025-03-04T00:00:00Z"))
        .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 10, "9.50"))
        .build();
    vc.add_retail_order(order.clone()).unwrap();
    let mut rejected = accept_all(&order, t(NOW));
    rejected.lines[0].decisions = vec![decision(
        AcknowledgementCode::Rejected,
        Quantity::eaches_of(10),
    )];
    let id = submit(&vc, &[rejected]).await;
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        retail_outcome(&vc, &id).await,
        TransactionOutcome::Processing
    );
    let id = submit(&vc, &[accept_all(&order, t(NOW))]).await;
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        failure_codes(&retail_outcome(&vc, &id).await),
        ["INVALID_STATUS_CHANGE"]
    );
    let status = vc.retail_status("4Z32PABC").unwrap();
    assert_eq!(
        status.item_status.unwrap()[0]
            .acknowledgement_status
            .as_ref()
            .unwrap()
            .confirmation_status,
        Some(retail::ConfirmationStatus::Rejected)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_misspelt_enum_fails_the_transaction_but_not_the_post() {
    let (clock, vc) = setup();
    // Which rule refused shows in the simulator's own diagnostics.
    vc.set_failures_as_amazon(false);
    let order = orders::retail_order("4Z32PABC", t("2025-03-04T00:00:00Z"), 1);
    vc.add_retail_order(order.clone()).unwrap();
    let mut body = serde_json::to_value(retail::SubmitAcknowledgementRequest::from_domain(&[
        accept_all(&order, t(NOW)),
    ]))
    .unwrap();
    let part = &mut body["acknowledgements"][0]["items"][0]["itemAcknowledgements"][0];
    part["acknowledgementCode"] = json!("REJECTED");
    part["rejectionReason"] = json!("TEMPORARILYUNAVAILABLE");
    let id = vc.submit_retail_acknowledgement_body(&body).await.unwrap();
    clock.advance(Duration::from_secs(60));
    let outcome = retail_outcome(&vc, &id).await;
    assert_eq!(failure_codes(&outcome), ["INVALID_VALUE", "INVALID_VALUE"]);
    if let TransactionOutcome::Failure(errors) = outcome {
        assert_eq!(
            errors[0].field.as_deref(),
            Some("acknowledgements[0].items[0].itemAcknowledgements[0].acknowledgementCode")
        );
        assert!(errors[0].message.contains("'REJECTED'"));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_body_outside_the_model_is_refused_by_the_post() {
    let (_, vc) = setup();
    let order = orders::retail_order("4Z32PABC", t("2025-03-04T00:00:00Z"), 1);
    vc.add_retail_order(order.clone()).unwrap();
    let good = serde_json::to_value(retail::SubmitAcknowledgementRequest::from_domain(&[
        accept_all(&order, t(NOW)),
    ]))
    .unwrap();

    let mut extra = good.clone();
    extra["marketplaceIds"] = json!(["ATVPDKIKX0DER"]);
    let err = vc
        .submit_retail_acknowledgement_body(&extra)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert!(
        err.messages[0]
            .message
            .starts_with("Invalid content was found starting with element 'marketplaceIds'"),
        "{err}"
    );

    let sandbox_400 =
        json!({"acknowledgements":[{"purchaseOrderNumber":"TestOrder400","sellingParty":{}}]});
    let err = vc
        .submit_retail_acknowledgement_body(&sandbox_400)
        .await
        .unwrap_err();
    assert!(err.messages.iter().any(|m| m.message
        == "The content of element 'sellingParty' is not complete. One of '{partyId, address, taxInfo}' is expected."));

    let mut no_code = good.clone();
    no_code["acknowledgements"][0]["items"][0]["itemAcknowledgements"][0]
        .as_object_mut()
        .unwrap()
        .remove("acknowledgementCode");
    assert!(
        vc.submit_retail_acknowledgement_body(&no_code)
            .await
            .is_err()
    );

    let mut fractional = good;
    fractional["acknowledgements"][0]["items"][0]["itemAcknowledgements"][0]["acknowledgedQuantity"]
        ["amount"] = json!(1.5);
    assert!(
        vc.submit_retail_acknowledgement_body(&fractional)
            .await
            .is_err()
    );

    let err = RetailOrdersApi::submit_acknowledgements(&vc, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert!(
        vc.submit_retail_acknowledgement_body(&json!("text"))
            .await
            .is_err()
    );
    assert_eq!(vc.acknowledgements(), []);
    assert_eq!(vc.transaction_count(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_closed_po_and_a_cancelled_line() {
    let (clock, vc) = setup();
    // Which rule refused shows in the simulator's own diagnostics.
    vc.set_failures_as_amazon(false);
    let order = RetailOrderBuilder::new("4Z32PABC", t("2025-03-04T00:00:00Z"))
        .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 10, "9.50"))
        .line(RetailLine::eaches("B076SDSABC", "SKU-2", 5, "4.00"))
        .build();
    vc.add_retail_order(order.clone()).unwrap();
    vc.cancel_retail_line("4Z32PABC", "2").unwrap();
    let changed = vc.retail_order("4Z32PABC").unwrap();
    // A cancelled line answered with a quantity of zero is refused: Amazon's models
    // say the acknowledged quantity should not be zero.
    let mut zero = accept_all(&changed, t(NOW));
    zero.lines[1].decisions = vec![decision(
        AcknowledgementCode::Rejected,
        zero.lines[1].ordered,
    )];
    assert_eq!(zero.lines[1].ordered.amount, 0);
    let id = submit(&vc, &[zero]).await;
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        failure_codes(&retail_outcome(&vc, &id).await),
        ["INVALID_QUANTITY"]
    );
    // A cancelled line may be left out of the acknowledgement.
    let mut ack = accept_all(&changed, t(NOW));
    ack.lines.pop();
    let id = submit(&vc, &[ack]).await;
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        retail_outcome(&vc, &id).await,
        TransactionOutcome::Processing
    );
    let status = vc.retail_status("4Z32PABC").unwrap();
    let details = status.item_status.unwrap()[1]
        .ordered_quantity
        .clone()
        .unwrap()
        .ordered_quantity_details
        .unwrap();
    assert_eq!(
        details[0].cancelled_quantity.as_ref().unwrap().amount,
        Some(5.into())
    );

    vc.close_retail_order("4Z32PABC").unwrap();
    assert_eq!(
        vc.retail_status("4Z32PABC").unwrap().purchase_order_status,
        Some(retail::PurchaseOrderStatus::Closed)
    );
    let id = submit(&vc, &[accept_all(&order, t(NOW))]).await;
    clock.advance(Duration::from_secs(60));
    assert!(
        failure_codes(&retail_outcome(&vc, &id).await).contains(&"INVALID_ORDER_STATE".to_owned())
    );
}

#[test]
fn changes_to_unknown_orders_and_lines_are_errors() {
    let (_, vc) = setup();
    vc.add_retail_order(orders::retail_order(
        "4Z32PABC",
        t("2025-03-04T00:00:00Z"),
        2,
    ))
    .unwrap();
    assert!(matches!(
        vc.set_retail_quantity("NOSUCHPO", "1", 1),
        Err(SimulatorError::UnknownOrder { .. })
    ));
    assert!(matches!(
        vc.set_retail_quantity("4Z32PABC", "9", 1),
        Err(SimulatorError::UnknownLine { .. })
    ));
    assert!(matches!(
        vc.set_retail_net_cost("4Z32PABC", "1", "cheap"),
        Err(SimulatorError::InvalidValue { .. })
    ));
    vc.set_retail_net_cost("4Z32PABC", "1", "1.25").unwrap();
    let seq = vc
        .add_retail_line(
            "4Z32PABC",
            RetailLine::eaches("B0D7CQ6HKT", "SKU-3", 4, "2.00"),
        )
        .unwrap();
    assert_eq!(seq, "3");
    let order = vc.retail_order("4Z32PABC").unwrap();
    let po = order.to_purchase_order().unwrap();
    assert_eq!(po.lines.len(), 3);
    assert_eq!(po.lines[0].net_cost.money.amount().to_string(), "1.25");
    assert!(po.changed_at.is_some());
    assert!(matches!(
        vc.cancel_df_order("NOSUCHPO"),
        Err(SimulatorError::UnknownOrder { .. })
    ));
    vc.change_retail_order("4Z32PABC", |o| {
        o.order_details.as_mut().unwrap().deal_code = Some("SPRING".into());
    })
    .unwrap();
    assert_eq!(
        vc.retail_order("4Z32PABC")
            .unwrap()
            .order_details
            .unwrap()
            .deal_code
            .as_deref(),
        Some("SPRING")
    );

    let huge = RetailOrderBuilder::new("HUGESEQ1", t("2025-03-04T00:00:00Z"))
        .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 1, "1"))
        .build();
    vc.change_retail_order("4Z32PABC", |_| {}).unwrap();
    vc.add_retail_order(huge).unwrap();
    vc.change_retail_order("HUGESEQ1", |o| {
        o.order_details.as_mut().unwrap().items.as_mut().unwrap()[0].item_sequence_number =
            Some(u64::MAX.to_string());
    })
    .unwrap();
    assert!(
        vc.add_retail_line(
            "HUGESEQ1",
            RetailLine::eaches("B0D7CQ6HKT", "SKU-3", 4, "2.00")
        )
        .is_ok()
    );

    let padded = RetailOrderBuilder::new("PADDED01", t("2025-03-04T00:00:00Z"))
        .zero_padded_sequences()
        .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 1, "1"))
        .build();
    vc.add_retail_order(padded).unwrap();
    assert_eq!(
        vc.add_retail_line(
            "PADDED01",
            RetailLine::eaches("B0D7CQ6HKT", "SKU-3", 4, "2.00")
        ),
        Ok("00002".into())
    );
}
