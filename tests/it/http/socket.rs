//! The HTTP clients over a real socket: a local server on 127.0.0.1 answering as the
//! SP-API and NetSuite do, reached through a real HTTP client (`ureq`).
//!
//! [`spawn_local_services`] starts the server and is the hook for the engine-cycle test:
//! it hands back the base URL and ready clients ([`LocalServices::retail_client`],
//! [`LocalServices::direct_fulfillment_client`], [`LocalServices::netsuite_client`]) to
//! wrap in `Arc<dyn …>` and give to the engine. The server stops when the value is
//! dropped, and on its own after [`MAX_REQUESTS`] requests or [`MAX_LIFETIME`].
//!
//! `examples/http_transport.rs` includes this file for its `--local` mode.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::http::sp_api::requires_restricted_data_token;
use avc_order_sync::http::{
    DirectFulfillmentVersion, HttpMethod, HttpRequest, HttpResponse, HttpTransport,
    NetSuiteRestClient, SpApiDirectFulfillmentClient, SpApiRetailClient, TransportError,
};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde_json::{Map, Value, json};

/// The most requests the local server answers before it stops by itself.
pub const MAX_REQUESTS: usize = 10_000;
/// The longest the local server runs before it stops by itself.
pub const MAX_LIFETIME: Duration = Duration::from_secs(120);

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

// ---------------------------------------------------------------------------------
// A real HTTP client transport
// ---------------------------------------------------------------------------------

/// The credentials a [`UreqTransport`] adds.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// SP-API: the access token, and the Restricted Data Token for the requests that
    /// need one.
    Amazon {
        /// The Login with Amazon access token.
        access_token: String,
        /// The Restricted Data Token.
        restricted_data_token: String,
    },
    /// NetSuite with an OAuth 2.0 bearer token.
    NetSuiteBearer(String),
}

/// An [`HttpTransport`] on `ureq`, a blocking client, run off the async thread.
#[derive(Clone)]
pub struct UreqTransport {
    http: ureq::Agent,
    base_url: String,
    credentials: Credentials,
}

impl UreqTransport {
    /// A transport to `base_url` (scheme, host and port) adding `credentials`.
    pub fn new(base_url: &str, credentials: Credentials) -> Self {
        let http: ureq::Agent = ureq::Agent::config_builder()
            // Every status is an answer for the client to classify.
            .http_status_as_error(false)
            // A 2xx `Location` names a record; nothing is followed.
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        UreqTransport {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            credentials,
        }
    }
}

#[async_trait]
impl HttpTransport for UreqTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.send_blocking(request))
            .await
            .map_err(TransportError::other)?
    }
}

