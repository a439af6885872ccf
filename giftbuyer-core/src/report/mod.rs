//! The human report of an autobuy run: what was new, what was bought where, and why not.
//!
//! [`Report::build`] folds a run (the new gifts, the plan and what happened to each operation)
//! into a language-neutral summary; [`Report::render`] writes it in English or Russian and
//! [`split_message`] cuts it into Telegram-sized messages.

mod auction;
mod lang;
mod render;
mod resale;
mod split;

use std::collections::{BTreeMap, BTreeSet};

pub use auction::{BidLine, bid_report};
pub use lang::{Lang, UnknownLang};
pub use resale::{ResaleLine, resale_report};
pub use split::{TELEGRAM_MESSAGE_LIMIT, split_message};

use crate::{
    Account, AccountId, CatalogGift, Operation, Plan, Recipient, SkipReason, Stars, UnixTime,
};

/// What happened to one operation the engine sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome {
    Bought,
    /// Telegram refused it; the name is the RPC error (`STARGIFT_USAGE_LIMITED`,
    /// `BALANCE_TOO_LOW`, ...) or the engine's own reason (`flood_wait`).
    Failed(String),
    /// The request may or may not have reached Telegram (a crash or timeout while sending).
    Unknown,
}

/// An operation as executed, which may differ from the plan (e.g. moved to another channel).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Execution {
    pub operation: Operation,
    pub outcome: Outcome,
}

/// The run a report describes.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The gifts that were new in this run, as the catalog listed them.
    pub new_gifts: &'a [CatalogGift],
    /// Accounts with their balances at the start of the run.
    pub accounts: &'a [Account],
    pub plan: &'a Plan,
    /// What happened to each operation; `None` for a dry run, which reports the plan itself.
    pub executions: Option<&'a [Execution]>,
}

/// How a gift fared in the run, from the best outcome to the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GiftStatus {
    /// At least one copy was bought.
    Bought,
    /// Dry run: at least one copy is planned.
    Planned,
    /// Operations were sent, none bought, and some outcome is unknown.
    Unknown,
    /// Operations were sent and all failed.
    Failed,
    /// Nothing was sent because every account that could buy it is locked out for now.
    Deferred,
    /// Nothing was planned.
    Skipped,
}

/// Copies of a gift that went to one channel from one account, by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub planned: u64,
    pub bought: u64,
    pub failed: u64,
    pub unknown: u64,
}

impl Tally {
    fn add(&mut self, outcome: Option<&Outcome>) {
        self.planned += 1;
        match outcome {
            None => {}
            Some(Outcome::Bought) => self.bought += 1,
            Some(Outcome::Failed(_)) => self.failed += 1,
            Some(Outcome::Unknown) => self.unknown += 1,
        }
    }
}

/// A reason a gift (or some copies of it) was not bought.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
///
/// The variant order is the order reasons are listed in: what went wrong while sending first,
/// then why copies were not planned, then locks.
pub enum Reason {
    Failed(String),
    Unknown,
    Skip(SkipReason),
    LockedUntil(UnixTime),
}

/// A reason with the accounts it concerns (empty when it is about the gift itself) and how many
/// times it occurred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonLine {
    pub reason: Reason,
    pub accounts: BTreeSet<AccountId>,
    pub count: u64,
}

/// One gift of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftLine {
    pub gift_id: i64,
    pub title: Option<String>,
    pub price: i64,
    /// `None` for an unlimited gift, `Some(None)` for a limited gift without a supply.
    pub supply: Option<Option<i64>>,
    pub status: GiftStatus,
    /// When the gift's auction starts, for a gift sold by auction whose start date is known.
    pub auction_start: Option<UnixTime>,
    /// Copies per (recipient, account), in the order they were first planned or executed.
    pub placements: Vec<(Recipient, AccountId, Tally)>,
    /// Deduplicated reasons, in a stable order.
    pub reasons: Vec<ReasonLine>,
}

/// One target (a channel, the buying account, a user) that operations went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetLine {
    pub recipient: Recipient,
    pub tally: Tally,
    /// Failure names with their counts.
    pub failures: BTreeMap<String, u64>,
}

/// One account of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLine {
    pub account_id: AccountId,
    pub tally: Tally,
    pub start: Stars,
    /// Stars spent on bought copies (in a dry run: on planned copies).
    pub spent: Stars,
}

impl AccountLine {
    pub fn end(&self) -> Stars {
        self.start.saturating_sub(self.spent)
    }
}

/// A summary of one run, independent of language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub dry_run: bool,
    pub gifts: Vec<GiftLine>,
    pub targets: Vec<TargetLine>,
    pub accounts: Vec<AccountLine>,
}

impl Report {
    /// Gifts in the report (the new gifts, plus any gift operations touched that was not new).
    pub fn new_count(&self) -> usize {
        self.gifts.len()
    }

    /// Gifts with at least one copy bought (in a dry run: planned).
    pub fn bought_count(&self) -> usize {
        let success = if self.dry_run {
            GiftStatus::Planned
        } else {
            GiftStatus::Bought
        };
        self.gifts
            .iter()
            .filter(|gift| gift.status == success)
            .count()
    }

    /// Gifts with no copy bought; never negative because both counts are of gifts.
    pub fn skipped_count(&self) -> usize {
        self.new_count() - self.bought_count()
    }

