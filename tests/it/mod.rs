//! One module per feature.
mod hostile_input;
mod http_socket;
mod netsuite_wire;
mod sandbox_clients;
mod sandbox_replay;
