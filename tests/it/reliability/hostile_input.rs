//! Arbitrary bytes and arbitrary JSON fed to every inbound parser: typed errors only,
//! never a panic.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use avc_order_sync::amazon::{direct_fulfillment as df, error, retail, transaction};
use avc_order_sync::http::{DirectFulfillmentVersion, HttpResponse, sp_api};
use avc_order_sync::lifecycle::OrderRecord;
use avc_order_sync::netsuite::{self, ChangedSalesOrderRow};
use avc_order_sync::settings::{Settings, SettingsError};
use avc_order_sync::{Decimal, DecimalError};
use avc_order_sync::{PreviewError, preview};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::it::engine::preview::{MANUAL, auto, df_order, now, retail_order};

/// Runs every inbound parser over `bytes`, and the domain conversions over whatever
/// parses. Each returns a `Result`; none may panic.
fn parse_everything(bytes: &[u8]) {
    if let Ok(r) = serde_json::from_slice::<retail::GetPurchaseOrdersResponse>(bytes) {
        for o in r.payload.and_then(|p| p.orders).unwrap_or_default() {
            let _ = o.to_purchase_order();
        }
    }
    if let Ok(r) = serde_json::from_slice::<retail::GetPurchaseOrderResponse>(bytes) {
        if let Some(o) = r.payload {
            let _ = o.to_purchase_order();
        }
    }
    let _ = serde_json::from_slice::<retail::SubmitAcknowledgementResponse>(bytes);
    let _ = serde_json::from_slice::<retail::GetPurchaseOrdersStatusResponse>(bytes);
    let _ = serde_json::from_slice::<retail::SubmitAcknowledgementRequest>(bytes);
    if let Ok(r) = serde_json::from_slice::<df::v1::GetOrdersResponse>(bytes) {
        for o in r.payload.and_then(|p| p.orders).unwrap_or_default() {
            let _ = o.to_purchase_order();
        }
    }
    if let Ok(o) = serde_json::from_slice::<df::Order>(bytes) {
        let _ = o.to_purchase_order();
    }
    let _ = serde_json::from_slice::<df::OrderList>(bytes);
    let _ = serde_json::from_slice::<df::v1::GetOrderResponse>(bytes);
    let _ = serde_json::from_slice::<df::v1::SubmitAcknowledgementResponse>(bytes);
    let _ = serde_json::from_slice::<df::v2021_12_28::SubmitAcknowledgementResponse>(bytes);
    let _ = serde_json::from_slice::<df::SubmitAcknowledgementRequest>(bytes);
    let _ = serde_json::from_slice::<transaction::GetTransactionResponse>(bytes);
    let _ = serde_json::from_slice::<transaction::DirectFulfillmentV1TransactionResponse>(bytes);
    let _ = serde_json::from_slice::<transaction::TransactionStatus>(bytes);
    let _ = error::ErrorBody::parse(bytes);
    if let Ok(r) = serde_json::from_slice::<netsuite::SalesOrderRecord>(bytes) {
        let _ = r.to_snapshot();
    }
    let _ = netsuite::ErrorBody::parse(bytes);
    if let Ok(page) = serde_json::from_slice::<netsuite::SuiteQlPage>(bytes) {
        for row in &page.items {
            let _ = ChangedSalesOrderRow::from_row(row);
        }
    }
    read_as_http_answers(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = netsuite::internal_id_from_location(text);
        let _ = text.parse::<avc_order_sync::Decimal>();
        let _ = Settings::from_json(text);
        // The preview's two files: these bytes as the settings, then as the orders.
        let _ = preview(text, &good_page(), now());
        for settings in [MANUAL.to_owned(), auto(true, true)] {
            let _ = preview(&settings, text, now());
        }
    }
}

