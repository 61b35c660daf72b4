//! The traits integrators implement: Amazon's two order APIs, NetSuite, and a clock.
//!
//! The library never opens a socket. Each trait is the smallest surface the sync
//! engine needs, in the crate's own types; [`crate::http`] implements
//! them over any HTTP client, and [`crate::testing`] ships in-memory simulators.
//!
//! Every method documents its contract as MUST / MUST NOT. All failures are one
//! [`ClientError`] whose [`ErrorKind`] is what the engine decides retries on; it never
//! parses messages.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::acknowledgement::{DirectFulfillmentAcknowledgement, RetailAcknowledgement};
use crate::amazon::{direct_fulfillment as df, retail};
use crate::decimal::Decimal;
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber, PurchaseOrderNumber, TransactionId};
use crate::sales_order::{
    NetSuiteStatus, SalesOrderDraft, SalesOrderLineDraft, SalesOrderSnapshot, SalesOrderStatus,
};

/// How a failed call should be treated: the one classification of failures, which
/// the client's [`ClientError`] carries and the lifecycle's
/// [`crate::lifecycle::FailureKind`] keeps (with the service's words) for the order.
///
/// The rule ([`ErrorKind::is_retryable`], and the lifecycle's
/// [`crate::lifecycle::RetryPolicy`] follows it):
///
/// | kind | tried again? |
/// |---|---|
/// | `Transient` | yes, with backoff |
/// | `RateLimited` | yes, no sooner than the service asked |
/// | `Unauthorized` | yes, with backoff, at most the policy's attempts; then a person |
/// | `Rejected` | no: a person must fix the data |
/// | `NotFound` | depends on the call (see [`ErrorKind::NotFound`]) |
///
/// A refused credential is tried again a bounded number of times, never for good: an
/// SP-API access token that expired mid-cycle is refreshed by the transport on the
/// next call, and NetSuite has been seen answering `INVALID_LOGIN` at its
/// concurrency limit. A credential that stays refused runs out of attempts and the
/// order goes to a person with the failure, as a rejection does at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A failure that may pass: a timeout, a dropped connection, HTTP 5xx. Retried with
    /// backoff.
    Transient,
    /// The service refused for load: Amazon's HTTP 429, NetSuite's
    /// `CONCURRENCY_LIMIT_EXCEEDED`. Retried after `retry_after` when given.
    RateLimited {
        /// How long the service asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The thing asked for does not exist (HTTP 404, NetSuite `NONEXISTENT_ID`).
    /// What that means depends on the call, so [`ErrorKind::is_retryable`] says no
    /// and the lifecycle decides per command: a sales order to close that is not
    /// there is closed; one to create, read or update that is gone needs a person;
    /// a transaction Amazon does not know yet is checked again later.
    NotFound,
    /// The service understood the request and refused it (HTTP 400 with its messages).
    /// Not retried: the order needs attention.
    Rejected,
    /// The credentials were refused (HTTP 401/403). Retried with backoff a bounded
    /// number of times (see the rule above); then the order needs a person.
    Unauthorized,
}

impl ErrorKind {
    /// `true` when trying the same call again may succeed: transient failures, rate
    /// limits and refused credentials (a bounded number of times). `false` for a
    /// rejection, and for a not-found, whose meaning depends on the call.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ErrorKind::Transient | ErrorKind::RateLimited { .. } | ErrorKind::Unauthorized
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Transient => f.write_str("transient failure"),
            ErrorKind::RateLimited {
                retry_after: Some(d),
            } => write!(f, "rate limited, retry after {} ms", d.as_millis()),
            ErrorKind::RateLimited { retry_after: None } => f.write_str("rate limited"),
            ErrorKind::NotFound => f.write_str("not found"),
            ErrorKind::Rejected => f.write_str("rejected by the service"),
            ErrorKind::Unauthorized => f.write_str("unauthorized"),
        }
    }
}

/// One message from Amazon or NetSuite, its code and wording exactly as sent: in a
/// [`ClientError`], in a failed [`TransactionOutcome`], and through the lifecycle to
/// the record and the person ([`crate::lifecycle::Notice::RejectedByAmazon`]). No
/// meaning is read from its wording.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ServiceMessage {
    /// The service's code (`InvalidInput`, `INVALID_CONTENT`); empty when the service
    /// sent none.
    pub code: String,
    /// Its message.
    pub message: String,
    /// The field it is about, where the service says (NetSuite's `o:errorPath`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ServiceMessage {
    /// A message with `code` and `message`, about no particular field.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceMessage {
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }
}

