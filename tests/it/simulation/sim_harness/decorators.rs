//! The decorators: faults around the client traits and the store.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::lifecycle::OrderRecord;
use avc_order_sync::{Acknowledgement, DirectFulfillmentAcknowledgement, RetailAcknowledgement};
use avc_order_sync::{
    ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, ExternalId, InternalId, NetSuiteApi,
    OrderQuery, Page, PurchaseOrderNumber, RetailOrdersApi, SalesOrderChange, SalesOrderChanges,
    SalesOrderDraft, SalesOrderSnapshot, TransactionId, TransactionOutcome,
};
use avc_order_sync::{Cursor, InFlight, OrderKey, OrderStore, StoreError, StoredOrder};

use super::drive::{After, Before, CallKind, client_error, guarded, never, store_error};
use super::world::World;
use avc_order_sync::testing::YieldNow;

pub(super) struct EngineClock {
    pub(super) world: Arc<World>,
    pub(super) index: usize,
}

#[async_trait]
impl Clock for EngineClock {
    fn now(&self) -> DateTime<Utc> {
        let skew = self.world.lock().skews[self.index];
        self.world.clock.now() + skew
    }

    async fn sleep(&self, duration: Duration) {
        self.world.clock.sleep(duration).await;
    }
}

/// A page of a listing, for the trace.
fn listed<T>(query: &OrderQuery, orders: &[T], number: fn(&T) -> &Option<String>) -> String {
    let numbers: Vec<&str> = orders
        .iter()
        .map(|o| number(o).as_deref().unwrap_or("?"))
        .collect();
    format!(
        "amazon: {:?} window {} to {}{} lists {numbers:?}",
        query.kind,
        query.after.format("%d %H:%M:%S%.3f"),
        query.before.format("%d %H:%M:%S%.3f"),
        if query.next_token.is_some() {
            " (next page)"
        } else {
            ""
        }
    )
}

/// One answer the Vendor Central simulator gave the engine, before any fault the
/// decorators add: what the conformance test checks against Amazon's models. Orders
/// are large; the enum lives only as long as one call to the listener.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum AmazonAnswer {
    /// Retail `getPurchaseOrders`.
    RetailPage(Result<Page<retail::Order>, ClientError>),
    /// Retail `getPurchaseOrder`.
    RetailOrder(Result<retail::Order, ClientError>),
    /// Retail `submitAcknowledgement`.
    RetailSubmit(Result<TransactionId, ClientError>),
    /// Retail `getTransaction`.
    RetailTransaction(TransactionId, Result<TransactionOutcome, ClientError>),
    /// Retail `getPurchaseOrdersStatus`.
    RetailStatus(Result<Option<retail::OrderStatus>, ClientError>),
    /// Direct Fulfillment `getOrders`.
    DfPage(Result<Page<df::Order>, ClientError>),
    /// Direct Fulfillment `getOrder`.
    DfOrder(Result<df::Order, ClientError>),
    /// Direct Fulfillment `submitAcknowledgement`.
    DfSubmit(Result<TransactionId, ClientError>),
    /// Direct Fulfillment `getTransactionStatus`.
    DfTransaction(TransactionId, Result<TransactionOutcome, ClientError>),
    /// Not an answer: the retail acknowledgements the engine sent, heard before the
    /// simulator takes them, so their body can be checked too.
    RetailSent(Vec<RetailAcknowledgement>),
    /// Not an answer: the Direct Fulfillment acknowledgements the engine sent.
    DfSent(Vec<DirectFulfillmentAcknowledgement>),
}

/// Whoever hears the simulator's answers.
type AnswerListener = Box<dyn FnMut(AmazonAnswer)>;

