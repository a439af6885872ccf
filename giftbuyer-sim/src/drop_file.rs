//! The drop file: a simulated market and the user's channels as JSON, for
//! `giftbuyer simulate --input drop.json`.
//!
//! Parsing happens in two steps so that every error names the field it is about: serde reads
//! the JSON into the wire structs below, which refuse unknown fields (type errors carry the
//! field path, line and column), then each value is validated into the simulator's and the
//! core's types (errors carry the field path).
//!
//! ```json
//! {"seed": 42,
//!  "start_unix": 1764000000,
//!  "duration_ms": 120000,
//!  "latency_ms": {"rtt": 60, "jitter": 20, "methods": {"buy": {"rtt": 120, "jitter": 30}}},
//!  "flood": {"catalog_min_interval_ms": 1000, "flood_wait_seconds": 3,
//!            "purchases_per_second": null},
//!  "competitors": {"reaction_ms": 300, "curve": 2.0},
//!  "accounts": [{"id": 1001, "balance": 100000, "premium": true, "premium_until": null,
//!                "username": "buyer1", "first_name": "Ann", "extra_rtt_ms": 0,
//!                "phone": "+15550001001", "password": "hunter2", "password_hint": "the usual",
//!                "channels": {"-1001234567890": "can_post", "-1001234567891": "read_only"}}],
//!  "channels": [{"id": 1, "channel_id": -1001234567890, "title": "Rare gifts",
//!                "price_min": null, "price_max": null, "supply_min": null, "supply_max": null,
//!                "exclude": {"gift_ids": [9002], "kinds": ["birthday"]}}],
//!  "catalog": [{"id": 100, "price": 25, "supply": null, "title": "Heart"},
//!              {"id": 200, "price": 2500, "supply": 10000, "remaining": 0}],
//!  "drops": [{"at_ms": 5000, "id": 9001, "price": 30000, "supply": 5000,
//!             "require_premium": true, "birthday": false, "per_user_limit": null, "title": "Plush Pepe",
//!             "sellout_ms": null, "locks": {"1001": 1764003600}}],
//!  "faults": [{"method": "buy", "account": 1001, "calls": [1, 1], "error": "FLOOD_WAIT_2"},
//!             {"method": "buy", "window_ms": [5000, 6000], "hang_ms": 30000, "executed": true},
//!             {"method": "catalog", "probability": 0.05, "disconnect": true}],
//!  "login": {"starting_balance": 2500, "code_ttl_ms": 300000,
//!            "channels": {"-1001234567890": "can_post"}},
//!  "people": {"gift_friend": 7000000001},
//!  "bot": {"latency_ms": 50, "max_per_second_per_chat": 1, "blocked": [], "missing": []}}
//! ```
//!
//! | Field | Meaning |
//! | --- | --- |
//! | `seed` | Every random draw derives from it: the same file always runs the same way. Default 0. |
//! | `start_unix` | Wall time at the start, in unix seconds, for the caller's clock. Optional. |
//! | `duration_ms` | How long the simulation runs, in virtual milliseconds. Required. |
//! | `latency_ms` | Round trip `rtt` plus a uniform `jitter`, per call; `methods` overrides them per method (`catalog`, `profile`, `balance`, `buy`, `sticker`, `channel_info`, `resale`, `resale_buy`, `auction_state`, `bid`). Default 60 + 20. |
//! | `flood` | An account calling `getStarGifts` again within `catalog_min_interval_ms` gets `FLOOD_WAIT_<flood_wait_seconds>` (defaults 1000 and 3); `purchases_per_second` limits purchase requests per account (default none); `resale_min_interval_ms` is the same rule for `getResaleStarGifts` (default 1000). |
//! | `competitors` | Other buyers start `reaction_ms` after a release (default 300) and buy along `1 - (1 - x)^curve` (default 2: fast first, then slower). |
//! | `accounts[]` | The simulated Telegram accounts: `id`, `balance` (required), `premium`, `premium_until` (unix seconds), `username`, `first_name`, `extra_rtt_ms` (a slower link), `phone` and `password`/`password_hint` for the login, and `channels`: per Bot API channel id, `can_post`, `read_only` or `not_member`; channels not listed are not visible. |
//! | `channels[]` | The user's targets, as in a scenario file: row `id`, then `channel_id` for a channel, `username` for a person (one of `people`), or neither for the buying account itself; optional `title`, price and supply bounds, and an optional `exclude` list (`gift_ids`, and `kinds` among `birthday` and `premium_only`). Titles are also what the accounts see. |
//! | `catalog[]` | Gifts on sale before the start. `supply` null is an unlimited gift. `remaining` is what is left at the start (default the supply; 0 is sold out). With `sellout_ms` competitors take the rest by then; without, nobody else buys it any more. |
//! | `drops[]` | Gifts released at `at_ms`. `supply` null is an unlimited gift. Competitors sell a limited one out `sellout_ms` after the release, by default in the time real drops of that supply took. |
//! | `catalog[]`, `drops[]` | Also `id`, `price` (stars), `require_premium`, `birthday` (Telegram's birthday flag), `per_user_limit` (copies per account in all), `title`, `locks` (per account id, until when in unix seconds the gift is locked for it), `auction` (a limited gift sold by auction, which takes bids and is never bought: `gifts_per_round`; `starts_after_ms` from its appearance to the first round, default 0; `rounds`, default as many as hand out the supply; `round_secs`, default 60; `extend_top` and `extend_window_secs` together for extendable rounds, default none; `min_bid` in stars, default 100; `bidders`: `count` competing bidders with maximum bids between `max_bid_min` and `max_bid_max`, acting every `act_every_ms` on average, default 5000). |
//! | `faults[]` | For `method` and optionally one `account`: on `calls` `[first, last]` (numbered from 1, per account when `account` is given), in `window_ms` `[from, until)` of arrival time, with `probability`, or on every call when none is given. The call gets `error` (a Telegram error name, with `code`, default 400, 420 for flood waits), hangs for `hang_ms`, or is cut off (`disconnect`); `executed` says whether the server carried a hung or cut-off request out. |
//! | `login` | What accounts created by logging in with a new number get: `starting_balance` (default 2500), `channels`; and `code_ttl_ms` (default 300000). |
//! | `resale[]` | Unique gifts listed for resale: `gift_id` (the gift type), `num` (the item's number), `price` in stars, optional `slug` (default `gift<id>-<num>`), `title`, `model`, `backdrop`, `symbol`, `require_premium`; listed at `at_ms` (default 0) until a competitor buys it at `taken_ms` (default never). |
//! | `watches[]` | The simulated user's resale watches for `giftbuyer simulate`: `gift_id`, `max_price` in stars, `copies` (default 1, at most 100), optional `model`, `backdrop`, `symbol`, and `to_channel_id` (one of `channels[]`) or `to_username` (one of `people`); neither for the buying account. |
//! | `bidding` | The simulated user's bidding for `giftbuyer simulate`: `budget` in stars (0 turns bidding off) and `plans[]`, each with `gift_id` (an auctioned gift), `max_bid`, `wanted` (1 to 10, default 1) and `to_channel_id` (one of `channels[]`) or `to_username` (one of `people`); neither for the bidding account. |
//! | `closed_to_gifts` | Channels (Bot API ids) whose owners turned star gifts off: their full channel says so (`stargifts_available` unset) and a bid for one is refused. Default none. |
//! | `people` | The people gifts can be sent to by username: per username (5 to 32 latin letters, digits and `_`, compared without case), their Telegram user id (positive, one person per id, none of `accounts[]`). A purchase or bid for a username not listed is refused as `USERNAME_NOT_OCCUPIED`. Default none. |
//! | `bot` | The notification bot: `latency_ms` (default 50), `max_per_second_per_chat` (`RetryAfter` beyond it), chats that `blocked` the bot and chats `missing` (never started). |

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use giftbuyer_core::bidding::check_wanted;
use giftbuyer_core::ports::{ChannelAccess, ChatId, TelegramError};
use giftbuyer_core::ports::{NewAuctionPlan, NewWatch};
use giftbuyer_core::resale::{
    AttributeFilter, GiftAttributes, MAX_WATCH_COPIES, Recipient, TelegramUsername, WatchError,
};
use giftbuyer_core::{
    AccountId, Bounds, ChannelId, ExcludeList, GiftId, Stars, Target, TargetFilter, TargetRowId,
    UnixTime,
};
use serde::Deserialize;

