//! Ports: the traits through which the engine reaches Telegram, the notification bot, storage
//! and time. Adapters implement them (`giftbuyer-sim` for the simulated market,
//! `giftbuyer-telegram` for the real one, `giftbuyer-store` for the database).
//!
//! Methods return [`BoxFuture`] rather than using `async fn` so that the traits stay
//! object-safe: the engine holds accounts of different kinds behind `Arc<dyn ...>`, and a server
//! picks the simulated or the real adapters at run time. Boxing one future per network call
//! costs nanoseconds next to a round trip to Telegram.

mod bot;
mod clock;
mod connector;
mod events;
mod leadership;
mod login;
mod new_account;
mod panel_store;
mod panel_types;
mod secret;
mod store;
mod telegram;
mod telegram_error;

use std::future::Future;
use std::pin::Pin;

pub use bot::{BotError, ChatId, NotificationBot, Sticker};
pub use clock::Clock;
pub use connector::Connector;
pub use events::{
    AccountCatalogs, AccountGiftState, EventFeed, EventSubscription, Lagged, LiveEvent,
};
pub use leadership::LeaderElection;
pub use login::{
    ApiCredentials, LoggedIn, LoginError, LoginId, LoginProgress, LoginStart, TelegramLogin,
    mask_phone,
};
pub use new_account::{SaveLoginError, compact_phone, save_login};
pub use panel_store::{
    AccountStore, ApiProfileStore, CatalogStore, ChannelStore, HistoryStore, PanelStore,
    PanelStoreError, SessionVault, SettingsStore, UserStore, WebSessionStore,
};
pub use panel_types::{
    AccountRecord, AccountRowId, ApiProfile, ApiProfileId, AuditEntry, DaySpending, KnownGift,
    LockoutPolicy, LoginFailure, MtprotoSession, NewAccount, NewApiProfile, NewChannel,
    NewWebSession, RemainingPoint, RunRecord, SessionTokenHash, StoredReport, UserRecord, Username,
    WebSession, WebSessionId,
};
pub use secret::Secret;
pub use store::{
    CatalogDiff, EngineStore, JournalEntry, JournalKey, JournalStatus, StoreError, UserConfig,
    UserId, UserSettings,
};
pub use telegram::{
    CatalogResponse, ChannelAccess, ChannelInfo, Profile, PurchaseReceipt, PurchaseRequest,
    TelegramAccount,
};
pub use telegram_error::{ErrorClass, TelegramError};

/// A boxed, sendable future: the return type of every port method.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
