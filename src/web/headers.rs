//! Security headers on every response, pages and API alike: a strict
//! Content-Security-Policy (no inline script, no other origin), no framing, no
//! referrer (invitation and calendar links carry tokens in their paths, which must not
//! leak to another site through `Referer`), and no MIME sniffing.

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;

/// The policy: everything from our origin, nothing inline, nothing framed. Images may
/// be `data:` URLs (the icons of notifications and the timeline picture are ours, but
/// the browser's own form controls use data URLs in some engines).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The headers, as a middleware for `App::wrap` (a handler's own value wins).
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Older browsers that ignore CSP's frame-ancestors.
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .add((
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ))
}
