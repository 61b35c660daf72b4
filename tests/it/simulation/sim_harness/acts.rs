//! The world acting between two steps of an engine: Amazon, the reviewer, time.

use std::time::Duration;

use chrono::TimeDelta;

use avc_order_sync::testing::orders::{self, RetailLine, RetailOrderBuilder};
use avc_order_sync::{
    AmazonOrderState, Clock, ExternalId, NetSuiteStatus, Program, PurchaseOrder, SalesOrderSnapshot,
};

use super::world::{ListedLate, World, WorldState, program_code};

impl World {
    pub(super) fn place_order(&self, st: &mut WorldState, initial: bool) {
        let number = orders::purchase_order_number(st.next_number);
        st.next_number += 1;
        let now = self.clock.now();
        // Listed a little late at most, well within the engine's window overlap.
        let placed = now
            - TimeDelta::seconds(st.rng.below(240) as i64)
            - if initial {
                TimeDelta::minutes(st.rng.below(600) as i64)
            } else {
                TimeDelta::zero()
            };
        let lines = st.rng.between(1, 3) as usize;
        let retail = st.rng.chance(500);
        let unreadable = st.knobs.unreadable;
        let broken = st.intake.chance(unreadable);
        let (program, result) = if retail {
            let mut order = if broken {
                orders::retail_order(&number, placed, 2)
            } else if st.rng.chance(300) {
                // Ordered by the each and in cases, some lines allowing back orders.
                let product = &orders::PRODUCTS[st.rng.below(12) as usize];
                RetailOrderBuilder::new(&number, placed)
                    .line(RetailLine::product(product, st.rng.between(1, 6)))
                    .build()
            } else {
                orders::retail_order(&number, placed, lines)
            };
            if broken {
                let items = order.order_details.as_mut().and_then(|d| d.items.as_mut());
                if let Some(items) = items {
                    items[1].item_sequence_number = items[0].item_sequence_number.clone();
                }
            }
            // Now and then Amazon records the first acknowledgement it applies one
            // unit short: drift the reconciliation must report.
            if !broken && st.rng.chance(80) {
                self.amazon.record_next_acknowledgement_short(&number);
            }
            (
                Program::RetailProcurement,
                self.amazon.add_retail_order(order),
            )
        } else {
            let mut order = orders::df_order(&number, placed, if broken { 2 } else { lines });
            if broken {
                let items = order.order_details.as_mut().and_then(|d| d.items.as_mut());
                if let Some(items) = items {
                    items[1].item_sequence_number = items[0].item_sequence_number.clone();
                }
            } else if lines > 1 && !st.knobs.unpaced && st.rng.chance(150) {
                // A line Amazon cancelled to 0 before the order is first listed.
                let items = order.order_details.as_mut().and_then(|d| d.items.as_mut());
                if let Some(quantity) = items
                    .and_then(|items| items.first_mut())
                    .and_then(|item| item.ordered_quantity.as_mut())
                {
                    quantity.amount = Some(0.into());
                    self.note(st, format!("amazon: DF {number} line 1 cancelled to 0"));
                }
            }
            (Program::DirectFulfillment, self.amazon.add_df_order(order))
        };
        match result {
            Ok(()) => {
                self.note(
                    st,
                    format!(
                        "amazon: new {} PO {number}{}",
                        program_code(program),
                        if broken { " (unreadable)" } else { "" }
                    ),
                );
                // A line Amazon cancelled to 0 before the PO is first listed.
                if program == Program::RetailProcurement
                    && !broken
                    && !st.knobs.unpaced
                    && st.rng.chance(150)
                {
                    if let Some(line) = self
                        .amazon_po(program, &number)
                        .and_then(|po| po.lines.first().cloned())
                        .filter(|_| lines > 1)
                    {
                        let sequence = line.sequence.to_string();
                        self.note(
                            st,
                            format!("amazon: RP {number} line {sequence} cancelled to 0"),
                        );
                        if let Err(e) = self.amazon.cancel_retail_line(&number, &sequence) {
                            self.note(st, format!("amazon: change refused: {e}"));
                        }
                    }
                }
                st.placed.push((program, number.clone(), placed));
                if broken {
                    st.broken.insert((program, number.clone()));
                }
                self.list_late_in_outage(st, program, &number, placed);
            }
            Err(e) => {
                self.note(st, format!("amazon: could not place {number}: {e}"));
                return;
            }
        }
        if st.intake.chance(unreadable) {
            // An entry no part of which can be read, the number included.
            self.note(st, "amazon: lists an entry it cannot read");
            self.amazon.add_unreadable_order(
                program,
                placed,
                avc_order_sync::MalformedOrder {
                    purchase_order_number: None,
                    reason: "`orders[1]` cannot be read: expected a map".into(),
                },
            );
        }
        let elsewhere = st.knobs.acknowledged_elsewhere;
        if broken || !st.intake.chance(elsewhere) {
            return;
        }
        // Someone answers the order in Vendor Central's pages before the sync lists it.
        let result = match program {
            Program::DirectFulfillment => self.amazon.accept_df_order_elsewhere(&number),
            Program::RetailProcurement => {
                let lines = self
                    .amazon_po(program, &number)
                    .map(|po| po.lines)
                    .unwrap_or_default();
                let accepted: Vec<(String, u64)> = lines
                    .iter()
                    .map(|l| {
                        let ordered = l.ordered.eaches().unwrap_or(0);
                        let case = l.ordered.unit_size.max(1);
                        let kept = match st.intake.below(4) {
                            0 => 0,
                            1 => ordered / case / 2 * case,
                            _ => ordered,
                        };
                        (l.sequence.to_string(), kept)
                    })
                    .collect();
                let accepted: Vec<(&str, u64)> =
                    accepted.iter().map(|(s, e)| (s.as_str(), *e)).collect();
                self.amazon
                    .acknowledge_retail_order_elsewhere(&number, &accepted)
            }
        };
        match result {
            Ok(()) => {
                self.note(
                    st,
                    format!(
                        "amazon: {} {number} acknowledged in Vendor Central",
                        program_code(program)
                    ),
                );
                st.elsewhere.insert((program, number));
            }
            Err(e) => self.note(st, format!("amazon: could not acknowledge {number}: {e}")),
        }
    }

