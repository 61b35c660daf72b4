//! Events: past-tense facts about an order, fed to [`super::OrderRecord::handle`].

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::acknowledgement::AcknowledgementVersion;
use crate::client::{ClientError, ErrorKind, ServiceMessage};
use crate::ids::{InternalId, TransactionId};
use crate::order::PurchaseOrder;
use crate::sales_order::SalesOrderSnapshot;

use super::kinds::kinds;

/// Something that happened to an order: at Amazon, in NetSuite, while executing a
/// command, on the clock, or by an operator's hand.
///
/// Events are facts, so the machine never refuses one for being late: an outcome it
/// already applied (a replay after a crash) changes nothing, and an event that does not
/// fit the order's state is a [`super::TransitionError`] that leaves the record as it
/// was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event")]
#[non_exhaustive]
pub enum Event {
    /// Amazon sent the purchase order. For a record that exists, the same as
    /// [`Event::PurchaseOrderChanged`]; a new record starts with
    /// [`super::OrderRecord::receive`].
    PurchaseOrderReceived {
        /// The order as Amazon sent it.
        purchase_order: Box<PurchaseOrder>,
    },
    /// Amazon changed the purchase order (quantities, costs, lines, windows, or its
    /// state: a PO Amazon closed, or a Direct Fulfillment order it cancelled).
    PurchaseOrderChanged {
        /// The order as it is now.
        purchase_order: Box<PurchaseOrder>,
    },
    /// Amazon's order, read for the first time in a form the sync can use, shows it
    /// acknowledged before the sync saw it (in Vendor Central's pages, or with another
    /// connector), with what Amazon accepted. No acknowledgement goes out: the sales
    /// order is created Pending Fulfillment with what Amazon accepted. A new record
    /// starts with [`super::OrderRecord::receive_acknowledged`]; a record that waits
    /// for a readable copy ([`super::Attention::Unreadable`]) takes this event.
    PurchaseOrderFoundAcknowledged {
        /// The order as Amazon sent it.
        purchase_order: Box<PurchaseOrder>,
        /// What Amazon accepted of it.
        acceptance: super::intake::AmazonAcceptance,
    },
    /// Amazon cancelled the order.
    PurchaseOrderCancelled,
    /// NetSuite created (or already had) the sales order.
    SalesOrderCreated {
        /// Its internal id.
        internal_id: InternalId,
    },
    /// NetSuite applied an update to the sales order.
    SalesOrderUpdated {
        /// The update's number, from [`super::Command::UpdateSalesOrder`].
        revision: u32,
    },
    /// NetSuite closed every line of the sales order, or it was not there to close.
    SalesOrderClosed,
    /// The sales order was read back from NetSuite (after review, or to repost).
    SalesOrderRead {
        /// What NetSuite holds.
        snapshot: Box<SalesOrderSnapshot>,
    },
    /// Amazon took an acknowledgement and returned a transaction id.
    AcknowledgementSubmitted {
        /// The version submitted.
        version: AcknowledgementVersion,
        /// Amazon's transaction id.
        transaction_id: TransactionId,
        /// How many acknowledgements the transaction carries (0 when not known). A
        /// failed transaction of one order is that order's rejection; one of several
        /// is split.
        #[serde(default)]
        orders: u32,
    },
    /// Amazon's transaction status still says Processing.
    AcknowledgementStillProcessing {
        /// The version checked.
        version: AcknowledgementVersion,
    },
    /// Amazon confirmed the acknowledgement. The caller decides what counts (a
    /// transaction Success, the PO turning Acknowledged, or Processing long enough, since
    /// retail transactions may never report Success); the machine only hears the fact.
    AcknowledgementConfirmed {
        /// The version confirmed.
        version: AcknowledgementVersion,
    },
    /// Amazon's transaction failed: the acknowledgement was rejected.
    AcknowledgementFailed {
        /// The version rejected.
        version: AcknowledgementVersion,
        /// Amazon's errors.
        errors: Vec<ServiceMessage>,
    },
    /// Amazon refused the transaction this acknowledgement went out in with others (or
    /// in a transaction whose size is not known): nothing of it was applied, and
    /// nothing says which acknowledgement it failed for. It goes out again, unchanged,
    /// alone, as the next version (the one it went out as is spent, so Amazon never
    /// receives one version twice). After [`super::MAX_UNJUDGED_RESENDS`] such
    /// re-sends the order goes to a person with Amazon's messages.
    AcknowledgementNotJudged {
        /// The version that went out in the refused transaction.
        version: AcknowledgementVersion,
        /// Amazon's errors for the transaction, as sent.
        #[serde(default)]
        errors: Vec<ServiceMessage>,
    },
    /// Executing a command failed.
    CommandFailed {
        /// The command's [`super::Command::key`].
        command_key: String,
        /// What went wrong, classified for retrying.
        failure: CommandFailure,
    },
    /// The time [`super::OrderRecord::next_wakeup`] named has come (spurious wake-ups
    /// are harmless).
    TimerElapsed,
    /// An operator asked to do now what the order waits for (send the pending command,
    /// read the approved order, or map again after fixing settings).
    RetryRequested,
    /// An operator asked to repost: after Amazon rejected the acknowledgement, or to
    /// send an updated one, or to post a reviewed change to NetSuite.
    RepostRequested,
    /// An operator put the order on hold.
    HoldRequested {
        /// Why.
        reason: String,
    },
    /// An operator released a held order.
    ReleaseRequested,
    /// An operator cancelled the order.
    CancelRequested {
        /// Why.
        reason: String,
    },
}

