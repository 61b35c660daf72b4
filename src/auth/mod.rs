//! Credentials, sans-IO: Login with Amazon access tokens, Restricted Data Tokens, and
//! NetSuite's token-based authentication (OAuth 1.0a) and OAuth 2.0 client credentials.
//!
//! Like the rest of the crate this module opens no socket and links no crypto. Each
//! credential is, in two layers:
//!
//! * **Pure builders and readers.** The token requests as bytes to send
//!   ([`lwa::token_request`], [`rdt::token_request`],
//!   [`netsuite_oauth2::token_request`]), their answers read into a token with its
//!   expiry, and their refusals classified ([`AuthError::is_refused`]: a person must
//!   act; anything else may pass). NetSuite's OAuth 1.0a signature base string and
//!   `Authorization` header ([`tba`]) exactly as RFC 5849 writes them, and its OAuth 2.0
//!   client assertion ([`netsuite_oauth2::ClientAssertion`]). The crypto primitive is
//!   the integrator's: an [`tba::HmacFunction`] for HMAC-SHA256 and a
//!   [`netsuite_oauth2::JwtSigner`] for PS256 or ES256, each a few lines over a crypto
//!   crate.
//! * **Caches** ([`TokenCache`], [`KeyedTokenCache`]) that hand out a token until a
//!   margin before it expires, renew it with **one refresh in flight** however many
//!   calls wait, and read time from the crate's [`Clock`](crate::Clock).
//!
//! [`CredentialedTransport`] puts them together: it wraps the integrator's raw HTTP
//! client (a [`RawTransport`], which only moves bytes to a URL) and is the
//! [`HttpTransport`](crate::http::HttpTransport) the crate's SP-API and NetSuite
//! clients take, adding the region's host and the right credential to each request.
//!
//! Secrets are held as [`Secret`]s, whose `Debug` and `Display` print `Secret(***)`;
//! no type here prints one.
//!
//! # Example
//!
//! Login with Amazon's refresh-token request and its answer, without a network:
//!
//! ```
//! use avc_order_sync::auth::{lwa, Secret};
//!
//! let credentials = lwa::LwaCredentials {
//!     client_id: "amzn1.application-oa2-client.abc".into(),
//!     client_secret: Secret::new("client-secret"),
//!     refresh_token: Secret::new("Atzr|refresh"),
//! };
//! let request = lwa::token_request(&credentials);
//! assert_eq!(request.url, lwa::TOKEN_URL);
//! assert!(String::from_utf8(request.body.clone())?.starts_with("grant_type=refresh_token&"));
//! assert!(!format!("{request:?}{credentials:?}").contains("Atzr|refresh"));
//!
//! let now = "2026-11-27T08:00:00Z".parse()?;
//! let token = lwa::read_token_response(200, br#"{"access_token":"Atza|x","token_type":"bearer","expires_in":3600}"#, now)?;
//! assert_eq!(token.value.expose(), "Atza|x");
//! assert_eq!(token.expires_at, "2026-11-27T09:00:00Z".parse::<chrono::DateTime<chrono::Utc>>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

mod cache;
pub mod lwa;
pub mod netsuite_oauth2;
pub mod rdt;
pub mod tba;
mod transport;

pub use cache::{KeyedTokenCache, TokenBucket, TokenCache};
pub use transport::{
    CredentialedTransport, NetSuiteAuth, RawRequest, RawTransport, SpApiAuth, SpApiRegion,
};

/// A secret: a client secret, a refresh or access token, a token secret, a key.
///
/// Its `Debug` and `Display` print `Secret(***)`, so a secret inside any struct that
/// derives `Debug` stays out of logs. Read it with [`Secret::expose`] where it must go
/// on the wire.
///
/// # Example
/// ```
/// use avc_order_sync::auth::Secret;
/// let secret = Secret::new("Atzr|IwEB");
/// assert_eq!(format!("{secret:?} {secret}"), "Secret(***) Secret(***)");
/// assert_eq!(secret.expose(), "Atzr|IwEB");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Holds `value` as a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret's value, for the wire and nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A bearer credential and the instant it stops being accepted: a Login with Amazon
/// access token, a Restricted Data Token, a NetSuite OAuth 2.0 access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The token.
    pub value: Secret,
    /// When the service stops accepting it (the answer's time plus its `expires_in`).
    pub expires_at: DateTime<Utc>,
}

impl AccessToken {
    /// `true` while the token can still be sent at `now` with `margin` to spare.
    pub fn is_fresh(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        crate::time::later(now, margin) < self.expires_at
    }
}

/// The service that issues a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthService {
    /// Login with Amazon (`api.amazon.com/auth/o2/token`).
    LoginWithAmazon,
    /// The SP-API Tokens API (`createRestrictedDataToken`).
    TokensApi,
    /// NetSuite's OAuth 2.0 token endpoint.
    NetSuiteTokenEndpoint,
}

