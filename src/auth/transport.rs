//! The credentialed transport: the crate's [`HttpTransport`] over an integrator's raw
//! HTTP client, adding the host and the credentials.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::lwa::{self, LwaCredentials};
use super::netsuite_oauth2::{self, ClientAssertion, JwtSigner, OAuth2Credentials};
use super::rdt::{self, RestrictedResource};
use super::tba::{self, HmacFunction, NonceSource, TbaCredentials};
use super::{AuthError, AuthService, KeyedTokenCache, Secret, TokenBucket, TokenCache};
use crate::client::Clock;
use crate::http::{HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError};

/// A request as it goes on the wire: absolute URL (query included), every header, the
/// body. Its `Debug` shows the header names only and the body's length: the headers
/// hold credentials and the bodies consumers' addresses or secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// The method.
    pub method: HttpMethod,
    /// The absolute URL, the path and query already encoded
    /// (`https://sellingpartnerapi-na.amazon.com/vendor/orders/v1/purchaseOrders?limit=100`).
    pub url: String,
    /// Every header to send, the credential included.
    pub headers: Vec<(String, String)>,
    /// The body, empty for none.
    pub body: Vec<u8>,
}

impl fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl RawRequest {
    fn post(token: super::TokenRequest) -> Self {
        RawRequest {
            method: HttpMethod::Post,
            url: token.url,
            headers: token.headers,
            body: token.body,
        }
    }
}

/// The integrator's HTTP client, reduced to moving bytes: what
/// [`CredentialedTransport`] wraps.
///
/// # What an implementation MUST do
/// * Send the method, URL, headers and body exactly as given, over TLS for `https`.
/// * Return **every** HTTP answer as `Ok`, 4xx and 5xx included, with its status,
///   headers and full body; report a timeout as [`TransportError::Timeout`] and a
///   failed connection as [`TransportError::Connection`].
/// * Time out below the engine's
///   [`in_flight_grace`](crate::EngineConfig::in_flight_grace).
///
/// # What an implementation MUST NOT do
/// * Retry, follow redirects, or rewrite the body.
/// * Log the headers or bodies: they hold the credentials and consumers' addresses.
#[async_trait]
pub trait RawTransport: Send + Sync {
    /// Sends one request and returns the answer, whatever its status.
    ///
    /// # Errors
    /// A [`TransportError`] when no answer was received.
    async fn send(&self, request: RawRequest) -> Result<HttpResponse, TransportError>;
}

#[async_trait]
impl<T: RawTransport + ?Sized> RawTransport for Arc<T> {
    async fn send(&self, request: RawRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

/// An SP-API region and its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpApiRegion {
    /// North America (and Brazil): `sellingpartnerapi-na.amazon.com`.
    NorthAmerica,
    /// Europe, the Middle East, India: `sellingpartnerapi-eu.amazon.com`.
    Europe,
    /// The Far East (Japan, Australia, Singapore): `sellingpartnerapi-fe.amazon.com`.
    FarEast,
}

impl SpApiRegion {
    /// The production host.
    pub const fn host(&self) -> &'static str {
        match self {
            SpApiRegion::NorthAmerica => "sellingpartnerapi-na.amazon.com",
            SpApiRegion::Europe => "sellingpartnerapi-eu.amazon.com",
            SpApiRegion::FarEast => "sellingpartnerapi-fe.amazon.com",
        }
    }

    /// The sandbox host (`sandbox.` in front).
    pub const fn sandbox_host(&self) -> &'static str {
        match self {
            SpApiRegion::NorthAmerica => "sandbox.sellingpartnerapi-na.amazon.com",
            SpApiRegion::Europe => "sandbox.sellingpartnerapi-eu.amazon.com",
            SpApiRegion::FarEast => "sandbox.sellingpartnerapi-fe.amazon.com",
        }
    }
}

/// How the transport authenticates to the SP-API: the Login with Amazon credentials,
/// the region's host, and where the tokens come from.
#[derive(Debug, Clone)]
pub struct SpApiAuth {
    credentials: LwaCredentials,
    endpoint: String,
    token_url: String,
    margin: Duration,
}

