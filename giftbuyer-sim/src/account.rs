//! Simulated Telegram accounts: what each one is, and `SimAccount`, the `TelegramAccount` port
//! over the market.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::auction::AuctionAnswer;
use giftbuyer_core::ports::{
    BidRequest, CatalogResponse, ChannelAccess, ChannelInfo, Profile, PurchaseReceipt,
    PurchaseRequest, ResalePage, ResalePurchaseRequest, TelegramAccount, TelegramError,
};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars, StickerRef, UnixTime};

use crate::config::ConfigError;
use crate::flood::FloodState;
use crate::login::normalize_phone;
use crate::market::Market;
use crate::method::Method;

/// A Telegram account of the simulated market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    pub id: AccountId,
    pub balance: Stars,
    pub premium: bool,
    /// When Premium ends; `None` for no end. Only matters when `premium` is set.
    pub premium_until: Option<UnixTime>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    /// The account's rights in each channel it knows; a channel not listed is not visible,
    /// unless `any_channel` is set.
    pub channels: BTreeMap<ChannelId, ChannelAccess>,
    /// Whether the account can post in every channel it has no entry for in `channels`. The
    /// demo sets it for accounts created by a login, since a newcomer's channels cannot be
    /// known in advance; entries in `channels` still win, so tests can refuse one channel.
    pub any_channel: bool,
    /// Added to every round trip: an account behind a slower link or a distant proxy.
    pub extra_rtt: Duration,
    /// The phone number that logs in to this account (`+` and digits).
    pub phone: Option<String>,
    /// The two-step verification password the login asks for after the code.
    pub two_factor: Option<TwoFactor>,
}

/// A two-step verification password and its hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactor {
    pub password: String,
    pub hint: Option<String>,
}

impl AccountSpec {
    /// An account without Premium, channels or login details.
    pub fn new(id: AccountId, balance: Stars) -> Self {
        Self {
            id,
            balance,
            premium: false,
            premium_until: None,
            username: None,
            first_name: None,
            channels: BTreeMap::new(),
            any_channel: false,
            extra_rtt: Duration::ZERO,
            phone: None,
            two_factor: None,
        }
    }

    #[must_use]
    pub fn premium(mut self) -> Self {
        self.premium = true;
        self
    }

    /// Premium that ends at `until`.
    #[must_use]
    pub fn premium_until(mut self, until: UnixTime) -> Self {
        self.premium = true;
        self.premium_until = Some(until);
        self
    }

    #[must_use]
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    #[must_use]
    pub fn channel(mut self, channel: ChannelId, access: ChannelAccess) -> Self {
        self.channels.insert(channel, access);
        self
    }

    /// Lets the account post in every channel not listed in `channels`.
    #[must_use]
    pub fn any_channel(mut self) -> Self {
        self.any_channel = true;
        self
    }

    #[must_use]
    pub fn extra_rtt(mut self, extra: Duration) -> Self {
        self.extra_rtt = extra;
        self
    }

    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    #[must_use]
    pub fn two_factor(mut self, password: impl Into<String>, hint: Option<&str>) -> Self {
        self.two_factor = Some(TwoFactor {
            password: password.into(),
            hint: hint.map(str::to_owned),
        });
        self
    }

    /// Checks the phone number, the one field whose form the types do not fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.phone {
            Some(phone) if normalize_phone(phone).as_deref() != Some(phone.as_str()) => {
                Err(ConfigError::InvalidPhone(phone.clone()))
            }
            _ => Ok(()),
        }
    }
}

/// An account in the market: its spec, whose balance changes, and its recent calls.
#[derive(Debug, Clone)]
pub(crate) struct AccountState {
    pub(crate) spec: AccountSpec,
    pub(crate) flood: FloodState,
}

impl AccountState {
    pub(crate) fn new(spec: AccountSpec) -> Self {
        Self {
            spec,
            flood: FloodState::default(),
        }
    }

    /// Whether Premium is active at `now`.
    pub(crate) fn has_premium(&self, now: UnixTime) -> bool {
        self.spec.premium && self.spec.premium_until.is_none_or(|until| until > now)
    }

