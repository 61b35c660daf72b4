//! What Amazon's answers mean for each order.
//!
//! The engine asks Amazon and hands the answer here; these functions decide, from the
//! answer alone and never from the wording of a message:
//!
//! - what a transaction's outcome means for each order in it
//!   ([`transaction_answer`]; then [`rejection`] or [`processing_after_reading`]
//!   once Amazon's order has been read);
//! - which orders a failure concerns: a failed transaction of one order is that
//!   order's rejection, with Amazon's codes and messages as sent ([`messages_as_sent`]);
//!   a failed transaction of several orders is split, each order sent again in a
//!   transaction of at most half as many ([`Event::AcknowledgementNotJudged`],
//!   [`OrderRecord::send_limit`]), since Amazon applies nothing of a failed
//!   transaction;
//! - whether Amazon's status report shows an acknowledgement as landed
//!   ([`shows_as_acknowledged`]; a quantity the report leaves out is zero);
//! - what a lost answer means once Amazon has been read again ([`landing`]).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::acknowledgement::{
    Acknowledgement, AcknowledgementCode, AcknowledgementVersion, RetailAcknowledgement,
};
use crate::amazon::retail::{ItemQuantity, OrderStatus, UnitOfMeasure};
use crate::client::{ServiceMessage, TransactionOutcome};
use crate::order::{AmazonOrderState, Program, PurchaseOrder};

use super::command_key::CommandKey;
use super::event::Event;
use super::failure::{CommandFailure, FailureKind};
use super::intake::rejects_whole;
use super::record::OrderRecord;
use super::state::OrderState;

/// How long Amazon's transactions are given, from the submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerTiming {
    /// A retail transaction still Processing this long after submission is taken as
    /// accepted: Amazon never reports Success for retail acknowledgements.
    pub retail_processing_confirms_after: Duration,
    /// A Direct Fulfillment transaction still Processing this long after submission
    /// has Amazon's order read: `ACCEPTED` confirms it. (Amazon's older guide says a
    /// transaction not turned to Failure after 30 minutes succeeded, and that Success
    /// is never reported.)
    pub direct_fulfillment_read_after: Duration,
    /// A Direct Fulfillment acknowledgement still unconfirmed this long after
    /// submission is handed to a person.
    pub direct_fulfillment_unconfirmed_after: Duration,
}

impl Default for AnswerTiming {
    fn default() -> Self {
        AnswerTiming {
            retail_processing_confirms_after: Duration::from_secs(15 * 60),
            direct_fulfillment_read_after: Duration::from_secs(30 * 60),
            direct_fulfillment_unconfirmed_after: Duration::from_secs(4 * 3600),
        }
    }
}

/// One order's acknowledgement as it went out in a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submission {
    /// The order's program.
    pub program: Program,
    /// The acknowledgement version that went out.
    pub version: AcknowledgementVersion,
    /// How many acknowledgements the transaction carried (0 when not known).
    pub orders: u32,
    /// When Amazon took the transaction, when known.
    pub submitted_at: Option<DateTime<Utc>>,
}

impl Submission {
    fn waited(&self, now: DateTime<Utc>, wait: Duration) -> bool {
        self.submitted_at.is_some_and(|at| {
            TimeDelta::from_std(wait)
                .ok()
                .and_then(|d| at.checked_add_signed(d))
                .is_some_and(|due| due <= now)
        })
    }
}

/// What a transaction's outcome means for one order in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionAnswer {
    /// The outcome decides: this is the order's event.
    Decided(Event),
    /// Amazon refused the transaction, which carried this order alone: its
    /// rejection, with Amazon's messages. Amazon may have refused because it ended the
    /// order meanwhile: read the order, then [`rejection`] gives the event.
    Rejected(Vec<ServiceMessage>),
    /// A Direct Fulfillment transaction Processing long enough: read the order, then
    /// [`processing_after_reading`] gives the event.
    ReadOrder,
}

/// Amazon's messages, codes and wording exactly as sent.
pub fn messages_as_sent(messages: &[ServiceMessage]) -> Vec<ServiceMessage> {
    messages
        .iter()
        .map(|m| ServiceMessage {
            code: m.code.clone(),
            message: m.message.clone(),
            field: None,
        })
        .collect()
}

