//! Retail Procurement: Vendor Orders v1 (`/vendor/orders/v1`) and Vendor Transaction
//! Status v1 (`/vendor/transactions/v1`).
//!
//! Every operation has a pure request builder (`*_request`) and a pure response reader
//! (`read_*`); [`SpApiRetailClient`] pairs them over a transport and implements
//! [`RetailOrdersApi`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    DEFAULT_PAGING_RETRIES, SortOrder, boolean, classify_error, exchange, instant, json_body, push,
    read_page, transaction_outcome, typed,
};
use crate::acknowledgement::RetailAcknowledgement;
use crate::amazon::{retail, transaction};
use crate::client::{
    ClientError, ErrorKind, OrderQuery, Page, RetailOrdersApi, TransactionOutcome, WindowKind,
};
use crate::http::{
    ACCEPT, HttpMethod, HttpRequest, HttpResponse, HttpTransport, JSON, RequestError,
    percent_encode, unreadable,
};
use crate::ids::{PartyId, PurchaseOrderNumber, TransactionId};

/// The base path of Vendor Orders v1.
pub const ORDERS_PATH: &str = "/vendor/orders/v1";
/// The base path of Vendor Transaction Status v1.
pub const TRANSACTIONS_PATH: &str = "/vendor/transactions/v1";

const GET_PURCHASE_ORDERS: &str = "getPurchaseOrders";
const GET_PURCHASE_ORDER: &str = "getPurchaseOrder";
const SUBMIT_ACKNOWLEDGEMENT: &str = "submitAcknowledgement";
const GET_PURCHASE_ORDERS_STATUS: &str = "getPurchaseOrdersStatus";
const GET_TRANSACTION: &str = "getTransaction";

/// How many pages of `getPurchaseOrdersStatus` [`RetailOrdersApi::purchase_order_status`]
/// reads looking for its PO, in case Amazon ignores the filter.
const MAX_STATUS_PAGES: u32 = 5;

/// `poItemState`: the only value the model allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoItemState {
    /// `Cancelled`: POs with at least one line Amazon cancelled (its quantity is 0).
    Cancelled,
}

impl PoItemState {
    /// The spelling on the wire.
    pub const fn as_str(&self) -> &'static str {
        match self {
            PoItemState::Cancelled => "Cancelled",
        }
    }
}

/// The query of `getPurchaseOrders`, every parameter the model defines.
///
/// Both bounds of a window go together; Amazon allows at most 7 days within the last
/// 6 months. Built from an [`OrderQuery`] by [`GetPurchaseOrdersParams::from_query`];
/// a follow-up page keeps every filter and adds `next_token`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetPurchaseOrdersParams {
    /// `limit`: orders per page, 1 to 100.
    pub limit: Option<u32>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
    /// `changedAfter`.
    pub changed_after: Option<DateTime<Utc>>,
    /// `changedBefore`.
    pub changed_before: Option<DateTime<Utc>>,
    /// `poItemState`.
    pub po_item_state: Option<PoItemState>,
    /// `isPOChanged`: only POs Amazon changed after creating them.
    pub is_po_changed: Option<bool>,
    /// `purchaseOrderState` (`New`, `Acknowledged`, `Closed`).
    pub purchase_order_state: Option<retail::PurchaseOrderState>,
    /// `orderingVendorCode`: one vendor code of the authorising vendor group.
    pub ordering_vendor_code: Option<PartyId>,
    /// `sortOrder`.
    pub sort_order: Option<SortOrder>,
    /// `nextToken`: the page to read.
    pub next_token: Option<String>,
    /// `includeDetails`: `false` gives only each PO's number and state.
    pub include_details: Option<bool>,
}

