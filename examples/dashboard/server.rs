//! The dashboard served on 127.0.0.1 over the crate's simulators: a played world
//! ([`Demo`]), the routes an integrator's server gives the renderer ([`Site`]), and a
//! small `tiny_http` server around them ([`serve`]).
//!
//! The example runs it; the browser test includes this file and drives the same code.

use std::collections::hash_map::RandomState;
use std::error::Error;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::io::Read as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use avc_order_sync::testing::orders::{self, RetailLine, RetailOrderBuilder};
use avc_order_sync::testing::{World, catalogue_settings};
use avc_order_sync::{ActionKind, CycleReport, Dashboard, DashboardRequest, EngineError};
use avc_order_sync::{ExternalId, OperatorAction, OrderKey, PageRequest};
use avc_order_sync::{Program, PurchaseOrderNumber, StateKind, escape_html, external_id};
use chrono::TimeDelta;

/// How far the simulated clock moves after each cycle.
pub const CYCLE_STEP: Duration = Duration::from_secs(5 * 60);

/// Orders on one page of the list.
pub const PAGE_SIZE: usize = 25;

/// The largest form body read.
const MAX_BODY: u64 = 16 * 1024;

/// A world like the quickstart's, played a cycle at a time: Retail Procurement orders
/// wait for a reviewer in NetSuite, who approves most of them and leaves one pending;
/// Amazon lowers a cost on one PO while its acknowledgement is on the way, so it
/// rejects the acknowledgement; Amazon's new cost reaches the sales order, and the
/// order waits on the Rejected filter for the operator's Repost. One PO carries an
/// item nobody mapped. Direct Fulfillment orders are acknowledged on receipt.
pub struct Demo {
    world: World,
    script: Mutex<Script>,
    retail: Vec<String>,
    pending: String,
    rejected: OrderKey,
}

#[derive(Default)]
struct Script {
    cycles: u64,
    cut: bool,
}

type BoxError = Box<dyn Error + Send + Sync>;

impl Demo {
    /// The world before its first cycle.
    ///
    /// # Errors
    /// When the simulators refuse the seeded orders.
    pub fn new() -> Result<Demo, BoxError> {
        let world = World::new(catalogue_settings(false, true));
        let start = world.now();
        world.amazon.set_processing_time(Duration::from_secs(120));
        let mut retail: Vec<String> = (0..7)
            .map(|i| orders::purchase_order_number(100 + i))
            .collect();
        for (i, number) in retail.iter().enumerate() {
            let placed = start - TimeDelta::minutes(240 - 20 * i as i64);
            world
                .amazon
                .add_retail_order(orders::retail_order(number, placed, 1 + i % 3))?;
        }
        // Kettles and blenders, the order whose acknowledgement Amazon will reject.
        let rejected = orders::purchase_order_number(107);
        world.amazon.add_retail_order(
            RetailOrderBuilder::new(&rejected, start - TimeDelta::minutes(90))
                .line(RetailLine::product(&orders::PRODUCTS[0], 3))
                .line(RetailLine::product(&orders::PRODUCTS[5], 4))
                .build(),
        )?;
        retail.push(rejected.clone());
        world.amazon.add_retail_order(
            RetailOrderBuilder::new("7UNMAPD1", start - TimeDelta::minutes(45))
                .line(RetailLine::product(&orders::PRODUCTS[0], 2))
                .line(RetailLine::eaches("B0NEWITEM1", "NEW-SKU-2026", 12, "7.25"))
                .build(),
        )?;
        for i in 0..4u64 {
            let number = orders::purchase_order_number(900 + i);
            let placed = start - TimeDelta::minutes(200 - 30 * i as i64);
            world
                .amazon
                .add_df_order(orders::df_order(&number, placed, 1 + (i as usize) % 3))?;
        }
        let pending = retail[0].clone();
        let rejected = OrderKey {
            program: Program::RetailProcurement,
            number: PurchaseOrderNumber::new(rejected)?,
        };
        Ok(Demo {
            world,
            script: Mutex::new(Script::default()),
            retail,
            pending,
            rejected,
        })
    }

    /// The engine the dashboard reads and acts through.
    pub fn engine(&self) -> &avc_order_sync::Engine {
        &self.world.engine
    }

    /// The order whose acknowledgement Amazon rejects.
    pub fn rejected(&self) -> &OrderKey {
        &self.rejected
    }

