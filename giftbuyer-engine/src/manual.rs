//! Manual purchases: one gift, one account, one target, asked for by a user from the panel.
//!
//! A manual purchase is journaled as a run of one operation and sent by the same [`Sender`] as
//! autobuy, so the compare-and-set before sending, the purchase timeout, unknown outcomes, the
//! report and the engine's events all apply to it exactly as they do to an autobuy run.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use giftbuyer_core::execution::{ExecutionPolicy, RunExecution};
use giftbuyer_core::ports::{StoreError, UserConfig, UserId};
use giftbuyer_core::report::Outcome;
use giftbuyer_core::{
    AccountId, CatalogGift, ExcludeList, GiftId, Operation, Plan, PlanInput, Recipient, SkipReason,
    Target, TargetFilter, TargetRowId,
};
use tokio::sync::oneshot;

use crate::buyer::{Sender, finish, fresh_accounts, remember_spending};
use crate::engine::{Engine, Shared, lock};

/// Reads the catalog the store has recorded, for gifts the engine's last poll did not carry
/// (the engine has not polled yet since it started, or another instance polled).
///
/// The engine's storage port has no catalog query, so the binary plugs one in with
/// [`Engine::with_known_catalog`]; without it only the last fetched catalog is searched.
#[async_trait]
pub trait KnownCatalog: Send + Sync {
    /// The gift as last recorded, or `None` when the store has never seen it.
    async fn known_gift(&self, gift: GiftId) -> Result<Option<CatalogGift>, StoreError>;
}

/// How a manual purchase ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualBuyResult {
    Bought,
    /// Telegram refused it, or it was not sent; the error name is journaled too.
    Failed(String),
    /// It was sent and no answer came: it may have been bought, and it is never resent.
    Unknown,
}

/// A manual purchase that was journaled: its run and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualBuyOutcome {
    pub run_id: i64,
    pub result: ManualBuyResult,
}

/// Why a manual purchase was not journaled, or could not be followed to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManualBuyError {
    #[error("unknown user")]
    UnknownUser,
    /// The account does not exist, is not logged in, or belongs to another user.
    #[error("unknown account")]
    UnknownAccount,
    /// The recipient is not one of the user's targets (nor the forced target).
    #[error("unknown target")]
    UnknownTarget,
    /// Neither the last fetched catalog nor the store knows the gift.
    #[error("unknown gift")]
    UnknownGift,
    /// The gift is known but cannot be bought (unlimited, sold out, invalid).
    #[error("the gift cannot be bought: {}", .0.code())]
    NotBuyable(SkipReason),
    /// Another instance leads the engine; purchases go through the leader only.
    #[error("this instance does not lead the engine")]
    NotLeader,
    /// The purchase task stopped before reporting; the journal holds the truth.
    #[error("the purchase was interrupted; its outcome is in the history")]
    Interrupted,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One send, never a retry: the user asked for exactly one purchase, and a second send after a
/// flood wait or an expired form is a decision the user should make by clicking again.
const MANUAL_POLICY: ExecutionPolicy = ExecutionPolicy {
    max_flood_wait: std::time::Duration::ZERO,
    form_retries: 0,
    flood_retries: 0,
    stop_on_sold_out: true,
};

impl Engine {
    /// Buys one copy of `gift` with `account` for `recipient` (one of the user's targets) for
    /// `user`, now.
    ///
    /// The account and the channel must be the user's (read fresh from the store). The gift
    /// comes from the last fetched catalog or, failing that, the store's known catalog, and
    /// must be limited and not sold out. The purchase waits for the user's autobuy run in
    /// flight, if any, and is sent once at most. It runs on the engine's own task, so a caller
    /// that gives up (a closed HTTP connection) never interrupts a purchase half-journaled.
    pub async fn buy_one(
        &self,
        user: UserId,
        account: AccountId,
        recipient: Recipient,
        gift: GiftId,
    ) -> Result<ManualBuyOutcome, ManualBuyError> {
        if !self.may_act() {
            return Err(ManualBuyError::NotLeader);
        }
        let users = self.shared.store.users().await?;
        let config = users
            .into_iter()
            .find(|config| config.user_id == user)
            .ok_or(ManualBuyError::UnknownUser)?;
        if !config.accounts.contains(&account) {
            return Err(ManualBuyError::UnknownAccount);
        }
        let target = target_of(&config, recipient).ok_or(ManualBuyError::UnknownTarget)?;
        let catalog_gift = self.find_gift(gift).await?;
        let facts = catalog_gift
            .check()
            .map_err(|defect| ManualBuyError::NotBuyable(defect.into()))?;
        let operation = Operation {
            account_id: account,
            recipient,
            gift_id: facts.id,
            price: facts.price,
            supply: facts.supply,
        };

        let (reply, answer) = oneshot::channel();
        let shared = self.shared.clone();
        lock(&self.shared.tasks).spawn(async move {
            let result = buy_locked(&shared, &config, target, catalog_gift, operation).await;
            // The caller may have gone; the purchase is journaled either way.
            let _ = reply.send(result);
        });
        match answer.await {
            Ok(result) => result,
            // The task ended without answering: it panicked after journaling, or the runtime
            // is shutting down. The run id is unknown here, so the history must be consulted.
            Err(_) => Err(ManualBuyError::Interrupted),
        }
    }

