//! Channels that receive bought gifts, their price and supply filters, exclude lists, and how
//! they rank.

use crate::{ChannelId, ChannelRowId, ExcludeList, GiftId, GiftKinds, ValueError};

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

/// What a channel accepts: gifts whose price and total supply fall in both ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChannelFilter {
    pub price: Bounds,
    pub supply: Bounds,
}

impl ChannelFilter {
    /// What an open supply maximum counts as when comparing supply windows.
    pub const OPEN_SUPPLY_MAX: u64 = 1_000_000_000_000;

    pub const fn accepts(&self, price: u64, supply: u64) -> bool {
        self.price.contains(price) && self.supply.contains(supply)
    }

    /// Width of the supply window; a narrower window is a more specific channel.
    pub fn supply_window(&self) -> u64 {
        self.supply
            .max
            .unwrap_or(Self::OPEN_SUPPLY_MAX)
            .saturating_sub(self.supply.min.unwrap_or(0))
    }
}

/// A channel of the user's list that gifts are bought onto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub row_id: ChannelRowId,
    pub channel_id: ChannelId,
    pub filter: ChannelFilter,
    /// Gift ids and kinds the channel never takes, even when its filter accepts them.
    pub exclude: ExcludeList,
    pub title: Option<String>,
}

impl Channel {
    /// Whether the channel takes the gift: its filter accepts the price and supply, and its
    /// exclude list names neither the gift nor any of its kinds.
    pub fn takes(&self, gift: GiftId, kinds: GiftKinds, price: u64, supply: u64) -> bool {
        self.filter.accepts(price, supply) && !self.exclude.matches(gift, kinds)
    }

    /// The key that orders channels from best to worst for any gift they both accept: the
    /// narrowest supply window, then the higher price maximum (an open one counts as 0), then
    /// the lower row id. It does not depend on the gift, which lets the planner sort channels
    /// once and take the first that accepts each gift.
    pub fn rank_key(&self) -> (u64, std::cmp::Reverse<u64>, ChannelRowId) {
        (
            self.filter.supply_window(),
            std::cmp::Reverse(self.filter.price.max.unwrap_or(0)),
            self.row_id,
        )
    }
}

/// Channels sorted best first, answering "which channel takes this gift".
#[derive(Debug, Clone, Default)]
pub struct ChannelRanking<'a> {
    ranked: Vec<&'a Channel>,
}

impl<'a> ChannelRanking<'a> {
    pub fn new(channels: impl IntoIterator<Item = &'a Channel>) -> Self {
        let mut ranked: Vec<&Channel> = channels.into_iter().collect();
        ranked.sort_by_key(|channel| channel.rank_key());
        Self { ranked }
    }

    /// The best channel for a gift of this price and supply.
    pub fn best_for(&self, price: u64, supply: u64) -> Option<&'a Channel> {
        self.matching(price, supply).next()
    }

    /// Every channel whose filter accepts a gift of this price and supply, best first, without
    /// looking at exclude lists (which need the gift's id and kinds; see [`Self::taking`]).
    pub fn matching(&self, price: u64, supply: u64) -> impl Iterator<Item = &'a Channel> + '_ {
        self.ranked
            .iter()
            .copied()
            .filter(move |channel| channel.filter.accepts(price, supply))
    }

    /// Every channel that takes the gift ([`Channel::takes`]), best first; the engine falls
    /// back along this order when a channel refuses a purchase.
    pub fn taking(
        &self,
        gift: GiftId,
        kinds: GiftKinds,
        price: u64,
        supply: u64,
    ) -> impl Iterator<Item = &'a Channel> + '_ {
        self.ranked
            .iter()
            .copied()
            .filter(move |channel| channel.takes(gift, kinds, price, supply))
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
        let filter = |min, max| ChannelFilter {
            price: Bounds::UNBOUNDED,
            supply: Bounds::new(min, max, "supply").expect("valid"),
        };
        assert_eq!(filter(None, None).supply_window(), 1_000_000_000_000);
        assert_eq!(filter(Some(100), None).supply_window(), 999_999_999_900);
        assert_eq!(filter(None, Some(5000)).supply_window(), 5000);
        assert_eq!(filter(Some(2_000_000_000_000), None).supply_window(), 0);
    }
}
