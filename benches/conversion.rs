//! Placeholder until the conversion benchmarks land.
fn main() {}
