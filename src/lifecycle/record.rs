//! The persisted per-order record: what the sync knows of one order, what it waits
//! for, and when to wake it (the transition itself is in `machine`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion};
use crate::compliance::{ComplianceClocks, ComplianceRules, Reconciliation};
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber};
use crate::order::{Problem, Program, PurchaseOrder};
use crate::sales_order::SalesOrderDraft;
use crate::settings::Settings;
use crate::view::{AcknowledgementAnswer, AcknowledgementView};

use super::command::{AcknowledgementKey, Command};
use super::event::EventKind;
use super::state::{Attention, OrderState, StateKind};

/// The version of the record's serialized form this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything the sync knows about one purchase order: the latest order from Amazon,
/// where it is in its lifecycle, and its history. Any store can keep it: it
/// serializes to tagged, versioned JSON (`schema_version`).
///
/// Records are values. [`OrderRecord::handle`] takes `&self` and returns a new record
/// with the commands to execute, so a failed or refused transition leaves the stored
/// record as it was; persist the new record and its commands before executing them.
///
/// # Example
/// ```
/// use avc_order_sync::lifecycle::{Command, Event, OrderRecord, TransitionError};
/// use avc_order_sync::{settings::Settings, PurchaseOrder};
/// use chrono::{DateTime, Utc};
///
/// /// One step of an engine: apply the outcome, keep the new record, run its commands.
/// fn step(
///     record: &OrderRecord,
///     outcome: &Event,
///     now: DateTime<Utc>,
///     settings: &Settings,
/// ) -> Result<(OrderRecord, Vec<Command>), TransitionError> {
///     let (next, commands) = record.handle(outcome, now, settings)?;
///     // Persist `next` and `commands` here, before executing any command.
///     Ok((next, commands))
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    #[serde(deserialize_with = "schema_version")]
    pub(super) schema_version: u32,
    pub(super) external_id: ExternalId,
    pub(super) purchase_order: PurchaseOrder,
    pub(super) state: OrderState,
    pub(super) internal_id: Option<InternalId>,
    pub(super) acknowledgement_version: Option<AcknowledgementVersion>,
    pub(super) confirmed: Option<ConfirmedAcknowledgement>,
    pub(super) approval: Option<Approval>,
    pub(super) acknowledgement_deadline: DateTime<Utc>,
    pub(super) deadline_notices: DeadlineNotices,
    pub(super) attempt: Option<Attempt>,
    pub(super) sales_order: Option<SalesOrderDraft>,
    pub(super) sales_order_revision: u32,
    pub(super) change_pending: bool,
    pub(super) history: Vec<HistoryEntry>,
    /// How many times the acknowledgement in flight went out again, alone, after
    /// Amazon refused a transaction it shared with others.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) unjudged_resends: u32,
    /// The most acknowledgements the transaction carrying the acknowledgement in
    /// flight may hold: half the refused transaction it last went out in
    /// ([`OrderRecord::send_limit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) send_limit: Option<u32>,
    /// The notices raised for causes that outlast a transition, so a cycle over an
    /// order in the same state does not raise them again.
    #[serde(default, skip_serializing_if = "RaisedNotices::is_empty")]
    pub(super) raised: RaisedNotices,
    /// Every acknowledgement sent, oldest first, with Amazon's answer to each; empty
    /// in a record stored before it was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) acknowledgements: Vec<AcknowledgementView>,
    /// The compliance problems a person confirmed with the Retry action: the
    /// acknowledgements built until Amazon answers one go out despite exactly these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) compliance_confirmed: Vec<Problem>,
    /// The confirmed acknowledgement whose record at Amazon is still to be read once
    /// more and reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) reconciliation_due: Option<AcknowledgementVersion>,
    /// The last reconciliation of a confirmed acknowledgement with Amazon's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) reconciliation: Option<Reconciliation>,
    /// When the read of Amazon's record, which failed, is asked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) reconciliation_retry: Option<ReconciliationRetry>,
    /// Every version of the purchase order Amazon sent, oldest first
    /// ([`OrderRecord::purchase_order_log`]); empty in a record stored before it was
    /// kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) purchase_orders: Vec<super::PurchaseOrderVersion>,
    /// How a deep sweep found the order, when Amazon listed it late
    /// ([`OrderRecord::found_by_sweep`]); `None` in a record stored before sweeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) found_late: Option<super::FoundLate>,
    /// The acknowledgements that may have gone out and were rebuilt (for Amazon's
    /// change) or held before their answer came, oldest first: Amazon may have applied
    /// any of them, so a later one is checked against each as well as against the
    /// confirmed one. Cleared once a later one is confirmed. (A record stored when
    /// only the last was kept reads it as a list of one.)
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many"
    )]
    pub(super) unanswered: Vec<crate::acknowledgement::Acknowledgement>,
}

