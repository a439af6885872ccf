//! Simulated gift auctions: rounds on the market's clock, competing bidders who bid and raise
//! at seeded times, the accounts' bids and raises with Telegram's checks, winners at each
//! round's end and the stars returned to every bid left standing at the end.
//!
//! An auction is an event simulation advanced lazily: every call into the market first runs
//! the events (competitors' actions, rounds' ends) due by its arrival, in time order, so the
//! outcome depends only on the seed and on when requests arrive, as everything else in the
//! market does.

use std::collections::BTreeMap;
use std::time::Duration;

use giftbuyer_core::auction::{AuctionAnswer, AuctionRound, AuctionState, BidLevel, BidderState};
use giftbuyer_core::ports::{BidRequest, PurchaseReceipt, TelegramError};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, GiftId, Stars, UnixTime};

use crate::config::ConfigError;
use crate::market::{Now, State};
use crate::rng::{SplitMix64, key};

/// Tag that keeps the competing bidders' draws apart from every other keyed draw.
const BIDDER_TAG: u64 = 0x4249_4444_4552_0000;
/// The most rounds an auction may have.
pub const MAX_AUCTION_ROUNDS: u32 = 1_000;
/// The most competing bidders one auction may have.
pub const MAX_COMPETING_BIDDERS: u32 = 1_000;
/// How long a round may last at most: a day.
const LONGEST_ROUND: Duration = Duration::from_secs(86_400);
/// The shortest pause between two actions of one competitor.
const FASTEST_BIDDER: Duration = Duration::from_millis(100);
/// For how long a state call subscribes the account to the auction's updates.
pub const AUCTION_TIMEOUT_SECS: u32 = 30;
/// Positions listed exactly beyond the gifts a round hands out; past them only every
/// [`SPARSE_LEVEL_STEP`]th position is listed, as Telegram's sparse `bid_levels` are.
const EXACT_LEVELS_AFTER_ROUND: u64 = 5;
const SPARSE_LEVEL_STEP: usize = 10;

/// An extendable round (`starGiftAuctionRoundExtendable`): a bid that changes the top `top`
/// bidders within the round's last `window` extends the round by `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundExtension {
    pub top: u32,
    /// Whole seconds, at least one.
    pub window: Duration,
}

/// The rest of Telegram bidding in an auction: `count` bidders, each with a maximum drawn
/// uniformly from `max_bid_low..=max_bid_high`, acting every `act_every` on average (between
/// half and one and a half times it). Each wants one gift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompetingBidders {
    pub count: u32,
    pub max_bid_low: Stars,
    pub max_bid_high: Stars,
    pub act_every: Duration,
}

impl CompetingBidders {
    /// Nobody else bids.
    pub const NONE: Self = Self {
        count: 0,
        max_bid_low: Stars::ZERO,
        max_bid_high: Stars::ZERO,
        act_every: Duration::from_secs(5),
    };

    pub const fn new(
        count: u32,
        max_bid_low: Stars,
        max_bid_high: Stars,
        act_every: Duration,
    ) -> Self {
        Self {
            count,
            max_bid_low,
            max_bid_high,
            act_every,
        }
    }
}

/// How a gift sold by auction is announced and run: Telegram lists it with `starGift.auction`
/// and takes bids for it, never purchases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuctionSpec {
    /// Gifts each round hands to its top bidders, at least 1.
    pub gifts_per_round: u64,
    /// How long after the gift appears in the catalog the first round starts.
    pub starts_after: Duration,
    /// How many rounds; `None` for as many as hand out the whole supply.
    pub rounds: Option<u32>,
    /// How long each round lasts, in whole seconds (default a minute).
    pub round_duration: Duration,
    pub extension: Option<RoundExtension>,
    /// The least a first bid may be (default 100 stars).
    pub min_bid: Stars,
    pub bidders: CompetingBidders,
}

impl AuctionSpec {
    /// An auction of `gifts_per_round` gifts a round, starting `starts_after` the gift appears:
    /// rounds of a minute until the supply is handed out, a minimum bid of 100 stars, no
    /// extension and no competing bidders.
    pub const fn new(gifts_per_round: u64, starts_after: Duration) -> Self {
        Self {
            gifts_per_round,
            starts_after,
            rounds: None,
            round_duration: Duration::from_secs(60),
            extension: None,
            min_bid: Stars::new(100),
            bidders: CompetingBidders::NONE,
        }
    }

