//! [`SqliteStore`]: the library's [`OrderStore`] on SQLite, as a model for an
//! integrator's own database store.
//!
//! What carries over to any database:
//!
//! * **The version check is part of the write.** A save is `UPDATE … WHERE key = ? AND
//!   version = ?` (or an `INSERT` that fails on an existing key), and the rows it
//!   changed say whether it won. Reading the version first and writing after is a race
//!   between two workers, or between a worker and the one it replaced after a crash,
//!   on any database whose transactions do not lock what they read (PostgreSQL and
//!   MySQL at their default isolation levels among them).
//! * **A save is durable before it returns.** The engine sends a command right after
//!   the save that records it: if the save could still be lost, a crash would forget a
//!   sales order or an acknowledgement already on its way.
//! * **The wake-up time is a column with an index**, so [`OrderStore::due`] and
//!   [`OrderStore::next_wakeup`] read an index range instead of every record.
//! * **Watermarks never move backwards**, decided in the statement that writes them.
//! * **A lease is a compare-and-set too**: one upsert that writes only when the row
//!   is missing, the caller's, or ended, and whose changed rows say whether it was
//!   granted. A rate budget is read and written back in one transaction that holds
//!   the write lock (on a server database, a compare-and-set on the values read).
//! * **Records are stored as JSON** (their serde form): the library's types are the
//!   schema, and a column per field would have to follow every version of them.
//! * **The operator's queries read columns beside the record**: the state and the two
//!   times of [`IndexEntry::of`], written by the statement that writes the record and
//!   indexed with the state first. A page is at most `limit + 1` rows of each state's
//!   index range, merged by [`page_of`], so it costs the same in a store of a thousand
//!   orders as in one of a million; the counts are one `GROUP BY` over the state index.
//!   A file written before these columns existed gets them, filled from its records,
//!   when it is opened.
//!
//! What is SQLite's own: one file, WAL mode, `synchronous=FULL`, a busy timeout for
//! the moments two processes want to write at once. The calls block: they are short
//! (one row in a local file). Under an async runtime with a remote database, use that
//! database's async driver instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use std::collections::BTreeMap;

