//! NetSuite Connector's wording for each state, pinned in one place. Every other test
//! asserts the typed state; this one says what an operator reads for it.

use std::collections::BTreeSet;

use avc_order_sync::AmazonOrderState;
use avc_order_sync::lifecycle::{
    Attention, CommandFailure, Event, FailureKind, OrderState, StateKind,
};

use crate::it::support::lifecycle::*;

/// Every state and the words NetSuite Connector shows for it.
const WORDING: &[(StateKind, &str)] = &[
    (
        StateKind::ExpectSalesOrderCreated,
        "Scheduled to post to NetSuite",
    ),
    (StateKind::ExpectApproval, "Waiting for approval"),
    (
        StateKind::ExpectSalesOrderRead,
        "Scheduled to post to Amazon",
    ),
    (
        StateKind::ExpectAcknowledgementSubmitted,
        "Scheduled to post to Amazon",
    ),
    (
        StateKind::ExpectAcknowledgementConfirmation,
        "Waiting for response from Amazon",
    ),
    (StateKind::ExpectShipment, "Order posted, awaiting shipment"),
    (StateKind::ExpectRepost, "Rejected"),
    (StateKind::ExpectFix, "Error posting to NetSuite"),
    (
        StateKind::ExpectChangeReview,
        "Failed to get Amazon confirmation",
    ),
    (
        StateKind::ExpectSalesOrderUpdated,
        "Updated order posted to NetSuite",
    ),
    (StateKind::ExpectSalesOrderClosed, "Canceling in NetSuite"),
    (StateKind::Held, "Held"),
    (StateKind::Cancelled, "Canceled"),
    (StateKind::Closed, "Complete"),
];

#[test]
fn every_state_reads_as_netsuite_connector_words_it() {
    let pinned: BTreeSet<String> = WORDING.iter().map(|(k, _)| format!("{k:?}")).collect();
    let every: BTreeSet<String> = StateKind::ALL.iter().map(|k| format!("{k:?}")).collect();
    assert_eq!(pinned, every, "the table names every state once");
    assert_eq!(WORDING.len(), StateKind::ALL.len(), "no state twice");
    for (kind, words) in WORDING {
        assert_eq!(kind.connector_status(), *words, "{kind:?}");
    }

    // An order's label follows its state's words ...
    let story = Story::receive(retail_po(), settings(false, false));
    assert_eq!(story.state(), StateKind::ExpectSalesOrderCreated);
    assert_eq!(story.record.status_label(), "Scheduled to post to NetSuite");

    // ... except where an order needs attention for Amazon's sake: a command of
    // Amazon's that failed for good ...
    let mut story = Story::receive(retail_po(), settings(true, false));
    story.then(Event::AcknowledgementSubmitted {
        version: v(1),
        transaction_id: txn("t-1"),
        orders: 1,
    });
    story.wait(2).then(Event::TimerElapsed);
    story.then(Event::CommandFailed {
        command_key: "amazon:check:4Z32PABC:v1".parse().expect("a command key"),
        failure: CommandFailure {
            kind: FailureKind::Unauthorized {
                message: "403".into(),
            },
            exhausted: true,
        },
    });
    assert!(
        matches!(
            story.record.state(),
            OrderState::ExpectFix {
                attention: Attention::Command { .. }
            }
        ),
        "{:?}",
        story.record.state()
    );
    assert_eq!(story.record.status_label(), "Error posting to Amazon");

    // ... or an order Amazon lists that cannot be read.
    let mut po = retail_po();
    po.state = AmazonOrderState::Acknowledged;
    let story = Story::receive(po, settings(true, false));
    assert!(
        matches!(
            story.record.state(),
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. }
            }
        ),
        "{:?}",
        story.record.state()
    );
    assert_eq!(story.record.status_label(), "Error reading from Amazon");
}