use crate::account::{AccountSpec, TwoFactor};
use crate::auction::{AuctionSpec, CompetingBidders};
use crate::bot::BotConfig;
use crate::catalog::{Demand, GiftSpec};
use crate::competitors::CompetitorConfig;
use crate::config::{ConfigError, MarketConfig};
use crate::faults::{Fault, FaultAction, FaultWhen};
use crate::flood::FloodConfig;
use crate::latency::{Latency, LatencyConfig};
use crate::login::LoginConfig;
use crate::method::Method;
use crate::resale::ResaleSpec;

/// A parsed drop file.
#[derive(Debug, Clone, PartialEq)]
pub struct DropFile {
    pub config: MarketConfig,
    /// The user's targets (the file's `channels[]`: channels, the buying account, people), for
    /// the engine.
    pub targets: Vec<Target>,
    pub duration: Duration,
    /// The wall time the caller's clock should start at, if the file sets one.
    pub start: Option<UnixTime>,
    pub bot: BotConfig,
    /// The user's resale watches, for the sniper.
    pub watches: Vec<NewWatch>,
    /// The user's bidding budget and auction plans, for the bidder.
    pub bidding: Option<DropBidding>,
}

/// The simulated user's bidding: the budget and one plan per auction gift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropBidding {
    pub budget: Stars,
    pub plans: Vec<NewAuctionPlan>,
}

/// Why a drop file was refused. Messages name the field, e.g.
/// `drops[0].price: a star amount must not be negative, got -5`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DropFileError {
    #[error("not valid JSON: {0}")]
    Syntax(String),
    #[error("{0}")]
    Shape(String),
    #[error("{path}: {message}")]
    Field { path: String, message: String },
}

fn field(path: impl Into<String>, message: impl fmt::Display) -> DropFileError {
    DropFileError::Field {
        path: path.into(),
        message: message.to_string(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DropFileWire {
    #[serde(default)]
    seed: u64,
    start_unix: Option<i64>,
    duration_ms: u64,
    latency_ms: Option<LatencyWire>,
    flood: Option<FloodWire>,
    competitors: Option<CompetitorsWire>,
    #[serde(default)]
    accounts: Vec<AccountWire>,
    #[serde(default)]
    channels: Vec<ChannelWire>,
    #[serde(default)]
    catalog: Vec<CatalogGiftWire>,
    #[serde(default)]
    drops: Vec<DropWire>,
    #[serde(default)]
    faults: Vec<FaultWire>,
    login: Option<LoginWire>,
    bot: Option<BotWire>,
    #[serde(default)]
    resale: Vec<ResaleWire>,
    #[serde(default)]
    watches: Vec<WatchWire>,
    /// Usernames of the people gifts can go to, with their Telegram user ids.
    #[serde(default)]
    people: BTreeMap<String, i64>,
    bidding: Option<BiddingWire>,
    /// Channels whose owners turned star gifts off, in Bot API form.
    #[serde(default)]
    closed_to_gifts: Vec<i64>,
}

/// The simulated user's bidding budget and auction plans.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BiddingWire {
    budget: i64,
    #[serde(default)]
    plans: Vec<AuctionPlanWire>,
}

/// One auction plan of the simulated user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuctionPlanWire {
    gift_id: i64,
    max_bid: i64,
    #[serde(default = "one")]
    wanted: i64,
    /// One of `channels[]`' channel ids; absent for the bidding account itself.
    to_channel_id: Option<i64>,
    /// One of `people`'s usernames instead.
    to_username: Option<String>,
}

/// A resale watch of the simulated user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchWire {
    gift_id: i64,
    max_price: i64,
    #[serde(default = "one")]
    copies: i64,
    model: Option<String>,
    backdrop: Option<String>,
    symbol: Option<String>,
    /// One of `channels[]`' channel ids; absent for the buying account itself.
    to_channel_id: Option<i64>,
    /// One of `people`'s usernames instead.
    to_username: Option<String>,
}

