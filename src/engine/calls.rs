//! Calls and pacing: every client call goes through here, under Amazon's rate limits.

use super::*;

impl Engine {
    /// Waits for a token of Amazon's rate limit for `operation`.
    pub(super) async fn pace(&self, operation: &'static str) {
        loop {
            let now = self.clock.now();
            let wait = {
                let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
                let bucket = buckets.entry(operation).or_insert_with(|| {
                    TokenBucket::new(self.config.amazon_rate_per_second, self.config.amazon_burst)
                });
                bucket.try_take(now)
            };
            match wait {
                Ok(()) => break,
                Err(wait) => self.clock.sleep(wait).await,
            }
        }
        if !self.config.shared_rate_budget {
            return;
        }
        loop {
            let now = self.clock.now();
            match self
                .store
                .take_from_budget(
                    operation,
                    now,
                    self.config.amazon_rate_per_second,
                    self.config.amazon_burst,
                )
                .await
            {
                Ok(None) => return,
                Ok(Some(wait)) => self.clock.sleep(wait).await,
                // The store is down: the worker's own pacing above still holds, and
                // the cycle's next store call reports the failure.
                Err(_) => return,
            }
        }
    }

    /// Makes one call, counting it and telling the observer.
    pub(super) async fn call<T>(
        &self,
        cycle: &Cycle,
        operation: &'static str,
        amazon: bool,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        if amazon {
            self.pace(operation).await;
        }
        let started = self.clock.now();
        let result = call.await;
        let elapsed = (self.clock.now() - started).to_std().unwrap_or_default();
        self.observer
            .call(operation, elapsed, result.as_ref().map(|_| ()));
        cycle.with(|s| {
            *s.report.calls.entry(operation.to_owned()).or_default() += 1;
            if result.is_err() {
                *s.report
                    .failed_calls
                    .entry(operation.to_owned())
                    .or_default() += 1;
            }
        });
        result
    }
}
