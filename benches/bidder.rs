//! Criterion benchmark of the auction bidder's internal reaction latency: from the moment an
//! auction state that calls for a bid is in hand to that bid's request going out.
//!
//! The simulated market answers instantly (no round trip) and holds five running auctions, one
//! per plan of one user with ten accounts; no competitor bids. What is timed is GiftBuyer's own
//! work on that path: the bid position and `decide_bid` against the budget, the plan's maximum
//! and the balance (read in the same tick), journaling the bid as planned and moving it to
//! sending, then issuing the request. Wall-clock time, not virtual time.

#[path = "support/latency.rs"]
mod latency;
#[path = "support/marked.rs"]
mod marked;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use giftbuyer_core::ports::{
    AuctionPlanStore as _, NewAuctionPlan, UserConfig, UserId, UserSettings,
};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, GiftId, Stars};
use giftbuyer_engine::{AuctionBidder, BidderConfig, MemoryStore, TokioClock};
use giftbuyer_sim::{
    AccountSpec, AuctionSpec, FloodConfig, GiftSpec, Latency, LatencyConfig, Market, MarketConfig,
    SimConnector,
};

use crate::marked::{MarkedConnector, Marks};

const ACCOUNTS: i64 = 10;
const PLANS: i64 = 5;
const FIRST_GIFT: i64 = 9_000;

/// Every measured latency, for the percentiles printed at the end.
static SAMPLES: latency::Samples = latency::Samples::new();

/// One measurement: a fresh bidder over running auctions. Returns the time from the first
/// state in hand to the first bid request.
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
        for gift in 0..PLANS {
            config = config.gift(
                GiftSpec::limited(
                    GiftId::new(FIRST_GIFT + gift).expect("valid"),
                    Stars::new(100),
                    50,
                )
                .auctioned(AuctionSpec::new(5, Duration::ZERO)),
            );
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
        store
            .set_bid_budget(user, Stars::new(1_000_000))
            .await
            .expect("budget");
        for gift in 0..PLANS {
            store
                .create_auction_plan(
                    user,
                    &NewAuctionPlan {
                        gift_id: GiftId::new(FIRST_GIFT + gift).expect("valid"),
                        max_bid: Stars::new(50_000),
                        recipient: Recipient::Buyer,
                        wanted: 1,
                    },
                )
                .await
                .expect("plan");
        }
        let marks = Arc::new(Mutex::new(Marks::default()));
        let bidder = AuctionBidder::new(
            store.clone(),
            store,
            Arc::new(MarkedConnector {
                inner: SimConnector::new(market.clone(), None),
                marks: Arc::clone(&marks),
            }),
            clock,
            BidderConfig::default(),
        );
        let tick = bidder.tick().await.expect("tick");
        assert_eq!(tick.placed, 5, "every plan bid: {tick:?}");
        let (answered, first_bid) = marked::taken(&marks);
        first_bid.saturating_duration_since(answered)
    })
}

fn reaction(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    SAMPLES.bench(
        c,
        ("bidder", "reaction/10acc_5plans"),
        30,
        Duration::from_millis(500),
        "bidder reaction latency",
        || react_once(&runtime),
    );
}

criterion_group!(benches, reaction);
criterion_main!(benches);