impl fmt::Display for ServiceMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code.is_empty() {
            f.write_str(&self.message)?;
        } else {
            write!(f, "{}: {}", self.code, self.message)?;
        }
        if let Some(field) = &self.field {
            write!(f, " (at `{field}`)")?;
        }
        Ok(())
    }
}

/// A failed call to Amazon or NetSuite.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed: {kind}{}", DisplayMessages(messages))]
pub struct ClientError {
    /// How to treat it.
    pub kind: ErrorKind,
    /// The operation that failed (`getPurchaseOrders`, `upsert salesOrder`).
    pub operation: String,
    /// The service's messages, when it sent any.
    pub messages: Vec<ServiceMessage>,
    /// The underlying error (transport, decoding), when there is one.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

struct DisplayMessages<'a>(&'a [ServiceMessage]);

impl fmt::Display for DisplayMessages<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.0.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl ClientError {
    /// A failure of `operation`, with no messages.
    pub fn new(kind: ErrorKind, operation: impl Into<String>) -> Self {
        ClientError {
            kind,
            operation: operation.into(),
            messages: Vec::new(),
            source: None,
        }
    }

    /// Adds the service's messages.
    pub fn with_messages(mut self, messages: Vec<ServiceMessage>) -> Self {
        self.messages = messages;
        self
    }

    /// Adds the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// `true` when waiting and trying again may succeed: [`ErrorKind::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

/// Which orders a window selects, and by which dates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum WindowKind {
    /// Orders created in the window (`createdAfter`/`createdBefore`).
    Created,
    /// Retail orders changed in the window (`changedAfter`/`changedBefore`).
    Changed,
    /// Direct Fulfillment orders created in the window that Amazon has cancelled since
    /// (`createdAfter`/`createdBefore` with `status=CANCELLED`).
    ///
    /// Direct Fulfillment orders are listed by creation date only, so a consumer's
    /// order Amazon cancels after it was read is seen again only this way. Retail has
    /// no such listing and needs none: Amazon's cancellations move a PO's
    /// `purchaseOrderChangedDate`, and [`WindowKind::Changed`] reads them. Retail
    /// clients refuse it.
    Cancelled,
}

/// One page request for orders in a window.
///
/// Amazon refuses windows over 7 days and misbehaves with only one bound, so both
/// bounds are always set; a follow-up page repeats them with the `next_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    /// Created, changed, or created and cancelled since.
    pub kind: WindowKind,
    /// The window's start (`createdAfter`).
    pub after: DateTime<Utc>,
    /// The window's end (`createdBefore`).
    pub before: DateTime<Utc>,
    /// Orders per page, 1 to 100.
    pub limit: u32,
    /// The token of the page to read; `None` for the first.
    pub next_token: Option<String>,
}

/// An order in a page that could not be read at all, set aside with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedOrder {
    /// The PO number, when it could be read.
    pub purchase_order_number: Option<String>,
    /// Why the order could not be read (lower case, names the field).
    pub reason: String,
}

/// One page of orders.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The orders read.
    pub orders: Vec<T>,
    /// Orders in the page that could not be read; the rest of the page goes on.
    pub malformed: Vec<MalformedOrder>,
    /// The token of the next page; `None` on the last page.
    pub next_token: Option<String>,
}

/// Where Amazon is with a submitted transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionOutcome {
    /// Not decided yet. Retail acknowledgements stay here for good when accepted:
    /// confirm them through the purchase order instead.
    Processing,
    /// Accepted.
    Success,
    /// Refused, with Amazon's errors.
    Failure(Vec<ServiceMessage>),
}

