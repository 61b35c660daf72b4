//! The simulator's records: settling and deciding transactions, and the changes
//! to a retail or Direct Fulfillment order's record.

use super::*;

/// Moves `number`'s entry in a date index from `before` to `after` (either absent).
fn reindex(
    index: &mut BTreeSet<(DateTime<Utc>, String)>,
    number: &str,
    before: Option<DateTime<Utc>>,
    after: Option<DateTime<Utc>>,
) {
    if before == after {
        return;
    }
    if let Some(at) = before {
        index.remove(&(at, number.to_owned()));
    }
    if let Some(at) = after {
        index.insert((at, number.to_owned()));
    }
}

impl State {
    // Every write to a record goes through `put_*` or `update_*`, which keep the
    // listing indexes in step with the records: a window is then a range read of
    // its index, costing the page rather than every order ever seeded.

    /// Stores a retail record, new or replacing the one of that number.
    pub(super) fn put_retail(&mut self, number: String, record: RetailRecord) {
        let old = self.retail.get(&number);
        let (listed, changed) = (old.map(|r| r.listed_at), old.and_then(|r| r.changed_at));
        reindex(
            &mut self.retail_listed,
            &number,
            listed,
            Some(record.listed_at),
        );
        reindex(
            &mut self.retail_changed,
            &number,
            changed,
            record.changed_at,
        );
        self.retail.insert(number, record);
    }

    /// Changes a retail record in place, keeping the indexes in step whatever
    /// `change` returns.
    pub(super) fn update_retail<R>(
        &mut self,
        number: &str,
        change: impl FnOnce(&mut RetailRecord) -> Result<R, SimulatorError>,
    ) -> Result<R, SimulatorError> {
        let record = self
            .retail
            .get_mut(number)
            .ok_or_else(|| SimulatorError::UnknownOrder {
                number: number.to_owned(),
            })?;
        let (listed, changed) = (record.listed_at, record.changed_at);
        let result = change(record);
        reindex(
            &mut self.retail_listed,
            number,
            Some(listed),
            Some(record.listed_at),
        );
        reindex(&mut self.retail_changed, number, changed, record.changed_at);
        result
    }

    /// Stores a Direct Fulfillment record, new or replacing the one of that number.
    pub(super) fn put_df(&mut self, number: String, record: DfRecord) {
        let old = self.df.get(&number);
        let (listed, cancelled) = (
            old.map(|r| r.listed_at),
            old.and_then(DfRecord::cancelled_at),
        );
        reindex(&mut self.df_listed, &number, listed, Some(record.listed_at));
        reindex(
            &mut self.df_cancelled,
            &number,
            cancelled,
            record.cancelled_at(),
        );
        self.df.insert(number, record);
    }

    /// Changes a Direct Fulfillment record in place, keeping the indexes in step.
    pub(super) fn update_df<R>(
        &mut self,
        number: &str,
        change: impl FnOnce(&mut DfRecord) -> R,
    ) -> Result<R, SimulatorError> {
        let record = self
            .df
            .get_mut(number)
            .ok_or_else(|| SimulatorError::UnknownOrder {
                number: number.to_owned(),
            })?;
        let (listed, cancelled) = (record.listed_at, record.cancelled_at());
        let result = change(record);
        reindex(
            &mut self.df_listed,
            number,
            Some(listed),
            Some(record.listed_at),
        );
        reindex(
            &mut self.df_cancelled,
            number,
            cancelled,
            record.cancelled_at(),
        );
        Ok(result)
    }

    /// The transaction with this id.
    pub(super) fn transaction(&self, id: &TransactionId) -> Option<&Transaction> {
        self.transaction_at
            .get(id)
            .and_then(|i| self.transactions.get(*i))
            .filter(|t| t.id == *id)
    }

