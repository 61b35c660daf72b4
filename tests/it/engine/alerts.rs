//! Alerts through the engine: each notice reaches the observer once per cause, however
//! many cycles pass over the order in the same state, and again for a new cause.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::lifecycle::{Notice, Service, StateKind};
use avc_order_sync::testing::orders::{RetailLine, RetailOrderBuilder, purchase_order_number};
use avc_order_sync::testing::{NetSuiteOperation, ScriptedFailure, catalogue_settings, orders};
use avc_order_sync::{ErrorKind, MalformedOrder, OperatorAction, Program};
use chrono::TimeDelta;

use crate::it::support::engine::*;

/// A world at [`START`] whose engine reports to a recording observer.
fn world(auto_retail: bool) -> (World, Arc<Alerts>) {
    let mut world = World::new(catalogue_settings(auto_retail, false));
    let alerts = Arc::new(Alerts::default());
    world.engine = world.another_engine().with_observer(alerts.clone());
    (world, alerts)
}

/// Runs a cycle at each wake-up the report asks for (at least 30 seconds and at most
/// 30 minutes apart) for `hours`.
async fn run_for(world: &World, hours: i64) {
    let end = world.now() + TimeDelta::hours(hours);
    while world.now() < end {
        let report = world.cycle().await;
        let wait = report
            .next_wakeup
            .map_or(Duration::from_secs(1800), |at| {
                (at - world.now()).to_std().unwrap_or_default()
            })
            .clamp(Duration::from_secs(30), Duration::from_secs(1800));
        world.clock.advance(wait);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_left_waiting_for_approval_is_raised_once_then_its_deadline() {
    let (world, alerts) = world(false);
    let number = purchase_order_number(701);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(10), 2))
        .unwrap();
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
    let since = world
        .stored(&key)
        .record
        .waiting_for_approval_since()
        .unwrap();

    // Nobody approves it; cycles run all day.
    run_for(&world, 11).await;
    assert!(alerts.of(&key).is_empty(), "{:?}", alerts.of(&key));
    run_for(&world, 2).await;
    assert_eq!(
        alerts.of(&key),
        [Notice::ApprovalOverdue {
            waiting_since: since,
            limit_minutes: 720,
        }]
    );
    run_for(&world, 12).await;
    assert_eq!(
        alerts.slugs(&key),
        [
            "approval-overdue",
            "deadline-approaching",
            "deadline-missed"
        ]
    );
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
}

#[tokio::test(flavor = "current_thread")]
async fn a_retail_po_sent_on_a_holiday_date_has_48_hours() {
    // The story's day made a holiday date: its retail POs get 48 hours, so a day
    // without approval is neither warned nor missed.
    let mut settings = catalogue_settings(false, false);
    settings.compliance.holiday_dates = [START[5..10].parse().unwrap()].into();
    let mut world = World::new(settings);
    let alerts = Arc::new(Alerts::default());
    world.engine = world.another_engine().with_observer(alerts.clone());
    let number = purchase_order_number(709);
    let key = retail_key(&number);
    let ordered_at = placed(10);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, ordered_at, 2))
        .unwrap();
    world.cycle().await;
    let view = world.engine.order(&key).await.unwrap().expect("the order");
    let due = ordered_at + TimeDelta::hours(48);
    assert_eq!(view.acknowledgement_deadline, due);
    assert!(view.clocks.holiday);
    assert_eq!(view.clocks.first_acknowledgement.at, due);
    assert_eq!(view.clocks.first_acknowledgement.met_at, None);
    assert_eq!(
        view.clocks.update_window.at,
        ordered_at + TimeDelta::hours(48)
    );

    run_for(&world, 25).await;
    assert_eq!(alerts.slugs(&key), ["approval-overdue"]);
    run_for(&world, 20).await;
    // The holiday deadline and the update window both end 48 hours after the PO:
    // each is warned once, at its own lead time (both 240 minutes here).
    let raised = alerts.of(&key);
    assert_eq!(
        raised[raised.len().saturating_sub(2)..],
        [
            Notice::DeadlineApproaching { deadline: due },
            Notice::UpdateWindowClosing { closes: due },
        ]
    );

    // Approved on the second day, it is acknowledged on time: the clock shows when.
    world.netsuite.approve(&eid(&key)).unwrap();
    world
        .run_until_status(&key, StateKind::ExpectShipment)
        .await;
    let view = world.engine.order(&key).await.unwrap().expect("the order");
    let met = view.clocks.first_acknowledgement.met_at.expect("met");
    assert!(
        met > ordered_at + TimeDelta::hours(24) && met <= due,
        "{met}"
    );
    assert!(!view.clocks.first_acknowledgement.is_missed(world.now()));
    assert!(!alerts.slugs(&key).contains(&"deadline-missed"));
}

