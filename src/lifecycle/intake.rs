//! What a listed order means before it is taken in, decided without I/O: whether
//! Amazon shows it acknowledged before the sync saw it, what Amazon accepted of it,
//! what is kept of an order that cannot be read, and whether Amazon's cancellation of
//! a held order still has something to end.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::acknowledgement::{
    Acknowledgement, AcknowledgementCode, DirectFulfillmentAcknowledgement,
    DirectFulfillmentAcknowledgementLine, LineDecision, RetailAcknowledgement,
    RetailAcknowledgementLine, df_status,
};
use crate::amazon::retail::{ConfirmationStatus, ItemQuantity, OrderStatus, UnitOfMeasure};
use crate::ids::{ItemSequenceNumber, PartyId, PurchaseOrderNumber};
use crate::mapping::external_id;
use crate::order::{
    AmazonOrderState, DirectFulfillmentDetails, Problem, ProblemKind, Program, ProgramDetails,
    PurchaseOrder, Quantity, RetailDetails, ValidationError, parse_instant,
};
use crate::settings::Settings;
use crate::text::excerpt;

use super::record::OrderRecord;
use super::state::OrderState;

/// Whether Amazon shows `po` acknowledged: a retail PO `Acknowledged`, a Direct
/// Fulfillment order `ACCEPTED`. For an order the sync has never stored, someone
/// answered it before the sync saw it (in Vendor Central's pages, or with another
/// connector): acknowledging it again would duplicate their answer.
pub fn acknowledged_before(po: &PurchaseOrder) -> bool {
    matches!(
        (po.program, &po.state),
        (Program::RetailProcurement, AmazonOrderState::Acknowledged)
            | (Program::DirectFulfillment, AmazonOrderState::Accepted)
    )
}

/// What Amazon accepted of an order someone acknowledged before the sync saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum AmazonAcceptance {
    /// The whole order, as ordered: a Direct Fulfillment order is accepted or
    /// rejected whole, and one Amazon shows `ACCEPTED` was accepted whole.
    Whole,
    /// The eaches Amazon's status report shows accepted (or back-ordered) per line,
    /// from each line's latest acknowledgement; a line Amazon rejected in full
    /// accepts 0.
    Lines {
        /// Every line of the order, in its order.
        lines: Vec<AcceptedLine>,
    },
    /// What Amazon accepted could not be read: the order waits for a person, or for
    /// Amazon's answer to be read again.
    Unreadable {
        /// Why, naming the PO, the line and the field of the status report.
        problems: Vec<Problem>,
    },
}

/// The eaches Amazon accepted of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedLine {
    /// The PO line.
    pub sequence: ItemSequenceNumber,
    /// Eaches accepted or back-ordered.
    pub eaches: u64,
}

/// A quantity of the status report in eaches. Amazon leaves out a quantity of zero
/// (its sandbox answer for `2JK3S9VB` has no `acceptedQuantity` for the line it
/// rejected in full), so an absent quantity, or one without an `amount`, is zero.
fn eaches(quantity: Option<&ItemQuantity>) -> Result<u64, QuantityError> {
    let Some(quantity) = quantity else {
        return Ok(0);
    };
    let Some(amount) = quantity.amount.as_ref() else {
        return Ok(0);
    };
    let amount = amount
        .as_u64()
        .ok_or_else(|| QuantityError::NotWhole(excerpt(&amount.to_string())))?;
    let size = match quantity.unit_of_measure.as_ref().and_then(|u| u.known()) {
        Some(UnitOfMeasure::Cases) => match &quantity.unit_size {
            None => 1,
            Some(size) => size
                .as_u64()
                .filter(|s| *s > 0)
                .ok_or_else(|| QuantityError::UnitSize(excerpt(&size.to_string())))?,
        },
        _ => 1,
    };
    amount.checked_mul(size).ok_or(QuantityError::OutOfRange)
}

/// Why a status report's quantity cannot be read; numbers quoted are shortened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum QuantityError {
    #[error("`{0}` is not a whole quantity")]
    NotWhole(String),
    #[error("unit size `{0}` is not a whole number")]
    UnitSize(String),
    #[error("the quantity in eaches is out of range")]
    OutOfRange,
}

