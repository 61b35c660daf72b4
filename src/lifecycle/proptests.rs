//! Random event sequences through the machine, checking its laws.

use chrono::{NaiveDate, TimeDelta};
use proptest::prelude::*;

use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion, RejectionReason};
use crate::ids::{InternalId, TransactionId, VendorSku};
use crate::mapping::check_acknowledgement;
use crate::mapping::fixtures::{df_po, retail_po, settings, snapshot, t};
use crate::order::{AmazonOrderState, PurchaseOrder};
use crate::sales_order::{NetSuiteStatus, SalesOrderLineSnapshot, SalesOrderSnapshot};
use crate::settings::{
    ChangedAfterAcknowledgementPolicy, OnAmazonRejectionPolicy, Settings, UnmappedItemPolicy,
};

use super::*;

fn arb_settings() -> impl Strategy<Value = Settings> {
    (
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(UnmappedItemPolicy::HoldForReview),
            Just(UnmappedItemPolicy::RejectLine)
        ],
        prop_oneof![
            Just(ChangedAfterAcknowledgementPolicy::UpdateSalesOrder),
            Just(ChangedAfterAcknowledgementPolicy::ReviewEachOrder),
            Just(ChangedAfterAcknowledgementPolicy::CancelSalesOrder),
        ],
        prop_oneof![
            Just(RejectionReason::TemporarilyUnavailable),
            Just(RejectionReason::InvalidProductIdentifier),
            Just(RejectionReason::ObsoleteProduct),
        ],
        prop_oneof![
            Just(OnAmazonRejectionPolicy::ReturnToPendingApproval),
            Just(OnAmazonRejectionPolicy::LeaveApproved),
        ],
    )
        .prop_map(|(rp, df, unmapped, changed, reason, rejection)| {
            let mut s = settings();
            s.auto_acknowledge.retail_procurement = rp;
            s.auto_acknowledge.direct_fulfillment = df;
            s.policies.unmapped_item = unmapped;
            s.policies.changed_after_acknowledgement = changed;
            s.policies.default_rejection_reason = reason;
            s.policies.on_amazon_rejection = rejection;
            s
        })
}

/// A variant of `base`: line quantities changed, a line's item unknown, or the order
/// closed or cancelled by Amazon.
fn arb_po(base: PurchaseOrder) -> impl Strategy<Value = PurchaseOrder> {
    let lines = base.lines.len();
    (
        prop::collection::vec(prop::option::weighted(0.3, 0u64..5), lines),
        prop::option::weighted(0.15, 0..lines),
        prop_oneof![
            8 => Just(AmazonOrderState::New),
            1 => Just(AmazonOrderState::Closed),
            1 => Just(AmazonOrderState::Cancelled),
        ],
    )
        .prop_map(move |(amounts, unmapped, state)| {
            let mut po = base.clone();
            for (line, amount) in po.lines.iter_mut().zip(amounts) {
                if let Some(a) = amount {
                    line.ordered.amount = a;
                }
            }
            if let Some(i) = unmapped {
                if let Some(line) = po.lines.get_mut(i) {
                    line.vendor_sku = VendorSku::new("UNMAPPED").ok();
                }
            }
            po.state = state;
            po
        })
}

