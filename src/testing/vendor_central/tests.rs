use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::acknowledgement::{
    AcknowledgementCode, DirectFulfillmentAcknowledgementLine, LineDecision, RejectionReason,
    RetailAcknowledgementLine, df_status,
};
use crate::order::Quantity;
use crate::testing::ManualClock;
use crate::testing::orders::{
    self, DfLine, DfOrderBuilder, RetailLine, RetailOrderBuilder, purchase_order_number,
};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const NOW: &str = "2025-03-10T12:00:00Z";

fn setup() -> (ManualClock, VendorCentral) {
    let clock = ManualClock::new(t(NOW));
    let vc = VendorCentral::new(clock.clone());
    vc.set_rate_limits_enabled(false);
    (clock, vc)
}

fn query(kind: WindowKind, after: &str, before: &str, limit: u32) -> OrderQuery {
    OrderQuery {
        kind,
        after: t(after),
        before: t(before),
        limit,
        next_token: None,
    }
}

fn created(limit: u32) -> OrderQuery {
    query(
        WindowKind::Created,
        "2025-03-03T12:00:00Z",
        "2025-03-10T12:00:00Z",
        limit,
    )
}

/// The acknowledgement accepting every line of a retail order in full.
fn accept_all(order: &retail::Order, at: DateTime<Utc>) -> RetailAcknowledgement {
    let po = order.to_purchase_order().unwrap();
    RetailAcknowledgement {
        purchase_order_number: po.number,
        selling_party: po.selling_party,
        acknowledged_at: at,
        lines: po
            .lines
            .iter()
            .map(|l| RetailAcknowledgementLine {
                sequence: l.sequence.clone(),
                asin: l.asin.clone(),
                vendor_sku: l.vendor_sku.clone(),
                ordered: l.ordered,
                net_cost: l.net_cost,
                list_price: None,
                discount_multiplier: None,
                decisions: vec![decision(AcknowledgementCode::Accepted, l.ordered)],
            })
            .collect(),
    }
}

fn decision(code: AcknowledgementCode, quantity: Quantity) -> LineDecision {
    LineDecision {
        code,
        quantity,
        scheduled_ship_date: None,
        scheduled_delivery_date: None,
        rejection_reason: (code == AcknowledgementCode::Rejected)
            .then_some(RejectionReason::TemporarilyUnavailable),
    }
}

fn accept_df(order: &df::Order, code: &str, at: DateTime<Utc>) -> DirectFulfillmentAcknowledgement {
    let po = order.to_purchase_order().unwrap();
    DirectFulfillmentAcknowledgement {
        purchase_order_number: po.number.clone(),
        vendor_order_number: format!("SO-{}", po.number),
        acknowledged_at: at,
        status_code: code.to_owned(),
        status_description: df_status::description(code)
            .unwrap_or("Canceled")
            .to_owned(),
        selling_party: po.selling_party.clone(),
        ship_from: po.ship_from.as_ref().unwrap().id.clone().unwrap(),
        lines: po
            .lines
            .iter()
            .map(|l| DirectFulfillmentAcknowledgementLine {
                sequence: l.sequence.clone(),
                asin: l.asin.clone(),
                vendor_sku: l.vendor_sku.clone(),
                quantity: l.ordered.amount,
            })
            .collect(),
    }
}

fn number(s: &str) -> PurchaseOrderNumber {
    s.parse().unwrap()
}

async fn submit(vc: &VendorCentral, acks: &[RetailAcknowledgement]) -> TransactionId {
    RetailOrdersApi::submit_acknowledgements(vc, acks)
        .await
        .unwrap()
}

async fn retail_outcome(vc: &VendorCentral, id: &TransactionId) -> TransactionOutcome {
    RetailOrdersApi::transaction_status(vc, id).await.unwrap()
}

