//! NetSuite approvals: polling changed sales orders and reading the reviewed ones.

use super::*;

/// The order key an external id the sync made names, if it is one.
pub fn order_key_of(external_id: &ExternalId) -> Option<OrderKey> {
    let id = external_id.as_str();
    let (program, rest) = if let Some(rest) = id.strip_prefix("AVC-RP-") {
        (Program::RetailProcurement, rest)
    } else if let Some(rest) = id.strip_prefix("AVC-DF-") {
        (Program::DirectFulfillment, rest)
    } else {
        return None;
    };
    let mut bytes = Vec::with_capacity(rest.len());
    let raw = rest.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'_' {
            let hex = rest.get(i + 1..i + 3)?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    let number = PurchaseOrderNumber::new(String::from_utf8(bytes).ok()?).ok()?;
    // Long numbers are hashed into the id and cannot be read back: check the round trip.
    (crate::mapping::external_id(program, &number) == *external_id)
        .then_some(OrderKey { program, number })
}

impl Engine {
    /// Reads the sales orders changed since the watermark and queues a read of each
    /// approved one; the watermark is saved once those reads are done
    /// ([`Engine::save_netsuite_mark`]).
    pub(super) async fn poll_netsuite(&self, cycle: &Cycle) -> Result<(), EngineError> {
        let now = self.clock.now();
        let saved = self.store.watermark(Cursor::NetSuiteChanges).await?;
        let since = self.start_from(saved, now);
        let changes = match self
            .call(
                cycle,
                "netsuite changed sales orders",
                false,
                self.clients.netsuite.changed_sales_orders(since),
            )
            .await
        {
            Ok(changes) => changes,
            Err(e) => {
                cycle.error(format!(
                    "reading NetSuite's changed sales orders failed: {e}"
                ));
                return Ok(());
            }
        };
        let moves = retrieval::moves_watermark(changes.len(), saved, now);
        for change in changes {
            if change.status == NetSuiteStatus::PendingApproval {
                continue;
            }
            let Some(key) = order_key_of(&change.external_id) else {
                continue;
            };
            let Some(stored) = self.store.load(&key).await? else {
                continue;
            };
            let mut stored = stored;
            if let OrderState::ExpectSalesOrderCreated { draft } = stored.record.state() {
                // NetSuite lists the order while its create is out or unanswered (the
                // answer lost, or the engine stopped first). When NetSuite holds what
                // the create sends, the create went through: take it as created, so an
                // approval given meanwhile is read now (sent again, the create would
                // reset it). When it differs (Amazon changed the order meanwhile), the
                // newer draft must still go out: hold the watermark back at this
                // change, so the approval is listed again once it has.
                let draft = (**draft).clone();
                let held = match self
                    .call(
                        cycle,
                        "netsuite read sales order",
                        false,
                        self.clients.netsuite.sales_order(&change.external_id),
                    )
                    .await
                {
                    Ok(Some(snapshot)) => !holds_draft(&snapshot, &draft),
                    _ => true,
                };
                let hold = |cycle: &Cycle| {
                    cycle.with(|s| {
                        let at = s.unread.entry(key.clone()).or_insert(change.last_modified);
                        *at = (*at).min(change.last_modified);
                    })
                };
                if held {
                    hold(cycle);
                    continue;
                }
                let create = stored.record.pending_command().map(|c| c.key());
                let created = Event::SalesOrderCreated {
                    internal_id: change.internal_id.clone(),
                };
                // Amazon's change may have replaced the draft while NetSuite was read:
                // the check holds only for the record it was made against. And a create
                // being sent (by another worker, or claimed by this one) lands after
                // this read and brings the order to its draft again, approval
                // included: its own answer decides.
                let read_at = self.clock.now();
                let same_draft = |stored: &StoredOrder| {
                    let sending = stored
                        .in_flight
                        .as_ref()
                        .is_some_and(|f| self.unanswered_at(f) > read_at && !cycle.owns(&key, f));
                    !sending
                        && match stored.record.state() {
                            OrderState::ExpectSalesOrderCreated { draft: held } => **held == draft,
                            _ => true,
                        }
                };
                let applied = self
                    .apply_answer(
                        cycle,
                        &key,
                        &created,
                        create.as_ref(),
                        None,
                        Some(&same_draft),
                    )
                    .await?;
                if !applied {
                    hold(cycle);
                    continue;
                }
                match self.store.load(&key).await? {
                    Some(reloaded) => stored = reloaded,
                    None => continue,
                }
            }
            // A held order awaiting approval is read too: the approval lands under the
            // hold and is acted on at release. Left unread, it would fall behind the
            // watermark and never be seen again. A rejected order whose sales order
            // went back to Pending Approval awaits the reviewer's approval as well.
            let wanted = stored.record.state().awaits_approval();
            if wanted && cycle.with(|s| s.reads.insert(key.clone())) {
                cycle.with(|s| s.unread.insert(key.clone(), change.last_modified));
                cycle.queue(
                    key,
                    Command::ReadSalesOrder {
                        external_id: change.external_id,
                        internal_id: Some(change.internal_id),
                    },
                );
            }
        }
        // Nothing listed leaves the watermark where it was, as a quiet retrieval does.
        if moves {
            cycle.with(|s| s.netsuite_mark = Some(now));
        }
        Ok(())
    }

    /// Moves the NetSuite watermark once the poll's reads are done, and no further than
    /// the earliest change whose read failed or never ran: an approval is seen only as
    /// a change, so one left unread must be listed again by the next poll. (Saved
    /// after the reads, a crash before them leaves the watermark where it was.)
    pub(super) async fn save_netsuite_mark(&self, cycle: &Cycle) -> Result<(), EngineError> {
        let mark = cycle.with(|s| {
            let unread = s.unread.values().min().copied();
            s.netsuite_mark.map(|m| unread.map_or(m, |u| m.min(u)))
        });
        if let Some(mark) = mark {
            self.store
                .save_watermark(Cursor::NetSuiteChanges, mark)
                .await?;
        }
        Ok(())
    }
}
