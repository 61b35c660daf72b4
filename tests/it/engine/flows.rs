//! The seven flows of the order lifecycle, end to end through the engine, Vendor
//! Central and NetSuite simulators: what an integrator's scheduler sees, cycle by cycle.

use avc_order_sync::AcknowledgementAnswer;
use avc_order_sync::NetSuiteStatus;
use avc_order_sync::OrderKey;
use avc_order_sync::RejectionReason;
use avc_order_sync::ServiceMessage;
use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::lifecycle::{EventKind, OrderState, StateKind, TransitionError};
use avc_order_sync::settings::ChangedAfterAcknowledgementPolicy as Policy;
use avc_order_sync::testing::orders::{
    DfLine, DfOrderBuilder, PRODUCTS, RetailLine, RetailOrderBuilder, purchase_order_number,
};
use avc_order_sync::testing::{NetSuiteOperation, ReceivedAcknowledgement, catalogue_settings};
use avc_order_sync::{EngineError, OperatorAction};
use chrono::{DateTime, TimeDelta, Utc};

use crate::it::support::engine::*;

const POSTED: StateKind = StateKind::ExpectShipment;

/// Every quantity an acknowledgement states: (line, code, eaches).
fn parts(ack: &ReceivedAcknowledgement) -> Vec<(String, String, u64)> {
    ack.lines()
        .into_iter()
        .map(|l| {
            (
                l.sequence.clone().unwrap_or_default(),
                l.code.clone().unwrap_or_default(),
                l.eaches().unwrap_or(0),
            )
        })
        .collect()
}

fn part(line: &str, code: &str, eaches: u64) -> (String, String, u64) {
    (line.to_owned(), code.to_owned(), eaches)
}

/// The events an order went through, oldest first.
fn history(world: &World, key: &OrderKey) -> Vec<EventKind> {
    world
        .stored(key)
        .record
        .history()
        .iter()
        .map(|h| h.event)
        .collect()
}

/// A retail PO of two lines: 3 cases of 6 kettles at 18.40 each, 4 blenders at 346.27.
fn kettles_and_blenders(number: &str, at: DateTime<Utc>) -> retail::Order {
    RetailOrderBuilder::new(number, at)
        .line(RetailLine::product(&PRODUCTS[0], 3))
        .line(RetailLine::product(&PRODUCTS[5], 4))
        .build()
}

/// A Direct Fulfillment order of two lines: 2 toasters and 1 coffee set.
fn toasters_and_coffee(number: &str, at: DateTime<Utc>) -> df::Order {
    DfOrderBuilder::new(number, at)
        .line(DfLine::product(&PRODUCTS[1], 2))
        .line(DfLine::product(&PRODUCTS[2], 1))
        .build()
}