#[tokio::test(flavor = "current_thread")]
async fn each_rejection_by_amazon_is_raised_once() {
    let (world, alerts) = world(false);
    let number = purchase_order_number(702);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(
            RetailOrderBuilder::new(&number, placed(30))
                .line(RetailLine::product(&orders::PRODUCTS[0], 2))
                .build(),
        )
        .unwrap();
    world.cycle().await;
    let lower_cost = |world: &World, cost: &str| {
        world
            .amazon
            .set_retail_net_cost(&number, "1", cost)
            .unwrap()
    };

    // Approved and acknowledged; Amazon lowers the kettle's cost (18.40) while the
    // acknowledgement is on its way, so Amazon rejects it.
    world.netsuite.approve(&eid(&key)).unwrap();
    world
        .run_until("the first acknowledgement is sent", |w| {
            w.amazon.acknowledgement_count(&number) == 1
        })
        .await;
    lower_cost(&world, "17.90");
    world.run_until_status(&key, StateKind::ExpectRepost).await;
    run_for(&world, 2).await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectRepost));
    let rejected: Vec<_> = alerts
        .of(&key)
        .into_iter()
        .filter_map(|n| match n {
            Notice::RejectedByAmazon { version, .. } => Some(version.0),
            _ => None,
        })
        .collect();
    assert_eq!(rejected, [1]);

    // Approved again and sent as a new version, which Amazon rejects too: a new cause.
    world.netsuite.approve(&eid(&key)).unwrap();
    world
        .run_until("the second acknowledgement is sent", |w| {
            w.amazon.acknowledgement_count(&number) == 2
        })
        .await;
    lower_cost(&world, "17.50");
    world.run_until_status(&key, StateKind::ExpectRepost).await;
    run_for(&world, 2).await;
    let rejected: Vec<_> = alerts
        .of(&key)
        .into_iter()
        .filter_map(|n| match n {
            Notice::RejectedByAmazon { version, .. } => Some(version.0),
            _ => None,
        })
        .collect();
    assert_eq!(rejected, [1, 2]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_hold_is_raised_once_and_a_held_order_raises_no_approval_notice() {
    let (world, alerts) = world(false);
    let number = purchase_order_number(703);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(10), 1))
        .unwrap();
    world.cycle().await;
    world
        .act(
            &key,
            OperatorAction::Hold {
                reason: "stock count on Tuesday".into(),
            },
        )
        .await
        .unwrap();
    run_for(&world, 14).await;
    assert_eq!(
        alerts.of(&key),
        [Notice::Held {
            reason: "stock count on Tuesday".into(),
        }]
    );
    assert_eq!(world.status(&key), Some(StateKind::Held));
}

#[tokio::test(flavor = "current_thread")]
async fn a_mapping_problem_and_an_unreadable_order_are_raised_once() {
    let (world, alerts) = world(false);
    let unmapped = purchase_order_number(704);
    let unmapped_key = retail_key(&unmapped);
    world
        .amazon
        .add_retail_order(
            RetailOrderBuilder::new(&unmapped, placed(10))
                .line(RetailLine::eaches("B0NEWITEM1", "NEW-SKU-2026", 12, "7.25"))
                .build(),
        )
        .unwrap();
    let unreadable = purchase_order_number(705);
    let unreadable_key = retail_key(&unreadable);
    world.amazon.add_unreadable_order(
        Program::RetailProcurement,
        placed(10),
        MalformedOrder {
            purchase_order_number: Some(unreadable.clone()),
            reason: "`orderDetails.items` is not an array".into(),
        },
    );
    run_for(&world, 3).await;
    assert_eq!(world.status(&unmapped_key), Some(StateKind::ExpectFix));
    let raised = alerts.of(&unmapped_key);
    let [Notice::MappingProblem { summary }] = raised.as_slice() else {
        panic!("{raised:?}")
    };
    assert!(summary.contains("NEW-SKU-2026"), "{summary}");
    assert!(world.unreadable(&unreadable_key));
    assert_eq!(alerts.slugs(&unreadable_key), ["unreadable"]);

    // An operator retries before anything was fixed: the same problem, no new alert.
    world
        .act(&unmapped_key, OperatorAction::RetryNow)
        .await
        .unwrap();
    run_for(&world, 1).await;
    assert_eq!(alerts.slugs(&unmapped_key), ["mapping-problem"]);
}

