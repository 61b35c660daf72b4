//! Saturating time arithmetic: an instant plus or minus a `std` duration, held at the
//! ends of `chrono`'s range instead of overflowing, so no configured duration can
//! make a deadline panic or wrap.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// `t + d`, or the latest representable instant when that does not fit.
pub(crate) fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t - d`, or the earliest representable instant when that does not fit.
pub(crate) fn earlier(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn instants_move_by_the_duration_and_stop_at_the_ends_of_the_range() {
        let t = at("2025-03-01T00:00:00Z");
        assert_eq!(
            later(t, Duration::from_secs(90)),
            at("2025-03-01T00:01:30Z")
        );
        assert_eq!(
            earlier(t, Duration::from_secs(90)),
            at("2025-02-28T23:58:30Z")
        );
        assert_eq!(later(t, Duration::ZERO), t);
        assert_eq!(later(t, Duration::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(earlier(t, Duration::MAX), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            later(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            earlier(DateTime::<Utc>::MIN_UTC, Duration::from_secs(1)),
            DateTime::<Utc>::MIN_UTC
        );
    }
}