/// What `outcome`, Amazon's status of the transaction `submission` went out in, means
/// for that order at `now`.
///
/// A failed transaction of one order is that order's rejection. A failed transaction
/// of several orders (or of a number not known) is split: Amazon applied nothing of
/// it, and no message says for which order it failed (they name none), so its orders
/// go out again in halves, until the one it failed for goes alone and its answer is
/// its own.
pub fn transaction_answer(
    submission: &Submission,
    outcome: &TransactionOutcome,
    now: DateTime<Utc>,
    timing: &AnswerTiming,
) -> TransactionAnswer {
    let version = submission.version;
    match outcome {
        TransactionOutcome::Success => {
            TransactionAnswer::Decided(Event::AcknowledgementConfirmed { version })
        }
        TransactionOutcome::Processing => match submission.program {
            Program::RetailProcurement
                if submission.waited(now, timing.retail_processing_confirms_after) =>
            {
                TransactionAnswer::Decided(Event::AcknowledgementConfirmed { version })
            }
            Program::DirectFulfillment
                if submission.waited(now, timing.direct_fulfillment_read_after) =>
            {
                TransactionAnswer::ReadOrder
            }
            _ => TransactionAnswer::Decided(Event::AcknowledgementStillProcessing { version }),
        },
        TransactionOutcome::Failure(messages) => {
            let errors = messages_as_sent(messages);
            if submission.orders == 1 {
                TransactionAnswer::Rejected(errors)
            } else {
                TransactionAnswer::Decided(Event::AcknowledgementNotJudged { version, errors })
            }
        }
    }
}

/// The event of an order whose transaction, carrying it alone, Amazon refused, once
/// Amazon's order has been read (`None`: it could not be read or understood). An
/// order Amazon cancelled or closed meanwhile is ended by that change; otherwise the
/// acknowledgement is rejected with `errors`.
pub fn rejection(
    version: AcknowledgementVersion,
    errors: Vec<ServiceMessage>,
    read: Option<&PurchaseOrder>,
) -> Event {
    match read {
        Some(po)
            if matches!(
                po.state,
                AmazonOrderState::Cancelled | AmazonOrderState::Closed
            ) =>
        {
            Event::PurchaseOrderChanged {
                purchase_order: Box::new(po.clone()),
            }
        }
        _ => Event::AcknowledgementFailed { version, errors },
    }
}

/// The event of a Direct Fulfillment order whose transaction has said Processing
/// long enough, once Amazon's order has been read (`None`: it could not be read or
/// understood).
///
/// `ACCEPTED` (or later, `SHIPPED`) confirms an acknowledgement that accepts the
/// order, and `CANCELLED` one that rejects it; Amazon cancelling an order the
/// acknowledgement accepted ends it. Otherwise the order keeps being checked, and
/// after [`AnswerTiming::direct_fulfillment_unconfirmed_after`] it goes to a person
/// (the check `command_key` fails for good; retrying checks again).
pub fn processing_after_reading(
    submission: &Submission,
    acknowledgement: &Acknowledgement,
    read: Option<&PurchaseOrder>,
    command_key: &CommandKey,
    now: DateTime<Utc>,
    timing: &AnswerTiming,
) -> Event {
    let version = submission.version;
    let rejected = rejects_whole(acknowledgement);
    match read.map(|po| (&po.state, po)) {
        Some((AmazonOrderState::Accepted | AmazonOrderState::Shipped, _)) if !rejected => {
            return Event::AcknowledgementConfirmed { version };
        }
        Some((AmazonOrderState::Cancelled, _)) if rejected => {
            return Event::AcknowledgementConfirmed { version };
        }
        Some((AmazonOrderState::Cancelled, po)) => {
            return Event::PurchaseOrderChanged {
                purchase_order: Box::new(po.clone()),
            };
        }
        _ => {}
    }
    if submission.waited(now, timing.direct_fulfillment_unconfirmed_after) {
        let hours = timing.direct_fulfillment_unconfirmed_after.as_secs() / 3600;
        Event::CommandFailed {
            command_key: command_key.clone(),
            failure: CommandFailure {
                kind: FailureKind::Transient {
                    message: format!(
                        "Amazon has not confirmed the acknowledgement: its transaction still \
                         says Processing and the order is not shown {} after {hours} hour(s)",
                        if rejected { "CANCELLED" } else { "ACCEPTED" }
                    ),
                },
                exhausted: true,
            },
        }
    } else {
        Event::AcknowledgementStillProcessing { version }
    }
}

