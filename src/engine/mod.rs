//! The sync engine: the thin async shell that runs the pure lifecycle against the
//! integrator's clients and store.
//!
//! One call, [`Engine::run_cycle`], does a cycle: it reads new and changed orders of
//! both programs from Amazon (and, every half hour by default, the Direct Fulfillment
//! orders Amazon cancelled since it read them), picks up approvals from NetSuite, wakes
//! the orders that are due (retries, status checks, deadlines), executes every command
//! the lifecycle decides, feeds the outcomes back, and returns a [`CycleReport`]. The
//! integrator's scheduler calls it again at [`CycleReport::next_wakeup`] or on its own
//! schedule: the engine spawns nothing and sleeps only through [`Clock::sleep`], to
//! pace calls under Amazon's rate limits.
//!
//! Persist, then act: every record is saved with the command it is about to execute
//! before the call is made, and every side effect carries its idempotency key (the
//! NetSuite external id; the PO number and acknowledgement version). A crash at any
//! point and a rerun repeat nothing harmful: an upsert by external id is idempotent,
//! and an acknowledgement whose answer was lost is checked against the order at
//! Amazon before it is ever sent again.

mod audit;
mod limits;
mod observer;
mod report;
mod view;
mod windows;

mod approvals;
mod calls;
mod commands;
mod cycle;
mod persistence;
use persistence::STORE_CONFLICT_RETRIES;
mod reconcile;
mod recovery;
mod retrieval;
mod sweep;

pub use approvals::order_key_of;
pub use audit::AuditExportError;
use commands::{acknowledgement_of, holds_draft};
use cycle::{BoxFuture, Cycle, earlier, later};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

pub(crate) use limits::TokenBucket;
pub use observer::{NoObserver, Observer};
pub use report::{CycleReport, ListingPlace, ReportLine, SetAside, SkippedSpan, write_table};
pub use sweep::DeepSweep;

use crate::acknowledgement::Acknowledgement;
use crate::client::{
    ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, NetSuiteApi, OrderQuery,
    RetailOrdersApi, WindowKind,
};
use crate::ids::{ExternalId, PurchaseOrderNumber, TransactionId};
use crate::lifecycle::answers::{self, AnswerTiming, TransactionAnswer};
use crate::lifecycle::outbox::{self, Marker, Outbox};
use crate::lifecycle::{
    AcknowledgementKey, AmazonAcceptance, Command, CommandFailure, CommandKey, CommandKind, Event,
    FailureKind, OrderRecord, OrderState, RetryPolicy, UnreadableOrder, accepted_at_amazon,
    acknowledged_before, awaits_cancellation, doubt_of_cancellation,
};
use crate::order::{Program, PurchaseOrder, ValidationError};
use crate::sales_order::{NetSuiteStatus, SalesOrderChanges};
use crate::settings::Settings;
use crate::store::{Cursor, InFlight, OrderKey, OrderStore, StoreError, StoredOrder};
use windows::WindowPlan;

