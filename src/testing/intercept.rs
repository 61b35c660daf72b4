//! Decorators that intercept every call to a client or a store, with hooks per
//! operation: for tests that need one call to pause, fail, lose its answer, or give
//! another answer, while every other call reaches the wrapped client untouched.
//!
//! Each decorator ([`InterceptedRetail`], [`InterceptedDirectFulfillment`],
//! [`InterceptedNetSuite`], [`InterceptedStore`]) implements the trait it wraps and
//! has one public [`Hook`] per operation, named as the trait's method. A hook holds:
//!
//! - **before** hooks, run in the order added, before the call: each lets the call go
//!   on ([`Before::Call`]) or answers it instead ([`Before::Answer`]), with an error
//!   (the call failed before it had any effect) or with another answer; the wrapped
//!   client is then not called;
//! - **after** hooks, run in the order added on the answer (the wrapped client's or a
//!   before hook's): each returns it as it is or another in its place, an error for an
//!   answer lost after the effect took place. An after hook added with
//!   [`after_call`](Hook::after_call) sees only the wrapped client's answers: when a
//!   before hook answered, the call was not made and the hook is passed by (a fault
//!   after the effect needs an effect).
//!
//! A hook sees the request. Either kind can be asynchronous: a hook that awaits a
//! future that never finishes stops the engine inside the call, as a process killed
//! there; one that yields lets another engine's future run first. Hooks can be added
//! at any time, also while the decorator is in an engine.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use avc_order_sync::testing::{Before, InterceptedNetSuite, ManualClock, NetSuite};
//! use avc_order_sync::{ClientError, ErrorKind, ExternalId, NetSuiteApi};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = ManualClock::new("2025-03-03T12:00:00Z".parse()?);
//! let netsuite = Arc::new(InterceptedNetSuite::new(Arc::new(NetSuite::new(clock))));
//! // The next close fails before it reaches NetSuite; later ones go through.
//! let failed = Arc::new(AtomicBool::new(false));
//! netsuite.close_sales_order.before({
//!     let failed = failed.clone();
//!     move |_| {
//!         if failed.swap(true, Ordering::SeqCst) {
//!             Before::Call
//!         } else {
//!             Before::Answer(Err(ClientError::new(ErrorKind::Transient, "close salesOrder")))
//!         }
//!     }
//! });
//! let id = ExternalId::new("AVC-RP-4Z32PABC")?;
//! let first = netsuite.close_sales_order(&id).await;
//! assert_eq!(first.map_err(|e| e.kind), Err(ErrorKind::Transient));
//! // The second reaches the simulator, which has no such order.
//! let second = netsuite.close_sales_order(&id).await;
//! assert_eq!(second.map_err(|e| e.kind), Err(ErrorKind::NotFound));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(example())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::acknowledgement::{DirectFulfillmentAcknowledgement, RetailAcknowledgement};
use crate::amazon::{direct_fulfillment as df, retail};
use crate::client::{
    ClientError, DirectFulfillmentOrdersApi, NetSuiteApi, OrderQuery, Page, RetailOrdersApi,
    SalesOrderChange, TransactionOutcome,
};
use crate::ids::{ExternalId, InternalId, PurchaseOrderNumber, TransactionId};
use crate::lifecycle::{OrderRecord, StateKind};
use crate::sales_order::{SalesOrderChanges, SalesOrderDraft, SalesOrderSnapshot};
use crate::store::{Cursor, InFlight, OrderKey, OrderStore, StoreError, StoredOrder};
use crate::view::{IndexPage, OrderFilter, PageRequest};

use super::lock;

/// A hook's future: owns what it needs, so it may outlive the request it looked at.
pub type HookFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a before hook decides.
#[derive(Debug)]
pub enum Before<T, E> {
    /// Go on: the next hook, then the wrapped client.
    Call,
    /// Do not call the wrapped client: this is the answer (the after hooks still see
    /// it).
    Answer(Result<T, E>),
}

type BeforeFn<Req, T, E> = dyn Fn(&Req) -> HookFuture<Before<T, E>> + Send + Sync;
type AfterFn<Req, T, E> = dyn Fn(&Req, Result<T, E>) -> HookFuture<Result<T, E>> + Send + Sync;

