//! Token caches with one refresh in flight, and the Tokens API's rate limit.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{AccessToken, AuthError, Secret};
use crate::client::Clock;

/// How long before a token expires the caches renew it, unless told otherwise.
pub(crate) const DEFAULT_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long a refused refresh is answered from memory, unless told otherwise.
pub(crate) const DEFAULT_REFUSAL_HOLD: Duration = Duration::from_secs(60);

/// One bearer token, renewed ahead of its expiry with at most one refresh in flight.
///
/// [`TokenCache::token`] hands out the cached token while it is fresh, that is until
/// `margin` before it expires (or half its lifetime, for a token that lives shorter
/// than twice the margin). When it is not, the first caller runs the refresh it was
/// given; every caller that comes meanwhile waits for that refresh and shares its
/// outcome, success or failure, instead of sending its own. A caller that stops
/// waiting (its future dropped) hands the refresh on to the next caller. A refresh the
/// service refused ([`AuthError::is_refused`]: a revoked refresh token, a client
/// secret that no longer works) is not tried again for a while (a minute by default,
/// [`TokenCache::with_refusal_hold`]): calls meanwhile get the same error at once, so
/// a cycle whose every call fails does not send the refused secret with each one.
/// Time comes from the [`Clock`] given to each call.
///
/// The cache never prints its token: its `Debug` shows whether it holds one and when
/// that expires.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use avc_order_sync::auth::{AccessToken, Secret, TokenCache};
/// use avc_order_sync::testing::ManualClock;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let clock = ManualClock::new("2026-11-27T08:00:00Z".parse()?);
/// let cache = TokenCache::new(Duration::from_secs(300));
/// let refresh = || async {
///     Ok(AccessToken { value: Secret::new("Atza|1"), expires_at: "2026-11-27T09:00:00Z".parse().unwrap() })
/// };
/// assert_eq!(cache.token(&clock, refresh).await?.expose(), "Atza|1");
/// // Fresh: the second call does not refresh.
/// assert_eq!(cache.token(&clock, || async { unreachable!() }).await?.expose(), "Atza|1");
/// assert_eq!(cache.refreshes(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TokenCache {
    margin: Duration,
    refusal_hold: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The token, and when to renew it.
    token: Option<(AccessToken, DateTime<Utc>)>,
    refreshing: bool,
    /// Counts finished (or abandoned) refreshes: what a waiter waits to see move.
    generation: u64,
    /// The failure of the refresh that ended `generation`, shared with its waiters.
    last_failure: Option<(u64, AuthError)>,
    /// A refusal answered from memory until the instant.
    held: Option<(DateTime<Utc>, AuthError)>,
    waiters: Vec<Waker>,
    refreshes: u64,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("TokenCache")
            .field("margin", &self.margin)
            .field(
                "expires_at",
                &state.token.as_ref().map(|(token, _)| token.expires_at),
            )
            .field("refreshing", &state.refreshing)
            .field("refreshes", &state.refreshes)
            .finish()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::new(DEFAULT_MARGIN)
    }
}

impl TokenCache {
    /// An empty cache that renews `margin` before expiry.
    pub fn new(margin: Duration) -> Self {
        TokenCache {
            margin,
            refusal_hold: DEFAULT_REFUSAL_HOLD,
            state: Mutex::new(State::default()),
        }
    }

