//! The contract every [`OrderStore`] keeps, as a test any store can run: the
//! integrator's own database as much as [`MemoryStore`](crate::MemoryStore).
//!
//! [`run`] takes a store that holds nothing yet, exercises every promise of the
//! [`OrderStore`] docs, and reports each one broken:
//!
//! - an empty store has no order, no wake-up and no watermark;
//! - a save is compare-and-set on the version: a second insert of one key and a save
//!   naming a version not stored are refused with [`StoreError::Conflict`] carrying
//!   both versions, write nothing, and of two saves naming one version only one wins;
//! - what is saved is loaded as saved: the record, the in-flight marker and its time
//!   to the nanosecond, the version counting the saves;
//! - a retail order and a Direct Fulfillment order with one number are two orders,
//!   and [`OrderStore::keys`] lists every key in key order;
//! - [`OrderStore::due`] gives the orders woken at or before `now` (to the
//!   nanosecond), earliest first, at most `limit`; a save moves or clears the
//!   order's wake-up; [`OrderStore::next_wakeup`] is the earliest;
//! - a far wake-up (the last instant `chrono` can hold) is kept exactly;
//! - a watermark moves forward and never back, to the nanosecond, each cursor on
//!   its own;
//! - [`OrderStore::query`] answers every page of every status group, program, time
//!   field and time range as [`page_of`] does over the [`IndexEntry`] of each stored
//!   record (orders of several states, both programs, times to the nanosecond, a
//!   retail and a Direct Fulfillment order with one number and one time); a walk
//!   through the pages sees each order once; an order that changes state leaves its
//!   group for the new one, at the head of the pages by change;
//! - [`OrderStore::counts`] counts the orders of each state, and follows a change;
//! - a lease ([`OrderStore::take_lease`]) is granted on a free cursor, renewed for its
//!   holder, refused to another holder while it runs (writing nothing) and granted to
//!   them from its end on, each cursor on its own; of two workers asking at once for a
//!   free cursor one is granted;
//! - a rate budget ([`OrderStore::take_from_budget`]) gives its burst at once, then
//!   makes the next request wait for its refill (taking nothing), then gives it, each
//!   operation on its own.
//!
//! # Example
//! ```
//! use avc_order_sync::MemoryStore;
//! use avc_order_sync::testing::store_contract;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! store_contract::run(&MemoryStore::new()).await?;
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(example())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use crate::client::WindowKind;
use crate::ids::InternalId;
use crate::ids::PurchaseOrderNumber;
use crate::lifecycle::{Event, OrderRecord, StateKind};
use crate::order::Program;
use crate::settings::Settings;
use crate::store::{Cursor, InFlight, OrderKey, OrderStore, StoreError};
use crate::view::{
    IndexEntry, MAX_PAGE_SIZE, OrderFilter, PageRequest, StatusGroup, TimeField, page_of,
};

use super::{catalogue_settings, orders};

/// The promises a store broke, one line each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractViolations {
    /// What was found, one promise a line.
    pub violations: Vec<String>,
}