/// Amazon's Retail Procurement order API (SP-API Vendor Orders v1 and Vendor
/// Transaction Status v1).
#[async_trait]
pub trait RetailOrdersApi: Send + Sync {
    /// One page of purchase orders created or changed in the query's window, with
    /// details.
    ///
    /// Implementations MUST send both window bounds and, for a follow-up page, the same
    /// filters again with the token. They MUST NOT drop an order they cannot read:
    /// report it in [`Page::malformed`]. The engine never asks for
    /// [`WindowKind::Cancelled`]; implementations MUST refuse it rather than list
    /// other orders.
    ///
    /// # Errors
    /// A [`ClientError`] classified as described on [`ErrorKind`];
    /// [`ErrorKind::Rejected`] for a [`WindowKind::Cancelled`] query.
    async fn purchase_orders(&self, query: &OrderQuery)
    -> Result<Page<retail::Order>, ClientError>;

    /// One purchase order, with details.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for a PO Amazon does not know; otherwise as above.
    async fn purchase_order(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<retail::Order, ClientError>;

    /// Submits acknowledgements in one request and returns Amazon's transaction id.
    ///
    /// Implementations MUST send exactly the acknowledgements given, spelt as Amazon's
    /// model spells them, and MUST NOT retry on their own: a lost answer is reported as
    /// an error, and the engine checks the orders before sending again.
    ///
    /// # Errors
    /// As above; [`ErrorKind::Rejected`] when Amazon refuses the body.
    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[RetailAcknowledgement],
    ) -> Result<TransactionId, ClientError>;

    /// Where Amazon is with a transaction.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown transaction; otherwise as above.
    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError>;

    /// How Amazon recorded the acknowledgement of one PO (`getPurchaseOrdersStatus`
    /// filtered by the PO number); `None` when Amazon returns no status for it.
    ///
    /// # Errors
    /// As above.
    async fn purchase_order_status(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<Option<retail::OrderStatus>, ClientError>;
}

/// Amazon's Direct Fulfillment order API (SP-API Vendor Direct Fulfillment Orders and
/// Transactions, either version).
#[async_trait]
pub trait DirectFulfillmentOrdersApi: Send + Sync {
    /// One page of orders created in the query's window, with details: every such
    /// order for [`WindowKind::Created`], only those Amazon has cancelled for
    /// [`WindowKind::Cancelled`] (`status=CANCELLED`).
    ///
    /// Implementations MUST send both window bounds, resend the filters with a token,
    /// and report unreadable orders in [`Page::malformed`]. They MUST NOT answer a
    /// [`WindowKind::Cancelled`] query with orders that are not cancelled: the engine
    /// applies only those whose `orderStatus` says `CANCELLED`, and reports the others.
    ///
    /// # Errors
    /// A [`ClientError`] classified as described on [`ErrorKind`];
    /// [`ErrorKind::Rejected`] for a [`WindowKind::Changed`] query (Direct
    /// Fulfillment has no changed window).
    async fn orders(&self, query: &OrderQuery) -> Result<Page<df::Order>, ClientError>;

    /// One order, with details.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an order Amazon does not know; otherwise as above.
    async fn order(&self, number: &PurchaseOrderNumber) -> Result<df::Order, ClientError>;

    /// Submits acknowledgements in one request and returns Amazon's transaction id.
    ///
    /// Implementations MUST send exactly what is given and MUST NOT retry on their own.
    ///
    /// # Errors
    /// As above.
    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[DirectFulfillmentAcknowledgement],
    ) -> Result<TransactionId, ClientError>;

    /// Where Amazon is with a transaction.
    ///
    /// # Errors
    /// As above.
    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError>;
}

/// A NetSuite sales order whose status or content changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOrderChange {
    /// The external id the sync gave it.
    pub external_id: ExternalId,
    /// Its internal id.
    pub internal_id: InternalId,
    /// Its status now.
    pub status: NetSuiteStatus,
    /// When it last changed.
    pub last_modified: DateTime<Utc>,
}

/// A change to one sales-order line, named by the Amazon PO line it carries. Each
/// field left `None` stays as NetSuite holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineUpdate {
    /// The PO line (the line's [`crate::sales_order::LINE_SEQUENCE_FIELD`]).
    pub sequence: ItemSequenceNumber,
    /// A new item (`item`), by its internal id.
    pub item: Option<InternalId>,
    /// A new quantity in eaches.
    pub quantity: Option<u64>,
    /// A new unit rate.
    pub rate: Option<Decimal>,
    /// Close (`true`) or reopen (`false`) the line.
    pub is_closed: Option<bool>,
}

