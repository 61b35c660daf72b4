//! The audit export: one order's trail, or every order of a filter one at a time, so
//! a year of orders never sits in memory.

use std::io;

use super::{Engine, EngineError};
use crate::audit::{AuditTrail, write_csv_header};
use crate::store::OrderKey;
use crate::view::{IndexEntry, OrderFilter, PageRequest};

/// How many index entries the export reads from the store at a time.
const EXPORT_PAGE: usize = 100;

/// Why writing an audit export stopped. What was written before it stays written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditExportError {
    /// The store failed; run the export again.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The writer failed.
    #[error("writing the audit export failed: {0}")]
    Write(#[from] io::Error),
    /// A trail could not be written as JSON.
    #[error("writing an audit trail as JSON failed: {0}")]
    Json(#[from] serde_json::Error),
}

impl Engine {
    /// One order's audit trail ([`AuditTrail::of`]): its purchase order versions, the
    /// reviewer's approval, every acknowledgement and Amazon's answer, the clocks and
    /// the history. `None` for an order the store does not hold.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn audit(&self, key: &OrderKey) -> Result<Option<AuditTrail>, EngineError> {
        Ok(self
            .store
            .load(key)
            .await?
            .map(|stored| AuditTrail::of(&stored.record, &self.settings)))
    }

    /// Hands the audit trail of every order `filter` takes to `sink`, one at a time,
    /// newest first, and returns how many it handed over. The export pages through the
    /// store's index ([`crate::OrderStore::query`]) and loads one record at a time, so
    /// its memory does not grow with the number of orders.
    ///
    /// For the orders of a time range, filter on [`crate::TimeField::Created`] (when
    /// the sync first stored each order, which never moves), as in the example. Each
    /// order is handed over once. An order that changed during the export is handed
    /// over as it is now, and left out if it no longer passes the filter; on
    /// [`crate::TimeField::Changed`] an order that changes during the export moves
    /// ahead of the pages already read and is left out.
    ///
    /// # Errors
    /// The sink's error, which stops the export; [`EngineError::Store`], converted
    /// into the sink's error type.
    ///
    /// # Example
    /// ```
    /// # use std::sync::Arc;
    /// # use avc_order_sync::testing::{self, ManualClock, NetSuite, VendorCentral, orders};
    /// # use avc_order_sync::{Clients, Engine, EngineError, MemoryStore};
    /// use avc_order_sync::{AuditTrail, OrderFilter, StatusGroup, TimeField};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let clock = ManualClock::new("2026-11-27T08:00:00Z".parse()?);
    /// # let amazon = Arc::new(VendorCentral::new(clock.clone()));
    /// # let netsuite = Arc::new(NetSuite::new(clock.clone()));
    /// # netsuite.set_item_catalogue(orders::netsuite_items());
    /// # amazon.add_df_order(orders::df_order("DF000001", "2026-11-27T07:00:00Z".parse()?, 2))?;
    /// # let engine = Engine::new(
    /// #     testing::catalogue_settings(false, true),
    /// #     Clients { retail: amazon.clone(), direct_fulfillment: amazon.clone(), netsuite },
    /// #     Arc::new(MemoryStore::new()),
    /// #     Arc::new(clock.clone()),
    /// # );
    /// # engine.run_cycle().await?;
    /// // Every order the sync took in on 27 November 2026, as JSON lines.
    /// let november_27 = OrderFilter {
    ///     time: TimeField::Created,
    ///     from: Some("2026-11-27T00:00:00Z".parse()?),
    ///     until: Some("2026-11-28T00:00:00Z".parse()?),
    ///     ..OrderFilter::group(StatusGroup::All)
    /// };
    /// let mut numbers = Vec::new();
    /// let exported = engine
    ///     .export_audit(&november_27, |trail: AuditTrail| {
    ///         numbers.push(trail.purchase_order_number.to_string());
    ///         Ok::<(), EngineError>(())
    ///     })
    ///     .await?;
    /// assert_eq!(exported, 1);
    /// assert_eq!(numbers, ["DF000001"]);
    ///
    /// // The same, written as JSON lines.
    /// let mut out = Vec::new();
    /// engine.write_audit_json_lines(&november_27, &mut out).await?;
    /// assert!(String::from_utf8(out)?.contains(r#""purchaseOrderNumber":"DF000001""#));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn export_audit<F, E>(&self, filter: &OrderFilter, mut sink: F) -> Result<usize, E>
    where
        F: FnMut(AuditTrail) -> Result<(), E>,
        E: From<EngineError>,
    {
        let mut page = PageRequest::first(EXPORT_PAGE);
        let mut exported = 0;
        loop {
            let found = self
                .store
                .query(filter, &page)
                .await
                .map_err(EngineError::from)?;
            for entry in &found.entries {
                let Some(stored) = self
                    .store
                    .load(&entry.key)
                    .await
                    .map_err(EngineError::from)?
                else {
                    continue;
                };
                if !filter.matches(&IndexEntry::of(&entry.key, &stored.record)) {
                    continue;
                }
                sink(AuditTrail::of(&stored.record, &self.settings))?;
                exported += 1;
            }
            match found.next {
                Some(next) => page.after = Some(next),
                None => return Ok(exported),
            }
        }
    }

    /// Writes the audit trail of every order `filter` takes to `out` as JSON lines
    /// (one trail per line, newline-delimited JSON), as [`Engine::export_audit`] walks
    /// them, and returns how many it wrote.
    ///
    /// # Errors
    /// [`AuditExportError`]: the store's, the writer's or the JSON's failure.
    pub async fn write_audit_json_lines<W: io::Write + ?Sized>(
        &self,
        filter: &OrderFilter,
        out: &mut W,
    ) -> Result<usize, AuditExportError> {
        self.export_audit(filter, |trail| {
            serde_json::to_writer(&mut *out, &trail)?;
            out.write_all(b"\n")?;
            Ok::<(), AuditExportError>(())
        })
        .await
    }

    /// Writes the lines of every order `filter` takes to `out` as CSV: the header
    /// ([`crate::AUDIT_CSV_HEADER`]) once, then each order's rows
    /// ([`AuditTrail::write_csv`]), as [`Engine::export_audit`] walks them. Returns
    /// how many orders it wrote.
    ///
    /// # Errors
    /// [`AuditExportError`]: the store's or the writer's failure.
    pub async fn write_audit_csv<W: io::Write + ?Sized>(
        &self,
        filter: &OrderFilter,
        out: &mut W,
    ) -> Result<usize, AuditExportError> {
        write_csv_header(out)?;
        self.export_audit(filter, |trail| {
            trail.write_csv(out)?;
            Ok::<(), AuditExportError>(())
        })
        .await
    }
}
