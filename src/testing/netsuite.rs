//! The NetSuite simulator: sales orders keyed by external id, a reviewer, and the
//! account's concurrency limit.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::script::{FailurePoint, Script, ScriptedFailure};
use super::{SimulatorError, lock};
use crate::client::{ClientError, Clock, ErrorKind, NetSuiteApi, SalesOrderChange, ServiceMessage};
use crate::decimal::Decimal;
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber};
use crate::netsuite::{BodyError, ErrorBody, LinePatch, SalesOrderBody, SalesOrderPatch};
use crate::sales_order::{
    NetSuiteStatus, SalesOrderChanges, SalesOrderDraft, SalesOrderLineDraft,
    SalesOrderLineSnapshot, SalesOrderSnapshot, SalesOrderStatus,
};

/// An operation of the NetSuite client trait, for call counters and scripted failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NetSuiteOperation {
    /// [`NetSuiteApi::upsert_sales_order`] (`PUT /salesOrder/eid:…`).
    UpsertSalesOrder,
    /// [`NetSuiteApi::sales_order`] (`GET /salesOrder/eid:…`).
    SalesOrder,
    /// [`NetSuiteApi::changed_sales_orders`] (SuiteQL).
    ChangedSalesOrders,
    /// [`NetSuiteApi::update_sales_order`] (`PATCH /salesOrder/…`).
    UpdateSalesOrder,
    /// [`NetSuiteApi::close_sales_order`] (`PATCH` closing every line).
    CloseSalesOrder,
}

impl NetSuiteOperation {
    /// Every operation.
    pub const ALL: [NetSuiteOperation; 5] = [
        NetSuiteOperation::UpsertSalesOrder,
        NetSuiteOperation::SalesOrder,
        NetSuiteOperation::ChangedSalesOrders,
        NetSuiteOperation::UpdateSalesOrder,
        NetSuiteOperation::CloseSalesOrder,
    ];

    /// The operation's name as [`ClientError::operation`] carries it.
    pub const fn name(&self) -> &'static str {
        match self {
            NetSuiteOperation::UpsertSalesOrder => "upsert salesOrder",
            NetSuiteOperation::SalesOrder => "get salesOrder",
            NetSuiteOperation::ChangedSalesOrders => "suiteql changed salesOrders",
            NetSuiteOperation::UpdateSalesOrder => "patch salesOrder",
            NetSuiteOperation::CloseSalesOrder => "close salesOrder",
        }
    }
}

