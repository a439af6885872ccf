//! The autobuy planner: which gift, which account, which target and how many copies.
//!
//! The planner is pure and total: it reads a validated [`PlanInput`] and the current time and
//! always returns a [`Plan`]. Its rules are documented on [`plan`].

use std::cmp::Reverse;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::{
    Account, CatalogGift, Deferred, LimitedGift, Operation, Plan, Recipient, Skip, SkipReason,
    Target, TargetRanking, UnixTime,
};

/// The most purchases one plan holds. A purchase takes a round trip to Telegram, so even a
/// hundred accounts could not send this many before any drop sells out; the bound keeps a
/// hostile input (a huge balance and a one-star gift) from exhausting memory.
pub const MAX_OPERATIONS: usize = 1_000_000;

/// Why a [`PlanInput`] was refused. Positions are indexes in the lists given to
/// [`PlanInput::new`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanInputError {
    #[error("accounts[{index}]: duplicate account id {id}")]
    DuplicateAccount { index: usize, id: i64 },
    #[error("targets[{index}]: duplicate target row id {id}")]
    DuplicateTargetRow { index: usize, id: i64 },
    #[error("targets[{index}]: duplicate recipient {recipient}")]
    DuplicateRecipient { index: usize, recipient: Recipient },
    #[error("gifts[{index}]: duplicate gift id {id}")]
    DuplicateGift { index: usize, id: i64 },
}

/// The order in which the planner takes gifts: the first gifts get the stars when a balance
/// cannot buy everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Priority {
    /// Smaller supply first, then higher price, then lower id: the rarest gifts sell out
    /// fastest and are worth the most later.
    #[default]
    ScarcestFirst,
    /// Higher price first, then smaller supply, then lower id: the most expensive gift of a
    /// range is bought before cheaper ones take the balance.
    PriciestFirst,
}

impl Priority {
    pub const ALL: [Self; 2] = [Self::ScarcestFirst, Self::PriciestFirst];

    /// The stable machine-readable code, as written in JSON and in the store.
    pub const fn code(self) -> &'static str {
        match self {
            Self::ScarcestFirst => "scarcest_first",
            Self::PriciestFirst => "priciest_first",
        }
    }
}

/// An unsupported priority code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown priority {0:?}: expected \"scarcest_first\" or \"priciest_first\"")]
pub struct UnknownPriority(pub String);

impl FromStr for Priority {
    type Err = UnknownPriority;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|priority| priority.code() == code)
            .ok_or_else(|| UnknownPriority(code.to_owned()))
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Accounts, targets and catalog entries to plan over, free of duplicates.
///
/// The lists are kept in a canonical order (accounts and gifts by id, targets best first), so
/// the plan does not depend on the order the caller listed them in.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    accounts: Vec<Account>,
    targets: Vec<Target>,
    gifts: Vec<CatalogGift>,
    priority: Priority,
}

impl PlanInput {
    pub fn new(
        mut accounts: Vec<Account>,
        mut targets: Vec<Target>,
        mut gifts: Vec<CatalogGift>,
    ) -> Result<Self, PlanInputError> {
        first_duplicate(accounts.iter().map(|a| a.id.get())).map_or(Ok(()), |(index, id)| {
            Err(PlanInputError::DuplicateAccount { index, id })
        })?;
        first_duplicate(targets.iter().map(|t| t.row_id.get())).map_or(Ok(()), |(index, id)| {
            Err(PlanInputError::DuplicateTargetRow { index, id })
        })?;
        first_duplicate(targets.iter().map(|t| t.recipient))
            .map_or(Ok(()), |(index, recipient)| {
                Err(PlanInputError::DuplicateRecipient { index, recipient })
            })?;
        first_duplicate(gifts.iter().map(|g| g.id)).map_or(Ok(()), |(index, id)| {
            Err(PlanInputError::DuplicateGift { index, id })
        })?;
        accounts.sort_by_key(|account| account.id);
        targets.sort_by_key(Target::rank_key);
        gifts.sort_by_key(|gift| gift.id);
        Ok(Self {
            accounts,
            targets,
            gifts,
            priority: Priority::default(),
        })
    }

    /// The same input planned in another gift order.
    #[must_use]
    pub fn with_priority(self, priority: Priority) -> Self {
        Self { priority, ..self }
    }

    pub const fn priority(&self) -> Priority {
        self.priority
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// Targets, best ranked first.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    pub fn gifts(&self) -> &[CatalogGift] {
        &self.gifts
    }

    /// Targets ranked for "which target takes this gift" queries.
    pub fn ranking(&self) -> TargetRanking<'_> {
        // The targets are stored in rank order already, so this sort is a cheap pass.
        TargetRanking::new(&self.targets)
    }
}

fn first_duplicate<T: Eq + std::hash::Hash + Copy>(
    ids: impl Iterator<Item = T>,
) -> Option<(usize, T)> {
    let mut seen = HashSet::new();
    ids.enumerate().find(|&(_, id)| !seen.insert(id))
}

/// A gift that passed validation and has a target, with the stock the plan has left of it.
struct Candidate<'a> {
    gift: &'a CatalogGift,
    facts: LimitedGift,
    recipient: Recipient,
    stock: u64,
}

