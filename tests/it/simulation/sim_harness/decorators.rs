//! The decorators: faults around the client traits and the store, as hooks on the
//! library's intercepting decorators.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::testing::{
    self, Hook, InterceptedDirectFulfillment, InterceptedNetSuite, InterceptedRetail,
    InterceptedStore, YieldNow,
};
use avc_order_sync::{Acknowledgement, DirectFulfillmentAcknowledgement, RetailAcknowledgement};
use avc_order_sync::{
    ClientError, Clock, ErrorKind, OrderQuery, Page, StoreError, TransactionId, TransactionOutcome,
};

use super::drive::{After, Before, CallKind};
use super::world::World;

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

/// Tells whoever hears the simulator's answers of one (or of a request).
fn tell(what: impl FnOnce() -> AmazonAnswer) {
    AMAZON_ANSWERS.with(|h| {
        if let Some(hear) = h.borrow_mut().as_mut() {
            hear(what());
        }
    });
}

/// A call that never returns: the process died in it.
async fn never<T>() -> T {
    std::future::pending::<T>().await
}

fn client_error(op: &'static str, kind: ErrorKind) -> ClientError {
    ClientError::new(kind, op)
}

fn store_error(op: &'static str, _: ErrorKind) -> StoreError {
    StoreError::Backend {
        message: format!("{op}: the database connection dropped"),
        source: None,
    }
}

/// What the world makes strike at `op`, added after the operation's other hooks: a
/// yield (two engines interleave there), then a crash or a failure before the call; a
/// crash or a lost answer after it, when it was made.
fn faults<Req, T, E>(
    hook: &Hook<Req, T, E>,
    world: &Arc<World>,
    op: &'static str,
    kind: CallKind,
    error: fn(&'static str, ErrorKind) -> E,
) where
    Req: ?Sized + Sync,
    T: Send + 'static,
    E: Send + 'static,
{
    let before = world.clone();
    hook.before_async(move |_| {
        let world = before.clone();
        async move {
            if world.should_yield() {
                YieldNow::new().await;
            }
            match world.before(op, kind) {
                Before::Hang => never().await,
                Before::Fail(kind) => testing::Before::Answer(Err(error(op, kind))),
                Before::Go => testing::Before::Call,
            }
        }
    });
    let world = world.clone();
    hook.after_call_async(move |_, answer| {
        let after = world.after(op, kind);
        async move {
            match after {
                After::Hang => never().await,
                After::Lose => Err(error(op, ErrorKind::Transient)),
                After::Keep => answer,
            }
        }
    });
}

/// Whoever hears the simulator's answers hears this operation's.
fn heard<Req, T>(hook: &Hook<Req, T, ClientError>, wrap: fn(Result<T, ClientError>) -> AmazonAnswer)
where
    Req: ?Sized + Sync,
    T: Clone + Send + 'static,
{
    hook.after_call(move |_, answer| {
        tell(|| wrap(copy(&answer)));
        answer
    });
}

/// A listing, heard, with its faults, and traced when the engine gets its page.
fn listing<T: Clone + Send + 'static>(
    hook: &Hook<OrderQuery, Page<T>, ClientError>,
    world: &Arc<World>,
    op: &'static str,
    wrap: fn(Result<Page<T>, ClientError>) -> AmazonAnswer,
    number: fn(&T) -> &Option<String>,
) {
    heard(hook, wrap);
    faults(hook, world, op, CallKind::Read, client_error);
    let world = world.clone();
    hook.after(move |query, answer| {
        if let Ok(page) = &answer {
            world.verbose(|| listed(query, &page.orders, number));
        }
        answer
    });
}

/// A read at Amazon, heard, with its faults.
fn read<Req, T>(
    hook: &Hook<Req, T, ClientError>,
    world: &Arc<World>,
    op: &'static str,
    wrap: fn(Result<T, ClientError>) -> AmazonAnswer,
) where
    Req: ?Sized + Sync,
    T: Clone + Send + 'static,
{
    heard(hook, wrap);
    faults(hook, world, op, CallKind::Read, client_error);
}

/// A read of a transaction at Amazon, heard with its id, with its faults.
fn transaction(
    hook: &Hook<TransactionId, TransactionOutcome, ClientError>,
    world: &Arc<World>,
    op: &'static str,
    wrap: fn(TransactionId, Result<TransactionOutcome, ClientError>) -> AmazonAnswer,
) {
    hook.after_call(move |id, answer| {
        tell(|| wrap(id.clone(), copy(&answer)));
        answer
    });
    faults(hook, world, op, CallKind::Read, client_error);
}

/// A submission of acknowledgements: heard as sent and as answered, each one
/// recorded with Amazon's transaction when the POST reached Amazon, with its faults.
fn submission<A: Clone + Send + Sync + 'static>(
    hook: &Hook<[A], TransactionId, ClientError>,
    world: &Arc<World>,
    op: &'static str,
    sent: fn(Vec<A>) -> AmazonAnswer,
    answered: fn(Result<TransactionId, ClientError>) -> AmazonAnswer,
    wrap: fn(A) -> Acknowledgement,
) {
    hook.before(move |acknowledgements| {
        tell(|| sent(acknowledgements.to_vec()));
        testing::Before::Call
    });
    heard(hook, answered);
    let recorder = world.clone();
    hook.after(move |acknowledgements, answer| {
        for ack in acknowledgements {
            recorder.sending(wrap(ack.clone()), answer.as_ref().ok().cloned());
        }
        answer
    });
    faults(hook, world, op, CallKind::Effect, client_error);
}