impl GetPurchaseOrdersParams {
    /// The parameters for one page of an [`OrderQuery`]: both bounds of its window
    /// (created or changed), its limit, `includeDetails=true`, and its next token.
    ///
    /// # Errors
    /// [`ErrorKind::Rejected`] with [`RequestError::CancelledWindow`] for a
    /// [`WindowKind::Cancelled`] query: `getPurchaseOrders` cannot list POs Amazon
    /// cancelled (`poItemState=Cancelled` selects POs with any line cancelled, which is
    /// not the same), and needs not: the changed window reads Amazon's cancellations.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::http::sp_api::retail::{purchase_orders_request, GetPurchaseOrdersParams};
    /// use avc_order_sync::{OrderQuery, WindowKind};
    /// let query = OrderQuery {
    ///     kind: WindowKind::Changed,
    ///     after: "2025-03-01T00:00:00Z".parse()?,
    ///     before: "2025-03-02T00:00:00Z".parse()?,
    ///     limit: 100,
    ///     next_token: Some("MDAwMDAwMDAwMQ==".into()),
    /// };
    /// let request = purchase_orders_request(&GetPurchaseOrdersParams::from_query(&query)?);
    /// assert_eq!(request.path_and_query(), "/vendor/orders/v1/purchaseOrders?limit=100\
    ///     &changedAfter=2025-03-01T00%3A00%3A00Z&changedBefore=2025-03-02T00%3A00%3A00Z\
    ///     &nextToken=MDAwMDAwMDAwMQ%3D%3D&includeDetails=true");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_query(query: &OrderQuery) -> Result<Self, ClientError> {
        let window = (Some(query.after), Some(query.before));
        let (created, changed) = match query.kind {
            WindowKind::Created => (window, (None, None)),
            WindowKind::Changed => ((None, None), window),
            WindowKind::Cancelled => {
                return Err(ClientError::new(ErrorKind::Rejected, GET_PURCHASE_ORDERS)
                    .with_source(RequestError::CancelledWindow));
            }
        };
        Ok(GetPurchaseOrdersParams {
            limit: Some(query.limit),
            created_after: created.0,
            created_before: created.1,
            changed_after: changed.0,
            changed_before: changed.1,
            next_token: query.next_token.clone(),
            include_details: Some(true),
            ..GetPurchaseOrdersParams::default()
        })
    }

    /// The query pairs, in the model's order, absent parameters left out.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit.map(|l| l.to_string()));
        push(&mut pairs, "createdAfter", instant(&self.created_after));
        push(&mut pairs, "createdBefore", instant(&self.created_before));
        push(&mut pairs, "changedAfter", instant(&self.changed_after));
        push(&mut pairs, "changedBefore", instant(&self.changed_before));
        push(
            &mut pairs,
            "poItemState",
            self.po_item_state.map(|s| s.as_str().to_owned()),
        );
        push(&mut pairs, "isPOChanged", boolean(self.is_po_changed));
        push(
            &mut pairs,
            "purchaseOrderState",
            self.purchase_order_state
                .as_ref()
                .map(|s| s.as_str().to_owned()),
        );
        push(
            &mut pairs,
            "orderingVendorCode",
            self.ordering_vendor_code
                .as_ref()
                .map(|c| c.as_str().to_owned()),
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

/// The query of `getPurchaseOrdersStatus`, every parameter the model defines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetPurchaseOrdersStatusParams {
    /// `limit`: statuses per page, 1 to 100.
    pub limit: Option<u32>,
    /// `sortOrder`.
    pub sort_order: Option<SortOrder>,
    /// `nextToken`: the page to read.
    pub next_token: Option<String>,
    /// `createdAfter`.
    pub created_after: Option<DateTime<Utc>>,
    /// `createdBefore`.
    pub created_before: Option<DateTime<Utc>>,
    /// `updatedAfter`.
    pub updated_after: Option<DateTime<Utc>>,
    /// `updatedBefore`.
    pub updated_before: Option<DateTime<Utc>>,
    /// `purchaseOrderNumber`.
    pub purchase_order_number: Option<PurchaseOrderNumber>,
    /// `purchaseOrderStatus` (`OPEN`, `CLOSED`).
    pub purchase_order_status: Option<retail::PurchaseOrderStatus>,
    /// `itemConfirmationStatus` (`ACCEPTED`, `PARTIALLY_ACCEPTED`, `REJECTED`,
    /// `UNCONFIRMED`).
    pub item_confirmation_status: Option<retail::ConfirmationStatus>,
    /// `itemReceiveStatus` (`NOT_RECEIVED`, `PARTIALLY_RECEIVED`, `RECEIVED`).
    pub item_receive_status: Option<retail::ReceiveStatus>,
    /// `orderingVendorCode`.
    pub ordering_vendor_code: Option<PartyId>,
    /// `shipToPartyId`.
    pub ship_to_party_id: Option<PartyId>,
}

