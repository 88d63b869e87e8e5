//! POST /v1/invitations/{token}/accept: the link's token for an access token.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use super::views::ClientView;
use super::{client_ip, ApiError, AppState};
use crate::metrics::InvitationOutcome;
use crate::service::invitations;

/// Per-client-address limit on invitation accepts: guessing tokens is hopeless
/// (256 bits), but a flood still costs database work. Kept in memory per replica.
/// Behind a trusted proxy the address is the forwarded one (`client_ip`), so clients
/// do not share the proxy's bucket.
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
#[utoipa::path(
    operation_id = "invitations_accept",
    params(("token" = String, Path, description = "From the invitation link")),
    responses(
        (status = 200, description = "The access token, shown once", body = super::openapi::AcceptedDoc),
        (status = 409, description = "Already accepted", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
        (status = 410, description = "Expired", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = super::openapi::ProblemDoc,
            content_type = "application/problem+json"),
    ),
    tag = "client"
)]
#[post("/v1/invitations/{token}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let services = &state.services;
    let ip = client_ip::of(&req, &services.settings.server.trusted_proxies);
    let per_minute = services.settings.invitations.accepts_per_minute;
    if !state.accept_limiter.allow(ip, services.now(), per_minute) {
        services.metrics.invitation(InvitationOutcome::RateLimited);
        return Err(ApiError::TooManyRequests(
            "too many invitation attempts from this address; try again in a minute".into(),
        ));
    }
    let accepted = invitations::accept(services, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "access_token": accepted.access_token,
        "token_type": "Bearer",
        "client": ClientView::for_clinic(&accepted.bundle),
    })))
}