/// Amazon's Retail API through a transport that fails, loses answers and crashes.
pub(super) fn faulty_retail(world: &Arc<World>) -> InterceptedRetail {
    let amazon = InterceptedRetail::new(world.amazon.clone());
    listing(
        &amazon.purchase_orders,
        world,
        "getPurchaseOrders",
        AmazonAnswer::RetailPage,
        |o| &o.purchase_order_number,
    );
    read(
        &amazon.purchase_order,
        world,
        "getPurchaseOrder",
        AmazonAnswer::RetailOrder,
    );
    submission(
        &amazon.submit_acknowledgements,
        world,
        "submitAcknowledgement",
        AmazonAnswer::RetailSent,
        AmazonAnswer::RetailSubmit,
        Acknowledgement::Retail,
    );
    transaction(
        &amazon.transaction_status,
        world,
        "getTransaction",
        AmazonAnswer::RetailTransaction,
    );
    read(
        &amazon.purchase_order_status,
        world,
        "getPurchaseOrdersStatus",
        AmazonAnswer::RetailStatus,
    );
    amazon
}

/// Amazon's Direct Fulfillment API through a transport that fails, loses answers and
/// crashes.
pub(super) fn faulty_direct_fulfillment(world: &Arc<World>) -> InterceptedDirectFulfillment {
    let amazon = InterceptedDirectFulfillment::new(world.amazon.clone());
    listing(
        &amazon.orders,
        world,
        "getOrders",
        AmazonAnswer::DfPage,
        |o| &o.purchase_order_number,
    );
    read(&amazon.order, world, "getOrder", AmazonAnswer::DfOrder);
    submission(
        &amazon.submit_acknowledgements,
        world,
        "submitAcknowledgement (direct fulfillment)",
        AmazonAnswer::DfSent,
        AmazonAnswer::DfSubmit,
        Acknowledgement::DirectFulfillment,
    );
    transaction(
        &amazon.transaction_status,
        world,
        "getTransactionStatus",
        AmazonAnswer::DfTransaction,
    );
    amazon
}

/// NetSuite through a transport that fails, loses answers and crashes.
pub(super) fn faulty_netsuite(world: &Arc<World>) -> InterceptedNetSuite {
    let netsuite = InterceptedNetSuite::new(world.netsuite.clone());
    let effect = CallKind::Effect;
    let read = CallKind::Read;
    faults(
        &netsuite.upsert_sales_order,
        world,
        "upsert salesOrder",
        effect,
        client_error,
    );
    faults(
        &netsuite.sales_order,
        world,
        "get salesOrder",
        read,
        client_error,
    );
    let changed = &netsuite.changed_sales_orders;
    faults(
        changed,
        world,
        "suiteql changed salesOrders",
        read,
        client_error,
    );
    let tracer = world.clone();
    changed.after(move |since, answer| {
        if let Ok(changes) = &answer {
            tracer.verbose(|| {
                let listed: Vec<String> = changes
                    .iter()
                    .map(|c| format!("{} {}", c.external_id, c.status.letter()))
                    .collect();
                format!("netsuite: changed since {since}: {listed:?}")
            });
        }
        answer
    });
    faults(
        &netsuite.update_sales_order,
        world,
        "patch salesOrder",
        effect,
        client_error,
    );
    faults(
        &netsuite.close_sales_order,
        world,
        "close salesOrder",
        effect,
        client_error,
    );
    netsuite
}

/// The store on a database that fails, loses commit answers and dies mid-write, for
/// engine `index` (named in the trace).
pub(super) fn faulty_store(world: &Arc<World>, index: usize) -> InterceptedStore {
    let store = InterceptedStore::new(world.store.clone());
    let (read, write) = (CallKind::Store, CallKind::StoreWrite);
    faults(&store.load, world, "store load", read, store_error);
    let recorder = world.clone();
    store.save.after_call(move |save, answer| {
        if answer.is_ok() {
            recorder.saved(index, &save.key, &save.record, save.in_flight.as_ref());
        }
        answer
    });
    faults(&store.save, world, "store save", write, store_error);
    faults(&store.due, world, "store due", read, store_error);
    faults(
        &store.next_wakeup,
        world,
        "store next wakeup",
        read,
        store_error,
    );
    faults(&store.keys, world, "store keys", read, store_error);
    faults(
        &store.watermark,
        world,
        "store watermark",
        read,
        store_error,
    );
    let recorder = world.clone();
    store
        .save_watermark
        .after_call(move |(cursor, at), answer| {
            if answer.is_ok() {
                recorder.lock().first_marks.entry(*cursor).or_insert(*at);
            }
            answer
        });
    let op = "store save watermark";
    faults(&store.save_watermark, world, op, write, store_error);
    store
}
