//! The transition logic. Every function here is pure: it reads the record, the event,
//! the settings and `now`, and writes the next record and the commands.
//!
//! This file holds the machine, the dispatch of each event and the moves between
//! states; the rest is split by what it decides: [`compare`] (the pure comparisons),
//! [`guards`] (is the event for this order, is it a replay), [`acknowledge`]
//! (building, sending and confirming acknowledgements) and [`changes`] (changes to
//! the sales order).

mod acknowledge;
mod changes;
mod compare;
mod entry;
mod guards;
mod notices;

use chrono::{DateTime, Utc};

use crate::acknowledgement::AcknowledgementVersion;
use crate::ids::PurchaseOrderNumber;
use crate::mapping::sales_order_draft;
use crate::order::{Problem, PurchaseOrder};
use crate::sales_order::SalesOrderStatus;
use crate::settings::Settings;

use super::command::{Command, Notice, Service};
use super::command_key::CommandKey;
use super::error::TransitionError;
use super::event::{Event, EventKind};
use super::failure::{CommandFailure, FailureKind};
use super::intake::{
    AmazonAcceptance, accepted_at_amazon, acknowledged_before, acknowledgement_found,
};
use super::record::{
    Approval, Attempt, ConfirmedAcknowledgement, DueClock, OrderRecord, deadline_of,
};
use super::retry::{RetryDecision, RetryPolicy, later};
use super::state::{Attention, CloseReason, MappingStep, OrderState};
use crate::lifecycle::table;

use changes::carry_closed_lines;
use compare::{
    accepted_eaches, accepted_lines_cancelled, amazon_end, defers_changes, notice_summary, terminal,
};

