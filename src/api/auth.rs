//! Authentication extractors. A handler that takes `AuthenticatedClinic` runs only
//! for a request with a valid `Authorization: Bearer <clinic key>`; one that takes
//! `AuthenticatedClient`, only with a valid client access token. Every failure is the
//! same 401, so a caller learns nothing about which part of a token was wrong.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};

use super::{ApiError, AppState};
use crate::http::bearer;
use crate::service::client_auth::{self, Authenticated};
use crate::service::{clinics, ClinicRef};

/// The clinic of the request's API key.
#[derive(Debug, Clone)]
pub struct AuthenticatedClinic(pub ClinicRef);

/// The client of the request's access token.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient(pub Authenticated);

/// A client access token, not yet checked: for the hottest reads, whose service
/// authenticates it in the same database call as the read (see `days::my_day`). A
/// handler answers an unknown token with [`invalid_client_token`].
#[derive(Debug, Clone)]
pub struct ClientToken(pub String);

/// The 401 of a client token that does not authenticate.
pub fn invalid_client_token() -> ApiError {
    ApiError::Unauthorized("invalid or expired access token".into())
}

/// The token of an `Authorization: Bearer <token>` header ([`bearer::token`]).
pub fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    bearer::token(req).map_err(|why| ApiError::Unauthorized(why.message().into()))
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn state_and_token(req: &HttpRequest) -> Result<(web::Data<AppState>, String), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("AppState missing"))?;
    Ok((state, bearer_token(req)?))
}

impl FromRequest for AuthenticatedClinic {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let found = state_and_token(req);
        Box::pin(async move {
            let (state, token) = found?;
            clinics::by_api_key(&state.services, token)
                .await?
                .map(AuthenticatedClinic)
                .ok_or_else(|| ApiError::Unauthorized("invalid or revoked clinic API key".into()))
        })
    }
}

impl FromRequest for ClientToken {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(bearer_token(req).map(ClientToken))
    }
}

impl FromRequest for AuthenticatedClient {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let found = state_and_token(req);
        Box::pin(async move {
            let (state, token) = found?;
            client_auth::client_by_token(&state.services, token)
                .await?
                .map(AuthenticatedClient)
                .ok_or_else(invalid_client_token)
        })
    }
}
