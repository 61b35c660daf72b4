//! Direct Fulfillment orders Amazon cancels after the engine read them: a consumer's
//! order listed only by its creation date is found again by the check for cancelled
//! orders, at most once per interval, and its sales order is closed in whatever state
//! the order waits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use avc_order_sync::OrderKey;
use avc_order_sync::amazon::direct_fulfillment as df;
use avc_order_sync::lifecycle::{EventKind, StateKind};
use avc_order_sync::testing::orders::{self, purchase_order_number};
use avc_order_sync::testing::{
    AmazonOperation, Before, InterceptedDirectFulfillment, NetSuiteOperation, catalogue_settings,
};
use avc_order_sync::{
    ClientError, DirectFulfillmentOrdersApi, ErrorKind, NetSuiteStatus, OrderQuery, WindowKind,
};
use avc_order_sync::{Clients, CycleReport, Engine, EngineConfig};
use chrono::TimeDelta;

use crate::it::support::engine::*;

const POSTED: StateKind = StateKind::ExpectShipment;
const WAITING: StateKind = StateKind::ExpectApproval;

/// Orders wait for a reviewer in both programs.
fn manual() -> avc_order_sync::Settings {
    catalogue_settings(false, false)
}

/// The engine's defaults (a check every 30 minutes over the last 7 days), reaching back
/// a day on the first retrieval.
fn world() -> World {
    World::new(manual())
}

/// A world whose check for cancelled orders runs every `minutes`.
fn checking_every(minutes: u64) -> World {
    World::new(manual()).with_config(EngineConfig {
        cancellation_check_interval: Duration::from_secs(60 * minutes),
        ..config()
    })
}

/// A Direct Fulfillment order placed `minutes` before the story starts, received by
/// the first cycle.
fn received(world: &World, n: u64, minutes: i64) -> OrderKey {
    let number = purchase_order_number(n);
    world
        .amazon
        .add_df_order(orders::df_order(&number, placed(minutes), 2))
        .unwrap();
    df_key(&number)
}

/// Runs a cycle every five minutes until the order shows `status`, at most `limit`
/// minutes; returns how long it took.
async fn every_five_minutes_until(
    world: &World,
    key: &OrderKey,
    state: StateKind,
    limit: i64,
) -> TimeDelta {
    let from = world.now();
    loop {
        world.wait(5);
        let report = world.cycle().await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        if world.status(key) == Some(state) {
            return world.now() - from;
        }
        assert!(
            world.now() - from <= TimeDelta::minutes(limit),
            "{key} is still {:?} after {limit} minutes\n{}",
            world.status(key),
            world.table()
        );
    }
}

fn events(world: &World, key: &OrderKey) -> Vec<EventKind> {
    world
        .stored(key)
        .record
        .history()
        .iter()
        .map(|h| h.event)
        .collect()
}

fn get_orders(world: &World) -> u64 {
    world.amazon.calls(AmazonOperation::GetOrders)
}

