//! The seven flows of the order lifecycle, end to end through the pure machine.

use avc_order_sync::lifecycle::{
    CloseReason, Command, CommandFailure, Event, FailureKind, LineChange, Notice, OrderState,
    StateKind, TransitionError,
};
use avc_order_sync::settings::{
    ChangedAfterAcknowledgementPolicy, OnAmazonRejectionPolicy, Settings,
};
use avc_order_sync::{AcknowledgementCode, RejectionReason};
use avc_order_sync::{
    AmazonOrderState, NetSuiteStatus, Quantity, SalesOrderSnapshot, SalesOrderStatus,
    ServiceMessage,
};
use chrono::{NaiveDate, TimeDelta};

use crate::it::support::lifecycle::*;

#[test]
fn flow_1_retail_auto_acknowledgement() {
    // Amazon sends a retail PO; auto acknowledgement is on for Retail Procurement.
    let mut story = Story::receive(retail_po(), settings(true, false));

    // It is acknowledged at once, every line accepted as ordered at Amazon's cost.
    assert_eq!(story.state(), StateKind::ExpectAcknowledgementSubmitted);
    let (version, ack) = story.submitted();
    assert_eq!(version, v(1));
    assert_eq!(story.keys(), ["amazon:acknowledge:4Z32PABC:v1"]);
    for (line, ordered) in retail(&ack).lines.iter().zip(&retail_po().lines) {
        assert_eq!(line.decisions.len(), 1);
        assert_eq!(line.decisions[0].code, AcknowledgementCode::Accepted);
        assert_eq!(line.decisions[0].quantity, ordered.ordered);
        assert_eq!(line.net_cost, ordered.net_cost);
    }
    // Nothing is in NetSuite yet.
    assert!(story.record.sales_order().is_none());

    // Amazon takes it; the machine waits, then checks on it.
    story.then(Event::AcknowledgementSubmitted {
        version: v(1),
        transaction_id: txn("20250301-abc"),
        orders: 1,
    });
    assert_eq!(story.state(), StateKind::ExpectAcknowledgementConfirmation);
    assert!(story.commands.is_empty());
    let check_at = story.record.next_wakeup(&story.settings).unwrap();
    assert_eq!(check_at, story.now + TimeDelta::minutes(2));
    story.wait(2).then(Event::TimerElapsed);
    assert_eq!(story.keys(), ["amazon:check:4Z32PABC:v1"]);
    story.then(Event::AcknowledgementStillProcessing { version: v(1) });
    assert!(story.record.next_wakeup(&story.settings).unwrap() > story.now);

    // Amazon confirms: the sales order is created, ready to fulfil.
    story
        .wait(4)
        .then(Event::AcknowledgementConfirmed { version: v(1) });
    assert_eq!(story.state(), StateKind::ExpectSalesOrderCreated);
    let Command::CreateSalesOrder { external_id, draft } = story.command() else {
        panic!("expected CreateSalesOrder, got {:?}", story.commands);
    };
    assert_eq!(external_id.as_str(), "AVC-RP-4Z32PABC");
    assert_eq!(draft.status, SalesOrderStatus::PendingFulfillment);
    assert_eq!(draft.other_ref_num.as_str(), "4Z32PABC");
    assert_eq!(
        draft.lines.iter().map(|l| l.quantity).collect::<Vec<_>>(),
        [36, 10]
    );

    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    assert_eq!(story.state(), StateKind::ExpectShipment);
    assert_eq!(story.record.internal_id(), Some(&so_id()));
    assert!(story.commands.is_empty());
    // Left to do: read what Amazon recorded of the confirmed acknowledgement, at once.
    assert_eq!(story.record.reconciliation_due(), Some(v(1)));
    let confirmed_at = story
        .record
        .confirmed_acknowledgement()
        .unwrap()
        .confirmed_at;
    assert_eq!(
        story.record.next_wakeup(&story.settings),
        Some(confirmed_at)
    );
    assert_eq!(
        story.history(),
        [
            "PurchaseOrderReceived",
            "AcknowledgementSubmitted",
            "TimerElapsed",
            "AcknowledgementStillProcessing",
            "AcknowledgementConfirmed",
            "SalesOrderCreated"
        ]
    );
}

