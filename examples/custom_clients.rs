//! An integrator's own clients: the crate's traits implemented by hand, and one engine
//! cycle run with them.
//!
//! ```sh
//! cargo run --example custom_clients
//! ```
//!
//! The library never opens a socket: the engine talks to Amazon and NetSuite only
//! through four traits, [`RetailOrdersApi`], [`DirectFulfillmentOrdersApi`],
//! [`NetSuiteApi`] and [`Clock`], and keeps its state through an [`OrderStore`].
//! Most integrators do not write the three API clients themselves:
//! `avc_order_sync::http` has them ready (`SpApiRetailClient`,
//! `SpApiDirectFulfillmentClient`, `NetSuiteRestClient`) over one small
//! `HttpTransport` trait that only moves bytes and adds credentials
//! (`examples/http_transport.rs` shows one on `ureq`). Write your own when your stack
//! already has SP-API or NetSuite clients, a gateway in between, or a message queue.
//!
//! Each client below says where its HTTP call and its credentials go, then hands the
//! call to the crate's in-memory simulators so the example runs without a network.
//! The contract each method must keep (MUST / MUST NOT) is on the trait's docs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::testing::{NetSuite, VendorCentral, catalogue_settings, orders};
use avc_order_sync::{
    ClientError, Clock, DirectFulfillmentAcknowledgement, DirectFulfillmentOrdersApi, ExternalId,
    InternalId, NetSuiteApi, OrderQuery, Page, PurchaseOrderNumber, RetailAcknowledgement,
    RetailOrdersApi, SalesOrderChange, SalesOrderChanges, SalesOrderDraft, SalesOrderSnapshot,
    TransactionId, TransactionOutcome,
};
use avc_order_sync::{Clients, Engine};
use avc_order_sync::{MemoryStore, OrderStore};
use chrono::{DateTime, TimeDelta, Utc};

type Error = Box<dyn std::error::Error>;

/// Counts the calls a client made, to show the engine went through it.
#[derive(Default)]
struct Calls(AtomicU64);

