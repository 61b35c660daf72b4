//! Vendor Direct Fulfillment Orders, API versions v1 and 2021-12-28.
//!
//! Both versions carry the same order on the wire: v1 inlines `taxTotal` and
//! `taxDetails` where 2021-12-28 names them `TaxItemDetails`, and 2021-12-28 adds
//! `orderDetails.hasCustomizableItems` and `items[].buyerCustomizedInfo`. One set of
//! received types with those fields optional serves both; what differs is the response
//! envelope, in [`v1`] (`{payload, errors}`) and [`v2021_12_28`] (bare bodies).
//!
//! Received types are lenient: every field is `Option` and omitted when `None`, so
//! reading a body and writing it back gives the same JSON; dates and decimals stay the
//! text Amazon sent until [`Order::to_purchase_order`] parses them; enums keep values
//! this version does not know; unknown fields are ignored.
//!
//! The acknowledgement body ([`SubmitAcknowledgementRequest`]) is sent, so it is
//! strict: required fields are not `Option`, unknown fields are refused and `None` is
//! never written as `null`.
//!
//! The ship-to party of a Direct Fulfillment order is Amazon's customer. Every type here
//! that can hold a name, an address line, a phone number, a gift message, the message
//! to the customer or a customization URL has a hand-written `Debug` that shows none of
//! it, so orders can be logged.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::amazon::lenient_enum;

mod acknowledgement;
mod convert;
#[cfg(test)]
mod fixtures;
pub mod v1;
pub mod v2021_12_28;

pub use acknowledgement::{
    AcknowledgedQuantity, AcknowledgedUnit, AcknowledgementParty, AcknowledgementStatus,
    OrderAcknowledgementItem, OrderItemAcknowledgement, SubmitAcknowledgementRequest,
};

lenient_enum! {
    /// The order's status in Amazon's system (`orderDetails.orderStatus`).
    pub enum OrderStatus {
        /// `NEW`: a newly created order.
        New = "NEW",
        /// `SHIPPED`: the order has shipped.
        Shipped = "SHIPPED",
        /// `ACCEPTED`: the vendor accepted the order.
        Accepted = "ACCEPTED",
        /// `CANCELLED`: the order is cancelled.
        Cancelled = "CANCELLED",
    }
}

lenient_enum! {
    /// The unit an item quantity is counted in; the model knows only `Each`, and the
    /// sandbox sends `EACH`.
    pub enum UnitOfMeasure {
        /// `Each`: individual pieces.
        Each = "Each",
    }
}

lenient_enum! {
    /// The kind of a tax line (`type`).
    pub enum TaxType {
        /// `CONSUMPTION`: tax on consumption spending.
        Consumption = "CONSUMPTION",
        /// `GST`: goods and services tax.
        Gst = "GST",
        /// `MwSt.`: German value-added tax.
        MwSt = "MwSt.",
        /// `PST`: a Canadian provincial sales tax.
        Pst = "PST",
        /// `TOTAL`: all applicable taxes combined.
        Total = "TOTAL",
        /// `TVA`: French value-added tax.
        Tva = "TVA",
        /// `VAT`: value-added tax.
        Vat = "VAT",
    }
}

lenient_enum! {
    /// The kind of a tax registration (`taxRegistrationType`).
    pub enum TaxRegistrationType {
        /// `VAT`: value-added tax.
        Vat = "VAT",
        /// `GST`: goods and services tax.
        Gst = "GST",
    }
}

/// A page of orders (`getOrders`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderList {
    /// Where to continue; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    /// The orders on this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<Vec<Order>>,
}

impl OrderList {
    /// The token that asks for the next page, `None` on the last page.
    ///
    /// An empty token is treated as absent, so a caller paging on it cannot loop on
    /// the first page.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::amazon::direct_fulfillment::OrderList;
    /// let page: OrderList =
    ///     serde_json::from_str(r#"{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[]}"#)?;
    /// assert_eq!(page.next_token(), Some("MDAwMDAwMDAwMQ=="));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn next_token(&self) -> Option<&str> {
        self.pagination
            .as_ref()?
            .next_token
            .as_deref()
            .filter(|t| !t.is_empty())
    }
}

