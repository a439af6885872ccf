//! The port to one Telegram user account: catalog, profile, balance, purchases, stickers.

use async_trait::async_trait;

use super::TelegramError;
use crate::auction::AuctionAnswer;
use crate::resale::{Recipient, ResaleListing};
use crate::{AccountId, CatalogGift, ChannelId, GiftId, Stars, StickerRef, UnixTime};

/// The answer to `payments.getStarGifts(hash)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogResponse {
    /// `payments.starGiftsNotModified`: the catalog still has the hash that was sent.
    NotModified,
    /// `payments.starGifts`: the whole catalog and its new hash. Unique (upgraded) gifts are
    /// left out by the adapter; they cannot be bought from the catalog.
    Catalog { hash: i32, gifts: Vec<CatalogGift> },
}

/// The account's own user, as `users.getFullUser(inputUserSelf)` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub account_id: AccountId,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub premium: bool,
    pub premium_until: Option<UnixTime>,
}

/// One purchase: the gift for a recipient (`peer`: a channel, `inputPeerSelf`, or a user
/// resolved by username), sent through `payments.getPaymentForm` with `inputInvoiceStarGift`
/// and then `payments.sendStarsForm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRequest {
    pub gift_id: GiftId,
    pub recipient: Recipient,
    /// The price the plan expects. The adapter compares it with the payment form and refuses
    /// with [`TelegramError::PriceChanged`] rather than pay another amount.
    pub price: Stars,
    /// Hide the sender's name on the gift (`hide_name`).
    pub hide_name: bool,
    /// Optional message attached to the gift.
    pub message: Option<String>,
}

/// Proof of a purchase: the payment form that was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseReceipt {
    pub form_id: i64,
}

/// One page of `payments.getResaleStarGifts(sort_by_price)` for one gift type: the cheapest
/// listings first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResalePage {
    pub listings: Vec<ResaleListing>,
    /// How many listings the gift type has in all (`count`).
    pub count: i64,
    /// The offset of the next page; `None` on the last one.
    pub next_offset: Option<String>,
}

/// One resale purchase: the unique gift `slug` for `recipient`, sent through
/// `payments.getPaymentForm` with `inputInvoiceStarGiftResale` and `payments.sendStarsForm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResalePurchaseRequest {
    pub slug: String,
    pub recipient: Recipient,
    /// The price the listing showed. The adapter compares it with the payment form and refuses
    /// with [`TelegramError::PriceChanged`] rather than pay another amount: a seller may raise
    /// the price between the poll and the purchase.
    pub price: Stars,
}

/// One bid in a gift's auction, sent through `payments.getPaymentForm` with
/// `inputInvoiceStarGiftAuctionBid` and `payments.sendStarsForm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidRequest {
    pub gift_id: GiftId,
    pub recipient: Recipient,
    /// The bid's new total (`bid_amount`).
    pub total: Stars,
    /// The total that stands before this bid; set for a raise (`update_bid`). The adapter
    /// accepts a payment form priced at the new total or at the difference, and refuses any
    /// other price with [`TelegramError::PriceChanged`]: never more than the bid is paid.
    pub standing: Option<Stars>,
}

/// What an account may do in a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelAccess {
    /// A member with the right to post (and so to receive gifts sent on the channel's behalf).
    CanPost,
    /// A member without the right to post.
    ReadOnly,
    /// Not a member, or the channel is not visible to the account.
    NotMember,
}

/// A channel as one account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    pub channel_id: ChannelId,
    pub title: Option<String>,
    pub access: ChannelAccess,
}

/// One logged-in Telegram user account.
///
/// Implementations must be cheap to call concurrently from several tasks. A purchase must be
/// sent at most once per call: adapters never retry [`TelegramAccount::buy_gift`] on their own
/// (not even on a flood wait), because only the engine knows whether a retry is safe.
#[async_trait]
pub trait TelegramAccount: Send + Sync {
    fn account_id(&self) -> AccountId;

    /// `payments.getStarGifts(hash)`: the catalog, or `NotModified` when `hash` is current.
    async fn star_gifts(&self, hash: i32) -> Result<CatalogResponse, TelegramError>;

    /// The account's own profile (premium status).
    async fn profile(&self) -> Result<Profile, TelegramError>;

    /// `payments.getStarsStatus(inputPeerSelf)`: the star balance.
    async fn stars_balance(&self) -> Result<Stars, TelegramError>;

    /// Buys one copy of a gift for a recipient.
    async fn buy_gift(&self, request: PurchaseRequest) -> Result<PurchaseReceipt, TelegramError>;

    /// `payments.getResaleStarGifts(sort_by_price, gift_id, offset, limit)`: a page of the
    /// gift type's resale listings, cheapest first; `offset` is `""` for the first page.
    async fn resale_listings(
        &self,
        gift_id: GiftId,
        offset: &str,
        limit: i32,
    ) -> Result<ResalePage, TelegramError>;

    /// Buys one listed unique gift. Sent at most once per call, like [`Self::buy_gift`].
    async fn buy_resale(
        &self,
        request: ResalePurchaseRequest,
    ) -> Result<PurchaseReceipt, TelegramError>;

    /// `payments.getStarGiftAuctionState` for `gift`'s auction, with the last state version
    /// applied (0 for none). The call also subscribes the account to the auction's updates for
    /// the answer's `timeout_secs`.
    async fn auction_state(
        &self,
        gift_id: GiftId,
        version: i32,
    ) -> Result<AuctionAnswer, TelegramError>;

    /// Places or raises a bid. Sent at most once per call, like [`Self::buy_gift`].
    async fn place_bid(&self, request: BidRequest) -> Result<PurchaseReceipt, TelegramError>;

    /// Downloads a gift's sticker: the gzipped Lottie animation (`.tgs`).
    async fn download_sticker(&self, sticker: StickerRef) -> Result<Vec<u8>, TelegramError>;

    /// Whether the account can see and post in a channel, and the channel's title.
    async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, TelegramError>;

    /// `channels.getFullChannel`: whether the channel takes star gifts at all
    /// (`channelFull.stargifts_available`). Its owner may turn them off, and then an auction
    /// gift cannot be won for it. A channel the account cannot see is
    /// [`TelegramError::NotMember`].
    async fn channel_takes_star_gifts(&self, channel: ChannelId) -> Result<bool, TelegramError>;
}
