//! GiftBuyer's pure core: the gift and target model, the autobuy planner and its reports.
//!
//! Nothing here performs I/O or reads a clock; time and outcomes are passed in. Frontends and
//! adapters (storage, Telegram, HTTP) depend on this crate, never the other way round.
//!
//! ```
//! use giftbuyer_core::*;
//!
//! let account = Account { id: AccountId::new(1337)?, balance: Stars::new(100), premium: true };
//! let channel = Target {
//!     row_id: TargetRowId::new(1)?,
//!     recipient: Recipient::Channel(ChannelId::new(-1001234567890)?),
//!     filter: TargetFilter::default(),
//!     exclude: ExcludeList::EMPTY,
//!     title: None,
//! };
//! let gift = CatalogGift {
//!     id: 123456, price: 25, limited: true, supply: Some(1000), remaining: Some(1000),
//!     ..CatalogGift::default()
//! };
//! let input = PlanInput::new(vec![account], vec![channel], vec![gift])?;
//! let plan = plan(&input, UnixTime::from_secs(1_764_000_000)?);
//! assert_eq!(plan.operations.len(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod account;
pub mod auction;
pub mod bidding;
mod error;
mod exclude;
pub mod execution;
mod gift;
mod ids;
mod plan;
mod planner;
pub mod ports;
mod recipient;
pub mod report;
pub mod resale;
mod stars;
mod target;
mod time;

pub use account::Account;
pub use error::ValueError;
pub use exclude::{ExcludeList, GiftKind, GiftKinds, MAX_EXCLUDED_GIFTS};
pub use gift::{CatalogGift, GiftAuction, GiftDefect, LimitedGift, StickerRef};
pub use ids::{AccountId, ChannelId, GiftId, TargetRowId};
pub use plan::{Deferred, Operation, Plan, Skip, SkipReason};
pub use planner::{MAX_OPERATIONS, PlanInput, PlanInputError, Priority, UnknownPriority, plan};
pub use recipient::{MAX_USERNAME_CHARS, Recipient, TelegramUsername};
pub use stars::Stars;
pub use target::{Bounds, Target, TargetFilter, TargetRanking};
pub use time::UnixTime;
