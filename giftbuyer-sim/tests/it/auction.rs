//! Gift auctions: rounds end on time and hand their gifts to the top bids (the earlier of two
//! equal bids first), bids carry over, fall out of reach or stand at the end and come back with
//! their stars, raises cost the difference, extendable rounds grow, every refusal has its name,
//! states carry versions, competing bidders follow the seed, and faults on a bid never turn one
//! bid into two.

use std::time::Duration;

use giftbuyer_core::Stars;
use giftbuyer_core::auction::{AuctionAnswer, AuctionState};
use giftbuyer_core::ports::{BidRequest, ChannelAccess, TelegramAccount, TelegramError};
use giftbuyer_core::resale::Recipient;
use giftbuyer_sim::{
    AuctionSpec, Bidder, CompetingBidders, ConfigError, Fault, FaultAction, FaultWhen, GiftSpec,
    Market, MarketConfig, Method, SimAccount,
};

use crate::support::*;

const GIFT: i64 = 77;
const PLAIN: i64 = 78;

fn rpc(name: &str) -> TelegramError {
    TelegramError::Rpc {
        code: 400,
        name: name.into(),
    }
}

fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// An auction of `supply` gifts, `per_round` a round, in `rounds` rounds of a minute from the
/// start, with a minimum bid of 100 stars and nobody else bidding.
fn auction(supply: u64, per_round: u64, rounds: u32) -> GiftSpec {
    GiftSpec::limited(gift_id(GIFT), Stars::new(500), supply).auctioned(
        AuctionSpec::new(per_round, Duration::ZERO)
            .rounds(rounds, secs(60))
            .min_bid(Stars::new(100)),
    )
}

/// Accounts 1..=`count` with 10 000 stars each, able to post in channel 1.
fn with_buyers(mut config: MarketConfig, count: i64) -> MarketConfig {
    for id in 1..=count {
        config = config.account(buyer(id, 10_000));
    }
    config
}

fn bid(total: u64) -> BidRequest {
    BidRequest {
        gift_id: gift_id(GIFT),
        recipient: Recipient::Buyer,
        total: Stars::new(total),
        standing: None,
    }
}

fn raise(standing: u64, total: u64) -> BidRequest {
    BidRequest {
        standing: Some(Stars::new(standing)),
        ..bid(total)
    }
}

async fn running(account: &SimAccount, version: i32) -> AuctionState {
    match account
        .auction_state(gift_id(GIFT), version)
        .await
        .expect("state")
    {
        AuctionAnswer::Running { state, .. } => state,
        other => panic!("a running auction expected, got {other:?}"),
    }
}

fn balance(market: &Market, id: i64) -> u64 {
    market.balance(account_id(id)).expect("known").get()
}

