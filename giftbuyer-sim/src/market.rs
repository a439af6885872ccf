//! `Market`: the simulated Telegram market's shared state, the path every account call takes
//! through latency, faults and flood limits, and what tests and the CLI can read back.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use giftbuyer_core::ports::{CatalogResponse, ChannelAccess, Clock, TelegramError};
use giftbuyer_core::{AccountId, CatalogGift, ChannelId, GiftId, Stars, StickerRef, UnixTime};

use crate::account::{AccountSpec, AccountState, SimAccount};
use crate::auction::{AuctionBid, AuctionSnapshot};
use crate::catalog::{GiftSpec, GiftState, catalog_hash};
use crate::competitors::CompetitorConfig;
use crate::config::{ConfigError, MarketConfig};
use crate::faults::{CallKey, Fault, FaultAction, FaultId, Faults};
use crate::flood::FloodConfig;
use crate::latency::{LatencyConfig, Legs};
use crate::login::{LoginConfig, LoginState};
use crate::method::Method;
use crate::resale::{ResalePurchase, ResaleSpec, ResaleState};
use giftbuyer_core::resale::{Recipient, ResaleListing, TelegramUsername};

/// The simulated market, shared by every [`SimAccount`] made from it. Cloning it is cheap and
/// gives another handle on the same market.
///
/// All state sits behind one mutex that is only ever held for a synchronous step, never across
/// an await, so accounts can be called from many tasks at once. Time comes only from the
/// [`Clock`] the caller passes: on a virtual clock a drop that lasts minutes runs in
/// milliseconds, and the same seed always gives the same run.
#[derive(Clone)]
pub struct Market {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Arc<dyn Clock>,
    /// Added to the clock's `elapsed` ([`MarketConfig::resumed_at`]).
    resumed_at: Duration,
    state: Mutex<State>,
}

/// One purchase the market carried out, in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub form_id: i64,
    pub account: AccountId,
    pub recipient: Recipient,
    pub gift: GiftId,
    pub price: Stars,
    /// When the request reached the server, on the market's clock.
    pub at: Duration,
    pub unix: UnixTime,
    pub hide_name: bool,
    pub message: Option<String>,
}

/// A gift's state at one moment, for tests, reports and the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftSnapshot {
    pub id: GiftId,
    pub title: Option<String>,
    pub price: Stars,
    pub release_at: Duration,
    pub released: bool,
    pub supply: Option<u64>,
    pub remaining: Option<u64>,
    pub sold_out: bool,
    pub sold_by_us: u64,
    pub sold_to_competitors: u64,
    /// When competitors take the last copy if the simulated accounts take none.
    pub competitors_sellout_at: Option<Duration>,
}

/// The moment a request is handled: the market clock's elapsed time and the wall time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Now {
    pub(crate) elapsed: Duration,
    pub(crate) unix: UnixTime,
}

/// Everything that changes while the market runs.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) seed: u64,
    latency: LatencyConfig,
    flood: FloodConfig,
    competitors: CompetitorConfig,
    pub(crate) gifts: Vec<GiftState>,
    pub(crate) accounts: BTreeMap<AccountId, AccountState>,
    pub(crate) channel_titles: BTreeMap<ChannelId, String>,
    faults: Faults,
    account_calls: BTreeMap<(AccountId, Method), u64>,
    market_calls: BTreeMap<Method, u64>,
    /// Calls an injected fault hit, so a soak can say how many faults it met.
    faults_hit: u64,
    pub(crate) purchases: Vec<Purchase>,
    pub(crate) resale: Vec<ResaleState>,
    pub(crate) resale_purchases: Vec<ResalePurchase>,
    /// Every bid an account placed, in order.
    pub(crate) auction_bids: Vec<AuctionBid>,
    pub(crate) login: LoginState,
    pub(crate) login_config: LoginConfig,
    /// The people gifts can go to by username, with their user ids ([`MarketConfig::people`]).
    pub(crate) people: BTreeMap<TelegramUsername, i64>,
    /// Channels closed to star gifts ([`MarketConfig::closed_to_gifts`]).
    pub(crate) closed_to_gifts: BTreeSet<ChannelId>,
}

