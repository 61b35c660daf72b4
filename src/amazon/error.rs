//! Amazon's error model, shared by every SP-API body.
//!
//! The v1 APIs put a list of [`Error`]s in the `errors` field of their envelope; the
//! 2021-12-28 APIs answer `{"errors":[...]}` ([`ErrorList`]) or, for some statuses, a
//! single bare [`Error`] object. [`ErrorBody`] reads either shape and writes back the
//! one it read.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

/// One error Amazon reports.
///
/// The model requires `code` and `message`, but Amazon sends `"message": null` at
/// times and `"details": ""` often, so every field is optional. A `null` reads as
/// absent and is written back omitted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    /// Amazon's error code (`InvalidInput`, `QuotaExceeded`, `INVALID_ORDER_ID`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What went wrong, in Amazon's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// More detail, often empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl fmt::Display for Error {
    /// `code: message (details)`, leaving out what Amazon did not send.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_deref().unwrap_or("<no code>"))?;
        if let Some(message) = self.message.as_deref().filter(|m| !m.is_empty()) {
            write!(f, ": {message}")?;
        }
        if let Some(details) = self.details.as_deref().filter(|d| !d.is_empty()) {
            write!(f, " ({details})")?;
        }
        Ok(())
    }
}

/// The `{"errors":[...]}` body of a failed call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorList {
    /// The errors, in Amazon's order.
    pub errors: Vec<Error>,
}

/// The body of a failed call, in either shape Amazon uses.
///
/// # Example
/// ```
/// use avc_order_sync::amazon::error::ErrorBody;
/// let listed = ErrorBody::parse(br#"{"errors":[{"code":"InvalidInput","message":"Invalid transmission ID.","details":""}]}"#)?;
/// assert_eq!(listed.errors()[0].code.as_deref(), Some("InvalidInput"));
/// let single = ErrorBody::parse(br#"{"code":"Unauthorized","message":"Access to requested resource is denied."}"#)?;
/// assert_eq!(single.errors().len(), 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ErrorBody {
    /// `{"errors":[...]}`: every v1 error and the 2021-12-28 `ErrorList`.
    List(ErrorList),
    /// A bare error object, which the 2021-12-28 models declare for 401, 403, 404,
    /// 415, 429, 500 and 503.
    Single(Error),
}

impl<'de> Deserialize<'de> for ErrorBody {
    /// An object with an `errors` field is a list; any other object is one error.
    /// Anything but an object is refused (serde would otherwise read a struct from a
    /// JSON array).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let Some(object) = value.as_object() else {
            return Err(D::Error::custom("an error body must be a JSON object"));
        };
        if object.contains_key("errors") {
            ErrorList::deserialize(value).map(ErrorBody::List)
        } else {
            Error::deserialize(value).map(ErrorBody::Single)
        }
        .map_err(D::Error::custom)
    }
}

impl ErrorBody {
    /// Reads an error body from the bytes of an HTTP response.
    ///
    /// # Errors
    /// The JSON error when the bytes are not a JSON object of either shape (an HTML
    /// page from a proxy, for example).
    pub fn parse(bytes: &[u8]) -> Result<ErrorBody, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The errors, whichever shape they came in.
    pub fn errors(&self) -> &[Error] {
        match self {
            ErrorBody::List(list) => &list.errors,
            ErrorBody::Single(error) => std::slice::from_ref(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn round_trip(body: &Value) -> Value {
        let parsed: ErrorBody = serde_json::from_value(body.clone()).unwrap();
        serde_json::to_value(&parsed).unwrap()
    }

    #[test]
    fn listed_errors_round_trip_exactly() {
        let bodies = [
            json!({"errors":[{"code":"InvalidRequest","message":"The request is invalid.","details":""}]}),
            json!({"errors":[{"code":"InvalidRequest","message":"Request is missing or has invalid parameters","details":"purchaseOrderNumber cannot be null"}]}),
            json!({"errors":[{"code":"InvalidRequest","message":"The request is invalid."}]}),
            json!({"errors":[]}),
        ];
        for body in bodies {
            assert_eq!(round_trip(&body), body);
            assert!(matches!(
                serde_json::from_value::<ErrorBody>(body).unwrap(),
                ErrorBody::List(_)
            ));
        }
    }

    #[test]
    fn a_single_error_object_is_read_as_one_error() {
        let body = json!({"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."});
        assert_eq!(round_trip(&body), body);
        let parsed = ErrorBody::parse(body.to_string().as_bytes()).unwrap();
        assert!(matches!(parsed, ErrorBody::Single(_)));
        assert_eq!(parsed.errors()[0].code.as_deref(), Some("Unauthorized"));
    }

    #[test]
    fn a_null_message_reads_as_absent() {
        let parsed = ErrorBody::parse(
            br#"{"errors":[{"code":"InvalidInput","message":null,"details":""}]}"#,
        )
        .unwrap();
        let error = &parsed.errors()[0];
        assert_eq!(error.message, None);
        assert_eq!(error.details.as_deref(), Some(""));
        assert_eq!(error.to_string(), "InvalidInput");
    }

    #[test]
    fn errors_display_code_message_and_details() {
        let error = Error {
            code: Some("InvalidRequest".into()),
            message: Some("Request is missing or has invalid parameters".into()),
            details: Some("purchaseOrderNumber cannot be null".into()),
        };
        assert_eq!(
            error.to_string(),
            "InvalidRequest: Request is missing or has invalid parameters (purchaseOrderNumber cannot be null)"
        );
        assert_eq!(Error::default().to_string(), "<no code>");
    }

    #[test]
    fn non_json_bodies_are_an_error_not_a_panic() {
        for bytes in [
            &b"<html>Bad Gateway</html>"[..],
            b"",
            b"[]",
            b"null",
            b"42",
            br#"{"errors":"oops"}"#,
        ] {
            assert!(ErrorBody::parse(bytes).is_err(), "{bytes:?}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = ErrorBody::parse(&bytes);
        }

        #[test]
        fn errors_round_trip(
            code in proptest::option::of(".{0,12}"),
            message in proptest::option::of(".{0,24}"),
            details in proptest::option::of(".{0,24}"),
            listed in any::<bool>(),
        ) {
            let error = Error { code, message, details };
            let body = if listed {
                ErrorBody::List(ErrorList { errors: vec![error.clone(), error] })
            } else {
                ErrorBody::Single(error)
            };
            let text = serde_json::to_vec(&body).unwrap();
            let read = ErrorBody::parse(&text).unwrap();
            prop_assert_eq!(read.errors(), body.errors());
        }
    }
}
