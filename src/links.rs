//! Every URL the service hands out, built in one place from `server.public_url`.

use chrono::NaiveDate;

/// Builds the links of emails and push payloads.
#[derive(Debug, Clone)]
pub struct Links {
    /// `server.public_url` without a trailing slash.
    base: String,
}

impl Links {
    pub fn new(public_url: &url::Url) -> Links {
        Links {
            base: public_url.as_str().trim_end_matches('/').to_string(),
        }
    }

    /// The invitation email's button: the client app's landing page for the token.
    pub fn invite(&self, token: &str) -> String {
        format!("{}/invite/{token}", self.base)
    }

    /// The client app's "today" page.
    pub fn today(&self) -> String {
        format!("{}/today", self.base)
    }

    /// The client app's page of one local date.
    pub fn day(&self, date: NaiveDate) -> String {
        format!("{}/days/{date}", self.base)
    }

    /// The console's sign-in page.
    pub fn console_sign_in_page(&self) -> String {
        format!("{}/console/sign-in", self.base)
    }

    /// An emailed console sign-in link; `next` (a console path) is where it leads.
    pub fn console_sign_in(&self, token: &str, next: Option<&str>) -> String {
        let link = format!("{}/console/sign-in/{token}", self.base);
        match next {
            Some(next) => {
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", next)
                    .finish();
                format!("{link}?{query}")
            }
            None => link,
        }
    }

    /// Whether the console's cookies must be `Secure` (the service is served over https).
    pub fn is_https(&self) -> bool {
        self.base.starts_with("https://")
    }

    /// The one-click unsubscribe link of reminder emails (RFC 8058).
    pub fn unsubscribe(&self, token: &str) -> String {
        format!("{}/unsubscribe/{token}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_slash_is_not_doubled() {
        let links = Links::new(&"https://app.example/".parse().unwrap());
        assert_eq!(links.invite("smpi_x"), "https://app.example/invite/smpi_x");
        assert_eq!(links.today(), "https://app.example/today");
        assert_eq!(links.unsubscribe("u"), "https://app.example/unsubscribe/u");
        assert_eq!(
            links.console_sign_in("smpl_x", Some("/console/clients?q=a b")),
            "https://app.example/console/sign-in/smpl_x?next=%2Fconsole%2Fclients%3Fq%3Da+b"
        );
        assert!(links.is_https());
    }
}
