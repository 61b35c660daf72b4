//! The Vendor Central simulator: Retail Procurement and Direct Fulfillment orders,
//! acknowledgements and their transactions, in memory.
//!
//! Here: the simulator, its settings, scripted failures and inspection. Seeding and
//! the changes Amazon makes are in `seeding.rs`, the calls in `calls.rs`, listing in
//! `listing.rs`, Amazon's acknowledgement checks in `acknowledgements.rs`, and the
//! records with their transactions in `records.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::SimulatorError;
use super::lock;
use super::orders::RetailLine;
use super::rate_limit::{RateLimit, TokenBucket};
use super::rng::{SplitMix64, stable_hash};
use super::script::{FailurePoint, Script, ScriptedFailure};
use crate::acknowledgement::{DirectFulfillmentAcknowledgement, RetailAcknowledgement};
use crate::amazon::{direct_fulfillment as df, retail};
use crate::client::{
    ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, MalformedOrder, OrderQuery, Page,
    RetailOrdersApi, ServiceMessage, TransactionOutcome, WindowKind,
};
use crate::decimal::Decimal;
use crate::ids::{PurchaseOrderNumber, TransactionId};
use crate::order::{Program, format_instant, parse_instant};

mod acknowledgements;
mod calls;
mod listing;
mod records;
mod seeding;

use acknowledgements::{DfEffect, RetailEffect};

/// An operation of Amazon's order APIs, for call counters, rate limits and scripted
/// failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AmazonOperation {
    /// Retail `getPurchaseOrders`.
    GetPurchaseOrders,
    /// Retail `getPurchaseOrder`.
    GetPurchaseOrder,
    /// Retail `submitAcknowledgement`.
    SubmitAcknowledgement,
    /// Retail `getTransaction`.
    GetTransaction,
    /// Retail `getPurchaseOrdersStatus`.
    GetPurchaseOrdersStatus,
    /// Direct Fulfillment `getOrders`.
    GetOrders,
    /// Direct Fulfillment `getOrder`.
    GetOrder,
    /// Direct Fulfillment `submitAcknowledgement`.
    SubmitDfAcknowledgement,
    /// Direct Fulfillment `getTransactionStatus`.
    GetTransactionStatus,
}

impl AmazonOperation {
    /// Every operation.
    pub const ALL: [AmazonOperation; 9] = [
        AmazonOperation::GetPurchaseOrders,
        AmazonOperation::GetPurchaseOrder,
        AmazonOperation::SubmitAcknowledgement,
        AmazonOperation::GetTransaction,
        AmazonOperation::GetPurchaseOrdersStatus,
        AmazonOperation::GetOrders,
        AmazonOperation::GetOrder,
        AmazonOperation::SubmitDfAcknowledgement,
        AmazonOperation::GetTransactionStatus,
    ];

    /// The operation's name as [`ClientError::operation`] carries it: Amazon's
    /// operation id, prefixed with `direct fulfillment` for that program.
    pub const fn name(&self) -> &'static str {
        match self {
            AmazonOperation::GetPurchaseOrders => "getPurchaseOrders",
            AmazonOperation::GetPurchaseOrder => "getPurchaseOrder",
            AmazonOperation::SubmitAcknowledgement => "submitAcknowledgement",
            AmazonOperation::GetTransaction => "getTransaction",
            AmazonOperation::GetPurchaseOrdersStatus => "getPurchaseOrdersStatus",
            AmazonOperation::GetOrders => "direct fulfillment getOrders",
            AmazonOperation::GetOrder => "direct fulfillment getOrder",
            AmazonOperation::SubmitDfAcknowledgement => "direct fulfillment submitAcknowledgement",
            AmazonOperation::GetTransactionStatus => "direct fulfillment getTransactionStatus",
        }
    }

    /// Amazon's default usage plan for the operation: 10 requests a second with a
    /// burst of 10, and a burst of 20 for retail `getTransaction`.
    pub const fn default_rate_limit(&self) -> RateLimit {
        match self {
            AmazonOperation::GetTransaction => RateLimit {
                per_second: 10,
                burst: 20,
            },
            _ => RateLimit {
                per_second: 10,
                burst: 10,
            },
        }
    }
}

