//! What a cycle did, for people and for monitoring.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::client::WindowKind;
use serde::{Deserialize, Serialize};

use crate::ids::InternalId;
use crate::lifecycle::{OrderRecord, StateKind};
use crate::order::format_instant;
use crate::store::{Cursor, OrderKey};

/// One order in a report: its state now, and why when it needs someone. Serializes
/// as `{"key": …, "netsuiteId": …, "state": "ExpectApproval", "status": "Waiting for
/// approval", "reason": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportLine {
    /// The order.
    pub key: OrderKey,
    /// The NetSuite sales order, once created.
    pub netsuite_id: Option<InternalId>,
    /// The order's state.
    pub state: StateKind,
    /// NetSuite Connector's wording for the state (`"Waiting for approval"`).
    pub status: String,
    /// Why the order waits for a person (Amazon's rejection, a mapping problem), when
    /// it does.
    pub reason: Option<String>,
}

impl ReportLine {
    /// The line of a stored order.
    #[must_use]
    pub fn of(key: &OrderKey, record: &OrderRecord) -> Self {
        ReportLine {
            key: key.clone(),
            netsuite_id: record.internal_id().cloned(),
            state: record.state().kind(),
            status: record.status_label().to_owned(),
            reason: record.reason(),
        }
    }
}

/// An order Amazon sent that could not be used, with its reasons. An order whose
/// number could be read is also kept in the store (a new one in "Error reading from
/// Amazon", with its problems; a known one keeps its last readable copy): it shows in
/// the status table, an operator can re-fetch it, and the next readable copy Amazon
/// lists takes it in. One whose number cannot be read exists only here, with where it
/// was listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// The order, when its number could be read.
    pub key: Option<OrderKey>,
    /// Every problem, naming the PO and the field.
    pub reason: String,
    /// Where the listing held it, for an order read from a listing.
    pub place: Option<ListingPlace>,
}

/// Where a listing held an order: the listing, its window and the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingPlace {
    /// The listing (`RP retrieval`, `DF retrieval`, `DF cancellation check`).
    pub listing: String,
    /// The window's start.
    pub window_start: DateTime<Utc>,
    /// The window's end.
    pub window_end: DateTime<Utc>,
    /// The page, counted from 1 within one read of the window.
    pub page: usize,
}

impl fmt::Display for ListingPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, window {} to {}, page {}",
            self.listing,
            format_instant(&self.window_start),
            format_instant(&self.window_end),
            self.page
        )
    }
}

/// A span a retrieval did not read because Amazon no longer lists it: the cursor
/// fell further behind than Amazon's horizon (six months), after a long stop. Orders
/// created (or changed) in it are not retrieved; find them in Vendor Central.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedSpan {
    /// The listing whose cursor fell behind.
    pub cursor: Cursor,
    /// Where the cursor was: everything before it had been read.
    pub from: DateTime<Utc>,
    /// The oldest time Amazon lists, where reading resumed.
    pub until: DateTime<Utc>,
}

