//! The SP-API and NetSuite REST clients, over any HTTP client.
//!
//! The library still opens no socket. An integrator implements one small trait,
//! [`HttpTransport`]: send an [`HttpRequest`] (method, path, query pairs, headers, body
//! bytes) to the right host with the credentials added, and hand back the
//! [`HttpResponse`]. Everything else is here, in two layers:
//!
//! * **Pure request builders and response readers**, plain functions on plain values,
//!   so every request the clients send can be checked without a network:
//!   [`sp_api::retail`], [`sp_api::direct_fulfillment`], [`sp_api::transaction_outcome`],
//!   [`netsuite`]. They own the knowledge integrations tend to get wrong: exact paths,
//!   both window bounds in UTC with `Z`, the next token read from where each API puts
//!   it, envelopes unwrapped per version, acknowledgement bodies exactly as Amazon's
//!   model spells them, the new sales order's id read from `Location`, SuiteQL's
//!   `Prefer: transient` and paging, and errors classified from status and body.
//! * **Clients** that pair those with a transport and implement the crate's traits:
//!   [`SpApiRetailClient`] ([`RetailOrdersApi`](crate::RetailOrdersApi)),
//!   [`SpApiDirectFulfillmentClient`]
//!   ([`DirectFulfillmentOrdersApi`](crate::DirectFulfillmentOrdersApi), either API
//!   version) and [`NetSuiteRestClient`] ([`NetSuiteApi`](crate::NetSuiteApi)).
//!
//! The clients never see credentials: the transport adds them. The integrator's own
//! transport can, or [`crate::auth::CredentialedTransport`] does it over a raw HTTP
//! client: Login with Amazon tokens, Restricted Data Tokens, NetSuite's signature or
//! bearer token, all renewed as needed.
//!
//! # Example
//! ```
//! use avc_order_sync::http::{HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError};
//! use avc_order_sync::http::SpApiRetailClient;
//! use avc_order_sync::RetailOrdersApi;
//!
//! /// A transport that answers every call with one canned order (a real one sends the
//! /// request over HTTPS with the access token added).
//! struct Canned;
//!
//! #[async_trait::async_trait]
//! impl HttpTransport for Canned {
//!     async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
//!         assert_eq!(request.method, HttpMethod::Get);
//!         assert_eq!(request.path, "/vendor/orders/v1/purchaseOrders/4Z32PABC");
//!         Ok(HttpResponse::new(200, br#"{"payload":{"purchaseOrderNumber":"4Z32PABC","purchaseOrderState":"Closed"}}"#.to_vec()))
//!     }
//! }
//!
//! # tokio_test_block_on(async {
//! let client = SpApiRetailClient::new(Canned);
//! let order = client.purchase_order(&"4Z32PABC".parse()?).await?;
//! assert_eq!(order.purchase_order_number.as_deref(), Some("4Z32PABC"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::client::{ClientError, ErrorKind};
use crate::ids::{ExternalId, ItemSequenceNumber};

pub mod netsuite;
pub mod sp_api;

pub use netsuite::NetSuiteRestClient;
pub use sp_api::{DirectFulfillmentVersion, SpApiDirectFulfillmentClient, SpApiRetailClient};

