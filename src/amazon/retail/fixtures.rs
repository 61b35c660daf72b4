//! Bodies copied from Amazon's Vendor Orders model (sandbox cases), and a round-trip
//! check that names the key path that differs.

use serde::Serialize;
use serde_json::Value;

/// `getPurchaseOrders` sandbox case 0: a detailed page with a next token.
pub(super) const PAGE_DETAILED: &str = r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[{"purchaseOrderNumber":"2JK3S9VC","purchaseOrderState":"New","orderDetails":{"purchaseOrderDate":"2019-08-20T15:51:00Z","purchaseOrderChangedDate":"2019-08-22T16:05:00Z","purchaseOrderStateChangedDate":"2019-08-20T15:51:00Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{"partyId":"ABCD"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"billToParty":{"partyId":"ABCD"},"shipWindow":"2019-08-21T07:00:00Z--2019-08-27T07:00:00Z","items":[{"itemSequenceNumber":"1","amazonProductIdentifier":"B07DFVDRAB","vendorProductIdentifier":"8806098286500","orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"346.27","currencyCode":"USD"},"listPrice":{"amount":"346.27","currencyCode":"USD"}},{"itemSequenceNumber":"2","amazonProductIdentifier":"B07DFYF5AB","vendorProductIdentifier":"8806098286123","orderedQuantity":{"amount":2,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"229.47","currencyCode":"USD"},"listPrice":{"amount":"229.47","currencyCode":"USD"}},{"itemSequenceNumber":"3","amazonProductIdentifier":"B07MC84QAB","vendorProductIdentifier":"8806098095123","orderedQuantity":{"amount":13,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"412.71","currencyCode":"USD"},"listPrice":{"amount":"412.71","currencyCode":"USD"}}]}},{"purchaseOrderNumber":"3TRD2IAB","purchaseOrderState":"New","orderDetails":{"purchaseOrderDate":"2019-08-20T16:29:00Z","purchaseOrderChangedDate":"2019-08-20T16:50:00Z","purchaseOrderStateChangedDate":"2019-08-20T16:29:00Z","purchaseOrderType":"RegularOrder","importDetails":{"importContainers":"2-20'HC,1-45',1-45'HC","internationalCommercialTerms":"FreeOnBoard","methodOfPayment":"PrepaidBySeller","portOfDelivery":"INDIA","shippingInstructions":"PREFERENCE IS PALLET-LOAD, BUT IF CONTAINERS ARE FLOOR-LOADED"},"paymentMethod":"Invoice","buyingParty":{"partyId":"ABC1"},"sellingParty":{"partyId":"998US"},"shipToParty":{"partyId":"ABC1"},"billToParty":{"partyId":"ABC1"},"shipWindow":"2019-08-21T07:00:00Z--2019-08-27T07:00:00Z","items":[{"itemSequenceNumber":"1","amazonProductIdentifier":"B01LNRIIAB","vendorProductIdentifier":"B01LNRIIAB","orderedQuantity":{"amount":5,"unitOfMeasure":"CASES","unitSize":10},"isBackOrderAllowed":true,"netCost":{"amount":"94.97","currencyCode":"USD","unitOfMeasure":"POUNDS"},"listPrice":{"amount":"94.97","currencyCode":"USD","unitOfMeasure":"POUNDS"}}]}}]}}"#;

/// `getPurchaseOrders` sandbox case 1: `includeDetails=false`, the last page.
pub(super) const PAGE_SUMMARY: &str = r#"{"payload":{"orders":[{"purchaseOrderNumber":"2JK3S9XY","purchaseOrderState":"New"},{"purchaseOrderNumber":"3TRD2ABC","purchaseOrderState":"Acknowledged"}]}}"#;