    /// Before fault cycle `cycle`: the outage of Amazon's listings the seed has, if it
    /// begins now. Amazon takes an order at once, which it lists only afterwards, as
    /// every order placed until the outage ends.
    pub fn begin_outage(&self, cycle: usize) {
        let mut st = self.lock();
        let Some((at, length)) = st.knobs.outage else {
            return;
        };
        if at != cycle {
            return;
        }
        let until = self.clock.now() + TimeDelta::from_std(length).unwrap_or_default();
        self.note(
            &mut st,
            format!("amazon: listings are down for {} s", length.as_secs()),
        );
        st.outage_until = Some(until);
        self.place_order(&mut st, false);
    }

    /// An order placed while Amazon's listings are down is listed once they are up.
    fn list_late_in_outage(
        &self,
        st: &mut WorldState,
        program: Program,
        number: &str,
        placed: chrono::DateTime<chrono::Utc>,
    ) {
        let Some(until) = st.outage_until.filter(|until| self.clock.now() < *until) else {
            return;
        };
        match self.amazon.list_late(program, number, until) {
            Ok(()) => {
                self.note(
                    st,
                    format!("amazon: lists {} {number} late", program_code(program)),
                );
                st.listed_late.push(ListedLate {
                    program,
                    number: number.to_owned(),
                    placed,
                    listed_from: until,
                });
            }
            Err(e) => self.note(st, format!("amazon: could not list {number} late: {e}")),
        }
    }

    pub(super) fn amazon_po(&self, program: Program, number: &str) -> Option<PurchaseOrder> {
        match program {
            Program::RetailProcurement => self.amazon.retail_order(number)?.to_purchase_order(),
            Program::DirectFulfillment => self.amazon.df_order(number)?.to_purchase_order(),
        }
        .ok()
    }

