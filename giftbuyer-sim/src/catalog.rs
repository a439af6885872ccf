//! The gift catalog: what each gift is, how its stock changes over time, what an account sees
//! of it, and the hash that `payments.getStarGifts(hash)` compares.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::{AccountId, CatalogGift, GiftAuction, GiftId, Stars, StickerRef, UnixTime};

use crate::auction::{AuctionRun, AuctionSpec};
use crate::competitors::{CompetitorConfig, Drain, sellout_time};
use crate::config::ConfigError;
use crate::lottie;
use crate::rng::{SplitMix64, key};

/// Tag that keeps sticker document ids apart from every other keyed draw.
const STICKER_TAG: u64 = 0x5354_4943_4B45_5200;

/// Who else buys a limited gift, and how fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demand {
    /// Competitors sell the gift out in the time [`sellout_time`] gives for its supply.
    Calibrated,
    /// Competitors sell the last copy this long after the release.
    SellsOutAfter(Duration),
    /// Nobody else buys; only the simulated accounts take copies.
    Nobody,
}

/// A gift of the catalog, existing from the start or dropped later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftSpec {
    pub id: GiftId,
    pub price: Stars,
    pub title: Option<String>,
    /// Total copies (`availability_total`); `None` for an unlimited gift.
    pub supply: Option<u64>,
    /// Copies left at the release, for a gift that was on sale before; `None` for the whole
    /// supply.
    pub remaining: Option<u64>,
    pub require_premium: bool,
    /// Telegram's `birthday` flag.
    pub birthday: bool,
    /// How many copies one account may buy in all (`per_user_total`).
    pub per_user_limit: Option<u64>,
    /// When the gift appears in the catalog, on the market's clock (`Duration::ZERO` for a gift
    /// that is there from the start).
    pub release_at: Duration,
    pub demand: Demand,
    /// Until when the gift is locked for an account (`locked_until_date`).
    pub locks: BTreeMap<AccountId, UnixTime>,
    /// The sticker's `.tgs` file; `None` for the small animation [`lottie::tgs`] draws for the
    /// gift. Real gift stickers run to tens of KiB, so a test of chunked downloads gives one
    /// that large here.
    pub sticker: Option<Arc<[u8]>>,
    /// Set for a gift sold by auction: the market lists it as one and refuses to sell it.
    pub auction: Option<AuctionSpec>,
}

impl GiftSpec {
    /// A limited gift of `supply` copies, there from the start, sold out by competitors at the
    /// calibrated pace.
    pub fn limited(id: GiftId, price: Stars, supply: u64) -> Self {
        Self {
            id,
            price,
            title: None,
            supply: Some(supply),
            remaining: None,
            require_premium: false,
            birthday: false,
            per_user_limit: None,
            release_at: Duration::ZERO,
            demand: Demand::Calibrated,
            locks: BTreeMap::new(),
            sticker: None,
            auction: None,
        }
    }

    /// An unlimited gift, there from the start.
    pub fn unlimited(id: GiftId, price: Stars) -> Self {
        Self {
            supply: None,
            demand: Demand::Nobody,
            ..Self::limited(id, price, 0)
        }
    }

    /// Appears in the catalog at `at` instead of at the start.
    #[must_use]
    pub fn released_at(mut self, at: Duration) -> Self {
        self.release_at = at;
        self
    }

    #[must_use]
    pub fn premium_only(mut self) -> Self {
        self.require_premium = true;
        self
    }

    /// Flags the gift as a birthday gift, as Telegram's `birthday` flag does.
    #[must_use]
    pub fn birthday(mut self) -> Self {
        self.birthday = true;
        self
    }

    #[must_use]
    pub fn per_user_limit(mut self, limit: u64) -> Self {
        self.per_user_limit = Some(limit);
        self
    }

    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    #[must_use]
    pub fn remaining(mut self, remaining: u64) -> Self {
        self.remaining = Some(remaining);
        self
    }

    #[must_use]
    pub fn demand(mut self, demand: Demand) -> Self {
        self.demand = demand;
        self
    }

    #[must_use]
    pub fn locked_for(mut self, account: AccountId, until: UnixTime) -> Self {
        self.locks.insert(account, until);
        self
    }

