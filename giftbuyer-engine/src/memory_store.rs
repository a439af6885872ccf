//! `MemoryStore`: the storage port in memory, for tests, simulations and the demo.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use giftbuyer_core::ports::{
    CatalogDiff, EngineStore, JournalEntry, JournalKey, JournalStatus, NewWatch, ResaleEntry,
    ResaleEntryId, ResaleStore, ResaleWatchStore, StoreError, UserConfig, UserId, UserWatch,
    check_resale_move,
};
use giftbuyer_core::resale::{ResaleWatch, SnipeBuy, WatchId};
use giftbuyer_core::{Account, AccountId, CatalogGift, GiftId, Operation, UnixTime};

/// Everything the engine stores, kept in process memory. It honours the same contract as the
/// database store (atomic catalog diffs, compare-and-set journal moves), so behaviour tested
/// against it carries over.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    /// Auction plans, budgets and the bid journal (see `memory_bids`).
    pub(crate) bids: Mutex<crate::memory_bids::Bids>,
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
    /// Resale watches by id, each with its owner.
    watches: BTreeMap<WatchId, (UserId, ResaleWatch)>,
    next_watch: i64,
    resale: BTreeMap<ResaleEntryId, ResaleEntry>,
    next_resale: i64,
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

    /// Every resale journal entry, in id order.
    pub fn resale_journal(&self) -> Vec<ResaleEntry> {
        self.lock().resale.values().cloned().collect()
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

impl Inner {
    /// Copies a watch has used up: its entries that may have been bought.
    fn watch_bought(&self, watch: WatchId) -> u32 {
        let taken = self
            .resale
            .values()
            .filter(|entry| entry.buy.watch_id == watch && entry.status != JournalStatus::Failed)
            .count();
        u32::try_from(taken).unwrap_or(u32::MAX)
    }

    fn with_bought(&self, watch: &ResaleWatch) -> ResaleWatch {
        ResaleWatch {
            bought: self.watch_bought(watch.id),
            ..watch.clone()
        }
    }
}

#[async_trait]
impl ResaleStore for MemoryStore {
    async fn resale_watches(&self) -> Result<Vec<UserWatch>, StoreError> {
        let inner = self.lock();
        let mut watches: Vec<UserWatch> = inner
            .watches
            .values()
            .map(|(user, watch)| UserWatch {
                user_id: *user,
                watch: inner.with_bought(watch),
            })
            .collect();
        watches.sort_by_key(|watch| (watch.user_id, watch.watch.id));
        Ok(watches)
    }

    async fn plan_resale(
        &self,
        user: UserId,
        buy: &SnipeBuy,
        now: UnixTime,
    ) -> Result<Option<ResaleEntryId>, StoreError> {
        let mut inner = self.lock();
        let journaled = inner.resale.values().any(|entry| {
            entry.user_id == user
                && entry.buy.slug == buy.slug
                && entry.status != JournalStatus::Failed
        });
        if journaled {
            return Ok(None);
        }
        inner.next_resale += 1;
        let id = ResaleEntryId::new(inner.next_resale)
            .map_err(|error| StoreError::Other(error.to_string()))?;
        inner.resale.insert(
            id,
            ResaleEntry {
                id,
                user_id: user,
                buy: buy.clone(),
                status: JournalStatus::Planned,
                error: None,
                updated_at: now,
            },
        );
        Ok(Some(id))
    }

    async fn transition_resale(
        &self,
        id: ResaleEntryId,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        check_resale_move(id, from, to)?;
        let mut inner = self.lock();
        let entry = inner
            .resale
            .get_mut(&id)
            .ok_or(StoreError::UnknownResaleEntry(id.get()))?;
        if entry.status != from {
            return Ok(false);
        }
        entry.status = to;
        entry.error = error.map(str::to_owned);
        entry.updated_at = now;
        Ok(true)
    }

    async fn recover_resale(&self, now: UnixTime) -> Result<(u64, u64), StoreError> {
        let (mut unknown, mut failed) = (0, 0);
        for entry in self.lock().resale.values_mut() {
            match entry.status {
                JournalStatus::Sending => {
                    entry.status = JournalStatus::Unknown;
                    entry.error = Some("interrupted".to_owned());
                    unknown += 1;
                }
                JournalStatus::Planned => {
                    entry.status = JournalStatus::Failed;
                    entry.error = Some("abandoned".to_owned());
                    failed += 1;
                }
                JournalStatus::Bought | JournalStatus::Failed | JournalStatus::Unknown => continue,
            }
            entry.updated_at = now;
        }
        Ok((unknown, failed))
    }

    async fn resale_entries(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<ResaleEntry>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .lock()
            .resale
            .values()
            .rev()
            .filter(|entry| entry.user_id == user)
            .take(limit)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl ResaleWatchStore for MemoryStore {
    async fn create_watch(
        &self,
        user: UserId,
        watch: &NewWatch,
    ) -> Result<ResaleWatch, StoreError> {
        let mut inner = self.lock();
        inner.next_watch += 1;
        let created = ResaleWatch::new(
            inner.next_watch,
            watch.gift_id.get(),
            watch.attributes.clone(),
            watch.max_price,
            watch.recipient,
            i64::from(watch.copies),
        )
        .map_err(|error| StoreError::Other(error.to_string()))?;
        inner.watches.insert(created.id, (user, created.clone()));
        Ok(created)
    }

    async fn list_watches(&self, user: UserId) -> Result<Vec<ResaleWatch>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .watches
            .values()
            .filter(|(owner, _)| *owner == user)
            .map(|(_, watch)| inner.with_bought(watch))
            .collect())
    }

    async fn delete_watch(&self, user: UserId, watch: WatchId) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let owned = inner
            .watches
            .get(&watch)
            .is_some_and(|(owner, _)| *owner == user);
        if owned {
            inner.watches.remove(&watch);
        }
        Ok(owned)
    }
}
