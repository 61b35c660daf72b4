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

mod limits;
mod observer;
mod report;
mod windows;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

pub use limits::TokenBucket;
pub use observer::{NoObserver, Observer};
pub use report::{CycleReport, ListingPlace, ReportLine, SetAside, SkippedSpan, write_table};

use crate::acknowledgement::Acknowledgement;
use crate::client::{
    ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, LineUpdate, NetSuiteApi, OrderQuery,
    RetailOrdersApi, SalesOrderUpdate, WindowKind,
};
use crate::ids::{ExternalId, PurchaseOrderNumber, TransactionId};
use crate::lifecycle::answers::{self, AnswerTiming, TransactionAnswer};
use crate::lifecycle::{
    AcknowledgementKey, AmazonAcceptance, Command, CommandFailure, Event, FailureKind, LineChange,
    OrderRecord, OrderState, RetryPolicy, UnreadableOrder, accepted_at_amazon, acknowledged_before,
    awaits_cancellation, doubt_of_cancellation,
};
use crate::order::{Program, PurchaseOrder, ValidationError};
use crate::sales_order::NetSuiteStatus;
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
/// # async fn demo() -> Result<(), avc_order_sync::engine::EngineError> {
/// use std::sync::Arc;
/// use avc_order_sync::engine::{Clients, Engine};
/// use avc_order_sync::settings::Settings;
/// use avc_order_sync::store::MemoryStore;
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
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What one cycle has learnt so far, shared by the tasks of the cycle.
#[derive(Default)]
struct CycleState {
    report: CycleReport,
    queue: Vec<(OrderKey, Command)>,
    touched: BTreeMap<OrderKey, ReportLine>,
    seen: HashSet<OrderKey>,
    reads: HashSet<OrderKey>,
    /// The NetSuite watermark this cycle's poll earned, saved once its reads are done.
    netsuite_mark: Option<DateTime<Utc>>,
    /// When each sales order the poll queued a read for changed, until the read
    /// succeeds.
    unread: BTreeMap<OrderKey, DateTime<Utc>>,
    /// When each queued command was marked in flight, by order and command key.
    marks: HashMap<(OrderKey, String), DateTime<Utc>>,
}

struct Cycle {
    state: Mutex<CycleState>,
}

