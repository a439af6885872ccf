//! The auction mapping from constructed TL objects through the wire format: a running state
//! with its levels and rounds, the bidder's own state, not-modified and finished answers,
//! answers no bid may be based on, and the bid invoice.

use giftbuyer_core::auction::{AuctionAnswer, AuctionRound, BidLevel, BidderState};
use giftbuyer_core::{GiftId, Stars, UnixTime};
use giftbuyer_telegram::mapping::{auction_answer, auction_state_request, bid_invoice};
use grammers_tl_types::{Deserializable, Serializable, enums, types};

use crate::fixtures::star_gift;

fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).expect("valid time")
}

fn user_state(bid: Option<i64>) -> enums::StarGiftAuctionUserState {
    enums::StarGiftAuctionUserState::State(types::StarGiftAuctionUserState {
        returned: false,
        bid_amount: bid,
        bid_date: bid.map(|_| 1_800_000_000),
        min_bid_amount: bid.map(|bid| bid + 50),
        // The schema ties the bid, its date, the minimum and the peer to one flag: all or none
        // (grammers writes the flag from any of them and would otherwise send a broken object).
        bid_peer: bid.map(|_| enums::Peer::User(types::PeerUser { user_id: 5 })),
        acquired_count: 1,
    })
}

fn running(levels: Vec<(i32, i64)>) -> enums::StarGiftAuctionState {
    enums::StarGiftAuctionState::State(types::StarGiftAuctionState {
        version: 7,
        start_date: 1_800_000_000,
        end_date: 1_800_003_600,
        min_bid_amount: 100,
        bid_levels: levels
            .into_iter()
            .map(|(pos, amount)| {
                enums::AuctionBidLevel::Level(types::AuctionBidLevel {
                    pos,
                    amount,
                    date: 1_800_000_100 + pos,
                })
            })
            .collect(),
        top_bidders: Vec::new(),
        next_round_at: 1_800_000_600,
        last_gift_num: 40,
        gifts_left: 460,
        current_round: 2,
        total_rounds: 10,
        rounds: vec![
            enums::StarGiftAuctionRound::Round(types::StarGiftAuctionRound {
                num: 1,
                duration: 600,
            }),
            enums::StarGiftAuctionRound::Extendable(types::StarGiftAuctionRoundExtendable {
                num: 2,
                duration: 600,
                extend_top: 10,
                extend_window: 30,
            }),
        ],
    })
}

fn answer(
    state: enums::StarGiftAuctionState,
    bid: Option<i64>,
) -> enums::payments::StarGiftAuctionState {
    let answer =
        enums::payments::StarGiftAuctionState::State(types::payments::StarGiftAuctionState {
            // The auction fields share flag 11: grammers writes them all or none.
            gift: enums::StarGift::Gift(types::StarGift {
                auction: true,
                auction_slug: Some("cap".to_owned()),
                gifts_per_round: Some(50),
                auction_start_date: Some(1_800_000_000),
                ..star_gift(77)
            }),
            state,
            user_state: user_state(bid),
            timeout: 30,
            users: Vec::new(),
            chats: Vec::new(),
        });
    enums::payments::StarGiftAuctionState::from_bytes(&answer.to_bytes()).expect("round trip")
}

#[test]
fn a_running_auction_maps_levels_rounds_and_the_bidder() {
    let mapped =
        auction_answer(answer(running(vec![(10, 1_200), (1, 5_000)]), Some(900))).expect("valid");
    let AuctionAnswer::Running {
        state,
        bidder,
        timeout_secs,
    } = mapped
    else {
        panic!("a running auction: {mapped:?}");
    };
    assert_eq!(timeout_secs, 30);
    assert_eq!(
        state.levels,
        [
            BidLevel {
                pos: 1,
                amount: Stars::new(5_000),
                date: at(1_800_000_101),
            },
            BidLevel {
                pos: 10,
                amount: Stars::new(1_200),
                date: at(1_800_000_110),
            },
        ],
        "sorted by position"
    );
    assert_eq!(
        (state.version, state.gifts_left, state.current_round),
        (7, 460, 2)
    );
    assert_eq!(state.min_bid, Stars::new(100));
    assert_eq!(state.gifts_per_round, 50, "from the answer's gift");
    assert_eq!(
        state.rounds[1],
        AuctionRound {
            num: 2,
            duration_secs: 600,
            extend: Some((10, 30))
        }
    );
    assert_eq!(
        bidder,
        BidderState {
            bid: Some(Stars::new(900)),
            bid_date: Some(at(1_800_000_000)),
            min_bid: Some(Stars::new(950)),
            returned: false,
            acquired: 1,
        }
    );
}

#[test]
fn not_modified_finished_and_unreadable_answers() {
    assert!(matches!(
        auction_answer(answer(enums::StarGiftAuctionState::NotModified, None)),
        Ok(AuctionAnswer::NotModified {
            timeout_secs: 30,
            ..
        })
    ));
    let finished = enums::StarGiftAuctionState::Finished(types::StarGiftAuctionStateFinished {
        start_date: 1_800_000_000,
        end_date: 1_800_003_600,
        average_price: 1_500,
        listed_count: None,
        fragment_listed_count: None,
        fragment_listed_url: None,
    });
    assert!(matches!(
        auction_answer(answer(finished, Some(1))),
        Ok(AuctionAnswer::Finished { .. })
    ));
    // A ranking that cannot be read is refused, never bid on.
    for levels in [vec![(0, 100)], vec![(1, -5)]] {
        assert!(
            auction_answer(answer(running(levels.clone()), None)).is_err(),
            "{levels:?}"
        );
    }
    assert!(auction_answer(answer(running(Vec::new()), Some(-1))).is_err());
}

#[test]
fn the_request_names_the_gift_and_a_raise_sets_update_bid() {
    let gift = GiftId::new(77).expect("id");
    let request = auction_state_request(gift, 7);
    assert_eq!(request.version, 7);
    assert!(matches!(
        request.auction,
        enums::InputStarGiftAuction::Auction(types::InputStarGiftAuction { gift_id: 77 })
    ));
    let enums::InputInvoice::StarGiftAuctionBid(first) = bid_invoice(
        gift,
        Stars::new(1_201),
        false,
        Some(enums::InputPeer::PeerSelf),
    ) else {
        panic!("a bid invoice");
    };
    assert_eq!(
        (first.bid_amount, first.update_bid, first.hide_name),
        (1_201, false, false)
    );
    assert!(first.message.is_none());
    let enums::InputInvoice::StarGiftAuctionBid(raise) = bid_invoice(
        gift,
        Stars::new(1_500),
        true,
        Some(enums::InputPeer::PeerSelf),
    ) else {
        panic!("a bid invoice");
    };
    assert_eq!((raise.bid_amount, raise.update_bid), (1_500, true));
    assert!(raise.message.is_none() && !raise.hide_name);
    assert_eq!(raise.peer, Some(enums::InputPeer::PeerSelf));
}
