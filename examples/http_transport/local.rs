//! A local SP-API and NetSuite on 127.0.0.1: the crate's in-memory simulators
//! ([`VendorCentral`], [`NetSuite`]) served in the SP-API's and NetSuite REST's wire
//! formats, so the library's real HTTP clients talk to them.
//!
//! [`serve_simulators`] takes the simulators and their [`ManualClock`], which the caller
//! keeps: a test seeds orders, acts as the reviewer and inspects what arrived through
//! them, while everything on the other side of the socket (another thread, or another
//! process) sees only HTTP. Every request goes through the simulators' client traits,
//! so their rules, counters and scripted failures apply as they do in process; before
//! that the server holds each request to what the services themselves check: the
//! tokens (a Restricted Data Token on Direct Fulfillment order reads), Amazon's models
//! for query parameters and bodies ([`sp_api_model`](super::sp_api_model)), NetSuite's
//! headers, query parameters, record fields and SuiteQL body.
//! [`spawn_local_services`] serves a small sandbox-like world on its own clock.
//!
//! Besides the two services the server answers:
//!
//! * `GET /clock` (the simulated now, RFC 3339) and `POST /clock/sleep?nanos=N` (sleep
//!   by advancing it, as [`ManualClock`] does), for a process whose time is the
//!   caller's;
//! * `GET /control` (`run` or `stop`) and `POST /cycle?caller=…&quiet=…`: how an engine
//!   in another process learns to stop and reports its cycles.
//!
//! A request carrying [`CALLER_HEADER`] can trip a [`Tripwire`]: at the n-th service
//! request of that caller, before or after the simulator acted, the server runs the
//! tripwire's action (a crash test kills the caller there) and never answers.
//!
//! The server binds 127.0.0.1 only, stops when the value is dropped, and stops by
//! itself after [`MAX_REQUESTS`] requests or [`MAX_LIFETIME`].
//! itself after [`MAX_REQUESTS`] requests or [`MAX_LIFETIME`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use avc_order_sync::LINE_SEQUENCE_FIELD;
use avc_order_sync::amazon::direct_fulfillment as df;
use avc_order_sync::netsuite::{SalesOrderBody, SalesOrderLine, ShippingAddress};
use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral};
use avc_order_sync::{
    Address, ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, ExternalId, InternalId,
    ItemSequenceNumber, LineChange, NetSuiteApi, NetSuiteStatus, OrderQuery, Page,
    PurchaseOrderNumber, RetailOrdersApi, SalesOrderChanges, SalesOrderDraft, SalesOrderLineDraft,
    SalesOrderSnapshot, SalesOrderStatus, TransactionId, TransactionOutcome, WindowKind,
};
use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value, json};

use avc_order_sync::http::{
    DirectFulfillmentVersion, NetSuiteRestClient, SpApiDirectFulfillmentClient, SpApiRetailClient,
};

use super::sp_api_model;
use super::transport::{Credentials, IntegratorTransport};

/// The most requests the server answers before it stops by itself.
pub const MAX_REQUESTS: u64 = 2_000_000;
/// The longest the server runs before it stops by itself.
pub const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// The header naming who sent a request, for [`Tripwire`]s and the request counts.
pub const CALLER_HEADER: &str = "x-test-caller";
/// Threads answering requests.
const WORKERS: usize = 4;

/// NetSuite's sales-order records.
pub const RECORDS: &str = "/services/rest/record/v1/salesOrder";
/// NetSuite's SuiteQL endpoint.
pub const SUITEQL: &str = "/services/rest/query/v1/suiteql";

/// The access token the local SP-API expects for most calls.
pub const LWA_TOKEN: &str = "Atza|local-access-token";
/// The Restricted Data Token the local SP-API expects for Direct Fulfillment order reads.
pub const RDT_TOKEN: &str = "Atz.sprdt|local-restricted-data-token";
/// The bearer token the local NetSuite expects.
pub const NETSUITE_TOKEN: &str = "local-netsuite-token";
/// The external ids the local NetSuite's SuiteQL finds.
pub const EXTERNAL_ID_PREFIX: &str = "AVC-";

/// The local NetSuite user's time zone (UTC−8): SuiteQL answers in it.
pub fn netsuite_user_offset() -> FixedOffset {
    FixedOffset::west_opt(8 * 3600).expect("a valid offset")
}

/// Where a [`Tripwire`] fires: before the simulator acts (the request is lost) or
/// after (the effect took place, the answer is lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripPoint {
    /// Before the simulator sees the request.
    BeforeEffect,
    /// After the simulator acted, before the answer is sent.
    AfterEffect,
}

/// An action run at the n-th service request of one caller, which is then never
/// answered.
pub struct Tripwire {
    /// The caller, as sent in [`CALLER_HEADER`].
    pub caller: String,
    /// Fires at this request of the caller, counting from 1 after arming.
    pub at_request: u64,
    /// Counts only writes (every method but `GET`, SuiteQL aside): sales-order
    /// creates and patches, acknowledgements.
    pub writes_only: bool,
    /// Before or after the effect.
    pub point: TripPoint,
    /// What to do (kill the caller).
    pub action: Box<dyn FnOnce() + Send>,
}

struct ArmedTripwire {
    seen: u64,
    wire: Tripwire,
}

/// What the engines report of their cycles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleCount {
    /// Cycles finished.
    pub cycles: u64,
    /// Cycles in a row that found nothing to do.
    pub quiet_in_a_row: u64,
}

#[derive(Default)]
struct Control {
    stop: bool,
    cycles: BTreeMap<String, CycleCount>,
    tripwires: Vec<ArmedTripwire>,
    requests: BTreeMap<String, u64>,
    log: Vec<String>,
    fired: Vec<(TripPoint, String)>,
}

struct Shared {
    base_url: String,
    clock: ManualClock,
    amazon: Arc<VendorCentral>,
    netsuite: Arc<NetSuite>,
    control: Mutex<Control>,
    /// NetSuite refuses a second record with the same external id: the check and the
    /// create are one step.
    creating: Mutex<()>,
    stop: AtomicBool,
    served: AtomicU64,
    refused_creates: AtomicU64,
    /// The most orders a list page holds, whatever the request's `limit`.
    page_cap: Mutex<Option<u32>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running server.
pub struct ServedSimulators {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

/// Serves `amazon` and `netsuite` (on `clock`) on a port of 127.0.0.1 the system picks.
pub fn serve_simulators(
    clock: ManualClock,
    amazon: Arc<VendorCentral>,
    netsuite: Arc<NetSuite>,
) -> ServedSimulators {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = server
        .server_addr()
        .to_ip()
        .expect("an IP listener address");
    assert!(addr.ip().is_loopback(), "the server binds loopback only");
    let server = Arc::new(server);
    let shared = Arc::new(Shared {
        base_url: format!("http://{addr}"),
        clock,
        amazon,
        netsuite,
        control: Mutex::new(Control::default()),
        creating: Mutex::new(()),
        stop: AtomicBool::new(false),
        served: AtomicU64::new(0),
        refused_creates: AtomicU64::new(0),
        page_cap: Mutex::new(None),
    });
    let started = Instant::now();
    let threads = (0..WORKERS)
        .map(|_| {
            let (server, shared) = (server.clone(), shared.clone());
            std::thread::spawn(move || serve(&server, &shared, started))
        })
        .collect();
    ServedSimulators { shared, threads }
}

impl Drop for ServedSimulators {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl ServedSimulators {
    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Tells the engines polling `GET /control` to stop.
    pub fn stop_engines(&self) {
        lock(&self.shared.control).stop = true;
    }

