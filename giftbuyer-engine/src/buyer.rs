//! One autobuy run for one user: fresh balances, plan, journal, concurrent execution, report.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use giftbuyer_core::execution::{Attempt, Next, RunExecution, Verdict};
use giftbuyer_core::ports::{
    ChatId, ErrorClass, JournalKey, JournalStatus, PurchaseRequest, TelegramAccount, TelegramError,
    UserConfig, UserId,
};
use giftbuyer_core::report::{Execution, Outcome, Report, Run};
use giftbuyer_core::{
    Account, AccountId, CatalogGift, PlanInput, Recipient, Stars, Target, TargetFilter,
    TargetRowId, plan,
};
use tokio::task::JoinSet;

use crate::Strategy;
use crate::engine::{CachedAccount, Shared, lock};
use crate::events::{EngineEvent, RunSummary};
use crate::revoked;

/// The reason journaled for purchases of an account that could not be connected; the same
/// name as `TelegramError::AccountUnavailable`'s.
const ACCOUNT_UNAVAILABLE: &str = "account_unavailable";

/// Runs autobuy for `user` over the new gifts, start to report.
pub(crate) async fn run(shared: Arc<Shared>, user: UserConfig, gifts: Arc<[CatalogGift]>) {
    let user_lock = shared.user_lock(user.user_id);
    let _one_run_per_user = user_lock.lock().await;
    if let Err(error) = run_locked(&shared, &user, &gifts).await {
        tracing::error!(user = %user.user_id, %error, "autobuy run failed before sending anything");
    }
}

async fn run_locked(
    shared: &Arc<Shared>,
    user: &UserConfig,
    gifts: &[CatalogGift],
) -> Result<(), giftbuyer_core::ports::StoreError> {
    let accounts = fresh_accounts(shared, &user.accounts).await;
    let input = match plan_input(user, accounts, gifts) {
        Ok(input) => input,
        Err(error) => {
            tracing::error!(user = %user.user_id, %error, "cannot plan for this user's configuration");
            return Ok(());
        }
    };
    let now = shared.clock.unix_now();
    let plan = plan(&input, now);
    let run_id = shared
        .store
        .begin_run(user.user_id, &plan.operations, now)
        .await?;

    let execution = Arc::new(Mutex::new(RunExecution::new(
        &plan,
        input.targets(),
        shared.config.execution,
    )));
    // Accounts start in the plan's order (richest first), which only matters when they run one
    // after another.
    let mut seen = HashSet::new();
    let order: Vec<AccountId> = plan
        .operations
        .iter()
        .map(|op| op.account_id)
        .filter(|account| seen.insert(*account))
        .collect();
    let sender = Sender {
        shared: shared.clone(),
        user: user.user_id,
        run_id,
        execution: execution.clone(),
    };
    match shared.config.strategy {
        Strategy::Engine => {
            let mut tasks = JoinSet::new();
            for account in order {
                tasks.spawn(sender.clone().drive(account));
            }
            while let Some(result) = tasks.join_next().await {
                if let Err(error) = result {
                    tracing::error!(%error, "an account's purchase task failed");
                }
            }
        }
        Strategy::Sequential => {
            for account in order {
                sender.clone().drive(account).await;
            }
        }
    }

    let executions = lock(&execution).executions().to_vec();
    remember_spending(shared, &executions);
    finish(shared, user, run_id, &input, &plan, &executions).await;
    Ok(())
}

