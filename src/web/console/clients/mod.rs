//! The console's client pages: the list, onboarding, and a client's page (sessions,
//! timeline, reminders, invitation, email, erasure). Each handler extracts the form,
//! calls one service and renders; a form that the service refuses comes back with the
//! error next to its field (422), never as a JSON body.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{render_status, see_other, ConsoleSession, FormErrors};
use crate::api::AppState;
use crate::db::clients::SessionRow;
use crate::service::clients::{self, ClientChange, NewClientInput, Onboarded};
use crate::service::roster::{self, Filter, ListQuery};
use crate::service::sessions::{self, NewSessionInput, SessionChange};
use crate::service::{clinics, days, history, invitations, validate, ClientBundle, Error};
use crate::web::pages::PageError;
use crate::web::timeline;

/// Reminders shown on a client's page.
const HISTORY_ROWS: u32 = 100;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `new` and `import` before `{id}`, which would take them.
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(super::import::import_form)
        .service(super::import::import_upload)
        .service(show)
        .service(add_session)
        .service(edit_session)
        .service(confirm_delete_session)
        .service(delete_session)
        .service(resend_invitation)
        .service(change_email)
        .service(confirm_erase)
        .service(erase);
}

/// Messages after a redirect, by a fixed code (never text from the URL).
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "onboarded" => "Client onboarded; the invitation email is on its way.",
        "session_added" => "Session recorded; the client's reminders follow the new plan.",
        "session_saved" => "Session saved; the client's reminders follow the change.",
        "session_deleted" => "Session deleted.",
        "invitation_sent" => "A new invitation is on its way; the old link no longer works.",
        "email_changed" => "Email changed. Send a new invitation if the old address never got it.",
        "erased" => "The client was erased.",
        _ => return None,
    })
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    q: Option<String>,
    filter: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

#[derive(Serialize)]
struct FilterOption {
    id: &'static str,
    label: &'static str,
    count: usize,
}

fn list_href(q: &str, filter: Filter, page: u32) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        url.append_pair("q", q);
    }
    if filter != Filter::All {
        url.append_pair("filter", filter.as_str());
    }
    url.append_pair("page", &page.to_string());
    format!("/console/clients?{}", url.finish())
}