    /// The gift from the last fetched catalog, which is the freshest, or from the store.
    async fn find_gift(&self, gift: GiftId) -> Result<CatalogGift, ManualBuyError> {
        let fetched = lock(&self.shared.last_catalog)
            .iter()
            .find(|entry| entry.id == gift.get())
            .cloned();
        if let Some(found) = fetched {
            return Ok(found);
        }
        match &self.known_catalog {
            Some(known) => known
                .known_gift(gift)
                .await?
                .ok_or(ManualBuyError::UnknownGift),
            None => Err(ManualBuyError::UnknownGift),
        }
    }
}

/// The user's target for this recipient, or a stand-in for the forced target, which is a
/// channel id without a row.
fn target_of(user: &UserConfig, recipient: Recipient) -> Option<Target> {
    if let Some(found) = user.targets.iter().find(|t| t.recipient == recipient) {
        return Some(found.clone());
    }
    let forced = user.settings.forced_target.map(Recipient::Channel);
    (forced == Some(recipient)).then(|| Target {
        row_id: TargetRowId::new(1).unwrap_or_else(|_| unreachable!("1 is positive")),
        recipient,
        filter: TargetFilter::default(),
        exclude: ExcludeList::EMPTY,
        title: None,
    })
}

/// Journals and sends the purchase under the user's run lock, then reports it like a run.
async fn buy_locked(
    shared: &Arc<Shared>,
    user: &UserConfig,
    target: Target,
    gift: CatalogGift,
    operation: Operation,
) -> Result<ManualBuyOutcome, ManualBuyError> {
    let user_lock = shared.user_lock(user.user_id);
    let _one_run_per_user = user_lock.lock().await;

    // The balance only feeds the report: Telegram refuses a purchase the account cannot pay
    // for without spending anything, so an unreachable account is not refused here but
    // journaled as unavailable by the sender.
    let account = fresh_accounts(shared, &[operation.account_id])
        .await
        .pop()
        .unwrap_or(giftbuyer_core::Account {
            id: operation.account_id,
            balance: giftbuyer_core::Stars::ZERO,
            premium: false,
        });
    let input = PlanInput::new(vec![account], vec![target], vec![gift])
        .unwrap_or_else(|_| unreachable!("one account, one target and one gift are distinct"));
    let plan = Plan {
        operations: vec![operation],
        ..Plan::default()
    };
    let now = shared.clock.unix_now();
    let run_id = shared
        .store
        .begin_run(user.user_id, &plan.operations, now)
        .await?;
    // Only the chosen target is given, so a refused target is never swapped for another.
    let execution = Arc::new(Mutex::new(RunExecution::new(
        &plan,
        input.targets(),
        MANUAL_POLICY,
    )));
    Sender {
        shared: shared.clone(),
        user: user.user_id,
        run_id,
        execution: execution.clone(),
    }
    .drive(operation.account_id)
    .await;

    let executions = lock(&execution).executions().to_vec();
    remember_spending(shared, &executions);
    finish(shared, user, run_id, &input, &plan, &executions).await;
    let result = match executions.last().map(|execution| &execution.outcome) {
        Some(Outcome::Bought) => ManualBuyResult::Bought,
        Some(Outcome::Failed(name)) => ManualBuyResult::Failed(name.clone()),
        // Nothing recorded cannot happen for a one-operation run; if it ever did, claiming a
        // failure could make the user buy twice, so it is reported as unknown.
        Some(Outcome::Unknown) | None => ManualBuyResult::Unknown,
    };
    Ok(ManualBuyOutcome { run_id, result })
}
