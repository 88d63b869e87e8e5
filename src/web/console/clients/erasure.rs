//! Erasing a client, once their name is typed.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::super::{see_other, ConsoleSession};
use super::confirm::{confirm_page, ConfirmPage};
use crate::http::AppState;
use crate::service::clients;
use crate::web::pages::PageError;

fn erase_page<'a>(client_id: &str, name: &str, error: Option<&'a str>) -> ConfirmPage<'a> {
    ConfirmPage {
        title: "Erase this client?",
        message: format!(
            "Everything about {name} is deleted for good: their details, sessions, notes, \
             devices, reminders and their link to the app. Their audit entries keep no personal data."
        ),
        button: "Erase the client",
        action: format!("/console/clients/{client_id}/erase"),
        typed: true,
        error,
    }
}

/// GET /console/clients/{id}/erase: asks for the client's name first.
#[get("/clients/{id}/erase")]
pub async fn confirm_erase(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let bundle = clients::get(&state.services, &session.clinic, client_id.clone()).await?;
    let page = erase_page(&client_id, &bundle.client.name, None);
    Ok(confirm_page(&session, &bundle, page))
}

#[derive(Debug, Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    confirm: String,
}

/// POST /console/clients/{id}/erase: erases the client once their name is typed.
#[post("/clients/{id}/erase")]
pub async fn erase(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<EraseForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let s = &state.services;
    let bundle = clients::get(s, &session.clinic, client_id.clone()).await?;
    let typed = form.confirm.trim();
    if !typed.eq_ignore_ascii_case(bundle.client.name.trim()) {
        let error = "Type the client's name exactly as shown to erase them.";
        let page = erase_page(&client_id, &bundle.client.name, Some(error));
        return Ok(confirm_page(&session, &bundle, page));
    }
    clients::erase(s, &session.clinic, client_id).await?;
    Ok(see_other("/console/clients?done=erased"))
}
