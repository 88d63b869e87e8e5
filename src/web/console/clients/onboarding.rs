//! Onboarding one client: the form, filled with the clinic's defaults, and its post.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::super::{render_status, see_other, ConsoleSession, FormErrors};
use crate::api::AppState;
use crate::service::clients::{self, NewClientInput, Onboarded};
use crate::service::{clinics, validate, Error};
use crate::web::pages::PageError;

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
    let ctx = minijinja::context! {
        form => form,
        errors => errors,
        timezones => chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect::<Vec<_>>(),
    };
    render_status(status, "console/clients/new.html.j2", ctx, session)
}

/// GET /console/clients/new: the onboarding form, time zone and planned sessions
/// filled with the clinic's defaults.
#[get("/clients/new")]
pub async fn new_form(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    let settings = clinics::settings(&state.services, &session.clinic).await?;
    let protocol = clinics::protocol(&state.services, &session.clinic).await?;
    let form = OnboardForm {
        timezone: settings.timezone.name().to_string(),
        planned_sessions: protocol.effective.planned_sessions().to_string(),
        ..Default::default()
    };
    Ok(onboard_page(
        StatusCode::OK,
        &form,
        &FormErrors::default(),
        &session,
    ))
}

/// Every field's own problem at once (the service stops at the first).
fn check_onboard(form: &OnboardForm) -> (Vec<Error>, Option<NaiveDate>, Option<u32>) {
    let mut errors = Vec::new();
    if let Err(e) = validate::name("name", &form.name) {
        errors.push(e);
    }
    if let Err(e) = validate::email("email", &form.email) {
        errors.push(e);
    }
    if let Err(e) = validate::timezone("timezone", form.timezone.trim()) {
        errors.push(e);
    }
    let first = match form.first_session.trim() {
        "" => None,
        value => validate::date("first_session", value)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let planned = form
        .planned_sessions
        .trim()
        .parse::<u32>()
        .map_err(|_| Error::invalid("planned_sessions", "must be a number between 1 and 10"))
        .and_then(|p| validate::planned_sessions("planned_sessions", p))
        .map_err(|e| errors.push(e))
        .ok();
    (errors, first, planned)
}

/// The service names the list of sessions; the form has one date field.
fn onboard_field(e: Error) -> Error {
    match e {
        Error::Invalid { field, message } if field.starts_with("sessions") => {
            Error::invalid("first_session", message)
        }
        other => other,
    }
}

/// POST /console/clients: onboards the client and sends the invitation.
#[post("/clients")]
pub async fn create(
    state: web::Data<AppState>,
    session: ConsoleSession,
    form: web::Form<OnboardForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let (errors, first, planned) = check_onboard(&form);
    let errors = if errors.is_empty() {
        let input = NewClientInput {
            email: form.email.clone(),
            name: form.name.clone(),
            timezone: Some(form.timezone.trim().to_string()),
            locale: None,
            planned_sessions: planned,
            sessions: first.into_iter().collect(),
        };
        let outcome = clients::onboard(&state.services, &session.clinic, input, None, |_| {
            Ok(String::new())
        })
        .await;
        match outcome {
            Ok(Onboarded::Created { id, .. }) => {
                return Ok(see_other(&format!("/console/clients/{id}?done=onboarded")))
            }
            Ok(Onboarded::Replayed(_)) => {
                return Err(Error::internal("a replay without an idempotency key").into())
            }
            // "Already a client with this email" belongs next to the email field.
            Err(Error::Conflict(message)) => vec![Error::invalid("email", message)],
            Err(e) => vec![onboard_field(e)],
        }
    } else {
        errors
    };
    let sorted = FormErrors::sort(errors, ONBOARD_FIELDS)?;
    Ok(onboard_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form,
        &sorted,
        &session,
    ))
}