impl fmt::Display for NetSuiteOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An in-memory NetSuite account holding the sync's sales orders, behaving as
/// SuiteTalk REST does.
///
/// Share it as an `Arc`; everything takes `&self`.
///
/// # What it does as NetSuite does
/// - **One record per external id.** [`NetSuiteApi::upsert_sales_order`] creates the
///   record (internal ids `1001`, `1002`, … in order of creation) or updates the one
///   with the draft's external id, never a second. An update re-applies the body as
///   `PUT …/eid:` does: the header, the approval status, and each line matched by its
///   PO line (`custcol_avc_item_seq`); new PO lines are appended and lines the draft
///   does not name are left alone. Re-applying an approved order with status
///   Pending Approval resets its approval, as NetSuite does.
/// - **Refusals as NetSuite words them.** A body [`SalesOrderBody::from_draft`]
///   refuses, an order without lines (`USER_ERROR`), an item or customer outside the
///   catalogues when they are set (`INVALID_CONTENT` with `o:errorPath`), a status
///   change of a cancelled, closed or fulfilled order: all [`ErrorKind::Rejected`]
///   with the messages. An unknown external id is [`ErrorKind::NotFound`]
///   (`NONEXISTENT_ID`) for updates and closes.
/// - **Statuses.** Pending Approval (A) or Pending Fulfillment (B) as created or set;
///   Closed (H) once every line is closed; Cancelled (C) when the reviewer cancels.
///   `lastModified` moves to the shared clock's now on every write, and
///   [`NetSuiteApi::changed_sales_orders`] returns every record modified at or after
///   `since`, oldest first.
/// - **Concurrency limit.** Calls in flight are counted; a call arriving while the
///   limit (default 5) is in flight is refused as HTTP 429
///   `CONCURRENCY_LIMIT_EXCEEDED` ([`ErrorKind::RateLimited`]). Calls hold their slot
///   across a latency ([`NetSuite::set_latency`]) slept on the shared clock, so
///   concurrent callers can meet the limit.
///
/// # What tests control
/// The reviewer ([`NetSuite::approve`], [`NetSuite::set_line_quantity`],
/// [`NetSuite::close_line`], [`NetSuite::set_expected_ship_date`],
/// [`NetSuite::cancel`]), catalogues, scripted failures before or after the effect,
/// latency, and inspection of records, creations, calls and peak concurrency. `Debug`
/// prints counts only.
pub struct NetSuite {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

struct State {
    records: BTreeMap<String, Record>,
    /// Every record's key by `last_modified`, then internal id: the order changes are
    /// listed in, so a change query reads a range instead of every record.
    modified: BTreeSet<ModifiedKey>,
    creations: BTreeMap<String, u32>,
    next_internal_id: u64,
    items: Option<BTreeSet<String>>,
    customers: Option<BTreeSet<String>>,
    concurrency_limit: Option<usize>,
    latency: Duration,
    in_flight: usize,
    peak_in_flight: usize,
    peak_requested: usize,
    concurrency_refusals: u64,
    script: Script<NetSuiteOperation>,
}

/// A record's place in the index of changes: `last_modified`, the internal id as a
/// number, and the record's key.
type ModifiedKey = (DateTime<Utc>, u64, String);

fn modified_key(key: &str, record: &Record) -> ModifiedKey {
    let order = record
        .internal_id
        .as_str()
        .parse::<u64>()
        .unwrap_or(u64::MAX);
    (record.last_modified, order, key.to_owned())
}

struct Record {
    internal_id: InternalId,
    external_id: ExternalId,
    tran_id: String,
    approval: SalesOrderStatus,
    cancelled: bool,
    forced: Option<NetSuiteStatus>,
    ship_date: Option<NaiveDate>,
    lines: Vec<Line>,
    last_modified: DateTime<Utc>,
    draft: SalesOrderDraft,
    body: SalesOrderBody,
}

struct Line {
    line: u64,
    sequence: Option<ItemSequenceNumber>,
    item: InternalId,
    quantity: u64,
    rate: Decimal,
    is_closed: bool,
    expected_ship_date: Option<NaiveDate>,
}

impl Line {
    fn from_draft(line: u64, draft: &SalesOrderLineDraft) -> Self {
        Line {
            line,
            sequence: Some(draft.sequence.clone()),
            item: draft.item.clone(),
            quantity: draft.quantity,
            rate: draft.rate,
            is_closed: draft.is_closed,
            expected_ship_date: None,
        }
    }
}

impl Record {
    fn status(&self) -> NetSuiteStatus {
        if let Some(forced) = &self.forced {
            return forced.clone();
        }
        if self.cancelled {
            return NetSuiteStatus::Cancelled;
        }
        if !self.lines.is_empty() && self.lines.iter().all(|l| l.is_closed) {
            return NetSuiteStatus::Closed;
        }
        match self.approval {
            SalesOrderStatus::PendingApproval => NetSuiteStatus::PendingApproval,
            SalesOrderStatus::PendingFulfillment => NetSuiteStatus::PendingFulfillment,
        }
    }

    /// Whether the approval status can still be set: only while the order is pending
    /// approval or pending fulfillment.
    fn approval_settable(&self) -> bool {
        matches!(
            self.status(),
            NetSuiteStatus::PendingApproval | NetSuiteStatus::PendingFulfillment
        )
    }

    fn line_mut(&mut self, sequence: &ItemSequenceNumber) -> Option<&mut Line> {
        self.lines
            .iter_mut()
            .find(|l| l.sequence.as_ref() == Some(sequence))
    }

    fn next_line(&self) -> u64 {
        self.lines.iter().map(|l| l.line).max().unwrap_or(0) + 1
    }