/// `getPurchaseOrders` sandbox case 6, the catch-all: mock orders that break the
/// model (no state, no state-changed date, the first PO's items without netCost).
pub(super) const PAGE_MOCK: &str = r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[{"purchaseOrderNumber":"mock-purchaseOrderNumber1","orderDetails":{"purchaseOrderDate":"2019-08-14T13:51:00Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{"partyId":"ABCD"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"billToParty":{"partyId":"ABCD"},"items":[{"itemSequenceNumber":"00001","amazonProductIdentifier":"B07DFVDRAB","vendorProductIdentifier":"8806098286500","orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"listPrice":{"amount":"34366.27","currencyCode":"INR"}},{"itemSequenceNumber":"00002","amazonProductIdentifier":"B07DFYF5AB","vendorProductIdentifier":"8806098286123","orderedQuantity":{"amount":2,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"listPrice":{"amount":"22798.47","currencyCode":"INR"}},{"itemSequenceNumber":"00003","amazonProductIdentifier":"B07MC84QAB","vendorProductIdentifier":"8806098095123","orderedQuantity":{"amount":13,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"listPrice":{"amount":"4362.71","currencyCode":"INR"}}]}},{"purchaseOrderNumber":"mock-purchaseOrderNumber2","orderDetails":{"purchaseOrderDate":"2019-08-13T06:29:00Z","purchaseOrderType":"RegularOrder","importDetails":{"importContainers":"2-20'HC,1-45',1-45'HC","internationalCommercialTerms":"FreeOnBoard","methodOfPayment":"PrepaidBySeller","portOfDelivery":"INDIA","shippingInstructions":"PREFERENCE IS PALLET-LOAD, BUT IF CONTAINERS ARE FLOOR-LOADED"},"paymentMethod":"Invoice","buyingParty":{"partyId":"ABC1"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABC1"},"billToParty":{"partyId":"ABC1"},"items":[{"itemSequenceNumber":"00001","amazonProductIdentifier":"B01LNRIIAB","vendorProductIdentifier":"B01LNRIIAB","orderedQuantity":{"amount":24,"unitOfMeasure":"Cases","unitSize":5},"isBackOrderAllowed":true,"netCost":{"amount":"94.97","currencyCode":"INR","unitOfMeasure":"POUNDS"}}]}}]}}"#;

/// `getPurchaseOrder` sandbox case 0.
pub(super) const ORDER_4Z32PABC: &str = r#"{"payload":{"purchaseOrderNumber":"4Z32PABC","purchaseOrderState":"Closed","orderDetails":{"purchaseOrderDate":"2019-07-26T11:10:00Z","purchaseOrderStateChangedDate":"2019-08-25T19:29:23Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{"partyId":"ABCD"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"billToParty":{"partyId":"ABCD"},"shipWindow":"2019-07-26T07:00:00Z--2019-08-03T07:00:00Z","items":[{"itemSequenceNumber":"1","amazonProductIdentifier":"B0748G1ABC","vendorProductIdentifier":"0017817748000","orderedQuantity":{"amount":37,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"140","currencyCode":"USD"},"listPrice":{"amount":"140","currencyCode":"USD"}},{"itemSequenceNumber":"2","amazonProductIdentifier":"B0748JMABC","vendorProductIdentifier":"0017817748000","orderedQuantity":{"amount":24,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"15.62","currencyCode":"USD"},"listPrice":{"amount":"15.62","currencyCode":"USD"}},{"itemSequenceNumber":"3","amazonProductIdentifier":"B076SDSABC","vendorProductIdentifier":"0017817755000","orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"110.00","currencyCode":"USD"},"listPrice":{"amount":"110.00","currencyCode":"USD"}}]}}}"#;

/// `getPurchaseOrder` sandbox case 1, the catch-all.
pub(super) const ORDER_MOCK: &str = r#"{"payload":{"purchaseOrderNumber":"mock-purchaseOrderNumber","orderDetails":{"purchaseOrderDate":"2019-07-26T11:10:00Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{"partyId":"ABCD"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"billToParty":{"partyId":"ABCD"},"items":[{"itemSequenceNumber":"00001","amazonProductIdentifier":"B0748G1ABC","vendorProductIdentifier":"0017817748000","orderedQuantity":{"amount":37,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"14162.00","currencyCode":"INR"}}]}}}"#;

/// `getPurchaseOrdersStatus` sandbox case 0 (the first line of three).
pub(super) const STATUS_PAGE: &str = r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMZ=="},"ordersStatus":[{"purchaseOrderNumber":"2JK3S9VB","purchaseOrderStatus":"OPEN","purchaseOrderDate":"2020-08-17T20:24:58.193Z","lastUpdatedDate":"2020-08-17T21:05:58.193Z","sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"itemStatus":[{"itemSequenceNumber":"1","buyerProductIdentifier":"B07DFVDRAB","vendorProductIdentifier":"8806098286500","netCost":{"amount":"346.27","currencyCode":"USD"},"listPrice":{"amount":"346.27","currencyCode":"USD"},"orderedQuantity":{"orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"orderedQuantityDetails":[{"updatedDate":"2020-08-17T20:24:58.193Z","orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1}}]},"acknowledgementStatus":{"confirmationStatus":"ACCEPTED","acceptedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"rejectedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1},"acknowledgementStatusDetails":[{"acknowledgementDate":"2020-08-17T21:05:58.193Z","acceptedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"rejectedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1}}]},"receivingStatus":{"receiveStatus":"RECEIVED","receivedQuantity":{"amount":1,"unitOfMeasure":"Cases","unitSize":1},"lastReceiveDate":"2020-08-28T21:06:23.193Z"}}]}]}}"#;

