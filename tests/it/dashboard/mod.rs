//! The dashboard example's server: its routes on their own (the token, GETs that
//! change nothing), and the whole of it in a real browser, headless Chromium driven
//! through chromedriver.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use avc_order_sync::StateKind;
use fantoccini::{Client, ClientBuilder, Locator};

/// The server exactly as the example runs it.
#[allow(dead_code)]
#[path = "../../../examples/dashboard/server.rs"]
mod server;

use server::{Demo, Site};

/// What the Rejected order is waiting for, and what a Repost makes it.
const REJECTED: &str = "ExpectRepost";
const WAITING_FOR_AMAZON: &str = "ExpectAcknowledgementConfirmation";

/// Plays the example's world until an order waits for a Repost.
async fn demo_with_a_rejection() -> Arc<Demo> {
    let demo = Demo::new().expect("the example's world");
    for _ in 0..12 {
        if demo.state(demo.rejected()) == Some(StateKind::ExpectRepost) {
            break;
        }
        demo.cycle().await.expect("a cycle");
    }
    assert_eq!(
        demo.state(demo.rejected()),
        Some(StateKind::ExpectRepost),
        "Amazon rejects an acknowledgement within twelve cycles"
    );
    Arc::new(demo)
}

#[tokio::test(flavor = "current_thread")]
async fn an_action_needs_the_servers_token_and_a_post() {
    let demo = demo_with_a_rejection().await;
    let key = demo.rejected().clone();
    let site = Site::new(demo.clone(), "the-token", 8080);
    let host = Some("127.0.0.1:8080");
    let action = format!("{}/repost", server::order_path(&key));

    // A GET of the action's URL, a POST with another token or with none: refused, and
    // nothing is sent to Amazon.
    assert_eq!(site.answer("GET", &action, host, "").await.status, 405);
    let query = format!("{action}?token=the-token");
    assert_eq!(site.answer("GET", &query, host, "").await.status, 405);
    let wrong = site.answer("POST", &action, host, "token=the-tokeN").await;
    assert_eq!(wrong.status, 403);
    assert_eq!(site.answer("POST", &action, host, "").await.status, 400);
    // The right token through another name for the host (a rebinding DNS name).
    let other = site
        .answer(
            "POST",
            &action,
            Some("attacker.example:8080"),
            "token=the-token",
        )
        .await;
    assert_eq!(other.status, 400);
    assert_eq!(demo.state(&key), Some(StateKind::ExpectRepost));
    assert_eq!(demo.acknowledgement_count(&key), 1);

    // Pages read, and change nothing either.
    let list = site.answer("GET", "/?group=rejected", host, "").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(key.number.as_str()), "{}", list.body);
    let page = site
        .answer("GET", &server::order_path(&key), host, "")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"action-repost\""), "{}", page.body);
    assert_eq!(demo.state(&key), Some(StateKind::ExpectRepost));

    // With the token, the Repost is done and the browser sent to the order's page.
    let done = site.answer("POST", &action, host, "token=the-token").await;
    assert_eq!(done.status, 303);
    assert_eq!(
        done.location.as_deref(),
        Some(server::order_path(&key).as_str())
    );
    assert_eq!(
        demo.state(&key),
        Some(StateKind::ExpectAcknowledgementConfirmation)
    );
    assert_eq!(demo.acknowledgement_count(&key), 2);

    // The same Repost again no longer fits the order: refused, nothing sent.
    let again = site.answer("POST", &action, host, "token=the-token").await;
    assert_eq!(again.status, 409);
    assert_eq!(demo.acknowledgement_count(&key), 2);
}

// ---------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------

/// Where the browser and its driver are, when both are installed.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let find = |name: &str| {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    };
    let chromium = find("chromium").or_else(|| find("chromium-browser"))?;
    Some((chromium, find("chromedriver")?))
}

/// chromedriver on a free port of 127.0.0.1, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver listens within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory for the browser's profile, removed when dropped.
struct Profile(PathBuf);

impl Profile {
    fn new() -> Profile {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "avc-order-sync-chromium-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create the profile directory");
        Profile(path)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let dir = target.join("dashboard-screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshots directory");
    dir
}

type Failure = Box<dyn std::error::Error>;

async fn data_state(client: &Client, selector: &str) -> Result<Option<String>, Failure> {
    Ok(client
        .find(Locator::Css(selector))
        .await?
        .attr("data-state")
        .await?)
}

