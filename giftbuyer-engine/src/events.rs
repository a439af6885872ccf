//! Events the engine publishes: catalog changes, purchases and finished runs, for live streams
//! (the panel's SSE), metrics and simulations.

use std::time::{Duration, Instant};

use giftbuyer_core::ports::UserId;
use giftbuyer_core::report::Outcome;
use giftbuyer_core::{AccountId, CatalogGift, ChannelId, GiftId};

/// Something the engine did. `at` is the engine clock's elapsed time (virtual in simulations);
/// `wall` is the process's real monotonic time, for measuring the engine's own latency.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    CatalogReceived {
        account: AccountId,
        gifts: usize,
        at: Duration,
        wall: Instant,
    },
    /// The first catalog ever was recorded; nothing is bought from it.
    Seeded {
        gifts: usize,
        at: Duration,
    },
    NewGifts {
        gifts: Vec<CatalogGift>,
        at: Duration,
    },
    SoldOut {
        gifts: Vec<GiftId>,
        at: Duration,
    },
    PollFailed {
        account: AccountId,
        error: String,
        at: Duration,
    },
    PurchaseSending {
        user: UserId,
        account: AccountId,
        gift: GiftId,
        channel: ChannelId,
        at: Duration,
        wall: Instant,
    },
    PurchaseDone {
        user: UserId,
        account: AccountId,
        gift: GiftId,
        channel: ChannelId,
        outcome: Outcome,
        at: Duration,
    },
    RunFinished(RunSummary),
}

/// One finished autobuy run of one user.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub user: UserId,
    pub run_id: i64,
    pub bought: u64,
    pub failed: u64,
    pub unknown: u64,
    pub stars_spent: u64,
    pub report: String,
}
