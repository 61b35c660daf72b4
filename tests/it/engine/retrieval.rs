//! Retrieval, limits and restarts, end to end through the engine on the simulators:
//! many orders over several windows and pages arrive exactly once, a changed PO is
//! updated and not duplicated, NetSuite's concurrency limit and Amazon's rate limits
//! hold, and a restart repeats nothing.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;

use avc_order_sync::lifecycle::StateKind;
use avc_order_sync::testing::orders::{
    self, DfLine, DfOrderBuilder, PRODUCTS, RetailLine, RetailOrderBuilder, purchase_order_number,
};
use avc_order_sync::testing::{AmazonOperation, NetSuiteOperation, catalogue_settings};
use avc_order_sync::{Cursor, OrderKey, OrderStore, WindowKind};
use avc_order_sync::{EngineConfig, Observer, OperatorAction, SkippedSpan};
use avc_order_sync::{NetSuiteStatus, Program};
use chrono::TimeDelta;

use crate::it::support::engine::*;

const POSTED: StateKind = StateKind::ExpectShipment;
const MINUTE: Duration = Duration::from_secs(60);
const QUARTER_HOUR: Duration = Duration::from_secs(15 * 60);

/// The keys of every order in the store.
fn stored_keys(world: &World) -> BTreeSet<OrderKey> {
    world
        .store
        .snapshot()
        .expect("records decode")
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// Every order Amazon and NetSuite know is in the store once, has one sales order
/// created once, and was acknowledged to Amazon once.
fn exactly_once(world: &World, keys: &BTreeSet<OrderKey>) {
    let stored = stored_keys(world);
    assert_eq!(
        &stored, keys,
        "the store holds exactly the orders Amazon sent"
    );
    assert_eq!(world.netsuite.record_count(), keys.len());
    for key in keys {
        assert_eq!(world.netsuite.creations(&eid(key)), 1, "{key}");
        assert_eq!(
            world.amazon.acknowledgement_count(key.number.as_str()),
            1,
            "{key}"
        );
    }
}

/// No call of any Amazon operation was refused for the rate limit.
fn no_rate_limit_refusals(world: &World) {
    for op in AmazonOperation::ALL {
        assert_eq!(world.amazon.rate_limit_refusals(op), 0, "{op}");
    }
}

/// 250 retail POs and 250 Direct Fulfillment orders, one every 86.4 seconds over the
/// six hours before the story starts (the first half a minute in), picked up by a
/// first retrieval that reaches back six hours in windows of two hours and pages of
/// 20: three windows of five pages per program. Auto acknowledgement is on for both.
async fn three_windows_of_five_pages(shuffle: Option<u64>, overlap: bool) {
    let config = EngineConfig {
        max_window: Duration::from_secs(2 * 3600),
        first_lookback: Duration::from_secs(6 * 3600),
        page_limit: 20,
        ..EngineConfig::default()
    };
    let world = World::new(catalogue_settings(true, true)).with_config(config);
    world.amazon.set_shuffle(shuffle);
    world.amazon.set_page_overlap(overlap);
    let first = start() - TimeDelta::hours(6);
    let mut keys = BTreeSet::new();
    for i in 0..250u64 {
        let at = first + TimeDelta::milliseconds(30_000 + 86_400 * i as i64);
        let retail = purchase_order_number(10_000 + i);
        let df = purchase_order_number(20_000 + i);
        world
            .amazon
            .add_retail_order(orders::retail_order(&retail, at, 1 + i as usize % 3))
            .unwrap();
        world
            .amazon
            .add_df_order(orders::df_order(&df, at, 1 + i as usize % 2))
            .unwrap();
        keys.insert(retail_key(&retail));
        keys.insert(df_key(&df));
    }

    // The first cycle reads every order once: 15 pages of created retail POs and 3
    // windows of changed ones (empty), 15 pages of Direct Fulfillment orders.
    let report = world.cycle().await;
    assert_eq!((report.retrieved, report.new_orders), (500, 500));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.set_aside.is_empty(), "{:?}", report.set_aside);
    // Each window read over several pages is read a second time to confirm nothing
    // shifted between pages: 2 × 15 pages of created retail POs, and more passes where
    // two disagree, plus the 3 (empty) changed windows; 2 × 15 for Direct Fulfillment.
    let retail_calls = report.calls.get("getPurchaseOrders").copied().unwrap_or(0);
    let df_calls = report.calls.get("getOrders").copied().unwrap_or(0);
    assert!((33..=38).contains(&retail_calls), "{retail_calls}");
    assert!((30..=35).contains(&df_calls), "{df_calls}");
    let stored = stored_keys(&world);
    assert_eq!(stored, keys);
    // Acknowledgements go 50 to a request.
    assert_eq!(
        world.amazon.calls(AmazonOperation::SubmitAcknowledgement),
        5
    );
    assert_eq!(
        world.amazon.calls(AmazonOperation::SubmitDfAcknowledgement),
        5
    );

    // Every order is acknowledged, confirmed and posted to NetSuite, once.
    world
        .run_until("every order posted", |w| w.all_show(POSTED))
        .await;
    exactly_once(&world, &keys);
    no_rate_limit_refusals(&world);

    // An hour of later cycles, overlapping windows and all, repeats nothing.
    for _ in 0..12 {
        world.wait(5);
        let report = world.cycle().await;
        assert_eq!(report.new_orders, 0);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }
    exactly_once(&world, &keys);
    assert!(world.all_show(POSTED));
}

