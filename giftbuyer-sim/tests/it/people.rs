//! People as receivers: a new gift, a resale purchase or a bid for a username the market knows goes through
//! and keeps the person as its recipient; one for a username nobody holds is refused as
//! `USERNAME_NOT_OCCUPIED` and changes nothing; the directory is checked in the configuration
//! and read from the drop file's `people`.

use std::time::Duration;

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{
    BidRequest, PurchaseRequest, ResalePurchaseRequest, TelegramAccount, TelegramError,
};
use giftbuyer_core::resale::{Recipient, TelegramUsername};
use giftbuyer_sim::{AuctionSpec, ConfigError, GiftSpec, MarketConfig, ResaleSpec, drop_file};

use crate::support::*;

const FRIEND_ID: i64 = 7_000_000_001;
const FAN_ID: i64 = 7_000_000_002;
const AUCTIONED: i64 = 77;
const ON_SALE: i64 = 55;

fn name(text: &str) -> TelegramUsername {
    TelegramUsername::new(text).expect("a valid username")
}

fn not_occupied() -> TelegramError {
    TelegramError::Rpc {
        code: 400,
        name: "USERNAME_NOT_OCCUPIED".into(),
    }
}

/// Account 1 with 1 000 stars, two people, two listings and an auction of a minute.
fn config() -> MarketConfig {
    quiet_config(3)
        .account(buyer(1, 1_000))
        .person(name("gift_friend"), FRIEND_ID)
        .person(name("durov_fan"), FAN_ID)
        .listing(ResaleSpec::new(gift_id(9), 1, Stars::new(300)))
        .listing(ResaleSpec::new(gift_id(9), 2, Stars::new(400)))
        .gift(
            GiftSpec::limited(gift_id(AUCTIONED), Stars::new(500), 4).auctioned(
                AuctionSpec::new(2, Duration::ZERO)
                    .rounds(2, Duration::from_secs(60))
                    .min_bid(Stars::new(100)),
            ),
        )
        .gift(GiftSpec::limited(gift_id(ON_SALE), Stars::new(50), 10))
}

fn gift_buy(recipient: Recipient) -> PurchaseRequest {
    PurchaseRequest {
        gift_id: gift_id(ON_SALE),
        recipient,
        price: Stars::new(50),
        hide_name: false,
        message: None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_new_gift_goes_to_a_known_person_or_the_buyer_and_never_to_a_stranger() {
    let (market, _clock) = start(config());
    let buyer = account(&market, 1);
    let friend = Recipient::User(name("gift_friend"));
    buyer
        .buy_gift(gift_buy(friend))
        .await
        .expect("bought for the friend");
    buyer
        .buy_gift(gift_buy(Recipient::Buyer))
        .await
        .expect("bought for the buyer");
    assert_eq!(
        buyer
            .buy_gift(gift_buy(Recipient::User(name("nobody_here"))))
            .await,
        Err(not_occupied())
    );
    let recipients: Vec<Recipient> = market.purchases().iter().map(|p| p.recipient).collect();
    assert_eq!(recipients, [friend, Recipient::Buyer]);
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(900)));
}

fn resale_buy(slug: &str, price: u64, recipient: Recipient) -> ResalePurchaseRequest {
    ResalePurchaseRequest {
        slug: slug.into(),
        recipient,
        price: Stars::new(price),
    }
}

fn bid(total: u64, recipient: Recipient) -> BidRequest {
    BidRequest {
        gift_id: gift_id(AUCTIONED),
        recipient,
        total: Stars::new(total),
        standing: None,
    }
}

#[tokio::test(start_paused = true)]
async fn the_directory_answers_by_name_and_by_id() {
    let (market, _clock) = start(config());
    assert_eq!(market.person(&name("gift_friend")), Some(FRIEND_ID));
    // Usernames are compared without case, as Telegram compares them.
    assert_eq!(market.person(&name("@Durov_Fan")), Some(FAN_ID));
    assert_eq!(market.person(&name("nobody_here")), None);
    assert_eq!(market.person_by_id(FAN_ID), Some(name("durov_fan")));
    assert_eq!(market.person_by_id(1), None);
    assert_eq!(market.people().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_listing_bought_for_a_known_person_keeps_them_as_its_recipient() {
    let (market, _clock) = start(config());
    let buyer = account(&market, 1);
    let friend = Recipient::User(name("gift_friend"));
    buyer
        .buy_resale(resale_buy("gift9-1", 300, friend))
        .await
        .expect("bought for the friend");
    let purchases = market.resale_purchases();
    let bought: Vec<(&str, Recipient)> = purchases
        .iter()
        .map(|purchase| (purchase.slug.as_str(), purchase.recipient))
        .collect();
    assert_eq!(bought, [("gift9-1", friend)]);
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(700)));
}

#[tokio::test(start_paused = true)]
async fn a_listing_for_an_unknown_username_is_refused_and_nothing_is_bought() {
    let (market, _clock) = start(config());
    let buyer = account(&market, 1);
    assert_eq!(
        buyer
            .buy_resale(resale_buy(
                "gift9-1",
                300,
                Recipient::User(name("nobody_here"))
            ))
            .await,
        Err(not_occupied())
    );
    assert_eq!(market.resale_purchases(), []);
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(1_000)));
    let (_, on_sale) = market.listing("gift9-1").expect("listed");
    assert!(on_sale, "the listing stays on sale");
    // The username is the first check: even a listing that does not exist answers it.
    assert_eq!(
        buyer
            .buy_resale(resale_buy(
                "nothing",
                1,
                Recipient::User(name("nobody_here"))
            ))
            .await,
        Err(not_occupied())
    );
}

