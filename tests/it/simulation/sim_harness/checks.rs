//! The checks: the invariants every seed's end state must hold.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use avc_order_sync::amazon::retail;
use avc_order_sync::lifecycle::{Attention, CloseReason, OrderRecord, OrderState};
use avc_order_sync::settings::ChangedAfterAcknowledgementPolicy;
use avc_order_sync::{
    AmazonOrderState, NetSuiteStatus, Program, PurchaseOrder, PurchaseOrderNumber,
    SalesOrderSnapshot, TransactionOutcome,
};
use avc_order_sync::{Cursor, OrderKey, StoredOrder};

use super::run::stored;
use super::seed::{Finding, Outcome};
use super::world::{ListedLate, Sent, World, WorldState, program_code};

fn eaches_of(q: Option<&retail::ItemQuantity>) -> u64 {
    let Some(q) = q else { return 0 };
    let amount = q.amount.as_ref().and_then(|n| n.as_u64()).unwrap_or(0);
    let size = q.unit_size.as_ref().and_then(|n| n.as_u64()).unwrap_or(1);
    match q.unit_of_measure.as_ref().and_then(|u| u.known()) {
        Some(retail::UnitOfMeasure::Cases) => amount * size,
        _ => amount,
    }
}

/// What Amazon accepted per line of a retail PO, and whether it was acknowledged.
fn retail_accepted(world: &World, number: &str) -> (bool, BTreeMap<String, (u64, u64)>) {
    let Some(status) = world.amazon.retail_status(number) else {
        return (false, BTreeMap::new());
    };
    let mut acknowledged = false;
    let mut lines = BTreeMap::new();
    for item in status.item_status.unwrap_or_default() {
        let Some(ack) = item.acknowledgement_status else {
            continue;
        };
        if ack.acknowledgement_status_details.is_some() {
            acknowledged = true;
        }
        lines.insert(
            item.item_sequence_number.unwrap_or_default(),
            (
                eaches_of(ack.accepted_quantity.as_ref()),
                eaches_of(ack.rejected_quantity.as_ref()),
            ),
        );
    }
    (acknowledged, lines)
}

/// The lines of an order Amazon recorded short of what was sent (injected drift).
fn drifted_lines(world: &World, number: &str) -> BTreeSet<String> {
    world
        .amazon
        .drifted()
        .into_iter()
        .filter(|(n, _)| n == number)
        .map(|(_, line)| line)
        .collect()
}

