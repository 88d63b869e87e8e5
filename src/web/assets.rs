//! Static files embedded in the binary (`src/web/assets/`), served from `/assets/`.
//!
//! Pages link them as `/assets/NAME?v=HASH` (`asset_url`), where HASH is the start of
//! the file's SHA-256, computed at compile time: such a URL never changes content, so it
//! is cached for a year (`immutable`); a new release links new URLs. Every answer
//! carries an `ETag`, and a matching `If-None-Match` gets a 304.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "src/web/assets/"]
struct Assets;

/// How long a versioned asset URL may be cached.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unversioned URLs (a stale link, `/sw.js`): always revalidated with the ETag.
const REVALIDATE: &str = "no-cache";

/// An embedded file: its bytes, type and content hash.
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub content_type: String,
    /// Hex SHA-256 of the bytes, cut to 16 characters: the version in URLs and the ETag.
    pub version: String,
}

/// The embedded file at `path` (relative to `src/web/assets/`).
pub fn get(path: &str) -> Option<Asset> {
    let file = Assets::get(path)?;
    let version = hex::encode(file.metadata.sha256_hash())[..16].to_string();
    Some(Asset {
        content_type: content_type(path, file.metadata.mimetype()),
        bytes: file.data,
        version,
    })
}

/// Every embedded path, for the service worker's list of files to keep offline.
pub fn paths() -> impl Iterator<Item = Cow<'static, str>> {
    Assets::iter()
}

fn content_type(path: &str, guessed: &str) -> String {
    let text = guessed.starts_with("text/")
        || guessed == "application/javascript"
        || guessed == "application/json"
        || guessed == "image/svg+xml";
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        // mime_guess does not know the web app manifest's registered type.
        Some("webmanifest") => "application/manifest+json".to_string(),
        _ if text => format!("{guessed}; charset=utf-8"),
        _ => guessed.to_string(),
    }
}

/// The URL pages use for an embedded file: versioned by its content, so it can be cached
/// for good. A name that is not embedded is a bug in a template, caught by the tests
/// that render every page; it still yields a working (unversioned) URL.
pub fn asset_url(path: &str) -> String {
    match get(path) {
        Some(asset) => format!("/assets/{path}?v={}", asset.version),
        None => {
            tracing::error!(asset = %path, "a page links an asset that is not embedded");
            format!("/assets/{path}")
        }
    }
}

/// An embedded file as an HTTP answer, honouring `If-None-Match`. `immutable` says the
/// URL named this exact version.
pub fn respond(req: &HttpRequest, asset: Asset, immutable: bool) -> HttpResponse {
    let etag = format!("\"{}\"", asset.version);
    let cache = if immutable { IMMUTABLE } else { REVALIDATE };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if unchanged {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.bytes.into_owned())
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[derive(serde::Deserialize)]
struct Version {
    v: Option<String>,
}

/// GET /assets/{path}
#[get("/assets/{path:.*}")]
async fn serve_asset(
    req: HttpRequest,
    path: web::Path<String>,
    version: web::Query<Version>,
) -> HttpResponse {
    match get(&path) {
        Some(asset) => {
            let immutable = version.v.as_deref() == Some(asset.version.as_str());
            respond(&req, asset, immutable)
        }
        None => super::pages::not_found_page(&req),
    }
}

/// GET /favicon.ico: what browsers and bookmark tools ask for without reading a page.
#[get("/favicon.ico")]
async fn favicon(req: HttpRequest) -> HttpResponse {
    match get("icons/icon-192.png") {
        Some(icon) => respond(&req, icon, false),
        None => super::pages::not_found_page(&req),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_urls_change_with_the_content() {
        let url = asset_url("base.css");
        let version = get("base.css").unwrap().version;
        assert_eq!(url, format!("/assets/base.css?v={version}"));
        assert_eq!(version.len(), 16);
    }

    #[test]
    fn text_types_say_their_charset() {
        assert_eq!(content_type("a.css", "text/css"), "text/css; charset=utf-8");
        assert_eq!(
            content_type("a.js", "application/javascript"),
            "application/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("m.webmanifest", "application/octet-stream"),
            "application/manifest+json"
        );
        assert_eq!(content_type("i.png", "image/png"), "image/png");
    }
}