/// How the engine paces and batches its work. [`Default`] follows Amazon's and
/// NetSuite's documented limits.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Orders per page when listing (`limit`, 1 to 100).
    pub page_limit: u32,
    /// Acknowledgements per request (default 50; Amazon sets no maximum, but a body
    /// over its size limit is refused with HTTP 413).
    pub acknowledgement_batch_size: usize,
    /// The longest window asked for (Amazon refuses more than 7 days).
    pub max_window: Duration,
    /// How far each retrieval reaches back before the stored watermark, so an order
    /// Amazon lists late is still seen.
    pub window_overlap: Duration,
    /// How far back the first retrieval reaches, before any watermark exists.
    pub first_lookback: Duration,
    /// How often to list the Direct Fulfillment orders Amazon cancelled
    /// ([`WindowKind::Cancelled`]: `getOrders` with `status=CANCELLED`): at most once in
    /// this interval, counted from the start of the last check that read every window
    /// (kept in the store as [`Cursor::DirectFulfillmentCancellations`]). A check that
    /// fails is reported and tried again the next cycle. The first cycle on a store
    /// only starts the interval: every order it reads comes with its status then.
    ///
    /// Direct Fulfillment orders are listed by creation date only, so without this an
    /// order a consumer cancelled after the engine read it would wait in NetSuite (for
    /// approval, or to ship) until an acknowledgement of it failed. Retail POs need no
    /// such check: Amazon's cancellations move their changed date. Default 30 minutes.
    pub cancellation_check_interval: Duration,
    /// How far back, by creation date, that check looks for cancelled Direct
    /// Fulfillment orders, in windows of at most [`EngineConfig::max_window`] (and never
    /// more than 7 days). After a stop (more than two intervals since the previous
    /// check) it reaches back from the previous check instead of from now, so the stop
    /// widens the next check rather than leaving a gap. A cancellation of an
    /// order created earlier is not seen this way. Amazon lists orders of the last six
    /// months only. Default 7 days.
    pub cancellation_lookback: Duration,
    /// The deep sweeps: past windows listed again on a schedule, so that an order
    /// Amazon lists late (after the retrieval's watermark passed its date, as in
    /// Amazon's outages where POs were missing from the API for days) is still found.
    /// Each lists both programs' orders created in its lookback, in windows of at most
    /// [`EngineConfig::max_window`] and with the retrieval's pacing, up to where the
    /// retrieval reads from; an order new to the store is received and flagged as
    /// found late. Never further back than Amazon lists (six months), nor before where
    /// the sync started. When each last started is kept in the store
    /// ([`Cursor::Sweep`]); the first cycle on a store only starts each period. Empty:
    /// no sweep. Default [`DeepSweep::DEFAULTS`]: the last 7 days once a day, the last
    /// 30 days once a week.
    pub deep_sweeps: Vec<DeepSweep>,
    /// NetSuite requests in flight at once (the account's concurrency limit, or the
    /// share of it given to this integration).
    pub netsuite_concurrency: usize,
    /// Amazon requests a second, per operation.
    pub amazon_rate_per_second: u32,
    /// Amazon's burst, per operation.
    pub amazon_burst: u32,
    /// A retail acknowledgement whose transaction still says Processing this long after
    /// submission is taken as accepted: Amazon never reports Success for them.
    pub processing_confirms_after: Duration,
    /// A Direct Fulfillment acknowledgement whose transaction still says Processing
    /// this long after submission has its order read at Amazon: `ACCEPTED` confirms
    /// it. Amazon's older guide says Direct Fulfillment transactions report only
    /// Processing and Failure, and that one not turned to Failure after 30 minutes
    /// succeeded. Default 30 minutes.
    pub direct_fulfillment_processing_read_after: Duration,
    /// A Direct Fulfillment acknowledgement still unconfirmed this long after
    /// submission (its transaction Processing, its order not shown `ACCEPTED`) is
    /// handed to a person; retrying checks again. Default 4 hours.
    pub direct_fulfillment_unconfirmed_after: Duration,
    /// After an acknowledgement's answer was lost, how long to wait before checking the
    /// order at Amazon and deciding whether to send it again (longer than Amazon takes
    /// to process one).
    pub uncertain_submission_wait: Duration,
    /// After a crash left an idempotent NetSuite command unanswered, how long before it
    /// is sent again.
    pub in_flight_grace: Duration,
    /// The most rounds of command execution in one cycle.
    pub max_passes: usize,
    /// The most due orders woken in one cycle.
    pub due_batch: usize,
    /// Backoff and attempt limits for failed commands.
    pub retry: RetryPolicy,
    /// With several workers on one store: how long a worker holds the lease on a
    /// cursor's listing once it takes it ([`OrderStore::take_lease`]), renewed each
    /// cycle. While it holds it, the other workers skip that listing (the retrievals,
    /// the NetSuite poll, the check for cancellations and the deep sweeps), so the
    /// listing calls stay those of one worker; a worker that dies holding it loses it
    /// this long after its last cycle, and another takes over. Longer than the time
    /// between two cycles plus the workers' clock skew. Default `None`: no leases,
    /// every worker lists (right for one worker).
    pub retrieval_lease: Option<Duration>,
    /// With several workers on one store: every Amazon request also takes a token from
    /// a budget kept in the store ([`OrderStore::take_from_budget`]) at
    /// `amazon_rate_per_second` and `amazon_burst`, so that the workers together stay
    /// within Amazon's rate per operation. Default `false`: each worker paces alone
    /// at `amazon_rate_per_second`, which with several workers must then be each
    /// one's fixed share of the rate.
    pub shared_rate_budget: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            page_limit: 100,
            acknowledgement_batch_size: 50,
            max_window: Duration::from_secs(7 * 24 * 3600),
            window_overlap: Duration::from_secs(10 * 60),
            first_lookback: Duration::from_secs(3 * 24 * 3600),
            cancellation_check_interval: Duration::from_secs(30 * 60),
            cancellation_lookback: Duration::from_secs(7 * 24 * 3600),
            deep_sweeps: DeepSweep::DEFAULTS.to_vec(),
            netsuite_concurrency: 5,
            amazon_rate_per_second: 10,
            amazon_burst: 10,
            processing_confirms_after: Duration::from_secs(15 * 60),
            direct_fulfillment_processing_read_after: Duration::from_secs(30 * 60),
            direct_fulfillment_unconfirmed_after: Duration::from_secs(4 * 3600),
            uncertain_submission_wait: Duration::from_secs(30 * 60),
            in_flight_grace: Duration::from_secs(5 * 60),
            max_passes: 16,
            due_batch: 100_000,
            retry: RetryPolicy::default(),
            retrieval_lease: None,
            shared_rate_budget: false,
        }
    }
}