    /// Decides every transaction due by `now`, in the order they were opened.
    pub(super) fn settle(&mut self, now: DateTime<Utc>) {
        // Transactions before `first_pending` are decided: skip them, so settling costs
        // what is pending, not everything ever submitted.
        while self
            .transactions
            .get(self.first_pending)
            .is_some_and(|t| t.decision.is_some())
        {
            self.first_pending += 1;
        }
        for i in self.first_pending..self.transactions.len() {
            let due = {
                let t = &self.transactions[i];
                t.decision.is_none() && t.ready_at <= now
            };
            if !due {
                continue;
            }
            let (program, at, acks) = {
                let t = &self.transactions[i];
                (t.program, t.ready_at, t.acknowledgements.clone())
            };
            let decision = match program {
                Program::RetailProcurement => self.decide_retail(&acks, at),
                Program::DirectFulfillment => self.decide_df(&acks),
            };
            self.transactions[i].decision = Some(decision);
        }
    }

    /// Checks a retail transaction against the POs as they are now; applies it only
    /// when every acknowledgement in it passes.
    pub(super) fn decide_retail(
        &mut self,
        acks: &[Value],
        at: DateTime<Utc>,
    ) -> Result<(), Vec<ServiceMessage>> {
        let mut changed: BTreeMap<String, RetailRecord> = BTreeMap::new();
        let mut errors = Vec::new();
        for (index, ack) in acks.iter().enumerate() {
            let number = ack["purchaseOrderNumber"].as_str().unwrap_or_default();
            let current = changed.get(number).or_else(|| self.retail.get(number));
            match acknowledgements::check_retail(index, ack, number, current) {
                Ok(effect) => {
                    let Some(record) = current else { continue };
                    let mut record = record.clone();
                    record.apply(&effect, at);
                    if self.drift_next.remove(number) {
                        if let Some(line) = record.record_short() {
                            self.drifted.push((number.to_owned(), line));
                        }
                    }
                    changed.insert(number.to_owned(), record);
                }
                Err(mut found) => errors.append(&mut found),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for (number, record) in changed {
            self.put_retail(number, record);
        }
        Ok(())
    }

    pub(super) fn decide_df(&mut self, acks: &[Value]) -> Result<(), Vec<ServiceMessage>> {
        let mut changed: BTreeMap<String, DfRecord> = BTreeMap::new();
        let mut errors = Vec::new();
        for (index, ack) in acks.iter().enumerate() {
            let number = ack["purchaseOrderNumber"].as_str().unwrap_or_default();
            let current = changed.get(number).or_else(|| self.df.get(number));
            match acknowledgements::check_df(index, ack, number, current) {
                Ok(effect) => {
                    let Some(record) = current else { continue };
                    let mut record = record.clone();
                    record.apply(&effect);
                    changed.insert(number.to_owned(), record);
                }
                Err(mut found) => errors.append(&mut found),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for (number, record) in changed {
            self.put_df(number, record);
        }
        Ok(())
    }

    pub(super) fn outcome(&self, t: &Transaction) -> TransactionOutcome {
        match &t.decision {
            None => TransactionOutcome::Processing,
            Some(Err(errors)) if self.config.failures_as_amazon => {
                TransactionOutcome::Failure(as_amazon_sends(t.program, errors))
            }
            Some(Err(errors)) => TransactionOutcome::Failure(errors.clone()),
            Some(Ok(())) => match t.program {
                Program::RetailProcurement if !self.config.retail_success_reported => {
                    TransactionOutcome::Processing
                }
                Program::DirectFulfillment if !self.config.df_success_reported => {
                    TransactionOutcome::Processing
                }
                _ => TransactionOutcome::Success,
            },
        }
    }

    /// Records the acknowledgements of an accepted POST and opens their transaction.
    pub(super) fn open_transaction(
        &mut self,
        op: AmazonOperation,
        program: Program,
        acks: Vec<Value>,
        now: DateTime<Utc>,
    ) -> Result<TransactionId, ClientError> {
        if let Some(max) = self.config.max_acknowledgements {
            if acks.len() > max {
                return Err(rejected(
                    op,
                    vec![message(
                        "RequestEntityTooLarge",
                        format!(
                            "The request is larger than the maximum size: {} acknowledgements, at most {max}.",
                            acks.len()
                        ),
                        None,
                    )],
                ));
            }
        }
        let id = transaction_id(op, self.transactions.len() as u64 + 1, program, now)?;
        for ack in &acks {
            self.acknowledgements.push(ReceivedAcknowledgement {
                program,
                purchase_order_number: ack["purchaseOrderNumber"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                transaction_id: id.clone(),
                received_at: now,
                body: ack.clone(),
            });
        }
        // The counter makes every id unique; were one repeated, the first stays
        // the one found, as a search from the start would find it.
        self.transaction_at
            .entry(id.clone())
            .or_insert(self.transactions.len());
        self.transactions.push(Transaction {
            id: id.clone(),
            program,
            ready_at: add(now, self.config.processing_time),
            acknowledgements: acks,
            decision: None,
        });
        Ok(id)
    }
}

/// A transaction id shaped like the sandbox's
/// (`20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5`), unique by its counter.
pub(super) fn transaction_id(
    op: AmazonOperation,
    counter: u64,
    program: Program,
    now: DateTime<Utc>,
) -> Result<TransactionId, ClientError> {
    let mut rng = SplitMix64::new(stable_hash(&[program.code(), &counter.to_string()]));
    let (a, b) = (rng.next_u64(), rng.next_u64());
    let text = format!(
        "{}-{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        now.format("%Y%m%d%H%M%S"),
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        0x8000 | (b & 0x3FFF),
        counter
    );
    TransactionId::new(text).map_err(|e| {
        ClientError::new(ErrorKind::Transient, op.name())
            .with_messages(vec![message(
                "InternalFailure",
                "We encountered an internal error. Please try again.",
                None,
            )])
            .with_source(e)
    })
}

impl RetailRecord {
    pub(super) fn details_mut(&mut self) -> &mut retail::OrderDetails {
        self.order
            .order_details
            .get_or_insert_with(retail::OrderDetails::default)
    }

    pub(super) fn item_mut(
        &mut self,
        number: &str,
        sequence: &str,
    ) -> Result<&mut retail::OrderItem, SimulatorError> {
        self.details_mut()
            .items
            .get_or_insert_with(Vec::new)
            .iter_mut()
            .find(|i| i.item_sequence_number.as_deref() == Some(sequence))
            .ok_or_else(|| SimulatorError::UnknownLine {
                number: number.to_owned(),
                sequence: sequence.to_owned(),
            })
    }

    pub(super) fn mark_changed(&mut self, now: DateTime<Utc>) {
        self.changed_at = Some(now);
        self.last_updated = now;
        self.details_mut().purchase_order_changed_date = Some(format_instant(&now));
    }

    pub(super) fn set_state(&mut self, to: retail::PurchaseOrderState, now: DateTime<Utc>) {
        if self.order.purchase_order_state.as_ref() == Some(&to) {
            return;
        }
        self.order.purchase_order_state = Some(to);
        self.details_mut().purchase_order_state_changed_date = Some(format_instant(&now));
        self.last_updated = self.last_updated.max(now);
    }

    pub(super) fn set_quantity(
        &mut self,
        number: &str,
        sequence: &str,
        amount: u64,
        now: DateTime<Utc>,
    ) -> Result<(), SimulatorError> {
        let item = self.item_mut(number, sequence)?;
        let before = acknowledgements::ordered_eaches(item).unwrap_or(0);
        let quantity = item
            .ordered_quantity
            .get_or_insert_with(retail::ItemQuantity::default);
        quantity.amount = Some(amount.into());
        let ordered = quantity.clone();
        let after = acknowledgements::ordered_eaches(item).unwrap_or(0);
        self.lines
            .entry(sequence.to_owned())
            .or_default()
            .quantity_history
            .push((now, ordered, before.saturating_sub(after)));
        Ok(())
    }

    pub(super) fn add_line(&mut self, line: RetailLine) -> String {
        let details = self.details_mut();
        let items = details.items.get_or_insert_with(Vec::new);
        let last = items
            .iter()
            .filter_map(|i| i.item_sequence_number.as_deref())
            .filter_map(|s| {
                s.parse::<u64>()
                    .ok()
                    .map(|n| (n, s.len(), s.starts_with('0')))
            })
            .max();
        let sequence = match last {
            Some((n, width, true)) => format!("{:0width$}", n.saturating_add(1)),
            Some((n, _, false)) => n.saturating_add(1).to_string(),
            None => "1".to_owned(),
        };
        let currency = items
            .iter()
            .find_map(|i| i.net_cost.as_ref()?.currency_code.clone())
            .unwrap_or_else(|| "USD".to_owned());
        let money = |amount: &str| retail::Money {
            currency_code: Some(currency.clone()),
            amount: Some(amount.to_owned()),
            unit_of_measure: None,
        };
        items.push(retail::OrderItem {
            item_sequence_number: Some(sequence.clone()),
            amazon_product_identifier: line.asin,
            vendor_product_identifier: line.vendor_sku,
            ordered_quantity: Some(retail::ItemQuantity {
                amount: Some(line.quantity.into()),
                unit_of_measure: Some(match line.unit_size {
                    Some(_) => retail::UnitOfMeasure::Cases,
                    None => retail::UnitOfMeasure::Eaches,
                }),
                unit_size: Some(line.unit_size.unwrap_or(1).into()),
            }),
            is_back_order_allowed: Some(line.back_order_allowed),
            net_cost: Some(money(&line.net_cost)),
            list_price: line.list_price.as_deref().map(money),
        });
        sequence
    }

    pub(super) fn apply(&mut self, effect: &RetailEffect, at: DateTime<Utc>) {
        for (sequence, (accepted, rejected)) in &effect.lines {
            let line = self.lines.entry(sequence.clone()).or_default();
            if !line.acknowledged && *accepted == 0 && *rejected > 0 {
                line.rejected_first = true;
            }
            line.acknowledged = true;
            line.accepted = *accepted;
            line.rejected = *rejected;
            line.acknowledgement_history
                .push((effect.acknowledged_at, *accepted, *rejected));
        }
        if self
            .order
            .purchase_order_state
            .as_ref()
            .and_then(|s| s.known())
            == Some(retail::PurchaseOrderState::New)
        {
            self.set_state(retail::PurchaseOrderState::Acknowledged, at);
        }
        self.last_updated = self.last_updated.max(at);
    }

    /// Records the last acknowledgement one unit short on its first accepted line;
    /// the line's sequence number, or `None` when no line is accepted.
    pub(super) fn record_short(&mut self) -> Option<String> {
        let items = self
            .order
            .order_details
            .as_ref()
            .and_then(|d| d.items.as_deref())
            .unwrap_or_default();
        for item in items {
            let Some(sequence) = item.item_sequence_number.as_ref() else {
                continue;
            };
            let unit = acknowledgements::case_size(item);
            let Some(line) = self.lines.get_mut(sequence) else {
                continue;
            };
            if line.accepted < unit || unit == 0 {
                continue;
            }
            line.accepted -= unit;
            line.rejected += unit;
            if let Some(last) = line.acknowledgement_history.last_mut() {
                last.1 = line.accepted;
                last.2 = line.rejected;
            }
            return Some(sequence.clone());
        }
        None
    }

    /// The PO as `getPurchaseOrdersStatus` reports it.
    pub(super) fn status(&self, number: &str) -> retail::OrderStatus {
        let details = self.order.order_details.as_ref();
        let closed = self
            .order
            .purchase_order_state
            .as_ref()
            .and_then(|s| s.known())
            == Some(retail::PurchaseOrderState::Closed);
        let party = |p: Option<&retail::PartyIdentification>| {
            p.map(|p| retail::PartyIdentification {
                party_id: p.party_id.clone(),
                address: None,
                tax_info: None,
            })
        };
        let items = details
            .and_then(|d| d.items.as_deref())
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let sequence = item.item_sequence_number.clone().unwrap_or_default();
                let line = self.lines.get(&sequence).cloned().unwrap_or_default();
                let ordered = acknowledgements::ordered_eaches(item).unwrap_or(0);
                let quantity = |eaches| acknowledgements::quantity_like(item, eaches);
                // Amazon's sandbox leaves a quantity of zero out of an
                // acknowledgement's details (`getPurchaseOrdersStatus`, PO 2JK3S9VB,
                // item 3: no `acceptedQuantity` for a line rejected in full).
                let stated = |eaches: u64| (eaches > 0).then(|| quantity(eaches));
                let confirmation = if !line.acknowledged {
                    retail::ConfirmationStatus::Unconfirmed
                } else if line.accepted == 0 {
                    retail::ConfirmationStatus::Rejected
                } else if line.accepted >= ordered && line.rejected == 0 {
                    retail::ConfirmationStatus::Accepted
                } else {
                    retail::ConfirmationStatus::PartiallyAccepted
                };
                retail::OrderItemStatus {
                    item_sequence_number: item.item_sequence_number.clone(),
                    buyer_product_identifier: item.amazon_product_identifier.clone(),
                    vendor_product_identifier: item.vendor_product_identifier.clone(),
                    net_cost: item.net_cost.clone(),
                    list_price: item.list_price.clone(),
                    ordered_quantity: Some(retail::OrderedQuantityStatus {
                        ordered_quantity: item.ordered_quantity.clone(),
                        ordered_quantity_details: (!line.quantity_history.is_empty()).then(|| {
                            line.quantity_history
                                .iter()
                                .map(|(at, ordered, cancelled)| retail::OrderedQuantityDetails {
                                    updated_date: Some(format_instant(at)),
                                    ordered_quantity: Some(ordered.clone()),
                                    cancelled_quantity: Some(quantity(*cancelled)),
                                })
                                .collect()
                        }),
                    }),
                    acknowledgement_status: Some(retail::AcknowledgementStatus {
                        confirmation_status: Some(confirmation),
                        accepted_quantity: Some(quantity(line.accepted)),
                        rejected_quantity: Some(quantity(line.rejected)),
                        acknowledgement_status_details: (!line.acknowledgement_history.is_empty())
                            .then(|| {
                                line.acknowledgement_history
                                    .iter()
                                    .map(|(at, accepted, rejected)| {
                                        retail::AcknowledgementStatusDetails {
                                            acknowledgement_date: Some(format_instant(at)),
                                            accepted_quantity: stated(*accepted),
                                            rejected_quantity: stated(*rejected),
                                        }
                                    })
                                    .collect()
                            }),
                    }),
                    receiving_status: Some(retail::ReceivingStatus {
                        receive_status: Some(retail::ReceiveStatus::NotReceived),
                        received_quantity: Some(quantity(0)),
                        last_receive_date: None,
                    }),
                }
            })
            .collect();
        retail::OrderStatus {
            purchase_order_number: Some(number.to_owned()),
            purchase_order_status: Some(if closed {
                retail::PurchaseOrderStatus::Closed
            } else {
                retail::PurchaseOrderStatus::Open
            }),
            purchase_order_date: details.and_then(|d| d.purchase_order_date.clone()),
            last_updated_date: Some(format_instant(&self.last_updated)),
            selling_party: party(details.and_then(|d| d.selling_party.as_ref())),
            ship_to_party: party(details.and_then(|d| d.ship_to_party.as_ref())),
            item_status: Some(items),
        }
    }
}

impl DfRecord {
    pub(super) fn status(&self) -> df::OrderStatus {
        self.order
            .order_details
            .as_ref()
            .and_then(|d| d.order_status.clone())
            .unwrap_or(df::OrderStatus::New)
    }

    /// The listing date, when the order's status is `CANCELLED` now: its key in the
    /// cancelled index.
    pub(super) fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        (self.status().known() == Some(df::OrderStatus::Cancelled)).then_some(self.listed_at)
    }

    pub(super) fn set_status(&mut self, status: df::OrderStatus) {
        self.order
            .order_details
            .get_or_insert_with(df::OrderDetails::default)
            .order_status = Some(status);
    }

    pub(super) fn apply(&mut self, effect: &DfEffect) {
        self.set_status(if effect.accepted {
            df::OrderStatus::Accepted
        } else {
            df::OrderStatus::Cancelled
        });
    }
}
