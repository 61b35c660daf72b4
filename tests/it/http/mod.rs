//! The HTTP clients over real sockets, against the simulators served over HTTP.
//!
//! The server, the transport and Amazon's models are the `http_transport` example's
//! (its `--local` mode serves the same), included here by path.
mod engine_cycle;
#[path = "../../../examples/http_transport/local.rs"]
pub mod local;
pub mod served_simulators;
pub mod socket;
#[path = "../../../examples/http_transport/sp_api_model.rs"]
pub mod sp_api_model;
#[path = "../../../examples/http_transport/transport.rs"]
pub mod transport;