impl fmt::Display for AuthService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthService::LoginWithAmazon => "login with amazon",
            AuthService::TokensApi => "the sp-api tokens api",
            AuthService::NetSuiteTokenEndpoint => "netsuite's oauth 2.0 token endpoint",
        })
    }
}

/// Why a credential could not be obtained or a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The service refused the credentials themselves: Login with Amazon's
    /// `invalid_grant` (a refresh token revoked, expired or for another app),
    /// `invalid_client`, `unauthorized_client`; the Tokens API's 400/401/403 (the app
    /// lacks the restricted role); NetSuite's `invalid_client` or `invalid_grant`.
    /// Trying again will not help: a person must fix the credentials.
    #[error(
        "{service} refused the credentials (`{code}`{}): a person must act",
        Description(description)
    )]
    Refused {
        /// Who refused.
        service: AuthService,
        /// The OAuth error code (`invalid_grant`) or the HTTP status.
        code: String,
        /// The service's description, cut short, when it sent one.
        description: Option<String>,
    },
    /// The service could not answer now (HTTP 429, 5xx): retried later.
    #[error("{service} is unavailable (http status {status})")]
    Unavailable {
        /// Who.
        service: AuthService,
        /// The HTTP status.
        status: u16,
        /// The wait it asked for, when it said.
        retry_after: Option<Duration>,
    },
    /// The service's answer could not be read (not JSON, no token): retried later.
    #[error("{service} answered http status {status} with a body that cannot be read: {reason}")]
    Unreadable {
        /// Who.
        service: AuthService,
        /// The HTTP status.
        status: u16,
        /// Why, in lower case.
        reason: String,
    },
    /// The integrator's signing function failed (a key that does not load).
    #[error("the request could not be signed: {reason}")]
    Signing {
        /// Why, in lower case.
        reason: String,
    },
    /// A NetSuite account id is not one (`1234567`, `1234567_SB1`, `1234567-sb1`).
    #[error("`{0}` is not a netsuite account id")]
    InvalidAccount(String),
    /// The request for a credential got no answer (timeout, connection): retried later.
    #[error("{service} could not be reached: {reason}")]
    Unreachable {
        /// Who.
        service: AuthService,
        /// The transport's error, in short.
        reason: String,
    },
}

struct Description<'a>(&'a Option<String>);

impl fmt::Display for Description<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, ": {d}"),
            None => Ok(()),
        }
    }
}

impl AuthError {
    /// `true` when a person must act: the credentials themselves were refused or
    /// cannot be used. `false` for a failure that may pass (unavailable, unreadable,
    /// unreachable).
    pub fn is_refused(&self) -> bool {
        matches!(
            self,
            AuthError::Refused { .. } | AuthError::Signing { .. } | AuthError::InvalidAccount(_)
        )
    }

    /// The error as a transport reports it: a refusal as
    /// [`TransportError::Credentials`](crate::http::TransportError::Credentials) (the
    /// engine treats it as unauthorized, and the cycle's report names it), anything
    /// else as a transient failure.
    pub fn into_transport_error(self) -> crate::http::TransportError {
        if self.is_refused() {
            crate::http::TransportError::credentials(self)
        } else {
            crate::http::TransportError::other(self)
        }
    }
}

/// A request for a credential, ready to send: the absolute URL, headers, form or JSON
/// body. Its `Debug` shows no header value and no body, which hold secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The absolute URL.
    pub url: String,
    /// The headers (`content-type`, and for the Tokens API the access token).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("TokenRequest")
            .field("url", &self.url)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// `pairs` as an `application/x-www-form-urlencoded` body, every name and value