    /// Sells the gift by auction instead of as a purchase.
    #[must_use]
    pub fn auctioned(mut self, auction: AuctionSpec) -> Self {
        self.auction = Some(auction);
        self
    }

    /// Shows this `.tgs` file as the gift's sticker instead of the generated one.
    #[must_use]
    pub fn sticker(mut self, tgs: impl Into<Arc<[u8]>>) -> Self {
        self.sticker = Some(tgs.into());
        self
    }

    /// Checks what the types cannot: a limited gift has copies, and no more left than made; an
    /// auction hands out at least one gift a round, and only of a limited gift.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(auction) = self.auction {
            if self.supply.is_none() {
                return Err(ConfigError::UnlimitedAuction(self.id));
            }
            auction.validate(self.id)?;
        }
        match (self.supply, self.remaining) {
            (Some(0), _) => Err(ConfigError::ZeroSupply(self.id)),
            (Some(supply), Some(remaining)) if remaining > supply => {
                Err(ConfigError::RemainingAboveSupply {
                    gift: self.id,
                    remaining,
                    supply,
                })
            }
            (None, Some(_)) => Err(ConfigError::RemainingWithoutSupply(self.id)),
            _ => Ok(()),
        }
    }
}

/// A gift in the market: its spec, who bought it, and its sticker.
#[derive(Debug, Clone)]
pub(crate) struct GiftState {
    pub(crate) spec: GiftSpec,
    drain: Option<Drain>,
    sold_by_us: u64,
    bought_by: BTreeMap<AccountId, u64>,
    pub(crate) sticker: StickerRef,
    pub(crate) tgs: Arc<[u8]>,
    /// The auction as it runs, for a gift sold by auction.
    pub(crate) auction: Option<AuctionRun>,
}

impl GiftState {
    pub(crate) fn new(spec: GiftSpec, competitors: &CompetitorConfig, seed: u64) -> Self {
        // An auctioned gift goes to the top bidders only, never to buyers along a curve.
        let drain = spec
            .supply
            .filter(|_| spec.auction.is_none())
            .and_then(|supply| {
                let sellout = match spec.demand {
                    Demand::Calibrated => sellout_time(supply),
                    Demand::SellsOutAfter(after) => after,
                    Demand::Nobody => return None,
                };
                let start = spec.release_at.saturating_add(competitors.reaction);
                Some(Drain {
                    start,
                    end: spec.release_at.saturating_add(sellout).max(start),
                    copies: spec.remaining.unwrap_or(supply),
                    curve: competitors.curve,
                })
            });
        let tgs: Arc<[u8]> = spec
            .sticker
            .clone()
            .unwrap_or_else(|| lottie::tgs(spec.id).into());
        let mut rng = SplitMix64::keyed(seed, &[STICKER_TAG, key(spec.id.get())]);
        let sticker = StickerRef {
            // Positive like Telegram's document ids, and distinct per gift and seed.
            document_id: i64::try_from(rng.next_u64() >> 1).unwrap_or(i64::MAX),
            access_hash: rng.next_u64() as i64,
            file_reference: rng.next_u64().to_be_bytes().to_vec(),
            dc_id: 4,
            size: i64::try_from(tgs.len()).unwrap_or(i64::MAX),
        };
        let auction = spec.auction.map(|auction| {
            let gifts = spec
                .supply
                .map_or(0, |supply| spec.remaining.unwrap_or(supply));
            AuctionRun::new(auction, spec.id, spec.release_at, gifts, seed)
        });
        Self {
            spec,
            drain,
            sold_by_us: 0,
            bought_by: BTreeMap::new(),
            sticker,
            tgs,
            auction,
        }
    }

    pub(crate) fn id(&self) -> GiftId {
        self.spec.id
    }

    pub(crate) fn is_released(&self, now: Duration) -> bool {
        now >= self.spec.release_at
    }

    /// When competitors take the last copy if the simulated accounts buy none.
    pub(crate) fn competitors_sellout_at(&self) -> Option<Duration> {
        self.drain.map(|drain| drain.end)
    }

    fn initial_remaining(&self) -> Option<u64> {
        self.spec
            .supply
            .map(|supply| self.spec.remaining.unwrap_or(supply))
    }

