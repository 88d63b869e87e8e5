//! `/docs`: every file the page needs comes from this server, under the web faces'
//! strict Content-Security-Policy (no CDN, no inline script or style).

use smp_aftercare::api::docs::CONTENT_SECURITY_POLICY;

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
