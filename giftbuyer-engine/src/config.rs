//! Engine settings, with the defaults a production deployment starts from.

use std::time::Duration;

use giftbuyer_core::execution::ExecutionPolicy;

/// How the engine buys: the real engine, or the original GiftBuyer's behaviour as a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Polls staggered across every account, accounts buy concurrently, stops on sold-out.
    #[default]
    Engine,
    /// The original Python GiftBuyer: one account polls every 3 s in rotation, purchases are
    /// strictly sequential with at least 0.7 s between calls of an account, and a sold-out gift
    /// does not stop the remaining purchases.
    Sequential,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    pub strategy: Strategy,
    /// Each account polls the catalog this often; with N accounts polls are staggered, so the
    /// catalog is read every `poll_interval / N`. The sequential strategy ignores the stagger.
    pub poll_interval: Duration,
    /// How long users, accounts, channels and settings are cached before a reload.
    pub reload_ttl: Duration,
    /// Balances older than this are fetched again before planning. Fetching costs a round trip
    /// per account at the moment speed matters most, so fresh-enough cached balances are used
    /// and Telegram's `BALANCE_TOO_LOW` guards the rest.
    pub balance_max_age: Duration,
    /// A purchase without an answer after this long is recorded as `unknown` and not resent.
    pub purchase_timeout: Duration,
    /// Timeout of every other call (catalog, balance, profile, stickers, bot).
    pub call_timeout: Duration,
    /// Minimum time between two calls of one account (the sequential baseline uses 0.7 s).
    pub min_call_gap: Duration,
    /// How often an engine with a leader election checks (or tries to take) the leadership.
    pub leader_check: Duration,
    pub execution: ExecutionPolicy,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            strategy: Strategy::Engine,
            poll_interval: Duration::from_secs(1),
            reload_ttl: Duration::from_secs(60),
            balance_max_age: Duration::from_secs(60),
            purchase_timeout: Duration::from_secs(15),
            call_timeout: Duration::from_secs(10),
            min_call_gap: Duration::ZERO,
            leader_check: Duration::from_secs(2),
            execution: ExecutionPolicy::default(),
        }
    }
}

impl EngineConfig {
    /// The original GiftBuyer's settings, for comparisons.
    pub fn sequential() -> Self {
        Self {
            strategy: Strategy::Sequential,
            poll_interval: Duration::from_secs(3),
            min_call_gap: Duration::from_millis(700),
            execution: ExecutionPolicy {
                stop_on_sold_out: false,
                ..ExecutionPolicy::default()
            },
            ..Self::default()
        }
    }

    /// Time between two catalog polls with `pollers` accounts available.
    pub fn poll_gap(&self, pollers: usize) -> Duration {
        match self.strategy {
            Strategy::Sequential => self.poll_interval,
            Strategy::Engine => {
                let pollers = u32::try_from(pollers.max(1)).unwrap_or(u32::MAX);
                self.poll_interval / pollers
            }
        }
    }
}