/// The HTTP clients' readers over `bytes` as the body of a success, a refusal and a
/// throttled answer.
fn read_as_http_answers(bytes: &[u8]) {
    use avc_order_sync::http::netsuite as ns;
    use sp_api::{direct_fulfillment as df_http, retail as retail_http};
    for status in [200, 400, 429] {
        let response = HttpResponse::new(status, bytes.to_vec());
        let _ = retail_http::read_purchase_orders(&response);
        let _ = retail_http::read_purchase_order(&response);
        let _ = retail_http::read_submit_acknowledgement(&response);
        let _ = retail_http::read_purchase_orders_status(&response);
        let _ = retail_http::read_transaction(&response);
        for version in [
            DirectFulfillmentVersion::V1,
            DirectFulfillmentVersion::V2021_12_28,
        ] {
            let _ = df_http::read_orders(version, &response);
            let _ = df_http::read_order(version, &response);
            let _ = df_http::read_submit_acknowledgement(version, &response);
            let _ = df_http::read_transaction_status(version, &response);
        }
        let _ = ns::read_created(&response);
        if let Ok(Some(record)) = ns::read_record(&response) {
            let _ = record.to_snapshot();
        }
        let _ = ns::read_patched(&response);
        if let Ok(page) = ns::read_suiteql_page(&response) {
            for row in &page.items {
                let _ = ChangedSalesOrderRow::from_row(row);
            }
        }
    }
}

/// Arbitrary JSON, biased toward the field names and shapes the parsers look for, so
/// the conversions see nearly-valid orders and not only type errors.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let keys = prop_oneof![
        Just("payload".to_string()),
        Just("orders".to_string()),
        Just("purchaseOrderNumber".to_string()),
        Just("purchaseOrderState".to_string()),
        Just("orderDetails".to_string()),
        Just("purchaseOrderDate".to_string()),
        Just("items".to_string()),
        Just("itemSequenceNumber".to_string()),
        Just("orderedQuantity".to_string()),
        Just("amount".to_string()),
        Just("unitOfMeasure".to_string()),
        Just("unitSize".to_string()),
        Just("netCost".to_string()),
        Just("netPrice".to_string()),
        Just("currencyCode".to_string()),
        Just("sellingParty".to_string()),
        Just("partyId".to_string()),
        Just("shipWindow".to_string()),
        Just("transactionStatus".to_string()),
        Just("errors".to_string()),
        Just("o:errorDetails".to_string()),
        Just("item".to_string()),
        Just("quantity".to_string()),
        Just("rate".to_string()),
        Just("status".to_string()),
        "[a-zA-Z:]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::String),
        Just(Value::String(
            "2019-08-21T07:00:00Z--2019-08-27T07:00:00Z".into()
        )),
        Just(Value::String("1E+999999999".into())),
        Just(Value::String("CASES".into())),
        Just(Value::String("-0.00".into())),
    ];
    leaf.prop_recursive(6, 128, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        let bytes = serde_json::to_vec(&value).expect("a Value always serializes");
        parse_everything(&bytes);
        // The same value wrapped where each API puts its orders.
        for wrapped in [
            serde_json::json!({"payload": {"orders": [value.clone()]}}),
            serde_json::json!({"payload": value.clone()}),
            serde_json::json!({"orders": [value.clone()]}),
        ] {
            parse_everything(&serde_json::to_vec(&wrapped).expect("serializes"));
        }
    }
}

#[test]
/// What these cost is bounded by the allocation tests below and timed by the
/// `hostile retail page` benchmark; here every parser must only return.
fn adversarial_bodies_never_panic_any_parser() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge_string = format!(
        "{{\"payload\":{{\"orders\":[{{\"purchaseOrderNumber\":\"{}\"}}]}}}}",
        "A".repeat(1 << 20)
    );
    let many_digits = format!(
        "{{\"purchaseOrderNumber\":\"X\",\"orderDetails\":{{\"items\":[{{\"netCost\":{{\"amount\":\"{}\"}}}}]}}}}",
        "9".repeat(5000)
    );
    let huge_exponent = r#"{"payload":{"orders":[{"purchaseOrderNumber":"X","orderDetails":{"items":[{"netCost":{"amount":"1E+999999999","currencyCode":"USD"}}]}}]}}"#;
    let huge_number = format!(
        "{{\"item\":{{\"items\":[{{\"rate\":1{}}}]}}}}",
        "0".repeat(5000)
    );
    for body in [
        deep.as_str(),
        huge_string.as_str(),
        many_digits.as_str(),
        huge_exponent,
        huge_number.as_str(),
        "",
        "null",
        "{\"payload\":null}",
    ] {
        parse_everything(body.as_bytes());
    }
}

