//! Web Push sender (RFC 8030) with VAPID (RFC 8292) and an aes128gcm payload (RFC 8291).
//!
//! One [`PushSender`] is built at start-up from the service's [`VapidKeys`] and the VAPID
//! `sub` from configuration; [`PushSender::send`] delivers one message to one browser
//! subscription and maps whatever happens to a [`PushOutcome`] the engine acts on.
//!
//! - **VAPID**: the JWT is signed here (ES256 with the service key, JWS `r||s`) and holds
//!   exactly `aud`, `exp` and `sub`. `aud` is the endpoint's origin *including* a
//!   non-default port; `exp` is the sender's clock + 12 h. Push services compare `exp`
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
//!
//! # The payload
//!
//! The sender treats the payload as opaque bytes; the reminder engine builds it as UTF-8
//! JSON, and the service worker reads it:
//!
//! ```json
//! {
//!   "title": "Day 3 of your aftercare",
//!   "body": "Keep your scalp dry today.\n- no_washing\n- avoid_sun",
//!   "kind": "daily_aftercare",
//!   "date": "2026-03-05",
//!   "day": 3,
//!   "stage": "fresh",
//!   "rules": ["no_washing", "avoid_sun"],
//!   "url": "https://app.example-clinic.com/me/days/2026-03-05"
//! }
//! ```
//!
//! - `title`, `body`: the notification's text, in the client's language.
//! - `kind`: the `ReminderKind` id (`daily_aftercare`, `gentle_washing_allowed`, ...);
//!   it is also the message's `Topic`, so a newer reminder of one kind replaces an
//!   undelivered older one at the push service.
//! - `date`: the client's local date the reminder is for (`YYYY-MM-DD`).
//! - `day`: the day number of the healing timeline on that date.
//! - `stage`: the `Stage` id on that date (`fresh`, `settling`, ...).
//! - `rules`: the `RuleId` ids the message lists.
//! - `url`: the page the notification opens when tapped.
//!
//! It must stay under [`MAX_PAYLOAD_BYTES`]; a bigger payload is refused as
//! [`PushOutcome::Permanent`] without contacting the push service.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use url::Url;
use web_push::{ContentEncoding, SubscriptionInfo, Urgency, WebPushError, WebPushMessageBuilder};

use crate::clock::SharedClock;
use crate::notify::vapid::{self, VapidKeys};

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

/// How much of a push service's error body is quoted in a reason.
const REASON_BODY_CHARS: usize = 200;
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
    http: reqwest::Client,
}

impl fmt::Debug for PushSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushSender")
            .field("public_key", &self.inner.public_key)
            .field("subject", &self.inner.subject)
            .field("timeout", &self.inner.timeout)
            .field("clock", &self.inner.clock)
            .finish_non_exhaustive()
    }
}

