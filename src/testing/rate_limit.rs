//! Amazon's usage plans: a token bucket per operation.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// An operation's usage plan: requests a second, and how many may come at once.
///
/// Amazon's defaults are 10 a second with a burst of 10, and a burst of 20 for
/// retail `getTransaction` ([`AmazonOperation::default_rate_limit`](super::AmazonOperation::default_rate_limit)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Tokens added a second.
    pub per_second: u32,
    /// The most tokens the bucket holds.
    pub burst: u32,
}

/// Micro-tokens per token: integer arithmetic keeps the bucket exact and
/// deterministic.
const MICRO: u128 = 1_000_000;

/// A token bucket that refills on a caller-supplied clock.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    limit: RateLimit,
    micro_tokens: u128,
    last: Option<DateTime<Utc>>,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(limit: RateLimit) -> Self {
        TokenBucket {
            limit,
            micro_tokens: u128::from(limit.burst) * MICRO,
            last: None,
        }
    }

    /// Takes a token at `now`; otherwise says how long until one is there (`None`
    /// when the plan never refills).
    pub(crate) fn try_take(&mut self, now: DateTime<Utc>) -> Result<(), Option<Duration>> {
        let capacity = u128::from(self.limit.burst) * MICRO;
        if let Some(last) = self.last {
            // A clock set backwards refills nothing, and does not move `last` back.
            let elapsed = (now - last).num_microseconds().unwrap_or(i64::MAX).max(0) as u128;
            let refill = elapsed.saturating_mul(u128::from(self.limit.per_second));
            self.micro_tokens = self.micro_tokens.saturating_add(refill).min(capacity);
            if now > last {
                self.last = Some(now);
            }
        } else {
            self.last = Some(now);
        }
        if self.micro_tokens >= MICRO {
            self.micro_tokens -= MICRO;
            return Ok(());
        }
        if self.limit.per_second == 0 {
            return Err(None);
        }
        let missing = MICRO - self.micro_tokens;
        let micros = missing.div_ceil(u128::from(self.limit.per_second));
        Err(Some(Duration::from_micros(
            u64::try_from(micros).unwrap_or(u64::MAX),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Over any run of calls, no more are admitted than the burst plus what the
        /// rate refilled since the first call.
        #[test]
        fn admits_at_most_the_burst_plus_the_refill(
            per_second in 1u32..50,
            burst in 0u32..30,
            gaps_ms in proptest::collection::vec(0u64..400, 1..200),
        ) {
            let limit = RateLimit { per_second, burst };
            let mut bucket = TokenBucket::new(limit);
            let start = t("2025-03-01T00:00:00Z");
            let mut now = start;
            let mut admitted = 0u64;
            for gap in gaps_ms {
                now += chrono::TimeDelta::milliseconds(gap as i64);
                if bucket.try_take(now).is_ok() {
                    admitted += 1;
                }
                let elapsed_ms = (now - start).num_milliseconds() as u64;
                let ceiling = u64::from(burst) + elapsed_ms * u64::from(per_second) / 1000;
                prop_assert!(admitted <= ceiling, "{admitted} > {ceiling}");
            }
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_then_the_refill_rate() {
        let mut bucket = TokenBucket::new(RateLimit {
            per_second: 10,
            burst: 10,
        });
        let start = t("2025-03-01T00:00:00Z");
        for _ in 0..10 {
            assert_eq!(bucket.try_take(start), Ok(()));
        }
        assert_eq!(
            bucket.try_take(start),
            Err(Some(Duration::from_millis(100)))
        );
        let later = start + chrono::TimeDelta::milliseconds(100);
        assert_eq!(bucket.try_take(later), Ok(()));
        assert!(bucket.try_take(later).is_err());
        // A long pause refills to the burst, not beyond.
        let much_later = later + chrono::TimeDelta::hours(1);
        for _ in 0..10 {
            assert_eq!(bucket.try_take(much_later), Ok(()));
        }
        assert!(bucket.try_take(much_later).is_err());
    }

    #[test]
    fn a_clock_set_backwards_refills_nothing() {
        let mut bucket = TokenBucket::new(RateLimit {
            per_second: 1,
            burst: 1,
        });
        let start = t("2025-03-01T00:00:00Z");
        assert!(bucket.try_take(start).is_ok());
        assert!(bucket.try_take(t("2024-03-01T00:00:00Z")).is_err());
        assert!(bucket.try_take(start).is_err());
        assert!(bucket.try_take(t("2025-03-01T00:00:01Z")).is_ok());
    }

    #[test]
    fn a_plan_without_refill_says_so() {
        let mut bucket = TokenBucket::new(RateLimit {
            per_second: 0,
            burst: 0,
        });
        assert_eq!(bucket.try_take(t("2025-03-01T00:00:00Z")), Err(None));
    }
}
