//! The console's session: a cookie holding a session token, resolved on every request
//! by the [`ConsoleSession`] extractor into the signed-in staff member and their clinic.
//! A page request without a valid session is sent to sign in (and back afterwards).

use std::future::Future;
use std::pin::Pin;

use actix_web::body::BoxBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::http::AppState;
use crate::service::staff::{self, Member, Resolved};
use crate::service::{ClinicRef, Services};
use crate::web::pages::PageError;

/// The session cookie. `Path=/console`: the client app on the same origin never
/// receives it.
pub const COOKIE: &str = "smp_console";
const COOKIE_PATH: &str = "/console";

/// The cookie that carries a new session's token: `HttpOnly` (no script reads it),
/// `SameSite=Lax` (not sent with another site's POST), `Secure` when the service is
/// served over https. No expiry: the server ends the session (idle and absolute limits).
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, token.to_string())
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// Tells the browser to forget the session cookie.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie("", secure);
    cookie.make_removal();
    cookie
}

/// The session token the browser sent, if any.
pub fn token_of(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The services, from the application state.
pub fn services(req: &HttpRequest) -> Result<Services, PageError> {
    req.app_data::<web::Data<AppState>>()
        .map(|state| state.services.clone())
        .ok_or_else(|| PageError::Service(crate::service::Error::internal("AppState missing")))
}

/// A signed-in staff member on a console request.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub member: Member,
    /// The member's clinic, acting as the member (for every service call).
    pub clinic: ClinicRef,
    pub session_id: String,
    /// The path of this request, for the navigation's current page.
    pub path: String,
    /// Whether the session cookie must be `Secure`.
    pub secure: bool,
}

impl ConsoleSession {
    /// The services' own rule (`authz`), so a page shows what the service would allow.
    pub fn is_owner(&self) -> bool {
        self.clinic.actor.is_owner()
    }

    pub fn signed_in(&self) -> staff::SignedIn {
        staff::SignedIn {
            member: self.member.clone(),
            clinic: self.clinic.clone(),
            session_id: self.session_id.clone(),
        }
    }
}

/// Why a console request has no session.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// Go and sign in; `next` is where to come back to (a GET's own path); `ended`
    /// says that there was a session and it ended, so the page can say so.
    #[error("sign in first")]
    SignIn {
        next: Option<String>,
        ended: bool,
        secure: bool,
    },
    /// A signed-in staff member at an owner's page.
    #[error("owners only")]
    OwnersOnly,
    #[error(transparent)]
    Page(#[from] PageError),
}

/// The sign-in page's address for a rejected request.
pub fn sign_in_location(next: Option<&str>, ended: bool) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(next) = next {
        query.append_pair("next", next);
    }
    if ended {
        query.append_pair("ended", "1");
    }
    let query = query.finish();
    if query.is_empty() {
        "/console/sign-in".to_string()
    } else {
        format!("/console/sign-in?{query}")
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        match self {
            Rejection::SignIn { .. } => StatusCode::SEE_OTHER,
            Rejection::OwnersOnly => StatusCode::FORBIDDEN,
            Rejection::Page(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            Rejection::SignIn {
                next,
                ended,
                secure,
            } => {
                let mut response = HttpResponse::SeeOther();
                response
                    .insert_header((header::LOCATION, sign_in_location(next.as_deref(), *ended)))
                    .insert_header((header::CACHE_CONTROL, "no-store"));
                if *ended {
                    response.cookie(removal_cookie(*secure));
                }
                response.finish()
            }
            Rejection::OwnersOnly => PageError::Service(crate::service::Error::Forbidden(
                "only the clinic's owners can open this page".into(),
            ))
            .error_response(),
            Rejection::Page(e) => e.error_response(),
        }
    }
}

/// Where to come back to after signing in: a GET's own path and query (a form post
/// cannot be replayed, so it comes back to the console's home).
fn comeback(req: &HttpRequest) -> Option<String> {
    if req.method() != Method::GET {
        return None;
    }
    let uri = req.uri();
    Some(match uri.query() {
        Some(q) => format!("{}?{q}", uri.path()),
        None => uri.path().to_string(),
    })
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, Rejection>>>>;

impl FromRequest for ConsoleSession {
    type Error = Rejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let services = services(req);
        let token = token_of(req);
        let next = comeback(req);
        let path = req.path().to_string();
        Box::pin(async move {
            let services = services?;
            let secure = services.links.is_https();
            let Some(token) = token else {
                return Err(Rejection::SignIn {
                    next,
                    ended: false,
                    secure,
                });
            };
            match staff::resolve(&services, token)
                .await
                .map_err(PageError::from)?
            {
                Resolved::Valid(signed_in) => Ok(ConsoleSession {
                    member: signed_in.member,
                    clinic: signed_in.clinic,
                    session_id: signed_in.session_id,
                    path,
                    secure,
                }),
                Resolved::Ended => Err(Rejection::SignIn {
                    next,
                    ended: true,
                    secure,
                }),
                Resolved::Unknown => Err(Rejection::SignIn {
                    next,
                    ended: false,
                    secure,
                }),
            }
        })
    }
}

/// A signed-in owner: the extractor of owners' pages (staff get a "not allowed" page;
/// the services check the role again).
#[derive(Debug, Clone)]
pub struct OwnerSession(pub ConsoleSession);

impl FromRequest for OwnerSession {
    type Error = Rejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let session = ConsoleSession::from_request(req, payload);
        Box::pin(async move {
            let session = session.await?;
            if session.is_owner() {
                Ok(OwnerSession(session))
            } else {
                Err(Rejection::OwnersOnly)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_over_https() {
        let plain = session_cookie("smps_x", false).to_string();
        assert_eq!(
            plain,
            "smp_console=smps_x; HttpOnly; SameSite=Lax; Path=/console"
        );
        let secure = session_cookie("smps_x", true).to_string();
        assert!(secure.contains("; Secure"), "{secure}");
        let gone = removal_cookie(false).to_string();
        assert!(gone.contains("Max-Age=0"), "{gone}");
    }

    #[test]
    fn sign_in_locations_carry_where_to_come_back() {
        assert_eq!(sign_in_location(None, false), "/console/sign-in");
        assert_eq!(
            sign_in_location(Some("/console/keys?x=1"), true),
            "/console/sign-in?next=%2Fconsole%2Fkeys%3Fx%3D1&ended=1"
        );
    }
}
