//! Gift auctions over the socket, through `giftbuyer-telegram`'s real adapter: the auction's
//! state as the market has it and `NotModified` on the same version, a bid placed then raised
//! (paid at the total, then at the difference), refusals by their names, a finished auction,
//! and a bid whose connection dropped after it ran, never placed twice.

use std::time::Duration;

use giftbuyer_core::auction::AuctionAnswer;
use giftbuyer_core::ports::{BidRequest, ChannelAccess, TelegramAccount, TelegramError};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars};
use giftbuyer_sim::{AccountSpec, AuctionSpec, GiftSpec, Market, MarketConfig};
use giftbuyer_tgserver::{FaultAction, FaultRule};
use grammers_tl_types::{Identifiable, functions};

use crate::support::{adapter_account, instant_market, market_server};

const USER: i64 = 701;
const POST: i64 = 1_234_567_801;
const READ: i64 = 1_234_567_802;
/// An auction of two extendable rounds of ten minutes.
const LONG: i64 = 90;
/// An auction of one round of two seconds.
const SHORT: i64 = 91;

fn channel(mtproto: i64) -> ChannelId {
    ChannelId::from_mtproto(mtproto).expect("channel")
}

fn gift(id: i64) -> GiftId {
    GiftId::new(id).expect("gift")
}

fn me() -> AccountId {
    AccountId::new(USER).expect("account")
}

fn market() -> Market {
    let auction = |id: i64, rounds: u32, secs: u64| {
        GiftSpec::limited(gift(id), Stars::new(500), 10)
            .title("Comet")
            .auctioned(
                AuctionSpec::new(5, Duration::ZERO)
                    .rounds(rounds, Duration::from_secs(secs))
                    .min_bid(Stars::new(100)),
            )
    };
    let long = auction(LONG, 2, 600);
    let long = GiftSpec {
        auction: long
            .auction
            .map(|spec| spec.extendable(3, Duration::from_secs(10))),
        ..long
    };
    let mut config = MarketConfig::with_seed(21)
        .account(
            AccountSpec::new(me(), Stars::new(5_000))
                .channel(channel(POST), ChannelAccess::CanPost)
                .channel(channel(READ), ChannelAccess::ReadOnly),
        )
        .gift(long)
        .gift(auction(SHORT, 1, 2));
    config
        .channel_titles
        .insert(channel(POST), "Winnings".to_owned());
    config
        .channel_titles
        .insert(channel(READ), "News".to_owned());
    instant_market(config)
}

fn bid(id: i64, recipient: Recipient, total: u64, standing: Option<u64>) -> BidRequest {
    BidRequest {
        gift_id: gift(id),
        recipient,
        total: Stars::new(total),
        standing: standing.map(Stars::new),
    }
}

fn rpc(code: i32, name: &str) -> TelegramError {
    TelegramError::Rpc {
        code,
        name: name.into(),
    }
}