#[tokio::test(start_paused = true)]
async fn rounds_end_on_time_and_the_top_bids_win_the_earlier_of_equal_bids_first() {
    let (market, clock) = start(with_buyers(quiet_config(1), 4).gift(auction(6, 2, 3)));
    for (id, total) in [(1, 200), (2, 300), (3, 200), (4, 150)] {
        clock.advance_to(secs(id as u64)).await;
        account(&market, id)
            .place_bid(bid(total))
            .await
            .expect("placed");
    }
    assert_eq!(balance(&market, 1), 9_800);

    clock.advance_to(ms(59_999)).await;
    let before = market.auction(gift_id(GIFT)).expect("an auction");
    assert_eq!((before.round, before.wins.len()), (1, 0));

    clock.advance_to(secs(60)).await;
    let after = market.auction(gift_id(GIFT)).expect("an auction");
    let winners: Vec<_> = after
        .wins
        .iter()
        .map(|win| (win.bidder, win.round, win.amount))
        .collect();
    // Account 1's 200 came before account 3's, so it wins the second gift.
    assert_eq!(
        winners,
        [
            (Bidder::Account(account_id(2)), 1, Stars::new(300)),
            (Bidder::Account(account_id(1)), 1, Stars::new(200)),
        ]
    );
    assert_eq!(
        (after.round, after.gifts_left, after.finished),
        (2, 4, false)
    );
    // The winners' stars stay spent; the others' bids carry over into round 2.
    assert_eq!((balance(&market, 1), balance(&market, 2)), (9_800, 9_700));
    assert_eq!(after.standing_bid(account_id(3)), Some(Stars::new(200)));
    assert_eq!(after.standing_bid(account_id(4)), Some(Stars::new(150)));
    assert_eq!(market.gift(gift_id(GIFT)).expect("gift").remaining, Some(4));
    let winner = account(&market, 1)
        .auction_state(gift_id(GIFT), 0)
        .await
        .expect("state");
    assert_eq!(winner.bidder().acquired, 1);
    assert_eq!(winner.bidder().bid, None);

    // Nobody bids again: the carried-over bids win round 2, and round 3 hands out nothing.
    clock.advance_to(secs(120)).await;
    let second = market.auction(gift_id(GIFT)).expect("an auction");
    assert_eq!(second.won_by(account_id(3)).len(), 1);
    assert_eq!(second.won_by(account_id(4))[0].round, 2);
    clock.advance_to(secs(180)).await;
    let end = market.auction(gift_id(GIFT)).expect("an auction");
    assert!(end.finished);
    assert_eq!((end.wins.len(), end.gifts_left), (4, 2));
    assert!(end.returns.is_empty());
}