#[tokio::test(flavor = "current_thread")]
async fn engine_flow_1_retail_auto_acknowledgement() {
    // Amazon places a retail PO; auto acknowledgement is on for Retail Procurement.
    let world = World::new(catalogue_settings(true, false));
    let number = purchase_order_number(101);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();

    // The first cycle reads it and acknowledges it at once, every line accepted as
    // ordered, at Amazon's cost.
    let report = world.cycle().await;
    assert_eq!((report.retrieved, report.new_orders), (1, 1));
    assert_eq!(
        world.status(&key),
        Some(StateKind::ExpectAcknowledgementConfirmation)
    );
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 1);
    assert_eq!(
        parts(&acks[0]),
        [part("1", "Accepted", 18), part("2", "Accepted", 4)]
    );
    let items = &acks[0].body["items"];
    assert_eq!(items[0]["netCost"]["amount"], "18.40");
    assert_eq!(items[1]["netCost"]["amount"], "346.27");

    // Nothing is in NetSuite until Amazon confirms. Amazon's retail transactions stay
    // Processing for good; the PO turns Acknowledged, and the engine takes a
    // transaction still Processing after a quarter of an hour as accepted.
    assert_eq!(world.sales_order(&key), None);
    world
        .run_until("the order is posted", |w| {
            if w.sales_order(&key).is_some() {
                assert!(
                    w.stored(&key).record.confirmed_acknowledgement().is_some(),
                    "the sales order was created before Amazon confirmed"
                );
            }
            w.status(&key) == Some(POSTED)
        })
        .await;

    // The sales order is created ready to fulfil, once, with Amazon's quantities in
    // eaches and Amazon's costs.
    let so = world.sales_order(&key).unwrap();
    assert_eq!(so.status, NetSuiteStatus::PendingFulfillment);
    assert_eq!(
        so.lines
            .iter()
            .map(|l| (l.quantity, l.rate.to_string()))
            .collect::<Vec<_>>(),
        [(18, "18.40".to_owned()), (4, "346.27".to_owned())]
    );
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert_eq!(
        world.amazon.retail_state(&number),
        Some(retail::PurchaseOrderState::Acknowledged)
    );
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    let line = world.line(&key).await;
    assert_eq!(line.netsuite_id.as_ref(), Some(&so.internal_id));
    assert_eq!(line.reason, None);
    let events = history(&world, &key);
    let confirmed = events
        .iter()
        .position(|e| *e == EventKind::AcknowledgementConfirmed)
        .unwrap();
    let created = events
        .iter()
        .position(|e| *e == EventKind::SalesOrderCreated)
        .unwrap();
    assert!(confirmed < created, "{events:?}");

    // Later cycles leave it alone.
    world.wait(60);
    world.cycle().await;
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn engine_flow_2_direct_fulfillment_auto_acknowledgement() {
    let world = World::new(catalogue_settings(false, true));
    let number = purchase_order_number(202);
    let key = df_key(&number);
    world
        .amazon
        .add_df_order(toasters_and_coffee(&number, placed(20)))
        .unwrap();

    // One status for the whole order, code 00, every line at its ordered quantity.
    world.cycle().await;
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 1);
    assert_eq!(
        parts(&acks[0]),
        [part("00001", "00", 2), part("00002", "00", 1)]
    );
    assert_eq!(world.sales_order(&key), None);

    // Amazon's transaction succeeds: the sales order is created ready to fulfil.
    world.run_until_status(&key, POSTED).await;
    assert_eq!(
        world.amazon.df_status(&number),
        Some(df::OrderStatus::Accepted)
    );
    let so = world.sales_order(&key).unwrap();
    assert_eq!(so.status, NetSuiteStatus::PendingFulfillment);
    assert_eq!(
        so.lines.iter().map(|l| l.quantity).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    let events = history(&world, &key);
    assert_eq!(
        events.last(),
        Some(&EventKind::SalesOrderCreated),
        "{events:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn engine_flow_3_retail_manual_acknowledgement() {
    // Auto acknowledgement is off; quantities a reviewer removes are rejected as
    // obsolete products.
    let mut settings = catalogue_settings(false, false);
    settings.policies.default_rejection_reason = RejectionReason::ObsoleteProduct;
    let world = World::new(settings);
    let number = purchase_order_number(303);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();

    // The order goes to NetSuite for review, and nothing goes to Amazon.
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
    let so = world.sales_order(&key).unwrap();
    assert_eq!(so.status, NetSuiteStatus::PendingApproval);
    assert_eq!(world.amazon.acknowledgement_count(&number), 0);

    // A cycle before the review changes nothing.
    world.wait(5);
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
    assert_eq!(world.amazon.acknowledgement_count(&number), 0);

    // The reviewer keeps 2 of the 3 cases of kettles and approves.
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("1"), 12)
        .unwrap();
    world.netsuite.approve(&eid(&key)).unwrap();
    world.wait(1);
    world.cycle().await;

    // Amazon receives the approved quantity as Accepted and the rest as Rejected with
    // the configured reason, at the approved rate.
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 1);
    assert_eq!(
        parts(&acks[0]),
        [
            part("1", "Accepted", 12),
            part("1", "Rejected", 6),
            part("2", "Accepted", 4)
        ]
    );
    let kettles = &acks[0].body["items"][0];
    assert_eq!(
        kettles["itemAcknowledgements"][1]["rejectionReason"],
        "ObsoleteProduct"
    );
    let approved = world.sales_order(&key).unwrap();
    assert_eq!(
        kettles["netCost"]["amount"],
        approved.lines[0].rate.to_string()
    );
    assert_eq!(
        world.status(&key),
        Some(StateKind::ExpectAcknowledgementConfirmation)
    );

    // Amazon takes it: POSTED, on the one sales order.
    world.run_until_status(&key, POSTED).await;
    let status = world.amazon.retail_status(&number).unwrap();
    let items = status.item_status.unwrap();
    let accepted = items[0].acknowledgement_status.as_ref().unwrap();
    assert_eq!(
        accepted.accepted_quantity.as_ref().unwrap().amount,
        Some(2u64.into())
    );
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert_eq!(world.netsuite.record_count(), 1);
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::PendingFulfillment
    );
}