impl fmt::Display for AmazonOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One acknowledgement Amazon received: a PO, the body sent for it, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedAcknowledgement {
    /// The program.
    pub program: Program,
    /// The PO number as sent (it may name a PO Amazon does not know).
    pub purchase_order_number: String,
    /// The transaction the acknowledgement travelled in.
    pub transaction_id: TransactionId,
    /// When Amazon received it.
    pub received_at: DateTime<Utc>,
    /// The acknowledgement exactly as sent: one element of the request's
    /// `acknowledgements` (retail) or `orderAcknowledgements` (Direct Fulfillment).
    pub body: Value,
}

/// One quantity in a received acknowledgement: a retail `itemAcknowledgements` entry,
/// or a Direct Fulfillment item with the order's status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcknowledgedLine {
    /// The `itemSequenceNumber` sent, if any.
    pub sequence: Option<String>,
    /// The retail `acknowledgementCode`, or the Direct Fulfillment order's status code,
    /// as sent.
    pub code: Option<String>,
    /// The `amount` sent; 0 when it is not a whole number.
    pub amount: u64,
    /// The `unitOfMeasure` sent.
    pub unit_of_measure: Option<String>,
    /// The `unitSize` sent.
    pub unit_size: Option<u64>,
}

impl AcknowledgedLine {
    /// The quantity in eaches: `amount × unitSize` for cases; `None` on overflow.
    pub fn eaches(&self) -> Option<u64> {
        match self.unit_of_measure.as_deref() {
            Some("Cases") => self.amount.checked_mul(self.unit_size.unwrap_or(1)),
            _ => Some(self.amount),
        }
    }
}

impl ReceivedAcknowledgement {
    /// Every quantity the acknowledgement states, in the order sent.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::testing::ReceivedAcknowledgement;
    /// use avc_order_sync::Program;
    /// let received = ReceivedAcknowledgement {
    ///     program: Program::RetailProcurement,
    ///     purchase_order_number: "4Z32PABC".into(),
    ///     transaction_id: "t-1".parse()?,
    ///     received_at: "2025-03-01T00:00:00Z".parse()?,
    ///     body: serde_json::json!({"items": [{"itemSequenceNumber": "1",
    ///         "itemAcknowledgements": [
    ///             {"acknowledgementCode": "Accepted",
    ///              "acknowledgedQuantity": {"amount": 2, "unitOfMeasure": "Cases", "unitSize": 6}},
    ///             {"acknowledgementCode": "Rejected", "acknowledgedQuantity": {"amount": 1}}]}]}),
    /// };
    /// let lines = received.lines();
    /// assert_eq!(lines[0].eaches(), Some(12));
    /// assert_eq!(lines[1].code.as_deref(), Some("Rejected"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lines(&self) -> Vec<AcknowledgedLine> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let quantity =
            |sequence: Option<String>, code: Option<String>, q: &Value| AcknowledgedLine {
                sequence,
                code,
                amount: q["amount"].as_u64().unwrap_or(0),
                unit_of_measure: text(&q["unitOfMeasure"]),
                unit_size: q["unitSize"].as_u64(),
            };
        let items = |key: &str| self.body[key].as_array().cloned().unwrap_or_default();
        match self.program {
            Program::RetailProcurement => items("items")
                .iter()
                .flat_map(|item| {
                    let sequence = text(&item["itemSequenceNumber"]);
                    item["itemAcknowledgements"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |part| {
                            quantity(
                                sequence.clone(),
                                text(&part["acknowledgementCode"]),
                                &part["acknowledgedQuantity"],
                            )
                        })
                })
                .collect(),
            Program::DirectFulfillment => {
                let code = text(&self.body["acknowledgementStatus"]["code"]);
                items("itemAcknowledgements")
                    .iter()
                    .map(|item| {
                        quantity(
                            text(&item["itemSequenceNumber"]),
                            code.clone(),
                            &item["acknowledgedQuantity"],
                        )
                    })
                    .collect()
            }
        }
    }
}