    /// This cache, answering a refused refresh from memory for `hold` before trying
    /// again (zero: every call tries).
    pub fn with_refusal_hold(mut self, hold: Duration) -> Self {
        self.refusal_hold = hold;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token: the cached one while fresh, else the outcome of one refresh,
    /// `refresh` run by this caller or another caller's shared.
    ///
    /// # Errors
    /// The refresh's [`AuthError`], for the caller that ran it and every caller that
    /// waited for it, and for a refusal, every caller until the hold has passed.
    pub async fn token<F, Fut>(&self, clock: &dyn Clock, refresh: F) -> Result<Secret, AuthError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, AuthError>>,
    {
        let mut refresh = Some(refresh);
        loop {
            let waiting_on = {
                let mut state = self.lock();
                let now = clock.now();
                if let Some((token, renew_at)) = &state.token {
                    if now < *renew_at {
                        return Ok(token.value.clone());
                    }
                }
                if let Some((until, error)) = &state.held {
                    if now < *until {
                        return Err(error.clone());
                    }
                }
                if state.refreshing {
                    Some(state.generation)
                } else {
                    state.refreshing = true;
                    state.refreshes += 1;
                    None
                }
            };
            if let Some(generation) = waiting_on {
                Wait {
                    cache: self,
                    generation,
                }
                .await;
                let state = self.lock();
                if let Some((failed_at, error)) = &state.last_failure {
                    if *failed_at > generation {
                        return Err(error.clone());
                    }
                }
                // The refresh waited for gave a token still accepted, if only within
                // the margin: take it rather than refresh again at once.
                if let Some((token, _)) = &state.token {
                    if clock.now() < token.expires_at {
                        return Ok(token.value.clone());
                    }
                }
                continue;
            }
            let mut guard = Refreshing {
                cache: self,
                done: false,
            };
            let Some(refresh) = refresh.take() else {
                // Unreachable: a caller refreshes at most once, then returns.
                return Err(AuthError::Signing {
                    reason: "the refresh was already run".into(),
                });
            };
            let outcome = refresh().await;
            let now = clock.now();
            let mut state = self.lock();
            guard.done = true;
            state.refreshing = false;
            state.generation += 1;
            let result = match outcome {
                Ok(token) => {
                    let renew_at = self.renew_at(&token, now);
                    let value = token.value.clone();
                    state.token = Some((token, renew_at));
                    state.last_failure = None;
                    state.held = None;
                    Ok(value)
                }
                Err(error) => {
                    state.last_failure = Some((state.generation, error.clone()));
                    if error.is_refused() && !self.refusal_hold.is_zero() {
                        state.held =
                            Some((crate::time::later(now, self.refusal_hold), error.clone()));
                    }
                    Err(error)
                }
            };
            for waker in state.waiters.drain(..) {
                waker.wake();
            }
            return result;
        }
    }

    fn renew_at(&self, token: &AccessToken, now: DateTime<Utc>) -> DateTime<Utc> {
        let lifetime = (token.expires_at - now).to_std().unwrap_or(Duration::ZERO);
        crate::time::earlier(token.expires_at, self.margin.min(lifetime / 2))
    }

    /// Drops the cached token if it is `stale` (refused by the service before its
    /// time): the next call refreshes. A token refreshed meanwhile is kept.
    pub fn invalidate(&self, stale: &Secret) {
        let mut state = self.lock();
        if state.token.as_ref().is_some_and(|(t, _)| &t.value == stale) {
            state.token = None;
        }
    }

    /// When the cached token expires, if there is one.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.lock().token.as_ref().map(|(t, _)| t.expires_at)
    }

    /// How many refreshes were started.
    pub fn refreshes(&self) -> u64 {
        self.lock().refreshes
    }
}

/// Ends a refresh its caller stopped waiting for, so the next caller runs one.
struct Refreshing<'a> {
    cache: &'a TokenCache,
    done: bool,
}

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut state = self.cache.lock();
            state.refreshing = false;
            state.generation += 1;
            for waker in state.waiters.drain(..) {
                waker.wake();
            }
        }
    }
}

/// Waits until the refresh in flight at `generation` ends.
struct Wait<'a> {
    cache: &'a TokenCache,
    generation: u64,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.cache.lock();
        if state.generation != self.generation {
            Poll::Ready(())
        } else {
            state.waiters.push(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// [`TokenCache`]s by key: Restricted Data Tokens by the resource Amazon scoped them
/// to. Entries whose token expired are dropped as new ones come, past a few hundred.
pub struct KeyedTokenCache<K> {
    margin: Duration,
    entries: Mutex<HashMap<K, Arc<TokenCache>>>,
}

impl<K> fmt::Debug for KeyedTokenCache<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("KeyedTokenCache")
            .field("margin", &self.margin)
            .field("entries", &len)
            .finish()
    }
}

/// Entries kept before expired ones are dropped.
const KEEP_ENTRIES: usize = 256;

impl<K: Eq + Hash + Clone> KeyedTokenCache<K> {
    /// An empty cache whose entries renew `margin` before expiry.
    pub fn new(margin: Duration) -> Self {
        KeyedTokenCache {
            margin,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cache of `key`, made when new.
    pub fn entry(&self, key: &K, now: DateTime<Utc>) -> Arc<TokenCache> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cache) = entries.get(key) {
            return cache.clone();
        }
        if entries.len() >= KEEP_ENTRIES {
            entries.retain(|_, cache| {
                let state = cache.lock();
                state.refreshing
                    || state
                        .token
                        .as_ref()
                        .is_some_and(|(t, _)| now < t.expires_at)
            });
        }
        let cache = Arc::new(TokenCache::new(self.margin));
        entries.insert(key.clone(), cache.clone());
        cache
    }

