//! The SMTP connection pool and the classification of SMTP errors for the retry engine.

use secrecy::ExposeSecret;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use super::{EmailError, SendError, SmtpSettings, SmtpTls};

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
pub(super) struct SmtpPool {
    pub(super) settings: SmtpSettings,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<IdleConnection>>,
    slots: tokio::sync::Semaphore,
}

/// The right to hold one SMTP connection open (a permit of [`SmtpPool::slots`]).
pub(super) struct Slot<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
}

struct IdleConnection {
    conn: AsyncSmtpConnection,
    since: Instant,
}

impl SmtpPool {
    pub(super) fn new(settings: &SmtpSettings) -> Result<SmtpPool, EmailError> {
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
            credentials: credentials(settings),
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            slots: tokio::sync::Semaphore::new(settings.pool_max_size as usize),
        })
    }

    /// Waits for one of the `pool_max_size` connection slots; the slot is freed when the
    /// returned guard is dropped.
    pub(super) async fn slot(&self) -> Slot<'_> {
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
    pub(super) async fn send(
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

pub(super) fn classify_smtp_error(e: &lettre::transport::smtp::Error) -> SendError {
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

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
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

/// The SMTP login, when both a user name and a password are configured.
fn credentials(settings: &SmtpSettings) -> Option<Credentials> {
    let username = settings.username.as_deref().filter(|u| !u.is_empty())?;
    let password = settings.password.as_ref()?;
    Some(Credentials::new(
        username.to_string(),
        password.expose_secret().to_string(),
    ))
}
