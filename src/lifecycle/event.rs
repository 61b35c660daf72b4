//! Events: past-tense facts about an order, fed to [`super::OrderRecord::handle`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::acknowledgement::AcknowledgementVersion;
use crate::client::ServiceMessage;
use crate::ids::{InternalId, TransactionId};
use crate::order::PurchaseOrder;
use crate::sales_order::SalesOrderSnapshot;

use super::command_key::CommandKey;
use super::failure::CommandFailure;
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
    /// as the next version (the one it went out as is spent, so Amazon never receives
    /// one version twice), in a transaction of at most half as many
    /// ([`super::OrderRecord::send_limit`]); after a transaction of a size not known,
    /// alone, and after [`super::MAX_UNJUDGED_RESENDS`] such re-sends the order goes
    /// to a person with Amazon's messages.
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
        command_key: CommandKey,
        /// What went wrong, classified for retrying.
        failure: CommandFailure,
    },
    /// The time [`super::OrderRecord::next_wakeup`] named has come (spurious wake-ups
    /// are harmless).
    TimerElapsed,
    /// What Amazon recorded of the confirmed acknowledgement `version`, read once more
    /// after it was confirmed ([`super::OrderRecord::reconciliation_due`]): compared
    /// with what was sent, a difference is drift. Fits every state and never changes
    /// it.
    AmazonRecordRead {
        /// The acknowledgement Amazon's record was read for.
        version: AcknowledgementVersion,
        /// What Amazon recorded.
        recorded: crate::compliance::AmazonRecord,
    },
    /// Reading Amazon's record of the confirmed acknowledgement `version` failed (the
    /// call was refused or did not come back): the read is asked again later, less
    /// often each time ([`super::OrderRecord::reconciliation_retry_at`]), and given up
    /// once the dispute window has passed. Fits every state and never changes it.
    AmazonRecordUnread {
        /// The acknowledgement Amazon's record was to be read for.
        version: AcknowledgementVersion,
        /// Why the read failed, one line.
        reason: String,
    },
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
        /// [`Event::AmazonRecordRead`].
        AmazonRecordRead,
        /// [`Event::AmazonRecordUnread`].
        AmazonRecordUnread,
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
            Event::AmazonRecordRead { .. } => EventKind::AmazonRecordRead,
            Event::AmazonRecordUnread { .. } => EventKind::AmazonRecordUnread,
            Event::RetryRequested => EventKind::RetryRequested,
            Event::RepostRequested => EventKind::RepostRequested,
            Event::HoldRequested { .. } => EventKind::HoldRequested,
            Event::ReleaseRequested => EventKind::ReleaseRequested,
            Event::CancelRequested { .. } => EventKind::CancelRequested,
        }
    }
}
