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
