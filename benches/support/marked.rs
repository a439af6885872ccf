//! A simulated account, and its connector, that marks the two instants a reaction benchmark
//! times: when a read's answer (a resale page, an auction state) is handed back, and when the
//! first request that spends stars (a resale purchase, a bid) is asked for.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_trait::async_trait;
use giftbuyer_core::auction::AuctionAnswer;
use giftbuyer_core::ports::{
    BidRequest, BotError, CatalogResponse, ChannelInfo, Connector, NotificationBot, Profile,
    PurchaseReceipt, PurchaseRequest, ResalePage, ResalePurchaseRequest, TelegramAccount,
    TelegramError, UserId,
};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars, StickerRef};
use giftbuyer_sim::SimConnector;

/// When the last read's answer was handed back and when the first spending request came.
#[derive(Default)]
pub(crate) struct Marks {
    pub(crate) answered: Option<Instant>,
    pub(crate) first_send: Option<Instant>,
}

/// Shared marks, reset between measurements.
pub(crate) type SharedMarks = Arc<Mutex<Marks>>;

/// Forgets the marks of a warm-up.
#[allow(
    dead_code,
    reason = "each benchmark that includes this file uses only what it needs"
)]
pub(crate) fn reset(marks: &SharedMarks) {
    *marks.lock().unwrap_or_else(PoisonError::into_inner) = Marks::default();
}

/// The two instants of the last measurement, once both happened.
pub(crate) fn taken(marks: &SharedMarks) -> (Instant, Instant) {
    let marks = marks.lock().unwrap_or_else(PoisonError::into_inner);
    (
        marks.answered.expect("a read was answered"),
        marks.first_send.expect("a spending request was sent"),
    )
}

struct Marked {
    inner: Arc<dyn TelegramAccount>,
    marks: SharedMarks,
}

impl Marked {
    /// Marks the answer of a read, until the first spending request: the answer that led to
    /// it is the last one before it.
    fn answered(&self) {
        let mut marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner);
        if marks.first_send.is_none() {
            marks.answered = Some(Instant::now());
        }
    }

    fn sending(&self) {
        self.marks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .first_send
            .get_or_insert_with(Instant::now);
    }
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
        self.answered();
        page
    }
    async fn buy_resale(
        &self,
        request: ResalePurchaseRequest,
    ) -> Result<PurchaseReceipt, TelegramError> {
        self.sending();
        self.inner.buy_resale(request).await
    }
    async fn auction_state(
        &self,
        gift_id: GiftId,
        version: i32,
    ) -> Result<AuctionAnswer, TelegramError> {
        let answer = self.inner.auction_state(gift_id, version).await;
        self.answered();
        answer
    }
    async fn place_bid(&self, request: BidRequest) -> Result<PurchaseReceipt, TelegramError> {
        self.sending();
        self.inner.place_bid(request).await
    }
    async fn download_sticker(&self, sticker: StickerRef) -> Result<Vec<u8>, TelegramError> {
        self.inner.download_sticker(sticker).await
    }
    async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, TelegramError> {
        self.inner.channel_info(channel).await
    }

    async fn channel_takes_star_gifts(&self, channel: ChannelId) -> Result<bool, TelegramError> {
        self.inner.channel_takes_star_gifts(channel).await
    }
}

/// The simulated market's connector with every account marked.
pub(crate) struct MarkedConnector {
    pub(crate) inner: SimConnector,
    pub(crate) marks: SharedMarks,
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
