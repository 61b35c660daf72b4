//! Direct Fulfillment Orders v1 (`/vendor/directFulfillment/orders/v1`): every response
//! is wrapped as `{ "payload": …, "errors": [Error] }`, both optional.
//!
//! `errors` is kept as raw JSON values so an error body reads and writes back unchanged
//! (Amazon sends `details: ""` and sometimes `message: null`); decoding Amazon's error
//! model is left to the error module.

use serde::{Deserialize, Serialize};

use super::{Order, OrderList};

/// The body of `getOrders`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOrdersResponse {
    /// A page of purchase orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<OrderList>,
    /// Amazon's errors, when the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<serde_json::Value>>,
}

impl GetOrdersResponse {
    /// The token for the next page (`payload.pagination.nextToken`), `None` on the last
    /// page or when it is empty.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::amazon::direct_fulfillment::v1::GetOrdersResponse;
    /// let page: GetOrdersResponse = serde_json::from_str(
    ///     r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[]}}"#,
    /// )?;
    /// assert_eq!(page.next_token(), Some("MDAwMDAwMDAwMQ=="));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn next_token(&self) -> Option<&str> {
        self.payload.as_ref()?.next_token()
    }
}

/// The body of `getOrder`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOrderResponse {
    /// The purchase order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Order>,
    /// Amazon's errors, when the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<serde_json::Value>>,
}

/// The body of `submitAcknowledgement` (HTTP 202 on success).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitAcknowledgementResponse {
    /// The transaction to follow with the transaction status API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<TransactionId>,
    /// Amazon's errors, when the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<serde_json::Value>>,
}

/// The transaction Amazon opened for a submitted acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionId {
    /// Amazon's id of the transaction, for the transaction status API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, assert_round_trip};
    use super::*;

    #[test]
    fn the_get_order_sandbox_case_round_trips() {
        let body = format!(r#"{{"payload":{}}}"#, fixtures::V1_ORDER_2JK3S9VC);
        let read: GetOrderResponse = assert_round_trip(&body);
        let order = read.payload.unwrap();
        assert_eq!(order.purchase_order_number.as_deref(), Some("2JK3S9VC"));
        assert!(order.to_purchase_order().is_ok());
    }

    #[test]
    fn a_list_without_details_round_trips_and_pages_on() {
        let read: GetOrdersResponse = assert_round_trip(
            r#"{"payload":{"pagination":{"nextToken":"MDAwMDAwMDAwMQ=="},"orders":[{"purchaseOrderNumber":"2JK3S9VC"},{"purchaseOrderNumber":"3TRD2IAB"}]}}"#,
        );
        assert_eq!(read.next_token(), Some("MDAwMDAwMDAwMQ=="));
        let orders = read.payload.unwrap().orders.unwrap();
        assert!(orders.iter().all(|o| o.order_details.is_none()));

        let last: GetOrdersResponse = assert_round_trip(
            r#"{"payload":{"orders":[{"purchaseOrderNumber":"2JK3S9VCD"},{"purchaseOrderNumber":"3TRD2IABC"}]}}"#,
        );
        assert_eq!(last.next_token(), None);
    }

    #[test]
    fn error_bodies_round_trip_unchanged() {
        let read: GetOrdersResponse = assert_round_trip(
            r#"{"errors":[{"code":"InvalidRequest","message":"The request is invalid.","details":""}]}"#,
        );
        assert!(read.payload.is_none());
        assert_eq!(read.next_token(), None);
        let _: GetOrderResponse = assert_round_trip(
            r#"{"errors":[{"code":"InvalidRequest","message":"Request is missing or has invalid parameters","details":"purchaseOrderNumber cannot be null"}]}"#,
        );
        let _: SubmitAcknowledgementResponse = assert_round_trip(
            r#"{"errors":[{"code":"InvalidInput","message":null,"details":""}]}"#,
        );
    }

    #[test]
    fn the_acknowledgement_answer_carries_the_transaction_id() {
        let read: SubmitAcknowledgementResponse = assert_round_trip(
            r#"{"payload":{"transactionId":"20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5"}}"#,
        );
        assert_eq!(
            read.payload.unwrap().transaction_id.as_deref(),
            Some("20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5")
        );
    }
}
