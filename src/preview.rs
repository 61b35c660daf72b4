//! A dry run: what the sync would send for a body Amazon returned, without sending
//! anything.
//!
//! An integrator checks their settings before going live by feeding a real response
//! body through [`preview`]: for each order it shows the NetSuite sales-order body the
//! sync would create, the acknowledgement it would post to Amazon at once (auto
//! acknowledgement), and every problem that would hold the order instead. The bodies
//! are built by the same code the engine runs: the order goes through the lifecycle's
//! own first step ([`OrderRecord::receive`]), so the preview cannot drift from what a
//! cycle does.
//!
//! The body is told apart by its shape, as Amazon returns it:
//!
//! | shape | API |
//! |---|---|
//! | `{"payload": {"orders": [...]}}` with retail orders | Vendor Orders `getPurchaseOrders` |
//! | `{"payload": {"purchaseOrderNumber": ...}}` with a retail order | Vendor Orders `getPurchaseOrder` |
//! | `{"payload": {"orders": [...]}}` with Direct Fulfillment orders | Direct Fulfillment Orders v1 `getOrders` |
//! | `{"payload": {"purchaseOrderNumber": ...}}` with a Direct Fulfillment order | Direct Fulfillment Orders v1 `getOrder` |
//! | `{"orders": [...]}` | Direct Fulfillment Orders 2021-12-28 `getOrders` |
//! | `{"purchaseOrderNumber": ...}` | Direct Fulfillment Orders 2021-12-28 `getOrder` |
//!
//! Both programs use the same envelope, so the orders themselves decide: fields only a
//! retail order has (`purchaseOrderState`, `purchaseOrderDate`, `netCost`, …) against
//! fields only a Direct Fulfillment order has (`orderDate`, `shipmentDetails`,
//! `netPrice`, …).
//!
//! Everything here is pure: no I/O, no clock (`now` is a parameter, used as the
//! acknowledgement date), no panic on any input. Each order is read on its own, so one
//! order that cannot be read is one [`PreviewLine`] with its problems and the rest of
//! the body goes through.
//!
//! [`PreviewLine`] has no `Display`: its JSON form holds a Direct Fulfillment
//! consumer's address (the sales order's shipping address), and is meant for the
//! integrator's own eyes. Its `Debug` redacts the address.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::acknowledgement::Acknowledgement;
use crate::amazon::error::ErrorBody;
use crate::amazon::{direct_fulfillment as df, retail};
use crate::ids::{IdError, TransactionId};
use crate::lifecycle::{Attention, Command, Event, OrderRecord, OrderState, TransitionError};
use crate::netsuite::{BodyError, SalesOrderBody};
use crate::order::{Problem, ProblemKind, Program, PurchaseOrder, ValidationError};
use crate::sales_order::SalesOrderDraft;
use crate::settings::{Settings, SettingsError};
use crate::text::excerpt;

/// Which response an orders body is, told apart by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyShape {
    /// Vendor Orders v1 `getPurchaseOrders`: `{"payload": {"orders": [...]}}`.
    RetailPurchaseOrders,
    /// Vendor Orders v1 `getPurchaseOrder`: `{"payload": {order}}`.
    RetailPurchaseOrder,
    /// Direct Fulfillment Orders v1 `getOrders`: `{"payload": {"orders": [...]}}`.
    DirectFulfillmentV1Orders,
    /// Direct Fulfillment Orders v1 `getOrder`: `{"payload": {order}}`.
    DirectFulfillmentV1Order,
    /// Direct Fulfillment Orders 2021-12-28 `getOrders`: a bare `{"orders": [...]}`.
    DirectFulfillmentOrders,
    /// Direct Fulfillment Orders 2021-12-28 `getOrder`: a bare order.
    DirectFulfillmentOrder,
}

impl BodyShape {
    /// The program whose orders the body holds.
    pub const fn program(&self) -> Program {
        match self {
            BodyShape::RetailPurchaseOrders | BodyShape::RetailPurchaseOrder => {
                Program::RetailProcurement
            }
            _ => Program::DirectFulfillment,
        }
    }

    /// `true` for the list operations (`getPurchaseOrders`, `getOrders`).
    pub const fn is_list(&self) -> bool {
        matches!(
            self,
            BodyShape::RetailPurchaseOrders
                | BodyShape::DirectFulfillmentV1Orders
                | BodyShape::DirectFulfillmentOrders
        )
    }
}