/// An HTTP method, as the clients use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpMethod {
    /// `GET`: reads.
    Get,
    /// `POST`: acknowledgements, sales-order creation, SuiteQL.
    Post,
    /// `PUT`: NetSuite's upsert by external id.
    Put,
    /// `PATCH`: NetSuite's partial update.
    Patch,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    /// The method as written on the request line (`GET`).
    pub const fn as_str(&self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request to send, without host or credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: HttpMethod,
    /// The absolute path under the service's host, already percent-encoded
    /// (`/vendor/orders/v1/purchaseOrders/4Z32PABC`,
    /// `/services/rest/record/v1/salesOrder/eid:AVC-RP-4Z32PABC`).
    pub path: String,
    /// Query parameters, in order, **not** encoded: the transport encodes them (see
    /// [`HttpRequest::path_and_query`]), and an OAuth 1.0a signature is computed over
    /// these raw pairs.
    pub query: Vec<(String, String)>,
    /// Headers to send as given (`accept`, `content-type`, NetSuite's `Prefer` and
    /// validation headers). Never credentials.
    pub headers: Vec<(String, String)>,
    /// The body, empty for none (JSON for every body the clients send).
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpRequest {
    /// Shows the body's length only: Direct Fulfillment and NetSuite bodies can hold a
    /// consumer's address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl HttpRequest {
    /// A request with no query, headers or body.
    pub fn new(method: HttpMethod, path: impl Into<String>) -> Self {
        HttpRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// This request with one more query parameter.
    pub fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// This request with one more header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// This request with a JSON body (and `content-type: application/json`).
    pub fn with_json_body(self, body: Vec<u8>) -> Self {
        let mut request = self.with_header(CONTENT_TYPE, JSON);
        request.body = body;
        request
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The value of a query parameter, when present.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path with the query appended, each name and value percent-encoded as
    /// RFC 3986 asks (everything but `A–Z a–z 0–9 - . _ ~`), which is also the
    /// encoding an OAuth 1.0a signature base string uses (RFC 5849 §3.6).
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::http::{HttpMethod, HttpRequest};
    /// let request = HttpRequest::new(HttpMethod::Get, "/vendor/orders/v1/purchaseOrders")
    ///     .with_query("createdAfter", "2025-03-01T00:00:00Z")
    ///     .with_query("nextToken", "MDAwMDAwMDAwMQ==");
    /// assert_eq!(
    ///     request.path_and_query(),
    ///     "/vendor/orders/v1/purchaseOrders?createdAfter=2025-03-01T00%3A00%3A00Z&nextToken=MDAwMDAwMDAwMQ%3D%3D",
    /// );
    /// ```
    pub fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (i, (name, value)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&percent_encode(name));
            out.push('=');
            out.push_str(&percent_encode(value));
        }
        out
    }
}

/// A response as the transport received it, whatever its status.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The headers, in the order received; names in any case.
    pub headers: Vec<(String, String)>,
    /// The body bytes, empty for none.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpResponse {
    /// Shows the body's length only, as for [`HttpRequest`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl HttpResponse {
    /// A response with this status and body and no headers.
    pub fn new(status: u16, body: Vec<u8>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// This response with one more header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// `true` for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The header naming a request body's media type.
pub const CONTENT_TYPE: &str = "content-type";
/// The header naming the media types a client accepts.
pub const ACCEPT: &str = "accept";
/// The media type of every body the clients send and expect.
pub const JSON: &str = "application/json";

/// Why a transport could not deliver a request or bring back its response.
///
/// An HTTP error status is **not** a transport error: the transport returns it as an
/// [`HttpResponse`] and the client classifies it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No response came in the time the transport allows. The request may or may not
    /// have been processed; retried as transient (the engine re-checks before
    /// re-sending anything that writes).
    #[error("no response within the time allowed")]
    Timeout {
        /// The HTTP client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The connection could not be made or broke (DNS, refused, reset, TLS). Retried
    /// as transient.
    #[error("connection failed")]
    Connection {
        /// The HTTP client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The transport could not obtain the credentials to add: Login with Amazon refused
    /// the refresh token, the Tokens API refused a Restricted Data Token, NetSuite's
    /// token endpoint refused the client assertion. Reported as unauthorized: the
    /// integrator must fix the credentials.
    #[error("credentials could not be obtained")]
    Credentials {
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// Any other failure of the HTTP client. Treated as transient, since the library
    /// cannot tell more.
    #[error("http transport failed")]
    Other {
        /// The HTTP client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl TransportError {
    /// A timeout, wrapping the HTTP client's error.
    pub fn timeout(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        TransportError::Timeout {
            source: source.into(),
        }
    }

    /// A connection failure, wrapping the HTTP client's error.
    pub fn connection(
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        TransportError::Connection {
            source: source.into(),
        }
    }

    /// Credentials that could not be obtained, with the reason.
    pub fn credentials(
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        TransportError::Credentials {
            source: source.into(),
        }
    }

    /// Any other failure, wrapping the HTTP client's error.
    pub fn other(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        TransportError::Other {
            source: source.into(),
        }
    }

    /// How a call that failed this way is treated.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TransportError::Credentials { .. } => ErrorKind::Unauthorized,
            TransportError::Timeout { .. }
            | TransportError::Connection { .. }
            | TransportError::Other { .. } => ErrorKind::Transient,
        }
    }

    /// The failure as the [`ClientError`] of `operation`. Credentials that could not
    /// be obtained carry the reason as a message (code `CredentialsRefused`), so the
    /// cycle's report says what a person must fix.
    pub fn into_client_error(self, operation: &str) -> ClientError {
        let error = ClientError::new(self.kind(), operation);
        let error = match &self {
            TransportError::Credentials { source } => {
                error.with_messages(vec![crate::client::ServiceMessage::new(
                    "CredentialsRefused",
                    source.to_string(),
                )])
            }
            _ => error,
        };
        error.with_source(self)
    }
}

/// Sends HTTP requests for the clients: the one seam between the library and the
/// network.
///
/// The clients build every request (path, query, headers, body) and read every
/// response; the transport only moves bytes and adds what the library must never see.
/// One transport serves one service: give the Amazon clients one that reaches the
/// SP-API host of the vendor's region and NetSuite's client one that reaches the
/// account's host.
///
/// # What an implementation MUST add
///
/// * **The host.** `request.path` is absolute and already percent-encoded; the query
///   pairs are raw and MUST be percent-encoded in the order given
///   ([`HttpRequest::path_and_query`] does it).
///   - SP-API: `https://sellingpartnerapi-na.amazon.com` (`-eu`, `-fe` for the other
///     regions; the sandbox adds `sandbox.` in front).
///   - NetSuite: `https://{account}.suitetalk.api.netsuite.com`, where the account id
///     is written **lower case with a hyphen**: `1234567-sb1` for a sandbox.
/// * **Amazon credentials**, in the `x-amz-access-token` header: the Login with Amazon
///   access token (refreshed before it expires, about an hour), except for Direct
///   Fulfillment `getOrders` and `getOrder` (v1 and 2021-12-28), which return a
///   consumer's address and need a **Restricted Data Token** from the Tokens API
///   instead, asked of the Tokens API for the request's method and path:
///   [`sp_api::requires_restricted_data_token`] tells which requests. A plain access
///   token there gets 403. (Since October 2023 the SP-API needs no AWS Signature
///   Version 4.)
/// * **NetSuite credentials**, in `Authorization`, either:
///   - OAuth 1.0a token-based authentication: `OAuth realm="1234567_SB1",
///     oauth_consumer_key=…, oauth_token=…, oauth_signature_method="HMAC-SHA256",
///     oauth_timestamp=…, oauth_nonce=…, oauth_version="1.0", oauth_signature=…`.
///     The **realm is upper case with an underscore** (`1234567_SB1`), unlike the
///     host. The signature base string is `METHOD&enc(url without query)&enc(sorted
///     params)` where the params are the `oauth_*` values **and the request's query
///     pairs** (SuiteQL's `limit` and `offset`); the realm is not signed. A **fresh
///     nonce and timestamp on every attempt**, retries included.
///   - or OAuth 2.0: `Authorization: Bearer <access token>` from the client-credentials
///     grant, renewed before its hour is up.
///
/// # What an implementation MUST do
///
/// * Send the method, headers and body exactly as given.
/// * Return **every** HTTP answer as `Ok`, 4xx and 5xx included, with its status,
///   headers (the clients read `Location`, `x-amzn-RateLimit-Limit`, `Retry-After`,
///   `x-amzn-RequestId`) and full body. `Err` means no answer was received.
/// * Report a timeout as [`TransportError::Timeout`], a failed connection as
///   [`TransportError::Connection`] and credentials it could not get as
///   [`TransportError::Credentials`].
///
/// # What an implementation MUST NOT do
///
/// * Retry on its own: a re-sent acknowledgement or create may be processed twice.
///   The engine decides retries from the classified error.
/// * Follow a `Location` header of a 2xx answer (NetSuite's 204 names the record made)
///   or rewrite the body.
/// * Log credentials, or Direct Fulfillment and NetSuite bodies, which hold consumers'
///   names and addresses.
#[async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends one request and returns the service's answer, whatever its status.
    ///
    /// # Errors
    /// A [`TransportError`] when no answer was received.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

#[async_trait]
impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: HttpTransport + ?Sized> HttpTransport for Box<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: HttpTransport + ?Sized> HttpTransport for &T {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

/// The HTTP answer behind a [`ClientError`]: its status and the service's request id,
/// for the log and for a support case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("http status {status}{}", RequestId(request_id.as_deref()))]
#[non_exhaustive]
pub struct StatusError {
    /// The HTTP status.
    pub status: u16,
    /// Amazon's `x-amzn-RequestId`, when sent.
    pub request_id: Option<String>,
}

struct RequestId<'a>(Option<&'a str>);

impl fmt::Display for RequestId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (request id {id})"),
            None => Ok(()),
        }
    }
}

