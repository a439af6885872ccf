//! `TelegramConnector`: the core's `Connector` over real Telegram. It opens one MTProto
//! connection per account from the account's stored session, under the account's lease, and
//! keeps one Bot API client per user.
//!
//! Connections are opened on first use and kept. An account whose connection died (its pool's
//! runner ended) or whose session Telegram revoked is built again on the next request, from
//! the session in the store, which a new login may have replaced. Leases are renewed by
//! [`TelegramConnector::renew_leases`] (a server runs [`TelegramConnector::spawn_lease_renewal`])
//! and released by [`TelegramConnector::shutdown`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{
    AccountRowId, ApiProfileId, BotError, Clock, Connector, EngineStore, NotificationBot,
    PanelStore, Secret, SessionVault, TelegramAccount, TelegramError, UserId,
};
use tokio::task::JoinHandle;

use crate::account::{AccountConfig, MtprotoAccount};
use crate::bot_api::{BotApi, BotApiConfig};
use crate::session::{StoredSession, VaultSink};
use crate::transport::{InvokerFactory, RawInvoker};

/// The storage the connector reads: the engine's port (which user owns which logged-in
/// account) and the panel's (account rows, API profiles, sessions, leases, bot tokens).
pub trait ConnectorStore: EngineStore + PanelStore {}

impl<T: EngineStore + PanelStore + ?Sized> ConnectorStore for T {}

/// How the connector connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorConfig {
    /// This instance's name in account leases; unique per running instance.
    pub holder: String,
    /// How long a lease lasts without renewal. Renew at a third of it or more often.
    pub lease_ttl: Duration,
    /// The `api_id` for accounts without an API profile; `None` refuses them.
    pub default_api_id: Option<i32>,
    pub account: AccountConfig,
    pub bot: BotApiConfig,
}

impl ConnectorConfig {
    pub fn new(holder: impl Into<String>) -> Self {
        Self {
            holder: holder.into(),
            lease_ttl: Duration::from_secs(90),
            default_api_id: None,
            account: AccountConfig::default(),
            bot: BotApiConfig::default(),
        }
    }
}

/// An account the connector cannot open for a reason other than Telegram's; the engine stops
/// the account for the run.
fn unavailable(reason: &str) -> TelegramError {
    TelegramError::AccountUnavailable(reason.to_owned())
}

/// One connected account.
struct Live {
    user: UserId,
    row: AccountRowId,
    account: Arc<MtprotoAccount>,
    invoker: Arc<dyn RawInvoker>,
}

impl Live {
    fn usable(&self) -> bool {
        self.invoker.is_alive() && !self.account.is_revoked()
    }
}

/// A user's bot, with the token it was built from.
struct CachedBot {
    token: Secret<String>,
    bot: Arc<BotApi>,
}

/// Hands the engine real Telegram accounts and bots.
pub struct TelegramConnector {
    store: Arc<dyn ConnectorStore>,
    clock: Arc<dyn Clock>,
    factory: Arc<dyn InvokerFactory>,
    config: ConnectorConfig,
    accounts: Mutex<HashMap<AccountId, Live>>,
    /// Serializes the slow path (store reads, lease, connect), so one account is never
    /// connected twice at once; accounts already connected never wait on it.
    connecting: tokio::sync::Mutex<()>,
    bots: Mutex<HashMap<UserId, CachedBot>>,
}