impl fmt::Display for BodyShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BodyShape::RetailPurchaseOrders => "Vendor Orders v1 getPurchaseOrders",
            BodyShape::RetailPurchaseOrder => "Vendor Orders v1 getPurchaseOrder",
            BodyShape::DirectFulfillmentV1Orders => "Direct Fulfillment Orders v1 getOrders",
            BodyShape::DirectFulfillmentV1Order => "Direct Fulfillment Orders v1 getOrder",
            BodyShape::DirectFulfillmentOrders => "Direct Fulfillment Orders 2021-12-28 getOrders",
            BodyShape::DirectFulfillmentOrder => "Direct Fulfillment Orders 2021-12-28 getOrder",
        })
    }
}

/// The `submitAcknowledgement` body the sync would post to Amazon, in the program's
/// own form. Serializes as the body itself, with no tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AcknowledgementBody {
    /// Vendor Orders `submitAcknowledgement`.
    Retail(retail::SubmitAcknowledgementRequest),
    /// Direct Fulfillment Orders `submitAcknowledgement` (the same in both versions).
    DirectFulfillment(df::SubmitAcknowledgementRequest),
}

impl AcknowledgementBody {
    /// The body acknowledging one order, as the engine sends it (a batch of one).
    pub fn from_domain(acknowledgement: &Acknowledgement) -> Self {
        match acknowledgement {
            Acknowledgement::Retail(a) => AcknowledgementBody::Retail(
                retail::SubmitAcknowledgementRequest::from_domain(std::slice::from_ref(a)),
            ),
            Acknowledgement::DirectFulfillment(a) => AcknowledgementBody::DirectFulfillment(
                df::SubmitAcknowledgementRequest::from_domain(std::slice::from_ref(a)),
            ),
        }
    }
}

/// What the sync would do with one order.
///
/// Its JSON form is one object with exactly these keys:
/// `{"purchaseOrderNumber", "program", "salesOrder", "acknowledgement", "problems"}`.
/// `Debug` shows no part of a shipping address.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewLine {
    /// The PO number as Amazon sent it (shortened when absurdly long); `None` when the
    /// order has none that can be read.
    pub purchase_order_number: Option<String>,
    /// The program, written `RetailProcurement` or `DirectFulfillment`.
    pub program: Program,
    /// The NetSuite REST `salesOrder` body the sync would send; `None` when the order
    /// would not reach NetSuite (a problem holds it, Amazon closed it, or every line
    /// is rejected).
    pub sales_order: Option<SalesOrderBody>,
    /// The `submitAcknowledgement` body sent without review: with auto
    /// acknowledgement on for the program, every line accepted as ordered, or,
    /// whatever the setting, when the unmapped-item policy rejects every line. `None`
    /// when nothing would be sent at once (a reviewer approves first) or a problem
    /// holds the order.
    pub acknowledgement: Option<AcknowledgementBody>,
    /// Why the order would be held, or why nothing would be sent, one readable
    /// sentence each naming the PO and, where there is one, the line and the field.
    /// Empty when the order would go through.
    pub problems: Vec<String>,
}

impl PreviewLine {
    fn held(
        purchase_order_number: Option<String>,
        program: Program,
        problems: Vec<String>,
    ) -> Self {
        PreviewLine {
            purchase_order_number,
            program,
            sales_order: None,
            acknowledgement: None,
            problems,
        }
    }

    /// `true` when the order would go through with nothing to fix.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A preview of one body: its shape and one line per order, in the body's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// Which response the body is.
    pub shape: BodyShape,
    /// One line per order.
    pub lines: Vec<PreviewLine>,
}

/// Why a preview could not be made at all. A problem with one order is never an
/// error: it is that order's [`PreviewLine::problems`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreviewError {
    /// The settings cannot be read or used. Fix the settings file.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The orders body is not JSON (bad syntax, nesting deeper than 128, a number out
    /// of range). The message names the line and column.
    #[error("the orders body is not JSON: {0}")]
    OrdersNotJson(#[source] serde_json::Error),
    /// The orders body is JSON but none of the six responses the preview reads.
    #[error(
        "the orders body is not a getPurchaseOrders, getPurchaseOrder, getOrders or getOrder response: {reason}"
    )]
    UnknownShape {
        /// What was found instead, in lower case.
        reason: String,
    },
    /// The orders body is Amazon's answer to a failed request, not orders.
    #[error("the orders body is an error response from Amazon: {}", .errors.join("; "))]
    AmazonErrors {
        /// Amazon's errors, `code: message (details)`, shortened.
        errors: Vec<String>,
    },
    /// The orders carry as many Retail Procurement fields as Direct Fulfillment ones,
    /// so which API sent them cannot be told.
    #[error(
        "the orders body cannot be told apart: {retail} order(s) look like Retail Procurement and {direct_fulfillment} like Direct Fulfillment"
    )]
    AmbiguousProgram {
        /// Orders that look like retail ones.
        retail: usize,
        /// Orders that look like Direct Fulfillment ones.
        direct_fulfillment: usize,
    },
}

