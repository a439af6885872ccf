//! `MarketConfig`: everything a simulated market starts from, built in code or read from a drop
//! file, and the errors that refuse an inconsistent one.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use giftbuyer_core::resale::TelegramUsername;
use giftbuyer_core::{AccountId, ChannelId, GiftId};

use crate::account::AccountSpec;
use crate::catalog::GiftSpec;
use crate::competitors::CompetitorConfig;
use crate::faults::Fault;
use crate::flood::FloodConfig;
use crate::latency::LatencyConfig;
use crate::login::LoginConfig;
use crate::resale::ResaleSpec;

/// The starting state and the rules of a simulated market.
///
/// Plain data with public fields and defaults for every rule, so a test states only what it
/// cares about:
///
/// ```
/// use giftbuyer_core::{AccountId, GiftId, Stars};
/// use giftbuyer_sim::{AccountSpec, GiftSpec, MarketConfig};
///
/// let config = MarketConfig::with_seed(7)
///     .account(AccountSpec::new(AccountId::new(1)?, Stars::new(50_000)).premium())
///     .gift(GiftSpec::limited(GiftId::new(9001)?, Stars::new(25), 5_000));
/// assert_eq!(config.validate(), Ok(()));
/// # Ok::<(), giftbuyer_core::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MarketConfig {
    /// Every random draw (jitter, fault coin flips, login codes, ids) derives from it.
    pub seed: u64,
    pub latency: LatencyConfig,
    pub flood: FloodConfig,
    pub competitors: CompetitorConfig,
    pub accounts: Vec<AccountSpec>,
    /// The catalog in order: gifts there from the start and drops, told apart by
    /// [`GiftSpec::release_at`].
    pub gifts: Vec<GiftSpec>,
    pub faults: Vec<Fault>,
    pub login: LoginConfig,
    /// Channel titles that [`crate::SimAccount`]'s `channel_info` reports.
    pub channel_titles: BTreeMap<ChannelId, String>,
    /// The market's own time when it is built: zero for a new market. A market resumed after
    /// its process restarted starts at how long it has been open, so that the drops it released
    /// before are out (with the supply competitors would have taken since) and the next ones
    /// come on time. The caller's clock still drives it; this is added to its readings.
    pub resumed_at: Duration,
    /// Unique gifts put up for resale, each appearing at its `listed_at`.
    pub resale: Vec<ResaleSpec>,
    /// The people a gift can be sent to by username: each username with the Telegram user id
    /// it belongs to (positive, one person per id, never one of the market's accounts). A
    /// purchase or bid for a username missing here is refused as `USERNAME_NOT_OCCUPIED`.
    pub people: BTreeMap<TelegramUsername, i64>,
    /// Channels whose owners turned star gifts off (`channelFull.stargifts_available` unset):
    /// a bid for one of them is refused, and the full channel says so.
    pub closed_to_gifts: BTreeSet<ChannelId>,
}

impl MarketConfig {
    /// The default rules with this seed.
    pub fn with_seed(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    #[must_use]
    pub fn account(mut self, account: AccountSpec) -> Self {
        self.accounts.push(account);
        self
    }

    #[must_use]
    pub fn gift(mut self, gift: GiftSpec) -> Self {
        self.gifts.push(gift);
        self
    }

    #[must_use]
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Checks the whole configuration; [`crate::Market::new`] refuses what this refuses.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.competitors.curve_is_valid() {
            return Err(ConfigError::Curve(self.competitors.curve));
        }
        let mut accounts = BTreeSet::new();
        let mut phones = BTreeSet::new();
        for account in &self.accounts {
            if !accounts.insert(account.id) {
                return Err(ConfigError::DuplicateAccount(account.id));
            }
            account.validate()?;
            if let Some(phone) = &account.phone
                && !phones.insert(phone.as_str())
            {
                return Err(ConfigError::DuplicatePhone(phone.clone()));
            }
        }
        let mut gifts = BTreeSet::new();
        for gift in &self.gifts {
            if !gifts.insert(gift.id) {
                return Err(ConfigError::DuplicateGift(gift.id));
            }
            gift.validate()?;
        }
        let mut slugs = BTreeSet::new();
        for listing in &self.resale {
            listing.validate()?;
            if !slugs.insert(listing.listing.slug.as_str()) {
                return Err(ConfigError::DuplicateListing(listing.listing.slug.clone()));
            }
        }
        self.validate_people()?;
        self.faults.iter().try_for_each(Fault::validate)
    }

