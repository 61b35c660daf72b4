//! Freshness: how soon after Amazon lists a PO its sales order exists, and how soon
//! after a reviewer approves it the acknowledgement goes to Amazon, at a 60-second
//! cycle interval over simulators that take a set latency for every call.
//!
//! The clock is the simulators' manual one: each call's latency passes on it as if
//! every call ran one after another, so the figures are an upper bound of what the
//! same latencies give with calls overlapping.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::testing::orders::{self, purchase_order_number};
use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral, catalogue_settings};
use avc_order_sync::{Clients, Clock, Engine, EngineConfig, MemoryStore, Program};
use chrono::{DateTime, TimeDelta, Utc};

/// What the run measured.
pub struct Freshness {
    /// Seconds from Amazon listing a PO to its sales order existing, sorted.
    pub listed_to_sales_order: Vec<f64>,
    /// Seconds from a reviewer's approval to the acknowledgement reaching Amazon,
    /// sorted.
    pub approved_to_acknowledged: Vec<f64>,
    /// The calls of each idle cycle after the last order settled.
    pub idle_calls: Vec<u64>,
}

/// The value at `p` (0 to 1) of sorted `values`: the smallest at or above that share.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

struct Pending {
    program: Program,
    listed: DateTime<Utc>,
    sales_order: Option<DateTime<Utc>>,
    approved: Option<DateTime<Utc>>,
    acknowledged: Option<DateTime<Utc>>,
}

/// Runs `orders` POs (half retail for review, approved five minutes after their
/// sales order appears; half Direct Fulfillment on automatic acknowledgement),
/// arriving evenly over two hours, with Amazon answering in `amazon` and NetSuite in
/// `netsuite`, a cycle every `interval`.
pub async fn run(
    orders: usize,
    amazon_latency: Duration,
    netsuite_latency: Duration,
    interval: Duration,
) -> Freshness {
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().expect("valid");
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    amazon.set_latency(amazon_latency);
    netsuite.set_latency(netsuite_latency);
    netsuite.set_concurrency_limit(Some(5));
    let engine = Engine::new(
        catalogue_settings(false, true),
        Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon.clone(),
            netsuite: netsuite.clone(),
        },
        Arc::new(MemoryStore::new()),
        Arc::new(clock.clone()),
    )
    .with_config(EngineConfig {
        first_lookback: Duration::from_secs(3600),
        ..EngineConfig::default()
    });
    let span = TimeDelta::hours(2);
    let arrivals: Vec<(DateTime<Utc>, Program, String)> = (0..orders)
        .map(|i| {
            let at = start + TimeDelta::seconds(30) + span * i as i32 / orders.max(1) as i32;
            let program = if i % 2 == 0 {
                Program::RetailProcurement
            } else {
                Program::DirectFulfillment
            };
            (at, program, purchase_order_number(30_000_000 + i as u64))
        })
        .collect();
    let mut next = 0;
    let mut pending: BTreeMap<String, Pending> = BTreeMap::new();
    let mut idle_calls = Vec::new();
    for _ in 0..10_000 {
        let cycle_start = clock.now();
        // Amazon lists what arrived since the last cycle, at its arrival time.
        while next < arrivals.len() && arrivals[next].0 <= cycle_start {
            let (at, program, number) = &arrivals[next];
            match program {
                Program::RetailProcurement => amazon
                    .add_retail_order(orders::retail_order(number, *at, 2))
                    .expect("unique numbers"),
                Program::DirectFulfillment => amazon
                    .add_df_order(orders::df_order(number, *at, 2))
                    .expect("unique numbers"),
            }
            pending.insert(
                number.clone(),
                Pending {
                    program: *program,
                    listed: *at,
                    sales_order: None,
                    approved: None,
                    acknowledged: None,
                },
            );
            next += 1;
        }
        let calls_before = amazon.total_calls() + netsuite.total_calls();
        let report = engine
            .run_cycle()
            .await
            .expect("the memory store never fails");
        let now = clock.now();
        for (number, p) in pending.iter_mut() {
            let external = avc_order_sync::external_id(
                p.program,
                &avc_order_sync::PurchaseOrderNumber::new(number).expect("valid"),
            );
            if p.sales_order.is_none() && netsuite.snapshot(&external).is_some() {
                p.sales_order = Some(now);
            }
            if p.approved.is_some()
                && p.acknowledged.is_none()
                && amazon.acknowledgement_count(number) > 0
            {
                p.acknowledged = Some(now);
            }
        }
        let all_done = next == arrivals.len()
            && pending.values().all(|p| {
                p.sales_order.is_some()
                    && (p.program == Program::DirectFulfillment || p.acknowledged.is_some())
            });
        if all_done && report.orders.is_empty() {
            idle_calls.push(amazon.total_calls() + netsuite.total_calls() - calls_before);
            if idle_calls.len() == 5 {
                break;
            }
        }
        // The next cycle starts `interval` after this one started, or at once when
        // this one took longer; reviewers approve meanwhile.
        let next_start = cycle_start + TimeDelta::from_std(interval).expect("short");
        let mut t = clock.now();
        for (number, p) in pending.iter_mut() {
            let due = p.sales_order.map(|at| at + TimeDelta::minutes(5));
            if p.program == Program::RetailProcurement
                && p.approved.is_none()
                && due.is_some_and(|d| d <= next_start)
            {
                let at = due.expect("checked").max(t);
                clock.set(at);
                t = at;
                let external = avc_order_sync::external_id(
                    p.program,
                    &avc_order_sync::PurchaseOrderNumber::new(number).expect("valid"),
                );
                netsuite.approve(&external).expect("created");
                p.approved = Some(at);
            }
        }
        if clock.now() < next_start {
            clock.set(next_start);
        }
    }
    let seconds = |d: TimeDelta| d.num_milliseconds() as f64 / 1000.0;
    let mut listed_to_sales_order: Vec<f64> = pending
        .values()
        .filter_map(|p| Some(seconds(p.sales_order? - p.listed)))
        .collect();
    let mut approved_to_acknowledged: Vec<f64> = pending
        .values()
        .filter_map(|p| Some(seconds(p.acknowledged? - p.approved?)))
        .collect();
    assert_eq!(
        listed_to_sales_order.len(),
        orders,
        "every sales order made"
    );
    assert_eq!(
        approved_to_acknowledged.len(),
        orders.div_ceil(2),
        "every approval acknowledged"
    );
    listed_to_sales_order.sort_by(f64::total_cmp);
    approved_to_acknowledged.sort_by(f64::total_cmp);
    Freshness {
        listed_to_sales_order,
        approved_to_acknowledged,
        idle_calls,
    }
}
