//! Star gifts: a catalog entry as Telegram sends it, and the checks that make it a buyable gift.

use std::collections::BTreeMap;

use crate::{AccountId, GiftId, GiftKind, GiftKinds, Stars, UnixTime};

/// A reference to the sticker document of a gift, enough for an adapter to download its `.tgs`.
///
/// The fields mirror the MTProto `document` constructor. They are opaque to the core.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StickerRef {
    pub document_id: i64,
    pub access_hash: i64,
    pub file_reference: Vec<u8>,
    pub dc_id: i32,
    pub size: i64,
}

/// The auction a gift is released through (`starGift.auction` with its `auction_slug`,
/// `gifts_per_round` and `auction_start_date`), as Telegram sent it.
///
/// Telegram's rule is that such a gift "must not be bought through the normal gift sending
/// flow": it is bid for (`inputInvoiceStarGiftAuctionBid`), never bought with
/// `inputInvoiceStarGift`. The fields are kept raw, like the rest of the entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GiftAuction {
    /// The auction's deep-link slug (`t.me/auction/<slug>`); may be empty if Telegram left it out.
    pub slug: String,
    /// How many gifts each round hands to its top bidders.
    pub gifts_per_round: i64,
    /// When the first round starts, in Unix seconds; 0 or negative when unknown.
    pub start_date: i64,
}

impl GiftAuction {
    /// The start date, when it is a valid time.
    pub fn starts_at(&self) -> Option<UnixTime> {
        UnixTime::from_secs(self.start_date)
            .ok()
            .filter(|start| start.secs() > 0)
    }
}

/// One `starGift` entry of `payments.getStarGifts`, as Telegram sent it (layer 230).
///
/// Nothing here is trusted: ids and prices may be zero, supply may be missing or inconsistent.
/// [`CatalogGift::check`] turns an entry into the facts the planner relies on, or says which
/// rule refused it. Field names follow the TL constructor where they differ from plain English:
/// `price` is `stars`, `supply` is `availability_total`, `remaining` is `availability_remains`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatalogGift {
    pub id: i64,
    pub price: i64,
    pub limited: bool,
    /// Telegram's `sold_out` flag; a gift so flagged is sold out whatever `remaining` says.
    pub sold_out: bool,
    pub supply: Option<i64>,
    pub remaining: Option<i64>,
    pub require_premium: bool,
    /// Telegram's `birthday` flag: a gift offered for birthdays, which some users never want.
    pub birthday: bool,
    /// How many more copies the account that fetched the catalog may buy; `None` means the gift
    /// has no per-user limit. The planner applies it to each account, because each account is a
    /// separate Telegram user with its own allowance.
    pub per_user_remains: Option<i64>,
    /// Until when the gift is locked for an account (`locked_until_date`, seen per account).
    pub locks: BTreeMap<AccountId, UnixTime>,
    pub sticker: Option<StickerRef>,
    pub title: Option<String>,
    /// Set for a gift released through an auction, which is never bought as a purchase.
    pub auction: Option<GiftAuction>,
}

/// Why a catalog entry cannot be bought, in the order the planner checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GiftDefect {
    /// The id is zero or negative.
    InvalidId,
    /// The gift is sold by auction, which only takes bids: buying it as a purchase would fail on
    /// every account (or worse), so it is never planned as one.
    Auction,
    /// The price is zero or negative.
    InvalidPrice,
    /// The gift is not limited, so it never sells out and is not worth racing for.
    Unlimited,
    /// A limited gift without `availability_total`.
    NoSupplyForLimited,
    /// The supply is not positive, or the remaining count lies outside `0..=supply`.
    InvalidSupply,
    /// Nothing remains, the remaining count is unknown, or Telegram flagged it sold out.
    SoldOut,
}

/// The facts of a limited gift that can be bought right now, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitedGift {
    pub id: GiftId,
    pub price: Stars,
    /// Total supply, at least 1.
    pub supply: u64,
    /// Copies left, in `1..=supply`.
    pub remaining: u64,
    pub require_premium: bool,
    /// Copies each account may still buy; `None` for no per-user limit.
    pub per_user_cap: Option<u64>,
}

impl CatalogGift {
    /// Applies the validation rules in order and returns the first one the entry breaks.
    ///
    /// A negative `per_user_remains` is read as zero copies left rather than as a defect: the
    /// account cannot buy more, which the planner reports per account.
    pub fn check(&self) -> Result<LimitedGift, GiftDefect> {
        let id = GiftId::new(self.id).map_err(|_| GiftDefect::InvalidId)?;
        // Checked before the price and supply, whatever those say: an auction's entry carries
        // a starting price and a supply, and would otherwise look like an ordinary limited gift.
        if self.auction.is_some() {
            return Err(GiftDefect::Auction);
        }
        let price = match Stars::from_i64(self.price) {
            Ok(price) if price > Stars::ZERO => price,
            _ => return Err(GiftDefect::InvalidPrice),
        };
        if !self.limited {
            return Err(GiftDefect::Unlimited);
        }
        let supply = self.supply.ok_or(GiftDefect::NoSupplyForLimited)?;
        let supply = u64::try_from(supply)
            .ok()
            .filter(|&supply| supply > 0)
            .ok_or(GiftDefect::InvalidSupply)?;
        let remaining = match self.remaining {
            None => return Err(GiftDefect::SoldOut),
            Some(remaining) => u64::try_from(remaining)
                .ok()
                .filter(|&remaining| remaining <= supply)
                .ok_or(GiftDefect::InvalidSupply)?,
        };
        if remaining == 0 || self.sold_out {
            return Err(GiftDefect::SoldOut);
        }
        Ok(LimitedGift {
            id,
            price,
            supply,
            remaining,
            require_premium: self.require_premium,
            per_user_cap: self
                .per_user_remains
                .map(|cap| u64::try_from(cap).unwrap_or(0)),
        })
    }

