//! The resale and auction parts of `giftbuyer plan`'s scenario: resale watches and listings,
//! auction plans with their auction's state, and the bidding budget, read from JSON and checked
//! into the core's types, then decided with the core's `plan_snipes` and `decide_bid`.

use anyhow::{Context as _, anyhow};
use giftbuyer_core::auction::{AuctionState, BidLevel, BidderState};
use giftbuyer_core::bidding::{AuctionPlan, BidHold, BidMoney, decide_bid};
use giftbuyer_core::resale::{
    AttributeFilter, GiftAttributes, Recipient, ResaleListing, ResaleWatch, SnipePlan, plan_snipes,
};
use giftbuyer_core::{Account, AccountId, GiftId, Stars, UnixTime};
use serde::Deserialize;

/// `watches[]`: what a resale watch of the panel holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WatchWire {
    id: i64,
    gift_id: i64,
    max_price: i64,
    #[serde(default = "one")]
    copies: i64,
    #[serde(default)]
    bought: u32,
    model: Option<String>,
    backdrop: Option<String>,
    symbol: Option<String>,
    /// A channel in Bot API form; absent or null: the buying account itself.
    to_channel_id: Option<i64>,
    /// A Telegram user by username instead (`@name` or `name`).
    to_username: Option<String>,
}

fn one() -> i64 {
    1
}

/// `listings[]`: a resale listing as `getResaleStarGifts` carries it; not validated, like the
/// catalog, because the rules skip a bad listing with a reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListingWire {
    unique_id: i64,
    gift_id: i64,
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    num: i64,
    price: Option<i64>,
    model: Option<String>,
    backdrop: Option<String>,
    symbol: Option<String>,
    #[serde(default)]
    require_premium: bool,
}

/// `auctions[]`: one auction plan, the auction's state and the plan account's own bid.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuctionCaseWire {
    gift_id: i64,
    max_bid: i64,
    #[serde(default = "one")]
    wanted: i64,
    /// The account that bids (one of `accounts[]`), whose balance bounds the bid.
    account_id: i64,
    to_channel_id: Option<i64>,
    to_username: Option<String>,
    state: AuctionStateWire,
    bid: Option<OwnBidWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuctionStateWire {
    start_date: i64,
    end_date: i64,
    min_bid: i64,
    gifts_per_round: u32,
    gifts_left: u32,
    #[serde(default)]
    levels: Vec<LevelWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelWire {
    pos: u32,
    amount: i64,
    date: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnBidWire {
    total: i64,
    date: i64,
    min_next: Option<i64>,
    #[serde(default)]
    returned: bool,
    #[serde(default)]
    acquired: u32,
}

/// `bidding`: the user's bidding budget and what their bids already hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BiddingWire {
    #[serde(default)]
    budget: i64,
    #[serde(default)]
    committed: i64,
}

/// The market part of a scenario, checked.
#[derive(Debug, Default)]
pub(crate) struct MarketScenario {
    pub(crate) watches: Vec<ResaleWatch>,
    pub(crate) listings: Vec<ResaleListing>,
    auctions: Vec<AuctionCase>,
    budget: Stars,
    committed: Stars,
}

#[derive(Debug)]
struct AuctionCase {
    plan: AuctionPlan,
    account: AccountId,
    state: AuctionState,
    bidder: BidderState,
}

/// One auction plan's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BidOutcome {
    pub(crate) gift_id: GiftId,
    pub(crate) account_id: AccountId,
    pub(crate) decision: Result<(Stars, bool), BidHold>,
}

fn recipient(to_channel_id: Option<i64>, to_username: Option<&str>) -> anyhow::Result<Recipient> {
    let field = match (to_channel_id, to_username) {
        (None, Some(_)) => "to_username",
        (Some(_), Some(_)) => "to_channel_id and to_username",
        _ => "to_channel_id",
    };
    Recipient::from_parts(to_channel_id, to_username).context(field)
}

fn time(secs: i64, what: &'static str) -> anyhow::Result<UnixTime> {
    UnixTime::from_secs(secs).context(what)
}

fn stars(amount: i64, what: &'static str) -> anyhow::Result<Stars> {
    Stars::from_i64(amount).context(what)
}