#[tokio::test(flavor = "current_thread")]
async fn engine_flow_4_direct_fulfillment_manual_acknowledgement() {
    let world = World::new(catalogue_settings(false, false));
    let full = df_key(&purchase_order_number(401));
    let closed = df_key(&purchase_order_number(402));
    let partial = df_key(&purchase_order_number(403));
    for (i, key) in [&full, &closed, &partial].into_iter().enumerate() {
        world
            .amazon
            .add_df_order(toasters_and_coffee(
                key.number.as_str(),
                placed(30 - i as i64),
            ))
            .unwrap();
    }
    world.cycle().await;
    for key in [&full, &closed, &partial] {
        assert_eq!(world.status(key), Some(StateKind::ExpectApproval));
    }

    // The reviewer approves one in full, closes every line of another (out of stock),
    // and ships only one of the two toasters of the third.
    world.netsuite.approve(&eid(&full)).unwrap();
    world
        .netsuite
        .close_line(&eid(&closed), &seq("00001"))
        .unwrap();
    world
        .netsuite
        .close_line(&eid(&closed), &seq("00002"))
        .unwrap();
    world
        .netsuite
        .set_line_quantity(&eid(&partial), &seq("00001"), 1)
        .unwrap();
    world.netsuite.approve(&eid(&partial)).unwrap();
    world.wait(1);
    world.cycle().await;

    // Approved in full: accepted, code 00.
    let acks = world.acknowledgements(&full);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].body["acknowledgementStatus"]["code"], "00");
    assert_eq!(
        parts(&acks[0]),
        [part("00001", "00", 2), part("00002", "00", 1)]
    );

    // Every line closed: the whole order is rejected, out of stock.
    let acks = world.acknowledgements(&closed);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].body["acknowledgementStatus"]["code"], "03");

    // Part of the order: the reviewer sees why, and nothing is sent.
    assert_eq!(
        world.amazon.acknowledgement_count(partial.number.as_str()),
        0
    );
    assert_eq!(world.status(&partial), Some(StateKind::ExpectApproval));
    let reason = world.line(&partial).await.reason.unwrap_or_default();
    assert!(
        reason.contains("Direct Fulfillment orders are accepted or rejected whole"),
        "{reason}"
    );

    // Amazon answers both: the accepted one is posted, the rejected one is complete
    // and its sales order closed.
    world
        .run_until("both answered", |w| {
            w.status(&full) == Some(POSTED) && w.status(&closed) == Some(StateKind::Closed)
        })
        .await;
    assert_eq!(
        world.amazon.df_status(full.number.as_str()),
        Some(df::OrderStatus::Accepted)
    );
    assert_eq!(
        world.amazon.df_status(closed.number.as_str()),
        Some(df::OrderStatus::Cancelled)
    );
    assert_eq!(
        world.sales_order(&closed).unwrap().status,
        NetSuiteStatus::Closed
    );
    assert_eq!(
        world.amazon.acknowledgement_count(partial.number.as_str()),
        0
    );

    // The reviewer puts the toaster back: the whole order is accepted.
    world
        .netsuite
        .set_line_quantity(&eid(&partial), &seq("00001"), 2)
        .unwrap();
    world.run_until_status(&partial, POSTED).await;
    let acks = world.acknowledgements(&partial);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].body["acknowledgementStatus"]["code"], "00");
    for key in [&full, &closed, &partial] {
        assert_eq!(world.netsuite.creations(&eid(key)), 1);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_rejected_order_goes_back_to_pending_approval_and_its_next_approval_is_sent() {
    // A manual retail order is approved and acknowledged; Amazon lowers a cost while
    // the acknowledgement is on its way, so Amazon's transaction fails.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(506);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();
    world.cycle().await;
    world.netsuite.approve(&eid(&key)).unwrap();
    world.wait(1);
    world.cycle().await;
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    world
        .amazon
        .set_retail_net_cost(&number, "1", "17.90")
        .unwrap();
    world.run_until_status(&key, StateKind::ExpectRepost).await;

    // While the rejection stands nothing may ship: the sales order is no longer
    // approved, and the order keeps Amazon's reason.
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::PendingApproval
    );
    // Amazon's own failure message, kept as Amazon sent it.
    let reason = world.line(&key).await.reason.unwrap_or_default();
    assert!(reason.contains("NotAvailable"), "{reason}");
    world.wait(5);
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectRepost));
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);

    // The reviewer approves it again: the approvals poll sees it, and the order is
    // acknowledged as it now stands, with no repost.
    world.netsuite.approve(&eid(&key)).unwrap();
    world.run_until_status(&key, POSTED).await;
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 2);
    assert_eq!(acks[1].body["items"][0]["netCost"]["amount"], "17.90");
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::PendingFulfillment
    );
}