    /// The kinds the entry's flags mark it as, which exclude lists select on.
    pub fn kinds(&self) -> GiftKinds {
        let mut kinds = GiftKinds::EMPTY;
        if self.birthday {
            kinds = kinds.with(GiftKind::Birthday);
        }
        if self.require_premium {
            kinds = kinds.with(GiftKind::PremiumOnly);
        }
        kinds
    }

    /// Until when the gift is locked for `account`, if it is locked after `now`.
    pub fn locked_for(&self, account: AccountId, now: UnixTime) -> Option<UnixTime> {
        self.locks
            .get(&account)
            .copied()
            .filter(|&until| until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(id: i64, price: i64, supply: Option<i64>, remaining: Option<i64>) -> CatalogGift {
        CatalogGift {
            id,
            price,
            limited: true,
            supply,
            remaining,
            ..CatalogGift::default()
        }
    }

    #[test]
    fn rules_apply_in_order() {
        use GiftDefect::*;
        let cases = [
            (limited(0, 0, None, None), Err(InvalidId)),
            (
                CatalogGift {
                    auction: Some(GiftAuction::default()),
                    ..limited(0, 5, Some(10), Some(10))
                },
                Err(InvalidId),
            ),
            (
                CatalogGift {
                    auction: Some(GiftAuction::default()),
                    ..limited(1, 0, None, None)
                },
                Err(Auction),
            ),
            (
                CatalogGift {
                    auction: Some(GiftAuction::default()),
                    ..limited(1, 500, Some(10), Some(10))
                },
                Err(Auction),
            ),
            (limited(1, 0, None, None), Err(InvalidPrice)),
            (limited(1, -5, Some(10), Some(1)), Err(InvalidPrice)),
            (
                CatalogGift {
                    limited: false,
                    ..limited(1, 5, None, None)
                },
                Err(Unlimited),
            ),
            (limited(1, 5, None, Some(3)), Err(NoSupplyForLimited)),
            (limited(1, 5, Some(0), Some(0)), Err(InvalidSupply)),
            (limited(1, 5, Some(-1), Some(0)), Err(InvalidSupply)),
            (limited(1, 5, Some(10), Some(11)), Err(InvalidSupply)),
            (limited(1, 5, Some(10), Some(-1)), Err(InvalidSupply)),
            (limited(1, 5, Some(10), Some(0)), Err(SoldOut)),
            (limited(1, 5, Some(10), None), Err(SoldOut)),
            (
                CatalogGift {
                    sold_out: true,
                    ..limited(1, 5, Some(10), Some(4))
                },
                Err(SoldOut),
            ),
        ];
        for (gift, expected) in cases {
            assert_eq!(gift.check().map(|g| g.id.get()), expected, "{gift:?}");
        }
    }

    #[test]
    fn a_valid_limited_gift_keeps_its_facts() {
        let gift = CatalogGift {
            per_user_remains: Some(-2),
            require_premium: true,
            ..limited(7, 25, Some(1000), Some(10))
        };
        let checked = gift.check().expect("valid");
        assert_eq!(
            (
                checked.id.get(),
                checked.price.get(),
                checked.supply,
                checked.remaining,
                checked.require_premium,
                checked.per_user_cap
            ),
            (7, 25, 1000, 10, true, Some(0))
        );
    }

    #[test]
    fn an_auction_start_counts_only_when_it_is_a_time() {
        let at = |start_date| GiftAuction {
            start_date,
            ..GiftAuction::default()
        };
        assert_eq!(at(0).starts_at(), None);
        assert_eq!(at(-5).starts_at(), None);
        assert_eq!(
            at(1_764_000_000).starts_at(),
            Some(UnixTime::from_secs(1_764_000_000).expect("valid"))
        );
    }

    #[test]
    fn a_lock_counts_only_while_it_lasts() {
        let account = AccountId::new(5).expect("valid");
        let until = UnixTime::from_secs(100).expect("valid");
        let gift = CatalogGift {
            locks: BTreeMap::from([(account, until)]),
            ..CatalogGift::default()
        };
        let at = |secs| UnixTime::from_secs(secs).expect("valid");
        assert_eq!(gift.locked_for(account, at(99)), Some(until));
        assert_eq!(gift.locked_for(account, at(100)), None);
        assert_eq!(
            gift.locked_for(AccountId::new(6).expect("valid"), at(0)),
            None
        );
    }
}
