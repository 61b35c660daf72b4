//! Restricted Data Tokens: what Direct Fulfillment `getOrders` and `getOrder` need in
//! `x-amz-access-token` in place of the access token, since their answers hold a
//! consumer's address.
//!
//! The token is asked of the Tokens API (`POST /tokens/2021-03-01/restrictedDataToken`,
//! on the region's SP-API host, with the Login with Amazon access token) for the
//! restricted resource: the request's method and path. Amazon scopes the token to
//! exactly that, so the cache is keyed by it ([`RestrictedResource`]): one token for
//! `getOrders` of one API version, whatever its query, and one for each order's
//! `getOrder`. Vendor Direct Fulfillment takes no `dataElements` (those are the seller
//! Orders API's). The application needs the role "Direct-to-Consumer Shipping
//! (Restricted)"; without it the Tokens API refuses. Its usage plan is 1 request a
//! second with a burst of 10 ([`RATE_PER_SECOND`], [`BURST`]).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{AccessToken, AuthError, AuthService, Secret, TokenRequest};
use crate::http::{HttpMethod, HttpRequest};

/// The Tokens API operation's path.
pub const PATH: &str = "/tokens/2021-03-01/restrictedDataToken";
/// The Tokens API's rate: requests a second.
pub const RATE_PER_SECOND: u32 = 1;
/// The Tokens API's burst.
pub const BURST: u32 = 10;

/// A restricted resource as the Tokens API names it: an HTTP method and a path. An
/// RDT is good for the resources it was asked for, and only those.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RestrictedResource {
    /// `GET` for every Direct Fulfillment order read.
    pub method: HttpMethod,
    /// The path without query (`/vendor/directFulfillment/orders/v1/purchaseOrders`,
    /// `/vendor/directFulfillment/orders/2021-12-28/purchaseOrders/2JK3S9VC`).
    pub path: String,
}

impl RestrictedResource {
    /// The resource `request` reads, when it is a restricted one
    /// ([`requires_restricted_data_token`](crate::http::sp_api::requires_restricted_data_token)).
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::auth::rdt::RestrictedResource;
    /// use avc_order_sync::http::{HttpMethod, HttpRequest};
    /// let list = HttpRequest::new(HttpMethod::Get, "/vendor/directFulfillment/orders/v1/purchaseOrders")
    ///     .with_query("createdAfter", "2026-11-27T00:00:00Z");
    /// let resource = RestrictedResource::of(&list).expect("restricted");
    /// assert_eq!(resource.path, "/vendor/directFulfillment/orders/v1/purchaseOrders");
    /// let status = HttpRequest::new(HttpMethod::Get, "/vendor/directFulfillment/transactions/v1/transactions/t-1");
    /// assert_eq!(RestrictedResource::of(&status), None);
    /// ```
    pub fn of(request: &HttpRequest) -> Option<Self> {
        crate::http::sp_api::requires_restricted_data_token(request).then(|| RestrictedResource {
            method: request.method,
            path: request.path.clone(),
        })
    }
}

/// The `createRestrictedDataToken` request for `resources`, to the SP-API host
/// `endpoint` (`https://sellingpartnerapi-na.amazon.com`), sent with the Login with
/// Amazon `access_token`.
///
/// # Example
/// ```
/// use avc_order_sync::auth::{rdt, Secret};
/// use avc_order_sync::http::HttpMethod;
/// let resource = rdt::RestrictedResource {
///     method: HttpMethod::Get,
///     path: "/vendor/directFulfillment/orders/v1/purchaseOrders".into(),
/// };
/// let request = rdt::token_request("https://sellingpartnerapi-na.amazon.com", &Secret::new("Atza|x"), &[resource]);
/// assert_eq!(request.url, "https://sellingpartnerapi-na.amazon.com/tokens/2021-03-01/restrictedDataToken");
/// assert_eq!(
///     String::from_utf8(request.body)?,
///     r#"{"restrictedResources":[{"method":"GET","path":"/vendor/directFulfillment/orders/v1/purchaseOrders"}]}"#,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn token_request(
    endpoint: &str,
    access_token: &Secret,
    resources: &[RestrictedResource],
) -> TokenRequest {
    let resources: Vec<serde_json::Value> = resources
        .iter()
        .map(|r| serde_json::json!({"method": r.method.as_str(), "path": r.path}))
        .collect();
    let body = serde_json::json!({ "restrictedResources": resources });
    TokenRequest {
        url: format!("{}{PATH}", endpoint.trim_end_matches('/')),
        headers: vec![
            ("content-type".into(), crate::http::JSON.into()),
            ("accept".into(), crate::http::JSON.into()),
            (
                "x-amz-access-token".into(),
                access_token.expose().to_owned(),
            ),
        ],
        body: body.to_string().into_bytes(),
    }
}

