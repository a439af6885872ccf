//! Helpers every route group shares: the audit log writer, path id parsing, the tri-state
//! [`Patch`] field of PATCH bodies, text checks and a strict query string reader.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{StoreError, UserId};
use serde::{Deserialize, Deserializer};

use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::state::AppState;

/// Appends to the user's audit log. A failing audit write is logged but does not fail the
/// request: the action itself already happened. `detail` must never hold a secret.
pub(crate) async fn audit(state: &AppState, user: UserId, kind: &str, detail: &str, now: UnixTime) {
    if let Err(error) = state.store().append_audit(user, kind, detail, now).await {
        tracing::warn!(%error, kind, "could not write the audit log");
    }
}

/// "from 203.0.113.7" or "from an unknown address", for audit details.
pub(crate) fn origin_text(client: &ClientInfo) -> String {
    client.ip_text().map_or_else(
        || "from an unknown address".to_owned(),
        |ip| format!("from {ip}"),
    )
}

/// Parses a path id with the id type's constructor. Anything that is not a valid id answers
/// 404 like an id that does not exist, so that a path never tells more than "not found".
pub(crate) fn path_id<T, E>(
    raw: &str,
    what: &'static str,
    new: impl FnOnce(i64) -> Result<T, E>,
) -> Result<T, ApiError> {
    raw.parse::<i64>()
        .ok()
        .and_then(|id| new(id).ok())
        .ok_or(ApiError::NotFound { what })
}

/// A field of a PATCH body: left out (keep the current value), `null` (clear it) or a value.
///
/// serde cannot tell a missing field from `null` with `Option<T>`, so fields of this type must
/// also carry `#[serde(default)]`: a missing field then takes [`Patch::Keep`], and a present
/// one goes through this type's `Deserialize`, which never produces `Keep`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Self::Clear, Self::Set))
    }
}

impl<T> Patch<T> {
    /// For a field that cannot be cleared: `null` is refused with the field's name.
    pub(crate) fn not_null(self, field: &str) -> Result<Option<T>, ApiError> {
        match self {
            Self::Keep => Ok(None),
            Self::Clear => Err(ApiError::invalid(field, "must not be null")),
            Self::Set(value) => Ok(Some(value)),
        }
    }

    /// The new value of a field that can be cleared, given its current one.
    pub(crate) fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Clear => None,
            Self::Set(value) => Some(value),
        }
    }
}

/// Reads a string and looks it up among `names`, for enums named by strings in requests.
///
/// serde's derived enum deserializer meets a JSON number or `true` where it expects a variant
/// name with a syntax error, which the API would answer as malformed JSON (400) though the
/// document is well formed; reading a string first makes both a wrong type and an unknown
/// name a 422 for the field.
pub(crate) fn named<'de, D: Deserializer<'de>, T: Copy>(
    deserializer: D,
    names: &'static [&'static str],
    values: &[T],
) -> Result<T, D::Error> {
    let raw = String::deserialize(deserializer)?;
    names
        .iter()
        .position(|name| *name == raw)
        .map(|index| values[index])
        .ok_or_else(|| serde::de::Error::unknown_variant(&raw, names))
}

/// Checks a short name or title: at most `max` characters and no control characters (a line
/// break or an escape sequence in a title would garble the panel, the logs and bot messages).
/// Surrounding whitespace is removed first.
pub(crate) fn check_label(
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
) -> Result<String, ApiError> {
    let text = raw.trim();
    let len = text.chars().count();
    if len < min {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if len > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters, got {len}"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// A query string read strictly: every parameter must be known and appear once, and numbers
/// are checked against their range, so that `?limt=5` is a 422 naming `limt` rather than a
/// silently ignored typo.
#[derive(Debug)]
pub(crate) struct QueryParams {
    params: BTreeMap<String, String>,
}

impl QueryParams {
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut params = BTreeMap::new();
        for pair in raw
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
        {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if params.insert(name.to_owned(), value.to_owned()).is_some() {
                return Err(ApiError::invalid(name, "given more than once"));
            }
        }
        Ok(Self { params })
    }

    /// An optional integer parameter in `min..=max`.
    pub(crate) fn int(&mut self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.params.remove(name) else {
            return Ok(None);
        };
        match raw.parse::<i64>() {
            Ok(value) if (min..=max).contains(&value) => Ok(Some(value)),
            _ => Err(ApiError::invalid(
                name,
                format!("must be an integer from {min} to {max}"),
            )),
        }
    }

    /// Refuses any parameter that was not read.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        match self.params.into_keys().next() {
            Some(name) => Err(ApiError::invalid(name, "unknown query parameter")),
            None => Ok(()),
        }
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`). Weak validators compare by their opaque
/// part, as RFC 9110 prescribes for `If-None-Match`.
pub(crate) fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

/// A page's `limit` query parameter: `default` when absent, else within `1..=max`.
pub(crate) fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {max}, got {limit}"),
        ))
    }
}

/// A store error of one of the side features (`what` names it in the log): unavailable
/// storage is a 503, anything else a 500 whose details stay in the log.
pub(crate) fn side_store_error(what: &'static str) -> impl Fn(StoreError) -> ApiError {
    move |error| match error {
        StoreError::Unavailable(reason) => {
            tracing::error!(%reason, what, "storage is unavailable");
            ApiError::Unavailable
        }
        other => ApiError::internal(what, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_fields_tell_missing_from_null() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            a: Patch<i64>,
            #[serde(default)]
            b: Patch<i64>,
            #[serde(default)]
            c: Patch<i64>,
        }
        let body: Body = serde_json::from_str(r#"{"b": null, "c": 5}"#).expect("valid");
        assert_eq!(
            (body.a, body.b, body.c),
            (Patch::Keep, Patch::Clear, Patch::Set(5))
        );
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(check_label("name", "  main ", 1, 64), Ok("main".to_owned()));
        assert!(check_label("name", "   ", 1, 64).is_err());
        assert!(check_label("name", &"я".repeat(65), 1, 64).is_err());
        assert!(check_label("name", &"я".repeat(64), 1, 64).is_ok());
        assert!(check_label("name", "a\u{1b}[31m", 1, 64).is_err());
    }

    #[test]
    fn query_parameters_are_strict() {
        let mut query = QueryParams::parse(Some("limit=5&before=9")).expect("parsed");
        assert_eq!(query.int("limit", 1, 100), Ok(Some(5)));
        assert!(query.finish().is_err(), "before was not read");
        let mut query = QueryParams::parse(Some("limit=0")).expect("parsed");
        assert!(query.int("limit", 1, 100).is_err());
        assert!(QueryParams::parse(Some("a=1&a=2")).is_err());
        let mut empty = QueryParams::parse(None).expect("parsed");
        assert_eq!(empty.int("limit", 1, 100), Ok(None));
        assert!(empty.finish().is_ok());
    }
}
