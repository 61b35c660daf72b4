//! Several engines on one store: the retrieval leases keep the listing calls those of
//! one worker, a dead holder's lease ends and another worker lists, and the shared rate
//! budget takes every worker's Amazon requests from one budget in the store.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::lifecycle::OrderRecord;
use avc_order_sync::testing::{
    AmazonOperation, ManualClock, NetSuite, VendorCentral, catalogue_settings, orders,
};
use avc_order_sync::{Clients, Engine, EngineConfig, MemoryStore, OrderStore};
use avc_order_sync::{Cursor, InFlight, OrderKey, StoreError, StoredOrder};
use chrono::{DateTime, TimeDelta, Utc};

struct Shared {
    clock: ManualClock,
    amazon: Arc<VendorCentral>,
    netsuite: Arc<NetSuite>,
    store: Arc<MemoryStore>,
}

fn shared() -> Shared {
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    for i in 0..6u64 {
        amazon
            .add_df_order(orders::df_order(
                &orders::purchase_order_number(600 + i),
                start - TimeDelta::minutes(20),
                1,
            ))
            .unwrap();
    }
    Shared {
        clock,
        amazon,
        netsuite,
        store: Arc::new(MemoryStore::new()),
    }
}

fn worker(shared: &Shared, name: &str, config: EngineConfig) -> Engine {
    Engine::new(
        catalogue_settings(false, true),
        Clients {
            retail: shared.amazon.clone(),
            direct_fulfillment: shared.amazon.clone(),
            netsuite: shared.netsuite.clone(),
        },
        shared.store.clone(),
        Arc::new(shared.clock.clone()),
    )
    .with_config(config)
    .with_worker(name)
}

fn leased() -> EngineConfig {
    EngineConfig {
        first_lookback: Duration::from_secs(24 * 3600),
        retrieval_lease: Some(Duration::from_secs(10 * 60)),
        ..EngineConfig::default()
    }
}

fn listings(amazon: &VendorCentral) -> u64 {
    amazon.calls(AmazonOperation::GetPurchaseOrders) + amazon.calls(AmazonOperation::GetOrders)
}

#[tokio::test]
async fn three_workers_under_leases_list_as_one_and_a_dead_holders_lease_ends() {
    let world = shared();
    let workers: Vec<Engine> = ["a", "b", "c"]
        .iter()
        .map(|n| worker(&world, n, leased()))
        .collect();
    // The first cycle: `a` takes every lease and lists; `b` and `c` list nothing.
    let before = listings(&world.amazon);
    workers[0].run_cycle().await.unwrap();
    let by_a = listings(&world.amazon) - before;
    assert!(by_a > 0, "the first worker lists");
    for other in &workers[1..] {
        let before = listings(&world.amazon);
        other.run_cycle().await.unwrap();
        assert_eq!(
            listings(&world.amazon) - before,
            0,
            "{} lists while {} holds the leases",
            other.worker(),
            workers[0].worker()
        );
    }
    // Every order synced once, whoever woke it.
    for i in 0..6u64 {
        let number = orders::purchase_order_number(600 + i);
        assert_eq!(world.amazon.acknowledgement_count(&number), 1, "{number}");
    }

    // `a` dies. Before its lease ends nobody lists; at its end `b` takes over.
    world.clock.advance(Duration::from_secs(5 * 60));
    let before = listings(&world.amazon);
    workers[1].run_cycle().await.unwrap();
    assert_eq!(listings(&world.amazon) - before, 0, "a's lease still runs");
    world.clock.advance(Duration::from_secs(5 * 60));
    let before = listings(&world.amazon);
    workers[1].run_cycle().await.unwrap();
    assert!(
        listings(&world.amazon) > before,
        "b lists once a's lease ended"
    );
    let before = listings(&world.amazon);
    workers[2].run_cycle().await.unwrap();
    assert_eq!(listings(&world.amazon) - before, 0, "c waits for b's lease");
}

#[tokio::test]
async fn without_leases_every_worker_lists() {
    let world = shared();
    let config = EngineConfig {
        retrieval_lease: None,
        ..leased()
    };
    let (a, b) = (
        worker(&world, "a", config.clone()),
        worker(&world, "b", config),
    );
    a.run_cycle().await.unwrap();
    let before = listings(&world.amazon);
    b.run_cycle().await.unwrap();
    assert!(
        listings(&world.amazon) > before,
        "the second worker lists too"
    );
}

/// A memory store that counts the requests taken from its rate budgets.
#[derive(Default)]
struct CountingBudget {
    inner: MemoryStore,
    taken: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

#[async_trait::async_trait]
impl OrderStore for CountingBudget {
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        self.inner.load(key).await
    }
    async fn save(
        &self,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        next_wakeup: Option<DateTime<Utc>>,
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        self.inner
            .save(key, record, in_flight, next_wakeup, expected)
            .await
    }
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
        self.inner.due(now, limit).await
    }
    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.next_wakeup().await
    }
    async fn keys(&self) -> Result<Vec<OrderKey>, StoreError> {
        self.inner.keys().await
    }
    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.watermark(cursor).await
    }
    async fn save_watermark(&self, cursor: Cursor, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.inner.save_watermark(cursor, at).await
    }
    async fn take_from_budget(
        &self,
        operation: &str,
        now: DateTime<Utc>,
        rate_per_second: u32,
        burst: u32,
    ) -> Result<Option<Duration>, StoreError> {
        let wait = self
            .inner
            .take_from_budget(operation, now, rate_per_second, burst)
            .await?;
        if wait.is_none() {
            *self
                .taken
                .lock()
                .unwrap()
                .entry(operation.to_owned())
                .or_default() += 1;
        }
        Ok(wait)
    }
}

#[tokio::test]
async fn the_shared_budget_is_spent_by_every_worker_together() {
    for shared_budget in [true, false] {
        let world = shared();
        let store = Arc::new(CountingBudget::default());
        let config = EngineConfig {
            // Both list, so both spend `getOrders`.
            retrieval_lease: None,
            shared_rate_budget: shared_budget,
            ..leased()
        };
        let engine = |name: &str| {
            Engine::new(
                catalogue_settings(false, true),
                Clients {
                    retail: world.amazon.clone(),
                    direct_fulfillment: world.amazon.clone(),
                    netsuite: world.netsuite.clone(),
                },
                store.clone(),
                Arc::new(world.clock.clone()),
            )
            .with_config(config.clone())
            .with_worker(name)
        };
        let (a, b) = (engine("a"), engine("b"));
        a.run_cycle().await.unwrap();
        b.run_cycle().await.unwrap();
        // Every Amazon request of both workers came out of the store's budget when it
        // is shared, and none when it is not.
        let taken = store.taken.lock().unwrap().clone();
        let total: u64 = taken.values().sum();
        let amazon_calls = world.amazon.total_calls();
        if shared_budget {
            assert_eq!(taken.get("getOrders"), Some(&2), "{taken:?}");
            assert_eq!(total, amazon_calls, "{taken:?}");
        } else {
            assert_eq!(total, 0, "{taken:?}");
        }
    }
}
