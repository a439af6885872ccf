//! GiftBuyer's autobuy engine: watches the gift catalog through the user's Telegram accounts
//! and buys new limited gifts, running the core's planner and execution rules over its ports.
//!
//! The engine is driven either step by step with [`Engine::tick`] (tests, simulations) or by
//! [`Engine::run`] / [`spawn_supervised`] in a server. All waiting goes through the
//! [`Clock`](giftbuyer_core::ports::Clock) port, so a paused tokio clock runs it in virtual time.

mod bid_guard;
mod bidder;
mod buyer;
mod catalog_view;
mod clock;
mod config;
mod engine;
mod events;
mod manual;
mod memory_bids;
mod memory_store;
mod notify;
mod revoked;
mod rotation;
mod runs_gate;
mod side_workers;
mod sniper;
mod supervisor;

pub use bidder::{AuctionBidder, BidTick, BidderConfig};
pub use clock::TokioClock;
pub use config::{EngineConfig, Strategy};
pub use engine::{Engine, EngineError, PollOutcome, PollStats, TickReport};
pub use events::{EngineEvent, RunSummary};
pub use manual::{KnownCatalog, ManualBuyError, ManualBuyOutcome, ManualBuyResult};
pub use memory_store::MemoryStore;
pub use sniper::{ResaleSniper, SnipeTick, SniperConfig};
pub use supervisor::{EngineHandle, spawn_supervised};