#[test]
fn flow_2_direct_fulfillment_auto_acknowledgement() {
    let mut story = Story::receive(df_po(), settings(false, true));

    // One status for the whole order: code 00, every line at its ordered quantity.
    let (version, ack) = story.submitted();
    assert_eq!(version, v(1));
    let a = df(&ack);
    assert_eq!(a.status_code, "00");
    assert_eq!(
        a.status_description,
        "Shipping 100 percent of ordered product"
    );
    assert_eq!(a.ship_from.as_str(), "WH01");
    assert_eq!(
        a.lines.iter().map(|l| l.quantity).collect::<Vec<_>>(),
        [1, 2]
    );

    story
        .then(Event::AcknowledgementSubmitted {
            version: v(1),
            transaction_id: txn("df-1"),
            orders: 1,
        })
        .then(Event::AcknowledgementConfirmed { version: v(1) });
    let Command::CreateSalesOrder { draft, .. } = story.command() else {
        panic!("expected CreateSalesOrder, got {:?}", story.commands);
    };
    assert_eq!(draft.status, SalesOrderStatus::PendingFulfillment);
    assert_eq!(draft.external_id.as_str(), "AVC-DF-DF0001");
    // The consumer's address goes to NetSuite, and nowhere else.
    assert_eq!(
        draft.shipping_address.as_ref().map(|a| a.name.as_str()),
        Some("Jane Consumer")
    );
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    assert_eq!(story.state(), StateKind::ExpectShipment);
}

#[test]
fn flow_3_retail_manual_acknowledgement() {
    // Auto acknowledgement is off: the order goes to NetSuite for review.
    let mut story = Story::receive(retail_po(), settings(false, false));
    let Command::CreateSalesOrder { draft, .. } = story.command() else {
        panic!("expected CreateSalesOrder, got {:?}", story.commands);
    };
    assert_eq!(draft.status, SalesOrderStatus::PendingApproval);
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    assert_eq!(story.state(), StateKind::ExpectApproval);

    // Not approved yet: reading it changes nothing.
    let pending = snapshot_of(&story.record, NetSuiteStatus::PendingApproval);
    let before = story.record.clone();
    story.then(read(pending));
    assert_eq!(story.record, before);
    assert!(story.commands.is_empty());

    // The reviewer keeps 2 of the 3 cases at a lower rate, and 6 of the 10 eaches with
    // a new ship date for the rest (the PO allows back orders on that line), then
    // approves.
    let mut approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    approved.lines[0].quantity = 24;
    approved.lines[0].rate = "9.25".parse().unwrap();
    approved.lines[1].quantity = 6;
    approved.lines[1].expected_ship_date = NaiveDate::from_ymd_opt(2025, 3, 20);
    story.wait(30).then(read(approved));

    assert_eq!(story.state(), StateKind::ExpectAcknowledgementSubmitted);
    let (version, ack) = story.submitted();
    assert_eq!(version, v(1));
    let lines = &retail(&ack).lines;
    let parts = |i: usize| {
        lines[i]
            .decisions
            .iter()
            .map(|d| (d.code, d.quantity.amount, d.rejection_reason))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        parts(0),
        [
            (AcknowledgementCode::Accepted, 2, None),
            (
                AcknowledgementCode::Rejected,
                1,
                Some(RejectionReason::TemporarilyUnavailable)
            )
        ]
    );
    assert_eq!(lines[0].net_cost.money.amount().to_string(), "9.25");
    assert_eq!(
        parts(1),
        [
            (AcknowledgementCode::Accepted, 6, None),
            (AcknowledgementCode::Backordered, 4, None)
        ]
    );
    assert!(lines[1].decisions[1].scheduled_ship_date.is_some());

    story
        .then(Event::AcknowledgementSubmitted {
            version: v(1),
            transaction_id: txn("t-1"),
            orders: 1,
        })
        .then(Event::AcknowledgementConfirmed { version: v(1) });
    assert_eq!(story.state(), StateKind::ExpectShipment);
    assert!(story.commands.is_empty(), "the sales order already exists");
}

