//! What strikes around each call, and what the harness records as calls pass.

use std::time::Duration;

use avc_order_sync::lifecycle::{Approval, OrderRecord, OrderState};
use avc_order_sync::{Acknowledgement, AcknowledgementCode, df_status};
use avc_order_sync::{
    ErrorKind, ItemSequenceNumber, NetSuiteStatus, Program, PurchaseOrder, PurchaseOrderNumber,
    TransactionId, external_id,
};
use avc_order_sync::{InFlight, OrderKey};

use super::drive::{After, Before, CallKind};
use super::seed::Finding;
use super::world::{Built, Sent, World, program_code};

impl World {
    pub(super) fn should_yield(&self) -> bool {
        let mut st = self.lock();
        let chance = st.knobs.yield_chance;
        st.knobs.two_engines && st.sched.chance(chance)
    }

    /// Decides what strikes before a call; the world may act first.
    pub(super) fn before(&self, op: &'static str, kind: CallKind) -> Before {
        let mut st = self.lock();
        if st.crashed {
            return Before::Hang;
        }
        if !st.faults_on {
            return Before::Go;
        }
        let world = st.knobs.world_action;
        if st.rng.chance(world) {
            self.act(&mut st);
        }
        let crash = st.knobs.crash;
        if st.rng.chance(crash) {
            st.crashed = true;
            st.crashes += 1;
            self.note(&mut st, format!("CRASH before {op}"));
            return Before::Hang;
        }
        let chance = match kind {
            CallKind::Store | CallKind::StoreWrite => st.knobs.store_error,
            _ => st.knobs.before_effect,
        };
        if st.rng.chance(chance) {
            st.faults += 1;
            let kind = match kind {
                CallKind::Store | CallKind::StoreWrite => ErrorKind::Transient,
                _ => match st.rng.below(10) {
                    0..=5 => ErrorKind::Transient,
                    6..=8 => ErrorKind::RateLimited {
                        retry_after: st
                            .rng
                            .chance(500)
                            .then(|| Duration::from_secs(st.rng.between(1, 120))),
                    },
                    _ => ErrorKind::Unauthorized,
                },
            };
            self.note(&mut st, format!("fail {op} before its effect: {kind}"));
            return Before::Fail(kind);
        }
        if st.verbose && kind != CallKind::Store {
            self.note(&mut st, format!("call {op}"));
        }
        Before::Go
    }

    /// Decides what strikes after a call that went through.
    pub(super) fn after(&self, op: &'static str, kind: CallKind) -> After {
        let mut st = self.lock();
        if st.crashed {
            return After::Hang;
        }
        if !st.faults_on {
            return After::Keep;
        }
        let crash = st.knobs.crash;
        if matches!(kind, CallKind::Effect | CallKind::StoreWrite) && st.rng.chance(crash) {
            st.crashed = true;
            st.crashes += 1;
            self.note(&mut st, format!("CRASH after {op} took effect"));
            return After::Hang;
        }
        let chance = match kind {
            CallKind::Effect => st.knobs.after_effect,
            CallKind::StoreWrite => st.knobs.store_error,
            CallKind::Read => st.knobs.before_effect / 2,
            CallKind::Store => 0,
        };
        if st.rng.chance(chance) {
            st.faults += 1;
            self.note(&mut st, format!("lose the answer of {op}"));
            return After::Lose;
        }
        After::Keep
    }

    // ---------------------------------------------------------------------------------
    // What the harness records as calls pass
    // ---------------------------------------------------------------------------------

