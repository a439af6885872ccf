//! Network latency: a round trip per call, split into the request's and the answer's legs.

use std::collections::BTreeMap;
use std::time::Duration;

use giftbuyer_core::AccountId;

use crate::method::Method;
use crate::rng::{SplitMix64, key};

/// Tag that keeps latency draws apart from every other keyed draw.
const LATENCY_TAG: u64 = 0x4C41_5445_4E43_5900;

/// A round trip: a fixed part and a uniform random part in `0..=jitter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub rtt: Duration,
    pub jitter: Duration,
}

impl Latency {
    /// No delay at all, for tests that reason about exact instants.
    pub const ZERO: Self = Self {
        rtt: Duration::ZERO,
        jitter: Duration::ZERO,
    };

    pub const fn new(rtt: Duration, jitter: Duration) -> Self {
        Self { rtt, jitter }
    }
}

/// Round trips for every method, with optional overrides per method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyConfig {
    pub base: Latency,
    /// Methods slower or faster than the base, e.g. a purchase, which takes two requests.
    pub per_method: BTreeMap<Method, Latency>,
}

impl Default for LatencyConfig {
    /// 60 ms plus up to 20 ms: a client close to Telegram's data centre.
    fn default() -> Self {
        Self {
            base: Latency::new(Duration::from_millis(60), Duration::from_millis(20)),
            per_method: BTreeMap::new(),
        }
    }
}

impl LatencyConfig {
    pub const fn uniform(latency: Latency) -> Self {
        Self {
            base: latency,
            per_method: BTreeMap::new(),
        }
    }

    pub fn for_method(&self, method: Method) -> Latency {
        self.per_method.get(&method).copied().unwrap_or(self.base)
    }

    /// The legs of one call: the account's `extra` delay (a slow link) is added to the round
    /// trip, the jitter is drawn from the seed, the method, the account and the call's number.
    pub(crate) fn legs(
        &self,
        seed: u64,
        method: Method,
        account: AccountId,
        call: u64,
        extra: Duration,
    ) -> Legs {
        let latency = self.for_method(method);
        let jitter_us = u64::try_from(latency.jitter.as_micros()).unwrap_or(u64::MAX);
        let mut rng =
            SplitMix64::keyed(seed, &[LATENCY_TAG, method.key(), key(account.get()), call]);
        let jitter = Duration::from_micros(rng.below(jitter_us.saturating_add(1)));
        let total = latency.rtt.saturating_add(jitter).saturating_add(extra);
        let request = total / 2;
        Legs {
            request,
            response: total.saturating_sub(request),
        }
    }
}

/// How long a request travels to the server and how long its answer travels back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Legs {
    pub(crate) request: Duration,
    pub(crate) response: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legs_add_up_to_the_round_trip_within_the_jitter() {
        let config = LatencyConfig::default();
        let account = AccountId::new(5).expect("valid");
        let mut distinct = std::collections::BTreeSet::new();
        for call in 0..200 {
            let legs = config.legs(1, Method::Buy, account, call, Duration::from_millis(100));
            let total = legs.request + legs.response;
            assert!(total >= Duration::from_millis(160), "{total:?}");
            assert!(total <= Duration::from_millis(180), "{total:?}");
            assert!(legs.request <= legs.response);
            distinct.insert(total);
        }
        assert!(distinct.len() > 100, "the jitter varies between calls");
        assert_eq!(
            config.legs(1, Method::Buy, account, 3, Duration::ZERO),
            config.legs(1, Method::Buy, account, 3, Duration::ZERO)
        );
    }

    #[test]
    fn per_method_overrides_replace_the_base() {
        let mut config = LatencyConfig::uniform(Latency::ZERO);
        config.per_method.insert(
            Method::Buy,
            Latency::new(Duration::from_millis(100), Duration::ZERO),
        );
        let account = AccountId::new(5).expect("valid");
        let buy = config.legs(0, Method::Buy, account, 1, Duration::ZERO);
        let catalog = config.legs(0, Method::Catalog, account, 1, Duration::ZERO);
        assert_eq!(buy.request + buy.response, Duration::from_millis(100));
        assert_eq!(catalog.request + catalog.response, Duration::ZERO);
    }
}
