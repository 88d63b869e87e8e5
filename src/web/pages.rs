//! Server-rendered HTML: minijinja templates embedded from `templates/web/` (HTML
//! auto-escaped), a shared layout, and the error pages every web face uses. A page that
//! fails says what to do next in words, never with a JSON body.

use std::sync::OnceLock;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use rust_embed::RustEmbed;
use serde::Serialize;

use crate::service;

#[derive(RustEmbed)]
#[folder = "templates/web/"]
struct Templates;

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        // Pages and the timeline picture are markup: every value is escaped.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") || name.ends_with(".svg.j2") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.add_function("asset", |path: String| super::assets::asset_url(&path));
        env.add_function("t", translate);
        for name in Templates::iter() {
            let file = Templates::get(&name).expect("listed template exists");
            let source = String::from_utf8(file.data.into_owned())
                .unwrap_or_else(|e| panic!("web template {name} is not UTF-8: {e}"));
            // The sources are part of the binary; `every_template_parses` guards them.
            env.add_template_owned(name.to_string(), source)
                .unwrap_or_else(|e| panic!("built-in web template {name}: {e}"));
        }
        env
    })
}

/// `t('key', name=value, ...)`: the text at `key` in the page's `lang` (see `i18n`),
/// with `{name}` placeholders filled in from the keyword arguments.
fn translate(
    state: &minijinja::State,
    key: String,
    values: minijinja::value::Kwargs,
) -> Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| super::i18n::FALLBACK.to_string());
    let mut text = super::i18n::text(&lang, &key);
    for name in values.args() {
        let value: Value = values.get(name)?;
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    Ok(text)
}

/// A page's typed context, bound to the one template it fills: a page is built as a
/// struct, so a value its template needs cannot be left out without a compile error
/// (minijinja alone reports a missing value at render time, as a 500).
pub trait View: Serialize {
    const TEMPLATE: &'static str;
}

/// Renders `template` with `ctx`.
pub fn render(template: &str, ctx: impl Serialize) -> Result<String, minijinja::Error> {
    environment()
        .get_template(template)
        .and_then(|t| t.render(Value::from_serialize(&ctx)))
}

