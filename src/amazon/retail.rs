//! Retail Procurement: Amazon's Vendor Orders v1 bodies (`/vendor/orders/v1`).
//!
//! Received bodies ([`GetPurchaseOrdersResponse`], [`GetPurchaseOrderResponse`],
//! [`SubmitAcknowledgementResponse`], [`GetPurchaseOrdersStatusResponse`]) are lenient:
//! every field is `Option`, even those the model requires, because the sandbox leaves
//! some out; dates and decimals are the text Amazon sent; enums keep values this
//! version does not know. Reading and writing one gives back the same JSON.
//! [`Order::to_purchase_order`] is where an order is validated, reporting every
//! problem at once, so one bad order is set aside and the rest of its page goes on.
//!
//! The acknowledgement request ([`SubmitAcknowledgementRequest`]) is strict: exact
//! field names in the model's order, enums spelled as the model spells them, `None`
//! omitted, and unknown fields refused, because Amazon rejects a body with anything
//! extra in it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error;
use super::lenient_enum;
use crate::acknowledgement::{
    AcknowledgementCode, LineDecision, RejectionReason, RetailAcknowledgement,
    RetailAcknowledgementLine,
};
use crate::decimal::{Decimal, excerpt};
use crate::ids::{Asin, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
use crate::money::CurrencyCode;
use crate::order::{
    AmazonOrderState, DateWindow, OrderLine, Party, Price, PriceBasis, Problems, Program,
    ProgramDetails, PurchaseOrder, Quantity, QuantityUnit, RetailDetails, ValidationError,
    WeightUnit, format_instant, parse_instant,
};

// ---------------------------------------------------------------------------------
// Received enums
// ---------------------------------------------------------------------------------

lenient_enum! {
    /// `purchaseOrderState`: where the PO is in Amazon's process.
    pub enum PurchaseOrderState {
        /// Newly created; the vendor must acknowledge it.
        New = "New",
        /// The vendor has acknowledged it.
        Acknowledged = "Acknowledged",
        /// Nothing more is expected of the vendor (rejected, cancelled or fully received).
        Closed = "Closed",
    }
}

lenient_enum! {
    /// `purchaseOrderType`.
    pub enum PurchaseOrderType {
        /// A one-time purchase of a specific quantity at a unit price.
        RegularOrder = "RegularOrder",
        /// Stock received but owned by the vendor until used.
        ConsignedOrder = "ConsignedOrder",
        /// An order introducing a new product.
        NewProductIntroduction = "NewProductIntroduction",
        /// Goods needed sooner than the standard arrival date.
        RushOrder = "RushOrder",
    }
}

lenient_enum! {
    /// `paymentMethod`.
    pub enum PaymentMethod {
        /// Paid against the vendor's invoice.
        Invoice = "Invoice",
        /// Paid after the goods sell.
        Consignment = "Consignment",
        /// Paid by credit card.
        CreditCard = "CreditCard",
        /// Paid in advance.
        Prepaid = "Prepaid",
    }
}

lenient_enum! {
    /// `importDetails.methodOfPayment`: who pays for shipping an import PO.
    pub enum MethodOfPayment {
        /// The buyer pays.
        PaidByBuyer = "PaidByBuyer",
        /// The buyer pays on delivery.
        CollectOnDelivery = "CollectOnDelivery",
        /// As agreed between buyer and seller.
        DefinedByBuyerAndSeller = "DefinedByBuyerAndSeller",
        /// The seller pays, loading and shipping included.
        FobPortOfCall = "FOBPortOfCall",
        /// The seller prepays.
        PrepaidBySeller = "PrepaidBySeller",
        /// The seller pays.
        PaidBySeller = "PaidBySeller",
    }
}

lenient_enum! {
    /// `importDetails.internationalCommercialTerms`: the Incoterm of an import PO.
    pub enum InternationalCommercialTerms {
        /// EXW.
        ExWorks = "ExWorks",
        /// FCA.
        FreeCarrier = "FreeCarrier",
        /// FOB.
        FreeOnBoard = "FreeOnBoard",
        /// FAS.
        FreeAlongSideShip = "FreeAlongSideShip",
        /// CPT.
        CarriagePaidTo = "CarriagePaidTo",
        /// CFR.
        CostAndFreight = "CostAndFreight",
        /// CIP.
        CarriageAndInsurancePaidTo = "CarriageAndInsurancePaidTo",
        /// CIF.
        CostInsuranceAndFreight = "CostInsuranceAndFreight",
        /// DAT.
        DeliveredAtTerminal = "DeliveredAtTerminal",
        /// DAP.
        DeliveredAtPlace = "DeliveredAtPlace",
        /// DDP.
        DeliverDutyPaid = "DeliverDutyPaid",
    }
}

lenient_enum! {
    /// `taxRegistrationType`.
    pub enum TaxRegistrationType {
        /// Value-added tax.
        Vat = "VAT",
        /// Goods and services tax.
        Gst = "GST",
    }
}

lenient_enum! {
    /// `ItemQuantity.unitOfMeasure` as received; Amazon also sends `CASES`, which
    /// [`UnitOfMeasure::known`] maps to `Cases`.
    pub enum UnitOfMeasure {
        /// Cases of `unitSize` eaches.
        Cases = "Cases",
        /// Single units.
        Eaches = "Eaches",
    }
}

lenient_enum! {
    /// `Money.unitOfMeasure`: the weight unit a price is quoted per. Absent means
    /// the price is per each.
    pub enum PriceUnitOfMeasure {
        /// Per pound.
        Pounds = "POUNDS",
        /// Per ounce.
        Ounces = "OUNCES",
        /// Per gram.
        Grams = "GRAMS",
        /// Per kilogram.
        Kilograms = "KILOGRAMS",
    }
}

lenient_enum! {
    /// `purchaseOrderStatus` in the status report.
    pub enum PurchaseOrderStatus {
        /// Amazon has not yet received every item.
        Open = "OPEN",
        /// Amazon has received every item.
        Closed = "CLOSED",
    }
}

lenient_enum! {
    /// `acknowledgementStatus.confirmationStatus`: how Amazon recorded the vendor's
    /// acknowledgement of a line.
    pub enum ConfirmationStatus {
        /// Accepted in full.
        Accepted = "ACCEPTED",
        /// Accepted in part.
        PartiallyAccepted = "PARTIALLY_ACCEPTED",
        /// Rejected.
        Rejected = "REJECTED",
        /// Not yet acknowledged.
        Unconfirmed = "UNCONFIRMED",
    }
}

lenient_enum! {
    /// `receivingStatus.receiveStatus`: how much of a line Amazon has received.
    pub enum ReceiveStatus {
        /// Nothing received yet.
        NotReceived = "NOT_RECEIVED",
        /// Some received, the rest expected.
        PartiallyReceived = "PARTIALLY_RECEIVED",
        /// Everything confirmed has been received.
        Received = "RECEIVED",
    }
}

// ---------------------------------------------------------------------------------
// Received bodies: purchase orders
// ---------------------------------------------------------------------------------

/// The response of `getPurchaseOrders`: one page of orders.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPurchaseOrdersResponse {
    /// The page, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<OrderList>,
    /// What went wrong with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<error::Error>>,
}

