//! Deep sweeps: an order Amazon lists days late, after the retrieval's watermark
//! passed its date, is not found by the regular cycles; the daily sweep finds it once
//! Amazon lists it, flags it with how late it was found, and raises one notice. The
//! sweep's last run is kept in the store: a restarted engine does not sweep again
//! before its period is over.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use avc_order_sync::lifecycle::{Notice, StateKind};
use avc_order_sync::testing::orders::{self, purchase_order_number};
use avc_order_sync::testing::{
    AmazonOperation, Before, InterceptedDirectFulfillment, catalogue_settings,
};
use avc_order_sync::{ClientError, Clients, EngineConfig, ErrorKind, OrderQuery};
use avc_order_sync::{Cursor, CycleReport, DeepSweep, OrderKey, OrderStore, Program};
use chrono::{DateTime, TimeDelta, Utc};

use crate::it::support::engine::*;

/// The found-late notices raised for `key`.
fn found_late(alerts: &Alerts, key: &OrderKey) -> Vec<Notice> {
    alerts
        .of(key)
        .into_iter()
        .filter(|n| n.slug() == "found-late")
        .collect()
}

fn hours(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}

/// Cycles once an hour, the last at or before `until`; returns the reports.
async fn hourly_until(world: &World, until: DateTime<Utc>) -> Vec<CycleReport> {
    let mut reports = Vec::new();
    while world.now() + hours(1) <= until {
        world.wait(60);
        let report = world.cycle().await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        reports.push(report);
    }
    reports
}

