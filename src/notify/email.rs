//! Outgoing email: lettre over SMTP (pooled, plain/STARTTLS/TLS) or, by default, lettre's
//! file transport writing one `.eml` per message so the embedded setup needs no mail server.
//!
//! Every send is bounded by `email.send_timeout_secs` (lettre's own timeout covers only the
//! TCP connect; the wait for a free pooled connection is not counted) and its outcome is classified for the retry engine: [`SendError::Transient`]
//! (retry later) or [`SendError::Permanent`] (do not retry this message).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
#[serde(rename_all = "snake_case")]
pub enum EmailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP, no encryption (local relays and tests only).
    None,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    Starttls,
    /// Implicit TLS from the first byte (usually port 465).
    Tls,
}

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
    fn validate(&self) -> Result<(), String> {
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

    fn credentials(&self) -> Option<Credentials> {
        let username = self.username.as_deref().filter(|u| !u.is_empty())?;
        let password = self.password.as_ref()?;
        Some(Credentials::new(
            username.to_string(),
            password.expose_secret().to_string(),
        ))
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

fn parse_from(from: &str) -> Result<Mailbox, String> {
    from.trim().parse::<Mailbox>().map_err(|e| {
        format!(
            "email.from: {from:?} is not a mailbox like \"SMP Aftercare <no-reply@aftercare.example.net>\" ({e})"
        )
    })
}

/// Building a [`Mailer`] failed: the message names the setting or folder.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("{0}")]
    Config(String),
    #[error("email.file_dir: cannot use {path} for mail files: {source}")]
    FileDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("email.smtp: {0}")]
    Smtp(String),
}

/// Why a send did not go through, classified for the retry engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later: SMTP 4xx, connection refused or dropped, timeout, TLS or I/O
    /// trouble, a server-side authentication failure (a configuration problem, not the
    /// message's).
    #[error("temporary email failure: {0}")]
    Transient(String),
    /// Retrying the same message cannot help: SMTP 5xx for this message or recipient,
    /// an invalid address, a message that cannot be built.
    #[error("permanent email failure: {0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent(_))
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }

    /// The reason without the classification prefix (for a delivery's `last_error`).
    pub fn reason(&self) -> &str {
        match self {
            SendError::Transient(reason) | SendError::Permanent(reason) => reason,
        }
    }
}

/// A message went out (or, with the file transport, was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    /// The `Message-ID` header value, angle brackets included: `<uuid@domain>`.
    pub message_id: String,
}

/// A recipient: an optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: Option<String>,
    pub address: String,
}

impl Recipient {
    pub fn new(name: impl Into<String>, address: impl Into<String>) -> Recipient {
        Recipient {
            name: Some(name.into()),
            address: address.into(),
        }
    }

    pub fn address_only(address: impl Into<String>) -> Recipient {
        Recipient {
            name: None,
            address: address.into(),
        }
    }
}

/// One message to send: multipart/alternative text + HTML.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: Recipient,
    /// Display name for `From` (the clinic's name); the address stays `email.from`'s.
    pub sender_name: Option<String>,
    /// `Reply-To` address (the clinic's), e.g. `info@clinic.example` or `Clinic <info@...>`.
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// One-click unsubscribe (RFC 8058): adds `List-Unsubscribe: <url>` and
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. Must be https (or http for
    /// local setups).
    pub list_unsubscribe: Option<Url>,
}

/// Sends email through the configured transport. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<MailerInner>,
}

struct MailerInner {
    from: Mailbox,
    send_timeout: Duration,
    transport: Transport,
}

enum Transport {
    File {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp(Box<SmtpPool>),
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Mailer");
        out.field("from", &self.inner.from.to_string())
            .field("send_timeout", &self.inner.send_timeout);
        match &self.inner.transport {
            Transport::File { dir, .. } => out.field("transport", &"file").field("dir", dir),
            Transport::Smtp(pool) => out
                .field("transport", &"smtp")
                .field("host", &pool.settings.host)
                .field("port", &pool.settings.port)
                .field("tls", &pool.settings.tls),
        };
        out.finish()
    }
}

