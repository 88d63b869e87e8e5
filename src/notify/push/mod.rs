//! Web Push sender (RFC 8030) with VAPID (RFC 8292) and an aes128gcm payload (RFC 8291).
//!
//! One [`PushSender`] is built at start-up from the service's [`VapidKeys`] and the VAPID
//! `sub` from configuration; [`PushSender::send`] delivers one message to one browser
//! subscription and maps whatever happens to a [`PushOutcome`] the engine acts on.
//!
//! - **VAPID**: the JWT is signed here (ES256 with the service key, JWS `r||s`) and holds
//!   exactly `aud`, `exp` and `sub`. `aud` is the endpoint's origin *including* a
//!   non-default port; `exp` is the sender's clock + 12 h. One token is signed per origin
//!   and reused until an hour before its `exp` (signing per message cost more CPU than
//!   the encryption). Push services compare `exp`
//!   with real time, so the clock given to [`PushSender::new`] must be the real-time clock
//!   even when the engine runs on an accelerated demo clock.
//!
//!   Why not web-push 0.11's `VapidSignatureBuilder`: it does honour an explicit `aud` and
//!   `exp` given with `add_claim` (only its default `aud`, `scheme://host`, drops the
//!   port). But every builder starts from jwt-simple's `Claims::with_custom_claims`, which
//!   reads the system time (`SystemTime::now()`, through coarsetime) and stamps `iat` and
//!   `nbf` with it, and `exp` too unless one is given; the builder cannot leave `iat` and
//!   `nbf` out. Here only a `Clock` may tell the time, so the JWT is signed by hand.
//! - **Payload**: encrypted by the web-push crate (aes128gcm, one record), sent with
//!   `TTL`, `Urgency`, an optional `Topic` and `Content-Encoding: aes128gcm`.
//! - **Time limit**: connecting, sending and reading the answer together are bounded by
//!   the timeout given to [`PushSender::new`].
//! - **Destinations**: only publicly routable addresses, judged at send time on the
//!   addresses really connected to (see `guard`); a refused destination is
//!   [`PushOutcome::Permanent`]. Origins given to [`PushSender::with_insecure_origins`]
//!   (tests, local push services) are exempt, matched by exact origin. Connections are
//!   direct: no proxy from the environment, which would resolve names out of our sight.
//!
//! # The payload
//!
//! The sender treats the payload as opaque bytes; the reminder engine builds it as UTF-8
//! JSON, and the service worker reads it:
//!
//! ```json
//! {
//!   "title": "Your aftercare today (day 7)",
//!   "body": "Today's aftercare:\n- You may wash your scalp gently: ...\n\nFrom today ...",
//!   "kind": "daily_aftercare",
//!   "date": "2026-03-09",
//!   "day": 7,
//!   "stage": "settled",
//!   "rules": ["gentle_washing_ok", "avoid_sun"],
//!   "milestones": ["gentle_washing_allowed", "next_session_window_open"],
//!   "url": "https://app.example-clinic.com/days/2026-03-09"
//! }
//! ```
//!
//! - `title`, `body`: the notification's text, in the client's language; the body
//!   lists the rules, then a paragraph per milestone.
//! - `kind`: the `ReminderKind` id (`daily_aftercare`, `gentle_washing_allowed`, ...):
//!   `daily_aftercare` whenever the day's rules are listed, else the first milestone's.
//!   It is also the message's `Topic`, so a newer reminder of one kind replaces an
//!   undelivered older one at the push service.
//! - `date`: the client's local date the reminder is for (`YYYY-MM-DD`).
//! - `day`: the day number of the healing timeline on that date.
//! - `stage`: the `Stage` id on that date (`fresh`, `settling`, ...).
//! - `rules`: the `RuleId` ids the message lists.
//! - `milestones`: the `ReminderKind` ids of every milestone the message announces
//!   (their texts are in `body`); `[]` on a day without one.
//! - `url`: the page the notification opens when tapped: that day's page of the client
//!   app, `{links.app_url}/days/{date}` (built by `Links::day`).
//!
//! It must stay under [`MAX_PAYLOAD_BYTES`]; a bigger payload is refused as
//! [`PushOutcome::Permanent`] without contacting the push service.

mod address;
use client::{http_client, read_capped};
mod classify;
mod client;
mod guard;
mod jwt;
#[cfg(test)]
mod tests;
mod topic;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::SigningKey;
use url::Url;
use web_push::{ContentEncoding, SubscriptionInfo, Urgency, WebPushMessageBuilder};

