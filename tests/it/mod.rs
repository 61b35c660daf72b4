//! One module per feature.
mod netsuite_wire;