/// The final checks of one seed.
pub fn check(world: &Arc<World>) -> Outcome {
    let records: BTreeMap<OrderKey, StoredOrder> = stored(world).into_iter().collect();
    let (placed, first_marks, elsewhere, broken) = {
        let st = world.lock();
        (
            st.placed.clone(),
            st.first_marks.clone(),
            st.elsewhere.clone(),
            st.broken.clone(),
        )
    };
    let mut found: Vec<(Finding, String)> = Vec::new();
    let mut before_the_start = 0;

    // Every PO Amazon holds is known, settled, and agrees with both simulators.
    for (program, number, placed_at) in &placed {
        let name = format!("{} {number}", program_code(*program));
        // The sync reads a program from the first lookback before its first read of
        // it (saved as the cursor's first watermark, one window overlap later).
        let cursor = match program {
            Program::RetailProcurement => Cursor::Retail(avc_order_sync::WindowKind::Created),
            Program::DirectFulfillment => Cursor::DirectFulfillment,
        };
        let start = first_marks
            .get(&cursor)
            .map(|m| *m - TimeDelta::from_std(world.config.window_overlap).unwrap_or_default());
        if start.is_some_and(|start| *placed_at < start) {
            before_the_start += 1;
            continue;
        }
        let key = OrderKey {
            program: *program,
            number: PurchaseOrderNumber::new(number.as_str()).unwrap_or_else(|e| panic!("{e}")),
        };
        let Some(stored) = records.get(&key) else {
            found.push((
                Finding::LostOrder,
                format!("{name}: Amazon holds it, the store does not"),
            ));
            continue;
        };
        let record = &stored.record;
        if let Some(flight) = &stored.in_flight {
            found.push((
                Finding::Violation,
                format!(
                    "{name}: `{}` still in flight at the end",
                    flight.command_key
                ),
            ));
        }
        let history = record.history();
        if history.windows(2).any(|w| w[1].at < w[0].at) {
            found.push((
                Finding::Violation,
                format!(
                    "{name}: history out of time order: {:?}",
                    history.iter().map(|h| h.at).collect::<Vec<_>>()
                ),
            ));
        }
        let Some(po) = world.amazon_po(*program, number) else {
            // Not lost: stored, shown as needing attention, until Amazon sends it
            // readable.
            if !(broken.contains(&(*program, number.clone())) && record.awaits_readable_order()) {
                found.push((
                    Finding::Violation,
                    format!(
                        "{name} ({}): Amazon's order cannot be read",
                        record.status_label()
                    ),
                ));
            }
            continue;
        };
        if elsewhere.contains(&(*program, number.clone())) {
            // Answered in Vendor Central before the sync saw it: the sync never
            // acknowledges it again, and it ends as any acknowledged order does.
            let st = world.lock();
            let sent = st
                .sent
                .iter()
                .filter(|s| s.program == *program && s.number == *number)
                .count();
            if sent > 0 {
                found.push((
                    Finding::DuplicateAcknowledgement,
                    format!("{name}: acknowledged in Vendor Central, and {sent} time(s) again by the sync"),
                ));
            }
        }
        let id = record.external_id().clone();
        let so = world.netsuite.snapshot(&id);
        for problem in agreement(world, &name, record, &po, so.as_ref()) {
            found.push(problem);
        }
        found.extend(compliance(world, &name, record, &po));
    }

    // Exactly one sales order per PO, none for a PO that does not exist.
    for id in world.netsuite.external_ids() {
        let creations = world.netsuite.creations(&id);
        if creations > 1 {
            for _ in 1..creations {
                found.push((
                    Finding::DuplicateSalesOrder,
                    format!("{id}: {creations} sales orders created"),
                ));
            }
        }
        let known = avc_order_sync::order_key_of(&id).is_some_and(|k| {
            placed
                .iter()
                .any(|(p, n, _)| *p == k.program && n.as_str() == k.number.as_str())
        });
        if !known {
            found.push((
                Finding::DuplicateSalesOrder,
                format!("{id}: a sales order for a PO Amazon does not hold"),
            ));
        }
    }

    // Exactly one acknowledgement per order and version.
    let st = world.lock();
    let mut resent = 0;
    let mut by_version: BTreeMap<(Program, String, Option<u32>), Vec<&Sent>> = BTreeMap::new();
    for sent in st.sent.iter().filter(|s| s.transaction.is_some()) {
        by_version
            .entry((sent.program, sent.number.clone(), sent.version))
            .or_default()
            .push(sent);
    }
    for ((program, number, version), copies) in &by_version {
        if copies.len() < 2 {
            continue;
        }
        // A copy sent again because the first one's answer was lost and Amazon's
        // transaction for it failed: Amazon applied none of the earlier ones.
        let earlier_failed = copies[..copies.len() - 1].iter().all(|s| {
            s.transaction.as_ref().is_some_and(|t| {
                matches!(
                    world.amazon.transaction_outcome(t),
                    Some(TransactionOutcome::Failure(_))
                )
            })
        });
        if earlier_failed {
            resent += copies.len() - 1;
            continue;
        }
        for _ in 1..copies.len() {
            found.push((
                Finding::DuplicateAcknowledgement,
                format!(
                    "{} {number} v{}: Amazon received it {} times",
                    program_code(*program),
                    version.unwrap_or(0),
                    copies.len()
                ),
            ));
        }
    }
    let taken = st.sent.iter().filter(|s| s.transaction.is_some()).count();
    let received = world.amazon.acknowledgements().len();
    if taken != received {
        found.push((
            Finding::Violation,
            format!("the harness saw {taken} acknowledgements taken, Amazon received {received}"),
        ));
    }
    let (late, listed_late, found_by_sweep) = found_late(world, &st, &records, &first_marks);
    let mut findings = st.findings.clone();
    findings.extend(found);
    findings.extend(late);
    Outcome {
        findings,
        resent_after_failed_transaction: resent,
        before_the_start,
        listed_late,
        found_by_sweep,
        crashes: st.crashes,
        faults: st.faults,
        cycles: 0,
        // Printed only when one seed is replayed: kept only then.
        trace: if st.verbose {
            st.trace.clone()
        } else {
            Vec::new()
        },
    }
}

