//! `examples/postgres_store`'s [`PostgresStore`] against the [`OrderStore`] contract
//! of `testing::store_contract`, and the engine's main job and operator's view on it.
//!
//! These tests need a PostgreSQL database: its URL in `AVC_POSTGRES_URL` (`.ci/run`
//! starts one; `source .ci/postgres.sh` does it locally). Without it they print a
//! notice and pass, except with `CI` set, where they fail. Each test works in a schema
//! of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use avc_order_sync::testing::{
    ManualClock, NetSuite, VendorCentral, catalogue_settings, orders, store_contract,
};
use avc_order_sync::{Clients, Engine, EngineConfig, OrderFilter, PageRequest, StatusGroup};
use avc_order_sync::{OrderStore, Program, StateKind};
use chrono::{DateTime, TimeDelta, Utc};

/// The store exactly as the example has it.
#[allow(dead_code)]
#[path = "../../../examples/postgres_store/store.rs"]
mod store;

pub use store::PostgresStore;

/// The variable naming the tests' database.
pub const URL_ENV: &str = "AVC_POSTGRES_URL";

/// The tests' database URL; `None` (after the notice) when it is not set, which fails
/// the test under `CI`.
pub fn database_url(test: &str) -> Option<String> {
    match std::env::var(URL_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let notice = format!(
                "{URL_ENV} is not set: the PostgreSQL test {test} did not run \
                 (`source .ci/postgres.sh` starts a throwaway server and sets it)"
            );
            assert!(std::env::var_os("CI").is_none(), "{notice}");
            eprintln!("{notice}");
            None
        }
    }
}

/// A schema of its own in the tests' database, dropped when the test that made it
/// passes (a failed test's stays, to be looked at).
pub struct Schema {
    name: String,
    config: tokio_postgres::Config,
}

impl Schema {
    /// A new empty schema named after `label`.
    pub async fn new(url: &str, label: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut config: tokio_postgres::Config = url.parse().expect("a database URL");
        let (admin, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .expect("the tests' database answers");
        tokio::spawn(connection);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "avc_{label}_{}_{nanos}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .expect("create a schema");
        config.options(format!("-c search_path={name}"));
        Schema { name, config }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The connection settings that work in this schema.
    pub fn config(&self) -> tokio_postgres::Config {
        self.config.clone()
    }

    /// A store in this schema (creating its tables).
    pub async fn store(&self) -> PostgresStore {
        PostgresStore::connect(self.config())
            .await
            .expect("connect the store")
    }

    /// Drops the schema and everything in it, on a connection of its own (the
    /// database may have restarted since the schema was made).
    pub async fn drop_all(self) {
        let (admin, connection) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .expect("the tests' database answers");
        tokio::spawn(connection);
        admin
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name))
            .await
            .expect("drop the schema");
    }
}

#[tokio::test]
async fn postgres_store_keeps_the_store_contract() {
    let Some(url) = database_url("postgres_store_keeps_the_store_contract") else {
        return;
    };
    let schema = Schema::new(&url, "contract").await;
    let store = schema.store().await;
    if let Err(broken) = store_contract::run(&store).await {
        panic!("{broken}");
    }
    // Connecting again to tables already there changes nothing.
    let again = schema.store().await;
    assert_eq!(
        again.keys().await.unwrap(),
        store.keys().await.unwrap(),
        "a second connection sees the same orders"
    );
    schema.drop_all().await;
}

#[tokio::test]
async fn postgres_store_keeps_a_lease_between_two_connections() {
    let Some(url) = database_url("postgres_store_keeps_a_lease_between_two_connections") else {
        return;
    };
    let schema = Schema::new(&url, "lease").await;
    let (a, b) = (schema.store().await, schema.store().await);
    let cursor = avc_order_sync::Cursor::DirectFulfillment;
    let now: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
    let until = now + TimeDelta::minutes(2);
    // Eight takes at once over two connections: one holder.
    let takes = (0..8).map(|i| {
        let store = if i % 2 == 0 { &a } else { &b };
        store.take_lease(cursor, if i % 2 == 0 { "a" } else { "b" }, now, until)
    });
    let mut granted = Vec::new();
    for take in takes {
        granted.push(take.await.unwrap());
    }
    let holders: std::collections::BTreeSet<usize> = granted
        .iter()
        .enumerate()
        .filter(|(_, g)| **g)
        .map(|(i, _)| i % 2)
        .collect();
    assert_eq!(holders.len(), 1, "one holder: {granted:?}");
    // The holder dies: at the lease's end the other connection takes it.
    let other = if holders.contains(&0) { &b } else { &a };
    let other_name = if holders.contains(&0) { "b" } else { "a" };
    assert!(
        !other
            .take_lease(cursor, other_name, until - TimeDelta::nanoseconds(1), until)
            .await
            .unwrap()
    );
    assert!(
        other
            .take_lease(cursor, other_name, until, until + TimeDelta::minutes(2))
            .await
            .unwrap()
    );
    schema.drop_all().await;
}

