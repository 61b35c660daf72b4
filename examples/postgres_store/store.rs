//! [`PostgresStore`]: the library's [`OrderStore`] on PostgreSQL, for several workers
//! (processes, hosts) sharing one database, as the model for an integrator's own
//! server-database store.
//!
//! It keeps the rules `examples/sqlite_store/store.rs` explains (the version check in
//! the write, durable saves, indexed wake-ups, watermarks that never move back, records
//! as JSON, the operator's query columns beside each record), on a server:
//!
//! * **Every call is one short statement**, committed on its own: a save is
//!   `UPDATE … WHERE program = $1 AND number = $2 AND version = $n` (or an `INSERT … ON
//!   CONFLICT DO NOTHING` for a new order) and the rows it changed say whether it won.
//!   PostgreSQL's default isolation (read committed) re-checks the `WHERE` on the row's
//!   latest version when two saves meet, so exactly one of them changes it. Nothing is
//!   locked between a worker's load and its save, so a worker that dies or loses its
//!   connection holds nothing up.
//! * **Durable before it returns**: `synchronous_commit` is PostgreSQL's default (`on`),
//!   so a commit is in the server's write-ahead log on disk when it is answered. A
//!   server with a synchronous standby keeps it there too.
//! * **Key order is byte order**: `program` and `number` are `COLLATE "C"`, so the
//!   database sorts numbers as Rust compares strings whatever the database's locale.
//! * **Leases and rate budgets are compare-and-sets too**: a lease is one upsert whose
//!   `WHERE` decides; a budget is read, taken from, and written back by an `UPDATE`
//!   whose `WHERE` names the values read (tried again when another worker wrote in
//!   between). No call opens a transaction: the engine's concurrent calls share one
//!   connection, and a transaction on it would take in theirs.
//! * **The connection comes back by itself**: when the server restarts or the network
//!   drops, the call that sees it fails with [`StoreError::Backend`] (the engine's
//!   cycle ends there, losing nothing), and the next call connects again.
//! * **The schema is created when the store connects**, under an advisory lock so that
//!   workers starting together do not race on it; every statement is idempotent.
//!
//! The store needs a Tokio runtime: the client's connection runs as a task on it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use avc_order_sync::lifecycle::{OrderRecord, StateKind};
use avc_order_sync::{Cursor, InFlight, OrderKey, OrderStore, RateBudget, StoreError, StoredOrder};
use avc_order_sync::{IndexEntry, IndexPage, OrderFilter, PageRequest, TimeField, page_of};
use avc_order_sync::{Program, PurchaseOrderNumber, WindowKind};
use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls};

/// How many times a take from a rate budget is tried while other workers take from
/// it at the same moment.
const BUDGET_ATTEMPTS: usize = 8;

/// How long connecting may take before the call fails (and the next one tries again).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema, created in one transaction under an advisory lock (the number is the
/// store's own: any constant the integrator's other code does not lock).
///
/// Times are whole seconds since the epoch and nanoseconds (wake-ups, watermarks,
/// leases, budgets), exact for every instant `chrono` holds; the query columns
/// `created_at` and `changed_at` are nanoseconds since the epoch in one `BIGINT`, as in
/// the SQLite store (the years 1678 to 2261). `state` is [`StateKind::as_str`].
const SCHEMA: &str = r#"
BEGIN;
SELECT pg_advisory_xact_lock(7305746358921001);
CREATE TABLE IF NOT EXISTS orders (
    program     TEXT COLLATE "C" NOT NULL,
    number      TEXT COLLATE "C" NOT NULL,
    version     BIGINT NOT NULL CHECK (version >= 1),
    record      TEXT   NOT NULL,
    in_flight   TEXT,
    wake_secs   BIGINT,
    wake_nanos  BIGINT,
    state       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    changed_at  BIGINT NOT NULL,
    PRIMARY KEY (program, number)
);
CREATE INDEX IF NOT EXISTS orders_by_wakeup
    ON orders (wake_secs, wake_nanos) WHERE wake_secs IS NOT NULL;