#[test]
fn flow_4_direct_fulfillment_manual_acknowledgement() {
    let reviewed = |edit: &dyn Fn(&mut avc_order_sync::SalesOrderSnapshot)| {
        let mut story = Story::receive(df_po(), settings(false, false));
        story.then(Event::SalesOrderCreated {
            internal_id: so_id(),
        });
        let mut snapshot = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
        edit(&mut snapshot);
        story.then(read(snapshot));
        story
    };

    // Approved at full quantity: accepted whole, code 00.
    let story = reviewed(&|_| {});
    let (_, ack) = story.submitted();
    assert_eq!(df(&ack).status_code, "00");
    assert_eq!(df(&ack).vendor_order_number, "SO1001");

    // Every line closed: the whole order is rejected, out of stock (03) by default.
    let mut story = reviewed(&|s| s.lines.iter_mut().for_each(|l| l.is_closed = true));
    let (_, ack) = story.submitted();
    assert_eq!(df(&ack).status_code, "03");
    assert_eq!(df(&ack).status_description, "Canceled out of stock");
    // Once Amazon takes the rejection there is nothing to ship: the order is complete.
    story
        .then(Event::AcknowledgementSubmitted {
            version: v(1),
            transaction_id: txn("df-1"),
            orders: 1,
        })
        .then(Event::AcknowledgementConfirmed { version: v(1) });
    assert_eq!(story.keys(), ["netsuite:close:AVC-DF-DF0001"]);
    story.then(Event::SalesOrderClosed);
    assert_eq!(
        story.record.state(),
        &OrderState::Closed {
            reason: CloseReason::NothingToShip
        }
    );
    assert_eq!(story.state(), StateKind::Closed);

    // With invalid SKU as the configured reason, the code is 02.
    let mut story = Story::receive(df_po(), {
        let mut s = settings(false, false);
        s.policies.default_rejection_reason = RejectionReason::InvalidProductIdentifier;
        s
    });
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    let mut closed = snapshot_of(&story.record, NetSuiteStatus::Closed);
    closed.lines.iter_mut().for_each(|l| l.is_closed = true);
    story.then(read(closed));
    assert_eq!(df(&story.submitted().1).status_code, "02");

    // Part of the order: a problem for the reviewer, and nothing is sent.
    let story = reviewed(&|s| s.lines[1].quantity = 1);
    assert_eq!(story.state(), StateKind::ExpectApproval);
    assert!(story.commands.is_empty());
    let OrderState::ExpectApproval { problems } = story.record.state() else {
        unreachable!()
    };
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .to_string()
            .contains("Direct Fulfillment orders are accepted or rejected whole"),
        "{}",
        problems[0]
    );
    assert_eq!(story.record.acknowledgement_version(), None);
}

/// A manual retail order approved as is, its acknowledgement (version 1) with Amazon,
/// which then fails it for `reason`.
fn rejected_retail(settings: Settings, reason: &ServiceMessage) -> (Story, SalesOrderSnapshot) {
    let mut story = Story::receive(retail_po(), settings);
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    let approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    story
        .then(read(approved.clone()))
        .then(Event::AcknowledgementSubmitted {
            version: v(1),
            transaction_id: txn("t-1"),
            orders: 1,
        });
    story.then(Event::AcknowledgementFailed {
        version: v(1),
        errors: vec![reason.clone()],
    });
    (story, approved)
}

fn invoice_cost() -> ServiceMessage {
    ServiceMessage {
        code: "InvalidInput".into(),
        message: "netCost does not match the invoice cost".into(),
        field: None,
    }
}

