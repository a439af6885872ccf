//! The port through which drivers (the panel's SSE stream) follow what the engine does live:
//! new gifts, sell-outs, catalog changes, purchases and finished runs.

use async_trait::async_trait;

use super::UserId;
use crate::{AccountId, GiftId, Recipient, Stars, UnixTime};

/// Something the engine did that a live view cares about. Internal events (every catalog
/// poll, every purchase about to be sent) are left out, so that subscribers only wake up for
/// what changes what a user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// Gifts that were not in the catalog before.
    NewGifts { gifts: Vec<GiftId> },
    /// Known gifts that sold out.
    SoldOut { gifts: Vec<GiftId> },
    /// Copies left of limited gifts changed since the previous catalog, as `(gift, remaining)`.
    Remaining { gifts: Vec<(GiftId, i64)> },
    /// The catalog was recorded in a way that changes the known set as a whole (for example
    /// the very first catalog, which seeds it); views should reload it.
    CatalogUpdated,
    /// One purchase attempt of one user ended. `outcome` is `"bought"`, the Telegram or engine
    /// error name that refused it, or `"unknown"` when it may or may not have gone through.
    Purchase {
        user: UserId,
        account: AccountId,
        gift: GiftId,
        recipient: Recipient,
        outcome: String,
    },
    /// One resale purchase of one user ended. `outcome` is `"bought"`, the Telegram error name
    /// that refused it, or `"unknown"` when it may or may not have gone through.
    ResalePurchase {
        user: UserId,
        account: AccountId,
        slug: String,
        outcome: String,
    },
    /// One bid of one user ended. `outcome` is `"placed"`, the Telegram error name that
    /// refused it, or `"unknown"` when it may or may not have gone through.
    Bid {
        user: UserId,
        account: AccountId,
        gift_id: GiftId,
        total: Stars,
        outcome: String,
    },
    /// One user's autobuy run finished; its report is in the history.
    RunFinished { user: UserId, run_id: i64 },
    /// Telegram revoked the session of one of the user's accounts: it needs a new login.
    SessionRevoked { user: UserId, account: AccountId },
}

impl LiveEvent {
    /// The user an event belongs to, or `None` for events about the global catalog. Drivers
    /// must deliver a user's events to that user only.
    pub fn user(&self) -> Option<UserId> {
        match self {
            Self::Purchase { user, .. }
            | Self::ResalePurchase { user, .. }
            | Self::Bid { user, .. }
            | Self::RunFinished { user, .. }
            | Self::SessionRevoked { user, .. } => Some(*user),
            Self::NewGifts { .. }
            | Self::SoldOut { .. }
            | Self::Remaining { .. }
            | Self::CatalogUpdated => None,
        }
    }
}

/// The subscriber fell behind and `missed` events were dropped for it; it should reload
/// what it shows instead of trusting its incremental state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the event subscriber lagged and missed {missed} events")]
pub struct Lagged {
    pub missed: u64,
}

/// A source of live events. Each subscription sees the events published after it was made.
pub trait EventFeed: Send + Sync {
    fn subscribe(&self) -> Box<dyn EventSubscription>;
}

/// One subscriber's view of an [`EventFeed`].
#[async_trait]
pub trait EventSubscription: Send {
    /// The next event; `Some(Err(Lagged))` when events were dropped because this subscriber
    /// was too slow (the subscription goes on after it), and `None` once the feed is closed.
    async fn next(&mut self) -> Option<Result<LiveEvent, Lagged>>;
}

/// What one account last saw of one gift that is limited per user or locked for it. Telegram
/// tells each account only its own allowance and lock, so these come from each account's own
/// catalog polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountGiftState {
    pub account: AccountId,
    pub gift: GiftId,
    /// Copies this account may still buy; `None` when the gift has no per-user limit.
    pub per_user_remains: Option<i64>,
    /// Until when the gift is locked for this account.
    pub locked_until: Option<UnixTime>,
    /// When the account's catalog carrying this was fetched.
    pub seen_at: UnixTime,
}

/// Where drivers read the per-account side of the catalog (the engine keeps it in memory).
pub trait AccountCatalogs: Send + Sync {
    /// The per-user limits and locks the given accounts last saw, in no particular order.
    fn account_gifts(&self, accounts: &[AccountId]) -> Vec<AccountGiftState>;
}
