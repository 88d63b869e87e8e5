//! The command line: argument parsing, then one call into `app` (the composition
//! root) or a service; `preview` renders without a database.
//!
//! Errors end the process with one line on stderr and a non-zero exit code (2 for
//! configuration and usage errors, 1 for anything else); never a panic backtrace.

pub mod preview;
pub mod push;
pub mod status;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::app::{self, Application, MetricsServer, Worker};
use crate::clock::{AcceleratedClock, Clock, FixedClock, SharedClock, SystemClock};
use crate::config::Settings;
use crate::db;
use crate::service::{self, Services};

#[derive(Debug, Parser)]
#[command(
    name = "smp-aftercare",
    version,
    about = "Aftercare backend for scalp micropigmentation (SMP) clinics",
    long_about = "Aftercare backend for scalp micropigmentation (SMP) clinics.\n\n\
        With no command it runs `serve`: the HTTP API on the configured address, with\n\
        the embedded SQLite database under ./data/ unless database.url points elsewhere.\n\n\
        Settings come from built-in defaults, then config/$SMP_ENV.toml, then\n\
        environment variables such as SMP__DATABASE__URL=postgres://user:pass@host/db,\n\
        then --config FILE. See README.md for every key."
)]
pub struct Cli {
    /// A TOML settings file applied on top of the defaults and environment.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API and the reminder engine (the default command). Applies
    /// migrations first.
    Serve(ServeArgs),
    /// Run only the reminder engine (no HTTP API), e.g. as a separate deployment.
    Worker(ClockArgs),
    /// Run the reminder engine by hand.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage clinics and their API keys.
    #[command(subcommand)]
    Clinic(ClinicCommand),
    /// The deployment's Web Push (VAPID) key.
    #[command(subcommand)]
    Push(push::PushCommand),
    /// Print a made-up client's healing timeline and reminders, day by day, to
    /// check a protocol or our rules. Needs no database.
    Preview(PreviewArgs),
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Session dates, comma-separated (YYYY-MM-DD), in any order.
    #[arg(long, value_delimiter = ',', required = true, value_name = "DATES")]
    pub sessions: Vec<chrono::NaiveDate>,
    /// Planned number of sessions (default: the protocol's, normally 3).
    #[arg(long)]
    pub planned: Option<u32>,
    /// First date shown (default: the day before the first session).
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// How many days to show.
    #[arg(long, default_value_t = 40)]
    pub days: u32,
    /// The client's IANA time zone, for the reminders' UTC send instants.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub tz: String,
    /// A protocol override file (TOML), applied on top of config/protocol.toml.
    #[arg(long, value_name = "FILE")]
    pub protocol: Option<PathBuf>,
    /// Language of the texts (falls back to English).
    #[arg(long, default_value = "en")]
    pub locale: String,
    /// Print JSON (the API's identifiers) instead of one line per day.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Serve the API only; another process (`worker`, or an external cron running
    /// `jobs run-once`) sends the reminders.
    #[arg(long)]
    pub no_scheduler: bool,
    #[command(flatten)]
    pub clock: ClockArgs,
}

