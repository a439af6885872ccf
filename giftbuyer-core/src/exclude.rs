//! Exclude lists: the gift ids and gift kinds a channel never takes, whatever its filter says.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::{GiftId, ValueError};

/// The most gift ids one exclude list holds. A list is read for every gift of every drop, and a
/// person excludes a handful of gifts, so the bound only stops absurd or hostile input.
pub const MAX_EXCLUDED_GIFTS: usize = 1000;

/// A kind of gift, named after the `starGift` flag (layer 230) that marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GiftKind {
    /// `birthday`: a gift Telegram offers for birthdays.
    Birthday,
    /// `require_premium`: only Premium accounts may buy it.
    PremiumOnly,
}

impl GiftKind {
    pub const ALL: [Self; 2] = [Self::Birthday, Self::PremiumOnly];

    /// The stable machine-readable code, as written in JSON and in the store.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Birthday => "birthday",
            Self::PremiumOnly => "premium_only",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Birthday => 1,
            Self::PremiumOnly => 2,
        }
    }
}

impl FromStr for GiftKind {
    type Err = ValueError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| ValueError::GiftKind(code.to_owned()))
    }
}

impl fmt::Display for GiftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A set of gift kinds, small enough to copy with every gift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GiftKinds(u8);

impl GiftKinds {
    pub const EMPTY: Self = Self(0);

    #[must_use]
    pub const fn with(self, kind: GiftKind) -> Self {
        Self(self.0 | kind.bit())
    }

    pub const fn contains(self, kind: GiftKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`GiftKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = GiftKind> {
        GiftKind::ALL
            .into_iter()
            .filter(move |&kind| self.contains(kind))
    }
}

impl FromIterator<GiftKind> for GiftKinds {
    fn from_iter<I: IntoIterator<Item = GiftKind>>(kinds: I) -> Self {
        kinds.into_iter().fold(Self::EMPTY, Self::with)
    }
}

/// What a channel never takes: these gift ids, and gifts of these kinds.
///
/// Constructed through [`ExcludeList::new`], so every id is positive, there are at most
/// [`MAX_EXCLUDED_GIFTS`] of them, and none is listed twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExcludeList {
    gift_ids: BTreeSet<GiftId>,
    kinds: GiftKinds,
}

impl ExcludeList {
    /// An empty list: the channel takes whatever its filter accepts.
    pub const EMPTY: Self = Self {
        gift_ids: BTreeSet::new(),
        kinds: GiftKinds::EMPTY,
    };

    /// A list of raw gift ids and kinds. Duplicate ids are dropped before the size is checked,
    /// because listing a gift twice excludes it no more than once.
    pub fn new(
        gift_ids: impl IntoIterator<Item = i64>,
        kinds: impl IntoIterator<Item = GiftKind>,
    ) -> Result<Self, ValueError> {
        let mut set = BTreeSet::new();
        for id in gift_ids {
            set.insert(GiftId::new(id)?);
            // Stopping at the first id too many keeps a hostile list of millions from being
            // collected before it is refused.
            if set.len() > MAX_EXCLUDED_GIFTS {
                return Err(ValueError::TooManyExcludedGifts {
                    max: MAX_EXCLUDED_GIFTS,
                });
            }
        }
        let gift_ids = set;
        Ok(Self {
            gift_ids,
            kinds: kinds.into_iter().collect(),
        })
    }

    /// Like [`ExcludeList::new`] with kinds given by their codes; an unknown code is refused
    /// with an error that names it.
    pub fn from_codes<'a>(
        gift_ids: impl IntoIterator<Item = i64>,
        kinds: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ValueError> {
        let kinds = kinds
            .into_iter()
            .map(str::parse)
            .collect::<Result<Vec<GiftKind>, _>>()?;
        Self::new(gift_ids, kinds)
    }

    /// The excluded gift ids, in ascending order.
    pub fn gift_ids(&self) -> impl ExactSizeIterator<Item = GiftId> + '_ {
        self.gift_ids.iter().copied()
    }

    pub const fn kinds(&self) -> GiftKinds {
        self.kinds
    }

    pub fn is_empty(&self) -> bool {
        self.gift_ids.is_empty() && self.kinds.is_empty()
    }

    /// Whether the list refuses a gift with this id and these kinds.
    pub fn matches(&self, gift: GiftId, kinds: GiftKinds) -> bool {
        self.kinds.intersects(kinds) || self.gift_ids.contains(&gift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_positive_and_duplicates_are_dropped() {
        assert_eq!(ExcludeList::new([5, -3], []), Err(ValueError::GiftId(-3)));
        let list = ExcludeList::new([7, 5, 7], [GiftKind::Birthday]).expect("valid");
        assert_eq!(
            list.gift_ids().map(GiftId::get).collect::<Vec<_>>(),
            vec![5, 7]
        );
        assert!(list.kinds().contains(GiftKind::Birthday));
        assert!(!list.kinds().contains(GiftKind::PremiumOnly));
    }

    #[test]
    fn a_list_holds_at_most_a_thousand_distinct_ids() {
        assert!(ExcludeList::new(1..=1000, []).is_ok());
        // The thousand and first listing repeats an id, so the list still fits.
        assert!(ExcludeList::new((1..=1000).chain([1]), []).is_ok());
        assert_eq!(
            ExcludeList::new(1..=1001, []),
            Err(ValueError::TooManyExcludedGifts { max: 1000 })
        );
    }

    #[test]
    fn unknown_kinds_are_refused_by_name() {
        let error = ExcludeList::from_codes([], ["birthday", "plush"]).expect_err("unknown");
        assert_eq!(error, ValueError::GiftKind("plush".to_owned()));
        assert!(error.to_string().contains("\"plush\""), "{error}");
        assert_eq!(
            ExcludeList::from_codes([], ["premium_only"])
                .expect("valid")
                .kinds()
                .iter()
                .collect::<Vec<_>>(),
            vec![GiftKind::PremiumOnly]
        );
    }

    #[test]
    fn a_gift_matches_by_id_or_by_any_of_its_kinds() {
        let id = |raw| GiftId::new(raw).expect("valid");
        let list = ExcludeList::new([9], [GiftKind::Birthday]).expect("valid");
        let birthday = GiftKinds::EMPTY.with(GiftKind::Birthday);
        let premium = GiftKinds::EMPTY.with(GiftKind::PremiumOnly);
        assert!(list.matches(id(9), GiftKinds::EMPTY));
        assert!(list.matches(id(1), birthday.with(GiftKind::PremiumOnly)));
        assert!(!list.matches(id(1), premium));
        assert!(!ExcludeList::EMPTY.matches(id(9), birthday));
    }
}
