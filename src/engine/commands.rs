//! Executing commands: NetSuite's calls, and sending and checking acknowledgements at Amazon.

use super::*;

/// Whether NetSuite's sales order holds what `draft` sends: every line with the same
/// item, quantity, rate and closed flag, and the draft's ship date when it has one.
pub(super) fn holds_draft(
    snapshot: &crate::sales_order::SalesOrderSnapshot,
    draft: &crate::sales_order::SalesOrderDraft,
) -> bool {
    draft
        .ship_date
        .is_none_or(|date| snapshot.ship_date == Some(date))
        && draft.lines.iter().all(|line| {
            snapshot.lines.iter().any(|l| {
                l.sequence.as_ref() == Some(&line.sequence)
                    && l.item == line.item
                    && l.quantity == line.quantity
                    && l.rate == line.rate
                    && l.is_closed == line.is_closed
            })
        })
}

pub(super) fn command_failed(command: &Command, error: &ClientError) -> Event {
    Event::CommandFailed {
        command_key: command.key(),
        failure: CommandFailure {
            kind: FailureKind::from(error),
            exhausted: false,
        },
    }
}

pub(super) fn acknowledgement_of(
    command: &Command,
) -> Option<(&AcknowledgementKey, &Acknowledgement)> {
    match command {
        Command::SubmitAcknowledgement {
            key,
            acknowledgement,
        } => Some((key, acknowledgement)),
        _ => None,
    }
}

