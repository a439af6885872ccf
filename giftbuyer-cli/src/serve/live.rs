//! `giftbuyer serve` on real Telegram: the MTProto connector (one leased connection per
//! account, leases renewed in the background and released on stop), the phone/code/password
//! login, and bot tokens checked with the Bot API's `getMe`.

use std::sync::Arc;
use std::time::Duration;

use std::path::Path;

use anyhow::Context as _;
use giftbuyer_core::ports::Clock;
use giftbuyer_store::Store;
use giftbuyer_telegram::bot_api::BotApiConfig;
use giftbuyer_telegram::connector::{ConnectorConfig, TelegramConnector};
use giftbuyer_telegram::dc_override::{DcOverride, KeysFile};
use giftbuyer_telegram::login::{LoginConfig, LoginFlow};
use giftbuyer_telegram::login_port::TelegramLoginPort;
use giftbuyer_telegram::transport::{GrammersFactory, InvokerFactory};

use super::Adapters;
use super::bot_verifier::BotApiVerifier;

/// How often expired logins are forgotten (and their connections closed).
const LOGIN_PURGE_EVERY: Duration = Duration::from_secs(60);

pub(super) fn adapters(
    store: &Store,
    clock: &Arc<dyn Clock>,
    dc_override: Option<Arc<dyn DcOverride>>,
) -> Adapters {
    let factory: Arc<dyn InvokerFactory> = Arc::new(GrammersFactory::default());
    let config = ConnectorConfig::new(holder());
    let renew_every = config.lease_ttl / 3;
    let connector = Arc::new(TelegramConnector::new(
        Arc::new(store.clone()),
        clock.clone(),
        factory.clone(),
        config,
    ));
    let renewal = connector.spawn_lease_renewal(renew_every);
    let mut flow = LoginFlow::new(factory, LoginConfig::default());
    let market = match dc_override {
        Some(dc_override) => {
            flow = flow.with_dc_override(dc_override);
            "a loopback Telegram (--telegram-dc-override)"
        }
        None => "real Telegram",
    };
    let login = TelegramLoginPort::new(flow);
    let purge = login.spawn_purge(LOGIN_PURGE_EVERY);
    let stopping = connector.clone();
    Adapters {
        connector,
        login: Arc::new(login),
        bot_verifier: Arc::new(BotApiVerifier::new(BotApiConfig::default())),
        market: market.to_owned(),
        tasks: vec![renewal, purge],
        stop: Some(Box::pin(async move { stopping.shutdown().await })),
    }
}

/// The keys file of a loopback Telegram, accepted only for a database whose every stored
/// session is already on loopback DCs: one real Telegram account in it means this is no test
/// database, and sending its logins elsewhere would be an accident.
pub(super) async fn dc_override(store: &Store, path: &Path) -> anyhow::Result<Arc<dyn DcOverride>> {
    let accounts = super::stored::stored_accounts(store)
        .await
        .context("cannot check the accounts before the dc override")?;
    for account in accounts {
        // An account without a session (revoked) has nothing a new login could be confused with.
        let on_loopback = account.session.is_none_or(|session| {
            giftbuyer_telegram::session::decode(session.data.expose()).is_ok_and(|(data, _)| {
                data.dc_options
                    .values()
                    .all(|dc| dc.ipv4.ip().is_loopback())
            })
        });
        if !on_loopback {
            anyhow::bail!(
                "refusing --telegram-dc-override: account {} has a session that is not on a loopback Telegram (a real Telegram or demo account), so this database is not a test database for it",
                account.id
            );
        }
    }
    let keys = KeysFile::open(path).context("cannot use the dc override")?;
    tracing::warn!(file = %path.display(), "new logins go to a loopback Telegram, not to Telegram");
    Ok(Arc::new(keys))
}

/// This instance's name in account leases: the host, the process and its start time, so that
/// two instances (or a restarted one) never share a name.
fn holder() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "giftbuyer".to_owned());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    format!("{host}:{}:{started}", std::process::id())
}
