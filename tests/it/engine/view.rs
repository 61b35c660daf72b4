//! The operator's view through the engine: one order's view, filtered pages, counts,
//! and their JSON.

use avc_order_sync::lifecycle::StateKind;
use avc_order_sync::testing::catalogue_settings;
use avc_order_sync::testing::orders::{PRODUCTS, RetailLine, RetailOrderBuilder};
use avc_order_sync::{
    AcknowledgementAnswer, OrderFilter, PageRequest, Program, StatusGroup, TimeField,
};
use chrono::TimeDelta;

use crate::it::support::engine::*;

fn po(number: &str, minutes_ago: i64) -> avc_order_sync::amazon::retail::Order {
    let a = &PRODUCTS[0];
    RetailOrderBuilder::new(number, placed(minutes_ago))
        .line(RetailLine::eaches(a.asin, a.vendor_sku, 6, a.net_cost))
        .build()
}

#[tokio::test]
async fn the_operator_pages_through_a_group_and_opens_one_order() {
    let world = World::new(catalogue_settings(false, false));
    let numbers = ["VIEW0001", "VIEW0002", "VIEW0003"];
    for (i, n) in numbers.iter().enumerate() {
        world.amazon.add_retail_order(po(n, 30 + i as i64)).unwrap();
    }
    world
        .run_until("every order waits for approval", |w| {
            numbers
                .iter()
                .all(|n| w.status(&retail_key(n)) == Some(StateKind::ExpectApproval))
        })
        .await;

    let counts: std::collections::BTreeMap<_, _> = world
        .engine
        .group_counts()
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(counts[&StatusGroup::WaitingForApproval], 3);
    assert_eq!(counts[&StatusGroup::Open], 3);
    assert_eq!(counts[&StatusGroup::NeedsAttention], 0);

    // Two pages of two: each order once.
    let filter = OrderFilter::group(StatusGroup::WaitingForApproval);
    let first = world
        .engine
        .orders(&filter, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(first.orders.len(), 2);
    let second = world
        .engine
        .orders(
            &filter,
            &PageRequest {
                limit: 2,
                after: first.next.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(second.orders.len(), 1);
    assert_eq!(second.next, None);
    let mut seen: Vec<String> = first
        .orders
        .iter()
        .chain(&second.orders)
        .map(|o| o.key.number.to_string())
        .collect();
    seen.sort();
    assert_eq!(seen, numbers);
    assert!(
        first
            .orders
            .iter()
            .chain(&second.orders)
            .all(|o| o.state == StateKind::ExpectApproval && o.internal_id.is_some())
    );

    // Another program, or a time before any order, finds none.
    let df = OrderFilter {
        program: Some(Program::DirectFulfillment),
        ..filter.clone()
    };
    let page = world.engine.orders(&df, &PageRequest::first(10)).await;
    assert!(page.unwrap().orders.is_empty());
    let old = OrderFilter {
        time: TimeField::Created,
        until: Some(start() - TimeDelta::days(1)),
        ..filter.clone()
    };
    let page = world.engine.orders(&old, &PageRequest::first(10)).await;
    assert!(page.unwrap().orders.is_empty());

    // The reviewer approves one; once Amazon confirms, its view shows the
    // acknowledgement and the history that led there.
    let key = retail_key("VIEW0001");
    world.netsuite.approve(&eid(&key)).unwrap();
    world
        .run_until_status(&key, StateKind::ExpectShipment)
        .await;
    let view = world.engine.order(&key).await.unwrap().expect("the order");
    assert_eq!(view.summary.state, StateKind::ExpectShipment);
    assert_eq!(view.summary.status, "Order posted, awaiting shipment");
    assert_eq!(view.external_id, eid(&key));
    assert!(view.summary.internal_id.is_some());
    assert_eq!(
        view.acknowledgement_deadline,
        view.ordered_at + TimeDelta::hours(24)
    );
    let [ack] = view.acknowledgements.as_slice() else {
        panic!("one acknowledgement: {:?}", view.acknowledgements);
    };
    assert!(matches!(
        ack.answer,
        AcknowledgementAnswer::Confirmed { .. }
    ));
    assert_eq!(ack.lines.len(), 1);
    assert_eq!(ack.lines[0].code, "Accepted");
    assert_eq!(ack.lines[0].eaches, Some(6));
    let states: Vec<StateKind> = view.history.iter().map(|h| h.to).collect();
    assert_eq!(states.first(), Some(&StateKind::ExpectSalesOrderCreated));
    assert_eq!(states.last(), Some(&StateKind::ExpectShipment));
    assert!(states.contains(&StateKind::ExpectApproval));
    assert!(view.history.windows(2).all(|w| w[0].at <= w[1].at));

    // The JSON shape is versioned and carries the typed state beside the wording.
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["schemaVersion"], 1);
    assert_eq!(json["state"], "ExpectShipment");
    assert_eq!(json["status"], "Order posted, awaiting shipment");
    assert_eq!(json["acknowledgements"][0]["answer"]["kind"], "confirmed");

    // The page of the group no longer holds it, and a missing order has no view.
    let page = world
        .engine
        .orders(&filter, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.orders.len(), 2);
    assert!(
        world
            .engine
            .order(&retail_key("NOSUCH01"))
            .await
            .unwrap()
            .is_none()
    );
}
