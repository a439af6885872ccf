//! The port to the resale journal and watches: what the resale sniper reads (every user's
//! watches, with what they have bought) and what it must not lose (each resale purchase, from
//! planned to its outcome).

use async_trait::async_trait;

use super::{JournalStatus, StoreError, UserId};
use crate::ids::positive_id;
use crate::resale::{ResaleWatch, SnipeBuy};
use crate::{UnixTime, ValueError};

positive_id!(
    /// One resale purchase in the journal (the storage key), always positive.
    ResaleEntryId,
    ValueError::ResaleEntryId
);

/// One resale purchase in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResaleEntry {
    pub id: ResaleEntryId,
    pub user_id: UserId,
    pub buy: SnipeBuy,
    pub status: JournalStatus,
    /// Telegram's error name (or the engine's reason) for `Failed` and `Unknown`.
    pub error: Option<String>,
    pub updated_at: UnixTime,
}

/// Refuses a move of resale entry `id` that [`JournalStatus::can_become`] forbids, as every
/// [`ResaleStore::transition_resale`] must, before anything is written.
pub fn check_resale_move(
    id: ResaleEntryId,
    from: JournalStatus,
    to: JournalStatus,
) -> Result<(), StoreError> {
    if from.can_become(to) {
        Ok(())
    } else {
        Err(StoreError::BadResaleTransition {
            id: id.get(),
            from: from.code(),
            to: to.code(),
        })
    }
}

/// A user's watch as the sniper reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWatch {
    pub user_id: UserId,
    /// `bought` counts the watch's journal entries that are planned, sending, bought or
    /// unknown: a purchase that may have happened uses up a copy, a failed one does not.
    pub watch: ResaleWatch,
}

/// Storage of resale watches and the resale journal.
///
/// The journal follows the purchase journal's rules ([`super::EngineStore`]): an entry is
/// recorded as `Planned` before anything is sent and moved to `Sending` by a compare-and-set
/// right before the request goes out, so a purchase is sent at most once even if two engines
/// race or one restarts. On top of that, an item (a slug) is journaled at most once per user
/// unless every earlier entry for it failed: a unique gift cannot be bought twice, and a second
/// attempt after an unknown outcome could pay for it twice.
#[async_trait]
pub trait ResaleStore: Send + Sync {
    /// Every user's watches, oldest first per user, with `bought` filled from the journal.
    async fn resale_watches(&self) -> Result<Vec<UserWatch>, StoreError>;

    /// Records `buy` as `Planned` for `user`; `None` (and nothing recorded) when the user
    /// already has an entry for the same slug that is not `Failed`.
    async fn plan_resale(
        &self,
        user: UserId,
        buy: &SnipeBuy,
        now: UnixTime,
    ) -> Result<Option<ResaleEntryId>, StoreError>;

    /// Moves an entry from `from` to `to` if it is in `from`; returns whether it moved. Moves
    /// that [`JournalStatus::can_become`] forbids are errors.
    async fn transition_resale(
        &self,
        id: ResaleEntryId,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError>;

    /// After a crash: entries left `Sending` become `Unknown` (never resent), entries left
    /// `Planned` become `Failed` with the reason `abandoned`. Returns how many of each.
    async fn recover_resale(&self, now: UnixTime) -> Result<(u64, u64), StoreError>;

    /// A user's resale journal, newest first, at most `limit` entries.
    async fn resale_entries(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<ResaleEntry>, StoreError>;
}

/// A watch to create: everything but its id, which the store assigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWatch {
    pub gift_id: crate::GiftId,
    pub attributes: crate::resale::AttributeFilter,
    pub max_price: crate::Stars,
    pub recipient: crate::resale::Recipient,
    /// In `1..=MAX_WATCH_COPIES`.
    pub copies: u32,
}

/// The user's own watches, as the panel manages them. Every method is scoped to `user`: a watch
/// of another user is not found, never changed.
#[async_trait]
pub trait ResaleWatchStore: Send + Sync {
    /// Creates a watch for `user` and returns it with its id (and `bought` 0).
    async fn create_watch(&self, user: UserId, watch: &NewWatch)
    -> Result<ResaleWatch, StoreError>;

    /// The user's watches, oldest first, with `bought` filled from the journal.
    async fn list_watches(&self, user: UserId) -> Result<Vec<ResaleWatch>, StoreError>;

    /// Deletes one of the user's watches; returns whether it existed. Its journal entries stay.
    async fn delete_watch(
        &self,
        user: UserId,
        watch: crate::resale::WatchId,
    ) -> Result<bool, StoreError>;
}
