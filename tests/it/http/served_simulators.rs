//! The engine's side of the simulators served over HTTP ([`serve_simulators`]): its
//! clients and its clock over the socket, for an engine in this process or in another
//! one (the kill test's children).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use avc_order_sync::http::{
    DirectFulfillmentVersion, HttpRequest, HttpResponse, HttpTransport, NetSuiteRestClient,
    SpApiDirectFulfillmentClient, SpApiRetailClient, TransportError,
};
use avc_order_sync::{Clients, Clock, OrderStore, StateKind};
use chrono::{DateTime, Utc};

use super::local::{
    CALLER_HEADER, EXTERNAL_ID_PREFIX, LWA_TOKEN, NETSUITE_TOKEN, RDT_TOKEN, netsuite_user_offset,
};
pub use super::local::{
    TripPoint, Tripwire, page_json, refusal_json, serve_simulators, transaction_json,
};
use super::transport::{Credentials, IntegratorTransport};

// ---------------------------------------------------------------------------------
// The client side: the engine's clients and clock over HTTP
// ---------------------------------------------------------------------------------

/// A transport that names its caller in [`CALLER_HEADER`] on every request.
#[derive(Clone)]
pub struct CallerTransport {
    inner: IntegratorTransport,
    caller: String,
}

#[async_trait]
impl HttpTransport for CallerTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.inner
            .send(request.with_header(CALLER_HEADER, self.caller.clone()))
            .await
    }
}

/// The engine's clients for the simulators served at `base_url`: the library's SP-API
/// and NetSuite REST clients over `ureq`, naming themselves `caller`.
pub fn http_clients(base_url: &str, caller: &str) -> Clients {
    let transport = |credentials| CallerTransport {
        inner: IntegratorTransport::new(base_url, credentials),
        caller: caller.to_owned(),
    };
    let amazon = || {
        transport(Credentials::SpApi {
            access_token: LWA_TOKEN.into(),
            restricted_data_token: Some(RDT_TOKEN.into()),
        })
    };
    Clients {
        retail: Arc::new(SpApiRetailClient::new(amazon())),
        direct_fulfillment: Arc::new(SpApiDirectFulfillmentClient::new(
            amazon(),
            DirectFulfillmentVersion::V2021_12_28,
        )),
        netsuite: Arc::new(
            NetSuiteRestClient::new(transport(Credentials::NetSuiteBearer(
                NETSUITE_TOKEN.into(),
            )))
            .with_user_utc_offset(netsuite_user_offset())
            .with_external_id_prefix(EXTERNAL_ID_PREFIX),
        ),
    }
}

/// A [`Clock`] that reads the served [`ManualClock`]: time stays the test's. Sleeping
/// advances it, as on the [`ManualClock`] itself.
///
/// [`Clock::now`] cannot fail, so an unreachable server panics: the process using this
/// clock has lost the test that owns its time.
pub struct HttpClock {
    http: ureq::Agent,
    base_url: String,
}

impl HttpClock {
    /// The clock of the simulators served at `base_url`.
    pub fn new(base_url: &str) -> Self {
        HttpClock {
            http: ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into(),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    fn read(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> DateTime<Utc> {
        let text = response
            .and_then(|mut r| r.body_mut().read_to_string())
            .unwrap_or_else(|e| {
                panic!("the served clock at {} is unreachable: {e}", self.base_url)
            });
        DateTime::parse_from_rfc3339(text.trim())
            .unwrap_or_else(|e| panic!("the served clock answered `{text}`: {e}"))
            .with_timezone(&Utc)
    }
}

#[async_trait]
impl Clock for HttpClock {
    fn now(&self) -> DateTime<Utc> {
        self.read(self.http.get(format!("{}/clock", self.base_url)).call())
    }

    async fn sleep(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.read(
            self.http
                .post(format!("{}/clock/sleep?nanos={nanos}", self.base_url))
                .send_empty(),
        );
    }
}

/// The state each order in `store` is in, as the engine recorded it.
pub async fn state_kinds(store: &dyn OrderStore) -> Vec<StateKind> {
    let mut kinds = Vec::new();
    for key in store.keys().await.expect("the store answers") {
        let stored = store.load(&key).await.expect("the store answers");
        kinds.extend(stored.map(|s| s.record.state().kind()));
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use avc_order_sync::amazon::{direct_fulfillment as df, retail};
    use avc_order_sync::testing::{
        ManualClock, NetSuite, VendorCentral, catalogue_settings, orders,
    };
    use avc_order_sync::{Engine, MemoryStore, Program, PurchaseOrderNumber};

    /// The engine in this process, through the real HTTP clients, against the served
    /// simulators: a retail PO reviewed and acknowledged, a Direct Fulfillment order
    /// acknowledged at once, each exactly once.
    #[tokio::test]
    async fn served_simulators_carry_the_main_job_over_http() {
        let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        netsuite.set_item_catalogue(orders::netsuite_items());
        let (rp, dfn) = (
            orders::purchase_order_number(1),
            orders::purchase_order_number(2),
        );
        amazon
            .add_retail_order(orders::retail_order(
                &rp,
                start - chrono::TimeDelta::hours(1),
                3,
            ))
            .unwrap();
        amazon
            .add_df_order(orders::df_order(
                &dfn,
                start - chrono::TimeDelta::hours(1),
                2,
            ))
            .unwrap();
        let served = serve_simulators(clock.clone(), amazon.clone(), netsuite.clone());
        assert!(served.base_url().starts_with("http://127.0.0.1:"));

        let http_clock = HttpClock::new(served.base_url());
        assert_eq!(http_clock.now(), start);
        let store = Arc::new(MemoryStore::new());
        let engine = Engine::new(
            catalogue_settings(false, true),
            http_clients(served.base_url(), "test"),
            store.clone(),
            Arc::new(HttpClock::new(served.base_url())),
        );
        let rp_id = avc_order_sync::external_id(
            Program::RetailProcurement,
            &PurchaseOrderNumber::new(rp.as_str()).unwrap(),
        );
        let mut approved = false;
        for _ in 0..20 {
            let report = engine.run_cycle().await.unwrap();
            assert!(report.errors.is_empty(), "{report}");
            assert!(report.set_aside.is_empty(), "{report}");
            if !approved && netsuite.snapshot(&rp_id).is_some() {
                netsuite.approve(&rp_id).unwrap();
                approved = true;
            }
            clock.advance(Duration::from_secs(5 * 60));
        }
        assert!(approved);
        assert_eq!(netsuite.record_count(), 2);
        assert_eq!(netsuite.creations(&rp_id), 1);
        assert_eq!(amazon.acknowledgement_count(&rp), 1);
        assert_eq!(amazon.acknowledgement_count(&dfn), 1);
        assert_eq!(
            amazon.retail_state(&rp),
            Some(retail::PurchaseOrderState::Acknowledged)
        );
        assert_eq!(amazon.df_status(&dfn), Some(df::OrderStatus::Accepted));
        assert_eq!(
            state_kinds(&*store).await,
            [StateKind::ExpectShipment, StateKind::ExpectShipment]
        );
        // Sleeping on the served clock moves the test's time.
        let before = clock.now();
        http_clock.sleep(Duration::from_millis(1500)).await;
        assert_eq!(clock.now() - before, chrono::TimeDelta::milliseconds(1500));
        assert!(served.requests()["test"] > 10);
    }
}
