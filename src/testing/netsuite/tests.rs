use super::*;
use crate::order::Address;
use crate::sales_order::{CustomFields, LineChange};
use crate::testing::ManualClock;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const NOW: &str = "2025-03-10T12:00:00Z";

fn eid(s: &str) -> ExternalId {
    s.parse().unwrap()
}

fn seq(s: &str) -> ItemSequenceNumber {
    s.parse().unwrap()
}

fn line(sequence: &str, item: &str, quantity: u64, rate: &str) -> SalesOrderLineDraft {
    SalesOrderLineDraft {
        item: item.parse().unwrap(),
        quantity,
        rate: rate.parse().unwrap(),
        sequence: seq(sequence),
        description: None,
        is_closed: false,
        custom_fields: CustomFields::new(),
    }
}

fn draft(
    external_id: &str,
    status: SalesOrderStatus,
    lines: Vec<SalesOrderLineDraft>,
) -> SalesOrderDraft {
    SalesOrderDraft {
        external_id: eid(external_id),
        customer: "77".parse().unwrap(),
        subsidiary: None,
        location: None,
        custom_form: None,
        currency: None,
        tran_date: "2025-03-10".parse().unwrap(),
        ship_date: None,
        other_ref_num: "4Z32PABC".parse().unwrap(),
        memo: None,
        status,
        shipping_address: None,
        lines,
        custom_fields: CustomFields::new(),
    }
}

fn two_lines() -> Vec<SalesOrderLineDraft> {
    vec![
        line("1", "1101", 12, "18.40"),
        line("2", "1102", 4, "21.15"),
    ]
}

fn setup() -> (ManualClock, NetSuite) {
    let clock = ManualClock::new(t(NOW));
    let ns = NetSuite::new(clock.clone());
    (clock, ns)
}