impl Mailer {
    /// Validates the settings and builds the transport. The file transport creates its
    /// folder and checks that it is writable; SMTP opens no connection here.
    pub fn new(settings: &EmailSettings) -> Result<Mailer, EmailError> {
        settings.validate().map_err(EmailError::Config)?;
        let from = parse_from(&settings.from).map_err(EmailError::Config)?;
        let transport = match settings.transport {
            EmailTransport::File => {
                let dir = settings.file_dir.clone();
                ensure_writable_dir(&dir)?;
                Transport::File {
                    transport: AsyncFileTransport::<Tokio1Executor>::new(&dir),
                    dir,
                }
            }
            EmailTransport::Smtp => Transport::Smtp(Box::new(SmtpPool::new(&settings.smtp)?)),
        };
        Ok(Mailer {
            inner: Arc::new(MailerInner {
                from,
                send_timeout: Duration::from_secs(settings.send_timeout_secs),
                transport,
            }),
        })
    }

    /// The folder the file transport writes to (`None` for SMTP).
    pub fn file_dir(&self) -> Option<&Path> {
        match &self.inner.transport {
            Transport::File { dir, .. } => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// The configured sender address (`email.from` without its display name).
    pub fn from_address(&self) -> String {
        self.inner.from.email.to_string()
    }

    /// Builds and sends one message, bounded by `email.send_timeout_secs` (after waiting,
    /// untimed, for a free SMTP connection slot).
    pub async fn send(&self, email: &OutgoingEmail) -> Result<SentEmail, SendError> {
        let (message, message_id) = compose(&self.inner.from, email)?;
        let limit = self.inner.send_timeout;
        let outcome = match &self.inner.transport {
            Transport::File { transport, dir } => {
                match tokio::time::timeout(limit, transport.send(message)).await {
                    Ok(Ok(_id)) => Ok(()),
                    Ok(Err(e)) => Err(SendError::Transient(format!(
                        "could not write the message into {}: {}",
                        dir.display(),
                        error_chain(&e)
                    ))),
                    Err(_) => Err(SendError::Transient(format!(
                        "writing the message into {} took longer than {}s",
                        dir.display(),
                        limit.as_secs()
                    ))),
                }
            }
            Transport::Smtp(pool) => {
                let envelope = message.envelope().clone();
                let raw = message.formatted();
                // Waiting in line for a connection slot is not the server being slow, so it
                // is not timed: with more concurrent jobs than pooled connections, a queued
                // send would otherwise lose an attempt before it ever spoke to the server.
                let slot = pool.slot().await;
                // Only the exchange on that slot is timed. On timeout the send future is
                // dropped and its connection with it: the socket closes, so the server sees
                // us give up instead of a half-finished transaction going back into the
                // pool.
                match tokio::time::timeout(limit, pool.send(&slot, &envelope, &raw)).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(classify_smtp_error(&e)),
                    Err(_) => Err(SendError::Transient(format!(
                        "SMTP server {}:{} did not complete the send within {}s",
                        pool.settings.host,
                        pool.settings.port,
                        limit.as_secs()
                    ))),
                }
            }
        };
        match &outcome {
            Ok(()) => tracing::debug!(message_id = %message_id, "email sent"),
            Err(e) => tracing::warn!(message_id = %message_id, error = %e, "email not sent"),
        }
        outcome.map(|()| SentEmail { message_id })
    }
}

fn ensure_writable_dir(dir: &Path) -> Result<(), EmailError> {
    let fail = |source| EmailError::FileDir {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    // Prove it is writable now rather than at the first invitation.
    let probe = dir.join(format!(".write-check-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

/// Idle connections older than this are closed instead of reused.
const SMTP_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A small SMTP connection pool over lettre's `AsyncSmtpConnection`.
///
/// Why not lettre's own pool (`AsyncSmtpTransport` with the `pool` feature, lettre 0.11):
/// it puts back a cancelled send's connection. Its `PooledConnection` hands the connection
/// to `Pool::recycle` on `Drop`, which parks every connection not marked `has_broken()`,
/// and a send dropped mid-transaction (by our timeout) is not marked. So the connection
/// stays open, the server finishes its stall and stores the message (which our retry then
/// sends again), and the next send reuses the connection with its replies out of step.
/// (Its `max_size` also caps only idle connections, not open ones, and building or
/// dropping it spawns a task, so it needs a Tokio runtime.) Here a connection is owned by
/// the send using it, so a cancelled send closes it. At most `pool_max_size` connections
/// are open at once (one per [`Slot`]); up to that many idle ones are kept for
/// `SMTP_IDLE_TIMEOUT` and checked with NOOP before reuse.
struct SmtpPool {
    settings: SmtpSettings,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<IdleConnection>>,
    slots: tokio::sync::Semaphore,
}

/// The right to hold one SMTP connection open (a permit of [`SmtpPool::slots`]).
struct Slot<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
}

struct IdleConnection {
    conn: AsyncSmtpConnection,
    since: Instant,
}

impl SmtpPool {
    fn new(settings: &SmtpSettings) -> Result<SmtpPool, EmailError> {
        let host = settings.host.trim().to_string();
        let tls_parameters =
            || TlsParameters::new(host.clone()).map_err(|e| EmailError::Smtp(error_chain(&e)));
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(tls_parameters()?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
        };
        Ok(SmtpPool {
            settings: SmtpSettings {
                host: host.clone(),
                ..settings.clone()
            },
            tls,
            credentials: settings.credentials(),
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            slots: tokio::sync::Semaphore::new(settings.pool_max_size as usize),
        })
    }

    /// Waits for one of the `pool_max_size` connection slots; the slot is freed when the
    /// returned guard is dropped.
    async fn slot(&self) -> Slot<'_> {
        Slot {
            _permit: self
                .slots
                .acquire()
                .await
                .expect("the pool's semaphore is never closed"),
        }
    }

    /// Sends on a connection of `slot` (an idle one if any is fit for reuse, else a new
    /// one). Taking the slot as an argument keeps its wait out of whatever times this.
    async fn send(
        &self,
        _slot: &Slot<'_>,
        envelope: &lettre::address::Envelope,
        raw: &[u8],
    ) -> Result<(), lettre::transport::smtp::Error> {
        let mut conn = self.checkout().await?;
        // On an error lettre has already sent QUIT and closed this connection.
        conn.send(envelope, raw).await?;
        self.checkin(conn);
        Ok(())
    }

    async fn checkout(&self) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        loop {
            let idle = self.lock_idle().pop();
            let Some(IdleConnection { mut conn, since }) = idle else {
                return self.connect().await;
            };
            if since.elapsed() < SMTP_IDLE_TIMEOUT && conn.test_connected().await {
                return Ok(conn);
            }
            // Stale or dead: dropping it closes the socket; try the next one.
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        let mut idle = self.lock_idle();
        if idle.len() < self.settings.pool_max_size as usize {
            idle.push(IdleConnection {
                conn,
                since: Instant::now(),
            });
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<IdleConnection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        let wrapper = match &self.tls {
            Tls::Wrapper(parameters) => Some(parameters.clone()),
            _ => None,
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.settings.host.as_str(), self.settings.port),
            Some(Duration::from_secs(self.settings.timeout_secs)),
            &self.hello,
            wrapper,
            None,
        )
        .await?;
        if let Tls::Required(parameters) = &self.tls {
            // Fails, rather than carrying on in clear text, when the server lacks STARTTLS.
            conn.starttls(parameters.clone(), &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }
}

/// SMTP reply codes that mean "your login failed", not "this message is refused".
const AUTH_FAILURE_CODES: [&str; 4] = ["530", "534", "535", "538"];

fn classify_smtp_error(e: &lettre::transport::smtp::Error) -> SendError {
    use std::error::Error as _;
    let Some(code) = e.status() else {
        // Connection refused or dropped, TLS trouble, a malformed reply, a client-side
        // refusal (e.g. no STARTTLS): nothing is wrong with the message itself.
        return SendError::Transient(format!("SMTP {}", error_chain(e)));
    };
    let code = code.to_string();
    let text = e.source().map(|s| s.to_string()).unwrap_or_default();
    let reason = format!("SMTP server replied {code} {text}")
        .trim_end()
        .to_string();
    if !e.is_permanent() {
        return SendError::Transient(reason);
    }
    if AUTH_FAILURE_CODES.contains(&code.as_str()) {
        // Every message would fail the same way until the operator fixes the
        // credentials: retry rather than give up on each client's reminder.
        return SendError::Transient(format!(
            "{reason} (authentication failed: check email.smtp.username/password)"
        ));
    }
    SendError::Permanent(reason)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = inner.source();
    }
    out
}

/// Builds the message; returns it with its `Message-ID`.
fn compose(from: &Mailbox, email: &OutgoingEmail) -> Result<(Message, String), SendError> {
    let to_address: Address = email.to.address.trim().parse().map_err(|e| {
        SendError::Permanent(format!(
            "invalid recipient address {:?}: {e}",
            email.to.address
        ))
    })?;
    let to = Mailbox::new(clean_name(email.to.name.as_deref()), to_address);

    let sender = match clean_name(email.sender_name.as_deref()) {
        Some(name) => Mailbox::new(Some(name), from.email.clone()),
        None => from.clone(),
    };

    let message_id = format!(
        "<{}@{}>",
        uuid::Uuid::new_v4().simple(),
        from.email.domain()
    );

    let mut builder = Message::builder()
        .from(sender)
        .to(to)
        .subject(single_line(&email.subject))
        .message_id(Some(message_id.clone()))
        .date_now()
        .header(AutoSubmitted::auto_generated());

    if let Some(reply_to) = email.reply_to.as_deref().filter(|r| !r.trim().is_empty()) {
        let reply_to = parse_mailbox_or_address(reply_to).map_err(|e| {
            SendError::Permanent(format!("invalid Reply-To address {reply_to:?}: {e}"))
        })?;
        builder = builder.reply_to(reply_to);
    }

    if let Some(url) = &email.list_unsubscribe {
        if !matches!(url.scheme(), "https" | "http") {
            return Err(SendError::Permanent(format!(
                "List-Unsubscribe must be an https URL for one-click unsubscribe, not {url}"
            )));
        }
        builder = builder
            .header(ListUnsubscribe(url.clone()))
            .header(ListUnsubscribePost);
    }

    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))?;
    Ok((message, message_id))
}

fn parse_mailbox_or_address(raw: &str) -> Result<Mailbox, String> {
    let raw = raw.trim();
    match raw.parse::<Mailbox>() {
        Ok(mailbox) => Ok(mailbox),
        Err(e) => raw
            .parse::<Address>()
            .map(Mailbox::from)
            .map_err(|_| e.to_string()),
    }
}

/// Display names come from clinics and clients: drop control characters (line breaks
/// above all) and collapse whitespace; lettre quotes or RFC 2047-encodes the rest.
fn clean_name(name: Option<&str>) -> Option<String> {
    let name = single_line(name?);
    (!name.is_empty()).then_some(name)
}

fn single_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `List-Unsubscribe: <https://...>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(Url);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        let inner = s.trim().trim_start_matches('<').trim_end_matches('>');
        Ok(ListUnsubscribe(Url::parse(inner)?))
    }

    fn display(&self) -> HeaderValue {
        // A parsed URL holds no spaces or line breaks, so nothing can be injected.
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_s: &str) -> Result<Self, BoxError> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): keeps out-of-office robots quiet.
#[derive(Debug, Clone)]
struct AutoSubmitted(String);

impl AutoSubmitted {
    fn auto_generated() -> Self {
        AutoSubmitted("auto-generated".to_string())
    }
}

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(AutoSubmitted(s.trim().to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> OutgoingEmail {
        OutgoingEmail {
            to: Recipient::new("Sam Client", "sam@client.test"),
            sender_name: Some("Hairline Studio".to_string()),
            reply_to: Some("front-desk@hairline.test".to_string()),
            subject: "Day 3: keep it dry".to_string(),
            text: "Plain body".to_string(),
            html: "<p>HTML body</p>".to_string(),
            list_unsubscribe: Some(Url::parse("https://care.test/unsubscribe/tok123").unwrap()),
        }
    }

    fn from() -> Mailbox {
        "SMP Aftercare <no-reply@care.test>".parse().unwrap()
    }

    fn formatted(email: &OutgoingEmail) -> String {
        let (message, _) = compose(&from(), email).unwrap();
        String::from_utf8(message.formatted()).unwrap()
    }

    fn headers(raw: &str) -> Vec<String> {
        let head = raw.split("\r\n\r\n").next().unwrap();
        let mut out: Vec<String> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                out.last_mut().unwrap().push_str(line);
            } else {
                out.push(line.to_string());
            }
        }
        out
    }

    fn header(raw: &str, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        headers(raw)
            .into_iter()
            .find(|h| h.to_ascii_lowercase().starts_with(&prefix))
            .map(|h| h[prefix.len()..].trim().to_string())
    }

    #[test]
    fn defaults_validate() {
        EmailSettings::default().validate().unwrap();
    }

    /// The `[email]` block of config/default.toml.
    const DEFAULT_TOML: &str = r#"
[email]
from = "SMP Aftercare <no-reply@localhost>"
transport = "file"
file_dir = "data/mail"
send_timeout_secs = 30

[email.smtp]
host = "localhost"
port = 1025
tls = "none"
timeout_secs = 10
pool_max_size = 4
"#;

    #[test]
    fn the_default_toml_block_matches_the_struct() {
        #[derive(Deserialize)]
        struct Wrapper {
            email: EmailSettings,
        }
        let parsed: Wrapper = toml::from_str(DEFAULT_TOML).unwrap();
        let parsed = parsed.email;
        parsed.validate().unwrap();
        let defaults = EmailSettings::default();
        assert_eq!(parsed.from, defaults.from);
        assert_eq!(parsed.transport, EmailTransport::File);
        assert_eq!(parsed.file_dir, PathBuf::from("data/mail"));
        assert_eq!(parsed.send_timeout_secs, defaults.send_timeout_secs);
        assert_eq!(parsed.smtp.host, "localhost");
        assert_eq!(parsed.smtp.port, 1025);
        assert_eq!(parsed.smtp.tls, SmtpTls::None);
        assert_eq!(parsed.smtp.timeout_secs, 10);
        assert_eq!(parsed.smtp.pool_max_size, defaults.smtp.pool_max_size);
        assert!(parsed.smtp.username.is_none() && parsed.smtp.password.is_none());
    }

    #[test]
    fn settings_parse_from_toml_shape_and_reject_unknown_keys() {
        let json = serde_json::json!({
            "from": "Clinic Mail <mail@clinic.test>",
            "transport": "smtp",
            "file_dir": "x/mail",
            "smtp": {"host": "smtp.clinic.test", "port": 587, "tls": "starttls",
                     "username": "u", "password": "hunter2", "timeout_secs": 5, "pool_max_size": 2},
            "send_timeout_secs": 20
        });
        let settings: EmailSettings = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(settings.transport, EmailTransport::Smtp);
        assert_eq!(settings.smtp.tls, SmtpTls::Starttls);
        settings.validate().unwrap();

        let mut bad = json;
        bad["smtp"]["passwrd"] = "x".into();
        assert!(serde_json::from_value::<EmailSettings>(bad).is_err());
        let bad_tls = serde_json::json!({"smtp": {"tls": "ssl"}});
        assert!(serde_json::from_value::<EmailSettings>(bad_tls).is_err());
    }

    #[tokio::test]
    async fn debug_never_shows_the_password() {
        let settings = EmailSettings {
            transport: EmailTransport::Smtp,
            smtp: SmtpSettings {
                username: Some("mailer".into()),
                password: Some(SecretString::from("hunter2-secret")),
                ..SmtpSettings::default()
            },
            ..EmailSettings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(shown.contains("mailer"));
        let mailer = Mailer::new(&settings).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2-secret"));
    }

    #[test]
    fn validation_names_the_key() {
        let check = |settings: EmailSettings, key: &str| {
            let err = settings.validate().unwrap_err();
            assert!(err.starts_with(key), "{err:?} should start with {key}");
        };
        let smtp = |smtp: SmtpSettings| EmailSettings {
            transport: EmailTransport::Smtp,
            smtp,
            ..EmailSettings::default()
        };
        check(
            EmailSettings {
                from: "not a mailbox".into(),
                ..EmailSettings::default()
            },
            "email.from:",
        );
        check(
            EmailSettings {
                from: "Name <no-at-sign>".into(),
                ..EmailSettings::default()
            },
            "email.from:",
        );
        check(
            EmailSettings {
                send_timeout_secs: 0,
                ..EmailSettings::default()
            },
            "email.send_timeout_secs:",
        );
        check(
            EmailSettings {
                file_dir: PathBuf::new(),
                ..EmailSettings::default()
            },
            "email.file_dir:",
        );
        check(
            smtp(SmtpSettings {
                host: " ".into(),
                ..SmtpSettings::default()
            }),
            "email.smtp.host:",
        );
        check(
            smtp(SmtpSettings {
                port: 0,
                ..SmtpSettings::default()
            }),
            "email.smtp.port:",
        );
        check(
            smtp(SmtpSettings {
                timeout_secs: 0,
                ..SmtpSettings::default()
            }),
            "email.smtp.timeout_secs:",
        );
        check(
            smtp(SmtpSettings {
                pool_max_size: 0,
                ..SmtpSettings::default()
            }),
            "email.smtp.pool_max_size:",
        );
        check(
            smtp(SmtpSettings {
                username: Some("u".into()),
                ..SmtpSettings::default()
            }),
            "email.smtp.password:",
        );
        check(
            smtp(SmtpSettings {
                password: Some(SecretString::from("p")),
                ..SmtpSettings::default()
            }),
            "email.smtp.username:",
        );
        check(
            smtp(SmtpSettings {
                host: "smtp.provider.test".into(),
                username: Some("u".into()),
                password: Some(SecretString::from("p")),
                ..SmtpSettings::default()
            }),
            "email.smtp.tls:",
        );
        // Credentials in clear text are fine to a loopback relay.
        smtp(SmtpSettings {
            host: "127.0.0.1".into(),
            username: Some("u".into()),
            password: Some(SecretString::from("p")),
            ..SmtpSettings::default()
        })
        .validate()
        .unwrap();
        // SMTP settings are not checked while the file transport is in use.
        EmailSettings {
            smtp: SmtpSettings {
                port: 0,
                ..SmtpSettings::default()
            },
            ..EmailSettings::default()
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn mailer_new_reports_config_and_folder_problems() {
        let err = Mailer::new(&EmailSettings {
            from: "nope".into(),
            ..EmailSettings::default()
        })
        .unwrap_err();
        assert!(err.to_string().starts_with("email.from:"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("a-file");
        std::fs::write(&blocker, b"x").unwrap();
        let target = blocker.join("mail");
        let err = Mailer::new(&EmailSettings {
            file_dir: target.clone(),
            ..EmailSettings::default()
        })
        .unwrap_err();
        assert!(matches!(err, EmailError::FileDir { .. }), "{err:?}");
        assert!(err.to_string().contains(&target.display().to_string()));

        let ok = dir.path().join("nested/mail");
        let mailer = Mailer::new(&EmailSettings {
            file_dir: ok.clone(),
            ..EmailSettings::default()
        })
        .unwrap();
        assert!(ok.is_dir());
        assert_eq!(mailer.file_dir(), Some(ok.as_path()));
        assert_eq!(std::fs::read_dir(&ok).unwrap().count(), 0, "probe removed");
    }

    #[cfg(unix)]
    #[test]
    fn read_only_mail_folder_is_refused_by_name() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mail = dir.path().join("ro");
        std::fs::create_dir(&mail).unwrap();
        std::fs::set_permissions(&mail, std::fs::Permissions::from_mode(0o555)).unwrap();
        // Root ignores permissions; only assert when the folder really is read-only.
        if std::fs::write(mail.join("probe"), b"").is_ok() {
            return;
        }
        let err = Mailer::new(&EmailSettings {
            file_dir: mail.clone(),
            ..EmailSettings::default()
        })
        .unwrap_err();
        assert!(
            err.to_string().contains(&mail.display().to_string()),
            "{err}"
        );
    }

    #[tokio::test]
    async fn smtp_mailer_builds_without_connecting() {
        for tls in [SmtpTls::None, SmtpTls::Starttls, SmtpTls::Tls] {
            Mailer::new(&EmailSettings {
                transport: EmailTransport::Smtp,
                smtp: SmtpSettings {
                    host: "smtp.unreachable.invalid".into(),
                    tls,
                    ..SmtpSettings::default()
                },
                ..EmailSettings::default()
            })
            .unwrap();
        }
    }

    #[test]
    fn message_has_the_expected_headers_and_parts() {
        let email = sample();
        let (message, id) = compose(&from(), &email).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert_eq!(
            header(&raw, "From").as_deref(),
            Some("\"Hairline Studio\" <no-reply@care.test>")
        );
        assert_eq!(
            header(&raw, "Reply-To").as_deref(),
            Some("front-desk@hairline.test")
        );
        assert_eq!(
            header(&raw, "To").as_deref(),
            Some("\"Sam Client\" <sam@client.test>")
        );
        assert_eq!(
            header(&raw, "Subject").as_deref(),
            Some("Day 3: keep it dry")
        );
        assert_eq!(header(&raw, "Message-ID").as_deref(), Some(id.as_str()));
        assert!(id.starts_with('<') && id.ends_with("@care.test>"), "{id}");
        assert!(header(&raw, "Date").is_some());
        assert_eq!(
            header(&raw, "List-Unsubscribe").as_deref(),
            Some("<https://care.test/unsubscribe/tok123>")
        );
        assert_eq!(
            header(&raw, "List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        assert_eq!(
            header(&raw, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        let content_type = header(&raw, "Content-Type").unwrap();
        assert!(
            content_type.starts_with("multipart/alternative;"),
            "{content_type}"
        );
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(raw.contains("Content-Type: text/html; charset=utf-8"));
        assert!(raw.contains("Plain body") && raw.contains("<p>HTML body</p>"));
        // The envelope follows the configured address, not the display override.
        assert_eq!(
            message.envelope().from().unwrap().to_string(),
            "no-reply@care.test"
        );
    }

    #[test]
    fn without_overrides_the_configured_sender_is_used_and_optional_headers_are_absent() {
        let email = OutgoingEmail {
            sender_name: None,
            reply_to: None,
            list_unsubscribe: None,
            to: Recipient::address_only("sam@client.test"),
            ..sample()
        };
        let raw = formatted(&email);
        assert_eq!(
            header(&raw, "From").as_deref(),
            Some("\"SMP Aftercare\" <no-reply@care.test>")
        );
        assert_eq!(header(&raw, "To").as_deref(), Some("sam@client.test"));
        assert!(header(&raw, "Reply-To").is_none());
        assert!(header(&raw, "List-Unsubscribe").is_none());
        assert!(header(&raw, "List-Unsubscribe-Post").is_none());
    }

    #[test]
    fn non_ascii_names_and_subjects_are_encoded() {
        let email = OutgoingEmail {
            to: Recipient::new("Zoë Müller", "zoe@client.test"),
            sender_name: Some("Clinique Élodie".into()),
            subject: "Jour 5 : vous pouvez laver doucement ✓".into(),
            ..sample()
        };
        let raw = formatted(&email);
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(head.is_ascii(), "headers must be 7-bit: {head}");
        let from = header(&raw, "From").unwrap();
        assert!(from.contains("=?utf-8?"), "{from}");
        assert!(from.ends_with("<no-reply@care.test>"), "{from}");
        assert!(header(&raw, "Subject").unwrap().contains("=?utf-8?"));
    }

    #[test]
    fn names_cannot_inject_headers() {
        let email = OutgoingEmail {
            to: Recipient::new("Sam\r\nBcc: victim@evil.test", "sam@client.test"),
            sender_name: Some("Clinic\nX-Injected: yes".into()),
            subject: "Hello\r\nBcc: victim@evil.test".into(),
            ..sample()
        };
        let raw = formatted(&email);
        for line in headers(&raw) {
            let lower = line.to_ascii_lowercase();
            assert!(
                !lower.starts_with("bcc:") && !lower.starts_with("x-injected:"),
                "{line}"
            );
        }
    }

    #[test]
    fn invalid_addresses_are_permanent_not_panics() {
        for bad in [
            "",
            "no-at-sign",
            "two@@ats.test",
            "sp ace@x.test",
            "a@",
            "@b.test",
        ] {
            let email = OutgoingEmail {
                to: Recipient::address_only(bad),
                ..sample()
            };
            let err = compose(&from(), &email).unwrap_err();
            assert!(err.is_permanent(), "{bad:?}: {err:?}");
        }
        let email = OutgoingEmail {
            reply_to: Some("clinic at example".into()),
            ..sample()
        };
        assert!(compose(&from(), &email).unwrap_err().is_permanent());
        let email = OutgoingEmail {
            reply_to: Some("Front Desk <desk@clinic.test>".into()),
            ..sample()
        };
        assert!(formatted(&email).contains("Reply-To: \"Front Desk\" <desk@clinic.test>"));
    }

    #[test]
    fn non_http_unsubscribe_links_are_refused() {
        let email = OutgoingEmail {
            list_unsubscribe: Some(Url::parse("mailto:unsub@care.test").unwrap()),
            ..sample()
        };
        assert!(compose(&from(), &email).unwrap_err().is_permanent());
    }

    #[test]
    fn send_error_accessors() {
        let t = SendError::Transient("451 later".into());
        let p = SendError::Permanent("550 no".into());
        assert!(!t.is_permanent() && t.is_transient());
        assert!(p.is_permanent() && !p.is_transient());
        assert_eq!(p.reason(), "550 no");
        assert_eq!(t.to_string(), "temporary email failure: 451 later");
    }

    #[tokio::test]
    async fn file_transport_writes_one_eml_per_send() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(&EmailSettings {
            file_dir: dir.path().join("mail"),
            ..EmailSettings::default()
        })
        .unwrap();
        let a = mailer.send(&sample()).await.unwrap();
        let b = mailer.send(&sample()).await.unwrap();
        assert_ne!(a.message_id, b.message_id);
        let files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 2, "{files:?}");
        for file in files {
            assert_eq!(file.extension().unwrap(), "eml");
        }
        let invalid = OutgoingEmail {
            to: Recipient::address_only("broken"),
            ..sample()
        };
        assert!(mailer.send(&invalid).await.unwrap_err().is_permanent());
        assert_eq!(
            std::fs::read_dir(dir.path().join("mail")).unwrap().count(),
            2
        );
    }

    #[tokio::test]
    async fn file_transport_reports_a_vanished_folder_as_transient() {
        let dir = tempfile::tempdir().unwrap();
        let mail = dir.path().join("mail");
        let mailer = Mailer::new(&EmailSettings {
            file_dir: mail.clone(),
            ..EmailSettings::default()
        })
        .unwrap();
        std::fs::remove_dir(&mail).unwrap();
        let err = mailer.send(&sample()).await.unwrap_err();
        assert!(err.is_transient(), "{err:?}");
        assert!(err.reason().contains(&mail.display().to_string()), "{err}");
    }
}