/// An after hook, and whether it sees a before hook's answer too.
struct AfterHook<Req: ?Sized, T, E> {
    hook: Arc<AfterFn<Req, T, E>>,
    only_called: bool,
}

impl<Req: ?Sized, T, E> Clone for AfterHook<Req, T, E> {
    fn clone(&self) -> Self {
        AfterHook {
            hook: self.hook.clone(),
            only_called: self.only_called,
        }
    }
}

/// The hooks of one operation, taking requests `Req` and answering `Result<T, E>`.
pub struct Hook<Req: ?Sized, T, E> {
    before: Mutex<Vec<Arc<BeforeFn<Req, T, E>>>>,
    after: Mutex<Vec<AfterHook<Req, T, E>>>,
}

impl<Req: ?Sized, T, E> Default for Hook<Req, T, E> {
    fn default() -> Self {
        Hook {
            before: Mutex::new(Vec::new()),
            after: Mutex::new(Vec::new()),
        }
    }
}

impl<Req: ?Sized, T, E> fmt::Debug for Hook<Req, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field("before", &lock(&self.before).len())
            .field("after", &lock(&self.after).len())
            .finish()
    }
}

impl<Req, T, E> Hook<Req, T, E>
where
    Req: ?Sized + Sync,
    T: Send + 'static,
    E: Send + 'static,
{
    /// Adds a before hook that decides at once.
    pub fn before(&self, hook: impl Fn(&Req) -> Before<T, E> + Send + Sync + 'static) -> &Self {
        lock(&self.before).push(Arc::new(move |req: &Req| {
            Box::pin(std::future::ready(hook(req))) as HookFuture<_>
        }));
        self
    }

    /// Adds a before hook that decides when its future finishes.
    pub fn before_async<F>(&self, hook: impl Fn(&Req) -> F + Send + Sync + 'static) -> &Self
    where
        F: Future<Output = Before<T, E>> + Send + 'static,
    {
        lock(&self.before).push(Arc::new(move |req: &Req| {
            Box::pin(hook(req)) as HookFuture<_>
        }));
        self
    }

    /// Adds an after hook that returns the answer, or another, at once.
    pub fn after(
        &self,
        hook: impl Fn(&Req, Result<T, E>) -> Result<T, E> + Send + Sync + 'static,
    ) -> &Self {
        self.push_after(false, ready_after(hook))
    }

    /// Adds an after hook whose future gives the answer.
    pub fn after_async<F>(
        &self,
        hook: impl Fn(&Req, Result<T, E>) -> F + Send + Sync + 'static,
    ) -> &Self
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.push_after(false, boxed_after(hook))
    }

    /// Adds an after hook that returns the wrapped client's answer, or another, at
    /// once; a call a before hook answered passes it by.
    pub fn after_call(
        &self,
        hook: impl Fn(&Req, Result<T, E>) -> Result<T, E> + Send + Sync + 'static,
    ) -> &Self {
        self.push_after(true, ready_after(hook))
    }

    /// Adds an after hook whose future gives the answer in place of the wrapped
    /// client's; a call a before hook answered passes it by.
    pub fn after_call_async<F>(
        &self,
        hook: impl Fn(&Req, Result<T, E>) -> F + Send + Sync + 'static,
    ) -> &Self
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.push_after(true, boxed_after(hook))
    }

    fn push_after(&self, only_called: bool, hook: Arc<AfterFn<Req, T, E>>) -> &Self {
        lock(&self.after).push(AfterHook { hook, only_called });
        self
    }

    /// Removes every hook: calls reach the wrapped client untouched again.
    pub fn clear(&self) {
        lock(&self.before).clear();
        lock(&self.after).clear();
    }

    fn is_idle(&self) -> bool {
        lock(&self.before).is_empty() && lock(&self.after).is_empty()
    }

    /// Runs the call through the hooks.
    async fn run<F>(&self, req: &Req, call: impl FnOnce() -> F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        // The lists are copied so that no lock is held while a hook runs (a hook may
        // add hooks).
        let before: Vec<_> = lock(&self.before).clone();
        let mut answer = None;
        for hook in before {
            if let Before::Answer(given) = hook(req).await {
                answer = Some(given);
                break;
            }
        }
        let called = answer.is_none();
        let mut answer = match answer {
            Some(given) => given,
            None => call().await,
        };
        let after: Vec<_> = lock(&self.after).clone();
        for after in after {
            if called || !after.only_called {
                answer = (after.hook)(req, answer).await;
            }
        }
        answer
    }
}