    /// `rounds` rounds of `duration` each.
    #[must_use]
    pub const fn rounds(mut self, rounds: u32, duration: Duration) -> Self {
        self.rounds = Some(rounds);
        self.round_duration = duration;
        self
    }

    #[must_use]
    pub const fn round_duration(mut self, duration: Duration) -> Self {
        self.round_duration = duration;
        self
    }

    /// Makes the rounds extendable.
    #[must_use]
    pub const fn extendable(mut self, top: u32, window: Duration) -> Self {
        self.extension = Some(RoundExtension { top, window });
        self
    }

    #[must_use]
    pub const fn min_bid(mut self, min_bid: Stars) -> Self {
        self.min_bid = min_bid;
        self
    }

    #[must_use]
    pub const fn bidders(mut self, bidders: CompetingBidders) -> Self {
        self.bidders = bidders;
        self
    }

    /// Checks what the types cannot, for the auction of `gift`.
    pub fn validate(&self, gift: GiftId) -> Result<(), ConfigError> {
        if self.gifts_per_round == 0 {
            return Err(ConfigError::EmptyAuctionRound(gift));
        }
        if let Some(rounds) = self.rounds
            && !(1..=MAX_AUCTION_ROUNDS).contains(&rounds)
        {
            return Err(ConfigError::AuctionRounds { gift, rounds });
        }
        if !whole_seconds(self.round_duration) || self.round_duration > LONGEST_ROUND {
            return Err(ConfigError::AuctionRoundDuration {
                gift,
                duration: self.round_duration,
            });
        }
        if let Some(extension) = self.extension
            && (extension.top == 0
                || !whole_seconds(extension.window)
                || extension.window > LONGEST_ROUND)
        {
            return Err(ConfigError::AuctionExtension(gift));
        }
        if self.min_bid == Stars::ZERO {
            return Err(ConfigError::AuctionMinBid(gift));
        }
        let bidders = self.bidders;
        if bidders.count > MAX_COMPETING_BIDDERS
            || bidders.max_bid_low > bidders.max_bid_high
            || bidders.act_every < FASTEST_BIDDER
        {
            return Err(ConfigError::AuctionBidders(gift));
        }
        Ok(())
    }
}

fn whole_seconds(duration: Duration) -> bool {
    duration >= Duration::from_secs(1) && duration.subsec_nanos() == 0
}

/// Who holds a bid: one of the market's accounts, or competing bidder number `n` (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bidder {
    Account(AccountId),
    Competitor(u32),
}

/// A bid standing in an auction, in rank order in [`AuctionSnapshot::standing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandingBid {
    pub bidder: Bidder,
    pub amount: Stars,
    /// When it was placed or last raised, on the market's clock.
    pub at: Duration,
    /// Who receives the gift if it wins: set for an account's bid, as its first bid named it.
    pub recipient: Option<Recipient>,
}

/// A gift won at a round's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuctionWin {
    pub bidder: Bidder,
    pub round: u32,
    /// The winning bid, all of it spent.
    pub amount: Stars,
    pub at: Duration,
}

/// A bid that came back: out of reach of the gifts left, or standing when the auction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuctionReturn {
    pub bidder: Bidder,
    pub amount: Stars,
    pub at: Duration,
}

/// One bid an account placed, in the order the market accepted them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuctionBid {
    pub form_id: i64,
    pub account: AccountId,
    pub gift: GiftId,
    /// The bid's new total.
    pub total: Stars,
    /// What it cost: the total for a new bid, the difference for a raise.
    pub charge: Stars,
    pub raise: bool,
    pub recipient: Recipient,
    pub at: Duration,
    pub unix: UnixTime,
}

/// An auction's state at one moment, for tests, reports and the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuctionSnapshot {
    pub gift: GiftId,
    pub starts_at: Duration,
    pub started: bool,
    pub finished: bool,
    /// The current round from 1 (the last one once finished).
    pub round: u32,
    pub total_rounds: u32,
    pub gifts_per_round: u64,
    pub gifts_left: u64,
    pub round_ends_at: Duration,
    pub ends_at: Duration,
    /// `starts_at` and `ends_at` on the Unix clock, as the auction's state shows them.
    pub start_date: UnixTime,
    pub end_date: UnixTime,
    /// The least a first bid may be now.
    pub min_bid: Stars,
    pub version: i32,
    /// Highest first; of two equal bids the earlier first.
    pub standing: Vec<StandingBid>,
    pub wins: Vec<AuctionWin>,
    pub returns: Vec<AuctionReturn>,
}

