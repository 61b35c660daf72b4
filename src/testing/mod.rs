//! In-memory Vendor Central and NetSuite simulators, and a manual clock, for tests of
//! an integration's wiring. Enabled by the `testing` feature.

mod clock;
mod error;
pub mod orders;
mod rate_limit;
mod rng;
mod script;
mod vendor_central;

pub use clock::ManualClock;
pub use error::SimulatorError;
pub use rate_limit::RateLimit;
pub use script::{FailurePoint, ScriptedFailure};
pub use vendor_central::{
    AcknowledgedLine, AmazonOperation, ReceivedAcknowledgement, VendorCentral,
};

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a simulator's state. A panic in another test thread while it held the lock
/// leaves the state as it was; the simulators never leave it half-changed, so the
/// poison is ignored rather than turned into a second panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
