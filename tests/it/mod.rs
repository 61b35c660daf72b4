//! One module per feature.

mod lifecycle_flows;
mod lifecycle_support;