impl AuctionSnapshot {
    /// The account's standing bid, if any.
    pub fn standing_bid(&self, account: AccountId) -> Option<Stars> {
        self.standing
            .iter()
            .find(|bid| bid.bidder == Bidder::Account(account))
            .map(|bid| bid.amount)
    }

    /// The gifts the account won so far.
    pub fn won_by(&self, account: AccountId) -> Vec<AuctionWin> {
        self.wins
            .iter()
            .filter(|win| win.bidder == Bidder::Account(account))
            .copied()
            .collect()
    }
}

#[derive(Debug, Clone)]
struct Bid {
    bidder: Bidder,
    amount: Stars,
    at: Duration,
    recipient: Option<Recipient>,
}

#[derive(Debug, Clone)]
struct Competitor {
    max: Stars,
    next_act: Option<Duration>,
    acts: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Record {
    returned: bool,
    acquired: u32,
}

/// One auction as it runs.
#[derive(Debug, Clone)]
pub(crate) struct AuctionRun {
    spec: AuctionSpec,
    gift: GiftId,
    seed: u64,
    start: Duration,
    total_rounds: u32,
    round: u32,
    round_end: Duration,
    gifts_left: u64,
    finished: bool,
    version: i32,
    /// Kept in rank order.
    bids: Vec<Bid>,
    records: BTreeMap<Bidder, Record>,
    competitors: Vec<Competitor>,
    wins: Vec<AuctionWin>,
    returns: Vec<AuctionReturn>,
    /// The Unix second of the market clock's zero, fixed at the first call so every date the
    /// auction shows stays the same from one call to the next.
    unix_origin: Option<i64>,
}

/// Why a bid was refused, before anything changed.
fn rpc(name: &str) -> TelegramError {
    TelegramError::Rpc {
        code: 400,
        name: name.into(),
    }
}

impl AuctionRun {
    /// The auction of `gift`, appearing at `release_at` with `gifts` to hand out.
    pub(crate) fn new(
        spec: AuctionSpec,
        gift: GiftId,
        release_at: Duration,
        gifts: u64,
        seed: u64,
    ) -> Self {
        let start = release_at.saturating_add(spec.starts_after);
        let total_rounds = spec.rounds.unwrap_or_else(|| {
            let needed = gifts.div_ceil(spec.gifts_per_round.max(1));
            u32::try_from(needed)
                .unwrap_or(MAX_AUCTION_ROUNDS)
                .clamp(1, MAX_AUCTION_ROUNDS)
        });
        let bidders = spec.bidders;
        let spread =
            bidders.max_bid_high.get() - bidders.max_bid_low.get().min(bidders.max_bid_high.get());
        let competitors = (0..bidders.count)
            .map(|index| {
                let mut rng =
                    SplitMix64::keyed(seed, &[BIDDER_TAG, key(gift.get()), u64::from(index)]);
                let max = Stars::new(
                    bidders
                        .max_bid_low
                        .get()
                        .saturating_add(rng.below(spread.saturating_add(1))),
                );
                let first = bidders.act_every.mul_f64(rng.next_f64());
                Competitor {
                    max,
                    next_act: Some(start.saturating_add(first)),
                    acts: 0,
                }
            })
            .collect();
        Self {
            spec,
            gift,
            seed,
            start,
            total_rounds,
            round: 1,
            round_end: start.saturating_add(spec.round_duration),
            gifts_left: gifts,
            finished: gifts == 0,
            version: 1,
            bids: Vec::new(),
            records: BTreeMap::new(),
            competitors,
            wins: Vec::new(),
            returns: Vec::new(),
            unix_origin: None,
        }
    }

    pub(crate) const fn gifts_left(&self) -> u64 {
        self.gifts_left
    }

    /// Gifts won by the market's accounts and by competitors.
    pub(crate) fn won(&self) -> (u64, u64) {
        let ours = self
            .wins
            .iter()
            .filter(|win| matches!(win.bidder, Bidder::Account(_)))
            .count() as u64;
        (ours, self.wins.len() as u64 - ours)
    }

    /// When the last round ends as things stand.
    fn end(&self) -> Duration {
        let rounds_after = self.total_rounds.saturating_sub(self.round);
        self.round_end
            .saturating_add(self.spec.round_duration.saturating_mul(rounds_after))
    }