    /// Amazon changes or cancels one of its open orders.
    fn amazon_acts(&self, st: &mut WorldState) {
        let Some((program, number, placed)) = st.rng.pick(&st.placed.clone()).cloned() else {
            return;
        };
        let Some(po) = self.amazon_po(program, &number) else {
            return;
        };
        let roll = st.rng.below(100);
        let result = match program {
            Program::DirectFulfillment => {
                // Amazon cancels Direct Fulfillment orders, most often before they are
                // accepted, now and then after (a consumer's late cancellation) while
                // the order is within the engine's cancellation lookback: later ones
                // are outside what the engine promises to see.
                let recent = self.clock.now() - placed < TimeDelta::days(6);
                let chance = match po.state {
                    AmazonOrderState::New => 40,
                    AmazonOrderState::Accepted if recent => 10,
                    _ => 0,
                };
                if roll >= chance {
                    return;
                }
                self.note(st, format!("amazon: cancels DF {number}"));
                self.amazon.cancel_df_order(&number)
            }
            Program::RetailProcurement => {
                if matches!(po.state, AmazonOrderState::Closed) {
                    return;
                }
                let Some(line) = st.rng.pick(&po.lines).cloned() else {
                    return;
                };
                let sequence = line.sequence.to_string();
                if roll < 10 {
                    if po.state != AmazonOrderState::New {
                        return;
                    }
                    self.note(st, format!("amazon: closes RP {number}"));
                    self.amazon.close_retail_order(&number)
                } else if roll < 55 {
                    if line.ordered.amount == 0 {
                        return;
                    }
                    let lower = line.ordered.amount - 1;
                    self.note(
                        st,
                        format!("amazon: RP {number} line {sequence} down to {lower} units"),
                    );
                    self.amazon.set_retail_quantity(&number, &sequence, lower)
                } else if roll < 75 {
                    self.note(st, format!("amazon: cancels RP {number} line {sequence}"));
                    self.amazon.cancel_retail_line(&number, &sequence)
                } else {
                    self.note(st, format!("amazon: RP {number} line {sequence} cost down"));
                    self.amazon.set_retail_net_cost(&number, &sequence, "1.00")
                }
            }
        };
        if let Err(e) = result {
            self.note(st, format!("amazon: change refused: {e}"));
        }
    }

    fn pending_sales_orders(&self) -> Vec<(ExternalId, SalesOrderSnapshot)> {
        self.netsuite
            .external_ids()
            .into_iter()
            .filter_map(|id| {
                let snapshot = self.netsuite.snapshot(&id)?;
                (snapshot.status == NetSuiteStatus::PendingApproval).then_some((id, snapshot))
            })
            .collect()
    }

    /// The PO a sales order was made for, as Amazon has it now.
    fn po_of(&self, external: &ExternalId) -> Option<PurchaseOrder> {
        let key = avc_order_sync::order_key_of(external)?;
        self.amazon_po(key.program, key.number.as_str())
    }

