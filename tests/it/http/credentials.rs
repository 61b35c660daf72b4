//! The engine over the production wiring (`reqwest`, the library's credentialed
//! transport, the crypto plugged in) against local services that check every
//! credential for real: the Login with Amazon exchange, Restricted Data Tokens on
//! Direct Fulfillment order reads only, NetSuite's signature recomputed independently
//! or its OAuth 2.0 client assertion verified. Tokens live a few minutes of the
//! services' clock, so they expire between cycles and are renewed mid-run.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::http::DirectFulfillmentVersion;
use avc_order_sync::{CycleReport, Engine, EngineConfig, MemoryStore, NetSuiteStatus, StateKind};

use super::local_world::{self, LocalWorld, NetSuiteScheme, REFRESH_TOKEN};
use super::served_simulators::state_kinds;

fn engine(
    world: &LocalWorld,
    scheme: NetSuiteScheme,
    version: DirectFulfillmentVersion,
) -> (Engine, Arc<MemoryStore>) {
    let amazon = Arc::new(world.sp_api_transport(REFRESH_TOKEN));
    let netsuite = world.netsuite_transport(scheme);
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(
        local_world::settings(),
        world.clients(amazon, netsuite, version),
        store.clone(),
        Arc::new(world.services.clock.clone()),
    )
    .with_config(EngineConfig {
        first_lookback: Duration::from_secs(4 * 24 * 3600),
        ..EngineConfig::default()
    });
    (engine, store)
}

/// Runs cycles five minutes apart until every order awaits shipment (at most 12).
async fn run_to_completion(
    world: &LocalWorld,
    engine: &Engine,
    store: &MemoryStore,
) -> Vec<CycleReport> {
    let mut reports = Vec::new();
    for _ in 0..12 {
        let report = engine.run_cycle().await.expect("the cycle runs");
        reports.push(report);
        let kinds = state_kinds(store).await;
        if kinds.len() == 3 && kinds.iter().all(|k| *k == StateKind::ExpectShipment) {
            break;
        }
        world.services.clock.advance(Duration::from_secs(5 * 60));
    }
    reports
}

fn posted(world: &LocalWorld) -> usize {
    world
        .services
        .netsuite
        .external_ids()
        .iter()
        .filter_map(|id| world.services.netsuite.snapshot(id))
        .filter(|o| o.status == NetSuiteStatus::PendingFulfillment)
        .count()
}

