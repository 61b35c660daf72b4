//! NetSuite OAuth 2.0, client credentials (machine to machine).
//!
//! The integration record's client id and a certificate uploaded to NetSuite (its id,
//! the `kid`) stand for the application. Each access token is got at the account's
//! token endpoint with a **client assertion**: a JWT whose header names the algorithm
//! (`PS256` or `ES256`, the ones NetSuite accepts), `typ` `JWT` and the certificate id,
//! and whose claims name the client id (`iss`), the scopes (`restlets`,
//! `rest_webservices`), the token endpoint (`aud`), and when it was made and expires
//! (`iat`, `exp`, at most an hour apart). The JWT is signed with the certificate's
//! private key by the integrator's [`JwtSigner`]. NetSuite's access token lasts an
//! hour (`expires_in` 3600).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::tba::NetSuiteAccount;
use super::{AccessToken, AuthError, AuthService, Secret, TokenRequest, base64url, form_body};

/// The longest a client assertion may live: NetSuite refuses an `exp` more than an hour
/// after `iat`.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// The scopes asked for unless told otherwise.
pub const DEFAULT_SCOPES: &[&str] = &["restlets", "rest_webservices"];

/// `client_assertion_type` for a JWT (RFC 7523).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The OAuth error codes that mean the credentials themselves are refused.
pub const REFUSED_CODES: &[&str] = &[
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "invalid_request",
    "invalid_scope",
    "unsupported_grant_type",
];

/// The client assertion's signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// RSASSA-PSS with SHA-256 (an RSA certificate of 3072 or 4096 bits).
    Ps256,
    /// ECDSA P-256 with SHA-256; the signature is `r || s`, 64 bytes (RFC 7518 §3.4),
    /// not DER.
    Es256,
}

impl JwtAlgorithm {
    /// The JOSE name (`PS256`).
    pub const fn as_str(&self) -> &'static str {
        match self {
            JwtAlgorithm::Ps256 => "PS256",
            JwtAlgorithm::Es256 => "ES256",
        }
    }
}

/// Signs client assertions with the private key of the certificate uploaded to
/// NetSuite.
///
/// # Contract
/// `sign` MUST return the JWS signature of `signing_input` (the ASCII of
/// `base64url(header).base64url(claims)`) with [`JwtSigner::algorithm`], as raw bytes:
/// for ES256 the 64-byte `r || s`.
pub trait JwtSigner: Send + Sync {
    /// The algorithm the key signs with.
    fn algorithm(&self) -> JwtAlgorithm;

    /// The signature of `signing_input`.
    ///
    /// # Errors
    /// [`AuthError::Signing`] when the key cannot sign.
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, AuthError>;
}

/// What identifies the application to NetSuite's token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Credentials {
    /// The account.
    pub account: NetSuiteAccount,
    /// The integration record's client id (the assertion's `iss`).
    pub client_id: Secret,
    /// The certificate id NetSuite shows for the uploaded certificate (the `kid`).
    pub certificate_id: String,
    /// The scopes; [`DEFAULT_SCOPES`] when empty.
    pub scopes: Vec<String>,
}

/// A client assertion before it is signed: its JOSE header and claims.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientAssertion {
    /// `{"alg", "typ", "kid"}`.
    pub header: serde_json::Value,
    /// `{"iss", "scope", "aud", "iat", "exp"}`.
    pub claims: serde_json::Value,
}

impl ClientAssertion {
    /// The assertion for `credentials`, made at `now`, expiring `lifetime` later (at
    /// most [`MAX_ASSERTION_LIFETIME`]), addressed to `audience` (the token endpoint,
    /// [`NetSuiteAccount::token_url`]).
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::auth::netsuite_oauth2::{ClientAssertion, JwtAlgorithm, OAuth2Credentials};
    /// use avc_order_sync::auth::{tba::NetSuiteAccount, Secret};
    /// let account = NetSuiteAccount::parse("1234567_SB1")?;
    /// let credentials = OAuth2Credentials {
    ///     account: account.clone(),
    ///     client_id: Secret::new("client-id"),
    ///     certificate_id: "cert-1".into(),
    ///     scopes: Vec::new(),
    /// };
    /// let assertion = ClientAssertion::new(
    ///     &credentials,
    ///     JwtAlgorithm::Es256,
    ///     &account.token_url(),
    ///     "2026-11-27T08:00:00Z".parse()?,
    ///     std::time::Duration::from_secs(7200),
    /// );
    /// assert_eq!(assertion.header["kid"], "cert-1");
    /// assert_eq!(assertion.claims["aud"], "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token");
    /// assert_eq!(assertion.claims["scope"], serde_json::json!(["restlets", "rest_webservices"]));
    /// // An hour at most, whatever was asked.
    /// assert_eq!(assertion.claims["exp"].as_i64(), Some(assertion.claims["iat"].as_i64().unwrap() + 3600));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        credentials: &OAuth2Credentials,
        algorithm: JwtAlgorithm,
        audience: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Self {
        let iat = now.timestamp();
        let lifetime = lifetime.min(MAX_ASSERTION_LIFETIME).as_secs();
        let exp = iat.saturating_add(i64::try_from(lifetime).unwrap_or(3600));
        let scopes: Vec<&str> = if credentials.scopes.is_empty() {
            DEFAULT_SCOPES.to_vec()
        } else {
            credentials.scopes.iter().map(String::as_str).collect()
        };
        ClientAssertion {
            header: serde_json::json!({
                "alg": algorithm.as_str(),
                "typ": "JWT",
                "kid": credentials.certificate_id,
            }),
            claims: serde_json::json!({
                "iss": credentials.client_id.expose(),
                "scope": scopes,
                "aud": audience,
                "iat": iat,
                "exp": exp,
            }),
        }
    }