#[derive(Debug, Args, Default)]
pub struct ClockArgs {
    /// Demo mode: start the service's clock at this instant (RFC 3339)...
    #[arg(long, value_name = "RFC3339", requires = "clock_speed")]
    pub clock_start: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// ...and run it this many times faster than real time (e.g. 3600: an hour a second).
    #[arg(long, value_name = "N", requires = "clock_start")]
    pub clock_speed: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// One planning and dispatch pass, then exit; prints what it did. For deployments
    /// driven by an external cron, for backfills, and for checking the engine.
    RunOnce {
        /// Run as if it were this instant (RFC 3339) instead of now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Whether reminders go out: the queue by status and channel with the oldest due
    /// age, what was settled and what failed (grouped by reason) in the last 24 hours,
    /// and the push subscriptions disabled in that time. Reads only.
    Status {
        /// As of this instant (RFC 3339) instead of now.
        #[arg(long, value_name = "RFC3339")]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClinicCommand {
    /// Register a clinic and print its API key (shown once; only a hash is stored).
    Create(CreateClinic),
    /// List clinics (never their keys).
    List,
    /// Revoke a clinic's API keys and print a replacement (shown once).
    RevokeKey(RevokeKey),
    /// Give an existing clinic another owner account for the console.
    AddOwner(AddOwner),
}

#[derive(Debug, Args)]
pub struct CreateClinic {
    /// The clinic's name, as clients will see it in emails.
    #[arg(long)]
    pub name: String,
    /// The clinic's contact address (Reply-To of client emails).
    #[arg(long)]
    pub email: String,
    /// The owner's address for signing in to the console (default: --email).
    #[arg(long, value_name = "EMAIL")]
    pub owner_email: Option<String>,
    /// The owner's name, as the console and its audit log show it (default: the
    /// clinic's name).
    #[arg(long, value_name = "NAME")]
    pub owner_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddOwner {
    /// The clinic's id, as printed by `clinic create` or `clinic list`.
    #[arg(long)]
    pub id: String,
    /// The new owner's address for signing in to the console.
    #[arg(long)]
    pub email: String,
    /// The new owner's name.
    #[arg(long)]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RevokeKey {
    /// The clinic's id, as printed by `clinic create` or `clinic list`.
    #[arg(long)]
    pub id: String,
    /// Revoke without issuing a new key (integrations are locked out until an owner
    /// creates one in the console).
    #[arg(long)]
    pub no_replacement: bool,
}

/// A failure with the exit code it deserves.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub(crate) fn config(message: impl ToString) -> Failure {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }

    pub(crate) fn runtime(message: impl ToString) -> Failure {
        Failure {
            code: 1,
            message: message.to_string(),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", one_line(&failure.message));
            ExitCode::from(failure.code)
        }
    }
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    // The preview is pure: it needs neither settings nor a database.
    if let Some(Command::Preview(args)) = &cli.command {
        return preview::command(args);
    }
    let settings = Settings::load(&Settings::default_config_dir(), cli.config.as_deref())
        .map_err(Failure::config)?;
    crate::telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(settings, &args),
        Command::Worker(clock_args) => worker(settings, &clock_args),
        Command::Jobs(JobsCommand::RunOnce { at }) => run_once(settings, at),
        Command::Jobs(JobsCommand::Status { at, json }) => jobs_status(settings, at, json),
        Command::Migrate => migrate(&settings),
        Command::Clinic(command) => clinic(&settings, command),
        Command::Push(command) => push::command(settings, command),
        Command::Preview(args) => preview::command(&args),
    }
}

fn clock_of(args: &ClockArgs) -> Result<SharedClock, Failure> {
    match (args.clock_start, args.clock_speed) {
        (Some(start), Some(speed)) => {
            if !(speed.is_finite() && speed > 0.0 && speed <= 1_000_000.0) {
                return Err(Failure::config(
                    "--clock-speed must be between 0 and 1000000",
                ));
            }
            tracing::warn!(start = %start, speed, "demo clock: time runs from the given start, faster than real time");
            Ok(Arc::new(AcceleratedClock::new(
                start.with_timezone(&chrono::Utc),
                speed,
            )))
        }
        _ => Ok(Arc::new(SystemClock)),
    }
}

/// On a demo clock a day passes in minutes: wake the engine every second so no
/// morning is skipped between ticks.
fn demo_ticks(settings: &mut Settings, args: &ClockArgs) {
    if args.clock_speed.is_some() {
        settings.jobs.plan_cron = "* * * * * *".to_string();
        settings.jobs.dispatch_cron = "* * * * * *".to_string();
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(Failure::runtime)
}

fn serve(mut settings: Settings, args: &ServeArgs) -> Result<(), Failure> {
    let clock = clock_of(&args.clock)?;
    demo_ticks(&mut settings, &args.clock);
    let no_scheduler = args.no_scheduler;
    runtime()?.block_on(async move {
        let url = settings.database.redacted_url();
        let services = Services::build(settings, clock).map_err(Failure::runtime)?;
        let app = Application::build(services.clone()).map_err(Failure::runtime)?;
        let metrics = start_metrics(&services)?;
        let worker = if no_scheduler {
            None
        } else {
            Some(Worker::start(&services).await.map_err(Failure::runtime)?)
        };
        tracing::info!(port = app.port(), database = %url, scheduler = !no_scheduler, "smp-aftercare listening");
        app.run_until_stopped().await.map_err(Failure::runtime)?;
        if let Some(worker) = worker {
            worker.stop().await;
        }
        if let Some(metrics) = metrics {
            metrics.stop().await;
        }
        tracing::info!("stopped");
        Ok(())
    })
}

/// The engine alone: the same services as `serve`, no HTTP listener.
fn worker(mut settings: Settings, args: &ClockArgs) -> Result<(), Failure> {
    let clock = clock_of(args)?;
    demo_ticks(&mut settings, args);
    runtime()?.block_on(async move {
        let services = Services::build(settings, clock).map_err(Failure::runtime)?;
        let worker = Worker::start(&services).await.map_err(Failure::runtime)?;
        let metrics = start_metrics(&services)?;
        tracing::info!("smp-aftercare worker running; Ctrl-C or SIGTERM stops it");
        shutdown_signal().await;
        worker.stop().await;
        if let Some(metrics) = metrics {
            metrics.stop().await;
        }
        tracing::info!("stopped");
        Ok(())
    })
}

/// The metrics listener, when `metrics.bind` is set.
fn start_metrics(services: &Services) -> Result<Option<MetricsServer>, Failure> {
    let metrics = MetricsServer::start(services).map_err(Failure::runtime)?;
    if let Some(metrics) = &metrics {
        tracing::info!(
            port = metrics.port(),
            "metrics at GET /metrics (metrics.bind)"
        );
    }
    Ok(metrics)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn run_once(
    settings: Settings,
    at: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Result<(), Failure> {
    let clock: SharedClock = match at {
        Some(at) => Arc::new(FixedClock::new(at.with_timezone(&chrono::Utc))),
        None => Arc::new(SystemClock),
    };
    runtime()?.block_on(async move {
        let services = Services::build(settings, clock).map_err(Failure::runtime)?;
        let now = services.clock.now();
        let report = app::run_once(&services).await.map_err(Failure::runtime)?;
        let (p, d) = (report.planned, report.dispatched);
        println!("run at {}", now.to_rfc3339());
        println!(
            "planned: {} clients, {} new deliveries, {} updated, {} cancelled, {} recorded expired, in {:.2?}",
            p.clients, p.inserted, p.updated, p.cancelled, p.expired, report.planning_took
        );
        println!(
            "dispatched: {} claimed, {} sent, {} to retry, {} failed, {} dead, {} cancelled, {} expired, in {:.2?}",
            d.claimed, d.sent, d.retried, d.failed, d.dead, d.cancelled, d.expired, report.dispatching_took
        );
        if !d.not_sent.is_empty() {
            println!("not sent, by status and reason:");
        }
        for ((status, reason), count) in &d.not_sent {
            println!("  {status} ({count}): {reason}");
        }
        println!("push: {}", push_status(&services));
        Ok(())
    })
}

fn jobs_status(
    settings: Settings,
    at: Option<chrono::DateTime<chrono::FixedOffset>>,
    json: bool,
) -> Result<(), Failure> {
    let now = match at {
        Some(at) => at.with_timezone(&chrono::Utc),
        None => SystemClock.now(),
    };
    runtime()?.block_on(async move {
        let report = app::queue_status(&settings, now)
            .await
            .map_err(Failure::runtime)?;
        if json {
            let text = serde_json::to_string_pretty(&report).map_err(Failure::runtime)?;
            println!("{text}");
        } else {
            print!("{}", status::render(&report));
        }
        Ok(())
    })
}

/// Whether push reminders can go out, as an operator reads it.
fn push_status(services: &Services) -> &'static str {
    if services.settings.push.vapid_subject.is_some() {
        "configured"
    } else {
        "not configured (set push.vapid_subject to a real mailto: or https: contact)"
    }
}

fn migrate(settings: &Settings) -> Result<(), Failure> {
    let pool = db::connect(&settings.database).map_err(Failure::runtime)?;
    let mut conn = pool.get().map_err(Failure::runtime)?;
    let applied = db::run_migrations(&mut conn).map_err(Failure::runtime)?;
    if applied.is_empty() {
        println!("database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}

/// A service refusal is the operator's input (exit 2); anything else a failure (1).
fn failure(error: service::Error) -> Failure {
    match error {
        service::Error::Invalid { field, message } => {
            Failure::config(format!("--{field}: {message}"))
        }
        service::Error::NotFound(why) => Failure::config(why),
        other => Failure::runtime(other),
    }
}

fn clinic(settings: &Settings, command: ClinicCommand) -> Result<(), Failure> {
    let pool = app::prepare_database(settings).map_err(Failure::runtime)?;
    let mut conn = pool.get().map_err(Failure::runtime)?;
    let now = SystemClock.now().naive_utc();
    match command {
        ClinicCommand::Create(args) => {
            let owner = service::clinics::OwnerInput {
                name: args.owner_name.unwrap_or_else(|| args.name.clone()),
                email: args.owner_email.unwrap_or_else(|| args.email.clone()),
            };
            let created = service::clinics::create(&mut conn, &args.name, &args.email, owner, now)
                .map_err(failure)?;
            let sign_in = crate::links::Links::from_settings(settings).console_sign_in_page();
            println!("clinic created");
            println!("  id:      {}", created.clinic.id);
            println!("  name:    {}", created.clinic.name);
            println!(
                "  owner:   {} <{}>",
                created.owner.name, created.owner.email
            );
            println!("  api key: {}", created.api_key);
            println!();
            println!(
                "Sign in to the console at {sign_in} with {}:",
                created.owner.email
            );
            println!("a one-time sign-in link is emailed to that address.");
            println!();
            println!("Store the API key now: it is shown once and only its hash is kept.");
            println!("Send it as: Authorization: Bearer <api key>");
        }
        ClinicCommand::AddOwner(args) => {
            let owner =
                service::staff::add_owner(&mut conn, &args.id, &args.name, &args.email, now)
                    .map_err(failure)?;
            let sign_in = crate::links::Links::from_settings(settings).console_sign_in_page();
            println!("owner added: {} <{}>", owner.name, owner.email);
            println!("Sign in to the console at {sign_in} with that address.");
        }
        ClinicCommand::List => {
            let all = service::clinics::list(&mut conn).map_err(failure)?;
            if all.is_empty() {
                println!(
                    "no clinics yet; add one with: smp-aftercare clinic create --name N --email E"
                );
            }
            for (clinic, active_keys) in all {
                let keys = match active_keys {
                    0 => "keys revoked".to_string(),
                    1 => "1 active key".to_string(),
                    n => format!("{n} active keys"),
                };
                println!(
                    "{}  {}  <{}>  {}  created {}",
                    clinic.id,
                    clinic.name,
                    clinic.email,
                    keys,
                    clinic.created_at.and_utc().to_rfc3339()
                );
            }
        }
        ClinicCommand::RevokeKey(args) => {
            let key = service::api_keys::rotate_all(&mut conn, &args.id, !args.no_replacement, now)
                .map_err(failure)?;
            println!("the old API keys of clinic {} no longer work", args.id);
            if let Some(key) = key {
                println!("  new api key: {key}");
                println!("Store it now: it is shown once.");
            }
        }
    }
    Ok(())
}

/// Folds a multi-line message (libpq hints, TOML snippets) into one line, so logs
/// and terminals show one error per failure. Source-snippet lines are dropped.
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .filter(|line| {
            let rest = line
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start();
            !rest.starts_with('|')
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_drops_snippets_and_joins() {
        let toml = "TOML parse error at line 1, column 8\n  |\n1 | [server\n  |        ^\n\
                    unclosed table, expected `]`\n in bad.toml\n";
        assert_eq!(
            one_line(toml),
            "TOML parse error at line 1, column 8; unclosed table, expected `]`; in bad.toml"
        );
    }
}
