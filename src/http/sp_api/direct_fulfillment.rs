//! Direct Fulfillment: Vendor Direct Fulfillment Orders
//! (`/vendor/directFulfillment/orders/{version}`) and Transactions
//! (`/vendor/directFulfillment/transactions/{version}`), versions v1 and 2021-12-28.
//!
//! The two versions take the same parameters and bodies; v1 wraps every answer in
//! `{"payload": …}` and 2021-12-28 answers bare. Every operation has a pure request
//! builder (`*_request`) and a pure response reader (`read_*`), both taking the
//! version; [`SpApiDirectFulfillmentClient`] pairs them over a transport and implements
//! [`DirectFulfillmentOrdersApi`].
//!
//! `getOrders` and `getOrder` need a Restricted Data Token
//! ([`super::requires_restricted_data_token`]).

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    DEFAULT_PAGING_RETRIES, SortOrder, boolean, classify_error, exchange, json_body, push,
    read_page, transaction_outcome, typed,
};
use crate::acknowledgement::DirectFulfillmentAcknowledgement;
use crate::amazon::{direct_fulfillment as df, transaction};
use crate::client::{
    ClientError, DirectFulfillmentOrdersApi, ErrorKind, OrderQuery, Page, TransactionOutcome,
    WindowKind,
};
use crate::http::{
    ACCEPT, HttpMethod, HttpRequest, HttpResponse, HttpTransport, JSON, RequestError,
    percent_encode, unreadable,
};
use crate::ids::{PartyId, PurchaseOrderNumber, TransactionId};

/// The path every Direct Fulfillment orders path starts with, before the version.
pub const ORDERS_ROOT: &str = "/vendor/directFulfillment/orders/";
/// The path every Direct Fulfillment transactions path starts with, before the version.
pub const TRANSACTIONS_ROOT: &str = "/vendor/directFulfillment/transactions/";

const GET_ORDERS: &str = "getOrders";
const GET_ORDER: &str = "getOrder";
const SUBMIT_ACKNOWLEDGEMENT: &str = "submitAcknowledgement";
const GET_TRANSACTION_STATUS: &str = "getTransactionStatus";

/// The Direct Fulfillment API version a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DirectFulfillmentVersion {
    /// `v1`: answers wrapped in `{"payload": …, "errors": […]}`.
    V1,
    /// `2021-12-28`: bare answers, errors as `{"errors": […]}`.
    V2021_12_28,
}

impl DirectFulfillmentVersion {
    /// The path segment (`v1`, `2021-12-28`).
    pub const fn as_str(&self) -> &'static str {
        match self {
            DirectFulfillmentVersion::V1 => "v1",
            DirectFulfillmentVersion::V2021_12_28 => "2021-12-28",
        }
    }

    /// `/vendor/directFulfillment/orders/{version}`.
    pub fn orders_path(&self) -> String {
        format!("{ORDERS_ROOT}{}", self.as_str())
    }

    /// `/vendor/directFulfillment/transactions/{version}`.
    pub fn transactions_path(&self) -> String {
        format!("{TRANSACTIONS_ROOT}{}", self.as_str())
    }

    /// The part of a success body that holds the answer: `payload` in v1, the whole
    /// body in 2021-12-28.
    fn unwrap(&self, body: Value) -> Option<Value> {
        match self {
            DirectFulfillmentVersion::V1 => match body {
                Value::Object(mut map) => map.remove("payload"),
                _ => None,
            },
            DirectFulfillmentVersion::V2021_12_28 => Some(body),
        }
    }
}