/// Amazon's compliance rules, from what Amazon received for the order:
///
/// - no acknowledgement changes a line's quantities or cost after the update window
///   closed (only dates may change then);
/// - a line whose first acknowledgement rejected it whole is never accepted later;
/// - a line Amazon still records short of the confirmed acknowledgement (injected
///   drift) is reported as drift on the order.
fn compliance(
    world: &World,
    name: &str,
    record: &OrderRecord,
    po: &PurchaseOrder,
) -> Vec<(Finding, String)> {
    let mut found = Vec::new();
    let mut violation = |text: String| found.push((Finding::Violation, format!("{name}: {text}")));
    if po.program != Program::RetailProcurement {
        return found;
    }
    let closes = world
        .settings
        .compliance
        .update_window_closes(po.ordered_at);
    let received = world.amazon.acknowledgements_for(po.number.as_str());
    let confirmed_at = world
        .lock()
        .compliance_confirmed
        .get(po.number.as_str())
        .copied();
    // Per line: (accepted eaches, rejected eaches, cost) of each acknowledgement.
    type Figures = (u64, u64, Option<String>);
    let figures = |ack: &avc_order_sync::testing::ReceivedAcknowledgement| {
        let mut by_line: BTreeMap<String, Figures> = BTreeMap::new();
        for item in ack.body["items"].as_array().into_iter().flatten() {
            let sequence = item["itemSequenceNumber"].as_str().unwrap_or_default();
            let cost = item["netCost"]["amount"].as_str().map(str::to_owned);
            let entry = by_line.entry(sequence.to_owned()).or_insert((0, 0, cost));
            for decision in item["itemAcknowledgements"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let q = &decision["acknowledgedQuantity"];
                let amount = q["amount"].as_u64().unwrap_or(0);
                let eaches = match q["unitOfMeasure"].as_str() {
                    Some("Cases") => amount * q["unitSize"].as_u64().unwrap_or(1),
                    _ => amount,
                };
                match decision["acknowledgementCode"].as_str() {
                    Some("Rejected") => entry.1 += eaches,
                    _ => entry.0 += eaches,
                }
            }
        }
        by_line
    };
    let mut previous: Option<(BTreeMap<String, Figures>, chrono::DateTime<chrono::Utc>)> = None;
    let mut first_rejected: Vec<String> = Vec::new();
    // Only what Amazon applied counts: a refused acknowledgement replaced nothing.
    let applied = received.iter().filter(|a| {
        !matches!(
            world.amazon.transaction_outcome(&a.transaction_id),
            Some(TransactionOutcome::Failure(_))
        )
    });
    for ack in applied {
        let lines = figures(ack);
        if previous.is_none() {
            first_rejected = lines
                .iter()
                .filter(|(_, f)| f.0 == 0 && f.1 > 0)
                .map(|(s, _)| s.clone())
                .collect();
        } else {
            for s in &first_rejected {
                if lines.get(s).is_some_and(|f| f.0 > 0) {
                    violation(format!("line {s}, rejected first, was sent as accepted"));
                }
            }
        }
        if let Some((before, _)) = &previous {
            // Whatever prompted it (a reviewer, an automatic acknowledgement, an
            // answer to Amazon's own change), a quantity or cost update after the
            // window is a breach unless a person confirmed the hold first.
            let by_a_person = confirmed_at.is_some_and(|at| ack.received_at >= at);
            // The rule is on confirmed units and cost. A line left out is one Amazon
            // cancelled, and a rejected line rejecting what Amazon now orders
            // confirms nothing: neither is the vendor's update.
            let updated = lines.iter().any(|(sequence, now)| {
                before
                    .get(sequence)
                    .is_some_and(|then| (then.0, &then.2) != (now.0, &now.2))
            });
            if ack.received_at > closes && updated && !by_a_person {
                violation(format!(
                    "quantities or cost sent at {} after the update window closed at {closes}: \
                     (accepted, rejected, cost) per line {before:?}, then {lines:?}",
                    ack.received_at
                ));
            }
        }
        previous = Some((lines, ack.received_at));
    }
    // Drift still standing at the end is reported.
    let drifted = drifted_lines(world, po.number.as_str());
    if let (false, Some(confirmed)) = (drifted.is_empty(), record.confirmed_acknowledgement()) {
        let (_, accepted) = retail_accepted(world, po.number.as_str());
        let sent = |sequence: &str| match &confirmed.acknowledgement {
            avc_order_sync::Acknowledgement::Retail(a) => a
                .lines
                .iter()
                .find(|l| l.sequence.as_str() == sequence)
                .map(|l| {
                    l.decisions
                        .iter()
                        .filter(|d| d.code != avc_order_sync::AcknowledgementCode::Rejected)
                        .filter_map(|d| d.quantity.eaches())
                        .sum::<u64>()
                }),
            _ => None,
        };
        for line in drifted {
            let standing = match (sent(&line), accepted.get(&line)) {
                (Some(sent), Some(at_amazon)) => at_amazon.0 < sent,
                _ => false,
            };
            let reported = record.reconciliation().is_some_and(|r| {
                r.drift
                    .iter()
                    .any(|d| d.sequence.as_ref().is_some_and(|s| s.as_str() == line))
            });
            if standing && !reported && !record.state().is_terminal() {
                violation(format!(
                    "Amazon recorded line {line} short of what was sent, and no drift was reported"
                ));
            }
        }
    }
    found
}