    /// Runs every event due by `now`, in time order; a round that ends at the same instant as a
    /// competitor acts ends first. Refunds for the accounts go to `refunds`.
    pub(crate) fn advance(&mut self, now: Now, refunds: &mut Vec<(AccountId, Stars)>) {
        if self.unix_origin.is_none() {
            let elapsed = i64::try_from(now.elapsed.as_secs()).unwrap_or(i64::MAX);
            self.unix_origin = Some(now.unix.secs().saturating_sub(elapsed));
        }
        while !self.finished {
            let competitor = self
                .competitors
                .iter()
                .enumerate()
                .filter_map(|(index, competitor)| competitor.next_act.map(|at| (at, index)))
                .min();
            if self.round_end <= now.elapsed
                && competitor.is_none_or(|(at, _)| self.round_end <= at)
            {
                self.end_round(refunds);
                continue;
            }
            match competitor {
                Some((at, index)) if at <= now.elapsed => self.competitor_acts(index, at, refunds),
                _ => break,
            }
        }
    }

    fn record(&mut self, bidder: Bidder) -> &mut Record {
        self.records.entry(bidder).or_default()
    }

    fn end_round(&mut self, refunds: &mut Vec<(AccountId, Stars)>) {
        let at = self.round_end;
        let slots = self.slots().min(self.bids.len() as u64) as usize;
        let round = self.round;
        let winners: Vec<Bid> = self.bids.drain(..slots).collect();
        for bid in &winners {
            let record = self.record(bid.bidder);
            record.acquired = record.acquired.saturating_add(1);
            record.returned = false;
            self.wins.push(AuctionWin {
                bidder: bid.bidder,
                round,
                amount: bid.amount,
                at,
            });
        }
        self.gifts_left = self.gifts_left.saturating_sub(winners.len() as u64);
        self.version = self.version.saturating_add(1);
        if self.round >= self.total_rounds || self.gifts_left == 0 {
            self.finished = true;
            let standing = std::mem::take(&mut self.bids);
            for bid in standing {
                self.give_back(bid, at, refunds);
            }
        } else {
            self.round += 1;
            self.round_end = at.saturating_add(self.spec.round_duration);
            self.return_out_of_reach(at, refunds);
        }
    }

    /// Gives a bid's stars back and marks its bidder returned.
    fn give_back(&mut self, bid: Bid, at: Duration, refunds: &mut Vec<(AccountId, Stars)>) {
        if let Bidder::Account(account) = bid.bidder {
            refunds.push((account, bid.amount));
        }
        self.record(bid.bidder).returned = true;
        self.returns.push(AuctionReturn {
            bidder: bid.bidder,
            amount: bid.amount,
            at,
        });
    }

    /// Returns every bid below the gifts left: even if nobody else bid, it could not win.
    fn return_out_of_reach(&mut self, at: Duration, refunds: &mut Vec<(AccountId, Stars)>) {
        let keep = usize::try_from(self.gifts_left).unwrap_or(usize::MAX);
        if self.bids.len() > keep {
            let out: Vec<Bid> = self.bids.drain(keep..).collect();
            for bid in out {
                self.give_back(bid, at, refunds);
            }
            self.version = self.version.saturating_add(1);
        }
    }

    /// Gifts the current round hands out.
    fn slots(&self) -> u64 {
        self.spec.gifts_per_round.min(self.gifts_left)
    }

    fn position(&self, bidder: Bidder) -> Option<usize> {
        self.bids.iter().position(|bid| bid.bidder == bidder)
    }

    /// The least a first bid may be now: the auction's minimum, and above the last bid that
    /// could still win once as many bids stand as gifts are left.
    fn min_first_bid(&self) -> Stars {
        let reach = usize::try_from(self.gifts_left).unwrap_or(usize::MAX);
        match reach.checked_sub(1).and_then(|last| self.bids.get(last)) {
            Some(last) if self.bids.len() >= reach => self
                .spec
                .min_bid
                .max(last.amount.saturating_add(Stars::new(1))),
            _ => self.spec.min_bid,
        }
    }

    /// The least a raise of `bid` may be: one star, or a twentieth of the bid, above it.
    fn min_raise(bid: Stars) -> Stars {
        bid.saturating_add(Stars::new((bid.get() / 20).max(1)))
    }

