//! The port to storage as the panel and the Telegram adapter use it: users and their web
//! sessions, API profiles, Telegram accounts with their MTProto sessions and leases, channels,
//! settings, run history, the audit log and the known catalog.
//!
//! Every method that touches a user's data takes that user's [`UserId`], and implementations
//! include it in every query, so a row of another user behaves exactly like a row that does not
//! exist: reads find nothing, changes change nothing and report [`PanelStoreError::NotFound`].

use std::time::Duration;

use async_trait::async_trait;

use super::panel_types::{
    AccountRecord, AccountRowId, ApiProfile, ApiProfileId, AuditEntry, DaySpending, KnownGift,
    LockoutPolicy, LoginFailure, MtprotoSession, NewAccount, NewApiProfile, NewTarget,
    NewWebSession, RemainingPoint, RunRecord, SessionTokenHash, StoredReport, UserRecord, Username,
    WebSession, WebSessionId,
};
use super::{Profile, Secret, UserId, UserSettings};
use crate::{AccountId, GiftId, Target, TargetRowId, UnixTime, ValueError};

/// Why a panel storage call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PanelStoreError {
    /// A unique rule refused the change: a second user with the same name, a channel already in
    /// the list, a Telegram account already added by someone.
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    /// The row does not exist, or it belongs to another user (which looks the same).
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The row is still referenced (an API profile used by an account).
    #[error("{what} is still in use")]
    InUse { what: &'static str },
    /// A value the database cannot hold, such as a number above `i64::MAX` or a text with NUL.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A stored value could not be read back: a broken row, or a secret that does not decrypt
    /// (a wrong master key, or a ciphertext moved to another row).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
    #[error("storage error: {0}")]
    Other(String),
}

type Result<T> = std::result::Result<T, PanelStoreError>;

/// Panel users: login names, password hashes, lockout.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; a taken name is a [`PanelStoreError::Conflict`].
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        now: UnixTime,
    ) -> Result<UserId>;

    async fn user(&self, user: UserId) -> Result<Option<UserRecord>>;

    /// The user a login form names.
    async fn user_by_name(&self, username: &Username) -> Result<Option<UserRecord>>;

    async fn set_password_hash(&self, user: UserId, password_hash: &str) -> Result<()>;

    /// Records a successful login: sets the last login time and clears the failure count and
    /// any lock.
    async fn record_login_success(&self, user: UserId, now: UnixTime) -> Result<()>;

    /// Counts a failed login atomically and locks the user when the policy says so.
    async fn record_login_failure(
        &self,
        user: UserId,
        policy: LockoutPolicy,
        now: UnixTime,
    ) -> Result<LoginFailure>;

    /// Deletes a user with everything they own. Returns whether the user existed.
    async fn delete_user(&self, user: UserId) -> Result<bool>;
}

/// Web sessions of the panel, stored by the hash of their cookie token.
#[async_trait]
pub trait WebSessionStore: Send + Sync {
    async fn create_session(
        &self,
        user: UserId,
        session: NewWebSession,
        now: UnixTime,
    ) -> Result<WebSessionId>;

    /// The unexpired session whose token has this hash.
    async fn session_by_token(
        &self,
        token_hash: SessionTokenHash,
        now: UnixTime,
    ) -> Result<Option<WebSession>>;

    /// A user's unexpired sessions, newest first.
    async fn sessions(&self, user: UserId, now: UnixTime) -> Result<Vec<WebSession>>;

    /// Ends one session. Returns whether it existed.
    async fn revoke_session(&self, user: UserId, session: WebSessionId) -> Result<bool>;

    /// Ends every session of the user except `keep`. Returns how many ended.
    async fn revoke_sessions(&self, user: UserId, keep: Option<WebSessionId>) -> Result<u64>;

    /// Deletes sessions that expired before `now` (housekeeping, for every user).
    async fn purge_expired_sessions(&self, now: UnixTime) -> Result<u64>;
}

/// Telegram API profiles (`api_id`, `api_hash`).
#[async_trait]
pub trait ApiProfileStore: Send + Sync {
    /// Creates a profile; a name the user already uses is a conflict.
    async fn create_api_profile(
        &self,
        user: UserId,
        profile: NewApiProfile,
        now: UnixTime,
    ) -> Result<ApiProfileId>;

    async fn api_profiles(&self, user: UserId) -> Result<Vec<ApiProfile>>;

    async fn api_profile(&self, user: UserId, profile: ApiProfileId) -> Result<Option<ApiProfile>>;

    /// Renames a profile. Returns whether it exists for this user; a name the user already
    /// gives another profile is [`PanelStoreError::Conflict`].
    async fn rename_api_profile(
        &self,
        user: UserId,
        profile: ApiProfileId,
        name: &str,
    ) -> Result<bool>;

    /// Deletes a profile; one that an account uses is [`PanelStoreError::InUse`].
    async fn delete_api_profile(&self, user: UserId, profile: ApiProfileId) -> Result<bool>;
}

/// A user's Telegram accounts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Adds an account before its login. The API profile, when given, must be the user's.
    async fn create_account(
        &self,
        user: UserId,
        account: NewAccount,
        now: UnixTime,
    ) -> Result<AccountRowId>;

    async fn accounts(&self, user: UserId) -> Result<Vec<AccountRecord>>;

    async fn account(&self, user: UserId, account: AccountRowId) -> Result<Option<AccountRecord>>;

    /// The user's account with this Telegram user id.
    async fn account_by_telegram_id(
        &self,
        user: UserId,
        telegram_id: AccountId,
    ) -> Result<Option<AccountRecord>>;

    /// Records a completed login: the account's Telegram identity and Premium status. A
    /// Telegram account that another row already holds is a conflict, so one Telegram account
    /// never buys for two users.
    async fn record_account_login(
        &self,
        user: UserId,
        account: AccountRowId,
        profile: &Profile,
        now: UnixTime,
    ) -> Result<()>;

    /// Deletes an account with its session and lease. Returns whether it existed.
    async fn delete_account(&self, user: UserId, account: AccountRowId) -> Result<bool>;
}

