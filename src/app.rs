//! The composition root, and the only one: settings and a clock in, the service
//! handle built once (`Services::build`), then one of three ways to run it: the HTTP
//! application (with or without the engine beside it), the engine alone (`worker`),
//! or one engine pass (`jobs run-once`).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpServer};
use tokio_cron_scheduler::JobScheduler;
use tracing_actix_web::TracingLogger;

use crate::api::middleware::{self, RouteTable};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::http::logging::RedactedRootSpan;
use crate::http::AppState;
use crate::jobs::{scheduler, Engine, RunReport};
use crate::links::Links;
use crate::metrics::Metrics;
use crate::notify::email::Mailer;
use crate::notify::vapid::VapidKeys;
use crate::service::queue::{self, QueueStatus};
use crate::service::Services;

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
    #[error("scheduler: {0}")]
    Scheduler(String),
    #[error(transparent)]
    Store(#[from] db::StoreError),
}

impl Services {
    /// Opens the database (applying migrations), the mailer and the VAPID keys.
    pub fn build(settings: Settings, clock: SharedClock) -> Result<Services, StartupError> {
        let pool = prepare_database(&settings)?;
        Services::with_pool(settings, clock, pool)
    }

    /// `build` on a pool the caller prepared (tests share it).
    pub fn with_pool(
        settings: Settings,
        clock: SharedClock,
        pool: DbPool,
    ) -> Result<Services, StartupError> {
        let backend = settings
            .database
            .backend()
            .map_err(db::DbError::BadUrl)?
            .backend_name();
        let mailer =
            Mailer::new(&settings.email).map_err(|e| StartupError::Email(e.to_string()))?;
        let vapid = load_vapid_keys(&settings, &pool, clock.now())?;
        if settings.push.vapid_subject.is_none() {
            tracing::warn!(
                "push is off: serve the app over https (server.public_url, which then is the VAPID contact) \
                 or set push.vapid_subject (SMP__PUSH__VAPID_SUBJECT) to a real mailto: or https: contact \
                 to send Web Push reminders; email reminders go out meanwhile"
            );
        }
        Ok(Services {
            pool,
            clock,
            links: Links::from_settings(&settings),
            backend,
            vapid_public_key: vapid.public_key_base64url(),
            mailer,
            vapid,
            settings: Arc::new(settings),
            outbox: Arc::new(tokio::sync::Notify::new()),
            metrics: Metrics::new(),
        })
    }

    /// The reminder engine on these services' database, clock and channels.
    pub fn engine(&self) -> Engine {
        Engine::new(
            &self.settings,
            self.pool.clone(),
            self.clock.clone(),
            self.mailer.clone(),
            self.vapid.clone(),
            self.metrics.clone(),
        )
    }
}

/// Opens the pool and applies pending migrations.
pub fn prepare_database(settings: &Settings) -> Result<DbPool, StartupError> {
    let (pool, applied) = open_and_migrate(settings)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied database migrations");
    }
    Ok(pool)
}

/// Applies pending migrations (`smp-aftercare migrate`); the names of those applied.
pub fn migrate(settings: &Settings) -> Result<Vec<String>, StartupError> {
    Ok(open_and_migrate(settings)?.1)
}

fn open_and_migrate(settings: &Settings) -> Result<(DbPool, Vec<String>), StartupError> {
    let new_file = match settings.database.backend() {
        Ok(db::DatabaseUrl::Sqlite(path)) if !path.exists() => Some(path),
        _ => None,
    };
    let pool = db::connect(&settings.database)?;
    if let Some(path) = new_file {
        // Said aloud: a start from an unexpected folder would otherwise go unnoticed.
        tracing::info!(path = %path.display(), "created a new, empty SQLite database");
    }
    let mut conn = pool.get().map_err(|e| db::DbError::Connect {
        url: settings.database.redacted_url(),
        message: e.to_string(),
    })?;
    let applied = db::run_migrations(&mut conn)?;
    Ok((pool, applied))
}

