//! Going live: the library's credentialed transport on `reqwest` and `tokio`, with the
//! crypto plugged in, the secrets from the environment.
//!
//! ```sh
//! # A full sync cycle against local services on 127.0.0.1 that check every credential
//! # for real (the token exchanges, the Restricted Data Token on Direct Fulfillment
//! # order reads only, NetSuite's signature recomputed independently):
//! cargo run --example production_transport -- --local
//!
//! # Against the real services, read only: lists a day of orders of both programs and
//! # asks NetSuite what changed, proving each credential. See docs/setup.md.
//! SP_API_REGION=na LWA_CLIENT_ID=... LWA_CLIENT_SECRET=... LWA_REFRESH_TOKEN=... \
//! NETSUITE_ACCOUNT=1234567_SB1 \
//! NETSUITE_CONSUMER_KEY=... NETSUITE_CONSUMER_SECRET=... \
//! NETSUITE_TOKEN_ID=... NETSUITE_TOKEN_SECRET=... \
//! cargo run --example production_transport
//! ```
//!
//! For NetSuite OAuth 2.0 instead of token-based authentication, set
//! `NETSUITE_CLIENT_ID`, `NETSUITE_CERTIFICATE_ID` and `NETSUITE_PRIVATE_KEY_PEM` (the
//! EC P-256 key of the certificate uploaded to the integration record, PKCS#8 PEM) in
//! place of the four TBA variables. `SP_API_SANDBOX=1` uses the region's sandbox.
//!
//! What the integrator writes is `production_transport/wiring.rs`: a raw HTTP client
//! and two crypto functions. The tokens, their caches and renewals, the Restricted Data
//! Tokens and the signatures are the library's (`avc_order_sync::auth`).

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::auth::lwa::LwaCredentials;
use avc_order_sync::auth::netsuite_oauth2::OAuth2Credentials;
use avc_order_sync::auth::tba::{NetSuiteAccount, TbaCredentials};
use avc_order_sync::auth::{CredentialedTransport, NetSuiteAuth, Secret, SpApiAuth, SpApiRegion};
use avc_order_sync::http::{
    DirectFulfillmentVersion, NetSuiteRestClient, SpApiDirectFulfillmentClient, SpApiRetailClient,
};
use avc_order_sync::{
    Clock, DirectFulfillmentOrdersApi, Engine, MemoryStore, NetSuiteApi, NetSuiteStatus,
    OrderQuery, RetailOrdersApi, WindowKind,
};

/// The raw HTTP client and the crypto: what an integrator writes.
#[path = "production_transport/wiring.rs"]
mod wiring;

/// The local credential checks in front of the served simulators, for `--local`.
#[allow(dead_code)]
#[path = "production_transport/credential_check.rs"]
mod credential_check;

/// The `--local` world.
#[allow(dead_code)]
#[path = "production_transport/local_world.rs"]
mod local_world;

/// The served simulators (the `http_transport` example's).
#[allow(dead_code)]
#[path = "http_transport/local.rs"]
mod local;

#[allow(dead_code)]
#[path = "http_transport/sp_api_model.rs"]
mod sp_api_model;

#[allow(dead_code)]
#[path = "http_transport/transport.rs"]
mod transport;

use wiring::{Es256Signer, HmacSha256, Nonces, ReqwestTransport};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    if std::env::args().any(|a| a == "--local") {
        return run_local().await;
    }
    run_live().await
}

/// A full cycle, and the next ones until every order is in NetSuite, against the local
/// services; tokens live 15 minutes and the cycles are 5 minutes apart, so each is
/// renewed on the way.
async fn run_local() -> Result<(), Box<dyn Error>> {
    let world = local_world::spawn_local_world(Duration::from_secs(15 * 60));
    println!(
        "local services with credential checks at {}",
        world.gate.base_url()
    );
    let amazon = Arc::new(world.sp_api_transport(local_world::REFRESH_TOKEN));
    let netsuite = world.netsuite_transport(local_world::NetSuiteScheme::Tba);
    let clients = world.clients(
        amazon.clone(),
        netsuite,
        DirectFulfillmentVersion::V2021_12_28,
    );
    let clock = world.services.clock.clone();
    let engine = Engine::new(
        local_world::settings(),
        clients,
        Arc::new(MemoryStore::new()),
        Arc::new(clock.clone()),
    )
    .with_config(avc_order_sync::EngineConfig {
        // The local orders are a few days old.
        first_lookback: Duration::from_secs(4 * 24 * 3600),
        ..Default::default()
    });
    for cycle in 1..=12 {
        let report = engine.run_cycle().await?;
        println!("cycle {cycle} at {}: {report}", clock.now());
        let created: Vec<_> = world
            .services
            .netsuite
            .external_ids()
            .iter()
            .filter_map(|id| world.services.netsuite.snapshot(id))
            .filter(|o| o.status == NetSuiteStatus::PendingFulfillment)
            .collect();
        if created.len() == 3 {
            break;
        }
        clock.advance(Duration::from_secs(5 * 60));
    }
    let counts = world.gate.counts();
    println!("credential checks: {counts:?}");
    let refusals = world.gate.refusals();
    if !refusals.is_empty() {
        return Err(format!("credentials refused: {refusals:?}").into());
    }
    if world.services.netsuite.record_count() != 3 {
        return Err("not every order reached NetSuite".into());
    }
    if counts.access_tokens < 2 || counts.restricted_data_tokens == 0 || counts.netsuite_signed == 0
    {
        return Err(format!("the credentials were not all exercised: {counts:?}").into());
    }
    println!(
        "every order in NetSuite; {} access tokens, {} restricted data tokens, {} signed NetSuite requests",
        counts.access_tokens, counts.restricted_data_tokens, counts.netsuite_signed
    );
    Ok(())
}

