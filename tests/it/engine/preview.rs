//! The dry run: every response shape Amazon returns, a page with a bad order among
//! good ones, unreadable bodies and settings, and auto acknowledgement.

use avc_order_sync::Program;
use avc_order_sync::{BodyShape, Preview, PreviewError, PreviewLine, preview};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Manual acknowledgement for both programs: every order waits for a reviewer.
pub(crate) const MANUAL: &str = r#"{
  "customers": {
    "retailProcurement": { "customer": "1234", "subsidiary": "1", "location": "3" },
    "directFulfillment": { "customer": "1250", "location": "5" }
  },
  "currencies": { "USD": "1" },
  "items": {
    "byVendorSku": { "SKU-1": { "item": "98" }, "SKU-2": { "item": "99" } },
    "byAsin": { "B000000003": { "item": "100" } }
  }
}"#;

pub(crate) fn auto(retail: bool, direct_fulfillment: bool) -> String {
    let mut settings: Value = serde_json::from_str(MANUAL).unwrap();
    settings["autoAcknowledge"] = json!({
        "retailProcurement": retail,
        "directFulfillment": direct_fulfillment,
    });
    settings.to_string()
}

pub(crate) fn now() -> DateTime<Utc> {
    "2025-03-01T10:00:00Z".parse().unwrap()
}

/// A retail order as Vendor Orders v1 writes one.
pub(crate) fn retail_order(number: &str) -> Value {
    json!({
        "purchaseOrderNumber": number,
        "purchaseOrderState": "New",
        "orderDetails": {
            "purchaseOrderDate": "2025-03-01T08:00:00Z",
            "purchaseOrderStateChangedDate": "2025-03-01T08:00:00Z",
            "purchaseOrderType": "RegularOrder",
            "sellingParty": { "partyId": "ABCDE" },
            "shipToParty": { "partyId": "SEA8" },
            "shipWindow": "2025-03-03T07:00:00Z--2025-03-09T07:00:00Z",
            "items": [
                {
                    "itemSequenceNumber": "1",
                    "amazonProductIdentifier": "B000000001",
                    "vendorProductIdentifier": "SKU-1",
                    "orderedQuantity": { "amount": 2, "unitOfMeasure": "Cases", "unitSize": 6 },
                    "isBackOrderAllowed": false,
                    "netCost": { "amount": "4.25", "currencyCode": "USD" }
                },
                {
                    "itemSequenceNumber": "2",
                    "amazonProductIdentifier": "B000000002",
                    "vendorProductIdentifier": "SKU-2",
                    "orderedQuantity": { "amount": 3, "unitOfMeasure": "Eaches", "unitSize": 1 },
                    "isBackOrderAllowed": true,
                    "netCost": { "amount": "10", "currencyCode": "USD" }
                }
            ]
        }
    })
}

/// A Direct Fulfillment order, the same in v1 and 2021-12-28.
pub(crate) fn df_order(number: &str) -> Value {
    json!({
        "purchaseOrderNumber": number,
        "orderDetails": {
            "customerOrderNumber": "112-0000000-0000001",
            "orderDate": "2025-03-01T08:00:00Z",
            "orderStatus": "NEW",
            "shipmentDetails": {
                "isPriorityShipment": false,
                "isGift": false,
                "shipMethod": "UPS_GR_RES",
                "shipmentDates": { "requiredShipDate": "2025-03-02T20:00:00Z" }
            },
            "sellingParty": { "partyId": "ABCDE" },
            "shipFromParty": { "partyId": "WH01" },
            "shipToParty": {
                "name": "Robin Example",
                "addressLine1": "1 Test Street",
                "city": "Seattle",
                "stateOrRegion": "WA",
                "postalCode": "98101",
                "countryCode": "US"
            },
            "billToParty": { "partyId": "AMAZONUS" },
            "items": [{
                "itemSequenceNumber": "00001",
                "buyerProductIdentifier": "B000000003",
                "title": "A widget",
                "orderedQuantity": { "amount": 2, "unitOfMeasure": "Each" },
                "netPrice": { "currencyCode": "USD", "amount": "19.99" }
            }]
        }
    })
}

fn run(settings: &str, body: &Value) -> Preview {
    preview(settings, &body.to_string(), now()).unwrap()
}