use avc_order_sync::lifecycle::{OrderRecord, StateKind};
use avc_order_sync::{Cursor, InFlight, OrderKey, OrderStore, RateBudget, StoreError, StoredOrder};
use avc_order_sync::{IndexEntry, IndexPage, OrderFilter, PageRequest, TimeField, page_of};
use avc_order_sync::{Program, PurchaseOrderNumber, WindowKind};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// How long a statement waits for another process's write to finish before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema. Every statement is idempotent, so opening an existing file is safe.
///
/// Wake-ups and watermarks are kept as whole seconds since the epoch and nanoseconds:
/// exact for every instant `chrono` holds, and in time order when sorted as a pair.
/// The query columns `created_at` and `changed_at` are nanoseconds since the epoch in
/// one integer, so that one index orders them: exact, and enough for the years 1678 to
/// 2261 (an order's times are the sync's clock when it handled the order).
///
/// `state` is [`StateKind::as_str`]. A key sorts as [`OrderKey`] does, program then
/// number, and retail first: `program = 'DF'` (0 for retail, 1 for Direct Fulfillment)
/// then `number`, whose text SQLite compares byte by byte as Rust compares strings.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS orders (
    program     TEXT    NOT NULL,
    number      TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    record      TEXT    NOT NULL,
    in_flight   TEXT,
    wake_secs   INTEGER,
    wake_nanos  INTEGER,
    state       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL,
    PRIMARY KEY (program, number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS orders_by_wakeup
    ON orders (wake_secs, wake_nanos) WHERE wake_secs IS NOT NULL;
CREATE TABLE IF NOT EXISTS watermarks (
    cursor  TEXT    PRIMARY KEY,
    secs    INTEGER NOT NULL,
    nanos   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
    cursor  TEXT    PRIMARY KEY,
    holder  TEXT    NOT NULL,
    secs    INTEGER NOT NULL,
    nanos   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rate_budgets (
    operation     TEXT    PRIMARY KEY,
    micro_tokens  INTEGER NOT NULL,
    secs          INTEGER NOT NULL,
    nanos         INTEGER NOT NULL
) WITHOUT ROWID;
";

/// The indexes of the operator's queries, created once the columns are there (a file
/// from before them gets the columns first, in [`add_query_columns`]).
const QUERY_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS orders_by_state_changed ON orders (state, changed_at);
CREATE INDEX IF NOT EXISTS orders_by_state_created ON orders (state, created_at);
";

/// One state's part of a page, by change: the newest `:limit` orders at or before
/// `:upper` (and, at `:upper` itself, after the key `(:rank, :number)` when one is
/// given), at or after `:lower`. The `BETWEEN` bounds the index range, so a page deep
/// in a walk reads no more rows than the first.
const PAGE_BY_CHANGED: &str = "
SELECT program, number, state, created_at, changed_at FROM orders
WHERE state = :state
  AND (:program IS NULL OR program = :program)
  AND changed_at BETWEEN :lower AND :upper
  AND (changed_at < :upper OR :number IS NULL OR (program = 'DF', number) > (:rank, :number))
ORDER BY changed_at DESC, program = 'DF', number
LIMIT :limit";

/// [`PAGE_BY_CHANGED`], by creation.
const PAGE_BY_CREATED: &str = "
SELECT program, number, state, created_at, changed_at FROM orders
WHERE state = :state
  AND (:program IS NULL OR program = :program)
  AND created_at BETWEEN :lower AND :upper
  AND (created_at < :upper OR :number IS NULL OR (program = 'DF', number) > (:rank, :number))
ORDER BY created_at DESC, program = 'DF', number
LIMIT :limit";

/// An [`OrderStore`] in one SQLite file, shared safely by any number of processes.
pub struct SqliteStore {
    path: PathBuf,
    // A `Connection` is `Send` but not `Sync`: the store serialises its own calls, and
    // SQLite serialises writers across connections and processes.
    connection: Mutex<Connection>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn backend(message: &str, error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend {
        message: format!("{message}: {error}"),
        source: Some(Box::new(error)),
    }
}

/// The program of a stored key: the inverse of [`Program::code`], which keys are
/// stored by.
fn program_of(code: &str) -> Result<Program, StoreError> {
    match code {
        "RP" => Ok(Program::RetailProcurement),
        "DF" => Ok(Program::DirectFulfillment),
        other => Err(StoreError::Backend {
            message: format!("unknown program `{other}` in the orders table"),
            source: None,
        }),
    }
}

fn cursor_name(cursor: Cursor) -> String {
    // An exhaustive match: a cursor added to the library fails to compile here
    // instead of sharing another's row.
    let name = match cursor {
        Cursor::Retail(WindowKind::Created) => "retail-created",
        Cursor::Retail(WindowKind::Changed) => "retail-changed",
        // The engine never lists retail POs as cancelled; the name keeps the match whole.
        Cursor::Retail(WindowKind::Cancelled) => "retail-cancelled",
        Cursor::DirectFulfillment => "direct-fulfillment-created",
        Cursor::NetSuiteChanges => "netsuite-changes",
        Cursor::DirectFulfillmentCancellations => "direct-fulfillment-cancellations",
        Cursor::Start(program) => return format!("{}-start", program_code(program)),
        // One row per sweep: each reach is its own schedule.
        Cursor::Sweep {
            program,
            lookback_secs,
        } => {
            return format!("{}-sweep-{lookback_secs}s", program_code(program));
        }
    };
    name.to_owned()
}

fn program_code(program: Program) -> &'static str {
    match program {
        Program::RetailProcurement => "retail",
        Program::DirectFulfillment => "direct-fulfillment",
    }
}

/// An instant as `(seconds, nanoseconds)` since the epoch.
fn split(at: DateTime<Utc>) -> (i64, i64) {
    (at.timestamp(), i64::from(at.timestamp_subsec_nanos()))
}

fn join(secs: i64, nanos: i64) -> Result<DateTime<Utc>, StoreError> {
    u32::try_from(nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(secs, nanos))
        .ok_or_else(|| StoreError::Backend {
            message: format!("stored instant {secs}.{nanos:09} is out of range"),
            source: None,
        })
}

/// An instant as the query columns keep it: nanoseconds since the epoch.
fn nanos(at: DateTime<Utc>) -> Result<i64, StoreError> {
    at.timestamp_nanos_opt().ok_or_else(|| StoreError::Backend {
        message: format!("{at} is outside the years the query columns hold (1678 to 2261)"),
        source: None,
    })
}

/// The state a `state` column names.
fn state_of(text: &str) -> Result<StateKind, StoreError> {
    StateKind::ALL
        .iter()
        .find(|s| s.as_str() == text)
        .copied()
        .ok_or_else(|| StoreError::Backend {
            message: format!("unknown state `{text}` in the orders table"),
            source: None,
        })
}

/// The query columns of a record: `state`, `created_at`, `changed_at`.
fn index_columns(
    key: &OrderKey,
    record: &OrderRecord,
) -> Result<(&'static str, i64, i64), StoreError> {
    let entry = IndexEntry::of(key, record);
    Ok((
        entry.state.as_str(),
        nanos(entry.created_at)?,
        nanos(entry.changed_at)?,
    ))
}

/// The range of the query columns a filter and a page take, newest first.
struct PageBounds {
    /// The oldest time, inclusive.
    lower: i64,
    /// The newest time, inclusive.
    upper: i64,
    /// At `upper`, only the keys after this one: its rank (0 for retail) and number.
    after: Option<(i64, String)>,
}

/// The bounds of a page; `None` when no time can match.
fn page_bounds(filter: &OrderFilter, page: &PageRequest) -> Option<PageBounds> {
    // A bound beyond the years the columns hold takes every stored time, or none.
    let lower = match filter.from {
        None => i64::MIN,
        Some(from) => match from.timestamp_nanos_opt() {
            Some(n) => n,
            None if from.timestamp() < 0 => i64::MIN,
            None => return None,
        },
    };
    let mut upper = match filter.until {
        None => i64::MAX,
        Some(until) => match until.timestamp_nanos_opt() {
            // `until` is exclusive.
            Some(n) => n.checked_sub(1)?,
            None if until.timestamp() < 0 => return None,
            None => i64::MAX,
        },
    };
    let mut after = None;
    if let Some(token) = &page.after {
        let at = token.at.timestamp_nanos_opt()?;
        if at <= upper {
            upper = at;
            let rank = i64::from(token.key.program == Program::DirectFulfillment);
            after = Some((rank, token.key.number.as_str().to_owned()));
        }
    }
    (lower <= upper).then_some(PageBounds {
        lower,
        upper,
        after,
    })
}

/// Gives a file from before the query columns its columns, filled from each record.
/// Runs in one transaction: a process killed during it leaves the file as it was.
fn add_query_columns(connection: &mut Connection) -> Result<(), StoreError> {
    let has_state = connection
        .prepare("SELECT state FROM orders LIMIT 0")
        .is_ok();
    if has_state {
        return Ok(());
    }
    let fail = |e| backend("adding the query columns", e);
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    transaction
        .execute_batch(
            "ALTER TABLE orders ADD COLUMN state TEXT NOT NULL DEFAULT '';
             ALTER TABLE orders ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE orders ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;",
        )
        .map_err(fail)?;
    let rows = {
        let mut statement = transaction
            .prepare("SELECT program, number, record FROM orders")
            .map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)?
    };
    for (program, number, record) in rows {
        let key = key_of(&program, &number)?;
        let record: OrderRecord = from_json("reading an order record", &record)?;
        let (state, created_at, changed_at) = index_columns(&key, &record)?;
        transaction
            .execute(
                "UPDATE orders SET state = ?3, created_at = ?4, changed_at = ?5
                 WHERE program = ?1 AND number = ?2",
                params![program, number, state, created_at, changed_at],
            )
            .map_err(fail)?;
    }
    transaction.commit().map_err(fail)
}

fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| backend(what, e))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| backend(what, e))
}

