//! The sign-in pages: ask for a link by email, open the emailed link (a page with a
//! button: mail scanners open links, so only the button's POST signs in), and the
//! answer to it, a new session cookie and a redirect to where the person was going.

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::session::{self, token_of, ConsoleSession};
use super::{render_public, see_other, FormErrors};
use crate::http::limit::{self, Limited};
use crate::http::AppState;
use crate::service::staff::Resolved;
use crate::service::{self, sign_in, staff};
use crate::web::pages::{ErrorPage, PageError, View};

/// The email form.
#[derive(Serialize)]
struct SignInView {
    /// Where the link leads once used.
    next: String,
    email: String,
    /// Why the form is shown (signed out, session ended).
    notice: Option<&'static str>,
    errors: FormErrors,
    /// How long a link works.
    minutes: u32,
}

impl View for SignInView {
    const TEMPLATE: &'static str = "console/sign_in.html.j2";
}

/// "Check your email".
#[derive(Serialize)]
struct SentView<'a> {
    email: &'a str,
    /// The form again, to ask for another link.
    again: String,
    minutes: u32,
}

impl View for SentView<'_> {
    const TEMPLATE: &'static str = "console/sign_in_sent.html.j2";
}

/// The emailed link's page: whom it signs in, and the button that does.
#[derive(Serialize)]
struct LinkView {
    token: String,
    next: String,
    staff_name: String,
    staff_email: String,
    clinic_name: String,
}

impl View for LinkView {
    const TEMPLATE: &'static str = "console/sign_in_link.html.j2";
}

/// Where a sign-in leads when it was not told: the console's home.
pub const HOME: &str = "/console";

/// `next` if it is a console page of ours, else the console's home: a sign-in link
/// must never lead to another site, nor back to sign-in.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next.map(str::trim) else {
        return HOME.to_string();
    };
    let ours = (next == HOME || next.starts_with("/console/") || next.starts_with("/console?"))
        && !next.starts_with("/console/sign-in")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ours {
        next.to_string()
    } else {
        HOME.to_string()
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    /// "1": the session ended.
    ended: Option<String>,
    /// "1" or "everywhere".
    signed_out: Option<String>,
}

/// Refuses the attempt when this address made too many in the last minute.
fn limited(state: &AppState, req: &HttpRequest) -> Option<HttpResponse> {
    let per_minute = state.services.settings.console.sign_ins_per_minute;
    let limited = state.sign_in_limit.check(req, &state.services, per_minute);
    limited.err().map(|Limited| {
        let status = StatusCode::TOO_MANY_REQUESTS;
        let mut response = ErrorPage::for_status(status).respond(status);
        let (name, value) = limit::retry_after();
        response.headers_mut().insert(name, value);
        response
    })
}

fn minutes(state: &AppState) -> u32 {
    state.services.settings.console.sign_in_link_minutes
}

/// GET /console/sign-in: the email form (someone signed in goes straight on).
#[get("/sign-in")]
async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(query.next.as_deref());
    if let Some(token) = token_of(&req) {
        if let Resolved::Valid(_) = staff::resolve(&state.services, token).await? {
            return Ok(see_other(&next));
        }
    }
    let notice = match (query.ended.as_deref(), query.signed_out.as_deref()) {
        (Some(_), _) => Some("Your session has ended. Sign in again to go on."),
        (_, Some("everywhere")) => Some("You have signed out on every device."),
        (_, Some(_)) => Some("You have signed out."),
        _ => None,
    };
    let view = SignInView {
        next,
        email: String::new(),
        notice,
        errors: FormErrors::default(),
        minutes: minutes(&state),
    };
    Ok(render_public(StatusCode::OK, &view))
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    next: Option<String>,
}

