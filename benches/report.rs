//! The performance report: `cargo bench --bench report`.
//!
//! Prints every figure of the README's performance table, each measured in this one
//! run:
//! 1. API calls per order for a 10,000-order workload, against the fewest calls any
//!    correct connector needs with the same page and batch sizes (derived in the
//!    README's performance section);
//! 2. the instructions to turn raw Amazon page bytes into NetSuite and
//!    acknowledgement body bytes, against serde_json alone parsing the same input into
//!    a `Value` and writing the same output from one;
//! 3. wall time for 500 orders over simulators that answer after a set latency,
//!    against the bound NetSuite's concurrency limit and Amazon's rate limit set;
//! 4. the engine's instructions per order settling 1,000 new orders into a store of
//!    100,000 settled orders, against the same into an empty store;
//! 5. peak heap for a 10,000-order workload;
//! 6. the cost of one filtered page of 100 ([`Engine::orders`]: the store's query and
//!    the page's loads) from a store of 100,000 orders against one of 1,000;
//! 7. API calls per order of three workers sharing one store (with the retrieval
//!    leases and the shared rate budget) against one worker, on the same orders;
//! 8. the engine's instructions in one idle cycle over 100,000 settled orders, against
//!    one over none;
//! 9. the engine's instructions to take 20 new orders to settled over 100,000 settled
//!    orders, against the same over none;
//! 10. the heap the engine's store holds per settled order;
//! 11. freshness at a 60-second cycle: seconds from a PO being listed to its sales
//!     order, and from a reviewer's approval to the acknowledgement, at the median and
//!     the 99th percentile, and the calls of an idle cycle.
//!
//! Figures 2, 4, 8 and 9 are instruction counts from valgrind's callgrind (the report
//! runs itself again under it, see `support/callgrind.rs`), with the simulators' work
//! taken out (`support/outside.rs`): they repeat run to run whatever else the machine
//! does. The seconds behind 2 and 4 are printed beside them for humans.
//!
//! `AVC_REPORT_QUICK=1` shrinks the workloads (for a smoke run); `AVC_REPORT_ONLY=8,9`
//! runs only those figures; `AVC_REPORT_KEEP=1` keeps callgrind's dumps for
//! `callgrind_annotate`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::netsuite::SalesOrderBody;
use avc_order_sync::settings::Settings;
use avc_order_sync::testing::orders::{self, purchase_order_number};
use avc_order_sync::testing::{
    AmazonOperation, ManualClock, NetSuite, NetSuiteOperation, VendorCentral, catalogue_settings,
};
use avc_order_sync::{
    Acknowledgement, Clock, ItemSequenceNumber, Program, PurchaseOrder, PurchaseOrderNumber,
    SalesOrderStatus,
};
use avc_order_sync::{Clients, Engine, EngineConfig, OperatorAction};
use avc_order_sync::{MemoryStore, OrderKey, OrderStore, PageRequest};
use chrono::{DateTime, TimeDelta, Utc};

#[path = "support/view.rs"]
mod view;

#[path = "support/callgrind.rs"]
mod callgrind;
#[path = "support/freshness.rs"]
mod freshness;
#[path = "support/outside.rs"]
mod outside;
#[path = "support/steady.rs"]
mod steady;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are
// plain atomics and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on to `System`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on to `System`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn quick() -> bool {
    std::env::var_os("AVC_REPORT_QUICK").is_some()
}

/// `AVC_REPORT_ONLY=3` (or `1,4`) runs only those figures.
fn wanted(figure: u8) -> bool {
    std::env::var("AVC_REPORT_ONLY").map_or(true, |only| {
        only.split(',').any(|f| f.trim() == figure.to_string())
    })
}

// ---------------------------------------------------------------------------------
// The workload: a realistic mix on the simulators
// ---------------------------------------------------------------------------------

/// What the workload did, for the floor.
#[derive(Debug, Default)]
struct Workload {
    retail: usize,
    direct_fulfillment: usize,
    cycles: usize,
    changed_before_approval: usize,
    /// Retail approvals, by the wave (cycle) they came in.
    approval_waves: Vec<usize>,
    reposts: usize,
    engine_calls: u64,
    /// The deep sweeps' calls, counted in `engine_calls` too.
    sweep_calls: u64,
    floor: u64,
    confirmed: usize,
    cpu: Duration,
}

/// A clock on real time, sleeping on tokio's timer: for the latency run.
struct TokioClock;

#[async_trait]
impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from(std::time::SystemTime::now())
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

fn ext(program: Program, number: &str) -> avc_order_sync::ExternalId {
    avc_order_sync::external_id(
        program,
        &PurchaseOrderNumber::new(number).expect("generated numbers are valid"),
    )
}

fn key(program: Program, number: &str) -> OrderKey {
    OrderKey {
        program,
        number: PurchaseOrderNumber::new(number).expect("generated numbers are valid"),
    }
}

struct World {
    clock: Arc<dyn Clock>,
    manual: Option<ManualClock>,
    amazon: Arc<VendorCentral>,
    netsuite: Arc<NetSuite>,
    engine: Engine,
    retail: Vec<String>,
    direct_fulfillment: usize,
}

