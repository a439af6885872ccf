//! `giftbuyer serve`: the self-hosted server: the JSON API and the engine, over real Telegram
//! (`live.rs`) or the built-in demo market with `--demo` (`demo.rs`). This module holds the
//! arguments and the composition both share: the store, the engine under its supervisor and
//! leader election, the HTTP state, and the shutdown in order on SIGINT/SIGTERM.

mod actions;
mod bot_verifier;
mod demo;
mod live;
mod loopback;
mod metrics;
mod reload;
mod side_loop;
mod stored;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use giftbuyer_core::ports::{AccountCatalogs, Clock, Connector, EventFeed, TelegramLogin};
use giftbuyer_engine::{
    AuctionBidder, BidderConfig, Engine, EngineConfig, ResaleSniper, SniperConfig, TokioClock,
    spawn_supervised,
};
use giftbuyer_http::{AppState, BotVerifier, HttpConfig};
use giftbuyer_store::{KeyOrigin, Store};
use tokio::task::JoinHandle;

use crate::store_args::{NEW_KEY_WARNING, StoreArgs};

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GIFTBUYER_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
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
    /// With `--demo`: serve the demo market over real MTProto from a loopback Telegram started
    /// in process, and reach it through the real Telegram adapters (grammers) instead of
    /// calling the market directly.
    #[arg(long, requires = "demo")]
    demo_mtproto: bool,
    /// Send new logins to a loopback Telegram (`giftbuyer tgserver`) instead of Telegram: the
    /// keys file it wrote. Refused unless every stored session is already on loopback DCs, so
    /// a database with real Telegram accounts can never be run against a test server.
    #[arg(long, env = "GIFTBUYER_TELEGRAM_DC_OVERRIDE", conflicts_with = "demo")]
    telegram_dc_override: Option<PathBuf>,
    /// With `--demo`: seconds between two simulated drops.
    #[arg(long, default_value_t = 180, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    demo_drop_every: u64,
}

/// What the demo market and real Telegram each plug into the shared composition.
struct Adapters {
    /// The engine's accounts and bots, also the panel's (balances after a login, refreshes).
    connector: Arc<dyn Connector>,
    login: Arc<dyn TelegramLogin>,
    bot_verifier: Arc<dyn BotVerifier>,
    /// How the start banner names the market.
    market: String,
    /// Background tasks, aborted once the server and the engine stopped.
    tasks: Vec<JoinHandle<()>>,
    /// Runs after the engine stopped and before the store closes (releases leases). A boxed
    /// future is the right type here: it is a value kept until shutdown, not a port method.
    stop: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<()> {
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

pub(crate) fn init_tracing() {
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
    let shutdown = shutdown_signal();
    let (store, origin) = args.store.open().await?;
    if let KeyOrigin::Created(path) = &origin {
        tracing::warn!(path = %path.display(), "{NEW_KEY_WARNING}");
    }
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::system());
    let adapters = if args.demo && args.demo_mtproto {
        let data_dir = &args.store.data_dir;
        let market = demo::market(
            args.demo_drop_every,
            &clock,
            &store,
            data_dir,
            demo::DemoSessions::Loopback,
        )
        .await?;
        loopback::adapters(market, &clock, &store, data_dir, args.demo_drop_every).await?
    } else if args.demo {
        demo::adapters(args.demo_drop_every, &clock, &store, &args.store.data_dir).await?
    } else {
        let dc_override = match &args.telegram_dc_override {
            Some(path) => Some(live::dc_override(&store, path).await?),
            None => None,
        };
        live::adapters(&store, &clock, dc_override)
    };

    let leadership = Arc::new(store.leadership());
    let engine_config = EngineConfig {
        reload_ttl: Duration::from_secs(args.accounts_ttl),
        ..EngineConfig::default()
    };
    let engine = Engine::new(
        Arc::new(store.clone()),
        adapters.connector.clone(),
        clock.clone(),
        engine_config,
    )
    .with_leadership(leadership.clone())
    .with_known_catalog(Arc::new(actions::StoreCatalog(store.clone())));
    let engine = Arc::new(engine);
    let gift_actions = Arc::new(actions::EngineGiftActions(engine.clone()));
    // The panel's live stream follows the engine's events; the supervisor restarts the engine's
    // task, not the engine, so this subscription source stays valid across restarts.
    let events: Arc<dyn EventFeed> = engine.clone();
    let account_catalogs: Arc<dyn AccountCatalogs> = engine.clone();
    let metered = engine.clone();
    let changes = reload::follow_changes(&store, engine.clone())
        .await
        .context("cannot follow settings changes")?;
    let sniper = ResaleSniper::new(
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        adapters.connector.clone(),
        clock.clone(),
        SniperConfig::default(),
    )
    .with_events(engine.publisher());
    let sniper = side_loop::spawn(sniper, engine.clone(), side_loop::RESALE_EVERY);
    let bidder = AuctionBidder::new(
        Arc::new(store.clone()),
        Arc::new(store.clone()),
        adapters.connector.clone(),
        clock.clone(),
        BidderConfig::default(),
    )
    .with_events(engine.publisher());
    let bidder = side_loop::spawn(bidder, engine.clone(), side_loop::AUCTIONS_EVERY);
    let engine = spawn_supervised(engine, Duration::from_secs(1));

    let state = http_state(args, &store, clock, &adapters)?
        .with_events(events)
        .with_account_catalogs(account_catalogs)
        .with_gift_actions(gift_actions)
        .with_config_listener(Arc::new(reload::PublishChanges(store.clone())));
    let metrics_feed = metrics::spawn(metered, state.metrics().clone());
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    println!(
        "GiftBuyer is listening on http://{local} ({})",
        adapters.market
    );

    let served = giftbuyer_http::serve(listener, state, shutdown).await;
    // Purchases and bids in flight finish and are journaled before the process ends.
    sniper.shutdown().await;
    bidder.shutdown().await;
    engine.shutdown().await;
    metrics_feed.abort();
    changes.abort();
    for task in &adapters.tasks {
        task.abort();
    }
    if let Some(stop) = adapters.stop {
        stop.await;
    }
    if let Err(error) = leadership.release().await {
        tracing::warn!(%error, "could not release the engine's leadership");
    }
    store.close().await;
    served.context("the server failed")?;
    println!("GiftBuyer stopped");
    Ok(())
}

/// The HTTP state with the store's ports and the market's adapters.
fn http_state(
    args: &ServeArgs,
    store: &Store,
    clock: Arc<dyn Clock>,
    adapters: &Adapters,
) -> anyhow::Result<AppState> {
    let http_config = HttpConfig {
        cookie_secure: args.secure_cookies,
        trust_proxy: args.trust_proxy,
        sticker_cache_dir: Some(
            args.gifts_cache_dir
                .clone()
                .unwrap_or_else(|| args.store.data_dir.join("stickers")),
        ),
        ..HttpConfig::default()
    };
    Ok(AppState::new(Arc::new(store.clone()), clock, http_config)
        .context("invalid server settings")?
        .with_run_journal(Arc::new(store.clone()))
        .with_bot_verifier(adapters.bot_verifier.clone())
        .with_login(adapters.login.clone())
        .with_connector(adapters.connector.clone())
        .with_account_states(Arc::new(store.clone()))
        .with_resale(Arc::new(store.clone()), Arc::new(store.clone()))
        .with_auctions(Arc::new(store.clone()), Arc::new(store.clone())))
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal that arrives just after the start banner still stops the
/// server gracefully instead of killing it.
pub(crate) fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        match signals {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot listen for Ctrl-C and SIGTERM");
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: finishing the requests and purchases in flight");
    }
}
