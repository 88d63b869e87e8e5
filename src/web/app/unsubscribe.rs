//! `/unsubscribe/{token}`: the link at the foot of every reminder email and its
//! `List-Unsubscribe` header. The GET shows a page with one button (mail scanners open
//! links); the POST, which is also what mail clients send for one-click unsubscribe
//! (RFC 8058), turns email reminders off. Both answer with a page, whoever asks.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;

use super::shell::AppPage;
use crate::http::AppState;
use crate::service::{preferences, Error};
use crate::web::pages::{PageError, View};

/// The page: which of its states (`confirm`, `done`, `unknown`), and the token its
/// button posts with.
#[derive(Serialize)]
struct UnsubscribeView {
    view: &'static str,
    token: Option<String>,
}

impl View for UnsubscribeView {
    const TEMPLATE: &'static str = "app/unsubscribe.html.j2";
}

fn page(status: StatusCode, view: &'static str, token: Option<String>) -> HttpResponse {
    AppPage::new("unsubscribe").respond(status, &UnsubscribeView { view, token })
}

#[get("/unsubscribe/{token}")]
pub async fn confirm(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = path.into_inner();
    Ok(
        if preferences::unsubscribe_link_is_valid(&state.services, token.clone()).await? {
            page(StatusCode::OK, "confirm", Some(token))
        } else {
            page(StatusCode::NOT_FOUND, "unknown", None)
        },
    )
}

#[post("/unsubscribe/{token}")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    match preferences::unsubscribe(&state.services, path.into_inner()).await {
        Ok(()) => Ok(page(StatusCode::OK, "done", None)),
        Err(Error::NotFound(_)) => Ok(page(StatusCode::NOT_FOUND, "unknown", None)),
        Err(other) => Err(other.into()),
    }
}
