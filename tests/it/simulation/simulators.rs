//! The testing module's simulators, used as an integrator would: through the client
//! traits, with a manual clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::df_status;
use avc_order_sync::testing::orders::{
    self, RetailLine, RetailOrderBuilder, purchase_order_number,
};
use avc_order_sync::testing::{
    AmazonOperation, ManualClock, NetSuite, NetSuiteOperation, VendorCentral,
};
use avc_order_sync::{
    AcknowledgementCode, Clock, DirectFulfillmentAcknowledgement,
    DirectFulfillmentAcknowledgementLine, DirectFulfillmentOrdersApi, ErrorKind, LineDecision,
    NetSuiteApi, NetSuiteStatus, OrderQuery, PurchaseOrderNumber, RetailAcknowledgement,
    RetailAcknowledgementLine, RetailOrdersApi, SalesOrderDraft, SalesOrderLineDraft,
    SalesOrderStatus, TransactionOutcome, WindowKind,
};
use chrono::{DateTime, TimeDelta, Utc};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const NOW: &str = "2025-03-10T12:00:00Z";

fn week() -> OrderQuery {
    OrderQuery {
        kind: WindowKind::Created,
        after: t("2025-03-03T12:00:00Z"),
        before: t(NOW),
        limit: 50,
        next_token: None,
    }
}

fn po(number: &str) -> PurchaseOrderNumber {
    number.parse().unwrap()
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
                decisions: vec![LineDecision {
                    code: AcknowledgementCode::Accepted,
                    quantity: l.ordered,
                    scheduled_ship_date: None,
                    scheduled_delivery_date: None,
                    rejection_reason: None,
                }],
            })
            .collect(),
    }
}