pub(super) struct Machine<'a> {
    rec: OrderRecord,
    commands: Vec<Command>,
    now: DateTime<Utc>,
    settings: &'a Settings,
    policy: &'a RetryPolicy,
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

    pub(super) fn finish(mut self) -> (OrderRecord, Vec<Command>) {
        self.rec.log_acknowledgements(self.now);
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

    fn po_number(&self) -> PurchaseOrderNumber {
        self.rec.purchase_order.number.clone()
    }

    /// Checks that the event is for this order, drops replays, and applies it.
    pub(super) fn handle(&mut self, event: &Event) -> Result<(), TransitionError> {
        self.check_identity(event)?;
        if self.is_replay(event) {
            return Ok(());
        }
        self.step(event)
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
                self.rec.acknowledgement_deadline = deadline_of(purchase_order, self.settings);
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
            Event::AmazonRecordRead { version, recorded } => {
                self.on_amazon_record(*version, recorded);
            }
            Event::AmazonRecordUnread { version, reason } => {
                self.on_amazon_record_unread(*version, reason);
            }
            Event::RetryRequested => self.on_retry(),
            Event::RepostRequested => self.on_repost(),
            Event::HoldRequested { reason } => {
                let resume = Box::new(self.rec.state.clone());
                self.rec.state = OrderState::Held {
                    reason: reason.clone(),
                    resume,
                };
                // A held order accepts no second hold: the transition raises it once.
                self.notify(Notice::Held {
                    reason: reason.clone(),
                });
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
        self.forget_set_aside();
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

    fn read_command(&self) -> Command {
        self.rec.read_command()
    }

    /// The command the current state waits for.
    pub(super) fn pending_command(&self) -> Option<Command> {
        self.rec.pending_command()
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
        let summary = notice_summary(&problems);
        self.enter(OrderState::ExpectFix {
            attention: Attention::Mapping { problems, step },
        });
        self.set_aside(
            Notice::MappingProblem {
                summary: summary.clone(),
            },
            summary,
        );
    }

    /// A person confirmed the compliance problems shown. Confirmations add up until
    /// an acknowledgement goes out: time can turn one rule into another (an update
    /// after the window becomes a late down-confirm at the cut-off), and a person who
    /// confirmed both need not be asked twice.
    fn confirm_compliance(&mut self, problems: Vec<Problem>) {
        for problem in problems {
            if problem.kind.is_compliance() && !self.rec.compliance_confirmed.contains(&problem) {
                self.rec.compliance_confirmed.push(problem);
            }
        }
    }

    /// Sets aside an acknowledgement built without a reviewer that would break one of
    /// Amazon's compliance rules: a person retries the order to confirm `problems`
    /// and send it anyway, or changes what it would send.
    pub(super) fn hold_for_compliance(&mut self, problems: Vec<Problem>) {
        let summary = notice_summary(&problems);
        self.enter(OrderState::ExpectFix {
            attention: Attention::Mapping {
                problems,
                step: MappingStep::Receive,
            },
        });
        self.set_aside(
            Notice::ComplianceHold {
                summary: summary.clone(),
            },
            summary,
        );
    }

    /// Holds an acknowledgement that waited to go out again and now breaks a
    /// compliance rule: a reviewed one goes back to the reviewer's approval, where a
    /// person confirms it (Retry reads the approved order and sends it) or changes
    /// it; any other is set aside as a compliance hold.
    fn hold_retry_for_compliance(&mut self, problems: Vec<Problem>) {
        if self.rec.approval == Some(Approval::Reviewed) && self.rec.internal_id.is_some() {
            self.enter(OrderState::ExpectApproval { problems });
        } else {
            self.hold_for_compliance(problems);
        }
    }

    /// Waits for Amazon to send the order readable, with why it cannot be used.
    pub(super) fn needs_reading(&mut self, problems: Vec<Problem>) {
        let summary = notice_summary(&problems);
        self.enter(OrderState::ExpectFix {
            attention: Attention::Unreadable { problems },
        });
        self.set_aside(
            Notice::Unreadable {
                summary: summary.clone(),
            },
            summary,
        );
    }

    /// Raises the notice of an order set aside, unless it was raised for the same
    /// problems while the order stayed set aside: the same unreadable copy listed
    /// again, or a retry that finds the same problems, is not a new cause.
    fn set_aside(&mut self, notice: Notice, problems: String) {
        let cause = format!("{}: {problems}", notice.slug());
        if self.rec.raised.set_aside.as_ref() != Some(&cause) {
            self.rec.raised.set_aside = Some(cause);
            self.notify(notice);
        }
    }

    /// Forgets the set-aside notice once the order is no longer set aside, so that
    /// being set aside again is a new cause.
    fn forget_set_aside(&mut self) {
        let set_aside = matches!(
            self.rec.state.unheld(),
            OrderState::ExpectFix {
                attention: Attention::Mapping { .. } | Attention::Unreadable { .. }
            }
        );
        if !set_aside {
            self.rec.raised.set_aside = None;
        }
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
                        purchase_order_number: self.po_number().to_string(),
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
        if let OrderState::ExpectSalesOrderClosed { reason: closing } = &self.rec.state {
            // Already closing for its own reason (every line rejected, an operator's
            // cancel): Amazon ending the order now is that decision's consequence, and
            // two workers that see the two in either order end it the same way.
            if matches!(
                reason,
                CloseReason::CancelledByAmazon | CloseReason::ClosedByAmazon
            ) && matches!(
                closing,
                CloseReason::NothingToShip | CloseReason::CancelledByOperator { .. }
            ) {
                return;
            }
        }
        if self.rec.sales_order.is_some() || self.rec.internal_id.is_some() {
            self.enter(OrderState::ExpectSalesOrderClosed { reason });
        } else {
            self.enter(terminal(reason));
        }
    }

    fn on_command_failed(
        &mut self,
        key: &CommandKey,
        failure: &CommandFailure,
    ) -> Result<(), TransitionError> {
        // Under a hold, the state is `Held`, which waits for no command.
        let awaits_approval =
            !matches!(self.rec.state, OrderState::Held { .. }) && self.rec.state.awaits_approval();
        let expected = if awaits_approval {
            Some(self.read_command())
        } else {
            self.pending_command()
        }
        .map(|c| c.key());
        if expected.as_ref() != Some(key) {
            return Err(TransitionError::UnexpectedCommand {
                purchase_order_number: self.po_number(),
                state: self.rec.state.kind(),
                command_key: key.clone(),
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
                // Amazon's codes and wording reach the record and the person as sent.
                self.on_rejected(messages.clone());
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
        match self
            .policy
            .decide(key.as_str(), failures, failure, self.now)
        {
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
    fn give_up(&mut self, key: &CommandKey, failure: &CommandFailure, attempts: u32) {
        let resume = Box::new(self.rec.state.clone());
        // Raised by the transition into `ExpectFix`, which waits for no command, so no
        // later failure of the same command can raise it again: only a retry that
        // fails for good once more, a new cause.
        let notice = match failure.kind {
            FailureKind::Unauthorized { .. } => Notice::CredentialsRefused {
                service: Service::of(key.kind()),
                command_key: key.clone(),
                attempts,
            },
            _ => Notice::RetriesExhausted {
                command_key: key.clone(),
                attempts,
                failure: failure.kind.clone(),
            },
        };
        self.enter(OrderState::ExpectFix {
            attention: Attention::Command {
                command_key: key.clone(),
                failure: failure.kind.clone(),
                attempts,
                resume,
            },
        });
        self.notify(notice);
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
        if let Some(due) = self.rec.approval_overdue_at(self.settings) {
            if self.now >= due {
                if let Some(since) = self.rec.waiting_for_approval_since() {
                    self.rec.raised.approval_overdue = Some(since);
                    self.notify(Notice::ApprovalOverdue {
                        waiting_since: since,
                        limit_minutes: self.settings.policies.approval_overdue_minutes,
                    });
                }
            }
        }
        for warning in self.rec.compliance_clocks_due(self.settings) {
            if self.now < warning.warn_at {
                continue;
            }
            // Raised while the clock has not run out; one that ran out before the order
            // needed the warning is passed unraised.
            let ran_out = match &warning.clock {
                DueClock::UpdateWindow(at) | DueClock::DownConfirm(at) => self.now >= *at,
                // A backorder whose date passed is the alert's very cause.
                DueClock::Backorder(_) => false,
            };
            match warning.clock {
                DueClock::UpdateWindow(at) => self.rec.raised.update_window = Some(at),
                DueClock::DownConfirm(at) => self.rec.raised.down_confirm = Some(at),
                DueClock::Backorder(cause) => self.rec.raised.backorders.push(cause),
            }
            if !ran_out {
                self.notify(warning.notice);
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
            if self.hold_before_resend() {
                return;
            }
            self.dispatch();
        }
    }

    /// Keeps `acknowledgement` among those Amazon may hold without having answered
    /// (the record's `unanswered`), once, and only the latest few.
    pub(super) fn keep_unanswered(
        &mut self,
        acknowledgement: &crate::acknowledgement::Acknowledgement,
    ) {
        use crate::lifecycle::record::MAX_UNANSWERED;
        let kept = &mut self.rec.unanswered;
        if !kept.contains(acknowledgement) {
            kept.push(acknowledgement.clone());
        }
        if kept.len() > MAX_UNANSWERED {
            let extra = kept.len() - MAX_UNANSWERED;
            kept.drain(..extra);
        }
    }

    /// An acknowledgement about to go out again, later than it was built: a rule
    /// whose clock ran out meanwhile (the update window) holds it for a person.
    /// Returns whether it did.
    pub(super) fn hold_before_resend(&mut self) -> bool {
        let OrderState::ExpectAcknowledgementSubmitted { acknowledgement } = &self.rec.state else {
            return false;
        };
        let acknowledgement = acknowledgement.clone();
        let held = self.compliance_problems(&acknowledgement);
        if held.is_empty() {
            return false;
        }
        // It may have gone out already; a later one is checked against it.
        self.keep_unanswered(&acknowledgement);
        self.hold_retry_for_compliance(held);
        true
    }

    fn on_retry(&mut self) {
        match self.rec.state.clone() {
            OrderState::ExpectFix {
                attention: Attention::Mapping { step, problems },
            } => {
                // Retrying confirms the compliance problems shown, as for a held
                // approval; a mapping problem is mapped again.
                self.confirm_compliance(problems);
                self.run_mapping_step(step)
            }
            OrderState::ExpectFix {
                attention: Attention::Command { resume, .. },
            } => {
                // An acknowledgement whose sending failed for good goes out again now,
                // perhaps days after it was built: a rule whose clock ran out meanwhile
                // holds it for the person, with the reason, before anything is sent.
                if matches!(*resume, OrderState::ExpectAcknowledgementSubmitted { .. }) {
                    let failed = std::mem::replace(&mut self.rec.state, (*resume).clone());
                    if self.hold_before_resend() {
                        return;
                    }
                    self.rec.state = failed;
                }
                self.reenter(*resume, false)
            }
            // Only a readable copy from Amazon moves it (a re-fetch).
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. },
            } => {}
            OrderState::ExpectApproval { problems } => {
                // A person confirms the compliance problems shown (and only those:
                // a changed approval that breaks a rule differently is held again),
                // and the approved order is read and sent.
                self.confirm_compliance(problems);
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
    use crate::client::ServiceMessage;
    use crate::mapping::fixtures::{retail_po, settings};

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
                errors: vec![ServiceMessage {
                    code: "INVALID_COST".into(),
                    message: "netCost is above the PO's".into(),
                    field: None,
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
}