fn codes(err: &ClientError) -> Vec<(&str, Option<&str>)> {
    err.messages
        .iter()
        .map(|m| (m.code.as_str(), m.field.as_deref()))
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn an_upsert_creates_once_and_then_updates_the_same_record() {
    let (clock, ns) = setup();
    let first = draft(
        "AVC-RP-4Z32PABC",
        SalesOrderStatus::PendingApproval,
        two_lines(),
    );
    let id = ns.upsert_sales_order(&first).await.unwrap();
    assert_eq!(id.as_str(), "1001");
    clock.advance(Duration::from_secs(5));
    let mut again = first.clone();
    again.lines[0].quantity = 10;
    again.lines.push(line("3", "1103", 1, "12.49"));
    again.ship_date = NaiveDate::from_ymd_opt(2025, 3, 14);
    assert_eq!(ns.upsert_sales_order(&again).await.unwrap(), id);
    assert_eq!(ns.record_count(), 1);
    assert_eq!(ns.creations(&eid("AVC-RP-4Z32PABC")), 1);

    let order = ns
        .sales_order(&eid("AVC-RP-4Z32PABC"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.internal_id, id);
    assert_eq!(order.tran_id.as_deref(), Some("SO1001"));
    assert_eq!(order.status, NetSuiteStatus::PendingApproval);
    assert_eq!(order.last_modified, Some(t("2025-03-10T12:00:05Z")));
    assert_eq!(order.ship_date, NaiveDate::from_ymd_opt(2025, 3, 14));
    let lines: Vec<_> = order
        .lines
        .iter()
        .map(|l| (l.line, l.sequence.clone().unwrap().to_string(), l.quantity))
        .collect();
    assert_eq!(
        lines,
        [(1, "1".into(), 10), (2, "2".into(), 4), (3, "3".into(), 1)]
    );
    // A body without a ship date leaves the order's as it is.
    ns.upsert_sales_order(&first).await.unwrap();
    assert_eq!(
        ns.snapshot(&eid("AVC-RP-4Z32PABC")).unwrap().ship_date,
        NaiveDate::from_ymd_opt(2025, 3, 14)
    );

    let other = draft(
        "AVC-DF-2JK3S9VC",
        SalesOrderStatus::PendingFulfillment,
        two_lines(),
    );
    assert_eq!(
        ns.upsert_sales_order(&other).await.unwrap().as_str(),
        "1002"
    );
    assert_eq!(
        ns.snapshot(&eid("AVC-DF-2JK3S9VC")).unwrap().status,
        NetSuiteStatus::PendingFulfillment
    );
    assert_eq!(ns.sales_order(&eid("AVC-RP-NOSUCHPO")).await.unwrap(), None);
    let body = ns.last_body(&eid("AVC-DF-2JK3S9VC")).unwrap();
    assert_eq!(body.order_status.unwrap().id, "B");
}

#[tokio::test(flavor = "current_thread")]
async fn bodies_netsuite_would_refuse_are_rejected_with_its_messages() {
    let (_, ns) = setup();
    let mut bad_country = draft(
        "AVC-DF-2JK3S9VC",
        SalesOrderStatus::PendingFulfillment,
        two_lines(),
    );
    bad_country.shipping_address = Some(Address {
        name: "Jordan Avery".into(),
        address_line1: "1400 Maple Ridge Rd".into(),
        country_code: "USA".into(),
        ..Address::default()
    });
    let err = ns.upsert_sales_order(&bad_country).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert_eq!(
        codes(&err),
        [("INVALID_CONTENT", Some("shippingAddress.country"))]
    );
    assert!(!format!("{err:?}").contains("Maple"));

    let mut bad_field = draft(
        "AVC-RP-4Z32PABC",
        SalesOrderStatus::PendingApproval,
        two_lines(),
    );
    bad_field
        .custom_fields
        .insert("avc_vendor_code".into(), "ACMEV".into());
    let err = ns.upsert_sales_order(&bad_field).await.unwrap_err();
    assert_eq!(codes(&err), [("INVALID_CONTENT", Some("avc_vendor_code"))]);

    let mut inexact = draft(
        "AVC-RP-4Z32PABC",
        SalesOrderStatus::PendingApproval,
        two_lines(),
    );
    inexact.lines[1].rate = "0.1234567890123456789".parse().unwrap();
    let err = ns.upsert_sales_order(&inexact).await.unwrap_err();
    assert_eq!(
        codes(&err),
        [("INVALID_CONTENT", Some("item.items[1].rate"))]
    );

    let empty = draft(
        "AVC-RP-4Z32PABC",
        SalesOrderStatus::PendingApproval,
        Vec::new(),
    );
    let err = ns.upsert_sales_order(&empty).await.unwrap_err();
    assert_eq!(codes(&err), [("USER_ERROR", Some("item"))]);

    let twice = draft(
        "AVC-RP-4Z32PABC",
        SalesOrderStatus::PendingApproval,
        vec![line("1", "1101", 1, "1"), line("1", "1102", 1, "1")],
    );
    let err = ns.upsert_sales_order(&twice).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);

    ns.set_item_catalogue(["1101".parse().unwrap()]);
    ns.set_customer_catalogue(["1".parse().unwrap()]);
    let err = ns
        .upsert_sales_order(&draft(
            "AVC-RP-4Z32PABC",
            SalesOrderStatus::PendingApproval,
            two_lines(),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        [
            ("INVALID_CONTENT", Some("entity")),
            ("INVALID_CONTENT", Some("item.items[1].item"))
        ]
    );
    assert!(err.messages[1].message.contains("Invalid Field Value 1102"));
    ns.clear_item_catalogue();
    ns.clear_customer_catalogue();
    assert_eq!(ns.record_count(), 0);
    assert!(
        ns.upsert_sales_order(&draft(
            "AVC-RP-4Z32PABC",
            SalesOrderStatus::PendingApproval,
            two_lines()
        ))
        .await
        .is_ok()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn updates_change_lines_by_po_line_and_never_replace_the_list() {
    let (clock, ns) = setup();
    let id = eid("AVC-RP-4Z32PABC");
    ns.upsert_sales_order(&draft(
        id.as_str(),
        SalesOrderStatus::PendingApproval,
        two_lines(),
    ))
    .await
    .unwrap();
    clock.advance(Duration::from_secs(60));
    let update = SalesOrderChanges {
        status: Some(SalesOrderStatus::PendingFulfillment),
        ship_date: NaiveDate::from_ymd_opt(2025, 3, 14),
        lines: vec![
            LineChange::Set {
                sequence: seq("2"),
                item: Some("1105".parse().unwrap()),
                quantity: Some(3),
                rate: Some("20.00".parse().unwrap()),
            },
            LineChange::Add {
                line: Box::new(line("3", "1103", 6, "12.49")),
            },
        ],
    };
    ns.update_sales_order(&id, &update).await.unwrap();
    let order = ns.snapshot(&id).unwrap();
    assert_eq!(order.status, NetSuiteStatus::PendingFulfillment);
    assert_eq!(order.ship_date, NaiveDate::from_ymd_opt(2025, 3, 14));
    assert_eq!(order.last_modified, Some(t("2025-03-10T12:01:00Z")));
    assert_eq!(order.lines.len(), 3);
    assert_eq!(order.lines[0].quantity, 12);
    assert_eq!(
        (
            order.lines[1].item.as_str(),
            order.lines[1].quantity,
            order.lines[1].rate.to_string()
        ),
        ("1105", 3, "20.00".into())
    );
    assert_eq!((order.lines[2].line, order.lines[2].quantity), (3, 6));

    let unknown_line = SalesOrderChanges::closing([seq("9")]);
    let err = ns.update_sales_order(&id, &unknown_line).await.unwrap_err();
    assert_eq!(
        codes(&err),
        [("INVALID_CONTENT", Some("item.items[0].line"))]
    );
    // An item outside the catalogue is refused where it is named.
    ns.set_item_catalogue(["1101".parse().unwrap(), "1102".parse().unwrap()]);
    let unknown_item = SalesOrderChanges {
        lines: vec![LineChange::Set {
            sequence: seq("1"),
            item: Some("4040".parse().unwrap()),
            quantity: None,
            rate: None,
        }],
        ..SalesOrderChanges::default()
    };
    let err = ns.update_sales_order(&id, &unknown_item).await.unwrap_err();
    assert_eq!(
        codes(&err),
        [("INVALID_CONTENT", Some("item.items[0].item"))]
    );
    assert_eq!(ns.snapshot(&id).unwrap().lines[0].item.as_str(), "1101");
    ns.clear_item_catalogue();
    let existing_line = SalesOrderChanges {
        lines: vec![LineChange::Add {
            line: Box::new(line("1", "1101", 1, "1")),
        }],
        ..SalesOrderChanges::default()
    };
    assert_eq!(
        ns.update_sales_order(&id, &existing_line)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Rejected
    );
    let err = ns
        .update_sales_order(&eid("AVC-RP-NOSUCHPO"), &SalesOrderChanges::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.messages[0].code, "NONEXISTENT_ID");
    assert_eq!(
        ns.close_sales_order(&eid("AVC-RP-NOSUCHPO"))
            .await
            .unwrap_err()
            .kind,
        ErrorKind::NotFound
    );

    clock.advance(Duration::from_secs(60));
    ns.close_sales_order(&id).await.unwrap();
    let order = ns.snapshot(&id).unwrap();
    assert_eq!(order.status, NetSuiteStatus::Closed);
    assert!(order.lines.iter().all(|l| l.is_closed));
    // A closed order's approval cannot be reset.
    let reset = SalesOrderChanges {
        status: Some(SalesOrderStatus::PendingApproval),
        ..SalesOrderChanges::default()
    };
    let err = ns.update_sales_order(&id, &reset).await.unwrap_err();
    assert_eq!(codes(&err), [("USER_ERROR", Some("orderStatus"))]);
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_closed_while_pending_approval_takes_no_status_at_all() {
    // The reviewer closes every line before approving: NetSuite shows it Closed (H),
    // and neither Pending Approval nor Pending Fulfillment can be set on it, even
    // though it was never approved.
    let (_clock, ns) = setup();
    let id = eid("AVC-RP-4Z32PABC");
    ns.upsert_sales_order(&draft(
        "AVC-RP-4Z32PABC",
        SalesOrderStatus::PendingApproval,
        two_lines(),
    ))
    .await
    .unwrap();
    ns.close_line(&id, &seq("1")).unwrap();
    ns.close_line(&id, &seq("2")).unwrap();
    assert_eq!(ns.snapshot(&id).unwrap().status, NetSuiteStatus::Closed);
    for status in [
        SalesOrderStatus::PendingApproval,
        SalesOrderStatus::PendingFulfillment,
    ] {
        let update = SalesOrderChanges {
            status: Some(status),
            ..SalesOrderChanges::default()
        };
        let err = ns.update_sales_order(&id, &update).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Rejected, "{status:?}");
        assert_eq!(codes(&err), [("USER_ERROR", Some("orderStatus"))]);
    }
    assert_eq!(ns.snapshot(&id).unwrap().status, NetSuiteStatus::Closed);
}

#[tokio::test(flavor = "current_thread")]
async fn the_reviewer_approves_lowers_closes_and_cancels() {
    let (clock, ns) = setup();
    let a = eid("AVC-RP-4Z32PABC");
    let b = eid("AVC-RP-3TRD2IAB");
    for id in [&a, &b] {
        ns.upsert_sales_order(&draft(
            id.as_str(),
            SalesOrderStatus::PendingApproval,
            two_lines(),
        ))
        .await
        .unwrap();
    }
    clock.advance(Duration::from_secs(60));
    ns.set_line_quantity(&a, &seq("1"), 8).unwrap();
    ns.set_expected_ship_date(&a, &seq("1"), "2025-03-14".parse().unwrap())
        .unwrap();
    clock.advance(Duration::from_secs(60));
    ns.approve(&a).unwrap();
    let order = ns.snapshot(&a).unwrap();
    assert_eq!(order.status, NetSuiteStatus::PendingFulfillment);
    assert_eq!(order.lines[0].quantity, 8);
    assert_eq!(
        order.lines[0].expected_ship_date,
        Some("2025-03-14".parse().unwrap())
    );
    assert_eq!(order.last_modified, Some(t("2025-03-10T12:02:00Z")));

    let changed = ns
        .changed_sales_orders(t("2025-03-10T12:00:30Z"))
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].external_id, a);
    assert_eq!(changed[0].status, NetSuiteStatus::PendingFulfillment);
    let all = ns.changed_sales_orders(t(NOW)).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|c| c.external_id.clone())
            .collect::<Vec<_>>(),
        [b.clone(), a.clone()]
    );
    assert!(
        ns.changed_sales_orders(t("2025-03-10T12:02:01Z"))
            .await
            .unwrap()
            .is_empty()
    );

    ns.close_line(&b, &seq("1")).unwrap();
    assert_eq!(
        ns.snapshot(&b).unwrap().status,
        NetSuiteStatus::PendingApproval
    );
    ns.close_line(&b, &seq("2")).unwrap();
    assert_eq!(ns.snapshot(&b).unwrap().status, NetSuiteStatus::Closed);
    assert!(matches!(
        ns.approve(&b),
        Err(SimulatorError::InvalidState { .. })
    ));

    ns.cancel(&a).unwrap();
    assert_eq!(ns.snapshot(&a).unwrap().status, NetSuiteStatus::Cancelled);
    let err = ns
        .upsert_sales_order(&draft(
            a.as_str(),
            SalesOrderStatus::PendingApproval,
            two_lines(),
        ))
        .await
        .unwrap_err();
    assert_eq!(codes(&err), [("USER_ERROR", Some("orderStatus"))]);

    ns.set_status(&a, NetSuiteStatus::PartiallyFulfilled)
        .unwrap();
    assert_eq!(
        ns.snapshot(&a).unwrap().status,
        NetSuiteStatus::PartiallyFulfilled
    );
    assert!(ns.cancel(&a).is_err());

    let unknown = eid("AVC-RP-NOSUCHPO");
    assert!(matches!(
        ns.approve(&unknown),
        Err(SimulatorError::UnknownSalesOrder { .. })
    ));
    assert!(matches!(
        ns.close_line(&b, &seq("9")),
        Err(SimulatorError::UnknownSalesOrderLine { .. })
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn calls_over_the_concurrency_limit_are_refused_and_the_peak_is_kept() {
    let (clock, ns) = setup();
    ns.set_concurrency_limit(Some(2));
    ns.set_latency(Duration::from_millis(200));
    let id = eid("AVC-RP-4Z32PABC");
    let (a, b, c) = tokio::join!(
        ns.sales_order(&id),
        ns.sales_order(&id),
        ns.sales_order(&id)
    );
    let results = [a, b, c];
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].kind,
        ErrorKind::RateLimited { retry_after: None }
    );
    assert_eq!(refused[0].messages[0].code, "CONCURRENCY_LIMIT_EXCEEDED");
    assert_eq!(ns.peak_in_flight(), 2);
    assert_eq!(ns.peak_requested(), 3);
    assert_eq!(ns.concurrency_refusals(), 1);
    assert_eq!(ns.in_flight(), 0);
    assert_eq!(ns.calls(NetSuiteOperation::SalesOrder), 3);
    assert_eq!(clock.total_slept(), Duration::from_millis(400));

    // In sequence, the limit is never met.
    for _ in 0..5 {
        ns.sales_order(&id).await.unwrap();
    }
    assert_eq!(ns.concurrency_refusals(), 1);

    ns.set_concurrency_limit(None);
    let (a, b, c) = tokio::join!(
        ns.sales_order(&id),
        ns.sales_order(&id),
        ns.sales_order(&id)
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(ns.peak_in_flight(), 3);
}

#[tokio::test(flavor = "current_thread")]
async fn scripted_failures_strike_before_or_after_the_write() {
    let (_, ns) = setup();
    let order = draft(
        "AVC-RP-4Z32PABC",
        SalesOrderStatus::PendingApproval,
        two_lines(),
    );
    ns.fail_next(NetSuiteOperation::UpsertSalesOrder, 1);
    let err = ns.upsert_sales_order(&order).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient);
    assert_eq!(err.messages[0].code, "UNEXPECTED_ERROR");
    assert_eq!(ns.record_count(), 0);
    assert_eq!(ns.in_flight(), 0);

    ns.fail_next_after_effect(NetSuiteOperation::UpsertSalesOrder, 1);
    assert!(
        ns.upsert_sales_order(&order)
            .await
            .unwrap_err()
            .is_retryable()
    );
    assert_eq!(ns.record_count(), 1);
    // The retry finds the record the lost answer made.
    assert_eq!(
        ns.upsert_sales_order(&order).await.unwrap().as_str(),
        "1001"
    );
    assert_eq!(ns.creations(&order.external_id), 1);

    ns.fail_next_with(
        NetSuiteOperation::ChangedSalesOrders,
        ScriptedFailure::of(ErrorKind::Unauthorized),
        2,
    );
    assert_eq!(
        ns.pending_failures(NetSuiteOperation::ChangedSalesOrders),
        2
    );
    assert_eq!(
        ns.changed_sales_orders(t(NOW)).await.unwrap_err().kind,
        ErrorKind::Unauthorized
    );
    ns.clear_failures();
    assert_eq!(ns.changed_sales_orders(t(NOW)).await.unwrap().len(), 1);
    assert_eq!(ns.calls(NetSuiteOperation::UpsertSalesOrder), 3);
    assert_eq!(ns.total_calls(), 5);
}

#[test]
fn debug_shows_counts_only() {
    let (_, ns) = setup();
    let debug = format!("{ns:?}");
    assert!(debug.starts_with("NetSuite { records: 0"), "{debug}");
}

mod towards {
    use super::*;
    use proptest::prelude::*;

    /// A draft of lines `1..=lines.len()` with these items, quantities, rates and
    /// closures.
    fn draft_of(
        status: bool,
        ship_day: Option<u32>,
        lines: &[(u8, u64, &str, bool)],
    ) -> SalesOrderDraft {
        let mut d = draft(
            "AVC-RP-4Z32PABC",
            if status {
                SalesOrderStatus::PendingFulfillment
            } else {
                SalesOrderStatus::PendingApproval
            },
            lines
                .iter()
                .zip(1u32..)
                .map(|(&(item, quantity, rate, closed), sequence)| {
                    let mut l = line(
                        &sequence.to_string(),
                        &format!("11{item:02}"),
                        quantity,
                        rate,
                    );
                    l.is_closed = closed;
                    l
                })
                .collect(),
        );
        d.ship_date = ship_day.and_then(|day| NaiveDate::from_ymd_opt(2025, 3, day));
        d
    }

    fn arb_lines(max: usize) -> impl Strategy<Value = Vec<(u8, u64, &'static str, bool)>> {
        prop::collection::vec(
            (
                0u8..3,
                0u64..40,
                prop_oneof![
                    Just("0"),
                    Just("4.00"),
                    Just("9.5"),
                    Just("9.50"),
                    Just("18.40")
                ],
                prop::bool::weighted(0.2),
            ),
            1..max,
        )
    }

    /// What a reviewer does between the create and the create sent again.
    #[derive(Debug, Clone)]
    struct Review {
        approve: bool,
        close: Option<usize>,
        lower: Option<(usize, u64)>,
    }

    fn arb_review() -> impl Strategy<Value = Review> {
        (
            any::<bool>(),
            prop::option::of(0usize..4),
            prop::option::of((0usize..4, 0u64..10)),
        )
            .prop_map(|(approve, close, lower)| Review {
                approve,
                close,
                lower,
            })
    }

    /// A simulator holding `first`, as the reviewer left it.
    fn reviewed(first: &SalesOrderDraft, review: &Review) -> NetSuite {
        let (_, ns) = setup();
        let id = &first.external_id;
        crate::http::script::block_on(ns.upsert_sales_order(first)).unwrap();
        if review.approve {
            let _ = ns.approve(id);
        }
        if let Some(i) = review.close.filter(|i| *i < first.lines.len()) {
            ns.close_line(id, &first.lines[i].sequence).unwrap();
        }
        if let Some((i, quantity)) = review.lower.filter(|(i, _)| *i < first.lines.len()) {
            ns.set_line_quantity(id, &first.lines[i].sequence, quantity)
                .unwrap();
        }
        ns
    }

    proptest! {
        #[test]
        fn applying_towards_in_the_simulator_leaves_it_holding_the_draft(
            first in (any::<bool>(), prop::option::of(10u32..20), arb_lines(4)),
            review in arb_review(),
            second in (any::<bool>(), prop::option::of(10u32..20), arb_lines(6)),
        ) {
            let first = draft_of(first.0, first.1, &first.2);
            let second = draft_of(second.0, second.1, &second.2);
            let id = &first.external_id;
            let ns = reviewed(&first, &review);
            let before = ns.snapshot(id).unwrap();
            let update = SalesOrderChanges::towards(&before, &second);
            crate::http::script::block_on(ns.update_sales_order(id, &update)).unwrap();
            let after = ns.snapshot(id).unwrap();

            // Every draft line is there with the draft's item, quantity and rate, closed
            // when the draft closes it, and never reopened.
            for line in &second.lines {
                let held = after.lines.iter().find(|l| l.sequence.as_ref() == Some(&line.sequence));
                prop_assert!(held.is_some(), "line {} is missing", line.sequence);
                let held = held.unwrap();
                prop_assert_eq!(&held.item, &line.item);
                prop_assert_eq!(held.quantity, line.quantity);
                prop_assert_eq!(held.rate, line.rate);
                let was_closed = before
                    .lines
                    .iter()
                    .any(|l| l.sequence.as_ref() == Some(&line.sequence) && l.is_closed);
                prop_assert_eq!(held.is_closed, line.is_closed || was_closed);
            }
            // Lines the draft does not name are left as they were.
            for line in before.lines.iter().filter(|l| {
                !second.lines.iter().any(|d| l.sequence.as_ref() == Some(&d.sequence))
            }) {
                prop_assert!(after.lines.contains(line));
            }
            prop_assert_eq!(after.ship_date, second.ship_date.or(before.ship_date));
            let settable = |s: &NetSuiteStatus| {
                matches!(s, NetSuiteStatus::PendingApproval | NetSuiteStatus::PendingFulfillment)
            };
            if settable(&before.status) && settable(&after.status) {
                prop_assert_eq!(after.status.letter(), second.status.letter());
            }
            let again = SalesOrderChanges::towards(&after, &second);
            prop_assert!(again.lines.is_empty(), "{:?}", again);
            prop_assert_eq!(again.ship_date, None);
            prop_assert_eq!(ns.creations(id), 1);

            // The simulator's own upsert of the draft, where it takes it, leaves the
            // same order.
            let upserted = reviewed(&first, &review);
            if crate::http::script::block_on(upserted.upsert_sales_order(&second)).is_ok() {
                prop_assert_eq!(upserted.snapshot(id).unwrap(), after);
            }
        }
    }
}

/// The index of changes against a scan of every record: for any history of
/// creations, updates, closes and reviews (many at the same instant), a change query
/// from any point gives what filtering and sorting every record gives.
mod changes_index {
    use super::*;
    use crate::http::script::block_on;
    use chrono::TimeDelta;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Upsert(usize),
        Update(usize),
        Close(usize),
        Approve(usize),
        Cancel(usize),
        LowerLine(usize),
        /// Moves the clock on; zero keeps several writes at one instant.
        Advance(u64),
    }

    fn step() -> impl Strategy<Value = Step> {
        let id = 0usize..6;
        prop_oneof![
            3 => id.clone().prop_map(Step::Upsert),
            1 => id.clone().prop_map(Step::Update),
            1 => id.clone().prop_map(Step::Close),
            1 => id.clone().prop_map(Step::Approve),
            1 => id.clone().prop_map(Step::Cancel),
            1 => id.prop_map(Step::LowerLine),
            2 => prop_oneof![Just(0u64), 1u64..120].prop_map(Step::Advance),
        ]
    }

    fn external(i: usize) -> ExternalId {
        eid(&format!("AVC-RP-4Z32PAB{i}"))
    }

    /// Plays the steps; a step NetSuite refuses (an unknown order, a status it
    /// cannot take) changes nothing and is part of the history too.
    fn play(steps: &[Step]) -> (ManualClock, NetSuite) {
        let (clock, ns) = setup();
        for step in steps {
            let _refusals_are_part_of_the_history = match step {
                Step::Upsert(i) => block_on(ns.upsert_sales_order(&draft(
                    external(*i).as_str(),
                    SalesOrderStatus::PendingApproval,
                    two_lines(),
                )))
                .map(|_| ())
                .map_err(|e| e.to_string()),
                Step::Update(i) => block_on(
                    ns.update_sales_order(&external(*i), &SalesOrderChanges::closing([seq("2")])),
                )
                .map_err(|e| e.to_string()),
                Step::Close(i) => {
                    block_on(ns.close_sales_order(&external(*i))).map_err(|e| e.to_string())
                }
                Step::Approve(i) => ns.approve(&external(*i)).map_err(|e| e.to_string()),
                Step::Cancel(i) => ns.cancel(&external(*i)).map_err(|e| e.to_string()),
                Step::LowerLine(i) => ns
                    .set_line_quantity(&external(*i), &seq("1"), 3)
                    .map_err(|e| e.to_string()),
                Step::Advance(seconds) => {
                    clock.advance(Duration::from_secs(*seconds));
                    Ok(())
                }
            };
        }
        (clock, ns)
    }

    /// The changes from `since`, found by looking at every record.
    fn scanned(ns: &NetSuite, since: DateTime<Utc>) -> Vec<SalesOrderChange> {
        let state = lock(&ns.state);
        let mut changed: Vec<&Record> = state
            .records
            .values()
            .filter(|r| r.last_modified >= since)
            .collect();
        changed.sort_by_key(|r| {
            let id = r.internal_id.as_str().parse::<u64>().unwrap();
            (r.last_modified, id)
        });
        changed
            .into_iter()
            .map(|r| SalesOrderChange {
                external_id: r.external_id.clone(),
                internal_id: r.internal_id.clone(),
                status: r.status(),
                last_modified: r.last_modified,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn changes_from_any_point_are_what_a_scan_of_every_record_gives(
            steps in proptest::collection::vec(step(), 0..40),
        ) {
            let (clock, ns) = play(&steps);
            {
                let state = lock(&ns.state);
                let rebuilt: BTreeSet<ModifiedKey> = state
                    .records
                    .iter()
                    .map(|(key, r)| modified_key(key, r))
                    .collect();
                prop_assert_eq!(&state.modified, &rebuilt);
            }
            let mut points: Vec<DateTime<Utc>> = vec![t(NOW) - TimeDelta::seconds(1), clock.now()];
            let times: Vec<DateTime<Utc>> = ns
                .external_ids()
                .iter()
                .filter_map(|id| ns.snapshot(id)?.last_modified)
                .collect();
            for at in times {
                points.extend([at - TimeDelta::seconds(1), at, at + TimeDelta::seconds(1)]);
            }
            for since in points {
                let indexed = block_on(ns.changed_sales_orders(since)).unwrap();
                prop_assert_eq!(&indexed, &scanned(&ns, since), "since {}", since);
            }
        }
    }

    /// A record written again leaves its old place in the order of changes.
    #[test]
    fn a_record_written_again_moves_to_the_end_of_the_changes() {
        let (clock, ns) = setup();
        for i in 0..3 {
            let d = draft(
                external(i).as_str(),
                SalesOrderStatus::PendingApproval,
                two_lines(),
            );
            block_on(ns.upsert_sales_order(&d)).unwrap();
        }
        clock.advance(Duration::from_secs(60));
        ns.approve(&external(0)).unwrap();
        let ids = |since| -> Vec<String> {
            block_on(ns.changed_sales_orders(since))
                .unwrap()
                .into_iter()
                .map(|c| c.external_id.to_string())
                .collect()
        };
        let all: Vec<String> = [1, 2, 0].iter().map(|i| external(*i).to_string()).collect();
        assert_eq!(ids(t(NOW)), all);
        assert_eq!(
            ids(t(NOW) + TimeDelta::seconds(1)),
            vec![external(0).to_string()]
        );
        assert_eq!(
            ids(clock.now() + TimeDelta::seconds(1)),
            Vec::<String>::new()
        );
    }
}
