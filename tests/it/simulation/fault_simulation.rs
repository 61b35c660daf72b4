//! Deterministic fault simulation: the engine against the simulators with faults at
//! every call, then the invariants a vendor's revenue rides on.
//!
//! `cargo test fault_simulation -- --nocapture` runs 1,000 seeds and prints
//! `simulated N seeds: D duplicate sales orders, L lost orders, A duplicate
//! acknowledgements, V invariant violations`. `AVC_SIM_SEEDS=N` runs N seeds
//! (from seed 0, or from `AVC_SIM_FIRST`); `AVC_SIM_SEED=N` replays one seed alone
//! and prints its trace. See RELIABILITY.md.

use super::sim_harness::{Finding, Outcome, run_seed};

const DEFAULT_SEEDS: u64 = 1_000;

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    match text.trim().parse() {
        Ok(n) => Some(n),
        Err(e) => panic!("{name}={text:?} is not a number: {e}"),
    }
}

fn seeds() -> Vec<u64> {
    if let Some(seed) = env_u64("AVC_SIM_SEED") {
        return vec![seed];
    }
    let first = env_u64("AVC_SIM_FIRST").unwrap_or(0);
    let count = env_u64("AVC_SIM_SEEDS").unwrap_or(DEFAULT_SEEDS);
    (first..first.saturating_add(count)).collect()
}

/// Runs the seeds on up to four threads (each seed is deterministic on its own, so
/// the figures do not depend on how they are shared out).
fn run_all(seeds: &[u64], verbose: bool) -> Vec<(u64, Outcome)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let chunks: Vec<Vec<u64>> = (0..threads)
        .map(|t| seeds.iter().copied().skip(t).step_by(threads).collect())
        .collect();
    let mut outcomes: Vec<(u64, Outcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|seed| (seed, run_seed(seed, verbose)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    outcomes.sort_by_key(|(seed, _)| *seed);
    outcomes
}

#[test]
fn fault_simulation_of_every_seed() {
    let seeds = seeds();
    let replay = seeds.len() == 1;
    let outcomes = run_all(&seeds, replay);
    let total = |f: Finding| -> usize { outcomes.iter().map(|(_, o)| o.count(f)).sum() };
    let (d, l, a, v) = (
        total(Finding::DuplicateSalesOrder),
        total(Finding::LostOrder),
        total(Finding::DuplicateAcknowledgement),
        total(Finding::Violation),
    );
    let crashes: usize = outcomes.iter().map(|(_, o)| o.crashes).sum();
    let faults: usize = outcomes.iter().map(|(_, o)| o.faults).sum();
    let cycles: usize = outcomes.iter().map(|(_, o)| o.cycles).sum();
    let before: usize = outcomes.iter().map(|(_, o)| o.before_the_start).sum();
    let late: usize = outcomes.iter().map(|(_, o)| o.listed_late).sum();
    let swept: usize = outcomes.iter().map(|(_, o)| o.found_by_sweep).sum();
    let resent: usize = outcomes
        .iter()
        .map(|(_, o)| o.resent_after_failed_transaction)
        .sum();
    println!(
        "simulated {} seeds: {d} duplicate sales orders, {l} lost orders, {a} duplicate acknowledgements, {v} invariant violations",
        seeds.len()
    );
    println!(
        "  ({cycles} cycles, {faults} injected call failures, {crashes} crashes, {resent} acknowledgements resent after a lost answer to a failed transaction, {before} orders placed before the sync's start, {late} orders Amazon listed late in an outage, {swept} of them found by a deep sweep)"
    );
    if replay {
        for (seed, outcome) in &outcomes {
            println!("trace of seed {seed}:");
            for line in &outcome.trace {
                println!("  {line}");
            }
        }
    }
    let failing: Vec<&(u64, Outcome)> = outcomes
        .iter()
        .filter(|(_, o)| !o.findings.is_empty())
        .collect();
    if !failing.is_empty() {
        println!(
            "{} failing seed(s); replay one with AVC_SIM_SEED=<seed> cargo test fault_simulation -- --nocapture",
            failing.len()
        );
        for (seed, outcome) in failing.iter().take(20) {
            println!("seed {seed}:");
            for (finding, text) in outcome.findings.iter().take(5) {
                println!("  {finding:?}: {text}");
            }
        }
        panic!(
            "fault simulation found problems in {} seed(s), first seed {}",
            failing.len(),
            failing[0].0
        );
    }
}
