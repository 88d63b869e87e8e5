//! The clinic console, under `/console`: staff sign in with an emailed link and
//! onboard and follow their clients. Server-rendered pages that work without
//! JavaScript; every action calls the same services as the API.
//!
//! - `session`: the session cookie and the [`ConsoleSession`] / [`OwnerSession`]
//!   extractors (a request without a valid session is sent to sign in);
//! - `guard`: the cross-site guard wrapped around the whole scope;
//! - [`render`]: a page's typed view inside the console layout, with its navigation;
//! - [`FormErrors`]: service errors placed next to their form fields.

pub mod audit;
pub mod clients;
pub mod errors;
pub mod export;
pub mod guard;
pub mod import;
pub mod keys;
pub mod protocol;
pub mod session;
pub mod settings;
pub mod sign_in;
pub mod staff;
pub mod today;

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use serde::Serialize;

pub use session::{ConsoleSession, OwnerSession};

use crate::service;
use crate::web::pages::{self, PageError, View};

/// Every console route, in one scope behind the cross-site guard.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(from_fn(guard::refuse_cross_site))
            // The app's faces send no referrer (tokens travel in their paths); the
            // console sends it to itself only, so its own forms post their real
            // `Origin` (not `null`), which the guard needs on a plain-http origin.
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add((actix_web::http::header::REFERRER_POLICY, "same-origin")),
            )
            // Error pages inside the console layout (outside the guard: its 403 too).
            .wrap(from_fn(errors::console_error_pages))
            .default_service(web::to(errors::not_found))
            // The protocol's override document may be long (64 KB, not the form's 16 KB).
            .app_data(web::FormConfig::default().limit(96 * 1024))
            .service(sign_in::form)
            .service(sign_in::request_link)
            .service(sign_in::open_link)
            .service(sign_in::redeem)
            .service(today::today)
            .service(today::book)
            .service(today::resend_invitation)
            .service(today::mark_contacted)
            .service(export::clients_csv) // before clients/{id}
            .configure(clients::routes)
            .configure(protocol::routes)
            .service(settings::show)
            .service(settings::save)
            .service(staff::list)
            .service(staff::invite)
            .service(staff::confirm_remove)
            .service(staff::remove)
            .service(keys::list)
            .service(keys::create)
            .service(keys::confirm_revoke)
            .service(keys::revoke)
            .service(audit::log)
            .service(export::audit_csv)
            .service(sign_in::sign_out)
            .service(sign_in::sign_out_everywhere),
    );
}

/// One entry of the console's navigation.
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    /// This is the page (or a page under it) being shown.
    pub current: bool,
}

/// What the layout shows around every signed-in page.
#[derive(Debug, Clone, Serialize)]
pub struct Nav {
    pub clinic_name: String,
    pub staff_name: String,
    pub staff_email: String,
    pub is_owner: bool,
    pub items: Vec<NavItem>,
}

/// The navigation: everyone's pages, then the owners'.
pub fn nav(session: &ConsoleSession) -> Nav {
    let mut entries = vec![
        ("Today", "/console"),
        ("Clients", "/console/clients"),
        ("Protocol", "/console/protocol"),
        ("Settings", "/console/settings"),
    ];
    if session.is_owner() {
        entries.extend([
            ("Staff", "/console/staff"),
            ("API keys", "/console/keys"),
            ("Audit log", "/console/audit"),
        ]);
    }
    let path = session.path.trim_end_matches('/');
    let items = entries
        .into_iter()
        .map(|(label, href)| NavItem {
            label,
            href,
            current: path == href || (href != "/console" && path.starts_with(&format!("{href}/"))),
        })
        .collect();
    Nav {
        clinic_name: session.clinic.name.clone(),
        staff_name: session.member.name.clone(),
        staff_email: session.member.email.clone(),
        is_owner: session.is_owner(),
        items,
    }
}

/// A console page's view inside the console layout (`console/layout.html.j2`): the
/// page's own typed view and, for someone signed in, the navigation (`console`).
#[derive(Serialize)]
pub struct Layout<'a, V> {
    #[serde(skip_serializing_if = "Option::is_none")]
    console: Option<Nav>,
    #[serde(flatten)]
    page: &'a V,
}

impl<'a, V: View> Layout<'a, V> {
    /// The page with the navigation of `session`, or without (someone not signed in).
    pub fn new(page: &'a V, session: Option<&ConsoleSession>) -> Self {
        Layout {
            console: session.map(nav),
            page,
        }
    }
}

impl<V: View> View for Layout<'_, V> {
    const TEMPLATE: &'static str = V::TEMPLATE;
}

/// A console page with status 200.
pub fn render(view: &impl View, session: &ConsoleSession) -> HttpResponse {
    render_status(StatusCode::OK, view, session)
}

/// [`render`] with another status (422 for a form sent back with errors).
pub fn render_status(
    status: StatusCode,
    view: &impl View,
    session: &ConsoleSession,
) -> HttpResponse {
    pages::page(status, &Layout::new(view, Some(session)))
}

/// A console page for someone not signed in (the sign-in pages): the console layout
/// without navigation.
pub fn render_public(status: StatusCode, view: &impl View) -> HttpResponse {
    pages::page(status, view)
}

/// 303 See Other to `location`: the answer to a form post that worked.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// Every IANA zone name, for a time zone field's `<datalist>`.
pub fn zone_names() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

/// An instant as staff read it: in the clinic's time zone, e.g. "Mon 2 Mar 2026, 08:15".
pub fn local_time(at: chrono::DateTime<chrono::Utc>, zone: crate::domain::Zone) -> String {
    at.with_timezone(&zone.tz())
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

/// Service errors sorted for a form: each field's message goes next to its field
/// (`fields.email`), and whatever belongs to no field of the form goes on top.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FormErrors {
    pub fields: BTreeMap<String, String>,
    pub general: Vec<String>,
}

impl FormErrors {
    /// Sorts `errors` for a form with `fields`. An error that is not the user's to
    /// fix (the database is down, a bug) is returned as a page error instead.
    pub fn sort(errors: Vec<service::Error>, fields: &[&str]) -> Result<FormErrors, PageError> {
        let mut general = Vec::new();
        let mut at_fault = Vec::new();
        for error in errors {
            match error.into_fields() {
                Ok(each) => at_fault.extend(each),
                Err(service::Error::Conflict(message) | service::Error::Gone(message)) => {
                    general.push(message);
                }
                Err(other) => return Err(PageError::Service(other)),
            }
        }
        let mut sorted = FormErrors::of_fields(at_fault, fields);
        sorted.general.extend(general);
        Ok(sorted)
    }

    /// The fields at fault sorted for a form with `fields`: each message next to its
    /// field, the others on top.
    pub fn of_fields(errors: Vec<service::FieldError>, fields: &[&str]) -> FormErrors {
        let mut sorted = FormErrors::default();
        for service::FieldError { field, message } in errors {
            if fields.contains(&field.as_str()) {
                sorted.fields.entry(field).or_insert(message);
            } else {
                sorted.general.push(format!("{field}: {message}"));
            }
        }
        sorted
    }
}
