//! Persistence: saving a record with the command it is about to execute, and wake-ups.

use super::*;

/// How many times a step whose save lost the compare-and-set to another worker is
/// redone on a fresh load before it is left to the next cycle (and reported). Each
/// redo sees the other worker's save, so a conflict that repeats this often means the
/// order is contended, not that the step is wrong.
pub(super) const STORE_CONFLICT_RETRIES: usize = 8;

/// The in-flight marker to save, from the plan's decision and the marker loaded.
pub(super) fn in_flight_after(
    marker: &Marker,
    loaded: Option<&InFlight>,
    now: DateTime<Utc>,
) -> Option<InFlight> {
    match marker {
        Marker::Set(command_key) => Some(InFlight {
            command_key: command_key.clone(),
            started_at: now,
        }),
        Marker::Clear => None,
        Marker::Keep => loaded.cloned(),
    }
}

/// Whether `error` refused the answer to a command the order no longer waits for: a
/// state the order left since the command was started (by another worker, or by a
/// second copy of the command in this cycle) takes none of its outcomes. Such an
/// answer is dropped, not reported: the order moved on without it. An answer to the
/// command the order still waits for that its state does not take stays an error.
pub(super) fn is_stale_answer(
    stored: &StoredOrder,
    answers: Option<&CommandKey>,
    error: &crate::lifecycle::TransitionError,
) -> bool {
    matches!(
        error,
        crate::lifecycle::TransitionError::InappropriateEvent { .. }
    ) && answers.is_some_and(|answered| {
        stored
            .record
            .pending_command()
            .is_none_or(|pending| pending.key() != *answered)
    })
}

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
        for _ in 0..STORE_CONFLICT_RETRIES {
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
                    if !is_stale_answer(&stored, answers, &e) {
                        cycle.error(format!("{key}: {e}"));
                    }
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
        // A command of this order is out when it is marked in flight, not by this
        // cycle, and within its grace.
        let marker_out = stored
            .in_flight
            .as_ref()
            .is_some_and(|f| self.unanswered_at(f) > now && !cycle.owns(key, f));
        let outbox = Outbox {
            marker: stored.in_flight.as_ref().map(|f| &f.command_key),
            answers,
            marker_out,
        };
        let is_ack = |c: &Command| matches!(c, Command::SubmitAcknowledgement { .. });
        let built_ack = commands.iter().any(is_ack);
        let mut next = next;
        let mut plan = outbox::plan(
            outbox,
            commands,
            next.attempt().is_some_and(|a| a.next_at.is_some()),
            || next.pending_command(),
        );
        // An acknowledgement that waited behind another command goes out only now,
        // perhaps after a compliance clock ran out since it was built: held instead.
        if !built_ack && plan.send.first().is_some_and(is_ack) {
            if let Some((held, commands)) = next.hold_before_resend(now, &self.settings) {
                next = held;
                plan = outbox::plan(
                    outbox,
                    commands,
                    next.attempt().is_some_and(|a| a.next_at.is_some()),
                    || next.pending_command(),
                );
            }
        }
        let in_flight = in_flight_after(&plan.marker, stored.in_flight.as_ref(), now);
        if next == stored.record && plan.send.is_empty() && in_flight == stored.in_flight {
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
        self.saved(cycle, key, &next, in_flight.as_ref(), plan);
        Ok(())
    }

    /// After a save: the report's line, the notices, and the commands queued with the
    /// marker saved for them.
    pub(super) fn saved(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        plan: outbox::Plan,
    ) {
        cycle.touch(key, record);
        for notice in &plan.notices {
            self.observer.notice(key, notice);
        }
        if let (Some(flight), false) = (in_flight, plan.send.is_empty()) {
            cycle.mark(key, flight);
        }
        for action in plan.send {
            cycle.queue(key.clone(), action);
        }
    }
}