/// The order ended as Amazon cancelled it: its sales order closed, "Canceled".
async fn cancelled_by_amazon(world: &World, key: &OrderKey) {
    assert_eq!(world.status(key), Some(StateKind::Cancelled));
    assert_eq!(
        world.line(key).await.reason.as_deref(),
        Some("cancelled by Amazon")
    );
    assert!(events(world, key).contains(&EventKind::PurchaseOrderCancelled));
    let so = world.sales_order(key).expect("the sales order exists");
    assert_eq!(so.status, NetSuiteStatus::Closed);
    assert!(so.lines.iter().all(|l| l.is_closed));
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_waiting_for_approval_that_amazon_cancels_is_closed_within_one_check_interval() {
    // A consumer's order arrives and waits in NetSuite for a reviewer.
    let world = world();
    let key = received(&world, 701, 30);
    let report = world.cycle().await;
    assert_eq!(report.new_orders, 1);
    assert_eq!(world.status(&key), Some(WAITING));
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::PendingApproval
    );
    // The first cycle only starts the interval: what it read came with its status.
    assert_eq!(get_orders(&world), 1);

    // A minute later the consumer cancels. Nobody touches the order in NetSuite, and
    // no listing by creation date shows it again; the check for cancelled orders
    // finds it, closes the sales order, and the order is "Canceled".
    world.wait(1);
    world.amazon.cancel_df_order(key.number.as_str()).unwrap();
    let took = every_five_minutes_until(&world, &key, StateKind::Cancelled, 30).await;
    assert!(took <= TimeDelta::minutes(30), "{took}");
    cancelled_by_amazon(&world, &key).await;
    // Nothing was ever sent to Amazon for it, and the sales order was made once.
    assert!(world.acknowledgements(&key).is_empty());
    assert_eq!(
        world.amazon.calls(AmazonOperation::SubmitDfAcknowledgement),
        0
    );
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);

    // Later checks list it again and leave it as it is.
    for _ in 0..12 {
        world.wait(5);
        let report = world.cycle().await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert!(report.orders.is_empty(), "{:?}", report.orders);
    }
    assert_eq!(world.netsuite.calls(NetSuiteOperation::CloseSalesOrder), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn the_check_runs_at_most_once_per_interval_whichever_worker_runs_the_cycle() {
    let world = world();
    let key = received(&world, 702, 30);
    let other = world.another_engine();
    // Two hours of cycles every five minutes, taken in turn by two workers on one
    // store: each cycle lists Direct Fulfillment orders by creation once (one page),
    // and the cycles at 30, 60, 90 and 120 minutes list the cancelled ones once more.
    let mut checks = Vec::new();
    for i in 0..=24u64 {
        let before = get_orders(&world);
        let engine = if i % 2 == 0 { &world.engine } else { &other };
        let report = engine.run_cycle().await.unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let calls = get_orders(&world) - before;
        assert_eq!(report.calls.get("getOrders").copied(), Some(calls));
        match calls {
            1 => {}
            2 => checks.push(5 * i),
            _ => panic!("{calls} getOrders calls in the cycle at {} minutes", 5 * i),
        }
        world.wait(5);
    }
    assert_eq!(checks, [30, 60, 90, 120]);
    assert_eq!(world.status(&key), Some(WAITING));
}

#[tokio::test(flavor = "current_thread")]
async fn a_lookback_over_seven_days_is_read_in_windows_of_seven_days_at_most() {
    let world = World::new(manual()).with_config(EngineConfig {
        first_lookback: Duration::from_secs(9 * 24 * 3600),
        cancellation_lookback: Duration::from_secs(10 * 24 * 3600),
        ..config()
    });
    let eight_days = received(&world, 703, 8 * 24 * 60);
    let two_days = received(&world, 704, 2 * 24 * 60);
    world.cycle().await;
    assert_eq!(world.status(&eight_days), Some(WAITING));
    assert_eq!(world.status(&two_days), Some(WAITING));
    // An order placed before the sync's start, never received: cancelled, it needs
    // nothing.
    let unseen = purchase_order_number(705);
    world
        .amazon
        .add_df_order(orders::df_order(&unseen, placed(9 * 24 * 60 + 30), 1))
        .unwrap();
    for key in [&eight_days, &two_days] {
        world.amazon.cancel_df_order(key.number.as_str()).unwrap();
    }
    world.amazon.cancel_df_order(&unseen).unwrap();

    // Half an hour later the check reads ten days in two windows (the simulator, as
    // Amazon, refuses one over seven days), and cancels both orders it holds.
    world.wait(30);
    let before = get_orders(&world);
    let report = world.cycle().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(get_orders(&world) - before, 1 + 2);
    cancelled_by_amazon(&world, &eight_days).await;
    cancelled_by_amazon(&world, &two_days).await;
    assert_eq!(
        world.status(&df_key(&unseen)),
        None,
        "an order never received stays out of the store"
    );
    assert_eq!(report.new_orders, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_cancelled_after_it_was_acknowledged_and_confirmed_is_closed() {
    let world = world();
    let key = received(&world, 706, 30);
    world.cycle().await;
    world.netsuite.approve(&eid(&key)).unwrap();
    world.run_until_status(&key, POSTED).await;
    assert_eq!(
        world.amazon.df_status(key.number.as_str()),
        Some(df::OrderStatus::Accepted)
    );
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::PendingFulfillment
    );

    // The consumer cancels before it ships: the order waiting to ship is closed within
    // an interval, and nothing more goes to Amazon.
    world.amazon.cancel_df_order(key.number.as_str()).unwrap();
    let took = every_five_minutes_until(&world, &key, StateKind::Cancelled, 35).await;
    assert!(took <= TimeDelta::minutes(35), "{took}");
    cancelled_by_amazon(&world, &key).await;
    assert_eq!(world.acknowledgements(&key).len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_waiting_for_its_sales_order_to_be_created_is_closed() {
    // NetSuite fails every create: the order waits for its sales order, and none
    // exists.
    let world = checking_every(5);
    let key = received(&world, 707, 30);
    world
        .netsuite
        .fail_next(NetSuiteOperation::UpsertSalesOrder, 50);
    world.cycle().await;
    assert_eq!(
        world.stored(&key).record.state().kind(),
        StateKind::ExpectSalesOrderCreated
    );
    world.wait(1);
    world.amazon.cancel_df_order(key.number.as_str()).unwrap();
    every_five_minutes_until(&world, &key, StateKind::Cancelled, 5).await;
    assert_eq!(world.sales_order(&key), None);
    assert_eq!(world.netsuite.creations(&eid(&key)), 0);
    assert!(events(&world, &key).contains(&EventKind::PurchaseOrderCancelled));

    // The create takes effect but its answer is lost, and NetSuite fails the creates
    // after it: the sales order that create made is closed all the same.
    let world = checking_every(5);
    let key = received(&world, 708, 30);
    world
        .netsuite
        .fail_next_after_effect(NetSuiteOperation::UpsertSalesOrder, 1);
    world
        .netsuite
        .fail_next(NetSuiteOperation::UpsertSalesOrder, 50);
    world.cycle().await;
    assert_eq!(
        world.stored(&key).record.state().kind(),
        StateKind::ExpectSalesOrderCreated
    );
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::PendingApproval
    );
    world.wait(1);
    world.amazon.cancel_df_order(key.number.as_str()).unwrap();
    every_five_minutes_until(&world, &key, StateKind::Cancelled, 5).await;
    cancelled_by_amazon(&world, &key).await;
    assert_eq!(world.netsuite.creations(&eid(&key)), 1);
    assert!(world.acknowledgements(&key).is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_whose_acknowledgement_awaits_amazons_answer_is_closed() {
    // Approved and acknowledged; Amazon takes its time over the transaction.
    let world = checking_every(5);
    world
        .amazon
        .set_processing_time(Duration::from_secs(3 * 3600));
    let key = received(&world, 718, 30);
    world.cycle().await;
    world.netsuite.approve(&eid(&key)).unwrap();
    world.wait(1);
    world.cycle().await;
    assert_eq!(world.acknowledgements(&key).len(), 1);
    assert_eq!(
        world.stored(&key).record.state().kind(),
        StateKind::ExpectAcknowledgementConfirmation
    );

    // The consumer cancels while the acknowledgement is being processed: the order is
    // closed at the next check, without waiting for the transaction.
    world.amazon.cancel_df_order(key.number.as_str()).unwrap();
    every_five_minutes_until(&world, &key, StateKind::Cancelled, 5).await;
    cancelled_by_amazon(&world, &key).await;
    assert_eq!(world.acknowledgements(&key).len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_whose_acknowledgement_answer_was_lost_is_closed_once_the_wait_is_over() {
    // The acknowledgement reaches Amazon but its answer is lost: the engine does not
    // know whether it landed, and waits before checking.
    let world = checking_every(5);
    let key = received(&world, 709, 30);
    world.cycle().await;
    world.netsuite.approve(&eid(&key)).unwrap();
    world
        .amazon
        .fail_next_after_effect(AmazonOperation::SubmitDfAcknowledgement, 1);
    world.wait(1);
    world.cycle().await;
    assert_eq!(world.acknowledgements(&key).len(), 1);
    assert_eq!(
        world.stored(&key).record.state().kind(),
        StateKind::ExpectAcknowledgementSubmitted
    );

    // Amazon cancels. The check takes it in at once; the close waits until the
    // acknowledgement's answer counts as lost, so nothing races it, and nothing is
    // sent to Amazon again.
    world.amazon.cancel_df_order(key.number.as_str()).unwrap();
    world.wait(5);
    world.cycle().await;
    assert!(events(&world, &key).contains(&EventKind::PurchaseOrderCancelled));
    let limit = world.config.uncertain_submission_wait.as_secs() as i64 / 60 + 10;
    every_five_minutes_until(&world, &key, StateKind::Cancelled, limit).await;
    cancelled_by_amazon(&world, &key).await;
    assert_eq!(world.acknowledgements(&key).len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_the_reviewer_rejected_is_complete_not_cancelled() {
    // Amazon shows a Direct Fulfillment order the vendor rejected as cancelled. Checks
    // run every five minutes, and the engine checks the rejection's transaction only
    // after twenty: the checks see the order cancelled first, and leave it to the
    // transaction.
    let mut config = EngineConfig {
        cancellation_check_interval: Duration::from_secs(5 * 60),
        ..config()
    };
    config.retry.first_check = Duration::from_secs(20 * 60);
    let world = World::new(manual()).with_config(config);
    let key = received(&world, 710, 30);
    world.cycle().await;
    for line in ["00001", "00002"] {
        world.netsuite.close_line(&eid(&key), &seq(line)).unwrap();
    }
    world.wait(1);
    world.cycle().await;
    let acks = world.acknowledgements(&key);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].body["acknowledgementStatus"]["code"], "03");
    world.wait(5);
    world.cycle().await;
    assert_eq!(
        world.amazon.df_status(key.number.as_str()),
        Some(df::OrderStatus::Cancelled)
    );
    assert_eq!(
        world.stored(&key).record.state().kind(),
        StateKind::ExpectAcknowledgementConfirmation
    );

    every_five_minutes_until(&world, &key, StateKind::Closed, 30).await;
    assert!(!events(&world, &key).contains(&EventKind::PurchaseOrderCancelled));
    assert_eq!(
        world.sales_order(&key).unwrap().status,
        NetSuiteStatus::Closed
    );
}

/// Amazon's Direct Fulfillment API through an integrator's client that fails the
/// first `failures` listings of cancelled orders, or (`drops_the_status`) drops their
/// status filter and lists created orders. Returns the engine and the count of cancelled listings asked for.
fn cancelled_listing(
    world: &World,
    failures: usize,
    drops_the_status: bool,
) -> (Engine, Arc<AtomicUsize>) {
    let client = Arc::new(InterceptedDirectFulfillment::new(world.amazon.clone()));
    let asked = Arc::new(AtomicUsize::new(0));
    let failures = AtomicUsize::new(failures);
    let (amazon, counted) = (world.amazon.clone(), asked.clone());
    client.orders.before_async(move |query: &OrderQuery| {
        let cancelled = query.kind == WindowKind::Cancelled;
        if cancelled {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        let failing = cancelled
            && failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        let created = (cancelled && drops_the_status).then(|| OrderQuery {
            kind: WindowKind::Created,
            ..query.clone()
        });
        let amazon = amazon.clone();
        async move {
            if failing {
                return Before::Answer(Err(ClientError::new(ErrorKind::Transient, "getOrders")));
            }
            match created {
                Some(created) => Before::Answer(amazon.orders(&created).await),
                None => Before::Call,
            }
        }
    });
    let engine = world.engine_with(Clients {
        direct_fulfillment: client,
        ..world.simulators()
    });
    (engine, asked)
}

fn check_errors(report: &CycleReport) -> Vec<&String> {
    report
        .errors
        .iter()
        .filter(|e| e.contains("cancellation check") || e.contains("orders Amazon cancelled"))
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_listing_is_reported_and_tried_again_the_next_cycle() {
    let mut world = world();
    let (engine, listed) = cancelled_listing(&world, 2, false);
    world.engine = engine;
    let key = received(&world, 711, 30);
    world.cycle().await;
    world.amazon.cancel_df_order(key.number.as_str()).unwrap();

    // The check due at 30 minutes fails, and so does the next cycle's: each is
    // reported, the order waits.
    world.wait(30);
    for asked in 1..=2 {
        let report = world.cycle().await;
        let errors = check_errors(&report);
        assert_eq!(errors.len(), 1, "{:?}", report.errors);
        assert!(
            errors[0].contains("DF cancellation check stopped"),
            "{errors:?}"
        );
        assert_eq!(report.failed_calls.get("getOrders"), Some(&1));
        assert_eq!(listed.load(Ordering::SeqCst), asked);
        assert_eq!(world.status(&key), Some(WAITING));
        world.wait(5);
    }

    // The cycle after runs it again, though the interval has not passed since the
    // first try, and the order is cancelled.
    let report = world.cycle().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(listed.load(Ordering::SeqCst), 3);
    cancelled_by_amazon(&world, &key).await;
    // Then the interval runs from this check.
    world.wait(25);
    world.cycle().await;
    assert_eq!(listed.load(Ordering::SeqCst), 3);
    world.wait(5);
    world.cycle().await;
    assert_eq!(listed.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "current_thread")]
async fn orders_a_client_lists_as_cancelled_that_do_not_say_so_are_left_alone() {
    // An integrator's client drops `status=CANCELLED`: the check gets every order
    // created in the window. The engine cancels none whose own status is not
    // CANCELLED, and reports them.
    let mut world = world();
    let (engine, _asked) = cancelled_listing(&world, 0, true);
    world.engine = engine;
    let open = received(&world, 712, 30);
    let cancelled = received(&world, 713, 25);
    world.cycle().await;
    world
        .amazon
        .cancel_df_order(cancelled.number.as_str())
        .unwrap();
    world.wait(30);
    let report = world.cycle().await;
    let errors = check_errors(&report);
    assert_eq!(errors.len(), 1, "{:?}", report.errors);
    assert!(
        errors[0].contains(&format!("{open}: listed among the orders Amazon cancelled")),
        "{errors:?}"
    );
    assert_eq!(world.status(&open), Some(WAITING));
    cancelled_by_amazon(&world, &cancelled).await;
}
