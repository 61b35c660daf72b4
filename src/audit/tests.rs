use std::collections::BTreeSet;

use super::*;
use crate::client::ServiceMessage;
use crate::ids::{InternalId, TransactionId};
use crate::lifecycle::{Event, UnreadableOrder};
use crate::order::{PurchaseOrder, Quantity};
use crate::sales_order::NetSuiteStatus;
use crate::testing::fixtures::{df_po, retail_po, settings, snapshot, t};

fn step(record: &OrderRecord, event: Event, hours: u32, settings: &Settings) -> OrderRecord {
    record
        .handle(&event, t(hours), settings)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

/// The acknowledgement in flight taken by Amazon as transaction `tx` at `hours`.
fn submitted(record: &OrderRecord, tx: &str, hours: u32, settings: &Settings) -> OrderRecord {
    let version = record.acknowledgement_version().expect("a version");
    let event = Event::AcknowledgementSubmitted {
        version,
        transaction_id: TransactionId::new(tx).unwrap(),
        orders: 1,
    };
    step(record, event, hours, settings)
}

/// Retail PO 4Z32PABC created in NetSuite at t(1), approved by the reviewer with line
/// 1 lowered from 3 cases of 12 to 24 eaches, sent at t(3) as transaction `tx-1` and
/// confirmed at t(4).
fn reviewed_retail() -> (OrderRecord, Settings) {
    let settings = settings();
    let po = retail_po();
    let (record, _) = OrderRecord::receive(po.clone(), t(1), &settings);
    let created = Event::SalesOrderCreated {
        internal_id: InternalId::new("5001").unwrap(),
    };
    let record = step(&record, created, 1, &settings);
    let mut approved = snapshot(&po, NetSuiteStatus::PendingFulfillment);
    approved.lines[0].quantity = 24;
    let read = Event::SalesOrderRead {
        snapshot: Box::new(approved),
    };
    let record = step(&record, read, 2, &settings);
    let record = submitted(&record, "tx-1", 3, &settings);
    let version = record.acknowledgement_version().unwrap();
    let record = step(
        &record,
        Event::AcknowledgementConfirmed { version },
        4,
        &settings,
    );
    (record, settings)
}

fn keys(value: &serde_json::Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn the_json_has_the_documented_keys_and_the_schema() {
    let (record, settings) = reviewed_retail();
    let json = serde_json::to_value(AuditTrail::of(&record, &settings)).unwrap();
    assert_eq!(json["schema"], "avc-order-sync.audit/1");
    assert_eq!(
        keys(&json),
        set(&[
            "schema",
            "program",
            "purchaseOrderNumber",
            "vendorCode",
            "externalId",
            "internalId",
            "orderedAt",
            "state",
            "status",
            "amazonState",
            "purchaseOrderVersions",
            "approval",
            "acknowledgements",
            "clocks",
            "history",
        ])
    );
    let version = &json["purchaseOrderVersions"][0];
    assert_eq!(
        keys(version),
        set(&[
            "version",
            "receivedAt",
            "amazonState",
            "orderedAt",
            "shipWindow",
            "lines"
        ])
    );
    assert_eq!(
        keys(&version["lines"][0]),
        set(&[
            "sequence",
            "vendorSku",
            "ordered",
            "unit",
            "unitSize",
            "netCost"
        ])
    );
    let acknowledgement = &json["acknowledgements"][0];
    assert_eq!(
        keys(acknowledgement),
        set(&[
            "version",
            "acknowledgedAt",
            "sentAt",
            "transactionId",
            "answer",
            "lines"
        ])
    );
    assert_eq!(json["program"], "RetailProcurement");
    assert_eq!(json["purchaseOrderNumber"], "4Z32PABC");
    assert_eq!(json["vendorCode"], "ABCDE");
    assert_eq!(json["internalId"], "5001");
    assert_eq!(json["state"], "ExpectShipment");
}

#[test]
fn a_reviewed_order_shows_the_po_the_reviewers_change_the_acknowledgement_and_the_clock() {
    let (record, settings) = reviewed_retail();
    let trail = AuditTrail::of(&record, &settings);

    // The one version Amazon sent, as it was taken in.
    assert_eq!(trail.purchase_order_versions.len(), 1);
    let version = &trail.purchase_order_versions[0];
    assert_eq!(version.version, 1);
    assert_eq!(version.purchase_order.received_at, Some(t(1)));
    assert_eq!(version.purchase_order.lines[0].eaches(), Some(36));

    // The reviewer kept 24 of line 1's 36 eaches; line 2 as ordered.
    assert_eq!(trail.approval.decided_by, Some(Approval::Reviewed));
    assert_eq!(
        trail.approval.acknowledgement_version,
        Some(AcknowledgementVersion(1))
    );
    let [first, second] = trail.approval.lines.as_slice() else {
        panic!("{:?}", trail.approval.lines);
    };
    assert_eq!(first.ordered_eaches, Some(36));
    assert_eq!(first.accepted_eaches, Some(24));
    assert_eq!(first.rejected_eaches, Some(12));
    assert_eq!(first.backordered_eaches, Some(0));
    assert!(first.changed);
    assert_eq!(second.ordered_eaches, Some(10));
    assert_eq!(
        second.accepted_eaches.unwrap() + second.backordered_eaches.unwrap(),
        10
    );
    assert_eq!(second.rejected_eaches, Some(0));
    assert!(!second.changed);

    // The acknowledgement: when it went, its lines with the PO's codes, Amazon's yes.
    let [ack] = trail.acknowledgements.as_slice() else {
        panic!("{:?}", trail.acknowledgements);
    };
    assert_eq!(ack.sent_at, Some(t(3)));
    assert_eq!(ack.transaction_id.as_ref().unwrap().as_str(), "tx-1");
    assert_eq!(ack.answer, AcknowledgementAnswer::Confirmed { at: t(4) });
    let line_two = ack
        .lines
        .iter()
        .find(|l| l.sequence.as_str() == "2")
        .expect("line 2");
    assert_eq!(line_two.asin.as_ref().unwrap().as_str(), "B000000002");
    assert_eq!(line_two.vendor_sku.as_ref().unwrap().as_str(), "SKU-2");
    let rejected: u64 = ack
        .lines
        .iter()
        .filter(|l| l.sequence.as_str() == "1" && l.code == "Rejected")
        .filter_map(|l| l.eaches)
        .sum();
    assert_eq!(rejected, 12);

    // The first acknowledgement's clock, met when Amazon took it.
    assert_eq!(trail.clocks.first_acknowledgement.met_at, Some(t(3)));
    assert_eq!(trail.clocks.first_acknowledgement.at, t(24));
    // Confirmed and nothing newer sent: the units and costs were settled when it went.
    assert_eq!(trail.clocks.update_window.met_at, Some(t(3)));
    assert!(!trail.clocks.update_window.is_missed(t(100)));
    assert_eq!(trail.history.first().unwrap().at, t(1));
    assert_eq!(trail.history.last().unwrap().to, StateKind::ExpectShipment);

    // And it reads back as written.
    let json = serde_json::to_string(&trail).unwrap();
    let back: AuditTrail = serde_json::from_str(&json).unwrap();
    assert_eq!(back, trail);
    assert_eq!(
        back.key(),
        crate::store::OrderKey {
            program: Program::RetailProcurement,
            number: retail_po().number,
        }
    );
}

#[test]
fn each_copy_amazon_changed_is_a_version_and_a_copy_sent_again_is_not() {
    let settings = settings();
    let po = retail_po();
    let (record, _) = OrderRecord::receive(po.clone(), t(1), &settings);
    let mut changed = po.clone();
    changed.changed_at = Some(t(2));
    changed.lines[1].ordered = Quantity::eaches_of(8);
    let event = Event::PurchaseOrderChanged {
        purchase_order: Box::new(changed.clone()),
    };
    let record = step(&record, event.clone(), 3, &settings);
    let log = record.purchase_order_log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].received_at, Some(t(3)));
    assert_eq!(log[1].changed_at, Some(t(2)));
    assert_eq!(log[1].lines[1].ordered, 8);

    // The same copy again changes nothing.
    let (again, commands) = record.handle(&event, t(4), &settings).unwrap();
    assert_eq!(again.purchase_order_log(), log);
    if commands.is_empty() {
        assert_eq!(again, record);
    }
    let trail = AuditTrail::of(&again, &settings);
    let numbers: Vec<u32> = trail
        .purchase_order_versions
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(numbers, [1, 2]);
}

