//! The resale market over the socket, through `giftbuyer-telegram`'s real adapter: pages of
//! listings exactly as the market has them, a listing bought for the buyer and for a channel,
//! each item once, and a raised price refused before anything is paid.

use std::time::Duration;

use giftbuyer_core::ports::{ChannelAccess, ResalePurchaseRequest, TelegramAccount, TelegramError};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars};
use giftbuyer_sim::{AccountSpec, MarketConfig, ResaleSpec};

use crate::support::{adapter_account, instant_market, market_server};

const USER: i64 = 601;
const POST: i64 = 1_234_567_890;

fn channel() -> ChannelId {
    ChannelId::from_mtproto(POST).expect("channel")
}

fn gift() -> GiftId {
    GiftId::new(77).expect("gift")
}

fn market() -> giftbuyer_sim::Market {
    let mut config = MarketConfig::with_seed(5)
        .account(
            AccountSpec::new(AccountId::new(USER).expect("account"), Stars::new(2_000))
                .channel(channel(), ChannelAccess::CanPost),
        )
        .listing(ResaleSpec::new(gift(), 3, Stars::new(900)).attributes("Cap", "Black", "Star"))
        .listing(ResaleSpec::new(gift(), 1, Stars::new(500)))
        .listing(ResaleSpec::new(gift(), 2, Stars::new(700)))
        .listing(ResaleSpec::new(
            GiftId::new(78).expect("gift"),
            1,
            Stars::new(1),
        ));
    config
        .channel_titles
        .insert(channel(), "Collection".to_owned());
    // The tests page through listings back to back, which the market's resale flood limit
    // would refuse; the limit has tests of its own.
    config.flood.resale_min_interval = std::time::Duration::ZERO;
    instant_market(config)
}

fn buy(slug: &str, recipient: Recipient, price: u64) -> ResalePurchaseRequest {
    ResalePurchaseRequest {
        slug: slug.into(),
        recipient,
        price: Stars::new(price),
    }
}

#[tokio::test]
async fn listings_arrive_as_the_market_has_them_and_each_item_is_bought_once() {
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, USER, 2);
    let sim = market
        .account(AccountId::new(USER).expect("id"))
        .expect("account");

    let page = wire.resale_listings(gift(), "", 2).await.expect("page");
    assert_eq!(
        page,
        sim.resale_listings(gift(), "", 2)
            .await
            .expect("market page")
    );
    let slugs: Vec<&str> = page
        .listings
        .iter()
        .map(|listing| listing.slug.as_str())
        .collect();
    assert_eq!(slugs, ["gift77-1", "gift77-2"]);
    assert_eq!((page.count, page.next_offset.as_deref()), (3, Some("2")));
    let rest = wire.resale_listings(gift(), "2", 2).await.expect("page");
    assert_eq!(rest.listings[0].attributes.model.as_deref(), Some("Cap"));
    assert_eq!(rest.listings[0].price, Some(900));

    // For the buyer itself, then for a channel.
    wire.buy_resale(buy("gift77-1", Recipient::Buyer, 500))
        .await
        .expect("bought for the buyer");
    wire.buy_resale(buy("gift77-2", Recipient::Channel(channel()), 700))
        .await
        .expect("bought for the channel");
    let purchases = market.resale_purchases();
    let bought: Vec<(&str, Recipient)> = purchases
        .iter()
        .map(|purchase| (purchase.slug.as_str(), purchase.recipient))
        .collect();
    assert_eq!(
        bought,
        [
            ("gift77-1", Recipient::Buyer),
            ("gift77-2", Recipient::Channel(channel()))
        ]
    );
    assert_eq!(
        market.balance(AccountId::new(USER).expect("id")),
        Some(Stars::new(800))
    );

    // Gone once bought; never a second purchase.
    assert_eq!(
        wire.buy_resale(buy("gift77-1", Recipient::Buyer, 500))
            .await,
        Err(TelegramError::Rpc {
            code: 400,
            name: "STARGIFT_NOT_FOUND".into()
        })
    );
    assert_eq!(
        wire.buy_resale(buy("nothing", Recipient::Buyer, 5)).await,
        Err(TelegramError::Rpc {
            code: 400,
            name: "STARGIFT_SLUG_INVALID".into()
        })
    );
    // The seller asks more than the listing the buyer saw: nothing is paid.
    assert_eq!(
        wire.buy_resale(buy("gift77-3", Recipient::Buyer, 850))
            .await,
        Err(TelegramError::PriceChanged {
            expected: Stars::new(850),
            actual: Stars::new(900)
        })
    );
    assert_eq!(market.resale_purchases().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_listing_taken_by_a_competitor_leaves_the_pages() {
    let mut config = MarketConfig::with_seed(6).account(AccountSpec::new(
        AccountId::new(USER).expect("account"),
        Stars::new(100),
    ));
    config =
        config.listing(ResaleSpec::new(gift(), 1, Stars::new(10)).taken_at(Duration::from_secs(3)));
    let market = instant_market(config);
    let server = market_server(&market).await;
    let wire = adapter_account(&server, USER, 2);
    assert_eq!(
        wire.resale_listings(gift(), "", 10)
            .await
            .expect("page")
            .count,
        1
    );
    // The clock is real, so the margin is wide: a loaded machine may be slow over the first poll.
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let page = wire.resale_listings(gift(), "", 10).await.expect("page");
    assert_eq!((page.count, page.listings.len()), (0, 0));
    assert_eq!(
        wire.buy_resale(buy("gift77-1", Recipient::Buyer, 10)).await,
        Err(TelegramError::Rpc {
            code: 400,
            name: "STARGIFT_NOT_FOUND".into()
        })
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_resale_purchase_whose_connection_dropped_after_it_ran_is_unknown_and_never_resent() {
    use giftbuyer_tgserver::{FaultAction, FaultRule};
    use grammers_tl_types::{Identifiable, functions};
    let market = market();
    let server = market_server(&market).await;
    let wire = adapter_account(&server, USER, 2);
    server.faults().add(FaultRule {
        method: functions::payments::SendStarsForm::CONSTRUCTOR_ID,
        user: Some(USER),
        times: 1,
        action: FaultAction::DropAfter,
    });
    let outcome = wire
        .buy_resale(buy("gift77-1", Recipient::Buyer, 500))
        .await;
    assert!(
        matches!(outcome, Err(TelegramError::Network(_))),
        "{outcome:?}"
    );
    // Give a resend every chance to arrive: there must be none, and the item is sold once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(market.resale_purchases().len(), 1);
    assert_eq!(
        server
            .stats()
            .calls(functions::payments::SendStarsForm::CONSTRUCTOR_ID),
        1
    );
    server.shutdown().await;
}
