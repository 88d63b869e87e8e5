//! Settings: built-in defaults, then `config/{SMP_ENV}.toml`, then `SMP__SECTION__KEY`
//! environment variables, then an explicit `--config FILE` (later wins).
//!
//! Secrets (database URL, which may carry a password) are `SecretString`s so they never
//! reach a log line or `Debug` output by accident.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub mod email;
pub mod jobs;

pub use email::EmailSettings;
pub use jobs::JobSettings;

/// The defaults ship inside the binary, so it runs from any working directory.
const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub email: EmailSettings,
    pub push: PushSettings,
    pub invitations: InvitationSettings,
    pub jobs: JobSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    /// The VAPID `sub`: a real `mailto:` or `https:` contact for push services.
    pub vapid_subject: String,
    /// Where the generated VAPID key pair is kept (PEM), unless a key is given.
    pub vapid_key_file: PathBuf,
    /// A VAPID private key (base64url, 32 bytes) given by the operator instead.
    pub vapid_private_key: Option<SecretString>,
    /// URL prefixes allowed as push endpoints despite being plain http or loopback
    /// (only for tests and local push services).
    pub allowed_insecure_endpoints: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationSettings {
    /// How long an invitation link stays valid.
    pub valid_days: u32,
    /// Invitation accepts allowed per source address per minute.
    pub accepts_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: url::Url,
    pub body_limit_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub workers: usize,
    /// Proxies whose `X-Forwarded-For` is believed (CIDRs; a bare address is one host).
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// A list of CIDRs, or addresses meaning one host, naming the entry that is neither.
fn networks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let entries = Vec::<String>::deserialize(d)?;
    entries
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "{entry:?} is not a CIDR such as 10.0.0.0/8 or an IP address"
                    ))
                })
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
    pub sqlite_busy_timeout_ms: u32,
}

/// Which database `database.url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Postgres(_) => "postgresql",
            DatabaseUrl::Sqlite(_) => "sqlite",
        }
    }
}

impl DatabaseSettings {
    /// The parsed `database.url`: `postgres://...` or `sqlite://PATH`. The one place
    /// the URL is read; the error names what is wrong.
    pub fn backend(&self) -> Result<DatabaseUrl, String> {
        let raw = self.url.expose_secret().trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|e| format!("{}: {e}", redact_url(raw)))?;
            return Ok(DatabaseUrl::Postgres(raw.to_string()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                format!(
                    "unsupported scheme in {:?}; use sqlite://PATH or postgres://...",
                    redact_url(raw)
                )
            })?;
        if path.is_empty() || path == ":memory:" {
            // Every pooled connection would get its own empty database.
            return Err(
                "SQLite needs a file path (sqlite://data/smp-aftercare.db); :memory: is not supported".to_string(),
            );
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// The URL with any password replaced, for log lines and error messages.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// A configuration problem, phrased for the operator: it names the key or file.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads the layered settings. `config_dir` holds the optional `{env}.toml` overlay.
    pub fn load(config_dir: &Path, explicit_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let environment = std::env::var("SMP_ENV").unwrap_or_else(|_| "local".to_string());
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(
                File::from(config_dir.join(format!("{environment}.toml")))
                    .format(FileFormat::Toml)
                    .required(false),
            )
            .add_source(
                Environment::with_prefix("SMP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("push.allowed_insecure_endpoints")
                    .with_list_parse_key("server.trusted_proxies"),
            );
        if let Some(file) = explicit_file {
            if !file.is_file() {
                return Err(ConfigError(format!(
                    "--config {}: no such file",
                    file.display()
                )));
            }
            builder = builder.add_source(File::from(file.to_path_buf()).format(FileFormat::Toml));
        }
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks that serde cannot express: ranges and cross-field rules.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: &str| Err(ConfigError(format!("{key}: {why}")));
        if self.server.body_limit_bytes < 1024 {
            return fail("server.body_limit_bytes", "must be at least 1024");
        }
        if self.database.pool_size == 0 {
            return fail("database.pool_size", "must be at least 1");
        }
        if self.database.connect_timeout_secs == 0 {
            return fail("database.connect_timeout_secs", "must be at least 1");
        }
        if !matches!(self.server.public_url.scheme(), "http" | "https") {
            return fail("server.public_url", "must be an http:// or https:// URL");
        }
        if let Err(why) = self.database.backend() {
            return fail("database.url", &why);
        }
        if let Err(why) = self.email.validate() {
            return Err(ConfigError(why));
        }
        if let Err(why) = self.jobs.validate(self.email.send_timeout_secs) {
            return Err(ConfigError(why));
        }
        if self.invitations.valid_days == 0 || self.invitations.valid_days > 90 {
            return fail("invitations.valid_days", "must be between 1 and 90");
        }
        if self.invitations.accepts_per_minute == 0 {
            return fail("invitations.accepts_per_minute", "must be at least 1");
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return fail("log.level", "not a valid tracing filter (e.g. \"info\")");
        }
        Ok(())
    }

    pub fn default_config_dir() -> PathBuf {
        PathBuf::from("config")
    }
}

/// Replaces the password of a URL with `***`; leaves anything unparsable alone
/// except for stripping everything before an `@`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => match raw.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => raw.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://smp:hunter2@db:5432/smp"),
            "postgres://smp:***@db:5432/smp"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn debug_output_hides_the_database_url() {
        let settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
        let settings = Settings {
            database: DatabaseSettings {
                url: SecretString::from("postgres://u:hunter2@h/d"),
                ..settings.database
            },
            ..settings
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