/// Waits until the browser's URL has `query`.
async fn wait_for_query(client: &Client, query: &str) -> Result<(), Failure> {
    let started = Instant::now();
    loop {
        let url = client.current_url().await?;
        if url.query().is_some_and(|q| q.contains(query)) {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err(format!("the browser is at {url}, without {query}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the browser shows `path`.
async fn wait_for_path(client: &Client, path: &str) -> Result<(), Failure> {
    let started = Instant::now();
    loop {
        let url = client.current_url().await?;
        if url.path() == path {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err(format!("the browser is at {url}, not {path}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Fails the walk (rather than panicking, so the browser is still closed).
macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+).into());
        }
    };
}

/// An operator's walk: the dashboard, the Rejected filter, the rejected order, Repost,
/// and after the next cycle the order waiting for Amazon's response.
async fn walk(client: &Client, url: &str, demo: &Demo) -> Result<(), Failure> {
    let key = demo.rejected().clone();
    let number = key.number.as_str();
    let shots = screenshots_dir();

    client.goto(url).await?;
    client
        .wait()
        .for_element(Locator::Css("table#orders"))
        .await?;
    let rows = client
        .find_all(Locator::Css("table#orders tr[data-state]"))
        .await?;
    ensure!(rows.len() > 5, "the dashboard lists {} orders", rows.len());
    std::fs::write(shots.join("dashboard.png"), client.screenshot().await?)?;

    // The Rejected filter shows the rejected order alone.
    client
        .find(Locator::Id("group-rejected"))
        .await?
        .click()
        .await?;
    wait_for_query(client, "group=rejected").await?;
    let rows = client
        .find_all(Locator::Css("table#orders tr[data-state]"))
        .await?;
    ensure!(rows.len() == 1, "{} orders are under Rejected", rows.len());
    let state = rows[0].attr("data-state").await?;
    ensure!(state.as_deref() == Some(REJECTED), "the row is {state:?}");
    let text = rows[0].text().await?;
    ensure!(text.contains(number), "the row is {text:?}");

    // Its page: Rejected, with Amazon's reason and a Repost button.
    client
        .find(Locator::LinkText(number))
        .await?
        .click()
        .await?;
    wait_for_path(client, &server::order_path(&key)).await?;
    let state = data_state(client, "dl#order").await?;
    ensure!(state.as_deref() == Some(REJECTED), "the order is {state:?}");
    let reason = client.find(Locator::Id("reason")).await?.text().await?;
    ensure!(!reason.is_empty(), "the page shows no reason");
    client
        .find(Locator::Id("action-repost"))
        .await?
        .click()
        .await?;

    // The POST comes back to the order's page; the next cycle runs; the page shows the
    // order waiting for Amazon.
    wait_for_path(client, &server::order_path(&key)).await?;
    client.wait().for_element(Locator::Css("dl#order")).await?;
    let sent = demo.acknowledgement_count(&key);
    ensure!(
        sent == 2,
        "Amazon has {sent} acknowledgements of the order, not 2"
    );
    demo.cycle().await.map_err(|e| e.to_string())?;
    client.refresh().await?;
    client.wait().for_element(Locator::Css("dl#order")).await?;
    let state = data_state(client, "dl#order").await?;
    ensure!(
        state.as_deref() == Some(WAITING_FOR_AMAZON),
        "after the Repost and a cycle the order is {state:?}"
    );
    let status = client.find(Locator::Id("status")).await?.text().await?;
    ensure!(
        status == "Waiting for response from Amazon",
        "the status reads {status:?}"
    );
    std::fs::write(shots.join("order.png"), client.screenshot().await?)?;
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
async fn an_operator_reposts_a_rejected_order_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser() else {
        let notice = "chromium and chromedriver are not installed: the browser test did not \
                      run (apt-get install chromium chromium-driver)";
        assert!(std::env::var_os("CI").is_none(), "{notice}");
        eprintln!("{notice}");
        return;
    };
    let demo = demo_with_a_rejection().await;
    let served = server::serve(
        demo.clone(),
        0,
        &server::new_token(),
        Duration::from_secs(120),
    )
    .expect("serve the dashboard");
    let driver = Driver::start(&chromedriver);
    let profile = Profile::new();

    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.0.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session through chromedriver");

    let walked = tokio::time::timeout(
        Duration::from_secs(120),
        walk(&client, &served.url(), &demo),
    )
    .await;
    // The browser is closed whatever happened, then the outcome is judged.
    let _ = client.close().await;
    drop(driver);
    match walked {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("the walk through the dashboard failed: {e}"),
        Err(_) => panic!("the walk through the dashboard took over 120 s"),
    }
    assert_eq!(
        demo.state(demo.rejected()),
        Some(StateKind::ExpectAcknowledgementConfirmation)
    );
}