/// The deployment's one key pair: the operator's if configured, else the one stored in
/// the database, created by the first process that starts (a key file from before keys
/// lived in the database is imported then). Never a key of one process's own: every
/// replica must sign with the key the browsers subscribed with.
pub fn load_vapid_keys(
    settings: &Settings,
    pool: &DbPool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<VapidKeys, StartupError> {
    let vapid = |e: crate::notify::vapid::VapidError| StartupError::Vapid(e.to_string());
    let configured = match &settings.push.vapid_private_key {
        Some(key) => Some(
            VapidKeys::from_base64url_private(secrecy::ExposeSecret::expose_secret(key))
                .map_err(vapid)?,
        ),
        None => None,
    };
    let mut conn = pool.get().map_err(|e| db::DbError::Connect {
        url: settings.database.redacted_url(),
        message: e.to_string(),
    })?;
    let stored = db::vapid_keys::find(&mut conn).map_err(db::StoreError::from)?;
    let candidate = match (&configured, &stored) {
        (Some(keys), _) => keys.clone(),
        (None, Some(pem)) => return VapidKeys::from_pem(pem).map_err(vapid),
        (None, None) => match VapidKeys::from_file(&settings.push.vapid_key_file).map_err(vapid)? {
            Some(file) => {
                tracing::info!(path = %settings.push.vapid_key_file.display(),
                    "imported the VAPID key file into the database");
                file
            }
            None => VapidKeys::generate(),
        },
    };
    let kept =
        db::vapid_keys::store_first(&mut conn, &candidate.private_key_pem(), now.naive_utc())
            .map_err(db::StoreError::from)?;
    let kept = VapidKeys::from_pem(&kept).map_err(vapid)?;
    match configured {
        Some(keys) => {
            if kept != keys {
                tracing::warn!(
                    "push.vapid_private_key differs from the key stored in the database; the \
                     configured key is used, so every replica must be given the same one"
                );
            }
            Ok(keys)
        }
        None => {
            if kept == candidate {
                tracing::info!(public_key = %kept.public_key_base64url(), "stored the deployment's VAPID key");
            }
            Ok(kept)
        }
    }
}

/// The HTTP application on a listener.
pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    /// Binds the configured address.
    pub fn build(services: Services) -> Result<Application, StartupError> {
        let server = &services.settings.server;
        let address = format!("{}:{}", server.host, server.port);
        let listener =
            TcpListener::bind(&address).map_err(|source| StartupError::Bind { address, source })?;
        Application::with_listener(services, listener)
    }

    pub fn with_listener(
        services: Services,
        listener: TcpListener,
    ) -> Result<Application, StartupError> {
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let server_settings = services.settings.server.clone();
        // The OpenAPI document comes from the same route registration the server uses.
        let doc = crate::api::openapi::document();
        let routes = web::Data::new(RouteTable::from_openapi(&doc));
        services.metrics.prime_routes(routes.templates());
        let doc = web::Data::new(doc);
        // Pages and API handlers reach the services one way: the one state.
        let state = web::Data::new(AppState::new(services));
        let body_limit = server_settings.body_limit_bytes;
        let mut server = HttpServer::new(move || {
            use utoipa_actix_web::AppExt;
            App::new()
                .into_utoipa_app()
                .configure(crate::api::routes)
                .into_app()
                .app_data(state.clone())
                .app_data(routes.clone())
                .app_data(doc.clone())
                .app_data(middleware::json_config(body_limit))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(
                    web::PathConfig::default().error_handler(|e, _| middleware::bad_request(e)),
                )
                .app_data(
                    web::QueryConfig::default().error_handler(|e, _| middleware::bad_request(e)),
                )
                .route("/openapi.json", web::get().to(crate::api::openapi_json))
                .configure(crate::api::docs::routes)
                .configure(crate::web::routes)
                .default_service(web::to(not_found))
                .wrap(ErrorHandlers::new().default_handler(bare_error))
                .wrap(actix_web::middleware::from_fn(middleware::no_store_json))
                .wrap(actix_web::middleware::from_fn(middleware::echo_request_id))
                .wrap(crate::web::headers::security_headers())
                .wrap(actix_web::middleware::from_fn(middleware::record_metrics))
                .wrap(TracingLogger::<RedactedRootSpan>::new())
        })
        .shutdown_timeout(server_settings.shutdown_timeout_secs)
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            address: format!("port {port}"),
            source,
        })?;
        if server_settings.workers > 0 {
            server = server.workers(server_settings.workers);
        }
        Ok(Application {
            server: server.run(),
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Nothing matched: a page for a browser's navigation, a problem body for the API
/// (405 with `Allow` on a known API path).
async fn not_found(
    req: actix_web::HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<actix_web::HttpResponse, crate::api::ApiError> {
    if crate::web::wants_page(&req) {
        return Ok(crate::web::pages::not_found_page(&req));
    }
    middleware::not_found(req, table).await
}

/// An error answer without a body of ours (actix's own, a payload error): a page for
/// page requests, a problem body for everything else. A page answers as a page
/// whoever asked (a mail client's one-click unsubscribe, curl).
fn bare_error<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    let is_page = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_page || crate::web::wants_page(res.request()) {
        return Ok(crate::web::pages::page_for_bare_error(res));
    }
    middleware::problem_for_bare_errors(res)
}

/// `GET /metrics` on `metrics.bind`: an HTTP server of its own, so the metrics are
/// never served on the API's (public) address by accident.
pub struct MetricsServer {
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    port: u16,
}

impl MetricsServer {
    /// Listens on `metrics.bind`, or returns None when it is blank (metrics off).
    pub fn start(services: &Services) -> Result<Option<MetricsServer>, StartupError> {
        let bind = &services.settings.metrics;
        let Some(address) = bind.address().ok().flatten() else {
            return Ok(None);
        };
        let listener = TcpListener::bind(address).map_err(|source| StartupError::Bind {
            address: format!("{address} (metrics.bind)"),
            source,
        })?;
        MetricsServer::with_listener(services, listener).map(Some)
    }

    pub fn with_listener(
        services: &Services,
        listener: TcpListener,
    ) -> Result<MetricsServer, StartupError> {
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let services = web::Data::new(services.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(services.clone())
                .route("/metrics", web::get().to(crate::api::metrics::scrape))
        })
        .workers(1)
        // Stopped by its owner, after the API and the engine: scrapes see the drain.
        .disable_signals()
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            address: format!("port {port} (metrics.bind)"),
            source,
        })?
        .run();
        let handle = server.handle();
        Ok(MetricsServer {
            handle,
            task: tokio::spawn(server),
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}

/// The reminder engine running on cron wake-ups, plus an immediate wake-up whenever a
/// service queues something (an invitation) so it goes out now, not at the next tick.
pub struct Worker {
    engine: Arc<Engine>,
    scheduler: JobScheduler,
    waker: tokio::task::JoinHandle<()>,
    shutdown_timeout: std::time::Duration,
}

impl Worker {
    pub async fn start(services: &Services) -> Result<Worker, StartupError> {
        let engine = Arc::new(services.engine());
        let scheduler = scheduler::start(engine.clone(), &services.settings.jobs)
            .await
            .map_err(|e| StartupError::Scheduler(e.to_string()))?;
        let outbox = services.outbox.clone();
        let woken = engine.clone();
        let waker = tokio::spawn(async move {
            loop {
                outbox.notified().await;
                woken.tick_dispatch().await;
            }
        });
        let shutdown_timeout =
            std::time::Duration::from_secs(services.settings.server.shutdown_timeout_secs);
        Ok(Worker {
            engine,
            scheduler,
            waker,
            shutdown_timeout,
        })
    }

    /// Stops claiming, lets the sends in flight finish and be recorded (within
    /// `server.shutdown_timeout_secs`), then stops the wake-ups.
    pub async fn stop(mut self) {
        let unwritten = self.engine.stop(self.shutdown_timeout).await;
        if unwritten == 0 {
            tracing::info!("reminder engine stopped; every outcome recorded");
        }
        self.waker.abort();
        let _ = self.scheduler.shutdown().await;
    }
}

/// One plan and dispatch pass as of the services' clock.
pub async fn run_once(services: &Services) -> Result<RunReport, db::StoreError> {
    let engine = services.engine();
    engine.run_once(services.clock.now()).await
}

/// `jobs status`: the queue on the configured database as of `now` (reads only; it
/// applies pending migrations first, as every command that opens the database does).
pub async fn queue_status(
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<QueueStatus, StartupError> {
    let pool = prepare_database(settings)?;
    let backend = settings
        .database
        .backend()
        .map_err(db::DbError::BadUrl)?
        .backend_name();
    let push_configured = settings.push.vapid_subject.is_some();
    Ok(queue::status(&pool, now, backend, push_configured).await?)
}