/// Previews an orders body with settings given as their JSON text.
///
/// `settings_json` is the settings file ([`Settings::from_json`]); `orders_json` is a
/// response body exactly as Amazon returns it (see the module doc for the six shapes);
/// `now` is the acknowledgement date written into acknowledgement bodies.
///
/// # Errors
/// [`PreviewError::Settings`] when the settings cannot be read; otherwise as
/// [`preview_with`].
///
/// # Example
/// ```
/// use avc_order_sync::{preview, BodyShape};
///
/// let settings = r#"{
///   "customers": { "retailProcurement": { "customer": "1234" } },
///   "currencies": { "USD": "1" },
///   "items": { "byVendorSku": { "ABC123": { "item": "98" } } }
/// }"#;
/// let orders = r#"{"payload":{"orders":[{
///   "purchaseOrderNumber": "4Z32PABC", "purchaseOrderState": "New",
///   "orderDetails": {
///     "purchaseOrderDate": "2025-03-01T08:00:00Z",
///     "purchaseOrderStateChangedDate": "2025-03-01T08:00:00Z",
///     "sellingParty": { "partyId": "ABCDE" },
///     "items": [{
///       "itemSequenceNumber": "1", "vendorProductIdentifier": "ABC123",
///       "orderedQuantity": { "amount": 2, "unitOfMeasure": "Eaches", "unitSize": 1 },
///       "isBackOrderAllowed": false,
///       "netCost": { "amount": "10.50", "currencyCode": "USD" }
///     }]
///   }
/// }]}}"#;
/// let preview = preview(settings, orders, "2025-03-01T09:00:00Z".parse()?)?;
/// assert_eq!(preview.shape, BodyShape::RetailPurchaseOrders);
/// let line = serde_json::to_value(&preview.lines[0])?;
/// assert_eq!(line["program"], "RetailProcurement");
/// assert_eq!(line["salesOrder"]["orderStatus"]["id"], "A"); // Pending Approval
/// assert_eq!(line["salesOrder"]["item"]["items"][0]["amount"], 21.0);
/// assert!(line["acknowledgement"].is_null()); // a reviewer approves first
/// assert_eq!(line["problems"], serde_json::json!([]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preview(
    settings_json: &str,
    orders_json: &str,
    now: DateTime<Utc>,
) -> Result<Preview, PreviewError> {
    let settings = Settings::from_json(settings_json)?;
    preview_with(&settings, orders_json, now)
}

/// Previews an orders body with settings already read.
///
/// # Errors
/// [`PreviewError::OrdersNotJson`], [`PreviewError::UnknownShape`],
/// [`PreviewError::AmazonErrors`] or [`PreviewError::AmbiguousProgram`] when the body
/// as a whole cannot be read. An order that cannot be read or mapped is not an
/// error: it is a line with problems.
pub fn preview_with(
    settings: &Settings,
    orders_json: &str,
    now: DateTime<Utc>,
) -> Result<Preview, PreviewError> {
    let body: Value = serde_json::from_str(orders_json).map_err(PreviewError::OrdersNotJson)?;
    let (shape, entries) = read_body(&body)?;
    let lines = entries
        .iter()
        .map(|entry| preview_entry(shape.program(), entry, settings, now))
        .collect();
    Ok(Preview { shape, lines })
}

/// Previews one validated purchase order: runs the lifecycle's first step for it and
/// writes the bodies of the commands it returns.
///
/// With auto acknowledgement the sales order is created only once Amazon confirms the
/// acknowledgement; the preview follows the order that far (a confirmation is
/// assumed) to show that body too.
pub fn preview_order(po: PurchaseOrder, settings: &Settings, now: DateTime<Utc>) -> PreviewLine {
    let number = po.number.to_string();
    let program = po.program;
    let (record, commands) = OrderRecord::receive(po, now, settings);
    let mut problems = Vec::new();
    let mut draft = None;
    let mut acknowledgement = None;
    take_bodies(&commands, &mut draft, &mut acknowledgement);

    let mut last = record;
    if draft.is_none() && acknowledgement.is_some() {
        match follow_confirmation(&last, settings, now) {
            Ok((next, commands)) => {
                take_bodies(&commands, &mut draft, &mut acknowledgement);
                last = next;
            }
            Err(reason) => problems.push(format!(
                "PO {number}: the sales order after Amazon's confirmation cannot be previewed: {reason}"
            )),
        }
    }

    match last.state() {
        OrderState::ExpectFix {
            attention: Attention::Mapping {
                problems: found, ..
            },
        } => problems.extend(found.iter().map(describe)),
        OrderState::Closed { reason } | OrderState::Cancelled { reason }
            if draft.is_none() && acknowledgement.is_none() =>
        {
            problems.push(format!("PO {number}: {reason}; nothing would be sent"));
        }
        _ => {}
    }

    let sales_order = draft.and_then(|d| match sales_order_body(&d) {
        Ok(body) => Some(body),
        Err(reason) => {
            problems.push(format!(
                "PO {number}: the sales order body cannot be written: {reason}"
            ));
            None
        }
    });
    PreviewLine {
        purchase_order_number: Some(number),
        program,
        sales_order,
        acknowledgement: acknowledgement.map(|a| AcknowledgementBody::from_domain(&a)),
        problems,
    }
}

