//! GET/POST /console/protocol: the clinic's protocol as plain fields (the common edits:
//! days without washing, sun avoidance, sessions, next-session window, touch-up), and
//! under "Advanced" as each rule's days and text or as the override document; a
//! preview of a sample client's first 40 days under the draft (POST
//! /console/protocol/preview saves nothing; the page's script asks it for the fragment
//! alone while a value is edited); the change history; and POST
//! /console/protocol/restore, back to the built-in default.
//!
//! Only owners change the protocol (the service refuses anyone else); other staff read
//! it.

mod form;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{render_status, see_other, ConsoleSession, FormErrors};
use crate::domain::ids::RuleId;
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::http::AppState;
use crate::service::authz;
use crate::service::clinics::{self, ClinicProtocol};
use crate::service::protocol_basics::{self, Basics};
use crate::service::protocol_check_in::CheckInSummary;
use crate::service::protocol_edit::{self, Preview, RuleForm};
use crate::service::{ClinicRef, Error, Services};
use crate::web::dates::{human_date, human_time};
use crate::web::pages::{self, PageError, View};
use crate::web::timeline;
use form::{rows, submitted, RuleRow, Submitted};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(protocol_page)
        .service(preview_draft)
        .service(save_protocol)
        .service(restore_default);
}

/// What the page shows besides the saved protocol.
struct PageState {
    mode: &'static str,
    /// The plain values as typed (after an error or in a preview) instead of as saved.
    basics: Option<Basics>,
    /// The rules as typed (after an error) instead of as saved.
    rules: Option<Vec<RuleRow>>,
    document: Option<String>,
    errors: FormErrors,
    /// The protocol to preview and whether it is an unsaved draft.
    preview: Result<(Protocol, bool), String>,
    notice: Option<&'static str>,
}

fn mode_of(form: &Submitted) -> &'static str {
    match form.mode.as_str() {
        "document" => "document",
        "rules" => "rules",
        _ => "basic",
    }
}

fn document_of(current: &ClinicProtocol) -> String {
    serde_json::to_string_pretty(&current.overrides).unwrap_or_else(|_| "{}".into())
}

/// The preview section (`console/protocol/preview.html.j2`, inside the page or alone):
/// a sample client's first days, or why there are none.
#[derive(Serialize)]
struct PreviewView {
    /// No days when the draft cannot be previewed.
    preview: Preview,
    preview_error: Option<String>,
    #[serde(flatten)]
    sample: Option<Sample>,
}

impl View for PreviewView {
    const TEMPLATE: &'static str = "console/protocol/preview.html.j2";
}

/// What a preview shows besides its days.
#[derive(Serialize)]
struct Sample {
    preview_svg: String,
    /// An unsaved draft, not the saved protocol.
    draft: bool,
    day_names: Vec<String>,
    session_names: Vec<String>,
    // The days that follow from others, for the page's script.
    draft_basics: Basics,
    draft_rules: Vec<RuleForm>,
}

fn preview_view(s: &Services, preview: &Result<(Protocol, bool), String>) -> PreviewView {
    let start = s.now().date_naive();
    let refused = |why: String| PreviewView {
        preview: Preview {
            sessions: Vec::new(),
            planned_sessions: 0,
            days: Vec::new(),
            photos: Vec::new(),
            check_in: CheckInSummary::default(),
        },
        preview_error: Some(why),
        sample: None,
    };
    let (protocol, draft) = match preview {
        Ok((protocol, draft)) => (protocol, *draft),
        Err(why) => return refused(why.clone()),
    };
    let preview = match protocol_edit::preview(protocol, start) {
        Ok(preview) => preview,
        Err(e) => return refused(e.to_string()),
    };
    let sample = Sample {
        preview_svg: timeline::svg(&preview.days, None, "en", "preview"),
        draft,
        day_names: preview
            .days
            .iter()
            .map(|d| human_date(d.date, start))
            .collect(),
        session_names: preview
            .sessions
            .iter()
            .map(|d| human_date(*d, start))
            .collect(),
        draft_basics: protocol_basics::basics_of(protocol),
        draft_rules: protocol_edit::form_of(protocol),
    };
    PreviewView {
        preview,
        preview_error: None,
        sample: Some(sample),
    }
}

/// One change of the history, dated in words in the clinic's zone.
#[derive(Serialize)]
struct HistoryRow {
    when: String,
    /// RFC 3339, for `<time datetime>`.
    at: String,
    actor_name: String,
    changes: Vec<String>,
}

