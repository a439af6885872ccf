//! `AuthUser`, the extractor that makes a route require a signed-in user.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{UserId, WebSessionId};

use super::session::{hash_token, token_from_headers};
use crate::error::ApiError;
use crate::state::AppState;

/// The signed-in user of a request: the session cookie's token, hashed, names an unexpired
/// session in the store.
///
/// Take it as a handler argument to require a session (401 `unauthenticated` otherwise), or as
/// `Option<AuthUser>` where a session is optional. Every store call of a route must pass
/// `user_id`, which is what keeps users apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub user_id: UserId,
    /// The session this request came with (to mark it in a list, or to keep it when revoking
    /// the others).
    pub session_id: WebSessionId,
    pub expires_at: UnixTime,
}

impl AuthUser {
    async fn lookup(parts: &Parts, state: &AppState) -> Result<Option<Self>, ApiError> {
        let Some(token) = token_from_headers(&parts.headers) else {
            return Ok(None);
        };
        let now = state.now();
        let session = state
            .store()
            .session_by_token(hash_token(token), now)
            .await?;
        // The store leaves expired sessions out; checking again costs nothing and does not
        // depend on every store getting that right.
        Ok(session
            .filter(|session| session.expires_at > now)
            .map(|session| Self {
                user_id: session.user_id,
                session_id: session.id,
                expires_at: session.expires_at,
            }))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::lookup(parts, state)
            .await?
            .ok_or(ApiError::Unauthenticated)
    }
}

impl OptionalFromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        Self::lookup(parts, state).await
    }
}
