//! `backup --to FILE` and `restore --from FILE`: the embedded SQLite database copied
//! while the service runs, and put back with the service stopped.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use crate::config::Settings;
use crate::service::backup::{self, BackupError};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write; it must not exist yet.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `backup`.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Replace the database that is there. Stop every `serve` and `worker` using it
    /// first: a running process keeps writing to the file it opened.
    #[arg(long)]
    pub force: bool,
}

fn failure(error: BackupError) -> Failure {
    match error {
        BackupError::Refused(why) => Failure::config(why),
        BackupError::Failed(why) => Failure::runtime(why),
    }
}

pub fn backup(settings: &Settings, args: &BackupArgs) -> Result<(), Failure> {
    let written = backup::backup(&settings.database, &args.to).map_err(failure)?;
    println!(
        "backup written to {} ({} bytes): {}",
        written.file.display(),
        written.bytes,
        written.summary
    );
    println!("It holds clients' data and the deployment's push key: keep it private.");
    Ok(())
}

pub fn restore(settings: &Settings, args: &RestoreArgs) -> Result<(), Failure> {
    let restored = backup::restore(&settings.database, &args.from, args.force).map_err(failure)?;
    println!(
        "restored {} into {}: {}",
        args.from.display(),
        restored.database.display(),
        restored.summary
    );
    for name in &restored.migrations_applied {
        println!("applied {name}");
    }
    println!("Start the service now.");
    Ok(())
}
