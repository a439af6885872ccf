//! The auction bidder: reads the state of every planned auction, decides with the core's
//! `decide_bid` whether and how much to bid, and bids through the bid journal.
//!
//! Each tick reads the plans (with each user's budget and what their bids hold), then for each
//! plan asks Telegram for the auction's state from the plan's account: the one its standing
//! bid was placed from, or, before the first bid, the richest of the user's accounts.
//! Asking every tick, well within the answer's `timeout`, also keeps the account subscribed to
//! the auction's updates. A bid is journaled as planned before it is sent, moved to sending by
//! a compare-and-set, and to its outcome after; an unanswered bid is `unknown` and never sent
//! again. The store refuses a total above the plan's maximum and the same total twice, so no
//! bid is ever sent twice or above the maximum, even across a crash.
//!
//! A bid for a channel is placed only when the channel takes star gifts
//! (`channelFull.stargifts_available`, read once in a while). A refused bid makes its plan
//! wait (`refusal_wait`: long when the recipient or the gift refused, doubling otherwise), so
//! that a cause that lasts costs one request and one report, not one a second.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use giftbuyer_core::auction::{AuctionAnswer, AuctionState, BidderState, HoldReason};
use giftbuyer_core::bidding::{AuctionPlanId, BidHold, BidMoney, decide_bid, refusal_wait};
use giftbuyer_core::ports::{
    BidRequest, BidStore, Clock, Connector, EngineStore, ErrorClass, JournalStatus, PlannedBid,
    StoreError, TelegramError, UserAuctionPlan, UserConfig, UserId,
};
use giftbuyer_core::report::{BidLine, bid_report};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Recipient, Stars};
use tokio::sync::broadcast;

use crate::EngineEvent;
use crate::bid_guard::{GiftChannels, Refusals};
use crate::side_workers::{flood_jitter, spawn_report};

/// How the bidder reads auctions and bids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BidderConfig {
    /// A bid without an answer after this long is `unknown` and not resent.
    pub bid_timeout: Duration,
    /// Timeout of a state or balance read.
    pub call_timeout: Duration,
    /// Balances older than this are read again before a bid.
    pub balance_max_age: Duration,
    /// The most added to a flood wait.
    pub flood_jitter: Duration,
}