// ---------------------------------------------------------------------------------
// Work bounds: a counting allocator
// ---------------------------------------------------------------------------------

/// The system allocator, counting the bytes each thread asks for, so a test can bound
/// what a parser allocates for an input instead of timing it.
struct Counting;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    // `try_with`: nothing to count while a thread's locals are torn down.
    let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(bytes as u64)));
}

// SAFETY: every call is passed unchanged to `System`, which upholds the contract; the
// counter only reads the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's `layout` is passed on as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()));
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the bytes this thread allocated meanwhile.
fn allocated<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCATED.with(Cell::get);
    let result = f();
    (result, ALLOCATED.with(Cell::get) - before)
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

// ---------------------------------------------------------------------------------
// Valid bodies of every inbound kind, to break one field at a time
// ---------------------------------------------------------------------------------

/// Two good retail orders: a page the example settings map cleanly.
fn good_page() -> String {
    json!({"payload": {"orders": [retail_order("GOOD0001"), retail_order("GOOD0002")]}}).to_string()
}

/// The parsers that read Amazon's retail order bodies, the preview among them.
fn read_retail_orders(bytes: &[u8]) {
    use sp_api::retail as http;
    if let Ok(r) = serde_json::from_slice::<retail::GetPurchaseOrdersResponse>(bytes) {
        for o in r.orders() {
            let _ = o.to_purchase_order();
        }
    }
    if let Ok(Some(o)) =
        serde_json::from_slice::<retail::GetPurchaseOrderResponse>(bytes).map(|r| r.payload)
    {
        let _ = o.to_purchase_order();
    }
    let response = HttpResponse::new(200, bytes.to_vec());
    let _ = http::read_purchase_orders(&response);
    let _ = http::read_purchase_order(&response);
    read_as_preview(bytes);
}

/// The parsers that read Amazon's Direct Fulfillment order bodies, either version.
fn read_df_orders(bytes: &[u8]) {
    use sp_api::direct_fulfillment as http;
    if let Ok(r) = serde_json::from_slice::<df::v1::GetOrdersResponse>(bytes) {
        for o in r.payload.and_then(|p| p.orders).unwrap_or_default() {
            let _ = o.to_purchase_order();
        }
    }
    if let Ok(Some(o)) =
        serde_json::from_slice::<df::v1::GetOrderResponse>(bytes).map(|r| r.payload)
    {
        let _ = o.to_purchase_order();
    }
    if let Ok(list) = serde_json::from_slice::<df::OrderList>(bytes) {
        for o in list.orders.unwrap_or_default() {
            let _ = o.to_purchase_order();
        }
    }
    if let Ok(o) = serde_json::from_slice::<df::Order>(bytes) {
        let _ = o.to_purchase_order();
    }
    let response = HttpResponse::new(200, bytes.to_vec());
    for version in [
        DirectFulfillmentVersion::V1,
        DirectFulfillmentVersion::V2021_12_28,
    ] {
        let _ = http::read_orders(version, &response);
        let _ = http::read_order(version, &response);
    }
    read_as_preview(bytes);
}

/// The preview of `bytes` as the orders file, with both kinds of settings.
fn read_as_preview(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        for settings in [MANUAL.to_owned(), auto(true, true)] {
            match preview(&settings, text, now()) {
                Ok(_)
                | Err(PreviewError::OrdersNotJson(_))
                | Err(PreviewError::UnknownShape { .. })
                | Err(PreviewError::AmazonErrors { .. })
                | Err(PreviewError::AmbiguousProgram { .. }) => {}
                Err(other) => panic!("the settings are good: {other}"),
            }
        }
    }
}

