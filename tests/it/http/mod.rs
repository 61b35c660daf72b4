//! The HTTP clients over real sockets, and the simulators served over HTTP.
mod engine_cycle;
pub mod served_simulators;
pub mod socket;
pub mod sp_api_model;
