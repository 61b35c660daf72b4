//! The simulators behind a wrapper that takes their work out of the engine's count:
//! every poll of a simulator's future runs with callgrind's collection off, and its
//! time is added to [`Outside::time`], so the engine's CPU can be told apart from the
//! simulators' in both instruction counts and seconds.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::{
    ClientError, DirectFulfillmentAcknowledgement, DirectFulfillmentOrdersApi, ExternalId,
    InternalId, NetSuiteApi, OrderQuery, Page, PurchaseOrderNumber, RetailAcknowledgement,
    RetailOrdersApi, SalesOrderChange, SalesOrderChanges, SalesOrderDraft, SalesOrderSnapshot,
    TransactionId, TransactionOutcome,
};
use chrono::{DateTime, Utc};

use super::callgrind;

/// A simulator (or any client), its work kept out of the engine's count.
pub struct Outside<T> {
    inner: Arc<T>,
    nanos: Arc<AtomicU64>,
}

impl<T> Clone for Outside<T> {
    fn clone(&self) -> Self {
        Outside {
            inner: self.inner.clone(),
            nanos: self.nanos.clone(),
        }
    }
}

impl<T> Outside<T> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<T>) -> Self {
        Outside {
            inner,
            nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The time spent in the wrapped client's code so far.
    pub fn time(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }

    async fn run<F: Future>(&self, f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        std::future::poll_fn(|cx| {
            let started = Instant::now();
            let polled = callgrind::outside(|| f.as_mut().poll(cx));
            self.nanos
                .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
            polled
        })
        .await
    }
}

#[async_trait]
impl<T: RetailOrdersApi> RetailOrdersApi for Outside<T> {
    async fn purchase_orders(
        &self,
        query: &OrderQuery,
    ) -> Result<Page<retail::Order>, ClientError> {
        self.run(self.inner.purchase_orders(query)).await
    }

    async fn purchase_order(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<retail::Order, ClientError> {
        self.run(self.inner.purchase_order(number)).await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[RetailAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        self.run(self.inner.submit_acknowledgements(acknowledgements))
            .await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        self.run(RetailOrdersApi::transaction_status(&*self.inner, id))
            .await
    }

    async fn purchase_order_status(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<Option<retail::OrderStatus>, ClientError> {
        self.run(self.inner.purchase_order_status(number)).await
    }
}

#[async_trait]
impl<T: DirectFulfillmentOrdersApi> DirectFulfillmentOrdersApi for Outside<T> {
    async fn orders(&self, query: &OrderQuery) -> Result<Page<df::Order>, ClientError> {
        self.run(self.inner.orders(query)).await
    }

    async fn order(&self, number: &PurchaseOrderNumber) -> Result<df::Order, ClientError> {
        self.run(self.inner.order(number)).await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[DirectFulfillmentAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        self.run(self.inner.submit_acknowledgements(acknowledgements))
            .await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        self.run(DirectFulfillmentOrdersApi::transaction_status(
            &*self.inner,
            id,
        ))
        .await
    }
}

#[async_trait]
impl<T: NetSuiteApi> NetSuiteApi for Outside<T> {
    async fn upsert_sales_order(&self, draft: &SalesOrderDraft) -> Result<InternalId, ClientError> {
        self.run(self.inner.upsert_sales_order(draft)).await
    }

    async fn sales_order(
        &self,
        external_id: &ExternalId,
    ) -> Result<Option<SalesOrderSnapshot>, ClientError> {
        self.run(self.inner.sales_order(external_id)).await
    }

    async fn changed_sales_orders(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<SalesOrderChange>, ClientError> {
        self.run(self.inner.changed_sales_orders(since)).await
    }

    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        changes: &SalesOrderChanges,
    ) -> Result<(), ClientError> {
        self.run(self.inner.update_sales_order(external_id, changes))
            .await
    }

    async fn close_sales_order(&self, external_id: &ExternalId) -> Result<(), ClientError> {
        self.run(self.inner.close_sales_order(external_id)).await
    }
}