fn failure_codes(outcome: &TransactionOutcome) -> Vec<String> {
    match outcome {
        TransactionOutcome::Failure(errors) => errors.iter().map(|e| e.code.clone()).collect(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Seeds `n` retail orders an hour apart, the first at 2025-03-04T00:00Z.
fn seed_retail(vc: &VendorCentral, n: u64) -> Vec<String> {
    (0..n)
        .map(|i| {
            let number = purchase_order_number(i);
            let at = t("2025-03-04T00:00:00Z") + TimeDelta::hours(i as i64);
            vc.add_retail_order(orders::retail_order(&number, at, 2))
                .unwrap();
            number
        })
        .collect()
}

async fn all_pages(vc: &VendorCentral, mut q: OrderQuery) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = vc.purchase_orders(&q).await.unwrap();
        pages += 1;
        assert!(page.orders.len() <= q.limit as usize);
        seen.extend(
            page.orders
                .iter()
                .map(|o| o.purchase_order_number.clone().unwrap()),
        );
        match page.next_token {
            Some(token) => q.next_token = Some(token),
            None => return (seen, pages),
        }
    }
}

// -------------------------------------------------------------------------------------
// Listing
// -------------------------------------------------------------------------------------

#[tokio::test(flavor = "current_thread")]
async fn pages_cover_the_window_once_in_date_order() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 25);
    // One order outside the window.
    vc.add_retail_order(orders::retail_order(
        "OUTSIDE1",
        t("2025-03-01T00:00:00Z"),
        1,
    ))
    .unwrap();
    let (seen, pages) = all_pages(&vc, created(10)).await;
    assert_eq!(pages, 3);
    assert_eq!(seen, numbers);
}

#[tokio::test(flavor = "current_thread")]
async fn the_window_includes_its_start_and_excludes_its_end() {
    let (_, vc) = setup();
    vc.add_retail_order(orders::retail_order(
        "ATSTART1",
        t("2025-03-03T12:00:00Z"),
        1,
    ))
    .unwrap();
    vc.add_retail_order(orders::retail_order(
        "ATEND001",
        t("2025-03-10T12:00:00Z"),
        1,
    ))
    .unwrap();
    let (seen, _) = all_pages(&vc, created(100)).await;
    assert_eq!(seen, ["ATSTART1"]);
}

#[tokio::test(flavor = "current_thread")]
async fn shuffled_pages_are_deterministic_and_still_cover_the_window_once() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 40);
    vc.set_shuffle(Some(7));
    let (first, _) = all_pages(&vc, created(15)).await;
    let (second, _) = all_pages(&vc, created(15)).await;
    assert_eq!(first, second);
    assert_ne!(first, numbers);
    let mut sorted = first.clone();
    sorted.sort_by_key(|n| numbers.iter().position(|m| m == n));
    assert_eq!(sorted, numbers);
    vc.set_shuffle(Some(8));
    let (third, _) = all_pages(&vc, created(15)).await;
    assert_ne!(first, third);
}

#[tokio::test(flavor = "current_thread")]
async fn overlapping_pages_repeat_the_last_order_of_the_previous_page() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 10);
    vc.set_page_overlap(true);
    let mut q = created(4);
    let first = vc.purchase_orders(&q).await.unwrap();
    q.next_token = first.next_token.clone();
    let second = vc.purchase_orders(&q).await.unwrap();
    assert_eq!(first.orders.len(), 4);
    assert_eq!(second.orders.len(), 4);
    assert_eq!(second.orders[0], first.orders[3]);
    let (seen, _) = all_pages(&vc, created(4)).await;
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, numbers);
    assert!(seen.len() > numbers.len());
}

