//! Auction bidding plans: what a user allows the bidder to do in one gift's auction (for whom,
//! up to which bid, how many gifts), and the pure rule that turns a plan, the auction's state
//! and the money left into the next bid.
//!
//! Bidding commits stars before anything is won, so it is off until the user asks for it: a
//! user's bidding budget starts at zero, and nothing is bid beyond it, beyond a plan's maximum
//! or beyond the account's balance.

use std::fmt;
use std::time::Duration;

use crate::auction::{
    AuctionState, BidDecision, BidLimits, BidderState, HoldReason, bidder_position, next_bid,
};
use crate::ids::positive_id;
use crate::ports::ErrorClass;
use crate::resale::Recipient;
use crate::{GiftId, Stars, UnixTime, ValueError};

/// The most gifts one plan may want from one auction: one account wins at most one gift per
/// round, and a bound keeps a typo from committing stars round after round.
pub const MAX_AUCTION_WANTED: u32 = 10;

positive_id!(
    /// Identifier of one of the user's auction plans (the storage key), always positive.
    AuctionPlanId,
    ValueError::AuctionPlanId
);

/// Why an auction plan could not be built from raw values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuctionPlanError {
    #[error("plan id must be positive, got {0}")]
    Id(i64),
    #[error("gift id must be positive, got {0}")]
    GiftId(i64),
    #[error("max_bid must be positive")]
    ZeroMaxBid,
    #[error("wanted must be between 1 and {MAX_AUCTION_WANTED}, got {0}")]
    Wanted(i64),
}

/// A user's order to bid in one gift's auction: at most `max_bid` stars in total per bid, for
/// `recipient`, until `wanted` gifts were won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuctionPlan {
    pub id: AuctionPlanId,
    pub gift_id: GiftId,
    /// The most any bid of this plan may total; never exceeded, whatever the auction does.
    pub max_bid: Stars,
    pub recipient: Recipient,
    /// How many gifts to win, in `1..=MAX_AUCTION_WANTED`.
    pub wanted: u32,
}

impl AuctionPlan {
    /// A plan from raw values, each checked.
    pub fn new(
        id: i64,
        gift_id: i64,
        max_bid: Stars,
        recipient: Recipient,
        wanted: i64,
    ) -> Result<Self, AuctionPlanError> {
        let id = AuctionPlanId::new(id).map_err(|_| AuctionPlanError::Id(id))?;
        let gift_id = GiftId::new(gift_id).map_err(|_| AuctionPlanError::GiftId(gift_id))?;
        if max_bid == Stars::ZERO {
            return Err(AuctionPlanError::ZeroMaxBid);
        }
        let wanted = check_wanted(wanted)?;
        Ok(Self {
            id,
            gift_id,
            max_bid,
            recipient,
            wanted,
        })
    }
}

/// Checks a plan's `wanted` count.
pub fn check_wanted(wanted: i64) -> Result<u32, AuctionPlanError> {
    u32::try_from(wanted)
        .ok()
        .filter(|wanted| (1..=MAX_AUCTION_WANTED).contains(wanted))
        .ok_or(AuctionPlanError::Wanted(wanted))
}

/// The money around one decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BidMoney {
    /// The user's bidding budget: the most all their bids together may hold at once.
    pub budget: Stars,
    /// What all the user's bids hold now, this plan's standing bid included. A bid whose
    /// outcome is unknown counts as held: it may stand.
    pub committed: Stars,
    /// The bidding account's star balance.
    pub balance: Stars,
}

/// Why [`decide_bid`] holds, beyond [`HoldReason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BidHold {
    /// The user's budget is zero: bidding is off.
    Off,
    Rule(HoldReason),
}

impl BidHold {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Rule(reason) => reason.code(),
        }
    }
}

impl fmt::Display for BidHold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Decides the next bid of `plan` at `now`.
///
/// The bidder's rank comes from [`bidder_position`] (pessimistic), the limits from the plan's
/// maximum and wanted count, and the stars it may still commit beyond its standing bid are the
/// budget less what the user's bids hold, and never more than the balance (a raise is charged
/// the difference). Then [`next_bid`] decides.
pub fn decide_bid(
    plan: &AuctionPlan,
    state: &AuctionState,
    bidder: &BidderState,
    money: BidMoney,
    now: UnixTime,
) -> Result<(Stars, bool), BidHold> {
    if money.budget == Stars::ZERO {
        return Err(BidHold::Off);
    }
    let position = match (bidder.bid, bidder.bid_date) {
        (Some(bid), Some(date)) if !bidder.returned => bidder_position(&state.levels, bid, date),
        _ => None,
    };
    let limits = BidLimits {
        max_bid: plan.max_bid,
        budget_left: money
            .budget
            .saturating_sub(money.committed)
            .min(money.balance),
        wanted: plan.wanted,
    };
    match next_bid(state, state.gifts_per_round, bidder, &limits, position, now) {
        BidDecision::Bid { total, raise } => Ok((total, raise)),
        BidDecision::Hold(reason) => Err(BidHold::Rule(reason)),
    }
}

/// How long a plan waits after a refusal that cannot change soon: the recipient refused (a
/// channel closed to star gifts, one the account may not post in, a username nobody holds),
/// or the gift is closed to the account or to everyone. The user has to act first.
pub const REFUSED_RECIPIENT_WAIT: Duration = Duration::from_secs(600);

/// The first wait after any other refusal; each refusal in a row doubles it.
pub const REFUSAL_FIRST_WAIT: Duration = Duration::from_secs(5);

/// The longest wait after refusals of the doubling kind.
pub const REFUSAL_MAX_WAIT: Duration = Duration::from_secs(300);

/// How long a plan waits before it may bid again after Telegram refused its bid, by the
/// refusal's class and how many refusals in a row came before this one (0 for the first).
///
/// Without a wait, a refused bid would be decided again on the next tick, a second later, and
/// refused again: a request and a report every second for as long as the cause lasts. A flood
/// wait is Telegram's own figure. Refusals that say nothing about the cause double from
/// [`REFUSAL_FIRST_WAIT`] up to [`REFUSAL_MAX_WAIT`]. An uncertain outcome is no refusal: the bid
/// may stand, so it waits for nothing here (the journal keeps it from being sent again).
pub fn refusal_wait(class: ErrorClass, streak: u32) -> Duration {
    match class {
        ErrorClass::Recipient | ErrorClass::GiftClosedForAccount | ErrorClass::GiftGone => {
            REFUSED_RECIPIENT_WAIT
        }
        ErrorClass::Flood(seconds) => Duration::from_secs(u64::from(seconds)),
        ErrorClass::Uncertain => Duration::ZERO,
        ErrorClass::AccountStopped | ErrorClass::RetryNow | ErrorClass::Other => {
            let doubled = REFUSAL_FIRST_WAIT.saturating_mul(1_u32 << streak.min(16));
            doubled.min(REFUSAL_MAX_WAIT)
        }
    }
}
