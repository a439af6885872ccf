//! The resale market: unique gifts listed for sale, the user's watches for them, and the pure
//! rules that decide which listings to buy, with which account, for whom.
//!
//! Upgraded (unique) gifts are resold between users (`payments.getResaleStarGifts`, bought with
//! `inputInvoiceStarGiftResale`). Collectors watch one gift type, optionally one model,
//! backdrop or symbol, under a price, and buy a listing the moment it appears. A listing is one
//! unique gift: it can be bought once, by one account, so the rules below never plan it twice.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::ids::positive_id;
use crate::{Account, AccountId, GiftId, Stars, ValueError};

// Recipients were first needed by the resale market; they are shared by every way of buying.
pub use crate::recipient::{MAX_USERNAME_CHARS, Recipient, TelegramUsername};

/// The most listings one watch may ask for: a sniping watch buys a few rare items, and a bound
/// keeps a typo (10 000 instead of 10) from emptying every account.
pub const MAX_WATCH_COPIES: u32 = 100;

/// The longest slug a listing may have to be bought: Telegram's are a word and a number, and
/// the journal keys purchases on it.
pub const MAX_SLUG_BYTES: usize = 256;

/// The longest attribute name a watch may filter on; Telegram's names are short words.
pub const MAX_ATTRIBUTE_CHARS: usize = 64;

/// The attributes of a unique gift by name, as `starGiftUnique.attributes` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct GiftAttributes {
    /// `starGiftAttributeModel.name`.
    pub model: Option<String>,
    /// `starGiftAttributeBackdrop.name`.
    pub backdrop: Option<String>,
    /// `starGiftAttributePattern.name`, which Telegram's apps call the symbol.
    pub symbol: Option<String>,
}

/// One unique gift offered for resale, as Telegram sent it; nothing here is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResaleListing {
    /// `starGiftUnique.id`: this one item.
    pub unique_id: i64,
    /// `starGiftUnique.gift_id`: the gift type it was upgraded from.
    pub gift_id: i64,
    /// `starGiftUnique.slug`, which is what `inputInvoiceStarGiftResale` buys.
    pub slug: String,
    pub title: String,
    /// The item's number within its type (`num`).
    pub num: i64,
    /// The asking price in stars (`resell_amount`'s `starsAmount`); `None` when the seller
    /// takes TON only (`resale_ton_only`) or gave no price.
    pub price: Option<i64>,
    pub attributes: GiftAttributes,
    pub require_premium: bool,
}

positive_id!(
    /// Identifier of one of the user's resale watches (the storage key), always positive.
    WatchId,
    ValueError::WatchId
);

/// Why a resale watch could not be built from raw values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    #[error("watch id must be positive, got {0}")]
    Id(i64),
    #[error("gift id must be positive, got {0}")]
    GiftId(i64),
    #[error("max_price must be positive")]
    ZeroMaxPrice,
    #[error("copies must be between 1 and {MAX_WATCH_COPIES}, got {0}")]
    Copies(i64),
    #[error("{field} must be 1 to {MAX_ATTRIBUTE_CHARS} characters without control characters")]
    Attribute { field: &'static str },
}

/// Which attributes a watch insists on; an absent name matches any value.
///
/// Names compare without regard to case or surrounding spaces, since people type them from
/// what the apps show.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct AttributeFilter {
    model: Option<String>,
    backdrop: Option<String>,
    symbol: Option<String>,
}

impl AttributeFilter {
    /// A filter on the given names; each must be a short, printable name.
    pub fn new(
        model: Option<&str>,
        backdrop: Option<&str>,
        symbol: Option<&str>,
    ) -> Result<Self, WatchError> {
        let check = |value: Option<&str>, field| {
            value
                .map(|name| {
                    let name = name.trim();
                    let chars = name.chars().count();
                    if chars == 0
                        || chars > MAX_ATTRIBUTE_CHARS
                        || name.chars().any(char::is_control)
                    {
                        Err(WatchError::Attribute { field })
                    } else {
                        Ok(name.to_lowercase())
                    }
                })
                .transpose()
        };
        Ok(Self {
            model: check(model, "model")?,
            backdrop: check(backdrop, "backdrop")?,
            symbol: check(symbol, "symbol")?,
        })
    }

    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    pub fn backdrop(&self) -> Option<&str> {
        self.backdrop.as_deref()
    }

    pub fn symbol(&self) -> Option<&str> {
        self.symbol.as_deref()
    }

