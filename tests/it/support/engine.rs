//! A world for the engine's scenario tests: Vendor Central and NetSuite simulators on
//! one manual clock, a memory store, and an engine wired to them as an integrator
//! wires it.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::engine::{
    Clients, CycleReport, Engine, EngineConfig, EngineError, OperatorAction, ReportLine,
    write_table,
};
use avc_order_sync::store::{MemoryStore, OrderKey, StoredOrder};
use avc_order_sync::testing::{ManualClock, NetSuite, ReceivedAcknowledgement, VendorCentral};
use avc_order_sync::{
    Clock, ExternalId, ItemSequenceNumber, Program, PurchaseOrderNumber, SalesOrderSnapshot,
    Settings, external_id,
};
use chrono::{DateTime, TimeDelta, Utc};

/// When every story starts: a Monday morning.
pub const START: &str = "2026-03-02T09:00:00Z";

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
    EngineConfig {
        first_lookback: Duration::from_secs(24 * 3600),
        ..EngineConfig::default()
    }
}

pub struct World {
    pub clock: ManualClock,
    pub amazon: Arc<VendorCentral>,
    pub netsuite: Arc<NetSuite>,
    pub store: Arc<MemoryStore>,
    pub engine: Engine,
    pub settings: Settings,
    pub config: EngineConfig,
}

impl World {
    pub fn new(settings: Settings) -> World {
        World::with_config(settings, config())
    }

    pub fn with_config(settings: Settings, config: EngineConfig) -> World {
        let clock = ManualClock::new(start());
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        netsuite.set_item_catalogue(avc_order_sync::testing::orders::netsuite_items());
        let store = Arc::new(MemoryStore::new());
        let engine = engine(&clock, &amazon, &netsuite, &store, &settings, &config);
        World {
            clock,
            amazon,
            netsuite,
            store,
            engine,
            settings,
            config,
        }
    }

    /// A fresh engine on the same store, simulators and clock: what a process that
    /// crashed and restarted works with.
    pub fn restart(&mut self) {
        self.engine = self.another_engine();
    }

    /// Another engine on the same store, simulators and clock: a second worker.
    pub fn another_engine(&self) -> Engine {
        engine(
            &self.clock,
            &self.amazon,
            &self.netsuite,
            &self.store,
            &self.settings,
            &self.config,
        )
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn wait(&self, minutes: u64) {
        self.clock.advance(Duration::from_secs(60 * minutes));
    }

    pub async fn cycle(&self) -> CycleReport {
        self.engine.run_cycle().await.expect("the cycle runs")
    }

    pub async fn act(
        &self,
        key: &OrderKey,
        action: OperatorAction,
    ) -> Result<CycleReport, EngineError> {
        self.engine.act(key, action).await
    }

    /// Runs cycles, as a scheduler would at each report's next wake-up (at least 30
    /// seconds and at most 5 minutes apart), until `done` holds. Returns the reports.
    pub async fn run_until(&self, what: &str, done: impl Fn(&World) -> bool) -> Vec<CycleReport> {
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

    /// Runs cycles until the order shows `status`.
    pub async fn run_until_status(&self, key: &OrderKey, status: &str) -> Vec<CycleReport> {
        self.run_until(&format!("{key} {status}"), |w| {
            w.status(key).as_deref() == Some(status)
        })
        .await
    }

    pub fn stored(&self, key: &OrderKey) -> StoredOrder {
        self.store
            .snapshot()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s)
            .unwrap_or_else(|| panic!("{key} is not in the store"))
    }

    /// The order's status as the connector words it, if the store holds it.
    pub fn status(&self, key: &OrderKey) -> Option<String> {
        self.store
            .snapshot()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.record.status_label().to_owned())
    }

    /// `true` when the store holds orders and every one shows `status`.
    pub fn all_show(&self, status: &str) -> bool {
        let orders = self.store.snapshot();
        !orders.is_empty()
            && orders
                .iter()
                .all(|(_, s)| s.record.status_label() == status)
    }

    /// The order's line in the full status table.
    pub async fn line(&self, key: &OrderKey) -> ReportLine {
        self.engine
            .status_table()
            .await
            .unwrap()
            .into_iter()
            .find(|l| &l.key == key)
            .unwrap_or_else(|| panic!("{key} is not in the status table"))
    }

    pub fn table(&self) -> String {
        let lines: Vec<ReportLine> = self
            .store
            .snapshot()
            .into_iter()
            .map(|(key, s)| ReportLine {
                netsuite_id: s.record.internal_id().cloned(),
                status: s.record.status_label().to_owned(),
                reason: None,
                key,
            })
            .collect();
        let mut out = String::new();
        write_table(&mut out, &lines).unwrap();
        out
    }

    /// The sales order NetSuite holds for the order.
    pub fn sales_order(&self, key: &OrderKey) -> Option<SalesOrderSnapshot> {
        self.netsuite.snapshot(&eid(key))
    }

    pub fn acknowledgements(&self, key: &OrderKey) -> Vec<ReceivedAcknowledgement> {
        self.amazon.acknowledgements_for(key.number.as_str())
    }
}

fn engine(
    clock: &ManualClock,
    amazon: &Arc<VendorCentral>,
    netsuite: &Arc<NetSuite>,
    store: &Arc<MemoryStore>,
    settings: &Settings,
    config: &EngineConfig,
) -> Engine {
    Engine::new(
        settings.clone(),
        Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon.clone(),
            netsuite: netsuite.clone(),
        },
        store.clone(),
        Arc::new(clock.clone()),
    )
    .with_config(config.clone())
}