impl LineUpdate {
    /// A change of the line for `sequence` that changes nothing yet.
    pub fn new(sequence: ItemSequenceNumber) -> Self {
        LineUpdate {
            sequence,
            item: None,
            quantity: None,
            rate: None,
            is_closed: None,
        }
    }

    /// `true` when the change leaves the line as it is.
    pub fn is_empty(&self) -> bool {
        self.item.is_none()
            && self.quantity.is_none()
            && self.rate.is_none()
            && self.is_closed.is_none()
    }
}

/// Changes to an existing sales order. Lines are changed in place or added, never
/// replaced wholesale; each field left `None` stays as NetSuite holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SalesOrderUpdate {
    /// A new approval status (`orderStatus`).
    pub status: Option<SalesOrderStatus>,
    /// A new ship date (the header `shipDate`).
    pub ship_date: Option<NaiveDate>,
    /// Lines to change.
    pub lines: Vec<LineUpdate>,
    /// Lines to add (lines Amazon added to the PO).
    pub new_lines: Vec<SalesOrderLineDraft>,
}

impl SalesOrderUpdate {
    /// `true` when the update changes nothing: no status, no ship date, no new line,
    /// and no line change that changes anything.
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.ship_date.is_none()
            && self.lines.iter().all(LineUpdate::is_empty)
            && self.new_lines.is_empty()
    }

    /// The update that brings an existing sales order, as NetSuite holds it, to
    /// `draft`: what a create sent again must do to the order it finds (see
    /// [`NetSuiteApi::upsert_sales_order`]). Empty when NetSuite holds the draft.
    ///
    /// - The approval status, when NetSuite shows the order Pending Approval or
    ///   Pending Fulfillment and the draft says the other one. Past those (cancelled,
    ///   closed, fulfilled) NetSuite no longer lets it be set, and it is left.
    /// - The ship date, when the draft has one and NetSuite holds another or none. A
    ///   draft without one leaves NetSuite's.
    /// - For each draft line NetSuite has (matched by its PO line, the first line
    ///   carrying it): the item, quantity and rate that differ, and a close when the
    ///   draft closes a line NetSuite has open. A line closed in NetSuite is never
    ///   reopened. A new item goes with the draft's quantity and rate, so that the
    ///   price NetSuite may take from the new item does not stay.
    /// - Each draft line NetSuite lacks, as a new line, closed or not as the draft
    ///   has it.
    ///
    /// Lines the draft does not name, among them lines a person added in NetSuite,
    /// are left as they are.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::{
    ///     NetSuiteStatus, SalesOrderDraft, SalesOrderLineDraft, SalesOrderLineSnapshot,
    ///     SalesOrderSnapshot, SalesOrderStatus, SalesOrderUpdate,
    /// };
    ///
    /// let line = SalesOrderLineDraft {
    ///     item: "98".parse()?,
    ///     quantity: 12,
    ///     rate: "9.50".parse()?,
    ///     sequence: "1".parse()?,
    ///     description: None,
    ///     is_closed: false,
    ///     custom_fields: Default::default(),
    /// };
    /// let draft = SalesOrderDraft {
    ///     external_id: "AVC-RP-4Z32PABC".parse()?,
    ///     customer: "1234".parse()?,
    ///     subsidiary: None,
    ///     location: None,
    ///     custom_form: None,
    ///     currency: None,
    ///     tran_date: "2025-03-01".parse()?,
    ///     ship_date: "2025-03-12".parse().ok(),
    ///     other_ref_num: "4Z32PABC".parse()?,
    ///     memo: None,
    ///     status: SalesOrderStatus::PendingApproval,
    ///     shipping_address: None,
    ///     lines: vec![line],
    ///     custom_fields: Default::default(),
    /// };
    /// // NetSuite holds the order as first created: 18 eaches, shipping on the 10th.
    /// let held = SalesOrderSnapshot {
    ///     internal_id: "1001".parse()?,
    ///     external_id: draft.external_id.clone(),
    ///     tran_id: None,
    ///     status: NetSuiteStatus::PendingApproval,
    ///     last_modified: None,
    ///     ship_date: "2025-03-10".parse().ok(),
    ///     lines: vec![SalesOrderLineSnapshot {
    ///         line: 1,
    ///         sequence: Some("1".parse()?),
    ///         item: "98".parse()?,
    ///         quantity: 18,
    ///         rate: "9.50".parse()?,
    ///         is_closed: false,
    ///         expected_ship_date: None,
    ///     }],
    /// };
    /// let update = SalesOrderUpdate::towards(&held, &draft);
    /// assert_eq!(update.status, None);
    /// assert_eq!(update.ship_date, draft.ship_date);
    /// assert_eq!(update.lines.len(), 1);
    /// assert_eq!((update.lines[0].quantity, update.lines[0].rate), (Some(12), None));
    /// assert!(update.new_lines.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn towards(snapshot: &SalesOrderSnapshot, draft: &SalesOrderDraft) -> SalesOrderUpdate {
        let held_status = match snapshot.status {
            NetSuiteStatus::PendingApproval => Some(SalesOrderStatus::PendingApproval),
            NetSuiteStatus::PendingFulfillment => Some(SalesOrderStatus::PendingFulfillment),
            _ => None,
        };
        let mut update = SalesOrderUpdate {
            status: held_status
                .filter(|held| *held != draft.status)
                .map(|_| draft.status),
            ship_date: draft.ship_date.filter(|d| snapshot.ship_date != Some(*d)),
            ..SalesOrderUpdate::default()
        };
        for line in &draft.lines {
            let Some(held) = snapshot
                .lines
                .iter()
                .find(|l| l.sequence.as_ref() == Some(&line.sequence))
            else {
                update.new_lines.push(line.clone());
                continue;
            };
            let new_item = held.item != line.item;
            let change = LineUpdate {
                item: new_item.then(|| line.item.clone()),
                quantity: (new_item || held.quantity != line.quantity).then_some(line.quantity),
                rate: (new_item || held.rate != line.rate).then_some(line.rate),
                is_closed: (line.is_closed && !held.is_closed).then_some(true),
                ..LineUpdate::new(line.sequence.clone())
            };
            if !change.is_empty() {
                update.lines.push(change);
            }
        }
        update
    }
}