impl GetPurchaseOrdersStatusParams {
    /// The query pairs, in the model's order, absent parameters left out.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let text = |s: Option<&str>| s.map(str::to_owned);
        let mut pairs = Vec::new();
        push(&mut pairs, "limit", self.limit.map(|l| l.to_string()));
        push(
            &mut pairs,
            "sortOrder",
            self.sort_order.map(|s| s.as_str().to_owned()),
        );
        push(&mut pairs, "nextToken", self.next_token.clone());
        push(&mut pairs, "createdAfter", instant(&self.created_after));
        push(&mut pairs, "createdBefore", instant(&self.created_before));
        push(&mut pairs, "updatedAfter", instant(&self.updated_after));
        push(&mut pairs, "updatedBefore", instant(&self.updated_before));
        push(
            &mut pairs,
            "purchaseOrderNumber",
            text(self.purchase_order_number.as_ref().map(|n| n.as_str())),
        );
        push(
            &mut pairs,
            "purchaseOrderStatus",
            text(self.purchase_order_status.as_ref().map(|s| s.as_str())),
        );
        push(
            &mut pairs,
            "itemConfirmationStatus",
            text(self.item_confirmation_status.as_ref().map(|s| s.as_str())),
        );
        push(
            &mut pairs,
            "itemReceiveStatus",
            text(self.item_receive_status.as_ref().map(|s| s.as_str())),
        );
        push(
            &mut pairs,
            "orderingVendorCode",
            text(self.ordering_vendor_code.as_ref().map(|c| c.as_str())),
        );
        push(
            &mut pairs,
            "shipToPartyId",
            text(self.ship_to_party_id.as_ref().map(|c| c.as_str())),
        );
        pairs
    }
}

fn get(path: String, query: Vec<(String, String)>) -> HttpRequest {
    let mut request = HttpRequest::new(HttpMethod::Get, path).with_header(ACCEPT, JSON);
    request.query = query;
    request
}

/// `GET /vendor/orders/v1/purchaseOrders` with these parameters.
pub fn purchase_orders_request(params: &GetPurchaseOrdersParams) -> HttpRequest {
    get(
        format!("{ORDERS_PATH}/purchaseOrders"),
        params.query_pairs(),
    )
}

