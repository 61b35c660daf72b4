//! A deterministic fault simulation of the sync engine against the simulators.
//!
//! One seed decides everything: the orders Amazon holds, the settings, the faults at
//! every call, what Amazon and the reviewer do between any two steps, when an engine
//! crashes, and how two engines sharing one store interleave. Nothing reads real
//! time or depends on thread timing: every future is polled by [`drive`] on this
//! thread, the clock is a [`ManualClock`], and randomness is two SplitMix64 streams
//! seeded from the seed (one for the world and its faults, one for how engines
//! interleave). The same seed replays the same run, call for call.
//!
//! [`run_seed`] runs a seed with faults, then calm until nothing is due, then checks
//! the invariants ([`check`]); [`run_twins`] runs its world calm with one engine and
//! with two, which must end every order alike. RELIABILITY.md describes it all.
//!
//! Faults are injected by decorators around the client traits and the store
//! ([`FaultyAmazon`], [`FaultyNetSuite`], [`FaultyStore`]), as an integrator's own
//! transport or database would fail:
//! - a failure before the call had any effect (transient, rate limited, unauthorized);
//! - a failure after the effect took place (the sales order was written, Amazon took
//!   the acknowledgement, the store committed) with the answer lost;
//! - a crash before or after any call: the call never returns, the engine's cycle
//!   future is dropped there, and the engine is rebuilt from the store;
//! - a yield before any call, so two engines polled in turn interleave at every step.
//!
//! The simulators add their own refusals (Amazon's rate limits, NetSuite's
//! concurrency limit) and page quirks (shuffled, overlapping pages).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use avc_order_sync::acknowledgement::{
    Acknowledgement, AcknowledgementCode, DirectFulfillmentAcknowledgement, RetailAcknowledgement,
    df_status,
};
use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::engine::{
    Clients, CycleReport, Engine, EngineConfig, EngineError, OperatorAction,
};
use avc_order_sync::lifecycle::{Approval, Attention, CloseReason, OrderRecord, OrderState};
use avc_order_sync::settings::{ChangedAfterAcknowledgementPolicy, Settings};
use avc_order_sync::store::{
    Cursor, InFlight, MemoryStore, OrderKey, OrderStore, StoreError, StoredOrder,
};
use avc_order_sync::testing::orders::{self, RetailLine, RetailOrderBuilder};
use avc_order_sync::testing::{
    AmazonOperation, ManualClock, NetSuite, RateLimit, VendorCentral, catalogue_settings,
};
use avc_order_sync::{
    AmazonOrderState, ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, ExternalId,
    InternalId, ItemSequenceNumber, NetSuiteApi, NetSuiteStatus, OrderQuery, Page, Program,
    PurchaseOrder, PurchaseOrderNumber, RetailOrdersApi, SalesOrderChange, SalesOrderDraft,
    SalesOrderSnapshot, SalesOrderUpdate, TransactionId, TransactionOutcome, external_id,
};