/// POST /console/sign-in: emails a link to the address, if it has an account.
#[post("/sign-in")]
async fn request_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    input: web::Form<SignInForm>,
) -> Result<HttpResponse, PageError> {
    if let Some(refused) = limited(&state, &req) {
        return Ok(refused);
    }
    let SignInForm { email, next } = input.into_inner();
    let next = safe_next(next.as_deref());
    let destination = (next != HOME).then(|| next.clone());
    match sign_in::request(&state.services, &email, destination.clone()).await {
        Ok(()) => {
            let view = SentView {
                email: email.trim(),
                again: session::sign_in_location(destination.as_deref(), false),
                minutes: minutes(&state),
            };
            Ok(render_public(StatusCode::OK, &view))
        }
        Err(error @ service::Error::Invalid { .. }) => {
            let view = SignInView {
                next,
                errors: FormErrors::sort(vec![error], &["email"])?,
                email,
                notice: None,
                minutes: minutes(&state),
            };
            Ok(render_public(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    next: Option<String>,
}

/// What an unusable link's page says (unknown, used, expired).
fn link_error(error: service::Error) -> PageError {
    let page = |status: StatusCode, title: &str, message: String| {
        PageError::Page(
            status,
            ErrorPage::new(title, message, "Ask for a new link: it takes a minute.")
                .with_link("Ask for a new link", "/console/sign-in"),
        )
    };
    match error {
        service::Error::NotFound(why) => {
            page(StatusCode::NOT_FOUND, "This link does not work", why)
        }
        service::Error::Gone(why) => page(StatusCode::GONE, "This link no longer works", why),
        other => other.into(),
    }
}

/// GET /console/sign-in/{token}: whom the link signs in, and a button that does it.
/// Opening the link spends nothing.
#[get("/sign-in/{token}")]
async fn open_link(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, PageError> {
    let token = path.into_inner();
    let info = sign_in::check(&state.services, token.clone())
        .await
        .map_err(link_error)?;
    let view = LinkView {
        token,
        next: safe_next(query.next.as_deref()),
        staff_name: info.staff_name,
        staff_email: info.staff_email,
        clinic_name: info.clinic_name,
    };
    Ok(render_public(StatusCode::OK, &view))
}

#[derive(Debug, Deserialize)]
pub struct RedeemForm {
    next: Option<String>,
}

/// POST /console/sign-in/{token}: spends the link, starts a new session (ending the
/// one the browser had) and goes on to `next`.
#[post("/sign-in/{token}")]
async fn redeem(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    input: web::Form<RedeemForm>,
) -> Result<HttpResponse, PageError> {
    if let Some(refused) = limited(&state, &req) {
        return Ok(refused);
    }
    let next = safe_next(input.next.as_deref());
    let session = sign_in::redeem(&state.services, path.into_inner(), token_of(&req))
        .await
        .map_err(link_error)?;
    let secure = state.services.links.is_https();
    let mut response = see_other(&next);
    response
        .add_cookie(&session::session_cookie(&session.token, secure))
        .map_err(|e| PageError::Service(service::Error::internal(e)))?;
    Ok(response)
}

/// POST /console/sign-out: ends this session.
#[post("/sign-out")]
async fn sign_out(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    staff::end(&state.services, &session.signed_in()).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/sign-in?signed_out=1"))
        .cookie(session::removal_cookie(session.secure))
        .finish())
}

/// POST /console/sign-out-everywhere: ends every session of this staff member, on
/// every device.
#[post("/sign-out-everywhere")]
async fn sign_out_everywhere(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    staff::end_everywhere(&state.services, &session.signed_in()).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/sign-in?signed_out=everywhere"))
        .cookie(session::removal_cookie(session.secure))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_in_the_console() {
        assert_eq!(safe_next(None), "/console");
        assert_eq!(safe_next(Some("/console/keys")), "/console/keys");
        assert_eq!(safe_next(Some("/console?x=1")), "/console?x=1");
        assert_eq!(safe_next(Some("/console")), "/console");
        for outside in [
            "https://evil.example/console",
            "//evil.example/console",
            "/consoles",
            "/console/sign-in?next=/console",
            "/console/\\evil.example",
            "/today",
            "",
            "/console/\nx",
        ] {
            assert_eq!(safe_next(Some(outside)), "/console", "{outside:?}");
        }
    }
}