/// What became of a request at the server, and so what the caller gets and when.
enum Outcome<T> {
    /// An answer after the response leg.
    Answer(Result<T, TelegramError>),
    /// An answer that comes this much later than it should.
    Late(Result<T, TelegramError>, Duration),
    /// No answer; the connection fails after this long.
    Lost(Duration),
    /// The connection dropped at once.
    Dropped,
}

impl Market {
    /// A market from its configuration, on the caller's clock.
    pub fn new(config: MarketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        config.validate()?;
        let MarketConfig {
            seed,
            latency,
            flood,
            competitors,
            accounts,
            gifts,
            faults,
            login,
            channel_titles,
            resumed_at,
            resale,
            people,
            closed_to_gifts,
        } = config;
        let mut active_faults = Faults::default();
        for fault in faults {
            active_faults.add(fault)?;
        }
        let state = State {
            seed,
            latency,
            flood,
            gifts: gifts
                .into_iter()
                .map(|spec| GiftState::new(spec, &competitors, seed))
                .collect(),
            competitors,
            accounts: accounts
                .into_iter()
                .map(|spec| (spec.id, AccountState::new(spec)))
                .collect(),
            channel_titles,
            faults: active_faults,
            account_calls: BTreeMap::new(),
            market_calls: BTreeMap::new(),
            faults_hit: 0,
            purchases: Vec::new(),
            resale: resale
                .into_iter()
                .map(|spec| ResaleState {
                    spec,
                    sold_to: None,
                })
                .collect(),
            resale_purchases: Vec::new(),
            auction_bids: Vec::new(),
            login: LoginState::default(),
            login_config: login,
            people,
            closed_to_gifts,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                clock,
                resumed_at,
                state: Mutex::new(state),
            }),
        })
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    pub fn seed(&self) -> u64 {
        self.with_state(|state| state.seed)
    }

    /// The account with this id, to hand to the engine as a `TelegramAccount`.
    pub fn account(&self, id: AccountId) -> Option<SimAccount> {
        self.with_state(|state| state.accounts.contains_key(&id))
            .then(|| SimAccount::new(self.clone(), id))
    }

    /// Every account, by id.
    pub fn accounts(&self) -> Vec<SimAccount> {
        self.with_state(|state| state.accounts.keys().copied().collect::<Vec<_>>())
            .into_iter()
            .map(|id| SimAccount::new(self.clone(), id))
            .collect()
    }

    /// Every purchase carried out so far, in order.
    pub fn purchases(&self) -> Vec<Purchase> {
        self.with_state(|state| state.purchases.clone())
    }

    /// Every resale purchase the market carried out, in order.
    pub fn resale_purchases(&self) -> Vec<ResalePurchase> {
        self.with_state(|state| state.resale_purchases.clone())
    }

    /// Every bid the accounts placed (new bids and raises), in the order the market accepted
    /// them: a bid sent twice shows here twice.
    pub fn bids(&self) -> Vec<AuctionBid> {
        self.with_state(|state| state.auction_bids.clone())
    }

    /// The auction of a gift sold by auction, as it stands now (released or not); `None` for
    /// an unknown gift or one sold normally.
    pub fn auction(&self, gift: GiftId) -> Option<AuctionSnapshot> {
        let now = self.now();
        self.with_state(|state| {
            state.advance_auctions(now);
            state
                .gift(gift)
                .and_then(|gift| gift.auction.as_ref())
                .map(|run| run.snapshot(now.elapsed))
        })
    }

    /// Every auction, in catalog order, as it stands now.
    pub fn auctions(&self) -> Vec<AuctionSnapshot> {
        let now = self.now();
        self.with_state(|state| {
            state.advance_auctions(now);
            state
                .gifts
                .iter()
                .filter_map(|gift| gift.auction.as_ref())
                .map(|run| run.snapshot(now.elapsed))
                .collect()
        })
    }

    /// A released gift as `account` sees it in the catalog now, without an account call: a
    /// server in front of the market shows it beside an auction's state.
    pub fn catalog_gift(&self, account: AccountId, gift: GiftId) -> Option<CatalogGift> {
        let now = self.now();
        self.with_state(|state| {
            state.advance_auctions(now);
            state
                .gift(gift)
                .filter(|gift| gift.is_released(now.elapsed))
                .map(|gift| gift.to_catalog(account, now.elapsed, now.unix))
        })
    }

    /// What a bid of `total` on `gift` for `recipient` would cost `account` now (the total for
    /// a new bid, the difference for a `raise`), after the bid's checks of the recipient, the
    /// gift and the auction's rules, or the error the bid would get; the balance is checked
    /// only when the bid is placed. Changes nothing and is not an account call (no latency or
    /// faults): a server in front of the market prices a bid's payment form with it.
    pub fn bid_charge(
        &self,
        account: AccountId,
        gift: GiftId,
        recipient: Recipient,
        total: Stars,
        raise: bool,
    ) -> Result<Stars, TelegramError> {
        let now = self.now();
        self.with_state(|state| state.bid_charge(account, gift, recipient, total, raise, now))
    }

    /// The Telegram user id of the person with this username, if the market knows them.
    pub fn person(&self, name: &TelegramUsername) -> Option<i64> {
        self.with_state(|state| state.people.get(name).copied())
    }

    /// The username of the person with this Telegram user id, if the market knows them.
    pub fn person_by_id(&self, user_id: i64) -> Option<TelegramUsername> {
        self.with_state(|state| {
            state
                .people
                .iter()
                .find(|&(_, &id)| id == user_id)
                .map(|(&name, _)| name)
        })
    }

    /// Every person gifts can go to by username, with their user ids.
    pub fn people(&self) -> BTreeMap<TelegramUsername, i64> {
        self.with_state(|state| state.people.clone())
    }

    /// The listing with this slug once it is listed, and whether it is still on sale now.
    pub fn listing(&self, slug: &str) -> Option<(ResaleListing, bool)> {
        let now = self.now().elapsed;
        self.with_state(|state| {
            state
                .resale
                .iter()
                .find(|listed| listed.spec.listing.slug == slug && now >= listed.spec.listed_at)
                .map(|listed| (listed.spec.listing.clone(), listed.on_sale(now)))
        })
    }

    /// Puts a unique gift up for resale while the market runs (its `listed_at` is on the
    /// market's clock).
    pub fn add_listing(&self, spec: ResaleSpec) -> Result<(), ConfigError> {
        spec.validate()?;
        self.with_state(|state| {
            if state
                .resale
                .iter()
                .any(|listed| listed.spec.listing.slug == spec.listing.slug)
            {
                return Err(ConfigError::DuplicateListing(spec.listing.slug.clone()));
            }
            state.resale.push(ResaleState {
                spec,
                sold_to: None,
            });
            Ok(())
        })
    }

    pub fn balance(&self, account: AccountId) -> Option<Stars> {
        self.with_state(|state| {
            state
                .accounts
                .get(&account)
                .map(|account| account.spec.balance)
        })
    }

    /// An account's spec as it stands now: its balance and its channel rights change while
    /// the market runs. A server in front of the market reads the channels an account can
    /// see from it.
    pub fn account_spec(&self, id: AccountId) -> Option<AccountSpec> {
        self.with_state(|state| state.accounts.get(&id).map(|account| account.spec.clone()))
    }

    /// The channels the configuration names, with their titles.
    pub fn channel_titles(&self) -> BTreeMap<ChannelId, String> {
        self.with_state(|state| state.channel_titles.clone())
    }

    /// A gift's state now, released or not.
    pub fn gift(&self, id: GiftId) -> Option<GiftSnapshot> {
        let now = self.now();
        self.with_state(|state| {
            state.advance_auctions(now);
            state.gift(id).map(|gift| snapshot(gift, now.elapsed))
        })
    }

    /// Every gift's state now, in catalog order, released or not.
    pub fn gifts(&self) -> Vec<GiftSnapshot> {
        let now = self.now();
        self.with_state(|state| {
            state.advance_auctions(now);
            state
                .gifts
                .iter()
                .map(|gift| snapshot(gift, now.elapsed))
                .collect()
        })
    }

    /// How many calls of `method` the account has made.
    pub fn call_count(&self, account: AccountId, method: Method) -> u64 {
        self.with_state(|state| {
            state
                .account_calls
                .get(&(account, method))
                .copied()
                .unwrap_or(0)
        })
    }

    /// How many calls an injected fault hit so far.
    pub fn faults_hit(&self) -> u64 {
        self.with_state(|state| state.faults_hit)
    }

    /// Takes a gift out of the catalog, as Telegram drops long sold-out gifts, so that a market
    /// running for days keeps a catalog of a realistic size. Its purchases stay on record.
    /// Returns whether the gift was there.
    pub fn retire_gift(&self, id: GiftId) -> bool {
        self.with_state(|state| {
            let before = state.gifts.len();
            state.gifts.retain(|gift| gift.id() != id);
            state.gifts.len() != before
        })
    }

    /// Adds a gift while the market runs, e.g. a drop announced late.
    pub fn add_gift(&self, spec: GiftSpec) -> Result<(), ConfigError> {
        spec.validate()?;
        self.with_state(|state| {
            if state.gift(spec.id).is_some() {
                return Err(ConfigError::DuplicateGift(spec.id));
            }
            let gift = GiftState::new(spec, &state.competitors, state.seed);
            state.gifts.push(gift);
            Ok(())
        })
    }

    /// Sets an account's balance (a top-up or a refund); `false` for an unknown account.
    pub fn set_balance(&self, account: AccountId, balance: Stars) -> bool {
        self.with_account(account, |account| account.spec.balance = balance)
    }

    /// Turns Premium on without an end, or off.
    pub fn set_premium(&self, account: AccountId, premium: bool) -> bool {
        self.with_account(account, |account| {
            account.spec.premium = premium;
            account.spec.premium_until = None;
        })
    }

    /// Changes an account's rights in a channel (joined, promoted, demoted, removed).
    pub fn set_channel_access(
        &self,
        account: AccountId,
        channel: ChannelId,
        access: ChannelAccess,
    ) -> bool {
        self.with_account(account, |account| {
            account.spec.channels.insert(channel, access);
        })
    }

    /// The channel's owner turns star gifts off (`closed`) or on again while the market runs.
    pub fn set_closed_to_gifts(&self, channel: ChannelId, closed: bool) {
        self.with_state(|state| {
            if closed {
                state.closed_to_gifts.insert(channel);
            } else {
                state.closed_to_gifts.remove(&channel);
            }
        });
    }

    /// Adds a fault while the market runs.
    pub fn inject_fault(&self, fault: Fault) -> Result<FaultId, ConfigError> {
        self.with_state(|state| state.faults.add(fault))
    }

    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.with_state(|state| state.faults.remove(id))
    }

    pub fn clear_faults(&self) {
        self.with_state(|state| state.faults.clear());
    }

    fn with_account(&self, account: AccountId, change: impl FnOnce(&mut AccountState)) -> bool {
        self.with_state(|state| state.accounts.get_mut(&account).map(change).is_some())
    }

    /// Runs a synchronous step on the state.
    ///
    /// A panic while the lock was held (only possible through a bug) poisons the mutex; the
    /// state is still consistent between steps, so the next caller takes it over instead of
    /// failing forever.
    pub(crate) fn with_state<R>(&self, step: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        step(&mut state)
    }

    pub(crate) fn now(&self) -> Now {
        Now {
            elapsed: self
                .inner
                .clock
                .elapsed()
                .saturating_add(self.inner.resumed_at),
            unix: self.inner.clock.unix_now(),
        }
    }

    async fn sleep(&self, duration: Duration) {
        if !duration.is_zero() {
            self.inner.clock.sleep(duration).await;
        }
    }

    /// One account call: the request travels for half the round trip, the server handles it
    /// at the moment it arrives (faults first, then flood limits, then `serve`), and the
    /// answer travels back.
    ///
    /// Handling it at arrival is what makes reaction speed matter: a request sent while copies
    /// remain fails if competitors take the last one before it lands. A caller that drops the
    /// future before the request arrives cancels it; nothing is carried out.
    pub(crate) async fn call<T, F>(
        &self,
        account: AccountId,
        method: Method,
        serve: F,
    ) -> Result<T, TelegramError>
    where
        F: FnOnce(&mut State, Now) -> Result<T, TelegramError>,
    {
        let (legs, account_call, market_call) =
            self.with_state(|state| state.begin_call(account, method));
        self.sleep(legs.request).await;
        let outcome = self.with_state(|state| {
            // The clock is read under the lock, so the order in which requests change the
            // state is the order of their arrival times.
            let now = self.now();
            let key = CallKey {
                method,
                account,
                account_call,
                market_call,
                arrival: now.elapsed,
            };
            // Auctions move on with time alone; their events due by this arrival run first, so
            // every call (a catalog's remaining count too) sees them.
            state.advance_auctions(now);
            let serve = |state: &mut State| {
                state.admit(account, method, now.elapsed)?;
                serve(state, now)
            };
            let fault = state.faults.hit(state.seed, key);
            if fault.is_some() {
                state.faults_hit += 1;
            }
            match fault {
                None => Outcome::Answer(serve(state)),
                Some(FaultAction::Error(error)) => Outcome::Answer(Err(error)),
                Some(FaultAction::Hang {
                    duration,
                    executed: true,
                }) => Outcome::Late(serve(state), duration),
                Some(FaultAction::Hang {
                    duration,
                    executed: false,
                }) => Outcome::Lost(duration),
                Some(FaultAction::Disconnect { executed }) => {
                    if executed {
                        // The server carried it out; the answer is what the drop loses.
                        let _answer = serve(state);
                    }
                    Outcome::Dropped
                }
            }
        });
        match outcome {
            Outcome::Answer(answer) => {
                self.sleep(legs.response).await;
                answer
            }
            Outcome::Late(answer, delay) => {
                self.sleep(legs.response.saturating_add(delay)).await;
                answer
            }
            Outcome::Lost(after) => {
                self.sleep(after).await;
                Err(TelegramError::Network(
                    "no answer, connection timed out".into(),
                ))
            }
            Outcome::Dropped => Err(TelegramError::Network("connection reset by peer".into())),
        }
    }
}

