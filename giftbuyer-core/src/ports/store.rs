//! The port to storage: what the engine reads (users, their accounts, targets and settings)
//! and what it must not lose (the known catalog and the purchase journal).

use async_trait::async_trait;

use super::ChatId;
use crate::ids::positive_id;
use crate::report::Lang;
use crate::{
    Account, AccountId, CatalogGift, ChannelId, GiftId, Operation, Priority, Target, UnixTime,
    ValueError,
};

positive_id!(
    /// A user of the panel, who owns accounts, targets and settings.
    UserId,
    ValueError::UserId
);

/// What a user chose in the settings screen that the engine acts on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserSettings {
    /// Buy new limited gifts automatically.
    pub autobuy: bool,
    /// Chats that get a message for every new gift.
    pub notification_chats: Vec<ChatId>,
    pub report_lang: Lang,
    /// When set, every purchase goes to this channel and the target filters are ignored.
    pub forced_target: Option<ChannelId>,
    /// The order in which new gifts get the stars.
    pub priority: Priority,
}

/// A user with everything the engine needs to buy for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfig {
    pub user_id: UserId,
    pub settings: UserSettings,
    /// The user's Telegram accounts that are logged in.
    pub accounts: Vec<AccountId>,
    pub targets: Vec<Target>,
}

/// What changed when a catalog was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatalogDiff {
    /// No catalog had ever been recorded: this one only seeds the known set, so that the very
    /// first start does not buy the whole existing catalog.
    pub first_run: bool,
    /// Gifts whose id was not known before, in catalog order.
    pub new_gifts: Vec<CatalogGift>,
    /// Known gifts that are sold out now and were not before.
    pub sold_out: Vec<GiftId>,
}

/// Identifies one journal entry: the autobuy run and the operation's number in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JournalKey {
    pub run_id: i64,
    pub seq: u32,
}

/// Where a purchase stands. Entries move `Planned -> Sending -> Bought | Failed | Unknown`,
/// or `Planned -> Failed` when they are cancelled before sending; nothing moves back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JournalStatus {
    Planned,
    Sending,
    Bought,
    Failed,
    /// Sent, but no answer arrived (a crash or a timeout): it may have been bought. An entry in
    /// this state is never sent again.
    Unknown,
}

impl JournalStatus {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Sending => "sending",
            Self::Bought => "bought",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }

    /// Whether the journal may move an entry from `self` to `next`.
    pub const fn can_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::Planned, Self::Sending | Self::Failed)
                | (Self::Sending, Self::Bought | Self::Failed | Self::Unknown)
        )
    }
}

/// One purchase in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub key: JournalKey,
    pub user_id: UserId,
    pub operation: Operation,
    pub status: JournalStatus,
    /// Telegram's error name (or the engine's reason) for `Failed` and `Unknown`.
    pub error: Option<String>,
    pub updated_at: UnixTime,
}

/// A storage failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
    #[error("journal entry {run_id}/{seq} not found")]
    UnknownEntry { run_id: i64, seq: u32 },
    #[error("journal entry {run_id}/{seq} cannot go from {from} to {to}")]
    BadTransition {
        run_id: i64,
        seq: u32,
        from: &'static str,
        to: &'static str,
    },
    #[error("resale entry {0} not found")]
    UnknownResaleEntry(i64),
    #[error("resale entry {id} cannot go from {from} to {to}")]
    BadResaleTransition {
        id: i64,
        from: &'static str,
        to: &'static str,
    },
    #[error("bid entry {0} not found")]
    UnknownBidEntry(i64),
    #[error("bid entry {id} cannot go from {from} to {to}")]
    BadBidTransition {
        id: i64,
        from: &'static str,
        to: &'static str,
    },
    #[error("storage error: {0}")]
    Other(String),
}

/// Storage as the engine uses it.
///
/// The journal is what makes purchases safe: an operation is recorded as `Planned` before
/// anything is sent, moved to `Sending` with a compare-and-set right before the request goes
/// out, and to its outcome after. Because only one caller can win the move to `Sending`, an
/// operation is sent at most once even if two engines race or one restarts.
#[async_trait]
pub trait EngineStore: Send + Sync {
    /// Records a fetched catalog: upserts every gift (remaining counts, sold-out times) and
    /// returns what is new. The first call ever only seeds the known set.
    async fn record_catalog(
        &self,
        gifts: &[CatalogGift],
        seen_at: UnixTime,
    ) -> Result<CatalogDiff, StoreError>;

    /// Every user with their settings, logged-in accounts and channels.
    async fn users(&self) -> Result<Vec<UserConfig>, StoreError>;

    /// Starts an autobuy run for a user: allocates a run id and records every operation as
    /// `Planned` under sequence numbers `0..operations.len()`, in one transaction. Database
    /// stores refuse a user they do not know; so do `add_operation` and `save_report` for a run
    /// that was never begun or belongs to another user.
    async fn begin_run(
        &self,
        user: UserId,
        operations: &[Operation],
        now: UnixTime,
    ) -> Result<i64, StoreError>;

    /// Records one more operation of a run as `Planned` (a retry or a fallback channel).
    /// Recording the same key twice keeps the first entry.
    async fn add_operation(
        &self,
        user: UserId,
        key: JournalKey,
        operation: Operation,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Moves an entry from `from` to `to` if it is in `from`; returns whether it moved.
    /// Moves that [`JournalStatus::can_become`] forbids are errors.
    async fn transition(
        &self,
        key: JournalKey,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError>;

    /// After a restart: entries left `Sending` become `Unknown` (they may have been bought) and
    /// entries left `Planned` become `Failed` with the reason `abandoned`. Returns how many
    /// entries were changed.
    ///
    /// This acts on every user's journal. With several instances on one database, only the
    /// instance that holds the engine's leadership may call it, right after taking the lead:
    /// another instance's runs in flight would otherwise be marked as interrupted.
    async fn recover_journal(&self, now: UnixTime) -> Result<u64, StoreError>;

    /// A user's journal entries of one run, by sequence number.
    async fn run_journal(&self, user: UserId, run_id: i64)
    -> Result<Vec<JournalEntry>, StoreError>;

    /// Keeps the rendered report of a run.
    async fn save_report(
        &self,
        user: UserId,
        run_id: i64,
        text: String,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Remembers an account's last known balance and premium status.
    async fn save_account_state(
        &self,
        account: Account,
        refreshed_at: UnixTime,
    ) -> Result<(), StoreError>;

    /// Telegram revoked the account's session (`AUTH_KEY_UNREGISTERED`): deletes the stored
    /// session, so that the account shows as logged out and is no longer loaded for buying.
    /// Returns the owner when a session was deleted, `None` when there was none (already
    /// forgotten, or an unknown account), so that the owner is told only once.
    async fn forget_session(&self, account: AccountId) -> Result<Option<UserId>, StoreError>;
}
