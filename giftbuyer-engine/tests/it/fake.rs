//! A scripted Telegram for engine tests: precise control over every answer, where the
//! simulated market would be more than a test needs.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::auction::AuctionAnswer;
use giftbuyer_core::ports::{
    BidRequest, BotError, CatalogResponse, ChannelAccess, ChannelInfo, ChatId, Clock, Connector,
    NotificationBot, Profile, PurchaseReceipt, PurchaseRequest, ResalePage, ResalePurchaseRequest,
    Sticker, TelegramAccount, TelegramError, UserId,
};
use giftbuyer_core::{
    AccountId, CatalogGift, ChannelId, GiftId, Recipient, Stars, StickerRef, UnixTime,
};

/// What a scripted purchase does.
#[derive(Debug, Clone)]
pub(crate) enum BuyScript {
    Fail(TelegramError),
    /// Never answers (the engine's timeout fires); `executed` says whether it went through.
    Hang {
        executed: bool,
    },
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) catalog: Vec<CatalogGift>,
    pub(crate) hash: i32,
    pub(crate) balances: HashMap<AccountId, u64>,
    pub(crate) premium: HashMap<AccountId, bool>,
    pub(crate) catalog_errors: HashMap<AccountId, VecDeque<TelegramError>>,
    pub(crate) buy_scripts: HashMap<AccountId, VecDeque<BuyScript>>,
    pub(crate) polls: Vec<(AccountId, Duration)>,
    pub(crate) buys: Vec<(AccountId, GiftId, Recipient, Duration)>,
    pub(crate) bought: Vec<(AccountId, GiftId, Recipient)>,
    pub(crate) messages: Vec<(ChatId, String)>,
    pub(crate) stickers: Vec<(ChatId, GiftId)>,
    pub(crate) bot_error: Option<BotError>,
    pub(crate) panic_next_connect: bool,
}

/// The whole fake: accounts, the catalog and a bot share one state.
#[derive(Clone)]
pub(crate) struct Fake {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    pub(crate) rtt: Duration,
}

impl Fake {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::default(),
            clock,
            rtt: Duration::from_millis(50),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("fake state lock")
    }

    pub(crate) fn add_account(&self, id: i64, balance: u64, premium: bool) -> AccountId {
        let id = AccountId::new(id).expect("valid account id");
        let mut state = self.state();
        state.balances.insert(id, balance);
        state.premium.insert(id, premium);
        id
    }

    /// Publishes a catalog; the hash changes so pollers see it.
    pub(crate) fn set_catalog(&self, gifts: Vec<CatalogGift>) {
        let mut state = self.state();
        state.catalog = gifts;
        state.hash += 1;
    }

    fn elapsed(&self) -> Duration {
        self.clock.elapsed()
    }
}

struct FakeAccount {
    id: AccountId,
    fake: Fake,
}

#[async_trait]
impl TelegramAccount for FakeAccount {
    fn account_id(&self) -> AccountId {
        self.id
    }

    async fn star_gifts(&self, hash: i32) -> Result<CatalogResponse, TelegramError> {
        self.fake.clock.sleep(self.fake.rtt).await;
        let mut state = self.fake.state();
        let now = self.fake.elapsed();
        state.polls.push((self.id, now));
        if let Some(error) = state
            .catalog_errors
            .get_mut(&self.id)
            .and_then(VecDeque::pop_front)
        {
            return Err(error);
        }
        if hash == state.hash {
            return Ok(CatalogResponse::NotModified);
        }
        Ok(CatalogResponse::Catalog {
            hash: state.hash,
            gifts: state.catalog.clone(),
        })
    }

    async fn profile(&self) -> Result<Profile, TelegramError> {
        self.fake.clock.sleep(self.fake.rtt).await;
        let premium = self
            .fake
            .state()
            .premium
            .get(&self.id)
            .copied()
            .unwrap_or(false);
        Ok(Profile {
            account_id: self.id,
            username: None,
            first_name: None,
            premium,
            premium_until: None,
        })
    }

    /// This fake market lists nothing for resale, so a purchase names no known listing.
    async fn resale_listings(
        &self,
        _gift_id: GiftId,
        _offset: &str,
        _limit: i32,
    ) -> Result<ResalePage, TelegramError> {
        self.fake.clock.sleep(self.fake.rtt).await;
        Ok(ResalePage::default())
    }

    async fn buy_resale(
        &self,
        _request: ResalePurchaseRequest,
    ) -> Result<PurchaseReceipt, TelegramError> {
        self.fake.clock.sleep(self.fake.rtt).await;
        Err(TelegramError::from_rpc(400, "STARGIFT_SLUG_INVALID"))
    }