/// The body for a draft, checked to serialize, so a line always writes as JSON.
fn sales_order_body(draft: &SalesOrderDraft) -> Result<SalesOrderBody, UnwritableBody> {
    let body = SalesOrderBody::from_draft(draft)?;
    serde_json::to_value(&body).map_err(UnwritableBody::Json)?;
    Ok(body)
}

/// Why a draft's sales order body cannot be written.
#[derive(Debug, thiserror::Error)]
enum UnwritableBody {
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error("{}", excerpt(&.0.to_string()))]
    Json(serde_json::Error),
}

fn take_bodies(
    commands: &[Command],
    draft: &mut Option<SalesOrderDraft>,
    acknowledgement: &mut Option<Acknowledgement>,
) {
    for command in commands {
        match command {
            Command::CreateSalesOrder { draft: d, .. } => *draft = Some((**d).clone()),
            Command::SubmitAcknowledgement {
                acknowledgement: a, ..
            } => *acknowledgement = Some((**a).clone()),
            _ => {}
        }
    }
}

/// Feeds the record Amazon's taking and confirming its acknowledgement, as the engine
/// would on a good day.
fn follow_confirmation(
    record: &OrderRecord,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<(OrderRecord, Vec<Command>), Unfollowed> {
    let version = record
        .acknowledgement_version()
        .ok_or(Unfollowed::NoVersion)?;
    let transaction_id = TransactionId::new("preview")?;
    let (submitted, _) = record.handle(
        &Event::AcknowledgementSubmitted {
            version,
            transaction_id,
            orders: 1,
        },
        now,
        settings,
    )?;
    Ok(submitted.handle(&Event::AcknowledgementConfirmed { version }, now, settings)?)
}

/// Why the preview cannot follow an order through Amazon's confirmation.
#[derive(Debug, thiserror::Error)]
enum Unfollowed {
    #[error("the acknowledgement has no version")]
    NoVersion,
    #[error(transparent)]
    Id(#[from] IdError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

/// A problem as one sentence; the line is named for the kinds whose own wording
/// leaves it out.
fn describe(problem: &Problem) -> String {
    match (&problem.kind, &problem.line) {
        (ProblemKind::Missing | ProblemKind::Invalid { .. }, Some(line)) => {
            format!("{problem} on line {line}")
        }
        _ => problem.to_string(),
    }
}

fn describe_all(error: &ValidationError) -> Vec<String> {
    error.problems.iter().map(describe).collect()
}

/// One order of the body and where it sits.
struct Entry<'a> {
    /// Its path in the body: `payload.orders[3]`, `payload` or `` for a bare order.
    place: String,
    value: &'a Value,
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn unknown(reason: impl Into<String>) -> PreviewError {
    PreviewError::UnknownShape {
        reason: reason.into(),
    }
}

/// Finds the orders in the body and decides its shape.
fn read_body(body: &Value) -> Result<(BodyShape, Vec<Entry<'_>>), PreviewError> {
    let Some(top) = body.as_object() else {
        return Err(unknown(format!(
            "the body is {}, not a JSON object",
            kind_of(body)
        )));
    };
    let (envelope, container, prefix) = match top.get("payload") {
        None | Some(Value::Null) => (false, body, ""),
        Some(payload @ Value::Object(_)) => (true, payload, "payload."),
        Some(other) => {
            return Err(unknown(format!(
                "`payload` is {}, not a JSON object",
                kind_of(other)
            )));
        }
    };
    let Some(fields) = container.as_object() else {
        return Err(unknown("the body holds no orders"));
    };
    let is_list = fields.contains_key("orders") || fields.contains_key("pagination");
    let is_order = ["purchaseOrderNumber", "purchaseOrderState", "orderDetails"]
        .iter()
        .any(|k| fields.contains_key(*k));

    if !envelope && !is_list && !is_order {
        if let Some(errors) = top.get("errors") {
            return Err(amazon_errors(body, errors));
        }
    }

    let entries: Vec<Entry<'_>> = if is_list {
        match fields.get("orders") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(orders)) => orders
                .iter()
                .enumerate()
                .map(|(i, value)| Entry {
                    place: format!("{prefix}orders[{i}]"),
                    value,
                })
                .collect(),
            Some(other) => {
                return Err(unknown(format!(
                    "`{prefix}orders` is {}, not a list",
                    kind_of(other)
                )));
            }
        }
    } else if is_order {
        vec![Entry {
            place: prefix.trim_end_matches('.').to_owned(),
            value: container,
        }]
    } else if envelope {
        return Err(unknown(
            "`payload` holds neither `orders` nor `purchaseOrderNumber`",
        ));
    } else {
        return Err(unknown(
            "found neither `payload`, `orders` nor `purchaseOrderNumber`",
        ));
    };

    let program = program_of(&entries)?;
    let shape = match (envelope, is_list, program) {
        (true, true, Program::RetailProcurement) => BodyShape::RetailPurchaseOrders,
        (true, false, Program::RetailProcurement) => BodyShape::RetailPurchaseOrder,
        (true, true, Program::DirectFulfillment) => BodyShape::DirectFulfillmentV1Orders,
        (true, false, Program::DirectFulfillment) => BodyShape::DirectFulfillmentV1Order,
        (false, _, Program::RetailProcurement) => {
            return Err(unknown(
                "the orders look like Retail Procurement orders, which Amazon always wraps in `payload`",
            ));
        }
        (false, true, Program::DirectFulfillment) => BodyShape::DirectFulfillmentOrders,
        (false, false, Program::DirectFulfillment) => BodyShape::DirectFulfillmentOrder,
    };
    Ok((shape, entries))
}

