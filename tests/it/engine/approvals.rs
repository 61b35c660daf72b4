//! An approval given in NetSuite is never passed over: not while the sales order's
//! create is still unanswered (found by the kill test), not when the engine stops
//! between reading the changes and reading the approved order, not when that read
//! fails.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use avc_order_sync::lifecycle::StateKind;
use avc_order_sync::testing::{
    Before, InterceptedNetSuite, NetSuiteOperation, World, catalogue_settings, orders,
};
use avc_order_sync::{
    Clients, Clock, Engine, EngineConfig, ExternalId, NetSuiteApi, OrderKey, OrderStore, Program,
    PurchaseOrderNumber, RetryPolicy,
};
use chrono::{DateTime, Utc};

/// A world on a Friday morning, with one retail PO of two lines placed five minutes
/// before; orders wait for a reviewer.
fn world() -> World {
    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
    let world = World::starting_at(start, catalogue_settings(false, false));
    world
        .amazon
        .add_retail_order(orders::retail_order(
            &number(),
            start - chrono::TimeDelta::minutes(5),
            2,
        ))
        .unwrap();
    world
}

/// The PO's number.
fn number() -> String {
    orders::purchase_order_number(42)
}

fn key() -> OrderKey {
    OrderKey {
        program: Program::RetailProcurement,
        number: PurchaseOrderNumber::new(number().as_str()).unwrap(),
    }
}

/// Its sales order's external id.
fn eid() -> ExternalId {
    avc_order_sync::external_id(Program::RetailProcurement, &key().number)
}

/// An engine of the world over `netsuite`, retrying by `retry`.
fn engine(world: &World, netsuite: Arc<dyn NetSuiteApi>, retry: RetryPolicy) -> Engine {
    world
        .engine_with(Clients {
            netsuite,
            ..world.simulators()
        })
        .with_config(EngineConfig {
            retry,
            ..world.config.clone()
        })
}

async fn status(world: &World) -> StateKind {
    let stored = world.store.load(&key()).await.unwrap().unwrap();
    stored.record.state().kind()
}

/// Cycles every `every` for `span`.
async fn run(world: &World, engine: &Engine, every: Duration, span: Duration) {
    let end = world.clock.now() + chrono::TimeDelta::from_std(span).unwrap();
    while world.clock.now() < end {
        engine.run_cycle().await.unwrap();
        world.clock.advance(every);
    }
}

/// The sales order is created, but the answer is lost and the create is retried only
/// after the overlap window; the reviewer approves meanwhile. NetSuite's change feed
/// already shows the order: it is taken as created, and the approval is read.
#[tokio::test]
async fn an_approval_given_while_the_create_is_unanswered_is_read() {
    let world = world();
    let slow_retries = RetryPolicy {
        base_delay: Duration::from_secs(40 * 60),
        jitter_percent: 0,
        ..RetryPolicy::default()
    };
    let engine = engine(&world, world.netsuite.clone(), slow_retries);
    world
        .netsuite
        .fail_next_after_effect(NetSuiteOperation::UpsertSalesOrder, 1);
    engine.run_cycle().await.unwrap();
    assert_eq!(world.netsuite.creations(&eid()), 1);
    assert_eq!(status(&world).await, StateKind::ExpectSalesOrderCreated);

    world.clock.advance(Duration::from_secs(60));
    world.netsuite.approve(&eid()).unwrap();
    run(
        &world,
        &engine,
        Duration::from_secs(5 * 60),
        Duration::from_secs(3 * 3600),
    )
    .await;

    assert_eq!(world.amazon.acknowledgement_count(&number()), 1);
    assert_eq!(status(&world).await, StateKind::ExpectShipment);
    assert_eq!(world.netsuite.creations(&eid()), 1);
}

/// A NetSuite whose next read never answers once armed: the engine is stopped there,
/// as a process killed mid-cycle. Returns the client, the switch that arms it, and
/// whether a read reached it armed.
fn stalling_read(world: &World) -> (Arc<InterceptedNetSuite>, Arc<AtomicBool>, Arc<AtomicBool>) {
    let client = Arc::new(InterceptedNetSuite::new(world.netsuite.clone()));
    let armed = Arc::new(AtomicBool::new(false));
    let reached = Arc::new(AtomicBool::new(false));
    let (is_armed, has_reached) = (armed.clone(), reached.clone());
    client.sales_order.before_async(move |_| {
        let stall = is_armed.load(Ordering::SeqCst);
        if stall {
            has_reached.store(true, Ordering::SeqCst);
        }
        async move {
            if stall {
                std::future::pending::<()>().await;
            }
            Before::Call
        }
    });
    (client, armed, reached)
}

/// Cycles run every 15 minutes (longer than the 10-minute overlap). The cycle after
/// the approval reads the change, then the process dies before it reads the order.
/// The engine started again still finds the approval.
#[tokio::test]
async fn an_approval_read_by_a_cycle_that_died_is_read_again() {
    let world = world();
    let (stalling, armed, reached) = stalling_read(&world);
    let first = engine(&world, stalling.clone(), RetryPolicy::default());
    let every = Duration::from_secs(15 * 60);
    first.run_cycle().await.unwrap();
    assert_eq!(status(&world).await, StateKind::ExpectApproval);
    world.clock.advance(Duration::from_secs(60));
    world.netsuite.approve(&eid()).unwrap();
    world.clock.advance(every);

    // The cycle runs until it asks for the approved order, and stops there for good.
    armed.store(true, Ordering::SeqCst);
    {
        let mut cycle = Box::pin(first.run_cycle());
        let mut context = Context::from_waker(Waker::noop());
        for _ in 0..10_000 {
            if reached.load(Ordering::SeqCst) {
                break;
            }
            if let Poll::Ready(result) = cycle.as_mut().poll(&mut context) {
                panic!("the cycle ended before reading the order: {result:?}");
            }
        }
        assert!(reached.load(Ordering::SeqCst));
    }
    drop(first);

    let second = engine(&world, world.netsuite.clone(), RetryPolicy::default());
    world.clock.advance(every);
    run(&world, &second, every, Duration::from_secs(3 * 3600)).await;
    assert_eq!(world.amazon.acknowledgement_count(&number()), 1);
    assert_eq!(status(&world).await, StateKind::ExpectShipment);
}

/// Cycles run every 15 minutes; the read of the approved order fails once with a
/// transient error. The changes are read again next cycle, and so is the order.
#[tokio::test]
async fn an_approval_whose_read_failed_is_read_again() {
    let world = world();
    let engine = engine(&world, world.netsuite.clone(), RetryPolicy::default());
    let every = Duration::from_secs(15 * 60);
    engine.run_cycle().await.unwrap();
    assert_eq!(status(&world).await, StateKind::ExpectApproval);
    world.clock.advance(Duration::from_secs(60));
    world.netsuite.approve(&eid()).unwrap();
    world.clock.advance(every);
    world.netsuite.fail_next(NetSuiteOperation::SalesOrder, 1);
    engine.run_cycle().await.unwrap();
    assert_eq!(
        world
            .netsuite
            .pending_failures(NetSuiteOperation::SalesOrder),
        0
    );
    assert_eq!(status(&world).await, StateKind::ExpectApproval);

    world.clock.advance(every);
    run(&world, &engine, every, Duration::from_secs(3 * 3600)).await;
    assert_eq!(world.amazon.acknowledgement_count(&number()), 1);
    assert_eq!(status(&world).await, StateKind::ExpectShipment);
}