/// A read of Amazon's record that failed, and when it is asked again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReconciliationRetry {
    /// How many reads failed in a row.
    pub(crate) failures: u32,
    /// When the next read is due.
    pub(crate) next_at: DateTime<Utc>,
}

/// The wait after the first failed read of Amazon's record; each further failure
/// doubles it, up to [`RECONCILIATION_RETRY_CAP`].
pub(crate) const RECONCILIATION_RETRY_FIRST: std::time::Duration =
    std::time::Duration::from_secs(15 * 60);

/// The longest wait between two reads of Amazon's record after failures.
pub(crate) const RECONCILIATION_RETRY_CAP: std::time::Duration =
    std::time::Duration::from_secs(6 * 3600);

/// How long after the confirmation reading Amazon's record is still tried: Amazon's
/// dispute window, past which what it recorded can no longer be contested.
pub(crate) const RECONCILIATION_GIVE_UP: std::time::Duration =
    std::time::Duration::from_secs(30 * 24 * 3600);

/// How many times an acknowledgement goes out again after an answer that did not
/// judge it ([`super::Event::AcknowledgementNotJudged`]); the next such answer hands
/// the order to a person with Amazon's messages.
pub const MAX_UNJUDGED_RESENDS: u32 = 2;

/// How long one round of halving a refused transaction takes: Amazon's answer to a
/// retail transaction is read 15 minutes after it went out, and the next cycle sends
/// the next round. Halving a transaction of 50 down to one order takes six rounds;
/// with fewer left before the acknowledgement deadline, the orders go out in smaller
/// transactions at once ([`OrderRecord::send_limit`]).
pub const HALVING_ROUND: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The most unanswered acknowledgements an order keeps: each is a version Amazon
/// may hold, and an order rebuilt more often than this without an answer keeps the
/// latest.
pub(crate) const MAX_UNANSWERED: usize = 8;

fn one_or_many<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<crate::acknowledgement::Acknowledgement>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<crate::acknowledgement::Acknowledgement>),
        One(Box<crate::acknowledgement::Acknowledgement>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::Many(all)) => all,
        Some(OneOrMany::One(one)) => vec![*one],
    })
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn schema_version<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let version = u32::deserialize(deserializer)?;
    if version == SCHEMA_VERSION {
        Ok(version)
    } else {
        Err(serde::de::Error::custom(format!(
            "order record `schema_version` {version} is not one this version reads ({SCHEMA_VERSION})"
        )))
    }
}

/// The last acknowledgement Amazon confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedAcknowledgement {
    /// Its version.
    pub version: AcknowledgementVersion,
    /// What Amazon took.
    pub acknowledgement: Acknowledgement,
    /// When the confirmation was handled.
    pub confirmed_at: DateTime<Utc>,
}

