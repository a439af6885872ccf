//! Gift auctions: an auction's state and a bidder's own state as Telegram reports them, and the
//! pure rule that decides the next bid.
//!
//! Since layer 218 new collectible gifts are released through Stars auctions held over several
//! rounds: each round hands `gifts_per_round` gifts to its top bidders, bids carry over between
//! rounds, and a bid that falls out of reach is `returned`. A bid is a total (raising one sends
//! the new total with `update_bid`), so the money at stake is the total, never the difference.

use std::fmt;

use crate::{Stars, UnixTime};

/// How far down the bids a position is: 1 is the highest bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BidLevel {
    /// `auctionBidLevel.pos`, from 1.
    pub pos: u32,
    /// The bid at that position, in stars.
    pub amount: Stars,
    /// When that bid was placed; of two equal bids the earlier ranks higher.
    pub date: UnixTime,
}

/// `starGiftAuctionRound` and `starGiftAuctionRoundExtendable`: how long a round lasts and, for
/// an extendable one, how a late bid that reaches the top extends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuctionRound {
    pub num: u32,
    pub duration_secs: u32,
    /// `(extend_top, extend_window)`: a bid that changes the top `extend_top` adds
    /// `extend_window` seconds.
    pub extend: Option<(u32, u32)>,
}

/// A running auction (`starGiftAuctionState`), already checked by the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuctionState {
    /// Grows with every change; an older state than one already applied is ignored.
    pub version: i32,
    pub start_date: UnixTime,
    pub end_date: UnixTime,
    /// The least a first bid may be.
    pub min_bid: Stars,
    /// Sparse levels of the current bids, by position.
    pub levels: Vec<BidLevel>,
    pub gifts_left: u32,
    pub current_round: u32,
    pub total_rounds: u32,
    pub next_round_at: UnixTime,
    pub rounds: Vec<AuctionRound>,
    /// Gifts each round hands to its top bidders, from the answer's `starGift`; 0 when the
    /// answer did not say, which [`next_bid`] refuses to bid on.
    pub gifts_per_round: u32,
}

/// What Telegram says of the bidder's own bid (`starGiftAuctionUserState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BidderState {
    /// The current total bid, if any.
    pub bid: Option<Stars>,
    /// When the current bid was placed (or last raised).
    pub bid_date: Option<UnixTime>,
    /// The least the next total may be once a bid stands.
    pub min_bid: Option<Stars>,
    /// The bid fell out of reach and its stars came back.
    pub returned: bool,
    /// Gifts this bidder has won in the auction so far.
    pub acquired: u32,
}

/// What `payments.getStarGiftAuctionState` answered, checked by the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuctionAnswer {
    /// The state is still the `version` that was sent.
    NotModified {
        bidder: BidderState,
        timeout_secs: u32,
    },
    Running {
        state: AuctionState,
        bidder: BidderState,
        /// For how long this call subscribed the account to the auction's updates; call again
        /// before it runs out to stay subscribed.
        timeout_secs: u32,
    },
    /// The auction ended; no bid can be placed.
    Finished { bidder: BidderState },
}

impl AuctionAnswer {
    /// The bidder's own state, whatever the auction's.
    pub fn bidder(&self) -> &BidderState {
        match self {
            Self::NotModified { bidder, .. }
            | Self::Running { bidder, .. }
            | Self::Finished { bidder } => bidder,
        }
    }
}

/// The lowest position (largest number) a standing bid of `bid` placed at `date` can have, as
/// far as the sparse levels prove; `None` when no level proves any bound.
///
/// Telegram does not say where the bidder ranks, only the levels. A level whose bid ranks
/// below ours (a smaller amount, or the same amount placed later) proves we are above its
/// position; a level with our exact amount and date is taken to be our own bid. The bound is
/// pessimistic on purpose: a bidder that thinks it is losing raises (within its maximum), while
/// one that wrongly thinks it is winning would lose the slot.
pub fn bidder_position(levels: &[BidLevel], bid: Stars, date: UnixTime) -> Option<u32> {
    levels
        .iter()
        .filter_map(|level| {
            if level.amount == bid && level.date == date {
                Some(level.pos)
            } else if level.amount < bid || (level.amount == bid && level.date > date) {
                Some(level.pos.saturating_sub(1).max(1))
            } else {
                None
            }
        })
        .min()
}

/// The bidder's limits, from the user's settings: nothing above them is ever sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BidLimits {
    /// The most the total bid may be.
    pub max_bid: Stars,
    /// Stars the account may still commit in this auction beyond its current bid (the user's
    /// budget, less what other bids hold, and never more than the balance).
    pub budget_left: Stars,
    /// Gifts wanted in all; no bid once this many were won.
    pub wanted: u32,
}

