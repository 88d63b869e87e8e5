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
use secrecy::SecretString;
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

pub(crate) mod console;
pub(crate) mod database;
pub mod email;
pub(crate) mod jobs;
pub mod photos;
pub(crate) mod push;

pub use console::ConsoleSettings;
pub use database::{redact_url, DatabaseSettings, DatabaseUrl};
pub use email::EmailSettings;
pub use jobs::JobSettings;
pub use photos::{PhotoSettings, PhotoStoreKind, S3Settings};

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
    pub photos: PhotoSettings,
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
        for path in [
            &mut self.email.file_dir,
            &mut self.push.vapid_key_file,
            &mut self.photos.dir,
        ] {
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
        if let Err(why) = self.photos.validate() {
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

#[cfg(test)]
mod tests;
