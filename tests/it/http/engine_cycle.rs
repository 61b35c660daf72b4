//! The whole engine over a real socket: the SP-API and NetSuite REST clients on a real
//! HTTP client, against the local services on 127.0.0.1.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::MemoryStore;
use avc_order_sync::http::sp_api::direct_fulfillment::DirectFulfillmentVersion;
use avc_order_sync::settings::{ItemTarget, Settings};
use avc_order_sync::testing::ManualClock;
use avc_order_sync::{Clients, Engine, EngineConfig};
use avc_order_sync::{InternalId, VendorSku};
use serde_json::json;

use super::socket::{Scripted, spawn_local_services};

fn settings() -> Settings {
    let mut settings = Settings::default();
    settings.auto_acknowledge.retail_procurement = true;
    settings.auto_acknowledge.direct_fulfillment = true;
    settings.customers.retail_procurement.customer = InternalId::new("1234").ok();
    settings.customers.direct_fulfillment.customer = InternalId::new("1250").ok();
    settings.currencies.insert(
        "USD".parse().expect("valid"),
        InternalId::new("1").expect("valid"),
    );
    let item = |id: &str| ItemTarget {
        item: InternalId::new(id).expect("valid"),
        weight_per_each: Default::default(),
    };
    settings
        .items
        .by_vendor_sku
        .insert(VendorSku::new("8806098286500").expect("valid"), item("98"));
    settings.items.by_asin.insert(
        avc_order_sync::Asin::new("B07DFYF5AB").expect("valid"),
        item("99"),
    );
    settings
}

#[tokio::test(flavor = "current_thread")]
async fn sandbox_clients_run_a_full_engine_cycle_over_a_real_socket() {
    let services = spawn_local_services();
    // NetSuite refuses the first create for its concurrency limit.
    services.script(Scripted {
        method: "POST",
        path: "/services/rest/record/v1/salesOrder",
        query: None,
        status: 429,
        headers: vec![],
        body: json!({"type": "https://www.rfc-editor.org/rfc/rfc6585#section-4", "title": "Too Many Requests",
            "status": 429, "o:errorDetails": [{"detail": "Concurrent request limit exceeded. Request blocked.",
            "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}]}),
    });
    let clock = ManualClock::new("2025-03-01T12:00:00Z".parse().expect("valid"));
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(
        settings(),
        Clients {
            retail: Arc::new(services.retail_client()),
            direct_fulfillment: Arc::new(
                services.direct_fulfillment_client(DirectFulfillmentVersion::V1),
            ),
            netsuite: Arc::new(services.netsuite_client()),
        },
        store,
        Arc::new(clock.clone()),
    )
    .with_config(EngineConfig {
        first_lookback: Duration::from_secs(4 * 24 * 3600),
        ..EngineConfig::default()
    });

    // Cycle one reads both retail pages and the Direct Fulfillment list, and posts the
    // automatic acknowledgements.
    let first = engine.run_cycle().await.expect("the cycle runs");
    assert_eq!(first.retrieved, 3, "{first}");
    assert_eq!(first.new_orders, 3);
    let requests = services.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("/vendor/orders/v1/purchaseOrders?") && r.contains("nextToken=")),
        "the second page was asked for: {requests:?}"
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.contains("nextToken="))
            .all(|r| r.contains("createdAfter=") && r.contains("createdBefore=")),
        "the filters go with the token: {requests:?}"
    );
    let acknowledged: Vec<String> = services
        .retail_acknowledgements()
        .iter()
        .flat_map(|body| {
            body["acknowledgements"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|a| a["purchaseOrderNumber"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(acknowledged, ["2JK3S9VC", "3TRD2IAB"]);
    assert_eq!(services.direct_fulfillment_acknowledgements().len(), 1);

    // Amazon confirms; the sales orders are created Pending Fulfillment. The first
    // create is refused with a 429 and retried by the engine on a later cycle.
    let mut refused = 0;
    let mut failures = Vec::new();
    for _ in 0..12 {
        clock.advance(Duration::from_secs(5 * 60));
        let report = engine.run_cycle().await.expect("the cycle runs");
        // (The local SP-API knows only created windows: its refusals of the changed
        // window are not what this counts.)
        refused += report
            .failed_calls
            .get("netsuite upsert sales order")
            .copied()
            .unwrap_or(0);
        failures.extend(report.failed_calls.clone());
        failures.extend(report.errors.iter().map(|e| (e.clone(), 0)));
        let table = engine.status_table().await.expect("the store answers");
        if table
            .iter()
            .all(|l| l.status == "Order posted, awaiting shipment")
        {
            break;
        }
    }
    let table = engine.status_table().await.expect("the store answers");
    assert_eq!(table.len(), 3);
    assert!(
        table
            .iter()
            .all(|l| l.status == "Order posted, awaiting shipment"),
        "{table:?}"
    );
    assert_eq!(
        refused, 1,
        "the 429 was met once and then retried: {failures:?}"
    );
    // One sales order per PO, and the ids the engine keeps are NetSuite's, read from
    // the `Location` header of each create.
    let orders = services.sales_orders();
    assert_eq!(orders.len(), 3, "{orders:?}");
    let mut kept: Vec<String> = table
        .iter()
        .filter_map(|l| l.netsuite_id.as_ref().map(|i| i.to_string()))
        .collect();
    let mut created: Vec<String> = orders
        .iter()
        .filter_map(|o| {
            o["id"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| o["id"].as_u64().map(|n| n.to_string()))
        })
        .collect();
    kept.sort();
    created.sort();
    assert_eq!(kept, created);
    assert!(
        orders
            .iter()
            .all(|o| o["orderStatus"]["id"] == "B" || o["orderStatus"] == "B"),
        "{orders:?}"
    );
}