    /// Whether a listing's attributes satisfy every name the filter sets.
    pub fn matches(&self, attributes: &GiftAttributes) -> bool {
        let one = |wanted: &Option<String>, actual: &Option<String>| match wanted {
            None => true,
            Some(wanted) => actual
                .as_deref()
                .is_some_and(|actual| actual.trim().to_lowercase() == *wanted),
        };
        one(&self.model, &attributes.model)
            && one(&self.backdrop, &attributes.backdrop)
            && one(&self.symbol, &attributes.symbol)
    }
}

/// A user's standing order: buy up to `copies` listings of one gift type, matching the
/// attribute filter, at `max_price` stars or less each, for `recipient`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResaleWatch {
    pub id: WatchId,
    pub gift_id: GiftId,
    pub attributes: AttributeFilter,
    /// The most the watch pays for one listing; never exceeded, whatever the listing says.
    pub max_price: Stars,
    pub recipient: Recipient,
    /// How many listings the watch wants in all, in `1..=MAX_WATCH_COPIES`.
    pub copies: u32,
    /// How many it has bought (or may have bought: an unknown outcome counts) so far.
    pub bought: u32,
}

impl ResaleWatch {
    /// A watch from raw values, each checked.
    pub fn new(
        id: i64,
        gift_id: i64,
        attributes: AttributeFilter,
        max_price: Stars,
        recipient: Recipient,
        copies: i64,
    ) -> Result<Self, WatchError> {
        let id = WatchId::new(id).map_err(|_| WatchError::Id(id))?;
        let gift_id = GiftId::new(gift_id).map_err(|_| WatchError::GiftId(gift_id))?;
        if max_price == Stars::ZERO {
            return Err(WatchError::ZeroMaxPrice);
        }
        let copies = u32::try_from(copies)
            .ok()
            .filter(|copies| (1..=MAX_WATCH_COPIES).contains(copies))
            .ok_or(WatchError::Copies(copies))?;
        Ok(Self {
            id,
            gift_id,
            attributes,
            max_price,
            recipient,
            copies,
            bought: 0,
        })
    }

    /// Listings the watch still wants.
    pub fn wanted(&self) -> u32 {
        self.copies.saturating_sub(self.bought)
    }
}

/// One resale purchase to send: `account` buys the listing `slug` at `price` for `recipient`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SnipeBuy {
    pub watch_id: WatchId,
    pub account_id: AccountId,
    pub unique_id: i64,
    pub gift_id: GiftId,
    pub slug: String,
    /// The listing's price, which the adapter checks against the payment form before paying.
    pub price: Stars,
    pub recipient: Recipient,
}

/// Why a listing a watch looked at was not bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SnipeSkipReason {
    /// The listing's slug is empty, too long or holds control characters, or its id is not
    /// valid, so it cannot be bought or journaled.
    InvalidListing,
    /// The seller takes TON only, or gave no price in stars.
    NoStarPrice,
    /// The asking price is above the watch's maximum.
    AboveMaxPrice,
    /// An earlier watch already takes this listing; one item is bought once.
    TakenByEarlierWatch,
    /// The watch already has all the copies it wants.
    WatchFull,
    /// The gift needs Premium and no account with enough stars has it.
    PremiumRequired,
    /// No account has enough stars left.
    NotEnoughStars,
}

impl SnipeSkipReason {
    /// The stable machine-readable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::InvalidListing => "invalid_listing",
            Self::NoStarPrice => "no_star_price",
            Self::AboveMaxPrice => "above_max_price",
            Self::TakenByEarlierWatch => "taken_by_earlier_watch",
            Self::WatchFull => "watch_full",
            Self::PremiumRequired => "premium_required",
            Self::NotEnoughStars => "not_enough_stars",
        }
    }
}

impl fmt::Display for SnipeSkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A listing of a watched gift type that a watch passed over, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SnipeSkip {
    pub watch_id: WatchId,
    pub slug: String,
    pub reason: SnipeSkipReason,
}

/// What [`plan_snipes`] decided.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SnipePlan {
    /// Purchases in the order to send them.
    pub buys: Vec<SnipeBuy>,
    pub skips: Vec<SnipeSkip>,
}

impl SnipePlan {
    /// Stars the plan would spend in total.
    pub fn total_price(&self) -> Stars {
        self.buys
            .iter()
            .fold(Stars::ZERO, |sum, buy| sum.saturating_add(buy.price))
    }
}

/// A compact listing, one line per purchase and per skip.
impl fmt::Display for SnipePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "buys: {} (total {})",
            self.buys.len(),
            self.total_price()
        )?;
        for buy in &self.buys {
            writeln!(
                f,
                "  watch={} acc={} → {} gift={} {:?} {}",
                buy.watch_id, buy.account_id, buy.recipient, buy.gift_id, buy.slug, buy.price
            )?;
        }
        writeln!(f, "skips: {}", self.skips.len())?;
        for skip in &self.skips {
            writeln!(
                f,
                "  watch={} {:?} {}",
                skip.watch_id, skip.slug, skip.reason
            )?;
        }
        Ok(())
    }
}