    /// Every acknowledgement a saved record carries is remembered with its version,
    /// so an acknowledgement Amazon receives can be traced to the version it is.
    pub(super) fn saved(
        &self,
        engine: usize,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
    ) {
        self.verbose(|| {
            let why = match record.state() {
                OrderState::ExpectApproval { problems } if !problems.is_empty() => {
                    let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                    format!(" ({})", problems.join("; "))
                }
                OrderState::ExpectRepost { errors, .. } => {
                    let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                    format!(" ({})", errors.join("; "))
                }
                _ => String::new(),
            };
            format!(
                "engine {engine} saved {key}: {:?}{why} ack v{:?}, in flight {:?}, attempt {:?}",
                record.state().kind(),
                record.acknowledgement_version().map(|v| v.0),
                in_flight.map(|f| &f.command_key),
                record.attempt().map(|a| (a.failures, a.next_at)),
            )
        });
        let mut state = record.state();
        while let OrderState::Held { resume, .. } = state {
            state = resume;
        }
        let acknowledgement = match state {
            OrderState::ExpectAcknowledgementSubmitted { acknowledgement }
            | OrderState::ExpectAcknowledgementConfirmation {
                acknowledgement, ..
            } => acknowledgement,
            _ => return,
        };
        let Some(version) = record.acknowledgement_version() else {
            let mut st = self.lock();
            self.find(
                &mut st,
                Finding::Violation,
                format!("{key}: an acknowledgement was saved without a version"),
            );
            return;
        };
        let mut st = self.lock();
        let built = st
            .ledger
            .entry((key.program, key.number.to_string()))
            .or_default();
        if let Some(same) = built.iter().find(|b| b.version == version.0) {
            if same.acknowledgement != **acknowledgement {
                let text = format!(
                    "{key}: acknowledgement version {} saved with two different bodies",
                    version.0
                );
                self.find(&mut st, Finding::DuplicateAcknowledgement, text);
            }
            return;
        }
        built.push(Built {
            version: version.0,
            acknowledgement: (**acknowledgement).clone(),
            purchase_order: record.purchase_order().clone(),
            approval: record.approval(),
        });
    }

    /// Checks an acknowledgement as it leaves for Amazon, and records it.
    pub(super) fn sending(
        &self,
        acknowledgement: Acknowledgement,
        transaction: Option<TransactionId>,
    ) {
        let program = match &acknowledgement {
            Acknowledgement::Retail(_) => Program::RetailProcurement,
            Acknowledgement::DirectFulfillment(_) => Program::DirectFulfillment,
        };
        let number = acknowledgement.purchase_order_number().to_string();
        let mut st = self.lock();
        let built = st
            .ledger
            .get(&(program, number.clone()))
            .and_then(|b| b.iter().find(|b| b.acknowledgement == acknowledgement))
            .cloned();
        let mut problems = Vec::new();
        match &built {
            None => problems.push(format!(
                "{} {number}: an acknowledgement was sent that the store never held (not persisted before acting)",
                program_code(program)
            )),
            Some(built) => {
                problems.extend(check_against_order(
                    &acknowledgement,
                    &built.purchase_order,
                    built.version,
                ));
                let auto = match program {
                    Program::RetailProcurement => st.knobs.auto_retail,
                    Program::DirectFulfillment => st.knobs.auto_direct_fulfillment,
                };
                let name = format!("{} {number} v{}", program_code(program), built.version);
                let id = external_id(
                    program,
                    &PurchaseOrderNumber::new(number.as_str()).unwrap_or_else(|e| panic!("{e}")),
                );
                let so = self.netsuite.snapshot(&id);
                match built.approval {
                    Some(Approval::AutoAcknowledgement) if auto => {}
                    Some(Approval::RejectedByPolicy) => {
                        if accepted_eaches(&acknowledgement).iter().any(|(_, a)| *a > 0) {
                            problems.push(format!(
                                "{name}: rejected by policy, yet it accepts a quantity"
                            ));
                        }
                    }
                    // Reviewed: only once a reviewer decided in NetSuite.
                    Some(Approval::Reviewed) => match &so {
                        None => problems.push(format!(
                            "{name}: acknowledged as reviewed with no sales order to review"
                        )),
                        Some(so) if so.status == NetSuiteStatus::PendingApproval => problems
                            .push(format!(
                                "{name}: acknowledged while the sales order waits for approval"
                            )),
                        Some(_) => {}
                    },
                    other => problems.push(format!(
                        "{name}: sent as {other:?}, but the program is {}",
                        if auto { "auto-acknowledged" } else { "reviewed" }
                    )),
                }
                {
                    for (line, accepted) in accepted_eaches(&acknowledgement) {
                        if accepted > 0 && st.closed_lines.contains(&(id.to_string(), line.clone()))
                        {
                            problems.push(format!(
                                "{} {number} v{}: line {line} accepted after the reviewer closed it",
                                program_code(program),
                                built.version
                            ));
                        }
                    }
                }
            }
        }
        for problem in problems {
            self.find(&mut st, Finding::Violation, problem);
        }
        let version = built.map(|b| b.version);
        self.note(
            &mut st,
            format!(
                "amazon: acknowledgement of {} {number} v{} {}",
                program_code(program),
                version.unwrap_or(0),
                if transaction.is_some() {
                    "taken"
                } else {
                    "not taken"
                }
            ),
        );
        st.sent.push(Sent {
            program,
            number,
            version,
            transaction,
        });
    }
}