#[tokio::test(flavor = "current_thread")]
async fn refused_credentials_are_raised_once_per_order_naming_the_service() {
    let (world, alerts) = world(false);
    let number = purchase_order_number(706);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(10), 1))
        .unwrap();
    world.netsuite.fail_next_with(
        NetSuiteOperation::UpsertSalesOrder,
        ScriptedFailure::of(ErrorKind::Unauthorized),
        1000,
    );
    world.run_until_status(&key, StateKind::ExpectFix).await;
    run_for(&world, 2).await;
    let notices = alerts.of(&key);
    let [
        Notice::CredentialsRefused {
            service,
            command_key,
            ..
        },
    ] = notices.as_slice()
    else {
        panic!("{notices:?}")
    };
    assert_eq!(*service, Service::NetSuite);
    assert!(command_key.as_str().starts_with("netsuite:create:"));

    // Renewed; the operator retries and the order goes on.
    world.netsuite.clear_failures();
    world.act(&key, OperatorAction::RetryNow).await.unwrap();
    world
        .run_until_status(&key, StateKind::ExpectApproval)
        .await;
    assert_eq!(alerts.slugs(&key), ["credentials-refused"]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_command_out_of_attempts_is_raised_once() {
    let (world, alerts) = world(false);
    let number = purchase_order_number(707);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(10), 1))
        .unwrap();
    world
        .netsuite
        .fail_next(NetSuiteOperation::UpsertSalesOrder, 1000);
    world.run_until_status(&key, StateKind::ExpectFix).await;
    run_for(&world, 2).await;
    let notices = alerts.of(&key);
    let [Notice::RetriesExhausted { attempts, .. }] = notices.as_slice() else {
        panic!("{notices:?}")
    };
    assert_eq!(*attempts, world.config.retry.max_attempts);
    assert!(notices[0].to_string().contains("retry the order"));

    // A retry that fails for good again is a new cause.
    world.act(&key, OperatorAction::RetryNow).await.unwrap();
    world
        .run_until("the retry fails for good", |_| {
            alerts.slugs(&key).len() == 2
        })
        .await;
    assert_eq!(
        alerts.slugs(&key),
        ["retries-exhausted", "retries-exhausted"]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn what_amazon_recorded_short_of_the_acknowledgement_is_reported_as_drift_once() {
    let (world, alerts) = world(true);
    let number = purchase_order_number(721);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(10), 2))
        .unwrap();
    world.amazon.record_next_acknowledgement_short(&number);
    let status_calls = world
        .amazon
        .calls(avc_order_sync::testing::AmazonOperation::GetPurchaseOrdersStatus);
    world
        .run_until("drift read", |w| {
            w.stored(&key).record.reconciliation().is_some()
        })
        .await;
    let drifted = world.amazon.drifted();
    assert_eq!(drifted.len(), 1, "{drifted:?}");
    let view = world.engine.order(&key).await.unwrap().expect("the order");
    let reconciliation = view.reconciliation.expect("reconciled");
    let [drift] = reconciliation.drift.as_slice() else {
        panic!("{reconciliation:?}")
    };
    assert_eq!(
        drift.sequence.as_ref().map(|s| s.as_str()),
        Some(drifted[0].1.as_str())
    );
    assert!(drift.recorded < drift.sent, "{drift:?}");
    // One status read for the reconciliation, and the drift raised once however many
    // cycles follow.
    assert_eq!(
        world
            .amazon
            .calls(avc_order_sync::testing::AmazonOperation::GetPurchaseOrdersStatus)
            - status_calls,
        1
    );
    run_for(&world, 2).await;
    let drifts: Vec<Notice> = alerts
        .of(&key)
        .into_iter()
        .filter(|n| n.slug() == "drift")
        .collect();
    assert_eq!(drifts.len(), 1, "{:?}", alerts.slugs(&key));
    assert_eq!(world.status(&key), Some(StateKind::ExpectShipment));
    let page = avc_order_sync::Dashboard::new("/ops", "t0ken")
        .order_page(&world.engine.order(&key).await.unwrap().unwrap());
    assert!(page.contains("id=\"drift\""), "{page}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_status_report_that_cannot_be_read_is_asked_again_less_often_not_every_cycle() {
    let (world, _alerts) = world(true);
    let number = purchase_order_number(724);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, placed(10), 2))
        .unwrap();
    // Amazon's status report fails six times in a row, then answers.
    let status = avc_order_sync::testing::AmazonOperation::GetPurchaseOrdersStatus;
    world.amazon.fail_next(status, 6);
    let before = world.amazon.calls(status);
    let reports = world
        .run_until("reconciled after the failures", |w| {
            w.stored(&key).record.reconciliation().is_some()
        })
        .await;
    let stored = world.stored(&key);
    let confirmed_at = stored
        .record
        .confirmed_acknowledgement()
        .expect("confirmed")
        .confirmed_at;
    // Seven reads over about fourteen hours of five-minute cycles (15, 30, 60, 120,
    // 240 and 360 minutes apart), not one every cycle.
    assert_eq!(world.amazon.calls(status) - before, 7);
    let waited = (world.now() - confirmed_at).num_minutes();
    assert!((825..=835).contains(&waited), "{waited} minutes");
    assert!(reports.len() > 100, "{} cycles", reports.len());
    let reconciliation = stored.record.reconciliation().unwrap();
    assert!(reconciliation.drift.is_empty(), "{reconciliation:?}");
    assert_eq!(stored.record.reconciliation_retry_at(), None);
}

