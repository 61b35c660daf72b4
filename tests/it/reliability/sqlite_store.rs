//! `examples/sqlite_store`'s [`SqliteStore`] against the [`OrderStore`] contract of
//! `testing::store_contract` (whose own tests run it on the `MemoryStore`), and what
//! only a file can show (reopening it, two handles on it) on its own.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use avc_order_sync::lifecycle::OrderRecord;
use avc_order_sync::testing::{catalogue_settings, orders, store_contract};
use avc_order_sync::{Cursor, OrderKey, OrderStore, StoreError};
use avc_order_sync::{Program, PurchaseOrderNumber};
use chrono::{DateTime, Utc};

/// The store exactly as the example has it.
#[allow(dead_code)]
#[path = "../../../examples/sqlite_store/store.rs"]
mod store;

pub use store::SqliteStore;

/// A database file in a fresh temporary directory, removed with the directory when
/// dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory named after `label`.
    pub fn new(label: &str) -> Self {
        Self::within(&std::env::temp_dir(), label)
    }

    /// A new empty directory named after `label` in memory (`/dev/shm`, where the
    /// machine has it): a file there survives a killed process as one on disk does,
    /// since the page cache outlives the process, but a commit's `fsync` costs
    /// nothing, so a disk busy with other work does not slow the test's commits.
    pub fn in_memory(label: &str) -> Self {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            Self::within(shm, label)
        } else {
            Self::new(label)
        }
    }

    fn within(parent: &Path, label: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = parent.join(format!(
            "avc-order-sync-{label}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    /// A path inside the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn key(program: Program, number: &str) -> OrderKey {
    OrderKey {
        program,
        number: PurchaseOrderNumber::new(number).unwrap(),
    }
}

fn record(number: &str) -> OrderRecord {
    let po = orders::retail_order(number, t("2026-11-27T07:00:00Z"), 2)
        .to_purchase_order()
        .unwrap();
    OrderRecord::receive(
        po,
        t("2026-11-27T08:00:00Z"),
        &catalogue_settings(false, false),
    )
    .0
}

#[tokio::test]
async fn sqlite_store_keeps_the_store_contract() {
    let dir = TempDir::new("store-contract");
    let sqlite = SqliteStore::open(dir.file("orders.sqlite")).unwrap();
    if let Err(broken) = store_contract::run(&sqlite).await {
        panic!("{broken}");
    }
}

#[tokio::test]
async fn sqlite_store_keeps_everything_across_a_reopen_and_between_handles() {
    let dir = TempDir::new("store-reopen");
    let path = dir.file("orders.sqlite");
    let a = key(Program::RetailProcurement, "A0000001");
    let wake = t("2026-11-27T09:00:00.123456789Z");
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .save(&a, &record("A0000001"), None, Some(wake), None)
            .await
            .unwrap();
        store
            .save_watermark(Cursor::DirectFulfillment, t("2026-11-27T08:00:00Z"))
            .await
            .unwrap();
    }
    let reopened = SqliteStore::open(&path).unwrap();
    let stored = reopened.load(&a).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.record), (1, record("A0000001")));
    assert_eq!(reopened.next_wakeup().await.unwrap(), Some(wake));
    assert_eq!(
        reopened.watermark(Cursor::DirectFulfillment).await.unwrap(),
        Some(t("2026-11-27T08:00:00Z"))
    );

    // Two handles, as two workers: both read version 1; one wins, one is refused.
    let other = SqliteStore::open(&path).unwrap();
    reopened
        .save(&a, &stored_record(&reopened, &a).await, None, None, Some(1))
        .await
        .unwrap();
    let refused = other
        .save(&a, &record("A0000001"), None, Some(wake), Some(1))
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Conflict {
                expected: Some(1),
                found: Some(2),
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(
        other.next_wakeup().await.unwrap(),
        None,
        "the refused save wrote nothing"
    );
    let mode: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

async fn stored_record(store: &SqliteStore, key: &OrderKey) -> OrderRecord {
    store.load(key).await.unwrap().unwrap().record
}

#[tokio::test]
async fn a_file_from_before_the_query_columns_gets_them_filled_from_its_records() {
    let dir = TempDir::new("store-migration");
    let path = dir.file("orders.sqlite");
    let a = key(Program::RetailProcurement, "A0000001");
    let b = key(Program::DirectFulfillment, "A0000001");
    {
        // The orders table as it was before the operator's queries.
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE orders (
                 program TEXT NOT NULL, number TEXT NOT NULL,
                 version INTEGER NOT NULL CHECK (version >= 1),
                 record TEXT NOT NULL, in_flight TEXT,
                 wake_secs INTEGER, wake_nanos INTEGER,
                 PRIMARY KEY (program, number)
             ) WITHOUT ROWID;",
        )
        .unwrap();
        for k in [&a, &b] {
            old.execute(
                "INSERT INTO orders (program, number, version, record) VALUES (?1, ?2, 3, ?3)",
                rusqlite::params![
                    k.program.code(),
                    k.number.as_str(),
                    serde_json::to_string(&record("A0000001")).unwrap()
                ],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    let entries = [
        avc_order_sync::IndexEntry::of(&a, &record("A0000001")),
        avc_order_sync::IndexEntry::of(&b, &record("A0000001")),
    ];
    let filter = avc_order_sync::OrderFilter::group(avc_order_sync::StatusGroup::All);
    let page = avc_order_sync::PageRequest::first(10);
    let found = store.query(&filter, &page).await.unwrap();
    assert_eq!(found, avc_order_sync::page_of(&entries, &filter, &page));
    assert_eq!(found.entries.len(), 2, "both orders, retail first");
    assert_eq!(found.entries[0].key, a);
    let state = entries[0].state;
    assert_eq!(
        store.counts().await.unwrap(),
        std::collections::BTreeMap::from([(state, 2)])
    );
    // A save after the change writes the columns as any save does; opening again
    // changes nothing.
    store
        .save(&a, &record("A0000001"), None, None, Some(3))
        .await
        .unwrap();
    drop(store);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.query(&filter, &page).await.unwrap(), found);
    assert_eq!(again.load(&a).await.unwrap().unwrap().version, 4);
}
