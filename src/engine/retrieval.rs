//! Retrieval: listing both programs' windows at Amazon and taking each order in.

use super::*;

/// Every cursor a cycle reads from, and where the sync started each program (which
/// the deep sweeps reach no further back than).
pub(super) const CURSORS: [Cursor; 6] = [
    Cursor::Retail(WindowKind::Created),
    Cursor::Retail(WindowKind::Changed),
    Cursor::DirectFulfillment,
    Cursor::NetSuiteChanges,
    Cursor::Start(Program::RetailProcurement),
    Cursor::Start(Program::DirectFulfillment),
];

/// Which reading lists a window: the regular retrieval (or the check for
/// cancellations), or a deep sweep of past windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReadBy {
    /// The retrieval from a cursor's watermark, or the check for cancellations.
    Retrieval,
    /// A deep sweep: its calls are counted apart, and an order new to the store is
    /// one Amazon listed late.
    Sweep,
}

/// The most reads of one window in a cycle while its listing keeps changing.
pub(super) const MAX_WINDOW_PASSES: usize = 3;

/// How far back Amazon lists orders (six months).
pub(super) const AMAZON_LISTING_HORIZON: Duration = Duration::from_secs(180 * 24 * 3600);

/// Amazon's longest window: "date range must not exceed 7 days".
pub(super) const AMAZON_MAX_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long a listing that finds nothing leaves its watermark where it is. A window
/// that lists no order says nothing the saved watermark does not already say (the
/// next read starts there, and finds the same nothing), so an idle cycle writes no
/// watermark; only once the saved one is this far behind is it moved, to keep the
/// windows, and the re-reading after a stop, short.
pub(super) const QUIET_WATERMARK_REFRESH: Duration = Duration::from_secs(10 * 60);

/// Whether a listing up to `end` that found `listed` orders moves a watermark saved
/// at `saved`: always when it found any, else once the saved one is
/// [`QUIET_WATERMARK_REFRESH`] behind (or was never saved).
pub(super) fn moves_watermark(
    listed: usize,
    saved: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
) -> bool {
    listed > 0 || saved.is_none_or(|saved| end >= later(saved, QUIET_WATERMARK_REFRESH))
}

/// An order Amazon listed that could not be converted: the reasons, and what can be
/// kept of it (`None` when its number cannot be read).
pub(super) struct Invalid {
    reason: String,
    kept: Option<UnreadableOrder>,
}

/// One order of a listed page, as the listing takes it.
pub(super) enum Listed {
    /// An order to take in: new to the store, or a copy of one it holds.
    Order(Box<Result<PurchaseOrder, Invalid>>),
    /// A Direct Fulfillment order listed among those Amazon cancelled: `None` when its
    /// own status says so, else why it is not taken as cancelled.
    Cancelled(Option<String>),
}

/// Whether an acknowledgement rejecting the whole order is out (being sent, or
/// waiting for Amazon's confirmation).
fn rejection_out(record: &OrderRecord) -> bool {
    match record.state().unheld() {
        OrderState::ExpectAcknowledgementSubmitted { acknowledgement }
        | OrderState::ExpectAcknowledgementConfirmation {
            acknowledgement, ..
        } => crate::lifecycle::rejects_whole(acknowledgement),
        _ => false,
    }
}

/// What a listing of `kind` is called in the cycle's errors.
pub(super) fn listing_name(program: Program, kind: WindowKind) -> String {
    match kind {
        WindowKind::Cancelled => format!("{} cancellation check", program.code()),
        _ => format!("{} retrieval", program.code()),
    }
}