/// Plans purchases at time `now`.
///
/// 1. Each catalog entry is checked ([`CatalogGift::check`]); a defect is a skip without an
///    account. These skips come first, in gift id order.
/// 2. Valid gifts are taken in the input's [`Priority`] order: by default smaller supply first,
///    then higher price, then lower id; with [`Priority::PriciestFirst`] higher price first,
///    then smaller supply, then lower id.
/// 3. Each gift goes to its best target (see [`Target::rank_key`]) among those that take it
///    ([`Target::takes`]), whatever the target's kind (a channel, the buying account, a
///    user); a gift no target's filter accepts is skipped with `no_channel_match`, and one
///    that every accepting target excludes with `excluded`.
/// 4. Accounts buy in descending balance (ties: lower id). Each account walks the gifts in
///    priority order that still have stock: a gift locked for the account after `now` is
///    deferred; a premium-only gift is skipped on a non-premium account; a per-user cap of 0
///    is skipped; otherwise the account buys `min(stock, balance / price, cap)` copies, or
///    skips with `not_enough_stars` when that is zero.
/// 5. Operations are listed in exactly that order, one per copy.
pub fn plan(input: &PlanInput, now: UnixTime) -> Plan {
    let mut plan = Plan::default();
    let ranking = input.ranking();

    let mut valid = Vec::with_capacity(input.gifts.len());
    for gift in &input.gifts {
        match gift.check() {
            Ok(facts) => valid.push((gift, facts)),
            Err(defect) => plan.skips.push(Skip {
                gift_id: gift.id,
                reason: defect.into(),
                account_id: None,
            }),
        }
    }
    // Ids are unique, so both keys are total orders and the unstable sort is deterministic.
    match input.priority {
        Priority::ScarcestFirst => {
            valid.sort_unstable_by_key(|(_, facts)| (facts.supply, Reverse(facts.price), facts.id))
        }
        Priority::PriciestFirst => {
            valid.sort_unstable_by_key(|(_, facts)| (Reverse(facts.price), facts.supply, facts.id))
        }
    }

    let mut candidates = Vec::with_capacity(valid.len());
    for (gift, facts) in valid {
        let kinds = gift.kinds();
        let mut accepting = ranking.matching(facts.price.get(), facts.supply).peekable();
        let reason = if accepting.peek().is_none() {
            SkipReason::NoChannelMatch
        } else if let Some(target) =
            accepting.find(|target| !target.exclude.matches(facts.id, kinds))
        {
            candidates.push(Candidate {
                gift,
                facts,
                recipient: target.recipient,
                stock: facts.remaining,
            });
            continue;
        } else {
            SkipReason::Excluded
        };
        plan.skips.push(Skip {
            gift_id: facts.id.get(),
            reason,
            account_id: None,
        });
    }

    let mut accounts: Vec<&Account> = input.accounts.iter().collect();
    accounts.sort_by_key(|account| (Reverse(account.balance), account.id));
    for account in accounts {
        plan_account(account, &mut candidates, now, &mut plan);
        // Sold-out candidates are dropped so later accounts do not walk past them.
        candidates.retain(|candidate| candidate.stock > 0);
    }
    plan
}

fn plan_account(
    account: &Account,
    candidates: &mut [Candidate<'_>],
    now: UnixTime,
    plan: &mut Plan,
) {
    let mut balance = account.balance.get();
    let skip = |plan: &mut Plan, candidate: &Candidate<'_>, reason| {
        plan.skips.push(Skip {
            gift_id: candidate.facts.id.get(),
            reason,
            account_id: Some(account.id),
        });
    };
    for candidate in candidates
        .iter_mut()
        .filter(|candidate| candidate.stock > 0)
    {
        let facts = candidate.facts;
        if let Some(until) = candidate.gift.locked_for(account.id, now) {
            plan.deferred.push(Deferred {
                gift_id: facts.id,
                account_id: account.id,
                recipient: candidate.recipient,
                until,
            });
            continue;
        }
        if facts.require_premium && !account.premium {
            skip(plan, candidate, SkipReason::PremiumRequired);
            continue;
        }
        let cap = facts.per_user_cap.unwrap_or(u64::MAX);
        if cap == 0 {
            skip(plan, candidate, SkipReason::PerUserCapReached);
            continue;
        }
        let affordable = balance / facts.price.get();
        let copies = candidate.stock.min(affordable).min(cap);
        if copies == 0 {
            skip(plan, candidate, SkipReason::NotEnoughStars);
            continue;
        }
        let room = (MAX_OPERATIONS - plan.operations.len()) as u64;
        if room == 0 {
            skip(plan, candidate, SkipReason::OperationLimit);
            continue;
        }
        let copies = copies.min(room);
        let operation = Operation {
            account_id: account.id,
            recipient: candidate.recipient,
            gift_id: facts.id,
            price: facts.price,
            supply: facts.supply,
        };
        // `copies <= room <= MAX_OPERATIONS`, so the conversion cannot truncate.
        plan.operations
            .extend(std::iter::repeat_n(operation, copies as usize));
        plan.gift_kinds.insert(facts.id, candidate.gift.kinds());
        balance -= copies * facts.price.get();
        candidate.stock -= copies;
    }
}