#[tokio::test(flavor = "current_thread")]
async fn two_hundred_fifty_orders_over_three_windows_of_five_pages_arrive_exactly_once() {
    three_windows_of_five_pages(None, false).await;
}

#[tokio::test(flavor = "current_thread")]
async fn shuffled_and_overlapping_pages_still_deliver_every_order_exactly_once() {
    three_windows_of_five_pages(Some(7), true).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_retrieval_refused_mid_window_is_resumed_and_misses_nothing() {
    // 60 retail POs over the last three hours, read in windows of an hour and pages of
    // five: four pages a window. The engine is configured for a usage plan of 100
    // requests a second, but Amazon grants the default burst of 10: the eleventh
    // page, the third of the last window, is refused.
    let config = EngineConfig {
        max_window: Duration::from_secs(3600),
        first_lookback: Duration::from_secs(3 * 3600),
        page_limit: 5,
        amazon_rate_per_second: 100,
        amazon_burst: 100,
        ..EngineConfig::default()
    };
    let world = World::new(catalogue_settings(false, false)).with_config(config);
    let mut keys = BTreeSet::new();
    for i in 0..60u64 {
        let number = purchase_order_number(90_000 + i);
        world
            .amazon
            .add_retail_order(orders::retail_order(&number, placed(178 - 3 * i as i64), 1))
            .unwrap();
        keys.insert(retail_key(&number));
    }

    let report = world.cycle().await;
    assert!(
        world
            .amazon
            .rate_limit_refusals(AmazonOperation::GetPurchaseOrders)
            > 0
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("retrieval stopped")),
        "{:?}",
        report.errors
    );
    // Windows of four pages are read twice: the eleventh call is the third page of
    // the second window, so the first window's 20 orders and two pages of the
    // second's are in.
    assert_eq!(report.new_orders, 30);

    // The next cycles read the unfinished window again, from its start, until every
    // window is read (the burst refuses again part-way; nothing is skipped).
    let mut total = report.new_orders;
    for _ in 0..4 {
        world.wait(1);
        total += world.cycle().await.new_orders;
    }
    assert_eq!(total, 60);
    let stored = stored_keys(&world);
    assert_eq!(stored, keys);
    assert_eq!(world.netsuite.record_count(), 60);
    for key in &keys {
        assert_eq!(world.netsuite.creations(&eid(key)), 1);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_po_changed_between_two_cycles_is_updated_not_duplicated() {
    let world = World::new(catalogue_settings(false, false));
    let mut keys = Vec::new();
    for i in 0..20u64 {
        let number = purchase_order_number(30_000 + i);
        world
            .amazon
            .add_retail_order(orders::retail_order(&number, placed(120 - 5 * i as i64), 2))
            .unwrap();
        keys.push(retail_key(&number));
    }
    // The last PO was placed five minutes ago: the next retrieval's created window
    // (which reaches back past the watermark) lists it again, as the changed window
    // will.
    let changed = keys[19].clone();
    let number = changed.number.as_str();
    let report = world.cycle().await;
    assert_eq!(report.new_orders, 20);
    assert!(world.all_show(StateKind::ExpectApproval));
    let before = world.sales_order(&changed).unwrap();

    // Between two cycles Amazon lowers the first line by one case and adds a line.
    world.wait(5);
    let first = world
        .amazon
        .retail_order(number)
        .unwrap()
        .to_purchase_order()
        .unwrap();
    let cases = first.lines[0].ordered.amount;
    world
        .amazon
        .set_retail_quantity(number, "1", cases - 1)
        .unwrap();
    let added = world
        .amazon
        .add_retail_line(number, RetailLine::product(&PRODUCTS[11], 2))
        .unwrap();
    world.wait(5);
    let report = world.cycle().await;

    // The next cycle updates the one sales order in place.
    assert_eq!(report.new_orders, 0);
    assert_eq!(report.retrieved, 1, "the change is taken once");
    assert_eq!(
        report.orders.iter().map(|l| &l.key).collect::<Vec<_>>(),
        [&changed]
    );
    assert_eq!(
        world.netsuite.calls(NetSuiteOperation::UpsertSalesOrder),
        20
    );
    assert_eq!(world.netsuite.calls(NetSuiteOperation::UpdateSalesOrder), 1);
    assert_eq!(world.netsuite.record_count(), 20);
    assert_eq!(world.netsuite.creations(&eid(&changed)), 1);
    let after = world.sales_order(&changed).unwrap();
    assert_eq!(after.internal_id, before.internal_id);
    let unit = first.lines[0].ordered.unit_size;
    assert_eq!(after.lines[0].quantity, before.lines[0].quantity - unit);
    assert_eq!(after.lines.len(), 3);
    assert_eq!(
        after.lines[2].sequence.as_ref().map(|s| s.as_str()),
        Some(added.as_str())
    );
    assert_eq!(after.lines[2].quantity, 2 * PRODUCTS[11].case_size);
    assert_eq!(after.status, NetSuiteStatus::PendingApproval);
    assert_eq!(world.status(&changed), Some(StateKind::ExpectApproval));
    let stored = world.stored(&changed);
    assert_eq!(stored.record.purchase_order().lines.len(), 3);

    // The others are untouched, and a quiet cycle later nothing moves.
    for key in &keys[..19] {
        assert_eq!(world.sales_order(key).unwrap().lines.len(), 2);
    }
    world.wait(5);
    let report = world.cycle().await;
    assert!(report.orders.is_empty(), "{report}");
    assert_eq!(world.netsuite.calls(NetSuiteOperation::UpdateSalesOrder), 1);
    assert_eq!(
        world.netsuite.calls(NetSuiteOperation::UpsertSalesOrder),
        20
    );
}

#[tokio::test(flavor = "current_thread")]
async fn an_approval_whose_read_fails_is_read_again_on_the_next_cycles() {
    // The integrator's scheduler runs the sync every quarter of an hour.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(35_000);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(30), 2))
        .unwrap();
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));

    // The reviewer approves, and NetSuite fails the read of the approved order.
    world.netsuite.approve(&eid(&key)).unwrap();
    world.netsuite.fail_next(NetSuiteOperation::SalesOrder, 1);
    world.wait(15);
    let report = world.cycle().await;
    assert_eq!(
        report.failed_calls.get("netsuite read sales order"),
        Some(&1)
    );
    assert_eq!(world.amazon.acknowledgement_count(&number), 0);

    // The approval is not lost: a later cycle reads it and acknowledges the order.
    for _ in 0..8 {
        world.wait(15);
        world.cycle().await;
    }
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    assert_eq!(world.status(&key), Some(POSTED));
}

