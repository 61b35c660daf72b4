//! One module per feature.
mod engine_approvals;
mod hostile_input;
mod http_socket;
mod kill_test;
mod lifecycle_flows;
mod lifecycle_record;
mod lifecycle_retries;
mod lifecycle_rules;
mod lifecycle_settings;
mod lifecycle_support;
mod netsuite_wire;
mod sandbox_clients;
mod sandbox_replay;
mod served_simulators;
mod simulators;
mod sqlite_store;
