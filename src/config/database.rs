//! `[database]`: the URL (SQLite or PostgreSQL), read in one place.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

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
