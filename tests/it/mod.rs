//! One module per feature.
mod sandbox_replay;