impl fmt::Display for SkippedSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let listing = match self.cursor {
            Cursor::Retail(WindowKind::Changed) => "retail orders changed",
            Cursor::Retail(_) => "retail orders created",
            Cursor::DirectFulfillment => "Direct Fulfillment orders created",
            Cursor::NetSuiteChanges => "NetSuite sales orders changed",
            Cursor::DirectFulfillmentCancellations => "Direct Fulfillment cancellations",
            Cursor::Start(_) | Cursor::Sweep { .. } => "orders swept",
        };
        write!(
            f,
            "{listing} from {} to {} were not read: Amazon lists six months back only",
            format_instant(&self.from),
            format_instant(&self.until)
        )
    }
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// When the cycle started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Orders read from Amazon (each counted once a cycle).
    pub retrieved: usize,
    /// Orders new to the store.
    pub new_orders: usize,
    /// Orders set aside as unusable.
    pub set_aside: Vec<SetAside>,
    /// How many listed orders could not be read even for their PO number (each is in
    /// [`CycleReport::set_aside`] with where it was listed).
    pub unnumbered: usize,
    /// Every order the cycle changed or found needing someone, in key order.
    pub orders: Vec<ReportLine>,
    /// How many of those orders are in each status.
    pub counts: BTreeMap<String, usize>,
    /// Calls made, by operation.
    pub calls: BTreeMap<String, u64>,
    /// Calls that failed, by operation.
    pub failed_calls: BTreeMap<String, u64>,
    /// Problems with the cycle itself (a retrieval that stopped, a store conflict
    /// given up on); each is retried next cycle.
    pub errors: Vec<String>,
    /// When an order next needs the engine, if any is scheduled.
    pub next_wakeup: Option<DateTime<Utc>>,
    /// Spans older than Amazon lists that a retrieval skipped to go on.
    pub skipped: Vec<SkippedSpan>,
    /// Listing calls the deep sweeps made (counted in [`CycleReport::calls`] too, under
    /// their operation).
    pub sweep_calls: u64,
    /// Orders new to the store that a deep sweep found: Amazon listed them late
    /// (counted in [`CycleReport::new_orders`] too).
    pub found_by_sweep: usize,
}

impl CycleReport {
    /// `true` when the cycle did nothing and found nothing to report.
    pub fn is_quiet(&self) -> bool {
        self.retrieved == 0
            && self.orders.is_empty()
            && self.set_aside.is_empty()
            && self.skipped.is_empty()
    }

    /// The total number of calls made.
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }
}

fn cell(s: &str, width: usize) -> String {
    let shown: String = s.chars().take(width).collect();
    format!("{shown:<width$}")
}

/// Writes the report's order lines as a table.
///
/// # Errors
/// Only what `f` returns when a write fails.
pub fn write_table(f: &mut impl fmt::Write, lines: &[ReportLine]) -> fmt::Result {
    writeln!(
        f,
        "{} {} {} {} REASON",
        cell("PO", 26),
        cell("PROGRAM", 7),
        cell("NETSUITE", 8),
        cell("STATUS", 32)
    )?;
    for line in lines {
        writeln!(
            f,
            "{} {} {} {} {}",
            cell(line.key.number.as_str(), 26),
            cell(line.key.program.code(), 7),
            cell(line.netsuite_id.as_ref().map_or("-", |i| i.as_str()), 8),
            cell(&line.status, 32),
            line.reason.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

impl fmt::Display for CycleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self
            .started_at
            .as_ref()
            .map_or_else(|| "-".to_owned(), format_instant);
        writeln!(
            f,
            "cycle at {at}: {} retrieved ({} new), {} set aside ({} without a PO number), {} orders changed, {} calls",
            self.retrieved,
            self.new_orders,
            self.set_aside.len(),
            self.unnumbered,
            self.orders.len(),
            self.total_calls()
        )?;
        if self.sweep_calls > 0 || self.found_by_sweep > 0 {
            writeln!(
                f,
                "  deep sweep: {} calls, {} orders found late",
                self.sweep_calls, self.found_by_sweep
            )?;
        }
        for (status, count) in &self.counts {
            writeln!(f, "  {} {count}", cell(status, 32))?;
        }
        if !self.orders.is_empty() {
            write_table(f, &self.orders)?;
        }
        for s in &self.set_aside {
            let name = s
                .key
                .as_ref()
                .map_or_else(|| "<no number>".to_owned(), |k| k.to_string());
            match &s.place {
                Some(place) => writeln!(f, "set aside {name} ({place}): {}", s.reason)?,
                None => writeln!(f, "set aside {name}: {}", s.reason)?,
            }
        }
        for s in &self.skipped {
            writeln!(f, "skipped: {s}")?;
        }
        for e in &self.errors {
            writeln!(f, "error: {e}")?;
        }
        Ok(())
    }
}