/// A sales order read back: the created lines with quantities, rates, closures and
/// dates a reviewer might leave (valid or not), in any status.
fn arb_snapshot(base: PurchaseOrder) -> impl Strategy<Value = SalesOrderSnapshot> {
    let template = snapshot(&base, NetSuiteStatus::PendingFulfillment);
    let lines = template.lines.len();
    (
        prop_oneof![
            3 => Just(NetSuiteStatus::PendingFulfillment),
            2 => Just(NetSuiteStatus::PendingApproval),
            1 => Just(NetSuiteStatus::Closed),
            1 => Just(NetSuiteStatus::Cancelled),
            1 => Just(NetSuiteStatus::PartiallyFulfilled),
            1 => Just(NetSuiteStatus::Other("Z".into())),
        ],
        prop::collection::vec(
            (
                prop::option::weighted(0.5, 0u64..60),
                prop::option::weighted(0.3, prop_oneof!["0", "1.00", "4.00", "9.50", "9.25", "25"]),
                prop::bool::weighted(0.15),
                prop::bool::weighted(0.2),
            ),
            lines,
        ),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.05),
    )
        .prop_map(move |(status, edits, drop_line, extra_line, other_id)| {
            let mut s = template.clone();
            s.status = status;
            for (line, (quantity, rate, closed, dated)) in s.lines.iter_mut().zip(edits) {
                if let Some(q) = quantity {
                    line.quantity = q;
                }
                if let Some(r) = rate.and_then(|r| r.parse().ok()) {
                    line.rate = r;
                }
                line.is_closed = closed;
                if dated {
                    line.expected_ship_date = NaiveDate::from_ymd_opt(2025, 3, 20);
                }
            }
            if drop_line {
                s.lines.pop();
            }
            if extra_line {
                s.lines.push(SalesOrderLineSnapshot {
                    line: 99,
                    sequence: crate::ids::ItemSequenceNumber::new("77").ok(),
                    ..s.lines.first().cloned().unwrap_or(SalesOrderLineSnapshot {
                        line: 99,
                        sequence: None,
                        item: InternalId::new("1").unwrap_or_else(|_| unreachable!()),
                        quantity: 1,
                        rate: crate::decimal::Decimal::ZERO,
                        is_closed: false,
                        expected_ship_date: None,
                    })
                });
            }
            if other_id {
                s.internal_id = InternalId::new("6666").unwrap_or_else(|_| unreachable!());
            }
            s
        })
}

fn arb_failure() -> impl Strategy<Value = CommandFailure> {
    (
        prop_oneof![
            Just(FailureKind::Transient {
                message: "timeout".into()
            }),
            (0u64..4000).prop_map(|s| FailureKind::RateLimited {
                retry_after: Some(std::time::Duration::from_secs(s))
            }),
            Just(FailureKind::RateLimited { retry_after: None }),
            Just(FailureKind::Rejected {
                messages: vec![crate::client::ServiceMessage::new(
                    "INVALID_CONTENT",
                    "bad field"
                )]
            }),
            Just(FailureKind::Unauthorized {
                message: "token expired".into()
            }),
            Just(FailureKind::NotFound {
                message: "gone".into()
            }),
        ],
        prop::bool::weighted(0.1),
    )
        .prop_map(|(kind, exhausted)| CommandFailure { kind, exhausted })
}