    /// What each caller reported of its cycles.
    pub fn cycles(&self) -> BTreeMap<String, CycleCount> {
        lock(&self.shared.control).cycles.clone()
    }

    /// Service requests received from each caller (not counting the clock and
    /// control).
    pub fn requests(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.control).requests.clone()
    }

    /// Every service request received (not the clock and control), in order, as
    /// `METHOD /path?query` with the query decoded.
    pub fn log(&self) -> Vec<String> {
        lock(&self.shared.control).log.clone()
    }

    /// Lists at most `cap` orders a page, whatever a request's `limit` (as Amazon may
    /// answer fewer than asked); `None` lifts the cap.
    pub fn set_page_cap(&self, cap: Option<u32>) {
        *lock(&self.shared.page_cap) = cap;
    }

    /// Arms a tripwire; one caller may have several.
    pub fn arm(&self, wire: Tripwire) {
        lock(&self.shared.control)
            .tripwires
            .push(ArmedTripwire { seen: 0, wire });
    }

    /// Removes every tripwire of `caller` not fired yet.
    pub fn disarm(&self, caller: &str) {
        lock(&self.shared.control)
            .tripwires
            .retain(|t| t.wire.caller != caller);
    }

    /// How many creates NetSuite refused because the external id already had an order:
    /// second creates its uniqueness rule kept from becoming duplicates.
    pub fn refused_creates(&self) -> u64 {
        self.shared.refused_creates.load(Ordering::SeqCst)
    }

    /// The tripwires that fired, each with the request it fired at (`POST /path`).
    pub fn fired(&self) -> Vec<(TripPoint, String)> {
        lock(&self.shared.control).fired.clone()
    }
}

fn serve(server: &tiny_http::Server, shared: &Shared, started: Instant) {
    // Each thread drives the simulators' futures on a runtime of its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    while !shared.stop.load(Ordering::SeqCst)
        && shared.served.load(Ordering::SeqCst) < MAX_REQUESTS
        && started.elapsed() < MAX_LIFETIME
    {
        let mut request = match server.recv_timeout(Duration::from_millis(50)) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(_) => break,
        };
        shared.served.fetch_add(1, Ordering::SeqCst);
        let incoming = Incoming::read(&mut request);
        if let Some(reply) = local(shared, &incoming) {
            respond(request, reply);
            continue;
        }
        let trip = take_tripwire(shared, &incoming);
        if let Some((TripPoint::BeforeEffect, action)) = trip {
            action();
            continue;
        }
        let reply = runtime.block_on(handle(shared, &incoming));
        match trip {
            Some((_, action)) => action(),
            None => respond(request, reply),
        }
    }
}

/// The clock and control endpoints.
fn local(shared: &Shared, request: &Incoming) -> Option<Answer> {
    let text = |status: u16, body: String| -> Answer {
        (
            status,
            vec![("content-type".into(), "text/plain".into())],
            body.into_bytes(),
        )
    };
    let now = |clock: &ManualClock| clock.now().to_rfc3339_opts(SecondsFormat::Nanos, true);
    Some(match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/clock") => text(200, now(&shared.clock)),
        ("POST", "/clock/sleep") => {
            let nanos: u64 = request
                .query("nanos")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            shared.clock.advance(Duration::from_nanos(nanos));
            text(200, now(&shared.clock))
        }
        ("GET", "/control") => {
            let stop = lock(&shared.control).stop;
            text(200, if stop { "stop" } else { "run" }.into())
        }
        ("POST", "/cycle") => {
            let caller = request.query("caller").unwrap_or("").to_owned();
            let quiet = request.query("quiet") == Some("true");
            let mut control = lock(&shared.control);
            let count = control.cycles.entry(caller).or_default();
            count.cycles += 1;
            count.quiet_in_a_row = if quiet { count.quiet_in_a_row + 1 } else { 0 };
            text(200, String::new())
        }
        _ => return None,
    })
}

/// Counts a service request against its caller and takes the tripwire it fires, if
/// any.
fn take_tripwire(
    shared: &Shared,
    request: &Incoming,
) -> Option<(TripPoint, Box<dyn FnOnce() + Send>)> {
    let mut control = lock(&shared.control);
    control.log.push(request.line());
    let caller = request.header(CALLER_HEADER)?;
    let write = request.method != "GET" && request.path != SUITEQL;
    *control.requests.entry(caller.to_owned()).or_default() += 1;
    let mut fired = None;
    for (index, armed) in control.tripwires.iter_mut().enumerate() {
        if armed.wire.caller == caller && (write || !armed.wire.writes_only) {
            armed.seen += 1;
            if fired.is_none() && armed.seen >= armed.wire.at_request {
                fired = Some(index);
            }
        }
    }
    let armed = control.tripwires.remove(fired?);
    let line = format!("{} {}", request.method, request.path);
    control.fired.push((armed.wire.point, line));
    Some((armed.wire.point, armed.wire.action))
}

async fn handle(shared: &Shared, request: &Incoming) -> Answer {
    if request.path.starts_with("/vendor/") {
        amazon(shared, request).await
    } else if request.path.starts_with("/services/rest/") {
        netsuite(shared, request).await
    } else {
        amazon_error(404, "NotFound", "Cannot find resource by the given URI")
    }
}

// ---------------------------------------------------------------------------------
// SP-API
// ---------------------------------------------------------------------------------

/// A simulator's refusal as the SP-API writes it: the status and the `errors` body.
pub fn refusal_json(error: &ClientError) -> (u16, Value) {
    let status = match error.kind {
        ErrorKind::RateLimited { .. } => 429,
        ErrorKind::NotFound => 404,
        ErrorKind::Rejected => 400,
        ErrorKind::Unauthorized => 403,
        _ => 503,
    };
    let errors: Vec<Value> = if error.messages.is_empty() {
        vec![json!({"code": "InternalFailure", "message": error.to_string(), "details": ""})]
    } else {
        error
            .messages
            .iter()
            .map(|m| json!({"code": m.code, "message": m.message, "details": m.field.clone().unwrap_or_default()}))
            .collect()
    };
    (status, json!({ "errors": errors }))
}