/// Reads the Tokens API's answer, received at `now`.
///
/// # Errors
/// [`AuthError::Refused`] for 400, 401 and 403 (the application lacks the restricted
/// role, or a path that is not restricted); [`AuthError::Unavailable`] for 429 and
/// 5xx, with `Retry-After` when sent; [`AuthError::Unreadable`] for a body without the
/// token.
pub fn read_token_response(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<AccessToken, AuthError> {
    let service = AuthService::TokensApi;
    if status == 429 || (500..=599).contains(&status) {
        return Err(AuthError::Unavailable {
            service,
            status,
            retry_after,
        });
    }
    if !(200..300).contains(&status) {
        let first = crate::amazon::error::ErrorBody::parse(body)
            .ok()
            .and_then(|b| b.errors().first().cloned());
        return Err(AuthError::Refused {
            service,
            code: first
                .as_ref()
                .and_then(|e| e.code.clone())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| status.to_string()),
            description: first.and_then(|e| e.message).map(|m| super::short(&m)),
        });
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        restricted_data_token: String,
        expires_in: u64,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| AuthError::Unreadable {
        service,
        status,
        reason: super::short(&e.to_string()),
    })?;
    Ok(AccessToken {
        value: Secret::new(answer.restricted_data_token),
        expires_at: crate::time::later(now, Duration::from_secs(answer.expires_in)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::DirectFulfillmentVersion;
    use crate::http::sp_api::direct_fulfillment;

    #[test]
    fn both_versions_order_reads_are_restricted_each_by_its_path() {
        let po = "2JK3S9VC".parse().unwrap();
        for version in [
            DirectFulfillmentVersion::V1,
            DirectFulfillmentVersion::V2021_12_28,
        ] {
            let get = direct_fulfillment::order_request(version, &po);
            let resource = RestrictedResource::of(&get).unwrap();
            assert_eq!(resource.method, HttpMethod::Get);
            assert!(
                resource.path.ends_with("/purchaseOrders/2JK3S9VC"),
                "{}",
                resource.path
            );
            let status =
                direct_fulfillment::transaction_status_request(version, &"t-1".parse().unwrap());
            assert_eq!(RestrictedResource::of(&status), None);
        }
        let v1 = RestrictedResource::of(&HttpRequest::new(
            HttpMethod::Get,
            "/vendor/directFulfillment/orders/v1/purchaseOrders",
        ))
        .unwrap();
        let v2 = RestrictedResource::of(&HttpRequest::new(
            HttpMethod::Get,
            "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders",
        ))
        .unwrap();
        assert_ne!(v1, v2);
    }

    #[test]
    fn answers_are_read_and_refusals_classified() {
        let now: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
        let token = read_token_response(
            200,
            None,
            br#"{"restrictedDataToken":"Atz.sprdt|AYAB","expiresIn":3600}"#,
            now,
        )
        .unwrap();
        assert_eq!(token.value.expose(), "Atz.sprdt|AYAB");
        assert_eq!(
            token.expires_at,
            "2026-11-27T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let refused = read_token_response(
            403,
            None,
            br#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied."}]}"#,
            now,
        )
        .unwrap_err();
        assert!(refused.is_refused());
        assert!(
            refused
                .to_string()
                .contains("`Unauthorized`: Access to requested resource is denied.")
        );
        let busy = read_token_response(429, Some(Duration::from_secs(2)), b"", now).unwrap_err();
        assert_eq!(
            busy,
            AuthError::Unavailable {
                service: AuthService::TokensApi,
                status: 429,
                retry_after: Some(Duration::from_secs(2))
            }
        );
    }
}
