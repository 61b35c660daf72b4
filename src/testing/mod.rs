//! In-memory Vendor Central and NetSuite simulators, and a manual clock, for tests of
//! an integration's wiring. Enabled by the `testing` feature.

mod clock;
pub mod orders;
mod rng;

pub use clock::ManualClock;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a simulator's state. A panic in another test thread while it held the lock
/// leaves the state as it was; the simulators never leave it half-changed, so the
/// poison is ignored rather than turned into a second panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