#[tokio::test(flavor = "current_thread")]
async fn engine_flow_5_amazon_rejects_and_the_order_is_reposted() {
    // A manual retail order is approved as it is and acknowledged.
    let world = World::new(catalogue_settings(false, false));
    // The reason checked below is the simulator's diagnostic, not Amazon's terse one.
    world.amazon.set_failures_as_amazon(false);
    let number = purchase_order_number(505);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();
    world.cycle().await;
    world.netsuite.approve(&eid(&key)).unwrap();
    world.wait(1);
    world.cycle().await;
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);

    // While it is on its way Amazon lowers its cost for the kettles, so the
    // acknowledgement's cost is above the PO's: Amazon's transaction fails.
    world
        .amazon
        .set_retail_net_cost(&number, "1", "17.90")
        .unwrap();
    world.run_until_status(&key, StateKind::ExpectRepost).await;
    let reason = world.line(&key).await.reason.unwrap_or_default();
    assert!(reason.contains("INVALID_COST"), "{reason}");
    assert!(reason.contains("above the PO's 17.90"), "{reason}");
    assert_eq!(
        world.amazon.retail_state(&number),
        Some(retail::PurchaseOrderState::New)
    );

    // Amazon's new cost reaches the sales order; the order stays Rejected until
    // someone reposts it. The reviewer also ships one blender fewer.
    world.wait(5);
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectRepost));
    let so = world.sales_order(&key).unwrap();
    assert_eq!(so.lines[0].rate.to_string(), "17.90");
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("2"), 3)
        .unwrap();
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);

    // The operator reposts: a new acknowledgement version goes out, built from the
    // sales order as it is now.
    world.act(&key, OperatorAction::Repost).await.unwrap();
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 2);
    assert_eq!(
        parts(&acks[1]),
        [
            part("1", "Accepted", 18),
            part("2", "Accepted", 3),
            part("2", "Rejected", 1)
        ]
    );
    assert_eq!(acks[1].body["items"][0]["netCost"]["amount"], "17.90");
    assert_eq!(
        world
            .stored(&key)
            .record
            .acknowledgement_version()
            .map(|v| v.0),
        Some(2)
    );

    // Amazon takes it.
    world.run_until_status(&key, POSTED).await;
    let record = world.stored(&key).record;
    assert_eq!(
        record.confirmed_acknowledgement().map(|c| c.version.0),
        Some(2)
    );
    assert_eq!(
        world.amazon.retail_state(&number),
        Some(retail::PurchaseOrderState::Acknowledged)
    );
    assert_eq!(world.amazon.acknowledgement_count(&number), 2);
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert!(
        record
            .history()
            .iter()
            .any(|h| h.to == StateKind::ExpectRepost)
    );

    // The order's view keeps both versions: the rejected one with what it said,
    // its cost and Amazon's reasons, and the confirmed one with its transaction.
    let view = world.engine.order(&key).await.unwrap().expect("the order");
    let [first, second] = view.acknowledgements.as_slice() else {
        panic!("two versions: {:?}", view.acknowledgements);
    };
    assert_eq!((first.version.0, second.version.0), (1, 2));
    let codes = |a: &avc_order_sync::AcknowledgementView| -> Vec<(String, String, Option<u64>)> {
        a.lines
            .iter()
            .map(|l| (l.sequence.to_string(), l.code.clone(), l.eaches))
            .collect()
    };
    assert_eq!(
        codes(first),
        [
            ("1".to_owned(), "Accepted".to_owned(), Some(18)),
            ("2".to_owned(), "Accepted".to_owned(), Some(4)),
        ]
    );
    assert_eq!(
        first.lines[0]
            .net_cost
            .as_ref()
            .map(|c| c.money.to_string()),
        Some("18.40 USD".to_owned()),
        "the first version's cost is the one Amazon refused"
    );
    let AcknowledgementAnswer::Rejected { errors, at } = &first.answer else {
        panic!("the first version is rejected: {:?}", first.answer);
    };
    assert!(
        errors
            .iter()
            .any(|e| e.code.contains("INVALID_COST") || e.message.contains("INVALID_COST")),
        "{errors:?}"
    );
    assert!(at.is_some_and(|at| at <= view.summary.changed_at));
    assert!(first.transaction_id.is_some());
    assert_eq!(codes(second).len(), 3);
    assert_eq!(
        second.lines[0]
            .net_cost
            .as_ref()
            .map(|c| c.money.to_string()),
        Some("17.90 USD".to_owned())
    );
    assert!(matches!(
        second.answer,
        AcknowledgementAnswer::Confirmed { .. }
    ));
    assert!(second.transaction_id.is_some());
    assert_ne!(first.transaction_id, second.transaction_id);

    // A record stored before the log was kept still loads, and its view falls back
    // to the confirmed version alone.
    let mut stored = world.stored(&key);
    let mut json = serde_json::to_value(&stored.record).unwrap();
    assert!(
        json.as_object_mut()
            .unwrap()
            .remove("acknowledgements")
            .is_some()
    );
    stored.record = serde_json::from_value(json).unwrap();
    assert!(stored.record.acknowledgement_log().is_empty());
    let old = avc_order_sync::OrderView::of(&key, &stored, &Default::default());
    let [only] = old.acknowledgements.as_slice() else {
        panic!("the confirmed version: {:?}", old.acknowledgements);
    };
    assert_eq!(only.lines, second.lines);
    assert_eq!(only.answer, second.answer);
}

/// A world with one retail PO acknowledged automatically and posted, under `policy`
/// for changes Amazon makes after acknowledgement.
async fn posted_retail(policy: Policy, seed: u64) -> (World, OrderKey) {
    let mut settings = catalogue_settings(true, false);
    settings.policies.changed_after_acknowledgement = policy;
    let world = World::new(settings);
    let number = purchase_order_number(seed);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();
    world.run_until_status(&key, POSTED).await;
    (world, key)
}

