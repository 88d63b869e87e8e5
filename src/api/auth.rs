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

/// The shared path of both bearer extractors: parse the token's public id, look the
/// owner up by it, then compare the stored hash in constant time. Every failure is the
/// same 401, so a caller learns nothing about which part was wrong.
fn authenticate<T, F>(
    req: &HttpRequest,
    kind: &'static str,
    invalid_message: &'static str,
    lookup: F,
) -> Pin<Box<dyn Future<Output = Result<T, ApiError>>>>
where
    T: Send + 'static,
    F: FnOnce(&mut crate::db::DbConnection, &str) -> Result<Option<(T, Option<String>)>, ApiError>
        + Send
        + 'static,
{
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer_token(req);
    Box::pin(async move {
        let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
        let token = token?;
        let invalid = || ApiError::Unauthorized(invalid_message.into());
        let id = tokens::parse_id(kind, &token)
            .ok_or_else(invalid)?
            .to_string();
        let (owner, stored_hash) = db::run(&state.pool, move |conn| lookup(conn, &id))
            .await?
            .ok_or_else(invalid)?;
        match stored_hash {
            Some(hash) if tokens::verify(&token, &hash) => Ok(owner),
            _ => Err(invalid()),
        }
    })
}

impl FromRequest for AuthenticatedClinic {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        authenticate(
            req,
            CLINIC_KEY_KIND,
            "invalid or revoked clinic API key",
            |conn, id| {
                Ok(clinics::find_by_key_id(conn, id)?.map(|clinic| {
                    let hash = clinic.api_key_hash.clone();
                    let owner = AuthenticatedClinic {
                        id: clinic.id,
                        name: clinic.name,
                        email: clinic.email,
                    };
                    (owner, hash)
                }))
            },
        )
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
        authenticate(
            req,
            CLIENT_TOKEN_KIND,
            "invalid or expired access token",
            |conn, id| {
                Ok(
                    crate::db::clients::find_by_access_id(conn, id)?.map(|client| {
                        let hash = client.access_token_hash.clone();
                        (AuthenticatedClient { client }, hash)
                    }),
                )
            },
        )
    }
}
