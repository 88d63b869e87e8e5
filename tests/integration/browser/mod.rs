#![allow(dead_code)] // shared by the browser tests; not each uses every helper
//! Real headless Chromium (Debian's `chromium` and `chromium-driver`) driven through
//! WebDriver, plus one DevTools-protocol session on the page for what WebDriver cannot
//! do: deliver a push to the service worker, emulate being offline, and collect the
//! console (errors and CSP violations fail the tests that check for them).
//!
//! Each `Browser` has its own chromedriver and a fresh profile (no service worker,
//! cache or storage left from another test), at a phone's size (390 x 844).
//! The tests never skip: without the browser they fail and say how to install it.

pub mod cdp;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use thirtyfour::prelude::*;
use thirtyfour::ChromeCapabilities;

use cdp::Cdp;

pub const PHONE: (u32, u32) = (390, 844);

fn chromium_binary() -> String {
    std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".to_string())
}

fn chromedriver_binary() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_string())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Where the screenshots the README shows are written.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
}

pub struct Browser {
    pub driver: WebDriver,
    /// The DevTools session of the page the driver controls.
    pub page: Cdp,
    /// The app under test, e.g. `http://127.0.0.1:PORT`.
    pub base: String,
    debugger: String,
    /// DevTools sessions on service workers (kept open: offline emulation lasts as long).
    workers: tokio::sync::Mutex<Vec<Cdp>>,
    chromedriver: Child,
    profile: tempfile::TempDir,
}

impl Browser {
    /// A new headless Chromium on `base` (the app's origin), nothing loaded yet.
    pub async fn start(base: &str) -> Browser {
        Browser::start_with(base, &[]).await
    }