/// A failure of the cycle itself (not of one order, which is a report line).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The store failed; nothing was lost, and the next cycle resumes.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An operator action named an order the store does not hold.
    #[error("no order {key} in the store")]
    UnknownOrder {
        /// The order.
        key: OrderKey,
    },
    /// An operator action does not fit the order's state; the order is unchanged.
    #[error(transparent)]
    Transition(#[from] crate::lifecycle::TransitionError),
    /// Re-fetching an order from Amazon failed.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// What an operator can do to one order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperatorAction {
    /// Do now what the order waits for (after fixing data or settings).
    RetryNow,
    /// Send the acknowledgement again, rebuilt from the sales order (after Amazon
    /// rejected it and the order was fixed in NetSuite).
    Repost,
    /// Stop working on the order until released.
    Hold {
        /// Why.
        reason: String,
    },
    /// Resume a held order.
    Release,
    /// Cancel the order (and close the sales order).
    Cancel {
        /// Why.
        reason: String,
    },
    /// Read the order from Amazon again and apply what changed.
    Refetch,
}

/// The clients an engine works with.
#[derive(Clone)]
pub struct Clients {
    /// Amazon Retail Procurement.
    pub retail: Arc<dyn RetailOrdersApi>,
    /// Amazon Direct Fulfillment.
    pub direct_fulfillment: Arc<dyn DirectFulfillmentOrdersApi>,
    /// NetSuite.
    pub netsuite: Arc<dyn NetSuiteApi>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients").finish_non_exhaustive()
    }
}

