//! Where the library keeps its own state: one record per order, with optimistic
//! concurrency, and the retrieval watermarks.
//!
//! [`MemoryStore`] ships with the crate; `examples/sqlite_store.rs` shows the same
//! contract on a database. `testing::store_contract::run` (the `testing` feature)
//! checks that a store keeps it.

mod index;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Mutex;

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
}

#[derive(Default)]
struct MemoryState {
    orders: BTreeMap<OrderKey, (StoredOrder, Option<DateTime<Utc>>)>,
    wakeups: BTreeSet<(DateTime<Utc>, OrderKey)>,
    watermarks: BTreeMap<Cursor, DateTime<Utc>>,
    index: index::MemoryIndex,
}

/// An [`OrderStore`] in memory: for tests, examples and single-process use where losing
/// state on exit is acceptable.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<MemoryState>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.lock().orders.len();
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

    /// Every stored order, in key order.
    pub fn snapshot(&self) -> Vec<(OrderKey, StoredOrder)> {
        self.lock()
            .orders
            .iter()
            .map(|(k, (o, _))| (k.clone(), o.clone()))
            .collect()
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        Ok(self.lock().orders.get(key).map(|(o, _)| o.clone()))
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
        let found = state.orders.get(key).map(|(o, _)| o.version);
        if found != expected {
            return Err(StoreError::Conflict {
                key: key.clone(),
                expected,
                found,
            });
        }
        if let Some((_, Some(old))) = state.orders.get(key) {
            let old = *old;
            state.wakeups.remove(&(old, key.clone()));
        }
        let version = found.unwrap_or(0) + 1;
        if let Some(at) = next_wakeup {
            state.wakeups.insert((at, key.clone()));
        }
        state.index.put(IndexEntry::of(key, record));
        state.orders.insert(
            key.clone(),
            (
                StoredOrder {
                    record: record.clone(),
                    in_flight: in_flight.cloned(),
                    version,
                },
                next_wakeup,
            ),
        );
        Ok(version)
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
        Ok(self
            .lock()
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
        Ok(self.lock().orders.keys().cloned().collect())
    }

    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.lock().watermarks.get(&cursor).copied())
    }

    async fn query(
        &self,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<IndexPage, StoreError> {
        Ok(self.lock().index.page(filter, page))
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
}
