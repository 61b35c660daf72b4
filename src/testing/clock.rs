//! A clock a test moves by hand.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock;
use crate::client::Clock;

/// A [`Clock`] whose time moves only when told: [`ManualClock::advance`],
/// [`ManualClock::set`], or a [`Clock::sleep`], which advances it by the duration
/// slept and returns at once.
///
/// Clones share one time (an `Arc` inside), so a test, the simulators and the code
/// under test all see the same instant.
///
/// A sleep yields to the executor once before it returns, so calls that sleep (the
/// simulators' latency) interleave under `join!` as they would on a real clock, and
/// concurrency limits mean something.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use avc_order_sync::testing::ManualClock;
/// use avc_order_sync::Clock;
///
/// let clock = ManualClock::new("2025-03-01T00:00:00Z".parse()?);
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now().to_rfc3339(), "2025-03-01T00:01:30+00:00");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug)]
struct ClockState {
    now: DateTime<Utc>,
    slept: Duration,
    sleeps: u64,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ClockState {
                now: start,
                slept: Duration::ZERO,
                sleeps: 0,
            })),
        }
    }

    /// Moves the time forward by `duration`. A duration beyond what a date can hold
    /// stops the clock at the latest representable instant.
    pub fn advance(&self, duration: Duration) {
        let mut state = lock(&self.inner);
        state.now = add(state.now, duration);
    }

    /// Sets the time, forwards or backwards.
    pub fn set(&self, now: DateTime<Utc>) {
        lock(&self.inner).now = now;
    }

    /// The total time slept through [`Clock::sleep`] (not counting
    /// [`ManualClock::advance`] or [`ManualClock::set`]).
    pub fn total_slept(&self) -> Duration {
        lock(&self.inner).slept
    }

    /// How many times [`Clock::sleep`] was called.
    pub fn sleep_count(&self) -> u64 {
        lock(&self.inner).sleeps
    }
}

use crate::time::later as add;

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        lock(&self.inner).now
    }

    async fn sleep(&self, duration: Duration) {
        {
            let mut state = lock(&self.inner);
            state.now = add(state.now, duration);
            state.slept = state.slept.saturating_add(duration);
            state.sleeps += 1;
        }
        // Lets other futures of the same task or executor run, without a runtime.
        super::YieldNow::new().await;
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.inner);
        f.debug_struct("ManualClock")
            .field("now", &state.now)
            .field("slept", &state.slept)
            .field("sleeps", &state.sleeps)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn sleeping_advances_the_shared_time_and_is_recorded() {
        let clock = ManualClock::new(t("2025-03-01T00:00:00Z"));
        let shared = clock.clone();
        shared.sleep(Duration::from_millis(1500)).await;
        clock.sleep(Duration::from_millis(500)).await;
        assert_eq!(clock.now(), t("2025-03-01T00:00:02Z"));
        assert_eq!(shared.total_slept(), Duration::from_secs(2));
        assert_eq!(shared.sleep_count(), 2);
        clock.advance(Duration::from_secs(60));
        assert_eq!(shared.now(), t("2025-03-01T00:01:02Z"));
        assert_eq!(shared.total_slept(), Duration::from_secs(2));
        clock.set(t("2024-01-01T00:00:00Z"));
        assert_eq!(shared.now(), t("2024-01-01T00:00:00Z"));
    }

    #[test]
    fn an_enormous_advance_stops_at_the_end_of_time() {
        let clock = ManualClock::new(t("2025-03-01T00:00:00Z"));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_sleeps_interleave() {
        let clock = ManualClock::new(t("2025-03-01T00:00:00Z"));
        let order = Mutex::new(Vec::new());
        let run = |name: &'static str| {
            let clock = clock.clone();
            let order = &order;
            async move {
                lock(order).push((name, "start"));
                clock.sleep(Duration::from_secs(1)).await;
                lock(order).push((name, "end"));
            }
        };
        tokio::join!(run("a"), run("b"));
        // Both started before either finished (`join!` picks which resumes first).
        let order = lock(&order);
        assert_eq!(order.len(), 4);
        assert!(
            order[..2].iter().all(|(_, step)| *step == "start"),
            "{order:?}"
        );
    }
}