/// The main job on the PostgreSQL store, and the operator's view of it: the same
/// pages and counts as the engine's own memory store gives for the same world.
#[tokio::test]
async fn the_engine_carries_the_main_job_on_postgres_and_the_operator_view_reads_it() {
    let Some(url) =
        database_url("the_engine_carries_the_main_job_on_postgres_and_the_operator_view_reads_it")
    else {
        return;
    };
    let schema = Schema::new(&url, "engine").await;
    let on_postgres: Arc<dyn OrderStore> = Arc::new(schema.store().await);
    let in_memory: Arc<dyn OrderStore> = Arc::new(avc_order_sync::MemoryStore::new());
    let mut views = Vec::new();
    for store in [on_postgres, in_memory] {
        let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        netsuite.set_item_catalogue(orders::netsuite_items());
        for i in 0..5u64 {
            let placed = start - TimeDelta::minutes(50 - 10 * i as i64);
            amazon
                .add_retail_order(orders::retail_order(
                    &orders::purchase_order_number(500 + i),
                    placed,
                    1 + (i as usize) % 3,
                ))
                .unwrap();
            amazon
                .add_df_order(orders::df_order(
                    &orders::purchase_order_number(900 + i),
                    placed,
                    1,
                ))
                .unwrap();
        }
        let engine = Engine::new(
            catalogue_settings(false, true),
            Clients {
                retail: amazon.clone(),
                direct_fulfillment: amazon.clone(),
                netsuite: netsuite.clone(),
            },
            store.clone(),
            Arc::new(clock.clone()),
        )
        .with_config(EngineConfig {
            first_lookback: Duration::from_secs(24 * 3600),
            retrieval_lease: Some(Duration::from_secs(600)),
            shared_rate_budget: true,
            ..EngineConfig::default()
        });
        for round in 0..12 {
            if round == 2 {
                // Two of the five retail POs approved; the rest wait.
                for i in 0..2u64 {
                    let number = orders::purchase_order_number(500 + i);
                    let id = avc_order_sync::external_id(
                        Program::RetailProcurement,
                        &avc_order_sync::PurchaseOrderNumber::new(&number).unwrap(),
                    );
                    netsuite.approve(&id).unwrap();
                }
            }
            let report = engine.run_cycle().await.unwrap();
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            clock.advance(Duration::from_secs(300));
        }
        for i in 0..5u64 {
            let number = orders::purchase_order_number(900 + i);
            assert_eq!(amazon.acknowledgement_count(&number), 1, "{number}");
        }
        let counts = store.counts().await.unwrap();
        assert_eq!(counts.get(&StateKind::ExpectApproval), Some(&3));
        let mut pages: Vec<(Vec<_>, _)> = Vec::new();
        for group in [
            StatusGroup::All,
            StatusGroup::Open,
            StatusGroup::WaitingForApproval,
        ] {
            let filter = OrderFilter::group(group);
            let mut page = PageRequest::first(3);
            loop {
                let found = engine.orders(&filter, &page).await.unwrap();
                let next = found.next.clone();
                // NetSuite's ids follow the order the creates happened to run in.
                let listed: Vec<_> = found
                    .orders
                    .iter()
                    .map(|o| {
                        (
                            o.key.clone(),
                            o.state,
                            o.status.clone(),
                            o.created_at,
                            o.changed_at,
                        )
                    })
                    .collect();
                pages.push((listed, next.clone()));
                match next {
                    Some(after) => {
                        page = PageRequest {
                            limit: 3,
                            after: Some(after),
                        }
                    }
                    None => break,
                }
            }
        }
        views.push((
            counts,
            engine.group_counts().await.unwrap(),
            format!("{pages:?}"),
        ));
    }
    assert_eq!(views[0], views[1], "PostgreSQL and memory give one view");
    schema.drop_all().await;
}