/// Who decided what the acknowledgement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Approval {
    /// Auto acknowledgement is on for the program: every line accepted as ordered.
    AutoAcknowledgement,
    /// A reviewer approved the sales order in NetSuite.
    Reviewed,
    /// Every line was rejected by the unmapped-item policy (or cancelled by Amazon):
    /// there was nothing to review.
    RejectedByPolicy,
    /// Someone acknowledged the order before the sync saw it (in Vendor Central's
    /// pages, or with another connector): the sales order holds what Amazon accepted.
    AcknowledgedAtAmazon,
}

/// Which deadline notices were raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeadlineNotices {
    /// The approaching-deadline warning went out.
    pub warned: bool,
    /// The missed-deadline notice went out.
    pub missed: bool,
}

/// The notices raised for causes that outlast the transition that found them: what
/// each was raised for, so the same cause is not raised again and a new one is.
///
/// (The deadline notices are in [`DeadlineNotices`]; the other notices are raised by
/// the transition into the state they report, which happens once.)
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RaisedNotices {
    /// The problems ([`super::Notice::Unreadable`] or [`super::Notice::MappingProblem`]
    /// summary) of the set-aside notice raised while the order stays set aside; cleared
    /// once it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_aside: Option<String>,
    /// The start of the wait for approval that [`super::Notice::ApprovalOverdue`] was
    /// raised for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_overdue: Option<DateTime<Utc>>,
    /// The update window [`super::Notice::UpdateWindowClosing`] was raised (or passed
    /// unraised) for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_window: Option<DateTime<Utc>>,
    /// The down-confirm cut-off [`super::Notice::DownConfirmCutoffApproaching`] was
    /// raised (or passed unraised) for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_confirm: Option<DateTime<Utc>>,
    /// The backorders [`super::Notice::BackorderDateDue`] was raised for: the line
    /// and the date; a new date is a new cause.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backorders: Vec<(ItemSequenceNumber, DateTime<Utc>)>,
    /// The acknowledgement versions a drift notice was raised for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<AcknowledgementVersion>,
}

impl RaisedNotices {
    /// `true` when nothing is recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == RaisedNotices::default()
    }
}

/// A compliance warning the order has still to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DueWarning {
    /// When it is due.
    pub(super) warn_at: DateTime<Utc>,
    /// The notice.
    pub(super) notice: super::Notice,
    /// The cause, to record once raised.
    pub(super) clock: DueClock,
}

/// The cause of a [`DueWarning`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DueClock {
    /// The update window closing at this time.
    UpdateWindow(DateTime<Utc>),
    /// The down-confirm cut-off at this time.
    DownConfirm(DateTime<Utc>),
    /// A backordered line and its date.
    Backorder((ItemSequenceNumber, DateTime<Utc>)),
}

fn before(t: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
    t.checked_sub_signed(chrono::TimeDelta::minutes(i64::from(minutes)))
        .unwrap_or(t)
}

/// The retry bookkeeping of the command the order waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// How many attempts failed.
    pub failures: u32,
    /// When to send it again; `None` while it is in flight.
    pub next_at: Option<DateTime<Utc>>,
    /// The last failure, for display.
    pub last_error: Option<String>,
}

/// One transition in an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When it was handled (never before the entry preceding it: a transition
    /// handled at a clock behind it is recorded at its time).
    pub at: DateTime<Utc>,
    /// The event.
    pub event: EventKind,
    /// The state before; `None` for the first.
    pub from: Option<StateKind>,
    /// The state after.
    pub to: StateKind,
}