use crate::clock::SharedClock;
use crate::config::OriginPattern;
use crate::notify::vapid::{self, VapidKeys};

pub use address::is_global;
pub use classify::parse_retry_after;
use classify::{
    classify_response, classify_transport_error, describe_build_error, describe_duration,
};
use guard::GlobalOnlyResolver;
pub use jwt::audience;
use jwt::{sign_jwt, TokenCache};
pub use topic::{is_valid_topic, sanitize_topic};

/// The largest payload (plaintext bytes) [`PushSender::send`] accepts: under 3 KB, so the
/// encrypted body stays well inside the 4096 bytes every push service must accept.
pub const MAX_PAYLOAD_BYTES: usize = 3000;

/// How far ahead the VAPID JWT expires (RFC 8292 allows at most 24 h).
pub const VAPID_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The wait used when a 429 carries no usable `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The longest wait a `Retry-After` may impose.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// A `Topic` is 1 to 32 characters of the base64url alphabet (RFC 8030 §5.4).
pub const MAX_TOPIC_LEN: usize = 32;

/// How much of an error body is read at all.
const MAX_ERROR_BODY_BYTES: usize = 8 * 1024;

/// Why a [`PushSender`] cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("VAPID subject (push.vapid_subject) {0}")]
    InvalidSubject(String),
    #[error("VAPID private key: {0}")]
    InvalidKey(String),
    #[error("push timeout must be greater than zero")]
    ZeroTimeout,
    #[error("cannot build the HTTP client for Web Push: {0}")]
    Client(#[source] reqwest::Error),
}

/// One browser subscription: `PushSubscription.toJSON()`'s `endpoint` and `keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    pub endpoint: String,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
}

/// How soon the push service should wake the device (RFC 8030 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PushUrgency {
    VeryLow,
    Low,
    #[default]
    Normal,
    High,
}

impl PushUrgency {
    /// The `Urgency` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            PushUrgency::VeryLow => "very-low",
            PushUrgency::Low => "low",
            PushUrgency::Normal => "normal",
            PushUrgency::High => "high",
        }
    }

    fn to_web_push(self) -> Urgency {
        match self {
            PushUrgency::VeryLow => Urgency::VeryLow,
            PushUrgency::Low => Urgency::Low,
            PushUrgency::Normal => Urgency::Normal,
            PushUrgency::High => Urgency::High,
        }
    }
}

/// One message to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// The plaintext payload: the JSON described in the module documentation, at most
    /// [`MAX_PAYLOAD_BYTES`]. Empty sends a push without a body.
    pub payload: Vec<u8>,
    /// Seconds the push service may keep the message while the device is offline (the
    /// engine passes the seconds until the reminder goes stale).
    pub ttl_secs: u32,
    pub urgency: PushUrgency,
    /// Replaces an undelivered message with the same topic. Passed through
    /// [`sanitize_topic`]: characters outside the base64url alphabet become `-`, it is cut
    /// to 32 characters, and a topic with nothing left is not sent.
    pub topic: Option<String>,
}

/// What happened to one push, as the engine needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The push service accepted the message (any 2xx).
    Sent { status: u16 },
    /// The subscription no longer exists (404, 410): disable it and stop.
    Gone { status: u16, reason: String },
    /// Sending again will not help: 400, 401, 403, 413, other 4xx, an unexpected status,
    /// a payload that is too big, invalid subscription keys or endpoint (`status: None`
    /// when the push service was not contacted).
    Permanent { status: Option<u16>, reason: String },
    /// 429: try again after `after` (from `Retry-After`, default 60 s, at most 1 h),
    /// without spending an attempt.
    RetryAfter { after: Duration, reason: String },
    /// Worth retrying with backoff: 5xx, timeout, connection failure (`status: None` when
    /// there was no answer).
    Transient { status: Option<u16>, reason: String },
}

impl PushOutcome {
    pub fn is_sent(&self) -> bool {
        matches!(self, PushOutcome::Sent { .. })
    }

    /// The HTTP status the push service answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            PushOutcome::Sent { status } | PushOutcome::Gone { status, .. } => Some(*status),
            PushOutcome::RetryAfter { .. } => Some(429),
            PushOutcome::Permanent { status, .. } | PushOutcome::Transient { status, .. } => {
                *status
            }
        }
    }

    /// The reason, for logs and the delivery history (`None` for `Sent`).
    pub fn reason(&self) -> Option<&str> {
        match self {
            PushOutcome::Sent { .. } => None,
            PushOutcome::Gone { reason, .. }
            | PushOutcome::Permanent { reason, .. }
            | PushOutcome::RetryAfter { reason, .. }
            | PushOutcome::Transient { reason, .. } => Some(reason),
        }
    }
}

