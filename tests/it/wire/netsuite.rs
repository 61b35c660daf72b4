//! NetSuite wire bodies against hand-written fixtures shaped like NetSuite's replies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use avc_order_sync::netsuite::{
    ChangedSalesOrderRow, ErrorBody, LinePatch, SalesOrderBody, SalesOrderPatch, SalesOrderRecord,
    SuiteQlPage,
};
use avc_order_sync::testing::json;
use avc_order_sync::{
    Address, Decimal, NetSuiteStatus, SalesOrderDraft, SalesOrderLineDraft, SalesOrderStatus,
};
use chrono::NaiveDate;
use serde_json::{Value, json};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netsuite")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_value(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn record(name: &str) -> SalesOrderRecord {
    serde_json::from_slice(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn assert_same_json(expected: &Value, actual: &Value) {
    if let Some(diff) = json::first_difference(expected, actual) {
        panic!("JSON differs at {diff}");
    }
}

fn draft() -> SalesOrderDraft {
    let line = |item: &str, quantity, rate: &str, sequence: &str| SalesOrderLineDraft {
        item: item.parse().unwrap(),
        quantity,
        rate: d(rate),
        sequence: sequence.parse().unwrap(),
        description: None,
        is_closed: false,
        custom_fields: BTreeMap::new(),
    };
    let mut first = line("98", 12, "9.50", "00001");
    first.description = Some("Stainless steel water bottle, 750 ml".into());
    first
        .custom_fields
        .insert("custcol_avc_asin".into(), json!("B00EXAMPLE"));
    let mut second = line("99", 5, "12.345", "00002");
    second
        .custom_fields
        .insert("custcol_avc_asin".into(), json!("B00EXAMPL2"));
    // A line Amazon cancelled before the order was created.
    let mut third = line("104", 0, "4.10", "00003");
    third.is_closed = true;
    SalesOrderDraft {
        external_id: "AVC-RP-4Z32PABC".parse().unwrap(),
        customer: "1234".parse().unwrap(),
        subsidiary: Some("1".parse().unwrap()),
        location: Some("3".parse().unwrap()),
        custom_form: Some("68".parse().unwrap()),
        currency: Some("1".parse().unwrap()),
        tran_date: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        ship_date: NaiveDate::from_ymd_opt(2025, 3, 10),
        other_ref_num: "4Z32PABC".parse().unwrap(),
        memo: Some("Amazon VC RP PO 4Z32PABC".into()),
        status: SalesOrderStatus::PendingApproval,
        shipping_address: Some(Address {
            name: "Amazon.com Services LLC".into(),
            attention: Some("FC ABE8".into()),
            address_line1: "705 Boulder Drive".into(),
            city: Some("Breinigsville".into()),
            state_or_region: Some("PA".into()),
            postal_code: Some("18031".into()),
            country_code: "US".into(),
            ..Address::default()
        }),
        lines: vec![first, second, third],
        custom_fields: BTreeMap::from([
            ("custbody_avc_vendor_code".into(), json!("ABCDE")),
            ("custbody_avc_ack_state".into(), json!({"id": "1"})),
        ]),
    }
}

#[test]
fn every_fixture_parses() {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let bytes = fixture(&name);
        let parsed = if name.starts_with("sales_order_create") {
            serde_json::from_slice::<SalesOrderBody>(&bytes).map(drop)
        } else if name.starts_with("sales_order_read") {
            serde_json::from_slice::<SalesOrderRecord>(&bytes).map(drop)
        } else if name.starts_with("error_") {
            ErrorBody::parse(&bytes).map(drop)
        } else if name.starts_with("suiteql_page") {
            serde_json::from_slice::<SuiteQlPage>(&bytes).map(drop)
        } else {
            panic!("{name}: no parser for this fixture");
        };
        parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        seen.push(name);
    }
    assert_eq!(seen.len(), 8, "{seen:?}");
}

#[test]
fn the_create_body_of_a_draft_is_the_fixture() {
    let body = SalesOrderBody::from_draft(&draft()).unwrap();
    let expected = fixture_value("sales_order_create.json");
    assert_same_json(&expected, &serde_json::to_value(&body).unwrap());
    // And the fixture reads back as the same body.
    let reread: SalesOrderBody = serde_json::from_value(expected).unwrap();
    assert_eq!(reread, body);
}

#[test]
fn the_create_body_keeps_the_shipping_address_out_of_debug() {
    let body = SalesOrderBody::from_draft(&draft()).unwrap();
    let shown = format!("{body:?}");
    assert!(!shown.contains("Boulder"), "{shown}");
    assert!(!shown.contains("Amazon.com Services"), "{shown}");
}

#[test]
fn a_pending_approval_read_becomes_a_snapshot() {
    let record = record("sales_order_read_pending_approval.json");
    assert_eq!(
        record.order_status.as_ref().and_then(|s| s.ref_name()),
        Some("Pending Approval")
    );
    assert_eq!(
        record.entity.as_ref().and_then(|e| e.ref_name.as_deref()),
        Some("Amazon.com")
    );
    assert_eq!(
        record.custom_field("custbody_avc_vendor_code"),
        Some(&json!("ABCDE"))
    );
    let snap = record.to_snapshot().unwrap();
    assert_eq!(snap.internal_id.as_str(), "987");
    assert_eq!(snap.external_id.as_str(), "AVC-RP-4Z32PABC");
    assert_eq!(snap.tran_id.as_deref(), Some("SO1001"));
    assert_eq!(snap.status, NetSuiteStatus::PendingApproval);
    assert_eq!(
        snap.last_modified.unwrap().to_rfc3339(),
        "2025-03-01T14:22:05+00:00"
    );
    assert_eq!(snap.ship_date, NaiveDate::from_ymd_opt(2025, 3, 10));
    assert_eq!(snap.lines.len(), 2);
    let (first, second) = (&snap.lines[0], &snap.lines[1]);
    assert_eq!(first.line, 1);
    assert_eq!(first.sequence.as_ref().unwrap().as_str(), "00001");
    assert_eq!(first.item.as_str(), "98");
    assert_eq!(first.quantity, 12);
    assert_eq!(first.rate, d("9.5"));
    assert_eq!(
        first.expected_ship_date,
        NaiveDate::from_ymd_opt(2025, 3, 10)
    );
    assert!(!first.is_closed);
    assert_eq!(second.line, 2);
    assert_eq!(second.sequence.as_ref().unwrap().as_str(), "00002");
    assert_eq!(second.quantity, 5);
    assert_eq!(second.rate, d("12.345"));
    assert_eq!(second.expected_ship_date, None);
}