impl SpApiAuth {
    /// Production SP-API in `region`, with `credentials`.
    pub fn new(region: SpApiRegion, credentials: LwaCredentials) -> Self {
        SpApiAuth {
            credentials,
            endpoint: format!("https://{}", region.host()),
            token_url: lwa::TOKEN_URL.to_owned(),
            margin: super::cache::DEFAULT_MARGIN,
        }
    }

    /// The region's sandbox instead.
    pub fn sandbox(mut self, region: SpApiRegion) -> Self {
        self.endpoint = format!("https://{}", region.sandbox_host());
        self
    }

    /// Another SP-API endpoint (scheme, host and port): a local one in tests.
    pub fn with_endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = endpoint.trim_end_matches('/').to_owned();
        self
    }

    /// Another Login with Amazon token endpoint: a local one in tests.
    pub fn with_token_url(mut self, url: &str) -> Self {
        self.token_url = url.to_owned();
        self
    }

    /// Renews tokens `margin` before they expire (default 5 minutes).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The SP-API endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

#[derive(Clone)]
enum NetSuiteScheme {
    Tba {
        credentials: TbaCredentials,
        hmac: Arc<dyn HmacFunction>,
        nonces: Arc<dyn NonceSource>,
    },
    OAuth2 {
        credentials: OAuth2Credentials,
        signer: Arc<dyn JwtSigner>,
    },
}

/// How the transport authenticates to NetSuite: token-based authentication (OAuth
/// 1.0a) or OAuth 2.0 client credentials, and the account's host.
#[derive(Clone)]
pub struct NetSuiteAuth {
    scheme: NetSuiteScheme,
    base_url: String,
    token_url: String,
    margin: Duration,
    assertion_lifetime: Duration,
}

impl fmt::Debug for NetSuiteAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match &self.scheme {
            NetSuiteScheme::Tba { credentials, .. } => format!("tba ({})", credentials.account),
            NetSuiteScheme::OAuth2 { credentials, .. } => {
                format!("oauth 2.0 ({})", credentials.account)
            }
        };
        f.debug_struct("NetSuiteAuth")
            .field("scheme", &scheme)
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl NetSuiteAuth {
    /// Token-based authentication: every request signed with `hmac` (HMAC-SHA256), a
    /// fresh nonce from `nonces` and the clock's time.
    pub fn tba(
        credentials: TbaCredentials,
        hmac: Arc<dyn HmacFunction>,
        nonces: Arc<dyn NonceSource>,
    ) -> Self {
        let (base_url, token_url) = (
            credentials.account.base_url(),
            credentials.account.token_url(),
        );
        NetSuiteAuth {
            scheme: NetSuiteScheme::Tba {
                credentials,
                hmac,
                nonces,
            },
            base_url,
            token_url,
            margin: super::cache::DEFAULT_MARGIN,
            assertion_lifetime: Duration::from_secs(300),
        }
    }

    /// OAuth 2.0 client credentials: bearer tokens got with client assertions that
    /// `signer` signs (PS256 or ES256).
    pub fn oauth2(credentials: OAuth2Credentials, signer: Arc<dyn JwtSigner>) -> Self {
        let (base_url, token_url) = (
            credentials.account.base_url(),
            credentials.account.token_url(),
        );
        NetSuiteAuth {
            scheme: NetSuiteScheme::OAuth2 {
                credentials,
                signer,
            },
            base_url,
            token_url,
            margin: super::cache::DEFAULT_MARGIN,
            assertion_lifetime: Duration::from_secs(300),
        }
    }

    /// Another NetSuite base URL (a local one in tests); the token endpoint follows it.
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim_end_matches('/').to_owned();
        self.token_url = format!("{}/services/rest/auth/oauth2/v1/token", self.base_url);
        self
    }

    /// Renews bearer tokens `margin` before they expire (default 5 minutes).
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

enum Service {
    SpApi {
        auth: SpApiAuth,
        lwa: TokenCache,
        rdt: KeyedTokenCache<RestrictedResource>,
        tokens_api: TokenBucket,
    },
    NetSuite {
        auth: NetSuiteAuth,
        bearer: TokenCache,
    },
}

