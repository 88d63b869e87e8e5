//! The command line: argument parsing, then one call into `app` (the composition
//! root) or a service; `preview` renders without a database.
//!
//! Errors end the process with one line on stderr and a non-zero exit code (2 for
//! configuration and usage errors, 1 for anything else); never a panic backtrace.

pub mod backup;
pub mod clinic;
pub mod jobs;
pub mod preview;
pub mod push;
pub mod serve;
pub mod staff;
pub mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::service;

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
    Serve(serve::ServeArgs),
    /// Run only the reminder engine (no HTTP API), e.g. as a separate deployment.
    Worker(serve::ClockArgs),
    /// Run the reminder engine by hand (`jobs run-once`), or read its queue and
    /// recent failures (`jobs status`).
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage clinics and their API keys.
    #[command(subcommand)]
    Clinic(clinic::ClinicCommand),
    /// Console accounts: print a sign-in link without email.
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// The deployment's Web Push (VAPID) key.
    #[command(subcommand)]
    Push(push::PushCommand),
    /// Copy the embedded SQLite database to a file while the service runs (for
    /// PostgreSQL it prints the pg_dump command instead).
    Backup(backup::BackupArgs),
    /// Put a backup in place of the embedded SQLite database, then migrate it. Stop
    /// the service first.
    Restore(backup::RestoreArgs),
    /// Print a made-up client's healing timeline and reminders, day by day, to
    /// check a protocol or our rules. Needs no database and reads no settings.
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
    // The preview is pure: it needs neither settings nor a database, so a settings
    // file would change nothing; saying so beats ignoring it.
    if let Some(Command::Preview(args)) = &cli.command {
        if let Some(file) = &cli.config {
            return Err(Failure::config(format!(
                "preview reads no settings, so --config {} would change nothing; a clinic's \
                 protocol changes go in --protocol FILE",
                file.display()
            )));
        }
        return preview::command(args);
    }
    let settings = Settings::load(&Settings::default_config_dir(), cli.config.as_deref())
        .map_err(Failure::config)?;
    crate::telemetry::init(&settings.log);
    match cli
        .command
        .unwrap_or(Command::Serve(serve::ServeArgs::default()))
    {
        Command::Serve(args) => serve::serve(settings, &args),
        Command::Worker(clock_args) => serve::worker(settings, &clock_args),
        Command::Jobs(command) => jobs::command(settings, command),
        Command::Migrate => migrate(&settings),
        Command::Clinic(command) => clinic::command(&settings, command),
        Command::Staff(command) => staff::command(&settings, command),
        Command::Push(command) => push::command(settings, command),
        Command::Backup(args) => backup::backup(&settings, &args),
        Command::Restore(args) => backup::restore(&settings, &args),
        Command::Preview(args) => preview::command(&args),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(Failure::runtime)
}

fn migrate(settings: &Settings) -> Result<(), Failure> {
    let applied = crate::app::migrate(settings).map_err(Failure::runtime)?;
    if applied.is_empty() {
        println!("database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}

/// A service refusal is the operator's input (exit 2); anything else a failure (1).
pub(crate) fn failure(error: service::Error) -> Failure {
    match error {
        service::Error::Invalid { field, message } => {
            Failure::config(format!("--{field}: {message}"))
        }
        service::Error::NotFound(why) => Failure::config(why),
        other => Failure::runtime(other),
    }
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
