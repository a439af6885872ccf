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

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use giftbuyer_core::auction::AuctionAnswer;
use giftbuyer_core::ports::{
    BidRequest, BotError, CatalogResponse, ChannelInfo, Connector, NewWatch, NotificationBot,
    Profile, PurchaseReceipt, PurchaseRequest, ResalePage, ResalePurchaseRequest,
    ResaleWatchStore as _, TelegramAccount, TelegramError, UserConfig, UserId, UserSettings,
};
use giftbuyer_core::resale::{AttributeFilter, Recipient};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars, StickerRef};
use giftbuyer_engine::{MemoryStore, ResaleSniper, SniperConfig, TokioClock};
use giftbuyer_sim::{
    AccountSpec, FloodConfig, Latency, LatencyConfig, Market, MarketConfig, ResaleSpec,
    SimConnector,
};

const ACCOUNTS: i64 = 10;
const WATCHES: u64 = 5;
const LISTINGS: i64 = 50;
const GIFT: i64 = 77;

/// Every measured latency, for the percentiles printed at the end.
static SAMPLES: latency::Samples = latency::Samples::new();

/// When the last poll's page was handed back and when the first purchase was asked for.
#[derive(Default)]
struct Marks {
    answered: Option<Instant>,
    first_buy: Option<Instant>,
}

/// The simulated account with the two instants of the path marked.
struct Marked {
    inner: Arc<dyn TelegramAccount>,
    marks: Arc<Mutex<Marks>>,
}

#[async_trait]
impl TelegramAccount for Marked {
    fn account_id(&self) -> AccountId {
        self.inner.account_id()
    }
    async fn star_gifts(&self, hash: i32) -> Result<CatalogResponse, TelegramError> {
        self.inner.star_gifts(hash).await
    }
    async fn profile(&self) -> Result<Profile, TelegramError> {
        self.inner.profile().await
    }
    async fn stars_balance(&self) -> Result<Stars, TelegramError> {
        self.inner.stars_balance().await
    }
    async fn buy_gift(&self, request: PurchaseRequest) -> Result<PurchaseReceipt, TelegramError> {
        self.inner.buy_gift(request).await
    }
    async fn resale_listings(
        &self,
        gift_id: GiftId,
        offset: &str,
        limit: i32,
    ) -> Result<ResalePage, TelegramError> {
        let page = self.inner.resale_listings(gift_id, offset, limit).await;
        self.marks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .answered = Some(Instant::now());
        page
    }
    async fn buy_resale(
        &self,
        request: ResalePurchaseRequest,
    ) -> Result<PurchaseReceipt, TelegramError> {
        self.marks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .first_buy
            .get_or_insert_with(Instant::now);
        self.inner.buy_resale(request).await
    }
    async fn auction_state(
        &self,
        gift_id: GiftId,
        version: i32,
    ) -> Result<AuctionAnswer, TelegramError> {
        self.inner.auction_state(gift_id, version).await
    }
    async fn place_bid(&self, request: BidRequest) -> Result<PurchaseReceipt, TelegramError> {
        self.inner.place_bid(request).await
    }
    async fn download_sticker(&self, sticker: StickerRef) -> Result<Vec<u8>, TelegramError> {
        self.inner.download_sticker(sticker).await
    }
    async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, TelegramError> {
        self.inner.channel_info(channel).await
    }
}

struct MarkedConnector {
    inner: SimConnector,
    marks: Arc<Mutex<Marks>>,
}

#[async_trait]
impl Connector for MarkedConnector {
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError> {
        Ok(Arc::new(Marked {
            inner: self.inner.account(id).await?,
            marks: Arc::clone(&self.marks),
        }))
    }
    async fn bot(&self, user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError> {
        self.inner.bot(user).await
    }
}

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
            channels: Vec::new(),
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
        *marks.lock().unwrap_or_else(PoisonError::into_inner) = Marks::default();
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
        let marks = marks.lock().unwrap_or_else(PoisonError::into_inner);
        let answered = marks.answered.expect("the page arrived");
        let first_buy = marks.first_buy.expect("a purchase was sent");
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