/// Whether an order's final status agrees with Amazon and NetSuite.
fn agreement(
    world: &World,
    name: &str,
    record: &OrderRecord,
    po: &PurchaseOrder,
    so: Option<&SalesOrderSnapshot>,
) -> Vec<(Finding, String)> {
    let mut found = Vec::new();
    let mut disagree = |text: String| {
        found.push((
            Finding::Violation,
            format!("{name} ({}): {text}", record.status_label()),
        ));
    };
    let so_status = so.map(|s| s.status.clone());
    let so_closed = matches!(
        so_status,
        None | Some(NetSuiteStatus::Closed) | Some(NetSuiteStatus::Cancelled)
    );
    match record.state() {
        OrderState::ExpectShipment => {
            if so_status != Some(NetSuiteStatus::PendingFulfillment) {
                disagree(format!(
                    "NetSuite shows {so_status:?}, not Pending Fulfillment"
                ));
            }
            if record.confirmed_acknowledgement().is_none() {
                disagree("no acknowledgement confirmed".to_owned());
            }
            match po.program {
                Program::RetailProcurement => {
                    let (acknowledged, accepted) = retail_accepted(world, po.number.as_str());
                    if !acknowledged {
                        disagree(format!(
                            "Amazon's PO is {:?} and was never acknowledged",
                            po.state
                        ));
                    }
                    for line in so.map(|s| s.lines.as_slice()).unwrap_or_default() {
                        let Some(sequence) = &line.sequence else {
                            continue;
                        };
                        let taken = accepted.get(sequence.as_str()).map_or(0, |a| a.0);
                        // A line Amazon recorded short of what was sent is drift, which
                        // the order reports (checked in `compliance`).
                        let reported = record.reconciliation().is_some_and(|r| {
                            r.drift
                                .iter()
                                .any(|d| d.sequence.as_ref() == Some(sequence))
                        });
                        if !line.is_closed && line.quantity > taken && !reported {
                            disagree(format!(
                                "NetSuite line {sequence} ships {} eaches, Amazon accepted {taken}",
                                line.quantity
                            ));
                        }
                    }
                }
                Program::DirectFulfillment => {
                    if !matches!(
                        po.state,
                        AmazonOrderState::Accepted | AmazonOrderState::Shipped
                    ) {
                        disagree(format!("Amazon's order is {:?}", po.state));
                    }
                }
            }
        }
        OrderState::Cancelled { reason } | OrderState::Closed { reason } => {
            if !so_closed {
                disagree(format!("NetSuite shows {so_status:?}, not closed"));
            }
            let amazon_ended = match po.program {
                Program::RetailProcurement => {
                    // Closed, every line cancelled, or every line it accepted cancelled.
                    // A line Amazon recorded short (injected drift) was accepted as
                    // sent, whatever its record now says.
                    let (acknowledged, accepted) = retail_accepted(world, po.number.as_str());
                    let drifted = drifted_lines(world, po.number.as_str());
                    let was_accepted =
                        |(s, a): &(&String, &(u64, u64))| a.0 > 0 || drifted.contains(*s);
                    let cancelled = |sequence: &str| {
                        po.lines
                            .iter()
                            .find(|l| l.sequence.as_str() == sequence)
                            .is_none_or(|l| l.ordered.amount == 0)
                    };
                    po.state == AmazonOrderState::Closed
                        || po.lines.iter().all(|l| l.ordered.amount == 0)
                        || (acknowledged
                            && accepted.iter().any(|l| was_accepted(&l))
                            && accepted
                                .iter()
                                .filter(was_accepted)
                                .all(|(s, _)| cancelled(s)))
                }
                Program::DirectFulfillment => po.state == AmazonOrderState::Cancelled,
            };
            let agrees = match reason {
                CloseReason::CancelledByAmazon | CloseReason::ClosedByAmazon => amazon_ended,
                CloseReason::NothingToShip => match po.program {
                    Program::RetailProcurement => {
                        let (acknowledged, accepted) = retail_accepted(world, po.number.as_str());
                        amazon_ended || (acknowledged && accepted.values().all(|a| a.0 == 0))
                    }
                    Program::DirectFulfillment => po.state == AmazonOrderState::Cancelled,
                },
                CloseReason::ChangedAfterAcknowledgement => {
                    world.settings.policies.changed_after_acknowledgement
                        == ChangedAfterAcknowledgementPolicy::CancelSalesOrder
                        && record.confirmed_acknowledgement().is_some()
                }
                CloseReason::CancelledByOperator { .. } => true,
                _ => false,
            };
            if !agrees {
                let (_, accepted) = retail_accepted(world, po.number.as_str());
                disagree(format!(
                    "ended ({reason}) but Amazon's order is {:?} with quantities {:?} (accepted and rejected by line: {accepted:?})",
                    po.state,
                    po.lines
                        .iter()
                        .map(|l| l.ordered.amount)
                        .collect::<Vec<_>>()
                ));
            }
        }
        OrderState::ExpectFix {
            attention: Attention::Mapping { .. },
        } => disagree("waits for a mapping fix, but every item is mapped".to_owned()),
        _ => {
            found.push((
                Finding::LostOrder,
                format!(
                    "{name}: did not settle: {}, {:?}",
                    record.status_label(),
                    record.state().kind()
                ),
            ));
        }
    }
    found
}

