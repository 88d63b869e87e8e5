//! The two faces people use, served by this binary: the client app (`app/`) and the
//! clinic console (`console/`). Pages call the same services as the API; everything a
//! browser loads (styles, scripts, icons, the service worker) is embedded in the binary
//! and served from our own origin, under one strict Content-Security-Policy.

pub(crate) mod app;
pub(crate) mod assets;
pub(crate) mod console;
pub(crate) mod dates;
pub mod headers;
pub(crate) mod i18n;
pub(crate) mod pages;
pub(crate) mod timeline;

use actix_web::http::header;
use actix_web::{web, HttpRequest};

/// Every page route, in one list.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::serve_asset)
        .service(assets::favicon)
        .configure(console::routes);
    app::routes(cfg);
}

/// Whether a request is a browser's page request (a navigation or a form post), which
/// gets an HTML answer, never a JSON body, when something goes wrong. API paths
/// always answer problem+json, whatever the request accepts.
pub(crate) fn wants_page(req: &HttpRequest) -> bool {
    let path = req.path();
    let api = ["/v1/", "/openapi.json", "/healthz", "/readyz"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    !api && req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
