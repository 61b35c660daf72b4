//! In-memory Vendor Central and NetSuite simulators, and a manual clock, for tests of
//! an integration's wiring. Enabled by the `testing` feature.