/// Decides which listings to buy.
///
/// 1. Watches are served in id order (the oldest first), each to the copies it still wants.
/// 2. A watch looks at the listings of its gift type that match its attributes, cheapest first
///    (ties: lower item number, then slug), and passes over each listing it cannot take with a
///    reason: no valid slug or ids, no price in stars, above its maximum, already taken by an
///    earlier watch, or the watch is full.
/// 3. A listing is bought by the account with the most stars left that can pay it and, for a
///    Premium-only gift, has Premium (ties: lower account id); its price then leaves that
///    account's balance, so no account is ever planned beyond its stars.
/// 4. Listings outside every watch's gift type or attributes are not mentioned.
///
/// Buying the cheapest first serves "snap it up under my price": each listing is a different
/// item, and the cheap ones are the ones other collectors take first.
pub fn plan_snipes(
    watches: &[ResaleWatch],
    listings: &[ResaleListing],
    accounts: &[Account],
) -> SnipePlan {
    let mut plan = SnipePlan::default();
    let mut balances: BTreeMap<AccountId, (Stars, bool)> = accounts
        .iter()
        .map(|account| (account.id, (account.balance, account.premium)))
        .collect();
    let mut taken: HashSet<&str> = HashSet::new();
    // A slug seen twice in one answer (a page boundary moving) is one item: the first wins.
    let mut seen = HashSet::new();
    let listings: Vec<&ResaleListing> = listings
        .iter()
        .filter(|listing| seen.insert(listing.slug.as_str()))
        .collect();

    let mut watches: Vec<&ResaleWatch> = watches.iter().collect();
    watches.sort_by_key(|watch| watch.id);
    for watch in watches {
        let mut candidates: Vec<&ResaleListing> = listings
            .iter()
            .copied()
            .filter(|listing| {
                listing.gift_id == watch.gift_id.get()
                    && watch.attributes.matches(&listing.attributes)
            })
            .collect();
        candidates.sort_by(|a, b| {
            let price = |listing: &ResaleListing| listing.price.unwrap_or(i64::MAX);
            (price(a), a.num, &a.slug).cmp(&(price(b), b.num, &b.slug))
        });
        let mut wanted = watch.wanted();
        for listing in candidates {
            let skip = |plan: &mut SnipePlan, reason| {
                plan.skips.push(SnipeSkip {
                    watch_id: watch.id,
                    slug: listing.slug.clone(),
                    reason,
                });
            };
            let bad_slug = listing.slug.is_empty()
                || listing.slug.len() > MAX_SLUG_BYTES
                || listing.slug.chars().any(char::is_control);
            if bad_slug || listing.unique_id <= 0 {
                skip(&mut plan, SnipeSkipReason::InvalidListing);
                continue;
            }
            let Some(price) = listing
                .price
                .and_then(|price| Stars::from_i64(price).ok())
                .filter(|&price| price > Stars::ZERO)
            else {
                skip(&mut plan, SnipeSkipReason::NoStarPrice);
                continue;
            };
            if price > watch.max_price {
                skip(&mut plan, SnipeSkipReason::AboveMaxPrice);
                continue;
            }
            if taken.contains(listing.slug.as_str()) {
                skip(&mut plan, SnipeSkipReason::TakenByEarlierWatch);
                continue;
            }
            if wanted == 0 {
                skip(&mut plan, SnipeSkipReason::WatchFull);
                continue;
            }
            let richest = balances
                .iter()
                .filter(|(_, (balance, premium))| {
                    *balance >= price && (*premium || !listing.require_premium)
                })
                .max_by_key(|(id, (balance, _))| (*balance, Reverse(**id)))
                .map(|(id, _)| *id);
            let Some(account_id) = richest else {
                let affordable = balances.values().any(|(balance, _)| *balance >= price);
                let reason = if affordable && listing.require_premium {
                    SnipeSkipReason::PremiumRequired
                } else {
                    SnipeSkipReason::NotEnoughStars
                };
                skip(&mut plan, reason);
                continue;
            };
            if let Some((balance, _)) = balances.get_mut(&account_id) {
                *balance = balance.saturating_sub(price);
            }
            taken.insert(listing.slug.as_str());
            wanted -= 1;
            plan.buys.push(SnipeBuy {
                watch_id: watch.id,
                account_id,
                unique_id: listing.unique_id,
                gift_id: watch.gift_id,
                slug: listing.slug.clone(),
                price,
                recipient: watch.recipient,
            });
        }
    }
    plan
}
