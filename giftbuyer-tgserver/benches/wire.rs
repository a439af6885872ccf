//! Criterion benchmark of what the wire costs: the same `TelegramAccount` calls on the
//! in-process `SimAccount` and on the real adapter (`MtprotoAccount` over grammers' sender)
//! talking MTProto 2.0 over loopback TCP to the loopback Telegram, both answered by one
//! zero-latency market, so the difference between each pair is the wire (framing, AES-IGE both
//! ways, the sender's and the server's tasks, the socket) plus the adapter's request building
//! and answer parsing.
//!
//! Each call is timed over a batch inside one `block_on` (`iter_custom`), so the runtime's
//! entry is not part of the figure; the runtime is multi-threaded, as in `giftbuyer serve`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use giftbuyer_core::ports::{
    CatalogResponse, ChannelAccess, MtprotoSession, PurchaseRequest, Secret, TelegramAccount,
};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars};
use giftbuyer_engine::TokioClock;
use giftbuyer_sim::{
    AccountSpec, Demand, FloodConfig, GiftSpec, Latency, LatencyConfig, Market, MarketConfig,
};
use giftbuyer_telegram::account::{AccountConfig, MtprotoAccount};
use giftbuyer_telegram::dc_override::DcOverride as _;
use giftbuyer_telegram::session::{self, DiscardSink, StoredSession};
use giftbuyer_telegram::transport::{GrammersFactory, InvokerFactory as _};
use giftbuyer_tgserver::{AuthKey, KeyRing, MarketBackend, ServerOptions, TgServer};

const BUYER: i64 = 7001;
const CHANNEL: i64 = 1_700_000_001;
/// The gift every purchase buys: its supply outlasts any run of the benchmark.
const BOUGHT: i64 = 900;
const PRICE: u64 = 25;
/// Gifts in the catalog, as on a quiet day on Telegram.
const CATALOG: i64 = 20;

/// The market, the server in front of it and one account on each side.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    /// Kept running for as long as the benchmark: dropping it stops the listeners.
    _server: TgServer,
    local: Arc<dyn TelegramAccount>,
    wire: Arc<dyn TelegramAccount>,
}

fn market() -> Market {
    let channel = ChannelId::from_mtproto(CHANNEL).expect("channel id");
    let mut config = MarketConfig::with_seed(3).account(
        // A balance no run can spend: 10^15 stars at 25 a copy.
        AccountSpec::new(
            AccountId::new(BUYER).expect("account id"),
            Stars::new(10u64.pow(15)),
        )
        .channel(channel, ChannelAccess::CanPost),
    );
    config = config.gift(
        GiftSpec::limited(
            GiftId::new(BOUGHT).expect("gift id"),
            Stars::new(PRICE),
            1_000_000_000,
        )
        .title("Bench")
        .demand(Demand::Nobody),
    );
    for i in 1..CATALOG {
        config = config.gift(
            GiftSpec::limited(
                GiftId::new(1000 + i).expect("gift id"),
                Stars::new(100),
                5000,
            )
            .title("Catalog gift")
            .demand(Demand::Nobody),
        );
    }
    // No simulated round trip and no flood limit: the wire is what is measured.
    config.latency = LatencyConfig::uniform(Latency::ZERO);
    config.flood = FloodConfig::NONE;
    Market::new(config, Arc::new(TokioClock::system())).expect("market")
}