/// The crate's [`HttpTransport`] for one service, over the integrator's
/// [`RawTransport`]: it adds the host and the credential to every request the clients
/// build.
///
/// * **SP-API**: `x-amz-access-token` with the Login with Amazon access token, or, for
///   Direct Fulfillment `getOrders` and `getOrder` (either version), a Restricted Data
///   Token for exactly that method and path, from the Tokens API at no more than its
///   rate. Tokens are cached and renewed ahead of expiry, one refresh at a time.
/// * **NetSuite**: `Authorization: OAuth …` signed afresh for every attempt (TBA), or
///   `Authorization: Bearer …` (OAuth 2.0).
///
/// An answer of 401 (or, from Amazon, 403) to a request sent with a cached token drops
/// that token and sends the request once more with a new one: the token was revoked
/// or expired early, and the refused request was not processed. Credentials that
/// cannot be obtained (Login with Amazon's `invalid_grant`, a Tokens API refusal,
/// NetSuite's `invalid_client`) come back as [`TransportError::Credentials`], which the
/// clients report as unauthorized with the reason in the error's messages; a token
/// service that is down or slow comes back as a transient failure.
///
/// Nothing here prints a secret: `Debug` shows the service and host only.
pub struct CredentialedTransport<R> {
    raw: R,
    clock: Arc<dyn Clock>,
    service: Service,
}

impl<R> fmt::Debug for CredentialedTransport<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("CredentialedTransport");
        match &self.service {
            Service::SpApi { auth, lwa, rdt, .. } => s
                .field("service", &"sp-api")
                .field("endpoint", &auth.endpoint)
                .field("access_token", lwa)
                .field("restricted_data_tokens", rdt),
            Service::NetSuite { auth, bearer } => s
                .field("service", &"netsuite")
                .field("auth", auth)
                .field("bearer", bearer),
        };
        s.finish()
    }
}

impl<R: RawTransport> CredentialedTransport<R> {
    /// The SP-API transport: `raw` for the bytes, `auth` for the credentials, `clock`
    /// for the tokens' expiry and the Tokens API's pace.
    pub fn sp_api(raw: R, auth: SpApiAuth, clock: Arc<dyn Clock>) -> Self {
        let margin = auth.margin;
        CredentialedTransport {
            raw,
            clock,
            service: Service::SpApi {
                auth,
                lwa: TokenCache::new(margin),
                rdt: KeyedTokenCache::new(margin),
                tokens_api: TokenBucket::new(rdt::RATE_PER_SECOND, rdt::BURST),
            },
        }
    }

    /// The NetSuite transport.
    pub fn netsuite(raw: R, auth: NetSuiteAuth, clock: Arc<dyn Clock>) -> Self {
        let margin = auth.margin;
        CredentialedTransport {
            raw,
            clock,
            service: Service::NetSuite {
                auth,
                bearer: TokenCache::new(margin),
            },
        }
    }

    /// The raw transport.
    pub fn raw(&self) -> &R {
        &self.raw
    }

    /// How many Login with Amazon (or NetSuite OAuth 2.0) token refreshes were started.
    pub fn token_refreshes(&self) -> u64 {
        match &self.service {
            Service::SpApi { lwa, .. } => lwa.refreshes(),
            Service::NetSuite { bearer, .. } => bearer.refreshes(),
        }
    }

    async fn fetch(
        &self,
        service: AuthService,
        request: super::TokenRequest,
    ) -> Result<HttpResponse, AuthError> {
        self.raw
            .send(RawRequest::post(request))
            .await
            .map_err(|e| AuthError::Unreachable {
                service,
                reason: super::short(&e.to_string()),
            })
    }

    async fn lwa_token(&self, auth: &SpApiAuth, cache: &TokenCache) -> Result<Secret, AuthError> {
        cache
            .token(&*self.clock, || async {
                let request = lwa::token_request_to(&auth.token_url, &auth.credentials);
                let response = self.fetch(AuthService::LoginWithAmazon, request).await?;
                lwa::read_token_response(response.status, &response.body, self.clock.now())
            })
            .await
    }