/// The outage invariant: every order Amazon listed late is found (the lost-order check
/// above requires it in the store, as every order Amazon holds; the duplicate checks
/// count its sales orders and acknowledgements), and only such an order is flagged as
/// found late, never before Amazon listed it. Returns the findings, how many orders
/// were listed late, and how many a sweep found.
fn found_late(
    world: &World,
    st: &WorldState,
    records: &BTreeMap<OrderKey, StoredOrder>,
    first_marks: &BTreeMap<Cursor, DateTime<Utc>>,
) -> (Vec<(Finding, String)>, usize, usize) {
    let mut found = Vec::new();
    let mut swept = 0;
    let overlap = TimeDelta::from_std(world.config.window_overlap).unwrap_or_default();
    let skew = TimeDelta::from_std(st.knobs.max_skew).unwrap_or_default();
    let late: BTreeMap<(Program, &str), &ListedLate> = st
        .listed_late
        .iter()
        .map(|l| ((l.program, l.number.as_str()), l))
        .collect();
    for order in &st.listed_late {
        let name = format!(
            "{} {} (listed late)",
            program_code(order.program),
            order.number
        );
        let start = first_marks
            .get(&listing_cursor(order.program))
            .map(|m| *m - overlap);
        if start.is_some_and(|start| order.placed < start) {
            continue;
        }
        let Some(key) = PurchaseOrderNumber::new(order.number.as_str())
            .ok()
            .map(|number| OrderKey {
                program: order.program,
                number,
            })
        else {
            continue;
        };
        match records.get(&key) {
            // Not stored: the lost-order check above reports it.
            None => {}
            Some(stored) => {
                if let Some(flag) = stored.record.found_late() {
                    swept += 1;
                    if flag.found_at + skew < order.listed_from {
                        found.push((
                            Finding::Violation,
                            format!(
                                "{name}: found late at {}, before Amazon listed it at {}",
                                flag.found_at, order.listed_from
                            ),
                        ));
                    }
                }
            }
        }
    }
    for (key, stored) in records {
        if stored.record.found_late().is_some()
            && !late.contains_key(&(key.program, key.number.as_str()))
        {
            found.push((
                Finding::Violation,
                format!("{key}: flagged as found late, but Amazon listed it in time"),
            ));
        }
    }
    (found, st.listed_late.len(), swept)
}

fn listing_cursor(program: Program) -> Cursor {
    match program {
        Program::RetailProcurement => Cursor::Retail(avc_order_sync::WindowKind::Created),
        Program::DirectFulfillment => Cursor::DirectFulfillment,
    }
}
