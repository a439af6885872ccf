//! The port for logging a Telegram account in from the panel: phone, then code, then the
//! two-step password when the account has one.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use super::{MtprotoSession, Profile, Secret, UserId};

/// An opaque handle on a login in progress, safe to hand to the browser: it names the login
/// but grants nothing without the owner's session, since every step also takes the user.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LoginId(String);

impl LoginId {
    /// Wraps an id made by a login adapter (random, URL-safe).
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LoginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LoginId").field(&self.0).finish()
    }
}

/// A phone number with its middle digits hidden (`+15551234567` → `+1555****567`): at least a
/// third of the digits, and all but seven of them, are starred, and at most the last three are
/// shown, so that the panel can tell numbers apart without showing them. Every adapter and the
/// HTTP layer use this one rule, so a number looks the same wherever it is shown.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let count = digits.len();
    let hidden = count.saturating_sub(7).max(count / 3);
    let back = 3.min(count - hidden);
    let front = count - hidden - back;
    let mut masked = String::with_capacity(count + 1);
    masked.push('+');
    masked.extend(&digits[..front]);
    masked.extend(std::iter::repeat_n('*', hidden));
    masked.extend(&digits[count - back..]);
    masked
}

/// The API credentials a login uses (the user's API profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCredentials {
    pub api_id: i32,
    pub api_hash: Secret<String>,
}

/// Starting a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginStart {
    pub user: UserId,
    pub phone: Secret<String>,
    /// `None` lets the adapter use its defaults (the simulated market needs none).
    pub api: Option<ApiCredentials>,
}

/// Where a login stands after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginProgress {
    /// Telegram sent a code; submit it next.
    CodeSent {
        login: LoginId,
        /// The phone with its middle digits hidden, for the panel (`+1555****567`).
        masked_phone: String,
        /// How long the code stays valid.
        expires_in: Duration,
        /// The code itself, only on the simulated market, so the demo can show it.
        demo_code: Option<String>,
    },
    /// The account has a two-step password; submit it next.
    PasswordRequired {
        login: LoginId,
        hint: Option<String>,
    },
    /// Logged in: the profile and the session to keep (encrypted) for the account.
    Done(LoggedIn),
}

/// A finished login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    pub profile: Profile,
    pub session: MtprotoSession,
}

/// Why a login step failed. Messages are shown to the user as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("the phone number is not valid")]
    InvalidPhone,
    #[error("the code is not valid")]
    InvalidCode,
    #[error("the code expired; start again")]
    CodeExpired,
    #[error("the password is not valid")]
    InvalidPassword,
    #[error("this phone number has no Telegram account; sign up in a Telegram app first")]
    SignUpRequired,
    #[error("Telegram asks to wait {seconds} s before trying again")]
    FloodWait { seconds: u32 },
    #[error("the API profile was refused by Telegram (api_id or api_hash)")]
    InvalidApiCredentials,
    #[error(
        "an API profile (api_id and api_hash from my.telegram.org) is required to log in to Telegram"
    )]
    ApiProfileRequired,
    #[error("no such login in progress; it may have expired")]
    UnknownLogin,
    #[error("this login expects another step")]
    WrongStep,
    #[error("too many logins in progress; finish or cancel one first")]
    TooManyPending,
    #[error("telegram is unreachable: {0}")]
    Network(String),
    #[error("telegram refused the login: {0}")]
    Other(String),
}

/// Logs Telegram accounts in. Pending logins live in the adapter (in memory, with a time to
/// live); every step names the user, so one user can never continue another's login.
#[async_trait]
pub trait TelegramLogin: Send + Sync {
    async fn start(&self, request: LoginStart) -> Result<LoginProgress, LoginError>;

    async fn submit_code(
        &self,
        user: UserId,
        login: &LoginId,
        code: Secret<String>,
    ) -> Result<LoginProgress, LoginError>;

    async fn submit_password(
        &self,
        user: UserId,
        login: &LoginId,
        password: Secret<String>,
    ) -> Result<LoginProgress, LoginError>;

    /// Forgets a pending login; returns whether there was one of this user's.
    async fn cancel(&self, user: UserId, login: &LoginId) -> bool;
}

#[cfg(test)]
mod tests {
    use super::mask_phone;

    #[test]
    fn masks_the_middle_digits() {
        assert_eq!(mask_phone("+15551234567"), "+1555****567");
        assert_eq!(mask_phone("+1234567"), "+12**567");
        assert_eq!(mask_phone("+447700900123"), "+4477*****123");
        assert_eq!(mask_phone("+123456789012345"), "+1234********345");
        assert_eq!(mask_phone(""), "+");
    }
}