/// A simulator's refusal as the SP-API answers it.
fn amazon_refusal(error: &ClientError) -> Answer {
    let (status, body) = refusal_json(error);
    let mut reply = answer(status, &body);
    if status == 429 {
        reply
            .1
            .push(("x-amzn-RateLimit-Limit".into(), "10.0".into()));
    }
    reply
}

fn instant(request: &Incoming, name: &str) -> Option<DateTime<Utc>> {
    request
        .query(name)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The [`OrderQuery`] a list request asks for, its limit capped by the server's page
/// cap; `None` when a window bound is missing.
fn order_query(shared: &Shared, request: &Incoming) -> Option<OrderQuery> {
    let (kind, after, before) = match (
        instant(request, "createdAfter"),
        instant(request, "createdBefore"),
        instant(request, "changedAfter"),
        instant(request, "changedBefore"),
    ) {
        (Some(after), Some(before), None, None) => (WindowKind::Created, after, before),
        (None, None, Some(after), Some(before)) => (WindowKind::Changed, after, before),
        _ => return None,
    };
    // `status=CANCELLED` (Direct Fulfillment): the created window's cancelled orders.
    let kind = match (kind, request.query("status")) {
        (kind, None) => kind,
        (WindowKind::Created, Some("CANCELLED")) => WindowKind::Cancelled,
        _ => return None,
    };
    Some(OrderQuery {
        kind,
        after,
        before,
        limit: request
            .query("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(100)
            .min(lock(&shared.page_cap).unwrap_or(u32::MAX)),
        next_token: request.query("nextToken").map(str::to_owned),
    })
}

/// A page as the list operations write it. An order the simulator lists as unreadable
/// goes out as an entry whose details are not an object, which a client sets aside.
pub fn page_json<T: serde::Serialize>(page: &Page<T>) -> Value {
    let mut orders: Vec<Value> = page
        .orders
        .iter()
        .map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
        .collect();
    orders.extend(page.malformed.iter().map(
        |m| json!({"purchaseOrderNumber": m.purchase_order_number, "orderDetails": m.reason}),
    ));
    let mut list = json!({ "orders": orders });
    if let Some(token) = &page.next_token {
        list["pagination"] = json!({ "nextToken": token });
    }
    list
}

/// A transaction's status as the status operations write it: `errors` a list (v1)
/// or an object holding the list (`object_errors`, 2021-12-28).
pub fn transaction_json(
    id: &TransactionId,
    outcome: &TransactionOutcome,
    object_errors: bool,
) -> Value {
    let (status, errors) = match outcome {
        TransactionOutcome::Success => ("Success", None),
        TransactionOutcome::Failure(messages) => (
            "Failure",
            Some(
                messages
                    .iter()
                    .map(|m| json!({"code": m.code, "message": m.message, "details": m.field.clone().unwrap_or_default()}))
                    .collect::<Vec<_>>(),
            ),
        ),
        _ => ("Processing", None),
    };
    let mut transaction = json!({"transactionId": id.as_str(), "status": status});
    if let Some(errors) = errors {
        transaction["errors"] = if object_errors {
            json!({ "errors": errors })
        } else {
            json!(errors)
        };
    }
    json!({ "transactionStatus": transaction })
}

fn reply<T>(result: Result<T, ClientError>, status: u16, body: impl FnOnce(T) -> Value) -> Answer {
    match result {
        Ok(value) => answer(status, &body(value)),
        Err(error) => amazon_refusal(&error),
    }
}

async fn amazon(shared: &Shared, request: &Incoming) -> Answer {
    let restricted = request.method == "GET"
        && request
            .path
            .starts_with("/vendor/directFulfillment/orders/")
        && request.path.contains("/purchaseOrders");
    let expected = if restricted { RDT_TOKEN } else { LWA_TOKEN };
    if request.header("x-amz-access-token") != Some(expected) {
        return amazon_error(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
        );
    }
    if let Some(refusal) = sp_api_refusal(request) {
        return refusal;
    }
    let segments: Vec<String> = request
        .path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let invalid = || amazon_error(400, "InvalidInput", "Could not match input arguments");
    let number = |n: &str| PurchaseOrderNumber::new(n).ok();
    let transaction = |id: &str| id.parse::<TransactionId>().ok();
    let vc = &shared.amazon;
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["vendor", "orders", "v1", "purchaseOrders"]) => {
            if request.query("includeDetails") != Some("true") {
                return invalid();
            }
            let Some(query) = order_query(shared, request) else {
                return invalid();
            };
            reply(
                RetailOrdersApi::purchase_orders(&**vc, &query).await,
                200,
                |page| json!({ "payload": page_json(&page) }),
            )
        }
        ("GET", ["vendor", "orders", "v1", "purchaseOrders", n]) => {
            let Some(n) = number(n) else {
                return invalid();
            };
            reply(
                vc.purchase_order(&n).await,
                200,
                |o| json!({ "payload": o }),
            )
        }
        ("GET", ["vendor", "orders", "v1", "purchaseOrdersStatus"]) => {
            let Some(n) = request.query("purchaseOrderNumber").and_then(number) else {
                return invalid();
            };
            reply(
                vc.purchase_order_status(&n).await,
                200,
                |status| json!({"payload": {"ordersStatus": status.into_iter().collect::<Vec<_>>()}}),
            )
        }
        ("POST", ["vendor", "orders", "v1", "acknowledgements"]) => {
            let Some(body) = request.json() else {
                return amazon_error(400, "InvalidInput", "The content is not valid.");
            };
            reply(
                vc.submit_retail_acknowledgement_body(&body).await,
                202,
                |id| json!({"payload": {"transactionId": id.as_str()}}),
            )
        }
        ("GET", ["vendor", "transactions", "v1", "transactions", id]) => {
            let Some(id) = transaction(id) else {
                return invalid();
            };
            reply(
                RetailOrdersApi::transaction_status(&**vc, &id).await,
                200,
                |o| json!({ "payload": transaction_json(&id, &o, false) }),
            )
        }
        (
            "GET",
            [
                "vendor",
                "directFulfillment",
                "orders",
                version,
                "purchaseOrders",
            ],
        ) => {
            let Some(query) = order_query(shared, request)
                .filter(|q| matches!(q.kind, WindowKind::Created | WindowKind::Cancelled))
            else {
                return invalid();
            };
            let v1 = *version == "v1";
            reply(
                DirectFulfillmentOrdersApi::orders(&**vc, &query).await,
                200,
                |page| {
                    let list = page_json(&page);
                    if v1 { json!({ "payload": list }) } else { list }
                },
            )
        }
        (
            "GET",
            [
                "vendor",
                "directFulfillment",
                "orders",
                version,
                "purchaseOrders",
                n,
            ],
        ) => {
            let Some(n) = number(n) else {
                return invalid();
            };
            let v1 = *version == "v1";
            reply(vc.order(&n).await, 200, |o: df::Order| {
                let order = serde_json::to_value(o).unwrap_or(Value::Null);
                if v1 {
                    json!({ "payload": order })
                } else {
                    order
                }
            })
        }
        (
            "POST",
            [
                "vendor",
                "directFulfillment",
                "orders",
                version,
                "acknowledgements",
            ],
        ) => {
            let Some(body) = request.json() else {
                return amazon_error(400, "InvalidInput", "The content is not valid.");
            };
            let v1 = *version == "v1";
            reply(vc.submit_df_acknowledgement_body(&body).await, 202, |id| {
                let id = json!({"transactionId": id.as_str()});
                if v1 { json!({ "payload": id }) } else { id }
            })
        }
        (
            "GET",
            [
                "vendor",
                "directFulfillment",
                "transactions",
                version,
                "transactions",
                id,
            ],
        ) => {
            let Some(id) = transaction(id) else {
                return invalid();
            };
            let v1 = *version == "v1";
            reply(
                DirectFulfillmentOrdersApi::transaction_status(&**vc, &id).await,
                200,
                |o| {
                    let status = transaction_json(&id, &o, !v1);
                    if v1 {
                        json!({ "payload": status })
                    } else {
                        status
                    }
                },
            )
        }
        _ => amazon_error(404, "NotFound", "Cannot find resource by the given URI"),
    }
}