#[tokio::test(start_paused = true)]
async fn a_bid_for_a_known_person_stands_with_them_as_its_receiver() {
    let (market, _clock) = start(config());
    let buyer = account(&market, 1);
    let fan = Recipient::User(name("durov_fan"));
    buyer.place_bid(bid(150, fan)).await.expect("placed");
    let bids = market.bids();
    assert_eq!(bids.len(), 1);
    assert_eq!((bids[0].recipient, bids[0].charge), (fan, Stars::new(150)));
    let auction = market.auction(gift_id(AUCTIONED)).expect("an auction");
    assert_eq!(auction.standing.len(), 1);
    assert_eq!(auction.standing[0].recipient, Some(fan));
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(850)));
}

#[tokio::test(start_paused = true)]
async fn a_bid_for_an_unknown_username_is_refused_and_pays_nothing() {
    let (market, _clock) = start(config());
    let buyer = account(&market, 1);
    let nobody = Recipient::User(name("nobody_here"));
    assert_eq!(
        market.bid_charge(
            account_id(1),
            gift_id(AUCTIONED),
            nobody,
            Stars::new(150),
            false
        ),
        Err(not_occupied())
    );
    assert_eq!(buyer.place_bid(bid(150, nobody)).await, Err(not_occupied()));
    assert_eq!(market.bids(), []);
    let auction = market.auction(gift_id(AUCTIONED)).expect("an auction");
    assert_eq!(auction.standing_bid(account_id(1)), None);
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(1_000)));
}

#[test]
fn the_configuration_refuses_a_bad_directory() {
    let with = |person: &str, id: i64| {
        MarketConfig::with_seed(1)
            .account(buyer(1, 10))
            .person(name("gift_friend"), FRIEND_ID)
            .person(name(person), id)
    };
    assert_eq!(with("durov_fan", FAN_ID).validate(), Ok(()));
    assert_eq!(
        with("durov_fan", 0).validate(),
        Err(ConfigError::PersonId {
            name: name("durov_fan"),
            id: 0
        })
    );
    assert_eq!(
        with("durov_fan", FRIEND_ID).validate(),
        Err(ConfigError::DuplicatePersonId {
            id: FRIEND_ID,
            first: name("durov_fan"),
            second: name("gift_friend"),
        })
    );
    let clash = with("durov_fan", 1);
    assert_eq!(
        clash.validate(),
        Err(ConfigError::PersonIsAccount {
            name: name("durov_fan"),
            id: 1
        })
    );
    assert_eq!(
        clash.validate().map_err(|err| err.to_string()),
        Err("@durov_fan's user id 1 is one of the market's accounts".to_owned())
    );
    assert!(giftbuyer_sim::Market::new(clash, TestClock::new()).is_err());
}

fn drop_with(people: &str) -> String {
    format!(
        r#"{{"duration_ms": 1000,
            "accounts": [{{"id": 1, "balance": 10}}],
            "people": {people}}}"#
    )
}

#[test]
fn the_drop_file_lists_people_by_username() {
    let file = drop_file::parse(&drop_with(r#"{"Gift_Friend": 7000000001, "durov_fan": 9}"#))
        .expect("valid people");
    let people: Vec<(&str, i64)> = file
        .config
        .people
        .iter()
        .map(|(name, id)| (name.as_str(), *id))
        .collect();
    assert_eq!(people, [("durov_fan", 9), ("gift_friend", FRIEND_ID)]);
    let none = drop_file::parse(r#"{"duration_ms": 1}"#).expect("valid");
    assert!(none.config.people.is_empty());
}

#[test]
fn the_drop_files_people_errors_name_the_username() {
    let error_of = |people: &str| {
        drop_file::parse(&drop_with(people))
            .expect_err("invalid people")
            .to_string()
    };
    let cases = [
        (
            r#"{"x": 5}"#,
            r#"people.x: telegram username must be 5 to 32 latin letters, digits and '_', starting with a letter, got "x""#,
        ),
        (
            r#"{"gift_friend": 0}"#,
            "people.gift_friend: user id must be positive, got 0",
        ),
        (
            r#"{"Gift_Friend": 7, "gift_friend": 8}"#,
            "people.gift_friend: @gift_friend is listed twice",
        ),
        (
            r#"{"gift_friend": 7, "durov_fan": 7}"#,
            "people.gift_friend: user id 7 is also @durov_fan's",
        ),
        (
            r#"{"gift_friend": 1}"#,
            "people.gift_friend: user id 1 is one of accounts[]",
        ),
    ];
    for (people, expected) in cases {
        assert_eq!(error_of(people), expected, "for {people}");
    }
    let typed = error_of(r#"{"gift_friend": "7"}"#);
    assert!(
        typed.starts_with(r#"people.gift_friend: invalid type: string "7", expected i64"#),
        "{typed}"
    );
}