impl Engine {
    /// Executes queued commands until none is left (or the pass limit is reached):
    /// NetSuite's concurrently up to its limit, acknowledgements in batches, status
    /// checks once per transaction.
    pub(super) async fn drain(&self, cycle: &Cycle) -> Result<(), EngineError> {
        for _ in 0..self.config.max_passes {
            let jobs = cycle.with(|s| std::mem::take(&mut s.queue));
            if jobs.is_empty() {
                return Ok(());
            }
            let mut netsuite = Vec::new();
            let mut submits: BTreeMap<Program, Vec<(OrderKey, Command)>> = BTreeMap::new();
            let mut checks: BTreeMap<(Program, TransactionId), Vec<(OrderKey, Command)>> =
                BTreeMap::new();
            for (key, command) in jobs {
                match &command {
                    Command::SubmitAcknowledgement { .. } => {
                        submits.entry(key.program).or_default().push((key, command))
                    }
                    Command::CheckAcknowledgement { transaction_id, .. } => checks
                        .entry((key.program, transaction_id.clone()))
                        .or_default()
                        .push((key, command)),
                    Command::Notify { notice, .. } => self.observer.notice(&key, notice),
                    _ => netsuite.push((key, command)),
                }
            }
            // NetSuite's work runs up to its concurrency limit, side by side with
            // Amazon's (paced by its rate limits): neither waits for the other.
            let netsuite_work = async {
                let results = limits::run_limited(
                    netsuite,
                    self.config.netsuite_concurrency,
                    |(key, command)| -> BoxFuture<'_, Result<(), EngineError>> {
                        Box::pin(async move { self.run_netsuite(cycle, &key, &command).await })
                    },
                )
                .await;
                results
                    .into_iter()
                    .collect::<Result<Vec<()>, EngineError>>()
            };
            let amazon_work = async {
                for (program, jobs) in submits {
                    for batch in jobs.chunks(self.config.acknowledgement_batch_size.max(1)) {
                        self.submit(cycle, program, batch).await?;
                    }
                }
                for ((program, transaction_id), jobs) in checks {
                    self.check(cycle, program, &transaction_id, &jobs).await?;
                }
                Ok::<(), EngineError>(())
            };
            let (netsuite_done, amazon_done) = limits::join2(netsuite_work, amazon_work).await;
            netsuite_done?;
            amazon_done?;
        }
        let left = cycle.with(|s| s.queue.len());
        if left > 0 {
            cycle.error(format!(
                "{left} command(s) left for the next cycle after {} rounds",
                self.config.max_passes
            ));
        }
        Ok(())
    }

    pub(super) async fn run_netsuite(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        command: &Command,
    ) -> Result<(), EngineError> {
        // A create or update carries a payload that a stale copy would write over a
        // newer state (a create re-applies Pending Approval): claim it first.
        let claimed;
        let command = match command {
            Command::CreateSalesOrder { .. } | Command::UpdateSalesOrder { .. } => {
                match self.claim(cycle, key, command).await? {
                    Some((current, _)) => {
                        claimed = current;
                        &claimed
                    }
                    None => return Ok(()),
                }
            }
            _ => command,
        };
        let netsuite = &self.clients.netsuite;
        let outcome: Result<Event, ClientError> = match command {
            Command::CreateSalesOrder {
                draft, external_id, ..
            } => {
                match self
                    .call(
                        cycle,
                        "netsuite upsert sales order",
                        false,
                        netsuite.upsert_sales_order(draft),
                    )
                    .await
                {
                    Ok(internal_id) => {
                        // A draft with closed lines is a create sent again after Amazon
                        // cancelled lines: an order an earlier, unanswered create made
                        // is returned as it was, so close those lines explicitly.
                        let closed = SalesOrderChanges::closing(
                            draft
                                .lines
                                .iter()
                                .filter(|l| l.is_closed)
                                .map(|l| l.sequence.clone()),
                        );
                        if closed.is_empty() {
                            Ok(Event::SalesOrderCreated { internal_id })
                        } else {
                            self.call(
                                cycle,
                                "netsuite update sales order",
                                false,
                                netsuite.update_sales_order(external_id, &closed),
                            )
                            .await
                            .map(|()| Event::SalesOrderCreated { internal_id })
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            Command::UpdateSalesOrder {
                external_id,
                revision,
                changes,
                ..
            } => {
                if changes.is_empty() {
                    Ok(Event::SalesOrderUpdated {
                        revision: *revision,
                    })
                } else {
                    self.call(
                        cycle,
                        "netsuite update sales order",
                        false,
                        netsuite.update_sales_order(external_id, changes),
                    )
                    .await
                    .map(|()| Event::SalesOrderUpdated {
                        revision: *revision,
                    })
                }
            }
            Command::CloseSalesOrder { external_id, .. } => {
                match self
                    .call(
                        cycle,
                        "netsuite close sales order",
                        false,
                        netsuite.close_sales_order(external_id),
                    )
                    .await
                {
                    Ok(()) => Ok(Event::SalesOrderClosed),
                    // Nothing to close is closed.
                    Err(e) if e.kind == ErrorKind::NotFound => Ok(Event::SalesOrderClosed),
                    Err(e) => Err(e),
                }
            }
            Command::ReadSalesOrder { external_id, .. } => {
                match self
                    .call(
                        cycle,
                        "netsuite read sales order",
                        false,
                        netsuite.sales_order(external_id),
                    )
                    .await
                {
                    Ok(Some(snapshot)) => {
                        cycle.with(|s| s.unread.remove(key));
                        Ok(Event::SalesOrderRead {
                            snapshot: Box::new(snapshot),
                        })
                    }
                    Ok(None) => Err(ClientError::new(
                        ErrorKind::NotFound,
                        "netsuite read sales order",
                    )),
                    Err(e) => Err(e),
                }
            }
            _ => return Ok(()),
        };
        let event = match outcome {
            Ok(event) => event,
            // A read that failed leaves its change in `unread`: the watermark stays
            // before it and the next poll lists it again.
            Err(e) => command_failed(command, &e),
        };
        // A read or a close is not claimed: another worker may have read the same
        // approval, or closed the order, while this one was out. Its answer then
        // reaches an order that waits for it no more, and is dropped
        // ([`persistence::is_stale_answer`]).
        self.apply_answer(
            cycle,
            key,
            &event,
            Some(&command.key()),
            Some(command),
            None,
        )
        .await
        .map(drop)
    }

    pub(super) async fn submit(
        &self,
        cycle: &Cycle,
        program: Program,
        batch: &[(OrderKey, Command)],
    ) -> Result<(), EngineError> {
        let mut together = Vec::with_capacity(batch.len());
        let mut limited = Vec::new();
        for (key, command) in batch {
            if let Some((current, limit)) = self.claim(cycle, key, command).await? {
                match limit {
                    None => together.push((key.clone(), current)),
                    Some(limit) => limited.push((limit.max(1), (key.clone(), current))),
                }
            }
        }
        if !together.is_empty() {
            self.send(cycle, program, &together).await?;
        }
        // Acknowledgements that go out again after Amazon refused a transaction they
        // shared go in transactions of at most their limit: those with one limit (the
        // halves of one refused transaction) together, so each refusal narrows down
        // the order it was for.
        limited.sort_by_key(|(limit, _)| *limit);
        let mut limited = limited.into_iter().peekable();
        while let Some((limit, first)) = limited.next() {
            let size = usize::try_from(limit).unwrap_or(usize::MAX);
            let mut chunk = vec![first];
            while chunk.len() < size {
                match limited.next_if(|(next, _)| *next == limit) {
                    Some((_, sent)) => chunk.push(sent),
                    None => break,
                }
            }
            self.send(cycle, program, &chunk).await?;
        }
        Ok(())
    }

    /// Sends claimed acknowledgements in one request and feeds each order the answer.
    pub(super) async fn send(
        &self,
        cycle: &Cycle,
        program: Program,
        batch: &[(OrderKey, Command)],
    ) -> Result<(), EngineError> {
        let orders = u32::try_from(batch.len()).unwrap_or(u32::MAX);
        let result = match program {
            Program::RetailProcurement => {
                let acks: Vec<_> = batch
                    .iter()
                    .filter_map(|(_, c)| match acknowledgement_of(c) {
                        Some((_, Acknowledgement::Retail(a))) => Some(a.clone()),
                        _ => None,
                    })
                    .collect();
                self.call(
                    cycle,
                    "submitAcknowledgement (retail)",
                    true,
                    self.clients.retail.submit_acknowledgements(&acks),
                )
                .await
            }
            Program::DirectFulfillment => {
                let acks: Vec<_> = batch
                    .iter()
                    .filter_map(|(_, c)| match acknowledgement_of(c) {
                        Some((_, Acknowledgement::DirectFulfillment(a))) => Some(a.clone()),
                        _ => None,
                    })
                    .collect();
                self.call(
                    cycle,
                    "submitAcknowledgement (direct fulfillment)",
                    true,
                    self.clients
                        .direct_fulfillment
                        .submit_acknowledgements(&acks),
                )
                .await
            }
        };
        for (key, command) in batch {
            let Some((ack_key, _)) = acknowledgement_of(command) else {
                continue;
            };
            match &result {
                Ok(transaction_id) => {
                    let event = Event::AcknowledgementSubmitted {
                        version: ack_key.version,
                        transaction_id: transaction_id.clone(),
                        orders,
                    };
                    self.apply(cycle, key, &event, Some(&command.key())).await?;
                }
                // The answer may have been lost after Amazon took it: never send it
                // again blind. The order stays marked in flight and is checked at
                // Amazon once the wait is over.
                Err(e) if e.kind == ErrorKind::Transient => {
                    self.mark_uncertain(cycle, key, &command.key()).await?;
                }
                Err(e) => {
                    self.apply(
                        cycle,
                        key,
                        &command_failed(command, e),
                        Some(&command.key()),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Saves the order as read, with a new in-flight marker for `command_key` stamped
    /// now, over the version read (a conflict means another worker moved it).
    pub(super) async fn mark_in_flight(
        &self,
        key: &OrderKey,
        stored: &StoredOrder,
        command_key: CommandKey,
    ) -> Result<InFlight, StoreError> {
        let marker = InFlight {
            command_key,
            started_at: self.clock.now(),
        };
        let wakeup = self.wakeup(&stored.record, Some(&marker));
        self.store
            .save(
                key,
                &stored.record,
                Some(&marker),
                wakeup,
                Some(stored.version),
            )
            .await?;
        Ok(marker)
    }

    /// Claims a queued acknowledgement, create or update right before it is sent.
    /// Its order must still wait for it with the in-flight marker saved when it was
    /// queued; the marker is renewed to now with a compare-and-set save, so that no
    /// worker takes it for unanswered (and sends it again) before the wait has run
    /// from the send. Returns the command to send: the order's current form of it (a
    /// change from Amazon may have brought a newer draft under the same key). `None`
    /// when the order moved on, or its marker was replaced (another worker, or this
    /// one later in a long cycle, took the command for unanswered and queued it
    /// again; that copy is the one sent). With it, the most acknowledgements the
    /// order lets the transaction carrying it hold ([`OrderRecord::send_limit`]).
    pub(super) async fn claim(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        command: &Command,
    ) -> Result<Option<(Command, Option<u32>)>, EngineError> {
        let command_key = command.key();
        let Some(queued_at) = cycle.with(|s| s.marks.remove(&(key.clone(), command_key.clone())))
        else {
            return Ok(None);
        };
        for _ in 0..STORE_CONFLICT_RETRIES {
            let Some(stored) = self.store.load(key).await? else {
                return Ok(None);
            };
            let ours = stored
                .in_flight
                .as_ref()
                .is_some_and(|f| f.command_key == command_key && f.started_at == queued_at);
            let Some(current) = stored
                .record
                .pending_command()
                .filter(|c| ours && c.key() == command_key)
            else {
                return Ok(None);
            };
            match self.mark_in_flight(key, &stored, command_key.clone()).await {
                Ok(renewed) => {
                    // The grace runs from the claim's stamp, not from the send: a save
                    // that took a good part of it leaves too little for the call, and
                    // another worker could take the command for abandoned while it is
                    // still out. Leave it to recovery, which checks before it sends.
                    let grace = self.unanswered_at(&renewed) - renewed.started_at;
                    if (self.clock.now() - renewed.started_at) * 4 > grace {
                        cycle.error(format!(
                            "{key}: saving the claim of {command_key} took too long; it is left to recovery once its grace is over"
                        ));
                        return Ok(None);
                    }
                    return Ok(Some((current, stored.record.send_limit())));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    pub(super) async fn mark_uncertain(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        command_key: &CommandKey,
    ) -> Result<(), EngineError> {
        for _ in 0..STORE_CONFLICT_RETRIES {
            let Some(stored) = self.store.load(key).await? else {
                return Ok(());
            };
            // The order moved on while the POST was out (another worker took in a
            // change): its marker is for what it waits for now, and stays.
            if stored
                .record
                .pending_command()
                .is_none_or(|c| &c.key() != command_key)
            {
                return Ok(());
            }
            let flight = InFlight {
                command_key: command_key.clone(),
                started_at: self.clock.now(),
            };
            let wakeup = self.wakeup(&stored.record, Some(&flight));
            match self
                .store
                .save(
                    key,
                    &stored.record,
                    Some(&flight),
                    wakeup,
                    Some(stored.version),
                )
                .await
            {
                Ok(_) => {
                    cycle.touch(key, &stored.record);
                    return Ok(());
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    pub(super) async fn check(
        &self,
        cycle: &Cycle,
        program: Program,
        transaction_id: &TransactionId,
        jobs: &[(OrderKey, Command)],
    ) -> Result<(), EngineError> {
        let outcome = match program {
            Program::RetailProcurement => {
                self.call(
                    cycle,
                    "getTransaction (retail)",
                    true,
                    self.clients.retail.transaction_status(transaction_id),
                )
                .await
            }
            Program::DirectFulfillment => {
                self.call(
                    cycle,
                    "getTransactionStatus (direct fulfillment)",
                    true,
                    self.clients
                        .direct_fulfillment
                        .transaction_status(transaction_id),
                )
                .await
            }
        };
        let timing = AnswerTiming {
            retail_processing_confirms_after: self.config.processing_confirms_after,
            direct_fulfillment_read_after: self.config.direct_fulfillment_processing_read_after,
            direct_fulfillment_unconfirmed_after: self.config.direct_fulfillment_unconfirmed_after,
        };
        let now = self.clock.now();
        for (key, command) in jobs {
            let Command::CheckAcknowledgement { key: ack_key, .. } = command else {
                continue;
            };
            let version = ack_key.version;
            let answers = Some(command.key());
            let outcome = match &outcome {
                Ok(outcome) => outcome,
                Err(e) => {
                    self.apply(cycle, key, &command_failed(command, e), answers.as_ref())
                        .await?;
                    continue;
                }
            };
            let Some(stored) = self.store.load(key).await? else {
                continue;
            };
            let submission = answers::submission(&stored.record, version);
            let event = match answers::transaction_answer(&submission, outcome, now, &timing) {
                TransactionAnswer::Decided(event) => event,
                TransactionAnswer::Rejected(errors) => {
                    let read = self.fetch_order(cycle, key).await.ok().and_then(Result::ok);
                    answers::rejection(version, errors, read.as_ref())
                }
                TransactionAnswer::ReadOrder => {
                    match answers::awaited_acknowledgement(&stored.record) {
                        None => Event::AcknowledgementStillProcessing { version },
                        Some(acknowledgement) => match self.fetch_order(cycle, key).await {
                            Ok(read) => answers::processing_after_reading(
                                &submission,
                                acknowledgement,
                                read.ok().as_ref(),
                                &command.key(),
                                now,
                                &timing,
                            ),
                            Err(e) => command_failed(command, &e),
                        },
                    }
                }
            };
            let confirmed = matches!(event, Event::AcknowledgementConfirmed { .. });
            self.apply(cycle, key, &event, answers.as_ref()).await?;
            if confirmed {
                Box::pin(self.reconcile(cycle, key)).await?;
            }
        }
        Ok(())
    }
}