/// What Amazon accepted of `po`, which Amazon shows acknowledged
/// ([`acknowledged_before`]). A Direct Fulfillment order is accepted whole. For a
/// retail PO it is read from Amazon's status report (`getPurchaseOrdersStatus`),
/// `status`: each line's latest acknowledgement (by `acknowledgementDate`), or the
/// line's totals when Amazon lists no single acknowledgement; a quantity Amazon leaves
/// out is zero, and a line Amazon cancelled (ordered 0) accepts nothing.
///
/// Anything that does not tell (no report, a line missing from it, a line Amazon
/// still shows unconfirmed, an unreadable date or quantity) makes it
/// [`AmazonAcceptance::Unreadable`], with every problem.
pub fn accepted_at_amazon(po: &PurchaseOrder, status: Option<&OrderStatus>) -> AmazonAcceptance {
    if po.program == Program::DirectFulfillment {
        return AmazonAcceptance::Whole;
    }
    let number = po.number.to_string();
    let problem = |line: Option<&ItemSequenceNumber>, field: &str, kind: ProblemKind| Problem {
        purchase_order_number: number.clone(),
        line: line.map(|l| l.to_string()),
        field: field.to_owned(),
        kind,
    };
    let Some(status) = status else {
        return AmazonAcceptance::Unreadable {
            problems: vec![problem(None, "ordersStatus", ProblemKind::Missing)],
        };
    };
    let items = status.item_status.as_deref().unwrap_or_default();
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for line in &po.lines {
        let sequence = &line.sequence;
        if line.ordered.amount == 0 {
            lines.push(AcceptedLine {
                sequence: sequence.clone(),
                eaches: 0,
            });
            continue;
        }
        let Some((index, item)) = items
            .iter()
            .enumerate()
            .find(|(_, i)| i.item_sequence_number.as_deref() == Some(sequence.as_str()))
        else {
            problems.push(problem(Some(sequence), "itemStatus", ProblemKind::Missing));
            continue;
        };
        let field = format!("itemStatus[{index}].acknowledgementStatus");
        let Some(ack) = item.acknowledgement_status.as_ref() else {
            problems.push(problem(Some(sequence), &field, ProblemKind::Missing));
            continue;
        };
        let details = ack
            .acknowledgement_status_details
            .as_deref()
            .unwrap_or_default();
        let mut latest: Option<(DateTime<Utc>, usize)> = None;
        let mut dated = true;
        for (i, detail) in details.iter().enumerate() {
            let at = detail
                .acknowledgement_date
                .as_deref()
                .ok_or_else(|| "is missing".to_owned())
                .and_then(|t| parse_instant(t).map_err(|e| format!("is invalid: {e}")));
            match at {
                Ok(at) if latest.is_none_or(|(l, _)| at >= l) => latest = Some((at, i)),
                Ok(_) => {}
                Err(reason) => {
                    dated = false;
                    problems.push(problem(
                        Some(sequence),
                        &format!("{field}.acknowledgementStatusDetails[{i}].acknowledgementDate"),
                        ProblemKind::Invalid { reason },
                    ));
                }
            }
        }
        if !dated {
            continue;
        }
        let (quantity, quantity_field) = match latest {
            Some((_, i)) => (
                details[i].accepted_quantity.as_ref(),
                format!("{field}.acknowledgementStatusDetails[{i}].acceptedQuantity"),
            ),
            None => {
                let known = ack.confirmation_status.as_ref().and_then(|c| c.known());
                match known {
                    Some(
                        ConfirmationStatus::Accepted
                        | ConfirmationStatus::PartiallyAccepted
                        | ConfirmationStatus::Rejected,
                    ) => (
                        ack.accepted_quantity.as_ref(),
                        format!("{field}.acceptedQuantity"),
                    ),
                    _ => {
                        problems.push(problem(
                            Some(sequence),
                            &format!("{field}.confirmationStatus"),
                            ProblemKind::Invalid {
                                reason: "Amazon shows no acknowledgement of the line".into(),
                            },
                        ));
                        continue;
                    }
                }
            }
        };
        match eaches(quantity) {
            Ok(eaches) => lines.push(AcceptedLine {
                sequence: sequence.clone(),
                eaches,
            }),
            Err(e) => problems.push(problem(
                Some(sequence),
                &quantity_field,
                ProblemKind::Invalid {
                    reason: e.to_string(),
                },
            )),
        }
    }
    if problems.is_empty() {
        AmazonAcceptance::Lines { lines }
    } else {
        AmazonAcceptance::Unreadable { problems }
    }
}

