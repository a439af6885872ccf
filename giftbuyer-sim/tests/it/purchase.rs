//! Purchases: the rules in Telegram's order, what a purchase changes, and that a request is
//! judged when it arrives.

use std::time::Duration;

use giftbuyer_core::ports::{
    ChannelAccess, Clock as _, PurchaseRequest, TelegramAccount, TelegramError,
};
use giftbuyer_core::{Recipient, Stars};
use giftbuyer_sim::{
    AccountSpec, AuctionSpec, CompetitorConfig, Demand, GiftSpec, Latency, LatencyConfig,
    MarketConfig, Purchase,
};

use crate::support::*;

fn rpc(name: &str) -> TelegramError {
    TelegramError::Rpc {
        code: 400,
        name: name.into(),
    }
}

/// Each case breaks one rule and passes every rule checked before it, so the error shows
/// which rule comes first; where possible it also breaks a later rule, to show the order.
#[tokio::test(start_paused = true)]
async fn purchase_rules_apply_in_order() {
    let premium = AccountSpec::new(account_id(1), Stars::new(1_000))
        .premium()
        .channel(channel(1), ChannelAccess::CanPost)
        .channel(channel(2), ChannelAccess::ReadOnly)
        .channel(channel(4), ChannelAccess::NotMember);
    let regular = buyer(2, 1_000);
    let poor = buyer(3, 10).premium();
    let nobody = Demand::Nobody;
    let config = quiet_config(1)
        .account(premium)
        .account(regular)
        .account(poor)
        .gift(
            GiftSpec::limited(gift_id(10), Stars::new(50), 5)
                .remaining(0)
                .premium_only()
                .demand(nobody),
        )
        .gift(
            GiftSpec::limited(gift_id(20), Stars::new(50), 100)
                .premium_only()
                .locked_for(account_id(2), unix(START_UNIX + 3_600))
                .demand(nobody),
        )
        .gift(
            GiftSpec::limited(gift_id(30), Stars::new(50), 100)
                .locked_for(account_id(1), unix(START_UNIX + 3_600))
                .per_user_limit(0)
                .demand(nobody),
        )
        .gift(
            GiftSpec::limited(gift_id(40), Stars::new(50), 100)
                .per_user_limit(0)
                .demand(nobody),
        )
        .gift(GiftSpec::limited(gift_id(50), Stars::new(50), 100).demand(nobody))
        .gift(
            GiftSpec::limited(gift_id(60), Stars::new(50), 100)
                .released_at(Duration::from_secs(3_600))
                .demand(nobody),
        )
        .gift(
            GiftSpec::limited(gift_id(70), Stars::new(50), 5)
                .remaining(0)
                .auctioned(AuctionSpec::new(5, Duration::ZERO))
                .demand(nobody),
        );
    let (market, _clock) = start(config);

    let cases: [(i64, PurchaseRequest, TelegramError); 12] = [
        // An unknown channel, though the gift is sold out too.
        (1, request(10, 50, 3), TelegramError::NotMember),
        (1, request(10, 50, 4), TelegramError::NotMember),
        (1, request(10, 50, 2), TelegramError::ChatWriteForbidden),
        (1, request(999, 50, 1), rpc("STARGIFT_INVALID")),
        // Not released yet.
        (1, request(60, 50, 1), rpc("STARGIFT_INVALID")),
        // Sold by auction, which takes bids only; this comes before its being sold out.
        (1, request(70, 50, 1), rpc("STARGIFT_INVALID")),
        // Sold out comes before Premium.
        (2, request(10, 50, 1), TelegramError::GiftSoldOut),
        // Premium comes before the lock.
        (2, request(20, 50, 1), TelegramError::PremiumRequired),
        // The lock comes before the per-user limit.
        (1, request(30, 50, 1), rpc("STARGIFT_LOCKED")),
        // The per-user limit comes before the price.
        (1, request(40, 60, 1), TelegramError::UserLimitReached),
        // The price comes before the balance.
        (
            3,
            request(50, 60, 1),
            TelegramError::PriceChanged {
                expected: Stars::new(60),
                actual: Stars::new(50),
            },
        ),
        (3, request(50, 50, 1), TelegramError::BalanceTooLow),
    ];
    for (account_n, request, expected) in cases {
        let result = account(&market, account_n).buy_gift(request.clone()).await;
        assert_eq!(result, Err(expected), "account {account_n}, {request:?}");
    }
    assert!(
        market.purchases().is_empty(),
        "no refused request changed anything"
    );
    assert_eq!(market.balance(account_id(3)), Some(Stars::new(10)));

    let receipt = account(&market, 1)
        .buy_gift(request(50, 50, 1))
        .await
        .expect("every rule passes");
    assert!(receipt.form_id > 0);
}