    async fn restricted_token(
        &self,
        auth: &SpApiAuth,
        lwa: &TokenCache,
        rdt: &KeyedTokenCache<RestrictedResource>,
        bucket: &TokenBucket,
        resource: &RestrictedResource,
    ) -> Result<Secret, AuthError> {
        let cache = rdt.entry(resource, self.clock.now());
        cache
            .token(&*self.clock, || async {
                let mut last = None;
                for _ in 0..2 {
                    let access = self.lwa_token(auth, lwa).await?;
                    let wait = bucket.take(self.clock.now());
                    if !wait.is_zero() {
                        self.clock.sleep(wait).await;
                    }
                    let request =
                        rdt::token_request(&auth.endpoint, &access, std::slice::from_ref(resource));
                    let response = self.fetch(AuthService::TokensApi, request).await?;
                    if matches!(response.status, 401 | 403) && last.is_none() {
                        // The access token may have been revoked before its time.
                        lwa.invalidate(&access);
                        last = Some(response);
                        continue;
                    }
                    last = Some(response);
                    break;
                }
                let Some(response) = last else {
                    return Err(AuthError::Unreadable {
                        service: AuthService::TokensApi,
                        status: 0,
                        reason: "no answer".into(),
                    });
                };
                rdt::read_token_response(
                    response.status,
                    crate::http::retry_after_header(&response),
                    &response.body,
                    self.clock.now(),
                )
            })
            .await
    }

    async fn netsuite_bearer(
        &self,
        auth: &NetSuiteAuth,
        credentials: &OAuth2Credentials,
        signer: &dyn JwtSigner,
        cache: &TokenCache,
    ) -> Result<Secret, AuthError> {
        cache
            .token(&*self.clock, || async {
                let assertion = ClientAssertion::new(
                    credentials,
                    signer.algorithm(),
                    &auth.token_url,
                    self.clock.now(),
                    auth.assertion_lifetime,
                )
                .sign(signer)?;
                let request = netsuite_oauth2::token_request(&auth.token_url, &assertion);
                let response = self
                    .fetch(AuthService::NetSuiteTokenEndpoint, request)
                    .await?;
                netsuite_oauth2::read_token_response(
                    response.status,
                    &response.body,
                    self.clock.now(),
                )
            })
            .await
    }

    async fn send_sp_api(
        &self,
        request: HttpRequest,
        auth: &SpApiAuth,
        lwa: &TokenCache,
        rdt: &KeyedTokenCache<RestrictedResource>,
        bucket: &TokenBucket,
    ) -> Result<HttpResponse, TransportError> {
        let url = format!("{}{}", auth.endpoint, request.path_and_query());
        let restricted = RestrictedResource::of(&request);
        let mut retried = false;
        loop {
            let token = match &restricted {
                Some(resource) => {
                    self.restricted_token(auth, lwa, rdt, bucket, resource)
                        .await
                }
                None => self.lwa_token(auth, lwa).await,
            }
            .map_err(AuthError::into_transport_error)?;
            let mut headers = request.headers.clone();
            headers.push(("x-amz-access-token".into(), token.expose().to_owned()));
            let response = self
                .raw
                .send(RawRequest {
                    method: request.method,
                    url: url.clone(),
                    headers,
                    body: request.body.clone(),
                })
                .await?;
            if matches!(response.status, 401 | 403) && !retried {
                retried = true;
                match &restricted {
                    Some(resource) => rdt.entry(resource, self.clock.now()).invalidate(&token),
                    None => lwa.invalidate(&token),
                }
                continue;
            }
            return Ok(response);
        }
    }