/// A quantity in Amazon's status report, in eaches. A quantity the report leaves out
/// is zero (Amazon's sandbox leaves out the accepted quantity of a line rejected in
/// full); one whose amount cannot be read is `None`.
pub fn eaches_in(quantity: Option<&ItemQuantity>) -> Option<u64> {
    let Some(quantity) = quantity else {
        return Some(0);
    };
    let Some(amount) = quantity.amount.as_ref() else {
        return Some(0);
    };
    let amount = amount.as_u64()?;
    let size = match quantity.unit_of_measure.as_ref().and_then(|u| u.known()) {
        Some(UnitOfMeasure::Cases) => quantity
            .unit_size
            .as_ref()
            .and_then(|n| n.as_u64())
            .filter(|s| *s > 0)
            .unwrap_or(1),
        _ => 1,
    };
    amount.checked_mul(size)
}

/// Whether Amazon's status report shows `ack` as the latest acknowledgement of every
/// line it answers: the quantities accepted (or back-ordered) and rejected, in
/// eaches, of each line's latest acknowledgement.
pub fn shows_as_acknowledged(status: &OrderStatus, ack: &RetailAcknowledgement) -> bool {
    let items = status.item_status.as_deref().unwrap_or_default();
    ack.lines.iter().all(|line| {
        let (mut accepted, mut rejected) = (0u64, 0u64);
        for decision in &line.decisions {
            let eaches = decision.quantity.eaches().unwrap_or(u64::MAX);
            match decision.code {
                AcknowledgementCode::Rejected => rejected = rejected.saturating_add(eaches),
                _ => accepted = accepted.saturating_add(eaches),
            }
        }
        let latest = items
            .iter()
            .find(|i| i.item_sequence_number.as_deref() == Some(line.sequence.as_str()))
            .and_then(|i| i.acknowledgement_status.as_ref())
            .and_then(|a| a.acknowledgement_status_details.as_ref())
            .and_then(|details| {
                details.iter().max_by_key(|d| {
                    d.acknowledgement_date
                        .as_deref()
                        .and_then(|t| crate::order::parse_instant(t).ok())
                })
            });
        // The line's latest acknowledgement is this one: it states its quantities,
        // or it carries its date (Amazon may record other quantities than were sent,
        // drift the reconciliation reports; the acknowledgement still landed, and
        // sending it again would be a duplicate).
        latest.is_some_and(|d| {
            let same_date = d
                .acknowledgement_date
                .as_deref()
                .and_then(|t| crate::order::parse_instant(t).ok())
                .is_some_and(|at| at.timestamp() == ack.acknowledged_at.timestamp());
            same_date
                || (eaches_in(d.accepted_quantity.as_ref()) == Some(accepted)
                    && eaches_in(d.rejected_quantity.as_ref()) == Some(rejected))
        })
    })
}

/// What Amazon shows of an acknowledgement whose answer was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// Amazon took it: it is confirmed.
    Taken,
    /// Amazon did not take it: it may be sent again.
    NotTaken,
    /// Amazon's order was read but could not be understood: it cannot tell, and the
    /// acknowledgement may be sent again.
    Unknown,
    /// Amazon cancelled the order, which the acknowledgement did not ask for: that
    /// change ends it, and the acknowledgement is not sent again.
    Ended(Box<PurchaseOrder>),
}

impl Landing {
    /// The order's event: `None` when the acknowledgement is to be sent again.
    pub fn event(self, version: AcknowledgementVersion) -> Option<Event> {
        match self {
            Landing::Taken => Some(Event::AcknowledgementConfirmed { version }),
            Landing::Ended(po) => Some(Event::PurchaseOrderChanged { purchase_order: po }),
            Landing::NotTaken | Landing::Unknown => None,
        }
    }
}

/// Whether [`landing`] needs Amazon's status report for `read`: a retail PO turns
/// Acknowledged with the first version that lands, so whether this one did only the
/// report tells.
pub fn needs_status_report(read: &PurchaseOrder, acknowledgement: &Acknowledgement) -> bool {
    read.state == AmazonOrderState::Acknowledged
        && matches!(acknowledgement, Acknowledgement::Retail(_))
}

