//! GET/POST /console/protocol: the clinic's protocol as a form (each rule's days and
//! text) or as the override document, a preview of a sample client's first 40 days
//! under the draft (POST /console/protocol/preview saves nothing; the page's script
//! asks it for the fragment alone while a rule is edited), and the change history.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{render_status, see_other, ConsoleSession, FormErrors};
use crate::api::AppState;
use crate::domain::ids::{RuleId, Scope};
use crate::domain::protocol::{Protocol, ProtocolOverrides};
use crate::service::clinics::{self, ClinicProtocol};
use crate::service::protocol_edit::{self, RuleEntry, RuleForm};
use crate::service::{ClinicRef, Error, Services};
use crate::web::pages::{self, PageError};
use crate::web::timeline;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(protocol_page)
        .service(preview_draft)
        .service(save_protocol);
}

/// A rule of the form with its label.
#[derive(Serialize)]
struct RuleRow {
    id: RuleId,
    label: String,
    scope_label: &'static str,
    from: String,
    to: String,
    text: String,
}

fn label_of(id: RuleId) -> String {
    let words = id.as_str().replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn rows(form: Vec<RuleForm>) -> Vec<RuleRow> {
    form.into_iter()
        .map(|r| RuleRow {
            label: label_of(r.id),
            scope_label: match r.scope {
                Scope::EverySession => "after every session",
                Scope::NonFinalSession => "between sessions",
                Scope::FinalSession => "after the final session",
            },
            id: r.id,
            from: r.from,
            to: r.to,
            text: r.text,
        })
        .collect()
}

/// The form as sent: `rules.{id}.from|to|text`, and which form (`mode`).
#[derive(Debug, Default)]
struct Submitted {
    mode: String,
    document: String,
    entries: Vec<RuleEntry>,
}

/// The form as sent, over `current` (the rules in effect): a field the form did not
/// send is unchanged.
fn submitted(pairs: Vec<(String, String)>, current: Vec<RuleForm>) -> Submitted {
    let mut out = Submitted {
        entries: current.into_iter().map(RuleEntry::from).collect(),
        ..Default::default()
    };
    for (key, value) in pairs {
        match key.as_str() {
            "mode" => out.mode = value,
            "document" => out.document = value,
            _ => {
                let Some((rule, part)) = key
                    .strip_prefix("rules.")
                    .and_then(|rest| rest.rsplit_once('.'))
                else {
                    continue;
                };
                let Ok(id) = rule.parse::<RuleId>() else {
                    continue;
                };
                let entry = out.entries.iter_mut().find(|e| e.id == id);
                if let Some(entry) = entry {
                    match part {
                        "from" => entry.from = value,
                        "to" => entry.to = value,
                        "text" => entry.text = value,
                        _ => {}
                    }
                }
            }
        }
    }
    out
}

/// What the page shows besides the saved protocol.
struct PageState {
    mode: &'static str,
    /// The rules as typed (after an error) instead of as saved.
    rules: Option<Vec<RuleRow>>,
    document: Option<String>,
    errors: FormErrors,
    /// The protocol to preview and whether it is an unsaved draft.
    preview: Result<(Protocol, bool), String>,
    notice: Option<&'static str>,
}

fn document_of(current: &ClinicProtocol) -> String {
    serde_json::to_string_pretty(&current.overrides).unwrap_or_else(|_| "{}".into())
}

fn preview_ctx(s: &Services, preview: &Result<(Protocol, bool), String>) -> minijinja::Value {
    let start = s.now().date_naive();
    match preview {
        Ok((protocol, draft)) => match protocol_edit::preview(protocol, start) {
            Ok(preview) => {
                let svg = timeline::svg(&preview.days, None, "en", "preview");
                minijinja::context! {
                    preview => preview, preview_svg => svg, draft => draft, preview_error => None::<String>,
                }
            }
            Err(e) => minijinja::context! { preview_error => e.to_string() },
        },
        Err(why) => minijinja::context! {
            preview_error => why,
            preview => minijinja::context! { days => Vec::<()>::new() },
        },
    }
}

async fn render_page(
    s: &Services,
    session: &ConsoleSession,
    status: StatusCode,
    state: PageState,
) -> Result<HttpResponse, PageError> {
    let current = clinics::protocol(s, &session.clinic).await?;
    let history = protocol_edit::history(s, &session.clinic).await?;
    let ctx = minijinja::context! {
        mode => state.mode,
        rules => state.rules.unwrap_or_else(|| rows(protocol_edit::form_of(&current.effective))),
        document => state.document.unwrap_or_else(|| document_of(&current)),
        errors => state.errors,
        history => history,
        notice => state.notice,
        ..preview_ctx(s, &state.preview)
    };
    Ok(render_status(
        status,
        "console/protocol/page.html.j2",
        ctx,
        session,
    ))
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
    let notice = (query.done.as_deref() == Some("saved"))
        .then_some("Protocol saved. Every client's reminders follow it from now on.");
    let page_state = PageState {
        mode: "rules",
        rules: None,
        document: None,
        errors: FormErrors::default(),
        preview: Ok((current.effective, false)),
        notice,
    };
    render_page(s, &session, StatusCode::OK, page_state).await
}

/// The draft a submitted form means, or the error to show.
fn draft_of(current: &ClinicProtocol, form: &Submitted) -> Result<ProtocolOverrides, Error> {
    if form.mode == "document" {
        protocol_edit::parse_document(&form.document)
    } else {
        protocol_edit::overrides_from_form(current, &form.entries)
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

/// The page again with the draft as typed and its error next to the entry at fault.
async fn refused(
    s: &Services,
    session: &ConsoleSession,
    form: Submitted,
    error: Error,
) -> Result<HttpResponse, PageError> {
    let document_mode = form.mode == "document";
    let fields: Vec<String> = if document_mode {
        vec!["document".into()]
    } else {
        RuleId::ALL
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
            .collect()
    };
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let message = error.to_string();
    let mut errors = FormErrors::sort(vec![error], &fields)?;
    if document_mode && !errors.general.is_empty() {
        // In the document everything is the document's.
        errors
            .fields
            .insert("document".into(), errors.general.join(" "));
        errors.general.clear();
    }
    let rules = (!document_mode).then(|| {
        let current = form
            .entries
            .iter()
            .map(|e| RuleForm {
                id: e.id,
                scope: Protocol::default_protocol().rule(e.id).scope,
                from: e.from.clone(),
                to: e.to.clone(),
                text: e.text.clone(),
            })
            .collect();
        rows(current)
    });
    let page_state = PageState {
        mode: if document_mode { "document" } else { "rules" },
        rules,
        document: document_mode.then(|| form.document.clone()),
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
    let draft = draft_of(&current, &form).and_then(|o| protocol_edit::draft(&o));
    if query.fragment.is_some() {
        let (status, preview) = match draft {
            Ok(protocol) => (StatusCode::OK, Ok((protocol, true))),
            Err(e @ Error::Invalid { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Err(e.to_string()))
            }
            Err(e) => return Err(e.into()),
        };
        return Ok(pages::page(
            status,
            "console/protocol/preview.html.j2",
            preview_ctx(s, &preview),
        ));
    }
    match draft {
        Ok(protocol) => {
            let document_mode = form.mode == "document";
            let rules = (!document_mode).then(|| rows(protocol_edit::form_of(&protocol)));
            let page_state = PageState {
                mode: if document_mode { "document" } else { "rules" },
                rules,
                document: document_mode.then(|| form.document.clone()),
                errors: FormErrors::default(),
                preview: Ok((protocol, true)),
                notice: Some("This is a preview of your draft; it is not saved yet."),
            };
            render_page(s, &session, StatusCode::OK, page_state).await
        }
        Err(e @ Error::Invalid { .. }) => refused(s, &session, form, e).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /console/protocol: saves the draft (every client is re-planned).
#[post("/protocol")]
async fn save_protocol(
    state: web::Data<AppState>,
    session: ConsoleSession,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    let (current, form) = read_form(s, &session.clinic, form.into_inner()).await?;
    let saved = match draft_of(&current, &form) {
        Ok(overrides) => protocol_edit::save(s, &session.clinic, overrides).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(see_other("/console/protocol?done=saved")),
        Err(e @ Error::Invalid { .. }) => refused(s, &session, form, e).await,
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_words() {
        assert_eq!(label_of(RuleId::GentleWashingOk), "Gentle washing ok");
    }

    #[test]
    fn the_submitted_form_fills_each_rule() {
        let current = protocol_edit::form_of(&Protocol::default_protocol());
        let form = submitted(
            vec![
                ("mode".into(), "rules".into()),
                ("rules.avoid_sun.to".into(), "12".into()),
                ("rules.nope.to".into(), "1".into()),
            ],
            current,
        );
        let sun = form
            .entries
            .iter()
            .find(|e| e.id == RuleId::AvoidSun)
            .unwrap();
        assert_eq!(
            (sun.from.as_str(), sun.to.as_str()),
            ("0", "12"),
            "from as in effect"
        );
        assert_eq!(form.entries.len(), RuleId::ALL.len());
    }
}
