//! `/invite/{token}`: the invitation email's button. The page says who invites and
//! what the reminders are, and offers one button; the app's script POSTs the accept
//! (mail link scanners open links, so a GET never spends the token). Expired, used and
//! unknown links each get a page that says what to do.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use super::shell::AppPage;
use crate::http::AppState;
use crate::service::invitations::{self, InvitationState};
use crate::web::i18n;
use crate::web::pages::{PageError, View};

#[get("/invite/{token}")]
pub async fn landing(
    app: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = path.into_inner();
    let state = invitations::inspect(&app.services, token.clone()).await?;
    let lang = i18n::FALLBACK;
    let (status, clinic, shown) = match state {
        InvitationState::Open {
            client_name,
            clinic_name,
            expires_at,
        } => {
            let first_name = client_name.split_whitespace().next().unwrap_or_default();
            let open = Shown::Open {
                first_name: first_name.to_string(),
                expires_on: crate::web::timeline::short_date(lang, expires_at.date_naive()),
            };
            (StatusCode::OK, clinic_name, open)
        }
        InvitationState::Accepted { clinic_name } => (StatusCode::OK, clinic_name, Shown::Accepted),
        InvitationState::Expired {
            clinic_name,
            clinic_email,
        } => (
            StatusCode::GONE,
            clinic_name,
            Shown::Expired { clinic_email },
        ),
        InvitationState::Unknown => (StatusCode::NOT_FOUND, String::new(), Shown::Unknown),
    };
    // Installed from this page on an iPhone, the home-screen app starts here (its
    // storage is not Safari's), so it can accept the invitation itself.
    let page = AppPage::new("invite").start_url(&format!("/invite/{token}"));
    let view = InviteView {
        clinic,
        // Only an open invitation's page can accept it.
        token: matches!(shown, Shown::Open { .. }).then_some(token),
        shown,
    };
    Ok(page.respond(status, &view))
}

/// The invitation's page, in the state the link is in.
#[derive(Serialize)]
struct InviteView {
    clinic: String,
    token: Option<String>,
    #[serde(flatten)]
    shown: Shown,
}

impl View for InviteView {
    const TEMPLATE: &'static str = "app/invite.html.j2";
}

/// Each state with what its page says besides the clinic (`view` names the state for
/// the template and the script).
#[derive(Serialize)]
#[serde(tag = "view", rename_all = "snake_case")]
enum Shown {
    Open {
        first_name: String,
        expires_on: String,
    },
    Accepted,
    Expired {
        clinic_email: String,
    },
    Unknown,
}