impl fmt::Debug for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Market");
        // `try_lock`: formatting must not deadlock when the state is already locked by the
        // formatting thread, e.g. in a panic message.
        if let Ok(state) = self.inner.state.try_lock() {
            debug
                .field("seed", &state.seed)
                .field("accounts", &state.accounts.len())
                .field("gifts", &state.gifts.len())
                .field("purchases", &state.purchases.len());
        }
        debug.finish_non_exhaustive()
    }
}

fn snapshot(gift: &GiftState, now: Duration) -> GiftSnapshot {
    GiftSnapshot {
        id: gift.id(),
        title: gift.spec.title.clone(),
        price: gift.spec.price,
        release_at: gift.spec.release_at,
        released: gift.is_released(now),
        supply: gift.spec.supply,
        remaining: gift.remaining_at(now),
        sold_out: gift.sold_out_at(now),
        sold_by_us: gift.sold_by_us(),
        sold_to_competitors: gift.sold_to_competitors_at(now),
        competitors_sellout_at: gift.competitors_sellout_at(),
    }
}

impl State {
    pub(crate) fn gift(&self, id: GiftId) -> Option<&GiftState> {
        self.gifts.iter().find(|gift| gift.id() == id)
    }

    /// The account, or the error Telegram gives a session that does not exist.
    pub(crate) fn account(&self, id: AccountId) -> Result<&AccountState, TelegramError> {
        self.accounts
            .get(&id)
            .ok_or(TelegramError::AuthKeyUnregistered)
    }

