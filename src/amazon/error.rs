//! Placeholder, filled in by the wire-model work.