    /// `start`, with more command-line switches (`--host-resolver-rules=...`).
    pub async fn start_with(base: &str, extra_args: &[String]) -> Browser {
        for binary in [chromium_binary(), chromedriver_binary()] {
            assert!(
                Path::new(&binary).exists(),
                "{binary} is missing: the browser tests need Debian's Chromium and ChromeDriver \
                 (apt-get install -y chromium chromium-driver; the README's test command does it)"
            );
        }
        let port = free_port();
        let chromedriver = Command::new(chromedriver_binary())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile dir");
        let debug_port = free_port();
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chromium_binary()).unwrap();
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            // The machine has no internet: no background calls to Google's services.
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--no-default-browser-check".to_string(),
            format!("--window-size={},{}", PHONE.0, PHONE.1),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--remote-debugging-port={debug_port}"),
        ];
        for arg in args.iter().chain(extra_args) {
            caps.add_arg(arg).unwrap();
        }
        let url = format!("http://127.0.0.1:{port}");
        let driver = connect(&url, caps).await;
        let debugger = format!("127.0.0.1:{debug_port}");
        let page_ws = target_ws(&debugger, "page", "").await;
        let page = Cdp::connect(&page_ws).await;
        page.must("Page.enable", json!({})).await;
        page.must("Runtime.enable", json!({})).await;
        page.must("Log.enable", json!({})).await;
        // A phone's viewport, whatever the headless window ends up being.
        page.must(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": PHONE.0, "height": PHONE.1, "deviceScaleFactor": 1, "mobile": true}),
        )
        .await;
        Browser {
            driver,
            page,
            base: base.trim_end_matches('/').to_string(),
            debugger,
            workers: tokio::sync::Mutex::default(),
            chromedriver,
            profile,
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Opens `path` (on the app's origin) or an absolute URL.
    pub async fn goto(&self, path: &str) {
        self.driver.goto(self.url(path)).await.expect("navigation");
    }

    pub async fn current_path(&self) -> String {
        let url = self.driver.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The first element matching `css`, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> WebElement {
        self.driver
            .query(By::Css(css))
            .wait(Duration::from_secs(10), Duration::from_millis(50))
            .first()
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Every element matching `css` now.
    pub async fn find_all(&self, css: &str) -> Vec<WebElement> {
        self.driver.find_all(By::Css(css)).await.unwrap_or_default()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        element
            .wait_until()
            .clickable()
            .await
            .unwrap_or_else(|e| panic!("{css} never clickable: {e}"));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Waits until the text of `css` contains `expected`, and returns it.
    pub async fn wait_text(&self, css: &str, expected: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = match self.driver.find(By::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(expected) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{css} never said {expected:?}; it says {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's path is `path`.
    pub async fn wait_path(&self, path: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.current_path().await;
            if now == path {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("never reached {path}; at {now}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` (a function body; `return` gives the value).
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.driver
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
            .json()
            .clone()
    }

    /// Runs an async `script` that ends by calling `done(value)`, given as the last
    /// argument (`arguments[arguments.length - 1]`).
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.driver
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}\n{script}"))
            .json()
            .clone()
    }

    /// Saves a PNG of the viewport as `docs/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.driver.screenshot_as_png().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Starts listening to the service worker's console too (its errors then count in
    /// `console_errors`); the worker must be running.
    pub async fn watch_service_worker(&self) {
        let worker_ws = target_ws(&self.debugger, "service_worker", &self.base).await;
        let worker = Cdp::connect(&worker_ws).await;
        worker.must("Runtime.enable", json!({})).await;
        worker.must("Log.enable", json!({})).await;
        self.workers.lock().await.push(worker);
    }

    /// Console errors, uncaught exceptions and CSP violations seen so far (the page's,
    /// and the service worker's once watched).
    pub fn console_errors(&self) -> Vec<String> {
        let mut events = self.page.events();
        if let Ok(workers) = self.workers.try_lock() {
            for worker in workers.iter() {
                events.extend(worker.events());
            }
        }
        events
            .iter()
            .filter_map(|event| {
                let params = &event["params"];
                match event["method"].as_str()? {
                    "Runtime.exceptionThrown" => Some(params["exceptionDetails"].to_string()),
                    "Runtime.consoleAPICalled" if params["type"] == "error" => {
                        Some(params["args"].to_string())
                    }
                    "Log.entryAdded" if params["entry"]["level"] == "error" => {
                        Some(params["entry"].to_string())
                    }
                    _ => None,
                }
            })
            .collect()
    }

    pub fn assert_no_console_errors(&self) {
        self.assert_no_console_errors_besides(&[]);
    }

    /// As `assert_no_console_errors`, but errors mentioning one of `expected` (say, the
    /// 404 of a page the test opened on purpose) are allowed.
    pub fn assert_no_console_errors_besides(&self, expected: &[&str]) {
        let errors: Vec<String> = self
            .console_errors()
            .into_iter()
            .filter(|e| !expected.iter().any(|allowed| e.contains(allowed)))
            .collect();
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }

    /// Lets the app's origin show notifications without a prompt.
    pub async fn grant_notifications(&self) {
        self.page
            .must(
                "Browser.grantPermissions",
                json!({"origin": self.base, "permissions": ["notifications"]}),
            )
            .await;
    }

    /// The id DevTools knows the origin's service worker registration by, once it exists.
    pub async fn service_worker_registration(&self) -> String {
        self.page.must("ServiceWorker.enable", json!({})).await;
        let scope = format!("{}/", self.base);
        let event = self
            .page
            .wait_event(
                "ServiceWorker.workerVersionUpdated",
                |p| {
                    p["versions"].as_array().is_some_and(|versions| {
                        versions
                            .iter()
                            .any(|v| v["runningStatus"] == "running" && v["status"] == "activated")
                    })
                },
                Duration::from_secs(15),
            )
            .await;
        let versions = event["params"]["versions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let registrations = self
            .page
            .wait_event(
                "ServiceWorker.workerRegistrationUpdated",
                |p| {
                    p["registrations"].as_array().is_some_and(|regs| {
                        regs.iter()
                            .any(|r| r["scopeURL"] == scope && r["isDeleted"] == false)
                    })
                },
                Duration::from_secs(15),
            )
            .await;
        let id = registrations["params"]["registrations"]
            .as_array()
            .and_then(|regs| regs.iter().find(|r| r["scopeURL"] == scope))
            .and_then(|r| r["registrationId"].as_str())
            .expect("registration id")
            .to_string();
        assert!(
            versions.iter().any(|v| v["registrationId"] == id.as_str()),
            "the active worker belongs to registration {id}: {versions:?}"
        );
        id
    }

    /// Delivers `data` to the service worker as a push message would arrive.
    pub async fn deliver_push(&self, registration: &str, data: &str) {
        self.page
            .must(
                "ServiceWorker.deliverPushMessage",
                json!({"origin": self.base, "registrationId": registration, "data": data}),
            )
            .await;
    }

    /// Cuts the network (or gives it back) for the page and for the service worker, as
    /// DevTools' "Offline" does.
    pub async fn set_offline(&self, offline: bool) {
        let conditions = json!({
            "offline": offline,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        });
        self.page.must("Network.enable", json!({})).await;
        self.page
            .must("Network.emulateNetworkConditions", conditions.clone())
            .await;
        let worker_ws = target_ws(&self.debugger, "service_worker", &self.base).await;
        let worker = Cdp::connect(&worker_ws).await;
        worker.must("Network.enable", json!({})).await;
        worker
            .must("Network.emulateNetworkConditions", conditions)
            .await;
        // The emulation holds while its session is open.
        self.workers.lock().await.push(worker);
    }

    /// Evaluates `expression` inside the origin's service worker (awaiting a promise),
    /// e.g. to dispatch the event a tap on a notification fires.
    pub async fn in_service_worker(&self, expression: &str) -> Value {
        let worker_ws = target_ws(&self.debugger, "service_worker", &self.base).await;
        let worker = Cdp::connect(&worker_ws).await;
        let result = worker
            .must(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "service worker script failed: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Ends the session; the browser and its driver stop.
    pub async fn quit(mut self) {
        let _ = self.driver.clone().quit().await;
        self.stop_processes();
    }

    fn stop_processes(&mut self) {
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
        // A Chromium left behind by a failed test: its profile path is ours alone.
        let _ = Command::new("pkill")
            .args(["-f", &self.profile.path().display().to_string()])
            .status();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop_processes();
    }
}

async fn connect(url: &str, caps: ChromeCapabilities) -> WebDriver {
    // chromedriver needs a moment to listen.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match WebDriver::new(url, caps.clone()).await {
            Ok(driver) => return driver,
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("chromedriver at {url}: {e}"),
        }
    }
}

/// The WebSocket URL of the first DevTools target of `kind` whose URL starts with
/// `url_prefix`, waiting for it to appear.
async fn target_ws(debugger: &str, kind: &str, url_prefix: &str) -> String {
    let list = format!("http://{debugger}/json/list");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let targets: Vec<Value> = match reqwest::get(&list).await {
            Ok(response) => response.json().await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let found = targets.iter().find(|t| {
            t["type"] == kind && t["url"].as_str().is_some_and(|u| u.starts_with(url_prefix))
        });
        if let Some(ws) = found.and_then(|t| t["webSocketDebuggerUrl"].as_str()) {
            return ws.to_string();
        }
        if tokio::time::Instant::now() > deadline {
            panic!("no DevTools target {kind} {url_prefix} in {targets:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
