//! One module per feature.
mod netsuite_wire;
mod sandbox_replay;
