//! The main job, end to end, on the built-in Vendor Central and NetSuite simulators.
//!
//! Amazon holds 22 Retail Procurement POs and 20 Direct Fulfillment orders. Auto
//! acknowledgement is on for Direct Fulfillment and off for Retail Procurement, so the
//! retail orders wait in NetSuite for a reviewer, who approves most of them, lowers a
//! quantity on one and leaves one pending. Amazon changes one PO before it is
//! approved, rejects one acknowledgement (it lowered a cost while the acknowledgement
//! was on its way), which is reposted once the new cost is in NetSuite, and one PO
//! carries an item
//! nobody mapped. One PO was placed 21 hours ago, so the sync warns that its
//! acknowledgement deadline is near before the reviewer approves it in time, and
//! Amazon records one acknowledgement a unit short of what was sent, which the
//! reconciliation reports as drift. Every notice is printed as it is raised. Cycles run on a simulated clock until nothing is due; each cycle's
//! report is printed, then every order's status.
//!
//! Run it with `cargo run --example quickstart`.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::lifecycle::{Notice, StateKind};
use avc_order_sync::testing::orders::{self, RetailLine, RetailOrderBuilder};
use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral, catalogue_settings};
use avc_order_sync::{Clients, CycleReport, Engine, EngineConfig, OperatorAction, write_table};
use avc_order_sync::{Clock, ItemSequenceNumber, Program, PurchaseOrderNumber};
use avc_order_sync::{MemoryStore, Observer, OrderKey, OrderStore};
use chrono::{DateTime, TimeDelta, Utc};

type Error = Box<dyn std::error::Error>;

fn key(program: Program, number: &str) -> Result<OrderKey, Error> {
    Ok(OrderKey {
        program,
        number: PurchaseOrderNumber::new(number)?,
    })
}

/// Prints every notice as it is raised: an alert a person would get.
struct PrintNotices;

impl Observer for PrintNotices {
    fn notice(&self, key: &OrderKey, notice: &Notice) {
        println!("notice for {key} [{}]: {notice}", notice.slug());
    }
}