fn accept_df(order: &df::Order, at: DateTime<Utc>) -> DirectFulfillmentAcknowledgement {
    let po = order.to_purchase_order().unwrap();
    DirectFulfillmentAcknowledgement {
        purchase_order_number: po.number.clone(),
        vendor_order_number: format!("SO-{}", po.number),
        acknowledged_at: at,
        status_code: df_status::ACCEPTED.into(),
        status_description: df_status::description(df_status::ACCEPTED).unwrap().into(),
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

fn draft(external_id: &str, status: SalesOrderStatus) -> SalesOrderDraft {
    SalesOrderDraft {
        external_id: external_id.parse().unwrap(),
        customer: "77".parse().unwrap(),
        subsidiary: None,
        location: None,
        custom_form: None,
        currency: None,
        tran_date: "2025-03-10".parse().unwrap(),
        ship_date: None,
        other_ref_num: "4Z32PABC".parse().unwrap(),
        memo: None,
        status,
        shipping_address: None,
        lines: vec![SalesOrderLineDraft {
            item: "1101".parse().unwrap(),
            quantity: 12,
            rate: "18.40".parse().unwrap(),
            sequence: "1".parse().unwrap(),
            description: None,
            is_closed: false,
            custom_fields: Default::default(),
        }],
        custom_fields: Default::default(),
    }
}

fn amazon() -> (ManualClock, Arc<VendorCentral>) {
    let clock = ManualClock::new(t(NOW));
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    amazon.set_rate_limits_enabled(false);
    (clock, amazon)
}

#[tokio::test(flavor = "current_thread")]
async fn paging_250_orders_at_limit_50_returns_each_exactly_once() {
    let (_, amazon) = amazon();
    let numbers: Vec<String> = (0..250).map(purchase_order_number).collect();
    for (i, number) in numbers.iter().enumerate() {
        let created = t("2025-03-04T00:00:00Z") + TimeDelta::minutes(30 * i as i64);
        amazon
            .add_retail_order(orders::retail_order(number, created, 1 + i % 3))
            .unwrap();
    }
    let api: Arc<dyn RetailOrdersApi> = amazon.clone();
    for shuffle in [None, Some(42)] {
        amazon.set_shuffle(shuffle);
        let mut query = week();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut pages = 0;
        loop {
            let page = api.purchase_orders(&query).await.unwrap();
            pages += 1;
            assert!(page.orders.len() <= 50);
            assert!(page.malformed.is_empty());
            for order in &page.orders {
                *seen
                    .entry(order.purchase_order_number.clone().unwrap())
                    .or_default() += 1;
            }
            match page.next_token {
                Some(token) => query.next_token = Some(token),
                None => break,
            }
        }
        assert_eq!(pages, 5);
        assert_eq!(seen.len(), 250);
        assert!(seen.values().all(|&n| n == 1));
        assert!(numbers.iter().all(|n| seen.contains_key(n)));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_window_over_seven_days_is_refused() {
    let (_, amazon) = amazon();
    let mut query = week();
    query.after -= TimeDelta::seconds(1);
    let err = RetailOrdersApi::purchase_orders(&*amazon, &query)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert_eq!(err.messages[0].code, "InvalidInput");
    assert!(!err.is_retryable());
    let err = DirectFulfillmentOrdersApi::orders(&*amazon, &query)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
}

#[tokio::test(flavor = "current_thread")]
async fn an_acknowledgement_above_the_ordered_quantity_fails_its_transaction_after_processing() {
    let (clock, amazon) = amazon();
    // Which rule refused shows in the simulator's own diagnostics.
    amazon.set_failures_as_amazon(false);
    let order = RetailOrderBuilder::new("4Z32PABC", t("2025-03-04T00:00:00Z"))
        .line(RetailLine::cases(
            "B07DFVDRAB",
            "ACM-KTL-1001",
            2,
            6,
            "18.40",
        ))
        .build();
    amazon.add_retail_order(order.clone()).unwrap();
    let mut ack = accept_all(&order, t(NOW));
    ack.lines[0].decisions[0].quantity.amount = 3;

    let id = RetailOrdersApi::submit_acknowledgements(&*amazon, &[ack])
        .await
        .unwrap();
    assert_eq!(
        RetailOrdersApi::transaction_status(&*amazon, &id)
            .await
            .unwrap(),
        TransactionOutcome::Processing
    );
    clock.advance(Duration::from_secs(60));
    let TransactionOutcome::Failure(errors) = RetailOrdersApi::transaction_status(&*amazon, &id)
        .await
        .unwrap()
    else {
        panic!("the transaction should have failed");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "INVALID_QUANTITY");
    assert!(errors[0].message.contains("4Z32PABC"));
    assert_eq!(
        amazon.retail_state("4Z32PABC"),
        Some(retail::PurchaseOrderState::New)
    );
    // The quantities can be checked against the order.
    let received = amazon.acknowledgements_for("4Z32PABC");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].lines()[0].eaches(), Some(18));
}

#[tokio::test(flavor = "current_thread")]
async fn a_valid_retail_acknowledgement_leaves_the_transaction_processing_and_the_po_acknowledged()
{
    let (clock, amazon) = amazon();
    let order = orders::retail_order("4Z32PABC", t("2025-03-04T00:00:00Z"), 3);
    amazon.add_retail_order(order.clone()).unwrap();
    let api: Arc<dyn RetailOrdersApi> = amazon.clone();
    let id = api
        .submit_acknowledgements(&[accept_all(&order, t(NOW))])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(15 * 60));
    assert_eq!(
        api.transaction_status(&id).await.unwrap(),
        TransactionOutcome::Processing
    );
    let fetched = api.purchase_order(&po("4Z32PABC")).await.unwrap();
    assert_eq!(
        fetched.purchase_order_state,
        Some(retail::PurchaseOrderState::Acknowledged)
    );
    let status = api
        .purchase_order_status(&po("4Z32PABC"))
        .await
        .unwrap()
        .unwrap();
    let items = status.item_status.unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| {
        i.acknowledgement_status
            .as_ref()
            .unwrap()
            .confirmation_status
            == Some(retail::ConfirmationStatus::Accepted)
    }));
    assert_eq!(amazon.acknowledgement_count("4Z32PABC"), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_df_acceptance_turns_the_order_accepted() {
    let (clock, amazon) = amazon();
    let order = orders::df_order("2JK3S9VC", t("2025-03-09T00:00:00Z"), 2);
    amazon.add_df_order(order.clone()).unwrap();
    let api: Arc<dyn DirectFulfillmentOrdersApi> = amazon.clone();
    let listed = api.orders(&week()).await.unwrap();
    assert_eq!(listed.orders, std::slice::from_ref(&order));
    let id = api
        .submit_acknowledgements(&[accept_df(&order, t(NOW))])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        api.transaction_status(&id).await.unwrap(),
        TransactionOutcome::Success
    );
    let fetched = api.order(&po("2JK3S9VC")).await.unwrap();
    assert_eq!(
        fetched.order_details.unwrap().order_status,
        Some(df::OrderStatus::Accepted)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn upserting_twice_keeps_one_record_with_the_same_internal_id() {
    let clock = ManualClock::new(t(NOW));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    let api: Arc<dyn NetSuiteApi> = netsuite.clone();
    let order = draft("AVC-RP-4Z32PABC", SalesOrderStatus::PendingApproval);
    let first = api.upsert_sales_order(&order).await.unwrap();
    let second = api.upsert_sales_order(&order).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(netsuite.record_count(), 1);
    assert_eq!(netsuite.creations(&order.external_id), 1);
    let snapshot = api.sales_order(&order.external_id).await.unwrap().unwrap();
    assert_eq!(snapshot.internal_id, first);
    assert_eq!(snapshot.status, NetSuiteStatus::PendingApproval);
    assert_eq!(snapshot.lines.len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_reviewer_lowering_a_quantity_shows_in_the_order_and_in_changed_orders() {
    let clock = ManualClock::new(t(NOW));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    let api: Arc<dyn NetSuiteApi> = netsuite.clone();
    let order = draft("AVC-RP-4Z32PABC", SalesOrderStatus::PendingApproval);
    api.upsert_sales_order(&order).await.unwrap();
    api.upsert_sales_order(&draft("AVC-RP-3TRD2IAB", SalesOrderStatus::PendingApproval))
        .await
        .unwrap();
    let watermark = t("2025-03-10T12:00:01Z");

    clock.advance(Duration::from_secs(120));
    netsuite
        .set_line_quantity(&order.external_id, &"1".parse().unwrap(), 7)
        .unwrap();
    netsuite.approve(&order.external_id).unwrap();

    let snapshot = api.sales_order(&order.external_id).await.unwrap().unwrap();
    assert_eq!(snapshot.lines[0].quantity, 7);
    assert_eq!(snapshot.status, NetSuiteStatus::PendingFulfillment);
    let changed = api.changed_sales_orders(watermark).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].external_id, order.external_id);
    assert_eq!(changed[0].status, NetSuiteStatus::PendingFulfillment);
    assert_eq!(changed[0].last_modified, t("2025-03-10T12:02:00Z"));
}

#[tokio::test(flavor = "current_thread")]
async fn the_concurrency_limit_refuses_the_call_over_it_and_records_the_peak() {
    let clock = ManualClock::new(t(NOW));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_concurrency_limit(Some(2));
    netsuite.set_latency(Duration::from_millis(300));
    let api: Arc<dyn NetSuiteApi> = netsuite.clone();
    let a = draft("AVC-RP-AAAAAAA1", SalesOrderStatus::PendingApproval);
    let b = draft("AVC-RP-BBBBBBB2", SalesOrderStatus::PendingApproval);
    let c = draft("AVC-RP-CCCCCCC3", SalesOrderStatus::PendingApproval);
    let (ra, rb, rc) = tokio::join!(
        api.upsert_sales_order(&a),
        api.upsert_sales_order(&b),
        api.upsert_sales_order(&c),
    );
    let results = [ra, rb, rc];
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(refused.len(), 1);
    assert!(matches!(refused[0].kind, ErrorKind::RateLimited { .. }));
    assert_eq!(refused[0].messages[0].code, "CONCURRENCY_LIMIT_EXCEEDED");
    assert_eq!(netsuite.record_count(), 2);
    assert_eq!(netsuite.peak_in_flight(), 2);
    assert_eq!(netsuite.peak_requested(), 3);
    assert_eq!(netsuite.concurrency_refusals(), 1);
    assert_eq!(netsuite.calls(NetSuiteOperation::UpsertSalesOrder), 3);
    assert_eq!(netsuite.in_flight(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn the_rate_limit_refuses_the_eleventh_call_within_a_second() {
    let clock = ManualClock::new(t(NOW));
    let amazon = VendorCentral::new(clock.clone());
    amazon
        .add_retail_order(orders::retail_order(
            "4Z32PABC",
            t("2025-03-04T00:00:00Z"),
            1,
        ))
        .unwrap();
    for _ in 0..10 {
        amazon.purchase_orders(&week()).await.unwrap();
    }
    let err = amazon.purchase_orders(&week()).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited { retry_after: None });
    assert!(err.is_retryable());
    assert_eq!(
        amazon.rate_limit_refusals(AmazonOperation::GetPurchaseOrders),
        1
    );
    clock.sleep(Duration::from_millis(100)).await;
    amazon.purchase_orders(&week()).await.unwrap();
    assert_eq!(amazon.calls(AmazonOperation::GetPurchaseOrders), 12);
}

#[tokio::test(flavor = "current_thread")]
async fn a_failure_after_the_effect_records_the_acknowledgement_and_returns_transient() {
    let (clock, amazon) = amazon();
    let order = orders::retail_order("4Z32PABC", t("2025-03-04T00:00:00Z"), 2);
    amazon.add_retail_order(order.clone()).unwrap();
    amazon.fail_next_after_effect(AmazonOperation::SubmitAcknowledgement, 1);
    let err = RetailOrdersApi::submit_acknowledgements(&*amazon, &[accept_all(&order, t(NOW))])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);
    let received = amazon.acknowledgements_for("4Z32PABC");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].received_at, t(NOW));
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        amazon.retail_state("4Z32PABC"),
        Some(retail::PurchaseOrderState::Acknowledged)
    );

    let clock = ManualClock::new(t(NOW));
    let netsuite = NetSuite::new(clock);
    netsuite.fail_next_after_effect(NetSuiteOperation::UpsertSalesOrder, 1);
    let order = draft("AVC-RP-4Z32PABC", SalesOrderStatus::PendingApproval);
    let err = netsuite.upsert_sales_order(&order).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);
    assert_eq!(netsuite.record_count(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn the_clock_is_shared_by_clones_and_trait_objects() {
    let clock = ManualClock::new(t(NOW));
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    shared.sleep(Duration::from_secs(30)).await;
    assert_eq!(clock.now(), t("2025-03-10T12:00:30Z"));
    assert_eq!(clock.total_slept(), Duration::from_secs(30));
    clock.set(t("2025-04-01T00:00:00Z"));
    assert_eq!(shared.now(), t("2025-04-01T00:00:00Z"));
}
