//! Invariants of `next_bid` over generated auctions, bidders and limits: never above the
//! maximum, never beyond the budget, a raise only over a standing bid, never below a minimum.

use giftbuyer_core::auction::{
    AuctionState, BidDecision, BidLevel, BidLimits, BidderState, HoldReason, next_bid,
};
use giftbuyer_core::{Stars, UnixTime};
use proptest::prelude::*;

const START: i64 = 1_764_000_000;

fn levels() -> impl Strategy<Value = Vec<BidLevel>> {
    prop::collection::btree_set(1_u32..60, 0..8).prop_flat_map(|positions| {
        let count = positions.len();
        prop::collection::vec(1_u64..20_000, count).prop_map(move |mut amounts| {
            // Amounts fall with the position, as bids ranked by size do.
            amounts.sort_unstable_by(|a, b| b.cmp(a));
            positions
                .iter()
                .zip(amounts)
                .map(|(&pos, amount)| BidLevel {
                    pos,
                    amount: Stars::new(amount),
                    date: UnixTime::from_secs(START).expect("valid time"),
                })
                .collect()
        })
    })
}

/// An auction, its gifts per round, a bidder, its limits, its position and the time.
type Situation = (
    AuctionState,
    u32,
    BidderState,
    BidLimits,
    Option<u32>,
    UnixTime,
);

fn situation() -> impl Strategy<Value = Situation> {
    (
        levels(),
        1_u64..5_000,
        0_u32..40,
        1_u32..30,
        prop::option::of((1_u64..20_000, 1_u64..25_000, any::<bool>())),
        (1_u64..30_000, 0_u64..30_000, 1_u32..3, 0_u32..3),
        prop::option::of(1_u32..80),
        -10_i64..4_000,
    )
        .prop_map(
            |(
                levels,
                min_bid,
                gifts_left,
                per_round,
                bid,
                (max, budget, wanted, acquired),
                position,
                offset,
            )| {
                let state = AuctionState {
                    version: 1,
                    start_date: UnixTime::from_secs(START).expect("time"),
                    end_date: UnixTime::from_secs(START + 3_600).expect("time"),
                    min_bid: Stars::new(min_bid),
                    levels,
                    gifts_left,
                    current_round: 1,
                    total_rounds: 5,
                    next_round_at: UnixTime::from_secs(START + 600).expect("time"),
                    rounds: Vec::new(),
                    gifts_per_round: per_round,
                };
                let bidder = BidderState {
                    bid: bid.map(|(bid, _, _)| Stars::new(bid)),
                    min_bid: bid.map(|(_, min, _)| Stars::new(min)),
                    bid_date: bid.map(|_| UnixTime::from_secs(START).expect("valid time")),
                    returned: bid.is_some_and(|(_, _, returned)| returned),
                    acquired,
                };
                let limits = BidLimits {
                    max_bid: Stars::new(max),
                    budget_left: Stars::new(budget),
                    wanted,
                };
                let now = UnixTime::from_secs(START + offset).expect("time");
                (state, per_round, bidder, limits, position, now)
            },
        )
}

proptest! {
    #[test]
    fn bids_stay_within_every_limit((state, per_round, bidder, limits, position, now) in situation()) {
        let decision = next_bid(&state, per_round, &bidder, &limits, position, now);
        if let BidDecision::Bid { total, raise } = decision {
            prop_assert!(total <= limits.max_bid, "{total} above the maximum {}", limits.max_bid);
            let standing = bidder.bid.filter(|_| !bidder.returned);
            let committed = standing.unwrap_or(Stars::ZERO);
            prop_assert!(total.saturating_sub(committed) <= limits.budget_left, "beyond the budget");
            prop_assert!(total >= state.min_bid, "below the auction's minimum");
            prop_assert_eq!(raise, standing.is_some());
            if let Some(current) = standing {
                prop_assert!(total > current, "a raise must be above the standing bid");
                if let Some(own) = bidder.min_bid {
                    prop_assert!(total >= own, "below the bidder's minimum");
                }
            }
            prop_assert!(now >= state.start_date && now < state.end_date && state.gifts_left > 0);
            prop_assert!(bidder.acquired < limits.wanted);
        }
        if decision == BidDecision::Hold(HoldReason::Winning) {
            let slots = per_round.min(state.gifts_left);
            prop_assert!(position.is_some_and(|pos| pos <= slots));
        }
    }
}