// ---------------------------------------------------------------------------------
// NetSuite REST
// ---------------------------------------------------------------------------------

/// A simulator's refusal as NetSuite answers it.
fn netsuite_refusal(error: &ClientError) -> Answer {
    let (status, code) = match error.kind {
        ErrorKind::RateLimited { .. } => (429, "CONCURRENCY_LIMIT_EXCEEDED"),
        ErrorKind::NotFound => (404, "NONEXISTENT_ID"),
        ErrorKind::Rejected => (400, "USER_ERROR"),
        ErrorKind::Unauthorized => (401, "INVALID_LOGIN"),
        _ => (500, "UNEXPECTED_ERROR"),
    };
    let details: Vec<Value> = if error.messages.is_empty() {
        vec![json!({"detail": error.to_string(), "o:errorCode": code})]
    } else {
        error
            .messages
            .iter()
            .map(|m| {
                let mut detail = json!({"detail": m.message, "o:errorCode": m.code});
                if let Some(field) = &m.field {
                    detail["o:errorPath"] = json!(field);
                }
                detail
            })
            .collect()
    };
    let (kind, title) = netsuite_problem(status);
    answer(
        status,
        &json!({"type": kind, "title": title, "status": status, "o:errorCode": code,
                "o:errorDetails": details}),
    )
}

fn invalid_content(detail: &str, path: &str) -> Answer {
    netsuite_error(400, "INVALID_CONTENT", detail, Some(path))
}

fn status_name(status: &NetSuiteStatus) -> &'static str {
    match status {
        NetSuiteStatus::PendingApproval => "Pending Approval",
        NetSuiteStatus::PendingFulfillment => "Pending Fulfillment",
        NetSuiteStatus::Cancelled => "Cancelled",
        NetSuiteStatus::PartiallyFulfilled => "Partially Fulfilled",
        NetSuiteStatus::PendingBillingPartiallyFulfilled => "Pending Billing/Partially Fulfilled",
        NetSuiteStatus::PendingBilling => "Pending Billing",
        NetSuiteStatus::Billed => "Billed",
        NetSuiteStatus::Closed => "Closed",
        _ => "Unknown",
    }
}

