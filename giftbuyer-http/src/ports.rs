//! Ports the server needs that `giftbuyer-core` does not define (yet): checking a bot token
//! with Telegram, reading a run's purchase journal, saving an account's balance, and the
//! engine's manual purchase and catalog refresh.
//!
//! Both are optional on [`AppState`](crate::AppState): routes that use them still work
//! without them, with less detail. The binary plugs in the real implementations: the Bot API
//! client of `giftbuyer-telegram` (its `getMe`) as the [`BotVerifier`], and the store itself
//! as the [`RunJournal`] (every `EngineStore` is one).

use async_trait::async_trait;
use giftbuyer_core::ports::{EngineStore, JournalEntry, Secret, StoreError, UserId};
use giftbuyer_core::{Account, AccountId, GiftId, Recipient, UnixTime};

/// Who a bot token belongs to, as Telegram's `getMe` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    /// The bot's username, without the `@`.
    pub username: String,
}

/// Why a bot token could not be verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Telegram refused the token (revoked, mistyped or never issued).
    #[error("Telegram refused the bot token")]
    Rejected,
    /// Telegram could not be asked (network, timeout, rate limit). The reason must not contain
    /// the token, which Bot API URLs embed: implementations strip it.
    #[error("could not reach Telegram: {0}")]
    Unavailable(String),
}

/// Checks a bot token with Telegram (`getMe`).
///
/// The settings routes call it when a token is set, to refuse a wrong one before it is saved,
/// and when settings are read, to show the bot's username. Implementations should cache the
/// answer per token for a few minutes, since the panel reads settings often.
#[async_trait]
pub trait BotVerifier: Send + Sync {
    async fn verify(&self, token: &Secret<String>) -> Result<BotIdentity, VerifyError>;
}

/// Reads one run's purchase journal, scoped to its user.
///
/// This is the one `EngineStore` query the history routes need; the panel port has no
/// equivalent yet. A blanket implementation makes every `EngineStore` a `RunJournal`.
#[async_trait]
pub trait RunJournal: Send + Sync {
    /// The user's journal entries of one run, by sequence number; empty when the run does not
    /// exist or belongs to another user.
    async fn run_journal(&self, user: UserId, run_id: i64)
    -> Result<Vec<JournalEntry>, StoreError>;
}

#[async_trait]
impl<T: EngineStore + ?Sized> RunJournal for T {
    async fn run_journal(
        &self,
        user: UserId,
        run_id: i64,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        EngineStore::run_journal(self, user, run_id).await
    }
}

/// Saves an account's last known balance and Premium status, as the engine does after each
/// refresh of its accounts.
///
/// The panel port has no such method: balances are the engine's, kept by `EngineStore`, so the
/// account routes take this optional port to save what a login or a refresh fetched. Without
/// it, balances are fetched and shown in the refresh stream but not kept. A blanket
/// implementation makes every `EngineStore` one.
#[async_trait]
pub trait AccountStateSink: Send + Sync {
    async fn save_account_state(
        &self,
        account: Account,
        refreshed_at: UnixTime,
    ) -> Result<(), StoreError>;
}

#[async_trait]
impl<T: EngineStore + ?Sized> AccountStateSink for T {
    async fn save_account_state(
        &self,
        account: Account,
        refreshed_at: UnixTime,
    ) -> Result<(), StoreError> {
        EngineStore::save_account_state(self, account, refreshed_at).await
    }
}

/// How a manual purchase ended, once journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuyOutcome {
    Bought,
    /// Telegram refused it (or it could not be sent); the error name as journaled.
    Failed(String),
    /// Sent without an answer: it may have been bought, and it is never resent.
    Unknown,
}

/// A journaled manual purchase: its run and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyResult {
    pub run_id: i64,
    pub outcome: BuyOutcome,
}

/// Why a manual purchase was not journaled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuyError {
    /// The account, channel or gift does not exist or is not the user's; `what` names which.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The gift exists but cannot be bought; `reason` is a stable code (`sold_out`,
    /// `unlimited`).
    #[error("the gift cannot be bought: {reason}")]
    NotBuyable { reason: String },
    /// The engine cannot buy now (storage down, another instance leads, interrupted); the
    /// message never holds a secret.
    #[error("{0}")]
    Unavailable(String),
}

/// What a catalog refresh found, in the engine's words (`not_modified`, `updated`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshResult {
    pub outcome: String,
}

/// The engine's actions the panel triggers on gifts: buy one now, and poll the catalog now.
///
/// Optional on [`AppState`](crate::AppState): without it both routes answer 503. The binary
/// plugs in an adapter over the engine, which checks that the account and the target are the
/// user's and sends through its journal.
#[async_trait]
pub trait GiftActions: Send + Sync {
    /// Buys one copy of `gift` with `account` for `recipient`, one of the user's targets.
    async fn buy(
        &self,
        user: UserId,
        account: AccountId,
        recipient: Recipient,
        gift: GiftId,
    ) -> Result<BuyResult, BuyError>;

    async fn refresh(&self) -> Result<RefreshResult, String>;
}

/// Told when a user's accounts, channels or settings change, so that the engine uses them from
/// its next poll rather than from its next periodic reload (`GIFTS_ACCS_TTL`). Without it, or
/// when another instance runs the engine, changes still arrive with that reload.
pub trait ConfigListener: Send + Sync {
    fn config_changed(&self, user: UserId);
}