/// The sync engine. Cheap to share: every method takes `&self`, and two engines on
/// one store never act twice on one order (saves are compare-and-set).
///
/// # Example
/// ```
/// # async fn demo() -> Result<(), avc_order_sync::EngineError> {
/// use std::sync::Arc;
/// use avc_order_sync::{Clients, Engine};
/// use avc_order_sync::settings::Settings;
/// use avc_order_sync::MemoryStore;
/// use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral};
///
/// let clock = ManualClock::new("2026-11-27T08:00:00Z".parse().unwrap());
/// let amazon = Arc::new(VendorCentral::new(clock.clone()));
/// let clients = Clients {
///     retail: amazon.clone(),
///     direct_fulfillment: amazon,
///     netsuite: Arc::new(NetSuite::new(clock.clone())),
/// };
/// let engine = Engine::new(Settings::default(), clients, Arc::new(MemoryStore::new()), Arc::new(clock));
/// let report = engine.run_cycle().await?;
/// assert!(report.is_quiet());
/// # Ok(()) }
/// ```
pub struct Engine {
    settings: Settings,
    config: EngineConfig,
    clients: Clients,
    store: Arc<dyn OrderStore>,
    clock: Arc<dyn Clock>,
    observer: Arc<dyn Observer>,
    buckets: Mutex<BTreeMap<&'static str, TokenBucket>>,
    /// Who this engine is when it takes a lease ([`EngineConfig::retrieval_lease`]).
    worker: String,
    /// The deep sweeps this engine started and has not finished, by cursor.
    sweeps: Mutex<BTreeMap<Cursor, sweep::SweepRun>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The parts of a cycle that run side by side, before the due orders are woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CyclePart {
    /// One retrieval: a program's POs listed by creation or by change.
    Retrieve(Program, WindowKind),
    /// The poll of NetSuite for orders a reviewer changed or approved.
    PollNetSuite,
    /// The check for Direct Fulfillment orders Amazon cancelled.
    CheckCancellations,
    /// The deep sweeps of a program that are due.
    Sweep(Program),
}

impl CyclePart {
    /// Every part, once. Direct Fulfillment orders are listed by creation only: the
    /// check for cancellations reads what changes after.
    const ALL: [CyclePart; 7] = [
        CyclePart::Retrieve(Program::RetailProcurement, WindowKind::Created),
        CyclePart::Retrieve(Program::RetailProcurement, WindowKind::Changed),
        CyclePart::Retrieve(Program::DirectFulfillment, WindowKind::Created),
        CyclePart::PollNetSuite,
        CyclePart::CheckCancellations,
        CyclePart::Sweep(Program::RetailProcurement),
        CyclePart::Sweep(Program::DirectFulfillment),
    ];
}

impl CyclePart {
    /// The lease a worker takes before this part ([`EngineConfig::retrieval_lease`]):
    /// named by the cursor the part reads from (the deep sweeps of a program by where
    /// the program's sync started).
    fn lease(self) -> Cursor {
        match self {
            CyclePart::Retrieve(Program::RetailProcurement, kind) => Cursor::Retail(kind),
            CyclePart::Retrieve(Program::DirectFulfillment, _) => Cursor::DirectFulfillment,
            CyclePart::PollNetSuite => Cursor::NetSuiteChanges,
            CyclePart::CheckCancellations => Cursor::DirectFulfillmentCancellations,
            CyclePart::Sweep(program) => Cursor::Start(program),
        }
    }
}

/// A name for an engine no other engine has: its process, when it was made, and a
/// count within the process.
fn default_worker() -> String {
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos:x}-{made}", std::process::id())
}

impl Engine {
    /// The parts of the cycle this worker runs: all of them without leases; with
    /// them, those whose lease it holds or takes now.
    async fn leased_parts(&self) -> Result<Vec<CyclePart>, EngineError> {
        let Some(lease) = self.config.retrieval_lease else {
            return Ok(CyclePart::ALL.to_vec());
        };
        let now = self.clock.now();
        let until = later(now, lease);
        let mut parts = Vec::with_capacity(CyclePart::ALL.len());
        for part in CyclePart::ALL {
            if self
                .store
                .take_lease(part.lease(), &self.worker, now, until)
                .await?
            {
                parts.push(part);
            }
        }
        Ok(parts)
    }

