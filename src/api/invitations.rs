//! Invitations: a single-use link, emailed to the client, exchanged for an access
//! token shown once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::Connection;

use super::auth::{AuthenticatedClinic, CLIENT_TOKEN_KIND, INVITATION_TOKEN_KIND};
use super::views::ClientBundle;
use crate::app::AppState;
use crate::db::{self, clients};
use crate::error::ApiError;
use crate::notify::email::{OutgoingEmail, Recipient};
use crate::notify::templates::{self, InvitationEmail};
use crate::tokens;

/// Issues a new invitation token (the old one stops working), emails the link, and
/// records the outcome (`sent` or `failed: reason`) on the client. A failed send is
/// not an error of the request: the client exists and the clinic can resend.
pub async fn send(
    state: &AppState,
    clinic: &AuthenticatedClinic,
    client_id: &str,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let token = tokens::issue(INVITATION_TOKEN_KIND);
    let expires = now + chrono::Duration::days(i64::from(state.settings.invitations.valid_days));
    let (token_id, token_hash) = (token.id.clone(), token.hash.clone());
    let clinic_id = clinic.id.clone();
    let id = client_id.to_string();
    let bundle = db::run(&state.pool, move |conn| {
        let mut bundle = super::clients::load_for_clinic(conn, &clinic_id, &id)?;
        let client = &mut bundle.client;
        client.invitation_token_id = Some(token_id);
        client.invitation_token_hash = Some(token_hash);
        client.invitation_expires_at = Some(expires.naive_utc());
        client.invitation_status = "pending".into();
        client.invitation_error = None;
        client.updated_at = now.naive_utc();
        clients::save(conn, client)?;
        Ok(bundle)
    })
    .await?;

    let outcome = deliver(state, clinic, &bundle, &token.token, expires).await;
    let (status, error) = match &outcome {
        Ok(()) => ("sent", None),
        Err(why) => {
            tracing::warn!(client = %bundle.client.id, error = %why, "invitation email failed");
            ("failed", Some(why.clone()))
        }
    };
    let id = client_id.to_string();
    db::run(&state.pool, move |conn| {
        // Only record the outcome if no newer invitation replaced this one meanwhile.
        if let Some(mut client) = clients::find(conn, &id)? {
            if client.invitation_token_id.as_deref() == Some(token.id.as_str()) {
                client.invitation_status = status.into();
                client.invitation_error = error;
                client.updated_at = now.naive_utc();
                clients::save(conn, &client)?;
            }
        }
        Ok(())
    })
    .await
}

async fn deliver(
    state: &AppState,
    clinic: &AuthenticatedClinic,
    bundle: &ClientBundle,
    token: &str,
    expires: DateTime<Utc>,
) -> Result<(), String> {
    let public_url = state
        .settings
        .server
        .public_url
        .as_str()
        .trim_end_matches('/');
    let tz = bundle.timezone();
    let today = bundle.today(state.clock.now());
    let rendered = templates::render_invitation(&InvitationEmail {
        client_name: bundle.client.name.clone(),
        clinic_name: clinic.name.clone(),
        clinic_email: clinic.email.clone(),
        accept_link: format!("{public_url}/invite/{token}"),
        expires_on: expires.with_timezone(&tz).date_naive(),
        first_session_on: bundle.sessions.iter().map(|s| s.date).find(|d| *d >= today),
    })
    .map_err(|e| format!("template: {e}"))?;
    let email = OutgoingEmail {
        to: Recipient::new(bundle.client.name.clone(), bundle.client.email.clone()),
        sender_name: Some(clinic.name.clone()),
        reply_to: Some(clinic.email.clone()),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        list_unsubscribe: None,
    };
    state
        .mailer
        .send(&email)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Per-source-address limit on invitation accepts: guessing tokens is hopeless
/// (256 bits), but a flood still costs database work. Kept in memory per replica.
#[derive(Debug, Default)]
pub struct AcceptLimiter {
    windows: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
}

impl AcceptLimiter {
    /// True when `ip` may make another attempt at `now`; counts the attempt.
    pub fn allow(&self, ip: IpAddr, now: DateTime<Utc>, per_minute: u32) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now - *start < chrono::Duration::minutes(1));
        }
        let entry = windows.entry(ip).or_insert((now, 0));
        if now - entry.0 >= chrono::Duration::minutes(1) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= per_minute
    }
}

/// POST /v1/invitations/{token}/accept
#[utoipa::path(operation_id = "invitations_accept", post, path = "/v1/invitations/{token}/accept", params(("token" = String, Path, description = "From the invitation link")), tag = "client", responses((status = 200, description = "The access token, shown once", body = crate::api::openapi::AcceptedDoc), (status = 404, description = "Unknown token", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Already accepted", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 410, description = "Expired", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this address", body = crate::api::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let ip = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if !state
        .accept_limiter
        .allow(ip, now, state.settings.invitations.accepts_per_minute)
    {
        return Err(ApiError::TooManyRequests(
            "too many invitation attempts from this address; try again in a minute".into(),
        ));
    }
    let token = path.into_inner();
    let unknown = || ApiError::NotFound("this invitation link is not valid".into());
    let token_id = tokens::parse_id(INVITATION_TOKEN_KIND, &token)
        .ok_or_else(unknown)?
        .to_string();
    let access = tokens::issue(CLIENT_TOKEN_KIND);
    let (access_id, access_hash) = (access.id.clone(), access.hash.clone());
    let view = db::run(&state.pool, move |conn| {
        conn.transaction::<_, ApiError, _>(|conn| {
            let mut client =
                clients::find_by_invitation_id(conn, &token_id)?.ok_or_else(unknown)?;
            let stored = client
                .invitation_token_hash
                .as_deref()
                .ok_or_else(unknown)?;
            if !tokens::verify(&token, stored) {
                return Err(unknown());
            }
            if client.invitation_status == "accepted" {
                return Err(ApiError::Conflict(
                    "this invitation has already been accepted; ask your clinic for a new link"
                        .into(),
                ));
            }
            if client
                .invitation_expires_at
                .is_some_and(|at| at.and_utc() <= now)
            {
                return Err(ApiError::Gone(
                    "this invitation link has expired; ask your clinic for a new one".into(),
                ));
            }
            client.invitation_status = "accepted".into();
            client.invitation_error = None;
            client.access_token_id = Some(access_id);
            client.access_token_hash = Some(access_hash);
            client.updated_at = now.naive_utc();
            clients::save(conn, &client)?;
            Ok(ClientBundle::load(conn, client)?.view())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "access_token": access.token,
        "token_type": "Bearer",
        "client": view,
    })))
}