CREATE INDEX IF NOT EXISTS orders_by_state_changed ON orders (state, changed_at);
CREATE INDEX IF NOT EXISTS orders_by_state_created ON orders (state, created_at);
CREATE TABLE IF NOT EXISTS watermarks (
    cursor  TEXT   PRIMARY KEY,
    secs    BIGINT NOT NULL,
    nanos   BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    cursor  TEXT   PRIMARY KEY,
    holder  TEXT   NOT NULL,
    secs    BIGINT NOT NULL,
    nanos   BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_budgets (
    operation     TEXT   PRIMARY KEY,
    micro_tokens  BIGINT NOT NULL,
    secs          BIGINT NOT NULL,
    nanos         BIGINT NOT NULL
);
COMMIT;
"#;

/// A page's candidates, by change: for each state in `$1`, the newest `$7` orders (of
/// program `$2` when given) with `changed_at` between `$3` and `$4` and, at `$4`
/// itself, after the key (`$5` true for Direct Fulfillment, `$6` the number) when one
/// is given. One statement, so every state's part comes from one snapshot; each part
/// is one range of the `(state, changed_at)` index, and the `BETWEEN` bounds it, so a
/// page deep in a walk reads no more rows than the first.
const PAGE_BY_CHANGED: &str = r#"
SELECT o.program, o.number, o.state, o.created_at, o.changed_at
FROM unnest($1::text[]) AS s(state) CROSS JOIN LATERAL (
    SELECT program, number, state, created_at, changed_at FROM orders
    WHERE state = s.state
      AND ($2::text IS NULL OR program = $2::text)
      AND changed_at BETWEEN $3 AND $4
      AND (changed_at < $4 OR $6::text IS NULL
           OR (program = 'DF', number) > ($5::boolean, $6::text COLLATE "C"))
    ORDER BY changed_at DESC, program = 'DF', number
    LIMIT $7
) AS o"#;

/// [`PAGE_BY_CHANGED`], by creation.
const PAGE_BY_CREATED: &str = r#"
SELECT o.program, o.number, o.state, o.created_at, o.changed_at
FROM unnest($1::text[]) AS s(state) CROSS JOIN LATERAL (
    SELECT program, number, state, created_at, changed_at FROM orders
    WHERE state = s.state
      AND ($2::text IS NULL OR program = $2::text)
      AND created_at BETWEEN $3 AND $4
      AND (created_at < $4 OR $6::text IS NULL
           OR (program = 'DF', number) > ($5::boolean, $6::text COLLATE "C"))
    ORDER BY created_at DESC, program = 'DF', number
    LIMIT $7
) AS o"#;

/// An [`OrderStore`] in a PostgreSQL database, shared safely by any number of workers.
pub struct PostgresStore {
    config: Config,
    /// The open connection's client, if any; replaced when it closes.
    client: Mutex<Option<Arc<Client>>>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The configuration holds the password: only where the database is.
        f.debug_struct("PostgresStore")
            .field("hosts", &self.config.get_hosts())
            .field("ports", &self.config.get_ports())
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

fn backend(message: &str, error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend {
        message: format!("{message}: {error}"),
        source: Some(Box::new(error)),
    }
}

fn invalid(message: String) -> StoreError {
    StoreError::Backend {
        message,
        source: None,
    }
}

/// The program of a stored key: the inverse of [`Program::code`], which keys are
/// stored by.
fn program_of(code: &str) -> Result<Program, StoreError> {
    match code {
        "RP" => Ok(Program::RetailProcurement),
        "DF" => Ok(Program::DirectFulfillment),
        other => Err(invalid(format!(
            "unknown program `{other}` in the orders table"
        ))),
    }
}

fn key_of(program: &str, number: &str) -> Result<OrderKey, StoreError> {
    Ok(OrderKey {
        program: program_of(program)?,
        number: PurchaseOrderNumber::new(number).map_err(|e| backend("reading a PO number", e))?,
    })
}

fn cursor_name(cursor: Cursor) -> String {
    // An exhaustive match: a cursor added to the library fails to compile here
    // instead of sharing another's row. The names are the SQLite store's.
    let name = match cursor {
        Cursor::Retail(WindowKind::Created) => "retail-created",
        Cursor::Retail(WindowKind::Changed) => "retail-changed",
        Cursor::Retail(WindowKind::Cancelled) => "retail-cancelled",
        Cursor::DirectFulfillment => "direct-fulfillment-created",
        Cursor::NetSuiteChanges => "netsuite-changes",
        Cursor::DirectFulfillmentCancellations => "direct-fulfillment-cancellations",
        Cursor::Start(program) => return format!("{}-start", program_code(program)),
        Cursor::Sweep {
            program,
            lookback_secs,
        } => return format!("{}-sweep-{lookback_secs}s", program_code(program)),
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
        .ok_or_else(|| invalid(format!("stored instant {secs}.{nanos:09} is out of range")))
}

/// An instant as the query columns keep it: nanoseconds since the epoch.
fn nanos(at: DateTime<Utc>) -> Result<i64, StoreError> {
    at.timestamp_nanos_opt().ok_or_else(|| {
        invalid(format!(
            "{at} is outside the years the query columns hold (1678 to 2261)"
        ))
    })
}

/// The state a `state` column names.
fn state_of(text: &str) -> Result<StateKind, StoreError> {
    StateKind::ALL
        .iter()
        .find(|s| s.as_str() == text)
        .copied()
        .ok_or_else(|| invalid(format!("unknown state `{text}` in the orders table")))
}

/// The range of the query columns a filter and a page take, newest first.
struct PageBounds {
    /// The oldest time, inclusive.
    lower: i64,
    /// The newest time, inclusive.
    upper: i64,
    /// At `upper`, only the keys after this one: whether it is Direct Fulfillment, and
    /// its number.
    after: Option<(bool, String)>,
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
            after = Some((
                token.key.program == Program::DirectFulfillment,
                token.key.number.as_str().to_owned(),
            ));
        }
    }
    (lower <= upper).then_some(PageBounds {
        lower,
        upper,
        after,
    })
}

fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| backend(what, e))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| backend(what, e))
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

