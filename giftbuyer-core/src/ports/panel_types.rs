//! The records the panel keeps per user (login, web sessions, API profiles, Telegram accounts,
//! their MTProto sessions, runs and the audit log) and the catalog as it was seen over time.

use std::fmt;
use std::time::Duration;

use super::{Secret, UserId};
use crate::ids::positive_id;
use crate::{
    AccountId, CatalogGift, ExcludeList, Recipient, Stars, TargetFilter, UnixTime, ValueError,
};

positive_id!(
    /// A web session of the panel (one login on one browser).
    WebSessionId,
    ValueError::WebSessionId
);

positive_id!(
    /// A Telegram API profile (`api_id` and `api_hash`) of a user.
    ApiProfileId,
    ValueError::ApiProfileId
);

positive_id!(
    /// A Telegram account in a user's list. It exists before the login completes, when the
    /// account's Telegram user id ([`AccountId`]) is not known yet.
    AccountRowId,
    ValueError::AccountRowId
);

/// A panel login name: 3 to 32 characters among ASCII letters, digits, `_`, `.` and `-`,
/// kept in lower case so that `Alice` and `alice` are the same user on every database.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    pub fn new(raw: &str) -> Result<Self, ValueError> {
        let valid = (Self::MIN_LEN..=Self::MAX_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if valid {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(ValueError::Username(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A panel user as stored: the login and its lockout state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: Username,
    /// The password hash in PHC string form (argon2id), exactly as the caller gave it.
    pub password_hash: Secret<String>,
    pub created_at: UnixTime,
    pub last_login_at: Option<UnixTime>,
    /// Failed logins since the last successful one.
    pub failed_logins: u32,
    pub locked_until: Option<UnixTime>,
}

impl UserRecord {
    /// Whether logins are refused at `now`.
    pub fn is_locked(&self, now: UnixTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

/// When repeated failed logins lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// The failure count that locks the user (counted since the last successful login).
    pub max_failures: u32,
    pub lock_for: Duration,
}

/// The lockout state after a failed login was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure {
    pub failed_logins: u32,
    pub locked_until: Option<UnixTime>,
}

/// The SHA-256 of a web session's cookie token. Only the hash is stored, so a copy of the
/// database does not let anyone take over a session.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionTokenHash(pub [u8; 32]);

impl fmt::Debug for SessionTokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionTokenHash([redacted])")
    }
}

/// A web session to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebSession {
    pub token_hash: SessionTokenHash,
    pub expires_at: UnixTime,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// A web session as stored (without its token hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub id: WebSessionId,
    pub user_id: UserId,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// A Telegram API profile to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiProfile {
    pub name: String,
    pub api_id: i32,
    pub api_hash: Secret<String>,
}

/// A Telegram API profile (my.telegram.org's `api_id` and `api_hash`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiProfile {
    pub id: ApiProfileId,
    pub user_id: UserId,
    pub name: String,
    pub api_id: i32,
    pub api_hash: Secret<String>,
    pub created_at: UnixTime,
}

/// A Telegram account to add to a user's list, before its login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub phone: Secret<String>,
    pub api_profile: Option<ApiProfileId>,
}

/// A Telegram account of a user, with what is known about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub row_id: AccountRowId,
    pub user_id: UserId,
    pub phone: Secret<String>,
    pub api_profile: Option<ApiProfileId>,
    /// The account's Telegram user id, known once a login completed.
    pub telegram_id: Option<AccountId>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub premium: bool,
    pub premium_until: Option<UnixTime>,
    /// The last star balance the engine saw, and when.
    pub balance: Option<Stars>,
    pub balance_at: Option<UnixTime>,
    /// Whether an MTProto session is stored, i.e. the account can be used without a new login.
    pub logged_in: bool,
    pub created_at: UnixTime,
}

/// An account's MTProto session: the home data centre in clear (to show and to route), and
/// everything else (DC options with their auth keys, the peer cache) as one opaque blob that
/// the Telegram adapter writes and reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtprotoSession {
    pub home_dc: i32,
    pub data: Secret<Vec<u8>>,
}

/// A target to add to a user's list: a channel, the buying account itself, or a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTarget {
    pub recipient: Recipient,
    pub title: Option<String>,
    pub filter: TargetFilter,
    pub exclude: ExcludeList,
}

/// An autobuy run, summed up from its journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub run_id: i64,
    pub started_at: UnixTime,
    pub operations: u32,
    pub bought: u32,
    pub failed: u32,
    pub unknown: u32,
    pub has_report: bool,
}

/// What a user bought on one UTC day: the stars paid and the number of purchases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySpending {
    /// Days since 1970-01-01.
    pub day: i64,
    pub stars: u64,
    pub purchases: u32,
}

/// The rendered report of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub run_id: i64,
    pub text: String,
    pub saved_at: UnixTime,
}

/// One line of a user's audit log. The detail never holds a secret: callers describe what
/// happened ("account 5 added"), not the values involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub user_id: UserId,
    pub at: UnixTime,
    pub kind: String,
    pub detail: String,
}

/// A gift of the catalog as the store remembers it.
///
/// `gift` holds the catalog fields of the last sighting; its per-account fields
/// (`per_user_remains`, `locks`) are facts about one account at one time and are not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownGift {
    pub gift: CatalogGift,
    pub first_seen: UnixTime,
    pub last_seen: UnixTime,
    /// When the gift was last seen going from available to sold out.
    pub sold_out_at: Option<UnixTime>,
    /// Where the sticker's `.tgs` was cached on disk, once downloaded.
    pub sticker_cache_path: Option<String>,
}

/// One point of a gift's remaining-count history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemainingPoint {
    pub at: UnixTime,
    pub remaining: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_short_ascii_and_lower_case() {
        assert_eq!(
            Username::new("Alice_1").map(|u| u.to_string()),
            Ok("alice_1".into())
        );
        for bad in [
            "",
            "ab",
            "a b c",
            "имя-пользователя",
            &"x".repeat(33),
            "bob\0",
        ] {
            assert_eq!(
                Username::new(bad),
                Err(ValueError::Username(bad.to_owned()))
            );
        }
    }

    #[test]
    fn row_ids_refuse_zero() {
        assert!(AccountRowId::new(1).is_ok());
        assert_eq!(AccountRowId::new(0), Err(ValueError::AccountRowId(0)));
        assert_eq!(ApiProfileId::new(-1), Err(ValueError::ApiProfileId(-1)));
        assert_eq!(WebSessionId::new(0), Err(ValueError::WebSessionId(0)));
    }

    #[test]
    fn token_hashes_are_not_printed() {
        assert_eq!(
            format!("{:?}", SessionTokenHash([7; 32])),
            "SessionTokenHash([redacted])"
        );
    }
}
