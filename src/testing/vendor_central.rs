//! The Vendor Central simulator: Retail Procurement and Direct Fulfillment orders,
//! acknowledgements and their transactions, in memory.

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
mod listing;

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
///   the first repeat the previous page's last order.
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
    unreadable: Vec<Unreadable>,
    transactions: Vec<Transaction>,
    /// Every transaction before this index is decided.
    first_pending: usize,
    acknowledgements: Vec<ReceivedAcknowledgement>,
    script: Script<AmazonOperation>,
    limits: BTreeMap<AmazonOperation, Option<TokenBucket>>,
    rate_limited: BTreeMap<AmazonOperation, u64>,
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

fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

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
                unreadable: Vec::new(),
                transactions: Vec::new(),
                first_pending: 0,
                acknowledgements: Vec::new(),
                script: Script::new(),
                limits: AmazonOperation::ALL
                    .iter()
                    .map(|op| (*op, Some(TokenBucket::new(op.default_rate_limit()))))
                    .collect(),
                rate_limited: BTreeMap::new(),
            }),
        }
    }

    /// The state, with every transaction due by now decided.
    fn settled(&self) -> std::sync::MutexGuard<'_, State> {
        let mut state = lock(&self.state);
        state.settle(self.clock.now());
        state
    }

    // -----------------------------------------------------------------------------
    // Seeding
    // -----------------------------------------------------------------------------

    /// Seeds a retail purchase order, listed by its `purchaseOrderDate` (and, once
    /// changed, by its `purchaseOrderChangedDate`).
    ///
    /// # Errors
    /// [`SimulatorError::MissingNumber`], [`SimulatorError::DuplicateOrder`], or
    /// [`SimulatorError::NoOrderDate`] when `purchaseOrderDate` is missing or
    /// unreadable (use [`VendorCentral::add_retail_order_listed_at`] to seed such an
    /// order on purpose).
    pub fn add_retail_order(&self, order: retail::Order) -> Result<(), SimulatorError> {
        let listed_at = order
            .order_details
            .as_ref()
            .and_then(|d| d.purchase_order_date.as_deref())
            .and_then(|d| parse_instant(d).ok())
            .ok_or_else(|| SimulatorError::NoOrderDate {
                number: order.purchase_order_number.clone().unwrap_or_default(),
                field: "orderDetails.purchaseOrderDate",
            })?;
        self.add_retail_order_listed_at(order, listed_at)
    }

    /// Seeds a retail purchase order listed in created windows by `listed_at`,
    /// whatever its body says: for orders whose dates are missing or broken on
    /// purpose.
    ///
    /// # Errors
    /// [`SimulatorError::MissingNumber`] or [`SimulatorError::DuplicateOrder`].
    pub fn add_retail_order_listed_at(
        &self,
        order: retail::Order,
        listed_at: DateTime<Utc>,
    ) -> Result<(), SimulatorError> {
        let number = order
            .purchase_order_number
            .clone()
            .ok_or(SimulatorError::MissingNumber)?;
        let details = order.order_details.as_ref();
        let date = |f: fn(&retail::OrderDetails) -> Option<&String>| {
            details.and_then(f).and_then(|d| parse_instant(d).ok())
        };
        let changed_at = date(|d| d.purchase_order_changed_date.as_ref());
        let state_changed_at = date(|d| d.purchase_order_state_changed_date.as_ref());
        let last_updated = [Some(listed_at), changed_at, state_changed_at]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(listed_at);
        let mut state = self.settled();
        if state.retail.contains_key(&number) {
            return Err(SimulatorError::DuplicateOrder { number });
        }
        state.retail_listed.insert((listed_at, number.clone()));
        state.retail.insert(
            number,
            RetailRecord {
                order,
                listed_at,
                changed_at,
                last_updated,
                lines: BTreeMap::new(),
            },
        );
        Ok(())
    }

    /// Seeds a Direct Fulfillment order, listed by its `orderDate`.
    ///
    /// # Errors
    /// As [`VendorCentral::add_retail_order`], for `orderDetails.orderDate`.
    pub fn add_df_order(&self, order: df::Order) -> Result<(), SimulatorError> {
        let listed_at = order
            .order_details
            .as_ref()
            .and_then(|d| d.order_date.as_deref())
            .and_then(|d| parse_instant(d).ok())
            .ok_or_else(|| SimulatorError::NoOrderDate {
                number: order.purchase_order_number.clone().unwrap_or_default(),
                field: "orderDetails.orderDate",
            })?;
        self.add_df_order_listed_at(order, listed_at)
    }

    /// Seeds a Direct Fulfillment order listed by `listed_at`, whatever its body says.
    ///
    /// # Errors
    /// [`SimulatorError::MissingNumber`] or [`SimulatorError::DuplicateOrder`].
    pub fn add_df_order_listed_at(
        &self,
        order: df::Order,
        listed_at: DateTime<Utc>,
    ) -> Result<(), SimulatorError> {
        let number = order
            .purchase_order_number
            .clone()
            .ok_or(SimulatorError::MissingNumber)?;
        let mut state = self.settled();
        if state.df.contains_key(&number) {
            return Err(SimulatorError::DuplicateOrder { number });
        }
        state.df_listed.insert((listed_at, number.clone()));
        state.df.insert(number, DfRecord { order, listed_at });
        Ok(())
    }

    /// Seeds an entry of a created window that cannot be read at all: pages covering
    /// `listed_at` report it in [`Page::malformed`].
    pub fn add_unreadable_order(
        &self,
        program: Program,
        listed_at: DateTime<Utc>,
        malformed: MalformedOrder,
    ) {
        self.settled().unreadable.push(Unreadable {
            program,
            listed_at,
            malformed,
        });
    }

    // -----------------------------------------------------------------------------
    // Changes Amazon makes
    // -----------------------------------------------------------------------------

    /// Changes a retail PO as Amazon does after creation: `change` edits the wire
    /// order, then `purchaseOrderChangedDate` is set to now, so changed windows
    /// covering now select it.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn change_retail_order(
        &self,
        number: &str,
        change: impl FnOnce(&mut retail::Order),
    ) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        let record = state.retail_mut(number)?;
        change(&mut record.order);
        record.mark_changed(now);
        Ok(())
    }

    /// Sets a retail line's ordered quantity (in the line's unit) and marks the PO
    /// changed. A lower quantity is recorded as cancelled in the status report.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`], [`SimulatorError::UnknownLine`].
    pub fn set_retail_quantity(
        &self,
        number: &str,
        sequence: &str,
        amount: u64,
    ) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        let record = state.retail_mut(number)?;
        record.set_quantity(number, sequence, amount, now)?;
        record.mark_changed(now);
        Ok(())
    }

    /// Cancels a retail line: its quantity becomes 0, as Amazon shows a cancelled
    /// line.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`], [`SimulatorError::UnknownLine`].
    pub fn cancel_retail_line(&self, number: &str, sequence: &str) -> Result<(), SimulatorError> {
        self.set_retail_quantity(number, sequence, 0)
    }

    /// Sets a retail line's net cost (a decimal string, kept as written) and marks the
    /// PO changed.
    ///
    /// # Errors
    /// [`SimulatorError::InvalidValue`] when `amount` is not a decimal;
    /// [`SimulatorError::UnknownOrder`], [`SimulatorError::UnknownLine`].
    pub fn set_retail_net_cost(
        &self,
        number: &str,
        sequence: &str,
        amount: &str,
    ) -> Result<(), SimulatorError> {
        amount
            .parse::<Decimal>()
            .map_err(|e| SimulatorError::InvalidValue {
                field: "netCost.amount",
                reason: e.to_string(),
            })?;
        let now = self.clock.now();
        let mut state = self.settled();
        let record = state.retail_mut(number)?;
        let item = record.item_mut(number, sequence)?;
        let cost = item.net_cost.get_or_insert_with(retail::Money::default);
        cost.amount = Some(amount.to_owned());
        record.mark_changed(now);
        Ok(())
    }

    /// Adds a line to a retail PO, numbered after the last one (zero-padded like the
    /// others), and marks the PO changed. Returns the new line's sequence number.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn add_retail_line(
        &self,
        number: &str,
        line: RetailLine,
    ) -> Result<String, SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        let record = state.retail_mut(number)?;
        let sequence = record.add_line(line);
        record.mark_changed(now);
        Ok(sequence)
    }

    /// Closes a retail PO: its state becomes `Closed` and the status report shows it
    /// `CLOSED`. Acknowledgements of it fail from then on.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn close_retail_order(&self, number: &str) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        state
            .retail_mut(number)?
            .set_state(retail::PurchaseOrderState::Closed, now);
        Ok(())
    }

    /// Records an acknowledgement of a retail PO made outside the sync (in Vendor
    /// Central's pages, or with another connector), as of now: each line in
    /// `accepted` (by `itemSequenceNumber`) accepts that many eaches and rejects the
    /// rest of what it orders, a line not named rejects all of it, and the PO turns
    /// `Acknowledged`. Nothing is added to [`VendorCentral::acknowledgements`].
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn acknowledge_retail_order_elsewhere(
        &self,
        number: &str,
        accepted: &[(&str, u64)],
    ) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        let record = state.retail_mut(number)?;
        let lines = record
            .order
            .order_details
            .as_ref()
            .and_then(|d| d.items.as_deref())
            .unwrap_or_default()
            .iter()
            .filter_map(|item| {
                let sequence = item.item_sequence_number.clone()?;
                let ordered = acknowledgements::ordered_eaches(item).unwrap_or(0);
                let kept = accepted
                    .iter()
                    .find(|(s, _)| *s == sequence)
                    .map_or(0, |(_, e)| (*e).min(ordered));
                Some((sequence, (kept, ordered - kept)))
            })
            .collect();
        record.apply(
            &acknowledgements::RetailEffect {
                acknowledged_at: now,
                lines,
            },
            now,
        );
        Ok(())
    }

    /// Records that a Direct Fulfillment order was accepted outside the sync: its
    /// status becomes `ACCEPTED`. Nothing is added to
    /// [`VendorCentral::acknowledgements`].
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn accept_df_order_elsewhere(&self, number: &str) -> Result<(), SimulatorError> {
        let mut state = self.settled();
        let record = state
            .df
            .get_mut(number)
            .ok_or_else(|| SimulatorError::UnknownOrder {
                number: number.to_owned(),
            })?;
        record.set_status(df::OrderStatus::Accepted);
        Ok(())
    }

    /// Cancels a Direct Fulfillment order: its status becomes `CANCELLED`.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn cancel_df_order(&self, number: &str) -> Result<(), SimulatorError> {
        let mut state = self.settled();
        let record = state
            .df
            .get_mut(number)
            .ok_or_else(|| SimulatorError::UnknownOrder {
                number: number.to_owned(),
            })?;
        record.set_status(df::OrderStatus::Cancelled);
        Ok(())
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
        state
            .transactions
            .iter()
            .find(|t| t.id == *id)
            .map(|t| state.outcome(t))
    }

    /// How many transactions were opened.
    pub fn transaction_count(&self) -> usize {
        lock(&self.state).transactions.len()
    }

    // -----------------------------------------------------------------------------
    // Calls
    // -----------------------------------------------------------------------------

    /// Runs one call: counts it, applies the rate limit and scripted failures, sleeps
    /// the latency, then runs `effect` on the settled state.
    async fn call<T, F>(&self, op: AmazonOperation, effect: F) -> Result<T, ClientError>
    where
        T: Send,
        F: FnOnce(&mut State, DateTime<Utc>) -> Result<T, ClientError> + Send,
    {
        let (failure, latency) = {
            let mut state = lock(&self.state);
            let now = self.clock.now();
            state.script.count(op);
            state.settle(now);
            if let Some(Some(bucket)) = state.limits.get_mut(&op) {
                if bucket.try_take(now).is_err() {
                    *state.rate_limited.entry(op).or_default() += 1;
                    return Err(scripted(
                        op,
                        &ScriptedFailure::of(ErrorKind::RateLimited { retry_after: None }),
                    ));
                }
            }
            (state.script.take(op), state.config.latency)
        };
        if let Some(failure) = &failure {
            if failure.point == FailurePoint::BeforeEffect {
                return Err(scripted(op, failure));
            }
        }
        if !latency.is_zero() {
            self.clock.sleep(latency).await;
        }
        let result = {
            let mut state = lock(&self.state);
            let now = self.clock.now();
            state.settle(now);
            effect(&mut state, now)
        };
        match failure {
            Some(failure) => Err(scripted(op, &failure)),
            None => result,
        }
    }

    /// Submits a retail acknowledgement body as given, so a test can send what the
    /// crate's types cannot express (a misspelt enum, an extra field). It goes through
    /// the same counters, limits and checks as
    /// [`RetailOrdersApi::submit_acknowledgements`].
    ///
    /// # Errors
    /// [`ErrorKind::Rejected`] when the body's shape is not Amazon's model (unknown or
    /// missing fields, wrong JSON types, no acknowledgements) or it is too large;
    /// otherwise as the other calls (rate limit, scripted failures).
    pub async fn submit_retail_acknowledgement_body(
        &self,
        body: &Value,
    ) -> Result<TransactionId, ClientError> {
        let op = AmazonOperation::SubmitAcknowledgement;
        self.call(op, |state, now| {
            let acks = acknowledgements::retail_shape(body).map_err(|m| rejected(op, m))?;
            state.open_transaction(op, Program::RetailProcurement, acks, now)
        })
        .await
    }

    /// Submits a Direct Fulfillment acknowledgement body as given; see
    /// [`VendorCentral::submit_retail_acknowledgement_body`].
    ///
    /// # Errors
    /// As [`VendorCentral::submit_retail_acknowledgement_body`].
    pub async fn submit_df_acknowledgement_body(
        &self,
        body: &Value,
    ) -> Result<TransactionId, ClientError> {
        let op = AmazonOperation::SubmitDfAcknowledgement;
        self.call(op, |state, now| {
            let acks = acknowledgements::df_shape(body).map_err(|m| rejected(op, m))?;
            state.open_transaction(op, Program::DirectFulfillment, acks, now)
        })
        .await
    }

    async fn transaction(
        &self,
        op: AmazonOperation,
        program: Program,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        self.call(op, |state, _| {
            state
                .transactions
                .iter()
                .find(|t| t.id == *id && t.program == program)
                .map(|t| state.outcome(t))
                .ok_or_else(|| not_found(op, id.as_str()))
        })
        .await
    }
}

