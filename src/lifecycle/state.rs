//! The states of an order, named for what the order waits for.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion};
use crate::ids::TransactionId;
use crate::order::Problem;
use crate::sales_order::SalesOrderDraft;

use super::command_key::CommandKey;
use super::failure::FailureKind;
use crate::client::ServiceMessage;
use crate::sales_order::SalesOrderChanges;

/// Where an order is in its lifecycle, named for what it waits for (rustls's
/// `Expect*` style), with the data that state needs. What every state shares (the
/// purchase order, ids, versions, deadline, retries, history) lives in
/// [`super::OrderRecord`].
///
/// [`OrderState::kind`] gives the state's name; [`super::OrderRecord::status_label`]
/// the NetSuite Connector wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum OrderState {
    /// Received and mapped; waits for NetSuite to confirm the sales order exists
    /// ("Scheduled to post to NetSuite"). The draft is Pending Approval for review
    /// (manual acknowledgement) or Pending Fulfillment once Amazon confirmed an
    /// automatic acknowledgement.
    ExpectSalesOrderCreated {
        /// The sales order being created.
        draft: Box<SalesOrderDraft>,
    },
    /// In NetSuite Pending Approval; waits for a reviewer to approve it ("Waiting for
    /// approval"). `problems` holds the reasons the approved order could not be
    /// acknowledged (Amazon's rules), shown to the reviewer; nothing was sent.
    ExpectApproval {
        /// Why the last approved version could not be acknowledged; empty before.
        problems: Vec<Problem>,
    },
    /// Waits for the approved sales order to be read back, to repost the
    /// acknowledgement ("Scheduled to post to Amazon").
    ExpectSalesOrderRead,
    /// An acknowledgement is built and checked; waits for Amazon to take the
    /// submission ("Scheduled to post to Amazon").
    ExpectAcknowledgementSubmitted {
        /// What is being sent, as version [`super::OrderRecord::acknowledgement_version`].
        acknowledgement: Box<Acknowledgement>,
    },
    /// Amazon took the acknowledgement; waits for Amazon's answer ("Waiting for response
    /// from Amazon").
    ExpectAcknowledgementConfirmation {
        /// What was sent.
        acknowledgement: Box<Acknowledgement>,
        /// Amazon's transaction id for it.
        transaction_id: TransactionId,
        /// How many status checks answered "still processing".
        checks: u32,
        /// How many acknowledgements the transaction carries (0 when not known).
        #[serde(default)]
        orders: u32,
    },
    /// Amazon confirmed and the sales order is Pending Fulfillment; waits for shipment,
    /// which later syncs handle ("Order posted, awaiting shipment").
    ExpectShipment,
    /// Amazon rejected the acknowledgement; waits for someone to fix the order in
    /// NetSuite and repost ("Rejected").
    ExpectRepost {
        /// Amazon's reasons.
        errors: Vec<ServiceMessage>,
        /// The version Amazon rejected.
        version: AcknowledgementVersion,
        /// The sales order was set back to Pending Approval
        /// (`policies.onAmazonRejection`): the reviewer's next approval sends the
        /// acknowledgement of the order as it then stands.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        returned_to_approval: bool,
    },
    /// A problem the library cannot fix by itself; waits for an operator to fix the
    /// data or settings and retry ("Error posting to NetSuite" or "Error posting to
    /// Amazon").
    ExpectFix {
        /// What is wrong and what retrying does.
        attention: Attention,
    },
    /// Amazon changed the order after it was acknowledged and the policy says to
    /// review each such order; waits for an operator to post the update or cancel
    /// ("Failed to get Amazon confirmation").
    ExpectChangeReview,
    /// Waits for NetSuite to confirm an update of the sales order ("Updated order
    /// posted to NetSuite").
    ExpectSalesOrderUpdated {
        /// What is being changed.
        changes: SalesOrderChanges,
        /// The update's number, echoed by [`super::Event::SalesOrderUpdated`].
        revision: u32,
        /// Where the order goes once NetSuite confirms.
        resume: Box<OrderState>,
    },
    /// Waits for NetSuite to confirm every line of the sales order closed ("Canceling
    /// in NetSuite").
    ExpectSalesOrderClosed {
        /// Why.
        reason: CloseReason,
    },
    /// Held by an operator; waits for release ("Held"). Outcomes of work already in
    /// flight still update the held state; nothing new is started.
    Held {
        /// The operator's reason.
        reason: String,
        /// The state the order returns to on release.
        resume: Box<OrderState>,
    },
    /// Cancelled by Amazon or an operator (terminal; "Canceled").
    Cancelled {
        /// Why.
        reason: CloseReason,
    },
    /// Nothing left to do: Amazon closed the PO, or every line was rejected (terminal;
    /// "Complete").
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// What needs attention in [`OrderState::ExpectFix`], and what retrying does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum Attention {
    /// The purchase order cannot be mapped with the current settings (unmapped item,
    /// missing customer, unknown currency, …). Retrying maps it again, so fix the
    /// settings first; a change from Amazon retries by itself.
    Mapping {
        /// Every problem, naming the PO, the line and the key.
        problems: Vec<Problem>,
        /// What the mapping was for.
        step: MappingStep,
    },
    /// Amazon's order, or what Amazon accepted of an order someone acknowledged before
    /// the sync saw it, could not be read. The record keeps only what identifies the
    /// order (no party, address, line or message of an order that could not be read).
    /// It goes on by itself with the next readable copy Amazon lists, or when an
    /// operator re-fetches it; nothing is sent to Amazon or NetSuite meanwhile.
    Unreadable {
        /// Every problem, naming the PO, the line and the field.
        problems: Vec<Problem>,
    },
    /// A command failed for good: rejected by the service, not found, or out of
    /// attempts. Retrying sends it again.
    Command {
        /// The failed command's [`super::Command::key`].
        command_key: CommandKey,
        /// The last failure.
        failure: FailureKind,
        /// How many attempts failed.
        attempts: u32,
        /// The state that waits for the command, re-entered on retry.
        resume: Box<OrderState>,
    },
}