    /// How many keys have a cache.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// `true` when no key has a cache.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A rate limit of `rate` requests a second with a burst of `burst` (a generic cell
/// rate algorithm): [`TokenBucket::take`] says how long to wait before the next
/// request may go. The Tokens API's is 1 a second, burst 10.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use avc_order_sync::auth::TokenBucket;
/// let bucket = TokenBucket::new(1, 2);
/// let now = "2026-11-27T08:00:00Z".parse()?;
/// assert_eq!(bucket.take(now), Duration::ZERO);
/// assert_eq!(bucket.take(now), Duration::ZERO);
/// assert_eq!(bucket.take(now), Duration::from_secs(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TokenBucket {
    interval: Duration,
    tolerance: Duration,
    /// The theoretical arrival time of the next request.
    next: Mutex<Option<DateTime<Utc>>>,
}

impl TokenBucket {
    /// `rate` requests a second (at least 1), bursts of `burst` (at least 1).
    pub fn new(rate: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(1) / rate.max(1);
        TokenBucket {
            interval,
            tolerance: interval * (burst.max(1) - 1),
            next: Mutex::new(None),
        }
    }

    /// Takes a request's place at `now`; returns how long it must wait before it goes
    /// (zero within the burst).
    pub fn take(&self, now: DateTime<Utc>) -> Duration {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let arrival = next.map_or(now, |t| t.max(now));
        let allowed_at = crate::time::earlier(arrival, self.tolerance);
        let wait = (allowed_at - now).to_std().unwrap_or(Duration::ZERO);
        *next = Some(crate::time::later(arrival, self.interval));
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ManualClock;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn many_waiting_callers_share_one_refresh() {
        let clock = ManualClock::new(at("2026-11-27T08:00:00Z"));
        let cache = TokenCache::new(Duration::from_secs(60));
        let calls = AtomicU32::new(0);
        let results = block_on(async {
            let refresh = || async {
                calls.fetch_add(1, Ordering::SeqCst);
                // Stay in flight while the other callers come.
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                Ok(AccessToken {
                    value: Secret::new("Atza|shared"),
                    expires_at: at("2026-11-27T09:00:00Z"),
                })
            };
            futures_join_all((0..8).map(|_| cache.token(&clock, refresh)).collect()).await
        });
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.refreshes(), 1);
        for result in results {
            assert_eq!(result.unwrap().expose(), "Atza|shared");
        }
    }

