//! Acknowledgements in the crate's own terms: what the vendor tells Amazon it will ship.
//!
//! Retail acknowledges line by line (accepted, back-ordered, rejected, possibly split);
//! Direct Fulfillment accepts or rejects the whole order with one status code. The wire
//! bodies are written from these by [`crate::amazon::retail`] and
//! [`crate::amazon::direct_fulfillment`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::ids::{Asin, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
use crate::order::{Price, Quantity};

/// How many times an order has been acknowledged: 1 for the first acknowledgement,
/// one more for each repost. With the PO number it keys an acknowledgement, so the
/// same version is never sent twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AcknowledgementVersion(pub u32);

/// A retail line's acknowledgement code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AcknowledgementCode {
    /// The vendor will ship this quantity.
    Accepted,
    /// The vendor will ship this quantity later (only where the PO allows back orders).
    Backordered,
    /// The vendor will not ship this quantity.
    Rejected,
}

/// Why a retail line is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RejectionReason {
    /// Out of stock for now.
    TemporarilyUnavailable,
    /// The vendor does not recognise the product.
    InvalidProductIdentifier,
    /// The product is discontinued; a "hard reject".
    ObsoleteProduct,
}

/// One part of a retail line's answer; a split line has several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDecision {
    /// Accepted, back-ordered or rejected.
    pub code: AcknowledgementCode,
    /// The quantity this part covers, in the PO line's unit.
    pub quantity: Quantity,
    /// When it will ship.
    pub scheduled_ship_date: Option<DateTime<Utc>>,
    /// When it will be delivered.
    pub scheduled_delivery_date: Option<DateTime<Utc>>,
    /// Why it is rejected; set exactly when `code` is `Rejected`.
    pub rejection_reason: Option<RejectionReason>,
}

/// A retail PO line's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetailAcknowledgementLine {
    /// The PO line, verbatim.
    pub sequence: ItemSequenceNumber,
    /// The ASIN Amazon sent.
    pub asin: Option<Asin>,
    /// The vendor product id Amazon sent, echoed exactly.
    pub vendor_sku: Option<VendorSku>,
    /// The quantity Amazon ordered.
    pub ordered: Quantity,
    /// The cost the vendor confirms; never above Amazon's.
    pub net_cost: Price,
    /// The list price, for vendors who sell at list price.
    pub list_price: Option<Price>,
    /// The net cost over the list price (`.90` for 10 percent off), for vendors who
    /// sell books at list price; exact, never rounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_multiplier: Option<Decimal>,
    /// The answer, possibly split.
    pub decisions: Vec<LineDecision>,
}

/// A retail acknowledgement of one PO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetailAcknowledgement {
    /// The PO.
    pub purchase_order_number: PurchaseOrderNumber,
    /// The vendor code the PO was placed with.
    pub selling_party: PartyId,
    /// When the vendor acknowledged.
    pub acknowledged_at: DateTime<Utc>,
    /// Every PO line.
    pub lines: Vec<RetailAcknowledgementLine>,
}

/// A Direct Fulfillment line, listed in full in every acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectFulfillmentAcknowledgementLine {
    /// The PO line, verbatim.
    pub sequence: ItemSequenceNumber,
    /// The ASIN (`buyerProductIdentifier`).
    pub asin: Option<Asin>,
    /// The vendor product id.
    pub vendor_sku: Option<VendorSku>,
    /// The quantity acknowledged, in eaches.
    pub quantity: u64,
}

/// Direct Fulfillment's order-level status codes, from Amazon's use-case guide.
pub mod df_status {
    /// Shipping 100 percent of ordered product.
    pub const ACCEPTED: &str = "00";
    /// Cancelled due to missing or invalid SKU.
    pub const INVALID_SKU: &str = "02";
    /// Cancelled, out of stock.
    pub const OUT_OF_STOCK: &str = "03";
    /// Cancelled, discontinued item.
    pub const DISCONTINUED: &str = "71";

    /// The guide's description for a code, when it is one of the above.
    pub fn description(code: &str) -> Option<&'static str> {
        Some(match code {
            ACCEPTED => "Shipping 100 percent of ordered product",
            INVALID_SKU => "Canceled due to missing/invalid SKU",
            OUT_OF_STOCK => "Canceled out of stock",
            DISCONTINUED => "Canceled due to discontinued item",
            _ => return None,
        })
    }
}

/// A Direct Fulfillment acknowledgement: the whole order accepted or rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectFulfillmentAcknowledgement {
    /// The PO.
    pub purchase_order_number: PurchaseOrderNumber,
    /// The vendor's own order number (the NetSuite sales order's).
    pub vendor_order_number: String,
    /// When the vendor acknowledged.
    pub acknowledged_at: DateTime<Utc>,
    /// The order-level code ([`df_status`]).
    pub status_code: String,
    /// Its description.
    pub status_description: String,
    /// The vendor code.
    pub selling_party: PartyId,
    /// The warehouse that ships.
    pub ship_from: PartyId,
    /// Every line.
    pub lines: Vec<DirectFulfillmentAcknowledgementLine>,
}

/// An acknowledgement of either program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acknowledgement {
    /// Retail Procurement.
    Retail(RetailAcknowledgement),
    /// Direct Fulfillment.
    DirectFulfillment(DirectFulfillmentAcknowledgement),
}

impl Acknowledgement {
    /// The PO acknowledged.
    pub fn purchase_order_number(&self) -> &PurchaseOrderNumber {
        match self {
            Acknowledgement::Retail(a) => &a.purchase_order_number,
            Acknowledgement::DirectFulfillment(a) => &a.purchase_order_number,
        }
    }
}
