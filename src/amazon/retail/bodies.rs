//! The received bodies of `getPurchaseOrders`, `getPurchaseOrder` and `submitAcknowledgement`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{
    InternationalCommercialTerms, MethodOfPayment, PaymentMethod, PriceUnitOfMeasure,
    PurchaseOrderState, PurchaseOrderType, TaxRegistrationType, UnitOfMeasure,
};
use crate::amazon::error;

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
