//! Where the library keeps its own state: one record per order, with optimistic
//! concurrency, and the retrieval watermarks.
//!
//! [`MemoryStore`] ships with the crate; `examples/sqlite_store.rs` shows the same
//! contract on a database. `testing::store_contract::run` (the `testing` feature)
//! checks that a store keeps it.

mod compact;
mod index;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::client::WindowKind;
use crate::ids::PurchaseOrderNumber;
use crate::lifecycle::{CommandKey, OrderRecord, StateKind};
use crate::order::Program;
use crate::view::{IndexEntry, IndexPage, OrderFilter, PageRequest, page_of};

/// Names one order: the program and the PO number (a retail PO and a Direct
/// Fulfillment order may share a number).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrderKey {
    /// The program.
    pub program: Program,
    /// The PO number.
    pub number: PurchaseOrderNumber,
}

impl fmt::Display for OrderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.program.code(), self.number)
    }
}

/// What a side effect in flight was, saved before it is executed so that a crash
/// between doing it and recording it is noticed on the next run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// The command's key.
    pub command_key: CommandKey,
    /// When the engine started it.
    pub started_at: DateTime<Utc>,
}

/// A record as stored, with the version a save must name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredOrder {
    /// The order's state.
    pub record: OrderRecord,
    /// A side effect started and not yet recorded, if any.
    pub in_flight: Option<InFlight>,
    /// The version: 1 after the first save, one more for each save after.
    pub version: u64,
}

/// A retrieval watermark's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Cursor {
    /// Retail POs, by creation or by change (the engine never lists retail POs as
    /// [`WindowKind::Cancelled`]).
    Retail(WindowKind),
    /// Direct Fulfillment orders, by creation.
    DirectFulfillment,
    /// NetSuite sales orders changed (approvals, reviewer edits).
    NetSuiteChanges,
    /// When the engine last listed the Direct Fulfillment orders Amazon cancelled (the
    /// start of the last check that read every window; see
    /// `EngineConfig::cancellation_check_interval`). Not a window's end: the check
    /// always reads back the whole `EngineConfig::cancellation_lookback`.
    DirectFulfillmentCancellations,
    /// Where the sync started reading a program's orders by creation: saved once, on
    /// the first cycle, and never moved. The deep sweeps (`EngineConfig::deep_sweeps`)
    /// reach no further back, so a sweep never takes in orders placed before the sync
    /// was set to start.
    Start(Program),
    /// When one deep sweep of a program last started (see
    /// `EngineConfig::deep_sweeps`), named by how far back the sweep reads, in whole
    /// seconds: a sweep whose period is changed keeps its last run, one whose reach is
    /// changed is a new sweep. Not a window's end.
    Sweep {
        /// The program swept.
        program: Program,
        /// How far back the sweep reads, in seconds.
        lookback_secs: u64,
    },
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record changed since it was read: another worker acted on the order. Load
    /// it again and decide again.
    #[error(
        "order {key} changed since it was read (expected version {expected:?}, found {found:?})"
    )]
    Conflict {
        /// The order.
        key: OrderKey,
        /// The version the save named.
        expected: Option<u64>,
        /// The version stored.
        found: Option<u64>,
    },
    /// The store itself failed (a database error); the cycle stops and nothing is lost.
    #[error("store failed: {message}")]
    Backend {
        /// What failed.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
}

