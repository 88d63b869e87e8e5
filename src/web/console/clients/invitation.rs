//! A new invitation link, and a change of the client's email address.

use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use super::super::{see_other, ConsoleSession, FormErrors};
use super::page::{refused, Returned};
use crate::http::AppState;
use crate::service::clients::{self, ClientChange};
use crate::service::{invitations, Error};
use crate::web::pages::PageError;

/// POST /console/clients/{id}/invitation: a new link; the old one stops working.
#[post("/clients/{id}/invitation")]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    invitations::resend(&state.services, &session.clinic, client_id.clone()).await?;
    Ok(see_other(&format!(
        "/console/clients/{client_id}?done=invitation_sent"
    )))
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// POST /console/clients/{id}/email: changes the client's email address.
#[post("/clients/{id}/email")]
pub async fn change_email(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let change = ClientChange {
        email: Some(form.email.clone()),
        ..Default::default()
    };
    match clients::update(&state.services, &session.clinic, client_id.clone(), change).await {
        Ok(_) => Ok(see_other(&format!(
            "/console/clients/{client_id}?done=email_changed"
        ))),
        Err(e @ (Error::Invalid { .. } | Error::Conflict(_))) => {
            let e = match e {
                Error::Conflict(message) => Error::invalid("email", message),
                other => other,
            };
            let returned = Returned {
                form: "email".into(),
                errors: FormErrors::sort(vec![e], &["email"])?,
                email: Some(form.email.clone()),
                ..Default::default()
            };
            refused(&state, &session, client_id, returned).await
        }
        Err(e) => Err(e.into()),
    }
}
