//! Every order the sync sees is kept: one someone acknowledged before the sync saw it
//! gets its sales order with what Amazon accepted, and one Amazon sends unreadable is
//! stored, shown and re-fetched until Amazon sends it readable.

use avc_order_sync::OperatorAction;
use avc_order_sync::lifecycle::StateKind;
use avc_order_sync::testing::orders::{
    DfLine, DfOrderBuilder, PRODUCTS, RetailLine, RetailOrderBuilder,
};
use avc_order_sync::testing::{AmazonOperation, catalogue_settings};
use avc_order_sync::{ErrorKind, NetSuiteStatus};

use crate::it::support::engine::*;

const POSTED: StateKind = StateKind::ExpectShipment;

/// A retail PO of two lines ordered by the each: 6 of the first product, 4 of the
/// second.
fn two_line_po(number: &str) -> avc_order_sync::amazon::retail::Order {
    let (a, b) = (&PRODUCTS[0], &PRODUCTS[1]);
    RetailOrderBuilder::new(number, placed(30))
        .line(RetailLine::eaches(a.asin, a.vendor_sku, 6, a.net_cost))
        .line(RetailLine::eaches(b.asin, b.vendor_sku, 4, b.net_cost))
        .build()
}

#[tokio::test]
async fn a_po_acknowledged_in_vendor_central_before_the_sync_saw_it_gets_its_sales_order() {
    let world = World::new(catalogue_settings(false, false));
    let key = retail_key("ELSEWH01");
    world
        .amazon
        .add_retail_order(two_line_po("ELSEWH01"))
        .unwrap();
    // Someone answered in Vendor Central's pages: 5 of the 6 of line 1, none of line 2.
    world
        .amazon
        .acknowledge_retail_order_elsewhere("ELSEWH01", &[("1", 5)])
        .unwrap();

    world.run_until_status(&key, POSTED).await;

    let so = world.sales_order(&key).expect("a sales order");
    assert_eq!(so.status, NetSuiteStatus::PendingFulfillment);
    let open: Vec<(String, u64)> = so
        .lines
        .iter()
        .filter(|l| !l.is_closed)
        .map(|l| (l.sequence.as_ref().unwrap().to_string(), l.quantity))
        .collect();
    assert_eq!(open, [("1".to_owned(), 5)], "what Amazon accepted, no more");
    assert!(
        world.acknowledgements(&key).is_empty(),
        "nothing is acknowledged again"
    );
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);

    // Later cycles change nothing.
    for _ in 0..3 {
        world.wait(10);
        world.cycle().await;
    }
    assert!(world.acknowledgements(&key).is_empty());
    assert_eq!(world.status(&key), Some(POSTED));
}

#[tokio::test]
async fn a_direct_fulfillment_order_accepted_before_the_sync_saw_it_ships_whole() {
    let world = World::new(catalogue_settings(false, false));
    let key = df_key("DFELSE01");
    let order = DfOrderBuilder::new("DFELSE01", placed(30))
        .line(DfLine::product(&PRODUCTS[0], 2))
        .line(DfLine::product(&PRODUCTS[1], 1))
        .build();
    world.amazon.add_df_order(order).unwrap();
    world.amazon.accept_df_order_elsewhere("DFELSE01").unwrap();

    world.run_until_status(&key, POSTED).await;

    let so = world.sales_order(&key).expect("a sales order");
    assert_eq!(so.status, NetSuiteStatus::PendingFulfillment);
    let quantities: Vec<u64> = so.lines.iter().map(|l| l.quantity).collect();
    assert_eq!(quantities, [2, 1]);
    assert!(world.acknowledgements(&key).is_empty());
}

