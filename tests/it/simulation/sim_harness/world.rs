//! The world: simulators, store, and what the harness saw.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use avc_order_sync::Acknowledgement;
use avc_order_sync::lifecycle::Approval;
use avc_order_sync::settings::Settings;
use avc_order_sync::testing::orders::{self};
use avc_order_sync::testing::{
    AmazonOperation, ManualClock, NetSuite, VendorCentral, catalogue_settings,
};
use avc_order_sync::{Clients, Engine, EngineConfig};
use avc_order_sync::{Clock, Program, PurchaseOrder, TransactionId};
use avc_order_sync::{Cursor, MemoryStore};

use super::decorators::{
    EngineClock, faulty_direct_fulfillment, faulty_netsuite, faulty_retail, faulty_store,
};
use super::random::{Rng, seeded};
use super::seed::{Finding, Knobs};

/// An acknowledgement version as the store held it when it was built.
#[derive(Debug, Clone)]
pub(super) struct Built {
    pub(super) version: u32,
    pub(super) acknowledgement: Acknowledgement,
    pub(super) purchase_order: PurchaseOrder,
    pub(super) approval: Option<Approval>,
}

/// An acknowledgement the engine sent.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    pub(super) program: Program,
    pub(super) number: String,
    pub(super) version: Option<u32>,
    /// Amazon's transaction, when the POST reached Amazon.
    pub(super) transaction: Option<TransactionId>,
}

pub(super) struct WorldState {
    /// What the world does and which faults strike.
    pub(super) rng: Rng,
    /// How engines interleave: which future is polled next, and where one yields.
    pub(super) sched: Rng,
    pub(super) knobs: Knobs,
    pub(super) faults_on: bool,
    pub(super) crashed: bool,
    pub(super) next_number: u64,
    pub(super) placed: Vec<(Program, String, DateTime<Utc>)>,
    /// The first watermark the engine saved per cursor: where the sync starts.
    pub(super) first_marks: BTreeMap<Cursor, DateTime<Utc>>,
    pub(super) ledger: BTreeMap<(Program, String), Vec<Built>>,
    pub(super) sent: Vec<Sent>,
    pub(super) closed_lines: BTreeSet<(String, String)>,
    /// When a person first confirmed a compliance hold on a PO, so an update after
    /// its window sent from then on is the person's decision.
    pub(super) compliance_confirmed: BTreeMap<String, DateTime<Utc>>,
    pub(super) skews: [TimeDelta; 2],
    pub(super) findings: Vec<(Finding, String)>,
    pub(super) trace: Vec<String>,
    pub(super) faults: usize,
    pub(super) crashes: usize,
    /// Trace every call and save (when replaying one seed).
    pub(super) verbose: bool,
    /// What Amazon does outside the sync to the orders it lists: acknowledges them
    /// elsewhere, lists them unreadable, corrects them.
    pub(super) intake: Rng,
    /// Orders acknowledged or accepted before the sync listed them.
    pub(super) elsewhere: BTreeSet<(Program, String)>,
    /// Orders Amazon lists unreadable now.
    pub(super) broken: BTreeSet<(Program, String)>,
    /// When the outage of Amazon's listings ends, once one began.
    pub(super) outage_until: Option<DateTime<Utc>>,
    /// Orders placed during the outage: when placed, and when Amazon lists them.
    pub(super) listed_late: Vec<ListedLate>,
    /// Those of them a deep sweep reaches back to after the calm began: the calm lasts
    /// until they are stored, or until such a sweep has run.
    pub(super) within_sweeps: BTreeSet<(Program, String)>,
}

/// An order Amazon listed late.
#[derive(Debug, Clone)]
pub(super) struct ListedLate {
    pub(super) program: Program,
    pub(super) number: String,
    pub(super) placed: DateTime<Utc>,
    pub(super) listed_from: DateTime<Utc>,
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

pub(super) fn program_code(program: Program) -> &'static str {
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
                sched: seeded(seed ^ 0x5CED_0000_5CED),
                knobs: knobs.clone(),
                faults_on: true,
                crashed: false,
                next_number: seed.wrapping_mul(1_000),
                placed: Vec::new(),
                first_marks: BTreeMap::new(),
                ledger: BTreeMap::new(),
                sent: Vec::new(),
                closed_lines: BTreeSet::new(),
                compliance_confirmed: BTreeMap::new(),
                skews: [TimeDelta::zero(); 2],
                findings: Vec::new(),
                trace: Vec::new(),
                faults: 0,
                crashes: 0,
                verbose,
                intake: seeded(seed ^ 0x1A7A_4E00_0000_5EED),
                elsewhere: BTreeSet::new(),
                broken: BTreeSet::new(),
                outage_until: None,
                listed_late: Vec::new(),
                within_sweeps: BTreeSet::new(),
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

    pub(super) fn lock(&self) -> MutexGuard<'_, WorldState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn note(&self, st: &mut WorldState, text: impl AsRef<str>) {
        if st.verbose && st.trace.len() < TRACE_LIMIT {
            let at = self.clock.now().format("%d %H:%M:%S%.3f");
            st.trace.push(format!("{at} {}", text.as_ref()));
        }
    }

    pub fn trace(&self, text: impl AsRef<str>) {
        let mut st = self.lock();
        self.note(&mut st, text);
    }

    pub(super) fn find(&self, st: &mut WorldState, finding: Finding, text: String) {
        self.note(st, format!("FOUND {finding:?}: {text}"));
        st.findings.push((finding, text));
    }

    pub fn report(&self, finding: Finding, text: String) {
        let mut st = self.lock();
        self.find(&mut st, finding, text);
    }

    pub(super) fn verbose(&self, text: impl FnOnce() -> String) {
        let mut st = self.lock();
        if st.verbose {
            let text = text();
            self.note(&mut st, text);
        }
    }

    pub fn set_faults(&self, on: bool) {
        self.lock().faults_on = on;
    }

    pub(super) fn sched_below(&self, bound: u64) -> u64 {
        self.lock().sched.below(bound)
    }

    /// Whether a crash struck during the last poll; clears it.
    pub(super) fn take_crash(&self) -> bool {
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
        let clients = Clients {
            retail: Arc::new(faulty_retail(self)),
            direct_fulfillment: Arc::new(faulty_direct_fulfillment(self)),
            netsuite: Arc::new(faulty_netsuite(self)),
        };
        let store = Arc::new(faulty_store(self, index));
        Engine::new(
            self.settings.clone(),
            clients,
            store,
            self.engine_clock(index),
        )
        .with_config(self.config.clone())
    }
}
