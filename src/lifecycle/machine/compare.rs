//! The pure comparisons the transitions rest on: how Amazon ended an order, what an
//! acknowledgement accepted, whether a copy of a PO is older or differs from what was
//! answered.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::acknowledgement::{Acknowledgement, AcknowledgementCode, df_status};
use crate::ids::ItemSequenceNumber;
use crate::order::{AmazonOrderState, Problem, ProblemKind, PurchaseOrder};

use crate::lifecycle::state::{Attention, CloseReason, OrderState};

/// The end Amazon put to an order, if any: through its state, or by cancelling
/// every line (Amazon shows a cancelled line with quantity 0).
pub(super) fn amazon_end(po: &PurchaseOrder) -> Option<CloseReason> {
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
pub(super) fn accepted_eaches(ack: &Acknowledgement) -> BTreeMap<&ItemSequenceNumber, u64> {
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
pub(super) fn accepted_lines_cancelled(po: &PurchaseOrder, ack: &Acknowledgement) -> bool {
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

pub(super) fn terminal(reason: CloseReason) -> OrderState {
    if reason.is_completion() {
        OrderState::Closed { reason }
    } else {
        OrderState::Cancelled { reason }
    }
}

/// States in which a change from Amazon waits until the work in flight resolves.
pub(super) fn defers_changes(state: &OrderState) -> bool {
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

/// Whether `copy` is an older copy of `held` than `held` itself: Amazon stamped a
/// change or a state change on `held` after the latest `copy` shows. A page read
/// before a change can be answered, or applied, after a page read after it (two
/// engines, overlapping windows, a slow answer); applying it would undo the change.
/// Copies stamped at the same instant are not ordered by this and both apply.
pub(super) fn is_older(copy: &PurchaseOrder, held: &PurchaseOrder) -> bool {
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
pub(super) fn differs_from(po: &PurchaseOrder, ack: &Acknowledgement) -> bool {
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

/// [`summary`] for a notice, which leaves the record for an email or a webhook: a
/// problem in a party's address (a Direct Fulfillment ship-to is a consumer's) names
/// the field but not the value found there.
pub(super) fn notice_summary(problems: &[Problem]) -> String {
    let shown: Vec<Problem> = problems
        .iter()
        .map(|p| {
            let in_address = ["orderDetails.shipToParty", "orderDetails.billToParty"]
                .iter()
                .any(|party| p.field.starts_with(party));
            match &p.kind {
                ProblemKind::Invalid { .. } if in_address => Problem {
                    kind: ProblemKind::Invalid {
                        reason: "the value found is part of an address and not shown here"
                            .to_owned(),
                    },
                    ..p.clone()
                },
                _ => p.clone(),
            }
        })
        .collect();
    summary(&shown)
}

pub(super) fn summary(problems: &[Problem]) -> String {
    match problems {
        [] => "the order needs attention".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::fixtures::{retail_po, settings};
    use crate::mapping::{auto_acknowledgement, sales_order_draft};
    use crate::sales_order::SalesOrderStatus;

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