impl Engine {
    /// Saves where the sync starts, for every cursor at once, the first time: the
    /// first lookback before now (as a watermark one window overlap later, so the
    /// first window is unchanged). Saved before any read, so that a first read that
    /// fails, then a long stop, does not move the start past what was there; and for
    /// every cursor together, so that a cursor first read later than the others (a
    /// cycle cut short before it) does not start later and miss a change made in
    /// between. A cursor missing beside others takes the earliest of theirs.
    pub(super) async fn save_starts(&self, now: DateTime<Utc>) -> Result<(), EngineError> {
        let mut marks = Vec::with_capacity(CURSORS.len());
        for cursor in CURSORS {
            marks.push((cursor, self.store.watermark(cursor).await?));
        }
        let first = later(
            earlier(now, self.config.first_lookback),
            self.config.window_overlap,
        );
        let start = marks
            .iter()
            .filter_map(|(_, m)| *m)
            .fold(first, DateTime::min);
        for (cursor, mark) in marks {
            if mark.is_none() {
                self.store.save_watermark(cursor, start).await?;
            }
        }
        Ok(())
    }

    /// Where reading from `cursor` starts: the window overlap before its watermark.
    pub(super) async fn start_of(
        &self,
        cursor: Cursor,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, EngineError> {
        Ok(self.start_from(self.store.watermark(cursor).await?, now))
    }

    /// Where reading starts from the watermark `saved`: the window overlap before it,
    /// or the first lookback before now when none was saved.
    pub(super) fn start_from(
        &self,
        saved: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        match saved {
            Some(mark) => earlier(mark, self.config.window_overlap),
            None => earlier(now, self.config.first_lookback),
        }
    }

    pub(super) async fn retrieve(
        &self,
        cycle: &Cycle,
        program: Program,
        kind: WindowKind,
    ) -> Result<(), EngineError> {
        let cursor = match program {
            Program::RetailProcurement => Cursor::Retail(kind),
            Program::DirectFulfillment => Cursor::DirectFulfillment,
        };
        let now = self.clock.now();
        let mut saved = self.store.watermark(cursor).await?;
        let watermark = match saved {
            Some(mark) => mark,
            // Saved by `save_starts` before any retrieval; read as it would be.
            None => later(
                earlier(now, self.config.first_lookback),
                self.config.window_overlap,
            ),
        };
        // Never further back than Amazon lists: a window it refuses would stop every
        // cycle here, and the watermark would never move again.
        let plan = WindowPlan::new(
            watermark,
            self.config.window_overlap,
            now,
            self.config.max_window,
            AMAZON_LISTING_HORIZON,
        );
        if let Some((from, until)) = plan.skipped {
            let span = SkippedSpan {
                cursor,
                from,
                until,
            };
            self.observer.skipped(&span);
            cycle.with(|s| s.report.skipped.push(span));
        }
        for (start, end) in plan.windows() {
            let Some(listed) = self
                .read_settled(cycle, program, kind, (start, end), ReadBy::Retrieval)
                .await?
            else {
                // The watermark stays: the next cycle reads this window again.
                return Ok(());
            };
            if moves_watermark(listed, saved, end) {
                self.store.save_watermark(cursor, end).await?;
                saved = Some(end);
            }
        }
        Ok(())
    }

    /// Lists the Direct Fulfillment orders Amazon cancelled among those created in the
    /// last [`EngineConfig::cancellation_lookback`], at most once per
    /// [`EngineConfig::cancellation_check_interval`], and takes each one in
    /// ([`Engine::take_cancellation`]). The time of the last check that read every
    /// window is saved only then: a failed check is reported and runs again next cycle.
    pub(super) async fn check_cancellations(&self, cycle: &Cycle) -> Result<(), EngineError> {
        let cursor = Cursor::DirectFulfillmentCancellations;
        let now = self.clock.now();
        let last = match self.store.watermark(cursor).await? {
            // The first cycle on this store: what it reads comes with its status now.
            None => return Ok(self.store.save_watermark(cursor, now).await?),
            // A clock set back waits until it is past the last check again, as the
            // retrievals wait for their watermarks.
            Some(last) if now < later(last, self.config.cancellation_check_interval) => {
                return Ok(());
            }
            Some(last) => last,
        };
        let program = Program::DirectFulfillment;
        let window = self.config.max_window.min(AMAZON_MAX_WINDOW);
        // After a stop (a check missed), reach back from the last check, not from
        // now: an order created within the lookback before the stop may have been
        // cancelled during it. Amazon lists six months at most.
        let stopped = now > later(last, self.config.cancellation_check_interval * 2);
        let from = if stopped { last } else { now };
        let mut start = earlier(from, self.config.cancellation_lookback)
            .max(earlier(now, AMAZON_LISTING_HORIZON));
        while start < now {
            let end = later(start, window).min(now);
            if self
                .read_settled(
                    cycle,
                    program,
                    WindowKind::Cancelled,
                    (start, end),
                    ReadBy::Retrieval,
                )
                .await?
                .is_none()
            {
                return Ok(());
            }
            start = end;
        }
        self.store.save_watermark(cursor, now).await?;
        Ok(())
    }

    /// Reads one window and takes every order it lists. A listing that changes while
    /// it is paged (an order placed or cancelled, a shuffled order) can shift an order
    /// onto a page already read: a window read over several pages is read again until
    /// two passes list the same orders. Returns how many orders the passes listed, or
    /// `None` when the read stopped (a failed call, a repeated token, a listing that
    /// kept changing): the window is read again next cycle.
    pub(super) async fn read_settled(
        &self,
        cycle: &Cycle,
        program: Program,
        kind: WindowKind,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        by: ReadBy,
    ) -> Result<Option<usize>, EngineError> {
        let mut taken = BTreeSet::new();
        let mut previous: Option<BTreeSet<String>> = None;
        let mut passes = 0;
        loop {
            passes += 1;
            let Some((listed, pages)) = self
                .read_window(cycle, program, kind, (start, end), &mut taken, by)
                .await?
            else {
                return Ok(None);
            };
            if pages <= 1 || previous.as_ref() == Some(&listed) {
                return Ok(Some(taken.len()));
            }
            if passes >= MAX_WINDOW_PASSES {
                cycle.error(format!(
                    "{}: the window from {} to {} listed other orders on each of {passes} reads; it is read again next cycle",
                    listing_name(program, kind),
                    crate::order::format_instant(&start),
                    crate::order::format_instant(&end)
                ));
                return Ok(None);
            }
            previous = Some(listed);
        }
    }

    /// Reads one window from its first page to its last and takes every order not
    /// taken in an earlier pass: into the store, or for a [`WindowKind::Cancelled`]
    /// listing as cancelled ([`Engine::take_cancellation`]). Returns what the pass
    /// listed and how many pages it took; `None` when the read stopped (a failed call,
    /// a repeated token).
    pub(super) async fn read_window(
        &self,
        cycle: &Cycle,
        program: Program,
        kind: WindowKind,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        taken: &mut BTreeSet<String>,
        by: ReadBy,
    ) -> Result<Option<(BTreeSet<String>, usize)>, EngineError> {
        let mut listed = BTreeSet::new();
        let mut pages = 0;
        let mut token: Option<String> = None;
        let mut tokens_seen = BTreeSet::new();
        loop {
            let query = OrderQuery {
                kind,
                after: start,
                before: end,
                limit: self.config.page_limit.clamp(1, 100),
                next_token: token.clone(),
            };
            let page = match program {
                Program::RetailProcurement => self
                    .call(
                        cycle,
                        "getPurchaseOrders",
                        true,
                        self.clients.retail.purchase_orders(&query),
                    )
                    .await
                    .map(|p| {
                        let orders = p
                            .orders
                            .iter()
                            .map(|o| {
                                let order = o.to_purchase_order().map_err(|e| Invalid {
                                    reason: e.to_string(),
                                    kept: UnreadableOrder::of_retail(o, e),
                                });
                                (
                                    o.purchase_order_number.clone(),
                                    Listed::Order(Box::new(order)),
                                )
                            })
                            .collect::<Vec<_>>();
                        (orders, p.malformed, p.next_token)
                    }),
                Program::DirectFulfillment => self
                    .call(
                        cycle,
                        "getOrders",
                        true,
                        self.clients.direct_fulfillment.orders(&query),
                    )
                    .await
                    .map(|p| {
                        let orders = p
                            .orders
                            .iter()
                            .map(|o| {
                                let order = match kind {
                                    WindowKind::Cancelled => {
                                        Listed::Cancelled(doubt_of_cancellation(o))
                                    }
                                    _ => Listed::Order(Box::new(o.to_purchase_order().map_err(
                                        |e| Invalid {
                                            reason: e.to_string(),
                                            kept: UnreadableOrder::of_direct_fulfillment(o, e),
                                        },
                                    ))),
                                };
                                (o.purchase_order_number.clone(), order)
                            })
                            .collect::<Vec<_>>();
                        (orders, p.malformed, p.next_token)
                    }),
            };
            if by == ReadBy::Sweep {
                cycle.with(|s| s.report.sweep_calls += 1);
            }
            let (orders, malformed, next) = match page {
                Ok(page) => page,
                Err(e) => {
                    cycle.error(format!(
                        "{} stopped in the window from {} to {}: {e}",
                        listing_name(program, kind),
                        crate::order::format_instant(&start),
                        crate::order::format_instant(&end)
                    ));
                    return Ok(None);
                }
            };
            pages += 1;
            let place = || ListingPlace {
                listing: listing_name(program, kind),
                window_start: start,
                window_end: end,
                page: pages,
            };
            for m in malformed {
                let entry = m
                    .purchase_order_number
                    .clone()
                    .unwrap_or_else(|| format!("(unreadable) {}", m.reason));
                listed.insert(entry.clone());
                if !taken.insert(entry) {
                    continue;
                }
                if kind == WindowKind::Cancelled {
                    let doubt = format!("it cannot be read ({})", m.reason);
                    self.take_cancellation(cycle, m.purchase_order_number.as_deref(), Some(doubt))
                        .await?;
                    continue;
                }
                let kept = UnreadableOrder::of_malformed(program, &m);
                self.take_unreadable(cycle, m.reason, kept, place()).await?;
            }
            for (number, order) in orders {
                let entry = number.clone().unwrap_or_default();
                listed.insert(entry.clone());
                if !taken.insert(entry) {
                    continue;
                }
                match order {
                    Listed::Order(order) => match *order {
                        Ok(po) => self.take_order(cycle, program, po, by).await?,
                        Err(invalid) => {
                            self.take_unreadable(cycle, invalid.reason, invalid.kept, place())
                                .await?
                        }
                    },
                    Listed::Cancelled(doubt) => {
                        self.take_cancellation(cycle, number.as_deref(), doubt)
                            .await?
                    }
                }
            }
            match next {
                Some(t) if tokens_seen.insert(t.clone()) => token = Some(t),
                Some(t) => {
                    cycle.error(format!(
                        "{}: Amazon repeated the page token {t}; the window is read again next cycle",
                        listing_name(program, kind)
                    ));
                    return Ok(None);
                }
                None => return Ok(Some((listed, pages))),
            }
        }
    }

    /// Takes one order read from Amazon: a new record, or a change to a known one.
    pub(super) async fn take_order(
        &self,
        cycle: &Cycle,
        program: Program,
        po: PurchaseOrder,
        by: ReadBy,
    ) -> Result<(), EngineError> {
        let key = OrderKey {
            program,
            number: po.number.clone(),
        };
        // Counted once a cycle, but always compared with the store: Amazon may have
        // changed the order since an earlier window of this cycle listed it.
        if cycle.with(|s| s.seen.insert(key.clone())) {
            cycle.with(|s| s.report.retrieved += 1);
        }
        self.receive(cycle, &key, po, by).await
    }

    /// Takes one order a listing held that cannot be read. It is reported with where
    /// it was listed; one whose number can be read and that the store does not hold is
    /// stored waiting for a readable copy ([`OrderRecord::receive_unreadable`]), so it
    /// shows in the status table and can be re-fetched. A known order keeps its last
    /// readable copy. One whose number cannot be read is counted.
    pub(super) async fn take_unreadable(
        &self,
        cycle: &Cycle,
        reason: String,
        kept: Option<UnreadableOrder>,
        place: ListingPlace,
    ) -> Result<(), EngineError> {
        let Some(kept) = kept else {
            cycle.with(|s| {
                s.report.unnumbered += 1;
                s.report.set_aside.push(SetAside {
                    key: None,
                    reason,
                    place: Some(place),
                })
            });
            return Ok(());
        };
        let key = OrderKey {
            program: kept.program,
            number: kept.number.clone(),
        };
        cycle.with(|s| {
            if s.seen.insert(key.clone()) {
                s.report.retrieved += 1;
            }
            s.report.set_aside.push(SetAside {
                key: Some(key.clone()),
                reason,
                place: Some(place),
            })
        });
        if self.store.load(&key).await?.is_some() {
            return Ok(());
        }
        let (record, commands) =
            OrderRecord::receive_unreadable(kept, self.clock.now(), &self.settings);
        // Another worker may have stored it meanwhile: what it holds stands.
        self.save_new(cycle, &key, record, commands).await?;
        Ok(())
    }

    /// Takes one Direct Fulfillment order listed among those Amazon cancelled: applies
    /// [`Event::PurchaseOrderCancelled`] to the stored order while it has something to
    /// end ([`awaits_cancellation`], checked again on the version the event is saved
    /// over). An order the store does not hold needs nothing: it was never received,
    /// and would be received as cancelled. `doubt` says why the listing does not show
    /// the order as cancelled after all; such an order is reported and left as it is.
    pub(super) async fn take_cancellation(
        &self,
        cycle: &Cycle,
        number: Option<&str>,
        doubt: Option<String>,
    ) -> Result<(), EngineError> {
        let Some(number) = number.and_then(|n| PurchaseOrderNumber::new(n).ok()) else {
            return Ok(());
        };
        let key = OrderKey {
            program: Program::DirectFulfillment,
            number,
        };
        let open = |stored: &StoredOrder| awaits_cancellation(&stored.record);
        match self.store.load(&key).await? {
            Some(stored) if open(&stored) => {}
            _ => return Ok(()),
        }
        if let Some(doubt) = doubt {
            cycle.error(format!(
                "{key}: listed among the orders Amazon cancelled, but {doubt}; left as it is"
            ));
            return Ok(());
        }
        self.apply_answer(
            cycle,
            &key,
            &Event::PurchaseOrderCancelled,
            None,
            None,
            Some(&open),
        )
        .await
        .map(drop)
    }

    pub(super) async fn receive(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        po: PurchaseOrder,
        by: ReadBy,
    ) -> Result<(), EngineError> {
        match self.store.load(key).await? {
            // Amazon sends an order the store keeps as unreadable readable at last, and
            // shows it acknowledged: taken in with what Amazon accepted.
            Some(stored) if stored.record.awaits_readable_order() && acknowledged_before(&po) => {
                let acceptance = self.acceptance_of(cycle, &po).await;
                self.apply(
                    cycle,
                    key,
                    &Event::PurchaseOrderFoundAcknowledged {
                        purchase_order: Box::new(po),
                        acceptance,
                    },
                    None,
                )
                .await?;
                Ok(())
            }
            // Amazon shows a Direct Fulfillment order the vendor rejected as cancelled:
            // while the acknowledgement rejecting it is out, its confirmation ends the
            // order as rejected, as the check for cancellations leaves it
            // (`awaits_cancellation`). A listing that reads the order again then (a
            // deep sweep, days later) changes nothing.
            Some(stored)
                if po.state == crate::order::AmazonOrderState::Cancelled
                    && rejection_out(&stored.record) =>
            {
                Ok(())
            }
            Some(stored) => {
                // Once the order's sync is over (cancelled, closed), by this worker or
                // another one meanwhile, a copy Amazon changed since has nothing left to
                // change, and no state after the end takes it.
                let open = |stored: &StoredOrder| !stored.record.state().is_terminal();
                if open(&stored) && stored.record.purchase_order() != &po {
                    self.apply_answer(
                        cycle,
                        key,
                        &Event::PurchaseOrderChanged {
                            purchase_order: Box::new(po),
                        },
                        None,
                        None,
                        Some(&open),
                    )
                    .await?;
                }
                Ok(())
            }
            None => {
                let now = self.clock.now();
                let policy = self.policy(key.program);
                // Acknowledged before this sync ever saw it: acknowledging again would
                // duplicate someone else's answer, so the sales order is made from
                // what Amazon accepted.
                let (mut record, mut commands) = if acknowledged_before(&po) {
                    let acceptance = self.acceptance_of(cycle, &po).await;
                    OrderRecord::receive_acknowledged(po, &acceptance, now, &self.settings, &policy)
                } else {
                    OrderRecord::receive_with(po, now, &self.settings, &policy)
                };
                // New to the store in a window the retrieval had passed: Amazon listed
                // it late, and its acknowledgement clock may be short.
                if by == ReadBy::Sweep {
                    (record, commands) = record.found_by_sweep(commands, now);
                }
                if let Some(record) = self.save_new(cycle, key, record, commands).await? {
                    // Another worker created it meanwhile: take it as a change.
                    return Box::pin(self.receive(cycle, key, record.purchase_order().clone(), by))
                        .await;
                }
                if by == ReadBy::Sweep {
                    cycle.with(|s| s.report.found_by_sweep += 1);
                }
                Ok(())
            }
        }
    }

    /// What Amazon accepted of `po`, which Amazon shows acknowledged: for a retail PO,
    /// read from Amazon's status report; a report that cannot be read is a reason the
    /// order waits for a person.
    pub(super) async fn acceptance_of(
        &self,
        cycle: &Cycle,
        po: &PurchaseOrder,
    ) -> AmazonAcceptance {
        if po.program != Program::RetailProcurement {
            return accepted_at_amazon(po, None);
        }
        match self
            .call(
                cycle,
                "getPurchaseOrdersStatus",
                true,
                self.clients.retail.purchase_order_status(&po.number),
            )
            .await
        {
            Ok(status) => accepted_at_amazon(po, status.as_ref()),
            Err(e) => AmazonAcceptance::Unreadable {
                problems: vec![crate::order::Problem {
                    purchase_order_number: po.number.to_string(),
                    line: None,
                    field: "ordersStatus".into(),
                    kind: crate::order::ProblemKind::Invalid {
                        reason: format!("Amazon's status report could not be read: {e}"),
                    },
                }],
            },
        }
    }

    /// Saves a record new to the store and queues its first commands. Returns the
    /// record, unsaved, when another worker created the order meanwhile.
    pub(super) async fn save_new(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
        record: OrderRecord,
        commands: Vec<Command>,
    ) -> Result<Option<OrderRecord>, EngineError> {
        let now = self.clock.now();
        // A new record has no marker, and waits for nothing its step did not ask for.
        let plan = outbox::plan(
            Outbox {
                marker: None,
                answers: None,
                marker_out: false,
            },
            commands,
            false,
            || None,
        );
        let in_flight = persistence::in_flight_after(&plan.marker, None, now);
        let wakeup = self.wakeup(&record, in_flight.as_ref());
        match self
            .store
            .save(key, &record, in_flight.as_ref(), wakeup, None)
            .await
        {
            Ok(_) => {}
            Err(StoreError::Conflict { .. }) => return Ok(Some(record)),
            Err(e) => return Err(e.into()),
        }
        cycle.with(|s| s.report.new_orders += 1);
        self.saved(cycle, key, &record, in_flight.as_ref(), plan);
        Ok(None)
    }

    /// Reads one order from Amazon again.
    pub(super) async fn fetch_order(
        &self,
        cycle: &Cycle,
        key: &OrderKey,
    ) -> Result<Result<PurchaseOrder, ValidationError>, ClientError> {
        Ok(match key.program {
            Program::RetailProcurement => self
                .call(
                    cycle,
                    "getPurchaseOrder",
                    true,
                    self.clients.retail.purchase_order(&key.number),
                )
                .await?
                .to_purchase_order(),
            Program::DirectFulfillment => self
                .call(
                    cycle,
                    "getOrder",
                    true,
                    self.clients.direct_fulfillment.order(&key.number),
                )
                .await?
                .to_purchase_order(),
        })
    }
}
