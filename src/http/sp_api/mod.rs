//! Amazon's SP-API over an [`HttpTransport`]: request builders, response readers and
//! the two clients.
//!
//! [`retail`] covers Vendor Orders v1 and Vendor Transaction Status v1;
//! [`direct_fulfillment`] covers Vendor Direct Fulfillment Orders and Transactions in
//! both API versions ([`DirectFulfillmentVersion`]). What the two share lives here: how
//! an error answer is classified ([`classify_error`]), how a transaction status
//! becomes a [`TransactionOutcome`] ([`transaction_outcome`]), and which requests need
//! a Restricted Data Token ([`requires_restricted_data_token`]).
//!
//! Instants are always sent in UTC with `Z` (`2025-03-01T14:00:00Z`), booleans as
//! `true`/`false`, and both bounds of a window together: Amazon misbehaves with one.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{HttpRequest, HttpResponse, HttpTransport, StatusError, unreadable};
use crate::amazon::{error::ErrorBody, transaction};
use crate::client::{
    ClientError, ErrorKind, MalformedOrder, Page, ServiceMessage, TransactionOutcome,
};

pub mod direct_fulfillment;
pub mod retail;

pub use direct_fulfillment::{DirectFulfillmentVersion, SpApiDirectFulfillmentClient};
pub use retail::SpApiRetailClient;

/// How many times a list request carrying a next token is sent again after a 400,
/// unless the client is told otherwise: Amazon answers `400 InvalidInput` now and then
/// while paging and the same request succeeds on the second or third try
/// (amzn/selling-partner-api-docs#1745).
pub const DEFAULT_PAGING_RETRIES: u32 = 2;

/// The longest wait a rate-limited answer is read as asking for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The order a list is asked for in, by creation date (`sortOrder`).
///
/// Amazon has been seen to ignore it, and some vendor accounts get a 400 for `ASC` on
/// `getPurchaseOrdersStatus`, so the clients send none unless told to and callers
/// should not rely on the order of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// `ASC`: oldest first.
    Ascending,
    /// `DESC`: newest first.
    Descending,
}

impl SortOrder {
    /// The spelling on the wire.
    pub const fn as_str(&self) -> &'static str {
        match self {
            SortOrder::Ascending => "ASC",
            SortOrder::Descending => "DESC",
        }
    }
}

/// An instant as the clients send it: UTC, `Z`, fractions only when there are any.
pub fn format_query_instant(t: &DateTime<Utc>) -> String {
    crate::order::format_instant(t)
}

/// `true` for the requests that need a Restricted Data Token in `x-amz-access-token`
/// instead of the plain Login with Amazon access token: Direct Fulfillment `getOrders`
/// and `getOrder`, in either version, whose answers hold a consumer's address. The
/// token is asked of the Tokens API for the request's method and path.
///
/// # Example
/// ```
/// use avc_order_sync::http::sp_api::{direct_fulfillment, requires_restricted_data_token};
/// use avc_order_sync::http::DirectFulfillmentVersion;
/// let get = direct_fulfillment::order_request(DirectFulfillmentVersion::V1, &"2JK3S9VC".parse()?);
/// assert!(requires_restricted_data_token(&get));
/// let status = direct_fulfillment::transaction_status_request(DirectFulfillmentVersion::V1, &"t-1".parse()?);
/// assert!(!requires_restricted_data_token(&status));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn requires_restricted_data_token(request: &HttpRequest) -> bool {
    request.method == super::HttpMethod::Get
        && request
            .path
            .strip_prefix(direct_fulfillment::ORDERS_ROOT)
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(_version, rest)| {
                rest == "purchaseOrders" || rest.starts_with("purchaseOrders/")
            })
}