impl<Req, T, E> Hook<Req, T, E>
where
    Req: Sync,
    T: Send + 'static,
    E: Send + 'static,
{
    /// Runs a call whose request the hooks see as an owned copy, made only when a
    /// hook is there to see it.
    async fn run_owned<F>(
        &self,
        req: impl FnOnce() -> Req,
        call: impl FnOnce() -> F,
    ) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        if self.is_idle() {
            call().await
        } else {
            self.run(&req(), call).await
        }
    }
}

fn ready_after<Req, T, E>(
    hook: impl Fn(&Req, Result<T, E>) -> Result<T, E> + Send + Sync + 'static,
) -> Arc<AfterFn<Req, T, E>>
where
    Req: ?Sized,
    T: Send + 'static,
    E: Send + 'static,
{
    Arc::new(move |req: &Req, answer| {
        Box::pin(std::future::ready(hook(req, answer))) as HookFuture<_>
    })
}

fn boxed_after<Req, T, E, F>(
    hook: impl Fn(&Req, Result<T, E>) -> F + Send + Sync + 'static,
) -> Arc<AfterFn<Req, T, E>>
where
    Req: ?Sized,
    F: Future<Output = Result<T, E>> + Send + 'static,
{
    Arc::new(move |req: &Req, answer| Box::pin(hook(req, answer)) as HookFuture<_>)
}