fn print(report: &CycleReport) {
    if !report.is_quiet() || !report.errors.is_empty() {
        println!("{report}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse()?;
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    amazon.set_processing_time(Duration::from_secs(120));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());

    // Amazon's orders, placed over the last hours.
    let retail: Vec<String> = (0..21)
        .map(|i| orders::purchase_order_number(100 + i))
        .collect();
    for (i, number) in retail.iter().enumerate() {
        let placed = start - TimeDelta::minutes(300 - 10 * i as i64);
        amazon.add_retail_order(orders::retail_order(number, placed, 1 + i % 4))?;
    }
    // Placed 21 hours ago: its 24-hour deadline is 3 hours away, inside the warning.
    let late = "9LATEPO1".to_owned();
    amazon.add_retail_order(orders::retail_order(&late, start - TimeDelta::hours(21), 2))?;
    // Amazon will record this one's acknowledgement a unit short.
    let drifting = retail[5].clone();
    amazon.record_next_acknowledgement_short(&drifting);
    let unmapped = "7UNMAPD1".to_owned();
    amazon.add_retail_order(
        RetailOrderBuilder::new(&unmapped, start - TimeDelta::minutes(45))
            .line(RetailLine::product(&orders::PRODUCTS[0], 2))
            .line(RetailLine::eaches("B0NEWITEM1", "NEW-SKU-2026", 12, "7.25"))
            .build(),
    )?;
    for i in 0..20u64 {
        let number = orders::purchase_order_number(900 + i);
        let placed = start - TimeDelta::minutes(200 - 7 * i as i64);
        amazon.add_df_order(orders::df_order(&number, placed, 1 + (i as usize) % 3))?;
    }

    let settings = catalogue_settings(false, true);
    let config = EngineConfig {
        first_lookback: Duration::from_secs(24 * 3600),
        ..EngineConfig::default()
    };
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(
        settings,
        Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon.clone(),
            netsuite: netsuite.clone(),
        },
        store.clone(),
        Arc::new(clock.clone()),
    )
    .with_config(config)
    .with_observer(Arc::new(PrintNotices));

    let pending = &retail[0];
    let lowered = &retail[1];
    let changed = &retail[2];
    let rejected = &retail[3];
    let external = |number: &str| -> Result<_, Error> {
        Ok(avc_order_sync::external_id(
            Program::RetailProcurement,
            &PurchaseOrderNumber::new(number)?,
        ))
    };
    let first_line = ItemSequenceNumber::new("1")?;

    let rejected_key = key(Program::RetailProcurement, rejected)?;
    let mut cost_lowered = false;
    let mut quiet = 0;
    for cycle in 1..=60 {
        println!("--- cycle {cycle} at {}", clock.now().to_rfc3339());
        let report = engine.run_cycle().await?;
        print(&report);

        match cycle {
            // The reviewer approves one order first, so its acknowledgement goes out
            // in a request of its own (Amazon judges a request as a whole).
            1 => netsuite.approve(&external(rejected)?)?,
            // Then goes through the other new sales orders: approves all but one,
            // lowering a quantity on another; Amazon changes one PO before review.
            2 => {
                for number in &retail {
                    if number == pending || number == changed || number == rejected {
                        continue;
                    }
                    if number == lowered {
                        // One case fewer on the first line: Amazon takes whole cases.
                        let po = amazon
                            .retail_order(number)
                            .ok_or("the lowered PO is not at Amazon")?
                            .to_purchase_order()?;
                        let line = po.lines.first().ok_or("the lowered PO has no line")?;
                        let eaches = line.ordered.eaches().unwrap_or(0);
                        let lower = eaches.saturating_sub(line.ordered.unit_size);
                        println!("reviewer lowers {number} line 1 from {eaches} to {lower} eaches");
                        netsuite.set_line_quantity(&external(number)?, &first_line, lower)?;
                    }
                    netsuite.approve(&external(number)?)?;
                }
                amazon.set_retail_quantity(changed, "1", 1)?;
            }
            // The late order, warned in the first cycle, is approved in time.
            3 => netsuite.approve(&external(&late)?)?,
            // The changed order is approved a little later.
            4 => netsuite.approve(&external(changed)?)?,
            _ => {}
        }

        // Amazon lowers a cost of the approved order while its acknowledgement is on
        // its way: the acknowledgement's cost is now above the PO's, and Amazon rejects
        // it. The engine brings Amazon's new cost to the sales order.
        let waiting_for_amazon = store.load(&rejected_key).await?.is_some_and(|s| {
            s.record.state().kind() == StateKind::ExpectAcknowledgementConfirmation
        });
        if waiting_for_amazon && !cost_lowered {
            let po = amazon
                .retail_order(rejected)
                .ok_or("the rejected PO is not at Amazon")?
                .to_purchase_order()?;
            let line = po.lines.first().ok_or("the rejected PO has no line")?;
            let lower = line.net_cost.money.amount().checked_sub(&"1.00".parse()?)?;
            println!(
                "Amazon lowers {rejected} line 1's cost to {lower} while the acknowledgement is out"
            );
            amazon.set_retail_net_cost(rejected, "1", &lower.to_string())?;
            cost_lowered = true;
        }

        // Once Amazon's rejection is in, the order is reposted: the sales order holds
        // Amazon's new cost by then.
        if report
            .orders
            .iter()
            .any(|l| l.key == rejected_key && l.state == StateKind::ExpectRepost)
        {
            println!("reposting {rejected}");
            print(&engine.act(&rejected_key, OperatorAction::Repost).await?);
        }

        quiet = if report.is_quiet() { quiet + 1 } else { 0 };
        let next = report
            .next_wakeup
            .map_or(Duration::from_secs(300), |at| {
                (at - clock.now()).to_std().unwrap_or_default()
            })
            .clamp(Duration::from_secs(60), Duration::from_secs(300));
        if quiet >= 3 && cycle > 6 {
            break;
        }
        clock.advance(next);
    }

    println!("\nfinal status of every order:");
    let table = engine.status_table().await?;
    let mut out = String::new();
    write_table(&mut out, &table)?;
    print!("{out}");
    let count = |status: &str| table.iter().filter(|l| l.status == status).count();
    println!(
        "\n{} orders: {} awaiting shipment, {} waiting for approval, {} needing attention",
        table.len(),
        count("Order posted, awaiting shipment"),
        count("Waiting for approval"),
        table
            .iter()
            .filter(|l| l.status.starts_with("Error"))
            .count(),
    );
    let drift_key = key(Program::RetailProcurement, &drifting)?;
    if let Some(view) = engine.order(&drift_key).await? {
        match view.reconciliation {
            Some(r) if !r.drift.is_empty() => {
                let lines: Vec<String> = r.drift.iter().map(ToString::to_string).collect();
                println!(
                    "{drifting}: Amazon recorded v{} differently: {}",
                    r.version.0,
                    lines.join("; ")
                );
            }
            other => println!("{drifting}: no drift found ({other:?})"),
        }
    }
    let reposted = amazon.acknowledgement_count(rejected);
    if let Some(stored) = store.load(&rejected_key).await? {
        let mut path: Vec<&str> = stored
            .record
            .history()
            .iter()
            .map(|h| h.to.connector_status())
            .collect();
        path.dedup();
        println!(
            "{rejected} ({reposted} acknowledgements at Amazon): {}",
            path.join(" -> ")
        );
    }
    Ok(())
}
