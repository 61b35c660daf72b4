//! The in-memory simulators served over HTTP on 127.0.0.1, in the SP-API's and
//! NetSuite REST's wire formats, so the library's real HTTP clients talk to them.
//!
//! [`serve_simulators`] takes a [`VendorCentral`], a [`NetSuite`] and their
//! [`ManualClock`], which the caller keeps: tests seed orders, act as the reviewer and
//! inspect what arrived through them, while everything on the other side of the socket
//! (another thread, or another process) sees only HTTP. Every request goes through
//! the simulators' client traits, so their rules, counters and scripted failures apply
//! as they do in process.
//!
//! Besides the two services the server answers:
//!
//! * `GET /clock` (the simulated now, RFC 3339) and `POST /clock/sleep?nanos=N` (sleep
//!   by advancing it, as [`ManualClock`] does): [`HttpClock`], a [`Clock`] for a
//!   process whose time is the test's;
//! * `GET /control` (`run` or `stop`) and `POST /cycle?caller=…&quiet=…`: how an engine
//!   in another process learns to stop and reports its cycles.
//!
//! A request carrying [`CALLER_HEADER`] can trip a [`Tripwire`]: at the n-th service
//! request of that caller, before or after the simulator acted, the server runs the
//! tripwire's action (the kill test kills the caller there) and never answers.
//!
//! The server binds 127.0.0.1 only, stops when the value is dropped, and stops by
//! itself after [`MAX_REQUESTS`] requests or [`MAX_LIFETIME`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use avc_order_sync::Clients;
use avc_order_sync::LINE_SEQUENCE_FIELD;
use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::http::{
    DirectFulfillmentVersion, HttpRequest, HttpResponse, HttpTransport, NetSuiteRestClient,
    SpApiDirectFulfillmentClient, SpApiRetailClient, TransportError,
};
use avc_order_sync::netsuite::{SalesOrderBody, SalesOrderLine, ShippingAddress};
use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral};
use avc_order_sync::{
    Address, ClientError, Clock, DirectFulfillmentOrdersApi, ErrorKind, ExternalId, InternalId,
    ItemSequenceNumber, LineChange, NetSuiteApi, NetSuiteStatus, OrderQuery, Page,
    PurchaseOrderNumber, RetailOrdersApi, SalesOrderChanges, SalesOrderDraft, SalesOrderLineDraft,
    SalesOrderSnapshot, SalesOrderStatus, TransactionId, TransactionOutcome, WindowKind,
};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Value, json};

use super::socket::{
    Answer, Credentials, EXTERNAL_ID_PREFIX, Incoming, LWA_TOKEN, NETSUITE_TOKEN, RDT_TOKEN,
    UreqTransport, amazon_error, answer, decode, invalid_search_query, netsuite_error,
    netsuite_problem, netsuite_user_offset, read_suiteql, respond, sp_api_refusal, unknown_member,
    unknown_query_parameter, unknown_sales_order_member,
};

/// The most requests the server answers before it stops by itself.
pub const MAX_REQUESTS: u64 = 2_000_000;
/// The longest the server runs before it stops by itself.
pub const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// The header naming who sent a request, for [`Tripwire`]s and the request counts.
pub const CALLER_HEADER: &str = "x-test-caller";
/// Threads answering requests.
const WORKERS: usize = 4;

const RECORDS: &str = "/services/rest/record/v1/salesOrder";
const SUITEQL: &str = "/services/rest/query/v1/suiteql";

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
    let caller = request.header(CALLER_HEADER)?;
    let write = request.method != "GET" && request.path != SUITEQL;
    let mut control = lock(&shared.control);
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

/// The [`OrderQuery`] a list request asks for; `None` when a window bound is missing.
fn order_query(request: &Incoming) -> Option<OrderQuery> {
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
            .unwrap_or(100),
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
            let Some(query) = order_query(request) else {
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
            let Some(query) = order_query(request)
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
// The client side: the engine's clients and clock over HTTP
// ---------------------------------------------------------------------------------

/// A transport that names its caller in [`CALLER_HEADER`] on every request.
#[derive(Clone)]
pub struct CallerTransport {
    inner: UreqTransport,
    caller: String,
}

#[async_trait]
impl HttpTransport for CallerTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.inner
            .send(request.with_header(CALLER_HEADER, self.caller.clone()))
            .await
    }
}