fn sweep_calls(reports: &[CycleReport]) -> u64 {
    reports.iter().map(|r| r.sweep_calls).sum()
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_amazon_lists_three_days_late_is_found_by_the_daily_sweep_and_flagged() {
    // Orders wait for a reviewer; the engine runs with the default sweeps: the last
    // 7 days once a day, the last 30 days once a week.
    let mut world = World::new(catalogue_settings(false, false));
    assert_eq!(world.config.deep_sweeps, DeepSweep::DEFAULTS);
    let notices = Alerts::observe(&mut world);
    let t0 = world.now();
    // The first cycle starts every sweep's period and sweeps nothing.
    let first = world.cycle().await;
    assert_eq!(first.sweep_calls, 0);
    let daily = DeepSweep::DEFAULTS[0].cursor(Program::RetailProcurement);
    assert_eq!(world.store.watermark(daily).await.unwrap(), Some(t0));

    // An hour later Amazon takes a PO of each program, and lists neither for three
    // days (an outage of its listings).
    world.wait(60);
    let placed = world.now();
    let listed_from = placed + hours(72);
    let (rp, df) = (purchase_order_number(901), purchase_order_number(902));
    world
        .amazon
        .add_retail_order(orders::retail_order(&rp, placed, 2))
        .unwrap();
    world
        .amazon
        .add_df_order(orders::df_order(&df, placed, 1))
        .unwrap();
    world
        .amazon
        .list_late(Program::RetailProcurement, &rp, listed_from)
        .unwrap();
    world
        .amazon
        .list_late(Program::DirectFulfillment, &df, listed_from)
        .unwrap();
    let (rp_key, df_key) = (retail_key(&rp), df_key(&df));

    // Hourly cycles through the outage and after it, up to the last moment before
    // the fourth daily sweep: the regular retrieval had passed the orders' date when
    // Amazon listed them, and the sweeps at 24, 48 and 72 hours ran while they were
    // still missing.
    let fourth_sweep = t0 + hours(96);
    let reports = hourly_until(&world, fourth_sweep - TimeDelta::minutes(1)).await;
    assert!(world.now() > listed_from);
    assert_eq!(world.status(&rp_key), None, "{}", world.table());
    assert_eq!(world.status(&df_key), None);
    let swept: Vec<_> = reports.iter().filter(|r| r.sweep_calls > 0).collect();
    assert_eq!(swept.len(), 3, "one daily sweep a day");
    // A 7-day sweep reads back only to where the sync started, in one window a
    // program while that is under 7 days: one `getPurchaseOrders` and one `getOrders`.
    assert!(swept.iter().all(|r| r.sweep_calls == 2), "{swept:?}");
    assert!(reports.iter().all(|r| r.found_by_sweep == 0));

    // The fourth daily sweep finds both.
    world.advance((fourth_sweep - world.now()).to_std().unwrap());
    let found = world.cycle().await;
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    assert_eq!(found.found_by_sweep, 2, "{found}");
    assert_eq!(found.new_orders, 2);
    assert_eq!(found.sweep_calls, 2);
    assert!(
        found
            .to_string()
            .contains("deep sweep: 2 calls, 2 orders found late")
    );
    for key in [&rp_key, &df_key] {
        assert_eq!(world.status(key), Some(StateKind::ExpectApproval), "{key}");
        let stored = world.stored(key);
        let late = *stored.record.found_late().expect("flagged as found late");
        assert_eq!(late.ordered_at, placed);
        assert_eq!(late.found_at, world.now());
        assert_eq!(late.late_by(), world.now() - placed);
        assert_eq!(late.late_by_text(), "3 days 23 hours");
        let raised = found_late(&notices, key);
        assert_eq!(
            raised,
            [Notice::FoundLate {
                ordered_at: placed,
                found_at: world.now(),
                deadline: stored.record.acknowledgement_deadline(),
            }]
        );
        assert!(
            raised[0]
                .to_string()
                .contains("3 days 23 hours after its PO date")
        );
        // The order's view and page say so.
        let view = world.engine.order(key).await.unwrap().unwrap();
        let shown = view.found_late.as_ref().expect("shown on the view");
        assert_eq!(shown.late_by_minutes, (world.now() - placed).num_minutes());
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["foundLate"]["lateBy"], "3 days 23 hours");
        let page = avc_order_sync::Dashboard::new("", "t").order_page(&view);
        assert!(page.contains("id=\"found-late\""), "{page}");
    }

    // The next sweeps list both again as known orders: nothing new, no second sales
    // order, no second notice.
    let reports = hourly_until(&world, world.now() + hours(49)).await;
    assert_eq!(sweep_calls(&reports), 4);
    assert!(
        reports
            .iter()
            .all(|r| r.found_by_sweep == 0 && r.new_orders == 0)
    );
    for key in [&rp_key, &df_key] {
        assert_eq!(world.netsuite.creations(&eid(key)), 1, "{key}");
        assert_eq!(found_late(&notices, key).len(), 1, "{key}");
    }
    // An order the regular retrieval found is not flagged.
    let on_time = purchase_order_number(903);
    world
        .amazon
        .add_retail_order(orders::retail_order(&on_time, world.now(), 1))
        .unwrap();
    world.wait(5);
    world.cycle().await;
    let on_time = retail_key(&on_time);
    assert!(world.stored(&on_time).record.found_late().is_none());
    assert!(found_late(&notices, &on_time).is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn a_restarted_engine_does_not_sweep_again_before_the_period() {
    let mut world = World::new(catalogue_settings(false, false));
    world.cycle().await;
    // A day later the daily sweep runs.
    world.wait(24 * 60);
    let swept = world.cycle().await;
    assert_eq!(swept.sweep_calls, 2);
    let ran_at = world.now();
    // The process stops and starts again: a fresh engine on the same store finds the
    // sweep's last run there, and waits out its period.
    world.restart();
    let listings = || {
        world.amazon.calls(AmazonOperation::GetPurchaseOrders)
            + world.amazon.calls(AmazonOperation::GetOrders)
    };
    let before = listings();
    let reports = hourly_until(&world, ran_at + hours(23)).await;
    assert_eq!(sweep_calls(&reports), 0);
    // Only the regular retrievals listed (two retail listings and one Direct
    // Fulfillment a cycle, and the cancellation check every half hour).
    assert!(listings() - before <= 5 * reports.len() as u64);
    // A second worker on the same store does not sweep either.
    let other = world.another_engine();
    assert_eq!(other.run_cycle().await.unwrap().sweep_calls, 0);
    world.wait(61);
    let due = world.cycle().await;
    assert_eq!(due.sweep_calls, 2, "the period is over");
    let again = other.run_cycle().await.unwrap();
    assert_eq!(again.sweep_calls, 0, "the other worker finds it run");
}

#[tokio::test(flavor = "current_thread")]
async fn a_sweep_cut_short_by_a_failed_call_reads_the_rest_next_cycle_from_there() {
    // One 3-day sweep an hour, in windows of a day.
    let day = Duration::from_secs(24 * 3600);
    let mut world = World::new(catalogue_settings(false, false)).with_config(EngineConfig {
        deep_sweeps: vec![DeepSweep {
            lookback: 3 * day,
            every: Duration::from_secs(3600),
        }],
        max_window: day,
        ..config()
    });
    world.cycle().await;
    // Hourly cycles for two days: the sweep reads from a day before the start (the
    // first lookback) up to where each cycle's retrieval reads from.
    let reports = hourly_until(&world, world.now() + hours(48)).await;
    let full = reports.last().unwrap();
    assert_eq!(full.sweep_calls, 2 * 3, "three windows a program");
    world.wait(60);
    // A Direct Fulfillment order of 30 hours ago that Amazon lists only now; the
    // sweep's read of the window holding it fails once.
    let placed = world.now() - hours(30);
    let number = purchase_order_number(911);
    world
        .amazon
        .add_df_order(orders::df_order(&number, placed, 1))
        .unwrap();
    world
        .amazon
        .list_late(Program::DirectFulfillment, &number, world.now())
        .unwrap();
    let client = Arc::new(InterceptedDirectFulfillment::new(world.amazon.clone()));
    let failures = AtomicUsize::new(1);
    client.orders.before(move |query: &OrderQuery| {
        let holds = query.after <= placed && placed < query.before;
        if holds && failures.fetch_sub(1, Ordering::SeqCst) == 1 {
            return Before::Answer(Err(ClientError::new(ErrorKind::Transient, "getOrders")));
        }
        Before::Call
    });
    world.engine = world.engine_with(Clients {
        direct_fulfillment: client,
        ..world.simulators()
    });
    let cut = world.cycle().await;
    assert_eq!(cut.errors.len(), 1, "{cut}");
    assert_eq!(world.status(&df_key(&number)), None);
    // Retail swept whole; Direct Fulfillment read its first window, then failed.
    assert_eq!(cut.sweep_calls, 3 + 2);
    // The next cycle goes on with the run this engine started, from the window that
    // failed: two windows, and the order is found.
    world.wait(5);
    let rest = world.cycle().await;
    assert_eq!(rest.found_by_sweep, 1, "{rest}");
    assert_eq!(rest.sweep_calls, 2);
    assert!(world.stored(&df_key(&number)).record.found_late().is_some());
}

#[tokio::test(flavor = "current_thread")]
async fn with_no_sweep_configured_nothing_sweeps() {
    let world = World::new(catalogue_settings(false, false)).with_config(EngineConfig {
        deep_sweeps: Vec::new(),
        ..config()
    });
    world.cycle().await;
    world.wait(8 * 24 * 60);
    assert_eq!(world.cycle().await.sweep_calls, 0);
    for sweep in DeepSweep::DEFAULTS {
        let cursor = sweep.cursor(Program::DirectFulfillment);
        assert!(matches!(cursor, Cursor::Sweep { .. }));
        assert_eq!(world.store.watermark(cursor).await.unwrap(), None);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_rejected_order_a_sweep_lists_cancelled_ends_as_rejected_not_as_cancelled_by_amazon() {
    // A consumer's order the reviewer rejects whole (every line closed).
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(921);
    world
        .amazon
        .add_df_order(orders::df_order(&number, world.now() - hours(1), 1))
        .unwrap();
    let key = df_key(&number);
    world
        .run_until_status(&key, StateKind::ExpectApproval)
        .await;
    world
        .netsuite
        .close_line(&eid(&key), &seq("00001"))
        .unwrap();
    world
        .run_until_status(&key, StateKind::ExpectAcknowledgementConfirmation)
        .await;
    // Amazon shows the order CANCELLED once it processes the rejection. A day passes
    // before the next cycle: its daily sweep lists the order so before the engine
    // reads the acknowledgement's confirmation.
    world.wait(25 * 60);
    let report = world.cycle().await;
    assert!(report.sweep_calls > 0, "{report}");
    world.run_until_status(&key, StateKind::Closed).await;
    assert_eq!(
        world.line(&key).await.reason.as_deref(),
        Some("every line rejected, nothing to ship")
    );
    assert_eq!(world.acknowledgements(&key).len(), 1);
}