/// Sends Web Push messages signed with the service's VAPID key. Cheap to clone; one
/// HTTP connection pool is shared by the clones.
#[derive(Clone)]
pub struct PushSender {
    inner: Arc<Inner>,
}

struct Inner {
    signing_key: SigningKey,
    public_key: String,
    subject: String,
    timeout: Duration,
    clock: SharedClock,
    /// Resolves through the guard: for every endpoint not in `insecure_origins`.
    http: reqwest::Client,
    /// The system resolver, unguarded: only for `insecure_origins` (`None` when empty).
    insecure_http: Option<reqwest::Client>,
    insecure_origins: Vec<OriginPattern>,
    /// One signed VAPID token per push-service origin, reused until shortly before `exp`.
    tokens: TokenCache,
}

impl fmt::Debug for PushSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushSender")
            .field("public_key", &self.inner.public_key)
            .field("subject", &self.inner.subject)
            .field("timeout", &self.inner.timeout)
            .field("clock", &self.inner.clock)
            .field("insecure_origins", &self.inner.insecure_origins)
            .finish_non_exhaustive()
    }
}

impl PushSender {
    /// `subject` is the VAPID `sub` (a real `mailto:` or `https:` contact; placeholders are
    /// refused), `timeout` bounds each send, and `clock` must tell real time (it dates the
    /// JWT's `exp`, which push services check against their own clocks). Pushes go only to
    /// publicly routable addresses.
    pub fn new(
        keys: VapidKeys,
        subject: &str,
        timeout: Duration,
        clock: SharedClock,
    ) -> Result<PushSender, PushError> {
        PushSender::with_insecure_origins(keys, subject, timeout, clock, &[])
    }

    /// [`PushSender::new`], and pushes to an endpoint whose origin matches one of
    /// `insecure_origins` go wherever its host resolves (tests, local push services).
    pub fn with_insecure_origins(
        keys: VapidKeys,
        subject: &str,
        timeout: Duration,
        clock: SharedClock,
        insecure_origins: &[OriginPattern],
    ) -> Result<PushSender, PushError> {
        vapid::validate_subject(subject).map_err(PushError::InvalidSubject)?;
        if timeout.is_zero() {
            return Err(PushError::ZeroTimeout);
        }
        let scalar = URL_SAFE_NO_PAD
            .decode(keys.private_key_base64url())
            .map_err(|e| PushError::InvalidKey(e.to_string()))?;
        let signing_key =
            SigningKey::from_slice(&scalar).map_err(|e| PushError::InvalidKey(e.to_string()))?;
        let http = http_client(timeout)
            .dns_resolver(Arc::new(GlobalOnlyResolver))
            .build()
            .map_err(PushError::Client)?;
        let insecure_http = match insecure_origins {
            [] => None,
            _ => Some(http_client(timeout).build().map_err(PushError::Client)?),
        };
        Ok(PushSender {
            inner: Arc::new(Inner {
                signing_key,
                public_key: keys.public_key_base64url(),
                subject: subject.trim().to_string(),
                timeout,
                clock,
                http,
                insecure_http,
                insecure_origins: insecure_origins.to_vec(),
                tokens: TokenCache::default(),
            }),
        })
    }

    /// The VAPID public key (65-byte uncompressed point, base64url): the browser's
    /// `applicationServerKey`.
    pub fn public_key_base64url(&self) -> String {
        self.inner.public_key.clone()
    }

