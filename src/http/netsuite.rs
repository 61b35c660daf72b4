//! NetSuite SuiteTalk REST over an [`HttpTransport`]: request builders, response
//! readers and [`NetSuiteRestClient`].
//!
//! # Creating without duplicates
//!
//! A sales order is created with the **safe create pattern** (netsuite notes §3), not
//! with `PUT /salesOrder/eid:{externalId}`:
//!
//! 1. `GET /salesOrder/eid:{externalId}?expandSubResources=true`: an order that exists
//!    is the answer. It is not created again but brought to the draft (the create may be
//!    sent again after a lost answer with a newer draft): one `PATCH` of what differs,
//!    as [`SalesOrderChanges::towards`] computes it from the lines just read, each
//!    matched by its `line` key;
//! 2. otherwise `POST /salesOrder` with the `externalId` in the body; NetSuite answers
//!    204 with the new record's URL in `Location` (without one, the order is read back
//!    as in step 1);
//! 3. a 400 on create is checked again by `eid:` (NetSuite refuses a second record with
//!    the same external id, so a create whose first answer was lost shows up here),
//!    and an order found is brought to the draft as in step 1; any other failure is
//!    returned, and the next call starts again at step 1.
//!
//! Why not the single upsert call: on an existing order, `PUT` re-applies the whole
//! body, every header field included, and its lines carry no `line` key, so NetSuite
//! appends them instead of matching them: a repeated upsert after a lost answer would
//! double every line. NetSuite's unique external id makes the `POST` safe on its own;
//! the read before it makes a repeat cheap. Changes to an existing order go through
//! [`NetSuiteApi::update_sales_order`], which patches only the lines it names, by
//! their `line` key.
//!
//! # Time zones
//!
//! SuiteQL returns and compares `lastmodifieddate` in the time zone of the NetSuite
//! user the integration logs in as. The client turns a UTC watermark into that zone
//! and the rows' times back into UTC with a fixed offset
//! ([`NetSuiteRestClient::with_user_utc_offset`], UTC unless set). Set the
//! integration user's time zone to GMT, or give its offset here; with a zone that
//! observes daylight saving, keep the sync's overlap window longer than the hour the
//! clocks move.
//!
//! # Errors
//!
//! [`classify_error`] reads `o:errorDetails`: `CONCURRENCY_LIMIT_EXCEEDED` (HTTP 429)
//! is rate limited, `INVALID_CONTENT` and every other 400 rejected with the detail and
//! its `o:errorPath`, 404 `NONEXISTENT_ID` not found (a read answers `None`), 5xx
//! transient, 401 `INVALID_LOGIN` unauthorized. Community reports say NetSuite has
//! also answered `INVALID_LOGIN` when the concurrency limit was hit: an integrator
//! whose credentials are known good may retry an unauthorized answer a few times
//! before treating it as fatal.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};

use super::{
    ACCEPT, HttpMethod, HttpRequest, HttpResponse, HttpTransport, JSON, RequestError, StatusError,
    percent_encode, unreadable,
};
use crate::client::{ClientError, ErrorKind, NetSuiteApi, SalesOrderChange, ServiceMessage};
use crate::ids::{ExternalId, InternalId};
use crate::netsuite::{
    BodyError, ChangedSalesOrderRow, ErrorBody, ItemSublist, LinePatch, PREFER, PREFER_TRANSIENT,
    PROPERTY_NAME_VALIDATION, RECORD_API_PATH, RecordRef, SALES_ORDER_RECORD_TYPE,
    SUITEQL_MAX_LIMIT, SUITEQL_PATH, SalesOrderBody, SalesOrderLine, SalesOrderPatch,
    SalesOrderRecord, SalesOrderRecordLine, SuiteQlPage, SuiteQlRequest, VALIDATION_ERROR,
    internal_id_from_location,
};
use crate::sales_order::{
    LINE_SEQUENCE_FIELD, SalesOrderChanges, SalesOrderDraft, SalesOrderLineDraft,
    SalesOrderSnapshot,
};

const UPSERT: &str = "upsert salesOrder";
const READ: &str = "read salesOrder";
const UPDATE: &str = "update salesOrder";
const CLOSE: &str = "close salesOrder";
const SUITEQL: &str = "suiteql";

/// The external id prefix [`NetSuiteRestClient`] looks for unless told otherwise.
pub const DEFAULT_EXTERNAL_ID_PREFIX: &str = "AVC-";

/// The most SuiteQL pages one call of
/// [`NetSuiteApi::changed_sales_orders`] reads: 100 pages of 1000 rows is the 100,000
/// rows a SuiteQL query can return at all.
const MAX_SUITEQL_PAGES: u32 = 100;

/// The prefix of a custom line field's script id.
const CUSTOM_LINE_PREFIX: &str = "custcol_";

/// `/services/rest/record/v1/salesOrder`.
pub fn sales_order_path() -> String {
    format!("{RECORD_API_PATH}/{SALES_ORDER_RECORD_TYPE}")
}

/// `/services/rest/record/v1/salesOrder/eid:{externalId}`.
pub fn sales_order_eid_path(external_id: &ExternalId) -> String {
    format!(
        "{}/eid:{}",
        sales_order_path(),
        percent_encode(external_id.as_str())
    )
}

/// A request with the headers every NetSuite call carries: `accept` JSON and
/// `X-NetSuite-PropertyNameValidation: Error`, so a misspelt field fails loudly
/// instead of being dropped.
fn request(method: HttpMethod, path: String) -> HttpRequest {
    HttpRequest::new(method, path)
        .with_header(ACCEPT, JSON)
        .with_header(PROPERTY_NAME_VALIDATION, VALIDATION_ERROR)
}

