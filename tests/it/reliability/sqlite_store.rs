//! `examples/sqlite_store`'s [`SqliteStore`] against the [`OrderStore`] contract, with
//! [`MemoryStore`] as the reference: the same script on both gives the same answers,
//! and what only a file can show (reopening it, two handles on it) is checked on its
//! own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use avc_order_sync::lifecycle::OrderRecord;
use avc_order_sync::store::{Cursor, InFlight, MemoryStore, OrderKey, OrderStore, StoreError};
use avc_order_sync::testing::{catalogue_settings, orders};
use avc_order_sync::{Program, PurchaseOrderNumber, WindowKind};
use chrono::{DateTime, TimeDelta, Utc};

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
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
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

/// Every answer of the contract's script, in order, as text to compare.
async fn script(store: &dyn OrderStore) -> Vec<String> {
    let mut out = Vec::new();
    let a = key(Program::RetailProcurement, "A0000001");
    let b = key(Program::DirectFulfillment, "A0000001");
    let c = key(Program::RetailProcurement, "B0000002");
    let flight = InFlight {
        command_key: "netsuite:create:AVC-RP-A0000001"
            .parse()
            .expect("a command key"),
        started_at: t("2026-11-27T08:00:00.5Z"),
    };
    let at = |s: &str| Some(t(s));

    out.push(format!("{:?}", store.load(&a).await.unwrap()));
    out.push(format!(
        "{:?}",
        store
            .save(
                &a,
                &record("A0000001"),
                Some(&flight),
                at("2026-11-27T09:00:00.000000002Z"),
                None
            )
            .await
            .unwrap()
    ));
    // A second insert of the same key, and a save naming a version that is not stored.
    for expected in [None, Some(7)] {
        match store
            .save(&a, &record("A0000001"), None, None, expected)
            .await
        {
            Err(StoreError::Conflict {
                expected, found, ..
            }) => out.push(format!("conflict {expected:?} {found:?}")),
            other => panic!("a stale save was not refused: {other:?}"),
        }
    }
    let stored = store.load(&a).await.unwrap().unwrap();
    out.push(format!("{} {:?}", stored.version, stored.in_flight));
    assert_eq!(stored.record, record("A0000001"));
    out.push(format!(
        "{:?}",
        store
            .save(
                &b,
                &record("A0000001"),
                None,
                at("2026-11-27T09:00:00.000000001Z"),
                None
            )
            .await
    ));
    out.push(format!(
        "{:?}",
        store.save(&c, &record("B0000002"), None, None, None).await
    ));
    // The wake-up moves with each save; the version counts them.
    out.push(format!(
        "{:?}",
        store
            .save(
                &a,
                &stored.record,
                None,
                at("2026-11-27T08:30:00Z"),
                Some(1)
            )
            .await
    ));
    out.push(format!(
        "{:?}",
        store
            .save(
                &a,
                &stored.record,
                None,
                at("2026-11-27T10:00:00Z"),
                Some(2)
            )
            .await
    ));
    for now in [
        "2026-11-27T08:59:59Z",
        "2026-11-27T09:00:00.000000001Z",
        "2026-11-27T10:00:00Z",
    ] {
        out.push(format!(
            "due {now}: {:?}",
            store.due(t(now), 10).await.unwrap()
        ));
    }
    out.push(format!(
        "limit: {:?}",
        store.due(t("2026-11-28T00:00:00Z"), 1).await.unwrap()
    ));
    out.push(format!("next: {:?}", store.next_wakeup().await.unwrap()));
    out.push(format!("keys: {:?}", store.keys().await.unwrap()));

    let cursor = Cursor::Retail(WindowKind::Changed);
    out.push(format!("{:?}", store.watermark(cursor).await.unwrap()));
    for mark in [
        "2026-11-27T08:00:00.25Z",
        "2026-11-27T07:00:00Z",
        "2026-11-27T08:00:00.5Z",
    ] {
        store.save_watermark(cursor, t(mark)).await.unwrap();
        out.push(format!("{:?}", store.watermark(cursor).await.unwrap()));
    }
    out.push(format!(
        "{:?}",
        store.watermark(Cursor::NetSuiteChanges).await.unwrap()
    ));
    // A far-future wake-up (the engine's "never") is kept exactly.
    let far = DateTime::<Utc>::MAX_UTC - TimeDelta::nanoseconds(1);
    store
        .save(&c, &record("B0000002"), None, Some(far), Some(1))
        .await
        .unwrap();
    store
        .save(&b, &record("A0000001"), None, None, Some(1))
        .await
        .unwrap();
    store
        .save(&a, &stored.record, None, None, Some(3))
        .await
        .unwrap();
    out.push(format!("next: {:?}", store.next_wakeup().await.unwrap()));
    out
}

#[tokio::test]
async fn sqlite_store_answers_the_contract_as_the_memory_store_does() {
    let dir = TempDir::new("store-contract");
    let sqlite = SqliteStore::open(dir.file("orders.sqlite")).unwrap();
    let expected = script(&MemoryStore::new()).await;
    let got = script(&sqlite).await;
    assert_eq!(got, expected);
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
