//! Retries, the acknowledgement deadline, and replayed events.

use std::time::Duration;

use avc_order_sync::lifecycle::{
    Attention, Command, CommandFailure, Event, FailureKind, Notice, OrderState, RetryPolicy,
    StateKind,
};
use avc_order_sync::{NetSuiteStatus, ServiceMessage};
use chrono::TimeDelta;

use crate::it::support::lifecycle::*;

const CREATE: &str = "netsuite:create:AVC-RP-4Z32PABC";

/// The key of the command an order needs attention for, if it does.
fn failed_command(story: &Story) -> Option<String> {
    match story.record.state() {
        OrderState::ExpectFix {
            attention: Attention::Command { command_key, .. },
        } => Some(command_key.to_string()),
        _ => None,
    }
}

fn failed(key: &str, kind: FailureKind) -> Event {
    Event::CommandFailed {
        command_key: key.parse().expect("a command key"),
        failure: CommandFailure {
            kind,
            exhausted: false,
        },
    }
}

fn transient() -> FailureKind {
    FailureKind::Transient {
        message: "503 from NetSuite".into(),
    }
}

fn notices(story: &Story) -> Vec<&Notice> {
    story
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Notify { notice, .. } => Some(notice),
            _ => None,
        })
        .collect()
}

#[test]
fn a_transient_failure_is_retried_with_backoff_at_the_time_the_policy_gives() {
    let policy = RetryPolicy::default();
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(failed(CREATE, transient()));
    let retry_at = story.now + TimeDelta::from_std(policy.backoff(CREATE, 1)).unwrap();
    assert_eq!(story.record.next_wakeup(&story.settings), Some(retry_at));
    assert_eq!(story.record.attempt().map(|a| a.failures), Some(1));

    // Too early: nothing happens.
    let before = story.record.clone();
    story.then(Event::TimerElapsed);
    assert_eq!(story.record, before);

    // Due: the create goes again.
    story.now = retry_at;
    story.then(Event::TimerElapsed);
    assert_eq!(story.keys(), [CREATE]);

    // The second failure waits longer.
    story.then(failed(CREATE, transient()));
    let second = story.record.next_wakeup(&story.settings).unwrap() - story.now;
    assert_eq!(second.to_std().unwrap(), policy.backoff(CREATE, 2));
    assert!(policy.backoff(CREATE, 2) > policy.backoff(CREATE, 1));
}

#[test]
fn a_rate_limit_waits_at_least_as_long_as_asked() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(failed(
        CREATE,
        FailureKind::RateLimited {
            retry_after: Some(Duration::from_secs(600)),
        },
    ));
    assert_eq!(
        story.record.next_wakeup(&story.settings),
        Some(story.now + TimeDelta::minutes(10))
    );
}

#[test]
fn running_out_of_attempts_needs_attention_and_never_drops_the_order() {
    let policy = RetryPolicy::default();
    let mut story = Story::receive(retail_po(), settings(false, false));
    for _ in 1..policy.max_attempts {
        story.then(failed(CREATE, transient()));
        assert_eq!(story.state(), StateKind::ExpectSalesOrderCreated);
        story.now = story.record.next_wakeup(&story.settings).unwrap();
        story.then(Event::TimerElapsed);
    }
    story.then(failed(CREATE, transient()));
    assert_eq!(story.state(), StateKind::ExpectFix);
    assert!(!story.record.is_terminal());
    let OrderState::ExpectFix {
        attention:
            Attention::Command {
                command_key,
                attempts,
                ..
            },
    } = story.record.state()
    else {
        panic!("{:?}", story.record.state())
    };
    assert_eq!(
        (command_key.as_str(), *attempts),
        (CREATE, policy.max_attempts)
    );
    assert!(matches!(
        notices(&story)[..],
        [Notice::RetriesExhausted { command_key, attempts, .. }]
            if command_key.as_str() == CREATE && *attempts == policy.max_attempts
    ));
}

