//! An in-memory rate limiter keyed by client address or username, with a bounded number of
//! tracked keys.
//!
//! It is a token bucket written as GCRA (the generic cell rate algorithm): each key keeps one
//! instant, the "theoretical arrival time" at which its bucket would be full again. That is a
//! single `Duration` per key, and a key whose instant has passed is exactly as good as a key
//! never seen, which is what makes evicting it safe.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::state::RateLimit;

#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    max_keys: usize,
    /// Per key, when its bucket is full again (on the clock's monotonic `elapsed` scale).
    full_at: Mutex<HashMap<String, Duration>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit, max_keys: usize) -> Self {
        Self {
            limit,
            max_keys,
            full_at: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one attempt of `key` at `now`, or says in how many seconds (at least one) the
    /// next attempt is allowed.
    pub(crate) fn check(&self, key: &str, now: Duration) -> Result<(), u64> {
        let interval = self.limit.refill_every;
        // A full bucket may run `burst - 1` intervals ahead of now and still take one more.
        let tolerance = interval.saturating_mul(self.limit.burst.saturating_sub(1));
        let mut map = self.full_at.lock().unwrap_or_else(PoisonError::into_inner);
        let full_at = map.get(key).copied().unwrap_or(now).max(now);
        let ahead = full_at - now;
        if ahead > tolerance {
            let wait = ahead - tolerance;
            return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        }
        if !map.contains_key(key) && map.len() >= self.max_keys {
            evict(&mut map, now, self.max_keys);
        }
        map.insert(key.to_owned(), full_at + interval);
        Ok(())
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.full_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Makes room for one key: first forget every key whose bucket is full again (they hold no
/// information), and if all are still limited, the one that is closest to full. Under a flood
/// of distinct keys this forgets the least-limited one, never refuses a newcomer.
fn evict(map: &mut HashMap<String, Duration>, now: Duration, max_keys: usize) {
    map.retain(|_, full_at| *full_at > now);
    if map.len() >= max_keys {
        let closest_to_full = map
            .iter()
            .min_by_key(|(_, full_at)| **full_at)
            .map(|(key, _)| key.clone());
        if let Some(key) = closest_to_full {
            map.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, secs: u64, max_keys: usize) -> RateLimiter {
        RateLimiter::new(
            RateLimit {
                burst,
                refill_every: Duration::from_secs(secs),
            },
            max_keys,
        )
    }

    const fn at(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn allows_a_burst_then_one_per_interval() {
        let limiter = limiter(3, 10, 100);
        for _ in 0..3 {
            assert_eq!(limiter.check("a", at(0)), Ok(()));
        }
        assert_eq!(limiter.check("a", at(0)), Err(10));
        assert_eq!(limiter.check("a", at(4)), Err(6));
        assert_eq!(limiter.check("b", at(4)), Ok(()), "keys are independent");
        assert_eq!(limiter.check("a", at(10)), Ok(()));
        assert_eq!(limiter.check("a", at(10)), Err(10));
        assert_eq!(limiter.check("a", at(100)), Ok(()));
        assert_eq!(limiter.check("a", at(100)), Ok(()));
        assert_eq!(limiter.check("a", at(100)), Ok(()));
        assert_eq!(limiter.check("a", at(100)), Err(10));
    }

    #[test]
    fn refused_attempts_do_not_extend_the_wait() {
        let limiter = limiter(1, 10, 100);
        assert_eq!(limiter.check("a", at(0)), Ok(()));
        for _ in 0..100 {
            assert_eq!(limiter.check("a", at(5)), Err(5));
        }
        assert_eq!(limiter.check("a", at(10)), Ok(()));
    }

    #[test]
    fn rounds_the_wait_up_to_whole_seconds() {
        let limiter = limiter(1, 10, 100);
        assert_eq!(limiter.check("a", Duration::ZERO), Ok(()));
        assert_eq!(limiter.check("a", Duration::from_millis(9_500)), Err(1));
    }

    #[test]
    fn tracks_a_bounded_number_of_keys() {
        let limiter = limiter(1, 60, 3);
        for (i, key) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            assert_eq!(limiter.check(key, at(i as u64)), Ok(()));
            assert!(limiter.tracked() <= 3);
        }
        assert_eq!(limiter.check("e", at(5)), Err(59), "the newest key is kept");
        assert_eq!(
            limiter.check("a", at(5)),
            Ok(()),
            "the oldest key was forgotten"
        );
    }
}