    /// Now, on the world's simulated clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.world.now()
    }

    /// The order's state as the store holds it.
    pub fn state(&self, key: &OrderKey) -> Option<StateKind> {
        self.world.order(key).map(|o| o.record.state().kind())
    }

    /// How many acknowledgements of the order's PO Amazon received.
    pub fn acknowledgement_count(&self, key: &OrderKey) -> usize {
        self.world.acknowledgements(key).len()
    }

    /// One cycle of the engine, then what the people at Amazon and NetSuite do in
    /// answer, then the clock moved on by [`CYCLE_STEP`].
    ///
    /// # Errors
    /// As [`avc_order_sync::Engine::run_cycle`], and when a simulator refuses a move.
    pub async fn cycle(&self) -> Result<CycleReport, BoxError> {
        let report = self.world.run_cycle().await?;
        self.play()?;
        self.world.advance(CYCLE_STEP);
        Ok(report)
    }

    fn play(&self) -> Result<(), BoxError> {
        let mut script = self.script.lock().unwrap_or_else(PoisonError::into_inner);
        script.cycles += 1;
        let netsuite = &self.world.netsuite;
        let rejected = self.rejected.number.as_str();
        if script.cycles == 1 {
            // The reviewer starts with the kettles and blenders; its acknowledgement
            // goes out alone, so Amazon's answer is about it alone.
            netsuite.approve(&retail_external_id(rejected)?)?;
        }
        if script.cycles == 2 {
            // Then approves the rest but one, which stays pending.
            for number in self
                .retail
                .iter()
                .filter(|n| **n != self.pending && *n != rejected)
            {
                netsuite.approve(&retail_external_id(number)?)?;
            }
        }
        if !script.cut
            && self.state(&self.rejected) == Some(StateKind::ExpectAcknowledgementConfirmation)
        {
            // Amazon lowers the kettles' cost while the acknowledgement is on its way:
            // the acknowledgement's cost is above the PO's, and Amazon rejects it when
            // it decides the transaction. The engine brings the new cost to the sales
            // order; the Repost is the operator's, on the dashboard.
            self.world
                .amazon
                .set_retail_net_cost(rejected, "1", "17.90")?;
            script.cut = true;
        }
        Ok(())
    }
}

fn retail_external_id(number: &str) -> Result<ExternalId, BoxError> {
    Ok(external_id(
        Program::RetailProcurement,
        &PurchaseOrderNumber::new(number)?,
    ))
}

/// A token for the dashboard's forms, new in each process: 128 bits from two
/// randomly keyed hashers (keyed from the operating system's randomness) over the
/// time and the process id.
pub fn new_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut token = String::with_capacity(32);
    for part in 0..2u8 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(part);
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        let _ = write!(token, "{:016x}", hasher.finish());
    }
    token
}

/// Compares in time that depends on the lengths only.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Where a 303 sends the browser.
    pub location: Option<String>,
    /// The body, HTML or plain text.
    pub body: String,
    /// Whether the body is HTML.
    pub html: bool,
}

impl Answer {
    fn page(body: String) -> Answer {
        Answer {
            status: 200,
            location: None,
            body,
            html: true,
        }
    }

    fn text(status: u16, body: &str) -> Answer {
        Answer {
            status,
            location: None,
            body: format!("{body}\n"),
            html: false,
        }
    }
}

/// The dashboard mounted at the root of a server: the renderer, the engine, and the
/// token every POST must carry.
pub struct Site {
    demo: Arc<Demo>,
    dashboard: Dashboard,
    token: String,
    hosts: Vec<String>,
}

impl Site {
    /// The site for a server on `port` of 127.0.0.1, whose forms carry `token`.
    pub fn new(demo: Arc<Demo>, token: &str, port: u16) -> Site {
        Site {
            demo,
            dashboard: Dashboard::new("", token),
            token: token.to_owned(),
            hosts: vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")],
        }
    }

    /// The answer to a request. `url` is the path and query as sent, `host` the Host
    /// header, `body` the form body of a POST. A GET never changes anything; a POST
    /// acts only with the site's token, then sends the browser to the order's page.
    pub async fn answer(&self, method: &str, url: &str, host: Option<&str>, body: &str) -> Answer {
        // A page reached through another name (a rebinding DNS name) is not served.
        if !host.is_some_and(|h| self.hosts.iter().any(|a| a == h)) {
            return Answer::text(400, "unexpected Host header");
        }
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let post = match method {
            "GET" | "HEAD" => false,
            "POST" => true,
            _ => return Answer::text(405, "method not allowed"),
        };
        let form = if post { body } else { query };
        let Some(request) = DashboardRequest::parse(post, "", path, form) else {
            return if !post && DashboardRequest::parse(true, "", path, "token=").is_some() {
                Answer::text(405, "actions are POST forms")
            } else if post {
                Answer::text(400, "not an action form")
            } else {
                Answer::text(404, "not found")
            };
        };
        match self.route(request).await {
            Ok(answer) => answer,
            Err(e) => Answer::text(500, &format!("the engine failed: {e}")),
        }
    }

