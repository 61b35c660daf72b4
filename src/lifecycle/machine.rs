//! The transition logic. Every function here is pure: it reads the record, the event,
//! the settings and `now`, and writes the next record and the commands.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::acknowledgement::{
    Acknowledgement, AcknowledgementCode, AcknowledgementVersion, df_status,
};
use crate::ids::ItemSequenceNumber;
use crate::mapping::{
    acknowledgement_from_sales_order, auto_acknowledgement, check_acknowledgement,
    rejects_everything, sales_order_draft,
};
use crate::order::{AmazonOrderState, Problem, PurchaseOrder};
use crate::sales_order::{
    NetSuiteStatus, SalesOrderDraft, SalesOrderLineDraft, SalesOrderSnapshot, SalesOrderStatus,
};
use crate::settings::{ChangedAfterAcknowledgementPolicy, OnAmazonRejectionPolicy, Settings};

use super::command::{AcknowledgementKey, Command, LineChange, Notice, SalesOrderChanges};
use super::error::TransitionError;
use super::event::{AmazonMessage, CommandFailure, Event, EventKind, FailureKind};
use super::intake::{
    AmazonAcceptance, accepted_at_amazon, acknowledged_before, acknowledgement_found,
};
use super::record::{
    Approval, Attempt, ConfirmedAcknowledgement, MAX_UNJUDGED_RESENDS, OrderRecord, deadline_of,
};
use super::retry::{RetryDecision, RetryPolicy, later};
use super::state::{Attention, CloseReason, MappingStep, OrderState};
use super::table;

pub(super) struct Machine<'a> {
    rec: OrderRecord,
    commands: Vec<Command>,
    now: DateTime<Utc>,
    settings: &'a Settings,
    policy: &'a RetryPolicy,
}

/// The end Amazon put to an order, if any: through its state, or by cancelling
/// every line (Amazon shows a cancelled line with quantity 0).
fn amazon_end(po: &PurchaseOrder) -> Option<CloseReason> {
    match po.state {
        AmazonOrderState::Cancelled => Some(CloseReason::CancelledByAmazon),
        AmazonOrderState::Closed => Some(CloseReason::ClosedByAmazon),
        _ if !po.lines.is_empty() && po.lines.iter().all(|l| l.ordered.amount == 0) => {
            Some(CloseReason::CancelledByAmazon)
        }
        _ => None,
    }
}

/// The eaches an acknowledgement accepted (or back-ordered), per PO line it answers.
fn accepted_eaches(ack: &Acknowledgement) -> BTreeMap<&ItemSequenceNumber, u64> {
    match ack {
        Acknowledgement::Retail(a) => a
            .lines
            .iter()
            .map(|l| {
                let eaches = l
                    .decisions
                    .iter()
                    .filter(|d| d.code != AcknowledgementCode::Rejected)
                    .map(|d| d.quantity.eaches().unwrap_or(u64::MAX))
                    .fold(0u64, u64::saturating_add);
                (&l.sequence, eaches)
            })
            .collect(),
        Acknowledgement::DirectFulfillment(a) => a
            .lines
            .iter()
            .map(|l| {
                let accepted = a.status_code == df_status::ACCEPTED;
                (&l.sequence, if accepted { l.quantity } else { 0 })
            })
            .collect(),
    }
}

/// Whether Amazon cancelled every line an acknowledgement accepted, with no line
/// added since: nothing is left to ship. `false` when it accepted nothing (that
/// order ended when Amazon confirmed it).
fn accepted_lines_cancelled(po: &PurchaseOrder, ack: &Acknowledgement) -> bool {
    let accepted = accepted_eaches(ack);
    accepted.values().any(|e| *e > 0)
        && po
            .lines
            .iter()
            .all(|l| accepted.contains_key(&l.sequence) || l.ordered.amount == 0)
        && po
            .lines
            .iter()
            .filter(|l| accepted.get(&l.sequence).is_some_and(|e| *e > 0))
            .all(|l| l.ordered.amount == 0)
}

fn terminal(reason: CloseReason) -> OrderState {
    if reason.is_completion() {
        OrderState::Closed { reason }
    } else {
        OrderState::Cancelled { reason }
    }
}

/// States in which a change from Amazon waits until the work in flight resolves.
fn defers_changes(state: &OrderState) -> bool {
    matches!(
        state,
        OrderState::ExpectAcknowledgementConfirmation { .. }
            | OrderState::ExpectSalesOrderUpdated { .. }
            | OrderState::ExpectSalesOrderClosed { .. }
            | OrderState::ExpectFix {
                attention: Attention::Command { .. }
            }
            | OrderState::Held { .. }
            | OrderState::Cancelled { .. }
            | OrderState::Closed { .. }
    )
}

/// The state under a hold, or the state itself.
fn unheld(state: &OrderState) -> &OrderState {
    match state {
        OrderState::Held { resume, .. } => resume,
        other => other,
    }
}

/// What changes turn sales order `old` into `new`, matching lines by PO line.
pub(super) fn diff(old: &SalesOrderDraft, new: &SalesOrderDraft) -> SalesOrderChanges {
    let before: BTreeMap<&ItemSequenceNumber, _> =
        old.lines.iter().map(|l| (&l.sequence, l)).collect();
    let mut lines = Vec::new();
    for line in &new.lines {
        match before.get(&line.sequence) {
            // A closed line NetSuite never had needs nothing.
            None if line.is_closed => {}
            None => lines.push(LineChange::Add {
                line: Box::new(line.clone()),
            }),
            // A line closed stays closed (see `carry_closed_lines`).
            Some(o) if o.is_closed => {}
            Some(_) if line.is_closed => lines.push(LineChange::Close {
                sequence: line.sequence.clone(),
            }),
            Some(o)
                if o.item != line.item || o.quantity != line.quantity || o.rate != line.rate =>
            {
                lines.push(LineChange::Set {
                    sequence: line.sequence.clone(),
                    item: (o.item != line.item).then(|| line.item.clone()),
                    quantity: line.quantity,
                    rate: line.rate,
                })
            }
            Some(_) => {}
        }
    }
    for line in old.lines.iter().filter(|l| !l.is_closed) {
        if !new.lines.iter().any(|l| l.sequence == line.sequence) {
            lines.push(LineChange::Close {
                sequence: line.sequence.clone(),
            });
        }
    }
    SalesOrderChanges {
        lines,
        ship_date: (old.ship_date != new.ship_date)
            .then_some(new.ship_date)
            .flatten(),
        status: None,
    }
}

/// Brings into `draft` every line of `previous` NetSuite holds closed or that `draft`
/// drops (a line Amazon cancelled, or one capped at nothing accepted), closed. The
/// sales order keeps such a line, so the draft must too: left out, a later change
/// that lists the line again would add a second one. A closed line is never
/// reopened: it may be one a reviewer, or an acknowledgement, refused.
fn carry_closed_lines(previous: &SalesOrderDraft, draft: &mut SalesOrderDraft) {
    for old in &previous.lines {
        match draft.lines.iter_mut().find(|l| l.sequence == old.sequence) {
            Some(line) if old.is_closed => *line = old.clone(),
            Some(_) => {}
            None => draft.lines.push(SalesOrderLineDraft {
                is_closed: true,
                ..old.clone()
            }),
        }
    }
}