    /// Refuses a gift for a recipient the account cannot give to, as Telegram does before
    /// anything is paid: a username nobody in the market holds cannot be resolved, and a
    /// channel must be one the account can post in. The buyer itself always passes.
    pub(crate) fn check_recipient(
        &self,
        account_id: AccountId,
        recipient: Recipient,
    ) -> Result<(), TelegramError> {
        let account = self.account(account_id)?;
        match recipient {
            Recipient::User(name) if !self.people.contains_key(&name) => Err(TelegramError::Rpc {
                code: 400,
                name: "USERNAME_NOT_OCCUPIED".into(),
            }),
            Recipient::Channel(channel) => match account.access(channel) {
                ChannelAccess::NotMember => Err(TelegramError::NotMember),
                ChannelAccess::ReadOnly => Err(TelegramError::ChatWriteForbidden),
                ChannelAccess::CanPost => Ok(()),
            },
            Recipient::User(_) | Recipient::Buyer => Ok(()),
        }
    }

    /// Numbers the call and draws its latency.
    fn begin_call(&mut self, account: AccountId, method: Method) -> (Legs, u64, u64) {
        let account_call = self.account_calls.entry((account, method)).or_insert(0);
        *account_call += 1;
        let account_call = *account_call;
        let market_call = self.market_calls.entry(method).or_insert(0);
        *market_call += 1;
        let market_call = *market_call;
        let extra = self
            .accounts
            .get(&account)
            .map_or(Duration::ZERO, |account| account.spec.extra_rtt);
        let legs = self
            .latency
            .legs(self.seed, method, account, account_call, extra);
        (legs, account_call, market_call)
    }