    async fn route(&self, request: DashboardRequest) -> Result<Answer, EngineError> {
        let engine = self.demo.engine();
        match request {
            DashboardRequest::List { filter, after } => {
                let counts = engine.group_counts().await?;
                let page = engine
                    .orders(
                        &filter,
                        &PageRequest {
                            limit: PAGE_SIZE,
                            after,
                        },
                    )
                    .await?;
                Ok(Answer::page(self.dashboard.list_page(&counts, &page)))
            }
            DashboardRequest::Order { key } => Ok(match engine.order(&key).await? {
                Some(view) => Answer::page(self.dashboard.order_page(&view)),
                None => Answer::text(404, "no such order"),
            }),
            DashboardRequest::Action {
                key,
                action,
                reason,
                token,
            } => {
                if !same_token(&token, &self.token) {
                    return Ok(Answer::text(403, "the form's token is not this server's"));
                }
                let Some(action) = operator_action(action, reason) else {
                    return Ok(Answer::text(400, "this action needs a reason"));
                };
                let location = order_path(&key);
                match engine.act(&key, action).await {
                    Ok(_) => Ok(Answer {
                        status: 303,
                        location: Some(location),
                        body: String::new(),
                        html: false,
                    }),
                    Err(e @ (EngineError::UnknownOrder { .. } | EngineError::Transition(_))) => {
                        Ok(Answer {
                            status: 409,
                            location: None,
                            body: format!(
                                "<!DOCTYPE html>\n<title>Not done</title>\n<p>Not done: {}</p>\n\
                                 <p><a href=\"{}\">Back to the order</a></p>\n",
                                escape_html(&e.to_string()),
                                escape_html(&location)
                            ),
                            html: true,
                        })
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
}

fn operator_action(action: ActionKind, reason: Option<String>) -> Option<OperatorAction> {
    Some(match action {
        ActionKind::Retry => OperatorAction::RetryNow,
        ActionKind::Repost => OperatorAction::Repost,
        ActionKind::Hold => OperatorAction::Hold { reason: reason? },
        ActionKind::Release => OperatorAction::Release,
        ActionKind::Cancel => OperatorAction::Cancel { reason: reason? },
        ActionKind::Refetch => OperatorAction::Refetch,
    })
}

/// The path of an order's page, as the renderer links it.
pub fn order_path(key: &OrderKey) -> String {
    let mut path = format!("/order/{}/", key.program.code());
    for b in key.number.as_str().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(b));
        } else {
            let _ = write!(path, "%{b:02X}");
        }
    }
    path
}

/// A running server; dropping it stops it.
pub struct Served {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Served {
    /// `http://127.0.0.1:{port}/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Asks the server to stop.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Waits until the server stops (asked to, or idle for its limit).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves the dashboard of `demo` on `port` of 127.0.0.1 (0: the system picks) until
/// stopped or `idle` passes without a request. Requests are answered one at a time on
/// a thread of the server's own.
///
/// # Errors
/// When the port cannot be bound.
pub fn serve(demo: Arc<Demo>, port: u16, token: &str, idle: Duration) -> Result<Served, BoxError> {
    let server = tiny_http::Server::http(("127.0.0.1", port))?;
    let port = server
        .server_addr()
        .to_ip()
        .ok_or("the server has no IP address")?
        .port();
    let site = Site::new(demo, token, port);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let thread = std::thread::spawn(move || {
        let mut last = Instant::now();
        while !flag.load(Ordering::SeqCst) && last.elapsed() < idle {
            let mut request = match server.recv_timeout(Duration::from_millis(100)) {
                Ok(Some(request)) => request,
                Ok(None) => continue,
                Err(_) => break,
            };
            last = Instant::now();
            let mut body = String::new();
            let read = request.as_reader().take(MAX_BODY).read_to_string(&mut body);
            let method = request.method().as_str().to_owned();
            let url = request.url().to_owned();
            let host = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Host"))
                .map(|h| h.value.as_str().to_owned());
            let answer = if read.is_err() {
                Answer::text(400, "the body is not UTF-8")
            } else {
                runtime.block_on(site.answer(&method, &url, host.as_deref(), &body))
            };
            respond(request, &answer);
        }
    });
    Ok(Served {
        port,
        stop,
        thread: Some(thread),
    })
}

fn respond(request: tiny_http::Request, answer: &Answer) {
    let content_type = if answer.html {
        "text/html; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut headers = vec![
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ];
    if let Some(location) = &answer.location {
        headers.push(("Location", location));
    }
    let mut response =
        tiny_http::Response::from_string(answer.body.as_str()).with_status_code(answer.status);
    for (name, value) in headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}