impl OrderRecord {
    /// When the engine should call back with [`super::Event::TimerElapsed`]: the earliest of
    /// the next retry or status check, the deadline warning, and the deadline itself
    /// (while no acknowledgement is confirmed). `None` when nothing is scheduled.
    pub fn next_wakeup(&self, settings: &Settings) -> Option<DateTime<Utc>> {
        if self.is_terminal() {
            return None;
        }
        let mut next: Option<DateTime<Utc>> = None;
        let mut consider = |t: DateTime<Utc>| next = Some(next.map_or(t, |n| n.min(t)));
        if !matches!(self.state, OrderState::Held { .. }) {
            if let Some(at) = self.attempt.as_ref().and_then(|a| a.next_at) {
                consider(at);
            }
        }
        if let Some(at) = self.approval_overdue_at(settings) {
            consider(at);
        }
        if self.confirmed.is_none() {
            if !self.deadline_notices.warned {
                consider(self.deadline_warning_at(settings));
            } else if !self.deadline_notices.missed {
                consider(self.acknowledgement_deadline);
            }
        }
        if let Some(confirmed) = self
            .confirmed
            .as_ref()
            .filter(|_| self.reconciliation_due.is_some())
        {
            consider(
                self.reconciliation_retry_at()
                    .unwrap_or(confirmed.confirmed_at),
            );
        }
        for clock in self.compliance_clocks_due(settings) {
            consider(clock.warn_at);
        }
        next
    }

    /// The compliance warnings still to raise (each with when it is due), in the
    /// order's current state: the update window's while a retail order is not
    /// settled at Amazon, the down-confirm cut-off's while units are confirmed, and
    /// each backorder's date.
    pub(super) fn compliance_clocks_due(&self, settings: &Settings) -> Vec<DueWarning> {
        let rules = &settings.compliance;
        let po = &self.purchase_order;
        let mut due = Vec::new();
        if self.is_terminal() || po.program != Program::RetailProcurement {
            return due;
        }
        // Settled: Amazon confirmed an acknowledgement and nothing newer is on its way
        // to Amazon (what is left is NetSuite's side, or shipping).
        let settled = self.confirmed.is_some()
            && matches!(
                self.state.kind(),
                StateKind::ExpectShipment
                    | StateKind::ExpectSalesOrderCreated
                    | StateKind::ExpectSalesOrderUpdated
                    | StateKind::ExpectSalesOrderClosed
            );
        let closes = rules.update_window_closes(po.ordered_at);
        if !settled && self.raised.update_window != Some(closes) {
            due.push(DueWarning {
                warn_at: before(closes, rules.update_window_warning_minutes),
                notice: super::Notice::UpdateWindowClosing { closes },
                clock: DueClock::UpdateWindow(closes),
            });
        }
        let Some(confirmed) = &self.confirmed else {
            return due;
        };
        if let Some(cutoff) = rules.down_confirm_cutoff(po) {
            if crate::compliance::confirms_units(&confirmed.acknowledgement)
                && self.raised.down_confirm != Some(cutoff)
            {
                due.push(DueWarning {
                    warn_at: before(cutoff, rules.down_confirm_warning_minutes),
                    notice: super::Notice::DownConfirmCutoffApproaching { cutoff },
                    clock: DueClock::DownConfirm(cutoff),
                });
            }
        }
        for backorder in crate::compliance::backorders(&confirmed.acknowledgement) {
            let cause = (backorder.sequence.clone(), backorder.scheduled);
            if !self.raised.backorders.contains(&cause) {
                due.push(DueWarning {
                    warn_at: rules.backorder_warning_at(backorder.scheduled),
                    notice: super::Notice::BackorderDateDue {
                        sequence: backorder.sequence,
                        quantity: backorder.quantity,
                        scheduled: backorder.scheduled,
                    },
                    clock: DueClock::Backorder(cause),
                });
            }
        }
        due
    }

    /// When [`super::Notice::ApprovalOverdue`] is due for the current wait for
    /// approval; `None` when the order does not wait for approval (a held order does
    /// not: a person has it) or the notice for this wait was raised.
    pub(super) fn approval_overdue_at(&self, settings: &Settings) -> Option<DateTime<Utc>> {
        let since = self.waiting_for_approval_since()?;
        if self.raised.approval_overdue == Some(since) {
            return None;
        }
        Some(
            since
                .checked_add_signed(settings.approval_overdue())
                .unwrap_or(since),
        )
    }

