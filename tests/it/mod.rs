//! One module per feature.
