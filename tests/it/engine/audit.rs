//! The audit trail through the engine: one order's trail after a reviewer lowered a
//! quantity, and the export of a time range, one trail at a time.

use std::collections::BTreeSet;

use avc_order_sync::lifecycle::{Approval, OrderRecord, StateKind};
use avc_order_sync::testing::catalogue_settings;
use avc_order_sync::testing::fixtures;
use avc_order_sync::testing::orders::{self, PRODUCTS, RetailLine, RetailOrderBuilder};
use avc_order_sync::{
    AUDIT_CSV_HEADER, AUDIT_SCHEMA, AcknowledgementAnswer, AuditTrail, EngineError, OrderFilter,
    OrderKey, OrderStore, PurchaseOrderNumber, StatusGroup, TimeField,
};
use chrono::{DateTime, TimeDelta, Utc};

use crate::it::support::engine::*;

/// Every order the sync first stored at or after `from` and before `until`.
fn created_between(from: DateTime<Utc>, until: DateTime<Utc>) -> OrderFilter {
    OrderFilter {
        time: TimeField::Created,
        from: Some(from),
        until: Some(until),
        ..OrderFilter::group(StatusGroup::All)
    }
}

async fn exported_keys(world: &World, filter: &OrderFilter) -> Vec<OrderKey> {
    let mut keys = Vec::new();
    let count = world
        .engine
        .export_audit(filter, |trail: AuditTrail| {
            assert_eq!(trail.schema, AUDIT_SCHEMA);
            keys.push(trail.key());
            Ok::<(), EngineError>(())
        })
        .await
        .unwrap();
    assert_eq!(count, keys.len());
    keys
}

fn sorted(mut keys: Vec<OrderKey>) -> Vec<OrderKey> {
    keys.sort();
    keys
}

