//! The built-in demo market of `giftbuyer serve --demo`: a standing catalog and a new limited
//! drop every few minutes, so a newcomer sees the real flows without Telegram credentials.

use std::collections::BTreeSet;
use std::time::Duration;

use giftbuyer_core::resale::TelegramUsername;
use giftbuyer_core::{AccountId, GiftId, Stars, UnixTime};

use crate::{
    AccountSpec, AuctionSpec, CompetingBidders, GiftSpec, LoginConfig, MarketConfig, ResaleSpec,
    normalize_phone,
};

/// How the demo market behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Time between two drops; the first comes `first_drop` after the market opened.
    pub drop_every: Duration,
    pub first_drop: Duration,
    /// How many drops are scheduled after the moment the market (re)starts; at three minutes
    /// apart, 400 last twenty hours.
    pub drops: u32,
    pub seed: u64,
    /// What an account created by a demo login starts with.
    pub starting_balance: Stars,
    /// When this demo market first opened. The drop schedule counts from it, so a demo
    /// restarted on the same data carries on with the same schedule instead of starting over.
    pub opened_at: UnixTime,
    /// When the market is built: `opened_at` for a new demo, later for a resumed one.
    pub now: UnixTime,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            drop_every: Duration::from_secs(180),
            first_drop: Duration::from_secs(60),
            drops: 400,
            seed: 2026,
            starting_balance: Stars::new(50_000),
            opened_at: UnixTime::default(),
            now: UnixTime::default(),
        }
    }
}

impl DemoOptions {
    /// How long the market has been open, on its own clock.
    pub fn resumed_at(&self) -> Duration {
        let secs = self.now.secs().saturating_sub(self.opened_at.secs());
        Duration::from_secs(u64::try_from(secs).unwrap_or(0))
    }
}

/// An account that a demo login created before the server restarted, as the store remembers
/// it. The market's accounts live in memory, so a resumed demo recreates them from these; its
/// sessions stay valid and nobody has to log in again, as with real Telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccount {
    pub id: AccountId,
    pub phone: String,
    pub first_name: Option<String>,
    pub username: Option<String>,
    pub premium: bool,
    /// The last balance seen, or `None` for the starting balance.
    pub balance: Option<Stars>,
}

/// The drops cycle through these: (title, price in stars, supply, premium only, per-user
/// limit). Prices and supplies follow real drops, from rare and dear to mass and cheap.
const DROPS: [(&str, u64, u64, bool, Option<u64>); 8] = [
    ("Plush Pepe", 30_000, 5_000, true, None),
    ("Jelly Bunny", 2_500, 5_000, false, Some(3)),
    ("Precious Peach", 10_000, 12_000, false, None),
    ("Snow Globe", 5_000, 15_000, false, Some(5)),
    ("Lol Pop", 1_000, 120_000, false, None),
    ("Signet Ring", 50_000, 2_000, true, Some(1)),
    ("Desk Calendar", 200, 600_000, false, None),
    ("Jack-in-the-Box", 500, 80_000, false, Some(10)),
];

/// A drop's gift id is this plus its release time in unix seconds. Drops are at least a second
/// apart, so ids never repeat, and a demo that opens anew (another interval, a new data
/// directory) never hands out an id that a store kept from an earlier one.
const DROP_ID_BASE: i64 = 7_000_000_000_000_000_000;

/// How many drops released before a restart a resumed market still lists; older ones have
/// long sold out, and leaving them out keeps the catalog from growing without bound.
const RELEASED_KEPT: u64 = 8;