/// Classifies an answer that is not a success.
///
/// | status | kind |
/// |---|---|
/// | 429 | [`ErrorKind::RateLimited`], waiting `Retry-After` seconds when sent, else one request's share of `x-amzn-RateLimit-Limit` (requests per second) |
/// | 401, 403 | [`ErrorKind::Unauthorized`] (an expired token, a missing or wrong Restricted Data Token) |
/// | 404 | [`ErrorKind::NotFound`] |
/// | 5xx | [`ErrorKind::Transient`] |
/// | other 4xx | [`ErrorKind::Rejected`] |
/// | anything else | [`ErrorKind::Transient`] |
///
/// Amazon's errors, in either body shape, become the error's messages (`details`
/// appended to the message when not empty); the status and `x-amzn-RequestId` are its
/// source.
///
/// # Example
/// ```
/// use avc_order_sync::http::HttpResponse;
/// use avc_order_sync::http::sp_api::classify_error;
/// use avc_order_sync::ErrorKind;
/// let response = HttpResponse::new(429, br#"{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource."}]}"#.to_vec())
///     .with_header("x-amzn-RateLimit-Limit", "10.0");
/// let error = classify_error("getPurchaseOrders", &response);
/// assert_eq!(error.kind, ErrorKind::RateLimited { retry_after: Some(std::time::Duration::from_millis(100)) });
/// assert_eq!(error.messages[0].code, "QuotaExceeded");
/// ```
pub fn classify_error(operation: &str, response: &HttpResponse) -> ClientError {
    let kind = match response.status {
        429 => ErrorKind::RateLimited {
            retry_after: rate_limit_wait(response),
        },
        401 | 403 => ErrorKind::Unauthorized,
        404 => ErrorKind::NotFound,
        500..=599 => ErrorKind::Transient,
        400..=499 => ErrorKind::Rejected,
        _ => ErrorKind::Transient,
    };
    ClientError::new(kind, operation)
        .with_messages(messages(&response.body))
        .with_source(StatusError::of(response))
}

/// Amazon's errors in an error body, in order; none when the body is not one.
fn messages(body: &[u8]) -> Vec<ServiceMessage> {
    ErrorBody::parse(body)
        .map(|body| body.errors().iter().map(service_message).collect())
        .unwrap_or_default()
}

fn service_message(error: &crate::amazon::error::Error) -> ServiceMessage {
    let mut message = error.message.clone().unwrap_or_default();
    if let Some(details) = error.details.as_deref().filter(|d| !d.is_empty()) {
        if message.is_empty() {
            message = details.to_owned();
        } else {
            message = format!("{message} ({details})");
        }
    }
    ServiceMessage {
        code: error.code.clone().unwrap_or_default(),
        message,
        field: None,
    }
}

/// `Retry-After` when sent; otherwise the time one request takes under the rate in
/// `x-amzn-RateLimit-Limit` (`"10.0"` requests per second is 100 ms).
fn rate_limit_wait(response: &HttpResponse) -> Option<Duration> {
    if let Some(wait) = super::retry_after_header(response) {
        return Some(wait);
    }
    let rate: f64 = response
        .header("x-amzn-RateLimit-Limit")?
        .trim()
        .parse()
        .ok()?;
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let seconds = 1.0 / rate;
    if seconds >= MAX_RETRY_AFTER.as_secs_f64() {
        return Some(MAX_RETRY_AFTER);
    }
    Duration::try_from_secs_f64(seconds).ok()
}

/// What a transaction's status means for the sync.
///
/// `Processing` (and a status this version does not know) is
/// [`TransactionOutcome::Processing`]; `Success` is
/// [`TransactionOutcome::Success`]; `Failure` carries Amazon's errors. Amazon's own
/// case variants (`PROCESSING`) are read as the status they spell.
pub fn transaction_outcome(transaction: &transaction::Transaction) -> TransactionOutcome {
    match transaction
        .status
        .as_ref()
        .and_then(transaction::Status::known)
    {
        Some(transaction::Status::Success) => TransactionOutcome::Success,
        Some(transaction::Status::Failure) => {
            TransactionOutcome::Failure(transaction.errors().iter().map(service_message).collect())
        }
        _ => TransactionOutcome::Processing,
    }
}

/// Reads a success body as JSON, or says why it cannot.
fn json_body(operation: &str, response: &HttpResponse) -> Result<Value, ClientError> {
    serde_json::from_slice(&response.body).map_err(|e| unreadable(operation, response, e))
}

/// Reads one value of a success body.
fn typed<T: DeserializeOwned>(
    operation: &str,
    response: &HttpResponse,
    value: Value,
) -> Result<T, ClientError> {
    serde_json::from_value(value).map_err(|e| unreadable(operation, response, e))
}

