//! The signed-in client of an app request: the access token the device keeps, sent as
//! `Authorization: Bearer` by the app's scripts (never a cookie, so no other site can
//! make a browser send it). The API has its own extractor; this one answers in the
//! web's terms (a bare 401, which the scripts turn into "signed out").

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{error, web, FromRequest, HttpRequest};

use crate::db::clients::Client;
use crate::service::{clinics, Services};

pub struct SignedInClient(pub Client);

impl FromRequest for SignedInClient {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let services = req.app_data::<web::Data<Services>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let services =
                services.ok_or_else(|| error::ErrorInternalServerError("no services"))?;
            let token = token.ok_or_else(|| error::ErrorUnauthorized("sign in first"))?;
            match clinics::client_by_token(&services, token).await {
                Ok(Some(client)) => Ok(SignedInClient(client)),
                Ok(None) => Err(error::ErrorUnauthorized("sign in first")),
                Err(e) => Err(super::super::pages::PageError::from(e).into()),
            }
        })
    }
}