#[test]
fn a_stand_in_for_an_unreadable_order_is_no_version() {
    let settings = settings();
    let unreadable = UnreadableOrder {
        program: Program::RetailProcurement,
        number: retail_po().number,
        ordered_at: Some(t(0)),
        selling_party: None,
        problems: Vec::new(),
    };
    let (record, _) = OrderRecord::receive_unreadable(unreadable, t(1), &settings);
    assert!(record.purchase_order_log().is_empty());
    assert!(
        AuditTrail::of(&record, &settings)
            .purchase_order_versions
            .is_empty()
    );
    // The readable copy is the first version.
    let event = Event::PurchaseOrderChanged {
        purchase_order: Box::new(retail_po()),
    };
    let record = step(&record, event, 2, &settings);
    let log = record.purchase_order_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].received_at, Some(t(2)));
}

/// A record as stored before the purchase order log was kept: its JSON without the
/// `purchase_orders` key.
fn stored_before_the_log(record: &OrderRecord) -> OrderRecord {
    let mut json = serde_json::to_value(record).unwrap();
    let removed = json
        .as_object_mut()
        .unwrap()
        .remove("purchase_orders")
        .expect("the record keeps the log");
    assert!(removed.is_array());
    serde_json::from_value(json).expect("an old record loads")
}