thread_local! {
    /// Who hears every answer of the simulator on this thread (every future of a seed
    /// is polled on the thread running it); nobody by default.
    static AMAZON_ANSWERS: std::cell::RefCell<Option<AnswerListener>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `run` with every answer of the Vendor Central simulator on this thread given
/// to `hear`.
pub fn hearing_amazon<R>(hear: impl FnMut(AmazonAnswer) + 'static, run: impl FnOnce() -> R) -> R {
    let previous = AMAZON_ANSWERS.with(|h| h.borrow_mut().replace(Box::new(hear)));
    let result = run();
    AMAZON_ANSWERS.with(|h| *h.borrow_mut() = previous);
    result
}

/// A copy of an answer (an error loses its source, which no body carries).
fn copy<T: Clone>(result: &Result<T, ClientError>) -> Result<T, ClientError> {
    match result {
        Ok(value) => Ok(value.clone()),
        Err(e) => {
            Err(ClientError::new(e.kind.clone(), e.operation.clone())
                .with_messages(e.messages.clone()))
        }
    }
}

/// Tells whoever hears the simulator's answers of something else (a request).
fn tell(what: impl FnOnce() -> AmazonAnswer) {
    AMAZON_ANSWERS.with(|h| {
        if let Some(hear) = h.borrow_mut().as_mut() {
            hear(what());
        }
    });
}

/// Awaits the simulator's answer and tells it to whoever hears them.
async fn answered<T>(
    call: impl Future<Output = Result<T, ClientError>>,
    wrap: impl FnOnce(&Result<T, ClientError>) -> AmazonAnswer,
) -> Result<T, ClientError> {
    let result = call.await;
    AMAZON_ANSWERS.with(|h| {
        if let Some(hear) = h.borrow_mut().as_mut() {
            hear(wrap(&result));
        }
    });
    result
}

/// Amazon through a transport that fails, loses answers and crashes.
pub struct FaultyAmazon {
    pub(super) world: Arc<World>,
}

impl FaultyAmazon {
    async fn submit<A: Clone>(
        &self,
        op: &'static str,
        acks: &[A],
        wrap: fn(A) -> Acknowledgement,
        call: impl Future<Output = Result<TransactionId, ClientError>>,
    ) -> Result<TransactionId, ClientError> {
        let world = &self.world;
        if world.should_yield() {
            YieldNow::new().await;
        }
        match world.before(op, CallKind::Effect) {
            Before::Hang => return never().await,
            Before::Fail(kind) => {
                for ack in acks {
                    world.sending(wrap(ack.clone()), None);
                }
                return Err(ClientError::new(kind, op));
            }
            Before::Go => {}
        }
        let result = call.await;
        for ack in acks {
            world.sending(wrap(ack.clone()), result.as_ref().ok().cloned());
        }
        match world.after(op, CallKind::Effect) {
            After::Hang => never().await,
            After::Lose => Err(ClientError::new(ErrorKind::Transient, op)),
            After::Keep => result,
        }
    }
}

#[async_trait]
impl RetailOrdersApi for FaultyAmazon {
    async fn purchase_orders(
        &self,
        query: &OrderQuery,
    ) -> Result<Page<retail::Order>, ClientError> {
        let op = "getPurchaseOrders";
        let result = guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(self.world.amazon.purchase_orders(query), |r| {
                AmazonAnswer::RetailPage(copy(r))
            }),
        )
        .await;
        if let Ok(page) = &result {
            self.world
                .verbose(|| listed(query, &page.orders, |o| &o.purchase_order_number));
        }
        result
    }

    async fn purchase_order(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<retail::Order, ClientError> {
        let op = "getPurchaseOrder";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(
                RetailOrdersApi::purchase_order(&*self.world.amazon, number),
                |r| AmazonAnswer::RetailOrder(copy(r)),
            ),
        )
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[RetailAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        tell(|| AmazonAnswer::RetailSent(acknowledgements.to_vec()));
        self.submit(
            "submitAcknowledgement",
            acknowledgements,
            Acknowledgement::Retail,
            answered(
                RetailOrdersApi::submit_acknowledgements(&*self.world.amazon, acknowledgements),
                |r| AmazonAnswer::RetailSubmit(copy(r)),
            ),
        )
        .await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        let op = "getTransaction";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(
                RetailOrdersApi::transaction_status(&*self.world.amazon, id),
                |r| AmazonAnswer::RetailTransaction(id.clone(), copy(r)),
            ),
        )
        .await
    }

    async fn purchase_order_status(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<Option<retail::OrderStatus>, ClientError> {
        let op = "getPurchaseOrdersStatus";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(self.world.amazon.purchase_order_status(number), |r| {
                AmazonAnswer::RetailStatus(copy(r))
            }),
        )
        .await
    }
}

