//! Commands: what the engine must do next, returned by the transition.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion};
use crate::compliance::{CHARGEBACK_PERCENT, LineDrift};
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber, PurchaseOrderNumber, TransactionId};
use crate::sales_order::{SalesOrderChanges, SalesOrderDraft};

use crate::client::ServiceMessage;

use super::failure::FailureKind;

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
    /// Tell a person (email, webhook, dashboard) why the order needs them: see
    /// [`Notice`]. Needs no answer.
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

/// What a [`Command::Notify`] says: why a person should look at the order, and what
/// they can do about it.
///
/// Each notice is raised once per cause, never once per cycle: the machine keeps what
/// it raised in the order's record ([`super::RaisedNotices`], [`DeadlineNotices`]) or
/// raises the notice on the transition into the state it reports, which happens once.
/// A new cause (a second rejection, of a new acknowledgement version; a new set of
/// mapping problems; a new wait for approval) raises it again.
///
/// [`Notice::slug`] names the kind in a stable, lower-case form for alert routing;
/// `Display` is a line a person can act on. Neither the fields nor `Display` carry
/// personal data: no Direct Fulfillment ship-to name, address or phone, and no
/// credentials.
///
/// [`DeadlineNotices`]: super::DeadlineNotices
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice")]
#[non_exhaustive]
pub enum Notice {
    /// The 24-hour acknowledgement deadline is near (`policies.deadlineWarningMinutes`)
    /// and the order is not acknowledged.
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
    /// The sales order has waited in NetSuite Pending Approval longer than
    /// `policies.approvalOverdueMinutes`.
    ApprovalOverdue {
        /// Since when the order waits for approval.
        waiting_since: DateTime<Utc>,
        /// The setting's limit, in minutes.
        limit_minutes: u32,
    },
    /// A command failed for good: out of attempts, or refused in a way no retry
    /// fixes. The order waits for a person to fix the cause and retry it.
    RetriesExhausted {
        /// The failed command's [`Command::key`].
        command_key: CommandKey,
        /// How many attempts failed.
        attempts: u32,
        /// The last failure.
        failure: FailureKind,
    },
    /// The service refused the credentials (HTTP 401/403) for every attempt of one of
    /// this order's commands. Raised per order, like every notice: each order whose
    /// command ran out of attempts raises its own, naming the service, so an alert
    /// can be grouped by [`Notice::slug`] and [`Service`]. The service's message is
    /// left out, since it may echo what was sent.
    CredentialsRefused {
        /// The service that refused them.
        service: Service,
        /// The failed command's [`Command::key`].
        command_key: CommandKey,
        /// How many attempts failed.
        attempts: u32,
    },
    /// The order is set aside: Amazon's order, or what Amazon accepted of it, could
    /// not be read. It goes on with the next readable copy Amazon lists.
    Unreadable {
        /// What could not be read, one line.
        summary: String,
    },
    /// The order is set aside: it cannot be mapped with the current settings
    /// (unmapped item, missing customer, unknown currency, …).
    MappingProblem {
        /// What is wrong, one line.
        summary: String,
    },
    /// The order is set aside: an acknowledgement built without a reviewer (auto
    /// acknowledgement, a repost, or an answer to Amazon's change) would break one of
    /// Amazon's compliance rules, such as a quantity or cost update after the update
    /// window. Nothing is sent until a person confirms it by retrying the order.
    ComplianceHold {
        /// Each rule it would break and what it would cost, one line.
        summary: String,
    },
    /// An operator held the order; nothing new starts until it is released.
    Held {
        /// The operator's reason.
        reason: String,
    },
    /// Amazon changed an acknowledged order and the policy asks for a review.
    ChangeToReview,
    /// A retail PO's window for quantity and price updates closes soon
    /// (`compliance.updateWindowWarningMinutes` before it) and the order is not
    /// settled: after it, Amazon takes only ship and delivery date updates.
    UpdateWindowClosing {
        /// When the window closes.
        closes: DateTime<Utc>,
    },
    /// Units are confirmed on a retail PO and its down-confirm cut-off is near
    /// (`compliance.downConfirmWarningMinutes` before it): lowering them after it is
    /// charged as down confirmed.
    DownConfirmCutoffApproaching {
        /// The cut-off.
        cutoff: DateTime<Utc>,
    },
    /// A backordered line's scheduled date is near or passed
    /// (`compliance.backorderWarningMinutes` before it): Amazon cancels a backorder
    /// whose date passes, and charges the confirmed units as not filled.
    BackorderDateDue {
        /// The line.
        sequence: ItemSequenceNumber,
        /// The units backordered.
        quantity: u64,
        /// The date the acknowledgement gave.
        scheduled: DateTime<Utc>,
    },
    /// What Amazon recorded of a confirmed acknowledgement differs from what was sent.
    Drift {
        /// The acknowledgement.
        version: AcknowledgementVersion,
        /// Each line that differs, with both sides.
        lines: Vec<LineDrift>,
    },
    /// A deep sweep found the order only after Amazon listed it late (an outage of
    /// Amazon's listing): its acknowledgement deadline runs from the PO date, so it may
    /// be near or past ([`super::FoundLate`]).
    FoundLate {
        /// The PO date.
        ordered_at: DateTime<Utc>,
        /// When the sweep found it.
        found_at: DateTime<Utc>,
        /// The acknowledgement deadline.
        deadline: DateTime<Utc>,
    },
}

