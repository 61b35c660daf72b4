//! The acknowledgement body, the same in v1 and 2021-12-28. It is sent, so it is
//! strict: exact field names, required fields not `Option`, `None` omitted rather than
//! written as `null`, and unknown fields refused when read back. Amazon rejects bodies
//! with fields its schema does not list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::acknowledgement::{
    DirectFulfillmentAcknowledgement, DirectFulfillmentAcknowledgementLine,
};
use crate::ids::{Asin, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};

/// The body of `submitAcknowledgement`: one or more orders acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitAcknowledgementRequest {
    /// The orders acknowledged.
    pub order_acknowledgements: Vec<OrderAcknowledgementItem>,
}

impl SubmitAcknowledgementRequest {
    /// The body acknowledging these orders, in the order given.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::amazon::direct_fulfillment::SubmitAcknowledgementRequest;
    /// use avc_order_sync::{DirectFulfillmentAcknowledgement, DirectFulfillmentAcknowledgementLine};
    /// use avc_order_sync::df_status;
    ///
    /// let ack = DirectFulfillmentAcknowledgement {
    ///     purchase_order_number: "2JK3S9VC".parse()?,
    ///     vendor_order_number: "SO-1001".into(),
    ///     acknowledged_at: "2020-02-20T19:17:34.304Z".parse()?,
    ///     status_code: df_status::ACCEPTED.into(),
    ///     status_description: df_status::description(df_status::ACCEPTED).unwrap_or_default().into(),
    ///     selling_party: "999US".parse()?,
    ///     ship_from: "ABCD".parse()?,
    ///     lines: vec![DirectFulfillmentAcknowledgementLine {
    ///         sequence: "00001".parse()?,
    ///         asin: None,
    ///         vendor_sku: Some("8806098286500".parse()?),
    ///         quantity: 1,
    ///     }],
    /// };
    /// let body = serde_json::to_value(SubmitAcknowledgementRequest::from_domain(&[ack]))?;
    /// let item = &body["orderAcknowledgements"][0];
    /// assert_eq!(item["acknowledgementDate"], "2020-02-20T19:17:34.304Z");
    /// assert_eq!(item["itemAcknowledgements"][0]["acknowledgedQuantity"]["unitOfMeasure"], "Each");
    /// assert!(item["itemAcknowledgements"][0].get("buyerProductIdentifier").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_domain(acknowledgements: &[DirectFulfillmentAcknowledgement]) -> Self {
        SubmitAcknowledgementRequest {
            order_acknowledgements: acknowledgements
                .iter()
                .map(OrderAcknowledgementItem::from_domain)
                .collect(),
        }
    }
}

/// One order's acknowledgement: accepted or rejected as a whole, every item listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderAcknowledgementItem {
    /// The purchase order acknowledged.
    pub purchase_order_number: PurchaseOrderNumber,
    /// The vendor's own order number for it.
    pub vendor_order_number: String,
    /// When the vendor acknowledged, written in UTC.
    #[serde(with = "instant")]
    pub acknowledgement_date: DateTime<Utc>,
    /// The order-level status code and its description.
    pub acknowledgement_status: AcknowledgementStatus,
    /// The vendor code.
    pub selling_party: AcknowledgementParty,
    /// The vendor warehouse that ships.
    pub ship_from_party: AcknowledgementParty,
    /// Every item of the order with its acknowledged quantity.
    pub item_acknowledgements: Vec<OrderItemAcknowledgement>,
}

impl OrderAcknowledgementItem {
    /// The wire form of a Direct Fulfillment acknowledgement.
    pub fn from_domain(ack: &DirectFulfillmentAcknowledgement) -> Self {
        OrderAcknowledgementItem {
            purchase_order_number: ack.purchase_order_number.clone(),
            vendor_order_number: ack.vendor_order_number.clone(),
            acknowledgement_date: ack.acknowledged_at,
            acknowledgement_status: AcknowledgementStatus {
                code: ack.status_code.clone(),
                description: ack.status_description.clone(),
            },
            selling_party: AcknowledgementParty {
                party_id: ack.selling_party.clone(),
            },
            ship_from_party: AcknowledgementParty {
                party_id: ack.ship_from.clone(),
            },
            item_acknowledgements: ack
                .lines
                .iter()
                .map(OrderItemAcknowledgement::from_domain)
                .collect(),
        }
    }
}