/// The record as `GET /salesOrder/eid:…` returns it, with its lines inline when
/// `lines`.
fn record_json(base_url: &str, snapshot: &SalesOrderSnapshot, lines: bool) -> Value {
    let id = snapshot.internal_id.as_str();
    let href = format!("{base_url}{RECORDS}/{id}");
    let mut record = json!({
        "links": [{"rel": "self", "href": href}],
        "id": id,
        "externalId": snapshot.external_id.as_str(),
        "status": {"id": snapshot.status.letter(), "refName": status_name(&snapshot.status)},
    });
    if let Some(tran_id) = &snapshot.tran_id {
        record["tranId"] = json!(tran_id);
    }
    if let Some(modified) = snapshot.last_modified {
        record["lastModifiedDate"] = json!(modified.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    if let Some(date) = snapshot.ship_date {
        record["shipDate"] = json!(date.to_string());
    }
    record["item"] = if lines {
        let items: Vec<Value> = snapshot
            .lines
            .iter()
            .map(|line| {
                let mut item = json!({
                    "line": line.line,
                    "item": {"id": line.item.as_str()},
                    "quantity": line.quantity,
                    "rate": line.rate.to_json_number().map_or(Value::Null, Value::Number),
                    "isClosed": line.is_closed,
                });
                if let Some(sequence) = &line.sequence {
                    item[LINE_SEQUENCE_FIELD] = json!(sequence.as_str());
                }
                if let Some(date) = line.expected_ship_date {
                    item["expectedShipDate"] = json!(date.to_string());
                }
                item
            })
            .collect();
        json!({"links": [{"rel": "self", "href": format!("{href}/item")}], "items": items})
    } else {
        json!({"links": [{"rel": "self", "href": format!("{href}/item")}]})
    };
    record
}

fn internal_id(reference: Option<&avc_order_sync::netsuite::RecordRef>) -> Option<InternalId> {
    reference.and_then(|r| InternalId::new(r.id.as_str()).ok())
}

fn approval(reference: &avc_order_sync::netsuite::RecordRef) -> Option<SalesOrderStatus> {
    match reference.id.as_str() {
        "A" => Some(SalesOrderStatus::PendingApproval),
        "B" => Some(SalesOrderStatus::PendingFulfillment),
        _ => None,
    }
}

fn address_of(shipping: &ShippingAddress) -> Address {
    Address {
        name: shipping.addressee.clone().unwrap_or_default(),
        attention: shipping.attention.clone(),
        address_line1: shipping.addr1.clone().unwrap_or_default(),
        address_line2: shipping.addr2.clone(),
        address_line3: shipping.addr3.clone(),
        city: shipping.city.clone(),
        county: None,
        district: None,
        state_or_region: shipping.state.clone(),
        postal_code: shipping.zip.clone(),
        country_code: shipping
            .country
            .as_ref()
            .map(|c| c.id.clone())
            .unwrap_or_default(),
        phone: shipping.addr_phone.clone(),
    }
}

/// A body line read back as the draft line it was written from; the error names the
/// missing or invalid field.
fn line_of(index: usize, line: &SalesOrderLine) -> Result<SalesOrderLineDraft, Answer> {
    let path = |field: &str| format!("item.items[{index}].{field}");
    let missing = |field: &str| invalid_content("A required field is missing.", &path(field));
    let mut custom_fields = line.custom_fields.clone();
    let sequence = custom_fields
        .remove(LINE_SEQUENCE_FIELD)
        .and_then(|v| v.as_str().map(str::to_owned))
        .and_then(|s| ItemSequenceNumber::new(s).ok())
        .ok_or_else(|| missing(LINE_SEQUENCE_FIELD))?;
    Ok(SalesOrderLineDraft {
        item: internal_id(line.item.as_ref()).ok_or_else(|| missing("item"))?,
        quantity: line.quantity.ok_or_else(|| missing("quantity"))?,
        rate: line.rate.ok_or_else(|| missing("rate"))?,
        sequence,
        description: line.description.clone(),
        is_closed: line.is_closed.unwrap_or(false),
        custom_fields,
    })
}

/// A create body read back as the draft it was written from.
fn draft_of(body: &SalesOrderBody) -> Result<SalesOrderDraft, Answer> {
    let missing = |field: &str| invalid_content("A required field is missing.", field);
    let lines = body
        .item
        .as_ref()
        .map(|sublist| {
            sublist
                .items
                .iter()
                .enumerate()
                .map(|(i, l)| line_of(i, l))
                .collect()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(SalesOrderDraft {
        external_id: body
            .external_id
            .clone()
            .ok_or_else(|| missing("externalId"))?,
        customer: internal_id(body.entity.as_ref()).ok_or_else(|| missing("entity"))?,
        subsidiary: internal_id(body.subsidiary.as_ref()),
        location: internal_id(body.location.as_ref()),
        custom_form: internal_id(body.custom_form.as_ref()),
        currency: internal_id(body.currency.as_ref()),
        tran_date: body.tran_date.ok_or_else(|| missing("tranDate"))?,
        ship_date: body.ship_date,
        other_ref_num: body
            .other_ref_num
            .as_deref()
            .and_then(|n| PurchaseOrderNumber::new(n).ok())
            .ok_or_else(|| missing("otherRefNum"))?,
        memo: body.memo.clone(),
        status: body
            .order_status
            .as_ref()
            .map_or(Some(SalesOrderStatus::PendingApproval), approval)
            .ok_or_else(|| missing("orderStatus"))?,
        shipping_address: body.shipping_address.as_ref().map(address_of),
        lines,
        custom_fields: body.custom_fields.clone(),
    })
}

/// A `PATCH` body read back as the changes it was written from: lines named by their
/// `line` key are matched to their PO lines through the record.
fn update_of(
    body: &SalesOrderBody,
    record: &SalesOrderSnapshot,
) -> Result<SalesOrderChanges, Answer> {
    let mut update = SalesOrderChanges {
        status: body.order_status.as_ref().and_then(approval),
        ship_date: body.ship_date,
        ..SalesOrderChanges::default()
    };
    for (index, line) in body.item.iter().flat_map(|s| s.items.iter()).enumerate() {
        match line.line {
            Some(key) => {
                let sequence = record
                    .lines
                    .iter()
                    .find(|l| l.line == key)
                    .and_then(|l| l.sequence.clone())
                    .ok_or_else(|| {
                        invalid_content("No such line.", &format!("item.items[{index}].line"))
                    })?;
                let item = internal_id(line.item.as_ref());
                if item.is_some() || line.quantity.is_some() || line.rate.is_some() {
                    update.lines.push(LineChange::Set {
                        sequence: sequence.clone(),
                        item,
                        quantity: line.quantity,
                        rate: line.rate,
                    });
                }
                if line.is_closed == Some(true) {
                    update.lines.push(LineChange::Close { sequence });
                }
            }
            None => update.lines.push(LineChange::Add {
                line: Box::new(line_of(index, line)?),
            }),
        }
    }
    Ok(update)
}

// The create lock is held across the simulator's call on purpose: each server thread
// blocks on its own runtime, and the call waits on no other request.
#[allow(clippy::await_holding_lock)]
async fn netsuite(shared: &Shared, request: &Incoming) -> Answer {
    if request.header("Authorization") != Some(&format!("Bearer {NETSUITE_TOKEN}")) {
        return netsuite_error(401, "INVALID_LOGIN", "Invalid login attempt.", None);
    }
    if request.path == SUITEQL && request.method == "POST" {
        return suiteql(shared, request).await;
    }
    let Some(rest) = request.path.strip_prefix(RECORDS) else {
        return netsuite_error(
            404,
            "NONEXISTENT_ID",
            "The record type does not exist.",
            None,
        );
    };
    if request.header("X-NetSuite-PropertyNameValidation") != Some("Error") {
        return netsuite_error(
            400,
            "INVALID_REQUEST",
            "This NetSuite wants X-NetSuite-PropertyNameValidation: Error.",
            None,
        );
    }
    let known: &[&str] = if request.method == "GET" {
        &["expandSubResources"]
    } else {
        &[]
    };
    if let Some(refusal) = unknown_query_parameter(request, known) {
        return refusal;
    }
    if let Some(Value::Object(body)) = request.json() {
        if let Some(path) = unknown_sales_order_member(&body) {
            return unknown_member(&path);
        }
    }
    let ns = &shared.netsuite;
    let external_id = rest
        .strip_prefix("/eid:")
        .map(decode)
        .and_then(|eid| ExternalId::new(eid).ok());
    let body = || -> Result<SalesOrderBody, Answer> {
        serde_json::from_slice(&request.body)
            .map_err(|_| invalid_content("The body is not a sales order.", "item"))
    };
    match (request.method.as_str(), rest, external_id) {
        ("GET", _, Some(eid)) => match ns.sales_order(&eid).await {
            Ok(Some(snapshot)) => answer(
                200,
                &record_json(
                    &shared.base_url,
                    &snapshot,
                    request.query("expandSubResources") == Some("true"),
                ),
            ),
            Ok(None) => nonexistent(&eid),
            Err(error) => netsuite_refusal(&error),
        },
        ("POST", "", _) => {
            let draft = match body().and_then(|b| draft_of(&b)) {
                Ok(draft) => draft,
                Err(refusal) => return refusal,
            };
            let _creating = lock(&shared.creating);
            if ns.snapshot(&draft.external_id).is_some() {
                shared.refused_creates.fetch_add(1, Ordering::SeqCst);
                return netsuite_error(
                    400,
                    "USER_ERROR",
                    "A sales order with this external ID already exists.",
                    Some("externalId"),
                );
            }
            match ns.upsert_sales_order(&draft).await {
                Ok(id) => {
                    let mut reply = answer(204, &Value::Null);
                    reply.1.push((
                        "Location".into(),
                        format!("{}{RECORDS}/{}", shared.base_url, id.as_str()),
                    ));
                    reply
                }
                Err(error) => netsuite_refusal(&error),
            }
        }
        ("PATCH", _, Some(eid)) => {
            let Some(record) = ns.snapshot(&eid) else {
                return nonexistent(&eid);
            };
            let update = match body().and_then(|b| update_of(&b, &record)) {
                Ok(update) => update,
                Err(refusal) => return refusal,
            };
            match ns.update_sales_order(&eid, &update).await {
                Ok(()) => answer(204, &Value::Null),
                Err(error) => netsuite_refusal(&error),
            }
        }
        _ => netsuite_error(400, "INVALID_REQUEST", "Unsupported request.", None),
    }
}

fn nonexistent(eid: &ExternalId) -> Answer {
    netsuite_error(
        404,
        "NONEXISTENT_ID",
        &format!("The record instance eid:{eid} does not exist."),
        None,
    )
}

async fn suiteql(shared: &Shared, request: &Incoming) -> Answer {
    if request.header("Prefer") != Some("transient") {
        return netsuite_error(
            400,
            "INVALID_REQUEST",
            "SuiteQL needs Prefer: transient.",
            None,
        );
    }
    if let Some(refusal) = unknown_query_parameter(request, &["limit", "offset"]) {
        return refusal;
    }
    let literals = match read_suiteql(&request.body) {
        Ok(literals) => literals,
        Err(refusal) => return refusal,
    };
    let offset_zone = netsuite_user_offset();
    let prefix = literals.prefix;
    let Some(since) = offset_zone.from_local_datetime(&literals.since).single() else {
        return invalid_search_query("The timestamp is not a time in the user's time zone.");
    };
    let limit: usize = request
        .query("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(1000);
    let offset: usize = request
        .query("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let changes = match shared
        .netsuite
        .changed_sales_orders(since.with_timezone(&Utc))
        .await
    {
        Ok(changes) => changes,
        Err(error) => return netsuite_refusal(&error),
    };
    let rows: Vec<Value> = changes
        .iter()
        .filter(|c| c.external_id.as_str().starts_with(&prefix))
        .map(|c| {
            json!({
                "links": [],
                "id": c.internal_id.as_str(),
                "externalid": c.external_id.as_str(),
                "status": c.status.letter(),
                "lastmodifieddate": c.last_modified.with_timezone(&offset_zone)
                    .format("%Y-%m-%d %H:%M:%S").to_string(),
            })
        })
        .collect();
    let total = rows.len();
    let page: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    let has_more = offset + page.len() < total;
    answer(
        200,
        &json!({"links": [], "count": page.len(), "hasMore": has_more, "offset": offset,
                "totalResults": total, "items": page}),
    )
}

// ---------------------------------------------------------------------------------
// The wire: requests read, answers written
// ---------------------------------------------------------------------------------

/// Sends `answer` as the response to `request`.
pub fn respond(request: tiny_http::Request, (status, headers, body): Answer) {
    let mut response = tiny_http::Response::from_data(body).with_status_code(status);
    for (name, value) in headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}

/// A request as the handlers see it: the path and query decoded.
pub struct Incoming {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The query pairs, decoded.
    pub query: Vec<(String, String)>,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Incoming {
    /// Reads a request received by the server, body included.
    pub fn read(request: &mut tiny_http::Request) -> Self {
        let mut body = Vec::new();
        let _ = request.as_reader().read_to_end(&mut body);
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_owned(),
                    h.value.as_str().to_owned(),
                )
            })
            .collect();
        Incoming::new(request.method().as_str(), request.url(), headers, body)
    }

    fn new(method: &str, url: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect();
        Incoming {
            method: method.to_owned(),
            path: path.to_owned(),
            query,
            headers,
            body,
        }
    }

    /// A query parameter's value.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD /path?query`, the query decoded.
    pub fn line(&self) -> String {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, query.join("&"))
        }
    }

    /// The body as JSON, when it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// `text` with its percent-escapes (and `+` for a space) decoded.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response: status, headers, body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// A JSON answer (no body for `null`).
pub fn answer(status: u16, body: &Value) -> Answer {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    (
        status,
        vec![
            ("content-type".into(), "application/json".into()),
            ("x-amzn-RequestId".into(), "local-request".into()),
        ],
        body,
    )
}

/// An SP-API error answer.
pub fn amazon_error(status: u16, code: &str, message: &str) -> Answer {
    answer(
        status,
        &json!({"errors": [{"code": code, "message": message, "details": ""}]}),
    )
}

/// What SP-API answers a request its model refuses (an unknown query parameter, a
/// body member the model lacks): 400 `InvalidInput`. `None` when the request passes,
/// or when the models are not at hand.
pub fn sp_api_refusal(request: &Incoming) -> Option<Answer> {
    let models = sp_api_model::models()?;
    let (status, body) = models.refusal(
        &request.method,
        &request.path,
        &request.query,
        &request.body,
    )?;
    Some(answer(status, &body))
}

/// A NetSuite REST error answer.
pub fn netsuite_error(status: u16, code: &str, detail: &str, path: Option<&str>) -> Answer {
    let mut entry = json!({"detail": detail, "o:errorCode": code});
    if let Some(path) = path {
        entry["o:errorPath"] = json!(path);
    }
    netsuite_errors(status, vec![entry])
}

/// The `type` and `title` NetSuite gives an error answer with this status.
pub fn netsuite_problem(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => (
            "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
            "Bad Request",
        ),
        401 => (
            "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
            "Unauthorized",
        ),
        403 => (
            "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4",
            "Forbidden",
        ),
        404 => (
            "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5",
            "Not Found",
        ),
        429 => (
            "https://www.rfc-editor.org/rfc/rfc6585#section-4",
            "Too Many Requests",
        ),
        _ => (
            "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1",
            "Internal Server Error",
        ),
    }
}

/// A NetSuite REST error answer with these `o:errorDetails`.
pub fn netsuite_errors(status: u16, details: Vec<Value>) -> Answer {
    let (kind, title) = netsuite_problem(status);
    answer(
        status,
        &json!({"type": kind, "title": title, "status": status, "o:errorDetails": details}),
    )
}

/// NetSuite's refusal of a SuiteQL query it cannot run.
pub fn invalid_search_query(reason: &str) -> Answer {
    netsuite_errors(
        400,
        vec![json!({
            "detail": format!("Invalid search query. Detailed unprocessed description follows. \
                               Search error occurred: {reason}"),
            "o:errorQueryParam": "q",
            "o:errorCode": "INVALID_PARAMETER",
        })],
    )
}

/// The first query parameter not in `known`, refused as NetSuite refuses it.
pub fn unknown_query_parameter(request: &Incoming, known: &[&str]) -> Option<Answer> {
    let (name, _) = request
        .query
        .iter()
        .find(|(name, _)| !known.contains(&name.as_str()))?;
    Some(netsuite_errors(
        400,
        vec![json!({
            "detail": format!("Invalid query parameter name: {name}. \
                               Provide a valid query parameter name."),
            "o:errorQueryParam": name,
            "o:errorCode": "INVALID_PARAMETER",
        })],
    ))
}

/// The members a sales-order body may carry here, besides custom body fields
/// (`custbody_*`).
const SALES_ORDER_MEMBERS: &[&str] = &[
    "externalId",
    "entity",
    "subsidiary",
    "location",
    "customForm",
    "currency",
    "tranDate",
    "shipDate",
    "otherRefNum",
    "memo",
    "orderStatus",
    "shippingAddress",
    "item",
];
/// The members of a line, besides custom line fields (`custcol_*`).
const LINE_MEMBERS: &[&str] = &[
    "line",
    "item",
    "quantity",
    "rate",
    "amount",
    "price",
    "description",
    "isClosed",
];
/// The members of the shipping address subrecord.
const ADDRESS_MEMBERS: &[&str] = &[
    "addressee",
    "attention",
    "addr1",
    "addr2",
    "addr3",
    "city",
    "state",
    "zip",
    "country",
    "addrPhone",
    "override",
];
/// The members of a reference to another record.
const REFERENCE_MEMBERS: &[&str] = &["id", "externalId", "refName"];

/// The JSON path (as NetSuite writes `o:errorPath`) of the first member of a
/// sales-order body that the record does not have: what NetSuite refuses under
/// `X-NetSuite-PropertyNameValidation: Error` instead of dropping it.
pub fn unknown_sales_order_member(body: &Map<String, Value>) -> Option<String> {
    fn first_unknown(
        object: &Map<String, Value>,
        known: &[&str],
        custom_prefix: Option<&str>,
        at: &str,
    ) -> Option<String> {
        object
            .keys()
            .find(|name| {
                !known.contains(&name.as_str())
                    && !custom_prefix.is_some_and(|prefix| name.starts_with(prefix))
            })
            .map(|name| format!("{at}{name}"))
    }
    fn reference(value: &Value, at: &str) -> Option<String> {
        value
            .as_object()
            .and_then(|r| first_unknown(r, REFERENCE_MEMBERS, None, &format!("{at}.")))
    }
    if let Some(unknown) = first_unknown(body, SALES_ORDER_MEMBERS, Some("custbody_"), "") {
        return Some(unknown);
    }
    for name in [
        "entity",
        "subsidiary",
        "location",
        "customForm",
        "currency",
        "orderStatus",
    ] {
        if let Some(unknown) = body.get(name).and_then(|r| reference(r, name)) {
            return Some(unknown);
        }
    }
    if let Some(address) = body.get("shippingAddress").and_then(Value::as_object) {
        if let Some(unknown) = first_unknown(address, ADDRESS_MEMBERS, None, "shippingAddress.") {
            return Some(unknown);
        }
        if let Some(unknown) = address
            .get("country")
            .and_then(|r| reference(r, "shippingAddress.country"))
        {
            return Some(unknown);
        }
    }
    let sublist = body.get("item").and_then(Value::as_object)?;
    if let Some(unknown) = first_unknown(sublist, &["items"], None, "item.") {
        return Some(unknown);
    }
    let lines = sublist.get("items").and_then(Value::as_array)?;
    lines.iter().enumerate().find_map(|(index, line)| {
        let at = format!("item.items[{index}].");
        let line = line.as_object()?;
        first_unknown(line, LINE_MEMBERS, Some("custcol_"), &at).or_else(|| {
            ["item", "price"].iter().find_map(|name| {
                line.get(*name)
                    .and_then(|r| reference(r, &format!("{at}{name}")))
            })
        })
    })
}

/// NetSuite's refusal of a body member the record does not have.
pub fn unknown_member(path: &str) -> Answer {
    netsuite_errors(
        400,
        vec![json!({
            "detail": format!("Error while accessing a resource. \
                               The field {path} does not exist on the record."),
            "o:errorPath": path,
            "o:errorCode": "INVALID_CONTENT",
        })],
    )
}

/// What the local SuiteQL reads from the query the library sends: the external-id
/// prefix of its `LIKE` pattern and the watermark of its `TO_TIMESTAMP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteQlLiterals {
    /// The pattern's prefix, before its closing `%`.
    pub prefix: String,
    /// The watermark, in the NetSuite user's time zone.
    pub since: NaiveDateTime,
}

/// Reads a SuiteQL request body as NetSuite does: `{"q": …}` and no other member;
/// values are literals in `q`, and a `?` outside a literal is a syntax error (REST
/// binds no parameters). The literals are then read from `q` itself.
pub fn read_suiteql(body: &[u8]) -> Result<SuiteQlLiterals, Answer> {
    let bad_body =
        |detail: &str, path: Option<&str>| netsuite_error(400, "INVALID_CONTENT", detail, path);
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(bad_body("The request body is not a JSON object.", None));
    };
    if let Some(name) = body.keys().find(|name| name.as_str() != "q") {
        return Err(unknown_member(name));
    }
    let Some(q) = body.get("q").and_then(Value::as_str) else {
        return Err(bad_body("The query is missing: send it in q.", Some("q")));
    };
    // Split `q` into the text outside literals and the literals, `''` read as `'`.
    let mut literals: Vec<(String, String)> = Vec::new();
    let mut outside = String::new();
    let mut chars = q.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '?' => return Err(invalid_search_query("Syntax error: unexpected '?'.")),
            '\'' => {
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => literal.push(c),
                        None => {
                            return Err(invalid_search_query(
                                "Syntax error: unterminated string literal.",
                            ));
                        }
                    }
                }
                literals.push((std::mem::take(&mut outside), literal));
            }
            c => outside.push(c),
        }
    }
    let after = |text: &str| {
        literals
            .iter()
            .find(|(before, _)| before.trim_end().ends_with(text))
            .map(|(_, literal)| literal.as_str())
    };
    let pattern = after("externalid LIKE")
        .ok_or_else(|| invalid_search_query("No external id pattern in the query."))?;
    let prefix = pattern
        .strip_suffix('%')
        .filter(|p| !p.contains(['%', '_']))
        .ok_or_else(|| invalid_search_query("This NetSuite reads prefix patterns only."))?;
    let since = after("lastmodifieddate >= TO_TIMESTAMP(")
        .ok_or_else(|| invalid_search_query("No lastmodifieddate bound in the query."))?;
    let since = NaiveDateTime::parse_from_str(since, "%Y-%m-%d %H:%M:%S")
        .map_err(|_| invalid_search_query("The timestamp does not match its format."))?;
    Ok(SuiteQlLiterals {
        prefix: prefix.to_owned(),
        since,
    })
}