/// A session for `BUYER` already logged in on the server: a freshly minted key per DC, the
/// home DC's key bound to the account as a finished login binds it.
fn logged_in_session(server: &TgServer) -> Arc<StoredSession> {
    let seed = server.key_issuer().fresh_session().expect("keys mint");
    let home = seed
        .dcs
        .iter()
        .find(|dc| dc.id == seed.home_dc)
        .expect("a key for the home dc");
    server
        .keys()
        .authorize(AuthKey::from_bytes(home.auth_key).id(), BUYER)
        .expect("binds");
    let stored = MtprotoSession {
        home_dc: seed.home_dc,
        data: Secret::new(session::encode(&seed.session_data(), Some(BUYER))),
    };
    Arc::new(StoredSession::load(&stored, Arc::new(DiscardSink)).expect("session loads"))
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let market = market();
    let local: Arc<dyn TelegramAccount> = Arc::new(
        market
            .account(AccountId::new(BUYER).expect("account id"))
            .expect("the buyer is in the market"),
    );
    let (server, wire) = runtime.block_on(async {
        let backend = MarketBackend::new(market.clone(), ServerOptions::default().dcs);
        let server = TgServer::start(
            ServerOptions::default(),
            KeyRing::in_memory(),
            Arc::new(backend),
        )
        .await
        .expect("server starts");
        let session = logged_in_session(&server);
        let invoker = GrammersFactory::default()
            .connect(Arc::clone(&session), 4)
            .expect("connects");
        let wire: Arc<dyn TelegramAccount> = Arc::new(MtprotoAccount::new(
            AccountId::new(BUYER).expect("account id"),
            invoker,
            session,
            AccountConfig::default(),
        ));
        // The first call opens the connection and the first purchase walks the dialogs for
        // the channel's access hash; both happen once here, outside the timed loops.
        let gifts = match wire.star_gifts(0).await.expect("catalog over the wire") {
            CatalogResponse::Catalog { gifts, .. } => gifts.len(),
            CatalogResponse::NotModified => 0,
        };
        assert_eq!(gifts, CATALOG as usize, "the whole catalog arrives");
        wire.buy_gift(purchase()).await.expect("a first purchase");
        local.buy_gift(purchase()).await.expect("a first purchase");
        (server, wire)
    });
    Fixture {
        runtime,
        _server: server,
        local,
        wire,
    }
}

/// The catalog's current hash. Every purchase changes it (the remaining count is part of the
/// catalog), so it is read again before the polls that must be answered `NotModified`.
async fn current_hash(account: &dyn TelegramAccount) -> i32 {
    match account.star_gifts(0).await.expect("poll") {
        CatalogResponse::Catalog { hash, .. } => hash,
        CatalogResponse::NotModified => panic!("a poll with hash 0 gets the catalog"),
    }
}

fn purchase() -> PurchaseRequest {
    PurchaseRequest {
        gift_id: GiftId::new(BOUGHT).expect("gift id"),
        recipient: giftbuyer_core::Recipient::Channel(
            ChannelId::from_mtproto(CHANNEL).expect("channel id"),
        ),
        price: Stars::new(PRICE),
        hide_name: true,
        message: None,
    }
}

#[derive(Clone, Copy)]
enum Call {
    NotModified,
    FullCatalog,
    Balance,
    Purchase,
}

impl Call {
    const ALL: [Self; 4] = [
        Self::NotModified,
        Self::FullCatalog,
        Self::Balance,
        Self::Purchase,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::NotModified => "star_gifts_not_modified",
            Self::FullCatalog => "star_gifts_full_20",
            Self::Balance => "stars_balance",
            Self::Purchase => "buy_gift",
        }
    }

    /// One call; a failure ends the benchmark, since its figure would measure an error path.
    async fn run(self, account: &dyn TelegramAccount, hash: i32) {
        match self {
            Self::NotModified => {
                let answer = account.star_gifts(hash).await.expect("poll");
                assert!(matches!(answer, CatalogResponse::NotModified));
            }
            Self::FullCatalog => {
                let answer = account.star_gifts(0).await.expect("poll");
                std::hint::black_box(answer);
            }
            Self::Balance => {
                std::hint::black_box(account.stars_balance().await.expect("balance"));
            }
            Self::Purchase => {
                std::hint::black_box(account.buy_gift(purchase()).await.expect("purchase"));
            }
        }
    }
}

fn wire(c: &mut Criterion) {
    let fixture = fixture();
    for call in Call::ALL {
        let mut group = c.benchmark_group(call.name());
        for (side, account) in [("in_process", &fixture.local), ("mtproto", &fixture.wire)] {
            group.bench_function(BenchmarkId::from_parameter(side), |b| {
                b.iter_custom(|iters| {
                    fixture.runtime.block_on(async {
                        let hash = current_hash(account.as_ref()).await;
                        let start = Instant::now();
                        for _ in 0..iters {
                            call.run(account.as_ref(), hash).await;
                        }
                        start.elapsed()
                    })
                });
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = wire
}
criterion_main!(benches);
