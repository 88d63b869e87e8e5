//! The clinic's settings: name, Reply-To address, and the time zone and reminder time
//! new clients get. Everyone sees them; owners change them.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{
    render, render_status, see_other, zone_names, ConsoleSession, FormErrors, OwnerSession,
};
use crate::http::AppState;
use crate::service::clinics::{self, ClinicSettings, SettingsInput};
use crate::web::pages::{PageError, View};

const FIELDS: &[&str] = &["name", "reply_to", "timezone", "reminder_time"];

#[derive(Debug, Deserialize)]
pub struct Flags {
    saved: Option<String>,
}

/// GET /console/settings
#[get("/settings")]
async fn show(
    state: web::Data<AppState>,
    session: ConsoleSession,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, PageError> {
    let current = clinics::settings(&state.services, &session.clinic).await?;
    let form = SettingsInput {
        name: current.name.clone(),
        reply_to: current.reply_to.clone().unwrap_or_default(),
        timezone: current.timezone.to_string(),
        reminder_time: current.reminder_time.to_string(),
    };
    let view = SettingsView::new(current, &form, FormErrors::default(), flags.saved.is_some());
    Ok(render(&view, &session))
}

/// The settings as saved, and the form (as saved, or as typed and refused).
#[derive(Serialize)]
struct SettingsView<'a> {
    settings: ClinicSettings,
    form: FormView<'a>,
    errors: FormErrors,
    saved: bool,
    /// Every IANA zone name, for the time zone's `<datalist>`.
    zones: Vec<&'static str>,
}

impl View for SettingsView<'_> {
    const TEMPLATE: &'static str = "console/settings.html.j2";
}

/// The form's values as typed.
#[derive(Serialize)]
struct FormView<'a> {
    name: &'a str,
    reply_to: &'a str,
    timezone: &'a str,
    reminder_time: &'a str,
}

impl<'a> SettingsView<'a> {
    fn new(
        settings: ClinicSettings,
        form: &'a SettingsInput,
        errors: FormErrors,
        saved: bool,
    ) -> Self {
        SettingsView {
            settings,
            form: FormView {
                name: &form.name,
                reply_to: &form.reply_to,
                timezone: &form.timezone,
                reminder_time: &form.reminder_time,
            },
            errors,
            saved,
            zones: zone_names(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    reply_to: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    reminder_time: String,
}

/// POST /console/settings (owners)
#[post("/settings")]
async fn save(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    input: web::Form<SettingsForm>,
) -> Result<HttpResponse, PageError> {
    let input = input.into_inner();
    let form = SettingsInput {
        name: input.name,
        reply_to: input.reply_to,
        timezone: input.timezone,
        reminder_time: input.reminder_time,
    };
    match clinics::update_settings(&state.services, &session.clinic, form.clone()).await {
        Ok(_) => Ok(see_other("/console/settings?saved=1")),
        Err(errors) => {
            let errors = FormErrors::sort(errors, FIELDS)?;
            let current = clinics::settings(&state.services, &session.clinic).await?;
            let view = SettingsView::new(current, &form, errors, false);
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &view,
                &session,
            ))
        }
    }
}
