//! The resale market: listings appear and are taken by competitors on time, pages come
//! cheapest first, and a purchase's rules apply in order and take each item once.

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{ChannelAccess, ResalePurchaseRequest, TelegramAccount, TelegramError};
use giftbuyer_core::resale::Recipient;
use giftbuyer_sim::{AccountSpec, ResaleSpec, drop_file};

use crate::support::*;

fn rpc(name: &str) -> TelegramError {
    TelegramError::Rpc {
        code: 400,
        name: name.into(),
    }
}

fn slugs(page: &giftbuyer_core::ports::ResalePage) -> Vec<&str> {
    page.listings
        .iter()
        .map(|listing| listing.slug.as_str())
        .collect()
}

fn resale_buy(slug: &str, price: u64, recipient: Recipient) -> ResalePurchaseRequest {
    ResalePurchaseRequest {
        slug: slug.into(),
        recipient,
        price: Stars::new(price),
    }
}

#[tokio::test(start_paused = true)]
async fn listings_come_cheapest_first_in_pages_while_they_are_on_sale() {
    let config = quiet_config(1)
        .account(buyer(1, 10_000))
        .listing(ResaleSpec::new(gift_id(7), 3, Stars::new(900)))
        .listing(ResaleSpec::new(gift_id(7), 1, Stars::new(500)))
        .listing(ResaleSpec::new(gift_id(7), 2, Stars::new(500)).taken_at(ms(1_000)))
        .listing(ResaleSpec::new(gift_id(7), 4, Stars::new(100)).listed_at(ms(2_000)))
        .listing(ResaleSpec::new(gift_id(8), 1, Stars::new(1)));
    let (market, clock) = start(config);
    let buyer = account(&market, 1);

    let first = buyer
        .resale_listings(gift_id(7), "", 2)
        .await
        .expect("page");
    assert_eq!(slugs(&first), ["gift7-1", "gift7-2"]);
    assert_eq!((first.count, first.next_offset.as_deref()), (3, Some("2")));
    let second = buyer
        .resale_listings(gift_id(7), "2", 2)
        .await
        .expect("page");
    assert_eq!(slugs(&second), ["gift7-3"]);
    assert_eq!(second.next_offset, None);

    // A competitor takes item 2 at 1 s; item 4 is listed at 2 s, the cheapest.
    clock.advance_to(ms(2_000)).await;
    let later = buyer
        .resale_listings(gift_id(7), "", 10)
        .await
        .expect("page");
    assert_eq!(slugs(&later), ["gift7-4", "gift7-1", "gift7-3"]);

    assert_eq!(
        buyer.resale_listings(gift_id(7), "", 0).await,
        Err(rpc("LIMIT_INVALID"))
    );
    assert_eq!(
        buyer.resale_listings(gift_id(7), "x", 5).await,
        Err(rpc("OFFSET_INVALID"))
    );
}

#[tokio::test(start_paused = true)]
async fn resale_purchase_rules_apply_in_order_and_each_item_sells_once() {
    let premium_item = {
        let mut spec = ResaleSpec::new(gift_id(7), 5, Stars::new(50));
        spec.listing.require_premium = true;
        spec
    };
    let config = quiet_config(1)
        .account(
            buyer(1, 1_000)
                .channel(channel(2), ChannelAccess::ReadOnly)
                .channel(channel(3), ChannelAccess::NotMember),
        )
        .account(AccountSpec::new(account_id(2), Stars::new(10)).premium())
        .listing(ResaleSpec::new(gift_id(7), 1, Stars::new(500)))
        .listing(ResaleSpec::new(gift_id(7), 2, Stars::new(300)).taken_at(ms(10)))
        .listing(ResaleSpec::new(gift_id(7), 3, Stars::new(400)).listed_at(ms(60_000)))
        .listing(premium_item);
    let (market, clock) = start(config);
    clock.advance_to(ms(20)).await;
    let (first, poor) = (account(&market, 1), account(&market, 2));
    let to_post = Recipient::Channel(channel(1));
    let cases = [
        (
            &first,
            resale_buy("gift7-1", 500, Recipient::Channel(channel(3))),
            TelegramError::NotMember,
        ),
        (
            &first,
            resale_buy("gift7-1", 500, Recipient::Channel(channel(2))),
            TelegramError::ChatWriteForbidden,
        ),
        (
            &first,
            resale_buy("nope", 500, to_post),
            rpc("STARGIFT_SLUG_INVALID"),
        ),
        // Not listed yet reads as unknown, as on Telegram.
        (
            &first,
            resale_buy("gift7-3", 400, to_post),
            rpc("STARGIFT_SLUG_INVALID"),
        ),
        // Taken by a competitor at 10 ms.
        (
            &first,
            resale_buy("gift7-2", 300, to_post),
            rpc("STARGIFT_NOT_FOUND"),
        ),
        (
            &first,
            resale_buy("gift7-5", 50, Recipient::Buyer),
            TelegramError::PremiumRequired,
        ),
        (
            &first,
            resale_buy("gift7-1", 450, to_post),
            TelegramError::PriceChanged {
                expected: Stars::new(450),
                actual: Stars::new(500),
            },
        ),
        (
            &poor,
            resale_buy("gift7-5", 50, Recipient::Buyer),
            TelegramError::BalanceTooLow,
        ),
    ];
    for (account, request, expected) in cases {
        assert_eq!(
            account.buy_resale(request.clone()).await,
            Err(expected),
            "{request:?}"
        );
    }
    assert!(market.resale_purchases().is_empty());

    first
        .buy_resale(resale_buy("gift7-1", 500, to_post))
        .await
        .expect("bought");
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(500)));
    // The item is gone: nobody buys it twice, and it leaves the listings.
    assert_eq!(
        first.buy_resale(resale_buy("gift7-1", 500, to_post)).await,
        Err(rpc("STARGIFT_NOT_FOUND"))
    );
    let page = first
        .resale_listings(gift_id(7), "", 10)
        .await
        .expect("page");
    assert_eq!(slugs(&page), ["gift7-5"]);
    let purchases = market.resale_purchases();
    assert_eq!(purchases.len(), 1);
    assert_eq!(
        (
            purchases[0].slug.as_str(),
            purchases[0].price,
            purchases[0].recipient
        ),
        ("gift7-1", Stars::new(500), to_post)
    );
}