    pub(crate) fn access(&self, channel: ChannelId) -> ChannelAccess {
        let unlisted = if self.spec.any_channel {
            ChannelAccess::CanPost
        } else {
            ChannelAccess::NotMember
        };
        self.spec
            .channels
            .get(&channel)
            .copied()
            .unwrap_or(unlisted)
    }

    pub(crate) fn profile(&self, now: UnixTime) -> Profile {
        let premium = self.has_premium(now);
        Profile {
            account_id: self.spec.id,
            username: self.spec.username.clone(),
            first_name: self.spec.first_name.clone(),
            premium,
            premium_until: self.spec.premium_until.filter(|_| premium),
        }
    }
}

/// One simulated account, as the engine reaches it: every call waits for its latency on the
/// market's clock and is answered from the market's state at the moment it arrives.
#[derive(Clone)]
pub struct SimAccount {
    market: Market,
    id: AccountId,
}

impl SimAccount {
    pub(crate) const fn new(market: Market, id: AccountId) -> Self {
        Self { market, id }
    }

    pub fn market(&self) -> &Market {
        &self.market
    }
}

impl fmt::Debug for SimAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimAccount").field("id", &self.id).finish()
    }
}

#[async_trait]
impl TelegramAccount for SimAccount {
    fn account_id(&self) -> AccountId {
        self.id
    }

    async fn star_gifts(&self, hash: i32) -> Result<CatalogResponse, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::Catalog, move |state, now| {
                Ok(state.star_gifts(id, hash, now))
            })
            .await
    }

    async fn profile(&self) -> Result<Profile, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::Profile, move |state, now| {
                state.account(id).map(|account| account.profile(now.unix))
            })
            .await
    }

    async fn stars_balance(&self) -> Result<Stars, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::Balance, move |state, _| {
                state.account(id).map(|account| account.spec.balance)
            })
            .await
    }

    async fn buy_gift(&self, request: PurchaseRequest) -> Result<PurchaseReceipt, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::Buy, move |state, now| {
                state.buy(id, request, now)
            })
            .await
    }

    async fn resale_listings(
        &self,
        gift_id: GiftId,
        offset: &str,
        limit: i32,
    ) -> Result<ResalePage, TelegramError> {
        let offset = offset.to_owned();
        self.market
            .call(self.id, Method::Resale, move |state, now| {
                state.resale_listings(gift_id, &offset, limit, now)
            })
            .await
    }

    async fn buy_resale(
        &self,
        request: ResalePurchaseRequest,
    ) -> Result<PurchaseReceipt, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::ResaleBuy, move |state, now| {
                state.buy_resale(id, request, now)
            })
            .await
    }

    async fn auction_state(
        &self,
        gift_id: GiftId,
        version: i32,
    ) -> Result<AuctionAnswer, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::AuctionState, move |state, now| {
                state.auction_state(id, gift_id, version, now)
            })
            .await
    }

    async fn place_bid(&self, request: BidRequest) -> Result<PurchaseReceipt, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::Bid, move |state, now| {
                state.place_bid(id, &request, now)
            })
            .await
    }

    async fn download_sticker(&self, sticker: StickerRef) -> Result<Vec<u8>, TelegramError> {
        self.market
            .call(self.id, Method::Sticker, move |state, now| {
                state.sticker(&sticker, now)
            })
            .await
    }

    async fn channel_takes_star_gifts(&self, channel: ChannelId) -> Result<bool, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::ChannelInfo, move |state, _| {
                match state.account(id)?.access(channel) {
                    ChannelAccess::NotMember => Err(TelegramError::NotMember),
                    ChannelAccess::CanPost | ChannelAccess::ReadOnly => {
                        Ok(!state.closed_to_gifts.contains(&channel))
                    }
                }
            })
            .await
    }

    async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, TelegramError> {
        let id = self.id;
        self.market
            .call(id, Method::ChannelInfo, move |state, _| {
                let access = state.account(id)?.access(channel);
                Ok(ChannelInfo {
                    channel_id: channel,
                    // A channel the account cannot see shows no title, as Telegram shows none.
                    title: match access {
                        ChannelAccess::NotMember => None,
                        ChannelAccess::CanPost | ChannelAccess::ReadOnly => {
                            state.channel_titles.get(&channel).cloned()
                        }
                    },
                    access,
                })
            })
            .await
    }
}