    fn snapshot(&self) -> SalesOrderSnapshot {
        SalesOrderSnapshot {
            internal_id: self.internal_id.clone(),
            external_id: self.external_id.clone(),
            tran_id: Some(self.tran_id.clone()),
            status: self.status(),
            last_modified: Some(self.last_modified),
            ship_date: self.ship_date,
            lines: self
                .lines
                .iter()
                .map(|l| SalesOrderLineSnapshot {
                    line: l.line,
                    sequence: l.sequence.clone(),
                    item: l.item.clone(),
                    quantity: l.quantity,
                    rate: l.rate,
                    is_closed: l.is_closed,
                    expected_ship_date: l.expected_ship_date,
                })
                .collect(),
        }
    }
}

fn detail(code: &str, text: impl Into<String>, path: Option<String>) -> ServiceMessage {
    ServiceMessage {
        code: code.to_owned(),
        message: text.into(),
        field: path,
    }
}

fn rejected(op: NetSuiteOperation, messages: Vec<ServiceMessage>) -> ClientError {
    ClientError::new(ErrorKind::Rejected, op.name()).with_messages(messages)
}

fn nonexistent(op: NetSuiteOperation, external_id: &ExternalId) -> ClientError {
    ClientError::new(ErrorKind::NotFound, op.name()).with_messages(vec![detail(
        ErrorBody::NONEXISTENT_ID,
        format!(
            "The record instance does not exist. Provide a valid record instance ID: eid:{external_id}."
        ),
        None,
    )])
}

fn concurrency_limit(op: NetSuiteOperation) -> ClientError {
    ClientError::new(ErrorKind::RateLimited { retry_after: None }, op.name()).with_messages(vec![
        detail(
            ErrorBody::CONCURRENCY_LIMIT_EXCEEDED,
            "Concurrent request limit exceeded. Request blocked.",
            None,
        ),
    ])
}

/// The error a scripted failure returns, with NetSuite's usual message.
fn scripted(op: NetSuiteOperation, failure: &ScriptedFailure, call: u64) -> ClientError {
    let messages = if failure.messages.is_empty() {
        let (code, text) = match failure.kind {
            ErrorKind::Transient => (
                ErrorBody::UNEXPECTED_ERROR,
                format!("An unexpected error occurred. Error ID: sim{call:06}"),
            ),
            ErrorKind::RateLimited { .. } => (
                ErrorBody::CONCURRENCY_LIMIT_EXCEEDED,
                "Concurrent request limit exceeded. Request blocked.".to_owned(),
            ),
            ErrorKind::NotFound => (
                ErrorBody::NONEXISTENT_ID,
                "The record instance does not exist.".to_owned(),
            ),
            ErrorKind::Rejected => (ErrorBody::USER_ERROR, "Invalid request.".to_owned()),
            ErrorKind::Unauthorized => (
                ErrorBody::INVALID_LOGIN,
                "Invalid login attempt.".to_owned(),
            ),
        };
        vec![detail(code, text, None)]
    } else {
        failure.messages.clone()
    };
    ClientError::new(failure.kind.clone(), op.name()).with_messages(messages)
}

/// NetSuite's message for a body the crate's own writer refuses, with the field path.
fn body_error(error: &BodyError) -> ServiceMessage {
    let path = match error {
        BodyError::DraftLine { index, field, .. } | BodyError::PatchLine { index, field, .. } => {
            Some(format!("item.items[{index}].{field}"))
        }
        BodyError::CustomFieldName { field, .. } => Some(field.clone()),
        BodyError::SequenceConflict { index, .. } => Some(format!(
            "item.items[{index}].{}",
            crate::sales_order::LINE_SEQUENCE_FIELD
        )),
        BodyError::Country { .. } => Some("shippingAddress.country".to_owned()),
        BodyError::DuplicateLine { .. } => Some("item.items".to_owned()),
    };
    detail(
        ErrorBody::INVALID_CONTENT,
        format!("Error while accessing a resource. {error}"),
        path,
    )
}

fn invalid_item(path: String, item: &InternalId) -> ServiceMessage {
    detail(
        ErrorBody::INVALID_CONTENT,
        format!(
            "Error while accessing a resource. You have entered an Invalid Field Value {item} for the following field: item"
        ),
        Some(path),
    )
}

/// Keeps a call's slot among the calls in flight until it is dropped, however the call
/// ends (returned, failed or cancelled).
struct Slot<'a>(&'a Mutex<State>);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = lock(self.0);
        state.in_flight = state.in_flight.saturating_sub(1);
    }
}

impl NetSuite {
    /// An empty account on this clock: no catalogues, a concurrency limit of 5, no
    /// latency.
    pub fn new(clock: impl Clock + 'static) -> Self {
        NetSuite::with_clock(Arc::new(clock))
    }