impl StatusError {
    /// The status of a response, with its request id when it has one.
    pub fn of(response: &HttpResponse) -> Self {
        StatusError {
            status: response.status,
            request_id: response
                .header("x-amzn-RequestId")
                .map(crate::text::excerpt),
        }
    }
}

/// Why a client refused to send a request, or could not read a successful answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A request body could not be written as JSON.
    #[error("request body cannot be written")]
    Body(#[source] serde_json::Error),
    /// The body of a successful answer is not what the operation returns (an HTML page
    /// from a proxy, a cut-off body).
    #[error("response body of http status {status} cannot be read: {reason}")]
    UnreadableBody {
        /// The HTTP status.
        status: u16,
        /// Why, in lower case.
        reason: String,
    },
    /// Direct Fulfillment selects orders by creation date only.
    #[error("direct fulfillment orders cannot be selected by `changedAfter`/`changedBefore`")]
    ChangedWindow,
    /// Retail purchase orders cannot be listed as cancelled: `getPurchaseOrders` has no
    /// such filter (Amazon's cancellations move `purchaseOrderChangedDate` instead).
    #[error(
        "retail purchase orders cannot be listed as cancelled; read them by `changedAfter`/`changedBefore`"
    )]
    CancelledWindow,
    /// A sales-order line update names a PO line the sales order does not carry in
    /// `custcol_avc_item_seq`.
    #[error("sales order `{external_id}` has no line for PO line {sequence}")]
    UnknownLine {
        /// The sales order.
        external_id: ExternalId,
        /// The PO line.
        sequence: ItemSequenceNumber,
    },
    /// A sales-order body or patch could not be built.
    #[error(transparent)]
    NetSuiteBody(#[from] crate::netsuite::BodyError),
    /// NetSuite answered a create without a usable `Location`, and the order could not
    /// be found by its external id either.
    #[error("sales order `{external_id}` was not found after its create was answered")]
    CreatedButNotFound {
        /// The external id.
        external_id: ExternalId,
    },
    /// A read sales order cannot become a snapshot.
    #[error(transparent)]
    Snapshot(#[from] crate::netsuite::SnapshotError),
    /// A SuiteQL request could not be built or a row could not be read.
    #[error(transparent)]
    SuiteQl(#[from] crate::netsuite::SuiteQlError),
    /// SuiteQL kept answering `hasMore` past the number of pages the client allows, or
    /// an offset that does not move on.
    #[error("suiteql paging stopped after {pages} pages")]
    Paging {
        /// Pages read.
        pages: u32,
    },
}

/// `text`, percent-encoded as RFC 3986 unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0f));
        }
    }
    out
}