#[test]
fn a_record_stored_before_the_log_loads_and_shows_its_po() {
    let settings = settings();
    let (record, _) = OrderRecord::receive(retail_po(), t(1), &settings);
    let old = stored_before_the_log(&record);
    assert!(old.purchase_order_log().is_empty());
    let written = serde_json::to_value(&old).unwrap();
    assert!(
        written.get("purchase_orders").is_none(),
        "an empty log is not written"
    );

    let trail = AuditTrail::of(&old, &settings);
    let [version] = trail.purchase_order_versions.as_slice() else {
        panic!("{:?}", trail.purchase_order_versions);
    };
    assert_eq!(version.purchase_order.received_at, None);
    assert_eq!(version.purchase_order.lines.len(), 2);
    let json = serde_json::to_value(&trail).unwrap();
    assert!(json["purchaseOrderVersions"][0].get("receivedAt").is_none());

    // A change logs the version it held, with no time, before the new one.
    let mut changed = retail_po();
    changed.changed_at = Some(t(2));
    changed.lines[0].ordered = Quantity::eaches_of(12);
    let event = Event::PurchaseOrderChanged {
        purchase_order: Box::new(changed),
    };
    let updated = step(&old, event, 3, &settings);
    let times: Vec<_> = updated
        .purchase_order_log()
        .iter()
        .map(|v| v.received_at)
        .collect();
    assert_eq!(times, [None, Some(t(3))]);
}