/// Whether `copy` is an older copy of `held` than `held` itself: Amazon stamped a
/// change or a state change on `held` after the latest `copy` shows. A page read
/// before a change can be answered, or applied, after a page read after it (two
/// engines, overlapping windows, a slow answer); applying it would undo the change.
/// Copies stamped at the same instant are not ordered by this and both apply.
fn is_older(copy: &PurchaseOrder, held: &PurchaseOrder) -> bool {
    let before = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
        (None, Some(_)) => true,
        (Some(a), Some(b)) => a < b,
        (_, None) => false,
    };
    before(copy.changed_at, held.changed_at) || before(copy.state_changed_at, held.state_changed_at)
}

/// Whether Amazon's order differs, in its lines or ordered quantities, from what an
/// acknowledgement answered. A line with nothing ordered that the acknowledgement
/// left out is no difference.
fn differs_from(po: &PurchaseOrder, ack: &Acknowledgement) -> bool {
    let answered: Vec<&ItemSequenceNumber> = match ack {
        Acknowledgement::Retail(a) => a.lines.iter().map(|l| &l.sequence).collect(),
        Acknowledgement::DirectFulfillment(a) => a.lines.iter().map(|l| &l.sequence).collect(),
    };
    let gone = answered
        .iter()
        .any(|s| !po.lines.iter().any(|l| &l.sequence == *s));
    gone || po.lines.iter().any(|l| match ack {
        Acknowledgement::Retail(a) => match a.lines.iter().find(|al| al.sequence == l.sequence) {
            Some(al) => al.ordered != l.ordered,
            None => l.ordered.amount != 0,
        },
        Acknowledgement::DirectFulfillment(a) => {
            match a.lines.iter().find(|al| al.sequence == l.sequence) {
                Some(al) => Some(al.quantity) != l.ordered.eaches(),
                None => l.ordered.amount != 0,
            }
        }
    })
}

