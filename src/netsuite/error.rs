//! NetSuite's REST error body (`nsError`).

use serde::{Deserialize, Deserializer, Serialize};

/// The body of a NetSuite REST error reply: an RFC 7807 problem with Oracle's
/// `o:errorDetails`.
///
/// Lenient: every member is optional and unknown members are ignored.
///
/// # Example
/// ```
/// use avc_order_sync::netsuite::ErrorBody;
/// let body = ErrorBody::parse(br#"{"status": 429, "o:errorCode": "USER_ERROR",
///   "o:errorDetails": [{"detail": "Concurrent request limit exceeded. Request blocked.",
///                       "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}]}"#)?;
/// assert!(body.is_concurrency_limit());
/// assert_eq!(body.codes().collect::<Vec<_>>(), ["CONCURRENCY_LIMIT_EXCEEDED", "USER_ERROR"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A URI naming the kind of problem (an HTTP status section of RFC 2616).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub problem_type: Option<String>,
    /// The HTTP reason phrase (`Bad Request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status code.
    #[serde(
        default,
        deserialize_with = "status_code",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<u16>,
    /// A code for the whole reply; Oracle's 429 sample carries `USER_ERROR` here.
    #[serde(
        rename = "o:errorCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// What went wrong, one entry per problem.
    #[serde(
        rename = "o:errorDetails",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub error_details: Vec<ErrorDetail>,
}

/// One entry of `o:errorDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The human-readable message; for `UNEXPECTED_ERROR` it carries an Error ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The machine-readable code (`INVALID_CONTENT`, `CONCURRENCY_LIMIT_EXCEEDED`, …).
    #[serde(
        rename = "o:errorCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// A JSON path into the request body naming the offending field
    /// (`item.items[0].item`).
    #[serde(
        rename = "o:errorPath",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_path: Option<String>,
    /// The request URL the problem is about.
    #[serde(
        rename = "o:errorUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_url: Option<String>,
    /// The URL path the problem is about, where NetSuite names it instead of the URL.
    #[serde(rename = "o:urlPath", default, skip_serializing_if = "Option::is_none")]
    pub url_path: Option<String>,
    /// The request header the problem is about.
    #[serde(
        rename = "o:errorHeader",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_header: Option<String>,
    /// The query parameter the problem is about.
    #[serde(
        rename = "o:errorQueryParam",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_query_param: Option<String>,
}

/// Reads the status as NetSuite writes it (a number), or as text; anything that is not
/// an HTTP status is dropped, since the reply's own status line is authoritative.
fn status_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u16>, D::Error> {
    Ok(super::string_or_number(deserializer)?.and_then(|s| s.parse().ok()))
}

impl ErrorBody {
    /// The account's concurrent-request pool is full (HTTP 429); retry with backoff.
    pub const CONCURRENCY_LIMIT_EXCEEDED: &'static str = "CONCURRENCY_LIMIT_EXCEEDED";
    /// A field value is not usable, such as an unknown item id; not worth retrying.
    pub const INVALID_CONTENT: &'static str = "INVALID_CONTENT";
    /// The URL or query is malformed.
    pub const INVALID_REQUEST: &'static str = "INVALID_REQUEST";
    /// A business rule failed (missing mandatory field, closed period, …).
    pub const USER_ERROR: &'static str = "USER_ERROR";
    /// No record has the internal id or `eid:` asked for (HTTP 404).
    pub const NONEXISTENT_ID: &'static str = "NONEXISTENT_ID";
    /// Authentication or role permissions failed (HTTP 401); reported to appear under
    /// concurrency pressure too.
    pub const INVALID_LOGIN: &'static str = "INVALID_LOGIN";
    /// The login attempt was refused, typically for a bad OAuth signature.
    pub const INVALID_LOGIN_ATTEMPT: &'static str = "INVALID_LOGIN_ATTEMPT";
    /// An asynchronous request repeated an idempotency key; follow its `Location`.
    pub const IDEMPOTENCY_ERROR: &'static str = "IDEMPOTENCY_ERROR";
    /// A server fault (HTTP 5xx); retry with backoff and log the Error ID.
    pub const UNEXPECTED_ERROR: &'static str = "UNEXPECTED_ERROR";