impl GetPurchaseOrdersResponse {
    /// The token for the next page (`payload.pagination.nextToken`); `None` on the
    /// last page.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::amazon::retail::GetPurchaseOrdersResponse;
    /// let page: GetPurchaseOrdersResponse = serde_json::from_str(
    ///     r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[]}}"#,
    /// )?;
    /// assert_eq!(page.next_token(), Some("MDAwMDAwMDAwMQ=="));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn next_token(&self) -> Option<&str> {
        self.payload.as_ref()?.next_token()
    }

    /// The orders on this page; empty when Amazon sent none.
    pub fn orders(&self) -> &[Order] {
        self.payload
            .as_ref()
            .and_then(|p| p.orders.as_deref())
            .unwrap_or(&[])
    }
}

/// A page of orders.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderList {
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    /// The orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<Vec<Order>>,
}

impl OrderList {
    /// The token for the next page; `None` on the last page.
    pub fn next_token(&self) -> Option<&str> {
        self.pagination.as_ref()?.next_token.as_deref()
    }
}

/// Paging information.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// Pass this back as `nextToken` (with the original filters) for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The response of `getPurchaseOrder`: one order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPurchaseOrderResponse {
    /// The order, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Order>,
    /// What went wrong with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<error::Error>>,
}

/// A purchase order as Amazon sent it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The PO number (documented as 8 characters; the sandbox sends longer ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_number: Option<String>,
    /// The PO's state. Required by the model, absent from the sandbox's mock orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_state: Option<PurchaseOrderState>,
    /// Everything else; absent when the list was asked for with `includeDetails=false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_details: Option<OrderDetails>,
}

/// The details of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetails {
    /// When Amazon placed the PO (date-time text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_date: Option<String>,
    /// When Amazon last changed the PO after placing it; absent if it never did. The
    /// vendor must fulfil the changed PO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_changed_date: Option<String>,
    /// When `purchaseOrderState` last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_state_changed_date: Option<String>,
    /// The kind of PO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_type: Option<PurchaseOrderType>,
    /// Present when this is an import PO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_details: Option<ImportDetails>,
    /// A promotional or deal number, when the recipient asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_code: Option<String>,
    /// How Amazon pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// The Amazon entity buying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buying_party: Option<PartyIdentification>,
    /// The vendor code the PO is placed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selling_party: Option<PartyIdentification>,
    /// The fulfilment centre the goods go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to_party: Option<PartyIdentification>,
    /// Who is invoiced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_to_party: Option<PartyIdentification>,
    /// Amazon's pick-up window for Amazon-paid freight, `start--end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_window: Option<String>,
    /// The delivery window for vendor-paid freight, `start--end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_window: Option<String>,
    /// The PO lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<OrderItem>>,
}

/// What an import PO adds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportDetails {
    /// Who pays for shipping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_of_payment: Option<MethodOfPayment>,
    /// The Incoterm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub international_commercial_terms: Option<InternationalCommercialTerms>,
    /// The port the goods must be delivered to (for FOB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_of_delivery: Option<String>,
    /// Container types and counts, such as `2-20'HC,1-45'`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_containers: Option<String>,
    /// Special shipping instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_instructions: Option<String>,
}

/// A party to the order: its id, and its address and tax registration where the
/// region supplies them (India sends full addresses).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyIdentification {
    /// The vendor code, warehouse or fulfilment centre code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_id: Option<String>,
    /// The party's address; redacted in `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// The party's tax registration; the number is redacted in `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_info: Option<TaxRegistrationDetails>,
}

/// A party's tax registration.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxRegistrationDetails {
    /// VAT or GST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_type: Option<TaxRegistrationType>,
    /// The registration number, such as a VAT id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_number: Option<String>,
}

impl fmt::Debug for TaxRegistrationDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaxRegistrationDetails")
            .field("tax_registration_type", &self.tax_registration_type)
            .finish_non_exhaustive()
    }
}

/// A postal address as Amazon sent it. `Debug` shows only the country code.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// The person, business or institution at the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
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
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