fn json<B: serde::Serialize>(operation: &str, body: &B) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(body).map_err(|e| {
        ClientError::new(ErrorKind::Rejected, operation).with_source(RequestError::Body(e))
    })
}

/// `GET /salesOrder/eid:{externalId}`, with `expandSubResources=true` when `lines` is
/// set so the `item` lines come inline.
pub fn read_request(external_id: &ExternalId, lines: bool) -> HttpRequest {
    let request = request(HttpMethod::Get, sales_order_eid_path(external_id));
    if lines {
        request.with_query("expandSubResources", "true")
    } else {
        request
    }
}

/// `POST /salesOrder` with this body.
///
/// # Errors
/// [`ErrorKind::Rejected`] with [`RequestError::Body`] if the body cannot be written.
pub fn create_request(body: &SalesOrderBody) -> Result<HttpRequest, ClientError> {
    Ok(request(HttpMethod::Post, sales_order_path()).with_json_body(json(UPSERT, body)?))
}

/// `PATCH /salesOrder/eid:{externalId}` with this body, without `replace`: lines it
/// names by `line` change, lines without a key are added, the others stay.
///
/// # Errors
/// [`ErrorKind::Rejected`] with [`RequestError::Body`] if the body cannot be written.
pub fn patch_request(
    external_id: &ExternalId,
    body: &SalesOrderBody,
) -> Result<HttpRequest, ClientError> {
    Ok(
        request(HttpMethod::Patch, sales_order_eid_path(external_id))
            .with_json_body(json(UPDATE, body)?),
    )
}

/// `POST /services/rest/query/v1/suiteql?limit=…&offset=…` with `Prefer: transient`,
/// which SuiteQL requires, and the body `{"q": …}`: REST binds no parameters, so the
/// query carries its values as literals (see [`SuiteQlRequest`]).
///
/// # Errors
/// [`ErrorKind::Rejected`] with [`RequestError::Body`] if the body cannot be written.
///
/// # Example
/// ```
/// use avc_order_sync::http::netsuite::suiteql_request;
/// use avc_order_sync::netsuite::{SuiteQlRequest, string_literal};
/// let query = SuiteQlRequest::new(format!(
///     "SELECT id FROM transaction WHERE externalid = {}",
///     string_literal("AVC-RP-4Z32PABC"),
/// ));
/// let request = suiteql_request(&query, 1000, 2000)?;
/// assert_eq!(request.path_and_query(), "/services/rest/query/v1/suiteql?limit=1000&offset=2000");
/// assert_eq!(request.header("Prefer"), Some("transient"));
/// let body: serde_json::Value = serde_json::from_slice(&request.body)?;
/// assert_eq!(body, serde_json::json!({"q": "SELECT id FROM transaction WHERE externalid = 'AVC-RP-4Z32PABC'"}));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn suiteql_request(
    query: &SuiteQlRequest,
    limit: u32,
    offset: u64,
) -> Result<HttpRequest, ClientError> {
    Ok(request(HttpMethod::Post, SUITEQL_PATH.to_owned())
        .with_query("limit", limit.to_string())
        .with_query("offset", offset.to_string())
        .with_header(PREFER, PREFER_TRANSIENT)
        .with_json_body(json(SUITEQL, query)?))
}