fn arb_event(base: PurchaseOrder) -> impl Strategy<Value = Event> {
    let number = base.number.to_string();
    let ext = crate::mapping::external_id(base.program, &base.number).to_string();
    let keys = vec![
        format!("netsuite:create:{ext}"),
        format!("netsuite:update:{ext}:r1"),
        format!("netsuite:update:{ext}:r2"),
        format!("netsuite:close:{ext}"),
        format!("netsuite:read:{ext}"),
        format!("amazon:acknowledge:{number}:v1"),
        format!("amazon:acknowledge:{number}:v2"),
        format!("amazon:check:{number}:v1"),
        format!("amazon:check:{number}:v2"),
    ]
    .into_iter()
    .map(|k| {
        k.parse::<crate::lifecycle::CommandKey>()
            .unwrap_or_else(|_| unreachable!())
    })
    .collect::<Vec<_>>();
    let version = || (1u32..4).prop_map(AcknowledgementVersion);
    prop_oneof![
        3 => arb_po(base.clone()).prop_map(|po| Event::PurchaseOrderChanged { purchase_order: Box::new(po) }),
        1 => arb_po(base.clone()).prop_map(|po| Event::PurchaseOrderReceived { purchase_order: Box::new(po) }),
        1 => Just(Event::PurchaseOrderCancelled),
        4 => prop_oneof![Just("5001"), Just("5002")].prop_map(|id| Event::SalesOrderCreated {
            internal_id: InternalId::new(id).unwrap_or_else(|_| unreachable!())
        }),
        2 => (1u32..4).prop_map(|revision| Event::SalesOrderUpdated { revision }),
        2 => Just(Event::SalesOrderClosed),
        6 => arb_snapshot(base).prop_map(|s| Event::SalesOrderRead { snapshot: Box::new(s) }),
        4 => (version(), prop_oneof![Just("t-1"), Just("t-2")]).prop_map(|(version, id)| {
            Event::AcknowledgementSubmitted {
                version,
                transaction_id: TransactionId::new(id).unwrap_or_else(|_| unreachable!()),
                orders: 1,
            }
        }),
        2 => version().prop_map(|version| Event::AcknowledgementStillProcessing { version }),
        4 => version().prop_map(|version| Event::AcknowledgementConfirmed { version }),
        2 => version().prop_map(|version| Event::AcknowledgementFailed {
            version,
            errors: vec![crate::client::ServiceMessage { code: "InvalidInput".into(), message: "bad cost".into(), field: None }],
        }),
        1 => version().prop_map(|version| Event::AcknowledgementNotJudged { version, errors: Vec::new() }),
        4 => (prop::sample::select(keys), arb_failure())
            .prop_map(|(command_key, failure)| Event::CommandFailed { command_key, failure }),
        4 => Just(Event::TimerElapsed),
        2 => Just(Event::RetryRequested),
        2 => Just(Event::RepostRequested),
        1 => Just(Event::HoldRequested { reason: "check".into() }),
        1 => Just(Event::ReleaseRequested),
        1 => Just(Event::CancelRequested { reason: "duplicate".into() }),
    ]
}

fn arb_story() -> impl Strategy<Value = (Settings, PurchaseOrder, Vec<(i64, Event)>)> {
    (
        arb_settings(),
        prop_oneof![Just(retail_po()), Just(df_po())],
    )
        .prop_flat_map(|(settings, base)| {
            (
                Just(settings),
                arb_po(base.clone()),
                prop::collection::vec((0i64..400, arb_event(base)), 0..40),
            )
        })
}

fn acknowledgements(commands: &[Command]) -> Vec<&Acknowledgement> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::SubmitAcknowledgement {
                acknowledgement, ..
            } => Some(&**acknowledgement),
            _ => None,
        })
        .collect()
}

/// One applied step of a story.
struct Step<'a> {
    settings: &'a Settings,
    before: &'a OrderRecord,
    event: &'a Event,
    now: chrono::DateTime<chrono::Utc>,
    after: &'a OrderRecord,
    commands: &'a [Command],
    /// A read of an approved sales order was applied before this step.
    approved_before: bool,
}

