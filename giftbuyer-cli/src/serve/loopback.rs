//! `giftbuyer serve --demo --demo-mtproto`: the demo market behind a loopback Telegram
//! (`giftbuyer-tgserver`) started in process, and the live composition in front of it: the
//! MTProto connector, the login flow and grammers, exactly as on real Telegram. Only the bot
//! stays simulated, since the Bot API is not MTProto.
//!
//! The server's keys and ports live in the data directory, so a restarted demo finds its
//! accounts logged in: their sessions point at the same ports with keys the server still knows.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{
    BotError, Clock, Connector, EngineStore as _, LoginId, LoginProgress, LoginStart,
    NotificationBot, Secret, TelegramAccount, TelegramError, TelegramLogin, UserId,
};
use giftbuyer_sim::{BotConfig, Market, SimBot};
use giftbuyer_store::Store;
use giftbuyer_telegram::connector::{ConnectorConfig, TelegramConnector};
use giftbuyer_telegram::login::{LoginConfig, LoginFlow};
use giftbuyer_telegram::login_port::TelegramLoginPort;
use giftbuyer_telegram::transport::{GrammersFactory, InvokerFactory};
use giftbuyer_tgserver::{KeyRing, MarketBackend, ServerOptions, TgServer};

use super::Adapters;

/// The key ring of the in-process server (0600), in the data directory.
const KEYS_FILE: &str = "loopback-telegram-keys.json";
/// The ports it listened on, so a restart listens on them again.
const PORTS_FILE: &str = "loopback-telegram-ports.json";
/// The API profile a demo login uses when the user has none: the loopback server accepts any.
const DEMO_API_ID: i32 = 1;
const DEMO_API_HASH: &str = "00000000000000000000000000000000";

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Ports {
    ports: Vec<u16>,
}

/// Starts the loopback Telegram on the ports of the last run when they are free, on free ones
/// otherwise (accounts logged in before then need a new login).
async fn start_server(
    backend: Arc<MarketBackend>,
    keys: KeyRing,
    data_dir: &Path,
) -> anyhow::Result<TgServer> {
    let ports_file = data_dir.join(PORTS_FILE);
    let previous = std::fs::read(&ports_file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Ports>(&bytes).ok())
        .map(|saved| saved.ports);
    let defaults = ServerOptions::default();
    let server = match previous {
        Some(ports) => {
            let options = ServerOptions {
                ports,
                ..ServerOptions::default()
            };
            match TgServer::start(options, keys.clone(), backend.clone()).await {
                Ok(server) => server,
                Err(error) => {
                    tracing::warn!(%error, "the loopback telegram's ports are taken; earlier demo logins will need a new login");
                    TgServer::start(defaults, keys, backend).await?
                }
            }
        }
        None => TgServer::start(defaults, keys, backend).await?,
    };
    let ports = Ports {
        ports: server.dcs().iter().map(|dc| dc.addr.port()).collect(),
    };
    let text = serde_json::to_vec(&ports).context("cannot encode the loopback telegram's ports")?;
    std::fs::write(&ports_file, text)
        .with_context(|| format!("cannot save {}", ports_file.display()))?;
    for dc in server.dcs() {
        tracing::info!(dc = dc.id, addr = %dc.addr, "loopback telegram dc listening");
    }
    Ok(server)
}

pub(super) async fn adapters(
    market: Market,
    clock: &Arc<dyn Clock>,
    store: &Store,
    data_dir: &Path,
    drop_every_secs: u64,
) -> anyhow::Result<Adapters> {
    let keys = KeyRing::open(data_dir.join(KEYS_FILE))
        .context("cannot open the loopback telegram's keys")?;
    // The secret kept with the keys keeps access hashes stable across restarts: the sessions
    // in the store cached them.
    let backend = Arc::new(MarketBackend::with_secret(
        market.clone(),
        ServerOptions::default().dcs,
        keys.server_secret(),
    ));
    let server = start_server(backend.clone(), keys, data_dir).await?;
    let channels = follow_channels(store, backend).await?;
    let factory: Arc<dyn InvokerFactory> = Arc::new(GrammersFactory::default());
    // One name for every start: the demo is one instance (its SQLite file lock sees to it), so
    // the leases a killed run left behind are its own and need not run out first.
    let config = ConnectorConfig::new("giftbuyer-demo-mtproto");
    let renew_every = config.lease_ttl / 3;
    let accounts = Arc::new(TelegramConnector::new(
        Arc::new(store.clone()),
        clock.clone(),
        factory.clone(),
        config,
    ));
    let renewal = accounts.spawn_lease_renewal(renew_every);
    let flow = LoginFlow::new(factory, LoginConfig::default())
        .with_dc_override(Arc::new(server.key_issuer()));
    let port = TelegramLoginPort::new(flow);
    let purge = port.spawn_purge(Duration::from_secs(60));
    let bot = SimBot::new(clock.clone(), BotConfig::default());
    let dcs: Vec<String> = server.dcs().iter().map(|dc| dc.addr.to_string()).collect();
    let stopping = accounts.clone();
    Ok(Adapters {
        connector: Arc::new(LoopbackConnector { accounts, bot }),
        login: Arc::new(DemoCodes { port, market }),
        bot_verifier: Arc::new(super::demo::DemoBotVerifier),
        market: format!(
            "demo market over MTProto at {}: a drop every {drop_every_secs} s",
            dcs.join(", ")
        ),
        tasks: vec![renewal, purge, channels],
        stop: Some(Box::pin(async move {
            stopping.shutdown().await;
            server.shutdown().await;
        })),
    })
}

