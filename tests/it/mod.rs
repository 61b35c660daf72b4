//! One module per feature.

mod lifecycle_flows;
mod lifecycle_record;
mod lifecycle_retries;
mod lifecycle_rules;
mod lifecycle_settings;
mod lifecycle_support;
