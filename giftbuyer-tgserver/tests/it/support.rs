//! Shared helpers: a server on free loopback ports and grammers sessions that know its keys.

use std::collections::HashMap;
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use giftbuyer_tgserver::{Backend, DcAddress, KeyRing, NoMethods, ServerOptions, TgServer};
use grammers_session::SessionData;
use grammers_session::storages::MemorySession;
use grammers_session::types::DcOption;

pub(crate) async fn server_with(backend: Arc<dyn Backend>) -> TgServer {
    TgServer::start(ServerOptions::default(), KeyRing::in_memory(), backend)
        .await
        .expect("server starts")
}

pub(crate) async fn bare_server() -> TgServer {
    server_with(Arc::new(NoMethods)).await
}

fn v4(addr: SocketAddr) -> SocketAddrV4 {
    match addr {
        SocketAddr::V4(v4) => v4,
        SocketAddr::V6(_) => panic!("the test server listens on IPv4"),
    }
}

/// grammers session data pointing at the server's DCs, with a fresh pre-shared key for each.
pub(crate) fn session_data(server: &TgServer, home_dc: i32) -> SessionData {
    let keys = server.mint_session_keys().expect("keys mint");
    let mut dc_options = HashMap::new();
    for (DcAddress { id, addr }, key) in keys {
        let ipv4 = v4(addr);
        dc_options.insert(
            id,
            DcOption {
                id,
                ipv4,
                ipv6: SocketAddrV6::new(ipv4.ip().to_ipv6_mapped(), ipv4.port(), 0, 0),
                auth_key: Some(key.to_bytes()),
            },
        );
    }
    SessionData {
        home_dc,
        dc_options,
        ..SessionData::default()
    }
}

pub(crate) fn memory_session(server: &TgServer, home_dc: i32) -> Arc<MemorySession> {
    Arc::new(MemorySession::from(session_data(server, home_dc)))
}

/// A market with no latency (the wire is what is measured here), for the tests' accounts.
pub(crate) fn instant_market(mut config: giftbuyer_sim::MarketConfig) -> giftbuyer_sim::Market {
    config.latency = giftbuyer_sim::LatencyConfig {
        base: giftbuyer_sim::Latency::new(std::time::Duration::ZERO, std::time::Duration::ZERO),
        ..giftbuyer_sim::LatencyConfig::default()
    };
    giftbuyer_sim::Market::new(config, Arc::new(giftbuyer_engine::TokioClock::system()))
        .expect("market")
}

/// A server answering from `market`.
pub(crate) async fn market_server(market: &giftbuyer_sim::Market) -> TgServer {
    let backend =
        giftbuyer_tgserver::MarketBackend::new(market.clone(), ServerOptions::default().dcs);
    server_with(Arc::new(backend)).await
}

/// GiftBuyer's own session type, as the store would hand it to the adapter, for `user`
/// already logged in on `home_dc` (its key is bound on the server, as a login binds it).
pub(crate) fn adapter_session(
    server: &TgServer,
    user: i64,
    home_dc: i32,
) -> Arc<giftbuyer_telegram::session::StoredSession> {
    let data = session_data(server, home_dc);
    let home_key = data.dc_options[&home_dc]
        .auth_key
        .expect("a key for the home dc");
    let key_id = giftbuyer_tgserver::AuthKey::from_bytes(home_key).id();
    server.keys().authorize(key_id, user).expect("binds");
    let stored = giftbuyer_core::ports::MtprotoSession {
        home_dc,
        data: giftbuyer_core::ports::Secret::new(giftbuyer_telegram::session::encode(
            &data,
            Some(user),
        )),
    };
    Arc::new(
        giftbuyer_telegram::session::StoredSession::load(
            &stored,
            Arc::new(giftbuyer_telegram::session::DiscardSink),
        )
        .expect("loads"),
    )
}

/// The real adapter (`MtprotoAccount` over grammers' sender) for `user` on the server.
pub(crate) fn adapter_account(
    server: &TgServer,
    user: i64,
    home_dc: i32,
) -> giftbuyer_telegram::account::MtprotoAccount {
    use giftbuyer_telegram::transport::InvokerFactory;
    let session = adapter_session(server, user, home_dc);
    let invoker = giftbuyer_telegram::transport::GrammersFactory::default()
        .connect(Arc::clone(&session), 4)
        .expect("connects");
    giftbuyer_telegram::account::MtprotoAccount::new(
        giftbuyer_core::AccountId::new(user).expect("account id"),
        invoker,
        session,
        giftbuyer_telegram::account::AccountConfig::default(),
    )
}

/// grammers' own sender on `session`, with no retries and its updates drained, for tests that
/// send requests the adapter never would.
pub(crate) fn raw_pool(session: Arc<MemorySession>) -> grammers_mtsender::SenderPoolFatHandle {
    let params = grammers_mtsender::ConnectionParams {
        retry_policy: Box::new(grammers_mtsender::NoRetries),
        ..grammers_mtsender::ConnectionParams::default()
    };
    let grammers_mtsender::SenderPool {
        runner,
        handle,
        mut updates,
    } = grammers_mtsender::SenderPool::with_configuration(session, 4, params);
    tokio::spawn(runner.run());
    tokio::spawn(async move { while updates.recv().await.is_some() {} });
    handle
}
