//! Executing a plan: which purchase each account sends next, and what each answer changes.
//!
//! This is the engine's decision logic without any I/O, so every rule is tested
//! deterministically here; the async engine only sends what [`RunExecution::next`] returns and
//! reports the answer back through [`RunExecution::complete`].

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use crate::ports::{ErrorClass, TelegramError};
use crate::report::{Execution, Outcome};
use crate::{AccountId, GiftId, GiftKinds, Operation, Plan, Recipient, Target};

/// Tunable rules of execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionPolicy {
    /// A flood wait up to this long is waited out and the purchase retried; a longer one stops
    /// the account for this run with the reason `flood_wait`.
    pub max_flood_wait: Duration,
    /// How often a purchase is retried at once after `FORM_EXPIRED`.
    pub form_retries: u8,
    /// How often one purchase is retried after short flood waits before its account stops for
    /// the run; without a bound, an account that is answered with flood waits forever would
    /// never finish.
    pub flood_retries: u8,
    /// Stop every purchase of a gift once Telegram says it sold out. The original GiftBuyer did
    /// not, which is only useful to reproduce it as a baseline.
    pub stop_on_sold_out: bool,
}

impl Default for ExecutionPolicy {
    fn default() -> Self {
        Self {
            max_flood_wait: Duration::from_secs(5),
            form_retries: 1,
            flood_retries: 3,
            stop_on_sold_out: true,
        }
    }
}

/// A purchase to send: the operation and its number in the run's journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub seq: u32,
    pub operation: Operation,
    /// The attempt was created during execution (a retry or a move to another target), so it
    /// is not in the journal yet and must be recorded as planned before it is sent.
    pub fresh: bool,
}

/// What an account should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Send(Attempt),
    /// Do not send this planned operation; record it as failed with `reason`.
    Cancel {
        seq: u32,
        operation: Operation,
        reason: String,
    },
    /// The account has nothing left to send in this run.
    Done,
}

/// What to do after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Continue,
    /// Wait this long before asking for the next attempt (a flood wait being waited out).
    Wait(Duration),
}

/// The reason recorded for planned purchases moved to another target.
pub const MOVED: &str = "moved";

/// The state of one autobuy run's execution.
#[derive(Debug, Clone)]
pub struct RunExecution {
    policy: ExecutionPolicy,
    targets: Vec<Target>,
    gift_kinds: BTreeMap<GiftId, GiftKinds>,
    queues: BTreeMap<AccountId, VecDeque<Attempt>>,
    next_seq: u32,
    gift_stops: HashMap<GiftId, String>,
    account_stops: HashMap<AccountId, String>,
    account_gift_stops: HashMap<(AccountId, GiftId), String>,
    bad_recipients: HashMap<(AccountId, Recipient), String>,
    retries: HashMap<u32, u8>,
    executions: Vec<Execution>,
}

impl RunExecution {
    /// Prepares the plan's operations, numbered `0..` in plan order, one queue per account.
    /// `targets` are the targets the plan was made with; moves fall back along their ranking,
    /// to targets that take the gift (exclude lists included).
    pub fn new(plan: &Plan, targets: &[Target], policy: ExecutionPolicy) -> Self {
        let mut queues: BTreeMap<AccountId, VecDeque<Attempt>> = BTreeMap::new();
        for (seq, operation) in (0u32..).zip(&plan.operations) {
            queues
                .entry(operation.account_id)
                .or_default()
                .push_back(Attempt {
                    seq,
                    operation: *operation,
                    fresh: false,
                });
        }
        let mut targets = targets.to_vec();
        targets.sort_by_key(Target::rank_key);
        Self {
            policy,
            targets,
            gift_kinds: plan.gift_kinds.clone(),
            queues,
            next_seq: u32::try_from(plan.operations.len()).unwrap_or(u32::MAX),
            gift_stops: HashMap::new(),
            account_stops: HashMap::new(),
            account_gift_stops: HashMap::new(),
            bad_recipients: HashMap::new(),
            retries: HashMap::new(),
            executions: Vec::new(),
        }
    }

    /// Accounts with purchases in this run, in id order.
    pub fn accounts(&self) -> Vec<AccountId> {
        self.queues.keys().copied().collect()
    }

    /// What `account` does next. Cancellations come out one at a time so the caller can
    /// journal each.
    pub fn next(&mut self, account: AccountId) -> Next {
        let Some(attempt) = self.queues.get_mut(&account).and_then(VecDeque::pop_front) else {
            return Next::Done;
        };
        let op = attempt.operation;
        let stop = self
            .account_stops
            .get(&account)
            .or_else(|| self.gift_stops.get(&op.gift_id))
            .or_else(|| self.account_gift_stops.get(&(account, op.gift_id)));
        if let Some(reason) = stop {
            let reason = reason.clone();
            return self.cancel(attempt, reason, true);
        }
        if let Some(reason) = self.bad_recipients.get(&(account, op.recipient)).cloned() {
            return match self.retarget(op) {
                Some(moved) => {
                    self.push_front(account, moved);
                    self.cancel(attempt, MOVED.to_owned(), false)
                }
                None => self.cancel(attempt, reason, true),
            };
        }
        Next::Send(attempt)
    }