/// The parsers that read NetSuite's bodies.
fn read_netsuite(bytes: &[u8]) {
    use avc_order_sync::http::netsuite as http;
    if let Ok(r) = serde_json::from_slice::<netsuite::SalesOrderRecord>(bytes) {
        let _ = r.to_snapshot();
    }
    if let Ok(page) = serde_json::from_slice::<netsuite::SuiteQlPage>(bytes) {
        for row in &page.items {
            let _ = ChangedSalesOrderRow::from_row(row);
        }
    }
    let _ = netsuite::ErrorBody::parse(bytes);
    for status in [200, 400, 429] {
        let response = HttpResponse::new(status, bytes.to_vec());
        let _ = http::read_created(&response);
        if let Ok(Some(record)) = http::read_record(&response) {
            let _ = record.to_snapshot();
        }
        let _ = http::read_patched(&response);
        if let Ok(page) = http::read_suiteql_page(&response) {
            for row in &page.items {
                let _ = ChangedSalesOrderRow::from_row(row);
            }
        }
    }
}

/// The parsers that read Amazon's other answers: transactions, statuses,
/// acknowledgement receipts and errors.
fn read_amazon_answers(bytes: &[u8]) {
    use sp_api::{direct_fulfillment as df_http, retail as retail_http};
    let _ = serde_json::from_slice::<transaction::GetTransactionResponse>(bytes);
    let _ = serde_json::from_slice::<transaction::DirectFulfillmentV1TransactionResponse>(bytes);
    let _ = serde_json::from_slice::<retail::GetPurchaseOrdersStatusResponse>(bytes);
    let _ = error::ErrorBody::parse(bytes);
    for status in [200, 400, 429] {
        let response = HttpResponse::new(status, bytes.to_vec());
        let _ = retail_http::read_submit_acknowledgement(&response);
        let _ = retail_http::read_purchase_orders_status(&response);
        let _ = retail_http::read_transaction(&response);
        for version in [
            DirectFulfillmentVersion::V1,
            DirectFulfillmentVersion::V2021_12_28,
        ] {
            let _ = df_http::read_submit_acknowledgement(version, &response);
            let _ = df_http::read_transaction_status(version, &response);
        }
    }
}

/// A valid body.
struct ValidBody {
    name: &'static str,
    body: Value,
    /// The parsers that read its kind.
    read: fn(&[u8]),
    /// The JSON pointer of its first order, for a page the preview reads: its second
    /// order must go through whatever happens to the first.
    first_order: Option<&'static str>,
}

/// A valid body of each inbound kind.
fn valid_bodies() -> Vec<ValidBody> {
    let fixture = |text: &str| serde_json::from_str::<Value>(text).expect("a fixture is JSON");
    let body = |name, body, read: fn(&[u8]), first_order| ValidBody {
        name,
        body,
        read,
        first_order,
    };
    vec![
        body(
            "retail getPurchaseOrders",
            json!({"payload": {
                "pagination": {"nextToken": "MDAwMDAwMDAwMQ=="},
                "orders": [retail_order("4Z32PABC"), retail_order("4Z32PABD")]
            }}),
            read_retail_orders,
            Some("/payload/orders/0"),
        ),
        body(
            "direct fulfillment 2021-12-28 getOrders",
            json!({"orders": [df_order("2JK3S9VC"), df_order("2JK3S9VD")]}),
            read_df_orders,
            Some("/orders/0"),
        ),
        body(
            "direct fulfillment v1 getOrder",
            json!({"payload": df_order("2JK3S9VC")}),
            read_df_orders,
            None,
        ),
        body(
            "netsuite sales order",
            fixture(include_str!(
                "../../fixtures/netsuite/sales_order_read_approved.json"
            )),
            read_netsuite,
            None,
        ),
        body(
            "netsuite suiteql page",
            fixture(include_str!("../../fixtures/netsuite/suiteql_page_1.json")),
            read_netsuite,
            None,
        ),
        body(
            "netsuite error",
            fixture(include_str!(
                "../../fixtures/netsuite/error_invalid_content.json"
            )),
            read_netsuite,
            None,
        ),
        body(
            "retail transaction",
            json!({"payload": {"transactionStatus": {
                "transactionId": "20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5",
                "status": "Failure",
                "errors": [{"code": "InvalidInput", "message": "Bad PO", "details": ""}]
            }}}),
            read_amazon_answers,
            None,
        ),
        body(
            "retail purchase order status",
            json!({"payload": {"ordersStatus": [{
                "purchaseOrderNumber": "4Z32PABC",
                "purchaseOrderStatus": "OPEN",
                "purchaseOrderDate": "2025-03-01T08:00:00Z",
                "sellingParty": {"partyId": "ABCDE"},
                "shipToParty": {"partyId": "SEA8"},
                "itemStatus": [{
                    "itemSequenceNumber": "1",
                    "acknowledgementStatus": {"confirmationStatus": "ACCEPTED"}
                }]
            }]}}),
            read_amazon_answers,
            None,
        ),
        body(
            "acknowledgement answer",
            json!({"payload": {"transactionId": "20190827182357-8725bde9"}}),
            read_amazon_answers,
            None,
        ),
        body(
            "amazon error",
            json!({"errors": [{"code": "InvalidInput", "message": "Invalid request.", "details": ""}]}),
            read_amazon_answers,
            None,
        ),
    ]
}