    /// Parses a reply body.
    ///
    /// # Errors
    /// The JSON error when the bytes are not a JSON object of this shape (a gateway's
    /// HTML page, for instance).
    pub fn parse(bytes: &[u8]) -> Result<ErrorBody, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Every error code in the reply: each detail's, then the top-level one.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.error_details
            .iter()
            .filter_map(|d| d.error_code.as_deref())
            .chain(self.error_code.as_deref())
    }

    /// `true` when any detail, or the reply itself, carries `code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.codes().any(|c| c == code)
    }

    /// `true` when the account's concurrency limit refused the request.
    pub fn is_concurrency_limit(&self) -> bool {
        self.has_code(Self::CONCURRENCY_LIMIT_EXCEEDED)
    }

    /// `true` when the record asked for does not exist.
    pub fn is_nonexistent_id(&self) -> bool {
        self.has_code(Self::NONEXISTENT_ID)
    }

    /// `true` when authentication failed.
    pub fn is_invalid_login(&self) -> bool {
        self.has_code(Self::INVALID_LOGIN) || self.has_code(Self::INVALID_LOGIN_ATTEMPT)
    }

    /// `true` when NetSuite reported a server fault.
    pub fn is_unexpected_error(&self) -> bool {
        self.has_code(Self::UNEXPECTED_ERROR)
    }

    /// `true` when an asynchronous request repeated an idempotency key.
    pub fn is_idempotency_error(&self) -> bool {
        self.has_code(Self::IDEMPOTENCY_ERROR)
    }

    /// The first detail's message, else the title.
    pub fn message(&self) -> Option<&str> {
        self.error_details
            .iter()
            .find_map(|d| d.detail.as_deref())
            .or(self.title.as_deref())
    }
}

impl ErrorDetail {
    /// The Error ID NetSuite puts in an `UNEXPECTED_ERROR` message
    /// (`... Error ID: kf0g9ij7dnrdnk5dumvd`), to quote to Oracle support.
    pub fn error_id(&self) -> Option<&str> {
        const MARK: &str = "Error ID:";
        let detail = self.detail.as_deref()?;
        let at = detail.find(MARK)?;
        let id = detail[at + MARK.len()..]
            .trim_start()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()?;
        (!id.is_empty()).then_some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_invalid_content_reply_names_the_path() {
        let body = ErrorBody::parse(
            br#"{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1",
                 "title":"Bad Request","status":400,
                 "o:errorDetails":[{"detail":"Invalid value for the resource or sub-resource field 'item'.",
                                    "o:errorCode":"INVALID_CONTENT","o:errorPath":"item.items[0].item"},
                                   {"detail":"second","o:errorCode":"USER_ERROR"}]}"#,
        )
        .unwrap();
        assert_eq!(body.status, Some(400));
        assert_eq!(
            body.codes().collect::<Vec<_>>(),
            ["INVALID_CONTENT", "USER_ERROR"]
        );
        assert!(body.has_code(ErrorBody::INVALID_CONTENT));
        assert!(!body.is_concurrency_limit());
        assert_eq!(
            body.error_details[0].error_path.as_deref(),
            Some("item.items[0].item")
        );
        assert_eq!(
            body.message(),
            Some("Invalid value for the resource or sub-resource field 'item'.")
        );
    }

    #[test]
    fn the_error_id_is_found_in_an_unexpected_error() {
        let detail = ErrorDetail {
            detail: Some("An unexpected error occurred. Error ID: kf0g9ij7dnrdnk5dumvd.".into()),
            error_code: Some(ErrorBody::UNEXPECTED_ERROR.into()),
            ..ErrorDetail::default()
        };
        assert_eq!(detail.error_id(), Some("kf0g9ij7dnrdnk5dumvd"));
        assert_eq!(ErrorDetail::default().error_id(), None);
        let detail = ErrorDetail {
            detail: Some("Error ID:".into()),
            ..ErrorDetail::default()
        };
        assert_eq!(detail.error_id(), None);
    }

    #[test]
    fn lenient_reading_of_odd_bodies() {
        let body = ErrorBody::parse(br#"{"status":"503","extra":[1,2]}"#).unwrap();
        assert_eq!(body.status, Some(503));
        assert_eq!(ErrorBody::parse(b"{}").unwrap(), ErrorBody::default());
        assert_eq!(
            ErrorBody::parse(br#"{"status":70000}"#).unwrap().status,
            None
        );
        assert!(ErrorBody::parse(b"<html>Service Unavailable</html>").is_err());
        assert!(ErrorBody::parse(b"").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_into_the_error_parser_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(body) = ErrorBody::parse(&bytes) {
                let _ = body.codes().count();
                let _ = body.error_details.iter().map(ErrorDetail::error_id).count();
            }
        }

        #[test]
        fn arbitrary_json_into_the_error_parser_never_panics(value in super::super::arbitrary_json()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            if let Ok(body) = ErrorBody::parse(&bytes) {
                let _ = body.message();
                let _ = body.error_details.iter().map(ErrorDetail::error_id).count();
            }
        }

        #[test]
        fn error_ids_never_panic(detail in "\\PC{0,60}") {
            let d = ErrorDetail { detail: Some(format!("Error ID:{detail}")), ..ErrorDetail::default() };
            let _ = d.error_id();
        }
    }
}