    async fn send_netsuite(
        &self,
        request: HttpRequest,
        auth: &NetSuiteAuth,
        bearer: &TokenCache,
    ) -> Result<HttpResponse, TransportError> {
        let url_base = format!("{}{}", auth.base_url, request.path);
        let url = format!("{}{}", auth.base_url, request.path_and_query());
        let mut retried = false;
        loop {
            let (authorization, token) = match &auth.scheme {
                NetSuiteScheme::Tba {
                    credentials,
                    hmac,
                    nonces,
                } => (
                    tba::netsuite_authorization(
                        &**hmac,
                        credentials,
                        request.method.as_str(),
                        &url_base,
                        &request.query,
                        self.clock.now().timestamp(),
                        &nonces.nonce(),
                    ),
                    None,
                ),
                NetSuiteScheme::OAuth2 {
                    credentials,
                    signer,
                } => {
                    let token = self
                        .netsuite_bearer(auth, credentials, &**signer, bearer)
                        .await
                        .map_err(AuthError::into_transport_error)?;
                    (format!("Bearer {}", token.expose()), Some(token))
                }
            };
            let mut headers = request.headers.clone();
            headers.push(("Authorization".into(), authorization));
            let response = self
                .raw
                .send(RawRequest {
                    method: request.method,
                    url: url.clone(),
                    headers,
                    body: request.body.clone(),
                })
                .await?;
            // A 401 to a bearer token: dropped, renewed, sent once more. A signed
            // request's 401 is the signature's or the token's own; signing it again
            // the same way would not help.
            if let (401, Some(token), false) = (response.status, &token, retried) {
                retried = true;
                bearer.invalidate(token);
                continue;
            }
            return Ok(response);
        }
    }
}

#[async_trait]
impl<R: RawTransport> HttpTransport for CredentialedTransport<R> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        match &self.service {
            Service::SpApi {
                auth,
                lwa,
                rdt,
                tokens_api,
            } => Box::pin(self.send_sp_api(request, auth, lwa, rdt, tokens_api)).await,
            Service::NetSuite { auth, bearer } => {
                Box::pin(self.send_netsuite(request, auth, bearer)).await
            }
        }
    }
}

