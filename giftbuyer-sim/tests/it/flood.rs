//! Flood limits: catalog polling faster than allowed, and purchase bursts.

use std::time::Duration;

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{TelegramAccount, TelegramError};
use giftbuyer_sim::{Demand, FloodConfig, GiftSpec};

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn polling_the_catalog_too_often_makes_the_account_wait() {
    let mut config = quiet_config(1).account(buyer(1, 0)).account(buyer(2, 0));
    config.flood = FloodConfig {
        catalog_min_interval: Duration::from_secs(1),
        flood_wait_seconds: 3,
        ..FloodConfig::NONE
    };
    let (market, clock) = start(config);
    let first = account(&market, 1);
    assert!(first.star_gifts(0).await.is_ok());
    clock.advance_to(ms(500)).await;
    assert_eq!(
        first.star_gifts(0).await,
        Err(TelegramError::FloodWait { seconds: 3 })
    );
    // Other accounts have their own budget.
    assert!(account(&market, 2).star_gifts(0).await.is_ok());
    // Calling during the penalty is refused with the seconds left.
    clock.advance_to(ms(2_000)).await;
    assert_eq!(
        first.star_gifts(0).await,
        Err(TelegramError::FloodWait { seconds: 2 })
    );
    clock.advance_to(ms(3_500)).await;
    assert!(first.star_gifts(0).await.is_ok());
    clock.advance_to(ms(4_500)).await;
    assert!(
        first.star_gifts(0).await.is_ok(),
        "one call per interval is fine"
    );
}

#[tokio::test(start_paused = true)]
async fn purchase_bursts_over_the_limit_wait_and_buy_nothing() {
    let mut config = quiet_config(1)
        .account(buyer(1, 1_000))
        .gift(GiftSpec::limited(gift_id(7), Stars::new(1), 100).demand(Demand::Nobody));
    config.flood = FloodConfig {
        purchases_per_second: Some(3),
        flood_wait_seconds: 2,
        ..FloodConfig::NONE
    };
    let (market, clock) = start(config);
    let account = account(&market, 1);
    for _ in 0..3 {
        account.buy_gift(request(7, 1, 1)).await.expect("bought");
    }
    assert_eq!(
        account.buy_gift(request(7, 1, 1)).await,
        Err(TelegramError::FloodWait { seconds: 2 })
    );
    assert_eq!(market.purchases().len(), 3);
    clock.advance_to(ms(2_000)).await;
    account
        .buy_gift(request(7, 1, 1))
        .await
        .expect("bought after the wait");
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(996)));
}

#[tokio::test(start_paused = true)]
async fn polling_resale_listings_too_often_makes_the_account_wait_but_not_the_catalog() {
    let mut config = quiet_config(1).account(buyer(1, 0)).account(buyer(2, 0));
    config.flood = FloodConfig {
        resale_min_interval: Duration::from_secs(2),
        flood_wait_seconds: 4,
        ..FloodConfig::NONE
    };
    let (market, clock) = start(config);
    let first = account(&market, 1);
    assert!(first.resale_listings(gift_id(7), "", 10).await.is_ok());
    clock.advance_to(ms(1_500)).await;
    assert_eq!(
        first.resale_listings(gift_id(7), "", 10).await.map(|_| ()),
        Err(TelegramError::FloodWait { seconds: 4 })
    );
    // Its catalog polls and the other account's resale polls have budgets of their own.
    assert!(first.star_gifts(0).await.is_ok());
    assert!(
        account(&market, 2)
            .resale_listings(gift_id(7), "", 10)
            .await
            .is_ok()
    );
    clock.advance_to(ms(5_600)).await;
    assert!(
        first.resale_listings(gift_id(7), "", 10).await.is_ok(),
        "the penalty was waited out"
    );
}
