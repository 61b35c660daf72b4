//! One module per feature.
mod hostile_input;
mod netsuite_wire;
mod sandbox_replay;
mod simulators;