/// What a mapping was for, so retrying it continues from there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum MappingStep {
    /// The first mapping of a received order.
    Receive,
    /// Creating the sales order after Amazon confirmed an automatic acknowledgement.
    CreateAfterAcknowledgement,
    /// Applying a change from Amazon to the sales order, then continuing in `resume`.
    ApplyChange {
        /// The state the change applies to.
        resume: Box<OrderState>,
    },
}

/// Why an order was closed or cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum CloseReason {
    /// Amazon closed the purchase order.
    ClosedByAmazon,
    /// Amazon cancelled the order.
    CancelledByAmazon,
    /// An operator cancelled the order.
    CancelledByOperator {
        /// The operator's reason.
        reason: String,
    },
    /// Amazon changed the order after acknowledgement and the policy cancels such
    /// orders.
    ChangedAfterAcknowledgement,
    /// Every line was rejected and Amazon confirmed it: nothing to ship.
    NothingToShip,
}

impl CloseReason {
    /// `true` when the order ends as [`OrderState::Closed`] rather than
    /// [`OrderState::Cancelled`].
    pub fn is_completion(&self) -> bool {
        matches!(
            self,
            CloseReason::ClosedByAmazon | CloseReason::NothingToShip
        )
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::ClosedByAmazon => f.write_str("closed by Amazon"),
            CloseReason::CancelledByAmazon => f.write_str("cancelled by Amazon"),
            CloseReason::CancelledByOperator { reason } => {
                write!(f, "cancelled by an operator: {reason}")
            }
            CloseReason::ChangedAfterAcknowledgement => {
                f.write_str("changed by Amazon after acknowledgement")
            }
            CloseReason::NothingToShip => f.write_str("every line rejected, nothing to ship"),
        }
    }
}

use super::kinds::kinds;

kinds! {
    /// The name of an [`OrderState`] variant, without its data.
    pub enum StateKind {
        /// [`OrderState::ExpectSalesOrderCreated`].
        ExpectSalesOrderCreated,
        /// [`OrderState::ExpectApproval`].
        ExpectApproval,
        /// [`OrderState::ExpectSalesOrderRead`].
        ExpectSalesOrderRead,
        /// [`OrderState::ExpectAcknowledgementSubmitted`].
        ExpectAcknowledgementSubmitted,
        /// [`OrderState::ExpectAcknowledgementConfirmation`].
        ExpectAcknowledgementConfirmation,
        /// [`OrderState::ExpectShipment`].
        ExpectShipment,
        /// [`OrderState::ExpectRepost`].
        ExpectRepost,
        /// [`OrderState::ExpectFix`].
        ExpectFix,
        /// [`OrderState::ExpectChangeReview`].
        ExpectChangeReview,
        /// [`OrderState::ExpectSalesOrderUpdated`].
        ExpectSalesOrderUpdated,
        /// [`OrderState::ExpectSalesOrderClosed`].
        ExpectSalesOrderClosed,
        /// [`OrderState::Held`].
        Held,
        /// [`OrderState::Cancelled`].
        Cancelled,
        /// [`OrderState::Closed`].
        Closed,
    }
}

