//! Stories the fault simulation found, replayed by hand on the simulators. Each
//! failed before the fix its doc names.
use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::Clock;
use avc_order_sync::engine::{Clients, Engine, EngineConfig};
use avc_order_sync::store::MemoryStore;
use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral, catalogue_settings, orders};
use chrono::{DateTime, TimeDelta, Utc};

struct Story {
    clock: ManualClock,
    amazon: Arc<VendorCentral>,
    engine: Engine,
}

fn story(auto_retail: bool, auto_direct_fulfillment: bool) -> Story {
    let start: DateTime<Utc> = "2026-03-02T08:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    let engine = Engine::new(
        catalogue_settings(auto_retail, auto_direct_fulfillment),
        Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon.clone(),
            netsuite,
        },
        Arc::new(MemoryStore::new()),
        Arc::new(clock.clone()),
    )
    .with_config(EngineConfig {
        first_lookback: Duration::from_secs(24 * 3600),
        ..EngineConfig::default()
    });
    Story {
        clock,
        amazon,
        engine,
    }
}

/// Seed 6: an order first seen after its deadline warning was due was woken in
/// the same cycle it was received, its just-queued acknowledgement taken for one a
/// crash left unanswered, and sent twice in one request. Fixed in the engine: an
/// in-flight command is recovered only once its own grace is over.
#[tokio::test(flavor = "current_thread")]
async fn an_order_seen_late_is_acknowledged_once() {
    let s = story(false, true);
    let number = orders::purchase_order_number(7);
    let placed = s.clock.now() - TimeDelta::hours(21);
    s.amazon
        .add_df_order(orders::df_order(&number, placed, 2))
        .unwrap();
    s.engine.run_cycle().await.unwrap();
    assert_eq!(s.amazon.acknowledgement_count(&number), 1);
}
