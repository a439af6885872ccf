//! A scripted auction for the bidder's tests: one gift's auction whose rival bids the test
//! sets, accounts that bid in it, every bid request recorded, and faults on demand (a bid
//! executed but its answer lost, a refusal by name).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use giftbuyer_core::auction::{AuctionAnswer, AuctionState, BidLevel, BidderState};
use giftbuyer_core::ports::{
    BidRequest, BotError, CatalogResponse, ChannelInfo, Clock, Connector, NotificationBot, Profile,
    PurchaseReceipt, PurchaseRequest, ResalePage, ResalePurchaseRequest, TelegramAccount,
    TelegramError, UserId,
};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars, StickerRef, UnixTime};
use giftbuyer_engine::TokioClock;

/// What the next bid request meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BidFault {
    None,
    /// The bid is placed, but the answer never arrives (the connection dropped).
    LoseAnswer,
    /// Telegram refuses it with this error name; nothing is placed.
    Refuse(&'static str),
}

#[derive(Debug)]
struct HouseState {
    version: i32,
    start: UnixTime,
    end: UnixTime,
    min_bid: Stars,
    gifts_per_round: u32,
    gifts_left: u32,
    finished: bool,
    rivals: Vec<(Stars, UnixTime)>,
    bidders: HashMap<AccountId, BidderState>,
    balances: HashMap<AccountId, Stars>,
    requests: Vec<(AccountId, BidRequest)>,
    state_reads: u32,
    fault: BidFault,
    /// Channels closed to star gifts, and how often one was asked about.
    closed: HashSet<ChannelId>,
    channel_checks: u32,
}

/// One auction of gift [`House::gift`].
#[derive(Clone)]
pub(crate) struct House {
    inner: Arc<Mutex<HouseState>>,
    clock: Arc<TokioClock>,
}

impl House {
    pub(crate) fn gift() -> GiftId {
        GiftId::new(4_242).expect("valid gift")
    }

