//! The sent body of `submitAcknowledgement`, built from the domain acknowledgement.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::acknowledgement::{
    AcknowledgementCode, LineDecision, RejectionReason, RetailAcknowledgement,
    RetailAcknowledgementLine,
};
use crate::decimal::Decimal;
use crate::ids::{Asin, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
use crate::money::CurrencyCode;
use crate::order::{
    Price, PriceBasis, Quantity, QuantityUnit, WeightUnit, format_instant, parse_instant,
};

/// The body of `submitAcknowledgement`: acknowledgements of one or more POs.
///
/// Fields are written in the model's order and nothing else is accepted: Amazon
/// validates the body against its schema and rejects an unexpected field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitAcknowledgementRequest {
    /// One acknowledgement per PO.
    pub acknowledgements: Vec<OrderAcknowledgement>,
}

impl SubmitAcknowledgementRequest {
    /// The request acknowledging these POs.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::amazon::retail::SubmitAcknowledgementRequest;
    /// let request = SubmitAcknowledgementRequest::from_domain(&[]);
    /// assert_eq!(serde_json::to_string(&request)?, r#"{"acknowledgements":[]}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_domain(acks: &[RetailAcknowledgement]) -> Self {
        SubmitAcknowledgementRequest {
            acknowledgements: acks.iter().map(OrderAcknowledgement::from_domain).collect(),
        }
    }
}

/// The acknowledgement of one PO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderAcknowledgement {
    /// The PO acknowledged.
    pub purchase_order_number: PurchaseOrderNumber,
    /// The vendor code the PO was placed with.
    pub selling_party: AcknowledgementParty,
    /// When the vendor acknowledged.
    #[serde(with = "instant")]
    pub acknowledgement_date: DateTime<Utc>,
    /// Every PO line; a line left out is taken as rejected.
    pub items: Vec<OrderAcknowledgementItem>,
}

impl OrderAcknowledgement {
    /// The wire acknowledgement of a domain one: one item per PO line, one
    /// `itemAcknowledgements` entry per [`LineDecision`].
    pub fn from_domain(ack: &RetailAcknowledgement) -> Self {
        OrderAcknowledgement {
            purchase_order_number: ack.purchase_order_number.clone(),
            selling_party: AcknowledgementParty {
                party_id: ack.selling_party.clone(),
            },
            acknowledgement_date: ack.acknowledged_at,
            items: ack
                .lines
                .iter()
                .map(OrderAcknowledgementItem::from_domain)
                .collect(),
        }
    }
}

/// The party an acknowledgement names: the vendor code. (The model also allows an
/// address and tax details, which an acknowledgement does not need.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcknowledgementParty {
    /// The vendor code.
    pub party_id: PartyId,
}

/// The acknowledgement of one PO line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderAcknowledgementItem {
    /// The PO line's `itemSequenceNumber`, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_sequence_number: Option<ItemSequenceNumber>,
    /// The ASIN Amazon sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_product_identifier: Option<Asin>,
    /// The vendor product id, exactly as Amazon sent it on the PO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_product_identifier: Option<VendorSku>,
    /// The quantity Amazon ordered.
    pub ordered_quantity: AcknowledgementQuantity,
    /// The cost the vendor confirms; optional in the model, but Amazon rejects an
    /// acknowledgement without it, and it must be positive and match the invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_cost: Option<AcknowledgementMoney>,
    /// The list price, for vendors who sell books at list price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<AcknowledgementMoney>,
    /// The discount on the list price for books (`.90` for 10 percent off), as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_multiplier: Option<String>,
    /// The answer for this line: several entries for a split line.
    pub item_acknowledgements: Vec<OrderItemAcknowledgement>,
}

impl OrderAcknowledgementItem {
    /// The wire item for a domain line.
    pub fn from_domain(line: &RetailAcknowledgementLine) -> Self {
        OrderAcknowledgementItem {
            item_sequence_number: Some(line.sequence.clone()),
            amazon_product_identifier: line.asin.clone(),
            vendor_product_identifier: line.vendor_sku.clone(),
            ordered_quantity: AcknowledgementQuantity::from_domain(&line.ordered),
            net_cost: Some(AcknowledgementMoney::from_domain(&line.net_cost)),
            list_price: line
                .list_price
                .as_ref()
                .map(AcknowledgementMoney::from_domain),
            discount_multiplier: line.discount_multiplier.map(|m| m.to_string()),
            item_acknowledgements: line
                .decisions
                .iter()
                .map(OrderItemAcknowledgement::from_domain)
                .collect(),
        }
    }
}