fn world(orders: usize, start: DateTime<Utc>, latency: bool) -> World {
    let manual = ManualClock::new(start);
    let clock: Arc<dyn Clock> = if latency {
        Arc::new(TokioClock)
    } else {
        Arc::new(manual.clone())
    };
    let amazon = Arc::new(VendorCentral::with_clock(clock.clone()));
    let netsuite = Arc::new(NetSuite::with_clock(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    let mut config = EngineConfig {
        first_lookback: Duration::from_secs(2 * 24 * 3600),
        due_batch: usize::MAX,
        ..EngineConfig::default()
    };
    if latency {
        amazon.set_latency(Duration::from_millis(10));
        amazon.set_processing_time(Duration::from_millis(50));
        netsuite.set_latency(Duration::from_millis(20));
        netsuite.set_concurrency_limit(Some(5));
        config.processing_confirms_after = Duration::from_millis(100);
        config.retry.first_check = Duration::from_millis(100);
        config.retry.max_check_interval = Duration::from_millis(400);
    } else {
        amazon.set_rate_limits_enabled(false);
    }
    let retail_count = orders / 2;
    let df_count = orders - retail_count;
    let mut retail = Vec::with_capacity(retail_count);
    let placed = |i: usize, n: usize| {
        start - TimeDelta::seconds(36 * 3600 * (n - i) as i64 / n.max(1) as i64 + 60)
    };
    for i in 0..retail_count {
        let number = purchase_order_number(i as u64);
        amazon
            .add_retail_order(orders::retail_order(
                &number,
                placed(i, retail_count),
                1 + i % 4,
            ))
            .expect("unique numbers");
        retail.push(number);
    }
    for i in 0..df_count {
        let number = purchase_order_number(10_000_000 + i as u64);
        amazon
            .add_df_order(orders::df_order(&number, placed(i, df_count), 1 + i % 3))
            .expect("unique numbers");
    }
    let settings: Settings = catalogue_settings(false, true);
    let engine = Engine::new(
        settings,
        Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon.clone(),
            netsuite: netsuite.clone(),
        },
        Arc::new(MemoryStore::new()),
        clock.clone(),
    )
    .with_config(config);
    World {
        clock,
        manual: (!latency).then_some(manual),
        amazon,
        netsuite,
        engine,
        retail,
        direct_fulfillment: df_count,
    }
}

fn div_ceil(a: usize, b: usize) -> u64 {
    a.div_ceil(b) as u64
}

/// Runs the mix: retail orders wait for review (90 % approved after the first cycle,
/// one in ten of those with a case fewer, 2 % changed by Amazon before approval, the
/// rest approved two cycles later); Direct Fulfillment is acknowledged automatically;
/// 0.5 % of the retail acknowledgements are rejected by Amazon (it cancels a line
/// while the acknowledgement is on its way), fixed and reposted.
async fn run(world: &World, wall: &mut Vec<(Duration, u64, u64)>) -> Workload {
    let mut w = Workload {
        retail: world.retail.len(),
        direct_fulfillment: 0,
        ..Workload::default()
    };
    w.direct_fulfillment = world.direct_fulfillment;
    let n = world.retail.len();
    let rejected: Vec<&String> = world.retail.iter().skip(1).step_by(200).collect();
    let changed: Vec<&String> = world.retail.iter().skip(7).step_by(50).collect();
    let late: Vec<&String> = world.retail.iter().skip(3).step_by(10).collect();
    let first_line = ItemSequenceNumber::new("1").expect("valid");
    let mut quiet = 0;
    let began = world.clock.now();
    let mut last_cycle = began;
    let cpu = Instant::now();
    let mut idle = Duration::ZERO;
    for cycle in 1..=80 {
        let (ns_before, az_before) = (world.netsuite.total_calls(), world.amazon.total_calls());
        last_cycle = world.clock.now();
        let started = Instant::now();
        let report = world
            .engine
            .run_cycle()
            .await
            .expect("the memory store never fails");
        w.sweep_calls += report.sweep_calls;
        wall.push((
            started.elapsed(),
            world.netsuite.total_calls() - ns_before,
            world.amazon.total_calls() - az_before,
        ));
        w.cycles += 1;
        if std::env::var_os("AVC_REPORT_DEBUG").is_some() {
            eprintln!(
                "cycle {cycle}: {} calls {:?} failed {:?} errors {:?} counts {:?}",
                report.total_calls(),
                report.calls,
                report.failed_calls,
                report.errors.iter().take(3).collect::<Vec<_>>(),
                report.counts
            );
        }
        let review = Instant::now();
        match cycle {
            1 => {
                let mut wave = 0;
                for (i, number) in world.retail.iter().enumerate() {
                    if late.contains(&number) || changed.contains(&number) {
                        continue;
                    }
                    if i % 10 == 1 {
                        if let Some(po) = world
                            .amazon
                            .retail_order(number)
                            .and_then(|o| o.to_purchase_order().ok())
                        {
                            let line = &po.lines[0];
                            let eaches = line.ordered.eaches().unwrap_or(0);
                            if eaches > line.ordered.unit_size {
                                let _ = world.netsuite.set_line_quantity(
                                    &ext(Program::RetailProcurement, number),
                                    &first_line,
                                    eaches - line.ordered.unit_size,
                                );
                            }
                        }
                    }
                    world
                        .netsuite
                        .approve(&ext(Program::RetailProcurement, number))
                        .expect("created");
                    wave += 1;
                }
                w.approval_waves.push(wave);
                for number in &changed {
                    world
                        .amazon
                        .set_retail_quantity(number, "1", 1)
                        .expect("seeded");
                }
                w.changed_before_approval = changed.len();
            }
            2 => {
                // Acknowledgements of the first wave are on their way.
                for number in &rejected {
                    if !late.contains(number) && !changed.contains(number) {
                        world
                            .amazon
                            .cancel_retail_line(number, "1")
                            .expect("seeded");
                    }
                }
            }
            3 => {
                let mut wave = 0;
                for number in late.iter().chain(changed.iter()) {
                    if world
                        .netsuite
                        .approve(&ext(Program::RetailProcurement, number))
                        .is_ok()
                    {
                        wave += 1;
                    }
                }
                w.approval_waves.push(wave);
            }
            _ => {}
        }
        let mut reposted = 0;
        for line in &report.orders {
            if line.status == "Rejected" && line.key.program == Program::RetailProcurement {
                let number = line.key.number.as_str();
                let _ = world.netsuite.set_line_quantity(
                    &ext(Program::RetailProcurement, number),
                    &first_line,
                    0,
                );
                world
                    .engine
                    .act(
                        &key(Program::RetailProcurement, number),
                        OperatorAction::Repost,
                    )
                    .await
                    .expect("a rejected order can be reposted");
                reposted += 1;
            }
        }
        w.reposts += reposted;
        idle += review.elapsed();
        quiet = if report.orders.is_empty() && reposted == 0 {
            quiet + 1
        } else {
            0
        };
        if quiet >= 2 && cycle > 4 {
            break;
        }
        let step = Duration::from_secs(5 * 60);
        match &world.manual {
            Some(clock) => clock.advance(step),
            // Real time: wait only as long as the shortened processing and checks take.
            None => tokio::time::sleep(Duration::from_millis(150)).await,
        }
    }
    w.cpu = cpu.elapsed().saturating_sub(idle);
    let table = world.engine.status_table().await.expect("memory store");
    w.confirmed = table
        .iter()
        .filter(|l| l.status == "Order posted, awaiting shipment")
        .count();
    w.engine_calls = world.netsuite.total_calls() + world.amazon.total_calls();
    // The floor: what any correct connector needs with pages of 100 and batches of 50.
    let cycles = w.cycles as u64;
    // Direct Fulfillment orders Amazon cancels after they were read are seen only by
    // listing the cancelled ones: once per check interval the cycles span (a page, as
    // none is cancelled here).
    let spanned = (last_cycle - began).to_std().unwrap_or_default();
    let interval = world.engine.config().cancellation_check_interval;
    let cancellation_checks = if interval.is_zero() {
        cycles
    } else {
        (spanned.as_secs_f64() / interval.as_secs_f64()).floor() as u64
    };
    // Each deep sweep run lists both programs' past windows once (a page each here:
    // what it finds is known). The first cycle only starts each sweep's period.
    let config = world.engine.config();
    let sweeps: u64 = config
        .deep_sweeps
        .iter()
        .map(|sweep| {
            let runs = if sweep.every.is_zero() {
                cycles.saturating_sub(1)
            } else {
                (spanned.as_secs_f64() / sweep.every.as_secs_f64()).floor() as u64
            };
            let reach = sweep.lookback.min(config.first_lookback + spanned);
            let windows = (reach.as_secs_f64() / config.max_window.as_secs_f64().max(1.0)).ceil();
            2 * runs * windows as u64
        })
        .sum();
    let lists = 3 * cycles
        + cancellation_checks
        + sweeps
        + (div_ceil(n, 100).max(1) - 1)
        + (div_ceil(w.direct_fulfillment, 100).max(1) - 1)
        + div_ceil(w.changed_before_approval, 100).saturating_sub(1);
    let polls = cycles;
    let creates = (n + w.direct_fulfillment) as u64;
    let approved: usize = w.approval_waves.iter().sum();
    let reads = (approved + w.reposts) as u64;
    let updates = w.changed_before_approval as u64;
    let batches = div_ceil(w.direct_fulfillment, 50)
        + w.approval_waves
            .iter()
            .map(|&a| div_ceil(a, 50))
            .sum::<u64>()
        + div_ceil(w.reposts, 50);
    let checks = batches;
    // Reconciliation: what Amazon recorded of each confirmed acknowledgement, read once
    // (Amazon's status report filters by PO, so one read per order).
    let reconciled = w.confirmed as u64;
    w.floor = lists + polls + creates + reads + updates + batches + checks + reconciled;
    w
}

// ---------------------------------------------------------------------------------
// CPU against serde_json
// ---------------------------------------------------------------------------------

fn retail_page_bytes(orders: usize, lines: usize) -> Vec<u8> {
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().expect("valid");
    let list: Vec<retail::Order> = (0..orders)
        .map(|i| {
            orders::retail_order(
                &purchase_order_number(i as u64),
                start - TimeDelta::minutes(i as i64),
                lines,
            )
        })
        .collect();
    let body = serde_json::json!({"payload": {"pagination": {"nextToken": "MDAwMDAwMDAwMQ=="}, "orders": list}});
    serde_json::to_vec(&body).expect("serializes")
}

fn df_page_bytes(orders: usize, lines: usize) -> Vec<u8> {
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().expect("valid");
    let list: Vec<df::Order> = (0..orders)
        .map(|i| {
            orders::df_order(
                &purchase_order_number(50_000 + i as u64),
                start - TimeDelta::minutes(i as i64),
                lines,
            )
        })
        .collect();
    let body = serde_json::json!({"payload": {"orders": list}});
    serde_json::to_vec(&body).expect("serializes")
}

/// Our path: page bytes to one NetSuite body per order and one acknowledgement body
/// for the page (auto acknowledgement on, as the preview shows).
fn convert(
    bytes: &[u8],
    program: Program,
    settings: &Settings,
    now: DateTime<Utc>,
) -> (Vec<Vec<u8>>, Vec<u8>) {
    let orders: Vec<PurchaseOrder> = match program {
        Program::RetailProcurement => {
            let page: retail::GetPurchaseOrdersResponse =
                serde_json::from_slice(bytes).expect("page");
            page.payload
                .and_then(|p| p.orders)
                .unwrap_or_default()
                .iter()
                .filter_map(|o| o.to_purchase_order().ok())
                .collect()
        }
        Program::DirectFulfillment => {
            let page: df::v1::GetOrdersResponse = serde_json::from_slice(bytes).expect("page");
            page.payload
                .and_then(|p| p.orders)
                .unwrap_or_default()
                .iter()
                .filter_map(|o| o.to_purchase_order().ok())
                .collect()
        }
    };
    let mut bodies = Vec::with_capacity(orders.len());
    let mut retail_acks = Vec::new();
    let mut df_acks = Vec::new();
    for po in &orders {
        let mapped =
            avc_order_sync::sales_order_draft(po, settings, SalesOrderStatus::PendingFulfillment)
                .expect("maps");
        let body = SalesOrderBody::from_draft(&mapped.draft).expect("writable");
        bodies.push(serde_json::to_vec(&body).expect("serializes"));
        match avc_order_sync::auto_acknowledgement(po, &mapped, settings, now) {
            Ok(Acknowledgement::Retail(a)) => retail_acks.push(a),
            Ok(Acknowledgement::DirectFulfillment(a)) => df_acks.push(a),
            _ => {}
        }
    }
    let ack = match program {
        Program::RetailProcurement => serde_json::to_vec(
            &retail::SubmitAcknowledgementRequest::from_domain(&retail_acks),
        ),
        Program::DirectFulfillment => {
            serde_json::to_vec(&df::SubmitAcknowledgementRequest::from_domain(&df_acks))
        }
    }
    .expect("serializes");
    (bodies, ack)
}

fn time<R>(iterations: u32, mut f: impl FnMut() -> R) -> Duration {
    let started = Instant::now();
    for _ in 0..iterations {
        black_box(f());
    }
    started.elapsed() / iterations
}

/// One page of each program, as the CPU figure converts it: the page's bytes, and
/// the bodies our conversion writes, parsed back for serde_json's floor to write.
struct JsonCase {
    program: Program,
    bytes: Vec<u8>,
    settings: Settings,
    now: DateTime<Utc>,
    body_values: Vec<serde_json::Value>,
    ack_value: serde_json::Value,
}

impl JsonCase {
    fn both() -> [JsonCase; 2] {
        let now: DateTime<Utc> = "2026-11-27T09:00:00Z".parse().expect("valid");
        let mut settings = catalogue_settings(true, true);
        settings.auto_acknowledge.retail_procurement = true;
        [
            (Program::RetailProcurement, retail_page_bytes(100, 10)),
            (Program::DirectFulfillment, df_page_bytes(100, 3)),
        ]
        .map(|(program, bytes)| {
            let (bodies, ack) = convert(&bytes, program, &settings, now);
            JsonCase {
                program,
                body_values: bodies
                    .iter()
                    .map(|b| serde_json::from_slice(b).expect("json"))
                    .collect(),
                ack_value: serde_json::from_slice(&ack).expect("json"),
                bytes,
                settings: settings.clone(),
                now,
            }
        })
    }

    fn name(&self) -> &'static str {
        match self.program {
            Program::RetailProcurement => "retail",
            Program::DirectFulfillment => "df",
        }
    }

    /// Our path: bytes to bodies.
    fn ours(&self) -> (Vec<Vec<u8>>, Vec<u8>) {
        convert(&self.bytes, self.program, &self.settings, self.now)
    }

    /// The floor: serde_json parses the same bytes untyped and writes the same bodies.
    fn floor(&self) -> (serde_json::Value, Vec<Vec<u8>>, Vec<u8>) {
        let input: serde_json::Value = serde_json::from_slice(&self.bytes).expect("json");
        let out: Vec<Vec<u8>> = self
            .body_values
            .iter()
            .map(|v| serde_json::to_vec(v).expect("json"))
            .collect();
        (
            input,
            out,
            serde_json::to_vec(&self.ack_value).expect("json"),
        )
    }
}

