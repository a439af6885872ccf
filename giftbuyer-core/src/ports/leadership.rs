//! The port that decides which of several instances runs the engine.

use async_trait::async_trait;

use super::StoreError;

/// Leader election among instances sharing one database. Only the leader polls the catalog and
/// buys: two engines acting on the same new gift would plan the same stars twice.
#[async_trait]
pub trait LeaderElection: Send + Sync {
    /// Becomes the leader if no instance is, or confirms that this one still is. Returns
    /// whether this instance leads now. Called periodically, so a follower takes over soon
    /// after the leader is gone, and a leader that lost its claim stops.
    async fn try_lead(&self) -> Result<bool, StoreError>;
}
