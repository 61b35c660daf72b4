//! Direct Fulfillment Orders 2021-12-28
//! (`/vendor/directFulfillment/orders/2021-12-28`): success bodies are bare, and a
//! failure is `{ "errors": [Error] }`, left to the error module.
//!
//! `getOrders` answers an [`OrderList`] and `getOrder` an [`Order`], the same types as
//! v1's payloads; the acknowledgement request is [`SubmitAcknowledgementRequest`] in
//! both versions.

use serde::{Deserialize, Serialize};

pub use super::{Order, OrderList, SubmitAcknowledgementRequest};

/// The body of `submitAcknowledgement` (HTTP 202).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitAcknowledgementResponse {
    /// Amazon's id of the transaction, for the transaction status API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, assert_round_trip};
    use super::*;

    #[test]
    fn bare_bodies_round_trip() {
        let list: OrderList = assert_round_trip(&fixtures::v2021_order_list());
        assert_eq!(list.next_token(), Some("MDAwMDAwMDAwMQ=="));
        let order: Order = assert_round_trip(fixtures::V2021_ORDER_2JK3S9VC);
        assert!(order.to_purchase_order().is_ok());
        let ack: SubmitAcknowledgementResponse = assert_round_trip(
            r#"{"transactionId":"20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5"}"#,
        );
        assert!(ack.transaction_id.is_some());
    }
}
