//! The whole engine over a real socket: the SP-API and NetSuite REST clients on a real
//! HTTP client, against the local services on 127.0.0.1, on the services' clock.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::MemoryStore;
use avc_order_sync::http::sp_api::direct_fulfillment::DirectFulfillmentVersion;
use avc_order_sync::settings::{ItemTarget, Settings};
use avc_order_sync::testing::{NetSuiteOperation, ScriptedFailure};
use avc_order_sync::{
    Clients, Engine, EngineConfig, ErrorKind, NetSuiteStatus, Program, StateKind,
};
use avc_order_sync::{InternalId, VendorSku};

use super::local::spawn_local_services;
use super::served_simulators::state_kinds;

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
    services.netsuite.fail_next_with(
        NetSuiteOperation::UpsertSalesOrder,
        ScriptedFailure::of(ErrorKind::RateLimited { retry_after: None }),
        1,
    );
    let clock = services.clock.clone();
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
        store.clone(),
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
    let requests = services.served.log();
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
    let received = services.amazon.acknowledgements();
    let acknowledged = |program| -> Vec<String> {
        received
            .iter()
            .filter(|a| a.program == program)
            .filter_map(|a| a.body["purchaseOrderNumber"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        acknowledged(Program::RetailProcurement),
        ["2JK3S9VC", "3TRD2IAB"]
    );
    assert_eq!(acknowledged(Program::DirectFulfillment), ["2JK3S9VC"]);

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
        let kinds = state_kinds(&*store).await;
        if kinds.iter().all(|k| *k == StateKind::ExpectShipment) {
            break;
        }
    }
    assert_eq!(
        state_kinds(&*store).await,
        [StateKind::ExpectShipment; 3],
        "every order posted and awaiting shipment"
    );
    let table = engine.status_table().await.expect("the store answers");
    assert_eq!(
        refused, 1,
        "the 429 was met once and then retried: {failures:?}"
    );
    // One sales order per PO, and the ids the engine keeps are NetSuite's, read from
    // the `Location` header of each create.
    let orders: Vec<_> = services
        .netsuite
        .external_ids()
        .iter()
        .filter_map(|id| services.netsuite.snapshot(id))
        .collect();
    assert_eq!(orders.len(), 3, "{orders:?}");
    assert!(
        services
            .netsuite
            .external_ids()
            .iter()
            .all(|id| services.netsuite.creations(id) == 1),
        "{orders:?}"
    );
    let mut kept: Vec<String> = table
        .iter()
        .filter_map(|l| l.netsuite_id.as_ref().map(|i| i.to_string()))
        .collect();
    let mut created: Vec<String> = orders.iter().map(|o| o.internal_id.to_string()).collect();
    kept.sort();
    created.sort();
    assert_eq!(kept, created);
    assert!(
        orders
            .iter()
            .all(|o| o.status == NetSuiteStatus::PendingFulfillment),
        "{orders:?}"
    );
}
