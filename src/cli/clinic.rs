//! `clinic create | list | revoke-key | add-owner`: clinics, their owners and API keys.

use clap::{Args, Subcommand};

use super::{failure, Failure};
use crate::app;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::links::Links;
use crate::service;

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
    /// The owner's name, as their sign-in emails greet them and the console and its
    /// audit log show them.
    #[arg(long, value_name = "NAME")]
    pub owner_name: String,
    /// Create the clinic even though the owner already owns one with the same name
    /// (without it, running the command twice does not make a second clinic).
    #[arg(long)]
    pub allow_duplicate: bool,
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

pub fn command(settings: &Settings, command: ClinicCommand) -> Result<(), Failure> {
    let pool = app::prepare_database(settings).map_err(Failure::runtime)?;
    let mut conn = pool.get().map_err(Failure::runtime)?;
    let now = SystemClock.now().naive_utc();
    match command {
        ClinicCommand::Create(args) => {
            let owner = service::clinics::OwnerInput {
                name: args.owner_name,
                email: args.owner_email.unwrap_or_else(|| args.email.clone()),
            };
            let others = service::clinics::owner_clinics(
                &mut conn,
                &args.name,
                &owner.email,
                args.allow_duplicate,
            )
            .map_err(|e| match e {
                service::Error::Conflict(why) => Failure::config(why),
                other => failure(other),
            })?;
            let created = service::clinics::create(&mut conn, &args.name, &args.email, owner, now)
                .map_err(failure)?;
            if !others.is_empty() {
                let list: Vec<String> = others
                    .iter()
                    .map(|c| format!("{:?} (id {})", c.name, c.id))
                    .collect();
                eprintln!(
                    "warning: {} already owns {}; this is another clinic, with its own clients \
                     and API key (see `clinic list`)",
                    created.owner.email,
                    list.join(", ")
                );
            }
            let sign_in = Links::from_settings(settings).console_sign_in_page();
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
            println!("a one-time sign-in link is emailed to that address (or print one with");
            println!(
                "`smp-aftercare staff sign-in-link --email {}`).",
                created.owner.email
            );
            println!();
            println!("Store the API key now: it is shown once and only its hash is kept.");
            println!("Send it as: Authorization: Bearer <api key>");
        }
        ClinicCommand::AddOwner(args) => {
            let owner =
                service::staff::add_owner(&mut conn, &args.id, &args.name, &args.email, now)
                    .map_err(failure)?;
            let sign_in = Links::from_settings(settings).console_sign_in_page();
            println!("owner added: {} <{}>", owner.name, owner.email);
            println!("Sign in to the console at {sign_in} with that address.");
        }
        ClinicCommand::List => {
            let all = service::clinics::list(&mut conn).map_err(failure)?;
            if all.is_empty() {
                println!(
                    "no clinics yet; add one with: smp-aftercare clinic create --name N --email E \
                     --owner-name NAME"
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