/// The library's own state, kept by the integrator's database.
///
/// Saves are compare-and-set on the version, so two workers can never both act on one
/// order: the loser gets [`StoreError::Conflict`] and reloads.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// The order's record and version; `None` for an order never saved.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError>;

    /// Saves the record when the stored version is `expected` (`None`: the order must
    /// not exist yet), and returns the new version.
    ///
    /// Implementations MUST make the check and the write one atomic step, MUST keep
    /// `next_wakeup` for [`OrderStore::due`], and MUST NOT report success before the
    /// write is durable.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the stored version is not `expected`;
    /// [`StoreError::Backend`].
    async fn save(
        &self,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        next_wakeup: Option<DateTime<Utc>>,
        expected: Option<u64>,
    ) -> Result<u64, StoreError>;

    /// Orders whose next wake-up is at or before `now`, earliest first, at most
    /// `limit`.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError>;

    /// The earliest next wake-up of any order, if any is scheduled.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Every order key, in key order (for reports and reconciliation).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn keys(&self) -> Result<Vec<OrderKey>, StoreError>;

    /// A retrieval watermark; `None` before the first retrieval.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Moves a retrieval watermark. Implementations MUST NOT move it backwards.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn save_watermark(&self, cursor: Cursor, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// One page of the orders `filter` takes, newest first by its time, then by key,
    /// as [`crate::view::page_of`] orders them.
    ///
    /// A store keeps the columns of [`IndexEntry::of`] beside each record, written in
    /// the same step as [`OrderStore::save`], indexed on the state and the two times,
    /// and answers from them: a page must not cost more as the store grows. The
    /// provided method scans every record; it is correct and slow, so that a store
    /// written before queries existed still compiles and answers.
    ///
    /// **Migrating a store written against the trait without queries:** add the
    /// columns `state` ([`StateKind::as_str`]), `created_at` and `changed_at` to the
    /// orders table, write them in `save` from [`IndexEntry::of`], fill them once for
    /// the stored records, index `(state, changed_at)` and `(state, created_at)`, and
    /// implement this method and [`OrderStore::counts`] on them.
    /// `examples/sqlite_store/store.rs` is the model.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn query(
        &self,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<IndexPage, StoreError> {
        let mut entries = Vec::new();
        for key in self.keys().await? {
            if let Some(stored) = self.load(&key).await? {
                entries.push(IndexEntry::of(&key, &stored.record));
            }
        }
        Ok(page_of(&entries, filter, page))
    }

    /// How many orders are in each state; states with none may be left out. The
    /// provided method scans every record, as [`OrderStore::query`]'s does.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn counts(&self) -> Result<BTreeMap<StateKind, usize>, StoreError> {
        let mut counts = BTreeMap::new();
        for key in self.keys().await? {
            if let Some(stored) = self.load(&key).await? {
                *counts.entry(stored.record.state().kind()).or_default() += 1;
            }
        }
        Ok(counts)
    }

    /// Takes, or renews, the lease on reading `cursor`'s windows for `holder` until
    /// `until`: granted (`true`) when no lease on the cursor is stored, when `holder`
    /// holds it, or when the lease stored ended at or before `now`; refused (`false`)
    /// while another holder's lease runs. A granted lease is stored as `holder`'s
    /// until `until`; a refusal writes nothing.
    ///
    /// Several workers on one store take a lease before each listing
    /// (`EngineConfig::retrieval_lease`), so that one of them at a time reads a
    /// cursor's windows and the listing calls do not grow with the number of workers.
    /// A worker that dies holding a lease loses it when it ends.
    ///
    /// Implementations MUST decide and write in one atomic step (a compare-and-set:
    /// `UPDATE … WHERE holder = ? OR until <= ?`, or an insert of a missing row), so
    /// that two workers asking at once are never both granted. The provided method
    /// grants every request: right for a store that one engine uses, in one process,
    /// and wrong for one several workers share; `testing::store_contract` checks the
    /// real thing.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn take_lease(
        &self,
        cursor: Cursor,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _ = (cursor, holder, now, until);
        Ok(true)
    }

    /// Takes one request from the rate budget that every worker on this store shares
    /// for Amazon's `operation` (`EngineConfig::shared_rate_budget`): a token bucket
    /// of `rate_per_second` holding at most `burst`, kept in the store as a
    /// [`RateBudget`]. `None` when the request may go now; else how long until a
    /// token is free (nothing is taken then).
    ///
    /// Implementations MUST read, apply [`RateBudget::take`] and write as one atomic
    /// step (a transaction holding the row's lock, as SQLite's `BEGIN IMMEDIATE`, or
    /// an `UPDATE` whose `WHERE` names the values read, tried again when it changes no
    /// row), so that two workers never spend one token. The
    /// provided method grants every request: each engine still paces itself at the
    /// full rate, which is right for one worker.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn take_from_budget(
        &self,
        operation: &str,
        now: DateTime<Utc>,
        rate_per_second: u32,
        burst: u32,
    ) -> Result<Option<Duration>, StoreError> {
        let _ = (operation, now, rate_per_second, burst);
        Ok(None)
    }
}

/// One Amazon operation's shared rate budget, as a store keeps it: a token bucket in
/// whole millionths of a request (integers, so every store computes the same), and
/// when it was last filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateBudget {
    /// Requests left, in millionths of a request.
    pub micro_tokens: u64,
    /// When the tokens were counted.
    pub at: DateTime<Utc>,
}

/// Millionths of a request in one request.
const MICRO: u64 = 1_000_000;