/// A page of a list: its orders (under `key`) read one by one, so an order that cannot
/// be read is set aside with its reason and the rest go on, and the next token from
/// `pagination.nextToken` (an empty token is the last page).
fn read_page<T: DeserializeOwned>(
    operation: &str,
    response: &HttpResponse,
    list: Option<&Value>,
    key: &str,
) -> Result<Page<T>, ClientError> {
    let Some(list) = list else {
        return Err(unreadable(operation, response, "the answer holds no list"));
    };
    let Some(list) = list.as_object() else {
        return Err(unreadable(
            operation,
            response,
            "the list is not a JSON object",
        ));
    };
    let next_token = match list.get("pagination") {
        None | Some(Value::Null) => None,
        Some(pagination) => match pagination.get("nextToken") {
            None | Some(Value::Null) => None,
            Some(Value::String(token)) => Some(token.clone()).filter(|t| !t.is_empty()),
            Some(_) => {
                return Err(unreadable(
                    operation,
                    response,
                    "`pagination.nextToken` is not text",
                ));
            }
        },
    };
    let entries = match list.get(key) {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(entries)) => entries.as_slice(),
        Some(_) => {
            return Err(unreadable(
                operation,
                response,
                format_args!("`{key}` is not a list"),
            ));
        }
    };
    let mut page = Page {
        orders: Vec::with_capacity(entries.len()),
        malformed: Vec::new(),
        next_token,
    };
    for (index, entry) in entries.iter().enumerate() {
        match T::deserialize(entry) {
            Ok(order) => page.orders.push(order),
            Err(e) => page.malformed.push(MalformedOrder {
                purchase_order_number: entry
                    .get("purchaseOrderNumber")
                    .and_then(Value::as_str)
                    .map(crate::text::excerpt),
                reason: format!(
                    "`{key}[{index}]` cannot be read: {}",
                    crate::text::excerpt(&without_quoted_values(&e.to_string()))
                ),
            }),
        }
    }
    Ok(page)
}

/// A reader's error message with the values it quotes left out: a Direct Fulfillment
/// order's values may be a consumer's name or address, which must not reach a report
/// or a log. `invalid type: string "Jane", expected …` becomes
/// `invalid type: string "…", expected …`.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    quote = Some(c);
                }
            }
        }
    }
    out
}

/// Sends a request and reads its answer; a list request carrying a next token that is
/// answered 400 is sent again up to `retries` times (see [`DEFAULT_PAGING_RETRIES`]).
async fn exchange<T: HttpTransport + ?Sized, R>(
    transport: &T,
    operation: &str,
    request: HttpRequest,
    retries: u32,
    read: impl Fn(&HttpResponse) -> Result<R, ClientError>,
) -> Result<R, ClientError> {
    let paging = request.query_value("nextToken").is_some();
    let mut attempt = 0;
    loop {
        let response = transport
            .send(request.clone())
            .await
            .map_err(|e| e.into_client_error(operation))?;
        if paging && response.status == 400 && attempt < retries {
            attempt += 1;
            continue;
        }
        return read(&response);
    }
}

/// Adds a pair when the value is present.
fn push(pairs: &mut Vec<(String, String)>, name: &str, value: Option<String>) {
    if let Some(value) = value {
        pairs.push((name.to_owned(), value));
    }
}

fn instant(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.as_ref().map(format_query_instant)
}

