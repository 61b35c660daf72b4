//! Randomness: the crate's SplitMix64, the same on every platform.

pub use avc_order_sync::testing::SplitMix64 as Rng;

/// The generator of one seed's stream (kept apart from other uses of the same seed).
pub fn seeded(seed: u64) -> Rng {
    Rng::new(seed ^ 0x6A09_E667_F3BC_C908)
}
