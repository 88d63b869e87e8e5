//! Owners' page of the clinic's staff accounts: who can sign in, inviting someone
//! (they get an email with a sign-in link), and removing an account (its sessions end
//! at once), after a confirmation page.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{local_time, render, render_status, see_other, FormErrors, OwnerSession};
use crate::domain::Zone;
use crate::http::AppState;
use crate::service::staff::{self, InviteInput, Member};
use crate::service::{self, clinics, Services};
use crate::web::pages::{PageError, View};

const FIELDS: &[&str] = &["name", "email", "role"];

/// An account as the list shows it.
#[derive(Debug, Serialize)]
struct MemberRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    is_owner: bool,
    is_you: bool,
    added: String,
    last_sign_in: Option<String>,
}

fn row(member: Member, you: &str, zone: Zone) -> MemberRow {
    MemberRow {
        is_you: member.id == you,
        is_owner: member.is_owner(),
        role: member.role.as_str(),
        added: local_time(member.created_at, zone),
        last_sign_in: member.last_sign_in_at.map(|at| local_time(at, zone)),
        id: member.id,
        name: member.name,
        email: member.email,
    }
}

async fn zone(s: &Services, session: &super::ConsoleSession) -> Result<Zone, service::Error> {
    Ok(clinics::settings(s, &session.clinic).await?.timezone)
}

#[derive(Debug, Deserialize)]
pub struct Flags {
    invited: Option<String>,
    removed: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct InviteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn list_page(
    s: &Services,
    session: &super::ConsoleSession,
    status: StatusCode,
    form: &InviteForm,
    errors: FormErrors,
    flags: &Flags,
) -> Result<HttpResponse, PageError> {
    let zone = zone(s, session).await?;
    let members: Vec<MemberRow> = staff::list(s, &session.clinic)
        .await?
        .into_iter()
        .map(|m| row(m, &session.member.id, zone))
        .collect();
    let view = StaffView {
        members,
        form,
        errors,
        invited: flags.invited.is_some(),
        removed: flags.removed.is_some(),
        invitation_valid_for: service::sign_in::spoken(s.settings.console.invitation_lifetime()),
    };
    Ok(render_status(status, &view, session))
}

/// The accounts, and the invitation form (as typed, when refused).
#[derive(Serialize)]
struct StaffView<'a> {
    members: Vec<MemberRow>,
    form: &'a InviteForm,
    errors: FormErrors,
    invited: bool,
    removed: bool,
    /// How long an invitation's link works, in words.
    invitation_valid_for: String,
}

impl View for StaffView<'_> {
    const TEMPLATE: &'static str = "console/staff.html.j2";
}

/// "Remove this account?", with the refusal when removing was refused.
#[derive(Serialize)]
struct RemoveView {
    member: MemberRow,
    error: Option<String>,
}

impl View for RemoveView {
    const TEMPLATE: &'static str = "console/staff_remove.html.j2";
}

/// GET /console/staff
#[get("/staff")]
async fn list(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, PageError> {
    let form = InviteForm {
        role: "staff".to_string(),
        ..InviteForm::default()
    };
    list_page(
        &state.services,
        &session,
        StatusCode::OK,
        &form,
        FormErrors::default(),
        &flags,
    )
    .await
}

/// POST /console/staff: invites someone.
#[post("/staff")]
async fn invite(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    input: web::Form<InviteForm>,
) -> Result<HttpResponse, PageError> {
    let form = input.into_inner();
    let request = InviteInput {
        name: form.name.clone(),
        email: form.email.clone(),
        role: form.role.clone(),
    };
    match staff::invite(&state.services, &session.clinic, request).await {
        Ok(_) => Ok(see_other("/console/staff?invited=1")),
        Err(errors) => {
            let errors = FormErrors::sort(errors, FIELDS)?;
            let flags = Flags {
                invited: None,
                removed: None,
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            list_page(&state.services, &session, status, &form, errors, &flags).await
        }
    }
}

/// GET /console/staff/{id}/remove: "remove this account?"
#[get("/staff/{id}/remove")]
async fn confirm_remove(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let member = staff::get(&state.services, &session.clinic, path.into_inner()).await?;
    let zone = zone(&state.services, &session).await?;
    let view = RemoveView {
        member: row(member, &session.member.id, zone),
        error: None,
    };
    Ok(render(&view, &session))
}

/// POST /console/staff/{id}/remove
#[post("/staff/{id}/remove")]
async fn remove(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    match staff::remove(&state.services, &session.clinic, id.clone()).await {
        Ok(_) => Ok(see_other("/console/staff?removed=1")),
        Err(service::Error::Conflict(why)) => {
            let member = staff::get(&state.services, &session.clinic, id).await?;
            let zone = zone(&state.services, &session).await?;
            let view = RemoveView {
                member: row(member, &session.member.id, zone),
                error: Some(why),
            };
            Ok(render_status(StatusCode::CONFLICT, &view, &session))
        }
        Err(other) => Err(other.into()),
    }
}