#[tokio::test(start_paused = true)]
async fn a_purchase_takes_stars_and_a_copy_and_is_logged() {
    let config = quiet_config(1).account(buyer(1, 1_000)).gift(
        GiftSpec::limited(gift_id(7), Stars::new(300), 10)
            .per_user_limit(2)
            .demand(Demand::Nobody),
    );
    let (market, clock) = start(config);
    let account = account(&market, 1);
    clock.advance_to(ms(1_500)).await;
    let mut request = request(7, 300, 1);
    request.hide_name = true;
    request.message = Some("for the channel".into());

    let first = account.buy_gift(request.clone()).await.expect("bought");
    let second = account.buy_gift(request.clone()).await.expect("bought");
    assert_ne!(first.form_id, second.form_id);
    assert_eq!(
        account.buy_gift(request.clone()).await,
        Err(TelegramError::UserLimitReached)
    );
    assert_eq!(account.stars_balance().await, Ok(Stars::new(400)));
    let gift = market.gift(gift_id(7)).expect("known");
    assert_eq!((gift.remaining, gift.sold_by_us), (Some(8), 2));

    let log = market.purchases();
    assert_eq!(
        log[0],
        Purchase {
            form_id: first.form_id,
            account: account_id(1),
            recipient: Recipient::Channel(channel(1)),
            gift: gift_id(7),
            price: Stars::new(300),
            at: ms(1_500),
            unix: unix(START_UNIX + 1),
            hide_name: true,
            message: Some("for the channel".into()),
        }
    );
    assert_eq!(log[1].form_id, second.form_id);
    assert_eq!(log.len(), 2);
}

/// A market where competitors sell 1000 copies out linearly between 0 and 10 s, requests take
/// 100 ms there and back, and account 2 has a link 400 ms slower.
fn race_market() -> MarketConfig {
    MarketConfig {
        latency: LatencyConfig::uniform(Latency::new(ms(100), Duration::ZERO)),
        competitors: CompetitorConfig {
            reaction: Duration::ZERO,
            curve: 1.0,
        },
        ..quiet_config(1)
    }
    .account(buyer(1, 1_000))
    .account(buyer(2, 1_000).extra_rtt(ms(400)))
    .gift(
        GiftSpec::limited(gift_id(7), Stars::new(10), 1_000)
            .demand(Demand::SellsOutAfter(Duration::from_secs(10))),
    )
}

#[tokio::test(start_paused = true)]
async fn a_request_is_judged_when_it_arrives_so_the_slower_link_loses() {
    for (account_n, expected) in [(1, Ok(())), (2, Err(TelegramError::GiftSoldOut))] {
        let (market, clock) = start(race_market());
        // Both accounts send while 10 copies are left: the fast request lands at 9.95 s, with
        // 5 left; the slow one lands at 10.15 s, after the last copy went at 10 s.
        clock.advance_to(ms(9_900)).await;
        let left = market.gift(gift_id(7)).expect("known").remaining;
        assert!(
            matches!(left, Some(10 | 11)),
            "{left:?} left when the requests leave"
        );
        let result = account(&market, account_n)
            .buy_gift(request(7, 10, 1))
            .await
            .map(|_| ());
        assert_eq!(result, expected, "account {account_n}");
        let arrival = match account_n {
            1 => ms(9_950),
            _ => ms(10_150),
        };
        if let Some(purchase) = market.purchases().first() {
            assert_eq!(purchase.at, arrival);
        }
        assert_eq!(
            clock.elapsed(),
            arrival * 2 - ms(9_900),
            "the answer takes the other half of the round trip"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn concurrent_buyers_race_for_the_last_copies_by_arrival() {
    let config =
        race_market().gift(GiftSpec::limited(gift_id(8), Stars::new(10), 1).demand(Demand::Nobody));
    let (market, _clock) = start(config);
    let slow = account(&market, 2);
    let fast = account(&market, 1);
    // The slow account sends first, yet its request lands 250 ms after the fast one's.
    let slow_task = tokio::spawn(async move { slow.buy_gift(request(8, 10, 1)).await });
    tokio::time::sleep(ms(1)).await;
    let fast_result = fast.buy_gift(request(8, 10, 1)).await;
    let slow_result = slow_task.await.expect("joined");
    assert!(fast_result.is_ok());
    assert_eq!(slow_result, Err(TelegramError::GiftSoldOut));
    assert_eq!(market.purchases()[0].account, account_id(1));
}
