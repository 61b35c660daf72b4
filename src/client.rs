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
use chrono::{DateTime, Utc};

use crate::acknowledgement::{DirectFulfillmentAcknowledgement, RetailAcknowledgement};
use crate::amazon::{direct_fulfillment as df, retail};
use crate::ids::{ExternalId, InternalId, PurchaseOrderNumber, TransactionId};
use crate::sales_order::{NetSuiteStatus, SalesOrderChanges, SalesOrderDraft, SalesOrderSnapshot};

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
    ///   [`SalesOrderChanges::towards`] names and nothing else: the approval status
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

    /// Applies changes to lines, ship date and status. Implementations MUST change
    /// only what `changes` names, matching lines by the PO line they carry (the first
    /// line carrying it): never a blind replace of the line list. A
    /// [`crate::LineChange::Set`] without an item leaves the line's item as NetSuite
    /// holds it.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no such order; otherwise as above.
    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        changes: &SalesOrderChanges,
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