/// Receives the order and applies every event in turn (events that do not fit are
/// refused and skipped), calling `check` on each applied step. The reception counts
/// as a step from a record that does not exist yet, so `before` is the record itself.
fn run_story(
    (settings, po, events): (Settings, PurchaseOrder, Vec<(i64, Event)>),
    mut check: impl FnMut(&Step<'_>) -> Result<(), TestCaseError>,
) -> Result<OrderRecord, TestCaseError> {
    let now = t(1);
    let event = Event::PurchaseOrderReceived {
        purchase_order: Box::new(po.clone()),
    };
    let (mut record, commands) = OrderRecord::receive(po, now, &settings);
    check(&Step {
        settings: &settings,
        before: &record,
        event: &event,
        now,
        after: &record,
        commands: &commands,
        approved_before: false,
    })?;
    let mut now = now;
    let mut approved = false;
    for (minutes, event) in events {
        now += TimeDelta::minutes(minutes);
        let Ok((after, commands)) = record.handle(&event, now, &settings) else {
            continue;
        };
        check(&Step {
            settings: &settings,
            before: &record,
            event: &event,
            now,
            after: &after,
            commands: &commands,
            approved_before: approved,
        })?;
        if let Event::SalesOrderRead { snapshot } = &event {
            approved |= snapshot.status != NetSuiteStatus::PendingApproval;
        }
        record = after;
    }
    Ok(record)
}

fn json(record: &OrderRecord) -> Result<OrderRecord, TestCaseError> {
    let text = serde_json::to_string(record).map_err(|e| TestCaseError::fail(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_event_sequences_never_panic_and_follow_the_table(story in arb_story()) {
        run_story(story, |step| {
            if step.event.kind() == EventKind::PurchaseOrderReceived && step.after.history().len() == 1 {
                // The reception: a new record, from no state.
                let first = step.after.history().first().map(|h| (h.from, h.to));
                prop_assert_eq!(first, Some((None, step.after.state().kind())));
                prop_assert!(START.contains(&step.after.state().kind()));
                return Ok(());
            }
            if step.after == step.before {
                prop_assert!(step.commands.is_empty());
                return Ok(());
            }
            prop_assert_eq!(step.after.history().len(), step.before.history().len() + 1);
            let entry = step.after.history().last().cloned().ok_or_else(|| TestCaseError::fail("no history"))?;
            prop_assert_eq!(entry.at, step.now);
            prop_assert_eq!(entry.from, Some(step.before.state().kind()));
            prop_assert_eq!(entry.to, step.after.state().kind());
            if entry.event == EventKind::TimerElapsed {
                prop_assert_eq!(entry.to, entry.from.unwrap_or(entry.to));
            } else {
                let listed = rule(step.before.state().kind(), entry.event)
                    .is_some_and(|r| r.to.contains(&entry.to));
                prop_assert!(listed, "{} --{}--> {} is not in the table", step.before.state().kind(), entry.event, entry.to);
            }
            Ok(())
        })?;
    }

    #[test]
    fn no_acknowledged_quantity_exceeds_the_ordered_quantity(story in arb_story()) {
        run_story(story, |step| {
            let po = step.after.purchase_order();
            for ack in acknowledgements(step.commands) {
                prop_assert!(check_acknowledgement(po, ack, None).is_ok(), "{:?}", check_acknowledgement(po, ack, None));
                match ack {
                    Acknowledgement::Retail(a) => {
                        for line in &a.lines {
                            let total = line.decisions.iter()
                                .map(|d| d.quantity.eaches().unwrap_or(u64::MAX))
                                .fold(0, u64::saturating_add);
                            prop_assert!(total <= line.ordered.eaches().unwrap_or(0));
                            let ordered = po.lines.iter().find(|l| l.sequence == line.sequence).map(|l| l.ordered);
                            prop_assert_eq!(ordered, Some(line.ordered));
                        }
                    }
                    Acknowledgement::DirectFulfillment(a) => {
                        for line in &a.lines {
                            let ordered = po.lines.iter().find(|l| l.sequence == line.sequence)
                                .and_then(|l| l.ordered.eaches());
                            prop_assert!(ordered.is_some_and(|o| line.quantity <= o));
                        }
                    }
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn no_acknowledgement_acknowledges_a_quantity_of_zero(story in arb_story()) {
        // Amazon's models: `acknowledgedQuantity.amount` should not be zero. A line with
        // nothing ordered is left out; Amazon takes a missing line as rejected.
        run_story(story, |step| {
            for ack in acknowledgements(step.commands) {
                let amounts: Vec<u64> = match ack {
                    Acknowledgement::Retail(a) => {
                        let body = crate::amazon::retail::SubmitAcknowledgementRequest::from_domain(
                            std::slice::from_ref(a),
                        );
                        body.acknowledgements
                            .iter()
                            .flat_map(|o| &o.items)
                            .flat_map(|i| &i.item_acknowledgements)
                            .map(|d| d.acknowledged_quantity.amount)
                            .collect()
                    }
                    Acknowledgement::DirectFulfillment(a) => {
                        let body = crate::amazon::direct_fulfillment::SubmitAcknowledgementRequest::from_domain(
                            std::slice::from_ref(a),
                        );
                        body.order_acknowledgements
                            .iter()
                            .flat_map(|o| &o.item_acknowledgements)
                            .map(|i| i.acknowledged_quantity.amount)
                            .collect()
                    }
                };
                prop_assert!(!amounts.is_empty(), "an acknowledgement of nothing: {:?}", ack);
                prop_assert!(amounts.iter().all(|a| *a > 0), "a zero amount in {:?}", ack);
            }
            Ok(())
        })?;
    }

    #[test]
    fn no_acknowledgement_before_approval_or_auto_acknowledgement(story in arb_story()) {
        run_story(story, |step| {
            for _ in acknowledgements(step.commands) {
                let po = step.after.purchase_order();
                match step.after.approval() {
                    Some(Approval::AutoAcknowledgement) => prop_assert!(step.settings.is_auto_acknowledged(po.program)),
                    Some(Approval::Reviewed) => prop_assert!(
                        step.approved_before || matches!(step.event, Event::SalesOrderRead { snapshot } if snapshot.status != NetSuiteStatus::PendingApproval),
                        "acknowledged before any approved read"
                    ),
                    Some(Approval::RejectedByPolicy) => prop_assert!(
                        step.settings.policies.unmapped_item == UnmappedItemPolicy::RejectLine
                            || po.lines.iter().all(|l| l.ordered.amount == 0)
                    ),
                    Some(Approval::AcknowledgedAtAmazon) => prop_assert!(false, "acknowledged again an order acknowledged at Amazon"),
                    None => prop_assert!(false, "an acknowledgement without approval"),
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn terminal_states_stay_terminal(story in arb_story()) {
        let last = run_story(story, |step| {
            if step.before.is_terminal() {
                prop_assert!(step.after.is_terminal(), "left {}", step.before.state().kind());
            }
            Ok(())
        })?;
        if last.is_terminal() {
            prop_assert_eq!(last.next_wakeup(&settings()), None);
        }
    }

    #[test]
    fn a_replayed_event_changes_nothing(story in arb_story()) {
        run_story(story, |step| {
            // Operator actions are requests, not facts: asking twice may do twice.
            if step.event.kind().is_operator_action() {
                return Ok(());
            }
            match step.after.handle(step.event, step.now, step.settings) {
                Ok((again, more)) => {
                    prop_assert_eq!(&again, step.after, "replaying {} changed the record", step.event.kind());
                    prop_assert!(more.is_empty(), "replaying {} sent {:?}", step.event.kind(), more);
                }
                // A refusal changes nothing either (the transition takes `&self`), but
                // only two replays may be refused, each because its first delivery
                // moved the order to a state it does not fit: a command's failure once
                // the order no longer waits for that command (it needs attention, or
                // waits for another), and a read of the sales order once the read moved
                // the order on (approved, it waits for Amazon). Every other event
                // replayed must be taken and change nothing.
                Err(err) => {
                    let kind = step.event.kind();
                    prop_assert!(
                        matches!(kind, EventKind::CommandFailed | EventKind::SalesOrderRead),
                        "replaying {} was refused: {}", kind, err
                    );
                    prop_assert!(step.after.state() != step.before.state(), "replaying {} was refused, though its first delivery changed no state: {}", kind, err);
                    // A held order is refused in the name of the state under the hold.
                    let after = [step.after.state().kind(), step.after.state().unheld().kind()];
                    prop_assert!(
                        matches!(
                            &err,
                            TransitionError::InappropriateEvent { state, .. }
                            | TransitionError::UnexpectedCommand { state, .. } if after.contains(state)
                        ),
                        "replaying {} was refused for another reason than the state it moved to: {}", kind, err
                    );
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn a_record_serializes_and_deserializes_to_itself(story in arb_story()) {
        run_story(story, |step| {
            prop_assert_eq!(&json(step.after)?, step.after);
            let value = serde_json::to_value(step.after).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(value.get("schema_version"), Some(&serde_json::json!(SCHEMA_VERSION)));
            Ok(())
        })?;
    }
}
