//! Placeholder, filled in by the lifecycle work.