/// A value of every JSON type, with the adversarial ones among them.
fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(u64::MAX),
        json!(1.5),
        json!(1e308),
        json!(""),
        json!("x"),
        json!("1E+999999999"),
        json!("2019-02-30T25:61:61Z"),
        json!([]),
        json!([null, 1]),
        json!({}),
        json!({"amount": []}),
    ]
}

/// Every JSON pointer into `value`, parents before children.
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (key, child) in children {
        let pointer = format!("{at}/{key}");
        out.push(pointer.clone());
        pointers(child, &pointer, out);
    }
}

fn replaced(body: &Value, pointer: &str, with: &Value) -> Value {
    let mut body = body.clone();
    if let Some(slot) = body.pointer_mut(pointer) {
        *slot = with.clone();
    }
    body
}

/// Checks the preview of a page whose first order was broken: a line per order, and
/// the second order goes through untouched.
fn assert_rest_of_page_goes_through(settings: &str, text: &str, context: &str) {
    match preview(settings, text, now()) {
        Ok(preview) => {
            assert_eq!(preview.lines.len(), 2, "{context}");
            let second = &preview.lines[1];
            assert!(second.is_clean(), "{context}: {:?}", second.problems);
            assert!(second.sales_order.is_some(), "{context}");
        }
        Err(e) => panic!("{context}: one broken order failed the page: {e}"),
    }
}

#[test]
fn every_field_of_every_inbound_body_takes_every_wrong_type() {
    let values = replacements();
    for ValidBody {
        name,
        body,
        read,
        first_order,
    } in valid_bodies()
    {
        let mut all = Vec::new();
        pointers(&body, "", &mut all);
        assert!(!all.is_empty(), "{name}");
        for pointer in &all {
            for value in &values {
                if body.pointer(pointer) == Some(value) {
                    continue;
                }
                let text = replaced(&body, pointer, value).to_string();
                read(text.as_bytes());
                if first_order.is_some_and(|o| pointer.starts_with(&format!("{o}/"))) {
                    let context = format!("{name}: {pointer} = {value}");
                    assert_rest_of_page_goes_through(MANUAL, &text, &context);
                    assert_rest_of_page_goes_through(&auto(true, true), &text, &context);
                }
            }
        }
    }
}

#[test]
fn every_settings_field_takes_every_wrong_type() {
    let example: Value =
        serde_json::from_str(include_str!("../../../examples/settings.json")).unwrap();
    let page = good_page();
    let mut all = Vec::new();
    pointers(&example, "", &mut all);
    for pointer in &all {
        for value in replacements() {
            let text = replaced(&example, pointer, &value).to_string();
            // Either the settings are usable, or the error says why; never a panic.
            let read = Settings::from_json(&text);
            match preview(&text, &page, now()) {
                Ok(_) => assert!(read.is_ok(), "{pointer} = {value}"),
                Err(PreviewError::Settings(_)) => assert!(read.is_err()),
                Err(other) => panic!("{pointer} = {value}: {other}"),
            }
        }
    }
}

/// Date-time text of every kind Amazon's fields could hold, and many it never should.
fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59.999999999-23:59",
            "+262143-12-31T23:59:59",
            "-262144-01-01T00:00:00",
            "+9999999-01-01T00:00:00",
            "2016-12-31T23:59:60Z",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-03-01T24:00:00Z",
            "2025-03-01T00:00:00+24:00",
            "2025-03-01T00:00:00.0000000000001Z",
            "2025-03-01",
            "",
            "--",
            "2025-03-01T00:00:00Z--",
            "--2025-03-01T00:00:00Z",
            "2025-03-09T00:00:00Z--2025-03-01T00:00:00Z",
        ])
        .prop_map(str::to_owned),
        "[+-]?[0-9]{1,7}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]{0,12})?(Z|[+-][0-9]{2}:[0-9]{2})?",
        "\\PC{0,24}",
    ]
}

