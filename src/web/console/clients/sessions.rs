//! Recording, changing and deleting a client's sessions from their page.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::super::{see_other, ConsoleSession, FormErrors};
use super::confirm::{confirm_page, ConfirmPage};
use super::page::{human_date, refused, AddForm, Returned};
use crate::http::AppState;
use crate::service::sessions::{self, NewSessionInput, SessionChange};
use crate::service::{clients, validate, Error};
use crate::web::pages::PageError;

#[derive(Debug, Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    notes: String,
    marked_final: Option<String>,
}

const SESSION_FIELDS: &[&str] = &["date", "notes"];

fn notes_of(form: &SessionForm) -> Option<String> {
    Some(form.notes.trim().to_string()).filter(|n| !n.is_empty())
}

/// A refusal of a new or changed session, placed on the form's date field (one
/// session per date, the number of sessions).
pub fn on_the_date(error: Error) -> Error {
    match error {
        Error::Conflict(message) => Error::invalid("date", message),
        Error::Invalid { field, message } if field == "number" || field == "sessions" => {
            Error::invalid("date", message)
        }
        other => other,
    }
}

/// A session form the service refused: the client's page again, the error next to
/// that form's field.
async fn session_refused(
    state: &AppState,
    session: &ConsoleSession,
    client_id: String,
    form_id: &str,
    form: &SessionForm,
    error: Error,
) -> Result<HttpResponse, PageError> {
    let errors = FormErrors::sort(vec![on_the_date(error)], SESSION_FIELDS)?;
    let returned = Returned {
        form: form_id.to_string(),
        errors,
        add: AddForm {
            date: form.date.clone(),
            notes: form.notes.clone(),
            marked_final: form.marked_final.is_some(),
        },
        ..Default::default()
    };
    refused(state, session, client_id, returned).await
}

/// POST /console/clients/{id}/sessions: records a session.
#[post("/clients/{id}/sessions")]
pub async fn add_session(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<SessionForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let form = form.into_inner();
    let result = match validate::date("date", form.date.trim()) {
        Ok(date) => {
            let input = NewSessionInput {
                date,
                number: None,
                is_final: Some(form.marked_final.is_some()),
                notes: notes_of(&form),
            };
            sessions::add(&state.services, &session.clinic, client_id.clone(), input)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/console/clients/{client_id}?done=session_added#sessions-title"
        ))),
        Err(e @ (Error::NotFound(_) | Error::Unavailable(_) | Error::Internal(_))) => Err(e.into()),
        Err(e) => session_refused(&state, &session, client_id, "add", &form, e).await,
    }
}

/// POST /console/clients/{id}/sessions/{session_id}: changes the date, the notes or
/// whether it is the final session.
#[post("/clients/{id}/sessions/{session_id}")]
pub async fn edit_session(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<(String, String)>,
    form: web::Form<SessionForm>,
) -> Result<HttpResponse, PageError> {
    let (client_id, session_id) = path.into_inner();
    let form = form.into_inner();
    let result = match validate::date("date", form.date.trim()) {
        Ok(date) => {
            let change = SessionChange {
                date: Some(date),
                is_final: Some(form.marked_final.is_some()),
                notes: Some(notes_of(&form)),
            };
            let (s, clinic) = (&state.services, &session.clinic);
            sessions::edit(s, clinic, client_id.clone(), session_id.clone(), change)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/console/clients/{client_id}?done=session_saved#session-{session_id}"
        ))),
        Err(e @ (Error::NotFound(_) | Error::Unavailable(_) | Error::Internal(_))) => Err(e.into()),
        Err(e) => session_refused(&state, &session, client_id, &session_id, &form, e).await,
    }
}

/// GET /console/clients/{id}/sessions/{session_id}/delete: asks first.
#[get("/clients/{id}/sessions/{session_id}/delete")]
pub async fn confirm_delete_session(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (client_id, session_id) = path.into_inner();
    let bundle = clients::get(&state.services, &session.clinic, client_id.clone()).await?;
    let number = bundle
        .sessions
        .iter()
        .position(|s| s.id == session_id)
        .ok_or_else(|| Error::NotFound(format!("no session {session_id}")))?;
    let date = human_date(
        bundle.sessions[number].date,
        bundle.today(state.services.now()),
    );
    let page = ConfirmPage {
        title: "Delete this session?",
        message: format!(
            "Session {} on {date} of {} will be deleted, and their reminders will follow \
             the plan without it.",
            number + 1,
            bundle.client.name
        ),
        button: "Delete the session",
        action: format!("/console/clients/{client_id}/sessions/{session_id}/delete"),
        typed: false,
        error: None,
    };
    Ok(confirm_page(&session, &bundle, page))
}

/// POST /console/clients/{id}/sessions/{session_id}/delete.
#[post("/clients/{id}/sessions/{session_id}/delete")]
pub async fn delete_session(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (client_id, session_id) = path.into_inner();
    sessions::delete(
        &state.services,
        &session.clinic,
        client_id.clone(),
        session_id,
    )
    .await?;
    Ok(see_other(&format!(
        "/console/clients/{client_id}?done=session_deleted#sessions-title"
    )))
}
