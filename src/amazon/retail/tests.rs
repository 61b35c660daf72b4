use super::fixtures::*;
use super::*;
use crate::acknowledgement::{
    AcknowledgementCode, LineDecision, RejectionReason, RetailAcknowledgement,
    RetailAcknowledgementLine,
};
use crate::amazon::error;
use crate::amazon::transaction;
use crate::decimal::Decimal;
use crate::ids::{Asin, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
use crate::order::{
    AmazonOrderState, Price, PriceBasis, Program, ProgramDetails, Quantity, QuantityUnit,
    RetailDetails, WeightUnit, format_instant, parse_instant,
};
use crate::order::{Problem, ProblemKind};
use chrono::DateTime;
use proptest::prelude::*;
use serde_json::{Value, json};

fn page(text: &str) -> GetPurchaseOrdersResponse {
    serde_json::from_str(text).unwrap()
}

fn single(text: &str) -> Order {
    serde_json::from_str::<GetPurchaseOrderResponse>(text)
        .unwrap()
        .payload
        .unwrap()
}

/// The 4Z32PABC order with `edit` applied to its JSON.
fn edited(edit: impl FnOnce(&mut Value)) -> Order {
    let mut body: Value = serde_json::from_str(ORDER_4Z32PABC).unwrap();
    edit(&mut body["payload"]);
    serde_json::from_value(body["payload"].clone()).unwrap()
}

fn problems(order: &Order) -> Vec<(Option<String>, String, ProblemKind)> {
    order
        .to_purchase_order()
        .unwrap_err()
        .problems
        .into_iter()
        .map(|p: Problem| (p.line, p.field, p.kind))
        .collect()
}

fn missing(line: Option<&str>, field: &str) -> (Option<String>, String, ProblemKind) {
    (
        line.map(str::to_owned),
        field.to_owned(),
        ProblemKind::Missing,
    )
}

fn is_invalid(
    found: &[(Option<String>, String, ProblemKind)],
    line: Option<&str>,
    field: &str,
) -> bool {
    found.iter().any(|(l, f, k)| {
        l.as_deref() == line && f == field && matches!(k, ProblemKind::Invalid { .. })
    })
}

#[test]
fn sandbox_responses_round_trip_exactly() {
    let detailed: GetPurchaseOrdersResponse = round_trip(PAGE_DETAILED);
    assert_eq!(detailed.next_token(), Some("MDAwMDAwMDAwMQ=="));
    assert_eq!(detailed.orders().len(), 2);
    let summary: GetPurchaseOrdersResponse = round_trip(PAGE_SUMMARY);
    assert_eq!(summary.next_token(), None);
    round_trip::<GetPurchaseOrdersResponse>(PAGE_MOCK);
    round_trip::<GetPurchaseOrderResponse>(ORDER_4Z32PABC);
    round_trip::<GetPurchaseOrderResponse>(ORDER_MOCK);
    let status: GetPurchaseOrdersStatusResponse = round_trip(STATUS_PAGE);
    assert_eq!(status.next_token(), Some("MDAwMDAwMDAwMZ=="));
    let line = &status.orders_status()[0].item_status.as_ref().unwrap()[0];
    assert_eq!(
        line.acknowledgement_status
            .as_ref()
            .unwrap()
            .confirmation_status,
        Some(ConfirmationStatus::Accepted)
    );
    let cancelled: GetPurchaseOrdersStatusResponse = round_trip(STATUS_CANCELLED);
    assert_eq!(cancelled.next_token(), None);
    let submitted: SubmitAcknowledgementResponse = round_trip(
        r#"{"payload":{"transactionId":"20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5"}}"#,
    );
    assert_eq!(
        submitted.transaction_id(),
        Some("20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5")
    );
    for errors in [
        r#"{"errors":[{"code":"InvalidRequest","message":"The request is invalid.","details":""}]}"#,
        r#"{"errors":[{"code":"InvalidRequest","message":"Request is missing or has invalid parameters","details":"purchaseOrderNumber cannot be null"}]}"#,
    ] {
        round_trip::<GetPurchaseOrdersResponse>(errors);
        round_trip::<GetPurchaseOrderResponse>(errors);
        round_trip::<GetPurchaseOrdersStatusResponse>(errors);
        round_trip::<SubmitAcknowledgementResponse>(errors);
    }
}

#[test]
fn addresses_and_tax_details_round_trip_and_stay_out_of_debug() {
    let order: Order = round_trip(
        r#"{"purchaseOrderNumber":"L8266355","purchaseOrderState":"New","orderDetails":{"shipToParty":{"partyId":"ABCD","address":{"name":"APPARIO RETAIL PVT.LTD.","addressLine1":"3APPARIO RETAIL PVT.LTD.- C/O. AMAZON SELLER SERVIC","addressLine2":"Unit 4","addressLine3":"Block B","city":"Siddhapudur","county":"Coimbatore","district":"West","stateOrRegion":"Tamil Nadu","postalCode":"641044","countryCode":"IN","phone":"206-266-8000"},"taxInfo":{"taxRegistrationType":"GST","taxRegistrationNumber":"098522PCA6346DTEDD"}}}}"#,
    );
    let shown = format!("{order:?}");
    for secret in ["APPARIO", "Siddhapudur", "641044", "206-266", "098522"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("IN"), "{shown}");
}

#[test]
fn unknown_fields_are_ignored_and_unknown_enum_values_kept() {
    let order: Order = serde_json::from_str(
        r#"{"purchaseOrderNumber":"X1","purchaseOrderState":"Cancelled","futureField":{"a":1},
            "orderDetails":{"purchaseOrderType":"FlashOrder","paymentMethod":"INVOICE"}}"#,
    )
    .unwrap();
    assert_eq!(
        order.purchase_order_state,
        Some(PurchaseOrderState::Other("Cancelled".into()))
    );
    let details = order.order_details.as_ref().unwrap();
    assert_eq!(
        details.payment_method.as_ref().unwrap().known(),
        Some(PaymentMethod::Invoice)
    );
    assert_eq!(
        serde_json::to_value(&order).unwrap(),
        json!({"purchaseOrderNumber":"X1","purchaseOrderState":"Cancelled",
               "orderDetails":{"purchaseOrderType":"FlashOrder","paymentMethod":"INVOICE"}})
    );
}