#[test]
fn resale_listings_in_a_drop_file_name_their_field() {
    let base = |resale: &str| {
        format!(
            r#"{{"duration_ms": 1000, "accounts": [{{"id": 1, "balance": 10}}], "resale": [{resale}]}}"#
        )
    };
    let parsed = drop_file::parse(&base(
        r#"{"gift_id": 7, "num": 3, "price": 900, "model": "Cap", "at_ms": 10, "taken_ms": 500}"#,
    ))
    .expect("valid");
    let listing = &parsed.config.resale[0];
    assert_eq!(listing.listing.slug, "gift7-3");
    assert_eq!(listing.listing.attributes.model.as_deref(), Some("Cap"));
    assert_eq!(
        (listing.listed_at, listing.taken_at),
        (ms(10), Some(ms(500)))
    );
    let error = |resale: &str| {
        drop_file::parse(&base(resale))
            .expect_err("invalid")
            .to_string()
    };
    assert_eq!(
        error(r#"{"gift_id": 7, "num": 3, "price": 0}"#),
        "resale[0].price: must be positive, got 0"
    );
    assert_eq!(
        error(r#"{"gift_id": 7, "num": 0, "price": 5}"#),
        "resale[0].num: must be positive, got 0"
    );
    assert_eq!(
        error(r#"{"gift_id": 7, "num": 1, "price": 5, "at_ms": 10, "taken_ms": 5}"#),
        "resale[0].taken_ms: must not be before at_ms 10, got 5"
    );
    assert_eq!(
        error(r#"{"gift_id": 7, "num": 1, "price": 5}, {"gift_id": 7, "num": 1, "price": 6}"#),
        "resale[1].slug: duplicate slug \"gift7-1\""
    );
    assert_eq!(
        error(r#"{"gift_id": 7, "num": 1, "price": 5, "slug": "two words"}"#),
        "resale[0].slug: must be a non-empty word"
    );
}

#[test]
fn watches_in_a_drop_file_name_their_field() {
    let base = |watches: &str| {
        format!(
            r#"{{"duration_ms": 1000, "channels": [{{"id": 1, "channel_id": -1001234567890}}], "watches": [{watches}]}}"#
        )
    };
    let parsed = drop_file::parse(&base(
        r#"{"gift_id": 7, "max_price": 900, "model": " Cap ", "to_channel_id": -1001234567890}"#,
    ))
    .expect("valid");
    let watch = &parsed.watches[0];
    assert_eq!((watch.copies, watch.max_price), (1, Stars::new(900)));
    assert_eq!(watch.attributes.model(), Some("cap"));
    assert_eq!(
        watch.recipient,
        Recipient::Channel(channel_of(-1_001_234_567_890))
    );
    let error = |watches: &str| {
        drop_file::parse(&base(watches))
            .expect_err("invalid")
            .to_string()
    };
    assert_eq!(
        error(r#"{"gift_id": 0, "max_price": 5}"#),
        "watches[0].gift_id: gift id must be positive, got 0"
    );
    assert_eq!(
        error(r#"{"gift_id": 7, "max_price": 0}"#),
        "watches[0].max_price: must be positive, got 0"
    );
    assert_eq!(
        error(r#"{"gift_id": 7, "max_price": 5, "copies": 101}"#),
        "watches[0].copies: must be between 1 and 100, got 101"
    );
    assert_eq!(
        error(r#"{"gift_id": 7, "max_price": 5, "symbol": ""}"#),
        "watches[0].symbol: symbol must be 1 to 64 characters without control characters"
    );
    assert_eq!(
        error(r#"{"gift_id": 7, "max_price": 5, "to_channel_id": -1009999999999}"#),
        "watches[0].to_channel_id: -1009999999999 is not one of channels[]"
    );
}

fn channel_of(raw: i64) -> giftbuyer_core::ChannelId {
    giftbuyer_core::ChannelId::new(raw).expect("valid channel")
}