impl PushSender {
    /// `subject` is the VAPID `sub` (a real `mailto:` or `https:` contact; placeholders are
    /// refused), `timeout` bounds each send, and `clock` must tell real time (it dates the
    /// JWT's `exp`, which push services check against their own clocks).
    pub fn new(
        keys: VapidKeys,
        subject: &str,
        timeout: Duration,
        clock: SharedClock,
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
        let http = reqwest::Client::builder()
            .user_agent(concat!("smp-aftercare/", env!("CARGO_PKG_VERSION")))
            // A push endpoint answers itself; following a redirect would carry the VAPID
            // token (whose `aud` names this origin) somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .build()
            .map_err(PushError::Client)?;
        Ok(PushSender {
            inner: Arc::new(Inner {
                signing_key,
                public_key: keys.public_key_base64url(),
                subject: subject.trim().to_string(),
                timeout,
                clock,
                http,
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

        let exp = self.inner.clock.now() + vapid_lifetime();
        let jwt = sign_jwt(&self.inner.signing_key, &aud, exp, &self.inner.subject);
        let authorization = format!("vapid t={jwt}, k={}", self.inner.public_key);

        let mut request = self
            .inner
            .http
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

/// Reads up to `cap` bytes of a body; a body that fails half-way keeps what arrived.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < cap {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(cap - body.len())]),
            Ok(None) | Err(_) => break,
        }
    }
    body
}

/// The VAPID `aud` for an endpoint: its origin (`scheme://host[:port]`), with the port
/// only when it is not the scheme's default. `None` unless the URL is http(s) with a host.
pub fn audience(endpoint: &Url) -> Option<String> {
    if !matches!(endpoint.scheme(), "https" | "http") || endpoint.host_str().is_none() {
        return None;
    }
    // `Url` already drops a default port, and the origin serialization keeps any other.
    Some(endpoint.origin().ascii_serialization())
}

fn vapid_lifetime() -> chrono::Duration {
    chrono::Duration::seconds(VAPID_LIFETIME.as_secs() as i64)
}

/// A signed VAPID JWT (ES256, JWS compact form) with exactly `aud`, `exp` and `sub`.
fn sign_jwt(key: &SigningKey, aud: &str, exp: DateTime<Utc>, sub: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({ "aud": aud, "exp": exp.timestamp(), "sub": sub });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let signature: Signature = key.sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// True when `topic` can be sent as a `Topic` header as it is: 1 to 32 characters of the
/// base64url alphabet (`A-Z a-z 0-9 - _`).
pub fn is_valid_topic(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= MAX_TOPIC_LEN
        && topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Makes a valid `Topic` out of any string: leading and trailing whitespace dropped, every
/// other character outside the base64url alphabet replaced by `-`, cut to 32 characters.
/// `None` when nothing usable is left (empty, or only replaced characters).
pub fn sanitize_topic(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut usable = false;
    for c in raw.trim().chars().take(MAX_TOPIC_LEN) {
        if c.is_ascii_alphanumeric() || c == '_' {
            usable = true;
            out.push(c);
        } else if c == '-' {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    if usable {
        debug_assert!(is_valid_topic(&out));
        Some(out)
    } else {
        None
    }
}

/// The wait a `Retry-After` value asks for (RFC 9110 §10.2.3: delta-seconds or an
/// HTTP-date, read relative to `now`): 60 s when absent or unreadable, at most 1 h, and
/// zero for a date already past.
pub fn parse_retry_after(value: Option<&str>, now: DateTime<Utc>) -> Duration {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return DEFAULT_RETRY_AFTER;
    };
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: a number too large for u64 is still "a very long time".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Duration::from_secs(secs).min(MAX_RETRY_AFTER);
    }
    match parse_http_date(value) {
        Some(at) => (at - now)
            .to_std()
            // A date in the past: retry now.
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
        None => DEFAULT_RETRY_AFTER,
    }
}

/// An HTTP-date (RFC 9110 §5.6.7): IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), or the
/// obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`) forms. Converting the parsed `SystemTime` reads no clock.
fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(value)
        .ok()
        .map(DateTime::<Utc>::from)
}

/// Maps a push service's answer to an outcome.
fn classify_response(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> PushOutcome {
    let reason = || {
        let text = String::from_utf8_lossy(body);
        let quoted = shorten(&text, REASON_BODY_CHARS);
        let name = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        if quoted.is_empty() {
            format!("push service answered {status}{name}")
        } else {
            format!("push service answered {status}{name}: {quoted}")
        }
    };
    match status {
        200..=299 => PushOutcome::Sent { status },
        404 | 410 => PushOutcome::Gone {
            status,
            reason: reason(),
        },
        429 => {
            let after = parse_retry_after(retry_after, now);
            PushOutcome::RetryAfter {
                after,
                reason: format!(
                    "{} (Retry-After: {}; retrying in {})",
                    reason(),
                    retry_after
                        .map(|v| shorten(v, 64))
                        .as_deref()
                        .unwrap_or("none"),
                    describe_duration(after)
                ),
            }
        }
        500..=599 => PushOutcome::Transient {
            status: Some(status),
            reason: reason(),
        },
        // 400, 401, 403, 413 and every other 4xx; also 1xx/3xx, which a push endpoint
        // has no business answering (redirects are not followed).
        _ => PushOutcome::Permanent {
            status: Some(status),
            reason: reason(),
        },
    }
}

fn classify_transport_error(e: &reqwest::Error) -> PushOutcome {
    let mut reason = if e.is_connect() {
        "cannot connect to the push service".to_string()
    } else if e.is_timeout() {
        "the push service timed out".to_string()
    } else {
        "request to the push service failed".to_string()
    };
    // reqwest's own message plus its causes, which hold the useful part.
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        reason.push_str(": ");
        reason.push_str(&err.to_string());
        source = err.source();
    }
    let reason = shorten(&reason, 400);
    if e.is_builder() {
        PushOutcome::Permanent {
            status: None,
            reason,
        }
    } else {
        PushOutcome::Transient {
            status: None,
            reason,
        }
    }
}

fn describe_build_error(e: &WebPushError) -> String {
    match e {
        WebPushError::InvalidCryptoKeys => {
            "the subscription's p256dh/auth keys are invalid (payload cannot be encrypted)".into()
        }
        WebPushError::PayloadTooLarge => "payload too large to encrypt".into(),
        WebPushError::InvalidUri => "invalid push endpoint".into(),
        WebPushError::InvalidTopic => "invalid Topic".into(),
        other => format!("cannot build the push message: {other}"),
    }
}

/// Whitespace collapsed, at most `max` characters (an ellipsis marks a cut).
fn shorten(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(max) {
        None => collapsed,
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
    }
}

fn describe_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FixedClock};
    use chrono::TimeZone;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn aud(endpoint: &str) -> Option<String> {
        audience(&Url::parse(endpoint).unwrap())
    }

    #[test]
    fn audience_is_the_origin_with_a_non_default_port_only() {
        assert_eq!(
            aud("https://fcm.googleapis.com/fcm/send/abc:def?x=1#f").as_deref(),
            Some("https://fcm.googleapis.com")
        );
        assert_eq!(
            aud("https://push.test:443/p/1").as_deref(),
            Some("https://push.test")
        );
        assert_eq!(
            aud("http://push.test:80/p/1").as_deref(),
            Some("http://push.test")
        );
        assert_eq!(
            aud("https://push.test:8443/p/1").as_deref(),
            Some("https://push.test:8443")
        );
        assert_eq!(
            aud("http://127.0.0.1:5000/push/abc").as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            aud("http://push.test:443/p").as_deref(),
            Some("http://push.test:443")
        );
        assert_eq!(
            aud("HTTPS://Push.Example-Service.Test:9000/").as_deref(),
            Some("https://push.example-service.test:9000")
        );
        assert_eq!(
            aud("https://[::1]:8443/p").as_deref(),
            Some("https://[::1]:8443")
        );
        assert_eq!(aud("ftp://push.test/p"), None);
        assert_eq!(aud("mailto:ops@clinic.de"), None);
        assert_eq!(aud("data:text/plain,hi"), None);
    }

    #[test]
    fn retry_after_delta_seconds() {
        let now = at(2026, 3, 2, 8, 0, 0);
        assert_eq!(parse_retry_after(Some("7"), now), Duration::from_secs(7));
        assert_eq!(
            parse_retry_after(Some(" 120 "), now),
            Duration::from_secs(120)
        );
        assert_eq!(parse_retry_after(Some("0"), now), Duration::ZERO);
        assert_eq!(parse_retry_after(Some("3600"), now), MAX_RETRY_AFTER);
        assert_eq!(parse_retry_after(Some("86400"), now), MAX_RETRY_AFTER);
        assert_eq!(
            parse_retry_after(Some("99999999999999999999999"), now),
            MAX_RETRY_AFTER
        );
    }

    #[test]
    fn retry_after_defaults_when_absent_or_unreadable() {
        let now = at(2026, 3, 2, 8, 0, 0);
        for bad in [
            None,
            Some(""),
            Some("   "),
            Some("-5"),
            Some("1.5"),
            Some("+5"),
            Some("soon"),
            Some("5 seconds"),
            Some("Mon, 32 Mar 2026 08:00:00 GMT"),
        ] {
            assert_eq!(parse_retry_after(bad, now), DEFAULT_RETRY_AFTER, "{bad:?}");
        }
        assert_eq!(DEFAULT_RETRY_AFTER, Duration::from_secs(60));
    }

    #[test]
    fn retry_after_http_dates_are_relative_to_the_clock() {
        let now = at(2026, 3, 2, 8, 0, 0);
        // IMF-fixdate.
        assert_eq!(
            parse_retry_after(Some("Mon, 02 Mar 2026 08:00:30 GMT"), now),
            Duration::from_secs(30)
        );
        // RFC 850 and asctime.
        assert_eq!(
            parse_retry_after(Some("Monday, 02-Mar-26 08:02:00 GMT"), now),
            Duration::from_secs(120)
        );
        assert_eq!(
            parse_retry_after(Some("Mon Mar  2 08:00:45 2026"), now),
            Duration::from_secs(45)
        );
        // Capped, and a past date means now.
        assert_eq!(
            parse_retry_after(Some("Tue, 03 Mar 2026 08:00:00 GMT"), now),
            MAX_RETRY_AFTER
        );
        assert_eq!(
            parse_retry_after(Some("Sun, 01 Mar 2026 08:00:00 GMT"), now),
            Duration::ZERO
        );
        // The same header read by a later clock asks for less.
        let later = now + chrono::Duration::seconds(20);
        assert_eq!(
            parse_retry_after(Some("Mon, 02 Mar 2026 08:00:30 GMT"), later),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn topics() {
        for ok in [
            "daily_aftercare",
            "next_session_window_open",
            "a",
            "A-z_0-9",
            "abcdefghijklmnopqrstuvwxyz012345",
        ] {
            assert!(is_valid_topic(ok), "{ok}");
            assert_eq!(sanitize_topic(ok).as_deref(), Some(ok));
        }
        for bad in [
            "",
            "daily aftercare",
            "a.b",
            "abc=",
            "a/b",
            "a+b",
            "día",
            "abcdefghijklmnopqrstuvwxyz0123456",
        ] {
            assert!(!is_valid_topic(bad), "{bad}");
        }
        assert_eq!(
            sanitize_topic(" daily aftercare ").as_deref(),
            Some("daily-aftercare")
        );
        assert_eq!(sanitize_topic("día").as_deref(), Some("d-a"));
        assert_eq!(sanitize_topic("a/b+c=").as_deref(), Some("a-b-c-"));
        assert_eq!(
            sanitize_topic("abcdefghijklmnopqrstuvwxyz0123456789").as_deref(),
            Some("abcdefghijklmnopqrstuvwxyz012345")
        );
        assert_eq!(sanitize_topic(""), None);
        assert_eq!(sanitize_topic("   "), None);
        assert_eq!(sanitize_topic("…!?"), None);
        assert_eq!(sanitize_topic("--"), None);
        for raw in ["x".repeat(100), "é1".repeat(40), "a b".repeat(20)] {
            let topic = sanitize_topic(&raw).unwrap();
            assert!(is_valid_topic(&topic), "{raw:?} -> {topic:?}");
        }
    }

    #[test]
    fn jwt_holds_exactly_aud_exp_sub_and_verifies() {
        let keys = VapidKeys::generate();
        let now = at(2026, 3, 2, 8, 0, 0);
        let clock = FixedClock::new(now);
        let sender = PushSender::new(
            keys.clone(),
            "mailto:ops@hairline-studio.co.uk",
            Duration::from_secs(5),
            Arc::new(clock.clone()),
        )
        .unwrap();
        let exp = clock.now() + vapid_lifetime();
        let jwt = sign_jwt(
            &sender.inner.signing_key,
            "https://push.test:8443",
            exp,
            sender.subject(),
        );
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "ES256");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({
                "aud": "https://push.test:8443",
                "exp": now.timestamp() + 12 * 3600,
                "sub": "mailto:ops@hairline-studio.co.uk",
            })
        );
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert_eq!(signature.len(), 64, "JWS r||s, not DER");
        let verifying = VerifyingKey::from_sec1_bytes(keys.public_key_bytes()).unwrap();
        verifying
            .verify(
                format!("{}.{}", parts[0], parts[1]).as_bytes(),
                &Signature::from_slice(&signature).unwrap(),
            )
            .unwrap();
        assert_eq!(sender.public_key_base64url(), keys.public_key_base64url());
    }

    #[test]
    fn construction_refuses_placeholders_and_a_zero_timeout() {
        let clock: SharedClock = Arc::new(FixedClock::new(at(2026, 3, 2, 8, 0, 0)));
        for bad in [
            "mailto:someone@example.com",
            "mailto:operator@smp-aftercare.invalid",
            "",
            "ops@clinic.de",
        ] {
            let err = PushSender::new(
                VapidKeys::generate(),
                bad,
                Duration::from_secs(5),
                clock.clone(),
            )
            .unwrap_err();
            assert!(matches!(err, PushError::InvalidSubject(_)), "{bad}: {err}");
        }
        let err = PushSender::new(
            VapidKeys::generate(),
            "mailto:ops@clinic.de",
            Duration::ZERO,
            clock.clone(),
        )
        .unwrap_err();
        assert!(matches!(err, PushError::ZeroTimeout));
        let sender = PushSender::new(
            VapidKeys::generate(),
            " https://clinic.de/contact ",
            Duration::from_secs(5),
            clock,
        )
        .unwrap();
        assert_eq!(sender.subject(), "https://clinic.de/contact");
        assert!(!format!("{sender:?}").contains("PRIVATE"));
    }

    #[test]
    fn statuses_map_to_outcomes() {
        let now = at(2026, 3, 2, 8, 0, 0);
        let body = br#"{"code": 410, "errno": 103, "error": "Gone", "message": "expired"}"#;
        assert_eq!(
            classify_response(201, None, b"", now),
            PushOutcome::Sent { status: 201 }
        );
        assert!(classify_response(200, None, b"", now).is_sent());
        assert!(classify_response(202, None, b"", now).is_sent());
        match classify_response(410, None, body, now) {
            PushOutcome::Gone { status, reason } => {
                assert_eq!(status, 410);
                assert!(reason.contains("410 Gone"), "{reason}");
                assert!(reason.contains(r#""message": "expired""#), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify_response(404, None, b"", now),
            PushOutcome::Gone { status: 404, .. }
        ));
        for status in [400, 401, 403, 405, 413, 415, 301, 302, 100] {
            assert!(
                matches!(
                    classify_response(status, None, b"", now),
                    PushOutcome::Permanent { status: Some(s), .. } if s == status
                ),
                "{status}"
            );
        }
        for status in [500, 502, 503, 504] {
            assert!(
                matches!(
                    classify_response(status, Some("30"), b"", now),
                    PushOutcome::Transient { status: Some(s), .. } if s == status
                ),
                "{status}"
            );
        }
        match classify_response(429, Some("7"), b"slow down", now) {
            PushOutcome::RetryAfter { after, reason } => {
                assert_eq!(after, Duration::from_secs(7));
                assert!(reason.contains("slow down"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify_response(429, None, b"", now),
            PushOutcome::RetryAfter { after, .. } if after == DEFAULT_RETRY_AFTER
        ));
    }

    #[test]
    fn reasons_quote_at_most_200_characters_of_the_body() {
        let now = at(2026, 3, 2, 8, 0, 0);
        let body = "é".repeat(500);
        let outcome = classify_response(400, None, body.as_bytes(), now);
        let reason = outcome.reason().unwrap();
        assert!(reason.starts_with("push service answered 400 Bad Request: "));
        assert_eq!(reason.matches('é').count(), 200);
        assert!(reason.ends_with('…'));
        assert_eq!(shorten("  a \n\t b  ", 200), "a b");
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }

    #[tokio::test]
    async fn refused_before_any_network_use() {
        let clock: SharedClock = Arc::new(FixedClock::new(at(2026, 3, 2, 8, 0, 0)));
        let sender = PushSender::new(
            VapidKeys::generate(),
            "mailto:ops@clinic.de",
            Duration::from_secs(5),
            clock,
        )
        .unwrap();
        // A real-looking browser key pair (RFC 8291 Appendix A).
        let good = PushTarget {
            // Port 9 (discard) on a TEST-NET address: never contacted by these cases.
            endpoint: "https://192.0.2.1:9/push/1".into(),
            p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4".into(),
            auth: "BTBZMqHH6r4Tts7J_aSIgg".into(),
        };
        let message = |payload: Vec<u8>| PushMessage {
            payload,
            ttl_secs: 60,
            urgency: PushUrgency::Normal,
            topic: None,
        };
        let started = std::time::Instant::now();
        let outcome = sender
            .send(&good, &message(vec![b'x'; MAX_PAYLOAD_BYTES + 1]))
            .await;
        assert!(
            matches!(&outcome, PushOutcome::Permanent { status: None, reason } if reason.contains("3001 bytes")),
            "{outcome:?}"
        );
        for (endpoint, p256dh, auth) in [
            ("not a url", good.p256dh.as_str(), good.auth.as_str()),
            ("ftp://push.test/p", &good.p256dh, &good.auth),
            (&good.endpoint, "not-a-key", &good.auth),
            (&good.endpoint, "BCVxsr7N", &good.auth),
            (&good.endpoint, &good.p256dh, "!!"),
        ] {
            let target = PushTarget {
                endpoint: endpoint.into(),
                p256dh: p256dh.into(),
                auth: auth.into(),
            };
            let outcome = sender.send(&target, &message(b"{}".to_vec())).await;
            assert!(
                matches!(outcome, PushOutcome::Permanent { status: None, .. }),
                "{target:?}: {outcome:?}"
            );
        }
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn urgency_header_values() {
        assert_eq!(PushUrgency::VeryLow.as_str(), "very-low");
        assert_eq!(PushUrgency::Low.as_str(), "low");
        assert_eq!(PushUrgency::Normal.as_str(), "normal");
        assert_eq!(PushUrgency::High.as_str(), "high");
        for u in [
            PushUrgency::VeryLow,
            PushUrgency::Low,
            PushUrgency::Normal,
            PushUrgency::High,
        ] {
            assert_eq!(u.to_web_push().to_string(), u.as_str());
        }
        assert_eq!(PushUrgency::default(), PushUrgency::Normal);
    }

    #[test]
    fn sender_is_clone_send_sync() {
        fn check<T: Clone + Send + Sync + 'static>() {}
        check::<PushSender>();
        check::<PushOutcome>();
    }
}
