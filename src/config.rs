//! Settings: built-in defaults, then `config/{SMP_ENV}.toml`, then `SMP__SECTION__KEY`
//! environment variables, then an explicit `--config FILE` (later wins).
//!
//! Relative paths (`config/`, the SQLite file, the mail folder, a key file) resolve
//! against one base directory: `SMP_HOME` if set, else the folder of `--config FILE`,
//! else the working directory; `Settings::load` makes them absolute, so nothing later
//! depends on where the process was started.
//!
//! Secrets (database URL, which may carry a password) are `SecretString`s so they never
//! reach a log line or `Debug` output by accident.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// `TryFrom<String>` for a settings enum from its names: an unknown value's error lists
/// the accepted ones (serde's own message through the `config` crate says only "does
/// not have variant constructor").
macro_rules! choice {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                match value.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "{value:?} is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

pub mod console;
pub mod email;
pub mod jobs;
pub mod push;

pub use console::ConsoleSettings;
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
    #[serde(default)]
    pub links: LinkSettings,
    pub metrics: MetricsSettings,
    pub console: ConsoleSettings,
}

/// Where the links we hand out point.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSettings {
    /// The client app: invitation links and the day pages of notifications and
    /// reminder emails. Unset, the app this service serves at `server.public_url`; a
    /// clinic with a native app of its own points it there. Unsubscribe links, the
    /// calendar feed and the API stay on `server.public_url`.
    pub app_url: Option<url::Url>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Where `GET /metrics` listens (`IP:PORT`), on a listener of its own so it is never
    /// public by accident; blank (the default) serves no metrics.
    pub bind: String,
}

