//! Deep sweeps: past windows read again on a schedule, so that an order Amazon lists
//! late, after the retrieval's watermark passed its date, is still found.
//!
//! Amazon has had outages where POs shown in Vendor Central were missing from the API
//! for days (September 2021, confirmed by Amazon in
//! amzn/selling-partner-api-docs#1416). The retrieval's window overlap covers minutes,
//! not days.

use super::retrieval::{AMAZON_LISTING_HORIZON, ReadBy};
use super::windows::{SweepStep, sweep_plan};
use super::*;

/// One deep sweep: every `every`, both programs' orders created in the last
/// `lookback` are listed again, in the retrieval's windows and pacing.
///
/// An order already in the store is taken as any listing takes it again (a change
/// is applied; nothing is created twice). One new to the store is an order Amazon
/// listed late: it is received as usual, and marked and announced as found late
/// ([`crate::lifecycle::FoundLate`], [`crate::Notice::FoundLate`]).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use avc_order_sync::{DeepSweep, EngineConfig};
///
/// let day = Duration::from_secs(24 * 3600);
/// let config = EngineConfig {
///     // The last 3 days twice a day, and nothing longer.
///     deep_sweeps: vec![DeepSweep { lookback: 3 * day, every: day / 2 }],
///     ..EngineConfig::default()
/// };
/// assert_eq!(EngineConfig::default().deep_sweeps, DeepSweep::DEFAULTS);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeepSweep {
    /// How far back from now the sweep lists, by creation date. Never further than
    /// Amazon lists (six months), nor before where the sync started.
    pub lookback: Duration,
    /// How often: at most once in this interval, counted from the start of the last
    /// run (kept in the store as [`Cursor::Sweep`]).
    pub every: Duration,
}

impl DeepSweep {
    /// The defaults: the last 7 days once a day, and the last 30 days once a week.
    pub const DEFAULTS: [DeepSweep; 2] = [
        DeepSweep {
            lookback: Duration::from_secs(7 * 24 * 3600),
            every: Duration::from_secs(24 * 3600),
        },
        DeepSweep {
            lookback: Duration::from_secs(30 * 24 * 3600),
            every: Duration::from_secs(7 * 24 * 3600),
        },
    ];

    /// The store's name for when this sweep of `program` last started.
    #[must_use]
    pub fn cursor(&self, program: Program) -> Cursor {
        Cursor::Sweep {
            program,
            lookback_secs: self.lookback.as_secs(),
        }
    }
}

/// A sweep run this engine started and has not finished: what is left to read. Kept
/// in memory only; a run cut short by a stop is not resumed by another process, and
/// the next run (a period later) reads its windows again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SweepRun {
    /// When the run started, as saved in the sweep's cursor.
    started_at: DateTime<Utc>,
    /// The windows still to read.
    plan: WindowPlan,
}

/// The cursor of a program's retrieval by creation date, which the sweeps read
/// behind.
pub(super) fn listing_cursor(program: Program) -> Cursor {
    match program {
        Program::RetailProcurement => Cursor::Retail(WindowKind::Created),
        Program::DirectFulfillment => Cursor::DirectFulfillment,
    }
}

impl Engine {
    /// Runs the deep sweeps of `program` that are due, one after the other.
    ///
    /// A sweep's start is saved in its cursor before its first window is read: a
    /// restart does not sweep again before the period is over, and a second worker
    /// that reads the cursor after it does not sweep at all. (Two workers that read it
    /// in the same moment both sweep; what the second finds is known, and costs only
    /// its calls.) A window whose read stops (a failed call) is read again by this
    /// engine in its next cycle, from there on.
    ///
    /// A run reads up to `until`, where the cycle's retrieval of the program reads
    /// from (`None`: nothing is read).
    pub(super) async fn sweep(
        &self,
        cycle: &Cycle,
        program: Program,
        until: Option<DateTime<Utc>>,
    ) -> Result<(), EngineError> {
        let Some(until) = until else { return Ok(()) };
        let mut seen = BTreeSet::new();
        for sweep in &self.config.deep_sweeps {
            // Two sweeps of one reach share a cursor: the first configured runs.
            if !seen.insert(sweep.lookback) {
                continue;
            }
            self.sweep_once(cycle, program, sweep, until).await?;
        }
        Ok(())
    }

    async fn sweep_once(
        &self,
        cycle: &Cycle,
        program: Program,
        sweep: &DeepSweep,
        until: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let cursor = sweep.cursor(program);
        let last = self.store.watermark(cursor).await?;
        let mut run = match self.unfinished(cursor, last) {
            Some(run) => run,
            None => {
                let now = self.clock.now();
                match SweepStep::at(last, now, sweep.every) {
                    SweepStep::Start => {
                        self.store.save_watermark(cursor, now).await?;
                        return Ok(());
                    }
                    SweepStep::Wait => return Ok(()),
                    SweepStep::Due => {}
                }
                self.store.save_watermark(cursor, now).await?;
                if self.store.watermark(cursor).await? != Some(now) {
                    // Another worker started this sweep after this one read its cursor.
                    return Ok(());
                }
                let floor = self
                    .store
                    .watermark(Cursor::Start(program))
                    .await?
                    .map(|start| earlier(start, self.config.window_overlap));
                SweepRun {
                    started_at: now,
                    plan: sweep_plan(
                        now,
                        sweep.lookback,
                        AMAZON_LISTING_HORIZON,
                        floor,
                        until,
                        self.config.max_window.min(retrieval::AMAZON_MAX_WINDOW),
                    ),
                }
            }
        };
        let windows: Vec<_> = run.plan.windows().collect();
        for window in windows {
            self.keep_run(cursor, Some(run.clone()));
            if self
                .read_settled(cycle, program, WindowKind::Created, window, ReadBy::Sweep)
                .await?
                .is_none()
            {
                return Ok(());
            }
            run.plan.read_to(window.1);
        }
        self.keep_run(cursor, None);
        Ok(())
    }

    /// The run of `cursor` this engine started and has not finished, while the store
    /// still shows it as the last one started.
    fn unfinished(&self, cursor: Cursor, last: Option<DateTime<Utc>>) -> Option<SweepRun> {
        let mut runs = self.sweeps.lock().unwrap_or_else(|p| p.into_inner());
        match runs.get(&cursor) {
            Some(run) if Some(run.started_at) == last => Some(run.clone()),
            Some(_) => {
                runs.remove(&cursor);
                None
            }
            None => None,
        }
    }

    fn keep_run(&self, cursor: Cursor, run: Option<SweepRun>) {
        let mut runs = self.sweeps.lock().unwrap_or_else(|p| p.into_inner());
        match run {
            Some(run) => runs.insert(cursor, run),
            None => runs.remove(&cursor),
        };
    }
}