/// Pagination of a list of orders.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// Pass this as `nextToken` to get the next page; absent when there are no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// A Direct Fulfillment purchase order.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The purchase order number (alphanumeric).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_number: Option<String>,
    /// The order's details; absent when the list was asked for with
    /// `includeDetails=false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_details: Option<OrderDetails>,
}

/// The details of an order.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetails {
    /// Amazon's customer order number (`123-ABC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_order_number: Option<String>,
    /// When the order was placed, as sent; no zone means UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<String>,
    /// The order's current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<OrderStatus>,
    /// How and when the order ships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment_details: Option<ShipmentDetails>,
    /// The order's total tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_total: Option<TaxItemDetails>,
    /// The vendor code the order is placed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selling_party: Option<PartyIdentification>,
    /// The vendor warehouse that ships the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_from_party: Option<PartyIdentification>,
    /// The customer's name and address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to_party: Option<Address>,
    /// The bill-to party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_to_party: Option<PartyIdentification>,
    /// Whether the order holds customizable items (2021-12-28 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_customizable_items: Option<bool>,
    /// The ordered items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<OrderItem>>,
}

/// Shipment details required to ship the order.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentDetails {
    /// A priority shipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_priority_shipment: Option<bool>,
    /// Part of a scheduled delivery program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_scheduled_delivery_shipment: Option<bool>,
    /// A packing slip must be sent to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_pslip_required: Option<bool>,
    /// The order contains a gift; include the gift message and wrap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_gift: Option<bool>,
    /// Amazon's ship method code: carrier and service level (`UPS_2ND`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_method: Option<String>,
    /// The required ship date and the promised delivery date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment_dates: Option<ShipmentDates>,
    /// The message to the customer about the order; hidden from `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_to_customer: Option<String>,
}

/// Shipment dates, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentDates {
    /// When the vendor must ship the order by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_ship_date: Option<String>,
    /// The delivery date promised to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promised_delivery_date: Option<String>,
}

/// Tax lines of an order or an item (v1 inlines this object, 2021-12-28 names it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxItemDetails {
    /// The tax lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_line_item: Option<Vec<TaxDetails>>,
}

/// One tax line; Amazon calculates tax on the list price.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxDetails {
    /// The tax rate, a decimal as sent (`"0.1"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<String>,
    /// The tax amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Money>,
    /// The amount the tax is levied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxable_amount: Option<Money>,
    /// The kind of tax.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<TaxType>,
}

/// A party: a vendor code or warehouse, with optional address and tax details.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyIdentification {
    /// The party's id: the vendor code, or the warehouse code of a ship-from party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_id: Option<String>,
    /// The party's address; hidden from `Debug` but for the country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// The party's tax registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_info: Option<TaxRegistrationDetails>,
}

/// A party's tax registration.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxRegistrationDetails {
    /// The kind of registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_type: Option<TaxRegistrationType>,
    /// The registration number (a VAT id); hidden from `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_number: Option<String>,
    /// The address registered with the number; hidden from `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_address: Option<Address>,
    /// A free-text tax message; hidden from `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_messages: Option<String>,
}

/// A postal address. For the ship-to party it is the customer's, so `Debug` shows the
/// country code only. Amazon-label-only vendors see `xxxxx` in its text fields.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// The person, business or institution at the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The attention name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
    /// First address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Second address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// Third address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line3: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// County.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    /// District.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// State or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_or_region: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country code; the model says ISO 3166-1 alpha-2, the sandbox sends `USA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// An item of an order.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    /// The item's number on the order (`00001`), kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_sequence_number: Option<String>,
    /// Amazon's product id (ASIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_product_identifier: Option<String>,
    /// The vendor's product id, to be echoed in the acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_product_identifier: Option<String>,
    /// The product title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The quantity ordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_quantity: Option<ItemQuantity>,
    /// The scheduled delivery, for scheduled delivery shipments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_delivery_shipment: Option<ScheduledDeliveryShipment>,
    /// Gift message and wrap; the message is hidden from `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_details: Option<GiftDetails>,
    /// The net price to the vendor, before tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_price: Option<Money>,
    /// The item's tax lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_details: Option<TaxItemDetails>,
    /// The price to Amazon, each (cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_price: Option<Money>,
    /// The customer's customization of the item (2021-12-28 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_customized_info: Option<BuyerCustomizedInfo>,
}

