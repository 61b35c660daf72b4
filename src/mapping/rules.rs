//! Amazon's acknowledgement rules, checked on every acknowledgement before it is sent.

use super::{finish, problem};
use crate::acknowledgement::{
    Acknowledgement, AcknowledgementCode, RetailAcknowledgementLine, df_status,
};
use crate::ids::ItemSequenceNumber;
use crate::order::{OrderLine, Problem, ProblemKind, PurchaseOrder, Quantity, ValidationError};

/// Amazon's acknowledgement rules, checked on every acknowledgement before it is sent:
/// it is for this PO; every PO line with something ordered appears exactly once, a
/// line with nothing ordered at most once, and no other line; no acknowledged
/// quantity is zero (Amazon's models: it should not be); no line acknowledges more
/// than was ordered; a Rejected part carries a reason and only a
/// Rejected part does; Backordered only where the PO allows back orders; the net cost
/// is in the PO's currency and basis, above zero and not above Amazon's; a line that
/// `previous` (the last acknowledgement Amazon confirmed) rejected in part is never
/// accepted beyond what it kept; a Direct Fulfillment acceptance (`00`) covers every
/// line in full.
///
/// # Errors
/// A [`ValidationError`] listing every rule broken.
pub fn check_acknowledgement(
    po: &PurchaseOrder,
    ack: &Acknowledgement,
    previous: Option<&Acknowledgement>,
) -> Result<(), ValidationError> {
    let mut problems = Vec::new();
    if ack.purchase_order_number() != &po.number {
        problems.push(problem(
            po,
            None,
            "purchaseOrderNumber".into(),
            ProblemKind::Invalid {
                reason: format!(
                    "the acknowledgement is for PO {}",
                    ack.purchase_order_number()
                ),
            },
        ));
    }
    let sequences: Vec<&ItemSequenceNumber> = match ack {
        Acknowledgement::Retail(a) => a.lines.iter().map(|l| &l.sequence).collect(),
        Acknowledgement::DirectFulfillment(a) => a.lines.iter().map(|l| &l.sequence).collect(),
    };
    if sequences.is_empty() {
        problems.push(problem(
            po,
            None,
            "acknowledgement.items".into(),
            ProblemKind::Missing,
        ));
    }
    for (index, line) in po.lines.iter().enumerate() {
        let count = sequences.iter().filter(|s| **s == &line.sequence).count();
        // A line with nothing ordered may be left out: Amazon takes it as rejected.
        let left_out_as_cancelled = count == 0 && line.ordered.amount == 0;
        if count != 1 && !left_out_as_cancelled {
            problems.push(problem(
                po,
                Some(&line.sequence),
                format!("acknowledgement.items[{index}]"),
                if count == 0 {
                    ProblemKind::Missing
                } else {
                    ProblemKind::Invalid {
                        reason: format!("the line is acknowledged {count} times"),
                    }
                },
            ));
        }
    }
    for s in &sequences {
        if !po.lines.iter().any(|l| &l.sequence == *s) {
            problems.push(problem(
                po,
                None,
                "acknowledgement.items".into(),
                ProblemKind::LineNotOnOrder {
                    sequence: s.to_string(),
                },
            ));
        }
    }
    match ack {
        Acknowledgement::Retail(a) => {
            let previous = match previous {
                Some(Acknowledgement::Retail(p)) => Some(p),
                _ => None,
            };
            for (index, line) in po.lines.iter().enumerate() {
                let Some(al) = a.lines.iter().find(|l| l.sequence == line.sequence) else {
                    continue;
                };
                check_retail_line(
                    po,
                    index,
                    line,
                    al,
                    previous.and_then(|p| p.lines.iter().find(|l| l.sequence == line.sequence)),
                    &mut problems,
                );
            }
        }
        Acknowledgement::DirectFulfillment(a) => {
            let mut full = true;
            for (index, line) in po.lines.iter().enumerate() {
                let Some(al) = a.lines.iter().find(|l| l.sequence == line.sequence) else {
                    continue;
                };
                let ordered = line.ordered.eaches().unwrap_or(0);
                if al.quantity == 0 {
                    problems.push(problem(
                        po,
                        Some(&line.sequence),
                        format!("acknowledgement.items[{index}].acknowledgedQuantity"),
                        ProblemKind::Invalid {
                            reason: ZERO_QUANTITY.into(),
                        },
                    ));
                }
                if al.quantity > ordered {
                    problems.push(problem(
                        po,
                        Some(&line.sequence),
                        format!("acknowledgement.items[{index}].acknowledgedQuantity"),
                        ProblemKind::QuantityAboveOrdered {
                            approved: al.quantity,
                            ordered,
                        },
                    ));
                }
                full &= al.quantity == ordered;
            }
            if a.status_code == df_status::ACCEPTED {
                if !full {
                    problems.push(problem(
                        po,
                        None,
                        "acknowledgement.acknowledgementStatus.code".into(),
                        ProblemKind::PartialDirectFulfillment,
                    ));
                }
                if let Some(Acknowledgement::DirectFulfillment(p)) = previous {
                    if p.status_code != df_status::ACCEPTED {
                        problems.push(problem(
                            po,
                            None,
                            "acknowledgement.acknowledgementStatus.code".into(),
                            ProblemKind::RejectedLineAccepted {
                                previously_kept: 0,
                                now_kept: a
                                    .lines
                                    .iter()
                                    .map(|l| l.quantity)
                                    .fold(0, u64::saturating_add),
                            },
                        ));
                    }
                }
            }
        }
    }
    finish(po, problems, Some(()))
}