impl Cycle {
    fn new(now: DateTime<Utc>) -> Self {
        let mut state = CycleState::default();
        state.report.started_at = Some(now);
        Cycle {
            state: Mutex::new(state),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut CycleState) -> R) -> R {
        // Every critical section is a few plain field updates: a poisoned lock still
        // holds consistent data.
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    fn error(&self, message: String) {
        self.with(|s| s.report.errors.push(message));
    }

    fn queue(&self, key: OrderKey, command: Command) {
        self.with(|s| s.queue.push((key, command)));
    }

    /// Whether `flight` is the marker this cycle saved with a command it queued (and
    /// has not claimed for sending yet).
    fn owns(&self, key: &OrderKey, flight: &InFlight) -> bool {
        self.with(|s| {
            s.marks.get(&(key.clone(), flight.command_key.clone())) == Some(&flight.started_at)
        })
    }

    /// Remembers the in-flight marker saved with a queued command: an acknowledgement
    /// is sent only while its marker is still this one (see `Engine::claim`).
    fn mark(&self, key: &OrderKey, flight: &InFlight) {
        self.with(|s| {
            s.marks
                .insert((key.clone(), flight.command_key.clone()), flight.started_at)
        });
    }

    fn touch(&self, key: &OrderKey, record: &OrderRecord) {
        let line = ReportLine {
            key: key.clone(),
            netsuite_id: record.internal_id().cloned(),
            status: record.status_label().to_owned(),
            reason: reason_of(record),
        };
        self.with(|s| {
            s.touched.insert(key.clone(), line);
        });
    }
}

/// Why an order waits for a person, when it does.
fn reason_of(record: &OrderRecord) -> Option<String> {
    use crate::lifecycle::Attention;
    match record.state() {
        OrderState::ExpectRepost { errors, .. } => Some(
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        OrderState::ExpectFix { attention } => Some(match attention {
            Attention::Mapping { problems, .. } | Attention::Unreadable { problems } => problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            Attention::Command { failure, .. } => failure.to_string(),
        }),
        OrderState::ExpectApproval { problems } if !problems.is_empty() => Some(
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        OrderState::Held { reason, .. } => Some(reason.clone()),
        OrderState::Cancelled { reason } | OrderState::Closed { reason } => {
            Some(reason.to_string())
        }
        OrderState::ExpectChangeReview => {
            Some("Amazon changed the order after it was acknowledged".to_owned())
        }
        _ => None,
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Every cursor a cycle reads from.
const CURSORS: [Cursor; 4] = [
    Cursor::Retail(WindowKind::Created),
    Cursor::Retail(WindowKind::Changed),
    Cursor::DirectFulfillment,
    Cursor::NetSuiteChanges,
];

/// The most reads of one window in a cycle while its listing keeps changing.
const MAX_WINDOW_PASSES: usize = 3;

/// How far back Amazon lists orders (six months).
const AMAZON_LISTING_HORIZON: Duration = Duration::from_secs(180 * 24 * 3600);

/// Amazon's longest window: "date range must not exceed 7 days".
const AMAZON_MAX_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// An order Amazon listed that could not be converted: the reasons, and what can be
/// kept of it (`None` when its number cannot be read).
struct Invalid {
    reason: String,
    kept: Option<UnreadableOrder>,
}

/// One order of a listed page, as the listing takes it.
enum Listed {
    /// An order to take in: new to the store, or a copy of one it holds.
    Order(Box<Result<PurchaseOrder, Invalid>>),
    /// A Direct Fulfillment order listed among those Amazon cancelled: `None` when its
    /// own status says so, else why it is not taken as cancelled.
    Cancelled(Option<String>),
}

/// What a listing of `kind` is called in the cycle's errors.
fn listing_name(program: Program, kind: WindowKind) -> String {
    match kind {
        WindowKind::Cancelled => format!("{} cancellation check", program.code()),
        _ => format!("{} retrieval", program.code()),
    }
}

fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn earlier(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Whether NetSuite's sales order holds what `draft` sends: every line with the same
/// item, quantity, rate and closed flag, and the draft's ship date when it has one.
fn holds_draft(
    snapshot: &crate::sales_order::SalesOrderSnapshot,
    draft: &crate::sales_order::SalesOrderDraft,
) -> bool {
    draft
        .ship_date
        .is_none_or(|date| snapshot.ship_date == Some(date))
        && draft.lines.iter().all(|line| {
            snapshot.lines.iter().any(|l| {
                l.sequence.as_ref() == Some(&line.sequence)
                    && l.item == line.item
                    && l.quantity == line.quantity
                    && l.rate == line.rate
                    && l.is_closed == line.is_closed
            })
        })
}

/// The order key an external id the sync made names, if it is one.
pub fn order_key_of(external_id: &ExternalId) -> Option<OrderKey> {
    let id = external_id.as_str();
    let (program, rest) = if let Some(rest) = id.strip_prefix("AVC-RP-") {
        (Program::RetailProcurement, rest)
    } else if let Some(rest) = id.strip_prefix("AVC-DF-") {
        (Program::DirectFulfillment, rest)
    } else {
        return None;
    };
    let mut bytes = Vec::with_capacity(rest.len());
    let raw = rest.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'_' {
            let hex = rest.get(i + 1..i + 3)?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    let number = PurchaseOrderNumber::new(String::from_utf8(bytes).ok()?).ok()?;
    // Long numbers are hashed into the id and cannot be read back: check the round trip.
    (crate::mapping::external_id(program, &number) == *external_id)
        .then_some(OrderKey { program, number })
}

fn command_failed(command: &Command, error: &ClientError) -> Event {
    Event::CommandFailed {
        command_key: command.key(),
        failure: CommandFailure {
            kind: FailureKind::from(error),
            exhausted: false,
        },
    }
}

fn acknowledgement_of(command: &Command) -> Option<(&AcknowledgementKey, &Acknowledgement)> {
    match command {
        Command::SubmitAcknowledgement {
            key,
            acknowledgement,
        } => Some((key, acknowledgement)),
        _ => None,
    }
}

impl Engine {
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
        }
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
        // The three retrievals, the check for cancelled Direct Fulfillment orders and
        // the NetSuite poll wait on different services and rate limits: run them side
        // by side (the check and the Direct Fulfillment retrieval share the pacing of
        // `getOrders`).
        let cycle_ref = &cycle;
        let results = limits::run_limited(
            vec![0u8, 1, 2, 3, 4],
            5,
            |part| -> BoxFuture<'_, Result<(), EngineError>> {
                match part {
                    0 => Box::pin(self.retrieve(
                        cycle_ref,
                        Program::RetailProcurement,
                        WindowKind::Created,
                    )),
                    1 => Box::pin(self.retrieve(
                        cycle_ref,
                        Program::RetailProcurement,
                        WindowKind::Changed,
                    )),
                    2 => Box::pin(self.retrieve(
                        cycle_ref,
                        Program::DirectFulfillment,
                        WindowKind::Created,
                    )),
                    3 => Box::pin(self.poll_netsuite(cycle_ref)),
                    _ => Box::pin(self.check_cancellations(cycle_ref)),
                }
            },
        )
        .await;
        for result in results {
            result?;
        }
        self.wake_due(&cycle).await?;
        self.drain(&cycle).await?;
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
        self.drain(&cycle).await?;
        self.finish(cycle).await
    }

    /// Every stored order's report line, in key order: the full status table.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn status_table(&self) -> Result<Vec<ReportLine>, EngineError> {
        let mut lines = Vec::new();
        for key in self.store.keys().await? {
            if let Some(stored) = self.store.load(&key).await? {
                lines.push(ReportLine {
                    netsuite_id: stored.record.internal_id().cloned(),
                    status: stored.record.status_label().to_owned(),
                    reason: reason_of(&stored.record),
                    key,
                });
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

    // ----- calls -----

    /// Waits for a token of Amazon's rate limit for `operation`.
    async fn pace(&self, operation: &'static str) {
        loop {
            let now = self.clock.now();
            let wait = {
                let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
                let bucket = buckets.entry(operation).or_insert_with(|| {
                    TokenBucket::new(self.config.amazon_rate_per_second, self.config.amazon_burst)
                });
                bucket.try_take(now)
            };
            match wait {
                Ok(()) => return,
                Err(wait) => self.clock.sleep(wait).await,
            }
        }
    }

    /// Makes one call, counting it and telling the observer.
    async fn call<T>(
        &self,
        cycle: &Cycle,
        operation: &'static str,
        amazon: bool,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        if amazon {
            self.pace(operation).await;
        }
        let started = self.clock.now();
        let result = call.await;
        let elapsed = (self.clock.now() - started).to_std().unwrap_or_default();
        self.observer
            .call(operation, elapsed, result.as_ref().map(|_| ()));
        cycle.with(|s| {
            *s.report.calls.entry(operation.to_owned()).or_default() += 1;
            if result.is_err() {
                *s.report
                    .failed_calls
                    .entry(operation.to_owned())
                    .or_default() += 1;
            }
        });
        result
    }

    // ----- persistence -----

    /// When a command in flight counts as unanswered: an acknowledgement after the
    /// uncertain-submission wait, a NetSuite command after the grace.
    fn unanswered_at(&self, flight: &InFlight) -> DateTime<Utc> {
        let grace = if flight.command_key.starts_with("amazon:acknowledge:") {
            self.config.uncertain_submission_wait
        } else {
            self.config.in_flight_grace
        };
        later(flight.started_at, grace)
    }

    fn wakeup(&self, record: &OrderRecord, in_flight: Option<&InFlight>) -> Option<DateTime<Utc>> {
        let mut next = record.next_wakeup(&self.settings);
        if let Some(flight) = in_flight {
            let at = self.unanswered_at(flight);
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        next
    }

    /// Applies `event` to the stored order and queues the commands that follow, saving
    /// the record (with the command about to be executed) first. `answers` is the key
    /// of the command the event is the outcome of.
    async fn apply(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        event: &Event,
        answers: Option<&str>,
    ) -> Result<(), EngineError> {
        self.apply_answer(cycle, key, event, answers, None, None)
            .await
            .map(drop)
    }

    /// [`Engine::apply`], for the outcome of the command `sent`. A create is keyed by
    /// the external id alone: when the order now waits for the create of a newer
    /// draft (a change from Amazon arrived while this one was out, and a worker that
    /// found it busy left it), the outcome is not the order's. The newer draft is sent
    /// instead, and its outcome is the one applied.
    ///
    /// With a `guard`, the event is applied only to an order the guard accepts, checked
    /// on the very version the event is saved over; `Ok(false)` says it refused.
    async fn apply_answer(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        event: &Event,
        answers: Option<&str>,
        sent: Option<&Command>,
        guard: Option<&(dyn Fn(&StoredOrder) -> bool + Sync)>,
    ) -> Result<bool, EngineError> {
        for _ in 0..8 {
            let Some(stored) = self.store.load(key).await? else {
                cycle.error(format!(
                    "{key}: not in the store, {:?} dropped",
                    event.kind()
                ));
                return Ok(true);
            };
            if guard.is_some_and(|accepts| !accepts(&stored)) {
                return Ok(false);
            }
            let newer = sent
                .filter(|c| matches!(c, Command::CreateSalesOrder { .. }))
                .and_then(|c| {
                    stored
                        .record
                        .pending_command()
                        .filter(|p| p.key() == c.key() && p != c)
                });
            if let Some(newer) = newer {
                match self.mark_in_flight(key, &stored, newer.key()).await {
                    Ok(renewed) => {
                        cycle.mark(key, &renewed);
                        cycle.queue(key.clone(), newer);
                        return Ok(true);
                    }
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            let now = self.clock.now();
            let (next, commands) = match stored.record.handle_with(
                event,
                now,
                &self.settings,
                &self.policy(key.program),
            ) {
                Ok(step) => step,
                Err(e) => {
                    cycle.error(format!("{key}: {e}"));
                    // The outcome was not usable, but the call is over: stop treating
                    // it as in flight.
                    if answers.is_some() && stored.in_flight.is_some() {
                        self.save(
                            cycle,
                            key,
                            &stored,
                            stored.record.clone(),
                            Vec::new(),
                            answers,
                        )
                        .await?;
                    }
                    return Ok(true);
                }
            };
            match self
                .save(cycle, key, &stored, next, commands, answers)
                .await
            {
                Err(EngineError::Store(StoreError::Conflict { .. })) => continue,
                other => return other.map(|()| true),
            }
        }
        cycle.error(format!("{key}: gave up after repeated store conflicts"));
        Ok(true)
    }

    /// Saves `next` over `stored` and queues `commands`; a no-op when nothing changed.
    async fn save(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        stored: &StoredOrder,
        next: OrderRecord,
        commands: Vec<Command>,
        answers: Option<&str>,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        let (notices, actions): (Vec<Command>, Vec<Command>) = commands
            .into_iter()
            .partition(|c| matches!(c, Command::Notify { .. }));
        // A command of this order is out (marked in flight, not by this cycle, not
        // answered, within its grace): start nothing else now, or the two could land
        // in either order (a close before the create it should close). Its answer, or
        // the end of its grace, sends what the order waits for then.
        let busy = stored.in_flight.as_ref().filter(|f| {
            answers != Some(f.command_key.as_str())
                && self.unanswered_at(f) > now
                && !cycle.owns(key, f)
        });
        let mut actions: Vec<Command> = if busy.is_some() { Vec::new() } else { actions };
        // An order that waits for a command neither out nor due for a retry (its
        // marker was answered while the command waited for it): send it now.
        let marked = match (&stored.in_flight, answers) {
            (Some(f), Some(a)) if f.command_key == a => false,
            (flight, _) => flight.is_some(),
        };
        if actions.is_empty() && !marked && next.attempt().is_none_or(|a| a.next_at.is_none()) {
            actions.extend(next.pending_command());
        }
        let in_flight = match actions.first() {
            Some(c) => Some(InFlight {
                command_key: c.key(),
                started_at: now,
            }),
            None => match (&stored.in_flight, answers) {
                (Some(f), Some(a)) if f.command_key == a => None,
                (Some(f), _) => Some(f.clone()),
                (None, _) => None,
            },
        };
        if next == stored.record && actions.is_empty() && in_flight == stored.in_flight {
            return Ok(());
        }
        let wakeup = self.wakeup(&next, in_flight.as_ref());
        self.store
            .save(key, &next, in_flight.as_ref(), wakeup, Some(stored.version))
            .await?;
        if let Some(last) = next.history().last() {
            if next.history().len() != stored.record.history().len() {
                self.observer
                    .transition(key, last.event, last.from.unwrap_or(last.to), last.to);
            }
        }
        cycle.touch(key, &next);
        for notice in &notices {
            if let Command::Notify { notice, .. } = notice {
                self.observer.notice(key, notice);
            }
        }
        if let (Some(flight), false) = (&in_flight, actions.is_empty()) {
            cycle.mark(key, flight);
        }
        for action in actions {
            cycle.queue(key.clone(), action);
        }
        Ok(())
    }

    // ----- retrieval -----

    /// Saves where the sync starts, for every cursor at once, the first time: the
    /// first lookback before now (as a watermark one window overlap later, so the
    /// first window is unchanged). Saved before any read, so that a first read that
    /// fails, then a long stop, does not move the start past what was there; and for
    /// every cursor together, so that a cursor first read later than the others (a
    /// cycle cut short before it) does not start later and miss a change made in
    /// between. A cursor missing beside others takes the earliest of theirs.
    async fn save_starts(&self, now: DateTime<Utc>) -> Result<(), EngineError> {
        let mut marks = Vec::with_capacity(CURSORS.len());
        for cursor in CURSORS {
            marks.push((cursor, self.store.watermark(cursor).await?));
        }
        let first = later(
            earlier(now, self.config.first_lookback),
            self.config.window_overlap,
        );
        let start = marks
            .iter()
            .filter_map(|(_, m)| *m)
            .fold(first, DateTime::min);
        for (cursor, mark) in marks {
            if mark.is_none() {
                self.store.save_watermark(cursor, start).await?;
            }
        }
        Ok(())
    }

    /// Where reading from `cursor` starts: the window overlap before its watermark.
    async fn start_of(
        &self,
        cursor: Cursor,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, EngineError> {
        Ok(match self.store.watermark(cursor).await? {
            Some(mark) => earlier(mark, self.config.window_overlap),
            None => earlier(now, self.config.first_lookback),
        })
    }

    async fn retrieve(
        &self,
        cycle: &Cycle,
        program: Program,
        kind: WindowKind,
    ) -> Result<(), EngineError> {
        let cursor = match program {
            Program::RetailProcurement => Cursor::Retail(kind),
            Program::DirectFulfillment => Cursor::DirectFulfillment,
        };
        let now = self.clock.now();
        let watermark = match self.store.watermark(cursor).await? {
            Some(mark) => mark,
            // Saved by `save_starts` before any retrieval; read as it would be.
            None => later(
                earlier(now, self.config.first_lookback),
                self.config.window_overlap,
            ),
        };
        // Never further back than Amazon lists: a window it refuses would stop every
        // cycle here, and the watermark would never move again.
        let plan = WindowPlan::new(
            watermark,
            self.config.window_overlap,
            now,
            self.config.max_window,
            AMAZON_LISTING_HORIZON,
        );
        if let Some((from, until)) = plan.skipped {
            let span = SkippedSpan {
                cursor,
                from,
                until,
            };
            self.observer.skipped(&span);
            cycle.with(|s| s.report.skipped.push(span));
        }
        for (start, end) in plan.windows() {
            if !self
                .read_settled(cycle, program, kind, (start, end))
                .await?
            {
                // The watermark stays: the next cycle reads this window again.
                return Ok(());
            }
            self.store.save_watermark(cursor, end).await?;
        }
        Ok(())
    }

    /// Lists the Direct Fulfillment orders Amazon cancelled among those created in the
    /// last [`EngineConfig::cancellation_lookback`], at most once per
    /// [`EngineConfig::cancellation_check_interval`], and takes each one in
    /// ([`Engine::take_cancellation`]). The time of the last check that read every
    /// window is saved only then: a failed check is reported and runs again next cycle.
    async fn check_cancellations(&self, cycle: &Cycle) -> Result<(), EngineError> {
        let cursor = Cursor::DirectFulfillmentCancellations;
        let now = self.clock.now();
        let last = match self.store.watermark(cursor).await? {
            // The first cycle on this store: what it reads comes with its status now.
            None => return Ok(self.store.save_watermark(cursor, now).await?),
            // A clock set back waits until it is past the last check again, as the
            // retrievals wait for their watermarks.
            Some(last) if now < later(last, self.config.cancellation_check_interval) => {
                return Ok(());
            }
            Some(last) => last,
        };
        let program = Program::DirectFulfillment;
        let window = self.config.max_window.min(AMAZON_MAX_WINDOW);
        // After a stop (a check missed), reach back from the last check, not from
        // now: an order created within the lookback before the stop may have been
        // cancelled during it. Amazon lists six months at most.
        let stopped = now > later(last, self.config.cancellation_check_interval * 2);
        let from = if stopped { last } else { now };
        let mut start = earlier(from, self.config.cancellation_lookback)
            .max(earlier(now, AMAZON_LISTING_HORIZON));
        while start < now {
            let end = later(start, window).min(now);
            if !self
                .read_settled(cycle, program, WindowKind::Cancelled, (start, end))
                .await?
            {
                return Ok(());
            }
            start = end;
        }
        self.store.save_watermark(cursor, now).await?;
        Ok(())
    }

    /// Reads one window and takes every order it lists. A listing that changes while
    /// it is paged (an order placed or cancelled, a shuffled order) can shift an order
    /// onto a page already read: a window read over several pages is read again until
    /// two passes list the same orders. `false` when the read stopped (a failed call, a
    /// repeated token, a listing that kept changing): the window is read again next
    /// cycle.
    async fn read_settled(
        &self,
        cycle: &Cycle,
        program: Program,
        kind: WindowKind,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<bool, EngineError> {
        let mut taken = BTreeSet::new();
        let mut previous: Option<BTreeSet<String>> = None;
        let mut passes = 0;
        loop {
            passes += 1;
            let Some((listed, pages)) = self
                .read_window(cycle, program, kind, (start, end), &mut taken)
                .await?
            else {
                return Ok(false);
            };
            if pages <= 1 || previous.as_ref() == Some(&listed) {
                return Ok(true);
            }
            if passes >= MAX_WINDOW_PASSES {
                cycle.error(format!(
                    "{}: the window from {} to {} listed other orders on each of {passes} reads; it is read again next cycle",
                    listing_name(program, kind),
                    crate::order::format_instant(&start),
                    crate::order::format_instant(&end)
                ));
                return Ok(false);
            }
            previous = Some(listed);
        }
    }

    /// Reads one window from its first page to its last and takes every order not
    /// taken in an earlier pass: into the store, or for a [`WindowKind::Cancelled`]
    /// listing as cancelled ([`Engine::take_cancellation`]). Returns what the pass
    /// listed and how many pages it took; `None` when the read stopped (a failed call,
    /// a repeated token).
    async fn read_window(
        &self,
        cycle: &Cycle,
        program: Program,
        kind: WindowKind,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        taken: &mut BTreeSet<String>,
    ) -> Result<Option<(BTreeSet<String>, usize)>, EngineError> {
        let mut listed = BTreeSet::new();
        let mut pages = 0;
        let mut token: Option<String> = None;
        let mut tokens_seen = BTreeSet::new();
        loop {
            let query = OrderQuery {
                kind,
                after: start,
                before: end,
                limit: self.config.page_limit.clamp(1, 100),
                next_token: token.clone(),
            };
            let page = match program {
                Program::RetailProcurement => self
                    .call(
                        cycle,
                        "getPurchaseOrders",
                        true,
                        self.clients.retail.purchase_orders(&query),
                    )
                    .await
                    .map(|p| {
                        let orders = p
                            .orders
                            .iter()
                            .map(|o| {
                                let order = o.to_purchase_order().map_err(|e| Invalid {
                                    reason: e.to_string(),
                                    kept: UnreadableOrder::of_retail(o, e),
                                });
                                (
                                    o.purchase_order_number.clone(),
                                    Listed::Order(Box::new(order)),
                                )
                            })
                            .collect::<Vec<_>>();
                        (orders, p.malformed, p.next_token)
                    }),
                Program::DirectFulfillment => self
                    .call(
                        cycle,
                        "getOrders",
                        true,
                        self.clients.direct_fulfillment.orders(&query),
                    )
                    .await
                    .map(|p| {
                        let orders = p
                            .orders
                            .iter()
                            .map(|o| {
                                let order = match kind {
                                    WindowKind::Cancelled => {
                                        Listed::Cancelled(doubt_of_cancellation(o))
                                    }
                                    _ => Listed::Order(Box::new(o.to_purchase_order().map_err(
                                        |e| Invalid {
                                            reason: e.to_string(),
                                            kept: UnreadableOrder::of_direct_fulfillment(o, e),
                                        },
                                    ))),
                                };
                                (o.purchase_order_number.clone(), order)
                            })
                            .collect::<Vec<_>>();
                        (orders, p.malformed, p.next_token)
                    }),
            };
            let (orders, malformed, next) = match page {
                Ok(page) => page,
                Err(e) => {
                    cycle.error(format!(
                        "{} stopped in the window from {} to {}: {e}",
                        listing_name(program, kind),
                        crate::order::format_instant(&start),
                        crate::order::format_instant(&end)
                    ));
                    return Ok(None);
                }
            };
            pages += 1;
            let place = || ListingPlace {
                listing: listing_name(program, kind),
                window_start: start,
                window_end: end,
                page: pages,
            };
            for m in malformed {
                let entry = m
                    .purchase_order_number
                    .clone()
                    .unwrap_or_else(|| format!("(unreadable) {}", m.reason));
                listed.insert(entry.clone());
                if !taken.insert(entry) {
                    continue;
                }
                if kind == WindowKind::Cancelled {
                    let doubt = format!("it cannot be read ({})", m.reason);
                    self.take_cancellation(cycle, m.purchase_order_number.as_deref(), Some(doubt))
                        .await?;
                    continue;
                }
                let kept = UnreadableOrder::of_malformed(program, &m);
                self.take_unreadable(cycle, m.reason, kept, place()).await?;
            }
            for (number, order) in orders {
                let entry = number.clone().unwrap_or_default();
                listed.insert(entry.clone());
                if !taken.insert(entry) {
                    continue;
                }
                match order {
                    Listed::Order(order) => match *order {
                        Ok(po) => self.take_order(cycle, program, po).await?,
                        Err(invalid) => {
                            self.take_unreadable(cycle, invalid.reason, invalid.kept, place())
                                .await?
                        }
                    },
                    Listed::Cancelled(doubt) => {
                        self.take_cancellation(cycle, number.as_deref(), doubt)
                            .await?
                    }
                }
            }
            match next {
                Some(t) if tokens_seen.insert(t.clone()) => token = Some(t),
                Some(t) => {
                    cycle.error(format!(
                        "{}: Amazon repeated the page token {t}; the window is read again next cycle",
                        listing_name(program, kind)
                    ));
                    return Ok(None);
                }
                None => return Ok(Some((listed, pages))),
            }
        }
    }

    /// Takes one order read from Amazon: a new record, or a change to a known one.
    async fn take_order(
        &self,
        cycle: &Cycle,
        program: Program,
        po: PurchaseOrder,
    ) -> Result<(), EngineError> {
        let key = OrderKey {
            program,
            number: po.number.clone(),
        };
        // Counted once a cycle, but always compared with the store: Amazon may have
        // changed the order since an earlier window of this cycle listed it.
        if cycle.with(|s| s.seen.insert(key.clone())) {
            cycle.with(|s| s.report.retrieved += 1);
        }
        self.receive(cycle, &key, po).await
    }

    /// Takes one order a listing held that cannot be read. It is reported with where
    /// it was listed; one whose number can be read and that the store does not hold is
    /// stored waiting for a readable copy ([`OrderRecord::receive_unreadable`]), so it
    /// shows in the status table and can be re-fetched. A known order keeps its last
    /// readable copy. One whose number cannot be read is counted.
    async fn take_unreadable(
        &self,
        cycle: &Cycle,
        reason: String,
        kept: Option<UnreadableOrder>,
        place: ListingPlace,
    ) -> Result<(), EngineError> {
        let Some(kept) = kept else {
            cycle.with(|s| {
                s.report.unnumbered += 1;
                s.report.set_aside.push(SetAside {
                    key: None,
                    reason,
                    place: Some(place),
                })
            });
            return Ok(());
        };
        let key = OrderKey {
            program: kept.program,
            number: kept.number.clone(),
        };
        cycle.with(|s| {
            if s.seen.insert(key.clone()) {
                s.report.retrieved += 1;
            }
            s.report.set_aside.push(SetAside {
                key: Some(key.clone()),
                reason,
                place: Some(place),
            })
        });
        if self.store.load(&key).await?.is_some() {
            return Ok(());
        }
        let (record, commands) =
            OrderRecord::receive_unreadable(kept, self.clock.now(), &self.settings);
        // Another worker may have stored it meanwhile: what it holds stands.
        self.save_new(cycle, &key, record, commands).await?;
        Ok(())
    }

    /// Takes one Direct Fulfillment order listed among those Amazon cancelled: applies
    /// [`Event::PurchaseOrderCancelled`] to the stored order while it has something to
    /// end ([`awaits_cancellation`], checked again on the version the event is saved
    /// over). An order the store does not hold needs nothing: it was never received,
    /// and would be received as cancelled. `doubt` says why the listing does not show
    /// the order as cancelled after all; such an order is reported and left as it is.
    async fn take_cancellation(
        &self,
        cycle: &Cycle,
        number: Option<&str>,
        doubt: Option<String>,
    ) -> Result<(), EngineError> {
        let Some(number) = number.and_then(|n| PurchaseOrderNumber::new(n).ok()) else {
            return Ok(());
        };
        let key = OrderKey {
            program: Program::DirectFulfillment,
            number,
        };
        let open = |stored: &StoredOrder| awaits_cancellation(&stored.record);
        match self.store.load(&key).await? {
            Some(stored) if open(&stored) => {}
            _ => return Ok(()),
        }
        if let Some(doubt) = doubt {
            cycle.error(format!(
                "{key}: listed among the orders Amazon cancelled, but {doubt}; left as it is"
            ));
            return Ok(());
        }
        self.apply_answer(
            cycle,
            &key,
            &Event::PurchaseOrderCancelled,
            None,
            None,
            Some(&open),
        )
        .await
        .map(drop)
    }

    async fn receive(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        po: PurchaseOrder,
    ) -> Result<(), EngineError> {
        match self.store.load(key).await? {
            // Amazon sends an order the store keeps as unreadable readable at last, and
            // shows it acknowledged: taken in with what Amazon accepted.
            Some(stored) if stored.record.awaits_readable_order() && acknowledged_before(&po) => {
                let acceptance = self.acceptance_of(cycle, &po).await;
                self.apply(
                    cycle,
                    key,
                    &Event::PurchaseOrderFoundAcknowledged {
                        purchase_order: Box::new(po),
                        acceptance,
                    },
                    None,
                )
                .await?;
                Ok(())
            }
            Some(stored) => {
                if stored.record.purchase_order() != &po {
                    self.apply(
                        cycle,
                        key,
                        &Event::PurchaseOrderChanged {
                            purchase_order: Box::new(po),
                        },
                        None,
                    )
                    .await?;
                }
                Ok(())
            }
            None => {
                let now = self.clock.now();
                let policy = self.policy(key.program);
                // Acknowledged before this sync ever saw it: acknowledging again would
                // duplicate someone else's answer, so the sales order is made from
                // what Amazon accepted.
                let (record, commands) = if acknowledged_before(&po) {
                    let acceptance = self.acceptance_of(cycle, &po).await;
                    OrderRecord::receive_acknowledged(po, &acceptance, now, &self.settings, &policy)
                } else {
                    OrderRecord::receive_with(po, now, &self.settings, &policy)
                };
                if let Some(record) = self.save_new(cycle, key, record, commands).await? {
                    // Another worker created it meanwhile: take it as a change.
                    return Box::pin(self.receive(cycle, key, record.purchase_order().clone()))
                        .await;
                }
                Ok(())
            }
        }
    }

    /// What Amazon accepted of `po`, which Amazon shows acknowledged: for a retail PO,
    /// read from Amazon's status report; a report that cannot be read is a reason the
    /// order waits for a person.
    async fn acceptance_of(&self, cycle: &Cycle, po: &PurchaseOrder) -> AmazonAcceptance {
        if po.program != Program::RetailProcurement {
            return accepted_at_amazon(po, None);
        }
        match self
            .call(
                cycle,
                "getPurchaseOrdersStatus",
                true,
                self.clients.retail.purchase_order_status(&po.number),
            )
            .await
        {
            Ok(status) => accepted_at_amazon(po, status.as_ref()),
            Err(e) => AmazonAcceptance::Unreadable {
                problems: vec![crate::order::Problem {
                    purchase_order_number: po.number.to_string(),
                    line: None,
                    field: "ordersStatus".into(),
                    kind: crate::order::ProblemKind::Invalid {
                        reason: format!("Amazon's status report could not be read: {e}"),
                    },
                }],
            },
        }
    }

    /// Saves a record new to the store and queues its first commands. Returns the
    /// record, unsaved, when another worker created the order meanwhile.
    async fn save_new(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        record: OrderRecord,
        commands: Vec<Command>,
    ) -> Result<Option<OrderRecord>, EngineError> {
        let now = self.clock.now();
        let (notices, actions): (Vec<Command>, Vec<Command>) = commands
            .into_iter()
            .partition(|c| matches!(c, Command::Notify { .. }));
        let in_flight = actions.first().map(|c| InFlight {
            command_key: c.key(),
            started_at: now,
        });
        let wakeup = self.wakeup(&record, in_flight.as_ref());
        match self
            .store
            .save(key, &record, in_flight.as_ref(), wakeup, None)
            .await
        {
            Ok(_) => {}
            Err(StoreError::Conflict { .. }) => return Ok(Some(record)),
            Err(e) => return Err(e.into()),
        }
        cycle.with(|s| s.report.new_orders += 1);
        cycle.touch(key, &record);
        for notice in &notices {
            if let Command::Notify { notice, .. } = notice {
                self.observer.notice(key, notice);
            }
        }
        if let Some(flight) = &in_flight {
            cycle.mark(key, flight);
        }
        for action in actions {
            cycle.queue(key.clone(), action);
        }
        Ok(None)
    }

    /// Reads one order from Amazon again.
    async fn fetch_order(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
    ) -> Result<Result<PurchaseOrder, ValidationError>, ClientError> {
        Ok(match key.program {
            Program::RetailProcurement => self
                .call(
                    cycle,
                    "getPurchaseOrder",
                    true,
                    self.clients.retail.purchase_order(&key.number),
                )
                .await?
                .to_purchase_order(),
            Program::DirectFulfillment => self
                .call(
                    cycle,
                    "getOrder",
                    true,
                    self.clients.direct_fulfillment.order(&key.number),
                )
                .await?
                .to_purchase_order(),
        })
    }

    // ----- NetSuite approvals -----

    /// Reads the sales orders changed since the watermark and queues a read of each
    /// approved one; the watermark is saved once those reads are done
    /// ([`Engine::save_netsuite_mark`]).
    async fn poll_netsuite(&self, cycle: &Cycle) -> Result<(), EngineError> {
        let now = self.clock.now();
        let since = self.start_of(Cursor::NetSuiteChanges, now).await?;
        let changes = match self
            .call(
                cycle,
                "netsuite changed sales orders",
                false,
                self.clients.netsuite.changed_sales_orders(since),
            )
            .await
        {
            Ok(changes) => changes,
            Err(e) => {
                cycle.error(format!(
                    "reading NetSuite's changed sales orders failed: {e}"
                ));
                return Ok(());
            }
        };
        for change in changes {
            if change.status == NetSuiteStatus::PendingApproval {
                continue;
            }
            let Some(key) = order_key_of(&change.external_id) else {
                continue;
            };
            let Some(stored) = self.store.load(&key).await? else {
                continue;
            };
            let mut stored = stored;
            if let OrderState::ExpectSalesOrderCreated { draft } = stored.record.state() {
                // NetSuite lists the order while its create is out or unanswered (the
                // answer lost, or the engine stopped first). When NetSuite holds what
                // the create sends, the create went through: take it as created, so an
                // approval given meanwhile is read now (sent again, the create would
                // reset it). When it differs (Amazon changed the order meanwhile), the
                // newer draft must still go out: hold the watermark back at this
                // change, so the approval is listed again once it has.
                let draft = (**draft).clone();
                let held = match self
                    .call(
                        cycle,
                        "netsuite read sales order",
                        false,
                        self.clients.netsuite.sales_order(&change.external_id),
                    )
                    .await
                {
                    Ok(Some(snapshot)) => !holds_draft(&snapshot, &draft),
                    _ => true,
                };
                let hold = |cycle: &Cycle| {
                    cycle.with(|s| {
                        let at = s.unread.entry(key.clone()).or_insert(change.last_modified);
                        *at = (*at).min(change.last_modified);
                    })
                };
                if held {
                    hold(cycle);
                    continue;
                }
                let create = stored.record.pending_command().map(|c| c.key());
                let created = Event::SalesOrderCreated {
                    internal_id: change.internal_id.clone(),
                };
                // Amazon's change may have replaced the draft while NetSuite was read:
                // the check holds only for the record it was made against. And a create
                // being sent (by another worker, or claimed by this one) lands after
                // this read and brings the order to its draft again, approval
                // included: its own answer decides.
                let read_at = self.clock.now();
                let same_draft = |stored: &StoredOrder| {
                    let sending = stored
                        .in_flight
                        .as_ref()
                        .is_some_and(|f| self.unanswered_at(f) > read_at && !cycle.owns(&key, f));
                    !sending
                        && match stored.record.state() {
                            OrderState::ExpectSalesOrderCreated { draft: held } => **held == draft,
                            _ => true,
                        }
                };
                let applied = self
                    .apply_answer(
                        cycle,
                        &key,
                        &created,
                        create.as_deref(),
                        None,
                        Some(&same_draft),
                    )
                    .await?;
                if !applied {
                    hold(cycle);
                    continue;
                }
                match self.store.load(&key).await? {
                    Some(reloaded) => stored = reloaded,
                    None => continue,
                }
            }
            // A held order awaiting approval is read too: the approval lands under the
            // hold and is acted on at release. Left unread, it would fall behind the
            // watermark and never be seen again. A rejected order whose sales order
            // went back to Pending Approval awaits the reviewer's approval as well.
            let awaits_approval = |state: &OrderState| {
                matches!(
                    state,
                    OrderState::ExpectApproval { .. }
                        | OrderState::ExpectRepost {
                            returned_to_approval: true,
                            ..
                        }
                )
            };
            let wanted = match stored.record.state() {
                OrderState::Held { resume, .. } => awaits_approval(resume),
                state => awaits_approval(state),
            };
            if wanted && cycle.with(|s| s.reads.insert(key.clone())) {
                cycle.with(|s| s.unread.insert(key.clone(), change.last_modified));
                cycle.queue(
                    key,
                    Command::ReadSalesOrder {
                        external_id: change.external_id,
                        internal_id: Some(change.internal_id),
                    },
                );
            }
        }
        cycle.with(|s| s.netsuite_mark = Some(now));
        Ok(())
    }

    /// Moves the NetSuite watermark once the poll's reads are done, and no further than
    /// the earliest change whose read failed or never ran: an approval is seen only as
    /// a change, so one left unread must be listed again by the next poll. (Saved
    /// after the reads, a crash before them leaves the watermark where it was.)
    async fn save_netsuite_mark(&self, cycle: &Cycle) -> Result<(), EngineError> {
        let mark = cycle.with(|s| {
            let unread = s.unread.values().min().copied();
            s.netsuite_mark.map(|m| unread.map_or(m, |u| m.min(u)))
        });
        if let Some(mark) = mark {
            self.store
                .save_watermark(Cursor::NetSuiteChanges, mark)
                .await?;
        }
        Ok(())
    }

    // ----- due orders -----

    async fn wake_due(&self, cycle: &Cycle) -> Result<(), EngineError> {
        let now = self.clock.now();
        let due = self.store.due(now, self.config.due_batch).await?;
        for key in due {
            let Some(stored) = self.store.load(&key).await? else {
                continue;
            };
            match &stored.in_flight {
                // Only a command unanswered past its own grace is recovered: an order
                // woken for its deadline may have a command queued this very cycle.
                Some(flight) if self.unanswered_at(flight) <= now => {
                    self.recover(cycle, &key, &stored, flight).await?;
                }
                _ => self.apply(cycle, &key, &Event::TimerElapsed, None).await?,
            }
        }
        Ok(())
    }

    /// An order whose command was started and never answered (a crash, or an
    /// acknowledgement whose answer was lost).
    async fn recover(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        stored: &StoredOrder,
        flight: &InFlight,
    ) -> Result<(), EngineError> {
        let pending = stored
            .record
            .pending_command()
            .filter(|c| c.key() == flight.command_key);
        let Some(command) = pending else {
            // The state moved on; the marker is stale.
            self.save(
                cycle,
                key,
                stored,
                stored.record.clone(),
                Vec::new(),
                Some(&flight.command_key),
            )
            .await?;
            return self.apply(cycle, key, &Event::TimerElapsed, None).await;
        };
        if let Some((ack_key, acknowledgement)) = acknowledgement_of(&command) {
            match self
                .landed(cycle, key, &stored.record, acknowledgement)
                .await
            {
                Ok(landing) => {
                    if let Some(event) = landing.event(ack_key.version) {
                        return self
                            .apply(cycle, key, &event, Some(&flight.command_key))
                            .await;
                    }
                }
                Err(e) => {
                    cycle.error(format!(
                        "{key}: checking an unanswered acknowledgement failed: {e}"
                    ));
                    return Ok(());
                }
            }
        }
        // Send it again (idempotent, or known not to have landed), marked in flight.
        match self
            .mark_in_flight(key, stored, flight.command_key.clone())
            .await
        {
            Ok(refreshed) => {
                cycle.mark(key, &refreshed);
                cycle.queue(key.clone(), command);
            }
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Reads Amazon's order (and, where it is needed, its status report) again, for
    /// [`answers::landing`] to say what a lost answer to `acknowledgement` means.
    async fn landed(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        record: &OrderRecord,
        acknowledgement: &Acknowledgement,
    ) -> Result<answers::Landing, ClientError> {
        let read = self.fetch_order(cycle, key).await?.ok();
        let status = match &read {
            Some(po) if answers::needs_status_report(po, acknowledgement) => {
                self.call(
                    cycle,
                    "getPurchaseOrdersStatus",
                    true,
                    self.clients.retail.purchase_order_status(&key.number),
                )
                .await?
            }
            _ => None,
        };
        Ok(answers::landing(
            acknowledgement,
            read.as_ref(),
            status.as_ref(),
            record.confirmed_acknowledgement().is_some(),
        ))
    }

    // ----- executing commands -----

    /// Executes queued commands until none is left (or the pass limit is reached):
    /// NetSuite's concurrently up to its limit, acknowledgements in batches, status
    /// checks once per transaction.
    async fn drain(&self, cycle: &Cycle) -> Result<(), EngineError> {
        for _ in 0..self.config.max_passes {
            let jobs = cycle.with(|s| std::mem::take(&mut s.queue));
            if jobs.is_empty() {
                return Ok(());
            }
            let mut netsuite = Vec::new();
            let mut submits: BTreeMap<Program, Vec<(OrderKey, Command)>> = BTreeMap::new();
            let mut checks: BTreeMap<(Program, TransactionId), Vec<(OrderKey, Command)>> =
                BTreeMap::new();
            for (key, command) in jobs {
                match &command {
                    Command::SubmitAcknowledgement { .. } => {
                        submits.entry(key.program).or_default().push((key, command))
                    }
                    Command::CheckAcknowledgement { transaction_id, .. } => checks
                        .entry((key.program, transaction_id.clone()))
                        .or_default()
                        .push((key, command)),
                    Command::Notify { notice, .. } => self.observer.notice(&key, notice),
                    _ => netsuite.push((key, command)),
                }
            }
            // NetSuite's work runs up to its concurrency limit, side by side with
            // Amazon's (paced by its rate limits): neither waits for the other.
            let netsuite_work = async {
                let results = limits::run_limited(
                    netsuite,
                    self.config.netsuite_concurrency,
                    |(key, command)| -> BoxFuture<'_, Result<(), EngineError>> {
                        Box::pin(async move { self.run_netsuite(cycle, &key, &command).await })
                    },
                )
                .await;
                results
                    .into_iter()
                    .collect::<Result<Vec<()>, EngineError>>()
            };
            let amazon_work = async {
                for (program, jobs) in submits {
                    for batch in jobs.chunks(self.config.acknowledgement_batch_size.max(1)) {
                        self.submit(cycle, program, batch).await?;
                    }
                }
                for ((program, transaction_id), jobs) in checks {
                    self.check(cycle, program, &transaction_id, &jobs).await?;
                }
                Ok::<(), EngineError>(())
            };
            let (netsuite_done, amazon_done) = limits::join2(netsuite_work, amazon_work).await;
            netsuite_done?;
            amazon_done?;
        }
        let left = cycle.with(|s| s.queue.len());
        if left > 0 {
            cycle.error(format!(
                "{left} command(s) left for the next cycle after {} rounds",
                self.config.max_passes
            ));
        }
        Ok(())
    }

    async fn run_netsuite(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        command: &Command,
    ) -> Result<(), EngineError> {
        // A create or update carries a payload that a stale copy would write over a
        // newer state (a create re-applies Pending Approval): claim it first.
        let claimed;
        let command = match command {
            Command::CreateSalesOrder { .. } | Command::UpdateSalesOrder { .. } => {
                match self.claim(cycle, key, command).await? {
                    Some((current, _)) => {
                        claimed = current;
                        &claimed
                    }
                    None => return Ok(()),
                }
            }
            _ => command,
        };
        let netsuite = &self.clients.netsuite;
        let outcome: Result<Event, ClientError> = match command {
            Command::CreateSalesOrder {
                draft, external_id, ..
            } => {
                match self
                    .call(
                        cycle,
                        "netsuite upsert sales order",
                        false,
                        netsuite.upsert_sales_order(draft),
                    )
                    .await
                {
                    Ok(internal_id) => {
                        // A draft with closed lines is a create sent again after Amazon
                        // cancelled lines: an order an earlier, unanswered create made
                        // is returned as it was, so close those lines explicitly.
                        let closed: Vec<LineUpdate> = draft
                            .lines
                            .iter()
                            .filter(|l| l.is_closed)
                            .map(|l| LineUpdate {
                                is_closed: Some(true),
                                ..LineUpdate::new(l.sequence.clone())
                            })
                            .collect();
                        if closed.is_empty() {
                            Ok(Event::SalesOrderCreated { internal_id })
                        } else {
                            let update = SalesOrderUpdate {
                                lines: closed,
                                ..SalesOrderUpdate::default()
                            };
                            self.call(
                                cycle,
                                "netsuite update sales order",
                                false,
                                netsuite.update_sales_order(external_id, &update),
                            )
                            .await
                            .map(|()| Event::SalesOrderCreated { internal_id })
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            Command::UpdateSalesOrder {
                external_id,
                revision,
                changes,
                ..
            } => {
                let mut update = SalesOrderUpdate {
                    status: changes.status,
                    ship_date: changes.ship_date,
                    ..SalesOrderUpdate::default()
                };
                for change in &changes.lines {
                    match change {
                        LineChange::Add { line } => update.new_lines.push((**line).clone()),
                        // The item is named only when Amazon's change moved the line to
                        // another one: the lifecycle compares it with the draft NetSuite
                        // was sent.
                        LineChange::Set {
                            sequence,
                            item,
                            quantity,
                            rate,
                        } => update.lines.push(LineUpdate {
                            item: item.clone(),
                            quantity: Some(*quantity),
                            rate: Some(*rate),
                            ..LineUpdate::new(sequence.clone())
                        }),
                        LineChange::Close { sequence } => update.lines.push(LineUpdate {
                            is_closed: Some(true),
                            ..LineUpdate::new(sequence.clone())
                        }),
                    }
                }
                if update.is_empty() {
                    Ok(Event::SalesOrderUpdated {
                        revision: *revision,
                    })
                } else {
                    self.call(
                        cycle,
                        "netsuite update sales order",
                        false,
                        netsuite.update_sales_order(external_id, &update),
                    )
                    .await
                    .map(|()| Event::SalesOrderUpdated {
                        revision: *revision,
                    })
                }
            }
            Command::CloseSalesOrder { external_id, .. } => {
                match self
                    .call(
                        cycle,
                        "netsuite close sales order",
                        false,
                        netsuite.close_sales_order(external_id),
                    )
                    .await
                {
                    Ok(()) => Ok(Event::SalesOrderClosed),
                    // Nothing to close is closed.
                    Err(e) if e.kind == ErrorKind::NotFound => Ok(Event::SalesOrderClosed),
                    Err(e) => Err(e),
                }
            }
            Command::ReadSalesOrder { external_id, .. } => {
                match self
                    .call(
                        cycle,
                        "netsuite read sales order",
                        false,
                        netsuite.sales_order(external_id),
                    )
                    .await
                {
                    Ok(Some(snapshot)) => {
                        cycle.with(|s| s.unread.remove(key));
                        Ok(Event::SalesOrderRead {
                            snapshot: Box::new(snapshot),
                        })
                    }
                    Ok(None) => Err(ClientError::new(
                        ErrorKind::NotFound,
                        "netsuite read sales order",
                    )),
                    Err(e) => Err(e),
                }
            }
            _ => return Ok(()),
        };
        let event = match outcome {
            Ok(event) => event,
            // A read that failed leaves its change in `unread`: the watermark stays
            // before it and the next poll lists it again.
            Err(e) => command_failed(command, &e),
        };
        self.apply_answer(
            cycle,
            key,
            &event,
            Some(&command.key()),
            Some(command),
            None,
        )
        .await
        .map(drop)
    }

    async fn submit(
        &self,
        cycle: &Cycle,
        program: Program,
        batch: &[(OrderKey, Command)],
    ) -> Result<(), EngineError> {
        let mut together = Vec::with_capacity(batch.len());
        for (key, command) in batch {
            if let Some((current, alone)) = self.claim(cycle, key, command).await? {
                // An acknowledgement that goes out again after Amazon refused a
                // transaction it shared goes alone, so that the answer is its own.
                if alone {
                    self.send(cycle, program, &[(key.clone(), current)]).await?;
                } else {
                    together.push((key.clone(), current));
                }
            }
        }
        if together.is_empty() {
            return Ok(());
        }
        self.send(cycle, program, &together).await
    }

    /// Sends claimed acknowledgements in one request and feeds each order the answer.
    async fn send(
        &self,
        cycle: &Cycle,
        program: Program,
        batch: &[(OrderKey, Command)],
    ) -> Result<(), EngineError> {
        let orders = u32::try_from(batch.len()).unwrap_or(u32::MAX);
        let result = match program {
            Program::RetailProcurement => {
                let acks: Vec<_> = batch
                    .iter()
                    .filter_map(|(_, c)| match acknowledgement_of(c) {
                        Some((_, Acknowledgement::Retail(a))) => Some(a.clone()),
                        _ => None,
                    })
                    .collect();
                self.call(
                    cycle,
                    "submitAcknowledgement (retail)",
                    true,
                    self.clients.retail.submit_acknowledgements(&acks),
                )
                .await
            }
            Program::DirectFulfillment => {
                let acks: Vec<_> = batch
                    .iter()
                    .filter_map(|(_, c)| match acknowledgement_of(c) {
                        Some((_, Acknowledgement::DirectFulfillment(a))) => Some(a.clone()),
                        _ => None,
                    })
                    .collect();
                self.call(
                    cycle,
                    "submitAcknowledgement (direct fulfillment)",
                    true,
                    self.clients
                        .direct_fulfillment
                        .submit_acknowledgements(&acks),
                )
                .await
            }
        };
        for (key, command) in batch {
            let Some((ack_key, _)) = acknowledgement_of(command) else {
                continue;
            };
            match &result {
                Ok(transaction_id) => {
                    let event = Event::AcknowledgementSubmitted {
                        version: ack_key.version,
                        transaction_id: transaction_id.clone(),
                        orders,
                    };
                    self.apply(cycle, key, &event, Some(&command.key())).await?;
                }
                // The answer may have been lost after Amazon took it: never send it
                // again blind. The order stays marked in flight and is checked at
                // Amazon once the wait is over.
                Err(e) if e.kind == ErrorKind::Transient => {
                    self.mark_uncertain(cycle, key, &command.key()).await?;
                }
                Err(e) => {
                    self.apply(
                        cycle,
                        key,
                        &command_failed(command, e),
                        Some(&command.key()),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Saves the order as read, with a new in-flight marker for `command_key` stamped
    /// now, over the version read (a conflict means another worker moved it).
    async fn mark_in_flight(
        &self,
        key: &OrderKey,
        stored: &StoredOrder,
        command_key: String,
    ) -> Result<InFlight, StoreError> {
        let marker = InFlight {
            command_key,
            started_at: self.clock.now(),
        };
        let wakeup = self.wakeup(&stored.record, Some(&marker));
        self.store
            .save(
                key,
                &stored.record,
                Some(&marker),
                wakeup,
                Some(stored.version),
            )
            .await?;
        Ok(marker)
    }

    /// Claims a queued acknowledgement, create or update right before it is sent.
    /// Its order must still wait for it with the in-flight marker saved when it was
    /// queued; the marker is renewed to now with a compare-and-set save, so that no
    /// worker takes it for unanswered (and sends it again) before the wait has run
    /// from the send. Returns the command to send: the order's current form of it (a
    /// change from Amazon may have brought a newer draft under the same key). `None`
    /// when the order moved on, or its marker was replaced (another worker, or this
    /// one later in a long cycle, took the command for unanswered and queued it
    /// again; that copy is the one sent). With it, whether the order asks for the
    /// command to go out alone ([`OrderRecord::sends_alone`]).
    async fn claim(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        command: &Command,
    ) -> Result<Option<(Command, bool)>, EngineError> {
        let command_key = command.key();
        let Some(queued_at) = cycle.with(|s| s.marks.remove(&(key.clone(), command_key.clone())))
        else {
            return Ok(None);
        };
        for _ in 0..8 {
            let Some(stored) = self.store.load(key).await? else {
                return Ok(None);
            };
            let ours = stored
                .in_flight
                .as_ref()
                .is_some_and(|f| f.command_key == command_key && f.started_at == queued_at);
            let Some(current) = stored
                .record
                .pending_command()
                .filter(|c| ours && c.key() == command_key)
            else {
                return Ok(None);
            };
            match self.mark_in_flight(key, &stored, command_key.clone()).await {
                Ok(renewed) => {
                    // The grace runs from the claim's stamp, not from the send: a save
                    // that took a good part of it leaves too little for the call, and
                    // another worker could take the command for abandoned while it is
                    // still out. Leave it to recovery, which checks before it sends.
                    let grace = self.unanswered_at(&renewed) - renewed.started_at;
                    if (self.clock.now() - renewed.started_at) * 4 > grace {
                        cycle.error(format!(
                            "{key}: saving the claim of {command_key} took too long; it is left to recovery once its grace is over"
                        ));
                        return Ok(None);
                    }
                    return Ok(Some((current, stored.record.sends_alone())));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    async fn mark_uncertain(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        command_key: &str,
    ) -> Result<(), EngineError> {
        for _ in 0..8 {
            let Some(stored) = self.store.load(key).await? else {
                return Ok(());
            };
            // The order moved on while the POST was out (another worker took in a
            // change): its marker is for what it waits for now, and stays.
            if stored
                .record
                .pending_command()
                .is_none_or(|c| c.key() != command_key)
            {
                return Ok(());
            }
            let flight = InFlight {
                command_key: command_key.to_owned(),
                started_at: self.clock.now(),
            };
            let wakeup = self.wakeup(&stored.record, Some(&flight));
            match self
                .store
                .save(
                    key,
                    &stored.record,
                    Some(&flight),
                    wakeup,
                    Some(stored.version),
                )
                .await
            {
                Ok(_) => {
                    cycle.touch(key, &stored.record);
                    return Ok(());
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    async fn check(
        &self,
        cycle: &Cycle,
        program: Program,
        transaction_id: &TransactionId,
        jobs: &[(OrderKey, Command)],
    ) -> Result<(), EngineError> {
        let outcome = match program {
            Program::RetailProcurement => {
                self.call(
                    cycle,
                    "getTransaction (retail)",
                    true,
                    self.clients.retail.transaction_status(transaction_id),
                )
                .await
            }
            Program::DirectFulfillment => {
                self.call(
                    cycle,
                    "getTransactionStatus (direct fulfillment)",
                    true,
                    self.clients
                        .direct_fulfillment
                        .transaction_status(transaction_id),
                )
                .await
            }
        };
        let timing = AnswerTiming {
            retail_processing_confirms_after: self.config.processing_confirms_after,
            direct_fulfillment_read_after: self.config.direct_fulfillment_processing_read_after,
            direct_fulfillment_unconfirmed_after: self.config.direct_fulfillment_unconfirmed_after,
        };
        let now = self.clock.now();
        for (key, command) in jobs {
            let Command::CheckAcknowledgement { key: ack_key, .. } = command else {
                continue;
            };
            let version = ack_key.version;
            let answers = Some(command.key());
            let outcome = match &outcome {
                Ok(outcome) => outcome,
                Err(e) => {
                    self.apply(cycle, key, &command_failed(command, e), answers.as_deref())
                        .await?;
                    continue;
                }
            };
            let Some(stored) = self.store.load(key).await? else {
                continue;
            };
            let submission = answers::submission(&stored.record, version);
            let event = match answers::transaction_answer(&submission, outcome, now, &timing) {
                TransactionAnswer::Decided(event) => event,
                TransactionAnswer::Rejected(errors) => {
                    let read = self.fetch_order(cycle, key).await.ok().and_then(Result::ok);
                    answers::rejection(version, errors, read.as_ref())
                }
                TransactionAnswer::ReadOrder => {
                    match answers::awaited_acknowledgement(&stored.record) {
                        None => Event::AcknowledgementStillProcessing { version },
                        Some(acknowledgement) => match self.fetch_order(cycle, key).await {
                            Ok(read) => answers::processing_after_reading(
                                &submission,
                                acknowledgement,
                                read.ok().as_ref(),
                                &command.key(),
                                now,
                                &timing,
                            ),
                            Err(e) => command_failed(command, &e),
                        },
                    }
                }
            };
            self.apply(cycle, key, &event, answers.as_deref()).await?;
        }
        Ok(())
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