/// One part of a line's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderItemAcknowledgement {
    /// Accepted, back-ordered or rejected.
    pub acknowledgement_code: AcknowledgementCode,
    /// The quantity this part covers; Amazon says it should not be zero.
    pub acknowledged_quantity: AcknowledgementQuantity,
    /// When the vendor will ship it.
    #[serde(
        default,
        with = "instant::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub scheduled_ship_date: Option<DateTime<Utc>>,
    /// When it will be delivered.
    #[serde(
        default,
        with = "instant::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub scheduled_delivery_date: Option<DateTime<Utc>>,
    /// Why it is rejected, for a `Rejected` part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<RejectionReason>,
}

impl OrderItemAcknowledgement {
    /// The wire entry for a domain decision.
    pub fn from_domain(decision: &LineDecision) -> Self {
        OrderItemAcknowledgement {
            acknowledgement_code: decision.code,
            acknowledged_quantity: AcknowledgementQuantity::from_domain(&decision.quantity),
            scheduled_ship_date: decision.scheduled_ship_date,
            scheduled_delivery_date: decision.scheduled_delivery_date,
            rejection_reason: decision.rejection_reason,
        }
    }
}

/// A quantity in an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcknowledgementQuantity {
    /// How many units.
    pub amount: u64,
    /// `Cases` or `Eaches`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<QuantityUnit>,
    /// Eaches per case, for cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_size: Option<u64>,
}

impl AcknowledgementQuantity {
    /// The wire quantity: the unit always, the case size for cases only.
    pub fn from_domain(quantity: &Quantity) -> Self {
        AcknowledgementQuantity {
            amount: quantity.amount,
            unit_of_measure: Some(quantity.unit),
            unit_size: match quantity.unit {
                QuantityUnit::Cases => Some(quantity.unit_size),
                QuantityUnit::Eaches => None,
            },
        }
    }
}

/// A price in an acknowledgement; the amount is written as a decimal string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcknowledgementMoney {
    /// ISO 4217 currency code (optional in the model; always written from the domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<CurrencyCode>,
    /// The amount.
    pub amount: Decimal,
    /// The weight unit the price is per; omitted for a price per each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<WeightUnitOfMeasure>,
}

impl AcknowledgementMoney {
    /// The wire price for a domain one.
    pub fn from_domain(price: &Price) -> Self {
        AcknowledgementMoney {
            currency_code: Some(price.money.currency()),
            amount: price.money.amount(),
            unit_of_measure: match price.basis {
                PriceBasis::Each => None,
                PriceBasis::Weight(unit) => Some(unit.into()),
            },
        }
    }
}

/// The weight unit of a price, spelled as the model spells it (`POUNDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WeightUnitOfMeasure {
    /// Per pound.
    #[serde(rename = "POUNDS")]
    Pounds,
    /// Per ounce.
    #[serde(rename = "OUNCES")]
    Ounces,
    /// Per gram.
    #[serde(rename = "GRAMS")]
    Grams,
    /// Per kilogram.
    #[serde(rename = "KILOGRAMS")]
    Kilograms,
}

impl From<WeightUnit> for WeightUnitOfMeasure {
    fn from(unit: WeightUnit) -> Self {
        match unit {
            WeightUnit::Pounds => WeightUnitOfMeasure::Pounds,
            WeightUnit::Ounces => WeightUnitOfMeasure::Ounces,
            WeightUnit::Grams => WeightUnitOfMeasure::Grams,
            WeightUnit::Kilograms => WeightUnitOfMeasure::Kilograms,
        }
    }
}

/// Serde for Amazon's date-times: written as UTC with `Z` ([`format_instant`]), read
/// with any zone ([`parse_instant`]).
mod instant {
    use super::*;

    pub(super) fn serialize<S: Serializer>(
        t: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_instant(t))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        parse_instant(&text).map_err(serde::de::Error::custom)
    }

    pub(super) mod option {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => serializer.serialize_str(&format_instant(t)),
                None => serializer.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            match <Option<Cow<'de, str>>>::deserialize(deserializer)? {
                Some(text) => parse_instant(&text)
                    .map(Some)
                    .map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }
    }
}
