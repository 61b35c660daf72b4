//! Amazon's compliance rules enforced through the engine: an approval that would cost
//! a chargeback waits for a person, with the rule and the cost, and nothing goes to
//! Amazon until the person confirms it with the Retry action.

use avc_order_sync::compliance::RejectionRateGuard;
use avc_order_sync::lifecycle::{OrderState, StateKind};
use avc_order_sync::testing::catalogue_settings;
use avc_order_sync::testing::orders::{
    PRODUCTS, RetailLine, RetailOrderBuilder, purchase_order_number,
};
use avc_order_sync::{OperatorAction, OrderKey, Problem, ProblemKind};
use chrono::{DateTime, TimeDelta, Utc};

use crate::it::support::engine::*;

/// 3 cases of 6 kettles at 18.40 and 4 cases of a second product.
fn kettles(number: &str, at: DateTime<Utc>) -> avc_order_sync::amazon::retail::Order {
    RetailOrderBuilder::new(number, at)
        .line(RetailLine::product(&PRODUCTS[0], 3))
        .line(RetailLine::product(&PRODUCTS[5], 4))
        .build()
}

/// The problems the order waits with for a person; empty when it waits for none.
fn held(world: &World, key: &OrderKey) -> Vec<Problem> {
    match world.stored(key).record.state() {
        OrderState::ExpectApproval { problems } => problems.clone(),
        _ => Vec::new(),
    }
}

/// Runs cycles until the order waits with a problem.
async fn run_until_held(world: &World, key: &OrderKey) {
    world
        .run_until(&format!("{key} held"), |w| !held(w, key).is_empty())
        .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_rejection_above_the_guard_waits_for_a_person_who_confirms_it() {
    let mut settings = catalogue_settings(false, false);
    settings
        .compliance
        .rejection_rate_guards
        .push(RejectionRateGuard {
            vendor_code: None,
            max_rejected_percent: 20,
        });
    let world = World::new(settings);
    let number = purchase_order_number(1701);
    let key = retail_key(&number);
    world
        .amazon
        .add_retail_order(kettles(&number, placed(30)))
        .unwrap();
    world.cycle().await;
    assert_eq!(world.status(&key), Some(StateKind::ExpectApproval));

    // The reviewer keeps 2 cases of 3: 6 of 18 kettles rejected, a third, above the
    // 20 % guard; 3 kettles above it at 3 % of 18.40.
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("1"), 12)
        .unwrap();
    world.netsuite.approve(&eid(&key)).unwrap();
    run_until_held(&world, &key).await;
    let problems = held(&world, &key);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line.as_deref(), Some("1"));
    let ProblemKind::RejectionAboveGuard {
        rejected,
        ordered,
        units_above,
        chargeback,
        ..
    } = &problems[0].kind
    else {
        panic!("{problems:?}");
    };
    assert_eq!((*rejected, *ordered, *units_above), (6, 18, 3));
    assert_eq!(chargeback.unwrap().to_string(), "1.656 USD");
    let reason = world.line(&key).await.reason.expect("a reason");
    assert!(reason.contains("20 % guard"), "{reason}");
    assert!(reason.contains("1.656 USD"), "{reason}");
    // More cycles send nothing: the order waits for the person.
    world.wait(30);
    world.cycle().await;
    world.cycle().await;
    assert_eq!(world.amazon.acknowledgement_count(&number), 0);

    // The person confirms: the acknowledgement goes out as approved.
    world.act(&key, OperatorAction::RetryNow).await.unwrap();
    world
        .run_until_status(&key, StateKind::ExpectShipment)
        .await;
    let sent = world.acknowledgements(&key);
    assert_eq!(sent.len(), 1);
    let kettle_line = &sent[0].body["items"][0]["itemAcknowledgements"];
    assert_eq!(kettle_line[0]["acknowledgementCode"], "Accepted");
    assert_eq!(kettle_line[0]["acknowledgedQuantity"]["amount"], 2);
    assert_eq!(kettle_line[1]["acknowledgementCode"], "Rejected");
}

#[tokio::test(flavor = "current_thread")]
async fn a_rejection_within_the_guard_or_with_no_guard_is_sent_at_once() {
    for (guard, number) in [(Some(40), 1702), (None, 1703)] {
        let mut settings = catalogue_settings(false, false);
        if let Some(percent) = guard {
            settings
                .compliance
                .rejection_rate_guards
                .push(RejectionRateGuard {
                    vendor_code: None,
                    max_rejected_percent: percent,
                });
        }
        let world = World::new(settings);
        let number = purchase_order_number(number);
        let key = retail_key(&number);
        world
            .amazon
            .add_retail_order(kettles(&number, placed(30)))
            .unwrap();
        world.cycle().await;
        world
            .netsuite
            .set_line_quantity(&eid(&key), &seq("1"), 12)
            .unwrap();
        world.netsuite.approve(&eid(&key)).unwrap();
        world
            .run_until_status(&key, StateKind::ExpectShipment)
            .await;
        assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    }
}

