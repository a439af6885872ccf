//! Competing buyers: drops drain along the curve and sell out on time, together with our own
//! purchases, and the stock never goes below zero.

use std::time::Duration;

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{TelegramAccount, TelegramError};
use giftbuyer_sim::{CompetitorConfig, Demand, GiftSpec, MarketConfig, sellout_time};

use crate::support::*;

#[test]
fn calibration_matches_the_real_drops() {
    let real = [
        (5_000, 12),
        (12_000, 30),
        (15_000, 48),
        (120_000, 5 * 60),
        (600_000, 37 * 60),
    ];
    for (supply, secs) in real {
        assert_eq!(
            sellout_time(supply),
            Duration::from_secs(secs),
            "{supply} copies"
        );
    }
    let between = sellout_time(50_000);
    assert!(between > Duration::from_secs(48) && between < Duration::from_secs(300));
}

#[tokio::test(start_paused = true)]
async fn competitors_empty_a_drop_exactly_at_its_sellout_time() {
    let release = ms(5_000);
    let config = quiet_config(1)
        .account(buyer(1, 0))
        .gift(GiftSpec::limited(gift_id(9001), Stars::new(30_000), 5_000).released_at(release));
    let (market, clock) = start(config);
    let sellout = release + Duration::from_secs(12);
    assert_eq!(
        market
            .gift(gift_id(9001))
            .expect("known")
            .competitors_sellout_at,
        Some(sellout)
    );

    let mut previous = 5_000;
    let mut samples = Vec::new();
    let mut at = Duration::ZERO;
    while at < sellout {
        clock.advance_to(at).await;
        let gift = market.gift(gift_id(9001)).expect("known");
        let remaining = gift.remaining.expect("limited");
        assert!(remaining <= previous, "the stock never grows back");
        assert!(remaining > 0, "nothing sells out early");
        assert_eq!(gift.sold_to_competitors + remaining, 5_000);
        previous = remaining;
        samples.push((at, remaining));
        at += ms(250);
    }
    let remaining_at = |ms_: u64| {
        samples
            .iter()
            .find(|(at, _)| *at == ms(ms_))
            .map(|(_, remaining)| *remaining)
    };
    // Nothing sells before the competitors react (300 ms after the release).
    assert_eq!(remaining_at(5_250), Some(5_000));
    // Fast at first: more than a quarter goes in the first 2.25 seconds of twelve.
    assert!(remaining_at(7_250).expect("sampled") < 3_750);

    clock.advance_to(sellout - ms(1)).await;
    assert_eq!(
        market.gift(gift_id(9001)).expect("known").remaining,
        Some(1)
    );
    clock.advance_to(sellout).await;
    let gift = market.gift(gift_id(9001)).expect("known");
    assert_eq!((gift.remaining, gift.sold_out), (Some(0), true));
    clock.advance_to(sellout + Duration::from_secs(60)).await;
    let gift = market.gift(gift_id(9001)).expect("known");
    assert_eq!((gift.remaining, gift.sold_to_competitors), (Some(0), 5_000));

    let (_, gifts) = catalog(&account(&market, 1)).await;
    assert_eq!((gifts[0].sold_out, gifts[0].remaining), (true, Some(0)));
}

#[tokio::test(start_paused = true)]
async fn a_larger_drop_takes_its_calibrated_time() {
    let config = quiet_config(1)
        .gift(GiftSpec::limited(gift_id(1), Stars::new(1_000), 120_000).released_at(ms(1_000)));
    let (market, clock) = start(config);
    clock.advance_to(ms(1_000 + 299_999)).await;
    assert!(!market.gift(gift_id(1)).expect("known").sold_out);
    clock.advance_to(ms(1_000 + 300_000)).await;
    assert!(market.gift(gift_id(1)).expect("known").sold_out);
}

#[tokio::test(start_paused = true)]
async fn our_purchases_take_from_the_same_stock_and_it_never_goes_negative() {
    let config = quiet_config(1).account(buyer(1, 1_000_000)).gift(
        GiftSpec::limited(gift_id(7), Stars::new(100), 100)
            .demand(Demand::SellsOutAfter(Duration::from_secs(10))),
    );
    let mut config = config;
    config.competitors = CompetitorConfig {
        reaction: Duration::ZERO,
        curve: 1.0,
    };
    let (market, clock) = start(config);
    let account = account(&market, 1);

    clock.advance_to(ms(5_000)).await;
    assert_eq!(market.gift(gift_id(7)).expect("known").remaining, Some(50));
    for _ in 0..20 {
        account.buy_gift(request(7, 100, 1)).await.expect("bought");
    }
    let gift = market.gift(gift_id(7)).expect("known");
    assert_eq!((gift.remaining, gift.sold_by_us), (Some(30), 20));
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(998_000)));

    // The competitors still want 90 by 9 s; only 30 are left, and they get exactly those.
    clock.advance_to(ms(9_000)).await;
    let gift = market.gift(gift_id(7)).expect("known");
    assert_eq!(
        (
            gift.remaining,
            gift.sold_out,
            gift.sold_to_competitors,
            gift.sold_by_us
        ),
        (Some(0), true, 80, 20)
    );
    assert_eq!(
        account.buy_gift(request(7, 100, 1)).await,
        Err(TelegramError::GiftSoldOut)
    );
    clock.advance_to(ms(20_000)).await;
    let gift = market.gift(gift_id(7)).expect("known");
    assert_eq!((gift.remaining, gift.sold_to_competitors), (Some(0), 80));
    assert_eq!(market.purchases().len(), 20);
}

#[tokio::test(start_paused = true)]
async fn a_catalog_gift_without_sellout_keeps_its_stock_for_us() {
    let config = quiet_config(1).account(buyer(1, 1_000)).gift(
        GiftSpec::limited(gift_id(7), Stars::new(100), 100)
            .remaining(2)
            .demand(Demand::Nobody),
    );
    let (market, clock) = start(config);
    clock.advance_to(Duration::from_secs(3_600)).await;
    assert_eq!(market.gift(gift_id(7)).expect("known").remaining, Some(2));
    let account = account(&market, 1);
    account.buy_gift(request(7, 100, 1)).await.expect("bought");
    account.buy_gift(request(7, 100, 1)).await.expect("bought");
    assert_eq!(
        account.buy_gift(request(7, 100, 1)).await,
        Err(TelegramError::GiftSoldOut)
    );
}

#[tokio::test(start_paused = true)]
async fn a_resumed_market_shows_its_drops_as_an_uninterrupted_one_would() {
    let config = || {
        quiet_config(3).account(buyer(1, 0)).gift(
            GiftSpec::limited(gift_id(9001), Stars::new(1_000), 120_000).released_at(ms(10_000)),
        )
    };
    // One market ran for 70 s; the other, restarted, resumes at 60 s and runs 10 s more.
    let (uninterrupted, clock) = start(config());
    let (resumed, _) = start(MarketConfig {
        resumed_at: Duration::from_secs(60),
        ..config()
    });
    let fresh = resumed.gift(gift_id(9001)).expect("the drop");
    assert!(fresh.released, "released before the restart: {fresh:?}");
    clock.advance_to(Duration::from_secs(10)).await;
    let resumed = resumed.gift(gift_id(9001)).expect("the drop");
    clock.advance_to(Duration::from_secs(70)).await;
    let uninterrupted = uninterrupted.gift(gift_id(9001)).expect("the drop");
    assert_eq!(resumed, uninterrupted);
    assert!(
        resumed
            .remaining
            .is_some_and(|left| 0 < left && left < 120_000)
    );
}
