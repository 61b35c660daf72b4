//! A deterministic fault simulation of the sync engine against the simulators.
//!
//! One seed decides everything: the orders Amazon holds, the settings, the faults at
//! every call, what Amazon and the reviewer do between any two steps, when an engine
//! crashes, and how two engines sharing one store interleave. Nothing reads real
//! time or depends on thread timing: every future is polled by [`drive`] on this
//! thread, the clock is a [`ManualClock`], and randomness is two SplitMix64 streams
//! seeded from the seed (one for the world and its faults, one for how engines
//! interleave). The same seed replays the same run, call for call.
//!
//! [`run_seed`] runs a seed with faults, then calm until nothing is due, then checks
//! the invariants ([`check`]); [`run_twins`] runs its world calm with one engine and
//! with two, which must end every order alike. RELIABILITY.md describes it all.
//!
//! Faults are injected by hooks on the library's decorators around the client traits
//! and the store (`avc_order_sync::testing::intercept`), as an integrator's own
//! transport or database would fail:
//! - a failure before the call had any effect (transient, rate limited, unauthorized);
//! - a failure after the effect took place (the sales order was written, Amazon took
//!   the acknowledgement, the store committed) with the answer lost;
//! - a crash before or after any call: the call never returns, the engine's cycle
//!   future is dropped there, and the engine is rebuilt from the store;
//! - a yield before any call, so two engines polled in turn interleave at every step.
//!
//! The simulators add their own refusals (Amazon's rate limits, NetSuite's

mod acts;
mod calls;
mod checks;
mod decorators;
mod drive;
mod random;
mod run;
mod seed;
mod world;

pub use decorators::{AmazonAnswer, hearing_amazon};
pub use run::run_seed;
pub use seed::{Finding, Outcome};
