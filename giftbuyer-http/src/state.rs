//! `AppState`, what every handler shares (store, clock, configuration, metrics, login limiters
//! and the password hasher), and `HttpConfig`, the server's settings.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{
    AccountCatalogs, AuctionPlanStore, BidStore, Clock, Connector, EventFeed, LockoutPolicy,
    PanelStore, ResaleStore, ResaleWatchStore, TelegramLogin,
};
use tokio::sync::watch;

use crate::accounts::PendingLogins;
use crate::auth::password::Passwords;
use crate::auth::rate_limit::RateLimiter;
use crate::metrics::Metrics;
use crate::panel::PanelAssets;
use crate::ports::{AccountStateSink, BotVerifier, ConfigListener, GiftActions, RunJournal};

/// How often an attempt comes back to a rate-limited key, and how many may be spent at once.
///
/// This is a token bucket: a key starts with `burst` attempts, each attempt spends one, and one
/// comes back every `refill_every`, up to `burst` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub burst: u32,
    pub refill_every: Duration,
}

/// The cost of argon2id password hashes. The defaults are OWASP's recommendation (19 MiB, two
/// passes, one lane); tests lower them because argon2 is slow in debug builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashing {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// The server's settings. [`HttpConfig::default`] suits a server on localhost; behind a
/// reverse proxy with TLS, set `trust_proxy` (and `cookie_secure`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Always mark the session cookie `Secure`. It is also marked when a trusted proxy says the
    /// request came over HTTPS.
    pub cookie_secure: bool,
    /// Believe `X-Forwarded-For` (its last entry is the client), `X-Forwarded-Proto` and
    /// `X-Forwarded-Host`. Only set this when a proxy in front of the server overwrites them,
    /// otherwise any client can pick its own address and dodge the per-IP login limit.
    pub trust_proxy: bool,
    /// Origins (`https://panel.example.com`, with the port when it is not the default) allowed
    /// to make state-changing requests besides the request's own host.
    pub allowed_origins: Vec<String>,
    /// Whether anyone who reaches the server may create an account.
    pub allow_registration: bool,
    /// The largest request body read, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// When repeated failed logins lock an account, and for how long.
    pub lockout: LockoutPolicy,
    /// Login attempts per client address (IPv6 addresses count per /64).
    pub login_per_ip: RateLimit,
    /// Login attempts per username, known or not.
    pub login_per_username: RateLimit,
    /// Registrations per client address.
    pub register_per_ip: RateLimit,
    /// How many keys each limiter tracks at most, so that a flood of addresses or names cannot
    /// grow memory without bound.
    pub max_tracked_keys: usize,
    pub password_hashing: PasswordHashing,
    /// Where downloaded gift stickers (`.tgs`) are kept (`GIFTS_CACHE_DIR`). Without one,
    /// every sticker request that misses the browser's cache downloads the sticker again.
    pub sticker_cache_dir: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            cookie_secure: false,
            trust_proxy: false,
            allowed_origins: Vec::new(),
            allow_registration: true,
            max_body_bytes: 64 * 1024,
            lockout: LockoutPolicy {
                max_failures: 10,
                lock_for: Duration::from_secs(15 * 60),
            },
            login_per_ip: RateLimit {
                burst: 20,
                refill_every: Duration::from_secs(6),
            },
            login_per_username: RateLimit {
                burst: 10,
                refill_every: Duration::from_secs(30),
            },
            register_per_ip: RateLimit {
                burst: 5,
                refill_every: Duration::from_secs(120),
            },
            max_tracked_keys: 10_000,
            password_hashing: PasswordHashing::default(),
            sticker_cache_dir: None,
        }
    }
}

/// A setting the server cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "allowed origin {0:?} is not an origin: expected http:// or https:// followed by a host and an optional port, without a path"
    )]
    Origin(String),
    #[error("{what} must be positive")]
    Zero { what: &'static str },
    #[error("invalid password hashing parameters: {0}")]
    PasswordHashing(String),
}

