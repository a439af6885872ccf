//! The engine: polls the catalog, detects new gifts and starts autobuy runs and notifications.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use giftbuyer_core::ports::{
    AccountGiftState, CatalogResponse, Clock, Connector, EngineStore, LeaderElection, StoreError,
    TelegramError, UserConfig, UserId,
};
use giftbuyer_core::{AccountId, CatalogGift, GiftId, Stars};
use tokio::sync::broadcast;
use tokio::task::JoinSet;

use crate::catalog_view;
use crate::events::EngineEvent;
use crate::manual::KnownCatalog;
use crate::revoked;
use crate::rotation::Rotation;
use crate::runs_gate::{NOTICE_WAIT_LIMIT, RunsGate};
use crate::{EngineConfig, buyer, notify};

/// A failure that stops one tick; the next tick tries again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another instance leads the engine; only the leader polls and buys.
    #[error("this instance does not lead the engine")]
    NotLeader,
}

/// What one poll of the catalog found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// No account can poll (none configured, or all in flood backoff).
    NoAccount,
    NotModified,
    /// The first catalog ever: recorded as known, nothing bought.
    Seeded {
        gifts: usize,
    },
    /// The catalog changed without new gifts (remaining counts, sold-out flags).
    Updated,
    /// New gifts were found and autobuy runs were started for these users.
    NewGifts {
        gifts: Vec<GiftId>,
        runs: Vec<UserId>,
    },
    /// The account must wait before polling again.
    FloodWait {
        seconds: u32,
    },
    Failed {
        error: String,
    },
}

/// The result of one [`Engine::tick`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub poller: Option<AccountId>,
    pub outcome: PollOutcome,
}

/// Catalog polls by outcome, counted since the engine was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Telegram sent a catalog (changed since this account's last poll).
    pub changed: u64,
    pub not_modified: u64,
    /// Network errors, timeouts, flood waits and refusals.
    pub failed: u64,
}

/// What the engine remembers about an account between runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CachedAccount {
    pub(crate) balance: Stars,
    pub(crate) premium: bool,
    /// Engine time of the last refresh; `None` forces a refresh before the next plan.
    pub(crate) refreshed_at: Option<Duration>,
}

/// Ports and caches shared by the engine and the tasks it spawns.
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn EngineStore>,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: EngineConfig,
    pub(crate) events: broadcast::Sender<EngineEvent>,
    pub(crate) accounts: Mutex<HashMap<AccountId, CachedAccount>>,
    pub(crate) stickers: Mutex<crate::notify::StickerCache>,
    /// One run at a time per user, so a second drop is planned with the balances the first
    /// left behind instead of spending the same stars twice.
    pub(crate) user_locks: Mutex<HashMap<UserId, Arc<tokio::sync::Mutex<()>>>>,
    /// Accounts whose balance is being refreshed in the background.
    pub(crate) refreshing: Mutex<HashSet<AccountId>>,
    /// Runs, notifications and report deliveries in flight.
    pub(crate) tasks: Mutex<JoinSet<()>>,
    /// The last catalog a poll fetched, where manual purchases look their gift up first.
    pub(crate) last_catalog: Mutex<Arc<[CatalogGift]>>,
    /// Each account's own per-user limits and locks, from its last full catalog.
    pub(crate) account_views: Mutex<HashMap<AccountId, Vec<AccountGiftState>>>,
    /// The users as last loaded, for tasks that need a user's settings outside a run (the
    /// notice of a revoked session).
    pub(crate) users: Mutex<Arc<[UserConfig]>>,
    /// Set to reload users before the next poll.
    pub(crate) reload_requested: AtomicBool,
    /// Catalog polls by outcome: changed, not modified, failed.
    pub(crate) polls: [AtomicU64; 3],
    /// Engine time of the last poll Telegram answered, whoever polled.
    pub(crate) last_answer_at: Mutex<Option<Duration>>,
}