/// Accounts with balances no older than `balance_max_age`, fetching stale ones concurrently.
/// Accounts that cannot be reached are left out of this run.
pub(crate) async fn fresh_accounts(shared: &Arc<Shared>, ids: &[AccountId]) -> Vec<Account> {
    let now = shared.now();
    let max_age = shared.config.balance_max_age;
    let mut accounts = Vec::new();
    let mut refreshes = JoinSet::new();
    for &id in ids {
        let cached = lock(&shared.accounts).get(&id).copied();
        match cached {
            Some(cached)
                if cached
                    .refreshed_at
                    .is_some_and(|at| now.saturating_sub(at) < max_age) =>
            {
                accounts.push(Account {
                    id,
                    balance: cached.balance,
                    premium: cached.premium,
                });
            }
            _ => {
                refreshes.spawn(refresh_account(shared.clone(), id));
            }
        }
    }
    while let Some(result) = refreshes.join_next().await {
        if let Ok(Some(account)) = result {
            accounts.push(account);
        }
    }
    accounts
}

/// Fetches an account's balance and premium status and caches them.
pub(crate) async fn refresh_account(shared: Arc<Shared>, id: AccountId) -> Option<Account> {
    let fetch = async {
        let port = shared.connector.account(id).await?;
        let (balance, profile) = tokio::join!(port.stars_balance(), port.profile());
        Ok::<_, TelegramError>(Account {
            id,
            balance: balance?,
            premium: profile?.premium,
        })
    };
    let account = match tokio::time::timeout(shared.config.call_timeout, fetch).await {
        Ok(Ok(account)) => account,
        Ok(Err(error)) => {
            revoked::check(&shared, id, &error);
            tracing::warn!(account = %id, %error, "cannot refresh the account; it sits out this run");
            return None;
        }
        Err(_) => {
            tracing::warn!(account = %id, "refreshing the account timed out; it sits out this run");
            return None;
        }
    };
    lock(&shared.accounts).insert(
        id,
        CachedAccount {
            balance: account.balance,
            premium: account.premium,
            refreshed_at: Some(shared.now()),
        },
    );
    if let Err(error) = shared
        .store
        .save_account_state(account, shared.clock.unix_now())
        .await
    {
        tracing::warn!(account = %id, %error, "cannot save the account's balance");
    }
    Some(account)
}

/// The user's targets, or only the forced target when one is set.
///
/// The forced target ignores target filters, but when it is also one of the user's targets its
/// exclude list still holds: an excluded gift is one the user never wants there.
fn targets(user: &UserConfig) -> Vec<Target> {
    match user.settings.forced_target.map(Recipient::Channel) {
        None => user.targets.clone(),
        Some(recipient) => vec![Target {
            row_id: TargetRowId::new(1).unwrap_or_else(|_| unreachable!("1 is positive")),
            recipient,
            filter: TargetFilter::default(),
            exclude: user
                .targets
                .iter()
                .find(|target| target.recipient == recipient)
                .map(|target| target.exclude.clone())
                .unwrap_or_default(),
            title: None,
        }],
    }
}

/// The plan input for a run: the user's priority applies to which gifts get the stars first.
fn plan_input(
    user: &UserConfig,
    accounts: Vec<Account>,
    gifts: &[CatalogGift],
) -> Result<PlanInput, giftbuyer_core::PlanInputError> {
    Ok(PlanInput::new(accounts, targets(user), gifts.to_vec())?
        .with_priority(user.settings.priority))
}

/// Sends one account's purchases of a run, in order, journaling each before it goes out.
#[derive(Clone)]
pub(crate) struct Sender {
    pub(crate) shared: Arc<Shared>,
    pub(crate) user: UserId,
    pub(crate) run_id: i64,
    pub(crate) execution: Arc<Mutex<RunExecution>>,
}