/// A window of two date-times, or one of the texts above alone.
fn window_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (date_text(), date_text()).prop_map(|(a, b)| format!("{a}--{b}")),
        date_text(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Invalid and extreme dates in every date field of both programs: the order is one
    /// line (with problems when a date cannot be used), its lifecycle starts, and its
    /// next wake-up is computed, all without a panic.
    #[test]
    fn invalid_dates_in_every_date_field_never_panic(
        dates in prop::collection::vec(date_text(), 6),
        windows in prop::collection::vec(window_text(), 2),
    ) {
        let mut retail = retail_order("DATES001");
        let details = &mut retail["orderDetails"];
        details["purchaseOrderDate"] = json!(dates[0]);
        details["purchaseOrderChangedDate"] = json!(dates[1]);
        details["purchaseOrderStateChangedDate"] = json!(dates[2]);
        details["shipWindow"] = json!(windows[0]);
        details["deliveryWindow"] = json!(windows[1]);
        let mut direct = df_order("DATES002");
        direct["orderDetails"]["orderDate"] = json!(dates[3]);
        direct["orderDetails"]["shipmentDetails"]["shipmentDates"] = json!({
            "requiredShipDate": dates[4],
            "promisedDeliveryDate": dates[5],
        });
        for settings in [MANUAL.to_owned(), auto(true, true)] {
            let parsed = Settings::from_json(&settings).unwrap();
            for body in [json!({"payload": retail.clone()}), direct.clone()] {
                let preview = preview(&settings, &body.to_string(), now());
                prop_assert!(preview.is_ok_and(|p| p.lines.len() == 1));
            }
            let pos = [
                serde_json::from_value::<retail::Order>(retail.clone()).ok()
                    .and_then(|o| o.to_purchase_order().ok()),
                serde_json::from_value::<df::Order>(direct.clone()).ok()
                    .and_then(|o| o.to_purchase_order().ok()),
            ];
            for po in pos.into_iter().flatten() {
                let (record, _) = OrderRecord::receive(po, now(), &parsed);
                let _ = record.next_wakeup(&parsed);
            }
        }
    }

    /// A valid body with one value anywhere replaced by arbitrary JSON.
    #[test]
    fn one_arbitrary_value_anywhere_in_a_valid_body_never_panics(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        value in arbitrary_json(),
    ) {
        let bodies = valid_bodies();
        let chosen = &bodies[which.index(bodies.len())];
        let mut all = Vec::new();
        pointers(&chosen.body, "", &mut all);
        let pointer = &all[at.index(all.len())];
        let text = replaced(&chosen.body, pointer, &value).to_string();
        parse_everything(text.as_bytes());
        if chosen.first_order.is_some_and(|o| pointer.starts_with(&format!("{o}/"))) {
            let context = format!("{}: {pointer}", chosen.name);
            assert_rest_of_page_goes_through(MANUAL, &text, &context);
        }
    }

    /// Arbitrary JSON as one order among good ones: a line with its reasons, and the
    /// good orders go through.
    #[test]
    fn an_arbitrary_order_among_good_ones_is_set_aside(value in arbitrary_json()) {
        let body = json!({"payload": {"orders": [
            retail_order("GOOD0001"), value, retail_order("GOOD0002")
        ]}});
        let preview = preview(MANUAL, &body.to_string(), now());
        prop_assert!(preview.is_ok());
        let lines = preview.map(|p| p.lines).unwrap_or_default();
        prop_assert_eq!(lines.len(), 3);
        prop_assert!(lines[0].is_clean() && lines[2].is_clean());
    }
}

// ---------------------------------------------------------------------------------
// Adversarial values, each refused at once with a typed error
// ---------------------------------------------------------------------------------