impl fmt::Display for ContractViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the store broke {} promise(s) of the contract:",
            self.violations.len()
        )?;
        for violation in &self.violations {
            write!(f, "\n- {violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContractViolations {}

/// Runs the contract on `store`, which must hold nothing yet (it is left holding
/// what the contract saved).
///
/// # Errors
/// [`ContractViolations`], listing each promise the store broke; a store error
/// where the contract expects none is a violation too.
pub async fn run(store: &dyn OrderStore) -> Result<(), ContractViolations> {
    let mut check = Check::default();
    empty(store, &mut check).await;
    if check.violations.is_empty() {
        compare_and_set(store, &mut check).await;
        keys(store, &mut check).await;
        wakeups(store, &mut check).await;
        far_wakeups(store, &mut check).await;
        watermarks(store, &mut check).await;
        queries(store, &mut check).await;
        leases(store, &mut check).await;
        budgets(store, &mut check).await;
    }
    if check.violations.is_empty() {
        Ok(())
    } else {
        Err(ContractViolations {
            violations: check.violations,
        })
    }
}

#[derive(Default)]
struct Check {
    violations: Vec<String>,
}

impl Check {
    fn that(&mut self, holds: bool, what: impl FnOnce() -> String) {
        if !holds {
            self.violations.push(what());
        }
    }

    fn equal<T: PartialEq + fmt::Debug>(&mut self, what: &str, got: T, expected: T) {
        if got != expected {
            self.violations
                .push(format!("{what}: expected {expected:?}, got {got:?}"));
        }
    }

    /// The answer, or a violation for the error.
    fn ok<T>(&mut self, what: &str, answer: Result<T, StoreError>) -> Option<T> {
        match answer {
            Ok(value) => Some(value),
            Err(e) => {
                self.violations.push(format!("{what}: failed: {e}"));
                None
            }
        }
    }
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn key(program: Program, number: &str) -> Option<OrderKey> {
    Some(OrderKey {
        program,
        number: PurchaseOrderNumber::new(number).ok()?,
    })
}

/// A record as the engine saves it: an order received.
fn record(number: &str, lines: usize) -> Option<OrderRecord> {
    let po = orders::retail_order(number, at("2026-11-27T07:00:00Z"), lines)
        .to_purchase_order()
        .ok()?;
    Some(
        OrderRecord::receive(
            po,
            at("2026-11-27T08:00:00Z"),
            &catalogue_settings(false, false),
        )
        .0,
    )
}

const CURSORS: [Cursor; 9] = [
    Cursor::Retail(WindowKind::Created),
    Cursor::Retail(WindowKind::Changed),
    Cursor::DirectFulfillment,
    Cursor::NetSuiteChanges,
    Cursor::DirectFulfillmentCancellations,
    Cursor::Start(Program::RetailProcurement),
    Cursor::Start(Program::DirectFulfillment),
    // A sweep of each program with the same reach: each keeps its own last run.
    Cursor::Sweep {
        program: Program::RetailProcurement,
        lookback_secs: 7 * 24 * 3600,
    },
    Cursor::Sweep {
        program: Program::DirectFulfillment,
        lookback_secs: 7 * 24 * 3600,
    },
];

async fn empty(store: &dyn OrderStore, check: &mut Check) {
    if let Some(a) = key(Program::RetailProcurement, "C0000001") {
        if let Some(loaded) = check.ok("load from an empty store", store.load(&a).await) {
            check.that(loaded.is_none(), || {
                "an empty store loaded an order it was never given".into()
            });
        }
    }
    if let Some(keys) = check.ok("keys of an empty store", store.keys().await) {
        check.equal("keys of an empty store", keys, Vec::new());
    }
    let next = check.ok("next wake-up of an empty store", store.next_wakeup().await);
    check.equal("next wake-up of an empty store", next, Some(None));
    let due = check.ok(
        "due in an empty store",
        store.due(DateTime::<Utc>::MAX_UTC, 10).await,
    );
    check.equal("due in an empty store", due, Some(Vec::new()));
    for cursor in CURSORS {
        let mark = check.ok("watermark of an empty store", store.watermark(cursor).await);
        check.equal(&format!("{cursor:?} in an empty store"), mark, Some(None));
    }
    check.that(check.violations.is_empty(), || {
        "the store was not empty: the contract needs a fresh one".into()
    });
}

fn is_conflict(
    answer: &Result<u64, StoreError>,
    expected: Option<u64>,
    found: Option<u64>,
) -> bool {
    matches!(answer, Err(StoreError::Conflict { expected: e, found: f, .. }) if *e == expected && *f == found)
}

async fn compare_and_set(store: &dyn OrderStore, check: &mut Check) {
    let (Some(a), Some(first), Some(second)) = (
        key(Program::RetailProcurement, "C0000001"),
        record("C0000001", 2),
        record("C0000001", 3),
    ) else {
        return;
    };
    let Ok(command_key) = "netsuite:create:AVC-RP-C0000001".parse() else {
        return;
    };
    let flight = InFlight {
        command_key,
        started_at: at("2026-11-27T08:00:00.123456789Z"),
    };
    let wake = at("2026-11-27T09:00:00.000000002Z");

    let inserted = store
        .save(&a, &first, Some(&flight), Some(wake), None)
        .await;
    check.equal("the first save's version", inserted.ok(), Some(1));

    let again = store.save(&a, &second, None, None, None).await;
    check.that(is_conflict(&again, None, Some(1)), || {
        format!("a second insert of one key was not refused as Conflict {{ expected: None, found: Some(1) }}: {again:?}")
    });
    let stale = store.save(&a, &second, None, None, Some(7)).await;
    check.that(is_conflict(&stale, Some(7), Some(1)), || {
        format!("a save naming version 7 of version 1 was not refused as Conflict {{ expected: Some(7), found: Some(1) }}: {stale:?}")
    });

    if let Some(loaded) = check.ok("load", store.load(&a).await) {
        match loaded {
            None => check.that(false, || "a saved order was not loaded".into()),
            Some(stored) => {
                check.equal("the version after refused saves", stored.version, 1);
                check.that(stored.record == first, || {
                    "the record loaded is not the one saved (or a refused save wrote it)".into()
                });
                check.equal(
                    "the in-flight marker",
                    stored.in_flight,
                    Some(flight.clone()),
                );
            }
        }
    }
    let next = check.ok("next wake-up", store.next_wakeup().await);
    check.equal("the wake-up after refused saves", next, Some(Some(wake)));

    let updated = store.save(&a, &second, None, None, Some(1)).await;
    check.equal("the second save's version", updated.ok(), Some(2));
    if let Some(Some(stored)) = check.ok("load", store.load(&a).await) {
        check.equal("the version loaded", stored.version, 2);
        check.that(stored.record == second, || {
            "a save naming the stored version did not write the record".into()
        });
        check.equal("the in-flight marker cleared", stored.in_flight, None);
    }

    // Two workers that both read version 2: one save wins, the other is refused.
    let (one, other) = (
        store.save(&a, &first, None, None, Some(2)),
        store.save(&a, &second, None, None, Some(2)),
    );
    let answers = [one.await, other.await];
    let won = answers.iter().filter(|r| r.is_ok()).count();
    let refused = answers
        .iter()
        .filter(|r| is_conflict(r, Some(2), Some(3)))
        .count();
    check.that(won == 1 && refused == 1, || {
        format!(
            "of two saves naming version 2, not exactly one won and one was refused: {answers:?}"
        )
    });
    // Leave the order without a wake-up for the checks that follow.
    let cleared = store.save(&a, &second, None, None, Some(3)).await;
    check.equal("the fourth save's version", cleared.ok(), Some(4));
}

async fn keys(store: &dyn OrderStore, check: &mut Check) {
    let (Some(a), Some(b), Some(c), Some(record)) = (
        key(Program::RetailProcurement, "C0000001"),
        key(Program::DirectFulfillment, "C0000001"),
        key(Program::RetailProcurement, "B0000002"),
        record("C0000001", 1),
    ) else {
        return;
    };
    let saved_b = store.save(&b, &record, None, None, None).await;
    check.equal(
        "a Direct Fulfillment order with a retail order's number is a new order",
        saved_b.ok(),
        Some(1),
    );
    let saved_c = store.save(&c, &record, None, None, None).await;
    check.equal("a new order's version", saved_c.ok(), Some(1));
    if let Some(Some(retail)) = check.ok("load", store.load(&a).await) {
        check.equal(
            "the retail order after a Direct Fulfillment one with its number",
            retail.version,
            4,
        );
    }
    let mut expected = vec![a, b, c];
    expected.sort();
    let listed = check.ok("keys", store.keys().await);
    check.equal("every key, in key order", listed, Some(expected));
}

async fn wakeups(store: &dyn OrderStore, check: &mut Check) {
    let (Some(a), Some(b), Some(c), Some(record)) = (
        key(Program::RetailProcurement, "C0000001"),
        key(Program::DirectFulfillment, "C0000001"),
        key(Program::RetailProcurement, "B0000002"),
        record("C0000001", 1),
    ) else {
        return;
    };
    let nine = at("2026-11-27T09:00:00Z");
    let tick = TimeDelta::nanoseconds(1);
    // b at 9:00 and a nanosecond, c at 9:00, a at 8:30, then a moved to 10:00.
    let saves = [
        (&b, Some(nine + tick), Some(1), 2),
        (&c, Some(nine), Some(1), 2),
        (&a, Some(at("2026-11-27T08:30:00Z")), Some(4), 5),
        (&a, Some(at("2026-11-27T10:00:00Z")), Some(5), 6),
    ];
    for (key, wake, expected, version) in saves {
        let saved = store.save(key, &record, None, wake, expected).await;
        check.equal(&format!("the save of {key}"), saved.ok(), Some(version));
    }
    let due = |now: DateTime<Utc>, limit: usize| store.due(now, limit);
    let cases = [
        ("before any wake-up", nine - tick, 10, vec![]),
        ("at a wake-up (it is due)", nine, 10, vec![c.clone()]),
        (
            "a nanosecond later",
            nine + tick,
            10,
            vec![c.clone(), b.clone()],
        ),
        ("with a limit of one", nine + tick, 1, vec![c.clone()]),
        (
            "after every wake-up (a moved wake-up is due only at its new time)",
            at("2026-11-27T10:00:00Z"),
            10,
            vec![c.clone(), b.clone(), a.clone()],
        ),
    ];
    for (what, now, limit, expected) in cases {
        let got = check.ok("due", due(now, limit).await);
        check.equal(&format!("due {what}, earliest first"), got, Some(expected));
    }
    let next = check.ok("next wake-up", store.next_wakeup().await);
    check.equal("the earliest wake-up", next, Some(Some(nine)));
    // A save without a wake-up clears the order's.
    let cleared = store.save(&c, &record, None, None, Some(2)).await;
    check.equal("the save of c", cleared.ok(), Some(3));
    let next = check.ok("next wake-up", store.next_wakeup().await);
    check.equal(
        "the earliest wake-up once it is cleared",
        next,
        Some(Some(nine + tick)),
    );
    let got = check.ok("due", due(at("2026-11-28T00:00:00Z"), 10).await);
    check.equal(
        "due once a wake-up is cleared",
        got,
        Some(vec![b.clone(), a.clone()]),
    );
    // Leave no wake-up for the checks that follow.
    for (key, expected) in [(&a, 6), (&b, 2)] {
        let saved = store.save(key, &record, None, None, Some(expected)).await;
        check.equal(
            &format!("the save of {key}"),
            saved.ok(),
            Some(expected + 1),
        );
    }
}

async fn far_wakeups(store: &dyn OrderStore, check: &mut Check) {
    let (Some(c), Some(record)) = (
        key(Program::RetailProcurement, "B0000002"),
        record("B0000002", 1),
    ) else {
        return;
    };
    let far = DateTime::<Utc>::MAX_UTC - TimeDelta::nanoseconds(1);
    let saved = store.save(&c, &record, None, Some(far), Some(3)).await;
    check.equal("a save with a far wake-up", saved.ok(), Some(4));
    let next = check.ok("next wake-up", store.next_wakeup().await);
    check.equal("a far wake-up, kept exactly", next, Some(Some(far)));
    let due = check.ok("due", store.due(at("2200-01-01T00:00:00Z"), 10).await);
    check.equal(
        "a far wake-up is not due before its time",
        due,
        Some(Vec::new()),
    );
    let due = check.ok("due", store.due(DateTime::<Utc>::MAX_UTC, 10).await);
    check.equal("a far wake-up is due at its time", due, Some(vec![c]));
}

async fn watermarks(store: &dyn OrderStore, check: &mut Check) {
    let cursor = Cursor::Retail(WindowKind::Changed);
    let marks = [
        ("2026-11-27T08:00:00.25Z", "2026-11-27T08:00:00.25Z"),
        ("2026-11-27T07:00:00Z", "2026-11-27T08:00:00.25Z"),
        (
            "2026-11-27T08:00:00.250000001Z",
            "2026-11-27T08:00:00.250000001Z",
        ),
        (
            "2026-11-27T08:00:00.250000001Z",
            "2026-11-27T08:00:00.250000001Z",
        ),
    ];
    for (mark, expected) in marks {
        check.ok(
            "save a watermark",
            store.save_watermark(cursor, at(mark)).await,
        );
        let got = check.ok("watermark", store.watermark(cursor).await);
        check.equal(
            &format!("the watermark after a move to {mark}"),
            got,
            Some(Some(at(expected))),
        );
    }
    for other in CURSORS.into_iter().filter(|c| *c != cursor) {
        let got = check.ok("watermark", store.watermark(other).await);
        check.equal(
            &format!("{other:?} once another cursor moved"),
            got,
            Some(None),
        );
    }
    let created = Cursor::Retail(WindowKind::Created);
    check.ok(
        "save a watermark",
        store
            .save_watermark(created, at("2026-11-27T06:00:00Z"))
            .await,
    );
    let got = check.ok("watermark", store.watermark(created).await);
    check.equal(
        "a cursor behind another's",
        got,
        Some(Some(at("2026-11-27T06:00:00Z"))),
    );
}

/// An order of the query checks: Direct Fulfillment or retail, received at
/// `received`, then taken to a state by `step` at `changed`.
fn query_record(
    program: Program,
    number: &str,
    received: DateTime<Utc>,
    changed: DateTime<Utc>,
    step: usize,
) -> Option<OrderRecord> {
    let po = match program {
        Program::RetailProcurement => orders::retail_order(number, received, 2)
            .to_purchase_order()
            .ok()?,
        Program::DirectFulfillment => orders::df_order(number, received, 2)
            .to_purchase_order()
            .ok()?,
    };
    let mapped = catalogue_settings(false, false);
    // Unmapped: every item is missing, so the order waits for a fix.
    let settings = if step == 4 {
        Settings::default()
    } else {
        mapped.clone()
    };
    let record = OrderRecord::receive(po, received, &settings).0;
    let event = match step {
        1 => Event::SalesOrderCreated {
            internal_id: InternalId::new("7001").ok()?,
        },
        2 => Event::HoldRequested {
            reason: "checked by hand".into(),
        },
        3 => Event::CancelRequested {
            reason: "a duplicate".into(),
        },
        _ => return Some(record),
    };
    record
        .handle(&event, changed, &settings)
        .ok()
        .map(|(next, _)| next)
}

/// The orders of the query checks: both programs, five ways through the lifecycle,
/// times that tie and times a nanosecond apart.
fn query_orders() -> Vec<(OrderKey, OrderRecord)> {
    let base = at("2026-11-28T06:00:00Z");
    let mut found = Vec::new();
    for i in 0..16_i64 {
        let program = if i % 3 == 0 {
            Program::DirectFulfillment
        } else {
            Program::RetailProcurement
        };
        // Numbers not in key order of their times, two orders a creation time.
        let number = format!("Q{:07}", (i * 7) % 16);
        let received = base + TimeDelta::hours(i / 2) + TimeDelta::nanoseconds(i % 2);
        let changed = received + TimeDelta::minutes(30 * (i % 3));
        let step = usize::try_from(i % 5).unwrap_or(0);
        if let (Some(key), Some(record)) = (
            key(program, &number),
            query_record(program, &number, received, changed, step),
        ) {
            found.push((key, record));
        }
    }
    // One number in both programs, at one time: the key alone orders them.
    let same = base + TimeDelta::hours(3);
    for program in [Program::DirectFulfillment, Program::RetailProcurement] {
        if let (Some(key), Some(record)) = (
            key(program, "Q0000100"),
            query_record(program, "Q0000100", same, same, 1),
        ) {
            found.push((key, record));
        }
    }
    found
}

/// The filters the query checks ask: every group, program and time field, over all
/// time and over ranges whose bounds fall on orders' times.
fn query_filters() -> Vec<OrderFilter> {
    let from = at("2026-11-28T07:00:00Z");
    let until = at("2026-11-28T10:30:00Z");
    let ranges = [
        (None, None),
        (Some(from), None),
        (None, Some(until)),
        (Some(from), Some(until)),
    ];
    let mut filters = Vec::new();
    for group in StatusGroup::ALL {
        for program in [
            None,
            Some(Program::RetailProcurement),
            Some(Program::DirectFulfillment),
        ] {
            for time in [TimeField::Changed, TimeField::Created] {
                for (from, until) in ranges {
                    filters.push(OrderFilter {
                        group,
                        program,
                        time,
                        from,
                        until,
                    });
                }
            }
        }
    }
    filters
}

/// Every stored order's index entry, as [`IndexEntry::of`] makes it from the record.
async fn stored_entries(store: &dyn OrderStore, check: &mut Check) -> Option<Vec<IndexEntry>> {
    let keys = check.ok("keys", store.keys().await)?;
    let mut entries = Vec::new();
    for key in keys {
        let stored = check.ok("load", store.load(&key).await)??;
        entries.push(IndexEntry::of(&key, &stored.record));
    }
    Some(entries)
}

/// Walks every filter's pages of `size`: each page must be the rule's, and the walk
/// must see each order the filter takes once. Stops at the first page that differs.
async fn walk_pages(
    store: &dyn OrderStore,
    check: &mut Check,
    entries: &[IndexEntry],
    filter: &OrderFilter,
    size: usize,
    moment: &str,
) -> bool {
    let mut page = PageRequest::first(size);
    let mut seen = Vec::new();
    // One page more than there are orders: a walk that does not end is a violation.
    for _ in 0..=entries.len() + 1 {
        let Some(got) = check.ok("query", store.query(filter, &page).await) else {
            return false;
        };
        let want = page_of(entries, filter, &page);
        if got != want {
            check.equal(
                &format!(
                    "{moment}: the page of {size} after {:?} of {filter:?}",
                    page.after
                ),
                got,
                want,
            );
            return false;
        }
        seen.extend(got.entries.into_iter().map(|e| e.key));
        match got.next {
            Some(token) => page.after = Some(token),
            None => {
                let once: BTreeSet<_> = seen.iter().collect();
                let taken = entries.iter().filter(|e| filter.matches(e)).count();
                check.that(once.len() == seen.len() && seen.len() == taken, || {
                    format!(
                        "{moment}: a walk through the pages of {size} of {filter:?} saw {} orders, {} of them once, of the {taken} it takes",
                        seen.len(),
                        once.len()
                    )
                });
                return true;
            }
        }
    }
    check.that(false, || {
        format!("{moment}: the pages of {size} of {filter:?} never ended")
    });
    false
}

fn state_counts(entries: &[IndexEntry]) -> BTreeMap<StateKind, usize> {
    let mut counts = BTreeMap::new();
    for entry in entries {
        *counts.entry(entry.state).or_insert(0) += 1;
    }
    counts
}

/// Pages and counts agree with the rule over every stored record.
async fn queries_agree(
    store: &dyn OrderStore,
    check: &mut Check,
    moment: &str,
) -> Option<Vec<IndexEntry>> {
    let entries = stored_entries(store, check).await?;
    if let Some(mut counts) = check.ok("counts", store.counts().await) {
        counts.retain(|_, n| *n > 0);
        check.equal(
            &format!("{moment}: the counts of each state"),
            counts,
            state_counts(&entries),
        );
    }
    for filter in query_filters() {
        for size in [1, 4, MAX_PAGE_SIZE] {
            if !walk_pages(store, check, &entries, &filter, size, moment).await {
                break;
            }
        }
    }
    Some(entries)
}

async fn queries(store: &dyn OrderStore, check: &mut Check) {
    let saved = query_orders();
    for (key, record) in &saved {
        let answer = store.save(key, record, None, None, None).await;
        check.equal(&format!("the save of {key}"), answer.ok(), Some(1));
    }
    let states: BTreeSet<_> = saved.iter().map(|(_, r)| r.state().kind()).collect();
    check.that(states.len() >= 5, || {
        format!("the query checks' orders are in too few states: {states:?}")
    });
    let Some(entries) = queries_agree(store, check, "with orders of several states").await else {
        return;
    };

    // An order waiting for approval is held: it leaves the group, joins Held at the
    // head of the pages by change, and the counts follow.
    let Some((key, record)) = saved
        .iter()
        .find(|(_, r)| r.state().kind() == StateKind::ExpectApproval)
    else {
        check.that(false, || "no query order waits for approval".into());
        return;
    };
    let later = at("2026-11-30T00:00:00Z");
    let Ok((held, _)) = record.handle(
        &Event::HoldRequested {
            reason: "checked by hand".into(),
        },
        later,
        &catalogue_settings(false, false),
    ) else {
        check.that(false, || {
            "an order waiting for approval could not be held".into()
        });
        return;
    };
    let answer = store.save(key, &held, None, None, Some(1)).await;
    check.equal(&format!("the save of {key}, held"), answer.ok(), Some(2));
    let Some(after) = queries_agree(store, check, "once an order is held").await else {
        return;
    };
    let waiting = OrderFilter::group(StatusGroup::WaitingForApproval);
    if let Some(page) = check.ok(
        "query",
        store
            .query(&waiting, &PageRequest::first(MAX_PAGE_SIZE))
            .await,
    ) {
        check.that(page.entries.iter().all(|e| e.key != *key), || {
            format!("{key}, held, is still on the pages of orders waiting for approval")
        });
    }
    let on_hold = OrderFilter::group(StatusGroup::Held);
    if let Some(page) = check.ok("query", store.query(&on_hold, &PageRequest::first(1)).await) {
        let first = page.entries.first().map(|e| (e.key.clone(), e.changed_at));
        check.equal(
            "the first order on hold, by change",
            first,
            Some((key.clone(), later)),
        );
    }
    let count = |entries: &[IndexEntry], state| state_counts(entries).get(&state).copied();
    if let Some(counts) = check.ok("counts", store.counts().await) {
        let approval = counts
            .get(&StateKind::ExpectApproval)
            .copied()
            .filter(|n| *n > 0);
        check.equal(
            "the orders waiting for approval once one is held",
            approval,
            count(&entries, StateKind::ExpectApproval)
                .and_then(|n| n.checked_sub(1))
                .filter(|n| *n > 0),
        );
        check.equal(
            "the orders on hold once one more is",
            counts.get(&StateKind::Held).copied(),
            count(&after, StateKind::Held),
        );
    }
}

async fn leases(store: &dyn OrderStore, check: &mut Check) {
    let cursor = Cursor::Retail(WindowKind::Created);
    let t0 = at("2026-11-27T08:00:00Z");
    let t1 = at("2026-11-27T08:02:00.000000001Z");
    let t2 = at("2026-11-27T08:04:00Z");
    let take = |holder: &'static str, now, until| store.take_lease(cursor, holder, now, until);
    let got = check.ok("take a lease", take("worker-a", t0, t1).await);
    check.equal("a free cursor's lease", got, Some(true));
    let got = check.ok("take a lease", take("worker-b", t0, t2).await);
    check.equal("a lease another holds", got, Some(false));
    let before_end = at("2026-11-27T08:02:00Z");
    let got = check.ok("take a lease", take("worker-b", before_end, t2).await);
    check.equal(
        "a lease another holds, a nanosecond before it ends",
        got,
        Some(false),
    );
    // The refusal wrote nothing: the holder renews, and the end is its own.
    let got = check.ok("renew a lease", take("worker-a", before_end, t2).await);
    check.equal("the holder renews its lease", got, Some(true));
    let got = check.ok("take a lease", take("worker-b", t1, t2).await);
    check.equal(
        "a lease another renewed, past the end it had before",
        got,
        Some(false),
    );
    let got = check.ok(
        "take a lease",
        take("worker-b", t2, at("2026-11-27T08:06:00Z")).await,
    );
    check.equal("a lease at its end", got, Some(true));
    let got = check.ok(
        "take a lease",
        take("worker-a", t2, at("2026-11-27T08:06:00Z")).await,
    );
    check.equal("the lease the first holder lost", got, Some(false));
    let other = Cursor::DirectFulfillment;
    let got = check.ok(
        "take a lease",
        store.take_lease(other, "worker-a", t2, t1).await,
    );
    check.equal("another cursor's lease", got, Some(true));

    // Two workers asking at once for a free cursor: one is granted.
    let free = Cursor::NetSuiteChanges;
    let (one, two) = (
        store.take_lease(free, "worker-a", t0, t1),
        store.take_lease(free, "worker-b", t0, t1),
    );
    let answers = [one.await, two.await];
    let granted = answers.iter().filter(|r| matches!(r, Ok(true))).count();
    let refused = answers.iter().filter(|r| matches!(r, Ok(false))).count();
    check.that(granted == 1 && refused == 1, || {
        format!(
            "of two workers asking for one free lease, not exactly one was granted: {answers:?}"
        )
    });
}

async fn budgets(store: &dyn OrderStore, check: &mut Check) {
    let (rate, burst) = (4, 3);
    let t0 = at("2026-11-27T08:00:00Z");
    let operation = "getPurchaseOrders";
    for n in 1..=burst {
        let got = check.ok(
            "take from a budget",
            store.take_from_budget(operation, t0, rate, burst).await,
        );
        check.equal(&format!("request {n} of the burst"), got, Some(None));
    }
    let got = check.ok(
        "take from a budget",
        store.take_from_budget(operation, t0, rate, burst).await,
    );
    let quarter = std::time::Duration::from_millis(250);
    check.equal("the request past the burst waits", got, Some(Some(quarter)));
    // The refused request took nothing: a tenth of a second later, the wait is shorter
    // by as much.
    let later = t0 + TimeDelta::milliseconds(100);
    let got = check.ok(
        "take from a budget",
        store.take_from_budget(operation, later, rate, burst).await,
    );
    check.equal(
        "the wait a tenth of a second later",
        got,
        Some(Some(std::time::Duration::from_millis(150))),
    );
    let refilled = t0 + TimeDelta::milliseconds(250);
    let got = check.ok(
        "take from a budget",
        store
            .take_from_budget(operation, refilled, rate, burst)
            .await,
    );
    check.equal("the request once a token is refilled", got, Some(None));
    let got = check.ok(
        "take from a budget",
        store.take_from_budget("getOrders", t0, rate, burst).await,
    );
    check.equal("another operation's budget", got, Some(None));
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::MemoryStore;
    use crate::testing::fixtures::block_on;
    use crate::testing::{Before, InterceptedStore};

    #[test]
    fn the_memory_store_keeps_the_contract() {
        assert_eq!(block_on(run(&MemoryStore::new())), Ok(()));
    }

    #[test]
    fn a_store_that_ignores_the_limit_breaks_it() {
        let memory = Arc::new(MemoryStore::new());
        let store = InterceptedStore::new(memory.clone());
        store.due.before_async(move |(now, _)| {
            let (memory, now) = (memory.clone(), *now);
            async move { Before::Answer(memory.due(now, usize::MAX).await) }
        });
        let broken = block_on(run(&store)).unwrap_err();
        assert_eq!(broken.violations.len(), 1, "{broken}");
        assert!(
            broken.violations[0].contains("with a limit of one"),
            "{broken}"
        );
    }

    #[test]
    fn a_store_whose_watermarks_go_back_breaks_it() {
        let memory = Arc::new(MemoryStore::new());
        let store = InterceptedStore::new(memory.clone());
        let held = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
        let marks = held.clone();
        // Keeps the last time given, whichever it is.
        store.save_watermark.before(move |(cursor, at)| {
            crate::testing::lock(&marks).insert(*cursor, *at);
            Before::Answer(Ok(()))
        });
        store.watermark.before(move |cursor| {
            Before::Answer(Ok(crate::testing::lock(&held).get(cursor).copied()))
        });
        let broken = block_on(run(&store)).unwrap_err();
        assert_eq!(broken.violations.len(), 1, "{broken}");
        assert!(broken.violations[0].contains("07:00:00Z"), "{broken}");
    }

    /// A memory store whose pages forget the program, and whose counts are off by
    /// one once an order is held.
    struct Careless(MemoryStore);

    #[async_trait::async_trait]
    impl OrderStore for Careless {
        async fn load(
            &self,
            key: &OrderKey,
        ) -> Result<Option<crate::store::StoredOrder>, StoreError> {
            self.0.load(key).await
        }
        async fn save(
            &self,
            key: &OrderKey,
            record: &OrderRecord,
            in_flight: Option<&InFlight>,
            next_wakeup: Option<DateTime<Utc>>,
            expected: Option<u64>,
        ) -> Result<u64, StoreError> {
            self.0
                .save(key, record, in_flight, next_wakeup, expected)
                .await
        }
        async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
            self.0.due(now, limit).await
        }
        async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
            self.0.next_wakeup().await
        }
        async fn keys(&self) -> Result<Vec<OrderKey>, StoreError> {
            self.0.keys().await
        }
        async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
            self.0.watermark(cursor).await
        }
        async fn save_watermark(
            &self,
            cursor: Cursor,
            at: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            self.0.save_watermark(cursor, at).await
        }
        async fn query(
            &self,
            filter: &OrderFilter,
            page: &PageRequest,
        ) -> Result<crate::view::IndexPage, StoreError> {
            let mut filter = filter.clone();
            filter.program = None;
            self.0.query(&filter, page).await
        }
        async fn counts(&self) -> Result<BTreeMap<StateKind, usize>, StoreError> {
            let mut counts = self.0.counts().await?;
            if counts.contains_key(&StateKind::Held) {
                *counts.entry(StateKind::ExpectApproval).or_insert(0) += 1;
            }
            Ok(counts)
        }
    }

    #[test]
    fn a_store_whose_pages_forget_the_program_or_whose_counts_lag_breaks_it() {
        let broken = block_on(run(&Careless(MemoryStore::new()))).unwrap_err();
        let text = broken.to_string();
        assert!(
            text.contains("program: Some(DirectFulfillment)"),
            "{broken}"
        );
        assert!(text.contains("the counts of each state"), "{broken}");
        assert!(
            text.contains("the orders waiting for approval once one is held"),
            "{broken}"
        );
    }

    #[test]
    fn a_store_on_the_provided_lease_and_budget_breaks_it() {
        // `Careless` leaves both to the trait's provided methods, which grant all.
        let broken = block_on(run(&Careless(MemoryStore::new()))).unwrap_err();
        let text = broken.to_string();
        assert!(text.contains("a lease another holds"), "{broken}");
        assert!(
            text.contains("of two workers asking for one free lease"),
            "{broken}"
        );
        assert!(
            text.contains("the request past the burst waits"),
            "{broken}"
        );
    }

    #[test]
    fn a_store_that_is_not_empty_is_refused() {
        let store = MemoryStore::new();
        block_on(store.save_watermark(Cursor::NetSuiteChanges, at("2026-11-27T06:00:00Z")))
            .unwrap();
        let refused = block_on(run(&store)).unwrap_err();
        assert!(
            refused.to_string().contains("needs a fresh one"),
            "{refused}"
        );
    }
}