/// What every handler shares. Cloning is cheap: everything sits behind one `Arc`.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    /// Optional ports, set with the `with_*` builders before the router is built. They live
    /// outside `inner` so that the builders can add them to a state that is already shared.
    bot_verifier: Option<Arc<dyn BotVerifier>>,
    run_journal: Option<Arc<dyn RunJournal>>,
    login: Option<Arc<dyn TelegramLogin>>,
    connector: Option<Arc<dyn Connector>>,
    account_states: Option<Arc<dyn AccountStateSink>>,
    events: Option<Arc<dyn EventFeed>>,
    gift_actions: Option<Arc<dyn GiftActions>>,
    account_catalogs: Option<Arc<dyn AccountCatalogs>>,
    config_listener: Option<Arc<dyn ConfigListener>>,
    resale_watches: Option<Arc<dyn ResaleWatchStore>>,
    resale_journal: Option<Arc<dyn ResaleStore>>,
    auction_plans: Option<Arc<dyn AuctionPlanStore>>,
    bid_journal: Option<Arc<dyn BidStore>>,
    /// The web panel served outside `/api`; `None` serves the embedded build, which is
    /// prepared on first use, so that states that never serve it (tests) skip the work.
    panel: Option<PanelAssets>,
}

struct Inner {
    store: Arc<dyn PanelStore>,
    clock: Arc<dyn Clock>,
    config: HttpConfig,
    /// `allowed_origins`, normalised to lower case.
    origins: Vec<String>,
    metrics: Arc<Metrics>,
    limiters: Limiters,
    passwords: Passwords,
    /// What the account routes remember about each Telegram login in progress (its phone
    /// and API profile), which the login port does not hand back when the login completes.
    pending_logins: PendingLogins,
    /// Set to `true` when the server begins to shut down, so that long-lived responses (the
    /// SSE stream) end instead of holding graceful shutdown open.
    shutdown: watch::Sender<bool>,
}

