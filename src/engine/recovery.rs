//! Due orders and recovery: waking orders whose time has come, and commands left in flight.

use super::*;

impl Engine {
    pub(super) async fn wake_due(&self, cycle: &Cycle) -> Result<(), EngineError> {
        let now = self.clock.now();
        let due = self.store.due(now, self.config.due_batch).await?;
        for key in due {
            let Some(stored) = self.store.load(&key).await? else {
                continue;
            };
            match &stored.in_flight {
                // Only a command unanswered past its own grace is recovered: an order
                // woken for its deadline may have a command queued this very cycle.
                Some(flight) if self.unanswered_at(flight) <= now => {
                    self.recover(cycle, &key, &stored, flight).await?;
                }
                _ => {
                    self.apply(cycle, &key, &Event::TimerElapsed, None).await?;
                    if stored.record.reconciliation_due().is_some() {
                        Box::pin(self.reconcile(cycle, &key)).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// An order whose command was started and never answered (a crash, or an
    /// acknowledgement whose answer was lost).
    pub(super) async fn recover(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        stored: &StoredOrder,
        flight: &InFlight,
    ) -> Result<(), EngineError> {
        let pending = stored
            .record
            .pending_command()
            .filter(|c| c.key() == flight.command_key);
        let Some(command) = pending else {
            // The state moved on; the marker is stale.
            self.save(
                cycle,
                key,
                stored,
                stored.record.clone(),
                Vec::new(),
                Some(&flight.command_key),
            )
            .await?;
            return self.apply(cycle, key, &Event::TimerElapsed, None).await;
        };
        if let Some((ack_key, acknowledgement)) = acknowledgement_of(&command) {
            match self
                .landed(cycle, key, &stored.record, acknowledgement)
                .await
            {
                Ok(landing) => {
                    if let Some(event) = landing.event(ack_key.version) {
                        return self
                            .apply(cycle, key, &event, Some(&flight.command_key))
                            .await;
                    }
                }
                Err(e) => {
                    cycle.error(format!(
                        "{key}: checking an unanswered acknowledgement failed: {e}"
                    ));
                    return Ok(());
                }
            }
        }
        // Later than it was built, it may now break a compliance rule: held instead.
        if acknowledgement_of(&command).is_some() {
            let now = self.clock.now();
            if let Some((held, commands)) = stored.record.hold_before_resend(now, &self.settings) {
                return self
                    .save(
                        cycle,
                        key,
                        stored,
                        held,
                        commands,
                        Some(&flight.command_key),
                    )
                    .await;
            }
        }
        // Send it again (idempotent, or known not to have landed), marked in flight.
        match self
            .mark_in_flight(key, stored, flight.command_key.clone())
            .await
        {
            Ok(refreshed) => {
                cycle.mark(key, &refreshed);
                cycle.queue(key.clone(), command);
            }
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Reads Amazon's order (and, where it is needed, its status report) again, for
    /// [`answers::landing`] to say what a lost answer to `acknowledgement` means.
    pub(super) async fn landed(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        record: &OrderRecord,
        acknowledgement: &Acknowledgement,
    ) -> Result<answers::Landing, ClientError> {
        let read = self.fetch_order(cycle, key).await?.ok();
        let status = match &read {
            Some(po) if answers::needs_status_report(po, acknowledgement) => {
                self.call(
                    cycle,
                    "getPurchaseOrdersStatus",
                    true,
                    self.clients.retail.purchase_order_status(&key.number),
                )
                .await?
            }
            _ => None,
        };
        Ok(answers::landing(
            acknowledgement,
            read.as_ref(),
            status.as_ref(),
            record.confirmed_acknowledgement().is_some(),
        ))
    }
}
