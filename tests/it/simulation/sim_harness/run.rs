//! Running a seed: the engines, the calm that settles them, and the twin runs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use avc_order_sync::lifecycle::{Attention, OrderState};
use avc_order_sync::{Clock, NetSuiteStatus, Program};
use avc_order_sync::{CycleReport, Engine, EngineError, OperatorAction};
use avc_order_sync::{OrderKey, OrderStore, StoredOrder};

use super::calls::accepted_eaches;
use super::checks::check;
use super::drive::{Driven, Task, drive, drive_one};
use super::random::seeded;
use super::seed::{Finding, Knobs, Outcome};
use super::world::World;

/// The engines of a run, rebuilt from the store whenever one crashes.
pub struct Engines {
    world: Arc<World>,
    engines: Vec<Engine>,
    pub crashes: usize,
    pub cycles: usize,
}

impl Engines {
    pub fn new(world: &Arc<World>, count: usize) -> Self {
        Engines {
            world: world.clone(),
            engines: (0..count).map(|i| world.engine(i)).collect(),
            crashes: 0,
            cycles: 0,
        }
    }

    /// One cycle of every engine, interleaved. Returns the reports of the cycles that
    /// finished.
    pub fn cycle(&mut self) -> Vec<CycleReport> {
        let tasks: Vec<Task<'_, Result<CycleReport, EngineError>>> = self
            .engines
            .iter()
            .map(|e| Box::pin(e.run_cycle()) as Task<'_, _>)
            .collect();
        let results = drive(&self.world, tasks);
        self.cycles += 1;
        let mut reports = Vec::new();
        let mut crashed = Vec::new();
        for (index, result) in results.into_iter().enumerate() {
            match result {
                Driven::Done(Ok(report)) => {
                    self.world.verbose(|| format!("engine {index}: {report}"));
                    // An event the order's state does not take is an answer the engine
                    // applied to an order that had moved on (another worker's, or a
                    // stale command's): whatever the interleaving, the engine must
                    // tell those apart, not report them.
                    for error in &report.errors {
                        if error.contains("does not fit state") {
                            self.world
                                .report(Finding::Violation, format!("engine {index}: {error}"));
                        }
                    }
                    reports.push(report)
                }
                Driven::Done(Err(e)) => self
                    .world
                    .trace(format!("engine {index}: cycle failed: {e}")),
                Driven::Crashed => crashed.push(index),
                Driven::Stuck => self.world.report(
                    Finding::Violation,
                    format!("engine {index}: a cycle neither finished nor crashed"),
                ),
            }
        }
        for index in crashed {
            self.world
                .trace(format!("engine {index}: crashed, rebuilt from the store"));
            self.crashes += 1;
            self.engines[index] = self.world.engine(index);
        }
        reports
    }

    /// An operator's action through engine 0.
    pub fn act(&mut self, key: &OrderKey, action: OperatorAction) {
        self.world.trace(format!("operator: {action:?} on {key}"));
        let engine = &self.engines[0];
        match drive_one(&self.world, engine.act(key, action)) {
            Driven::Done(Ok(_)) => {}
            Driven::Done(Err(e)) => self.world.trace(format!("operator: refused: {e}")),
            Driven::Crashed => {
                self.crashes += 1;
                self.engines[0] = self.world.engine(0);
            }
            Driven::Stuck => self.world.report(
                Finding::Violation,
                format!("{key}: an operator action neither finished nor crashed"),
            ),
        }
    }
}

pub(super) fn stored(world: &World) -> Vec<(OrderKey, StoredOrder)> {
    world.store.snapshot().unwrap()
}

/// After the faults: the reviewer approves what waits for approval (fixing what
/// Amazon's rules refused), and the operator retries, reposts and releases what
/// waits for a person. Returns whether anyone did anything.
fn settle_people(world: &Arc<World>, engines: &mut Engines) -> bool {
    let mut acted = false;
    for (key, stored) in stored(world) {
        let id = stored.record.external_id().clone();
        let so = world.netsuite.snapshot(&id);
        let action = match stored.record.state() {
            // An operator re-fetches an order the sync could not read once Vendor
            // Central shows it readable.
            OrderState::ExpectFix {
                attention: Attention::Unreadable { .. },
            } => world
                .amazon_po(key.program, key.number.as_str())
                .map(|_| OperatorAction::Refetch),
            // A compliance hold (an update after Amazon's window, say): a person
            // decides to send it anyway.
            OrderState::ExpectFix {
                attention: Attention::Mapping { problems, .. },
            } if problems.iter().any(|p| p.kind.is_compliance()) => {
                confirm_compliance(world, &key, problems);
                Some(OperatorAction::RetryNow)
            }
            OrderState::ExpectApproval { problems }
                if !problems.is_empty() && problems.iter().all(|p| p.kind.is_compliance()) =>
            {
                confirm_compliance(world, &key, problems);
                Some(OperatorAction::RetryNow)
            }
            OrderState::ExpectFix { .. } => Some(OperatorAction::RetryNow),
            OrderState::ExpectRepost { .. } | OrderState::ExpectChangeReview => {
                Some(OperatorAction::Repost)
            }
            OrderState::Held { .. } => Some(OperatorAction::Release),
            OrderState::ExpectApproval { problems } => {
                let Some(so) = so else { continue };
                if problems.is_empty() && so.status != NetSuiteStatus::PendingApproval {
                    // Approved; the engine reads it at its next poll.
                    continue;
                }
                let po = stored.record.purchase_order();
                let mut st = world.lock();
                // Bring every line within what Amazon orders now, in whole cases.
                for line in &so.lines {
                    let Some(sequence) = &line.sequence else {
                        continue;
                    };
                    let Some(po_line) = po.lines.iter().find(|l| &l.sequence == sequence) else {
                        continue;
                    };
                    let case = po_line.ordered.unit_size.max(1);
                    let ordered = po_line.ordered.eaches().unwrap_or(0);
                    let allowed = line.quantity.min(ordered) / case * case;
                    if line.is_closed {
                        continue;
                    }
                    let whole_df = po.program == Program::DirectFulfillment
                        && so.lines.iter().any(|l| l.is_closed);
                    if allowed == 0 || whole_df {
                        st.closed_lines
                            .insert((id.to_string(), sequence.to_string()));
                        let _ = world.netsuite.close_line(&id, sequence);
                    } else if allowed != line.quantity {
                        let _ = world.netsuite.set_line_quantity(&id, sequence, allowed);
                    }
                }
                world.note(&mut st, format!("reviewer: fixes and approves {id}"));
                let _ = world.netsuite.approve(&id);
                acted = true;
                None
            }
            _ => None,
        };
        if let Some(action) = action {
            engines.act(&key, action);
            acted = true;
        }
    }
    // Sales orders still pending approval whose order no longer waits for review
    // (Amazon ended it meanwhile) are left as they are.
    acted
}

/// Notes that a person confirmed a compliance hold on the order, from now on.
fn confirm_compliance(world: &World, key: &OrderKey, problems: &[avc_order_sync::Problem]) {
    let now = world.clock.now();
    let mut st = world.lock();
    st.compliance_confirmed
        .entry(key.number.to_string())
        .or_insert(now);
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    world.note(
        &mut st,
        format!("operator: confirms the compliance hold on {key}: {shown:?}"),
    );
}

/// Runs one seed: faults, then calm until nothing is due, then the checks.
pub fn run_seed(seed: u64, verbose: bool) -> Outcome {
    let mut rng = seeded(seed);
    let knobs = Knobs::from_seed(&mut rng);
    let world = World::new(seed, knobs.clone(), rng, verbose);
    world.trace(format!("seed {}: {knobs:?}", world.seed));
    let mut engines = Engines::new(&world, if knobs.two_engines { 2 } else { 1 });

    for i in 0..knobs.fault_cycles {
        world.begin_outage(i);
        engines.cycle();
        world.between_cycles();
    }

    world.set_faults(false);
    {
        let mut st = world.lock();
        st.skews = [TimeDelta::zero(); 2];
    }
    world.trace("faults stop");
    settle(&world, &mut engines);
    let mut outcome = check(&world);
    outcome.crashes = engines.crashes;
    outcome.cycles = engines.cycles;
    let (findings, traces) = run_twins(seed, verbose);
    outcome.findings.extend(findings);
    outcome.trace.extend(traces);
    outcome
}

/// Runs the seed's world calm (no fault, the world acting only between cycles)
/// twice: with one engine, and with two engines sharing the store, their calls
/// interleaved. Both runs must pass the checks and end every order the same way:
/// two engines on one store do the work of one, by compare-and-set, not by luck.
pub fn run_twins(seed: u64, verbose: bool) -> (Vec<(Finding, String)>, Vec<String>) {
    let mut rng = seeded(seed);
    let knobs = Knobs::from_seed(&mut rng);
    let mut findings = Vec::new();
    let mut ends = Vec::new();
    let mut traces = Vec::new();
    for engines in [1, 2] {
        let world = World::new(seed, knobs.calm(engines), rng.clone(), verbose);
        world.set_faults(false);
        let mut run = Engines::new(&world, engines);
        for i in 0..knobs.fault_cycles {
            world.begin_outage(i);
            run.cycle();
            world.between_cycles();
        }
        settle(&world, &mut run);
        findings.extend(
            check(&world)
                .findings
                .into_iter()
                .map(|(f, text)| (f, format!("calm, {engines} engine(s): {text}"))),
        );
        ends.push(ends_of(&world));
        if verbose {
            traces.push(format!("---- calm run with {engines} engine(s)"));
            traces.extend(world.lock().trace.clone());
        }
    }
    let (one, two) = (&ends[0], &ends[1]);
    for key in one.keys().chain(two.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (one.get(key), two.get(key));
        if a != b {
            findings.push((
                Finding::Violation,
                format!(
                    "{key} ended otherwise with two engines: one engine: {}; two engines: {}",
                    a.map_or("unknown", String::as_str),
                    b.map_or("unknown", String::as_str)
                ),
            ));
        }
    }
    (findings, traces)
}

/// How every order ended: its status, its sales order's status and lines, and what
/// its confirmed acknowledgement accepted. (Not how many acknowledgements were sent:
/// how they are batched differs with the engines.)
fn ends_of(world: &World) -> BTreeMap<String, String> {
    let mut ends = BTreeMap::new();
    for (key, stored) in stored(world) {
        let record = &stored.record;
        let mut text = record.status_label().to_owned();
        if let Some(so) = world.netsuite.snapshot(record.external_id()) {
            text.push_str(&format!("; NetSuite {}", so.status.letter()));
            for line in &so.lines {
                text.push_str(&format!(
                    " {}:{}{}",
                    line.sequence.as_ref().map_or("-", |s| s.as_str()),
                    line.quantity,
                    if line.is_closed { " closed" } else { "" }
                ));
            }
        }
        if let Some(confirmed) = record.confirmed_acknowledgement() {
            text.push_str(&format!(
                "; confirmed accepting {:?}",
                accepted_eaches(&confirmed.acknowledgement)
            ));
        }
        ends.insert(key.to_string(), text);
    }
    ends
}

/// When a deep sweep has run that finds every order Amazon listed late: for each,
/// the first run of the shortest sweep reaching back to its date that starts once
/// the order is listed and the calm has begun, at most a period later (and an hour
/// for the cycle that runs it).
/// Those orders are kept as the ones the checks require found.
fn swept_by(world: &World) -> DateTime<Utc> {
    let now = world.clock.now();
    let mut st = world.lock();
    let mut sweeps = world.config.deep_sweeps.clone();
    sweeps.sort_by_key(|s| s.every);
    let span = |d: Duration| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
    let mut by = now;
    for order in st.listed_late.clone() {
        let from = order.listed_from.max(now);
        let reached = sweeps.iter().find_map(|s| {
            let run = from + span(s.every) + TimeDelta::hours(1);
            (run - span(s.lookback) + TimeDelta::hours(1) <= order.placed).then_some(run)
        });
        if let Some(run) = reached {
            by = by.max(run);
            st.within_sweeps.insert((order.program, order.number));
        }
    }
    by
}

/// Whether every order Amazon listed late that a sweep must find is in the store: the
/// calm need not wait for the bound then (the checks still require them found).
fn all_late_found(world: &World) -> bool {
    let within = world.lock().within_sweeps.clone();
    let stored: BTreeSet<(Program, String)> = stored(world)
        .into_iter()
        .map(|(key, _)| (key.program, key.number.as_str().to_owned()))
        .collect();
    within.is_subset(&stored)
}

/// Cycles without faults until nothing is due and nobody has anything to do, at most
/// a bounded number of times.
fn settle(world: &Arc<World>, engines: &mut Engines) {
    let mut quiet = 0;
    // Amazon's cancellations of accepted Direct Fulfillment orders are read by a check
    // that runs once per interval, with no wake-up in the store: calm lasts at least
    // one interval past the faults.
    let checked_by = world.clock.now()
        + TimeDelta::from_std(world.config.cancellation_check_interval).unwrap_or_default()
        + TimeDelta::minutes(1);
    // Orders Amazon listed late are found by a deep sweep that starts after they are
    // listed and after the faults (a sweep cut short by a crash is not resumed by the
    // rebuilt engine): calm lasts until such a sweep has run.
    let swept_by = swept_by(world);
    for _ in 0..150 {
        let reports = engines.cycle();
        let acted = settle_people(world, engines);
        let busy = reports
            .iter()
            .any(|r| !r.is_quiet() || !r.errors.is_empty());
        let next = drive_one(world, world.store.next_wakeup());
        let next = match next {
            Driven::Done(Ok(next)) => next,
            _ => None,
        };
        let now = world.clock.now();
        let swept = now >= swept_by || all_late_found(world);
        if !busy && !acted && next.is_none() && now >= checked_by && swept {
            quiet += 1;
            if quiet >= 2 {
                return;
            }
        } else {
            quiet = 0;
        }
        let idle = if !swept {
            Duration::from_secs(6 * 3600)
        } else {
            Duration::from_secs(600)
        };
        let step = next
            .map(|at| (at - now).to_std().unwrap_or_default())
            .unwrap_or(idle)
            .clamp(Duration::from_secs(60), Duration::from_secs(6 * 3600));
        world.clock.advance(step);
    }
    world.report(
        Finding::Violation,
        "the orders did not settle within 150 calm cycles".to_owned(),
    );
}