impl Sender {
    pub(crate) async fn drive(self, account_id: AccountId) {
        let account = match self.shared.connector.account(account_id).await {
            Ok(account) => Some(account),
            Err(error) => {
                revoked::check(&self.shared, account_id, &error);
                tracing::warn!(account = %account_id, %error, "cannot connect the account to buy");
                None
            }
        };
        let mut last_call: Option<Duration> = None;
        loop {
            let next = lock(&self.execution).next(account_id);
            match next {
                Next::Done => return,
                Next::Cancel { seq, reason, .. } => {
                    self.journal(
                        seq,
                        JournalStatus::Planned,
                        JournalStatus::Failed,
                        Some(&reason),
                    )
                    .await;
                }
                Next::Send(attempt) => {
                    let result = match &account {
                        Some(account) => self.send(account.as_ref(), attempt, &mut last_call).await,
                        None => {
                            // Nothing can be sent without a connection: the planned entry
                            // fails for certain, and the account stops for this run, so the
                            // rest of its purchases are cancelled and journaled one by one.
                            self.journal(
                                attempt.seq,
                                JournalStatus::Planned,
                                JournalStatus::Failed,
                                Some(ACCOUNT_UNAVAILABLE),
                            )
                            .await;
                            Err(TelegramError::AccountUnavailable(
                                "cannot connect the account".to_owned(),
                            ))
                        }
                    };
                    let verdict =
                        lock(&self.execution).complete(attempt, result.as_ref().map(|_| ()));
                    if let Verdict::Wait(wait) = verdict {
                        self.shared.clock.sleep(wait).await;
                    }
                }
            }
        }
    }

    /// Journals and sends one attempt. Nothing is sent unless the journal first moved the
    /// entry to `sending`.
    async fn send(
        &self,
        account: &dyn TelegramAccount,
        attempt: Attempt,
        last_call: &mut Option<Duration>,
    ) -> Result<(), TelegramError> {
        let op = attempt.operation;
        let key = JournalKey {
            run_id: self.run_id,
            seq: attempt.seq,
        };
        let now = self.shared.clock.unix_now();
        let journaled = async {
            if attempt.fresh {
                self.shared
                    .store
                    .add_operation(self.user, key, op, now)
                    .await?;
            }
            self.shared
                .store
                .transition(
                    key,
                    JournalStatus::Planned,
                    JournalStatus::Sending,
                    None,
                    now,
                )
                .await
        };
        match journaled.await {
            Ok(true) => {}
            Ok(false) => {
                // Another engine instance (or an earlier life of this one) owns the entry.
                return Err(TelegramError::Rpc {
                    code: 0,
                    name: "already_journaled".to_owned(),
                });
            }
            Err(error) => {
                tracing::error!(%error, "cannot journal a purchase; it is not sent");
                return Err(TelegramError::Rpc {
                    code: 0,
                    name: "journal_unavailable".to_owned(),
                });
            }
        }

        if let Some(last) = *last_call {
            let gap = self.shared.config.min_call_gap;
            let since = self.shared.now().saturating_sub(last);
            if since < gap {
                self.shared.clock.sleep(gap - since).await;
            }
        }
        *last_call = Some(self.shared.now());
        self.shared.emit(EngineEvent::PurchaseSending {
            user: self.user,
            account: op.account_id,
            gift: op.gift_id,
            recipient: op.recipient,
            at: self.shared.now(),
            wall: Instant::now(),
        });
        let request = PurchaseRequest {
            gift_id: op.gift_id,
            recipient: op.recipient,
            price: op.price,
            hide_name: false,
            message: None,
        };
        let result = match tokio::time::timeout(
            self.shared.config.purchase_timeout,
            account.buy_gift(request),
        )
        .await
        {
            Ok(result) => result.map(|_receipt| ()),
            Err(_) => Err(TelegramError::Timeout),
        };
        let (status, outcome) = match &result {
            Ok(()) => (JournalStatus::Bought, Outcome::Bought),
            Err(error) if error.class() == ErrorClass::Uncertain => {
                (JournalStatus::Unknown, Outcome::Unknown)
            }
            Err(error) => (
                JournalStatus::Failed,
                Outcome::Failed(error.name().into_owned()),
            ),
        };
        if let Err(error) = &result {
            revoked::check(&self.shared, op.account_id, error);
        }
        let error_name = result.as_ref().err().map(|error| error.name());
        self.journal(
            attempt.seq,
            JournalStatus::Sending,
            status,
            error_name.as_deref(),
        )
        .await;
        self.shared.emit(EngineEvent::PurchaseDone {
            user: self.user,
            account: op.account_id,
            gift: op.gift_id,
            recipient: op.recipient,
            outcome,
            at: self.shared.now(),
        });
        result
    }