/// The engine's clients for the simulators served at `base_url`: the library's SP-API
/// and NetSuite REST clients over `ureq`, naming themselves `caller`.
pub fn http_clients(base_url: &str, caller: &str) -> Clients {
    let transport = |credentials| CallerTransport {
        inner: UreqTransport::new(base_url, credentials),
        caller: caller.to_owned(),
    };
    let amazon = || {
        transport(Credentials::Amazon {
            access_token: LWA_TOKEN.into(),
            restricted_data_token: RDT_TOKEN.into(),
        })
    };
    Clients {
        retail: Arc::new(SpApiRetailClient::new(amazon())),
        direct_fulfillment: Arc::new(SpApiDirectFulfillmentClient::new(
            amazon(),
            DirectFulfillmentVersion::V2021_12_28,
        )),
        netsuite: Arc::new(
            NetSuiteRestClient::new(transport(Credentials::NetSuiteBearer(
                NETSUITE_TOKEN.into(),
            )))
            .with_user_utc_offset(netsuite_user_offset())
            .with_external_id_prefix(EXTERNAL_ID_PREFIX),
        ),
    }
}

/// A [`Clock`] that reads the served [`ManualClock`]: time stays the test's. Sleeping
/// advances it, as on the [`ManualClock`] itself.
///
/// [`Clock::now`] cannot fail, so an unreachable server panics: the process using this
/// clock has lost the test that owns its time.
pub struct HttpClock {
    http: ureq::Agent,
    base_url: String,
}

