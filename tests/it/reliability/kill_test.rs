//! Real crashes on a real database: engines in child processes, on one SQLite file or
//! one PostgreSQL database, killed with SIGKILL at random moments and restarted, while
//! this process serves the simulators over 127.0.0.1 and drives the world.
//!
//! Each child is this test binary run again with [`ENGINE_ENV`] set: it opens the
//! store ([`SqliteStore`] or [`PostgresStore`]), builds an engine on the library's HTTP clients and an
//! [`HttpClock`] (time stays the parent's), and runs cycles until `GET /control` says
//! stop. Two children run at once, so every kill also races a live second worker on
//! the same rows. Some kills come after a random delay; most are tripwires at a
//! random request of the child, usually a write (a sales order created, an
//! acknowledgement sent), fired before the simulator acts (the request is lost) or
//! after (the effect took place, the answer is lost). Meanwhile the parent
//! moves the simulated clock, adds orders, and reviews sales orders in NetSuite (some
//! lowered, all approved in the end). After the kills, a final clean run lets
//! everything settle, the engines stop by themselves, and the fault simulation's
//! invariants are checked on the simulators and the store.
//!
//! `AVC_KILL_SEED` replays a plan (kill times, tripwires, orders, reviews; the
//! interleaving of processes is the machine's), `AVC_KILL_COUNT` sets the number of
//! kills, and `AVC_KILL_VERBOSE` lists where each tripwire fired and what the engines
//! reported.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::lifecycle::OrderState;
use avc_order_sync::testing::{
    ManualClock, NetSuite, SplitMix64, VendorCentral, catalogue_settings, orders,
};
use avc_order_sync::{
    Clock, ExternalId, ItemSequenceNumber, NetSuiteStatus, Program, PurchaseOrderNumber,
};
use avc_order_sync::{Engine, EngineConfig, order_key_of};
use avc_order_sync::{OrderKey, StoredOrder};
use chrono::{DateTime, TimeDelta, Utc};

use super::postgres_store::PostgresStore;
use super::sqlite_store::{SqliteStore, TempDir};
use crate::it::http::served_simulators::{
    HttpClock, TripPoint, Tripwire, http_clients, serve_simulators,
};

/// Set in a child: the engine's name (its caller id at the server).
const ENGINE_ENV: &str = "AVC_KILL_TEST_ENGINE";
/// Set in a child: the served simulators' base URL.
const URL_ENV: &str = "AVC_KILL_TEST_URL";
/// Set in a child: the SQLite file.
const DB_ENV: &str = "AVC_KILL_TEST_DB";
/// Set in a child: the PostgreSQL schema (the database is `AVC_POSTGRES_URL`'s).
const SCHEMA_ENV: &str = "AVC_KILL_TEST_SCHEMA";
/// The command that restarts the PostgreSQL server (set by `.ci/postgres.sh`).
const RESTART_ENV: &str = "AVC_POSTGRES_RESTART";
/// The plan unless `AVC_KILL_SEED` says otherwise.
const DEFAULT_SEED: u64 = 0x4b11_7e57;
/// The kill phase stops here even short of its kills (the check then fails).
const KILL_BUDGET: Duration = Duration::from_secs(90);
/// The final clean run gets this long to settle.
const SETTLE_BUDGET: Duration = Duration::from_secs(20);
/// A child stops by itself after this long, whatever the parent does.
const CHILD_LIFETIME: Duration = Duration::from_secs(90);
/// Simulated seconds per real second while the kills go on.
const KILL_RATE: u32 = 300;
/// Simulated seconds per real second in the final clean run.
const SETTLE_RATE: u32 = 600;
/// The most the simulated clock moves in one step, whatever the real time since.
const MAX_STEP: Duration = Duration::from_secs(120);
/// Orders Amazon holds at the start, per program.
const INITIAL_ORDERS: u64 = 8;
/// Orders added while the kills go on, at most, per program.
const ADDED_ORDERS: u64 = 16;

fn settings() -> avc_order_sync::Settings {
    // Retail POs wait for a reviewer; Direct Fulfillment is acknowledged at once.
    catalogue_settings(false, true)
}

fn config() -> EngineConfig {
    EngineConfig {
        first_lookback: Duration::from_secs(24 * 3600),
        ..EngineConfig::default()
    }
}

/// One kill test: its name (the child is asked to run it), its workers, its kills.
struct Plan {
    test_name: &'static str,
    engines: usize,
    /// Kills unless `AVC_KILL_COUNT` says otherwise.
    default_kills: u32,
    /// Database restarts, spread evenly over the kills.
    restarts: u32,
}