/// The acknowledgement Amazon holds for an order someone acknowledged before the sync
/// saw it, in the crate's terms, so the order is capped by it like by one the sync
/// sent. `lines` is what a retail PO's status report shows: a line accepts the eaches
/// Amazon shows and rejects the rest (the report gives no rejection reason; the
/// settings' default reason stands for it). `None` is a Direct Fulfillment order
/// accepted whole.
pub(super) fn acknowledgement_found(
    po: &PurchaseOrder,
    lines: Option<&[AcceptedLine]>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Acknowledgement {
    let Some(lines) = lines else {
        return Acknowledgement::DirectFulfillment(DirectFulfillmentAcknowledgement {
            purchase_order_number: po.number.clone(),
            vendor_order_number: external_id(po.program, &po.number).to_string(),
            acknowledged_at: now,
            status_code: df_status::ACCEPTED.to_owned(),
            status_description: df_status::description(df_status::ACCEPTED)
                .unwrap_or_default()
                .to_owned(),
            selling_party: po.selling_party.clone(),
            ship_from: po
                .ship_from
                .as_ref()
                .and_then(|p| p.id.clone())
                .unwrap_or_else(|| po.selling_party.clone()),
            lines: po
                .lines
                .iter()
                .map(|l| DirectFulfillmentAcknowledgementLine {
                    sequence: l.sequence.clone(),
                    asin: l.asin.clone(),
                    vendor_sku: l.vendor_sku.clone(),
                    quantity: l.ordered.eaches().unwrap_or(u64::MAX),
                })
                .collect(),
        });
    };
    let accepted = |sequence: &ItemSequenceNumber| {
        lines
            .iter()
            .find(|l| &l.sequence == sequence)
            .map_or(0, |l| l.eaches)
    };
    let decision = |code, eaches| LineDecision {
        code,
        quantity: Quantity::eaches_of(eaches),
        scheduled_ship_date: None,
        scheduled_delivery_date: None,
        rejection_reason: (code == AcknowledgementCode::Rejected)
            .then_some(settings.policies.default_rejection_reason),
    };
    Acknowledgement::Retail(RetailAcknowledgement {
        purchase_order_number: po.number.clone(),
        selling_party: po.selling_party.clone(),
        acknowledged_at: now,
        lines: po
            .lines
            .iter()
            .map(|line| {
                let kept = accepted(&line.sequence);
                let ordered = line.ordered.eaches().unwrap_or(u64::MAX);
                let mut decisions = Vec::new();
                if kept > 0 {
                    decisions.push(decision(AcknowledgementCode::Accepted, kept));
                }
                if ordered > kept {
                    decisions.push(decision(AcknowledgementCode::Rejected, ordered - kept));
                }
                RetailAcknowledgementLine {
                    sequence: line.sequence.clone(),
                    asin: line.asin.clone(),
                    vendor_sku: line.vendor_sku.clone(),
                    ordered: line.ordered,
                    net_cost: line.net_cost,
                    list_price: line.list_price,
                    // A record of what Amazon accepted, never sent.
                    discount_multiplier: None,
                    decisions,
                }
            })
            .collect(),
    })
}

/// What the sync keeps of an order Amazon sent that cannot be read: what identifies
/// it and its problems, and nothing personal (no party, address, line or message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableOrder {
    /// The program.
    pub program: Program,
    /// The PO number, which could be read.
    pub number: PurchaseOrderNumber,
    /// Amazon's order date, when it could be read: the acknowledgement deadline runs
    /// from it (from when the sync first saw the order otherwise).
    pub ordered_at: Option<DateTime<Utc>>,
    /// The vendor code, when it could be read.
    pub selling_party: Option<PartyId>,
    /// Every problem, naming the PO, the line and the field.
    pub problems: Vec<Problem>,
}

impl UnreadableOrder {
    /// What is kept of a retail PO whose conversion failed; `None` when its number
    /// cannot be read.
    pub fn of_retail(
        order: &crate::amazon::retail::Order,
        invalid: ValidationError,
    ) -> Option<Self> {
        let details = order.order_details.as_ref();
        Self::of(
            Program::RetailProcurement,
            order.purchase_order_number.as_deref(),
            details.and_then(|d| d.purchase_order_date.as_deref()),
            details
                .and_then(|d| d.selling_party.as_ref())
                .and_then(|p| p.party_id.as_deref()),
            invalid.problems,
        )
    }

    /// What is kept of a Direct Fulfillment order whose conversion failed; `None` when
    /// its number cannot be read.
    pub fn of_direct_fulfillment(
        order: &crate::amazon::direct_fulfillment::Order,
        invalid: ValidationError,
    ) -> Option<Self> {
        let details = order.order_details.as_ref();
        Self::of(
            Program::DirectFulfillment,
            order.purchase_order_number.as_deref(),
            details.and_then(|d| d.order_date.as_deref()),
            details
                .and_then(|d| d.selling_party.as_ref())
                .and_then(|p| p.party_id.as_deref()),
            invalid.problems,
        )
    }