/// Reads the answer of `getPurchaseOrders`: the orders of `payload.orders`, each read on
/// its own so an unreadable one lands in [`Page::malformed`], and the next token from
/// `payload.pagination.nextToken`.
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`]; a 2xx whose body holds no
/// `payload` list, [`ErrorKind::Transient`].
pub fn read_purchase_orders(response: &HttpResponse) -> Result<Page<retail::Order>, ClientError> {
    if !response.is_success() {
        return Err(classify_error(GET_PURCHASE_ORDERS, response));
    }
    let body = json_body(GET_PURCHASE_ORDERS, response)?;
    read_page(GET_PURCHASE_ORDERS, response, body.get("payload"), "orders")
}

/// `GET /vendor/orders/v1/purchaseOrders/{purchaseOrderNumber}`.
pub fn purchase_order_request(number: &PurchaseOrderNumber) -> HttpRequest {
    get(
        format!(
            "{ORDERS_PATH}/purchaseOrders/{}",
            percent_encode(number.as_str())
        ),
        Vec::new(),
    )
}

/// Reads the answer of `getPurchaseOrder`: the order in `payload`.
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`] (404 is
/// [`ErrorKind::NotFound`]); a 2xx without a readable `payload`,
/// [`ErrorKind::Transient`].
pub fn read_purchase_order(response: &HttpResponse) -> Result<retail::Order, ClientError> {
    if !response.is_success() {
        return Err(classify_error(GET_PURCHASE_ORDER, response));
    }
    let body: retail::GetPurchaseOrderResponse = typed(
        GET_PURCHASE_ORDER,
        response,
        json_body(GET_PURCHASE_ORDER, response)?,
    )?;
    body.payload
        .ok_or_else(|| unreadable(GET_PURCHASE_ORDER, response, "the answer has no `payload`"))
}

/// `POST /vendor/orders/v1/acknowledgements` with this body, written exactly as the
/// model spells it (no `null`, no extra field).
///
/// # Errors
/// [`ErrorKind::Rejected`] with [`RequestError::Body`] if the body cannot be written.
pub fn submit_acknowledgement_request(
    body: &retail::SubmitAcknowledgementRequest,
) -> Result<HttpRequest, ClientError> {
    let bytes = serde_json::to_vec(body).map_err(|e| {
        ClientError::new(ErrorKind::Rejected, SUBMIT_ACKNOWLEDGEMENT)
            .with_source(RequestError::Body(e))
    })?;
    Ok(
        HttpRequest::new(HttpMethod::Post, format!("{ORDERS_PATH}/acknowledgements"))
            .with_header(ACCEPT, JSON)
            .with_json_body(bytes),
    )
}

/// Reads the answer of `submitAcknowledgement` (202): `payload.transactionId`.
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`]; a 2xx without a usable
/// transaction id, [`ErrorKind::Transient`] (the batch may have been taken: check the
/// orders before sending it again).
pub fn read_submit_acknowledgement(response: &HttpResponse) -> Result<TransactionId, ClientError> {
    if !response.is_success() {
        return Err(classify_error(SUBMIT_ACKNOWLEDGEMENT, response));
    }
    let body: retail::SubmitAcknowledgementResponse = typed(
        SUBMIT_ACKNOWLEDGEMENT,
        response,
        json_body(SUBMIT_ACKNOWLEDGEMENT, response)?,
    )?;
    transaction_id(SUBMIT_ACKNOWLEDGEMENT, response, body.transaction_id())
}

pub(super) fn transaction_id(
    operation: &str,
    response: &HttpResponse,
    id: Option<&str>,
) -> Result<TransactionId, ClientError> {
    let id =
        id.ok_or_else(|| unreadable(operation, response, "the answer has no `transactionId`"))?;
    TransactionId::new(id).map_err(|e| unreadable(operation, response, e))
}

/// `GET /vendor/orders/v1/purchaseOrdersStatus` with these parameters.
pub fn purchase_orders_status_request(params: &GetPurchaseOrdersStatusParams) -> HttpRequest {
    get(
        format!("{ORDERS_PATH}/purchaseOrdersStatus"),
        params.query_pairs(),
    )
}

/// Reads the answer of `getPurchaseOrdersStatus`: `payload.ordersStatus`, each read on
/// its own, and `payload.pagination.nextToken`.
///
/// # Errors
/// As [`read_purchase_orders`].
pub fn read_purchase_orders_status(
    response: &HttpResponse,
) -> Result<Page<retail::OrderStatus>, ClientError> {
    if !response.is_success() {
        return Err(classify_error(GET_PURCHASE_ORDERS_STATUS, response));
    }
    let body = json_body(GET_PURCHASE_ORDERS_STATUS, response)?;
    read_page(
        GET_PURCHASE_ORDERS_STATUS,
        response,
        body.get("payload"),
        "ordersStatus",
    )
}

/// `GET /vendor/transactions/v1/transactions/{transactionId}` (the model's path; an
/// old guide printed `/transactionStatus/`, which does not exist).
pub fn transaction_request(id: &TransactionId) -> HttpRequest {
    get(
        format!(
            "{TRANSACTIONS_PATH}/transactions/{}",
            percent_encode(id.as_str())
        ),
        Vec::new(),
    )
}

/// Reads the answer of `getTransaction`: `payload.transactionStatus`. Amazon never
/// reports `Success` for a retail acknowledgement: `Processing` for 15 minutes means
/// taken, and [`RetailOrdersApi::purchase_order_status`] shows how.
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`]; a 2xx without a transaction,
/// [`ErrorKind::Transient`].
pub fn read_transaction(response: &HttpResponse) -> Result<TransactionOutcome, ClientError> {
    if !response.is_success() {
        return Err(classify_error(GET_TRANSACTION, response));
    }
    let body: transaction::GetTransactionResponse = typed(
        GET_TRANSACTION,
        response,
        json_body(GET_TRANSACTION, response)?,
    )?;
    body.transaction().map(transaction_outcome).ok_or_else(|| {
        unreadable(
            GET_TRANSACTION,
            response,
            "the answer has no `transactionStatus`",
        )
    })
}

/// Retail Procurement over an [`HttpTransport`]: implements [`RetailOrdersApi`], and
/// offers every parameter of the list operations through its own methods.
///
/// The transport must reach the SP-API host of the vendor's region and add the Login
/// with Amazon access token (see [`HttpTransport`]).
#[derive(Debug, Clone)]
pub struct SpApiRetailClient<T> {
    transport: T,
    sort_order: Option<SortOrder>,
    paging_retries: u32,
}

