//! Amazon's acknowledgement rules, enforced before anything is sent: each violation
//! keeps the order waiting for the reviewer, with the reason, and sends nothing.

use avc_order_sync::lifecycle::{Event, OrderState, StateKind};
use avc_order_sync::{NetSuiteStatus, ProblemKind, SalesOrderSnapshot};

use crate::it::support::lifecycle::*;

/// A manual retail order created in NetSuite, then read back approved after `edit`.
fn approve_retail(edit: impl Fn(&mut SalesOrderSnapshot)) -> Story {
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    let mut snapshot = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    edit(&mut snapshot);
    story.then(read(snapshot));
    story
}

/// The problems shown to the reviewer; asserts nothing was sent.
fn shown_to_reviewer(story: &Story) -> Vec<ProblemKind> {
    assert_eq!(story.state(), StateKind::ExpectApproval);
    assert!(story.commands.is_empty(), "sent {:?}", story.commands);
    // No new acknowledgement version was built.
    assert_eq!(
        story.record.acknowledgement_version(),
        story.record.confirmed_acknowledgement().map(|c| c.version)
    );
    let OrderState::ExpectApproval { problems } = story.record.state() else {
        unreachable!()
    };
    for p in problems {
        assert_eq!(p.purchase_order_number, "4Z32PABC");
    }
    problems.iter().map(|p| p.kind.clone()).collect()
}

#[test]
fn an_approved_quantity_above_the_ordered_quantity_is_held_for_the_reviewer() {
    let story = approve_retail(|s| s.lines[1].quantity = 12);
    assert_eq!(
        shown_to_reviewer(&story),
        [ProblemKind::QuantityAboveOrdered {
            approved: 12,
            ordered: 10
        }]
    );
}

#[test]
fn a_rate_above_amazons_net_cost_is_held_for_the_reviewer() {
    let story = approve_retail(|s| s.lines[0].rate = "9.51".parse().unwrap());
    assert_eq!(
        shown_to_reviewer(&story),
        [ProblemKind::RateAboveNetCost {
            rate: "9.51".parse().unwrap(),
            net_cost: "9.50".parse().unwrap()
        }]
    );
}

#[test]
fn a_quantity_that_is_not_whole_cases_is_held_for_the_reviewer() {
    // Line 1 is ordered as 3 cases of 12; 30 eaches is two and a half cases.
    let story = approve_retail(|s| s.lines[0].quantity = 30);
    assert_eq!(
        shown_to_reviewer(&story),
        [ProblemKind::NotWholeCases {
            eaches: 30,
            unit_size: 12
        }]
    );
}

