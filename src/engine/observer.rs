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

    /// The machine asked for a person to be told something about the order `key`: see
    /// [`Notice`] for the kinds, each with a `Display` a person can act on and a
    /// [`Notice::slug`] to route it by.
    ///
    /// Each notice is raised once per cause (the order's record keeps what was
    /// raised), after the record that raised it is saved; the engine forwards it and
    /// decides nothing. A crash between the save and this call loses the notice rather
    /// than repeating it, so an implementation that must not miss one SHOULD also read
    /// the orders that need a person from the store.
    ///
    /// Notices are per order. Credentials refused while working on orders raise
    /// [`Notice::CredentialsRefused`] on each order whose command ran out of attempts,
    /// naming the service: group them by slug and service to alert once. A refusal
    /// while listing orders belongs to no order: it reaches [`Observer::call`] and the
    /// cycle's report, not this method.
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