    /// As [`NetSuite::new`], with a clock already shared.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        NetSuite {
            clock,
            state: Mutex::new(State {
                records: BTreeMap::new(),
                modified: BTreeSet::new(),
                creations: BTreeMap::new(),
                next_internal_id: 1001,
                items: None,
                customers: None,
                concurrency_limit: Some(5),
                latency: Duration::ZERO,
                in_flight: 0,
                peak_in_flight: 0,
                peak_requested: 0,
                concurrency_refusals: 0,
                script: Script::new(),
            }),
        }
    }

    // -----------------------------------------------------------------------------
    // Settings
    // -----------------------------------------------------------------------------

    /// Only these item ids exist: a line with any other is refused (`INVALID_CONTENT`
    /// at `item.items[n].item`).
    pub fn set_item_catalogue(&self, items: impl IntoIterator<Item = InternalId>) {
        lock(&self.state).items = Some(items.into_iter().map(InternalId::into_string).collect());
    }

    /// Any item id exists again (the default).
    pub fn clear_item_catalogue(&self) {
        lock(&self.state).items = None;
    }

    /// Only these customer ids exist: an order for any other is refused
    /// (`INVALID_CONTENT` at `entity`).
    pub fn set_customer_catalogue(&self, customers: impl IntoIterator<Item = InternalId>) {
        lock(&self.state).customers =
            Some(customers.into_iter().map(InternalId::into_string).collect());
    }

    /// Any customer id exists again (the default).
    pub fn clear_customer_catalogue(&self) {
        lock(&self.state).customers = None;
    }

    /// The account's concurrency limit; `None` lifts it.
    pub fn set_concurrency_limit(&self, limit: Option<usize>) {
        lock(&self.state).concurrency_limit = limit;
    }

    /// A latency every call spends sleeping on the shared clock, holding its slot,
    /// before it acts (default none).
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.state).latency = latency;
    }

    /// The next `count` calls of `operation` fail transiently before any effect.
    pub fn fail_next(&self, operation: NetSuiteOperation, count: usize) {
        self.fail_next_with(operation, ScriptedFailure::transient(), count);
    }

    /// The next `count` calls of `operation` take effect, then fail transiently: the
    /// answer is lost.
    pub fn fail_next_after_effect(&self, operation: NetSuiteOperation, count: usize) {
        self.fail_next_with(
            operation,
            ScriptedFailure::transient().after_effect(),
            count,
        );
    }

    /// The next `count` calls of `operation` fail as scripted.
    pub fn fail_next_with(
        &self,
        operation: NetSuiteOperation,
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
    pub fn pending_failures(&self, operation: NetSuiteOperation) -> usize {
        lock(&self.state).script.pending(operation)
    }

    // -----------------------------------------------------------------------------
    // The reviewer
    // -----------------------------------------------------------------------------

    fn review(
        &self,
        external_id: &ExternalId,
        change: impl FnOnce(&mut Record) -> Result<(), SimulatorError>,
    ) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = lock(&self.state);
        let record = state.records.get_mut(external_id.as_str()).ok_or_else(|| {
            SimulatorError::UnknownSalesOrder {
                external_id: external_id.to_string(),
            }
        })?;
        change(record)?;
        state.touch(external_id.as_str(), now);
        Ok(())
    }

    fn review_line(
        &self,
        external_id: &ExternalId,
        sequence: &ItemSequenceNumber,
        change: impl FnOnce(&mut Line),
    ) -> Result<(), SimulatorError> {
        self.review(external_id, |record| {
            let line =
                record
                    .line_mut(sequence)
                    .ok_or_else(|| SimulatorError::UnknownSalesOrderLine {
                        external_id: external_id.to_string(),
                        sequence: sequence.to_string(),
                    })?;
            change(line);
            Ok(())
        })
    }

    /// The reviewer approves the order: Pending Approval becomes Pending Fulfillment.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownSalesOrder`]; [`SimulatorError::InvalidState`] when
    /// the order is cancelled, closed or past fulfillment.
    pub fn approve(&self, external_id: &ExternalId) -> Result<(), SimulatorError> {
        self.review(external_id, |record| {
            if !record.approval_settable() {
                return Err(SimulatorError::InvalidState {
                    what: "sales order",
                    id: external_id.to_string(),
                    state: format!("{:?}", record.status()),
                    action: "approved",
                });
            }
            record.approval = SalesOrderStatus::PendingFulfillment;
            Ok(())
        })
    }

    /// The reviewer sets a line's quantity (usually lowering it to what can ship).
    ///
    /// # Errors
    /// [`SimulatorError::UnknownSalesOrder`], [`SimulatorError::UnknownSalesOrderLine`].
    pub fn set_line_quantity(
        &self,
        external_id: &ExternalId,
        sequence: &ItemSequenceNumber,
        quantity: u64,
    ) -> Result<(), SimulatorError> {
        self.review_line(external_id, sequence, |line| line.quantity = quantity)
    }

    /// The reviewer closes a line (it will not ship).
    ///
    /// # Errors
    /// [`SimulatorError::UnknownSalesOrder`], [`SimulatorError::UnknownSalesOrderLine`].
    pub fn close_line(
        &self,
        external_id: &ExternalId,
        sequence: &ItemSequenceNumber,
    ) -> Result<(), SimulatorError> {
        self.review_line(external_id, sequence, |line| line.is_closed = true)
    }

    /// The reviewer sets a line's expected ship date.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownSalesOrder`], [`SimulatorError::UnknownSalesOrderLine`].
    pub fn set_expected_ship_date(
        &self,
        external_id: &ExternalId,
        sequence: &ItemSequenceNumber,
        date: NaiveDate,
    ) -> Result<(), SimulatorError> {
        self.review_line(external_id, sequence, |line| {
            line.expected_ship_date = Some(date);
        })
    }

    /// The reviewer cancels the order: its status becomes Cancelled (C).
    ///
    /// # Errors
    /// [`SimulatorError::UnknownSalesOrder`]; [`SimulatorError::InvalidState`] when
    /// it is already past fulfillment.
    pub fn cancel(&self, external_id: &ExternalId) -> Result<(), SimulatorError> {
        self.review(external_id, |record| {
            if record.forced.is_some() {
                return Err(SimulatorError::InvalidState {
                    what: "sales order",
                    id: external_id.to_string(),
                    state: format!("{:?}", record.status()),
                    action: "cancelled",
                });
            }
            record.cancelled = true;
            Ok(())
        })
    }

    /// Puts the order in a status the simulator does not reach by itself (Partially
    /// Fulfilled, Billed, …); the status then stays until set again. Setting Pending
    /// Approval, Pending Fulfillment, Cancelled or Closed returns the order to its own
    /// rules for those.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownSalesOrder`].
    pub fn set_status(
        &self,
        external_id: &ExternalId,
        status: NetSuiteStatus,
    ) -> Result<(), SimulatorError> {
        self.review(external_id, |record| {
            record.forced = None;
            match status {
                NetSuiteStatus::PendingApproval => {
                    record.cancelled = false;
                    record.approval = SalesOrderStatus::PendingApproval;
                }
                NetSuiteStatus::PendingFulfillment => {
                    record.cancelled = false;
                    record.approval = SalesOrderStatus::PendingFulfillment;
                }
                NetSuiteStatus::Cancelled => record.cancelled = true,
                NetSuiteStatus::Closed => {
                    for line in &mut record.lines {
                        line.is_closed = true;
                    }
                }
                other => record.forced = Some(other),
            }
            Ok(())
        })
    }

    // -----------------------------------------------------------------------------
    // Inspection
    // -----------------------------------------------------------------------------

    /// The sales order with this external id as a read would return it, without
    /// counting a call.
    pub fn snapshot(&self, external_id: &ExternalId) -> Option<SalesOrderSnapshot> {
        lock(&self.state)
            .records
            .get(external_id.as_str())
            .map(Record::snapshot)
    }

    /// The REST body of the last upsert NetSuite took for this external id.
    pub fn last_body(&self, external_id: &ExternalId) -> Option<SalesOrderBody> {
        lock(&self.state)
            .records
            .get(external_id.as_str())
            .map(|r| r.body.clone())
    }

    /// How many times a record was created for this external id (1 once it exists:
    /// more would be a duplicate sales order).
    pub fn creations(&self, external_id: &ExternalId) -> u32 {
        lock(&self.state)
            .creations
            .get(external_id.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// How many sales orders exist.
    pub fn record_count(&self) -> usize {
        lock(&self.state).records.len()
    }

    /// The external ids of every sales order, sorted.
    pub fn external_ids(&self) -> Vec<ExternalId> {
        lock(&self.state)
            .records
            .values()
            .map(|r| r.external_id.clone())
            .collect()
    }

    /// How many calls of `operation` arrived, refused ones included.
    pub fn calls(&self, operation: NetSuiteOperation) -> u64 {
        lock(&self.state).script.calls(operation)
    }

    /// How many calls arrived, over every operation.
    pub fn total_calls(&self) -> u64 {
        lock(&self.state).script.total_calls()
    }

    /// How many calls are in flight now.
    pub fn in_flight(&self) -> usize {
        lock(&self.state).in_flight
    }

    /// The most calls that were in flight at once (admitted calls only: never above
    /// the limit).
    pub fn peak_in_flight(&self) -> usize {
        lock(&self.state).peak_in_flight
    }

    /// The most calls that were wanted at once: the calls in flight plus one arriving,
    /// refused or not. Above the limit exactly when a caller exceeded it.
    pub fn peak_requested(&self) -> usize {
        lock(&self.state).peak_requested
    }

    /// How many calls were refused for the concurrency limit.
    pub fn concurrency_refusals(&self) -> u64 {
        lock(&self.state).concurrency_refusals
    }

    // -----------------------------------------------------------------------------
    // Calls
    // -----------------------------------------------------------------------------

    async fn call<T, F>(&self, op: NetSuiteOperation, effect: F) -> Result<T, ClientError>
    where
        T: Send,
        F: FnOnce(&mut State, DateTime<Utc>) -> Result<T, ClientError> + Send,
    {
        let (failure, latency, call) = {
            let mut state = lock(&self.state);
            state.script.count(op);
            let requested = state.in_flight + 1;
            state.peak_requested = state.peak_requested.max(requested);
            if state
                .concurrency_limit
                .is_some_and(|limit| state.in_flight >= limit)
            {
                state.concurrency_refusals += 1;
                return Err(concurrency_limit(op));
            }
            state.in_flight = requested;
            state.peak_in_flight = state.peak_in_flight.max(requested);
            (
                state.script.take(op),
                state.latency,
                state.script.total_calls(),
            )
        };
        let _slot = Slot(&self.state);
        if let Some(failure) = &failure {
            if failure.point == FailurePoint::BeforeEffect {
                return Err(scripted(op, failure, call));
            }
        }
        if !latency.is_zero() {
            self.clock.sleep(latency).await;
        }
        let result = {
            let mut state = lock(&self.state);
            effect(&mut state, self.clock.now())
        };
        match failure {
            Some(failure) => Err(scripted(op, &failure, call)),
            None => result,
        }
    }
}

impl State {
    /// Sets a record's `last_modified`, keeping the index of changes in step.
    fn touch(&mut self, key: &str, at: DateTime<Utc>) {
        if let Some(record) = self.records.get_mut(key) {
            self.modified.remove(&modified_key(key, record));
            record.last_modified = at;
            self.modified.insert(modified_key(key, record));
        }
    }

    /// Refusals for items and the customer outside the catalogues.
    fn catalogue_problems(
        &self,
        draft: &SalesOrderDraft,
        first_line: usize,
    ) -> Vec<ServiceMessage> {
        let mut problems = Vec::new();
        if let Some(customers) = &self.customers {
            if !customers.contains(draft.customer.as_str()) {
                problems.push(detail(
                    ErrorBody::INVALID_CONTENT,
                    format!(
                        "Error while accessing a resource. You have entered an Invalid Field Value {} for the following field: entity",
                        draft.customer
                    ),
                    Some("entity".to_owned()),
                ));
            }
        }
        if let Some(items) = &self.items {
            for (i, line) in draft.lines.iter().enumerate() {
                if !items.contains(line.item.as_str()) {
                    problems.push(invalid_item(
                        format!("item.items[{}].item", first_line + i),
                        &line.item,
                    ));
                }
            }
        }
        problems
    }

    fn upsert(
        &mut self,
        op: NetSuiteOperation,
        draft: &SalesOrderDraft,
        now: DateTime<Utc>,
    ) -> Result<InternalId, ClientError> {
        let body =
            SalesOrderBody::from_draft(draft).map_err(|e| rejected(op, vec![body_error(&e)]))?;
        let mut problems = Vec::new();
        if draft.lines.is_empty() {
            problems.push(detail(
                ErrorBody::USER_ERROR,
                "You must enter at least one line item for this transaction.",
                Some("item".to_owned()),
            ));
        }
        problems.extend(self.catalogue_problems(draft, 0));
        let mut sequences = BTreeSet::new();
        for (i, line) in draft.lines.iter().enumerate() {
            if !sequences.insert(&line.sequence) {
                problems.push(detail(
                    ErrorBody::INVALID_CONTENT,
                    format!(
                        "Error while accessing a resource. PO line {} is on more than one line.",
                        line.sequence
                    ),
                    Some(format!(
                        "item.items[{i}].{}",
                        crate::sales_order::LINE_SEQUENCE_FIELD
                    )),
                ));
            }
        }
        if let Some(record) = self.records.get(draft.external_id.as_str()) {
            if draft.status != record.approval && !record.approval_settable() {
                problems.push(status_refusal(record));
            }
        }
        if !problems.is_empty() {
            return Err(rejected(op, problems));
        }

        if let Some(record) = self.records.get_mut(draft.external_id.as_str()) {
            record.approval = draft.status;
            // A body without `shipDate` leaves the order's as it is.
            if draft.ship_date.is_some() {
                record.ship_date = draft.ship_date;
            }
            for line in &draft.lines {
                match record.line_mut(&line.sequence) {
                    Some(existing) => {
                        existing.item = line.item.clone();
                        existing.quantity = line.quantity;
                        existing.rate = line.rate;
                        if line.is_closed {
                            existing.is_closed = true;
                        }
                    }
                    None => {
                        let key = record.next_line();
                        record.lines.push(Line::from_draft(key, line));
                    }
                }
            }
            record.draft = draft.clone();
            record.body = body;
            let internal_id = record.internal_id.clone();
            self.touch(draft.external_id.as_str(), now);
            return Ok(internal_id);
        }

        let number = self.next_internal_id;
        let internal_id = InternalId::new(number.to_string())
            .map_err(|e| ClientError::new(ErrorKind::Transient, op.name()).with_source(e))?;
        self.next_internal_id += 1;
        let lines = draft
            .lines
            .iter()
            .zip(1..)
            .map(|(line, key)| Line::from_draft(key, line))
            .collect();
        let key = draft.external_id.as_str().to_owned();
        let record = Record {
            internal_id: internal_id.clone(),
            external_id: draft.external_id.clone(),
            tran_id: format!("SO{number}"),
            approval: draft.status,
            cancelled: false,
            forced: None,
            ship_date: draft.ship_date,
            lines,
            last_modified: now,
            draft: draft.clone(),
            body,
        };
        self.modified.insert(modified_key(&key, &record));
        self.records.insert(key, record);
        *self
            .creations
            .entry(draft.external_id.as_str().to_owned())
            .or_default() += 1;
        Ok(internal_id)
    }

    fn update(
        &mut self,
        op: NetSuiteOperation,
        external_id: &ExternalId,
        update: &SalesOrderChanges,
        now: DateTime<Utc>,
    ) -> Result<(), ClientError> {
        let Some(record) = self.records.get(external_id.as_str()) else {
            return Err(nonexistent(op, external_id));
        };
        let mut problems = Vec::new();
        let mut patches = Vec::new();
        let fields = update.line_fields();
        let added: Vec<SalesOrderLineDraft> = update.added_lines().cloned().collect();
        for (i, update) in fields.iter().enumerate() {
            if let (Some(items), Some(item)) = (&self.items, update.item) {
                if !items.contains(item.as_str()) {
                    problems.push(invalid_item(format!("item.items[{i}].item"), item));
                }
            }
            match record.lines.iter().find(|l| l.sequence.as_ref() == Some(update.sequence)) {
                Some(line) => patches.push(LinePatch {
                    line: line.line,
                    item: update.item.cloned(),
                    quantity: update.quantity,
                    rate: update.rate,
                    is_closed: update.close.then_some(true),
                }),
                None => problems.push(detail(
                    ErrorBody::INVALID_CONTENT,
                    format!(
                        "Error while accessing a resource. Sales order eid:{external_id} has no line for PO line {}.",
                        update.sequence
                    ),
                    Some(format!("item.items[{i}].line")),
                )),
            }
        }
        if let Err(e) = SalesOrderPatch::lines(patches) {
            problems.push(body_error(&e));
        }
        if !added.is_empty() {
            let draft = SalesOrderDraft {
                lines: added.clone(),
                ..record.draft.clone()
            };
            if let Err(e) = SalesOrderBody::from_draft(&draft) {
                problems.push(body_error(&e));
            }
            problems.extend(self.catalogue_problems(&draft, fields.len()));
            for (i, line) in added.iter().enumerate() {
                if record
                    .lines
                    .iter()
                    .any(|l| l.sequence.as_ref() == Some(&line.sequence))
                {
                    problems.push(detail(
                        ErrorBody::INVALID_CONTENT,
                        format!(
                            "Error while accessing a resource. Sales order eid:{external_id} already has a line for PO line {}.",
                            line.sequence
                        ),
                        Some(format!("item.items[{}]", fields.len() + i)),
                    ));
                }
            }
        }
        // An order NetSuite shows closed, cancelled or fulfilled takes no approval
        // status, not even the one it had before it was closed.
        if update.status.is_some() && !record.approval_settable() {
            problems.push(status_refusal(record));
        }
        if !problems.is_empty() {
            return Err(rejected(op, problems));
        }

        let Some(record) = self.records.get_mut(external_id.as_str()) else {
            return Err(nonexistent(op, external_id));
        };
        if let Some(status) = update.status {
            record.approval = status;
        }
        if let Some(date) = update.ship_date {
            record.ship_date = Some(date);
        }
        for change in &fields {
            if let Some(line) = record.line_mut(change.sequence) {
                if let Some(item) = change.item {
                    line.item = item.clone();
                }
                if let Some(quantity) = change.quantity {
                    line.quantity = quantity;
                }
                if let Some(rate) = change.rate {
                    line.rate = rate;
                }
                if change.close {
                    line.is_closed = true;
                }
            }
        }
        for line in &added {
            let key = record.next_line();
            record.lines.push(Line::from_draft(key, line));
            record.draft.lines.push(line.clone());
        }
        self.touch(external_id.as_str(), now);
        Ok(())
    }
}

fn status_refusal(record: &Record) -> ServiceMessage {
    detail(
        ErrorBody::USER_ERROR,
        format!(
            "The approval status of sales order {} cannot be changed: its status is {}.",
            record.tran_id,
            record.status().letter()
        ),
        Some("orderStatus".to_owned()),
    )
}

#[async_trait]
impl NetSuiteApi for NetSuite {
    async fn upsert_sales_order(&self, draft: &SalesOrderDraft) -> Result<InternalId, ClientError> {
        let op = NetSuiteOperation::UpsertSalesOrder;
        self.call(op, |state, now| state.upsert(op, draft, now))
            .await
    }

    async fn sales_order(
        &self,
        external_id: &ExternalId,
    ) -> Result<Option<SalesOrderSnapshot>, ClientError> {
        self.call(NetSuiteOperation::SalesOrder, |state, _| {
            Ok(state
                .records
                .get(external_id.as_str())
                .map(Record::snapshot))
        })
        .await
    }

    async fn changed_sales_orders(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<SalesOrderChange>, ClientError> {
        self.call(NetSuiteOperation::ChangedSalesOrders, |state, _| {
            // By `last_modified`, then internal id (then key, for ids that are not
            // numbers): a range of the index from `since`.
            Ok(state
                .modified
                .range((since, 0, String::new())..)
                .filter_map(|(_, _, key)| state.records.get(key))
                .map(|r| SalesOrderChange {
                    external_id: r.external_id.clone(),
                    internal_id: r.internal_id.clone(),
                    status: r.status(),
                    last_modified: r.last_modified,
                })
                .collect())
        })
        .await
    }

    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        update: &SalesOrderChanges,
    ) -> Result<(), ClientError> {
        let op = NetSuiteOperation::UpdateSalesOrder;
        self.call(op, |state, now| state.update(op, external_id, update, now))
            .await
    }

    async fn close_sales_order(&self, external_id: &ExternalId) -> Result<(), ClientError> {
        let op = NetSuiteOperation::CloseSalesOrder;
        self.call(op, |state, now| {
            let record = state
                .records
                .get_mut(external_id.as_str())
                .ok_or_else(|| nonexistent(op, external_id))?;
            for line in &mut record.lines {
                line.is_closed = true;
            }
            state.touch(external_id.as_str(), now);
            Ok(())
        })
        .await
    }
}

impl fmt::Debug for NetSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("NetSuite")
            .field("records", &state.records.len())
            .field("concurrency_limit", &state.concurrency_limit)
            .field("in_flight", &state.in_flight)
            .field("peak_in_flight", &state.peak_in_flight)
            .field("concurrency_refusals", &state.concurrency_refusals)
            .field("calls", &state.script.total_calls())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