/// One PO line as Amazon sent it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    /// The line's number on the PO (`"1"`, or zero-padded `"00001"`); an
    /// acknowledgement echoes it verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_sequence_number: Option<String>,
    /// The ASIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_product_identifier: Option<String>,
    /// The vendor's product id (SKU, EAN or UPC) as set up with Amazon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_product_identifier: Option<String>,
    /// The quantity ordered; 0 for a line Amazon cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_quantity: Option<ItemQuantity>,
    /// Whether Amazon accepts a back-order acknowledgement for this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_back_order_allowed: Option<bool>,
    /// Amazon's net cost per each or per weight unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_cost: Option<Money>,
    /// The list price per each or per weight unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Money>,
}

/// A quantity as Amazon sent it.
///
/// The counts are kept as JSON numbers, so a value that is not a whole number sets
/// aside its order in [`Order::to_purchase_order`] instead of failing the page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemQuantity {
    /// How many units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<serde_json::Number>,
    /// Cases or eaches; absent means eaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<UnitOfMeasure>,
    /// Eaches per case, when ordered in cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_size: Option<serde_json::Number>,
}

/// An amount of money as Amazon sent it; the amount is a decimal string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    /// ISO 4217 currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// The amount, a decimal string such as `"110.00"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// The weight unit the price is per; absent means per each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_of_measure: Option<PriceUnitOfMeasure>,
}

/// The response of `submitAcknowledgement` (HTTP 202).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitAcknowledgementResponse {
    /// The transaction Amazon opened for the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<TransactionReference>,
    /// What went wrong with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<error::Error>>,
}

impl SubmitAcknowledgementResponse {
    /// The transaction id to poll with Transaction Status, when Amazon sent one.
    pub fn transaction_id(&self) -> Option<&str> {
        self.payload.as_ref()?.transaction_id.as_deref()
    }
}

/// The id of a submitted batch.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionReference {
    /// Amazon's opaque transaction id, for `getTransaction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

// ---------------------------------------------------------------------------------
// Received bodies: purchase order status
// ---------------------------------------------------------------------------------

/// The response of `getPurchaseOrdersStatus`: how Amazon recorded each PO line's
/// acknowledgement and receipt.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPurchaseOrdersStatusResponse {
    /// The page, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<OrderListStatus>,
    /// What went wrong with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<error::Error>>,
}

impl GetPurchaseOrdersStatusResponse {
    /// The token for the next page (`payload.pagination.nextToken`); `None` on the
    /// last page.
    pub fn next_token(&self) -> Option<&str> {
        self.payload
            .as_ref()?
            .pagination
            .as_ref()?
            .next_token
            .as_deref()
    }

    /// The statuses on this page; empty when Amazon sent none.
    pub fn orders_status(&self) -> &[OrderStatus] {
        self.payload
            .as_ref()
            .and_then(|p| p.orders_status.as_deref())
            .unwrap_or(&[])
    }
}

/// A page of PO statuses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderListStatus {
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    /// The statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_status: Option<Vec<OrderStatus>>,
}

/// One PO's status.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatus {
    /// The PO number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_number: Option<String>,
    /// Open until Amazon has received every item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_status: Option<PurchaseOrderStatus>,
    /// When Amazon placed the PO (date-time text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_date: Option<String>,
    /// When the status last changed (date-time text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<String>,
    /// The vendor code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selling_party: Option<PartyIdentification>,
    /// The fulfilment centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to_party: Option<PartyIdentification>,
    /// Each line's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_status: Option<Vec<OrderItemStatus>>,
}

/// One PO line's status.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItemStatus {
    /// The line's number on the PO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_sequence_number: Option<String>,
    /// The ASIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_product_identifier: Option<String>,
    /// The vendor's product id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_product_identifier: Option<String>,
    /// The net cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_cost: Option<Money>,
    /// The list price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Money>,
    /// The ordered quantity and its history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_quantity: Option<OrderedQuantityStatus>,
    /// How Amazon recorded the vendor's acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement_status: Option<AcknowledgementStatus>,
    /// How much Amazon has received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_status: Option<ReceivingStatus>,
}

/// A line's ordered quantity and how it changed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedQuantityStatus {
    /// The quantity ordered now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_quantity: Option<ItemQuantity>,
    /// Each change to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_quantity_details: Option<Vec<OrderedQuantityDetails>>,
}

/// One change to a line's ordered quantity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedQuantityDetails {
    /// When Amazon changed it (date-time text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_date: Option<String>,
    /// The quantity ordered by the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_quantity: Option<ItemQuantity>,
    /// The quantity cancelled by the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_quantity: Option<ItemQuantity>,
}

/// How Amazon recorded the acknowledgement of a line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgementStatus {
    /// Accepted, partly accepted, rejected or not yet acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_status: Option<ConfirmationStatus>,
    /// The quantity the vendor accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_quantity: Option<ItemQuantity>,
    /// The quantity the vendor rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_quantity: Option<ItemQuantity>,
    /// Each acknowledgement Amazon recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement_status_details: Option<Vec<AcknowledgementStatusDetails>>,
}

/// One acknowledgement Amazon recorded for a line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgementStatusDetails {
    /// When the vendor acknowledged (date-time text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement_date: Option<String>,
    /// The quantity accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_quantity: Option<ItemQuantity>,
    /// The quantity rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_quantity: Option<ItemQuantity>,
}

/// How much of a line Amazon has received.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceivingStatus {
    /// Not, partly or fully received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_status: Option<ReceiveStatus>,
    /// The quantity received so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_quantity: Option<ItemQuantity>,
    /// When the last units arrived (date-time text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_receive_date: Option<String>,
}

// ---------------------------------------------------------------------------------
// Conversion into the domain order
// ---------------------------------------------------------------------------------