impl StateKind {
    /// `true` for the states an order never leaves.
    pub const fn is_terminal(&self) -> bool {
        matches!(self, StateKind::Cancelled | StateKind::Closed)
    }

    /// NetSuite Connector's wording for the state. [`StateKind::ExpectFix`] reads
    /// "Error posting to NetSuite" here; [`super::OrderRecord::status_label`] says
    /// "Error posting to Amazon" when the failed command was Amazon's.
    pub const fn connector_status(&self) -> &'static str {
        match self {
            StateKind::ExpectSalesOrderCreated => "Scheduled to post to NetSuite",
            StateKind::ExpectApproval => "Waiting for approval",
            StateKind::ExpectSalesOrderRead | StateKind::ExpectAcknowledgementSubmitted => {
                "Scheduled to post to Amazon"
            }
            StateKind::ExpectAcknowledgementConfirmation => "Waiting for response from Amazon",
            StateKind::ExpectShipment => "Order posted, awaiting shipment",
            StateKind::ExpectRepost => "Rejected",
            StateKind::ExpectFix => "Error posting to NetSuite",
            StateKind::ExpectChangeReview => "Failed to get Amazon confirmation",
            StateKind::ExpectSalesOrderUpdated => "Updated order posted to NetSuite",
            StateKind::ExpectSalesOrderClosed => "Canceling in NetSuite",
            StateKind::Held => "Held",
            StateKind::Cancelled => "Canceled",
            StateKind::Closed => "Complete",
        }
    }
}

impl OrderState {
    /// The state under a hold ([`OrderState::Held`]'s `resume`), or the state itself:
    /// what the order waits for once released.
    pub fn unheld(&self) -> &OrderState {
        match self {
            OrderState::Held { resume, .. } => resume,
            state => state,
        }
    }

    /// `true` while the sales order waits in NetSuite for a reviewer's approval: a
    /// manual order in Pending Approval, or one set back to Pending Approval after
    /// Amazon rejected its acknowledgement. A held order is judged by the state under
    /// the hold, since the approval lands under the hold and is acted on at release.
    #[must_use]
    pub fn awaits_approval(&self) -> bool {
        matches!(
            self.unheld(),
            OrderState::ExpectApproval { .. }
                | OrderState::ExpectRepost {
                    returned_to_approval: true,
                    ..
                }
        )
    }

    /// The state's name.
    pub fn kind(&self) -> StateKind {
        match self {
            OrderState::ExpectSalesOrderCreated { .. } => StateKind::ExpectSalesOrderCreated,
            OrderState::ExpectApproval { .. } => StateKind::ExpectApproval,
            OrderState::ExpectSalesOrderRead => StateKind::ExpectSalesOrderRead,
            OrderState::ExpectAcknowledgementSubmitted { .. } => {
                StateKind::ExpectAcknowledgementSubmitted
            }
            OrderState::ExpectAcknowledgementConfirmation { .. } => {
                StateKind::ExpectAcknowledgementConfirmation
            }
            OrderState::ExpectShipment => StateKind::ExpectShipment,
            OrderState::ExpectRepost { .. } => StateKind::ExpectRepost,
            OrderState::ExpectFix { .. } => StateKind::ExpectFix,
            OrderState::ExpectChangeReview => StateKind::ExpectChangeReview,
            OrderState::ExpectSalesOrderUpdated { .. } => StateKind::ExpectSalesOrderUpdated,
            OrderState::ExpectSalesOrderClosed { .. } => StateKind::ExpectSalesOrderClosed,
            OrderState::Held { .. } => StateKind::Held,
            OrderState::Cancelled { .. } => StateKind::Cancelled,
            OrderState::Closed { .. } => StateKind::Closed,
        }
    }

    /// `true` for the states an order never leaves.
    pub fn is_terminal(&self) -> bool {
        self.kind().is_terminal()
    }
}
