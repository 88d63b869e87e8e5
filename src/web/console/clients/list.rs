//! The clients list: search, filters, pages of 50.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::super::{render_status, ConsoleSession};
use super::notice;
use crate::http::AppState;
use crate::service::roster::{self, ClientRow, Count, Filter, ListQuery};
use crate::service::Error;
use crate::web::pages::{PageError, View};

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
    count: Count,
}

/// The list page: the search as typed, the filters with their counts, one page of rows.
#[derive(Serialize)]
struct ListView {
    q: String,
    filter: &'static str,
    filters: Vec<FilterOption>,
    error: Option<String>,
    rows: Vec<ClientRow>,
    page: u32,
    pages: u32,
    matching: Count,
    prev_href: Option<String>,
    next_href: Option<String>,
    notice: Option<&'static str>,
}

impl View for ListView {
    const TEMPLATE: &'static str = "console/clients/list.html.j2";
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
pub async fn list(
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
    let view = ListView {
        prev_href: (listing.page > 1).then(|| list_href(&q, filter, listing.page - 1)),
        next_href: (listing.page < listing.pages).then(|| list_href(&q, filter, listing.page + 1)),
        q,
        filter: filter.as_str(),
        filters,
        error,
        rows: listing.rows,
        page: listing.page,
        pages: listing.pages,
        matching: listing.matching,
        notice: notice(params.done.as_deref()),
    };
    Ok(render_status(status, &view, &session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_the_search_and_filter() {
        assert_eq!(
            list_href("ana b", Filter::Healing, 2),
            "/console/clients?q=ana+b&filter=healing&page=2"
        );
    }
}
