//! What wraps every route: problem bodies for actix's own errors, the request id on
//! every response, JSON and path extractor errors, and 404/405 for unknown routes.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{error, web, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use tracing_actix_web::RequestId;

use super::{ApiError, PROBLEM_JSON};

pub fn bad_request(error: impl std::fmt::Display) -> actix_web::Error {
    ApiError::BadRequest(error.to_string()).into()
}

/// JSON bodies: a too-large body is 413, a wrong content type 415, anything serde
/// rejects (syntax, wrong type, unknown or missing field) 400 naming the field.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|e, _req| {
            let api_error = match &e {
                error::JsonPayloadError::OverflowKnownLength { length, limit } => {
                    ApiError::PayloadTooLarge(format!(
                        "request body is {length} bytes; the limit is {limit}"
                    ))
                }
                error::JsonPayloadError::Overflow { limit } => {
                    ApiError::PayloadTooLarge(format!("request body exceeds {limit} bytes"))
                }
                error::JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
                    "send the body as Content-Type: application/json".to_string(),
                ),
                error::JsonPayloadError::Deserialize(inner) => {
                    ApiError::BadRequest(format!("invalid JSON body: {inner}"))
                }
                other => ApiError::BadRequest(format!("invalid JSON body: {other}")),
            };
            api_error.into()
        })
}

/// The methods each route template answers, taken from the OpenAPI document that the
/// route registration produced, so "wrong method" (405 with `Allow`) and "no such
/// route" (404) are told apart without a second list of routes.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<Method>)>,
}

impl RouteTable {
    /// Every declared (method, template) pair, e.g. ("GET", "/v1/clients/{id}").
    pub fn templates(&self) -> impl Iterator<Item = (&'static str, String)> + '_ {
        self.routes.iter().flat_map(|(segments, methods)| {
            let template = segments.join("/");
            methods
                .iter()
                .map(move |m| (method_name(m), template.clone()))
        })
    }

    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_string).collect();
                let mut methods = Vec::new();
                let pairs = [
                    (&item.get, Method::GET),
                    (&item.post, Method::POST),
                    (&item.put, Method::PUT),
                    (&item.patch, Method::PATCH),
                    (&item.delete, Method::DELETE),
                ];
                for (operation, method) in pairs {
                    if operation.is_some() {
                        methods.push(method);
                    }
                }
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods allowed on `path`, if a route template matches it.
    fn allowed(&self, path: &str) -> Option<&[Method]> {
        let parts: Vec<&str> = path.split('/').collect();
        self.routes
            .iter()
            .find(|(template, _)| {
                template.len() == parts.len()
                    && template
                        .iter()
                        .zip(&parts)
                        .all(|(t, p)| segment_matches(t, p))
            })
            .map(|(_, methods)| methods.as_slice())
    }
}

/// Whether a path segment fits a template segment: literally, or around one
/// `{parameter}` that takes at least one character (`{token}.ics` fits `abc.ics`, not
/// `.ics` or `abc`).
fn segment_matches(template: &str, segment: &str) -> bool {
    let (Some(open), Some(close)) = (template.find('{'), template.rfind('}')) else {
        return template == segment;
    };
    let (prefix, suffix) = (&template[..open], &template[close + 1..]);
    segment.len() > prefix.len() + suffix.len()
        && segment.starts_with(prefix)
        && segment.ends_with(suffix)
}

/// Marks an error answer whose body is already what its reader needs (the calendar
/// feed's plain-text 404, which calendar apps show): `problem_for_bare_errors` leaves
/// it as it is.
#[derive(Debug, Clone, Copy)]
pub struct OwnErrorBody;

/// The default service: 405 with `Allow` on a known path, 404 otherwise.
pub async fn not_found(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    if let Some(methods) = table.allowed(req.path()) {
        let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        let mut response = ApiError::MethodNotAllowed(format!(
            "{} is not allowed on {}",
            req.method(),
            req.path()
        ))
        .error_response();
        if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return Ok(response);
    }
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}

/// actix answers some errors itself (payload errors) with an empty or plain-text
/// body; give those a problem body too.
pub fn problem_for_bare_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let deliberate = res.response().extensions().get::<OwnErrorBody>().is_some();
    if is_problem || deliberate {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (method, path) = (
        res.request().method().clone(),
        res.request().path().to_string(),
    );
    let detail = match status.canonical_reason() {
        Some(reason) => format!("{reason} ({method} {path})"),
        None => format!("HTTP {status}"),
    };
    let api_error = match status.as_u16() {
        404 => ApiError::NotFound(detail),
        405 => ApiError::MethodNotAllowed(format!("{method} is not allowed on {path}")),
        413 => ApiError::PayloadTooLarge(detail),
        415 => ApiError::UnsupportedMediaType(detail),
        401 => ApiError::Unauthorized(detail),
        403 => ApiError::Forbidden(detail),
        429 => ApiError::TooManyRequests(detail),
        503 => ApiError::Unavailable(detail),
        s if s >= 500 => ApiError::Internal(detail),
        _ => ApiError::BadRequest(detail),
    };
    let allow = res.headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut response = api_error.error_response();
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    let response: HttpResponse<BoxBody> = response;
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "other",
    }
}

/// Puts the request id that `TracingLogger` gave this request (and every log line of
/// it) on the response, so a client's bug report can be matched to our logs.
pub async fn echo_request_id(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> actix_web::Result<ServiceResponse<impl actix_web::body::MessageBody>> {
    let request_id = req.extensions().get::<RequestId>().copied();
    let mut res = next.call(req).await?;
    if let Some(id) = request_id {
        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
            res.headers_mut()
                .insert(HeaderName::from_static("x-request-id"), value);
        }
    }
    Ok(res)
}

/// `Cache-Control: no-store` on every JSON answer that does not say otherwise: API
/// answers carry health data and access tokens, which no browser or proxy cache may
/// keep. Pages set their own; the calendar feed and assets set theirs.
pub async fn no_store_json(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> actix_web::Result<ServiceResponse<impl actix_web::body::MessageBody>> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("application/json") || v.starts_with("application/problem+json")
        });
    if json && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// Counts and times every request by route template (`/v1/clients/{id}`), method and
/// final status. Never the raw path: tokens travel in paths (`/invite/...`,
/// `/unsubscribe/...`), and ids would make a label per client.
pub async fn record_metrics(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> actix_web::Result<ServiceResponse<impl actix_web::body::MessageBody>> {
    // A stopwatch for the latency histogram, not a reading of "now".
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_string();
    let metrics = req
        .app_data::<web::Data<super::AppState>>()
        .map(|state| state.services.metrics.clone());
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        let (route, status) = match &result {
            Ok(res) => (res.request().match_pattern(), res.status()),
            Err(e) => (None, e.as_response_error().status_code()),
        };
        let route = route.unwrap_or_else(|| "unmatched".to_string());
        metrics.http_request(&method, &route, status.as_u16(), started.elapsed());
    }
    result
}

#[cfg(test)]
mod tests {
    use super::segment_matches;

    #[test]
    fn template_segments_match_around_their_parameter() {
        assert!(segment_matches("clients", "clients"));
        assert!(!segment_matches("clients", "client"));
        assert!(segment_matches("{id}", "abc"));
        assert!(!segment_matches("{id}", ""));
        assert!(segment_matches("{token}.ics", "smpf_x.ics"));
        assert!(!segment_matches("{token}.ics", ".ics"));
        assert!(!segment_matches("{token}.ics", "smpf_x"));
        assert!(!segment_matches("{token}.ics", "smpf_x.ics.txt"));
    }
}