fn as_json(line: &PreviewLine) -> Value {
    serde_json::to_value(line).unwrap()
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn retail_get_purchase_orders_shows_each_order_for_review() {
    let body = json!({"payload": {
        "pagination": { "nextToken": "MDAwMDAwMDAwMQ==" },
        "orders": [retail_order("4Z32PABC"), retail_order("4Z32PABD")]
    }});
    let preview = run(MANUAL, &body);
    assert_eq!(preview.shape, BodyShape::RetailPurchaseOrders);
    assert_eq!(preview.lines.len(), 2);
    let line = as_json(&preview.lines[0]);
    let mut found = keys(&line);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "acknowledgement",
            "problems",
            "program",
            "purchaseOrderNumber",
            "salesOrder"
        ]
    );
    assert_eq!(line["purchaseOrderNumber"], "4Z32PABC");
    assert_eq!(line["program"], "RetailProcurement");
    assert_eq!(line["problems"], json!([]));
    // Manual acknowledgement: Pending Approval, nothing sent to Amazon yet.
    assert!(line["acknowledgement"].is_null());
    let so = &line["salesOrder"];
    assert_eq!(so["externalId"], "AVC-RP-4Z32PABC");
    assert_eq!(so["entity"]["id"], "1234");
    assert_eq!(so["subsidiary"]["id"], "1");
    assert_eq!(so["location"]["id"], "3");
    assert_eq!(so["currency"]["id"], "1");
    assert_eq!(so["orderStatus"]["id"], "A");
    assert_eq!(so["otherRefNum"], "4Z32PABC");
    assert_eq!(so["tranDate"], "2025-03-01");
    assert_eq!(so["shipDate"], "2025-03-03");
    let items = so["item"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    // Two cases of six: twelve eaches at the net cost per each.
    assert_eq!(items[0]["item"]["id"], "98");
    assert_eq!(items[0]["quantity"], 12);
    assert_eq!(items[0]["rate"], 4.25);
    assert_eq!(items[0]["amount"], 51.0);
    assert_eq!(items[0]["custcol_avc_item_seq"], "1");
    assert_eq!(items[1]["quantity"], 3);
    assert_eq!(items[1]["amount"], 30.0);
    assert_eq!(
        as_json(&preview.lines[1])["purchaseOrderNumber"],
        "4Z32PABD"
    );
}

#[test]
fn retail_get_purchase_order_is_one_line() {
    let preview = run(MANUAL, &json!({"payload": retail_order("4Z32PABC")}));
    assert_eq!(preview.shape, BodyShape::RetailPurchaseOrder);
    assert_eq!(preview.lines.len(), 1);
    assert!(
        preview.lines[0].is_clean(),
        "{:?}",
        preview.lines[0].problems
    );
    assert!(preview.lines[0].sales_order.is_some());
}

/// The four Direct Fulfillment shapes give the same line for the same order.
#[test]
fn direct_fulfillment_bodies_of_both_versions_read_alike() {
    let order = df_order("2JK3S9VC");
    let cases = [
        (
            json!({"payload": {"orders": [order.clone()]}}),
            BodyShape::DirectFulfillmentV1Orders,
        ),
        (
            json!({"payload": order.clone()}),
            BodyShape::DirectFulfillmentV1Order,
        ),
        (
            json!({"pagination": {"nextToken": "MDAwMDAwMDAwMQ=="}, "orders": [order.clone()]}),
            BodyShape::DirectFulfillmentOrders,
        ),
        (order.clone(), BodyShape::DirectFulfillmentOrder),
    ];
    let settings = auto(false, true);
    let mut seen = Vec::new();
    for (body, shape) in cases {
        let preview = run(&settings, &body);
        assert_eq!(preview.shape, shape, "{body}");
        assert_eq!(shape.program(), Program::DirectFulfillment);
        assert_eq!(preview.lines.len(), 1);
        let line = as_json(&preview.lines[0]);
        assert_eq!(line["program"], "DirectFulfillment");
        assert_eq!(line["problems"], json!([]), "{shape}");
        seen.push(line);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));

    let line = &seen[0];
    // Auto acknowledgement: the whole order accepted with `00` at once…
    let ack = &line["acknowledgement"]["orderAcknowledgements"][0];
    assert_eq!(ack["purchaseOrderNumber"], "2JK3S9VC");
    assert_eq!(ack["acknowledgementStatus"]["code"], "00");
    assert_eq!(ack["acknowledgementDate"], "2025-03-01T10:00:00Z");
    assert_eq!(ack["sellingParty"]["partyId"], "ABCDE");
    assert_eq!(ack["shipFromParty"]["partyId"], "WH01");
    assert_eq!(
        ack["itemAcknowledgements"][0]["acknowledgedQuantity"]["amount"],
        2
    );
    // …and, once Amazon confirms, the sales order ready to fulfil, shipped to the
    // consumer.
    let so = &line["salesOrder"];
    assert_eq!(so["externalId"], "AVC-DF-2JK3S9VC");
    assert_eq!(so["entity"]["id"], "1250");
    assert_eq!(so["orderStatus"]["id"], "B");
    assert_eq!(so["shipDate"], "2025-03-02");
    assert_eq!(so["shippingAddress"]["addressee"], "Robin Example");
    assert_eq!(so["shippingAddress"]["country"]["id"], "US");
    assert_eq!(so["item"]["items"][0]["item"]["id"], "100");
    assert_eq!(so["item"]["items"][0]["amount"], 39.98);
}

