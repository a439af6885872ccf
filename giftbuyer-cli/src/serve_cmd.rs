//! `giftbuyer serve`: the self-hosted server: the JSON API and the engine, on the built-in demo
//! market with `--demo`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use giftbuyer_core::ports::{BoxFuture, Clock, EventFeed, Secret};
use giftbuyer_core::ports::{CatalogStore, StoreError, UserId};
use giftbuyer_core::{AccountId, CatalogGift, ChannelId, GiftId};
use giftbuyer_engine::{
    Engine, EngineConfig, KnownCatalog, ManualBuyError, ManualBuyResult, PollOutcome, TokioClock,
    spawn_supervised,
};
use giftbuyer_http::{
    AppState, BotIdentity, BotVerifier, BuyError, BuyOutcome, BuyResult, GiftActions, HttpConfig,
    RefreshResult, VerifyError,
};
use giftbuyer_sim::demo::{DemoOptions, demo_market_config};
use giftbuyer_sim::{BotConfig, Market, SimBot, SimConnector, SimLogin};
use giftbuyer_store::{KeyOrigin, Store};

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GIFTBUYER_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`; default `sqlite://<data-dir>/giftbuyer.db`.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Where the database and the master key file live.
    #[arg(long, env = "GIFTBUYER_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// The master key file, used unless `GIFTBUYER_MASTER_KEY` is set; default
    /// `<data-dir>/master.key`, created on first start.
    #[arg(long, env = "GIFTBUYER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Where gift stickers are cached once downloaded; default `<data-dir>/stickers`.
    #[arg(long, env = "GIFTS_CACHE_DIR")]
    gifts_cache_dir: Option<PathBuf>,
    /// How long users, accounts, channels and settings are cached by the engine, in seconds.
    #[arg(long, env = "GIFTS_ACCS_TTL", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    accounts_ttl: u64,
    /// Mark the session cookie `Secure` (serve behind HTTPS).
    #[arg(long, env = "GIFTBUYER_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Trust `X-Forwarded-*` headers from a reverse proxy in front of the server.
    #[arg(long, env = "GIFTBUYER_TRUST_PROXY")]
    trust_proxy: bool,
    /// Run against the built-in simulated Telegram market instead of real Telegram.
    #[arg(long)]
    demo: bool,
    /// With `--demo`: seconds between two simulated drops.
    #[arg(long, default_value_t = 180, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    demo_drop_every: u64,
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<()> {
    if !args.demo {
        anyhow::bail!(
            "serving real Telegram is not wired in yet: the Telegram adapters exist, but the \
             panel's account login is not; run `giftbuyer serve --demo` to try GiftBuyer on the \
             built-in simulated market"
        );
    }
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second initialisation (tests running the command twice in one process) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let data_dir = &args.data_dir;
    create_private_dir(data_dir)?;
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("giftbuyer.db").display()));
    let key_file = args
        .key_file
        .clone()
        .unwrap_or_else(|| data_dir.join("master.key"));
    let (key, origin) =
        giftbuyer_store::load_master_key(&key_file).context("cannot load the master key")?;
    if let KeyOrigin::Created(path) = &origin {
        tracing::warn!(
            path = %path.display(),
            "created a new master key; back it up: without it the stored secrets cannot be read"
        );
    }
    let store = Store::connect(&database_url, key)
        .await
        .context("cannot open the database")?;

    let clock: Arc<dyn Clock> = Arc::new(TokioClock::system());
    let drop_every = Duration::from_secs(args.demo_drop_every);
    let defaults = DemoOptions::default();
    let options = DemoOptions {
        drop_every,
        // A short interval (a demo or a test) also brings the first drop forward.
        first_drop: defaults.first_drop.min(drop_every),
        ..defaults
    };
    let market = Market::new(demo_market_config(&options), clock.clone())
        .context("cannot build the demo market")?;
    let bot = SimBot::new(clock.clone(), BotConfig::default());
    let connector = Arc::new(SimConnector::new(market.clone(), Some(bot)));
    // The demo shows each code in the panel and in the log, as the issue asks; only the
    // masked phone is logged beside it.
    let login = SimLogin::new(market).on_code_sent(|masked_phone, code| {
        tracing::info!(phone = masked_phone, code, "demo login code sent");
    });

    let leadership = Arc::new(store.leadership());
    let engine_config = EngineConfig {
        reload_ttl: Duration::from_secs(args.accounts_ttl),
        ..EngineConfig::default()
    };
    let engine = Engine::new(
        Arc::new(store.clone()),
        connector.clone(),
        clock.clone(),
        engine_config,
    )
    .with_leadership(leadership.clone())
    .with_known_catalog(Arc::new(StoreCatalog(store.clone())));
    let engine = Arc::new(engine);
    let gift_actions = Arc::new(EngineGiftActions(engine.clone()));
    // The panel's live stream follows the engine's events; the supervisor restarts the engine's
    // task, not the engine, so this subscription source stays valid across restarts.
    let events: Arc<dyn EventFeed> = engine.clone();
    let engine = spawn_supervised(engine, Duration::from_secs(1));

    let http_config = HttpConfig {
        cookie_secure: args.secure_cookies,
        trust_proxy: args.trust_proxy,
        sticker_cache_dir: Some(
            args.gifts_cache_dir
                .clone()
                .unwrap_or_else(|| args.data_dir.join("stickers")),
        ),
        ..HttpConfig::default()
    };
    let state = AppState::new(Arc::new(store.clone()), clock, http_config)
        .context("invalid server settings")?
        .with_run_journal(Arc::new(store.clone()))
        .with_bot_verifier(Arc::new(DemoBotVerifier))
        .with_login(Arc::new(login))
        .with_connector(connector)
        .with_account_states(Arc::new(store.clone()))
        .with_events(events)
        .with_gift_actions(gift_actions);
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    println!(
        "GiftBuyer is listening on http://{local} (demo market: a drop every {} s)",
        args.demo_drop_every
    );

    let served = giftbuyer_http::serve(listener, state, shutdown_signal()).await;
    // Purchases in flight finish and are journaled before the process ends.
    engine.shutdown().await;
    if let Err(error) = leadership.release().await {
        tracing::warn!(%error, "could not release the engine's leadership");
    }
    store.close().await;
    served.context("the server failed")?;
    println!("GiftBuyer stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests and purchases in flight");
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))
    }
}