#[test]
fn a_valid_order_converts_with_exact_decimals_and_windows() {
    let po = single(ORDER_4Z32PABC).to_purchase_order().unwrap();
    assert_eq!(po.program, Program::RetailProcurement);
    assert_eq!(po.number.as_str(), "4Z32PABC");
    assert_eq!(po.state, AmazonOrderState::Closed);
    assert_eq!(format_instant(&po.ordered_at), "2019-07-26T11:10:00Z");
    assert_eq!(po.changed_at, None);
    assert_eq!(
        po.state_changed_at.map(|t| format_instant(&t)).as_deref(),
        Some("2019-08-25T19:29:23Z")
    );
    assert_eq!(po.selling_party.as_str(), "999US");
    assert_eq!(
        po.ship_to
            .as_ref()
            .and_then(|p| p.id.as_ref())
            .map(PartyId::as_str),
        Some("ABCD")
    );
    assert_eq!(
        po.ship_window.map(|w| w.to_string()).as_deref(),
        Some("2019-07-26T07:00:00Z--2019-08-03T07:00:00Z")
    );
    assert_eq!(po.delivery_window, None);
    assert_eq!(
        po.details,
        ProgramDetails::Retail(RetailDetails {
            order_type: Some("RegularOrder".into()),
            payment_method: Some("Invoice".into()),
            deal_code: None,
            is_import: false,
        })
    );
    let costs: Vec<String> = po
        .lines
        .iter()
        .map(|l| l.net_cost.money.to_string())
        .collect();
    assert_eq!(costs, ["140 USD", "15.62 USD", "110.00 USD"]);
    let third = &po.lines[2];
    assert_eq!(third.sequence.as_str(), "3");
    assert_eq!(third.asin.as_ref().map(Asin::as_str), Some("B076SDSABC"));
    assert_eq!(
        third.vendor_sku.as_ref().map(VendorSku::as_str),
        Some("0017817755000")
    );
    assert_eq!(third.net_cost.basis, PriceBasis::Each);
    assert_eq!(third.net_cost.money.amount().scale(), 2);
    assert_eq!(
        third.list_price.map(|p| p.money.to_string()).as_deref(),
        Some("110.00 USD")
    );
    assert_eq!(po.lines[0].ordered, Quantity::eaches_of(37));
    assert!(!third.back_order_allowed);
}

