//! `Stars`, an amount of Telegram Stars (prices, balances, spending).

use std::fmt;

use crate::ValueError;

/// A non-negative amount of Telegram Stars.
///
/// Telegram sends amounts as signed 64-bit integers; the constructor from `i64` refuses
/// negatives so that arithmetic on balances cannot go below zero unnoticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Stars(u64);

impl Stars {
    pub const ZERO: Self = Self(0);

    pub const fn new(amount: u64) -> Self {
        Self(amount)
    }

    /// Accepts a signed amount as Telegram sends it, refusing negatives.
    pub const fn from_i64(amount: i64) -> Result<Self, ValueError> {
        if amount >= 0 {
            Ok(Self(amount as u64))
        } else {
            Err(ValueError::NegativeStars(amount))
        }
    }

    pub const fn get(self) -> u64 {
        self.0
    }

    pub const fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    pub const fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

impl TryFrom<i64> for Stars {
    type Error = ValueError;

    fn try_from(amount: i64) -> Result<Self, Self::Error> {
        Self::from_i64(amount)
    }
}

impl fmt::Display for Stars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}⭐", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_negative_amounts() {
        assert_eq!(Stars::from_i64(-1), Err(ValueError::NegativeStars(-1)));
        assert_eq!(Stars::from_i64(25).map(Stars::get), Ok(25));
        assert_eq!(Stars::new(25).to_string(), "25⭐");
    }
}