impl RateBudget {
    /// A full budget of `burst` requests at `now`: an operation's row before its first
    /// request.
    pub fn full(burst: u32, now: DateTime<Utc>) -> Self {
        RateBudget {
            micro_tokens: u64::from(burst.max(1)) * MICRO,
            at: now,
        }
    }

    /// Takes one request at `now` from a budget of `rate_per_second` holding at most
    /// `burst`: the budget after, and `None` when the request may go, or the budget
    /// refilled to `now` and how long until a request is free. A clock behind the
    /// budget's time (another worker's ahead of it) refills nothing and keeps the
    /// later time.
    pub fn take(
        self,
        now: DateTime<Utc>,
        rate_per_second: u32,
        burst: u32,
    ) -> (Self, Option<Duration>) {
        let rate = u64::from(rate_per_second.max(1));
        let cap = u64::from(burst.max(1)) * MICRO;
        let elapsed = (now - self.at).to_std().unwrap_or_default();
        // Micro-requests refilled: rate a second is `rate` micro-requests a microsecond.
        let refill = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .saturating_mul(rate);
        let tokens = self.micro_tokens.saturating_add(refill).min(cap);
        let at = self.at.max(now);
        if tokens >= MICRO {
            (
                RateBudget {
                    micro_tokens: tokens - MICRO,
                    at,
                },
                None,
            )
        } else {
            let missing = MICRO - tokens;
            let wait = Duration::from_micros(missing.div_ceil(rate));
            (
                RateBudget {
                    micro_tokens: tokens,
                    at,
                },
                Some(wait),
            )
        }
    }
}

/// How the memory store holds one order's record.
enum Body {
    /// An order with a wake-up or a side effect in flight: loaded and saved every
    /// cycle it runs, so kept as it is.
    Typed(Box<(OrderRecord, Option<InFlight>)>),
    /// An order that waits for nothing: its record's JSON, compressed against the
    /// store's dictionary (see [`compact`]).
    Compact(Box<[u8]>),
}

/// The record as a compact body, or `None` to keep it typed: when it does not
/// serialize, or is too long to compress. The first record compacted becomes the
/// dictionary.
fn compact(dictionary: &mut Option<compact::Dictionary>, record: &OrderRecord) -> Option<Body> {
    let json = serde_json::to_vec(record).ok()?;
    if dictionary.is_none() {
        *dictionary = compact::Dictionary::new(json.clone().into_boxed_slice());
    }
    let packed = compact::compress_with(&json, dictionary.as_ref()?)?;
    Some(Body::Compact(packed.into_boxed_slice()))
}

/// One order in the memory store.
struct Slot {
    key: OrderKey,
    version: u64,
    next_wakeup: Option<DateTime<Utc>>,
    body: Body,
}

#[derive(Default)]
struct MemoryState {
    /// Each order's id: its place in `slots`, which never changes.
    ids: BTreeMap<OrderKey, u32>,
    slots: Vec<Slot>,
    wakeups: BTreeSet<(DateTime<Utc>, OrderKey)>,
    /// The JSON of the first record the store kept compact, with its hash chains:
    /// every compact record is compressed against it, and it never changes.
    dictionary: Option<compact::Dictionary>,
    watermarks: BTreeMap<Cursor, DateTime<Utc>>,
    index: index::MemoryIndex,
    leases: BTreeMap<Cursor, (String, DateTime<Utc>)>,
    budgets: BTreeMap<String, RateBudget>,
    /// The orders saved settled since the last compaction, still typed; an id may be
    /// in it more than once.
    settled: std::collections::VecDeque<(u32, u64)>,
    /// How many times [`OrderStore::due`] was asked: the cycles begun.
    cycles: u64,
}

/// The most settled orders kept typed: a cycle that settles more compacts them as it
/// goes.
const MAX_TYPED_SETTLED: usize = 4096;

/// How many cycles after the one that settled it a settled order stays typed: the
/// next cycle often reads it again (a Direct Fulfillment order listed once more in the
/// retrieval's overlap), and decoding costs more than keeping it typed that long.
const TYPED_SETTLED_CYCLES: u64 = 1;

impl MemoryState {
    fn slot(&self, key: &OrderKey) -> Option<&Slot> {
        let id = *self.ids.get(key)?;
        self.slots.get(id as usize)
    }