#[test]
fn cases_and_weight_prices_convert_whatever_their_case() {
    let detailed = page(PAGE_DETAILED);
    let first = detailed.orders()[0].to_purchase_order().unwrap();
    assert_eq!(
        first.changed_at.map(|t| format_instant(&t)).as_deref(),
        Some("2019-08-22T16:05:00Z")
    );
    let import = detailed.orders()[1].to_purchase_order().unwrap();
    let line = &import.lines[0];
    assert_eq!(
        line.ordered,
        Quantity {
            amount: 5,
            unit: QuantityUnit::Cases,
            unit_size: 10
        }
    );
    assert_eq!(line.ordered.eaches(), Some(50));
    assert_eq!(line.net_cost.basis, PriceBasis::Weight(WeightUnit::Pounds));
    assert!(line.back_order_allowed);
    assert!(matches!(
        &import.details,
        ProgramDetails::Retail(RetailDetails {
            is_import: true,
            ..
        })
    ));

    let lower = edited(|po| {
        po["orderDetails"]["items"][0]["netCost"]["unitOfMeasure"] = json!("kilograms");
        po["orderDetails"]["items"][0]["orderedQuantity"]["unitOfMeasure"] = json!("eaches");
        po["purchaseOrderState"] = json!("CLOSED");
    })
    .to_purchase_order()
    .unwrap();
    assert_eq!(lower.state, AmazonOrderState::Closed);
    assert_eq!(
        lower.lines[0].net_cost.basis,
        PriceBasis::Weight(WeightUnit::Kilograms)
    );
    assert_eq!(lower.lines[0].ordered.unit, QuantityUnit::Eaches);
}

#[test]
fn a_quantity_without_a_unit_is_eaches_and_zero_is_a_cancelled_line() {
    let po = edited(|po| {
        po["orderDetails"]["items"][0]["orderedQuantity"] = json!({"amount": 0});
    })
    .to_purchase_order()
    .unwrap();
    assert_eq!(po.lines[0].ordered, Quantity::eaches_of(0));
}

#[test]
fn the_mock_page_reports_exactly_what_breaks_the_model() {
    let mock = page(PAGE_MOCK);
    let first = &mock.orders()[0];
    assert_eq!(
        problems(first),
        vec![
            missing(None, "purchaseOrderState"),
            missing(None, "orderDetails.purchaseOrderStateChangedDate"),
            missing(Some("00001"), "orderDetails.items[0].netCost"),
            missing(Some("00002"), "orderDetails.items[1].netCost"),
            missing(Some("00003"), "orderDetails.items[2].netCost"),
        ]
    );
    let err = first.to_purchase_order().unwrap_err();
    assert_eq!(err.purchase_order_number, "mock-purchaseOrderNumber1");
    assert!(
        err.to_string()
            .contains("PO mock-purchaseOrderNumber1: `orderDetails.items[2].netCost` is missing"),
        "{err}"
    );
    assert_eq!(
        problems(&mock.orders()[1]),
        vec![
            missing(None, "purchaseOrderState"),
            missing(None, "orderDetails.purchaseOrderStateChangedDate"),
        ]
    );
    assert_eq!(
        problems(&single(ORDER_MOCK)),
        vec![
            missing(None, "purchaseOrderState"),
            missing(None, "orderDetails.purchaseOrderStateChangedDate"),
        ]
    );
}

#[test]
fn orders_listed_without_details_report_them_missing() {
    let summary = page(PAGE_SUMMARY);
    for order in summary.orders() {
        assert_eq!(problems(order), vec![missing(None, "orderDetails")]);
    }
    let err = summary.orders()[1].to_purchase_order().unwrap_err();
    assert_eq!(err.purchase_order_number, "3TRD2ABC");
}

#[test]
fn bad_dates_decimals_and_codes_are_invalid_and_named() {
    let order = edited(|po| {
        po["orderDetails"]["purchaseOrderDate"] = json!("2019-07-26 11:10");
        po["orderDetails"]["purchaseOrderChangedDate"] = json!("yesterday");
        po["orderDetails"]["shipWindow"] = json!("2019-08-03T07:00:00Z--2019-07-26T07:00:00Z");
        po["orderDetails"]["deliveryWindow"] = json!("2019-08-03T07:00:00Z");
        po["orderDetails"]["items"][2]["netCost"]["amount"] = json!("110,00");
        po["orderDetails"]["items"][1]["netCost"]["currencyCode"] = json!("usd");
        po["orderDetails"]["items"][0]["listPrice"]["amount"] = json!("1e999");
        po["orderDetails"]["items"][0]["netCost"]["amount"] = json!("-1");
    });
    let found = problems(&order);
    assert_eq!(found.len(), 8, "{found:?}");
    for (line, field) in [
        (None, "orderDetails.purchaseOrderDate"),
        (None, "orderDetails.purchaseOrderChangedDate"),
        (None, "orderDetails.shipWindow"),
        (None, "orderDetails.deliveryWindow"),
        (Some("3"), "orderDetails.items[2].netCost.amount"),
        (Some("2"), "orderDetails.items[1].netCost.currencyCode"),
        (Some("1"), "orderDetails.items[0].listPrice.amount"),
        (Some("1"), "orderDetails.items[0].netCost.amount"),
    ] {
        assert!(is_invalid(&found, line, field), "{field}: {found:?}");
    }
    let text = order.to_purchase_order().unwrap_err().to_string();
    assert!(
        text.contains(
            "`orderDetails.items[2].netCost.amount` is invalid: `110,00` is not a decimal number"
        ),
        "{text}"
    );
}

