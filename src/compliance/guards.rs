//! The guards that hold a reviewer's approval for a person when sending it would
//! break one of Amazon's compliance rules.

use chrono::{DateTime, Utc};

use super::{ComplianceRules, chargeback, rejects_more_than, units_above_threshold};
use crate::acknowledgement::{Acknowledgement, AcknowledgementCode, RetailAcknowledgementLine};
use crate::order::{PriceBasis, Problem, ProblemKind, PurchaseOrder};

/// The compliance rules an acknowledgement built from a reviewer's approval would
/// break, each as a [`Problem`] naming the PO, the line and the field, with what it
/// would cost. Empty when it breaks none.
///
/// `previous` is the acknowledgement Amazon last took. The rules, for retail lines
/// (a Direct Fulfillment order is acknowledged once, whole):
///
/// - **the rejection-rate guard**: a line that would reject more than the guard's
///   share of its ordered quantity, and more than `previous` rejected
///   ([`ProblemKind::RejectionAboveGuard`]);
/// - **the down-confirm cut-off**: after it, a line that would confirm fewer units
///   than `previous` did ([`ProblemKind::LateDownConfirm`]), unless
///   [`ComplianceRules::allow_late_down_confirm`];
/// - **the update window**: after it, a line whose confirmed units or cost differ
///   from `previous` ([`ProblemKind::UpdateAfterWindow`]); a lowering the down-confirm
///   rule already names, or allows, is not named twice. Dates may change.
///
/// A first `Rejected` turned `Accepted` is refused outright by the acknowledgement's
/// own checks ([`ProblemKind::RejectedLineAccepted`]), not here.
#[must_use]
pub fn check_approval(
    po: &PurchaseOrder,
    next: &Acknowledgement,
    previous: Option<&Acknowledgement>,
    rules: &ComplianceRules,
    now: DateTime<Utc>,
) -> Vec<Problem> {
    let Acknowledgement::Retail(next) = next else {
        return Vec::new();
    };
    let previous = match previous {
        Some(Acknowledgement::Retail(p)) => Some(p),
        _ => None,
    };
    let threshold = rules.rejection_threshold(&po.selling_party);
    let window_closed = now > rules.update_window_closes(po.ordered_at);
    let cutoff = rules.down_confirm_cutoff(po).filter(|c| now > *c);
    let mut problems = Vec::new();
    for (index, line) in next.lines.iter().enumerate() {
        let before = previous.and_then(|p| p.lines.iter().find(|l| l.sequence == line.sequence));
        let field = format!("acknowledgement.items[{index}].itemAcknowledgements");
        let problem = |field: String, kind: ProblemKind| Problem {
            purchase_order_number: po.number.to_string(),
            line: Some(line.sequence.to_string()),
            field,
            kind,
        };
        let ordered = line.ordered.eaches().unwrap_or(0);
        let (kept, rejected) = split(line);
        if let Some(percent) = threshold {
            let rejected_before = before.map_or(0, |b| split(b).1);
            if rejected > rejected_before && rejects_more_than(ordered, rejected, percent) {
                let units_above = units_above_threshold(ordered, rejected, percent);
                problems.push(problem(
                    field.clone(),
                    ProblemKind::RejectionAboveGuard {
                        rejected,
                        ordered,
                        max_percent: percent,
                        units_above,
                        chargeback: cost_of(line, units_above),
                    },
                ));
            }
        }
        let Some(before) = before else { continue };
        let kept_before = split(before).0;
        let lowered = kept < kept_before;
        let mut lowering_named = false;
        if let Some(cutoff) = cutoff {
            if lowered {
                lowering_named = true;
                if !rules.allow_late_down_confirm {
                    problems.push(problem(
                        field.clone(),
                        ProblemKind::LateDownConfirm {
                            cutoff,
                            previously_kept: kept_before,
                            now_kept: kept,
                            chargeback: cost_of(line, kept_before - kept),
                        },
                    ));
                }
            }
        }
        if !window_closed {
            continue;
        }
        let closed_at = rules.update_window_closes(po.ordered_at);
        if kept != kept_before && !lowering_named {
            problems.push(problem(
                field,
                ProblemKind::UpdateAfterWindow {
                    closed_at,
                    before: format!("{kept_before} eaches confirmed"),
                    after: format!("{kept} eaches"),
                },
            ));
        }
        if line.net_cost != before.net_cost {
            problems.push(problem(
                format!("acknowledgement.items[{index}].netCost.amount"),
                ProblemKind::UpdateAfterWindow {
                    closed_at,
                    before: format!("the net cost {}", before.net_cost.money),
                    after: line.net_cost.money.to_string(),
                },
            ));
        }
    }
    problems
}

/// A line's eaches kept (accepted or back-ordered) and rejected.
fn split(line: &RetailAcknowledgementLine) -> (u64, u64) {
    line.decisions.iter().fold((0, 0), |(kept, rejected), d| {
        let eaches = d.quantity.eaches().unwrap_or(0);
        match d.code {
            AcknowledgementCode::Rejected => (kept, rejected.saturating_add(eaches)),
            AcknowledgementCode::Accepted | AcknowledgementCode::Backordered => {
                (kept.saturating_add(eaches), rejected)
            }
        }
    })
}

/// The chargeback on `units` of the line, when it is priced per each.
fn cost_of(line: &RetailAcknowledgementLine, units: u64) -> Option<crate::money::Money> {
    match line.net_cost.basis {
        PriceBasis::Each => chargeback(&line.net_cost.money, units),
        PriceBasis::Weight(_) => None,
    }
}
