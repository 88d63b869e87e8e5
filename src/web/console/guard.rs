//! The cross-site guard around every console route. The session cookie is
//! `SameSite=Lax`, so another site's form post arrives without it; this is the second
//! lock: a state-changing request (anything but GET, HEAD, OPTIONS) must come from a
//! page of ours. Browsers say where a request comes from in `Sec-Fetch-Site` (every
//! current engine) and `Origin` (on every POST); a request that must change state and
//! names another site is refused with 403 before any handler runs.
//!
//! Hand-written: actix-web has no such middleware, and the token-based crates
//! (actix-csrf) need a token in every form and a second cookie, which the Fetch
//! Metadata check makes unnecessary (the approach of Go's `http.CrossOriginProtection`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;

use crate::web::pages::ErrorPage;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Sec-Fetch-Site` says another site (or a sibling subdomain) sent it.
    CrossSite,
    /// `Origin` names another origin (or `null`: a sandboxed frame, a data: URL).
    ForeignOrigin,
    /// Neither header: every browser sends one of them with a state-changing request,
    /// so such a request says nothing of where it comes from and is refused.
    Unattributed,
}

/// The guard's decision. `own_origins` are the origins pages of ours are served from:
/// `server.public_url`'s, and the one the request's `Host` names (a test or a direct
/// connection that bypasses the public name).
pub fn check(
    method: &Method,
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    own_origins: &[String],
) -> Result<(), Refusal> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if let Some(site) = sec_fetch_site {
        // "none": the person started it (a bookmark, the address bar); never a page.
        return match site.trim() {
            "same-origin" | "none" => Ok(()),
            _ => Err(Refusal::CrossSite),
        };
    }
    match origin {
        // No Fetch Metadata and no Origin: no browser sends a POST so (the console's
        // own pages are `Referrer-Policy: same-origin`, so even plain-http origins
        // send their `Origin`). Refused rather than guessed at.
        None => Err(Refusal::Unattributed),
        Some(origin) => {
            let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
            if own_origins.contains(&origin) {
                Ok(())
            } else {
                Err(Refusal::ForeignOrigin)
            }
        }
    }
}

/// `scheme://host[:port]` of a URL, lower-case, default port left out (as browsers
/// write `Origin`).
pub fn origin_of(url: &url::Url) -> String {
    url.origin().ascii_serialization().to_ascii_lowercase()
}

fn own_origins(req: &ServiceRequest) -> Vec<String> {
    let mut own = Vec::with_capacity(2);
    if let Some(services) = req
        .app_data::<actix_web::web::Data<crate::http::AppState>>()
        .map(|state| &state.services)
    {
        own.push(origin_of(&services.settings.server.public_url));
    }
    // The Host header itself, not `connection_info` (which believes X-Forwarded-Host
    // from anyone); behind a proxy the public URL's origin is the one that matches.
    if let Some(host) = header_str(req, header::HOST.as_str()) {
        let scheme = if req.app_config().secure() {
            "https"
        } else {
            "http"
        };
        own.push(format!("{scheme}://{host}").to_ascii_lowercase());
    }
    own
}

fn header_str<'a>(req: &'a ServiceRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The middleware (`from_fn`) wrapped around the whole `/console` scope.
pub async fn refuse_cross_site(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let verdict = check(
        req.method(),
        header_str(&req, "sec-fetch-site"),
        header_str(&req, header::ORIGIN.as_str()),
        &own_origins(&req),
    );
    if let Err(refusal) = verdict {
        // The path may carry a sign-in link's token: logged redacted, like every request.
        let path = crate::http::logging::redact(req.path());
        tracing::warn!(?refusal, %path, "refused a cross-site console request");
        let page = ErrorPage::new(
            "Not allowed",
            "This request came from another website or a program, not from one of the \
             console's own pages, so it was refused: only the console's own pages can \
             change anything here.",
            "Open the console and use its buttons.",
        )
        .with_link("Open the console", "/console");
        let response = page.respond(StatusCode::FORBIDDEN);
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> Vec<String> {
        vec![
            "https://care.example".to_string(),
            "http://127.0.0.1:8080".to_string(),
        ]
    }

    #[test]
    fn reads_pass_whatever_their_origin() {
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(
                check(
                    &method,
                    Some("cross-site"),
                    Some("https://evil.example"),
                    &own()
                ),
                Ok(())
            );
        }
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        let post = Method::POST;
        assert_eq!(check(&post, Some("same-origin"), None, &own()), Ok(()));
        assert_eq!(check(&post, Some("none"), None, &own()), Ok(()));
        for site in ["cross-site", "same-site", "weird"] {
            // Even with an Origin of ours: the browser's own word wins.
            let origin = Some("https://care.example");
            assert_eq!(
                check(&post, Some(site), origin, &own()),
                Err(Refusal::CrossSite),
                "{site}"
            );
        }
        assert_eq!(
            check(&Method::DELETE, Some("cross-site"), None, &own()),
            Err(Refusal::CrossSite)
        );
    }

    #[test]
    fn without_fetch_metadata_the_origin_must_be_ours() {
        let post = Method::POST;
        assert_eq!(
            check(&post, None, Some("https://care.example"), &own()),
            Ok(())
        );
        assert_eq!(
            check(&post, None, Some("HTTP://127.0.0.1:8080/"), &own()),
            Ok(())
        );
        for foreign in [
            "https://evil.example",
            "null",
            "https://care.example.evil.example",
            "http://127.0.0.1:8081",
        ] {
            assert_eq!(
                check(&post, None, Some(foreign), &own()),
                Err(Refusal::ForeignOrigin),
                "{foreign}"
            );
        }
        assert_eq!(
            check(&post, None, None, &own()),
            Err(Refusal::Unattributed),
            "says nothing of where it comes from"
        );
    }

    #[test]
    fn origins_are_written_as_browsers_write_them() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            origin_of(&url("https://Care.Example/")),
            "https://care.example"
        );
        assert_eq!(
            origin_of(&url("https://care.example:443/x")),
            "https://care.example"
        );
        assert_eq!(
            origin_of(&url("http://127.0.0.1:8080")),
            "http://127.0.0.1:8080"
        );
    }
}
