//! Two engines on one database: only the leader buys, and the other takes over when it stops.
//! Real time (a database is involved), against the simulated market with no latency.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{
    AccountStore as _, ChannelAccess, EngineStore as _, JournalStatus, MtprotoSession, NewAccount,
    NewTarget, Profile, Secret, SessionVault as _, SettingsStore as _, TargetStore as _,
    UserSettings,
};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Recipient, Stars, TargetFilter};
use giftbuyer_engine::{Engine, EngineConfig, EngineEvent, TokioClock, spawn_supervised};
use giftbuyer_sim::{
    AccountSpec, Demand, FloodConfig, GiftSpec, Latency, LatencyConfig, Market, MarketConfig,
    SimConnector,
};
use giftbuyer_store::Store;
use tokio::sync::broadcast;

use crate::support::{TestDb, at, on_every_backend, user};

const TELEGRAM_ID: i64 = 8001;

fn gift_id(raw: i64) -> GiftId {
    GiftId::new(raw).expect("valid gift")
}

/// A user with one logged-in account, one channel and autobuy on, in the shared database.
async fn seed_user(store: &Store, channel: ChannelId) {
    let alice = user(store, "alice").await;
    let account = store
        .create_account(
            alice,
            NewAccount {
                phone: Secret::new("+15550008001".into()),
                api_profile: None,
            },
            at(1),
        )
        .await
        .expect("account");
    let profile = Profile {
        account_id: AccountId::new(TELEGRAM_ID).expect("valid"),
        username: None,
        first_name: None,
        premium: true,
        premium_until: None,
    };
    store
        .record_account_login(alice, account, &profile, at(2))
        .await
        .expect("login");
    let session = MtprotoSession {
        home_dc: 2,
        data: Secret::new(vec![1, 2, 3]),
    };
    store
        .save_session(alice, account, &session, at(3))
        .await
        .expect("session");
    let new_channel = NewTarget {
        exclude: giftbuyer_core::ExcludeList::EMPTY,
        recipient: Recipient::Channel(channel),
        title: None,
        filter: TargetFilter::default(),
    };
    store
        .add_target(alice, new_channel, at(4))
        .await
        .expect("channel");
    let settings = UserSettings {
        autobuy: true,
        ..UserSettings::default()
    };
    store
        .save_settings(alice, &settings, at(5))
        .await
        .expect("settings");
}

/// Gifts each engine started buying, from its events.
fn bought_by(events: &mut broadcast::Receiver<EngineEvent>) -> Vec<i64> {
    let mut gifts = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::PurchaseSending { gift, .. } = event {
            gifts.push(gift.get());
        }
    }
    gifts
}

async fn only_the_leader_buys_and_a_follower_takes_over(db: &TestDb) {
    let channel = ChannelId::new(-1001900000001).expect("valid channel");
    seed_user(&db.store().await, channel).await;

    let clock = Arc::new(TokioClock::system());
    let mut config = MarketConfig::with_seed(5)
        .account(
            AccountSpec::new(
                AccountId::new(TELEGRAM_ID).expect("valid"),
                Stars::new(10_000),
            )
            .premium()
            .channel(channel, ChannelAccess::CanPost),
        )
        .gift(GiftSpec::unlimited(gift_id(1), Stars::new(15)))
        .gift(
            GiftSpec::limited(gift_id(50), Stars::new(100), 1000)
                .released_at(Duration::from_millis(800))
                .per_user_limit(3)
                .demand(Demand::Nobody),
        )
        .gift(
            GiftSpec::limited(gift_id(60), Stars::new(100), 1000)
                .released_at(Duration::from_millis(3000))
                .per_user_limit(2)
                .demand(Demand::Nobody),
        );
    config.latency = LatencyConfig::uniform(Latency::ZERO);
    config.flood = FloodConfig::NONE;
    let market = Market::new(config, clock.clone()).expect("valid market");
    let engine_config = EngineConfig {
        poll_interval: Duration::from_millis(50),
        leader_check: Duration::from_millis(100),
        ..EngineConfig::default()
    };
    let start = |store: Store| {
        let leadership = Arc::new(store.leadership());
        let engine = Engine::new(
            Arc::new(store),
            Arc::new(SimConnector::new(market.clone(), None)),
            clock.clone(),
            engine_config.clone(),
        )
        .with_leadership(leadership.clone());
        (Arc::new(engine), leadership)
    };
    let (engine_a, lead_a) = start(db.store().await);
    let mut events_a = engine_a.subscribe();
    let handle_a = spawn_supervised(engine_a, Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (engine_b, lead_b) = start(db.store().await);
    let mut events_b = engine_b.subscribe();
    let handle_b = spawn_supervised(engine_b, Duration::from_millis(100));

    // The first drop: A leads, so A alone buys it.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert!(lead_a.is_leader() && !lead_b.is_leader());
    assert_eq!(bought_by(&mut events_a), [50, 50, 50]);
    assert!(bought_by(&mut events_b).is_empty());

    // A stops and gives the lead up, as a dying instance's connection would; B takes over
    // within a leader check and buys the second drop.
    handle_a.shutdown().await;
    lead_a.release().await.expect("release");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(lead_b.is_leader());
    assert_eq!(bought_by(&mut events_b), [60, 60]);
    handle_b.shutdown().await;

    // The shared journal holds each purchase once, all bought, and the market sold exactly
    // those copies.
    let store = db.store().await;
    let users = store.users().await.expect("users");
    let mut journal = Vec::new();
    for run_id in 1..=10 {
        journal.extend(
            store
                .run_journal(users[0].user_id, run_id)
                .await
                .expect("journal"),
        );
    }
    assert_eq!(journal.len(), 5, "{journal:#?}");
    assert!(
        journal
            .iter()
            .all(|entry| entry.status == JournalStatus::Bought)
    );
    assert_eq!(market.purchases().len(), 5);
}

on_every_backend!(only_the_leader_buys_and_a_follower_takes_over);