/// An in-memory Vendor Central for both programs, behaving as Amazon's SP-API does.
///
/// Share it as an `Arc`: it implements both [`RetailOrdersApi`] and
/// [`DirectFulfillmentOrdersApi`] through `&self`, and every setting and mutation
/// takes `&self` too.
///
/// # What it does as Amazon does
/// - **Listing**: created windows (and, for retail, changed windows selecting POs by
///   `purchaseOrderChangedDate`), with the start included and the end excluded. Both
///   bounds are required; a window over 7 days, an inverted window, or a `limit`
///   outside 1..=100 is refused with `InvalidInput` ([`ErrorKind::Rejected`]). Pages are
///   ordered by date unless [`VendorCentral::set_shuffle`] is on; next tokens are
///   opaque, encode the position and the filters, and a follow-up with different
///   filters is refused. [`VendorCentral::set_page_overlap`] makes every page after
///   the first repeat the previous page's last order. [`VendorCentral::list_late`]
///   keeps an order out of every listing for a while, as Amazon's outages did.
/// - **Acknowledgements**: the POST checks only the body's shape (unknown or missing
///   fields are refused at once, as Amazon's schema check does) and answers with a
///   transaction id. Everything else is checked when the transaction is processed,
///   [`VendorCentral::set_processing_time`] after the POST on the shared clock: an
///   unknown PO, another vendor code, a PO line missing or unknown, a quantity above
///   the one ordered, `Backordered` where the line does not allow it, a net cost
///   missing, not positive or above the PO's, a line first rejected and now accepted,
///   an enum spelt otherwise than in Amazon's model. Any of those fails the whole
///   transaction and changes nothing. The failure carries Amazon's real messages,
///   which name no order; [`VendorCentral::set_failures_as_amazon`]`(false)` gives
///   one [`ServiceMessage`] per problem instead, naming the PO and the body path. A good retail transaction
///   turns its POs `Acknowledged` and shows the quantities in
///   `getPurchaseOrdersStatus` (leaving a quantity of zero out of each
///   acknowledgement's details, as Amazon's sandbox does), but itself stays
///   `Processing` for good, as Amazon's do ([`VendorCentral::set_retail_success_reported`]
///   changes that). A good Direct Fulfillment transaction turns `Success`
///   ([`VendorCentral::set_df_success_reported`] keeps it `Processing`), and its
///   orders `ACCEPTED` (code `00`) or `CANCELLED` (any rejection code).
/// - **Rate limits**: a token bucket per operation on the shared clock
///   ([`AmazonOperation::default_rate_limit`]); a call over it is refused as HTTP 429
///   `QuotaExceeded`, [`ErrorKind::RateLimited`] without a retry-after (Amazon sends
///   none).
///
/// # What tests control
/// Seeding ([`VendorCentral::add_retail_order`], [`VendorCentral::add_df_order`], with
/// orders from [`super::orders`]), changes Amazon makes to POs, scripted failures
/// before or after the effect, latency, and inspection of every acknowledgement
/// received and every call made. `Debug` prints counts only, never an order.
pub struct VendorCentral {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

struct Config {
    processing_time: Duration,
    retail_success_reported: bool,
    df_success_reported: bool,
    failures_as_amazon: bool,
    latency: Duration,
    shuffle_seed: Option<u64>,
    page_overlap: bool,
    max_acknowledgements: Option<usize>,
}

struct State {
    config: Config,
    retail: BTreeMap<String, RetailRecord>,
    df: BTreeMap<String, DfRecord>,
    /// Retail POs by listing date, for created windows: a page is a range read.
    retail_listed: BTreeSet<(DateTime<Utc>, String)>,
    /// Direct Fulfillment orders by listing date.
    df_listed: BTreeSet<(DateTime<Utc>, String)>,
    /// Retail POs by `changed_at`, for changed windows: only POs that have one.
    retail_changed: BTreeSet<(DateTime<Utc>, String)>,
    /// Direct Fulfillment orders whose status is `CANCELLED` now, by listing date,
    /// for `status=CANCELLED` windows.
    df_cancelled: BTreeSet<(DateTime<Utc>, String)>,
    /// Orders Amazon lists late: shown by no listing before this time.
    listed_from: BTreeMap<(Program, String), DateTime<Utc>>,
    unreadable: Vec<Unreadable>,
    transactions: Vec<Transaction>,
    /// Where each transaction id is in `transactions`.
    transaction_at: BTreeMap<TransactionId, usize>,
    /// Every transaction before this index is decided.
    first_pending: usize,
    acknowledgements: Vec<ReceivedAcknowledgement>,
    script: Script<AmazonOperation>,
    limits: BTreeMap<AmazonOperation, Option<TokenBucket>>,
    rate_limited: BTreeMap<AmazonOperation, u64>,
    /// Retail POs whose next applied acknowledgement Amazon records one unit short.
    drift_next: BTreeSet<String>,
    /// Every drift applied: the PO and the line.
    drifted: Vec<(String, String)>,
}

/// A retail PO and what Amazon recorded about it.
#[derive(Clone)]
struct RetailRecord {
    order: retail::Order,
    listed_at: DateTime<Utc>,
    changed_at: Option<DateTime<Utc>>,
    last_updated: DateTime<Utc>,
    lines: BTreeMap<String, LineStatus>,
}

/// How Amazon recorded one retail PO line.
#[derive(Clone, Default)]
struct LineStatus {
    acknowledged: bool,
    accepted: u64,
    rejected: u64,
    /// The first acknowledgement rejected the whole line: it can never be accepted.
    rejected_first: bool,
    acknowledgement_history: Vec<(DateTime<Utc>, u64, u64)>,
    quantity_history: Vec<(DateTime<Utc>, retail::ItemQuantity, u64)>,
}

#[derive(Clone)]
struct DfRecord {
    order: df::Order,
    listed_at: DateTime<Utc>,
}

struct Unreadable {
    program: Program,
    listed_at: DateTime<Utc>,
    malformed: MalformedOrder,
}

struct Transaction {
    id: TransactionId,
    program: Program,
    ready_at: DateTime<Utc>,
    acknowledgements: Vec<Value>,
    decision: Option<Result<(), Vec<ServiceMessage>>>,
}

fn message(code: &str, message: impl Into<String>, field: Option<String>) -> ServiceMessage {
    ServiceMessage {
        code: code.to_owned(),
        message: message.into(),
        field,
    }
}

/// A failed transaction's errors as Amazon sends them: messages that name no order
/// and no field. Direct Fulfillment's sandbox answers `INVALID_ORDER_ID` "Invalid
/// order ID." for an order it does not know; a production vendor transaction answered
/// `NotAvailable` with the text below for the rest.
fn as_amazon_sends(program: Program, errors: &[ServiceMessage]) -> Vec<ServiceMessage> {
    const NOT_AVAILABLE: &str =
        "Error details are not available. Please make sure you are sending valid input payload.";
    let mut sent: Vec<ServiceMessage> = Vec::new();
    for error in errors {
        let terse = match program {
            Program::DirectFulfillment if error.code == "INVALID_ORDER_ID" => {
                message("INVALID_ORDER_ID", "Invalid order ID.", None)
            }
            _ => message("NotAvailable", NOT_AVAILABLE, None),
        };
        if !sent.contains(&terse) {
            sent.push(terse);
        }
    }
    sent
}

fn rejected(op: AmazonOperation, messages: Vec<ServiceMessage>) -> ClientError {
    ClientError::new(ErrorKind::Rejected, op.name()).with_messages(messages)
}

fn not_found(op: AmazonOperation, what: &str) -> ClientError {
    ClientError::new(ErrorKind::NotFound, op.name()).with_messages(vec![message(
        "ResourceNotFound",
        format!("Cannot find resource by the given URI: {what}"),
        None,
    )])
}

/// The error a scripted failure returns, with the service's usual message.
fn scripted(op: AmazonOperation, failure: &ScriptedFailure) -> ClientError {
    let messages = if failure.messages.is_empty() {
        let (code, text) = match failure.kind {
            ErrorKind::Transient => (
                "InternalFailure",
                "We encountered an internal error. Please try again.",
            ),
            ErrorKind::RateLimited { .. } => (
                "QuotaExceeded",
                "You exceeded your quota for the requested resource.",
            ),
            ErrorKind::NotFound => ("ResourceNotFound", "Cannot find resource by the given URI"),
            ErrorKind::Rejected => ("InvalidInput", "Invalid Input"),
            ErrorKind::Unauthorized => ("Unauthorized", "Access to requested resource is denied."),
        };
        vec![message(code, text, None)]
    } else {
        failure.messages.clone()
    };
    ClientError::new(failure.kind.clone(), op.name()).with_messages(messages)
}

use crate::time::later as add;

impl VendorCentral {
    /// An empty Vendor Central on this clock, with Amazon's default rate limits, a
    /// processing time of one minute, no latency, date-ordered pages and no overlap.
    pub fn new(clock: impl Clock + 'static) -> Self {
        VendorCentral::with_clock(Arc::new(clock))
    }