// ---------------------------------------------------------------------------------
// A small sandbox-like world
// ---------------------------------------------------------------------------------

/// Where the clock of [`spawn_local_services`] starts: the day after the sandbox
/// orders.
pub const LOCAL_START: &str = "2025-03-01T12:00:00Z";

/// A retail order as the sandbox writes them, valid for the domain conversion.
pub fn retail_order(number: &str, vendor: &str, date: &str) -> Value {
    json!({
        "purchaseOrderNumber": number,
        "purchaseOrderState": "New",
        "orderDetails": {
            "purchaseOrderDate": date,
            "purchaseOrderStateChangedDate": date,
            "purchaseOrderType": "RegularOrder",
            "paymentMethod": "Invoice",
            "buyingParty": {"partyId": "AMAZON"},
            "sellingParty": {"partyId": vendor},
            "shipToParty": {"partyId": "ABE8"},
            "shipWindow": "2025-03-03T07:00:00Z--2025-03-09T07:00:00Z",
            "items": [
                {"itemSequenceNumber": "1", "amazonProductIdentifier": "B07DFVDRAB",
                 "vendorProductIdentifier": "8806098286500",
                 "orderedQuantity": {"amount": 10, "unitOfMeasure": "Eaches", "unitSize": 1},
                 "isBackOrderAllowed": false,
                 "netCost": {"currencyCode": "USD", "amount": "346.27"}},
                {"itemSequenceNumber": "2", "amazonProductIdentifier": "B07DFYF5AB",
                 "orderedQuantity": {"amount": 2, "unitOfMeasure": "Cases", "unitSize": 6},
                 "isBackOrderAllowed": true,
                 "netCost": {"currencyCode": "USD", "amount": "15.62"}}
            ]
        }
    })
}