impl Order {
    /// The validated purchase order, or every problem found in this one.
    ///
    /// Required: `purchaseOrderNumber`, a known `purchaseOrderState`, `orderDetails`
    /// with `purchaseOrderDate`, `purchaseOrderStateChangedDate`,
    /// `sellingParty.partyId` and at least one item; on each item
    /// `itemSequenceNumber`, `orderedQuantity.amount` (a `unitSize` of at least 1 for
    /// cases), `isBackOrderAllowed`, `netCost` with `amount` and `currencyCode`, and
    /// an ASIN or a vendor product id. Optional values that are present (windows,
    /// `purchaseOrderChangedDate`, `listPrice`, other parties) must be valid too.
    ///
    /// # Errors
    /// A [`ValidationError`] listing every problem, each naming the PO and the field's
    /// path in Amazon's body (`orderDetails.items[2].netCost.amount`) and, on a line,
    /// its `itemSequenceNumber`.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::amazon::retail::GetPurchaseOrderResponse;
    /// use avc_order_sync::AmazonOrderState;
    /// let body = r#"{"payload":{"purchaseOrderNumber":"4Z32PABC","purchaseOrderState":"Closed",
    ///   "orderDetails":{"purchaseOrderDate":"2019-07-26T11:10:00Z",
    ///     "purchaseOrderStateChangedDate":"2019-08-25T19:29:23Z",
    ///     "sellingParty":{"partyId":"999US"},
    ///     "items":[{"itemSequenceNumber":"3","amazonProductIdentifier":"B076SDSABC",
    ///       "orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},
    ///       "isBackOrderAllowed":false,
    ///       "netCost":{"amount":"110.00","currencyCode":"USD"}}]}}}"#;
    /// let response: GetPurchaseOrderResponse = serde_json::from_str(body)?;
    /// let po = response.payload.ok_or("no order")?.to_purchase_order()?;
    /// assert_eq!(po.state, AmazonOrderState::Closed);
    /// assert_eq!(po.lines[0].net_cost.money.to_string(), "110.00 USD");
    ///
    /// let summary: GetPurchaseOrderResponse = serde_json::from_str(
    ///     r#"{"payload":{"purchaseOrderNumber":"2JK3S9XY","purchaseOrderState":"New"}}"#,
    /// )?;
    /// let err = summary.payload.ok_or("no order")?.to_purchase_order().unwrap_err();
    /// assert_eq!(err.problems[0].field, "orderDetails");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_purchase_order(&self) -> Result<PurchaseOrder, ValidationError> {
        let raw_number = self
            .purchase_order_number
            .as_deref()
            .filter(|n| !n.is_empty());
        let mut p = Problems::new(raw_number);

        let number = required(
            &mut p,
            self.purchase_order_number.as_deref(),
            None,
            "purchaseOrderNumber",
            str::parse::<PurchaseOrderNumber>,
        );
        let state = order_state(&mut p, self.purchase_order_state.as_ref());
        let Some(details) = p.require(self.order_details.as_ref(), None, "orderDetails") else {
            return p.finish(None);
        };

        let ordered_at = required_instant(
            &mut p,
            details.purchase_order_date.as_deref(),
            "orderDetails.purchaseOrderDate",
        );
        let changed_at = optional(
            &mut p,
            details.purchase_order_changed_date.as_deref(),
            None,
            "orderDetails.purchaseOrderChangedDate",
            parse_instant,
        );
        let state_changed_at = required_instant(
            &mut p,
            details.purchase_order_state_changed_date.as_deref(),
            "orderDetails.purchaseOrderStateChangedDate",
        );
        let selling_party = p
            .require(
                details.selling_party.as_ref(),
                None,
                "orderDetails.sellingParty",
            )
            .and_then(|party| to_party(&mut p, party, "orderDetails.sellingParty"))
            .and_then(|party| party.id);
        let buying_party = optional_party(
            &mut p,
            details.buying_party.as_ref(),
            "orderDetails.buyingParty",
        );
        let ship_to = optional_party(
            &mut p,
            details.ship_to_party.as_ref(),
            "orderDetails.shipToParty",
        );
        let bill_to = optional_party(
            &mut p,
            details.bill_to_party.as_ref(),
            "orderDetails.billToParty",
        );
        let ship_window = optional(
            &mut p,
            details.ship_window.as_deref(),
            None,
            "orderDetails.shipWindow",
            DateWindow::parse,
        );
        let delivery_window = optional(
            &mut p,
            details.delivery_window.as_deref(),
            None,
            "orderDetails.deliveryWindow",
            DateWindow::parse,
        );
        let lines = to_lines(&mut p, details.items.as_deref());

        let retail = RetailDetails {
            order_type: details
                .purchase_order_type
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            payment_method: details
                .payment_method
                .as_ref()
                .map(|m| m.as_str().to_owned()),
            deal_code: details.deal_code.clone(),
            is_import: details.import_details.is_some(),
        };

        let order = (|| {
            Some(PurchaseOrder {
                program: Program::RetailProcurement,
                number: number?,
                state: state?,
                ordered_at: ordered_at?,
                changed_at,
                state_changed_at: Some(state_changed_at?),
                selling_party: selling_party?,
                buying_party,
                ship_to,
                ship_from: None,
                bill_to,
                ship_window,
                delivery_window,
                details: ProgramDetails::Retail(retail),
                lines: lines?,
            })
        })();
        p.finish(order)
    }
}

fn order_state(p: &mut Problems, state: Option<&PurchaseOrderState>) -> Option<AmazonOrderState> {
    let state = p.require(state, None, "purchaseOrderState")?;
    match state.known() {
        Some(PurchaseOrderState::New) => Some(AmazonOrderState::New),
        Some(PurchaseOrderState::Acknowledged) => Some(AmazonOrderState::Acknowledged),
        Some(PurchaseOrderState::Closed) => Some(AmazonOrderState::Closed),
        _ => {
            p.invalid(
                None,
                "purchaseOrderState",
                format_args!(
                    "`{}` is not a known purchase order state",
                    excerpt(state.as_str())
                ),
            );
            None
        }
    }
}

