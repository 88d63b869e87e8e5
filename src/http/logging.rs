//! The root span of every request, with the fields tracing-actix-web's default gives
//! it, but with capabilities redacted: invitation, unsubscribe and calendar feed
//! tokens travel in paths, and a log line must not hand out what the URL grants (an unused invitation
//! token in a log is an account for whoever reads the log).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage, ResponseError};
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

use crate::tokens::TokenKind;

/// Path segments whose next segment is a capability, whatever it looks like (links
/// sent before tokens had a prefix, a mistyped token).
const CAPABILITY_PARENTS: [&str; 5] = [
    "invitations",
    "invite",
    "unsubscribe",
    "calendar",
    "sign-in",
];

const REDACTED: &str = "[redacted]";

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '%')
}

/// The kind of token `word` starts as (`smpk_...`), if any: every kind the service
/// issues, from the token module's own list.
fn token_kind(word: &str) -> Option<TokenKind> {
    TokenKind::ALL.into_iter().find(|kind| {
        word.strip_prefix(kind.prefix())
            .is_some_and(|rest| rest.starts_with('_'))
    })
}

/// `text` (a request target, an error message) with every token replaced: a word
/// starting with a token prefix keeps the prefix only, and the segment after
/// `/invitations/`, `/invite/`, `/unsubscribe/` or `/calendar/` is replaced whole.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut previous, mut separator) = ("", "");
    let mut rest = text;
    while !rest.is_empty() {
        let word_len = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        if word_len == 0 {
            let gap = rest.find(is_token_char).unwrap_or(rest.len());
            separator = &rest[..gap];
            out.push_str(separator);
            rest = &rest[gap..];
            continue;
        }
        let word = &rest[..word_len];
        if separator == "/" && CAPABILITY_PARENTS.contains(&previous) {
            out.push_str(REDACTED);
        } else if let Some(kind) = token_kind(word) {
            out.push_str(kind.prefix());
            out.push('_');
            out.push_str(REDACTED);
        } else {
            out.push_str(word);
        }
        (previous, separator) = (word, "");
        rest = &rest[word_len..];
    }
    out
}

/// `TracingLogger::<RedactedRootSpan>`: the default root span's fields, `http.target`
/// and the error fields redacted, and the event the default logs for a failed request
/// (its `emit_event_on_error` feature is off: it would log the unredacted error).
pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let method = request.method().as_str();
        let connection = request.connection_info().clone();
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let request_id = request.extensions().get::<RequestId>().copied();
        let target = request.uri().path_and_query().map(|p| p.as_str());
        tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.flavor = %flavor(request.version()),
            http.scheme = %connection.scheme(),
            http.host = %connection.host(),
            http.client_ip = %connection.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %redact(target.unwrap_or("")),
            http.status_code = Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = Empty,
            request_id = %request_id.map(|id| id.to_string()).unwrap_or_default(),
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => match response.response().error() {
                Some(error) => (response.status(), error.as_response_error()),
                None => {
                    span.record("http.status_code", response.status().as_u16());
                    span.record("otel.status_code", "OK");
                    return;
                }
            },
            Err(error) => (
                error.as_response_error().status_code(),
                error.as_response_error(),
            ),
        };
        record_error(&span, status, error);
    }
}

/// "1.1", as the default root span writes it.
fn flavor(version: actix_web::http::Version) -> &'static str {
    use actix_web::http::Version;
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2.0",
        Version::HTTP_3 => "3.0",
        _ => "1.1",
    }
}

fn record_error(span: &Span, status: actix_web::http::StatusCode, error: &dyn ResponseError) {
    let message = redact(&error.to_string());
    let details = redact(&format!("{error:?}"));
    span.record("exception.message", message.as_str());
    span.record("exception.details", details.as_str());
    span.record("http.status_code", status.as_u16());
    // Only a server error is ours: OpenTelemetry counts it, and only it is an ERROR.
    // A client error is the client's; an answer carried by an error value that is no
    // error at all (the console's redirect of an anonymous visit to sign-in) is routine.
    span.record(
        "otel.status_code",
        if status.is_server_error() {
            "ERROR"
        } else {
            "OK"
        },
    );
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!("request failed: {details}");
        } else if status.is_client_error() {
            tracing::warn!("request refused: {details}");
        } else {
            tracing::info!("request answered with {status}: {message}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_capability_segments_are_redacted() {
        let cases = [
            (
                "/v1/invitations/smpi_0123456789abcdef_secret/accept",
                "/v1/invitations/[redacted]/accept",
            ),
            (
                "/unsubscribe/Pq7Rs8Tu9Vw0-Xy1_Za2",
                "/unsubscribe/[redacted]",
            ),
            (
                "/invite/smpi_x?next=smpc_y",
                "/invite/[redacted]?next=smpc_[redacted]",
            ),
            (
                "NotFound(\"no route for GET /unsubscribe/abc/extra\")",
                "NotFound(\"no route for GET /unsubscribe/[redacted]/extra\")",
            ),
            ("Bearer smpk_0123_abc", "Bearer smpk_[redacted]"),
            (
                "/calendar/smpf_0123456789abcdef_c2VjcmV0.ics",
                "/calendar/[redacted].ics",
            ),
            ("/calendar/not-a-token.ics", "/calendar/[redacted].ics"),
            (
                "/invite/smpi_0123456789abcdef_c2VjcmV0",
                "/invite/[redacted]",
            ),
            ("GET /x?feed=smpf_0123_abc", "GET /x?feed=smpf_[redacted]"),
            ("/v1/clients/0192/invitation", "/v1/clients/0192/invitation"),
            (
                "/v1/me/today?date=2026-03-02",
                "/v1/me/today?date=2026-03-02",
            ),
            ("", ""),
        ];
        for (raw, redacted) in cases {
            assert_eq!(redact(raw), redacted, "{raw}");
        }
    }

    /// One case per kind the service issues: a real token of that kind, in a path, a
    /// query and a header-like text, never survives redaction.
    #[test]
    fn every_issued_token_kind_is_redacted() {
        for kind in TokenKind::ALL {
            let token = crate::tokens::issue(kind).token;
            for text in [
                format!("/somewhere/{token}/next"),
                format!("/x?token={token}&y=1"),
                format!("Bearer {token}"),
                format!("NotFound(\"POST /console/sign-in/{token}\")"),
            ] {
                let out = redact(&text);
                assert!(!out.contains(&token), "{kind}: {out}");
                // `{kind}_{id}_{secret}`: the secret itself may contain `_`.
                let secret = token.splitn(3, '_').nth(2).unwrap();
                assert!(!out.contains(secret), "{kind}: {out}");
                assert!(
                    out.contains(&format!("{kind}_[redacted]")) || out.contains(REDACTED),
                    "{out}"
                );
            }
        }
    }

    #[test]
    fn a_sign_in_link_is_redacted_whatever_its_token_looks_like() {
        assert_eq!(
            redact("/console/sign-in/whatever-was-mailed?next=%2Fconsole"),
            "/console/sign-in/[redacted]?next=%2Fconsole"
        );
        assert_eq!(redact("/console/sign-in"), "/console/sign-in");
    }
}