    /// An engine with the default [`EngineConfig`] and no observer.
    pub fn new(
        settings: Settings,
        clients: Clients,
        store: Arc<dyn OrderStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Engine {
            settings,
            config: EngineConfig::default(),
            clients,
            store,
            clock,
            observer: Arc::new(NoObserver),
            buckets: Mutex::new(BTreeMap::new()),
            worker: default_worker(),
            sweeps: Mutex::new(BTreeMap::new()),
        }
    }

    /// The same engine naming itself `worker` when it takes a lease
    /// ([`EngineConfig::retrieval_lease`]). Each engine gets a name of its own by
    /// default (its process and when it was made); a name kept across restarts (a
    /// host's or a replica's) lets a restarted worker take its own leases back at once
    /// instead of waiting for them to end. Two running engines must never share one.
    pub fn with_worker(mut self, worker: impl Into<String>) -> Self {
        self.worker = worker.into();
        self
    }

    /// The name this engine takes leases by.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The same engine with another configuration.
    pub fn with_config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// The same engine reporting to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Runs one cycle: retrieve from Amazon (and, when
    /// [`EngineConfig::cancellation_check_interval`] has passed, list the Direct
    /// Fulfillment orders Amazon cancelled), pick up approvals from NetSuite, wake what
    /// is due, execute every command decided, and report.
    ///
    /// # Errors
    /// [`EngineError::Store`] when the store fails; the cycle stops there and the next
    /// one resumes without loss. Failures of calls to Amazon and NetSuite are not
    /// errors of the cycle: they are retried per order and reported.
    pub async fn run_cycle(&self) -> Result<CycleReport, EngineError> {
        let cycle = Cycle::new(self.clock.now());
        self.save_starts(self.clock.now()).await?;
        // Where this cycle's retrievals read from, before any moves: the deep sweeps
        // read up to there, so the two never read one window and nothing falls between.
        let mut listed_from = BTreeMap::new();
        for program in [Program::RetailProcurement, Program::DirectFulfillment] {
            let from = self
                .start_of(sweep::listing_cursor(program), self.clock.now())
                .await?;
            listed_from.insert(program, from);
        }
        let listed_from = &listed_from;
        // The three retrievals, the check for cancelled Direct Fulfillment orders and
        // the NetSuite poll wait on different services and rate limits: run them side
        // by side (the check and the Direct Fulfillment retrieval share the pacing of
        // `getOrders`).
        let cycle_ref = &cycle;
        let parts = self.leased_parts().await?;
        let results = limits::run_limited(
            parts,
            CyclePart::ALL.len(),
            |part| -> BoxFuture<'_, Result<(), EngineError>> {
                match part {
                    CyclePart::Retrieve(program, window) => {
                        Box::pin(self.retrieve(cycle_ref, program, window))
                    }
                    CyclePart::PollNetSuite => Box::pin(self.poll_netsuite(cycle_ref)),
                    CyclePart::CheckCancellations => Box::pin(self.check_cancellations(cycle_ref)),
                    CyclePart::Sweep(program) => {
                        let until = listed_from.get(&program).copied();
                        Box::pin(self.sweep(cycle_ref, program, until))
                    }
                }
            },
        )
        .await;
        for result in results {
            result?;
        }
        Box::pin(self.wake_due(&cycle)).await?;
        Box::pin(self.drain(&cycle)).await?;
        self.save_netsuite_mark(&cycle).await?;
        self.finish(cycle).await
    }

    /// Applies an operator's action to one order and executes what follows.
    ///
    /// # Errors
    /// [`EngineError::UnknownOrder`], [`EngineError::Transition`] when the action does
    /// not fit the order's state (the order is unchanged), [`EngineError::Client`] when
    /// a re-fetch fails, [`EngineError::Store`].
    pub async fn act(
        &self,
        key: &OrderKey,
        action: OperatorAction,
    ) -> Result<CycleReport, EngineError> {
        let cycle = Cycle::new(self.clock.now());
        let stored = self
            .store
            .load(key)
            .await?
            .ok_or_else(|| EngineError::UnknownOrder { key: key.clone() })?;
        let event = match action {
            OperatorAction::RetryNow => Event::RetryRequested,
            OperatorAction::Repost => Event::RepostRequested,
            OperatorAction::Hold { reason } => Event::HoldRequested { reason },
            OperatorAction::Release => Event::ReleaseRequested,
            OperatorAction::Cancel { reason } => Event::CancelRequested { reason },
            OperatorAction::Refetch => {
                let purchase_order = match self.fetch_order(&cycle, key).await? {
                    Ok(po) => po,
                    Err(invalid) => {
                        cycle.with(|s| {
                            s.report.set_aside.push(SetAside {
                                key: Some(key.clone()),
                                reason: invalid.to_string(),
                                place: None,
                            })
                        });
                        return self.finish(cycle).await;
                    }
                };
                if stored.record.awaits_readable_order() && acknowledged_before(&purchase_order) {
                    let acceptance = self.acceptance_of(&cycle, &purchase_order).await;
                    Event::PurchaseOrderFoundAcknowledged {
                        purchase_order: Box::new(purchase_order),
                        acceptance,
                    }
                } else {
                    Event::PurchaseOrderChanged {
                        purchase_order: Box::new(purchase_order),
                    }
                }
            }
        };
        // Check the action fits before anything is saved, so a refusal is the caller's.
        stored.record.handle_with(
            &event,
            self.clock.now(),
            &self.settings,
            &self.policy(key.program),
        )?;
        self.apply(&cycle, key, &event, None).await?;
        Box::pin(self.drain(&cycle)).await?;
        self.finish(cycle).await
    }

    /// Every stored order's report line, in key order: the full status table. It
    /// loads every record; for a dashboard or a tool, [`Engine::orders`] pages a filter
    /// from the store's index instead.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn status_table(&self) -> Result<Vec<ReportLine>, EngineError> {
        let mut lines = Vec::new();
        for key in self.store.keys().await? {
            if let Some(stored) = self.store.load(&key).await? {
                lines.push(ReportLine::of(&key, &stored.record));
            }
        }
        Ok(lines)
    }

    async fn finish(&self, cycle: Cycle) -> Result<CycleReport, EngineError> {
        let next_wakeup = self.store.next_wakeup().await?;
        let now = self.clock.now();
        let mut state = cycle.state.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut report = std::mem::take(&mut state.report);
        for line in state.touched.into_values() {
            *report.counts.entry(line.status.clone()).or_default() += 1;
            report.orders.push(line);
        }
        report.finished_at = Some(now);
        report.next_wakeup = next_wakeup;
        Ok(report)
    }

    /// The retry policy for a program's orders. A retail acknowledgement is confirmed
    /// by its transaction still being Processing after
    /// [`EngineConfig::processing_confirms_after`] (Amazon never reports Success for
    /// them), so its first status check waits that long: one check per batch instead
    /// of a series that can only answer "still processing".
    fn policy(&self, program: Program) -> RetryPolicy {
        let mut policy = self.config.retry.clone();
        if program == Program::RetailProcurement {
            policy.first_check = policy
                .first_check
                .max(self.config.processing_confirms_after);
            policy.max_check_interval = policy.max_check_interval.max(policy.first_check);
        }
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_read_back_as_order_keys() {
        for (program, number) in [
            (Program::RetailProcurement, "4Z32PABC"),
            (Program::DirectFulfillment, "PO 7_1"),
            (Program::RetailProcurement, "mock-purchaseOrderNumber1"),
        ] {
            let number = PurchaseOrderNumber::new(number).unwrap();
            let id = crate::mapping::external_id(program, &number);
            assert_eq!(order_key_of(&id), Some(OrderKey { program, number }));
        }
        assert_eq!(order_key_of(&ExternalId::new("SO-1").unwrap()), None);
        assert_eq!(order_key_of(&ExternalId::new("AVC-RP-_Z1").unwrap()), None);
    }
}
