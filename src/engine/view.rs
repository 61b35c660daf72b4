//! The operator's queries: one order's view, a filtered page, the counts.

use std::collections::BTreeMap;

use super::{Engine, EngineError};
use crate::lifecycle::StateKind;
use crate::store::OrderKey;
use crate::view::{
    OrderFilter, OrderPage, OrderSummary, OrderView, PageRequest, StatusGroup, VIEW_SCHEMA_VERSION,
    group_counts,
};

impl Engine {
    /// One order's view: its state, why it needs a person, its NetSuite ids, Amazon's
    /// state, the acknowledgements, the deadline and the history. `None` for an order
    /// the store does not hold.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn order(&self, key: &OrderKey) -> Result<Option<OrderView>, EngineError> {
        Ok(self
            .store
            .load(key)
            .await?
            .map(|stored| OrderView::of(key, &stored, &self.settings.compliance)))
    }

    /// One page of the orders `filter` takes, newest first. The store answers from its
    /// index ([`crate::OrderStore::query`]); only the page's records are loaded. An
    /// order that changed between the two reads is shown as it is now, and left out if
    /// it no longer passes the filter.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn orders(
        &self,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<OrderPage, EngineError> {
        let found = self.store.query(filter, page).await?;
        let mut orders = Vec::with_capacity(found.entries.len());
        for entry in &found.entries {
            if let Some(stored) = self.store.load(&entry.key).await? {
                let summary = OrderSummary::of(&entry.key, &stored.record);
                if filter.group.contains(summary.state) {
                    orders.push(summary);
                }
            }
        }
        Ok(OrderPage {
            schema_version: VIEW_SCHEMA_VERSION,
            filter: filter.clone(),
            orders,
            next: found.next,
        })
    }

    /// How many orders are in each state ([`crate::OrderStore::counts`]).
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn state_counts(&self) -> Result<BTreeMap<StateKind, usize>, EngineError> {
        Ok(self.store.counts().await?)
    }

    /// How many orders each status group holds, in the dashboard's order.
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub async fn group_counts(&self) -> Result<Vec<(StatusGroup, usize)>, EngineError> {
        Ok(group_counts(&self.state_counts().await?))
    }
}
