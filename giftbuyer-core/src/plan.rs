//! What the planner decides: purchases in order, skipped gifts with reasons, deferred gifts.

use std::collections::BTreeMap;
use std::fmt;

use crate::{AccountId, GiftDefect, GiftId, GiftKinds, Recipient, Stars, UnixTime};

/// One purchase of one copy of a gift by an account for a recipient (a channel, the account
/// itself, or a user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    pub account_id: AccountId,
    pub recipient: Recipient,
    pub gift_id: GiftId,
    pub price: Stars,
    /// The gift's total supply, which is what target filters select on.
    pub supply: u64,
}

/// Why the planner did not buy a gift (or did not buy it with one account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    InvalidId,
    /// A gift sold by auction: it takes bids, never purchases.
    Auction,
    InvalidPrice,
    Unlimited,
    NoSupplyForLimited,
    InvalidSupply,
    SoldOut,
    /// No target's filter accepts the gift. The code keeps its first name, from the time
    /// every target was a channel, so that stored journals and scripts stay readable.
    NoChannelMatch,
    /// Some target's filter accepts the gift, but every such target's exclude list names the
    /// gift or one of its kinds.
    Excluded,
    PremiumRequired,
    PerUserCapReached,
    NotEnoughStars,
    /// The plan already holds [`crate::MAX_OPERATIONS`] purchases.
    OperationLimit,
}

impl SkipReason {
    /// The stable machine-readable code, as written in JSON output and the journal.
    pub const fn code(self) -> &'static str {
        match self {
            Self::InvalidId => "invalid_id",
            Self::Auction => "auction",
            Self::InvalidPrice => "invalid_price",
            Self::Unlimited => "unlimited",
            Self::NoSupplyForLimited => "no_supply_for_limited",
            Self::InvalidSupply => "invalid_supply",
            Self::SoldOut => "sold_out",
            Self::NoChannelMatch => "no_channel_match",
            Self::Excluded => "excluded",
            Self::PremiumRequired => "premium_required",
            Self::PerUserCapReached => "per_user_cap_reached",
            Self::NotEnoughStars => "not_enough_stars",
            Self::OperationLimit => "operation_limit",
        }
    }

    pub const ALL: [Self; 13] = [
        Self::InvalidId,
        Self::Auction,
        Self::InvalidPrice,
        Self::Unlimited,
        Self::NoSupplyForLimited,
        Self::InvalidSupply,
        Self::SoldOut,
        Self::NoChannelMatch,
        Self::Excluded,
        Self::PremiumRequired,
        Self::PerUserCapReached,
        Self::NotEnoughStars,
        Self::OperationLimit,
    ];
}

impl From<GiftDefect> for SkipReason {
    fn from(defect: GiftDefect) -> Self {
        match defect {
            GiftDefect::InvalidId => Self::InvalidId,
            GiftDefect::Auction => Self::Auction,
            GiftDefect::InvalidPrice => Self::InvalidPrice,
            GiftDefect::Unlimited => Self::Unlimited,
            GiftDefect::NoSupplyForLimited => Self::NoSupplyForLimited,
            GiftDefect::InvalidSupply => Self::InvalidSupply,
            GiftDefect::SoldOut => Self::SoldOut,
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A gift the planner did not buy, with the reason; `account_id` is set when the reason is
/// about one account (premium, per-user cap, balance) rather than the gift itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Skip {
    /// The raw catalog id, which may be invalid (that is one of the reasons to skip).
    pub gift_id: i64,
    pub reason: SkipReason,
    pub account_id: Option<AccountId>,
}

/// A gift an account would buy but cannot yet: Telegram locks it for that account until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deferred {
    pub gift_id: GiftId,
    pub account_id: AccountId,
    pub recipient: Recipient,
    pub until: UnixTime,
}

/// The planner's output. Operations are in planning order, which is the order to send them in
/// per account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub operations: Vec<Operation>,
    pub skips: Vec<Skip>,
    pub deferred: Vec<Deferred>,
    /// The kinds of every gift the operations buy, so that execution's move to another target
    /// honours exclude lists by kind as the planner did.
    pub gift_kinds: BTreeMap<GiftId, GiftKinds>,
}

impl Plan {
    /// Stars the plan would spend in total.
    pub fn total_price(&self) -> Stars {
        self.operations
            .iter()
            .fold(Stars::ZERO, |sum, op| sum.saturating_add(op.price))
    }
}

/// A compact, human-readable listing: runs of identical operations are folded into `×n`.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "operations: {} (total {})",
            self.operations.len(),
            self.total_price()
        )?;
        for chunk in self.operations.chunk_by(|a, b| a == b) {
            let op = chunk[0];
            writeln!(
                f,
                "  acc={} → {} gift={} {} supply={} ×{}",
                op.account_id,
                op.recipient,
                op.gift_id,
                op.price,
                op.supply,
                chunk.len()
            )?;
        }
        writeln!(f, "skips: {}", self.skips.len())?;
        for skip in &self.skips {
            write!(f, "  gift={} {}", skip.gift_id, skip.reason)?;
            if let Some(account) = skip.account_id {
                write!(f, " acc={account}")?;
            }
            writeln!(f)?;
        }
        writeln!(f, "deferred: {}", self.deferred.len())?;
        for entry in &self.deferred {
            writeln!(
                f,
                "  gift={} acc={} {} until {}",
                entry.gift_id, entry.account_id, entry.recipient, entry.until
            )?;
        }
        Ok(())
    }
}