fn cpu_ratio() -> f64 {
    let iterations = if quick() { 5 } else { 60 };
    let mut ours = Duration::ZERO;
    let mut floor = Duration::ZERO;
    for case in JsonCase::both() {
        // Warm both paths, then time them interleaved.
        black_box(case.ours());
        for _ in 0..3 {
            ours += time(iterations, || case.ours());
            floor += time(iterations, || case.floor());
        }
    }
    ours.as_secs_f64() / floor.as_secs_f64()
}

/// The time of one filtered page from a store of each size, and of the store's query
/// alone: the fastest of many short rounds (the least disturbed by other work on the
/// machine), per page. The stores take turns round by round, so that both see the
/// same machine; rounds alternate the first page and the one after it.
fn page_costs(sizes: [usize; 2]) -> [(Duration, Duration); 2] {
    let worlds = sizes.map(|n| {
        let (engine, store) = view::engine_with_orders(n);
        let filter = view::filter();
        let first = view::first_page();
        let second = PageRequest {
            after: view::ready(engine.orders(&filter, &first))
                .expect("a page")
                .next,
            ..first.clone()
        };
        let pages = [first, second];
        for page in &pages {
            let found = view::ready(engine.orders(&filter, page)).expect("a page");
            assert_eq!(
                found.orders.len(),
                page.limit,
                "a full page from {n} orders"
            );
        }
        (engine, store, filter, pages)
    });
    let rounds = if quick() { 10 } else { 60 };
    let per_round: u32 = 10;
    let mut fastest = [(Duration::MAX, Duration::MAX); 2];
    for round in 0..rounds {
        for ((engine, store, filter, pages), best) in worlds.iter().zip(&mut fastest) {
            let page = &pages[round % 2];
            let started = Instant::now();
            for _ in 0..per_round {
                black_box(view::ready(engine.orders(filter, page)).expect("a page"));
            }
            best.0 = best.0.min(started.elapsed() / per_round);
            let started = Instant::now();
            for _ in 0..per_round {
                black_box(view::ready(store.query(filter, page)).expect("a page"));
            }
            best.1 = best.1.min(started.elapsed() / per_round);
        }
    }
    fastest
}