/// percent-encoded as RFC 3986 unreserved characters (which every form reader takes).
pub fn form_body(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&crate::http::percent_encode(name));
        out.push('=');
        out.push_str(&crate::http::percent_encode(value));
    }
    out.into_bytes()
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64_with(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..4 {
            if i < symbols {
                let index = ((n >> (18 - 6 * i)) & 0x3f) as usize;
                out.push(char::from(alphabet[index]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// `bytes` in standard base64 with padding (RFC 4648 §4): an OAuth 1.0a signature.
///
/// # Example
/// ```
/// assert_eq!(avc_order_sync::auth::base64(b"foob"), "Zm9vYg==");
/// ```
pub fn base64(bytes: &[u8]) -> String {
    base64_with(bytes, STANDARD, true)
}

/// `bytes` in base64url without padding (RFC 4648 §5, RFC 7515 §2): a JWT's parts.
///
/// # Example
/// ```
/// assert_eq!(avc_order_sync::auth::base64url(&[0xfb, 0xff]), "-_8");
/// ```
pub fn base64url(bytes: &[u8]) -> String {
    base64_with(bytes, URL_SAFE, false)
}

/// Reads an OAuth 2.0 error answer (RFC 6749 §5.2): `error` and
/// `error_description`.
fn oauth_error(body: &[u8]) -> Option<(String, Option<String>)> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
        #[serde(default)]
        error_description: Option<String>,
    }
    let body: ErrorBody = serde_json::from_slice(body).ok()?;
    Some((
        short(&body.error),
        body.error_description.map(|d| short(&d)),
    ))
}

/// `text` cut to a length a log line takes, on a character boundary.
fn short(text: &str) -> String {
    text.chars().take(160).collect()
}

/// Reads an OAuth 2.0 token endpoint's answer from `service`, received at `now`: the
/// bearer token of a 2xx, or the error of anything else, with the OAuth error codes in
/// `refused` counted as refusals a person must act on.
fn read_token_answer(
    service: AuthService,
    refused: &[&str],
    status: u16,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<AccessToken, AuthError> {
    if (200..300).contains(&status) {
        read_bearer(service, status, body, now)
    } else {
        Err(classify_token_error(service, status, body, refused))
    }
}

/// Classifies an OAuth 2.0 token endpoint's answer that is not a success.
fn classify_token_error(
    service: AuthService,
    status: u16,
    body: &[u8],
    refused_codes: &[&str],
) -> AuthError {
    if status == 429 || (500..=599).contains(&status) {
        return AuthError::Unavailable {
            service,
            status,
            retry_after: None,
        };
    }
    match oauth_error(body) {
        Some((code, description)) if refused_codes.contains(&code.as_str()) => AuthError::Refused {
            service,
            code,
            description,
        },
        // A 401 always means the client's own credentials were refused.
        _ if status == 401 => AuthError::Refused {
            service,
            code: status.to_string(),
            description: None,
        },
        Some((code, description)) => AuthError::Refused {
            service,
            code,
            description,
        },
        None => AuthError::Unreadable {
            service,
            status,
            reason: "not an oauth error answer".into(),
        },
    }
}

/// Reads a token answer with `access_token` and `expires_in` (seconds).
fn read_bearer(
    service: AuthService,
    status: u16,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<AccessToken, AuthError> {
    /// Seconds, as a number (Login with Amazon) or a string (NetSuite).
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Seconds {
        Number(u64),
        Text(String),
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        access_token: String,
        expires_in: Seconds,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| AuthError::Unreadable {
        service,
        status,
        reason: short(&e.to_string()),
    })?;
    let expires_in = match answer.expires_in {
        Seconds::Number(n) => Some(n),
        Seconds::Text(text) => text.trim().parse().ok(),
    };
    let Some(expires_in) = expires_in else {
        return Err(AuthError::Unreadable {
            service,
            status,
            reason: "`expires_in` is not a number of seconds".into(),
        });
    };
    if answer.access_token.is_empty() {
        return Err(AuthError::Unreadable {
            service,
            status,
            reason: "`access_token` is empty".into(),
        });
    }
    Ok(AccessToken {
        value: Secret(answer.access_token),
        expires_at: crate::time::later(now, Duration::from_secs(expires_in)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_follows_rfc_4648_test_vectors() {
        // RFC 4648 §10.
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
            assert_eq!(
                base64url(input.as_bytes()),
                expected.trim_end_matches('='),
                "{input}"
            );
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xfe]), "+//+");
        assert_eq!(base64url(&[0xfb, 0xff, 0xfe]), "-__-");
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        let token = AccessToken {
            value: secret.clone(),
            expires_at: DateTime::<Utc>::MIN_UTC,
        };
        for shown in [
            format!("{secret:?}"),
            format!("{secret}"),
            format!("{token:?}"),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        let request = TokenRequest {
            url: "https://api.amazon.com/auth/o2/token".into(),
            headers: vec![("x-amz-access-token".into(), "hunter2".into())],
            body: b"refresh_token=hunter2".to_vec(),
        };
        assert!(!format!("{request:?}").contains("hunter2"));
    }

    #[test]
    fn freshness_keeps_the_margin() {
        let now: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
        let token = AccessToken {
            value: Secret::new("t"),
            expires_at: "2026-11-27T08:10:00Z".parse().unwrap(),
        };
        assert!(token.is_fresh(now, Duration::from_secs(599)));
        assert!(!token.is_fresh(now, Duration::from_secs(600)));
    }

    #[test]
    fn token_errors_are_classified() {
        let refused = classify_token_error(
            AuthService::LoginWithAmazon,
            400,
            br#"{"error":"invalid_grant","error_description":"The request has an invalid grant parameter : refresh_token"}"#,
            &["invalid_grant"],
        );
        assert!(refused.is_refused());
        assert_eq!(
            refused.to_string(),
            "login with amazon refused the credentials (`invalid_grant`: The request has an invalid grant parameter : refresh_token): a person must act"
        );
        let busy = classify_token_error(AuthService::LoginWithAmazon, 503, b"", &[]);
        assert!(!busy.is_refused());
        let odd = classify_token_error(AuthService::LoginWithAmazon, 400, b"<html>", &[]);
        assert!(matches!(odd, AuthError::Unreadable { status: 400, .. }));
        let unauthorized = classify_token_error(AuthService::TokensApi, 401, b"", &[]);
        assert!(unauthorized.is_refused());
    }
}
