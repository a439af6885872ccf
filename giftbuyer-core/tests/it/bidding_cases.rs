//! Cases of the bid position estimate and of `decide_bid`, the rule the bidder runs: the
//! position a bid can prove from sparse levels, and each money limit (budget off, budget,
//! balance, maximum) as a table of situations and decisions (`UPDATE_EXPECT=1` rewrites it).

use expect_test::expect;
use giftbuyer_core::auction::{AuctionState, BidLevel, BidderState, bidder_position};
use giftbuyer_core::bidding::{AuctionPlan, AuctionPlanError, BidMoney, decide_bid};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{Stars, UnixTime};

const START: i64 = 1_764_000_000;

fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).expect("valid time")
}

fn level(pos: u32, amount: u64, date: i64) -> BidLevel {
    BidLevel {
        pos,
        amount: Stars::new(amount),
        date: at(date),
    }
}

#[test]
fn a_position_is_what_the_levels_prove_and_no_better() {
    let levels = [
        level(1, 5_000, START),
        level(2, 3_000, START + 5),
        level(3, 3_000, START + 9),
        level(10, 1_000, START),
    ];
    let cases = [
        ("above everything", 6_000, START + 20),
        ("our own level, exact amount and date", 3_000, START + 5),
        ("same amount, placed before a level", 3_000, START + 7),
        ("between the top and the tenth", 2_000, START),
        ("below every level", 900, START),
    ];
    let table: String = cases
        .iter()
        .map(|&(name, bid, date)| {
            format!(
                "{name}: {:?}\n",
                bidder_position(&levels, Stars::new(bid), at(date))
            )
        })
        .collect();
    expect![[r#"
        above everything: Some(1)
        our own level, exact amount and date: Some(2)
        same amount, placed before a level: Some(2)
        between the top and the tenth: Some(9)
        below every level: None
    "#]]
    .assert_eq(&table);
}

fn state() -> AuctionState {
    AuctionState {
        version: 3,
        start_date: at(START),
        end_date: at(START + 3_600),
        min_bid: Stars::new(100),
        levels: vec![level(1, 1_000, START), level(2, 900, START + 1)],
        gifts_left: 40,
        current_round: 1,
        total_rounds: 4,
        next_round_at: at(START + 900),
        rounds: Vec::new(),
        gifts_per_round: 2,
    }
}

fn plan(max_bid: u64) -> AuctionPlan {
    AuctionPlan::new(1, 77, Stars::new(max_bid), Recipient::Buyer, 1).expect("valid plan")
}

#[test]
fn each_money_limit_decides_as_documented() {
    let none = BidderState::default();
    let standing = BidderState {
        bid: Some(Stars::new(800)),
        bid_date: Some(at(START + 2)),
        min_bid: Some(Stars::new(840)),
        ..BidderState::default()
    };
    let money = |budget: u64, committed: u64, balance: u64| BidMoney {
        budget: Stars::new(budget),
        committed: Stars::new(committed),
        balance: Stars::new(balance),
    };
    let cases = [
        ("bidding off", none, plan(2_000), money(0, 0, 9_000)),
        ("first bid", none, plan(2_000), money(5_000, 0, 9_000)),
        (
            "first bid over the budget",
            none,
            plan(2_000),
            money(5_000, 4_500, 9_000),
        ),
        (
            "first bid over the balance",
            none,
            plan(2_000),
            money(5_000, 0, 900),
        ),
        (
            "first bid above the maximum",
            none,
            plan(900),
            money(5_000, 0, 9_000),
        ),
        (
            "raise of a losing bid",
            standing,
            plan(2_000),
            money(5_000, 800, 9_000),
        ),
        (
            "raise charged the difference only",
            standing,
            plan(2_000),
            money(5_000, 800, 101),
        ),
        (
            "raise over the balance",
            standing,
            plan(2_000),
            money(5_000, 800, 100),
        ),
    ];
    let table: String = cases
        .iter()
        .map(|(name, bidder, plan, money)| {
            format!(
                "{name}: {:?}\n",
                decide_bid(plan, &state(), bidder, *money, at(START + 60))
            )
        })
        .collect();
    expect![[r#"
        bidding off: Err(Off)
        first bid: Ok((Stars(901), false))
        first bid over the budget: Err(Rule(OverBudget))
        first bid over the balance: Err(Rule(OverBudget))
        first bid above the maximum: Err(Rule(AboveMax))
        raise of a losing bid: Ok((Stars(901), true))
        raise charged the difference only: Ok((Stars(901), true))
        raise over the balance: Err(Rule(OverBudget))
    "#]]
    .assert_eq(&table);
}

#[test]
fn plans_are_checked_on_construction() {
    let recipient = Recipient::Buyer;
    assert_eq!(
        AuctionPlan::new(0, 77, Stars::new(5), recipient, 1),
        Err(AuctionPlanError::Id(0))
    );
    assert_eq!(
        AuctionPlan::new(1, -3, Stars::new(5), recipient, 1),
        Err(AuctionPlanError::GiftId(-3))
    );
    assert_eq!(
        AuctionPlan::new(1, 77, Stars::ZERO, recipient, 1),
        Err(AuctionPlanError::ZeroMaxBid)
    );
    for wanted in [0, 11, -1] {
        assert_eq!(
            AuctionPlan::new(1, 77, Stars::new(5), recipient, wanted),
            Err(AuctionPlanError::Wanted(wanted))
        );
    }
    assert_eq!(
        AuctionPlanError::Wanted(11).to_string(),
        "wanted must be between 1 and 10, got 11"
    );
}

#[test]
fn a_refused_bid_waits_by_the_refusals_class_and_streak() {
    use giftbuyer_core::bidding::refusal_wait;
    use giftbuyer_core::ports::ErrorClass;
    let cases = [
        ("the recipient refused", ErrorClass::Recipient, 0),
        ("the recipient refused again", ErrorClass::Recipient, 7),
        (
            "the gift is closed to the account",
            ErrorClass::GiftClosedForAccount,
            0,
        ),
        ("the gift is gone", ErrorClass::GiftGone, 0),
        ("a flood wait", ErrorClass::Flood(42), 3),
        ("an unknown outcome", ErrorClass::Uncertain, 0),
        ("an unexplained refusal", ErrorClass::Other, 0),
        ("the second in a row", ErrorClass::Other, 1),
        ("the fourth in a row", ErrorClass::RetryNow, 3),
        ("the seventh in a row", ErrorClass::AccountStopped, 6),
        ("the hundredth in a row", ErrorClass::Other, 99),
    ];
    let table: String = cases
        .iter()
        .map(|(what, class, streak)| {
            format!("{what}: {}s\n", refusal_wait(*class, *streak).as_secs())
        })
        .collect();
    expect![[r#"
        the recipient refused: 600s
        the recipient refused again: 600s
        the gift is closed to the account: 600s
        the gift is gone: 600s
        a flood wait: 42s
        an unknown outcome: 0s
        an unexplained refusal: 5s
        the second in a row: 10s
        the fourth in a row: 40s
        the seventh in a row: 300s
        the hundredth in a row: 300s
    "#]]
    .assert_eq(&table);
}
