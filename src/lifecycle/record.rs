//! The persisted per-order record and its transition function.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion};
use crate::ids::{ExternalId, InternalId};
use crate::mapping::external_id;
use crate::order::PurchaseOrder;
use crate::sales_order::SalesOrderDraft;
use crate::settings::Settings;

use super::command::Command;
use super::error::TransitionError;
use super::event::{Event, EventKind};
use super::machine::Machine;
use super::retry::RetryPolicy;
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
}

/// How many times an acknowledgement goes out again after an answer that did not
/// judge it ([`super::Event::AcknowledgementNotJudged`]); the next such answer hands
/// the order to a person with Amazon's messages.
pub const MAX_UNJUDGED_RESENDS: u32 = 2;

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
    /// Starts a record for a purchase order Amazon sent: maps it and decides the first
    /// step (create the sales order for review, or acknowledge at once when auto
    /// acknowledgement is on). Never fails: an order that cannot be mapped starts in
    /// [`OrderState::ExpectFix`] with its problems.
    pub fn receive(
        purchase_order: PurchaseOrder,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> (OrderRecord, Vec<Command>) {
        Self::receive_with(purchase_order, now, settings, &RetryPolicy::default())
    }

    /// [`OrderRecord::receive`] with a retry policy other than the default.
    ///
    /// An order Amazon already shows acknowledged ([`super::acknowledged_before`]) is
    /// never acknowledged again: a Direct Fulfillment order `ACCEPTED` is taken as
    /// accepted whole ([`OrderRecord::receive_acknowledged`]); a retail PO, whose
    /// accepted quantities are in Amazon's status report and not in the order, waits
    /// for a person in [`Attention::Unreadable`]. Call
    /// [`OrderRecord::receive_acknowledged`] with the status report instead.
    pub fn receive_with(
        purchase_order: PurchaseOrder,
        now: DateTime<Utc>,
        settings: &Settings,
        policy: &RetryPolicy,
    ) -> (OrderRecord, Vec<Command>) {
        if super::acknowledged_before(&purchase_order) {
            let acceptance = super::accepted_at_amazon(&purchase_order, None);
            return Self::start(
                purchase_order,
                now,
                settings,
                policy,
                EventKind::PurchaseOrderReceived,
                |machine| machine.route_acknowledged(&acceptance),
            );
        }
        Self::start(
            purchase_order,
            now,
            settings,
            policy,
            EventKind::PurchaseOrderReceived,
            |machine| machine.route_new(),
        )
    }

    /// Starts a record for a purchase order someone acknowledged before the sync saw
    /// it ([`super::acknowledged_before`]), with what Amazon accepted of it
    /// ([`super::accepted_at_amazon`]). No acknowledgement is sent: the sales order is
    /// created Pending Fulfillment with the quantities Amazon accepted (a line it
    /// accepted none of is left out; an order it accepted nothing of is closed). When
    /// what Amazon accepted could not be read, the order waits for a person in
    /// [`Attention::Unreadable`] with the reasons.
    pub fn receive_acknowledged(
        purchase_order: PurchaseOrder,
        acceptance: &super::AmazonAcceptance,
        now: DateTime<Utc>,
        settings: &Settings,
        policy: &RetryPolicy,
    ) -> (OrderRecord, Vec<Command>) {
        Self::start(
            purchase_order,
            now,
            settings,
            policy,
            EventKind::PurchaseOrderFoundAcknowledged,
            |machine| machine.route_acknowledged(acceptance),
        )
    }

    /// Starts a record for an order Amazon sent that cannot be read, so it is kept and
    /// shown until Amazon sends it readable: in [`Attention::Unreadable`] with its
    /// problems, holding only what identifies it ([`super::UnreadableOrder`]). The
    /// next readable copy ([`Event::PurchaseOrderChanged`], or
    /// [`Event::PurchaseOrderFoundAcknowledged`]) takes it in as a new order.
    pub fn receive_unreadable(
        order: super::UnreadableOrder,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> (OrderRecord, Vec<Command>) {
        let stand_in = order.stand_in(now);
        let problems = order.problems;
        Self::start(
            stand_in,
            now,
            settings,
            &RetryPolicy::default(),
            EventKind::PurchaseOrderReceived,
            |machine| machine.needs_reading(problems),
        )
    }

    fn start(
        purchase_order: PurchaseOrder,
        now: DateTime<Utc>,
        settings: &Settings,
        policy: &RetryPolicy,
        event: EventKind,
        route: impl FnOnce(&mut Machine<'_>),
    ) -> (OrderRecord, Vec<Command>) {
        let record = OrderRecord {
            schema_version: SCHEMA_VERSION,
            external_id: external_id(purchase_order.program, &purchase_order.number),
            acknowledgement_deadline: deadline_of(&purchase_order),
            purchase_order,
            state: OrderState::ExpectFix {
                attention: Attention::Mapping {
                    problems: Vec::new(),
                    step: super::state::MappingStep::Receive,
                },
            },
            internal_id: None,
            acknowledgement_version: None,
            confirmed: None,
            approval: None,
            deadline_notices: DeadlineNotices::default(),
            attempt: None,
            sales_order: None,
            sales_order_revision: 0,
            change_pending: false,
            unjudged_resends: 0,
            history: Vec::new(),
        };
        let mut machine = Machine::new(record, now, settings, policy);
        route(&mut machine);
        let (mut record, commands) = machine.finish();
        record.history.push(HistoryEntry {
            at: now,
            event,
            from: None,
            to: record.state.kind(),
        });
        (record, commands)
    }

    /// Applies one event: returns the next record and the commands to execute, with
    /// the default [`RetryPolicy`].
    ///
    /// An event already applied (a replay after a crash: the same sales order created
    /// again, the same acknowledgement version confirmed again, the same purchase order
    /// received again) returns the record unchanged and no commands.
    ///
    /// # Errors
    /// A [`TransitionError`] when the event does not fit the order's state, names
    /// another order, sales order or acknowledgement version, or reports the failure of
    /// a command the order is not waiting for. `self` is unchanged.
    pub fn handle(
        &self,
        event: &Event,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Result<(OrderRecord, Vec<Command>), TransitionError> {
        self.handle_with(event, now, settings, &RetryPolicy::default())
    }

    /// [`OrderRecord::handle`] with a retry policy other than the default.
    ///
    /// # Errors
    /// As [`OrderRecord::handle`].
    pub fn handle_with(
        &self,
        event: &Event,
        now: DateTime<Utc>,
        settings: &Settings,
        policy: &RetryPolicy,
    ) -> Result<(OrderRecord, Vec<Command>), TransitionError> {
        let mut machine = Machine::new(self.clone(), now, settings, policy);
        machine.handle(event)?;
        let (mut record, commands) = machine.finish();
        if record == *self && commands.is_empty() {
            return Ok((record, commands));
        }
        // Two workers' clocks may be minutes apart, and a clock may be stepped back:
        // the history stays in time order, never earlier than its last entry.
        let at = self.history.last().map_or(now, |last| last.at.max(now));
        record.history.push(HistoryEntry {
            at,
            event: event.kind(),
            from: Some(self.state.kind()),
            to: record.state.kind(),
        });
        Ok((record, commands))
    }

    /// When the engine should call back with [`Event::TimerElapsed`]: the earliest of
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
        if self.confirmed.is_none() {
            if !self.deadline_notices.warned {
                consider(self.deadline_warning_at(settings));
            } else if !self.deadline_notices.missed {
                consider(self.acknowledgement_deadline);
            }
        }
        next
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
            } if command_key.starts_with("amazon:") => "Error posting to Amazon",
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
        let settings = Settings::default();
        let policy = RetryPolicy::default();
        Machine::new(
            self.clone(),
            self.acknowledgement_deadline,
            &settings,
            &policy,
        )
        .pending_command()
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

    /// Whether the acknowledgement waiting to go out must go alone, in a transaction
    /// of its own: it goes out again after Amazon refused a transaction it shared with
    /// others, so that Amazon's answer is its own.
    pub fn sends_alone(&self) -> bool {
        self.unjudged_resends > 0
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

    /// The retry bookkeeping of the command the order waits for, if any.
    pub fn attempt(&self) -> Option<&Attempt> {
        self.attempt.as_ref()
    }

    /// The sales order as last sent to NetSuite (created or updated), if any.
    pub fn sales_order(&self) -> Option<&SalesOrderDraft> {
        self.sales_order.as_ref()
    }

    /// Every transition so far, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }
}

/// Amazon's 24 hours to acknowledge, from the order date.
pub(super) fn deadline_of(po: &PurchaseOrder) -> DateTime<Utc> {
    po.ordered_at
        .checked_add_signed(TimeDelta::hours(24))
        .unwrap_or(po.ordered_at)
}
