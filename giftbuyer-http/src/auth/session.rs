//! Session tokens and the session cookie.
//!
//! A token is 32 random bytes from the operating system, sent as the cookie value in unpadded
//! base64url (43 characters). The store keeps only the SHA-256 of that cookie value, computed
//! exactly as `giftbuyer_store::hash_session_token` does, so a copy of the database does not
//! let anyone take over a session.
//!
//! Lifetimes: with "remember me" the cookie and the server-side session both last
//! [`SESSION_TTL`] (7 days). Without it the cookie is a browser-session cookie (no `Max-Age`)
//! and the server-side session ends after [`BROWSER_SESSION_TTL`] (1 day), because browsers
//! that restore tabs keep "session" cookies for weeks. Sessions are not extended on use.

use std::fmt;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{NewWebSession, SessionTokenHash, UserId};
use sha2::{Digest as _, Sha256};

use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "giftbuyer_session";
/// How long a remembered session lasts, on the server and in the browser.
pub const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a session that was not remembered lasts on the server.
pub const BROWSER_SESSION_TTL: Duration = Duration::from_secs(24 * 3600);

/// The length of a token's cookie value: 32 bytes in unpadded base64.
const TOKEN_TEXT_LEN: usize = 43;

/// A session token as the cookie carries it. Never printed.
pub(crate) struct SessionToken(String);

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

impl SessionToken {
    fn generate() -> Result<Self, ApiError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|error| ApiError::internal("no randomness for a session token", error))?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub(crate) fn hash(&self) -> SessionTokenHash {
        hash_token(&self.0)
    }
}

/// The stored hash of a cookie value: SHA-256 of its text, as the store's reference
/// `hash_session_token` computes it.
pub(crate) fn hash_token(cookie_value: &str) -> SessionTokenHash {
    SessionTokenHash(Sha256::digest(cookie_value.as_bytes()).into())
}

/// The session cookie's value, if the request carries a well-formed one. Values of the wrong
/// shape are ignored without a store lookup.
pub(crate) fn token_from_headers(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"'))
        .find(|value| {
            value.len() == TOKEN_TEXT_LEN
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        })
}

fn secure(state: &AppState, client: &ClientInfo) -> bool {
    state.config().cookie_secure || client.https
}

fn cookie_header(text: String) -> Result<HeaderValue, ApiError> {
    HeaderValue::try_from(text).map_err(|error| ApiError::internal("bad cookie header", error))
}

/// The `Set-Cookie` value for a new session.
fn set_cookie(token: &SessionToken, remember: bool, secure: bool) -> Result<HeaderValue, ApiError> {
    let max_age = if remember {
        format!("; Max-Age={}", SESSION_TTL.as_secs())
    } else {
        String::new()
    };
    let secure = if secure { "; Secure" } else { "" };
    cookie_header(format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{max_age}{secure}",
        token.0
    ))
}

/// The `Set-Cookie` value that removes the session cookie from the browser.
pub(crate) fn clear_cookie(state: &AppState, client: &ClientInfo) -> HeaderValue {
    let secure = if secure(state, client) {
        "; Secure"
    } else {
        ""
    };
    let text = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}");
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Creates a session for `user` and returns the `Set-Cookie` value that hands it to the
/// browser.
pub(crate) async fn start(
    state: &AppState,
    user: UserId,
    remember: bool,
    client: &ClientInfo,
    now: UnixTime,
) -> Result<HeaderValue, ApiError> {
    let token = SessionToken::generate()?;
    let ttl = if remember {
        SESSION_TTL
    } else {
        BROWSER_SESSION_TTL
    };
    let expires_at = i64::try_from(ttl.as_secs())
        .ok()
        .and_then(|ttl| now.secs().checked_add(ttl))
        .and_then(|secs| UnixTime::from_secs(secs).ok())
        .ok_or_else(|| ApiError::internal("session expiry overflows", now.secs()))?;
    let session = NewWebSession {
        token_hash: token.hash(),
        expires_at,
        user_agent: client.user_agent.clone(),
        ip: client.ip_text(),
    };
    state.store().create_session(user, session, now).await?;
    set_cookie(&token, remember, secure(state, client))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_characters_and_differ() {
        let a = SessionToken::generate().expect("token");
        let b = SessionToken::generate().expect("token");
        assert_eq!(a.0.len(), TOKEN_TEXT_LEN);
        assert_ne!(a.0, b.0);
        assert_eq!(format!("{a:?}"), "SessionToken([redacted])");
    }

    #[test]
    fn finds_the_session_cookie_among_others() {
        let token = "A".repeat(TOKEN_TEXT_LEN);
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark"));
        headers.append(
            header::COOKIE,
            HeaderValue::try_from(format!("a=b; {SESSION_COOKIE}={token}; c=d")).expect("value"),
        );
        assert_eq!(token_from_headers(&headers), Some(token.as_str()));

        let mut bad = HeaderMap::new();
        bad.append(
            header::COOKIE,
            HeaderValue::try_from(format!(
                "{SESSION_COOKIE}=short; {SESSION_COOKIE}={}",
                "?".repeat(43)
            ))
            .expect("value"),
        );
        assert_eq!(token_from_headers(&bad), None);
    }
}
