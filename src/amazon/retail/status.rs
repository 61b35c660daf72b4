//! The received body of `getPurchaseOrdersStatus`: how Amazon recorded each line.

use serde::{Deserialize, Serialize};

use super::{
    ConfirmationStatus, ItemQuantity, Money, Pagination, PartyIdentification, PurchaseOrderStatus,
    ReceiveStatus,
};
use crate::amazon::error;

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