/// The part of the report a run under callgrind measures (see `callgrind::count`):
/// `json` (our conversion and serde_json's floor), or `steady-N` (settling N orders,
/// then one idle cycle, then 20 new orders to settled).
fn child(part: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().expect("valid");
    if part == "json" {
        // Each side's count includes freeing what it built, as the timed runs always
        // did: our conversion frees its typed page inside, so serde_json's parsed
        // `Value` is freed inside its count too, and each side's output with it.
        for case in JsonCase::both() {
            callgrind::measure(&format!("ours-{}", case.name()), || {
                drop(black_box(case.ours()))
            });
            callgrind::measure(&format!("floor-{}", case.name()), || {
                drop(black_box(case.floor()))
            });
        }
        return;
    }
    let Some(size) = part
        .strip_prefix("steady-")
        .and_then(|n| n.parse::<usize>().ok())
    else {
        panic!("no part {part:?}");
    };
    // The history: up to `REAL_HISTORY` orders settled through the engine, copied
    // under new keys up to `size` (not measured: only what costs on top of it).
    let mut world = steady::Steady::new(size.min(REAL_HISTORY), start);
    runtime.block_on(drain(&mut world));
    runtime.block_on(world.replicate(size));
    runtime.block_on(world.settle());
    let idle = callgrind::measure("idle", || runtime.block_on(world.cycle()));
    assert!(idle.orders.is_empty(), "an idle cycle touches no order");
    world.add_new_orders(NEW_WORK);
    callgrind::measure("new", || runtime.block_on(world.settle()));
    runtime.block_on(drain(&mut world));
    world.add_new_orders(BATCH);
    callgrind::measure("batch", || runtime.block_on(world.settle()));
    runtime.block_on(world.assert_settled());
}