/// MTProto sessions of accounts, and the leases that keep each one in use from one place.
///
/// Telegram ends a session with `AUTH_KEY_DUPLICATED` when one auth key is used from two
/// connections at once, so an instance takes an account's lease before connecting with its
/// session, renews it well before it expires and releases it when it disconnects.
#[async_trait]
pub trait SessionVault: Send + Sync {
    async fn load_session(
        &self,
        user: UserId,
        account: AccountRowId,
    ) -> Result<Option<MtprotoSession>>;

    async fn save_session(
        &self,
        user: UserId,
        account: AccountRowId,
        session: &MtprotoSession,
        now: UnixTime,
    ) -> Result<()>;

    /// Forgets the session (a logout). Returns whether there was one.
    async fn clear_session(&self, user: UserId, account: AccountRowId) -> Result<bool>;

    /// Takes the account's lease for `holder` (an instance id) for `ttl`, unless another holder
    /// has an unexpired lease. Returns whether `holder` holds it now; taking a lease it already
    /// holds extends it.
    async fn lease_account(
        &self,
        user: UserId,
        account: AccountRowId,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool>;

    /// Extends a lease `holder` still holds. Returns false when it was lost (expired and taken).
    async fn renew_lease(
        &self,
        user: UserId,
        account: AccountRowId,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool>;

    /// Gives a lease up. Returns whether `holder` held it.
    async fn release_lease(
        &self,
        user: UserId,
        account: AccountRowId,
        holder: &str,
    ) -> Result<bool>;
}

/// A user's targets: the channels, the account itself and the people gifts are bought for.
#[async_trait]
pub trait TargetStore: Send + Sync {
    /// Adds a target; one whose recipient is already in the user's list is a conflict.
    async fn add_target(
        &self,
        user: UserId,
        target: NewTarget,
        now: UnixTime,
    ) -> Result<TargetRowId>;

    /// The user's targets, by row id.
    async fn targets(&self, user: UserId) -> Result<Vec<Target>>;

    /// Replaces a target's recipient, title, filter and exclude list (found by its row id).
    async fn update_target(&self, user: UserId, target: &Target) -> Result<()>;

    async fn delete_target(&self, user: UserId, target: TargetRowId) -> Result<bool>;
}

/// A user's settings, and the bot token kept apart from them because it is a secret.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The user's settings, or the defaults when they never saved any.
    async fn settings(&self, user: UserId) -> Result<UserSettings>;

    async fn save_settings(
        &self,
        user: UserId,
        settings: &UserSettings,
        now: UnixTime,
    ) -> Result<()>;

    async fn bot_token(&self, user: UserId) -> Result<Option<Secret<String>>>;

    /// Sets or (with `None`) removes the bot token.
    async fn set_bot_token(
        &self,
        user: UserId,
        token: Option<Secret<String>>,
        now: UnixTime,
    ) -> Result<()>;

    /// Saves the settings (when given) and sets or (with `None`) removes the bot token in one
    /// transaction: either both change or neither does.
    async fn save_settings_and_token(
        &self,
        user: UserId,
        settings: Option<&UserSettings>,
        token: Option<Secret<String>>,
        now: UnixTime,
    ) -> Result<()>;
}

/// A user's past runs, their reports, and the audit log.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// The user's runs, newest first: at most `limit` of them, and with `before` only those
    /// whose id is below it (keyset paging: pass the last id of the previous page).
    async fn runs(&self, user: UserId, before: Option<i64>, limit: u32) -> Result<Vec<RunRecord>>;

    /// One of the user's runs; another user's run is `None`.
    async fn run(&self, user: UserId, run_id: i64) -> Result<Option<RunRecord>>;

    /// The stars the user spent per UTC day from `from_day` to `to_day` (both included, in
    /// days since 1970-01-01): the journal entries with status bought, dated by their last
    /// change. Only days with a purchase are listed, oldest first.
    async fn spending_per_day(
        &self,
        user: UserId,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<DaySpending>>;

    async fn report(&self, user: UserId, run_id: i64) -> Result<Option<StoredReport>>;

    /// Appends to the user's audit log. `kind` is a short code ("login", "account.added");
    /// `detail` must not hold secrets.
    async fn append_audit(
        &self,
        user: UserId,
        kind: &str,
        detail: &str,
        now: UnixTime,
    ) -> Result<()>;

    /// The user's latest audit entries, newest first.
    async fn audit_log(&self, user: UserId, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// The known catalog, shared by every user.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Every gift ever seen, by id.
    async fn known_gifts(&self) -> Result<Vec<KnownGift>>;

    /// A gift's remaining counts over time, oldest first.
    async fn remaining_history(&self, gift: GiftId) -> Result<Vec<RemainingPoint>>;

    /// Remembers where a gift's sticker was cached on disk.
    async fn set_sticker_cache_path(&self, gift: GiftId, path: &str) -> Result<()>;
}

/// Everything the panel needs from storage, as one object.
pub trait PanelStore:
    UserStore
    + WebSessionStore
    + ApiProfileStore
    + AccountStore
    + SessionVault
    + TargetStore
    + SettingsStore
    + HistoryStore
    + CatalogStore
{
}

impl<T> PanelStore for T where
    T: UserStore
        + WebSessionStore
        + ApiProfileStore
        + AccountStore
        + SessionVault
        + TargetStore
        + SettingsStore
        + HistoryStore
        + CatalogStore
{
}
