//! `giftbuyer serve` on real Telegram: the MTProto connector (one leased connection per
//! account, leases renewed in the background and released on stop), the phone/code/password
//! login, and bot tokens checked with the Bot API's `getMe`.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::Clock;
use giftbuyer_store::Store;
use giftbuyer_telegram::bot_api::BotApiConfig;
use giftbuyer_telegram::connector::{ConnectorConfig, TelegramConnector};
use giftbuyer_telegram::login::{LoginConfig, LoginFlow};
use giftbuyer_telegram::login_port::TelegramLoginPort;
use giftbuyer_telegram::transport::{GrammersFactory, InvokerFactory};

use super::Adapters;
use super::bot_verifier::BotApiVerifier;

/// How often expired logins are forgotten (and their connections closed).
const LOGIN_PURGE_EVERY: Duration = Duration::from_secs(60);

pub(super) fn adapters(store: &Store, clock: &Arc<dyn Clock>) -> Adapters {
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
    let login = TelegramLoginPort::new(LoginFlow::new(factory, LoginConfig::default()));
    let purge = login.spawn_purge(LOGIN_PURGE_EVERY);
    let stopping = connector.clone();
    Adapters {
        connector,
        login: Arc::new(login),
        bot_verifier: Arc::new(BotApiVerifier::new(BotApiConfig::default())),
        market: "real Telegram".to_owned(),
        tasks: vec![renewal, purge],
        stop: Some(Box::pin(async move { stopping.shutdown().await })),
    }
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
