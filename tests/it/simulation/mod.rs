//! The simulators, their conformance to Amazon's models, and the fault simulation.
mod conformance;
mod fault_simulation;
pub mod sim_harness;
mod simulators;
mod stories;
