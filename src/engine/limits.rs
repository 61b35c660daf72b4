//! Pacing for Amazon's rate limits and NetSuite's concurrency limit, with no runtime:
//! a pure token bucket, and a combinator that polls at most `limit` futures at once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A token bucket: `rate` tokens a second, holding at most `burst`.
///
/// Pure: the caller passes the time. Amazon's default usage plan is 10 requests a
/// second with a burst of 10 per operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Option<DateTime<Utc>>,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(rate_per_second: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate: f64::from(rate_per_second.max(1)),
            burst,
            tokens: burst,
            last: None,
        }
    }

    /// Takes a token at `now`; when there is none, how long until there is one.
    ///
    /// # Errors
    /// The wait, when the bucket is empty.
    pub(crate) fn try_take(&mut self, now: DateTime<Utc>) -> Result<(), Duration> {
        // A clock set back refills nothing until it is past the last time seen again:
        // the wait runs from there.
        let mut behind = Duration::ZERO;
        if let Some(last) = self.last {
            // Counting requests, not money: a float is exact enough for token refills.
            let elapsed = (now - last).num_microseconds().unwrap_or(i64::MAX).max(0) as f64 / 1e6;
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
            behind = (last - now).to_std().unwrap_or_default();
        }
        self.last = Some(self.last.map_or(now, |l| l.max(now)));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(behind.saturating_add(Duration::from_micros(
                (missing / self.rate * 1e6).ceil() as u64
            )))
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs `make(item)` for every item with at most `limit` futures in progress, and
/// returns the outputs in the items' order. Polls only; spawns nothing.
pub(crate) fn run_limited<'a, T, O, F>(
    items: Vec<T>,
    limit: usize,
    make: F,
) -> RunLimited<'a, T, O, F>
where
    F: FnMut(T) -> BoxFuture<'a, O>,
{
    let count = items.len();
    RunLimited {
        pending: items
            .into_iter()
            .enumerate()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect(),
        running: Vec::new(),
        outputs: (0..count).map(|_| None).collect(),
        limit: limit.max(1),
        make,
    }
}

/// The future [`run_limited`] returns.
pub(crate) struct RunLimited<'a, T, O, F> {
    pending: Vec<(usize, T)>,
    running: Vec<(usize, BoxFuture<'a, O>)>,
    outputs: Vec<Option<O>>,
    limit: usize,
    make: F,
}

impl<'a, T, O, F> Future for RunLimited<'a, T, O, F>
where
    F: FnMut(T) -> BoxFuture<'a, O> + Unpin,
    T: Unpin,
    O: Unpin,
{
    type Output = Vec<O>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<O>> {
        let this = self.get_mut();
        loop {
            while this.running.len() < this.limit {
                let Some((index, item)) = this.pending.pop() else {
                    break;
                };
                let future = (this.make)(item);
                this.running.push((index, future));
            }
            let mut finished = false;
            let mut i = 0;
            while i < this.running.len() {
                if let Poll::Ready(output) = this.running[i].1.as_mut().poll(cx) {
                    let (index, _) = this.running.swap_remove(i);
                    this.outputs[index] = Some(output);
                    finished = true;
                } else {
                    i += 1;
                }
            }
            if this.running.is_empty() && this.pending.is_empty() {
                let outputs = std::mem::take(&mut this.outputs);
                return Poll::Ready(outputs.into_iter().flatten().collect());
            }
            // A finished future freed a slot: start the next ones now.
            if !finished || this.pending.is_empty() {
                return Poll::Pending;
            }
        }
    }
}

/// Polls two futures side by side until both are done. Spawns nothing.
pub(crate) async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let mut left = None;
    let mut right = None;
    std::future::poll_fn(move |cx| {
        if left.is_none() {
            if let Poll::Ready(out) = a.as_mut().poll(cx) {
                left = Some(out);
            }
        }
        if right.is_none() {
            if let Poll::Ready(out) = b.as_mut().poll(cx) {
                right = Some(out);
            }
        }
        if left.is_some() && right.is_some() {
            if let (Some(l), Some(r)) = (left.take(), right.take()) {
                return Poll::Ready((l, r));
            }
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_bucket_allows_the_burst_then_the_rate() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut bucket = TokenBucket::new(10, 10);
        for _ in 0..10 {
            assert!(bucket.try_take(t0).is_ok());
        }
        let wait = bucket.try_take(t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        assert!(
            bucket
                .try_take(t0 + chrono::TimeDelta::milliseconds(100))
                .is_ok()
        );
        assert!(
            bucket
                .try_take(t0 + chrono::TimeDelta::milliseconds(100))
                .is_err()
        );
    }

    /// Found by the fault simulation (seed 80901 of 100,000): after the clock was
    /// set back, the bucket refilled nothing until the clock caught up, yet asked to
    /// wait only for the shortfall at the refill rate (down to a microsecond): the
    /// engine slept a microsecond at a time for as long as the clock was behind.
    #[test]
    fn a_clock_set_back_waits_until_it_catches_up() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut bucket = TokenBucket::new(1, 1);
        assert!(bucket.try_take(t0).is_ok());
        // Nearly a whole token back, but not quite.
        let almost = t0 + chrono::TimeDelta::microseconds(999_999);
        let shortfall = bucket.try_take(almost).unwrap_err();
        assert!(shortfall <= Duration::from_micros(2), "{shortfall:?}");
        let back = almost - chrono::TimeDelta::seconds(57);
        let wait = bucket.try_take(back).unwrap_err();
        assert!(wait >= Duration::from_secs(57), "{wait:?}");
        let caught_up = back + chrono::TimeDelta::from_std(wait).unwrap();
        assert!(bucket.try_take(caught_up).is_ok());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn no_more_than_the_limit_run_at_once_and_order_is_kept() {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let outputs = run_limited((0..20).collect(), 3, |i: u32| {
            let running = running.clone();
            let peak = peak.clone();
            Box::pin(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                for _ in 0..(i % 4) {
                    tokio::task::yield_now().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }) as BoxFuture<'static, u32>
        })
        .await;
        assert_eq!(outputs, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
