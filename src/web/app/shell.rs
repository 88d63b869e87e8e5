//! The app shell: one short page for every screen of the client app. The scripts pick
//! the screen from the path and fill it from the API; the service worker keeps the
//! shell for when there is no signal.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use crate::domain::RuleId;
use crate::web::pages::{self, ErrorPage, PageError, View};
use crate::web::{assets, i18n};

/// What every page of the app carries: the screen, the texts' file, the manifest, the
/// rules' icons.
pub struct AppPage {
    screen: &'static str,
    manifest: String,
}

impl AppPage {
    pub fn new(screen: &'static str) -> AppPage {
        AppPage {
            screen,
            manifest: "/manifest.webmanifest".to_string(),
        }
    }

    /// The page the app opens at when installed from this page.
    pub fn start_url(mut self, path: &str) -> AppPage {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("start", path)
            .finish();
        self.manifest = format!("/manifest.webmanifest?{query}");
        self
    }

    /// `view` inside the app's layout (`app/base.html.j2`).
    pub fn respond(self, status: StatusCode, view: &impl View) -> HttpResponse {
        let lang = i18n::FALLBACK;
        let layout = AppLayout {
            lang,
            screen: self.screen,
            manifest: self.manifest,
            strings: assets::asset_url(&i18n::asset_path(lang)),
            rule_icons: rule_icons(),
            page: view,
        };
        pages::page(status, &layout)
    }
}

/// A page of the app inside its layout.
#[derive(Serialize)]
struct AppLayout<'a, V> {
    lang: &'static str,
    screen: &'static str,
    manifest: String,
    /// The texts' file for the scripts.
    strings: String,
    rule_icons: String,
    #[serde(flatten)]
    page: &'a V,
}

impl<V: View> View for AppLayout<'_, V> {
    const TEMPLATE: &'static str = V::TEMPLATE;
}

/// The shell: the scripts fill the screen.
#[derive(Serialize)]
struct ShellView {}

impl View for ShellView {
    const TEMPLATE: &'static str = "app/shell.html.j2";
}

/// The symbol of `app/icons.svg` that shows a rule in the day view: matched on the
/// domain's rules, so a new rule cannot be left without one.
fn rule_icon(id: RuleId) -> &'static str {
    match id {
        RuleId::NoWashing | RuleId::GentleWashingOk => "water",
        RuleId::NoHeavySweating => "sweat",
        RuleId::NoSwimming => "swim",
        RuleId::NoPoolsSaunasHeavyExercise => "sauna",
        RuleId::AvoidSun => "sun",
        RuleId::DailySpf => "sunscreen",
    }
}

/// Every rule's icon as JSON (`{"no_washing": "water", ...}`), for the page's script.
fn rule_icons() -> String {
    let icons: BTreeMap<&str, &str> = RuleId::ALL
        .iter()
        .map(|&id| (id.as_str(), rule_icon(id)))
        .collect();
    serde_json::to_string(&icons).unwrap_or_else(|_| "{}".into())
}

fn shell(screen: &'static str) -> HttpResponse {
    AppPage::new(screen).respond(StatusCode::OK, &ShellView {})
}

#[get("/")]
pub async fn home() -> HttpResponse {
    shell("today")
}

#[get("/today")]
pub async fn today() -> HttpResponse {
    shell("today")
}

#[get("/days/{date}")]
pub async fn day(path: web::Path<String>) -> Result<HttpResponse, PageError> {
    if path.parse::<chrono::NaiveDate>().is_err() {
        let lang = i18n::FALLBACK;
        let page = ErrorPage::new(
            i18n::text(lang, "errors.no_such_day.title"),
            i18n::text(lang, "errors.no_such_day.message"),
            i18n::text(lang, "errors.no_such_day.action"),
        )
        .with_link(i18n::text(lang, "nav.today"), "/today");
        return Err(PageError::Page(StatusCode::NOT_FOUND, page));
    }
    Ok(shell("day"))
}

#[get("/timeline")]
pub async fn timeline() -> HttpResponse {
    shell("timeline")
}

#[get("/settings")]
pub async fn settings() -> HttpResponse {
    shell("settings")
}