impl HttpClock {
    /// The clock of the simulators served at `base_url`.
    pub fn new(base_url: &str) -> Self {
        HttpClock {
            http: ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into(),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    fn read(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> DateTime<Utc> {
        let text = response
            .and_then(|mut r| r.body_mut().read_to_string())
            .unwrap_or_else(|e| {
                panic!("the served clock at {} is unreachable: {e}", self.base_url)
            });
        DateTime::parse_from_rfc3339(text.trim())
            .unwrap_or_else(|e| panic!("the served clock answered `{text}`: {e}"))
            .with_timezone(&Utc)
    }
}

#[async_trait]
impl Clock for HttpClock {
    fn now(&self) -> DateTime<Utc> {
        self.read(self.http.get(format!("{}/clock", self.base_url)).call())
    }

    async fn sleep(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.read(
            self.http
                .post(format!("{}/clock/sleep?nanos={nanos}", self.base_url))
                .send_empty(),
        );
    }
}

/// Runs `future` to completion on a fresh current-thread runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avc_order_sync::Engine;
    use avc_order_sync::MemoryStore;
    use avc_order_sync::Program;
    use avc_order_sync::testing::{catalogue_settings, orders};

    /// The served SP-API refuses what SP-API refuses: an unknown query parameter, an
    /// unknown body member, with SP-API's error body.
    #[tokio::test]
    async fn served_sp_api_refuses_unknown_query_parameters_and_body_members() {
        let start: DateTime<Utc> = "2025-03-01T12:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        let number = orders::purchase_order_number(1);
        amazon
            .add_retail_order(orders::retail_order(
                &number,
                start - chrono::TimeDelta::days(1),
                1,
            ))
            .unwrap();
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        let served = serve_simulators(clock, amazon.clone(), netsuite);
        super::super::socket::assert_refuses_what_sp_api_refuses(served.base_url(), &number).await;
        // Only the three good acknowledgements reached the simulator.
        assert_eq!(amazon.transaction_count(), 3);
    }

    /// The served NetSuite refuses what NetSuite refuses, with NetSuite's error
    /// bodies, and its SuiteQL reads the literals written in `q`.
    #[tokio::test]
    async fn served_netsuite_refuses_what_netsuite_refuses() {
        use super::super::socket::{assert_netsuite_refusal, netsuite_raw};
        let clock = ManualClock::new("2026-11-27T08:00:00Z".parse().unwrap());
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        let served = serve_simulators(clock, amazon, netsuite);
        let base = served.base_url().to_owned();
        let send = |method: &'static str, path: String, body: Option<Value>| {
            let base = base.clone();
            tokio::task::spawn_blocking(move || netsuite_raw(&base, method, &path, body.as_ref()))
        };
        let q = |since: &str| {
            json!(format!(
                "SELECT t.id FROM transaction t WHERE t.type = 'SalesOrd' \
                 AND t.externalid LIKE 'AVC-%' \
                 AND t.lastmodifieddate >= TO_TIMESTAMP('{since}', 'YYYY-MM-DD HH24:MI:SS') \
                 ORDER BY t.lastmodifieddate, t.id"
            ))
        };
        let suiteql = format!("{SUITEQL}?limit=10&offset=0");
        let (status, page) = send(
            "POST",
            suiteql.clone(),
            Some(json!({"q": q("2026-11-01 00:00:00")})),
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "{page}");
        // The watermark is read from `q`: one that is not a timestamp is refused.
        let refused = send("POST", suiteql.clone(), Some(json!({"q": q("yesterday")})))
            .await
            .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "q");
        let refused = send(
            "POST",
            suiteql.clone(),
            Some(json!({"q": q("2026-11-01 00:00:00"), "params": ["AVC-%"]})),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "params");
        let refused = send(
            "POST",
            suiteql.clone(),
            Some(json!({"q": "SELECT t.id FROM transaction t WHERE t.externalid LIKE ?"})),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "q");
        let refused = send(
            "POST",
            format!("{SUITEQL}?limit=10&page=2"),
            Some(json!({"q": q("2026-11-01 00:00:00")})),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "page");

        let create = json!({"externalId": "AVC-RP-4Z32PABE", "entity": {"id": "1234"},
            "tranDate": "2026-11-27", "otherRefNum": "4Z32PABE", "memmo": "typo",
            "item": {"items": []}});
        let refused = send("POST", RECORDS.to_owned(), Some(create))
            .await
            .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "memmo");
        let eid = format!("{RECORDS}/eid:AVC-RP-4Z32PABE");
        let refused = send(
            "PATCH",
            eid.clone(),
            Some(json!({"item": {"items": [{"line": 1, "isclosed": true}]}})),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(
            &refused,
            "INVALID_CONTENT",
            "o:errorPath",
            "item.items[0].isclosed",
        );
        let refused = send("GET", format!("{eid}?fields=id"), None).await.unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "fields");
        assert_eq!(served.shared.netsuite.record_count(), 0);
    }

    /// The engine in this process, through the real HTTP clients, against the served
    /// simulators: a retail PO reviewed and acknowledged, a Direct Fulfillment order
    /// acknowledged at once, each exactly once.
    #[tokio::test]
    async fn served_simulators_carry_the_main_job_over_http() {
        let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        netsuite.set_item_catalogue(orders::netsuite_items());
        let (rp, dfn) = (
            orders::purchase_order_number(1),
            orders::purchase_order_number(2),
        );
        amazon
            .add_retail_order(orders::retail_order(
                &rp,
                start - chrono::TimeDelta::hours(1),
                3,
            ))
            .unwrap();
        amazon
            .add_df_order(orders::df_order(
                &dfn,
                start - chrono::TimeDelta::hours(1),
                2,
            ))
            .unwrap();
        let served = serve_simulators(clock.clone(), amazon.clone(), netsuite.clone());
        assert!(served.base_url().starts_with("http://127.0.0.1:"));

        let http_clock = HttpClock::new(served.base_url());
        assert_eq!(http_clock.now(), start);
        let engine = Engine::new(
            catalogue_settings(false, true),
            http_clients(served.base_url(), "test"),
            Arc::new(MemoryStore::new()),
            Arc::new(HttpClock::new(served.base_url())),
        );
        let rp_id = avc_order_sync::external_id(
            Program::RetailProcurement,
            &PurchaseOrderNumber::new(rp.as_str()).unwrap(),
        );
        let mut approved = false;
        for _ in 0..20 {
            let report = engine.run_cycle().await.unwrap();
            assert!(report.errors.is_empty(), "{report}");
            assert!(report.set_aside.is_empty(), "{report}");
            if !approved && netsuite.snapshot(&rp_id).is_some() {
                netsuite.approve(&rp_id).unwrap();
                approved = true;
            }
            clock.advance(Duration::from_secs(5 * 60));
        }
        assert!(approved);
        assert_eq!(netsuite.record_count(), 2);
        assert_eq!(netsuite.creations(&rp_id), 1);
        assert_eq!(amazon.acknowledgement_count(&rp), 1);
        assert_eq!(amazon.acknowledgement_count(&dfn), 1);
        assert_eq!(
            amazon.retail_state(&rp),
            Some(retail::PurchaseOrderState::Acknowledged)
        );
        assert_eq!(amazon.df_status(&dfn), Some(df::OrderStatus::Accepted));
        let table = engine.status_table().await.unwrap();
        assert!(
            table
                .iter()
                .all(|l| l.status == "Order posted, awaiting shipment"),
            "{table:?}"
        );
        // Sleeping on the served clock moves the test's time.
        let before = clock.now();
        http_clock.sleep(Duration::from_millis(1500)).await;
        assert_eq!(clock.now() - before, chrono::TimeDelta::milliseconds(1500));
        assert!(served.requests()["test"] > 10);
    }
}