    /// An auction that started an hour before `clock`'s now and runs another hour, with a
    /// minimum bid of 100 and `gifts_per_round` gifts per round.
    pub(crate) fn new(clock: Arc<TokioClock>, gifts_per_round: u32) -> Self {
        let now = clock.unix_now().secs();
        let at = |secs| UnixTime::from_secs(secs).expect("valid time");
        Self {
            inner: Arc::new(Mutex::new(HouseState {
                version: 1,
                start: at(now - 3_600),
                end: at(now + 3_600),
                min_bid: Stars::new(100),
                gifts_per_round,
                gifts_left: 50,
                finished: false,
                rivals: Vec::new(),
                bidders: HashMap::new(),
                balances: HashMap::new(),
                requests: Vec::new(),
                state_reads: 0,
                fault: BidFault::None,
                closed: HashSet::new(),
                channel_checks: 0,
            })),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HouseState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn fund(&self, account: AccountId, balance: Stars) {
        self.lock().balances.insert(account, balance);
    }

    /// A rival bid of `amount`, placed now.
    pub(crate) fn rival(&self, amount: u64) {
        let now = self.clock.unix_now();
        let mut state = self.lock();
        state.rivals.push((Stars::new(amount), now));
        state.version += 1;
    }

    pub(crate) fn set_fault(&self, fault: BidFault) {
        self.lock().fault = fault;
    }

    /// The channel's owner turns star gifts off (`closed`) or on again.
    pub(crate) fn set_closed(&self, channel: ChannelId, closed: bool) {
        let mut state = self.lock();
        if closed {
            state.closed.insert(channel);
        } else {
            state.closed.remove(&channel);
        }
    }

    /// How often an account asked whether a channel takes star gifts.
    pub(crate) fn channel_checks(&self) -> u32 {
        self.lock().channel_checks
    }

    /// The round ends: the top `gifts_per_round` bids win; a winning account of ours gets one
    /// gift and its bid is spent.
    pub(crate) fn end_round(&self) {
        let mut state = self.lock();
        let slots = usize::try_from(state.gifts_per_round).expect("small");
        let winners: Vec<(Stars, UnixTime, Option<AccountId>)> =
            ranked(&state).into_iter().take(slots).collect();
        for (amount, date, owner) in winners {
            match owner {
                Some(account) => {
                    let bidder = state.bidders.entry(account).or_default();
                    bidder.acquired += 1;
                    bidder.bid = None;
                    bidder.bid_date = None;
                    bidder.min_bid = None;
                }
                None => state.rivals.retain(|rival| *rival != (amount, date)),
            }
            state.gifts_left = state.gifts_left.saturating_sub(1);
        }
        state.version += 1;
    }

    /// The auction ends; every standing bid of ours is returned and refunded.
    pub(crate) fn finish(&self) {
        let mut state = self.lock();
        state.finished = true;
        let refunds: Vec<(AccountId, Stars)> = state
            .bidders
            .iter_mut()
            .filter_map(|(account, bidder)| {
                let bid = bidder.bid?;
                bidder.returned = true;
                Some((*account, bid))
            })
            .collect();
        for (account, bid) in refunds {
            let balance = state.balances.entry(account).or_insert(Stars::ZERO);
            *balance = balance.saturating_add(bid);
        }
    }

    /// Every bid request received, in order, placed or not.
    pub(crate) fn requests(&self) -> Vec<(AccountId, BidRequest)> {
        self.lock().requests.clone()
    }

    pub(crate) fn state_reads(&self) -> u32 {
        self.lock().state_reads
    }

    pub(crate) fn balance(&self, account: AccountId) -> Stars {
        self.lock()
            .balances
            .get(&account)
            .copied()
            .unwrap_or(Stars::ZERO)
    }

    pub(crate) fn bidder(&self, account: AccountId) -> BidderState {
        self.lock()
            .bidders
            .get(&account)
            .copied()
            .unwrap_or_default()
    }

    /// A connector to these of our accounts, with `bot` as every user's bot.
    pub(crate) fn connector(
        &self,
        accounts: &[AccountId],
        bot: Option<Arc<dyn NotificationBot>>,
    ) -> Arc<dyn Connector> {
        let accounts = accounts
            .iter()
            .map(|&id| {
                let account: Arc<dyn TelegramAccount> = Arc::new(Bidder {
                    id,
                    house: self.clone(),
                });
                (id, account)
            })
            .collect();
        Arc::new(HouseConnector { accounts, bot })
    }
}

/// Every standing bid, best first: higher amount, then the earlier date.
fn ranked(state: &HouseState) -> Vec<(Stars, UnixTime, Option<AccountId>)> {
    let mut all: Vec<(Stars, UnixTime, Option<AccountId>)> = state
        .rivals
        .iter()
        .map(|&(amount, date)| (amount, date, None))
        .chain(state.bidders.iter().filter_map(|(account, bidder)| {
            Some((bidder.bid?, bidder.bid_date?, Some(*account))).filter(|_| !bidder.returned)
        }))
        .collect();
    all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    all
}

struct HouseConnector {
    accounts: HashMap<AccountId, Arc<dyn TelegramAccount>>,
    bot: Option<Arc<dyn NotificationBot>>,
}

#[async_trait]
impl Connector for HouseConnector {
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError> {
        self.accounts
            .get(&id)
            .cloned()
            .ok_or(TelegramError::AuthKeyUnregistered)
    }

    async fn bot(&self, _user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError> {
        Ok(self.bot.clone())
    }
}

/// One of our accounts in the house.
struct Bidder {
    id: AccountId,
    house: House,
}

fn not_here() -> TelegramError {
    TelegramError::from_rpc(400, "METHOD_NOT_IN_THIS_FAKE")
}

#[async_trait]
impl TelegramAccount for Bidder {
    fn account_id(&self) -> AccountId {
        self.id
    }

    async fn star_gifts(&self, _hash: i32) -> Result<CatalogResponse, TelegramError> {
        Err(not_here())
    }

    async fn profile(&self) -> Result<Profile, TelegramError> {
        Err(not_here())
    }

    async fn stars_balance(&self) -> Result<Stars, TelegramError> {
        Ok(self.house.balance(self.id))
    }

    async fn buy_gift(&self, _request: PurchaseRequest) -> Result<PurchaseReceipt, TelegramError> {
        Err(not_here())
    }

    async fn resale_listings(
        &self,
        _gift_id: GiftId,
        _offset: &str,
        _limit: i32,
    ) -> Result<ResalePage, TelegramError> {
        Err(not_here())
    }

    async fn buy_resale(
        &self,
        _request: ResalePurchaseRequest,
    ) -> Result<PurchaseReceipt, TelegramError> {
        Err(not_here())
    }

    async fn auction_state(
        &self,
        gift_id: GiftId,
        version: i32,
    ) -> Result<AuctionAnswer, TelegramError> {
        let mut state = self.house.lock();
        state.state_reads += 1;
        if gift_id != House::gift() {
            return Err(TelegramError::from_rpc(400, "STARGIFT_INVALID"));
        }
        let bidder = state.bidders.get(&self.id).copied().unwrap_or_default();
        if state.finished {
            return Ok(AuctionAnswer::Finished { bidder });
        }
        if version == state.version {
            return Ok(AuctionAnswer::NotModified {
                bidder,
                timeout_secs: 30,
            });
        }
        let levels = ranked(&state)
            .into_iter()
            .zip(1..)
            .map(|((amount, date, _), pos)| BidLevel { pos, amount, date })
            .collect();
        Ok(AuctionAnswer::Running {
            state: AuctionState {
                version: state.version,
                start_date: state.start,
                end_date: state.end,
                min_bid: state.min_bid,
                levels,
                gifts_left: state.gifts_left,
                current_round: 1,
                total_rounds: 5,
                next_round_at: state.end,
                rounds: Vec::new(),
                gifts_per_round: state.gifts_per_round,
            },
            bidder,
            timeout_secs: 30,
        })
    }

    async fn place_bid(&self, request: BidRequest) -> Result<PurchaseReceipt, TelegramError> {
        let now = self.house.clock.unix_now();
        let mut state = self.house.lock();
        state.requests.push((self.id, request.clone()));
        if let BidFault::Refuse(name) = state.fault {
            return Err(TelegramError::from_rpc(400, name));
        }
        let bidder = state.bidders.get(&self.id).copied().unwrap_or_default();
        let standing = bidder.bid.filter(|_| !bidder.returned);
        if standing != request.standing {
            return Err(TelegramError::from_rpc(
                400,
                "STARGIFT_AUCTION_BID_MISMATCH",
            ));
        }
        let charge = request
            .total
            .saturating_sub(standing.unwrap_or(Stars::ZERO));
        let balance = state.balances.get(&self.id).copied().unwrap_or(Stars::ZERO);
        if charge > balance {
            return Err(TelegramError::BalanceTooLow);
        }
        state
            .balances
            .insert(self.id, balance.saturating_sub(charge));
        state.bidders.insert(
            self.id,
            BidderState {
                bid: Some(request.total),
                bid_date: Some(now),
                min_bid: Some(request.total.saturating_add(Stars::new(1))),
                returned: false,
                acquired: bidder.acquired,
            },
        );
        state.version += 1;
        if state.fault == BidFault::LoseAnswer {
            return Err(TelegramError::Network("connection reset".to_owned()));
        }
        Ok(PurchaseReceipt {
            form_id: i64::from(state.version),
        })
    }

    async fn download_sticker(&self, _sticker: StickerRef) -> Result<Vec<u8>, TelegramError> {
        Err(not_here())
    }

    async fn channel_info(&self, _channel: ChannelId) -> Result<ChannelInfo, TelegramError> {
        Err(not_here())
    }

    async fn channel_takes_star_gifts(&self, channel: ChannelId) -> Result<bool, TelegramError> {
        let mut state = self.house.lock();
        state.channel_checks += 1;
        Ok(!state.closed.contains(&channel))
    }
}
