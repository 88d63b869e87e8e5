//! The `[email]` settings and what serde cannot check about them.

use std::path::PathBuf;

use lettre::message::Mailbox;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The `[email]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// The sender mailbox, e.g. `SMP Aftercare <no-reply@aftercare.example.net>`. A message
    /// may override the display name (the clinic's name); the address is always this one.
    pub from: String,
    pub transport: EmailTransport,
    /// Where the file transport writes `.eml` files (created if missing).
    pub file_dir: PathBuf,
    pub smtp: SmtpSettings,
    /// Upper bound for one whole send (connect, greeting, auth, envelope, data), in seconds.
    /// With SMTP, the wait for a free connection (`smtp.pool_max_size`) comes before and is
    /// not counted.
    pub send_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum EmailTransport {
    File,
    Smtp,
}

choice!(EmailTransport { File => "file", Smtp => "smtp" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum SmtpTls {
    /// Plain SMTP, no encryption (local relays and tests only).
    None,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    Starttls,
    /// Implicit TLS from the first byte (usually port 465).
    Tls,
}

choice!(SmtpTls { None => "none", Starttls => "starttls", Tls => "tls" });

/// `[email.smtp]`. `Debug` shows the password as `[REDACTED]` (it is a `SecretString`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// TCP connect timeout, in seconds.
    pub timeout_secs: u64,
    /// Largest number of pooled connections.
    pub pool_max_size: u32,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            from: "SMP Aftercare <no-reply@localhost>".to_string(),
            transport: EmailTransport::File,
            file_dir: PathBuf::from("data/mail"),
            smtp: SmtpSettings::default(),
            send_timeout_secs: 30,
        }
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: "localhost".to_string(),
            port: 1025,
            tls: SmtpTls::None,
            username: None,
            password: None,
            timeout_secs: 10,
            pool_max_size: 4,
        }
    }
}

impl EmailSettings {
    /// Checks what serde cannot; the message names the offending key.
    pub fn validate(&self) -> Result<(), String> {
        let from = parse_from(&self.from)?;
        if from.email.to_string().contains(char::is_whitespace) {
            return Err("email.from: the address must not contain spaces".to_string());
        }
        if self.send_timeout_secs == 0 {
            return Err("email.send_timeout_secs: must be at least 1".to_string());
        }
        match self.transport {
            EmailTransport::File => {
                if self.file_dir.as_os_str().is_empty() {
                    return Err("email.file_dir: must not be empty".to_string());
                }
            }
            EmailTransport::Smtp => self.smtp.validate()?,
        }
        Ok(())
    }
}

impl SmtpSettings {
    pub fn validate(&self) -> Result<(), String> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err("email.smtp.host: must not be empty".to_string());
        }
        if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
            return Err(format!(
                "email.smtp.host: {host:?} is not a host name or IP address"
            ));
        }
        if self.port == 0 {
            return Err("email.smtp.port: must be between 1 and 65535".to_string());
        }
        if self.timeout_secs == 0 {
            return Err("email.smtp.timeout_secs: must be at least 1".to_string());
        }
        if self.pool_max_size == 0 {
            return Err("email.smtp.pool_max_size: must be at least 1".to_string());
        }
        let username = self.username.as_deref().filter(|u| !u.is_empty());
        let password = self
            .password
            .as_ref()
            .filter(|p| !p.expose_secret().is_empty());
        match (username, password) {
            (Some(_), None) => {
                return Err("email.smtp.password: required when email.smtp.username is set".into())
            }
            (None, Some(_)) => {
                return Err("email.smtp.username: required when email.smtp.password is set".into())
            }
            (Some(_), Some(_)) if self.tls == SmtpTls::None && !is_loopback_host(host) => {
                return Err(format!(
                    "email.smtp.tls: credentials would cross the network unencrypted to {host}; \
                     use \"starttls\" or \"tls\" (\"none\" is only allowed to a loopback host)"
                ));
            }
            _ => {}
        }
        Ok(())
    }
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

pub fn parse_from(from: &str) -> Result<Mailbox, String> {
    from.trim().parse::<Mailbox>().map_err(|e| {
        format!(
            "email.from: {from:?} is not a mailbox like \"SMP Aftercare <no-reply@aftercare.example.net>\" ({e})"
        )
    })
}
