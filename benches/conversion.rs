//! Converting Amazon pages: raw bytes to wire types, wire types to domain orders, and
//! domain acknowledgements to the bodies Amazon is sent.

use std::hint::black_box;

use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::{
    AcknowledgementCode, LineDecision, RetailAcknowledgement, RetailAcknowledgementLine,
};
use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A retail getPurchaseOrders page: `orders` POs of `lines` lines each.
fn retail_page(orders: usize, lines: usize) -> String {
    let mut out =
        String::from(r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":["#);
    for o in 0..orders {
        if o > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"purchaseOrderNumber":"P{o:07}","purchaseOrderState":"New","orderDetails":{{"purchaseOrderDate":"2026-11-20T10:00:00Z","purchaseOrderStateChangedDate":"2026-11-20T10:00:00Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{{"partyId":"AMZN"}},"sellingParty":{{"partyId":"VEND1"}},"shipToParty":{{"partyId":"ABE8"}},"billToParty":{{"partyId":"AMZN"}},"shipWindow":"2026-11-25T07:00:00Z--2026-11-30T07:00:00Z","items":["#
        ));
        for l in 0..lines {
            if l > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                r#"{{"itemSequenceNumber":"{}","amazonProductIdentifier":"B0{l:08}","vendorProductIdentifier":"SKU-{l:05}","orderedQuantity":{{"amount":{},"unitOfMeasure":"Cases","unitSize":12}},"isBackOrderAllowed":false,"netCost":{{"amount":"{}.{:02}","currencyCode":"USD"}},"listPrice":{{"amount":"{}.99","currencyCode":"USD"}}}}"#,
                l + 1,
                1 + l % 9,
                3 + l,
                l % 100,
                9 + l
            ));
        }
        out.push_str("]}}");
    }
    out.push_str("]}}");
    out
}

/// A Direct Fulfillment v1 getOrders page: `orders` orders of `lines` lines each.
fn df_page(orders: usize, lines: usize) -> String {
    let mut out =
        String::from(r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":["#);
    for o in 0..orders {
        if o > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"purchaseOrderNumber":"D{o:07}","orderDetails":{{"customerOrderNumber":"112-{o:07}","orderDate":"2026-11-20T10:00:00Z","orderStatus":"NEW","shipmentDetails":{{"isPriorityShipment":false,"isScheduledDeliveryShipment":false,"isPslipRequired":true,"isGift":false,"shipMethod":"UPS_GROUND","shipmentDates":{{"requiredShipDate":"2026-11-22T10:00:00Z","promisedDeliveryDate":"2026-11-25T10:00:00Z"}},"messageToCustomer":"Thank you"}},"sellingParty":{{"partyId":"VEND1"}},"shipFromParty":{{"partyId":"WH01"}},"shipToParty":{{"name":"A Customer","addressLine1":"1 Main St","city":"Seattle","stateOrRegion":"WA","postalCode":"98101","countryCode":"US","phone":"555-0100"}},"billToParty":{{"partyId":"AMZN"}},"items":["#
        ));
        for l in 0..lines {
            if l > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                r#"{{"itemSequenceNumber":"{:05}","buyerProductIdentifier":"B0{l:08}","vendorProductIdentifier":"SKU-{l:05}","title":"Item {l}","orderedQuantity":{{"amount":{},"unitOfMeasure":"Each"}},"netPrice":{{"currencyCode":"USD","amount":"{}.50"}}}}"#,
                l + 1,
                1 + l % 3,
                10 + l
            ));
        }
        out.push_str("]}}");
    }
    out.push_str("]}}");
    out
}

/// Accept every line of a PO as ordered.
fn accept_all(po: &avc_order_sync::PurchaseOrder) -> RetailAcknowledgement {
    RetailAcknowledgement {
        purchase_order_number: po.number.clone(),
        selling_party: po.selling_party.clone(),
        acknowledged_at: Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap(),
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

fn conversion(c: &mut Criterion) {
    let retail_bytes = retail_page(100, 10);
    let df_bytes = df_page(100, 3);

    let mut group = c.benchmark_group("retail page 100x10");
    group.throughput(Throughput::Elements(100));
    group.bench_function("parse", |b| {
        b.iter(|| {
            serde_json::from_slice::<retail::GetPurchaseOrdersResponse>(black_box(
                retail_bytes.as_bytes(),
            ))
            .unwrap()
        })
    });
    let page: retail::GetPurchaseOrdersResponse =
        serde_json::from_slice(retail_bytes.as_bytes()).unwrap();
    let orders = page
        .payload
        .as_ref()
        .and_then(|p| p.orders.clone())
        .unwrap();
    group.bench_function("to domain", |b| {
        b.iter(|| {
            for o in black_box(&orders) {
                black_box(o.to_purchase_order().unwrap());
            }
        })
    });
    let domain: Vec<_> = orders
        .iter()
        .map(|o| o.to_purchase_order().unwrap())
        .collect();
    group.bench_function("acknowledgement body", |b| {
        b.iter(|| {
            let acks: Vec<_> = black_box(&domain).iter().map(accept_all).collect();
            serde_json::to_vec(&retail::SubmitAcknowledgementRequest::from_domain(&acks)).unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("direct fulfillment page 100x3");
    group.throughput(Throughput::Elements(100));
    group.bench_function("parse and convert", |b| {
        b.iter(|| {
            let page: df::v1::GetOrdersResponse =
                serde_json::from_slice(black_box(df_bytes.as_bytes())).unwrap();
            for o in page.payload.and_then(|p| p.orders).unwrap() {
                black_box(o.to_purchase_order().unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, conversion);
criterion_main!(benches);
