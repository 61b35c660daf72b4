//! The record's entry points into the machine: starting a record for an order
//! Amazon sent, and handling one event.

use chrono::{DateTime, Utc};

use crate::mapping::external_id;
use crate::order::PurchaseOrder;
use crate::settings::Settings;

use super::Machine;
use crate::lifecycle::command::Command;
use crate::lifecycle::error::TransitionError;
use crate::lifecycle::event::{Event, EventKind};
use crate::lifecycle::intake::{
    AmazonAcceptance, UnreadableOrder, accepted_at_amazon, acknowledged_before,
};
use crate::lifecycle::record::{
    DeadlineNotices, HistoryEntry, OrderRecord, RaisedNotices, SCHEMA_VERSION, deadline_of,
};
use crate::lifecycle::retry::RetryPolicy;
use crate::lifecycle::state::{Attention, MappingStep, OrderState};

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
    /// An order Amazon already shows acknowledged ([`acknowledged_before`]) is
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
        if acknowledged_before(&purchase_order) {
            let acceptance = accepted_at_amazon(&purchase_order, None);
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
    /// it ([`acknowledged_before`]), with what Amazon accepted of it
    /// ([`accepted_at_amazon`]). No acknowledgement is sent: the sales order is
    /// created Pending Fulfillment with the quantities Amazon accepted (a line it
    /// accepted none of is left out; an order it accepted nothing of is closed). When
    /// what Amazon accepted could not be read, the order waits for a person in
    /// [`Attention::Unreadable`] with the reasons.
    pub fn receive_acknowledged(
        purchase_order: PurchaseOrder,
        acceptance: &AmazonAcceptance,
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
    /// problems, holding only what identifies it ([`crate::lifecycle::UnreadableOrder`]). The
    /// next readable copy ([`Event::PurchaseOrderChanged`], or
    /// [`Event::PurchaseOrderFoundAcknowledged`]) takes it in as a new order.
    pub fn receive_unreadable(
        order: UnreadableOrder,
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
            acknowledgement_deadline: deadline_of(&purchase_order, settings),
            purchase_order,
            state: OrderState::ExpectFix {
                attention: Attention::Mapping {
                    problems: Vec::new(),
                    step: MappingStep::Receive,
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
            send_limit: None,
            compliance_confirmed: Vec::new(),
            reconciliation_due: None,
            reconciliation: None,
            reconciliation_retry: None,
            raised: RaisedNotices::default(),
            history: Vec::new(),
            acknowledgements: Vec::new(),
            purchase_orders: Vec::new(),
            found_late: None,
            unanswered: Vec::new(),
        };
        let mut machine = Machine::new(record, now, settings, policy);
        route(&mut machine);
        let (mut record, commands) = machine.finish();
        record.log_purchase_order(None, now);
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

    /// Before the engine sends again an acknowledgement whose answer never came (a
    /// crash, a lost answer): the record that holds it for a person instead, with
    /// its notice, when sending it now would break a compliance rule whose clock
    /// ran out since it was built (a quantity or cost update after the update
    /// window). `None` when it may go out as it is.
    #[must_use]
    pub fn hold_before_resend(
        &self,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Option<(OrderRecord, Vec<Command>)> {
        let policy = RetryPolicy::default();
        let mut machine = Machine::new(self.clone(), now, settings, &policy);
        if !machine.hold_before_resend() {
            return None;
        }
        let (mut record, commands) = machine.finish();
        let at = self.history.last().map_or(now, |last| last.at.max(now));
        record.history.push(HistoryEntry {
            at,
            event: EventKind::TimerElapsed,
            from: Some(self.state.kind()),
            to: record.state.kind(),
        });
        Some((record, commands))
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
        record.log_purchase_order(Some(self), now);
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
}