/// Settles every order and what follows (status checks, reconciliation).
async fn drain(world: &mut steady::Steady) {
    world.settle().await;
    world.clock.advance(Duration::from_secs(3 * 3600));
    world.settle().await;
}

/// The orders of the per-order growth figure, settled into an empty store and into
/// a large one.
const BATCH: usize = 1_000;

/// The orders of a count run's history settled through the engine; the rest are
/// copies of them (see `steady::Steady::replicate`).
const REAL_HISTORY: usize = 2_000;

/// The new orders of the new-work figure.
const NEW_WORK: usize = 20;

fn main() {
    if let Ok(part) = std::env::var(callgrind::CHILD) {
        return child(&part);
    }
    // `cargo bench` passes `--bench`; nothing else is taken.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().expect("valid");
    // The instruction counts run as child processes under callgrind, beside the
    // figures measured in this process; the wall-time figure waits for them.
    let counted = wanted(2) || wanted(4) || wanted(8) || wanted(9);
    let large = if quick() { 10_000 } else { 100_000 };
    let counts = counted.then(|| start_counts(large));

    // 1. Calls against the floor (and 5., peak memory, measured in the same run).
    let orders = if quick() { 1_000 } else { 10_000 };
    let mut peak = 0;
    if wanted(1) || wanted(5) {
        // Peak heap above what the seeded world holds: the engine's store and working
        // set, plus what the simulators keep of the work done (sales orders, received
        // acknowledgements).
        let w = world(orders, start, false);
        let baseline = LIVE.load(Ordering::Relaxed);
        PEAK.store(baseline, Ordering::Relaxed);
        let workload = runtime.block_on(run(&w, &mut Vec::new()));
        peak = PEAK.load(Ordering::Relaxed).saturating_sub(baseline);
        let total = (workload.retail + workload.direct_fulfillment) as f64;
        println!(
            "api calls per order: {:.3}, floor {:.3}, ratio {:.3} (deep sweeps: {} calls)",
            workload.engine_calls as f64 / total,
            workload.floor as f64 / total,
            workload.engine_calls as f64 / workload.floor as f64,
            workload.sweep_calls
        );
        eprintln!(
            "  ({} orders, {} cycles, {} engine calls of which {} by the deep sweeps, floor {}, {} awaiting shipment, {} reposted)",
            total,
            workload.cycles,
            workload.engine_calls,
            workload.sweep_calls,
            workload.floor,
            workload.confirmed,
            workload.reposts
        );
        if std::env::var_os("AVC_REPORT_MEMORY").is_some() {
            // Where the retained heap is: the engine's store, or the simulators.
            let World {
                engine,
                amazon,
                netsuite,
                ..
            } = w;
            let before = LIVE.load(Ordering::Relaxed);
            drop(engine);
            let after_engine = LIVE.load(Ordering::Relaxed);
            drop(amazon);
            let after_amazon = LIVE.load(Ordering::Relaxed);
            drop(netsuite);
            let after_netsuite = LIVE.load(Ordering::Relaxed);
            eprintln!(
                "  retained per order: engine and store {} B, Amazon simulator {} B, NetSuite simulator {} B",
                before.saturating_sub(after_engine) / orders,
                after_engine.saturating_sub(after_amazon) / orders,
                after_amazon.saturating_sub(after_netsuite) / orders
            );
            return;
        }
        for op in AmazonOperation::ALL {
            eprintln!("  {op:?}: {}", w.amazon.calls(op));
        }
        for op in NetSuiteOperation::ALL {
            eprintln!("  {op:?}: {}", w.netsuite.calls(op));
        }
        drop(w);
    }

    // 2. CPU against serde_json, in seconds (for humans; the figure is counted).
    let cpu_seconds = wanted(2).then(cpu_ratio);

    // 4. Per-order cost growth, in seconds (for humans; the figure is counted).
    if wanted(4) {
        let (small, large) = if quick() {
            (1_000, 10_000)
        } else {
            (1_000, 100_000)
        };
        let per_order = |n: usize| {
            let w = world(n, start, false);
            let r = runtime.block_on(run(&w, &mut Vec::new()));
            r.cpu.as_secs_f64() / n as f64
        };
        let a = per_order(small);
        let b = per_order(large);
        eprintln!(
            "  per-order cost growth 1k to {}k, engine and simulators, in seconds: {:.3} ({:.1} µs per order at {small}, {:.1} µs at {large})",
            large / 1000,
            b / a,
            a * 1e6,
            b * 1e6
        );
    }

    // 5. Peak memory (measured during the first run).
    if wanted(5) {
        println!(
            "peak memory for {}k orders: {:.1} MiB",
            orders / 1000,
            peak as f64 / (1024.0 * 1024.0)
        );
    }

    // 6. A filtered page from a large store against a small one.
    if wanted(6) {
        let (small, large) = (1_000, if quick() { 10_000 } else { 100_000 });
        let [(a, a_query), (b, b_query)] = page_costs([small, large]);
        println!(
            "filtered page cost {}k/1k orders: {:.3}",
            large / 1000,
            b.as_secs_f64() / a.as_secs_f64()
        );
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        eprintln!(
            "  ({:.1} µs a page of 100 at {small}, {:.1} µs at {large}; of which the store's query {:.1} µs and {:.1} µs)",
            us(a),
            us(b),
            us(a_query),
            us(b_query)
        );
    }

    // 7. Several workers on one store against one.
    if wanted(7) {
        let orders = if quick() { 400 } else { 2_000 };
        let one = runtime.block_on(workers_calls(orders, 1, start));
        let three = runtime.block_on(workers_calls(orders, 3, start));
        println!(
            "api calls per order, 3 workers / 1 worker: {:.3}",
            three as f64 / one as f64
        );
        eprintln!(
            "  ({orders} orders: {:.3} calls per order with 1 worker, {:.3} with 3)",
            one as f64 / orders as f64,
            three as f64 / orders as f64
        );
    }

    // 10. The engine's store alone, per settled order.
    if wanted(10) {
        let orders = if quick() { 2_000 } else { 10_000 };
        let (bytes, idle_calls) = runtime.block_on(stored_bytes(orders, start));
        println!("engine memory per stored order: {bytes} bytes");
        eprintln!(
            "  ({orders} settled Direct Fulfillment orders in the memory store; an idle cycle over them made {idle_calls} calls)"
        );
    }

    // 2, 4, 8, 9: the instruction counts.
    if let Some(counts) = counts {
        print_counts(counts, large, cpu_seconds);
    } else if let Some(ratio) = cpu_seconds {
        println!("cpu ratio to json floor (seconds): {ratio:.3}");
    }

    // 3. Wall time against the latency bound.
    if wanted(3) {
        let w = world(
            if quick() { 100 } else { 500 },
            DateTime::<Utc>::from(std::time::SystemTime::now()),
            true,
        );
        let mut cycles = Vec::new();
        runtime.block_on(run(&w, &mut cycles));
        let wall: Duration = cycles.iter().map(|c| c.0).sum();
        let bound: f64 = cycles
            .iter()
            .map(|&(_, netsuite, amazon)| {
                let netsuite = netsuite as f64 * 0.020 / 5.0;
                let amazon =
                    (amazon.saturating_sub(10) as f64 / 10.0).max(amazon as f64 * 0.010 / 10.0);
                netsuite.max(amazon)
            })
            .sum();
        println!(
            "wall ratio to latency bound: {:.3}",
            wall.as_secs_f64() / bound
        );
        eprintln!(
            "  (wall {:.2} s over {} cycles, bound {:.2} s)",
            wall.as_secs_f64(),
            cycles.len(),
            bound
        );
        let _ = &w.clock;
        drop(w);
    }

    // 11. Freshness at a 60-second cycle.
    if wanted(11) {
        let orders = if quick() { 100 } else { 400 };
        let f = runtime.block_on(freshness::run(
            orders,
            Duration::from_millis(300),
            Duration::from_millis(500),
            Duration::from_secs(60),
        ));
        let p = |v: &[f64], q| freshness::percentile(v, q);
        println!(
            "freshness p50/p99: listed→sales order {:.0}/{:.0} s, approved→acknowledged {:.0}/{:.0} s",
            p(&f.listed_to_sales_order, 0.5),
            p(&f.listed_to_sales_order, 0.99),
            p(&f.approved_to_acknowledged, 0.5),
            p(&f.approved_to_acknowledged, 0.99),
        );
        println!(
            "calls per idle cycle: {}",
            f.idle_calls
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        eprintln!(
            "  ({orders} orders over two hours, Amazon answering in 300 ms and NetSuite in 500 ms, latencies added one after another; NetSuite Connector's 20-minute schedule alone waits 600 s at the median and 1,188 s at the 99th percentile)"
        );
    }
}

type Counts = BTreeMap<String, u64>;

/// Starts the callgrind runs: our conversion and serde_json's floor, and the steady
/// state over no history and over `large` settled orders.
fn start_counts(large: usize) -> Vec<(String, std::thread::JoinHandle<Result<Counts, String>>)> {
    if !callgrind::available() {
        eprintln!("  (valgrind is not installed: the instruction-count figures are left out)");
        return Vec::new();
    }
    [
        "json".to_owned(),
        "steady-0".to_owned(),
        format!("steady-{large}"),
    ]
    .into_iter()
    .map(|part| {
        let name = part.clone();
        (name, std::thread::spawn(move || callgrind::count(&part)))
    })
    .collect()
}

fn print_counts(
    runs: Vec<(String, std::thread::JoinHandle<Result<Counts, String>>)>,
    large: usize,
    cpu_seconds: Option<f64>,
) {
    let mut all: BTreeMap<String, Counts> = BTreeMap::new();
    for (part, handle) in runs {
        match handle.join() {
            Ok(Ok(counts)) => {
                all.insert(part, counts);
            }
            Ok(Err(e)) => eprintln!("  ({part}: {e})"),
            Err(_) => eprintln!("  ({part}: the run panicked)"),
        }
    }
    let get = |part: &str, name: &str| all.get(part).and_then(|c| c.get(name)).copied();
    let ratio = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if b > 0 => format!("{:.3}", a as f64 / b as f64),
        _ => "not measured".to_owned(),
    };
    let sum = |names: [&str; 2]| -> Option<u64> {
        names.iter().map(|n| get("json", n)).sum::<Option<u64>>()
    };
    if wanted(2) {
        let (ours, floor) = (
            sum(["ours-retail", "ours-df"]),
            sum(["floor-retail", "floor-df"]),
        );
        println!("cpu ratio to json floor: {}", ratio(ours, floor));
        eprintln!(
            "  (instructions: ours {}, serde_json {}; in seconds the ratio was {})",
            ours.unwrap_or(0),
            floor.unwrap_or(0),
            cpu_seconds.map_or("not measured".to_owned(), |r| format!("{r:.3}"))
        );
    }
    let big = format!("steady-{large}");
    let k = large / 1000;
    if wanted(4) {
        let (a, b) = (get("steady-0", "batch"), get(&big, "batch"));
        println!("per-order cost growth 1k to {k}k (engine): {}", ratio(b, a));
        eprintln!(
            "  (instructions per order settling {BATCH} new orders: {} into an empty store, {} into one of {large} settled orders)",
            a.map_or(0, |a| a / BATCH as u64),
            b.map_or(0, |b| b / BATCH as u64)
        );
    }
    if wanted(8) {
        let (a, b) = (get("steady-0", "idle"), get(&big, "idle"));
        println!("idle cycle cost {k}k settled / none: {}", ratio(b, a));
        eprintln!(
            "  (instructions in one idle cycle: {} with no history, {} over {large} settled orders)",
            a.unwrap_or(0),
            b.unwrap_or(0)
        );
    }
    if wanted(9) {
        let (a, b) = (get("steady-0", "new"), get(&big, "new"));
        println!("new work cost {k}k settled / none: {}", ratio(b, a));
        eprintln!(
            "  (instructions to settle {NEW_WORK} new orders: {} with no history, {} over {large} settled orders)",
            a.unwrap_or(0),
            b.unwrap_or(0)
        );
    }
}

