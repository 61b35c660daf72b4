//! Replays every static sandbox case and every example in Amazon's own models through
//! the crate's wire types.
//!
//! The models are read at run time from `../shared/reference/sp-api` (or the folder
//! named by `AVC_SP_API_MODELS`); they are never copied into the repository.
//!
//! For each case:
//! - the response body is read into our type for that operation and status, written
//!   back, and compared with the original as `serde_json::Value`s; a difference fails
//!   with its key path. Received wire types keep dates, decimals and unknown enum
//!   spellings as sent, so no value is normalized. The only listed difference is
//!   [`DROPPED_BY_DESIGN`]: fields the model does not define, which wire types ignore;
//! - acknowledgement request bodies are read into our outbound types and written back
//!   identically, or refused where the case is Amazon's own malformed body;
//! - every order is converted into the domain purchase order, and the orders that
//!   break the model are checked against the problems listed in [`EXPECTED_PROBLEMS`].

use std::collections::BTreeSet;
use std::path::PathBuf;

use avc_order_sync::amazon::{direct_fulfillment as df, error, retail, transaction};
use avc_order_sync::testing::json;
use avc_order_sync::{PurchaseOrder, ValidationError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The models, by file name, in the order they are replayed.
const MODEL_FILES: &[&str] = &[
    "vendorOrders.json",
    "vendorTransactionStatus.json",
    "vendorDirectFulfillmentOrdersV1.json",
    "vendorDirectFulfillmentOrders_2021-12-28.json",
    "vendorDirectFulfillmentTransactionsV1.json",
    "vendorDirectFulfillmentTransactions_2021-12-28.json",
];

/// Paths present in a model example that the model's own schema does not define.
/// Amazon's `L8266355` example puts `items` and `deliveryWindow` beside `orderDetails`
/// instead of inside it, and spells `taxRegistrationType` as `taxType`; wire types
/// ignore fields outside the model, so these do not survive the round trip.
const DROPPED_BY_DESIGN: &[(&str, &str)] = &[
    (
        "vendorOrders.json getPurchaseOrders 200 example",
        "payload.orders[0].items",
    ),
    (
        "vendorOrders.json getPurchaseOrders 200 example",
        "payload.orders[0].deliveryWindow",
    ),
    (
        "vendorOrders.json getPurchaseOrders 200 example",
        "payload.orders[0].orderDetails.taxInfo",
    ),
];

/// The orders that break the model, with the fields the conversion must name.
/// Every other order must convert without a problem.
const EXPECTED_PROBLEMS: &[(&str, &str, &[&str])] = &[
    // Listed with `includeDetails=false`: only the number and state. The sync fetches
    // such an order again in full before using it.
    (
        "vendorOrders.json getPurchaseOrders 200 static#1",
        "2JK3S9XY",
        &["orderDetails"],
    ),
    (
        "vendorOrders.json getPurchaseOrders 200 static#1",
        "3TRD2ABC",
        &["orderDetails"],
    ),
    (
        "vendorDirectFulfillmentOrdersV1.json getOrders 200 static#2",
        "2JK3S9VC",
        &["orderDetails"],
    ),
    (
        "vendorDirectFulfillmentOrdersV1.json getOrders 200 static#2",
        "3TRD2IAB",
        &["orderDetails"],
    ),
    (
        "vendorDirectFulfillmentOrdersV1.json getOrders 200 static#3",
        "2JK3S9VCD",
        &["orderDetails"],
    ),
    (
        "vendorDirectFulfillmentOrdersV1.json getOrders 200 static#3",
        "3TRD2IABC",
        &["orderDetails"],
    ),
    // The catch-all mocks omit the state and its date, which the model requires, and
    // the first PO's lines carry a list price but no net cost.
    (
        "vendorOrders.json getPurchaseOrders 200 static#6",
        "mock-purchaseOrderNumber1",
        &[
            "purchaseOrderState",
            "orderDetails.purchaseOrderStateChangedDate",
            "orderDetails.items[0].netCost",
            "orderDetails.items[1].netCost",
            "orderDetails.items[2].netCost",
        ],
    ),
    (
        "vendorOrders.json getPurchaseOrders 200 static#6",
        "mock-purchaseOrderNumber2",
        &[
            "purchaseOrderState",
            "orderDetails.purchaseOrderStateChangedDate",
        ],
    ),
    (
        "vendorOrders.json getPurchaseOrder 200 static#1",
        "mock-purchaseOrderNumber",
        &[
            "purchaseOrderState",
            "orderDetails.purchaseOrderStateChangedDate",
        ],
    ),
    // The malformed example puts `items` beside `orderDetails` instead of inside it.
    (
        "vendorOrders.json getPurchaseOrders 200 example",
        "L8266355",
        &["orderDetails.items"],
    ),
];

fn models_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("AVC_SP_API_MODELS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/sp-api"),
    };
    if dir.join(MODEL_FILES[0]).is_file() {
        Some(dir)
    } else {
        None
    }
}