fn env(name: &str) -> Result<String, Box<dyn Error>> {
    std::env::var(name).map_err(|_| format!("{name} is not set (see docs/setup.md)").into())
}

/// Read-only calls against the real services, proving each credential.
async fn run_live() -> Result<(), Box<dyn Error>> {
    let region = match env("SP_API_REGION")?.to_ascii_lowercase().as_str() {
        "na" => SpApiRegion::NorthAmerica,
        "eu" => SpApiRegion::Europe,
        "fe" => SpApiRegion::FarEast,
        other => return Err(format!("SP_API_REGION must be na, eu or fe, not {other}").into()),
    };
    let mut amazon_auth = SpApiAuth::new(
        region,
        LwaCredentials {
            client_id: env("LWA_CLIENT_ID")?,
            client_secret: Secret::new(env("LWA_CLIENT_SECRET")?),
            refresh_token: Secret::new(env("LWA_REFRESH_TOKEN")?),
        },
    );
    if std::env::var("SP_API_SANDBOX").is_ok_and(|v| v == "1") {
        amazon_auth = amazon_auth.sandbox(region);
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let amazon = Arc::new(CredentialedTransport::sp_api(
        ReqwestTransport::new()?,
        amazon_auth,
        clock.clone(),
    ));
    let account = NetSuiteAccount::parse(&env("NETSUITE_ACCOUNT")?)?;
    let netsuite_auth = if std::env::var("NETSUITE_CLIENT_ID").is_ok() {
        NetSuiteAuth::oauth2(
            OAuth2Credentials {
                account,
                client_id: Secret::new(env("NETSUITE_CLIENT_ID")?),
                certificate_id: env("NETSUITE_CERTIFICATE_ID")?,
                scopes: Vec::new(),
            },
            Arc::new(Es256Signer::from_pem(&env("NETSUITE_PRIVATE_KEY_PEM")?)?),
        )
    } else {
        NetSuiteAuth::tba(
            TbaCredentials {
                account,
                consumer_key: Secret::new(env("NETSUITE_CONSUMER_KEY")?),
                consumer_secret: Secret::new(env("NETSUITE_CONSUMER_SECRET")?),
                token_id: Secret::new(env("NETSUITE_TOKEN_ID")?),
                token_secret: Secret::new(env("NETSUITE_TOKEN_SECRET")?),
            },
            Arc::new(HmacSha256),
            Arc::new(Nonces::default()),
        )
    };
    let netsuite =
        CredentialedTransport::netsuite(ReqwestTransport::new()?, netsuite_auth, clock.clone());

    let now = clock.now();
    let query = OrderQuery {
        kind: WindowKind::Created,
        after: now - chrono::TimeDelta::days(1),
        before: now,
        limit: 10,
        next_token: None,
    };
    let retail = SpApiRetailClient::new(amazon.clone());
    let page = retail.purchase_orders(&query).await?;
    println!(
        "retail: {} orders created in the last day (first page)",
        page.orders.len()
    );
    // A Restricted Data Token for this path is asked of the Tokens API on the way.
    let direct =
        SpApiDirectFulfillmentClient::new(amazon.clone(), DirectFulfillmentVersion::V2021_12_28);
    let page = direct.orders(&query).await?;
    println!(
        "direct fulfillment: {} orders created in the last day (first page)",
        page.orders.len()
    );
    let netsuite = NetSuiteRestClient::new(netsuite);
    let changed = netsuite
        .changed_sales_orders(now - chrono::TimeDelta::hours(1))
        .await?;
    println!(
        "netsuite: {} sales orders changed in the last hour",
        changed.len()
    );
    Ok(())
}

/// The system clock.
struct SystemClock;

#[async_trait::async_trait]
impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from(std::time::SystemTime::now())
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
