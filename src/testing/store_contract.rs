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
//!   its own.
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

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use crate::client::WindowKind;
use crate::ids::PurchaseOrderNumber;
use crate::lifecycle::OrderRecord;
use crate::order::Program;
use crate::store::{Cursor, InFlight, OrderKey, OrderStore, StoreError};

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

const CURSORS: [Cursor; 5] = [
    Cursor::Retail(WindowKind::Created),
    Cursor::Retail(WindowKind::Changed),
    Cursor::DirectFulfillment,
    Cursor::NetSuiteChanges,
    Cursor::DirectFulfillmentCancellations,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::MemoryStore;
    use crate::testing::{Before, InterceptedStore};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = Box::pin(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }

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
