//! Gift auctions: `payments.getStarGiftAuctionState` and its answer mapped onto the core's
//! auction and bidder states, and the `inputInvoiceStarGiftAuctionBid` invoice a bid pays.

use giftbuyer_core::auction::{AuctionAnswer, AuctionRound, AuctionState, BidLevel, BidderState};
use giftbuyer_core::ports::TelegramError;
use giftbuyer_core::{GiftId, Stars, UnixTime};
use grammers_tl_types::{enums, functions, types};

use crate::errors::unexpected;

/// `payments.getStarGiftAuctionState#5c9ff4d6 auction:InputStarGiftAuction version:int` for
/// the auction of `gift`, with the last state version applied (0 for none).
pub fn auction_state_request(
    gift: GiftId,
    version: i32,
) -> functions::payments::GetStarGiftAuctionState {
    functions::payments::GetStarGiftAuctionState {
        auction: enums::InputStarGiftAuction::Auction(types::InputStarGiftAuction {
            gift_id: gift.get(),
        }),
        version,
    }
}

fn time(secs: i32, what: &str) -> Result<UnixTime, TelegramError> {
    UnixTime::from_secs(i64::from(secs)).map_err(|_| unexpected(what))
}

fn stars(amount: i64, what: &str) -> Result<Stars, TelegramError> {
    Stars::from_i64(amount).map_err(|_| unexpected(what))
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// The bidder's own state. A bid or minimum that is negative is an answer no bid can be based
/// on, so it is refused rather than read as zero.
pub fn bidder_state(user: &enums::StarGiftAuctionUserState) -> Result<BidderState, TelegramError> {
    let enums::StarGiftAuctionUserState::State(user) = user;
    Ok(BidderState {
        bid_date: user
            .bid_date
            .map(|date| time(date, "a bid placed before 1970"))
            .transpose()?,
        bid: user
            .bid_amount
            .map(|amount| stars(amount, "a negative standing bid"))
            .transpose()?,
        min_bid: user
            .min_bid_amount
            .map(|amount| stars(amount, "a negative minimum bid"))
            .transpose()?,
        returned: user.returned,
        acquired: count(user.acquired_count),
    })
}

/// Maps the answer. Levels are sorted by position and a level with a position below 1 or a
/// negative amount refuses the whole state: bidding on a misread ranking could overpay.
pub fn auction_answer(
    answer: enums::payments::StarGiftAuctionState,
) -> Result<AuctionAnswer, TelegramError> {
    let enums::payments::StarGiftAuctionState::State(answer) = answer;
    let bidder = bidder_state(&answer.user_state)?;
    let timeout_secs = count(answer.timeout);
    match answer.state {
        enums::StarGiftAuctionState::NotModified => Ok(AuctionAnswer::NotModified {
            bidder,
            timeout_secs,
        }),
        enums::StarGiftAuctionState::Finished(_) => Ok(AuctionAnswer::Finished { bidder }),
        enums::StarGiftAuctionState::State(state) => {
            let mut levels = state
                .bid_levels
                .iter()
                .map(|enums::AuctionBidLevel::Level(level)| {
                    let pos = u32::try_from(level.pos)
                        .ok()
                        .filter(|&pos| pos >= 1)
                        .ok_or_else(|| unexpected("a bid level at a position below 1"))?;
                    Ok(BidLevel {
                        pos,
                        amount: stars(level.amount, "a negative bid level")?,
                        date: time(level.date, "a bid level placed before 1970")?,
                    })
                })
                .collect::<Result<Vec<_>, TelegramError>>()?;
            levels.sort_by_key(|level| level.pos);
            let rounds = state
                .rounds
                .iter()
                .map(|round| match round {
                    enums::StarGiftAuctionRound::Round(round) => AuctionRound {
                        num: count(round.num),
                        duration_secs: count(round.duration),
                        extend: None,
                    },
                    enums::StarGiftAuctionRound::Extendable(round) => AuctionRound {
                        num: count(round.num),
                        duration_secs: count(round.duration),
                        extend: Some((count(round.extend_top), count(round.extend_window))),
                    },
                })
                .collect();
            Ok(AuctionAnswer::Running {
                state: AuctionState {
                    version: state.version,
                    start_date: time(state.start_date, "an auction start before 1970")?,
                    end_date: time(state.end_date, "an auction end before 1970")?,
                    min_bid: stars(state.min_bid_amount, "a negative minimum bid")?,
                    levels,
                    gifts_left: count(state.gifts_left),
                    current_round: count(state.current_round),
                    total_rounds: count(state.total_rounds),
                    next_round_at: time(state.next_round_at, "a round before 1970")?,
                    rounds,
                    gifts_per_round: match &answer.gift {
                        enums::StarGift::Gift(gift) => gift
                            .gifts_per_round
                            .and_then(|count| u32::try_from(count).ok())
                            .unwrap_or(0),
                        enums::StarGift::Unique(_) => 0,
                    },
                },
                bidder,
                timeout_secs,
            })
        }
    }
}

/// `inputInvoiceStarGiftAuctionBid#1ecafa10`: a total bid of `total` stars on `gift`'s auction
/// for `peer` (`None`: the bidding account itself). A raise sets `update_bid` and, as Telegram
/// requires, neither `hide_name` nor a message, which cannot change on a standing bid; the
/// receiver is sent again unchanged.
pub fn bid_invoice(
    gift: GiftId,
    total: Stars,
    raise: bool,
    peer: Option<enums::InputPeer>,
) -> enums::InputInvoice {
    enums::InputInvoice::StarGiftAuctionBid(types::InputInvoiceStarGiftAuctionBid {
        hide_name: false,
        update_bid: raise,
        peer,
        gift_id: gift.get(),
        bid_amount: i64::try_from(total.get()).unwrap_or(i64::MAX),
        message: None,
    })
}

/// Checks a bid's payment form: it may ask for the new total or, for a raise, the difference
/// from the standing bid; any other price pays nothing. Gives the `form_id`.
pub fn check_bid_form(
    form: &enums::payments::PaymentForm,
    total: Stars,
    standing: Option<Stars>,
) -> Result<i64, TelegramError> {
    let (form_id, actual) = super::payment_form_price(form)?;
    let difference = standing.map(|standing| total.saturating_sub(standing));
    if actual == total || Some(actual) == difference {
        Ok(form_id)
    } else {
        Err(TelegramError::PriceChanged {
            expected: difference.unwrap_or(total),
            actual,
        })
    }
}