impl fmt::Display for DirectFulfillmentVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The query of `getOrders`, every parameter the model defines. Both bounds of the
/// creation window are required (at most 7 days, within the last 6 months).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetOrdersParams {
    /// `shipFromPartyId`: the vendor warehouse.
    pub ship_from_party_id: Option<PartyId>,
    /// `status` (`NEW`, `SHIPPED`, `ACCEPTED`, `CANCELLED`).
    pub status: Option<df::OrderStatus>,
    /// `limit`: orders per page, 1 to 100.
    pub limit: Option<u32>,
    /// `createdAfter`.
    pub created_after: DateTime<Utc>,
    /// `createdBefore`.
    pub created_before: DateTime<Utc>,
    /// `sortOrder`.
    pub sort_order: Option<SortOrder>,
    /// `nextToken`: the page to read.
    pub next_token: Option<String>,
    /// `includeDetails`: `false` gives only each order's number.
    pub include_details: Option<bool>,
}

impl GetOrdersParams {
    /// The parameters for one page of an [`OrderQuery`]: both bounds, its limit,
    /// `includeDetails=true` and its next token, and `status=CANCELLED` for a
    /// [`WindowKind::Cancelled`] query.
    ///
    /// # Errors
    /// [`ErrorKind::Rejected`] with [`RequestError::ChangedWindow`] for a
    /// [`WindowKind::Changed`] query: Direct Fulfillment has no such filter.
    pub fn from_query(query: &OrderQuery) -> Result<Self, ClientError> {
        let status = match query.kind {
            WindowKind::Created => None,
            WindowKind::Cancelled => Some(df::OrderStatus::Cancelled),
            WindowKind::Changed => {
                return Err(ClientError::new(ErrorKind::Rejected, GET_ORDERS)
                    .with_source(RequestError::ChangedWindow));
            }
        };
        Ok(GetOrdersParams {
            ship_from_party_id: None,
            status,
            limit: Some(query.limit),
            created_after: query.after,
            created_before: query.before,
            sort_order: None,
            next_token: query.next_token.clone(),
            include_details: Some(true),
        })
    }

    /// The query pairs, in the model's order, absent parameters left out.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        push(
            &mut pairs,
            "shipFromPartyId",
            self.ship_from_party_id
                .as_ref()
                .map(|p| p.as_str().to_owned()),
        );
        push(
            &mut pairs,
            "status",
            self.status.as_ref().map(|s| s.as_str().to_owned()),
        );
        push(&mut pairs, "limit", self.limit.map(|l| l.to_string()));
        push(
            &mut pairs,
            "createdAfter",
            Some(super::format_query_instant(&self.created_after)),
        );
        push(
            &mut pairs,
            "createdBefore",
            Some(super::format_query_instant(&self.created_before)),
        );
        push(
            &mut pairs,
            "sortOrder",
            self.sort_order.map(|s| s.as_str().to_owned()),
        );
        push(&mut pairs, "nextToken", self.next_token.clone());
        push(&mut pairs, "includeDetails", boolean(self.include_details));
        pairs
    }
}

fn get(path: String, query: Vec<(String, String)>) -> HttpRequest {
    let mut request = HttpRequest::new(HttpMethod::Get, path).with_header(ACCEPT, JSON);
    request.query = query;
    request
}

/// `GET /vendor/directFulfillment/orders/{version}/purchaseOrders` with these
/// parameters.
///
/// # Example
/// ```
/// use avc_order_sync::http::sp_api::direct_fulfillment::{orders_request, GetOrdersParams};
/// use avc_order_sync::http::DirectFulfillmentVersion;
/// use avc_order_sync::{OrderQuery, WindowKind};
/// let query = OrderQuery {
///     kind: WindowKind::Created,
///     after: "2020-02-15T22:00:00Z".parse()?,
///     before: "2020-02-20T08:00:00Z".parse()?,
///     limit: 2,
///     next_token: None,
/// };
/// let request = orders_request(DirectFulfillmentVersion::V2021_12_28, &GetOrdersParams::from_query(&query)?);
/// assert_eq!(request.path, "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders");
/// assert_eq!(request.query_value("createdBefore"), Some("2020-02-20T08:00:00Z"));
/// assert_eq!(request.query_value("includeDetails"), Some("true"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn orders_request(version: DirectFulfillmentVersion, params: &GetOrdersParams) -> HttpRequest {
    get(
        format!("{}/purchaseOrders", version.orders_path()),
        params.query_pairs(),
    )
}

