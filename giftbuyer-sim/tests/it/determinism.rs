//! Determinism: the same seed gives the same purchases and the same catalog over time, even
//! with jitter, faults and several accounts racing.

use std::time::Duration;

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{ChannelAccess, TelegramError};
use giftbuyer_sim::{
    Fault, FaultAction, FaultWhen, FloodConfig, GiftSnapshot, GiftSpec, Market, MarketConfig,
    Method, Purchase,
};

use crate::support::*;

fn config(seed: u64) -> MarketConfig {
    let mut config = MarketConfig::with_seed(seed)
        .account(buyer(1, 200_000).premium())
        .account(buyer(2, 90_000).extra_rtt(ms(40)))
        .account(buyer(3, 30_000).channel(channel(2), ChannelAccess::CanPost))
        .gift(GiftSpec::unlimited(gift_id(10), Stars::new(15)))
        .gift(
            GiftSpec::limited(gift_id(9001), Stars::new(30_000), 5_000)
                .premium_only()
                .released_at(ms(3_000)),
        )
        .gift(
            GiftSpec::limited(gift_id(9002), Stars::new(5_000), 15_000)
                .per_user_limit(3)
                .released_at(ms(3_000)),
        )
        .gift(GiftSpec::limited(gift_id(9003), Stars::new(1_000), 1_200).released_at(ms(9_000)))
        .fault(Fault::new(
            Method::Buy,
            FaultWhen::Probability(0.2),
            FaultAction::Error(TelegramError::FormExpired),
        ))
        .fault(Fault::new(
            Method::Catalog,
            FaultWhen::Probability(0.1),
            FaultAction::Disconnect { executed: false },
        ));
    config.flood = FloodConfig::default();
    config
}

/// Runs three naive buyers for 30 virtual seconds on a fresh paused runtime, sampling every
/// gift twice a second. A fresh runtime per run keeps tokio's own timer state out of the
/// comparison.
fn run(seed: u64) -> (Vec<Purchase>, Vec<Vec<GiftSnapshot>>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let clock = TestClock::new();
        let market = Market::new(config(seed), clock.clone()).expect("valid");
        let until = Duration::from_secs(30);
        let buyers: Vec<_> = market
            .accounts()
            .into_iter()
            .map(|account| {
                tokio::spawn(naive_buyer(
                    account,
                    channel(1),
                    clock.clone(),
                    ms(1_100),
                    until,
                ))
            })
            .collect();
        let mut samples = Vec::new();
        let mut at = Duration::ZERO;
        while at <= until {
            clock.advance_to(at).await;
            samples.push(market.gifts());
            at += ms(500);
        }
        for buyer in buyers {
            buyer.await.expect("buyer finished");
        }
        (market.purchases(), samples)
    })
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let (purchases, samples) = run(42);
    assert!(
        purchases.len() > 5,
        "the buyers bought something: {purchases:?}"
    );
    let gifts: std::collections::BTreeSet<_> = purchases.iter().map(|p| p.gift).collect();
    assert!(gifts.len() >= 2, "{gifts:?}");
    assert_eq!(run(42), (purchases.clone(), samples));

    let (other, _) = run(43);
    assert_ne!(
        other, purchases,
        "another seed draws other jitter, faults and form ids"
    );
}