/// The demo's bot: any well-formed token belongs to the same simulated bot.
struct DemoBotVerifier;

impl BotVerifier for DemoBotVerifier {
    fn verify<'a>(
        &'a self,
        _token: &'a Secret<String>,
    ) -> BoxFuture<'a, Result<BotIdentity, VerifyError>> {
        Box::pin(std::future::ready(Ok(BotIdentity {
            username: "giftbuyer_demo_bot".to_owned(),
        })))
    }
}

/// The store's recorded catalog, where the engine finds gifts its last poll did not carry.
struct StoreCatalog(Store);

impl KnownCatalog for StoreCatalog {
    fn known_gift(&self, gift: GiftId) -> BoxFuture<'_, Result<Option<CatalogGift>, StoreError>> {
        Box::pin(async move {
            let known = <Store as CatalogStore>::known_gifts(&self.0)
                .await
                .map_err(|error| StoreError::Unavailable(error.to_string()))?;
            Ok(known
                .into_iter()
                .find(|entry| entry.gift.id == gift.get())
                .map(|entry| entry.gift))
        })
    }
}

/// The panel's gift actions, over the engine: manual purchases and catalog refreshes.
struct EngineGiftActions(Arc<Engine>);

impl GiftActions for EngineGiftActions {
    fn buy(
        &self,
        user: UserId,
        account: AccountId,
        channel: ChannelId,
        gift: GiftId,
    ) -> BoxFuture<'_, Result<BuyResult, BuyError>> {
        Box::pin(async move {
            let outcome =
                self.0.buy_one(user, account, channel, gift).await.map_err(
                    |error| match error {
                        // An unknown user cannot own the account, so it answers as the account.
                        ManualBuyError::UnknownUser | ManualBuyError::UnknownAccount => {
                            BuyError::NotFound { what: "account" }
                        }
                        ManualBuyError::UnknownChannel => BuyError::NotFound { what: "channel" },
                        ManualBuyError::UnknownGift => BuyError::NotFound { what: "gift" },
                        ManualBuyError::NotBuyable(reason) => BuyError::NotBuyable {
                            reason: reason.code().to_owned(),
                        },
                        error @ (ManualBuyError::NotLeader
                        | ManualBuyError::Interrupted
                        | ManualBuyError::Store(_)) => BuyError::Unavailable(error.to_string()),
                    },
                )?;
            Ok(BuyResult {
                run_id: outcome.run_id,
                outcome: match outcome.result {
                    ManualBuyResult::Bought => BuyOutcome::Bought,
                    ManualBuyResult::Failed(name) => BuyOutcome::Failed(name),
                    ManualBuyResult::Unknown => BuyOutcome::Unknown,
                },
            })
        })
    }

    fn refresh(&self) -> BoxFuture<'_, Result<RefreshResult, String>> {
        Box::pin(async move {
            let report = self
                .0
                .refresh_catalog()
                .await
                .map_err(|error| error.to_string())?;
            // Stable codes, not the engine's debug text, so the panel can match on them.
            let outcome = match report.outcome {
                PollOutcome::NoAccount => "no_account",
                PollOutcome::NotModified => "not_modified",
                PollOutcome::Seeded { .. } => "seeded",
                PollOutcome::Updated => "updated",
                PollOutcome::NewGifts { .. } => "new_gifts",
                PollOutcome::FloodWait { .. } => "flood_wait",
                PollOutcome::Failed { error } => return Err(error),
            };
            Ok(RefreshResult {
                outcome: outcome.to_owned(),
            })
        })
    }
}
