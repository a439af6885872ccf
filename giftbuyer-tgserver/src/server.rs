//! The server: one TCP listener per DC on loopback, the state they share (keys, sessions,
//! salts, faults, counters) and the DC list clients learn from `help.getConfig`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::backend::Backend;
use crate::connection;
use crate::faults::Faults;
use crate::keys::{KeyRing, KeyRingError};
use crate::session::{Salts, Sessions};

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The DC ids to serve, each on a port of its own.
    pub dcs: Vec<i32>,
    /// The address to listen on; loopback by default.
    pub ip: IpAddr,
    /// A port per DC, in the order of `dcs`; missing or 0 picks a free port.
    pub ports: Vec<u16>,
    /// The DC a fresh client is told is its home (`this_dc` of its first config).
    pub default_dc: i32,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            dcs: vec![1, 2, 3],
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: Vec::new(),
            default_dc: 2,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("no dc to serve")]
    NoDcs,
    #[error("dc {0} is listed twice")]
    DuplicateDc(i32),
    #[error("cannot listen for dc {dc} on {addr}: {source}")]
    Bind {
        dc: i32,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Keys(#[from] KeyRingError),
    #[error("the random source failed: {0}")]
    Random(getrandom::Error),
}

/// One DC as clients see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcAddress {
    pub id: i32,
    pub addr: SocketAddr,
}

/// Counters of what the protocol layer saw, for tests and the standalone command's summary.
#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub bad_msg_keys: AtomicU64,
    pub unknown_keys: AtomicU64,
    pub duplicates: AtomicU64,
    pub bad_salts: AtomicU64,
    pub bad_msgs: AtomicU64,
    pub plain_messages: AtomicU64,
    calls: Mutex<HashMap<u32, u64>>,
}

impl Stats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_call(&self, method: u32) {
        *self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(method)
            .or_default() += 1;
    }

    /// How many calls of a method (constructor id) reached the server, executed or not.
    pub fn calls(&self, method: u32) -> u64 {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&method)
            .copied()
            .unwrap_or(0)
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Everything a connection needs, shared by every listener.
pub(crate) struct Shared {
    pub dcs: Vec<DcAddress>,
    pub default_dc: i32,
    pub keys: KeyRing,
    pub sessions: Sessions,
    pub salts: Salts,
    pub faults: Faults,
    pub stats: Stats,
    pub backend: Arc<dyn Backend>,
    pub shutdown: watch::Receiver<bool>,
}

/// A running loopback Telegram.
pub struct TgServer {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl std::fmt::Debug for TgServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TgServer")
            .field("dcs", &self.shared.dcs)
            .finish_non_exhaustive()
    }
}

impl TgServer {
    /// Binds every DC's listener and starts accepting connections.
    pub async fn start(
        options: ServerOptions,
        keys: KeyRing,
        backend: Arc<dyn Backend>,
    ) -> Result<Self, ServerError> {
        if options.dcs.is_empty() {
            return Err(ServerError::NoDcs);
        }
        let mut listeners = Vec::new();
        let mut dcs = Vec::new();
        for (index, &dc) in options.dcs.iter().enumerate() {
            if dcs.iter().any(|known: &DcAddress| known.id == dc) {
                return Err(ServerError::DuplicateDc(dc));
            }
            let port = options.ports.get(index).copied().unwrap_or(0);
            let addr = SocketAddr::new(options.ip, port);
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| ServerError::Bind { dc, addr, source })?;
            let addr =
                listener
                    .local_addr()
                    .map_err(|source| ServerError::Bind { dc, addr, source })?;
            dcs.push(DcAddress { id: dc, addr });
            listeners.push((dc, listener));
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(ServerError::Random)?;
        let (stop, shutdown) = watch::channel(false);
        let default_dc = if options.dcs.contains(&options.default_dc) {
            options.default_dc
        } else {
            options.dcs[0]
        };
        let shared = Arc::new(Shared {
            dcs,
            default_dc,
            keys,
            sessions: Sessions::default(),
            salts: Salts::new(secret),
            faults: Faults::default(),
            stats: Stats::default(),
            backend,
            shutdown,
        });
        let mut tasks = JoinSet::new();
        for (dc, listener) in listeners {
            tasks.spawn(accept_loop(dc, listener, Arc::clone(&shared)));
        }
        Ok(Self {
            shared,
            stop,
            tasks,
        })
    }

    /// The DCs with the addresses they listen on.
    pub fn dcs(&self) -> &[DcAddress] {
        &self.shared.dcs
    }

    pub fn keys(&self) -> &KeyRing {
        &self.shared.keys
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// Mints one fresh key per DC for a new client session: what `auth_key` generation would
    /// give a client on Telegram.
    pub fn mint_session_keys(&self) -> Result<Vec<(DcAddress, crate::AuthKey)>, KeyRingError> {
        self.shared
            .dcs
            .iter()
            .map(|dc| Ok((*dc, self.shared.keys.mint(dc.id)?)))
            .collect()
    }

    /// A handle that mints keys for new client sessions, for as long as the server runs.
    pub fn key_issuer(&self) -> crate::client::KeyIssuer {
        crate::client::KeyIssuer::new(
            self.shared.dcs.clone(),
            self.shared.default_dc,
            self.shared.keys.clone(),
        )
    }

    /// Ends the authorization of every key `user` is logged in on, and forgets their sessions.
    pub fn revoke_user(&self, user: i64) -> Result<usize, KeyRingError> {
        for key in self.shared.keys.keys_of(user) {
            self.shared.sessions.drop_key(key);
        }
        self.shared.keys.revoke_user(user)
    }

    /// Stops accepting, closes every connection and waits for the listeners to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn accept_loop(dc: i32, listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    Stats::bump(&shared.stats.connections);
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection::serve(dc, stream, peer, Arc::clone(&shared)));
                }
                Err(error) => tracing::warn!(dc, %error, "accepting a connection failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}