/// A service the sync calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Service {
    /// Amazon's Selling Partner API.
    Amazon,
    /// NetSuite.
    NetSuite,
}

impl Service {
    /// The service a command goes to.
    #[must_use]
    pub fn of(kind: CommandKind) -> Service {
        if kind.is_amazon() {
            Service::Amazon
        } else {
            Service::NetSuite
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Amazon => "Amazon",
            Service::NetSuite => "NetSuite",
        })
    }
}

impl Notice {
    /// The notice's kind, stable and lower-case, for routing alerts:
    /// `deadline-approaching`, `deadline-missed`, `rejected`, `approval-overdue`,
    /// `retries-exhausted`, `credentials-refused`, `unreadable`, `mapping-problem`,
    /// `compliance-hold`, `held`, `change-to-review`, `update-window-closing`,
    /// `down-confirm-cutoff`, `backorder-date-due`, `drift`, `found-late`.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::lifecycle::Notice;
    ///
    /// let notice = Notice::Held { reason: "customer called".into() };
    /// assert_eq!(notice.slug(), "held");
    /// assert_eq!(
    ///     notice.to_string(),
    ///     "held by an operator: customer called; release the order to go on"
    /// );
    /// ```
    #[must_use]
    pub fn slug(&self) -> &'static str {
        match self {
            Notice::DeadlineApproaching { .. } => "deadline-approaching",
            Notice::DeadlineMissed { .. } => "deadline-missed",
            Notice::RejectedByAmazon { .. } => "rejected",
            Notice::ApprovalOverdue { .. } => "approval-overdue",
            Notice::RetriesExhausted { .. } => "retries-exhausted",
            Notice::CredentialsRefused { .. } => "credentials-refused",
            Notice::Unreadable { .. } => "unreadable",
            Notice::MappingProblem { .. } => "mapping-problem",
            Notice::ComplianceHold { .. } => "compliance-hold",
            Notice::Held { .. } => "held",
            Notice::ChangeToReview => "change-to-review",
            Notice::UpdateWindowClosing { .. } => "update-window-closing",
            Notice::DownConfirmCutoffApproaching { .. } => "down-confirm-cutoff",
            Notice::BackorderDateDue { .. } => "backorder-date-due",
            Notice::Drift { .. } => "drift",
            Notice::FoundLate { .. } => "found-late",
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        match self {
            Notice::DeadlineApproaching { deadline } => write!(
                f,
                "the acknowledgement deadline ({}) is near and Amazon has confirmed no \
                 acknowledgement: approve the sales order in NetSuite, or see why the \
                 order waits",
                at(deadline)
            ),
            Notice::DeadlineMissed { deadline } => write!(
                f,
                "the acknowledgement deadline ({}) passed and Amazon has confirmed no \
                 acknowledgement: acknowledge the order now (approve it in NetSuite, or \
                 in Vendor Central)",
                at(deadline)
            ),
            Notice::RejectedByAmazon { version, errors } => write!(
                f,
                "Amazon rejected acknowledgement v{}: {}; fix the sales order in NetSuite \
                 and repost",
                version.0,
                crate::text::Joined(errors, "; ")
            ),
            Notice::ApprovalOverdue {
                waiting_since,
                limit_minutes,
            } => write!(
                f,
                "the sales order has waited for approval in NetSuite since {} (more than \
                 {limit_minutes} minutes): approve it, or close the lines Amazon should \
                 not get",
                at(waiting_since)
            ),
            Notice::RetriesExhausted {
                command_key,
                attempts,
                failure,
            } => write!(
                f,
                "`{command_key}` failed for good after {attempts} attempt(s): {failure}; \
                 fix the cause, then retry the order"
            ),
            Notice::CredentialsRefused {
                service,
                command_key,
                attempts,
            } => write!(
                f,
                "{service} refused the credentials for `{command_key}` after {attempts} \
                 attempt(s): renew or correct the {service} credentials, then retry the \
                 order"
            ),
            Notice::Unreadable { summary } => write!(
                f,
                "Amazon's order could not be read: {summary}; it goes on by itself when \
                 Amazon lists a readable copy (check it in Vendor Central)"
            ),
            Notice::MappingProblem { summary } => write!(
                f,
                "the order cannot be mapped: {summary}; fix the settings, then retry the \
                 order"
            ),
            Notice::ComplianceHold { summary } => write!(
                f,
                "an acknowledgement sent without review would break Amazon's rules: \
                 {summary}; retry the order to confirm and send it anyway, or change the \
                 order first"
            ),
            Notice::Held { reason } => write!(
                f,
                "held by an operator: {reason}; release the order to go on"
            ),
            Notice::ChangeToReview => f.write_str(
                "Amazon changed the order after it was acknowledged: post the update to \
                 NetSuite, or cancel the order",
            ),
            Notice::UpdateWindowClosing { closes } => write!(
                f,
                "Amazon takes quantity and price updates to this PO until {}: settle \
                 the order before then, since after it only date updates go to Amazon",
                at(closes)
            ),
            Notice::DownConfirmCutoffApproaching { cutoff } => write!(
                f,
                "lowering this PO's confirmed units after {} is charged as down \
                 confirmed ({CHARGEBACK_PERCENT} % of their cost): if some cannot ship, \
                 lower them in NetSuite and repost before then",
                at(cutoff)
            ),
            Notice::BackorderDateDue {
                sequence,
                quantity,
                scheduled,
            } => write!(
                f,
                "line {sequence} has {quantity} unit(s) backordered for {}: Amazon \
                 cancels a backorder whose date passes; set the new expected ship date \
                 in NetSuite and repost to send it",
                at(scheduled)
            ),
            Notice::Drift { version, lines } => write!(
                f,
                "Amazon recorded acknowledgement v{} differently from what was sent: {}; \
                 check the PO in Vendor Central and repost if Amazon's record is wrong",
                version.0,
                crate::text::Joined(lines, "; ")
            ),
            Notice::FoundLate {
                ordered_at,
                found_at,
                deadline,
            } => write!(
                f,
                "Amazon listed the order late: a deep sweep found it {} after its PO date \
                 ({}), and its acknowledgement deadline is {}: approve the sales order in \
                 NetSuite now, or acknowledge it in Vendor Central",
                super::late::duration_text(*found_at - *ordered_at),
                at(ordered_at),
                at(deadline)
            ),
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