/// 30 retail POs for review, with NetSuite answering each call after half a second
/// on the shared clock (sleeping yields, so concurrent calls overlap).
fn thirty_for_review(netsuite_concurrency: usize) -> (World, Vec<OrderKey>) {
    let config = EngineConfig {
        netsuite_concurrency,
        ..config()
    };
    let world = World::new(catalogue_settings(false, false)).with_config(config);
    world.netsuite.set_concurrency_limit(Some(2));
    world.netsuite.set_latency(Duration::from_millis(500));
    let keys = (0..30u64)
        .map(|i| {
            let number = purchase_order_number(40_000 + i);
            world
                .amazon
                .add_retail_order(orders::retail_order(&number, placed(90 - i as i64), 2))
                .unwrap();
            retail_key(&number)
        })
        .collect();
    (world, keys)
}

#[tokio::test(flavor = "current_thread")]
async fn a_netsuite_concurrency_limit_of_two_is_never_exceeded() {
    let (world, keys) = thirty_for_review(2);

    // Thirty sales orders are created two at a time.
    world.cycle().await;
    assert!(
        world.all_show(StateKind::ExpectApproval),
        "{}",
        world.table()
    );
    assert_eq!(world.netsuite.peak_in_flight(), 2, "calls overlap");
    assert_eq!(world.netsuite.peak_requested(), 2);
    assert_eq!(world.netsuite.concurrency_refusals(), 0);

    // The reviewer approves them all: thirty reads, two at a time, and the rest of
    // the story never asks NetSuite for more either.
    for key in &keys {
        world.netsuite.approve(&eid(key)).unwrap();
    }
    world
        .run_until("every order posted", |w| w.all_show(POSTED))
        .await;
    assert_eq!(world.netsuite.calls(NetSuiteOperation::SalesOrder), 30);
    assert_eq!(world.netsuite.peak_requested(), 2);
    assert_eq!(world.netsuite.concurrency_refusals(), 0);
    for key in &keys {
        assert_eq!(world.netsuite.creations(&eid(key)), 1);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn calls_over_the_netsuite_limit_are_refused_and_retried_until_every_order_syncs() {
    // The engine is allowed five calls at once; the account takes two.
    let (world, keys) = thirty_for_review(5);
    world.cycle().await;
    assert!(world.netsuite.concurrency_refusals() > 0);
    assert!(world.netsuite.peak_requested() > 2);
    assert_eq!(world.netsuite.peak_in_flight(), 2);
    assert!(
        keys.iter()
            .any(|k| world.status(k) == Some(StateKind::ExpectSalesOrderCreated)),
        "some creates wait for a retry"
    );

    // The refused creates are retried until every order is in NetSuite, once.
    world
        .run_until("every order in NetSuite", |w| {
            w.all_show(StateKind::ExpectApproval)
        })
        .await;
    assert_eq!(world.netsuite.record_count(), 30);
    for key in &keys {
        assert_eq!(world.netsuite.creations(&eid(key)), 1);
        assert_eq!(
            world.sales_order(key).unwrap().status,
            NetSuiteStatus::PendingApproval
        );
    }

    // The reviewer approves them all at once: the reads of the approved orders are
    // refused too, and retried until every order is acknowledged and posted.
    let refused = world.netsuite.concurrency_refusals();
    for key in &keys {
        world.netsuite.approve(&eid(key)).unwrap();
    }
    world
        .run_until("every order posted", |w| w.all_show(POSTED))
        .await;
    assert!(world.netsuite.concurrency_refusals() > refused);
    for key in &keys {
        assert_eq!(world.amazon.acknowledgement_count(key.number.as_str()), 1);
        assert_eq!(world.netsuite.creations(&eid(key)), 1);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_engine_paces_itself_under_amazons_rate_limits() {
    // Amazon's default usage plans are on: 10 requests a second, burst 10 (20 for
    // retail getTransaction). Pages of 5 and one acknowledgement a request make many
    // calls per operation in one cycle.
    let config = EngineConfig {
        page_limit: 5,
        acknowledgement_batch_size: 1,
        ..config()
    };
    let world = World::new(catalogue_settings(true, true)).with_config(config);
    for i in 0..40u64 {
        let retail = purchase_order_number(50_000 + i);
        let df = purchase_order_number(60_000 + i);
        let at = placed(200 - 4 * i as i64);
        world
            .amazon
            .add_retail_order(orders::retail_order(&retail, at, 1))
            .unwrap();
        world
            .amazon
            .add_df_order(orders::df_order(&df, at, 1))
            .unwrap();
    }

    let report = world.cycle().await;
    assert_eq!(report.new_orders, 80);
    // 8 pages each, read twice (a second pass confirms nothing shifted), plus the
    // changed window for retail.
    assert_eq!(world.amazon.calls(AmazonOperation::GetPurchaseOrders), 17);
    assert_eq!(world.amazon.calls(AmazonOperation::GetOrders), 16);
    assert_eq!(
        world.amazon.calls(AmazonOperation::SubmitAcknowledgement),
        40
    );
    assert_eq!(
        world.amazon.calls(AmazonOperation::SubmitDfAcknowledgement),
        40
    );
    no_rate_limit_refusals(&world);
    // 40 submissions of one operation at 10 a second after a burst of 10 take at
    // least three seconds, slept on the clock.
    assert!(
        world.clock.total_slept() >= Duration::from_secs(3),
        "{:?}",
        world.clock.total_slept()
    );
    assert!(report.failed_calls.is_empty(), "{:?}", report.failed_calls);

    // Following 80 transactions to the end stays within the limits too.
    world
        .run_until("every order posted", |w| w.all_show(POSTED))
        .await;
    no_rate_limit_refusals(&world);
    assert!(world.amazon.calls(AmazonOperation::GetTransaction) >= 40);
    assert!(world.amazon.calls(AmazonOperation::GetTransactionStatus) >= 40);
}

/// Five retail POs acknowledged automatically and five Direct Fulfillment orders for
/// review.
fn mixed_orders(world: &World) -> (Vec<OrderKey>, Vec<OrderKey>) {
    let mut retail = Vec::new();
    let mut df = Vec::new();
    for i in 0..5u64 {
        let r = purchase_order_number(70_000 + i);
        let d = purchase_order_number(80_000 + i);
        world
            .amazon
            .add_retail_order(
                RetailOrderBuilder::new(&r, placed(60 - i as i64))
                    .line(RetailLine::product(&PRODUCTS[i as usize], 2))
                    .build(),
            )
            .unwrap();
        world
            .amazon
            .add_df_order(
                DfOrderBuilder::new(&d, placed(50 - i as i64))
                    .line(DfLine::product(&PRODUCTS[i as usize + 5], 1))
                    .build(),
            )
            .unwrap();
        retail.push(retail_key(&r));
        df.push(df_key(&d));
    }
    (retail, df)
}

#[tokio::test(flavor = "current_thread")]
async fn a_restart_after_lost_answers_repeats_nothing() {
    let mut world = World::new(catalogue_settings(true, false));
    let (retail, df) = mixed_orders(&world);

    // Amazon takes the batch of retail acknowledgements, and NetSuite creates three
    // of the sales orders, but none of those answers comes back. Then the process
    // dies.
    world
        .amazon
        .fail_next_after_effect(AmazonOperation::SubmitAcknowledgement, 1);
    world
        .netsuite
        .fail_next_after_effect(NetSuiteOperation::UpsertSalesOrder, 3);
    world.cycle().await;
    assert_eq!(world.amazon.acknowledgements().len(), 5);
    assert_eq!(world.netsuite.record_count(), 5);
    assert!(
        df.iter()
            .filter(|k| world.status(k) == Some(StateKind::ExpectSalesOrderCreated))
            .count()
            >= 3
    );
    world.restart();

    // The new process finds what is unanswered and finishes it, repeating nothing.
    world
        .run_until("retail posted, Direct Fulfillment awaiting review", |w| {
            retail.iter().all(|k| w.status(k) == Some(POSTED))
                && df
                    .iter()
                    .all(|k| w.status(k) == Some(StateKind::ExpectApproval))
        })
        .await;
    assert_eq!(world.amazon.acknowledgements().len(), 5);
    for key in retail.iter().chain(&df) {
        assert_eq!(world.netsuite.creations(&eid(key)), 1, "{key}");
    }

    // The reviewer approves the Direct Fulfillment orders; again Amazon takes them
    // but the answer is lost, and the process restarts.
    for key in &df {
        world.netsuite.approve(&eid(key)).unwrap();
    }
    world
        .amazon
        .fail_next_after_effect(AmazonOperation::SubmitDfAcknowledgement, 1);
    world.wait(1);
    world.cycle().await;
    world.restart();
    world
        .run_until("every order posted", |w| w.all_show(POSTED))
        .await;
    let keys: BTreeSet<OrderKey> = retail.into_iter().chain(df).collect();
    exactly_once(&world, &keys);
}

#[tokio::test(flavor = "current_thread")]
async fn a_reposted_acknowledgement_whose_answer_is_lost_is_not_sent_twice() {
    // A manual retail order, approved, acknowledged and posted.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(36_000);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(30), 2))
        .unwrap();
    world.cycle().await;
    world.netsuite.approve(&eid(&key)).unwrap();
    world.run_until_status(&key, POSTED).await;
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);

    // The reviewer ships one case fewer and the operator reposts; Amazon takes the
    // new version, but its answer is lost.
    let po = world.stored(&key).record.purchase_order().clone();
    let kept = world.sales_order(&key).unwrap().lines[0].quantity - po.lines[0].ordered.unit_size;
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq(po.lines[0].sequence.as_str()), kept)
        .unwrap();
    world
        .amazon
        .fail_next_after_effect(AmazonOperation::SubmitAcknowledgement, 1);
    world.act(&key, OperatorAction::Repost).await.unwrap();
    assert_eq!(world.amazon.acknowledgement_count(&number), 2);

    // The PO was already Acknowledged by the first version, so its state cannot tell
    // whether the second landed; Amazon's record of each acknowledgement can. The
    // second version is confirmed without being sent again.
    for _ in 0..12 {
        world.wait(15);
        world.cycle().await;
    }
    assert_eq!(world.status(&key), Some(POSTED));
    assert_eq!(
        world
            .stored(&key)
            .record
            .confirmed_acknowledgement()
            .map(|c| c.version.0),
        Some(2)
    );
    assert_eq!(world.amazon.acknowledgement_count(&number), 2);
}

/// Polls `future` at most `polls` times, as an executor would, and drops it there:
/// a process killed at whatever await it had reached.
fn run_for<F: Future>(future: F, polls: usize) -> bool {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..polls {
        if future.as_mut().poll(&mut cx).is_ready() {
            return true;
        }
    }
    false
}

/// The scheduler and the reviewer: `cycles` cycles `every` apart, approving every
/// sales order that waits for approval.
async fn operate(world: &World, cycles: usize, every: Duration) {
    for _ in 0..cycles {
        world.engine.run_cycle().await.expect("the cycle runs");
        for id in world.netsuite.external_ids() {
            if world
                .netsuite
                .snapshot(&id)
                .is_some_and(|so| so.status == NetSuiteStatus::PendingApproval)
            {
                world.netsuite.approve(&id).unwrap();
            }
        }
        world.clock.advance(every);
    }
}

fn crash_world() -> (World, BTreeSet<OrderKey>) {
    let world = World::new(catalogue_settings(true, false));
    world.amazon.set_latency(Duration::from_millis(100));
    world.netsuite.set_latency(Duration::from_millis(100));
    let (retail, df) = mixed_orders(&world);
    (world, retail.into_iter().chain(df).collect())
}

/// How many polls `future` takes to finish.
fn polls_to_finish<F: Future>(future: F) -> usize {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 1;
    while future.as_mut().poll(&mut cx).is_pending() {
        polls += 1;
    }
    polls
}

#[tokio::test(flavor = "current_thread")]
async fn killing_the_engine_at_any_await_repeats_nothing_after_a_restart() {
    // The scheduler runs the sync every minute, or every quarter of an hour. Every
    // call to Amazon or NetSuite sleeps on the clock, so each is a point where the
    // process can die with its request unsent: count them over the story, then kill
    // the process at each in turn.
    for (cycles, every) in [(40, MINUTE), (12, QUARTER_HOUR)] {
        let (world, _) = crash_world();
        let polls = polls_to_finish(operate(&world, cycles, every));
        assert!(world.all_show(POSTED), "{}", world.table());
        // At least one await point per cycle; concurrent calls (retrievals side by
        // side, NetSuite beside Amazon) finish together, so there are fewer points
        // than calls.
        assert!(polls > cycles, "{polls}");

        for killed_at in 1..polls {
            let (mut world, keys) = crash_world();
            assert!(!run_for(operate(&world, cycles, every), killed_at));
            // A quarter of an hour later a new process starts on the same store, and
            // runs every quarter of an hour for a day.
            world.wait(15);
            world.restart();
            operate(&world, 96, QUARTER_HOUR).await;
            assert!(
                world.all_show(POSTED),
                "every {every:?}, killed at poll {killed_at}:\n{}",
                world.table()
            );
            exactly_once(&world, &keys);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn two_engines_on_one_store_never_both_act_on_an_order() {
    // Two workers run the sync at the same moments on one store; their calls
    // interleave on the clock, and each paces itself as if it were alone.
    let (world, keys) = crash_world();
    let second = world.another_engine();
    for _ in 0..120 {
        let (a, b) = tokio::join!(world.engine.run_cycle(), second.run_cycle());
        a.unwrap();
        b.unwrap();
        for key in keys
            .iter()
            .filter(|k| k.program == Program::DirectFulfillment)
        {
            if world
                .sales_order(key)
                .is_some_and(|so| so.status == NetSuiteStatus::PendingApproval)
            {
                world.netsuite.approve(&eid(key)).unwrap();
            }
        }
        world.wait(1);
    }
    assert!(world.all_show(POSTED), "{}", world.table());
    exactly_once(&world, &keys);
}

/// After a stop longer than Amazon's six months, every retrieval starts at the oldest
/// time Amazon lists instead of at its watermark, which Amazon would refuse every
/// cycle: the orders placed since reach NetSuite, and the report names the span no
/// longer listed.
#[tokio::test(flavor = "current_thread")]
async fn after_a_seven_month_stop_retrieval_resumes_at_amazons_horizon() {
    #[derive(Default)]
    struct Skips(std::sync::Mutex<Vec<SkippedSpan>>);
    impl Observer for Skips {
        fn skipped(&self, span: &SkippedSpan) {
            self.0.lock().unwrap().push(span.clone());
        }
    }
    let mut world = World::new(catalogue_settings(true, true));
    let (before_rp, before_df) = (purchase_order_number(1), purchase_order_number(2));
    world
        .amazon
        .add_retail_order(orders::retail_order(&before_rp, placed(60), 1))
        .unwrap();
    world
        .amazon
        .add_df_order(orders::df_order(&before_df, placed(60), 1))
        .unwrap();
    world
        .run_until("both orders posted", |w| w.all_show(POSTED))
        .await;
    let stopped_at = world.now();

    // Seven months stopped. An order placed a day into the stop is past Amazon's
    // horizon by now; one placed a month ago is not.
    world.clock.advance(Duration::from_secs(212 * 24 * 3600));
    let now = world.now();
    let (lost, recent_rp, recent_df) = (
        purchase_order_number(3),
        purchase_order_number(4),
        purchase_order_number(5),
    );
    world
        .amazon
        .add_retail_order(orders::retail_order(
            &lost,
            stopped_at + TimeDelta::days(1),
            1,
        ))
        .unwrap();
    world
        .amazon
        .add_retail_order(orders::retail_order(
            &recent_rp,
            now - TimeDelta::days(30),
            1,
        ))
        .unwrap();
    world
        .amazon
        .add_df_order(orders::df_order(&recent_df, now - TimeDelta::days(30), 1))
        .unwrap();

    let skips = Arc::new(Skips::default());
    world.engine = world.another_engine().with_observer(skips.clone());
    let report = world.cycle().await;
    assert!(report.errors.is_empty(), "{report}");
    assert_eq!(
        *skips.0.lock().unwrap(),
        report.skipped,
        "the observer is told"
    );
    let oldest = now - TimeDelta::days(180);
    let mut skipped: Vec<_> = report
        .skipped
        .iter()
        .map(|s| (format!("{:?}", s.cursor), s.until))
        .collect();
    skipped.sort();
    assert_eq!(skipped.len(), 3, "{report}");
    // Each retrieval reads the clock when it starts; the simulated calls before it
    // take a moment.
    assert!(
        skipped
            .iter()
            .all(|(_, until)| *until >= oldest && *until - oldest < TimeDelta::minutes(1)),
        "{report}"
    );
    assert!(
        report
            .skipped
            .iter()
            .all(|s| s.from <= stopped_at && s.from > placed(60)),
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("skipped: retail orders created from "),
        "{text}"
    );
    assert!(text.contains("Amazon lists six months back only"), "{text}");

    world
        .run_until("the orders placed within six months posted", |w| {
            [retail_key(recent_rp.as_str()), df_key(recent_df.as_str())]
                .iter()
                .all(|k| w.status(k) == Some(POSTED))
        })
        .await;
    // The watermarks moved on: nothing is skipped again, and nothing older than six
    // months was asked for.
    let report = world.cycle().await;
    assert!(report.skipped.is_empty(), "{report}");
    assert!(report.errors.is_empty(), "{report}");
    assert_eq!(world.status(&retail_key(lost.as_str())), None);
}

#[tokio::test(flavor = "current_thread")]
async fn a_lost_answer_to_an_acknowledgement_that_rejects_a_line_is_not_sent_twice() {
    // A manual retail order of two lines; the reviewer closes line 1 and approves, so
    // the acknowledgement rejects that line in full. Amazon takes it, but its answer
    // is lost.
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(36_100);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(30), 2))
        .unwrap();
    world.cycle().await;
    let po = world.stored(&key).record.purchase_order().clone();
    world
        .netsuite
        .close_line(&eid(&key), &seq(po.lines[0].sequence.as_str()))
        .unwrap();
    world.netsuite.approve(&eid(&key)).unwrap();
    world
        .amazon
        .fail_next_after_effect(AmazonOperation::SubmitAcknowledgement, 1);
    for _ in 0..12 {
        world.wait(15);
        world.cycle().await;
    }

    // Amazon's status report leaves the rejected line's accepted quantity out: that
    // is zero, so it shows version 1 landed, and version 1 is not sent again.
    assert_eq!(world.status(&key), Some(POSTED));
    let versions: Vec<_> = world
        .acknowledgements(&key)
        .iter()
        .map(|a| a.body["purchaseOrderNumber"].clone())
        .collect();
    assert_eq!(versions.len(), 1, "Amazon received {versions:?}");
    assert_eq!(
        world
            .stored(&key)
            .record
            .confirmed_acknowledgement()
            .map(|c| c.version.0),
        Some(1)
    );
}

/// The listings' watermarks as the store holds them: both retail windows, Direct
/// Fulfillment's, and NetSuite's changed sales orders.
async fn listing_marks(world: &World) -> Vec<Option<chrono::DateTime<chrono::Utc>>> {
    let mut marks = Vec::new();
    for cursor in [
        Cursor::Retail(WindowKind::Created),
        Cursor::Retail(WindowKind::Changed),
        Cursor::DirectFulfillment,
        Cursor::NetSuiteChanges,
    ] {
        marks.push(world.store.watermark(cursor).await.unwrap());
    }
    marks
}

#[tokio::test(flavor = "current_thread")]
async fn an_idle_cycle_writes_no_watermark_until_the_saved_one_is_ten_minutes_behind() {
    let world = World::new(catalogue_settings(true, true));
    let number = purchase_order_number(77_001);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(30), 1))
        .unwrap();
    world.cycle().await;
    // Hours on, once the order and its sales order have settled and are out of every
    // window's overlap, an idle cycle moves each watermark to its own now.
    world.wait(120);
    world.cycle().await;
    world.wait(20);
    world.cycle().await;
    let settled = listing_marks(&world).await;
    assert!(
        settled.iter().all(|m| *m == Some(world.now())),
        "{settled:?}"
    );
    // Idle cycles within ten minutes of those saves list nothing and write nothing.
    for _ in 0..9 {
        world.wait(1);
        let report = world.cycle().await;
        assert!(report.is_quiet(), "{report:?}");
        assert_eq!(listing_marks(&world).await, settled);
    }
    // An order placed meanwhile is read from the old watermark, and moves the
    // watermark of the window that listed it; the others stay.
    let late = purchase_order_number(77_002);
    world
        .amazon
        .add_retail_order(orders::retail_order(
            &late,
            world.now() - TimeDelta::minutes(1),
            1,
        ))
        .unwrap();
    let report = world.cycle().await;
    assert_eq!(report.new_orders, 1);
    assert!(stored_keys(&world).contains(&retail_key(&late)));
    let marks = listing_marks(&world).await;
    assert_eq!(marks[0], Some(world.now()), "the created window listed it");
    assert_eq!(marks[2], settled[2], "Direct Fulfillment listed nothing");
    // Ten minutes after the saves, an idle listing moves its watermark again.
    world.wait(1);
    world.cycle().await;
    let moved = listing_marks(&world).await;
    assert_eq!(moved[2], Some(world.now()), "{moved:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_change_amazon_makes_to_an_ended_order_is_no_error() {
    // A retail PO acknowledged at once, then cancelled by Amazon: the sync of it is
    // over.
    let world = World::new(catalogue_settings(true, true));
    let number = purchase_order_number(77_101);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(5), 1))
        .unwrap();
    let key = retail_key(&number);
    for _ in 0..3 {
        world.cycle().await;
        world.wait(20);
    }
    let state = |world: &World| world.order(&key).map(|o| o.record.state().kind());
    assert_eq!(state(&world), Some(POSTED));
    world.amazon.cancel_retail_line(&number, "1").unwrap();
    world.wait(1);
    world.cycle().await;
    assert_eq!(state(&world), Some(StateKind::Cancelled));
    let ended = world.order(&key).unwrap();
    // Amazon changes the cancelled PO's copy; the listings that read it again find
    // nothing left to do, and report nothing.
    world
        .amazon
        .set_retail_net_cost(&number, "1", "0.01")
        .unwrap();
    for _ in 0..2 {
        world.wait(1);
        let report = world.cycle().await;
        assert_eq!(report.retrieved, 1, "the changed window lists it");
        assert_eq!(report.errors, Vec::<String>::new());
    }
    assert_eq!(
        world.order(&key).unwrap(),
        ended,
        "the ended order stays as it was"
    );
}