#[test]
fn quantities_must_be_whole_and_cases_need_a_size() {
    let order = edited(|po| {
        let items = &mut po["orderDetails"]["items"];
        items[0]["orderedQuantity"] = json!({"amount": 5, "unitOfMeasure": "CASES"});
        items[1]["orderedQuantity"] =
            json!({"amount": 2.5, "unitOfMeasure": "Cases", "unitSize": 0});
        items[2]["orderedQuantity"] = json!({"amount": -1, "unitOfMeasure": "Pallets"});
    });
    let found = problems(&order);
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(found.contains(&missing(
        Some("1"),
        "orderDetails.items[0].orderedQuantity.unitSize"
    )));
    for (line, field) in [
        (Some("2"), "orderDetails.items[1].orderedQuantity.amount"),
        (Some("2"), "orderDetails.items[1].orderedQuantity.unitSize"),
        (Some("3"), "orderDetails.items[2].orderedQuantity.amount"),
        (
            Some("3"),
            "orderDetails.items[2].orderedQuantity.unitOfMeasure",
        ),
    ] {
        assert!(is_invalid(&found, line, field), "{field}: {found:?}");
    }

    let overflow = edited(|po| {
        po["orderDetails"]["items"][0]["orderedQuantity"] =
            json!({"amount": u64::MAX, "unitOfMeasure": "Cases", "unitSize": 2});
    });
    assert!(is_invalid(
        &problems(&overflow),
        Some("1"),
        "orderDetails.items[0].orderedQuantity.amount"
    ));
}

#[test]
fn every_required_field_is_reported_at_once() {
    let order: Order = serde_json::from_value(json!({
        "purchaseOrderState": "Shipped",
        "orderDetails": {
            "buyingParty": {"address": {"countryCode": "IND"}},
            "items": [
                {"itemSequenceNumber": "1"},
                {"itemSequenceNumber": "1", "vendorProductIdentifier": "",
                 "orderedQuantity": {}, "isBackOrderAllowed": true,
                 "netCost": {"unitOfMeasure": "STONES"}}
            ]
        }
    }))
    .unwrap();
    let err = order.to_purchase_order().unwrap_err();
    assert_eq!(err.purchase_order_number, "<missing>");
    let found: Vec<(Option<String>, String, ProblemKind)> = err
        .problems
        .into_iter()
        .map(|p| (p.line, p.field, p.kind))
        .collect();
    let expected_missing = [
        (None, "purchaseOrderNumber"),
        (None, "orderDetails.purchaseOrderDate"),
        (None, "orderDetails.purchaseOrderStateChangedDate"),
        (None, "orderDetails.sellingParty"),
        (None, "orderDetails.buyingParty.partyId"),
        (None, "orderDetails.buyingParty.address.name"),
        (None, "orderDetails.buyingParty.address.addressLine1"),
        (Some("1"), "orderDetails.items[0].orderedQuantity"),
        (Some("1"), "orderDetails.items[0].isBackOrderAllowed"),
        (Some("1"), "orderDetails.items[0].netCost"),
        (Some("1"), "orderDetails.items[1].orderedQuantity.amount"),
        (Some("1"), "orderDetails.items[1].netCost.amount"),
        (Some("1"), "orderDetails.items[1].netCost.currencyCode"),
    ];
    let expected_invalid = [
        (None, "purchaseOrderState"),
        (None, "orderDetails.buyingParty.address.countryCode"),
        (Some("1"), "orderDetails.items[0]"),
        (Some("1"), "orderDetails.items[1].itemSequenceNumber"),
        (Some("1"), "orderDetails.items[1].vendorProductIdentifier"),
        (Some("1"), "orderDetails.items[1].netCost.unitOfMeasure"),
    ];
    for (line, field) in expected_missing {
        assert!(found.contains(&missing(line, field)), "{field}: {found:?}");
    }
    for (line, field) in expected_invalid {
        assert!(is_invalid(&found, line, field), "{field}: {found:?}");
    }
    assert_eq!(
        found.len(),
        expected_missing.len() + expected_invalid.len(),
        "{found:?}"
    );
}