fn amazon_errors(body: &Value, errors: &Value) -> PreviewError {
    const SHOWN: usize = 5;
    match <ErrorBody as serde::Deserialize>::deserialize(body).ok() {
        Some(parsed) if !parsed.errors().is_empty() => PreviewError::AmazonErrors {
            errors: parsed
                .errors()
                .iter()
                .take(SHOWN)
                .map(|e| shorten(&e.to_string(), 200))
                .collect(),
        },
        _ => unknown(format!(
            "`errors` is {} and there are no orders",
            kind_of(errors)
        )),
    }
}

/// Fields only a retail order has, at the order, its details and its items.
const RETAIL_ORDER_KEYS: &[&str] = &["purchaseOrderState"];
const RETAIL_DETAIL_KEYS: &[&str] = &[
    "purchaseOrderDate",
    "purchaseOrderChangedDate",
    "purchaseOrderStateChangedDate",
    "purchaseOrderType",
    "importDetails",
    "dealCode",
    "paymentMethod",
    "buyingParty",
    "shipWindow",
    "deliveryWindow",
];
const RETAIL_ITEM_KEYS: &[&str] = &[
    "amazonProductIdentifier",
    "netCost",
    "listPrice",
    "isBackOrderAllowed",
];
/// Fields only a Direct Fulfillment order has.
const DF_DETAIL_KEYS: &[&str] = &[
    "customerOrderNumber",
    "orderDate",
    "orderStatus",
    "shipmentDetails",
    "taxTotal",
    "shipFromParty",
    "hasCustomizableItems",
];
const DF_ITEM_KEYS: &[&str] = &[
    "buyerProductIdentifier",
    "title",
    "netPrice",
    "totalPrice",
    "taxDetails",
    "giftDetails",
    "scheduledDeliveryShipment",
    "buyerCustomizedInfo",
];

fn count_keys(value: Option<&Value>, keys: &[&str]) -> usize {
    value
        .and_then(Value::as_object)
        .map_or(0, |o| keys.iter().filter(|k| o.contains_key(**k)).count())
}

/// Which program one order's fields point to; `None` when they do not say.
fn leaning(order: &Value) -> Option<Program> {
    let (retail, direct) = weight(order);
    match retail.cmp(&direct) {
        std::cmp::Ordering::Greater => Some(Program::RetailProcurement),
        std::cmp::Ordering::Less => Some(Program::DirectFulfillment),
        std::cmp::Ordering::Equal => None,
    }
}

