//! The auth routes: register, login, logout, me, and the signed-in user's sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{PanelStoreError, Secret, Username, WebSessionId};

use super::dto::{Credentials, SessionList, SessionResponse, UserResponse};
use super::extractor::AuthUser;
use super::password::check_policy;
use super::session;
use crate::client::ClientInfo;
use crate::common::{audit, origin_text};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

fn rate_limited(retry_after_secs: u64) -> ApiError {
    ApiError::RateLimited { retry_after_secs }
}

fn with_cookie(status: StatusCode, cookie: HeaderValue, body: impl IntoResponse) -> Response {
    (status, [(header::SET_COOKIE, cookie)], body).into_response()
}

/// Creates a user and signs them in.
#[utoipa::path(
    post,
    path = "/api/auth/register",
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 201, description = "Registered and signed in; sets the session cookie", body = UserResponse),
        (status = 403, description = "Registration is closed, or a CSRF check failed", body = ErrorBody),
        (status = 409, description = "The username is taken", body = ErrorBody),
        (status = 422, description = "Invalid username or weak password", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address", body = ErrorBody),
    )
)]
pub(crate) async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    if !state.config().allow_registration {
        return Err(ApiError::Forbidden {
            code: "registration_closed",
            message: "registration is closed on this server".into(),
        });
    }
    let username = Username::new(&body.username)
        .map_err(|error| ApiError::invalid("username", error.to_string()))?;
    check_policy(&body.password, &username)
        .map_err(|reason| ApiError::invalid("password", reason))?;
    // Checked after validation so that fixing a typo does not use the allowance up, and before
    // hashing, which is the expensive part.
    state
        .limiters()
        .register_ip
        .check(&client.rate_limit_key(), state.clock().elapsed())
        .map_err(rate_limited)?;
    let hash = state.passwords().hash(Secret::new(body.password)).await?;
    let now = state.now();
    let user_id = state
        .store()
        .create_user(&username, &hash, now)
        .await
        .map_err(|error| match error {
            PanelStoreError::Conflict { .. } => ApiError::Conflict { what: "username" },
            other => other.into(),
        })?;
    audit(
        &state,
        user_id,
        "register",
        &format!("registered {}", origin_text(&client)),
        now,
    )
    .await;
    let cookie = session::start(&state, user_id, body.remember, &client, now).await?;
    Ok(with_cookie(
        StatusCode::CREATED,
        cookie,
        Json(UserResponse {
            id: user_id.get(),
            username: username.as_str().to_owned(),
            created_at: now.secs(),
        }),
    ))
}

/// Signs a user in.
///
/// A wrong password and an unknown username get the same answer, after the same work.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in; sets the session cookie", body = UserResponse),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 422, description = "A field is missing or of the wrong type", body = ErrorBody),
        (status = 423, description = "Locked after repeated failures; see retry_after_secs", body = ErrorBody),
        (status = 429, description = "Too many attempts; see retry_after_secs", body = ErrorBody),
    )
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    let elapsed = state.clock().elapsed();
    let limiters = state.limiters();
    limiters
        .login_ip
        .check(&client.rate_limit_key(), elapsed)
        .map_err(rate_limited)?;
    let password = Secret::new(body.password);
    let Ok(username) = Username::new(&body.username) else {
        // No such user can exist; answer as for an unknown one.
        state.passwords().verify(password, None).await?;
        return Err(ApiError::InvalidCredentials);
    };
    limiters
        .login_username
        .check(username.as_str(), elapsed)
        .map_err(rate_limited)?;
    let now = state.now();
    let Some(user) = state.store().user_by_name(&username).await? else {
        state.passwords().verify(password, None).await?;
        return Err(ApiError::InvalidCredentials);
    };
    if let Some(until) = user.locked_until.filter(|until| *until > now) {
        return Err(locked(until, now));
    }
    let matches = state
        .passwords()
        .verify(password, Some(user.password_hash.clone()))
        .await?;
    if !matches {
        let policy = state.config().lockout;
        let failure = state
            .store()
            .record_login_failure(user.id, policy, now)
            .await?;
        let from = origin_text(&client);
        let detail = format!("failed login {from} ({} in a row)", failure.failed_logins);
        audit(&state, user.id, "login.failure", &detail, now).await;
        if let Some(until) = failure.locked_until.filter(|until| *until > now) {
            let detail = format!(
                "locked until {until} after {} failed logins",
                failure.failed_logins
            );
            audit(&state, user.id, "login.lockout", &detail, now).await;
            return Err(locked(until, now));
        }
        return Err(ApiError::InvalidCredentials);
    }
    state.store().record_login_success(user.id, now).await?;
    audit(
        &state,
        user.id,
        "login",
        &format!("signed in {}", origin_text(&client)),
        now,
    )
    .await;
    let cookie = session::start(&state, user.id, body.remember, &client, now).await?;
    Ok(with_cookie(
        StatusCode::OK,
        cookie,
        Json(UserResponse::from(&user)),
    ))
}

fn locked(until: UnixTime, now: UnixTime) -> ApiError {
    let secs = u64::try_from(until.secs() - now.secs()).unwrap_or(1).max(1);
    ApiError::Locked {
        retry_after_secs: secs,
    }
}

/// Signs out: ends the session on the server and removes the cookie. Succeeds without a
/// session too, so a stale tab can always sign out.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; clears the session cookie"),
    )
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: Option<AuthUser>,
) -> Result<Response, ApiError> {
    if let Some(auth) = auth {
        state
            .store()
            .revoke_session(auth.user_id, auth.session_id)
            .await?;
        let detail = format!(
            "signed out session {} {}",
            auth.session_id.get(),
            origin_text(&client)
        );
        audit(&state, auth.user_id, "logout", &detail, state.now()).await;
    }
    Ok(with_cookie(
        StatusCode::NO_CONTENT,
        session::clear_cookie(&state, &client),
        (),
    ))
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(("session" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn me(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<UserResponse>, ApiError> {
    let user = state
        .store()
        .user(auth.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(Json(UserResponse::from(&user)))
}

/// The signed-in user's unexpired sessions, newest first.
#[utoipa::path(
    get,
    path = "/api/auth/sessions",
    tag = "auth",
    security(("session" = [])),
    responses(
        (status = 200, description = "My sessions", body = SessionList),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn sessions(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<SessionList>, ApiError> {
    let sessions = state.store().sessions(auth.user_id, state.now()).await?;
    Ok(Json(SessionList {
        sessions: sessions
            .iter()
            .map(|session| SessionResponse::new(session, auth.session_id))
            .collect(),
    }))
}

/// Ends one of my sessions (signs that browser out). Ending the current one also clears the
/// cookie. Another user's session answers 404, like one that does not exist.
#[utoipa::path(
    delete,
    path = "/api/auth/sessions/{id}",
    tag = "auth",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The session's id")),
    responses(
        (status = 204, description = "The session ended"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such session of mine", body = ErrorBody),
    )
)]
pub(crate) async fn revoke_session(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = ApiError::NotFound { what: "session" };
    let id = id
        .parse::<i64>()
        .ok()
        .and_then(|id| WebSessionId::new(id).ok())
        .ok_or(not_found.clone())?;
    if !state.store().revoke_session(auth.user_id, id).await? {
        return Err(not_found);
    }
    let detail = format!("ended session {} {}", id.get(), origin_text(&client));
    audit(
        &state,
        auth.user_id,
        "session.revoked",
        &detail,
        state.now(),
    )
    .await;
    if id == auth.session_id {
        return Ok(with_cookie(
            StatusCode::NO_CONTENT,
            session::clear_cookie(&state, &client),
            (),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