    /// Places `bidder`'s new total at `at`, replacing its standing bid, extends the round when
    /// the bid changes the top, and returns what fell out of reach.
    fn place(
        &mut self,
        bidder: Bidder,
        total: Stars,
        at: Duration,
        recipient: Option<Recipient>,
        refunds: &mut Vec<(AccountId, Stars)>,
    ) {
        let top_before = self.top();
        // A raise cannot change who receives the gift: the first bid's receiver stays.
        let recipient = self
            .position(bidder)
            .and_then(|pos| self.bids[pos].recipient)
            .or(recipient);
        self.bids.retain(|bid| bid.bidder != bidder);
        // Equal bids placed earlier rank higher, so the new bid goes after every bid of its
        // amount (bids are placed in time order, so those are all earlier or simultaneous but
        // accepted first).
        let index = self
            .bids
            .iter()
            .position(|bid| bid.amount < total)
            .unwrap_or(self.bids.len());
        self.bids.insert(
            index,
            Bid {
                bidder,
                amount: total,
                at,
                recipient,
            },
        );
        self.record(bidder).returned = false;
        self.version = self.version.saturating_add(1);
        if let Some(extension) = self.spec.extension
            && self.round_end.saturating_sub(at) <= extension.window
            && self.top() != top_before
        {
            self.round_end = self.round_end.saturating_add(extension.window);
        }
        self.return_out_of_reach(at, refunds);
    }

    /// The bidders of the extension's top, in order.
    fn top(&self) -> Vec<Bidder> {
        let top = self.spec.extension.map_or(0, |extension| extension.top) as usize;
        self.bids.iter().take(top).map(|bid| bid.bidder).collect()
    }

    fn competitor_acts(
        &mut self,
        index: usize,
        at: Duration,
        refunds: &mut Vec<(AccountId, Stars)>,
    ) {
        let bidder = Bidder::Competitor(u32::try_from(index).unwrap_or(u32::MAX));
        let Some(competitor) = self.competitors.get_mut(index) else {
            return;
        };
        competitor.acts += 1;
        let mut rng = SplitMix64::keyed(
            self.seed,
            &[
                BIDDER_TAG,
                key(self.gift.get()),
                index as u64,
                competitor.acts,
            ],
        );
        let pause = self.spec.bidders.act_every.mul_f64(0.5 + rng.next_f64());
        competitor.next_act = Some(at.saturating_add(pause.max(FASTEST_BIDDER)));
        let max = competitor.max;
        if self
            .records
            .get(&bidder)
            .is_some_and(|record| record.acquired > 0)
        {
            // It has its gift and bids no more.
            if let Some(competitor) = self.competitors.get_mut(index) {
                competitor.next_act = None;
            }
            return;
        }
        let slots = usize::try_from(self.slots()).unwrap_or(usize::MAX);
        let own = self.position(bidder);
        if slots == 0 || own.is_some_and(|pos| pos < slots) {
            return;
        }
        let standing = own.map(|pos| self.bids[pos].amount);
        let mut need = match standing {
            Some(bid) => Self::min_raise(bid).max(self.spec.min_bid),
            None => self.min_first_bid(),
        };
        let others: Vec<&Bid> = self
            .bids
            .iter()
            .filter(|bid| bid.bidder != bidder)
            .collect();
        if let Some(last) = others.get(slots - 1) {
            need = need.max(last.amount.saturating_add(Stars::new(1)));
        }
        if need > max {
            return;
        }
        // A little over the least, as people round their bids up.
        let over = rng.below(need.get() / 10 + 1);
        let total = Stars::new(need.get().saturating_add(over)).min(max);
        self.place(bidder, total, at, None, refunds);
    }

    fn unix(&self, at: Duration) -> UnixTime {
        let secs = self
            .unix_origin
            .unwrap_or(0)
            .saturating_add(i64::try_from(at.as_secs()).unwrap_or(i64::MAX));
        UnixTime::from_secs(secs).unwrap_or_default()
    }

    /// The account's own state in the auction.
    pub(crate) fn bidder_state(&self, account: AccountId) -> BidderState {
        let bidder = Bidder::Account(account);
        let record = self.records.get(&bidder).copied().unwrap_or_default();
        let bid = self.position(bidder).map(|pos| &self.bids[pos]);
        BidderState {
            bid: bid.map(|bid| bid.amount),
            bid_date: bid.map(|bid| self.unix(bid.at)),
            min_bid: bid.map(|bid| Self::min_raise(bid.amount)),
            returned: record.returned,
            acquired: record.acquired,
        }
    }