/// The acknowledgement's order-level status. The codes are agreed in Amazon's use-case
/// guide, not in the model: see [`crate::acknowledgement::df_status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcknowledgementStatus {
    /// The two-digit code (`00` accepted, `03` out of stock, …).
    pub code: String,
    /// The reason for the code.
    pub description: String,
}

/// A party named by its id only, as the acknowledgement sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcknowledgementParty {
    /// The vendor code, or the warehouse code of the ship-from party.
    pub party_id: PartyId,
}

/// One item's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderItemAcknowledgement {
    /// The item's sequence number, exactly as the order sent it.
    pub item_sequence_number: ItemSequenceNumber,
    /// Amazon's product id (ASIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_product_identifier: Option<Asin>,
    /// The vendor's product id, as the order sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_product_identifier: Option<VendorSku>,
    /// The quantity acknowledged.
    pub acknowledged_quantity: AcknowledgedQuantity,
}

impl OrderItemAcknowledgement {
    fn from_domain(line: &DirectFulfillmentAcknowledgementLine) -> Self {
        OrderItemAcknowledgement {
            item_sequence_number: line.sequence.clone(),
            buyer_product_identifier: line.asin.clone(),
            vendor_product_identifier: line.vendor_sku.clone(),
            acknowledged_quantity: AcknowledgedQuantity {
                amount: line.quantity,
                unit_of_measure: AcknowledgedUnit::Each,
            },
        }
    }
}

/// An acknowledged quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcknowledgedQuantity {
    /// How many units.
    pub amount: u64,
    /// The unit, always `Each`.
    pub unit_of_measure: AcknowledgedUnit,
}

/// The unit of an acknowledged quantity, spelled exactly as the model does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AcknowledgedUnit {
    /// `Each`: individual pieces.
    Each,
}

