//! Onboarding one client: the form, filled with the clinic's defaults, and its post.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::super::{render_status, see_other, ConsoleSession, FormErrors};
use crate::http::AppState;
use crate::service::clients::{self, Defaults, NewClientInput, Onboarded};
use crate::service::{Error, FieldError};
use crate::web::pages::{PageError, View};

/// The onboarding form as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct OnboardForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    first_session: String,
    #[serde(default)]
    planned_sessions: String,
}

const ONBOARD_FIELDS: &[&str] = &[
    "name",
    "email",
    "timezone",
    "first_session",
    "planned_sessions",
];

fn onboard_page(
    status: StatusCode,
    form: &OnboardForm,
    errors: &FormErrors,
    session: &ConsoleSession,
) -> HttpResponse {
    let view = OnboardView {
        form,
        errors,
        timezones: super::super::zone_names(),
    };
    render_status(status, &view, session)
}

/// The onboarding form as typed, its errors next to their fields.
#[derive(Serialize)]
struct OnboardView<'a> {
    form: &'a OnboardForm,
    errors: &'a FormErrors,
    /// Every IANA zone name, for the time zone's `<datalist>`.
    timezones: Vec<&'static str>,
}

impl View for OnboardView<'_> {
    const TEMPLATE: &'static str = "console/clients/new.html.j2";
}

/// GET /console/clients/new: the onboarding form, time zone and planned sessions
/// filled with the clinic's defaults.
#[get("/clients/new")]
pub async fn new_form(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    let defaults = Defaults::load(&state.services, &session.clinic).await?;
    let form = OnboardForm {
        timezone: defaults.timezone.name().to_string(),
        planned_sessions: defaults.planned_sessions.to_string(),
        ..Default::default()
    };
    Ok(onboard_page(
        StatusCode::OK,
        &form,
        &FormErrors::default(),
        &session,
    ))
}

/// The form as the service takes it: a blank field leaves the clinic's default; what
/// is not a number or a date is passed on as unreadable, checked with the rest.
fn input_of(form: &OnboardForm) -> NewClientInput {
    let mut unreadable = Vec::new();
    let first_session = match form.first_session.trim() {
        "" => None,
        value => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map_err(|_| unreadable.push(FieldError::new("first_session", "must be a date")))
            .ok(),
    };
    let planned_sessions = match form.planned_sessions.trim() {
        "" => None,
        value => value
            .parse::<u32>()
            .map_err(|_| unreadable.push(FieldError::new("planned_sessions", "must be a number")))
            .ok(),
    };
    let timezone = match form.timezone.trim() {
        "" => None,
        zone => Some(zone.to_string()),
    };
    NewClientInput {
        email: form.email.clone(),
        name: form.name.clone(),
        timezone,
        locale: None,
        planned_sessions,
        sessions: first_session.into_iter().collect(),
        unreadable,
    }
}

/// The service names the list of sessions; the form has one date field.
fn form_field(mut e: FieldError) -> FieldError {
    if e.field.starts_with("sessions") {
        e.field = "first_session".to_string();
    }
    e
}

/// POST /console/clients: onboards the client and sends the invitation; or shows the
/// form again with every field at fault.
#[post("/clients")]
pub async fn create(
    state: web::Data<AppState>,
    session: ConsoleSession,
    form: web::Form<OnboardForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let outcome = clients::onboard(
        &state.services,
        &session.clinic,
        input_of(&form),
        None,
        |_| Ok(String::new()),
    )
    .await;
    let errors = match outcome {
        Ok(Onboarded::Created { id, .. }) => {
            return Ok(see_other(&format!("/console/clients/{id}?done=onboarded")))
        }
        Ok(Onboarded::Replayed(_)) => {
            return Err(Error::internal("a replay without an idempotency key").into())
        }
        // "Already a client with this email" belongs next to the email field.
        Err(Error::Conflict(message)) => vec![FieldError::new("email", message)],
        Err(e) => e.into_fields()?.into_iter().map(form_field).collect(),
    };
    Ok(onboard_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form,
        &FormErrors::of_fields(errors, ONBOARD_FIELDS),
        &session,
    ))
}
