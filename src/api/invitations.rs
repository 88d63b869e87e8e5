//! POST /v1/invitations/{token}/accept: the link's token for an access token.

use actix_web::{post, web, HttpRequest, HttpResponse};

use super::views::ClientView;
use super::{ApiError, AppState};
use crate::metrics::InvitationOutcome;
use crate::service::invitations;

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
    let per_minute = services.settings.invitations.accepts_per_minute;
    if state
        .accept_limit
        .check(&req, services, per_minute)
        .is_err()
    {
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
