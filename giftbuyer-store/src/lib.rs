//! Persistence for GiftBuyer: SQLite by default, PostgreSQL for several instances against one
//! database, with every secret encrypted at rest.
//!
//! [`Store`] implements the engine's port ([`EngineStore`](giftbuyer_core::ports::EngineStore))
//! and the panel's ([`PanelStore`](giftbuyer_core::ports::PanelStore)), and the resale
//! market's ([`ResaleStore`](giftbuyer_core::ports::ResaleStore) and
//! [`ResaleWatchStore`](giftbuyer_core::ports::ResaleWatchStore)), and gift auctions'
//! ([`BidStore`](giftbuyer_core::ports::BidStore) and
//! [`AuctionPlanStore`](giftbuyer_core::ports::AuctionPlanStore)). The URL picks the
//! backend at run time, and each backend applies its own migrations when it connects:
//!
//! ```no_run
//! # async fn demo() -> Result<(), giftbuyer_store::Error> {
//! use giftbuyer_store::{Store, load_master_key};
//!
//! let (key, _origin) = load_master_key("data/master.key".as_ref())?;
//! let store = Store::connect("sqlite://data/giftbuyer.db", key).await?;
//! let leadership = store.leadership();
//! if leadership.try_acquire().await? {
//!     // Run the engine; call `try_acquire` again every second or two.
//! }
//! # Ok(()) }
//! ```
//!
//! Rules every query module follows:
//! - Queries are plain SQL run at run time (no compile-time checked macros, no database at
//!   build time); rows are mapped by hand, so domain types carry no database derives.
//! - Every statement on user data names the owning user in its `WHERE` clause (or in the
//!   composite foreign key it inserts under); another user's row looks exactly like a missing
//!   one.
//! - Secrets (API hashes, bot tokens, phone numbers, MTProto sessions) are sealed with
//!   XChaCha20-Poly1305 bound to their table, column, user and row (see `crypto.rs`).
//! - Numbers are converted with checks at the boundary: a `u64` above `i64::MAX` is a typed
//!   error, never a wrapped value or a panic.

mod accounts;
mod bids;
mod catalog;
mod channels;
mod connect;
mod crypto;
mod db;
mod engine_store;
mod error;
mod events;
mod history;
mod journal;
mod keyfile;
mod leadership;
mod migrate;
mod recipient_columns;
mod resale;
mod rotate;
mod settings;
mod side_journal;
mod users;
mod vault;

pub use connect::{Store, StoreOptions, migrate};
pub use crypto::MasterKey;
pub use db::Backend;
pub use error::{Error, KeyError};
pub use events::{EVENT_CHANNEL, EventStream, MAX_EVENT_LEN};
pub use keyfile::{
    DEFAULT_KEY_FILE, KeyOrigin, MASTER_KEY_ENV, load_master_key, load_master_key_from,
    read_key_file, write_key_file,
};
pub use leadership::{LEADER_LOCK_KEY, Leadership};
pub use migrate::MigrationReport;
pub use rotate::{RotationReport, rotate_master_key};
pub use users::hash_session_token;
