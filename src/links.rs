//! Every URL the service hands out, built in one place.
//!
//! Two origins: the client app (`links.app_url`, by default `server.public_url`) gets
//! the links a client opens to use the app (the invitation landing page, the day pages
//! of notifications and reminder emails); this service (`server.public_url`) keeps the
//! links only it can answer: one-click unsubscribe and the calendar feed.

use chrono::NaiveDate;

use crate::config::Settings;

/// Builds the links of emails, push payloads and API answers.
#[derive(Debug, Clone)]
pub struct Links {
    /// `links.app_url` (or `server.public_url`) without a trailing slash.
    app: String,
    /// `server.public_url` without a trailing slash.
    service: String,
}

fn base(url: &url::Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

impl Links {
    pub fn new(public_url: &url::Url, app_url: &url::Url) -> Links {
        Links {
            app: base(app_url),
            service: base(public_url),
        }
    }

    pub fn from_settings(settings: &Settings) -> Links {
        Links::new(&settings.server.public_url, settings.app_url())
    }

    /// The invitation email's button: the client app's landing page for the token.
    pub fn invite(&self, token: &str) -> String {
        format!("{}/invite/{token}", self.app)
    }

    /// The client app's page of one local date: what a notification and a reminder
    /// email open.
    pub fn day(&self, date: NaiveDate) -> String {
        format!("{}/days/{date}", self.app)
    }

    /// The console's sign-in page.
    pub fn console_sign_in_page(&self) -> String {
        format!("{}/console/sign-in", self.service)
    }

    /// An emailed console sign-in link; `next` (a console path) is where it leads.
    pub fn console_sign_in(&self, token: &str, next: Option<&str>) -> String {
        let link = format!("{}/console/sign-in/{token}", self.service);
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
        self.service.starts_with("https://")
    }

    /// The one-click unsubscribe link of reminder emails (RFC 8058).
    pub fn unsubscribe(&self, token: &str) -> String {
        format!("{}/unsubscribe/{token}", self.service)
    }

    /// The client's subscribable calendar (`.ics`), polled by calendar apps.
    pub fn calendar_feed(&self, token: &str) -> String {
        format!("{}/calendar/{token}.ics", self.service)
    }

    /// The same feed as a `webcal://` link, which phones hand to their calendar app
    /// as a subscription (only for a feed on https or http; webcal has no TLS flag, so
    /// apps fetch it over https when they can).
    pub fn calendar_subscription(&self, token: &str) -> String {
        let feed = self.calendar_feed(token);
        let rest = feed
            .strip_prefix("https://")
            .or_else(|| feed.strip_prefix("http://"))
            .unwrap_or(&feed);
        format!("webcal://{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_slash_is_not_doubled() {
        let url: url::Url = "https://app.example/".parse().unwrap();
        let links = Links::new(&url, &url);
        assert_eq!(links.invite("smpi_x"), "https://app.example/invite/smpi_x");
        assert_eq!(links.unsubscribe("u"), "https://app.example/unsubscribe/u");
        assert_eq!(
            links.console_sign_in("smpl_x", Some("/console/clients?q=a b")),
            "https://app.example/console/sign-in/smpl_x?next=%2Fconsole%2Fclients%3Fq%3Da+b"
        );
        assert!(links.is_https());
    }

    #[test]
    fn app_links_go_to_the_app_and_service_links_stay_here() {
        let public: url::Url = "https://care.clinic.example".parse().unwrap();
        let app: url::Url = "https://app.clinic.example/smp/".parse().unwrap();
        let links = Links::new(&public, &app);
        assert_eq!(
            links.invite("smpi_x"),
            "https://app.clinic.example/smp/invite/smpi_x"
        );
        let date = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        assert_eq!(
            links.day(date),
            "https://app.clinic.example/smp/days/2026-03-15"
        );
        assert_eq!(
            links.unsubscribe("smpu_u"),
            "https://care.clinic.example/unsubscribe/smpu_u"
        );
        assert_eq!(
            links.calendar_feed("smpf_f"),
            "https://care.clinic.example/calendar/smpf_f.ics"
        );
        assert_eq!(
            links.calendar_subscription("smpf_f"),
            "webcal://care.clinic.example/calendar/smpf_f.ics"
        );
    }
}
