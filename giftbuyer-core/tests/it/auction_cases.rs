//! Data-driven cases of `giftbuyer_core::auction::next_bid`, one per rule, as a table of
//! situations and the decision each gets (`UPDATE_EXPECT=1` rewrites the snapshot).

use expect_test::expect;
use giftbuyer_core::auction::{
    AuctionState, BidLevel, BidLimits, BidderState, next_bid, winning_total,
};
use giftbuyer_core::{Stars, UnixTime};

const START: i64 = 1_764_000_000;

fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).expect("valid time")
}

fn levels(pairs: &[(u32, u64)]) -> Vec<BidLevel> {
    pairs
        .iter()
        .map(|&(pos, amount)| BidLevel {
            pos,
            amount: Stars::new(amount),
            date: at(START),
        })
        .collect()
}

fn state(levels_at: &[(u32, u64)]) -> AuctionState {
    AuctionState {
        version: 1,
        start_date: at(START),
        end_date: at(START + 3_600),
        min_bid: Stars::new(100),
        levels: levels(levels_at),
        gifts_left: 500,
        current_round: 1,
        total_rounds: 10,
        next_round_at: at(START + 600),
        rounds: Vec::new(),
        gifts_per_round: 20,
    }
}

fn limits(max_bid: u64, budget_left: u64) -> BidLimits {
    BidLimits {
        max_bid: Stars::new(max_bid),
        budget_left: Stars::new(budget_left),
        wanted: 1,
    }
}

fn standing(bid: u64, min_bid: u64) -> BidderState {
    BidderState {
        bid: Some(Stars::new(bid)),
        min_bid: Some(Stars::new(min_bid)),
        ..BidderState::default()
    }
}

/// One situation: its name, the auction, the bidder, the limits, the bidder's position and the
/// time in seconds.
type Case = (
    &'static str,
    AuctionState,
    BidderState,
    BidLimits,
    Option<u32>,
    i64,
);

#[test]
fn each_rule_decides_as_documented() {
    let none = BidderState::default();
    let ten_deep = [(1, 5_000), (5, 2_000), (10, 1_200), (20, 600)];
    let cases: Vec<Case> = vec![
        (
            "before the start",
            state(&ten_deep),
            none,
            limits(9_000, 9_000),
            None,
            START - 1,
        ),
        (
            "after the end",
            state(&ten_deep),
            none,
            limits(9_000, 9_000),
            None,
            START + 3_600,
        ),
        (
            "no gift left",
            AuctionState {
                gifts_left: 0,
                ..state(&ten_deep)
            },
            none,
            limits(9_000, 9_000),
            None,
            START + 1,
        ),
        (
            "as many won as wanted",
            state(&ten_deep),
            BidderState {
                acquired: 1,
                ..none
            },
            limits(9_000, 9_000),
            None,
            START + 1,
        ),
        (
            "first bid passes position 10",
            state(&ten_deep),
            none,
            limits(9_000, 9_000),
            None,
            START + 1,
        ),
        (
            "first bid with fewer bids than slots",
            state(&[(1, 300), (4, 150)]),
            none,
            limits(9_000, 9_000),
            None,
            START + 1,
        ),
        (
            "first bid where no bid stands",
            state(&[]),
            none,
            limits(9_000, 9_000),
            None,
            START + 1,
        ),
        (
            "a standing bid within the slots holds",
            state(&ten_deep),
            standing(1_300, 1_400),
            limits(9_000, 9_000),
            Some(8),
            START + 1,
        ),
        (
            "outbid: raise to pass position 10",
            state(&ten_deep),
            standing(900, 950),
            limits(9_000, 9_000),
            Some(14),
            START + 1,
        ),
        (
            "outbid: the own minimum is higher",
            state(&ten_deep),
            standing(900, 1_500),
            limits(9_000, 9_000),
            Some(14),
            START + 1,
        ),
        (
            "outbid beyond the maximum",
            state(&ten_deep),
            standing(900, 950),
            limits(1_200, 9_000),
            Some(14),
            START + 1,
        ),
        (
            "outbid beyond the budget",
            state(&ten_deep),
            standing(900, 950),
            limits(9_000, 300),
            Some(14),
            START + 1,
        ),
        (
            "a returned bid starts again",
            state(&ten_deep),
            BidderState {
                returned: true,
                ..standing(900, 950)
            },
            limits(9_000, 1_201),
            None,
            START + 1,
        ),
        (
            "levels skip position 10",
            state(&[(1, 5_000), (5, 2_000), (20, 600)]),
            none,
            limits(9_000, 9_000),
            None,
            START + 1,
        ),
        (
            "fewer gifts left than per round",
            AuctionState {
                gifts_left: 5,
                ..state(&ten_deep)
            },
            none,
            limits(9_000, 9_000),
            None,
            START + 1,
        ),
    ];
    let table: String = cases
        .into_iter()
        .map(|(name, state, bidder, limits, position, now)| {
            let decision = next_bid(&state, 10, &bidder, &limits, position, at(now));
            format!("{name}: {decision:?}\n")
        })
        .collect();
    expect![[r#"
        before the start: Hold(NotStarted)
        after the end: Hold(Over)
        no gift left: Hold(Over)
        as many won as wanted: Hold(Done)
        first bid passes position 10: Bid { total: Stars(1201), raise: false }
        first bid with fewer bids than slots: Bid { total: Stars(100), raise: false }
        first bid where no bid stands: Bid { total: Stars(100), raise: false }
        a standing bid within the slots holds: Hold(Winning)
        outbid: raise to pass position 10: Bid { total: Stars(1201), raise: true }
        outbid: the own minimum is higher: Bid { total: Stars(1500), raise: true }
        outbid beyond the maximum: Hold(AboveMax)
        outbid beyond the budget: Hold(OverBudget)
        a returned bid starts again: Bid { total: Stars(1201), raise: false }
        levels skip position 10: Bid { total: Stars(2001), raise: false }
        fewer gifts left than per round: Bid { total: Stars(2001), raise: false }
    "#]]
    .assert_eq(&table);
}

#[test]
fn the_winning_total_passes_the_right_level() {
    let ten_deep = levels(&[(1, 5_000), (10, 1_200), (20, 600)]);
    assert_eq!(winning_total(&ten_deep, 10), Some(Stars::new(1_201)));
    assert_eq!(
        winning_total(&ten_deep, 25),
        None,
        "fewer bids than 25 slots"
    );
    assert_eq!(
        winning_total(&ten_deep, 15),
        Some(Stars::new(1_201)),
        "passes 10, not 20"
    );
    assert_eq!(winning_total(&[], 10), None);
}