/// What a lost answer to `acknowledgement` means once Amazon's order has been read
/// again (`None`: it could not be read or understood). `status` is Amazon's status
/// report, read where [`needs_status_report`] says so; `confirmed_before` whether an
/// earlier version of the order's acknowledgement was confirmed.
pub fn landing(
    acknowledgement: &Acknowledgement,
    read: Option<&PurchaseOrder>,
    status: Option<&OrderStatus>,
    confirmed_before: bool,
) -> Landing {
    let Some(po) = read else {
        return Landing::Unknown;
    };
    let rejected = rejects_whole(acknowledgement);
    if po.state == AmazonOrderState::Cancelled && !rejected {
        return Landing::Ended(Box::new(po.clone()));
    }
    let taken = match po.state {
        AmazonOrderState::Acknowledged => match acknowledgement {
            Acknowledgement::Retail(ack) => status.is_some_and(|s| shows_as_acknowledged(s, ack)),
            Acknowledgement::DirectFulfillment(_) => !confirmed_before,
        },
        AmazonOrderState::Accepted | AmazonOrderState::Shipped => !rejected,
        AmazonOrderState::Cancelled => rejected,
        _ => false,
    };
    if taken {
        Landing::Taken
    } else {
        Landing::NotTaken
    }
}

/// How `record`'s acknowledgement `version` went out, as its state records it.
pub fn submission(record: &OrderRecord, version: AcknowledgementVersion) -> Submission {
    let orders = match record.state().unheld() {
        OrderState::ExpectAcknowledgementConfirmation { orders, .. } => *orders,
        _ => 0,
    };
    Submission {
        program: record.purchase_order().program,
        version,
        orders,
        submitted_at: record.submitted_at(),
    }
}