/// Why no bid is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HoldReason {
    /// The auction has not started at `now`.
    NotStarted,
    /// It has ended, or no gift is left.
    Over,
    /// As many gifts as wanted were won.
    Done,
    /// The standing bid already wins a slot in this round.
    Winning,
    /// Winning a slot would need more than the maximum bid.
    AboveMax,
    /// Winning a slot would commit more stars than the budget has left.
    OverBudget,
    /// The auction gives no gift per round (a state GiftBuyer cannot bid in safely).
    NoSlots,
}

impl HoldReason {
    pub const fn code(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Over => "over",
            Self::Done => "done",
            Self::Winning => "winning",
            Self::AboveMax => "above_max",
            Self::OverBudget => "over_budget",
            Self::NoSlots => "no_slots",
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidDecision {
    /// Send this total; `raise` when a bid already stands (`update_bid`).
    Bid {
        total: Stars,
        raise: bool,
    },
    Hold(HoldReason),
}

/// The least total that places a bid among the top `slots` as far as the levels show, or
/// `None` when any bid at or above the minimum does.
///
/// A new bid equal to a standing one ranks after it (the earlier bid wins a tie), so the bid
/// must be one star above the level it has to pass:
/// - position `slots` is listed: one star above it;
/// - no listed position reaches `slots`: fewer bids stand than there are slots, so `None`;
/// - the levels skip position `slots`: one star above the nearest listed position before it,
///   which may cost more than the exact level but never loses the slot. (Passing the next
///   listed position after it would be cheaper, but could lose the slot.)
///
/// The bidder re-evaluates on every new state, so a bid that turns out too low is raised on the
/// next one, within the maximum.
pub fn winning_total(levels: &[BidLevel], slots: u32) -> Option<Stars> {
    if let Some(exact) = levels.iter().find(|level| level.pos == slots) {
        return Some(exact.amount.saturating_add(Stars::new(1)));
    }
    if !levels.iter().any(|level| level.pos > slots) {
        return None;
    }
    levels
        .iter()
        .filter(|level| level.pos < slots)
        .max_by_key(|level| level.pos)
        .map(|level| level.amount.saturating_add(Stars::new(1)))
}

/// Decides the next bid of one bidder in one auction at `now`.
///
/// 1. Nothing before the start, after the end or when no gift is left, and nothing once
///    `wanted` gifts were won.
/// 2. A standing bid that is not returned and ranks within the round's `gifts_per_round` holds.
/// 3. Otherwise the total is the largest of: the auction's minimum (for a first bid or after a
///    return), the bidder's own minimum (once a bid stands), and [`winning_total`].
/// 4. A total above `max_bid` holds with `above_max`; one that commits more than `budget_left`
///    beyond the standing bid holds with `over_budget`. Otherwise it is sent, as a raise when a
///    bid stands.
pub fn next_bid(
    state: &AuctionState,
    gifts_per_round: u32,
    bidder: &BidderState,
    limits: &BidLimits,
    my_position: Option<u32>,
    now: UnixTime,
) -> BidDecision {
    if now < state.start_date {
        return BidDecision::Hold(HoldReason::NotStarted);
    }
    if now >= state.end_date || state.gifts_left == 0 {
        return BidDecision::Hold(HoldReason::Over);
    }
    if bidder.acquired >= limits.wanted {
        return BidDecision::Hold(HoldReason::Done);
    }
    if gifts_per_round == 0 {
        return BidDecision::Hold(HoldReason::NoSlots);
    }
    let slots = gifts_per_round.min(state.gifts_left);
    let standing = bidder.bid.filter(|_| !bidder.returned);
    if standing.is_some() && my_position.is_some_and(|pos| pos <= slots) {
        return BidDecision::Hold(HoldReason::Winning);
    }
    let mut total = state.min_bid;
    if standing.is_some()
        && let Some(own) = bidder.min_bid
    {
        total = total.max(own);
    }
    if let Some(winning) = winning_total(&state.levels, slots) {
        total = total.max(winning);
    }
    if let Some(current) = standing {
        // A raise is a new total above the standing one, never the same bid again.
        total = total.max(current.saturating_add(Stars::new(1)));
    }
    if total > limits.max_bid {
        return BidDecision::Hold(HoldReason::AboveMax);
    }
    let committed = standing.unwrap_or(Stars::ZERO);
    if total.saturating_sub(committed) > limits.budget_left {
        return BidDecision::Hold(HoldReason::OverBudget);
    }
    BidDecision::Bid {
        total,
        raise: standing.is_some(),
    }
}