#[async_trait]
impl DirectFulfillmentOrdersApi for FaultyAmazon {
    async fn orders(&self, query: &OrderQuery) -> Result<Page<df::Order>, ClientError> {
        let op = "getOrders";
        let result = guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(self.world.amazon.orders(query), |r| {
                AmazonAnswer::DfPage(copy(r))
            }),
        )
        .await;
        if let Ok(page) = &result {
            self.world
                .verbose(|| listed(query, &page.orders, |o| &o.purchase_order_number));
        }
        result
    }

    async fn order(&self, number: &PurchaseOrderNumber) -> Result<df::Order, ClientError> {
        let op = "getOrder";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(self.world.amazon.order(number), |r| {
                AmazonAnswer::DfOrder(copy(r))
            }),
        )
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[DirectFulfillmentAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        tell(|| AmazonAnswer::DfSent(acknowledgements.to_vec()));
        self.submit(
            "submitAcknowledgement (direct fulfillment)",
            acknowledgements,
            Acknowledgement::DirectFulfillment,
            answered(
                DirectFulfillmentOrdersApi::submit_acknowledgements(
                    &*self.world.amazon,
                    acknowledgements,
                ),
                |r| AmazonAnswer::DfSubmit(copy(r)),
            ),
        )
        .await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        let op = "getTransactionStatus";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            answered(
                DirectFulfillmentOrdersApi::transaction_status(&*self.world.amazon, id),
                |r| AmazonAnswer::DfTransaction(id.clone(), copy(r)),
            ),
        )
        .await
    }
}

/// NetSuite through a transport that fails, loses answers and crashes.
pub struct FaultyNetSuite {
    pub(super) world: Arc<World>,
}

#[async_trait]
impl NetSuiteApi for FaultyNetSuite {
    async fn upsert_sales_order(&self, draft: &SalesOrderDraft) -> Result<InternalId, ClientError> {
        let op = "upsert salesOrder";
        guarded(
            &self.world,
            op,
            CallKind::Effect,
            client_error(op),
            self.world.netsuite.upsert_sales_order(draft),
        )
        .await
    }

    async fn sales_order(
        &self,
        external_id: &ExternalId,
    ) -> Result<Option<SalesOrderSnapshot>, ClientError> {
        let op = "get salesOrder";
        guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            self.world.netsuite.sales_order(external_id),
        )
        .await
    }

    async fn changed_sales_orders(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<SalesOrderChange>, ClientError> {
        let op = "suiteql changed salesOrders";
        let result = guarded(
            &self.world,
            op,
            CallKind::Read,
            client_error(op),
            self.world.netsuite.changed_sales_orders(since),
        )
        .await;
        if let Ok(changes) = &result {
            self.world.verbose(|| {
                let listed: Vec<String> = changes
                    .iter()
                    .map(|c| format!("{} {}", c.external_id, c.status.letter()))
                    .collect();
                format!("netsuite: changed since {since}: {listed:?}")
            });
        }
        result
    }

    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        update: &SalesOrderChanges,
    ) -> Result<(), ClientError> {
        let op = "patch salesOrder";
        guarded(
            &self.world,
            op,
            CallKind::Effect,
            client_error(op),
            self.world.netsuite.update_sales_order(external_id, update),
        )
        .await
    }

    async fn close_sales_order(&self, external_id: &ExternalId) -> Result<(), ClientError> {
        let op = "close salesOrder";
        guarded(
            &self.world,
            op,
            CallKind::Effect,
            client_error(op),
            self.world.netsuite.close_sales_order(external_id),
        )
        .await
    }
}

/// The store on a database that fails, loses commit answers and dies mid-write.
pub struct FaultyStore {
    pub(super) world: Arc<World>,
    /// The engine it serves, for the trace.
    pub(super) index: usize,
}

#[async_trait]
impl OrderStore for FaultyStore {
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let op = "store load";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.load(key),
        )
        .await
    }

    async fn save(
        &self,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        next_wakeup: Option<DateTime<Utc>>,
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let op = "store save";
        let world = &self.world;
        let save = async {
            let result = world
                .store
                .save(key, record, in_flight, next_wakeup, expected)
                .await;
            if result.is_ok() {
                world.saved(self.index, key, record, in_flight);
            }
            result
        };
        guarded(world, op, CallKind::StoreWrite, store_error(op), save).await
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
        let op = "store due";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.due(now, limit),
        )
        .await
    }

    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let op = "store next wakeup";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.next_wakeup(),
        )
        .await
    }

    async fn keys(&self) -> Result<Vec<OrderKey>, StoreError> {
        let op = "store keys";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.keys(),
        )
        .await
    }

    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
        let op = "store watermark";
        guarded(
            &self.world,
            op,
            CallKind::Store,
            store_error(op),
            self.world.store.watermark(cursor),
        )
        .await
    }

    async fn save_watermark(&self, cursor: Cursor, at: DateTime<Utc>) -> Result<(), StoreError> {
        let op = "store save watermark";
        let world = &self.world;
        let save = async {
            world.store.save_watermark(cursor, at).await?;
            world.lock().first_marks.entry(cursor).or_insert(at);
            Ok(())
        };
        guarded(world, op, CallKind::StoreWrite, store_error(op), save).await
    }
}