#[test]
fn a_direct_fulfillment_trail_holds_no_consumer_data() {
    let mut settings = settings();
    settings.auto_acknowledge.direct_fulfillment = true;
    let po: PurchaseOrder = df_po();
    let (record, _) = OrderRecord::receive(po, t(1), &settings);
    let record = submitted(&record, "tx-df", 2, &settings);
    let trail = AuditTrail::of(&record, &settings);
    assert_eq!(trail.acknowledgements.len(), 1);
    assert_eq!(trail.acknowledgements[0].lines.len(), 2);
    let json = serde_json::to_string(&trail).unwrap();
    let csv = trail.to_csv();
    // The fixture's consumer: name, address, city, phone, gift message, and Amazon's
    // customer order number.
    for personal in [
        "Jane Consumer",
        "17 Private Lane",
        "Springfield",
        "555-0100",
        "Happy birthday",
        "111-222",
    ] {
        assert!(!json.contains(personal), "{personal} in the JSON: {json}");
        assert!(!csv.contains(personal), "{personal} in the CSV: {csv}");
    }
    // What it does hold: the vendor code, the warehouse's program and the lines.
    assert!(json.contains(r#""vendorCode":"ABCDE""#), "{json}");
    assert!(csv.contains("DF0001,DF,ABCDE,acknowledgement,1,"), "{csv}");
}

/// Reads RFC 4180 CSV back into records of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "an open quote at the end");
    assert!(record.is_empty() && field.is_empty(), "no CRLF at the end");
    records
}

#[test]
fn csv_quotes_commas_quotes_and_line_breaks() {
    let mut settings = settings();
    settings.auto_acknowledge.retail_procurement = true;
    let (record, _) = OrderRecord::receive(retail_po(), t(1), &settings);
    let record = submitted(&record, "tx-1", 2, &settings);
    let message = "netCost \"9.50\" is above the PO's,\nsee line 1";
    let failed = Event::AcknowledgementFailed {
        version: record.acknowledgement_version().unwrap(),
        errors: vec![ServiceMessage {
            code: "INVALID_COST".into(),
            message: message.into(),
            field: None,
        }],
    };
    let record = step(&record, failed, 3, &settings);
    let trail = AuditTrail::of(&record, &settings);
    let csv = trail.to_csv();
    assert!(
        csv.contains("\"INVALID_COST: netCost \"\"9.50\"\" is above the PO's,\nsee line 1\""),
        "{csv}"
    );

    let rows = parse_csv(&csv);
    assert_eq!(rows[0], AUDIT_CSV_HEADER);
    assert!(rows.iter().all(|r| r.len() == AUDIT_CSV_HEADER.len()));
    let column = |name: &str| AUDIT_CSV_HEADER.iter().position(|h| *h == name).unwrap();
    // Two PO lines, then each part of each acknowledgement line.
    let ordered: Vec<&Vec<String>> = rows[1..]
        .iter()
        .filter(|r| r[column("row")] == "purchaseOrder")
        .collect();
    assert_eq!(ordered.len(), 2);
    assert_eq!(ordered[0][column("eaches")], "36");
    assert_eq!(ordered[0][column("netCost")], "9.50");
    assert_eq!(ordered[0][column("currency")], "USD");
    assert_eq!(ordered[1][column("asin")], "B000000002");
    let answered: Vec<&Vec<String>> = rows[1..]
        .iter()
        .filter(|r| r[column("row")] == "acknowledgement")
        .collect();
    assert_eq!(
        answered.len(),
        trail.acknowledgements[0].lines.len(),
        "{csv}"
    );
    for row in &answered {
        assert_eq!(row[column("answer")], "Rejected");
        assert_eq!(row[column("transactionId")], "tx-1");
        assert_eq!(row[column("answeredAt")], "2025-03-01T11:00:00Z");
        assert_eq!(
            row[column("amazonMessages")],
            format!("INVALID_COST: {message}")
        );
    }
    assert_eq!(rows.len(), 1 + ordered.len() + answered.len());
}

#[test]
fn a_plain_csv_field_is_written_as_it_is() {
    let mut out = Vec::new();
    write_csv_row(&mut out, &["a", "", "b c", "x\"y", "1,2", "z\r"]).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "a,,b c,\"x\"\"y\",\"1,2\",\"z\r\"\r\n"
    );
}