#[tokio::test(flavor = "current_thread")]
async fn an_acknowledgement_recorded_as_sent_shows_no_drift_for_either_program() {
    let mut world = World::new(catalogue_settings(true, true));
    let alerts = Arc::new(Alerts::default());
    world.engine = world.another_engine().with_observer(alerts.clone());
    let retail = retail_key(&purchase_order_number(722));
    let df = df_key("DF0722");
    world
        .amazon
        .add_retail_order(orders::retail_order(retail.number.as_str(), placed(10), 2))
        .unwrap();
    world
        .amazon
        .add_df_order(orders::df_order("DF0722", placed(10), 2))
        .unwrap();
    world
        .run_until("both reconciled", |w| {
            [&retail, &df]
                .iter()
                .all(|k| w.stored(k).record.reconciliation().is_some())
        })
        .await;
    for key in [&retail, &df] {
        let stored = world.stored(key);
        let reconciliation = stored.record.reconciliation().unwrap();
        assert!(reconciliation.drift.is_empty(), "{key}: {reconciliation:?}");
        assert!(!alerts.slugs(key).contains(&"drift"));
    }
    assert!(matches!(
        world.stored(&df).record.reconciliation().unwrap().recorded,
        avc_order_sync::compliance::AmazonRecord::Order { .. }
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_unsettled_near_the_update_window_is_warned_once() {
    let (world, alerts) = world(false);
    let number = purchase_order_number(723);
    let key = retail_key(&number);
    let ordered_at = placed(10);
    world
        .amazon
        .add_retail_order(orders::retail_order(&number, ordered_at, 2))
        .unwrap();
    world.cycle().await;
    run_for(&world, 47).await;
    let closes = ordered_at + TimeDelta::hours(48);
    let warned: Vec<Notice> = alerts
        .of(&key)
        .into_iter()
        .filter(|n| matches!(n, Notice::UpdateWindowClosing { .. }))
        .collect();
    assert_eq!(warned, [Notice::UpdateWindowClosing { closes }]);
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));
}
