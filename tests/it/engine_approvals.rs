//! An approval given in NetSuite is never passed over, not even while the sales
//! order's create is still unanswered. Found by the kill test.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::engine::{Clients, Engine, EngineConfig};
use avc_order_sync::store::{MemoryStore, OrderKey, OrderStore};
use avc_order_sync::testing::{
    ManualClock, NetSuite, NetSuiteOperation, VendorCentral, catalogue_settings, orders,
};
use avc_order_sync::{
    Clock, ExternalId, NetSuiteApi, Program, PurchaseOrderNumber, RetryPolicy, mapping,
};
use chrono::{DateTime, Utc};

struct World {
    clock: ManualClock,
    amazon: Arc<VendorCentral>,
    netsuite: Arc<NetSuite>,
    store: Arc<MemoryStore>,
    number: String,
    external_id: ExternalId,
}

fn world() -> World {
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    let number = orders::purchase_order_number(42);
    amazon
        .add_retail_order(orders::retail_order(
            &number,
            start - chrono::TimeDelta::minutes(5),
            2,
        ))
        .unwrap();
    let external_id = mapping::external_id(
        Program::RetailProcurement,
        &PurchaseOrderNumber::new(number.as_str()).unwrap(),
    );
    World {
        clock,
        amazon,
        netsuite,
        store: Arc::new(MemoryStore::new()),
        number,
        external_id,
    }
}

fn engine(world: &World, netsuite: Arc<dyn NetSuiteApi>, retry: RetryPolicy) -> Engine {
    Engine::new(
        catalogue_settings(false, false),
        Clients {
            retail: world.amazon.clone(),
            direct_fulfillment: world.amazon.clone(),
            netsuite,
        },
        world.store.clone(),
        Arc::new(world.clock.clone()),
    )
    .with_config(EngineConfig {
        first_lookback: Duration::from_secs(24 * 3600),
        retry,
        ..EngineConfig::default()
    })
}

async fn status(world: &World) -> String {
    let key = OrderKey {
        program: Program::RetailProcurement,
        number: PurchaseOrderNumber::new(world.number.as_str()).unwrap(),
    };
    let stored = world.store.load(&key).await.unwrap().unwrap();
    stored.record.status_label().to_owned()
}

/// Cycles every `every` for `span`.
async fn run(world: &World, engine: &Engine, every: Duration, span: Duration) {
    let end = world.clock.now() + chrono::TimeDelta::from_std(span).unwrap();
    while world.clock.now() < end {
        engine.run_cycle().await.unwrap();
        world.clock.advance(every);
    }
}

/// The sales order is created, but the answer is lost and the create is retried only
/// after the overlap window; the reviewer approves meanwhile. NetSuite's change feed
/// already shows the order: it is taken as created, and the approval is read.
#[tokio::test]
async fn an_approval_given_while_the_create_is_unanswered_is_read() {
    let world = world();
    let slow_retries = RetryPolicy {
        base_delay: Duration::from_secs(40 * 60),
        jitter_percent: 0,
        ..RetryPolicy::default()
    };
    let engine = engine(&world, world.netsuite.clone(), slow_retries);
    world
        .netsuite
        .fail_next_after_effect(NetSuiteOperation::UpsertSalesOrder, 1);
    engine.run_cycle().await.unwrap();
    assert_eq!(world.netsuite.creations(&world.external_id), 1);
    assert_eq!(status(&world).await, "Scheduled to post to NetSuite");

    world.clock.advance(Duration::from_secs(60));
    world.netsuite.approve(&world.external_id).unwrap();
    run(
        &world,
        &engine,
        Duration::from_secs(5 * 60),
        Duration::from_secs(3 * 3600),
    )
    .await;

    assert_eq!(world.amazon.acknowledgement_count(&world.number), 1);
    assert_eq!(status(&world).await, "Order posted, awaiting shipment");
    assert_eq!(world.netsuite.creations(&world.external_id), 1);
}