#[test]
fn an_order_without_items_is_invalid() {
    let empty = edited(|po| po["orderDetails"]["items"] = json!([]));
    assert!(is_invalid(&problems(&empty), None, "orderDetails.items"));
    let none = edited(|po| {
        po["orderDetails"].as_object_mut().unwrap().remove("items");
    });
    assert_eq!(problems(&none), vec![missing(None, "orderDetails.items")]);
}

#[test]
fn addresses_convert_to_the_domain() {
    let po = edited(|po| {
        po["orderDetails"]["shipToParty"]["address"] = json!({
            "name": "Amazon FC", "addressLine1": "1 Dock Road", "city": "Siddhapudur",
            "postalCode": "641044", "countryCode": "IN", "phone": "206-266-8000"});
    })
    .to_purchase_order()
    .unwrap();
    let address = po.ship_to.and_then(|p| p.address).unwrap();
    assert_eq!(address.name, "Amazon FC");
    assert_eq!(address.address_line1, "1 Dock Road");
    assert_eq!(address.postal_code.as_deref(), Some("641044"));
    assert_eq!(address.country_code, "IN");
}

/// The domain acknowledgement that answers the sandbox's 202 case.
fn ack_202() -> RetailAcknowledgement {
    RetailAcknowledgement {
        purchase_order_number: PurchaseOrderNumber::new("TestOrder202").unwrap(),
        selling_party: PartyId::new("API01").unwrap(),
        acknowledged_at: parse_instant("2021-03-12T17:35:26.308Z").unwrap(),
        lines: vec![RetailAcknowledgementLine {
            sequence: ItemSequenceNumber::new("1").unwrap(),
            asin: None,
            vendor_sku: Some(VendorSku::new("028877454078").unwrap()),
            ordered: Quantity::eaches_of(10),
            net_cost: Price {
                money: crate::money::Money::new("10.2".parse().unwrap(), "USD".parse().unwrap()),
                basis: PriceBasis::Each,
            },
            list_price: None,
            discount_multiplier: None,
            decisions: vec![LineDecision {
                code: AcknowledgementCode::Accepted,
                quantity: Quantity::eaches_of(10),
                scheduled_ship_date: None,
                scheduled_delivery_date: None,
                rejection_reason: None,
            }],
        }],
    }
}

#[test]
fn the_sandbox_202_body_round_trips_byte_for_byte() {
    let request: SubmitAcknowledgementRequest = serde_json::from_str(ACK_202).unwrap();
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        serde_json::from_str::<Value>(ACK_202).unwrap()
    );
    // Fields are written in the model's order, as Amazon's schema check expects.
    assert_eq!(serde_json::to_string(&request).unwrap(), ACK_202);
}

#[test]
fn bodies_amazon_would_refuse_are_refused() {
    assert!(serde_json::from_str::<SubmitAcknowledgementRequest>(ACK_400).is_err());
    let mut extra: Value = serde_json::from_str(ACK_202).unwrap();
    extra["marketplaceIds"] = json!(["ATVPDKIKX0DER"]);
    assert!(serde_json::from_value::<SubmitAcknowledgementRequest>(extra).is_err());
    for (pointer, value) in [
        (
            "/acknowledgements/0/items/0/itemAcknowledgements/0/acknowledgementCode",
            json!("ACCEPTED"),
        ),
        (
            "/acknowledgements/0/items/0/orderedQuantity/unitOfMeasure",
            json!("CASES"),
        ),
        ("/acknowledgements/0/items/0/netCost/amount", json!(10.2)),
        (
            "/acknowledgements/0/items/0/netCost/currencyCode",
            json!("usd"),
        ),
        (
            "/acknowledgements/0/acknowledgementDate",
            json!("2021-03-12"),
        ),
        ("/acknowledgements/0/sellingParty/partyId", json!("")),
        (
            "/acknowledgements/0/items/0/netCost/unitOfMeasure",
            json!("Pounds"),
        ),
    ] {
        let mut body: Value = serde_json::from_str(ACK_202).unwrap();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        body.pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap()
            .insert(key.to_owned(), value);
        assert!(
            serde_json::from_value::<SubmitAcknowledgementRequest>(body).is_err(),
            "{pointer}"
        );
    }
}