    fn demand_at(&self, now: Duration) -> u64 {
        self.drain.map_or(0, |drain| drain.demand_at(now))
    }

    /// Copies left at `now`; `None` for an unlimited gift.
    ///
    /// Competitors take what they want up to what the simulated accounts left them, so the
    /// count only ever falls, and it saturates at zero.
    pub(crate) fn remaining_at(&self, now: Duration) -> Option<u64> {
        if let Some(run) = &self.auction {
            return Some(run.gifts_left());
        }
        self.initial_remaining().map(|initial| {
            initial.saturating_sub(self.demand_at(now).saturating_add(self.sold_by_us))
        })
    }

    pub(crate) fn sold_out_at(&self, now: Duration) -> bool {
        self.remaining_at(now) == Some(0)
    }

    /// Copies bought by the market's accounts, or won by them in the gift's auction.
    pub(crate) fn sold_by_us(&self) -> u64 {
        self.sold_by_us
            .saturating_add(self.auction.as_ref().map_or(0, |run| run.won().0))
    }

    pub(crate) fn sold_to_competitors_at(&self, now: Duration) -> u64 {
        if let Some(run) = &self.auction {
            return run.won().1;
        }
        self.initial_remaining().map_or(0, |initial| {
            self.demand_at(now)
                .min(initial.saturating_sub(self.sold_by_us))
        })
    }

    pub(crate) fn bought_by(&self, account: AccountId) -> u64 {
        self.bought_by.get(&account).copied().unwrap_or(0)
    }

    /// Copies `account` may still buy; `None` without a per-user limit.
    pub(crate) fn per_user_remains(&self, account: AccountId) -> Option<u64> {
        self.spec
            .per_user_limit
            .map(|limit| limit.saturating_sub(self.bought_by(account)))
    }

    /// Until when the gift is locked for `account`, if the lock still holds at `now`.
    pub(crate) fn locked_until(&self, account: AccountId, now: UnixTime) -> Option<UnixTime> {
        self.spec
            .locks
            .get(&account)
            .copied()
            .filter(|&until| until > now)
    }

    /// Takes one copy for `account`; the caller has checked that one remains.
    pub(crate) fn record_sale(&mut self, account: AccountId) {
        self.sold_by_us = self.sold_by_us.saturating_add(1);
        *self.bought_by.entry(account).or_insert(0) += 1;
    }

