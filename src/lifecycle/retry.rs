//! When to try a failed command again: a pure decision.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::failure::CommandFailure;
use crate::client::ErrorKind;
use crate::mapping::fnv1a64;

/// Exponential backoff with deterministic jitter, bounded attempts, and respect for a
/// service's `Retry-After`; also the spacing of acknowledgement status checks.
///
/// The jitter is derived from the command key and the attempt number, so the same
/// failure always gets the same retry time (replays and tests are reproducible) while
/// different orders spread out.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use avc_order_sync::lifecycle::RetryPolicy;
///
/// let policy = RetryPolicy::default();
/// let first = policy.backoff("netsuite:create:AVC-RP-1", 1);
/// assert!(first <= Duration::from_secs(30) && first >= Duration::from_secs(24));
/// assert_eq!(first, policy.backoff("netsuite:create:AVC-RP-1", 1));
/// assert!(policy.backoff("netsuite:create:AVC-RP-1", 30) <= policy.max_delay);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// The delay before the first retry.
    pub base_delay: Duration,
    /// The longest delay between retries.
    pub max_delay: Duration,
    /// How many failed attempts of one command before the order needs attention.
    pub max_attempts: u32,
    /// How much of each delay may be taken off as jitter, in percent (0 to 100).
    pub jitter_percent: u8,
    /// The wait before the first acknowledgement status check.
    pub first_check: Duration,
    /// The longest wait between acknowledgement status checks.
    pub max_check_interval: Duration,
}

impl Default for RetryPolicy {
    /// 30 s doubling to 30 min, 8 attempts, 20 % jitter; status checks after 2 min,
    /// doubling to 30 min.
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(30 * 60),
            max_attempts: 8,
            jitter_percent: 20,
            first_check: Duration::from_secs(2 * 60),
            max_check_interval: Duration::from_secs(30 * 60),
        }
    }
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Stop: the order needs attention.
    GiveUp,
}

fn doubled(base: Duration, max: Duration, step: u32) -> Duration {
    let factor = 1u32.checked_shl(step.min(31)).unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(max).min(max)
}

pub(crate) use crate::time::later;

impl RetryPolicy {
    /// The delay before retry number `attempt` (1 for the first retry) of the command
    /// `key`: the base delay doubled per attempt, capped, less a jitter fraction taken
    /// from a hash of the key and attempt.
    pub fn backoff(&self, key: &str, attempt: u32) -> Duration {
        let delay = doubled(self.base_delay, self.max_delay, attempt.saturating_sub(1));
        let mut seed = key.as_bytes().to_vec();
        seed.extend_from_slice(&attempt.to_le_bytes());
        let permille = u128::from(fnv1a64(&seed) % 1000);
        let jitter_share = u128::from(self.jitter_percent.min(100));
        let millis = delay.as_millis();
        let cut = millis.saturating_mul(jitter_share).saturating_mul(permille) / 100_000;
        Duration::from_millis(u64::try_from(millis.saturating_sub(cut)).unwrap_or(u64::MAX))
    }

    /// The wait before the next acknowledgement status check, after `checks` checks
    /// answered "still processing".
    pub fn check_delay(&self, checks: u32) -> Duration {
        doubled(self.first_check, self.max_check_interval, checks)
    }

