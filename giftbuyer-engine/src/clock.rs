//! `TokioClock`: the clock port over tokio's timer, which runs in virtual time when paused.

use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::Clock;
use tokio::time::Instant;

/// Real time in production; virtual time under `tokio::time::pause()`, where sleeping advances
/// the clock instantly once every task is idle.
#[derive(Debug, Clone)]
pub struct TokioClock {
    origin: Instant,
    unix_origin: i64,
}

impl TokioClock {
    /// A clock whose wall time starts at `unix_origin` seconds and advances with tokio's timer.
    /// Servers pass the system time; simulations pass the scenario's start.
    pub fn starting_at(unix_origin: UnixTime) -> Self {
        Self {
            origin: Instant::now(),
            unix_origin: unix_origin.secs(),
        }
    }

    /// A clock on the system's wall time.
    pub fn system() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
            });
        Self::starting_at(UnixTime::from_secs(secs).unwrap_or_default())
    }
}

#[async_trait]
impl Clock for TokioClock {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    fn unix_now(&self) -> UnixTime {
        let elapsed = i64::try_from(self.elapsed().as_secs()).unwrap_or(i64::MAX);
        UnixTime::from_secs(self.unix_origin.saturating_add(elapsed)).unwrap_or_default()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await
    }
}
