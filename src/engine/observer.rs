//! A hook for the integrator's logs and metrics: every transition and every call.

use std::time::Duration;

use crate::client::ClientError;
use crate::lifecycle::{EventKind, Notice, StateKind};
use crate::store::OrderKey;

use super::SkippedSpan;

/// Sees what the engine does, so it reaches the integrator's logs and metrics without
/// a logging dependency in the library. Every method has an empty default.
///
/// Implementations MUST NOT block for long (they run inside a cycle) and MUST NOT
/// panic. What they are given holds no personal data: no Direct Fulfillment
/// ship-to names, address lines or phones.
pub trait Observer: Send + Sync {
    /// An order moved from one state to another (or stayed, with new data).
    fn transition(&self, key: &OrderKey, event: EventKind, from: StateKind, to: StateKind) {
        let _ = (key, event, from, to);
    }

    /// A call to Amazon or NetSuite ended. `outcome` is the error when it failed.
    fn call(&self, operation: &str, elapsed: Duration, outcome: Result<(), &ClientError>) {
        let _ = (operation, elapsed, outcome);
    }

    /// The machine asked for a person to be told something.
    fn notice(&self, key: &OrderKey, notice: &Notice) {
        let _ = (key, notice);
    }

    /// A retrieval skipped a span Amazon no longer lists (a stop longer than six
    /// months): orders in it are not retrieved, and a person should look for them in
    /// Vendor Central.
    fn skipped(&self, span: &SkippedSpan) {
        let _ = span;
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}