/// How many fields of each program one order carries: (retail, Direct Fulfillment).
fn weight(order: &Value) -> (usize, usize) {
    let details = order.get("orderDetails");
    let items = details
        .and_then(|d| d.get("items"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let retail = count_keys(Some(order), RETAIL_ORDER_KEYS)
        + count_keys(details, RETAIL_DETAIL_KEYS)
        + items
            .iter()
            .map(|i| count_keys(Some(i), RETAIL_ITEM_KEYS))
            .sum::<usize>();
    let direct = count_keys(details, DF_DETAIL_KEYS)
        + items
            .iter()
            .map(|i| count_keys(Some(i), DF_ITEM_KEYS))
            .sum::<usize>();
    (retail, direct)
}

/// The program of the body: the one most orders lean to. Orders that say nothing are
/// Direct Fulfillment: a retail order always carries `purchaseOrderState` or its
/// details, while a Direct Fulfillment list asked for without details holds only PO
/// numbers.
fn program_of(entries: &[Entry<'_>]) -> Result<Program, PreviewError> {
    let (mut retail, mut direct) = (0, 0);
    for entry in entries {
        match leaning(entry.value) {
            Some(Program::RetailProcurement) => retail += 1,
            Some(Program::DirectFulfillment) => direct += 1,
            None => {}
        }
    }
    match retail.cmp(&direct) {
        std::cmp::Ordering::Greater => Ok(Program::RetailProcurement),
        std::cmp::Ordering::Less => Ok(Program::DirectFulfillment),
        std::cmp::Ordering::Equal if retail == 0 => Ok(Program::DirectFulfillment),
        // As many orders lean each way (a broken order among good ones): the fields
        // of all orders together decide.
        std::cmp::Ordering::Equal => {
            // Count only orders that read cleanly as the program they lean to: a
            // broken order does not outvote a good one, while a page of good orders of
            // both programs is still refused rather than guessed.
            let (r, d) = entries
                .iter()
                .fold((0, 0), |(r, d), e| match leaning(e.value) {
                    Some(Program::RetailProcurement)
                        if serde_json::from_value::<crate::amazon::retail::Order>(
                            e.value.clone(),
                        )
                        .is_ok_and(|o| o.to_purchase_order().is_ok()) =>
                    {
                        (r + 1, d)
                    }
                    Some(Program::DirectFulfillment)
                        if serde_json::from_value::<crate::amazon::direct_fulfillment::Order>(
                            e.value.clone(),
                        )
                        .is_ok_and(|o| o.to_purchase_order().is_ok()) =>
                    {
                        (r, d + 1)
                    }
                    _ => (r, d),
                });
            match r.cmp(&d) {
                std::cmp::Ordering::Greater => Ok(Program::RetailProcurement),
                std::cmp::Ordering::Less => Ok(Program::DirectFulfillment),
                std::cmp::Ordering::Equal => Err(PreviewError::AmbiguousProgram {
                    retail,
                    direct_fulfillment: direct,
                }),
            }
        }
    }
}

fn preview_entry(
    program: Program,
    entry: &Entry<'_>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> PreviewLine {
    let number = entry
        .value
        .get("purchaseOrderNumber")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(excerpt);
    let converted = match program {
        Program::RetailProcurement => read_order::<retail::Order>(entry, number.as_deref(), false)
            .map(|o| o.to_purchase_order()),
        Program::DirectFulfillment => {
            read_order::<df::Order>(entry, number.as_deref(), true).map(|o| o.to_purchase_order())
        }
    };
    match converted {
        Err(unread) => PreviewLine::held(number, program, vec![unread.to_string()]),
        Ok(Err(invalid)) => PreviewLine::held(number, program, describe_all(&invalid)),
        Ok(Ok(po)) => preview_order(po, settings, now),
    }
}

/// Reads one order of the body as its wire type, or says which field stops it.
fn read_order<T: DeserializeOwned>(
    entry: &Entry<'_>,
    number: Option<&str>,
    personal: bool,
) -> Result<T, UnreadOrder> {
    let who = match number {
        Some(n) => format!("PO {n}"),
        None if entry.place.is_empty() => "PO <missing>".to_owned(),
        None => format!("PO <missing> at `{}`", entry.place),
    };
    let first_error = match T::deserialize(entry.value) {
        Ok(order) => return Ok(order),
        Err(e) => e,
    };
    if !entry.value.is_object() {
        let place = if entry.place.is_empty() {
            "the body"
        } else {
            &entry.place
        };
        return Err(UnreadOrder::NotAnOrder {
            who,
            place: place.to_owned(),
            found: kind_of(entry.value),
        });
    }
    let (path, error) = locate::<T>(entry.value, first_error);
    let reason = if personal {
        redact_strings(&error.to_string())
    } else {
        error.to_string()
    };
    let reason = shorten(&reason, 300);
    let field = render(&path);
    Err(UnreadOrder::Field {
        who,
        line: line_of(entry.value, &path),
        field,
        reason,
    })
}

/// Why one order of a body cannot be read as its wire type. It becomes the order's
/// one problem: `who` names the PO (or where it stands in the body), `reason` has its
/// strings redacted for Direct Fulfillment orders.
#[derive(Debug, thiserror::Error)]
enum UnreadOrder {
    /// The entry is not a JSON object.
    #[error("{who}: `{place}` is {found}, not an order")]
    NotAnOrder {
        who: String,
        place: String,
        found: &'static str,
    },
    /// A field, or the order as a whole when `field` is empty, does not fit its type.
    #[error(
        "{who}: {}{} cannot be read: {reason}",
        if field.is_empty() { "the order".to_owned() } else { format!("`{field}`") },
        line.as_ref().map(|l| format!(" on line {l}")).unwrap_or_default()
    )]
    Field {
        who: String,
        field: String,
        line: Option<String>,
        reason: String,
    },
}

/// One step of a path into an order.
enum Step {
    Key(String),
    Index(usize),
}

fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&excerpt(k));
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The `itemSequenceNumber` of the item a path runs through, if any.
fn line_of(order: &Value, path: &[Step]) -> Option<String> {
    match path {
        [Step::Key(d), Step::Key(items), Step::Index(i), ..]
            if d == "orderDetails" && items == "items" =>
        {
            order
                .get("orderDetails")?
                .get("items")?
                .get(*i)?
                .get("itemSequenceNumber")?
                .as_str()
                .map(excerpt)
        }
        _ => None,
    }
}