#[tokio::test]
async fn the_state_arrives_as_the_market_has_it_and_not_again_on_the_same_version() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, USER, 2);
    let sim = market.account(me()).expect("account");

    let answer = wire.auction_state(gift(LONG), 0).await.expect("state");
    assert_eq!(
        answer,
        sim.auction_state(gift(LONG), 0).await.expect("state")
    );
    let AuctionAnswer::Running {
        state,
        bidder,
        timeout_secs,
    } = answer
    else {
        panic!("a running auction expected, got {answer:?}");
    };
    assert_eq!((state.current_round, state.total_rounds), (1, 2));
    assert_eq!((state.gifts_left, state.min_bid), (10, Stars::new(100)));
    assert_eq!(state.rounds[0].extend, Some((3, 10)));
    assert_eq!((bidder.bid, bidder.acquired, timeout_secs), (None, 0, 30));

    let again = wire
        .auction_state(gift(LONG), state.version)
        .await
        .expect("state");
    assert!(
        matches!(again, AuctionAnswer::NotModified { .. }),
        "{again:?}"
    );
    // A gift sold normally, or none, has no auction.
    assert_eq!(
        wire.auction_state(gift(999), 0).await,
        Err(rpc(400, "STARGIFT_INVALID"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_bid_is_paid_at_its_total_and_a_raise_at_the_difference() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, USER, 2);
    let to_post = Recipient::Channel(channel(POST));

    wire.place_bid(bid(LONG, to_post, 200, None))
        .await
        .expect("placed");
    assert_eq!(market.balance(me()), Some(Stars::new(4_800)));
    let standing = wire.auction_state(gift(LONG), 0).await.expect("state");
    let own = *standing.bidder();
    assert_eq!(own.bid, Some(Stars::new(200)));
    assert_eq!(own.min_bid, Some(Stars::new(210)));
    assert!(own.bid_date.is_some());

    wire.place_bid(bid(LONG, to_post, 300, Some(200)))
        .await
        .expect("raised");
    assert_eq!(market.balance(me()), Some(Stars::new(4_700)));
    let bids: Vec<_> = market
        .bids()
        .iter()
        .map(|placed| {
            (
                placed.total.get(),
                placed.charge.get(),
                placed.raise,
                placed.recipient,
            )
        })
        .collect();
    assert_eq!(
        bids,
        [(200, 200, false, to_post), (300, 100, true, to_post)]
    );

    // A raise priced on a bid that no longer stands is refused before anything is paid.
    assert_eq!(
        wire.place_bid(bid(LONG, to_post, 400, Some(250))).await,
        Err(TelegramError::PriceChanged {
            expected: Stars::new(150),
            actual: Stars::new(100),
        })
    );
    assert_eq!(market.bids().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn refused_bids_carry_their_names_and_pay_nothing() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, USER, 2);
    assert_eq!(
        wire.place_bid(bid(LONG, Recipient::Buyer, 99, None)).await,
        Err(rpc(400, "STARGIFT_BID_TOO_LOW"))
    );
    assert_eq!(
        wire.place_bid(bid(LONG, Recipient::Channel(channel(READ)), 200, None))
            .await,
        Err(TelegramError::ChatWriteForbidden)
    );
    assert_eq!(
        wire.place_bid(bid(LONG, Recipient::Buyer, 200, Some(150)))
            .await,
        Err(rpc(400, "STARGIFT_BID_NOT_FOUND"))
    );
    assert_eq!(
        wire.place_bid(bid(LONG, Recipient::Buyer, 6_000, None))
            .await,
        Err(TelegramError::BalanceTooLow)
    );
    assert!(market.bids().is_empty());
    assert_eq!(market.balance(me()), Some(Stars::new(5_000)));
    server.shutdown().await;
}

#[tokio::test]
async fn a_finished_auction_says_so_with_what_the_bidder_won() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, USER, 2);
    wire.place_bid(bid(SHORT, Recipient::Buyer, 150, None))
        .await
        .expect("placed");
    // The clock is real: the two-second round ends well before this.
    tokio::time::sleep(Duration::from_millis(2_600)).await;
    let answer = wire.auction_state(gift(SHORT), 0).await.expect("state");
    let AuctionAnswer::Finished { bidder } = answer else {
        panic!("a finished auction expected, got {answer:?}");
    };
    assert_eq!(
        (bidder.acquired, bidder.bid, bidder.returned),
        (1, None, false)
    );
    assert_eq!(
        wire.place_bid(bid(SHORT, Recipient::Buyer, 200, None))
            .await,
        Err(rpc(400, "STARGIFT_AUCTION_FINISHED"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_bid_whose_connection_dropped_after_it_ran_is_unknown_and_never_sent_twice() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, USER, 2);
    server.faults().add(FaultRule {
        method: functions::payments::SendStarsForm::CONSTRUCTOR_ID,
        user: Some(USER),
        times: 1,
        action: FaultAction::DropAfter,
    });
    let outcome = wire.place_bid(bid(LONG, Recipient::Buyer, 200, None)).await;
    assert!(
        matches!(
            outcome,
            Err(TelegramError::Network(_) | TelegramError::Timeout)
        ),
        "{outcome:?}"
    );
    // Give a resend every chance to arrive: there must be none, and one bid stands.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(market.bids().len(), 1);
    assert_eq!(
        server
            .stats()
            .calls(functions::payments::SendStarsForm::CONSTRUCTOR_ID),
        1
    );
    assert_eq!(market.balance(me()), Some(Stars::new(4_800)));
    // Sent again as a new bid, the market refuses it: the first one stands.
    assert_eq!(
        wire.place_bid(bid(LONG, Recipient::Buyer, 200, None)).await,
        Err(rpc(400, "STARGIFT_BID_EXISTS"))
    );
    assert_eq!(market.bids().len(), 1);
    server.shutdown().await;
}