/// GET /console/clients: search, filters, pages of 50.
#[get("/clients")]
async fn list(
    state: web::Data<AppState>,
    session: ConsoleSession,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, PageError> {
    let params = params.into_inner();
    let q = params.q.unwrap_or_default();
    let mut errors = Vec::new();
    let filter = match params.filter.as_deref().filter(|f| !f.is_empty()) {
        None => Filter::All,
        Some(f) => Filter::parse("filter", f).unwrap_or_else(|e| {
            errors.push(e);
            Filter::All
        }),
    };
    let page = match params.page.as_deref() {
        None | Some("") => 1,
        Some(p) => p.parse::<u32>().ok().filter(|p| *p > 0).unwrap_or(1),
    };
    let query = ListQuery {
        search: Some(q.clone()),
        filter,
        page,
    };
    let (listing, error) = match roster::list(&state.services, &session.clinic, query).await {
        Ok(listing) => (listing, None),
        Err(Error::Invalid { message, .. }) => {
            let all = ListQuery {
                page: 1,
                ..Default::default()
            };
            (
                roster::list(&state.services, &session.clinic, all).await?,
                Some(message),
            )
        }
        Err(e) => return Err(e.into()),
    };
    let error = error.or_else(|| errors.first().map(|e| e.to_string()));
    let filters: Vec<FilterOption> = listing
        .counts
        .iter()
        .map(|(f, count)| FilterOption {
            id: f.as_str(),
            label: f.label(),
            count: *count,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = minijinja::context! {
        q => q,
        filter => filter.as_str(),
        filters => filters,
        error => error,
        rows => listing.rows,
        page => listing.page,
        pages => listing.pages,
        matching => listing.matching,
        prev_href => (listing.page > 1).then(|| list_href(&q, filter, listing.page - 1)),
        next_href => (listing.page < listing.pages).then(|| list_href(&q, filter, listing.page + 1)),
        notice => notice(params.done.as_deref()),
    };
    Ok(render_status(
        status,
        "console/clients/list.html.j2",
        ctx,
        &session,
    ))
}

/// The onboarding form as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct OnboardForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    first_session: String,
    #[serde(default)]
    planned_sessions: String,
}

const ONBOARD_FIELDS: &[&str] = &[
    "name",
    "email",
    "timezone",
    "first_session",
    "planned_sessions",
];

fn onboard_page(
    status: StatusCode,
    form: &OnboardForm,
    errors: &FormErrors,
    session: &ConsoleSession,
) -> HttpResponse {
    let ctx = minijinja::context! {
        form => form,
        errors => errors,
        timezones => chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect::<Vec<_>>(),
    };
    render_status(status, "console/clients/new.html.j2", ctx, session)
}

/// GET /console/clients/new: the onboarding form, time zone and planned sessions
/// filled with the clinic's defaults.
#[get("/clients/new")]
async fn new_form(
    state: web::Data<AppState>,
    session: ConsoleSession,
) -> Result<HttpResponse, PageError> {
    let settings = clinics::settings(&state.services, &session.clinic).await?;
    let protocol = clinics::protocol(&state.services, &session.clinic).await?;
    let form = OnboardForm {
        timezone: settings.timezone.name().to_string(),
        planned_sessions: protocol.effective.planned_sessions().to_string(),
        ..Default::default()
    };
    Ok(onboard_page(
        StatusCode::OK,
        &form,
        &FormErrors::default(),
        &session,
    ))
}

/// Every field's own problem at once (the service stops at the first).
fn check_onboard(form: &OnboardForm) -> (Vec<Error>, Option<NaiveDate>, Option<u32>) {
    let mut errors = Vec::new();
    if let Err(e) = validate::name("name", &form.name) {
        errors.push(e);
    }
    if let Err(e) = validate::email("email", &form.email) {
        errors.push(e);
    }
    if let Err(e) = validate::timezone("timezone", form.timezone.trim()) {
        errors.push(e);
    }
    let first = match form.first_session.trim() {
        "" => None,
        value => validate::date("first_session", value)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let planned = form
        .planned_sessions
        .trim()
        .parse::<u32>()
        .map_err(|_| Error::invalid("planned_sessions", "must be a number between 1 and 10"))
        .and_then(|p| validate::planned_sessions("planned_sessions", p))
        .map_err(|e| errors.push(e))
        .ok();
    (errors, first, planned)
}

/// The service names the list of sessions; the form has one date field.
fn onboard_field(e: Error) -> Error {
    match e {
        Error::Invalid { field, message } if field.starts_with("sessions") => {
            Error::invalid("first_session", message)
        }
        other => other,
    }
}

/// POST /console/clients: onboards the client and sends the invitation.
#[post("/clients")]
async fn create(
    state: web::Data<AppState>,
    session: ConsoleSession,
    form: web::Form<OnboardForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let (errors, first, planned) = check_onboard(&form);
    let errors = if errors.is_empty() {
        let input = NewClientInput {
            email: form.email.clone(),
            name: form.name.clone(),
            timezone: Some(form.timezone.trim().to_string()),
            locale: None,
            planned_sessions: planned,
            sessions: first.into_iter().collect(),
        };
        let outcome = clients::onboard(&state.services, &session.clinic, input, None, |_| {
            Ok(String::new())
        })
        .await;
        match outcome {
            Ok(Onboarded::Created { id, .. }) => {
                return Ok(see_other(&format!("/console/clients/{id}?done=onboarded")))
            }
            Ok(Onboarded::Replayed(_)) => {
                return Err(Error::internal("a replay without an idempotency key").into())
            }
            // "Already a client with this email" belongs next to the email field.
            Err(Error::Conflict(message)) => vec![Error::invalid("email", message)],
            Err(e) => vec![onboard_field(e)],
        }
    } else {
        errors
    };
    let sorted = FormErrors::sort(errors, ONBOARD_FIELDS)?;
    Ok(onboard_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form,
        &sorted,
        &session,
    ))
}

/// A session as the client's page shows it.
#[derive(Serialize)]
struct SessionView {
    id: String,
    date: NaiveDate,
    notes: Option<String>,
    marked_final: bool,
    /// Final in the plan: marked, or the last once the planned count is reached.
    is_final: bool,
}

#[derive(Serialize, Default)]
struct AddForm {
    date: String,
    notes: String,
    marked_final: bool,
}

/// Which form on the client's page came back with errors.
struct Returned {
    form: String,
    errors: FormErrors,
    add: AddForm,
    email: Option<String>,
}

async fn client_page(
    state: &AppState,
    session: &ConsoleSession,
    client_id: String,
    status: StatusCode,
    returned: Option<Returned>,
    done: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    let bundle = clients::get(s, &session.clinic, client_id.clone()).await?;
    let whose = history::Whose::OfClinic(session.clinic.clone(), client_id);
    let newest = history::HistoryQuery {
        limit: Some(HISTORY_ROWS),
        ..Default::default()
    };
    let deliveries = history::page(s, whose, newest).await?.items;
    let now = s.now();
    let today = bundle.today(now);
    let day = bundle.day(today).map_err(Error::from)?;
    let timeline = days::timeline_of(&bundle, None, None, now)?;
    let svg = timeline::svg(&timeline.days, Some(today), &bundle.client.locale, "client");
    let sessions = session_views(&bundle)?;
    let client = &bundle.client;
    let returned = returned.unwrap_or(Returned {
        form: String::new(),
        errors: FormErrors::default(),
        add: AddForm::default(),
        email: None,
    });
    let ctx = minijinja::context! {
        client => minijinja::context! {
            id => client.id,
            name => client.name,
            email => client.email,
            timezone => client.timezone.name(),
            invitation_status => client.invitation_status.as_str(),
            invitation_error => client.invitation_error,
        },
        today => day,
        timeline => minijinja::context! { from => timeline.from, to => timeline.to },
        timeline_svg => svg,
        sessions => sessions,
        deliveries => deliveries.iter().map(|d| minijinja::context! {
            local_date => d.local_date,
            title => d.title,
            channel => d.channel.as_str(),
            status => d.status.as_str(),
            attempts => d.attempts,
            sent_at => d.sent_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
            last_error => d.last_error,
        }).collect::<Vec<_>>(),
        form => returned.form,
        errors => returned.errors,
        add => returned.add,
        email_value => returned.email.unwrap_or_else(|| client.email.clone()),
        notice => notice(done),
    };
    Ok(render_status(
        status,
        "console/clients/show.html.j2",
        ctx,
        session,
    ))
}

fn session_views(bundle: &ClientBundle) -> Result<Vec<SessionView>, Error> {
    let final_id = bundle.plan()?.final_session().map(|f| f.date);
    Ok(bundle
        .sessions
        .iter()
        .map(|s: &SessionRow| SessionView {
            id: s.id.clone(),
            date: s.date,
            notes: s.notes.clone(),
            marked_final: s.marked_final,
            is_final: final_id == Some(s.date),
        })
        .collect())
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// GET /console/clients/{id}: the client's page. Another clinic's client is a 404.
#[get("/clients/{id}")]
async fn show(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    client_page(
        &state,
        &session,
        path.into_inner(),
        StatusCode::OK,
        None,
        query.done.as_deref(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    notes: String,
    marked_final: Option<String>,
}

const SESSION_FIELDS: &[&str] = &["date", "notes"];

fn notes_of(form: &SessionForm) -> Option<String> {
    Some(form.notes.trim().to_string()).filter(|n| !n.is_empty())
}

/// A session form the service refused: the client's page again, the error next to
/// that form's field.
async fn session_refused(
    state: &AppState,
    session: &ConsoleSession,
    client_id: String,
    form_id: &str,
    form: &SessionForm,
    error: Error,
) -> Result<HttpResponse, PageError> {
    let error = match error {
        Error::Conflict(message) => Error::invalid("date", message),
        Error::Invalid { field, message } if field == "number" || field == "sessions" => {
            Error::invalid("date", message)
        }
        other => other,
    };
    let errors = FormErrors::sort(vec![error], SESSION_FIELDS)?;
    let returned = Returned {
        form: form_id.to_string(),
        errors,
        add: AddForm {
            date: form.date.clone(),
            notes: form.notes.clone(),
            marked_final: form.marked_final.is_some(),
        },
        email: None,
    };
    client_page(
        state,
        session,
        client_id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(returned),
        None,
    )
    .await
}

/// POST /console/clients/{id}/sessions: records a session.
#[post("/clients/{id}/sessions")]
async fn add_session(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<SessionForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let form = form.into_inner();
    let result = match validate::date("date", form.date.trim()) {
        Ok(date) => {
            let input = NewSessionInput {
                date,
                number: None,
                is_final: Some(form.marked_final.is_some()),
                notes: notes_of(&form),
            };
            sessions::add(&state.services, &session.clinic, client_id.clone(), input)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/console/clients/{client_id}?done=session_added#sessions-title"
        ))),
        Err(e @ (Error::NotFound(_) | Error::Unavailable(_) | Error::Internal(_))) => Err(e.into()),
        Err(e) => session_refused(&state, &session, client_id, "add", &form, e).await,
    }
}

/// POST /console/clients/{id}/sessions/{session_id}: changes the date, the notes or
/// whether it is the final session.
#[post("/clients/{id}/sessions/{session_id}")]
async fn edit_session(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<(String, String)>,
    form: web::Form<SessionForm>,
) -> Result<HttpResponse, PageError> {
    let (client_id, session_id) = path.into_inner();
    let form = form.into_inner();
    let result = match validate::date("date", form.date.trim()) {
        Ok(date) => {
            let change = SessionChange {
                date: Some(date),
                is_final: Some(form.marked_final.is_some()),
                notes: Some(notes_of(&form)),
            };
            let (s, clinic) = (&state.services, &session.clinic);
            sessions::edit(s, clinic, client_id.clone(), session_id.clone(), change)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/console/clients/{client_id}?done=session_saved#session-{session_id}"
        ))),
        Err(e @ (Error::NotFound(_) | Error::Unavailable(_) | Error::Internal(_))) => Err(e.into()),
        Err(e) => session_refused(&state, &session, client_id, &session_id, &form, e).await,
    }
}

fn confirm_page(
    session: &ConsoleSession,
    bundle: &ClientBundle,
    page: ConfirmPage<'_>,
) -> HttpResponse {
    let ctx = minijinja::context! {
        client => minijinja::context! { id => bundle.client.id, name => bundle.client.name },
        title => page.title,
        message => page.message,
        button => page.button,
        action => page.action,
        typed => page.typed,
        error => page.error,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(status, "console/clients/confirm.html.j2", ctx, session)
}

struct ConfirmPage<'a> {
    title: &'a str,
    message: String,
    button: &'a str,
    action: String,
    typed: bool,
    error: Option<&'a str>,
}

/// GET /console/clients/{id}/sessions/{session_id}/delete: asks first.
#[get("/clients/{id}/sessions/{session_id}/delete")]
async fn confirm_delete_session(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (client_id, session_id) = path.into_inner();
    let bundle = clients::get(&state.services, &session.clinic, client_id.clone()).await?;
    let number = bundle
        .sessions
        .iter()
        .position(|s| s.id == session_id)
        .ok_or_else(|| Error::NotFound(format!("no session {session_id}")))?;
    let date = bundle.sessions[number].date;
    let page = ConfirmPage {
        title: "Delete this session?",
        message: format!(
            "Session {} on {date} of {} will be deleted, and their reminders will follow \
             the plan without it.",
            number + 1,
            bundle.client.name
        ),
        button: "Delete the session",
        action: format!("/console/clients/{client_id}/sessions/{session_id}/delete"),
        typed: false,
        error: None,
    };
    Ok(confirm_page(&session, &bundle, page))
}

/// POST /console/clients/{id}/sessions/{session_id}/delete.
#[post("/clients/{id}/sessions/{session_id}/delete")]
async fn delete_session(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (client_id, session_id) = path.into_inner();
    sessions::delete(
        &state.services,
        &session.clinic,
        client_id.clone(),
        session_id,
    )
    .await?;
    Ok(see_other(&format!(
        "/console/clients/{client_id}?done=session_deleted#sessions-title"
    )))
}

/// POST /console/clients/{id}/invitation: a new link; the old one stops working.
#[post("/clients/{id}/invitation")]
async fn resend_invitation(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    invitations::resend(&state.services, &session.clinic, client_id.clone()).await?;
    Ok(see_other(&format!(
        "/console/clients/{client_id}?done=invitation_sent"
    )))
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// POST /console/clients/{id}/email: changes the client's email address.
#[post("/clients/{id}/email")]
async fn change_email(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let change = ClientChange {
        email: Some(form.email.clone()),
        ..Default::default()
    };
    match clients::update(&state.services, &session.clinic, client_id.clone(), change).await {
        Ok(_) => Ok(see_other(&format!(
            "/console/clients/{client_id}?done=email_changed"
        ))),
        Err(e @ (Error::Invalid { .. } | Error::Conflict(_))) => {
            let e = match e {
                Error::Conflict(message) => Error::invalid("email", message),
                other => other,
            };
            let returned = Returned {
                form: "email".into(),
                errors: FormErrors::sort(vec![e], &["email"])?,
                add: AddForm::default(),
                email: Some(form.email.clone()),
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            client_page(&state, &session, client_id, status, Some(returned), None).await
        }
        Err(e) => Err(e.into()),
    }
}

fn erase_page<'a>(client_id: &str, name: &str, error: Option<&'a str>) -> ConfirmPage<'a> {
    ConfirmPage {
        title: "Erase this client?",
        message: format!(
            "Everything about {name} is deleted for good: their details, sessions, devices, \
             reminders and their link to the app. Their audit entries keep no personal data."
        ),
        button: "Erase the client",
        action: format!("/console/clients/{client_id}/erase"),
        typed: true,
        error,
    }
}

/// GET /console/clients/{id}/erase: asks for the client's name first.
#[get("/clients/{id}/erase")]
async fn confirm_erase(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let bundle = clients::get(&state.services, &session.clinic, client_id.clone()).await?;
    let page = erase_page(&client_id, &bundle.client.name, None);
    Ok(confirm_page(&session, &bundle, page))
}

#[derive(Debug, Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    confirm: String,
}

/// POST /console/clients/{id}/erase: erases the client once their name is typed.
#[post("/clients/{id}/erase")]
async fn erase(
    state: web::Data<AppState>,
    session: ConsoleSession,
    path: web::Path<String>,
    form: web::Form<EraseForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = path.into_inner();
    let s = &state.services;
    let bundle = clients::get(s, &session.clinic, client_id.clone()).await?;
    let typed = form.confirm.trim();
    if !typed.eq_ignore_ascii_case(bundle.client.name.trim()) {
        let error = "Type the client's name exactly as shown to erase them.";
        let page = erase_page(&client_id, &bundle.client.name, Some(error));
        return Ok(confirm_page(&session, &bundle, page));
    }
    clients::erase(s, &session.clinic, client_id).await?;
    Ok(see_other("/console/clients?done=erased"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_come_from_codes_only() {
        assert!(notice(Some("onboarded")).is_some());
        assert!(notice(Some("<script>")).is_none());
        assert!(notice(None).is_none());
    }

    #[test]
    fn list_links_keep_the_search_and_filter() {
        assert_eq!(
            list_href("ana b", Filter::Healing, 2),
            "/console/clients?q=ana+b&filter=healing&page=2"
        );
    }
}
