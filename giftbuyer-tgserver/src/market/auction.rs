//! Gift auctions as Telegram serves them: `payments.getStarGiftAuctionState` answers the
//! simulated market's auction (running, not modified or finished) with the account's own
//! state, and a `getPaymentForm` with `inputInvoiceStarGiftAuctionBid` makes a form priced at
//! what the bid costs (the total for a new bid, the difference for a raise) that
//! `sendStarsForm` pays through the market's `place_bid` (single use, like every form; see
//! `payments`).

use giftbuyer_core::auction::{AuctionAnswer, AuctionState, BidderState};
use giftbuyer_core::ports::TelegramAccount;
use giftbuyer_core::resale::{Recipient, TelegramUsername};
use giftbuyer_core::{AccountId, GiftId, Stars};
use giftbuyer_sim::{AuctionSnapshot, Bidder};
use grammers_tl_types::{self as tl, functions};

use super::payments::FormFor;
use super::{MarketBackend, telegram_error};
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};

/// The schema's dates and counts are `int`; a larger value is shown as the largest that fits.
fn int(value: impl TryInto<i32>) -> i32 {
    value.try_into().unwrap_or(i32::MAX)
}

fn amount(stars: Stars) -> i64 {
    i64::try_from(stars.get()).unwrap_or(i64::MAX)
}

fn invalid_gift() -> RpcFailure {
    RpcFailure::bad_request("STARGIFT_INVALID")
}

/// The gift an `InputStarGiftAuction` names: by id, or by the slug the catalog shows
/// (`gift-<id>`).
fn auction_gift(input: &tl::enums::InputStarGiftAuction) -> Result<GiftId, RpcFailure> {
    let id = match input {
        tl::enums::InputStarGiftAuction::Auction(auction) => auction.gift_id,
        tl::enums::InputStarGiftAuction::Slug(slug) => slug
            .slug
            .strip_prefix("gift-")
            .and_then(|id| id.parse().ok())
            .ok_or_else(invalid_gift)?,
    };
    GiftId::new(id).map_err(|_| invalid_gift())
}

impl MarketBackend {
    /// `payments.getStarGiftAuctionState`: the auction through the market's account port (its
    /// latency, faults and rules), the gift as the account's catalog shows it, and the
    /// account's own state.
    pub(super) async fn star_gift_auction_state(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::payments::GetStarGiftAuctionState = decode(body)?;
        let gift = auction_gift(&request.auction)?;
        let sim = self.account(context)?;
        let me = sim.account_id();
        let answer = sim
            .auction_state(gift, request.version)
            .await
            .map_err(|error| telegram_error(&error))?;
        let snapshot = self.market().auction(gift).ok_or_else(invalid_gift)?;
        let catalog = self
            .market()
            .catalog_gift(me, gift)
            .ok_or_else(invalid_gift)?;
        let bought = self.bought_by(me, std::slice::from_ref(&catalog));
        let (state, timeout) = match &answer {
            AuctionAnswer::NotModified { timeout_secs, .. } => (
                tl::enums::StarGiftAuctionState::NotModified,
                int(*timeout_secs),
            ),
            AuctionAnswer::Running {
                state,
                timeout_secs,
                ..
            } => (running_state(state, &snapshot), int(*timeout_secs)),
            AuctionAnswer::Finished { .. } => (finished_state(&snapshot), 0),
        };
        Ok(Reply::answer(
            &tl::enums::payments::StarGiftAuctionState::State(
                tl::types::payments::StarGiftAuctionState {
                    gift: self.star_gift(&catalog, me, &bought),
                    state,
                    user_state: user_state(me, answer.bidder(), &snapshot, |name| {
                        self.market().person(&name)
                    }),
                    timeout,
                    users: Vec::new(),
                    chats: Vec::new(),
                },
            ),
        ))
    }

    /// The form of `inputInvoiceStarGiftAuctionBid`, checked in this order: the receiver (the
    /// bidder itself, a person or a channel with this account's access hash for them;
    /// `PEER_ID_INVALID` otherwise, see `invoice_recipient`), the amount, then the market's checks of the bid (its channel rights, the
    /// gift, the auction's rules). The balance is the payment's check, as for a gift.
    pub(super) fn auction_bid_payment_form(
        &self,
        context: &CallContext,
        invoice: &tl::enums::InputInvoice,
        bid: &tl::types::InputInvoiceStarGiftAuctionBid,
    ) -> Result<Reply, RpcFailure> {
        let me = self.account(context)?.account_id();
        let recipient = match &bid.peer {
            None => Recipient::Buyer,
            Some(peer) => self.invoice_recipient(me, peer)?,
        };
        let gift = GiftId::new(bid.gift_id).map_err(|_| invalid_gift())?;
        let total = Stars::from_i64(bid.bid_amount)
            .map_err(|_| RpcFailure::bad_request("STARGIFT_BID_TOO_LOW"))?;
        let charge = self
            .market()
            .bid_charge(me, gift, recipient, total, bid.update_bid)
            .map_err(|error| telegram_error(&error))?;
        let label = self
            .market()
            .gift(gift)
            .and_then(|gift| gift.title)
            .unwrap_or_else(|| "Auction bid".to_owned());
        self.new_form(
            me,
            invoice,
            charge,
            label,
            FormFor::Bid {
                gift,
                recipient,
                total,
                // What stood when the form was made; the market refuses the payment if another
                // bid stands by then, as the form's price would no longer be the difference.
                standing: bid.update_bid.then(|| total.saturating_sub(charge)),
            },
        )
    }
}