/// A command's failure, as the engine classified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandFailure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// The engine gives up on this command (its own attempts are used up); the order
    /// then needs attention, it is never dropped.
    pub exhausted: bool,
}

/// How a command failed, which decides whether and when to retry: the client's
/// [`ErrorKind`] with what the service said, kept for the order. [`FailureKind::kind`]
/// gives the classification back; the rule is on [`ErrorKind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum FailureKind {
    /// A timeout, a 5xx, a dropped connection: retried with backoff.
    Transient {
        /// What happened.
        message: String,
    },
    /// The service asked to slow down (HTTP 429): retried no sooner than it asked.
    RateLimited {
        /// The service's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The service refused the request as invalid: needs a person (for an
    /// acknowledgement, Amazon rejected it).
    Rejected {
        /// The service's messages, codes and wording as sent. Records stored before
        /// messages kept their codes hold each as one string, read back as a message
        /// with no code.
        #[serde(deserialize_with = "messages_as_stored")]
        messages: Vec<ServiceMessage>,
    },
    /// The credentials were refused: retried with backoff a bounded number of times
    /// (a token refresh may fix it), then a person.
    Unauthorized {
        /// What happened.
        message: String,
    },
    /// The record is not there (a sales order deleted in NetSuite, a transaction
    /// Amazon does not know yet); what follows depends on the command (see
    /// [`ErrorKind::NotFound`]).
    NotFound {
        /// What happened.
        message: String,
    },
}

impl FailureKind {
    /// The classification: the [`ErrorKind`] this failure was built from.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FailureKind::Transient { .. } => ErrorKind::Transient,
            FailureKind::RateLimited { retry_after } => ErrorKind::RateLimited {
                retry_after: *retry_after,
            },
            FailureKind::Rejected { .. } => ErrorKind::Rejected,
            FailureKind::Unauthorized { .. } => ErrorKind::Unauthorized,
            FailureKind::NotFound { .. } => ErrorKind::NotFound,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Transient { message } => write!(f, "transient failure: {message}"),
            FailureKind::RateLimited {
                retry_after: Some(d),
            } => write!(f, "rate limited, retry after {}s", d.as_secs()),
            FailureKind::RateLimited { retry_after: None } => f.write_str("rate limited"),
            FailureKind::Rejected { messages } => {
                f.write_str("rejected: ")?;
                for (i, m) in messages.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{m}")?;
                }
                Ok(())
            }
            FailureKind::Unauthorized { message } => write!(f, "unauthorized: {message}"),
            FailureKind::NotFound { message } => write!(f, "not found: {message}"),
        }
    }
}

/// A rejection's messages as stored: each a [`ServiceMessage`], or (as records stored
/// before messages kept their codes) one string, read as a message with no code.
fn messages_as_stored<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ServiceMessage>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Message(ServiceMessage),
        Text(String),
    }
    let stored = Vec::<Stored>::deserialize(deserializer)?;
    Ok(stored
        .into_iter()
        .map(|m| match m {
            Stored::Message(m) => m,
            Stored::Text(message) => ServiceMessage {
                code: String::new(),
                message,
                field: None,
            },
        })
        .collect())
}

impl From<&ClientError> for FailureKind {
    /// The failure a command's [`ClientError`] reports, in the classification the
    /// machine and the [`super::RetryPolicy`] decide on.
    fn from(error: &ClientError) -> Self {
        let text = || error.to_string();
        match &error.kind {
            ErrorKind::Transient => FailureKind::Transient { message: text() },
            ErrorKind::RateLimited { retry_after } => FailureKind::RateLimited {
                retry_after: *retry_after,
            },
            ErrorKind::NotFound => FailureKind::NotFound { message: text() },
            ErrorKind::Rejected => FailureKind::Rejected {
                messages: if error.messages.is_empty() {
                    vec![ServiceMessage {
                        code: String::new(),
                        message: text(),
                        field: None,
                    }]
                } else {
                    error.messages.clone()
                },
            },
            ErrorKind::Unauthorized => FailureKind::Unauthorized { message: text() },
        }
    }
}