#[test]
fn a_page_with_a_bad_order_shows_it_with_its_reasons_and_the_rest_go_through() {
    let mut unreadable = retail_order("BADQTY01");
    unreadable["orderDetails"]["items"][1]["orderedQuantity"]["amount"] = json!("five");
    let mut invalid = retail_order("BADDATE1");
    invalid["orderDetails"]["purchaseOrderDate"] = json!("yesterday");
    let mut unmapped = retail_order("UNMAPPED");
    unmapped["orderDetails"]["items"][0]["vendorProductIdentifier"] = json!("SKU-9");
    unmapped["orderDetails"]["items"][0]["amazonProductIdentifier"] = json!("B000000009");
    let body = json!({"payload": {"orders": [
        retail_order("GOOD0001"),
        unreadable,
        42,
        invalid,
        unmapped,
        retail_order("GOOD0002"),
    ]}});
    let preview = run(MANUAL, &body);
    assert_eq!(preview.shape, BodyShape::RetailPurchaseOrders);
    let lines: Vec<Value> = preview.lines.iter().map(as_json).collect();
    assert_eq!(lines.len(), 6);

    for good in [&lines[0], &lines[5]] {
        assert_eq!(good["problems"], json!([]));
        assert!(good["salesOrder"].is_object());
    }
    for bad in &lines[1..5] {
        assert!(bad["salesOrder"].is_null());
        assert!(bad["acknowledgement"].is_null());
        assert_eq!(bad["problems"].as_array().unwrap().len(), 1, "{bad}");
    }
    let problem = |i: usize| lines[i]["problems"][0].as_str().unwrap().to_owned();

    // A value of the wrong type: the field, the line and the reason.
    assert_eq!(lines[1]["purchaseOrderNumber"], "BADQTY01");
    assert_eq!(
        problem(1),
        "PO BADQTY01: `orderDetails.items[1].orderedQuantity.amount` on line 2 cannot be \
         read: invalid type: string \"five\", expected a JSON number"
    );
    // Not an order at all: named by its place in the body.
    assert!(lines[2]["purchaseOrderNumber"].is_null());
    assert_eq!(
        problem(2),
        "PO <missing> at `payload.orders[2]`: `payload.orders[2]` is a number, not an order"
    );
    // A date that does not parse.
    assert!(
        problem(3).starts_with("PO BADDATE1: `orderDetails.purchaseOrderDate` is invalid"),
        "{}",
        problem(3)
    );
    // An item nobody mapped: the PO, the field, the keys and the line.
    assert_eq!(
        problem(4),
        "PO UNMAPPED: `orderDetails.items[0].vendorProductIdentifier` has no NetSuite item \
         mapped for vendor SKU `SKU-9` or ASIN `B000000009` on line 1"
    );
}

#[test]
fn an_unreadable_consumer_field_is_named_without_its_value() {
    let mut order = df_order("2JK3S9VC");
    order["orderDetails"]["shipToParty"] = json!("Robin Example, 1 Test Street");
    let body = json!({"orders": [order, df_order("2JK3S9VD")]});
    let preview = run(&auto(false, true), &body);
    assert_eq!(preview.shape, BodyShape::DirectFulfillmentOrders);
    let problem = &preview.lines[0].problems[0];
    assert!(
        problem.starts_with("PO 2JK3S9VC: `orderDetails.shipToParty` cannot be read"),
        "{problem}"
    );
    assert!(
        !problem.contains("Robin") && !problem.contains("Test Street"),
        "{problem}"
    );
    assert!(preview.lines[1].is_clean());
}

