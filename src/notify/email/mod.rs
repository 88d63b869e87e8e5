//! Outgoing email: lettre over SMTP (pooled, plain/STARTTLS/TLS) or, by default, lettre's
//! file transport writing one `.eml` per message so the embedded setup needs no mail server.
//!
//! Every send is bounded by `email.send_timeout_secs` (lettre's own timeout covers only the
//! TCP connect; the wait for a free pooled connection is not counted) and its outcome is
//! classified for the retry engine: [`SendError::Transient`] (retry later) or
//! [`SendError::Permanent`] (do not retry this message).
//!
//! - `smtp`: the SMTP connection pool and the classification of SMTP errors;
//! - `compose`: building the message from an [`OutgoingEmail`];
//! - `headers`: the List-Unsubscribe, List-Unsubscribe-Post and Auto-Submitted headers.

mod compose;
mod headers;
mod smtp;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};
use url::Url;

use crate::config::email::parse_from;
pub use crate::config::email::{EmailSettings, EmailTransport, SmtpSettings, SmtpTls};
use compose::compose;
use smtp::{classify_smtp_error, error_chain, SmtpPool};

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
    /// With the file transport, the absolute path of the `.eml` file written.
    pub file: Option<PathBuf>,
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

    /// Builds and sends one message, bounded by `email.send_timeout_secs` (after waiting,
    /// untimed, for a free SMTP connection slot).
    pub async fn send(&self, email: &OutgoingEmail) -> Result<SentEmail, SendError> {
        let (message, message_id) = compose(&self.inner.from, email)?;
        let limit = self.inner.send_timeout;
        let outcome = match &self.inner.transport {
            Transport::File { transport, dir } => {
                match tokio::time::timeout(limit, transport.send(message)).await {
                    // lettre names the file after the id it returns.
                    Ok(Ok(id)) => {
                        let file = dir.join(format!("{id}.eml"));
                        Ok(Some(std::path::absolute(&file).unwrap_or(file)))
                    }
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
                    Ok(Ok(())) => Ok(None),
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
            Ok(_) => tracing::debug!(message_id = %message_id, "email sent"),
            Err(e) => tracing::warn!(message_id = %message_id, error = %e, "email not sent"),
        }
        outcome.map(|file| SentEmail { message_id, file })
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
