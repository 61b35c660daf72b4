//! Commands: what the engine must do next, returned by the transition.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion};
use crate::ids::{ExternalId, InternalId, PurchaseOrderNumber, TransactionId};
use crate::sales_order::{SalesOrderChanges, SalesOrderDraft};

use crate::client::ServiceMessage;

pub use super::command_key::{CommandKey, CommandKind};

/// Something the engine must do, decided by the machine.
///
/// Every command with a side effect carries its idempotency key: the NetSuite external
/// id (a create MUST be an upsert on it), or the PO number and acknowledgement version
/// (the same version is never sent twice). [`Command::key`] is a stable string naming
/// the command, which [`super::Event::CommandFailed`] echoes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command")]
#[non_exhaustive]
pub enum Command {
    /// Create the sales order, or take the one that already has this external id.
    /// Answer with [`super::Event::SalesOrderCreated`].
    CreateSalesOrder {
        /// The idempotency key.
        external_id: ExternalId,
        /// The order to create.
        draft: Box<SalesOrderDraft>,
    },
    /// Apply line changes to the sales order (match lines by the PO line sequence
    /// field; close lines, never delete them). Answer with
    /// [`super::Event::SalesOrderUpdated`].
    UpdateSalesOrder {
        /// The idempotency key.
        external_id: ExternalId,
        /// The internal id, when known.
        internal_id: Option<InternalId>,
        /// The update's number for this order (1 for the first), to echo in
        /// [`super::Event::SalesOrderUpdated`].
        revision: u32,
        /// What to change.
        changes: SalesOrderChanges,
    },
    /// Close every line of the sales order. Answer with
    /// [`super::Event::SalesOrderClosed`] (also when there is no such order).
    CloseSalesOrder {
        /// The idempotency key.
        external_id: ExternalId,
        /// The internal id, when known.
        internal_id: Option<InternalId>,
    },
    /// Read the sales order back. Answer with [`super::Event::SalesOrderRead`].
    ReadSalesOrder {
        /// The external id.
        external_id: ExternalId,
        /// The internal id, when known.
        internal_id: Option<InternalId>,
    },
    /// Submit the acknowledgement to Amazon. Answer with
    /// [`super::Event::AcknowledgementSubmitted`].
    SubmitAcknowledgement {
        /// The idempotency key.
        key: AcknowledgementKey,
        /// What to send; already checked against Amazon's rules.
        acknowledgement: Box<Acknowledgement>,
    },
    /// Ask Amazon how the submitted acknowledgement fared. Answer with
    /// [`super::Event::AcknowledgementConfirmed`], [`super::Event::AcknowledgementFailed`]
    /// or [`super::Event::AcknowledgementStillProcessing`].
    CheckAcknowledgement {
        /// Which acknowledgement.
        key: AcknowledgementKey,
        /// Amazon's transaction id for it.
        transaction_id: TransactionId,
    },
    /// Tell a person (email, webhook, dashboard): a deadline is near, Amazon rejected
    /// an acknowledgement, an order needs attention. Needs no answer.
    Notify {
        /// The order.
        purchase_order_number: PurchaseOrderNumber,
        /// What to say.
        notice: Notice,
        /// The number of the transition that raised it, which makes the key unique.
        occurrence: u64,
    },
}

/// An acknowledgement's idempotency key: the PO number and the version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AcknowledgementKey {
    /// The PO.
    pub purchase_order_number: PurchaseOrderNumber,
    /// The version.
    pub version: AcknowledgementVersion,
}

impl fmt::Display for AcknowledgementKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:v{}", self.purchase_order_number, self.version.0)
    }
}

/// What a [`Command::Notify`] says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice")]
#[non_exhaustive]
pub enum Notice {
    /// The 24-hour acknowledgement deadline is near and the order is not acknowledged.
    DeadlineApproaching {
        /// The deadline.
        deadline: DateTime<Utc>,
    },
    /// The acknowledgement deadline passed without an acknowledgement Amazon confirmed.
    DeadlineMissed {
        /// The deadline.
        deadline: DateTime<Utc>,
    },
    /// Amazon rejected an acknowledgement.
    RejectedByAmazon {
        /// The version.
        version: AcknowledgementVersion,
        /// Amazon's reasons.
        errors: Vec<ServiceMessage>,
    },
    /// The order needs a person: a mapping problem or a command that failed for good.
    NeedsAttention {
        /// What is wrong, one line.
        summary: String,
    },
    /// Amazon changed an acknowledged order and the policy asks for a review.
    ChangeToReview,
}

impl Notice {
    fn slug(&self) -> &'static str {
        match self {
            Notice::DeadlineApproaching { .. } => "deadline-approaching",
            Notice::DeadlineMissed { .. } => "deadline-missed",
            Notice::RejectedByAmazon { .. } => "rejected",
            Notice::NeedsAttention { .. } => "needs-attention",
            Notice::ChangeToReview => "change-to-review",
        }
    }
}

impl Command {
    /// A stable string naming the command: its kind and its idempotency key
    /// (`netsuite:create:AVC-RP-4Z32PABC`, `netsuite:update:AVC-RP-4Z32PABC:r1`,
    /// `amazon:acknowledge:4Z32PABC:v2`).
    pub fn key(&self) -> CommandKey {
        match self {
            Command::CreateSalesOrder { external_id, .. } => {
                CommandKey::new(CommandKind::CreateSalesOrder, external_id)
            }
            Command::UpdateSalesOrder {
                external_id,
                revision,
                ..
            } => CommandKey::new(
                CommandKind::UpdateSalesOrder,
                format_args!("{external_id}:r{revision}"),
            ),
            Command::CloseSalesOrder { external_id, .. } => {
                CommandKey::new(CommandKind::CloseSalesOrder, external_id)
            }
            Command::ReadSalesOrder { external_id, .. } => {
                CommandKey::new(CommandKind::ReadSalesOrder, external_id)
            }
            Command::SubmitAcknowledgement { key, .. } => {
                CommandKey::new(CommandKind::SubmitAcknowledgement, key)
            }
            Command::CheckAcknowledgement { key, .. } => {
                CommandKey::new(CommandKind::CheckAcknowledgement, key)
            }
            Command::Notify {
                purchase_order_number,
                notice,
                occurrence,
            } => CommandKey::new(
                CommandKind::Notify,
                format_args!("{purchase_order_number}:{}:{occurrence}", notice.slug()),
            ),
        }
    }

    /// `true` for the commands sent to Amazon.
    #[must_use]
    pub fn is_amazon(&self) -> bool {
        self.kind().is_amazon()
    }

    /// What kind of command this is.
    #[must_use]
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::CreateSalesOrder { .. } => CommandKind::CreateSalesOrder,
            Command::UpdateSalesOrder { .. } => CommandKind::UpdateSalesOrder,
            Command::CloseSalesOrder { .. } => CommandKind::CloseSalesOrder,
            Command::ReadSalesOrder { .. } => CommandKind::ReadSalesOrder,
            Command::SubmitAcknowledgement { .. } => CommandKind::SubmitAcknowledgement,
            Command::CheckAcknowledgement { .. } => CommandKind::CheckAcknowledgement,
            Command::Notify { .. } => CommandKind::Notify,
        }
    }
}