#[test]
fn oversized_decimals_are_refused_without_allocating_for_them() {
    let many_digits = "9".repeat(5000);
    let tiny = format!("0.{}1", "0".repeat(5000));
    for text in [
        "1E+999999999",
        "1e-999999999",
        "-1E+4294967296",
        "1E+18446744073709551616",
        many_digits.as_str(),
        tiny.as_str(),
    ] {
        let (result, bytes) = allocated(|| text.parse::<Decimal>());
        assert!(
            matches!(result, Err(DecimalError::OutOfRange { .. })),
            "{result:?}"
        );
        // The error quotes a short excerpt; nothing grows with the exponent or the
        // digits.
        assert!(bytes < KIB, "{} bytes for {}", bytes, &text[..12]);
    }
}

/// A retail page whose only order has `netCost.amount` set to `amount`.
fn page_with_net_cost(amount: &str) -> String {
    let mut order = retail_order("HUGEEXP1");
    order["orderDetails"]["items"][0]["netCost"]["amount"] = json!(amount);
    json!({"payload": {"orders": [order]}}).to_string()
}

#[test]
fn a_huge_exponent_in_an_order_costs_no_more_than_a_small_one() {
    let (small, huge) = (
        page_with_net_cost("1E+99"),
        page_with_net_cost("1E+999999999"),
    );
    let (baseline, baseline_bytes) = allocated(|| preview(MANUAL, &small, now()));
    let (result, bytes) = allocated(|| preview(MANUAL, &huge, now()));
    assert_eq!(baseline.unwrap().lines.len(), 1);
    let lines = result.unwrap().lines;
    assert!(
        lines[0].problems[0]
            .starts_with("PO HUGEEXP1: `orderDetails.items[0].netCost.amount` is invalid"),
        "{:?}",
        lines[0].problems
    );
    assert!(
        bytes <= baseline_bytes + KIB,
        "{bytes} bytes against {baseline_bytes}"
    );

    // In the settings, the same.
    let settings =
        r#"{"items":{"byVendorSku":{"X":{"item":"1","weightPerEach":{"pounds":"1E+999999999"}}}}}"#;
    let (result, bytes) = allocated(|| Settings::from_json(settings));
    assert!(matches!(result, Err(SettingsError::Json(_))), "{result:?}");
    assert!(bytes < 16 * KIB, "{bytes}");
}

