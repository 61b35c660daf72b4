//! What one seed decides: the world's shape and hostility, and what a run found.

use std::time::Duration;

use avc_order_sync::settings::ChangedAfterAcknowledgementPolicy;
use avc_order_sync::testing::RateLimit;

use super::random::{Rng, seeded};

/// The shape of one seed's world and how hostile it is. Probabilities are per mille,
/// per call.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// Two engines share the store, their cycles interleaved call by call.
    pub two_engines: bool,
    pub auto_retail: bool,
    pub auto_direct_fulfillment: bool,
    pub policy: ChangedAfterAcknowledgementPolicy,
    /// Orders Amazon holds at the start, and the most it ever holds.
    pub initial_orders: usize,
    pub max_orders: usize,
    /// Cycles with faults, before the world calms down.
    pub fault_cycles: usize,
    pub page_limit: u32,
    pub shuffle_pages: bool,
    pub overlapping_pages: bool,
    /// A tighter usage plan for Amazon's listing and acknowledgement operations.
    pub amazon_rate_limit: Option<RateLimit>,
    pub netsuite_limit: usize,
    pub engine_concurrency: usize,
    pub latency: Duration,
    pub processing_time: Duration,
    pub max_attempts: u32,
    pub before_effect: u32,
    pub after_effect: u32,
    pub crash: u32,
    pub store_error: u32,
    pub world_action: u32,
    pub yield_chance: u32,
    /// Engine clocks may be set off true time by up to this much, either way.
    pub max_skew: Duration,
    /// No usage plan or concurrency limit at all, so no call is refused or paced.
    pub unpaced: bool,
    /// Orders someone acknowledged (retail) or accepted (Direct Fulfillment) in Vendor
    /// Central before the sync first lists them, per mille of orders placed.
    pub acknowledged_elsewhere: u32,
    /// Orders Amazon lists unreadable (two lines with one `itemSequenceNumber`), per
    /// mille of orders placed; Amazon corrects a retail one later, now and then. As
    /// often, an entry whose PO number cannot be read lands among the orders.
    pub unreadable: u32,
    /// Failed transactions answer as Amazon's do, with messages that name no order.
    pub failures_as_amazon: bool,
    /// Direct Fulfillment transactions never report `Success` (Amazon's older guide).
    pub df_success_never_reported: bool,
    /// An outage of Amazon's listings: it begins before this fault cycle and lasts
    /// this long; every order placed meanwhile is listed only once it is over.
    pub outage: Option<(usize, Duration)>,
}

impl Knobs {
    pub fn from_seed(rng: &mut Rng) -> Self {
        let policies = [
            ChangedAfterAcknowledgementPolicy::UpdateSalesOrder,
            ChangedAfterAcknowledgementPolicy::ReviewEachOrder,
            ChangedAfterAcknowledgementPolicy::CancelSalesOrder,
        ];
        let initial_orders = rng.between(1, 5) as usize;
        // A stream of its own too: seeds without an outage keep their world.
        let mut outages = seeded(rng.state() ^ 0x0B7A_6E00_5EED_0002);
        // Drawn from a stream of their own, so the rest of the seed's world stays as
        // it was before these faults existed.
        let mut intake = seeded(rng.state() ^ 0x1A7A_4E00_D0C5_0001);
        let mut knobs = Knobs {
            outage: None,
            acknowledged_elsewhere: intake.below(200) as u32,
            unreadable: intake.below(150) as u32,
            two_engines: rng.chance(400),
            auto_retail: rng.chance(500),
            auto_direct_fulfillment: rng.chance(500),
            policy: *rng.pick(&policies).unwrap_or(&policies[0]),
            initial_orders,
            max_orders: initial_orders + rng.between(2, 4) as usize,
            fault_cycles: rng.between(8, 20) as usize,
            page_limit: rng.between(1, 3) as u32,
            shuffle_pages: rng.chance(500),
            overlapping_pages: rng.chance(500),
            amazon_rate_limit: rng.chance(300).then(|| RateLimit {
                per_second: rng.between(2, 4) as u32,
                burst: rng.between(2, 4) as u32,
            }),
            netsuite_limit: rng.between(1, 3) as usize,
            engine_concurrency: rng.between(1, 4) as usize,
            latency: Duration::from_millis(rng.below(4) * 150),
            processing_time: Duration::from_secs(rng.between(30, 600)),
            max_attempts: if rng.chance(300) { 2 } else { 8 },
            before_effect: rng.below(120) as u32,
            after_effect: rng.below(120) as u32,
            crash: rng.below(25) as u32,
            store_error: rng.below(15) as u32,
            world_action: rng.between(5, 60) as u32,
            yield_chance: 400,
            // Two workers' clocks may differ by up to twice this: within the engine's
            // in-flight grace (5 minutes), as RELIABILITY.md requires.
            max_skew: Duration::from_secs(rng.below(5) * 30),
            unpaced: false,
            failures_as_amazon: rng.chance(500),
            df_success_never_reported: rng.chance(300),
        };
        knobs.outage = outages.chance(200).then(|| {
            (
                outages.between(1, knobs.fault_cycles as u64 - 1) as usize,
                Duration::from_secs(outages.between(3600, 3 * 86_400)),
            )
        });
        knobs
    }

    /// The same world with no fault, nothing acting between two calls, no usage
    /// plan or concurrency limit to pace for, and `engines` engines: what differs
    /// between two such runs is only how many engines share the store.
    pub fn calm(&self, engines: usize) -> Self {
        Knobs {
            two_engines: engines == 2,
            amazon_rate_limit: None,
            latency: Duration::ZERO,
            before_effect: 0,
            after_effect: 0,
            crash: 0,
            store_error: 0,
            world_action: 0,
            max_skew: Duration::ZERO,
            unpaced: true,
            ..self.clone()
        }
    }
}

/// One thing found wrong, sorted into the four figures the simulation prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    DuplicateSalesOrder,
    LostOrder,
    DuplicateAcknowledgement,
    Violation,
}

/// What one seed found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<(Finding, String)>,
    /// Acknowledgements sent again after their answer was lost and Amazon's
    /// transaction for the first copy failed: Amazon applied neither twice (see
    /// RELIABILITY.md).
    pub resent_after_failed_transaction: usize,
    /// POs placed more than the first lookback before the sync first read their
    /// program: outside what it syncs, by design.
    pub before_the_start: usize,
    /// Orders an outage kept out of Amazon's listings for a while, and how many of
    /// them a deep sweep found (the rest the retrieval found, its cursor having
    /// stopped before their date: a long pause, a crash).
    pub listed_late: usize,
    pub found_by_sweep: usize,
    pub crashes: usize,
    pub faults: usize,
    pub cycles: usize,
    pub trace: Vec<String>,
}

impl Outcome {
    pub fn count(&self, finding: Finding) -> usize {
        self.findings.iter().filter(|(f, _)| *f == finding).count()
    }
}
