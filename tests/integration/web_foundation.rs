//! What every page shares: security headers, embedded assets with cache validators, and
//! HTML (not JSON) when a browser's navigation goes wrong.

use crate::browser::Browser;
use crate::helpers::{assert_problem, spawn_app, Backend};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for path in ["/healthz", "/v1/me", "/no-such-page", "/assets/base.css"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["content-security-policy"], CSP, "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn a_lost_browser_gets_a_page_and_an_api_client_a_problem() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let page = app
        .client
        .get(app.url("/no-such-page"))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<h1 id=\"error-title\">Page not found</h1>"),
        "{html}"
    );
    assert!(html.contains("Go to the home page"), "{html}");

    // The API answers problem+json whatever the caller accepts.
    let api = app
        .client
        .get(app.url("/v1/no-such-thing"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_problem(api, 404).await;
    assert_problem(app.get("/no-such-page").await, 404).await;
}

#[tokio::test]
async fn assets_are_versioned_cached_and_revalidated() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let plain = app.get("/assets/base.css").await;
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(plain.headers()["cache-control"], "no-cache");
    let etag = plain.headers()["etag"].to_str().unwrap().to_string();
    let version = etag.trim_matches('"').to_string();
    assert_eq!(version.len(), 16);

    let versioned = app.get(&format!("/assets/base.css?v={version}")).await;
    assert_eq!(
        versioned.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let stale = app.get("/assets/base.css?v=0000000000000000").await;
    assert_eq!(stale.headers()["cache-control"], "no-cache");

    let revalidated = app
        .client
        .get(app.url("/assets/base.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    assert_eq!(revalidated.headers()["etag"], etag.as_str());

    let missing = app
        .client
        .get(app.url("/assets/nope.js"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_page_renders_cleanly_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let browser = Browser::start(&app.address).await;
    browser.goto("/no-such-page").await;
    assert_eq!(browser.text("h1").await, "Page not found");
    // The stylesheet loaded under the CSP: the skip link is moved off screen by it.
    let left = browser
        .js(
            "return getComputedStyle(document.querySelector('.skip-link')).left",
            vec![],
        )
        .await;
    assert_eq!(left, "-999px");
    browser.assert_no_console_errors_besides(&["/no-such-page"]);
    browser.quit().await;
}
