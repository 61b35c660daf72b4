//! Pure mapping between Amazon's purchase orders, NetSuite sales orders and Amazon
//! acknowledgements: the draft in `draft.rs`, the acknowledgement in
//! `acknowledgement.rs`, Amazon's acknowledgement rules in `rules.rs`.
//!
//! - [`sales_order_draft`]: a purchase order to the sales order to create.
//! - [`auto_acknowledgement`]: the acknowledgement sent at once when auto
//!   acknowledgement is on: every line accepted as ordered.
//! - [`acknowledgement_from_sales_order`]: the acknowledgement built from the sales
//!   order a reviewer approved.
//! - [`check_acknowledgement`]: Amazon's acknowledgement rules, applied to every
//!   acknowledgement before it is sent.
//!
//! Nothing here guesses: an unmapped item, a missing customer, an unknown currency, a
//! weight price with no conversion, or an approved order that breaks one of Amazon's
//! rules is a [`Problem`] naming the PO, the line and the key, collected into one
//! [`ValidationError`].

mod acknowledgement;
mod draft;
mod rules;
#[cfg(test)]
mod tests;

pub use crate::ids::external_id;
pub use acknowledgement::{acknowledgement_from_sales_order, auto_acknowledgement};
pub use draft::{MappedOrder, sales_order_draft};
pub use rules::{check_acknowledgement, rejects_everything};

pub(crate) use crate::ids::fnv1a64;
#[cfg(test)]
pub(crate) use crate::testing::fixtures;

use crate::decimal::Decimal;
use crate::ids::ItemSequenceNumber;
use crate::order::{
    OrderLine, PriceBasis, Problem, ProblemKind, Program, PurchaseOrder, ValidationError,
};
use crate::settings::Settings;

fn problem(
    po: &PurchaseOrder,
    line: Option<&ItemSequenceNumber>,
    field: String,
    kind: ProblemKind,
) -> Problem {
    Problem {
        purchase_order_number: po.number.to_string(),
        line: line.map(|l| l.to_string()),
        field,
        kind,
    }
}

fn item_path(index: usize) -> String {
    format!("orderDetails.items[{index}]")
}

fn cost_field(po: &PurchaseOrder) -> &'static str {
    match po.program {
        Program::RetailProcurement => "netCost",
        Program::DirectFulfillment => "netPrice",
    }
}

fn finish<T>(
    po: &PurchaseOrder,
    problems: Vec<Problem>,
    value: Option<T>,
) -> Result<T, ValidationError> {
    match value {
        Some(v) if problems.is_empty() => Ok(v),
        _ => {
            let mut problems = problems;
            if problems.is_empty() {
                problems.push(problem(
                    po,
                    None,
                    String::new(),
                    ProblemKind::Invalid {
                        reason: "the order could not be mapped".into(),
                    },
                ));
            }
            Err(ValidationError {
                purchase_order_number: po.number.to_string(),
                problems,
            })
        }
    }
}

/// Amazon's net cost per each for a line: the price itself, or for a price per weight
/// unit, the price times the configured weight of one each.
///
/// Fails with the [`Problem`] when the line is priced per weight and its item has no
/// weight per each in that unit, or the product does not fit.
fn net_cost_per_each(
    po: &PurchaseOrder,
    index: usize,
    line: &OrderLine,
    settings: &Settings,
) -> Result<Decimal, Box<Problem>> {
    match line.net_cost.basis {
        PriceBasis::Each => Ok(line.net_cost.money.amount()),
        PriceBasis::Weight(unit) => {
            let field = format!("{}.{}.unitOfMeasure", item_path(index), cost_field(po));
            let Some(found) = settings.items.lookup(line) else {
                return Err(Box::new(problem(
                    po,
                    Some(&line.sequence),
                    field,
                    ProblemKind::UnmappedItem {
                        vendor_sku: line.vendor_sku.as_ref().map(|s| s.to_string()),
                        asin: line.asin.as_ref().map(|s| s.to_string()),
                    },
                )));
            };
            let Some(weight) = found.target.weight_per_each.get(unit) else {
                return Err(Box::new(problem(
                    po,
                    Some(&line.sequence),
                    field,
                    ProblemKind::WeightPriceWithoutConversion {
                        unit,
                        key: found.key.to_owned(),
                    },
                )));
            };
            line.net_cost
                .money
                .amount()
                .checked_mul(&weight)
                .map_err(|_| {
                    Box::new(problem(
                        po,
                        Some(&line.sequence),
                        field,
                        ProblemKind::OutOfRange {
                            what: format!("{} × {weight}", line.net_cost.money.amount()),
                        },
                    ))
                })
        }
    }
}