kinds! {
    /// The name of an [`Event`] variant, without its data.
    pub enum EventKind {
        /// [`Event::PurchaseOrderReceived`].
        PurchaseOrderReceived,
        /// [`Event::PurchaseOrderChanged`].
        PurchaseOrderChanged,
        /// [`Event::PurchaseOrderFoundAcknowledged`].
        PurchaseOrderFoundAcknowledged,
        /// [`Event::PurchaseOrderCancelled`].
        PurchaseOrderCancelled,
        /// [`Event::SalesOrderCreated`].
        SalesOrderCreated,
        /// [`Event::SalesOrderUpdated`].
        SalesOrderUpdated,
        /// [`Event::SalesOrderClosed`].
        SalesOrderClosed,
        /// [`Event::SalesOrderRead`].
        SalesOrderRead,
        /// [`Event::AcknowledgementSubmitted`].
        AcknowledgementSubmitted,
        /// [`Event::AcknowledgementStillProcessing`].
        AcknowledgementStillProcessing,
        /// [`Event::AcknowledgementConfirmed`].
        AcknowledgementConfirmed,
        /// [`Event::AcknowledgementFailed`].
        AcknowledgementFailed,
        /// [`Event::AcknowledgementNotJudged`].
        AcknowledgementNotJudged,
        /// [`Event::CommandFailed`].
        CommandFailed,
        /// [`Event::TimerElapsed`].
        TimerElapsed,
        /// [`Event::RetryRequested`].
        RetryRequested,
        /// [`Event::RepostRequested`].
        RepostRequested,
        /// [`Event::HoldRequested`].
        HoldRequested,
        /// [`Event::ReleaseRequested`].
        ReleaseRequested,
        /// [`Event::CancelRequested`].
        CancelRequested,
    }
}

impl EventKind {
    /// `true` for an operator's request (rather than a fact from Amazon, NetSuite, the
    /// engine or the clock).
    pub const fn is_operator_action(&self) -> bool {
        matches!(
            self,
            EventKind::RetryRequested
                | EventKind::RepostRequested
                | EventKind::HoldRequested
                | EventKind::ReleaseRequested
                | EventKind::CancelRequested
        )
    }
}

impl Event {
    /// The event's name.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::PurchaseOrderReceived { .. } => EventKind::PurchaseOrderReceived,
            Event::PurchaseOrderChanged { .. } => EventKind::PurchaseOrderChanged,
            Event::PurchaseOrderFoundAcknowledged { .. } => {
                EventKind::PurchaseOrderFoundAcknowledged
            }
            Event::PurchaseOrderCancelled => EventKind::PurchaseOrderCancelled,
            Event::SalesOrderCreated { .. } => EventKind::SalesOrderCreated,
            Event::SalesOrderUpdated { .. } => EventKind::SalesOrderUpdated,
            Event::SalesOrderClosed => EventKind::SalesOrderClosed,
            Event::SalesOrderRead { .. } => EventKind::SalesOrderRead,
            Event::AcknowledgementSubmitted { .. } => EventKind::AcknowledgementSubmitted,
            Event::AcknowledgementStillProcessing { .. } => {
                EventKind::AcknowledgementStillProcessing
            }
            Event::AcknowledgementConfirmed { .. } => EventKind::AcknowledgementConfirmed,
            Event::AcknowledgementFailed { .. } => EventKind::AcknowledgementFailed,
            Event::AcknowledgementNotJudged { .. } => EventKind::AcknowledgementNotJudged,
            Event::CommandFailed { .. } => EventKind::CommandFailed,
            Event::TimerElapsed => EventKind::TimerElapsed,
            Event::RetryRequested => EventKind::RetryRequested,
            Event::RepostRequested => EventKind::RepostRequested,
            Event::HoldRequested { .. } => EventKind::HoldRequested,
            Event::ReleaseRequested => EventKind::ReleaseRequested,
            Event::CancelRequested { .. } => EventKind::CancelRequested,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_keeps_the_services_codes_and_reads_the_stored_strings_of_before() {
        let sent = FailureKind::Rejected {
            messages: vec![ServiceMessage::new("InvalidInput", "bad cost")],
        };
        let json = serde_json::to_string(&sent).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"Rejected","messages":[{"code":"InvalidInput","message":"bad cost"}]}"#
        );
        assert_eq!(serde_json::from_str::<FailureKind>(&json).unwrap(), sent);

        let stored = r#"{"kind":"Rejected","messages":["INVALID_CONTENT: bad field"]}"#;
        assert_eq!(
            serde_json::from_str::<FailureKind>(stored).unwrap(),
            FailureKind::Rejected {
                messages: vec![ServiceMessage::new("", "INVALID_CONTENT: bad field")],
            }
        );
        assert_eq!(
            serde_json::from_str::<FailureKind>(stored)
                .unwrap()
                .to_string(),
            "rejected: INVALID_CONTENT: bad field"
        );
    }
}