/// Reads the answer of `getOrders`: the order list (in `payload` for v1, the body for
/// 2021-12-28), each order read on its own so an unreadable one lands in
/// [`Page::malformed`], and the next token from `pagination.nextToken`.
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`]; a 2xx without the list,
/// [`ErrorKind::Transient`].
pub fn read_orders(
    version: DirectFulfillmentVersion,
    response: &HttpResponse,
) -> Result<Page<df::Order>, ClientError> {
    if !response.is_success() {
        return Err(classify_error(GET_ORDERS, response));
    }
    let list = version.unwrap(json_body(GET_ORDERS, response)?);
    read_page(GET_ORDERS, response, list.as_ref(), "orders")
}

/// `GET /vendor/directFulfillment/orders/{version}/purchaseOrders/{purchaseOrderNumber}`.
pub fn order_request(
    version: DirectFulfillmentVersion,
    number: &PurchaseOrderNumber,
) -> HttpRequest {
    get(
        format!(
            "{}/purchaseOrders/{}",
            version.orders_path(),
            percent_encode(number.as_str())
        ),
        Vec::new(),
    )
}

/// Reads the answer of `getOrder`: the order (in `payload` for v1, bare for
/// 2021-12-28).
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`] (404 is
/// [`ErrorKind::NotFound`]); a 2xx without a readable order, [`ErrorKind::Transient`].
pub fn read_order(
    version: DirectFulfillmentVersion,
    response: &HttpResponse,
) -> Result<df::Order, ClientError> {
    if !response.is_success() {
        return Err(classify_error(GET_ORDER, response));
    }
    let order = version
        .unwrap(json_body(GET_ORDER, response)?)
        .ok_or_else(|| unreadable(GET_ORDER, response, "the answer has no `payload`"))?;
    typed(GET_ORDER, response, order)
}

/// `POST /vendor/directFulfillment/orders/{version}/acknowledgements` with this body,
/// the same in both versions, written exactly as the model spells it.
///
/// # Errors
/// [`ErrorKind::Rejected`] with [`RequestError::Body`] if the body cannot be written.
pub fn submit_acknowledgement_request(
    version: DirectFulfillmentVersion,
    body: &df::SubmitAcknowledgementRequest,
) -> Result<HttpRequest, ClientError> {
    let bytes = serde_json::to_vec(body).map_err(|e| {
        ClientError::new(ErrorKind::Rejected, SUBMIT_ACKNOWLEDGEMENT)
            .with_source(RequestError::Body(e))
    })?;
    Ok(HttpRequest::new(
        HttpMethod::Post,
        format!("{}/acknowledgements", version.orders_path()),
    )
    .with_header(ACCEPT, JSON)
    .with_json_body(bytes))
}

/// Reads the answer of `submitAcknowledgement` (202): `payload.transactionId` in v1,
/// `transactionId` in 2021-12-28.
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`]; a 2xx without a usable
/// transaction id, [`ErrorKind::Transient`].
pub fn read_submit_acknowledgement(
    version: DirectFulfillmentVersion,
    response: &HttpResponse,
) -> Result<TransactionId, ClientError> {
    if !response.is_success() {
        return Err(classify_error(SUBMIT_ACKNOWLEDGEMENT, response));
    }
    let body = version.unwrap(json_body(SUBMIT_ACKNOWLEDGEMENT, response)?);
    let id = body
        .as_ref()
        .and_then(|b| b.get("transactionId"))
        .and_then(Value::as_str);
    super::retail::transaction_id(SUBMIT_ACKNOWLEDGEMENT, response, id)
}

/// `GET /vendor/directFulfillment/transactions/{version}/transactions/{transactionId}`.
pub fn transaction_status_request(
    version: DirectFulfillmentVersion,
    id: &TransactionId,
) -> HttpRequest {
    get(
        format!(
            "{}/transactions/{}",
            version.transactions_path(),
            percent_encode(id.as_str())
        ),
        Vec::new(),
    )
}

/// Reads the answer of `getTransactionStatus`: `payload.transactionStatus` in v1,
/// `transactionStatus` in 2021-12-28 (whose `errors` is an object, read as well).
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`]; a 2xx without a transaction,
/// [`ErrorKind::Transient`].
pub fn read_transaction_status(
    version: DirectFulfillmentVersion,
    response: &HttpResponse,
) -> Result<TransactionOutcome, ClientError> {
    if !response.is_success() {
        return Err(classify_error(GET_TRANSACTION_STATUS, response));
    }
    let body = version
        .unwrap(json_body(GET_TRANSACTION_STATUS, response)?)
        .ok_or_else(|| {
            unreadable(
                GET_TRANSACTION_STATUS,
                response,
                "the answer has no `payload`",
            )
        })?;
    let status: transaction::TransactionStatus = typed(GET_TRANSACTION_STATUS, response, body)?;
    status
        .transaction_status
        .as_ref()
        .map(transaction_outcome)
        .ok_or_else(|| {
            unreadable(
                GET_TRANSACTION_STATUS,
                response,
                "the answer has no `transactionStatus`",
            )
        })
}