fn body_of<T: serde::Serialize>(op: AmazonOperation, request: &T) -> Result<Value, ClientError> {
    serde_json::to_value(request).map_err(|e| {
        ClientError::new(ErrorKind::Rejected, op.name())
            .with_messages(vec![message(
                "InvalidInput",
                "The request body could not be read.",
                None,
            )])
            .with_source(e)
    })
}

#[async_trait]
impl RetailOrdersApi for VendorCentral {
    async fn purchase_orders(
        &self,
        query: &OrderQuery,
    ) -> Result<Page<retail::Order>, ClientError> {
        let op = AmazonOperation::GetPurchaseOrders;
        self.call(op, |state, now| state.list_retail(op, query, now))
            .await
    }

    async fn purchase_order(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<retail::Order, ClientError> {
        let op = AmazonOperation::GetPurchaseOrder;
        self.call(op, |state, _| {
            state
                .retail
                .get(number.as_str())
                .map(|r| r.order.clone())
                .ok_or_else(|| not_found(op, number.as_str()))
        })
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[RetailAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        let op = AmazonOperation::SubmitAcknowledgement;
        let body = body_of(
            op,
            &retail::SubmitAcknowledgementRequest::from_domain(acknowledgements),
        )?;
        self.submit_retail_acknowledgement_body(&body).await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        self.transaction(
            AmazonOperation::GetTransaction,
            Program::RetailProcurement,
            id,
        )
        .await
    }

    async fn purchase_order_status(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<Option<retail::OrderStatus>, ClientError> {
        let op = AmazonOperation::GetPurchaseOrdersStatus;
        self.call(op, |state, _| {
            Ok(state
                .retail
                .get(number.as_str())
                .map(|r| r.status(number.as_str())))
        })
        .await
    }
}

#[async_trait]
impl DirectFulfillmentOrdersApi for VendorCentral {
    async fn orders(&self, query: &OrderQuery) -> Result<Page<df::Order>, ClientError> {
        let op = AmazonOperation::GetOrders;
        self.call(op, |state, now| state.list_df(op, query, now))
            .await
    }

    async fn order(&self, number: &PurchaseOrderNumber) -> Result<df::Order, ClientError> {
        let op = AmazonOperation::GetOrder;
        self.call(op, |state, _| {
            state
                .df
                .get(number.as_str())
                .map(|r| r.order.clone())
                .ok_or_else(|| not_found(op, number.as_str()))
        })
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[DirectFulfillmentAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        let op = AmazonOperation::SubmitDfAcknowledgement;
        let body = body_of(
            op,
            &df::SubmitAcknowledgementRequest::from_domain(acknowledgements),
        )?;
        self.submit_df_acknowledgement_body(&body).await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        self.transaction(
            AmazonOperation::GetTransactionStatus,
            Program::DirectFulfillment,
            id,
        )
        .await
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

impl State {
    fn retail_mut(&mut self, number: &str) -> Result<&mut RetailRecord, SimulatorError> {
        self.retail
            .get_mut(number)
            .ok_or_else(|| SimulatorError::UnknownOrder {
                number: number.to_owned(),
            })
    }

    /// Decides every transaction due by `now`, in the order they were opened.
    fn settle(&mut self, now: DateTime<Utc>) {
        // Transactions before `first_pending` are decided: skip them, so settling costs
        // what is pending, not everything ever submitted.
        while self
            .transactions
            .get(self.first_pending)
            .is_some_and(|t| t.decision.is_some())
        {
            self.first_pending += 1;
        }
        for i in self.first_pending..self.transactions.len() {
            let due = {
                let t = &self.transactions[i];
                t.decision.is_none() && t.ready_at <= now
            };
            if !due {
                continue;
            }
            let (program, at, acks) = {
                let t = &self.transactions[i];
                (t.program, t.ready_at, t.acknowledgements.clone())
            };
            let decision = match program {
                Program::RetailProcurement => self.decide_retail(&acks, at),
                Program::DirectFulfillment => self.decide_df(&acks),
            };
            self.transactions[i].decision = Some(decision);
        }
    }

    /// Checks a retail transaction against the POs as they are now; applies it only
    /// when every acknowledgement in it passes.
    fn decide_retail(
        &mut self,
        acks: &[Value],
        at: DateTime<Utc>,
    ) -> Result<(), Vec<ServiceMessage>> {
        let mut changed: BTreeMap<String, RetailRecord> = BTreeMap::new();
        let mut errors = Vec::new();
        for (index, ack) in acks.iter().enumerate() {
            let number = ack["purchaseOrderNumber"].as_str().unwrap_or_default();
            let current = changed.get(number).or_else(|| self.retail.get(number));
            match acknowledgements::check_retail(index, ack, number, current) {
                Ok(effect) => {
                    let Some(record) = current else { continue };
                    let mut record = record.clone();
                    record.apply(&effect, at);
                    changed.insert(number.to_owned(), record);
                }
                Err(mut found) => errors.append(&mut found),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        self.retail.extend(changed);
        Ok(())
    }

    fn decide_df(&mut self, acks: &[Value]) -> Result<(), Vec<ServiceMessage>> {
        let mut changed: BTreeMap<String, DfRecord> = BTreeMap::new();
        let mut errors = Vec::new();
        for (index, ack) in acks.iter().enumerate() {
            let number = ack["purchaseOrderNumber"].as_str().unwrap_or_default();
            let current = changed.get(number).or_else(|| self.df.get(number));
            match acknowledgements::check_df(index, ack, number, current) {
                Ok(effect) => {
                    let Some(record) = current else { continue };
                    let mut record = record.clone();
                    record.apply(&effect);
                    changed.insert(number.to_owned(), record);
                }
                Err(mut found) => errors.append(&mut found),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        self.df.extend(changed);
        Ok(())
    }

    fn outcome(&self, t: &Transaction) -> TransactionOutcome {
        match &t.decision {
            None => TransactionOutcome::Processing,
            Some(Err(errors)) if self.config.failures_as_amazon => {
                TransactionOutcome::Failure(as_amazon_sends(t.program, errors))
            }
            Some(Err(errors)) => TransactionOutcome::Failure(errors.clone()),
            Some(Ok(())) => match t.program {
                Program::RetailProcurement if !self.config.retail_success_reported => {
                    TransactionOutcome::Processing
                }
                Program::DirectFulfillment if !self.config.df_success_reported => {
                    TransactionOutcome::Processing
                }
                _ => TransactionOutcome::Success,
            },
        }
    }

    /// Records the acknowledgements of an accepted POST and opens their transaction.
    fn open_transaction(
        &mut self,
        op: AmazonOperation,
        program: Program,
        acks: Vec<Value>,
        now: DateTime<Utc>,
    ) -> Result<TransactionId, ClientError> {
        if let Some(max) = self.config.max_acknowledgements {
            if acks.len() > max {
                return Err(rejected(
                    op,
                    vec![message(
                        "RequestEntityTooLarge",
                        format!(
                            "The request is larger than the maximum size: {} acknowledgements, at most {max}.",
                            acks.len()
                        ),
                        None,
                    )],
                ));
            }
        }
        let id = transaction_id(op, self.transactions.len() as u64 + 1, program, now)?;
        for ack in &acks {
            self.acknowledgements.push(ReceivedAcknowledgement {
                program,
                purchase_order_number: ack["purchaseOrderNumber"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                transaction_id: id.clone(),
                received_at: now,
                body: ack.clone(),
            });
        }
        self.transactions.push(Transaction {
            id: id.clone(),
            program,
            ready_at: add(now, self.config.processing_time),
            acknowledgements: acks,
            decision: None,
        });
        Ok(id)
    }
}

/// A transaction id shaped like the sandbox's
/// (`20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5`), unique by its counter.
fn transaction_id(
    op: AmazonOperation,
    counter: u64,
    program: Program,
    now: DateTime<Utc>,
) -> Result<TransactionId, ClientError> {
    let mut rng = SplitMix64::new(stable_hash(&[program.code(), &counter.to_string()]));
    let (a, b) = (rng.next_u64(), rng.next_u64());
    let text = format!(
        "{}-{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        now.format("%Y%m%d%H%M%S"),
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        0x8000 | (b & 0x3FFF),
        counter
    );
    TransactionId::new(text).map_err(|e| {
        ClientError::new(ErrorKind::Transient, op.name())
            .with_messages(vec![message(
                "InternalFailure",
                "We encountered an internal error. Please try again.",
                None,
            )])
            .with_source(e)
    })
}

impl RetailRecord {
    fn details_mut(&mut self) -> &mut retail::OrderDetails {
        self.order
            .order_details
            .get_or_insert_with(retail::OrderDetails::default)
    }

    fn item_mut(
        &mut self,
        number: &str,
        sequence: &str,
    ) -> Result<&mut retail::OrderItem, SimulatorError> {
        self.details_mut()
            .items
            .get_or_insert_with(Vec::new)
            .iter_mut()
            .find(|i| i.item_sequence_number.as_deref() == Some(sequence))
            .ok_or_else(|| SimulatorError::UnknownLine {
                number: number.to_owned(),
                sequence: sequence.to_owned(),
            })
    }

    fn mark_changed(&mut self, now: DateTime<Utc>) {
        self.changed_at = Some(now);
        self.last_updated = now;
        self.details_mut().purchase_order_changed_date = Some(format_instant(&now));
    }

    fn set_state(&mut self, to: retail::PurchaseOrderState, now: DateTime<Utc>) {
        if self.order.purchase_order_state.as_ref() == Some(&to) {
            return;
        }
        self.order.purchase_order_state = Some(to);
        self.details_mut().purchase_order_state_changed_date = Some(format_instant(&now));
        self.last_updated = self.last_updated.max(now);
    }

    fn set_quantity(
        &mut self,
        number: &str,
        sequence: &str,
        amount: u64,
        now: DateTime<Utc>,
    ) -> Result<(), SimulatorError> {
        let item = self.item_mut(number, sequence)?;
        let before = acknowledgements::ordered_eaches(item).unwrap_or(0);
        let quantity = item
            .ordered_quantity
            .get_or_insert_with(retail::ItemQuantity::default);
        quantity.amount = Some(amount.into());
        let ordered = quantity.clone();
        let after = acknowledgements::ordered_eaches(item).unwrap_or(0);
        self.lines
            .entry(sequence.to_owned())
            .or_default()
            .quantity_history
            .push((now, ordered, before.saturating_sub(after)));
        Ok(())
    }

    fn add_line(&mut self, line: RetailLine) -> String {
        let details = self.details_mut();
        let items = details.items.get_or_insert_with(Vec::new);
        let last = items
            .iter()
            .filter_map(|i| i.item_sequence_number.as_deref())
            .filter_map(|s| {
                s.parse::<u64>()
                    .ok()
                    .map(|n| (n, s.len(), s.starts_with('0')))
            })
            .max();
        let sequence = match last {
            Some((n, width, true)) => format!("{:0width$}", n.saturating_add(1)),
            Some((n, _, false)) => n.saturating_add(1).to_string(),
            None => "1".to_owned(),
        };
        let currency = items
            .iter()
            .find_map(|i| i.net_cost.as_ref()?.currency_code.clone())
            .unwrap_or_else(|| "USD".to_owned());
        let money = |amount: &str| retail::Money {
            currency_code: Some(currency.clone()),
            amount: Some(amount.to_owned()),
            unit_of_measure: None,
        };
        items.push(retail::OrderItem {
            item_sequence_number: Some(sequence.clone()),
            amazon_product_identifier: line.asin,
            vendor_product_identifier: line.vendor_sku,
            ordered_quantity: Some(retail::ItemQuantity {
                amount: Some(line.quantity.into()),
                unit_of_measure: Some(match line.unit_size {
                    Some(_) => retail::UnitOfMeasure::Cases,
                    None => retail::UnitOfMeasure::Eaches,
                }),
                unit_size: Some(line.unit_size.unwrap_or(1).into()),
            }),
            is_back_order_allowed: Some(line.back_order_allowed),
            net_cost: Some(money(&line.net_cost)),
            list_price: line.list_price.as_deref().map(money),
        });
        sequence
    }

    fn apply(&mut self, effect: &RetailEffect, at: DateTime<Utc>) {
        for (sequence, (accepted, rejected)) in &effect.lines {
            let line = self.lines.entry(sequence.clone()).or_default();
            if !line.acknowledged && *accepted == 0 && *rejected > 0 {
                line.rejected_first = true;
            }
            line.acknowledged = true;
            line.accepted = *accepted;
            line.rejected = *rejected;
            line.acknowledgement_history
                .push((effect.acknowledged_at, *accepted, *rejected));
        }
        if self
            .order
            .purchase_order_state
            .as_ref()
            .and_then(|s| s.known())
            == Some(retail::PurchaseOrderState::New)
        {
            self.set_state(retail::PurchaseOrderState::Acknowledged, at);
        }
        self.last_updated = self.last_updated.max(at);
    }

    /// The PO as `getPurchaseOrdersStatus` reports it.
    fn status(&self, number: &str) -> retail::OrderStatus {
        let details = self.order.order_details.as_ref();
        let closed = self
            .order
            .purchase_order_state
            .as_ref()
            .and_then(|s| s.known())
            == Some(retail::PurchaseOrderState::Closed);
        let party = |p: Option<&retail::PartyIdentification>| {
            p.map(|p| retail::PartyIdentification {
                party_id: p.party_id.clone(),
                address: None,
                tax_info: None,
            })
        };
        let items = details
            .and_then(|d| d.items.as_deref())
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let sequence = item.item_sequence_number.clone().unwrap_or_default();
                let line = self.lines.get(&sequence).cloned().unwrap_or_default();
                let ordered = acknowledgements::ordered_eaches(item).unwrap_or(0);
                let quantity = |eaches| acknowledgements::quantity_like(item, eaches);
                // Amazon's sandbox leaves a quantity of zero out of an
                // acknowledgement's details (`getPurchaseOrdersStatus`, PO 2JK3S9VB,
                // item 3: no `acceptedQuantity` for a line rejected in full).
                let stated = |eaches: u64| (eaches > 0).then(|| quantity(eaches));
                let confirmation = if !line.acknowledged {
                    retail::ConfirmationStatus::Unconfirmed
                } else if line.accepted == 0 {
                    retail::ConfirmationStatus::Rejected
                } else if line.accepted >= ordered && line.rejected == 0 {
                    retail::ConfirmationStatus::Accepted
                } else {
                    retail::ConfirmationStatus::PartiallyAccepted
                };
                retail::OrderItemStatus {
                    item_sequence_number: item.item_sequence_number.clone(),
                    buyer_product_identifier: item.amazon_product_identifier.clone(),
                    vendor_product_identifier: item.vendor_product_identifier.clone(),
                    net_cost: item.net_cost.clone(),
                    list_price: item.list_price.clone(),
                    ordered_quantity: Some(retail::OrderedQuantityStatus {
                        ordered_quantity: item.ordered_quantity.clone(),
                        ordered_quantity_details: (!line.quantity_history.is_empty()).then(|| {
                            line.quantity_history
                                .iter()
                                .map(|(at, ordered, cancelled)| retail::OrderedQuantityDetails {
                                    updated_date: Some(format_instant(at)),
                                    ordered_quantity: Some(ordered.clone()),
                                    cancelled_quantity: Some(quantity(*cancelled)),
                                })
                                .collect()
                        }),
                    }),
                    acknowledgement_status: Some(retail::AcknowledgementStatus {
                        confirmation_status: Some(confirmation),
                        accepted_quantity: Some(quantity(line.accepted)),
                        rejected_quantity: Some(quantity(line.rejected)),
                        acknowledgement_status_details: (!line.acknowledgement_history.is_empty())
                            .then(|| {
                                line.acknowledgement_history
                                    .iter()
                                    .map(|(at, accepted, rejected)| {
                                        retail::AcknowledgementStatusDetails {
                                            acknowledgement_date: Some(format_instant(at)),
                                            accepted_quantity: stated(*accepted),
                                            rejected_quantity: stated(*rejected),
                                        }
                                    })
                                    .collect()
                            }),
                    }),
                    receiving_status: Some(retail::ReceivingStatus {
                        receive_status: Some(retail::ReceiveStatus::NotReceived),
                        received_quantity: Some(quantity(0)),
                        last_receive_date: None,
                    }),
                }
            })
            .collect();
        retail::OrderStatus {
            purchase_order_number: Some(number.to_owned()),
            purchase_order_status: Some(if closed {
                retail::PurchaseOrderStatus::Closed
            } else {
                retail::PurchaseOrderStatus::Open
            }),
            purchase_order_date: details.and_then(|d| d.purchase_order_date.clone()),
            last_updated_date: Some(format_instant(&self.last_updated)),
            selling_party: party(details.and_then(|d| d.selling_party.as_ref())),
            ship_to_party: party(details.and_then(|d| d.ship_to_party.as_ref())),
            item_status: Some(items),
        }
    }
}

impl DfRecord {
    fn status(&self) -> df::OrderStatus {
        self.order
            .order_details
            .as_ref()
            .and_then(|d| d.order_status.clone())
            .unwrap_or(df::OrderStatus::New)
    }

    fn set_status(&mut self, status: df::OrderStatus) {
        self.order
            .order_details
            .get_or_insert_with(df::OrderDetails::default)
            .order_status = Some(status);
    }

    fn apply(&mut self, effect: &DfEffect) {
        self.set_status(if effect.accepted {
            df::OrderStatus::Accepted
        } else {
            df::OrderStatus::Cancelled
        });
    }
}

#[cfg(test)]
mod tests;