#[test]
fn missing_fields_on_a_line_name_the_line() {
    let mut order = retail_order("NOCOST01");
    order["orderDetails"]["items"][1]
        .as_object_mut()
        .unwrap()
        .remove("netCost");
    let preview = run(MANUAL, &json!({"payload": order}));
    assert_eq!(
        preview.lines[0].problems,
        ["PO NOCOST01: `orderDetails.items[1].netCost` is missing on line 2"]
    );
}

#[test]
fn auto_acknowledgement_shows_the_acknowledgement_and_the_sales_order_after_it() {
    let preview = run(
        &auto(true, false),
        &json!({"payload": {"orders": [retail_order("4Z32PABC")]}}),
    );
    let line = as_json(&preview.lines[0]);
    assert_eq!(line["problems"], json!([]));
    let ack = &line["acknowledgement"]["acknowledgements"][0];
    assert_eq!(ack["purchaseOrderNumber"], "4Z32PABC");
    assert_eq!(ack["sellingParty"]["partyId"], "ABCDE");
    assert_eq!(ack["acknowledgementDate"], "2025-03-01T10:00:00Z");
    let first = &ack["items"][0];
    assert_eq!(first["itemSequenceNumber"], "1");
    assert_eq!(first["netCost"]["amount"], "4.25");
    let decision = &first["itemAcknowledgements"][0];
    assert_eq!(decision["acknowledgementCode"], "Accepted");
    assert_eq!(
        decision["acknowledgedQuantity"],
        json!({"amount": 2, "unitOfMeasure": "Cases", "unitSize": 6})
    );
    // Created ready to fulfil once Amazon confirms.
    assert_eq!(line["salesOrder"]["orderStatus"]["id"], "B");

    // The other program's setting does not leak across.
    let df = run(&auto(true, false), &df_order("2JK3S9VC"));
    let line = as_json(&df.lines[0]);
    assert!(line["acknowledgement"].is_null());
    assert_eq!(line["salesOrder"]["orderStatus"]["id"], "A");
}

#[test]
fn an_order_that_cannot_map_sends_nothing_even_with_auto_acknowledgement() {
    let mut order = df_order("2JK3S9VC");
    order["orderDetails"]["items"][0]["netPrice"]["currencyCode"] = json!("EUR");
    let preview = run(&auto(true, true), &order);
    let line = &preview.lines[0];
    assert!(line.sales_order.is_none() && line.acknowledgement.is_none());
    assert_eq!(
        line.problems,
        [
            "PO 2JK3S9VC: `orderDetails.items[0].netPrice.currencyCode` is in currency `EUR`, \
             which the currency map does not list on line 00001"
        ]
    );
}

#[test]
fn orders_amazon_closed_or_cancelled_send_nothing_and_say_why() {
    let mut closed = retail_order("4Z32PABC");
    closed["purchaseOrderState"] = json!("Closed");
    let mut cancelled = df_order("2JK3S9VC");
    cancelled["orderDetails"]["orderStatus"] = json!("CANCELLED");
    let closed = run(&auto(true, true), &json!({"payload": closed}));
    assert_eq!(
        closed.lines[0].problems,
        ["PO 4Z32PABC: closed by Amazon; nothing would be sent"]
    );
    let cancelled = run(&auto(true, true), &cancelled);
    assert_eq!(
        cancelled.lines[0].problems,
        ["PO 2JK3S9VC: cancelled by Amazon; nothing would be sent"]
    );
    assert!(cancelled.lines[0].sales_order.is_none());
}

#[test]
fn an_empty_page_has_no_lines() {
    for body in [
        json!({"payload": {"orders": []}}),
        json!({"payload": {"pagination": {}}}),
        json!({"orders": []}),
    ] {
        let preview = run(MANUAL, &body);
        assert!(preview.lines.is_empty());
        assert!(preview.shape.is_list());
    }
}

/// The message of an error, checked to be one line.
fn one_line(error: PreviewError) -> (PreviewError, String) {
    let message = error.to_string();
    assert!(!message.contains('\n'), "{message}");
    assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
    (error, message)
}