/// The heap the engine's store holds per settled order (the simulators' records
/// left out), and the calls of an idle cycle over them.
async fn stored_bytes(orders: usize, start: DateTime<Utc>) -> (usize, u64) {
    let mut world = steady::Steady::new(orders, start);
    let started = Instant::now();
    drain(&mut world).await;
    let (wall, simulators) = (started.elapsed(), world.simulator_time());
    eprintln!(
        "  (settling {orders} orders took {:.2} s: the engine {:.2} s, the simulators {:.2} s)",
        wall.as_secs_f64(),
        wall.saturating_sub(simulators).as_secs_f64(),
        simulators.as_secs_f64()
    );
    world.cycle().await;
    let idle_calls = world.last_calls;
    if let Some((_, stored)) = world
        .store
        .snapshot()
        .expect("the memory store decodes its records")
        .first()
    {
        // What a settled record holds, by its stored JSON's top-level fields.
        let json = serde_json::to_value(&stored.record).expect("records serialize");
        let mut sizes: Vec<(usize, String)> = json
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (v.to_string().len(), k.clone()))
            .collect();
        sizes.sort_by(|a, b| b.cmp(a));
        let top: Vec<String> = sizes
            .iter()
            .take(6)
            .map(|(n, k)| format!("{k} {n} B"))
            .collect();
        eprintln!(
            "  (one settled record as JSON: {} B; largest fields {})",
            json.to_string().len(),
            top.join(", ")
        );
    }
    let steady::Steady { engine, store, .. } = world;
    let before = LIVE.load(Ordering::Relaxed);
    drop(engine);
    drop(store);
    let after = LIVE.load(Ordering::Relaxed);
    (before.saturating_sub(after) / orders, idle_calls)
}