    /// The VAPID `sub` claim this sender signs.
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// Pushes `message` to `target`. Never panics and never waits longer than the
    /// timeout; every failure is an outcome.
    pub async fn send(&self, target: &PushTarget, message: &PushMessage) -> PushOutcome {
        let outcome = self.send_inner(target, message).await;
        let origin = Url::parse(&target.endpoint)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| "(invalid endpoint)".to_string());
        match &outcome {
            PushOutcome::Sent { status } => {
                tracing::debug!(%origin, status, "push sent");
            }
            PushOutcome::Gone { status, reason } => {
                tracing::info!(%origin, status, %reason, "push subscription is gone");
            }
            PushOutcome::Permanent { status, reason } => {
                tracing::error!(%origin, ?status, %reason, "push failed permanently");
            }
            PushOutcome::RetryAfter { after, reason } => {
                tracing::warn!(%origin, after_secs = after.as_secs(), %reason, "push service asked to retry later");
            }
            PushOutcome::Transient { status, reason } => {
                tracing::warn!(%origin, ?status, %reason, "push failed, will retry");
            }
        }
        outcome
    }

    async fn send_inner(&self, target: &PushTarget, message: &PushMessage) -> PushOutcome {
        let permanent = |reason: String| PushOutcome::Permanent {
            status: None,
            reason,
        };
        if message.payload.len() > MAX_PAYLOAD_BYTES {
            return permanent(format!(
                "payload is {} bytes; at most {MAX_PAYLOAD_BYTES} are sent",
                message.payload.len()
            ));
        }
        let endpoint = match Url::parse(target.endpoint.trim()) {
            Ok(url) => url,
            Err(e) => return permanent(format!("invalid push endpoint: {e}")),
        };
        let Some(aud) = audience(&endpoint) else {
            return permanent(format!(
                "push endpoint must be an http(s) URL with a host, got scheme {:?}",
                endpoint.scheme()
            ));
        };

        let info =
            SubscriptionInfo::new(endpoint.as_str(), target.p256dh.trim(), target.auth.trim());
        let mut builder = WebPushMessageBuilder::new(&info);
        builder.set_ttl(message.ttl_secs);
        builder.set_urgency(message.urgency.to_web_push());
        if let Some(topic) = message.topic.as_deref().and_then(sanitize_topic) {
            builder.set_topic(topic);
        }
        if !message.payload.is_empty() {
            builder.set_payload(ContentEncoding::Aes128Gcm, &message.payload);
        }
        let built = match builder.build() {
            Ok(built) => built,
            Err(e) => return permanent(describe_build_error(&e)),
        };

        // Only an exempt origin skips the guard; every other endpoint has its literal
        // address checked here and its name checked by the guarded client's resolver.
        let insecure_http = self.inner.insecure_http.as_ref().filter(|_| {
            self.inner
                .insecure_origins
                .iter()
                .any(|o| o.matches(&endpoint))
        });
        if insecure_http.is_none() {
            if let Err(refused) = guard::check_literal(&endpoint) {
                return permanent(refused.to_string());
            }
        }

        let authorization = self.authorization(&aud);

        let mut request = insecure_http
            .unwrap_or(&self.inner.http)
            .post(endpoint)
            .header("Authorization", authorization)
            .header("TTL", built.ttl.to_string());
        if let Some(urgency) = built.urgency {
            request = request.header("Urgency", urgency.to_string());
        }
        if let Some(topic) = built.topic {
            request = request.header("Topic", topic);
        }
        if let Some(payload) = built.payload {
            request = request
                .header("Content-Encoding", payload.content_encoding.to_str())
                .header("Content-Type", "application/octet-stream");
            for (name, value) in payload.crypto_headers {
                // aes128gcm carries its keys in the body; nothing is expected here, but
                // whatever the crate adds must not override our Authorization.
                if !name.eq_ignore_ascii_case("authorization") {
                    request = request.header(name, value);
                }
            }
            request = request.body(payload.content);
        }

        let exchange = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = if (200..300).contains(&status) {
                Vec::new()
            } else {
                read_capped(response, MAX_ERROR_BODY_BYTES).await
            };
            Ok::<_, reqwest::Error>((status, retry_after, body))
        };
        match tokio::time::timeout(self.inner.timeout, exchange).await {
            Err(_) => PushOutcome::Transient {
                status: None,
                reason: format!(
                    "no answer from the push service within {}",
                    describe_duration(self.inner.timeout)
                ),
            },
            Ok(Err(e)) => classify_transport_error(&e),
            Ok(Ok((status, retry_after, body))) => classify_response(
                status,
                retry_after.as_deref(),
                &body,
                self.inner.clock.now(),
            ),
        }
    }
}

impl PushSender {
    /// The `Authorization` header for pushes to `aud` (see [`TokenCache`]).
    fn authorization(&self, aud: &str) -> String {
        let inner = &self.inner;
        inner.tokens.authorization(aud, inner.clock.now(), |exp| {
            let jwt = sign_jwt(&inner.signing_key, aud, exp, &inner.subject);
            format!("vapid t={jwt}, k={}", inner.public_key)
        })
    }
}