/// The in-memory login limiters.
pub(crate) struct Limiters {
    pub(crate) login_ip: RateLimiter,
    pub(crate) login_username: RateLimiter,
    pub(crate) register_ip: RateLimiter,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.inner.config)
            .field("bot_verifier", &self.bot_verifier.is_some())
            .field("run_journal", &self.run_journal.is_some())
            .field("gift_actions", &self.gift_actions.is_some())
            .field("login", &self.login.is_some())
            .field("connector", &self.connector.is_some())
            .field("account_states", &self.account_states.is_some())
            .field("events", &self.events.is_some())
            .field("account_catalogs", &self.account_catalogs.is_some())
            .field("config_listener", &self.config_listener.is_some())
            .field("resale", &self.resale_watches.is_some())
            .field("auctions", &self.auction_plans.is_some())
            .field("panel", &self.panel.as_ref().map(PanelAssets::is_built))
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Checks the configuration and prepares the password hasher (which hashes one random
    /// password, so that logins of unknown users can be verified against it in the same time).
    pub fn new(
        store: Arc<dyn PanelStore>,
        clock: Arc<dyn Clock>,
        config: HttpConfig,
    ) -> Result<Self, ConfigError> {
        let origins = config
            .allowed_origins
            .iter()
            .map(|origin| {
                normalize_origin(origin).ok_or_else(|| ConfigError::Origin(origin.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (what, limit) in [
            ("login_per_ip", config.login_per_ip),
            ("login_per_username", config.login_per_username),
            ("register_per_ip", config.register_per_ip),
        ] {
            if limit.burst == 0 || limit.refill_every.is_zero() {
                return Err(ConfigError::Zero { what });
            }
        }
        let positive = [
            ("max_body_bytes", config.max_body_bytes),
            ("max_tracked_keys", config.max_tracked_keys),
            ("lockout.max_failures", config.lockout.max_failures as usize),
        ];
        if let Some((what, _)) = positive.into_iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Zero { what });
        }
        let limiter = |limit| RateLimiter::new(limit, config.max_tracked_keys);
        let limiters = Limiters {
            login_ip: limiter(config.login_per_ip),
            login_username: limiter(config.login_per_username),
            register_ip: limiter(config.register_per_ip),
        };
        let passwords = Passwords::new(config.password_hashing)?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                origins,
                metrics: Arc::new(Metrics::new()),
                limiters,
                passwords,
                config,
                pending_logins: PendingLogins::default(),
                shutdown: watch::Sender::new(false),
            }),
            bot_verifier: None,
            run_journal: None,
            gift_actions: None,
            account_catalogs: None,
            config_listener: None,
            resale_watches: None,
            resale_journal: None,
            auction_plans: None,
            bid_journal: None,
            panel: None,
            login: None,
            connector: None,
            account_states: None,
            events: None,
        })
    }

    /// Serves the resale routes: my watches and what the sniper bought for them. The binary
    /// passes the store, which keeps both. Without them, those routes answer 503.
    #[must_use]
    pub fn with_resale(
        mut self,
        watches: Arc<dyn ResaleWatchStore>,
        journal: Arc<dyn ResaleStore>,
    ) -> Self {
        self.resale_watches = Some(watches);
        self.resale_journal = Some(journal);
        self
    }

    pub(crate) fn resale_watches(&self) -> Option<&Arc<dyn ResaleWatchStore>> {
        self.resale_watches.as_ref()
    }

    pub(crate) fn resale_journal(&self) -> Option<&Arc<dyn ResaleStore>> {
        self.resale_journal.as_ref()
    }

    /// Serves the auction routes: my bidding plans and budget, and the bids placed for them.
    /// The binary passes the store, which keeps both. Without them, those routes answer 503
    /// (an auction's live state only needs the connector).
    #[must_use]
    pub fn with_auctions(
        mut self,
        plans: Arc<dyn AuctionPlanStore>,
        journal: Arc<dyn BidStore>,
    ) -> Self {
        self.auction_plans = Some(plans);
        self.bid_journal = Some(journal);
        self
    }

    pub(crate) fn auction_plans(&self) -> Option<&Arc<dyn AuctionPlanStore>> {
        self.auction_plans.as_ref()
    }

    pub(crate) fn bid_journal(&self) -> Option<&Arc<dyn BidStore>> {
        self.bid_journal.as_ref()
    }

    /// Verifies bot tokens with Telegram when they are set, and shows the bot's username in
    /// the settings. Without one, tokens are only checked for their form.
    #[must_use]
    pub fn with_bot_verifier(mut self, verifier: Arc<dyn BotVerifier>) -> Self {
        self.bot_verifier = Some(verifier);
        self
    }

    /// Lets the history routes show each run's operations and compute spending. Without it,
    /// runs show their counts and report only, and spending is empty.
    #[must_use]
    pub fn with_run_journal(mut self, journal: Arc<dyn RunJournal>) -> Self {
        self.run_journal = Some(journal);
        self
    }

    /// Logs Telegram accounts in from the panel. Without it, the login routes answer 503.
    #[must_use]
    pub fn with_login(mut self, login: Arc<dyn TelegramLogin>) -> Self {
        self.login = Some(login);
        self
    }

    /// Connects to accounts to read their balance after a login and on refresh. Without it,
    /// a login still adds the account (without a balance) and refresh answers 503.
    #[must_use]
    pub fn with_connector(mut self, connector: Arc<dyn Connector>) -> Self {
        self.connector = Some(connector);
        self
    }

    /// Keeps the balances and Premium status the account routes fetch. The binary passes the
    /// store (every `EngineStore` is one).
    #[must_use]
    pub fn with_account_states(mut self, sink: Arc<dyn AccountStateSink>) -> Self {
        self.account_states = Some(sink);
        self
    }

    /// Streams the engine's live events to the panel (`GET /api/gifts/stream`). Without it,
    /// the stream answers 503; the catalog list works either way.
    #[must_use]
    pub fn with_events(mut self, events: Arc<dyn EventFeed>) -> Self {
        self.events = Some(events);
        self
    }

    /// Lets the panel buy a gift now and poll the catalog now (`POST /api/gifts/{id}/buy`,
    /// `POST /api/gifts/refresh`). Without it, both answer 503.
    #[must_use]
    pub fn with_gift_actions(mut self, actions: Arc<dyn GiftActions>) -> Self {
        self.gift_actions = Some(actions);
        self
    }

    /// Where the gift list finds each account's own per-user limits and locks.
    pub fn with_account_catalogs(mut self, catalogs: Arc<dyn AccountCatalogs>) -> Self {
        self.account_catalogs = Some(catalogs);
        self
    }

    pub(crate) fn account_catalogs(&self) -> Option<&Arc<dyn AccountCatalogs>> {
        self.account_catalogs.as_ref()
    }

    /// Who hears about changes of users' accounts, channels and settings (the engine).
    pub fn with_config_listener(mut self, listener: Arc<dyn ConfigListener>) -> Self {
        self.config_listener = Some(listener);
        self
    }

    /// Tells the listener, if any, that `user`'s accounts, channels or settings changed.
    pub(crate) fn config_changed(&self, user: giftbuyer_core::ports::UserId) {
        if let Some(listener) = &self.config_listener {
            listener.config_changed(user);
        }
    }

    /// Serves these panel files instead of the ones embedded at build time.
    pub fn with_panel(mut self, panel: PanelAssets) -> Self {
        self.panel = Some(panel);
        self
    }

    pub(crate) fn panel(&self) -> PanelAssets {
        self.panel.clone().unwrap_or_else(PanelAssets::embedded)
    }

    pub(crate) fn gift_actions(&self) -> Option<&Arc<dyn GiftActions>> {
        self.gift_actions.as_ref()
    }

    /// Ends every long-lived response (the SSE streams). [`serve`](crate::serve) calls it when
    /// its shutdown future resolves; it is public for embedders and tests that drive the
    /// router themselves.
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub(crate) fn shutdown_watch(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    pub(crate) fn events(&self) -> Option<&Arc<dyn EventFeed>> {
        self.events.as_ref()
    }

    pub(crate) fn login(&self) -> Option<&Arc<dyn TelegramLogin>> {
        self.login.as_ref()
    }

    pub(crate) fn connector(&self) -> Option<&Arc<dyn Connector>> {
        self.connector.as_ref()
    }

    pub(crate) fn account_states(&self) -> Option<&Arc<dyn AccountStateSink>> {
        self.account_states.as_ref()
    }

    pub(crate) fn pending_logins(&self) -> &PendingLogins {
        &self.inner.pending_logins
    }

    pub(crate) fn bot_verifier(&self) -> Option<&dyn BotVerifier> {
        self.bot_verifier.as_deref()
    }

    pub(crate) fn run_journal(&self) -> Option<&dyn RunJournal> {
        self.run_journal.as_deref()
    }

    pub fn store(&self) -> &dyn PanelStore {
        self.inner.store.as_ref()
    }

    /// The store as a shared handle, for work that outlives a request.
    pub fn store_arc(&self) -> Arc<dyn PanelStore> {
        Arc::clone(&self.inner.store)
    }

    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    /// The current wall-clock time, from the clock port.
    pub fn now(&self) -> UnixTime {
        self.inner.clock.unix_now()
    }

    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// The metrics registry; clone the `Arc` to hand it to the engine's observers.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    pub(crate) fn allowed_origins(&self) -> &[String] {
        &self.inner.origins
    }

    pub(crate) fn limiters(&self) -> &Limiters {
        &self.inner.limiters
    }

    pub(crate) fn passwords(&self) -> &Passwords {
        &self.inner.passwords
    }
}

/// `scheme://host[:port]` in lower case, or `None` when `raw` is not an http(s) origin. A
/// trailing slash is tolerated because people copy origins from the address bar.
pub(crate) fn normalize_origin(raw: &str) -> Option<String> {
    let lower = raw.trim().to_ascii_lowercase();
    let lower = lower.strip_suffix('/').unwrap_or(&lower);
    let (scheme, authority) = lower.split_once("://")?;
    let valid_authority = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    (matches!(scheme, "http" | "https") && valid_authority)
        .then(|| format!("{scheme}://{authority}"))
}