/// Direct Fulfillment over an [`HttpTransport`], in either API version: implements
/// [`DirectFulfillmentOrdersApi`], and offers every parameter of `getOrders` through
/// [`SpApiDirectFulfillmentClient::get_orders`].
///
/// The transport must reach the SP-API host of the vendor's region and add the Login
/// with Amazon access token, or the Restricted Data Token for the order reads (see
/// [`HttpTransport`]).
#[derive(Debug, Clone)]
pub struct SpApiDirectFulfillmentClient<T> {
    transport: T,
    version: DirectFulfillmentVersion,
    sort_order: Option<SortOrder>,
    paging_retries: u32,
}

impl<T: HttpTransport> SpApiDirectFulfillmentClient<T> {
    /// A client of `version` over `transport`: no `sortOrder` sent, a 400 while paging
    /// sent again [`DEFAULT_PAGING_RETRIES`] times.
    pub fn new(transport: T, version: DirectFulfillmentVersion) -> Self {
        SpApiDirectFulfillmentClient {
            transport,
            version,
            sort_order: None,
            paging_retries: DEFAULT_PAGING_RETRIES,
        }
    }

    /// Sends `sortOrder` with every list the trait asks for.
    pub fn with_sort_order(mut self, sort_order: SortOrder) -> Self {
        self.sort_order = Some(sort_order);
        self
    }

    /// How many times a list request carrying a next token is sent again after a 400
    /// (0 to never).
    pub fn with_paging_retries(mut self, retries: u32) -> Self {
        self.paging_retries = retries;
        self
    }

    /// The API version.
    pub fn version(&self) -> DirectFulfillmentVersion {
        self.version
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// One page of `getOrders` with any of the model's parameters.
    ///
    /// # Errors
    /// As [`read_orders`], or the transport's failure.
    pub async fn get_orders(
        &self,
        params: &GetOrdersParams,
    ) -> Result<Page<df::Order>, ClientError> {
        let version = self.version;
        exchange(
            &self.transport,
            GET_ORDERS,
            orders_request(version, params),
            self.paging_retries,
            |response| read_orders(version, response),
        )
        .await
    }

    /// Submits an acknowledgement body as given (the trait's
    /// [`DirectFulfillmentOrdersApi::submit_acknowledgements`] builds it from the
    /// domain). Never retried.
    ///
    /// # Errors
    /// As [`read_submit_acknowledgement`], or the transport's failure.
    pub async fn submit_acknowledgement(
        &self,
        body: &df::SubmitAcknowledgementRequest,
    ) -> Result<TransactionId, ClientError> {
        let version = self.version;
        let request = submit_acknowledgement_request(version, body)?;
        exchange(
            &self.transport,
            SUBMIT_ACKNOWLEDGEMENT,
            request,
            0,
            |response| read_submit_acknowledgement(version, response),
        )
        .await
    }
}

#[async_trait]
impl<T: HttpTransport> DirectFulfillmentOrdersApi for SpApiDirectFulfillmentClient<T> {
    async fn orders(&self, query: &OrderQuery) -> Result<Page<df::Order>, ClientError> {
        let params = GetOrdersParams {
            sort_order: self.sort_order,
            ..GetOrdersParams::from_query(query)?
        };
        self.get_orders(&params).await
    }

