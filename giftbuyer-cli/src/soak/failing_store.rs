//! `FailingStore`: the engine's store for the soak. It passes every call to a [`MemoryStore`],
//! but fails writes at random (some before they apply, some after, as a database whose answer
//! is lost), panics once inside a catalog write to crash the engine's task on cue, and records
//! every move to `sending` and every run begun, for the checks at the end.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::ports::{
    CatalogDiff, Clock, EngineStore, JournalKey, JournalStatus, StoreError, UserConfig, UserId,
};
use giftbuyer_core::{Account, AccountId, CatalogGift, GiftId, Operation, UnixTime};
use giftbuyer_engine::MemoryStore;
use giftbuyer_sim::SplitMix64;

/// The panic message of the injected crash, which the soak's panic hook keeps quiet.
pub(super) const INJECTED_CRASH: &str = "soak: injected engine crash";

/// Keeps the store's coin flips apart from the market's.
const STORE_TAG: u64 = 0x5354_4F52_4500_0000;

/// What the store saw, for the checks.
#[derive(Debug, Default)]
pub(super) struct StoreRecord {
    /// Writes failed on purpose.
    pub(super) failures: u64,
    /// How many times each entry moved from `planned` to `sending`: never more than once.
    pub(super) sending: BTreeMap<JournalKey, u32>,
    /// Every run the engine began (or tried to), with the gifts its operations buy.
    pub(super) begun: Vec<(UserId, Vec<GiftId>)>,
    /// Injected crashes of the engine's task.
    pub(super) crashes: u64,
}

/// Whether a failed write was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Refused: nothing changed.
    Before,
    /// Carried out, but the answer was lost.
    After,
}

pub(super) struct FailingStore {
    inner: Arc<MemoryStore>,
    clock: Arc<dyn Clock>,
    seed: u64,
    /// The chance that a write fails.
    rate: f64,
    draws: AtomicU64,
    /// A catalog write at or after this engine time panics, once.
    crash_at: Mutex<Option<Duration>>,
    record: Mutex<StoreRecord>,
}

impl FailingStore {
    pub(super) fn new(
        inner: Arc<MemoryStore>,
        clock: Arc<dyn Clock>,
        seed: u64,
        rate: f64,
        crash_at: Option<Duration>,
    ) -> Self {
        Self {
            inner,
            clock,
            seed,
            rate,
            draws: AtomicU64::new(0),
            crash_at: Mutex::new(crash_at),
            record: Mutex::new(StoreRecord::default()),
        }
    }

    pub(super) fn record(&self) -> MutexGuard<'_, StoreRecord> {
        lock(&self.record)
    }

    /// Draws whether this write fails and how; `ambiguous` writes may fail after applying.
    fn draw(&self, ambiguous: bool) -> Option<Failure> {
        let draw = self.draws.fetch_add(1, Ordering::Relaxed);
        let mut rng = SplitMix64::keyed(self.seed, &[STORE_TAG, draw]);
        if rng.next_f64() >= self.rate {
            return None;
        }
        self.record().failures += 1;
        Some(if ambiguous && rng.below(2) == 1 {
            Failure::After
        } else {
            Failure::Before
        })
    }

    fn crash_due(&self) -> bool {
        let mut crash_at = lock(&self.crash_at);
        let due = crash_at.is_some_and(|at| self.clock.elapsed() >= at);
        if due {
            *crash_at = None;
            self.record().crashes += 1;
        }
        due
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn injected() -> StoreError {
    StoreError::Unavailable("injected write failure".to_owned())
}

#[async_trait]
impl EngineStore for FailingStore {
    async fn record_catalog(
        &self,
        gifts: &[CatalogGift],
        seen_at: UnixTime,
    ) -> Result<CatalogDiff, StoreError> {
        if self.crash_due() {
            panic!("{INJECTED_CRASH}");
        }
        // A catalog is one transaction: it fails whole, before it applies.
        if self.draw(false).is_some() {
            return Err(injected());
        }
        self.inner.record_catalog(gifts, seen_at).await
    }

    async fn users(&self) -> Result<Vec<UserConfig>, StoreError> {
        self.inner.users().await
    }

    async fn begin_run(
        &self,
        user: UserId,
        operations: &[Operation],
        now: UnixTime,
    ) -> Result<i64, StoreError> {
        let gifts = operations.iter().map(|op| op.gift_id).collect();
        self.record().begun.push((user, gifts));
        match self.draw(true) {
            None => self.inner.begin_run(user, operations, now).await,
            Some(Failure::Before) => Err(injected()),
            Some(Failure::After) => {
                self.inner.begin_run(user, operations, now).await?;
                Err(injected())
            }
        }
    }

    async fn add_operation(
        &self,
        user: UserId,
        key: JournalKey,
        operation: Operation,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        if self.draw(false).is_some() {
            return Err(injected());
        }
        self.inner.add_operation(user, key, operation, now).await
    }

    async fn transition(
        &self,
        key: JournalKey,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let failure = self.draw(true);
        if failure == Some(Failure::Before) {
            return Err(injected());
        }
        let moved = self.inner.transition(key, from, to, error, now).await?;
        if moved && from == JournalStatus::Planned && to == JournalStatus::Sending {
            *self.record().sending.entry(key).or_insert(0) += 1;
        }
        match failure {
            Some(_) => Err(injected()),
            None => Ok(moved),
        }
    }

    async fn recover_journal(&self, now: UnixTime) -> Result<u64, StoreError> {
        // Recovery is what a restart relies on; a failure there would only be retried.
        self.inner.recover_journal(now).await
    }

    async fn run_journal(
        &self,
        user: UserId,
        run_id: i64,
    ) -> Result<Vec<giftbuyer_core::ports::JournalEntry>, StoreError> {
        self.inner.run_journal(user, run_id).await
    }

    async fn save_report(
        &self,
        user: UserId,
        run_id: i64,
        text: String,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        if self.draw(false).is_some() {
            return Err(injected());
        }
        self.inner.save_report(user, run_id, text, now).await
    }

    async fn save_account_state(
        &self,
        account: Account,
        refreshed_at: UnixTime,
    ) -> Result<(), StoreError> {
        if self.draw(false).is_some() {
            return Err(injected());
        }
        self.inner.save_account_state(account, refreshed_at).await
    }

    async fn forget_session(&self, account: AccountId) -> Result<Option<UserId>, StoreError> {
        self.inner.forget_session(account).await
    }
}