impl MetricsSettings {
    /// The address to listen on, or None when metrics are off.
    pub fn address(&self) -> Result<Option<std::net::SocketAddr>, String> {
        let bind = self.bind.trim();
        if bind.is_empty() {
            return Ok(None);
        }
        bind.parse().map(Some).map_err(|_| {
            format!("{bind:?} is not IP:PORT, e.g. 127.0.0.1:9464 (blank turns metrics off)")
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    /// The VAPID `sub`: a real `mailto:` or `https:` contact for push services. Unset
    /// (the embedded default), the service runs with push off; set to a placeholder or a
    /// reserved domain, it does not start.
    pub vapid_subject: Option<String>,
    /// Where the generated VAPID key pair is kept (PEM), unless a key is given.
    pub vapid_key_file: PathBuf,
    /// A VAPID private key (base64url, 32 bytes) given by the operator instead.
    pub vapid_private_key: Option<SecretString>,
    /// Origins allowed as push endpoints despite being plain http or not publicly
    /// routable (only for tests and local push services): `scheme://host:port`, or
    /// `scheme://host:*` for any port. Parsed at load; matched by origin, never by prefix.
    pub allowed_insecure_endpoints: Vec<OriginPattern>,
}

/// One `push.allowed_insecure_endpoints` entry: an http(s) origin whose port may be `*`.
///
/// An endpoint matches when its scheme, host and port equal the entry's, so
/// `http://127.0.0.1:1@169.254.169.254/` (user `127.0.0.1`, host `169.254.169.254`)
/// does not match `http://127.0.0.1:1`, as it did when entries were string prefixes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct OriginPattern {
    scheme: String,
    host: url::Host<String>,
    /// `None` for `:*`.
    port: Option<u16>,
}

impl OriginPattern {
    /// Whether `url`'s origin is this one. A trailing dot of a domain is ignored
    /// (`localhost.` is `localhost`).
    pub fn matches(&self, url: &url::Url) -> bool {
        let Some(host) = url.host() else {
            return false;
        };
        url.scheme() == self.scheme
            && same_host(&host.to_owned(), &self.host)
            && self
                .port
                .is_none_or(|port| url.port_or_known_default() == Some(port))
    }
}

fn same_host(a: &url::Host<String>, b: &url::Host<String>) -> bool {
    match (a, b) {
        (url::Host::Domain(a), url::Host::Domain(b)) => {
            a.trim_end_matches('.') == b.trim_end_matches('.')
        }
        _ => a == b,
    }
}

impl std::str::FromStr for OriginPattern {
    type Err = String;

    fn from_str(raw: &str) -> Result<OriginPattern, String> {
        let bad =
            |why: &str| format!("{raw:?} {why}; expected scheme://host:port or scheme://host:*");
        let trimmed = raw.trim();
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        // `:*` is read as a placeholder port, so `http://host:80:*` is still refused.
        let (origin, any_port) = match trimmed.strip_suffix(":*") {
            Some(origin) => (format!("{origin}:1"), true),
            None => (trimmed.to_string(), false),
        };
        let url = url::Url::parse(&origin).map_err(|e| bad(&format!("is not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("is not http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("carries credentials"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(bad("has a path, query or fragment"));
        }
        // `url` reads `http://host:` (the old prefix form) as the default port.
        if origin.ends_with(':') {
            return Err(bad("has an empty port"));
        }
        let host = url.host().ok_or_else(|| bad("has no host"))?.to_owned();
        Ok(OriginPattern {
            scheme: url.scheme().to_string(),
            host,
            port: if any_port {
                None
            } else {
                url.port_or_known_default()
            },
        })
    }
}

impl TryFrom<String> for OriginPattern {
    type Error = String;

    fn try_from(raw: String) -> Result<OriginPattern, String> {
        raw.parse()
    }
}

impl std::fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}://{}:{port}", self.scheme, self.host),
            None => write!(f, "{}://{}:*", self.scheme, self.host),
        }
    }
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
#[serde(try_from = "String")]
pub enum LogFormat {
    Human,
    Json,
}

choice!(LogFormat { Human => "human", Json => "json" });

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
    /// Where invitation and day links go: `links.app_url`, else `server.public_url`.
    pub fn app_url(&self) -> &url::Url {
        self.links
            .app_url
            .as_ref()
            .unwrap_or(&self.server.public_url)
    }

    /// The directory relative paths resolve against: `SMP_HOME`, else the folder of
    /// the explicit settings file, else the working directory.
    pub fn base_dir(explicit_file: Option<&Path>) -> Result<PathBuf, ConfigError> {
        let absolute = |path: &Path| {
            std::path::absolute(path).map_err(|e| ConfigError(format!("{}: {e}", path.display())))
        };
        if let Some(home) = std::env::var_os("SMP_HOME").filter(|h| !h.is_empty()) {
            let home = absolute(Path::new(&home))?;
            if !home.is_dir() {
                return Err(ConfigError(format!(
                    "SMP_HOME {}: no such directory",
                    home.display()
                )));
            }
            return Ok(home);
        }
        match explicit_file.and_then(Path::parent) {
            Some(folder) if !folder.as_os_str().is_empty() => absolute(folder),
            _ => absolute(Path::new(".")),
        }
    }

    /// Loads the layered settings. `config_dir` holds the optional `{env}.toml` overlay;
    /// it and every relative path in the settings resolve against [`Settings::base_dir`].
    pub fn load(config_dir: &Path, explicit_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let base = Settings::base_dir(explicit_file)?;
        let config_dir = base.join(config_dir);
        let config_dir = config_dir.as_path();
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
        let mut settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        settings.resolve_paths(&base);
        settings.push.vapid_subject = settings.vapid_subject();
        Ok(settings)
    }

    /// Every relative path made absolute against `base`.
    fn resolve_paths(&mut self, base: &Path) {
        if let Ok(DatabaseUrl::Sqlite(path)) = self.database.backend() {
            if path.is_relative() {
                let url = format!("sqlite://{}", base.join(path).display());
                self.database.url = SecretString::from(url);
            }
        }
        for path in [&mut self.email.file_dir, &mut self.push.vapid_key_file] {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
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
        if let Some(app_url) = &self.links.app_url {
            if let Err(why) = link_base(app_url) {
                return fail("links.app_url", &why);
            }
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
        if let Some(subject) = &self.push.vapid_subject {
            if let Err(why) = push::validate_subject(subject) {
                return fail("push.vapid_subject", &why);
            }
        }
        if let Err(why) = self.metrics.address() {
            return fail("metrics.bind", &why);
        }
        if self.invitations.valid_days == 0 || self.invitations.valid_days > 90 {
            return fail("invitations.valid_days", "must be between 1 and 90");
        }
        if self.invitations.accepts_per_minute == 0 {
            return fail("invitations.accepts_per_minute", "must be at least 1");
        }
        if let Err(why) = self.console.validate() {
            return Err(ConfigError(why));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return fail("log.level", "not a valid tracing filter (e.g. \"info\")");
        }
        Ok(())
    }

    /// The VAPID contact: `push.vapid_subject`, or else the service's own https address
    /// (RFC 8292 allows an https: URL of the sender), so a service that clients reach
    /// over https sends push without one more setting. On plain http (the embedded
    /// default on one machine, which phones cannot use for an app anyway) push stays
    /// off until a subject is set.
    pub fn vapid_subject(&self) -> Option<String> {
        if self.push.vapid_subject.is_some() {
            return self.push.vapid_subject.clone();
        }
        let public = &self.server.public_url;
        let origin = public.origin().ascii_serialization();
        (public.scheme() == "https" && push::validate_subject(&origin).is_ok()).then_some(origin)
    }

    pub fn default_config_dir() -> PathBuf {
        PathBuf::from("config")
    }
}

/// A base that links are built on by appending a path: http(s), no credentials (they
/// would show in every email), no query or fragment (the path would land inside them).
fn link_base(url: &url::Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http:// or https:// URL".to_string());
    }
    if url.host().is_none() {
        return Err("must name a host".to_string());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials (every email would show them)".to_string());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment (links append a path)".to_string());
    }
    Ok(())
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
    fn relative_paths_resolve_against_the_settings_file_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("smp.toml");
        std::fs::write(&file, "[email]\nfile_dir = \"outbox\"\n").unwrap();
        let settings = Settings::load(Path::new("config"), Some(&file)).unwrap();
        let base = std::path::absolute(dir.path()).unwrap();
        assert_eq!(settings.email.file_dir, base.join("outbox"));
        assert_eq!(
            settings.database.backend().unwrap(),
            DatabaseUrl::Sqlite(base.join("data/smp-aftercare.db"))
        );
        assert!(settings.push.vapid_key_file.starts_with(&base));
    }

