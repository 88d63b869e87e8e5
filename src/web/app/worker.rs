//! `/sw.js` and `/manifest.webmanifest`. The service worker is served from the root so
//! that its scope is the whole app; the server puts this release's version and the
//! list of files to keep offline in front of its source (`sw.js`), so a new release
//! is a new worker that replaces the old caches.

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::web::assets::{self, Asset};
use crate::web::i18n;

const WORKER_SOURCE: &str = include_str!("sw.js");

/// The embedded files the app uses, as the shell links them.
fn app_files() -> Vec<String> {
    let mut files: Vec<String> = assets::paths()
        .filter(|p| {
            p.starts_with("app/")
                || p.starts_with("icons/")
                || p.starts_with("locales/")
                || *p == "base.css"
                || *p == "vendor/idb-keyval/umd.js"
        })
        .map(|p| assets::asset_url(&p))
        .collect();
    files.sort();
    files
}

/// The worker's script with this release's facts in front, and its version.
fn worker() -> &'static Asset {
    static WORKER: OnceLock<Asset> = OnceLock::new();
    WORKER.get_or_init(|| {
        let files = app_files();
        let mut hash = Sha256::new();
        for file in &files {
            hash.update(file.as_bytes());
        }
        hash.update(WORKER_SOURCE.as_bytes());
        let release = hex::encode(hash.finalize())[..16].to_string();
        let precache = serde_json::to_string(&files).unwrap_or_else(|_| "[]".into());
        let idb = assets::asset_url("vendor/idb-keyval/umd.js");
        let dates = assets::asset_url("app/dates.js");
        let script = format!(
            "// Written by the server for this release.\n\
             const RELEASE = \"{release}\";\n\
             const PRECACHE = {precache};\n\
             const IDB_KEYVAL = \"{idb}\";\n\
             const DATES = \"{dates}\";\n\n{WORKER_SOURCE}"
        );
        Asset {
            bytes: script.into_bytes().into(),
            content_type: "application/javascript; charset=utf-8".into(),
            version: release,
        }
    })
}

#[get("/sw.js")]
pub async fn service_worker(req: HttpRequest) -> HttpResponse {
    let worker = worker();
    let asset = Asset {
        bytes: worker.bytes.clone(),
        content_type: worker.content_type.clone(),
        version: worker.version.clone(),
    };
    // Always revalidated: browsers check a worker at most daily anyway, and a new
    // release must reach them.
    let mut response = assets::respond(&req, asset, false);
    response.headers_mut().insert(
        header::HeaderName::from_static("service-worker-allowed"),
        HeaderValue::from_static("/"),
    );
    response
}

#[derive(Deserialize)]
pub struct ManifestQuery {
    start: Option<String>,
}

/// Where an installed app may start: an app screen, or an invitation's landing page.
fn start_url(requested: Option<&str>) -> &str {
    let allowed = |path: &str| {
        ["/today", "/timeline", "/settings"].contains(&path)
            || path.strip_prefix("/invite/").is_some_and(|token| {
                !token.is_empty()
                    && token.len() <= 100
                    && token
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
    };
    requested.filter(|p| allowed(p)).unwrap_or("/today")
}

#[get("/manifest.webmanifest")]
pub async fn manifest(query: web::Query<ManifestQuery>) -> HttpResponse {
    let lang = i18n::FALLBACK;
    let icon = |path: &str, size: &str, purpose: &str| {
        serde_json::json!({
            "src": assets::asset_url(path),
            "sizes": size,
            "type": "image/png",
            "purpose": purpose,
        })
    };
    let manifest = serde_json::json!({
        // One app, wherever it was installed from.
        "id": "/today",
        "name": i18n::text(lang, "app.name"),
        "short_name": i18n::text(lang, "app.short_name"),
        "description": i18n::text(lang, "app.description"),
        "lang": lang,
        "start_url": start_url(query.start.as_deref()),
        "scope": "/",
        "display": "standalone",
        "theme_color": "#1f5f8b",
        "background_color": "#f7f5f2",
        "icons": [
            icon("icons/icon-192.png", "192x192", "any"),
            icon("icons/icon-512.png", "512x512", "any"),
            icon("icons/maskable-192.png", "192x192", "maskable"),
            icon("icons/maskable-512.png", "512x512", "maskable"),
        ],
    });
    HttpResponse::Ok()
        .content_type("application/manifest+json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_installed_app_starts_only_on_our_pages() {
        assert_eq!(start_url(None), "/today");
        assert_eq!(start_url(Some("/timeline")), "/timeline");
        assert_eq!(
            start_url(Some("/invite/smpi_ab12_Cd-3")),
            "/invite/smpi_ab12_Cd-3"
        );
        assert_eq!(start_url(Some("https://evil.example/")), "/today");
        assert_eq!(start_url(Some("//evil.example")), "/today");
        assert_eq!(start_url(Some("/invite/../console")), "/today");
    }

    #[test]
    fn the_worker_knows_its_release_and_files() {
        let worker = worker();
        let script = std::str::from_utf8(&worker.bytes).unwrap();
        assert!(script.contains(&format!("const RELEASE = \"{}\"", worker.version)));
        assert!(
            script.contains("/assets/app/main.js?v="),
            "{}",
            &script[..400]
        );
    }
}
