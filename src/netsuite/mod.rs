//! NetSuite REST wire types: the `salesOrder` record, its error body and SuiteQL.
//!
//! These types mirror NetSuite's JSON exactly (camelCase, optional fields omitted when
//! `None`, never `null`). Sent bodies are strict: [`SalesOrderBody`] is built from a
//! [`SalesOrderDraft`](crate::SalesOrderDraft) and refuses a value NetSuite would not
//! receive exactly. Received bodies are lenient: [`SalesOrderRecord`], [`ErrorBody`] and
//! [`SuiteQlPage`] ignore fields they do not name and treat every field as optional;
//! validation happens once, in the conversion to the crate's own types
//! ([`SalesOrderRecord::to_snapshot`], [`ChangedSalesOrderRow::from_row`]).
//!
//! The module performs no I/O. The constants name the paths and headers an HTTP client
//! sends; the client itself is the integrator's.
//!
//! # Example
//! ```
//! use avc_order_sync::netsuite::{internal_id_from_location, SalesOrderPatch};
//! use avc_order_sync::SalesOrderStatus;
//!
//! // `POST /salesOrder` answers 204 with the new record's URL in `Location`.
//! let id = internal_id_from_location(
//!     "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/salesOrder/987",
//! )?;
//! assert_eq!(id.as_str(), "987");
//!
//! // Approving the order is a PATCH of `orderStatus` alone.
//! let patch = SalesOrderPatch::status(SalesOrderStatus::PendingFulfillment);
//! assert_eq!(serde_json::to_string(&patch)?, r#"{"orderStatus":{"id":"B"}}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod body;
mod error;
mod record;
mod suiteql;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::InternalId;
use crate::text::excerpt;

pub use body::{
    BodyError, ItemSublist, LinePatch, SalesOrderBody, SalesOrderLine, SalesOrderPatch,
    ShippingAddress,
};
pub use error::{ErrorBody, ErrorDetail};
pub use record::{
    EnumValue, NamedRef, RecordItemSublist, SalesOrderRecord, SalesOrderRecordLine, SnapshotError,
    SnapshotProblem, SnapshotProblemKind,
};
pub use suiteql::{
    ChangedSalesOrderRow, SUITEQL_MAX_LIMIT, SuiteQlError, SuiteQlPage, SuiteQlRequest,
    string_literal,
};

/// The record type tag of a sales order in record API paths (`/salesOrder/{id}`).
pub const SALES_ORDER_RECORD_TYPE: &str = "salesOrder";

/// The path of the record API under the account's host.
pub const RECORD_API_PATH: &str = "/services/rest/record/v1";

/// The path of the SuiteQL endpoint under the account's host.
pub const SUITEQL_PATH: &str = "/services/rest/query/v1/suiteql";

/// Request header that decides what NetSuite does with a field name it does not know;
/// its default, `Warning`, drops a misspelled field silently, so send
/// [`VALIDATION_ERROR`].
pub const PROPERTY_NAME_VALIDATION: &str = "X-NetSuite-PropertyNameValidation";

/// Request header that decides what NetSuite does with a field value it cannot use
/// (default `Error`).
pub const PROPERTY_VALUE_VALIDATION: &str = "X-NetSuite-PropertyValueValidation";

/// The validation header value that makes NetSuite reject the request with an error.
pub const VALIDATION_ERROR: &str = "Error";

/// The `Prefer` request header, for [`PREFER_TRANSIENT`] and [`PREFER_RESPOND_ASYNC`].
pub const PREFER: &str = "Prefer";

/// The `Prefer` value SuiteQL requires (`Prefer: transient`).
pub const PREFER_TRANSIENT: &str = "transient";

/// The `Prefer` value that turns a call into an asynchronous job answered with 202.
pub const PREFER_RESPOND_ASYNC: &str = "respond-async";

/// Request header carrying an RFC 4122 UUID; NetSuite honours it only on asynchronous
/// (`respond-async`) calls.
pub const IDEMPOTENCY_KEY: &str = "X-NetSuite-Idempotency-Key";

/// Response header of a create or update, holding the record's URL.
pub const LOCATION: &str = "Location";

/// The `price` level id meaning "custom", so the `rate` sent on a line is the rate kept.
pub const CUSTOM_PRICE_LEVEL: &str = "-1";

/// A reference to another record as a body sends it: `{"id": "<internal id>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordRef {
    /// The referenced record's internal id (or an enum's letter, such as `orderStatus`).
    pub id: String,
}

impl RecordRef {
    /// A reference to the record with this id.
    pub fn new(id: impl Into<String>) -> Self {
        RecordRef { id: id.into() }
    }
}

impl From<&InternalId> for RecordRef {
    fn from(id: &InternalId) -> Self {
        RecordRef::new(id.as_str())
    }
}

/// A hypermedia link NetSuite puts on records, sublists and SuiteQL pages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Link {
    /// The relation: `self`, `next`, `previous`, `first`, `last`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// The URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// Why a `Location` header does not name a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocationError {
    /// The header has no path segment after removing the query and trailing slashes.
    /// NetSuite did not say which record it made; re-read it by external id.
    #[error("`Location` header `{location}` has no record id")]
    NoId {
        /// The header value, shortened when long.
        location: String,
    },
    /// The last path segment is not a decimal internal id.
    #[error(
        "`Location` header `{location}` ends in `{segment}`, which is not a numeric internal id"
    )]
    NotNumeric {
        /// The header value, shortened when long.
        location: String,
        /// The last path segment, shortened when long.
        segment: String,
    },
}

