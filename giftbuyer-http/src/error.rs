//! `ApiError`, the one error type of every handler, and the JSON shape every error takes:
//! `{"error": {"code": "...", "message": "...", "fields": {...}?, "retry_after_secs": n?}}`.
//!
//! Client mistakes map to 4xx with a stable `code` the panel can switch on. Server-side
//! failures become a bare 500 or 503: the cause is logged, never sent, because a store error
//! can name tables, files or hosts.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use giftbuyer_core::ports::PanelStoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Why a request failed, as the client will be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The request is unusable as a whole (an unreadable body, a bad header).
    #[error("{message}")]
    BadRequest { message: String },
    /// The body is not JSON at all.
    #[error("{message}")]
    MalformedJson { message: String },
    /// The body is JSON, but fields are missing, unknown, of the wrong type or out of range.
    /// `fields` maps each field's path (`username`, `channels[1].price_min`) to its problem.
    #[error("{message}")]
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("authentication required")]
    Unauthenticated,
    /// A login with a wrong password, or for a user that does not exist (which looks the same).
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The resource does not exist or belongs to another user, which looks the same.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    #[error("{what} is still in use")]
    InUse { what: &'static str },
    #[error("request body is too large")]
    PayloadTooLarge,
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error(
        "account is locked after repeated failed logins; try again in {retry_after_secs} seconds"
    )]
    Locked { retry_after_secs: u64 },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// A route whose storage support is missing; the message says what is missing.
    #[error("{message}")]
    NotImplemented { message: &'static str },
    /// A route whose port the server was started without (no Telegram login, no connector);
    /// the message says what is missing.
    #[error("{message}")]
    PortMissing { message: &'static str },
    /// Telegram (or the simulated market) refused a step, for a reason the user can act on:
    /// a wrong code, an expired login, a flood wait. `code` is stable; `message` is the
    /// port's sentence, which never holds a secret.
    #[error("{message}")]
    Telegram {
        status: StatusCode,
        code: &'static str,
        message: String,
        retry_after_secs: Option<u64>,
    },
    #[error("internal error")]
    Internal,
    #[error("service temporarily unavailable")]
    Unavailable,
}

impl ApiError {
    /// A 422 for one field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        let (field, reason) = (field.into(), reason.into());
        Self::Invalid {
            message: format!("{field}: {reason}"),
            fields: BTreeMap::from([(field, reason)]),
        }
    }

    /// Logs a server-side failure with its context and answers a bare 500.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "{context}");
        Self::Internal
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } | Self::MalformedJson { .. } => StatusCode::BAD_REQUEST,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } | Self::InUse { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Locked { .. } => StatusCode::LOCKED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotImplemented { .. } => StatusCode::NOT_IMPLEMENTED,
            Self::Telegram { status, .. } => *status,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable | Self::PortMissing { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad_request",
            Self::MalformedJson { .. } => "malformed_json",
            Self::Invalid { .. } => "invalid",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden { code, .. } => code,
            Self::NotFound { .. } => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict { .. } => "conflict",
            Self::InUse { .. } => "in_use",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Locked { .. } => "account_locked",
            Self::RateLimited { .. } => "rate_limited",
            Self::NotImplemented { .. } => "not_implemented",
            Self::Telegram { code, .. } => code,
            Self::Internal => "internal",
            Self::Unavailable | Self::PortMissing { .. } => "unavailable",
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Locked { retry_after_secs } | Self::RateLimited { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            Self::Telegram {
                retry_after_secs, ..
            } => *retry_after_secs,
            _ => None,
        }
    }

    /// The body this error is sent as.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                fields: match self {
                    Self::Invalid { fields, .. } => Some(fields.clone()),
                    _ => None,
                },
                retry_after_secs: self.retry_after_secs(),
            },
        }
    }
}

impl From<PanelStoreError> for ApiError {
    fn from(error: PanelStoreError) -> Self {
        match error {
            PanelStoreError::Conflict { what } => Self::Conflict { what },
            PanelStoreError::NotFound { what } => Self::NotFound { what },
            PanelStoreError::InUse { what } => Self::InUse { what },
            PanelStoreError::Invalid { field, reason } => Self::invalid(field, reason),
            PanelStoreError::Value(error) => Self::Invalid {
                message: error.to_string(),
                fields: BTreeMap::new(),
            },
            PanelStoreError::Unavailable(reason) => {
                tracing::error!(%reason, "storage is unavailable");
                Self::Unavailable
            }
            error @ (PanelStoreError::Corrupt(_) | PanelStoreError::Other(_)) => {
                Self::internal("storage failed", error)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `invalid`, `malformed_json`, `unauthenticated`, `invalid_credentials`,
    /// `csrf`, `not_found`, `conflict`, `account_locked`, `rate_limited`, ...
    pub code: String,
    /// A sentence for people, naming the field or value at fault.
    pub message: String,
    /// Per field (a path such as `username`), what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// For `account_locked` and `rate_limited`: seconds until trying again makes sense (also
    /// sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// The answer for a path no route serves.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound { what: "route" }
}

/// The answer for a method a route does not serve (axum adds the `Allow` header).
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Turns a panicking handler into a 500 JSON answer. Handlers should not panic, but a bug must
/// not cut the connection without an answer or take a worker down.
pub(crate) async fn catch_panic(request: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!("a request handler panicked");
            ApiError::Internal.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .expect("body");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    async fn boom() -> StatusCode {
        panic!("a bug")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_a_json_500() {
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(axum::middleware::from_fn(catch_panic));
        let request = Request::get("/boom").body(Body::empty()).expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body_text(response).await,
            r#"{"error":{"code":"internal","message":"internal error"}}"#
        );
    }

    #[tokio::test]
    async fn storage_failures_keep_their_causes_out_of_the_answer() {
        let cases = [
            (
                PanelStoreError::Unavailable("connection to db.internal:5432 refused".into()),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                PanelStoreError::Corrupt("users.password_hash row 7".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                PanelStoreError::Other("sqlite: disk I/O error".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (error, status) in cases {
            let response = ApiError::from(error).into_response();
            assert_eq!(response.status(), status);
            let text = body_text(response).await;
            for internal in ["db.internal", "password_hash", "sqlite"] {
                assert!(!text.contains(internal), "{text}");
            }
        }
        let conflict = ApiError::from(PanelStoreError::Conflict { what: "channel" });
        assert_eq!(
            (
                conflict.status(),
                conflict.code(),
                conflict.to_string().as_str()
            ),
            (StatusCode::CONFLICT, "conflict", "channel already exists")
        );
        let missing = ApiError::from(PanelStoreError::NotFound { what: "account" });
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let invalid = ApiError::from(PanelStoreError::Invalid {
            field: "title",
            reason: "contains NUL".into(),
        });
        assert_eq!(
            invalid.body().error.fields,
            Some(BTreeMap::from([("title".into(), "contains NUL".into())]))
        );
    }
}
