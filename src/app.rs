//! Builds the actix server on a given listener (port 0 in tests) around shared state.

use std::net::TcpListener;

use actix_web::body::BoxBody;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{error, web, App, HttpMessage, HttpRequest, HttpServer, ResponseError};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::api::invitations::AcceptLimiter;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::error::{ApiError, PROBLEM_JSON};
use crate::notify::email::Mailer;
use crate::notify::vapid::VapidKeys;

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Settings,
    pub clock: SharedClock,
    /// "sqlite" or "postgresql", for readiness and logs.
    pub backend: &'static str,
    pub mailer: Mailer,
    pub vapid: VapidKeys,
    pub accept_limiter: AcceptLimiter,
}

/// A startup failure, phrased for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] db::DbError),
    #[error("email: {0}")]
    Email(String),
    #[error("VAPID key: {0}")]
    Vapid(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

pub struct Application {
    server: Server,
    port: u16,
    state: web::Data<AppState>,
}

impl Application {
    /// Connects to the database, applies migrations and binds the configured address.
    pub fn build(settings: Settings, clock: SharedClock) -> Result<Application, StartupError> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener =
            TcpListener::bind(&address).map_err(|source| StartupError::Bind { address, source })?;
        let pool = prepare_database(&settings)?;
        Self::with_listener(settings, clock, pool, listener)
    }

    pub fn with_listener(
        settings: Settings,
        clock: SharedClock,
        pool: DbPool,
        listener: TcpListener,
    ) -> Result<Application, StartupError> {
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let backend =
            db::DatabaseUrl::parse(secrecy::ExposeSecret::expose_secret(&settings.database.url))?
                .backend_name();
        let mailer =
            Mailer::new(&settings.email).map_err(|e| StartupError::Email(e.to_string()))?;
        let vapid = load_vapid_keys(&settings)?;
        let shutdown_timeout = settings.server.shutdown_timeout_secs;
        let workers = settings.server.workers;
        let state = web::Data::new(AppState {
            pool,
            settings,
            clock,
            backend,
            mailer,
            vapid,
            accept_limiter: AcceptLimiter::default(),
        });
        let shared = state.clone();
        let mut server = HttpServer::new(move || {
            let body_limit = state.settings.server.body_limit_bytes;
            App::new()
                .app_data(state.clone())
                .app_data(json_config(body_limit))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(web::PathConfig::default().error_handler(|e, _| bad_request(e)))
                .app_data(web::QueryConfig::default().error_handler(|e, _| bad_request(e)))
                .configure(crate::api::configure)
                .default_service(web::to(not_found))
                .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
                .wrap(actix_web::middleware::from_fn(echo_request_id))
                .wrap(TracingLogger::default())
        })
        .shutdown_timeout(shutdown_timeout)
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            address: format!("port {port}"),
            source,
        })?;
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Application {
            server: server.run(),
            port,
            state: shared,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (pool, mailer, keys), for the job engine beside the server.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM/SIGINT, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Opens the pool and applies pending migrations.
pub fn prepare_database(settings: &Settings) -> Result<DbPool, StartupError> {
    let pool = db::connect(&settings.database)?;
    let mut conn = pool.get().map_err(|e| db::DbError::Connect {
        url: settings.database.redacted_url(),
        message: e.to_string(),
    })?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied database migrations");
    }
    Ok(pool)
}

/// The operator's key if given, else the one generated on first start and kept.
pub fn load_vapid_keys(settings: &Settings) -> Result<VapidKeys, StartupError> {
    let keys = match &settings.push.vapid_private_key {
        Some(key) => VapidKeys::from_base64url_private(secrecy::ExposeSecret::expose_secret(key)),
        None => VapidKeys::load_or_generate(&settings.push.vapid_key_file),
    };
    keys.map_err(|e| StartupError::Vapid(e.to_string()))
}

fn bad_request(error: impl std::fmt::Display) -> actix_web::Error {
    ApiError::BadRequest(error.to_string()).into()
}

/// JSON bodies: a too-large body is 413, a wrong content type 415, anything serde
/// rejects (syntax, wrong type, unknown or missing field) 400 naming the field.
fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|e, _req| {
            let api_error = match &e {
                error::JsonPayloadError::OverflowKnownLength { length, limit } => {
                    ApiError::PayloadTooLarge(format!(
                        "request body is {length} bytes; the limit is {limit}"
                    ))
                }
                error::JsonPayloadError::Overflow { limit } => {
                    ApiError::PayloadTooLarge(format!("request body exceeds {limit} bytes"))
                }
                error::JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
                    "send the body as Content-Type: application/json".to_string(),
                ),
                error::JsonPayloadError::Deserialize(inner) => {
                    ApiError::BadRequest(format!("invalid JSON body: {inner}"))
                }
                other => ApiError::BadRequest(format!("invalid JSON body: {other}")),
            };
            api_error.into()
        })
}

async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}

/// actix answers some errors itself (405 on a known path, payload errors) with an
/// empty or plain-text body; give those a problem body too.
fn problem_for_bare_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = match status.canonical_reason() {
        Some(reason) => format!(
            "{reason} ({} {})",
            res.request().method(),
            res.request().path()
        ),
        None => format!("HTTP {status}"),
    };
    let api_error = match status.as_u16() {
        404 => ApiError::NotFound(detail),
        405 => ApiError::MethodNotAllowed(format!(
            "{} is not allowed on {}",
            res.request().method(),
            res.request().path()
        )),
        413 => ApiError::PayloadTooLarge(detail),
        415 => ApiError::UnsupportedMediaType(detail),
        401 => ApiError::Unauthorized(detail),
        403 => ApiError::Forbidden(detail),
        429 => ApiError::TooManyRequests(detail),
        503 => ApiError::Unavailable(detail),
        s if s >= 500 => ApiError::Internal(detail),
        _ => ApiError::BadRequest(detail),
    };
    let allow = res.headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut response = api_error.error_response();
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    let response: actix_web::HttpResponse<BoxBody> = response;
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

/// Puts the request id that `TracingLogger` gave this request (and every log line of
/// it) on the response, so a client's bug report can be matched to our logs.
async fn echo_request_id(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> actix_web::Result<ServiceResponse<impl actix_web::body::MessageBody>> {
    let request_id = req.extensions().get::<RequestId>().copied();
    let mut res = next.call(req).await?;
    if let Some(id) = request_id {
        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
            res.headers_mut()
                .insert(HeaderName::from_static("x-request-id"), value);
        }
    }
    Ok(res)
}
