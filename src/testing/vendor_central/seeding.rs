//! Seeding the simulator, and the changes Amazon makes to its orders.

use super::*;

impl VendorCentral {
    // -----------------------------------------------------------------------------
    // Seeding
    // -----------------------------------------------------------------------------

    /// Seeds a retail purchase order, listed by its `purchaseOrderDate` (and, once
    /// changed, by its `purchaseOrderChangedDate`).
    ///
    /// # Errors
    /// [`SimulatorError::MissingNumber`], [`SimulatorError::DuplicateOrder`], or
    /// [`SimulatorError::NoOrderDate`] when `purchaseOrderDate` is missing or
    /// unreadable (use [`VendorCentral::add_retail_order_listed_at`] to seed such an
    /// order on purpose).
    pub fn add_retail_order(&self, order: retail::Order) -> Result<(), SimulatorError> {
        let listed_at = order
            .order_details
            .as_ref()
            .and_then(|d| d.purchase_order_date.as_deref())
            .and_then(|d| parse_instant(d).ok())
            .ok_or_else(|| SimulatorError::NoOrderDate {
                number: order.purchase_order_number.clone().unwrap_or_default(),
                field: "orderDetails.purchaseOrderDate",
            })?;
        self.add_retail_order_listed_at(order, listed_at)
    }

    /// Seeds a retail purchase order listed in created windows by `listed_at`,
    /// whatever its body says: for orders whose dates are missing or broken on
    /// purpose.
    ///
    /// # Errors
    /// [`SimulatorError::MissingNumber`] or [`SimulatorError::DuplicateOrder`].
    pub fn add_retail_order_listed_at(
        &self,
        order: retail::Order,
        listed_at: DateTime<Utc>,
    ) -> Result<(), SimulatorError> {
        let number = order
            .purchase_order_number
            .clone()
            .ok_or(SimulatorError::MissingNumber)?;
        let details = order.order_details.as_ref();
        let date = |f: fn(&retail::OrderDetails) -> Option<&String>| {
            details.and_then(f).and_then(|d| parse_instant(d).ok())
        };
        let changed_at = date(|d| d.purchase_order_changed_date.as_ref());
        let state_changed_at = date(|d| d.purchase_order_state_changed_date.as_ref());
        let last_updated = [Some(listed_at), changed_at, state_changed_at]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(listed_at);
        let mut state = self.settled();
        if state.retail.contains_key(&number) {
            return Err(SimulatorError::DuplicateOrder { number });
        }
        state.put_retail(
            number,
            RetailRecord {
                order,
                listed_at,
                changed_at,
                last_updated,
                lines: BTreeMap::new(),
            },
        );
        Ok(())
    }

    /// Seeds a Direct Fulfillment order, listed by its `orderDate`.
    ///
    /// # Errors
    /// As [`VendorCentral::add_retail_order`], for `orderDetails.orderDate`.
    pub fn add_df_order(&self, order: df::Order) -> Result<(), SimulatorError> {
        let listed_at = order
            .order_details
            .as_ref()
            .and_then(|d| d.order_date.as_deref())
            .and_then(|d| parse_instant(d).ok())
            .ok_or_else(|| SimulatorError::NoOrderDate {
                number: order.purchase_order_number.clone().unwrap_or_default(),
                field: "orderDetails.orderDate",
            })?;
        self.add_df_order_listed_at(order, listed_at)
    }

    /// Seeds a Direct Fulfillment order listed by `listed_at`, whatever its body says.
    ///
    /// # Errors
    /// [`SimulatorError::MissingNumber`] or [`SimulatorError::DuplicateOrder`].
    pub fn add_df_order_listed_at(
        &self,
        order: df::Order,
        listed_at: DateTime<Utc>,
    ) -> Result<(), SimulatorError> {
        let number = order
            .purchase_order_number
            .clone()
            .ok_or(SimulatorError::MissingNumber)?;
        let mut state = self.settled();
        if state.df.contains_key(&number) {
            return Err(SimulatorError::DuplicateOrder { number });
        }
        state.put_df(number, DfRecord { order, listed_at });
        Ok(())
    }

    /// Seeds an entry of a created window that cannot be read at all: pages covering
    /// `listed_at` report it in [`Page::malformed`].
    pub fn add_unreadable_order(
        &self,
        program: Program,
        listed_at: DateTime<Utc>,
        malformed: MalformedOrder,
    ) {
        self.settled().unreadable.push(Unreadable {
            program,
            listed_at,
            malformed,
        });
    }

