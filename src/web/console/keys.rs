//! Owners' page of the clinic's API keys (for integrations such as a booking
//! system): create one with a name (its secret is shown once, on the answer to the
//! form, and never again), and revoke one after a confirmation page.

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{local_time, render, render_status, see_other, FormErrors, OwnerSession};
use crate::domain::Zone;
use crate::http::AppState;
use crate::service::api_keys::{self, KeyView};
use crate::service::{clinics, Services};
use crate::web::pages::{PageError, View};

/// A key as the list shows it.
#[derive(Debug, Serialize)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    created: String,
    created_by: String,
    last_used: Option<String>,
    revoked: Option<String>,
}

fn row(key: KeyView, zone: Zone) -> KeyRow {
    KeyRow {
        created: local_time(key.created_at, zone),
        last_used: key.last_used_at.map(|at| local_time(at, zone)),
        revoked: key.revoked_at.map(|at| local_time(at, zone)),
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        created_by: key.created_by,
    }
}

#[derive(Debug, Deserialize)]
pub struct Flags {
    revoked: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

struct Shown<'a> {
    status: StatusCode,
    form: &'a CreateForm,
    errors: FormErrors,
    created: Option<(KeyRow, String)>,
    revoked: bool,
}

/// The keys, the form, and (on the answer to it) the new key with its secret.
#[derive(Serialize)]
struct KeysView<'a> {
    keys: Vec<KeyRow>,
    form: &'a CreateForm,
    errors: FormErrors,
    created: Option<KeyRow>,
    /// Shown once, on the answer that created the key.
    secret: Option<String>,
    revoked: bool,
    /// Where the API is, for the examples.
    public_url: &'a str,
}

impl View for KeysView<'_> {
    const TEMPLATE: &'static str = "console/keys.html.j2";
}

/// "Revoke this key?"
#[derive(Serialize)]
struct RevokeView {
    key: KeyRow,
}

impl View for RevokeView {
    const TEMPLATE: &'static str = "console/key_revoke.html.j2";
}

async fn page(
    s: &Services,
    session: &super::ConsoleSession,
    shown: Shown<'_>,
) -> Result<HttpResponse, PageError> {
    let zone = clinics::settings(s, &session.clinic).await?.timezone;
    let keys: Vec<KeyRow> = api_keys::list(s, &session.clinic)
        .await?
        .into_iter()
        .map(|k| row(k, zone))
        .collect();
    let (created, secret) = match shown.created {
        Some((key, secret)) => (Some(key), Some(secret)),
        None => (None, None),
    };
    let view = KeysView {
        keys,
        form: shown.form,
        errors: shown.errors,
        created,
        secret,
        revoked: shown.revoked,
        public_url: s.settings.server.public_url.as_str().trim_end_matches('/'),
    };
    let mut response = render_status(shown.status, &view, session);
    // The page may hold a secret: never kept by a cache (pages are no-store already).
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// GET /console/keys
#[get("/keys")]
async fn list(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, PageError> {
    let form = CreateForm::default();
    let shown = Shown {
        status: StatusCode::OK,
        form: &form,
        errors: FormErrors::default(),
        created: None,
        revoked: flags.revoked.is_some(),
    };
    page(&state.services, &session, shown).await
}

/// POST /console/keys: creates a key and shows its secret, this once.
#[post("/keys")]
async fn create(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    input: web::Form<CreateForm>,
) -> Result<HttpResponse, PageError> {
    let form = input.into_inner();
    let s = &state.services;
    match api_keys::create(s, &session.clinic, form.name.clone()).await {
        Ok(created) => {
            let zone = clinics::settings(s, &session.clinic).await?.timezone;
            let blank = CreateForm::default();
            let shown = Shown {
                status: StatusCode::OK,
                form: &blank,
                errors: FormErrors::default(),
                created: Some((row(created.key, zone), created.secret)),
                revoked: false,
            };
            page(s, &session, shown).await
        }
        Err(error) => {
            let shown = Shown {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                form: &form,
                errors: FormErrors::sort(vec![error], &["name"])?,
                created: None,
                revoked: false,
            };
            page(s, &session, shown).await
        }
    }
}

/// GET /console/keys/{id}/revoke: "revoke this key?"
#[get("/keys/{id}/revoke")]
async fn confirm_revoke(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    let key = api_keys::get(s, &session.clinic, path.into_inner()).await?;
    let zone = clinics::settings(s, &session.clinic).await?.timezone;
    let view = RevokeView {
        key: row(key, zone),
    };
    Ok(render(&view, &session))
}

/// POST /console/keys/{id}/revoke
#[post("/keys/{id}/revoke")]
async fn revoke(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    api_keys::revoke(&state.services, &session.clinic, path.into_inner()).await?;
    Ok(see_other("/console/keys?revoked=1"))
}