/// The acknowledgement `record` waits on Amazon for, if any.
pub fn awaited_acknowledgement(record: &OrderRecord) -> Option<&Acknowledgement> {
    match record.state().unheld() {
        OrderState::ExpectAcknowledgementSubmitted { acknowledgement }
        | OrderState::ExpectAcknowledgementConfirmation {
            acknowledgement, ..
        } => Some(acknowledgement),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acknowledgement::{LineDecision, RetailAcknowledgementLine};
    use crate::amazon::transaction::GetTransactionResponse;
    use crate::ids::ItemSequenceNumber;
    use crate::mapping::fixtures::{df_po, retail_po, settings};
    use crate::mapping::{auto_acknowledgement, sales_order_draft};
    use crate::order::Quantity;
    use crate::sales_order::SalesOrderStatus;
    use serde_json::Value;

    /// One of Amazon's models, read at test time; `None` when the models are absent.
    fn model(file: &str) -> Option<Value> {
        let dir = match std::env::var_os("AVC_SP_API_MODELS") {
            Some(dir) => std::path::PathBuf::from(dir),
            None => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/reference/sp-api"),
        };
        match std::fs::read_to_string(dir.join(file)) {
            Ok(text) => Some(serde_json::from_str(&text).unwrap()),
            Err(_) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but the SP-API model {file} is missing"
                );
                None
            }
        }
    }

    /// The static sandbox responses of `path`'s GET with status `code`.
    fn sandbox(model: &Value, path: &str, code: &str) -> Vec<Value> {
        model["paths"][path]["get"]["responses"][code]["x-amzn-api-sandbox"]["static"]
            .as_array()
            .unwrap()
            .iter()
            .map(|case| case["response"].clone())
            .collect()
    }

    /// Amazon's sandbox report for PO 2JK3S9VB: line 1 accepted 1, line 2 accepted
    /// 15 and rejected 5, line 3 rejected 5 with `acceptedQuantity` left out.
    fn sandbox_status() -> Option<OrderStatus> {
        let model = model("vendorOrders.json")?;
        let body = sandbox(&model, "/vendor/orders/v1/purchaseOrdersStatus", "200")
            .into_iter()
            .next()
            .unwrap();
        let status = &body["payload"]["ordersStatus"][0];
        assert_eq!(status["purchaseOrderNumber"], "2JK3S9VB");
        let details =
            &status["itemStatus"][2]["acknowledgementStatus"]["acknowledgementStatusDetails"][0];
        assert!(details.get("acceptedQuantity").is_none());
        Some(serde_json::from_value(status.clone()).unwrap())
    }

    fn now() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    fn auto(po: &PurchaseOrder) -> Acknowledgement {
        let mapped = sales_order_draft(po, &settings(), SalesOrderStatus::PendingFulfillment)
            .unwrap_or_else(|e| panic!("{e}"));
        auto_acknowledgement(po, &mapped, &settings(), now()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A retail acknowledgement of lines `(sequence, accepted, rejected)`, in eaches.
    fn retail_ack(lines: &[(&str, u64, u64)]) -> RetailAcknowledgement {
        let Acknowledgement::Retail(mut ack) = auto(&retail_po()) else {
            unreachable!()
        };
        let template = ack.lines[0].clone();
        let decision = |code, n| LineDecision {
            code,
            quantity: Quantity::eaches_of(n),
            ..template.decisions[0].clone()
        };
        ack.lines = lines
            .iter()
            .map(|(sequence, accepted, rejected)| {
                let mut decisions = Vec::new();
                if *accepted > 0 {
                    decisions.push(decision(AcknowledgementCode::Accepted, *accepted));
                }
                if *rejected > 0 {
                    decisions.push(decision(AcknowledgementCode::Rejected, *rejected));
                }
                RetailAcknowledgementLine {
                    sequence: ItemSequenceNumber::new(*sequence).unwrap(),
                    ordered: Quantity::eaches_of(accepted + rejected),
                    decisions,
                    ..template.clone()
                }
            })
            .collect();
        ack
    }

    fn submission(program: Program, orders: u32, minutes_ago: i64) -> Submission {
        Submission {
            program,
            version: AcknowledgementVersion(1),
            orders,
            submitted_at: Some(now() - TimeDelta::minutes(minutes_ago)),
        }
    }

    /// Amazon's Direct Fulfillment v1 sandbox transactions: Processing, and Failure
    /// with `INVALID_ORDER_ID` "Invalid order ID.".
    fn df_sandbox_outcomes() -> Option<(TransactionOutcome, TransactionOutcome)> {
        let model = model("vendorDirectFulfillmentTransactionsV1.json")?;
        let outcomes: Vec<TransactionOutcome> = sandbox(
            &model,
            "/vendor/directFulfillment/transactions/v1/transactions/{transactionId}",
            "200",
        )
        .into_iter()
        .map(|body| {
            let read: GetTransactionResponse = serde_json::from_value(body).unwrap();
            crate::http::sp_api::transaction_outcome(read.transaction().unwrap())
        })
        .collect();
        let failure = outcomes
            .iter()
            .find(|o| matches!(o, TransactionOutcome::Failure(_)))?
            .clone();
        Some((TransactionOutcome::Processing, failure))
    }

    #[test]
    fn a_quantity_left_out_of_the_status_report_is_zero() {
        assert_eq!(eaches_in(None), Some(0));
        assert_eq!(eaches_in(Some(&ItemQuantity::default())), Some(0));
        let cases: ItemQuantity =
            serde_json::from_str(r#"{"amount":3,"unitOfMeasure":"Cases","unitSize":6}"#).unwrap();
        assert_eq!(eaches_in(Some(&cases)), Some(18));
        let unreadable: ItemQuantity = serde_json::from_str(r#"{"amount":-1}"#).unwrap();
        assert_eq!(eaches_in(Some(&unreadable)), None);
    }

    #[test]
    fn amazons_sandbox_report_shows_a_line_rejected_in_full_as_acknowledged() {
        let Some(status) = sandbox_status() else {
            return;
        };
        let landed = retail_ack(&[("1", 1, 0), ("2", 15, 5), ("3", 0, 5)]);
        assert!(shows_as_acknowledged(&status, &landed));
        // Anything else is not what Amazon shows.
        for other in [
            retail_ack(&[("1", 1, 0), ("2", 15, 5), ("3", 5, 0)]),
            retail_ack(&[("1", 1, 0), ("2", 20, 0), ("3", 0, 5)]),
            retail_ack(&[("1", 1, 0), ("2", 15, 5), ("3", 0, 5), ("4", 1, 0)]),
        ] {
            assert!(!shows_as_acknowledged(&status, &other));
        }
        // Amazon recorded other quantities than this acknowledgement sent (drift), but
        // under its date: it landed, and must not be sent again.
        let latest = status
            .item_status
            .iter()
            .flatten()
            .filter_map(|i| i.acknowledgement_status.as_ref())
            .filter_map(|a| a.acknowledgement_status_details.as_ref())
            .flatten()
            .filter_map(|d| d.acknowledgement_date.as_deref())
            .filter_map(|t| crate::order::parse_instant(t).ok())
            .max();
        let mut drifted = retail_ack(&[("1", 1, 0), ("2", 16, 4), ("3", 0, 5)]);
        assert!(!shows_as_acknowledged(&status, &drifted));
        if let Some(at) = latest {
            drifted.acknowledged_at = at;
            let every_line_dated = status.item_status.iter().flatten().all(|i| {
                i.acknowledgement_status
                    .as_ref()
                    .and_then(|a| a.acknowledgement_status_details.as_ref())
                    .is_some_and(|d| {
                        d.iter().any(|d| {
                            d.acknowledgement_date
                                .as_deref()
                                .and_then(|t| crate::order::parse_instant(t).ok())
                                == Some(at)
                        })
                    })
            });
            assert_eq!(shows_as_acknowledged(&status, &drifted), every_line_dated);
        }
    }

    #[test]
    fn a_lost_answer_reads_as_taken_when_the_report_shows_it() {
        let Some(status) = sandbox_status() else {
            return;
        };
        let mut po = retail_po();
        po.state = AmazonOrderState::Acknowledged;
        let landed = Acknowledgement::Retail(retail_ack(&[("1", 1, 0), ("2", 15, 5), ("3", 0, 5)]));
        assert!(needs_status_report(&po, &landed));
        assert_eq!(
            landing(&landed, Some(&po), Some(&status), false),
            Landing::Taken
        );
        let other = Acknowledgement::Retail(retail_ack(&[("1", 1, 0), ("2", 15, 5), ("3", 5, 0)]));
        assert_eq!(
            landing(&other, Some(&po), Some(&status), false),
            Landing::NotTaken
        );
        assert_eq!(landing(&landed, None, None, false), Landing::Unknown);
        assert_eq!(
            Landing::Taken.event(AcknowledgementVersion(2)),
            Some(Event::AcknowledgementConfirmed {
                version: AcknowledgementVersion(2)
            })
        );
        assert_eq!(Landing::NotTaken.event(AcknowledgementVersion(2)), None);
    }

    #[test]
    fn a_lost_answer_about_an_order_amazon_cancelled_ends_it() {
        let mut po = df_po();
        let ack = auto(&po);
        po.state = AmazonOrderState::Cancelled;
        assert!(!needs_status_report(&po, &ack));
        assert_eq!(
            landing(&ack, Some(&po), None, false),
            Landing::Ended(Box::new(po.clone()))
        );
        po.state = AmazonOrderState::Accepted;
        assert_eq!(landing(&ack, Some(&po), None, false), Landing::Taken);
        po.state = AmazonOrderState::New;
        assert_eq!(landing(&ack, Some(&po), None, false), Landing::NotTaken);
    }

    #[test]
    fn a_failed_transaction_of_one_order_is_its_rejection_with_amazons_messages() {
        let Some((_, failure)) = df_sandbox_outcomes() else {
            return;
        };
        let expected = vec![ServiceMessage {
            code: "INVALID_ORDER_ID".into(),
            message: "Invalid order ID.".into(),
            field: None,
        }];
        let alone = submission(Program::DirectFulfillment, 1, 5);
        assert_eq!(
            transaction_answer(&alone, &failure, now(), &AnswerTiming::default()),
            TransactionAnswer::Rejected(expected.clone())
        );
        let version = AcknowledgementVersion(1);
        assert_eq!(
            rejection(version, expected.clone(), Some(&df_po())),
            Event::AcknowledgementFailed {
                version,
                errors: expected.clone()
            }
        );
        assert_eq!(
            rejection(version, expected.clone(), None),
            Event::AcknowledgementFailed {
                version,
                errors: expected.clone()
            }
        );
        let mut cancelled = df_po();
        cancelled.state = AmazonOrderState::Cancelled;
        assert_eq!(
            rejection(version, expected, Some(&cancelled)),
            Event::PurchaseOrderChanged {
                purchase_order: Box::new(cancelled)
            }
        );
    }

    #[test]
    fn a_failed_transaction_of_several_orders_is_split_whatever_its_messages_say() {
        let Some((_, failure)) = df_sandbox_outcomes() else {
            return;
        };
        let naming = TransactionOutcome::Failure(vec![ServiceMessage {
            code: "InvalidInput".into(),
            message: "PO 4Z32PABC: netCost is above the PO's".into(),
            field: Some("acknowledgements[0].purchaseOrderNumber".into()),
        }]);
        for orders in [0, 2, 50] {
            for outcome in [&failure, &naming] {
                let TransactionOutcome::Failure(messages) = outcome else {
                    unreachable!()
                };
                assert_eq!(
                    transaction_answer(
                        &submission(Program::RetailProcurement, orders, 5),
                        outcome,
                        now(),
                        &AnswerTiming::default()
                    ),
                    TransactionAnswer::Decided(Event::AcknowledgementNotJudged {
                        version: AcknowledgementVersion(1),
                        errors: messages_as_sent(messages),
                    })
                );
            }
        }
    }

    #[test]
    fn processing_confirms_retail_after_a_while_and_has_direct_fulfillment_read() {
        let Some((processing, _)) = df_sandbox_outcomes() else {
            return;
        };
        let timing = AnswerTiming::default();
        let answer = |program, minutes| {
            transaction_answer(
                &submission(program, 3, minutes),
                &processing,
                now(),
                &timing,
            )
        };
        let version = AcknowledgementVersion(1);
        let still = TransactionAnswer::Decided(Event::AcknowledgementStillProcessing { version });
        assert_eq!(answer(Program::RetailProcurement, 14), still);
        assert_eq!(
            answer(Program::RetailProcurement, 15),
            TransactionAnswer::Decided(Event::AcknowledgementConfirmed { version })
        );
        assert_eq!(answer(Program::DirectFulfillment, 29), still);
        assert_eq!(
            answer(Program::DirectFulfillment, 30),
            TransactionAnswer::ReadOrder
        );
        assert_eq!(
            transaction_answer(
                &submission(Program::DirectFulfillment, 1, 60),
                &TransactionOutcome::Success,
                now(),
                &timing
            ),
            TransactionAnswer::Decided(Event::AcknowledgementConfirmed { version })
        );
    }

    #[test]
    fn a_direct_fulfillment_order_read_after_processing_confirms_or_waits_or_needs_a_person() {
        let timing = AnswerTiming::default();
        let po = df_po();
        let ack = auto(&po);
        let version = AcknowledgementVersion(1);
        let read = |state: AmazonOrderState, minutes| {
            let mut po = po.clone();
            po.state = state;
            processing_after_reading(
                &submission(Program::DirectFulfillment, 1, minutes),
                &ack,
                Some(&po),
                &"amazon:check:4Z32PABC:v1".parse().expect("a command key"),
                now(),
                &timing,
            )
        };
        assert_eq!(
            read(AmazonOrderState::Accepted, 30),
            Event::AcknowledgementConfirmed { version }
        );
        assert_eq!(
            read(AmazonOrderState::Shipped, 30),
            Event::AcknowledgementConfirmed { version }
        );
        assert_eq!(
            read(AmazonOrderState::New, 30),
            Event::AcknowledgementStillProcessing { version }
        );
        assert!(matches!(
            read(AmazonOrderState::Cancelled, 30),
            Event::PurchaseOrderChanged { .. }
        ));
        let Event::CommandFailed {
            command_key,
            failure,
        } = read(AmazonOrderState::New, 4 * 60)
        else {
            panic!("not handed to a person");
        };
        assert_eq!(command_key, "amazon:check:4Z32PABC:v1");
        assert!(failure.exhausted);
        // An order that cannot be read waits the same way.
        assert_eq!(
            processing_after_reading(
                &submission(Program::DirectFulfillment, 1, 30),
                &ack,
                None,
                &"amazon:check:4Z32PABC:v1".parse().expect("a command key"),
                now(),
                &timing,
            ),
            Event::AcknowledgementStillProcessing { version }
        );
    }
}