#[test]
fn a_po_line_missing_from_the_sales_order_is_held_for_the_reviewer() {
    let story = approve_retail(|s| {
        s.lines.remove(0);
    });
    assert_eq!(
        shown_to_reviewer(&story),
        [ProblemKind::LineNotInSalesOrder]
    );
    let OrderState::ExpectApproval { problems } = story.record.state() else {
        unreachable!()
    };
    assert_eq!(problems[0].line.as_deref(), Some("1"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let story = approve_retail(|s| {
        s.lines[0].quantity = 30;
        s.lines[1].rate = "5".parse().unwrap();
    });
    assert_eq!(shown_to_reviewer(&story).len(), 2);
}

#[test]
fn a_line_rejected_before_can_never_be_accepted() {
    // Line 2 was acknowledged 6 accepted, 4 rejected, and Amazon confirmed it.
    let mut story = approve_retail(|s| s.lines[1].quantity = 6);
    story
        .then(Event::AcknowledgementSubmitted {
            version: v(1),
            transaction_id: txn("t-1"),
            orders: 1,
        })
        .then(Event::AcknowledgementConfirmed { version: v(1) });
    assert_eq!(story.state(), StateKind::ExpectShipment);

    // Later the reviewer raises it back to 10 and reposts.
    story.then(Event::RepostRequested);
    let full = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    story.then(read(full));
    assert_eq!(
        shown_to_reviewer(&story),
        [ProblemKind::RejectedLineAccepted {
            previously_kept: 6,
            now_kept: 10
        }]
    );
    // The confirmed acknowledgement stands.
    assert_eq!(
        story.record.confirmed_acknowledgement().map(|c| c.version),
        Some(v(1))
    );

    // Lowering it further is allowed: a new version goes out.
    let mut lower = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    lower.lines[1].quantity = 5;
    story.then(read(lower));
    assert_eq!(story.submitted().0, v(2));
}

#[test]
fn a_fixed_order_is_acknowledged_on_the_next_read() {
    let mut story = approve_retail(|s| s.lines[1].quantity = 12);
    shown_to_reviewer(&story);
    let fixed = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    story.then(read(fixed));
    assert_eq!(story.submitted().0, v(1));
}

#[test]
fn part_of_a_direct_fulfillment_order_is_held_for_the_reviewer() {
    let mut story = Story::receive(df_po(), settings(false, false));
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    let mut partial = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    partial.lines[0].is_closed = true;
    story.then(read(partial));
    assert_eq!(story.state(), StateKind::ExpectApproval);
    assert!(story.commands.is_empty());
    let OrderState::ExpectApproval { problems } = story.record.state() else {
        unreachable!()
    };
    assert_eq!(problems[0].kind, ProblemKind::PartialDirectFulfillment);
}

/// The reviewer approved 6 of line 2's 10 eaches; before the acknowledgement went out,
/// Amazon lowered the line to 8. The sales order is brought to Amazon's order without
/// lifting the line above what the reviewer approved, and the acknowledgement is
/// rebuilt from it: 6 accepted, never 8.
#[test]
fn a_change_before_the_acknowledgement_never_lifts_a_line_above_the_approval() {
    use avc_order_sync::Quantity;
    use avc_order_sync::lifecycle::{Command, LineChange};

    let mut story = approve_retail(|s| s.lines[1].quantity = 6);
    assert_eq!(story.state(), StateKind::ExpectAcknowledgementSubmitted);
    let mut po = retail_po();
    po.lines[1].ordered = Quantity::eaches_of(8);
    story.then(changed(po));
    assert_eq!(story.state(), StateKind::ExpectSalesOrderUpdated);
    let Command::UpdateSalesOrder { changes, .. } = story.command() else {
        panic!("expected UpdateSalesOrder, got {:?}", story.commands);
    };
    assert!(
        matches!(
            changes.lines.as_slice(),
            [LineChange::Set { sequence, quantity: Some(6), .. }] if sequence.as_str() == "2"
        ),
        "{changes:?}"
    );
    story.then(Event::SalesOrderUpdated { revision: 1 });
    assert_eq!(story.state(), StateKind::ExpectSalesOrderRead);
    let approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    assert_eq!(approved.lines[1].quantity, 6);
    story.then(read(approved));
    let (version, ack) = story.submitted();
    assert_eq!(version, v(2));
    let line = &retail(&ack).lines[1];
    let kept: u64 = line
        .decisions
        .iter()
        .filter(|d| d.code != avc_order_sync::AcknowledgementCode::Rejected)
        .map(|d| d.quantity.eaches().unwrap())
        .sum();
    assert_eq!(kept, 6);
}

/// The reviewer approved line 2's 10 eaches and acknowledgement v1 went out in a
/// request Amazon failed for another order's sake; meanwhile Amazon raised the line to
/// 12. Capped at the approval, the sales order needs no change, so NetSuite shows no
/// new change to wait for: the approved order is read again at once and the next
/// version built from it, accepting the 10 approved.
#[test]
fn an_acknowledgement_not_judged_after_a_change_is_rebuilt_from_the_approval() {
    use avc_order_sync::Quantity;
    use avc_order_sync::lifecycle::Command;

    let mut story = approve_retail(|_| {});
    story.then(Event::AcknowledgementSubmitted {
        version: v(1),
        transaction_id: txn("t-1"),
        orders: 1,
    });
    let mut po = retail_po();
    po.lines[1].ordered = Quantity::eaches_of(12);
    story.then(changed(po));
    story.then(Event::AcknowledgementNotJudged {
        version: v(1),
        errors: Vec::new(),
    });
    assert_eq!(story.state(), StateKind::ExpectSalesOrderRead);
    assert!(
        matches!(story.command(), Command::ReadSalesOrder { .. }),
        "{:?}",
        story.commands
    );
    let approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    assert_eq!(approved.lines[1].quantity, 10);
    story.then(read(approved));
    let (version, ack) = story.submitted();
    assert_eq!(version, v(2));
    let kept: u64 = retail(&ack).lines[1]
        .decisions
        .iter()
        .filter(|d| d.code != avc_order_sync::AcknowledgementCode::Rejected)
        .map(|d| d.quantity.eaches().unwrap())
        .sum();
    assert_eq!(kept, 10);
}

/// Seed 901 (120,000-seed run): the reviewer refused line 1; a change from Amazon
/// before the acknowledgement went out closed it in NetSuite (capped at nothing
/// accepted) and left it out of the recorded draft. A second change listed the line
/// again, and the update asked NetSuite to add a line it already had: refused for
/// good. The draft now keeps the closed line, closed, and never reopens it.
#[test]
fn a_line_closed_by_an_update_is_never_added_again() {
    use avc_order_sync::Quantity;
    use avc_order_sync::lifecycle::{Command, LineChange};

    let mut story = approve_retail(|s| s.lines[0].is_closed = true);
    assert_eq!(story.state(), StateKind::ExpectAcknowledgementSubmitted);
    let mut po = retail_po();
    po.lines[1].ordered = Quantity::eaches_of(8);
    story.then(changed(po.clone()));
    let Command::UpdateSalesOrder { changes, .. } = story.command() else {
        panic!("expected UpdateSalesOrder, got {:?}", story.commands);
    };
    assert!(
        changes
            .lines
            .iter()
            .any(|c| matches!(c, LineChange::Close { sequence } if sequence.as_str() == "1")),
        "{changes:?}"
    );
    story.then(Event::SalesOrderUpdated { revision: 1 });
    assert_eq!(story.state(), StateKind::ExpectSalesOrderRead);

    po.lines[1].ordered = Quantity::eaches_of(7);
    story.then(changed(po));
    let Command::UpdateSalesOrder { changes, .. } = story.command() else {
        panic!("expected UpdateSalesOrder, got {:?}", story.commands);
    };
    assert!(
        matches!(
            changes.lines.as_slice(),
            [LineChange::Set { sequence, quantity: Some(7), .. }] if sequence.as_str() == "2"
        ),
        "{changes:?}"
    );
}

/// Amazon refused the transaction v1 went out in, of a size not known, naming no
/// order: v1 goes out again alone as v2, then v3. Left unjudged once more, the order
/// goes to a person with Amazon's messages; retrying sends it, still alone, as v4.
#[test]
fn an_acknowledgement_left_unjudged_goes_out_alone_twice_then_to_a_person() {
    use avc_order_sync::ServiceMessage;
    use avc_order_sync::lifecycle::{Attention, FailureKind, MAX_UNJUDGED_RESENDS, OrderState};

    let not_available = ServiceMessage {
        code: "NotAvailable".into(),
        message: "Error details are not available. Please make sure you are sending valid \
                  input payload."
            .into(),
        field: None,
    };
    let mut story = approve_retail(|_| {});
    let (_, first) = story.submitted();
    assert!(!story.record.sends_alone());
    story.then(Event::AcknowledgementSubmitted {
        version: v(1),
        transaction_id: txn("t-1"),
        orders: 0,
    });
    for n in 1..=MAX_UNJUDGED_RESENDS {
        story.then(Event::AcknowledgementNotJudged {
            version: v(n),
            errors: vec![not_available.clone()],
        });
        let (version, again) = story.submitted();
        assert_eq!(version, v(n + 1));
        assert_eq!(again, first, "the same acknowledgement goes out again");
        assert!(story.record.sends_alone());
        assert_eq!(story.record.unjudged_resends(), n);
        story.then(Event::AcknowledgementSubmitted {
            version: v(n + 1),
            transaction_id: txn(&format!("t-{}", n + 1)),
            orders: 0,
        });
    }
    story.then(Event::AcknowledgementNotJudged {
        version: v(MAX_UNJUDGED_RESENDS + 1),
        errors: vec![not_available.clone()],
    });
    assert_eq!(story.state(), StateKind::ExpectFix);
    let OrderState::ExpectFix {
        attention: Attention::Command { failure, .. },
    } = story.record.state().clone()
    else {
        panic!("no attention: {:?}", story.record.state());
    };
    assert_eq!(
        failure,
        FailureKind::Rejected {
            messages: vec![not_available.clone()]
        }
    );
    assert!(
        story.commands.iter().all(|c| !matches!(
            c,
            avc_order_sync::lifecycle::Command::SubmitAcknowledgement { .. }
        )),
        "nothing is sent: {:?}",
        story.commands
    );

    story.then(Event::RetryRequested);
    let (version, again) = story.submitted();
    assert_eq!(version, v(MAX_UNJUDGED_RESENDS + 2));
    assert_eq!(again, first);
    assert!(story.record.sends_alone());
}

/// Version `n` went out in a transaction of `carried` acknowledgements.
fn went_out(story: &mut Story, n: u32, carried: u32) {
    story.then(Event::AcknowledgementSubmitted {
        version: v(n),
        transaction_id: txn(&format!("t-{n}")),
        orders: carried,
    });
}

/// Amazon refused the transaction version `n` went out in, naming no order.
fn left_unjudged(story: &mut Story, n: u32) {
    story.then(Event::AcknowledgementNotJudged {
        version: v(n),
        errors: Vec::new(),
    });
}

/// Amazon refused a transaction of 50 naming no order: the acknowledgement goes out
/// again in a transaction of at most 25, then 13, 7, 4, 2 and 1, each time as the next
/// version and unchanged. Halving ends by itself, so none of it counts towards the
/// re-sends that hand the order to a person; alone, Amazon's refusal is its own.
#[test]
fn an_acknowledgement_of_a_refused_batch_goes_out_again_in_halves_down_to_one() {
    use avc_order_sync::lifecycle::Command;

    let mut story = approve_retail(|_| {});
    let (_, first) = story.submitted();
    assert_eq!(story.record.send_limit(), None);
    let mut carried = 50;
    let mut limits = Vec::new();
    for n in 1..=6 {
        went_out(&mut story, n, carried);
        left_unjudged(&mut story, n);
        let (version, again) = story.submitted();
        assert_eq!(version, v(n + 1));
        assert_eq!(again, first, "the same acknowledgement goes out again");
        assert_eq!(story.record.unjudged_resends(), 0);
        let limit = story.record.send_limit().expect("a limit");
        limits.push(limit);
        carried = limit;
    }
    assert_eq!(limits, [25, 13, 7, 4, 2, 1]);
    assert!(story.record.sends_alone());

    // Alone, the refusal is the order's own: its rejection (by default the sales order
    // goes back to Pending Approval), and the limit is gone.
    went_out(&mut story, 7, 1);
    story.then(Event::AcknowledgementFailed {
        version: v(7),
        errors: Vec::new(),
    });
    assert_eq!(story.state(), StateKind::ExpectSalesOrderUpdated);
    assert_eq!(story.record.send_limit(), None);
    assert!(
        !story
            .commands
            .iter()
            .any(|c| matches!(c, Command::SubmitAcknowledgement { .. })),
        "{:?}",
        story.commands
    );
}

/// Halving a refused transaction takes rounds of Amazon's answers: with three rounds
/// (`HALVING_ROUND`) left before the acknowledgement deadline, the acknowledgement goes
/// out again in a transaction of at most four, which is narrowed down to one order in
/// the two rounds after; with less than a round left, alone.
#[test]
fn near_its_deadline_an_acknowledgement_of_a_refused_batch_goes_out_in_a_smaller_one() {
    use avc_order_sync::lifecycle::HALVING_ROUND;
    use chrono::TimeDelta;

    let round = TimeDelta::from_std(HALVING_ROUND).unwrap();
    for (rounds_left, limit) in [(3, 4), (1, 1), (0, 1)] {
        let mut story = approve_retail(|_| {});
        went_out(&mut story, 1, 50);
        let deadline = story.record.acknowledgement_deadline();
        // A minute into the last of those rounds.
        let at = deadline - round * (rounds_left + 1) + TimeDelta::minutes(1);
        let minutes = (at - story.now).num_minutes();
        assert!(minutes > 0, "the story starts far from its deadline");
        story.wait(minutes);
        left_unjudged(&mut story, 1);
        let (version, _) = story.submitted();
        assert_eq!(version, v(2));
        assert_eq!(
            story.record.send_limit(),
            Some(limit),
            "{rounds_left} rounds"
        );
        assert_eq!(story.record.unjudged_resends(), 0);
    }
}

/// Past the acknowledgement deadline a refused transaction of 50 is cut in groups of
/// at most eight (the least whole square root): refused again, the acknowledgement
/// goes alone.
#[test]
fn past_its_deadline_an_acknowledgement_of_a_refused_batch_goes_in_a_group_then_alone() {
    let mut story = approve_retail(|_| {});
    let late = (story.record.acknowledgement_deadline() - story.now).num_minutes() + 1;
    story.wait(late);
    let mut carried = 50;
    for (n, limit) in [(1, 8), (2, 1)] {
        went_out(&mut story, n, carried);
        left_unjudged(&mut story, n);
        assert_eq!(story.submitted().0, v(n + 1));
        assert_eq!(story.record.send_limit(), Some(limit));
        carried = limit;
    }
}
