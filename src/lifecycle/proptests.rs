//! Random event sequences through the machine, checking its laws.

use chrono::{NaiveDate, TimeDelta};
use proptest::prelude::*;

use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion, RejectionReason};
use crate::ids::{InternalId, TransactionId, VendorSku};
use crate::mapping::check_acknowledgement;
use crate::mapping::fixtures::{df_po, retail_po, settings, snapshot, t};
use crate::order::{AmazonOrderState, PurchaseOrder};
use crate::sales_order::{NetSuiteStatus, SalesOrderLineSnapshot, SalesOrderSnapshot};
use crate::settings::{ChangedAfterAcknowledgementPolicy, Settings, UnmappedItemPolicy};

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
    )
        .prop_map(|(rp, df, unmapped, changed, reason)| {
            let mut s = settings();
            s.auto_acknowledge.retail_procurement = rp;
            s.auto_acknowledge.direct_fulfillment = df;
            s.policies.unmapped_item = unmapped;
            s.policies.changed_after_acknowledgement = changed;
            s.policies.default_rejection_reason = reason;
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
                messages: vec!["bad field".into()]
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
    ];
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
            }
        }),
        2 => version().prop_map(|version| Event::AcknowledgementStillProcessing { version }),
        4 => version().prop_map(|version| Event::AcknowledgementConfirmed { version }),
        2 => version().prop_map(|version| Event::AcknowledgementFailed {
            version,
            errors: vec![AmazonMessage { code: "InvalidInput".into(), message: "bad cost".into() }],
        }),
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

/// The laws every step must keep. Returns whether the step was an approving read.
fn check_step(
    settings: &Settings,
    before: &OrderRecord,
    event: &Event,
    now: chrono::DateTime<chrono::Utc>,
    approved_seen: bool,
) -> Result<Option<OrderRecord>, TestCaseError> {
    let Ok((after, commands)) = before.handle(event, now, settings) else {
        return Ok(None);
    };

    // Serialized state comes back the same.
    let json = serde_json::to_string(&after).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: OrderRecord =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, &after);

    // Terminal states stay terminal.
    if before.is_terminal() {
        prop_assert!(after.is_terminal(), "left {:?}", before.state().kind());
    }

    // Every transition is in the table, and recorded once.
    if after != *before {
        prop_assert_eq!(after.history().len(), before.history().len() + 1);
        let entry = after.history().last().cloned();
        let entry = entry.ok_or_else(|| TestCaseError::fail("no history"))?;
        prop_assert_eq!(entry.from, Some(before.state().kind()));
        prop_assert_eq!(entry.to, after.state().kind());
        if entry.event == EventKind::TimerElapsed {
            prop_assert_eq!(entry.to, before.state().kind());
        } else {
            let listed =
                rule(before.state().kind(), entry.event).is_some_and(|r| r.to.contains(&entry.to));
            prop_assert!(
                listed,
                "{} --{}--> {} is not in the table",
                before.state().kind(),
                entry.event,
                entry.to
            );
        }
    } else {
        prop_assert!(commands.is_empty());
    }

    // No acknowledgement before approval or auto acknowledgement, and none that breaks
    // Amazon's rules (so none acknowledges more than was ordered).
    for ack in acknowledgements(&commands) {
        let po = after.purchase_order();
        match after.approval() {
            Some(Approval::AutoAcknowledgement) => {
                prop_assert!(settings.is_auto_acknowledged(po.program))
            }
            Some(Approval::Reviewed) => prop_assert!(
                approved_seen
                    || matches!(event, Event::SalesOrderRead { snapshot } if snapshot.status != NetSuiteStatus::PendingApproval),
                "acknowledged before any approved read"
            ),
            Some(Approval::RejectedByPolicy) => prop_assert!(
                settings.policies.unmapped_item == UnmappedItemPolicy::RejectLine
                    || po.lines.iter().all(|l| l.ordered.amount == 0)
            ),
            None => prop_assert!(false, "an acknowledgement without approval"),
        }
        prop_assert!(
            check_acknowledgement(po, ack, None).is_ok(),
            "{:?}",
            check_acknowledgement(po, ack, None)
        );
        match ack {
            Acknowledgement::Retail(a) => {
                for line in &a.lines {
                    let ordered = line.ordered.eaches().unwrap_or(0);
                    let total: u64 = line
                        .decisions
                        .iter()
                        .map(|d| d.quantity.eaches().unwrap_or(u64::MAX))
                        .fold(0, u64::saturating_add);
                    prop_assert!(total <= ordered);
                }
            }
            Acknowledgement::DirectFulfillment(a) => {
                for (line, po_line) in a.lines.iter().zip(&po.lines) {
                    prop_assert!(line.quantity <= po_line.ordered.eaches().unwrap_or(0));
                }
            }
        }
    }

    // A fact applied again changes nothing.
    if !event.kind().is_operator_action() {
        if let Ok((again, more)) = after.handle(event, now, settings) {
            prop_assert_eq!(
                &again,
                &after,
                "replaying {} changed the record",
                event.kind()
            );
            prop_assert!(
                more.is_empty(),
                "replaying {} sent {:?}",
                event.kind(),
                more
            );
        }
    }
    Ok(Some(after))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_event_sequences_keep_the_machines_laws((settings, po, events) in arb_story()) {
        let (mut record, commands) = OrderRecord::receive(po, t(1), &settings);
        prop_assert_eq!(record.history().len(), 1);
        for ack in acknowledgements(&commands) {
            prop_assert!(record.approval().is_some());
            prop_assert!(check_acknowledgement(record.purchase_order(), ack, None).is_ok());
        }
        let mut now = t(1);
        let mut approved_seen = false;
        for (minutes, event) in events {
            now += TimeDelta::minutes(minutes);
            if let Some(next) = check_step(&settings, &record, &event, now, approved_seen)? {
                if let Event::SalesOrderRead { snapshot } = &event {
                    approved_seen |= snapshot.status != NetSuiteStatus::PendingApproval;
                }
                record = next;
            }
        }
        prop_assert!(record.next_wakeup(&settings).is_none_or(|_| !record.is_terminal()));
    }

    #[test]
    fn records_serialize_and_come_back_identical(
        (settings, po, events) in arb_story()
    ) {
        let (mut record, _) = OrderRecord::receive(po, t(1), &settings);
        let mut now = t(1);
        for (minutes, event) in events {
            now += TimeDelta::minutes(minutes);
            if let Ok((next, _)) = record.handle(&event, now, &settings) {
                record = next;
            }
        }
        let value = serde_json::to_value(&record).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(value.get("schema_version"), Some(&serde_json::json!(SCHEMA_VERSION)));
        let back: OrderRecord = serde_json::from_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, record);
    }
}