impl PostgresStore {
    /// Connects to the database `config` names and creates the tables when missing.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the database cannot be reached or set up.
    pub async fn connect(mut config: Config) -> Result<Self, StoreError> {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let store = PostgresStore {
            config,
            client: Mutex::new(None),
        };
        store
            .client()
            .await?
            .batch_execute(SCHEMA)
            .await
            .map_err(|e| backend("creating the tables", e))?;
        Ok(store)
    }

    /// [`PostgresStore::connect`] to a `postgres://user:password@host:port/database`
    /// URL (or a `key=value` connection string).
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the URL does not parse, or as
    /// [`PostgresStore::connect`].
    pub async fn connect_url(url: &str) -> Result<Self, StoreError> {
        let config: Config = url
            .parse()
            .map_err(|e| backend("reading the database URL", e))?;
        Self::connect(config).await
    }

    /// The open connection's client, connecting again when there is none or it closed
    /// (the server restarted, the network dropped).
    async fn client(&self) -> Result<Arc<Client>, StoreError> {
        let open = self
            .client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|c| !c.is_closed())
            .cloned();
        if let Some(client) = open {
            return Ok(client);
        }
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| backend("connecting to the database", e))?;
        // The connection does the I/O; it ends when the server or the network goes,
        // and the client then reports itself closed.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let client = Arc::new(client);
        *self.client.lock().unwrap_or_else(PoisonError::into_inner) = Some(client.clone());
        Ok(client)
    }

    /// Every stored order, in key order (for reports and tests).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    pub async fn snapshot(&self) -> Result<Vec<(OrderKey, StoredOrder)>, StoreError> {
        let fail = |e| backend("reading every order", e);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT program, number, version, record, in_flight FROM orders",
                &[],
            )
            .await
            .map_err(fail)?;
        let mut orders = Vec::with_capacity(rows.len());
        for row in rows {
            let key = key_of(row.try_get(0).map_err(fail)?, row.try_get(1).map_err(fail)?)?;
            let in_flight: Option<&str> = row.try_get(4).map_err(fail)?;
            orders.push((
                key,
                stored_order(
                    row.try_get(2).map_err(fail)?,
                    row.try_get(3).map_err(fail)?,
                    in_flight,
                )?,
            ));
        }
        orders.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(orders)
    }

    /// The keys of `rows` whose first two columns are a program and a number.
    fn keys_of(rows: &[tokio_postgres::Row], what: &str) -> Result<Vec<OrderKey>, StoreError> {
        rows.iter()
            .map(|row| {
                let program: &str = row.try_get(0).map_err(|e| backend(what, e))?;
                let number: &str = row.try_get(1).map_err(|e| backend(what, e))?;
                key_of(program, number)
            })
            .collect()
    }
}

