//! A small blocking `HttpTransport` on `ureq`: it adds the host and fixed credentials to
//! the requests the library builds and moves the bytes; the library classifies every
//! answer. For tokens that must be got and renewed, see the `production_transport`
//! example and `avc_order_sync::auth`.

use std::time::Duration;

use async_trait::async_trait;
use avc_order_sync::http::sp_api::requires_restricted_data_token;
use avc_order_sync::http::{HttpRequest, HttpResponse, HttpTransport, TransportError};

/// What the transport adds to each request.
#[derive(Clone)]
pub enum Credentials {
    /// Amazon's SP-API.
    SpApi {
        /// The Login with Amazon access token, as it is (for the sandbox or a local
        /// server). In production, `avc_order_sync::auth::CredentialedTransport`
        /// gets it from the refresh token and renews it (`production_transport`).
        access_token: String,
        /// A Restricted Data Token for Direct Fulfillment `getOrders` and `getOrder`,
        /// whose answers hold a consumer's address. In production the credentialed
        /// transport asks the Tokens API for one per method and path.
        restricted_data_token: Option<String>,
    },
    /// NetSuite with an OAuth 2.0 bearer token, as it is. In production the
    /// credentialed transport gets and renews it with a signed client assertion, or
    /// signs each request with token-based authentication (`auth::tba`).
    NetSuiteBearer(String),
}

/// An integrator's transport: `ureq` for the bytes, the credentials above, the host of
/// one service.
#[derive(Clone)]
pub struct IntegratorTransport {
    http: ureq::Agent,
    /// `https://sellingpartnerapi-na.amazon.com` (or `-eu`, `-fe`, with `sandbox.` in
    /// front for the sandbox), or `https://1234567-sb1.suitetalk.api.netsuite.com`.
    endpoint: String,
    credentials: Credentials,
}

impl IntegratorTransport {
    /// A transport to `endpoint` (scheme and host, and the port if not the scheme's)
    /// adding `credentials`.
    pub fn new(endpoint: &str, credentials: Credentials) -> Self {
        let http: ureq::Agent = ureq::Agent::config_builder()
            // Every answer goes back to the library to classify, 4xx and 5xx included.
            .http_status_as_error(false)
            // NetSuite's 204 carries the new record's `Location`: never follow it.
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        IntegratorTransport {
            http,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            credentials,
        }
    }

    fn send_blocking(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        // The path comes encoded; `path_and_query` encodes the query pairs.
        let url = format!("{}{}", self.endpoint, request.path_and_query());
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(url)
            .header("user-agent", "avc-order-sync-example/0.1 (Language=Rust)");
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        // The tokens go here, and only here.
        builder = match &self.credentials {
            Credentials::SpApi {
                access_token,
                restricted_data_token,
            } => {
                let token = if requires_restricted_data_token(&request) {
                    restricted_data_token.as_ref().ok_or_else(|| {
                        TransportError::credentials("no restricted data token for this request")
                    })?
                } else {
                    access_token
                };
                builder.header("x-amz-access-token", token)
            }
            Credentials::NetSuiteBearer(token) => {
                builder.header("Authorization", format!("Bearer {token}"))
            }
        };
        let result = if request.body.is_empty() {
            self.http
                .run(builder.body(()).map_err(TransportError::other)?)
        } else {
            self.http
                .run(builder.body(request.body).map_err(TransportError::other)?)
        };
        let mut response = result.map_err(|e| match e {
            ureq::Error::Timeout(_) => TransportError::timeout(e),
            ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                TransportError::connection(e)
            }
            other => TransportError::other(other),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(TransportError::other)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

#[async_trait]
impl HttpTransport for IntegratorTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        // `ureq` blocks: run it where blocking is allowed. It never retries on its own;
        // the sync engine decides retries from the classified error.
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.send_blocking(request))
            .await
            .map_err(TransportError::other)?
    }
}