impl MarketScenario {
    pub(crate) fn from_wire(
        watches: Vec<WatchWire>,
        listings: Vec<ListingWire>,
        auctions: Vec<AuctionCaseWire>,
        bidding: BiddingWire,
    ) -> anyhow::Result<Self> {
        let watches = watches
            .into_iter()
            .enumerate()
            .map(|(index, watch)| {
                watch_from_wire(watch).with_context(|| format!("watches[{index}]"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let listings = listings.into_iter().map(listing_from_wire).collect();
        let auctions = auctions
            .into_iter()
            .enumerate()
            .map(|(index, case)| {
                auction_from_wire(index, case).with_context(|| format!("auctions[{index}]"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            watches,
            listings,
            auctions,
            budget: stars(bidding.budget, "bidding.budget")?,
            committed: stars(bidding.committed, "bidding.committed")?,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.watches.is_empty() && self.listings.is_empty() && self.auctions.is_empty()
    }

    /// The resale purchases the watches would make with these accounts.
    pub(crate) fn snipes(&self, accounts: &[Account]) -> SnipePlan {
        plan_snipes(&self.watches, &self.listings, accounts)
    }

    /// Each auction plan's decision at `now`, in file order; the bids decided first hold their
    /// stars against the budget and the balance of the later ones.
    pub(crate) fn bids(
        &self,
        accounts: &[Account],
        now: UnixTime,
    ) -> anyhow::Result<Vec<BidOutcome>> {
        let mut committed = self.committed;
        let mut balances: Vec<Account> = accounts.to_vec();
        let mut outcomes = Vec::with_capacity(self.auctions.len());
        for (index, case) in self.auctions.iter().enumerate() {
            let account = balances
                .iter_mut()
                .find(|account| account.id == case.account)
                .ok_or_else(|| {
                    anyhow!(
                        "auctions[{index}]: account_id {} is not in accounts",
                        case.account
                    )
                })?;
            let money = BidMoney {
                budget: self.budget,
                committed,
                balance: account.balance,
            };
            let decision = decide_bid(&case.plan, &case.state, &case.bidder, money, now);
            if let Ok((total, raise)) = decision {
                let standing = if raise { case.bidder.bid } else { None };
                let charge = total.saturating_sub(standing.unwrap_or(Stars::ZERO));
                committed = committed.saturating_add(charge);
                account.balance = account.balance.saturating_sub(charge);
            }
            outcomes.push(BidOutcome {
                gift_id: case.plan.gift_id,
                account_id: case.account,
                decision,
            });
        }
        Ok(outcomes)
    }
}

fn watch_from_wire(wire: WatchWire) -> anyhow::Result<ResaleWatch> {
    let attributes = AttributeFilter::new(
        wire.model.as_deref(),
        wire.backdrop.as_deref(),
        wire.symbol.as_deref(),
    )?;
    let mut watch = ResaleWatch::new(
        wire.id,
        wire.gift_id,
        attributes,
        stars(wire.max_price, "max_price")?,
        recipient(wire.to_channel_id, wire.to_username.as_deref())?,
        wire.copies,
    )?;
    watch.bought = wire.bought;
    Ok(watch)
}

fn listing_from_wire(wire: ListingWire) -> ResaleListing {
    ResaleListing {
        unique_id: wire.unique_id,
        gift_id: wire.gift_id,
        slug: wire.slug,
        title: wire.title,
        num: wire.num,
        price: wire.price,
        attributes: GiftAttributes {
            model: wire.model,
            backdrop: wire.backdrop,
            symbol: wire.symbol,
        },
        require_premium: wire.require_premium,
    }
}

fn auction_from_wire(index: usize, wire: AuctionCaseWire) -> anyhow::Result<AuctionCase> {
    let plan_id = i64::try_from(index).unwrap_or(i64::MAX).saturating_add(1);
    let plan = AuctionPlan::new(
        plan_id,
        wire.gift_id,
        stars(wire.max_bid, "max_bid")?,
        recipient(wire.to_channel_id, wire.to_username.as_deref())?,
        wire.wanted,
    )?;
    let state = &wire.state;
    let mut levels = state
        .levels
        .iter()
        .enumerate()
        .map(|(at, level)| {
            if level.pos == 0 {
                anyhow::bail!("state.levels[{at}].pos: a position starts at 1");
            }
            Ok(BidLevel {
                pos: level.pos,
                amount: stars(level.amount, "amount")
                    .with_context(|| format!("state.levels[{at}]"))?,
                date: time(level.date, "date").with_context(|| format!("state.levels[{at}]"))?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    levels.sort_by_key(|level| level.pos);
    let bidder = match &wire.bid {
        None => BidderState::default(),
        Some(bid) => BidderState {
            bid: Some(stars(bid.total, "bid.total")?),
            bid_date: Some(time(bid.date, "bid.date")?),
            min_bid: bid
                .min_next
                .map(|min| stars(min, "bid.min_next"))
                .transpose()?,
            returned: bid.returned,
            acquired: bid.acquired,
        },
    };
    Ok(AuctionCase {
        plan,
        account: AccountId::new(wire.account_id).context("account_id")?,
        state: AuctionState {
            version: 1,
            start_date: time(state.start_date, "state.start_date")?,
            end_date: time(state.end_date, "state.end_date")?,
            min_bid: stars(state.min_bid, "state.min_bid")?,
            levels,
            gifts_left: state.gifts_left,
            current_round: 1,
            total_rounds: 1,
            next_round_at: time(state.end_date, "state.end_date")?,
            rounds: Vec::new(),
            gifts_per_round: state.gifts_per_round,
        },
        bidder,
    })
}