#[tokio::test(start_paused = true)]
async fn bids_out_of_reach_and_bids_standing_at_the_end_come_back_with_their_stars() {
    let (market, clock) = start(with_buyers(quiet_config(2), 3).gift(auction(2, 1, 2)));
    account(&market, 1)
        .place_bid(bid(200))
        .await
        .expect("placed");
    account(&market, 2)
        .place_bid(bid(150))
        .await
        .expect("placed");
    // Two gifts are left and two bids stand: a new bid must pass the second.
    assert_eq!(
        running(&account(&market, 3), 0).await.min_bid,
        Stars::new(151)
    );
    assert_eq!(
        account(&market, 3).place_bid(bid(150)).await,
        Err(rpc("STARGIFT_BID_TOO_LOW"))
    );
    account(&market, 3)
        .place_bid(bid(300))
        .await
        .expect("placed");
    // Account 2's bid is now third of two gifts: it can never win, so it comes back.
    assert_eq!(balance(&market, 2), 10_000);
    let returned = account(&market, 2)
        .auction_state(gift_id(GIFT), 0)
        .await
        .expect("state");
    assert!(returned.bidder().returned);
    assert_eq!(returned.bidder().bid, None);
    // A returned bidder may bid anew, as a new bid (not a raise).
    assert_eq!(
        account(&market, 2).place_bid(raise(150, 250)).await,
        Err(rpc("STARGIFT_BID_NOT_FOUND"))
    );
    account(&market, 2)
        .place_bid(bid(250))
        .await
        .expect("placed again");
    assert_eq!(balance(&market, 2), 9_750);
    // Account 1 (200) was pushed out by account 2's new 250.
    assert_eq!(balance(&market, 1), 10_000);

    // Round 1: account 3 (300) wins; round 2: account 2 (250) wins, and nothing stands.
    clock.advance_to(secs(120)).await;
    let end = market.auction(gift_id(GIFT)).expect("an auction");
    assert!(end.finished);
    assert_eq!(end.won_by(account_id(3))[0].round, 1);
    assert_eq!(end.won_by(account_id(2))[0].round, 2);
    let returned: Vec<_> = end
        .returns
        .iter()
        .map(|back| (back.bidder, back.amount))
        .collect();
    assert_eq!(
        returned,
        [
            (Bidder::Account(account_id(2)), Stars::new(150)),
            (Bidder::Account(account_id(1)), Stars::new(200)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_bids_standing_when_the_auction_ends_are_returned() {
    let (market, clock) = start(with_buyers(quiet_config(3), 3).gift(auction(3, 1, 2)));
    for (id, total) in [(1, 300), (2, 200), (3, 150)] {
        account(&market, id)
            .place_bid(bid(total))
            .await
            .expect("placed");
    }
    clock.advance_to(secs(120)).await;
    let end = market.auction(gift_id(GIFT)).expect("an auction");
    assert!(end.finished);
    assert_eq!(end.wins.len(), 2);
    assert_eq!(end.gifts_left, 1);
    // Account 3's bid stood when the last round ended: its stars come back.
    assert_eq!(balance(&market, 3), 10_000);
    assert_eq!((balance(&market, 1), balance(&market, 2)), (9_700, 9_800));
    let last = account(&market, 3)
        .auction_state(gift_id(GIFT), 0)
        .await
        .expect("state");
    let AuctionAnswer::Finished { bidder } = last else {
        panic!("a finished auction expected, got {last:?}");
    };
    assert!(bidder.returned);
    assert_eq!((bidder.bid, bidder.acquired), (None, 0));
    assert_eq!(
        account(&market, 3).place_bid(bid(500)).await,
        Err(rpc("STARGIFT_AUCTION_FINISHED"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_raise_sends_the_new_total_and_costs_the_difference() {
    let (market, _clock) = start(with_buyers(quiet_config(4), 1).gift(auction(10, 5, 2)));
    let buyer = account(&market, 1);
    buyer.place_bid(bid(200)).await.expect("placed");
    assert_eq!(balance(&market, 1), 9_800);
    let own = buyer.auction_state(gift_id(GIFT), 0).await.expect("state");
    // The least raise is a twentieth (at least a star) over the bid.
    assert_eq!(own.bidder().min_bid, Some(Stars::new(210)));
    assert_eq!(
        buyer.place_bid(raise(200, 209)).await,
        Err(rpc("STARGIFT_BID_TOO_LOW"))
    );
    // A raise priced on a standing bid that is not the one standing pays nothing.
    assert_eq!(
        buyer.place_bid(raise(150, 300)).await,
        Err(TelegramError::PriceChanged {
            expected: Stars::new(150),
            actual: Stars::new(100),
        })
    );
    buyer.place_bid(raise(200, 300)).await.expect("raised");
    assert_eq!(balance(&market, 1), 9_700);
    let bids: Vec<_> = market
        .bids()
        .iter()
        .map(|placed| (placed.total.get(), placed.charge.get(), placed.raise))
        .collect();
    assert_eq!(bids, [(200, 200, false), (300, 100, true)]);
    let snapshot = market.auction(gift_id(GIFT)).expect("an auction");
    assert_eq!(snapshot.standing_bid(account_id(1)), Some(Stars::new(300)));
    assert_eq!(snapshot.standing.len(), 1);
    assert_eq!(snapshot.standing[0].recipient, Some(Recipient::Buyer));
    assert_eq!(market.auctions(), [snapshot]);
}

#[tokio::test(start_paused = true)]
async fn every_refused_bid_has_its_name_and_changes_nothing() {
    let late = GiftSpec::limited(gift_id(GIFT), Stars::new(500), 10).auctioned(
        AuctionSpec::new(5, secs(10))
            .rounds(2, secs(60))
            .min_bid(Stars::new(100)),
    );
    let config = quiet_config(5)
        .account(buyer(1, 10_000))
        .account(buyer(2, 120).channel(channel(2), ChannelAccess::ReadOnly))
        .gift(late)
        .gift(GiftSpec::limited(gift_id(PLAIN), Stars::new(50), 10));
    let (market, clock) = start(config);
    let one = account(&market, 1);
    let two = account(&market, 2);
    assert_eq!(
        one.place_bid(bid(200)).await,
        Err(rpc("STARGIFT_AUCTION_NOT_STARTED"))
    );
    // The state of a pending auction is served, with its start ahead.
    let pending = running(&one, 0).await;
    assert_eq!(pending.start_date, unix(START_UNIX + 10));
    clock.advance_to(secs(10)).await;

    let to_channel = |n: i64| BidRequest {
        recipient: Recipient::Channel(channel(n)),
        ..bid(200)
    };
    let cases: [(&SimAccount, BidRequest, TelegramError); 7] = [
        (&one, to_channel(3), TelegramError::NotMember),
        (&two, to_channel(2), TelegramError::ChatWriteForbidden),
        (
            &one,
            BidRequest {
                gift_id: gift_id(PLAIN),
                ..bid(200)
            },
            rpc("STARGIFT_INVALID"),
        ),
        (
            &one,
            BidRequest {
                gift_id: gift_id(999),
                ..bid(200)
            },
            rpc("STARGIFT_INVALID"),
        ),
        (&one, bid(99), rpc("STARGIFT_BID_TOO_LOW")),
        (&one, raise(100, 200), rpc("STARGIFT_BID_NOT_FOUND")),
        (&two, bid(121), TelegramError::BalanceTooLow),
    ];
    for (index, (who, request, expected)) in cases.into_iter().enumerate() {
        assert_eq!(who.place_bid(request).await, Err(expected), "case {index}");
    }
    // Account 2's 120 stars cover a bid of 100.
    two.place_bid(bid(100)).await.expect("placed");
    assert_eq!(market.bids().len(), 1);
    assert_eq!(balance(&market, 1), 10_000);
    assert_eq!(balance(&market, 2), 20);
    // A new bid while one stands must be a raise.
    assert_eq!(
        two.place_bid(bid(150)).await,
        Err(rpc("STARGIFT_BID_EXISTS"))
    );
    // A raise costs only the difference: 20 stars cover 105 - 100, not 200 - 105.
    two.place_bid(raise(100, 105)).await.expect("raised");
    assert_eq!(balance(&market, 2), 15);
    assert_eq!(
        two.place_bid(raise(105, 200)).await,
        Err(TelegramError::BalanceTooLow)
    );
    for answer in [
        one.auction_state(gift_id(PLAIN), 0).await,
        one.auction_state(gift_id(999), 0).await,
    ] {
        assert_eq!(answer, Err(rpc("STARGIFT_INVALID")));
    }
    assert_eq!(market.bids().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn states_carry_versions_and_sparse_levels() {
    let crowd = GiftSpec::limited(gift_id(GIFT), Stars::new(500), 100).auctioned(
        AuctionSpec::new(2, Duration::ZERO)
            .rounds(50, secs(600))
            .min_bid(Stars::new(100))
            .bidders(CompetingBidders::new(
                45,
                Stars::new(5_000),
                Stars::new(9_000),
                secs(1),
            )),
    );
    let (market, clock) = start(with_buyers(quiet_config(6), 1).gift(crowd));
    let buyer = account(&market, 1);
    clock.advance_to(secs(3)).await;
    let state = running(&buyer, 0).await;
    let same = buyer
        .auction_state(gift_id(GIFT), state.version)
        .await
        .expect("state");
    assert!(
        matches!(
            same,
            AuctionAnswer::NotModified {
                timeout_secs: 30,
                ..
            }
        ),
        "{same:?}"
    );
    let standing = market
        .auction(gift_id(GIFT))
        .expect("an auction")
        .standing
        .len();
    assert!(standing >= 40, "only {standing} bids stand");
    // Positions 1 to gifts_per_round + 5 exactly, then every tenth.
    let positions: Vec<u32> = state.levels.iter().map(|level| level.pos).collect();
    let expected: Vec<u32> = (1..=u32::try_from(standing).expect("small"))
        .filter(|pos| *pos <= 7 || pos % 10 == 0)
        .collect();
    assert_eq!(positions, expected);
    assert!(
        state
            .levels
            .windows(2)
            .all(|pair| pair[0].amount >= pair[1].amount),
        "{:?}",
        state.levels
    );
    assert_eq!((state.current_round, state.total_rounds), (1, 50));
    assert_eq!(state.next_round_at, unix(START_UNIX + 600));

    // Our bid changes the state: a newer version, with our bid on top.
    buyer.place_bid(bid(9_500)).await.expect("placed");
    let after = running(&buyer, state.version).await;
    assert!(after.version > state.version);
    assert_eq!(after.levels[0].amount, Stars::new(9_500));
}

#[tokio::test(start_paused = true)]
async fn a_bid_that_changes_the_top_late_in_a_round_extends_it() {
    let extendable = GiftSpec::limited(gift_id(GIFT), Stars::new(500), 4).auctioned(
        AuctionSpec::new(2, Duration::ZERO)
            .rounds(2, secs(60))
            .extendable(1, secs(10))
            .min_bid(Stars::new(100)),
    );
    let (market, clock) = start(with_buyers(quiet_config(7), 2).gift(extendable));
    let round_end = |market: &Market| {
        market
            .auction(gift_id(GIFT))
            .expect("auction")
            .round_ends_at
    };
    // A new top early in the round extends nothing.
    clock.advance_to(secs(30)).await;
    account(&market, 1)
        .place_bid(bid(200))
        .await
        .expect("placed");
    assert_eq!(round_end(&market), secs(60));
    // In the last ten seconds a new top adds ten seconds.
    clock.advance_to(secs(55)).await;
    account(&market, 2)
        .place_bid(bid(300))
        .await
        .expect("placed");
    assert_eq!(round_end(&market), secs(70));
    // Raising the top bid keeps the same top: no extension.
    clock.advance_to(secs(65)).await;
    account(&market, 2)
        .place_bid(raise(300, 400))
        .await
        .expect("raised");
    assert_eq!(round_end(&market), secs(70));
    account(&market, 1)
        .place_bid(raise(200, 500))
        .await
        .expect("raised");
    assert_eq!(round_end(&market), secs(80));
    let state = running(&account(&market, 1), 0).await;
    assert_eq!(state.next_round_at, unix(START_UNIX + 80));
    assert_eq!(state.rounds[0].extend, Some((1, 10)));
    // The round ends on its extended time, and the auction's end moved with it.
    clock.advance_to(ms(79_999)).await;
    assert!(
        market
            .auction(gift_id(GIFT))
            .expect("auction")
            .wins
            .is_empty()
    );
    clock.advance_to(secs(80)).await;
    let snapshot = market.auction(gift_id(GIFT)).expect("auction");
    assert_eq!(snapshot.wins.len(), 2);
    assert_eq!(snapshot.ends_at, secs(140));
}

/// A market of competing bidders only, run to its end.
async fn crowd_result(seed: u64) -> giftbuyer_sim::AuctionSnapshot {
    let crowd = GiftSpec::limited(gift_id(GIFT), Stars::new(500), 15).auctioned(
        AuctionSpec::new(5, secs(5))
            .rounds(3, secs(60))
            .min_bid(Stars::new(1_000))
            .bidders(CompetingBidders::new(
                12,
                Stars::new(1_200),
                Stars::new(9_000),
                secs(6),
            )),
    );
    let (market, clock) = start(with_buyers(quiet_config(seed), 1).gift(crowd));
    clock.advance_to(secs(300)).await;
    market.auction(gift_id(GIFT)).expect("an auction")
}

#[tokio::test(start_paused = true)]
async fn competing_bidders_follow_the_seed_and_each_wins_at_most_once() {
    let first = crowd_result(11).await;
    assert_eq!(first, crowd_result(11).await);
    assert_ne!(first.wins, crowd_result(12).await.wins);
    assert!(first.finished);
    assert_eq!(first.wins.len(), 12, "{:?}", first.wins);
    let mut winners: Vec<Bidder> = first.wins.iter().map(|win| win.bidder).collect();
    winners.sort();
    winners.dedup();
    assert_eq!(winners.len(), 12);
    for round in 1..=2 {
        let won = first.wins.iter().filter(|win| win.round == round).count();
        assert_eq!(won, 5, "round {round}");
    }
    assert!(first.wins.iter().all(|win| win.amount >= Stars::new(1_000)));
}

#[tokio::test(start_paused = true)]
async fn a_bid_the_connection_drops_after_is_placed_once_and_not_again() {
    let config = with_buyers(quiet_config(8), 2)
        .gift(auction(10, 5, 2))
        .fault(
            Fault::new(
                Method::Bid,
                FaultWhen::Calls { first: 1, last: 1 },
                FaultAction::Disconnect { executed: true },
            )
            .for_account(account_id(1)),
        )
        .fault(
            Fault::new(
                Method::Bid,
                FaultWhen::Calls { first: 1, last: 1 },
                FaultAction::Disconnect { executed: false },
            )
            .for_account(account_id(2)),
        );
    let (market, _clock) = start(config);
    let one = account(&market, 1);
    assert!(matches!(
        one.place_bid(bid(200)).await,
        Err(TelegramError::Network(_))
    ));
    // It was carried out: the stars are held and a resend is refused as a second new bid.
    assert_eq!(balance(&market, 1), 9_800);
    assert_eq!(
        one.place_bid(bid(200)).await,
        Err(rpc("STARGIFT_BID_EXISTS"))
    );
    assert_eq!(market.call_count(account_id(1), Method::Bid), 2);

    let two = account(&market, 2);
    assert!(matches!(
        two.place_bid(bid(300)).await,
        Err(TelegramError::Network(_))
    ));
    assert_eq!(balance(&market, 2), 10_000);
    let accounts: Vec<_> = market.bids().iter().map(|placed| placed.account).collect();
    assert_eq!(accounts, [account_id(1)]);
    assert_eq!(market.call_count(account_id(2), Method::AuctionState), 0);
}

#[test]
fn an_auction_spec_is_checked() {
    let id = gift_id(GIFT);
    let base = AuctionSpec::new(5, Duration::ZERO);
    let check = |spec: AuctionSpec| {
        GiftSpec::limited(id, Stars::new(5), 10)
            .auctioned(spec)
            .validate()
    };
    assert_eq!(check(base), Ok(()));
    assert_eq!(
        check(base.rounds(0, secs(60))),
        Err(ConfigError::AuctionRounds {
            gift: id,
            rounds: 0
        })
    );
    assert_eq!(
        check(base.round_duration(ms(1_500))),
        Err(ConfigError::AuctionRoundDuration {
            gift: id,
            duration: ms(1_500)
        })
    );
    assert_eq!(
        check(base.extendable(0, secs(10))),
        Err(ConfigError::AuctionExtension(id))
    );
    assert_eq!(
        check(base.min_bid(Stars::ZERO)),
        Err(ConfigError::AuctionMinBid(id))
    );
    assert_eq!(
        check(base.bidders(CompetingBidders::new(
            3,
            Stars::new(10),
            Stars::new(5),
            secs(1)
        ))),
        Err(ConfigError::AuctionBidders(id))
    );
    assert_eq!(
        check(base.bidders(CompetingBidders::new(
            3,
            Stars::new(1),
            Stars::new(5),
            ms(10)
        ))),
        Err(ConfigError::AuctionBidders(id))
    );
}

#[tokio::test(start_paused = true)]
async fn a_channel_closed_to_star_gifts_says_so_and_refuses_bids_for_it() {
    let config = with_buyers(quiet_config(4), 1)
        .gift(auction(10, 2, 5))
        .closed_to_gifts(channel(1));
    let (market, _clock) = start(config);
    let bidder = account(&market, 1);
    assert_eq!(bidder.channel_takes_star_gifts(channel(1)).await, Ok(false));
    assert_eq!(
        bidder.channel_takes_star_gifts(channel(9)).await,
        Err(TelegramError::NotMember),
        "a channel the account cannot see"
    );
    let for_channel = BidRequest {
        recipient: Recipient::Channel(channel(1)),
        ..bid(150)
    };
    assert_eq!(
        bidder.place_bid(for_channel).await,
        Err(rpc("STARGIFT_PEER_INVALID"))
    );
    assert_eq!(market.bids(), []);
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(10_000)));
    // The same bid for the account itself stands.
    bidder.place_bid(bid(150)).await.expect("placed");
    assert_eq!(market.bids().len(), 1);
}