/// NetSuite's sales orders, through SuiteTalk REST or anything equivalent.
#[async_trait]
pub trait NetSuiteApi: Send + Sync {
    /// Creates the sales order for the draft's external id and returns its internal
    /// id; when one already exists, brings it to the draft and returns its id.
    ///
    /// The engine sends a create again when an earlier one went unanswered, possibly
    /// with a newer draft (Amazon changed the order meanwhile), and takes a success as
    /// NetSuite holding that draft. So implementations:
    ///
    /// - MUST NOT create a second sales order for an external id that already has
    ///   one, even when an earlier call's answer was lost;
    /// - MUST bring an order that exists to the draft by changing what
    ///   [`SalesOrderUpdate::towards`] names and nothing else: the approval status
    ///   while NetSuite lets it be set, the ship date, each PO line's item, quantity
    ///   and rate, a close of each line the draft closes (a closed line is never
    ///   reopened), and the PO lines the order lacks, matched by PO line and never by
    ///   replacing the line list;
    /// - SHOULD write nothing to an order that already holds the draft.
    ///
    /// [`crate::http::netsuite::NetSuiteRestClient`] reads the order once and sends one
    /// `PATCH` of what differs; the simulator in `testing` applies the draft as
    /// NetSuite's upsert does. After a create, the engine also closes the lines the
    /// draft closes through [`NetSuiteApi::update_sales_order`].
    ///
    /// # Errors
    /// [`ErrorKind::Rejected`] with NetSuite's messages for a body it refuses;
    /// [`ErrorKind::RateLimited`] for the account's concurrency limit.
    async fn upsert_sales_order(&self, draft: &SalesOrderDraft) -> Result<InternalId, ClientError>;

    /// The sales order with this external id, with its lines; `None` when there is
    /// none.
    ///
    /// # Errors
    /// As above.
    async fn sales_order(
        &self,
        external_id: &ExternalId,
    ) -> Result<Option<SalesOrderSnapshot>, ClientError>;

    /// The sales orders the sync created that changed at or after `since` (status,
    /// lines or anything else), oldest first. Implementations MUST return every such
    /// order, following every page.
    ///
    /// # Errors
    /// As above.
    async fn changed_sales_orders(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<SalesOrderChange>, ClientError>;

    /// Applies changes to lines and status. Implementations MUST change only what the
    /// update names: never a blind replace of the line list.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no such order; otherwise as above.
    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        update: &SalesOrderUpdate,
    ) -> Result<(), ClientError>;