/// The demo market's configuration, with the accounts that earlier demo logins created.
pub fn demo_market_config(options: &DemoOptions, known: &[KnownAccount]) -> MarketConfig {
    let mut config = MarketConfig::with_seed(options.seed);
    let standing = [
        (5_170_145_012_310_081_615_i64, "Heart", 15),
        (5_168_103_777_563_050_263, "Teddy Bear", 15),
        (5_170_250_947_678_437_525, "Gift Box", 25),
        (5_170_564_780_938_756_245, "Rocket", 50),
    ];
    for (id, title, price) in standing {
        if let Ok(id) = GiftId::new(id) {
            config = config.gift(GiftSpec::unlimited(id, Stars::new(price)).title(title));
        }
    }
    let resumed_at = options.resumed_at();
    let every = options.drop_every.max(Duration::from_secs(1));
    let released = if resumed_at < options.first_drop {
        0
    } else {
        let since_first = resumed_at.saturating_sub(options.first_drop);
        u64::try_from(since_first.as_nanos() / every.as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    };
    let first = released.saturating_sub(RELEASED_KEPT);
    let last = released.saturating_add(u64::from(options.drops));
    for index in first..last {
        let (title, price, supply, premium, per_user) =
            DROPS[(index % DROPS.len() as u64) as usize];
        let Some(release_at) = u32::try_from(index)
            .ok()
            .and_then(|index| every.checked_mul(index))
            .and_then(|offset| options.first_drop.checked_add(offset))
        else {
            break;
        };
        let release_unix = i64::try_from(release_at.as_secs())
            .ok()
            .and_then(|secs| secs.checked_add(options.opened_at.secs()));
        let Some(Ok(id)) = release_unix.map(|unix| GiftId::new(DROP_ID_BASE.saturating_add(unix)))
        else {
            continue;
        };
        let mut gift = GiftSpec::limited(id, Stars::new(price), supply)
            .released_at(release_at)
            .title(title);
        if premium {
            gift = gift.premium_only();
        }
        if let Some(limit) = per_user {
            gift = gift.per_user_limit(limit);
        }
        config = config.gift(gift);
    }
    if let Some(auction) = demo_auction(options, resumed_at) {
        config = config.gift(auction);
    }
    config.resale = demo_listings(options, resumed_at);
    config.login = LoginConfig {
        starting_balance: options.starting_balance,
        // A newcomer adds their own channels, which the demo cannot know in advance.
        any_channel: true,
        ..LoginConfig::default()
    };
    config.resumed_at = resumed_at;
    let mut ids = BTreeSet::new();
    let mut phones = BTreeSet::new();
    for account in known {
        // The store never holds one Telegram account twice, but a market refuses a
        // configuration that does, so duplicates are skipped rather than trusted away.
        let phone = normalize_phone(&account.phone);
        if !ids.insert(account.id)
            || phone
                .as_ref()
                .is_some_and(|phone| !phones.insert(phone.clone()))
        {
            continue;
        }
        let spec = known_account(&config.login, account, phone);
        config = config.account(spec);
    }
    with_people(with_two_factor_account(config, &phones))
}

/// The people of the demo, so that the panel has someone to send a gift to by username. Their
/// ids are outside those new demo accounts get, so a login never takes one.
pub const DEMO_PEOPLE: [(&str, i64); 2] =
    [("gift_friend", 4_100_000_001), ("durov_fan", 4_100_000_002)];

/// Adds [`DEMO_PEOPLE`], leaving out one whose id an account the store kept already has (a
/// market refuses a person who is also an account).
fn with_people(mut config: MarketConfig) -> MarketConfig {
    for (name, id) in DEMO_PEOPLE {
        let taken = config.accounts.iter().any(|account| account.id.get() == id);
        if let (Ok(name), false) = (TelegramUsername::new(name), taken) {
            config = config.person(name, id);
        }
    }
    config
}

/// An auctioned gift's id is this plus the unix second it appears, so each start of the demo
/// has its own auction and never reuses an id a store kept.
const AUCTION_ID_BASE: i64 = 6_000_000_000_000_000_000;
/// The demo auction starts this long after the market (re)starts.
pub const AUCTION_STARTS_AFTER: Duration = Duration::from_secs(30);

/// The demo's live auction: a gift that appears when the market (re)starts and goes on
/// auction half a minute later, 5 gifts in each of 20 rounds of 90 s (extended by 15 s when
/// the top 3 change in a round's last 15 s), against a dozen competing bidders.
fn demo_auction(options: &DemoOptions, resumed_at: Duration) -> Option<GiftSpec> {
    let appears = i64::try_from(resumed_at.as_secs())
        .ok()
        .and_then(|secs| secs.checked_add(options.opened_at.secs()))?;
    let id = GiftId::new(AUCTION_ID_BASE.checked_add(appears)?).ok()?;
    let auction = AuctionSpec::new(5, AUCTION_STARTS_AFTER)
        .rounds(20, Duration::from_secs(90))
        .extendable(3, Duration::from_secs(15))
        .min_bid(Stars::new(500))
        .bidders(CompetingBidders::new(
            12,
            Stars::new(600),
            Stars::new(6_000),
            Duration::from_secs(8),
        ));
    Some(
        GiftSpec::limited(id, Stars::new(500), 100)
            .released_at(resumed_at)
            .title("Crystal Orb")
            .auctioned(auction),
    )
}

/// The gift type whose upgraded items the demo lists for resale (the standing Heart).
pub const RESALE_GIFT: i64 = 5_170_145_012_310_081_615;
/// A new listing this often; each is taken by a competitor a while after it appears.
const LISTING_EVERY: Duration = Duration::from_secs(45);
/// How many listings are scheduled after the market (re)starts: about sixteen hours' worth.
const LISTINGS_AHEAD: u64 = 1_280;
const MODELS: [&str; 4] = ["Cap", "Frog", "Star", "Ghost"];
const BACKDROPS: [&str; 3] = ["Black", "Ivory", "Emerald"];
const SYMBOLS: [&str; 3] = ["Moon", "Leaf", "Crown"];

/// The demo's resale market: a Heart item listed every 45 s at a price between 600 and 6,000
/// stars with a model, backdrop and symbol drawn from small sets, taken by a competitor 20 to
/// 110 s later. Slugs carry the listing's time since the market opened, so a resumed demo never
/// lists an item twice; listings that appeared before a restart are left out.
fn demo_listings(options: &DemoOptions, resumed_at: Duration) -> Vec<ResaleSpec> {
    let Ok(gift) = GiftId::new(RESALE_GIFT) else {
        return Vec::new();
    };
    let first = u64::try_from(resumed_at.as_nanos() / LISTING_EVERY.as_nanos())
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut listings = Vec::new();
    for index in first..first.saturating_add(LISTINGS_AHEAD) {
        let Some(at) = u32::try_from(index)
            .ok()
            .and_then(|index| LISTING_EVERY.checked_mul(index))
        else {
            break;
        };
        let draw =
            crate::rng::SplitMix64::keyed(options.seed, &[0x5245_5341_4c45, index]).next_u64();
        let price = 600 + draw % 5_401;
        let num = i64::try_from(index).unwrap_or(i64::MAX);
        let pick =
            |set: &[&'static str], shift: u32| set[((draw >> shift) % set.len() as u64) as usize];
        let mut spec = ResaleSpec::new(gift, num, Stars::new(price))
            .listed_at(at)
            .taken_at(at + Duration::from_secs(20 + (draw >> 40) % 91))
            .attributes(pick(&MODELS, 16), pick(&BACKDROPS, 24), pick(&SYMBOLS, 32));
        spec.listing.slug = format!("heart-{}", at.as_secs());
        spec.listing.title = "Heart".to_owned();
        listings.push(spec);
    }
    listings
}

/// A demo number whose account has a two-step verification password, so that a demo login can
/// go through that step too. Its last digit sends it to DC 3 on the loopback Telegram.
pub const TWO_FACTOR_PHONE: &str = "+15550002222";
/// The password of [`TWO_FACTOR_PHONE`]'s account; its hint is "demo".
pub const TWO_FACTOR_PASSWORD: &str = "demo-password";
/// Outside the ids new demo accounts get, so it never meets one.
const TWO_FACTOR_ACCOUNT: i64 = 4_000_000_001;

/// Adds the two-step demo account, or gives the password to it when the store already knew it.
fn with_two_factor_account(mut config: MarketConfig, phones: &BTreeSet<String>) -> MarketConfig {
    if phones.contains(TWO_FACTOR_PHONE) {
        for account in &mut config.accounts {
            if account.phone.as_deref() == Some(TWO_FACTOR_PHONE) {
                *account = account
                    .clone()
                    .two_factor(TWO_FACTOR_PASSWORD, Some("demo"));
            }
        }
        return config;
    }
    let Ok(id) = AccountId::new(TWO_FACTOR_ACCOUNT) else {
        return config;
    };
    if config.accounts.iter().any(|account| account.id == id) {
        return config;
    }
    let mut spec = AccountSpec::new(id, config.login.starting_balance)
        .phone(TWO_FACTOR_PHONE)
        .two_factor(TWO_FACTOR_PASSWORD, Some("demo"));
    spec.first_name = Some("Demo 2FA".to_owned());
    spec.username = Some("demo_2fa".to_owned());
    // With Premium, so the demo's premium-only drops have a buyer too.
    spec.premium = true;
    spec.channels = config.login.channels.clone();
    spec.any_channel = config.login.any_channel;
    config.account(spec)
}

/// A known account as a demo login would have created it, with what the store remembers.
fn known_account(login: &LoginConfig, known: &KnownAccount, phone: Option<String>) -> AccountSpec {
    let mut spec = AccountSpec::new(known.id, known.balance.unwrap_or(login.starting_balance));
    spec.phone = phone;
    spec.first_name = known.first_name.clone();
    spec.username = known.username.clone();
    spec.premium = known.premium;
    spec.channels = login.channels.clone();
    spec.any_channel = login.any_channel;
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limited drops, without the auctioned gift.
    fn limited(config: &MarketConfig) -> Vec<&GiftSpec> {
        config
            .gifts
            .iter()
            .filter(|gift| gift.supply.is_some() && gift.auction.is_none())
            .collect()
    }

    #[test]
    fn an_auction_starts_soon_after_each_start_of_the_market() {
        let options = DemoOptions {
            drops: 2,
            opened_at: at(1_764_000_000),
            now: at(1_764_000_600),
            ..DemoOptions::default()
        };
        let config = demo_market_config(&options, &[]);
        assert_eq!(config.validate(), Ok(()));
        let auctioned: Vec<&GiftSpec> = config
            .gifts
            .iter()
            .filter(|gift| gift.auction.is_some())
            .collect();
        let [gift] = auctioned.as_slice() else {
            panic!("one auction expected: {auctioned:?}");
        };
        assert_eq!(gift.release_at, Duration::from_secs(600));
        assert_eq!(gift.id.get(), AUCTION_ID_BASE + 1_764_000_600);
        let auction = gift.auction.expect("auctioned");
        assert_eq!(auction.starts_after, AUCTION_STARTS_AFTER);
        assert!(auction.bidders.count > 0);
        assert!(auction.round_duration <= Duration::from_secs(120));
    }

    fn at(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs).expect("valid time")
    }

    #[test]
    fn drops_come_at_their_interval_and_the_config_is_valid() {
        let options = DemoOptions {
            drops: 10,
            opened_at: at(1_764_000_000),
            now: at(1_764_000_000),
            ..DemoOptions::default()
        };
        let config = demo_market_config(&options, &[]);
        assert_eq!(config.validate(), Ok(()));
        let limited = limited(&config);
        assert_eq!(limited.len(), 10);
        assert_eq!(limited[0].release_at, Duration::from_secs(60));
        assert_eq!(limited[9].release_at, Duration::from_secs(60 + 9 * 180));
        // Ids carry the release time, in unix seconds.
        assert_eq!(limited[0].id.get(), DROP_ID_BASE + 1_764_000_060);
        assert_eq!(config.resumed_at, Duration::ZERO);
        assert_eq!(config.login.starting_balance, Stars::new(50_000));
        assert!(config.login.any_channel);
        // The one standing account is the two-step demo account.
        let [account] = config.accounts.as_slice() else {
            panic!("one account expected: {:?}", config.accounts);
        };
        assert_eq!(account.phone.as_deref(), Some(TWO_FACTOR_PHONE));
        let two_factor = account.two_factor.as_ref().expect("a password");
        assert_eq!(two_factor.password, TWO_FACTOR_PASSWORD);
        assert!(account.any_channel);
    }

    #[test]
    fn the_two_step_account_keeps_its_password_and_what_the_store_knew() {
        let options = DemoOptions {
            drops: 3,
            opened_at: at(1_764_000_000),
            now: at(1_764_000_000),
            ..DemoOptions::default()
        };
        let known = KnownAccount {
            id: AccountId::new(4_000_000_001).expect("valid id"),
            phone: TWO_FACTOR_PHONE.to_owned(),
            first_name: Some("Demo 2FA".to_owned()),
            username: None,
            premium: true,
            balance: Some(Stars::new(777)),
        };
        let config = demo_market_config(&options, &[known]);
        assert_eq!(config.validate(), Ok(()));
        let [account] = config.accounts.as_slice() else {
            panic!("one account expected: {:?}", config.accounts);
        };
        assert_eq!((account.balance, account.premium), (Stars::new(777), true));
        assert_eq!(
            account.two_factor.as_ref().map(|t| t.password.as_str()),
            Some(TWO_FACTOR_PASSWORD)
        );
    }

    #[test]
    fn the_demo_names_two_people_and_leaves_out_one_whose_id_an_account_has() {
        let options = DemoOptions {
            drops: 1,
            opened_at: at(1_764_000_000),
            now: at(1_764_000_000),
            ..DemoOptions::default()
        };
        let config = demo_market_config(&options, &[]);
        assert_eq!(config.validate(), Ok(()));
        let people: Vec<(String, i64)> = config
            .people
            .iter()
            .map(|(name, id)| (name.as_str().to_owned(), *id))
            .collect();
        assert_eq!(
            people,
            [
                ("durov_fan".to_owned(), 4_100_000_002),
                ("gift_friend".to_owned(), 4_100_000_001)
            ]
        );

        let known = KnownAccount {
            id: AccountId::new(4_100_000_001).expect("valid id"),
            phone: "+15550003333".to_owned(),
            first_name: None,
            username: None,
            premium: false,
            balance: None,
        };
        let config = demo_market_config(&options, &[known]);
        assert_eq!(config.validate(), Ok(()));
        let names: Vec<&str> = config.people.keys().map(|name| name.as_str()).collect();
        assert_eq!(names, ["durov_fan"]);
    }

    #[test]
    fn resale_listings_come_every_45_seconds_and_a_resumed_market_lists_only_new_ones() {
        let opened = DemoOptions {
            opened_at: at(1_764_000_000),
            now: at(1_764_000_000),
            ..DemoOptions::default()
        };
        let config = demo_market_config(&opened, &[]);
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.resale.len(), LISTINGS_AHEAD as usize);
        let first = &config.resale[0];
        assert_eq!(first.listing.gift_id, RESALE_GIFT);
        assert_eq!(first.listed_at, Duration::from_secs(45));
        assert_eq!(first.listing.slug, "heart-45");
        let taken = first.taken_at.expect("a competitor takes it") - first.listed_at;
        assert!((20..=110).contains(&taken.as_secs()), "{taken:?}");
        assert!(config.resale.iter().all(|spec| {
            spec.listing
                .price
                .is_some_and(|price| (600..=6_000).contains(&price))
                && spec.listing.attributes.model.is_some()
        }));
        let ids: BTreeSet<i64> = config
            .resale
            .iter()
            .map(|spec| spec.listing.unique_id)
            .collect();
        assert_eq!(ids.len(), config.resale.len(), "unique ids are distinct");

        // Restarted 1000 s later: the next listing is at 1035 s, and no slug repeats.
        let resumed = demo_market_config(
            &DemoOptions {
                now: at(1_764_001_000),
                ..opened
            },
            &[],
        );
        assert_eq!(resumed.resale[0].listed_at, Duration::from_secs(1_035));
        let before: BTreeSet<&str> = config
            .resale
            .iter()
            .filter(|spec| spec.listed_at <= Duration::from_secs(1_000))
            .map(|spec| spec.listing.slug.as_str())
            .collect();
        assert!(
            resumed
                .resale
                .iter()
                .all(|spec| !before.contains(spec.listing.slug.as_str()))
        );
    }

    #[test]
    fn a_resumed_market_keeps_its_schedule_and_its_known_accounts() {
        let opened = DemoOptions {
            drops: 20,
            opened_at: at(1_764_000_000),
            now: at(1_764_000_000),
            ..DemoOptions::default()
        };
        // Restarted 1000 s later: drops at 60, 240, 420, 600, 780 and 960 s are out.
        let resumed = DemoOptions {
            now: at(1_764_001_000),
            ..opened
        };
        let known = KnownAccount {
            id: AccountId::new(5_123_456_789).expect("valid id"),
            phone: "+1 555 000 1234".to_owned(),
            first_name: Some("Demo 1234".to_owned()),
            username: None,
            premium: false,
            balance: Some(Stars::new(42_500)),
        };
        let before = demo_market_config(&opened, &[]);
        let config = demo_market_config(&resumed, &[known.clone(), known.clone()]);
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.resumed_at, Duration::from_secs(1000));

        // The same drops at the same times with the same ids, the next one included, and
        // 20 more scheduled from the restart on.
        let before = limited(&before);
        let after = limited(&config);
        assert_eq!(after.len(), 6 + 20);
        for (old, new) in before.iter().zip(&after) {
            assert_eq!((old.id, old.release_at), (new.id, new.release_at));
        }
        assert_eq!(after[6].release_at, Duration::from_secs(60 + 6 * 180));

        // The account is back once, with its phone normalized and the balance the store saw,
        // beside the standing two-step account.
        let restored: Vec<_> = config
            .accounts
            .iter()
            .filter(|account| account.phone.as_deref() != Some(TWO_FACTOR_PHONE))
            .collect();
        let [account] = restored.as_slice() else {
            panic!("one account expected: {:?}", config.accounts);
        };
        assert_eq!(account.id, known.id);
        assert_eq!(account.phone.as_deref(), Some("+15550001234"));
        assert_eq!(account.balance, Stars::new(42_500));
        assert!(account.any_channel);
    }

    #[test]
    fn a_long_resumed_market_lists_only_its_latest_drops() {
        let options = DemoOptions {
            drops: 5,
            opened_at: at(1_764_000_000),
            // A week later.
            now: at(1_764_000_000 + 7 * 86_400),
            ..DemoOptions::default()
        };
        let config = demo_market_config(&options, &[]);
        let limited = limited(&config);
        assert_eq!(limited.len() as u64, RELEASED_KEPT + 5);
        let resumed_at = options.resumed_at();
        let out = limited
            .iter()
            .filter(|gift| gift.release_at <= resumed_at)
            .count();
        assert_eq!(out as u64, RELEASED_KEPT);
    }
}
