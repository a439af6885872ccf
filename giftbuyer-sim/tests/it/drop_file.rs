//! Drop files: errors that name the field, the documented example, and the shipped examples.

use std::path::Path;
use std::time::Duration;

use giftbuyer_core::ports::{ChannelAccess, TelegramError};
use giftbuyer_sim::drop_file::{self, DropFile};
use giftbuyer_sim::{Demand, FaultAction, FaultWhen, Market, Method, sellout_time};

use crate::support::*;

fn error_of(text: &str) -> String {
    drop_file::parse(text)
        .expect_err("invalid drop file")
        .to_string()
}

/// A valid file with one account, one channel and one drop; cases break one field of it.
fn with(extra: &str) -> String {
    format!(
        r#"{{"duration_ms": 1000,
            "accounts": [{{"id": 1, "balance": 10, "channels": {{"-1001234567890": "can_post"}}}}],
            "channels": [{{"id": 1, "channel_id": -1001234567890}}],
            "drops": [{{"at_ms": 0, "id": 5, "price": 1, "supply": 10}}]{extra}}}"#
    )
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (
            "{",
            "not valid JSON: EOF while parsing an object at line 1 column 1",
        ),
        (
            "[]",
            "a drop file is a JSON object with accounts, channels, catalog and drops, not an array",
        ),
        ("{}", "missing field `duration_ms` at line 1 column 2"),
        (
            r#"{"duration_ms": 1, "seeed": 4}"#,
            "seeed: unknown field `seeed`, expected one of `seed`, `start_unix`, `duration_ms`, `latency_ms`, `flood`, `competitors`, `accounts`, `channels`, `catalog`, `drops`, `faults`, `login`, `bot`, `resale`, `watches`, `people`, `bidding`, `closed_to_gifts` at line 1 column 26",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": "25"}]}"#,
            r#"drops[0].price: invalid type: string "25", expected i64 at line 1 column 64"#,
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": -5, "id": 5, "price": 1}]}"#,
            "drops[0].at_ms: invalid value: integer `-5`, expected u64 at line 1 column 41",
        ),
        (
            r#"{"duration_ms": 1, "accounts": [{"id": 1, "balance": 1, "premum": true}]}"#,
            "accounts[0].premum: unknown field `premum`, expected one of `id`, `balance`, `premium`, `premium_until`, `username`, `first_name`, `extra_rtt_ms`, `phone`, `password`, `password_hint`, `channels` at line 1 column 64",
        ),
        (
            r#"{"duration_ms": 1, "accounts": [{"id": 1, "balance": 1, "channels": {"-1001234567890": "admin"}}]}"#,
            "accounts[0].channels.-1001234567890: unknown variant `admin`, expected one of `can_post`, `read_only`, `not_member` at line 1 column 94",
        ),
        (
            r#"{"duration_ms": 1, "accounts": [{"id": 1, "balance": -1}]}"#,
            "accounts[0].balance: a star amount must not be negative, got -1",
        ),
        (
            r#"{"duration_ms": 1, "accounts": [{"id": 0, "balance": 1}]}"#,
            "accounts[0].id: account id must be positive, got 0",
        ),
        (
            r#"{"duration_ms": 1, "accounts": [{"id": 1, "balance": 1}, {"id": 1, "balance": 2}]}"#,
            "accounts[1].id: duplicate account id 1",
        ),
        (
            r#"{"duration_ms": 1, "accounts": [{"id": 1, "balance": 1, "channels": {"-123": "can_post"}}]}"#,
            "accounts[0].channels.-123: -123 is not a channel id: expected the Bot API form, -100 followed by the channel's id (e.g. -1001234567890)",
        ),
        (
            r#"{"duration_ms": 1, "accounts": [{"id": 1, "balance": 1, "phone": "555"}]}"#,
            r#"accounts[0].phone: "555" is not a phone number: expected + and 7 to 15 digits"#,
        ),
        (
            r#"{"duration_ms": 1, "accounts": [{"id": 1, "balance": 1, "password_hint": "x"}]}"#,
            "accounts[0].password_hint: a hint needs a password",
        ),
        (
            r#"{"duration_ms": 1, "channels": [{"id": 1, "channel_id": -1001234567890, "price_min": 10, "price_max": 5}]}"#,
            "channels[0].price_min/price_max: price minimum 10 is greater than the maximum 5",
        ),
        (
            r#"{"duration_ms": 1, "channels": [{"id": 1, "channel_id": -1001234567890}, {"id": 2, "channel_id": -1001234567890}]}"#,
            "channels[1].channel_id: duplicate channel -1001234567890",
        ),
        (
            r#"{"duration_ms": 1, "catalog": [{"id": 5, "price": 1}], "drops": [{"at_ms": 0, "id": 5, "price": 1}]}"#,
            "drops[0].id: duplicate gift id 5",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "supply": 0}]}"#,
            "drops[0].supply: must be positive (null for an unlimited gift), got 0",
        ),
        (
            r#"{"duration_ms": 1, "catalog": [{"id": 5, "price": 1, "supply": 10, "remaining": 11}]}"#,
            "catalog[0].remaining: must be between 0 and the supply 10, got 11",
        ),
        (
            r#"{"duration_ms": 1, "catalog": [{"id": 5, "price": 1, "remaining": 1}]}"#,
            "catalog[0].remaining: an unlimited gift (supply null) has no remaining count",
        ),
        (
            r#"{"duration_ms": 1, "catalog": [{"id": 5, "price": 1, "at_ms": 1}]}"#,
            "catalog[0].at_ms: unknown field `at_ms`, expected one of `id`, `price`, `supply`, `remaining`, `require_premium`, `birthday`, `per_user_limit`, `title`, `sellout_ms`, `locks`, `auction` at line 1 column 60",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "locks": {"abc": 5}}]}"#,
            r#"drops[0].locks.abc: "abc" is not an account id"#,
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "per_user_limit": -1}]}"#,
            "drops[0].per_user_limit: must not be negative, got -1",
        ),
        (
            r#"{"duration_ms": 1, "competitors": {"curve": 0.5}}"#,
            "competitors.curve: must be between 1 and 16, got 0.5",
        ),
        (
            r#"{"duration_ms": 1, "latency_ms": {"methods": {"purchase": {"rtt": 1}}}}"#,
            "latency_ms.methods: unknown variant `purchase`, expected one of `catalog`, `profile`, `balance`, `buy`, `sticker`, `channel_info`, `resale`, `resale_buy`, `auction_state`, `bid` at line 1 column 56",
        ),
        (
            r#"{"duration_ms": 1, "faults": [{"method": "buy", "account": 9, "error": "X"}]}"#,
            "faults[0].account: no account 9 in accounts",
        ),
        (
            r#"{"duration_ms": 1, "faults": [{"method": "buy", "calls": [0, 1], "error": "X"}]}"#,
            "faults[0].calls: expected [first, last] numbered from 1 with first <= last, got [0, 1]",
        ),
        (
            r#"{"duration_ms": 1, "faults": [{"method": "buy", "probability": 1.5, "error": "X"}]}"#,
            "faults[0].probability: must be between 0 and 1, got 1.5",
        ),
        (
            r#"{"duration_ms": 1, "faults": [{"method": "buy", "calls": [1, 1], "probability": 0.5, "error": "X"}]}"#,
            "faults[0]: give at most one of calls, window_ms and probability",
        ),
        (
            r#"{"duration_ms": 1, "faults": [{"method": "buy", "error": "X", "hang_ms": 5}]}"#,
            "faults[0]: give exactly one of error, hang_ms and disconnect",
        ),
        (
            r#"{"duration_ms": 1, "faults": [{"method": "buy", "error": "X", "executed": true}]}"#,
            "faults[0].executed: only a hang or a disconnect can follow an executed request; an error means nothing was done",
        ),
        (
            r#"{"duration_ms": 1, "faults": [{"method": "buy", "window_ms": [5]}]}"#,
            "faults[0].window_ms: invalid length 1, expected an array of length 2 at line 1 column 64",
        ),
        (
            r#"{"duration_ms": 1, "login": {"starting_balance": -3}}"#,
            "login.starting_balance: a star amount must not be negative, got -3",
        ),
        (
            r#"{"duration_ms": 1, "bot": {"blocked": [5, 0]}}"#,
            "bot.blocked[1]: chat id must not be 0",
        ),
        (
            r#"{"duration_ms": 1, "start_unix": -1}"#,
            "start_unix: unix time must not be negative, got -1",
        ),
        (
            r#"{"duration_ms": 1, "people": {"gift_friend": 9}, "watches": [{"gift_id": 5, "max_price": 10, "to_username": "@someone_else"}]}"#,
            "watches[0].to_username: @someone_else is not one of people",
        ),
        (
            r#"{"duration_ms": 1, "bidding": {"budget": 5, "plans": [{"gift_id": 9, "max_bid": 10, "to_username": "x"}]}}"#,
            "bidding.plans[0].to_username: telegram username must be 5 to 32 latin letters, digits and '_', starting with a letter, got \"x\"",
        ),
        (
            r#"{"duration_ms": 1, "channels": [{"id": 1, "username": "gift_friend"}]}"#,
            "channels[0].username: @gift_friend is not one of people",
        ),
        (
            r#"{"duration_ms": 1, "channels": [{"id": 1, "channel_id": -1001234567890, "username": "gift_friend"}]}"#,
            "channels[0].channel_id: a gift has one recipient: give a channel id or a username, not both",
        ),
        (
            r#"{"duration_ms": 1, "channels": [{"id": 1}, {"id": 2, "price_max": 5}]}"#,
            "channels[1]: a second target for the buying account itself (neither channel_id nor username)",
        ),
        (
            r#"{"duration_ms": 1, "bidding": {"budget": -5}}"#,
            "bidding.budget: a star amount must not be negative, got -5",
        ),
        (
            r#"{"duration_ms": 1, "bidding": {"budget": 5, "plans": [{"gift_id": 9, "max_bid": 10, "wanted": 11}]}}"#,
            "bidding.plans[0].wanted: wanted must be between 1 and 10, got 11",
        ),
        (
            r#"{"duration_ms": 1, "bidding": {"budget": 5, "plans": [{"gift_id": 9, "max_bid": 10, "to_channel_id": -1001800000999}]}}"#,
            "bidding.plans[0].to_channel_id: -1001800000999 is not one of channels[]",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "supply": 10, "auction": {"gifts_per_round": 0}}]}"#,
            "drops[0].auction.gifts_per_round: must be positive, got 0",
        ),
        (
            r#"{"duration_ms": 1, "catalog": [{"id": 5, "price": 1, "supply": null, "auction": {"gifts_per_round": 3}}]}"#,
            "catalog[0].auction: an unlimited gift (supply null) cannot be sold by auction",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "supply": 10, "auction": {"gifts_per_round": 1, "round": 3}}]}"#,
            "drops[0].auction.round: unknown field `round`, expected one of `gifts_per_round`, `starts_after_ms`, `rounds`, `round_secs`, `extend_top`, `extend_window_secs`, `min_bid`, `bidders` at line 1 column 118",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "supply": 10, "auction": {"gifts_per_round": 1, "round_secs": 0}}]}"#,
            "drops[0].auction.round_secs: gift 5's auction rounds must last whole seconds, from 1 s to a day, got 0ns",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "supply": 10, "auction": {"gifts_per_round": 1, "extend_top": 3}}]}"#,
            "drops[0].auction.extend_top: extend_top and extend_window_secs go together",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "supply": 10, "auction": {"gifts_per_round": 1, "min_bid": -1}}]}"#,
            "drops[0].auction.min_bid: a star amount must not be negative, got -1",
        ),
        (
            r#"{"duration_ms": 1, "drops": [{"at_ms": 0, "id": 5, "price": 1, "supply": 10, "auction": {"gifts_per_round": 1, "bidders": {"count": 2, "max_bid_min": 9, "max_bid_max": 3}}}]}"#,
            "drops[0].auction.bidders: gift 5's competing bidders must be at most 1000, with a lowest maximum bid no higher than the highest, acting at most every 100 ms",
        ),
    ];
    let mismatches: Vec<String> = cases
        .iter()
        .filter(|(text, expected)| error_of(text) != *expected)
        .map(|(text, expected)| {
            format!(
                "{text}\n  expected: {expected}\n  actual:   {}",
                error_of(text)
            )
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(drop_file::parse(&with("")).is_ok());
    let exclude = |list: &str| {
        format!(
            r#"{{"duration_ms": 1, "channels": [{{"id": 1, "channel_id": -1001234567890, "exclude": {list}}}]}}"#
        )
    };
    let message = error_of(&exclude(r#"{"kinds": ["plush"]}"#));
    assert!(
        message.starts_with("channels[0].exclude: unknown gift kind \"plush\""),
        "{message}"
    );
    let message = error_of(&exclude(r#"{"gift_ids": [-4]}"#));
    assert!(
        message.starts_with("channels[0].exclude: gift id must be positive, got -4"),
        "{message}"
    );
    assert_eq!(
        error_of(&with(
            r#", "faults": [{"method": "buy", "account": 2, "disconnect": true}]"#
        )),
        "faults[0].account: no account 2 in accounts"
    );
}

#[test]
fn faults_map_onto_triggers_and_actions() {
    let file = drop_file::parse(&with(
        r#", "faults": [
            {"method": "buy", "account": 1, "calls": [2, 3], "error": "FLOOD_WAIT_4"},
            {"method": "catalog", "window_ms": [100, 200], "hang_ms": 5000, "executed": true},
            {"method": "channel_info", "probability": 0.25, "disconnect": true},
            {"method": "profile", "error": "AUTH_KEY_UNREGISTERED", "code": 401}
        ]"#,
    ))
    .expect("valid");
    let faults = &file.config.faults;
    assert_eq!(
        (
            faults[0].method,
            faults[0].account,
            faults[0].when,
            &faults[0].action
        ),
        (
            Method::Buy,
            Some(account_id(1)),
            FaultWhen::Calls { first: 2, last: 3 },
            &FaultAction::Error(TelegramError::FloodWait { seconds: 4 })
        )
    );
    assert_eq!(
        (faults[1].when, &faults[1].action),
        (
            FaultWhen::Window {
                from: ms(100),
                until: ms(200)
            },
            &FaultAction::Hang {
                duration: ms(5_000),
                executed: true
            }
        )
    );
    assert_eq!(
        (
            faults[2].method,
            faults[2].account,
            faults[2].when,
            &faults[2].action
        ),
        (
            Method::ChannelInfo,
            None,
            FaultWhen::Probability(0.25),
            &FaultAction::Disconnect { executed: false }
        )
    );
    assert_eq!(
        faults[3].action,
        FaultAction::Error(TelegramError::AuthKeyUnregistered)
    );
}

/// The example in the module documentation, kept in sync by hand.
#[test]
fn the_documented_example_parses() {
    let text = r#"{"seed": 42,
     "start_unix": 1764000000,
     "duration_ms": 120000,
     "latency_ms": {"rtt": 60, "jitter": 20, "methods": {"buy": {"rtt": 120, "jitter": 30}}},
     "flood": {"catalog_min_interval_ms": 1000, "flood_wait_seconds": 3,
               "purchases_per_second": null},
     "competitors": {"reaction_ms": 300, "curve": 2.0},
     "accounts": [{"id": 1001, "balance": 100000, "premium": true, "premium_until": null,
                   "username": "buyer1", "first_name": "Ann", "extra_rtt_ms": 0,
                   "phone": "+15550001001", "password": "hunter2", "password_hint": "the usual",
                   "channels": {"-1001234567890": "can_post", "-1001234567891": "read_only"}}],
     "channels": [{"id": 1, "channel_id": -1001234567890, "title": "Rare gifts",
                   "price_min": null, "price_max": null, "supply_min": null, "supply_max": null,
                   "exclude": {"gift_ids": [9002], "kinds": ["birthday"]}}],
     "catalog": [{"id": 100, "price": 25, "supply": null, "title": "Heart"},
                 {"id": 200, "price": 2500, "supply": 10000, "remaining": 0}],
     "drops": [{"at_ms": 5000, "id": 9001, "price": 30000, "supply": 5000,
                "require_premium": true, "birthday": false, "per_user_limit": null,
                "title": "Plush Pepe", "sellout_ms": null, "locks": {"1001": 1764003600}},
               {"at_ms": 6000, "id": 9002, "price": 500, "supply": 1000, "birthday": true}],
     "faults": [{"method": "buy", "account": 1001, "calls": [1, 1], "error": "FLOOD_WAIT_2"},
                {"method": "buy", "window_ms": [5000, 6000], "hang_ms": 30000, "executed": true},
                {"method": "catalog", "probability": 0.05, "disconnect": true}],
     "login": {"starting_balance": 2500, "code_ttl_ms": 300000,
               "channels": {"-1001234567890": "can_post"}},
     "people": {"gift_friend": 7000000001},
     "bot": {"latency_ms": 50, "max_per_second_per_chat": 1, "blocked": [], "missing": []}}"#;
    let file = drop_file::parse(text).expect("the documented example is valid");
    assert_eq!(file.config.seed, 42);
    assert_eq!(file.duration, Duration::from_secs(120));
    assert_eq!(file.start, Some(unix(1_764_000_000)));
    let account = &file.config.accounts[0];
    assert_eq!(
        account.channels.get(&channel_of(-1001234567891)),
        Some(&ChannelAccess::ReadOnly)
    );
    assert_eq!(
        account.two_factor.as_ref().map(|tf| tf.password.as_str()),
        Some("hunter2")
    );
    assert_eq!(file.config.gifts.len(), 4);
    assert!(!file.config.gifts[2].birthday && file.config.gifts[3].birthday);
    let exclude = &file.targets[0].exclude;
    assert_eq!(
        exclude.gift_ids().map(|id| id.get()).collect::<Vec<_>>(),
        vec![9002]
    );
    assert!(exclude.kinds().contains(giftbuyer_core::GiftKind::Birthday));
    assert_eq!(file.config.gifts[2].release_at, ms(5_000));
    assert_eq!(file.config.gifts[2].demand, Demand::Calibrated);
    assert_eq!(file.config.gifts[1].remaining, Some(0));
    assert_eq!(file.config.faults.len(), 3);
    assert_eq!(file.targets[0].title.as_deref(), Some("Rare gifts"));
    assert_eq!(
        file.config
            .channel_titles
            .get(&channel_of(-1001234567890))
            .map(String::as_str),
        Some("Rare gifts")
    );
    assert_eq!(file.bot.max_per_second_per_chat, Some(1));
    let people: Vec<(&str, i64)> = file
        .config
        .people
        .iter()
        .map(|(name, id)| (name.as_str(), *id))
        .collect();
    assert_eq!(people, [("gift_friend", 7_000_000_001)]);
}

fn channel_of(raw: i64) -> giftbuyer_core::ChannelId {
    giftbuyer_core::ChannelId::new(raw).expect("valid")
}

fn example(name: &str) -> DropFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/drops")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("example exists");
    drop_file::parse(&text).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// The shipped auction example parses into an auction of three rounds of a minute, with a
/// dozen competing bidders who take its gifts by the end when nobody else bids.
#[tokio::test(start_paused = true)]
async fn the_example_auction_runs_its_rounds_to_the_end() {
    let file = example("auction_drop.json");
    let auctioned: Vec<_> = file
        .config
        .gifts
        .iter()
        .filter(|gift| gift.auction.is_some())
        .collect();
    let [gift] = auctioned.as_slice() else {
        panic!("one auctioned gift expected");
    };
    let auction = gift.auction.expect("auctioned");
    assert_eq!((auction.gifts_per_round, auction.rounds), (5, Some(3)));
    assert_eq!(auction.round_duration, Duration::from_secs(60));
    assert!(auction.extension.is_some());
    assert_eq!(auction.bidders.count, 12);
    assert!((2..=3).contains(&file.config.accounts.len()));
    let clock = TestClock::new();
    let market = Market::new(file.config.clone(), clock.clone()).expect("valid market");
    clock.advance_to(file.duration).await;
    let snapshot = market.auction(gift.id).expect("an auction");
    assert!(snapshot.finished, "{snapshot:?}");
    assert_eq!(snapshot.wins.len(), 12);
    assert!(market.bids().is_empty());
}

/// The shipped examples parse, start a market, and their limited drops sell out when the
/// calibration says.
#[tokio::test(start_paused = true)]
async fn the_example_drops_parse_and_sell_out_on_time() {
    let premium = example("premium_drop.json");
    let drop = premium.config.gifts.last().expect("a drop");
    assert!(drop.require_premium);
    assert!(drop.supply.is_some_and(|supply| supply < 10_000));
    assert!(sellout_time(drop.supply.expect("limited")) < Duration::from_secs(60));

    let mass = example("mass_drop.json");
    let drop = mass.config.gifts.last().expect("a drop");
    assert!(drop.supply.is_some_and(|supply| supply >= 100_000));

    let multi = example("multi_drop.json");
    let drops: Vec<_> = multi
        .config
        .gifts
        .iter()
        .filter(|gift| gift.release_at > Duration::ZERO)
        .collect();
    assert!(drops.len() >= 3);
    assert!(multi.config.accounts.len() >= 3 && multi.targets.len() >= 3);

    for file in [premium, mass, multi] {
        // Balances afford some copies of the limited drops, not all of them.
        let total: u64 = file.config.accounts.iter().map(|a| a.balance.get()).sum();
        for gift in file
            .config
            .gifts
            .iter()
            .filter(|gift| gift.release_at > Duration::ZERO)
        {
            if let Some(supply) = gift.supply {
                assert!(total / gift.price.get().max(1) < supply, "{}", gift.id);
            }
        }
        let clock = TestClock::new();
        let market = Market::new(file.config.clone(), clock.clone()).expect("valid market");
        clock.advance_to(file.duration).await;
        for gift in file
            .config
            .gifts
            .iter()
            .filter(|gift| gift.release_at > Duration::ZERO)
        {
            let snapshot = market.gift(gift.id).expect("known");
            assert!(snapshot.released);
            let sellout = snapshot.competitors_sellout_at;
            if sellout.is_some_and(|at| at <= file.duration) {
                assert!(snapshot.sold_out, "{} sold out by {sellout:?}", gift.id);
            }
        }
        assert!(market.purchases().is_empty());
    }
}

#[test]
fn targets_of_every_kind_are_read_from_channels() {
    let file = drop_file::parse(
        r#"{"duration_ms": 1, "people": {"Gift_Friend": 7000000001},
            "channels": [{"id": 1, "channel_id": -1001234567890},
                         {"id": 2, "username": "@gift_friend", "supply_max": 1000},
                         {"id": 3, "title": "my own profile"}]}"#,
    )
    .expect("valid targets");
    let recipients: Vec<String> = file
        .targets
        .iter()
        .map(|target| target.recipient.to_string())
        .collect();
    assert_eq!(recipients, ["ch=-1001234567890", "@gift_friend", "self"]);
    assert_eq!(file.targets[1].filter.supply.max(), Some(1000));
}