    /// The reviewer works on one sales order waiting for approval: lowers a line by
    /// a case, closes a line, approves, or (rarely) cancels.
    fn reviewer_acts(&self, st: &mut WorldState) {
        let pending = self.pending_sales_orders();
        let Some((id, snapshot)) = st.rng.pick(&pending).cloned() else {
            return;
        };
        let Some(po) = self.po_of(&id) else { return };
        let roll = st.rng.below(100);
        let open: Vec<_> = snapshot.lines.iter().filter(|l| !l.is_closed).collect();
        let result = if roll < 55 {
            self.note(st, format!("reviewer: approves {id}"));
            self.netsuite.approve(&id)
        } else if roll < 97 {
            let Some(line) = st.rng.pick(&open).copied() else {
                return;
            };
            let Some(sequence) = line.sequence.clone() else {
                return;
            };
            let case = po
                .lines
                .iter()
                .find(|l| l.sequence == sequence)
                .map_or(1, |l| l.ordered.unit_size.max(1));
            let whole_order_rejected = po.program == Program::DirectFulfillment && roll < 65;
            if whole_order_rejected {
                // A Direct Fulfillment order is taken or refused whole.
                self.note(st, format!("reviewer: closes every line of {id}"));
                for line in &open {
                    if let Some(sequence) = &line.sequence {
                        st.closed_lines
                            .insert((id.to_string(), sequence.to_string()));
                        let _ = self.netsuite.close_line(&id, sequence);
                    }
                }
                Ok(())
            } else if po.program == Program::DirectFulfillment {
                return;
            } else if line.quantity > case && roll < 85 {
                let lower = line.quantity - case;
                self.note(
                    st,
                    format!("reviewer: {id} line {sequence} down to {lower} eaches"),
                );
                self.netsuite.set_line_quantity(&id, &sequence, lower)
            } else {
                self.note(st, format!("reviewer: closes {id} line {sequence}"));
                st.closed_lines
                    .insert((id.to_string(), sequence.to_string()));
                self.netsuite.close_line(&id, &sequence)
            }
        } else {
            self.note(st, format!("reviewer: cancels {id}"));
            self.netsuite.cancel(&id)
        };
        if let Err(e) = result {
            self.note(st, format!("reviewer: refused: {e}"));
        }
    }

    /// One action of the world between two steps of an engine.
    pub(super) fn act(&self, st: &mut WorldState) {
        let roll = st.rng.below(100);
        if roll < 20 {
            if st.placed.len() < st.knobs.max_orders {
                self.place_order(st, false);
            }
        } else if roll < 45 {
            // In a calm world Amazon changes nothing: a change can fail a whole
            // request of acknowledgements, and how they were batched then decides
            // which orders are reposted (see RELIABILITY.md).
            if !st.knobs.unpaced {
                self.amazon_acts(st);
            }
        } else if roll < 85 {
            self.reviewer_acts(st);
        } else if roll < 95 {
            let minutes = st.rng.between(1, 20);
            self.note(st, format!("clock: {minutes} min pass"));
            self.clock.advance(Duration::from_secs(minutes * 60));
        } else {
            let max = st.knobs.max_skew.as_secs() as i64;
            if max > 0 {
                let index = st.rng.below(2) as usize;
                let skew = st.rng.below(2 * max as u64 + 1) as i64 - max;
                self.note(
                    st,
                    format!("clock: engine {index} clock set off by {skew} s"),
                );
                st.skews[index] = TimeDelta::seconds(skew);
            }
        }
    }

    /// Amazon now and then corrects a retail PO it listed unreadable: a change, so its
    /// changed windows list the readable copy.
    fn correct_unreadable(&self, st: &mut WorldState) {
        for (program, number) in st.broken.clone() {
            if program != Program::RetailProcurement || !st.intake.chance(300) {
                continue;
            }
            let result = self.amazon.change_retail_order(&number, |o| {
                let items = o.order_details.as_mut().and_then(|d| d.items.as_mut());
                if let Some(item) = items.and_then(|items| items.get_mut(1)) {
                    item.item_sequence_number = Some("2".to_owned());
                }
            });
            match result {
                Ok(()) => {
                    self.note(st, format!("amazon: corrects RP {number}"));
                    st.broken.remove(&(program, number));
                }
                Err(e) => self.note(st, format!("amazon: could not correct {number}: {e}")),
            }
        }
    }

    /// What happens between two cycles while faults are on: the world acts a few
    /// times, and now and then the whole world sleeps for long (a suspended host, a
    /// weekend).
    pub fn between_cycles(&self) {
        let mut st = self.lock();
        for _ in 0..st.rng.below(3) {
            self.act(&mut st);
        }
        self.correct_unreadable(&mut st);
        let pause = if st.rng.chance(60) {
            Duration::from_secs(st.rng.between(3_600, 9 * 86_400))
        } else {
            Duration::from_secs(st.rng.between(30, 900))
        };
        self.note(
            &mut st,
            format!("clock: {} s to the next cycle", pause.as_secs()),
        );
        self.clock.advance(pause);
    }
}
