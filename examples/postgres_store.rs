//! The engine's state on a database server: [`PostgresStore`], an [`OrderStore`] on
//! PostgreSQL for several workers sharing one database, as the model for an
//! integrator's own store (the store itself is in `examples/postgres_store/store.rs`).
//!
//! The demonstration needs a PostgreSQL database: it reads its URL from
//! `AVC_POSTGRES_URL` (`postgres://user:password@127.0.0.1:5432/database`) and works in
//! a schema of its own, dropped at the end. Two engines, as two replicas of the
//! service, share the store on the built-in simulators, with the retrieval leases and
//! the shared rate budget on: orders arrive, one worker lists them while the other
//! skips the listings it does not hold, both execute what is due, a reviewer approves,
//! and every order is acknowledged once. Then two handles show the compare-and-set
//! that keeps two workers from acting twice on one order.
//!
//! Run it with `AVC_POSTGRES_URL=… cargo run --example postgres_store`
//! (`source .ci/postgres.sh` starts a throwaway server and sets the variable).

#[path = "postgres_store/store.rs"]
mod store;

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral, catalogue_settings, orders};
use avc_order_sync::{Clients, Engine, EngineConfig, write_table};
use avc_order_sync::{Clock, Program, PurchaseOrderNumber};
use avc_order_sync::{OrderKey, OrderStore, StoreError};
use chrono::{DateTime, TimeDelta, Utc};

pub use store::PostgresStore;

type Error = Box<dyn std::error::Error>;

fn engine(
    name: &str,
    store: Arc<PostgresStore>,
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
        retrieval_lease: Some(Duration::from_secs(10 * 60)),
        shared_rate_budget: true,
        ..EngineConfig::default()
    })
    .with_worker(name)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let Ok(url) = std::env::var("AVC_POSTGRES_URL") else {
        println!(
            "AVC_POSTGRES_URL is not set: nothing to show (`source .ci/postgres.sh` starts a \
             throwaway PostgreSQL and sets it)"
        );
        return Ok(());
    };
    let mut config: tokio_postgres::Config = url.parse()?;
    // A schema of the demonstration's own, so that it never meets other tables.
    let schema = format!("avc_example_{}", std::process::id());
    let (admin, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    admin
        .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .await?;
    config.options(format!("-c search_path={schema}"));
    let outcome = demonstrate(config).await;
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await?;
    outcome
}

async fn demonstrate(config: tokio_postgres::Config) -> Result<(), Error> {
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse()?;
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    let retail: Vec<String> = (0..4)
        .map(|i| orders::purchase_order_number(400 + i))
        .collect();
    for (i, number) in retail.iter().enumerate() {
        let placed = start - TimeDelta::minutes(60 - 10 * i as i64);
        amazon.add_retail_order(orders::retail_order(number, placed, 1 + i % 3))?;
    }
    for i in 0..3u64 {
        let number = orders::purchase_order_number(800 + i);
        amazon.add_df_order(orders::df_order(&number, start - TimeDelta::minutes(30), 1))?;
    }

    // Two replicas, each with its own connection to the one database.
    let store = Arc::new(PostgresStore::connect(config.clone()).await?);
    let workers = [
        engine("replica-a", store.clone(), &amazon, &netsuite, &clock),
        engine(
            "replica-b",
            Arc::new(PostgresStore::connect(config.clone()).await?),
            &amazon,
            &netsuite,
            &clock,
        ),
    ];
    let mut quiet = 0;
    for round in 0..40 {
        if round == 3 {
            for number in &retail {
                let external_id = avc_order_sync::external_id(
                    Program::RetailProcurement,
                    &PurchaseOrderNumber::new(number)?,
                );
                netsuite.approve(&external_id)?;
            }
            println!("the reviewer approves every retail sales order");
        }
        let mut all_quiet = true;
        for worker in &workers {
            let report = worker.run_cycle().await?;
            if !report.is_quiet() {
                println!(
                    "{} at {}: {} new, {} orders touched, calls {:?}",
                    worker.worker(),
                    clock.now().format("%H:%M"),
                    report.new_orders,
                    report.orders.len(),
                    report.calls,
                );
            }
            all_quiet &= report.is_quiet();
        }
        quiet = if all_quiet { quiet + 1 } else { 0 };
        // Quiet long enough for Amazon to confirm the retail acknowledgements.
        if quiet >= 4 && round > 3 {
            break;
        }
        clock.advance(Duration::from_secs(5 * 60));
    }

    let mut table = String::new();
    write_table(&mut table, &workers[0].status_table().await?)?;
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

    // Two handles, as two workers: both read version n, the first save wins, the
    // second is refused and nothing it wrote is kept.
    let other = PostgresStore::connect(config).await?;
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