/// The internal id at the end of a `Location` header, such as
/// `https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/salesOrder/987`.
///
/// A query string, a fragment and trailing slashes are ignored.
///
/// # Errors
/// [`LocationError::NoId`] when no segment is left, [`LocationError::NotNumeric`] when
/// the last segment is not made of ASCII digits.
///
/// # Example
/// ```
/// use avc_order_sync::netsuite::internal_id_from_location;
/// let id = internal_id_from_location("https://h/services/rest/record/v1/salesOrder/987/?x=1")?;
/// assert_eq!(id.as_str(), "987");
/// assert!(internal_id_from_location("https://h/services/rest/record/v1/salesOrder/").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn internal_id_from_location(location: &str) -> Result<InternalId, LocationError> {
    let trimmed = location.trim();
    let path = trimmed
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('/');
    let segment = path.rsplit('/').next().unwrap_or_default();
    if segment.is_empty() {
        return Err(LocationError::NoId {
            location: excerpt(location),
        });
    }
    let not_numeric = || LocationError::NotNumeric {
        location: excerpt(location),
        segment: excerpt(segment),
    };
    if !segment.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_numeric());
    }
    InternalId::new(segment).map_err(|_| not_numeric())
}

/// Reads an optional id NetSuite may write as a string or, in some replies, a number.
fn string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Option::<Raw>::deserialize(deserializer)? {
        None => None,
        Some(Raw::Text(s)) => Some(s),
        Some(Raw::Number(n)) => Some(n.to_string()),
    })
}

/// Any JSON value, nested a few levels, with keys NetSuite's bodies use so that
/// parsers get past their first field.
#[cfg(test)]
fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    use serde_json::Value;
    let key = prop_oneof![
        Just("id".to_owned()),
        Just("externalId".to_owned()),
        Just("status".to_owned()),
        Just("orderStatus".to_owned()),
        Just("lastModifiedDate".to_owned()),
        Just("item".to_owned()),
        Just("items".to_owned()),
        Just("line".to_owned()),
        Just("quantity".to_owned()),
        Just("rate".to_owned()),
        Just("amount".to_owned()),
        Just("isClosed".to_owned()),
        Just("expectedShipDate".to_owned()),
        Just("custcol_avc_item_seq".to_owned()),
        Just("o:errorDetails".to_owned()),
        Just("o:errorCode".to_owned()),
        Just("detail".to_owned()),
        Just("hasMore".to_owned()),
        Just("links".to_owned()),
        "[a-zA-Z_:]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("B"),
            Just("12"),
            Just("2025-03-01"),
            Just("2025-03-01T10:00:00Z")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn location_takes_the_last_segment() {
        for (location, id) in [
            (
                "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/salesOrder/987",
                "987",
            ),
            ("https://h/services/rest/record/v1/salesOrder/987/", "987"),
            (
                "https://h/services/rest/record/v1/salesOrder/987?a=b/c",
                "987",
            ),
            ("https://h/services/rest/record/v1/salesOrder/987#x", "987"),
            ("/services/rest/record/v1/salesOrder/42//", "42"),
            (" 5 ", "5"),
        ] {
            assert_eq!(
                internal_id_from_location(location).unwrap().as_str(),
                id,
                "{location}"
            );
        }
    }

    #[test]
    fn location_without_a_numeric_id_is_refused() {
        for location in ["", "/", "?id=5", "  ", "#987"] {
            assert!(
                matches!(
                    internal_id_from_location(location),
                    Err(LocationError::NoId { .. })
                ),
                "{location:?}"
            );
        }
        for (location, segment) in [
            (
                "https://h/services/rest/record/v1/salesOrder/eid:AVC-1",
                "eid:AVC-1",
            ),
            ("https://h/services/rest/record/v1/salesOrder", "salesOrder"),
            (
                "https://h/services/rest/record/v1/salesOrder/",
                "salesOrder",
            ),
            ("https://h/salesOrder/-1", "-1"),
            ("https://h/salesOrder/１２", "１２"),
        ] {
            match internal_id_from_location(location) {
                Err(LocationError::NotNumeric { segment: s, .. }) => assert_eq!(s, segment),
                other => panic!("{location}: {other:?}"),
            }
        }
        let err = internal_id_from_location("https://h/salesOrder/abc").unwrap_err();
        assert!(err.to_string().starts_with("`Location` header"), "{err}");
    }

    #[test]
    fn references_are_written_as_id_objects() {
        let id = InternalId::new("1234").unwrap();
        assert_eq!(
            serde_json::to_value(RecordRef::from(&id)).unwrap(),
            serde_json::json!({"id": "1234"})
        );
    }

    proptest! {
        #[test]
        fn location_parsing_never_panics(s in "\\PC{0,80}") {
            if let Ok(id) = internal_id_from_location(&s) {
                prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
