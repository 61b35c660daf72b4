//! What the engine's scenario tests share: the [`World`] of the `testing` module
//! (simulators on one manual clock, a memory store, engines wired as an integrator
//! wires them), keys and times, and [`Scenario`], the assertions' side of a world.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use avc_order_sync::lifecycle::{Attention, Notice, OrderState, StateKind};
pub use avc_order_sync::testing::World;
use avc_order_sync::{CycleReport, EngineConfig, Observer, ReportLine, write_table};
use avc_order_sync::{
    ExternalId, ItemSequenceNumber, OrderKey, Program, PurchaseOrderNumber, StoredOrder,
    external_id,
};
use chrono::{DateTime, TimeDelta, Utc};

/// An observer that keeps every notice with its order.
#[derive(Default)]
pub struct Alerts(Mutex<Vec<(OrderKey, Notice)>>);

impl Observer for Alerts {
    fn notice(&self, key: &OrderKey, notice: &Notice) {
        if let Ok(mut all) = self.0.lock() {
            all.push((key.clone(), notice.clone()));
        }
    }
}

impl Alerts {
    /// Makes `world`'s engine report to a new recorder, and returns it.
    pub fn observe(world: &mut World) -> Arc<Alerts> {
        let alerts = Arc::new(Alerts::default());
        world.engine = world.another_engine().with_observer(alerts.clone());
        alerts
    }

    /// The notices raised for `key`, oldest first.
    pub fn of(&self, key: &OrderKey) -> Vec<Notice> {
        self.0
            .lock()
            .map(|all| {
                all.iter()
                    .filter(|(k, _)| k == key)
                    .map(|(_, n)| n.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The slugs of the notices raised for `key`, oldest first.
    pub fn slugs(&self, key: &OrderKey) -> Vec<&'static str> {
        self.of(key).iter().map(Notice::slug).collect()
    }
}

/// When every story starts: a Monday morning.
pub const START: &str = World::START;

pub fn start() -> DateTime<Utc> {
    START.parse().unwrap()
}

/// `minutes` before the story starts: when Amazon placed an order.
pub fn placed(minutes: i64) -> DateTime<Utc> {
    start() - TimeDelta::minutes(minutes)
}

pub fn retail_key(number: &str) -> OrderKey {
    OrderKey {
        program: Program::RetailProcurement,
        number: PurchaseOrderNumber::new(number).unwrap(),
    }
}

pub fn df_key(number: &str) -> OrderKey {
    OrderKey {
        program: Program::DirectFulfillment,
        number: PurchaseOrderNumber::new(number).unwrap(),
    }
}

/// The sales order's external id for an order.
pub fn eid(key: &OrderKey) -> ExternalId {
    external_id(key.program, &key.number)
}

pub fn seq(s: &str) -> ItemSequenceNumber {
    ItemSequenceNumber::new(s).unwrap()
}

/// The engine's defaults, reaching back a day on the first retrieval.
pub fn config() -> EngineConfig {
    World::config()
}

/// What the engine's scenario tests ask of a [`World`] beyond what it offers: cycles
/// that must run, waits in minutes, and lookups that fail the test when the order is
/// not there.
pub(crate) trait Scenario {
    /// Moves the clock `minutes` forward.
    fn wait(&self, minutes: u64);

    /// One cycle, which must run.
    async fn cycle(&self) -> CycleReport;

    /// Runs cycles, as a scheduler would at each report's next wake-up (at least 30
    /// seconds and at most 5 minutes apart), until `done` holds. Returns the reports.
    async fn run_until(&self, what: &str, done: impl Fn(&World) -> bool) -> Vec<CycleReport>;

    /// Runs cycles until the order is in `state`.
    async fn run_until_status(&self, key: &OrderKey, state: StateKind) -> Vec<CycleReport>;

    /// The order as stored; it must be there.
    fn stored(&self, key: &OrderKey) -> StoredOrder;

    /// The order's state, if the store holds it.
    fn status(&self, key: &OrderKey) -> Option<StateKind>;

    /// `true` when the store holds the order and it waits for a person because
    /// Amazon's copy cannot be read (`Attention::Unreadable`).
    fn unreadable(&self, key: &OrderKey) -> bool;

    /// `true` when the store holds orders and every one is in `state`.
    fn all_show(&self, state: StateKind) -> bool;

    /// The order's line in the full status table; it must be there.
    async fn line(&self, key: &OrderKey) -> ReportLine;

    /// The status table of every stored order, for a failure's message.
    fn table(&self) -> String;
}

impl Scenario for World {
    fn wait(&self, minutes: u64) {
        self.advance(Duration::from_secs(60 * minutes));
    }

    async fn cycle(&self) -> CycleReport {
        self.run_cycle().await.expect("the cycle runs")
    }

    async fn run_until(&self, what: &str, done: impl Fn(&World) -> bool) -> Vec<CycleReport> {
        let mut reports = Vec::new();
        for _ in 0..200 {
            let report = self.cycle().await;
            let next = report.next_wakeup;
            reports.push(report);
            if done(self) {
                return reports;
            }
            let wait = next
                .map_or(Duration::from_secs(300), |at| {
                    (at - self.now()).to_std().unwrap_or_default()
                })
                .clamp(Duration::from_secs(30), Duration::from_secs(300));
            self.clock.advance(wait);
        }
        panic!(
            "never reached: {what}\n{}\nlast report:\n{}",
            self.table(),
            reports.last().map(|r| r.to_string()).unwrap_or_default()
        );
    }

    async fn run_until_status(&self, key: &OrderKey, state: StateKind) -> Vec<CycleReport> {
        self.run_until(&format!("{key} {state:?}"), |w| {
            w.status(key) == Some(state)
        })
        .await
    }

    fn stored(&self, key: &OrderKey) -> StoredOrder {
        self.order(key)
            .unwrap_or_else(|| panic!("{key} is not in the store"))
    }

    fn status(&self, key: &OrderKey) -> Option<StateKind> {
        self.order(key).map(|s| s.record.state().kind())
    }

    fn unreadable(&self, key: &OrderKey) -> bool {
        self.order(key).is_some_and(|s| {
            matches!(
                s.record.state(),
                OrderState::ExpectFix {
                    attention: Attention::Unreadable { .. }
                }
            )
        })
    }

    fn all_show(&self, state: StateKind) -> bool {
        let orders = self.store.snapshot().unwrap();
        !orders.is_empty() && orders.iter().all(|(_, s)| s.record.state().kind() == state)
    }

    async fn line(&self, key: &OrderKey) -> ReportLine {
        self.engine
            .status_table()
            .await
            .unwrap()
            .into_iter()
            .find(|l| &l.key == key)
            .unwrap_or_else(|| panic!("{key} is not in the status table"))
    }

    fn table(&self) -> String {
        let lines: Vec<ReportLine> = self
            .store
            .snapshot()
            .unwrap()
            .into_iter()
            .map(|(key, s)| ReportLine::of(&key, &s.record))
            .collect();
        let mut out = String::new();
        write_table(&mut out, &lines).unwrap();
        out
    }
}