    /// As [`VendorCentral::new`], with a clock already shared.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        VendorCentral {
            clock,
            state: Mutex::new(State {
                config: Config {
                    processing_time: Duration::from_secs(60),
                    retail_success_reported: false,
                    df_success_reported: true,
                    failures_as_amazon: true,
                    latency: Duration::ZERO,
                    shuffle_seed: None,
                    page_overlap: false,
                    max_acknowledgements: None,
                },
                retail: BTreeMap::new(),
                df: BTreeMap::new(),
                retail_listed: BTreeSet::new(),
                df_listed: BTreeSet::new(),
                retail_changed: BTreeSet::new(),
                df_cancelled: BTreeSet::new(),
                listed_from: BTreeMap::new(),
                unreadable: Vec::new(),
                transactions: Vec::new(),
                transaction_at: BTreeMap::new(),
                first_pending: 0,
                acknowledgements: Vec::new(),
                script: Script::new(),
                limits: AmazonOperation::ALL
                    .iter()
                    .map(|op| (*op, Some(TokenBucket::new(op.default_rate_limit()))))
                    .collect(),
                rate_limited: BTreeMap::new(),
                drift_next: BTreeSet::new(),
                drifted: Vec::new(),
            }),
        }
    }

    /// Makes Amazon record the next acknowledgement it applies for retail PO `number`
    /// one unit short on its first accepted line: the transaction succeeds, and the
    /// status report shows less accepted than was sent (drift, as integrators report
    /// it).
    pub fn record_next_acknowledgement_short(&self, number: &str) {
        lock(&self.state).drift_next.insert(number.to_owned());
    }

    /// Every drift applied so far: the PO and the line recorded short.
    pub fn drifted(&self) -> Vec<(String, String)> {
        self.settled().drifted.clone()
    }

    /// The state, with every transaction due by now decided.
    fn settled(&self) -> std::sync::MutexGuard<'_, State> {
        let mut state = lock(&self.state);
        state.settle(self.clock.now());
        state
    }

    // -----------------------------------------------------------------------------
    // Settings
    // -----------------------------------------------------------------------------

    /// How long after its POST a transaction is decided (default one minute).
    pub fn set_processing_time(&self, processing_time: Duration) {
        self.settled().config.processing_time = processing_time;
    }

    /// Whether a good retail acknowledgement transaction reports `Success` (default
    /// `false`: it stays `Processing` for good, as Amazon's do).
    pub fn set_retail_success_reported(&self, reported: bool) {
        self.settled().config.retail_success_reported = reported;
    }

    /// Whether a good Direct Fulfillment acknowledgement transaction reports `Success`
    /// (default `true`, as Amazon's current guide says). With `false` it stays
    /// `Processing` for good, as Amazon's older guide describes: only the order,
    /// turned `ACCEPTED` or `CANCELLED`, shows it was taken.
    pub fn set_df_success_reported(&self, reported: bool) {
        self.settled().config.df_success_reported = reported;
    }

    /// Whether a failed transaction answers with the messages Amazon really sends,
    /// which name no order (the default: retail `NotAvailable` "Error details are not
    /// available. Please make sure you are sending valid input payload.", Direct
    /// Fulfillment `INVALID_ORDER_ID` "Invalid order ID." for an order Amazon does not
    /// know), or (`false`) with the simulator's own diagnostics, one per problem
    /// naming the PO and the body path, for tests that check which rule refused.
    pub fn set_failures_as_amazon(&self, as_amazon: bool) {
        self.settled().config.failures_as_amazon = as_amazon;
    }

    /// Sets an operation's usage plan, with a full bucket; `None` lifts the limit.
    pub fn set_rate_limit(&self, operation: AmazonOperation, limit: Option<RateLimit>) {
        self.settled()
            .limits
            .insert(operation, limit.map(TokenBucket::new));
    }

    /// Turns rate limiting off for every operation (`false`), or back on with
    /// Amazon's defaults (`true`).
    pub fn set_rate_limits_enabled(&self, enabled: bool) {
        let mut state = self.settled();
        for op in AmazonOperation::ALL {
            let bucket = enabled.then(|| TokenBucket::new(op.default_rate_limit()));
            state.limits.insert(op, bucket);
        }
    }

    /// A latency every call spends sleeping on the shared clock before it acts
    /// (default none). On a [`ManualClock`](super::ManualClock) it advances the time.
    pub fn set_latency(&self, latency: Duration) {
        self.settled().config.latency = latency;
    }

    /// Shuffles the orders of every listing with this seed (the same query gives the
    /// same order every time), or lists them by date again (`None`, the default).
    pub fn set_shuffle(&self, seed: Option<u64>) {
        self.settled().config.shuffle_seed = seed;
    }

    /// Makes every page after the first start with the previous page's last order,
    /// as Amazon's pages sometimes overlap (default off). Pages keep to the limit; a
    /// limit of 1 never overlaps.
    pub fn set_page_overlap(&self, overlap: bool) {
        self.settled().config.page_overlap = overlap;
    }

    /// The most acknowledgements one POST may carry before it is refused as too large
    /// (HTTP 413); `None` (the default) takes any number.
    pub fn set_max_acknowledgements_per_request(&self, max: Option<usize>) {
        self.settled().config.max_acknowledgements = max;
    }

    // -----------------------------------------------------------------------------
    // Scripted failures
    // -----------------------------------------------------------------------------

    /// The next `count` calls of `operation` fail transiently before any effect.
    pub fn fail_next(&self, operation: AmazonOperation, count: usize) {
        self.fail_next_with(operation, ScriptedFailure::transient(), count);
    }

    /// The next `count` calls of `operation` take effect (an acknowledgement is
    /// recorded and its transaction opened), then fail transiently: the answer is
    /// lost.
    pub fn fail_next_after_effect(&self, operation: AmazonOperation, count: usize) {
        self.fail_next_with(
            operation,
            ScriptedFailure::transient().after_effect(),
            count,
        );
    }

    /// The next `count` calls of `operation` fail as scripted.
    pub fn fail_next_with(
        &self,
        operation: AmazonOperation,
        failure: ScriptedFailure,
        count: usize,
    ) {
        lock(&self.state).script.push(operation, failure, count);
    }

    /// Drops every scripted failure not yet used.
    pub fn clear_failures(&self) {
        lock(&self.state).script.clear();
    }

    /// How many scripted failures of `operation` are still to come.
    pub fn pending_failures(&self, operation: AmazonOperation) -> usize {
        lock(&self.state).script.pending(operation)
    }

    // -----------------------------------------------------------------------------
    // Inspection
    // -----------------------------------------------------------------------------

    /// How many calls of `operation` arrived, refused ones included.
    pub fn calls(&self, operation: AmazonOperation) -> u64 {
        lock(&self.state).script.calls(operation)
    }

    /// How many calls arrived, over every operation.
    pub fn total_calls(&self) -> u64 {
        lock(&self.state).script.total_calls()
    }

    /// How many calls of `operation` were refused for the rate limit.
    pub fn rate_limit_refusals(&self, operation: AmazonOperation) -> u64 {
        lock(&self.state)
            .rate_limited
            .get(&operation)
            .copied()
            .unwrap_or(0)
    }

    /// A retail PO as Amazon would return it now.
    pub fn retail_order(&self, number: &str) -> Option<retail::Order> {
        self.settled().retail.get(number).map(|r| r.order.clone())
    }

    /// A retail PO's state now.
    pub fn retail_state(&self, number: &str) -> Option<retail::PurchaseOrderState> {
        self.settled()
            .retail
            .get(number)
            .and_then(|r| r.order.purchase_order_state.clone())
    }

    /// A retail PO's status report now, as `getPurchaseOrdersStatus` shows it.
    pub fn retail_status(&self, number: &str) -> Option<retail::OrderStatus> {
        self.settled().retail.get(number).map(|r| r.status(number))
    }

    /// A Direct Fulfillment order as Amazon would return it now.
    pub fn df_order(&self, number: &str) -> Option<df::Order> {
        self.settled().df.get(number).map(|r| r.order.clone())
    }

    /// A Direct Fulfillment order's status now (`NEW` when the order has none).
    pub fn df_status(&self, number: &str) -> Option<df::OrderStatus> {
        self.settled().df.get(number).map(DfRecord::status)
    }

    /// Every acknowledgement received, in order of arrival.
    pub fn acknowledgements(&self) -> Vec<ReceivedAcknowledgement> {
        lock(&self.state).acknowledgements.clone()
    }

    /// Every acknowledgement received for one PO, in order of arrival.
    pub fn acknowledgements_for(&self, number: &str) -> Vec<ReceivedAcknowledgement> {
        lock(&self.state)
            .acknowledgements
            .iter()
            .filter(|a| a.purchase_order_number == number)
            .cloned()
            .collect()
    }

    /// How many acknowledgements were received for one PO.
    pub fn acknowledgement_count(&self, number: &str) -> usize {
        lock(&self.state)
            .acknowledgements
            .iter()
            .filter(|a| a.purchase_order_number == number)
            .count()
    }

    /// What the transaction status operation would answer for `id` now, without
    /// counting a call; `None` for an unknown id.
    pub fn transaction_outcome(&self, id: &TransactionId) -> Option<TransactionOutcome> {
        let state = self.settled();
        state.transaction(id).map(|t| state.outcome(t))
    }

    /// How many transactions were opened.
    pub fn transaction_count(&self) -> usize {
        lock(&self.state).transactions.len()
    }
}

impl fmt::Debug for VendorCentral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("VendorCentral")
            .field("retail_orders", &state.retail.len())
            .field("df_orders", &state.df.len())
            .field("unreadable_orders", &state.unreadable.len())
            .field("transactions", &state.transactions.len())
            .field("acknowledgements", &state.acknowledgements.len())
            .field("calls", &state.script.total_calls())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
