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
