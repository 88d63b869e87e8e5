//! `JsonBody<T>`: a JSON request body whose errors name the field.
//!
//! actix's `web::Json` reports serde's message ("invalid type: string, expected u32 at
//! line 1 column 20") without saying which field; clinics' tools need the path
//! (`sessions[1]`), so the body is read as bytes (the size limit still applies: 413)
//! and deserialized with `serde_path_to_error`.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::{ApiError, FieldError};
use crate::domain::echo;

pub struct JsonBody<T> {
    pub value: T,
    /// The raw body, for idempotency fingerprints.
    pub raw: web::Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || v.ends_with("+json")
            })
            .unwrap_or(false);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as Content-Type: application/json".into(),
                )
                .into());
            }
            let raw = bytes.await.map_err(|e| {
                let message = e.to_string();
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(format!("request body too large: {message}"))
                } else {
                    ApiError::BadRequest(format!("cannot read the request body: {message}"))
                }
            })?;
            let value = parse(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// Deserializes `raw`, naming the failing field in the error.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    // Every body of this API is a JSON object; serde would also read a struct from an
    // array of its fields (`[null, null]`), which no client means.
    let first = raw.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(ApiError::BadRequest(
            "invalid JSON body: the body must be a JSON object".into(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        // A path may hold a map key and serde's message the value itself: both are
        // the sender's input, cut so a huge value is not sent back (twice).
        let path = echo::cut(&e.path().to_string());
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::BadRequest(format!("malformed JSON: {inner}"));
        }
        let message = echo::cut_quoted(&strip_position(&inner.to_string()));
        if path == "." || path.is_empty() {
            ApiError::BadRequest(format!("invalid JSON body: {message}"))
        } else {
            ApiError::Validation {
                detail: format!("{path}: {message}"),
                errors: vec![FieldError {
                    field: path,
                    message,
                }],
            }
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// A nested JSON object, and only an object: serde's derived structs also read an
/// array of their fields (`"channels": [null, null]`), which no client means. The
/// top level is checked in `parse`; a field holding a struct is declared `Object<T>`.
/// Field paths stay whole (`channels.push`): the struct reads the same map access.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OnlyMaps<T>(std::marker::PhantomData<T>);

        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for OnlyMaps<T> {
            type Value = Object<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Object<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }

        deserializer.deserialize_map(OnlyMaps(std::marker::PhantomData))
    }
}

/// serde_json appends " at line 1 column 42"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        count: u32,
        dates: Vec<chrono::NaiveDate>,
    }

    fn field_of(error: ApiError) -> String {
        match error {
            ApiError::Validation { errors, .. } => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Option<Object<Inner>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        push: Option<bool>,
    }

    #[test]
    fn nested_structs_are_objects_only() {
        let ok = parse::<Outer>(br#"{"inner": {"push": true}}"#).unwrap();
        assert_eq!(ok.inner.unwrap().0.push, Some(true));
        assert!(parse::<Outer>(br#"{"inner": null}"#)
            .unwrap()
            .inner
            .is_none());
        for refused in [
            r#"{"inner": [true]}"#,
            r#"{"inner": [null, null]}"#,
            r#"{"inner": 1}"#,
        ] {
            let e = parse::<Outer>(refused.as_bytes()).unwrap_err();
            assert_eq!(field_of(e), "inner", "{refused}");
        }
        let e = parse::<Outer>(br#"{"inner": {"push": "yes"}}"#).unwrap_err();
        assert_eq!(field_of(e), "inner.push");
        let e = parse::<Outer>(br#"{"inner": {"pull": true}}"#).unwrap_err();
        assert_eq!(field_of(e), "inner.pull");
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Body>(br#"{"count": "three", "dates": []}"#).unwrap_err();
        assert_eq!(field_of(e), "count");
        let e =
            parse::<Body>(br#"{"count": 3, "dates": ["2026-02-01", "2026-02-30"]}"#).unwrap_err();
        assert_eq!(field_of(e), "dates[1]");
    }

    #[test]
    fn malformed_json_and_unknown_fields_are_reported() {
        assert!(matches!(
            parse::<Body>(b"{\"count\": 3,"),
            Err(ApiError::BadRequest(_))
        ));
        let e = parse::<Body>(br#"{"count": 3, "dates": [], "colour": 1}"#).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }
}