#[tokio::test]
async fn a_po_acknowledged_elsewhere_whose_status_cannot_be_read_waits_for_a_person() {
    let world = World::new(catalogue_settings(true, true));
    let key = retail_key("ELSEWH02");
    world
        .amazon
        .add_retail_order(two_line_po("ELSEWH02"))
        .unwrap();
    world
        .amazon
        .acknowledge_retail_order_elsewhere("ELSEWH02", &[("1", 6), ("2", 4)])
        .unwrap();
    world.amazon.fail_next_with(
        AmazonOperation::GetPurchaseOrdersStatus,
        avc_order_sync::testing::ScriptedFailure::of(ErrorKind::Rejected),
        1,
    );

    world.cycle().await;
    assert!(world.unreadable(&key), "{}", world.table());
    let line = world.line(&key).await;
    let reason = line.reason.unwrap_or_default();
    assert!(reason.contains("ordersStatus"), "{reason}");
    assert!(world.sales_order(&key).is_none());
    assert!(world.acknowledgements(&key).is_empty());

    // A re-fetch reads Amazon's status report again and takes the order in.
    world.act(&key, OperatorAction::Refetch).await.unwrap();
    world.run_until_status(&key, POSTED).await;
    let so = world.sales_order(&key).expect("a sales order");
    let quantities: Vec<u64> = so.lines.iter().map(|l| l.quantity).collect();
    assert_eq!(quantities, [6, 4]);
    assert!(world.acknowledgements(&key).is_empty());
}

#[tokio::test]
async fn an_unreadable_po_is_stored_shown_refetched_and_taken_in_once_amazon_sends_it_readable() {
    let world = World::new(catalogue_settings(false, false));
    let key = retail_key("BROKEN01");
    let mut order = two_line_po("BROKEN01");
    let items = |o: &mut avc_order_sync::amazon::retail::Order| {
        o.order_details.as_mut().unwrap().items.as_mut().unwrap()[1]
            .net_cost
            .as_mut()
            .unwrap()
            .amount = Some("12,50".into());
    };
    items(&mut order);
    world.amazon.add_retail_order(order).unwrap();
    // Readable orders on either side of it, on the same page.
    for n in ["GOOD0001", "GOOD0002"] {
        world.amazon.add_retail_order(two_line_po(n)).unwrap();
    }

    let report = world.cycle().await;
    assert_eq!(report.set_aside.len(), 1, "{report}");
    assert_eq!(report.set_aside[0].key.as_ref(), Some(&key));
    let place = report.set_aside[0]
        .place
        .as_ref()
        .expect("where it was listed");
    assert_eq!(place.page, 1);
    assert_eq!(report.unnumbered, 0);

    // The order is kept, shown with its problem, and nothing is sent for it.
    let line = world.line(&key).await;
    assert!(world.unreadable(&key), "{}", world.table());
    assert_eq!(line.state, StateKind::ExpectFix);
    let reason = line.reason.unwrap_or_default();
    assert!(
        reason.contains("BROKEN01") && reason.contains("netCost"),
        "{reason}"
    );
    assert!(world.sales_order(&key).is_none());
    for n in ["GOOD0001", "GOOD0002"] {
        assert!(world.status(&retail_key(n)).is_some(), "{n} goes on");
    }

    // A re-fetch of a copy still broken leaves it waiting.
    world.act(&key, OperatorAction::Refetch).await.unwrap();
    assert!(world.unreadable(&key), "{}", world.table());

    // Amazon corrects the order: the next listing takes it in, by itself.
    world.wait(5);
    world
        .amazon
        .change_retail_order("BROKEN01", |o| {
            o.order_details.as_mut().unwrap().items.as_mut().unwrap()[1]
                .net_cost
                .as_mut()
                .unwrap()
                .amount = Some(PRODUCTS[1].net_cost.into());
        })
        .unwrap();
    world
        .run_until_status(&key, StateKind::ExpectApproval)
        .await;
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
}