fn summary(problems: &[Problem]) -> String {
    match problems {
        [] => "the order needs attention".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl<'a> Machine<'a> {
    pub(super) fn new(
        rec: OrderRecord,
        now: DateTime<Utc>,
        settings: &'a Settings,
        policy: &'a RetryPolicy,
    ) -> Self {
        Machine {
            rec,
            commands: Vec::new(),
            now,
            settings,
            policy,
        }
    }

    pub(super) fn finish(self) -> (OrderRecord, Vec<Command>) {
        (self.rec, self.commands)
    }

    /// The end Amazon put to the order with `po`: through its state or lines, or by
    /// cancelling every line the confirmed acknowledgement accepted.
    fn amazon_ended(&self, po: &PurchaseOrder) -> Option<CloseReason> {
        amazon_end(po).or_else(|| {
            self.rec
                .confirmed
                .as_ref()
                .filter(|c| accepted_lines_cancelled(po, &c.acknowledgement))
                .map(|_| CloseReason::CancelledByAmazon)
        })
    }

    fn po_number(&self) -> String {
        self.rec.purchase_order.number.to_string()
    }

    /// Checks that the event is for this order, drops replays, and applies it.
    pub(super) fn handle(&mut self, event: &Event) -> Result<(), TransitionError> {
        self.check_identity(event)?;
        if self.is_replay(event) {
            return Ok(());
        }
        self.step(event)
    }

    fn check_identity(&self, event: &Event) -> Result<(), TransitionError> {
        let kind = event.kind();
        match event {
            Event::PurchaseOrderReceived { purchase_order }
            | Event::PurchaseOrderChanged { purchase_order }
            | Event::PurchaseOrderFoundAcknowledged { purchase_order, .. } => {
                let own = &self.rec.purchase_order;
                if purchase_order.number != own.number || purchase_order.program != own.program {
                    return Err(TransitionError::WrongPurchaseOrder {
                        purchase_order_number: self.po_number(),
                        event: kind,
                        found: purchase_order.number.to_string(),
                        program: purchase_order.program.to_string(),
                    });
                }
            }
            Event::SalesOrderRead { snapshot } => {
                if snapshot.external_id != self.rec.external_id {
                    return Err(TransitionError::WrongSalesOrder {
                        purchase_order_number: self.po_number(),
                        event: kind,
                        expected: self.rec.external_id.to_string(),
                        found: snapshot.external_id.to_string(),
                    });
                }
                self.check_internal_id(kind, &snapshot.internal_id)?;
            }
            Event::SalesOrderCreated { internal_id } => {
                self.check_internal_id(kind, internal_id)?
            }
            Event::SalesOrderUpdated { revision }
                if *revision == 0 || *revision > self.rec.sales_order_revision =>
            {
                return Err(TransitionError::UnknownSalesOrderRevision {
                    purchase_order_number: self.po_number(),
                    found: *revision,
                    latest: self.rec.sales_order_revision,
                });
            }
            Event::AcknowledgementSubmitted { version, .. }
            | Event::AcknowledgementStillProcessing { version }
            | Event::AcknowledgementConfirmed { version }
            | Event::AcknowledgementNotJudged { version, .. }
            | Event::AcknowledgementFailed { version, .. } => {
                let latest = self.rec.acknowledgement_version;
                if latest.is_none_or(|l| *version > l) {
                    return Err(TransitionError::UnknownAcknowledgementVersion {
                        purchase_order_number: self.po_number(),
                        event: kind,
                        found: version.0,
                        latest: latest.map(|v| v.0),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn check_internal_id(
        &self,
        kind: EventKind,
        found: &crate::ids::InternalId,
    ) -> Result<(), TransitionError> {
        match &self.rec.internal_id {
            Some(own) if own != found => Err(TransitionError::WrongSalesOrder {
                purchase_order_number: self.po_number(),
                event: kind,
                expected: own.to_string(),
                found: found.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// An outcome already applied, a copy of the purchase order older than the one
    /// held, or one about an acknowledgement version that is no longer in flight:
    /// applying it would change nothing or undo a newer change, so it is dropped.
    fn is_replay(&self, event: &Event) -> bool {
        let state = unheld(&self.rec.state);
        match event {
            Event::PurchaseOrderReceived { purchase_order }
            | Event::PurchaseOrderChanged { purchase_order } => {
                **purchase_order == self.rec.purchase_order
                    || is_older(purchase_order, &self.rec.purchase_order)
            }
            // Only an order that waits for a readable copy is taken in this way; the
            // same copy again is taken too, since what Amazon accepted may read now.
            Event::PurchaseOrderFoundAcknowledged { purchase_order, .. } => {
                !self.rec.awaits_readable_order()
                    || is_older(purchase_order, &self.rec.purchase_order)
            }
            // Amazon's cancellation of an order that has ended, or whose sales order is
            // being closed already, changes nothing: the close is not sent twice.
            Event::PurchaseOrderCancelled => {
                self.rec.state.is_terminal()
                    || matches!(&self.rec.state, OrderState::ExpectSalesOrderClosed { .. })
            }
            Event::SalesOrderCreated { internal_id } => {
                self.rec.internal_id.as_ref() == Some(internal_id)
                    && !matches!(state, OrderState::ExpectSalesOrderCreated { .. })
            }
            Event::SalesOrderUpdated { revision } => !matches!(
                state,
                OrderState::ExpectSalesOrderUpdated { revision: r, .. } if r == revision
            ),
            Event::SalesOrderClosed => self.rec.state.is_terminal(),
            Event::AcknowledgementSubmitted { version, .. } => match state {
                OrderState::ExpectAcknowledgementSubmitted { .. } => {
                    Some(*version) != self.rec.acknowledgement_version
                }
                _ => true,
            },
            Event::AcknowledgementStillProcessing { version } => match state {
                OrderState::ExpectAcknowledgementConfirmation { .. } => {
                    Some(*version) != self.rec.acknowledgement_version
                        || self
                            .rec
                            .attempt
                            .as_ref()
                            .is_some_and(|a| a.next_at.is_some())
                }
                OrderState::ExpectAcknowledgementSubmitted { .. } => {
                    Some(*version) != self.rec.acknowledgement_version
                }
                _ => true,
            },
            Event::AcknowledgementConfirmed { version }
            | Event::AcknowledgementNotJudged { version, .. }
            | Event::AcknowledgementFailed { version, .. } => match state {
                OrderState::ExpectAcknowledgementSubmitted { .. }
                | OrderState::ExpectAcknowledgementConfirmation { .. } => {
                    Some(*version) != self.rec.acknowledgement_version
                }
                _ => true,
            },
            Event::CommandFailed { .. } => self
                .rec
                .attempt
                .as_ref()
                .is_some_and(|a| a.next_at.is_some()),
            _ => false,
        }
    }

    fn step(&mut self, event: &Event) -> Result<(), TransitionError> {
        let kind = event.kind();
        let state = self.rec.state.kind();
        if !table::accepts(state, kind) {
            return Err(TransitionError::InappropriateEvent {
                purchase_order_number: self.po_number(),
                state,
                event: kind,
                expected: table::accepted(state),
            });
        }
        if let OrderState::Held { reason, resume } = &self.rec.state {
            let ends_the_order = match event {
                Event::PurchaseOrderReceived { purchase_order }
                | Event::PurchaseOrderChanged { purchase_order }
                | Event::PurchaseOrderFoundAcknowledged { purchase_order, .. } => {
                    self.amazon_ended(purchase_order).is_some()
                }
                _ => false,
            };
            let handled_by_the_hold = ends_the_order
                || matches!(
                    kind,
                    EventKind::ReleaseRequested
                        | EventKind::CancelRequested
                        | EventKind::PurchaseOrderCancelled
                        | EventKind::TimerElapsed
                );
            if !handled_by_the_hold {
                return self.held(reason.clone(), (**resume).clone(), event);
            }
        }
        match event {
            Event::PurchaseOrderReceived { purchase_order }
            | Event::PurchaseOrderChanged { purchase_order } => {
                self.rec.purchase_order = (**purchase_order).clone();
                self.apply_change();
            }
            Event::PurchaseOrderFoundAcknowledged {
                purchase_order,
                acceptance,
            } => {
                self.rec.purchase_order = (**purchase_order).clone();
                self.rec.acknowledgement_deadline = deadline_of(purchase_order);
                self.route_acknowledged(acceptance);
            }
            Event::PurchaseOrderCancelled => self.close(CloseReason::CancelledByAmazon),
            Event::SalesOrderCreated { internal_id } => {
                self.rec.internal_id = Some(internal_id.clone());
                self.on_created();
            }
            Event::SalesOrderUpdated { .. } => {
                if let OrderState::ExpectSalesOrderUpdated {
                    changes, resume, ..
                } = &self.rec.state
                {
                    let (status, resume) = (changes.status, (**resume).clone());
                    // The record follows NetSuite's approval status once NetSuite took it.
                    if let (Some(status), Some(draft)) = (status, &mut self.rec.sales_order) {
                        draft.status = status;
                    }
                    self.reenter(resume, false);
                }
            }
            Event::SalesOrderClosed => self.on_closed(),
            Event::SalesOrderRead { snapshot } => self.on_read(snapshot),
            Event::AcknowledgementSubmitted {
                transaction_id,
                orders,
                ..
            } => {
                if let OrderState::ExpectAcknowledgementSubmitted { acknowledgement } =
                    &self.rec.state
                {
                    let acknowledgement = acknowledgement.clone();
                    self.enter(OrderState::ExpectAcknowledgementConfirmation {
                        acknowledgement,
                        transaction_id: transaction_id.clone(),
                        checks: 0,
                        orders: *orders,
                    });
                }
            }
            Event::AcknowledgementStillProcessing { .. } => self.on_still_processing(),
            Event::AcknowledgementConfirmed { .. } => self.on_confirmed(),
            Event::AcknowledgementFailed { errors, .. } => self.on_rejected(errors.clone()),
            Event::AcknowledgementNotJudged { errors, .. } => self.on_not_judged(errors.clone()),
            Event::CommandFailed {
                command_key,
                failure,
            } => self.on_command_failed(command_key, failure)?,
            Event::TimerElapsed => self.on_timer(),
            Event::RetryRequested => self.on_retry(),
            Event::RepostRequested => self.on_repost(),
            Event::HoldRequested { reason } => {
                let resume = Box::new(self.rec.state.clone());
                self.rec.state = OrderState::Held {
                    reason: reason.clone(),
                    resume,
                };
            }
            Event::ReleaseRequested => {
                if let OrderState::Held { resume, .. } = &self.rec.state {
                    let resume = (**resume).clone();
                    self.reenter(resume, false);
                }
            }
            Event::CancelRequested { reason } => self.close(CloseReason::CancelledByOperator {
                reason: reason.clone(),
            }),
        }
        self.settle();
        Ok(())
    }

    /// Applies an outcome to the state under a hold: facts are never lost, but nothing
    /// new starts until release (the released state sends what it waits for).
    fn held(
        &mut self,
        reason: String,
        resume: OrderState,
        event: &Event,
    ) -> Result<(), TransitionError> {
        let mut inner_record = self.rec.clone();
        inner_record.state = resume;
        let mut inner = Machine::new(inner_record, self.now, self.settings, self.policy);
        inner.step(event)?;
        let (record, commands) = inner.finish();
        self.rec = record;
        if self.rec.state.is_terminal() {
            self.commands.extend(commands);
        } else {
            let state = self.rec.state.clone();
            self.rec.state = OrderState::Held {
                reason,
                resume: Box::new(state),
            };
            self.commands.extend(
                commands
                    .into_iter()
                    .filter(|c| matches!(c, Command::Notify { .. })),
            );
        }
        Ok(())
    }

    /// Moves to `state`, sending what it waits for.
    fn enter(&mut self, state: OrderState) {
        self.rec.state = state;
        self.rec.attempt = None;
        if let OrderState::ExpectAcknowledgementConfirmation { .. } = self.rec.state {
            // Amazon processes acknowledgements asynchronously: check after a while.
            self.rec.attempt = Some(Attempt {
                failures: 0,
                next_at: Some(later(self.now, self.policy.check_delay(0))),
                last_error: None,
            });
        } else if let Some(command) = self.pending_command() {
            self.commands.push(command);
            self.rec.attempt = Some(Attempt {
                failures: 0,
                next_at: None,
                last_error: None,
            });
        }
    }

    /// Sends the pending command again, keeping the failure count.
    fn dispatch(&mut self) {
        if let Some(command) = self.pending_command() {
            self.commands.push(command);
            let attempt = self.rec.attempt.get_or_insert(Attempt {
                failures: 0,
                next_at: None,
                last_error: None,
            });
            attempt.next_at = None;
        }
    }

    fn acknowledgement_key(&self) -> AcknowledgementKey {
        AcknowledgementKey {
            purchase_order_number: self.rec.purchase_order.number.clone(),
            version: self
                .rec
                .acknowledgement_version
                .unwrap_or(AcknowledgementVersion(1)),
        }
    }

    fn read_command(&self) -> Command {
        Command::ReadSalesOrder {
            external_id: self.rec.external_id.clone(),
            internal_id: self.rec.internal_id.clone(),
        }
    }

    /// The command the current state waits for.
    pub(super) fn pending_command(&self) -> Option<Command> {
        let external_id = self.rec.external_id.clone();
        let internal_id = self.rec.internal_id.clone();
        Some(match &self.rec.state {
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

    fn notify(&mut self, notice: Notice) {
        self.commands.push(Command::Notify {
            purchase_order_number: self.rec.purchase_order.number.clone(),
            notice,
            occurrence: u64::try_from(self.rec.history.len())
                .unwrap_or(u64::MAX)
                .saturating_add(1),
        });
    }

    fn needs_mapping(&mut self, problems: Vec<Problem>, step: MappingStep) {
        let summary = summary(&problems);
        self.enter(OrderState::ExpectFix {
            attention: Attention::Mapping { problems, step },
        });
        self.notify(Notice::NeedsAttention { summary });
    }

    /// Waits for Amazon to send the order readable, with why it cannot be used.
    pub(super) fn needs_reading(&mut self, problems: Vec<Problem>) {
        let summary = summary(&problems);
        self.enter(OrderState::ExpectFix {
            attention: Attention::Unreadable { problems },
        });
        self.notify(Notice::NeedsAttention { summary });
    }

    /// Takes in an order someone acknowledged before the sync saw it: records what
    /// Amazon accepted as the confirmed acknowledgement (so every later change is
    /// capped by it, as by one the sync sent) and creates the sales order Pending
    /// Fulfillment with it. Nothing is sent to Amazon.
    pub(super) fn route_acknowledged(&mut self, acceptance: &AmazonAcceptance) {
        let po = self.rec.purchase_order.clone();
        if let Some(reason) = self.amazon_ended(&po) {
            return self.close(reason);
        }
        let acknowledgement = match acceptance {
            AmazonAcceptance::Unreadable { problems } => {
                return self.needs_reading(problems.clone());
            }
            AmazonAcceptance::Lines { lines } => {
                acknowledgement_found(&po, Some(lines), self.settings, self.now)
            }
            AmazonAcceptance::Whole => acknowledgement_found(&po, None, self.settings, self.now),
        };
        self.rec.confirmed = Some(ConfirmedAcknowledgement {
            version: AcknowledgementVersion(0),
            acknowledgement,
            confirmed_at: self.now,
        });
        self.rec.approval = Some(Approval::AcknowledgedAtAmazon);
        self.create_sales_order(
            SalesOrderStatus::PendingFulfillment,
            MappingStep::CreateAfterAcknowledgement,
        );
    }

    /// Maps a received order and takes the first step.
    pub(super) fn route_new(&mut self) {
        let po = &self.rec.purchase_order;
        if let Some(reason) = self.amazon_ended(po) {
            return self.close(reason);
        }
        let auto = self.settings.is_auto_acknowledged(po.program);
        let status = if auto {
            SalesOrderStatus::PendingFulfillment
        } else {
            SalesOrderStatus::PendingApproval
        };
        if auto {
            self.acknowledge_without_review(Approval::AutoAcknowledgement);
        } else {
            self.create_sales_order(status, MappingStep::Receive);
        }
    }

    /// Acknowledges straight from Amazon's order: auto acknowledgement, or an order
    /// whose every line the policy rejects.
    fn acknowledge_without_review(&mut self, approval: Approval) {
        let po = &self.rec.purchase_order;
        let mapped =
            match sales_order_draft(po, self.settings, SalesOrderStatus::PendingFulfillment) {
                Ok(mapped) => mapped,
                Err(e) => return self.needs_mapping(e.problems, MappingStep::Receive),
            };
        match auto_acknowledgement(po, &mapped, self.settings, self.now) {
            Ok(ack) => {
                self.rec.approval = Some(approval);
                self.start_acknowledgement(ack);
            }
            Err(e) => self.needs_mapping(e.problems, MappingStep::Receive),
        }
    }

    /// Maps the latest order and creates its sales order with `status`.
    fn create_sales_order(&mut self, status: SalesOrderStatus, step: MappingStep) {
        let draft = sales_order_draft(&self.rec.purchase_order, self.settings, status);
        let draft = match (draft, &self.rec.confirmed) {
            // What Amazon accepted of an order acknowledged elsewhere is all it ships:
            // a line capped at what was accepted, one accepted none of left out.
            (Ok(mut mapped), Some(confirmed))
                if self.rec.approval == Some(Approval::AcknowledgedAtAmazon) =>
            {
                let accepted = accepted_eaches(&confirmed.acknowledgement);
                // A line Amazon accepted must ship: the unmapped-item policy cannot
                // reject it any more, so its item must be mapped.
                let unmapped: Vec<Problem> = self
                    .rec
                    .purchase_order
                    .lines
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| {
                        mapped.rejected_lines.contains(&l.sequence)
                            && accepted.get(&l.sequence).is_some_and(|e| *e > 0)
                    })
                    .map(|(index, l)| Problem {
                        purchase_order_number: self.po_number(),
                        line: Some(l.sequence.to_string()),
                        field: format!("items[{index}]"),
                        kind: crate::order::ProblemKind::UnmappedItem {
                            vendor_sku: l.vendor_sku.as_ref().map(|v| v.to_string()),
                            asin: l.asin.as_ref().map(|a| a.to_string()),
                        },
                    })
                    .collect();
                if !unmapped.is_empty() {
                    return self.needs_mapping(unmapped, step);
                }
                mapped
                    .draft
                    .lines
                    .retain_mut(|line| match accepted.get(&line.sequence) {
                        Some(0) | None => false,
                        Some(eaches) => {
                            line.quantity = line.quantity.min(*eaches);
                            true
                        }
                    });
                Ok(mapped)
            }
            (draft, _) => draft,
        };
        match draft {
            Err(e) => self.needs_mapping(e.problems, step),
            Ok(mapped) if mapped.draft.lines.is_empty() => match status {
                // Nothing to review: every line is rejected by policy.
                SalesOrderStatus::PendingApproval => {
                    self.acknowledge_without_review(Approval::RejectedByPolicy)
                }
                SalesOrderStatus::PendingFulfillment => self.enter(OrderState::Closed {
                    reason: CloseReason::NothingToShip,
                }),
            },
            Ok(mut mapped) => {
                // An earlier create may have made the sales order though its answer
                // was lost, with lines Amazon has cancelled since. The create is an
                // upsert that leaves alone the lines it does not name: name them,
                // closed.
                if let Some(previous) = &self.rec.sales_order {
                    carry_closed_lines(previous, &mut mapped.draft);
                }
                self.rec.sales_order = Some(mapped.draft.clone());
                self.enter(OrderState::ExpectSalesOrderCreated {
                    draft: Box::new(mapped.draft),
                });
            }
        }
    }

    fn start_acknowledgement(&mut self, acknowledgement: Acknowledgement) {
        let next = match self.rec.acknowledgement_version {
            None => Some(1),
            Some(v) => v.0.checked_add(1),
        };
        match next {
            Some(v) => {
                self.rec.acknowledgement_version = Some(AcknowledgementVersion(v));
                self.rec.unjudged_resends = 0;
                self.enter(OrderState::ExpectAcknowledgementSubmitted {
                    acknowledgement: Box::new(acknowledgement),
                });
            }
            None => self.needs_mapping(
                vec![Problem {
                    purchase_order_number: self.po_number(),
                    line: None,
                    field: "acknowledgement.version".into(),
                    kind: crate::order::ProblemKind::OutOfRange {
                        what: "no acknowledgement version is left".into(),
                    },
                }],
                MappingStep::Receive,
            ),
        }
    }

    fn on_created(&mut self) {
        if let OrderState::ExpectSalesOrderCreated { draft } = &self.rec.state {
            if draft.status == SalesOrderStatus::PendingApproval {
                self.enter(OrderState::ExpectApproval {
                    problems: Vec::new(),
                });
            } else {
                self.enter(OrderState::ExpectShipment);
            }
        } else if self.rec.state.is_terminal() {
            // A create that was in flight when the order ended: close what it made.
            // (In other states the internal id is recorded and nothing else changes.)
            let close = self.close_command();
            self.commands.push(close);
        }
    }

    fn close_command(&self) -> Command {
        Command::CloseSalesOrder {
            external_id: self.rec.external_id.clone(),
            internal_id: self.rec.internal_id.clone(),
        }
    }

    fn on_closed(&mut self) {
        if let OrderState::ExpectSalesOrderClosed { reason } = &self.rec.state {
            let reason = reason.clone();
            self.enter(terminal(reason));
        }
    }

    /// Ends the order, closing its sales order first when one was asked for.
    fn close(&mut self, reason: CloseReason) {
        if self.rec.sales_order.is_some() || self.rec.internal_id.is_some() {
            self.enter(OrderState::ExpectSalesOrderClosed { reason });
        } else {
            self.enter(terminal(reason));
        }
    }

    fn on_read(&mut self, snapshot: &SalesOrderSnapshot) {
        if self.rec.internal_id.is_none() {
            self.rec.internal_id = Some(snapshot.internal_id.clone());
        }
        if let OrderState::ExpectRepost {
            returned_to_approval: false,
            ..
        } = self.rec.state
        {
            // The sales order stayed approved through the rejection: only a repost
            // sends a new acknowledgement.
            return;
        }
        if snapshot.status == NetSuiteStatus::PendingApproval {
            if let OrderState::ExpectSalesOrderRead = self.rec.state {
                self.enter(OrderState::ExpectApproval {
                    problems: Vec::new(),
                });
            }
            return;
        }
        let previous = self.rec.confirmed.as_ref().map(|c| &c.acknowledgement);
        match acknowledgement_from_sales_order(
            &self.rec.purchase_order,
            snapshot,
            previous,
            self.settings,
            self.now,
        ) {
            Ok(ack) => {
                self.rec.approval = Some(Approval::Reviewed);
                self.start_acknowledgement(ack);
            }
            // Amazon's rules: the reviewer sees why, and nothing is sent.
            Err(e) => self.enter(OrderState::ExpectApproval {
                problems: e.problems,
            }),
        }
    }

    fn on_still_processing(&mut self) {
        if let OrderState::ExpectAcknowledgementConfirmation { checks, .. } = &mut self.rec.state {
            *checks = checks.saturating_add(1);
            let delay = self.policy.check_delay(*checks);
            let attempt = self.rec.attempt.get_or_insert(Attempt {
                failures: 0,
                next_at: None,
                last_error: None,
            });
            attempt.next_at = Some(later(self.now, delay));
        }
    }

    fn in_flight_acknowledgement(&self) -> Option<Acknowledgement> {
        match &self.rec.state {
            OrderState::ExpectAcknowledgementSubmitted { acknowledgement }
            | OrderState::ExpectAcknowledgementConfirmation {
                acknowledgement, ..
            } => Some((**acknowledgement).clone()),
            _ => None,
        }
    }

    fn on_confirmed(&mut self) {
        let (Some(acknowledgement), Some(version)) = (
            self.in_flight_acknowledgement(),
            self.rec.acknowledgement_version,
        ) else {
            return;
        };
        self.rec.unjudged_resends = 0;
        self.rec.confirmed = Some(ConfirmedAcknowledgement {
            version,
            acknowledgement: acknowledgement.clone(),
            confirmed_at: self.now,
        });
        let changed =
            self.rec.change_pending && differs_from(&self.rec.purchase_order, &acknowledgement);
        self.rec.change_pending = false;
        if rejects_everything(&acknowledgement) {
            // Nothing to ship; a sales order the reviewer left open is closed.
            return self.close(CloseReason::NothingToShip);
        }
        if changed {
            // Amazon may have cancelled every line just accepted while it waited.
            let po = self.rec.purchase_order.clone();
            if let Some(reason) = self.amazon_ended(&po) {
                return self.close(reason);
            }
            return self.apply_policy(OrderState::ExpectShipment);
        }
        if self.rec.internal_id.is_none() {
            // Auto acknowledgement: Amazon confirmed, so the order is posted to NetSuite
            // ready to fulfil.
            self.create_sales_order(
                SalesOrderStatus::PendingFulfillment,
                MappingStep::CreateAfterAcknowledgement,
            );
        } else {
            self.enter(OrderState::ExpectShipment);
        }
    }

    /// The transaction was refused without judging this acknowledgement: send the same
    /// acknowledgement alone, as the next version, at most [`MAX_UNJUDGED_RESENDS`]
    /// times; then a person gets the order with Amazon's messages.
    fn on_not_judged(&mut self, errors: Vec<AmazonMessage>) {
        let Some(acknowledgement) = self.in_flight_acknowledgement() else {
            return;
        };
        let previous = self.rec.confirmed.as_ref().map(|c| &c.acknowledgement);
        let po = &self.rec.purchase_order;
        let stale = differs_from(po, &acknowledgement)
            || check_acknowledgement(po, &acknowledgement, previous).is_err();
        self.rec.change_pending = false;
        if !stale {
            let resends = self.rec.unjudged_resends;
            if resends >= MAX_UNJUDGED_RESENDS {
                return self.unjudged_to_person(acknowledgement, errors);
            }
            self.start_acknowledgement(acknowledgement);
            if matches!(
                self.rec.state,
                OrderState::ExpectAcknowledgementSubmitted { .. }
            ) {
                self.rec.unjudged_resends = resends.saturating_add(1);
            }
            return;
        }
        self.rec.unjudged_resends = 0;
        // Amazon changed the order meanwhile: decide again, as for a change that comes
        // before an acknowledgement is sent.
        match self.rec.approval {
            Some(Approval::Reviewed) if self.rec.confirmed.is_some() => {
                self.apply_policy(OrderState::ExpectShipment)
            }
            // The approval was read already and NetSuite may show no change again:
            // once it is up to date, read the approved order and build anew.
            Some(Approval::Reviewed) => {
                self.update_netsuite(OrderState::ExpectSalesOrderRead, Some(&acknowledgement))
            }
            _ => self.route_new(),
        }
    }

    /// Amazon left the acknowledgement unjudged once more after it went out alone
    /// [`MAX_UNJUDGED_RESENDS`] times: the order needs a person, who sees Amazon's
    /// messages. Retrying sends it again, alone, as a version Amazon has not seen.
    fn unjudged_to_person(&mut self, acknowledgement: Acknowledgement, errors: Vec<AmazonMessage>) {
        let key = self.pending_command().map(|c| c.key()).unwrap_or_default();
        let attempts = self.rec.unjudged_resends.saturating_add(1);
        let Some(next) = self
            .rec
            .acknowledgement_version
            .and_then(|v| v.0.checked_add(1))
        else {
            // No version is left: the same problem as for any new acknowledgement.
            return self.start_acknowledgement(acknowledgement);
        };
        self.rec.acknowledgement_version = Some(AcknowledgementVersion(next));
        self.rec.state = OrderState::ExpectAcknowledgementSubmitted {
            acknowledgement: Box::new(acknowledgement),
        };
        let failure = CommandFailure {
            kind: FailureKind::Rejected {
                messages: errors.iter().map(ToString::to_string).collect(),
            },
            exhausted: true,
        };
        self.give_up(&key, &failure, attempts);
    }

    /// Amazon rejected the acknowledgement. While the rejection stands, nothing
    /// should ship: a sales order is set back to Pending Approval (unless the policy
    /// leaves it approved), and its next approval sends a new acknowledgement. An
    /// order acknowledged automatically that has no sales order yet only waits for a
    /// repost.
    fn on_rejected(&mut self, errors: Vec<AmazonMessage>) {
        self.rec.unjudged_resends = 0;
        let version = self
            .rec
            .acknowledgement_version
            .unwrap_or(AcknowledgementVersion(1));
        let return_to_approval = self.settings.policies.on_amazon_rejection
            == OnAmazonRejectionPolicy::ReturnToPendingApproval
            && self.rec.internal_id.is_some();
        let rejected = OrderState::ExpectRepost {
            errors: errors.clone(),
            version,
            returned_to_approval: return_to_approval,
        };
        if return_to_approval {
            self.set_approval(SalesOrderStatus::PendingApproval, rejected);
        } else {
            self.enter(rejected);
        }
        self.notify(Notice::RejectedByAmazon { version, errors });
    }

    /// Sets the sales order's approval status in NetSuite, then continues in
    /// `resume`.
    fn set_approval(&mut self, status: SalesOrderStatus, resume: OrderState) {
        self.rec.sales_order_revision = self.rec.sales_order_revision.saturating_add(1);
        self.enter(OrderState::ExpectSalesOrderUpdated {
            changes: SalesOrderChanges {
                status: Some(status),
                ..SalesOrderChanges::default()
            },
            revision: self.rec.sales_order_revision,
            resume: Box::new(resume),
        });
    }

    /// NetSuite kept the sales order's status (an order it shows closed, cancelled or
    /// fulfilled cannot go back to Pending Approval, nor be approved again), so the
    /// order goes on from the sales order as it stands. Back to Pending Approval after
    /// Amazon's rejection: nothing more can ship, and the order waits for a repost as
    /// if the policy had left it approved. Approved by a repost: the order is read and
    /// acknowledged as it stands (a sales order closed in full is acknowledged as
    /// rejected, then closed out).
    fn on_status_refused(&mut self, resume: OrderState) {
        match resume {
            OrderState::ExpectRepost {
                errors, version, ..
            } => self.reenter(
                OrderState::ExpectRepost {
                    errors,
                    version,
                    returned_to_approval: false,
                },
                false,
            ),
            resume => self.reenter(resume, false),
        }
    }

    fn on_command_failed(
        &mut self,
        key: &str,
        failure: &CommandFailure,
    ) -> Result<(), TransitionError> {
        let awaits_approval = matches!(
            &self.rec.state,
            OrderState::ExpectApproval { .. }
                | OrderState::ExpectRepost {
                    returned_to_approval: true,
                    ..
                }
        );
        let expected = if awaits_approval {
            Some(self.read_command())
        } else {
            self.pending_command()
        }
        .map(|c| c.key());
        if expected.as_deref() != Some(key) {
            return Err(TransitionError::UnexpectedCommand {
                purchase_order_number: self.po_number(),
                state: self.rec.state.kind(),
                command_key: key.to_owned(),
                expected,
            });
        }
        let not_found = matches!(failure.kind, FailureKind::NotFound { .. });
        match (&self.rec.state, &failure.kind) {
            // A one-off read of an order awaiting approval; the next read will do,
            // unless the sales order is gone.
            _ if awaits_approval && !not_found => return Ok(()),
            (OrderState::ExpectSalesOrderClosed { .. }, FailureKind::NotFound { .. }) => {
                self.on_closed();
                return Ok(());
            }
            (
                OrderState::ExpectAcknowledgementSubmitted { .. },
                FailureKind::Rejected { messages },
            ) => {
                let errors = messages
                    .iter()
                    .map(|m| AmazonMessage {
                        code: "Rejected".into(),
                        message: m.clone(),
                    })
                    .collect();
                self.on_rejected(errors);
                return Ok(());
            }
            // NetSuite refused the approval status: it does not set one on an order it
            // shows closed, cancelled or fulfilled, however often it is asked.
            (
                OrderState::ExpectSalesOrderUpdated {
                    changes, resume, ..
                },
                FailureKind::Rejected { .. },
            ) if changes.status.is_some() => {
                let resume = (**resume).clone();
                self.on_status_refused(resume);
                return Ok(());
            }
            _ if awaits_approval && not_found => {
                self.give_up(key, failure, 1);
                return Ok(());
            }
            (
                OrderState::ExpectSalesOrderCreated { .. }
                | OrderState::ExpectSalesOrderRead
                | OrderState::ExpectSalesOrderUpdated { .. },
                FailureKind::NotFound { .. },
            ) => {
                self.give_up(key, failure, 1);
                return Ok(());
            }
            _ => {}
        }
        let failures = self
            .rec
            .attempt
            .as_ref()
            .map_or(0, |a| a.failures)
            .saturating_add(1);
        match self.policy.decide(key, failures, failure, self.now) {
            RetryDecision::RetryAt(at) => {
                self.rec.attempt = Some(Attempt {
                    failures,
                    next_at: Some(at),
                    last_error: Some(failure.kind.to_string()),
                });
            }
            RetryDecision::GiveUp => self.give_up(key, failure, failures),
        }
        Ok(())
    }

    /// The command failed for good: the order needs a person. Never dropped.
    fn give_up(&mut self, key: &str, failure: &CommandFailure, attempts: u32) {
        let resume = Box::new(self.rec.state.clone());
        let summary = format!(
            "`{key}` failed after {attempts} attempt(s): {}",
            failure.kind
        );
        self.enter(OrderState::ExpectFix {
            attention: Attention::Command {
                command_key: key.to_owned(),
                failure: failure.kind.clone(),
                attempts,
                resume,
            },
        });
        self.notify(Notice::NeedsAttention { summary });
    }

    fn on_timer(&mut self) {
        if self.rec.confirmed.is_none() && !self.rec.state.is_terminal() {
            let deadline = self.rec.acknowledgement_deadline;
            let notices = self.rec.deadline_notices;
            if self.now >= deadline && !notices.missed {
                self.rec.deadline_notices.missed = true;
                self.rec.deadline_notices.warned = true;
                self.notify(Notice::DeadlineMissed { deadline });
            } else if self.now >= self.rec.deadline_warning_at(self.settings) && !notices.warned {
                self.rec.deadline_notices.warned = true;
                self.notify(Notice::DeadlineApproaching { deadline });
            }
        }
        if matches!(self.rec.state, OrderState::Held { .. }) {
            return;
        }
        let due = self
            .rec
            .attempt
            .as_ref()
            .and_then(|a| a.next_at)
            .is_some_and(|at| at <= self.now);
        if due {
            self.dispatch();
        }
    }

    fn on_retry(&mut self) {
        match self.rec.state.clone() {
            OrderState::ExpectFix {
                attention: Attention::Mapping { step, .. },
            } => self.run_mapping_step(step),
            OrderState::ExpectFix {
                attention: Attention::Command { resume, .. },
            } => self.reenter(*resume, false),
            // Only a readable copy from Amazon moves it (a re-fetch).
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. },
            } => {}
            OrderState::ExpectApproval { .. } => {
                let read = self.read_command();
                self.commands.push(read);
            }
            _ => self.dispatch(),
        }
    }

    fn run_mapping_step(&mut self, step: MappingStep) {
        match step {
            MappingStep::Receive if acknowledged_before(&self.rec.purchase_order) => {
                self.route_acknowledged(&accepted_at_amazon(&self.rec.purchase_order, None))
            }
            MappingStep::Receive => self.route_new(),
            MappingStep::CreateAfterAcknowledgement => self.create_sales_order(
                SalesOrderStatus::PendingFulfillment,
                MappingStep::CreateAfterAcknowledgement,
            ),
            MappingStep::ApplyChange { resume } => self.reenter(*resume, true),
        }
    }

    fn on_repost(&mut self) {
        match &self.rec.state {
            OrderState::ExpectRepost { .. }
                if self.rec.internal_id.is_none()
                    && self.rec.approval == Some(Approval::AutoAcknowledgement) =>
            {
                // Acknowledged automatically, never in NetSuite: a repost sends a new
                // automatic acknowledgement built from Amazon's latest order, as the
                // settings ask. The engine also reposts this way an order whose batch
                // Amazon failed for another order's sake.
                self.acknowledge_without_review(Approval::AutoAcknowledgement)
            }
            OrderState::ExpectRepost { .. } if self.rec.internal_id.is_none() => {
                // Rejected before any sales order existed (auto acknowledgement): put
                // the order in front of a reviewer.
                self.create_sales_order(SalesOrderStatus::PendingApproval, MappingStep::Receive)
            }
            OrderState::ExpectRepost {
                returned_to_approval: true,
                ..
            } => {
                // The operator's repost approves the order if the reviewer has not
                // yet, then acknowledges it as it now stands.
                self.set_approval(
                    SalesOrderStatus::PendingFulfillment,
                    OrderState::ExpectSalesOrderRead,
                )
            }
            OrderState::ExpectRepost { .. } | OrderState::ExpectShipment => {
                self.enter(OrderState::ExpectSalesOrderRead)
            }
            OrderState::ExpectChangeReview => self.post_change(OrderState::ExpectShipment),
            _ => {}
        }
    }

    /// Applies a change Amazon made to the latest purchase order, as the state allows.
    fn apply_change(&mut self) {
        if let Some(reason) = self.amazon_ended(&self.rec.purchase_order) {
            return self.close(reason);
        }
        match self.rec.state.clone() {
            OrderState::ExpectSalesOrderCreated { draft } => {
                if draft.status == SalesOrderStatus::PendingApproval {
                    // Not acknowledged: the create is an upsert, so send the new draft.
                    self.create_sales_order(SalesOrderStatus::PendingApproval, MappingStep::Receive)
                } else if self.changed_since_acknowledged() {
                    self.apply_policy(OrderState::ExpectShipment)
                } else {
                    self.create_sales_order(
                        SalesOrderStatus::PendingFulfillment,
                        MappingStep::CreateAfterAcknowledgement,
                    )
                }
            }
            OrderState::ExpectFix {
                attention: Attention::Mapping { step, .. },
            } => self.run_mapping_step(step),
            // A readable copy at last: taken in as a new order, unless Amazon shows it
            // acknowledged, which only what Amazon accepted can take in.
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. },
            } if acknowledged_before(&self.rec.purchase_order) => {
                self.rec.acknowledgement_deadline = deadline_of(&self.rec.purchase_order);
                let acceptance = accepted_at_amazon(&self.rec.purchase_order, None);
                self.route_acknowledged(&acceptance)
            }
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. },
            } => {
                // Amazon's deadline runs from its order date, read at last.
                self.rec.acknowledgement_deadline = deadline_of(&self.rec.purchase_order);
                self.route_new()
            }
            OrderState::ExpectApproval { .. }
            | OrderState::ExpectSalesOrderRead
            | OrderState::ExpectRepost { .. } => {
                if self.rec.confirmed.is_some() {
                    if self.changed_since_acknowledged() {
                        let resume = self.rec.state.clone();
                        self.apply_policy(resume);
                    }
                } else {
                    // A reviewer may approve while the update is out: NetSuite lists
                    // that approval before the update's answer is in, when the order
                    // does not wait for it yet. Read the order once it is up to date.
                    let resume = match &self.rec.state {
                        OrderState::ExpectApproval { .. } => OrderState::ExpectSalesOrderRead,
                        other => other.clone(),
                    };
                    self.update_netsuite(resume, None);
                }
            }
            OrderState::ExpectAcknowledgementSubmitted { acknowledgement } => {
                // Built but perhaps not yet sent: if it no longer answers Amazon's order,
                // build it again (a new version, so nothing stale goes out).
                let previous = self.rec.confirmed.as_ref().map(|c| &c.acknowledgement);
                let po = &self.rec.purchase_order;
                if differs_from(po, &acknowledgement)
                    || check_acknowledgement(po, &acknowledgement, previous).is_err()
                {
                    match self.rec.approval {
                        Some(Approval::Reviewed) if self.rec.confirmed.is_some() => {
                            self.apply_policy(OrderState::ExpectShipment)
                        }
                        // The approval was read already: no change to the sales
                        // order would show it again. Once NetSuite is up to date, read
                        // the approved order again and rebuild the acknowledgement.
                        Some(Approval::Reviewed) => self.update_netsuite(
                            OrderState::ExpectSalesOrderRead,
                            Some(&acknowledgement),
                        ),
                        _ => self.route_new(),
                    }
                }
            }
            OrderState::ExpectShipment if self.changed_since_acknowledged() => {
                self.apply_policy(OrderState::ExpectShipment)
            }
            OrderState::ExpectShipment => self.follow_ship_date(),
            OrderState::ExpectSalesOrderClosed { .. } | OrderState::ExpectChangeReview => {}
            state if defers_changes(&state) => self.rec.change_pending = true,
            _ => {}
        }
    }

    fn changed_since_acknowledged(&self) -> bool {
        self.rec
            .confirmed
            .as_ref()
            .is_none_or(|c| differs_from(&self.rec.purchase_order, &c.acknowledgement))
    }

    /// Amazon changed an acknowledged order: the configured policy decides.
    fn apply_policy(&mut self, resume: OrderState) {
        match self.settings.policies.changed_after_acknowledgement {
            ChangedAfterAcknowledgementPolicy::UpdateSalesOrder => self.post_change(resume),
            ChangedAfterAcknowledgementPolicy::ReviewEachOrder => {
                self.enter(OrderState::ExpectChangeReview);
                self.notify(Notice::ChangeToReview);
            }
            ChangedAfterAcknowledgementPolicy::CancelSalesOrder => {
                self.close(CloseReason::ChangedAfterAcknowledgement)
            }
        }
    }

    /// Brings NetSuite in line with Amazon's latest order: creates the sales order if
    /// it was never created (auto acknowledgement), else updates it.
    fn post_change(&mut self, resume: OrderState) {
        if self.rec.internal_id.is_none() {
            self.create_sales_order(
                SalesOrderStatus::PendingFulfillment,
                MappingStep::CreateAfterAcknowledgement,
            )
        } else {
            self.update_netsuite(resume, None)
        }
    }

    /// Updates the sales order to match the latest purchase order, then continues in
    /// `resume`. `approved` is an acknowledgement built from the reviewer's approval and
    /// not yet confirmed: like one Amazon confirmed, it caps every line, so a change
    /// never lifts a line above what a person approved.
    fn update_netsuite(&mut self, resume: OrderState, approved: Option<&Acknowledgement>) {
        let Some(old) = self.rec.sales_order.clone() else {
            // No sales order yet: the repost creates it from the latest order.
            return self.resume(resume);
        };
        match sales_order_draft(&self.rec.purchase_order, self.settings, old.status) {
            Err(e) => self.needs_mapping(
                e.problems,
                MappingStep::ApplyChange {
                    resume: Box::new(resume),
                },
            ),
            Ok(mut mapped) => {
                // Amazon was told what ships, or a person approved it: a change never
                // sets a line above it, and a line accepted none of stays closed.
                let caps = self.rec.confirmed.as_ref().map(|c| &c.acknowledgement);
                for cap in caps.into_iter().chain(approved) {
                    let accepted = accepted_eaches(cap);
                    mapped
                        .draft
                        .lines
                        .retain_mut(|line| match accepted.get(&line.sequence) {
                            Some(0) => false,
                            Some(eaches) => {
                                line.quantity = line.quantity.min(*eaches);
                                true
                            }
                            None => true,
                        });
                }
                let changes = diff(&old, &mapped.draft);
                carry_closed_lines(&old, &mut mapped.draft);
                self.rec.sales_order = Some(mapped.draft);
                if changes.is_empty() {
                    self.resume(resume);
                } else {
                    self.rec.sales_order_revision = self.rec.sales_order_revision.saturating_add(1);
                    self.enter(OrderState::ExpectSalesOrderUpdated {
                        changes,
                        revision: self.rec.sales_order_revision,
                        resume: Box::new(resume),
                    });
                }
            }
        }
    }

    /// Amazon changed an acknowledged order without touching what was acknowledged
    /// (its lines and quantities): a moved ship window still reaches NetSuite, and
    /// nothing else changes there.
    fn follow_ship_date(&mut self) {
        let Some(mut draft) = self.rec.sales_order.clone() else {
            return;
        };
        let Ok(mapped) = sales_order_draft(&self.rec.purchase_order, self.settings, draft.status)
        else {
            return;
        };
        let ship_date = mapped.draft.ship_date;
        if ship_date.is_none() || ship_date == draft.ship_date {
            return;
        }
        draft.ship_date = ship_date;
        self.rec.sales_order = Some(draft);
        self.rec.sales_order_revision = self.rec.sales_order_revision.saturating_add(1);
        self.enter(OrderState::ExpectSalesOrderUpdated {
            changes: SalesOrderChanges {
                lines: Vec::new(),
                ship_date,
                status: None,
            },
            revision: self.rec.sales_order_revision,
            resume: Box::new(OrderState::ExpectShipment),
        });
    }

    /// Continues in `state`: stays without resending when already there.
    fn resume(&mut self, state: OrderState) {
        if self.rec.state.kind() == state.kind() {
            self.rec.state = state;
        } else {
            self.enter(state);
        }
    }

    /// Returns to `state` (after a hold, a fix or an update): a change from Amazon that
    /// waited (or `change`, when one is known to be due) is applied first, so nothing
    /// stale is sent; if it leaves the order in `state`, what `state` waits for is sent.
    fn reenter(&mut self, state: OrderState, change: bool) {
        let sent = self.commands.len();
        self.rec.state = state.clone();
        self.rec.attempt = None;
        if (change || self.rec.change_pending) && !defers_changes(&self.rec.state) {
            self.rec.change_pending = false;
            self.apply_change();
        }
        if self.commands.len() == sent && self.rec.state == state {
            self.enter(state);
        }
    }

    /// Applies a change that waited for work in flight, once the order is out of it.
    fn settle(&mut self) {
        if self.rec.change_pending && !defers_changes(&self.rec.state) {
            self.rec.change_pending = false;
            self.apply_change();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::fixtures::{retail_po, settings};

    fn draft(po: &PurchaseOrder) -> SalesOrderDraft {
        sales_order_draft(po, &settings(), SalesOrderStatus::PendingApproval)
            .map(|m| m.draft)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_diff_sets_changed_lines_adds_new_ones_and_closes_cancelled_ones() {
        let before = retail_po();
        let mut after = before.clone();
        after.lines[1].ordered.amount = 8;
        after.lines[0].ordered.amount = 0;
        let mut added = after.lines[1].clone();
        added.sequence = ItemSequenceNumber::new("3").unwrap();
        after.lines.push(added);
        after.ship_window = None;
        let changes = diff(&draft(&before), &draft(&after));
        let names: Vec<String> = changes
            .lines
            .iter()
            .map(|c| match c {
                LineChange::Add { line } => format!("add {}", line.sequence),
                LineChange::Set {
                    sequence, quantity, ..
                } => format!("set {sequence} to {quantity}"),
                LineChange::Close { sequence } => format!("close {sequence}"),
            })
            .collect();
        assert_eq!(names, ["set 2 to 8", "add 3", "close 1"]);
        // A ship date that disappears is left as it was in NetSuite.
        assert_eq!(changes.ship_date, None);
        assert!(diff(&draft(&before), &draft(&before)).is_empty());
    }

    #[test]
    fn reposting_a_rejected_automatic_acknowledgement_sends_a_new_version() {
        use crate::ids::TransactionId;
        use crate::lifecycle::StateKind;
        let mut s = settings();
        s.auto_acknowledge.retail_procurement = true;
        let t = crate::mapping::fixtures::t;
        let (rec, commands) = OrderRecord::receive(retail_po(), t(1), &s);
        assert!(matches!(
            commands.as_slice(),
            [Command::SubmitAcknowledgement { .. }]
        ));
        let v1 = AcknowledgementVersion(1);
        let step = |rec: &OrderRecord, event: Event| {
            rec.handle(&event, t(2), &s)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let (rec, _) = step(
            &rec,
            Event::AcknowledgementSubmitted {
                version: v1,
                transaction_id: TransactionId::new("t-1").unwrap(),
                orders: 1,
            },
        );
        let (rec, _) = step(
            &rec,
            Event::AcknowledgementFailed {
                version: v1,
                errors: vec![AmazonMessage {
                    code: "INVALID_COST".into(),
                    message: "netCost is above the PO's".into(),
                }],
            },
        );
        assert_eq!(rec.state().kind(), StateKind::ExpectRepost);

        let (rec, commands) = step(&rec, Event::RepostRequested);
        let [Command::SubmitAcknowledgement { key, .. }] = commands.as_slice() else {
            panic!("expected a new acknowledgement, got {commands:?}");
        };
        assert_eq!(key.version, AcknowledgementVersion(2));
        assert_eq!(
            rec.state().kind(),
            StateKind::ExpectAcknowledgementSubmitted
        );
        assert_eq!(rec.approval(), Some(Approval::AutoAcknowledgement));
        assert!(
            rec.sales_order().is_none(),
            "nothing goes to NetSuite for review"
        );
    }

    #[test]
    fn an_acknowledgement_answers_an_order_until_its_lines_or_quantities_change() {
        let po = retail_po();
        let s = settings();
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment)
            .unwrap_or_else(|e| panic!("{e}"));
        let ack = auto_acknowledgement(&po, &mapped, &s, crate::mapping::fixtures::t(1))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!differs_from(&po, &ack));
        let mut restamped = po.clone();
        restamped.changed_at = Some(crate::mapping::fixtures::t(3));
        assert!(!differs_from(&restamped, &ack));
        let mut fewer = po;
        fewer.lines[1].ordered.amount = 9;
        assert!(differs_from(&fewer, &ack));
    }

    #[test]
    fn a_line_with_nothing_ordered_left_out_is_no_difference() {
        let s = settings();
        let mut po = retail_po();
        po.lines[0].ordered.amount = 0;
        let mapped = sales_order_draft(&po, &s, SalesOrderStatus::PendingFulfillment)
            .unwrap_or_else(|e| panic!("{e}"));
        let ack = auto_acknowledgement(&po, &mapped, &s, crate::mapping::fixtures::t(1))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!differs_from(&po, &ack));
        // Amazon cancels the line the acknowledgement accepted: nothing is left.
        assert!(!accepted_lines_cancelled(&po, &ack));
        let mut none_left = po.clone();
        none_left.lines[1].ordered.amount = 0;
        assert!(differs_from(&none_left, &ack));
        assert!(accepted_lines_cancelled(&none_left, &ack));
    }
}
