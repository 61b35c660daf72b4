//! Login with Amazon: the refresh-token grant that yields the SP-API access token.
//!
//! The vendor's authorization of the application gives a long-lived refresh token;
//! each access token is got from it at `POST https://api.amazon.com/auth/o2/token` with
//! `grant_type=refresh_token`, the application's client id and secret, and the refresh
//! token, form-encoded. The answer holds `access_token` and `expires_in` (3600 s).
//! A refused refresh token (`invalid_grant`: revoked by the vendor, or for another
//! application) will not pass by itself: the vendor must authorize again.

use chrono::{DateTime, Utc};

use super::{AccessToken, AuthError, AuthService, Secret, TokenRequest, form_body};

/// Login with Amazon's token endpoint, for every region.
pub const TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";

/// The OAuth error codes that mean the credentials themselves are refused (RFC 6749
/// §5.2): a person must act.
pub const REFUSED_CODES: &[&str] = &[
    "invalid_grant",
    "invalid_client",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_request",
    "invalid_scope",
];

/// The application's client id and secret and the vendor's refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LwaCredentials {
    /// The LWA client id of the SP-API application
    /// (`amzn1.application-oa2-client.…`); not a secret.
    pub client_id: String,
    /// The LWA client secret.
    pub client_secret: Secret,
    /// The refresh token the vendor's authorization gave (`Atzr|…`).
    pub refresh_token: Secret,
}

/// The refresh-token request to [`TOKEN_URL`].
pub fn token_request(credentials: &LwaCredentials) -> TokenRequest {
    token_request_to(TOKEN_URL, credentials)
}

/// The refresh-token request to another token endpoint (a local one in tests).
pub fn token_request_to(url: &str, credentials: &LwaCredentials) -> TokenRequest {
    TokenRequest {
        url: url.to_owned(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded;charset=UTF-8".into(),
        )],
        body: form_body(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", credentials.refresh_token.expose()),
            ("client_id", &credentials.client_id),
            ("client_secret", credentials.client_secret.expose()),
        ]),
    }
}

/// Reads Login with Amazon's answer, received at `now`.
///
/// # Errors
/// [`AuthError::Refused`] for `invalid_grant`, `invalid_client` and the other codes of
/// [`REFUSED_CODES`] (a person must act); [`AuthError::Unavailable`] for 429 and 5xx;
/// [`AuthError::Unreadable`] for a body that is neither a token nor an OAuth error.
pub fn read_token_response(
    status: u16,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<AccessToken, AuthError> {
    super::read_token_answer(
        AuthService::LoginWithAmazon,
        REFUSED_CODES,
        status,
        body,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> LwaCredentials {
        LwaCredentials {
            client_id: "amzn1.application-oa2-client.0123".into(),
            client_secret: Secret::new("s3cr+t/="),
            refresh_token: Secret::new("Atzr|IwEBI&x"),
        }
    }

    #[test]
    fn the_request_is_the_refresh_token_grant_form_encoded() {
        let request = token_request(&credentials());
        assert_eq!(request.url, "https://api.amazon.com/auth/o2/token");
        assert_eq!(
            String::from_utf8(request.body).unwrap(),
            "grant_type=refresh_token&refresh_token=Atzr%7CIwEBI%26x&client_id=amzn1.application-oa2-client.0123&client_secret=s3cr%2Bt%2F%3D"
        );
        assert!(
            request.headers[0]
                .1
                .starts_with("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn answers_are_read_and_refusals_need_a_person() {
        let now: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
        let token = read_token_response(
            200,
            br#"{"access_token":"Atza|IwEB","refresh_token":"Atzr|x","token_type":"bearer","expires_in":3600}"#,
            now,
        )
        .unwrap();
        assert_eq!(token.value.expose(), "Atza|IwEB");
        assert_eq!(
            token.expires_at,
            "2026-11-27T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );

        for code in ["invalid_grant", "invalid_client", "unauthorized_client"] {
            let body = format!(r#"{{"error":"{code}","error_description":"no"}}"#);
            let error = read_token_response(400, body.as_bytes(), now).unwrap_err();
            assert!(error.is_refused(), "{code}");
            assert!(error.to_string().contains(code));
        }
        for status in [429, 500, 503] {
            let error = read_token_response(status, b"", now).unwrap_err();
            assert!(!error.is_refused(), "{status}");
        }
        let error = read_token_response(200, b"{}", now).unwrap_err();
        assert!(matches!(error, AuthError::Unreadable { .. }));
    }
}
