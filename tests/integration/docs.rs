//! `/docs`: every file the page needs comes from this server, under the web faces'
//! strict Content-Security-Policy (no CDN, no inline script or style).

use serde_json::json;
use smp_aftercare::web::headers::CONTENT_SECURITY_POLICY;

use crate::browser::Browser;
use crate::helpers::*;

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

#[tokio::test]
async fn docs_page_and_its_files_are_served_here_under_the_strict_csp() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let page = app.get("/docs").await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(
        header(&page, "content-security-policy"),
        CONTENT_SECURITY_POLICY
    );
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<style"), "no inline style element");
    let referenced: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/docs/"))
        .collect();
    assert_eq!(referenced.len(), 4, "{referenced:?}");
    for path in referenced {
        let file = app.get(path).await;
        assert_eq!(file.status(), 200, "{path}");
        assert_eq!(
            header(&file, "content-security-policy"),
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(header(&file, "x-content-type-options"), "nosniff");
        let expected = if path.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(
            header(&file, "content-type").starts_with(expected),
            "{path}"
        );
        assert!(!file.bytes().await.unwrap().is_empty(), "{path}");
    }
    // The licence ships beside the vendored code.
    let licence = app.get("/docs/LICENSE").await.text().await.unwrap();
    assert!(licence.contains("Apache License"), "{licence}");
    assert_eq!(app.get("/docs/../Cargo.toml").await.status(), 404);
    assert_eq!(app.get("/docs/nothing.js").await.status(), 404);
    // No other origin is named anywhere the page loads from.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
}

/// The docs render in headless Chromium with every other origin cut off: the
/// operations show, every request the page made went to this server, and the console
/// has no error and no CSP violation. (DevTools' "Offline" would cut this server too,
/// so the cut is a block list of every other origin, and the request log proves the
/// page never even tried one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_render_in_chromium_with_other_origins_cut_off() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let browser = Browser::start(&app.address).await;
    browser.page.must("Network.enable", json!({})).await;
    // Our server is plain http on 127.0.0.1: block every https URL, websockets, and
    // every http host that is not 127.0.0.1.
    let mut blocked: Vec<String> = ["https://*", "ws://*", "wss://*", "http://localhost*"]
        .iter()
        .map(|p| p.to_string())
        .collect();
    let first = "abcdefghijklmnopqrstuvwxyz023456789[";
    blocked.extend(first.chars().map(|c| format!("http://{c}*")));
    blocked.extend("013456789".chars().map(|c| format!("http://1{c}*")));
    blocked.extend("012345689".chars().map(|c| format!("http://12{c}*")));
    blocked.extend(
        [
            "http://127.1*",
            "http://127.0.1*",
            "http://127.0.0.0*",
            "http://127.0.0.2*",
        ]
        .map(String::from),
    );
    browser
        .page
        .must("Network.setBlockedURLs", json!({ "urls": blocked }))
        .await;

    browser.goto("/docs").await;
    // Swagger UI fetched /openapi.json and rendered our operations.
    let title = browser.wait_text(".info .title", "smp-aftercare").await;
    assert!(title.contains("3.1"), "{title}");
    let paths: Vec<String> = {
        let mut paths = Vec::new();
        for element in browser.find_all(".opblock-summary-path").await {
            paths.push(element.attr("data-path").await.unwrap().unwrap_or_default());
        }
        paths
    };
    assert!(
        paths.iter().any(|p| p == "/v1/clients/{id}/deliveries"),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "/v1/me/today"), "{paths:?}");
    // The vendored stylesheet applied (an operation block is laid out as a flex row).
    let display = browser
        .js(
            "return getComputedStyle(document.querySelector('.opblock-summary')).display",
            vec![],
        )
        .await;
    assert_eq!(display, "flex");

    let requested: Vec<String> = browser
        .page
        .events()
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .filter_map(|e| e["params"]["request"]["url"].as_str().map(str::to_string))
        .collect();
    assert!(
        requested.iter().any(|u| u.ends_with("/openapi.json")),
        "{requested:?}"
    );
    // What goes over the network (not the browser's own chrome://, data: or blob:).
    let network = ["http:", "https:", "ws:", "wss:"];
    for url in requested
        .iter()
        .filter(|u| network.iter().any(|scheme| u.starts_with(scheme)))
    {
        assert!(
            url.starts_with(&app.address),
            "the docs page asked another origin: {url}"
        );
    }
    browser.screenshot("api-docs").await;
    browser.assert_no_console_errors();
    browser.quit().await;
}
