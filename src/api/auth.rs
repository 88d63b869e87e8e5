//! Authentication extractors. Handlers that take `AuthenticatedClinic` only run for a
//! request with a valid `Authorization: Bearer <clinic key>`.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use crate::app::AppState;
use crate::db::{self, clinics};
use crate::error::ApiError;
use crate::tokens;

/// Prefix of clinic API keys.
pub const CLINIC_KEY_KIND: &str = "smpk";
/// Prefix of client access tokens.
pub const CLIENT_TOKEN_KIND: &str = "smpc";
/// Prefix of invitation tokens (in the emailed link).
pub const INVITATION_TOKEN_KIND: &str = "smpi";

#[derive(Debug, Clone)]
pub struct AuthenticatedClinic {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("missing Authorization: Bearer header".into()))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Authorization header is not ASCII".into()))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::Unauthorized("Authorization must be \"Bearer <token>\"".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(
            "Authorization must be \"Bearer <token>\"".into(),
        ));
    }
    Ok(token.trim().to_string())
}

impl FromRequest for AuthenticatedClinic {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
            let token = token?;
            let invalid = || ApiError::Unauthorized("invalid or revoked clinic API key".into());
            let key_id = tokens::parse_id(CLINIC_KEY_KIND, &token)
                .ok_or_else(invalid)?
                .to_string();
            let clinic = db::run(&state.pool, move |conn| {
                Ok(clinics::find_by_key_id(conn, &key_id)?)
            })
            .await?
            .ok_or_else(invalid)?;
            let stored = clinic.api_key_hash.as_deref().ok_or_else(invalid)?;
            if !tokens::verify(&token, stored) {
                return Err(invalid());
            }
            Ok(AuthenticatedClinic {
                id: clinic.id,
                name: clinic.name,
                email: clinic.email,
            })
        })
    }
}

/// The client behind `Authorization: Bearer <client access token>`.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub client: crate::db::clients::Client,
}

impl FromRequest for AuthenticatedClient {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
            let token = token?;
            let invalid = || ApiError::Unauthorized("invalid or expired access token".into());
            let token_id = tokens::parse_id(CLIENT_TOKEN_KIND, &token)
                .ok_or_else(invalid)?
                .to_string();
            let client = db::run(&state.pool, move |conn| {
                Ok(crate::db::clients::find_by_access_id(conn, &token_id)?)
            })
            .await?
            .ok_or_else(invalid)?;
            let stored = client.access_token_hash.as_deref().ok_or_else(invalid)?;
            if !tokens::verify(&token, stored) {
                return Err(invalid());
            }
            Ok(AuthenticatedClient { client })
        })
    }
}
