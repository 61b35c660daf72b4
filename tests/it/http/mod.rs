//! The HTTP clients over real sockets, against the simulators served over HTTP.
//!
//! The server, the transport and Amazon's models are the `http_transport` example's
//! (its `--local` mode serves the same), included here by path.
#[path = "../../../examples/production_transport/credential_check.rs"]
pub mod credential_check;
mod credentials;
mod engine_cycle;
#[path = "../../../examples/http_transport/local.rs"]
pub mod local;
#[path = "../../../examples/production_transport/local_world.rs"]
pub mod local_world;
pub mod served_simulators;
pub mod socket;
#[path = "../../../examples/http_transport/sp_api_model.rs"]
pub mod sp_api_model;
#[path = "../../../examples/http_transport/transport.rs"]
pub mod transport;
/// (The example reads a private key from PEM; the tests make theirs.)
#[allow(dead_code)]
#[path = "../../../examples/production_transport/wiring.rs"]
pub mod wiring;
