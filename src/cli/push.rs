//! `push rotate-key`: the operator's one way to change the deployment's VAPID key.

use clap::Subcommand;

use super::{runtime, Failure};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::service::{push, Services};

#[derive(Debug, Subcommand)]
pub enum PushCommand {
    /// Replace the deployment's VAPID key (kept in the database) with a new one. Every
    /// push subscription is disabled; each client's app subscribes again with the new
    /// key when it next opens. Restart every `serve` and `worker` afterwards: running
    /// processes sign with the key they loaded.
    RotateKey,
}

pub fn command(settings: Settings, command: PushCommand) -> Result<(), Failure> {
    match command {
        PushCommand::RotateKey => runtime()?.block_on(async move {
            if settings.push.vapid_private_key.is_some() {
                return Err(Failure::config(
                    "push.vapid_private_key is set: the configured key is used, not the stored \
                     one; change the configuration on every replica instead",
                ));
            }
            let services = Services::build(settings, std::sync::Arc::new(SystemClock))
                .map_err(Failure::runtime)?;
            let rotated = push::rotate_vapid_key(&services)
                .await
                .map_err(|e| Failure::runtime(e.to_string()))?;
            println!("new VAPID public key: {}", rotated.public_key);
            println!(
                "{} push subscriptions disabled; each app subscribes again when it next opens",
                rotated.disabled_subscriptions
            );
            println!(
                "restart every serve and worker process now: they sign with the key they loaded"
            );
            Ok(())
        }),
    }
}
