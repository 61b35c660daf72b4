//! The `--local` world: the served simulators behind the credential checks, and the
//! production wiring pointed at them, secrets and all (made-up ones).

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::auth::lwa::LwaCredentials;
use avc_order_sync::auth::netsuite_oauth2::OAuth2Credentials;
use avc_order_sync::auth::tba::{NetSuiteAccount, TbaCredentials};
use avc_order_sync::auth::{CredentialedTransport, NetSuiteAuth, Secret, SpApiAuth, SpApiRegion};
use avc_order_sync::http::{
    DirectFulfillmentVersion, NetSuiteRestClient, SpApiDirectFulfillmentClient, SpApiRetailClient,
};
use avc_order_sync::settings::{ItemTarget, Settings};
use avc_order_sync::{Asin, Clients, InternalId, VendorSku};

use super::credential_check::{CredentialCheck, GateConfig, serve_credential_check};
use super::local::{EXTERNAL_ID_PREFIX, LocalServices, netsuite_user_offset, spawn_local_services};
use super::wiring::{Es256Signer, HmacSha256, Nonces, ReqwestTransport};

/// The local application's LWA client id.
pub const LWA_CLIENT_ID: &str = "amzn1.application-oa2-client.local";
/// Its client secret.
pub const LWA_CLIENT_SECRET: &str = "amzn1.oa2-cs.v1.local-client-secret";
/// The local vendor's refresh token.
pub const REFRESH_TOKEN: &str = "Atzr|local-refresh-token";
/// The local NetSuite account, a sandbox: the realm is `1234567_SB1`.
pub const ACCOUNT: &str = "1234567_SB1";
/// TBA consumer key and secret, token id and secret.
pub const TBA: [&str; 4] = [
    "local-consumer-key",
    "local-consumer-secret",
    "local-token-id",
    "local-token-secret",
];
/// The OAuth 2.0 client id.
pub const OAUTH2_CLIENT_ID: &str = "local-oauth2-client-id";
/// The certificate id NetSuite would show.
pub const CERTIFICATE_ID: &str = "local-certificate-id";
/// Tokens are renewed this long before they expire.
pub const MARGIN: Duration = Duration::from_secs(60);

/// The NetSuite schemes the world can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetSuiteScheme {
    /// Token-based authentication (OAuth 1.0a, HMAC-SHA256).
    Tba,
    /// OAuth 2.0 client credentials (ES256 client assertion).
    OAuth2,
}

/// The certificate's private key (a fixed one: this is a local world).
pub fn signing_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).expect("a valid P-256 scalar")
}

/// The simulators and the checks in front of them.
pub struct LocalWorld {
    /// The served simulators (their clock, Vendor Central, NetSuite).
    pub services: LocalServices,
    /// The credential checks: every request goes here.
    pub gate: CredentialCheck,
}

/// Serves the world; tokens issued live `token_lifetime` on the simulators' clock.
pub fn spawn_local_world(token_lifetime: Duration) -> LocalWorld {
    let services = spawn_local_services();
    let config = GateConfig {
        lwa_client_id: LWA_CLIENT_ID.into(),
        lwa_client_secret: LWA_CLIENT_SECRET.into(),
        refresh_token: REFRESH_TOKEN.into(),
        token_lifetime,
        realm: "1234567_SB1".into(),
        tba: TBA.map(str::to_owned),
        oauth2_client_id: OAUTH2_CLIENT_ID.into(),
        certificate_id: CERTIFICATE_ID.into(),
        verifying_key: Es256Signer::new(signing_key()).verifying_key(),
    };
    let gate = serve_credential_check(services.base_url(), services.clock.clone(), config);
    LocalWorld { services, gate }
}

impl LocalWorld {
    /// The SP-API transport with `refresh_token`, pointed at the checks.
    pub fn sp_api_transport(&self, refresh_token: &str) -> CredentialedTransport<ReqwestTransport> {
        let auth = SpApiAuth::new(
            SpApiRegion::NorthAmerica,
            LwaCredentials {
                client_id: LWA_CLIENT_ID.into(),
                client_secret: Secret::new(LWA_CLIENT_SECRET),
                refresh_token: Secret::new(refresh_token),
            },
        )
        .with_endpoint(self.gate.base_url())
        .with_token_url(&self.gate.lwa_token_url())
        .with_margin(MARGIN);
        CredentialedTransport::sp_api(
            ReqwestTransport::new().expect("an http client"),
            auth,
            Arc::new(self.services.clock.clone()),
        )
    }

    /// The NetSuite transport signing with `scheme`, pointed at the checks.
    pub fn netsuite_transport(
        &self,
        scheme: NetSuiteScheme,
    ) -> CredentialedTransport<ReqwestTransport> {
        let account = NetSuiteAccount::parse(ACCOUNT).expect("a valid account id");
        let auth = match scheme {
            NetSuiteScheme::Tba => NetSuiteAuth::tba(
                TbaCredentials {
                    account,
                    consumer_key: Secret::new(TBA[0]),
                    consumer_secret: Secret::new(TBA[1]),
                    token_id: Secret::new(TBA[2]),
                    token_secret: Secret::new(TBA[3]),
                },
                Arc::new(HmacSha256),
                Arc::new(Nonces::default()),
            ),
            NetSuiteScheme::OAuth2 => NetSuiteAuth::oauth2(
                OAuth2Credentials {
                    account,
                    client_id: Secret::new(OAUTH2_CLIENT_ID),
                    certificate_id: CERTIFICATE_ID.into(),
                    scopes: Vec::new(),
                },
                Arc::new(Es256Signer::new(signing_key())),
            ),
        }
        .with_base_url(self.gate.base_url())
        .with_margin(MARGIN);
        CredentialedTransport::netsuite(
            ReqwestTransport::new().expect("an http client"),
            auth,
            Arc::new(self.services.clock.clone()),
        )
    }

    /// The three clients over the credentialed transports: one SP-API transport (and
    /// so one token cache) for both Amazon programs.
    pub fn clients(
        &self,
        amazon: Arc<CredentialedTransport<ReqwestTransport>>,
        netsuite: CredentialedTransport<ReqwestTransport>,
        version: DirectFulfillmentVersion,
    ) -> Clients {
        Clients {
            retail: Arc::new(SpApiRetailClient::new(amazon.clone())),
            direct_fulfillment: Arc::new(SpApiDirectFulfillmentClient::new(amazon, version)),
            netsuite: Arc::new(
                NetSuiteRestClient::new(netsuite)
                    .with_user_utc_offset(netsuite_user_offset())
                    .with_external_id_prefix(EXTERNAL_ID_PREFIX),
            ),
        }
    }
}

/// Settings for the local orders: both programs acknowledged automatically, their
/// customers, USD, the two items.
pub fn settings() -> Settings {
    let mut settings = Settings::default();
    settings.auto_acknowledge.retail_procurement = true;
    settings.auto_acknowledge.direct_fulfillment = true;
    settings.customers.retail_procurement.customer = InternalId::new("1234").ok();
    settings.customers.direct_fulfillment.customer = InternalId::new("1250").ok();
    if let (Ok(usd), Ok(id)) = ("USD".parse(), InternalId::new("1")) {
        settings.currencies.insert(usd, id);
    }
    let item = |id: &str| ItemTarget {
        item: InternalId::new(id).expect("valid"),
        weight_per_each: Default::default(),
    };
    settings
        .items
        .by_vendor_sku
        .insert(VendorSku::new("8806098286500").expect("valid"), item("98"));
    settings
        .items
        .by_asin
        .insert(Asin::new("B07DFYF5AB").expect("valid"), item("99"));
    settings
}