    /// What is kept of an order a page held that could not be read at all; `None`
    /// when its number cannot be read.
    pub fn of_malformed(
        program: Program,
        malformed: &crate::client::MalformedOrder,
    ) -> Option<Self> {
        let number = malformed.purchase_order_number.as_deref();
        let problem = Problem {
            purchase_order_number: number.map(excerpt).unwrap_or_default(),
            line: None,
            field: "(order)".into(),
            kind: ProblemKind::Invalid {
                reason: malformed.reason.clone(),
            },
        };
        Self::of(program, number, None, None, vec![problem])
    }

    fn of(
        program: Program,
        number: Option<&str>,
        ordered_at: Option<&str>,
        selling_party: Option<&str>,
        problems: Vec<Problem>,
    ) -> Option<Self> {
        Some(UnreadableOrder {
            program,
            number: PurchaseOrderNumber::new(number?).ok()?,
            ordered_at: ordered_at.and_then(|t| parse_instant(t).ok()),
            selling_party: selling_party.and_then(|p| PartyId::new(p).ok()),
            problems,
        })
    }

    /// The stand-in purchase order a record of this order holds until Amazon sends a
    /// readable copy: the number, program and what of the date and vendor code could
    /// be read, with no lines, parties or messages. It carries no change stamps, so
    /// any copy Amazon sends later replaces it.
    pub(super) fn stand_in(&self, now: DateTime<Utc>) -> PurchaseOrder {
        let ordered_at = self.ordered_at.unwrap_or(now);
        PurchaseOrder {
            program: self.program,
            number: self.number.clone(),
            state: AmazonOrderState::New,
            ordered_at,
            changed_at: None,
            state_changed_at: None,
            selling_party: self
                .selling_party
                .clone()
                .unwrap_or_else(|| PartyId::new("<unknown>").unwrap_or_else(|_| unreachable!())),
            buying_party: None,
            ship_to: None,
            ship_from: None,
            bill_to: None,
            ship_window: None,
            delivery_window: None,
            details: match self.program {
                Program::RetailProcurement => ProgramDetails::Retail(RetailDetails {
                    order_type: None,
                    payment_method: None,
                    deal_code: None,
                    is_import: false,
                }),
                Program::DirectFulfillment => {
                    ProgramDetails::DirectFulfillment(DirectFulfillmentDetails {
                        customer_order_number: String::new(),
                        ship_method: String::new(),
                        required_ship_date: ordered_at,
                        promised_delivery_date: None,
                        is_priority: false,
                        is_gift: false,
                        is_pslip_required: false,
                        message_to_customer: None,
                    })
                }
            },
            lines: Vec::new(),
        }
    }
}

/// Whether Amazon's cancellation of an order still has something to end. Not when
/// the order has ended or its sales order is being closed already, nor while an
/// acknowledgement rejecting it is out: Amazon shows an order the vendor rejected as
/// cancelled, and the acknowledgement's confirmation ends it as rejected.
pub fn awaits_cancellation(record: &OrderRecord) -> bool {
    match record.state().unheld() {
        OrderState::Cancelled { .. }
        | OrderState::Closed { .. }
        | OrderState::ExpectSalesOrderClosed { .. } => false,
        OrderState::ExpectAcknowledgementSubmitted { acknowledgement }
        | OrderState::ExpectAcknowledgementConfirmation {
            acknowledgement, ..
        } => !rejects_whole(acknowledgement),
        _ => true,
    }
}

/// Whether a Direct Fulfillment acknowledgement rejects the whole order (Direct
/// Fulfillment is fill or kill): Amazon then shows the order as cancelled.
pub fn rejects_whole(acknowledgement: &Acknowledgement) -> bool {
    match acknowledgement {
        Acknowledgement::DirectFulfillment(a) => a.status_code != df_status::ACCEPTED,
        Acknowledgement::Retail(_) => false,
    }
}

