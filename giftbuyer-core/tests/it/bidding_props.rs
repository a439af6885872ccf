//! Invariants of `decide_bid` over generated auctions, bids and money: a bid is never above the
//! plan's maximum, never charges more than the balance or than the budget has left, never
//! bids with the budget at zero, and a raise always passes the standing bid.

use giftbuyer_core::auction::{AuctionState, BidLevel, BidderState};
use giftbuyer_core::bidding::{AuctionPlan, BidHold, BidMoney, decide_bid};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{Stars, UnixTime};
use proptest::prelude::*;

const START: i64 = 1_764_000_000;

fn at(offset: i64) -> UnixTime {
    UnixTime::from_secs(START + offset).expect("valid time")
}

fn state() -> impl Strategy<Value = AuctionState> {
    (
        prop::collection::vec((1_u64..5_000, 0_i64..100), 0..12),
        1_u64..500,
        1_u32..6,
        0_u32..30,
    )
        .prop_map(|(mut bids, min_bid, per_round, gifts_left)| {
            bids.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            AuctionState {
                version: 1,
                start_date: at(0),
                end_date: at(3_600),
                min_bid: Stars::new(min_bid),
                levels: bids
                    .iter()
                    .zip(1..)
                    .map(|(&(amount, date), pos)| BidLevel {
                        pos,
                        amount: Stars::new(amount),
                        date: at(date),
                    })
                    .collect(),
                gifts_left,
                current_round: 1,
                total_rounds: 3,
                next_round_at: at(600),
                rounds: Vec::new(),
                gifts_per_round: per_round,
            }
        })
}

proptest! {
    #[test]
    fn a_bid_stays_within_every_limit(
        state in state(),
        standing in prop::option::of((1_u64..5_000, 0_i64..100, any::<bool>())),
        max_bid in 1_u64..6_000,
        (budget, committed, balance) in (0_u64..10_000, 0_u64..10_000, 0_u64..10_000),
    ) {
        let bidder = BidderState {
            bid: standing.map(|(bid, _, _)| Stars::new(bid)),
            bid_date: standing.map(|(_, date, _)| at(date)),
            min_bid: standing.map(|(bid, _, _)| Stars::new(bid + 1)),
            returned: standing.is_some_and(|(_, _, returned)| returned),
            acquired: 0,
        };
        let plan = AuctionPlan::new(1, 77, Stars::new(max_bid), Recipient::Buyer, 1)
            .expect("valid plan");
        let money = BidMoney {
            budget: Stars::new(budget),
            committed: Stars::new(committed),
            balance: Stars::new(balance),
        };
        match decide_bid(&plan, &state, &bidder, money, at(60)) {
            Ok((total, raise)) => {
                prop_assert!(budget > 0);
                prop_assert!(total <= plan.max_bid);
                prop_assert!(total >= state.min_bid);
                let held = if raise { bidder.bid.expect("a raise has a standing bid") } else { Stars::ZERO };
                prop_assert!(!raise || total > held, "a raise passes the standing bid");
                prop_assert!(raise || bidder.bid.is_none() || bidder.returned);
                let charge = total.saturating_sub(held);
                prop_assert!(charge <= Stars::new(balance));
                prop_assert!(charge <= Stars::new(budget.saturating_sub(committed)));
            }
            Err(BidHold::Off) => prop_assert_eq!(budget, 0),
            Err(BidHold::Rule(_)) => {}
        }
    }
}