/// The status change an update command sends, and its key.
fn status_update(story: &Story) -> (String, Option<SalesOrderStatus>) {
    let update = story
        .commands
        .iter()
        .find_map(|c| match c {
            Command::UpdateSalesOrder { changes, .. } => Some((c.key(), changes.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no update in {:#?}", story.commands));
    assert!(update.1.lines.is_empty() && update.1.ship_date.is_none());
    (update.0.to_string(), update.1.status)
}

#[test]
fn flow_5_amazon_rejects_and_the_sales_order_goes_back_to_pending_approval() {
    // A manual retail order is approved as is and acknowledged; Amazon's transaction
    // fails. While the rejection stands nothing may ship: the sales order is set
    // back to Pending Approval, and the order keeps Amazon's reason.
    let reason = invoice_cost();
    let (mut story, approved) = rejected_retail(settings(false, false), &reason);
    assert_eq!(
        status_update(&story),
        (
            "netsuite:update:AVC-RP-4Z32PABC:r1".to_owned(),
            Some(SalesOrderStatus::PendingApproval)
        )
    );
    assert!(story.commands.iter().any(|c| matches!(
        c,
        Command::Notify {
            notice: Notice::RejectedByAmazon { .. },
            ..
        }
    )));
    story.then(Event::SalesOrderUpdated { revision: 1 });
    assert_eq!(story.state(), StateKind::ExpectRepost);
    assert!(story.commands.is_empty());
    let OrderState::ExpectRepost {
        errors,
        version,
        returned_to_approval,
    } = story.record.state()
    else {
        unreachable!()
    };
    assert_eq!((errors.as_slice(), *version), (&[reason.clone()][..], v(1)));
    assert!(*returned_to_approval);
    assert_eq!(
        story.record.sales_order().map(|d| d.status),
        Some(SalesOrderStatus::PendingApproval)
    );

    // The reviewer is still working on it: nothing is sent.
    let before = story.record.clone();
    story.then(read(snapshot_of(
        &story.record,
        NetSuiteStatus::PendingApproval,
    )));
    assert_eq!(story.record, before);
    assert!(story.commands.is_empty());

    // The reviewer fixes the rate and approves again: the approvals poll reads it,
    // and the acknowledgement of the order as it now stands goes out.
    let mut fixed = approved;
    fixed.lines[0].rate = "9.00".parse().unwrap();
    story.then(read(fixed));
    let (version, ack) = story.submitted();
    assert_eq!(version, v(2));
    assert_eq!(
        retail(&ack).lines[0].net_cost.money.amount().to_string(),
        "9.00"
    );
    story
        .then(Event::AcknowledgementSubmitted {
            version: v(2),
            transaction_id: txn("t-2"),
            orders: 1,
        })
        .then(Event::AcknowledgementConfirmed { version: v(2) });
    assert_eq!(story.state(), StateKind::ExpectShipment);
    assert_eq!(
        story.record.confirmed_acknowledgement().map(|c| c.version),
        Some(v(2))
    );

    // A late word about version 1 changes nothing.
    let before = story.record.clone();
    story.then(Event::AcknowledgementFailed {
        version: v(1),
        errors: vec![reason],
    });
    assert_eq!(story.record, before);
}

#[test]
fn a_repost_approves_a_sales_order_returned_to_pending_approval_and_sends_it() {
    let (mut story, approved) = rejected_retail(settings(false, false), &invoice_cost());
    story.then(Event::SalesOrderUpdated { revision: 1 });
    // The operator reposts before the reviewer approves: the repost approves it,
    // reads it back, and acknowledges it as it now stands.
    story.then(Event::RepostRequested);
    assert_eq!(
        status_update(&story),
        (
            "netsuite:update:AVC-RP-4Z32PABC:r2".to_owned(),
            Some(SalesOrderStatus::PendingFulfillment)
        )
    );
    story.then(Event::SalesOrderUpdated { revision: 2 });
    assert_eq!(story.keys(), ["netsuite:read:AVC-RP-4Z32PABC"]);
    let mut fewer = approved;
    fewer.lines[1].quantity = 6;
    story.then(read(fewer));
    let (version, ack) = story.submitted();
    assert_eq!(version, v(2));
    assert_eq!(
        retail(&ack).lines[1].decisions[0].quantity.amount,
        6,
        "{ack:?}"
    );
}

/// NetSuite's refusal of a status change on an order it shows Closed (H).
fn status_refused(command_key: String) -> Event {
    Event::CommandFailed {
        command_key: command_key.parse().expect("a command key"),
        failure: CommandFailure {
            kind: FailureKind::Rejected {
                messages: vec![ServiceMessage::new(
                    "USER_ERROR",
                    "The approval status of sales order SO1001 cannot be changed: its status is H.",
                )],
            },
            exhausted: true,
        },
    }
}

/// The sales order with every line closed by the reviewer: NetSuite shows it Closed.
fn all_closed(story: &Story) -> SalesOrderSnapshot {
    let mut closed = snapshot_of(&story.record, NetSuiteStatus::Closed);
    closed.lines.iter_mut().for_each(|l| l.is_closed = true);
    closed
}

#[test]
fn a_closed_sales_order_netsuite_keeps_out_of_pending_approval_waits_for_a_repost() {
    // Amazon rejects the acknowledgement after the reviewer closed every line: the
    // order is Closed in NetSuite, nothing can ship, and NetSuite refuses to set it
    // back to Pending Approval. The order waits for a repost as it stands, instead of
    // sending the refused change again and again.
    let reason = invoice_cost();
    let (mut story, _) = rejected_retail(settings(false, false), &reason);
    let approval = story.record.sales_order().map(|d| d.status);
    let (key, status) = status_update(&story);
    assert_eq!(status, Some(SalesOrderStatus::PendingApproval));
    story.then(status_refused(key));
    assert_eq!(story.state(), StateKind::ExpectRepost);
    assert!(story.commands.is_empty());
    let OrderState::ExpectRepost {
        errors,
        version,
        returned_to_approval,
    } = story.record.state()
    else {
        unreachable!()
    };
    assert_eq!((errors.as_slice(), *version), (&[reason][..], v(1)));
    assert!(!*returned_to_approval);
    // The record keeps the approval status NetSuite kept.
    assert_eq!(story.record.sales_order().map(|d| d.status), approval);

    // The repost reads the order as NetSuite has it and acknowledges that: every
    // line rejected, and once Amazon takes it, the order is closed out.
    story.then(Event::RepostRequested);
    assert_eq!(story.keys(), ["netsuite:read:AVC-RP-4Z32PABC"]);
    let closed = all_closed(&story);
    story.then(read(closed));
    let (version, ack) = story.submitted();
    assert_eq!(version, v(2));
    assert!(retail(&ack).lines.iter().all(|l| {
        l.decisions
            .iter()
            .all(|d| d.code == AcknowledgementCode::Rejected)
    }));
}

#[test]
fn a_repost_of_an_order_closed_while_back_in_pending_approval_acknowledges_it_as_it_stands() {
    // The sales order went back to Pending Approval; the reviewer then closes every
    // line instead of approving. The repost's approval is refused by NetSuite, so the
    // order is read as it stands and acknowledged as such.
    let (mut story, _) = rejected_retail(settings(false, false), &invoice_cost());
    story.then(Event::SalesOrderUpdated { revision: 1 });
    story.then(Event::RepostRequested);
    let (key, status) = status_update(&story);
    assert_eq!(status, Some(SalesOrderStatus::PendingFulfillment));
    story.then(status_refused(key));
    assert_eq!(story.state(), StateKind::ExpectSalesOrderRead);
    assert_eq!(story.keys(), ["netsuite:read:AVC-RP-4Z32PABC"]);
    let closed = all_closed(&story);
    story.then(read(closed));
    let (version, ack) = story.submitted();
    assert_eq!(version, v(2));
    assert!(retail(&ack).lines.iter().all(|l| {
        l.decisions
            .iter()
            .all(|d| d.code == AcknowledgementCode::Rejected)
    }));
}

#[test]
fn with_leave_approved_the_rejected_sales_order_stays_approved_until_a_repost() {
    let mut s = settings(false, false);
    s.policies.on_amazon_rejection = OnAmazonRejectionPolicy::LeaveApproved;
    let reason = invoice_cost();
    let (mut story, approved) = rejected_retail(s, &reason);
    assert_eq!(story.state(), StateKind::ExpectRepost);
    assert!(matches!(
        story.command(),
        Command::Notify {
            notice: Notice::RejectedByAmazon { .. },
            ..
        }
    ));
    let OrderState::ExpectRepost {
        returned_to_approval,
        ..
    } = story.record.state()
    else {
        unreachable!()
    };
    assert!(!*returned_to_approval);
    // A read of the approved order sends nothing by itself.
    let before = story.record.clone();
    story.then(read(approved.clone()));
    assert_eq!(story.record, before);
    assert!(story.commands.is_empty());

    // The reviewer fixes the order in NetSuite and reposts it.
    story.then(Event::RepostRequested);
    assert_eq!(story.keys(), ["netsuite:read:AVC-RP-4Z32PABC"]);
    let mut fixed = approved;
    fixed.lines[0].rate = "9.00".parse().unwrap();
    story.then(read(fixed));
    let (version, _) = story.submitted();
    assert_eq!(version, v(2));
}

#[test]
fn a_rejected_automatic_acknowledgement_with_no_sales_order_only_waits_for_a_repost() {
    let mut story = Story::receive(retail_po(), settings(true, false));
    story.then(Event::AcknowledgementSubmitted {
        version: v(1),
        transaction_id: txn("t-1"),
        orders: 1,
    });
    story.then(Event::AcknowledgementFailed {
        version: v(1),
        errors: vec![invoice_cost()],
    });
    assert_eq!(story.state(), StateKind::ExpectRepost);
    assert!(matches!(
        story.command(),
        Command::Notify {
            notice: Notice::RejectedByAmazon { .. },
            ..
        }
    ));
    assert!(story.record.sales_order().is_none());
}

/// A manual retail order, approved as is and confirmed by Amazon.
fn confirmed_retail(policy: ChangedAfterAcknowledgementPolicy) -> Story {
    let mut s = settings(false, false);
    s.policies.changed_after_acknowledgement = policy;
    let mut story = Story::receive(retail_po(), s);
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    let approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    story
        .then(read(approved))
        .then(Event::AcknowledgementSubmitted {
            version: v(1),
            transaction_id: txn("t-1"),
            orders: 1,
        })
        .then(Event::AcknowledgementConfirmed { version: v(1) });
    assert_eq!(story.state(), StateKind::ExpectShipment);
    story
}

/// Amazon lowers line 2 to 8 eaches and cancels line 1.
fn amazon_change() -> avc_order_sync::PurchaseOrder {
    let mut po = retail_po();
    po.lines[1].ordered = Quantity::eaches_of(8);
    po.lines[0].ordered.amount = 0;
    po
}

#[test]
fn a_change_names_the_item_only_when_it_changed_and_carries_a_moved_ship_window() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    // Amazon puts SKU-1 (item 98) on line 2, in place of SKU-2 (item 99), raises line
    // 1's cost and moves the ship window two days later.
    let mut po = retail_po();
    po.lines[1].vendor_sku = Some("SKU-1".parse().unwrap());
    po.lines[0].net_cost.money =
        avc_order_sync::Money::new("9.75".parse().unwrap(), "USD".parse().unwrap());
    let window = po.ship_window.as_mut().unwrap();
    window.start += TimeDelta::days(2);
    window.end += TimeDelta::days(2);
    story.then(changed(po));
    let Command::UpdateSalesOrder { changes, .. } = story.command() else {
        panic!("expected UpdateSalesOrder, got {:?}", story.commands);
    };
    assert!(
        matches!(&changes.lines[..], [
            LineChange::Set { sequence: first, item: None, quantity: Some(36), .. },
            LineChange::Set { sequence: second, item: Some(item), quantity: Some(10), .. },
        ] if first.as_str() == "1" && second.as_str() == "2" && item.as_str() == "98"),
        "{changes:?}"
    );
    assert_eq!(changes.ship_date, NaiveDate::from_ymd_opt(2025, 3, 12));
}

#[test]
fn flow_6_amazon_changes_or_cancels_a_po() {
    // Before acknowledgement: the sales order is updated, the cancelled line closed.
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    story.then(changed(amazon_change()));
    assert_eq!(story.state(), StateKind::ExpectSalesOrderUpdated);
    let Command::UpdateSalesOrder { changes, .. } = story.command() else {
        panic!("expected UpdateSalesOrder, got {:?}", story.commands);
    };
    assert_eq!(changes.lines.len(), 2);
    assert!(
        matches!(&changes.lines[0], LineChange::Set { sequence, item: None, quantity: Some(8), .. } if sequence.as_str() == "2")
    );
    assert!(
        matches!(&changes.lines[1], LineChange::Close { sequence } if sequence.as_str() == "1")
    );
    // Once NetSuite is up to date the order is read (an approval given while the
    // update was out is seen there), and waits for approval while it shows none.
    story.then(Event::SalesOrderUpdated { revision: 1 });
    assert_eq!(story.state(), StateKind::ExpectSalesOrderRead);
    assert!(matches!(story.command(), Command::ReadSalesOrder { .. }));
    let pending = snapshot_of(&story.record, NetSuiteStatus::PendingApproval);
    story.then(read(pending));
    assert_eq!(story.state(), StateKind::ExpectApproval);
    assert!(story.commands.is_empty(), "{:?}", story.commands);

    // After acknowledgement, "update the NetSuite order".
    let mut story = confirmed_retail(ChangedAfterAcknowledgementPolicy::UpdateSalesOrder);
    story.then(changed(amazon_change()));
    assert_eq!(story.state(), StateKind::ExpectSalesOrderUpdated);
    assert_eq!(story.keys(), ["netsuite:update:AVC-RP-4Z32PABC:r1"]);
    story.then(Event::SalesOrderUpdated { revision: 1 });
    assert_eq!(story.state(), StateKind::ExpectShipment);

    // After acknowledgement, "review each order".
    let mut story = confirmed_retail(ChangedAfterAcknowledgementPolicy::ReviewEachOrder);
    story.then(changed(amazon_change()));
    assert_eq!(story.state(), StateKind::ExpectChangeReview);
    story.then(Event::RepostRequested);
    assert_eq!(story.keys(), ["netsuite:update:AVC-RP-4Z32PABC:r1"]);

    // After acknowledgement, "cancel the NetSuite order".
    let mut story = confirmed_retail(ChangedAfterAcknowledgementPolicy::CancelSalesOrder);
    story.then(changed(amazon_change()));
    assert_eq!(story.keys(), ["netsuite:close:AVC-RP-4Z32PABC"]);
    story.then(Event::SalesOrderClosed);
    assert_eq!(
        story.record.state(),
        &OrderState::Cancelled {
            reason: CloseReason::ChangedAfterAcknowledgement
        }
    );

    // A change that leaves the acknowledged quantities alone changes nothing in NetSuite.
    let mut story = confirmed_retail(ChangedAfterAcknowledgementPolicy::CancelSalesOrder);
    let mut later_window = retail_po();
    later_window.changed_at = Some(t0() + TimeDelta::hours(3));
    story.then(changed(later_window));
    assert_eq!(story.state(), StateKind::ExpectShipment);
    assert!(story.commands.is_empty());

    // Amazon moves the ship window of an acknowledged order: whatever the policy, only
    // NetSuite's ship date follows, and nothing is acknowledged again.
    for policy in [
        ChangedAfterAcknowledgementPolicy::CancelSalesOrder,
        ChangedAfterAcknowledgementPolicy::ReviewEachOrder,
        ChangedAfterAcknowledgementPolicy::UpdateSalesOrder,
    ] {
        let mut story = confirmed_retail(policy);
        let mut moved = retail_po();
        moved.changed_at = Some(t0() + TimeDelta::hours(3));
        let window = moved.ship_window.as_mut().unwrap();
        window.start += TimeDelta::days(2);
        window.end += TimeDelta::days(2);
        let expected = window.start.date_naive();
        story.then(changed(moved));
        let Command::UpdateSalesOrder { changes, .. } = story.command() else {
            panic!("expected UpdateSalesOrder, got {:?}", story.commands);
        };
        assert!(changes.lines.is_empty(), "{changes:?}");
        assert_eq!(changes.ship_date, Some(expected));
        story.then(Event::SalesOrderUpdated { revision: 1 });
        assert_eq!(story.state(), StateKind::ExpectShipment);
        assert!(story.commands.is_empty(), "{:?}", story.commands);
        assert_eq!(story.record.acknowledgement_version(), Some(v(1)));
    }

    // Amazon closes the retail PO: the NetSuite order is closed and the order is complete.
    let mut story = confirmed_retail(ChangedAfterAcknowledgementPolicy::UpdateSalesOrder);
    let mut closed = retail_po();
    closed.state = AmazonOrderState::Closed;
    story.then(changed(closed));
    assert_eq!(story.keys(), ["netsuite:close:AVC-RP-4Z32PABC"]);
    story.then(Event::SalesOrderClosed);
    assert_eq!(story.state(), StateKind::Closed);
    assert!(story.record.is_terminal());

    // Amazon cancels a Direct Fulfillment order: the NetSuite order is closed.
    let mut story = Story::receive(df_po(), settings(false, false));
    story
        .then(Event::SalesOrderCreated {
            internal_id: so_id(),
        })
        .then(Event::PurchaseOrderCancelled);
    assert_eq!(story.keys(), ["netsuite:close:AVC-DF-DF0001"]);
    story.then(Event::SalesOrderClosed);
    assert_eq!(story.state(), StateKind::Cancelled);
    assert_eq!(
        story.record.state(),
        &OrderState::Cancelled {
            reason: CloseReason::CancelledByAmazon
        }
    );
}

/// A page read before Amazon's change can arrive after one read after it (a slow
/// answer, two engines, overlapping windows): the older copy must not undo the change.
#[test]
fn an_older_copy_of_a_changed_po_changes_nothing() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    let mut first = retail_po();
    first.lines[1].ordered = Quantity::eaches_of(7);
    first.changed_at = Some(t0() + TimeDelta::hours(1));
    let mut second = amazon_change();
    second.changed_at = Some(t0() + TimeDelta::hours(2));
    story.then(changed(second.clone()));
    story.then(Event::SalesOrderUpdated { revision: 1 });
    assert_eq!(story.record.purchase_order(), &second);
    let before = story.record.clone();

    story.then(changed(first.clone()));
    assert_eq!(story.record, before);
    assert!(story.commands.is_empty(), "{:?}", story.commands);

    // A copy with no change stamp is older than any stamped one; so is a copy whose
    // state Amazon changed earlier.
    story.then(changed(retail_po()));
    assert_eq!(story.record, before);
    let mut stamped = second.clone();
    stamped.state_changed_at = Some(t0() + TimeDelta::hours(4));
    story.then(changed(stamped.clone()));
    assert_eq!(story.record.purchase_order(), &stamped);
    let mut earlier_state = stamped.clone();
    earlier_state.state_changed_at = Some(t0() + TimeDelta::hours(3));
    earlier_state.lines[1].ordered = Quantity::eaches_of(5);
    let before = story.record.clone();
    story.then(changed(earlier_state));
    assert_eq!(story.record, before);

    // A newer copy still applies.
    let mut third = stamped;
    third.lines[1].ordered = Quantity::eaches_of(5);
    third.changed_at = Some(t0() + TimeDelta::hours(5));
    story.then(changed(third.clone()));
    assert_eq!(story.record.purchase_order(), &third);
    assert_eq!(story.state(), StateKind::ExpectSalesOrderUpdated);
}

/// Amazon's cancellation that comes after the order ended, or while its sales order is
/// being closed for another reason (a late listing, an operator's refetch), changes
/// nothing and sends no second close.
#[test]
fn a_cancellation_after_the_order_ended_changes_nothing() {
    let mut story = confirmed_retail(ChangedAfterAcknowledgementPolicy::CancelSalesOrder);
    story.then(changed(amazon_change()));
    assert_eq!(story.keys(), ["netsuite:close:AVC-RP-4Z32PABC"]);
    let closing = story.record.clone();
    story.then(Event::PurchaseOrderCancelled);
    assert_eq!(story.record, closing);
    assert!(story.commands.is_empty(), "{:?}", story.commands);

    story.then(Event::SalesOrderClosed);
    assert!(story.record.is_terminal());
    let ended = story.record.clone();
    story.then(Event::PurchaseOrderCancelled);
    assert_eq!(story.record, ended);
    assert!(story.commands.is_empty(), "{:?}", story.commands);
}

#[test]
fn flow_7_operator_actions() {
    // Hold: the reviewer's approval still lands, but nothing is sent until release.
    let mut story = Story::receive(retail_po(), settings(false, false));
    story
        .then(Event::SalesOrderCreated {
            internal_id: so_id(),
        })
        .then(Event::HoldRequested {
            reason: "customer credit check".into(),
        });
    assert_eq!(story.state(), StateKind::Held);
    let approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    story.then(read(approved));
    assert_eq!(story.state(), StateKind::Held);
    assert!(story.commands.is_empty());
    let err = story.refused(Event::HoldRequested {
        reason: "again".into(),
    });
    assert!(matches!(
        err,
        TransitionError::InappropriateEvent {
            state: StateKind::Held,
            event: avc_order_sync::lifecycle::EventKind::HoldRequested,
            ..
        }
    ));
    story.then(Event::ReleaseRequested);
    assert_eq!(story.state(), StateKind::ExpectAcknowledgementSubmitted);
    assert_eq!(story.keys(), ["amazon:acknowledge:4Z32PABC:v1"]);

    // Retry now: a failed create waits for its retry time, or goes at once on request.
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(Event::CommandFailed {
        command_key: "netsuite:create:AVC-RP-4Z32PABC"
            .parse()
            .expect("a command key"),
        failure: CommandFailure {
            kind: FailureKind::Transient {
                message: "connection reset".into(),
            },
            exhausted: false,
        },
    });
    assert_eq!(story.state(), StateKind::ExpectSalesOrderCreated);
    assert!(story.commands.is_empty());
    assert!(story.record.next_wakeup(&story.settings).unwrap() > story.now);
    story.then(Event::RetryRequested);
    assert_eq!(story.keys(), ["netsuite:create:AVC-RP-4Z32PABC"]);

    // Out of attempts: the order needs attention (never dropped); retry resumes it.
    story.then(Event::CommandFailed {
        command_key: "netsuite:create:AVC-RP-4Z32PABC"
            .parse()
            .expect("a command key"),
        failure: CommandFailure {
            kind: FailureKind::Transient {
                message: "connection reset".into(),
            },
            exhausted: true,
        },
    });
    assert_eq!(story.state(), StateKind::ExpectFix);
    story.then(Event::RetryRequested);
    assert_eq!(story.state(), StateKind::ExpectSalesOrderCreated);
    assert_eq!(story.keys(), ["netsuite:create:AVC-RP-4Z32PABC"]);

    // Repost only where there is something to repost.
    let err = story.refused(Event::RepostRequested);
    assert_eq!(
        err.to_string(),
        "order 4Z32PABC: event `RepostRequested` does not fit state `ExpectSalesOrderCreated`, \
         which accepts `PurchaseOrderChanged`, `PurchaseOrderCancelled`, `SalesOrderCreated`, \
         `CommandFailed`, `TimerElapsed`, `AmazonRecordRead`, `AmazonRecordUnread`, `RetryRequested`, `HoldRequested`, `CancelRequested`"
    );
    story.refused(Event::ReleaseRequested);

    // Cancel: the NetSuite order is closed, and the order is over.
    story.then(Event::CancelRequested {
        reason: "duplicate order".into(),
    });
    assert_eq!(story.keys(), ["netsuite:close:AVC-RP-4Z32PABC"]);
    story.then(Event::SalesOrderClosed);
    assert_eq!(story.state(), StateKind::Cancelled);
    assert!(story.record.is_terminal());
    story.refused(Event::RetryRequested);
    story.refused(Event::CancelRequested {
        reason: "again".into(),
    });

    // An order already posted cannot be held; one waiting for Amazon cannot be cancelled.
    let mut story = confirmed_retail(ChangedAfterAcknowledgementPolicy::UpdateSalesOrder);
    story.refused(Event::HoldRequested {
        reason: "too late".into(),
    });
    let mut story = Story::receive(retail_po(), settings(true, false));
    story.then(Event::AcknowledgementSubmitted {
        version: v(1),
        transaction_id: txn("t-1"),
        orders: 1,
    });
    story.refused(Event::CancelRequested {
        reason: "wait for Amazon".into(),
    });
}