#[test]
fn a_rejected_request_needs_attention_at_once() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(failed(
        CREATE,
        FailureKind::Rejected {
            messages: vec![ServiceMessage::new(
                "INVALID_CONTENT",
                "Invalid field value for `entity`",
            )],
        },
    ));
    assert_eq!(failed_command(&story).as_deref(), Some(CREATE));
    let notice = notices(&story)[0];
    assert!(
        matches!(notice, Notice::RetriesExhausted { attempts: 1, .. }),
        "{notice:?}"
    );
    let summary = notice.to_string();
    assert!(summary.contains("Invalid field value"), "{summary}");

    // An acknowledgement Amazon refuses outright is a rejection, shown as such.
    let mut story = Story::receive(retail_po(), settings(true, false));
    story.then(failed(
        "amazon:acknowledge:4Z32PABC:v1",
        FailureKind::Rejected {
            messages: vec![ServiceMessage::new(
                "InvalidInput",
                "Invalid content was found",
            )],
        },
    ));
    assert_eq!(story.state(), StateKind::ExpectRepost);

    // A status check that keeps failing says so in Amazon's terms.
    let mut story = Story::receive(retail_po(), settings(true, false));
    story.then(Event::AcknowledgementSubmitted {
        version: v(1),
        transaction_id: txn("t-1"),
        orders: 1,
    });
    story.wait(2).then(Event::TimerElapsed);
    assert_eq!(story.keys(), ["amazon:check:4Z32PABC:v1"]);
    story.then(Event::CommandFailed {
        command_key: "amazon:check:4Z32PABC:v1".parse().expect("a command key"),
        failure: CommandFailure {
            kind: FailureKind::Unauthorized {
                message: "403".into(),
            },
            exhausted: true,
        },
    });
    assert_eq!(
        failed_command(&story).as_deref(),
        Some("amazon:check:4Z32PABC:v1")
    );
}

#[test]
fn closing_an_order_netsuite_never_had_is_done() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(Event::CancelRequested {
        reason: "entered twice".into(),
    });
    story.then(failed(
        "netsuite:close:AVC-RP-4Z32PABC",
        FailureKind::NotFound {
            message: "no such record".into(),
        },
    ));
    assert_eq!(story.state(), StateKind::Cancelled);

    // If the create lands afterwards after all, it is closed again.
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    assert_eq!(story.state(), StateKind::Cancelled);
    assert_eq!(story.keys(), ["netsuite:close:AVC-RP-4Z32PABC"]);
}

#[test]
fn a_failure_of_a_command_the_order_does_not_wait_for_is_refused() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    let err = story.refused(failed("netsuite:update:AVC-RP-4Z32PABC:r1", transient()));
    assert_eq!(
        err.to_string(),
        "order 4Z32PABC: `CommandFailed` names `netsuite:update:AVC-RP-4Z32PABC:r1`, but in \
         state `ExpectSalesOrderCreated` the order waits for `netsuite:create:AVC-RP-4Z32PABC`"
    );
}

#[test]
fn the_deadline_warns_then_reports_a_miss_while_nothing_is_confirmed() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    let deadline = t0() + TimeDelta::hours(24);
    assert_eq!(story.record.acknowledgement_deadline(), deadline);
    let warn_at = deadline - TimeDelta::hours(4);
    // Twelve hours in Pending Approval come first (`policies.approvalOverdueMinutes`).
    let since = story.record.waiting_for_approval_since().unwrap();
    let overdue_at = since + TimeDelta::hours(12);
    assert!(overdue_at < warn_at);
    assert_eq!(story.record.next_wakeup(&story.settings), Some(overdue_at));
    story.now = overdue_at;
    story.then(Event::TimerElapsed);
    assert!(matches!(
        notices(&story)[..],
        [Notice::ApprovalOverdue { waiting_since, .. }] if *waiting_since == since
    ));
    assert_eq!(story.record.next_wakeup(&story.settings), Some(warn_at));

    story.now = warn_at;
    story.then(Event::TimerElapsed);
    assert!(
        matches!(notices(&story)[..], [Notice::DeadlineApproaching { deadline: d }] if *d == deadline)
    );
    assert_eq!(story.record.next_wakeup(&story.settings), Some(deadline));
    story.then(Event::TimerElapsed);
    assert!(story.commands.is_empty(), "warned once");

    story.now = deadline + TimeDelta::minutes(5);
    story.then(Event::TimerElapsed);
    assert!(matches!(
        notices(&story)[..],
        [Notice::DeadlineMissed { .. }]
    ));
    // No deadline is left to watch; the update window's warning is, 4 hours before it
    // closes 48 hours after the PO.
    let closes = story
        .settings
        .compliance
        .update_window_closes(story.record.purchase_order().ordered_at);
    assert_eq!(
        story.record.next_wakeup(&story.settings),
        Some(closes - TimeDelta::minutes(240))
    );
    // The order still waits for its reviewer.
    assert_eq!(story.state(), StateKind::ExpectApproval);
}