    #[test]
    fn a_settings_enum_names_the_values_it_accepts() {
        let refused = [
            ("xml", LogFormat::try_from("xml".to_string()).unwrap_err()),
            (
                "smtpx",
                email::EmailTransport::try_from("smtpx".to_string()).unwrap_err(),
            ),
            (
                "ssl",
                email::SmtpTls::try_from("ssl".to_string()).unwrap_err(),
            ),
        ];
        assert_eq!(refused[0].1, "\"xml\" is not one of: human, json");
        assert_eq!(refused[1].1, "\"smtpx\" is not one of: file, smtp");
        assert_eq!(refused[2].1, "\"ssl\" is not one of: none, starttls, tls");
        assert_eq!(
            LogFormat::try_from(" JSON ".to_string()),
            Ok(LogFormat::Json)
        );
        assert_eq!(
            email::SmtpTls::try_from("starttls".to_string()),
            Ok(email::SmtpTls::Starttls)
        );
    }

    #[test]
    fn an_https_service_is_its_own_vapid_contact() {
        let mut settings = Settings::load(Path::new("/nonexistent"), None).unwrap();
        assert_eq!(settings.vapid_subject(), None, "plain http: push stays off");
        settings.server.public_url = "https://aftercare.northside-smp.co.uk/app/"
            .parse()
            .unwrap();
        assert_eq!(
            settings.vapid_subject().as_deref(),
            Some("https://aftercare.northside-smp.co.uk")
        );
        settings.server.public_url = "https://aftercare.clinic.test".parse().unwrap();
        assert_eq!(
            settings.vapid_subject(),
            None,
            "a reserved domain is nobody's contact"
        );
        settings.push.vapid_subject = Some("mailto:ops@northside-smp.co.uk".into());
        assert_eq!(
            settings.vapid_subject().as_deref(),
            Some("mailto:ops@northside-smp.co.uk")
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://smp:hunter2@db:5432/smp"),
            "postgres://smp:***@db:5432/smp"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn insecure_endpoints_are_bare_origins() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        let any_port: OriginPattern = "http://127.0.0.1:*".parse().unwrap();
        assert!(any_port.matches(&url("http://127.0.0.1:5000/push/1")));
        assert!(any_port.matches(&url("http://127.0.0.1/push/1")));
        assert!(!any_port.matches(&url("https://127.0.0.1:5000/push/1")));
        assert!(!any_port.matches(&url("http://127.0.0.1:1@169.254.169.254/latest")));
        assert!(!any_port.matches(&url("http://127.0.0.2:5000/")));
        assert_eq!(any_port.to_string(), "http://127.0.0.1:*");

        let exact: OriginPattern = " http://Push.Local.:8080/ ".parse().unwrap();
        assert_eq!(exact.to_string(), "http://push.local.:8080");
        assert!(exact.matches(&url("http://push.local:8080/p")));
        assert!(!exact.matches(&url("http://push.local:8081/p")));
        assert!(!exact.matches(&url("http://push.local.evil.example:8080/p")));

        let default_port: OriginPattern = "https://[::1]".parse().unwrap();
        assert_eq!(default_port.to_string(), "https://[::1]:443");
        assert!(default_port.matches(&url("https://[::1]:443/p")));
        assert!(!default_port.matches(&url("https://[::1]:8443/p")));

        for bad in [
            "http://127.0.0.1:",
            "http://127.0.0.1:80:*",
            "http://127.0.0.1:*/push",
            "http://127.0.0.1:8080/push",
            "http://127.0.0.1:8080?x",
            "http://127.0.0.1:8080#x",
            "http://u:p@127.0.0.1:8080",
            "ftp://127.0.0.1:21",
            "127.0.0.1:8080",
            "http://127.0.0.1:99999",
            "",
            "*",
        ] {
            assert!(bad.parse::<OriginPattern>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_prefix_in_the_allow_list_is_refused_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("prefix.toml");
        std::fs::write(
            &file,
            "[push]\nallowed_insecure_endpoints = [\"http://127.0.0.1:\"]\n",
        )
        .unwrap();
        let err = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("push.allowed_insecure_endpoints"),
            "{message}"
        );
        assert!(message.contains("scheme://host:*"), "{message}");

        std::fs::write(
            &file,
            "[push]\nallowed_insecure_endpoints = [\"http://127.0.0.1:*\"]\n",
        )
        .unwrap();
        let settings = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap();
        assert_eq!(
            settings.push.allowed_insecure_endpoints,
            vec!["http://127.0.0.1:*".parse::<OriginPattern>().unwrap()]
        );
    }

    #[test]
    fn app_links_default_to_the_public_url() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("links.toml");
        std::fs::write(
            &file,
            "[server]\npublic_url = \"https://care.clinic.example\"\n",
        )
        .unwrap();
        let settings = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap();
        assert_eq!(settings.app_url().as_str(), "https://care.clinic.example/");

        std::fs::write(
            &file,
            "[server]\npublic_url = \"https://care.clinic.example\"\n\
             [links]\napp_url = \"https://app.clinic.example/smp\"\n",
        )
        .unwrap();
        let settings = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap();
        assert_eq!(
            settings.app_url().as_str(),
            "https://app.clinic.example/smp"
        );
        assert_eq!(
            settings.server.public_url.as_str(),
            "https://care.clinic.example/"
        );

        std::fs::write(&file, "[links]\napp_url = \"mailto:ops@clinic.example\"\n").unwrap();
        let err = Settings::load(Path::new("/nonexistent"), Some(&file)).unwrap_err();
        assert!(err.to_string().contains("links.app_url"), "{err}");
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