/// Parses a present value, recording a problem when it does not parse; `None` when
/// absent or invalid (an invalid value always leaves a problem behind).
fn optional<T, E: fmt::Display>(
    p: &mut Problems,
    value: Option<&str>,
    line: Option<&str>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    value.and_then(|text| p.check(parse(text), line, field))
}

/// Parses a value the sync needs, recording it as missing or invalid.
fn required<T, E: fmt::Display>(
    p: &mut Problems,
    value: Option<&str>,
    line: Option<&str>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    let text = p.require(value, line, field)?;
    p.check(parse(text), line, field)
}

fn required_instant(p: &mut Problems, value: Option<&str>, field: &str) -> Option<DateTime<Utc>> {
    required(p, value, None, field, parse_instant)
}

/// Text an address must carry: present and not blank.
fn non_blank(text: &str) -> Result<String, &'static str> {
    if text.trim().is_empty() {
        Err("the value is blank")
    } else {
        Ok(text.to_owned())
    }
}

fn country_code(text: &str) -> Result<String, String> {
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{}` is not a two-letter country code",
            excerpt(text)
        ))
    }
}

fn optional_party(
    p: &mut Problems,
    party: Option<&PartyIdentification>,
    path: &str,
) -> Option<Party> {
    party.and_then(|party| to_party(p, party, path))
}

/// A present party must carry its `partyId` (the model requires it) and, when it has
/// an address, a valid one.
fn to_party(p: &mut Problems, party: &PartyIdentification, path: &str) -> Option<Party> {
    let id = required(
        p,
        party.party_id.as_deref(),
        None,
        &format!("{path}.partyId"),
        str::parse::<PartyId>,
    );
    let address = match &party.address {
        None => Some(None),
        Some(address) => to_address(p, address, &format!("{path}.address")).map(Some),
    };
    Some(Party {
        id: Some(id?),
        address: address?,
    })
}

fn to_address(p: &mut Problems, a: &Address, path: &str) -> Option<crate::order::Address> {
    let name = required(
        p,
        a.name.as_deref(),
        None,
        &format!("{path}.name"),
        non_blank,
    );
    let address_line1 = required(
        p,
        a.address_line1.as_deref(),
        None,
        &format!("{path}.addressLine1"),
        non_blank,
    );
    let country_code = required(
        p,
        a.country_code.as_deref(),
        None,
        &format!("{path}.countryCode"),
        country_code,
    );
    Some(crate::order::Address {
        name: name?,
        attention: None,
        address_line1: address_line1?,
        address_line2: a.address_line2.clone(),
        address_line3: a.address_line3.clone(),
        city: a.city.clone(),
        county: a.county.clone(),
        district: a.district.clone(),
        state_or_region: a.state_or_region.clone(),
        postal_code: a.postal_code.clone(),
        country_code: country_code?,
        phone: a.phone.clone(),
    })
}

fn to_lines(p: &mut Problems, items: Option<&[OrderItem]>) -> Option<Vec<OrderLine>> {
    let items = p.require(items, None, "orderDetails.items")?;
    if items.is_empty() {
        p.invalid(None, "orderDetails.items", "the order has no items");
        return None;
    }
    // An acknowledgement names its lines by sequence number, so two lines with one
    // number could not be acknowledged apart.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut lines = Some(Vec::with_capacity(items.len()));
    for (index, item) in items.iter().enumerate() {
        if let Some(sequence) = item.item_sequence_number.as_deref() {
            if let Some(first) = seen.insert(sequence, index) {
                p.invalid(
                    Some(sequence),
                    format!("orderDetails.items[{index}].itemSequenceNumber"),
                    format_args!(
                        "`{}` is also the sequence number of `orderDetails.items[{first}]`",
                        excerpt(sequence)
                    ),
                );
            }
        }
        let line = to_line(p, item, index);
        lines = lines.zip(line).map(|(mut lines, line)| {
            lines.push(line);
            lines
        });
    }
    lines
}

fn to_line(p: &mut Problems, item: &OrderItem, index: usize) -> Option<OrderLine> {
    let path = format!("orderDetails.items[{index}]");
    let line = item.item_sequence_number.as_deref();
    let field = |name: &str| format!("{path}.{name}");

    let sequence = required(
        p,
        item.item_sequence_number.as_deref(),
        line,
        &field("itemSequenceNumber"),
        str::parse::<ItemSequenceNumber>,
    );
    let asin = optional(
        p,
        item.amazon_product_identifier.as_deref(),
        line,
        &field("amazonProductIdentifier"),
        str::parse::<Asin>,
    );
    let vendor_sku = optional(
        p,
        item.vendor_product_identifier.as_deref(),
        line,
        &field("vendorProductIdentifier"),
        str::parse::<VendorSku>,
    );
    if item.amazon_product_identifier.is_none() && item.vendor_product_identifier.is_none() {
        p.invalid(
            line,
            path.clone(),
            "neither `amazonProductIdentifier` nor `vendorProductIdentifier` is present",
        );
    }
    let ordered = to_quantity(
        p,
        item.ordered_quantity.as_ref(),
        line,
        &field("orderedQuantity"),
    );
    let back_order_allowed = p.require(
        item.is_back_order_allowed,
        line,
        &field("isBackOrderAllowed"),
    );
    let net_cost = p
        .require(item.net_cost.as_ref(), line, &field("netCost"))
        .and_then(|money| to_price(p, money, line, &field("netCost")));
    let list_price = match &item.list_price {
        None => Some(None),
        Some(money) => to_price(p, money, line, &field("listPrice")).map(Some),
    };

    Some(OrderLine {
        sequence: sequence?,
        asin,
        vendor_sku,
        title: None,
        ordered: ordered?,
        net_cost: net_cost?,
        list_price: list_price?,
        back_order_allowed: back_order_allowed?,
    })
}

/// A JSON number that must be a whole number at least `min`.
fn count(
    p: &mut Problems,
    number: &serde_json::Number,
    min: u64,
    line: Option<&str>,
    field: &str,
) -> Option<u64> {
    match number.as_u64() {
        Some(n) if n >= min => Some(n),
        _ => {
            p.invalid(
                line,
                field,
                format_args!("`{number}` is not a whole number of at least {min}"),
            );
            None
        }
    }
}

fn to_quantity(
    p: &mut Problems,
    quantity: Option<&ItemQuantity>,
    line: Option<&str>,
    path: &str,
) -> Option<Quantity> {
    let quantity = p.require(quantity, line, path)?;
    let amount_field = format!("{path}.amount");
    let size_field = format!("{path}.unitSize");

    // 0 is a line Amazon cancelled, not an error.
    let amount = p
        .require(quantity.amount.as_ref(), line, &amount_field)
        .and_then(|n| count(p, n, 0, line, &amount_field));
    let unit = match &quantity.unit_of_measure {
        None => Some(QuantityUnit::Eaches),
        Some(unit) => match unit.known() {
            Some(UnitOfMeasure::Cases) => Some(QuantityUnit::Cases),
            Some(UnitOfMeasure::Eaches) => Some(QuantityUnit::Eaches),
            _ => {
                p.invalid(
                    line,
                    format!("{path}.unitOfMeasure"),
                    format_args!(
                        "`{}` is neither `Cases` nor `Eaches`",
                        excerpt(unit.as_str())
                    ),
                );
                None
            }
        },
    };
    // `None`: absent; `Some(None)`: present but invalid, already recorded.
    let unit_size = quantity
        .unit_size
        .as_ref()
        .map(|n| count(p, n, 1, line, &size_field));
    let unit_size = match (unit?, unit_size) {
        (QuantityUnit::Eaches, Some(None)) => None,
        (QuantityUnit::Eaches, _) => Some(1),
        (QuantityUnit::Cases, Some(size)) => size,
        (QuantityUnit::Cases, None) => {
            p.missing(line, size_field);
            None
        }
    };
    let quantity = Quantity {
        amount: amount?,
        unit: unit?,
        unit_size: unit_size?,
    };
    if quantity.eaches().is_none() {
        p.invalid(
            line,
            amount_field,
            format_args!(
                "{} cases of {} overflow a count of eaches",
                quantity.amount, quantity.unit_size
            ),
        );
        return None;
    }
    Some(quantity)
}

fn to_price(p: &mut Problems, money: &Money, line: Option<&str>, path: &str) -> Option<Price> {
    let amount_field = format!("{path}.amount");
    let amount = required(
        p,
        money.amount.as_deref(),
        line,
        &amount_field,
        str::parse::<Decimal>,
    );
    if let Some(amount) = amount.filter(Decimal::is_negative) {
        p.invalid(line, amount_field, format_args!("`{amount}` is negative"));
    }
    // Never guessed: a price without its currency cannot be booked.
    let currency = required(
        p,
        money.currency_code.as_deref(),
        line,
        &format!("{path}.currencyCode"),
        str::parse::<CurrencyCode>,
    );
    let basis = match &money.unit_of_measure {
        None => Some(PriceBasis::Each),
        Some(unit) => {
            let weight = match unit.known() {
                Some(PriceUnitOfMeasure::Pounds) => Some(WeightUnit::Pounds),
                Some(PriceUnitOfMeasure::Ounces) => Some(WeightUnit::Ounces),
                Some(PriceUnitOfMeasure::Grams) => Some(WeightUnit::Grams),
                Some(PriceUnitOfMeasure::Kilograms) => Some(WeightUnit::Kilograms),
                _ => None,
            };
            if weight.is_none() {
                p.invalid(
                    line,
                    format!("{path}.unitOfMeasure"),
                    format_args!("`{}` is not a known unit of weight", excerpt(unit.as_str())),
                );
            }
            weight.map(PriceBasis::Weight)
        }
    };
    let amount = amount.filter(|a| !a.is_negative())?;
    Some(Price {
        money: crate::money::Money::new(amount, currency?),
        basis: basis?,
    })
}

// ---------------------------------------------------------------------------------
// Sent body: the acknowledgement request
// ---------------------------------------------------------------------------------

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

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_instant(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        parse_instant(&text).map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => serializer.serialize_str(&format_instant(t)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amazon::transaction;
    use crate::order::{Problem, ProblemKind};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// `getPurchaseOrders` sandbox case 0: a detailed page with a next token.
    const PAGE_DETAILED: &str = r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[{"purchaseOrderNumber":"2JK3S9VC","purchaseOrderState":"New","orderDetails":{"purchaseOrderDate":"2019-08-20T15:51:00Z","purchaseOrderChangedDate":"2019-08-22T16:05:00Z","purchaseOrderStateChangedDate":"2019-08-20T15:51:00Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{"partyId":"ABCD"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"billToParty":{"partyId":"ABCD"},"shipWindow":"2019-08-21T07:00:00Z--2019-08-27T07:00:00Z","items":[{"itemSequenceNumber":"1","amazonProductIdentifier":"B07DFVDRAB","vendorProductIdentifier":"8806098286500","orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"346.27","currencyCode":"USD"},"listPrice":{"amount":"346.27","currencyCode":"USD"}},{"itemSequenceNumber":"2","amazonProductIdentifier":"B07DFYF5AB","vendorProductIdentifier":"8806098286123","orderedQuantity":{"amount":2,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"229.47","currencyCode":"USD"},"listPrice":{"amount":"229.47","currencyCode":"USD"}},{"itemSequenceNumber":"3","amazonProductIdentifier":"B07MC84QAB","vendorProductIdentifier":"8806098095123","orderedQuantity":{"amount":13,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"412.71","currencyCode":"USD"},"listPrice":{"amount":"412.71","currencyCode":"USD"}}]}},{"purchaseOrderNumber":"3TRD2IAB","purchaseOrderState":"New","orderDetails":{"purchaseOrderDate":"2019-08-20T16:29:00Z","purchaseOrderChangedDate":"2019-08-20T16:50:00Z","purchaseOrderStateChangedDate":"2019-08-20T16:29:00Z","purchaseOrderType":"RegularOrder","importDetails":{"importContainers":"2-20'HC,1-45',1-45'HC","internationalCommercialTerms":"FreeOnBoard","methodOfPayment":"PrepaidBySeller","portOfDelivery":"INDIA","shippingInstructions":"PREFERENCE IS PALLET-LOAD, BUT IF CONTAINERS ARE FLOOR-LOADED"},"paymentMethod":"Invoice","buyingParty":{"partyId":"ABC1"},"sellingParty":{"partyId":"998US"},"shipToParty":{"partyId":"ABC1"},"billToParty":{"partyId":"ABC1"},"shipWindow":"2019-08-21T07:00:00Z--2019-08-27T07:00:00Z","items":[{"itemSequenceNumber":"1","amazonProductIdentifier":"B01LNRIIAB","vendorProductIdentifier":"B01LNRIIAB","orderedQuantity":{"amount":5,"unitOfMeasure":"CASES","unitSize":10},"isBackOrderAllowed":true,"netCost":{"amount":"94.97","currencyCode":"USD","unitOfMeasure":"POUNDS"},"listPrice":{"amount":"94.97","currencyCode":"USD","unitOfMeasure":"POUNDS"}}]}}]}}"#;

    /// `getPurchaseOrders` sandbox case 1: `includeDetails=false`, the last page.
    const PAGE_SUMMARY: &str = r#"{"payload":{"orders":[{"purchaseOrderNumber":"2JK3S9XY","purchaseOrderState":"New"},{"purchaseOrderNumber":"3TRD2ABC","purchaseOrderState":"Acknowledged"}]}}"#;

    /// `getPurchaseOrders` sandbox case 6, the catch-all: mock orders that break the
    /// model (no state, no state-changed date, the first PO's items without netCost).
    const PAGE_MOCK: &str = r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[{"purchaseOrderNumber":"mock-purchaseOrderNumber1","orderDetails":{"purchaseOrderDate":"2019-08-14T13:51:00Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{"partyId":"ABCD"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"billToParty":{"partyId":"ABCD"},"items":[{"itemSequenceNumber":"00001","amazonProductIdentifier":"B07DFVDRAB","vendorProductIdentifier":"8806098286500","orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"listPrice":{"amount":"34366.27","currencyCode":"INR"}},{"itemSequenceNumber":"00002","amazonProductIdentifier":"B07DFYF5AB","vendorProductIdentifier":"8806098286123","orderedQuantity":{"amount":2,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"listPrice":{"amount":"22798.47","currencyCode":"INR"}},{"itemSequenceNumber":"00003","amazonProductIdentifier":"B07MC84QAB","vendorProductIdentifier":"8806098095123","orderedQuantity":{"amount":13,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"listPrice":{"amount":"4362.71","currencyCode":"INR"}}]}},{"purchaseOrderNumber":"mock-purchaseOrderNumber2","orderDetails":{"purchaseOrderDate":"2019-08-13T06:29:00Z","purchaseOrderType":"RegularOrder","importDetails":{"importContainers":"2-20'HC,1-45',1-45'HC","internationalCommercialTerms":"FreeOnBoard","methodOfPayment":"PrepaidBySeller","portOfDelivery":"INDIA","shippingInstructions":"PREFERENCE IS PALLET-LOAD, BUT IF CONTAINERS ARE FLOOR-LOADED"},"paymentMethod":"Invoice","buyingParty":{"partyId":"ABC1"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABC1"},"billToParty":{"partyId":"ABC1"},"items":[{"itemSequenceNumber":"00001","amazonProductIdentifier":"B01LNRIIAB","vendorProductIdentifier":"B01LNRIIAB","orderedQuantity":{"amount":24,"unitOfMeasure":"Cases","unitSize":5},"isBackOrderAllowed":true,"netCost":{"amount":"94.97","currencyCode":"INR","unitOfMeasure":"POUNDS"}}]}}]}}"#;

    /// `getPurchaseOrder` sandbox case 0.
    const ORDER_4Z32PABC: &str = r#"{"payload":{"purchaseOrderNumber":"4Z32PABC","purchaseOrderState":"Closed","orderDetails":{"purchaseOrderDate":"2019-07-26T11:10:00Z","purchaseOrderStateChangedDate":"2019-08-25T19:29:23Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{"partyId":"ABCD"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"billToParty":{"partyId":"ABCD"},"shipWindow":"2019-07-26T07:00:00Z--2019-08-03T07:00:00Z","items":[{"itemSequenceNumber":"1","amazonProductIdentifier":"B0748G1ABC","vendorProductIdentifier":"0017817748000","orderedQuantity":{"amount":37,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"140","currencyCode":"USD"},"listPrice":{"amount":"140","currencyCode":"USD"}},{"itemSequenceNumber":"2","amazonProductIdentifier":"B0748JMABC","vendorProductIdentifier":"0017817748000","orderedQuantity":{"amount":24,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"15.62","currencyCode":"USD"},"listPrice":{"amount":"15.62","currencyCode":"USD"}},{"itemSequenceNumber":"3","amazonProductIdentifier":"B076SDSABC","vendorProductIdentifier":"0017817755000","orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"110.00","currencyCode":"USD"},"listPrice":{"amount":"110.00","currencyCode":"USD"}}]}}}"#;

    /// `getPurchaseOrder` sandbox case 1, the catch-all.
    const ORDER_MOCK: &str = r#"{"payload":{"purchaseOrderNumber":"mock-purchaseOrderNumber","orderDetails":{"purchaseOrderDate":"2019-07-26T11:10:00Z","purchaseOrderType":"RegularOrder","paymentMethod":"Invoice","buyingParty":{"partyId":"ABCD"},"sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"billToParty":{"partyId":"ABCD"},"items":[{"itemSequenceNumber":"00001","amazonProductIdentifier":"B0748G1ABC","vendorProductIdentifier":"0017817748000","orderedQuantity":{"amount":37,"unitOfMeasure":"Eaches","unitSize":1},"isBackOrderAllowed":false,"netCost":{"amount":"14162.00","currencyCode":"INR"}}]}}}"#;

    /// `getPurchaseOrdersStatus` sandbox case 0 (the first line of three).
    const STATUS_PAGE: &str = r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMZ=="},"ordersStatus":[{"purchaseOrderNumber":"2JK3S9VB","purchaseOrderStatus":"OPEN","purchaseOrderDate":"2020-08-17T20:24:58.193Z","lastUpdatedDate":"2020-08-17T21:05:58.193Z","sellingParty":{"partyId":"999US"},"shipToParty":{"partyId":"ABCD"},"itemStatus":[{"itemSequenceNumber":"1","buyerProductIdentifier":"B07DFVDRAB","vendorProductIdentifier":"8806098286500","netCost":{"amount":"346.27","currencyCode":"USD"},"listPrice":{"amount":"346.27","currencyCode":"USD"},"orderedQuantity":{"orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"orderedQuantityDetails":[{"updatedDate":"2020-08-17T20:24:58.193Z","orderedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1}}]},"acknowledgementStatus":{"confirmationStatus":"ACCEPTED","acceptedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"rejectedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1},"acknowledgementStatusDetails":[{"acknowledgementDate":"2020-08-17T21:05:58.193Z","acceptedQuantity":{"amount":1,"unitOfMeasure":"Eaches","unitSize":1},"rejectedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1}}]},"receivingStatus":{"receiveStatus":"RECEIVED","receivedQuantity":{"amount":1,"unitOfMeasure":"Cases","unitSize":1},"lastReceiveDate":"2020-08-28T21:06:23.193Z"}}]}]}}"#;

    /// `getPurchaseOrdersStatus` sandbox case 2 (TestPO1's line, with a cancellation).
    const STATUS_CANCELLED: &str = r#"{"payload":{"ordersStatus":[{"purchaseOrderNumber":"TestPO1","purchaseOrderStatus":"OPEN","purchaseOrderDate":"2020-08-15T05:24:00.00Z","lastUpdatedDate":"2020-08-17T05:07:00.00Z","sellingParty":{"partyId":"API01"},"shipToParty":{"partyId":"ABC09"},"itemStatus":[{"itemSequenceNumber":"1","buyerProductIdentifier":"B01XYZ3Z123","vendorProductIdentifier":"8806093095999","netCost":{"currencyCode":"USD","amount":"25"},"listPrice":{"currencyCode":"USD","amount":"25"},"orderedQuantity":{"orderedQuantity":{"amount":100,"unitOfMeasure":"Eaches","unitSize":1},"orderedQuantityDetails":[{"updatedDate":"2020-08-17T05:07:00.00Z","cancelledQuantity":{"amount":50,"unitOfMeasure":"Eaches","unitSize":1}},{"updatedDate":"2020-08-15T05:24:00.00Z","orderedQuantity":{"amount":150,"unitOfMeasure":"Eaches","unitSize":1}}]},"acknowledgementStatus":{"confirmationStatus":"UNCONFIRMED","acceptedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1},"rejectedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1}},"receivingStatus":{"receiveStatus":"NOT_RECEIVED","receivedQuantity":{"amount":0,"unitOfMeasure":"Eaches","unitSize":1}}}]}]}}"#;

    /// `submitAcknowledgement` sandbox case 202 #0: the request body.
    const ACK_202: &str = r#"{"acknowledgements":[{"purchaseOrderNumber":"TestOrder202","sellingParty":{"partyId":"API01"},"acknowledgementDate":"2021-03-12T17:35:26.308Z","items":[{"vendorProductIdentifier":"028877454078","orderedQuantity":{"amount":10},"netCost":{"amount":"10.2"},"itemAcknowledgements":[{"acknowledgementCode":"Accepted","acknowledgedQuantity":{"amount":10}}]}]}]}"#;

    /// `submitAcknowledgement` sandbox case 400 #0: the request body Amazon refuses.
    const ACK_400: &str =
        r#"{"acknowledgements":[{"purchaseOrderNumber":"TestOrder400","sellingParty":{}}]}"#;

    /// Reads `text` as `T`, writes it back and checks the JSON is unchanged, naming
    /// the first key path that differs.
    fn round_trip<T: serde::de::DeserializeOwned + Serialize>(text: &str) -> T {
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
            err.to_string().contains(
                "PO mock-purchaseOrderNumber1: `orderDetails.items[2].netCost` is missing"
            ),
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
            text.contains("`orderDetails.items[2].netCost.amount` is invalid: `110,00` is not a decimal number"),
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
                    money: crate::money::Money::new(
                        "10.2".parse().unwrap(),
                        "USD".parse().unwrap(),
                    ),
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
            let again: Order =
                serde_json::from_value(serde_json::to_value(&order).unwrap()).unwrap();
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
}