    /// The `starGift` entry `account` receives at `now`.
    pub(crate) fn to_catalog(
        &self,
        account: AccountId,
        now: Duration,
        unix_now: UnixTime,
    ) -> CatalogGift {
        let remaining = self.remaining_at(now);
        CatalogGift {
            id: self.spec.id.get(),
            price: i64::try_from(self.spec.price.get()).unwrap_or(i64::MAX),
            limited: self.spec.supply.is_some(),
            sold_out: remaining == Some(0),
            supply: self.spec.supply.map(to_i64),
            remaining: remaining.map(to_i64),
            require_premium: self.spec.require_premium,
            birthday: self.spec.birthday,
            per_user_remains: self.per_user_remains(account).map(to_i64),
            locks: self
                .locked_until(account, unix_now)
                .map(|until| BTreeMap::from([(account, until)]))
                .unwrap_or_default(),
            sticker: Some(self.sticker.clone()),
            title: self.spec.title.clone(),
            auction: self.spec.auction.map(|auction| {
                // The start on the market's clock, moved onto the Unix clock by the distance
                // from now; whole seconds, like Telegram's dates.
                let start = self.spec.release_at.saturating_add(auction.starts_after);
                let offset = if start >= now {
                    to_i64(start.saturating_sub(now).as_secs())
                } else {
                    -to_i64(now.saturating_sub(start).as_secs())
                };
                GiftAuction {
                    slug: format!("gift-{}", self.spec.id),
                    gifts_per_round: to_i64(auction.gifts_per_round),
                    start_date: unix_now.secs().saturating_add(offset),
                }
            }),
        }
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The hash of a catalog as one account sees it: any visible change changes it.
///
/// FNV-1a over every field in order, folded to 32 bits. Telegram reads a hash of 0 as "the
/// client has no catalog", so a 0 is moved to 1 rather than ever being answered with
/// `NotModified` on a first call.
pub(crate) fn catalog_hash(gifts: &[CatalogGift]) -> i32 {
    let mut hash = Fnv::new();
    hash.u64(gifts.len() as u64);
    for gift in gifts {
        hash.i64(gift.id);
        hash.i64(gift.price);
        hash.u64(u64::from(gift.limited) | u64::from(gift.sold_out) << 1);
        hash.u64(u64::from(gift.require_premium) | u64::from(gift.birthday) << 1);
        for value in [gift.supply, gift.remaining, gift.per_user_remains] {
            match value {
                Some(value) => {
                    hash.u64(1);
                    hash.i64(value);
                }
                None => hash.u64(0),
            }
        }
        hash.u64(gift.locks.len() as u64);
        for (account, until) in &gift.locks {
            hash.i64(account.get());
            hash.i64(until.secs());
        }
        match &gift.sticker {
            Some(sticker) => {
                hash.i64(sticker.document_id);
                hash.i64(sticker.access_hash);
                hash.bytes(&sticker.file_reference);
            }
            None => hash.u64(0),
        }
        match &gift.title {
            Some(title) => {
                hash.u64(title.len() as u64 + 1);
                hash.bytes(title.as_bytes());
            }
            None => hash.u64(0),
        }
        match &gift.auction {
            Some(auction) => {
                hash.u64(auction.slug.len() as u64 + 1);
                hash.bytes(auction.slug.as_bytes());
                hash.i64(auction.gifts_per_round);
                hash.i64(auction.start_date);
            }
            None => hash.u64(0),
        }
    }
    let folded = (hash.0 ^ (hash.0 >> 32)) as u32 as i32;
    if folded == 0 { 1 } else { folded }
}

/// The 64-bit FNV-1a hash: simple, and the same on every platform and version.
struct Fnv(u64);

impl Fnv {
    const fn new() -> Self {
        Self(0xCBF2_9CE4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }

    fn u64(&mut self, value: u64) {
        self.bytes(&value.to_le_bytes());
    }

    fn i64(&mut self, value: i64) {
        self.bytes(&value.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use giftbuyer_core::GiftDefect;

    use super::*;

    fn gift() -> CatalogGift {
        CatalogGift {
            id: 1,
            price: 25,
            limited: true,
            supply: Some(10),
            remaining: Some(10),
            ..CatalogGift::default()
        }
    }

    #[test]
    fn the_hash_changes_with_every_visible_field() {
        let base = catalog_hash(&[gift()]);
        let account = AccountId::new(1).expect("valid");
        let variants = [
            CatalogGift { id: 2, ..gift() },
            CatalogGift {
                price: 26,
                ..gift()
            },
            CatalogGift {
                limited: false,
                ..gift()
            },
            CatalogGift {
                sold_out: true,
                ..gift()
            },
            CatalogGift {
                remaining: Some(9),
                ..gift()
            },
            CatalogGift {
                supply: None,
                ..gift()
            },
            CatalogGift {
                require_premium: true,
                ..gift()
            },
            CatalogGift {
                birthday: true,
                ..gift()
            },
            CatalogGift {
                per_user_remains: Some(1),
                ..gift()
            },
            CatalogGift {
                title: Some("Heart".into()),
                ..gift()
            },
            CatalogGift {
                locks: BTreeMap::from([(account, UnixTime::from_secs(5).expect("valid"))]),
                ..gift()
            },
            CatalogGift {
                sticker: Some(StickerRef::default()),
                ..gift()
            },
            CatalogGift {
                auction: Some(GiftAuction::default()),
                ..gift()
            },
        ];
        for variant in variants {
            assert_ne!(
                catalog_hash(std::slice::from_ref(&variant)),
                base,
                "{variant:?}"
            );
        }
        assert_ne!(catalog_hash(&[]), base);
        assert_ne!(catalog_hash(&[gift(), gift()]), base);
        assert_eq!(catalog_hash(&[gift()]), base);
    }

    #[test]
    fn an_auction_gift_is_listed_with_its_round_size_and_start() {
        let id = GiftId::new(4).expect("valid");
        let spec = GiftSpec::limited(id, Stars::new(500), 100)
            .released_at(Duration::from_secs(10))
            .auctioned(AuctionSpec::new(20, Duration::from_secs(60)));
        assert_eq!(spec.validate(), Ok(()));
        let state = GiftState::new(spec, &CompetitorConfig::default(), 0);
        let account = AccountId::new(1).expect("valid");
        let unix_now = UnixTime::from_secs(1_000_000).expect("valid");
        // 30 s after the market started, the auction starts 40 s from now.
        let listed = state.to_catalog(account, Duration::from_secs(30), unix_now);
        assert_eq!(
            listed.auction,
            Some(GiftAuction {
                slug: "gift-4".into(),
                gifts_per_round: 20,
                start_date: 1_000_040,
            })
        );
        let later = state.to_catalog(account, Duration::from_secs(100), unix_now);
        assert_eq!(
            later.auction.map(|auction| auction.start_date),
            Some(999_970)
        );
        assert_eq!(listed.check().map(|gift| gift.id), Err(GiftDefect::Auction));
    }

    #[test]
    fn an_auction_needs_a_limited_gift_and_a_round_of_at_least_one() {
        let id = GiftId::new(4).expect("valid");
        let auction = AuctionSpec::new(1, Duration::ZERO);
        assert_eq!(
            GiftSpec::unlimited(id, Stars::new(5))
                .auctioned(auction)
                .validate(),
            Err(ConfigError::UnlimitedAuction(id))
        );
        assert_eq!(
            GiftSpec::limited(id, Stars::new(5), 10)
                .auctioned(AuctionSpec {
                    gifts_per_round: 0,
                    ..auction
                })
                .validate(),
            Err(ConfigError::EmptyAuctionRound(id))
        );
    }

    #[test]
    fn a_given_sticker_file_replaces_the_drawn_one() {
        let id = GiftId::new(3).expect("valid");
        let competitors = CompetitorConfig::default();
        let drawn = GiftState::new(GiftSpec::limited(id, Stars::new(10), 5), &competitors, 0);
        assert_eq!(&*drawn.tgs, lottie::tgs(id).as_slice());
        let file = vec![7u8; 9000];
        let given = GiftState::new(
            GiftSpec::limited(id, Stars::new(10), 5).sticker(file.clone()),
            &competitors,
            0,
        );
        assert_eq!(&*given.tgs, file.as_slice());
        assert_eq!(given.sticker.size, 9000);
        assert_eq!(given.sticker.document_id, drawn.sticker.document_id);
    }

    #[test]
    fn a_spec_is_checked_for_its_supply() {
        let id = GiftId::new(3).expect("valid");
        let price = Stars::new(10);
        assert_eq!(
            GiftSpec::limited(id, price, 0).validate(),
            Err(ConfigError::ZeroSupply(id))
        );
        assert_eq!(
            GiftSpec::limited(id, price, 5).remaining(6).validate(),
            Err(ConfigError::RemainingAboveSupply {
                gift: id,
                remaining: 6,
                supply: 5
            })
        );
        assert_eq!(
            GiftSpec::unlimited(id, price).remaining(1).validate(),
            Err(ConfigError::RemainingWithoutSupply(id))
        );
        assert_eq!(
            GiftSpec::limited(id, price, 5).remaining(5).validate(),
            Ok(())
        );
    }

    #[test]
    fn our_purchases_and_the_competitors_share_the_stock() {
        let id = GiftId::new(3).expect("valid");
        let account = AccountId::new(9).expect("valid");
        let competitors = CompetitorConfig {
            reaction: Duration::ZERO,
            curve: 1.0,
        };
        let spec = GiftSpec::limited(id, Stars::new(10), 100)
            .demand(Demand::SellsOutAfter(Duration::from_secs(100)));
        let mut state = GiftState::new(spec, &competitors, 0);
        let at = Duration::from_secs;
        assert_eq!(state.remaining_at(at(50)), Some(50));
        for _ in 0..10 {
            state.record_sale(account);
        }
        assert_eq!(state.remaining_at(at(50)), Some(40));
        assert_eq!(state.sold_to_competitors_at(at(50)), 50);
        assert_eq!(state.remaining_at(at(95)), Some(0));
        assert_eq!(state.sold_to_competitors_at(at(95)), 90);
        assert!(state.sold_out_at(at(95)));
        assert_eq!(state.bought_by(account), 10);
    }
}
