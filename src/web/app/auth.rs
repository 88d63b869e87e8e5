//! The signed-in client of an app request: the access token the device keeps, sent as
//! `Authorization: Bearer` by the app's scripts (never a cookie, so no other site can
//! make a browser send it). The token is read by the one parser the API uses
//! (`http::bearer`); this extractor answers in the web's terms (a bare 401, which the scripts turn into "signed out").

use std::future::Future;
use std::pin::Pin;

use actix_web::{error, web, FromRequest, HttpRequest};

use crate::http::{bearer, AppState};
use crate::service::client_auth::{self, Authenticated};

pub struct SignedInClient(pub Authenticated);

impl FromRequest for SignedInClient {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer::token(req).ok();
        Box::pin(async move {
            let state = state.ok_or_else(|| error::ErrorInternalServerError("no services"))?;
            let token = token.ok_or_else(|| error::ErrorUnauthorized("sign in first"))?;
            match client_auth::client_by_token(&state.services, token).await {
                Ok(Some(client)) => Ok(SignedInClient(client)),
                Ok(None) => Err(error::ErrorUnauthorized("sign in first")),
                Err(e) => Err(super::super::pages::PageError::from(e).into()),
            }
        })
    }
}