/// One replayable case: a body with where it came from.
struct Case {
    label: String,
    file: &'static str,
    operation: String,
    status: String,
    request_body: Option<Value>,
    response: Value,
}

fn collect_cases(dir: &std::path::Path) -> (Vec<Case>, usize, usize) {
    let mut cases = Vec::new();
    let (mut statics, mut examples) = (0, 0);
    for file in MODEL_FILES {
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
        let model: Value = serde_json::from_str(&text).expect("model is JSON");
        let paths = model["paths"].as_object().expect("model has paths");
        for item in paths.values() {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                // Path objects also carry `parameters` and `x-amzn-api-sandbox`.
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let operation = op["operationId"].as_str().unwrap_or_default().to_owned();
                let Some(responses) = op["responses"].as_object() else {
                    continue;
                };
                for (status, response) in responses {
                    if let Some(list) = response["x-amzn-api-sandbox"]["static"].as_array() {
                        for (i, case) in list.iter().enumerate() {
                            statics += 1;
                            cases.push(Case {
                                label: format!("{file} {operation} {status} static#{i}"),
                                file,
                                operation: operation.clone(),
                                status: status.clone(),
                                request_body: case["request"]["parameters"]["body"]
                                    .get("value")
                                    .cloned(),
                                response: case["response"].clone(),
                            });
                        }
                    }
                    if let Some(example) = response.get("examples") {
                        examples += 1;
                        // Most examples are keyed by media type; some are the body itself.
                        let body = example
                            .get("application/json")
                            .cloned()
                            .unwrap_or_else(|| example.clone());
                        cases.push(Case {
                            label: format!("{file} {operation} {status} example"),
                            file,
                            operation: operation.clone(),
                            status: status.clone(),
                            request_body: None,
                            response: body,
                        });
                    }
                }
            }
        }
    }
    (cases, statics, examples)
}

/// Reads `value` as `T` and writes it back.
fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<(T, Value), String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| format!("read: {e}"))?;
    let back = serde_json::to_value(&typed).map_err(|e| format!("write: {e}"))?;
    Ok((typed, back))
}

/// Every key path where `a` and `b` differ (`payload.orders[0].items`).
fn paths(a: &Value, b: &Value) -> Vec<String> {
    json::differences(a, b)
        .into_iter()
        .map(|d| {
            if d.path.is_empty() {
                "<root>".into()
            } else {
                d.path
            }
        })
        .collect()
}

type Converted = Vec<(String, Result<PurchaseOrder, ValidationError>)>;

fn convert_retail(orders: &[retail::Order]) -> Converted {
    orders
        .iter()
        .map(|o| {
            (
                o.purchase_order_number.clone().unwrap_or_default(),
                o.to_purchase_order(),
            )
        })
        .collect()
}