    /// People have positive ids, one person per id, and no account shares one: a server in
    /// front of the market tells a person from an account by the user id alone.
    fn validate_people(&self) -> Result<(), ConfigError> {
        let mut ids: BTreeMap<i64, TelegramUsername> = BTreeMap::new();
        for (&name, &id) in &self.people {
            if id <= 0 {
                return Err(ConfigError::PersonId { name, id });
            }
            if let Some(&first) = ids.get(&id) {
                return Err(ConfigError::DuplicatePersonId {
                    id,
                    first,
                    second: name,
                });
            }
            if self.accounts.iter().any(|account| account.id.get() == id) {
                return Err(ConfigError::PersonIsAccount { name, id });
            }
            ids.insert(id, name);
        }
        Ok(())
    }

    /// Adds a person the market's accounts can send gifts to by username.
    #[must_use]
    pub fn person(mut self, name: TelegramUsername, user_id: i64) -> Self {
        self.people.insert(name, user_id);
        self
    }

    /// Turns star gifts off for a channel, as its owner can.
    #[must_use]
    pub fn closed_to_gifts(mut self, channel: ChannelId) -> Self {
        self.closed_to_gifts.insert(channel);
        self
    }

    #[must_use]
    pub fn listing(mut self, listing: ResaleSpec) -> Self {
        self.resale.push(listing);
        self
    }
}

/// Why a market configuration was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("account {0} is configured twice")]
    DuplicateAccount(AccountId),
    #[error("phone number {0} belongs to two accounts")]
    DuplicatePhone(String),
    #[error("{0:?} is not a phone number: expected + and 7 to 15 digits")]
    InvalidPhone(String),
    #[error("gift {0} is configured twice")]
    DuplicateGift(GiftId),
    #[error("gift {0} is limited, so its supply must be positive")]
    ZeroSupply(GiftId),
    #[error("gift {gift} has {remaining} copies left of a supply of {supply}")]
    RemainingAboveSupply {
        gift: GiftId,
        remaining: u64,
        supply: u64,
    },
    #[error("gift {0} is unlimited, so it cannot have a remaining count")]
    RemainingWithoutSupply(GiftId),
    #[error(
        "resale listing {0:?} needs a slug, positive ids, a positive price and to be taken no earlier than listed"
    )]
    InvalidListing(String),
    #[error("resale listing {0:?} is listed twice")]
    DuplicateListing(String),
    #[error("gift {0} is unlimited, so it cannot be sold by auction")]
    UnlimitedAuction(GiftId),
    #[error("gift {0} is sold by auction, so each round must hand out at least one gift")]
    EmptyAuctionRound(GiftId),
    #[error("gift {gift}'s auction must have between 1 and 1000 rounds, got {rounds}")]
    AuctionRounds { gift: GiftId, rounds: u32 },
    #[error(
        "gift {gift}'s auction rounds must last whole seconds, from 1 s to a day, got {duration:?}"
    )]
    AuctionRoundDuration { gift: GiftId, duration: Duration },
    #[error(
        "gift {0}'s auction extension needs a top of at least 1 and a window of whole seconds, from 1 s to a day"
    )]
    AuctionExtension(GiftId),
    #[error("gift {0}'s auction needs a minimum bid of at least 1 star")]
    AuctionMinBid(GiftId),
    #[error(
        "gift {0}'s competing bidders must be at most 1000, with a lowest maximum bid no higher than the highest, acting at most every 100 ms"
    )]
    AuctionBidders(GiftId),
    #[error("{name}'s user id must be positive, got {id}")]
    PersonId { name: TelegramUsername, id: i64 },
    #[error("user id {id} belongs to both {first} and {second}")]
    DuplicatePersonId {
        id: i64,
        first: TelegramUsername,
        second: TelegramUsername,
    },
    #[error("{name}'s user id {id} is one of the market's accounts")]
    PersonIsAccount { name: TelegramUsername, id: i64 },
    #[error("the competitors' curve must be between 1 and 16, got {0}")]
    Curve(f64),
    #[error(
        "fault call numbers start at 1 and the first is at most the last, got {first}..={last}"
    )]
    FaultCalls { first: u64, last: u64 },
    #[error("a fault window must not end ({until:?}) before it starts ({from:?})")]
    FaultWindow { from: Duration, until: Duration },
    #[error("a fault probability must be between 0 and 1, got {0}")]
    FaultProbability(f64),
}