    /// `payments.getStarGiftAuctionState` for `account`, which last applied `version`.
    pub(crate) fn answer(&self, account: AccountId, version: i32) -> AuctionAnswer {
        let bidder = self.bidder_state(account);
        if self.finished {
            return AuctionAnswer::Finished { bidder };
        }
        if version == self.version {
            return AuctionAnswer::NotModified {
                bidder,
                timeout_secs: AUCTION_TIMEOUT_SECS,
            };
        }
        let exact = usize::try_from(
            self.spec
                .gifts_per_round
                .saturating_add(EXACT_LEVELS_AFTER_ROUND),
        )
        .unwrap_or(usize::MAX);
        let levels = self
            .bids
            .iter()
            .enumerate()
            .map(|(index, bid)| (index + 1, bid))
            .filter(|(pos, _)| *pos <= exact || pos % SPARSE_LEVEL_STEP == 0)
            .map(|(pos, bid)| BidLevel {
                pos: u32::try_from(pos).unwrap_or(u32::MAX),
                amount: bid.amount,
                date: self.unix(bid.at),
            })
            .collect();
        let secs = |duration: Duration| u32::try_from(duration.as_secs()).unwrap_or(u32::MAX);
        AuctionAnswer::Running {
            state: AuctionState {
                version: self.version,
                start_date: self.unix(self.start),
                end_date: self.unix(self.end()),
                min_bid: self.min_first_bid(),
                levels,
                gifts_left: u32::try_from(self.gifts_left).unwrap_or(u32::MAX),
                current_round: self.round,
                total_rounds: self.total_rounds,
                next_round_at: self.unix(self.round_end),
                gifts_per_round: u32::try_from(self.spec.gifts_per_round).unwrap_or(u32::MAX),
                rounds: vec![AuctionRound {
                    num: 1,
                    duration_secs: secs(self.spec.round_duration),
                    extend: self
                        .spec
                        .extension
                        .map(|extension| (extension.top, secs(extension.window))),
                }],
            },
            bidder,
            timeout_secs: AUCTION_TIMEOUT_SECS,
        }
    }

    pub(crate) fn snapshot(&self, now: Duration) -> AuctionSnapshot {
        AuctionSnapshot {
            gift: self.gift,
            starts_at: self.start,
            started: now >= self.start,
            finished: self.finished,
            round: self.round,
            total_rounds: self.total_rounds,
            gifts_per_round: self.spec.gifts_per_round,
            gifts_left: self.gifts_left,
            round_ends_at: self.round_end,
            ends_at: self.end(),
            start_date: self.unix(self.start),
            end_date: self.unix(self.end()),
            min_bid: self.min_first_bid(),
            version: self.version,
            standing: self
                .bids
                .iter()
                .map(|bid| StandingBid {
                    bidder: bid.bidder,
                    amount: bid.amount,
                    at: bid.at,
                    recipient: bid.recipient,
                })
                .collect(),
            wins: self.wins.clone(),
            returns: self.returns.clone(),
        }
    }

    /// What a bid of `total` by `account` would cost now, after the auction's checks in
    /// Telegram's order: started, not finished, `update_bid` matching a standing bid, the
    /// minimum. Changes nothing.
    pub(crate) fn charge(
        &self,
        account: AccountId,
        total: Stars,
        raise: bool,
        now: Duration,
    ) -> Result<Stars, TelegramError> {
        if now < self.start {
            return Err(rpc("STARGIFT_AUCTION_NOT_STARTED"));
        }
        if self.finished {
            return Err(rpc("STARGIFT_AUCTION_FINISHED"));
        }
        let standing = self
            .position(Bidder::Account(account))
            .map(|pos| self.bids[pos].amount);
        match (standing, raise) {
            (None, true) => Err(rpc("STARGIFT_BID_NOT_FOUND")),
            (Some(_), false) => Err(rpc("STARGIFT_BID_EXISTS")),
            (Some(bid), true) if total < Self::min_raise(bid) => Err(rpc("STARGIFT_BID_TOO_LOW")),
            (Some(bid), true) => Ok(total.saturating_sub(bid)),
            (None, false) if total < self.min_first_bid() => Err(rpc("STARGIFT_BID_TOO_LOW")),
            (None, false) => Ok(total),
        }
    }
}

impl State {
    /// Runs every auction's events due by `now`, and refunds the accounts' returned bids.
    pub(crate) fn advance_auctions(&mut self, now: Now) {
        let mut refunds = Vec::new();
        for gift in &mut self.gifts {
            if let Some(run) = &mut gift.auction {
                run.advance(now, &mut refunds);
            }
        }
        for (account, amount) in refunds {
            if let Some(account) = self.accounts.get_mut(&account) {
                account.spec.balance = account.spec.balance.saturating_add(amount);
            }
        }
    }