/// Why an acknowledged quantity of zero is refused.
const ZERO_QUANTITY: &str =
    "an acknowledged quantity of zero; a line with nothing ordered is left out instead";

fn eaches_of(q: &Quantity) -> u64 {
    q.eaches().unwrap_or(u64::MAX)
}

fn check_retail_line(
    po: &PurchaseOrder,
    index: usize,
    line: &OrderLine,
    al: &RetailAcknowledgementLine,
    previous: Option<&RetailAcknowledgementLine>,
    problems: &mut Vec<Problem>,
) {
    let at = |field: &str| format!("acknowledgement.items[{index}].{field}");
    let seq = Some(&line.sequence);
    if al.decisions.is_empty() {
        problems.push(problem(
            po,
            seq,
            at("itemAcknowledgements"),
            ProblemKind::Missing,
        ));
    }
    let ordered = eaches_of(&line.ordered);
    let mut total: u64 = 0;
    let mut kept: u64 = 0;
    let mut all_rejected = true;
    for d in &al.decisions {
        if d.quantity.unit != line.ordered.unit || d.quantity.unit_size != line.ordered.unit_size {
            problems.push(problem(
                po,
                seq,
                at("itemAcknowledgements.acknowledgedQuantity"),
                ProblemKind::Invalid {
                    reason: "the quantity is not in the PO line's unit".into(),
                },
            ));
        }
        if d.quantity.amount == 0 {
            problems.push(problem(
                po,
                seq,
                at("itemAcknowledgements.acknowledgedQuantity"),
                ProblemKind::Invalid {
                    reason: ZERO_QUANTITY.into(),
                },
            ));
        }
        let e = eaches_of(&d.quantity);
        total = total.saturating_add(e);
        match d.code {
            AcknowledgementCode::Rejected => {
                if d.rejection_reason.is_none() {
                    problems.push(problem(
                        po,
                        seq,
                        at("itemAcknowledgements.rejectionReason"),
                        ProblemKind::Missing,
                    ));
                }
            }
            AcknowledgementCode::Accepted | AcknowledgementCode::Backordered => {
                all_rejected = false;
                kept = kept.saturating_add(e);
                if d.rejection_reason.is_some() {
                    problems.push(problem(
                        po,
                        seq,
                        at("itemAcknowledgements.rejectionReason"),
                        ProblemKind::Invalid {
                            reason: "only a Rejected part carries a rejection reason".into(),
                        },
                    ));
                }
                if d.code == AcknowledgementCode::Backordered && !line.back_order_allowed {
                    problems.push(problem(
                        po,
                        seq,
                        at("itemAcknowledgements.acknowledgementCode"),
                        ProblemKind::Invalid {
                            reason:
                                "Backordered, but the PO does not allow back orders on this line"
                                    .into(),
                        },
                    ));
                }
            }
        }
    }
    if total > ordered {
        problems.push(problem(
            po,
            seq,
            at("itemAcknowledgements.acknowledgedQuantity"),
            ProblemKind::QuantityAboveOrdered {
                approved: total,
                ordered,
            },
        ));
    }
    if al.net_cost.basis != line.net_cost.basis
        || al.net_cost.money.currency() != line.net_cost.money.currency()
    {
        problems.push(problem(
            po,
            seq,
            at("netCost"),
            ProblemKind::Invalid {
                reason: format!(
                    "the net cost {} is not in the PO's currency and basis",
                    al.net_cost.money
                ),
            },
        ));
    } else if al.net_cost.money.amount() > line.net_cost.money.amount() {
        problems.push(problem(
            po,
            seq,
            at("netCost"),
            ProblemKind::RateAboveNetCost {
                rate: al.net_cost.money.amount(),
                net_cost: line.net_cost.money.amount(),
            },
        ));
    } else if !all_rejected && !al.net_cost.money.amount().is_positive() {
        problems.push(problem(
            po,
            seq,
            at("netCost"),
            ProblemKind::RateNotPositive {
                rate: al.net_cost.money.amount(),
            },
        ));
    }
    if let Some(p) = previous {
        let mut previously_kept: u64 = 0;
        let mut previously_rejected = false;
        for d in &p.decisions {
            match d.code {
                AcknowledgementCode::Rejected => previously_rejected = true,
                _ => previously_kept = previously_kept.saturating_add(eaches_of(&d.quantity)),
            }
        }
        if previously_rejected && kept > previously_kept {
            problems.push(problem(
                po,
                seq,
                at("itemAcknowledgements"),
                ProblemKind::RejectedLineAccepted {
                    previously_kept,
                    now_kept: kept,
                },
            ));
        }
    }
}

/// Whether an acknowledgement rejects everything: every retail part Rejected, or a
/// Direct Fulfillment code other than `00`.
pub fn rejects_everything(ack: &Acknowledgement) -> bool {
    match ack {
        Acknowledgement::Retail(a) => a
            .lines
            .iter()
            .flat_map(|l| &l.decisions)
            .all(|d| d.code == AcknowledgementCode::Rejected),
        Acknowledgement::DirectFulfillment(a) => a.status_code != df_status::ACCEPTED,
    }
}
