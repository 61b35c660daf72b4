//! Arbitrary bytes and arbitrary JSON fed to every inbound parser: typed errors only,
//! never a panic.

use avc_order_sync::amazon::{direct_fulfillment as df, error, retail, transaction};
use avc_order_sync::netsuite;
use proptest::prelude::*;
use serde_json::Value;

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
    let _ = serde_json::from_slice::<netsuite::SuiteQlPage>(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = netsuite::internal_id_from_location(text);
        let _ = text.parse::<avc_order_sync::Decimal>();
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
fn adversarial_bodies_are_refused_quickly_and_without_panic() {
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
