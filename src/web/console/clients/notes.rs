//! Notes on a client, and "contacted" records, from the client's page.

use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use super::super::{see_other, ConsoleSession, FormErrors};
use super::page::{refused, Returned};
use crate::http::AppState;
use crate::service::notes;
use crate::service::Error;
use crate::web::pages::PageError;

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

/// POST /console/clients/{id}/notes: adds a note; a refused one comes back next to
/// the field, as typed, and nothing is stored.
#[post("/clients/{id}/notes")]
pub async fn add_note(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let form = form.into_inner();
    match notes::add(
        &state.services,
        &session.clinic,
        client_id.clone(),
        &form.note,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/console/clients/{client_id}?done=note_added#notes-title"
        ))),
        Err(e @ Error::Invalid { .. }) => {
            let returned = Returned {
                form: "note".into(),
                errors: FormErrors::sort(vec![e], &["note"])?,
                note: form.note,
                ..Default::default()
            };
            refused(&state, &session, client_id, returned).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /console/clients/{id}/contacted: records that the signed-in staff member
/// contacted the client now.
#[post("/clients/{id}/contacted")]
pub async fn mark_contacted(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    notes::mark_contacted(&state.services, &session.clinic, client_id.clone()).await?;
    Ok(see_other(&format!(
        "/console/clients/{client_id}?done=contacted#notes-title"
    )))
}