#[test]
fn from_domain_writes_the_sandbox_202_body_with_what_the_domain_always_knows() {
    let written =
        serde_json::to_value(SubmitAcknowledgementRequest::from_domain(&[ack_202()])).unwrap();
    // The sandbox body plus what the domain always carries: the line's sequence
    // number, the price's currency and the quantities' unit.
    let expected = json!({"acknowledgements":[{"purchaseOrderNumber":"TestOrder202",
        "sellingParty":{"partyId":"API01"},"acknowledgementDate":"2021-03-12T17:35:26.308Z",
        "items":[{"itemSequenceNumber":"1","vendorProductIdentifier":"028877454078",
            "orderedQuantity":{"amount":10,"unitOfMeasure":"Eaches"},
            "netCost":{"currencyCode":"USD","amount":"10.2"},
            "itemAcknowledgements":[{"acknowledgementCode":"Accepted",
                "acknowledgedQuantity":{"amount":10,"unitOfMeasure":"Eaches"}}]}]}]});
    assert_eq!(written, expected);

    let mut stripped = written.clone();
    let item = &mut stripped["acknowledgements"][0]["items"][0];
    for (object, key) in [
        ("", "itemSequenceNumber"),
        ("/netCost", "currencyCode"),
        ("/orderedQuantity", "unitOfMeasure"),
        (
            "/itemAcknowledgements/0/acknowledgedQuantity",
            "unitOfMeasure",
        ),
    ] {
        item.pointer_mut(object)
            .and_then(Value::as_object_mut)
            .and_then(|o| o.remove(key))
            .unwrap();
    }
    assert_eq!(stripped, serde_json::from_str::<Value>(ACK_202).unwrap());
}

#[test]
fn from_domain_writes_cases_weights_splits_and_dates() {
    let mut ack = ack_202();
    let line = &mut ack.lines[0];
    let cases = Quantity {
        amount: 10,
        unit: QuantityUnit::Cases,
        unit_size: 6,
    };
    line.asin = Some(Asin::new("B07DFVDRAB").unwrap());
    line.ordered = cases;
    line.net_cost.basis = PriceBasis::Weight(WeightUnit::Ounces);
    line.list_price = Some(line.net_cost);
    line.decisions = vec![
        LineDecision {
            code: AcknowledgementCode::Accepted,
            quantity: Quantity { amount: 6, ..cases },
            scheduled_ship_date: Some(parse_instant("2021-03-15T00:00:00Z").unwrap()),
            scheduled_delivery_date: Some(parse_instant("2021-03-18T12:30:00.5Z").unwrap()),
            rejection_reason: None,
        },
        LineDecision {
            code: AcknowledgementCode::Rejected,
            quantity: Quantity { amount: 4, ..cases },
            scheduled_ship_date: None,
            scheduled_delivery_date: None,
            rejection_reason: Some(RejectionReason::TemporarilyUnavailable),
        },
    ];
    let written = serde_json::to_value(OrderAcknowledgement::from_domain(&ack)).unwrap();
    let item = &written["items"][0];
    assert_eq!(item["amazonProductIdentifier"], "B07DFVDRAB");
    assert_eq!(
        item["orderedQuantity"],
        json!({"amount":10,"unitOfMeasure":"Cases","unitSize":6})
    );
    assert_eq!(
        item["netCost"],
        json!({"currencyCode":"USD","amount":"10.2","unitOfMeasure":"OUNCES"})
    );
    assert_eq!(item["listPrice"], item["netCost"]);
    assert_eq!(
        item["itemAcknowledgements"],
        json!([
            {"acknowledgementCode":"Accepted",
             "acknowledgedQuantity":{"amount":6,"unitOfMeasure":"Cases","unitSize":6},
             "scheduledShipDate":"2021-03-15T00:00:00Z",
             "scheduledDeliveryDate":"2021-03-18T12:30:00.500Z"},
            {"acknowledgementCode":"Rejected",
             "acknowledgedQuantity":{"amount":4,"unitOfMeasure":"Cases","unitSize":6},
             "rejectionReason":"TemporarilyUnavailable"}
        ])
    );
    assert_no_null(&written);
}

fn assert_no_null(value: &Value) {
    match value {
        Value::Null => panic!("null in an outbound body"),
        Value::Array(items) => items.iter().for_each(assert_no_null),
        Value::Object(fields) => fields.values().for_each(assert_no_null),
        _ => {}
    }
}

// --- property tests ---------------------------------------------------------