async fn history_rows(s: &Services, clinic: &ClinicRef) -> Result<Vec<HistoryRow>, PageError> {
    let zone = clinics::settings(s, clinic).await?.timezone;
    let now = s.now();
    Ok(protocol_edit::history(s, clinic)
        .await?
        .into_iter()
        .map(|h| {
            let at = h.at.and_utc();
            HistoryRow {
                when: human_time(at, zone, now),
                at: at.to_rfc3339(),
                actor_name: h.actor_name,
                changes: h.changes,
            }
        })
        .collect())
}

async fn render_page(
    s: &Services,
    session: &ConsoleSession,
    status: StatusCode,
    state: PageState,
) -> Result<HttpResponse, PageError> {
    let current = clinics::protocol(s, &session.clinic).await?;
    let view = ProtocolView {
        mode: state.mode,
        can_edit: authz::may_edit(&session.clinic.actor),
        is_default: current.overrides == serde_json::json!({}),
        basics: state
            .basics
            .unwrap_or_else(|| protocol_basics::basics_of(&current.effective)),
        default_basics: protocol_basics::basics_of(&Protocol::default_protocol()),
        rules: state
            .rules
            .unwrap_or_else(|| rows(protocol_edit::form_of(&current.effective))),
        document: state.document.unwrap_or_else(|| document_of(&current)),
        errors: state.errors,
        history: history_rows(s, &session.clinic).await?,
        notice: state.notice,
        preview: preview_view(s, &state.preview),
    };
    Ok(render_status(status, &view, session))
}

/// The protocol page: the saved protocol (or the form as typed), its history, a preview.
#[derive(Serialize)]
struct ProtocolView {
    /// Which form is open: `basic`, `rules` or `document`.
    mode: &'static str,
    can_edit: bool,
    /// The clinic follows the built-in protocol.
    is_default: bool,
    basics: Basics,
    default_basics: Basics,
    rules: Vec<RuleRow>,
    document: String,
    errors: FormErrors,
    history: Vec<HistoryRow>,
    notice: Option<&'static str>,
    #[serde(flatten)]
    preview: PreviewView,
}

