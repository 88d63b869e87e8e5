//! The OpenAPI 3.1 document, collected from the route registration itself
//! (`utoipa-actix-web`), served at `/openapi.json`, with browsable docs at `/docs`.
//!
//! Handlers list their success answers and the problems particular to them; the
//! problems every operation of a kind can answer (401 with a credential, 400/413/415
//! with a JSON body, 404 with a path parameter, 422, 503) are added here, once.

use chrono::NaiveDate;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_actix_web::AppExt;

use super::views;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "smp-aftercare",
        description = "Aftercare backend for scalp micropigmentation clinics: clinics onboard clients and \
            record sessions; clients see what their scalp should look like today and what they may do.",
        license(name = "MIT")
    ),
    components(schemas(
        ProblemDoc, FieldErrorDoc, ChannelsDoc, DayViewDoc, RuleDoc, MilestoneDoc, WindowDoc,
        ClientPageDoc, AcceptedDoc, SessionCreatedDoc, views::ClientView,
    )),
    modifiers(&BearerSchemes),
    tags(
        (name = "clinic", description = "Clinic endpoints: `Authorization: Bearer smpk_...` (the clinic's API key)"),
        (name = "client", description = "Client endpoints: `Authorization: Bearer smpc_...` (an access token)"),
        (name = "service", description = "Health and public keys"),
    )
)]
pub struct ApiDoc;

/// The whole document: the declared parts above, every registered route, and the
/// common problem answers.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(super::routes)
        .split_for_parts();
    CommonProblems.modify(&mut doc);
    doc
}

struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("clinic_key", "clinic API key (smpk_...)"),
            ("client_token", "client access token (smpc_...)"),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(what))
                        .build(),
                ),
            );
        }
    }
}

/// Adds the problem answers an operation can give by its shape.
struct CommonProblems;

fn problem(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(super::PROBLEM_JSON, content)
            .build(),
    )
}

fn add(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| problem(description));
}

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_query = operation.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
                });
                if secured {
                    add(operation, "401", "Missing or invalid credentials");
                }
                if operation.request_body.is_some() {
                    add(operation, "400", "Malformed request");
                    add(operation, "413", "Body too large");
                    add(
                        operation,
                        "415",
                        "The body is not Content-Type: application/json",
                    );
                    add(
                        operation,
                        "422",
                        "A value is not valid; the problem names the field",
                    );
                }
                if has_query {
                    add(operation, "400", "Unknown or malformed query parameter");
                    add(
                        operation,
                        "422",
                        "A value is not valid; the problem names the field",
                    );
                }
                if has_path_params {
                    add(operation, "404", "No such resource (or another clinic's)");
                }
                if path != "/healthz" {
                    add(operation, "503", "The database is unavailable; retry later");
                }
            }
        }
    }
}

/// An RFC 9457 problem (`application/problem+json`).
#[derive(ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
pub struct ProblemDoc {
    /// Stable per kind, e.g. `/problems/validation-error`.
    #[schema(rename = "type")]
    problem_type: String,
    title: String,
    status: u16,
    detail: String,
    errors: Option<Vec<FieldErrorDoc>>,
}

#[derive(ToSchema)]
#[schema(as = FieldError)]
#[allow(dead_code)]
pub struct FieldErrorDoc {
    /// Path of the field, e.g. `sessions[1]` or `keys.p256dh`.
    field: String,
    message: String,
}

#[derive(ToSchema)]
#[schema(as = Channels)]
#[allow(dead_code)]
pub struct ChannelsDoc {
    push: bool,
    email: bool,
}

/// One local date of a client's healing timeline (identifiers as in domain.md).
#[derive(ToSchema)]
#[schema(as = Day)]
#[allow(dead_code)]
pub struct DayViewDoc {
    date: NaiveDate,
    session_number: Option<u32>,
    session_date: Option<NaiveDate>,
    day: Option<i64>,
    is_final_session: bool,
    total_sessions: u32,
    /// pre_treatment | session_day | fresh | settling | settled | healing | healed
    stage: String,
    stage_title: String,
    expect: String,
    rules: Vec<RuleDoc>,
    milestones: Vec<MilestoneDoc>,
    next_session_window: Option<WindowDoc>,
    next_session_on: Option<NaiveDate>,
    days_until_first_session: Option<i64>,
    healing_complete_on: Option<NaiveDate>,
    touch_up_due_on: Option<NaiveDate>,
    tomorrow: Vec<String>,
}

#[derive(ToSchema)]
#[schema(as = Rule)]
#[allow(dead_code)]
pub struct RuleDoc {
    /// no_washing | no_heavy_sweating | no_swimming | gentle_washing_ok | avoid_sun | daily_spf |
    /// no_pools_saunas_heavy_exercise
    id: String,
    text: String,
    /// True for a rule kept by not doing something (a "don't"), false for a "do".
    avoid: bool,
}

#[derive(ToSchema)]
#[schema(as = Milestone)]
#[allow(dead_code)]
pub struct MilestoneDoc {
    /// gentle_washing_allowed | sun_avoidance_over | next_session_window_open | next_session_overdue |
    /// healing_complete | touch_up_due
    id: String,
    title: String,
    text: String,
}

#[derive(ToSchema)]
#[schema(as = SessionWindow)]
#[allow(dead_code)]
pub struct WindowDoc {
    from: NaiveDate,
    to: NaiveDate,
    overdue: bool,
}

#[derive(ToSchema)]
#[schema(as = ClientPage)]
#[allow(dead_code)]
pub struct ClientPageDoc {
    items: Vec<views::ClientView>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = InvitationAccepted)]
#[allow(dead_code)]
pub struct AcceptedDoc {
    /// Shown once; send as Authorization: Bearer.
    access_token: String,
    token_type: String,
    client: views::ClientView,
}

#[derive(ToSchema)]
#[schema(as = SessionCreated)]
#[allow(dead_code)]
pub struct SessionCreatedDoc {
    session: views::SessionView,
    client: views::ClientView,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented day schema lists exactly the fields the domain serializes.
    #[test]
    fn day_schema_matches_the_domain() {
        use crate::domain::timeline::{day, Plan, Session};
        let plan = Plan::new(
            3,
            vec![Session::on(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())],
        )
        .unwrap();
        let view = day(
            &plan,
            &crate::domain::Protocol::default_protocol(),
            NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            "en",
        );
        let json = serde_json::to_value(view).unwrap();
        let mut actual: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
        actual.sort();
        let doc = serde_json::to_value(document()).unwrap();
        let mut documented: Vec<String> = doc["components"]["schemas"]["Day"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        documented.sort();
        assert_eq!(actual, documented);
    }

    #[test]
    fn spec_is_openapi_3_1_with_every_route_collected() {
        let doc = serde_json::to_value(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let create = &doc["paths"]["/v1/clients"]["post"];
        assert!(create.is_object());
        for status in ["201", "401", "415", "422"] {
            assert!(create["responses"][status].is_object(), "{status}");
        }
        assert!(doc["paths"]["/v1/me/today"]["get"]["responses"]["401"].is_object());
        assert!(doc["paths"]["/healthz"]["get"].is_object());
    }
}