// -------------------------------------------------------------------------------------
// Randomness
// -------------------------------------------------------------------------------------

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x6A09_E667_F3BC_C908)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound`; 0 when `bound` is 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }

    /// A value in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// `true` with a probability of `per_mille` in a thousand.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len() as u64) as usize)
        }
    }
}

// -------------------------------------------------------------------------------------
// What one seed decides
// -------------------------------------------------------------------------------------

/// The shape of one seed's world and how hostile it is. Probabilities are per mille,
/// per call.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// Two engines share the store, their cycles interleaved call by call.
    pub two_engines: bool,
    pub auto_retail: bool,
    pub auto_direct_fulfillment: bool,
    pub policy: ChangedAfterAcknowledgementPolicy,
    /// Orders Amazon holds at the start, and the most it ever holds.
    pub initial_orders: usize,
    pub max_orders: usize,
    /// Cycles with faults, before the world calms down.
    pub fault_cycles: usize,
    pub page_limit: u32,
    pub shuffle_pages: bool,
    pub overlapping_pages: bool,
    /// A tighter usage plan for Amazon's listing and acknowledgement operations.
    pub amazon_rate_limit: Option<RateLimit>,
    pub netsuite_limit: usize,
    pub engine_concurrency: usize,
    pub latency: Duration,
    pub processing_time: Duration,
    pub max_attempts: u32,
    pub before_effect: u32,
    pub after_effect: u32,
    pub crash: u32,
    pub store_error: u32,
    pub world_action: u32,
    pub yield_chance: u32,
    /// Engine clocks may be set off true time by up to this much, either way.
    pub max_skew: Duration,
    /// No usage plan or concurrency limit at all, so no call is refused or paced.
    pub unpaced: bool,
    /// Orders someone acknowledged (retail) or accepted (Direct Fulfillment) in Vendor
    /// Central before the sync first lists them, per mille of orders placed.
    pub acknowledged_elsewhere: u32,
    /// Orders Amazon lists unreadable (two lines with one `itemSequenceNumber`), per
    /// mille of orders placed; Amazon corrects a retail one later, now and then. As
    /// often, an entry whose PO number cannot be read lands among the orders.
    pub unreadable: u32,
    /// Failed transactions answer as Amazon's do, with messages that name no order.
    pub failures_as_amazon: bool,
    /// Direct Fulfillment transactions never report `Success` (Amazon's older guide).
    pub df_success_never_reported: bool,
}

impl Knobs {
    pub fn from_seed(rng: &mut Rng) -> Self {
        let policies = [
            ChangedAfterAcknowledgementPolicy::UpdateSalesOrder,
            ChangedAfterAcknowledgementPolicy::ReviewEachOrder,
            ChangedAfterAcknowledgementPolicy::CancelSalesOrder,
        ];
        let initial_orders = rng.between(1, 5) as usize;
        // Drawn from a stream of their own, so the rest of the seed's world stays as
        // it was before these faults existed.
        let mut intake = Rng::new(rng.0 ^ 0x1A7A_4E00_D0C5_0001);
        Knobs {
            acknowledged_elsewhere: intake.below(200) as u32,
            unreadable: intake.below(150) as u32,
            two_engines: rng.chance(400),
            auto_retail: rng.chance(500),
            auto_direct_fulfillment: rng.chance(500),
            policy: *rng.pick(&policies).unwrap_or(&policies[0]),
            initial_orders,
            max_orders: initial_orders + rng.between(2, 4) as usize,
            fault_cycles: rng.between(8, 20) as usize,
            page_limit: rng.between(1, 3) as u32,
            shuffle_pages: rng.chance(500),
            overlapping_pages: rng.chance(500),
            amazon_rate_limit: rng.chance(300).then(|| RateLimit {
                per_second: rng.between(2, 4) as u32,
                burst: rng.between(2, 4) as u32,
            }),
            netsuite_limit: rng.between(1, 3) as usize,
            engine_concurrency: rng.between(1, 4) as usize,
            latency: Duration::from_millis(rng.below(4) * 150),
            processing_time: Duration::from_secs(rng.between(30, 600)),
            max_attempts: if rng.chance(300) { 2 } else { 8 },
            before_effect: rng.below(120) as u32,
            after_effect: rng.below(120) as u32,
            crash: rng.below(25) as u32,
            store_error: rng.below(15) as u32,
            world_action: rng.between(5, 60) as u32,
            yield_chance: 400,
            // Two workers' clocks may differ by up to twice this: within the engine's
            // in-flight grace (5 minutes), as RELIABILITY.md requires.
            max_skew: Duration::from_secs(rng.below(5) * 30),
            unpaced: false,
            failures_as_amazon: rng.chance(500),
            df_success_never_reported: rng.chance(300),
        }
    }

    /// The same world with no fault, nothing acting between two calls, no usage
    /// plan or concurrency limit to pace for, and `engines` engines: what differs
    /// between two such runs is only how many engines share the store.
    pub fn calm(&self, engines: usize) -> Self {
        Knobs {
            two_engines: engines == 2,
            amazon_rate_limit: None,
            latency: Duration::ZERO,
            before_effect: 0,
            after_effect: 0,
            crash: 0,
            store_error: 0,
            world_action: 0,
            max_skew: Duration::ZERO,
            unpaced: true,
            ..self.clone()
        }
    }
}

/// One thing found wrong, sorted into the four figures the simulation prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    DuplicateSalesOrder,
    LostOrder,
    DuplicateAcknowledgement,
    Violation,
}

/// What one seed found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<(Finding, String)>,
    /// Acknowledgements sent again after their answer was lost and Amazon's
    /// transaction for the first copy failed: Amazon applied neither twice (see
    /// RELIABILITY.md).
    pub resent_after_failed_transaction: usize,
    /// POs placed more than the first lookback before the sync first read their
    /// program: outside what it syncs, by design.
    pub before_the_start: usize,
    pub crashes: usize,
    pub faults: usize,
    pub cycles: usize,
    pub trace: Vec<String>,
}

impl Outcome {
    pub fn count(&self, finding: Finding) -> usize {
        self.findings.iter().filter(|(f, _)| *f == finding).count()
    }
}

// -------------------------------------------------------------------------------------
// The world: simulators, store, and what the harness saw
// -------------------------------------------------------------------------------------

/// An acknowledgement version as the store held it when it was built.
#[derive(Debug, Clone)]
struct Built {
    version: u32,
    acknowledgement: Acknowledgement,
    purchase_order: PurchaseOrder,
    approval: Option<Approval>,
}

/// An acknowledgement the engine sent.
#[derive(Debug, Clone)]
struct Sent {
    program: Program,
    number: String,
    version: Option<u32>,
    /// Amazon's transaction, when the POST reached Amazon.
    transaction: Option<TransactionId>,
}

struct WorldState {
    /// What the world does and which faults strike.
    rng: Rng,
    /// How engines interleave: which future is polled next, and where one yields.
    sched: Rng,
    knobs: Knobs,
    faults_on: bool,
    crashed: bool,
    next_number: u64,
    placed: Vec<(Program, String, DateTime<Utc>)>,
    /// The first watermark the engine saved per cursor: where the sync starts.
    first_marks: BTreeMap<Cursor, DateTime<Utc>>,
    ledger: BTreeMap<(Program, String), Vec<Built>>,
    sent: Vec<Sent>,
    closed_lines: BTreeSet<(String, String)>,
    skews: [TimeDelta; 2],
    findings: Vec<(Finding, String)>,
    trace: Vec<String>,
    faults: usize,
    crashes: usize,
    /// Trace every call and save (when replaying one seed).
    verbose: bool,
    /// What Amazon does outside the sync to the orders it lists: acknowledges them
    /// elsewhere, lists them unreadable, corrects them.
    intake: Rng,
    /// Orders acknowledged or accepted before the sync listed them.
    elsewhere: BTreeSet<(Program, String)>,
    /// Orders Amazon lists unreadable now.
    broken: BTreeSet<(Program, String)>,
}

/// Everything one seed runs against.
pub struct World {
    pub seed: u64,
    pub clock: ManualClock,
    pub amazon: Arc<VendorCentral>,
    pub netsuite: Arc<NetSuite>,
    pub store: Arc<MemoryStore>,
    pub settings: Settings,
    pub config: EngineConfig,
    state: Mutex<WorldState>,
}

const TRACE_LIMIT: usize = 50_000;

fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t + TimeDelta::from_std(d).unwrap_or(TimeDelta::zero())
}

fn program_code(program: Program) -> &'static str {
    match program {
        Program::RetailProcurement => "RP",
        Program::DirectFulfillment => "DF",
    }
}

impl World {
    pub fn new(seed: u64, knobs: Knobs, rng: Rng, verbose: bool) -> Arc<World> {
        let start: DateTime<Utc> = "2026-03-02T08:00:00Z".parse().unwrap_or_default();
        let clock = ManualClock::new(add(start, Duration::from_secs(seed % 86_400)));
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        amazon.set_processing_time(knobs.processing_time);
        amazon.set_shuffle(knobs.shuffle_pages.then_some(seed));
        amazon.set_page_overlap(knobs.overlapping_pages);
        amazon.set_failures_as_amazon(knobs.failures_as_amazon);
        amazon.set_df_success_reported(!knobs.df_success_never_reported);
        amazon.set_latency(knobs.latency);
        if let Some(limit) = knobs.amazon_rate_limit {
            for op in [
                AmazonOperation::GetPurchaseOrders,
                AmazonOperation::GetOrders,
                AmazonOperation::SubmitAcknowledgement,
                AmazonOperation::SubmitDfAcknowledgement,
            ] {
                amazon.set_rate_limit(op, Some(limit));
            }
        }
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        netsuite.set_item_catalogue(orders::netsuite_items());
        netsuite.set_concurrency_limit(Some(knobs.netsuite_limit));
        netsuite.set_latency(knobs.latency);
        let mut settings = catalogue_settings(knobs.auto_retail, knobs.auto_direct_fulfillment);
        settings.policies.changed_after_acknowledgement = knobs.policy;
        let mut config = EngineConfig {
            page_limit: knobs.page_limit,
            netsuite_concurrency: knobs.engine_concurrency,
            first_lookback: Duration::from_secs(24 * 3600),
            ..EngineConfig::default()
        };
        config.retry.max_attempts = knobs.max_attempts;
        // The integrator paces each worker at its share of Amazon's usage plan (the
        // tightened one, or Amazon's default for the operations the engine lists).
        let plan = knobs
            .amazon_rate_limit
            .unwrap_or(AmazonOperation::GetPurchaseOrders.default_rate_limit());
        let workers = if knobs.two_engines { 2 } else { 1 };
        config.amazon_rate_per_second = (plan.per_second / workers).max(1);
        config.amazon_burst = (plan.burst / workers).max(1);
        if knobs.unpaced {
            amazon.set_rate_limits_enabled(false);
            netsuite.set_concurrency_limit(None);
            config.amazon_rate_per_second = 1_000_000;
            config.amazon_burst = 1_000_000;
        }
        let world = Arc::new(World {
            seed,
            clock,
            amazon,
            netsuite,
            store: Arc::new(MemoryStore::new()),
            settings,
            config,
            state: Mutex::new(WorldState {
                rng,
                sched: Rng::new(seed ^ 0x5CED_0000_5CED),
                knobs: knobs.clone(),
                faults_on: true,
                crashed: false,
                next_number: seed.wrapping_mul(1_000),
                placed: Vec::new(),
                first_marks: BTreeMap::new(),
                ledger: BTreeMap::new(),
                sent: Vec::new(),
                closed_lines: BTreeSet::new(),
                skews: [TimeDelta::zero(); 2],
                findings: Vec::new(),
                trace: Vec::new(),
                faults: 0,
                crashes: 0,
                verbose,
                intake: Rng::new(seed ^ 0x1A7A_4E00_0000_5EED),
                elsewhere: BTreeSet::new(),
                broken: BTreeSet::new(),
            }),
        });
        {
            let mut st = world.lock();
            for _ in 0..knobs.initial_orders {
                world.place_order(&mut st, true);
            }
        }
        world
    }

    fn lock(&self) -> MutexGuard<'_, WorldState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn note(&self, st: &mut WorldState, text: impl AsRef<str>) {
        if st.verbose && st.trace.len() < TRACE_LIMIT {
            let at = self.clock.now().format("%d %H:%M:%S%.3f");
            st.trace.push(format!("{at} {}", text.as_ref()));
        }
    }

    pub fn trace(&self, text: impl AsRef<str>) {
        let mut st = self.lock();
        self.note(&mut st, text);
    }

    fn find(&self, st: &mut WorldState, finding: Finding, text: String) {
        self.note(st, format!("FOUND {finding:?}: {text}"));
        st.findings.push((finding, text));
    }

    pub fn report(&self, finding: Finding, text: String) {
        let mut st = self.lock();
        self.find(&mut st, finding, text);
    }

    fn verbose(&self, text: impl FnOnce() -> String) {
        let mut st = self.lock();
        if st.verbose {
            let text = text();
            self.note(&mut st, text);
        }
    }

    pub fn set_faults(&self, on: bool) {
        self.lock().faults_on = on;
    }

    fn sched_below(&self, bound: u64) -> u64 {
        self.lock().sched.below(bound)
    }

    /// Whether a crash struck during the last poll; clears it.
    fn take_crash(&self) -> bool {
        std::mem::take(&mut self.lock().crashed)
    }

    /// The clock engine `index` reads: true time, set off by that engine's skew.
    pub fn engine_clock(self: &Arc<Self>, index: usize) -> Arc<dyn Clock> {
        Arc::new(EngineClock {
            world: self.clone(),
            index,
        })
    }

    /// A fresh engine `index` (0 or 1) over the shared store, through the faulty
    /// decorators: what a process restarted after a crash builds.
    pub fn engine(self: &Arc<Self>, index: usize) -> Engine {
        let amazon = Arc::new(FaultyAmazon {
            world: self.clone(),
        });
        let clients = Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon,
            netsuite: Arc::new(FaultyNetSuite {
                world: self.clone(),
            }),
        };
        let store = Arc::new(FaultyStore {
            world: self.clone(),
            index,
        });
        Engine::new(
            self.settings.clone(),
            clients,
            store,
            self.engine_clock(index),
        )
        .with_config(self.config.clone())
    }

    // ---------------------------------------------------------------------------------
    // The world acting: Amazon, the reviewer, time
    // ---------------------------------------------------------------------------------

    fn place_order(&self, st: &mut WorldState, initial: bool) {
        let number = orders::purchase_order_number(st.next_number);
        st.next_number += 1;
        let now = self.clock.now();
        // Listed a little late at most, well within the engine's window overlap.
        let placed = now
            - TimeDelta::seconds(st.rng.below(240) as i64)
            - if initial {
                TimeDelta::minutes(st.rng.below(600) as i64)
            } else {
                TimeDelta::zero()
            };
        let lines = st.rng.between(1, 3) as usize;
        let retail = st.rng.chance(500);
        let unreadable = st.knobs.unreadable;
        let broken = st.intake.chance(unreadable);
        let (program, result) = if retail {
            let mut order = if broken {
                orders::retail_order(&number, placed, 2)
            } else if st.rng.chance(300) {
                // Ordered by the each and in cases, some lines allowing back orders.
                let product = &orders::PRODUCTS[st.rng.below(12) as usize];
                RetailOrderBuilder::new(&number, placed)
                    .line(RetailLine::product(product, st.rng.between(1, 6)))
                    .build()
            } else {
                orders::retail_order(&number, placed, lines)
            };
            if broken {
                let items = order.order_details.as_mut().and_then(|d| d.items.as_mut());
                if let Some(items) = items {
                    items[1].item_sequence_number = items[0].item_sequence_number.clone();
                }
            }
            (
                Program::RetailProcurement,
                self.amazon.add_retail_order(order),
            )
        } else {
            let mut order = orders::df_order(&number, placed, if broken { 2 } else { lines });
            if broken {
                let items = order.order_details.as_mut().and_then(|d| d.items.as_mut());
                if let Some(items) = items {
                    items[1].item_sequence_number = items[0].item_sequence_number.clone();
                }
            } else if lines > 1 && !st.knobs.unpaced && st.rng.chance(150) {
                // A line Amazon cancelled to 0 before the order is first listed.
                let items = order.order_details.as_mut().and_then(|d| d.items.as_mut());
                if let Some(quantity) = items
                    .and_then(|items| items.first_mut())
                    .and_then(|item| item.ordered_quantity.as_mut())
                {
                    quantity.amount = Some(0.into());
                    self.note(st, format!("amazon: DF {number} line 1 cancelled to 0"));
                }
            }
            (Program::DirectFulfillment, self.amazon.add_df_order(order))
        };
        match result {
            Ok(()) => {
                self.note(
                    st,
                    format!(
                        "amazon: new {} PO {number}{}",
                        program_code(program),
                        if broken { " (unreadable)" } else { "" }
                    ),
                );
                // A line Amazon cancelled to 0 before the PO is first listed.
                if program == Program::RetailProcurement
                    && !broken
                    && !st.knobs.unpaced
                    && st.rng.chance(150)
                {
                    if let Some(line) = self
                        .amazon_po(program, &number)
                        .and_then(|po| po.lines.first().cloned())
                        .filter(|_| lines > 1)
                    {
                        let sequence = line.sequence.to_string();
                        self.note(
                            st,
                            format!("amazon: RP {number} line {sequence} cancelled to 0"),
                        );
                        if let Err(e) = self.amazon.cancel_retail_line(&number, &sequence) {
                            self.note(st, format!("amazon: change refused: {e}"));
                        }
                    }
                }
                st.placed.push((program, number.clone(), placed));
                if broken {
                    st.broken.insert((program, number.clone()));
                }
            }
            Err(e) => {
                self.note(st, format!("amazon: could not place {number}: {e}"));
                return;
            }
        }
        if st.intake.chance(unreadable) {
            // An entry no part of which can be read, the number included.
            self.note(st, "amazon: lists an entry it cannot read");
            self.amazon.add_unreadable_order(
                program,
                placed,
                avc_order_sync::MalformedOrder {
                    purchase_order_number: None,
                    reason: "`orders[1]` cannot be read: expected a map".into(),
                },
            );
        }
        let elsewhere = st.knobs.acknowledged_elsewhere;
        if broken || !st.intake.chance(elsewhere) {
            return;
        }
        // Someone answers the order in Vendor Central's pages before the sync lists it.
        let result = match program {
            Program::DirectFulfillment => self.amazon.accept_df_order_elsewhere(&number),
            Program::RetailProcurement => {
                let lines = self
                    .amazon_po(program, &number)
                    .map(|po| po.lines)
                    .unwrap_or_default();
                let accepted: Vec<(String, u64)> = lines
                    .iter()
                    .map(|l| {
                        let ordered = l.ordered.eaches().unwrap_or(0);
                        let case = l.ordered.unit_size.max(1);
                        let kept = match st.intake.below(4) {
                            0 => 0,
                            1 => ordered / case / 2 * case,
                            _ => ordered,
                        };
                        (l.sequence.to_string(), kept)
                    })
                    .collect();
                let accepted: Vec<(&str, u64)> =
                    accepted.iter().map(|(s, e)| (s.as_str(), *e)).collect();
                self.amazon
                    .acknowledge_retail_order_elsewhere(&number, &accepted)
            }
        };
        match result {
            Ok(()) => {
                self.note(
                    st,
                    format!(
                        "amazon: {} {number} acknowledged in Vendor Central",
                        program_code(program)
                    ),
                );
                st.elsewhere.insert((program, number));
            }
            Err(e) => self.note(st, format!("amazon: could not acknowledge {number}: {e}")),
        }
    }

    fn amazon_po(&self, program: Program, number: &str) -> Option<PurchaseOrder> {
        match program {
            Program::RetailProcurement => self.amazon.retail_order(number)?.to_purchase_order(),
            Program::DirectFulfillment => self.amazon.df_order(number)?.to_purchase_order(),
        }
        .ok()
    }

    /// Amazon changes or cancels one of its open orders.
    fn amazon_acts(&self, st: &mut WorldState) {
        let Some((program, number, placed)) = st.rng.pick(&st.placed.clone()).cloned() else {
            return;
        };
        let Some(po) = self.amazon_po(program, &number) else {
            return;
        };
        let roll = st.rng.below(100);
        let result = match program {
            Program::DirectFulfillment => {
                // Amazon cancels Direct Fulfillment orders, most often before they are
                // accepted, now and then after (a consumer's late cancellation) while
                // the order is within the engine's cancellation lookback: later ones
                // are outside what the engine promises to see.
                let recent = self.clock.now() - placed < TimeDelta::days(6);
                let chance = match po.state {
                    AmazonOrderState::New => 40,
                    AmazonOrderState::Accepted if recent => 10,
                    _ => 0,
                };
                if roll >= chance {
                    return;
                }
                self.note(st, format!("amazon: cancels DF {number}"));
                self.amazon.cancel_df_order(&number)
            }
            Program::RetailProcurement => {
                if matches!(po.state, AmazonOrderState::Closed) {
                    return;
                }
                let Some(line) = st.rng.pick(&po.lines).cloned() else {
                    return;
                };
                let sequence = line.sequence.to_string();
                if roll < 10 {
                    if po.state != AmazonOrderState::New {
                        return;
                    }
                    self.note(st, format!("amazon: closes RP {number}"));
                    self.amazon.close_retail_order(&number)
                } else if roll < 55 {
                    if line.ordered.amount == 0 {
                        return;
                    }
                    let lower = line.ordered.amount - 1;
                    self.note(
                        st,
                        format!("amazon: RP {number} line {sequence} down to {lower} units"),
                    );
                    self.amazon.set_retail_quantity(&number, &sequence, lower)
                } else if roll < 75 {
                    self.note(st, format!("amazon: cancels RP {number} line {sequence}"));
                    self.amazon.cancel_retail_line(&number, &sequence)
                } else {
                    self.note(st, format!("amazon: RP {number} line {sequence} cost down"));
                    self.amazon.set_retail_net_cost(&number, &sequence, "1.00")
                }
            }
        };
        if let Err(e) = result {
            self.note(st, format!("amazon: change refused: {e}"));
        }
    }

    fn pending_sales_orders(&self) -> Vec<(ExternalId, SalesOrderSnapshot)> {
        self.netsuite
            .external_ids()
            .into_iter()
            .filter_map(|id| {
                let snapshot = self.netsuite.snapshot(&id)?;
                (snapshot.status == NetSuiteStatus::PendingApproval).then_some((id, snapshot))
            })
            .collect()
    }

    /// The PO a sales order was made for, as Amazon has it now.
    fn po_of(&self, external: &ExternalId) -> Option<PurchaseOrder> {
        let key = avc_order_sync::engine::order_key_of(external)?;
        self.amazon_po(key.program, key.number.as_str())
    }

    /// The reviewer works on one sales order waiting for approval: lowers a line by
    /// a case, closes a line, approves, or (rarely) cancels.
    fn reviewer_acts(&self, st: &mut WorldState) {
        let pending = self.pending_sales_orders();
        let Some((id, snapshot)) = st.rng.pick(&pending).cloned() else {
            return;
        };
        let Some(po) = self.po_of(&id) else { return };
        let roll = st.rng.below(100);
        let open: Vec<_> = snapshot.lines.iter().filter(|l| !l.is_closed).collect();
        let result = if roll < 55 {
            self.note(st, format!("reviewer: approves {id}"));
            self.netsuite.approve(&id)
        } else if roll < 97 {
            let Some(line) = st.rng.pick(&open).copied() else {
                return;
            };
            let Some(sequence) = line.sequence.clone() else {
                return;
            };
            let case = po
                .lines
                .iter()
                .find(|l| l.sequence == sequence)
                .map_or(1, |l| l.ordered.unit_size.max(1));
            let whole_order_rejected = po.program == Program::DirectFulfillment && roll < 65;
            if whole_order_rejected {
                // A Direct Fulfillment order is taken or refused whole.
                self.note(st, format!("reviewer: closes every line of {id}"));
                for line in &open {
                    if let Some(sequence) = &line.sequence {
                        st.closed_lines
                            .insert((id.to_string(), sequence.to_string()));
                        let _ = self.netsuite.close_line(&id, sequence);
                    }
                }
                Ok(())
            } else if po.program == Program::DirectFulfillment {
                return;
            } else if line.quantity > case && roll < 85 {
                let lower = line.quantity - case;
                self.note(
                    st,
                    format!("reviewer: {id} line {sequence} down to {lower} eaches"),
                );
                self.netsuite.set_line_quantity(&id, &sequence, lower)
            } else {
                self.note(st, format!("reviewer: closes {id} line {sequence}"));
                st.closed_lines
                    .insert((id.to_string(), sequence.to_string()));
                self.netsuite.close_line(&id, &sequence)
            }
        } else {
            self.note(st, format!("reviewer: cancels {id}"));
            self.netsuite.cancel(&id)
        };
        if let Err(e) = result {
            self.note(st, format!("reviewer: refused: {e}"));
        }
    }

    /// One action of the world between two steps of an engine.
    fn act(&self, st: &mut WorldState) {
        let roll = st.rng.below(100);
        if roll < 20 {
            if st.placed.len() < st.knobs.max_orders {
                self.place_order(st, false);
            }
        } else if roll < 45 {
            // In a calm world Amazon changes nothing: a change can fail a whole
            // request of acknowledgements, and how they were batched then decides
            // which orders are reposted (see RELIABILITY.md).
            if !st.knobs.unpaced {
                self.amazon_acts(st);
            }
        } else if roll < 85 {
            self.reviewer_acts(st);
        } else if roll < 95 {
            let minutes = st.rng.between(1, 20);
            self.note(st, format!("clock: {minutes} min pass"));
            self.clock.advance(Duration::from_secs(minutes * 60));
        } else {
            let max = st.knobs.max_skew.as_secs() as i64;
            if max > 0 {
                let index = st.rng.below(2) as usize;
                let skew = st.rng.below(2 * max as u64 + 1) as i64 - max;
                self.note(
                    st,
                    format!("clock: engine {index} clock set off by {skew} s"),
                );
                st.skews[index] = TimeDelta::seconds(skew);
            }
        }
    }

    /// Amazon now and then corrects a retail PO it listed unreadable: a change, so its
    /// changed windows list the readable copy.
    fn correct_unreadable(&self, st: &mut WorldState) {
        for (program, number) in st.broken.clone() {
            if program != Program::RetailProcurement || !st.intake.chance(300) {
                continue;
            }
            let result = self.amazon.change_retail_order(&number, |o| {
                let items = o.order_details.as_mut().and_then(|d| d.items.as_mut());
                if let Some(item) = items.and_then(|items| items.get_mut(1)) {
                    item.item_sequence_number = Some("2".to_owned());
                }
            });
            match result {
                Ok(()) => {
                    self.note(st, format!("amazon: corrects RP {number}"));
                    st.broken.remove(&(program, number));
                }
                Err(e) => self.note(st, format!("amazon: could not correct {number}: {e}")),
            }
        }
    }

    /// What happens between two cycles while faults are on: the world acts a few
    /// times, and now and then the whole world sleeps for long (a suspended host, a
    /// weekend).
    pub fn between_cycles(&self) {
        let mut st = self.lock();
        for _ in 0..st.rng.below(3) {
            self.act(&mut st);
        }
        self.correct_unreadable(&mut st);
        let pause = if st.rng.chance(60) {
            Duration::from_secs(st.rng.between(3_600, 9 * 86_400))
        } else {
            Duration::from_secs(st.rng.between(30, 900))
        };
        self.note(
            &mut st,
            format!("clock: {} s to the next cycle", pause.as_secs()),
        );
        self.clock.advance(pause);
    }

    // ---------------------------------------------------------------------------------
    // Fault decisions
    // ---------------------------------------------------------------------------------

    fn should_yield(&self) -> bool {
        let mut st = self.lock();
        let chance = st.knobs.yield_chance;
        st.knobs.two_engines && st.sched.chance(chance)
    }

    /// Decides what strikes before a call; the world may act first.
    fn before(&self, op: &'static str, kind: CallKind) -> Before {
        let mut st = self.lock();
        if st.crashed {
            return Before::Hang;
        }
        if !st.faults_on {
            return Before::Go;
        }
        let world = st.knobs.world_action;
        if st.rng.chance(world) {
            self.act(&mut st);
        }
        let crash = st.knobs.crash;
        if st.rng.chance(crash) {
            st.crashed = true;
            st.crashes += 1;
            self.note(&mut st, format!("CRASH before {op}"));
            return Before::Hang;
        }
        let chance = match kind {
            CallKind::Store | CallKind::StoreWrite => st.knobs.store_error,
            _ => st.knobs.before_effect,
        };
        if st.rng.chance(chance) {
            st.faults += 1;
            let kind = match kind {
                CallKind::Store | CallKind::StoreWrite => ErrorKind::Transient,
                _ => match st.rng.below(10) {
                    0..=5 => ErrorKind::Transient,
                    6..=8 => ErrorKind::RateLimited {
                        retry_after: st
                            .rng
                            .chance(500)
                            .then(|| Duration::from_secs(st.rng.between(1, 120))),
                    },
                    _ => ErrorKind::Unauthorized,
                },
            };
            self.note(&mut st, format!("fail {op} before its effect: {kind}"));
            return Before::Fail(kind);
        }
        if st.verbose && kind != CallKind::Store {
            self.note(&mut st, format!("call {op}"));
        }
        Before::Go
    }

    /// Decides what strikes after a call that went through.
    fn after(&self, op: &'static str, kind: CallKind) -> After {
        let mut st = self.lock();
        if st.crashed {
            return After::Hang;
        }
        if !st.faults_on {
            return After::Keep;
        }
        let crash = st.knobs.crash;
        if matches!(kind, CallKind::Effect | CallKind::StoreWrite) && st.rng.chance(crash) {
            st.crashed = true;
            st.crashes += 1;
            self.note(&mut st, format!("CRASH after {op} took effect"));
            return After::Hang;
        }
        let chance = match kind {
            CallKind::Effect => st.knobs.after_effect,
            CallKind::StoreWrite => st.knobs.store_error,
            CallKind::Read => st.knobs.before_effect / 2,
            CallKind::Store => 0,
        };
        if st.rng.chance(chance) {
            st.faults += 1;
            self.note(&mut st, format!("lose the answer of {op}"));
            return After::Lose;
        }
        After::Keep
    }

    // ---------------------------------------------------------------------------------
    // What the harness records as calls pass
    // ---------------------------------------------------------------------------------

    /// Every acknowledgement a saved record carries is remembered with its version,
    /// so an acknowledgement Amazon receives can be traced to the version it is.
    fn saved(
        &self,
        engine: usize,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
    ) {
        self.verbose(|| {
            let why = match record.state() {
                OrderState::ExpectApproval { problems } if !problems.is_empty() => {
                    let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                    format!(" ({})", problems.join("; "))
                }
                OrderState::ExpectRepost { errors, .. } => {
                    let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                    format!(" ({})", errors.join("; "))
                }
                _ => String::new(),
            };
            format!(
                "engine {engine} saved {key}: {:?}{why} ack v{:?}, in flight {:?}, attempt {:?}",
                record.state().kind(),
                record.acknowledgement_version().map(|v| v.0),
                in_flight.map(|f| &f.command_key),
                record.attempt().map(|a| (a.failures, a.next_at)),
            )
        });
        let mut state = record.state();
        while let OrderState::Held { resume, .. } = state {
            state = resume;
        }
        let acknowledgement = match state {
            OrderState::ExpectAcknowledgementSubmitted { acknowledgement }
            | OrderState::ExpectAcknowledgementConfirmation {
                acknowledgement, ..
            } => acknowledgement,
            _ => return,
        };
        let Some(version) = record.acknowledgement_version() else {
            let mut st = self.lock();
            self.find(
                &mut st,
                Finding::Violation,
                format!("{key}: an acknowledgement was saved without a version"),
            );
            return;
        };
        let mut st = self.lock();
        let built = st
            .ledger
            .entry((key.program, key.number.to_string()))
            .or_default();
        if let Some(same) = built.iter().find(|b| b.version == version.0) {
            if same.acknowledgement != **acknowledgement {
                let text = format!(
                    "{key}: acknowledgement version {} saved with two different bodies",
                    version.0
                );
                self.find(&mut st, Finding::DuplicateAcknowledgement, text);
            }
            return;
        }
        built.push(Built {
            version: version.0,
            acknowledgement: (**acknowledgement).clone(),
            purchase_order: record.purchase_order().clone(),
            approval: record.approval(),
        });
    }

    /// Checks an acknowledgement as it leaves for Amazon, and records it.
    fn sending(&self, acknowledgement: Acknowledgement, transaction: Option<TransactionId>) {
        let program = match &acknowledgement {
            Acknowledgement::Retail(_) => Program::RetailProcurement,
            Acknowledgement::DirectFulfillment(_) => Program::DirectFulfillment,
        };
        let number = acknowledgement.purchase_order_number().to_string();
        let mut st = self.lock();
        let built = st
            .ledger
            .get(&(program, number.clone()))
            .and_then(|b| b.iter().find(|b| b.acknowledgement == acknowledgement))
            .cloned();
        let mut problems = Vec::new();
        match &built {
            None => problems.push(format!(
                "{} {number}: an acknowledgement was sent that the store never held (not persisted before acting)",
                program_code(program)
            )),
            Some(built) => {
                problems.extend(check_against_order(
                    &acknowledgement,
                    &built.purchase_order,
                    built.version,
                ));
                let auto = match program {
                    Program::RetailProcurement => st.knobs.auto_retail,
                    Program::DirectFulfillment => st.knobs.auto_direct_fulfillment,
                };
                let name = format!("{} {number} v{}", program_code(program), built.version);
                let id = external_id(
                    program,
                    &PurchaseOrderNumber::new(number.as_str()).unwrap_or_else(|e| panic!("{e}")),
                );
                let so = self.netsuite.snapshot(&id);
                match built.approval {
                    Some(Approval::AutoAcknowledgement) if auto => {}
                    Some(Approval::RejectedByPolicy) => {
                        if accepted_eaches(&acknowledgement).iter().any(|(_, a)| *a > 0) {
                            problems.push(format!(
                                "{name}: rejected by policy, yet it accepts a quantity"
                            ));
                        }
                    }
                    // Reviewed: only once a reviewer decided in NetSuite.
                    Some(Approval::Reviewed) => match &so {
                        None => problems.push(format!(
                            "{name}: acknowledged as reviewed with no sales order to review"
                        )),
                        Some(so) if so.status == NetSuiteStatus::PendingApproval => problems
                            .push(format!(
                                "{name}: acknowledged while the sales order waits for approval"
                            )),
                        Some(_) => {}
                    },
                    other => problems.push(format!(
                        "{name}: sent as {other:?}, but the program is {}",
                        if auto { "auto-acknowledged" } else { "reviewed" }
                    )),
                }
                {
                    for (line, accepted) in accepted_eaches(&acknowledgement) {
                        if accepted > 0 && st.closed_lines.contains(&(id.to_string(), line.clone()))
                        {
                            problems.push(format!(
                                "{} {number} v{}: line {line} accepted after the reviewer closed it",
                                program_code(program),
                                built.version
                            ));
                        }
                    }
                }
            }
        }
        for problem in problems {
            self.find(&mut st, Finding::Violation, problem);
        }
        let version = built.map(|b| b.version);
        self.note(
            &mut st,
            format!(
                "amazon: acknowledgement of {} {number} v{} {}",
                program_code(program),
                version.unwrap_or(0),
                if transaction.is_some() {
                    "taken"
                } else {
                    "not taken"
                }
            ),
        );
        st.sent.push(Sent {
            program,
            number,
            version,
            transaction,
        });
    }
}

/// The accepted (and back-ordered) eaches per PO line of an acknowledgement.
fn accepted_eaches(ack: &Acknowledgement) -> Vec<(String, u64)> {
    match ack {
        Acknowledgement::Retail(a) => a
            .lines
            .iter()
            .map(|l| {
                let accepted = l
                    .decisions
                    .iter()
                    .filter(|d| d.code != AcknowledgementCode::Rejected)
                    .map(|d| d.quantity.eaches().unwrap_or(u64::MAX))
                    .sum();
                (l.sequence.to_string(), accepted)
            })
            .collect(),
        Acknowledgement::DirectFulfillment(a) => a
            .lines
            .iter()
            .map(|l| {
                let accepted = if a.status_code == df_status::ACCEPTED {
                    l.quantity
                } else {
                    0
                };
                (l.sequence.to_string(), accepted)
            })
            .collect(),
    }
}

/// Problems of an acknowledgement against the order it answers: a quantity above the
/// one ordered, a quantity of zero (Amazon's models: it should not be zero), a cost
/// above Amazon's, a line with something ordered missing, a line unknown.
fn check_against_order(ack: &Acknowledgement, po: &PurchaseOrder, version: u32) -> Vec<String> {
    let mut problems = Vec::new();
    let name = format!("{} {} v{version}", program_code(po.program), po.number);
    let answered: Vec<&ItemSequenceNumber> = match ack {
        Acknowledgement::Retail(a) => a.lines.iter().map(|l| &l.sequence).collect(),
        Acknowledgement::DirectFulfillment(a) => a.lines.iter().map(|l| &l.sequence).collect(),
    };
    for line in &po.lines {
        if line.ordered.amount > 0 && !answered.contains(&&line.sequence) {
            problems.push(format!(
                "{name}: line {} is ordered but not acknowledged",
                line.sequence
            ));
        }
    }
    let zero = |sequence: &ItemSequenceNumber| {
        format!("{name}: line {sequence} acknowledges a quantity of zero")
    };
    let ordered = |sequence: &ItemSequenceNumber| {
        po.lines
            .iter()
            .find(|l| &l.sequence == sequence)
            .map(|l| (l.ordered.eaches().unwrap_or(0), l))
    };
    match ack {
        Acknowledgement::Retail(a) => {
            for line in &a.lines {
                let Some((eaches, po_line)) = ordered(&line.sequence) else {
                    problems.push(format!("{name}: line {} is not on the PO", line.sequence));
                    continue;
                };
                if line.decisions.iter().any(|d| d.quantity.amount == 0) {
                    problems.push(zero(&line.sequence));
                }
                let total: u64 = line
                    .decisions
                    .iter()
                    .map(|d| d.quantity.eaches().unwrap_or(u64::MAX))
                    .sum();
                if total > eaches {
                    problems.push(format!(
                        "{name}: line {} acknowledges {total} eaches of {eaches} ordered",
                        line.sequence
                    ));
                }
                let above = line
                    .net_cost
                    .money
                    .partial_cmp_amount(&po_line.net_cost.money)
                    .is_none_or(|o| o == std::cmp::Ordering::Greater);
                if above {
                    problems.push(format!(
                        "{name}: line {} confirms cost {} above Amazon's {}",
                        line.sequence, line.net_cost.money, po_line.net_cost.money
                    ));
                }
            }
        }
        Acknowledgement::DirectFulfillment(a) => {
            for line in &a.lines {
                if line.quantity == 0 {
                    problems.push(zero(&line.sequence));
                }
                match ordered(&line.sequence) {
                    None => problems.push(format!(
                        "{name}: line {} is not on the order",
                        line.sequence
                    )),
                    Some((eaches, _)) if line.quantity > eaches => problems.push(format!(
                        "{name}: line {} acknowledges {} of {eaches} ordered",
                        line.sequence, line.quantity
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    problems
}

// -------------------------------------------------------------------------------------
// Polling futures by hand
// -------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallKind {
    /// A read from Amazon or NetSuite.
    Read,
    /// A call with an effect at Amazon or NetSuite.
    Effect,
    /// A store read.
    Store,
    /// A store write.
    StoreWrite,
}

enum Before {
    Go,
    Fail(ErrorKind),
    Hang,
}

enum After {
    Keep,
    Lose,
    Hang,
}

/// Returns `Pending` once, waking itself: lets the other engine's future run.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A call that never returns: the process died in it.
async fn never<T>() -> T {
    std::future::pending::<T>().await
}

async fn guarded<T, E>(
    world: &World,
    op: &'static str,
    kind: CallKind,
    error: impl Fn(ErrorKind) -> E,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    if world.should_yield() {
        YieldNow(false).await;
    }
    match world.before(op, kind) {
        Before::Hang => return never().await,
        Before::Fail(kind) => return Err(error(kind)),
        Before::Go => {}
    }
    let result = call.await;
    match world.after(op, kind) {
        After::Hang => never().await,
        After::Lose => Err(error(ErrorKind::Transient)),
        After::Keep => result,
    }
}

fn client_error(op: &'static str) -> impl Fn(ErrorKind) -> ClientError {
    move |kind| ClientError::new(kind, op)
}

fn store_error(op: &'static str) -> impl Fn(ErrorKind) -> StoreError {
    move |_| StoreError::Backend {
        message: format!("{op}: the database connection dropped"),
        source: None,
    }
}

/// How a driven future ended.
pub enum Driven<T> {
    Done(T),
    /// The process crashed in it; it was dropped there.
    Crashed,
    /// It neither finished nor crashed in a bounded number of polls.
    Stuck,
}

const POLL_LIMIT: usize = 500_000;

type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Polls the futures in turn (the world's generator picks which next) until each has
/// finished or crashed. One future is one engine's cycle.
pub fn drive<'a, T>(world: &World, tasks: Vec<Task<'a, T>>) -> Vec<Driven<T>> {
    let mut slots: Vec<Option<Task<'a, T>>> = tasks.into_iter().map(Some).collect();
    let mut results: Vec<Option<Driven<T>>> = slots.iter().map(|_| None).collect();
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        let live: Vec<usize> = (0..slots.len()).filter(|i| slots[*i].is_some()).collect();
        if live.is_empty() {
            break;
        }
        let index = live[world.sched_below(live.len() as u64) as usize];
        let Some(task) = slots[index].as_mut() else {
            continue;
        };
        let poll = task.as_mut().poll(&mut cx);
        if let Poll::Ready(output) = poll {
            slots[index] = None;
            results[index] = Some(Driven::Done(output));
        } else if world.take_crash() {
            slots[index] = None;
            results[index] = Some(Driven::Crashed);
        }
        polls += 1;
        if polls > POLL_LIMIT {
            for (slot, result) in slots.iter_mut().zip(results.iter_mut()) {
                if slot.take().is_some() {
                    *result = Some(Driven::Stuck);
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Driven::Stuck))
        .collect()
}

pub fn drive_one<T>(world: &World, task: impl Future<Output = T>) -> Driven<T> {
    drive(world, vec![Box::pin(task)])
        .pop()
        .unwrap_or(Driven::Stuck)
}

// -------------------------------------------------------------------------------------
// The decorators
// -------------------------------------------------------------------------------------

struct EngineClock {
    world: Arc<World>,
    index: usize,
}

#[async_trait]
impl Clock for EngineClock {
    fn now(&self) -> DateTime<Utc> {
        let skew = self.world.lock().skews[self.index];
        self.world.clock.now() + skew
    }

    async fn sleep(&self, duration: Duration) {
        self.world.clock.sleep(duration).await;
    }
}

/// A page of a listing, for the trace.
fn listed<T>(query: &OrderQuery, orders: &[T], number: fn(&T) -> &Option<String>) -> String {
    let numbers: Vec<&str> = orders
        .iter()
        .map(|o| number(o).as_deref().unwrap_or("?"))
        .collect();
    format!(
        "amazon: {:?} window {} to {}{} lists {numbers:?}",
        query.kind,
        query.after.format("%d %H:%M:%S%.3f"),
        query.before.format("%d %H:%M:%S%.3f"),
        if query.next_token.is_some() {
            " (next page)"
        } else {
            ""
        }
    )
}

/// One answer the Vendor Central simulator gave the engine, before any fault the
/// decorators add: what the conformance test checks against Amazon's models. Orders
/// are large; the enum lives only as long as one call to the listener.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum AmazonAnswer {
    /// Retail `getPurchaseOrders`.
    RetailPage(Result<Page<retail::Order>, ClientError>),
    /// Retail `getPurchaseOrder`.
    RetailOrder(Result<retail::Order, ClientError>),
    /// Retail `submitAcknowledgement`.
    RetailSubmit(Result<TransactionId, ClientError>),
    /// Retail `getTransaction`.
    RetailTransaction(TransactionId, Result<TransactionOutcome, ClientError>),
    /// Retail `getPurchaseOrdersStatus`.
    RetailStatus(Result<Option<retail::OrderStatus>, ClientError>),
    /// Direct Fulfillment `getOrders`.
    DfPage(Result<Page<df::Order>, ClientError>),
    /// Direct Fulfillment `getOrder`.
    DfOrder(Result<df::Order, ClientError>),
    /// Direct Fulfillment `submitAcknowledgement`.
    DfSubmit(Result<TransactionId, ClientError>),
    /// Direct Fulfillment `getTransactionStatus`.
    DfTransaction(TransactionId, Result<TransactionOutcome, ClientError>),
    /// Not an answer: the retail acknowledgements the engine sent, heard before the
    /// simulator takes them, so their body can be checked too.
    RetailSent(Vec<RetailAcknowledgement>),
    /// Not an answer: the Direct Fulfillment acknowledgements the engine sent.
    DfSent(Vec<DirectFulfillmentAcknowledgement>),
}

/// Whoever hears the simulator's answers.
type AnswerListener = Box<dyn FnMut(AmazonAnswer)>;

thread_local! {
    /// Who hears every answer of the simulator on this thread (every future of a seed
    /// is polled on the thread running it); nobody by default.
    static AMAZON_ANSWERS: std::cell::RefCell<Option<AnswerListener>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `run` with every answer of the Vendor Central simulator on this thread given
/// to `hear`.
pub fn hearing_amazon<R>(hear: impl FnMut(AmazonAnswer) + 'static, run: impl FnOnce() -> R) -> R {
    let previous = AMAZON_ANSWERS.with(|h| h.borrow_mut().replace(Box::new(hear)));
    let result = run();
    AMAZON_ANSWERS.with(|h| *h.borrow_mut() = previous);
    result
}

/// A copy of an answer (an error loses its source, which no body carries).
fn copy<T: Clone>(result: &Result<T, ClientError>) -> Result<T, ClientError> {
    match result {
        Ok(value) => Ok(value.clone()),
        Err(e) => {
            Err(ClientError::new(e.kind.clone(), e.operation.clone())
                .with_messages(e.messages.clone()))
        }
    }
}

/// Tells whoever hears the simulator's answers of something else (a request).
fn tell(what: impl FnOnce() -> AmazonAnswer) {
    AMAZON_ANSWERS.with(|h| {
        if let Some(hear) = h.borrow_mut().as_mut() {
            hear(what());
        }
    });
}

/// Awaits the simulator's answer and tells it to whoever hears them.
async fn answered<T>(
    call: impl Future<Output = Result<T, ClientError>>,
    wrap: impl FnOnce(&Result<T, ClientError>) -> AmazonAnswer,
) -> Result<T, ClientError> {
    let result = call.await;
    AMAZON_ANSWERS.with(|h| {
        if let Some(hear) = h.borrow_mut().as_mut() {
            hear(wrap(&result));
        }
    });
    result
}

/// Amazon through a transport that fails, loses answers and crashes.
pub struct FaultyAmazon {
    world: Arc<World>,
}

impl FaultyAmazon {
    async fn submit<A: Clone>(
        &self,
        op: &'static str,
        acks: &[A],
        wrap: fn(A) -> Acknowledgement,
        call: impl Future<Output = Result<TransactionId, ClientError>>,
    ) -> Result<TransactionId, ClientError> {
        let world = &self.world;
        if world.should_yield() {
            YieldNow(false).await;
        }
        match world.before(op, CallKind::Effect) {
            Before::Hang => return never().await,
            Before::Fail(kind) => {
                for ack in acks {
                    world.sending(wrap(ack.clone()), None);
                }
                return Err(ClientError::new(kind, op));
            }
            Before::Go => {}
        }
        let result = call.await;
        for ack in acks {
            world.sending(wrap(ack.clone()), result.as_ref().ok().cloned());
        }
        match world.after(op, CallKind::Effect) {
            After::Hang => never().await,
            After::Lose => Err(ClientError::new(ErrorKind::Transient, op)),
            After::Keep => result,
        }
    }
}

#[async_trait]
impl RetailOrdersApi for FaultyAmazon {
    async fn purchase_orders(
        &self,
        query: &OrderQuery,
    ) -> Result<Page<retail::Order>, ClientError> {
        let op = "getPurchaseOrders";
        let result = guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(self.world.amazon.purchase_orders(query), |r| {
                AmazonAnswer::RetailPage(copy(r))
            }),
        )
        .await;
        if let Ok(page) = &result {
            self.world
                .verbose(|| listed(query, &page.orders, |o| &o.purchase_order_number));
        }
        result
    }

    async fn purchase_order(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<retail::Order, ClientError> {
        let op = "getPurchaseOrder";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(
                RetailOrdersApi::purchase_order(&*self.world.amazon, number),
                |r| AmazonAnswer::RetailOrder(copy(r)),
            ),
        )
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[RetailAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        tell(|| AmazonAnswer::RetailSent(acknowledgements.to_vec()));
        self.submit(
            "submitAcknowledgement",
            acknowledgements,
            Acknowledgement::Retail,
            answered(
                RetailOrdersApi::submit_acknowledgements(&*self.world.amazon, acknowledgements),
                |r| AmazonAnswer::RetailSubmit(copy(r)),
            ),
        )
        .await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        let op = "getTransaction";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(
                RetailOrdersApi::transaction_status(&*self.world.amazon, id),
                |r| AmazonAnswer::RetailTransaction(id.clone(), copy(r)),
            ),
        )
        .await
    }

    async fn purchase_order_status(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<Option<retail::OrderStatus>, ClientError> {
        let op = "getPurchaseOrdersStatus";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(self.world.amazon.purchase_order_status(number), |r| {
                AmazonAnswer::RetailStatus(copy(r))
            }),
        )
        .await
    }
}

#[async_trait]
impl DirectFulfillmentOrdersApi for FaultyAmazon {
    async fn orders(&self, query: &OrderQuery) -> Result<Page<df::Order>, ClientError> {
        let op = "getOrders";
        let result = guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(self.world.amazon.orders(query), |r| {
                AmazonAnswer::DfPage(copy(r))
            }),
        )
        .await;
        if let Ok(page) = &result {
            self.world
                .verbose(|| listed(query, &page.orders, |o| &o.purchase_order_number));
        }
        result
    }

    async fn order(&self, number: &PurchaseOrderNumber) -> Result<df::Order, ClientError> {
        let op = "getOrder";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(self.world.amazon.order(number), |r| {
                AmazonAnswer::DfOrder(copy(r))
            }),
        )
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[DirectFulfillmentAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        tell(|| AmazonAnswer::DfSent(acknowledgements.to_vec()));
        self.submit(
            "submitAcknowledgement (direct fulfillment)",
            acknowledgements,
            Acknowledgement::DirectFulfillment,
            answered(
                DirectFulfillmentOrdersApi::submit_acknowledgements(
                    &*self.world.amazon,
                    acknowledgements,
                ),
                |r| AmazonAnswer::DfSubmit(copy(r)),
            ),
        )
        .await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        let op = "getTransactionStatus";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(
                DirectFulfillmentOrdersApi::transaction_status(&*self.world.amazon, id),
                |r| AmazonAnswer::DfTransaction(id.clone(), copy(r)),
            ),
        )
        .await
    }
}

/// NetSuite through a transport that fails, loses answers and crashes.
pub struct FaultyNetSuite {
    world: Arc<World>,
}

#[async_trait]
impl NetSuiteApi for FaultyNetSuite {
    async fn upsert_sales_order(&self, draft: &SalesOrderDraft) -> Result<InternalId, ClientError> {
        let op = "upsert salesOrder";
        guarded(
            &self.world,
            op,
            CallKind::Effect,
            client_error(op),
            self.world.netsuite.upsert_sales_order(draft),
        )
        .await
    }

    async fn sales_order(
        &self,
        external_id: &ExternalId,
    ) -> Result<Option<SalesOrderSnapshot>, ClientError> {
        let op = "get salesOrder";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            self.world.netsuite.sales_order(external_id),
        )
        .await
    }

    async fn changed_sales_orders(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<SalesOrderChange>, ClientError> {
        let op = "suiteql changed salesOrders";
        let result = guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            self.world.netsuite.changed_sales_orders(since),
        )
        .await;
        if let Ok(changes) = &result {
            self.world.verbose(|| {
                let listed: Vec<String> = changes
                    .iter()
                    .map(|c| format!("{} {}", c.external_id, c.status.letter()))
                    .collect();
                format!("netsuite: changed since {since}: {listed:?}")
            });
        }
        result
    }

    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        update: &SalesOrderUpdate,
    ) -> Result<(), ClientError> {
        let op = "patch salesOrder";
        guarded(
            &self.world,
            op,
            CallKind::Effect,
            client_error(op),
            self.world.netsuite.update_sales_order(external_id, update),
        )
        .await
    }

    async fn close_sales_order(&self, external_id: &ExternalId) -> Result<(), ClientError> {
        let op = "close salesOrder";
        guarded(
            &self.world,
            op,
            CallKind::Effect,
            client_error(op),
            self.world.netsuite.close_sales_order(external_id),
        )
        .await
    }
}

/// The store on a database that fails, loses commit answers and dies mid-write.
pub struct FaultyStore {
    world: Arc<World>,
    /// The engine it serves, for the trace.
    index: usize,
}

#[async_trait]
impl OrderStore for FaultyStore {
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let op = "store load";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.load(key),
        )
        .await
    }

    async fn save(
        &self,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        next_wakeup: Option<DateTime<Utc>>,
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let op = "store save";
        let world = &self.world;
        let save = async {
            let result = world
                .store
                .save(key, record, in_flight, next_wakeup, expected)
                .await;
            if result.is_ok() {
                world.saved(self.index, key, record, in_flight);
            }
            result
        };
        guarded(world, op, CallKind::StoreWrite, store_error(op), save).await
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
        let op = "store due";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.due(now, limit),
        )
        .await
    }

    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let op = "store next wakeup";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.next_wakeup(),
        )
        .await
    }

    async fn keys(&self) -> Result<Vec<OrderKey>, StoreError> {
        let op = "store keys";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.keys(),
        )
        .await
    }

    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
        let op = "store watermark";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.watermark(cursor),
        )
        .await
    }

    async fn save_watermark(&self, cursor: Cursor, at: DateTime<Utc>) -> Result<(), StoreError> {
        let op = "store save watermark";
        let world = &self.world;
        let save = async {
            world.store.save_watermark(cursor, at).await?;
            world.lock().first_marks.entry(cursor).or_insert(at);
            Ok(())
        };
        guarded(world, op, CallKind::StoreWrite, store_error(op), save).await
    }
}

// -------------------------------------------------------------------------------------
// Running a seed
// -------------------------------------------------------------------------------------

/// The engines of a run, rebuilt from the store whenever one crashes.
pub struct Engines {
    world: Arc<World>,
    engines: Vec<Engine>,
    pub crashes: usize,
    pub cycles: usize,
}

impl Engines {
    pub fn new(world: &Arc<World>, count: usize) -> Self {
        Engines {
            world: world.clone(),
            engines: (0..count).map(|i| world.engine(i)).collect(),
            crashes: 0,
            cycles: 0,
        }
    }

    /// One cycle of every engine, interleaved. Returns the reports of the cycles that
    /// finished.
    pub fn cycle(&mut self) -> Vec<CycleReport> {
        let tasks: Vec<Task<'_, Result<CycleReport, EngineError>>> = self
            .engines
            .iter()
            .map(|e| Box::pin(e.run_cycle()) as Task<'_, _>)
            .collect();
        let results = drive(&self.world, tasks);
        self.cycles += 1;
        let mut reports = Vec::new();
        let mut crashed = Vec::new();
        for (index, result) in results.into_iter().enumerate() {
            match result {
                Driven::Done(Ok(report)) => {
                    self.world.verbose(|| format!("engine {index}: {report}"));
                    reports.push(report)
                }
                Driven::Done(Err(e)) => self
                    .world
                    .trace(format!("engine {index}: cycle failed: {e}")),
                Driven::Crashed => crashed.push(index),
                Driven::Stuck => self.world.report(
                    Finding::Violation,
                    format!("engine {index}: a cycle neither finished nor crashed"),
                ),
            }
        }
        for index in crashed {
            self.world
                .trace(format!("engine {index}: crashed, rebuilt from the store"));
            self.crashes += 1;
            self.engines[index] = self.world.engine(index);
        }
        reports
    }

    /// An operator's action through engine 0.
    pub fn act(&mut self, key: &OrderKey, action: OperatorAction) {
        self.world.trace(format!("operator: {action:?} on {key}"));
        let engine = &self.engines[0];
        match drive_one(&self.world, engine.act(key, action)) {
            Driven::Done(Ok(_)) => {}
            Driven::Done(Err(e)) => self.world.trace(format!("operator: refused: {e}")),
            Driven::Crashed => {
                self.crashes += 1;
                self.engines[0] = self.world.engine(0);
            }
            Driven::Stuck => self.world.report(
                Finding::Violation,
                format!("{key}: an operator action neither finished nor crashed"),
            ),
        }
    }
}

fn stored(world: &World) -> Vec<(OrderKey, StoredOrder)> {
    world.store.snapshot()
}

/// After the faults: the reviewer approves what waits for approval (fixing what
/// Amazon's rules refused), and the operator retries, reposts and releases what
/// waits for a person. Returns whether anyone did anything.
fn settle_people(world: &Arc<World>, engines: &mut Engines) -> bool {
    let mut acted = false;
    for (key, stored) in stored(world) {
        let id = stored.record.external_id().clone();
        let so = world.netsuite.snapshot(&id);
        let action = match stored.record.state() {
            // An operator re-fetches an order the sync could not read once Vendor
            // Central shows it readable.
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. },
            } => world
                .amazon_po(key.program, key.number.as_str())
                .map(|_| OperatorAction::Refetch),
            OrderState::ExpectFix { .. } => Some(OperatorAction::RetryNow),
            OrderState::ExpectRepost { .. } | OrderState::ExpectChangeReview => {
                Some(OperatorAction::Repost)
            }
            OrderState::Held { .. } => Some(OperatorAction::Release),
            OrderState::ExpectApproval { problems } => {
                let Some(so) = so else { continue };
                if problems.is_empty() && so.status != NetSuiteStatus::PendingApproval {
                    // Approved; the engine reads it at its next poll.
                    continue;
                }
                let po = stored.record.purchase_order();
                let mut st = world.lock();
                // Bring every line within what Amazon orders now, in whole cases.
                for line in &so.lines {
                    let Some(sequence) = &line.sequence else {
                        continue;
                    };
                    let Some(po_line) = po.lines.iter().find(|l| &l.sequence == sequence) else {
                        continue;
                    };
                    let case = po_line.ordered.unit_size.max(1);
                    let ordered = po_line.ordered.eaches().unwrap_or(0);
                    let allowed = line.quantity.min(ordered) / case * case;
                    if line.is_closed {
                        continue;
                    }
                    let whole_df = po.program == Program::DirectFulfillment
                        && so.lines.iter().any(|l| l.is_closed);
                    if allowed == 0 || whole_df {
                        st.closed_lines
                            .insert((id.to_string(), sequence.to_string()));
                        let _ = world.netsuite.close_line(&id, sequence);
                    } else if allowed != line.quantity {
                        let _ = world.netsuite.set_line_quantity(&id, sequence, allowed);
                    }
                }
                world.note(&mut st, format!("reviewer: fixes and approves {id}"));
                let _ = world.netsuite.approve(&id);
                acted = true;
                None
            }
            _ => None,
        };
        if let Some(action) = action {
            engines.act(&key, action);
            acted = true;
        }
    }
    // Sales orders still pending approval whose order no longer waits for review
    // (Amazon ended it meanwhile) are left as they are.
    acted
}

/// Runs one seed: faults, then calm until nothing is due, then the checks.
pub fn run_seed(seed: u64, verbose: bool) -> Outcome {
    let mut rng = Rng::new(seed);
    let knobs = Knobs::from_seed(&mut rng);
    let world = World::new(seed, knobs.clone(), rng, verbose);
    world.trace(format!("seed {}: {knobs:?}", world.seed));
    let mut engines = Engines::new(&world, if knobs.two_engines { 2 } else { 1 });

    for _ in 0..knobs.fault_cycles {
        engines.cycle();
        world.between_cycles();
    }

    world.set_faults(false);
    {
        let mut st = world.lock();
        st.skews = [TimeDelta::zero(); 2];
    }
    world.trace("faults stop");
    settle(&world, &mut engines);
    let mut outcome = check(&world);
    outcome.crashes = engines.crashes;
    outcome.cycles = engines.cycles;
    let (findings, traces) = run_twins(seed, verbose);
    outcome.findings.extend(findings);
    outcome.trace.extend(traces);
    outcome
}

/// Runs the seed's world calm (no fault, the world acting only between cycles)
/// twice: with one engine, and with two engines sharing the store, their calls
/// interleaved. Both runs must pass the checks and end every order the same way:
/// two engines on one store do the work of one, by compare-and-set, not by luck.
pub fn run_twins(seed: u64, verbose: bool) -> (Vec<(Finding, String)>, Vec<String>) {
    let mut rng = Rng::new(seed);
    let knobs = Knobs::from_seed(&mut rng);
    let mut findings = Vec::new();
    let mut ends = Vec::new();
    let mut traces = Vec::new();
    for engines in [1, 2] {
        let world = World::new(seed, knobs.calm(engines), rng.clone(), verbose);
        world.set_faults(false);
        let mut run = Engines::new(&world, engines);
        for _ in 0..knobs.fault_cycles {
            run.cycle();
            world.between_cycles();
        }
        settle(&world, &mut run);
        findings.extend(
            check(&world)
                .findings
                .into_iter()
                .map(|(f, text)| (f, format!("calm, {engines} engine(s): {text}"))),
        );
        ends.push(ends_of(&world));
        if verbose {
            traces.push(format!("---- calm run with {engines} engine(s)"));
            traces.extend(world.lock().trace.clone());
        }
    }
    let (one, two) = (&ends[0], &ends[1]);
    for key in one.keys().chain(two.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (one.get(key), two.get(key));
        if a != b {
            findings.push((
                Finding::Violation,
                format!(
                    "{key} ended otherwise with two engines: one engine: {}; two engines: {}",
                    a.map_or("unknown", String::as_str),
                    b.map_or("unknown", String::as_str)
                ),
            ));
        }
    }
    (findings, traces)
}

/// How every order ended: its status, its sales order's status and lines, and what
/// its confirmed acknowledgement accepted. (Not how many acknowledgements were sent:
/// how they are batched differs with the engines.)
fn ends_of(world: &World) -> BTreeMap<String, String> {
    let mut ends = BTreeMap::new();
    for (key, stored) in stored(world) {
        let record = &stored.record;
        let mut text = record.status_label().to_owned();
        if let Some(so) = world.netsuite.snapshot(record.external_id()) {
            text.push_str(&format!("; NetSuite {}", so.status.letter()));
            for line in &so.lines {
                text.push_str(&format!(
                    " {}:{}{}",
                    line.sequence.as_ref().map_or("-", |s| s.as_str()),
                    line.quantity,
                    if line.is_closed { " closed" } else { "" }
                ));
            }
        }
        if let Some(confirmed) = record.confirmed_acknowledgement() {
            text.push_str(&format!(
                "; confirmed accepting {:?}",
                accepted_eaches(&confirmed.acknowledgement)
            ));
        }
        ends.insert(key.to_string(), text);
    }
    ends
}

/// Cycles without faults until nothing is due and nobody has anything to do, at most
/// a bounded number of times.
fn settle(world: &Arc<World>, engines: &mut Engines) {
    let mut quiet = 0;
    // Amazon's cancellations of accepted Direct Fulfillment orders are read by a check
    // that runs once per interval, with no wake-up in the store: calm lasts at least
    // one interval past the faults.
    let checked_by = world.clock.now()
        + TimeDelta::from_std(world.config.cancellation_check_interval).unwrap_or_default()
        + TimeDelta::minutes(1);
    for _ in 0..150 {
        let reports = engines.cycle();
        let acted = settle_people(world, engines);
        let busy = reports
            .iter()
            .any(|r| !r.is_quiet() || !r.errors.is_empty());
        let next = drive_one(world, world.store.next_wakeup());
        let next = match next {
            Driven::Done(Ok(next)) => next,
            _ => None,
        };
        if !busy && !acted && next.is_none() && world.clock.now() >= checked_by {
            quiet += 1;
            if quiet >= 2 {
                return;
            }
        } else {
            quiet = 0;
        }
        let now = world.clock.now();
        let step = next
            .map(|at| (at - now).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(600))
            .clamp(Duration::from_secs(60), Duration::from_secs(6 * 3600));
        world.clock.advance(step);
    }
    world.report(
        Finding::Violation,
        "the orders did not settle within 150 calm cycles".to_owned(),
    );
}

// -------------------------------------------------------------------------------------
// The checks
// -------------------------------------------------------------------------------------

fn eaches_of(q: Option<&retail::ItemQuantity>) -> u64 {
    let Some(q) = q else { return 0 };
    let amount = q.amount.as_ref().and_then(|n| n.as_u64()).unwrap_or(0);
    let size = q.unit_size.as_ref().and_then(|n| n.as_u64()).unwrap_or(1);
    match q.unit_of_measure.as_ref().and_then(|u| u.known()) {
        Some(retail::UnitOfMeasure::Cases) => amount * size,
        _ => amount,
    }
}

/// What Amazon accepted per line of a retail PO, and whether it was acknowledged.
fn retail_accepted(world: &World, number: &str) -> (bool, BTreeMap<String, (u64, u64)>) {
    let Some(status) = world.amazon.retail_status(number) else {
        return (false, BTreeMap::new());
    };
    let mut acknowledged = false;
    let mut lines = BTreeMap::new();
    for item in status.item_status.unwrap_or_default() {
        let Some(ack) = item.acknowledgement_status else {
            continue;
        };
        if ack.acknowledgement_status_details.is_some() {
            acknowledged = true;
        }
        lines.insert(
            item.item_sequence_number.unwrap_or_default(),
            (
                eaches_of(ack.accepted_quantity.as_ref()),
                eaches_of(ack.rejected_quantity.as_ref()),
            ),
        );
    }
    (acknowledged, lines)
}

/// The final checks of one seed.
pub fn check(world: &Arc<World>) -> Outcome {
    let records: BTreeMap<OrderKey, StoredOrder> = stored(world).into_iter().collect();
    let (placed, first_marks, elsewhere, broken) = {
        let st = world.lock();
        (
            st.placed.clone(),
            st.first_marks.clone(),
            st.elsewhere.clone(),
            st.broken.clone(),
        )
    };
    let mut found: Vec<(Finding, String)> = Vec::new();
    let mut before_the_start = 0;

    // Every PO Amazon holds is known, settled, and agrees with both simulators.
    for (program, number, placed_at) in &placed {
        let name = format!("{} {number}", program_code(*program));
        // The sync reads a program from the first lookback before its first read of
        // it (saved as the cursor's first watermark, one window overlap later).
        let cursor = match program {
            Program::RetailProcurement => Cursor::Retail(avc_order_sync::WindowKind::Created),
            Program::DirectFulfillment => Cursor::DirectFulfillment,
        };
        let start = first_marks
            .get(&cursor)
            .map(|m| *m - TimeDelta::from_std(world.config.window_overlap).unwrap_or_default());
        if start.is_some_and(|start| *placed_at < start) {
            before_the_start += 1;
            continue;
        }
        let key = OrderKey {
            program: *program,
            number: PurchaseOrderNumber::new(number.as_str()).unwrap_or_else(|e| panic!("{e}")),
        };
        let Some(stored) = records.get(&key) else {
            found.push((
                Finding::LostOrder,
                format!("{name}: Amazon holds it, the store does not"),
            ));
            continue;
        };
        let record = &stored.record;
        if let Some(flight) = &stored.in_flight {
            found.push((
                Finding::Violation,
                format!(
                    "{name}: `{}` still in flight at the end",
                    flight.command_key
                ),
            ));
        }
        let history = record.history();
        if history.windows(2).any(|w| w[1].at < w[0].at) {
            found.push((
                Finding::Violation,
                format!(
                    "{name}: history out of time order: {:?}",
                    history.iter().map(|h| h.at).collect::<Vec<_>>()
                ),
            ));
        }
        let Some(po) = world.amazon_po(*program, number) else {
            // Not lost: stored, shown as needing attention, until Amazon sends it
            // readable.
            if !(broken.contains(&(*program, number.clone())) && record.awaits_readable_order()) {
                found.push((
                    Finding::Violation,
                    format!(
                        "{name} ({}): Amazon's order cannot be read",
                        record.status_label()
                    ),
                ));
            }
            continue;
        };
        if elsewhere.contains(&(*program, number.clone())) {
            // Answered in Vendor Central before the sync saw it: the sync never
            // acknowledges it again, and it ends as any acknowledged order does.
            let st = world.lock();
            let sent = st
                .sent
                .iter()
                .filter(|s| s.program == *program && s.number == *number)
                .count();
            if sent > 0 {
                found.push((
                    Finding::DuplicateAcknowledgement,
                    format!("{name}: acknowledged in Vendor Central, and {sent} time(s) again by the sync"),
                ));
            }
        }
        let id = record.external_id().clone();
        let so = world.netsuite.snapshot(&id);
        for problem in agreement(world, &name, record, &po, so.as_ref()) {
            found.push(problem);
        }
    }

    // Exactly one sales order per PO, none for a PO that does not exist.
    for id in world.netsuite.external_ids() {
        let creations = world.netsuite.creations(&id);
        if creations > 1 {
            for _ in 1..creations {
                found.push((
                    Finding::DuplicateSalesOrder,
                    format!("{id}: {creations} sales orders created"),
                ));
            }
        }
        let known = avc_order_sync::engine::order_key_of(&id).is_some_and(|k| {
            placed
                .iter()
                .any(|(p, n, _)| *p == k.program && n.as_str() == k.number.as_str())
        });
        if !known {
            found.push((
                Finding::DuplicateSalesOrder,
                format!("{id}: a sales order for a PO Amazon does not hold"),
            ));
        }
    }

    // Exactly one acknowledgement per order and version.
    let st = world.lock();
    let mut resent = 0;
    let mut by_version: BTreeMap<(Program, String, Option<u32>), Vec<&Sent>> = BTreeMap::new();
    for sent in st.sent.iter().filter(|s| s.transaction.is_some()) {
        by_version
            .entry((sent.program, sent.number.clone(), sent.version))
            .or_default()
            .push(sent);
    }
    for ((program, number, version), copies) in &by_version {
        if copies.len() < 2 {
            continue;
        }
        // A copy sent again because the first one's answer was lost and Amazon's
        // transaction for it failed: Amazon applied none of the earlier ones.
        let earlier_failed = copies[..copies.len() - 1].iter().all(|s| {
            s.transaction.as_ref().is_some_and(|t| {
                matches!(
                    world.amazon.transaction_outcome(t),
                    Some(TransactionOutcome::Failure(_))
                )
            })
        });
        if earlier_failed {
            resent += copies.len() - 1;
            continue;
        }
        for _ in 1..copies.len() {
            found.push((
                Finding::DuplicateAcknowledgement,
                format!(
                    "{} {number} v{}: Amazon received it {} times",
                    program_code(*program),
                    version.unwrap_or(0),
                    copies.len()
                ),
            ));
        }
    }
    let taken = st.sent.iter().filter(|s| s.transaction.is_some()).count();
    let received = world.amazon.acknowledgements().len();
    if taken != received {
        found.push((
            Finding::Violation,
            format!("the harness saw {taken} acknowledgements taken, Amazon received {received}"),
        ));
    }
    let mut findings = st.findings.clone();
    findings.extend(found);
    Outcome {
        findings,
        resent_after_failed_transaction: resent,
        before_the_start,
        crashes: st.crashes,
        faults: st.faults,
        cycles: 0,
        // Printed only when one seed is replayed: kept only then.
        trace: if st.verbose {
            st.trace.clone()
        } else {
            Vec::new()
        },
    }
}

/// Whether an order's final status agrees with Amazon and NetSuite.
fn agreement(
    world: &World,
    name: &str,
    record: &OrderRecord,
    po: &PurchaseOrder,
    so: Option<&SalesOrderSnapshot>,
) -> Vec<(Finding, String)> {
    let mut found = Vec::new();
    let mut disagree = |text: String| {
        found.push((
            Finding::Violation,
            format!("{name} ({}): {text}", record.status_label()),
        ));
    };
    let so_status = so.map(|s| s.status.clone());
    let so_closed = matches!(
        so_status,
        None | Some(NetSuiteStatus::Closed) | Some(NetSuiteStatus::Cancelled)
    );
    match record.state() {
        OrderState::ExpectShipment => {
            if so_status != Some(NetSuiteStatus::PendingFulfillment) {
                disagree(format!(
                    "NetSuite shows {so_status:?}, not Pending Fulfillment"
                ));
            }
            if record.confirmed_acknowledgement().is_none() {
                disagree("no acknowledgement confirmed".to_owned());
            }
            match po.program {
                Program::RetailProcurement => {
                    let (acknowledged, accepted) = retail_accepted(world, po.number.as_str());
                    if !acknowledged {
                        disagree(format!(
                            "Amazon's PO is {:?} and was never acknowledged",
                            po.state
                        ));
                    }
                    for line in so.map(|s| s.lines.as_slice()).unwrap_or_default() {
                        let Some(sequence) = &line.sequence else {
                            continue;
                        };
                        let taken = accepted.get(sequence.as_str()).map_or(0, |a| a.0);
                        if !line.is_closed && line.quantity > taken {
                            disagree(format!(
                                "NetSuite line {sequence} ships {} eaches, Amazon accepted {taken}",
                                line.quantity
                            ));
                        }
                    }
                }
                Program::DirectFulfillment => {
                    if !matches!(
                        po.state,
                        AmazonOrderState::Accepted | AmazonOrderState::Shipped
                    ) {
                        disagree(format!("Amazon's order is {:?}", po.state));
                    }
                }
            }
        }
        OrderState::Cancelled { reason } | OrderState::Closed { reason } => {
            if !so_closed {
                disagree(format!("NetSuite shows {so_status:?}, not closed"));
            }
            let amazon_ended = match po.program {
                Program::RetailProcurement => {
                    // Closed, every line cancelled, or every line it accepted cancelled.
                    let (acknowledged, accepted) = retail_accepted(world, po.number.as_str());
                    let cancelled = |sequence: &str| {
                        po.lines
                            .iter()
                            .find(|l| l.sequence.as_str() == sequence)
                            .is_none_or(|l| l.ordered.amount == 0)
                    };
                    po.state == AmazonOrderState::Closed
                        || po.lines.iter().all(|l| l.ordered.amount == 0)
                        || (acknowledged
                            && accepted.iter().any(|(_, a)| a.0 > 0)
                            && accepted
                                .iter()
                                .filter(|(_, a)| a.0 > 0)
                                .all(|(s, _)| cancelled(s)))
                }
                Program::DirectFulfillment => po.state == AmazonOrderState::Cancelled,
            };
            let agrees = match reason {
                CloseReason::CancelledByAmazon | CloseReason::ClosedByAmazon => amazon_ended,
                CloseReason::NothingToShip => match po.program {
                    Program::RetailProcurement => {
                        let (acknowledged, accepted) = retail_accepted(world, po.number.as_str());
                        amazon_ended || (acknowledged && accepted.values().all(|a| a.0 == 0))
                    }
                    Program::DirectFulfillment => po.state == AmazonOrderState::Cancelled,
                },
                CloseReason::ChangedAfterAcknowledgement => {
                    world.settings.policies.changed_after_acknowledgement
                        == ChangedAfterAcknowledgementPolicy::CancelSalesOrder
                        && record.confirmed_acknowledgement().is_some()
                }
                CloseReason::CancelledByOperator { .. } => true,
                _ => false,
            };
            if !agrees {
                disagree(format!(
                    "ended ({reason}) but Amazon's order is {:?} with quantities {:?}",
                    po.state,
                    po.lines
                        .iter()
                        .map(|l| l.ordered.amount)
                        .collect::<Vec<_>>()
                ));
            }
        }
        OrderState::ExpectFix {
            attention: Attention::Mapping { .. },
        } => disagree("waits for a mapping fix, but every item is mapped".to_owned()),
        _ => {
            found.push((
                Finding::LostOrder,
                format!(
                    "{name}: did not settle: {}, {:?}",
                    record.status_label(),
                    record.state().kind()
                ),
            ));
        }
    }
    found
}