/// Declares a decorator of a client trait whose methods each take one borrowed request:
/// the struct with a hook per method, its constructor, its `Debug`, and the trait
/// implementation that runs each call through its hook.
macro_rules! intercepted_client {
    (
        $(#[$doc:meta])*
        $name:ident: $api:ident {
            $(
                $(#[$method_doc:meta])*
                $method:ident($request:ident: &$req:ty) -> $answer:ty;
            )*
        }
    ) => {
        $(#[$doc])*
        pub struct $name {
            inner: Arc<dyn $api>,
            $(
                $(#[$method_doc])*
                pub $method: Hook<$req, $answer, ClientError>,
            )*
        }

        impl $name {
            /// Wraps `inner`, with no hooks yet.
            pub fn new(inner: Arc<dyn $api>) -> Self {
                $name {
                    inner,
                    $($method: Hook::default(),)*
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }

        #[async_trait]
        impl $api for $name {
            $(
                async fn $method(&self, $request: &$req) -> Result<$answer, ClientError> {
                    let inner = &self.inner;
                    self.$method.run($request, || inner.$method($request)).await
                }
            )*
        }
    };
}

intercepted_client! {
    /// A [`RetailOrdersApi`] whose calls go through hooks (see the [module](self)).
    InterceptedRetail: RetailOrdersApi {
        /// [`RetailOrdersApi::purchase_orders`].
        purchase_orders(query: &OrderQuery) -> Page<retail::Order>;
        /// [`RetailOrdersApi::purchase_order`].
        purchase_order(number: &PurchaseOrderNumber) -> retail::Order;
        /// [`RetailOrdersApi::submit_acknowledgements`].
        submit_acknowledgements(acknowledgements: &[RetailAcknowledgement]) -> TransactionId;
        /// [`RetailOrdersApi::transaction_status`].
        transaction_status(id: &TransactionId) -> TransactionOutcome;
        /// [`RetailOrdersApi::purchase_order_status`].
        purchase_order_status(number: &PurchaseOrderNumber) -> Option<retail::OrderStatus>;
    }
}

intercepted_client! {
    /// A [`DirectFulfillmentOrdersApi`] whose calls go through hooks (see the
    /// [module](self)).
    InterceptedDirectFulfillment: DirectFulfillmentOrdersApi {
        /// [`DirectFulfillmentOrdersApi::orders`].
        orders(query: &OrderQuery) -> Page<df::Order>;
        /// [`DirectFulfillmentOrdersApi::order`].
        order(number: &PurchaseOrderNumber) -> df::Order;
        /// [`DirectFulfillmentOrdersApi::submit_acknowledgements`].
        submit_acknowledgements(
            acknowledgements: &[DirectFulfillmentAcknowledgement]
        ) -> TransactionId;
        /// [`DirectFulfillmentOrdersApi::transaction_status`].
        transaction_status(id: &TransactionId) -> TransactionOutcome;
    }
}

/// A [`NetSuiteApi`] whose calls go through hooks (see the [module](self)).
pub struct InterceptedNetSuite {
    inner: Arc<dyn NetSuiteApi>,
    /// [`NetSuiteApi::upsert_sales_order`].
    pub upsert_sales_order: Hook<SalesOrderDraft, InternalId, ClientError>,
    /// [`NetSuiteApi::sales_order`].
    pub sales_order: Hook<ExternalId, Option<SalesOrderSnapshot>, ClientError>,
    /// [`NetSuiteApi::changed_sales_orders`]; the request is `since`.
    pub changed_sales_orders: Hook<DateTime<Utc>, Vec<SalesOrderChange>, ClientError>,
    /// [`NetSuiteApi::update_sales_order`]; the request is the external id and the
    /// update.
    pub update_sales_order: Hook<(ExternalId, SalesOrderChanges), (), ClientError>,
    /// [`NetSuiteApi::close_sales_order`].
    pub close_sales_order: Hook<ExternalId, (), ClientError>,
}

impl InterceptedNetSuite {
    /// Wraps `inner`, with no hooks yet.
    pub fn new(inner: Arc<dyn NetSuiteApi>) -> Self {
        InterceptedNetSuite {
            inner,
            upsert_sales_order: Hook::default(),
            sales_order: Hook::default(),
            changed_sales_orders: Hook::default(),
            update_sales_order: Hook::default(),
            close_sales_order: Hook::default(),
        }
    }
}

impl fmt::Debug for InterceptedNetSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterceptedNetSuite")
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl NetSuiteApi for InterceptedNetSuite {
    async fn upsert_sales_order(&self, draft: &SalesOrderDraft) -> Result<InternalId, ClientError> {
        let inner = &self.inner;
        self.upsert_sales_order
            .run(draft, || inner.upsert_sales_order(draft))
            .await
    }

    async fn sales_order(
        &self,
        external_id: &ExternalId,
    ) -> Result<Option<SalesOrderSnapshot>, ClientError> {
        let inner = &self.inner;
        self.sales_order
            .run(external_id, || inner.sales_order(external_id))
            .await
    }

    async fn changed_sales_orders(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<SalesOrderChange>, ClientError> {
        let inner = &self.inner;
        self.changed_sales_orders
            .run(&since, || inner.changed_sales_orders(since))
            .await
    }

    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        update: &SalesOrderChanges,
    ) -> Result<(), ClientError> {
        let inner = &self.inner;
        self.update_sales_order
            .run_owned(
                || (external_id.clone(), update.clone()),
                || inner.update_sales_order(external_id, update),
            )
            .await
    }

    async fn close_sales_order(&self, external_id: &ExternalId) -> Result<(), ClientError> {
        let inner = &self.inner;
        self.close_sales_order
            .run(external_id, || inner.close_sales_order(external_id))
            .await
    }
}

/// A save as an [`InterceptedStore`]'s hooks see it: the arguments of
/// [`OrderStore::save`].
#[derive(Debug, Clone)]
pub struct SaveRequest {
    /// The order.
    pub key: OrderKey,
    /// The record saved.
    pub record: OrderRecord,
    /// The side effect marked in flight, if any.
    pub in_flight: Option<InFlight>,
    /// The next wake-up.
    pub next_wakeup: Option<DateTime<Utc>>,
    /// The version the save names.
    pub expected: Option<u64>,
}

/// An [`OrderStore`] whose calls go through hooks (see the [module](self)).
pub struct InterceptedStore {
    inner: Arc<dyn OrderStore>,
    /// [`OrderStore::load`].
    pub load: Hook<OrderKey, Option<StoredOrder>, StoreError>,
    /// [`OrderStore::save`].
    pub save: Hook<SaveRequest, u64, StoreError>,
    /// [`OrderStore::due`]; the request is `now` and the limit.
    pub due: Hook<(DateTime<Utc>, usize), Vec<OrderKey>, StoreError>,
    /// [`OrderStore::next_wakeup`].
    pub next_wakeup: Hook<(), Option<DateTime<Utc>>, StoreError>,
    /// [`OrderStore::keys`].
    pub keys: Hook<(), Vec<OrderKey>, StoreError>,
    /// [`OrderStore::watermark`].
    pub watermark: Hook<Cursor, Option<DateTime<Utc>>, StoreError>,
    /// [`OrderStore::save_watermark`]; the request is the cursor and the time.
    pub save_watermark: Hook<(Cursor, DateTime<Utc>), (), StoreError>,
    /// [`OrderStore::query`]; the request is the filter and the page.
    pub query: Hook<(OrderFilter, PageRequest), IndexPage, StoreError>,
    /// [`OrderStore::counts`].
    pub counts: Hook<(), BTreeMap<StateKind, usize>, StoreError>,
}

impl InterceptedStore {
    /// Wraps `inner`, with no hooks yet.
    pub fn new(inner: Arc<dyn OrderStore>) -> Self {
        InterceptedStore {
            inner,
            load: Hook::default(),
            save: Hook::default(),
            due: Hook::default(),
            next_wakeup: Hook::default(),
            keys: Hook::default(),
            watermark: Hook::default(),
            save_watermark: Hook::default(),
            query: Hook::default(),
            counts: Hook::default(),
        }
    }
}

impl fmt::Debug for InterceptedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterceptedStore").finish_non_exhaustive()
    }
}

#[async_trait]
impl OrderStore for InterceptedStore {
    async fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let inner = &self.inner;
        self.load.run(key, || inner.load(key)).await
    }

    async fn save(
        &self,
        key: &OrderKey,
        record: &OrderRecord,
        in_flight: Option<&InFlight>,
        next_wakeup: Option<DateTime<Utc>>,
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let inner = &self.inner;
        self.save
            .run_owned(
                || SaveRequest {
                    key: key.clone(),
                    record: record.clone(),
                    in_flight: in_flight.cloned(),
                    next_wakeup,
                    expected,
                },
                || inner.save(key, record, in_flight, next_wakeup, expected),
            )
            .await
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OrderKey>, StoreError> {
        let inner = &self.inner;
        self.due
            .run_owned(|| (now, limit), || inner.due(now, limit))
            .await
    }

    async fn next_wakeup(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let inner = &self.inner;
        self.next_wakeup.run(&(), || inner.next_wakeup()).await
    }

    async fn keys(&self) -> Result<Vec<OrderKey>, StoreError> {
        let inner = &self.inner;
        self.keys.run(&(), || inner.keys()).await
    }

    async fn watermark(&self, cursor: Cursor) -> Result<Option<DateTime<Utc>>, StoreError> {
        let inner = &self.inner;
        self.watermark
            .run(&cursor, || inner.watermark(cursor))
            .await
    }

    async fn save_watermark(&self, cursor: Cursor, at: DateTime<Utc>) -> Result<(), StoreError> {
        let inner = &self.inner;
        self.save_watermark
            .run_owned(|| (cursor, at), || inner.save_watermark(cursor, at))
            .await
    }

    async fn query(
        &self,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<IndexPage, StoreError> {
        let inner = &self.inner;
        self.query
            .run_owned(
                || (filter.clone(), page.clone()),
                || inner.query(filter, page),
            )
            .await
    }

    async fn counts(&self) -> Result<BTreeMap<StateKind, usize>, StoreError> {
        let inner = &self.inner;
        self.counts.run(&(), || inner.counts()).await
    }

    /// Not hooked: the wrapped store's lease.
    async fn take_lease(
        &self,
        cursor: Cursor,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.inner.take_lease(cursor, holder, now, until).await
    }

    /// Not hooked: the wrapped store's budget.
    async fn take_from_budget(
        &self,
        operation: &str,
        now: DateTime<Utc>,
        rate_per_second: u32,
        burst: u32,
    ) -> Result<Option<std::time::Duration>, StoreError> {
        self.inner
            .take_from_budget(operation, now, rate_per_second, burst)
            .await
    }
}

/// Returns `Pending` once, waking itself at once: awaiting it lets whatever else the
/// executor polls run first (another engine's cycle, in a test that interleaves two).
#[derive(Debug, Default)]
pub struct YieldNow(bool);

impl YieldNow {
    /// A future that yields once.
    pub fn new() -> Self {
        YieldNow(false)
    }
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use crate::testing::fixtures::block_on;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn failure() -> StoreError {
        StoreError::Backend {
            message: "down".into(),
            source: None,
        }
    }

    #[test]
    fn hooks_run_in_order_and_an_answer_stops_the_call() {
        let store = InterceptedStore::new(Arc::new(MemoryStore::new()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        store.keys.before(move |_| {
            lock(&log).push("first");
            Before::Call
        });
        let log = seen.clone();
        store.keys.before(move |_| {
            lock(&log).push("second");
            Before::Answer(Err(failure()))
        });
        let log = seen.clone();
        store.keys.before(move |_| {
            lock(&log).push("never");
            Before::Call
        });
        let log = seen.clone();
        store.keys.after(move |_, answer| {
            lock(&log).push(if answer.is_err() { "failed" } else { "ok" });
            answer
        });
        assert!(block_on(store.keys()).is_err());
        assert_eq!(*lock(&seen), ["first", "second", "failed"]);
    }

    #[test]
    fn an_after_hook_replaces_the_answer_of_a_call_that_took_effect() {
        let memory = Arc::new(MemoryStore::new());
        let store = InterceptedStore::new(memory.clone());
        let at: DateTime<Utc> = "2026-03-02T08:00:00Z".parse().unwrap();
        store.save_watermark.after(|(cursor, _), answer| {
            assert_eq!(*cursor, Cursor::NetSuiteChanges);
            answer.and(Err(failure()))
        });
        let answer = block_on(store.save_watermark(Cursor::NetSuiteChanges, at));
        assert!(matches!(answer, Err(StoreError::Backend { .. })));
        // The write happened all the same.
        let kept = block_on(memory.watermark(Cursor::NetSuiteChanges)).unwrap();
        assert_eq!(kept, Some(at));
        // Cleared, the calls are the wrapped store's again.
        store.save_watermark.clear();
        assert!(block_on(store.save_watermark(Cursor::NetSuiteChanges, at)).is_ok());
    }

    #[test]
    fn queries_reach_the_wrapped_stores_own_index() {
        let store = InterceptedStore::new(Arc::new(MemoryStore::new()));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let log = calls.clone();
        store.query.after_call(move |(filter, page), answer| {
            lock(&log).push((filter.group, page.limit));
            answer
        });
        let log = calls.clone();
        store.counts.after_call(move |_, answer| {
            lock(&log).push((crate::view::StatusGroup::All, 0));
            answer
        });
        let filter = OrderFilter::group(crate::view::StatusGroup::Rejected);
        let page = block_on(store.query(&filter, &PageRequest::first(7))).unwrap();
        assert_eq!(page, IndexPage::default());
        assert!(block_on(store.counts()).unwrap().is_empty());
        assert_eq!(
            *lock(&calls),
            [
                (crate::view::StatusGroup::Rejected, 7),
                (crate::view::StatusGroup::All, 0)
            ]
        );
    }

    #[test]
    fn an_after_call_hook_sees_only_the_wrapped_clients_answers() {
        let store = InterceptedStore::new(Arc::new(MemoryStore::new()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answered = Arc::new(AtomicBool::new(true));
        store.keys.before({
            let answered = answered.clone();
            move |_| {
                if answered.load(Ordering::SeqCst) {
                    Before::Answer(Err(failure()))
                } else {
                    Before::Call
                }
            }
        });
        let log = seen.clone();
        store.keys.after_call(move |_, answer| {
            lock(&log).push(if answer.is_err() { "failed" } else { "called" });
            answer
        });
        let log = seen.clone();
        store.keys.after(move |_, answer| {
            lock(&log).push("every answer");
            answer
        });
        assert!(block_on(store.keys()).is_err());
        assert_eq!(*lock(&seen), ["every answer"]);
        answered.store(false, Ordering::SeqCst);
        assert_eq!(block_on(store.keys()).unwrap(), Vec::<OrderKey>::new());
        assert_eq!(*lock(&seen), ["every answer", "called", "every answer"]);
    }

    #[test]
    fn a_before_hook_can_answer_in_the_place_of_the_client() {
        let store = InterceptedStore::new(Arc::new(MemoryStore::new()));
        let at: DateTime<Utc> = "2026-03-02T08:00:00Z".parse().unwrap();
        store
            .next_wakeup
            .before_async(move |_| async move { Before::Answer(Ok(Some(at))) });
        assert_eq!(block_on(store.next_wakeup()).unwrap(), Some(at));
    }
}
