//! What an integrator writes to go live: a raw HTTP client on `reqwest`, and the
//! crypto the library's signing needs (HMAC-SHA256 for NetSuite's token-based
//! authentication, ES256 for its OAuth 2.0 client assertion), each a few lines over a
//! crypto crate. Everything else, the tokens, their caches and the signatures, is the
//! library's `auth` module.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use avc_order_sync::EngineConfig;
use avc_order_sync::auth::netsuite_oauth2::{JwtAlgorithm, JwtSigner};
use avc_order_sync::auth::tba::{HMAC_SHA256, HmacFunction, NonceSource};
use avc_order_sync::auth::{AuthError, RawRequest, RawTransport};
use avc_order_sync::http::{HttpResponse, TransportError};
use hmac::Mac;

/// The longest one request may take, connection included.
///
/// Below the engine's `in_flight_grace` (5 minutes by default) on purpose: after a
/// crash the engine sends an unanswered NetSuite command again once the grace has
/// passed, trusting that the first attempt has ended by then, answered or timed out.
/// A request allowed to hang longer than the grace could land after its own resend.
/// A minute is also well past what SP-API and NetSuite take to answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How long to wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The raw HTTP client: `reqwest` over rustls.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A client with the timeouts above, no redirects followed and no retries.
    pub fn new() -> Result<Self, reqwest::Error> {
        assert!(
            REQUEST_TIMEOUT < EngineConfig::default().in_flight_grace,
            "a request must end before the engine may send it again"
        );
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // NetSuite's 204 names the new record in `Location`: never follow it.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("avc-order-sync-example/0.1 (Language=Rust)")
            .build()?;
        Ok(ReqwestTransport { client })
    }
}

#[async_trait]
impl RawTransport for ReqwestTransport {
    async fn send(&self, request: RawRequest) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
            .map_err(TransportError::other)?;
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        let classify = |e: reqwest::Error| {
            if e.is_timeout() {
                TransportError::timeout(e)
            } else if e.is_connect() {
                TransportError::connection(e)
            } else {
                TransportError::other(e)
            }
        };
        // Every answer goes back to the library to classify, 4xx and 5xx included.
        let response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        let body = response.bytes().await.map_err(classify)?.to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// HMAC-SHA256 with the `hmac` and `sha2` crates.
#[derive(Debug, Clone, Copy, Default)]
pub struct HmacSha256;

impl HmacFunction for HmacSha256 {
    fn signature_method(&self) -> &str {
        HMAC_SHA256
    }

    fn sign(&self, key: &[u8], message: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length, so this cannot fail.
        match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
}

/// Nonces: a per-process random part (std's randomly seeded hasher) and a counter, so
/// no two are alike.
#[derive(Debug, Default)]
pub struct Nonces {
    counter: AtomicU64,
}

impl NonceSource for Nonces {
    fn nonce(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(n);
        format!("{:016x}{n:08x}", hasher.finish())
    }
}

/// ES256 client assertions with the `p256` crate: the certificate's private key.
pub struct Es256Signer {
    key: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for Es256Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Es256Signer(***)")
    }
}

impl Es256Signer {
    /// The signer of `key`.
    pub fn new(key: p256::ecdsa::SigningKey) -> Self {
        Es256Signer { key }
    }

    /// The signer of a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, AuthError> {
        use p256::pkcs8::DecodePrivateKey;
        p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
            .map(Es256Signer::new)
            .map_err(|e| AuthError::Signing {
                reason: format!("the private key does not load: {e}"),
            })
    }

    /// The public key NetSuite checks with.
    pub fn verifying_key(&self) -> p256::ecdsa::VerifyingKey {
        *self.key.verifying_key()
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> JwtAlgorithm {
        JwtAlgorithm::Es256
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, AuthError> {
        use p256::ecdsa::signature::Signer;
        let signature: p256::ecdsa::Signature = self.key.sign(signing_input);
        // JWS wants `r || s`, which is what `to_bytes` gives (not DER).
        Ok(signature.to_bytes().to_vec())
    }
}