    /// Lists an order late, as in Amazon's outages where POs shown in Vendor Central
    /// were missing from the API for days: no listing (created, changed or cancelled
    /// windows) shows it before `from`; from then on it is listed by its date as
    /// before. Reading it by number (`getPurchaseOrder`, `getOrder`) and its status
    /// report answer as usual throughout: the outages hit the listings.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn list_late(
        &self,
        program: Program,
        number: &str,
        from: DateTime<Utc>,
    ) -> Result<(), SimulatorError> {
        let mut state = self.settled();
        let known = match program {
            Program::RetailProcurement => state.retail.contains_key(number),
            Program::DirectFulfillment => state.df.contains_key(number),
        };
        if !known {
            return Err(SimulatorError::UnknownOrder {
                number: number.to_owned(),
            });
        }
        state.listed_from.insert((program, number.to_owned()), from);
        Ok(())
    }

    // -----------------------------------------------------------------------------
    // Changes Amazon makes
    // -----------------------------------------------------------------------------

    /// Changes a retail PO as Amazon does after creation: `change` edits the wire
    /// order, then `purchaseOrderChangedDate` is set to now, so changed windows
    /// covering now select it.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn change_retail_order(
        &self,
        number: &str,
        change: impl FnOnce(&mut retail::Order),
    ) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        state.update_retail(number, |record| {
            change(&mut record.order);
            record.mark_changed(now);
            Ok(())
        })
    }

    /// Sets a retail line's ordered quantity (in the line's unit) and marks the PO
    /// changed. A lower quantity is recorded as cancelled in the status report.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`], [`SimulatorError::UnknownLine`].
    pub fn set_retail_quantity(
        &self,
        number: &str,
        sequence: &str,
        amount: u64,
    ) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        state.update_retail(number, |record| {
            record.set_quantity(number, sequence, amount, now)?;
            record.mark_changed(now);
            Ok(())
        })
    }

    /// Cancels a retail line: its quantity becomes 0, as Amazon shows a cancelled
    /// line.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`], [`SimulatorError::UnknownLine`].
    pub fn cancel_retail_line(&self, number: &str, sequence: &str) -> Result<(), SimulatorError> {
        self.set_retail_quantity(number, sequence, 0)
    }

    /// Sets a retail line's net cost (a decimal string, kept as written) and marks the
    /// PO changed.
    ///
    /// # Errors
    /// [`SimulatorError::InvalidValue`] when `amount` is not a decimal;
    /// [`SimulatorError::UnknownOrder`], [`SimulatorError::UnknownLine`].
    pub fn set_retail_net_cost(
        &self,
        number: &str,
        sequence: &str,
        amount: &str,
    ) -> Result<(), SimulatorError> {
        amount
            .parse::<Decimal>()
            .map_err(|e| SimulatorError::InvalidValue {
                field: "netCost.amount",
                reason: e.to_string(),
            })?;
        let now = self.clock.now();
        let mut state = self.settled();
        state.update_retail(number, |record| {
            let item = record.item_mut(number, sequence)?;
            let cost = item.net_cost.get_or_insert_with(retail::Money::default);
            cost.amount = Some(amount.to_owned());
            record.mark_changed(now);
            Ok(())
        })
    }

    /// Adds a line to a retail PO, numbered after the last one (zero-padded like the
    /// others), and marks the PO changed. Returns the new line's sequence number.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn add_retail_line(
        &self,
        number: &str,
        line: RetailLine,
    ) -> Result<String, SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        state.update_retail(number, |record| {
            let sequence = record.add_line(line);
            record.mark_changed(now);
            Ok(sequence)
        })
    }

    /// Closes a retail PO: its state becomes `Closed` and the status report shows it
    /// `CLOSED`. Acknowledgements of it fail from then on.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn close_retail_order(&self, number: &str) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        state.update_retail(number, |record| {
            record.set_state(retail::PurchaseOrderState::Closed, now);
            Ok(())
        })
    }

    /// Records an acknowledgement of a retail PO made outside the sync (in Vendor
    /// Central's pages, or with another connector), as of now: each line in
    /// `accepted` (by `itemSequenceNumber`) accepts that many eaches and rejects the
    /// rest of what it orders, a line not named rejects all of it, and the PO turns
    /// `Acknowledged`. Nothing is added to [`VendorCentral::acknowledgements`].
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn acknowledge_retail_order_elsewhere(
        &self,
        number: &str,
        accepted: &[(&str, u64)],
    ) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut state = self.settled();
        state.update_retail(number, |record| {
            let lines = record
                .order
                .order_details
                .as_ref()
                .and_then(|d| d.items.as_deref())
                .unwrap_or_default()
                .iter()
                .filter_map(|item| {
                    let sequence = item.item_sequence_number.clone()?;
                    let ordered = acknowledgements::ordered_eaches(item).unwrap_or(0);
                    let kept = accepted
                        .iter()
                        .find(|(s, _)| *s == sequence)
                        .map_or(0, |(_, e)| (*e).min(ordered));
                    Some((sequence, (kept, ordered - kept)))
                })
                .collect();
            record.apply(
                &acknowledgements::RetailEffect {
                    acknowledged_at: now,
                    lines,
                },
                now,
            );
            Ok(())
        })
    }

    /// Records that a Direct Fulfillment order was accepted outside the sync: its
    /// status becomes `ACCEPTED`. Nothing is added to
    /// [`VendorCentral::acknowledgements`].
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn accept_df_order_elsewhere(&self, number: &str) -> Result<(), SimulatorError> {
        self.settled().update_df(number, |record| {
            record.set_status(df::OrderStatus::Accepted)
        })
    }

    /// Cancels a Direct Fulfillment order: its status becomes `CANCELLED`.
    ///
    /// # Errors
    /// [`SimulatorError::UnknownOrder`].
    pub fn cancel_df_order(&self, number: &str) -> Result<(), SimulatorError> {
        self.settled().update_df(number, |record| {
            record.set_status(df::OrderStatus::Cancelled)
        })
    }
}
