//! The transition table: which events each state accepts and where they can lead.
//!
//! The machine refuses any event the table does not list for the state
//! ([`super::TransitionError::InappropriateEvent`]), the property tests check that
//! every transition the machine makes is listed, and `docs/state-machine.md` is
//! generated from it.

use std::fmt::Write as _;

use super::event::EventKind;
use super::state::StateKind;

/// One row of the transition table: in state `from`, event `event` leads to one of
/// `to` (which one depends on the data, the settings and the policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: StateKind,
    /// The event.
    pub event: EventKind,
    /// The states it can lead to.
    pub to: &'static [StateKind],
}

use EventKind as E;
use StateKind as S;

const CLOSING: &[StateKind] = &[S::ExpectSalesOrderClosed, S::Cancelled];
const HELD: &[StateKind] = &[S::Held];
const HELD_OUTCOME: &[StateKind] = &[S::Held, S::Cancelled, S::Closed];
const NOT_HELD: &[StateKind] = &[
    S::ExpectSalesOrderCreated,
    S::ExpectApproval,
    S::ExpectSalesOrderRead,
    S::ExpectAcknowledgementSubmitted,
    S::ExpectAcknowledgementConfirmation,
    S::ExpectShipment,
    S::ExpectRepost,
    S::ExpectFix,
    S::ExpectChangeReview,
    S::ExpectSalesOrderUpdated,
    S::ExpectSalesOrderClosed,
    S::Cancelled,
    S::Closed,
];
const AFTER_CONFIRMATION: &[StateKind] = &[
    S::ExpectShipment,
    S::ExpectSalesOrderCreated,
    S::ExpectSalesOrderUpdated,
    S::ExpectChangeReview,
    S::ExpectFix,
    S::ExpectSalesOrderClosed,
    S::Cancelled,
    S::Closed,
];
const AFTER_REJECTION: &[StateKind] = &[
    S::ExpectRepost,
    S::ExpectSalesOrderCreated,
    S::ExpectSalesOrderUpdated,
    S::ExpectChangeReview,
    S::ExpectFix,
    S::ExpectSalesOrderClosed,
    S::Cancelled,
    S::Closed,
];
const AFTER_READ: &[StateKind] = &[
    S::ExpectApproval,
    S::ExpectAcknowledgementSubmitted,
    S::ExpectFix,
];

const fn t(from: StateKind, event: EventKind, to: &'static [StateKind]) -> Transition {
    Transition { from, event, to }
}

/// Where a received order starts ([`super::OrderRecord::receive`]).
pub const START: &[StateKind] = &[
    S::ExpectSalesOrderCreated,
    S::ExpectAcknowledgementSubmitted,
    S::ExpectFix,
    S::Cancelled,
    S::Closed,
];

/// Where an order someone acknowledged before the sync saw it starts
/// ([`super::OrderRecord::receive_acknowledged`]).
pub const START_ACKNOWLEDGED: &[StateKind] = &[
    S::ExpectSalesOrderCreated,
    S::ExpectFix,
    S::Cancelled,
    S::Closed,
];