fn errors(reports: &[CycleReport]) -> Vec<String> {
    reports.iter().flat_map(|r| r.errors.clone()).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_run_with_every_credential_checked_renews_expiring_and_revoked_tokens() {
    // Tokens live 8 minutes: with cycles 5 minutes apart each token expires mid-run.
    let world = local_world::spawn_local_world(Duration::from_secs(8 * 60));
    let (engine, store) = engine(
        &world,
        NetSuiteScheme::Tba,
        DirectFulfillmentVersion::V2021_12_28,
    );

    let first = engine.run_cycle().await.expect("the cycle runs");
    assert_eq!(first.new_orders, 3, "{first}");
    assert!(first.errors.is_empty(), "{first}");
    assert!(
        world.gate.refusals().is_empty(),
        "{:?}",
        world.gate.refusals()
    );

    // The services revoke every token early: the first request of each kind is
    // refused, the transport drops the token, renews it and sends the request again.
    world.gate.revoke_tokens();
    let before = world.gate.counts();
    world.services.clock.advance(Duration::from_secs(5 * 60));
    let mut reports = vec![first];
    reports.extend(run_to_completion(&world, &engine, &store).await);
    assert!(errors(&reports).is_empty(), "{:?}", errors(&reports));
    assert!(
        reports
            .iter()
            .all(|r| !r.failed_calls.keys().any(|k| !k.contains("changed"))),
        "no call failed for its credentials: {:?}",
        reports.iter().map(|r| &r.failed_calls).collect::<Vec<_>>()
    );
    assert_eq!(posted(&world), 3, "every order reached NetSuite");

    let counts = world.gate.counts();
    assert!(
        counts.access_tokens > before.access_tokens && counts.access_tokens >= 3,
        "access tokens renewed after the revocation and as they expired: {counts:?}"
    );
    assert!(counts.restricted_data_tokens >= 2, "{counts:?}");
    assert!(counts.netsuite_signed >= 6, "{counts:?}");
    // What was refused was only the revoked tokens, each once.
    let refusals = world.gate.refusals();
    assert!(!refusals.is_empty(), "the revoked tokens were refused");
    assert!(
        refusals
            .iter()
            .all(|r| r.contains("unknown access token") || r.contains("no restricted data token")),
        "{refusals:?}"
    );
    // Calls in flight together may each meet a revoked token once; none met an
    // expired one, since tokens are renewed ahead of expiry.
    assert!(refusals.len() <= 5, "{refusals:?}");
    assert!(
        refusals.iter().all(|r| !r.contains("expired")),
        "{refusals:?}"
    );

    // The Restricted Data Token went on Direct Fulfillment order reads, and only there.
    let log = world.gate.sp_api_log();
    assert!(
        log.iter().any(|l| l
            .contains("/vendor/directFulfillment/orders/2021-12-28/purchaseOrders (restricted)")),
        "{log:?}"
    );
    for line in &log {
        let order_read = line.starts_with("GET /vendor/directFulfillment/orders/");
        assert_eq!(line.ends_with("(restricted)"), order_read, "{line}");
    }
    assert!(
        log.iter()
            .any(|l| l.contains("/vendor/orders/v1/") && l.ends_with("(access)")),
        "{log:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn netsuite_oauth2_client_credentials_carry_a_full_run() {
    let world = local_world::spawn_local_world(Duration::from_secs(7 * 60));
    let (engine, store) = engine(&world, NetSuiteScheme::OAuth2, DirectFulfillmentVersion::V1);
    let reports = run_to_completion(&world, &engine, &store).await;
    assert!(errors(&reports).is_empty(), "{:?}", errors(&reports));
    assert_eq!(posted(&world), 3);
    let counts = world.gate.counts();
    assert!(
        counts.bearer_tokens >= 2,
        "the bearer token was renewed mid-run: {counts:?}"
    );
    assert_eq!(counts.netsuite_signed, 0);
    assert!(counts.netsuite_bearer > 0);
    assert!(
        world.gate.refusals().is_empty(),
        "{:?}",
        world.gate.refusals()
    );
    assert!(
        world
            .gate
            .sp_api_log()
            .iter()
            .any(|l| l.contains("/orders/v1/purchaseOrders (restricted)"))
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_refresh_token_stops_the_cycle_with_a_clear_error_and_loses_nothing() {
    let world = local_world::spawn_local_world(Duration::from_secs(60 * 60));
    let (engine, store) = engine(&world, NetSuiteScheme::Tba, DirectFulfillmentVersion::V1);

    // The vendor revoked the application's authorization before the first cycle.
    world.gate.refuse_refresh_token(true);
    let refused = engine
        .run_cycle()
        .await
        .expect("the cycle runs and reports");
    assert_eq!(refused.retrieved, 0, "{refused}");
    assert!(!refused.errors.is_empty(), "{refused}");
    for error in &refused.errors {
        assert!(error.contains("unauthorized"), "{error}");
        assert!(error.contains("CredentialsRefused"), "{error}");
        assert!(error.contains("`invalid_grant`"), "{error}");
        assert!(error.contains("a person must act"), "{error}");
        assert!(
            !error.contains(REFRESH_TOKEN) && !error.contains(local_world::LWA_CLIENT_SECRET),
            "{error}"
        );
    }
    // Every Amazon call of the cycle failed, but the refused refresh token was sent
    // once: the refusal is held, not asked again call by call.
    assert_eq!(
        world.gate.refusals(),
        ["lwa: refresh token refused"],
        "{refused}"
    );
    assert!(
        state_kinds(&*store).await.is_empty(),
        "nothing taken, so nothing half done"
    );
    assert!(world.services.amazon.acknowledgements().is_empty());
    assert_eq!(world.services.netsuite.record_count(), 0);

    // Authorized again: the windows that failed are read again, nothing was skipped.
    world.gate.refuse_refresh_token(false);
    world.services.clock.advance(Duration::from_secs(5 * 60));
    let reports = run_to_completion(&world, &engine, &store).await;
    assert_eq!(reports[0].new_orders, 3, "{}", reports[0]);
    assert!(errors(&reports).is_empty(), "{:?}", errors(&reports));
    assert_eq!(posted(&world), 3);
}

#[tokio::test(flavor = "current_thread")]
async fn a_refresh_token_refused_mid_run_holds_the_orders_where_they_were() {
    let world = local_world::spawn_local_world(Duration::from_secs(6 * 60));
    let (engine, store) = engine(
        &world,
        NetSuiteScheme::Tba,
        DirectFulfillmentVersion::V2021_12_28,
    );
    let first = engine.run_cycle().await.expect("the cycle runs");
    assert_eq!(first.new_orders, 3, "{first}");
    let acknowledged = world.services.amazon.acknowledgements().len();
    assert_eq!(acknowledged, 3);
    let kinds_before = state_kinds(&*store).await;

    // The access token expires and its refresh is refused.
    world.gate.refuse_refresh_token(true);
    world.services.clock.advance(Duration::from_secs(10 * 60));
    let refused = engine
        .run_cycle()
        .await
        .expect("the cycle runs and reports");
    assert!(
        refused
            .errors
            .iter()
            .any(|e| e.contains("`invalid_grant`") && e.contains("a person must act")),
        "{refused}"
    );
    assert_eq!(state_kinds(&*store).await.len(), 3, "no order dropped");
    assert_eq!(
        world.services.amazon.acknowledgements().len(),
        acknowledged,
        "nothing sent twice"
    );

    world.gate.refuse_refresh_token(false);
    world.services.clock.advance(Duration::from_secs(5 * 60));
    let reports = run_to_completion(&world, &engine, &store).await;
    assert_eq!(
        posted(&world),
        3,
        "{:?} then {:?}",
        kinds_before,
        errors(&reports)
    );
    assert_eq!(world.services.amazon.acknowledgements().len(), acknowledged);
    assert!(
        world.services.netsuite.external_ids().iter().all(|id| world
            .services
            .netsuite
            .creations(id)
            == 1)
    );
}