#[test]
fn a_confirmed_order_has_no_deadline_to_watch() {
    let mut story = Story::receive(retail_po(), settings(true, false));
    story
        .then(Event::AcknowledgementSubmitted {
            version: v(1),
            transaction_id: txn("t-1"),
            orders: 1,
        })
        .then(Event::AcknowledgementConfirmed { version: v(1) });
    // Only the sales order creation is pending, and the read of what Amazon recorded
    // (due at once); no deadline is watched.
    let confirmed_at = story
        .record
        .confirmed_acknowledgement()
        .unwrap()
        .confirmed_at;
    assert_eq!(
        story.record.next_wakeup(&story.settings),
        Some(confirmed_at)
    );
    story.then(Event::AmazonRecordRead {
        version: v(1),
        recorded: avc_order_sync::compliance::AmazonRecord::Unreadable {
            reason: "not read here".into(),
        },
    });
    // Then only the warning before the down-confirm cut-off, days later.
    let cutoff = story
        .settings
        .compliance
        .down_confirm_cutoff(story.record.purchase_order())
        .unwrap();
    assert_eq!(
        story.record.next_wakeup(&story.settings),
        Some(cutoff - TimeDelta::minutes(1440))
    );
}

#[test]
fn replayed_events_change_nothing() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    let created = Event::SalesOrderCreated {
        internal_id: so_id(),
    };
    story.then(created.clone());
    let after_first = story.record.clone();
    story.then(created);
    assert_eq!(story.record, after_first);
    assert!(story.commands.is_empty());

    // The same purchase order again.
    story.then(changed(retail_po()));
    assert_eq!(story.record, after_first);

    // Another internal id is not a replay: it is refused.
    story.refused(Event::SalesOrderCreated {
        internal_id: avc_order_sync::InternalId::new("9999").unwrap(),
    });

    // A second confirmation of the same version.
    let approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    story
        .then(read(approved))
        .then(Event::AcknowledgementSubmitted {
            version: v(1),
            transaction_id: txn("t-1"),
            orders: 1,
        })
        .then(Event::AcknowledgementConfirmed { version: v(1) });
    let confirmed = story.record.clone();
    story.then(Event::AcknowledgementConfirmed { version: v(1) });
    assert_eq!(story.record, confirmed);
    assert!(story.commands.is_empty());

    // A version that was never built is refused.
    let err = story.refused(Event::AcknowledgementConfirmed { version: v(7) });
    assert_eq!(
        err.to_string(),
        "order 4Z32PABC: event `AcknowledgementConfirmed` is for acknowledgement version 7, \
         but the latest built is 1"
    );
}

#[test]
fn a_change_before_the_acknowledgement_goes_out_rebuilds_it_and_nothing_stale_is_sent() {
    // Auto acknowledgement builds version 1 for 1 + 2 eaches; before Amazon takes it,
    // Amazon cancels line 2.
    let mut story = Story::receive(df_po(), settings(false, true));
    assert_eq!(story.submitted().0, v(1));
    let mut po = df_po();
    po.lines[1].ordered.amount = 0;
    story.then(changed(po));

    // A new version answers the order as it now is, the cancelled line left out
    // (never acknowledged as 0); retrying sends that one.
    let (version, ack) = story.submitted();
    assert_eq!(version, v(2));
    assert_eq!(
        df(&ack)
            .lines
            .iter()
            .map(|l| (l.sequence.to_string(), l.quantity))
            .collect::<Vec<_>>(),
        [("1".to_owned(), 1)]
    );
    story.then(Event::RetryRequested);
    assert_eq!(story.keys(), ["amazon:acknowledge:DF0001:v2"]);

    // A late word that version 1 was taken changes nothing.
    let before = story.record.clone();
    story.then(Event::AcknowledgementSubmitted {
        version: v(1),
        transaction_id: txn("late"),
        orders: 1,
    });
    assert_eq!(story.record, before);
}
