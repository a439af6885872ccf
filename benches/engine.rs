//! Criterion benchmark of the engine's internal reaction latency: from the moment a catalog
//! response with new gifts is in hand to every account's first purchase request going out.
//!
//! The simulated market answers instantly (no round trip, no flood limits), so what is timed is
//! GiftBuyer's own work on that path: storing the catalog diff, loading the user, planning,
//! journaling every operation as planned, moving the first entry of each account to `sending`
//! and issuing the request. Wall-clock time, not virtual time. The size is the target's: 20
//! accounts, 10 new gifts, 50 channels.

#[path = "support/latency.rs"]
mod latency;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use giftbuyer_core::ports::{ChannelAccess, UserConfig, UserId, UserSettings};
use giftbuyer_core::{
    AccountId, Bounds, ChannelId, ExcludeList, GiftId, Recipient, Stars, Target, TargetFilter,
    TargetRowId,
};
use giftbuyer_engine::{Engine, EngineConfig, EngineEvent, MemoryStore, TokioClock};
use giftbuyer_sim::{
    AccountSpec, Demand, FloodConfig, GiftSpec, Latency, LatencyConfig, Market, MarketConfig,
    SimConnector,
};

const ACCOUNTS: i64 = 20;
const CHANNELS: i64 = 50;
const NEW_GIFTS: i64 = 10;

/// Every measured latency, for the percentiles printed at the end.
static SAMPLES: latency::Samples = latency::Samples::new();

fn channels() -> Vec<Target> {
    (0..CHANNELS)
        .map(|i| {
            // Channels split the supply range into bands of different widths and price caps,
            // so finding the best channel is real work.
            let band = u64::try_from(i % 10).expect("small") * 1000;
            let supply = Bounds::new(Some(band), Some(band + 999 + 100 * (i as u64)), "supply")
                .expect("valid bounds");
            let price =
                Bounds::new(None, Some(500 + 100 * (i as u64 % 7)), "price").expect("valid bounds");
            Target {
                row_id: TargetRowId::new(i + 1).expect("valid row"),
                recipient: Recipient::Channel(
                    ChannelId::from_mtproto(1_900_000_000 + i).expect("valid channel"),
                ),
                filter: TargetFilter { price, supply },
                exclude: ExcludeList::EMPTY,
                title: None,
            }
        })
        .collect()
}

/// One measurement: a fresh engine, warmed up (catalog seeded, balances cached), then a
/// catalog with ten new gifts. Returns the time from the catalog response to the last
/// account's first purchase request.
fn react_once(runtime: &tokio::runtime::Runtime) -> Duration {
    runtime.block_on(async {
        let clock = Arc::new(TokioClock::system());
        let channels = channels();
        let mut config = MarketConfig::with_seed(1);
        config.latency = LatencyConfig::uniform(Latency::ZERO);
        config.flood = FloodConfig::NONE;
        for id in 1..=ACCOUNTS {
            let mut account =
                AccountSpec::new(AccountId::new(id).expect("valid"), Stars::new(10_000_000))
                    .premium();
            for channel in channels
                .iter()
                .filter_map(|target| target.recipient.channel())
            {
                account = account.channel(channel, ChannelAccess::CanPost);
            }
            config = config.account(account);
        }
        config = config.gift(
            GiftSpec::limited(GiftId::new(1).expect("valid"), Stars::new(25), 1000)
                .demand(Demand::Nobody),
        );
        let market = Market::new(config, clock.clone()).expect("valid market");
        let store = Arc::new(MemoryStore::new());
        store.set_users(vec![UserConfig {
            user_id: UserId::new(1).expect("valid"),
            settings: UserSettings {
                autobuy: true,
                ..UserSettings::default()
            },
            accounts: (1..=ACCOUNTS)
                .map(|id| AccountId::new(id).expect("valid"))
                .collect(),
            targets: channels,
        }]);
        let engine = Engine::new(
            store,
            Arc::new(SimConnector::new(market.clone(), None)),
            clock,
            EngineConfig::default(),
        );
        for _ in 0..ACCOUNTS {
            engine.tick().await.expect("warm-up poll");
        }
        engine.settle().await;

        for i in 0..NEW_GIFTS {
            let supply = 500 + 900 * u64::try_from(i).expect("small");
            let spec = GiftSpec::limited(
                GiftId::new(100 + i).expect("valid"),
                Stars::new(100 + 50 * u64::try_from(i).expect("small")),
                supply,
            )
            // A few copies each keep the run short, and a per-user limit of 2 spreads them over
            // all 20 accounts, so every account has a first purchase to measure.
            .remaining(40)
            .per_user_limit(2)
            .demand(Demand::Nobody);
            market.add_gift(spec).expect("valid gift");
        }
        let mut events = engine.subscribe();
        engine.tick().await.expect("poll");
        let mut received = None;
        let mut first_sends = std::collections::HashMap::new();
        while first_sends.len() < usize::try_from(ACCOUNTS).expect("small") {
            let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
                .await
                .expect("every account sends a purchase within 10 s")
                .expect("the engine keeps publishing");
            match event {
                EngineEvent::CatalogReceived { wall, .. } => received = Some(wall),
                EngineEvent::PurchaseSending { account, wall, .. } => {
                    first_sends.entry(account).or_insert(wall);
                }
                _ => {}
            }
        }
        engine.settle().await;
        let received: Instant = received.expect("the catalog arrived");
        let last_first = first_sends.values().max().copied().expect("sends");
        last_first.saturating_duration_since(received)
    })
}

fn reaction(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    SAMPLES.bench(
        c,
        ("engine", "reaction/20acc_10gifts_50ch"),
        20,
        Duration::from_millis(400),
        "reaction latency",
        || react_once(&runtime),
    );
}

criterion_group!(benches, reaction);
criterion_main!(benches);
