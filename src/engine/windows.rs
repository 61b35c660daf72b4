//! Which windows a retrieval reads: from the window overlap before its watermark up
//! to now, in windows of at most the configured length, and never further back than
//! Amazon lists orders.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// What one retrieval reads, planned from its watermark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WindowPlan {
    /// Where the first window starts.
    start: DateTime<Utc>,
    /// Where the last window ends.
    now: DateTime<Utc>,
    /// The longest window.
    step: TimeDelta,
    /// The span not read that Amazon no longer lists, `[from, until)`: from the
    /// watermark to the oldest time Amazon lists, when the watermark is older.
    pub(crate) skipped: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl WindowPlan {
    /// The plan for a cursor at `watermark` (everything before it was read), read
    /// again from `overlap` before it, at `now`, in windows of at most `max_window`
    /// (a zero length is read as one second), when Amazon lists `horizon` back.
    ///
    /// A start before the horizon is moved up to it: Amazon refuses a window that
    /// starts earlier, so reading it would fail every cycle and the watermark would
    /// never move. What was not read before the horizon is `skipped`; the overlap
    /// alone, read already, is not.
    pub(crate) fn new(
        watermark: DateTime<Utc>,
        overlap: Duration,
        now: DateTime<Utc>,
        max_window: Duration,
        horizon: Duration,
    ) -> Self {
        let oldest = before(now, horizon);
        let wanted = before(watermark, overlap);
        let (start, skipped) = if wanted < oldest {
            (oldest, (watermark < oldest).then_some((watermark, oldest)))
        } else {
            (wanted, None)
        };
        let step = TimeDelta::from_std(max_window)
            .unwrap_or(TimeDelta::MAX)
            .max(TimeDelta::seconds(1));
        WindowPlan {
            start,
            now,
            step,
            skipped,
        }
    }

    /// The same plan with the windows before `end` read: the next window starts there.
    pub(crate) fn read_to(&mut self, end: DateTime<Utc>) {
        self.start = self.start.max(end);
    }

    /// The windows, oldest first, each `(start, end)`, each starting where the one
    /// before ended; none when the start is not before now.
    pub(crate) fn windows(&self) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let mut start = self.start;
        std::iter::from_fn(move || {
            if start >= self.now {
                return None;
            }
            let end = start
                .checked_add_signed(self.step)
                .map_or(self.now, |end| end.min(self.now));
            let window = (start, end);
            start = end;
            Some(window)
        })
    }
}

/// What one deep sweep does at a cycle, from when it last started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SweepStep {
    /// No run is recorded (the first cycle on this store with this sweep): the period
    /// starts now, and nothing is read. The cycle's own retrieval reads the first
    /// lookback; a sweep at once would read it again.
    Start,
    /// The last run started less than a period ago (or later than now, on a clock set
    /// back): nothing to do.
    Wait,
    /// A period has passed since the last run started: run now.
    Due,
}

impl SweepStep {
    /// The step of a sweep run `every` this long, last started at `last`, at `now`.
    pub(crate) fn at(last: Option<DateTime<Utc>>, now: DateTime<Utc>, every: Duration) -> Self {
        match last {
            None => SweepStep::Start,
            Some(last) if now < crate::time::later(last, every) => SweepStep::Wait,
            Some(_) => SweepStep::Due,
        }
    }
}

/// The windows a deep sweep run at `now` reads: from `lookback` before now, never
/// earlier than the horizon Amazon lists nor than `floor` (where the sync started),
/// up to `until` (where the regular retrieval reads from, so the two never read the
/// same window and what the sweep finds new is what the retrieval had passed), in
/// windows of at most `max_window`. None when that span is empty.
pub(crate) fn sweep_plan(
    now: DateTime<Utc>,
    lookback: Duration,
    horizon: Duration,
    floor: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
    max_window: Duration,
) -> WindowPlan {
    let start = before(now, lookback.min(horizon)).max(floor.unwrap_or(DateTime::<Utc>::MIN_UTC));
    let step = TimeDelta::from_std(max_window)
        .unwrap_or(TimeDelta::MAX)
        .max(TimeDelta::seconds(1));
    WindowPlan {
        start,
        now: until.min(now),
        step,
        skipped: None,
    }
}

