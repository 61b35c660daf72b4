//! The acknowledgement: sent at once when auto acknowledgement is on, or built from
//! the sales order a reviewer approved.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    MappedOrder, check_acknowledgement, cost_field, finish, item_path, net_cost_per_each, problem,
};
use crate::acknowledgement::{
    Acknowledgement, AcknowledgementCode, DirectFulfillmentAcknowledgement,
    DirectFulfillmentAcknowledgementLine, LineDecision, RejectionReason, RetailAcknowledgement,
    RetailAcknowledgementLine, df_status,
};
use crate::decimal::Decimal;
use crate::ids::{ItemSequenceNumber, external_id};
use crate::money::Money;
use crate::order::{
    OrderLine, Price, PriceBasis, Problem, ProblemKind, Program, PurchaseOrder, Quantity,
    QuantityUnit, ValidationError,
};
use crate::sales_order::{NetSuiteStatus, SalesOrderLineSnapshot, SalesOrderSnapshot};
use crate::settings::{Settings, UnmappedItemPolicy, df_rejection_code};

/// The acknowledgement sent at once when auto acknowledgement is on: every line
/// accepted as ordered at Amazon's net cost, except lines the unmapped-item policy
/// rejects (Retail: Rejected with `InvalidProductIdentifier`; Direct Fulfillment: the
/// whole order rejected with code `02`). Direct Fulfillment accepts with code `00`.
/// A line with nothing ordered (cancelled by Amazon) is left out in both programs.
/// For a vendor code that sells books at list price
/// ([`Settings::sells_at_list_price`]), each retail line carries its list price and
/// `discountMultiplier`, the net cost over the list price.
///
/// # Errors
/// A [`ValidationError`] when a Direct Fulfillment order has no ship-from party, a
/// list-price vendor's line has no list price or no exact multiplier, or the result
/// breaks an acknowledgement rule ([`check_acknowledgement`]).
pub fn auto_acknowledgement(
    po: &PurchaseOrder,
    mapped: &MappedOrder,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Acknowledgement, ValidationError> {
    let mut problems = Vec::new();
    let ack = match po.program {
        Program::RetailProcurement => {
            let mut lines = Vec::new();
            // A line with nothing ordered (Amazon cancelled it) is left out: Amazon's
            // models say an acknowledged quantity should not be zero, and Amazon takes
            // a line left out as rejected.
            for line in po.lines.iter().filter(|l| l.ordered.amount != 0) {
                let decision = if mapped.rejected_lines.contains(&line.sequence) {
                    rejected(line.ordered, RejectionReason::InvalidProductIdentifier)
                } else {
                    LineDecision {
                        code: AcknowledgementCode::Accepted,
                        quantity: line.ordered,
                        scheduled_ship_date: None,
                        scheduled_delivery_date: None,
                        rejection_reason: None,
                    }
                };
                lines.push(retail_line(line, line.net_cost, vec![decision]));
            }
            let mut ack = RetailAcknowledgement {
                purchase_order_number: po.number.clone(),
                selling_party: po.selling_party.clone(),
                acknowledged_at: now,
                lines,
            };
            add_discount_multipliers(po, &mut ack, settings, &mut problems);
            Some(Acknowledgement::Retail(ack))
        }
        Program::DirectFulfillment => {
            let code = if mapped.rejected_lines.is_empty() {
                df_status::ACCEPTED
            } else {
                df_status::INVALID_SKU
            };
            direct_fulfillment(
                po,
                code,
                external_id(po.program, &po.number).as_str(),
                now,
                &mut problems,
            )
        }
    };
    let ack = finish(po, problems, ack)?;
    check_acknowledgement(po, &ack, None)?;
    Ok(ack)
}

pub(super) fn rejected(ordered: Quantity, reason: RejectionReason) -> LineDecision {
    LineDecision {
        code: AcknowledgementCode::Rejected,
        quantity: ordered,
        scheduled_ship_date: None,
        scheduled_delivery_date: None,
        rejection_reason: Some(reason),
    }
}

pub(super) fn retail_line(
    line: &OrderLine,
    net_cost: Price,
    decisions: Vec<LineDecision>,
) -> RetailAcknowledgementLine {
    RetailAcknowledgementLine {
        sequence: line.sequence.clone(),
        asin: line.asin.clone(),
        vendor_sku: line.vendor_sku.clone(),
        ordered: line.ordered,
        net_cost,
        list_price: line.list_price,
        discount_multiplier: None,
        decisions,
    }
}

/// For a vendor code that sells books at list price
/// ([`Settings::sells_at_list_price`]), sets each line's list price and
/// `discountMultiplier`: the confirmed net cost over Amazon's list price, exact.
/// A line without a list price, one in another currency or basis, or a quotient
/// with no exact decimal is a problem: a multiplier is never rounded.
fn add_discount_multipliers(
    po: &PurchaseOrder,
    ack: &mut RetailAcknowledgement,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) {
    if !settings.sells_at_list_price(&po.selling_party) {
        return;
    }
    for line in &mut ack.lines {
        let Some(index) = po.lines.iter().position(|l| l.sequence == line.sequence) else {
            continue;
        };
        let field = format!("{}.listPrice", item_path(index));
        let Some(list) = po.lines[index].list_price else {
            problems.push(problem(
                po,
                Some(&line.sequence),
                field,
                ProblemKind::Missing,
            ));
            continue;
        };
        if list.basis != line.net_cost.basis
            || list.money.currency() != line.net_cost.money.currency()
        {
            problems.push(problem(
                po,
                Some(&line.sequence),
                field,
                ProblemKind::Invalid {
                    reason: format!(
                        "the list price {} is not in the net cost's currency and basis",
                        list.money
                    ),
                },
            ));
            continue;
        }
        let net = line.net_cost.money.amount();
        match net.checked_div_exact(&list.money.amount()).ok() {
            Some(multiplier) => {
                line.list_price = Some(list);
                line.discount_multiplier = Some(multiplier);
            }
            None => problems.push(problem(
                po,
                Some(&line.sequence),
                format!("acknowledgement.items[{index}].discountMultiplier"),
                ProblemKind::Invalid {
                    reason: format!(
                        "the net cost {net} over the list price {} has no exact decimal; Amazon takes the multiplier as sent, so set a net cost that divides exactly",
                        list.money.amount()
                    ),
                },
            )),
        }
    }
}

fn direct_fulfillment(
    po: &PurchaseOrder,
    code: &str,
    vendor_order_number: &str,
    now: DateTime<Utc>,
    problems: &mut Vec<Problem>,
) -> Option<Acknowledgement> {
    let ship_from = po.ship_from.as_ref().and_then(|p| p.id.clone());
    if ship_from.is_none() {
        problems.push(problem(
            po,
            None,
            "orderDetails.shipFromParty.partyId".into(),
            ProblemKind::Missing,
        ));
    }
    let mut lines = Vec::new();
    for (index, line) in po.lines.iter().enumerate() {
        match line.ordered.eaches() {
            // Nothing ordered: the line is left out, never acknowledged as zero.
            Some(0) => {}
            Some(quantity) => lines.push(DirectFulfillmentAcknowledgementLine {
                sequence: line.sequence.clone(),
                asin: line.asin.clone(),
                vendor_sku: line.vendor_sku.clone(),
                quantity,
            }),
            None => problems.push(problem(
                po,
                Some(&line.sequence),
                format!("{}.orderedQuantity", item_path(index)),
                ProblemKind::OutOfRange {
                    what: "the ordered quantity in eaches".into(),
                },
            )),
        }
    }
    Some(Acknowledgement::DirectFulfillment(
        DirectFulfillmentAcknowledgement {
            purchase_order_number: po.number.clone(),
            vendor_order_number: vendor_order_number.to_owned(),
            acknowledged_at: now,
            status_code: code.to_owned(),
            status_description: df_status::description(code).unwrap_or_default().to_owned(),
            selling_party: po.selling_party.clone(),
            ship_from: ship_from?,
            lines,
        },
    ))
}

/// What the approved sales order says about one PO line.
struct Approved {
    /// Approved eaches.
    eaches: u64,
    /// The rate of the open lines, if any are open.
    rate: Option<Decimal>,
    /// The latest expected ship date set on the line.
    ship_date: Option<NaiveDate>,
}

fn so_field(line: &SalesOrderLineSnapshot, field: &str) -> String {
    format!("salesOrder.item[line={}].{field}", line.line)
}

/// Builds the acknowledgement for a sales order a reviewer approved in NetSuite.
///
/// Retail, per PO line: the approved quantity (the open sales-order lines for it, in
/// eaches, back in the PO's unit) is Accepted; the rest is Backordered when the PO
/// allows back orders and a sales-order line for it carries an expected ship date,
/// and Rejected with the configured reason otherwise; a line the unmapped-item policy
/// left out is Rejected as `InvalidProductIdentifier`. The net cost is the approved
/// rate. Direct Fulfillment: full quantity on every line accepts the order (`00`);
/// every line closed rejects it with the code for the configured reason (`03` out of
/// stock, `02` invalid SKU, `71` discontinued), or `02` when an item was not mapped.
/// A sales order Cancelled or Closed in NetSuite rejects every line. A line with
/// nothing ordered (cancelled by Amazon) is left out in both programs. A list-price
/// vendor's lines carry the list price and `discountMultiplier`, as in
/// [`auto_acknowledgement`].
///
/// `previous` is the last acknowledgement Amazon confirmed, for the rule that a
/// rejected line can never be accepted again.
///
/// # Errors
/// A [`ValidationError`] listing every problem, so the order stays with the reviewer
/// and nothing is sent: the order is not approved; a PO line has no sales-order line;
/// a sales-order line names no PO line; an approved quantity above the ordered
/// quantity or not a whole number of cases; a rate above Amazon's net cost, zero, or
/// several rates for one PO line; a line rejected before and accepted now; part of a
/// Direct Fulfillment order.
pub fn acknowledgement_from_sales_order(
    po: &PurchaseOrder,
    snapshot: &SalesOrderSnapshot,
    previous: Option<&Acknowledgement>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Acknowledgement, ValidationError> {
    let mut problems = Vec::new();
    let everything_closed = match &snapshot.status {
        NetSuiteStatus::PendingApproval => {
            problems.push(problem(
                po,
                None,
                "salesOrder.status".into(),
                ProblemKind::Invalid {
                    reason: "the sales order is still pending approval".into(),
                },
            ));
            false
        }
        NetSuiteStatus::Cancelled | NetSuiteStatus::Closed => true,
        NetSuiteStatus::Other(letter) => {
            problems.push(problem(
                po,
                None,
                "salesOrder.status".into(),
                ProblemKind::Invalid {
                    reason: format!("status `{letter}` is not one this version knows"),
                },
            ));
            false
        }
        _ => false,
    };

    let mut by_sequence: BTreeMap<&ItemSequenceNumber, Vec<&SalesOrderLineSnapshot>> =
        BTreeMap::new();
    for line in &snapshot.lines {
        let Some(sequence) = &line.sequence else {
            // A line a person added in NetSuite: not Amazon's, nothing to acknowledge.
            continue;
        };
        if po.lines.iter().any(|l| &l.sequence == sequence) {
            by_sequence.entry(sequence).or_default().push(line);
        } else {
            problems.push(problem(
                po,
                None,
                so_field(line, "custcol_avc_item_seq"),
                ProblemKind::LineNotOnOrder {
                    sequence: sequence.to_string(),
                },
            ));
        }
    }

    let unmapped_rejected = |line: &OrderLine| {
        settings.policies.unmapped_item == UnmappedItemPolicy::RejectLine
            && settings.items.lookup(line).is_none()
    };

    // Per PO line: `None` when the line is rejected outright (not in the sales order by
    // policy, or cancelled by Amazon).
    let mut approved: Vec<Option<Approved>> = Vec::new();
    let mut any_invalid_sku = false;
    for (index, line) in po.lines.iter().enumerate() {
        let Some(so_lines) = by_sequence.get(&line.sequence) else {
            if unmapped_rejected(line) {
                any_invalid_sku = true;
            } else if line.ordered.amount != 0 {
                problems.push(problem(
                    po,
                    Some(&line.sequence),
                    format!("{}.itemSequenceNumber", item_path(index)),
                    ProblemKind::LineNotInSalesOrder,
                ));
            }
            approved.push(None);
            continue;
        };
        let mut eaches: u64 = 0;
        let mut rate: Option<Decimal> = None;
        let mut ship_date: Option<NaiveDate> = None;
        for so in so_lines {
            if so.is_closed || everything_closed {
                continue;
            }
            eaches = match eaches.checked_add(so.quantity) {
                Some(e) => e,
                None => {
                    problems.push(problem(
                        po,
                        Some(&line.sequence),
                        so_field(so, "quantity"),
                        ProblemKind::OutOfRange {
                            what: "the approved quantity".into(),
                        },
                    ));
                    0
                }
            };
            match rate {
                None => rate = Some(so.rate),
                Some(first) if first != so.rate => problems.push(problem(
                    po,
                    Some(&line.sequence),
                    so_field(so, "rate"),
                    ProblemKind::SeveralRates {
                        first,
                        other: so.rate,
                    },
                )),
                Some(_) => {}
            }
            ship_date = ship_date.max(so.expected_ship_date);
        }
        approved.push(Some(Approved {
            eaches,
            rate,
            ship_date,
        }));
    }

    let ack = match po.program {
        Program::RetailProcurement => {
            let mut lines = Vec::new();
            for ((index, line), approved) in po.lines.iter().enumerate().zip(&approved) {
                match approved {
                    // Nothing ordered: left out (see `auto_acknowledgement`).
                    None if line.ordered.amount == 0 => {}
                    None => {
                        let reason = if unmapped_rejected(line) {
                            RejectionReason::InvalidProductIdentifier
                        } else {
                            settings.policies.default_rejection_reason
                        };
                        lines.push(retail_line(
                            line,
                            line.net_cost,
                            vec![rejected(line.ordered, reason)],
                        ));
                    }
                    Some(a) => {
                        if let Some(l) =
                            retail_from_approved(po, index, line, a, settings, &mut problems)
                        {
                            lines.push(l);
                        }
                    }
                }
            }
            let mut ack = RetailAcknowledgement {
                purchase_order_number: po.number.clone(),
                selling_party: po.selling_party.clone(),
                acknowledged_at: now,
                lines,
            };
            add_discount_multipliers(po, &mut ack, settings, &mut problems);
            Some(Acknowledgement::Retail(ack))
        }
        Program::DirectFulfillment => {
            let mut full = true;
            let mut none = true;
            for ((index, line), approved) in po.lines.iter().enumerate().zip(&approved) {
                let ordered = line.ordered.eaches().unwrap_or(u64::MAX);
                let eaches = approved.as_ref().map_or(0, |a| a.eaches);
                if let Some(a) = approved {
                    check_approved_rate(po, index, line, a, settings, &mut problems);
                    if a.eaches > ordered {
                        problems.push(problem(
                            po,
                            Some(&line.sequence),
                            format!("{}.orderedQuantity", item_path(index)),
                            ProblemKind::QuantityAboveOrdered {
                                approved: a.eaches,
                                ordered,
                            },
                        ));
                    }
                }
                full &= eaches == ordered;
                none &= eaches == 0;
            }
            let code = if any_invalid_sku {
                Some(df_status::INVALID_SKU)
            } else if none {
                Some(df_rejection_code(
                    settings.policies.default_rejection_reason,
                ))
            } else if full {
                Some(df_status::ACCEPTED)
            } else {
                problems.push(problem(
                    po,
                    None,
                    "salesOrder.item".into(),
                    ProblemKind::PartialDirectFulfillment,
                ));
                None
            };
            let vendor_order_number = snapshot
                .tran_id
                .clone()
                .unwrap_or_else(|| snapshot.external_id.to_string());
            code.and_then(|code| {
                direct_fulfillment(po, code, &vendor_order_number, now, &mut problems)
            })
        }
    };
    let ack = finish(po, problems, ack)?;
    check_acknowledgement(po, &ack, previous)?;
    Ok(ack)
}

/// Checks the approved rate against Amazon's net cost per each; returns the net cost
/// per each when it could be worked out.
fn check_approved_rate(
    po: &PurchaseOrder,
    index: usize,
    line: &OrderLine,
    approved: &Approved,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> Option<Decimal> {
    let net = match net_cost_per_each(po, index, line, settings) {
        Ok(n) => n,
        Err(p) => {
            problems.push(*p);
            return None;
        }
    };
    if let Some(rate) = approved.rate {
        let field = format!("{}.{}", item_path(index), cost_field(po));
        if rate > net {
            problems.push(problem(
                po,
                Some(&line.sequence),
                field,
                ProblemKind::RateAboveNetCost {
                    rate,
                    net_cost: net,
                },
            ));
        } else if !rate.is_positive() && approved.eaches > 0 {
            problems.push(problem(
                po,
                Some(&line.sequence),
                field,
                ProblemKind::RateNotPositive { rate },
            ));
        }
    }
    Some(net)
}

fn retail_from_approved(
    po: &PurchaseOrder,
    index: usize,
    line: &OrderLine,
    approved: &Approved,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> Option<RetailAcknowledgementLine> {
    let before = problems.len();
    let net = check_approved_rate(po, index, line, approved, settings, problems);
    let qty_field = format!("{}.orderedQuantity", item_path(index));
    let Some(ordered) = line.ordered.eaches() else {
        problems.push(problem(
            po,
            Some(&line.sequence),
            qty_field,
            ProblemKind::OutOfRange {
                what: "the ordered quantity in eaches".into(),
            },
        ));
        return None;
    };
    if approved.eaches > ordered {
        problems.push(problem(
            po,
            Some(&line.sequence),
            qty_field.clone(),
            ProblemKind::QuantityAboveOrdered {
                approved: approved.eaches,
                ordered,
            },
        ));
    }
    let unit_size = match line.ordered.unit {
        QuantityUnit::Eaches => 1,
        QuantityUnit::Cases => line.ordered.unit_size,
    };
    let to_unit = |eaches: u64| -> Option<u64> {
        if eaches.checked_rem(unit_size)? == 0 {
            eaches.checked_div(unit_size)
        } else {
            None
        }
    };
    let accepted = to_unit(approved.eaches);
    if accepted.is_none() {
        problems.push(problem(
            po,
            Some(&line.sequence),
            qty_field,
            ProblemKind::NotWholeCases {
                eaches: approved.eaches,
                unit_size,
            },
        ));
    }
    if problems.len() > before {
        return None;
    }
    let accepted = accepted?;
    let rest = line.ordered.amount.checked_sub(accepted)?;
    let quantity = |amount: u64| Quantity {
        amount,
        ..line.ordered
    };
    let date = approved
        .ship_date
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let mut decisions = Vec::new();
    if accepted > 0 {
        decisions.push(LineDecision {
            code: AcknowledgementCode::Accepted,
            quantity: quantity(accepted),
            scheduled_ship_date: date,
            scheduled_delivery_date: None,
            rejection_reason: None,
        });
    }
    if rest > 0 {
        if line.back_order_allowed && date.is_some() && rest > 0 {
            decisions.push(LineDecision {
                code: AcknowledgementCode::Backordered,
                quantity: quantity(rest),
                scheduled_ship_date: date,
                scheduled_delivery_date: None,
                rejection_reason: None,
            });
        } else {
            decisions.push(rejected(
                quantity(rest),
                settings.policies.default_rejection_reason,
            ));
        }
    }
    if decisions.is_empty() {
        // Nothing ordered and nothing approved: the line is left out, as Amazon takes
        // a missing line as rejected and a zero quantity should not be sent.
        return None;
    }
    let net_cost = match (approved.rate, net) {
        (Some(rate), Some(net)) if rate != net => match line.net_cost.basis {
            PriceBasis::Each => Price {
                money: Money::new(rate, line.net_cost.money.currency()),
                basis: PriceBasis::Each,
            },
            PriceBasis::Weight(unit) => {
                let weight = settings
                    .items
                    .lookup(line)
                    .and_then(|m| m.target.weight_per_each.get(unit));
                match weight.and_then(|w| rate.checked_div_exact(&w).ok()) {
                    Some(per_weight) => Price {
                        money: Money::new(per_weight, line.net_cost.money.currency()),
                        basis: line.net_cost.basis,
                    },
                    None => {
                        problems.push(problem(
                            po,
                            Some(&line.sequence),
                            format!("{}.{}", item_path(index), cost_field(po)),
                            ProblemKind::Invalid {
                                reason: format!("rate {rate} per each is no exact price per {unit:?}; Amazon prices this line per weight, so set a rate that divides exactly or keep Amazon's"),
                            },
                        ));
                        return None;
                    }
                }
            }
        },
        _ => line.net_cost,
    };
    Some(retail_line(line, net_cost, decisions))
}
