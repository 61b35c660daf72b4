//! The engine's state in a database: [`SqliteStore`], an [`OrderStore`] on SQLite, as
//! the model for an integrator's own store (the store itself is in
//! `examples/sqlite_store/store.rs`).
//!
//! The demonstration runs the main job on the built-in simulators with the store in a
//! temporary file: orders arrive, sales orders are created, a reviewer approves them,
//! the acknowledgements go to Amazon. Halfway, the engine and its store are dropped and
//! opened again on the same file, as after a restart: the run goes on from what the
//! file holds. Then two handles on the file show the compare-and-set that keeps two
//! workers from acting twice on one order.
//!
//! Run it with `cargo run --example sqlite_store`.

#[path = "sqlite_store/store.rs"]
mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral, catalogue_settings, orders};
use avc_order_sync::{Clients, Engine, EngineConfig, write_table};
use avc_order_sync::{Clock, Program, PurchaseOrderNumber};
use avc_order_sync::{OrderKey, OrderStore, StoreError};
use chrono::{DateTime, TimeDelta, Utc};

pub use store::SqliteStore;

type Error = Box<dyn std::error::Error>;

/// A database file in the temporary directory, removed (with its WAL and shared-memory
/// files) when dropped.
struct TempDatabase(PathBuf);

impl TempDatabase {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        TempDatabase(std::env::temp_dir().join(format!(
            "avc-order-sync-example-{}-{nanos}.sqlite",
            std::process::id()
        )))
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

fn engine(
    store: Arc<SqliteStore>,
    amazon: &Arc<VendorCentral>,
    netsuite: &Arc<NetSuite>,
    clock: &ManualClock,
) -> Engine {
    Engine::new(
        catalogue_settings(false, true),
        Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon.clone(),
            netsuite: netsuite.clone(),
        },
        store,
        Arc::new(clock.clone()),
    )
    .with_config(EngineConfig {
        first_lookback: Duration::from_secs(24 * 3600),
        ..EngineConfig::default()
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let database = TempDatabase::new();
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse()?;
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());

    // Six retail POs for a reviewer, four Direct Fulfillment orders acknowledged
    // automatically.
    let retail: Vec<String> = (0..6)
        .map(|i| orders::purchase_order_number(300 + i))
        .collect();
    for (i, number) in retail.iter().enumerate() {
        let placed = start - TimeDelta::minutes(90 - 10 * i as i64);
        amazon.add_retail_order(orders::retail_order(number, placed, 1 + i % 3))?;
    }
    for i in 0..4u64 {
        let number = orders::purchase_order_number(700 + i);
        let placed = start - TimeDelta::minutes(60 - 5 * i as i64);
        amazon.add_df_order(orders::df_order(&number, placed, 1 + (i as usize) % 2))?;
    }

    println!("store: {}", database.0.display());
    let store = Arc::new(SqliteStore::open(&database.0)?);
    let first = engine(store, &amazon, &netsuite, &clock);
    for _ in 0..3 {
        let report = first.run_cycle().await?;
        println!(
            "cycle at {}: {} new, {} orders touched",
            clock.now().format("%H:%M"),
            report.new_orders,
            report.orders.len()
        );
        clock.advance(Duration::from_secs(120));
    }

    // The reviewer approves every sales order; then the process "restarts": the engine
    // and the store are dropped and the file is opened again.
    for number in &retail {
        let external_id = avc_order_sync::external_id(
            Program::RetailProcurement,
            &PurchaseOrderNumber::new(number)?,
        );
        netsuite.approve(&external_id)?;
    }
    drop(first);
    println!("restart: the engine is rebuilt from the file");
    let store = Arc::new(SqliteStore::open(&database.0)?);
    let second = engine(store.clone(), &amazon, &netsuite, &clock);
    let mut quiet = 0;
    for _ in 0..30 {
        let report = second.run_cycle().await?;
        if !report.is_quiet() {
            println!(
                "cycle at {}: {} orders touched, {} errors",
                clock.now().format("%H:%M"),
                report.orders.len(),
                report.errors.len()
            );
        }
        quiet = if report.is_quiet() { quiet + 1 } else { 0 };
        if quiet >= 2 {
            break;
        }
        clock.advance(Duration::from_secs(5 * 60));
    }

    let mut table = String::new();
    write_table(&mut table, &second.status_table().await?)?;
    println!("\n{table}");
    let acknowledged = retail
        .iter()
        .filter(|n| amazon.acknowledgement_count(n) == 1)
        .count();
    println!(
        "{acknowledged} of {} retail POs acknowledged once each; {} sales orders in NetSuite",
        retail.len(),
        netsuite.record_count()
    );

    // Two handles on the same file, as two workers: both read version n, the first
    // save wins, the second is refused and nothing it wrote is kept.
    let other = SqliteStore::open(&database.0)?;
    let key = OrderKey {
        program: Program::RetailProcurement,
        number: PurchaseOrderNumber::new(&retail[0])?,
    };
    let read = store
        .load(&key)
        .await?
        .ok_or("the first PO is not stored")?;
    let won = store
        .save(&key, &read.record, None, None, Some(read.version))
        .await?;
    match other
        .save(&key, &read.record, None, None, Some(read.version))
        .await
    {
        Err(StoreError::Conflict {
            expected, found, ..
        }) => println!(
            "stale save refused: expected version {expected:?}, found {found:?} (the winner wrote {won})"
        ),
        Err(e) => return Err(e.into()),
        Ok(v) => return Err(format!("a stale save was accepted as version {v}").into()),
    }
    Ok(())
}
