//! Flood limits: Telegram answers `FLOOD_WAIT_<n>` to an account that calls too often.

use std::collections::VecDeque;
use std::time::Duration;

use giftbuyer_core::ports::TelegramError;

/// How often an account may call before Telegram makes it wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodConfig {
    /// The shortest interval between two `getStarGifts` calls of one account.
    pub catalog_min_interval: Duration,
    /// How long an account that broke a limit must wait.
    pub flood_wait_seconds: u32,
    /// At most this many purchase requests per account in any one second; `None` for no limit.
    pub purchases_per_second: Option<u32>,
    /// The shortest interval between two `getResaleStarGifts` calls of one account. Telegram
    /// limits resale polls at a rate it does not publish; the default of one second is what a
    /// sniper that rotates its accounts must respect.
    pub resale_min_interval: Duration,
}

impl Default for FloodConfig {
    fn default() -> Self {
        Self {
            catalog_min_interval: Duration::from_secs(1),
            flood_wait_seconds: 3,
            purchases_per_second: None,
            resale_min_interval: Duration::from_secs(1),
        }
    }
}

impl FloodConfig {
    /// No limits at all.
    pub const NONE: Self = Self {
        catalog_min_interval: Duration::ZERO,
        flood_wait_seconds: 0,
        purchases_per_second: None,
        resale_min_interval: Duration::ZERO,
    };
}

/// One account's recent calls, as the flood limits need them.
#[derive(Debug, Clone, Default)]
pub(crate) struct FloodState {
    catalog: Interval,
    resale: Interval,
    purchases: VecDeque<Duration>,
    purchase_wait_until: Option<Duration>,
}

impl FloodState {
    /// Admits a catalog call at `now`, or makes the account wait.
    ///
    /// Breaking the interval starts a penalty of `flood_wait_seconds`, and every call during the
    /// penalty is refused with the seconds still left, as Telegram does; a call that waited the
    /// penalty out is admitted again.
    pub(crate) fn admit_catalog(
        &mut self,
        config: &FloodConfig,
        now: Duration,
    ) -> Result<(), TelegramError> {
        self.catalog
            .admit(config.catalog_min_interval, config.flood_wait_seconds, now)
    }

    /// Admits a resale poll at `now` under the same rule, with its own interval.
    pub(crate) fn admit_resale(
        &mut self,
        config: &FloodConfig,
        now: Duration,
    ) -> Result<(), TelegramError> {
        self.resale
            .admit(config.resale_min_interval, config.flood_wait_seconds, now)
    }

    /// Admits a purchase request at `now` under the per-second limit, if there is one.
    pub(crate) fn admit_purchase(
        &mut self,
        config: &FloodConfig,
        now: Duration,
    ) -> Result<(), TelegramError> {
        let Some(limit) = config.purchases_per_second else {
            return Ok(());
        };
        waiting(self.purchase_wait_until, now)?;
        while let Some(&oldest) = self.purchases.front() {
            if now.saturating_sub(oldest) >= Duration::from_secs(1) {
                self.purchases.pop_front();
            } else {
                break;
            }
        }
        if self.purchases.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            let wait = Duration::from_secs(u64::from(config.flood_wait_seconds));
            self.purchase_wait_until = Some(now.saturating_add(wait));
            return Err(TelegramError::FloodWait {
                seconds: config.flood_wait_seconds,
            });
        }
        self.purchases.push_back(now);
        Ok(())
    }
}

/// One method's minimum interval between calls of one account, and the penalty it runs.
#[derive(Debug, Clone, Copy, Default)]
struct Interval {
    last: Option<Duration>,
    wait_until: Option<Duration>,
}

impl Interval {
    fn admit(
        &mut self,
        min_interval: Duration,
        wait_seconds: u32,
        now: Duration,
    ) -> Result<(), TelegramError> {
        waiting(self.wait_until, now)?;
        if let Some(last) = self.last
            && now.saturating_sub(last) < min_interval
        {
            let wait = Duration::from_secs(u64::from(wait_seconds));
            self.wait_until = Some(now.saturating_add(wait));
            return Err(TelegramError::FloodWait {
                seconds: wait_seconds,
            });
        }
        self.last = Some(now);
        Ok(())
    }
}

/// Refuses a call made while a penalty runs, with the whole seconds left (at least one).
fn waiting(until: Option<Duration>, now: Duration) -> Result<(), TelegramError> {
    match until {
        Some(until) if now < until => Err(TelegramError::FloodWait {
            seconds: ceil_secs(until - now),
        }),
        _ => Ok(()),
    }
}

pub(crate) fn ceil_secs(duration: Duration) -> u32 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    u32::try_from(secs.max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn catalog_calls_closer_than_the_interval_wait_out_a_penalty() {
        let config = FloodConfig::default();
        let mut state = FloodState::default();
        assert_eq!(state.admit_catalog(&config, ms(0)), Ok(()));
        assert_eq!(state.admit_catalog(&config, ms(1000)), Ok(()));
        assert_eq!(
            state.admit_catalog(&config, ms(1500)),
            Err(TelegramError::FloodWait { seconds: 3 })
        );
        assert_eq!(
            state.admit_catalog(&config, ms(3000)),
            Err(TelegramError::FloodWait { seconds: 2 })
        );
        assert_eq!(
            state.admit_catalog(&config, ms(4400)),
            Err(TelegramError::FloodWait { seconds: 1 })
        );
        assert_eq!(state.admit_catalog(&config, ms(4500)), Ok(()));
    }

    #[test]
    fn purchases_over_the_per_second_limit_wait() {
        let config = FloodConfig {
            purchases_per_second: Some(2),
            flood_wait_seconds: 1,
            ..FloodConfig::default()
        };
        let mut state = FloodState::default();
        assert_eq!(state.admit_purchase(&config, ms(0)), Ok(()));
        assert_eq!(state.admit_purchase(&config, ms(100)), Ok(()));
        assert_eq!(
            state.admit_purchase(&config, ms(200)),
            Err(TelegramError::FloodWait { seconds: 1 })
        );
        assert_eq!(state.admit_purchase(&config, ms(1200)), Ok(()));
        assert!(
            FloodState::default()
                .admit_purchase(&FloodConfig::default(), ms(0))
                .is_ok()
        );
    }
}
