//! OpenAPI 3.1 description, generated from the handlers' annotations, served at
//! `/openapi.json`, with browsable docs at `/docs` (Scalar; the page loads its
//! script in the reader's browser, nothing is fetched at build time).

use chrono::NaiveDate;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{clients, deliveries, health, invitations, me, protocol, push, views};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "smp-aftercare",
        description = "Aftercare backend for scalp micropigmentation clinics: clinics onboard clients and record sessions; clients see what their scalp should look like today and what they may do.",
        license(name = "MIT")
    ),
    paths(
        health::healthz, health::readyz,
        clients::create, clients::list, clients::get, clients::update, clients::delete,
        clients::resend_invitation, clients::add_session, clients::update_session,
        clients::delete_session, clients::today, clients::day, clients::timeline,
        protocol::get, protocol::put,
        invitations::accept,
        me::me, me::update_preferences, me::today, me::day, me::timeline,
        push::subscribe, push::list, push::unsubscribe, push::vapid_public_key,
        deliveries::mine, deliveries::of_client, deliveries::unsubscribe,
    ),
    components(schemas(
        ProblemDoc, FieldErrorDoc, ChannelsDoc, DayViewDoc, RuleDoc, MilestoneDoc, WindowDoc,
        ClientPageDoc, AcceptedDoc, SessionCreatedDoc, views::ClientView,
    )),
    modifiers(&BearerSchemes),
    tags(
        (name = "clinic", description = "Clinic endpoints: Authorization: Bearer <clinic API key>"),
        (name = "client", description = "Client endpoints: Authorization: Bearer <client access token>"),
        (name = "service", description = "Health and public keys"),
    )
)]
pub struct ApiDoc;

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
    /// no_washing | no_heavy_sweating | no_swimming | gentle_washing_ok | avoid_sun | daily_spf | no_pools_saunas_heavy_exercise
    id: String,
    text: String,
}

#[derive(ToSchema)]
#[schema(as = Milestone)]
#[allow(dead_code)]
pub struct MilestoneDoc {
    /// gentle_washing_allowed | sun_avoidance_over | next_session_window_open | next_session_overdue | healing_complete | touch_up_due
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
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
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
    fn spec_is_openapi_3_1() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(doc["paths"]["/v1/clients"]["post"].is_object());
    }
}