/// An item quantity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemQuantity {
    /// How many units; kept as the JSON number sent, so a negative or fractional value
    /// sets aside one order instead of failing a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<serde_json::Number>,
    /// The unit (`Each`; the sandbox sends `EACH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<UnitOfMeasure>,
}

/// An amount of money; Direct Fulfillment money has no unit of measure.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    /// ISO 4217 currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// The amount, a decimal string as sent (`"500"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
}

/// The dates of a scheduled delivery.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledDeliveryShipment {
    /// The scheduled delivery service type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_delivery_service_type: Option<String>,
    /// The earliest nominated delivery date, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_nominated_delivery_date: Option<String>,
    /// The latest nominated delivery date, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_nominated_delivery_date: Option<String>,
}

/// Gift details of an item.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GiftDetails {
    /// The gift message to print in the shipment; hidden from `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_message: Option<String>,
    /// The gift wrap to use, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_wrap_id: Option<String>,
}

/// The customer's customization of an item (2021-12-28 only).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuyerCustomizedInfo {
    /// A base64-encoded URL of a zip file describing the customization; hidden from
    /// `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customized_url: Option<String>,
}

// Hand-written `Debug` for every type that holds, directly or below it, a customer's
// name, address, phone, gift message, message or customization. Containers list their
// fields by hand too, so a field added later stays hidden until someone decides it is
// safe to show.

impl fmt::Debug for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Order")
            .field("purchase_order_number", &self.purchase_order_number)
            .field("order_details", &self.order_details)
            .finish()
    }
}

impl fmt::Debug for OrderDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderDetails")
            .field("customer_order_number", &self.customer_order_number)
            .field("order_date", &self.order_date)
            .field("order_status", &self.order_status)
            .field("shipment_details", &self.shipment_details)
            .field("tax_total", &self.tax_total)
            .field("selling_party", &self.selling_party)
            .field("ship_from_party", &self.ship_from_party)
            .field("ship_to_party", &self.ship_to_party)
            .field("bill_to_party", &self.bill_to_party)
            .field("has_customizable_items", &self.has_customizable_items)
            .field("items", &self.items)
            .finish()
    }
}

impl fmt::Debug for ShipmentDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShipmentDetails")
            .field("is_priority_shipment", &self.is_priority_shipment)
            .field(
                "is_scheduled_delivery_shipment",
                &self.is_scheduled_delivery_shipment,
            )
            .field("is_pslip_required", &self.is_pslip_required)
            .field("is_gift", &self.is_gift)
            .field("ship_method", &self.ship_method)
            .field("shipment_dates", &self.shipment_dates)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PartyIdentification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartyIdentification")
            .field("party_id", &self.party_id)
            .field("address", &self.address)
            .field("tax_info", &self.tax_info)
            .finish()
    }
}

impl fmt::Debug for TaxRegistrationDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaxRegistrationDetails")
            .field("tax_registration_type", &self.tax_registration_type)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for OrderItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderItem")
            .field("item_sequence_number", &self.item_sequence_number)
            .field("buyer_product_identifier", &self.buyer_product_identifier)
            .field("vendor_product_identifier", &self.vendor_product_identifier)
            .field("title", &self.title)
            .field("ordered_quantity", &self.ordered_quantity)
            .field(
                "scheduled_delivery_shipment",
                &self.scheduled_delivery_shipment,
            )
            .field("gift_details", &self.gift_details)
            .field("net_price", &self.net_price)
            .field("tax_details", &self.tax_details)
            .field("total_price", &self.total_price)
            .field("buyer_customized_info", &self.buyer_customized_info)
            .finish()
    }
}