impl View for ProtocolView {
    const TEMPLATE: &'static str = "console/protocol/page.html.j2";
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// GET /console/protocol.
#[get("/protocol")]
async fn protocol_page(
    state: web::Data<AppState>,
    session: ConsoleSession,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    let current = clinics::protocol(s, &session.clinic).await?;
    let notice = match query.done.as_deref() {
        Some("saved") => Some("Protocol saved. Every client's reminders follow it from now on."),
        Some("restored") => Some(
            "The built-in default is restored. Every client's reminders follow it from now on.",
        ),
        _ => None,
    };
    let page_state = PageState {
        mode: "basic",
        basics: None,
        rules: None,
        document: None,
        errors: FormErrors::default(),
        preview: Ok((current.effective, false)),
        notice,
    };
    render_page(s, &session, StatusCode::OK, page_state).await
}

/// The draft a submitted form means, validated as a whole, or the error to show.
fn draft_of(
    current: &ClinicProtocol,
    form: &Submitted,
) -> Result<(ProtocolOverrides, Protocol), Error> {
    match mode_of(form) {
        "document" => {
            let overrides = protocol_edit::parse_document(&form.document)?;
            protocol_edit::draft(&overrides).map(|p| (overrides, p))
        }
        "rules" => {
            let overrides = protocol_edit::overrides_from_form(current, &form.entries)?;
            protocol_edit::draft(&overrides).map(|p| (overrides, p))
        }
        _ => {
            let overrides = protocol_basics::overrides_from_basics(current, &form.basics)?;
            protocol_basics::draft(&overrides).map(|p| (overrides, p))
        }
    }
}

/// The submitted form over the protocol in effect.
async fn read_form(
    s: &Services,
    clinic: &ClinicRef,
    pairs: Vec<(String, String)>,
) -> Result<(ClinicProtocol, Submitted), PageError> {
    let current = clinics::protocol(s, clinic).await?;
    let form = submitted(pairs, protocol_edit::form_of(&current.effective));
    Ok((current, form))
}

/// The fields of the form `mode`, for errors next to them.
fn fields_of(mode: &str) -> Vec<String> {
    match mode {
        "document" => vec!["document".into()],
        "rules" => RuleId::ALL
            .iter()
            .flat_map(|id| {
                let key = format!("rules.{id}");
                [
                    format!("{key}.from"),
                    format!("{key}.to"),
                    format!("{key}.text"),
                    key,
                ]
            })
            .collect(),
        _ => protocol_basics::FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect(),
    }
}

/// The page again with the draft as typed and its error next to the entry at fault.
async fn refused(
    s: &Services,
    session: &ConsoleSession,
    current: &ClinicProtocol,
    form: Submitted,
    error: Error,
) -> Result<HttpResponse, PageError> {
    let mode = mode_of(&form);
    let fields = fields_of(mode);
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let message = error.to_string();
    let mut errors = FormErrors::sort(vec![error], &fields)?;
    if mode == "document" && !errors.general.is_empty() {
        // In the document everything is the document's.
        errors
            .fields
            .insert("document".into(), errors.general.join(" "));
        errors.general.clear();
    }
    let rules = (mode == "rules").then(|| {
        // The rules as typed, over the rules in effect (same order: every rule id).
        let typed = protocol_edit::form_of(&current.effective)
            .into_iter()
            .map(
                |saved| match form.entries.iter().find(|e| e.id == saved.id) {
                    Some(e) => RuleForm {
                        from: e.from.clone(),
                        to: e.to.clone(),
                        text: e.text.clone(),
                        ..saved
                    },
                    None => saved,
                },
            )
            .collect();
        rows(typed)
    });
    let basics =
        (mode == "basic").then(|| form.basics_over(protocol_basics::basics_of(&current.effective)));
    let page_state = PageState {
        mode,
        basics,
        rules,
        document: (mode == "document").then(|| form.document.clone()),
        errors,
        preview: Err(message),
        notice: None,
    };
    render_page(s, session, StatusCode::UNPROCESSABLE_ENTITY, page_state).await
}

#[derive(Debug, Deserialize)]
pub struct PreviewQuery {
    fragment: Option<String>,
}

/// POST /console/protocol/preview: the draft's preview; saves nothing. With
/// `?fragment=1` (the page's script) only the preview section.
#[post("/protocol/preview")]
async fn preview_draft(
    state: web::Data<AppState>,
    session: ConsoleSession,
    query: web::Query<PreviewQuery>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    let (current, form) = read_form(s, &session.clinic, form.into_inner()).await?;
    let draft = draft_of(&current, &form);
    if query.fragment.is_some() {
        let (status, preview) = match draft {
            Ok((_, protocol)) => (StatusCode::OK, Ok((protocol, true))),
            Err(e @ Error::Invalid { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Err(e.to_string()))
            }
            Err(e) => return Err(e.into()),
        };
        return Ok(pages::page(status, &preview_view(s, &preview)));
    }
    match draft {
        Ok((_, protocol)) => {
            let mode = mode_of(&form);
            let page_state = PageState {
                mode,
                basics: Some(protocol_basics::basics_of(&protocol)),
                rules: (mode == "rules").then(|| rows(protocol_edit::form_of(&protocol))),
                document: (mode == "document").then(|| form.document.clone()),
                errors: FormErrors::default(),
                preview: Ok((protocol, true)),
                notice: Some("This is a preview of your draft; it is not saved yet."),
            };
            render_page(s, &session, StatusCode::OK, page_state).await
        }
        Err(e @ Error::Invalid { .. }) => refused(s, &session, &current, form, e).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /console/protocol: saves the draft (every client is re-planned). Owners only:
/// anyone else gets the service's refusal, a 403 page.
#[post("/protocol")]
async fn save_protocol(
    state: web::Data<AppState>,
    session: ConsoleSession,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    authz::require_editor(&session.clinic)?;
    let (current, form) = read_form(s, &session.clinic, form.into_inner()).await?;
    let saved = match draft_of(&current, &form) {
        Ok((overrides, _)) => protocol_edit::save(s, &session.clinic, overrides).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(see_other("/console/protocol?done=saved")),
        Err(e @ Error::Invalid { .. }) => refused(s, &session, &current, form, e).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /console/protocol/restore: back to the built-in default, no override kept.
#[post("/protocol/restore")]
async fn restore_default(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    protocol_edit::restore_default(&state.services, &session.clinic).await?;
    Ok(see_other("/console/protocol?done=restored"))
}
