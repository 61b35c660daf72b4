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

/// Hostile bodies a retail page reader must refuse, or read, in about the time of a
/// good page: nesting past serde_json's recursion limit, a megabyte string, a
/// 5,000-digit amount, and an exponent of nearly a billion. The hostile-input tests
/// bound the work by what each allocates; this times it.
fn hostile(c: &mut Criterion) {
    let read = |bytes: &[u8]| {
        if let Ok(page) = serde_json::from_slice::<retail::GetPurchaseOrdersResponse>(bytes) {
            for o in page.payload.and_then(|p| p.orders).unwrap_or_default() {
                let _ = black_box(o.to_purchase_order());
            }
        }
    };
    let amount = |amount: &str| {
        format!(
            r#"{{"payload":{{"orders":[{{"purchaseOrderNumber":"X","orderDetails":{{"items":[{{"netCost":{{"amount":"{amount}","currencyCode":"USD"}}}}]}}}}]}}}}"#
        )
    };
    let bodies = [
        (
            "deep nesting",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        (
            "megabyte string",
            format!(
                r#"{{"payload":{{"orders":[{{"purchaseOrderNumber":"{}"}}]}}}}"#,
                "A".repeat(1 << 20)
            ),
        ),
        ("5,000-digit amount", amount(&"9".repeat(5000))),
        ("huge exponent", amount("1E+999999999")),
    ];
    let mut group = c.benchmark_group("hostile retail page");
    for (name, body) in &bodies {
        group.bench_function(*name, |b| b.iter(|| read(black_box(body.as_bytes()))));
    }
    group.finish();
}

/// The lifecycle's pure transitions: receiving an order, its sales order created, the
/// approved order read back (building and checking the acknowledgement), submitted and
/// confirmed.
fn transitions(c: &mut Criterion) {
    use avc_order_sync::lifecycle::{Event, OrderRecord};
    use avc_order_sync::testing::catalogue_settings;
    use avc_order_sync::{InternalId, TransactionId};

    let settings = catalogue_settings(false, false);
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    let po = avc_order_sync::testing::orders::retail_order(
        "4Z32PABC",
        Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap(),
        10,
    )
    .to_purchase_order()
    .unwrap();
    let (received, _) = OrderRecord::receive(po.clone(), now, &settings);
    let created = Event::SalesOrderCreated {
        internal_id: InternalId::new("1001").unwrap(),
    };
    let (awaiting, _) = received.handle(&created, now, &settings).unwrap();
    let draft = received.sales_order().unwrap().clone();
    let snapshot = avc_order_sync::SalesOrderSnapshot {
        internal_id: InternalId::new("1001").unwrap(),
        external_id: draft.external_id.clone(),
        tran_id: None,
        status: avc_order_sync::NetSuiteStatus::PendingFulfillment,
        last_modified: None,
        ship_date: draft.ship_date,
        lines: draft
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| avc_order_sync::SalesOrderLineSnapshot {
                line: i as u64 + 1,
                sequence: Some(l.sequence.clone()),
                item: l.item.clone(),
                quantity: l.quantity,
                rate: l.rate,
                is_closed: false,
                expected_ship_date: None,
            })
            .collect(),
    };
    let read = Event::SalesOrderRead {
        snapshot: Box::new(snapshot),
    };
    let (ready, _) = awaiting.handle(&read, now, &settings).unwrap();
    let version = ready.acknowledgement_version().unwrap();
    let submitted = Event::AcknowledgementSubmitted {
        version,
        transaction_id: TransactionId::new("tx-1").unwrap(),
        orders: 1,
    };
    let (sent, _) = ready.handle(&submitted, now, &settings).unwrap();
    let confirmed = Event::AcknowledgementConfirmed { version };

    let mut group = c.benchmark_group("lifecycle, 10-line retail order");
    group.bench_function("receive", |b| {
        b.iter(|| OrderRecord::receive(black_box(po.clone()), now, &settings))
    });
    group.bench_function("sales order created", |b| {
        b.iter(|| {
            received
                .handle(black_box(&created), now, &settings)
                .unwrap()
        })
    });
    group.bench_function("approved order read, acknowledgement built", |b| {
        b.iter(|| awaiting.handle(black_box(&read), now, &settings).unwrap())
    });
    group.bench_function("acknowledgement submitted", |b| {
        b.iter(|| ready.handle(black_box(&submitted), now, &settings).unwrap())
    });
    group.bench_function("acknowledgement confirmed", |b| {
        b.iter(|| sent.handle(black_box(&confirmed), now, &settings).unwrap())
    });
    group.finish();
}

/// A full cycle of 10,000 orders (half retail awaiting review, half Direct
/// Fulfillment acknowledged at once) on the in-memory simulators with no latency.
fn full_cycle(c: &mut Criterion) {
    use avc_order_sync::MemoryStore;
    use avc_order_sync::testing::{
        ManualClock, NetSuite, VendorCentral, catalogue_settings, orders,
    };
    use avc_order_sync::{Clients, Engine};
    use std::sync::Arc;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
    let setup = || {
        let clock = ManualClock::new(start);
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        amazon.set_rate_limits_enabled(false);
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        for i in 0..5_000u64 {
            let at = start - chrono::TimeDelta::seconds(10 * (i as i64 + 1));
            amazon
                .add_retail_order(orders::retail_order(
                    &orders::purchase_order_number(i),
                    at,
                    3,
                ))
                .unwrap();
            amazon
                .add_df_order(orders::df_order(
                    &orders::purchase_order_number(1_000_000 + i),
                    at,
                    2,
                ))
                .unwrap();
        }
        Engine::new(
            catalogue_settings(false, true),
            Clients {
                retail: amazon.clone(),
                direct_fulfillment: amazon,
                netsuite,
            },
            Arc::new(MemoryStore::new()),
            Arc::new(clock),
        )
    };
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("first cycle, 10,000 orders", |b| {
        b.iter_batched(
            setup,
            |engine| runtime.block_on(engine.run_cycle()).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, conversion, hostile, transitions, full_cycle);
criterion_main!(benches);
