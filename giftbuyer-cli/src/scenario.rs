//! The scenario file of `giftbuyer plan`: its JSON shape and its mapping onto the core's types.
//!
//! Parsing happens in two steps so that every error names the field it is about: serde reads
//! the JSON into the wire structs below (type errors carry the field path and the line and
//! column), then each value is validated into a domain type (errors carry the field path).

use std::collections::BTreeMap;

use anyhow::{Context as _, anyhow};
use giftbuyer_core::{
    Account, AccountId, Bounds, CatalogGift, ExcludeList, GiftAuction, PlanInput, Priority,
    Recipient, Stars, Target, TargetFilter, TargetRowId, UnixTime,
};
use serde::Deserialize;

use crate::scenario_market::{
    AuctionCaseWire, BiddingWire, ListingWire, MarketScenario, WatchWire,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioWire {
    /// Planning time in unix seconds; the current time when omitted.
    now: Option<i64>,
    /// `scarcest_first` (the default) or `priciest_first`.
    priority: Option<String>,
    #[serde(default)]
    accounts: Vec<AccountWire>,
    #[serde(default)]
    channels: Vec<ChannelWire>,
    #[serde(default)]
    gifts: Vec<GiftWire>,
    #[serde(default)]
    watches: Vec<WatchWire>,
    #[serde(default)]
    listings: Vec<ListingWire>,
    #[serde(default)]
    auctions: Vec<AuctionCaseWire>,
    #[serde(default)]
    bidding: BiddingWire,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountWire {
    id: i64,
    balance: i64,
    #[serde(default)]
    premium: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelWire {
    id: i64,
    /// A channel target; with neither this nor `username`, the buying account itself.
    channel_id: Option<i64>,
    /// A person target, by username.
    username: Option<String>,
    price_min: Option<i64>,
    price_max: Option<i64>,
    supply_min: Option<i64>,
    supply_max: Option<i64>,
    title: Option<String>,
    #[serde(default)]
    exclude: ExcludeWire,
}

/// Gifts a channel never takes: ids, and kinds by their codes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExcludeWire {
    #[serde(default)]
    gift_ids: Vec<i64>,
    #[serde(default)]
    kinds: Vec<String>,
}

/// A catalog entry as Telegram would send it: ids and prices are not validated here, because
/// the planner's own rules skip such entries with a reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GiftWire {
    id: i64,
    price: i64,
    #[serde(default)]
    limited: bool,
    #[serde(default)]
    sold_out: bool,
    supply: Option<i64>,
    remaining: Option<i64>,
    #[serde(default)]
    require_premium: bool,
    #[serde(default)]
    birthday: bool,
    per_user_remains: Option<i64>,
    #[serde(default)]
    locks: BTreeMap<String, i64>,
    title: Option<String>,
    auction: Option<AuctionWire>,
}

/// `starGift.auction` with its fields, raw like the rest of the entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuctionWire {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    gifts_per_round: i64,
    #[serde(default)]
    start_date: i64,
}

/// A parsed scenario, ready for the planner.
#[derive(Debug)]
pub(crate) struct Scenario {
    pub(crate) now: UnixTime,
    pub(crate) input: PlanInput,
    /// Resale watches and listings, auction plans and the bidding budget.
    pub(crate) market: MarketScenario,
}