    fn auction_run(&self, gift: GiftId, now: Now) -> Result<&AuctionRun, TelegramError> {
        self.gifts
            .iter()
            .find(|state| state.id() == gift && state.is_released(now.elapsed))
            .and_then(|state| state.auction.as_ref())
            .ok_or_else(|| rpc("STARGIFT_INVALID"))
    }

    /// `payments.getStarGiftAuctionState` for one account.
    pub(crate) fn auction_state(
        &mut self,
        account: AccountId,
        gift: GiftId,
        version: i32,
        now: Now,
    ) -> Result<AuctionAnswer, TelegramError> {
        self.account(account)?;
        self.advance_auctions(now);
        Ok(self.auction_run(gift, now)?.answer(account, version))
    }

    /// What a bid costs, after the checks of the recipient (a channel the account can post in,
    /// or a person the market knows by their username), the gift and the auction's rules
    /// (not the balance, which only paying checks), before anything changes.
    pub(crate) fn bid_charge(
        &mut self,
        account_id: AccountId,
        gift: GiftId,
        recipient: Recipient,
        total: Stars,
        raise: bool,
        now: Now,
    ) -> Result<Stars, TelegramError> {
        self.check_recipient(account_id, recipient)?;
        // A channel whose owner turned star gifts off cannot win one. Telegram's name for this
        // refusal is not documented; this one is GiftBuyer's reading of it.
        if let Recipient::Channel(channel) = recipient
            && self.closed_to_gifts.contains(&channel)
        {
            return Err(TelegramError::Rpc {
                code: 400,
                name: "STARGIFT_PEER_INVALID".into(),
            });
        }
        self.advance_auctions(now);
        self.auction_run(gift, now)?
            .charge(account_id, total, raise, now.elapsed)
    }

    /// Places or raises a bid: the checks of [`State::bid_charge`], then, for a raise, the
    /// standing bid the request was based on must be the one that stands (otherwise the
    /// difference would not be what the caller expects to pay, and nothing is paid), then the
    /// balance must cover the charge.
    pub(crate) fn place_bid(
        &mut self,
        account_id: AccountId,
        request: &BidRequest,
        now: Now,
    ) -> Result<PurchaseReceipt, TelegramError> {
        let raise = request.standing.is_some();
        let charge = self.bid_charge(
            account_id,
            request.gift_id,
            request.recipient,
            request.total,
            raise,
            now,
        )?;
        if let Some(expected) = request.standing {
            let expected_charge = request.total.saturating_sub(expected);
            if expected_charge != charge {
                return Err(TelegramError::PriceChanged {
                    expected: expected_charge,
                    actual: charge,
                });
            }
        }
        if self.account(account_id)?.spec.balance < charge {
            return Err(TelegramError::BalanceTooLow);
        }
        let form_id = 3_000_000_000 + i64::try_from(self.auction_bids.len()).unwrap_or(0) + 1;
        let mut refunds = Vec::new();
        if let Some(run) = self
            .gifts
            .iter_mut()
            .find(|gift| gift.id() == request.gift_id)
            .and_then(|gift| gift.auction.as_mut())
        {
            run.place(
                Bidder::Account(account_id),
                request.total,
                now.elapsed,
                Some(request.recipient),
                &mut refunds,
            );
        }
        if let Some(account) = self.accounts.get_mut(&account_id) {
            account.spec.balance = account.spec.balance.saturating_sub(charge);
        }
        for (account, amount) in refunds {
            if let Some(account) = self.accounts.get_mut(&account) {
                account.spec.balance = account.spec.balance.saturating_add(amount);
            }
        }
        self.auction_bids.push(AuctionBid {
            form_id,
            account: account_id,
            gift: request.gift_id,
            total: request.total,
            charge,
            raise,
            recipient: request.recipient,
            at: now.elapsed,
            unix: now.unix,
        });
        Ok(PurchaseReceipt { form_id })
    }
}