/// The upper-case hex digit of a nibble (RFC 3986 §2.1 prefers upper case).
fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).map_or('0', |c| c.to_ascii_uppercase())
}

/// A `ClientError` for an answer whose body could not be read.
pub(crate) fn unreadable(
    operation: &str,
    response: &HttpResponse,
    reason: impl fmt::Display,
) -> ClientError {
    // A 2xx with a body that is not what the operation returns is most likely cut off
    // or replaced by a proxy; reading again may work.
    ClientError::new(ErrorKind::Transient, operation).with_source(RequestError::UnreadableBody {
        status: response.status,
        reason: crate::text::excerpt(&reason.to_string()),
    })
}

/// The wait a rate-limited answer asks for: `Retry-After` in seconds when sent.
pub(crate) fn retry_after_header(response: &HttpResponse) -> Option<std::time::Duration> {
    let seconds: u64 = response.header("Retry-After")?.trim().parse().ok()?;
    Some(std::time::Duration::from_secs(seconds.min(3600)))
}

/// A transport for unit tests: answers from a script and records what it was sent.
#[cfg(test)]
pub(crate) mod script {
    use std::sync::Mutex;

    use super::{HttpRequest, HttpResponse, HttpTransport, TransportError};

    pub(crate) struct Script {
        answers: Mutex<Vec<HttpResponse>>,
        pub(crate) sent: Mutex<Vec<HttpRequest>>,
    }