/// Parses a scenario; `default_now` is used when the file has no `now`.
pub(crate) fn parse(text: &str, default_now: UnixTime) -> anyhow::Result<Scenario> {
    // serde would also read a struct from a JSON array, and its complaint about the array's
    // length would not tell a user what is wrong.
    if text.trim_start().starts_with('[') {
        anyhow::bail!(
            "a scenario is a JSON object with now, accounts, channels and gifts, not an array"
        );
    }
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let wire: ScenarioWire = serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let problem = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("not valid JSON: {inner}")
            }
            serde_json::error::Category::Data | serde_json::error::Category::Io => {
                inner.to_string()
            }
        };
        if path == "." || path == "?" {
            anyhow!("{problem}")
        } else {
            anyhow!("{path}: {problem}")
        }
    })?;

    let now = match wire.now {
        Some(secs) => UnixTime::from_secs(secs).context("now")?,
        None => default_now,
    };
    let accounts = wire
        .accounts
        .iter()
        .enumerate()
        .map(|(index, account)| {
            account_from_wire(account).with_context(|| format!("accounts[{index}]"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let channels = wire
        .channels
        .iter()
        .enumerate()
        .map(|(index, channel)| {
            channel_from_wire(channel).with_context(|| format!("channels[{index}]"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let gifts = wire
        .gifts
        .into_iter()
        .enumerate()
        .map(|(index, gift)| gift_from_wire(gift).with_context(|| format!("gifts[{index}]")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let priority = match &wire.priority {
        Some(code) => code.parse::<Priority>().context("priority")?,
        None => Priority::default(),
    };
    let input = PlanInput::new(accounts, channels, gifts)?.with_priority(priority);
    let market =
        MarketScenario::from_wire(wire.watches, wire.listings, wire.auctions, wire.bidding)?;
    Ok(Scenario { now, input, market })
}

fn account_from_wire(wire: &AccountWire) -> anyhow::Result<Account> {
    Ok(Account {
        id: AccountId::new(wire.id).context("id")?,
        balance: Stars::from_i64(wire.balance).context("balance")?,
        premium: wire.premium,
    })
}

fn channel_from_wire(wire: &ChannelWire) -> anyhow::Result<Target> {
    let which = if wire.channel_id.is_none() && wire.username.is_some() {
        "username"
    } else {
        "channel_id"
    };
    Ok(Target {
        row_id: TargetRowId::new(wire.id).context("id")?,
        recipient: Recipient::from_parts(wire.channel_id, wire.username.as_deref())
            .context(which)?,
        filter: TargetFilter {
            price: Bounds::from_i64(wire.price_min, wire.price_max, "price")
                .context("price_min/price_max")?,
            supply: Bounds::from_i64(wire.supply_min, wire.supply_max, "supply")
                .context("supply_min/supply_max")?,
        },
        exclude: ExcludeList::from_codes(
            wire.exclude.gift_ids.iter().copied(),
            wire.exclude.kinds.iter().map(String::as_str),
        )
        .context("exclude")?,
        title: wire.title.clone(),
    })
}

fn gift_from_wire(wire: GiftWire) -> anyhow::Result<CatalogGift> {
    let mut locks = BTreeMap::new();
    for (account, until) in &wire.locks {
        let account_id = account
            .parse::<i64>()
            .map_err(|_| anyhow!("{account:?} is not an account id"))
            .and_then(|id| Ok(AccountId::new(id)?))
            .with_context(|| format!("locks.{account}"))?;
        let until = UnixTime::from_secs(*until).with_context(|| format!("locks.{account}"))?;
        locks.insert(account_id, until);
    }
    Ok(CatalogGift {
        id: wire.id,
        price: wire.price,
        limited: wire.limited,
        sold_out: wire.sold_out,
        supply: wire.supply,
        remaining: wire.remaining,
        require_premium: wire.require_premium,
        birthday: wire.birthday,
        per_user_remains: wire.per_user_remains,
        locks,
        sticker: None,
        title: wire.title,
        auction: wire.auction.map(|auction| GiftAuction {
            slug: auction.slug,
            gifts_per_round: auction.gifts_per_round,
            start_date: auction.start_date,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        let now = UnixTime::from_secs(0).expect("valid");
        format!("{:#}", parse(text, now).expect_err("invalid scenario"))
    }

    #[test]
    fn errors_name_the_field_and_position() {
        let cases = [
            (
                "{",
                "not valid JSON: EOF while parsing an object at line 1 column 1",
            ),
            (
                "[]",
                "a scenario is a JSON object with now, accounts, channels and gifts, not an array",
            ),
            (
                "",
                "not valid JSON: EOF while parsing a value at line 1 column 0",
            ),
            (
                "5",
                "invalid type: integer `5`, expected struct ScenarioWire at line 1 column 1",
            ),
            (
                r#"{"gifts": [{"id": 1, "price": "25"}]}"#,
                r#"gifts[0].price: invalid type: string "25", expected i64 at line 1 column 34"#,
            ),
            (
                r#"{"accounts": [{"id": 1, "balance": 1, "premum": true}]}"#,
                "accounts[0].premum: unknown field `premum`, expected one of `id`, `balance`, `premium` at line 1 column 46",
            ),
            (
                r#"{"accounts": [{"id": 1, "balance": -1}]}"#,
                "accounts[0]: balance: a star amount must not be negative, got -1",
            ),
            (
                r#"{"channels": [{"id": 1, "channel_id": -1001234567890}, {"id": 2, "channel_id": -123}]}"#,
                "channels[1]: channel_id: -123 is not a channel id: expected the Bot API form, -100 followed by the channel's id (e.g. -1001234567890)",
            ),
            (
                r#"{"channels": [{"id": 1, "channel_id": -1001234567890, "price_min": 10, "price_max": 5}]}"#,
                "channels[0]: price_min/price_max: price minimum 10 is greater than the maximum 5",
            ),
            (
                r#"{"channels": [{"id": 1, "channel_id": -1001234567890, "supply_min": -5}]}"#,
                "channels[0]: supply_min/supply_max: a supply bound must not be negative, got -5",
            ),
            (
                r#"{"gifts": [{"id": 5, "price": 1}, {"id": 5, "price": 2}]}"#,
                "gifts[1]: duplicate gift id 5",
            ),
            (
                r#"{"gifts": [{"id": 5, "price": 1, "locks": {"abc": 5}}]}"#,
                "gifts[0]: locks.abc: \"abc\" is not an account id",
            ),
            (
                r#"{"now": -5}"#,
                "now: unix time must not be negative, got -5",
            ),
            (
                r#"{"priority": "cheapest_first"}"#,
                "priority: unknown priority \"cheapest_first\": expected \"scarcest_first\" or \"priciest_first\"",
            ),
            (
                r#"{"channels": [{"id": 1, "channel_id": -1001234567890, "exclude": {"kinds": ["birthday", "plush"]}}]}"#,
                "channels[0]: exclude: unknown gift kind \"plush\": expected \"birthday\" or \"premium_only\"",
            ),
            (
                r#"{"channels": [{"id": 1, "channel_id": -1001234567890, "exclude": {"gift_ids": [3, -3]}}]}"#,
                "channels[0]: exclude: gift id must be positive, got -3",
            ),
            (
                r#"{"channels": [{"id": 1, "channel_id": -1001234567890, "exclude": {"ids": [3]}}]}"#,
                "channels[0].exclude.ids: unknown field `ids`, expected `gift_ids` or `kinds` at line 1 column 71",
            ),
            (
                r#"{"gifts": [{"id": 99999999999999999999, "price": 1}]}"#,
                "gifts[0].id: invalid type: floating point `1e+20`, expected i64 at line 1 column 38",
            ),
            (
                r#"{"gifts": [{"id": 1, "price": 5, "auction": {"rounds": 3}}]}"#,
                "gifts[0].auction.rounds: unknown field `rounds`, expected one of `slug`, `gifts_per_round`, `start_date` at line 1 column 53",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(error_of(text), expected, "{text}");
        }
    }

    #[test]
    fn priority_exclude_lists_and_the_birthday_flag_are_read() {
        let text = r#"{"priority": "priciest_first",
            "channels": [{"id": 1, "channel_id": -1001234567890,
                          "exclude": {"gift_ids": [9, 9, 4], "kinds": ["premium_only"]}}],
            "gifts": [{"id": 4, "price": 1, "birthday": true}]}"#;
        let scenario = parse(text, UnixTime::default()).expect("valid");
        assert_eq!(scenario.input.priority(), Priority::PriciestFirst);
        let exclude = &scenario.input.targets()[0].exclude;
        assert_eq!(
            exclude.gift_ids().map(|id| id.get()).collect::<Vec<_>>(),
            vec![4, 9]
        );
        assert!(
            exclude
                .kinds()
                .contains(giftbuyer_core::GiftKind::PremiumOnly)
        );
        assert!(scenario.input.gifts()[0].birthday);
        let plain = parse("{}", UnixTime::default()).expect("valid");
        assert_eq!(plain.input.priority(), Priority::ScarcestFirst);
    }

    #[test]
    fn an_auction_entry_reaches_the_planner_and_is_never_bought() {
        let text = r#"{"now": 1764000000,
            "accounts": [{"id": 1, "balance": 10000}],
            "channels": [{"id": 1, "channel_id": -1001234567890}],
            "gifts": [{"id": 9, "price": 500, "limited": true, "supply": 100, "remaining": 100,
                       "auction": {"slug": "pepe", "gifts_per_round": 10, "start_date": 1764003600}}]}"#;
        let scenario = parse(text, UnixTime::default()).expect("valid");
        assert_eq!(
            scenario.input.gifts()[0].auction,
            Some(GiftAuction {
                slug: "pepe".into(),
                gifts_per_round: 10,
                start_date: 1_764_003_600,
            })
        );
        let plan = giftbuyer_core::plan(&scenario.input, scenario.now);
        assert!(plan.operations.is_empty(), "{plan}");
        assert_eq!(
            plan.skips
                .iter()
                .map(|skip| skip.reason)
                .collect::<Vec<_>>(),
            [giftbuyer_core::SkipReason::Auction]
        );
    }

    #[test]
    fn raw_catalog_values_are_left_to_the_planner() {
        let text = r#"{"now": 7, "gifts": [{"id": 0, "price": 0}, {"id": -4, "price": -1, "limited": true}]}"#;
        let scenario = parse(text, UnixTime::default()).expect("valid");
        assert_eq!(scenario.now.secs(), 7);
        let ids: Vec<i64> = scenario.input.gifts().iter().map(|g| g.id).collect();
        assert_eq!(ids, vec![-4, 0]);
    }
}