/// Writes instants with [`crate::order::format_instant`] and reads them with
/// [`crate::order::parse_instant`].
mod instant {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::order::format_instant(t))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::order::parse_instant(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;
    use crate::acknowledgement::df_status;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn sandbox_acknowledgement() -> DirectFulfillmentAcknowledgement {
        DirectFulfillmentAcknowledgement {
            purchase_order_number: PurchaseOrderNumber::new("2JK3S9VC").unwrap(),
            vendor_order_number: "ABC".into(),
            acknowledged_at: crate::order::parse_instant("2020-02-20T19:17:34.304Z").unwrap(),
            status_code: df_status::ACCEPTED.into(),
            status_description: df_status::description(df_status::ACCEPTED).unwrap().into(),
            selling_party: PartyId::new("999US").unwrap(),
            ship_from: PartyId::new("ABCD").unwrap(),
            lines: vec![DirectFulfillmentAcknowledgementLine {
                sequence: ItemSequenceNumber::new("00001").unwrap(),
                asin: Some(Asin::new("B07DFVDRAB").unwrap()),
                vendor_sku: Some(VendorSku::new("8806098286500").unwrap()),
                quantity: 1,
            }],
        }
    }

    fn contains_null(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Array(a) => a.iter().any(contains_null),
            Value::Object(o) => o.values().any(contains_null),
            _ => false,
        }
    }

    #[test]
    fn from_domain_writes_the_sandbox_202_body_exactly() {
        let expected: Value = serde_json::from_str(fixtures::V1_ACKNOWLEDGEMENT_202).unwrap();
        let written = serde_json::to_value(SubmitAcknowledgementRequest::from_domain(&[
            sandbox_acknowledgement(),
        ]))
        .unwrap();
        if let Some(diff) = crate::testing::json::first_difference(&expected, &written) {
            panic!("the body differs at {diff}");
        }
        assert!(!contains_null(&written));
    }

    #[test]
    fn the_sandbox_202_body_reads_and_writes_back_identically() {
        let expected: Value = serde_json::from_str(fixtures::V1_ACKNOWLEDGEMENT_202).unwrap();
        let read: SubmitAcknowledgementRequest = serde_json::from_value(expected.clone()).unwrap();
        assert_eq!(
            read,
            SubmitAcknowledgementRequest::from_domain(&[sandbox_acknowledgement()])
        );
        assert_eq!(serde_json::to_value(&read).unwrap(), expected);
    }

    #[test]
    fn the_sandbox_400_body_is_refused() {
        let bad = r#"{"orderAcknowledgements":[{"purchaseOrderNumber":"TestOrder400","sellingParty":{}}]}"#;
        assert!(serde_json::from_str::<SubmitAcknowledgementRequest>(bad).is_err());
    }

    #[test]
    fn an_incomplete_party_an_unknown_field_or_another_unit_is_refused() {
        let good: Value = serde_json::from_str(fixtures::V1_ACKNOWLEDGEMENT_202).unwrap();
        const ITEM: &str = "/orderAcknowledgements/0";
        const QUANTITY: &str =
            "/orderAcknowledgements/0/itemAcknowledgements/0/acknowledgedQuantity";
        // (what, the object to change, its key, the new value)
        let mutations = [
            ("empty selling party", ITEM, "sellingParty", json!({})),
            (
                "extra top-level field",
                "",
                "marketplaceIds",
                json!(["ATVPDKIKX0DER"]),
            ),
            (
                "extra party field",
                "/orderAcknowledgements/0/shipFromParty",
                "address",
                json!({}),
            ),
            ("upper-case unit", QUANTITY, "unitOfMeasure", json!("EACH")),
            ("negative quantity", QUANTITY, "amount", json!(-1)),
            (
                "bad date",
                ITEM,
                "acknowledgementDate",
                json!("2020-02-2019:17"),
            ),
            (
                "null vendor order number",
                ITEM,
                "vendorOrderNumber",
                Value::Null,
            ),
        ];
        for (what, object, key, value) in mutations {
            let mut body = good.clone();
            let target = body
                .pointer_mut(object)
                .and_then(Value::as_object_mut)
                .unwrap();
            target.insert(key.to_owned(), value);
            assert!(
                serde_json::from_value::<SubmitAcknowledgementRequest>(body).is_err(),
                "{what} was accepted"
            );
        }
    }

    #[test]
    fn absent_product_ids_are_omitted_not_null() {
        let mut ack = sandbox_acknowledgement();
        ack.lines[0].asin = None;
        ack.lines[0].vendor_sku = None;
        let written = serde_json::to_value(OrderAcknowledgementItem::from_domain(&ack)).unwrap();
        assert!(!contains_null(&written));
        assert_eq!(
            written["itemAcknowledgements"][0],
            json!({"itemSequenceNumber":"00001","acknowledgedQuantity":{"amount":1,"unitOfMeasure":"Each"}})
        );
    }

    #[test]
    fn offsets_are_read_and_written_in_utc() {
        let mut body: Value = serde_json::from_str(fixtures::V1_ACKNOWLEDGEMENT_202).unwrap();
        body["orderAcknowledgements"][0]["acknowledgementDate"] =
            json!("2020-02-20T11:17:34-08:00");
        let read: SubmitAcknowledgementRequest = serde_json::from_value(body).unwrap();
        let written = serde_json::to_value(&read).unwrap();
        assert_eq!(
            written["orderAcknowledgements"][0]["acknowledgementDate"],
            "2020-02-20T19:17:34Z"
        );
    }

    proptest! {
        #[test]
        fn from_domain_bodies_read_back_equal_and_hold_no_null(
            po in "[A-Z0-9]{1,12}",
            vendor_order in "[ -~]{0,20}",
            millis in 0i64..4_102_444_800_000,
            code in "[0-9]{2}",
            lines in prop::collection::vec(
                ("[0-9]{1,5}", proptest::option::of("B0[A-Z0-9]{8}"), proptest::option::of("[0-9]{8,13}"), any::<u64>()),
                0..5,
            ),
        ) {
            let ack = DirectFulfillmentAcknowledgement {
                purchase_order_number: PurchaseOrderNumber::new(po).unwrap(),
                vendor_order_number: vendor_order,
                acknowledged_at: DateTime::from_timestamp_millis(millis).unwrap(),
                status_description: df_status::description(&code).unwrap_or("other").into(),
                status_code: code,
                selling_party: PartyId::new("999US").unwrap(),
                ship_from: PartyId::new("ABCD").unwrap(),
                lines: lines
                    .into_iter()
                    .map(|(seq, asin, sku, quantity)| DirectFulfillmentAcknowledgementLine {
                        sequence: ItemSequenceNumber::new(seq).unwrap(),
                        asin: asin.map(|a| Asin::new(a).unwrap()),
                        vendor_sku: sku.map(|s| VendorSku::new(s).unwrap()),
                        quantity,
                    })
                    .collect(),
            };
            let body = SubmitAcknowledgementRequest::from_domain(std::slice::from_ref(&ack));
            let written = serde_json::to_value(&body).unwrap();
            prop_assert!(!contains_null(&written));
            let read: SubmitAcknowledgementRequest = serde_json::from_value(written).unwrap();
            prop_assert_eq!(read, body);
        }
    }
}
