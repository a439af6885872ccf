//! `MemoryStore`: the storage port in memory, for tests, simulations and the demo.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use giftbuyer_core::ports::{
    CatalogDiff, EngineStore, JournalEntry, JournalKey, JournalStatus, StoreError, UserConfig,
    UserId,
};
use giftbuyer_core::{Account, AccountId, CatalogGift, GiftId, Operation, UnixTime};

/// Everything the engine stores, kept in process memory. It honours the same contract as the
/// database store (atomic catalog diffs, compare-and-set journal moves), so behaviour tested
/// against it carries over.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    seeded: bool,
    catalog: BTreeMap<GiftId, KnownGift>,
    users: Vec<UserConfig>,
    next_run: i64,
    journal: BTreeMap<JournalKey, JournalEntry>,
    reports: Vec<(UserId, i64, String)>,
    accounts: HashMap<AccountId, (Account, UnixTime)>,
}

/// A gift as last seen in the catalog.
#[derive(Debug, Clone)]
struct KnownGift {
    sold_out: bool,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the users the engine buys for.
    pub fn set_users(&self, users: Vec<UserConfig>) {
        self.lock().users = users;
    }

    /// Every journal entry, in key order.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.lock().journal.values().cloned().collect()
    }

    /// Every saved report as (user, run, text).
    pub fn reports(&self) -> Vec<(UserId, i64, String)> {
        self.lock().reports.clone()
    }

    /// The last saved state of an account.
    pub fn account_state(&self, account: AccountId) -> Option<(Account, UnixTime)> {
        self.lock().accounts.get(&account).copied()
    }

    /// Ids of every gift seen so far.
    pub fn known_gifts(&self) -> Vec<GiftId> {
        self.lock().catalog.keys().copied().collect()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing them, so a poisoned lock is recovered rather than spread.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl EngineStore for MemoryStore {
    async fn record_catalog(
        &self,
        gifts: &[CatalogGift],
        _seen_at: UnixTime,
    ) -> Result<CatalogDiff, StoreError> {
        let mut inner = self.lock();
        let first_run = !inner.seeded;
        inner.seeded = true;
        let mut diff = CatalogDiff {
            first_run,
            ..CatalogDiff::default()
        };
        for gift in gifts {
            // Entries with invalid ids cannot be keyed; they are not buyable either.
            let Ok(id) = GiftId::new(gift.id) else {
                continue;
            };
            let sold_out = gift.sold_out || (gift.limited && gift.remaining == Some(0));
            match inner.catalog.get_mut(&id) {
                Some(known) => {
                    if sold_out && !known.sold_out {
                        diff.sold_out.push(id);
                    }
                    known.sold_out = sold_out;
                }
                None => {
                    inner.catalog.insert(id, KnownGift { sold_out });
                    if !first_run {
                        diff.new_gifts.push(gift.clone());
                    }
                }
            }
        }
        Ok(diff)
    }

    async fn users(&self) -> Result<Vec<UserConfig>, StoreError> {
        Ok(self.lock().users.clone())
    }

    async fn begin_run(
        &self,
        user: UserId,
        operations: &[Operation],
        now: UnixTime,
    ) -> Result<i64, StoreError> {
        let mut inner = self.lock();
        inner.next_run += 1;
        let run_id = inner.next_run;
        for (seq, operation) in (0u32..).zip(operations) {
            let key = JournalKey { run_id, seq };
            inner
                .journal
                .insert(key, planned(key, user, *operation, now));
        }
        Ok(run_id)
    }

    async fn add_operation(
        &self,
        user: UserId,
        key: JournalKey,
        operation: Operation,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.lock()
            .journal
            .entry(key)
            .or_insert_with(|| planned(key, user, operation, now));
        Ok(())
    }

    async fn transition(
        &self,
        key: JournalKey,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        if !from.can_become(to) {
            return Err(StoreError::BadTransition {
                run_id: key.run_id,
                seq: key.seq,
                from: from.code(),
                to: to.code(),
            });
        }
        let mut inner = self.lock();
        let Some(entry) = inner.journal.get_mut(&key) else {
            return Err(StoreError::UnknownEntry {
                run_id: key.run_id,
                seq: key.seq,
            });
        };
        if entry.status != from {
            return Ok(false);
        }
        entry.status = to;
        entry.error = error.map(str::to_owned);
        entry.updated_at = now;
        Ok(true)
    }

    async fn recover_journal(&self, now: UnixTime) -> Result<u64, StoreError> {
        let mut changed = 0;
        for entry in self.lock().journal.values_mut() {
            let (status, error) = match entry.status {
                JournalStatus::Sending => (JournalStatus::Unknown, "interrupted"),
                JournalStatus::Planned => (JournalStatus::Failed, "abandoned"),
                _ => continue,
            };
            entry.status = status;
            entry.error = Some(error.to_owned());
            entry.updated_at = now;
            changed += 1;
        }
        Ok(changed)
    }

    async fn run_journal(
        &self,
        user: UserId,
        run_id: i64,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let entries = self
            .lock()
            .journal
            .values()
            .filter(|entry| entry.key.run_id == run_id && entry.user_id == user)
            .cloned()
            .collect();
        Ok(entries)
    }

    async fn save_report(
        &self,
        user: UserId,
        run_id: i64,
        text: String,
        _now: UnixTime,
    ) -> Result<(), StoreError> {
        self.lock().reports.push((user, run_id, text));
        Ok(())
    }

    async fn save_account_state(
        &self,
        account: Account,
        refreshed_at: UnixTime,
    ) -> Result<(), StoreError> {
        self.lock()
            .accounts
            .insert(account.id, (account, refreshed_at));
        Ok(())
    }

    /// A logged-in account here is one listed in its user's config, so forgetting its session
    /// takes it off that list.
    async fn forget_session(&self, account: AccountId) -> Result<Option<UserId>, StoreError> {
        let mut inner = self.lock();
        let owner = inner.users.iter_mut().find_map(|user| {
            let before = user.accounts.len();
            user.accounts.retain(|id| *id != account);
            (user.accounts.len() < before).then_some(user.user_id)
        });
        Ok(owner)
    }
}

fn planned(key: JournalKey, user: UserId, operation: Operation, now: UnixTime) -> JournalEntry {
    JournalEntry {
        key,
        user_id: user,
        operation,
        status: JournalStatus::Planned,
        error: None,
        updated_at: now,
    }
}