#[tokio::test(flavor = "current_thread")]
async fn windows_limits_and_tokens_are_checked_as_amazon_checks_them() {
    let (_, vc) = setup();
    seed_retail(&vc, 5);
    let refused = |q: OrderQuery| {
        let vc = &vc;
        async move {
            let err = vc.purchase_orders(&q).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Rejected, "{err}");
            assert_eq!(err.messages[0].code, "InvalidInput");
            err
        }
    };
    let err = refused(query(
        WindowKind::Created,
        "2025-03-01T00:00:00Z",
        "2025-03-08T00:00:01Z",
        10,
    ))
    .await;
    assert!(err.messages[0].message.contains("7 days"), "{err}");
    assert_eq!(err.messages[0].field.as_deref(), Some("createdAfter"));
    let err = refused(query(
        WindowKind::Changed,
        "2025-03-01T00:00:00Z",
        "2025-03-09T00:00:00Z",
        10,
    ))
    .await;
    assert_eq!(err.messages[0].field.as_deref(), Some("changedAfter"));
    refused(query(WindowKind::Created, NOW, NOW, 10)).await;
    refused(created(0)).await;
    refused(created(101)).await;
    // Exactly seven days is fine.
    assert!(
        vc.purchase_orders(&query(
            WindowKind::Created,
            "2025-03-01T00:00:00Z",
            "2025-03-08T00:00:00Z",
            100
        ))
        .await
        .is_ok()
    );

    let first = vc.purchase_orders(&created(2)).await.unwrap();
    let token = first.next_token.unwrap();
    let mut other_window = created(2);
    other_window.after = t("2025-03-04T00:00:00Z");
    other_window.next_token = Some(token.clone());
    let err = refused(other_window).await;
    assert_eq!(err.messages[0].field.as_deref(), Some("nextToken"));
    let mut changed = created(2);
    changed.kind = WindowKind::Changed;
    changed.next_token = Some(token.clone());
    refused(changed).await;
    let mut garbage = created(2);
    garbage.next_token = Some("not a token".into());
    refused(garbage).await;
    // A retail token means nothing to Direct Fulfillment.
    let mut df_query = created(2);
    df_query.next_token = Some(token);
    assert_eq!(
        DirectFulfillmentOrdersApi::orders(&vc, &df_query)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Rejected
    );
    // Direct Fulfillment has no changed window.
    let mut df_changed = created(2);
    df_changed.kind = WindowKind::Changed;
    assert_eq!(
        DirectFulfillmentOrdersApi::orders(&vc, &df_changed)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Rejected
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_changed_window_selects_pos_by_their_changed_date() {
    let (clock, vc) = setup();
    let numbers = seed_retail(&vc, 3);
    let changed = query(
        WindowKind::Changed,
        "2025-03-10T00:00:00Z",
        "2025-03-11T00:00:00Z",
        10,
    );
    assert!(
        vc.purchase_orders(&changed)
            .await
            .unwrap()
            .orders
            .is_empty()
    );

    clock.advance(Duration::from_secs(3600));
    vc.set_retail_quantity(&numbers[1], "1", 1).unwrap();
    let page = vc.purchase_orders(&changed).await.unwrap();
    assert_eq!(page.orders.len(), 1);
    let details = page.orders[0].order_details.as_ref().unwrap();
    assert_eq!(
        details.purchase_order_changed_date.as_deref(),
        Some("2025-03-10T13:00:00Z")
    );
    assert_eq!(
        details.items.as_ref().unwrap()[0]
            .ordered_quantity
            .as_ref()
            .unwrap()
            .amount,
        Some(1.into())
    );
    let po = page.orders[0].to_purchase_order().unwrap();
    assert_eq!(po.changed_at, Some(t("2025-03-10T13:00:00Z")));
}

/// Every page of a Direct Fulfillment listing, numbers in the order listed.
async fn all_df_pages(vc: &VendorCentral, mut q: OrderQuery) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = DirectFulfillmentOrdersApi::orders(vc, &q).await.unwrap();
        pages += 1;
        assert!(page.orders.len() <= q.limit as usize);
        seen.extend(
            page.orders
                .iter()
                .map(|o| o.purchase_order_number.clone().unwrap()),
        );
        match page.next_token {
            Some(token) => q.next_token = Some(token),
            None => return (seen, pages),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_cancelled_window_lists_only_the_df_orders_created_in_it_and_cancelled_since() {
    let (_, vc) = setup();
    let numbers: Vec<String> = (0..12)
        .map(|i| {
            let number = purchase_order_number(500 + i);
            let at = t("2025-03-04T00:00:00Z") + TimeDelta::hours(i as i64);
            vc.add_df_order(orders::df_order(&number, at, 1)).unwrap();
            number
        })
        .collect();
    // Cancelled, but created before the window.
    vc.add_df_order(orders::df_order("EARLY001", t("2025-03-01T00:00:00Z"), 1))
        .unwrap();
    vc.cancel_df_order("EARLY001").unwrap();
    // Unreadable entries have no status to match: never listed as cancelled.
    vc.add_unreadable_order(
        Program::DirectFulfillment,
        t("2025-03-04T00:30:00Z"),
        MalformedOrder {
            purchase_order_number: Some("BROKEN01".into()),
            reason: "`orderDetails` is not an object".into(),
        },
    );
    let cancelled = |limit| {
        query(
            WindowKind::Cancelled,
            "2025-03-03T12:00:00Z",
            "2025-03-10T12:00:00Z",
            limit,
        )
    };
    assert_eq!(all_df_pages(&vc, cancelled(100)).await, (Vec::new(), 1));

    let chosen: Vec<String> = numbers.iter().step_by(2).cloned().collect();
    for number in &chosen {
        vc.cancel_df_order(number).unwrap();
    }
    // An order Amazon holds as cancelled in another spelling is cancelled too.
    let mut lower = orders::df_order("LOWER001", t("2025-03-05T00:00:00Z"), 1);
    lower.order_details.as_mut().unwrap().order_status =
        Some(df::OrderStatus::Other("cancelled".into()));
    vc.add_df_order(lower).unwrap();
    let mut expected = chosen.clone();
    expected.push("LOWER001".into());

    // Paged as any listing: by date, the filters sent again with each token.
    let (seen, pages) = all_df_pages(&vc, cancelled(3)).await;
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
    let page = DirectFulfillmentOrdersApi::orders(&vc, &cancelled(100))
        .await
        .unwrap();
    assert!(page.malformed.is_empty());
    assert!(page.orders.iter().all(|o| {
        o.to_purchase_order().unwrap().state == crate::order::AmazonOrderState::Cancelled
    }));
    // The created window still lists every order, cancelled or not.
    let (all, _) = all_df_pages(
        &vc,
        query(
            WindowKind::Created,
            "2025-03-03T12:00:00Z",
            "2025-03-10T12:00:00Z",
            100,
        ),
    )
    .await;
    assert_eq!(all.len(), 13);

    // Shuffled and overlapping pages cover the cancelled orders too.
    vc.set_shuffle(Some(3));
    vc.set_page_overlap(true);
    let (mut seen, _) = all_df_pages(&vc, cancelled(2)).await;
    seen.sort();
    seen.dedup();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
}

#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_window_is_checked_as_any_other() {
    let (_, vc) = setup();
    for i in 0..3 {
        let number = purchase_order_number(600 + i);
        let at = t("2025-03-04T00:00:00Z") + TimeDelta::hours(i as i64);
        vc.add_df_order(orders::df_order(&number, at, 1)).unwrap();
        vc.cancel_df_order(&number).unwrap();
    }
    let cancelled = query(
        WindowKind::Cancelled,
        "2025-03-03T12:00:00Z",
        "2025-03-10T12:00:00Z",
        2,
    );
    let refused = |q: OrderQuery| {
        let vc = &vc;
        async move {
            let err = DirectFulfillmentOrdersApi::orders(vc, &q)
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::Rejected, "{err}");
            err
        }
    };
    // Seven days at most.
    let mut long = cancelled.clone();
    long.after = t("2025-03-03T11:59:59Z");
    let err = refused(long).await;
    assert_eq!(err.messages[0].field.as_deref(), Some("createdAfter"));
    // A token of the cancelled listing goes only with the cancelled filter, and the
    // other way round.
    let first = DirectFulfillmentOrdersApi::orders(&vc, &cancelled)
        .await
        .unwrap();
    let token = first.next_token.unwrap();
    let mut created = cancelled.clone();
    created.kind = WindowKind::Created;
    created.next_token = Some(token.clone());
    refused(created).await;
    let mut next = cancelled.clone();
    next.next_token = Some(token);
    assert_eq!(
        DirectFulfillmentOrdersApi::orders(&vc, &next)
            .await
            .unwrap()
            .orders
            .len(),
        1
    );
    // Retail has no such listing.
    let err = vc.purchase_orders(&cancelled).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert_eq!(err.messages[0].field.as_deref(), Some("status"));
    assert_eq!(vc.calls(AmazonOperation::GetOrders), 4);
}

