//! The port to the bid journal and auction plans: what the bidder reads (every user's plans
//! and budget, with what their bids hold) and what it must not lose (each bid, from planned to
//! its outcome).

use async_trait::async_trait;

use super::{JournalStatus, StoreError, UserId};
use crate::bidding::{AuctionPlan, AuctionPlanId};
use crate::ids::positive_id;
use crate::resale::Recipient;
use crate::{AccountId, GiftId, Stars, UnixTime, ValueError};

positive_id!(
    /// One bid in the journal (the storage key), always positive.
    BidEntryId,
    ValueError::BidEntryId
);

/// A bid about to be journaled: which plan, which account, which total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBid {
    pub plan_id: AuctionPlanId,
    pub gift_id: GiftId,
    pub account_id: AccountId,
    pub recipient: Recipient,
    /// The bid's new total.
    pub total: Stars,
    /// The total that stood before (a raise), if any.
    pub standing: Option<Stars>,
}

impl PlannedBid {
    /// Whether this bid raises a standing one (`update_bid`).
    pub fn raise(&self) -> bool {
        self.standing.is_some()
    }
}

/// One bid in the journal. `Bought` means the bid was placed (Telegram took the stars).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidEntry {
    pub id: BidEntryId,
    pub user_id: UserId,
    pub bid: PlannedBid,
    pub status: JournalStatus,
    /// Telegram's error name (or the engine's reason) for `Failed` and `Unknown`.
    pub error: Option<String>,
    pub updated_at: UnixTime,
}

/// Refuses a move of bid `id` that [`JournalStatus::can_become`] forbids, as every
/// [`BidStore::transition_bid`] must, before anything is written.
pub fn check_bid_move(
    id: BidEntryId,
    from: JournalStatus,
    to: JournalStatus,
) -> Result<(), StoreError> {
    if from.can_become(to) {
        Ok(())
    } else {
        Err(StoreError::BadBidTransition {
            id: id.get(),
            from: from.code(),
            to: to.code(),
        })
    }
}

/// A user's plan as the bidder reads it, with the user's money around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAuctionPlan {
    pub user_id: UserId,
    pub plan: AuctionPlan,
    /// The user's bidding budget (zero: bidding is off).
    pub budget: Stars,
    /// What all the user's bids have spent or hold. Bids form chains: a first bid and the
    /// raises of it from the same account. Each chain counts its highest total that is not
    /// `Failed` (placed, sending, planned or unknown: an unknown bid may stand). A chain whose
    /// bid won was spent, and one whose bid was returned keeps counting too, which errs on the
    /// side of spending less.
    pub committed: Stars,
    /// The account this plan bids from: the one of its newest bid that did not fail, so a
    /// standing bid is always raised from the account that placed it.
    pub account_id: Option<AccountId>,
}

/// Storage of auction plans and the bid journal.
///
/// The journal follows the purchase journal's rules ([`super::EngineStore`]): a bid is
/// recorded as `Planned` before anything is sent and moved to `Sending` by a compare-and-set
/// right before the request goes out. On top of that, for one user, account and gift:
/// - a total is journaled at most once unless every earlier entry with it failed, so the same
///   bid is never sent twice, even after a crash;
/// - no bid is journaled while another is `Planned` or `Sending`, so two bids never race;
/// - a total above the plan's maximum is refused by the store itself, whatever the caller
///   computed.
#[async_trait]
pub trait BidStore: Send + Sync {
    /// Every user's plans, oldest first per user.
    async fn auction_plans(&self) -> Result<Vec<UserAuctionPlan>, StoreError>;

    /// Records `bid` as `Planned` for `user`; `None` (and nothing recorded) when a rule above
    /// refuses it or the plan is gone.
    async fn plan_bid(
        &self,
        user: UserId,
        bid: &PlannedBid,
        now: UnixTime,
    ) -> Result<Option<BidEntryId>, StoreError>;

    /// Moves a bid from `from` to `to` if it is in `from`; returns whether it moved. Moves
    /// that [`JournalStatus::can_become`] forbids are errors.
    async fn transition_bid(
        &self,
        id: BidEntryId,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError>;

    /// After a crash: bids left `Sending` become `Unknown` (never resent), bids left `Planned`
    /// become `Failed` with the reason `abandoned`. Returns how many of each.
    async fn recover_bids(&self, now: UnixTime) -> Result<(u64, u64), StoreError>;

    /// A user's bids, newest first, at most `limit`.
    async fn bid_entries(&self, user: UserId, limit: u32) -> Result<Vec<BidEntry>, StoreError>;
}

/// A plan to create: everything but its id, which the store assigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuctionPlan {
    pub gift_id: GiftId,
    pub max_bid: Stars,
    pub recipient: Recipient,
    /// In `1..=MAX_AUCTION_WANTED`.
    pub wanted: u32,
}

/// The user's own plans and budget, as the panel manages them. Every method is scoped to
/// `user`: a plan of another user is not found, never changed.
#[async_trait]
pub trait AuctionPlanStore: Send + Sync {
    /// Creates a plan for `user` and returns it with its id.
    async fn create_auction_plan(
        &self,
        user: UserId,
        plan: &NewAuctionPlan,
    ) -> Result<AuctionPlan, StoreError>;

    /// The user's plans, oldest first.
    async fn list_auction_plans(&self, user: UserId) -> Result<Vec<AuctionPlan>, StoreError>;

    /// Deletes one of the user's plans; returns whether it existed. Its bids stay journaled
    /// (and keep counting against the budget while they may stand).
    async fn delete_auction_plan(
        &self,
        user: UserId,
        plan: AuctionPlanId,
    ) -> Result<bool, StoreError>;

    /// The user's bidding budget; zero until set.
    async fn bid_budget(&self, user: UserId) -> Result<Stars, StoreError>;

    /// Sets the user's bidding budget (zero turns bidding off).
    async fn set_bid_budget(&self, user: UserId, budget: Stars) -> Result<(), StoreError>;
}