fn convert_df(orders: &[df::Order]) -> Converted {
    orders
        .iter()
        .map(|o| {
            (
                o.purchase_order_number.clone().unwrap_or_default(),
                o.to_purchase_order(),
            )
        })
        .collect()
}

/// Replays a response body through the type for its operation and status; returns the
/// re-serialized body and the orders it holds, converted.
fn replay_response(case: &Case) -> Result<(Value, Converted), String> {
    let ok = case.status.starts_with('2');
    if !ok {
        let (_, back) = round_trip::<error::ErrorBody>(&case.response)?;
        return Ok((back, Vec::new()));
    }
    let body = &case.response;
    Ok(match (case.file, case.operation.as_str()) {
        ("vendorOrders.json", "getPurchaseOrders") => {
            let (t, back) = round_trip::<retail::GetPurchaseOrdersResponse>(body)?;
            let orders = t.payload.and_then(|p| p.orders).unwrap_or_default();
            (back, convert_retail(&orders))
        }
        ("vendorOrders.json", "getPurchaseOrder") => {
            let (t, back) = round_trip::<retail::GetPurchaseOrderResponse>(body)?;
            (
                back,
                convert_retail(&t.payload.into_iter().collect::<Vec<_>>()),
            )
        }
        ("vendorOrders.json", "submitAcknowledgement") => (
            round_trip::<retail::SubmitAcknowledgementResponse>(body)?.1,
            Vec::new(),
        ),
        ("vendorOrders.json", "getPurchaseOrdersStatus") => (
            round_trip::<retail::GetPurchaseOrdersStatusResponse>(body)?.1,
            Vec::new(),
        ),
        ("vendorTransactionStatus.json", "getTransaction") => (
            round_trip::<transaction::GetTransactionResponse>(body)?.1,
            Vec::new(),
        ),
        ("vendorDirectFulfillmentOrdersV1.json", "getOrders") => {
            let (t, back) = round_trip::<df::v1::GetOrdersResponse>(body)?;
            let orders = t.payload.and_then(|p| p.orders).unwrap_or_default();
            (back, convert_df(&orders))
        }
        ("vendorDirectFulfillmentOrdersV1.json", "getOrder") => {
            let (t, back) = round_trip::<df::v1::GetOrderResponse>(body)?;
            (back, convert_df(&t.payload.into_iter().collect::<Vec<_>>()))
        }
        ("vendorDirectFulfillmentOrdersV1.json", "submitAcknowledgement") => (
            round_trip::<df::v1::SubmitAcknowledgementResponse>(body)?.1,
            Vec::new(),
        ),
        ("vendorDirectFulfillmentOrders_2021-12-28.json", "getOrders") => {
            let (t, back) = round_trip::<df::OrderList>(body)?;
            (back, convert_df(&t.orders.unwrap_or_default()))
        }
        ("vendorDirectFulfillmentOrders_2021-12-28.json", "getOrder") => {
            let (t, back) = round_trip::<df::Order>(body)?;
            (back, convert_df(&[t]))
        }
        ("vendorDirectFulfillmentOrders_2021-12-28.json", "submitAcknowledgement") => (
            round_trip::<df::v2021_12_28::SubmitAcknowledgementResponse>(body)?.1,
            Vec::new(),
        ),
        ("vendorDirectFulfillmentTransactionsV1.json", "getTransactionStatus") => (
            round_trip::<transaction::DirectFulfillmentV1TransactionResponse>(body)?.1,
            Vec::new(),
        ),
        ("vendorDirectFulfillmentTransactions_2021-12-28.json", "getTransactionStatus") => (
            round_trip::<transaction::TransactionStatus>(body)?.1,
            Vec::new(),
        ),
        (file, op) => return Err(format!("no wire type for {file} {op}")),
    })
}