#[async_trait]
impl OrderStore for PostgresStore {
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let fail = |e| backend("loading an order", e);
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT version, record, in_flight FROM orders WHERE program = $1 AND number = $2",
                &[&key.program.code(), &key.number.as_str()],
            )
            .await
            .map_err(fail)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let in_flight: Option<&str> = row.try_get(2).map_err(fail)?;
        stored_order(
            row.try_get(0).map_err(fail)?,
            row.try_get(1).map_err(fail)?,
            in_flight,
        )
        .map(Some)
    }

    async fn save(
        &self,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        next_wakeup: Option<DateTime<Utc>>,
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let entry = IndexEntry::of(key, record);
        let (state, created_at, changed_at) = (
            entry.state.as_str(),
            nanos(entry.created_at)?,
            nanos(entry.changed_at)?,
        );
        let record = to_json("writing an order record", record)?;
        let in_flight = in_flight
            .map(|f| to_json("writing an in-flight marker", f))
            .transpose()?;
        let (wake_secs, wake_nanos) = next_wakeup.map(split).unzip();
        let (program, number) = (key.program.code(), key.number.as_str());
        let client = self.client().await?;
        // The version check and the write are one statement, committed on its own.
        let (changed, version) = match expected {
            None => {
                let changed = client
                    .execute(
                        "INSERT INTO orders
                             (program, number, version, record, in_flight, wake_secs, wake_nanos,
                              state, created_at, changed_at)
                         VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9)
                         ON CONFLICT (program, number) DO NOTHING",
                        &[
                            &program,
                            &number,
                            &record,
                            &in_flight,
                            &wake_secs,
                            &wake_nanos,
                            &state,
                            &created_at,
                            &changed_at,
                        ],
                    )
                    .await
                    .map_err(|e| backend("inserting an order", e))?;
                (changed, 1)
            }
            Some(expected_version) => {
                let expected_sql =
                    i64::try_from(expected_version).map_err(|e| backend("writing a version", e))?;
                let changed = client
                    .execute(
                        "UPDATE orders
                         SET version = version + 1, record = $3, in_flight = $4,
                             wake_secs = $5, wake_nanos = $6,
                             state = $8, created_at = $9, changed_at = $10
                         WHERE program = $1 AND number = $2 AND version = $7",
                        &[
                            &program,
                            &number,
                            &record,
                            &in_flight,
                            &wake_secs,
                            &wake_nanos,
                            &expected_sql,
                            &state,
                            &created_at,
                            &changed_at,
                        ],
                    )
                    .await
                    .map_err(|e| backend("updating an order", e))?;
                (changed, expected_version.saturating_add(1))
            }
        };
        if changed == 1 {
            return Ok(version);
        }
        // Lost the race (or the order is not what the caller thought): nothing was
        // written; report what is stored.
        let found = client
            .query_opt(
                "SELECT version FROM orders WHERE program = $1 AND number = $2",
                &[&program, &number],
            )
            .await
            .map_err(|e| backend("reading a conflicting version", e))?
            .and_then(|row| row.try_get::<_, i64>(0).ok())
            .and_then(|v| u64::try_from(v).ok());
        Err(StoreError::Conflict {
            key: key.clone(),
            expected,
            found,
        })
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
        let (secs, nanos) = split(now);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT program, number FROM orders
                 WHERE wake_secs IS NOT NULL
                   AND (wake_secs < $1 OR (wake_secs = $1 AND wake_nanos <= $2))
                 ORDER BY wake_secs, wake_nanos, program, number
                 LIMIT $3",
                &[&secs, &nanos, &limit],
            )
            .await
            .map_err(|e| backend("reading due orders", e))?;
        Self::keys_of(&rows, "reading due orders")
    }

    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let fail = |e| backend("reading the next wake-up", e);
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT wake_secs, wake_nanos FROM orders WHERE wake_secs IS NOT NULL
                 ORDER BY wake_secs, wake_nanos LIMIT 1",
                &[],
            )
            .await
            .map_err(fail)?;
        row.map(|row| join(row.try_get(0).map_err(fail)?, row.try_get(1).map_err(fail)?))
            .transpose()
    }

    async fn keys(&self) -> Result<Vec<OrderKey>, StoreError> {
        let rows = self
            .client()
            .await?
            .query("SELECT program, number FROM orders", &[])
            .await
            .map_err(|e| backend("reading order keys", e))?;
        let mut keys = Self::keys_of(&rows, "reading order keys")?;
        // The library's key order (program, then number), not the text order of codes.
        keys.sort();
        Ok(keys)
    }

    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
        let fail = |e| backend("reading a watermark", e);
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT secs, nanos FROM watermarks WHERE cursor = $1",
                &[&cursor_name(cursor)],
            )
            .await
            .map_err(fail)?;
        row.map(|row| join(row.try_get(0).map_err(fail)?, row.try_get(1).map_err(fail)?))
            .transpose()
    }

    async fn save_watermark(&self, cursor: Cursor, at: DateTime<Utc>) -> Result<(), StoreError> {
        let (secs, nanos) = split(at);
        // "Never backwards" is decided in the statement: two workers moving the same
        // watermark cannot undo each other whichever commits last.
        self.client()
            .await?
            .execute(
                "INSERT INTO watermarks (cursor, secs, nanos) VALUES ($1, $2, $3)
                 ON CONFLICT (cursor) DO UPDATE SET secs = excluded.secs, nanos = excluded.nanos
                 WHERE (excluded.secs, excluded.nanos) > (watermarks.secs, watermarks.nanos)",
                &[&cursor_name(cursor), &secs, &nanos],
            )
            .await
            .map_err(|e| backend("saving a watermark", e))?;
        Ok(())
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
        let states: Vec<&str> = filter.group.states().iter().map(|s| s.as_str()).collect();
        let params: [&(dyn ToSql + Sync); 7] =
            [&states, &program, &lower, &upper, &rank, &number, &limit];
        let rows = self
            .client()
            .await?
            .query(sql, &params)
            .await
            .map_err(fail)?;
        let mut candidates = Vec::with_capacity(rows.len());
        for row in rows {
            candidates.push((
                row.try_get::<_, String>(0).map_err(fail)?,
                row.try_get::<_, String>(1).map_err(fail)?,
                row.try_get::<_, String>(2).map_err(fail)?,
                row.try_get::<_, i64>(3).map_err(fail)?,
                row.try_get::<_, i64>(4).map_err(fail)?,
            ));
        }
        let entries = candidates
            .into_iter()
            .map(|(program, number, state, created, changed)| {
                Ok(IndexEntry {
                    key: key_of(&program, &number)?,
                    state: state_of(&state)?,
                    created_at: DateTime::from_timestamp_nanos(created),
                    changed_at: DateTime::from_timestamp_nanos(changed),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // The page is among the first `limit + 1` of each state: the library's rule
        // orders them and cuts the page.
        Ok(page_of(&entries, filter, page))
    }

    async fn counts(&self) -> Result<BTreeMap<StateKind, usize>, StoreError> {
        let fail = |e| backend("counting orders", e);
        let rows = self
            .client()
            .await?
            .query("SELECT state, COUNT(*) FROM orders GROUP BY state", &[])
            .await
            .map_err(fail)?;
        let mut counts = BTreeMap::new();
        for row in rows {
            let state: &str = row.try_get(0).map_err(fail)?;
            let count: i64 = row.try_get(1).map_err(fail)?;
            let count = usize::try_from(count).map_err(|e| backend("counting orders", e))?;
            counts.insert(state_of(state)?, count);
        }
        Ok(counts)
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
        // One statement decides and writes; of two workers inserting a missing row at
        // once, the second waits for the first and then sees its lease in the `WHERE`.
        let changed = self
            .client()
            .await?
            .execute(
                "INSERT INTO leases (cursor, holder, secs, nanos) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (cursor) DO UPDATE
                 SET holder = excluded.holder, secs = excluded.secs, nanos = excluded.nanos
                 WHERE leases.holder = excluded.holder
                    OR (leases.secs, leases.nanos) <= ($5, $6)",
                &[
                    &cursor_name(cursor),
                    &holder,
                    &secs,
                    &nanos,
                    &now_secs,
                    &now_nanos,
                ],
            )
            .await
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
        let client = self.client().await?;
        // The client is shared by the engine's concurrent calls, so a transaction on it
        // would take in theirs: the budget is a compare-and-set on the values read
        // instead, tried again when another worker spent a token in between.
        for _ in 0..BUDGET_ATTEMPTS {
            let row = client
                .query_opt(
                    "SELECT micro_tokens, secs, nanos FROM rate_budgets WHERE operation = $1",
                    &[&operation],
                )
                .await
                .map_err(fail)?;
            let (budget, read) = match row {
                None => (RateBudget::full(burst, now), None),
                Some(row) => {
                    let read: (i64, i64, i64) = (
                        row.try_get(0).map_err(fail)?,
                        row.try_get(1).map_err(fail)?,
                        row.try_get(2).map_err(fail)?,
                    );
                    let budget = RateBudget {
                        micro_tokens: u64::try_from(read.0).unwrap_or(0),
                        at: join(read.1, read.2)?,
                    };
                    (budget, Some(read))
                }
            };
            let (after, wait) = budget.take(now, rate_per_second, burst);
            let tokens = i64::try_from(after.micro_tokens).unwrap_or(i64::MAX);
            let (secs, nanos) = split(after.at);
            let changed = match read {
                None => client
                    .execute(
                        "INSERT INTO rate_budgets (operation, micro_tokens, secs, nanos)
                         VALUES ($1, $2, $3, $4) ON CONFLICT (operation) DO NOTHING",
                        &[&operation, &tokens, &secs, &nanos],
                    )
                    .await
                    .map_err(fail)?,
                Some((old_tokens, old_secs, old_nanos)) => client
                    .execute(
                        "UPDATE rate_budgets SET micro_tokens = $2, secs = $3, nanos = $4
                         WHERE operation = $1
                           AND micro_tokens = $5 AND secs = $6 AND nanos = $7",
                        &[
                            &operation,
                            &tokens,
                            &secs,
                            &nanos,
                            &old_tokens,
                            &old_secs,
                            &old_nanos,
                        ],
                    )
                    .await
                    .map_err(fail)?,
            };
            if changed == 1 {
                return Ok(wait);
            }
        }
        // Every attempt lost to another worker: the budget is busy, so this request
        // waits as for the next token.
        Ok(Some(Duration::from_micros(
            1_000_000 / u64::from(rate_per_second.max(1)),
        )))
    }
}