#[test]
fn an_approved_read_shows_the_reviewers_changes() {
    let record = record("sales_order_read_approved.json");
    assert_eq!(record.status.as_ref().and_then(|s| s.id()), Some("B"));
    let lines = record.lines().unwrap();
    assert_eq!(lines[0].amount, Some(d("57")));
    let snap = record.to_snapshot().unwrap();
    assert_eq!(snap.status, NetSuiteStatus::PendingFulfillment);
    assert_eq!(
        snap.last_modified.unwrap().to_rfc3339(),
        "2025-03-02T09:05:41+00:00"
    );
    let quantities: Vec<_> = snap.lines.iter().map(|l| (l.line, l.quantity)).collect();
    assert_eq!(quantities, [(1, 6), (2, 5), (4, 1)]);
    let closed: Vec<_> = snap.lines.iter().map(|l| l.is_closed).collect();
    assert_eq!(closed, [false, true, false]);
    assert_eq!(
        snap.lines[0].expected_ship_date,
        NaiveDate::from_ymd_opt(2025, 3, 12)
    );
    // A line a person added carries no PO sequence.
    assert_eq!(snap.lines[2].sequence, None);
    assert_eq!(snap.lines[2].rate, Decimal::ZERO);
}

#[test]
fn a_patch_of_the_approved_order_names_lines_by_key() {
    let snap = record("sales_order_read_approved.json")
        .to_snapshot()
        .unwrap();
    let added = snap.lines.iter().find(|l| l.sequence.is_none()).unwrap();
    let patch = SalesOrderPatch::lines(vec![
        LinePatch::close(added.line),
        LinePatch {
            quantity: Some(4),
            ..LinePatch::new(snap.lines[0].line)
        },
    ])
    .unwrap();
    assert_same_json(
        &json!({"item": {"items": [{"line": 4, "isClosed": true}, {"line": 1, "quantity": 4}]}}),
        &serde_json::to_value(&patch).unwrap(),
    );
}

#[test]
fn error_bodies_classify() {
    let invalid = ErrorBody::parse(&fixture("error_invalid_content.json")).unwrap();
    assert_eq!(invalid.status, Some(400));
    assert!(invalid.has_code(ErrorBody::INVALID_CONTENT));
    assert!(!invalid.is_concurrency_limit() && !invalid.is_unexpected_error());
    assert_eq!(
        invalid.error_details[0].error_path.as_deref(),
        Some("item.items[0].item")
    );

    let limited = ErrorBody::parse(&fixture("error_concurrency_limit.json")).unwrap();
    assert_eq!(limited.status, Some(429));
    assert!(limited.is_concurrency_limit());
    assert_eq!(
        limited.codes().collect::<Vec<_>>(),
        ["CONCURRENCY_LIMIT_EXCEEDED", "USER_ERROR"]
    );
    assert_eq!(
        limited.message(),
        Some("Concurrent request limit exceeded. Request blocked.")
    );

    let unexpected = ErrorBody::parse(&fixture("error_unexpected.json")).unwrap();
    assert_eq!(unexpected.status, Some(500));
    assert!(unexpected.is_unexpected_error() && !unexpected.is_concurrency_limit());
    assert_eq!(
        unexpected.error_details[0].error_id(),
        Some("m7q2xk4b1zr0u9e3a8cd")
    );
}

#[test]
fn suiteql_pages_parse_and_say_whether_more_follow() {
    let first: SuiteQlPage = serde_json::from_slice(&fixture("suiteql_page_1.json")).unwrap();
    assert!(first.has_more);
    assert_eq!(first.total_results, Some(3));
    assert_eq!(first.next_offset(), Some(2));
    assert!(first.next_link().unwrap().ends_with("limit=2&offset=2"));
    let second: SuiteQlPage = serde_json::from_slice(&fixture("suiteql_page_2.json")).unwrap();
    assert!(!second.has_more);
    assert_eq!(second.next_offset(), None);

    let rows = first
        .items
        .iter()
        .chain(&second.items)
        .map(ChangedSalesOrderRow::from_row)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let summary: Vec<_> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.external_id.as_str(), r.status.letter()))
        .collect();
    assert_eq!(
        summary,
        [
            ("987", "AVC-RP-4Z32PABC", "B"),
            ("991", "AVC-RP-7HXQ2KLM", "A"),
            ("1002", "AVC-DF-TEST0042", "C"),
        ]
    );
    assert_eq!(rows[0].other_ref_num.as_deref(), Some("4Z32PABC"));
    assert_eq!(
        rows[2].last_modified,
        NaiveDate::from_ymd_opt(2025, 3, 2)
            .unwrap()
            .and_hms_opt(2, 40, 0)
            .unwrap()
    );
    assert!(
        rows.windows(2)
            .all(|w| w[0].last_modified <= w[1].last_modified)
    );
}
