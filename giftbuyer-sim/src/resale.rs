//! The simulated resale market: unique gifts listed at a price for a while, until a competitor
//! or one of the simulated accounts buys them.

use std::time::Duration;

use giftbuyer_core::ports::{PurchaseReceipt, ResalePage, ResalePurchaseRequest, TelegramError};
use giftbuyer_core::resale::{Recipient, ResaleListing};
use giftbuyer_core::{AccountId, GiftId, Stars, UnixTime};

use crate::config::ConfigError;
use crate::market::{Now, State};

/// The most listings one `getResaleStarGifts` page holds, as Telegram caps `limit`.
pub const MAX_RESALE_PAGE: i32 = 100;

/// One unique gift put up for resale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResaleSpec {
    /// The listing as the market shows it; `price` is its asking price in stars.
    pub listing: ResaleListing,
    /// When it appears, on the market's clock.
    pub listed_at: Duration,
    /// When a competitor buys it if no simulated account does first; `None` for never.
    pub taken_at: Option<Duration>,
}

impl ResaleSpec {
    /// A listing of `gift_id`'s item `num` at `price` stars, there from the start, which
    /// nobody else buys.
    pub fn new(gift_id: GiftId, num: i64, price: Stars) -> Self {
        Self {
            listing: ResaleListing {
                unique_id: unique_id(gift_id, num),
                gift_id: gift_id.get(),
                slug: format!("gift{gift_id}-{num}"),
                title: format!("Gift {gift_id}"),
                num,
                price: i64::try_from(price.get()).ok(),
                attributes: Default::default(),
                require_premium: false,
            },
            listed_at: Duration::ZERO,
            taken_at: None,
        }
    }

    #[must_use]
    pub fn listed_at(mut self, at: Duration) -> Self {
        self.listed_at = at;
        self
    }

    #[must_use]
    pub fn taken_at(mut self, at: Duration) -> Self {
        self.taken_at = Some(at);
        self
    }

    #[must_use]
    pub fn attributes(mut self, model: &str, backdrop: &str, symbol: &str) -> Self {
        self.listing.attributes = giftbuyer_core::resale::GiftAttributes {
            model: Some(model.to_owned()),
            backdrop: Some(backdrop.to_owned()),
            symbol: Some(symbol.to_owned()),
        };
        self
    }

    /// Checks what the types cannot: a listing has a slug, positive ids and a price.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let listing = &self.listing;
        let valid = !listing.slug.is_empty()
            && listing.unique_id > 0
            && listing.gift_id > 0
            && listing.price.is_some_and(|price| price > 0);
        if !valid {
            return Err(ConfigError::InvalidListing(listing.slug.clone()));
        }
        if self.taken_at.is_some_and(|taken| taken < self.listed_at) {
            return Err(ConfigError::InvalidListing(listing.slug.clone()));
        }
        Ok(())
    }
}

/// A positive id for item `num` of a gift type, distinct per item like Telegram's
/// `starGiftUnique.id` (gift ids are too large to combine arithmetically).
fn unique_id(gift_id: GiftId, num: i64) -> i64 {
    let draw = crate::rng::SplitMix64::keyed(0x554e_4951_5545, &[gift_id.get() as u64, num as u64])
        .next_u64();
    i64::try_from(draw >> 1).unwrap_or(i64::MAX).max(1)
}

/// A listing in the market and who, if anyone, bought it.
#[derive(Debug, Clone)]
pub(crate) struct ResaleState {
    pub(crate) spec: ResaleSpec,
    pub(crate) sold_to: Option<AccountId>,
}

impl ResaleState {
    /// Whether the listing is on sale at `now`.
    pub(crate) fn on_sale(&self, now: Duration) -> bool {
        self.sold_to.is_none()
            && now >= self.spec.listed_at
            && self.spec.taken_at.is_none_or(|taken| now < taken)
    }
}

/// One resale purchase the market carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResalePurchase {
    pub form_id: i64,
    pub account: AccountId,
    pub slug: String,
    pub gift: i64,
    pub price: Stars,
    pub recipient: Recipient,
    pub at: Duration,
    pub unix: UnixTime,
}

