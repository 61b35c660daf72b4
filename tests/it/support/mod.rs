//! What the tests share: building engines and lifecycles over the simulators.
pub mod engine;
pub mod lifecycle;