#[test]
fn json_numbers_out_of_range_are_refused_by_the_json_parser() {
    let long = format!("1{}", "0".repeat(100_000));
    let long_fraction = format!("0.{}1", "0".repeat(100_000));
    for number in [
        "1E+999999999",
        "-1e999999999",
        "1e-999999999",
        long.as_str(),
        long_fraction.as_str(),
    ] {
        let mut order = retail_order("HUGENUM1");
        order["orderDetails"]["items"][0]["orderedQuantity"]["amount"] = json!("NUMBER");
        let body = json!({"payload": {"orders": [order]}})
            .to_string()
            .replace("\"NUMBER\"", number);
        let settings = format!(r#"{{"policies":{{"deadlineWarningMinutes":{number}}}}}"#);
        let record = format!(r#"{{"id":"1","item":{{"items":[{{"line":1,"rate":{number}}}]}}}}"#);
        let (result, bytes) = allocated(|| preview(MANUAL, &body, now()));
        match result {
            // Out of range for a float: the JSON parser stops.
            Err(PreviewError::OrdersNotJson(_)) => {}
            // A tiny fraction reads as 0.0: the order is held, not the page.
            Ok(preview) => assert!(!preview.lines[0].is_clean(), "{number:.12}"),
            Err(other) => panic!("{other}"),
        }
        assert!(bytes < 64 * KIB, "{bytes} bytes for {number:.12}");
        let (result, bytes) = allocated(|| Settings::from_json(&settings));
        assert!(result.is_err(), "{number:.12}");
        assert!(bytes < 16 * KIB, "{bytes}");
        if let Ok(parsed) = serde_json::from_str::<netsuite::SalesOrderRecord>(&record) {
            let _ = parsed.to_snapshot();
        }
        parse_everything(body.as_bytes());
    }
}

#[test]
fn deep_nesting_is_refused_by_every_input() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_objects = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let in_order = format!(
        r#"{{"payload":{{"orders":[{{"purchaseOrderNumber":"DEEP0001","orderDetails":{deep}}}]}}}}"#
    );
    for body in [&deep, &deep_objects, &in_order] {
        let (result, bytes) = allocated(|| preview(MANUAL, body, now()));
        assert!(
            matches!(result, Err(PreviewError::OrdersNotJson(_))),
            "{result:?}"
        );
        assert!(bytes < 64 * KIB, "{bytes}");
        let (result, bytes) = allocated(|| Settings::from_json(body));
        assert!(matches!(result, Err(SettingsError::Json(_))), "{result:?}");
        assert!(bytes < 64 * KIB, "{bytes}");
        let (result, _) = allocated(|| preview(body, &good_page(), now()));
        assert!(
            matches!(result, Err(PreviewError::Settings(_))),
            "{result:?}"
        );
    }

    // Just under the parser's limit, in a field: the order is held, the page goes on.
    let nested = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let mut page: Value = serde_json::from_str(&good_page()).unwrap();
    page["payload"]["orders"][0]["orderDetails"]["items"][0]["netCost"] =
        serde_json::from_str(&nested).unwrap();
    let preview = preview(MANUAL, &page.to_string(), now()).unwrap();
    // serde reads a struct from a list too, so the first element is what fails.
    assert_eq!(
        preview.lines[0].problems,
        [
            "PO GOOD0001: `orderDetails.items[0].netCost[0]` on line 1 cannot be read: invalid type: sequence, expected a string"
        ]
    );
    assert!(preview.lines[1].is_clean());
}

#[test]
fn megabyte_strings_are_never_copied_into_problems_or_once_per_read() {
    let mega = "A".repeat(1 << 20);

    // As the PO number: named by an excerpt.
    let mut order = retail_order("GOOD0001");
    order["purchaseOrderNumber"] = json!(mega);
    let body = json!({"payload": {"orders": [order, retail_order("GOOD0002")]}}).to_string();
    let preview = preview(MANUAL, &body, now()).unwrap();
    let line = serde_json::to_string(&preview.lines[0]).unwrap();
    assert!(line.len() < 4 * KIB as usize, "{} bytes", line.len());
    assert!(line.contains("is longer than 128 bytes"), "{line:.400}");
    assert!(preview.lines[1].is_clean());

    // Where a number belongs, so the order must be searched for the field: the
    // search works on a shortened copy, so the cost is a few copies of the body, not
    // one per read.
    for program in ["retail", "direct fulfillment"] {
        let (body, field) = if program == "retail" {
            let mut order = retail_order("MEGA0001");
            order["orderDetails"]["items"][1]["orderedQuantity"]["amount"] = json!(mega);
            order["orderDetails"][&mega] = json!(mega);
            (
                json!({"payload": {"orders": [order, retail_order("GOOD0002")]}}),
                "`orderDetails.items[1].orderedQuantity.amount` on line 2 cannot be read",
            )
        } else {
            let mut order = df_order("MEGA0001");
            order["orderDetails"]["shipToParty"]["name"] = json!([mega]);
            order["orderDetails"][&mega] = json!(mega);
            (
                json!({"orders": [order, df_order("GOOD0002")]}),
                "`orderDetails.shipToParty.name` cannot be read",
            )
        };
        let text = body.to_string();
        let (result, bytes) =
            allocated(|| avc_order_sync::preview(&auto(true, true), &text, now()));
        let preview = result.unwrap();
        let problem = &preview.lines[0].problems[0];
        assert!(problem.contains(field), "{problem:.400}");
        assert!(problem.len() < 1024, "{} bytes", problem.len());
        assert!(
            preview.lines[1].is_clean(),
            "{:?}",
            preview.lines[1].problems
        );
        assert!(
            bytes < 32 * MIB,
            "{program}: {} MiB allocated for a {} MiB body",
            bytes / MIB,
            text.len() / (1 << 20)
        );
    }

    // As a settings key: a typed error.
    let settings = format!(r#"{{"currencies":{{"{mega}":"1"}}}}"#);
    assert!(matches!(
        Settings::from_json(&settings),
        Err(SettingsError::Json(_))
    ));
}