impl State {
    /// `payments.getResaleStarGifts(sort_by_price)`: the gift type's listings on sale, the
    /// cheapest first (ties: lower number), paged by a decimal offset.
    pub(crate) fn resale_listings(
        &self,
        gift_id: GiftId,
        offset: &str,
        limit: i32,
        now: Now,
    ) -> Result<ResalePage, TelegramError> {
        if !(1..=MAX_RESALE_PAGE).contains(&limit) {
            return Err(rpc("LIMIT_INVALID"));
        }
        let start = if offset.is_empty() {
            0
        } else {
            offset.parse::<usize>().map_err(|_| rpc("OFFSET_INVALID"))?
        };
        let mut on_sale: Vec<&ResaleListing> = self
            .resale
            .iter()
            .filter(|state| {
                state.spec.listing.gift_id == gift_id.get() && state.on_sale(now.elapsed)
            })
            .map(|state| &state.spec.listing)
            .collect();
        on_sale.sort_by_key(|listing| (listing.price, listing.num, listing.slug.clone()));
        let limit = usize::try_from(limit).unwrap_or(0);
        let end = start.saturating_add(limit).min(on_sale.len());
        let listings: Vec<ResaleListing> = on_sale
            .get(start.min(end)..end)
            .unwrap_or_default()
            .iter()
            .map(|listing| (*listing).clone())
            .collect();
        Ok(ResalePage {
            count: i64::try_from(on_sale.len()).unwrap_or(i64::MAX),
            next_offset: (end < on_sale.len()).then(|| end.to_string()),
            listings,
        })
    }

    /// `inputInvoiceStarGiftResale` through a payment form: the checks in order are the
    /// recipient (a channel the account can post in, or a person the market knows by their
    /// username), the listing (known, then still on sale),
    /// the account's Premium for a Premium-only gift, the price, then the balance.
    pub(crate) fn buy_resale(
        &mut self,
        account_id: AccountId,
        request: ResalePurchaseRequest,
        now: Now,
    ) -> Result<PurchaseReceipt, TelegramError> {
        self.check_recipient(account_id, request.recipient)?;
        let account = self.account(account_id)?;
        let premium = account.has_premium(now.unix);
        let balance = account.spec.balance;
        let index = self
            .resale
            .iter()
            .position(|state| {
                state.spec.listing.slug == request.slug && now.elapsed >= state.spec.listed_at
            })
            .ok_or_else(|| rpc("STARGIFT_SLUG_INVALID"))?;
        let state = &self.resale[index];
        if !state.on_sale(now.elapsed) {
            return Err(rpc("STARGIFT_NOT_FOUND"));
        }
        if state.spec.listing.require_premium && !premium {
            return Err(TelegramError::PremiumRequired);
        }
        let price = state
            .spec
            .listing
            .price
            .and_then(|price| u64::try_from(price).ok())
            .map(Stars::new)
            .unwrap_or(Stars::ZERO);
        if price != request.price {
            return Err(TelegramError::PriceChanged {
                expected: request.price,
                actual: price,
            });
        }
        if balance < price {
            return Err(TelegramError::BalanceTooLow);
        }
        let form_id = self.next_resale_form_id();
        let gift = self.resale[index].spec.listing.gift_id;
        self.resale[index].sold_to = Some(account_id);
        if let Some(account) = self.accounts.get_mut(&account_id) {
            account.spec.balance = account.spec.balance.saturating_sub(price);
        }
        self.resale_purchases.push(ResalePurchase {
            form_id,
            account: account_id,
            slug: request.slug,
            gift,
            price,
            recipient: request.recipient,
            at: now.elapsed,
            unix: now.unix,
        });
        Ok(PurchaseReceipt { form_id })
    }

    /// Resale forms are numbered apart from gift purchases' so both logs stay dense.
    fn next_resale_form_id(&self) -> i64 {
        2_000_000_000 + i64::try_from(self.resale_purchases.len()).unwrap_or(0) + 1
    }
}

fn rpc(name: &str) -> TelegramError {
    TelegramError::Rpc {
        code: 400,
        name: name.into(),
    }
}
