//! Persistence: saving a record with the command it is about to execute, and wake-ups.

use super::*;

impl Engine {
    /// When a command in flight counts as unanswered: an acknowledgement after the
    /// uncertain-submission wait, a NetSuite command after the grace.
    pub(super) fn unanswered_at(&self, flight: &InFlight) -> DateTime<Utc> {
        let grace = if flight.command_key.kind() == CommandKind::SubmitAcknowledgement {
            self.config.uncertain_submission_wait
        } else {
            self.config.in_flight_grace
        };
        later(flight.started_at, grace)
    }

    pub(super) fn wakeup(
        &self,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
    ) -> Option<DateTime<Utc>> {
        let mut next = record.next_wakeup(&self.settings);
        if let Some(flight) = in_flight {
            let at = self.unanswered_at(flight);
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        next
    }

    /// Applies `event` to the stored order and queues the commands that follow, saving
    /// the record (with the command about to be executed) first. `answers` is the key
    /// of the command the event is the outcome of.
    pub(super) async fn apply(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        event: &Event,
        answers: Option<&CommandKey>,
    ) -> Result<(), EngineError> {
        self.apply_answer(cycle, key, event, answers, None, None)
            .await
            .map(drop)
    }

    /// [`Engine::apply`], for the outcome of the command `sent`. A create is keyed by
    /// the external id alone: when the order now waits for the create of a newer
    /// draft (a change from Amazon arrived while this one was out, and a worker that
    /// found it busy left it), the outcome is not the order's. The newer draft is sent
    /// instead, and its outcome is the one applied.
    ///
    /// With a `guard`, the event is applied only to an order the guard accepts, checked
    /// on the very version the event is saved over; `Ok(false)` says it refused.
    pub(super) async fn apply_answer(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        event: &Event,
        answers: Option<&CommandKey>,
        sent: Option<&Command>,
        guard: Option<&(dyn Fn(&StoredOrder) -> bool + Sync)>,
    ) -> Result<bool, EngineError> {
        for _ in 0..8 {
            let Some(stored) = self.store.load(key).await? else {
                cycle.error(format!(
                    "{key}: not in the store, {:?} dropped",
                    event.kind()
                ));
                return Ok(true);
            };
            if guard.is_some_and(|accepts| !accepts(&stored)) {
                return Ok(false);
            }
            let newer = sent
                .filter(|c| matches!(c, Command::CreateSalesOrder { .. }))
                .and_then(|c| {
                    stored
                        .record
                        .pending_command()
                        .filter(|p| p.key() == c.key() && p != c)
                });
            if let Some(newer) = newer {
                match self.mark_in_flight(key, &stored, newer.key()).await {
                    Ok(renewed) => {
                        cycle.mark(key, &renewed);
                        cycle.queue(key.clone(), newer);
                        return Ok(true);
                    }
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            let now = self.clock.now();
            let (next, commands) = match stored.record.handle_with(
                event,
                now,
                &self.settings,
                &self.policy(key.program),
            ) {
                Ok(step) => step,
                Err(e) => {
                    cycle.error(format!("{key}: {e}"));
                    // The outcome was not usable, but the call is over: stop treating
                    // it as in flight.
                    if answers.is_some() && stored.in_flight.is_some() {
                        self.save(
                            cycle,
                            key,
                            &stored,
                            stored.record.clone(),
                            Vec::new(),
                            answers,
                        )
                        .await?;
                    }
                    return Ok(true);
                }
            };
            match self
                .save(cycle, key, &stored, next, commands, answers)
                .await
            {
                Err(EngineError::Store(StoreError::Conflict { .. })) => continue,
                other => return other.map(|()| true),
            }
        }
        cycle.error(format!("{key}: gave up after repeated store conflicts"));
        Ok(true)
    }

    /// Saves `next` over `stored` and queues `commands`; a no-op when nothing changed.
    pub(super) async fn save(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        stored: &StoredOrder,
        next: OrderRecord,
        commands: Vec<Command>,
        answers: Option<&CommandKey>,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        let (notices, actions): (Vec<Command>, Vec<Command>) = commands
            .into_iter()
            .partition(|c| matches!(c, Command::Notify { .. }));
        // A command of this order is out (marked in flight, not by this cycle, not
        // answered, within its grace): start nothing else now, or the two could land
        // in either order (a close before the create it should close). Its answer, or
        // the end of its grace, sends what the order waits for then.
        let busy = stored.in_flight.as_ref().filter(|f| {
            answers != Some(&f.command_key) && self.unanswered_at(f) > now && !cycle.owns(key, f)
        });
        let mut actions: Vec<Command> = if busy.is_some() { Vec::new() } else { actions };
        // An order that waits for a command neither out nor due for a retry (its
        // marker was answered while the command waited for it): send it now.
        let marked = match (&stored.in_flight, answers) {
            (Some(f), Some(a)) if &f.command_key == a => false,
            (flight, _) => flight.is_some(),
        };
        if actions.is_empty() && !marked && next.attempt().is_none_or(|a| a.next_at.is_none()) {
            actions.extend(next.pending_command());
        }
        let in_flight = match actions.first() {
            Some(c) => Some(InFlight {
                command_key: c.key(),
                started_at: now,
            }),
            None => match (&stored.in_flight, answers) {
                (Some(f), Some(a)) if &f.command_key == a => None,
                (Some(f), _) => Some(f.clone()),
                (None, _) => None,
            },
        };
        if next == stored.record && actions.is_empty() && in_flight == stored.in_flight {
            return Ok(());
        }
        let wakeup = self.wakeup(&next, in_flight.as_ref());
        self.store
            .save(key, &next, in_flight.as_ref(), wakeup, Some(stored.version))
            .await?;
        if let Some(last) = next.history().last() {
            if next.history().len() != stored.record.history().len() {
                self.observer
                    .transition(key, last.event, last.from.unwrap_or(last.to), last.to);
            }
        }
        cycle.touch(key, &next);
        for notice in &notices {
            if let Command::Notify { notice, .. } = notice {
                self.observer.notice(key, notice);
            }
        }
        if let (Some(flight), false) = (&in_flight, actions.is_empty()) {
            cycle.mark(key, flight);
        }
        for action in actions {
            cycle.queue(key.clone(), action);
        }
        Ok(())
    }
}