/// Used by tests: a token, for scripted answers.
#[cfg(test)]
fn token_json(token: &str, expires_in: u64) -> Vec<u8> {
    format!(r#"{{"access_token":"{token}","expires_in":{expires_in}}}"#).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ManualClock;
    use std::sync::Mutex;

    /// Answers from a script, recording what it was sent.
    struct Script {
        answers: Mutex<Vec<HttpResponse>>,
        sent: Mutex<Vec<RawRequest>>,
    }

    impl Script {
        fn new(mut answers: Vec<HttpResponse>) -> Self {
            answers.reverse();
            Script {
                answers: Mutex::new(answers),
                sent: Mutex::new(Vec::new()),
            }
        }
        fn sent(&self) -> Vec<RawRequest> {
            self.sent.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl RawTransport for Script {
        async fn send(&self, request: RawRequest) -> Result<HttpResponse, TransportError> {
            self.sent.lock().unwrap().push(request);
            self.answers
                .lock()
                .unwrap()
                .pop()
                .ok_or_else(|| TransportError::other("no answer scripted"))
        }
    }

    fn header<'a>(request: &'a RawRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn sp_api(script: Arc<Script>, clock: &ManualClock) -> CredentialedTransport<Arc<Script>> {
        let auth = SpApiAuth::new(
            SpApiRegion::Europe,
            LwaCredentials {
                client_id: "client".into(),
                client_secret: Secret::new("planted-client-secret"),
                refresh_token: Secret::new("planted-refresh-token"),
            },
        );
        CredentialedTransport::sp_api(script, auth, Arc::new(clock.clone()))
    }

    #[test]
    fn sp_api_requests_get_the_access_token_and_restricted_reads_an_rdt() {
        let clock = ManualClock::new("2026-11-27T08:00:00Z".parse().unwrap());
        let script = Arc::new(Script::new(vec![
            HttpResponse::new(200, token_json("Atza|one", 3600)),
            HttpResponse::new(200, b"{}".to_vec()),
            HttpResponse::new(
                200,
                br#"{"restrictedDataToken":"Atz.sprdt|one","expiresIn":3600}"#.to_vec(),
            ),
            HttpResponse::new(200, b"{}".to_vec()),
            HttpResponse::new(200, b"{}".to_vec()),
        ]));
        let transport = sp_api(script.clone(), &clock);
        crate::http::script::block_on(async {
            let status = HttpRequest::new(
                HttpMethod::Get,
                "/vendor/directFulfillment/transactions/v1/transactions/t-1",
            );
            transport.send(status).await.unwrap();
            let list = HttpRequest::new(
                HttpMethod::Get,
                "/vendor/directFulfillment/orders/v1/purchaseOrders",
            )
            .with_query("limit", "10");
            transport.send(list.clone()).await.unwrap();
            transport
                .send(list.with_query("nextToken", "x"))
                .await
                .unwrap();
        });
        let sent = script.sent();
        assert_eq!(sent.len(), 5);
        assert_eq!(sent[0].url, "https://api.amazon.com/auth/o2/token");
        assert_eq!(
            sent[1].url,
            "https://sellingpartnerapi-eu.amazon.com/vendor/directFulfillment/transactions/v1/transactions/t-1"
        );
        assert_eq!(header(&sent[1], "x-amz-access-token"), Some("Atza|one"));
        assert_eq!(
            sent[2].url,
            "https://sellingpartnerapi-eu.amazon.com/tokens/2021-03-01/restrictedDataToken"
        );
        assert_eq!(header(&sent[2], "x-amz-access-token"), Some("Atza|one"));
        assert_eq!(
            header(&sent[3], "x-amz-access-token"),
            Some("Atz.sprdt|one")
        );
        // The same resource, another query: the same token, no second Tokens API call.
        assert_eq!(
            header(&sent[4], "x-amz-access-token"),
            Some("Atz.sprdt|one")
        );
        let shown = format!("{transport:?} {sent:?}");
        for secret in ["planted", "Atza|one", "Atz.sprdt|one"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn a_stale_token_is_dropped_and_the_request_sent_once_more() {
        let clock = ManualClock::new("2026-11-27T08:00:00Z".parse().unwrap());
        let script = Arc::new(Script::new(vec![
            HttpResponse::new(200, token_json("Atza|old", 3600)),
            HttpResponse::new(403, br#"{"errors":[{"code":"Unauthorized","message":"The access token you provided is revoked, malformed or invalid."}]}"#.to_vec()),
            HttpResponse::new(200, token_json("Atza|new", 3600)),
            HttpResponse::new(200, b"{}".to_vec()),
            HttpResponse::new(403, b"{}".to_vec()),
            HttpResponse::new(200, token_json("Atza|newer", 3600)),
            HttpResponse::new(403, b"{}".to_vec()),
        ]));
        let transport = sp_api(script.clone(), &clock);
        let request = HttpRequest::new(HttpMethod::Get, "/vendor/orders/v1/purchaseOrders/X");
        let (first, second) = crate::http::script::block_on(async {
            (
                transport.send(request.clone()).await.unwrap(),
                transport.send(request).await.unwrap(),
            )
        });
        assert_eq!(first.status, 200);
        // Refused again with a new token: the answer goes to the client to classify.
        assert_eq!(second.status, 403);
        let sent = script.sent();
        assert_eq!(sent.len(), 7);
        assert_eq!(header(&sent[3], "x-amz-access-token"), Some("Atza|new"));
        assert_eq!(transport.token_refreshes(), 3);
    }

    #[test]
    fn a_refused_refresh_token_is_a_credentials_error_naming_the_reason() {
        let clock = ManualClock::new("2026-11-27T08:00:00Z".parse().unwrap());
        let script = Arc::new(Script::new(vec![HttpResponse::new(
            400,
            br#"{"error":"invalid_grant","error_description":"The request has an invalid grant parameter : refresh_token"}"#.to_vec(),
        )]));
        let transport = sp_api(script.clone(), &clock);
        let error = crate::http::script::block_on(transport.send(HttpRequest::new(
            HttpMethod::Get,
            "/vendor/orders/v1/purchaseOrders",
        )))
        .unwrap_err();
        assert!(matches!(error, TransportError::Credentials { .. }));
        let client = error.into_client_error("getPurchaseOrders");
        assert_eq!(client.kind, crate::ErrorKind::Unauthorized);
        assert!(client.to_string().contains("invalid_grant"), "{client}");
        assert!(!client.to_string().contains("planted"));
        // Only the token request went out.
        assert_eq!(script.sent().len(), 1);
    }

    #[test]
    fn the_tokens_api_is_paced_at_its_rate() {
        let clock = ManualClock::new("2026-11-27T08:00:00Z".parse().unwrap());
        let start = clock.now();
        let mut answers = vec![HttpResponse::new(200, token_json("Atza|one", 36000))];
        for n in 0..12 {
            answers.push(HttpResponse::new(
                200,
                format!(r#"{{"restrictedDataToken":"rdt{n}","expiresIn":3600}}"#).into_bytes(),
            ));
            answers.push(HttpResponse::new(200, b"{}".to_vec()));
        }
        let script = Arc::new(Script::new(answers));
        let transport = sp_api(script.clone(), &clock);
        crate::http::script::block_on(async {
            for n in 0..12 {
                let path = format!("/vendor/directFulfillment/orders/v1/purchaseOrders/PO{n}");
                transport
                    .send(HttpRequest::new(HttpMethod::Get, path))
                    .await
                    .unwrap();
            }
        });
        // Ten in the burst, then one a second: the clock slept two seconds.
        assert_eq!(clock.now() - start, chrono::TimeDelta::seconds(2));
        let sent = script.sent();
        let orders: Vec<&RawRequest> = sent
            .iter()
            .filter(|r| r.url.contains("/purchaseOrders/"))
            .collect();
        assert_eq!(orders.len(), 12);
        assert_eq!(header(orders[11], "x-amz-access-token"), Some("rdt11"));
    }

    struct Hmac;

    impl HmacFunction for Hmac {
        fn signature_method(&self) -> &str {
            tba::HMAC_SHA256
        }
        fn sign(&self, key: &[u8], message: &[u8]) -> Vec<u8> {
            use hmac::Mac;
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
    }

    struct Counter(std::sync::atomic::AtomicU32);

    impl NonceSource for Counter {
        fn nonce(&self) -> String {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            format!("nonce{n:04}")
        }
    }

    #[test]
    fn netsuite_requests_are_signed_afresh_on_the_accounts_host() {
        let clock = ManualClock::new("2026-11-27T08:00:00Z".parse().unwrap());
        let script = Arc::new(Script::new(vec![
            HttpResponse::new(401, Vec::new()),
            HttpResponse::new(200, Vec::new()),
        ]));
        let credentials = TbaCredentials {
            account: tba::NetSuiteAccount::parse("1234567_SB1").unwrap(),
            consumer_key: Secret::new("ck"),
            consumer_secret: Secret::new("planted-cs"),
            token_id: Secret::new("tk"),
            token_secret: Secret::new("planted-ts"),
        };
        let transport = CredentialedTransport::netsuite(
            script.clone(),
            NetSuiteAuth::tba(
                credentials.clone(),
                Arc::new(Hmac),
                Arc::new(Counter(Default::default())),
            ),
            Arc::new(clock.clone()),
        );
        let request = HttpRequest::new(HttpMethod::Post, "/services/rest/query/v1/suiteql")
            .with_query("limit", "1000");
        let first = crate::http::script::block_on(transport.send(request.clone())).unwrap();
        // A signed request's 401 is not retried.
        assert_eq!(first.status, 401);
        crate::http::script::block_on(transport.send(request)).unwrap();
        let sent = script.sent();
        assert_eq!(
            sent[0].url,
            "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=1000"
        );
        let expected = tba::netsuite_authorization(
            &Hmac,
            &credentials,
            "POST",
            "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql",
            &[("limit".into(), "1000".into())],
            clock.now().timestamp(),
            "nonce0000",
        );
        assert_eq!(header(&sent[0], "authorization"), Some(expected.as_str()));
        assert!(
            header(&sent[1], "authorization")
                .unwrap()
                .contains("oauth_nonce=\"nonce0001\"")
        );
        assert!(!format!("{transport:?}").contains("planted"));
    }
}