fn boolean(b: Option<bool>) -> Option<String> {
    b.map(|b| if b { "true" } else { "false" }.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpMethod;

    #[test]
    fn statuses_are_classified() {
        let kind = |status| classify_error("op", &HttpResponse::new(status, Vec::new())).kind;
        assert_eq!(kind(400), ErrorKind::Rejected);
        assert_eq!(kind(401), ErrorKind::Unauthorized);
        assert_eq!(kind(403), ErrorKind::Unauthorized);
        assert_eq!(kind(404), ErrorKind::NotFound);
        assert_eq!(kind(413), ErrorKind::Rejected);
        assert_eq!(kind(415), ErrorKind::Rejected);
        assert_eq!(kind(429), ErrorKind::RateLimited { retry_after: None });
        assert_eq!(kind(500), ErrorKind::Transient);
        assert_eq!(kind(503), ErrorKind::Transient);
        assert_eq!(kind(302), ErrorKind::Transient);
    }

    #[test]
    fn error_messages_carry_code_message_and_details() {
        let response = HttpResponse::new(
            400,
            br#"{"errors":[{"code":"InvalidRequest","message":"Request is missing or has invalid parameters","details":"purchaseOrderNumber cannot be null"}]}"#.to_vec(),
        )
        .with_header("x-amzn-RequestId", "r-1");
        let error = classify_error("getPurchaseOrder", &response);
        assert_eq!(error.kind, ErrorKind::Rejected);
        assert_eq!(error.messages[0].code, "InvalidRequest");
        assert_eq!(
            error.messages[0].message,
            "Request is missing or has invalid parameters (purchaseOrderNumber cannot be null)"
        );
        assert!(
            std::error::Error::source(&error)
                .unwrap()
                .to_string()
                .contains("r-1")
        );
        // A bare error object (2021-12-28's 403) and a null message.
        let single = HttpResponse::new(
            403,
            br#"{"code":"Unauthorized","message":null,"details":"expired"}"#.to_vec(),
        );
        let error = classify_error("getOrders", &single);
        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert_eq!(error.messages[0].message, "expired");
        // Not JSON at all.
        let html = HttpResponse::new(502, b"<html>Bad Gateway</html>".to_vec());
        assert!(classify_error("getOrders", &html).messages.is_empty());
    }

    #[test]
    fn the_rate_limit_header_sets_the_wait() {
        let wait = |value: &str| {
            rate_limit_wait(
                &HttpResponse::new(429, Vec::new()).with_header("x-amzn-RateLimit-Limit", value),
            )
        };
        assert_eq!(wait("10.0"), Some(Duration::from_millis(100)));
        assert_eq!(wait("0.5"), Some(Duration::from_secs(2)));
        assert_eq!(wait("0"), None);
        assert_eq!(wait("-1"), None);
        assert_eq!(wait("NaN"), None);
        assert_eq!(wait("inf"), None);
        assert_eq!(wait("1e-300"), Some(MAX_RETRY_AFTER));
        assert_eq!(wait("fast"), None);
        let both = HttpResponse::new(429, Vec::new())
            .with_header("x-amzn-RateLimit-Limit", "10.0")
            .with_header("Retry-After", "2");
        assert_eq!(rate_limit_wait(&both), Some(Duration::from_secs(2)));
    }

    #[test]
    fn restricted_requests_are_direct_fulfillment_order_reads() {
        let get = |path: &str| HttpRequest::new(HttpMethod::Get, path);
        assert!(requires_restricted_data_token(&get(
            "/vendor/directFulfillment/orders/v1/purchaseOrders"
        )));
        assert!(requires_restricted_data_token(&get(
            "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders/2JK3S9VC"
        )));
        assert!(!requires_restricted_data_token(&get(
            "/vendor/directFulfillment/orders/v1/acknowledgements"
        )));
        assert!(!requires_restricted_data_token(&HttpRequest::new(
            HttpMethod::Post,
            "/vendor/directFulfillment/orders/v1/acknowledgements"
        )));
        assert!(!requires_restricted_data_token(&get(
            "/vendor/orders/v1/purchaseOrders"
        )));
    }

    #[test]
    fn transaction_statuses_become_outcomes() {
        let read = |body: &str| {
            let t: transaction::Transaction = serde_json::from_str(body).unwrap();
            transaction_outcome(&t)
        };
        assert_eq!(
            read(r#"{"transactionId":"t","status":"Processing"}"#),
            TransactionOutcome::Processing
        );
        assert_eq!(
            read(r#"{"transactionId":"t","status":"PROCESSING"}"#),
            TransactionOutcome::Processing
        );
        assert_eq!(
            read(r#"{"transactionId":"t","status":"Success"}"#),
            TransactionOutcome::Success
        );
        assert_eq!(
            read(r#"{"transactionId":"t","status":"Later"}"#),
            TransactionOutcome::Processing
        );
        let failure = read(
            r#"{"transactionId":"t","status":"Failure","errors":{"errors":[{"code":"INVALID_ORDER_ID","message":"Invalid order ID."}]}}"#,
        );
        let TransactionOutcome::Failure(messages) = failure else {
            panic!("{failure:?}")
        };
        assert_eq!(messages[0].code, "INVALID_ORDER_ID");
    }

    #[test]
    fn pages_set_aside_what_they_cannot_read() {
        let response = HttpResponse::new(200, Vec::new());
        let list = serde_json::json!({
            "pagination": {"nextToken": ""},
            "orders": [
                {"purchaseOrderNumber": "A1"},
                {"purchaseOrderNumber": "B2", "orderDetails": "not an object"},
                42
            ]
        });
        let page: Page<crate::amazon::retail::Order> =
            read_page("getPurchaseOrders", &response, Some(&list), "orders").unwrap();
        assert_eq!(page.orders.len(), 1);
        assert_eq!(page.next_token, None);
        assert_eq!(page.malformed.len(), 2);
        assert_eq!(
            page.malformed[0].purchase_order_number.as_deref(),
            Some("B2")
        );
        assert!(
            page.malformed[0]
                .reason
                .starts_with("`orders[1]` cannot be read")
        );
        assert_eq!(page.malformed[1].purchase_order_number, None);

        for bad in [
            serde_json::json!([]),
            serde_json::json!({"orders": {}}),
            serde_json::json!({"pagination": {"nextToken": 5}}),
        ] {
            let read: Result<Page<crate::amazon::retail::Order>, _> =
                read_page("getPurchaseOrders", &response, Some(&bad), "orders");
            assert_eq!(read.unwrap_err().kind, ErrorKind::Transient);
        }
    }
}