/// Names the order bodies use, so generated objects reach deep into the types.
const KEYS: &[&str] = &[
    "payload",
    "errors",
    "pagination",
    "nextToken",
    "orders",
    "purchaseOrderNumber",
    "purchaseOrderState",
    "orderDetails",
    "purchaseOrderDate",
    "purchaseOrderChangedDate",
    "purchaseOrderStateChangedDate",
    "purchaseOrderType",
    "importDetails",
    "dealCode",
    "paymentMethod",
    "buyingParty",
    "sellingParty",
    "shipToParty",
    "billToParty",
    "shipWindow",
    "deliveryWindow",
    "items",
    "partyId",
    "address",
    "taxInfo",
    "name",
    "addressLine1",
    "countryCode",
    "itemSequenceNumber",
    "amazonProductIdentifier",
    "vendorProductIdentifier",
    "orderedQuantity",
    "isBackOrderAllowed",
    "netCost",
    "listPrice",
    "amount",
    "unitOfMeasure",
    "unitSize",
    "currencyCode",
    "transactionId",
    "ordersStatus",
    "itemStatus",
    "acknowledgementStatus",
    "receivingStatus",
    "code",
    "message",
    "details",
    "transactionStatus",
    "status",
];

/// Text that is almost, or exactly, what Amazon sends.
const TEXTS: &[&str] = &[
    "",
    "New",
    "Closed",
    "CASES",
    "Eaches",
    "Pallets",
    "POUNDS",
    "grams",
    "USD",
    "usd",
    "10.2",
    "-0",
    "1e400",
    "1.5E+2",
    "0.000000000000000000000000000001",
    "2019-08-21T07:00:00Z",
    "2019-08-21T07:00:00Z--2019-08-27T07:00:00Z",
    "--",
    "2019-09-2100:00:00",
    "00001",
    "é",
    "\u{0}",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(TEXTS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(8, 128, 6, |inner| {
        let key = prop_oneof![
            4 => prop::sample::select(KEYS).prop_map(str::to_owned),
            1 => "[a-zA-Z]{0,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path to a value inside `value`, as JSON pointers.
fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (k, v) in fields {
                pointers(v, format!("{here}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

fn exercise(value: &Value) {
    let bytes = serde_json::to_vec(value).unwrap();
    exercise_bytes(&bytes);
    if let Ok(order) = serde_json::from_value::<Order>(value.clone()) {
        let _ = order.to_purchase_order();
        let again: Order = serde_json::from_value(serde_json::to_value(&order).unwrap()).unwrap();
        assert_eq!(again, order);
    }
}

fn exercise_bytes(bytes: &[u8]) {
    if let Ok(page) = serde_json::from_slice::<GetPurchaseOrdersResponse>(bytes) {
        let _ = page.next_token();
        for order in page.orders() {
            let _ = order.to_purchase_order();
        }
    }
    if let Ok(single) = serde_json::from_slice::<GetPurchaseOrderResponse>(bytes) {
        if let Some(order) = single.payload {
            let _ = order.to_purchase_order();
        }
    }
    if let Ok(status) = serde_json::from_slice::<GetPurchaseOrdersStatusResponse>(bytes) {
        let _ = status.next_token();
    }
    if let Ok(submitted) = serde_json::from_slice::<SubmitAcknowledgementResponse>(bytes) {
        let _ = submitted.transaction_id();
    }
    let _ = serde_json::from_slice::<SubmitAcknowledgementRequest>(bytes);
    // The other Amazon bodies this crate reads get the same generated input.
    if let Ok(status) = serde_json::from_slice::<transaction::GetTransactionResponse>(bytes) {
        let _ = status.transaction().map(transaction::Transaction::errors);
    }
    if let Ok(status) = serde_json::from_slice::<transaction::TransactionStatus>(bytes) {
        let _ = status
            .transaction_status
            .as_ref()
            .map(transaction::Transaction::errors);
    }
    if let Ok(body) = error::ErrorBody::parse(bytes) {
        let _ = body.errors();
    }
}

fn decision(max: u64) -> impl Strategy<Value = LineDecision> {
    (
        prop::sample::select(vec![
            AcknowledgementCode::Accepted,
            AcknowledgementCode::Backordered,
            AcknowledgementCode::Rejected,
        ]),
        0..=max,
        prop::option::of(0i64..4_000_000_000_000),
        prop::option::of(0i64..4_000_000_000_000),
        prop::option::of(prop::sample::select(vec![
            RejectionReason::TemporarilyUnavailable,
            RejectionReason::InvalidProductIdentifier,
            RejectionReason::ObsoleteProduct,
        ])),
    )
        .prop_map(|(code, amount, ship, delivery, reason)| LineDecision {
            code,
            quantity: Quantity::eaches_of(amount),
            scheduled_ship_date: ship.and_then(DateTime::from_timestamp_millis),
            scheduled_delivery_date: delivery.and_then(DateTime::from_timestamp_millis),
            rejection_reason: reason,
        })
}

fn ack_line() -> impl Strategy<Value = RetailAcknowledgementLine> {
    (
        "[0-9]{1,5}",
        prop::option::of("B[0-9A-Z]{9}"),
        prop::option::of("[0-9]{12,13}"),
        (1u64..1000, any::<bool>(), 1u64..48),
        (
            -1_000_000i64..1_000_000_000,
            0u32..6,
            prop::option::of(0usize..4),
        ),
        any::<bool>(),
        prop::collection::vec(decision(1000), 0..3),
    )
        .prop_map(
            |(
                sequence,
                asin,
                sku,
                (amount, cases, size),
                (mantissa, scale, weight),
                list,
                decisions,
            )| {
                let ordered = if cases {
                    Quantity {
                        amount,
                        unit: QuantityUnit::Cases,
                        unit_size: size,
                    }
                } else {
                    Quantity::eaches_of(amount)
                };
                let weights = [
                    WeightUnit::Pounds,
                    WeightUnit::Ounces,
                    WeightUnit::Grams,
                    WeightUnit::Kilograms,
                ];
                let net_cost = Price {
                    money: crate::money::Money::new(
                        Decimal::new(i128::from(mantissa), scale).unwrap(),
                        "INR".parse().unwrap(),
                    ),
                    basis: weight
                        .and_then(|w| weights.get(w).copied())
                        .map_or(PriceBasis::Each, PriceBasis::Weight),
                };
                RetailAcknowledgementLine {
                    sequence: ItemSequenceNumber::new(sequence).unwrap(),
                    asin: asin.map(|a| Asin::new(a).unwrap()),
                    vendor_sku: sku.map(|s| VendorSku::new(s).unwrap()),
                    ordered,
                    net_cost,
                    list_price: list.then_some(net_cost),
                    discount_multiplier: None,
                    decisions,
                }
            },
        )
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise_bytes(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        exercise(&value);
        exercise(&json!({"payload": {"orders": [value.clone()]}}));
        exercise(&json!({"payload": value}));
    }

    #[test]
    fn damaged_sandbox_orders_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..6),
        source in prop::sample::select(vec![ORDER_4Z32PABC, PAGE_DETAILED, PAGE_MOCK]),
    ) {
        let mut body: Value = serde_json::from_str(source).unwrap();
        for (at, replacement) in edits {
            let mut paths = Vec::new();
            pointers(&body, String::new(), &mut paths);
            let path = at.get(&paths).clone();
            if let Some(slot) = body.pointer_mut(&path) {
                *slot = replacement;
            }
        }
        exercise(&body);
        if let Some(order) = body.get("payload") {
            exercise(order);
        }
    }

    #[test]
    fn decimal_amounts_keep_their_exact_text(
        int in "0|[1-9][0-9]{0,15}",
        frac in prop::option::of("[0-9]{1,12}"),
    ) {
        let text = match &frac {
            Some(frac) => format!("{int}.{frac}"),
            None => int.clone(),
        };
        let order = edited(|po| po["orderDetails"]["items"][0]["netCost"]["amount"] = json!(text));
        let po = order.to_purchase_order().unwrap();
        prop_assert_eq!(po.lines[0].net_cost.money.amount().to_string(), text);
    }

    #[test]
    fn acknowledgement_requests_round_trip_without_nulls(
        lines in prop::collection::vec(ack_line(), 0..4),
        number in "[0-9A-Z]{8}",
        seconds in 0i64..4_000_000_000,
        nanos in 0u32..1_000_000_000,
    ) {
        let ack = RetailAcknowledgement {
            purchase_order_number: PurchaseOrderNumber::new(number).unwrap(),
            selling_party: PartyId::new("API01").unwrap(),
            acknowledged_at: DateTime::from_timestamp(seconds, nanos).unwrap(),
            lines,
        };
        let request = SubmitAcknowledgementRequest::from_domain(std::slice::from_ref(&ack));
        let written = serde_json::to_value(&request).unwrap();
        assert_no_null(&written);
        let read: SubmitAcknowledgementRequest = serde_json::from_value(written).unwrap();
        prop_assert_eq!(read, request);
    }
}