/// `view` as an HTML answer with `status`; a template that fails to render is a bug,
/// logged and answered with the plain error page.
pub fn page<V: View>(status: StatusCode, view: &V) -> HttpResponse {
    match render(V::TEMPLATE, view) {
        Ok(html) => html_response(status, html),
        Err(e) => {
            tracing::error!(template = V::TEMPLATE, error = %e, "a page failed to render");
            fallback(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        // Pages carry the user's own data (and tokens in links): never kept by caches.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// What an error page says: a heading, what happened, and what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
    /// The next step, in words ("Ask your clinic for a new link").
    pub action: String,
    /// A link to go on with, if there is one: (label, href on our origin).
    pub link: Option<(String, String)>,
}

/// The plain error page's view.
#[derive(Debug, Serialize)]
pub struct ErrorView<'a> {
    pub error: &'a ErrorPage,
    pub status: u16,
}

impl View for ErrorView<'_> {
    const TEMPLATE: &'static str = "error.html.j2";
}

impl ErrorPage {
    pub fn new(
        title: impl Into<String>,
        message: impl Into<String>,
        action: impl Into<String>,
    ) -> ErrorPage {
        ErrorPage {
            title: title.into(),
            message: message.into(),
            action: action.into(),
            link: None,
        }
    }

    pub fn with_link(mut self, label: impl Into<String>, href: impl Into<String>) -> ErrorPage {
        self.link = Some((label.into(), href.into()));
        self
    }

    /// The error page with `status`. The page rides along in the answer's extensions,
    /// so a face can render it again in its own layout (the console, with its
    /// navigation).
    pub fn respond(&self, status: StatusCode) -> HttpResponse {
        let view = ErrorView {
            error: self,
            status: status.as_u16(),
        };
        let mut response = page(status, &view);
        response.extensions_mut().insert(self.clone());
        response
    }

    /// The page for an HTTP status that reached the browser without a page of its own.
    pub fn for_status(status: StatusCode) -> ErrorPage {
        match status.as_u16() {
            404 => ErrorPage::new(
                "Page not found",
                "There is no page at this address.",
                "Check the link, or start again from the home page.",
            )
            .with_link("Go to the home page", "/"),
            405 => ErrorPage::new(
                "This page cannot do that",
                "The page was asked for in a way it does not support.",
                "Go back and use the page's buttons.",
            ),
            403 => ErrorPage::new(
                "Not allowed",
                "This request was refused.",
                "Go back, reload the page and try again.",
            ),
            413 => ErrorPage::new(
                "Too much at once",
                "What you sent is larger than this service accepts.",
                "Send less (a smaller file), or split it in parts.",
            ),
            429 => ErrorPage::new(
                "Please wait a moment",
                "There were too many attempts from your connection.",
                "Wait a minute, then try again.",
            ),
            503 => ErrorPage::new(
                "Temporarily unavailable",
                "The service cannot reach its database right now. Nothing you did was lost.",
                "Try again in a minute.",
            ),
            s if s >= 500 => ErrorPage::new(
                "Something went wrong on our side",
                "The error was logged for the people who run this service.",
                "Try again in a minute; if it keeps happening, tell your clinic.",
            ),
            _ => ErrorPage::new(
                "This request could not be read",
                "Something in what the browser sent was not understood.",
                "Go back, reload the page and try again.",
            ),
        }
    }
}

/// The last resort when even the error template fails: a fixed page.
fn fallback(status: StatusCode) -> HttpResponse {
    html_response(
        status,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title></head>\
         <body><h1>Something went wrong</h1><p>Try again in a minute.</p></body></html>"
            .to_string(),
    )
}

/// The 404 page.
pub fn not_found_page(_req: &HttpRequest) -> HttpResponse {
    ErrorPage::for_status(StatusCode::NOT_FOUND).respond(StatusCode::NOT_FOUND)
}

/// An error of a page handler: rendered as an error page. Handlers that can show the
/// problem next to a form field re-render their form instead.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0}")]
    Service(#[from] service::Error),
    /// A page of its own (an expired link, say), with its status.
    #[error("{}", .1.title)]
    Page(StatusCode, ErrorPage),
}

impl PageError {
    fn status(&self) -> StatusCode {
        match self {
            PageError::Page(status, _) => *status,
            PageError::Service(e) => match e {
                service::Error::Invalid { .. } | service::Error::Fields(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                service::Error::NotFound(_) => StatusCode::NOT_FOUND,
                service::Error::Forbidden(_) => StatusCode::FORBIDDEN,
                service::Error::Conflict(_) => StatusCode::CONFLICT,
                service::Error::Gone(_) => StatusCode::GONE,
                service::Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                service::Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status();
        let page = match self {
            PageError::Page(_, page) => page.clone(),
            PageError::Service(service::Error::Internal(detail)) => {
                tracing::error!(error = %detail, "page failed");
                ErrorPage::for_status(status)
            }
            PageError::Service(
                e @ (service::Error::Invalid { .. } | service::Error::Fields(_)),
            ) => ErrorPage::new(
                "Please check what you entered",
                e.to_string(),
                "Go back, correct it and send it again.",
            ),
            PageError::Service(service::Error::Conflict(message)) => ErrorPage::new(
                "That conflicts with what is already there",
                message.clone(),
                "Go back, reload the page and try again.",
            ),
            PageError::Service(service::Error::Forbidden(message)) => ErrorPage::new(
                "Not allowed",
                message.clone(),
                "Ask one of your clinic's owners.",
            ),
            PageError::Service(service::Error::Gone(message)) => ErrorPage::new(
                "This is no longer available",
                message.clone(),
                "Start again from the home page.",
            ),
            PageError::Service(_) => ErrorPage::for_status(status),
        };
        page.respond(status)
    }
}

/// For `ErrorHandlers` on page requests: an error answer that is not a page yet (actix's
/// own 404 for a bad path, a 413 from a form body) becomes one.
pub fn page_for_bare_error<B>(res: ServiceResponse<B>) -> ErrorHandlerResponse<B> {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html {
        return ErrorHandlerResponse::Response(res.map_into_left_body());
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let response = ErrorPage::for_status(status).respond(status);
    ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for name in Templates::iter() {
            environment()
                .get_template(&name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn error_pages_escape_what_they_echo() {
        let error = ErrorPage::new("<b>t</b>", "<script>x</script>", "a & b");
        let view = ErrorView {
            error: &error,
            status: 400,
        };
        let html = render(ErrorView::TEMPLATE, &view).unwrap();
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>x"), "{html}");
    }
}