impl Default for BidderConfig {
    fn default() -> Self {
        Self {
            bid_timeout: Duration::from_secs(15),
            call_timeout: Duration::from_secs(10),
            balance_max_age: Duration::from_secs(30),
            flood_jitter: Duration::from_millis(500),
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BidTick {
    /// Plans whose auction state was read.
    pub states: u32,
    /// Plans whose state could not be read (flood wait, errors, no usable account).
    pub missed: u32,
    /// Plans that held (no bid needed, allowed or possible), bidding off included.
    pub held: u32,
    pub sent: u32,
    pub placed: u32,
    pub failed: u32,
    pub unknown: u32,
}

/// What the bidder remembers between ticks.
#[derive(Debug, Default)]
struct Memory {
    /// The last running state applied per account and auction; its version goes back to
    /// Telegram, which then answers "not modified" while nothing changed.
    states: HashMap<(AccountId, GiftId), AuctionState>,
    /// The bidder's own state last seen per plan, to tell a win or a return once.
    seen: HashMap<AuctionPlanId, BidderState>,
    /// The last hold per plan, to tell "outbid beyond the maximum" once, not every tick.
    held: HashMap<AuctionPlanId, BidHold>,
    /// Plans whose auction finished: nothing more to read or bid.
    finished: HashSet<AuctionPlanId>,
    /// Until when (engine time) an account must not be asked.
    flood_until: HashMap<AccountId, Duration>,
    /// Each account's balance and when it was read.
    balances: HashMap<AccountId, (Stars, Duration)>,
    /// Plans waiting out a refused bid, so that a refusal is not asked for again every tick.
    refusals: Refusals,
    /// Which channels take star gifts, per account.
    gift_channels: GiftChannels,
}

/// How one bid ended.
enum Sent {
    /// Not sent: the store refused it, or another instance moved it first.
    Skipped,
    Placed,
    /// Refused: Telegram's (or the engine's) name for why, and its class.
    Failed(String, ErrorClass),
    Unknown,
}

/// The auction bidder over the ports.
pub struct AuctionBidder {
    bids: Arc<dyn BidStore>,
    store: Arc<dyn EngineStore>,
    connector: Arc<dyn Connector>,
    clock: Arc<dyn Clock>,
    config: BidderConfig,
    memory: Mutex<Memory>,
    events: Option<broadcast::Sender<EngineEvent>>,
}

impl std::fmt::Debug for AuctionBidder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuctionBidder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AuctionBidder {
    pub fn new(
        bids: Arc<dyn BidStore>,
        store: Arc<dyn EngineStore>,
        connector: Arc<dyn Connector>,
        clock: Arc<dyn Clock>,
        config: BidderConfig,
    ) -> Self {
        Self {
            bids,
            store,
            connector,
            clock,
            config,
            memory: Mutex::new(Memory::default()),
            events: None,
        }
    }

    /// Publishes each bid's end as [`EngineEvent::BidDone`] on `events` (the engine's
    /// [`crate::Engine::publisher`]), for live views.
    #[must_use]
    pub fn with_events(mut self, events: broadcast::Sender<EngineEvent>) -> Self {
        self.events = Some(events);
        self
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        // The memory is a cache of states, waits and balances; losing a half-made update to a
        // panic costs at most one read, so a poisoned lock is recovered.
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After a crash: bids left sending are `unknown` (never resent), planned ones failed.
    pub async fn recover(&self) -> Result<(u64, u64), StoreError> {
        self.bids.recover_bids(self.clock.unix_now()).await
    }

    /// Reads every planned auction once and bids where a plan wants it.
    pub async fn tick(&self) -> Result<BidTick, StoreError> {
        let mut by_user: BTreeMap<UserId, Vec<UserAuctionPlan>> = BTreeMap::new();
        for plan in self.bids.auction_plans().await? {
            by_user.entry(plan.user_id).or_default().push(plan);
        }
        if by_user.is_empty() {
            return Ok(BidTick::default());
        }
        let configs: HashMap<UserId, UserConfig> = self
            .store
            .users()
            .await?
            .into_iter()
            .map(|user| (user.user_id, user))
            .collect();
        // Users bid independently, so their plans run at once; one user's plans run in turn,
        // because they share that user's budget.
        let results =
            futures_util::future::join_all(by_user.into_iter().filter_map(|(user, plans)| {
                let config = configs.get(&user)?;
                Some(self.user_tick(config, plans))
            }))
            .await;
        let mut tick = BidTick::default();
        for result in results {
            let part = result?;
            tick.states += part.states;
            tick.missed += part.missed;
            tick.held += part.held;
            tick.sent += part.sent;
            tick.placed += part.placed;
            tick.failed += part.failed;
            tick.unknown += part.unknown;
        }
        Ok(tick)
    }

    async fn user_tick(
        &self,
        user: &UserConfig,
        plans: Vec<UserAuctionPlan>,
    ) -> Result<BidTick, StoreError> {
        let mut tick = BidTick::default();
        let mut lines = Vec::new();
        // What this user's bids hold, as the store counted it, plus what this tick commits.
        let mut committed = plans.first().map_or(Stars::ZERO, |plan| plan.committed);
        for plan in plans {
            let id = plan.plan.id;
            if self.memory().finished.contains(&id) {
                continue;
            }
            if plan.budget == Stars::ZERO {
                // Bidding is off: nothing is read either, so an idle plan costs no requests.
                tick.held += 1;
                continue;
            }
            if self.memory().refusals.waiting(id, self.clock.elapsed()) {
                tick.held += 1;
                continue;
            }
            let Some(account) = self.plan_account(user, &plan).await else {
                tick.missed += 1;
                continue;
            };
            let gift = plan.plan.gift_id;
            let Some((state, bidder)) = self.read_state(account, gift).await else {
                tick.missed += 1;
                continue;
            };
            tick.states += 1;
            self.note_changes(id, gift, account, &bidder, &mut lines);
            let Some(state) = state else {
                self.memory().finished.insert(id);
                continue;
            };
            let balance = self.balance(account).await.unwrap_or(Stars::ZERO);
            let money = BidMoney {
                budget: plan.budget,
                committed,
                balance,
            };
            let decision = decide_bid(&plan.plan, &state, &bidder, money, self.clock.unix_now());
            let (total, raise) = match decision {
                Ok(bid) => bid,
                Err(hold) => {
                    tick.held += 1;
                    let before = self.memory().held.insert(id, hold);
                    if hold == BidHold::Rule(HoldReason::AboveMax) && before != Some(hold) {
                        lines.push(BidLine::OutbidAboveMax {
                            gift,
                            account,
                            max_bid: plan.plan.max_bid,
                        });
                    }
                    continue;
                }
            };
            self.memory().held.remove(&id);
            if let Recipient::Channel(channel) = plan.plan.recipient {
                match self.channel_takes_gifts(account, channel).await {
                    Some(true) => {}
                    Some(false) => {
                        tick.held += 1;
                        let now = self.clock.elapsed();
                        if self
                            .memory()
                            .refusals
                            .refused(id, ErrorClass::Recipient, now)
                        {
                            lines.push(BidLine::ClosedToGifts {
                                gift,
                                account,
                                recipient: plan.plan.recipient,
                                retry_in_secs: refusal_wait(ErrorClass::Recipient, 0).as_secs(),
                            });
                        }
                        continue;
                    }
                    None => {
                        tick.missed += 1;
                        continue;
                    }
                }
            }
            let planned = PlannedBid {
                plan_id: id,
                gift_id: gift,
                account_id: account,
                recipient: plan.plan.recipient,
                total,
                standing: if raise { bidder.bid } else { None },
            };
            let charge = total.saturating_sub(planned.standing.unwrap_or(Stars::ZERO));
            let sent = self.bid(user.user_id, &planned).await?;
            if matches!(sent, Sent::Placed | Sent::Unknown) {
                self.memory().refusals.cleared(id);
            }
            match sent {
                Sent::Skipped => tick.held += 1,
                Sent::Placed => {
                    tick.sent += 1;
                    tick.placed += 1;
                    committed = committed.saturating_add(charge);
                    self.spend(account, charge);
                    lines.push(BidLine::Placed {
                        gift,
                        account,
                        recipient: planned.recipient,
                        total,
                        raise,
                    });
                }
                Sent::Unknown => {
                    tick.sent += 1;
                    tick.unknown += 1;
                    // It may stand: it holds stars until the auction says otherwise.
                    committed = committed.saturating_add(charge);
                    self.spend(account, charge);
                    lines.push(BidLine::Unknown {
                        gift,
                        account,
                        total,
                    });
                }
                Sent::Failed(error, class) => {
                    tick.sent += 1;
                    tick.failed += 1;
                    let now = self.clock.elapsed();
                    let streak_starts = self.memory().refusals.refused(id, class, now);
                    // A refusal is told when a streak starts; the ones after it are journaled
                    // but would only repeat the same line.
                    if streak_starts {
                        lines.push(BidLine::Failed {
                            gift,
                            account,
                            total,
                            error,
                            retry_in_secs: refusal_wait(class, 0).as_secs(),
                        });
                    }
                }
            }
        }
        if let Some(text) = bid_report(&lines, user.settings.report_lang) {
            spawn_report(
                &self.connector,
                user,
                text,
                self.config.call_timeout,
                "auction report",
            )
            .await;
        }
        Ok(tick)
    }

    /// The plan's account: the one its standing bid was placed from (only that one can raise
    /// it), or before the first bid the richest of the user's accounts that is not waiting out
    /// a flood. `None` when that account is no longer the user's or none can be used.
    async fn plan_account(&self, user: &UserConfig, plan: &UserAuctionPlan) -> Option<AccountId> {
        if let Some(account) = plan.account_id {
            return user.accounts.contains(&account).then_some(account);
        }
        let mut best: Option<(Stars, AccountId)> = None;
        for &account in &user.accounts {
            if self.waiting(account) {
                continue;
            }
            if let Some(balance) = self.balance(account).await
                && best.is_none_or(|(most, _)| balance > most)
            {
                best = Some((balance, account));
            }
        }
        best.map(|(_, account)| account)
    }

    fn waiting(&self, account: AccountId) -> bool {
        let now = self.clock.elapsed();
        self.memory()
            .flood_until
            .get(&account)
            .is_some_and(|until| *until > now)
    }

    fn flooded(&self, account: AccountId, seconds: u32) {
        let until = self.clock.elapsed()
            + Duration::from_secs(u64::from(seconds))
            + flood_jitter(self.config.flood_jitter, account, seconds);
        self.memory().flood_until.insert(account, until);
        tracing::info!(%account, seconds, "auction reads wait out a flood limit");
    }

    /// The auction's state as `account` sees it: `Some((Some(state), bidder))` while it runs,
    /// `Some((None, bidder))` once it finished, `None` when it could not be read.
    async fn read_state(
        &self,
        account: AccountId,
        gift: GiftId,
    ) -> Option<(Option<AuctionState>, BidderState)> {
        if self.waiting(account) {
            return None;
        }
        let port = self.connector.account(account).await.ok()?;
        let known = self.memory().states.get(&(account, gift)).cloned();
        let version = known.as_ref().map_or(0, |state| state.version);
        let answer =
            tokio::time::timeout(self.config.call_timeout, port.auction_state(gift, version)).await;
        match answer {
            Ok(Ok(AuctionAnswer::Running { state, bidder, .. })) => {
                // States arrive in order per call, but an older one must never replace a newer.
                let keep = known.filter(|known| known.version > state.version);
                let state = keep.unwrap_or(state);
                self.memory().states.insert((account, gift), state.clone());
                Some((Some(state), bidder))
            }
            Ok(Ok(AuctionAnswer::NotModified { bidder, .. })) => {
                // Nothing changed since the version sent; without a state to go on (which a
                // version of 0 never gets), there is nothing to bid on this tick.
                Some((Some(known?), bidder))
            }
            Ok(Ok(AuctionAnswer::Finished { bidder })) => {
                self.memory().states.remove(&(account, gift));
                Some((None, bidder))
            }
            Ok(Err(TelegramError::FloodWait { seconds })) => {
                self.flooded(account, seconds);
                None
            }
            Ok(Err(error)) => {
                tracing::warn!(%account, %gift, %error, "an auction state read failed");
                None
            }
            Err(_) => {
                tracing::warn!(%account, %gift, "an auction state read timed out");
                None
            }
        }
    }

    /// Lines for what the auction did to the bid since the last look: gifts won, a return.
    fn note_changes(
        &self,
        plan: AuctionPlanId,
        gift: GiftId,
        account: AccountId,
        bidder: &BidderState,
        lines: &mut Vec<BidLine>,
    ) {
        let before = self.memory().seen.insert(plan, *bidder);
        let Some(before) = before else {
            return;
        };
        if bidder.acquired > before.acquired {
            lines.push(BidLine::Won {
                gift,
                account,
                count: bidder.acquired - before.acquired,
            });
        }
        if bidder.returned
            && !before.returned
            && let Some(total) = bidder.bid.or(before.bid)
        {
            lines.push(BidLine::Returned {
                gift,
                account,
                total,
            });
        }
    }

    /// The account's balance, read again when older than the limit; `None` when unreadable.
    async fn balance(&self, account: AccountId) -> Option<Stars> {
        let now = self.clock.elapsed();
        let cached = self
            .memory()
            .balances
            .get(&account)
            .filter(|(_, at)| now.saturating_sub(*at) < self.config.balance_max_age)
            .map(|(balance, _)| *balance);
        if cached.is_some() {
            return cached;
        }
        let port = self.connector.account(account).await.ok()?;
        match tokio::time::timeout(self.config.call_timeout, port.stars_balance()).await {
            Ok(Ok(balance)) => {
                self.memory().balances.insert(account, (balance, now));
                Some(balance)
            }
            Ok(Err(TelegramError::FloodWait { seconds })) => {
                self.flooded(account, seconds);
                None
            }
            Ok(Err(_)) | Err(_) => None,
        }
    }

    /// Whether the channel takes star gifts, as `account` reads it (again after
    /// [`crate::bid_guard::GIFT_CHANNEL_TTL`]); `None` when it could not be read. A channel
    /// the account cannot see takes nothing from it.
    async fn channel_takes_gifts(&self, account: AccountId, channel: ChannelId) -> Option<bool> {
        let now = self.clock.elapsed();
        if let Some(known) = self.memory().gift_channels.known(account, channel, now) {
            return Some(known);
        }
        let port = self.connector.account(account).await.ok()?;
        let answer = tokio::time::timeout(
            self.config.call_timeout,
            port.channel_takes_star_gifts(channel),
        )
        .await;
        let takes = match answer {
            Ok(Ok(takes)) => takes,
            Ok(Err(error)) if error.class() == ErrorClass::Recipient => false,
            Ok(Err(TelegramError::FloodWait { seconds })) => {
                self.flooded(account, seconds);
                return None;
            }
            Ok(Err(error)) => {
                tracing::warn!(%account, %channel, %error, "a channel's gift setting could not be read");
                return None;
            }
            Err(_) => return None,
        };
        self.memory()
            .gift_channels
            .record(account, channel, takes, now);
        Some(takes)
    }

    /// What a bid may have charged leaves the cached balance.
    fn spend(&self, account: AccountId, charge: Stars) {
        if let Some((balance, _)) = self.memory().balances.get_mut(&account) {
            *balance = balance.saturating_sub(charge);
        }
    }

    /// One bid through the journal: planned, then sending (compare-and-set), then sent once,
    /// then its outcome, published as an event.
    async fn bid(&self, user: UserId, planned: &PlannedBid) -> Result<Sent, StoreError> {
        let Some(id) = self
            .bids
            .plan_bid(user, planned, self.clock.unix_now())
            .await?
        else {
            return Ok(Sent::Skipped);
        };
        let port = match self.connector.account(planned.account_id).await {
            Ok(port) => port,
            Err(error) => {
                let name = error.name().into_owned();
                self.bids
                    .transition_bid(
                        id,
                        JournalStatus::Planned,
                        JournalStatus::Failed,
                        Some(&name),
                        self.clock.unix_now(),
                    )
                    .await?;
                self.publish(user, planned, &name);
                return Ok(Sent::Failed(name, error.class()));
            }
        };
        let moved = self
            .bids
            .transition_bid(
                id,
                JournalStatus::Planned,
                JournalStatus::Sending,
                None,
                self.clock.unix_now(),
            )
            .await?;
        if !moved {
            return Ok(Sent::Skipped);
        }
        let request = BidRequest {
            gift_id: planned.gift_id,
            recipient: planned.recipient,
            total: planned.total,
            standing: planned.standing,
        };
        let answer = tokio::time::timeout(self.config.bid_timeout, port.place_bid(request)).await;
        let (status, error, sent) = match answer {
            Ok(Ok(_receipt)) => (JournalStatus::Bought, None, Sent::Placed),
            Ok(Err(error)) if error.class() == ErrorClass::Uncertain => (
                JournalStatus::Unknown,
                Some(error.name().into_owned()),
                Sent::Unknown,
            ),
            Ok(Err(error)) => {
                if let TelegramError::FloodWait { seconds } = error {
                    self.flooded(planned.account_id, seconds);
                }
                if error.class() == ErrorClass::AccountStopped
                    && let Some((balance, _)) = self.memory().balances.get_mut(&planned.account_id)
                {
                    // Telegram says the stars are not there: bid with none until re-read.
                    *balance = Stars::ZERO;
                }
                let name = error.name().into_owned();
                (
                    JournalStatus::Failed,
                    Some(name.clone()),
                    Sent::Failed(name, error.class()),
                )
            }
            Err(_) => (
                JournalStatus::Unknown,
                Some("timeout".to_owned()),
                Sent::Unknown,
            ),
        };
        self.bids
            .transition_bid(
                id,
                JournalStatus::Sending,
                status,
                error.as_deref(),
                self.clock.unix_now(),
            )
            .await?;
        let outcome = match &sent {
            Sent::Placed => "placed",
            Sent::Unknown => "unknown",
            Sent::Failed(name, _) => name.as_str(),
            Sent::Skipped => return Ok(sent),
        };
        self.publish(user, planned, outcome);
        Ok(sent)
    }

    fn publish(&self, user: UserId, planned: &PlannedBid, outcome: &str) {
        if let Some(events) = &self.events {
            // Nobody listening is not an error.
            let _ = events.send(EngineEvent::BidDone {
                user,
                account: planned.account_id,
                gift_id: planned.gift_id,
                total: planned.total,
                outcome: outcome.to_owned(),
            });
        }
    }
}