/// A Direct Fulfillment order as the sandbox writes them.
pub fn df_order(number: &str) -> Value {
    json!({
        "purchaseOrderNumber": number,
        "orderDetails": {
            "customerOrderNumber": "123-ABC",
            "orderDate": "2025-02-27T13:51:00Z",
            "orderStatus": "NEW",
            "shipmentDetails": {"isPriorityShipment": true, "isScheduledDeliveryShipment": false,
                "isPslipRequired": true, "isGift": false, "shipMethod": "UPS_2ND",
                "shipmentDates": {"requiredShipDate": "2025-03-01T23:59:00Z"},
                "messageToCustomer": "Thank you"},
            "sellingParty": {"partyId": "999US"},
            "shipFromParty": {"partyId": "ABCD"},
            "shipToParty": {"name": "ABC", "addressLine1": "123 Main St", "city": "Seattle",
                "stateOrRegion": "WA", "postalCode": "98109", "countryCode": "US"},
            "billToParty": {"partyId": "ABCD"},
            "items": [{"itemSequenceNumber": "00001", "buyerProductIdentifier": "B07DFVDRAB",
                "vendorProductIdentifier": "8806098286500", "title": "Furniture",
                "orderedQuantity": {"amount": 1, "unitOfMeasure": "Each"},
                "netPrice": {"currencyCode": "USD", "amount": "500"}}]
        }
    })
}

