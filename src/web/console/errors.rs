//! The console's error pages: a 403, 404, 409 or any other error page of a console
//! route is rendered again inside the console layout, with the navigation when the
//! staff member is signed in and a way to sign in when not, so no error is a dead end.
//!
//! Sending an anonymous visitor to sign in is expected, not a failure: that answer
//! leaves here without the error it was made from, so the request log does not report
//! it as one.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use super::session::{sign_in_location, ConsoleSession, Rejection};
use super::Layout;
use crate::web::pages::{self, ErrorPage, View};

/// The console's error page: with the navigation when signed in, else a way to sign in.
#[derive(Serialize)]
struct ErrorView<'a> {
    error: &'a ErrorPage,
    status: u16,
    /// Where to sign in (someone not signed in).
    sign_in: Option<String>,
}

impl View for ErrorView<'_> {
    const TEMPLATE: &'static str = "console/error.html.j2";
}

/// Middleware around the console scope (see the module docs).
pub async fn console_error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let to_sign_in = res
        .response()
        .error()
        .and_then(|e| e.as_error::<Rejection>())
        .is_some_and(|r| matches!(r, Rejection::SignIn { .. }));
    if to_sign_in {
        return Ok(without_error(res));
    }
    let shown = res.response().extensions().get::<ErrorPage>().cloned();
    let Some(page) = shown.or_else(|| bare_error(&res)) else {
        return Ok(res);
    };
    let status = res.status().as_u16();
    let req = res.request().clone();
    let session = ConsoleSession::extract(&req).await.ok();
    let view = ErrorView {
        error: &page,
        status,
        sign_in: session.is_none().then(|| sign_in_for(&req)),
    };
    let rendered = pages::render(ErrorView::TEMPLATE, Layout::new(&view, session.as_ref()));
    match rendered {
        Ok(html) => Ok(res.map_body(|head, _| {
            let html_type = header::HeaderValue::from_static("text/html; charset=utf-8");
            head.headers.insert(header::CONTENT_TYPE, html_type);
            head.headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            BoxBody::new(html)
        })),
        Err(e) => {
            tracing::error!(error = %e, "the console error page failed to render");
            Ok(res)
        }
    }
}

/// The page for an error answer that is no page yet (actix's own 405 for a form's
/// address opened as a link, say).
fn bare_error(res: &ServiceResponse<BoxBody>) -> Option<ErrorPage> {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let status = res.status();
    (status.is_client_error() || status.is_server_error())
        .then_some(())
        .filter(|()| !is_html)
        .map(|()| ErrorPage::for_status(status))
}

/// The sign-in page, coming back to this page after (a GET only).
fn sign_in_for(req: &HttpRequest) -> String {
    let next = (req.method() == Method::GET).then(|| match req.uri().query() {
        Some(q) => format!("{}?{q}", req.path()),
        None => req.path().to_string(),
    });
    sign_in_location(next.as_deref(), false)
}

/// The same answer without the error attached to it.
fn without_error(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let (req, response) = res.into_parts();
    let status = response.status();
    let headers = response.headers().clone();
    let mut fresh = HttpResponse::with_body(status, response.into_body());
    *fresh.headers_mut() = headers;
    ServiceResponse::new(req, fresh)
}

/// The console's 404 page for a path under `/console` that no route serves.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    pages::not_found_page(&req)
}
