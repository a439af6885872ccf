//! A simulated Telegram star gift market, for running and testing GiftBuyer without Telegram.
//!
//! A [`Market`] holds a catalog of gifts, scheduled drops, competing buyers who empty a drop
//! along a curve calibrated on real drops, and accounts with balances, Premium and channel
//! rights. Each account is a [`SimAccount`], which implements the core's
//! [`TelegramAccount`](giftbuyer_core::ports::TelegramAccount) port with Telegram's rules:
//! `getStarGifts` hashes and `NotModified`, purchase checks in Telegram's order, flood waits,
//! latency, and faults injected on purpose. [`SimBot`] stands in for the notification bot.
//!
//! Everything runs on the caller's [`Clock`](giftbuyer_core::ports::Clock) and a seed: on a
//! virtual clock a drop that takes half an hour runs in milliseconds, and the same seed always
//! gives the same purchases.
//!
//! [`SimLogin`] logs accounts in to the market through the core's `TelegramLogin` port, as the
//! panel does with real Telegram.
//!
//! Gifts sold by auction run their rounds on the market's clock against seeded competing
//! bidders; accounts read an auction's state and place or raise bids through the same port.
//!
//! Markets are built in code from a [`MarketConfig`] or read from a drop file
//! ([`drop_file`]).

mod account;
mod auction;
mod bot;
mod catalog;
mod competitors;
mod config;
mod connector;
pub mod demo;
pub mod drop_file;
mod faults;
mod flood;
mod latency;
mod login;
pub mod lottie;
mod market;
mod method;
mod purchase;
mod resale;
mod rng;
mod sim_login;

pub use account::{AccountSpec, SimAccount, TwoFactor};
pub use auction::{
    AUCTION_TIMEOUT_SECS, AuctionBid, AuctionReturn, AuctionSnapshot, AuctionSpec, AuctionWin,
    Bidder, CompetingBidders, MAX_AUCTION_ROUNDS, MAX_COMPETING_BIDDERS, RoundExtension,
    StandingBid,
};
pub use bot::{BotConfig, BotContent, BotDelivery, SimBot};
pub use catalog::{Demand, GiftSpec};
pub use competitors::{CompetitorConfig, sellout_time};
pub use config::{ConfigError, MarketConfig};
pub use connector::SimConnector;
pub use drop_file::{DropFile, DropFileError};
pub use faults::{Fault, FaultAction, FaultId, FaultWhen};
pub use flood::FloodConfig;
pub use latency::{Latency, LatencyConfig};
pub use login::{LoginConfig, LoginError, SentCode, normalize_phone};
pub use market::{GiftSnapshot, Market, Purchase};
pub use method::Method;
pub use resale::{MAX_RESALE_PAGE, ResalePurchase, ResaleSpec};
pub use rng::SplitMix64;
pub use sim_login::{CodeObserver, DEFAULT_MAX_PENDING_PER_USER, SIM_SESSION_PREFIX, SimLogin};
