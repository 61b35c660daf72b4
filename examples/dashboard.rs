//! The operator's dashboard on 127.0.0.1, over the built-in simulators.
//!
//! A world like the quickstart's plays out a cycle every few seconds, on a simulated
//! clock that moves five minutes a cycle: retail orders wait for approval in NetSuite,
//! Amazon rejects one acknowledgement (it cut a line while the acknowledgement was on
//! its way), the order is fixed in NetSuite, and waits on the Rejected filter for an
//! operator to press Repost. One order carries an item nobody mapped.
//!
//! ```sh
//! cargo run --example dashboard                 # a port the system picks
//! cargo run --example dashboard -- --port 8080
//! cargo run --example dashboard -- --once       # writes target/dashboard/*.html
//! ```
//!
//! Options: `--every SECONDS` between cycles (default 3), `--idle MINUTES` without a
//! request before the server stops (default 30). Ctrl-C stops it.
//!
//! `dashboard/server.rs` holds what an integrator's own server does: it routes each
//! request with `DashboardRequest::parse`, reads the engine (`Engine::orders`,
//! `Engine::order`, `Engine::group_counts`), renders with `Dashboard`, and acts with
//! `Engine::act` only on a POST that carries the process's token.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use avc_order_sync::{Dashboard, OrderFilter, PageRequest, StateKind, StatusGroup};

/// The server: the played world, the routes and the HTTP loop.
#[path = "dashboard/server.rs"]
mod server;

use server::{Demo, PAGE_SIZE};

type BoxError = Box<dyn Error + Send + Sync>;

/// Cycles the background thread runs at most: a few hours of the simulated clock.
const MAX_CYCLES: u64 = 2_000;

struct Options {
    port: u16,
    once: bool,
    every: Duration,
    idle: Duration,
}

fn options() -> Result<Options, BoxError> {
    let mut options = Options {
        port: 0,
        once: false,
        every: Duration::from_secs(3),
        idle: Duration::from_secs(30 * 60),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, BoxError> {
            let text = args.next().ok_or(format!("{name} needs a number"))?;
            Ok(text.parse().map_err(|_| format!("{name} needs a number"))?)
        };
        match arg.as_str() {
            "--once" => options.once = true,
            "--port" => options.port = u16::try_from(value("--port")?)?,
            "--every" => options.every = Duration::from_secs(value("--every")?),
            "--idle" => options.idle = Duration::from_secs(60 * value("--idle")?),
            other => {
                return Err(format!(
                    "unknown argument {other}; usage: dashboard [--port N] [--once] \
                     [--every SECONDS] [--idle MINUTES]"
                )
                .into());
            }
        }
    }
    Ok(options)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    )
}

fn runtime() -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?)
}

fn main() -> Result<(), BoxError> {
    let options = options()?;
    let demo = Arc::new(Demo::new()?);
    if options.once {
        return once(&demo);
    }
    let token = server::new_token();
    let served = server::serve(demo.clone(), options.port, &token, options.idle)?;
    println!("dashboard listening on {}", served.url());

    let stop = Arc::new(AtomicBool::new(false));
    let cycles = {
        let (demo, stop) = (demo.clone(), stop.clone());
        let every = options.every;
        std::thread::spawn(move || -> Result<(), String> {
            let runtime = runtime().map_err(|e| e.to_string())?;
            let (mut told, mut reposted) = (false, false);
            for n in 1..=MAX_CYCLES {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let now = demo.now();
                let report = runtime.block_on(demo.cycle()).map_err(|e| e.to_string())?;
                if !report.is_quiet() {
                    println!(
                        "cycle {n} at {}: {} orders changed",
                        avc_order_sync::format_instant(&now),
                        report.orders.len()
                    );
                }
                let state = demo.state(demo.rejected());
                if !told && state == Some(StateKind::ExpectRepost) {
                    println!(
                        "Amazon rejected the acknowledgement of {}: open it under Rejected \
                         and press Repost",
                        demo.rejected()
                    );
                    told = true;
                } else if told && !reposted && state != Some(StateKind::ExpectRepost) {
                    println!(
                        "{} reposted: Amazon has {} acknowledgements of it",
                        demo.rejected(),
                        demo.acknowledgement_count(demo.rejected())
                    );
                    reposted = true;
                }
                std::thread::sleep(every);
            }
            Ok(())
        })
    };
    served.wait();
    stop.store(true, Ordering::SeqCst);
    match cycles.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => return Err("the cycle thread panicked".into()),
    }
    println!("no request for the idle limit; stopped");
    Ok(())
}

/// Plays cycles until an order waits for a Repost, then writes the list and that
/// order's page under `target/dashboard/`.
fn once(demo: &Demo) -> Result<(), BoxError> {
    let runtime = runtime()?;
    for _ in 0..12 {
        if demo.state(demo.rejected()) == Some(StateKind::ExpectRepost) {
            break;
        }
        runtime.block_on(demo.cycle())?;
    }
    let engine = demo.engine();
    let dashboard = Dashboard::new("", &server::new_token());
    let (list, order) = runtime.block_on(async {
        let counts = engine.group_counts().await?;
        let page = engine
            .orders(
                &OrderFilter::group(StatusGroup::All),
                &PageRequest::first(PAGE_SIZE),
            )
            .await?;
        let view = engine
            .order(demo.rejected())
            .await?
            .ok_or("the rejected order is not stored")?;
        Ok::<_, BoxError>((
            dashboard.list_page(&counts, &page),
            dashboard.order_page(&view),
        ))
    })?;
    let dir = target_dir().join("dashboard");
    std::fs::create_dir_all(&dir)?;
    let list_path = dir.join("index.html");
    let order_path = dir.join("order.html");
    std::fs::write(&list_path, list)?;
    std::fs::write(&order_path, order)?;
    println!("wrote {} and {}", list_path.display(), order_path.display());
    Ok(())
}