/// The simulators [`spawn_local_services`] serves, and their clock.
pub struct LocalServices {
    /// The simulators' clock: it moves only when advanced.
    pub clock: ManualClock,
    /// Vendor Central, holding two retail orders (`2JK3S9VC`, `3TRD2IAB`) and one
    /// Direct Fulfillment order (`2JK3S9VC`).
    pub amazon: Arc<VendorCentral>,
    /// An empty NetSuite account, any item and customer allowed.
    pub netsuite: Arc<NetSuite>,
    /// The server.
    pub served: ServedSimulators,
}

/// Serves, on 127.0.0.1, a Vendor Central holding the sandbox orders and an empty
/// NetSuite, with no rate limits (429s are scripted where wanted) and one order a list
/// page, so that reading the orders takes the next token.
pub fn spawn_local_services() -> LocalServices {
    let clock = ManualClock::new(LOCAL_START.parse().expect("a valid instant"));
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    amazon.set_rate_limits_enabled(false);
    for (number, date) in [
        ("2JK3S9VC", "2025-02-27T15:51:00Z"),
        ("3TRD2IAB", "2025-02-28T09:10:00Z"),
    ] {
        let order = serde_json::from_value(retail_order(number, "API01", date))
            .expect("a sandbox retail order");
        amazon.add_retail_order(order).expect("a new retail order");
    }
    let order = serde_json::from_value(df_order("2JK3S9VC")).expect("a sandbox DF order");
    amazon.add_df_order(order).expect("a new DF order");
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    let served = serve_simulators(clock.clone(), amazon.clone(), netsuite.clone());
    served.set_page_cap(Some(1));
    LocalServices {
        clock,
        amazon,
        netsuite,
        served,
    }
}

impl LocalServices {
    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> &str {
        self.served.base_url()
    }

    /// A transport to the local SP-API with the tokens it expects.
    pub fn amazon_transport(&self) -> IntegratorTransport {
        IntegratorTransport::new(
            self.base_url(),
            Credentials::SpApi {
                access_token: LWA_TOKEN.into(),
                restricted_data_token: Some(RDT_TOKEN.into()),
            },
        )
    }

    /// A transport to the local NetSuite with the bearer token it expects.
    pub fn netsuite_transport(&self) -> IntegratorTransport {
        IntegratorTransport::new(
            self.base_url(),
            Credentials::NetSuiteBearer(NETSUITE_TOKEN.into()),
        )
    }

    /// A Retail Procurement client of the local SP-API.
    pub fn retail_client(&self) -> SpApiRetailClient<IntegratorTransport> {
        SpApiRetailClient::new(self.amazon_transport())
    }

    /// A Direct Fulfillment client of the local SP-API (both versions are served).
    pub fn direct_fulfillment_client(
        &self,
        version: DirectFulfillmentVersion,
    ) -> SpApiDirectFulfillmentClient<IntegratorTransport> {
        SpApiDirectFulfillmentClient::new(self.amazon_transport(), version)
    }

    /// A NetSuite client of the local NetSuite, in its user's time zone.
    pub fn netsuite_client(&self) -> NetSuiteRestClient<IntegratorTransport> {
        NetSuiteRestClient::new(self.netsuite_transport())
            .with_user_utc_offset(netsuite_user_offset())
            .with_external_id_prefix(EXTERNAL_ID_PREFIX)
    }
}