    /// Since when the order waits in [`OrderState::ExpectApproval`] without a break:
    /// the time of the transition into it, from the history. `None` in any other
    /// state (a held order included).
    #[must_use]
    pub fn waiting_for_approval_since(&self) -> Option<DateTime<Utc>> {
        if !matches!(self.state, OrderState::ExpectApproval { .. }) {
            return None;
        }
        let mut since = None;
        for entry in self.history.iter().rev() {
            if entry.to != StateKind::ExpectApproval {
                break;
            }
            since = Some(entry.at);
            if entry.from != Some(StateKind::ExpectApproval) {
                break;
            }
        }
        since
    }

    pub(super) fn deadline_warning_at(&self, settings: &Settings) -> DateTime<Utc> {
        self.acknowledgement_deadline
            .checked_sub_signed(settings.deadline_warning())
            .unwrap_or(self.acknowledgement_deadline)
    }

    /// `true` while the order waits for Amazon to send it readable
    /// ([`Attention::Unreadable`], held or not): the next readable copy is taken in as
    /// a new order would be.
    pub fn awaits_readable_order(&self) -> bool {
        let state = match &self.state {
            OrderState::Held { resume, .. } => resume,
            state => state,
        };
        matches!(
            state,
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. }
            }
        )
    }

    /// `true` once the order is cancelled or closed: no event moves it again.
    pub fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }

    /// The NetSuite Connector wording for the order's status ("Scheduled to post to
    /// NetSuite", "Waiting for approval", "Waiting for response from Amazon", "Order
    /// posted, awaiting shipment", "Rejected", …).
    pub fn status_label(&self) -> &'static str {
        match &self.state {
            OrderState::ExpectFix {
                attention: Attention::Command { command_key, .. },
            } if command_key.is_amazon() => "Error posting to Amazon",
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. },
            } => "Error reading from Amazon",
            state => state.kind().connector_status(),
        }
    }

    /// The command the order's state waits for, if any: what an engine sends again
    /// after a crash left it unanswered. Orders waiting for approval wait for a poll,
    /// not a command, so they have none.
    pub fn pending_command(&self) -> Option<Command> {
        let external_id = self.external_id.clone();
        let internal_id = self.internal_id.clone();
        Some(match &self.state {
            OrderState::ExpectSalesOrderCreated { draft } => Command::CreateSalesOrder {
                external_id,
                draft: draft.clone(),
            },
            OrderState::ExpectSalesOrderRead => self.read_command(),
            OrderState::ExpectAcknowledgementSubmitted { acknowledgement } => {
                Command::SubmitAcknowledgement {
                    key: self.acknowledgement_key(),
                    acknowledgement: acknowledgement.clone(),
                }
            }
            OrderState::ExpectAcknowledgementConfirmation { transaction_id, .. } => {
                Command::CheckAcknowledgement {
                    key: self.acknowledgement_key(),
                    transaction_id: transaction_id.clone(),
                }
            }
            OrderState::ExpectSalesOrderUpdated {
                changes, revision, ..
            } => Command::UpdateSalesOrder {
                external_id,
                internal_id,
                revision: *revision,
                changes: changes.clone(),
            },
            OrderState::ExpectSalesOrderClosed { .. } => Command::CloseSalesOrder {
                external_id,
                internal_id,
            },
            _ => return None,
        })
    }

    /// The read of the sales order back from NetSuite.
    pub(super) fn read_command(&self) -> Command {
        Command::ReadSalesOrder {
            external_id: self.external_id.clone(),
            internal_id: self.internal_id.clone(),
        }
    }

    /// The key of the acknowledgement in flight (version 1 before the first).
    pub(super) fn acknowledgement_key(&self) -> AcknowledgementKey {
        AcknowledgementKey {
            purchase_order_number: self.purchase_order.number.clone(),
            version: self
                .acknowledgement_version
                .unwrap_or(AcknowledgementVersion(1)),
        }
    }

    /// When the acknowledgement now awaited was taken by Amazon: the time of the last
    /// `AcknowledgementSubmitted` in the history.
    pub fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.history
            .iter()
            .rev()
            .find(|h| h.event == EventKind::AcknowledgementSubmitted)
            .map(|h| h.at)
    }

    /// The most acknowledgements the transaction carrying the acknowledgement waiting
    /// to go out may hold; `None`: any number.
    ///
    /// An acknowledgement Amazon left unjudged, in a refused transaction of several,
    /// goes out again in a transaction of at most half as many, so a refused batch is
    /// halved until each refusal is one order's own answer. It goes alone (`Some(1)`)
    /// after a refused transaction of a size not known, and when less than a
    /// [`HALVING_ROUND`] is left before the acknowledgement deadline; with a few rounds
    /// left, in transactions small enough to be narrowed down to one order in time.
    pub fn send_limit(&self) -> Option<u32> {
        self.send_limit
            .or_else(|| (self.unjudged_resends > 0).then_some(1))
    }

    /// Whether the acknowledgement waiting to go out must go alone, in a transaction
    /// of its own ([`OrderRecord::send_limit`] is one), so that Amazon's answer is its
    /// own.
    pub fn sends_alone(&self) -> bool {
        self.send_limit() == Some(1)
    }

    /// How many times the acknowledgement in flight went out again after an answer
    /// that did not judge it (at most [`MAX_UNJUDGED_RESENDS`]).
    pub fn unjudged_resends(&self) -> u32 {
        self.unjudged_resends
    }

    /// The state.
    pub fn state(&self) -> &OrderState {
        &self.state
    }

    /// The latest purchase order from Amazon.
    pub fn purchase_order(&self) -> &PurchaseOrder {
        &self.purchase_order
    }

    /// The NetSuite external id: derived from the program and PO number, so stable.
    pub fn external_id(&self) -> &ExternalId {
        &self.external_id
    }

    /// The NetSuite internal id, once NetSuite created the sales order.
    pub fn internal_id(&self) -> Option<&InternalId> {
        self.internal_id.as_ref()
    }

    /// The latest acknowledgement version built; `None` before the first.
    pub fn acknowledgement_version(&self) -> Option<AcknowledgementVersion> {
        self.acknowledgement_version
    }

    /// The last acknowledgement Amazon confirmed.
    pub fn confirmed_acknowledgement(&self) -> Option<&ConfirmedAcknowledgement> {
        self.confirmed.as_ref()
    }

    /// Who decided the acknowledgement's content, once one was built.
    pub fn approval(&self) -> Option<Approval> {
        self.approval
    }

    /// The acknowledgement deadline: 24 hours after Amazon's order date.
    pub fn acknowledgement_deadline(&self) -> DateTime<Utc> {
        self.acknowledgement_deadline
    }

    /// Which deadline notices went out.
    pub fn deadline_notices(&self) -> DeadlineNotices {
        self.deadline_notices
    }

    /// What the other notices that outlast a transition were raised for.
    pub fn raised_notices(&self) -> &RaisedNotices {
        &self.raised
    }

    /// The confirmed acknowledgement whose record at Amazon the engine is to read
    /// once more (retail: `getPurchaseOrdersStatus`; Direct Fulfillment: `getOrder`)
    /// and hand back as [`super::Event::AmazonRecordRead`]; `None` when there is
    /// none to read.
    #[must_use]
    pub fn reconciliation_due(&self) -> Option<AcknowledgementVersion> {
        self.reconciliation_due.filter(|_| !self.is_terminal())
    }

    /// When the read of Amazon's record is asked again after it failed; `None` when
    /// no read failed since the acknowledgement was confirmed.
    #[must_use]
    pub fn reconciliation_retry_at(&self) -> Option<DateTime<Utc>> {
        self.reconciliation_retry
            .as_ref()
            .filter(|_| self.reconciliation_due.is_some())
            .map(|r| r.next_at)
    }

    /// The last comparison of a confirmed acknowledgement with what Amazon recorded.
    #[must_use]
    pub fn reconciliation(&self) -> Option<&Reconciliation> {
        self.reconciliation.as_ref()
    }

    /// Why the order waits for a person, or why it ended, in a line for the report:
    /// Amazon's reasons for a rejection, the problems found, the failure of a
    /// command, the hold's or the close's reason. `None` for an order on its way.
    #[must_use]
    pub fn reason(&self) -> Option<String> {
        fn joined<T: std::fmt::Display>(items: &[T]) -> String {
            items
                .iter()
                .map(T::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        }
        match self.state() {
            OrderState::ExpectRepost { errors, .. } => Some(joined(errors)),
            OrderState::ExpectFix { attention } => Some(match attention {
                Attention::Mapping { problems, .. } | Attention::Unreadable { problems } => {
                    joined(problems)
                }
                Attention::Command { failure, .. } => failure.to_string(),
            }),
            OrderState::ExpectApproval { problems } if !problems.is_empty() => {
                Some(joined(problems))
            }
            OrderState::Held { reason, .. } => Some(reason.clone()),
            OrderState::Cancelled { reason } | OrderState::Closed { reason } => {
                Some(reason.to_string())
            }
            OrderState::ExpectChangeReview => {
                Some("Amazon changed the order after it was acknowledged".to_owned())
            }
            _ => None,
        }
    }

    /// The retry bookkeeping of the command the order waits for, if any.
    pub fn attempt(&self) -> Option<&Attempt> {
        self.attempt.as_ref()
    }

    /// The sales order as last sent to NetSuite (created or updated), if any.
    pub fn sales_order(&self) -> Option<&SalesOrderDraft> {
        self.sales_order.as_ref()
    }

    /// Every acknowledgement sent, oldest first, with Amazon's answer to each: its
    /// version, when it was written, each line's code, quantity and cost, the
    /// transaction id, and whether Amazon confirmed or rejected it (with Amazon's
    /// reasons). Empty for a record stored before the log was kept.
    pub fn acknowledgement_log(&self) -> &[AcknowledgementView] {
        &self.acknowledgements
    }

    /// Brings the acknowledgement log up to the record's state: the acknowledgement
    /// being sent or processed, the one Amazon confirmed, the one it rejected. Leaves
    /// the log as it is when nothing new happened, so an event that changes nothing
    /// leaves the record equal.
    pub(super) fn log_acknowledgements(&mut self, now: DateTime<Utc>) {
        if let Some(confirmed) = &self.confirmed {
            let answer = AcknowledgementAnswer::Confirmed {
                at: confirmed.confirmed_at,
            };
            let view =
                AcknowledgementView::of(confirmed.version, &confirmed.acknowledgement, answer);
            match self
                .acknowledgements
                .iter_mut()
                .find(|a| a.version == view.version)
            {
                Some(entry) if matches!(entry.answer, AcknowledgementAnswer::Confirmed { .. }) => {}
                Some(entry) => {
                    entry.answer = view.answer;
                    if entry.lines.is_empty() {
                        entry.lines = view.lines;
                        entry.acknowledged_at = view.acknowledged_at;
                    }
                }
                None => self.push_acknowledgement(view),
            }
        }
        let version = self.acknowledgement_version;
        match (self.state.unheld(), version) {
            (OrderState::ExpectAcknowledgementSubmitted { acknowledgement }, Some(v)) => {
                let view =
                    AcknowledgementView::of(v, acknowledgement, AcknowledgementAnswer::Pending);
                match self.acknowledgements.iter_mut().find(|a| a.version == v) {
                    Some(entry) => {
                        if entry.lines != view.lines
                            || entry.acknowledged_at != view.acknowledged_at
                        {
                            entry.lines = view.lines;
                            entry.acknowledged_at = view.acknowledged_at;
                        }
                    }
                    None => self.push_acknowledgement(view),
                }
            }
            (
                OrderState::ExpectAcknowledgementConfirmation {
                    acknowledgement,
                    transaction_id,
                    ..
                },
                Some(v),
            ) => {
                let answer = AcknowledgementAnswer::Processing {
                    transaction_id: transaction_id.clone(),
                };
                match self.acknowledgements.iter_mut().find(|a| a.version == v) {
                    Some(entry) if entry.answer == answer => {}
                    Some(entry) => {
                        entry.transaction_id = Some(transaction_id.clone());
                        entry.sent_at.get_or_insert(now);
                        entry.answer = answer;
                    }
                    None => {
                        let mut view = AcknowledgementView::of(v, acknowledgement, answer);
                        view.transaction_id = Some(transaction_id.clone());
                        view.sent_at = Some(now);
                        self.push_acknowledgement(view);
                    }
                }
            }
            (
                OrderState::ExpectRepost {
                    errors, version, ..
                },
                _,
            ) => {
                let answer = AcknowledgementAnswer::Rejected {
                    errors: errors.clone(),
                    at: Some(now),
                };
                match self
                    .acknowledgements
                    .iter_mut()
                    .find(|a| a.version == *version)
                {
                    Some(entry)
                        if matches!(entry.answer, AcknowledgementAnswer::Rejected { .. }) => {}
                    Some(entry) => entry.answer = answer,
                    None => self.push_acknowledgement(AcknowledgementView {
                        version: *version,
                        acknowledged_at: None,
                        lines: Vec::new(),
                        sent_at: None,
                        transaction_id: None,
                        answer,
                    }),
                }
            }
            _ => {}
        }
    }

    /// Adds a version to the log; an earlier one Amazon never judged is superseded.
    fn push_acknowledgement(&mut self, view: AcknowledgementView) {
        for earlier in &mut self.acknowledgements {
            if earlier.answer.is_open() {
                earlier.answer = AcknowledgementAnswer::Superseded;
            }
        }
        self.acknowledgements.push(view);
    }

    /// When the first acknowledgement went to Amazon: the first time Amazon took
    /// one, from the acknowledgement log (or the history, in a record stored before
    /// the log was kept).
    #[must_use]
    pub fn first_acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.acknowledgements
            .iter()
            .filter_map(|a| a.sent_at)
            .min()
            .or_else(|| {
                self.history
                    .iter()
                    .find(|h| h.event == EventKind::AcknowledgementSubmitted)
                    .map(|h| h.at)
            })
    }

    /// The order's compliance clocks under `rules` (the settings' `compliance`):
    /// each computed from the PO's own dates. The first acknowledgement's is met when
    /// Amazon first took one. The update window and the down-confirm cut-off are met
    /// when Amazon took the acknowledgement it confirmed last, once nothing newer is
    /// on its way: the units and costs it holds were settled then (a time after the
    /// clock shows it missed, say for an update a person confirmed late).
    #[must_use]
    pub fn compliance_clocks(&self, rules: &ComplianceRules) -> ComplianceClocks {
        let mut clocks = rules.clocks(&self.purchase_order, self.first_acknowledged_at());
        let settled_at = self
            .confirmed
            .as_ref()
            .filter(|c| self.acknowledgement_version == Some(c.version))
            .and_then(|c| {
                self.acknowledgements
                    .iter()
                    .find(|a| a.version == c.version)
                    .and_then(|a| a.sent_at)
            });
        clocks.update_window.met_at = settled_at;
        if let Some(cutoff) = clocks.down_confirm_cutoff.as_mut() {
            cutoff.met_at = settled_at;
        }
        clocks
    }

    /// Every transition so far, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }
}

/// Amazon's time to acknowledge from the order date: 24 hours, or the holiday window
/// ([`crate::compliance::ComplianceRules::first_acknowledgement_due`]).
pub(super) fn deadline_of(po: &PurchaseOrder, settings: &Settings) -> DateTime<Utc> {
    settings
        .compliance
        .first_acknowledgement_due(po.program, po.ordered_at)
}
