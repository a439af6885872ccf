//! Injected faults: errors on chosen calls, hangs that did or did not buy, disconnects, and
//! faults added and removed at run time.

use std::time::Duration;

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{Clock as _, TelegramAccount, TelegramError};
use giftbuyer_sim::{Demand, Fault, FaultAction, FaultWhen, GiftSpec, MarketConfig, Method};

use crate::support::*;

fn shop() -> MarketConfig {
    quiet_config(3)
        .account(buyer(1, 1_000))
        .account(buyer(2, 1_000))
        .gift(GiftSpec::limited(gift_id(7), Stars::new(100), 50).demand(Demand::Nobody))
}

#[tokio::test(start_paused = true)]
async fn an_error_fault_hits_the_chosen_call_of_the_chosen_account() {
    let config = shop().fault(
        Fault::new(
            Method::Buy,
            FaultWhen::Calls { first: 2, last: 2 },
            FaultAction::Error(TelegramError::FloodWait { seconds: 7 }),
        )
        .for_account(account_id(1)),
    );
    let (market, _clock) = start(config);
    let first = account(&market, 1);
    let second = account(&market, 2);
    assert!(first.buy_gift(request(7, 100, 1)).await.is_ok());
    assert!(second.buy_gift(request(7, 100, 1)).await.is_ok());
    assert!(
        second.buy_gift(request(7, 100, 1)).await.is_ok(),
        "other accounts are spared"
    );
    assert_eq!(
        first.buy_gift(request(7, 100, 1)).await,
        Err(TelegramError::FloodWait { seconds: 7 })
    );
    assert!(first.buy_gift(request(7, 100, 1)).await.is_ok());
    assert_eq!(market.call_count(account_id(1), Method::Buy), 3);
    // The failed call bought nothing.
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(800)));
    assert_eq!(market.purchases().len(), 4);
    assert_eq!(market.faults_hit(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_retired_gift_leaves_the_catalog_and_keeps_its_purchases() {
    let (market, _clock) = start(shop());
    let buyer = account(&market, 1);
    assert!(buyer.buy_gift(request(7, 100, 1)).await.is_ok());
    assert!(market.retire_gift(gift_id(7)));
    assert!(!market.retire_gift(gift_id(7)), "already gone");
    assert_eq!(market.gift(gift_id(7)), None);
    match buyer.star_gifts(0).await.expect("a catalog") {
        giftbuyer_core::ports::CatalogResponse::Catalog { gifts, .. } => assert!(gifts.is_empty()),
        other => panic!("{other:?}"),
    }
    assert_eq!(market.purchases().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_hang_after_executing_times_out_the_caller_but_the_gift_is_bought() {
    let config = shop().fault(Fault::new(
        Method::Buy,
        FaultWhen::Always,
        FaultAction::Hang {
            duration: Duration::from_secs(60),
            executed: true,
        },
    ));
    let (market, clock) = start(config);
    let account = account(&market, 1);
    let timed_out =
        tokio::time::timeout(Duration::from_secs(5), account.buy_gift(request(7, 100, 1))).await;
    assert!(timed_out.is_err(), "the caller's timeout fires");
    assert_eq!(market.purchases().len(), 1, "the server bought it anyway");
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(900)));

    // Waited out, the late answer is the receipt.
    let started = clock.elapsed();
    let receipt = account
        .buy_gift(request(7, 100, 1))
        .await
        .expect("late receipt");
    assert_eq!(clock.elapsed() - started, Duration::from_secs(60));
    assert_eq!(market.purchases()[1].form_id, receipt.form_id);
}

#[tokio::test(start_paused = true)]
async fn a_hang_before_executing_times_out_and_buys_nothing() {
    let config = shop().fault(Fault::new(
        Method::Buy,
        FaultWhen::Always,
        FaultAction::Hang {
            duration: Duration::from_secs(60),
            executed: false,
        },
    ));
    let (market, clock) = start(config);
    let account = account(&market, 1);
    let timed_out =
        tokio::time::timeout(Duration::from_secs(5), account.buy_gift(request(7, 100, 1))).await;
    assert!(timed_out.is_err());
    let result = account.buy_gift(request(7, 100, 1)).await;
    assert!(
        matches!(result, Err(TelegramError::Network(_))),
        "{result:?}"
    );
    assert_eq!(clock.elapsed(), Duration::from_secs(65));
    assert!(market.purchases().is_empty());
    assert_eq!(market.balance(account_id(1)), Some(Stars::new(1_000)));
}

#[tokio::test(start_paused = true)]
async fn a_disconnect_fails_with_a_network_error_after_or_before_executing() {
    for executed in [true, false] {
        let config = shop().fault(Fault::new(
            Method::Buy,
            FaultWhen::Calls { first: 1, last: 1 },
            FaultAction::Disconnect { executed },
        ));
        let (market, _clock) = start(config);
        let result = account(&market, 1).buy_gift(request(7, 100, 1)).await;
        assert!(
            matches!(result, Err(TelegramError::Network(_))),
            "{result:?}"
        );
        assert_eq!(
            market.purchases().len(),
            usize::from(executed),
            "executed: {executed}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn faults_can_be_injected_and_removed_while_running() {
    let (market, clock) = start(shop());
    let account = account(&market, 1);
    let fault = market
        .inject_fault(
            Fault::new(
                Method::Catalog,
                FaultWhen::Window {
                    from: ms(1_000),
                    until: ms(2_000),
                },
                FaultAction::Error(TelegramError::AuthKeyUnregistered),
            )
            .for_account(account_id(1)),
        )
        .expect("valid fault");
    assert!(account.star_gifts(0).await.is_ok(), "before the window");
    clock.advance_to(ms(1_000)).await;
    assert_eq!(
        account.star_gifts(0).await,
        Err(TelegramError::AuthKeyUnregistered)
    );
    assert!(market.remove_fault(fault));
    assert!(account.star_gifts(0).await.is_ok(), "removed");

    market
        .inject_fault(Fault::new(
            Method::Balance,
            FaultWhen::Probability(1.0),
            FaultAction::Error(TelegramError::Timeout),
        ))
        .expect("valid fault");
    assert_eq!(account.stars_balance().await, Err(TelegramError::Timeout));
    market.clear_faults();
    assert_eq!(account.stars_balance().await, Ok(Stars::new(1_000)));

    assert!(
        market
            .inject_fault(Fault::new(
                Method::Buy,
                FaultWhen::Probability(2.0),
                FaultAction::Disconnect { executed: false },
            ))
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn a_probability_fault_hits_some_calls() {
    let config = shop().fault(Fault::new(
        Method::Profile,
        FaultWhen::Probability(0.5),
        FaultAction::Error(TelegramError::Timeout),
    ));
    let (market, _clock) = start(config);
    let account = account(&market, 1);
    let mut failed = 0;
    for _ in 0..100 {
        if account.profile().await.is_err() {
            failed += 1;
        }
    }
    assert!((25..75).contains(&failed), "{failed} of 100 failed");
    assert_eq!(market.faults_hit(), failed);
}
