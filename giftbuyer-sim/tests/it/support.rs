//! Shared test helpers: a virtual clock over tokio's paused time, ids and small markets.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::ports::{
    CatalogResponse, ChannelAccess, Clock, PurchaseRequest, TelegramAccount,
};
use giftbuyer_core::{AccountId, CatalogGift, ChannelId, GiftId, Recipient, Stars, UnixTime};
use giftbuyer_sim::{
    AccountSpec, FloodConfig, Latency, LatencyConfig, Market, MarketConfig, SimAccount,
};
use tokio::time::Instant;

/// The wall time every test market starts at: 2025-11-24 16:00:00 UTC.
pub(crate) const START_UNIX: i64 = 1_764_000_000;

/// The clock port over tokio's timer. Tests run with `start_paused = true`, so sleeping
/// advances virtual time at once when every task waits.
#[derive(Debug)]
pub(crate) struct TestClock {
    origin: Instant,
}

impl TestClock {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            origin: Instant::now(),
        })
    }

    /// Sleeps until `at` after the clock's origin (at once if that has passed).
    pub(crate) async fn advance_to(&self, at: Duration) {
        tokio::time::sleep_until(self.origin + at).await;
    }
}

#[async_trait]
impl Clock for TestClock {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    fn unix_now(&self) -> UnixTime {
        let secs = i64::try_from(self.elapsed().as_secs()).expect("small");
        UnixTime::from_secs(START_UNIX + secs).expect("positive")
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await
    }
}

pub(crate) fn account_id(raw: i64) -> AccountId {
    AccountId::new(raw).expect("valid account id")
}

pub(crate) fn gift_id(raw: i64) -> GiftId {
    GiftId::new(raw).expect("valid gift id")
}

pub(crate) fn channel(n: i64) -> ChannelId {
    ChannelId::new(-1_001_000_000_000 - n).expect("valid channel id")
}

pub(crate) fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

pub(crate) fn unix(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).expect("valid time")
}

/// A config without latency or flood limits, so tests reason about exact instants; tests that
/// need them set them.
pub(crate) fn quiet_config(seed: u64) -> MarketConfig {
    MarketConfig {
        latency: LatencyConfig::uniform(Latency::ZERO),
        flood: FloodConfig::NONE,
        ..MarketConfig::with_seed(seed)
    }
}

/// An account with `balance` stars that can post in channel 1.
pub(crate) fn buyer(id: i64, balance: u64) -> AccountSpec {
    AccountSpec::new(account_id(id), Stars::new(balance))
        .channel(channel(1), ChannelAccess::CanPost)
}

pub(crate) fn start(config: MarketConfig) -> (Market, Arc<TestClock>) {
    let clock = TestClock::new();
    let market = Market::new(config, clock.clone()).expect("valid config");
    (market, clock)
}

pub(crate) fn account(market: &Market, id: i64) -> SimAccount {
    market.account(account_id(id)).expect("known account")
}

pub(crate) fn request(gift: i64, price: u64, channel_n: i64) -> PurchaseRequest {
    PurchaseRequest {
        gift_id: gift_id(gift),
        recipient: Recipient::Channel(channel(channel_n)),
        price: Stars::new(price),
        hide_name: false,
        message: None,
    }
}

/// The catalog an account sees now, with its hash.
pub(crate) async fn catalog(account: &SimAccount) -> (i32, Vec<CatalogGift>) {
    match account.star_gifts(0).await.expect("catalog") {
        CatalogResponse::Catalog { hash, gifts } => (hash, gifts),
        CatalogResponse::NotModified => panic!("a zero hash is never current"),
    }
}

/// A simple buyer: polls the catalog every `poll` and, whenever a limited gift it can see is
/// available, buys it for `target` until an error; stops at `until`.
pub(crate) async fn naive_buyer(
    account: SimAccount,
    target: ChannelId,
    clock: Arc<TestClock>,
    poll: Duration,
    until: Duration,
) {
    let mut hash = 0;
    let mut known: Vec<CatalogGift> = Vec::new();
    while clock.elapsed() < until {
        match account.star_gifts(hash).await {
            Ok(CatalogResponse::Catalog { hash: new, gifts }) => {
                hash = new;
                known = gifts;
            }
            Ok(CatalogResponse::NotModified) | Err(_) => {}
        }
        for gift in known.iter().filter(|gift| gift.check().is_ok()) {
            let price = Stars::from_i64(gift.price).expect("valid");
            let request = PurchaseRequest {
                gift_id: gift_id(gift.id),
                recipient: Recipient::Channel(target),
                price,
                hide_name: false,
                message: None,
            };
            while account.buy_gift(request.clone()).await.is_ok() {}
        }
        tokio::time::sleep(poll).await;
    }
}
