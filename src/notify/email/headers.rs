//! Headers lettre does not define: `List-Unsubscribe` and `List-Unsubscribe-Post` for
//! one-click unsubscribe (RFC 2369, RFC 8058) and `Auto-Submitted` (RFC 3834).

use lettre::message::header::{Header, HeaderName, HeaderValue};
use url::Url;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `List-Unsubscribe: <https://...>` (RFC 2369).
#[derive(Debug, Clone)]
pub(super) struct ListUnsubscribe(pub(super) Url);

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
pub(super) struct ListUnsubscribePost;

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
pub(super) struct AutoSubmitted(String);

impl AutoSubmitted {
    pub(super) fn auto_generated() -> Self {
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