/// Why a Direct Fulfillment order listed among those Amazon cancelled is not taken
/// as cancelled: its `orderStatus` does not say so (a client that ignored the
/// `status=CANCELLED` filter must not cancel every order it lists). `None` when it
/// does.
pub fn doubt_of_cancellation(order: &crate::amazon::direct_fulfillment::Order) -> Option<String> {
    use crate::amazon::direct_fulfillment::OrderStatus;
    match order
        .order_details
        .as_ref()
        .and_then(|d| d.order_status.as_ref())
    {
        Some(status) if status.known() == Some(OrderStatus::Cancelled) => None,
        Some(status) => Some(format!(
            "its `orderStatus` is `{}`",
            excerpt(status.as_str())
        )),
        None => Some("it shows no `orderStatus`".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::mapping::fixtures::{line, retail_po, settings, t};
    use crate::order::QuantityUnit;

    /// A static sandbox case's response body from Amazon's model `file`, by
    /// operation, HTTP status and index; `None` when the models are not present.
    fn sandbox(file: &str, operation: &str, index: usize) -> Option<Value> {
        let dir = std::env::var_os("AVC_SP_API_MODELS").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/sp-api"),
            std::path::PathBuf::from,
        );
        let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the SP-API models are not present"
            );
            return None;
        };
        let model: Value = serde_json::from_str(&text).unwrap();
        let op = model["paths"]
            .as_object()?
            .values()
            .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.values()))
            .find(|op| op["operationId"] == operation)?;
        Some(op["responses"]["200"]["x-amzn-api-sandbox"]["static"][index]["response"].clone())
    }

    /// PO `2JK3S9VB` as Amazon's status report shows it: lines 1, 2 and 3 ordering
    /// 1, 20 and 5 eaches.
    fn po_2jk3s9vb() -> PurchaseOrder {
        let mut po = retail_po();
        po.number = PurchaseOrderNumber::new("2JK3S9VB").unwrap();
        po.state = AmazonOrderState::Acknowledged;
        po.lines = vec![
            line("1", "SKU-1", Quantity::eaches_of(1), "346.27"),
            line("2", "SKU-2", Quantity::eaches_of(20), "229.47"),
            line("3", "SKU-2", Quantity::eaches_of(5), "229.47"),
        ];
        po
    }

    fn status_of(body: &Value, index: usize) -> OrderStatus {
        serde_json::from_value(body["payload"]["ordersStatus"][index].clone()).unwrap()
    }

    fn accepted(acceptance: &AmazonAcceptance) -> Vec<(String, u64)> {
        match acceptance {
            AmazonAcceptance::Lines { lines } => lines
                .iter()
                .map(|l| (l.sequence.to_string(), l.eaches))
                .collect(),
            other => panic!("not read: {other:?}"),
        }
    }

    #[test]
    fn amazons_sandbox_status_report_gives_each_lines_latest_accepted_eaches() {
        let Some(body) = sandbox("vendorOrders.json", "getPurchaseOrdersStatus", 0) else {
            return;
        };
        let status = status_of(&body, 0);
        // Line 3 was rejected in full; its latest acknowledgement leaves
        // `acceptedQuantity` out, which is zero.
        assert_eq!(
            accepted(&accepted_at_amazon(&po_2jk3s9vb(), Some(&status))),
            [("1".into(), 1), ("2".into(), 15), ("3".into(), 0)]
        );
    }

    #[test]
    fn a_line_amazon_shows_unconfirmed_or_leaves_out_cannot_be_read() {
        let Some(body) = sandbox("vendorOrders.json", "getPurchaseOrdersStatus", 1) else {
            return;
        };
        // The sandbox's TestPO2: one line, never acknowledged.
        let status = status_of(&body, 0);
        let mut po = po_2jk3s9vb();
        po.number = PurchaseOrderNumber::new("TestPO2").unwrap();
        po.lines.truncate(2);
        let AmazonAcceptance::Unreadable { problems } = accepted_at_amazon(&po, Some(&status))
        else {
            panic!("read from an unconfirmed line");
        };
        let found: Vec<(Option<&str>, &str)> = problems
            .iter()
            .map(|p| (p.line.as_deref(), p.field.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    Some("1"),
                    "itemStatus[0].acknowledgementStatus.confirmationStatus"
                ),
                (Some("2"), "itemStatus"),
            ]
        );
        assert!(
            problems
                .iter()
                .all(|p| p.purchase_order_number == "TestPO2")
        );
    }

    #[test]
    fn no_status_report_is_no_acceptance_and_direct_fulfillment_is_accepted_whole() {
        let po = po_2jk3s9vb();
        assert!(matches!(
            accepted_at_amazon(&po, None),
            AmazonAcceptance::Unreadable { problems } if problems[0].field == "ordersStatus"
        ));
        let df = crate::mapping::fixtures::df_po();
        assert_eq!(accepted_at_amazon(&df, None), AmazonAcceptance::Whole);
    }

    #[test]
    fn the_latest_acknowledgement_counts_in_eaches_and_a_cancelled_line_accepts_nothing() {
        let body: Value = serde_json::json!({
            "purchaseOrderNumber": "4Z32PABC",
            "itemStatus": [
                {"itemSequenceNumber": "1", "acknowledgementStatus": {
                    "confirmationStatus": "PARTIALLY_ACCEPTED",
                    "acknowledgementStatusDetails": [
                        {"acknowledgementDate": "2025-03-01T03:00:00Z",
                         "acceptedQuantity": {"amount": 2, "unitOfMeasure": "Cases", "unitSize": 12}},
                        {"acknowledgementDate": "2025-03-01T01:00:00Z",
                         "acceptedQuantity": {"amount": 3, "unitOfMeasure": "Cases", "unitSize": 12}}
                    ]}}
            ]
        });
        let status: OrderStatus = serde_json::from_value(body).unwrap();
        let mut po = retail_po();
        po.lines[1].ordered.amount = 0;
        assert_eq!(
            accepted(&accepted_at_amazon(&po, Some(&status))),
            [("1".into(), 24), ("2".into(), 0)]
        );
        // An unreadable date cannot tell which acknowledgement is the latest.
        let mut broken = status.clone();
        broken.item_status.as_mut().unwrap()[0]
            .acknowledgement_status
            .as_mut()
            .unwrap()
            .acknowledgement_status_details
            .as_mut()
            .unwrap()[1]
            .acknowledgement_date = Some("yesterday".into());
        assert!(matches!(
            accepted_at_amazon(&po, Some(&broken)),
            AmazonAcceptance::Unreadable { problems }
                if problems[0].field.ends_with("acknowledgementStatusDetails[1].acknowledgementDate")
        ));
    }

    #[test]
    fn only_an_order_amazon_shows_acknowledged_or_accepted_was_acknowledged_before() {
        let mut po = retail_po();
        assert!(!acknowledged_before(&po));
        po.state = AmazonOrderState::Acknowledged;
        assert!(acknowledged_before(&po));
        po.state = AmazonOrderState::Closed;
        assert!(!acknowledged_before(&po));
        let mut df = crate::mapping::fixtures::df_po();
        df.state = AmazonOrderState::Accepted;
        assert!(acknowledged_before(&df));
        df.state = AmazonOrderState::Cancelled;
        assert!(!acknowledged_before(&df));
    }

    #[test]
    fn the_acknowledgement_found_accepts_what_amazon_shows_and_rejects_the_rest() {
        let po = retail_po();
        let lines = [AcceptedLine {
            sequence: ItemSequenceNumber::new("1").unwrap(),
            eaches: 30,
        }];
        let Acknowledgement::Retail(ack) =
            acknowledgement_found(&po, Some(&lines), &settings(), t(2))
        else {
            panic!("a retail acknowledgement");
        };
        let decisions: Vec<Vec<(AcknowledgementCode, u64, QuantityUnit)>> = ack
            .lines
            .iter()
            .map(|l| {
                l.decisions
                    .iter()
                    .map(|d| (d.code, d.quantity.amount, d.quantity.unit))
                    .collect()
            })
            .collect();
        assert_eq!(
            decisions,
            [
                vec![
                    (AcknowledgementCode::Accepted, 30, QuantityUnit::Eaches),
                    (AcknowledgementCode::Rejected, 6, QuantityUnit::Eaches),
                ],
                vec![(AcknowledgementCode::Rejected, 10, QuantityUnit::Eaches)],
            ]
        );
        assert!(
            ack.lines
                .iter()
                .flat_map(|l| &l.decisions)
                .all(|d| d.quantity.amount > 0)
        );
    }

    #[test]
    fn what_is_kept_of_an_unreadable_direct_fulfillment_order_is_nothing_personal() {
        let Some(body) = sandbox("vendorDirectFulfillmentOrdersV1.json", "getOrder", 0) else {
            return;
        };
        let order: crate::amazon::direct_fulfillment::Order =
            serde_json::from_value(body["payload"].clone()).unwrap();
        let mut broken = order.clone();
        broken.order_details.as_mut().unwrap().items = Some(Vec::new());
        let invalid = broken.to_purchase_order().unwrap_err();
        let kept = UnreadableOrder::of_direct_fulfillment(&broken, invalid).unwrap();
        assert_eq!(kept.number.as_str(), "2JK3S9VC");
        assert!(kept.ordered_at.is_some());
        let stand_in = kept.stand_in(t(5));
        assert!(stand_in.ship_to.is_none() && stand_in.bill_to.is_none());
        assert!(stand_in.lines.is_empty());
        let json = serde_json::to_string(&stand_in).unwrap();
        let address = order.order_details.unwrap().ship_to_party.unwrap();
        for text in [address.name, address.address_line1, address.city]
            .into_iter()
            .flatten()
        {
            assert!(!json.contains(&text), "{text}");
        }
        // An order whose number cannot be read keeps nothing.
        broken.purchase_order_number = None;
        let invalid = broken.to_purchase_order().unwrap_err();
        assert!(UnreadableOrder::of_direct_fulfillment(&broken, invalid).is_none());
    }

    #[test]
    fn amazons_sandbox_orders_are_taken_as_cancelled_only_when_their_status_says_so() {
        let Some(body) = sandbox("vendorDirectFulfillmentOrdersV1.json", "getOrders", 0) else {
            return;
        };
        let orders: Vec<crate::amazon::direct_fulfillment::Order> =
            serde_json::from_value(body["payload"]["orders"].clone()).unwrap();
        assert!(!orders.is_empty());
        for mut order in orders {
            let status = order
                .order_details
                .as_ref()
                .and_then(|d| d.order_status.as_ref())
                .map(|s| s.as_str().to_owned());
            match status.as_deref() {
                Some("CANCELLED") => assert_eq!(doubt_of_cancellation(&order), None),
                Some(other) => assert_eq!(
                    doubt_of_cancellation(&order),
                    Some(format!("its `orderStatus` is `{other}`"))
                ),
                None => assert!(doubt_of_cancellation(&order).is_some()),
            }
            order.order_details.as_mut().unwrap().order_status =
                Some(crate::amazon::direct_fulfillment::OrderStatus::Cancelled);
            assert_eq!(doubt_of_cancellation(&order), None);
            order.order_details.as_mut().unwrap().order_status = None;
            assert_eq!(
                doubt_of_cancellation(&order).as_deref(),
                Some("it shows no `orderStatus`")
            );
        }
    }

    #[test]
    fn a_cancellation_ends_an_open_order_but_not_one_ended_closing_or_being_rejected() {
        use crate::lifecycle::{Event, StateKind};
        let s = settings();
        let mut po = crate::mapping::fixtures::df_po();
        po.lines.truncate(1);
        let (open, _) = OrderRecord::receive(po.clone(), t(1), &s);
        assert_eq!(open.state().kind(), StateKind::ExpectSalesOrderCreated);
        assert!(awaits_cancellation(&open));
        let (held, _) = open
            .handle(
                &Event::HoldRequested {
                    reason: "check".into(),
                },
                t(2),
                &s,
            )
            .unwrap();
        assert!(awaits_cancellation(&held));
        let (closing, _) = open
            .handle(
                &Event::CancelRequested {
                    reason: "duplicate".into(),
                },
                t(2),
                &s,
            )
            .unwrap();
        assert_eq!(closing.state().kind(), StateKind::ExpectSalesOrderClosed);
        assert!(!awaits_cancellation(&closing));
        let (ended, _) = OrderRecord::receive(
            PurchaseOrder {
                state: AmazonOrderState::Cancelled,
                ..po.clone()
            },
            t(1),
            &s,
        );
        assert!(ended.is_terminal() && !awaits_cancellation(&ended));

        let mut accepted = acknowledgement_found(&po, None, &s, t(1));
        assert!(!rejects_whole(&accepted));
        if let Acknowledgement::DirectFulfillment(a) = &mut accepted {
            a.status_code = df_status::OUT_OF_STOCK.into();
        }
        assert!(rejects_whole(&accepted));
    }

    fn draft_quantities(commands: &[crate::lifecycle::Command]) -> Vec<(String, u64)> {
        match commands {
            [crate::lifecycle::Command::CreateSalesOrder { draft, .. }] => {
                assert_eq!(
                    draft.status,
                    crate::sales_order::SalesOrderStatus::PendingFulfillment
                );
                draft
                    .lines
                    .iter()
                    .map(|l| (l.sequence.to_string(), l.quantity))
                    .collect()
            }
            other => panic!("expected one sales order to create, got {other:?}"),
        }
    }

    #[test]
    fn an_order_acknowledged_elsewhere_is_created_pending_fulfillment_with_what_amazon_accepted() {
        use crate::lifecycle::{Event, StateKind};
        let mut s = settings();
        s.auto_acknowledge.retail_procurement = true;
        let mut po = retail_po();
        po.state = AmazonOrderState::Acknowledged;
        let acceptance = AmazonAcceptance::Lines {
            lines: vec![
                AcceptedLine {
                    sequence: ItemSequenceNumber::new("1").unwrap(),
                    eaches: 24,
                },
                AcceptedLine {
                    sequence: ItemSequenceNumber::new("2").unwrap(),
                    eaches: 0,
                },
            ],
        };
        let policy = crate::lifecycle::RetryPolicy::default();
        let (rec, commands) =
            OrderRecord::receive_acknowledged(po.clone(), &acceptance, t(1), &s, &policy);
        assert_eq!(draft_quantities(&commands), [("1".to_owned(), 24)]);
        assert_eq!(
            rec.approval(),
            Some(crate::lifecycle::Approval::AcknowledgedAtAmazon)
        );
        assert_eq!(rec.acknowledgement_version(), None);
        assert!(rec.confirmed_acknowledgement().is_some());
        let (rec, commands) = rec
            .handle(
                &Event::SalesOrderCreated {
                    internal_id: crate::ids::InternalId::new("501").unwrap(),
                },
                t(2),
                &s,
            )
            .unwrap();
        assert!(commands.is_empty());
        assert_eq!(rec.state().kind(), StateKind::ExpectShipment);
        // No acknowledgement deadline is left to warn about: Amazon holds an answer.
        // Units are confirmed, so what is left is the down-confirm cut-off's warning.
        let cutoff = s
            .compliance
            .down_confirm_cutoff(&po)
            .expect("a ship window");
        assert_eq!(
            rec.next_wakeup(&s),
            Some(cutoff - chrono::TimeDelta::minutes(1440))
        );
        // The record reads back as it was written.
        let json = serde_json::to_string(&rec).unwrap();
        assert_eq!(serde_json::from_str::<OrderRecord>(&json).unwrap(), rec);

        // A DF order Amazon shows accepted ships whole.
        let mut df = crate::mapping::fixtures::df_po();
        df.state = AmazonOrderState::Accepted;
        let (_, commands) = OrderRecord::receive(df, t(1), &s);
        assert_eq!(
            draft_quantities(&commands),
            [("1".to_owned(), 1), ("2".to_owned(), 2)]
        );
    }

    #[test]
    fn receiving_a_po_amazon_shows_acknowledged_never_acknowledges_it_again() {
        use crate::lifecycle::{Attention, Command};
        let mut s = settings();
        s.auto_acknowledge.retail_procurement = true;
        let mut po = retail_po();
        po.state = AmazonOrderState::Acknowledged;
        let (rec, commands) = OrderRecord::receive(po, t(1), &s);
        assert!(
            !commands
                .iter()
                .any(|c| matches!(c, Command::SubmitAcknowledgement { .. })),
            "{commands:?}"
        );
        assert!(matches!(
            rec.state(),
            OrderState::ExpectFix { attention: Attention::Unreadable { problems } }
                if problems[0].field == "ordersStatus"
        ));
        assert_eq!(rec.status_label(), "Error reading from Amazon");
    }

    #[test]
    fn an_unreadable_order_waits_and_its_first_readable_copy_is_taken_in_as_new() {
        use crate::lifecycle::{Command, Event, StateKind};
        let s = settings();
        let kept = UnreadableOrder {
            program: Program::RetailProcurement,
            number: PurchaseOrderNumber::new("4Z32PABC").unwrap(),
            ordered_at: None,
            selling_party: None,
            problems: vec![Problem {
                purchase_order_number: "4Z32PABC".into(),
                line: Some("2".into()),
                field: "orderDetails.items[1].netCost.amount".into(),
                kind: ProblemKind::Missing,
            }],
        };
        let (rec, commands) = OrderRecord::receive_unreadable(kept, t(1), &s);
        assert!(rec.awaits_readable_order());
        assert!(matches!(commands.as_slice(), [Command::Notify { .. }]));
        // Nothing to retry until Amazon sends a readable copy.
        let (same, commands) = rec.handle(&Event::RetryRequested, t(2), &s).unwrap();
        assert!(commands.is_empty() && same.awaits_readable_order());
        let json = serde_json::to_string(&rec).unwrap();
        assert_eq!(serde_json::from_str::<OrderRecord>(&json).unwrap(), rec);

        let (rec, commands) = rec
            .handle(
                &Event::PurchaseOrderChanged {
                    purchase_order: Box::new(retail_po()),
                },
                t(3),
                &s,
            )
            .unwrap();
        assert_eq!(rec.state().kind(), StateKind::ExpectSalesOrderCreated);
        assert!(matches!(
            commands.as_slice(),
            [Command::CreateSalesOrder { .. }]
        ));
        assert!(!rec.awaits_readable_order());
        // Amazon's deadline runs from its order date once it is read.
        assert_eq!(
            rec.acknowledgement_deadline(),
            t(0) + chrono::TimeDelta::hours(24)
        );
    }
}