/// Replays an acknowledgement request body through the outbound type: `Ok(true)` when
/// it round-trips, `Ok(false)` when our strict type refuses it.
fn replay_request(case: &Case, body: &Value) -> Result<bool, String> {
    let result = match case.file {
        "vendorOrders.json" => {
            round_trip::<retail::SubmitAcknowledgementRequest>(body).map(|(_, v)| v)
        }
        _ => round_trip::<df::SubmitAcknowledgementRequest>(body).map(|(_, v)| v),
    };
    match result {
        Ok(back) => {
            let diffs = paths(body, &back);
            if diffs.is_empty() {
                Ok(true)
            } else {
                Err(format!("request body differs at {diffs:?}"))
            }
        }
        Err(_) => Ok(false),
    }
}

fn problem_fields(err: &ValidationError) -> BTreeSet<String> {
    err.problems.iter().map(|p| p.field.clone()).collect()
}

#[test]
fn sandbox_replay_of_every_case_in_amazons_models() {
    let Some(dir) = models_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the SP-API models are not at ../shared/reference/sp-api \
             (or AVC_SP_API_MODELS)"
        );
        println!("sandbox replay skipped: the SP-API models are not present");
        return;
    };
    let (cases, statics, examples) = collect_cases(&dir);
    assert_eq!(statics, 35, "the models hold 35 static sandbox cases");

    let mut failures = Vec::new();
    let mut replayed = 0;
    let mut requests_replayed = 0;
    let mut seen_problems = BTreeSet::new();
    let mut converted_ok = 0;
    for case in &cases {
        match replay_response(case) {
            Err(e) => failures.push(format!("{}: {e}", case.label)),
            Ok((back, orders)) => {
                let mut diffs = paths(&case.response, &back);
                diffs.retain(|d| !DROPPED_BY_DESIGN.contains(&(case.label.as_str(), d.as_str())));
                if !diffs.is_empty() {
                    failures.push(format!("{}: round trip differs at {diffs:?}", case.label));
                }
                for (po, result) in orders {
                    let expected = EXPECTED_PROBLEMS
                        .iter()
                        .find(|(label, p, _)| *label == case.label && *p == po);
                    match (result, expected) {
                        (Ok(_), None) => converted_ok += 1,
                        (Ok(_), Some(_)) => failures.push(format!(
                            "{}: PO {po} converted, but problems were expected",
                            case.label
                        )),
                        (Err(e), None) => {
                            failures.push(format!("{}: PO {po} was refused: {e}", case.label))
                        }
                        (Err(e), Some((_, _, fields))) => {
                            let want: BTreeSet<String> =
                                fields.iter().map(|f| f.to_string()).collect();
                            let got = problem_fields(&e);
                            if got != want {
                                failures.push(format!(
                                    "{}: PO {po} problems {got:?}, expected {want:?}",
                                    case.label
                                ));
                            }
                            assert!(
                                e.problems
                                    .iter()
                                    .all(|p| p.purchase_order_number == po || po.is_empty())
                            );
                            seen_problems.insert((case.label.clone(), po));
                        }
                    }
                }
                replayed += 1;
            }
        }
        if let Some(body) = &case.request_body {
            let malformed = case.status.starts_with('4');
            match replay_request(case, body) {
                Ok(true) if !malformed => requests_replayed += 1,
                Ok(false) if malformed => requests_replayed += 1,
                Ok(accepted) => failures.push(format!(
                    "{}: request body {} by the outbound type",
                    case.label,
                    if accepted { "accepted" } else { "refused" }
                )),
                Err(e) => failures.push(format!("{}: {e}", case.label)),
            }
        }
    }
    for (label, po, _) in EXPECTED_PROBLEMS {
        if !seen_problems.contains(&(label.to_string(), po.to_string())) {
            failures.push(format!(
                "{label}: expected problems for PO {po} were never seen"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "replayed {} sandbox cases ({statics} static responses, {examples} examples, \
         {requests_replayed} acknowledgement request bodies); {converted_ok} orders converted, \
         {} refused with the expected problems",
        replayed + requests_replayed,
        seen_problems.len()
    );
}