/// `starGiftAuctionState` from the core's state and the market's snapshot (for what the core
/// does not keep: the gifts handed out so far and the top bidders).
fn running_state(
    state: &AuctionState,
    snapshot: &AuctionSnapshot,
) -> tl::enums::StarGiftAuctionState {
    let rounds = state
        .rounds
        .iter()
        .map(|round| match round.extend {
            Some((top, window)) => tl::enums::StarGiftAuctionRound::Extendable(
                tl::types::StarGiftAuctionRoundExtendable {
                    num: int(round.num),
                    duration: int(round.duration_secs),
                    extend_top: int(top),
                    extend_window: int(window),
                },
            ),
            None => tl::enums::StarGiftAuctionRound::Round(tl::types::StarGiftAuctionRound {
                num: int(round.num),
                duration: int(round.duration_secs),
            }),
        })
        .collect();
    tl::enums::StarGiftAuctionState::State(tl::types::StarGiftAuctionState {
        version: state.version,
        start_date: int(state.start_date.secs()),
        end_date: int(state.end_date.secs()),
        min_bid_amount: amount(state.min_bid),
        bid_levels: state
            .levels
            .iter()
            .map(|level| {
                tl::enums::AuctionBidLevel::Level(tl::types::AuctionBidLevel {
                    pos: int(level.pos),
                    amount: amount(level.amount),
                    date: int(level.date.secs()),
                })
            })
            .collect(),
        // Only the market's accounts are users here; competing bidders have no user to name.
        top_bidders: snapshot
            .standing
            .iter()
            .take(3)
            .filter_map(|bid| match bid.bidder {
                Bidder::Account(account) => Some(account.get()),
                Bidder::Competitor(_) => None,
            })
            .collect(),
        next_round_at: int(state.next_round_at.secs()),
        last_gift_num: int(snapshot.wins.len()),
        gifts_left: int(state.gifts_left),
        current_round: int(state.current_round),
        total_rounds: int(state.total_rounds),
        rounds,
    })
}

/// `starGiftAuctionStateFinished`, with the average winning bid.
fn finished_state(snapshot: &AuctionSnapshot) -> tl::enums::StarGiftAuctionState {
    let spent: u64 = snapshot.wins.iter().map(|win| win.amount.get()).sum();
    let average = spent.checked_div(snapshot.wins.len() as u64).unwrap_or(0);
    tl::enums::StarGiftAuctionState::Finished(tl::types::StarGiftAuctionStateFinished {
        start_date: int(snapshot.start_date.secs()),
        end_date: int(snapshot.end_date.secs()),
        average_price: i64::try_from(average).unwrap_or(i64::MAX),
        listed_count: None,
        fragment_listed_count: None,
        fragment_listed_url: None,
    })
}

/// `starGiftAuctionUserState`. The schema ties the bid, its date, the least raise and the
/// receiver to one flag, and grammers serialises the flag from any of them without checking
/// the others, so all four are set together or none is. A person receiving the bid is
/// `peerUser` with their user id, which `person` looks up by username.
fn user_state(
    me: AccountId,
    bidder: &BidderState,
    snapshot: &AuctionSnapshot,
    person: impl Fn(TelegramUsername) -> Option<i64>,
) -> tl::enums::StarGiftAuctionUserState {
    let peer = snapshot
        .standing
        .iter()
        .find(|bid| bid.bidder == Bidder::Account(me))
        .and_then(|bid| bid.recipient)
        .and_then(|recipient| match recipient {
            Recipient::Buyer => Some(tl::enums::Peer::User(tl::types::PeerUser {
                user_id: me.get(),
            })),
            // The market accepts a bid only for a person it knows, and its directory does not
            // change, so the lookup finds them.
            Recipient::User(name) => {
                person(name).map(|user_id| tl::enums::Peer::User(tl::types::PeerUser { user_id }))
            }
            Recipient::Channel(channel) => Some(tl::enums::Peer::Channel(tl::types::PeerChannel {
                channel_id: channel.mtproto_id(),
            })),
        });
    let bid = match (bidder.bid, bidder.bid_date, bidder.min_bid, peer) {
        (Some(bid), Some(date), Some(min), Some(peer)) => Some((bid, date, min, peer)),
        _ => None,
    };
    tl::enums::StarGiftAuctionUserState::State(tl::types::StarGiftAuctionUserState {
        returned: bidder.returned,
        bid_amount: bid.as_ref().map(|(bid, ..)| amount(*bid)),
        bid_date: bid.as_ref().map(|(_, date, ..)| int(date.secs())),
        min_bid_amount: bid.as_ref().map(|(_, _, min, _)| amount(*min)),
        bid_peer: bid.map(|(.., peer)| peer),
        acquired_count: int(bidder.acquired),
    })
}