    /// `base64url(header).base64url(claims)`: what is signed.
    pub fn signing_input(&self) -> String {
        format!(
            "{}.{}",
            base64url(self.header.to_string().as_bytes()),
            base64url(self.claims.to_string().as_bytes())
        )
    }

    /// The signed JWT: the signing input, `.`, the signature in base64url.
    ///
    /// # Errors
    /// The signer's [`AuthError::Signing`].
    pub fn sign(&self, signer: &dyn JwtSigner) -> Result<Secret, AuthError> {
        let input = self.signing_input();
        let signature = signer.sign(input.as_bytes())?;
        Ok(Secret::new(format!("{input}.{}", base64url(&signature))))
    }
}

/// The client-credentials token request to `token_url` with the signed `assertion`.
///
/// # Example
/// ```
/// use avc_order_sync::auth::{netsuite_oauth2, Secret};
/// let request = netsuite_oauth2::token_request("https://1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token", &Secret::new("h.c.s"));
/// assert_eq!(
///     String::from_utf8(request.body)?,
///     "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=h.c.s",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn token_request(token_url: &str, assertion: &Secret) -> TokenRequest {
    TokenRequest {
        url: token_url.to_owned(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: form_body(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.expose()),
        ]),
    }
}

/// Reads the token endpoint's answer, received at `now`.
///
/// # Errors
/// [`AuthError::Refused`] for `invalid_client`, `invalid_grant` and the other
/// [`REFUSED_CODES`], and for a 401; [`AuthError::Unavailable`] for 429 and 5xx;
/// [`AuthError::Unreadable`] otherwise.
pub fn read_token_response(
    status: u16,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<AccessToken, AuthError> {
    super::read_token_answer(
        AuthService::NetSuiteTokenEndpoint,
        REFUSED_CODES,
        status,
        body,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl JwtSigner for Fixed {
        fn algorithm(&self) -> JwtAlgorithm {
            JwtAlgorithm::Es256
        }
        fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, AuthError> {
            assert!(signing_input.contains(&b'.'));
            Ok(vec![0xfb; 64])
        }
    }

    fn credentials() -> OAuth2Credentials {
        OAuth2Credentials {
            account: NetSuiteAccount::parse("1234567").unwrap(),
            client_id: Secret::new("planted-client-id"),
            certificate_id: "cert-7".into(),
            scopes: vec!["rest_webservices".into()],
        }
    }

    #[test]
    fn the_assertion_is_three_base64url_parts_without_padding() {
        let account = credentials().account;
        let assertion = ClientAssertion::new(
            &credentials(),
            JwtAlgorithm::Es256,
            &account.token_url(),
            "2026-11-27T08:00:00Z".parse().unwrap(),
            Duration::from_secs(300),
        );
        let jwt = assertion.sign(&Fixed).unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(
            parts
                .iter()
                .all(|p| !p.contains('=') && !p.contains('+') && !p.contains('/'))
        );
        assert_eq!(
            parts[0],
            base64url(br#"{"alg":"ES256","kid":"cert-7","typ":"JWT"}"#)
        );
        assert_eq!(assertion.claims["iat"], 1_795_766_400);
        assert_eq!(assertion.claims["exp"], 1_795_766_700);
        assert_eq!(
            assertion.claims["scope"],
            serde_json::json!(["rest_webservices"])
        );
        assert_eq!(assertion.claims["iss"], "planted-client-id");
        assert_eq!(parts[2], base64url(&[0xfb; 64]));
        assert!(!format!("{:?}", credentials()).contains("planted"));
    }

    #[test]
    fn answers_are_read_and_refusals_classified() {
        let now: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
        // NetSuite writes `expires_in` as a string; a number is read too.
        let token = read_token_response(
            200,
            br#"{"access_token":"eyJ.x.y","expires_in":"3600","token_type":"bearer"}"#,
            now,
        )
        .unwrap();
        assert_eq!(
            token.expires_at,
            "2026-11-27T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let token = read_token_response(
            200,
            br#"{"access_token":"eyJ.x.y","expires_in":3600,"token_type":"Bearer"}"#,
            now,
        )
        .unwrap();
        assert_eq!(token.value.expose(), "eyJ.x.y");
        let refused = read_token_response(400, br#"{"error":"invalid_client"}"#, now).unwrap_err();
        assert!(refused.is_refused());
        assert!(!read_token_response(502, b"", now).unwrap_err().is_refused());
    }
}