    async fn order(&self, number: &PurchaseOrderNumber) -> Result<df::Order, ClientError> {
        let version = self.version;
        exchange(
            &self.transport,
            GET_ORDER,
            order_request(version, number),
            0,
            |response| read_order(version, response),
        )
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[DirectFulfillmentAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        self.submit_acknowledgement(&df::SubmitAcknowledgementRequest::from_domain(
            acknowledgements,
        ))
        .await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        let version = self.version;
        exchange(
            &self.transport,
            GET_TRANSACTION_STATUS,
            transaction_status_request(version, id),
            0,
            |response| read_transaction_status(version, response),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DirectFulfillmentVersion::{V1, V2021_12_28};

    fn ok(body: &str) -> HttpResponse {
        HttpResponse::new(200, body.as_bytes().to_vec())
    }

    #[test]
    fn paths_follow_the_version() {
        let number: PurchaseOrderNumber = "2JK3S9VC".parse().unwrap();
        assert_eq!(
            order_request(V1, &number).path,
            "/vendor/directFulfillment/orders/v1/purchaseOrders/2JK3S9VC"
        );
        assert_eq!(
            order_request(V2021_12_28, &number).path,
            "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders/2JK3S9VC"
        );
        let id: TransactionId = "t-1".parse().unwrap();
        assert_eq!(
            transaction_status_request(V2021_12_28, &id).path,
            "/vendor/directFulfillment/transactions/2021-12-28/transactions/t-1"
        );
        let ack =
            submit_acknowledgement_request(V1, &df::SubmitAcknowledgementRequest::from_domain(&[]))
                .unwrap();
        assert_eq!(
            ack.path,
            "/vendor/directFulfillment/orders/v1/acknowledgements"
        );
        assert_eq!(ack.body, br#"{"orderAcknowledgements":[]}"#);
    }

    #[test]
    fn envelopes_are_unwrapped_per_version() {
        let v1 = ok(
            r#"{"payload":{"pagination":{"nextToken":"N"},"orders":[{"purchaseOrderNumber":"A"}]}}"#,
        );
        let page = read_orders(V1, &v1).unwrap();
        assert_eq!(page.next_token.as_deref(), Some("N"));
        assert_eq!(page.orders[0].purchase_order_number.as_deref(), Some("A"));
        // The same body read as 2021-12-28 has no top-level list.
        assert!(read_orders(V2021_12_28, &v1).unwrap().orders.is_empty());

        let bare = ok(r#"{"pagination":{"nextToken":"N"},"orders":[{"purchaseOrderNumber":"A"}]}"#);
        assert_eq!(read_orders(V2021_12_28, &bare).unwrap().orders.len(), 1);
        assert_eq!(
            read_orders(V1, &bare).unwrap_err().kind,
            ErrorKind::Transient
        );

        assert_eq!(
            read_order(V2021_12_28, &ok(r#"{"purchaseOrderNumber":"A"}"#))
                .unwrap()
                .purchase_order_number
                .as_deref(),
            Some("A")
        );
        assert_eq!(
            read_submit_acknowledgement(V2021_12_28, &ok(r#"{"transactionId":"T"}"#))
                .unwrap()
                .as_str(),
            "T"
        );
        assert_eq!(
            read_submit_acknowledgement(V1, &ok(r#"{"payload":{"transactionId":"T"}}"#))
                .unwrap()
                .as_str(),
            "T"
        );
        assert_eq!(
            read_transaction_status(
                V2021_12_28,
                &ok(r#"{"transactionStatus":{"transactionId":"T","status":"Success"}}"#)
            )
            .unwrap(),
            TransactionOutcome::Success
        );
        assert_eq!(
            read_transaction_status(
                V1,
                &ok(r#"{"payload":{"transactionStatus":{"transactionId":"T","status":"Processing"}}}"#)
            )
            .unwrap(),
            TransactionOutcome::Processing
        );
    }

    #[test]
    fn a_changed_window_is_refused_before_sending() {
        let query = OrderQuery {
            kind: WindowKind::Changed,
            after: "2025-03-01T00:00:00Z".parse().unwrap(),
            before: "2025-03-02T00:00:00Z".parse().unwrap(),
            limit: 10,
            next_token: None,
        };
        let err = GetOrdersParams::from_query(&query).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Rejected);
        assert!(
            std::error::Error::source(&err)
                .unwrap()
                .to_string()
                .contains("changedAfter")
        );
    }

    #[test]
    fn a_cancelled_window_asks_for_status_cancelled_in_either_version() {
        use crate::http::script::{Script, block_on};
        let query = OrderQuery {
            kind: WindowKind::Cancelled,
            after: "2025-03-01T00:00:00Z".parse().unwrap(),
            before: "2025-03-08T00:00:00Z".parse().unwrap(),
            limit: 100,
            next_token: None,
        };
        for (version, body) in [
            (
                V1,
                r#"{"payload":{"pagination":{"nextToken":"N2"},"orders":[]}}"#,
            ),
            (
                V2021_12_28,
                r#"{"pagination":{"nextToken":"N2"},"orders":[]}"#,
            ),
        ] {
            let last = r#"{"orders":[{"purchaseOrderNumber":"C1","orderDetails":{"orderStatus":"CANCELLED"}}]}"#;
            let last = if version == V1 {
                format!(r#"{{"payload":{last}}}"#)
            } else {
                last.to_owned()
            };
            let client =
                SpApiDirectFulfillmentClient::new(Script::new(vec![ok(body), ok(&last)]), version);
            let first = block_on(client.orders(&query)).unwrap();
            let next = OrderQuery {
                next_token: first.next_token.clone(),
                ..query.clone()
            };
            let page = block_on(client.orders(&next)).unwrap();
            assert_eq!(page.orders[0].purchase_order_number.as_deref(), Some("C1"));
            let sent = client.transport().sent();
            assert_eq!(
                sent[0].path_and_query(),
                format!(
                    "/vendor/directFulfillment/orders/{version}/purchaseOrders?status=CANCELLED\
                     &limit=100&createdAfter=2025-03-01T00%3A00%3A00Z\
                     &createdBefore=2025-03-08T00%3A00%3A00Z&includeDetails=true"
                )
            );
            // The follow-up page sends the status again, with the token.
            assert_eq!(sent[1].query_value("status"), Some("CANCELLED"));
            assert_eq!(sent[1].query_value("nextToken"), Some("N2"));
            assert_eq!(
                sent[1].query_value("createdAfter"),
                Some("2025-03-01T00:00:00Z")
            );
        }
        // A created window sends no status: every order, whatever its status.
        let created = OrderQuery {
            kind: WindowKind::Created,
            ..query
        };
        let params = GetOrdersParams::from_query(&created).unwrap();
        assert_eq!(orders_request(V1, &params).query_value("status"), None);
    }

    #[test]
    fn errors_are_classified_in_either_shape() {
        let single = HttpResponse::new(
            403,
            br#"{"code":"Unauthorized","message":"Access to requested resource is denied."}"#
                .to_vec(),
        );
        let err = read_orders(V2021_12_28, &single).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unauthorized);
        assert_eq!(err.messages[0].code, "Unauthorized");
        let missing = HttpResponse::new(404, Vec::new());
        assert_eq!(
            read_order(V1, &missing).unwrap_err().kind,
            ErrorKind::NotFound
        );
    }
}