#[tokio::test(flavor = "current_thread")]
async fn engine_flow_6_amazon_changes_or_cancels_a_po() {
    // Before acknowledgement: Amazon cuts the kettles to 2 cases, cancels the
    // blenders and adds a case of mugs. The one sales order is updated.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(601);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();
    world.cycle().await;
    world.wait(10);
    world.amazon.set_retail_quantity(&number, "1", 2).unwrap();
    world.amazon.cancel_retail_line(&number, "2").unwrap();
    let mugs = world
        .amazon
        .add_retail_line(&number, RetailLine::product(&PRODUCTS[3], 1))
        .unwrap();
    world.wait(1);
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
    let so = world.sales_order(&key).unwrap();
    let lines: Vec<_> = so
        .lines
        .iter()
        .map(|l| {
            (
                l.sequence
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                l.quantity,
                l.is_closed,
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("1".to_owned(), 12, false),
            ("2".to_owned(), 4, true),
            (mugs.clone(), 8, false)
        ]
    );
    assert_eq!(so.status, NetSuiteStatus::PendingApproval);
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert_eq!(world.netsuite.record_count(), 1);
    assert_eq!(world.amazon.acknowledgement_count(&number), 0);
    // Approved, the updated order is acknowledged as Amazon has it now.
    world.netsuite.approve(&eid(&key)).unwrap();
    world.run_until_status(&key, POSTED).await;
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 1);
    assert_eq!(
        parts(&acks[0]),
        // Line 2, cancelled to 0 by Amazon, is left out: Amazon takes a missing line as
        // rejected, and an acknowledged quantity should not be zero.
        [part("1", "Accepted", 12), part(&mugs, "Accepted", 8)]
    );

    // After acknowledgement, "update the NetSuite order": the sales order follows
    // Amazon, and nothing more goes to Amazon.
    let (world, key) = posted_retail(Policy::UpdateSalesOrder, 602).await;
    world
        .amazon
        .set_retail_quantity(key.number.as_str(), "1", 2)
        .unwrap();
    world.wait(1);
    world.cycle().await;
    assert_eq!(world.status(&key), Some(POSTED));
    assert_eq!(world.sales_order(&key).unwrap().lines[0].quantity, 12);
    assert_eq!(world.amazon.acknowledgement_count(key.number.as_str()), 1);
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);

    // After acknowledgement, "review each order": the order waits for an operator,
    // who posts the change.
    let (world, key) = posted_retail(Policy::ReviewEachOrder, 603).await;
    world
        .amazon
        .set_retail_quantity(key.number.as_str(), "1", 2)
        .unwrap();
    world.wait(1);
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectChangeReview));
    assert_eq!(world.sales_order(&key).unwrap().lines[0].quantity, 18);
    world.act(&key, OperatorAction::Repost).await.unwrap();
    assert_eq!(world.status(&key), Some(POSTED));
    assert_eq!(world.sales_order(&key).unwrap().lines[0].quantity, 12);
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);

    // After acknowledgement, "cancel the NetSuite order".
    let (world, key) = posted_retail(Policy::CancelSalesOrder, 604).await;
    world
        .amazon
        .set_retail_quantity(key.number.as_str(), "1", 2)
        .unwrap();
    world.wait(1);
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::Cancelled));
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::Closed
    );

    // Amazon closes a retail PO before the approved acknowledgement reaches it: the
    // acknowledgement fails, the engine finds the PO closed, and closes the sales
    // order. The order is complete.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(605);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();
    world.cycle().await;
    world.amazon.close_retail_order(&number).unwrap();
    world.netsuite.approve(&eid(&key)).unwrap();
    world.run_until_status(&key, StateKind::Closed).await;
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::Closed
    );
    assert_eq!(
        world.line(&key).await.reason.as_deref(),
        Some("closed by Amazon")
    );

    // Amazon cancels a Direct Fulfillment order: the same, and the order is cancelled.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(606);
    let key = df_key(&number);
    world
        .amazon
        .add_df_order(toasters_and_coffee(&number, placed(30)))
        .unwrap();
    world.cycle().await;
    world.amazon.cancel_df_order(&number).unwrap();
    world.netsuite.approve(&eid(&key)).unwrap();
    world.run_until_status(&key, StateKind::Cancelled).await;
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::Closed
    );
    assert_eq!(
        world.line(&key).await.reason.as_deref(),
        Some("cancelled by Amazon")
    );
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn engine_flow_6_amazon_moves_the_ship_window_and_a_cost_before_approval() {
    // The sales order waits for approval, shipping two days after the order date at
    // 18.40 a kettle.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(607);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
    let so = world.sales_order(&key).unwrap();
    let day = |days: i64| (placed(30) + TimeDelta::days(days)).date_naive();
    assert_eq!(so.ship_date, Some(day(2)));
    assert_eq!(so.lines[0].rate.to_string(), "18.40");

    // Amazon moves the ship window three days later and raises the kettles' cost.
    world.wait(10);
    let window = format!(
        "{}--{}",
        (placed(30) + TimeDelta::days(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (placed(30) + TimeDelta::days(11)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    world
        .amazon
        .change_retail_order(&number, |order| {
            order.order_details.as_mut().unwrap().ship_window = Some(window);
        })
        .unwrap();
    world
        .amazon
        .set_retail_net_cost(&number, "1", "19.10")
        .unwrap();
    world.wait(1);
    world.cycle().await;

    // The one sales order follows: the new ship date and rate, the rest as it was.
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
    let so = world.sales_order(&key).unwrap();
    assert_eq!(so.status, NetSuiteStatus::PendingApproval);
    assert_eq!(so.ship_date, Some(day(5)));
    assert_eq!(
        so.lines
            .iter()
            .map(|l| (l.item.to_string(), l.quantity, l.rate.to_string()))
            .collect::<Vec<_>>(),
        [
            (PRODUCTS[0].netsuite_item.to_owned(), 18, "19.10".to_owned()),
            (PRODUCTS[5].netsuite_item.to_owned(), 4, "346.27".to_owned())
        ]
    );
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert_eq!(world.netsuite.calls(NetSuiteOperation::UpdateSalesOrder), 1);

    // Approved, it is acknowledged at the new cost.
    world.netsuite.approve(&eid(&key)).unwrap();
    world.run_until_status(&key, POSTED).await;
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].body["items"][0]["netCost"]["amount"], "19.10");
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_ship_window_moved_while_a_create_is_unanswered_still_reaches_netsuite() {
    // The create lands and its answer is lost.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(608);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();
    world
        .netsuite
        .fail_next_after_effect(NetSuiteOperation::UpsertSalesOrder, 1);
    world.cycle().await;

    // Amazon moves the ship window three days later; the create sent again with the
    // new ship date fails before it reaches NetSuite.
    world.wait(10);
    let moved = placed(30) + TimeDelta::days(5);
    let window = format!(
        "{}--{}",
        moved.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (moved + TimeDelta::days(6)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    world
        .amazon
        .change_retail_order(&number, |order| {
            order.order_details.as_mut().unwrap().ship_window = Some(window);
        })
        .unwrap();
    world.wait(1);
    world
        .netsuite
        .fail_next(NetSuiteOperation::UpsertSalesOrder, 1);
    world.cycle().await;
    assert_eq!(
        world
            .netsuite
            .pending_failures(NetSuiteOperation::UpsertSalesOrder),
        0
    );

    // The reviewer approves the order NetSuite holds, with the old ship date. NetSuite
    // lists the approval: the order is not taken as created, since it lacks the new
    // ship date; the create goes out again.
    let so = world.sales_order(&key).unwrap();
    assert_eq!(
        so.ship_date,
        Some((placed(30) + TimeDelta::days(2)).date_naive())
    );
    world.netsuite.approve(&eid(&key)).unwrap();
    world
        .run_until("the order is posted", |w| {
            if w.sales_order(&key).map(|so| so.status) == Some(NetSuiteStatus::PendingApproval) {
                w.netsuite.approve(&eid(&key)).unwrap();
            }
            w.status(&key) == Some(POSTED)
        })
        .await;
    let so = world.sales_order(&key).unwrap();
    assert_eq!(so.ship_date, Some(moved.date_naive()));
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn engine_flow_7_operator_actions() {
    // Retry now: NetSuite refuses the first create; the engine would try again in a
    // while, the operator has it done at once.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(701);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(&number, placed(30)))
        .unwrap();
    world
        .netsuite
        .fail_next(NetSuiteOperation::UpsertSalesOrder, 1);
    let report = world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectSalesOrderCreated));
    assert_eq!(world.sales_order(&key), None);
    assert!(report.next_wakeup.is_some_and(|at| at > world.now()));
    world.act(&key, OperatorAction::RetryNow).await.unwrap();
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);

    // Hold: the reviewer's approval lands while the order is held, and nothing is
    // sent until the operator releases it, however long that takes.
    world
        .act(
            &key,
            OperatorAction::Hold {
                reason: "customer credit check".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(world.status(&key), Some(StateKind::Held));
    assert_eq!(
        world.line(&key).await.reason.as_deref(),
        Some("customer credit check")
    );
    world.netsuite.approve(&eid(&key)).unwrap();
    for _ in 0..6 {
        world.wait(5);
        world.cycle().await;
    }
    assert_eq!(world.status(&key), Some(StateKind::Held));
    assert_eq!(world.amazon.acknowledgement_count(&number), 0);
    // Holding again, or reposting, does not fit a held order.
    let err = world
        .act(
            &key,
            OperatorAction::Hold {
                reason: "again".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::Transition(TransitionError::InappropriateEvent {
                state: StateKind::Held,
                event: EventKind::HoldRequested,
                ..
            })
        ),
        "{err}"
    );
    world.act(&key, OperatorAction::Release).await.unwrap();
    world.run_until_status(&key, POSTED).await;
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);

    // Repost a posted order: the reviewer lowers the kettles in NetSuite and the
    // operator sends the update to Amazon as a new version.
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("1"), 12)
        .unwrap();
    world.act(&key, OperatorAction::Repost).await.unwrap();
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 2);
    assert_eq!(
        parts(&acks[1]),
        [
            part("1", "Accepted", 12),
            part("1", "Rejected", 6),
            part("2", "Accepted", 4)
        ]
    );
    world.run_until_status(&key, POSTED).await;
    assert_eq!(
        world
            .stored(&key)
            .record
            .confirmed_acknowledgement()
            .map(|c| c.version.0),
        Some(2)
    );

    // A posted order cannot be held or released; the refusal changes nothing.
    let before = world.stored(&key);
    for action in [
        OperatorAction::Hold {
            reason: "too late".into(),
        },
        OperatorAction::Release,
    ] {
        let err = world.act(&key, action).await.unwrap_err();
        assert!(
            matches!(
                err,
                EngineError::Transition(TransitionError::InappropriateEvent {
                    state: StateKind::ExpectShipment,
                    ..
                })
            ),
            "{err}"
        );
    }
    assert_eq!(world.stored(&key), before);

    // Refetch: Amazon closed the PO; the operator reads it again, and the sales order
    // is closed.
    world.amazon.close_retail_order(&number).unwrap();
    world.act(&key, OperatorAction::Refetch).await.unwrap();
    assert_eq!(world.status(&key), Some(StateKind::Closed));
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::Closed
    );

    // Cancel: another order waiting for approval is cancelled, and its sales order
    // closed. A cancelled order cannot be cancelled, retried or reposted again.
    let other = purchase_order_number(702);
    let other_key = retail_key(&other);
    world
        .amazon
        .add_retail_order(kettles_and_blenders(
            &other,
            world.now() - TimeDelta::minutes(5),
        ))
        .unwrap();
    world.cycle().await;
    assert_eq!(world.status(&other_key), Some(StateKind::ExpectApproval));
    let err = world
        .act(&other_key, OperatorAction::Repost)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::Transition(TransitionError::InappropriateEvent {
                state: StateKind::ExpectApproval,
                event: EventKind::RepostRequested,
                ..
            })
        ),
        "{err}"
    );
    world
        .act(
            &other_key,
            OperatorAction::Cancel {
                reason: "duplicate of another PO".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(world.status(&other_key), Some(StateKind::Cancelled));
    assert_eq!(
        world.sales_order(&other_key).unwrap().status,
        NetSuiteStatus::Closed
    );
    assert!(
        world
            .line(&other_key)
            .await
            .reason
            .unwrap_or_default()
            .contains("duplicate of another PO")
    );
    for action in [
        OperatorAction::Cancel {
            reason: "again".into(),
        },
        OperatorAction::RetryNow,
        OperatorAction::Repost,
    ] {
        let err = world.act(&other_key, action).await.unwrap_err();
        assert!(
            matches!(
                err,
                EngineError::Transition(TransitionError::InappropriateEvent {
                    state: StateKind::Cancelled,
                    ..
                })
            ),
            "{err}"
        );
    }
    assert_eq!(world.amazon.acknowledgement_count(&other), 0);

    // An order the store never saw is a typed error too.
    let unknown = retail_key("9NOSUCH9");
    assert!(matches!(
        world.act(&unknown, OperatorAction::RetryNow).await,
        Err(EngineError::UnknownOrder { key }) if key == unknown
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_batch_is_split_and_each_order_sent_again_alone() {
    // Two retail POs acknowledged automatically travel in one request. Amazon answers
    // failures as it really does, with messages that name no order.
    let world = World::new(catalogue_settings(true, false));
    world.amazon.set_failures_as_amazon(true);
    let good = retail_key(&purchase_order_number(801));
    let changed = retail_key(&purchase_order_number(802));
    for (i, key) in [&good, &changed].into_iter().enumerate() {
        world
            .amazon
            .add_retail_order(kettles_and_blenders(
                key.number.as_str(),
                placed(30 - i as i64),
            ))
            .unwrap();
    }
    world.cycle().await;
    let sent = world.acknowledgements(&good);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].transaction_id,
        world.acknowledgements(&changed)[0].transaction_id
    );

    // Amazon lowers its cost on one of them before processing: the whole transaction
    // fails, and nothing says for which order. Amazon applied none of it, so each
    // order goes out again alone, as a new version: the unchanged one as it was, the
    // changed one built from Amazon's order as it is now. Both are taken and posted,
    // with nobody asked to review them.
    world
        .amazon
        .set_retail_net_cost(changed.number.as_str(), "1", "17.90")
        .unwrap();
    world
        .run_until("both posted", |w| {
            w.status(&good) == Some(POSTED) && w.status(&changed) == Some(POSTED)
        })
        .await;
    let acks = world.acknowledgements(&good);
    assert_eq!(acks.len(), 2);
    assert_eq!(parts(&acks[1]), parts(&acks[0]));
    let again = world.acknowledgements(&changed);
    assert_eq!(again.len(), 2);
    assert_ne!(acks[1].transaction_id, again[1].transaction_id);
    assert_eq!(world.amazon.acknowledgements().len(), 4);
    for key in [&good, &changed] {
        assert_eq!(
            world
                .stored(key)
                .record
                .confirmed_acknowledgement()
                .map(|c| c.version.0),
            Some(2),
            "{key}"
        );
        let so = world.sales_order(key).unwrap();
        assert_eq!(so.status, NetSuiteStatus::PendingFulfillment);
        assert_eq!(world.netsuite.creations(&eid(key)), 1);
        // The view shows the shared version as superseded, not as rejected: Amazon
        // judged the transaction, not this order.
        let view = world.engine.order(key).await.unwrap().expect("the order");
        let answers: Vec<_> = view
            .acknowledgements
            .iter()
            .map(|a| (a.version.0, a.answer.clone()))
            .collect();
        assert!(
            matches!(
                answers.as_slice(),
                [
                    (1, AcknowledgementAnswer::Superseded),
                    (2, AcknowledgementAnswer::Confirmed { .. })
                ]
            ),
            "{key}: {answers:?}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_batch_of_six_goes_out_again_in_halves_not_one_by_one() {
    // Six retail POs acknowledged automatically travel in one request; Amazon changes
    // one of them before processing, so the whole transaction fails, naming no order.
    let world = World::new(catalogue_settings(true, false));
    world.amazon.set_failures_as_amazon(true);
    let keys: Vec<_> = (0..6)
        .map(|i| retail_key(&purchase_order_number(810 + i)))
        .collect();
    for (i, key) in keys.iter().enumerate() {
        world
            .amazon
            .add_retail_order(kettles_and_blenders(
                key.number.as_str(),
                placed(30 - i as i64),
            ))
            .unwrap();
    }
    world.cycle().await;
    let first: Vec<_> = keys
        .iter()
        .map(|k| world.acknowledgements(k)[0].transaction_id.clone())
        .collect();
    assert!(first.iter().all(|t| *t == first[0]), "{first:?}");
    let changed = &keys[5];
    world
        .amazon
        .set_retail_net_cost(changed.number.as_str(), "1", "17.90")
        .unwrap();
    world
        .run_until("all posted", |w| {
            keys.iter().all(|k| w.status(k) == Some(POSTED))
        })
        .await;

    // The changed one is rebuilt from Amazon's order; the five others go out again,
    // unchanged, in transactions of at most three (half of six): two, not five.
    let mut again = std::collections::BTreeMap::<_, usize>::new();
    for key in &keys[..5] {
        let acks = world.acknowledgements(key);
        assert_eq!(acks.len(), 2, "{key}");
        assert_eq!(parts(&acks[1]), parts(&acks[0]), "{key}");
        *again.entry(acks[1].transaction_id.clone()).or_default() += 1;
    }
    let mut sizes: Vec<usize> = again.into_values().collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [2, 3]);
    assert_eq!(world.acknowledgements(changed).len(), 2);
    assert_eq!(world.amazon.acknowledgements().len(), 12);
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_transaction_of_one_order_is_its_rejection_with_amazons_messages() {
    // One retail PO acknowledged automatically, alone in its request; Amazon lowers
    // its cost before processing, and its failure message names no order.
    let world = World::new(catalogue_settings(true, false));
    world.amazon.set_failures_as_amazon(true);
    let key = retail_key(&purchase_order_number(803));
    world
        .amazon
        .add_retail_order(kettles_and_blenders(key.number.as_str(), placed(30)))
        .unwrap();
    world.cycle().await;
    world
        .amazon
        .set_retail_net_cost(key.number.as_str(), "1", "17.90")
        .unwrap();
    world.run_until_status(&key, StateKind::ExpectRepost).await;

    // It is that order's rejection, with Amazon's code and message as sent; it was
    // sent once.
    assert_eq!(world.acknowledgements(&key).len(), 1);
    let OrderState::ExpectRepost { errors, .. } = world.stored(&key).record.state().clone() else {
        panic!("not rejected");
    };
    assert_eq!(
        errors,
        [ServiceMessage {
            code: "NotAvailable".into(),
            message: "Error details are not available. Please make sure you are sending \
                      valid input payload."
                .into(),
            field: None,
        }]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_direct_fulfillment_acknowledgement_never_reported_success_is_confirmed_by_its_order() {
    // Amazon's older guide: Direct Fulfillment transactions report Processing and
    // Failure only. The order turns ACCEPTED when the acknowledgement is taken.
    let world = World::new(catalogue_settings(false, true));
    world.amazon.set_df_success_reported(false);
    let number = purchase_order_number(204);
    let key = df_key(&number);
    world
        .amazon
        .add_df_order(toasters_and_coffee(&number, placed(20)))
        .unwrap();
    world.cycle().await;
    assert_eq!(world.acknowledgements(&key).len(), 1);

    // After 30 minutes of Processing the order is read: ACCEPTED confirms it, and the
    // sales order is created ready to fulfil.
    world.run_until_status(&key, POSTED).await;
    let confirmed = world
        .stored(&key)
        .record
        .confirmed_acknowledgement()
        .cloned();
    let submitted = world.acknowledgements(&key)[0].received_at;
    assert!(confirmed.is_some_and(|c| c.confirmed_at >= submitted + TimeDelta::minutes(30)));
    let so = world.sales_order(&key).unwrap();
    assert_eq!(so.status, NetSuiteStatus::PendingFulfillment);
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_direct_fulfillment_acknowledgement_never_confirmed_goes_to_a_person() {
    // Amazon never decides the transaction: it says Processing, and the order stays NEW.
    let world = World::new(catalogue_settings(false, true));
    world.amazon.set_df_success_reported(false);
    world
        .amazon
        .set_processing_time(std::time::Duration::from_secs(30 * 24 * 3600));
    let number = purchase_order_number(205);
    let key = df_key(&number);
    world
        .amazon
        .add_df_order(toasters_and_coffee(&number, placed(20)))
        .unwrap();
    world.cycle().await;
    let submitted = world.now();

    // It keeps being checked, then after the bound (4 hours by default) a person
    // gets it; nothing is sent again and no sales order is made.
    world
        .run_until("it needs attention", |w| {
            matches!(w.stored(&key).record.state(), OrderState::ExpectFix { .. })
        })
        .await;
    assert!(world.now() >= submitted + TimeDelta::hours(4));
    assert!(world.now() <= submitted + TimeDelta::hours(6));
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    assert_eq!(world.sales_order(&key), None);
}