impl fmt::Debug for TelegramConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramConnector")
            .field("holder", &self.config.holder)
            .field("accounts", &lock(&self.accounts).len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold handles only; a panic elsewhere cannot leave one half-written.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TelegramConnector {
    /// A connector that opens connections with `factory`: `GrammersFactory` for Telegram, a
    /// fake in tests.
    pub fn new(
        store: Arc<dyn ConnectorStore>,
        clock: Arc<dyn Clock>,
        factory: Arc<dyn InvokerFactory>,
        config: ConnectorConfig,
    ) -> Self {
        Self {
            store,
            clock,
            factory,
            config,
            accounts: Mutex::new(HashMap::new()),
            connecting: tokio::sync::Mutex::new(()),
            bots: Mutex::new(HashMap::new()),
        }
    }

    fn live(&self, id: AccountId) -> Option<Arc<MtprotoAccount>> {
        lock(&self.accounts)
            .get(&id)
            .filter(|live| live.usable())
            .map(|live| Arc::clone(&live.account))
    }

    async fn connect_account(&self, id: AccountId) -> Result<Arc<MtprotoAccount>, TelegramError> {
        if let Some(account) = self.live(id) {
            return Ok(account);
        }
        let _connecting = self.connecting.lock().await;
        if let Some(account) = self.live(id) {
            return Ok(account);
        }
        // A dead or revoked connection closes here; its lease is still held and is extended
        // below when the account is opened again.
        let stale = lock(&self.accounts).remove(&id);
        if let Some(stale) = &stale {
            tracing::info!(account = %id, revoked = stale.account.is_revoked(), "reconnecting an account");
        }
        drop(stale);

        let (user, row, api_profile) = self.owner(id).await?;
        let vault: Arc<dyn SessionVault> = self.store.clone();
        let leased = vault
            .lease_account(user, row, &self.config.holder, self.config.lease_ttl)
            .await
            .map_err(|error| unavailable(&error.to_string()))?;
        if !leased {
            return Err(unavailable("another instance holds the account's lease"));
        }
        let opened = self
            .open(id, user, row, api_profile, Arc::clone(&vault))
            .await;
        match opened {
            Ok(live) => {
                let account = Arc::clone(&live.account);
                lock(&self.accounts).insert(id, live);
                Ok(account)
            }
            Err(error) => {
                if let Err(release) = vault.release_lease(user, row, &self.config.holder).await {
                    tracing::warn!(account = %id, error = %release, "cannot release a lease");
                }
                Err(error)
            }
        }
    }

    /// The user and account row that hold a logged-in Telegram account, and its API profile.
    async fn owner(
        &self,
        id: AccountId,
    ) -> Result<(UserId, AccountRowId, Option<ApiProfileId>), TelegramError> {
        // The panel port finds an account by Telegram id only within one user, so the owner
        // comes from the engine's list of users with their logged-in accounts. An account in
        // nobody's list has no session to connect with, which is what a revoked login is.
        let users = self
            .store
            .users()
            .await
            .map_err(|error| unavailable(&error.to_string()))?;
        let user = users
            .iter()
            .find(|user| user.accounts.contains(&id))
            .map(|user| user.user_id)
            .ok_or(TelegramError::AuthKeyUnregistered)?;
        let record = self
            .store
            .account_by_telegram_id(user, id)
            .await
            .map_err(|error| unavailable(&error.to_string()))?
            .ok_or(TelegramError::AuthKeyUnregistered)?;
        Ok((user, record.row_id, record.api_profile))
    }

    async fn open(
        &self,
        id: AccountId,
        user: UserId,
        row: AccountRowId,
        api_profile: Option<ApiProfileId>,
        vault: Arc<dyn SessionVault>,
    ) -> Result<Live, TelegramError> {
        let api_id = match api_profile {
            Some(profile) => self
                .store
                .api_profile(user, profile)
                .await
                .map_err(|error| unavailable(&error.to_string()))?
                .map(|profile| profile.api_id),
            None => None,
        }
        .or(self.config.default_api_id)
        .ok_or_else(|| unavailable("the account has no api profile"))?;
        let stored = vault
            .load_session(user, row)
            .await
            .map_err(|error| unavailable(&error.to_string()))?
            .ok_or(TelegramError::AuthKeyUnregistered)?;
        let sink = Arc::new(VaultSink::new(vault, Arc::clone(&self.clock), user, row));
        let session = Arc::new(
            StoredSession::load(&stored, sink).map_err(|error| unavailable(&error.to_string()))?,
        );
        let invoker = self
            .factory
            .connect(Arc::clone(&session), api_id)
            .map_err(|error| TelegramError::Network(error.to_string()))?;
        let account = Arc::new(MtprotoAccount::new(
            id,
            Arc::clone(&invoker),
            session,
            self.config.account,
        ));
        tracing::info!(account = %id, user = %user, "account connected");
        Ok(Live {
            user,
            row,
            account,
            invoker,
        })
    }

    /// Extends the lease of every connected account. An account whose lease was lost (it
    /// expired and another instance took it) is disconnected at once, so two instances never
    /// use one auth key. Returns how many leases were kept.
    pub async fn renew_leases(&self) -> usize {
        let held: Vec<(AccountId, UserId, AccountRowId)> = lock(&self.accounts)
            .iter()
            .map(|(id, live)| (*id, live.user, live.row))
            .collect();
        let mut kept = 0;
        for (id, user, row) in held {
            match self
                .store
                .renew_lease(user, row, &self.config.holder, self.config.lease_ttl)
                .await
            {
                Ok(true) => kept += 1,
                Ok(false) => {
                    tracing::warn!(account = %id, "lease lost; disconnecting the account");
                    let lost = lock(&self.accounts).remove(&id);
                    drop(lost);
                }
                // A store hiccup keeps the connection: the lease is still valid until its
                // TTL, and the next renewal tries again.
                Err(error) => tracing::warn!(account = %id, %error, "cannot renew a lease"),
            }
        }
        kept
    }

    /// Renews leases every `every` until the returned task is aborted.
    pub fn spawn_lease_renewal(self: &Arc<Self>, every: Duration) -> JoinHandle<()> {
        let connector = Arc::downgrade(self);
        let clock = Arc::clone(&self.clock);
        tokio::spawn(async move {
            loop {
                clock.sleep(every).await;
                let Some(connector) = connector.upgrade() else {
                    return;
                };
                connector.renew_leases().await;
            }
        })
    }

    /// Disconnects every account and releases its lease.
    pub async fn shutdown(&self) {
        let accounts: Vec<(AccountId, Live)> = lock(&self.accounts).drain().collect();
        for (id, live) in accounts {
            let (user, row) = (live.user, live.row);
            drop(live);
            if let Err(error) = self
                .store
                .release_lease(user, row, &self.config.holder)
                .await
            {
                tracing::warn!(account = %id, %error, "cannot release a lease");
            }
        }
    }

    async fn user_bot(&self, user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError> {
        let token =
            self.store.bot_token(user).await.map_err(|error| {
                BotError::Network(format!("cannot read the bot token: {error}"))
            })?;
        let Some(token) = token else {
            lock(&self.bots).remove(&user);
            return Ok(None);
        };
        let mut bots = lock(&self.bots);
        if let Some(cached) = bots.get(&user).filter(|cached| cached.token == token) {
            return Ok(Some(Arc::clone(&cached.bot) as Arc<dyn NotificationBot>));
        }
        // A new or changed token: a new client, with an empty sticker cache (a `file_id` is
        // only valid for the bot that received it).
        let bot = Arc::new(BotApi::new(token.clone(), self.config.bot.clone())?);
        bots.insert(
            user,
            CachedBot {
                token,
                bot: Arc::clone(&bot),
            },
        );
        Ok(Some(bot as Arc<dyn NotificationBot>))
    }
}

#[async_trait]
impl Connector for TelegramConnector {
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError> {
        self.connect_account(id)
            .await
            .map(|account| account as Arc<dyn TelegramAccount>)
    }

    async fn bot(&self, user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError> {
        self.user_bot(user).await
    }
}