impl<T: HttpTransport> SpApiRetailClient<T> {
    /// A client over `transport`: no `sortOrder` sent, a 400 while paging sent again
    /// [`DEFAULT_PAGING_RETRIES`] times.
    pub fn new(transport: T) -> Self {
        SpApiRetailClient {
            transport,
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
    /// (0 to never). The retries follow at once: the library never sleeps.
    pub fn with_paging_retries(mut self, retries: u32) -> Self {
        self.paging_retries = retries;
        self
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// One page of `getPurchaseOrders` with any of the model's parameters.
    ///
    /// # Errors
    /// As [`read_purchase_orders`], or the transport's failure.
    pub async fn get_purchase_orders(
        &self,
        params: &GetPurchaseOrdersParams,
    ) -> Result<Page<retail::Order>, ClientError> {
        exchange(
            &self.transport,
            GET_PURCHASE_ORDERS,
            purchase_orders_request(params),
            self.paging_retries,
            read_purchase_orders,
        )
        .await
    }

    /// Submits an acknowledgement body as given (the trait's
    /// [`RetailOrdersApi::submit_acknowledgements`] builds it from the domain).
    /// Never retried.
    ///
    /// # Errors
    /// As [`read_submit_acknowledgement`], or the transport's failure.
    pub async fn submit_acknowledgement(
        &self,
        body: &retail::SubmitAcknowledgementRequest,
    ) -> Result<TransactionId, ClientError> {
        let request = submit_acknowledgement_request(body)?;
        exchange(
            &self.transport,
            SUBMIT_ACKNOWLEDGEMENT,
            request,
            0,
            read_submit_acknowledgement,
        )
        .await
    }

    /// One page of `getPurchaseOrdersStatus` with any of the model's parameters.
    ///
    /// # Errors
    /// As [`read_purchase_orders_status`], or the transport's failure.
    pub async fn get_purchase_orders_status(
        &self,
        params: &GetPurchaseOrdersStatusParams,
    ) -> Result<Page<retail::OrderStatus>, ClientError> {
        exchange(
            &self.transport,
            GET_PURCHASE_ORDERS_STATUS,
            purchase_orders_status_request(params),
            self.paging_retries,
            read_purchase_orders_status,
        )
        .await
    }
}

#[async_trait]
impl<T: HttpTransport> RetailOrdersApi for SpApiRetailClient<T> {
    async fn purchase_orders(
        &self,
        query: &OrderQuery,
    ) -> Result<Page<retail::Order>, ClientError> {
        let params = GetPurchaseOrdersParams {
            sort_order: self.sort_order,
            ..GetPurchaseOrdersParams::from_query(query)?
        };
        self.get_purchase_orders(&params).await
    }

    async fn purchase_order(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<retail::Order, ClientError> {
        exchange(
            &self.transport,
            GET_PURCHASE_ORDER,
            purchase_order_request(number),
            0,
            read_purchase_order,
        )
        .await
    }

    async fn submit_acknowledgements(
        &self,
        acknowledgements: &[RetailAcknowledgement],
    ) -> Result<TransactionId, ClientError> {
        self.submit_acknowledgement(&retail::SubmitAcknowledgementRequest::from_domain(
            acknowledgements,
        ))
        .await
    }

    async fn transaction_status(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionOutcome, ClientError> {
        exchange(
            &self.transport,
            GET_TRANSACTION,
            transaction_request(id),
            0,
            read_transaction,
        )
        .await
    }

    /// Asks with `purchaseOrderNumber` alone and keeps only a status naming that PO
    /// (Amazon has answered filtered calls with every PO), following up to five pages
    /// with the filter resent.
    async fn purchase_order_status(
        &self,
        number: &PurchaseOrderNumber,
    ) -> Result<Option<retail::OrderStatus>, ClientError> {
        let mut params = GetPurchaseOrdersStatusParams {
            purchase_order_number: Some(number.clone()),
            ..GetPurchaseOrdersStatusParams::default()
        };
        for _ in 0..MAX_STATUS_PAGES {
            let page = self.get_purchase_orders_status(&params).await?;
            if let Some(status) = page
                .orders
                .into_iter()
                .find(|s| s.purchase_order_number.as_deref() == Some(number.as_str()))
            {
                return Ok(Some(status));
            }
            match page.next_token {
                Some(token) if params.next_token.as_deref() != Some(token.as_str()) => {
                    params.next_token = Some(token);
                }
                _ => break,
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpResponse;

    use crate::http::script::{Script, block_on};

    fn query(token: Option<&str>) -> OrderQuery {
        OrderQuery {
            kind: WindowKind::Created,
            after: "2025-03-01T00:00:00Z".parse().unwrap(),
            before: "2025-03-07T12:30:00.250Z".parse().unwrap(),
            limit: 50,
            next_token: token.map(str::to_owned),
        }
    }

    #[test]
    fn the_list_request_carries_both_bounds_in_utc() {
        let request =
            purchase_orders_request(&GetPurchaseOrdersParams::from_query(&query(None)).unwrap());
        assert_eq!(request.method, HttpMethod::Get);
        assert_eq!(request.path, "/vendor/orders/v1/purchaseOrders");
        assert_eq!(
            request.query,
            [
                ("limit", "50"),
                ("createdAfter", "2025-03-01T00:00:00Z"),
                ("createdBefore", "2025-03-07T12:30:00.250Z"),
                ("includeDetails", "true"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert_eq!(request.header("accept"), Some("application/json"));
        assert!(request.body.is_empty());
    }

    #[test]
    fn every_filter_is_spelt_as_the_model_spells_it() {
        let params = GetPurchaseOrdersParams {
            po_item_state: Some(PoItemState::Cancelled),
            is_po_changed: Some(false),
            purchase_order_state: Some(retail::PurchaseOrderState::Acknowledged),
            ordering_vendor_code: Some("API01".parse().unwrap()),
            sort_order: Some(SortOrder::Ascending),
            include_details: Some(false),
            ..GetPurchaseOrdersParams::default()
        };
        assert_eq!(
            purchase_orders_request(&params).path_and_query(),
            "/vendor/orders/v1/purchaseOrders?poItemState=Cancelled&isPOChanged=false\
             &purchaseOrderState=Acknowledged&orderingVendorCode=API01&sortOrder=ASC\
             &includeDetails=false"
        );
        let status = GetPurchaseOrdersStatusParams {
            purchase_order_number: Some("TestPO2".parse().unwrap()),
            item_confirmation_status: Some(retail::ConfirmationStatus::Unconfirmed),
            updated_after: Some("2020-08-16T00:00:00Z".parse().unwrap()),
            ..GetPurchaseOrdersStatusParams::default()
        };
        assert_eq!(
            purchase_orders_status_request(&status).path_and_query(),
            "/vendor/orders/v1/purchaseOrdersStatus?updatedAfter=2020-08-16T00%3A00%3A00Z\
             &purchaseOrderNumber=TestPO2&itemConfirmationStatus=UNCONFIRMED"
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        let number: PurchaseOrderNumber = "A/B?C".parse().unwrap();
        assert_eq!(
            purchase_order_request(&number).path,
            "/vendor/orders/v1/purchaseOrders/A%2FB%3FC"
        );
        assert_eq!(
            transaction_request(&"20190108091302-6ca0ac50".parse().unwrap()).path,
            "/vendor/transactions/v1/transactions/20190108091302-6ca0ac50"
        );
    }

    #[test]
    fn a_page_is_read_from_the_payload() {
        let response = HttpResponse::new(
            200,
            br#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[{"purchaseOrderNumber":"2JK3S9XY","purchaseOrderState":"New"}]}}"#.to_vec(),
        );
        let page = read_purchase_orders(&response).unwrap();
        assert_eq!(page.next_token.as_deref(), Some("MDAwMDAwMDAwMQ=="));
        assert_eq!(page.orders.len(), 1);
        // A token at the top level is not where Amazon puts it.
        let misplaced = HttpResponse::new(
            200,
            br#"{"pagination":{"nextToken":"x"},"payload":{"orders":[]}}"#.to_vec(),
        );
        assert_eq!(read_purchase_orders(&misplaced).unwrap().next_token, None);
        let empty = HttpResponse::new(200, b"{}".to_vec());
        assert_eq!(
            read_purchase_orders(&empty).unwrap_err().kind,
            ErrorKind::Transient
        );
    }

    #[test]
    fn the_acknowledgement_answer_is_the_transaction_id() {
        let response = HttpResponse::new(
            202,
            br#"{"payload":{"transactionId":"20190827182357-8725bde9"}}"#.to_vec(),
        );
        assert_eq!(
            read_submit_acknowledgement(&response).unwrap().as_str(),
            "20190827182357-8725bde9"
        );
        let lost = HttpResponse::new(202, br#"{"payload":{}}"#.to_vec());
        assert_eq!(
            read_submit_acknowledgement(&lost).unwrap_err().kind,
            ErrorKind::Transient
        );
        let request =
            submit_acknowledgement_request(&retail::SubmitAcknowledgementRequest::from_domain(&[]))
                .unwrap();
        assert_eq!(request.body, br#"{"acknowledgements":[]}"#);
        assert_eq!(request.header("content-type"), Some("application/json"));
    }

    #[test]
    fn a_400_while_paging_is_sent_again_and_the_filters_are_resent() {
        let invalid = || {
            HttpResponse::new(
                400,
                br#"{"errors":[{"code":"InvalidInput","message":"Invalid Input"}]}"#.to_vec(),
            )
        };
        let ok = HttpResponse::new(200, br#"{"payload":{"orders":[]}}"#.to_vec());
        let client = SpApiRetailClient::new(Script::new(vec![invalid(), invalid(), ok]));
        let page = block_on(client.purchase_orders(&query(Some("T1")))).unwrap();
        assert!(page.orders.is_empty());
        let sent = client.transport().sent.lock().unwrap();
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(|r| r == &sent[0]));
        assert_eq!(sent[0].query_value("nextToken"), Some("T1"));
        assert_eq!(
            sent[0].query_value("createdAfter"),
            Some("2025-03-01T00:00:00Z")
        );
        drop(sent);

        // Without a token a 400 is final; with one, after the retries it is too.
        let client = SpApiRetailClient::new(Script::new(vec![invalid()]));
        let err = block_on(client.purchase_orders(&query(None))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Rejected);
        let client =
            SpApiRetailClient::new(Script::new(vec![invalid(), invalid()])).with_paging_retries(1);
        let err = block_on(client.purchase_orders(&query(Some("T1")))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Rejected);
        assert_eq!(err.messages[0].code, "InvalidInput");
        assert_eq!(client.transport().sent.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_po_status_is_found_by_its_number_only() {
        let other = HttpResponse::new(
            200,
            br#"{"payload":{"pagination":{"nextToken":"N"},"ordersStatus":[{"purchaseOrderNumber":"OTHER"}]}}"#.to_vec(),
        );
        let mine = HttpResponse::new(
            200,
            br#"{"payload":{"ordersStatus":[{"purchaseOrderNumber":"TestPO2","purchaseOrderStatus":"OPEN"}]}}"#.to_vec(),
        );
        let client = SpApiRetailClient::new(Script::new(vec![other, mine]));
        let status = block_on(client.purchase_order_status(&"TestPO2".parse().unwrap()))
            .unwrap()
            .unwrap();
        assert_eq!(
            status.purchase_order_status,
            Some(retail::PurchaseOrderStatus::Open)
        );
        let sent = client.transport().sent.lock().unwrap();
        assert_eq!(sent[1].query_value("purchaseOrderNumber"), Some("TestPO2"));
        assert_eq!(sent[1].query_value("nextToken"), Some("N"));
    }

    #[test]
    fn a_cancelled_window_is_refused_before_sending() {
        let cancelled = OrderQuery {
            kind: WindowKind::Cancelled,
            ..query(None)
        };
        let client = SpApiRetailClient::new(Script::new(vec![]));
        let err = block_on(client.purchase_orders(&cancelled)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Rejected);
        assert!(
            std::error::Error::source(&err)
                .unwrap()
                .to_string()
                .contains("cannot be listed as cancelled")
        );
        assert!(client.transport().sent().is_empty());
    }

    #[test]
    fn transport_failures_are_classified() {
        let client = SpApiRetailClient::new(Script::new(vec![]));
        let err = block_on(client.purchase_order(&"X".parse().unwrap())).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transient);
        assert_eq!(err.operation, "getPurchaseOrder");
    }
}