/// Makes every channel a panel user added known to the loopback Telegram, at start and after
/// each change the panel announces: demo accounts may post in any channel, and on MTProto they
/// find their channels in their dialogs, which list the channels the server knows.
async fn follow_channels(
    store: &Store,
    backend: Arc<MarketBackend>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    async fn announce(store: &Store, backend: &MarketBackend) {
        match store.users().await {
            Ok(users) => {
                for target in users.iter().flat_map(|user| &user.targets) {
                    if let Some(channel) = target.recipient.channel() {
                        backend.add_channel(channel, target.title.clone());
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the channels for the loopback telegram")
            }
        }
    }
    let mut events = store
        .subscribe()
        .await
        .context("cannot follow the panel's changes")?;
    announce(store, &backend).await;
    let store = store.clone();
    Ok(tokio::spawn(async move {
        // Any event, or a missed one, may be a new channel; reading them again is cheap.
        while events.next().await.is_some() {
            announce(&store, &backend).await;
        }
    }))
}

/// Accounts over MTProto, the bot simulated.
struct LoopbackConnector {
    accounts: Arc<TelegramConnector>,
    bot: SimBot,
}

#[async_trait]
impl Connector for LoopbackConnector {
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError> {
        self.accounts.account(id).await
    }

    async fn bot(&self, _user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError> {
        Ok(Some(Arc::new(self.bot.clone())))
    }
}

/// The real login port, with what a demo adds: an API profile when the user has none (the
/// loopback server accepts any), and the code the market sent, shown in the panel as on
/// `--demo`. The code still travels the real way: the panel sends it back through
/// `auth.signIn`.
struct DemoCodes {
    port: TelegramLoginPort,
    market: Market,
}

#[async_trait]
impl TelegramLogin for DemoCodes {
    async fn start(
        &self,
        mut request: LoginStart,
    ) -> Result<LoginProgress, giftbuyer_core::ports::LoginError> {
        let digits: String = request
            .phone
            .expose()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        request
            .api
            .get_or_insert_with(|| giftbuyer_core::ports::ApiCredentials {
                api_id: DEMO_API_ID,
                api_hash: Secret::new(DEMO_API_HASH.to_owned()),
            });
        let progress = self.port.start(request).await?;
        Ok(match progress {
            LoginProgress::CodeSent {
                login,
                masked_phone,
                expires_in,
                demo_code: None,
            } => {
                let demo_code = self.market.last_code(&format!("+{digits}"));
                if let Some(code) = &demo_code {
                    tracing::info!(phone = masked_phone, code, "demo login code sent");
                }
                LoginProgress::CodeSent {
                    login,
                    masked_phone,
                    expires_in,
                    demo_code,
                }
            }
            other => other,
        })
    }

    async fn submit_code(
        &self,
        user: UserId,
        login: &LoginId,
        code: Secret<String>,
    ) -> Result<LoginProgress, giftbuyer_core::ports::LoginError> {
        self.port.submit_code(user, login, code).await
    }

    async fn submit_password(
        &self,
        user: UserId,
        login: &LoginId,
        password: Secret<String>,
    ) -> Result<LoginProgress, giftbuyer_core::ports::LoginError> {
        self.port.submit_password(user, login, password).await
    }

    async fn cancel(&self, user: UserId, login: &LoginId) -> bool {
        self.port.cancel(user, login).await
    }
}