    /// Closes every open line of the sales order (NetSuite then shows it Closed).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no such order; otherwise as above.
    async fn close_sales_order(&self, external_id: &ExternalId) -> Result<(), ClientError>;
}

/// The time, and waiting. The library never reads the system clock or sleeps on its
/// own: it asks this.
#[async_trait]
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Waits for `duration` (pacing calls under Amazon's rate limit). A simulated clock
    /// may simply advance.
    async fn sleep(&self, duration: Duration);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sales_order::SalesOrderLineSnapshot;

    fn draft_line(sequence: &str, item: &str, quantity: u64, rate: &str) -> SalesOrderLineDraft {
        SalesOrderLineDraft {
            item: item.parse().unwrap(),
            quantity,
            rate: rate.parse().unwrap(),
            sequence: sequence.parse().unwrap(),
            description: None,
            is_closed: false,
            custom_fields: Default::default(),
        }
    }

    fn draft(lines: Vec<SalesOrderLineDraft>) -> SalesOrderDraft {
        SalesOrderDraft {
            external_id: "AVC-RP-4Z32PABC".parse().unwrap(),
            customer: "1234".parse().unwrap(),
            subsidiary: None,
            location: None,
            custom_form: None,
            currency: None,
            tran_date: "2025-03-01".parse().unwrap(),
            ship_date: "2025-03-10".parse().ok(),
            other_ref_num: "4Z32PABC".parse().unwrap(),
            memo: None,
            status: SalesOrderStatus::PendingApproval,
            shipping_address: None,
            lines,
            custom_fields: Default::default(),
        }
    }

    /// The order as NetSuite holds it after creating it from `draft`.
    fn held(draft: &SalesOrderDraft) -> SalesOrderSnapshot {
        SalesOrderSnapshot {
            internal_id: "1001".parse().unwrap(),
            external_id: draft.external_id.clone(),
            tran_id: Some("SO1001".into()),
            status: NetSuiteStatus::PendingApproval,
            last_modified: None,
            ship_date: draft.ship_date,
            lines: draft
                .lines
                .iter()
                .zip(1..)
                .map(|(l, line)| SalesOrderLineSnapshot {
                    line,
                    sequence: Some(l.sequence.clone()),
                    item: l.item.clone(),
                    quantity: l.quantity,
                    rate: l.rate,
                    is_closed: l.is_closed,
                    expected_ship_date: None,
                })
                .collect(),
        }
    }

    fn two_lines() -> SalesOrderDraft {
        draft(vec![
            draft_line("1", "98", 12, "9.50"),
            draft_line("2", "99", 10, "4.00"),
        ])
    }

    #[test]
    fn an_order_that_holds_the_draft_needs_nothing() {
        let draft = two_lines();
        let mut snapshot = held(&draft);
        assert!(SalesOrderUpdate::towards(&snapshot, &draft).is_empty());
        // The same rate written with another scale, a line a person added, and a line
        // the draft does not name change nothing.
        snapshot.lines[0].rate = "9.5".parse().unwrap();
        snapshot.lines.push(SalesOrderLineSnapshot {
            line: 3,
            sequence: None,
            item: "500".parse().unwrap(),
            quantity: 1,
            rate: Decimal::ZERO,
            is_closed: false,
            expected_ship_date: None,
        });
        snapshot.lines.push(SalesOrderLineSnapshot {
            sequence: Some("7".parse().unwrap()),
            line: 4,
            ..snapshot.lines[1].clone()
        });
        assert!(SalesOrderUpdate::towards(&snapshot, &draft).is_empty());
    }

    #[test]
    fn each_line_gets_only_the_fields_that_differ() {
        let before = two_lines();
        let snapshot = held(&before);
        let mut after = before.clone();
        after.lines[0].quantity = 6;
        after.lines[1].rate = "4.25".parse().unwrap();
        let update = SalesOrderUpdate::towards(&snapshot, &after);
        assert_eq!(
            update.lines,
            [
                LineUpdate {
                    quantity: Some(6),
                    ..LineUpdate::new("1".parse().unwrap())
                },
                LineUpdate {
                    rate: Some("4.25".parse().unwrap()),
                    ..LineUpdate::new("2".parse().unwrap())
                },
            ]
        );
        assert_eq!((update.status, update.ship_date), (None, None));
        assert!(update.new_lines.is_empty());

        // A new item takes the draft's quantity and rate with it.
        let mut moved = before.clone();
        moved.lines[1].item = "100".parse().unwrap();
        let update = SalesOrderUpdate::towards(&snapshot, &moved);
        assert_eq!(
            update.lines,
            [LineUpdate {
                item: Some("100".parse().unwrap()),
                quantity: Some(10),
                rate: Some("4.00".parse().unwrap()),
                ..LineUpdate::new("2".parse().unwrap())
            }]
        );
    }

    #[test]
    fn lines_are_closed_and_added_but_never_reopened() {
        let before = two_lines();
        let mut snapshot = held(&before);
        snapshot.lines[1].is_closed = true;
        let mut after = before.clone();
        after.lines[0].is_closed = true;
        after.lines.push(draft_line("3", "100", 8, "1.10"));
        let update = SalesOrderUpdate::towards(&snapshot, &after);
        assert_eq!(
            update.lines,
            [LineUpdate {
                is_closed: Some(true),
                ..LineUpdate::new("1".parse().unwrap())
            }]
        );
        assert_eq!(update.new_lines, [after.lines[2].clone()]);
        // Closed in NetSuite and closed in the draft: nothing to do.
        let mut closed = after.clone();
        closed.lines[1].is_closed = true;
        closed.lines.truncate(2);
        snapshot.lines[0].is_closed = true;
        assert!(SalesOrderUpdate::towards(&snapshot, &closed).is_empty());
    }

    #[test]
    fn the_status_is_set_only_while_netsuite_lets_it_be() {
        let draft = two_lines();
        let mut snapshot = held(&draft);
        let mut approved = draft.clone();
        approved.status = SalesOrderStatus::PendingFulfillment;
        assert_eq!(
            SalesOrderUpdate::towards(&snapshot, &approved).status,
            Some(SalesOrderStatus::PendingFulfillment)
        );
        // Re-applying a Pending Approval draft resets an approval, as NetSuite does.
        snapshot.status = NetSuiteStatus::PendingFulfillment;
        assert_eq!(
            SalesOrderUpdate::towards(&snapshot, &draft).status,
            Some(SalesOrderStatus::PendingApproval)
        );
        assert_eq!(SalesOrderUpdate::towards(&snapshot, &approved).status, None);
        for past in [
            NetSuiteStatus::Cancelled,
            NetSuiteStatus::Closed,
            NetSuiteStatus::PartiallyFulfilled,
            NetSuiteStatus::Billed,
            NetSuiteStatus::Other("Z".into()),
        ] {
            snapshot.status = past;
            assert!(SalesOrderUpdate::towards(&snapshot, &approved).is_empty());
        }
    }

    #[test]
    fn a_ship_date_is_set_when_the_draft_has_another_one() {
        let draft = two_lines();
        let mut snapshot = held(&draft);
        let mut later = draft.clone();
        later.ship_date = "2025-03-12".parse().ok();
        assert_eq!(
            SalesOrderUpdate::towards(&snapshot, &later).ship_date,
            later.ship_date
        );
        snapshot.ship_date = None;
        assert_eq!(
            SalesOrderUpdate::towards(&snapshot, &later).ship_date,
            later.ship_date
        );
        // A draft without one leaves NetSuite's.
        let mut none = draft.clone();
        none.ship_date = None;
        snapshot.ship_date = draft.ship_date;
        assert!(SalesOrderUpdate::towards(&snapshot, &none).is_empty());
    }

    #[test]
    fn an_update_of_line_changes_that_change_nothing_is_empty() {
        let update = SalesOrderUpdate {
            lines: vec![LineUpdate::new("1".parse().unwrap())],
            ..SalesOrderUpdate::default()
        };
        assert!(update.is_empty());
        let dated = SalesOrderUpdate {
            ship_date: "2025-03-12".parse().ok(),
            ..SalesOrderUpdate::default()
        };
        assert!(!dated.is_empty());
    }
}