impl SqliteStore {
    /// Opens the store in `path`, creating the file and its tables when missing.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the file cannot be opened or set up.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut connection =
            Connection::open(&path).map_err(|e| backend("opening the store", e))?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| backend("setting the busy timeout", e))?;
        // WAL: readers never block the writer nor it them, so a status page or a
        // second worker reads while a cycle writes; a commit is one append to the log,
        // and a process killed mid-write leaves a log tail that is ignored on the next
        // open, never a half-written table.
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| backend("switching to WAL", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend {
                message: format!("the store's file refused WAL mode (it is in `{mode}`)"),
                source: None,
            });
        }
        // FULL: every commit is synced to disk before it returns (WAL's default,
        // NORMAL, may lose the last commits on power loss). The contract: a save is
        // durable before the command it records is sent.
        connection
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(|e| backend("setting synchronous writes", e))?;
        connection
            .execute_batch(SCHEMA)
            .map_err(|e| backend("creating the tables", e))?;
        add_query_columns(&mut connection)?;
        connection
            .execute_batch(QUERY_INDEXES)
            .map_err(|e| backend("creating the query indexes", e))?;
        Ok(SqliteStore {
            path,
            connection: Mutex::new(connection),
        })
    }

    /// The file the store is in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection as SQLite left it: an
        // unfinished transaction is rolled back when its handle is dropped.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Every stored order, in key order (for reports and tests).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    pub fn snapshot(&self) -> Result<Vec<(OrderKey, StoredOrder)>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare("SELECT program, number, version, record, in_flight FROM orders")
            .map_err(|e| backend("reading every order", e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(|e| backend("reading every order", e))?;
        let mut orders = Vec::new();
        for row in rows {
            let (program, number, version, record, in_flight) =
                row.map_err(|e| backend("reading every order", e))?;
            let key = key_of(&program, &number)?;
            orders.push((key, stored_order(version, &record, in_flight.as_deref())?));
        }
        orders.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(orders)
    }
}

