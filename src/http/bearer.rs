//! The one `Authorization: Bearer <token>` parser, for clinic API keys and client
//! access tokens, in the API and the app's pages alike. The scheme is matched in any
//! letter case (RFC 9110, section 11.1: auth schemes are case-insensitive).

use actix_web::http::header;
use actix_web::HttpRequest;

/// Why a request carries no usable Bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoBearer {
    Missing,
    NotAscii,
    Malformed,
}

impl NoBearer {
    /// What a 401 says about it.
    pub fn message(self) -> &'static str {
        match self {
            NoBearer::Missing => "missing Authorization: Bearer header",
            NoBearer::NotAscii => "Authorization header is not ASCII",
            NoBearer::Malformed => "Authorization must be \"Bearer <token>\"",
        }
    }
}

/// The token of `req`'s `Authorization: Bearer <token>` header.
pub fn token(req: &HttpRequest) -> Result<String, NoBearer> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(NoBearer::Missing)?
        .to_str()
        .map_err(|_| NoBearer::NotAscii)?;
    parse(value).map(str::to_string)
}

/// The token of an `Authorization` header's value.
pub fn parse(value: &str) -> Result<&str, NoBearer> {
    let (scheme, token) = value.split_once(' ').ok_or(NoBearer::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(NoBearer::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_read_in_any_case_and_nothing_else_passes() {
        for value in ["Bearer tok", "bearer tok", "BEARER tok", "bEaReR  tok "] {
            assert_eq!(parse(value), Ok("tok"), "{value}");
        }
        for value in ["Basic tok", "Bearer", "Bearer   ", "Bearertok", "tok"] {
            assert_eq!(parse(value), Err(NoBearer::Malformed), "{value}");
        }
    }
}
