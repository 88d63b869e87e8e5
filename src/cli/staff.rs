//! `staff sign-in-link`: a console sign-in link printed for the operator, for a machine
//! without a mail server or a sign-in email that does not arrive.

use clap::{Args, Subcommand};

use super::{failure, Failure};
use crate::app;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::links::Links;
use crate::service::sign_in;

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Print a one-time console sign-in link for an account, instead of emailing it.
    /// It works once, within console.sign_in_link_minutes, like an emailed one, and
    /// the clinic's audit log records that it was issued from the command line.
    SignInLink(SignInLinkArgs),
}

#[derive(Debug, Args)]
pub struct SignInLinkArgs {
    /// The account's address.
    #[arg(long)]
    pub email: String,
    /// The clinic's id, when the address has accounts at several clinics.
    #[arg(long, value_name = "ID")]
    pub clinic: Option<String>,
}

pub fn command(settings: &Settings, command: StaffCommand) -> Result<(), Failure> {
    match command {
        StaffCommand::SignInLink(args) => {
            let pool = app::prepare_database(settings).map_err(Failure::runtime)?;
            let mut conn = pool.get().map_err(Failure::runtime)?;
            let lifetime = settings.console.link_lifetime();
            let issued = sign_in::issue_from_command_line(
                &mut conn,
                &args.email,
                args.clinic.as_deref(),
                lifetime,
                SystemClock.now(),
            )
            .map_err(failure)?;
            let link = Links::from_settings(settings).console_sign_in(&issued.token, None);
            println!(
                "sign-in link for {} <{}> at {} (clinic {}); it works once, within {}:",
                issued.staff_name,
                issued.staff_email,
                issued.clinic_name,
                issued.clinic_id,
                sign_in::spoken(lifetime)
            );
            println!("{link}");
            Ok(())
        }
    }
}