    /// Records the answer to an attempt and applies its consequences.
    pub fn complete(&mut self, attempt: Attempt, result: Result<(), &TelegramError>) -> Verdict {
        let op = attempt.operation;
        let account = op.account_id;
        let error = match result {
            Ok(()) => {
                self.record(op, Outcome::Bought);
                return Verdict::Continue;
            }
            Err(error) => error,
        };
        let name = error.name().into_owned();
        match error.class() {
            ErrorClass::Uncertain => {
                self.record(op, Outcome::Unknown);
                return Verdict::Continue;
            }
            ErrorClass::GiftGone => {
                if self.policy.stop_on_sold_out || !matches!(error, TelegramError::GiftSoldOut) {
                    self.gift_stops
                        .entry(op.gift_id)
                        .or_insert_with(|| name.clone());
                }
            }
            ErrorClass::GiftClosedForAccount => {
                self.account_gift_stops
                    .entry((account, op.gift_id))
                    .or_insert_with(|| name.clone());
            }
            ErrorClass::AccountStopped => {
                self.account_stops
                    .entry(account)
                    .or_insert_with(|| name.clone());
            }
            ErrorClass::Recipient => {
                self.bad_recipients
                    .entry((account, op.recipient))
                    .or_insert_with(|| name.clone());
                // The copy was refused before any stars moved, so it is tried again on the
                // next target that accepts the gift, if there is one.
                if let Some(moved) = self.retarget(op) {
                    self.push_front(account, moved);
                }
            }
            ErrorClass::Flood(seconds) => {
                let wait = Duration::from_secs(u64::from(seconds));
                self.record(op, Outcome::Failed(name));
                let used = self.retries.get(&attempt.seq).copied().unwrap_or(0);
                if wait <= self.policy.max_flood_wait && used < self.policy.flood_retries {
                    let retry = self.fresh_attempt(op);
                    self.retries.insert(retry.seq, used + 1);
                    self.push_front(account, retry);
                    return Verdict::Wait(wait);
                }
                self.account_stops
                    .entry(account)
                    .or_insert_with(|| "flood_wait".to_owned());
                return Verdict::Continue;
            }
            ErrorClass::RetryNow => {
                let used = self.retries.get(&attempt.seq).copied().unwrap_or(0);
                if used < self.policy.form_retries {
                    let retry = self.fresh_attempt(op);
                    self.retries.insert(retry.seq, used + 1);
                    self.push_front(account, retry);
                }
            }
            ErrorClass::Other => {}
        }
        self.record(op, Outcome::Failed(name));
        Verdict::Continue
    }

    /// Everything that happened so far, for the report: each answered attempt and each
    /// cancelled purchase (moves to another target are not listed; their new attempt is).
    pub fn executions(&self) -> &[Execution] {
        &self.executions
    }

    pub fn into_executions(self) -> Vec<Execution> {
        self.executions
    }

    fn cancel(&mut self, attempt: Attempt, reason: String, report: bool) -> Next {
        if report {
            self.record(attempt.operation, Outcome::Failed(reason.clone()));
        }
        Next::Cancel {
            seq: attempt.seq,
            operation: attempt.operation,
            reason,
        }
    }

    fn record(&mut self, operation: Operation, outcome: Outcome) {
        self.executions.push(Execution { operation, outcome });
    }

    fn push_front(&mut self, account: AccountId, attempt: Attempt) {
        self.queues.entry(account).or_default().push_front(attempt);
    }

    fn fresh_attempt(&mut self, operation: Operation) -> Attempt {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        Attempt {
            seq,
            operation,
            fresh: true,
        }
    }

    /// The same purchase on the best target that accepts the gift and has not refused this
    /// account.
    fn retarget(&mut self, op: Operation) -> Option<Attempt> {
        let bad: HashSet<Recipient> = self
            .bad_recipients
            .keys()
            .filter(|(account, _)| *account == op.account_id)
            .map(|(_, recipient)| *recipient)
            .collect();
        // A plan built by hand may not know the gift's kinds; its exclude lists by id still apply.
        let kinds = self
            .gift_kinds
            .get(&op.gift_id)
            .copied()
            .unwrap_or_default();
        let recipient = self
            .targets
            .iter()
            .filter(|target| target.takes(op.gift_id, kinds, op.price.get(), op.supply))
            .find(|target| !bad.contains(&target.recipient))?
            .recipient;
        Some(self.fresh_attempt(Operation { recipient, ..op }))
    }
}
