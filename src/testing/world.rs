//! A whole world for a test of the engine: Vendor Central and NetSuite simulators on
//! one manual clock, a memory store, the settings, and engines wired to them as an
//! integrator wires them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::client::Clock;
use crate::engine::{Clients, CycleReport, Engine, EngineConfig, EngineError, OperatorAction};
use crate::mapping::external_id;
use crate::sales_order::SalesOrderSnapshot;
use crate::settings::Settings;
use crate::store::{MemoryStore, OrderKey, OrderStore, StoredOrder};

use super::{ManualClock, NetSuite, ReceivedAcknowledgement, VendorCentral, orders};

/// Vendor Central and NetSuite simulators on one [`ManualClock`], a [`MemoryStore`],
/// and an engine factory: [`World::another_engine`] is a second worker on the same
/// store, [`World::restart`] a process started again after a crash (a fresh engine,
/// with nothing but what the store kept).
///
/// The engines use [`World::clients`] (the simulators, unless a test gives others,
/// such as the decorators in [`intercept`](super::intercept)) and the store set with
/// [`World::with_store`] (the memory store itself, unless a test wraps it). The
/// simulators' NetSuite knows only the items of [`orders::PRODUCTS`]; the engine's
/// configuration is [`World::config`] unless a test gives another.
///
/// # Example
/// ```
/// use avc_order_sync::testing::{World, catalogue_settings, orders};
/// use avc_order_sync::{OrderKey, Program, PurchaseOrderNumber};
///
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// // Direct Fulfillment orders are acknowledged on receipt.
/// let mut world = World::new(catalogue_settings(false, true));
/// let placed = world.now() - chrono::TimeDelta::hours(1);
/// world.amazon.add_df_order(orders::df_order("DF000001", placed, 2))?;
///
/// let report = world.run_cycle().await?;
/// assert_eq!(report.new_orders, 1);
/// assert_eq!(world.amazon.acknowledgement_count("DF000001"), 1);
///
/// // The process dies and starts again: the store remembers the order, and nothing
/// // is sent twice.
/// world.restart();
/// world.advance(std::time::Duration::from_secs(300));
/// world.run_cycle().await?;
/// assert_eq!(world.amazon.acknowledgement_count("DF000001"), 1);
/// let key = OrderKey {
///     program: Program::DirectFulfillment,
///     number: PurchaseOrderNumber::new("DF000001")?,
/// };
/// assert!(world.order(&key).is_some());
/// assert_eq!(world.netsuite.record_count(), 1);
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(example())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct World {
    /// The clock the simulators and the engines share.
    pub clock: ManualClock,
    /// Amazon, both programs.
    pub amazon: Arc<VendorCentral>,
    /// NetSuite.
    pub netsuite: Arc<NetSuite>,
    /// The store, as the world inspects it.
    pub store: Arc<MemoryStore>,
    /// The settings every engine gets.
    pub settings: Settings,
    /// The configuration every engine gets.
    pub config: EngineConfig,
    /// The engine [`World::run_cycle`] and [`World::act`] use.
    pub engine: Engine,
    clients: Clients,
    engine_store: Arc<dyn OrderStore>,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("now", &self.clock.now())
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl World {
    /// When a world starts unless told otherwise: a Monday morning.
    pub const START: &'static str = "2026-03-02T09:00:00Z";

    /// A world at [`World::START`] with these settings.
    pub fn new(settings: Settings) -> World {
        let start = World::START.parse().unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        World::starting_at(start, settings)
    }

    /// A world whose clock starts at `start`.
    pub fn starting_at(start: DateTime<Utc>, settings: Settings) -> World {
        let clock = ManualClock::new(start);
        let amazon = Arc::new(VendorCentral::new(clock.clone()));
        let netsuite = Arc::new(NetSuite::new(clock.clone()));
        netsuite.set_item_catalogue(orders::netsuite_items());
        let store = Arc::new(MemoryStore::new());
        let clients = Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon.clone(),
            netsuite: netsuite.clone(),
        };
        let config = World::config();
        let engine_store: Arc<dyn OrderStore> = store.clone();
        let engine = build(&settings, &clients, &engine_store, &clock, &config);
        World {
            clock,
            amazon,
            netsuite,
            store,
            settings,
            config,
            engine,
            clients,
            engine_store,
        }
    }

    /// The configuration a world starts with: the engine's defaults, reaching back a
    /// day on the first retrieval.
    pub fn config() -> EngineConfig {
        EngineConfig {
            first_lookback: Duration::from_secs(24 * 3600),
            ..EngineConfig::default()
        }
    }

    /// The world with this configuration for its engines (the current one is
    /// replaced).
    #[must_use]
    pub fn with_config(mut self, config: EngineConfig) -> World {
        self.config = config;
        self.engine = self.another_engine();
        self
    }

    /// The world with these clients for its engines (the current one is replaced).
    #[must_use]
    pub fn with_clients(mut self, clients: Clients) -> World {
        self.clients = clients;
        self.engine = self.another_engine();
        self
    }

    /// The world with its engines on this store, usually a decorator of
    /// [`World::store`] (the current engine is replaced). The world still inspects
    /// [`World::store`].
    #[must_use]
    pub fn with_store(mut self, store: Arc<dyn OrderStore>) -> World {
        self.engine_store = store;
        self.engine = self.another_engine();
        self
    }

    /// Clients straight to the simulators.
    pub fn simulators(&self) -> Clients {
        Clients {
            retail: self.amazon.clone(),
            direct_fulfillment: self.amazon.clone(),
            netsuite: self.netsuite.clone(),
        }
    }

    /// The clients the world's engines use.
    pub fn clients(&self) -> Clients {
        self.clients.clone()
    }

    /// Another engine on the same store and clock with the world's settings and
    /// configuration, over `clients`.
    pub fn engine_with(&self, clients: Clients) -> Engine {
        build(
            &self.settings,
            &clients,
            &self.engine_store,
            &self.clock,
            &self.config,
        )
    }

    /// Another engine on the same store, clients and clock: a second worker.
    pub fn another_engine(&self) -> Engine {
        self.engine_with(self.clients())
    }

    /// Replaces the engine with a fresh one on the same store, clients and clock: what
    /// a process that crashed and started again works with.
    pub fn restart(&mut self) {
        self.engine = self.another_engine();
    }

    /// Now, on the world's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock forward.
    pub fn advance(&self, duration: Duration) {
        self.clock.advance(duration);
    }

    /// One cycle of the world's engine.
    ///
    /// # Errors
    /// As [`Engine::run_cycle`].
    pub async fn run_cycle(&self) -> Result<CycleReport, EngineError> {
        self.engine.run_cycle().await
    }

    /// An operator's action through the world's engine.
    ///
    /// # Errors
    /// As [`Engine::act`].
    pub async fn act(
        &self,
        key: &OrderKey,
        action: OperatorAction,
    ) -> Result<CycleReport, EngineError> {
        self.engine.act(key, action).await
    }

    /// The order as the store holds it.
    ///
    /// # Panics
    /// When the memory store's record of the order does not decode, which would be a
    /// bug in the store; a test should stop on it.
    pub fn order(&self, key: &OrderKey) -> Option<StoredOrder> {
        self.store
            .get(key)
            .unwrap_or_else(|e| panic!("the memory store's record does not decode: {e}"))
    }

    /// The sales order NetSuite holds for the order.
    pub fn sales_order(&self, key: &OrderKey) -> Option<SalesOrderSnapshot> {
        self.netsuite
            .snapshot(&external_id(key.program, &key.number))
    }

    /// The acknowledgements Amazon received for the order's PO number.
    pub fn acknowledgements(&self, key: &OrderKey) -> Vec<ReceivedAcknowledgement> {
        self.amazon.acknowledgements_for(key.number.as_str())
    }
}

fn build(
    settings: &Settings,
    clients: &Clients,
    store: &Arc<dyn OrderStore>,
    clock: &ManualClock,
    config: &EngineConfig,
) -> Engine {
    Engine::new(
        settings.clone(),
        clients.clone(),
        store.clone(),
        Arc::new(clock.clone()),
    )
    .with_config(config.clone())
}