impl fmt::Debug for GiftDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GiftDetails")
            .field("gift_wrap_id", &self.gift_wrap_id)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for BuyerCustomizedInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuyerCustomizedInfo")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{self, assert_round_trip};
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn the_v1_sandbox_order_round_trips_and_reads_each_as_each() {
        let order: Order = assert_round_trip(fixtures::V1_ORDER_2JK3S9VC);
        assert_eq!(order.purchase_order_number.as_deref(), Some("2JK3S9VC"));
        let details = order.order_details.as_ref().unwrap();
        assert_eq!(details.order_status, Some(OrderStatus::New));
        let items = details.items.as_deref().unwrap();
        assert_eq!(items.len(), 2);
        let unit = items[0]
            .ordered_quantity
            .as_ref()
            .unwrap()
            .unit_of_measure
            .clone()
            .unwrap();
        assert_eq!(unit, UnitOfMeasure::Other("EACH".into()));
        assert_eq!(unit.known(), Some(UnitOfMeasure::Each));
        let tax = &details
            .tax_total
            .as_ref()
            .unwrap()
            .tax_line_item
            .as_deref()
            .unwrap()[0];
        assert_eq!(tax.tax_type, Some(TaxType::Total));
        assert_eq!(tax.tax_rate.as_deref(), Some("0.1"));
        assert_eq!(
            details
                .ship_to_party
                .as_ref()
                .unwrap()
                .country_code
                .as_deref(),
            Some("USA")
        );
    }

    #[test]
    fn the_2021_12_28_order_keeps_customizable_items_and_the_customized_url() {
        let order: Order = assert_round_trip(fixtures::V2021_ORDER_2JK3S9VC);
        let details = order.order_details.as_ref().unwrap();
        assert_eq!(details.has_customizable_items, Some(true));
        let items = details.items.as_deref().unwrap();
        assert!(
            items[0]
                .buyer_customized_info
                .as_ref()
                .unwrap()
                .customized_url
                .as_deref()
                .unwrap()
                .starts_with("aHR0cHM6")
        );
        assert!(items[1].buyer_customized_info.is_none());
    }

    #[test]
    fn the_2021_12_28_list_is_a_bare_order_list_with_its_token() {
        let list: OrderList = assert_round_trip(&fixtures::v2021_order_list());
        assert_eq!(list.next_token(), Some("MDAwMDAwMDAwMQ=="));
        assert_eq!(list.orders.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn empty_or_absent_tokens_end_the_listing() {
        let last: OrderList = serde_json::from_str(r#"{"orders":[]}"#).unwrap();
        assert_eq!(last.next_token(), None);
        let empty: OrderList =
            serde_json::from_str(r#"{"pagination":{"nextToken":""},"orders":[]}"#).unwrap();
        assert_eq!(empty.next_token(), None);
        let no_token: OrderList = serde_json::from_str(r#"{"pagination":{}}"#).unwrap();
        assert_eq!(no_token.next_token(), None);
    }

    #[test]
    fn unknown_fields_are_ignored_and_unknown_enum_values_kept() {
        let order: Order = serde_json::from_value(json!({
            "purchaseOrderNumber": "X1",
            "somethingNew": {"a": 1},
            "orderDetails": {"orderStatus": "ON_HOLD", "items": [{"orderedQuantity": {"amount": 1, "unitOfMeasure": "Cases"}}]}
        }))
        .unwrap();
        let details = order.order_details.as_ref().unwrap();
        assert_eq!(
            details.order_status,
            Some(OrderStatus::Other("ON_HOLD".into()))
        );
        let written = serde_json::to_value(&order).unwrap();
        assert_eq!(written.get("somethingNew"), None);
        assert_eq!(written["orderDetails"]["orderStatus"], "ON_HOLD");
        assert_eq!(
            written["orderDetails"]["items"][0]["orderedQuantity"]["unitOfMeasure"],
            "Cases"
        );
    }

    #[test]
    fn tax_registration_and_every_tax_type_round_trip() {
        let text = r#"{"partyId":"999US","address":{"name":"Vendor","addressLine1":"1 Main","stateOrRegion":"WA","countryCode":"US"},"taxInfo":{"taxRegistrationType":"VAT","taxRegistrationNumber":"DE123","taxRegistrationAddress":{"name":"n","addressLine1":"a","stateOrRegion":"s","countryCode":"DE"},"taxRegistrationMessages":"m"}}"#;
        let party: PartyIdentification = assert_round_trip(text);
        assert_eq!(
            party.tax_info.unwrap().tax_registration_type,
            Some(TaxRegistrationType::Vat)
        );
        let types: Vec<TaxType> = serde_json::from_str(
            r#"["CONSUMPTION","GST","MwSt.","PST","TOTAL","TVA","VAT","vat"]"#,
        )
        .unwrap();
        assert_eq!(types[2], TaxType::MwSt);
        assert_eq!(types[7].known(), Some(TaxType::Vat));
    }

    #[test]
    fn debug_shows_no_personal_data() {
        let planted = [
            "Jane Planted",
            "Attn Planted",
            "17 Planted Lane",
            "Flat Planted",
            "Wing Planted",
            "Planted City",
            "Planted County",
            "Planted District",
            "PL-STATE",
            "PL-99999",
            "555-0199",
            "Happy birthday, planted",
            "Thanks, planted customer",
            "aHR0cHM6Ly9wbGFudGVk",
            "PLANTED-VAT-ID",
            "planted tax note",
        ];
        let address = Address {
            name: Some(planted[0].into()),
            attention: Some(planted[1].into()),
            address_line1: Some(planted[2].into()),
            address_line2: Some(planted[3].into()),
            address_line3: Some(planted[4].into()),
            city: Some(planted[5].into()),
            county: Some(planted[6].into()),
            district: Some(planted[7].into()),
            state_or_region: Some(planted[8].into()),
            postal_code: Some(planted[9].into()),
            country_code: Some("USA".into()),
            phone: Some(planted[10].into()),
        };
        let item = OrderItem {
            item_sequence_number: Some("00001".into()),
            gift_details: Some(GiftDetails {
                gift_message: Some(planted[11].into()),
                gift_wrap_id: Some("WRAP1".into()),
            }),
            buyer_customized_info: Some(BuyerCustomizedInfo {
                customized_url: Some(planted[13].into()),
            }),
            ..OrderItem::default()
        };
        let party = PartyIdentification {
            party_id: Some("ABCD".into()),
            address: Some(address.clone()),
            tax_info: Some(TaxRegistrationDetails {
                tax_registration_type: Some(TaxRegistrationType::Vat),
                tax_registration_number: Some(planted[14].into()),
                tax_registration_address: Some(address.clone()),
                tax_registration_messages: Some(planted[15].into()),
            }),
        };
        let details = OrderDetails {
            customer_order_number: Some("123-ABC".into()),
            shipment_details: Some(ShipmentDetails {
                ship_method: Some("UPS_2ND".into()),
                message_to_customer: Some(planted[12].into()),
                ..ShipmentDetails::default()
            }),
            ship_to_party: Some(address.clone()),
            bill_to_party: Some(party.clone()),
            selling_party: Some(party),
            items: Some(vec![item]),
            ..OrderDetails::default()
        };
        let order = Order {
            purchase_order_number: Some("2JK3S9VC".into()),
            order_details: Some(details.clone()),
        };
        let list = OrderList {
            pagination: None,
            orders: Some(vec![order.clone()]),
        };
        let shown = [
            format!("{address:?}"),
            format!("{details:?}"),
            format!("{order:?}"),
            format!("{order:#?}"),
            format!("{list:?}"),
            format!("{:?}", order.to_purchase_order()),
        ];
        for text in &shown {
            for secret in planted {
                assert!(!text.contains(secret), "{secret} shown in {text}");
            }
        }
        assert!(shown[0].contains("USA"), "{}", shown[0]);
        assert!(shown[2].contains("2JK3S9VC") && shown[2].contains("UPS_2ND"));
        assert!(shown[2].contains("WRAP1"));
    }

    /// Any JSON value, nested a few levels, with keys drawn from Amazon's own so that
    /// typed fields are hit with values of every type.
    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let key = prop::sample::select(vec![
            "payload",
            "errors",
            "pagination",
            "nextToken",
            "orders",
            "purchaseOrderNumber",
            "orderDetails",
            "customerOrderNumber",
            "orderDate",
            "orderStatus",
            "shipmentDetails",
            "shipmentDates",
            "requiredShipDate",
            "shipMethod",
            "sellingParty",
            "shipFromParty",
            "shipToParty",
            "billToParty",
            "partyId",
            "address",
            "name",
            "countryCode",
            "items",
            "itemSequenceNumber",
            "orderedQuantity",
            "amount",
            "unitOfMeasure",
            "netPrice",
            "currencyCode",
            "taxTotal",
            "taxLineItem",
            "type",
            "transactionId",
            "orderAcknowledgements",
            "x",
        ])
        .prop_map(str::to_owned);
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            ".{0,12}".prop_map(serde_json::Value::from),
            prop::sample::select(vec![
                "500",
                "-1",
                "1e400",
                "USD",
                "usd",
                "EACH",
                "Each",
                "NEW",
                "CANCELLED",
                "",
                "2020-02-20T13:51:00Z",
                "2020-02-20T13:51:00",
                "2021-01-2100:00:00",
            ])
            .prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(5, 64, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn feed_every_reader(bytes: &[u8]) {
        if let Ok(order) = serde_json::from_slice::<Order>(bytes) {
            let _ = order.to_purchase_order();
            let _ = format!("{order:?}");
        }
        if let Ok(list) = serde_json::from_slice::<OrderList>(bytes) {
            let _ = list.next_token();
            for order in list.orders.iter().flatten() {
                let _ = order.to_purchase_order();
            }
        }
        if let Ok(page) = serde_json::from_slice::<v1::GetOrdersResponse>(bytes) {
            let _ = page.next_token();
            let orders = page.payload.iter().flat_map(|l| l.orders.iter().flatten());
            for order in orders {
                let _ = order.to_purchase_order();
            }
        }
        if let Ok(one) = serde_json::from_slice::<v1::GetOrderResponse>(bytes) {
            let _ = one.payload.map(|o| o.to_purchase_order());
        }
        let _ = serde_json::from_slice::<v1::SubmitAcknowledgementResponse>(bytes);
        let _ = serde_json::from_slice::<v2021_12_28::SubmitAcknowledgementResponse>(bytes);
        let _ = serde_json::from_slice::<SubmitAcknowledgementRequest>(bytes);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            feed_every_reader(&bytes);
        }

        #[test]
        fn arbitrary_json_never_panics(value in arb_json()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            feed_every_reader(&bytes);
            // The same value under each envelope, so typed fields are reached.
            for wrapped in [
                json!({"payload": value.clone()}),
                json!({"orders": [value.clone()]}),
                json!({"payload": {"orders": [value.clone()]}}),
                json!({"purchaseOrderNumber": "P", "orderDetails": value.clone()}),
            ] {
                feed_every_reader(&serde_json::to_vec(&wrapped).unwrap());
            }
        }

        #[test]
        fn reading_what_was_written_gives_the_same_order(value in arb_json()) {
            if let Ok(order) = serde_json::from_value::<Order>(value) {
                let written = serde_json::to_value(&order).unwrap();
                let again: Order = serde_json::from_value(written).unwrap();
                prop_assert_eq!(again, order);
            }
        }
    }
}
