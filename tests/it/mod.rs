//! One module per feature.
mod fault_simulation;
mod fault_simulation_stories;
mod hostile_input;
mod http_socket;
mod lifecycle_flows;
mod lifecycle_record;
mod lifecycle_retries;
mod lifecycle_rules;
mod lifecycle_settings;
mod lifecycle_support;
mod netsuite_wire;
mod sandbox_clients;
mod sandbox_replay;
mod sim_harness;
mod simulators;