    /// Polls every future to completion on one task (no extra dependency).
    async fn futures_join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
        let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
        let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut pending = false;
            for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
                if output.is_none() {
                    match future.as_mut().poll(cx) {
                        Poll::Ready(value) => *output = Some(value),
                        Poll::Pending => pending = true,
                    }
                }
            }
            if pending {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        outputs.into_iter().flatten().collect()
    }

    #[test]
    fn a_refused_refresh_is_shared_with_its_waiters_held_a_while_then_tried_again() {
        let clock = ManualClock::new(at("2026-11-27T08:00:00Z"));
        let cache = TokenCache::new(Duration::from_secs(60));
        let calls = AtomicU32::new(0);
        let refused = AuthError::Refused {
            service: super::super::AuthService::LoginWithAmazon,
            code: "invalid_grant".into(),
            description: None,
        };
        let results = block_on(async {
            let refresh = || async {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Err(refused.clone())
            };
            futures_join_all((0..4).map(|_| cache.token(&clock, refresh)).collect()).await
        });
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(results.iter().all(|r| r.as_ref().unwrap_err() == &refused));
        // Within the hold the refusal is answered from memory, without a refresh.
        clock.advance(Duration::from_secs(59));
        let held = block_on(cache.token(&clock, || async { unreachable!("held") }));
        assert_eq!(held.unwrap_err(), refused);
        assert_eq!(cache.refreshes(), 1);
        clock.advance(Duration::from_secs(1));
        let again = block_on(cache.token(&clock, || async {
            Ok(AccessToken {
                value: Secret::new("Atza|2"),
                expires_at: at("2026-11-27T09:00:00Z"),
            })
        }));
        assert_eq!(again.unwrap().expose(), "Atza|2");
    }

    #[test]
    fn a_failure_that_may_pass_is_not_held() {
        let clock = ManualClock::new(at("2026-11-27T08:00:00Z"));
        let cache = TokenCache::new(Duration::from_secs(60));
        let unavailable = AuthError::Unavailable {
            service: super::super::AuthService::LoginWithAmazon,
            status: 503,
            retry_after: None,
        };
        let first = block_on(cache.token(&clock, || async { Err(unavailable.clone()) }));
        assert_eq!(first.unwrap_err(), unavailable);
        let second = block_on(cache.token(&clock, || async {
            Ok(AccessToken {
                value: Secret::new("Atza|after"),
                expires_at: at("2026-11-27T09:00:00Z"),
            })
        }));
        assert_eq!(second.unwrap().expose(), "Atza|after");
        assert_eq!(cache.refreshes(), 2);
    }

    #[test]
    fn tokens_renew_ahead_of_expiry_and_when_refused() {
        let clock = ManualClock::new(at("2026-11-27T08:00:00Z"));
        let cache = TokenCache::new(Duration::from_secs(300));
        let n = AtomicU32::new(0);
        let refresh = || async {
            let n = n.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(AccessToken {
                value: Secret::new(format!("t{n}")),
                expires_at: crate::time::later(clock.now(), Duration::from_secs(3600)),
            })
        };
        assert_eq!(
            block_on(cache.token(&clock, refresh)).unwrap().expose(),
            "t1"
        );
        clock.advance(Duration::from_secs(3299));
        assert_eq!(
            block_on(cache.token(&clock, refresh)).unwrap().expose(),
            "t1"
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            block_on(cache.token(&clock, refresh)).unwrap().expose(),
            "t2"
        );
        cache.invalidate(&Secret::new("t1"));
        assert_eq!(
            block_on(cache.token(&clock, refresh)).unwrap().expose(),
            "t2"
        );
        cache.invalidate(&Secret::new("t2"));
        assert_eq!(
            block_on(cache.token(&clock, refresh)).unwrap().expose(),
            "t3"
        );
        // A token shorter-lived than twice the margin renews at half its life.
        let short = TokenCache::new(Duration::from_secs(300));
        let brief = || async {
            Ok(AccessToken {
                value: Secret::new("brief"),
                expires_at: crate::time::later(clock.now(), Duration::from_secs(60)),
            })
        };
        block_on(short.token(&clock, brief)).unwrap();
        clock.advance(Duration::from_secs(29));
        block_on(short.token(&clock, brief)).unwrap();
        assert_eq!(short.refreshes(), 1);
        clock.advance(Duration::from_secs(1));
        block_on(short.token(&clock, brief)).unwrap();
        assert_eq!(short.refreshes(), 2);
        assert!(!format!("{short:?}").contains("brief"));
    }

    #[test]
    fn an_abandoned_refresh_hands_on_to_the_next_caller() {
        let clock = ManualClock::new(at("2026-11-27T08:00:00Z"));
        let cache = TokenCache::new(Duration::from_secs(60));
        block_on(async {
            let mut stuck = Box::pin(cache.token(&clock, std::future::pending));
            assert!(futures_poll_once(stuck.as_mut()).await.is_none());
            drop(stuck);
        });
        let token = block_on(cache.token(&clock, || async {
            Ok(AccessToken {
                value: Secret::new("after"),
                expires_at: at("2026-11-27T09:00:00Z"),
            })
        }));
        assert_eq!(token.unwrap().expose(), "after");
    }

    async fn futures_poll_once<F: Future + Unpin>(mut future: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| match Pin::new(&mut future).poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending => Poll::Ready(None),
        })
        .await
    }

    #[test]
    fn the_bucket_allows_the_burst_then_one_a_second() {
        let bucket = TokenBucket::new(1, 10);
        let now = at("2026-11-27T08:00:00Z");
        for _ in 0..10 {
            assert_eq!(bucket.take(now), Duration::ZERO);
        }
        assert_eq!(bucket.take(now), Duration::from_secs(1));
        assert_eq!(bucket.take(now), Duration::from_secs(2));
        // After a quiet minute the burst is back.
        let later = at("2026-11-27T08:01:00Z");
        for _ in 0..10 {
            assert_eq!(bucket.take(later), Duration::ZERO);
        }
        assert_eq!(bucket.take(later), Duration::from_secs(1));
    }

    #[test]
    fn keyed_caches_are_one_per_key() {
        let keyed: KeyedTokenCache<String> = KeyedTokenCache::new(Duration::from_secs(60));
        let now = at("2026-11-27T08:00:00Z");
        let a = keyed.entry(&"a".into(), now);
        let a2 = keyed.entry(&"a".into(), now);
        let b = keyed.entry(&"b".into(), now);
        assert!(Arc::ptr_eq(&a, &a2));
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(keyed.len(), 2);
    }
}