const SQLITE: Plan = Plan {
    test_name: "kill_test_sigkill_engines_on_one_sqlite_file",
    engines: 2,
    default_kills: 24,
    restarts: 0,
};

const POSTGRES: Plan = Plan {
    test_name: "kill_test_sigkill_three_engines_on_postgres_and_restart_the_database",
    engines: 3,
    default_kills: 60,
    restarts: 1,
};

/// Where the children keep their state.
#[derive(Clone)]
enum StoreSpec {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl StoreSpec {
    fn postgres_config(url: &str, schema: &str) -> tokio_postgres::Config {
        let mut config: tokio_postgres::Config = url.parse().expect("a database URL");
        config.options(format!("-c search_path={schema}"));
        config
    }
}

/// The parent's own handle on the store, read at the end.
enum ParentStore {
    Sqlite(SqliteStore),
    Postgres(Box<(PostgresStore, tokio::runtime::Runtime)>),
}

impl ParentStore {
    fn snapshot(&self) -> Result<Vec<(OrderKey, StoredOrder)>, avc_order_sync::StoreError> {
        match self {
            ParentStore::Sqlite(store) => store.snapshot(),
            ParentStore::Postgres(pair) => pair.1.block_on(pair.0.snapshot()),
        }
    }
}

fn seed_and_kills(plan: &Plan) -> (u64, u32) {
    let seed = std::env::var("AVC_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let kills = std::env::var("AVC_KILL_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(plan.default_kills);
    (seed, kills)
}

#[test]
fn kill_test_sigkill_engines_on_one_sqlite_file() {
    if let Ok(engine) = std::env::var(ENGINE_ENV) {
        let url = std::env::var(URL_ENV).expect("the served simulators' URL");
        let db = std::env::var(DB_ENV).expect("the store's file");
        run_engine(&engine, &url, &StoreSpec::Sqlite(PathBuf::from(db)));
        return;
    }
    let (seed, kills) = seed_and_kills(&SQLITE);
    // In memory where the machine has it: the kill is a process's crash, which the
    // page cache outlives, and commits must not wait for a disk other tests keep busy.
    let dir = TempDir::in_memory("kill-test");
    let db = dir.file("orders.sqlite");
    // The parent opens the file first: the schema exists before any child starts, and
    // this handle reads the store at the end.
    let store = ParentStore::Sqlite(SqliteStore::open(&db).expect("create the store"));
    run_parent(
        &SQLITE,
        seed,
        kills,
        &dir,
        StoreSpec::Sqlite(db),
        &store,
        None,
    );
}

#[test]
fn kill_test_sigkill_three_engines_on_postgres_and_restart_the_database() {
    if let Ok(engine) = std::env::var(ENGINE_ENV) {
        let url = std::env::var(URL_ENV).expect("the served simulators' URL");
        let database = std::env::var(super::postgres_store::URL_ENV).expect("the database");
        let schema = std::env::var(SCHEMA_ENV).expect("the schema");
        run_engine(
            &engine,
            &url,
            &StoreSpec::Postgres {
                url: database,
                schema,
            },
        );
        return;
    }
    let Some(database) = super::postgres_store::database_url(POSTGRES.test_name) else {
        return;
    };
    let restart = std::env::var(RESTART_ENV).ok().filter(|c| !c.is_empty());
    if restart.is_none() {
        let notice = format!(
            "{RESTART_ENV} is not set: the PostgreSQL kill test runs without restarting the \
             database (`source .ci/postgres.sh` sets it)"
        );
        assert!(std::env::var_os("CI").is_none(), "{notice}");
        eprintln!("{notice}");
    }
    let (seed, kills) = seed_and_kills(&POSTGRES);
    let dir = TempDir::new("postgres-kill-test");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // The parent makes the schema and the tables before any child starts, and reads the
    // store at the end through this handle.
    let schema = runtime.block_on(super::postgres_store::Schema::new(&database, "kill"));
    let store = runtime
        .block_on(PostgresStore::connect(schema.config()))
        .expect("create the store");
    let spec = StoreSpec::Postgres {
        url: database,
        schema: schema.name().to_owned(),
    };
    let store = ParentStore::Postgres(Box::new((store, runtime)));
    let passed = run_parent(
        &POSTGRES,
        seed,
        kills,
        &dir,
        spec,
        &store,
        restart.as_deref(),
    );
    if let (true, ParentStore::Postgres(pair)) = (passed, &store) {
        pair.1.block_on(schema.drop_all());
    }
}

// ---------------------------------------------------------------------------------
// The child: an engine until told to stop
// ---------------------------------------------------------------------------------

fn run_engine(name: &str, url: &str, spec: &StoreSpec) {
    let control: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let (store, config): (Arc<dyn avc_order_sync::OrderStore>, _) = match spec {
            StoreSpec::Sqlite(db) => (
                Arc::new(SqliteStore::open(db).expect("open the store")),
                config(),
            ),
            StoreSpec::Postgres { url, schema } => {
                // The database may be restarting as this worker starts: it waits.
                let store = loop {
                    match PostgresStore::connect(StoreSpec::postgres_config(url, schema)).await {
                        Ok(store) => break store,
                        Err(e) if started.elapsed() < CHILD_LIFETIME => {
                            eprintln!("{name}: store not reachable yet: {e}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => panic!("{name}: the store never answered: {e}"),
                    }
                };
                let config = EngineConfig {
                    // Five simulated minutes: a second or so of real time here, and
                    // several cycles.
                    retrieval_lease: Some(Duration::from_secs(5 * 60)),
                    shared_rate_budget: true,
                    ..config()
                };
                (Arc::new(store), config)
            }
        };
        eprintln!("{name}: store open after {:?}", started.elapsed());
        let engine = Engine::new(
            settings(),
            http_clients(url, name),
            store,
            Arc::new(HttpClock::new(url)),
        )
        .with_config(config)
        .with_worker(name);
        while started.elapsed() < CHILD_LIFETIME {
            let order = control
                .get(format!("{url}/control"))
                .call()
                .and_then(|mut r| r.body_mut().read_to_string());
            match order.as_deref() {
                Ok("run") => {}
                // Told to stop, or the parent is gone.
                _ => break,
            }
            let cycle_started = Instant::now();
            let quiet = match engine.run_cycle().await {
                Ok(report) => {
                    for error in &report.errors {
                        eprintln!("{name}: cycle error: {error}");
                    }
                    let quiet = report.is_quiet() && report.errors.is_empty();
                    if !quiet || cycle_started.elapsed() > Duration::from_secs(1) {
                        eprintln!(
                            "{name}: cycle took {:?}: {} retrieved, {} orders changed, {} set aside, {} spans skipped, {} calls",
                            cycle_started.elapsed(),
                            report.retrieved,
                            report.orders.len(),
                            report.set_aside.len(),
                            report.skipped.len(),
                            report.total_calls()
                        );
                    }
                    quiet
                }
                Err(e) => {
                    eprintln!("{name}: cycle failed: {e}");
                    false
                }
            };
            let _ = control
                .post(format!("{url}/cycle?caller={name}&quiet={quiet}"))
                .send_empty();
            // Leave the parent room to move the world between cycles.
            std::thread::sleep(Duration::from_millis(3));
        }
    });
}

// ---------------------------------------------------------------------------------
// The parent: the world, the kills, the checks
// ---------------------------------------------------------------------------------

/// One engine slot: its running child, if any, and whether the parent killed it.
struct Worker {
    name: String,
    child: Mutex<Option<Child>>,
    killing: AtomicBool,
    log: PathBuf,
    /// When its running child was started.
    spawned_at: Mutex<Option<Instant>>,
}

impl Worker {
    fn spawn(&self, url: &str, spec: &StoreSpec, test_name: &str) {
        let module = module_path!();
        let module = module.split_once("::").map_or(module, |(_, rest)| rest);
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the engine's log");
        let mut command = Command::new(std::env::current_exe().expect("this test binary"));
        match spec {
            StoreSpec::Sqlite(db) => command.env(DB_ENV, db),
            StoreSpec::Postgres { url, schema } => command
                .env(super::postgres_store::URL_ENV, url)
                .env(SCHEMA_ENV, schema),
        };
        let child = command
            .args([
                format!("{module}::{test_name}").as_str(),
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENGINE_ENV, &self.name)
            .env(URL_ENV, url)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the engine's log"))
            .stderr(log)
            .spawn()
            .expect("start an engine");
        self.killing.store(false, Ordering::SeqCst);
        *self.lock() = Some(child);
        *self
            .spawned_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends SIGKILL to the running child.
    fn kill(&self) {
        self.killing.store(true, Ordering::SeqCst);
        if let Some(child) = self.lock().as_mut() {
            let _ = child.kill();
        }
    }

    /// The child's exit, once it has exited: `Some(true)` when the parent killed it.
    fn exited(&self) -> Option<(bool, ExitStatus)> {
        let mut guard = self.lock();
        let status = guard.as_mut()?.try_wait().ok()??;
        *guard = None;
        Some((self.killing.load(Ordering::SeqCst), status))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut child) = self.lock().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The world the parent drives: Amazon's orders and the NetSuite reviewer.
struct World {
    clock: ManualClock,
    amazon: Arc<VendorCentral>,
    netsuite: Arc<NetSuite>,
    rng: SplitMix64,
    retail: Vec<String>,
    direct_fulfillment: Vec<String>,
    next_number: u64,
    /// When the reviewer first saw each sales order pending, and how long they take.
    review: BTreeMap<String, (DateTime<Utc>, TimeDelta)>,
    last_step: Instant,
    lowered: BTreeSet<String>,
}

impl World {
    fn add_order(&mut self, program: Program) {
        let number = orders::purchase_order_number(self.next_number);
        self.next_number += 1;
        let lines = self.rng.between(1, 3) as usize;
        // Amazon lists an order within minutes of placing it: well inside the engine's
        // overlap window (an order listed later than that is Amazon's fault to find).
        let placed = self.clock.now() - TimeDelta::seconds(self.rng.between(0, 300) as i64);
        match program {
            Program::RetailProcurement => {
                self.amazon
                    .add_retail_order(orders::retail_order(&number, placed, lines))
                    .expect("seed a retail order");
                self.retail.push(number);
            }
            Program::DirectFulfillment => {
                self.amazon
                    .add_df_order(orders::df_order(&number, placed, lines))
                    .expect("seed a Direct Fulfillment order");
                self.direct_fulfillment.push(number);
            }
        }
    }

    /// One step of the world: time passes, `rate` times as fast as real time since the
    /// last step; orders arrive; the reviewer works.
    ///
    /// The engines' leases on work in flight (5 minutes for a NetSuite call, 30 for an
    /// acknowledgement whose answer is lost) are real-world durations: simulated time
    /// must not outrun a call still on its way by that much, or a second engine takes
    /// over a call that is not over, which no real clock allows.
    fn step(&mut self, adding: bool, rate: u32) {
        let now = Instant::now();
        let real = now.saturating_duration_since(self.last_step);
        self.last_step = now;
        self.clock.advance(real.saturating_mul(rate).min(MAX_STEP));
        if adding && self.rng.below(100) < 2 {
            let added = (self.retail.len() + self.direct_fulfillment.len()) as u64;
            if added < 2 * (INITIAL_ORDERS + ADDED_ORDERS) {
                let program = if self.rng.below(100) < 50 {
                    Program::RetailProcurement
                } else {
                    Program::DirectFulfillment
                };
                self.add_order(program);
            }
        }
        self.review(!adding);
    }

    /// The reviewer: each pending sales order is approved once its review time is
    /// over (at once when `hurry`), some with the first line lowered by one case.
    fn review(&mut self, hurry: bool) {
        let now = self.clock.now();
        for external_id in self.netsuite.external_ids() {
            let Some(snapshot) = self.netsuite.snapshot(&external_id) else {
                continue;
            };
            if snapshot.status != NetSuiteStatus::PendingApproval {
                continue;
            }
            let delay = TimeDelta::minutes(self.rng.between(0, 10) as i64);
            let (seen, delay) = *self
                .review
                .entry(external_id.as_str().to_owned())
                .or_insert((now, delay));
            if !hurry && now - seen < delay {
                continue;
            }
            let retail = order_key_of(&external_id)
                .filter(|k| k.program == Program::RetailProcurement)
                .map(|k| k.number.as_str().to_owned());
            if let Some(number) = retail {
                if !self.lowered.contains(&number) && self.rng.below(100) < 25 {
                    self.lower_first_line(&number, &external_id);
                }
            }
            // Best effort, as a person's: an order that moved on meanwhile is left as
            // it is, and the checks at the end say whether that was right.
            let _ = self.netsuite.approve(&external_id);
        }
    }

    fn lower_first_line(&mut self, number: &str, external_id: &ExternalId) {
        let Some(po) = self
            .amazon
            .retail_order(number)
            .and_then(|o| o.to_purchase_order().ok())
        else {
            return;
        };
        let Some(line) = po.lines.first() else {
            return;
        };
        let eaches = line.ordered.eaches().unwrap_or(0);
        let lower = eaches.saturating_sub(line.ordered.unit_size);
        let sequence = ItemSequenceNumber::new(line.sequence.as_str()).expect("a sequence");
        if self
            .netsuite
            .set_line_quantity(external_id, &sequence, lower)
            .is_ok()
        {
            self.lowered.insert(number.to_owned());
        }
    }
}

/// The kills, the restarts and the checks; `true` when every check passed (it panics
/// otherwise).
fn run_parent(
    plan: &Plan,
    seed: u64,
    target_kills: u32,
    dir: &TempDir,
    db: StoreSpec,
    store: &ParentStore,
    restart: Option<&str>,
) -> bool {
    let started = Instant::now();
    let test_name = plan.test_name;

    let start: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().expect("a date");
    let clock = ManualClock::new(start);
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    netsuite.set_item_catalogue(orders::netsuite_items());
    let mut world = World {
        clock: clock.clone(),
        amazon: amazon.clone(),
        netsuite: netsuite.clone(),
        rng: SplitMix64::new(seed),
        retail: Vec::new(),
        direct_fulfillment: Vec::new(),
        next_number: seed % 100_000,
        review: BTreeMap::new(),
        last_step: Instant::now(),
        lowered: BTreeSet::new(),
    };
    for _ in 0..INITIAL_ORDERS {
        world.add_order(Program::RetailProcurement);
        world.add_order(Program::DirectFulfillment);
    }
    let served = serve_simulators(clock.clone(), amazon.clone(), netsuite.clone());
    let url = served.base_url().to_owned();
    let workers: Vec<Arc<Worker>> = (1..=plan.engines)
        .map(|i| {
            Arc::new(Worker {
                name: format!("engine-{i}"),
                child: Mutex::new(None),
                killing: AtomicBool::new(false),
                log: dir.file(&format!("engine-{i}.log")),
                spawned_at: Mutex::new(None),
            })
        })
        .collect();
    for worker in &workers {
        worker.spawn(&url, &db, test_name);
    }
    // The database restarts after these many kills (evenly spread), when the plan has
    // any and a restart command is given.
    let mut restart_after: Vec<u32> = match restart {
        Some(_) => (1..=plan.restarts)
            .map(|i| target_kills * i / (plan.restarts + 1))
            .collect(),
        None => Vec::new(),
    };
    let mut restarts = 0u32;

    let mut problems: Vec<String> = Vec::new();
    let mut kills = 0u32;
    let mut rng = SplitMix64::new(seed ^ 0x5eed);
    // The kills: one at a time, at a random worker, while the world moves.
    while kills < target_kills && started.elapsed() < KILL_BUDGET {
        if restart_after.first().is_some_and(|&after| kills >= after) {
            restart_after.remove(0);
            if let Some(command) = restart {
                // The workers' calls fail while it is down; they must carry on after.
                // No pipes: the restarted server would hold them open for good.
                let status = Command::new("sh")
                    .args(["-c", command])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                match status {
                    Ok(status) if status.success() => restarts += 1,
                    Ok(status) => problems.push(format!("the database restart failed ({status})")),
                    Err(e) => problems.push(format!("the database restart did not run: {e}")),
                }
            }
        }
        let worker = workers[rng.between(0, plan.engines as u64 - 1) as usize].clone();
        let deadline = if rng.below(100) < 60 {
            let point = if rng.below(100) < 50 {
                TripPoint::BeforeEffect
            } else {
                TripPoint::AfterEffect
            };
            // Most tripwires wait for a write: a sales order created, an
            // acknowledgement sent, with the answer lost or the request never made.
            let writes_only = rng.below(100) < 70;
            let target = worker.clone();
            served.arm(Tripwire {
                caller: worker.name.clone(),
                at_request: if writes_only {
                    rng.between(1, 3)
                } else {
                    rng.between(1, 60)
                },
                writes_only,
                point,
                action: Box::new(move || target.kill()),
            });
            // A worker with nothing to ask for is killed by the clock instead.
            Instant::now() + Duration::from_millis(1_500)
        } else {
            Instant::now() + Duration::from_millis(rng.between(5, 400))
        };
        let mut killed_at_deadline = false;
        loop {
            world.step(true, KILL_RATE);
            let reaped = reap(&workers, &url, &db, test_name, &mut kills, &mut problems);
            if reaped.contains(&worker.name) {
                break;
            }
            if Instant::now() >= deadline && !killed_at_deadline {
                served.disarm(&worker.name);
                worker.kill();
                killed_at_deadline = true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        served.disarm(&worker.name);
    }

    // The final clean run: nothing more is added, the reviewer approves what is left,
    // time moves until every order has settled and both engines find nothing to do.
    let settle_started = Instant::now();
    let mut settled = false;
    while settle_started.elapsed() < SETTLE_BUDGET {
        world.step(false, SETTLE_RATE);
        reap(&workers, &url, &db, test_name, &mut kills, &mut problems);
        let cycles = served.cycles();
        let quiet = workers
            .iter()
            .all(|w| cycles.get(&w.name).is_some_and(|c| c.quiet_in_a_row >= 3));
        if quiet && settled_in(store, &world) {
            settled = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    served.stop_engines();
    let stop_deadline = Instant::now() + Duration::from_secs(15);
    for worker in &workers {
        let exit = loop {
            if let Some(exit) = worker.exited() {
                break Some(exit);
            }
            if Instant::now() >= stop_deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        match exit {
            Some((false, status)) if status.success() => {}
            Some((_, status)) => {
                problems.push(format!("{} ended the clean run with {status}", worker.name))
            }
            None => {
                problems.push(format!("{} did not stop when told", worker.name));
                worker.kill();
            }
        }
    }
    if !settled {
        problems.push(format!(
            "the clean run did not settle within {SETTLE_BUDGET:?}; {}",
            unsettled(store, &world, &served.cycles())
        ));
    }

    let check = check_invariants(store, &world);
    problems.extend(check.violations.iter().cloned());
    let cycles = served.cycles();
    match db {
        StoreSpec::Sqlite(_) => println!(
            "kill test: {kills} kills, {} duplicate sales orders, {} lost orders, {} duplicate acknowledgements",
            check.duplicate_sales_orders, check.lost_orders, check.duplicate_acknowledgements
        ),
        StoreSpec::Postgres { .. } => println!(
            "postgres kill test: {kills} kills, {restarts} database restarts, {} workers, {} duplicate sales orders, {} lost orders, {} duplicate acknowledgements",
            plan.engines,
            check.duplicate_sales_orders,
            check.lost_orders,
            check.duplicate_acknowledgements
        ),
    }
    let fired = served.fired();
    let after = fired
        .iter()
        .filter(|(p, _)| *p == TripPoint::AfterEffect)
        .count();
    let writes = fired
        .iter()
        .filter(|(_, line)| !line.starts_with("GET") && !line.contains("suiteql"))
        .count();
    println!(
        "seed {seed}: {} retail and {} Direct Fulfillment POs ({} lowered by the reviewer); \
         {} kills at a tripwire ({after} after the effect, {writes} at a write), the rest on a timer; \
         {} second creates refused by NetSuite; cycles {:?}; {:.1} s",
        world.retail.len(),
        world.direct_fulfillment.len(),
        world.lowered.len(),
        fired.len(),
        served.refused_creates(),
        cycles
            .iter()
            .map(|(n, c)| (n.as_str(), c.cycles))
            .collect::<Vec<_>>(),
        started.elapsed().as_secs_f64()
    );
    if std::env::var_os("AVC_KILL_VERBOSE").is_some() {
        for (point, line) in &fired {
            println!("tripwire {point:?} at {line}");
        }
        // What the engines reported, each distinct line once with its count.
        let mut reported: BTreeMap<String, u32> = BTreeMap::new();
        for worker in &workers {
            let log = std::fs::read_to_string(&worker.log).unwrap_or_default();
            for line in log.lines().filter(|l| l.starts_with("engine-")) {
                let text = line.split_once(": ").map_or(line, |(_, rest)| rest);
                *reported.entry(text.to_owned()).or_default() += 1;
            }
        }
        for (line, count) in reported {
            println!("{count:>4} × {line}");
        }
    }
    drop(served);
    if kills < target_kills {
        problems.push(format!(
            "only {kills} of {target_kills} kills within {KILL_BUDGET:?}"
        ));
    }
    if restart.is_some() && restarts < plan.restarts {
        problems.push(format!(
            "only {restarts} of {} database restarts",
            plan.restarts
        ));
    }
    if !problems.is_empty() {
        let mut outlines = Vec::new();
        for worker in &workers {
            let log = std::fs::read_to_string(&worker.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!("--- last lines of {}:", worker.name);
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
            let spawned = *worker
                .spawned_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            outlines.push(log_outline(&worker.name, &log, spawned));
        }
        panic!(
            "seed {seed} (AVC_KILL_SEED={seed} replays the plan): {} problem(s):\n{}\n{}",
            problems.len(),
            problems.join("\n"),
            outlines.join("\n")
        );
    }
    assert_eq!(
        (
            check.duplicate_sales_orders,
            check.lost_orders,
            check.duplicate_acknowledgements
        ),
        (0, 0, 0)
    );
    true
}

/// Restarts every worker whose child has exited, on the same file: a kill the parent
/// made is counted, any other exit is a problem. Returns the workers restarted after a
/// kill.
/// What a worker's log says of its cycles, in a line short enough to stay in the
/// failure's message: how long ago its last child started, how many cycles failed or
/// reported errors, the last of each, and the log's last line.
fn log_outline(name: &str, log: &str, spawned: Option<Instant>) -> String {
    let failed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(": cycle failed: "))
        .collect();
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(": cycle error: "))
        .collect();
    let last = |lines: &[&str]| {
        lines
            .last()
            .map(|l| l.chars().take(300).collect::<String>())
            .unwrap_or_default()
    };
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    format!(
        "{name}: last started {:?} ago; {} cycle(s) failed (last: {}), {} error(s) reported (last: {}); last line: {}",
        spawned.map(|at| at.elapsed()),
        failed.len(),
        last(&failed),
        errors.len(),
        last(&errors),
        last(&lines)
    )
}

fn reap(
    workers: &[Arc<Worker>],
    url: &str,
    db: &StoreSpec,
    test_name: &str,
    kills: &mut u32,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let mut killed = Vec::new();
    for worker in workers {
        let Some((by_parent, status)) = worker.exited() else {
            continue;
        };
        if by_parent {
            *kills += 1;
            killed.push(worker.name.clone());
        } else {
            problems.push(format!("{} exited by itself: {status}", worker.name));
        }
        worker.spawn(url, db, test_name);
    }
    killed
}

fn key(program: Program, number: &str) -> OrderKey {
    OrderKey {
        program,
        number: PurchaseOrderNumber::new(number).expect("a PO number"),
    }
}

fn every_po(world: &World) -> Vec<OrderKey> {
    world
        .retail
        .iter()
        .map(|n| key(Program::RetailProcurement, n))
        .chain(
            world
                .direct_fulfillment
                .iter()
                .map(|n| key(Program::DirectFulfillment, n)),
        )
        .collect()
}

fn is_settled(stored: &StoredOrder) -> bool {
    stored.in_flight.is_none()
        && matches!(
            stored.record.state(),
            OrderState::ExpectShipment | OrderState::Closed { .. } | OrderState::Cancelled { .. }
        )
}

/// Every PO Amazon holds is in the store and has reached the end of its sync.
fn settled_in(store: &ParentStore, world: &World) -> bool {
    let Ok(stored) = store.snapshot() else {
        return false;
    };
    let stored: BTreeMap<OrderKey, StoredOrder> = stored.into_iter().collect();
    every_po(world)
        .iter()
        .all(|k| stored.get(k).is_some_and(is_settled))
}

/// What kept the clean run from settling: each unsettled order with its state and
/// whether a command was in flight, and each worker's quiet cycles in a row.
fn unsettled(
    store: &ParentStore,
    world: &World,
    cycles: &BTreeMap<String, impl std::fmt::Debug>,
) -> String {
    let stored: BTreeMap<OrderKey, StoredOrder> = match store.snapshot() {
        Ok(orders) => orders.into_iter().collect(),
        Err(e) => return format!("the store cannot be read: {e}"),
    };
    let orders: Vec<String> = every_po(world)
        .iter()
        .filter_map(|k| match stored.get(k) {
            None => Some(format!("{k} not stored")),
            Some(s) if is_settled(s) => None,
            Some(s) => Some(format!(
                "{k} in {}{}",
                s.record.state().kind(),
                if s.in_flight.is_some() {
                    " (in flight)"
                } else {
                    ""
                }
            )),
        })
        .collect();
    format!("unsettled: [{}]; workers: {cycles:?}", orders.join(", "))
}

struct Check {
    duplicate_sales_orders: u64,
    lost_orders: u64,
    duplicate_acknowledgements: u64,
    violations: Vec<String>,
}

/// The fault simulation's invariants, on the simulators and the store after the
/// clean run.
fn check_invariants(store: &ParentStore, world: &World) -> Check {
    let mut check = Check {
        duplicate_sales_orders: 0,
        lost_orders: 0,
        duplicate_acknowledgements: 0,
        violations: Vec::new(),
    };
    let stored: BTreeMap<OrderKey, StoredOrder> = match store.snapshot() {
        Ok(orders) => orders.into_iter().collect(),
        Err(e) => {
            check
                .violations
                .push(format!("the store cannot be read: {e}"));
            return check;
        }
    };
    let pos = every_po(world);
    let known: BTreeSet<String> = pos
        .iter()
        .map(|k| mapping_external_id(k).as_str().to_owned())
        .collect();
    // No sales order for a PO that does not exist.
    for external_id in world.netsuite.external_ids() {
        if !known.contains(external_id.as_str()) {
            check.duplicate_sales_orders += 1;
            check
                .violations
                .push(format!("sales order {external_id} belongs to no PO"));
        }
    }
    for key in &pos {
        let external_id = mapping_external_id(key);
        let creations = u64::from(world.netsuite.creations(&external_id));
        check.duplicate_sales_orders += creations.saturating_sub(1);
        if creations > 1 {
            check
                .violations
                .push(format!("{key}: {creations} sales orders created"));
        }
        let Some(order) = stored.get(key) else {
            check.lost_orders += 1;
            check.violations.push(format!("{key}: not in the store"));
            continue;
        };
        if creations == 0 {
            check.lost_orders += 1;
            check
                .violations
                .push(format!("{key}: no sales order in NetSuite"));
        }
        if !is_settled(order) {
            check.violations.push(format!(
                "{key}: did not settle: {} (in flight: {:?})",
                order.record.status_label(),
                order.in_flight
            ));
        }

        // Acknowledgements: one per version, none above the ordered quantity.
        let number = key.number.as_str();
        let received: Vec<_> = world
            .amazon
            .acknowledgements_for(number)
            .into_iter()
            .filter(|a| a.program == key.program)
            .collect();
        let versions = order
            .record
            .acknowledgement_version()
            .map_or(0, |v| u64::from(v.0));
        let count = received.len() as u64;
        check.duplicate_acknowledgements += count.saturating_sub(versions);
        if count > versions {
            check.violations.push(format!(
                "{key}: {count} acknowledgements received for {versions} version(s)"
            ));
        }
        if count < versions {
            check.violations.push(format!(
                "{key}: {versions} acknowledgement version(s), {count} received by Amazon"
            ));
        }
        if versions != 1 {
            check.violations.push(format!(
                "{key}: {versions} acknowledgement versions where one was expected; history {:?}",
                order.record.history()
            ));
        }
        let ordered: BTreeMap<String, u64> = order
            .record
            .purchase_order()
            .lines
            .iter()
            .map(|l| {
                (
                    l.sequence.as_str().to_owned(),
                    l.ordered.eaches().unwrap_or(0),
                )
            })
            .collect();
        for acknowledgement in &received {
            let mut by_line: BTreeMap<String, u64> = BTreeMap::new();
            for line in acknowledgement.lines() {
                *by_line
                    .entry(line.sequence.clone().unwrap_or_default())
                    .or_default() += line.eaches().unwrap_or(u64::MAX);
            }
            for (sequence, eaches) in by_line {
                match ordered.get(&sequence) {
                    Some(&max) if eaches <= max => {}
                    max => check.violations.push(format!(
                        "{key}: line {sequence} acknowledged {eaches} eaches, ordered {max:?}"
                    )),
                }
            }
        }

        // The final state agrees with both services.
        let netsuite = world.netsuite.snapshot(&external_id).map(|s| s.status);
        let agrees = match order.record.state() {
            OrderState::ExpectShipment => {
                let at_amazon = match key.program {
                    Program::RetailProcurement => world
                        .amazon
                        .retail_state(number)
                        .is_some_and(|s| s == retail::PurchaseOrderState::Acknowledged),
                    Program::DirectFulfillment => world
                        .amazon
                        .df_status(number)
                        .is_some_and(|s| s == df::OrderStatus::Accepted),
                };
                at_amazon && netsuite == Some(NetSuiteStatus::PendingFulfillment)
            }
            OrderState::Closed { .. } => netsuite == Some(NetSuiteStatus::Closed),
            _ => true,
        };
        if !agrees {
            check.violations.push(format!(
                "{key}: {} in the store, {netsuite:?} in NetSuite",
                order.record.status_label()
            ));
        }
    }
    // Every stored order is one Amazon holds.
    for key in stored.keys() {
        if !pos.contains(key) {
            check
                .violations
                .push(format!("{key}: stored but not at Amazon"));
        }
    }
    check
}

fn mapping_external_id(key: &OrderKey) -> ExternalId {
    avc_order_sync::external_id(key.program, &key.number)
}