/// Every transition the machine makes. [`EventKind::TimerElapsed`] is accepted in
/// every state and never changes it (it sends a due retry or check, or a deadline
/// notice), and [`EventKind::PurchaseOrderReceived`] for an existing record is handled
/// as [`EventKind::PurchaseOrderChanged`]; neither is listed.
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    // Received, the sales order is being created.
    t(S::ExpectSalesOrderCreated, E::SalesOrderCreated, &[S::ExpectApproval, S::ExpectShipment]),
    t(S::ExpectSalesOrderCreated, E::CommandFailed, &[S::ExpectSalesOrderCreated, S::ExpectFix]),
    t(S::ExpectSalesOrderCreated, E::RetryRequested, &[S::ExpectSalesOrderCreated]),
    t(S::ExpectSalesOrderCreated, E::PurchaseOrderChanged, &[S::ExpectSalesOrderCreated, S::ExpectAcknowledgementSubmitted, S::ExpectSalesOrderUpdated, S::ExpectShipment, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectSalesOrderCreated, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectSalesOrderCreated, E::HoldRequested, HELD),
    t(S::ExpectSalesOrderCreated, E::CancelRequested, CLOSING),
    // Waiting for a reviewer to approve.
    t(S::ExpectApproval, E::SalesOrderRead, AFTER_READ),
    t(S::ExpectApproval, E::CommandFailed, &[S::ExpectApproval, S::ExpectFix]),
    t(S::ExpectApproval, E::RetryRequested, &[S::ExpectApproval]),
    t(S::ExpectApproval, E::PurchaseOrderChanged, &[S::ExpectApproval, S::ExpectSalesOrderRead, S::ExpectSalesOrderUpdated, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectApproval, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectApproval, E::HoldRequested, HELD),
    t(S::ExpectApproval, E::CancelRequested, CLOSING),
    // Reading the approved order back to repost.
    t(S::ExpectSalesOrderRead, E::SalesOrderRead, AFTER_READ),
    t(S::ExpectSalesOrderRead, E::CommandFailed, &[S::ExpectSalesOrderRead, S::ExpectFix]),
    t(S::ExpectSalesOrderRead, E::RetryRequested, &[S::ExpectSalesOrderRead]),
    t(S::ExpectSalesOrderRead, E::PurchaseOrderChanged, &[S::ExpectSalesOrderRead, S::ExpectSalesOrderUpdated, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectSalesOrderRead, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectSalesOrderRead, E::HoldRequested, HELD),
    t(S::ExpectSalesOrderRead, E::CancelRequested, CLOSING),
    // The acknowledgement is built and checked, and is going out.
    t(S::ExpectAcknowledgementSubmitted, E::AcknowledgementSubmitted, &[S::ExpectAcknowledgementConfirmation]),
    t(S::ExpectAcknowledgementSubmitted, E::AcknowledgementConfirmed, AFTER_CONFIRMATION),
    t(S::ExpectAcknowledgementSubmitted, E::AcknowledgementFailed, AFTER_REJECTION),
    t(S::ExpectAcknowledgementSubmitted, E::AcknowledgementNotJudged, &[S::ExpectAcknowledgementSubmitted, S::ExpectApproval, S::ExpectSalesOrderCreated, S::ExpectSalesOrderUpdated, S::ExpectShipment, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectAcknowledgementSubmitted, E::CommandFailed, &[S::ExpectAcknowledgementSubmitted, S::ExpectFix, S::ExpectRepost, S::ExpectSalesOrderUpdated, S::ExpectChangeReview, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectAcknowledgementSubmitted, E::RetryRequested, &[S::ExpectAcknowledgementSubmitted]),
    t(S::ExpectAcknowledgementSubmitted, E::PurchaseOrderChanged, &[S::ExpectAcknowledgementSubmitted, S::ExpectSalesOrderRead, S::ExpectSalesOrderCreated, S::ExpectSalesOrderUpdated, S::ExpectShipment, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectAcknowledgementSubmitted, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectAcknowledgementSubmitted, E::HoldRequested, HELD),
    t(S::ExpectAcknowledgementSubmitted, E::CancelRequested, CLOSING),
    // Waiting for Amazon's answer.
    t(S::ExpectAcknowledgementConfirmation, E::AcknowledgementStillProcessing, &[S::ExpectAcknowledgementConfirmation]),
    t(S::ExpectAcknowledgementConfirmation, E::AcknowledgementConfirmed, AFTER_CONFIRMATION),
    t(S::ExpectAcknowledgementConfirmation, E::AcknowledgementFailed, AFTER_REJECTION),
    t(S::ExpectAcknowledgementConfirmation, E::AcknowledgementNotJudged, &[S::ExpectAcknowledgementSubmitted, S::ExpectApproval, S::ExpectSalesOrderCreated, S::ExpectSalesOrderUpdated, S::ExpectShipment, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectAcknowledgementConfirmation, E::CommandFailed, &[S::ExpectAcknowledgementConfirmation, S::ExpectFix]),
    t(S::ExpectAcknowledgementConfirmation, E::RetryRequested, &[S::ExpectAcknowledgementConfirmation]),
    t(S::ExpectAcknowledgementConfirmation, E::PurchaseOrderChanged, &[S::ExpectAcknowledgementConfirmation, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectAcknowledgementConfirmation, E::PurchaseOrderCancelled, CLOSING),
    // Confirmed: order posted, awaiting shipment.
    t(S::ExpectShipment, E::PurchaseOrderChanged, &[S::ExpectShipment, S::ExpectSalesOrderUpdated, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectShipment, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectShipment, E::RepostRequested, &[S::ExpectSalesOrderRead]),
    t(S::ExpectShipment, E::CancelRequested, CLOSING),
    // Rejected by Amazon.
    t(S::ExpectRepost, E::RepostRequested, &[S::ExpectSalesOrderRead, S::ExpectSalesOrderCreated, S::ExpectSalesOrderUpdated, S::ExpectAcknowledgementSubmitted, S::ExpectFix]),
    t(S::ExpectRepost, E::SalesOrderRead, &[S::ExpectRepost, S::ExpectApproval, S::ExpectAcknowledgementSubmitted, S::ExpectFix]),
    t(S::ExpectRepost, E::CommandFailed, &[S::ExpectRepost, S::ExpectFix]),
    t(S::ExpectRepost, E::PurchaseOrderChanged, &[S::ExpectRepost, S::ExpectSalesOrderCreated, S::ExpectSalesOrderUpdated, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectRepost, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectRepost, E::HoldRequested, HELD),
    t(S::ExpectRepost, E::CancelRequested, CLOSING),
    // Needs attention.
    t(S::ExpectFix, E::RetryRequested, NOT_HELD),
    t(S::ExpectFix, E::PurchaseOrderChanged, NOT_HELD),
    t(S::ExpectFix, E::PurchaseOrderFoundAcknowledged, &[S::ExpectSalesOrderCreated, S::ExpectFix, S::Cancelled, S::Closed]),
    t(S::ExpectFix, E::SalesOrderCreated, &[S::ExpectFix]),
    t(S::ExpectFix, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectFix, E::HoldRequested, HELD),
    t(S::ExpectFix, E::CancelRequested, CLOSING),
    // Changed by Amazon after acknowledgement, to review.
    t(S::ExpectChangeReview, E::RepostRequested, &[S::ExpectSalesOrderCreated, S::ExpectSalesOrderUpdated, S::ExpectShipment, S::ExpectFix, S::Closed]),
    t(S::ExpectChangeReview, E::SalesOrderCreated, &[S::ExpectChangeReview]),
    t(S::ExpectChangeReview, E::PurchaseOrderChanged, &[S::ExpectChangeReview, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectChangeReview, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectChangeReview, E::HoldRequested, HELD),
    t(S::ExpectChangeReview, E::CancelRequested, CLOSING),
    // The sales order is being updated.
    t(S::ExpectSalesOrderUpdated, E::SalesOrderUpdated, &[S::ExpectApproval, S::ExpectSalesOrderRead, S::ExpectRepost, S::ExpectShipment, S::ExpectSalesOrderCreated, S::ExpectSalesOrderUpdated, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    // NetSuite keeps a closed, cancelled or fulfilled order's status: the order goes on
    // as the update would have resumed it.
    t(S::ExpectSalesOrderUpdated, E::CommandFailed, &[S::ExpectApproval, S::ExpectSalesOrderRead, S::ExpectRepost, S::ExpectShipment, S::ExpectSalesOrderCreated, S::ExpectSalesOrderUpdated, S::ExpectChangeReview, S::ExpectFix, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectSalesOrderUpdated, E::RetryRequested, &[S::ExpectSalesOrderUpdated]),
    t(S::ExpectSalesOrderUpdated, E::PurchaseOrderChanged, &[S::ExpectSalesOrderUpdated, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::ExpectSalesOrderUpdated, E::PurchaseOrderCancelled, CLOSING),
    t(S::ExpectSalesOrderUpdated, E::HoldRequested, HELD),
    t(S::ExpectSalesOrderUpdated, E::CancelRequested, CLOSING),
    // The sales order is being closed.
    t(S::ExpectSalesOrderClosed, E::SalesOrderClosed, &[S::Cancelled, S::Closed]),
    t(S::ExpectSalesOrderClosed, E::SalesOrderCreated, &[S::ExpectSalesOrderClosed]),
    t(S::ExpectSalesOrderClosed, E::CommandFailed, &[S::ExpectSalesOrderClosed, S::ExpectFix, S::Cancelled, S::Closed]),
    t(S::ExpectSalesOrderClosed, E::RetryRequested, &[S::ExpectSalesOrderClosed]),
    t(S::ExpectSalesOrderClosed, E::PurchaseOrderChanged, &[S::ExpectSalesOrderClosed]),
    t(S::ExpectSalesOrderClosed, E::PurchaseOrderCancelled, &[S::ExpectSalesOrderClosed]),
    // Held by an operator: outcomes of work in flight still land in the held state.
    t(S::Held, E::ReleaseRequested, NOT_HELD),
    t(S::Held, E::CancelRequested, CLOSING),
    t(S::Held, E::PurchaseOrderCancelled, CLOSING),
    t(S::Held, E::PurchaseOrderChanged, &[S::Held, S::ExpectSalesOrderClosed, S::Cancelled, S::Closed]),
    t(S::Held, E::PurchaseOrderFoundAcknowledged, &[S::Held, S::Cancelled, S::Closed]),
    t(S::Held, E::SalesOrderCreated, HELD_OUTCOME),
    t(S::Held, E::SalesOrderUpdated, HELD_OUTCOME),
    t(S::Held, E::SalesOrderRead, HELD_OUTCOME),
    t(S::Held, E::AcknowledgementSubmitted, HELD_OUTCOME),
    t(S::Held, E::AcknowledgementStillProcessing, HELD_OUTCOME),
    t(S::Held, E::AcknowledgementConfirmed, HELD_OUTCOME),
    t(S::Held, E::AcknowledgementFailed, HELD_OUTCOME),
    t(S::Held, E::AcknowledgementNotJudged, HELD_OUTCOME),
    t(S::Held, E::CommandFailed, HELD_OUTCOME),
    // Terminal: a create that was in flight is closed again.
    t(S::Cancelled, E::SalesOrderCreated, &[S::Cancelled]),
    t(S::Closed, E::SalesOrderCreated, &[S::Closed]),
];

/// The edges of the seven flows, for the overview diagram; each is checked against
/// [`TRANSITIONS`] (`None` is a new record).
#[rustfmt::skip]
const MAIN_PATH: &[(Option<StateKind>, EventKind, StateKind)] = &[
    (None, E::PurchaseOrderReceived, S::ExpectSalesOrderCreated),
    (None, E::PurchaseOrderReceived, S::ExpectAcknowledgementSubmitted),
    (None, E::PurchaseOrderReceived, S::ExpectFix),
    (None, E::PurchaseOrderFoundAcknowledged, S::ExpectSalesOrderCreated),
    (Some(S::ExpectFix), E::RetryRequested, S::ExpectSalesOrderCreated),
    (Some(S::ExpectSalesOrderCreated), E::SalesOrderCreated, S::ExpectApproval),
    (Some(S::ExpectSalesOrderCreated), E::SalesOrderCreated, S::ExpectShipment),
    (Some(S::ExpectApproval), E::SalesOrderRead, S::ExpectAcknowledgementSubmitted),
    (Some(S::ExpectAcknowledgementSubmitted), E::AcknowledgementSubmitted, S::ExpectAcknowledgementConfirmation),
    (Some(S::ExpectAcknowledgementConfirmation), E::AcknowledgementConfirmed, S::ExpectShipment),
    (Some(S::ExpectAcknowledgementConfirmation), E::AcknowledgementConfirmed, S::ExpectSalesOrderCreated),
    (Some(S::ExpectAcknowledgementConfirmation), E::AcknowledgementConfirmed, S::Closed),
    (Some(S::ExpectAcknowledgementConfirmation), E::AcknowledgementFailed, S::ExpectRepost),
    (Some(S::ExpectRepost), E::RepostRequested, S::ExpectSalesOrderRead),
    (Some(S::ExpectSalesOrderRead), E::SalesOrderRead, S::ExpectAcknowledgementSubmitted),
    (Some(S::ExpectApproval), E::PurchaseOrderChanged, S::ExpectSalesOrderUpdated),
    (Some(S::ExpectSalesOrderUpdated), E::SalesOrderUpdated, S::ExpectApproval),
    (Some(S::ExpectShipment), E::PurchaseOrderChanged, S::ExpectSalesOrderUpdated),
    (Some(S::ExpectSalesOrderUpdated), E::SalesOrderUpdated, S::ExpectShipment),
    (Some(S::ExpectShipment), E::PurchaseOrderChanged, S::ExpectChangeReview),
    (Some(S::ExpectChangeReview), E::RepostRequested, S::ExpectSalesOrderUpdated),
    (Some(S::ExpectShipment), E::PurchaseOrderChanged, S::ExpectSalesOrderClosed),
    (Some(S::ExpectShipment), E::PurchaseOrderCancelled, S::ExpectSalesOrderClosed),
    (Some(S::ExpectApproval), E::CancelRequested, S::ExpectSalesOrderClosed),
    (Some(S::ExpectSalesOrderClosed), E::SalesOrderClosed, S::Cancelled),
    (Some(S::ExpectSalesOrderClosed), E::SalesOrderClosed, S::Closed),
    (Some(S::ExpectApproval), E::HoldRequested, S::Held),
    (Some(S::Held), E::ReleaseRequested, S::ExpectApproval),
];

/// The row for `event` in `state`, treating a repeated receipt as a change.
pub fn rule(state: StateKind, event: EventKind) -> Option<&'static Transition> {
    let event = match event {
        E::PurchaseOrderReceived => E::PurchaseOrderChanged,
        other => other,
    };
    TRANSITIONS
        .iter()
        .find(|t| t.from == state && t.event == event)
}

/// Whether `state` accepts `event`.
pub fn accepts(state: StateKind, event: EventKind) -> bool {
    matches!(
        event,
        E::TimerElapsed | E::AmazonRecordRead | E::AmazonRecordUnread
    ) || rule(state, event).is_some()
}

/// The events `state` accepts, in [`EventKind::ALL`] order.
pub fn accepted(state: StateKind) -> Vec<EventKind> {
    EventKind::ALL
        .iter()
        .copied()
        .filter(|e| *e != E::PurchaseOrderReceived && accepts(state, *e))
        .collect()
}

/// `docs/state-machine.md`, generated from [`TRANSITIONS`]: a Mermaid state diagram,
/// the table of states and NetSuite Connector wording, and the full transition table.
pub fn state_machine_markdown() -> String {
    let mut out = String::new();
    out.push_str("# The order state machine\n\n");
    out.push_str(
        "<!-- Generated from `src/lifecycle/table.rs` by the test \
         `lifecycle::table::tests::state_machine_doc_is_up_to_date`. \
         Do not edit; run `UPDATE_DOCS=1 cargo test state_machine_doc` instead. -->\n\n",
    );
    out.push_str(
        "Each purchase order has one `OrderRecord`; its state is named for what the order \
         waits for. `OrderRecord::handle(event, now, settings)` returns the next record and \
         the commands to run. An event that does not fit the state is a \
         `TransitionError::InappropriateEvent` and changes nothing. `TimerElapsed` fits \
         every state and never changes it: it sends a retry or a status check that is due, \
         or a deadline, approval-overdue or compliance notice. `AmazonRecordRead` fits every \
         state and never changes it either: it records what Amazon recorded of the confirmed \
         acknowledgement, and raises a drift notice when it differs; `AmazonRecordUnread` \
         (the read failed) only sets when it is asked again. A repeated `PurchaseOrderReceived` counts as a \
         `PurchaseOrderChanged`. Self-loops are left out of the diagrams; the table below \
         lists them.\n\n",
    );
    out.push_str("## Overview\n\n");
    out.push_str(
        "The main edges of the seven flows. Beyond them, almost every waiting state can \
         also be held, cancelled by an operator or by Amazon, closed by Amazon, or parked in \
         `ExpectFix` when a command fails for good; the full diagram shows every edge.\n\n",
    );
    out.push_str("```mermaid\nstateDiagram-v2\n");
    let mut main: Vec<(String, String, Vec<EventKind>)> = Vec::new();
    for (from, event, to) in MAIN_PATH {
        let from = from.map_or_else(|| "[*]".to_owned(), |f| f.to_string());
        let to = to.to_string();
        match main.iter_mut().find(|(f, t, _)| *f == from && *t == to) {
            Some((_, _, events)) => events.push(*event),
            None => main.push((from, to, vec![*event])),
        }
    }
    for (from, to, events) in &main {
        let label: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        let _ = writeln!(out, "    {from} --> {to} : {}", label.join(", "));
    }
    for s in StateKind::ALL.iter().filter(|s| s.is_terminal()) {
        let _ = writeln!(out, "    {s} --> [*]");
    }
    out.push_str("```\n\n");

    out.push_str("## Full diagram\n\n");
    out.push_str("```mermaid\nstateDiagram-v2\n");
    for s in START {
        let _ = writeln!(out, "    [*] --> {s} : PurchaseOrderReceived");
    }
    for s in START_ACKNOWLEDGED {
        let _ = writeln!(out, "    [*] --> {s} : PurchaseOrderFoundAcknowledged");
    }
    let mut edges: Vec<(StateKind, StateKind, Vec<EventKind>)> = Vec::new();
    for row in TRANSITIONS {
        for to in row.to {
            if *to == row.from {
                continue;
            }
            match edges.iter_mut().find(|(f, t, _)| *f == row.from && t == to) {
                Some((_, _, events)) => events.push(row.event),
                None => edges.push((row.from, *to, vec![row.event])),
            }
        }
    }
    for (from, to, events) in &edges {
        let label: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        let _ = writeln!(out, "    {from} --> {to} : {}", label.join(", "));
    }
    for s in StateKind::ALL.iter().filter(|s| s.is_terminal()) {
        let _ = writeln!(out, "    {s} --> [*]");
    }
    out.push_str("```\n\n");

    out.push_str("## States and NetSuite Connector statuses\n\n");
    out.push_str("| state | waits for | NetSuite Connector status |\n|---|---|---|\n");
    for s in StateKind::ALL {
        let _ = writeln!(
            out,
            "| `{s}` | {} | {} |",
            waits_for(*s),
            connector_cell(*s)
        );
    }
    out.push('\n');

    out.push_str("## Transitions\n\n");
    out.push_str("| from | event | to |\n|---|---|---|\n");
    let _ = writeln!(
        out,
        "| (new record) | `PurchaseOrderReceived` | {} |",
        kinds(START)
    );
    let _ = writeln!(
        out,
        "| (new record) | `PurchaseOrderFoundAcknowledged` | {} |",
        kinds(START_ACKNOWLEDGED)
    );
    for row in TRANSITIONS {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} |",
            row.from,
            row.event,
            kinds(row.to)
        );
    }
    out
}

fn kinds(states: &[StateKind]) -> String {
    states
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn connector_cell(state: StateKind) -> String {
    match state {
        S::ExpectFix => "Error posting to NetSuite (\"Error posting to Amazon\" when an Amazon \
                         command failed, \"Error reading from Amazon\" for an order Amazon \
                         sent unreadable; those two are this library's wording)"
            .to_owned(),
        S::ExpectSalesOrderRead | S::ExpectAcknowledgementSubmitted | S::ExpectSalesOrderClosed => {
            format!(
                "{} (this library's wording: NetSuite Connector has no such status)",
                state.connector_status()
            )
        }
        other => other.connector_status().to_owned(),
    }
}

fn waits_for(state: StateKind) -> &'static str {
    match state {
        S::ExpectSalesOrderCreated => "NetSuite to create the sales order",
        S::ExpectApproval => "a reviewer to approve the sales order in NetSuite",
        S::ExpectSalesOrderRead => "the approved sales order to be read back, to repost",
        S::ExpectAcknowledgementSubmitted => "Amazon to take the acknowledgement",
        S::ExpectAcknowledgementConfirmation => "Amazon's answer to the acknowledgement",
        S::ExpectShipment => "shipment (Amazon confirmed; the sales order is Pending Fulfillment)",
        S::ExpectRepost => "a fix in NetSuite and a repost (Amazon rejected the acknowledgement)",
        S::ExpectFix => {
            "an operator to fix data or settings and retry, or (an order Amazon sent \
             unreadable) a readable copy from Amazon"
        }
        S::ExpectChangeReview => "an operator to post Amazon's change to NetSuite or cancel",
        S::ExpectSalesOrderUpdated => "NetSuite to apply an update",
        S::ExpectSalesOrderClosed => "NetSuite to close the sales order",
        S::Held => "an operator to release it",
        S::Cancelled => "nothing (terminal)",
        S::Closed => "nothing (terminal)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_is_in_the_table_and_every_row_is_unique() {
        for s in StateKind::ALL {
            assert!(
                TRANSITIONS.iter().any(|t| t.from == *s),
                "state {s} has no row"
            );
        }
        for (i, a) in TRANSITIONS.iter().enumerate() {
            for b in &TRANSITIONS[i + 1..] {
                assert!(
                    !(a.from == b.from && a.event == b.event),
                    "duplicate row {} / {}",
                    a.from,
                    a.event
                );
            }
            assert!(!a.to.is_empty());
        }
        for s in StateKind::ALL.iter().filter(|s| s.is_terminal()) {
            for row in TRANSITIONS.iter().filter(|t| t.from == *s) {
                assert!(row.to.iter().all(|t| t.is_terminal()));
            }
        }
    }

    #[test]
    fn the_overview_shows_only_transitions_in_the_table() {
        for (from, event, to) in MAIN_PATH {
            let listed = match from {
                None if *event == E::PurchaseOrderFoundAcknowledged => {
                    START_ACKNOWLEDGED.contains(to)
                }
                None => START.contains(to),
                Some(from) => rule(*from, *event).is_some_and(|r| r.to.contains(to)),
            };
            assert!(listed, "{from:?} --{event}--> {to} is not in the table");
        }
    }

    #[test]
    fn state_machine_doc_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/state-machine.md");
        let generated = state_machine_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/state-machine.md is out of date; regenerate it with \
             `UPDATE_DOCS=1 cargo test state_machine_doc`"
        );
    }
}
