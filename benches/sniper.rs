//! Criterion benchmark of the resale sniper's internal reaction latency: from the moment a
//! poll's page with a listing under a watch's maximum is in hand to that listing's purchase
//! request going out.
//!
//! The simulated market answers instantly (no round trip, no flood limits) and balances are
//! cached by a warm-up tick, so what is timed is GiftBuyer's own work on that path: grouping
//! the watches, planning with `plan_snipes`, journaling the purchase as planned and moving it to
//! sending, then issuing the request. Wall-clock time, not virtual time. Ten accounts, five
//! watches of the gift type and a page of fifty listings.

#[path = "support/latency.rs"]
mod latency;

#[path = "support/marked.rs"]
mod marked;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use giftbuyer_core::ports::{NewWatch, ResaleWatchStore as _, UserConfig, UserId, UserSettings};
use giftbuyer_core::resale::{AttributeFilter, Recipient};
use giftbuyer_core::{AccountId, GiftId, Stars};
use giftbuyer_engine::{MemoryStore, ResaleSniper, SniperConfig, TokioClock};
use giftbuyer_sim::{
    AccountSpec, FloodConfig, Latency, LatencyConfig, Market, MarketConfig, ResaleSpec,
    SimConnector,
};

use crate::marked::{MarkedConnector, Marks};

const ACCOUNTS: i64 = 10;
const WATCHES: u64 = 5;
const LISTINGS: i64 = 50;
const GIFT: i64 = 77;

/// Every measured latency, for the percentiles printed at the end.
static SAMPLES: latency::Samples = latency::Samples::new();

/// One measurement: a fresh sniper with balances cached, then a page with listings under the
/// watches' maximum. Returns the time from the page in hand to the first purchase request.
fn react_once(runtime: &tokio::runtime::Runtime) -> Duration {
    runtime.block_on(async {
        let clock = Arc::new(TokioClock::system());
        let mut config = MarketConfig::with_seed(1);
        config.latency = LatencyConfig::uniform(Latency::ZERO);
        config.flood = FloodConfig::NONE;
        for id in 1..=ACCOUNTS {
            config = config.account(AccountSpec::new(
                AccountId::new(id).expect("valid"),
                Stars::new(1_000_000),
            ));
        }
        let market = Market::new(config, clock.clone()).expect("valid market");
        let store = Arc::new(MemoryStore::new());
        let user = UserId::new(1).expect("valid");
        store.set_users(vec![UserConfig {
            user_id: user,
            settings: UserSettings::default(),
            accounts: (1..=ACCOUNTS)
                .map(|id| AccountId::new(id).expect("valid"))
                .collect(),
            targets: Vec::new(),
        }]);
        for i in 0..WATCHES {
            store
                .create_watch(
                    user,
                    &NewWatch {
                        gift_id: GiftId::new(GIFT).expect("valid"),
                        attributes: AttributeFilter::default(),
                        max_price: Stars::new(1_000 + 100 * i),
                        recipient: Recipient::Buyer,
                        copies: 2,
                    },
                )
                .await
                .expect("watch");
        }
        let marks = Arc::new(Mutex::new(Marks::default()));
        let sniper = ResaleSniper::new(
            store.clone(),
            store,
            Arc::new(MarkedConnector {
                inner: SimConnector::new(market.clone(), None),
                marks: Arc::clone(&marks),
            }),
            clock,
            SniperConfig::default(),
        );
        // The warm-up tick finds no listing and caches every balance.
        sniper.tick().await.expect("warm-up tick");
        marked::reset(&marks);
        for num in 1..=LISTINGS {
            let price = Stars::new(500 + 40 * u64::try_from(num).expect("small"));
            market
                .add_listing(ResaleSpec::new(
                    GiftId::new(GIFT).expect("valid"),
                    num,
                    price,
                ))
                .expect("valid listing");
        }
        let tick = sniper.tick().await.expect("tick");
        assert!(tick.bought > 0, "the tick bought listings: {tick:?}");
        let (answered, first_buy) = marked::taken(&marks);
        first_buy.saturating_duration_since(answered)
    })
}

fn reaction(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    SAMPLES.bench(
        c,
        ("sniper", "reaction/10acc_5watches_50listings"),
        30,
        Duration::from_millis(500),
        "sniper reaction latency",
        || react_once(&runtime),
    );
}

criterion_group!(benches, reaction);
criterion_main!(benches);
