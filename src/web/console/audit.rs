//! The owner's audit log: who did what, when, newest first, 50 to a page.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{render, OwnerSession};
use crate::domain::Zone;
use crate::http::AppState;
use crate::service::{audit, clinics};
use crate::web::dates::human_time;
use crate::web::pages::{PageError, View};

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// 1-based; anything else is page 1.
    page: Option<String>,
}

#[derive(Debug, Serialize)]
struct EntryRow {
    when: String,
    /// RFC 3339, for `<time datetime>`.
    at: String,
    actor: String,
    actor_kind: String,
    action: String,
    action_label: String,
    subject: String,
    detail: String,
}

/// GET /console/audit
#[get("/audit")]
async fn log(
    state: web::Data<AppState>,
    OwnerSession(session): OwnerSession,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let s = &state.services;
    let number = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|n| (1..=100_000).contains(n))
        .unwrap_or(1);
    let zone = clinics::settings(s, &session.clinic).await?.timezone;
    let page = audit::page(s, &session.clinic, number).await?;
    let now = s.now();
    let entries: Vec<EntryRow> = page
        .entries
        .into_iter()
        .map(|e| EntryRow {
            when: human_time(e.at, zone, now),
            at: e.at.to_rfc3339(),
            actor: e.actor,
            actor_kind: e.actor_kind,
            action: e.action,
            action_label: e.action_label,
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    let view = AuditView {
        entries,
        page: page.number,
        newer: (page.number > 1).then(|| page.number - 1),
        older: page.has_more.then(|| page.number + 1),
        zone,
    };
    Ok(render(&view, &session))
}

/// One page of the log, with the numbers of the pages around it.
#[derive(Serialize)]
struct AuditView {
    entries: Vec<EntryRow>,
    page: u32,
    newer: Option<u32>,
    older: Option<u32>,
    zone: Zone,
}

impl View for AuditView {
    const TEMPLATE: &'static str = "console/audit.html.j2";
}