/// The API calls `workers` engines sharing one memory store make to sync `orders`
/// orders (half retail, approved after the first round; half Direct Fulfillment) to
/// the end: each round, every worker runs one cycle, then five minutes pass.
async fn workers_calls(orders: usize, workers: usize, start: DateTime<Utc>) -> u64 {
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    amazon.set_rate_limits_enabled(false);
    let retail: Vec<String> = (0..orders / 2)
        .map(|i| purchase_order_number(i as u64))
        .collect();
    for (i, number) in retail.iter().enumerate() {
        let placed = start - TimeDelta::seconds(60 + (i % 3600) as i64 * 10);
        amazon
            .add_retail_order(orders::retail_order(number, placed, 1 + i % 4))
            .expect("unique numbers");
    }
    for i in 0..orders - retail.len() {
        let number = purchase_order_number(10_000_000 + i as u64);
        let placed = start - TimeDelta::seconds(60 + (i % 3600) as i64 * 10);
        amazon
            .add_df_order(orders::df_order(&number, placed, 1 + i % 3))
            .expect("unique numbers");
    }
    let store = Arc::new(MemoryStore::new());
    let engines: Vec<Engine> = (0..workers)
        .map(|i| {
            Engine::new(
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
                first_lookback: Duration::from_secs(2 * 24 * 3600),
                due_batch: usize::MAX,
                retrieval_lease: Some(Duration::from_secs(10 * 60)),
                shared_rate_budget: true,
                ..EngineConfig::default()
            })
            .with_worker(format!("worker-{i}"))
        })
        .collect();
    let mut quiet = 0;
    for round in 1..=60 {
        let mut all_quiet = true;
        for engine in &engines {
            let report = engine
                .run_cycle()
                .await
                .expect("the memory store never fails");
            all_quiet &= report.orders.is_empty();
        }
        if round == 1 {
            for number in &retail {
                world_approve(&netsuite, number);
            }
        }
        quiet = if all_quiet { quiet + 1 } else { 0 };
        if quiet >= 3 && round > 4 {
            break;
        }
        clock.advance(Duration::from_secs(5 * 60));
    }
    let table = engines[0].status_table().await.expect("memory store");
    let done = table
        .iter()
        .filter(|l| l.status == "Order posted, awaiting shipment")
        .count();
    assert_eq!(done, orders, "every order synced, with {workers} worker(s)");
    amazon.total_calls() + netsuite.total_calls()
}

fn world_approve(netsuite: &NetSuite, number: &str) {
    netsuite
        .approve(&ext(Program::RetailProcurement, number))
        .expect("created");
}