#[tokio::test(flavor = "current_thread")]
async fn the_trail_shows_the_po_the_reviewers_change_and_amazons_answer_and_a_range_exports_once() {
    // Retail manual, Direct Fulfillment automatic.
    let world = World::new(catalogue_settings(false, true));
    let kettle = &PRODUCTS[0];
    let retail = retail_key("AUDIT001");
    let df = df_key("AUDITDF1");
    world
        .amazon
        .add_retail_order(
            RetailOrderBuilder::new("AUDIT001", placed(30))
                .line(RetailLine::product(kettle, 3))
                .line(RetailLine::product(&PRODUCTS[5], 4))
                .build(),
        )
        .unwrap();
    let df_order = orders::df_order("AUDITDF1", placed(20), 2);
    let consumer = df_order
        .order_details
        .as_ref()
        .and_then(|d| d.ship_to_party.clone())
        .expect("a ship-to");
    world.amazon.add_df_order(df_order).unwrap();
    world.cycle().await;
    assert_eq!(world.status(&retail), Some(StateKind::ExpectApproval));

    // The reviewer keeps 2 of the 3 cases of kettles.
    let ordered = 3 * kettle.case_size;
    let kept = 2 * kettle.case_size;
    world
        .netsuite
        .set_line_quantity(&eid(&retail), &seq("1"), kept)
        .unwrap();
    world.netsuite.approve(&eid(&retail)).unwrap();
    world
        .run_until("both orders posted", |w| {
            w.status(&retail) == Some(StateKind::ExpectShipment)
                && w.status(&df) == Some(StateKind::ExpectShipment)
        })
        .await;

    // A third order, taken in two hours later, waits for approval.
    world.wait(120);
    let later = retail_key("AUDIT002");
    world
        .amazon
        .add_retail_order(
            RetailOrderBuilder::new("AUDIT002", world.now() - TimeDelta::minutes(5))
                .line(RetailLine::product(kettle, 1))
                .build(),
        )
        .unwrap();
    world.cycle().await;
    assert_eq!(world.status(&later), Some(StateKind::ExpectApproval));

    // One order's trail.
    let trail = world.engine.audit(&retail).await.unwrap().expect("a trail");
    assert_eq!(trail.key(), retail);
    let [version] = trail.purchase_order_versions.as_slice() else {
        panic!("{:?}", trail.purchase_order_versions);
    };
    let kettle_line = &version.purchase_order.lines[0];
    assert_eq!(kettle_line.asin.as_ref().unwrap().as_str(), kettle.asin);
    assert_eq!(kettle_line.eaches(), Some(ordered));
    assert!(version.purchase_order.received_at.is_some());

    assert_eq!(trail.approval.decided_by, Some(Approval::Reviewed));
    let change = &trail.approval.lines[0];
    assert_eq!(change.ordered_eaches, Some(ordered));
    assert_eq!(change.accepted_eaches, Some(kept));
    assert_eq!(change.rejected_eaches, Some(ordered - kept));
    assert!(change.changed);
    assert!(!trail.approval.lines[1].changed);

    let sent = world.acknowledgements(&retail);
    assert_eq!(sent.len(), 1);
    let [ack] = trail.acknowledgements.as_slice() else {
        panic!("{:?}", trail.acknowledgements);
    };
    assert_eq!(ack.transaction_id.as_ref(), Some(&sent[0].transaction_id));
    assert_eq!(ack.sent_at, Some(sent[0].received_at));
    assert!(
        matches!(ack.answer, AcknowledgementAnswer::Confirmed { .. }),
        "{:?}",
        ack.answer
    );
    let parts: Vec<(&str, &str, Option<u64>)> = ack
        .lines
        .iter()
        .filter(|l| l.sequence.as_str() == "1")
        .map(|l| {
            (
                l.asin.as_ref().map_or("", |a| a.as_str()),
                l.code.as_str(),
                l.eaches,
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            (kettle.asin, "Accepted", Some(kept)),
            (kettle.asin, "Rejected", Some(ordered - kept))
        ]
    );
    let met = trail.clocks.first_acknowledgement.met_at.expect("met");
    assert_eq!(met, sent[0].received_at);
    assert!(met <= trail.clocks.first_acknowledgement.at);
    // What Amazon's status report recorded, read once after the confirmation: the
    // reviewer's figures, no drift.
    let recorded = trail
        .amazon_recorded
        .as_ref()
        .expect("Amazon's record read");
    assert_eq!(
        Some(recorded.version),
        trail.approval.acknowledgement_version
    );
    assert!(recorded.drift.is_empty(), "{recorded:?}");
    let json = serde_json::to_value(&trail).unwrap();
    assert!(
        json["amazonRecorded"]["recorded"]["lines"].is_array(),
        "{json}"
    );
    assert_eq!(
        trail.history.last().map(|h| h.to),
        Some(StateKind::ExpectShipment)
    );
    assert!(
        world
            .engine
            .audit(&retail_key("NOSUCHPO"))
            .await
            .unwrap()
            .is_none()
    );

    // The first hour's orders, each once; the one taken in later is not among them.
    let first_hour = created_between(start(), start() + TimeDelta::hours(1));
    let keys = exported_keys(&world, &first_hour).await;
    assert_eq!(sorted(keys), sorted(vec![retail.clone(), df.clone()]));
    let all = created_between(start(), start() + TimeDelta::days(1));
    let keys = exported_keys(&world, &all).await;
    assert_eq!(
        sorted(keys),
        sorted(vec![retail.clone(), df.clone(), later])
    );

    // As JSON lines and as CSV, without the consumer's name, address or phone.
    let mut json_lines = Vec::new();
    let written = world
        .engine
        .write_audit_json_lines(&all, &mut json_lines)
        .await
        .unwrap();
    assert_eq!(written, 3);
    let json_lines = String::from_utf8(json_lines).unwrap();
    let trails: Vec<AuditTrail> = json_lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(trails.len(), 3);
    let mut csv = Vec::new();
    world.engine.write_audit_csv(&all, &mut csv).await.unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let header = AUDIT_CSV_HEADER.join(",");
    assert_eq!(csv.lines().filter(|l| *l == header).count(), 1);
    assert!(csv.starts_with(&header));
    for number in ["AUDIT001", "AUDITDF1", "AUDIT002"] {
        assert!(csv.contains(&format!("\r\n{number},")), "{number}: {csv}");
    }
    let personal: Vec<String> = [
        consumer.name,
        consumer.address_line1,
        consumer.city,
        consumer.phone,
    ]
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(personal.len(), 4);
    for text in &personal {
        assert!(!json_lines.contains(text.as_str()), "{text} in the JSON");
        assert!(!csv.contains(text.as_str()), "{text} in the CSV");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_range_export_walks_every_page_and_hands_each_order_over_once() {
    let world = World::new(catalogue_settings(false, false));
    let settings = fixtures::settings();
    // 250 orders, taken in a minute apart.
    for i in 0..250_i64 {
        let mut po = fixtures::retail_po();
        po.number = PurchaseOrderNumber::new(format!("PAGE{i:04}")).unwrap();
        let (record, _) = OrderRecord::receive(po, start() + TimeDelta::minutes(i), &settings);
        let key = retail_key(&format!("PAGE{i:04}"));
        world
            .store
            .save(&key, &record, None, None, None)
            .await
            .unwrap();
    }
    // Minutes 40 to 209: 170 orders, more than a page.
    let range = created_between(
        start() + TimeDelta::minutes(40),
        start() + TimeDelta::minutes(210),
    );
    let keys = exported_keys(&world, &range).await;
    assert_eq!(keys.len(), 170);
    let unique: BTreeSet<OrderKey> = keys.iter().cloned().collect();
    assert_eq!(unique.len(), 170, "an order handed over twice");
    let expected: BTreeSet<OrderKey> = (40..210)
        .map(|i| retail_key(&format!("PAGE{i:04}")))
        .collect();
    assert_eq!(unique, expected);

    // A sink's error stops the export where it is.
    let mut seen = 0;
    let stopped = world
        .engine
        .export_audit(&range, |_| {
            seen += 1;
            if seen == 3 {
                Err(EngineError::UnknownOrder {
                    key: retail_key("STOP"),
                })
            } else {
                Ok(())
            }
        })
        .await;
    assert!(matches!(stopped, Err(EngineError::UnknownOrder { .. })));
    assert_eq!(seen, 3);
}
