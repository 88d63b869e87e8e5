//! The clinic's settings: name, Reply-To address, and the time zone and reminder time
//! new clients get. Everyone sees them; owners change them.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::{
    render, render_status, see_other, zone_names, ConsoleSession, FormErrors, OwnerSession,
};
use crate::http::AppState;
use crate::service::clinics::{self, SettingsInput};
use crate::web::pages::PageError;

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
    Ok(render(
        "console/settings.html.j2",
        context! {
            settings => current,
            form => form_view(&form),
            errors => FormErrors::default(),
            saved => flags.saved.is_some(),
            zones => zone_names(),
        },
        &session,
    ))
}

fn form_view(form: &SettingsInput) -> minijinja::Value {
    context! {
        name => form.name,
        reply_to => form.reply_to,
        timezone => form.timezone,
        reminder_time => form.reminder_time,
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
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "console/settings.html.j2",
                context! {
                    settings => current,
                    form => form_view(&form),
                    errors => errors,
                    saved => false,
                    zones => zone_names(),
                },
                &session,
            ))
        }
    }
}