/// Classifies an answer that is not a success, from its status and `o:errorDetails`.
///
/// | answer | kind |
/// |---|---|
/// | 429, or `CONCURRENCY_LIMIT_EXCEEDED` in any status | [`ErrorKind::RateLimited`] (`Retry-After` when sent) |
/// | 401 (`INVALID_LOGIN`), 403 | [`ErrorKind::Unauthorized`] (see the module's note on `INVALID_LOGIN`) |
/// | 404 (`NONEXISTENT_ID`) | [`ErrorKind::NotFound`] |
/// | 5xx (`UNEXPECTED_ERROR`) | [`ErrorKind::Transient`] |
/// | other 4xx (`INVALID_CONTENT`, `USER_ERROR`, …) | [`ErrorKind::Rejected`] |
/// | anything else | [`ErrorKind::Transient`] |
///
/// Each detail becomes a message: its `o:errorCode` (or the body's), its `detail`, and
/// its `o:errorPath` as the field.
///
/// # Example
/// ```
/// use avc_order_sync::http::HttpResponse;
/// use avc_order_sync::http::netsuite::classify_error;
/// use avc_order_sync::ErrorKind;
/// let response = HttpResponse::new(400, br#"{"status":400,"o:errorDetails":[{"detail":"Invalid value for item.","o:errorCode":"INVALID_CONTENT","o:errorPath":"item.items[0].item"}]}"#.to_vec());
/// let error = classify_error("upsert salesOrder", &response);
/// assert_eq!(error.kind, ErrorKind::Rejected);
/// assert_eq!(error.messages[0].code, "INVALID_CONTENT");
/// assert_eq!(error.messages[0].field.as_deref(), Some("item.items[0].item"));
/// ```
pub fn classify_error(operation: &str, response: &HttpResponse) -> ClientError {
    let body = ErrorBody::parse(&response.body).ok();
    let concurrency =
        response.status == 429 || body.as_ref().is_some_and(ErrorBody::is_concurrency_limit);
    let kind = if concurrency {
        ErrorKind::RateLimited {
            retry_after: super::retry_after_header(response),
        }
    } else {
        match response.status {
            401 | 403 => ErrorKind::Unauthorized,
            404 => ErrorKind::NotFound,
            500..=599 => ErrorKind::Transient,
            400..=499 => ErrorKind::Rejected,
            _ => ErrorKind::Transient,
        }
    };
    let messages = body
        .map(|body| {
            body.error_details
                .iter()
                .map(|detail| ServiceMessage {
                    code: detail
                        .error_code
                        .clone()
                        .or_else(|| body.error_code.clone())
                        .unwrap_or_default(),
                    message: detail.detail.clone().unwrap_or_default(),
                    field: detail.error_path.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    ClientError::new(kind, operation)
        .with_messages(messages)
        .with_source(StatusError::of(response))
}

/// Reads the answer of a create: the new record's internal id from the `Location`
/// header of a 2xx; `None` when the header is missing or names no id (read the order by
/// its external id instead).
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`].
pub fn read_created(response: &HttpResponse) -> Result<Option<InternalId>, ClientError> {
    if !response.is_success() {
        return Err(classify_error(UPSERT, response));
    }
    Ok(response
        .header(crate::netsuite::LOCATION)
        .and_then(|location| internal_id_from_location(location).ok()))
}

/// Reads the answer of a read: the record, or `None` for 404 (`NONEXISTENT_ID`).
///
/// # Errors
/// Any other non-2xx answer classified by [`classify_error`]; a 2xx whose body is not
/// a record, [`ErrorKind::Transient`].
pub fn read_record(response: &HttpResponse) -> Result<Option<SalesOrderRecord>, ClientError> {
    if response.status == 404 {
        return Ok(None);
    }
    if !response.is_success() {
        return Err(classify_error(READ, response));
    }
    serde_json::from_slice(&response.body)
        .map(Some)
        .map_err(|e| unreadable(READ, response, e))
}

/// Reads the answer of a `PATCH` (204).
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`] (404 is [`ErrorKind::NotFound`]).
pub fn read_patched(response: &HttpResponse) -> Result<(), ClientError> {
    if response.is_success() {
        Ok(())
    } else {
        Err(classify_error(UPDATE, response))
    }
}

/// Reads one SuiteQL page.
///
/// # Errors
/// A non-2xx answer classified by [`classify_error`]; a 2xx whose body is not a page,
/// [`ErrorKind::Transient`].
pub fn read_suiteql_page(response: &HttpResponse) -> Result<SuiteQlPage, ClientError> {
    if !response.is_success() {
        return Err(classify_error(SUITEQL, response));
    }
    serde_json::from_slice(&response.body).map_err(|e| unreadable(SUITEQL, response, e))
}

/// The `PATCH` body for an update: the status, the ship date, the lines it names
/// matched to the record's `line` keys through [`LINE_SEQUENCE_FIELD`], and the new
/// lines appended (they carry no key). Lines not named stay as they are.
///
/// # Errors
/// [`RequestError::UnknownLine`] when a line update names a PO line none of `lines`
/// carries; [`RequestError::NetSuiteBody`] when a rate cannot be written exactly, two
/// updates name one line, or a new line's custom field lacks its `custcol_` prefix.
pub fn update_body(
    external_id: &ExternalId,
    lines: &[SalesOrderRecordLine],
    update: &SalesOrderChanges,
) -> Result<SalesOrderBody, RequestError> {
    // The first line carrying a PO line is the one changed, as
    // [`SalesOrderChanges::towards`] compares it.
    let mut keys: BTreeMap<&str, u64> = BTreeMap::new();
    for line in lines {
        let sequence = line
            .other_fields
            .get(LINE_SEQUENCE_FIELD)
            .and_then(|s| s.as_str());
        if let (Some(sequence), Some(key)) = (sequence, line.line) {
            keys.entry(sequence).or_insert(key);
        }
    }
    let patches = update
        .line_fields()
        .into_iter()
        .map(|change| {
            let line = keys.get(change.sequence.as_str()).copied().ok_or_else(|| {
                RequestError::UnknownLine {
                    external_id: external_id.clone(),
                    sequence: change.sequence.clone(),
                }
            })?;
            Ok(LinePatch {
                item: change.item.cloned(),
                quantity: change.quantity,
                rate: change.rate,
                is_closed: change.close.then_some(true),
                ..LinePatch::new(line)
            })
        })
        .collect::<Result<Vec<_>, RequestError>>()?;
    let mut patch = SalesOrderPatch::lines(patches)?;
    if let Some(status) = update.status {
        patch = patch.with_status(status);
    }
    if let Some(date) = update.ship_date {
        patch = patch.with_ship_date(date);
    }
    let mut body = patch.as_body().clone();
    let new_lines = update
        .added_lines()
        .enumerate()
        .map(|(index, line)| new_line(index, line))
        .collect::<Result<Vec<_>, BodyError>>()?;
    if !new_lines.is_empty() {
        body.item
            .get_or_insert_with(ItemSublist::default)
            .items
            .extend(new_lines);
    }
    Ok(body)
}

/// A line to add, written as a create writes it: custom price level, exact amount, the
/// PO line in [`LINE_SEQUENCE_FIELD`].
fn new_line(index: usize, line: &SalesOrderLineDraft) -> Result<SalesOrderLine, BodyError> {
    let error = |field, error| BodyError::DraftLine {
        index,
        sequence: line.sequence.clone(),
        field,
        error,
    };
    line.rate.to_json_number().map_err(|e| error("rate", e))?;
    let quantity = i64::try_from(line.quantity).map_err(|_| {
        error(
            "amount",
            crate::decimal::DecimalError::Overflow {
                operation: format!("{} × {}", line.rate, line.quantity),
            },
        )
    })?;
    let amount = line
        .rate
        .checked_mul_quantity(quantity)
        .map_err(|e| error("amount", e))?;
    amount.to_json_number().map_err(|e| error("amount", e))?;
    let mut fields = crate::sales_order::CustomFields::new();
    for (name, value) in &line.custom_fields {
        if !name.starts_with(CUSTOM_LINE_PREFIX) || name.len() == CUSTOM_LINE_PREFIX.len() {
            return Err(BodyError::CustomFieldName {
                field: crate::text::excerpt(name),
                expected_prefix: CUSTOM_LINE_PREFIX,
            });
        }
        if !value.is_null() {
            fields.insert(name.clone(), value.clone());
        }
    }
    let sequence = serde_json::Value::String(line.sequence.as_str().to_owned());
    if let Some(found) = fields.get(LINE_SEQUENCE_FIELD).filter(|f| **f != sequence) {
        return Err(BodyError::SequenceConflict {
            index,
            sequence: line.sequence.clone(),
            found: crate::text::excerpt(&found.to_string()),
        });
    }
    fields.insert(LINE_SEQUENCE_FIELD.to_owned(), sequence);
    Ok(SalesOrderLine {
        line: None,
        item: Some(RecordRef::from(&line.item)),
        quantity: Some(line.quantity),
        rate: Some(line.rate),
        amount: Some(amount),
        price: Some(RecordRef::new(crate::netsuite::CUSTOM_PRICE_LEVEL)),
        description: line.description.clone(),
        is_closed: line.is_closed.then_some(true),
        custom_fields: fields,
    })
}

/// The `PATCH` that closes every open line (NetSuite then shows the order Closed), or
/// `None` when every line is closed already.
///
/// # Errors
/// [`BodyError::DuplicateLine`] when two lines of the record share a key.
pub fn close_body(lines: &[SalesOrderRecordLine]) -> Result<Option<SalesOrderPatch>, BodyError> {
    let open: Vec<LinePatch> = lines
        .iter()
        .filter(|line| line.is_closed != Some(true))
        .filter_map(|line| line.line.map(LinePatch::close))
        .collect();
    if open.is_empty() {
        return Ok(None);
    }
    SalesOrderPatch::lines(open).map(Some)
}

/// NetSuite's sales orders over an [`HttpTransport`]: implements [`NetSuiteApi`].
///
/// The transport must reach the account's host and add the OAuth 1.0a signature or
/// OAuth 2.0 bearer token (see [`HttpTransport`]).
#[derive(Debug, Clone)]
pub struct NetSuiteRestClient<T> {
    transport: T,
    user_utc_offset: FixedOffset,
    external_id_prefix: String,
    suiteql_page_size: u32,
}

impl<T: HttpTransport> NetSuiteRestClient<T> {
    /// A client over `transport`: the user's time zone UTC, external ids starting with
    /// [`DEFAULT_EXTERNAL_ID_PREFIX`], SuiteQL pages of 1000 rows.
    pub fn new(transport: T) -> Self {
        NetSuiteRestClient {
            transport,
            user_utc_offset: Utc.fix(),
            external_id_prefix: DEFAULT_EXTERNAL_ID_PREFIX.to_owned(),
            suiteql_page_size: SUITEQL_MAX_LIMIT,
        }
    }

    /// The UTC offset of the time zone set for the NetSuite user the integration logs
    /// in as: SuiteQL reads and compares `lastmodifieddate` in it (see the module's
    /// note on time zones).
    pub fn with_user_utc_offset(mut self, offset: FixedOffset) -> Self {
        self.user_utc_offset = offset;
        self
    }

    /// The start of the external ids the sync gives its sales orders (letters, digits
    /// and `-`; checked when the query is built).
    pub fn with_external_id_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.external_id_prefix = prefix.into();
        self
    }

    /// Rows per SuiteQL page, 1 to 1000.
    pub fn with_suiteql_page_size(mut self, rows: u32) -> Self {
        self.suiteql_page_size = rows.clamp(1, SUITEQL_MAX_LIMIT);
        self
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    async fn send(
        &self,
        operation: &str,
        request: HttpRequest,
    ) -> Result<HttpResponse, ClientError> {
        self.transport
            .send(request)
            .await
            .map_err(|e| e.into_client_error(operation))
    }

    /// The record with this external id, `None` when there is none.
    ///
    /// # Errors
    /// As [`read_record`], or the transport's failure.
    pub async fn record(
        &self,
        external_id: &ExternalId,
        lines: bool,
    ) -> Result<Option<SalesOrderRecord>, ClientError> {
        let response = self.send(READ, read_request(external_id, lines)).await?;
        read_record(&response)
    }

    /// The order with the draft's external id, brought to the draft: read once with
    /// its lines, and patched with [`SalesOrderChanges::towards`] when it differs.
    /// Its internal id; `None` when there is no such order.
    async fn bring_to_draft(
        &self,
        draft: &SalesOrderDraft,
    ) -> Result<Option<InternalId>, ClientError> {
        let external_id = &draft.external_id;
        let Some(record) = self.record(external_id, true).await? else {
            return Ok(None);
        };
        let snapshot = record.to_snapshot().map_err(|e| rejected(UPSERT, e))?;
        let update = SalesOrderChanges::towards(&snapshot, draft);
        if !update.is_empty() {
            let body = update_body(external_id, record.lines().unwrap_or_default(), &update)
                .map_err(|e| rejected(UPSERT, e))?;
            let response = self
                .send(UPSERT, patch_request(external_id, &body)?)
                .await?;
            read_patched(&response).map_err(|mut e| {
                e.operation = UPSERT.to_owned();
                e
            })?;
        }
        Ok(Some(snapshot.internal_id))
    }

    fn local_to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        self.user_utc_offset
            .from_local_datetime(&local)
            .single()
            .map(|t| t.with_timezone(&Utc))
    }
}

fn rejected(operation: &str, error: impl Into<RequestError>) -> ClientError {
    ClientError::new(ErrorKind::Rejected, operation).with_source(error.into())
}

#[async_trait]
impl<T: HttpTransport> NetSuiteApi for NetSuiteRestClient<T> {
    /// The safe create pattern described in the [module documentation](self): an order
    /// that already has the draft's external id is read once with its lines and
    /// brought to the draft with one `PATCH` of what differs
    /// ([`SalesOrderChanges::towards`]), never created again.
    async fn upsert_sales_order(&self, draft: &SalesOrderDraft) -> Result<InternalId, ClientError> {
        let body = SalesOrderBody::from_draft(draft).map_err(|e| rejected(UPSERT, e))?;
        let external_id = &draft.external_id;
        if let Some(id) = self.bring_to_draft(draft).await? {
            return Ok(id);
        }
        let response = self.send(UPSERT, create_request(&body)?).await?;
        match read_created(&response) {
            Ok(Some(id)) => Ok(id),
            Ok(None) => self.bring_to_draft(draft).await?.ok_or_else(|| {
                ClientError::new(ErrorKind::Transient, UPSERT).with_source(
                    RequestError::CreatedButNotFound {
                        external_id: external_id.clone(),
                    },
                )
            }),
            // A 400 may be NetSuite refusing a second order with this external id: the
            // first create went through and its answer was lost.
            Err(error) if response.status == 400 => match self.bring_to_draft(draft).await? {
                Some(id) => Ok(id),
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    async fn sales_order(
        &self,
        external_id: &ExternalId,
    ) -> Result<Option<SalesOrderSnapshot>, ClientError> {
        let Some(record) = self.record(external_id, true).await? else {
            return Ok(None);
        };
        record
            .to_snapshot()
            .map(Some)
            .map_err(|e| rejected(READ, e))
    }

    async fn changed_sales_orders(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<SalesOrderChange>, ClientError> {
        let since_local = since.with_timezone(&self.user_utc_offset).naive_local();
        let query = SuiteQlRequest::changed_sales_orders(&self.external_id_prefix, since_local)
            .map_err(|e| rejected(SUITEQL, e))?;
        let mut changes = Vec::new();
        let mut offset: u64 = 0;
        for pages in 1..=MAX_SUITEQL_PAGES {
            let request = suiteql_request(&query, self.suiteql_page_size, offset)?;
            let response = self.send(SUITEQL, request).await?;
            let page = read_suiteql_page(&response)?;
            for row in &page.items {
                let row = ChangedSalesOrderRow::from_row(row).map_err(|e| rejected(SUITEQL, e))?;
                let last_modified = self.local_to_utc(row.last_modified).ok_or_else(|| {
                    unreadable(SUITEQL, &response, "`lastmodifieddate` is out of range")
                })?;
                changes.push(SalesOrderChange {
                    external_id: row.external_id,
                    internal_id: row.id,
                    status: row.status,
                    last_modified,
                });
            }
            if !page.has_more {
                return Ok(changes);
            }
            // The next page starts after the rows read; a page that says more follow
            // but holds none would repeat forever.
            if page.items.is_empty() {
                return Err(ClientError::new(ErrorKind::Transient, SUITEQL)
                    .with_source(RequestError::Paging { pages }));
            }
            offset = offset.saturating_add(page.items.len() as u64);
        }
        Err(
            ClientError::new(ErrorKind::Transient, SUITEQL).with_source(RequestError::Paging {
                pages: MAX_SUITEQL_PAGES,
            }),
        )
    }

    async fn update_sales_order(
        &self,
        external_id: &ExternalId,
        update: &SalesOrderChanges,
    ) -> Result<(), ClientError> {
        if update.is_empty() {
            return Ok(());
        }
        let lines = if update.lines.is_empty() {
            Vec::new()
        } else {
            let record = self
                .record(external_id, true)
                .await?
                .ok_or_else(|| ClientError::new(ErrorKind::NotFound, UPDATE))?;
            record.lines().unwrap_or_default().to_vec()
        };
        let body = update_body(external_id, &lines, update).map_err(|e| rejected(UPDATE, e))?;
        let response = self
            .send(UPDATE, patch_request(external_id, &body)?)
            .await?;
        read_patched(&response)
    }

    async fn close_sales_order(&self, external_id: &ExternalId) -> Result<(), ClientError> {
        let record = self
            .record(external_id, true)
            .await?
            .ok_or_else(|| ClientError::new(ErrorKind::NotFound, CLOSE))?;
        let Some(patch) =
            close_body(record.lines().unwrap_or_default()).map_err(|e| rejected(CLOSE, e))?
        else {
            return Ok(());
        };
        let response = self
            .send(CLOSE, patch_request(external_id, patch.as_body())?)
            .await?;
        read_patched(&response).map_err(|mut e| {
            e.operation = CLOSE.to_owned();
            e
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::script::{Script, block_on};
    use crate::sales_order::LineChange;
    use crate::sales_order::{NetSuiteStatus, SalesOrderStatus};
    use serde_json::json;

    fn ext() -> ExternalId {
        "AVC-RP-4Z32PABC".parse().unwrap()
    }

    fn lines(value: serde_json::Value) -> Vec<SalesOrderRecordLine> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn requests_carry_the_validation_header() {
        let read = read_request(&ext(), true);
        assert_eq!(
            read.path_and_query(),
            "/services/rest/record/v1/salesOrder/eid:AVC-RP-4Z32PABC?expandSubResources=true"
        );
        assert_eq!(
            read.header("X-NetSuite-PropertyNameValidation"),
            Some("Error")
        );
        let create = create_request(&SalesOrderBody::default()).unwrap();
        assert_eq!(create.method, HttpMethod::Post);
        assert_eq!(create.path, "/services/rest/record/v1/salesOrder");
        assert_eq!(create.header("content-type"), Some("application/json"));
        let patch = patch_request(&ext(), &SalesOrderBody::default()).unwrap();
        assert_eq!(patch.method, HttpMethod::Patch);
        assert!(patch.query.is_empty(), "never `replace=item`");
    }

    #[test]
    fn the_new_id_comes_from_location() {
        let created = HttpResponse::new(204, Vec::new()).with_header(
            "Location",
            "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/salesOrder/987",
        );
        assert_eq!(read_created(&created).unwrap().unwrap().as_str(), "987");
        assert_eq!(
            read_created(&HttpResponse::new(204, Vec::new())).unwrap(),
            None
        );
    }

    #[test]
    fn errors_are_read_from_error_details() {
        let concurrency = HttpResponse::new(
            429,
            br#"{"status":429,"o:errorCode":"USER_ERROR","o:errorDetails":[{"detail":"Concurrent request limit exceeded. Request blocked.","o:errorCode":"CONCURRENCY_LIMIT_EXCEEDED"}]}"#.to_vec(),
        );
        let error = classify_error(UPSERT, &concurrency);
        assert_eq!(error.kind, ErrorKind::RateLimited { retry_after: None });
        assert_eq!(error.messages[0].code, "CONCURRENCY_LIMIT_EXCEEDED");
        let kind = |status, body: &str| {
            classify_error(READ, &HttpResponse::new(status, body.as_bytes().to_vec())).kind
        };
        assert_eq!(
            kind(
                400,
                r#"{"o:errorDetails":[{"o:errorCode":"CONCURRENCY_LIMIT_EXCEEDED"}]}"#
            ),
            ErrorKind::RateLimited { retry_after: None }
        );
        assert_eq!(
            kind(
                401,
                r#"{"o:errorDetails":[{"o:errorCode":"INVALID_LOGIN"}]}"#
            ),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind(
                404,
                r#"{"o:errorDetails":[{"o:errorCode":"NONEXISTENT_ID"}]}"#
            ),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(
                500,
                r#"{"o:errorDetails":[{"o:errorCode":"UNEXPECTED_ERROR"}]}"#
            ),
            ErrorKind::Transient
        );
        assert_eq!(kind(400, "<html>"), ErrorKind::Rejected);
        assert_eq!(
            read_record(&HttpResponse::new(404, Vec::new())).unwrap(),
            None
        );
    }

    #[test]
    fn updates_patch_only_the_lines_they_name() {
        let record_lines = lines(json!([
            {"line": 1, "custcol_avc_item_seq": "00001", "quantity": 10},
            {"line": 2, "custcol_avc_item_seq": "00002", "quantity": 5},
            {"line": 3, "quantity": 1}
        ]));
        let update = SalesOrderChanges {
            status: Some(SalesOrderStatus::PendingFulfillment),
            ship_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 12),
            lines: vec![
                LineChange::Add {
                    line: Box::new(SalesOrderLineDraft {
                        item: "98".parse().unwrap(),
                        quantity: 3,
                        rate: "2.5".parse().unwrap(),
                        sequence: "00003".parse().unwrap(),
                        description: None,
                        is_closed: false,
                        custom_fields: Default::default(),
                    }),
                },
                LineChange::Set {
                    sequence: "00002".parse().unwrap(),
                    item: Some("99".parse().unwrap()),
                    quantity: Some(4),
                    rate: Some("9.50".parse().unwrap()),
                },
            ],
        };
        let body = update_body(&ext(), &record_lines, &update).unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "orderStatus": {"id": "B"},
                "shipDate": "2025-03-12",
                "item": {"items": [
                    {"line": 2, "item": {"id": "99"}, "quantity": 4, "rate": 9.5, "amount": 38.0,
                     "price": {"id": "-1"}},
                    {"item": {"id": "98"}, "quantity": 3, "rate": 2.5, "amount": 7.5,
                     "price": {"id": "-1"}, "custcol_avc_item_seq": "00003"}
                ]}
            })
        );

        let unknown = SalesOrderChanges::closing(["1".parse().unwrap()]);
        let err = update_body(&ext(), &record_lines, &unknown).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sales order `AVC-RP-4Z32PABC` has no line for PO line 1"
        );
    }

    #[test]
    fn closing_patches_every_open_line() {
        let record_lines = lines(json!([
            {"line": 1, "isClosed": true},
            {"line": 2, "isClosed": false},
            {"line": 3}
        ]));
        let patch = close_body(&record_lines).unwrap().unwrap();
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!({"item": {"items": [{"line": 2, "isClosed": true}, {"line": 3, "isClosed": true}]}})
        );
        assert!(
            close_body(&lines(json!([{"line": 1, "isClosed": true}])))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn user_time_is_turned_into_utc() {
        let client = NetSuiteRestClient::new(())
            .with_user_utc_offset(FixedOffset::west_opt(8 * 3600).unwrap());
        let local =
            NaiveDateTime::parse_from_str("2025-03-01 06:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            client.local_to_utc(local).unwrap().to_rfc3339(),
            "2025-03-01T14:00:00+00:00"
        );
        assert_eq!(
            NetSuiteStatus::from_letter("B"),
            NetSuiteStatus::PendingFulfillment
        );
    }

    fn draft() -> SalesOrderDraft {
        SalesOrderDraft {
            external_id: ext(),
            customer: "1234".parse().unwrap(),
            subsidiary: None,
            location: None,
            custom_form: None,
            currency: None,
            tran_date: "2025-03-01".parse().unwrap(),
            ship_date: None,
            other_ref_num: "4Z32PABC".parse().unwrap(),
            memo: None,
            status: SalesOrderStatus::PendingApproval,
            shipping_address: None,
            lines: vec![SalesOrderLineDraft {
                item: "98".parse().unwrap(),
                quantity: 2,
                rate: "9.50".parse().unwrap(),
                sequence: "1".parse().unwrap(),
                description: None,
                is_closed: false,
                custom_fields: Default::default(),
            }],
            custom_fields: Default::default(),
        }
    }

    /// The order `draft()` created, read with its lines, line 1 holding `quantity`.
    fn found_record(quantity: u64) -> serde_json::Value {
        json!({
            "id": "77", "externalId": "AVC-RP-4Z32PABC",
            "status": {"id": "A", "refName": "Pending Approval"},
            "item": {"items": [
                {"line": 1, "item": {"id": "98"}, "quantity": quantity, "rate": 9.5,
                 "isClosed": false, "custcol_avc_item_seq": "1"},
                {"line": 2, "item": {"id": "500"}, "quantity": 1, "rate": 0,
                 "isClosed": false}
            ]}
        })
    }

    #[test]
    fn a_create_sent_again_brings_the_order_to_the_draft() {
        use HttpMethod::{Get, Patch, Post};
        let held =
            |quantity| HttpResponse::new(200, serde_json::to_vec(&found_record(quantity)).unwrap());
        let patched = || HttpResponse::new(204, Vec::new());
        let sent = |client: &NetSuiteRestClient<Script>| client.transport().sent();
        let mut newer = draft();
        newer.lines[0].quantity = 5;
        newer.ship_date = "2025-03-12".parse().ok();
        newer.lines.push(SalesOrderLineDraft {
            sequence: "2".parse().unwrap(),
            ..newer.lines[0].clone()
        });
        let expected = json!({
            "shipDate": "2025-03-12",
            "item": {"items": [
                {"line": 1, "quantity": 5},
                {"item": {"id": "98"}, "quantity": 5, "rate": 9.5, "amount": 47.5,
                 "price": {"id": "-1"}, "custcol_avc_item_seq": "2"}
            ]}
        });

        // Found before the create: one read, one patch of what differs, by line key.
        let client = NetSuiteRestClient::new(Script::new(vec![held(2), patched()]));
        assert_eq!(
            block_on(client.upsert_sales_order(&newer))
                .unwrap()
                .as_str(),
            "77"
        );
        let requests = sent(&client);
        assert_eq!(
            requests.iter().map(|r| r.method).collect::<Vec<_>>(),
            [Get, Patch]
        );
        assert_eq!(
            requests[1].path,
            "/services/rest/record/v1/salesOrder/eid:AVC-RP-4Z32PABC"
        );
        assert!(requests[1].query.is_empty(), "never `replace=item`");
        let body: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
        assert_eq!(body, expected);

        // The create's answer was lost and it is refused as a duplicate: the order found
        // is brought to the draft the same way.
        let client = NetSuiteRestClient::new(Script::new(vec![
            HttpResponse::new(404, Vec::new()),
            HttpResponse::new(
                400,
                br#"{"o:errorDetails":[{"detail":"duplicate"}]}"#.to_vec(),
            ),
            held(2),
            patched(),
        ]));
        assert_eq!(
            block_on(client.upsert_sales_order(&newer))
                .unwrap()
                .as_str(),
            "77"
        );
        let requests = sent(&client);
        assert_eq!(
            requests.iter().map(|r| r.method).collect::<Vec<_>>(),
            [Get, Post, Get, Patch]
        );
        let body: serde_json::Value = serde_json::from_slice(&requests[3].body).unwrap();
        assert_eq!(body, expected);

        // Created without a usable `Location`: read back, and patched only if it differs.
        let client = NetSuiteRestClient::new(Script::new(vec![
            HttpResponse::new(404, Vec::new()),
            HttpResponse::new(204, Vec::new()),
            held(2),
            patched(),
        ]));
        assert_eq!(
            block_on(client.upsert_sales_order(&newer))
                .unwrap()
                .as_str(),
            "77"
        );
        assert_eq!(
            sent(&client).iter().map(|r| r.method).collect::<Vec<_>>(),
            [Get, Post, Get, Patch]
        );

        // A patch that fails is the upsert's failure, classified as NetSuite answered.
        let client = NetSuiteRestClient::new(Script::new(vec![
            held(2),
            HttpResponse::new(503, Vec::new()),
        ]));
        let err = block_on(client.upsert_sales_order(&newer)).unwrap_err();
        assert_eq!(
            (err.kind, err.operation.as_str()),
            (ErrorKind::Transient, UPSERT)
        );

        // An order that cannot be read cannot be brought to the draft: a person must
        // look at it, and nothing is written.
        let mut unreadable = found_record(2);
        unreadable["item"]["items"][0]["quantity"] = json!(2.5);
        let client = NetSuiteRestClient::new(Script::new(vec![HttpResponse::new(
            200,
            serde_json::to_vec(&unreadable).unwrap(),
        )]));
        let err = block_on(client.upsert_sales_order(&newer)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Rejected);
        assert_eq!(
            sent(&client).iter().map(|r| r.method).collect::<Vec<_>>(),
            [Get]
        );
    }

    #[test]
    fn creates_never_make_a_second_order() {
        let not_found = || {
            HttpResponse::new(
                404,
                br#"{"o:errorDetails":[{"o:errorCode":"NONEXISTENT_ID","detail":"no record"}]}"#
                    .to_vec(),
            )
        };
        let duplicate = || {
            HttpResponse::new(
                400,
                br#"{"o:errorDetails":[{"o:errorCode":"USER_ERROR","detail":"duplicate external id"}]}"#
                    .to_vec(),
            )
        };
        // The order holding the draft, as `GET …?expandSubResources=true` returns it.
        let found = || HttpResponse::new(200, serde_json::to_vec(&found_record(2)).unwrap());
        let methods = |client: &NetSuiteRestClient<Script>| {
            client
                .transport()
                .sent()
                .iter()
                .map(|r| r.method)
                .collect::<Vec<_>>()
        };
        use HttpMethod::{Get, Post};

        // An order that holds the draft is the answer; nothing is written.
        let client = NetSuiteRestClient::new(Script::new(vec![found()]));
        assert_eq!(
            block_on(client.upsert_sales_order(&draft()))
                .unwrap()
                .as_str(),
            "77"
        );
        assert_eq!(methods(&client), [Get]);
        assert_eq!(
            client.transport().sent()[0].query_value("expandSubResources"),
            Some("true")
        );

        // The first create's answer was lost: NetSuite refuses the second, and the order
        // is found by its external id.
        let client = NetSuiteRestClient::new(Script::new(vec![not_found(), duplicate(), found()]));
        assert_eq!(
            block_on(client.upsert_sales_order(&draft()))
                .unwrap()
                .as_str(),
            "77"
        );
        assert_eq!(methods(&client), [Get, Post, Get]);
        let post = &client.transport().sent()[1];
        assert_eq!(post.path, "/services/rest/record/v1/salesOrder");
        let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
        assert_eq!(body["externalId"], "AVC-RP-4Z32PABC");

        // Refused, and not there: the rejection stands, with NetSuite's message.
        let client =
            NetSuiteRestClient::new(Script::new(vec![not_found(), duplicate(), not_found()]));
        let err = block_on(client.upsert_sales_order(&draft())).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Rejected);
        assert_eq!(err.messages[0].message, "duplicate external id");

        // Created without a usable `Location`: read back by external id.
        let client = NetSuiteRestClient::new(Script::new(vec![
            not_found(),
            HttpResponse::new(204, Vec::new()),
            found(),
        ]));
        assert_eq!(
            block_on(client.upsert_sales_order(&draft()))
                .unwrap()
                .as_str(),
            "77"
        );

        // A server fault on create is returned as it is; the next call reads first.
        let client = NetSuiteRestClient::new(Script::new(vec![
            not_found(),
            HttpResponse::new(503, Vec::new()),
        ]));
        let err = block_on(client.upsert_sales_order(&draft())).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transient);
        assert_eq!(methods(&client), [Get, Post]);
    }

    #[test]
    fn suiteql_pages_until_has_more_is_false() {
        let page = |offset: u64, more: bool, id: &str| {
            HttpResponse::new(
                200,
                serde_json::to_vec(&json!({"count": 1, "offset": offset, "hasMore": more,
                    "items": [{"links": [], "id": id, "externalid": format!("AVC-RP-{id}"),
                               "status": "B", "lastmodifieddate": "2025-03-01 06:00:00"}]}))
                .unwrap(),
            )
        };
        let client = NetSuiteRestClient::new(Script::new(vec![
            page(0, true, "1"),
            page(1, true, "2"),
            page(2, false, "3"),
        ]))
        .with_suiteql_page_size(1)
        .with_user_utc_offset(FixedOffset::west_opt(8 * 3600).unwrap());
        let since = "2025-03-01T14:00:00Z".parse().unwrap();
        let changes = block_on(client.changed_sales_orders(since)).unwrap();
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[0].last_modified, since);
        let sent = client.transport().sent();
        let offsets: Vec<_> = sent
            .iter()
            .map(|r| r.query_value("offset").unwrap().to_owned())
            .collect();
        assert_eq!(offsets, ["0", "1", "2"]);
        assert!(sent.iter().all(|r| r.header("Prefer") == Some("transient")));
        for request in &sent {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let members: Vec<&String> = body.as_object().unwrap().keys().collect();
            assert_eq!(members, ["q"], "the body is the query alone");
            let q = body["q"].as_str().unwrap();
            assert!(!q.contains('?'), "{q}");
            assert!(q.contains("LIKE 'AVC-%'"), "{q}");
            // The watermark, in the NetSuite user's zone (UTC-8).
            assert!(q.contains("TO_TIMESTAMP('2025-03-01 06:00:00', "), "{q}");
        }

        // A page that says more follow but holds none stops the paging.
        let empty = HttpResponse::new(200, br#"{"hasMore": true, "items": []}"#.to_vec());
        let client = NetSuiteRestClient::new(Script::new(vec![empty]));
        let err = block_on(client.changed_sales_orders(since)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transient);
    }

    #[async_trait]
    impl HttpTransport for () {
        async fn send(
            &self,
            _request: HttpRequest,
        ) -> Result<HttpResponse, crate::http::TransportError> {
            Err(crate::http::TransportError::other("offline"))
        }
    }
}