impl Calls {
    fn count(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------------
// Amazon Retail Procurement: SP-API Vendor Orders v1 and Vendor Transaction Status v1
// ---------------------------------------------------------------------------------

/// The integrator's Retail Procurement client.
///
/// Credentials: every SP-API call carries a Login with Amazon access token in the
/// `x-amz-access-token` header. `avc_order_sync::auth` builds the refresh-token request
/// (`auth::lwa`) and caches and renews the token (`auth::TokenCache`); a client of
/// one's own can use them without the rest of the crate's HTTP layer.
///
/// Errors: classify every failure into the engine's [`avc_order_sync::ErrorKind`]:
/// HTTP 429 is `RateLimited` (with `Retry-After` when sent), 5xx and timeouts
/// `Transient`, 400 `Rejected` with Amazon's `errors` as messages, 404 `NotFound`,
/// 401/403 `Unauthorized`. The engine retries on that kind alone.
struct MyRetailClient {
    /// Stands in for the HTTP client and the host
    /// (`https://sellingpartnerapi-na.amazon.com`, `-eu`, `-fe`).
    service: Arc<VendorCentral>,
    calls: Calls,
}

#[async_trait]
impl RetailOrdersApi for MyRetailClient {
    async fn purchase_orders(
        &self,
        query: &OrderQuery,
    ) -> Result<Page<retail::Order>, ClientError> {
        // GET /vendor/orders/v1/purchaseOrders?limit=…&includeDetails=true
        //   &createdAfter=…&createdBefore=…   (WindowKind::Created)
        //   &changedAfter=…&changedBefore=…   (WindowKind::Changed)
        //   &nextToken=…                      (follow-up pages: resend every filter)
        // `getPurchaseOrders` cannot list cancelled POs: refuse WindowKind::Cancelled
        // as `Rejected` (the engine never asks for it).
        // Read `payload.orders` one order at a time: one that does not read goes to
        // `Page::malformed` with its reason; the next token is
        // `payload.pagination.nextToken`.
        self.calls.count();
        self.service.purchase_orders(query).await
    }

    async fn purchase_order(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<retail::Order, ClientError> {
        // GET /vendor/orders/v1/purchaseOrders/{purchaseOrderNumber}; the order is
        // `payload`.
        self.calls.count();
        self.service.purchase_order(number).await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[RetailAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        // POST /vendor/orders/v1/acknowledgements with the body
        // `avc_order_sync::amazon::retail::SubmitAcknowledgementRequest::from_domain(acknowledgements)`;
        // the answer's `payload.transactionId` is the result. Never retry here: a lost
        // answer is an error, and the engine checks the PO before sending again.
        self.calls.count();
        RetailOrdersApi::submit_acknowledgements(&*self.service, acknowledgements).await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        // GET /vendor/transactions/v1/transactions/{transactionId}.
        self.calls.count();
        RetailOrdersApi::transaction_status(&*self.service, id).await
    }

    async fn purchase_order_status(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<Option<retail::OrderStatus>, ClientError> {
        // GET /vendor/orders/v1/purchaseOrdersStatus?purchaseOrderNumber=….
        self.calls.count();
        self.service.purchase_order_status(number).await
    }
}

// ---------------------------------------------------------------------------------
// Amazon Direct Fulfillment: SP-API Vendor Direct Fulfillment Orders and Transactions
// ---------------------------------------------------------------------------------

/// The integrator's Direct Fulfillment client (2021-12-28 here; v1 differs only in
/// the `{"payload": …}` envelope around each answer).
///
/// Credentials: `getOrders` and `getOrder` return a consumer's name, address and
/// phone, so Amazon wants a Restricted Data Token for them instead of the access
/// token: `POST /tokens/2021-03-01/restrictedDataToken` with
/// `{"restrictedResources": [{"method": "GET", "path": "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders"}]}`
/// (or the one order's path), sent in the same `x-amz-access-token` header. The
/// acknowledgement and transaction calls use the ordinary access token.
struct MyDirectFulfillmentClient {
    /// Stands in for the HTTP client and the host.
    service: Arc<VendorCentral>,
    calls: Calls,
}

#[async_trait]
impl DirectFulfillmentOrdersApi for MyDirectFulfillmentClient {
    async fn orders(&self, query: &OrderQuery) -> Result<Page<df::Order>, ClientError> {
        // GET /vendor/directFulfillment/orders/2021-12-28/purchaseOrders
        //   ?createdAfter=…&createdBefore=…&limit=…&includeDetails=true[&nextToken=…]
        // with `&status=CANCELLED` for WindowKind::Cancelled (the engine's check for
        // orders Amazon cancelled after it read them), and the Restricted Data Token.
        // The body is an `OrderList`; read its `orders` one at a time into
        // `Page::orders` or `Page::malformed`.
        self.calls.count();
        self.service.orders(query).await
    }

    async fn order(&self, number: &PurchaseOrderNumber) -> Result<df::Order, ClientError> {
        // GET /vendor/directFulfillment/orders/2021-12-28/purchaseOrders/{purchaseOrderNumber}
        // with the Restricted Data Token.
        self.calls.count();
        self.service.order(number).await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[DirectFulfillmentAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        // POST /vendor/directFulfillment/orders/2021-12-28/acknowledgements with
        // `avc_order_sync::amazon::direct_fulfillment::SubmitAcknowledgementRequest::from_domain(acknowledgements)`;
        // the answer is `{"transactionId": …}`. Never retry here.
        self.calls.count();
        DirectFulfillmentOrdersApi::submit_acknowledgements(&*self.service, acknowledgements).await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        // GET /vendor/directFulfillment/transactions/2021-12-28/transactions/{transactionId}.
        self.calls.count();
        DirectFulfillmentOrdersApi::transaction_status(&*self.service, id).await
    }
}

// ---------------------------------------------------------------------------------
// NetSuite: SuiteTalk REST
// ---------------------------------------------------------------------------------

/// The integrator's NetSuite client, on
/// `https://{account}.suitetalk.api.netsuite.com/services/rest`.
///
/// Credentials, one of:
/// - token-based authentication (OAuth 1.0a): an `Authorization: OAuth realm=…,
///   oauth_consumer_key, oauth_token, oauth_signature_method="HMAC-SHA256",
///   oauth_timestamp, oauth_nonce, oauth_version="1.0", oauth_signature` header built
///   fresh for every request, signed with the integration record's consumer secret
///   and the access token's secret (`avc_order_sync::auth::tba` builds it, the HMAC
///   plugged in);
/// - OAuth 2.0 client credentials: `Authorization: Bearer <token>` from
///   `POST …/services/rest/auth/oauth2/v1/token`, renewed before it expires
///   (`auth::netsuite_oauth2` and `auth::TokenCache`).
///
/// Errors: `CONCURRENCY_LIMIT_EXCEEDED` (HTTP 429) is `RateLimited`, `INVALID_CONTENT`
/// and other 400s `Rejected` with `o:errorDetails` as messages, `NONEXISTENT_ID`
/// `NotFound`, 5xx `Transient`, `INVALID_LOGIN` `Unauthorized`.
struct MyNetSuiteClient {
    /// Stands in for the HTTP client and the account's host.
    service: Arc<NetSuite>,
    calls: Calls,
}

#[async_trait]
impl NetSuiteApi for MyNetSuiteClient {
    async fn upsert_sales_order(&self, draft: &SalesOrderDraft) -> Result<InternalId, ClientError> {
        // Idempotent on the external id, even when an earlier answer was lost:
        // 1. GET /record/v1/salesOrder/eid:{externalId}: if it exists, return its id;
        // 2. otherwise POST /record/v1/salesOrder with
        //    `avc_order_sync::netsuite::SalesOrderBody::from_draft(draft)`; the new id
        //    is the last segment of the `Location` header of the 204;
        // 3. a 400 on the POST: GET by `eid:` again (a create whose answer was lost
        //    shows up there).
        self.calls.count();
        self.service.upsert_sales_order(draft).await
    }

    async fn sales_order(
        &self,
        external_id: &ExternalId,
    ) -> Result<Option<SalesOrderSnapshot>, ClientError> {
        // GET /record/v1/salesOrder/eid:{externalId}?expandSubResources=true, read
        // with `SalesOrderRecord::to_snapshot`; 404 is `Ok(None)`.
        self.calls.count();
        self.service.sales_order(external_id).await
    }

    async fn changed_sales_orders(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<SalesOrderChange>, ClientError> {
        // POST /query/v1/suiteql with `Prefer: transient`: the orders whose external
        // id the sync gave them and whose `lastmodifieddate` is at or after `since`
        // (in the integration user's time zone), oldest first, every page followed.
        self.calls.count();
        self.service.changed_sales_orders(since).await
    }

    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        update: &SalesOrderChanges,
    ) -> Result<(), ClientError> {
        // PATCH /record/v1/salesOrder/eid:{externalId} naming only the lines that
        // change, by their `line` key (read the record first to find them); never a
        // blind replace of the item list.
        self.calls.count();
        self.service.update_sales_order(external_id, update).await
    }

    async fn close_sales_order(&self, external_id: &ExternalId) -> Result<(), ClientError> {
        // PATCH every open line with `isClosed: true`.
        self.calls.count();
        self.service.close_sales_order(external_id).await
    }
}

// ---------------------------------------------------------------------------------
// The clock
// ---------------------------------------------------------------------------------

/// The integrator's clock: the system's time, and a wait that does not block the
/// runtime. With tokio's `time` feature, `sleep` is simply
/// `tokio::time::sleep(duration).await`.
struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from(SystemTime::now())
    }

    async fn sleep(&self, duration: Duration) {
        // The engine sleeps only to pace calls under Amazon's rate limits.
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(duration)).await;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();

    // The services the clients talk to: simulators here, seeded with three retail POs
    // and two Direct Fulfillment orders placed in the last hours.
    let vendor_central = Arc::new(VendorCentral::with_clock(clock.clone()));
    let netsuite = Arc::new(NetSuite::with_clock(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    for i in 0..3u64 {
        let number = orders::purchase_order_number(500 + i);
        let placed = now - TimeDelta::minutes(90 - 20 * i as i64);
        vendor_central.add_retail_order(orders::retail_order(&number, placed, 2))?;
    }
    for i in 0..2u64 {
        let number = orders::purchase_order_number(700 + i);
        let placed = now - TimeDelta::minutes(60 - 20 * i as i64);
        vendor_central.add_df_order(orders::df_order(&number, placed, 1))?;
    }

    let retail = Arc::new(MyRetailClient {
        service: vendor_central.clone(),
        calls: Calls::default(),
    });
    let direct_fulfillment = Arc::new(MyDirectFulfillmentClient {
        service: vendor_central.clone(),
        calls: Calls::default(),
    });
    let netsuite_client = Arc::new(MyNetSuiteClient {
        service: netsuite.clone(),
        calls: Calls::default(),
    });

    // The store. `MemoryStore` forgets everything on exit; production implements
    // `OrderStore` on its own database. Its contract, in short: `save` MUST check the
    // version it was given and write in one atomic step (a compare-and-set, so two
    // workers can never both act on one order) and MUST NOT report success before the
    // write is durable; `due` lists orders by their next wake-up; watermarks MUST
    // never move backwards.
    let store: Arc<dyn OrderStore> = Arc::new(MemoryStore::new());

    // Retail orders wait for a reviewer in NetSuite; Direct Fulfillment orders are
    // acknowledged at once.
    let engine = Engine::new(
        catalogue_settings(false, true),
        Clients {
            retail: retail.clone(),
            direct_fulfillment: direct_fulfillment.clone(),
            netsuite: netsuite_client.clone(),
        },
        store,
        clock,
    );

    let report = engine.run_cycle().await?;
    print!("{report}");
    println!(
        "calls through the custom clients: retail {}, direct fulfillment {}, netsuite {}",
        retail.calls.get(),
        direct_fulfillment.calls.get(),
        netsuite_client.calls.get()
    );
    println!(
        "NetSuite now holds {} sales orders; Amazon received {} acknowledgements",
        netsuite.record_count(),
        vendor_central.acknowledgements().len()
    );
    if report.new_orders != 5 || retail.calls.get() == 0 || netsuite_client.calls.get() == 0 {
        return Err("the cycle did not go through the custom clients as expected".into());
    }
    Ok(())
}
