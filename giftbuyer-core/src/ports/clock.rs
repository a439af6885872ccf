//! The port to time: what time it is, and waiting.

use std::time::Duration;

use async_trait::async_trait;

use crate::UnixTime;

/// A source of time the engine can run on in real or virtual time.
///
/// The simulator and the tests drive a virtual clock, so a drop that takes minutes in the real
/// world runs in milliseconds and always the same way.
#[async_trait]
pub trait Clock: Send + Sync {
    /// Time elapsed since an arbitrary fixed origin; never goes backwards.
    fn elapsed(&self) -> Duration;

    /// The current wall-clock time.
    fn unix_now(&self) -> UnixTime;

    /// Completes after `duration`.
    async fn sleep(&self, duration: Duration);
}