/// The accepted (and back-ordered) eaches per PO line of an acknowledgement.
pub(super) fn accepted_eaches(ack: &Acknowledgement) -> Vec<(String, u64)> {
    match ack {
        Acknowledgement::Retail(a) => a
            .lines
            .iter()
            .map(|l| {
                let accepted = l
                    .decisions
                    .iter()
                    .filter(|d| d.code != AcknowledgementCode::Rejected)
                    .map(|d| d.quantity.eaches().unwrap_or(u64::MAX))
                    .sum();
                (l.sequence.to_string(), accepted)
            })
            .collect(),
        Acknowledgement::DirectFulfillment(a) => a
            .lines
            .iter()
            .map(|l| {
                let accepted = if a.status_code == df_status::ACCEPTED {
                    l.quantity
                } else {
                    0
                };
                (l.sequence.to_string(), accepted)
            })
            .collect(),
    }
}

/// Problems of an acknowledgement against the order it answers: a quantity above the
/// one ordered, a quantity of zero (Amazon's models: it should not be zero), a cost
/// above Amazon's, a line with something ordered missing, a line unknown.
fn check_against_order(ack: &Acknowledgement, po: &PurchaseOrder, version: u32) -> Vec<String> {
    let mut problems = Vec::new();
    let name = format!("{} {} v{version}", program_code(po.program), po.number);
    let answered: Vec<&ItemSequenceNumber> = match ack {
        Acknowledgement::Retail(a) => a.lines.iter().map(|l| &l.sequence).collect(),
        Acknowledgement::DirectFulfillment(a) => a.lines.iter().map(|l| &l.sequence).collect(),
    };
    for line in &po.lines {
        if line.ordered.amount > 0 && !answered.contains(&&line.sequence) {
            problems.push(format!(
                "{name}: line {} is ordered but not acknowledged",
                line.sequence
            ));
        }
    }
    let zero = |sequence: &ItemSequenceNumber| {
        format!("{name}: line {sequence} acknowledges a quantity of zero")
    };
    let ordered = |sequence: &ItemSequenceNumber| {
        po.lines
            .iter()
            .find(|l| &l.sequence == sequence)
            .map(|l| (l.ordered.eaches().unwrap_or(0), l))
    };
    match ack {
        Acknowledgement::Retail(a) => {
            for line in &a.lines {
                let Some((eaches, po_line)) = ordered(&line.sequence) else {
                    problems.push(format!("{name}: line {} is not on the PO", line.sequence));
                    continue;
                };
                if line.decisions.iter().any(|d| d.quantity.amount == 0) {
                    problems.push(zero(&line.sequence));
                }
                let total: u64 = line
                    .decisions
                    .iter()
                    .map(|d| d.quantity.eaches().unwrap_or(u64::MAX))
                    .sum();
                if total > eaches {
                    problems.push(format!(
                        "{name}: line {} acknowledges {total} eaches of {eaches} ordered",
                        line.sequence
                    ));
                }
                let above = line
                    .net_cost
                    .money
                    .partial_cmp_amount(&po_line.net_cost.money)
                    .is_none_or(|o| o == std::cmp::Ordering::Greater);
                if above {
                    problems.push(format!(
                        "{name}: line {} confirms cost {} above Amazon's {}",
                        line.sequence, line.net_cost.money, po_line.net_cost.money
                    ));
                }
            }
        }
        Acknowledgement::DirectFulfillment(a) => {
            for line in &a.lines {
                if line.quantity == 0 {
                    problems.push(zero(&line.sequence));
                }
                match ordered(&line.sequence) {
                    None => problems.push(format!(
                        "{name}: line {} is not on the order",
                        line.sequence
                    )),
                    Some((eaches, _)) if line.quantity > eaches => problems.push(format!(
                        "{name}: line {} acknowledges {} of {eaches} ordered",
                        line.sequence, line.quantity
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    problems
}