    /// Decides what follows the `failures`-th failed attempt of command `key`, by the
    /// rule on [`crate::client::ErrorKind`]: what [`crate::client::ErrorKind::is_retryable`]
    /// allows backs off, a rate limit waiting at least as long as the service asked; a
    /// rejection gives up at once (a person must fix the data), and so does running out
    /// of attempts. A not-found that reaches the policy is one the machine did not
    /// settle for its command (an acknowledgement's transaction Amazon does not know
    /// yet) and backs off.
    pub fn decide(
        &self,
        key: &str,
        failures: u32,
        failure: &CommandFailure,
        now: DateTime<Utc>,
    ) -> RetryDecision {
        if failure.exhausted || failures >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let backoff = self.backoff(key, failures);
        match failure.kind.kind() {
            ErrorKind::RateLimited { retry_after } => {
                let wait = retry_after.map_or(backoff, |asked| asked.max(backoff));
                RetryDecision::RetryAt(later(now, wait))
            }
            ErrorKind::NotFound => RetryDecision::RetryAt(later(now, backoff)),
            kind if kind.is_retryable() => RetryDecision::RetryAt(later(now, backoff)),
            _ => RetryDecision::GiveUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::FailureKind;
    use proptest::prelude::*;

    /// The client's error and the lifecycle's retry decision follow one rule: a kind
    /// the client calls retryable is retried by the policy, and the others are not.
    /// (A not-found depends on the call and is settled by the machine per command;
    /// see [`crate::client::ErrorKind::NotFound`].)
    #[test]
    fn the_client_error_and_the_retry_policy_agree_on_what_is_retried() {
        use crate::client::{ClientError, ErrorKind};
        let policy = RetryPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        for kind in [
            ErrorKind::Transient,
            ErrorKind::RateLimited { retry_after: None },
            ErrorKind::Rejected,
            ErrorKind::Unauthorized,
        ] {
            let error = ClientError::new(kind.clone(), "upsert salesOrder");
            let decision = policy.decide(
                "netsuite:create:AVC-RP-1",
                1,
                &failure(FailureKind::from(&error)),
                now,
            );
            assert_eq!(
                matches!(decision, RetryDecision::RetryAt(_)),
                error.is_retryable(),
                "{kind}: the policy decides {decision:?}"
            );
        }
    }

    fn failure(kind: FailureKind) -> CommandFailure {
        CommandFailure {
            kind,
            exhausted: false,
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            jitter_percent: 0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff("k", 1), Duration::from_secs(30));
        assert_eq!(p.backoff("k", 2), Duration::from_secs(60));
        assert_eq!(p.backoff("k", 3), Duration::from_secs(120));
        assert_eq!(p.backoff("k", 40), Duration::from_secs(1800));
        assert_eq!(p.check_delay(0), Duration::from_secs(120));
        assert_eq!(p.check_delay(20), Duration::from_secs(1800));
    }

    #[test]
    fn retry_after_is_honoured_and_rejections_give_up() {
        let p = RetryPolicy::default();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let asked = Duration::from_secs(600);
        assert_eq!(
            p.decide(
                "k",
                1,
                &failure(FailureKind::RateLimited {
                    retry_after: Some(asked)
                }),
                now
            ),
            RetryDecision::RetryAt(later(now, asked))
        );
        assert_eq!(
            p.decide(
                "k",
                1,
                &failure(FailureKind::Rejected { messages: vec![] }),
                now
            ),
            RetryDecision::GiveUp
        );
        let transient = failure(FailureKind::Transient {
            message: "timeout".into(),
        });
        assert!(matches!(
            p.decide("k", 1, &transient, now),
            RetryDecision::RetryAt(_)
        ));
        assert_eq!(
            p.decide("k", p.max_attempts, &transient, now),
            RetryDecision::GiveUp
        );
        let exhausted = CommandFailure {
            exhausted: true,
            ..transient
        };
        assert_eq!(p.decide("k", 1, &exhausted, now), RetryDecision::GiveUp);
    }

    proptest! {
        #[test]
        fn jitter_stays_within_its_share(key in ".{0,40}", attempt in 0u32..100, jitter in 0u8..=255) {
            let p = RetryPolicy { jitter_percent: jitter, ..RetryPolicy::default() };
            let d = p.backoff(&key, attempt);
            let full = doubled(p.base_delay, p.max_delay, attempt.saturating_sub(1));
            prop_assert!(d <= full);
            let floor = full.mul_f64(1.0 - f64::from(jitter.min(100)) / 100.0);
            prop_assert!(d >= floor.saturating_sub(Duration::from_millis(1)));
            prop_assert_eq!(d, p.backoff(&key, attempt));
        }
    }
}