/// An order whose first acknowledgement Amazon took, placed `hours_ago` hours before
/// the story starts with its ship window starting a day later, now posted.
async fn posted(number: u64, hours_ago: i64) -> (World, OrderKey) {
    let world = World::new(catalogue_settings(false, false));
    let number = purchase_order_number(number);
    let key = retail_key(&number);
    let at = placed(hours_ago * 60);
    world
        .amazon
        .add_retail_order(
            RetailOrderBuilder::new(&number, at)
                .line(RetailLine::product(&PRODUCTS[0], 3))
                .line(RetailLine::product(&PRODUCTS[5], 4))
                .ship_window(Some((at + TimeDelta::days(1), at + TimeDelta::days(9))))
                .build(),
        )
        .unwrap();
    world.cycle().await;
    world.netsuite.approve(&eid(&key)).unwrap();
    world
        .run_until_status(&key, StateKind::ExpectShipment)
        .await;
    assert_eq!(world.amazon.acknowledgement_count(&number), 1);
    (world, key)
}

#[tokio::test(flavor = "current_thread")]
async fn a_quantity_update_after_the_48_hour_window_waits_for_a_person() {
    // Placed 20 hours ago and acknowledged; the update comes 30 hours later, past the
    // window but before the down-confirm cut-off (the window starts a day after the
    // PO, plus five days).
    let (world, key) = posted(1704, 20).await;
    world.wait(30 * 60);
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("1"), 12)
        .unwrap();
    world.act(&key, OperatorAction::Repost).await.unwrap();
    run_until_held(&world, &key).await;
    let problems = held(&world, &key);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let ProblemKind::UpdateAfterWindow {
        closed_at,
        before,
        after,
    } = &problems[0].kind
    else {
        panic!("{problems:?}");
    };
    assert_eq!(*closed_at, placed(20 * 60) + TimeDelta::hours(48));
    assert_eq!(
        (before.as_str(), after.as_str()),
        ("18 eaches confirmed", "12 eaches")
    );
    assert_eq!(world.amazon.acknowledgement_count(key.number.as_str()), 1);

    // The reviewer puts the quantity back: nothing is left to send but the same
    // acknowledgement, which breaks no rule.
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("1"), 18)
        .unwrap();
    world.act(&key, OperatorAction::RetryNow).await.unwrap();
    world
        .run_until_status(&key, StateKind::ExpectShipment)
        .await;
    assert_eq!(world.amazon.acknowledgement_count(key.number.as_str()), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn a_late_down_confirm_waits_for_a_person_unless_the_setting_allows_it() {
    // Seven days after the PO: its ship window started six days ago, a day past the
    // cut-off.
    let (world, key) = posted(1705, 2).await;
    world.wait(7 * 24 * 60);
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("1"), 12)
        .unwrap();
    world.act(&key, OperatorAction::Repost).await.unwrap();
    run_until_held(&world, &key).await;
    let problems = held(&world, &key);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        matches!(
            &problems[0].kind,
            ProblemKind::LateDownConfirm {
                previously_kept: 18,
                now_kept: 12,
                chargeback: Some(_),
                ..
            }
        ),
        "{problems:?}"
    );
    assert!(
        problems[0].to_string().contains("3.312 USD"),
        "{}",
        problems[0]
    );
    assert_eq!(world.amazon.acknowledgement_count(key.number.as_str()), 1);

    // The reviewer lowers it further before the person confirms what was shown: a
    // different cost, so the order is held again with the new one.
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("1"), 6)
        .unwrap();
    world.act(&key, OperatorAction::RetryNow).await.unwrap();
    world.cycle().await;
    run_until_held(&world, &key).await;
    let again = held(&world, &key);
    assert!(
        matches!(
            again[0].kind,
            ProblemKind::LateDownConfirm { now_kept: 6, .. }
        ),
        "{again:?}"
    );
    assert_eq!(world.amazon.acknowledgement_count(key.number.as_str()), 1);
    world.act(&key, OperatorAction::RetryNow).await.unwrap();
    world
        .run_until_status(&key, StateKind::ExpectShipment)
        .await;
    assert_eq!(world.amazon.acknowledgement_count(key.number.as_str()), 2);

    // With the setting, the same lowering goes out at once.
    let mut settings = catalogue_settings(false, false);
    settings.compliance.allow_late_down_confirm = true;
    let (mut world, key) = posted(1706, 2).await;
    world.wait(7 * 24 * 60);
    world.settings = settings;
    world.restart();
    world
        .netsuite
        .set_line_quantity(&eid(&key), &seq("1"), 12)
        .unwrap();
    world.act(&key, OperatorAction::Repost).await.unwrap();
    world
        .run_until_status(&key, StateKind::ExpectShipment)
        .await;
    assert!(held(&world, &key).is_empty());
}
