//! Tests of the Vendor Central simulator, one file per subject, with the helpers they share.

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

mod df_acknowledgements;
mod hostile;
mod indexes;
mod limits;
mod listing;
mod retail_acknowledgements;
