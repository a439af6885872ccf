//! `ApiJson`, the JSON body extractor every route uses instead of axum's `Json`: it answers
//! with [`ApiError`]s that name the field at fault, and maps an oversized body to 413.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::ApiError;

/// A JSON request body of type `T`.
///
/// Request types should use `#[serde(deny_unknown_fields)]`, so that a misspelt optional field
/// is refused instead of silently meaning "not set".
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json_content_type(request.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest {
                        message: "could not read the request body".into(),
                    }
                }
            })?;
        parse_json(&bytes).map(Self)
    }
}

/// Whether the request says its body is JSON: `application/json`, with any parameters.
pub(crate) fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Parses a JSON document into `T`. Syntax errors are 400 (`malformed_json`); a well-formed
/// document of the wrong shape is 422 (`invalid`) with the field's path.
///
/// Every request body of this API is an object. serde would also accept a struct written as an
/// array of its fields in order (`["alice", "secret"]`); refusing that keeps one spelling per
/// request.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(shape_error)?;
    deserializer
        .end()
        .map_err(|error| ApiError::MalformedJson {
            message: format!("malformed JSON: {error}"),
        })?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid(
            "body",
            "invalid type: expected a JSON object",
        ));
    }
    Ok(value)
}

fn shape_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.classify() != Category::Data {
        let message = if inner.is_eof() && inner.line() == 1 && inner.column() == 0 {
            "malformed JSON: the body is empty".to_owned()
        } else {
            format!("malformed JSON: {inner}")
        };
        return ApiError::MalformedJson { message };
    }
    // serde_json appends " at line L column C" to data errors; the field path says more.
    let text = inner.to_string();
    let reason = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(reason, _)| reason)
        .to_owned();
    // A missing or unknown field is reported at its parent's path; name the field itself.
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| reason.strip_prefix(prefix))
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_owned());
    let parent = if path == "." { None } else { Some(path) };
    let field = match (parent, named) {
        (Some(parent), Some(name)) if !parent.ends_with(&name) => format!("{parent}.{name}"),
        (Some(parent), _) => parent,
        (None, Some(name)) => name,
        (None, None) => "body".to_owned(),
    };
    ApiError::invalid(field, reason)
}