#[tokio::test(flavor = "current_thread")]
async fn unreadable_entries_are_reported_as_malformed_and_the_page_goes_on() {
    let (_, vc) = setup();
    seed_retail(&vc, 2);
    vc.add_unreadable_order(
        Program::RetailProcurement,
        t("2025-03-04T00:30:00Z"),
        MalformedOrder {
            purchase_order_number: Some("BROKEN01".into()),
            reason: "`orderDetails` is not an object".into(),
        },
    );
    let page = vc.purchase_orders(&created(10)).await.unwrap();
    assert_eq!(page.orders.len(), 2);
    assert_eq!(page.malformed.len(), 1);
    assert_eq!(
        page.malformed[0].purchase_order_number.as_deref(),
        Some("BROKEN01")
    );
    assert!(
        DirectFulfillmentOrdersApi::orders(&vc, &created(10))
            .await
            .unwrap()
            .malformed
            .is_empty()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn single_orders_are_found_or_not_found() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 1);
    let order = vc.purchase_order(&number(&numbers[0])).await.unwrap();
    assert_eq!(
        order.purchase_order_number.as_deref(),
        Some(numbers[0].as_str())
    );
    let err = vc.purchase_order(&number("NOSUCHPO")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.messages[0].code, "ResourceNotFound");
    assert_eq!(
        vc.purchase_order_status(&number("NOSUCHPO")).await.unwrap(),
        None
    );
    let err = DirectFulfillmentOrdersApi::order(&vc, &number(&numbers[0]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[test]
fn seeding_refuses_duplicates_and_orders_without_a_date() {
    let (_, vc) = setup();
    let order = orders::retail_order("4Z32PABC", t("2025-03-04T00:00:00Z"), 1);
    vc.add_retail_order(order.clone()).unwrap();
    assert_eq!(
        vc.add_retail_order(order),
        Err(SimulatorError::DuplicateOrder {
            number: "4Z32PABC".into()
        })
    );
    let undated = retail::Order {
        purchase_order_number: Some("UNDATED1".into()),
        ..retail::Order::default()
    };
    assert!(matches!(
        vc.add_retail_order(undated.clone()),
        Err(SimulatorError::NoOrderDate { .. })
    ));
    vc.add_retail_order_listed_at(undated, t("2025-03-04T00:00:00Z"))
        .unwrap();
    assert_eq!(
        vc.add_df_order(df::Order::default()),
        Err(SimulatorError::NoOrderDate {
            number: String::new(),
            field: "orderDetails.orderDate"
        })
    );
    assert_eq!(
        vc.add_df_order_listed_at(df::Order::default(), t(NOW)),
        Err(SimulatorError::MissingNumber)
    );
}

// -------------------------------------------------------------------------------------
// Retail acknowledgements
// -------------------------------------------------------------------------------------

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

// -------------------------------------------------------------------------------------
// Direct Fulfillment acknowledgements
// -------------------------------------------------------------------------------------

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

// -------------------------------------------------------------------------------------
// Rate limits, scripted failures, latency
// -------------------------------------------------------------------------------------

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
    let a = transaction_id(op, 1, Program::RetailProcurement, t("2019-08-27T18:23:57Z")).unwrap();
    let b = transaction_id(op, 2, Program::RetailProcurement, t("2019-08-27T18:23:57Z")).unwrap();
    assert!(a.as_str().starts_with("20190827182357-"), "{a}");
    assert_eq!(
        a.as_str().len(),
        "20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5".len()
    );
    assert_ne!(a, b);
}

// -------------------------------------------------------------------------------------
// Hostile bodies
// -------------------------------------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e20f64..1e20).prop_map(Value::from),
        prop_oneof![
            Just("Accepted"),
            Just("REJECTED"),
            Just("Cases"),
            Just("Each"),
            Just("00"),
            Just("4Z32PABC"),
            Just("2JK3S9VC"),
            Just("ACMEV"),
            Just("1"),
            Just("00001"),
            Just("-1.5"),
            Just("1e400"),
            Just(""),
            Just("2025-03-10T12:00:00Z"),
        ]
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("acknowledgements".to_owned()),
                    Just("orderAcknowledgements".to_owned()),
                    Just("items".to_owned()),
                    Just("itemAcknowledgements".to_owned()),
                    Just("amount".to_owned()),
                    Just("unitOfMeasure".to_owned()),
                    ".{0,8}".prop_map(String::from),
                ],
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer into `value`, the root included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                pointers(v, format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
}

fn mutate(mut body: Value, mutations: &[(usize, Value)]) -> Value {
    for (choice, replacement) in mutations {
        let mut all = Vec::new();
        pointers(&body, String::new(), &mut all);
        let pointer = &all[choice % all.len()];
        if pointer.is_empty() {
            body = replacement.clone();
        } else if let Some(slot) = body.pointer_mut(pointer) {
            *slot = replacement.clone();
        }
    }
    body
}

fn hostile_setup() -> (VendorCentral, Value, Value) {
    let (_, vc) = setup();
    let retail_order = RetailOrderBuilder::new("4Z32PABC", t("2025-03-04T00:00:00Z"))
        .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 10, "9.50").back_order_allowed(true))
        .line(RetailLine::cases("B076SDSABC", "SKU-2", 2, 6, "4.00"))
        .build();
    let df_order = orders::df_order("2JK3S9VC", t("2025-03-09T00:00:00Z"), 2);
    vc.add_retail_order(retail_order.clone()).unwrap();
    vc.add_df_order(df_order.clone()).unwrap();
    let retail_body = serde_json::to_value(retail::SubmitAcknowledgementRequest::from_domain(&[
        accept_all(&retail_order, t(NOW)),
    ]))
    .unwrap();
    let df_body =
        serde_json::to_value(df::SubmitAcknowledgementRequest::from_domain(&[accept_df(
            &df_order,
            df_status::ACCEPTED,
            t(NOW),
        )]))
        .unwrap();
    (vc, retail_body, df_body)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any body, arbitrary or a valid one with parts replaced, is refused or decided
    /// without a panic, and a decided transaction is Processing, Success or Failure
    /// with messages.
    #[test]
    fn hostile_acknowledgement_bodies_never_panic(
        arbitrary in json_value(),
        mutations in proptest::collection::vec((any::<usize>(), json_value()), 0..4),
    ) {
        let (vc, retail_body, df_body) = hostile_setup();
        let now = t(NOW);
        let later = now + TimeDelta::hours(1);
        let mut state = lock(&vc.state);
        for (program, op, body) in [
            (Program::RetailProcurement, AmazonOperation::SubmitAcknowledgement, arbitrary.clone()),
            (Program::RetailProcurement, AmazonOperation::SubmitAcknowledgement, mutate(retail_body, &mutations)),
            (Program::DirectFulfillment, AmazonOperation::SubmitDfAcknowledgement, arbitrary),
            (Program::DirectFulfillment, AmazonOperation::SubmitDfAcknowledgement, mutate(df_body, &mutations)),
        ] {
            let shape = match program {
                Program::RetailProcurement => acknowledgements::retail_shape(&body),
                Program::DirectFulfillment => acknowledgements::df_shape(&body),
            };
            match shape {
                Ok(acks) => {
                    let _ = state.open_transaction(op, program, acks, now);
                }
                Err(messages) => prop_assert!(!messages.is_empty()),
            }
        }
        state.settle(later);
        for transaction in &state.transactions {
            if let TransactionOutcome::Failure(errors) = state.outcome(transaction) {
                prop_assert!(!errors.is_empty());
            }
        }
    }
}
