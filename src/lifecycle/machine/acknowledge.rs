//! Acknowledging: building the acknowledgement (without review, or from the approved
//! sales order), sending it, and reading Amazon's answer.

use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion};
use crate::compliance::check_approval;
use crate::mapping::{
    acknowledgement_from_sales_order, auto_acknowledgement, check_acknowledgement,
    rejects_everything, sales_order_draft,
};
use crate::order::Problem;
use crate::sales_order::{NetSuiteStatus, SalesOrderSnapshot, SalesOrderStatus};
use crate::settings::OnAmazonRejectionPolicy;

use super::Machine;
use super::compare::differs_from;
use crate::client::ServiceMessage;
use crate::lifecycle::command::Notice;
use crate::lifecycle::command_key::{CommandKey, CommandKind};
use crate::lifecycle::failure::{CommandFailure, FailureKind};
use crate::lifecycle::record::{
    Approval, Attempt, ConfirmedAcknowledgement, HALVING_ROUND, MAX_UNJUDGED_RESENDS,
};
use crate::lifecycle::retry::later;
use crate::lifecycle::state::{CloseReason, MappingStep, OrderState};

impl Machine<'_> {
    /// Acknowledges straight from Amazon's order: auto acknowledgement, or an order
    /// whose every line the policy rejects.
    pub(super) fn acknowledge_without_review(&mut self, approval: Approval) {
        let po = &self.rec.purchase_order;
        let mapped =
            match sales_order_draft(po, self.settings, SalesOrderStatus::PendingFulfillment) {
                Ok(mapped) => mapped,
                Err(e) => return self.needs_mapping(e.problems, MappingStep::Receive),
            };
        match auto_acknowledgement(po, &mapped, self.settings, self.now) {
            Ok(ack) => {
                // Sent without a reviewer, it is held to the same rules as an
                // approval: one that would break them waits for a person.
                let held = self.compliance_problems(&ack);
                if !held.is_empty() {
                    return self.hold_for_compliance(held);
                }
                self.rec.approval = Some(approval);
                self.start_acknowledgement(ack);
            }
            Err(e) => self.needs_mapping(e.problems, MappingStep::Receive),
        }
    }

    /// The compliance rules `ack` would break against the acknowledgement Amazon last
    /// took, and against a later one whose answer never came (Amazon may hold either),
    /// less those a person has confirmed for this order.
    pub(super) fn compliance_problems(&self, ack: &Acknowledgement) -> Vec<Problem> {
        let previous = self.rec.confirmed.as_ref().map(|c| &c.acknowledgement);
        let check = |previous| {
            check_approval(
                &self.rec.purchase_order,
                ack,
                previous,
                &self.settings.compliance,
                self.now,
            )
        };
        let mut problems = check(previous);
        for unanswered in &self.rec.unanswered {
            for problem in check(Some(unanswered)) {
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
        }
        let confirmed = &self.rec.compliance_confirmed;
        problems.retain(|p| !confirmed.contains(p));
        problems
    }

    pub(super) fn start_acknowledgement(&mut self, acknowledgement: Acknowledgement) {
        let next = match self.rec.acknowledgement_version {
            None => Some(1),
            Some(v) => v.0.checked_add(1),
        };
        match next {
            Some(v) => {
                self.rec.acknowledgement_version = Some(AcknowledgementVersion(v));
                self.rec.unjudged_resends = 0;
                self.rec.send_limit = None;
                self.enter(OrderState::ExpectAcknowledgementSubmitted {
                    acknowledgement: Box::new(acknowledgement),
                });
            }
            None => self.needs_mapping(
                vec![Problem {
                    purchase_order_number: self.po_number().to_string(),
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

    pub(super) fn on_read(&mut self, snapshot: &SalesOrderSnapshot) {
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
                let held = self.compliance_problems(&ack);
                if held.is_empty() {
                    self.rec.approval = Some(Approval::Reviewed);
                    self.start_acknowledgement(ack);
                } else {
                    // It would cost a chargeback: a person confirms it or changes it.
                    self.enter(OrderState::ExpectApproval { problems: held });
                }
            }
            // Amazon's rules: the reviewer sees why, and nothing is sent.
            Err(e) => self.enter(OrderState::ExpectApproval {
                problems: e.problems,
            }),
        }
    }

    pub(super) fn on_still_processing(&mut self) {
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

    pub(super) fn in_flight_acknowledgement(&self) -> Option<Acknowledgement> {
        match &self.rec.state {
            OrderState::ExpectAcknowledgementSubmitted { acknowledgement }
            | OrderState::ExpectAcknowledgementConfirmation {
                acknowledgement, ..
            } => Some((**acknowledgement).clone()),
            _ => None,
        }
    }

    /// Amazon's record of the confirmed acknowledgement `version`, read once more:
    /// kept, and a difference from what was sent raised once per version.
    pub(super) fn on_amazon_record(
        &mut self,
        version: AcknowledgementVersion,
        recorded: &crate::compliance::AmazonRecord,
    ) {
        let Some(confirmed) = self.rec.confirmed.as_ref().filter(|c| c.version == version) else {
            // A record of an acknowledgement no longer the confirmed one says nothing.
            if self.rec.reconciliation_due == Some(version) {
                self.rec.reconciliation_due = None;
            }
            return;
        };
        let drift = crate::compliance::drift(&confirmed.acknowledgement, recorded);
        if self.rec.reconciliation_due == Some(version) {
            self.rec.reconciliation_due = None;
        }
        self.rec.reconciliation_retry = None;
        self.rec.reconciliation = Some(crate::compliance::Reconciliation {
            version,
            read_at: self.now,
            recorded: recorded.clone(),
            drift: drift.clone(),
        });
        if !drift.is_empty() && !self.rec.raised.drift.contains(&version) {
            self.rec.raised.drift.push(version);
            self.notify(Notice::Drift {
                version,
                lines: drift,
            });
        }
    }

    /// Reading Amazon's record of `version` failed: asked again after a wait that
    /// doubles with each failure in a row, so a PO Amazon's status report cannot
    /// answer for costs one call every few hours rather than one every cycle. Past
    /// the dispute window the read is given up, and the reconciliation says why.
    pub(super) fn on_amazon_record_unread(
        &mut self,
        version: AcknowledgementVersion,
        reason: &str,
    ) {
        use crate::lifecycle::record::{
            RECONCILIATION_GIVE_UP, RECONCILIATION_RETRY_CAP, RECONCILIATION_RETRY_FIRST,
            ReconciliationRetry,
        };
        if self.rec.reconciliation_due != Some(version) {
            return;
        }
        let Some(confirmed_at) = self.rec.confirmed.as_ref().map(|c| c.confirmed_at) else {
            return;
        };
        if self.now >= later(confirmed_at, RECONCILIATION_GIVE_UP) {
            self.rec.reconciliation_due = None;
            self.rec.reconciliation_retry = None;
            self.rec.reconciliation = Some(crate::compliance::Reconciliation {
                version,
                read_at: self.now,
                recorded: crate::compliance::AmazonRecord::Unreadable {
                    reason: format!(
                        "Amazon's record could not be read in the 30 days after the confirmation (last: {reason})"
                    ),
                },
                drift: Vec::new(),
            });
            return;
        }
        let failures = self
            .rec
            .reconciliation_retry
            .as_ref()
            .map_or(0, |r| r.failures)
            .saturating_add(1);
        let wait = RECONCILIATION_RETRY_FIRST
            .saturating_mul(1u32.checked_shl(failures - 1).unwrap_or(u32::MAX))
            .min(RECONCILIATION_RETRY_CAP);
        self.rec.reconciliation_retry = Some(ReconciliationRetry {
            failures,
            next_at: later(self.now, wait),
        });
    }

    pub(super) fn on_confirmed(&mut self) {
        let (Some(acknowledgement), Some(version)) = (
            self.in_flight_acknowledgement(),
            self.rec.acknowledgement_version,
        ) else {
            return;
        };
        self.rec.unjudged_resends = 0;
        self.rec.send_limit = None;
        self.rec.unanswered.clear();
        // Amazon has answered what the person confirmed: the next acknowledgement
        // is judged afresh.
        self.rec.compliance_confirmed.clear();
        // What Amazon recorded of it is read once more and compared.
        self.rec.reconciliation_due = Some(version);
        self.rec.reconciliation_retry = None;
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
    /// acknowledgement again, as the next version, in a transaction of at most half as
    /// many ([`Machine::halved_limit`]). Halving ends in a transaction of one, whose
    /// refusal is the order's own. After a refused transaction of a size not known it
    /// goes alone, at most [`MAX_UNJUDGED_RESENDS`] times; then a person gets the order
    /// with Amazon's messages.
    pub(super) fn on_not_judged(&mut self, errors: Vec<ServiceMessage>) {
        let Some(acknowledgement) = self.in_flight_acknowledgement() else {
            return;
        };
        let previous = self.rec.confirmed.as_ref().map(|c| &c.acknowledgement);
        let po = &self.rec.purchase_order;
        let stale = differs_from(po, &acknowledgement)
            || check_acknowledgement(po, &acknowledgement, previous).is_err();
        self.rec.change_pending = false;
        if !stale {
            let carried = match self.rec.state {
                OrderState::ExpectAcknowledgementConfirmation { orders, .. } => orders,
                _ => 0,
            };
            // Only a resend whose transaction cannot shrink counts: halving ends by
            // itself.
            let resends = self.rec.unjudged_resends;
            let counted = carried <= 1;
            if counted && resends >= MAX_UNJUDGED_RESENDS {
                return self.unjudged_to_person(acknowledgement, errors);
            }
            let limit = self.halved_limit(carried);
            self.start_acknowledgement(acknowledgement);
            if matches!(
                self.rec.state,
                OrderState::ExpectAcknowledgementSubmitted { .. }
            ) {
                self.rec.unjudged_resends = resends.saturating_add(u32::from(counted));
                self.rec.send_limit = Some(limit);
            }
            return;
        }
        self.rec.unjudged_resends = 0;
        self.rec.send_limit = None;
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

    /// The most acknowledgements the next transaction of an acknowledgement Amazon
    /// left unjudged may carry, after a refused one of `carried` (0: not known): half
    /// as many, rounded up, and never more than it was limited to before. One when the
    /// size is not known.
    ///
    /// Each transaction is a round of Amazon's answer ([`HALVING_ROUND`]), and a limit
    /// of `2^(r-1)` is narrowed down to one order within `r` rounds: with fewer rounds
    /// left before the acknowledgement deadline than halving needs, the limit is that
    /// smaller one, and alone when less than a round is left. Past the deadline, when
    /// it can no longer be met, the refused transaction is cut in groups of about
    /// `√carried`, and the group refused again goes alone: two rounds, in which only
    /// the orders of that group wait for the second, for about `2√carried`
    /// transactions instead of `carried`.
    fn halved_limit(&self, carried: u32) -> u32 {
        if carried <= 1 {
            return 1;
        }
        let left = (self.rec.acknowledgement_deadline - self.now).num_seconds();
        if left <= 0 {
            return match self.rec.send_limit {
                None => ceil_sqrt(carried),
                Some(_) => 1,
            };
        }
        let round = i64::try_from(HALVING_ROUND.as_secs())
            .unwrap_or(i64::MAX)
            .max(1);
        let rounds = left / round;
        let fits = if rounds < 1 {
            1
        } else {
            1u32 << u32::try_from(rounds - 1).unwrap_or(31).min(31)
        };
        let half = carried.div_ceil(2).min(fits);
        self.rec.send_limit.map_or(half, |before| before.min(half))
    }

    /// Amazon left the acknowledgement unjudged once more after it went out alone
    /// [`MAX_UNJUDGED_RESENDS`] times: the order needs a person, who sees Amazon's
    /// messages. Retrying sends it again, alone, as a version Amazon has not seen.
    pub(super) fn unjudged_to_person(
        &mut self,
        acknowledgement: Acknowledgement,
        errors: Vec<ServiceMessage>,
    ) {
        // The order waits for the check of the version Amazon did not judge.
        let key = self.pending_command().map_or_else(
            || {
                CommandKey::new(
                    CommandKind::CheckAcknowledgement,
                    self.rec.acknowledgement_key(),
                )
            },
            |c| c.key(),
        );
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
        self.rec.send_limit = Some(1);
        self.rec.state = OrderState::ExpectAcknowledgementSubmitted {
            acknowledgement: Box::new(acknowledgement),
        };
        let failure = CommandFailure {
            kind: FailureKind::Rejected {
                messages: errors.clone(),
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
    pub(super) fn on_rejected(&mut self, errors: Vec<ServiceMessage>) {
        self.rec.unjudged_resends = 0;
        self.rec.send_limit = None;
        self.rec.compliance_confirmed.clear();
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
}

/// The least `r` with `r * r >= n`.
fn ceil_sqrt(n: u32) -> u32 {
    let r = n.isqrt();
    if r.saturating_mul(r) < n { r + 1 } else { r }
}

#[cfg(test)]
mod tests {
    use crate::client::{ClientError, ErrorKind, ServiceMessage};
    use crate::lifecycle::{Command, CommandFailure, Event, FailureKind, Notice, OrderRecord};
    use crate::lifecycle::{OrderState, StateKind};
    use crate::mapping::fixtures::{retail_po, settings, t};

    proptest::proptest! {
        #[test]
        fn ceil_sqrt_is_the_least_root_whose_square_covers(n in 0u32..=u32::MAX) {
            let r = u64::from(super::ceil_sqrt(n));
            proptest::prop_assert!(r * r >= u64::from(n));
            proptest::prop_assert!(r == 0 || (r - 1) * (r - 1) < u64::from(n));
        }
    }

    #[test]
    fn amazon_refusing_the_submission_reaches_the_record_and_the_person_with_its_codes() {
        let mut s = settings();
        s.auto_acknowledge.retail_procurement = true;
        let (record, commands) = OrderRecord::receive(retail_po(), t(1), &s);
        let [submit @ Command::SubmitAcknowledgement { .. }] = commands.as_slice() else {
            panic!("expected an acknowledgement, got {commands:?}");
        };
        let sent = ServiceMessage {
            code: "InvalidInput".into(),
            message: "netCost is above the PO's".into(),
            field: None,
        };
        let error = ClientError::new(ErrorKind::Rejected, "submitAcknowledgement")
            .with_messages(vec![sent.clone()]);
        let failed = Event::CommandFailed {
            command_key: submit.key(),
            failure: CommandFailure {
                kind: FailureKind::from(&error),
                exhausted: false,
            },
        };
        let (record, commands) = record
            .handle(&failed, t(2), &s)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(record.state().kind(), StateKind::ExpectRepost);
        let OrderState::ExpectRepost { errors, .. } = record.state() else {
            unreachable!()
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "InvalidInput", "{errors:?}");
        assert_eq!(errors[0].message, "netCost is above the PO's");
        let told: Vec<_> = commands
            .iter()
            .filter_map(|c| match c {
                Command::Notify {
                    notice: Notice::RejectedByAmazon { errors, .. },
                    ..
                } => Some(errors),
                _ => None,
            })
            .collect();
        assert_eq!(told.len(), 1, "{commands:?}");
        assert_eq!(told[0][0].code, "InvalidInput");
    }
}