    impl Script {
        pub(crate) fn new(mut answers: Vec<HttpResponse>) -> Self {
            answers.reverse();
            Script {
                answers: Mutex::new(answers),
                sent: Mutex::new(Vec::new()),
            }
        }

        pub(crate) fn sent(&self) -> Vec<HttpRequest> {
            self.sent.lock().unwrap().clone()
        }
    }

    #[async_trait::async_trait]
    impl HttpTransport for Script {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.sent.lock().unwrap().push(request);
            self.answers
                .lock()
                .unwrap()
                .pop()
                .ok_or_else(|| TransportError::other("no answer scripted"))
        }
    }

    pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_and_clients_are_object_safe_and_shareable() {
        let transport: Arc<dyn HttpTransport> = Arc::new(script::Script::new(Vec::new()));
        let retail: Arc<dyn crate::RetailOrdersApi> =
            Arc::new(SpApiRetailClient::new(transport.clone()));
        let df: Arc<dyn crate::DirectFulfillmentOrdersApi> = Arc::new(
            SpApiDirectFulfillmentClient::new(transport.clone(), DirectFulfillmentVersion::V1),
        );
        let netsuite: Arc<dyn crate::NetSuiteApi> = Arc::new(NetSuiteRestClient::new(transport));
        fn shareable<T: Send + Sync + ?Sized>(_: &T) {}
        shareable(&*retail);
        shareable(&*df);
        shareable(&*netsuite);
    }

    #[test]
    fn query_values_are_percent_encoded_in_order() {
        let request = HttpRequest::new(HttpMethod::Post, "/services/rest/query/v1/suiteql")
            .with_query("limit", "1000")
            .with_query("offset", "0")
            .with_query("q", "a b/c?d&e=é");
        assert_eq!(
            request.path_and_query(),
            "/services/rest/query/v1/suiteql?limit=1000&offset=0&q=a%20b%2Fc%3Fd%26e%3D%C3%A9"
        );
        assert_eq!(request.query_value("offset"), Some("0"));
        assert_eq!(
            HttpRequest::new(HttpMethod::Get, "/x").path_and_query(),
            "/x"
        );
    }

    #[test]
    fn headers_are_found_whatever_their_case() {
        let response = HttpResponse::new(204, Vec::new())
            .with_header("location", "https://h/services/rest/record/v1/salesOrder/7");
        assert_eq!(
            response.header("Location"),
            Some("https://h/services/rest/record/v1/salesOrder/7")
        );
        assert!(response.is_success());
        assert_eq!(response.header("x-amzn-RequestId"), None);
    }

    #[test]
    fn debug_hides_bodies() {
        let request = HttpRequest::new(HttpMethod::Post, "/x")
            .with_json_body(b"{\"name\":\"Jane\"}".to_vec());
        let shown = format!("{request:?}");
        assert!(!shown.contains("Jane"), "{shown}");
        assert!(shown.contains("body_len: 15"), "{shown}");
        let response = HttpResponse::new(200, b"Jane".to_vec());
        assert!(!format!("{response:?}").contains("Jane"));
    }

    #[test]
    fn transport_errors_are_classified() {
        let io = || std::io::Error::other("boom");
        assert_eq!(TransportError::timeout(io()).kind(), ErrorKind::Transient);
        assert_eq!(
            TransportError::connection(io()).kind(),
            ErrorKind::Transient
        );
        assert_eq!(TransportError::other(io()).kind(), ErrorKind::Transient);
        assert_eq!(
            TransportError::credentials(io()).kind(),
            ErrorKind::Unauthorized
        );
        let err = TransportError::timeout(io()).into_client_error("getOrders");
        assert_eq!(err.to_string(), "getOrders failed: transient failure");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn status_errors_name_the_request_id() {
        let response = HttpResponse::new(400, Vec::new()).with_header("x-amzn-RequestId", "abc");
        assert_eq!(
            StatusError::of(&response).to_string(),
            "http status 400 (request id abc)"
        );
        assert_eq!(
            StatusError::of(&HttpResponse::new(503, Vec::new())).to_string(),
            "http status 503"
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let response = HttpResponse::new(429, Vec::new()).with_header("Retry-After", " 3 ");
        assert_eq!(
            retry_after_header(&response),
            Some(std::time::Duration::from_secs(3))
        );
        let response = HttpResponse::new(429, Vec::new()).with_header("Retry-After", "soon");
        assert_eq!(retry_after_header(&response), None);
    }
}
