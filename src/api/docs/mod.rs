//! `/docs`: the browsable API docs, Swagger UI on `/openapi.json`, every file served
//! from the binary (vendored from npm's `swagger-ui-dist`, licence beside it in
//! `vendor/swagger-ui/`), so the page works on a closed network and under the strict
//! CSP every response carries (`web::headers`): no CDN, no inline script, no inline
//! `<style>`.
//!
//! Embedded with `include_bytes!` rather than `utoipa-swagger-ui`, whose build script
//! downloads the Swagger UI zip (no build may download here).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "swagger-ui-bundle.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("vendor/swagger-ui/swagger-ui-bundle.js"),
    },
    Asset {
        name: "swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("vendor/swagger-ui/swagger-ui.css"),
    },
    Asset {
        name: "LICENSE",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("vendor/swagger-ui/LICENSE"),
    },
    Asset {
        name: "NOTICE",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("vendor/swagger-ui/NOTICE"),
    },
    Asset {
        name: "swagger-ui-bundle.js.LICENSE.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("vendor/swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
    },
    Asset {
        name: "init.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("init.js"),
    },
    Asset {
        name: "docs.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("docs.css"),
    },
];

const INDEX: &[u8] = include_bytes!("index.html");

/// The docs' routes: `/docs` and its files under `/docs/`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/docs", web::get().to(index))
        .route("/docs/", web::get().to(index))
        .route("/docs/{file}", web::get().to(asset));
}

async fn index() -> HttpResponse {
    respond("text/html; charset=utf-8", INDEX, "no-cache")
}

async fn asset(path: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == path.as_str()) {
        // Not fingerprinted: an hour, so an upgrade shows within one.
        Some(asset) => respond(asset.content_type, asset.body, "public, max-age=3600"),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file under /docs/"),
    }
}

fn respond(content_type: &'static str, body: &'static [u8], cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_files_served_here() {
        let page = std::str::from_utf8(INDEX).unwrap();
        assert!(!page.contains("<style"), "no inline style element");
        for script in page.split("<script").skip(1) {
            let src = script.split('>').next().unwrap();
            let name = src
                .split("src=\"/docs/")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("inline or foreign script: {src}"));
            assert!(ASSETS.iter().any(|a| a.name == name), "{name}");
            assert!(!script.split("</script>").next().unwrap().contains(';'));
        }
        for link in page.split("href=\"").skip(1) {
            let href = link.split('"').next().unwrap();
            assert!(href.starts_with('/'), "same-origin only: {href}");
        }
    }
}