fn key_of(program: &str, number: &str) -> Result<OrderKey, StoreError> {
    Ok(OrderKey {
        program: program_of(program)?,
        number: PurchaseOrderNumber::new(number).map_err(|e| backend("reading a PO number", e))?,
    })
}

fn stored_order(
    version: i64,
    record: &str,
    in_flight: Option<&str>,
) -> Result<StoredOrder, StoreError> {
    Ok(StoredOrder {
        record: from_json("reading an order record", record)?,
        in_flight: in_flight
            .map(|text| from_json("reading an in-flight marker", text))
            .transpose()?,
        version: u64::try_from(version).map_err(|e| backend("reading a version", e))?,
    })
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let row = self
            .connection()
            .query_row(
                "SELECT version, record, in_flight FROM orders WHERE program = ?1 AND number = ?2",
                params![key.program.code(), key.number.as_str()],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| backend("loading an order", e))?;
        row.map(|(version, record, in_flight)| stored_order(version, &record, in_flight.as_deref()))
            .transpose()
    }

    async fn save(
        &self,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        next_wakeup: Option<DateTime<Utc>>,
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let (state, created_at, changed_at) = index_columns(key, record)?;
        let record = to_json("writing an order record", record)?;
        let in_flight = in_flight
            .map(|f| to_json("writing an in-flight marker", f))
            .transpose()?;
        let (wake_secs, wake_nanos) = next_wakeup.map(split).unzip();
        let program = key.program.code();
        let number = key.number.as_str();

        let mut connection = self.connection();
        // IMMEDIATE takes the write lock at BEGIN, so the statement below never has to
        // upgrade a read lock (which fails at once with SQLITE_BUSY instead of waiting).
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| backend("starting a save", e))?;
        // The version check and the write are one statement: whatever ran between the
        // caller's load and this save, the row changes only if its version is still
        // the one the caller read.
        let (changed, version) = match expected {
            None => {
                let changed = transaction
                    .execute(
                        "INSERT INTO orders
                             (program, number, version, record, in_flight, wake_secs, wake_nanos,
                              state, created_at, changed_at)
                         VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                         ON CONFLICT (program, number) DO NOTHING",
                        params![
                            program, number, record, in_flight, wake_secs, wake_nanos, state,
                            created_at, changed_at
                        ],
                    )
                    .map_err(|e| backend("inserting an order", e))?;
                (changed, 1)
            }
            Some(expected_version) => {
                let expected_sql =
                    i64::try_from(expected_version).map_err(|e| backend("writing a version", e))?;
                let changed = transaction
                    .execute(
                        "UPDATE orders
                         SET version = version + 1, record = ?3, in_flight = ?4,
                             wake_secs = ?5, wake_nanos = ?6,
                             state = ?8, created_at = ?9, changed_at = ?10
                         WHERE program = ?1 AND number = ?2 AND version = ?7",
                        params![
                            program,
                            number,
                            record,
                            in_flight,
                            wake_secs,
                            wake_nanos,
                            expected_sql,
                            state,
                            created_at,
                            changed_at
                        ],
                    )
                    .map_err(|e| backend("updating an order", e))?;
                (changed, expected_version.saturating_add(1))
            }
        };
        if changed != 1 {
            // Lost the race (or the order is not what the caller thought): report what
            // is stored, and write nothing.
            let found = transaction
                .query_row(
                    "SELECT version FROM orders WHERE program = ?1 AND number = ?2",
                    params![program, number],
                    |row| row.get::<_, i64>(0),
                )
                .optional()
                .map_err(|e| backend("reading a conflicting version", e))?
                .and_then(|v| u64::try_from(v).ok());
            return Err(StoreError::Conflict {
                key: key.clone(),
                expected,
                found,
            });
        }
        // With `synchronous = FULL` the commit is on disk when this returns.
        transaction
            .commit()
            .map_err(|e| backend("committing a save", e))?;
        Ok(version)
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
        let (secs, nanos) = split(now);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT program, number FROM orders
                 WHERE wake_secs IS NOT NULL
                   AND (wake_secs < ?1 OR (wake_secs = ?1 AND wake_nanos <= ?2))
                 ORDER BY wake_secs, wake_nanos, program, number
                 LIMIT ?3",
            )
            .map_err(|e| backend("reading due orders", e))?;
        let rows = statement
            .query_map(params![secs, nanos, limit], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|e| backend("reading due orders", e))?;
        rows.map(|row| {
            let (program, number) = row.map_err(|e| backend("reading due orders", e))?;
            key_of(&program, &number)
        })
        .collect()
    }

    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = self
            .connection()
            .query_row(
                "SELECT wake_secs, wake_nanos FROM orders WHERE wake_secs IS NOT NULL
                 ORDER BY wake_secs, wake_nanos LIMIT 1",
                [],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
            )
            .optional()
            .map_err(|e| backend("reading the next wake-up", e))?;
        row.map(|(secs, nanos)| join(secs, nanos)).transpose()
    }

    async fn keys(&self) -> Result<Vec<OrderKey>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached("SELECT program, number FROM orders")
            .map_err(|e| backend("reading order keys", e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|e| backend("reading order keys", e))?;
        let mut keys = rows
            .map(|row| {
                let (program, number) = row.map_err(|e| backend("reading order keys", e))?;
                key_of(&program, &number)
            })
            .collect::<Result<Vec<_>, _>>()?;
        // The library's key order (program, then number), not the text order of codes.
        keys.sort();
        Ok(keys)
    }

    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = self
            .connection()
            .query_row(
                "SELECT secs, nanos FROM watermarks WHERE cursor = ?1",
                params![cursor_name(cursor)],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
            )
            .optional()
            .map_err(|e| backend("reading a watermark", e))?;
        row.map(|(secs, nanos)| join(secs, nanos)).transpose()
    }

    async fn save_watermark(&self, cursor: Cursor, at: DateTime<Utc>) -> Result<(), StoreError> {
        let (secs, nanos) = split(at);
        // "Never backwards" is decided in the statement: two workers moving the same
        // watermark cannot undo each other whichever commits last.
        self.connection()
            .execute(
                "INSERT INTO watermarks (cursor, secs, nanos) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cursor) DO UPDATE SET secs = excluded.secs, nanos = excluded.nanos
                 WHERE excluded.secs > watermarks.secs
                    OR (excluded.secs = watermarks.secs AND excluded.nanos > watermarks.nanos)",
                params![cursor_name(cursor), secs, nanos],
            )
            .map_err(|e| backend("saving a watermark", e))?;
        Ok(())
    }

    async fn take_lease(
        &self,
        cursor: Cursor,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (now_secs, now_nanos) = split(now);
        let (secs, nanos) = split(until);
        // One statement decides and writes: a refused take changes no row.
        let changed = self
            .connection()
            .execute(
                "INSERT INTO leases (cursor, holder, secs, nanos) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (cursor) DO UPDATE
                 SET holder = excluded.holder, secs = excluded.secs, nanos = excluded.nanos
                 WHERE leases.holder = excluded.holder
                    OR leases.secs < ?5 OR (leases.secs = ?5 AND leases.nanos <= ?6)",
                params![
                    cursor_name(cursor),
                    holder,
                    secs,
                    nanos,
                    now_secs,
                    now_nanos
                ],
            )
            .map_err(|e| backend("taking a lease", e))?;
        Ok(changed == 1)
    }

    async fn take_from_budget(
        &self,
        operation: &str,
        now: DateTime<Utc>,
        rate_per_second: u32,
        burst: u32,
    ) -> Result<Option<Duration>, StoreError> {
        let fail = |e| backend("taking from a rate budget", e);
        let mut connection = self.connection();
        // IMMEDIATE: the write lock from the read on, so two workers never spend one
        // token.
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let stored = transaction
            .query_row(
                "SELECT micro_tokens, secs, nanos FROM rate_budgets WHERE operation = ?1",
                params![operation],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(fail)?;
        let budget = match stored {
            None => RateBudget::full(burst, now),
            Some((micro_tokens, secs, nanos)) => RateBudget {
                micro_tokens: u64::try_from(micro_tokens).unwrap_or(0),
                at: join(secs, nanos)?,
            },
        };
        let (after, wait) = budget.take(now, rate_per_second, burst);
        let (secs, nanos) = split(after.at);
        transaction
            .execute(
                "INSERT INTO rate_budgets (operation, micro_tokens, secs, nanos)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (operation) DO UPDATE
                 SET micro_tokens = excluded.micro_tokens, secs = excluded.secs,
                     nanos = excluded.nanos",
                params![
                    operation,
                    i64::try_from(after.micro_tokens).unwrap_or(i64::MAX),
                    secs,
                    nanos
                ],
            )
            .map_err(fail)?;
        transaction.commit().map_err(fail)?;
        Ok(wait)
    }

    async fn query(
        &self,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<IndexPage, StoreError> {
        let Some(PageBounds {
            lower,
            upper,
            after,
        }) = page_bounds(filter, page)
        else {
            return Ok(IndexPage::default());
        };
        let (rank, number) = after.unzip();
        let program = filter.program.map(|p| p.code());
        let limit = i64::try_from(page.size().saturating_add(1)).unwrap_or(i64::MAX);
        let sql = match filter.time {
            TimeField::Changed => PAGE_BY_CHANGED,
            TimeField::Created => PAGE_BY_CREATED,
        };
        let fail = |e| backend("reading a page of orders", e);
        let mut connection = self.connection();
        // One read transaction: every state's part comes from the same moment.
        let transaction = connection.transaction().map_err(fail)?;
        let mut candidates = Vec::new();
        {
            let mut statement = transaction.prepare_cached(sql).map_err(fail)?;
            for state in filter.group.states() {
                let mut rows = statement
                    .query(rusqlite::named_params! {
                        ":state": state.as_str(),
                        ":program": program,
                        ":lower": lower,
                        ":upper": upper,
                        ":rank": rank,
                        ":number": number,
                        ":limit": limit,
                    })
                    .map_err(fail)?;
                while let Some(row) = rows.next().map_err(fail)? {
                    let program: String = row.get(0).map_err(fail)?;
                    let number: String = row.get(1).map_err(fail)?;
                    let state: String = row.get(2).map_err(fail)?;
                    candidates.push(IndexEntry {
                        key: key_of(&program, &number)?,
                        state: state_of(&state)?,
                        created_at: DateTime::from_timestamp_nanos(row.get(3).map_err(fail)?),
                        changed_at: DateTime::from_timestamp_nanos(row.get(4).map_err(fail)?),
                    });
                }
            }
        }
        transaction.finish().map_err(fail)?;
        // The page is among the first `limit + 1` of each state: the library's rule
        // orders them and cuts the page.
        Ok(page_of(&candidates, filter, page))
    }

    async fn counts(&self) -> Result<BTreeMap<StateKind, usize>, StoreError> {
        let fail = |e| backend("counting orders", e);
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached("SELECT state, COUNT(*) FROM orders GROUP BY state")
            .map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(fail)?;
        let mut counts = BTreeMap::new();
        for row in rows {
            let (state, count) = row.map_err(fail)?;
            let count = usize::try_from(count).map_err(|e| backend("counting orders", e))?;
            counts.insert(state_of(&state)?, count);
        }
        Ok(counts)
    }
}