    /// Keeps compact every order settled in a cycle before `before` (a count of
    /// [`OrderStore::due`] calls) that still waits for nothing.
    fn compact_settled(&mut self, before: u64) {
        let MemoryState {
            settled,
            slots,
            dictionary,
            ..
        } = self;
        while let Some(&(id, cycle)) = settled.front() {
            if cycle >= before {
                break;
            }
            settled.pop_front();
            let Some(slot) = slots.get_mut(id as usize) else {
                continue;
            };
            let Body::Typed(typed) = &slot.body else {
                continue;
            };
            if slot.next_wakeup.is_some() || typed.1.is_some() {
                continue;
            }
            if let Some(body) = compact(dictionary, &typed.0) {
                slot.body = body;
            }
        }
    }

    /// The order as stored, decoded.
    fn stored(&self, slot: &Slot) -> Result<StoredOrder, StoreError> {
        let (record, in_flight) = match &slot.body {
            Body::Typed(typed) => (typed.0.clone(), typed.1.clone()),
            Body::Compact(bytes) => (self.decode(&slot.key, bytes)?, None),
        };
        Ok(StoredOrder {
            record,
            in_flight,
            version: slot.version,
        })
    }

    fn decode(&self, key: &OrderKey, bytes: &[u8]) -> Result<OrderRecord, StoreError> {
        let failed =
            |what: &str, source: Box<dyn std::error::Error + Send + Sync>| StoreError::Backend {
                message: format!("order {key}: the stored record does not {what}: {source}"),
                source: Some(source),
            };
        let dictionary = self.dictionary.as_ref().map_or(&[][..], |d| d.bytes());
        let json =
            compact::decompress(bytes, dictionary).map_err(|e| failed("decompress", e.into()))?;
        serde_json::from_slice(&json).map_err(|e| failed("deserialize", e.into()))
    }
}