#[tokio::test]
async fn a_refetch_of_an_unreadable_order_takes_it_in_when_amazon_answers_readable() {
    let world = World::new(catalogue_settings(false, false));
    let key = retail_key("BROKEN02");
    let mut order = two_line_po("BROKEN02");
    order
        .order_details
        .as_mut()
        .unwrap()
        .items
        .as_mut()
        .unwrap()[0]
        .ordered_quantity = None;
    world.amazon.add_retail_order(order).unwrap();
    world.cycle().await;
    assert!(world.unreadable(&key), "{}", world.table());

    // Amazon's copy is readable now (changed in place, without a new changed date).
    world
        .amazon
        .change_retail_order("BROKEN02", |o| *o = two_line_po("BROKEN02"))
        .unwrap();
    world.act(&key, OperatorAction::Refetch).await.unwrap();
    world
        .run_until_status(&key, StateKind::ExpectApproval)
        .await;
}

#[tokio::test]
async fn the_record_of_an_unreadable_direct_fulfillment_order_keeps_no_consumer_data() {
    let world = World::new(catalogue_settings(false, false));
    let key = df_key("DFBROK01");
    let mut order = DfOrderBuilder::new("DFBROK01", placed(30))
        .line(DfLine::product(&PRODUCTS[0], 2))
        .gift("Happy birthday, Robin")
        .build();
    let details = order.order_details.as_mut().unwrap();
    details.items.as_mut().unwrap()[0]
        .net_price
        .as_mut()
        .unwrap()
        .amount = Some("five".into());
    let address = details.ship_to_party.clone().unwrap();
    world.amazon.add_df_order(order).unwrap();

    world.cycle().await;
    assert!(world.unreadable(&key), "{}", world.table());
    let stored = world.stored(&key);
    let json = serde_json::to_string(&stored.record).unwrap();
    let debug = format!("{:?}", stored.record);
    let personal = [
        address.name.clone(),
        address.address_line1.clone(),
        address.address_line2.clone(),
        address.city.clone(),
        address.postal_code.clone(),
        address.phone.clone(),
        Some("Happy birthday".to_owned()),
    ];
    for text in personal.into_iter().flatten().filter(|t| t.len() > 2) {
        assert!(!json.contains(&text), "the record holds {text:?}: {json}");
        assert!(!debug.contains(&text), "the record shows {text:?}");
    }
    assert!(stored.record.purchase_order().ship_to.is_none());
    assert!(stored.record.purchase_order().lines.is_empty());
}

#[tokio::test]
async fn an_order_without_a_readable_number_is_reported_with_its_window_and_page_and_counted() {
    let world = World::new(catalogue_settings(false, false));
    world
        .amazon
        .add_retail_order(two_line_po("GOOD0003"))
        .unwrap();
    world.amazon.add_unreadable_order(
        avc_order_sync::Program::RetailProcurement,
        placed(20),
        avc_order_sync::MalformedOrder {
            purchase_order_number: None,
            reason: "`orders[1]` cannot be read: expected a string".into(),
        },
    );
    world.amazon.add_unreadable_order(
        avc_order_sync::Program::DirectFulfillment,
        placed(20),
        avc_order_sync::MalformedOrder {
            purchase_order_number: Some("DFMALF01".into()),
            reason: "`orders[0]` cannot be read: expected a map".into(),
        },
    );

    let report = world.cycle().await;
    assert_eq!(report.unnumbered, 1, "{report}");
    let unnumbered = report
        .set_aside
        .iter()
        .find(|s| s.key.is_none())
        .expect("reported");
    let place = unnumbered.place.as_ref().expect("with its place");
    assert_eq!(place.listing, "RP retrieval");
    assert_eq!(place.page, 1);
    assert!(place.window_start < place.window_end);
    let text = report.to_string();
    assert!(text.contains("1 without a PO number"), "{text}");
    assert!(text.contains("RP retrieval, window"), "{text}");

    // The one whose number could be read is kept.
    assert!(world.unreadable(&df_key("DFMALF01")), "{}", world.table());
    assert!(world.status(&retail_key("GOOD0003")).is_some());
}