    pub fn build(run: Run<'_>) -> Self {
        let planned: Vec<(Operation, Option<&Outcome>)> = match run.executions {
            None => run.plan.operations.iter().map(|op| (*op, None)).collect(),
            Some(executions) => executions
                .iter()
                .map(|execution| (execution.operation, Some(&execution.outcome)))
                .collect(),
        };

        let mut gifts: BTreeMap<i64, GiftLine> = run
            .new_gifts
            .iter()
            .map(|gift| (gift.id, GiftLine::from_catalog(gift)))
            .collect();
        let mut targets: BTreeMap<Recipient, TargetLine> = BTreeMap::new();
        let mut accounts: BTreeMap<AccountId, AccountLine> = run
            .accounts
            .iter()
            .map(|account| {
                let line = AccountLine {
                    account_id: account.id,
                    tally: Tally::default(),
                    start: account.balance,
                    spent: Stars::ZERO,
                };
                (account.id, line)
            })
            .collect();

        for &(op, outcome) in &planned {
            let gift = gifts
                .entry(op.gift_id.get())
                .or_insert_with(|| GiftLine::from_operation(&op));
            gift.record(&op, outcome);
            let target = targets.entry(op.recipient).or_insert_with(|| TargetLine {
                recipient: op.recipient,
                tally: Tally::default(),
                failures: BTreeMap::new(),
            });
            target.tally.add(outcome);
            if let Some(Outcome::Failed(name)) = outcome {
                *target.failures.entry(name.clone()).or_default() += 1;
            }
            let account = accounts
                .entry(op.account_id)
                .or_insert_with(|| AccountLine {
                    account_id: op.account_id,
                    tally: Tally::default(),
                    start: Stars::ZERO,
                    spent: Stars::ZERO,
                });
            account.tally.add(outcome);
            if matches!(outcome, None | Some(Outcome::Bought)) {
                account.spent = account.spent.saturating_add(op.price);
            }
        }
        for skip in &run.plan.skips {
            if let Some(gift) = gifts.get_mut(&skip.gift_id) {
                gift.note(Reason::Skip(skip.reason), skip.account_id);
            }
        }
        for deferred in &run.plan.deferred {
            if let Some(gift) = gifts.get_mut(&deferred.gift_id.get()) {
                gift.note(
                    Reason::LockedUntil(deferred.until),
                    Some(deferred.account_id),
                );
            }
        }

        let dry_run = run.executions.is_none();
        let mut gifts: Vec<GiftLine> = gifts.into_values().collect();
        for gift in &mut gifts {
            gift.settle(dry_run);
        }
        let mut accounts: Vec<AccountLine> = accounts.into_values().collect();
        accounts.sort_by_key(|line| (std::cmp::Reverse(line.start), line.account_id));
        Self {
            dry_run,
            gifts,
            targets: targets.into_values().collect(),
            accounts,
        }
    }
}

impl GiftLine {
    fn from_catalog(gift: &CatalogGift) -> Self {
        Self {
            gift_id: gift.id,
            title: gift.title.clone(),
            price: gift.price,
            supply: gift.limited.then_some(gift.supply),
            status: GiftStatus::Skipped,
            auction_start: gift
                .auction
                .as_ref()
                .and_then(|auction| auction.starts_at()),
            placements: Vec::new(),
            reasons: Vec::new(),
        }
    }

    fn from_operation(op: &Operation) -> Self {
        Self {
            gift_id: op.gift_id.get(),
            title: None,
            price: i64::try_from(op.price.get()).unwrap_or(i64::MAX),
            supply: Some(i64::try_from(op.supply).ok()),
            status: GiftStatus::Skipped,
            auction_start: None,
            placements: Vec::new(),
            reasons: Vec::new(),
        }
    }

    fn record(&mut self, op: &Operation, outcome: Option<&Outcome>) {
        let key = (op.recipient, op.account_id);
        match self
            .placements
            .iter_mut()
            .find(|(ch, acc, _)| (*ch, *acc) == key)
        {
            Some((_, _, tally)) => tally.add(outcome),
            None => {
                let mut tally = Tally::default();
                tally.add(outcome);
                self.placements.push((op.recipient, op.account_id, tally));
            }
        }
        match outcome {
            Some(Outcome::Failed(name)) => {
                self.note(Reason::Failed(name.clone()), Some(op.account_id))
            }
            Some(Outcome::Unknown) => self.note(Reason::Unknown, Some(op.account_id)),
            None | Some(Outcome::Bought) => {}
        }
    }

    fn note(&mut self, reason: Reason, account: Option<AccountId>) {
        let index = match self.reasons.iter().position(|line| line.reason == reason) {
            Some(index) => index,
            None => {
                self.reasons.push(ReasonLine {
                    reason,
                    accounts: BTreeSet::new(),
                    count: 0,
                });
                self.reasons.len() - 1
            }
        };
        let line = &mut self.reasons[index];
        line.count += 1;
        line.accounts.extend(account);
    }

    fn settle(&mut self, dry_run: bool) {
        let total = self
            .placements
            .iter()
            .fold(Tally::default(), |mut sum, (_, _, tally)| {
                sum.planned += tally.planned;
                sum.bought += tally.bought;
                sum.failed += tally.failed;
                sum.unknown += tally.unknown;
                sum
            });
        let deferred = self
            .reasons
            .iter()
            .any(|line| matches!(line.reason, Reason::LockedUntil(_)));
        self.status = if total.planned == 0 {
            if deferred {
                GiftStatus::Deferred
            } else {
                GiftStatus::Skipped
            }
        } else if dry_run {
            GiftStatus::Planned
        } else if total.bought > 0 {
            GiftStatus::Bought
        } else if total.unknown > 0 {
            GiftStatus::Unknown
        } else {
            GiftStatus::Failed
        };
        self.reasons.sort_by(|a, b| a.reason.cmp(&b.reason));
    }
}