/// An [`OrderStore`] in memory: for tests, examples and single-process use where losing
/// state on exit is acceptable.
///
/// An order saved with no next wake-up and no side effect in flight (one synced to the
/// end, or waiting for a person) is kept as its record's JSON, compressed against the
/// first such record the store kept: most of a record is the same in every order, so
/// a settled order takes a small part of its typed size. Loading one decodes it. An
/// order that still has work scheduled is kept as it is, and so is a settled one for
/// the cycle after the one that settled it (a cycle begins with
/// [`OrderStore::due`]), which often reads it again.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<MemoryState>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.lock().slots.len();
        f.debug_struct("MemoryStore")
            .field("orders", &count)
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        // A panic while holding the lock leaves the maps consistent (every write is a
        // single insert), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The order as stored, as [`OrderStore::load`] gives it, without an async
    /// runtime.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the record, kept compact, does not decode.
    pub fn get(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let state = self.lock();
        state.slot(key).map(|slot| state.stored(slot)).transpose()
    }

    /// Every stored order, in key order.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when a record kept compact does not decode.
    pub fn snapshot(&self) -> Result<Vec<(OrderKey, StoredOrder)>, StoreError> {
        let state = self.lock();
        state
            .ids
            .values()
            .filter_map(|id| state.slots.get(*id as usize))
            .map(|slot| Ok((slot.key.clone(), state.stored(slot)?)))
            .collect()
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        self.get(key)
    }

    async fn save(
        &self,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        next_wakeup: Option<DateTime<Utc>>,
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let found = state.slot(key).map(|slot| slot.version);
        if found != expected {
            return Err(StoreError::Conflict {
                key: key.clone(),
                expected,
                found,
            });
        }
        let id = match state.ids.get(key) {
            Some(id) => *id,
            None => u32::try_from(state.slots.len()).map_err(|_| StoreError::Backend {
                message: format!("order {key}: the memory store holds as many orders as it can"),
                source: None,
            })?,
        };
        // A settled order stays typed for a cycle more (`TYPED_SETTLED_CYCLES`): the
        // cycle after the one that settled it often reads it again.
        if next_wakeup.is_none() && in_flight.is_none() {
            let cycle = state.cycles;
            state.settled.push_back((id, cycle));
        }
        let body = Body::Typed(Box::new((record.clone(), in_flight.cloned())));
        let version = found.unwrap_or(0) + 1;
        let slot = Slot {
            key: key.clone(),
            version,
            next_wakeup,
            body,
        };
        let old = match state.slots.get_mut(id as usize) {
            Some(existing) => std::mem::replace(existing, slot).next_wakeup,
            None => {
                state.slots.push(slot);
                state.ids.insert(key.clone(), id);
                None
            }
        };
        if let Some(old) = old {
            state.wakeups.remove(&(old, key.clone()));
        }
        if let Some(at) = next_wakeup {
            state.wakeups.insert((at, key.clone()));
        }
        state.index.put(id, &IndexEntry::of(key, record));
        if state.settled.len() >= MAX_TYPED_SETTLED {
            state.compact_settled(u64::MAX);
        }
        Ok(version)
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
        let mut state = self.lock();
        state.cycles = state.cycles.saturating_add(1);
        let before = state.cycles.saturating_sub(TYPED_SETTLED_CYCLES);
        state.compact_settled(before);
        Ok(state
            .wakeups
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(limit)
            .map(|(_, k)| k.clone())
            .collect())
    }

    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.lock().wakeups.iter().next().map(|(at, _)| *at))
    }

    async fn keys(&self) -> Result<Vec<OrderKey>, StoreError> {
        Ok(self.lock().ids.keys().cloned().collect())
    }

    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.lock().watermarks.get(&cursor).copied())
    }

    async fn query(
        &self,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<IndexPage, StoreError> {
        let state = self.lock();
        let page = state.index.page(filter, page, |id| {
            state.slots.get(id as usize).map(|slot| &slot.key)
        });
        Ok(page)
    }

    async fn counts(&self) -> Result<BTreeMap<StateKind, usize>, StoreError> {
        Ok(self.lock().index.counts())
    }

    async fn save_watermark(&self, cursor: Cursor, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut state = self.lock();
        let entry = state.watermarks.entry(cursor).or_insert(at);
        if at > *entry {
            *entry = at;
        }
        Ok(())
    }

    async fn take_lease(
        &self,
        cursor: Cursor,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let free = state
            .leases
            .get(&cursor)
            .is_none_or(|(held_by, ends)| held_by == holder || *ends <= now);
        if free {
            state.leases.insert(cursor, (holder.to_owned(), until));
        }
        Ok(free)
    }

    async fn take_from_budget(
        &self,
        operation: &str,
        now: DateTime<Utc>,
        rate_per_second: u32,
        burst: u32,
    ) -> Result<Option<Duration>, StoreError> {
        let mut state = self.lock();
        let budget = state
            .budgets
            .get(operation)
            .copied()
            .unwrap_or_else(|| RateBudget::full(burst, now));
        let (after, wait) = budget.take(now, rate_per_second, burst);
        state.budgets.insert(operation.to_owned(), after);
        Ok(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fixtures::{block_on, df_po, retail_po, settings, t};

    fn key_of(record: &OrderRecord) -> OrderKey {
        let po = record.purchase_order();
        OrderKey {
            program: po.program,
            number: po.number.clone(),
        }
    }

    fn is_compact(store: &MemoryStore, key: &OrderKey) -> bool {
        let state = store.lock();
        matches!(state.slot(key).map(|s| &s.body), Some(Body::Compact(_)))
    }

    fn compact_len(store: &MemoryStore, key: &OrderKey) -> usize {
        match store.lock().slot(key).map(|s| &s.body) {
            Some(Body::Compact(bytes)) => bytes.len(),
            _ => 0,
        }
    }

    /// The next two cycles ask for their work: the orders settled before are
    /// compacted. After the first, they are still typed.
    fn next_cycle(store: &MemoryStore) {
        let typed = store.lock().settled.len();
        block_on(store.due(t(0), 0)).unwrap();
        assert_eq!(store.lock().settled.len(), typed, "a cycle more typed");
        block_on(store.due(t(0), 0)).unwrap();
    }

    #[test]
    fn a_settled_order_is_kept_compact_from_the_next_cycle_and_loads_as_saved() {
        let store = MemoryStore::new();
        let first = OrderRecord::receive(df_po(), t(1), &settings()).0;
        let second = OrderRecord::receive(retail_po(), t(2), &settings()).0;
        let (a, b) = (key_of(&first), key_of(&second));
        assert_eq!(
            block_on(store.save(&a, &first, None, None, None)).unwrap(),
            1
        );
        assert_eq!(
            block_on(store.save(&b, &second, None, None, None)).unwrap(),
            1
        );
        // The cycle that settled them may read them again: they stay typed till the
        // next.
        assert!(!is_compact(&store, &a) && !is_compact(&store, &b));
        next_cycle(&store);
        assert!(is_compact(&store, &a) && is_compact(&store, &b));
        let json = serde_json::to_vec(&second).unwrap().len();
        assert!(
            compact_len(&store, &b) < json / 2,
            "{} of {json} bytes",
            compact_len(&store, &b)
        );
        for (key, record) in [(&a, &first), (&b, &second)] {
            let loaded = block_on(store.load(key)).unwrap().unwrap();
            assert_eq!(
                loaded,
                StoredOrder {
                    record: record.clone(),
                    in_flight: None,
                    version: 1,
                }
            );
        }
        let all = store.snapshot().unwrap();
        assert_eq!(all.len(), 2);
        assert!(
            all.iter()
                .all(|(k, s)| Some(s) == store.get(k).unwrap().as_ref())
        );
    }

    #[test]
    fn an_order_woken_again_is_kept_typed_and_settles_compact_again() {
        let store = MemoryStore::new();
        let record = OrderRecord::receive(df_po(), t(1), &settings()).0;
        let key = key_of(&record);
        block_on(store.save(&key, &record, None, None, None)).unwrap();
        next_cycle(&store);
        assert!(is_compact(&store, &key));

        let flight = InFlight {
            command_key: record
                .pending_command()
                .expect("a new order has work")
                .key(),
            started_at: t(3),
        };
        let v2 = block_on(store.save(&key, &record, Some(&flight), Some(t(4)), Some(1))).unwrap();
        assert_eq!(v2, 2);
        assert!(!is_compact(&store, &key));
        let loaded = block_on(store.load(&key)).unwrap().unwrap();
        assert_eq!(loaded.record, record);
        assert_eq!(loaded.in_flight, Some(flight));
        assert_eq!(block_on(store.due(t(4), 10)).unwrap(), vec![key.clone()]);

        // A wake-up alone keeps it typed too.
        block_on(store.save(&key, &record, None, Some(t(5)), Some(2))).unwrap();
        assert!(!is_compact(&store, &key));
        assert_eq!(block_on(store.load(&key)).unwrap().unwrap().in_flight, None);

        block_on(store.save(&key, &record, None, None, Some(3))).unwrap();
        next_cycle(&store);
        assert!(is_compact(&store, &key));
        assert_eq!(
            block_on(store.load(&key)).unwrap().unwrap(),
            StoredOrder {
                record,
                in_flight: None,
                version: 4,
            }
        );
        assert!(block_on(store.due(t(9), 10)).unwrap().is_empty());
        assert_eq!(block_on(store.next_wakeup()).unwrap(), None);
    }

    #[test]
    fn a_record_that_does_not_decode_is_a_store_error() {
        let store = MemoryStore::new();
        let record = OrderRecord::receive(df_po(), t(1), &settings()).0;
        let key = key_of(&record);
        block_on(store.save(&key, &record, None, None, None)).unwrap();
        next_cycle(&store);
        let damage = |bytes: Box<[u8]>| {
            let mut state = store.lock();
            if let Some(slot) = state.slots.first_mut() {
                slot.body = Body::Compact(bytes);
            }
        };
        // Cut short, then well formed but not a record.
        let good = match store.lock().slots.first().map(|s| &s.body) {
            Some(Body::Compact(bytes)) => bytes.clone(),
            _ => panic!("kept compact"),
        };
        damage(good.get(..good.len() / 2).unwrap().into());
        let err = block_on(store.load(&key)).unwrap_err();
        assert!(matches!(err, StoreError::Backend { .. }), "{err}");
        assert!(err.to_string().contains("does not decompress"), "{err}");
        damage(
            compact::compress(b"{\"not\": \"a record\"}", &[])
                .unwrap()
                .into(),
        );
        let err = store.snapshot().unwrap_err();
        assert!(err.to_string().contains("does not deserialize"), "{err}");
    }

    #[test]
    fn a_cycle_that_settles_many_orders_compacts_them_as_it_goes() {
        let store = MemoryStore::new();
        let record = OrderRecord::receive(df_po(), t(1), &settings()).0;
        let mut keys = Vec::new();
        for i in 0..MAX_TYPED_SETTLED {
            let key = OrderKey {
                program: Program::DirectFulfillment,
                number: PurchaseOrderNumber::new(format!("P{i:07}")).unwrap(),
            };
            block_on(store.save(&key, &record, None, None, None)).unwrap();
            if i + 1 < MAX_TYPED_SETTLED {
                assert!(!is_compact(&store, &key), "{i}");
            }
            keys.push(key);
        }
        // The save that made the list full compacted all of them, without a cycle.
        assert!(keys.iter().all(|k| is_compact(&store, k)));
        assert_eq!(
            block_on(store.load(&keys[0])).unwrap().unwrap().record,
            record
        );
    }
}
