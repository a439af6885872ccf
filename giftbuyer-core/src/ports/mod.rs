//! Ports: the traits through which the engine reaches Telegram, the notification bot, storage
//! and time. Adapters implement them (`giftbuyer-sim` for the simulated market,
//! `giftbuyer-telegram` for the real one, `giftbuyer-store` for the database).
//!
//! Asynchronous ports are `#[async_trait]` traits: their methods are written as `async fn`, and
//! the macro turns each into a method returning a boxed, sendable future, so the traits stay
//! object-safe: the engine holds accounts of different kinds behind `Arc<dyn ...>`, and a server
//! picks the simulated or the real adapters at run time. Boxing one future per call costs
//! nanoseconds next to a round trip to Telegram. `async-trait` is a procedural macro with no
//! runtime, so the core still names no async runtime. Implementations carry `#[async_trait]`
//! too; tests mock a port with `mockall::mock!` over the same trait.

mod bid_store;
mod bot;
mod clock;
mod connector;
mod events;
mod leadership;
mod login;
mod new_account;
mod panel_store;
mod panel_types;
mod resale_store;
mod secret;
mod store;
mod telegram;
mod telegram_error;

pub use bid_store::{
    AuctionPlanStore, BidEntry, BidEntryId, BidStore, NewAuctionPlan, PlannedBid, UserAuctionPlan,
    check_bid_move,
};
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
    AccountStore, ApiProfileStore, CatalogStore, HistoryStore, PanelStore, PanelStoreError,
    SessionVault, SettingsStore, TargetStore, UserStore, WebSessionStore,
};
pub use panel_types::{
    AccountRecord, AccountRowId, ApiProfile, ApiProfileId, AuditEntry, DaySpending, KnownGift,
    LockoutPolicy, LoginFailure, MtprotoSession, NewAccount, NewApiProfile, NewTarget,
    NewWebSession, RemainingPoint, RunRecord, SessionTokenHash, StoredReport, UserRecord, Username,
    WebSession, WebSessionId,
};
pub use resale_store::{
    NewWatch, ResaleEntry, ResaleEntryId, ResaleStore, ResaleWatchStore, UserWatch,
    check_resale_move,
};
pub use secret::Secret;
pub use store::{
    CatalogDiff, EngineStore, JournalEntry, JournalKey, JournalStatus, StoreError, UserConfig,
    UserId, UserSettings,
};
pub use telegram::{
    BidRequest, CatalogResponse, ChannelAccess, ChannelInfo, Profile, PurchaseReceipt,
    PurchaseRequest, ResalePage, ResalePurchaseRequest, TelegramAccount,
};
pub use telegram_error::{ErrorClass, TelegramError};