/// The most reads [`locate`] makes of one order.
const LOCATE_READS: usize = 256;
/// The most values [`locate`] reads in all, so a huge order gets fewer reads.
const LOCATE_WORK: usize = 4_000_000;
/// The longest string or key [`locate`] keeps.
const LOCATE_TEXT: usize = 64;

/// Finds the field that keeps `order` from reading as `T`, and the error it gives.
///
/// Every field of the received wire types is optional, so an order with a field taken
/// out reads as well as before or better. At each level the smallest number of
/// leading children that still fails is found by bisection (the children after it are
/// dropped), and the search goes down into the last of them, until a value fails on
/// its own. The reads are bounded in number and in the values read in all, and the
/// search works on a copy whose long strings and keys are cut short, so a megabyte
/// value is never copied once per read.
fn locate<T: DeserializeOwned>(
    order: &Value,
    first: serde_json::Error,
) -> (Vec<Step>, serde_json::Error) {
    let (mut work, values) = shortened(order);
    let mut path: Vec<Step> = Vec::new();
    let mut budget = (LOCATE_WORK / values.max(1)).clamp(8, LOCATE_READS);
    let reads = |work: &Value, budget: &mut usize| -> Option<bool> {
        *budget = budget.checked_sub(1)?;
        Some(T::deserialize(work).is_ok())
    };
    'descend: while let Some(node) = node_mut(&mut work, &path) {
        let len = match node {
            Value::Object(map) => map.len(),
            Value::Array(list) => list.len(),
            _ => break,
        };
        // `fails(k)`: the order still fails with only the first `k` children kept.
        // `fails(len)` holds; find the smallest `k` that fails.
        let (mut ok, mut fail) = (0usize, len);
        let fails_with = |work: &mut Value, path: &[Step], keep: usize, budget: &mut usize| {
            let removed = split(work, path, keep);
            let result = reads(work, budget);
            rejoin(work, path, removed);
            result.map(|passed| !passed)
        };
        match fails_with(&mut work, &path, 0, &mut budget) {
            Some(false) => {}
            // The value fails with no children at all: it is the wrong kind itself.
            Some(true) | None => break 'descend,
        }
        while fail - ok > 1 {
            let mid = ok + (fail - ok) / 2;
            match fails_with(&mut work, &path, mid, &mut budget) {
                Some(true) => fail = mid,
                Some(false) => ok = mid,
                None => break 'descend,
            }
        }
        // Children after the culprit go for good; the search goes into the culprit.
        let _ = split(&mut work, &path, fail);
        let Some(node) = node_mut(&mut work, &path) else {
            break;
        };
        let step = match node {
            Value::Object(map) => match map.keys().nth(fail - 1) {
                Some(k) => Step::Key(k.clone()),
                None => break,
            },
            _ => Step::Index(fail - 1),
        };
        path.push(step);
    }
    let error = match T::deserialize(&work) {
        Err(e) if !path.is_empty() => e,
        _ => first,
    };
    (path, error)
}