    /// Applies the flood limits of the method to the account.
    fn admit(&mut self, id: AccountId, method: Method, now: Duration) -> Result<(), TelegramError> {
        let flood = self.flood;
        let account = self
            .accounts
            .get_mut(&id)
            .ok_or(TelegramError::AuthKeyUnregistered)?;
        match method {
            Method::Catalog => account.flood.admit_catalog(&flood, now),
            Method::Buy => account.flood.admit_purchase(&flood, now),
            Method::Resale => account.flood.admit_resale(&flood, now),
            // The bidder reads each auction once a second, well within the subscription's
            // timeout; Telegram publishes no limit for these, so none is simulated.
            Method::Profile
            | Method::Balance
            | Method::Sticker
            | Method::ChannelInfo
            | Method::ResaleBuy
            | Method::AuctionState
            | Method::Bid => Ok(()),
        }
    }

    /// `payments.getStarGifts(hash)` for one account: the released gifts as that account sees
    /// them, or `NotModified` when its hash is current.
    pub(crate) fn star_gifts(&self, account: AccountId, hash: i32, now: Now) -> CatalogResponse {
        let gifts: Vec<_> = self
            .gifts
            .iter()
            .filter(|gift| gift.is_released(now.elapsed))
            .map(|gift| gift.to_catalog(account, now.elapsed, now.unix))
            .collect();
        let current = catalog_hash(&gifts);
        if current == hash {
            CatalogResponse::NotModified
        } else {
            CatalogResponse::Catalog {
                hash: current,
                gifts,
            }
        }
    }

    /// The `.tgs` behind a sticker reference from the catalog.
    ///
    /// Only a reference exactly as the catalog gave it downloads; anything else is answered as
    /// Telegram answers a stale one, so the engine refetches the catalog.
    pub(crate) fn sticker(&self, sticker: &StickerRef, now: Now) -> Result<Vec<u8>, TelegramError> {
        self.gifts
            .iter()
            .find(|gift| gift.is_released(now.elapsed) && gift.sticker == *sticker)
            .map(|gift| gift.tgs.to_vec())
            .ok_or_else(|| TelegramError::Rpc {
                code: 400,
                name: "FILE_REFERENCE_EXPIRED".into(),
            })
    }
}