use crate::time::earlier as before;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: Duration = Duration::from_secs(24 * 3600);
    const HORIZON: Duration = Duration::from_secs(180 * 24 * 3600);
    const OVERLAP: Duration = Duration::from_secs(10 * 60);

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_recent_watermark_is_read_from_its_overlap_in_windows() {
        let now = at("2026-11-27T08:00:00Z");
        let plan = WindowPlan::new(at("2026-11-25T08:00:00Z"), OVERLAP, now, DAY, HORIZON);
        assert_eq!(plan.skipped, None);
        let windows: Vec<_> = plan.windows().collect();
        assert_eq!(
            windows,
            [
                (at("2026-11-25T07:50:00Z"), at("2026-11-26T07:50:00Z")),
                (at("2026-11-26T07:50:00Z"), at("2026-11-27T07:50:00Z")),
                (at("2026-11-27T07:50:00Z"), now),
            ]
        );
    }

    #[test]
    fn a_watermark_past_the_horizon_starts_at_it_and_reports_the_gap() {
        // Seven months stopped.
        let now = at("2026-11-27T08:00:00Z");
        let mark = at("2026-04-27T08:00:00Z");
        let plan = WindowPlan::new(mark, OVERLAP, now, 7 * DAY, HORIZON);
        let oldest = at("2026-05-31T08:00:00Z");
        assert_eq!(plan.skipped, Some((mark, oldest)));
        let windows: Vec<_> = plan.windows().collect();
        assert_eq!(windows[0], (oldest, at("2026-06-07T08:00:00Z")));
        assert_eq!(windows.last().unwrap().1, now);
        assert!(windows.iter().all(|(start, _)| *start >= oldest));
    }

    #[test]
    fn only_the_overlap_behind_the_horizon_is_no_gap() {
        let now = at("2026-11-27T08:00:00Z");
        let oldest = at("2026-05-31T08:00:00Z");
        let mark = oldest + TimeDelta::minutes(5);
        let plan = WindowPlan::new(mark, OVERLAP, now, 7 * DAY, HORIZON);
        assert_eq!(plan.skipped, None);
        assert_eq!(plan.windows().next().unwrap().0, oldest);
    }

    #[test]
    fn a_watermark_at_or_after_now_reads_nothing() {
        let now = at("2026-11-27T08:00:00Z");
        let plan = WindowPlan::new(now + TimeDelta::hours(1), Duration::ZERO, now, DAY, HORIZON);
        assert_eq!(plan.windows().count(), 0);
        assert_eq!(plan.skipped, None);
    }

    #[test]
    fn extreme_inputs_neither_panic_nor_loop() {
        let now = at("2026-11-27T08:00:00Z");
        let plan = WindowPlan::new(
            DateTime::<Utc>::MIN_UTC,
            Duration::MAX,
            now,
            Duration::ZERO,
            Duration::from_secs(60),
        );
        assert_eq!(plan.windows().count(), 60);
        let plan = WindowPlan::new(now, Duration::MAX, now, Duration::MAX, Duration::MAX);
        assert_eq!(plan.windows().count(), 1);
    }

    #[test]
    fn a_sweep_starts_its_period_then_runs_once_a_period() {
        let every = DAY;
        let last = at("2026-11-26T08:00:00Z");
        let now = |text| at(text);
        assert_eq!(
            SweepStep::at(None, now("2026-11-27T08:00:00Z"), every),
            SweepStep::Start
        );
        assert_eq!(
            SweepStep::at(Some(last), now("2026-11-27T07:59:59Z"), every),
            SweepStep::Wait
        );
        assert_eq!(
            SweepStep::at(Some(last), now("2026-11-27T08:00:00Z"), every),
            SweepStep::Due
        );
        assert_eq!(
            SweepStep::at(Some(last), now("2026-12-09T00:00:00Z"), every),
            SweepStep::Due
        );
        // A clock set back waits until it is past the last run's period again.
        assert_eq!(
            SweepStep::at(Some(last), now("2026-11-25T08:00:00Z"), every),
            SweepStep::Wait
        );
        // A zero period runs every cycle once started; a huge one never overflows.
        assert_eq!(
            SweepStep::at(Some(last), last, Duration::ZERO),
            SweepStep::Due
        );
        assert_eq!(
            SweepStep::at(Some(last), last, Duration::MAX),
            SweepStep::Wait
        );
    }

    #[test]
    fn a_sweep_reads_its_lookback_up_to_where_the_retrieval_reads_from() {
        let now = at("2026-11-27T08:00:00Z");
        let until = at("2026-11-27T07:40:00Z");
        let plan = sweep_plan(now, 7 * DAY, HORIZON, None, until, DAY);
        let windows: Vec<_> = plan.windows().collect();
        assert_eq!(windows.len(), 7);
        assert_eq!(
            windows[0],
            (at("2026-11-20T08:00:00Z"), at("2026-11-21T08:00:00Z"))
        );
        assert_eq!(windows[6], (at("2026-11-26T08:00:00Z"), until));
        assert_eq!(plan.skipped, None);
        // Thirty days in Amazon's longest windows.
        let windows: Vec<_> = sweep_plan(now, 30 * DAY, HORIZON, None, until, 7 * DAY)
            .windows()
            .collect();
        assert_eq!(windows.len(), 5);
        assert_eq!(windows[0].0, at("2026-10-28T08:00:00Z"));
    }

    #[test]
    fn a_sweep_is_capped_at_the_horizon_and_at_the_sync_start() {
        let now = at("2026-11-27T08:00:00Z");
        let oldest = at("2026-05-31T08:00:00Z");
        let plan = sweep_plan(now, 400 * DAY, HORIZON, None, now, 7 * DAY);
        let windows: Vec<_> = plan.windows().collect();
        assert_eq!(windows[0].0, oldest);
        assert!(windows.iter().all(|(s, e)| *s >= oldest && e > s));
        assert_eq!(windows.last().unwrap().1, now);
        // Never before where the sync started reading.
        let floor = at("2026-11-25T12:00:00Z");
        let windows: Vec<_> = sweep_plan(now, 7 * DAY, HORIZON, Some(floor), now, 7 * DAY)
            .windows()
            .collect();
        assert_eq!(windows, [(floor, now)]);
        // Nothing when the retrieval reads from further back than the sweep reaches
        // (a cursor far behind), or the sync started after it.
        let behind = at("2026-11-01T00:00:00Z");
        assert_eq!(
            sweep_plan(now, 7 * DAY, HORIZON, None, behind, DAY)
                .windows()
                .count(),
            0
        );
        assert_eq!(
            sweep_plan(now, 7 * DAY, HORIZON, Some(now), now, DAY)
                .windows()
                .count(),
            0
        );
        // Extreme settings neither panic nor loop.
        let plan = sweep_plan(now, Duration::MAX, Duration::MAX, None, now, Duration::ZERO);
        assert!(plan.windows().take(10).count() == 10);
    }

    proptest! {
        #[test]
        fn windows_tile_from_the_horizon_or_the_overlap_to_now(
            mark_back in 0u64..400 * 24 * 3600,
            overlap in 0u64..24 * 3600,
            window in 3600u64..8 * 24 * 3600,
        ) {
            let now = at("2026-11-27T08:00:00Z");
            let mark = now - TimeDelta::seconds(mark_back as i64);
            let overlap = Duration::from_secs(overlap);
            let window = Duration::from_secs(window);
            let plan = WindowPlan::new(mark, overlap, now, window, HORIZON);
            let oldest = before(now, HORIZON);
            let windows: Vec<_> = plan.windows().collect();
            let first = windows.first().map(|w| w.0);
            prop_assert_eq!(first, Some(before(mark, overlap).max(oldest)).filter(|s| *s < now));
            for pair in windows.windows(2) {
                prop_assert_eq!(pair[0].1, pair[1].0);
            }
            for (start, end) in &windows {
                prop_assert!(start < end && *end <= now && *start >= oldest);
                prop_assert!(*end - *start <= TimeDelta::from_std(window).unwrap());
            }
            if let Some(last) = windows.last() {
                prop_assert_eq!(last.1, now);
            }
            prop_assert_eq!(plan.skipped, (mark < oldest).then_some((mark, oldest)));
        }
    }
}
