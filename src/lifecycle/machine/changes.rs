//! Changes to the sales order: the diff between two drafts, Amazon's changes to an
//! order and the policy after acknowledgement, and the approval status.

use crate::acknowledgement::Acknowledgement;
use crate::mapping::{check_acknowledgement, sales_order_draft};
use crate::sales_order::{SalesOrderDraft, SalesOrderLineDraft, SalesOrderStatus};
use crate::settings::ChangedAfterAcknowledgementPolicy;

use super::Machine;
use super::compare::{accepted_eaches, defers_changes, differs_from};
use crate::lifecycle::command::Notice;
use crate::lifecycle::intake::{accepted_at_amazon, acknowledged_before};
use crate::lifecycle::record::{Approval, deadline_of};
use crate::lifecycle::state::{Attention, CloseReason, MappingStep, OrderState};
use crate::sales_order::SalesOrderChanges;

/// Brings into `draft` every line of `previous` NetSuite holds closed or that `draft`
/// drops (a line Amazon cancelled, or one capped at nothing accepted), closed. The
/// sales order keeps such a line, so the draft must too: left out, a later change
/// that lists the line again would add a second one. A closed line is never
/// reopened: it may be one a reviewer, or an acknowledgement, refused.
pub(super) fn carry_closed_lines(previous: &SalesOrderDraft, draft: &mut SalesOrderDraft) {
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

impl Machine<'_> {
    /// Sets the sales order's approval status in NetSuite, then continues in
    /// `resume`.
    pub(super) fn set_approval(&mut self, status: SalesOrderStatus, resume: OrderState) {
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
    pub(super) fn on_status_refused(&mut self, resume: OrderState) {
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

    /// Applies a change Amazon made to the latest purchase order, as the state allows.
    pub(super) fn apply_change(&mut self) {
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
                self.rec.acknowledgement_deadline =
                    deadline_of(&self.rec.purchase_order, self.settings);
                let acceptance = accepted_at_amazon(&self.rec.purchase_order, None);
                self.route_acknowledged(&acceptance)
            }
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. },
            } => {
                // Amazon's deadline runs from its order date, read at last.
                self.rec.acknowledgement_deadline =
                    deadline_of(&self.rec.purchase_order, self.settings);
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
                    // It may have gone out and been applied: the next one is held to
                    // the compliance rules against it too.
                    self.keep_unanswered(&acknowledgement);
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

    pub(super) fn changed_since_acknowledged(&self) -> bool {
        self.rec
            .confirmed
            .as_ref()
            .is_none_or(|c| differs_from(&self.rec.purchase_order, &c.acknowledgement))
    }

    /// Amazon changed an acknowledged order: the configured policy decides.
    pub(super) fn apply_policy(&mut self, resume: OrderState) {
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
    pub(super) fn post_change(&mut self, resume: OrderState) {
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
    pub(super) fn update_netsuite(
        &mut self,
        resume: OrderState,
        approved: Option<&Acknowledgement>,
    ) {
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
                let changes = SalesOrderChanges::between(&old, &mapped.draft);
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
    pub(super) fn follow_ship_date(&mut self) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ItemSequenceNumber;
    use crate::mapping::fixtures::{retail_po, settings};
    use crate::order::PurchaseOrder;
    use crate::sales_order::LineChange;

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
        let changes = SalesOrderChanges::between(&draft(&before), &draft(&after));
        let names: Vec<String> = changes
            .lines
            .iter()
            .map(|c| match c {
                LineChange::Add { line } => format!("add {}", line.sequence),
                LineChange::Set {
                    sequence, quantity, ..
                } => format!("set {sequence} to {quantity:?}"),
                LineChange::Close { sequence } => format!("close {sequence}"),
            })
            .collect();
        assert_eq!(names, ["set 2 to Some(8)", "add 3", "close 1"]);
        // A ship date that disappears is left as it was in NetSuite.
        assert_eq!(changes.ship_date, None);
        assert!(SalesOrderChanges::between(&draft(&before), &draft(&before)).is_empty());
    }
}
