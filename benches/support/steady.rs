//! A steady state over a large store: Direct Fulfillment orders on automatic
//! acknowledgement, synced to the end, then what one idle cycle and a little new work
//! cost on top of that history.

use std::sync::Arc;
use std::time::Duration;

use avc_order_sync::testing::orders::{self, purchase_order_number};
use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral, catalogue_settings};
use avc_order_sync::{Clients, CycleReport, Engine, EngineConfig, MemoryStore};
use chrono::{DateTime, TimeDelta, Utc};

use super::outside::Outside;

/// The status of an order synced to the end.
const SETTLED: &str = "Order posted, awaiting shipment";

/// The engine over simulators whose work is kept out of its count.
pub struct Steady {
    pub clock: ManualClock,
    pub amazon: Arc<VendorCentral>,
    pub netsuite: Arc<NetSuite>,
    pub engine: Engine,
    pub store: Arc<MemoryStore>,
    amazon_outside: Outside<VendorCentral>,
    netsuite_outside: Outside<NetSuite>,
    seeded: u64,
    copies: u64,
    /// Every cycle run, with its report.
    pub cycles: usize,
    /// The calls the last cycle made.
    pub last_calls: u64,
}

/// The cycle interval of the steady state.
pub const INTERVAL: Duration = Duration::from_secs(60);

impl Steady {
    /// A world holding `orders` Direct Fulfillment orders Amazon listed over the day
    /// and a half before `start`, none synced yet.
    pub fn new(orders: usize, start: DateTime<Utc>) -> Steady {
        let clock = ManualClock::new(start);
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        netsuite.set_item_catalogue(orders::netsuite_items());
        amazon.set_rate_limits_enabled(false);
        let amazon_outside = Outside::new(amazon.clone());
        let netsuite_outside = Outside::new(netsuite.clone());
        let store = Arc::new(MemoryStore::new());
        let engine = Engine::new(
            catalogue_settings(false, true),
            Clients {
                retail: Arc::new(amazon_outside.clone()),
                direct_fulfillment: Arc::new(amazon_outside.clone()),
                netsuite: Arc::new(netsuite_outside.clone()),
            },
            store.clone(),
            Arc::new(clock.clone()),
        )
        .with_config(EngineConfig {
            first_lookback: Duration::from_secs(2 * 24 * 3600),
            due_batch: usize::MAX,
            ..EngineConfig::default()
        });
        let mut world = Steady {
            clock,
            amazon,
            netsuite,
            engine,
            store,
            amazon_outside,
            netsuite_outside,
            seeded: 0,
            copies: 0,
            cycles: 0,
            last_calls: 0,
        };
        let span = 36 * 3600;
        for i in 0..orders {
            let placed = start - TimeDelta::seconds(60 + (span * i / orders.max(1)) as i64);
            world.add_order(placed);
        }
        world
    }

    /// Amazon lists one more Direct Fulfillment order, placed at `placed`.
    pub fn add_order(&mut self, placed: DateTime<Utc>) {
        let number = purchase_order_number(20_000_000 + self.seeded);
        self.amazon
            .add_df_order(orders::df_order(
                &number,
                placed,
                1 + self.seeded as usize % 3,
            ))
            .expect("unique numbers");
        self.seeded += 1;
    }

    /// Amazon lists `count` new orders, placed now.
    pub fn add_new_orders(&mut self, count: usize) {
        let now = avc_order_sync::Clock::now(&self.clock);
        for _ in 0..count {
            self.add_order(now - TimeDelta::seconds(1));
        }
    }

    /// The time the simulators spent answering so far.
    pub fn simulator_time(&self) -> Duration {
        self.amazon_outside.time() + self.netsuite_outside.time()
    }

    /// One cycle, then the interval passes.
    pub async fn cycle(&mut self) -> CycleReport {
        let (a, n) = (self.amazon.total_calls(), self.netsuite.total_calls());
        let report = self
            .engine
            .run_cycle()
            .await
            .expect("the memory store never fails");
        self.last_calls = self.amazon.total_calls() - a + self.netsuite.total_calls() - n;
        self.cycles += 1;
        self.clock.advance(INTERVAL);
        report
    }

    /// Runs cycles until every order is settled and two cycles in a row touched no
    /// order; returns the cycles run.
    pub async fn settle(&mut self) -> usize {
        let mut quiet = 0;
        let mut cycles = 0;
        while quiet < 2 {
            let report = self.cycle().await;
            cycles += 1;
            quiet = if report.orders.is_empty() {
                quiet + 1
            } else {
                0
            };
            assert!(cycles < 500, "the steady state never settled");
        }
        cycles
    }

    /// Checks that every order Amazon listed is settled (it loads every record: not
    /// part of any measurement).
    pub async fn assert_settled(&self) {
        let table = self.engine.status_table().await.expect("memory store");
        let settled = table.iter().filter(|l| l.status == SETTLED).count();
        assert_eq!(
            settled as u64,
            self.seeded + self.copies,
            "every order settled"
        );
    }

    /// Fills the store up to `total` settled orders by saving copies of the orders
    /// settled so far under new keys: the history the count runs measure over,
    /// built without running the engine through every one of them under valgrind.
    /// The copies are settled records the engine never needs to touch, like the
    /// originals, and the simulators do not hold them (their work is not counted).
    pub async fn replicate(&mut self, total: usize) {
        let settings = catalogue_settings(false, true);
        let originals = self
            .store
            .snapshot()
            .expect("the memory store decodes its records");
        assert!(
            !originals.is_empty() || total == 0,
            "settle some orders first"
        );
        let mut next = originals.len();
        let mut copy = 0u64;
        while next < total {
            let (_, stored) = &originals[next % originals.len()];
            let key = avc_order_sync::OrderKey {
                program: avc_order_sync::Program::DirectFulfillment,
                number: avc_order_sync::PurchaseOrderNumber::new(purchase_order_number(
                    40_000_000 + copy,
                ))
                .expect("generated numbers are valid"),
            };
            let wakeup = stored.record.next_wakeup(&settings);
            avc_order_sync::OrderStore::save(
                &*self.store,
                &key,
                &stored.record,
                None,
                wakeup,
                None,
            )
            .await
            .expect("new keys");
            copy += 1;
            next += 1;
        }
        self.copies += copy;
    }
}