impl Shared {
    pub(crate) fn emit(&self, event: EngineEvent) {
        // Nobody listening is fine: events are informational.
        let _ = self.events.send(event);
    }

    pub(crate) fn now(&self) -> Duration {
        self.clock.elapsed()
    }

    pub(crate) fn user_lock(&self, user: UserId) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.user_locks).entry(user).or_default().clone()
    }
}

/// Locks a std mutex, recovering from poisoning: the maps behind these locks are caches whose
/// worst state after a panic is stale, never unsafe.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct MonitorState {
    users: Vec<UserConfig>,
    loaded_at: Option<Duration>,
    rotation: Rotation,
    /// The last catalog hash each account saw. Telegram's catalog differs per account (locks,
    /// per-user limits), and so does its hash.
    hashes: HashMap<AccountId, i32>,
}

/// The autobuy engine. Cheap to share behind an `Arc`.
pub struct Engine {
    pub(crate) shared: Arc<Shared>,
    leadership: Option<Arc<dyn LeaderElection>>,
    /// Whether [`Engine::run`] holds the leadership now; only read when there is an election.
    leading: AtomicBool,
    pub(crate) known_catalog: Option<Arc<dyn KnownCatalog>>,
    monitor: tokio::sync::Mutex<MonitorState>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(
        store: Arc<dyn EngineStore>,
        connector: Arc<dyn Connector>,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Self {
        let (events, _) = broadcast::channel(4096);
        Self {
            leadership: None,
            leading: AtomicBool::new(false),
            known_catalog: None,
            shared: Arc::new(Shared {
                store,
                connector,
                clock,
                config,
                events,
                accounts: Mutex::default(),
                stickers: Mutex::default(),
                user_locks: Mutex::default(),
                refreshing: Mutex::default(),
                tasks: Mutex::default(),
                last_catalog: Mutex::new(Arc::from(Vec::new())),
                account_views: Mutex::default(),
                users: Mutex::new(Arc::from(Vec::new())),
                reload_requested: AtomicBool::new(true),
                polls: Default::default(),
                last_answer_at: Mutex::new(None),
            }),
            monitor: tokio::sync::Mutex::new(MonitorState {
                users: Vec::new(),
                loaded_at: None,
                rotation: Rotation::default(),
                hashes: HashMap::new(),
            }),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// How many catalog polls ended each way since the engine was made.
    pub fn poll_stats(&self) -> PollStats {
        let count = |index: usize| self.shared.polls[index].load(Ordering::Relaxed);
        PollStats {
            changed: count(0),
            not_modified: count(1),
            failed: count(2),
        }
    }

    /// A stream of everything the engine does from now on.
    /// Where other tasks of this engine's instance (the resale sniper) publish their events, so
    /// that one subscription follows them all.
    pub fn publisher(&self) -> broadcast::Sender<EngineEvent> {
        self.shared.events.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.shared.events.subscribe()
    }

    /// Reloads users, accounts, channels and settings before the next poll (call it when they
    /// change); otherwise they are reloaded every `reload_ttl`.
    pub fn request_reload(&self) {
        self.shared.reload_requested.store(true, Ordering::Release);
    }

    /// After a restart: purchases left `sending` become `unknown` and are never resent;
    /// purchases left `planned` are abandoned. Returns how many journal entries changed.
    pub async fn recover(&self) -> Result<u64, EngineError> {
        let now = self.shared.clock.unix_now();
        Ok(self.shared.store.recover_journal(now).await?)
    }

    /// Time to wait between two polls with the accounts available now.
    pub async fn poll_gap(&self) -> Duration {
        let monitor = self.monitor.lock().await;
        let available = monitor.rotation.available(self.shared.now());
        self.shared.config.poll_gap(available)
    }

    /// Waits until every run and notification started so far has finished.
    pub async fn settle(&self) {
        loop {
            let mut tasks = std::mem::take(&mut *lock(&self.shared.tasks));
            if tasks.is_empty() {
                return;
            }
            while let Some(result) = tasks.join_next().await {
                if let Err(error) = result {
                    tracing::error!(%error, "an engine task failed");
                }
            }
        }
    }

    /// Polls the catalog once with the next account and starts what new gifts call for.
    pub async fn tick(&self) -> Result<TickReport, EngineError> {
        let shared = &self.shared;
        let mut monitor = self.monitor.lock().await;
        self.reload_if_due(&mut monitor).await?;
        self.reap_finished_tasks();

        let now = shared.now();
        let Some(poller) = monitor.rotation.next(now) else {
            return Ok(TickReport {
                poller: None,
                outcome: PollOutcome::NoAccount,
            });
        };
        self.refresh_if_stale(poller, now);
        let report = |outcome| TickReport {
            poller: Some(poller),
            outcome,
        };
        let timeout = shared.config.call_timeout;
        let response = match tokio::time::timeout(timeout, async {
            let account = shared.connector.account(poller).await?;
            let hash = monitor.hashes.get(&poller).copied().unwrap_or(0);
            account.star_gifts(hash).await
        })
        .await
        {
            Ok(response) => response,
            Err(_) => Err(TelegramError::Timeout),
        };
        let answered_at = shared.now();
        let (hash, gifts) = match response {
            Ok(CatalogResponse::NotModified) => {
                shared.polls[1].fetch_add(1, Ordering::Relaxed);
                *lock(&shared.last_answer_at) = Some(answered_at);
                return Ok(report(PollOutcome::NotModified));
            }
            Ok(CatalogResponse::Catalog { hash, gifts }) => (hash, gifts),
            Err(TelegramError::FloodWait { seconds }) => {
                shared.polls[2].fetch_add(1, Ordering::Relaxed);
                let until = now + Duration::from_secs(u64::from(seconds));
                monitor.rotation.block(poller, until);
                tracing::warn!(account = %poller, seconds, "catalog poll hit a flood wait");
                return Ok(report(PollOutcome::FloodWait { seconds }));
            }
            Err(error) => {
                shared.polls[2].fetch_add(1, Ordering::Relaxed);
                // A broken account must not stall the monitor: it sits out a few rounds while
                // the other accounts keep polling.
                let backoff = match error {
                    TelegramError::AuthKeyUnregistered => Duration::from_secs(3600),
                    _ => shared.config.poll_interval * 5,
                };
                monitor.rotation.block(poller, now + backoff);
                revoked::check(shared, poller, &error);
                tracing::warn!(account = %poller, %error, "catalog poll failed");
                shared.emit(EngineEvent::PollFailed {
                    account: poller,
                    error: error.to_string(),
                    at: now,
                });
                return Ok(report(PollOutcome::Failed {
                    error: error.to_string(),
                }));
            }
        };
        shared.polls[0].fetch_add(1, Ordering::Relaxed);
        // The gifts of this answer appeared after the previous answer, so the time between the
        // two bounds how late they are seen.
        let previous_answer = lock(&shared.last_answer_at).replace(answered_at);
        let received_at = shared.now();
        shared.emit(EngineEvent::CatalogReceived {
            account: poller,
            gifts: gifts.len(),
            at: received_at,
            wall: Instant::now(),
        });

        let diff = shared
            .store
            .record_catalog(&gifts, shared.clock.unix_now())
            .await?;
        // The hash is kept only once the catalog is stored, so a storage failure makes the
        // next poll fetch the full catalog again instead of getting `NotModified`.
        monitor.hashes.insert(poller, hash);
        let previous = std::mem::replace(
            &mut *lock(&shared.last_catalog),
            Arc::from(gifts.as_slice()),
        );
        // What only the panel shows (each account's limits and locks, copies left) is worked out
        // after a drop's runs have started, never before them.
        let update_views = || {
            lock(&shared.account_views).insert(
                poller,
                catalog_view::account_view(poller, &gifts, shared.clock.unix_now()),
            );
            let remaining = catalog_view::remaining_changes(&previous, &gifts);
            if !remaining.is_empty() {
                shared.emit(EngineEvent::Remaining {
                    gifts: remaining,
                    at: received_at,
                });
            }
        };
        if !diff.sold_out.is_empty() {
            shared.emit(EngineEvent::SoldOut {
                gifts: diff.sold_out.clone(),
                at: received_at,
            });
        }
        if diff.first_run {
            tracing::info!(
                gifts = gifts.len(),
                "seeded the known catalog; nothing is bought from it"
            );
            shared.emit(EngineEvent::Seeded {
                gifts: gifts.len(),
                at: received_at,
            });
            update_views();
            return Ok(report(PollOutcome::Seeded { gifts: gifts.len() }));
        }
        if diff.new_gifts.is_empty() {
            update_views();
            return Ok(report(PollOutcome::Updated));
        }

        let new_gifts: Arc<[CatalogGift]> = diff.new_gifts.into();
        let ids = new_gifts
            .iter()
            .filter_map(|gift| GiftId::new(gift.id).ok())
            .collect();
        tracing::info!(gifts = ?ids, "new gifts in the catalog");
        shared.emit(EngineEvent::NewGifts {
            gifts: new_gifts.to_vec(),
            at: received_at,
            detection_window: previous_answer.map(|previous| answered_at.saturating_sub(previous)),
        });
        let mut runs = Vec::new();
        let gate = Arc::new(RunsGate::default());
        let mut tasks = lock(&self.shared.tasks);
        for user in &monitor.users {
            if user.settings.autobuy && !user.accounts.is_empty() {
                runs.push(user.user_id);
                let ticket = gate.ticket();
                let run = buyer::run(shared.clone(), user.clone(), new_gifts.clone());
                tasks.spawn(async move {
                    run.await;
                    drop(ticket);
                });
            }
        }
        // Notifications never delay the purchases: they wait until the runs have sent them.
        for user in &monitor.users {
            if !user.settings.notification_chats.is_empty() {
                let notice =
                    notify::new_gifts(shared.clone(), user.clone(), poller, new_gifts.clone());
                let gate = Arc::clone(&gate);
                let clock = Arc::clone(&shared.clock);
                tasks.spawn(async move {
                    gate.wait(clock.as_ref(), NOTICE_WAIT_LIMIT).await;
                    notice.await;
                });
            }
        }
        drop(tasks);
        update_views();
        Ok(report(PollOutcome::NewGifts { gifts: ids, runs }))
    }

    /// Polls now, as a tick does: the panel's "refresh" button. With a leader election, only
    /// the leading instance polls, so two instances never start runs for the same drop.
    pub async fn refresh_catalog(&self) -> Result<TickReport, EngineError> {
        if !self.may_act() {
            return Err(EngineError::NotLeader);
        }
        self.tick().await
    }

    /// Looks gifts up for manual purchases in the store's recorded catalog too, not only in
    /// the last catalog this engine fetched.
    #[must_use]
    pub fn with_known_catalog(mut self, catalog: Arc<dyn KnownCatalog>) -> Self {
        self.known_catalog = Some(catalog);
        self
    }

    /// Whether this instance may poll or buy on request: always without an election,
    /// otherwise only while [`Engine::run`] leads.
    /// Whether this instance may poll and buy now: it holds the leadership, or runs without an
    /// election. Other tasks that buy (the resale sniper) follow the same rule.
    pub fn may_act(&self) -> bool {
        self.leadership.is_none() || self.leading.load(Ordering::Acquire)
    }

    /// Runs this engine only while it holds `election`'s leadership: with several instances on
    /// one database, exactly one polls and buys. The journal is recovered each time this
    /// instance becomes the leader.
    #[must_use]
    pub fn with_leadership(mut self, election: Arc<dyn LeaderElection>) -> Self {
        self.leadership = Some(election);
        self
    }

    /// Polls until `shutdown` completes, spacing polls by [`Engine::poll_gap`], then lets the
    /// runs in flight finish so every purchase sent is journaled with its outcome. With a
    /// leader election, only polls while leading and checks the claim every `leader_check`.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut leading = false;
        let mut checked_at: Option<Duration> = None;
        if self.leadership.is_none() {
            self.recover_logged().await;
        }
        loop {
            if let Some(election) = &self.leadership {
                let now = self.shared.now();
                let due = checked_at
                    .is_none_or(|at| now.saturating_sub(at) >= self.shared.config.leader_check);
                if due {
                    checked_at = Some(now);
                    let leads = election.try_lead().await.unwrap_or_else(|error| {
                        tracing::error!(%error, "cannot check the engine's leadership");
                        false
                    });
                    if leads && !leading {
                        tracing::info!("this instance leads: the engine starts polling");
                        self.request_reload();
                        self.recover_logged().await;
                    } else if !leads && leading {
                        tracing::warn!(
                            "this instance lost the leadership: the engine stops polling"
                        );
                    }
                    leading = leads;
                    self.leading.store(leads, Ordering::Release);
                }
                if !leading {
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = self.shared.clock.sleep(self.shared.config.leader_check) => continue,
                    }
                }
            }
            match self.tick().await {
                Ok(report) => tracing::debug!(?report, "poll"),
                Err(error) => tracing::error!(%error, "poll failed"),
            }
            let gap = self.poll_gap().await;
            tokio::select! {
                () = &mut shutdown => break,
                () = self.shared.clock.sleep(gap) => {}
            }
        }
        self.leading.store(false, Ordering::Release);
        self.settle().await;
    }

    async fn recover_logged(&self) {
        match self.recover().await {
            Ok(0) => {}
            Ok(changed) => tracing::warn!(changed, "recovered interrupted journal entries"),
            Err(error) => tracing::error!(%error, "journal recovery failed"),
        }
    }

    async fn reload_if_due(&self, monitor: &mut MonitorState) -> Result<(), EngineError> {
        let now = self.shared.now();
        let expired = monitor
            .loaded_at
            .is_none_or(|at| now.saturating_sub(at) >= self.shared.config.reload_ttl);
        if !expired && !self.shared.reload_requested.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let users = self.shared.store.users().await?;
        let accounts: Vec<AccountId> = users
            .iter()
            .flat_map(|user| user.accounts.iter().copied())
            .collect();
        monitor
            .hashes
            .retain(|account, _| accounts.contains(account));
        monitor.rotation.set_accounts(accounts);
        *lock(&self.shared.users) = Arc::from(users.as_slice());
        monitor.users = users;
        monitor.loaded_at = Some(now);
        Ok(())
    }

    /// Keeps balances fresh in the background: each poll checks the polling account's cached
    /// balance and refreshes it once it is half as old as `balance_max_age`. When a drop comes,
    /// planning then rarely has to wait for a balance round trip.
    fn refresh_if_stale(&self, account: AccountId, now: Duration) {
        let half_age = self.shared.config.balance_max_age / 2;
        let stale = lock(&self.shared.accounts)
            .get(&account)
            .and_then(|cached| cached.refreshed_at)
            .is_none_or(|at| now.saturating_sub(at) >= half_age);
        if stale && lock(&self.shared.refreshing).insert(account) {
            let shared = self.shared.clone();
            lock(&self.shared.tasks).spawn(async move {
                buyer::refresh_account(shared.clone(), account).await;
                lock(&shared.refreshing).remove(&account);
            });
        }
    }

    /// Collects tasks that already finished, so a long-running engine does not accumulate
    /// their results.
    fn reap_finished_tasks(&self) {
        let mut tasks = lock(&self.shared.tasks);
        while let Some(result) = tasks.try_join_next() {
            if let Err(error) = result {
                tracing::error!(%error, "an engine task failed");
            }
        }
    }
}