/// `getPurchaseOrdersStatus` sandbox case 2 (TestPO1's line, with a cancellation).
pub(super) const STATUS_CANCELLED: &str = r#"{"payload":{"ordersStatus":[{"purchaseOrderNumber":"TestPO1","purchaseOrderStatus":"OPEN","purchaseOrderDate":"2020-08-15T05:24:00.00Z","lastUpdatedDate":"2020-08-17T05:07:00.00Z","sellingParty":{"partyId":"API01"},"shipToParty":{"partyId":"ABC09"},"itemStatus":[{"itemSequenceNumber":"1","buyerProductIdentifier":"B01XYZ3Z123","vendorProductIdentifier":"8806093095999","netCost":{"currencyCode":"USD","amount":"25"},"listPrice":{"currencyCode":"USD","amount":"25"},"orderedQuantity":{"orderedQuantity":{"amount":100,"unitOfMeasure":"Eaches","unitSize":1},"orderedQuantityDetails":[{"updatedDate":"2020-08-17T05:07:00.00Z","cancelledQuantity":{"amount":50,"unitOfMeasure":"Eaches","unitSize":1}},{"updatedDate":"2020-08-15T05:24:00.00Z","orderedQuantity":{"amount":150,"unitOfMeasure":"Eaches","unitSize":1}}]},"acknowledgementStatus":{"confirmationStatus":"UNCONFIRMED","acceptedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1},"rejectedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1}},"receivingStatus":{"receiveStatus":"NOT_RECEIVED","receivedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1}}}]}]}}"#;

/// `submitAcknowledgement` sandbox case 202 #0: the request body.
pub(super) const ACK_202: &str = r#"{"acknowledgements":[{"purchaseOrderNumber":"TestOrder202","sellingParty":{"partyId":"API01"},"acknowledgementDate":"2021-03-12T17:35:26.308Z","items":[{"vendorProductIdentifier":"028877454078","orderedQuantity":{"amount":10},"netCost":{"amount":"10.2"},"itemAcknowledgements":[{"acknowledgementCode":"Accepted","acknowledgedQuantity":{"amount":10}}]}]}]}"#;

/// `submitAcknowledgement` sandbox case 400 #0: the request body Amazon refuses.
pub(super) const ACK_400: &str =
    r#"{"acknowledgements":[{"purchaseOrderNumber":"TestOrder400","sellingParty":{}}]}"#;

/// Reads `text` as `T`, writes it back and checks the JSON is unchanged, naming
/// the first key path that differs.
pub(super) fn round_trip<T: serde::de::DeserializeOwned + Serialize>(text: &str) -> T {
    let original: Value = serde_json::from_str(text).unwrap();
    let read: T = serde_json::from_str(text).unwrap();
    let written = serde_json::to_value(&read).unwrap();
    if let Some(path) = first_difference(&original, &written, String::new()) {
        panic!("round trip changed `{path}`");
    }
    read
}

fn first_difference(a: &Value, b: &Value, path: String) -> Option<String> {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.keys()
                .chain(b.keys())
                .find_map(|k| match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => first_difference(x, y, format!("{path}.{k}")),
                    _ => Some(format!("{path}.{k}")),
                })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, format!("{path}[{i}]"))),
        _ => (a != b).then_some(path),
    }
}
