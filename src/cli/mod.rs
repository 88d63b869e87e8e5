//! The command line: argument parsing, then one call into `app` (the composition
//! root) or a service; `preview` renders without a database.
//!
//! Errors end the process with one line on stderr and a non-zero exit code (2 for
//! configuration and usage errors, 1 for anything else; see `failure`); never a panic
//! backtrace. Each command's arguments live with the command.

pub(crate) mod backup;
pub(crate) mod clinic;
mod failure;
pub(crate) mod jobs;
pub(crate) mod preview;
pub(crate) mod push;
pub(crate) mod serve;
pub(crate) mod staff;
pub(crate) mod status;

pub(crate) use failure::{failure, one_line, Failure};
pub(crate) use preview::PreviewArgs;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;

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
pub(crate) struct Cli {
    /// A TOML settings file applied on top of the defaults and environment.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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

pub(crate) fn run(cli: Cli) -> Result<(), Failure> {
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
