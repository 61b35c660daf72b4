//! Transaction status: what became of a submitted acknowledgement batch.
//!
//! Three bodies share one [`Transaction`]:
//!
//! * Retail Transaction Status v1 (`getTransaction`): [`GetTransactionResponse`],
//!   `{"payload":{"transactionStatus":{...}}}`.
//! * Direct Fulfillment Transactions v1 (`getTransactionStatus`): the same envelope,
//!   [`DirectFulfillmentV1TransactionResponse`].
//! * Direct Fulfillment Transactions 2021-12-28: the bare [`TransactionStatus`],
//!   `{"transactionStatus":{...}}`, whose `errors` is an object
//!   `{"errors":[...]}` rather than an array ([`TransactionErrors`] reads both).
//!
//! For retail acknowledgements Amazon reports only `Processing` and `Failure`, never
//! `Success`: a transaction still `Processing` after 15 minutes has been taken.

use serde::{Deserialize, Serialize};

use super::error::{Error, ErrorList};
use super::lenient_enum;

lenient_enum! {
    /// Where Amazon is with a transaction.
    pub enum Status {
        /// Amazon refused the transaction; `errors` says why.
        Failure = "Failure",
        /// Amazon is still working on it (and, for retail acknowledgements, the last
        /// status it ever reports when all went well).
        Processing = "Processing",
        /// Amazon completed the transaction.
        Success = "Success",
    }
}

/// The v1 response of retail `getTransaction` and Direct Fulfillment v1
/// `getTransactionStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTransactionResponse {
    /// The transaction's status, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<TransactionStatus>,
    /// What went wrong with the request itself (not with the transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Error>>,
}

/// Direct Fulfillment Transactions v1 answers with the same envelope as retail.
pub type DirectFulfillmentV1TransactionResponse = GetTransactionResponse;

impl GetTransactionResponse {
    /// The transaction, when the payload carries one.
    pub fn transaction(&self) -> Option<&Transaction> {
        self.payload.as_ref()?.transaction_status.as_ref()
    }
}

/// The payload of the v1 responses, and the whole 2021-12-28 body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionStatus {
    /// The transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_status: Option<Transaction>,
}

/// One transaction's status.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// The id Amazon returned when the batch was submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Where Amazon is with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Why it failed; sent only with `Failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<TransactionErrors>,
}

impl Transaction {
    /// The errors Amazon gave for the transaction; empty when it gave none.
    pub fn errors(&self) -> &[Error] {
        self.errors.as_ref().map_or(&[], TransactionErrors::errors)
    }
}

/// A transaction's errors: an array in the v1 models, an object `{"errors":[...]}`
/// in 2021-12-28. Written back in the shape read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TransactionErrors {
    /// `[Error]` (v1).
    List(Vec<Error>),
    /// `{"errors":[Error]}` (2021-12-28).
    Object(ErrorList),
}

impl TransactionErrors {
    /// The errors, whichever shape they came in.
    pub fn errors(&self) -> &[Error] {
        match self {
            TransactionErrors::List(errors) => errors,
            TransactionErrors::Object(list) => &list.errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn round_trips<T: serde::de::DeserializeOwned + Serialize>(body: Value) -> T {
        let read: T = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), body);
        read
    }

    #[test]
    fn retail_v1_processing_round_trips() {
        let read: GetTransactionResponse = round_trips(json!({"payload":{"transactionStatus":{
            "transactionId":"20190108091302-6ca0ac50-d06e-45f5-a1e2-eb448eadac50",
            "status":"Processing"}}}));
        let transaction = read.transaction().unwrap();
        assert_eq!(transaction.status, Some(Status::Processing));
        assert!(transaction.errors().is_empty());
    }

    #[test]
    fn direct_fulfillment_v1_failure_keeps_its_errors() {
        let read: DirectFulfillmentV1TransactionResponse =
            round_trips(json!({"payload":{"transactionStatus":{
                "transactionId":"20190918190535-eef8cad8-418e-456f-ac72-789e2ee6813c",
                "status":"Failure",
                "errors":[{"code":"INVALID_ORDER_ID","message":"Invalid order ID."}]}}}));
        let transaction = read.transaction().unwrap();
        assert_eq!(transaction.status, Some(Status::Failure));
        assert_eq!(
            transaction.errors()[0].code.as_deref(),
            Some("INVALID_ORDER_ID")
        );
    }

    #[test]
    fn an_error_envelope_round_trips() {
        let read: GetTransactionResponse = round_trips(
            json!({"errors":[{"code":"InvalidInput","message":"Invalid transmission ID.","details":""}]}),
        );
        assert!(read.transaction().is_none());
    }

    #[test]
    fn direct_fulfillment_2021_12_28_is_bare_and_nests_its_errors() {
        let read: TransactionStatus = round_trips(json!({"transactionStatus":{
            "transactionId":"20190108091302-6ca0ac50-d06e-45f5-a1e2-eb448eadac50",
            "status":"Processing"}}));
        assert_eq!(
            read.transaction_status.unwrap().status,
            Some(Status::Processing)
        );

        let failed: TransactionStatus = round_trips(json!({"transactionStatus":{
            "transactionId":"x","status":"Failure",
            "errors":{"errors":[{"code":"INVALID_ORDER_ID","message":"Invalid order ID.","details":""}]}}}));
        let transaction = failed.transaction_status.unwrap();
        assert!(matches!(
            transaction.errors,
            Some(TransactionErrors::Object(_))
        ));
        assert_eq!(
            transaction.errors()[0].message.as_deref(),
            Some("Invalid order ID.")
        );
    }

    #[test]
    fn an_unknown_status_is_kept() {
        let read: TransactionStatus =
            round_trips(json!({"transactionStatus":{"transactionId":"x","status":"PROCESSING"}}));
        let status = read.transaction_status.unwrap().status.unwrap();
        assert_eq!(status, Status::Other("PROCESSING".into()));
        assert_eq!(status.known(), Some(Status::Processing));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = serde_json::from_slice::<GetTransactionResponse>(&bytes);
            let _ = serde_json::from_slice::<TransactionStatus>(&bytes);
        }
    }
}