    async fn auction_state(
        &self,
        _gift_id: GiftId,
        _version: i32,
    ) -> Result<AuctionAnswer, TelegramError> {
        self.fake.clock.sleep(self.fake.rtt).await;
        Err(TelegramError::from_rpc(400, "STARGIFT_INVALID"))
    }

    async fn place_bid(&self, _request: BidRequest) -> Result<PurchaseReceipt, TelegramError> {
        self.fake.clock.sleep(self.fake.rtt).await;
        Err(TelegramError::from_rpc(400, "STARGIFT_INVALID"))
    }

    async fn stars_balance(&self) -> Result<Stars, TelegramError> {
        self.fake.clock.sleep(self.fake.rtt).await;
        Ok(Stars::new(
            self.fake
                .state()
                .balances
                .get(&self.id)
                .copied()
                .unwrap_or(0),
        ))
    }

    async fn buy_gift(&self, request: PurchaseRequest) -> Result<PurchaseReceipt, TelegramError> {
        let script = {
            let mut state = self.fake.state();
            let now = self.fake.elapsed();
            state
                .buys
                .push((self.id, request.gift_id, request.recipient, now));
            state
                .buy_scripts
                .get_mut(&self.id)
                .and_then(VecDeque::pop_front)
        };
        self.fake.clock.sleep(self.fake.rtt).await;
        match script {
            Some(BuyScript::Fail(error)) => return Err(error),
            Some(BuyScript::Hang { executed }) => {
                if executed {
                    self.charge(&request);
                }
                self.fake.clock.sleep(Duration::from_secs(3600)).await;
                return Err(TelegramError::Network("hung up".into()));
            }
            None => {}
        }
        let mut state = self.fake.state();
        let balance = state.balances.entry(self.id).or_default();
        if *balance < request.price.get() {
            return Err(TelegramError::BalanceTooLow);
        }
        drop(state);
        self.charge(&request);
        Ok(PurchaseReceipt { form_id: 1 })
    }

    async fn download_sticker(&self, sticker: StickerRef) -> Result<Vec<u8>, TelegramError> {
        Ok(sticker.document_id.to_le_bytes().to_vec())
    }

    async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, TelegramError> {
        Ok(ChannelInfo {
            channel_id: channel,
            title: None,
            access: ChannelAccess::CanPost,
        })
    }

    async fn channel_takes_star_gifts(&self, _channel: ChannelId) -> Result<bool, TelegramError> {
        Ok(true)
    }
}

impl FakeAccount {
    fn charge(&self, request: &PurchaseRequest) {
        let mut state = self.fake.state();
        let balance = state.balances.entry(self.id).or_default();
        *balance = balance.saturating_sub(request.price.get());
        state
            .bought
            .push((self.id, request.gift_id, request.recipient));
    }
}

struct FakeBot {
    fake: Fake,
}

#[async_trait]
impl NotificationBot for FakeBot {
    async fn send_message(&self, chat: ChatId, text: String) -> Result<(), BotError> {
        self.fake.clock.sleep(self.fake.rtt).await;
        let mut state = self.fake.state();
        if let Some(error) = state.bot_error.clone() {
            return Err(error);
        }
        state.messages.push((chat, text));
        Ok(())
    }

    async fn send_sticker(&self, chat: ChatId, sticker: Sticker) -> Result<(), BotError> {
        let mut state = self.fake.state();
        if let Some(error) = state.bot_error.clone() {
            return Err(error);
        }
        state.stickers.push((chat, sticker.gift_id));
        Ok(())
    }
}

#[async_trait]
impl Connector for Fake {
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError> {
        let panic = std::mem::take(&mut self.state().panic_next_connect);
        assert!(!panic, "scripted crash while connecting");
        if !self.state().balances.contains_key(&id) {
            return Err(TelegramError::AuthKeyUnregistered);
        }
        Ok(Arc::new(FakeAccount {
            id,
            fake: self.clone(),
        }) as Arc<dyn TelegramAccount>)
    }

    async fn bot(&self, _user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError> {
        Ok(Some(
            Arc::new(FakeBot { fake: self.clone() }) as Arc<dyn NotificationBot>
        ))
    }
}

/// A limited gift with a sticker.
pub(crate) fn limited(id: i64, price: i64, supply: i64, remaining: i64) -> CatalogGift {
    CatalogGift {
        id,
        price,
        limited: true,
        supply: Some(supply),
        remaining: Some(remaining),
        sticker: Some(StickerRef {
            document_id: id,
            ..StickerRef::default()
        }),
        title: Some(format!("Gift {id}")),
        ..CatalogGift::default()
    }
}

pub(crate) fn unix(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).expect("valid time")
}
