//! Authentication: registration and login with argon2id passwords, cookie sessions stored by
//! their hash, login rate limits and lockout, and the [`AuthUser`] extractor.

mod dto;
mod extractor;
pub(crate) mod password;
pub(crate) mod rate_limit;
mod routes;
mod session;

use axum::Router;
use axum::routing::{delete, get, post};
use utoipa::OpenApi;

pub use extractor::AuthUser;
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
pub use session::{BROWSER_SESSION_TTL, SESSION_COOKIE, SESSION_TTL};

use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(routes::register))
        .route("/api/auth/login", post(routes::login))
        .route("/api/auth/logout", post(routes::logout))
        .route("/api/auth/me", get(routes::me))
        .route("/api/auth/sessions", get(routes::sessions))
        .route("/api/auth/sessions/{id}", delete(routes::revoke_session))
}

/// The auth routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    routes::register,
    routes::login,
    routes::logout,
    routes::me,
    routes::sessions,
    routes::revoke_session
))]
pub(crate) struct AuthApi;