const fn one() -> i64 {
    1
}

/// A unique gift listed for resale.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResaleWire {
    gift_id: i64,
    num: i64,
    price: i64,
    slug: Option<String>,
    title: Option<String>,
    model: Option<String>,
    backdrop: Option<String>,
    symbol: Option<String>,
    #[serde(default)]
    require_premium: bool,
    #[serde(default)]
    at_ms: u64,
    taken_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MethodWire {
    Catalog,
    Profile,
    Balance,
    Buy,
    Sticker,
    ChannelInfo,
    Resale,
    ResaleBuy,
    AuctionState,
    Bid,
}

impl From<MethodWire> for Method {
    fn from(wire: MethodWire) -> Self {
        match wire {
            MethodWire::Catalog => Self::Catalog,
            MethodWire::Profile => Self::Profile,
            MethodWire::Balance => Self::Balance,
            MethodWire::Buy => Self::Buy,
            MethodWire::Sticker => Self::Sticker,
            MethodWire::ChannelInfo => Self::ChannelInfo,
            MethodWire::Resale => Self::Resale,
            MethodWire::ResaleBuy => Self::ResaleBuy,
            MethodWire::AuctionState => Self::AuctionState,
            MethodWire::Bid => Self::Bid,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyWire {
    rtt: Option<u64>,
    jitter: Option<u64>,
    #[serde(default)]
    methods: BTreeMap<MethodWire, MethodLatencyWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MethodLatencyWire {
    rtt: u64,
    #[serde(default)]
    jitter: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FloodWire {
    catalog_min_interval_ms: Option<u64>,
    resale_min_interval_ms: Option<u64>,
    flood_wait_seconds: Option<u32>,
    purchases_per_second: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompetitorsWire {
    reaction_ms: Option<u64>,
    curve: Option<f64>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AccessWire {
    CanPost,
    ReadOnly,
    NotMember,
}

impl From<AccessWire> for ChannelAccess {
    fn from(wire: AccessWire) -> Self {
        match wire {
            AccessWire::CanPost => Self::CanPost,
            AccessWire::ReadOnly => Self::ReadOnly,
            AccessWire::NotMember => Self::NotMember,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountWire {
    id: i64,
    balance: i64,
    #[serde(default)]
    premium: bool,
    premium_until: Option<i64>,
    username: Option<String>,
    first_name: Option<String>,
    #[serde(default)]
    extra_rtt_ms: u64,
    phone: Option<String>,
    password: Option<String>,
    password_hint: Option<String>,
    #[serde(default)]
    channels: BTreeMap<String, AccessWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelWire {
    id: i64,
    /// A channel target; with neither this nor `username`, the buying account itself.
    channel_id: Option<i64>,
    /// A person target, one of `people`.
    username: Option<String>,
    title: Option<String>,
    price_min: Option<i64>,
    price_max: Option<i64>,
    supply_min: Option<i64>,
    supply_max: Option<i64>,
    #[serde(default)]
    exclude: ExcludeWire,
}

/// A channel's exclude list: gift ids and kind codes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExcludeWire {
    #[serde(default)]
    gift_ids: Vec<i64>,
    #[serde(default)]
    kinds: Vec<String>,
}

/// The fields a catalog gift and a drop share.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogGiftWire {
    id: i64,
    price: i64,
    supply: Option<i64>,
    remaining: Option<i64>,
    #[serde(default)]
    require_premium: bool,
    #[serde(default)]
    birthday: bool,
    per_user_limit: Option<i64>,
    title: Option<String>,
    sellout_ms: Option<u64>,
    #[serde(default)]
    locks: BTreeMap<String, i64>,
    auction: Option<AuctionWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DropWire {
    at_ms: u64,
    id: i64,
    price: i64,
    supply: Option<i64>,
    #[serde(default)]
    require_premium: bool,
    #[serde(default)]
    birthday: bool,
    per_user_limit: Option<i64>,
    title: Option<String>,
    sellout_ms: Option<u64>,
    #[serde(default)]
    locks: BTreeMap<String, i64>,
    auction: Option<AuctionWire>,
}

/// A gift sold by auction: how many gifts a round hands out, when the first round starts after
/// the gift appears, its rounds, minimum bid and competing bidders.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuctionWire {
    gifts_per_round: i64,
    #[serde(default)]
    starts_after_ms: u64,
    rounds: Option<u32>,
    round_secs: Option<u64>,
    extend_top: Option<u32>,
    extend_window_secs: Option<u64>,
    min_bid: Option<i64>,
    bidders: Option<BiddersWire>,
}

/// The competing bidders of an auction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BiddersWire {
    count: u32,
    max_bid_min: i64,
    max_bid_max: i64,
    #[serde(default = "default_act_every_ms")]
    act_every_ms: u64,
}

const fn default_act_every_ms() -> u64 {
    5_000
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultWire {
    method: MethodWire,
    account: Option<i64>,
    calls: Option<[u64; 2]>,
    window_ms: Option<[u64; 2]>,
    probability: Option<f64>,
    error: Option<String>,
    code: Option<i32>,
    hang_ms: Option<u64>,
    #[serde(default)]
    disconnect: bool,
    #[serde(default)]
    executed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginWire {
    starting_balance: Option<i64>,
    code_ttl_ms: Option<u64>,
    #[serde(default)]
    channels: BTreeMap<String, AccessWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BotWire {
    latency_ms: Option<u64>,
    max_per_second_per_chat: Option<u32>,
    #[serde(default)]
    blocked: Vec<i64>,
    #[serde(default)]
    missing: Vec<i64>,
}

/// Parses a drop file.
pub fn parse(text: &str) -> Result<DropFile, DropFileError> {
    // serde would also read a struct from a JSON array, and its complaint about the array's
    // length would not tell a user what is wrong.
    if text.trim_start().starts_with('[') {
        return Err(DropFileError::Shape(
            "a drop file is a JSON object with accounts, channels, catalog and drops, not an array"
                .into(),
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let wire: DropFileWire = serde_path_to_error::deserialize(deserializer).map_err(|err| {
        // A segment serde cannot name (a map key that failed to parse) shows as `?`; the path
        // up to it already names the field.
        let path = err.path().to_string().replace(".?", "");
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                DropFileError::Syntax(inner.to_string())
            }
            serde_json::error::Category::Data | serde_json::error::Category::Io
                if path == "." || path == "?" =>
            {
                DropFileError::Shape(inner.to_string())
            }
            serde_json::error::Category::Data | serde_json::error::Category::Io => {
                field(path, inner)
            }
        }
    })?;
    from_wire(wire)
}

fn from_wire(wire: DropFileWire) -> Result<DropFile, DropFileError> {
    let start = wire
        .start_unix
        .map(UnixTime::from_secs)
        .transpose()
        .map_err(|err| field("start_unix", err))?;
    let latency = wire.latency_ms.map(latency_from_wire).unwrap_or_default();
    let flood = wire.flood.map(flood_from_wire).unwrap_or_default();
    let competitors = match wire.competitors {
        Some(wire) => competitors_from_wire(wire)?,
        None => CompetitorConfig::default(),
    };

    let mut accounts = Vec::with_capacity(wire.accounts.len());
    for (index, account) in wire.accounts.into_iter().enumerate() {
        let path = format!("accounts[{index}]");
        let spec = account_from_wire(account, &path)?;
        if accounts
            .iter()
            .any(|known: &AccountSpec| known.id == spec.id)
        {
            return Err(field(
                format!("{path}.id"),
                format!("duplicate account id {}", spec.id),
            ));
        }
        if let Some(phone) = &spec.phone
            && accounts
                .iter()
                .any(|known| known.phone.as_ref() == Some(phone))
        {
            return Err(field(
                format!("{path}.phone"),
                format!("duplicate phone number {phone}"),
            ));
        }
        accounts.push(spec);
    }

    let mut channels = Vec::with_capacity(wire.channels.len());
    let mut channel_titles = BTreeMap::new();
    for (index, target) in wire.channels.into_iter().enumerate() {
        let path = format!("channels[{index}]");
        let target = target_from_wire(target, &path)?;
        if channels
            .iter()
            .any(|known: &Target| known.row_id == target.row_id)
        {
            return Err(field(
                format!("{path}.id"),
                format!("duplicate target row id {}", target.row_id),
            ));
        }
        if channels
            .iter()
            .any(|known| known.recipient == target.recipient)
        {
            return Err(match target.recipient {
                Recipient::Channel(channel) => field(
                    format!("{path}.channel_id"),
                    format!("duplicate channel {channel}"),
                ),
                Recipient::User(user) => field(
                    format!("{path}.username"),
                    format!("duplicate username {user}"),
                ),
                Recipient::Buyer => field(
                    path,
                    "a second target for the buying account itself (neither channel_id nor username)",
                ),
            });
        }
        if let (Some(channel), Some(title)) = (target.recipient.channel(), &target.title) {
            channel_titles.insert(channel, title.clone());
        }
        channels.push(target);
    }

    let mut gifts: Vec<GiftSpec> = Vec::new();
    let catalog = wire.catalog.into_iter().enumerate().map(|(index, gift)| {
        let path = format!("catalog[{index}]");
        (
            path,
            gift_from_catalog_wire(gift, &format!("catalog[{index}]")),
        )
    });
    let drops = wire.drops.into_iter().enumerate().map(|(index, gift)| {
        let path = format!("drops[{index}]");
        (path, gift_from_drop_wire(gift, &format!("drops[{index}]")))
    });
    for (path, gift) in catalog.chain(drops) {
        let gift = gift?;
        if gifts.iter().any(|known| known.id == gift.id) {
            return Err(field(
                format!("{path}.id"),
                format!("duplicate gift id {}", gift.id),
            ));
        }
        gifts.push(gift);
    }

    let mut faults = Vec::with_capacity(wire.faults.len());
    for (index, fault) in wire.faults.into_iter().enumerate() {
        faults.push(fault_from_wire(
            fault,
            &format!("faults[{index}]"),
            &accounts,
        )?);
    }

    let login = match wire.login {
        Some(login) => login_from_wire(login)?,
        None => LoginConfig::default(),
    };
    let bot = match wire.bot {
        Some(bot) => bot_from_wire(bot)?,
        None => BotConfig::default(),
    };

    let mut resale = Vec::with_capacity(wire.resale.len());
    for (index, listing) in wire.resale.into_iter().enumerate() {
        let path = format!("resale[{index}]");
        let listing = resale_from_wire(listing, &path)?;
        if resale
            .iter()
            .any(|known: &ResaleSpec| known.listing.slug == listing.listing.slug)
        {
            return Err(field(
                format!("{path}.slug"),
                format!("duplicate slug {:?}", listing.listing.slug),
            ));
        }
        resale.push(listing);
    }

    let people = people_from_wire(wire.people, &accounts)?;
    for (index, target) in channels.iter().enumerate() {
        if let Some(name) = target.recipient.user()
            && !people.contains_key(&name)
        {
            return Err(field(
                format!("channels[{index}].username"),
                format!("{name} is not one of people"),
            ));
        }
    }
    let mut watches = Vec::with_capacity(wire.watches.len());
    for (index, watch) in wire.watches.into_iter().enumerate() {
        watches.push(watch_from_wire(
            watch,
            &format!("watches[{index}]"),
            &channels,
            &people,
        )?);
    }

    let bidding = wire
        .bidding
        .map(|bidding| bidding_from_wire(bidding, &channels, &people))
        .transpose()?;

    let closed_to_gifts = wire
        .closed_to_gifts
        .iter()
        .enumerate()
        .map(|(index, &raw)| {
            ChannelId::new(raw).map_err(|err| field(format!("closed_to_gifts[{index}]"), err))
        })
        .collect::<Result<BTreeSet<_>, _>>()?;

    let config = MarketConfig {
        seed: wire.seed,
        latency,
        flood,
        competitors,
        accounts,
        gifts,
        faults,
        login,
        channel_titles,
        resumed_at: Duration::ZERO,
        resale,
        people,
        closed_to_gifts,
    };
    // Every rule was checked above with its field's path; this only guards against the two
    // drifting apart.
    config
        .validate()
        .map_err(|err| DropFileError::Shape(err.to_string()))?;
    Ok(DropFile {
        config,
        targets: channels,
        duration: Duration::from_millis(wire.duration_ms),
        start,
        bot,
        watches,
        bidding,
    })
}

fn bidding_from_wire(
    wire: BiddingWire,
    channels: &[Target],
    people: &BTreeMap<TelegramUsername, i64>,
) -> Result<DropBidding, DropFileError> {
    let budget = Stars::from_i64(wire.budget).map_err(|err| field("bidding.budget", err))?;
    let mut plans = Vec::with_capacity(wire.plans.len());
    for (index, plan) in wire.plans.into_iter().enumerate() {
        let path = format!("bidding.plans[{index}]");
        let gift_id =
            GiftId::new(plan.gift_id).map_err(|err| field(format!("{path}.gift_id"), err))?;
        let max_bid = Stars::from_i64(plan.max_bid)
            .ok()
            .filter(|&max| max > Stars::ZERO)
            .ok_or_else(|| {
                field(
                    format!("{path}.max_bid"),
                    format!("must be positive, got {}", plan.max_bid),
                )
            })?;
        let wanted =
            check_wanted(plan.wanted).map_err(|err| field(format!("{path}.wanted"), err))?;
        let recipient = recipient_from_wire(
            (plan.to_channel_id, plan.to_username.as_deref()),
            &path,
            channels,
            people,
        )?;
        plans.push(NewAuctionPlan {
            gift_id,
            max_bid,
            recipient,
            wanted,
        });
    }
    Ok(DropBidding { budget, plans })
}

/// A receiver named by one of `channels[]`' ids or one of `people`'s usernames, or the buying
/// account itself when neither is given.
fn recipient_from_wire(
    (to_channel_id, to_username): (Option<i64>, Option<&str>),
    path: &str,
    channels: &[Target],
    people: &BTreeMap<TelegramUsername, i64>,
) -> Result<Recipient, DropFileError> {
    match (to_channel_id, to_username) {
        (None, None) => Ok(Recipient::Buyer),
        (Some(raw), None) => channels
            .iter()
            .filter_map(|target| target.recipient.channel())
            .find(|channel| channel.get() == raw)
            .map(Recipient::Channel)
            .ok_or_else(|| {
                field(
                    format!("{path}.to_channel_id"),
                    format!("{raw} is not one of channels[]"),
                )
            }),
        (None, Some(text)) => {
            let path = format!("{path}.to_username");
            let name = TelegramUsername::new(text).map_err(|err| field(&path, err))?;
            if people.contains_key(&name) {
                Ok(Recipient::User(name))
            } else {
                Err(field(&path, format!("{name} is not one of people")))
            }
        }
        (Some(_), Some(_)) => Err(field(
            path,
            "to_channel_id and to_username: a gift has one receiver, give one",
        )),
    }
}

fn watch_from_wire(
    wire: WatchWire,
    path: &str,
    channels: &[Target],
    people: &BTreeMap<TelegramUsername, i64>,
) -> Result<NewWatch, DropFileError> {
    let gift_id = GiftId::new(wire.gift_id).map_err(|err| field(format!("{path}.gift_id"), err))?;
    let max_price = Stars::from_i64(wire.max_price)
        .ok()
        .filter(|&price| price > Stars::ZERO)
        .ok_or_else(|| {
            field(
                format!("{path}.max_price"),
                format!("must be positive, got {}", wire.max_price),
            )
        })?;
    let copies = u32::try_from(wire.copies)
        .ok()
        .filter(|copies| (1..=MAX_WATCH_COPIES).contains(copies))
        .ok_or_else(|| {
            field(
                format!("{path}.copies"),
                format!(
                    "must be between 1 and {MAX_WATCH_COPIES}, got {}",
                    wire.copies
                ),
            )
        })?;
    let attributes = AttributeFilter::new(
        wire.model.as_deref(),
        wire.backdrop.as_deref(),
        wire.symbol.as_deref(),
    )
    .map_err(|err| match err {
        WatchError::Attribute { field: name } => field(format!("{path}.{name}"), err),
        other => field(path, other),
    })?;
    let recipient = recipient_from_wire(
        (wire.to_channel_id, wire.to_username.as_deref()),
        path,
        channels,
        people,
    )?;
    Ok(NewWatch {
        gift_id,
        attributes,
        max_price,
        recipient,
        copies,
    })
}

/// The people by username: each name checked as Telegram spells usernames (and kept in lower
/// case, so two spellings of one name are one person listed twice), each id positive, owned by
/// one person and by none of the accounts.
fn people_from_wire(
    wire: BTreeMap<String, i64>,
    accounts: &[AccountSpec],
) -> Result<BTreeMap<TelegramUsername, i64>, DropFileError> {
    let mut people = BTreeMap::new();
    let mut owners: BTreeMap<i64, TelegramUsername> = BTreeMap::new();
    for (text, id) in wire {
        let path = format!("people.{text}");
        let name = TelegramUsername::new(&text).map_err(|err| field(&path, err))?;
        if id <= 0 {
            return Err(field(&path, format!("user id must be positive, got {id}")));
        }
        if people.contains_key(&name) {
            return Err(field(&path, format!("{name} is listed twice")));
        }
        if let Some(owner) = owners.get(&id) {
            return Err(field(&path, format!("user id {id} is also {owner}'s")));
        }
        if accounts.iter().any(|account| account.id.get() == id) {
            return Err(field(&path, format!("user id {id} is one of accounts[]")));
        }
        owners.insert(id, name);
        people.insert(name, id);
    }
    Ok(people)
}

fn latency_from_wire(wire: LatencyWire) -> LatencyConfig {
    let base = LatencyConfig::default().base;
    LatencyConfig {
        base: Latency::new(
            wire.rtt.map_or(base.rtt, Duration::from_millis),
            wire.jitter.map_or(base.jitter, Duration::from_millis),
        ),
        per_method: wire
            .methods
            .into_iter()
            .map(|(method, latency)| {
                (
                    method.into(),
                    Latency::new(
                        Duration::from_millis(latency.rtt),
                        Duration::from_millis(latency.jitter),
                    ),
                )
            })
            .collect(),
    }
}

fn flood_from_wire(wire: FloodWire) -> FloodConfig {
    let default = FloodConfig::default();
    FloodConfig {
        catalog_min_interval: wire
            .catalog_min_interval_ms
            .map_or(default.catalog_min_interval, Duration::from_millis),
        flood_wait_seconds: wire
            .flood_wait_seconds
            .unwrap_or(default.flood_wait_seconds),
        purchases_per_second: wire.purchases_per_second,
        resale_min_interval: wire
            .resale_min_interval_ms
            .map_or(default.resale_min_interval, Duration::from_millis),
    }
}

fn competitors_from_wire(wire: CompetitorsWire) -> Result<CompetitorConfig, DropFileError> {
    let default = CompetitorConfig::default();
    let config = CompetitorConfig {
        reaction: wire
            .reaction_ms
            .map_or(default.reaction, Duration::from_millis),
        curve: wire.curve.unwrap_or(default.curve),
    };
    if config.curve_is_valid() {
        Ok(config)
    } else {
        Err(field(
            "competitors.curve",
            format!("must be between 1 and 16, got {}", config.curve),
        ))
    }
}

fn account_from_wire(wire: AccountWire, path: &str) -> Result<AccountSpec, DropFileError> {
    let id = AccountId::new(wire.id).map_err(|err| field(format!("{path}.id"), err))?;
    let balance =
        Stars::from_i64(wire.balance).map_err(|err| field(format!("{path}.balance"), err))?;
    let premium_until = wire
        .premium_until
        .map(UnixTime::from_secs)
        .transpose()
        .map_err(|err| field(format!("{path}.premium_until"), err))?;
    let two_factor = match (wire.password, wire.password_hint) {
        (Some(password), hint) => Some(TwoFactor { password, hint }),
        (None, Some(_)) => {
            return Err(field(
                format!("{path}.password_hint"),
                "a hint needs a password",
            ));
        }
        (None, None) => None,
    };
    let spec = AccountSpec {
        id,
        balance,
        premium: wire.premium,
        premium_until,
        username: wire.username,
        first_name: wire.first_name,
        channels: channel_map(wire.channels, &format!("{path}.channels"))?,
        // Drop files list each account's channels explicitly.
        any_channel: false,
        extra_rtt: Duration::from_millis(wire.extra_rtt_ms),
        phone: wire.phone,
        two_factor,
    };
    spec.validate()
        .map_err(|err| field(format!("{path}.phone"), err))?;
    Ok(spec)
}

fn channel_map(
    wire: BTreeMap<String, AccessWire>,
    path: &str,
) -> Result<BTreeMap<ChannelId, ChannelAccess>, DropFileError> {
    wire.into_iter()
        .map(|(key, access)| {
            let channel = key
                .parse::<i64>()
                .map_err(|_| format!("{key:?} is not a channel id"))
                .and_then(|raw| ChannelId::new(raw).map_err(|err| err.to_string()))
                .map_err(|message| field(format!("{path}.{key}"), message))?;
            Ok((channel, access.into()))
        })
        .collect()
}

fn target_from_wire(wire: ChannelWire, path: &str) -> Result<Target, DropFileError> {
    let recipient =
        Recipient::from_parts(wire.channel_id, wire.username.as_deref()).map_err(|err| {
            let which = if wire.username.is_some() && wire.channel_id.is_none() {
                "username"
            } else {
                "channel_id"
            };
            field(format!("{path}.{which}"), err)
        })?;
    Ok(Target {
        row_id: TargetRowId::new(wire.id).map_err(|err| field(format!("{path}.id"), err))?,
        recipient,
        filter: TargetFilter {
            price: Bounds::from_i64(wire.price_min, wire.price_max, "price")
                .map_err(|err| field(format!("{path}.price_min/price_max"), err))?,
            supply: Bounds::from_i64(wire.supply_min, wire.supply_max, "supply")
                .map_err(|err| field(format!("{path}.supply_min/supply_max"), err))?,
        },
        exclude: ExcludeList::from_codes(
            wire.exclude.gift_ids,
            wire.exclude.kinds.iter().map(String::as_str),
        )
        .map_err(|err| field(format!("{path}.exclude"), err))?,
        title: wire.title,
    })
}

/// The fields of a gift, however it enters the market.
struct GiftFields {
    id: i64,
    price: i64,
    supply: Option<i64>,
    remaining: Option<i64>,
    require_premium: bool,
    birthday: bool,
    per_user_limit: Option<i64>,
    title: Option<String>,
    locks: BTreeMap<String, i64>,
    auction: Option<AuctionWire>,
}

fn gift_from_catalog_wire(wire: CatalogGiftWire, path: &str) -> Result<GiftSpec, DropFileError> {
    let demand = match wire.sellout_ms {
        Some(ms) => Demand::SellsOutAfter(Duration::from_millis(ms)),
        None => Demand::Nobody,
    };
    let fields = GiftFields {
        id: wire.id,
        price: wire.price,
        supply: wire.supply,
        remaining: wire.remaining,
        require_premium: wire.require_premium,
        birthday: wire.birthday,
        per_user_limit: wire.per_user_limit,
        title: wire.title,
        locks: wire.locks,
        auction: wire.auction,
    };
    gift_from_fields(fields, Duration::ZERO, demand, path)
}

fn gift_from_drop_wire(wire: DropWire, path: &str) -> Result<GiftSpec, DropFileError> {
    let demand = match wire.sellout_ms {
        Some(ms) => Demand::SellsOutAfter(Duration::from_millis(ms)),
        None => Demand::Calibrated,
    };
    let fields = GiftFields {
        id: wire.id,
        price: wire.price,
        supply: wire.supply,
        remaining: None,
        require_premium: wire.require_premium,
        birthday: wire.birthday,
        per_user_limit: wire.per_user_limit,
        title: wire.title,
        locks: wire.locks,
        auction: wire.auction,
    };
    gift_from_fields(fields, Duration::from_millis(wire.at_ms), demand, path)
}

fn gift_from_fields(
    fields: GiftFields,
    release_at: Duration,
    demand: Demand,
    path: &str,
) -> Result<GiftSpec, DropFileError> {
    let id = GiftId::new(fields.id).map_err(|err| field(format!("{path}.id"), err))?;
    let price = Stars::from_i64(fields.price).map_err(|err| field(format!("{path}.price"), err))?;
    let supply = fields
        .supply
        .map(|supply| {
            u64::try_from(supply)
                .ok()
                .filter(|&supply| supply > 0)
                .ok_or_else(|| {
                    field(
                        format!("{path}.supply"),
                        format!("must be positive (null for an unlimited gift), got {supply}"),
                    )
                })
        })
        .transpose()?;
    let remaining = match (fields.remaining, supply) {
        (None, _) => None,
        (Some(remaining), Some(supply)) => Some(
            u64::try_from(remaining)
                .ok()
                .filter(|&remaining| remaining <= supply)
                .ok_or_else(|| {
                    field(
                        format!("{path}.remaining"),
                        format!("must be between 0 and the supply {supply}, got {remaining}"),
                    )
                })?,
        ),
        (Some(_), None) => {
            return Err(field(
                format!("{path}.remaining"),
                "an unlimited gift (supply null) has no remaining count",
            ));
        }
    };
    let per_user_limit = fields
        .per_user_limit
        .map(|limit| {
            u64::try_from(limit).map_err(|_| {
                field(
                    format!("{path}.per_user_limit"),
                    format!("must not be negative, got {limit}"),
                )
            })
        })
        .transpose()?;
    let mut locks = BTreeMap::new();
    for (account, until) in fields.locks {
        let lock_path = format!("{path}.locks.{account}");
        let account_id = account
            .parse::<i64>()
            .map_err(|_| format!("{account:?} is not an account id"))
            .and_then(|raw| AccountId::new(raw).map_err(|err| err.to_string()))
            .map_err(|message| field(&lock_path, message))?;
        let until = UnixTime::from_secs(until).map_err(|err| field(&lock_path, err))?;
        locks.insert(account_id, until);
    }
    let auction = fields
        .auction
        .map(|auction| {
            if supply.is_none() {
                return Err(field(
                    format!("{path}.auction"),
                    "an unlimited gift (supply null) cannot be sold by auction",
                ));
            }
            let gifts_per_round = u64::try_from(auction.gifts_per_round)
                .ok()
                .filter(|&gifts| gifts > 0)
                .ok_or_else(|| {
                    field(
                        format!("{path}.auction.gifts_per_round"),
                        format!("must be positive, got {}", auction.gifts_per_round),
                    )
                })?;
            auction_from_wire(auction, gifts_per_round, id, &format!("{path}.auction"))
        })
        .transpose()?;
    Ok(GiftSpec {
        id,
        price,
        title: fields.title,
        supply,
        remaining,
        require_premium: fields.require_premium,
        birthday: fields.birthday,
        per_user_limit,
        release_at,
        demand: if supply.is_some() {
            demand
        } else {
            Demand::Nobody
        },
        locks,
        sticker: None,
        auction,
    })
}

/// The auction's fields beyond `gifts_per_round`, each optional with [`AuctionSpec::new`]'s
/// default, checked by [`AuctionSpec::validate`] with the field's path on the message.
fn auction_from_wire(
    wire: AuctionWire,
    gifts_per_round: u64,
    gift: GiftId,
    path: &str,
) -> Result<AuctionSpec, DropFileError> {
    let mut spec = AuctionSpec::new(gifts_per_round, Duration::from_millis(wire.starts_after_ms));
    spec.rounds = wire.rounds;
    if let Some(secs) = wire.round_secs {
        spec.round_duration = Duration::from_secs(secs);
    }
    match (wire.extend_top, wire.extend_window_secs) {
        (Some(top), Some(window)) => spec = spec.extendable(top, Duration::from_secs(window)),
        (None, None) => {}
        _ => {
            return Err(field(
                format!("{path}.extend_top"),
                "extend_top and extend_window_secs go together",
            ));
        }
    }
    if let Some(min_bid) = wire.min_bid {
        spec.min_bid =
            Stars::from_i64(min_bid).map_err(|err| field(format!("{path}.min_bid"), err))?;
    }
    if let Some(bidders) = wire.bidders {
        let stars = |amount: i64, name: &str| {
            Stars::from_i64(amount).map_err(|err| field(format!("{path}.bidders.{name}"), err))
        };
        spec.bidders = CompetingBidders::new(
            bidders.count,
            stars(bidders.max_bid_min, "max_bid_min")?,
            stars(bidders.max_bid_max, "max_bid_max")?,
            Duration::from_millis(bidders.act_every_ms),
        );
    }
    spec.validate(gift).map_err(|err| {
        let name = match err {
            ConfigError::AuctionRounds { .. } => "rounds",
            ConfigError::AuctionRoundDuration { .. } => "round_secs",
            ConfigError::AuctionExtension(_) => "extend_top",
            ConfigError::AuctionMinBid(_) => "min_bid",
            ConfigError::AuctionBidders(_) => "bidders",
            _ => "gifts_per_round",
        };
        field(format!("{path}.{name}"), err)
    })?;
    Ok(spec)
}

fn resale_from_wire(wire: ResaleWire, path: &str) -> Result<ResaleSpec, DropFileError> {
    let gift_id = GiftId::new(wire.gift_id).map_err(|err| field(format!("{path}.gift_id"), err))?;
    if wire.num <= 0 {
        return Err(field(
            format!("{path}.num"),
            format!("must be positive, got {}", wire.num),
        ));
    }
    let price = Stars::from_i64(wire.price)
        .ok()
        .filter(|&price| price > Stars::ZERO)
        .ok_or_else(|| {
            field(
                format!("{path}.price"),
                format!("must be positive, got {}", wire.price),
            )
        })?;
    let mut spec =
        ResaleSpec::new(gift_id, wire.num, price).listed_at(Duration::from_millis(wire.at_ms));
    if let Some(taken) = wire.taken_ms {
        if taken < wire.at_ms {
            return Err(field(
                format!("{path}.taken_ms"),
                format!("must not be before at_ms {}, got {taken}", wire.at_ms),
            ));
        }
        spec = spec.taken_at(Duration::from_millis(taken));
    }
    if let Some(slug) = wire.slug {
        if slug.is_empty() || slug.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
            return Err(field(format!("{path}.slug"), "must be a non-empty word"));
        }
        spec.listing.slug = slug;
    }
    if let Some(title) = wire.title {
        spec.listing.title = title;
    }
    spec.listing.attributes = GiftAttributes {
        model: wire.model,
        backdrop: wire.backdrop,
        symbol: wire.symbol,
    };
    spec.listing.require_premium = wire.require_premium;
    Ok(spec)
}

fn fault_from_wire(
    wire: FaultWire,
    path: &str,
    accounts: &[AccountSpec],
) -> Result<Fault, DropFileError> {
    let account = wire
        .account
        .map(|raw| {
            AccountId::new(raw)
                .ok()
                .filter(|id| accounts.iter().any(|account| account.id == *id))
                .ok_or_else(|| {
                    field(
                        format!("{path}.account"),
                        format!("no account {raw} in accounts"),
                    )
                })
        })
        .transpose()?;
    let when = match (wire.calls, wire.window_ms, wire.probability) {
        (None, None, None) => FaultWhen::Always,
        (Some([first, last]), None, None) => {
            if first == 0 || first > last {
                return Err(field(
                    format!("{path}.calls"),
                    format!(
                        "expected [first, last] numbered from 1 with first <= last, got [{first}, {last}]"
                    ),
                ));
            }
            FaultWhen::Calls { first, last }
        }
        (None, Some([from, until]), None) => {
            if from > until {
                return Err(field(
                    format!("{path}.window_ms"),
                    format!("expected [from, until] with from <= until, got [{from}, {until}]"),
                ));
            }
            FaultWhen::Window {
                from: Duration::from_millis(from),
                until: Duration::from_millis(until),
            }
        }
        (None, None, Some(probability)) => {
            if !(0.0..=1.0).contains(&probability) {
                return Err(field(
                    format!("{path}.probability"),
                    format!("must be between 0 and 1, got {probability}"),
                ));
            }
            FaultWhen::Probability(probability)
        }
        _ => {
            return Err(field(
                path,
                "give at most one of calls, window_ms and probability",
            ));
        }
    };
    let action = match (wire.error, wire.hang_ms, wire.disconnect) {
        (Some(name), None, false) => {
            if wire.executed {
                return Err(field(
                    format!("{path}.executed"),
                    "only a hang or a disconnect can follow an executed request; an error means nothing was done",
                ));
            }
            if name.trim().is_empty() {
                return Err(field(format!("{path}.error"), "must name a Telegram error"));
            }
            let code = wire
                .code
                .unwrap_or(if name.starts_with("FLOOD_") { 420 } else { 400 });
            FaultAction::Error(TelegramError::from_rpc(code, &name))
        }
        (None, Some(ms), false) => FaultAction::Hang {
            duration: Duration::from_millis(ms),
            executed: wire.executed,
        },
        (None, None, true) => FaultAction::Disconnect {
            executed: wire.executed,
        },
        _ => {
            return Err(field(
                path,
                "give exactly one of error, hang_ms and disconnect",
            ));
        }
    };
    if wire.code.is_some() && !matches!(action, FaultAction::Error(_)) {
        return Err(field(format!("{path}.code"), "a code goes with an error"));
    }
    Ok(Fault {
        method: wire.method.into(),
        account,
        when,
        action,
    })
}

fn login_from_wire(wire: LoginWire) -> Result<LoginConfig, DropFileError> {
    let default = LoginConfig::default();
    Ok(LoginConfig {
        starting_balance: wire
            .starting_balance
            .map(Stars::from_i64)
            .transpose()
            .map_err(|err| field("login.starting_balance", err))?
            .unwrap_or(default.starting_balance),
        code_ttl: wire
            .code_ttl_ms
            .map_or(default.code_ttl, Duration::from_millis),
        max_code_attempts: default.max_code_attempts,
        channels: channel_map(wire.channels, "login.channels")?,
        any_channel: default.any_channel,
    })
}

fn bot_from_wire(wire: BotWire) -> Result<BotConfig, DropFileError> {
    let chats = |ids: Vec<i64>, path: &str| {
        ids.into_iter()
            .enumerate()
            .map(|(index, raw)| {
                ChatId::new(raw).map_err(|err| field(format!("{path}[{index}]"), err))
            })
            .collect::<Result<BTreeSet<_>, _>>()
    };
    Ok(BotConfig {
        latency: wire
            .latency_ms
            .map_or(BotConfig::default().latency, Duration::from_millis),
        blocked: chats(wire.blocked, "bot.blocked")?,
        missing: chats(wire.missing, "bot.missing")?,
        max_per_second_per_chat: wire.max_per_second_per_chat,
    })
}
