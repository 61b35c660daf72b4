//! The engine's observer on `tracing`: every transition, call and notice becomes a
//! `tracing` event, so it reaches whatever subscriber the integrator runs (here the
//! plain `fmt` one, on standard output).
//!
//! What concerns an order is recorded in a span with the order's key as a field
//! (`order{key=RP 4Z32PABC}`), so a subscriber can filter or group by it; calls to
//! Amazon and NetSuite belong to no order and carry the operation's name. Nothing
//! recorded carries personal data: the observer is never shown a ship-to name,
//! address or phone, and records only the key, the states, the operation, the error's
//! classification and message, and the notice.
//!
//! A small world over the built-in simulators runs a few cycles: Direct Fulfillment
//! orders acknowledged on receipt, retail orders approved by a reviewer, one order
//! whose product nobody mapped, and one NetSuite call that fails once.
//!
//! Run it with `cargo run --example tracing_observer`.

use std::time::Duration;

use avc_order_sync::lifecycle::{EventKind, Notice, StateKind};
use avc_order_sync::testing::orders::{self, RetailLine, RetailOrderBuilder};
use avc_order_sync::testing::{NetSuiteOperation, World, catalogue_settings};
use avc_order_sync::{ClientError, Observer, OrderKey, Program, PurchaseOrderNumber, SkippedSpan};
use chrono::TimeDelta;
use tracing::{Level, debug, info, info_span, warn};

type Error = Box<dyn std::error::Error>;

/// Forwards everything the engine shows its observer to `tracing`.
struct TracingObserver;

impl Observer for TracingObserver {
    fn transition(&self, key: &OrderKey, event: EventKind, from: StateKind, to: StateKind) {
        let span = info_span!("order", key = %key);
        let _order = span.enter();
        info!(?event, ?from, ?to, "transition");
    }

    fn call(&self, operation: &str, elapsed: Duration, outcome: Result<(), &ClientError>) {
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(()) => debug!(operation, elapsed_ms, "call"),
            Err(error) => warn!(
                operation,
                elapsed_ms,
                kind = %error.kind,
                %error,
                "call failed"
            ),
        }
    }

    fn notice(&self, key: &OrderKey, notice: &Notice) {
        let span = info_span!("order", key = %key);
        let _order = span.enter();
        warn!(kind = notice.slug(), "{notice}");
    }

    fn skipped(&self, span: &SkippedSpan) {
        warn!(%span, "orders not retrieved; look for them in Vendor Central");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_max_level(Level::DEBUG)
        .with_target(false)
        // The world runs on a simulated clock: the wall clock's time would mislead.
        .without_time()
        .init();

    let mut world = World::new(catalogue_settings(false, true));
    world.engine = world
        .another_engine()
        .with_observer(std::sync::Arc::new(TracingObserver));
    let placed = world.now() - TimeDelta::minutes(30);
    let retail: Vec<String> = (0..2)
        .map(|i| orders::purchase_order_number(30 + i))
        .collect();
    for number in &retail {
        world
            .amazon
            .add_retail_order(orders::retail_order(number, placed, 2))?;
    }
    for i in 0..2 {
        let number = orders::purchase_order_number(40 + i);
        world
            .amazon
            .add_df_order(orders::df_order(&number, placed, 1))?;
    }
    world.amazon.add_retail_order(
        RetailOrderBuilder::new(&orders::purchase_order_number(50), placed)
            .line(RetailLine::eaches("B0NEWITEM1", "NEW-SKU-2026", 12, "7.25"))
            .build(),
    )?;
    world
        .netsuite
        .fail_next(NetSuiteOperation::UpsertSalesOrder, 1);

    for cycle in 0..8 {
        // The reviewer approves the retail sales orders NetSuite holds by then.
        if cycle == 2 {
            for number in &retail {
                let external = avc_order_sync::external_id(
                    Program::RetailProcurement,
                    &PurchaseOrderNumber::new(number.as_str())?,
                );
                if world.netsuite.snapshot(&external).is_some() {
                    world.netsuite.approve(&external)?;
                }
            }
        }
        let report = world.run_cycle().await?;
        info!(
            new_orders = report.new_orders,
            calls = report.total_calls(),
            "cycle done"
        );
        world.advance(Duration::from_secs(300));
    }
    Ok(())
}