#[test]
fn unreadable_bodies_are_typed_errors_with_a_one_line_message() {
    let err = |body: &str| one_line(preview(MANUAL, body, now()).unwrap_err());

    let (e, message) = err("{\"payload\": ");
    assert!(matches!(e, PreviewError::OrdersNotJson(_)), "{e:?}");
    assert!(
        message.starts_with("the orders body is not JSON"),
        "{message}"
    );

    for (body, reason) in [
        ("[]", "the body is a list, not a JSON object"),
        (
            "{\"payload\": 5}",
            "`payload` is a number, not a JSON object",
        ),
        (
            "{\"payload\": {\"nextToken\": \"x\"}}",
            "`payload` holds neither `orders` nor `purchaseOrderNumber`",
        ),
        (
            "{\"hello\": 1}",
            "found neither `payload`, `orders` nor `purchaseOrderNumber`",
        ),
        ("{\"orders\": {}}", "`orders` is an object, not a list"),
    ] {
        let (e, _) = err(body);
        match e {
            PreviewError::UnknownShape { reason: found } => assert_eq!(found, reason, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }

    // A bare list of retail orders is not something Amazon sends.
    let (e, _) = err(&json!({"orders": [retail_order("4Z32PABC")]}).to_string());
    assert!(matches!(e, PreviewError::UnknownShape { .. }), "{e:?}");

    // Amazon's answer to a failed request.
    let (e, message) = err(
        r#"{"errors":[{"code":"InvalidInput","message":"Invalid request parameters.","details":""}]}"#,
    );
    assert!(matches!(e, PreviewError::AmazonErrors { .. }), "{e:?}");
    assert_eq!(
        message,
        "the orders body is an error response from Amazon: InvalidInput: Invalid request parameters."
    );

    // As many retail orders as Direct Fulfillment ones: no guess.
    let (e, _) =
        err(&json!({"payload": {"orders": [retail_order("A1"), df_order("B1")]}}).to_string());
    assert!(
        matches!(
            e,
            PreviewError::AmbiguousProgram {
                retail: 1,
                direct_fulfillment: 1
            }
        ),
        "{e:?}"
    );
}

#[test]
fn unreadable_settings_are_typed_errors_before_the_orders_are_read() {
    let body = json!({"payload": retail_order("4Z32PABC")}).to_string();
    for settings in [
        "",
        "{",
        r#"{"autoAcknowledge": {"retail": true}}"#,
        r#"{"currencies": {"USD": 1}}"#,
        r#"{"items": {"byVendorSku": {"X": {"item": "1", "weightPerEach": {"pounds": "0"}}}}}"#,
        r#"{"items": {"byVendorSku": {"X": {"item": "1", "weightPerEach": {"pounds": "1E+999999999"}}}}}"#,
    ] {
        let (e, message) = one_line(preview(settings, &body, now()).unwrap_err());
        assert!(matches!(e, PreviewError::Settings(_)), "{settings}: {e:?}");
        assert!(message.starts_with("settings"), "{message}");
        // Settings are read first: a bad orders body changes nothing.
        let again = preview(settings, "not json", now()).unwrap_err();
        assert!(matches!(again, PreviewError::Settings(_)), "{again:?}");
    }
}

#[test]
fn a_line_never_fails_to_serialize() {
    let body = json!({"payload": {"orders": [retail_order("4Z32PABC"), "x", {}]}});
    for line in run(&auto(true, true), &body).lines {
        let text = serde_json::to_string(&line).unwrap();
        assert!(!text.contains('\n'));
    }
}

#[test]
fn an_order_whose_every_line_the_policy_rejects_is_acknowledged_at_once() {
    let mut settings: Value = serde_json::from_str(MANUAL).unwrap();
    settings["policies"] = json!({"unmappedItem": "rejectLine"});
    settings["items"] = json!({});
    let preview = run(
        &settings.to_string(),
        &json!({"payload": retail_order("4Z32PABC")}),
    );
    let line = as_json(&preview.lines[0]);
    // Nothing to review and nothing to ship: no sales order, every line rejected.
    assert!(line["salesOrder"].is_null());
    assert_eq!(line["problems"], json!([]));
    for item in line["acknowledgement"]["acknowledgements"][0]["items"]
        .as_array()
        .unwrap()
    {
        let decision = &item["itemAcknowledgements"][0];
        assert_eq!(decision["acknowledgementCode"], "Rejected");
        assert_eq!(decision["rejectionReason"], "InvalidProductIdentifier");
    }
}
