//! The auth routes' request and response bodies. Domain types carry no serde derives, so these
//! are mapped from them here.

use giftbuyer_core::ports::{UserRecord, WebSession, WebSessionId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// No `Debug`: it holds a password.
/// Credentials for registering or signing in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Credentials {
    /// 3 to 32 characters among latin letters, digits, `_`, `.` and `-`; case-insensitive.
    #[schema(example = "alice")]
    pub(crate) username: String,
    /// At least 10 characters, not a common password, not the username.
    #[schema(format = Password)]
    pub(crate) password: String,
    /// Keep the session for 7 days across browser restarts. Otherwise the cookie ends with the
    /// browser session and the server ends the session after one day.
    #[serde(default)]
    pub(crate) remember: bool,
}

/// A panel user.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserResponse {
    pub(crate) id: i64,
    pub(crate) username: String,
    /// Unix seconds.
    pub(crate) created_at: i64,
}

impl From<&UserRecord> for UserResponse {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.get(),
            username: user.username.as_str().to_owned(),
            created_at: user.created_at.secs(),
        }
    }
}

/// One signed-in browser.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionResponse {
    pub(crate) id: i64,
    /// Unix seconds.
    pub(crate) created_at: i64,
    /// Unix seconds.
    pub(crate) expires_at: i64,
    pub(crate) user_agent: Option<String>,
    pub(crate) ip: Option<String>,
    /// Whether this is the session of the request.
    pub(crate) current: bool,
}

impl SessionResponse {
    pub(crate) fn new(session: &WebSession, current: WebSessionId) -> Self {
        Self {
            id: session.id.get(),
            created_at: session.created_at.secs(),
            expires_at: session.expires_at.secs(),
            user_agent: session.user_agent.clone(),
            ip: session.ip.clone(),
            current: session.id == current,
        }
    }
}

/// The signed-in user's sessions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionList {
    pub(crate) sessions: Vec<SessionResponse>,
}