impl UreqTransport {
    fn send_blocking(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = format!("{}{}", self.base_url, request.path_and_query());
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        builder = match &self.credentials {
            Credentials::Amazon {
                access_token,
                restricted_data_token,
            } => {
                let token = if requires_restricted_data_token(&request) {
                    restricted_data_token
                } else {
                    access_token
                };
                builder.header("x-amz-access-token", token)
            }
            Credentials::NetSuiteBearer(token) => {
                builder.header("Authorization", format!("Bearer {token}"))
            }
        };
        let result = if request.body.is_empty() {
            self.http
                .run(builder.body(()).map_err(TransportError::other)?)
        } else {
            self.http
                .run(builder.body(request.body).map_err(TransportError::other)?)
        };
        let mut response = result.map_err(|e| match e {
            ureq::Error::Timeout(_) => TransportError::timeout(e),
            ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                TransportError::connection(e)
            }
            other => TransportError::other(other),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(TransportError::other)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

// ---------------------------------------------------------------------------------
// The local services
// ---------------------------------------------------------------------------------

/// One answer given once, in place of the usual one, to the next request with this
/// method whose path starts with `path` and whose query holds `query` when set.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The path prefix.
    pub path: &'static str,
    /// A query parameter the request must carry.
    pub query: Option<&'static str>,
    /// The status to answer.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, &'static str)>,
    /// The body.
    pub body: Value,
}

/// A sales order the local NetSuite holds.
#[derive(Debug, Clone)]
struct Record {
    id: u64,
    value: Map<String, Value>,
    modified: DateTime<Utc>,
}

#[derive(Default)]
struct State {
    base_url: String,
    log: Vec<String>,
    scripted: VecDeque<Scripted>,
    retail_acknowledgements: Vec<Value>,
    df_acknowledgements: Vec<Value>,
    records: Vec<Record>,
    next_id: u64,
    writes: i64,
    transactions: u64,
}

/// The running local server.
pub struct LocalServices {
    base_url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the local SP-API and NetSuite on 127.0.0.1, on a port the system picks.
pub fn spawn_local_services() -> LocalServices {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = server
        .server_addr()
        .to_ip()
        .expect("an IP listener address");
    assert!(addr.ip().is_loopback(), "the server binds loopback only");
    let base_url = format!("http://{addr}");
    let state = Arc::new(Mutex::new(State {
        base_url: base_url.clone(),
        next_id: 1001,
        ..State::default()
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (state, stop) = (state.clone(), stop.clone());
        std::thread::spawn(move || serve(server, state, stop))
    };
    LocalServices {
        base_url,
        state,
        stop,
        thread: Some(thread),
    }
}

impl Drop for LocalServices {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl LocalServices {
    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A transport to the local SP-API with the local tokens.
    pub fn amazon_transport(&self) -> UreqTransport {
        UreqTransport::new(
            &self.base_url,
            Credentials::Amazon {
                access_token: LWA_TOKEN.into(),
                restricted_data_token: RDT_TOKEN.into(),
            },
        )
    }

    /// A transport to the local NetSuite with the local bearer token.
    pub fn netsuite_transport(&self) -> UreqTransport {
        UreqTransport::new(
            &self.base_url,
            Credentials::NetSuiteBearer(NETSUITE_TOKEN.into()),
        )
    }

    /// A Retail Procurement client of the local SP-API.
    pub fn retail_client(&self) -> SpApiRetailClient<UreqTransport> {
        SpApiRetailClient::new(self.amazon_transport())
    }

    /// A Direct Fulfillment client of the local SP-API (both versions are served).
    pub fn direct_fulfillment_client(
        &self,
        version: DirectFulfillmentVersion,
    ) -> SpApiDirectFulfillmentClient<UreqTransport> {
        SpApiDirectFulfillmentClient::new(self.amazon_transport(), version)
    }

    /// A NetSuite client of the local NetSuite, in its user's time zone.
    pub fn netsuite_client(&self) -> NetSuiteRestClient<UreqTransport> {
        NetSuiteRestClient::new(self.netsuite_transport())
            .with_user_utc_offset(netsuite_user_offset())
            .with_external_id_prefix(EXTERNAL_ID_PREFIX)
    }

    /// Answers the next matching request with `answer`, once.
    pub fn script(&self, answer: Scripted) {
        self.state.lock().unwrap().scripted.push_back(answer);
    }

    /// Every request received, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// The retail acknowledgement bodies received.
    pub fn retail_acknowledgements(&self) -> Vec<Value> {
        self.state.lock().unwrap().retail_acknowledgements.clone()
    }

    /// The Direct Fulfillment acknowledgement bodies received.
    pub fn direct_fulfillment_acknowledgements(&self) -> Vec<Value> {
        self.state.lock().unwrap().df_acknowledgements.clone()
    }

    /// The sales orders the local NetSuite holds, as it would return them.
    pub fn sales_orders(&self) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state
            .records
            .iter()
            .map(|r| Value::Object(r.value.clone()))
            .collect()
    }
}

fn serve(server: tiny_http::Server, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    let started = Instant::now();
    let mut served = 0;
    while !stop.load(Ordering::SeqCst) && served < MAX_REQUESTS && started.elapsed() < MAX_LIFETIME
    {
        let mut request = match server.recv_timeout(Duration::from_millis(50)) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(_) => break,
        };
        served += 1;
        let incoming = Incoming::read(&mut request);
        respond(request, handle(&mut state.lock().unwrap(), &incoming));
    }
}

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
    let models = super::sp_api_model::models()?;
    let (status, body) = models.refusal(
        &request.method,
        &request.path,
        &request.query,
        &request.body,
    )?;
    Some(answer(status, &body))
}

// ---------------------------------------------------------------------------------
// What a strict SP-API refuses
// ---------------------------------------------------------------------------------

/// Good request bodies, as Amazon's models write them, and the same with one member
/// the model lacks.
pub fn acknowledgement_bodies(number: &str) -> [(&'static str, Value); 3] {
    let retail = json!({"acknowledgements": [{
        "purchaseOrderNumber": number,
        "sellingParty": {"partyId": "API01"},
        "acknowledgementDate": "2025-03-01T00:00:00Z",
        "items": [{
            "itemSequenceNumber": "1",
            "amazonProductIdentifier": "B07DFVDRAB",
            "orderedQuantity": {"amount": 1, "unitOfMeasure": "Eaches", "unitSize": 1},
            "netCost": {"currencyCode": "USD", "amount": "9.50"},
            "itemAcknowledgements": [{
                "acknowledgementCode": "Accepted",
                "acknowledgedQuantity": {"amount": 1, "unitOfMeasure": "Eaches", "unitSize": 1}
            }]
        }]
    }]});
    let df = json!({"orderAcknowledgements": [{
        "purchaseOrderNumber": number,
        "vendorOrderNumber": "SO-1",
        "acknowledgementDate": "2025-03-01T00:00:00Z",
        "acknowledgementStatus": {"code": "00", "description": "Shipping 100 percent of ordered product"},
        "sellingParty": {"partyId": "API01"},
        "shipFromParty": {"partyId": "ABCD"},
        "itemAcknowledgements": [{
            "itemSequenceNumber": "00001",
            "buyerProductIdentifier": "B07DFVDRAB",
            "acknowledgedQuantity": {"amount": 1, "unitOfMeasure": "Each"}
        }]
    }]});
    [
        ("/vendor/orders/v1/acknowledgements", retail),
        (
            "/vendor/directFulfillment/orders/v1/acknowledgements",
            df.clone(),
        ),
        (
            "/vendor/directFulfillment/orders/2021-12-28/acknowledgements",
            df,
        ),
    ]
}

/// Sends one request to a local SP-API with the tokens it expects: the status and
/// the JSON body (`null` for none).
pub async fn sp_api_request(
    base_url: &str,
    method: HttpMethod,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let transport = UreqTransport::new(
        base_url,
        Credentials::Amazon {
            access_token: LWA_TOKEN.into(),
            restricted_data_token: RDT_TOKEN.into(),
        },
    );
    let request = HttpRequest {
        method,
        path: path.to_owned(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
    };
    let response = transport
        .send(request)
        .await
        .expect("the local SP-API answers");
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, body)
}

/// Checks that a local SP-API refuses, as SP-API does, an unknown query parameter
/// and an unknown body member in each acknowledgement POST, with SP-API's error body;
/// and that the same requests without them pass that check.
pub async fn assert_refuses_what_sp_api_refuses(base_url: &str, number: &str) {
    let refused = |(status, body): (u16, Value), what: &str, at: &str| {
        assert_eq!(status, 400, "{what}: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["code"], "InvalidInput", "{what}: {body}");
        assert!(error["message"].is_string(), "{what}: {body}");
        assert_eq!(error["details"], at, "{what}: {body}");
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{what}: {body}");
        assert_eq!(
            body["errors"].as_array().map(Vec::len),
            Some(1),
            "{what}: {body}"
        );
    };
    let window = [
        ("createdAfter", "2025-02-27T00:00:00Z"),
        ("createdBefore", "2025-03-01T00:00:00Z"),
        ("includeDetails", "true"),
    ];
    for path in [
        "/vendor/orders/v1/purchaseOrders",
        "/vendor/directFulfillment/orders/v1/purchaseOrders",
        "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders",
    ] {
        let (status, body) = sp_api_request(base_url, HttpMethod::Get, path, &window, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        let mut extra = window.to_vec();
        extra.push(("createdSince", "2025-02-27T00:00:00Z"));
        refused(
            sp_api_request(base_url, HttpMethod::Get, path, &extra, None).await,
            path,
            "createdSince",
        );
    }
    let (status, _) = sp_api_request(
        base_url,
        HttpMethod::Get,
        "/vendor/orders/v1/purchaseOrdersStatus",
        &[("purchaseOrderNumber", number), ("shipFromPartyId", "ABCD")],
        None,
    )
    .await;
    assert_eq!(
        status, 400,
        "shipFromPartyId is not a status report parameter"
    );
    for (path, good) in acknowledgement_bodies(number) {
        let (status, body) =
            sp_api_request(base_url, HttpMethod::Post, path, &[], Some(&good)).await;
        assert_eq!(status, 202, "{path}: {body}");
        let mut bad = good.clone();
        let (first, at) = match bad.get_mut("acknowledgements") {
            Some(acks) => (
                &mut acks[0]["items"][0],
                "acknowledgements[0].items[0].note",
            ),
            None => (
                &mut bad["orderAcknowledgements"][0]["itemAcknowledgements"][0],
                "orderAcknowledgements[0].itemAcknowledgements[0].note",
            ),
        };
        first["note"] = json!("not in the model");
        refused(
            sp_api_request(base_url, HttpMethod::Post, path, &[], Some(&bad)).await,
            path,
            at,
        );
    }
}

/// A NetSuite REST error answer.
pub fn netsuite_error(status: u16, code: &str, detail: &str, path: Option<&str>) -> Answer {
    let mut entry = json!({"detail": detail, "o:errorCode": code});
    if let Some(path) = path {
        entry["o:errorPath"] = json!(path);
    }
    netsuite_errors(status, vec![entry])
}

fn handle(state: &mut State, request: &Incoming) -> Answer {
    let query_text: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    state.log.push(format!(
        "{} {}{}{}",
        request.method,
        request.path,
        if query_text.is_empty() { "" } else { "?" },
        query_text.join("&")
    ));
    if request.path.starts_with("/vendor/") {
        if let Some(refusal) = sp_api_refusal(request) {
            return refusal;
        }
    }
    if let Some(index) = state.scripted.iter().position(|s| {
        s.method == request.method
            && request.path.starts_with(s.path)
            && s.query.is_none_or(|q| request.query(q).is_some())
    }) {
        let scripted = state.scripted.remove(index).expect("present");
        let mut reply = answer(scripted.status, &scripted.body);
        reply.1.extend(
            scripted
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        return reply;
    }
    if request.path.starts_with("/vendor/") {
        amazon(state, request)
    } else if request.path.starts_with("/services/rest/") {
        netsuite(state, request)
    } else {
        amazon_error(404, "NotFound", "Cannot find resource by the given URI")
    }
}

// ---------------------------------------------------------------------------------
// The local SP-API
// ---------------------------------------------------------------------------------

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

/// The token of the local retail list's second page.
pub const RETAIL_PAGE_TWO: &str = "MDAwMDAwMDAwMQ==";

fn amazon(state: &mut State, request: &Incoming) -> Answer {
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
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["vendor", "orders", "v1", "purchaseOrders"]) => {
            // Both bounds and details on every page, the same filters with the token.
            let window = request.query("createdAfter").is_some()
                && request.query("createdBefore").is_some()
                && request.query("includeDetails") == Some("true");
            if !window {
                return amazon_error(400, "InvalidInput", "Could not match input arguments");
            }
            match request.query("nextToken") {
                None => answer(
                    200,
                    &json!({"payload": {"pagination": {"nextToken": RETAIL_PAGE_TWO},
                        "orders": [retail_order("2JK3S9VC", "API01", "2025-02-27T15:51:00Z")]}}),
                ),
                Some(RETAIL_PAGE_TWO) => answer(
                    200,
                    &json!({"payload": {"orders": [
                        retail_order("3TRD2IAB", "API01", "2025-02-28T09:10:00Z")]}}),
                ),
                Some(_) => amazon_error(400, "InvalidInput", "Invalid Input"),
            }
        }
        ("GET", ["vendor", "orders", "v1", "purchaseOrders", number]) => match *number {
            "2JK3S9VC" | "3TRD2IAB" => answer(
                200,
                &json!({"payload": retail_order(number, "API01", "2025-02-27T15:51:00Z")}),
            ),
            _ => amazon_error(404, "NotFound", "Cannot find resource by the given URI"),
        },
        ("POST", ["vendor", "orders", "v1", "acknowledgements"]) => {
            let body = request.json().unwrap_or(Value::Null);
            if serde_json::from_value::<retail::SubmitAcknowledgementRequest>(body.clone()).is_err()
            {
                return amazon_error(400, "InvalidInput", "The content is not valid.");
            }
            state.retail_acknowledgements.push(body);
            state.transactions += 1;
            answer(
                202,
                &json!({"payload": {"transactionId": format!("local-tx-{}", state.transactions)}}),
            )
        }
        ("GET", ["vendor", "transactions", "v1", "transactions", id]) => answer(
            200,
            &json!({"payload": {"transactionStatus": {"transactionId": id, "status": "Processing"}}}),
        ),
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
            if request.query("createdAfter").is_none() || request.query("createdBefore").is_none() {
                return amazon_error(400, "InvalidInput", "Could not match input arguments");
            }
            let list = json!({"orders": [df_order("2JK3S9VC")]});
            match *version {
                "v1" => answer(200, &json!({"payload": list})),
                _ => answer(200, &list),
            }
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
            let body = request.json().unwrap_or(Value::Null);
            if serde_json::from_value::<df::SubmitAcknowledgementRequest>(body.clone()).is_err() {
                return amazon_error(400, "InvalidInput", "The content is not valid.");
            }
            state.df_acknowledgements.push(body);
            state.transactions += 1;
            let id = format!("local-tx-{}", state.transactions);
            match *version {
                "v1" => answer(202, &json!({"payload": {"transactionId": id}})),
                _ => answer(202, &json!({"transactionId": id})),
            }
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
            let status = json!({"transactionStatus": {"transactionId": id, "status": "Success"}});
            match *version {
                "v1" => answer(200, &json!({"payload": status})),
                _ => answer(200, &status),
            }
        }
        _ => amazon_error(404, "NotFound", "Cannot find resource by the given URI"),
    }
}

// ---------------------------------------------------------------------------------
// The local NetSuite
// ---------------------------------------------------------------------------------

const RECORDS: &str = "/services/rest/record/v1/salesOrder";

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

fn status_name(letter: &str) -> &'static str {
    match letter {
        "A" => "Pending Approval",
        "B" => "Pending Fulfillment",
        "H" => "Closed",
        _ => "Unknown",
    }
}

fn netsuite(state: &mut State, request: &Incoming) -> Answer {
    if request.header("Authorization") != Some(&format!("Bearer {NETSUITE_TOKEN}")) {
        return netsuite_error(401, "INVALID_LOGIN", "Invalid login attempt.", None);
    }
    if request.path == "/services/rest/query/v1/suiteql" && request.method == "POST" {
        return suiteql(state, request);
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
            "This test NetSuite wants X-NetSuite-PropertyNameValidation: Error.",
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
    let key = rest.strip_prefix('/');
    let index = key.and_then(|key| match key.strip_prefix("eid:") {
        Some(eid) => state
            .records
            .iter()
            .position(|r| r.value.get("externalId").and_then(Value::as_str) == Some(eid)),
        None => state.records.iter().position(|r| r.id.to_string() == key),
    });
    match (request.method.as_str(), key, index) {
        ("GET", Some(_), Some(index)) => {
            let mut record = state.records[index].value.clone();
            if request.query("expandSubResources") != Some("true") {
                record.insert("item".into(), json!({"links": []}));
            }
            answer(200, &Value::Object(record))
        }
        ("POST", None, _) => {
            let Some(Value::Object(body)) = request.json() else {
                return netsuite_error(400, "INVALID_CONTENT", "The body is not a record.", None);
            };
            let external_id = body.get("externalId").and_then(Value::as_str);
            if external_id.is_some_and(|eid| {
                state
                    .records
                    .iter()
                    .any(|r| r.value.get("externalId").and_then(Value::as_str) == Some(eid))
            }) {
                return netsuite_error(
                    400,
                    "USER_ERROR",
                    "A sales order with this external ID already exists.",
                    Some("externalId"),
                );
            }
            create(state, body)
        }
        ("PUT", Some(key), None) if key.starts_with("eid:") => {
            let Some(Value::Object(mut body)) = request.json() else {
                return netsuite_error(400, "INVALID_CONTENT", "The body is not a record.", None);
            };
            body.insert("externalId".into(), json!(&key[4..]));
            create(state, body)
        }
        ("PATCH" | "PUT", Some(_), Some(index)) => {
            let Some(Value::Object(body)) = request.json() else {
                return netsuite_error(400, "INVALID_CONTENT", "The body is not a record.", None);
            };
            patch(state, index, body)
        }
        (_, Some(key), None) => netsuite_error(
            404,
            "NONEXISTENT_ID",
            &format!("The record instance {key} does not exist."),
            None,
        ),
        _ => netsuite_error(400, "INVALID_REQUEST", "Unsupported request.", None),
    }
}

fn tick(state: &mut State) -> DateTime<Utc> {
    state.writes += 1;
    "2025-03-01T00:00:00Z"
        .parse::<DateTime<Utc>>()
        .expect("a date")
        + chrono::Duration::minutes(state.writes)
}

fn create(state: &mut State, mut body: Map<String, Value>) -> Answer {
    let id = state.next_id;
    state.next_id += 1;
    let modified = tick(state);
    let letter = body
        .get("orderStatus")
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        .unwrap_or("A")
        .to_owned();
    body.insert("id".into(), json!(id.to_string()));
    body.insert("tranId".into(), json!(format!("SO{id}")));
    body.insert(
        "status".into(),
        json!({"id": letter, "refName": status_name(&letter)}),
    );
    body.insert(
        "lastModifiedDate".into(),
        json!(modified.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    if let Some(items) = body
        .get_mut("item")
        .and_then(|i| i.get_mut("items"))
        .and_then(Value::as_array_mut)
    {
        for (n, line) in items.iter_mut().enumerate() {
            line["line"] = json!(n + 1);
            if line.get("isClosed").is_none() {
                line["isClosed"] = json!(false);
            }
        }
    }
    state.records.push(Record {
        id,
        value: body,
        modified,
    });
    let location = format!("{}{RECORDS}/{id}", state.base_url);
    let mut reply = answer(204, &Value::Null);
    reply.1.push(("Location".into(), location));
    reply
}

fn patch(state: &mut State, index: usize, body: Map<String, Value>) -> Answer {
    let modified = tick(state);
    let base_url = state.base_url.clone();
    let record = &mut state.records[index];
    for (name, value) in body {
        if name == "item" {
            let lines = record
                .value
                .entry("item")
                .or_insert_with(|| json!({"items": []}));
            let items = lines["items"].as_array_mut().expect("items");
            for change in value["items"].as_array().cloned().unwrap_or_default() {
                match change.get("line").and_then(Value::as_u64) {
                    Some(key) => {
                        let Some(line) = items.iter_mut().find(|l| l["line"] == json!(key)) else {
                            return netsuite_error(
                                400,
                                "INVALID_CONTENT",
                                "No such line.",
                                Some("item.items.line"),
                            );
                        };
                        for (field, v) in change.as_object().cloned().unwrap_or_default() {
                            line[field] = v;
                        }
                    }
                    None => {
                        let next = items
                            .iter()
                            .filter_map(|l| l["line"].as_u64())
                            .max()
                            .unwrap_or(0)
                            + 1;
                        let mut line = change.clone();
                        line["line"] = json!(next);
                        if line.get("isClosed").is_none() {
                            line["isClosed"] = json!(false);
                        }
                        items.push(line);
                    }
                }
            }
        } else {
            if name == "orderStatus" {
                let letter = value["id"].as_str().unwrap_or("A").to_owned();
                record.value.insert(
                    "status".into(),
                    json!({"id": letter, "refName": status_name(&letter)}),
                );
            }
            record.value.insert(name, value);
        }
    }
    let all_closed = record.value["item"]["items"]
        .as_array()
        .is_some_and(|items| {
            !items.is_empty() && items.iter().all(|l| l["isClosed"] == json!(true))
        });
    if all_closed {
        record
            .value
            .insert("status".into(), json!({"id": "H", "refName": "Closed"}));
    }
    record.modified = modified;
    record.value.insert(
        "lastModifiedDate".into(),
        json!(modified.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    let location = format!("{base_url}{RECORDS}/{}", record.id);
    let mut reply = answer(204, &Value::Null);
    reply.1.push(("Location".into(), location));
    reply
}

fn suiteql(state: &mut State, request: &Incoming) -> Answer {
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
    let prefix = literals.prefix.as_str();
    let since = literals.since.format("%Y-%m-%d %H:%M:%S").to_string();
    let limit: usize = request
        .query("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(1000);
    let offset: usize = request
        .query("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let offset_hours = netsuite_user_offset();
    let mut rows: Vec<(String, u64, Value)> = state
        .records
        .iter()
        .filter(|r| {
            r.value
                .get("externalId")
                .and_then(Value::as_str)
                .is_some_and(|e| e.starts_with(prefix))
        })
        .map(|r| {
            let local = r
                .modified
                .with_timezone(&offset_hours)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            let row = json!({
                "links": [],
                "id": r.id.to_string(),
                "tranid": r.value["tranId"],
                "externalid": r.value["externalId"],
                "otherrefnum": r.value["otherRefNum"],
                "status": r.value["status"]["id"],
                "lastmodifieddate": local,
            });
            (local, r.id, row)
        })
        .filter(|(local, _, _)| *local >= since)
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let total = rows.len();
    let page: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|r| r.2)
        .collect();
    let has_more = offset + page.len() < total;
    answer(
        200,
        &json!({"links": [], "count": page.len(), "hasMore": has_more, "offset": offset,
                "totalResults": total, "items": page}),
    )
}

/// Sends one request to a local NetSuite at `base_url` as a hand-written client
/// would, with the headers the library sends (bearer token, `Prefer: transient`,
/// `X-NetSuite-PropertyNameValidation: Error`): the status and the JSON body
/// (`null` when empty).
pub fn netsuite_raw(
    base_url: &str,
    method: &str,
    path_and_query: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base_url}{path_and_query}"))
        .header("Authorization", format!("Bearer {NETSUITE_TOKEN}"))
        .header("Prefer", "transient")
        .header("X-NetSuite-PropertyNameValidation", "Error")
        .header("content-type", "application/json")
        .body(body.map(Value::to_string).unwrap_or_default())
        .expect("a request");
    let mut response = http.run(request).expect("the local NetSuite answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts `answer` is NetSuite's refusal: 400, `Bad Request`, one detail with this
/// `o:errorCode` and this member (`o:errorPath` or `o:errorQueryParam`) naming what
/// was refused.
pub fn assert_netsuite_refusal(answer: &(u16, Value), code: &str, member: &str, value: &str) {
    let (status, body) = answer;
    assert_eq!(*status, 400, "{body}");
    assert_eq!(body["status"], json!(400), "{body}");
    assert_eq!(body["title"], json!("Bad Request"), "{body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "{body}"
    );
    let details = body["o:errorDetails"].as_array().expect("o:errorDetails");
    assert_eq!(details.len(), 1, "{body}");
    assert_eq!(details[0]["o:errorCode"], json!(code), "{body}");
    assert_eq!(details[0][member], json!(value), "{body}");
    assert!(
        details[0]["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

// ---------------------------------------------------------------------------------
// The tests: the clients driven directly over the socket
// ---------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use avc_order_sync::{
        AcknowledgementCode, ClientError, DirectFulfillmentOrdersApi, ErrorKind, LineChange,
        LineDecision, NetSuiteApi, NetSuiteStatus, OrderQuery, Page, QuantityUnit,
        RetailAcknowledgement, RetailAcknowledgementLine, RetailOrdersApi, SalesOrderChanges,
        SalesOrderDraft, SalesOrderLineDraft, SalesOrderStatus, TransactionOutcome, WindowKind,
    };

    /// Calls `f` until it is not rate limited, waiting what the service asked, at most
    /// five times: what the engine does with a rate-limited answer.
    async fn with_retry<T, F, Fut>(mut f: F) -> (Result<T, ClientError>, u32)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let mut rate_limited = 0;
        loop {
            match f().await {
                Err(ClientError {
                    kind: ErrorKind::RateLimited { retry_after },
                    ..
                }) if rate_limited < 5 => {
                    rate_limited += 1;
                    let wait = retry_after.unwrap_or(Duration::from_millis(10));
                    std::thread::sleep(wait.min(Duration::from_secs(1)));
                }
                other => return (other, rate_limited),
            }
        }
    }

    fn draft(external_id: &str, po: &str) -> SalesOrderDraft {
        let line = |item: &str, quantity, rate: &str, sequence: &str| SalesOrderLineDraft {
            item: item.parse().unwrap(),
            quantity,
            rate: rate.parse().unwrap(),
            sequence: sequence.parse().unwrap(),
            description: None,
            is_closed: false,
            custom_fields: Default::default(),
        };
        SalesOrderDraft {
            external_id: external_id.parse().unwrap(),
            customer: "1234".parse().unwrap(),
            subsidiary: None,
            location: None,
            custom_form: None,
            currency: None,
            tran_date: "2025-03-01".parse().unwrap(),
            ship_date: None,
            other_ref_num: po.parse().unwrap(),
            memo: None,
            status: SalesOrderStatus::PendingApproval,
            shipping_address: None,
            lines: vec![line("98", 10, "346.27", "1"), line("99", 12, "2.6033", "2")],
            custom_fields: Default::default(),
        }
    }

    #[tokio::test]
    async fn socket_retail_orders_across_pages_then_acknowledged() {
        let services = spawn_local_services();
        assert!(services.base_url().starts_with("http://127.0.0.1:"));
        let client = services.retail_client();
        // Amazon's rate limit answers the second page once.
        services.script(Scripted {
            method: "GET",
            path: "/vendor/orders/v1/purchaseOrders",
            query: Some("nextToken"),
            status: 429,
            headers: vec![("x-amzn-RateLimit-Limit", "10.0")],
            body: json!({"errors": [{"code": "QuotaExceeded",
                "message": "You exceeded your quota for the requested resource."}]}),
        });

        let mut query = OrderQuery {
            kind: WindowKind::Created,
            after: "2025-02-27T00:00:00Z".parse().unwrap(),
            before: "2025-03-01T00:00:00Z".parse().unwrap(),
            limit: 1,
            next_token: None,
        };
        let mut orders = Vec::new();
        let mut waits = 0;
        for _ in 0..10 {
            let (page, rate_limited): (Result<Page<retail::Order>, _>, _) =
                with_retry(|| client.purchase_orders(&query)).await;
            waits += rate_limited;
            let page = page.unwrap();
            assert!(page.malformed.is_empty());
            orders.extend(page.orders);
            match page.next_token {
                Some(token) => query.next_token = Some(token),
                None => break,
            }
        }
        assert_eq!(waits, 1, "one 429, answered by waiting and asking again");
        let numbers: Vec<_> = orders
            .iter()
            .filter_map(|o| o.purchase_order_number.as_deref())
            .collect();
        assert_eq!(numbers, ["2JK3S9VC", "3TRD2IAB"]);
        let requests = services.requests();
        let second_pages: Vec<_> = requests
            .iter()
            .filter(|r| r.contains("nextToken"))
            .collect();
        assert_eq!(second_pages.len(), 2, "{requests:?}");
        for request in second_pages {
            // The filters go again with the token.
            assert!(
                request.contains("createdAfter=2025-02-27T00:00:00Z"),
                "{request}"
            );
            assert!(
                request.contains("createdBefore=2025-03-01T00:00:00Z"),
                "{request}"
            );
            assert!(request.contains("includeDetails=true"), "{request}");
        }
        let purchase_orders: Vec<_> = orders
            .iter()
            .map(|o| o.to_purchase_order().expect("a valid order"))
            .collect();

        // Acknowledge the first PO: accept line 1, back-order line 2.
        let po = &purchase_orders[0];
        let ack = RetailAcknowledgement {
            purchase_order_number: po.number.clone(),
            selling_party: "API01".parse().unwrap(),
            acknowledged_at: "2025-03-01T12:00:00Z".parse().unwrap(),
            lines: po
                .lines
                .iter()
                .map(|line| RetailAcknowledgementLine {
                    sequence: line.sequence.clone(),
                    asin: line.asin.clone(),
                    vendor_sku: line.vendor_sku.clone(),
                    ordered: line.ordered,
                    net_cost: line.net_cost,
                    list_price: None,
                    discount_multiplier: None,
                    decisions: vec![LineDecision {
                        code: if line.ordered.unit == QuantityUnit::Cases {
                            AcknowledgementCode::Backordered
                        } else {
                            AcknowledgementCode::Accepted
                        },
                        quantity: line.ordered,
                        scheduled_ship_date: None,
                        scheduled_delivery_date: None,
                        rejection_reason: None,
                    }],
                })
                .collect(),
        };
        let id = client
            .submit_acknowledgements(std::slice::from_ref(&ack))
            .await
            .unwrap();
        assert_eq!(id.as_str(), "local-tx-1");
        let posted = services.retail_acknowledgements();
        assert_eq!(
            posted,
            [
                serde_json::to_value(retail::SubmitAcknowledgementRequest::from_domain(&[ack]))
                    .unwrap()
            ]
        );
        assert_eq!(
            client.transaction_status(&id).await.unwrap(),
            TransactionOutcome::Processing
        );
        let missing = client
            .purchase_order(&"NOPE0001".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(missing.kind, ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn socket_direct_fulfillment_in_both_versions() {
        let services = spawn_local_services();
        for version in [
            DirectFulfillmentVersion::V1,
            DirectFulfillmentVersion::V2021_12_28,
        ] {
            let client = services.direct_fulfillment_client(version);
            let query = OrderQuery {
                kind: WindowKind::Created,
                after: "2025-02-27T00:00:00Z".parse().unwrap(),
                before: "2025-03-01T00:00:00Z".parse().unwrap(),
                limit: 10,
                next_token: None,
            };
            // The order reads need the Restricted Data Token, which the transport adds.
            let page = client.orders(&query).await.unwrap();
            assert_eq!(page.orders.len(), 1, "{version}");
            let po = page.orders[0].to_purchase_order().expect("a valid order");
            let ack = avc_order_sync::DirectFulfillmentAcknowledgement {
                purchase_order_number: po.number.clone(),
                vendor_order_number: "SO1001".into(),
                acknowledged_at: "2025-03-01T12:00:00Z".parse().unwrap(),
                status_code: "00".into(),
                status_description: "Shipping 100 percent of ordered product".into(),
                selling_party: "999US".parse().unwrap(),
                ship_from: "ABCD".parse().unwrap(),
                lines: po
                    .lines
                    .iter()
                    .map(|l| avc_order_sync::DirectFulfillmentAcknowledgementLine {
                        sequence: l.sequence.clone(),
                        asin: l.asin.clone(),
                        vendor_sku: l.vendor_sku.clone(),
                        quantity: l.ordered.amount,
                    })
                    .collect(),
            };
            let id = client.submit_acknowledgements(&[ack]).await.unwrap();
            assert_eq!(
                client.transaction_status(&id).await.unwrap(),
                TransactionOutcome::Success
            );
        }
        assert_eq!(services.direct_fulfillment_acknowledgements().len(), 2);

        // A transport that sends the plain token where the RDT is needed gets 403.
        let wrong = SpApiDirectFulfillmentClient::new(
            UreqTransport::new(
                services.base_url(),
                Credentials::Amazon {
                    access_token: LWA_TOKEN.into(),
                    restricted_data_token: LWA_TOKEN.into(),
                },
            ),
            DirectFulfillmentVersion::V1,
        );
        let err = wrong.order(&"2JK3S9VC".parse().unwrap()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unauthorized);
    }

    #[tokio::test]
    async fn socket_netsuite_sales_orders_created_read_updated_and_listed() {
        let services = spawn_local_services();
        let client = services.netsuite_client().with_suiteql_page_size(1);
        services.script(Scripted {
            method: "POST",
            path: RECORDS,
            query: None,
            status: 429,
            headers: vec![],
            body: json!({"status": 429, "o:errorCode": "USER_ERROR", "o:errorDetails": [{
                "detail": "Concurrent request limit exceeded. Request blocked.",
                "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}]}),
        });

        let first = draft("AVC-RP-2JK3S9VC", "2JK3S9VC");
        let (id, rate_limited) = with_retry(|| client.upsert_sales_order(&first)).await;
        assert_eq!(rate_limited, 1);
        assert_eq!(id.unwrap().as_str(), "1001", "the id from `Location`");
        // Again, as after a lost answer: the same order, no second one.
        assert_eq!(
            client.upsert_sales_order(&first).await.unwrap().as_str(),
            "1001"
        );
        let second = draft("AVC-RP-3TRD2IAB", "3TRD2IAB");
        assert_eq!(
            client.upsert_sales_order(&second).await.unwrap().as_str(),
            "1002"
        );
        assert_eq!(services.sales_orders().len(), 2);
        let posts = services
            .requests()
            .iter()
            .filter(|r| r.starts_with("POST /services/rest/record"))
            .count();
        assert_eq!(posts, 3, "one refused for concurrency, two creates");

        let snapshot = client
            .sales_order(&first.external_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(snapshot.internal_id.as_str(), "1001");
        assert_eq!(snapshot.status, NetSuiteStatus::PendingApproval);
        assert_eq!(snapshot.lines.len(), 2);
        assert_eq!(snapshot.lines[1].rate.to_string(), "2.6033");
        assert_eq!(
            client
                .sales_order(&"AVC-RP-NOPE".parse().unwrap())
                .await
                .unwrap(),
            None
        );

        // The reviewer's decision arrives as changes: approve, move the ship date, put
        // another item on line 2 and lower it, add a line.
        let update = SalesOrderChanges {
            status: Some(SalesOrderStatus::PendingFulfillment),
            ship_date: "2025-03-12".parse().ok(),
            lines: vec![
                LineChange::Set {
                    sequence: "2".parse().unwrap(),
                    item: Some("101".parse().unwrap()),
                    quantity: Some(6),
                    rate: None,
                },
                LineChange::Add {
                    line: Box::new(SalesOrderLineDraft {
                        item: "100".parse().unwrap(),
                        quantity: 1,
                        rate: "5".parse().unwrap(),
                        sequence: "3".parse().unwrap(),
                        description: None,
                        is_closed: false,
                        custom_fields: Default::default(),
                    }),
                },
            ],
        };
        client
            .update_sales_order(&first.external_id, &update)
            .await
            .unwrap();
        let snapshot = client
            .sales_order(&first.external_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(snapshot.status, NetSuiteStatus::PendingFulfillment);
        assert_eq!(snapshot.ship_date, "2025-03-12".parse().ok());
        let quantities: Vec<_> = snapshot.lines.iter().map(|l| l.quantity).collect();
        assert_eq!(quantities, [10, 6, 1]);
        let items: Vec<_> = snapshot.lines.iter().map(|l| l.item.as_str()).collect();
        assert_eq!(items, ["98", "101", "100"]);
        assert_eq!(
            snapshot.lines[2].sequence.as_ref().map(|s| s.as_str()),
            Some("3")
        );
        let err = client
            .update_sales_order(&"AVC-RP-NOPE".parse().unwrap(), &update)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);

        client.close_sales_order(&second.external_id).await.unwrap();
        let closed = client
            .sales_order(&second.external_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(closed.status, NetSuiteStatus::Closed);

        // Both changed since the start, read one row per page, in UTC.
        let since = "2025-03-01T00:00:00Z".parse().unwrap();
        let changes = client.changed_sales_orders(since).await.unwrap();
        let seen: Vec<_> = changes
            .iter()
            .map(|c| (c.external_id.as_str(), c.status.clone()))
            .collect();
        assert_eq!(
            seen,
            [
                ("AVC-RP-2JK3S9VC", NetSuiteStatus::PendingFulfillment),
                ("AVC-RP-3TRD2IAB", NetSuiteStatus::Closed),
            ]
        );
        for change in &changes {
            let record = services
                .sales_orders()
                .into_iter()
                .find(|r| r["externalId"] == json!(change.external_id.as_str()))
                .unwrap();
            assert_eq!(
                change
                    .last_modified
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                record["lastModifiedDate"].as_str().unwrap()
            );
        }
        let suiteql = services
            .requests()
            .iter()
            .filter(|r| r.starts_with("POST /services/rest/query/v1/suiteql"))
            .count();
        assert_eq!(suiteql, 2, "one page per row, until `hasMore` is false");
        let later = client
            .changed_sales_orders(changes[1].last_modified)
            .await
            .unwrap();
        assert_eq!(later.len(), 1);
    }

    #[tokio::test]
    async fn socket_a_create_sent_again_with_a_newer_draft_changes_the_one_order() {
        let services = spawn_local_services();
        let client = services.netsuite_client();
        let first = draft("AVC-RP-5LXQ8M2D", "5LXQ8M2D");
        // The create goes through, and its answer is lost: the caller never sees the id.
        let _lost = client.upsert_sales_order(&first).await.unwrap();
        assert_eq!(services.sales_orders().len(), 1);

        // Amazon lowers line 2 and moves the ship date meanwhile; the create is sent
        // again with the newer draft.
        let mut newer = first.clone();
        newer.lines[1].quantity = 7;
        newer.ship_date = "2025-03-12".parse().ok();
        let id = client.upsert_sales_order(&newer).await.unwrap();
        assert_eq!(id.as_str(), "1001");
        let order = client
            .sales_order(&newer.external_id)
            .await
            .unwrap()
            .unwrap();
        let quantities: Vec<_> = order.lines.iter().map(|l| l.quantity).collect();
        assert_eq!(quantities, [10, 7]);
        assert_eq!(order.ship_date, newer.ship_date);

        // Once more, as if that answer was lost too, through NetSuite refusing a second
        // create (a read that missed the order): still the one order, brought to the
        // draft again.
        services.script(Scripted {
            method: "GET",
            path: RECORDS,
            query: None,
            status: 404,
            headers: vec![],
            body: json!({"status": 404, "o:errorDetails": [{
                "detail": "The record instance does not exist.",
                "o:errorCode": "NONEXISTENT_ID"}]}),
        });
        let mut newest = newer.clone();
        newest.lines[1].quantity = 5;
        let id = client.upsert_sales_order(&newest).await.unwrap();
        assert_eq!(id.as_str(), "1001");
        let order = client
            .sales_order(&newest.external_id)
            .await
            .unwrap()
            .unwrap();
        let quantities: Vec<_> = order.lines.iter().map(|l| l.quantity).collect();
        assert_eq!(quantities, [10, 5]);

        // Sent again with the draft NetSuite holds: read, and nothing written.
        client.upsert_sales_order(&newest).await.unwrap();

        assert_eq!(services.sales_orders().len(), 1);
        let writes: Vec<_> = services
            .requests()
            .into_iter()
            .filter(|r| !r.starts_with("GET "))
            .map(|r| r.split('?').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            writes,
            [
                "POST /services/rest/record/v1/salesOrder",
                "PATCH /services/rest/record/v1/salesOrder/eid:AVC-RP-5LXQ8M2D",
                "POST /services/rest/record/v1/salesOrder",
                "PATCH /services/rest/record/v1/salesOrder/eid:AVC-RP-5LXQ8M2D",
            ],
            "two creates, one refused as a duplicate, and a patch for each newer draft"
        );
    }

    /// The local NetSuite refuses what NetSuite refuses: a SuiteQL body with a
    /// member besides `q` or a `?` in it, an unknown query parameter, a misspelt
    /// field on a sales order; and its SuiteQL reads the literals written in `q`.
    #[tokio::test]
    async fn socket_netsuite_refuses_what_netsuite_refuses() {
        let services = spawn_local_services();
        let client = services.netsuite_client();
        client
            .upsert_sales_order(&draft("AVC-RP-4Z32PABC", "4Z32PABC"))
            .await
            .unwrap();
        client
            .upsert_sales_order(&draft("OTHER-4Z32PABD", "4Z32PABD"))
            .await
            .unwrap();
        let base = services.base_url().to_owned();
        let suiteql = |path: &str, body: Value| {
            let base = base.clone();
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || netsuite_raw(&base, "POST", &path, Some(&body)))
        };
        let query = |pattern: &str, since: &str| {
            format!(
                "SELECT t.id, t.externalid, t.status FROM transaction t \
                 WHERE t.type = 'SalesOrd' AND t.externalid LIKE '{pattern}' \
                 AND t.lastmodifieddate >= TO_TIMESTAMP('{since}', 'YYYY-MM-DD HH24:MI:SS') \
                 ORDER BY t.lastmodifieddate, t.id"
            )
        };
        let path = "/services/rest/query/v1/suiteql?limit=10&offset=0";

        // The literals are read from `q`: the prefix and the watermark both filter.
        let (status, page) = suiteql(path, json!({"q": query("AVC-%", "2000-01-01 00:00:00")}))
            .await
            .unwrap();
        assert_eq!(status, 200, "{page}");
        let ids: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["externalid"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["AVC-RP-4Z32PABC"]);
        let (status, page) = suiteql(path, json!({"q": query("AVC-%", "2100-01-01 00:00:00")}))
            .await
            .unwrap();
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["items"], json!([]));

        // Bound parameters do not exist over REST.
        let refused = suiteql(
            path,
            json!({"q": query("AVC-%", "2000-01-01 00:00:00"), "params": []}),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "params");
        let placeholders = "SELECT t.id FROM transaction t WHERE t.externalid LIKE ? \
                            AND t.lastmodifieddate >= TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS')";
        let refused = suiteql(
            path,
            json!({"q": placeholders, "params": ["AVC-%", "2000-01-01 00:00:00"]}),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "params");
        let refused = suiteql(path, json!({"q": placeholders})).await.unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "q");
        // A `?` inside a literal is text, not a placeholder.
        let (status, page) = suiteql(path, json!({"q": query("AVC?%", "2000-01-01 00:00:00")}))
            .await
            .unwrap();
        assert_eq!((status, page["items"].clone()), (200, json!([])), "{page}");
        let refused = suiteql(
            "/services/rest/query/v1/suiteql?limit=10&ofset=0",
            json!({"q": query("AVC-%", "2000-01-01 00:00:00")}),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "ofset");

        // A misspelt field on a create, on a line, on an update; an unknown query
        // parameter on a read.
        let record = |method: &'static str, path: String, body: Option<Value>| {
            let base = base.clone();
            tokio::task::spawn_blocking(move || netsuite_raw(&base, method, &path, body.as_ref()))
        };
        let create = json!({"externalId": "AVC-RP-4Z32PABE", "entity": {"id": "1234"},
            "tranDate": "2025-03-01", "otherRefNumber": "4Z32PABE",
            "item": {"items": [{"item": {"id": "98"}, "quantity": 1, "rate": 2.5}]}});
        let refused = record("POST", RECORDS.to_owned(), Some(create.clone()))
            .await
            .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "otherRefNumber");
        let mut misspelt_line = create.clone();
        misspelt_line
            .as_object_mut()
            .unwrap()
            .remove("otherRefNumber");
        misspelt_line["item"]["items"][0]["quantiy"] = json!(1);
        let refused = record("POST", RECORDS.to_owned(), Some(misspelt_line))
            .await
            .unwrap();
        assert_netsuite_refusal(
            &refused,
            "INVALID_CONTENT",
            "o:errorPath",
            "item.items[0].quantiy",
        );
        let eid = format!("{RECORDS}/eid:AVC-RP-4Z32PABC");
        let refused = record(
            "PATCH",
            eid.clone(),
            Some(json!({"shipdate": "2025-03-09"})),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "shipdate");
        let refused = record("PATCH", format!("{eid}?replace=item"), Some(json!({})))
            .await
            .unwrap();
        assert_netsuite_refusal(
            &refused,
            "INVALID_PARAMETER",
            "o:errorQueryParam",
            "replace",
        );
        let refused = record("GET", format!("{eid}?expandSubresources=true"), None)
            .await
            .unwrap();
        assert_netsuite_refusal(
            &refused,
            "INVALID_PARAMETER",
            "o:errorQueryParam",
            "expandSubresources",
        );
        // Nothing refused was applied.
        let (status, record) = record("GET", format!("{eid}?expandSubResources=true"), None)
            .await
            .unwrap();
        assert_eq!(status, 200, "{record}");
        assert_eq!(record.get("shipDate"), None, "{record}");
        assert!(
            client
                .sales_order(&"AVC-RP-4Z32PABE".parse().unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn socket_errors_are_classified_from_the_wire() {
        let services = spawn_local_services();
        let bad_login = NetSuiteRestClient::new(UreqTransport::new(
            services.base_url(),
            Credentials::NetSuiteBearer("expired".into()),
        ));
        let err = bad_login
            .sales_order(&"AVC-RP-X".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unauthorized);
        assert_eq!(err.messages[0].code, "INVALID_LOGIN");

        // Nothing listens on this port any more: a connection failure, transient.
        let closed = {
            let gone = spawn_local_services();
            gone.base_url().to_owned()
        };
        let client = SpApiRetailClient::new(UreqTransport::new(
            &closed,
            Credentials::Amazon {
                access_token: LWA_TOKEN.into(),
                restricted_data_token: RDT_TOKEN.into(),
            },
        ));
        let err = client
            .purchase_order(&"2JK3S9VC".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transient);
    }

    #[tokio::test]
    async fn socket_sp_api_refuses_unknown_query_parameters_and_body_members() {
        let services = spawn_local_services();
        assert_refuses_what_sp_api_refuses(services.base_url(), "2JK3S9VC").await;
    }

    // The engine-cycle test of issue 5 belongs here once the engine lands: start
    // `spawn_local_services()`, wrap `retail_client()`, `direct_fulfillment_client(..)`
    // and `netsuite_client()` in `Arc<dyn …>`, run one engine cycle, and check that the
    // orders were read across pages, the sales orders created with ids from `Location`,
    // the acknowledgement posted (`retail_acknowledgements()`), and a scripted 429
    // retried by the engine.
}