    async fn journal(&self, seq: u32, from: JournalStatus, to: JournalStatus, error: Option<&str>) {
        let key = JournalKey {
            run_id: self.run_id,
            seq,
        };
        let now = self.shared.clock.unix_now();
        if let Err(error) = self
            .shared
            .store
            .transition(key, from, to, error, now)
            .await
        {
            // The entry stays where it was; after a restart `sending` becomes `unknown`, so a
            // lost update can never lead to a second send.
            tracing::error!(run = self.run_id, seq, %error, "cannot journal a purchase outcome");
        }
    }
}

/// Lowers cached balances by what was bought, and forces a refresh where an outcome is unknown.
pub(crate) fn remember_spending(shared: &Shared, executions: &[Execution]) {
    let mut cache = lock(&shared.accounts);
    for execution in executions {
        let Some(cached) = cache.get_mut(&execution.operation.account_id) else {
            continue;
        };
        match execution.outcome {
            Outcome::Bought => {
                cached.balance = cached.balance.saturating_sub(execution.operation.price);
            }
            Outcome::Unknown => cached.refreshed_at = None,
            Outcome::Failed(ref name) if name == "BALANCE_TOO_LOW" => cached.refreshed_at = None,
            Outcome::Failed(_) => {}
        }
    }
}

/// Builds, stores and sends the run's report, and publishes its summary.
pub(crate) async fn finish(
    shared: &Arc<Shared>,
    user: &UserConfig,
    run_id: i64,
    input: &PlanInput,
    plan: &giftbuyer_core::Plan,
    executions: &[Execution],
) {
    let report = Report::build(Run {
        new_gifts: input.gifts(),
        accounts: input.accounts(),
        plan,
        executions: Some(executions),
    });
    let lang = user.settings.report_lang;
    let text = report.render(lang);
    if let Err(error) = shared
        .store
        .save_report(user.user_id, run_id, text.clone(), shared.clock.unix_now())
        .await
    {
        tracing::error!(user = %user.user_id, run = run_id, %error, "cannot save the report");
    }
    let count = |wanted: fn(&Outcome) -> bool| {
        executions
            .iter()
            .filter(|execution| wanted(&execution.outcome))
            .count() as u64
    };
    let stars_spent = executions
        .iter()
        .filter(|execution| execution.outcome == Outcome::Bought)
        .fold(Stars::ZERO, |sum, execution| {
            sum.saturating_add(execution.operation.price)
        });
    shared.emit(EngineEvent::RunFinished(RunSummary {
        user: user.user_id,
        run_id,
        bought: count(|outcome| matches!(outcome, Outcome::Bought)),
        failed: count(|outcome| matches!(outcome, Outcome::Failed(_))),
        unknown: count(|outcome| matches!(outcome, Outcome::Unknown)),
        stars_spent: stars_spent.get(),
        report: text,
    }));

    // A run over gifts that are all unlimited has nothing to tell the user; anything involving
    // a limited gift is reported, including why nothing was bought.
    if !input.gifts().iter().any(|gift| gift.limited) {
        return;
    }
    let messages = report.messages(lang);
    let recipients: Vec<ChatId> = user
        .accounts
        .iter()
        .filter_map(|account| ChatId::new(account.get()).ok())
        .collect();
    // Delivery runs on its own task: a slow or failing bot must never hold up the next run.
    lock(&shared.tasks).spawn(crate::notify::deliver_messages(
        shared.clone(),
        user.user_id,
        recipients,
        messages,
        "the run's report",
    ));
}