/// A copy of `value` with every string and key longer than [`LOCATE_TEXT`] bytes cut
/// to that length, and the number of values in it.
///
/// The received wire types check only the JSON type of each value at this stage
/// (text is kept as sent, enums take any string), and no field name is that long, so
/// the copy reads exactly as the original does.
fn shortened(value: &Value) -> (Value, usize) {
    fn cut(text: &str) -> String {
        let mut end = text.len().min(LOCATE_TEXT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text[..end].to_owned()
    }
    // Depth is bounded by the JSON parser (128), so recursion is safe here.
    fn copy(value: &Value, count: &mut usize) -> Value {
        *count += 1;
        match value {
            Value::String(s) if s.len() > LOCATE_TEXT => Value::String(cut(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| copy(v, count)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let key = if k.len() > LOCATE_TEXT {
                            cut(k)
                        } else {
                            k.clone()
                        };
                        (key, copy(v, count))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut count = 0;
    let copied = copy(value, &mut count);
    (copied, count)
}

fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut node = value;
    for step in path {
        node = match step {
            Step::Key(k) => node.as_object_mut()?.get_mut(k)?,
            Step::Index(i) => node.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(node)
}

/// Children taken out of a node, to be put back.
enum Removed {
    Entries(Map<String, Value>),
    Items(Vec<Value>),
    Nothing,
}

/// Keeps the first `keep` children of the node at `path`, returning the rest.
fn split(work: &mut Value, path: &[Step], keep: usize) -> Removed {
    match node_mut(work, path) {
        Some(Value::Object(map)) => {
            let later: Vec<String> = map.keys().skip(keep).cloned().collect();
            let mut removed = Map::new();
            for key in later {
                if let Some(v) = map.remove(&key) {
                    removed.insert(key, v);
                }
            }
            Removed::Entries(removed)
        }
        Some(Value::Array(list)) if keep <= list.len() => Removed::Items(list.split_off(keep)),
        _ => Removed::Nothing,
    }
}

fn rejoin(work: &mut Value, path: &[Step], removed: Removed) {
    match (node_mut(work, path), removed) {
        (Some(Value::Object(map)), Removed::Entries(mut entries)) => map.append(&mut entries),
        (Some(Value::Array(list)), Removed::Items(mut items)) => list.append(&mut items),
        _ => {}
    }
}

/// Replaces the text of every quoted string in a message with `…`, so a value from a
/// consumer's order is never repeated in a problem.
fn redact_strings(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            out.push('…');
            let mut escaped = false;
            for c in chars.by_ref() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => break,
                    _ => {}
                }
            }
            out.push('"');
        }
    }
    out
}

/// Cuts a message to at most `max` bytes, on a character boundary.
fn shorten(message: &str, max: usize) -> String {
    if message.len() <= max {
        return message.to_owned();
    }
    let mut end = max;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn quoted_strings_are_redacted() {
        assert_eq!(
            redact_strings(r#"invalid type: string "Jane \"J\" Doe", expected struct Address"#),
            r#"invalid type: string "…", expected struct Address"#
        );
        assert_eq!(redact_strings("no quotes"), "no quotes");
        assert_eq!(redact_strings(r#"open "quote"#), r#"open "…""#);
    }

    #[test]
    fn the_locator_names_the_field_that_fails() {
        let order = serde_json::json!({
            "purchaseOrderNumber": "X",
            "orderDetails": {
                "items": [
                    {"itemSequenceNumber": "1"},
                    {"itemSequenceNumber": "2", "orderedQuantity": {"amount": "five"}},
                    {"itemSequenceNumber": "3", "orderedQuantity": {"amount": []}}
                ]
            }
        });
        let first = retail::Order::deserialize(&order).err().unwrap();
        let (path, error) = locate::<retail::Order>(&order, first);
        assert_eq!(
            render(&path),
            "orderDetails.items[1].orderedQuantity.amount"
        );
        assert_eq!(line_of(&order, &path).as_deref(), Some("2"));
        assert!(error.to_string().contains("five"), "{error}");
    }

    #[test]
    fn the_locator_stops_at_a_value_of_the_wrong_kind() {
        let order = serde_json::json!({"purchaseOrderNumber": "X", "orderDetails": {"items": {}}});
        let first = df::Order::deserialize(&order).err().unwrap();
        let (path, _) = locate::<df::Order>(&order, first);
        assert_eq!(render(&path), "orderDetails.items");
    }

    #[test]
    fn problems_on_a_line_name_it() {
        let p = Problem {
            purchase_order_number: "X".into(),
            line: Some("00002".into()),
            field: "orderDetails.items[1].netCost".into(),
            kind: ProblemKind::Missing,
        };
        assert_eq!(
            describe(&p),
            "PO X: `orderDetails.items[1].netCost` is missing on line 00002"
        );
    }
}
