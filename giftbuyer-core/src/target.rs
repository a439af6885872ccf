//! Targets that receive bought gifts (channels, the buying account, other users), their price
//! and supply filters, exclude lists, and how they rank.

use crate::{ExcludeList, GiftId, GiftKinds, Recipient, TargetRowId, ValueError};

/// An inclusive range of non-negative numbers where either end may be open.
///
/// Constructed only through [`Bounds::new`], so `min <= max` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bounds {
    min: Option<u64>,
    max: Option<u64>,
}

impl Bounds {
    /// No bound at either end.
    pub const UNBOUNDED: Self = Self {
        min: None,
        max: None,
    };

    /// A range from `min` to `max`; `what` names the range in the error ("price", "supply").
    pub const fn new(
        min: Option<u64>,
        max: Option<u64>,
        what: &'static str,
    ) -> Result<Self, ValueError> {
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            return Err(ValueError::InvertedBounds { what, min, max });
        }
        Ok(Self { min, max })
    }

    /// Like [`Bounds::new`] for signed input, refusing negative ends.
    pub fn from_i64(
        min: Option<i64>,
        max: Option<i64>,
        what: &'static str,
    ) -> Result<Self, ValueError> {
        let convert = |value: Option<i64>| {
            value
                .map(|value| {
                    u64::try_from(value).map_err(|_| ValueError::NegativeBound { what, value })
                })
                .transpose()
        };
        Self::new(convert(min)?, convert(max)?, what)
    }

    pub const fn min(self) -> Option<u64> {
        self.min
    }

    pub const fn max(self) -> Option<u64> {
        self.max
    }

    pub const fn contains(self, value: u64) -> bool {
        let above_min = match self.min {
            Some(min) => value >= min,
            None => true,
        };
        let below_max = match self.max {
            Some(max) => value <= max,
            None => true,
        };
        above_min && below_max
    }
}

/// What a target accepts: gifts whose price and total supply fall in both ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TargetFilter {
    pub price: Bounds,
    pub supply: Bounds,
}

impl TargetFilter {
    /// What an open supply maximum counts as when comparing supply windows.
    pub const OPEN_SUPPLY_MAX: u64 = 1_000_000_000_000;

    pub const fn accepts(&self, price: u64, supply: u64) -> bool {
        self.price.contains(price) && self.supply.contains(supply)
    }

    /// Width of the supply window; a narrower window is a more specific target.
    pub fn supply_window(&self) -> u64 {
        self.supply
            .max
            .unwrap_or(Self::OPEN_SUPPLY_MAX)
            .saturating_sub(self.supply.min.unwrap_or(0))
    }
}

/// A target of the user's list that autobuy buys gifts onto: one of the user's channels, the
/// buying account itself, or another Telegram user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub row_id: TargetRowId,
    pub recipient: Recipient,
    pub filter: TargetFilter,
    /// Gift ids and kinds the target never takes, even when its filter accepts them.
    pub exclude: ExcludeList,
    pub title: Option<String>,
}

impl Target {
    /// Whether the target takes the gift: its filter accepts the price and supply, and its
    /// exclude list names neither the gift nor any of its kinds.
    pub fn takes(&self, gift: GiftId, kinds: GiftKinds, price: u64, supply: u64) -> bool {
        self.filter.accepts(price, supply) && !self.exclude.matches(gift, kinds)
    }

    /// The key that orders targets from best to worst for any gift they both accept: the
    /// narrowest supply window, then the higher price maximum (an open one counts as 0), then
    /// the lower row id. It does not depend on the gift, which lets the planner sort targets
    /// once and take the first that accepts each gift. The kind of recipient plays no part: a
    /// channel, the account itself and a user rank by the same rules.
    pub fn rank_key(&self) -> (u64, std::cmp::Reverse<u64>, TargetRowId) {
        (
            self.filter.supply_window(),
            std::cmp::Reverse(self.filter.price.max.unwrap_or(0)),
            self.row_id,
        )
    }
}

/// Targets sorted best first, answering "which target takes this gift".
#[derive(Debug, Clone, Default)]
pub struct TargetRanking<'a> {
    ranked: Vec<&'a Target>,
}

impl<'a> TargetRanking<'a> {
    pub fn new(targets: impl IntoIterator<Item = &'a Target>) -> Self {
        let mut ranked: Vec<&Target> = targets.into_iter().collect();
        ranked.sort_by_key(|target| target.rank_key());
        Self { ranked }
    }

    /// The best target for a gift of this price and supply.
    pub fn best_for(&self, price: u64, supply: u64) -> Option<&'a Target> {
        self.matching(price, supply).next()
    }

    /// Every target whose filter accepts a gift of this price and supply, best first, without
    /// looking at exclude lists (which need the gift's id and kinds; see [`Self::taking`]).
    pub fn matching(&self, price: u64, supply: u64) -> impl Iterator<Item = &'a Target> + '_ {
        self.ranked
            .iter()
            .copied()
            .filter(move |target| target.filter.accepts(price, supply))
    }

    /// Every target that takes the gift ([`Target::takes`]), best first; the engine falls
    /// back along this order when a target refuses a purchase.
    pub fn taking(
        &self,
        gift: GiftId,
        kinds: GiftKinds,
        price: u64,
        supply: u64,
    ) -> impl Iterator<Item = &'a Target> + '_ {
        self.ranked
            .iter()
            .copied()
            .filter(move |target| target.takes(gift, kinds, price, supply))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_refuse_inverted_and_negative_ends() {
        assert_eq!(
            Bounds::from_i64(Some(10), Some(5), "price"),
            Err(ValueError::InvertedBounds {
                what: "price",
                min: 10,
                max: 5
            })
        );
        assert_eq!(
            Bounds::from_i64(Some(-1), None, "supply"),
            Err(ValueError::NegativeBound {
                what: "supply",
                value: -1
            })
        );
        let bounds = Bounds::from_i64(Some(5), Some(5), "price").expect("valid");
        assert!(bounds.contains(5) && !bounds.contains(4) && !bounds.contains(6));
        assert!(Bounds::UNBOUNDED.contains(0) && Bounds::UNBOUNDED.contains(u64::MAX));
    }

    #[test]
    fn supply_window_treats_open_ends_as_zero_and_ten_to_the_twelfth() {
        let filter = |min, max| TargetFilter {
            price: Bounds::UNBOUNDED,
            supply: Bounds::new(min, max, "supply").expect("valid"),
        };
        assert_eq!(filter(None, None).supply_window(), 1_000_000_000_000);
        assert_eq!(filter(Some(100), None).supply_window(), 999_999_999_900);
        assert_eq!(filter(None, Some(5000)).supply_window(), 5000);
        assert_eq!(filter(Some(2_000_000_000_000), None).supply_window(), 0);
    }
}
