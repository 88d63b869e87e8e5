//! `/invite/{token}`: the invitation email's button. The page says who invites and
//! what the reminders are, and offers one button; the app's script POSTs the accept
//! (mail link scanners open links, so a GET never spends the token). Expired, used and
//! unknown links each get a page that says what to do.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use minijinja::context;

use super::shell::AppPage;
use crate::http::AppState;
use crate::service::invitations::{self, InvitationState};
use crate::web::i18n;
use crate::web::pages::PageError;

#[get("/invite/{token}")]
pub async fn landing(
    app: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = path.into_inner();
    let state = invitations::inspect(&app.services, token.clone()).await?;
    let lang = i18n::FALLBACK;
    let (status, view, clinic, extra) = match state {
        InvitationState::Open {
            client_name,
            clinic_name,
            expires_at,
        } => (
            StatusCode::OK,
            "open",
            clinic_name,
            context! {
                first_name => client_name.split_whitespace().next().unwrap_or_default(),
                expires_on => crate::web::timeline::short_date(lang, expires_at.date_naive()),
            },
        ),
        InvitationState::Accepted { clinic_name } => {
            (StatusCode::OK, "accepted", clinic_name, context! {})
        }
        InvitationState::Expired {
            clinic_name,
            clinic_email,
        } => (
            StatusCode::GONE,
            "expired",
            clinic_name,
            context! { clinic_email },
        ),
        InvitationState::Unknown => (StatusCode::NOT_FOUND, "unknown", String::new(), context! {}),
    };
    // Installed from this page on an iPhone, the home-screen app starts here (its
    // storage is not Safari's), so it can accept the invitation itself.
    let page = AppPage::new("invite").start_url(&format!("/invite/{token}"));
    Ok(page.respond(
        status,
        "app/invite.html.j2",
        context! { view, clinic, token => (view == "open").then_some(token), ..extra },
    ))
}
