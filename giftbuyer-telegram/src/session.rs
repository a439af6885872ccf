//! grammers' `Session` over the store: an in-memory cache of everything grammers keeps (home
//! DC, DC options with their auth keys, the peer cache with access hashes), written through to
//! a [`SessionSink`] as one opaque blob after each change. The store encrypts the blob
//! (`SessionVault::save_session`); this module never sees a key or a file.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use giftbuyer_core::ports::{AccountRowId, Clock, MtprotoSession, Secret, SessionVault, UserId};
use grammers_session::types::{
    ChannelKind, ChannelState, DcOption, PeerAuth, PeerId, PeerInfo, UpdateState, UpdatesState,
};
// grammers' `Session` trait dictates its methods' signature: each returns grammers' own boxed
// future, so that trait's implementation below keeps `BoxFuture` instead of `#[async_trait]`.
use grammers_session::{BoxFuture, Session, SessionData};
use grammers_tl_types::{Cursor, Deserializable, Serializable};

/// Why a session could not be read or saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the stored session is unreadable: {0}")]
    Corrupt(&'static str),
    #[error("the stored session has format version {0}, this build reads version 1")]
    UnknownVersion(u32),
    #[error("the session could not be saved: {0}")]
    Save(String),
}

/// Where a session's blob goes after each change.
#[async_trait]
pub trait SessionSink: Send + Sync + 'static {
    async fn persist(&self, session: MtprotoSession) -> Result<(), SessionError>;
}

/// The sink that saves into the store's [`SessionVault`] for one account.
pub struct VaultSink {
    vault: Arc<dyn SessionVault>,
    clock: Arc<dyn Clock>,
    user: UserId,
    account: AccountRowId,
}

impl VaultSink {
    pub fn new(
        vault: Arc<dyn SessionVault>,
        clock: Arc<dyn Clock>,
        user: UserId,
        account: AccountRowId,
    ) -> Self {
        Self {
            vault,
            clock,
            user,
            account,
        }
    }
}

impl fmt::Debug for VaultSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultSink")
            .field("user", &self.user)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SessionSink for VaultSink {
    async fn persist(&self, session: MtprotoSession) -> Result<(), SessionError> {
        let now = self.clock.unix_now();
        self.vault
            .save_session(self.user, self.account, &session, now)
            .await
            .map_err(|error| SessionError::Save(error.to_string()))
    }
}

/// A sink that keeps nothing, for a login that is not yet tied to a stored account, or tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiscardSink;

#[async_trait]
impl SessionSink for DiscardSink {
    async fn persist(&self, _session: MtprotoSession) -> Result<(), SessionError> {
        Ok(())
    }
}

/// The cached state, with a version counted up on each change.
struct Cache {
    data: SessionData,
    /// The logged-in user's id, so that `peer(PeerId::self_user())` finds it.
    self_user: Option<i64>,
    version: u64,
}

/// grammers' `Session`, cached in memory and written through to a [`SessionSink`].
///
/// Reads never wait on the store. Each change bumps a version; the write that follows takes
/// the latest state under a lock, so saves go out in order and a burst of changes (a page of
/// dialogs caching a hundred peers) collapses into few writes. A save that fails is returned
/// to grammers as the session error of the call that caused it.
///
/// Update state changes other than a full reset are kept in memory only: GiftBuyer drops
/// updates, so persisting every `pts` would cost a write per update for nothing.
pub struct StoredSession {
    cache: Mutex<Cache>,
    saved: tokio::sync::Mutex<u64>,
    sink: Arc<dyn SessionSink>,
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession").finish_non_exhaustive()
    }
}

impl StoredSession {
    /// A fresh session: grammers' default DCs, no auth key, no peers.
    pub fn new(sink: Arc<dyn SessionSink>) -> Self {
        Self::from_parts(SessionData::default(), None, sink)
    }

    /// A fresh session on a local Telegram's DCs with its pre-shared keys (see
    /// [`crate::dc_override`]).
    pub fn seeded(seed: &crate::dc_override::DcSeed, sink: Arc<dyn SessionSink>) -> Self {
        Self::from_parts(seed.session_data(), None, sink)
    }

    /// The session from its stored blob.
    pub fn load(stored: &MtprotoSession, sink: Arc<dyn SessionSink>) -> Result<Self, SessionError> {
        let (data, self_user) = decode(stored.data.expose())?;
        Ok(Self::from_parts(data, self_user, sink))
    }

    fn from_parts(data: SessionData, self_user: Option<i64>, sink: Arc<dyn SessionSink>) -> Self {
        Self {
            cache: Mutex::new(Cache {
                data,
                self_user,
                version: 0,
            }),
            saved: tokio::sync::Mutex::new(0),
            sink,
        }
    }

    /// The blob as it would be stored now.
    pub fn snapshot(&self) -> MtprotoSession {
        let cache = self.lock();
        MtprotoSession {
            home_dc: cache.data.home_dc,
            data: Secret::new(encode(&cache.data, cache.self_user)),
        }
    }

    /// Whether a user is logged in on this session (its self user is known).
    pub fn is_logged_in(&self) -> bool {
        self.lock().self_user.is_some()
    }

    /// The access hash cached for a channel (by MTProto id), if the account has seen it.
    pub fn channel_access_hash(&self, channel_id: i64) -> Option<i64> {
        match self
            .lock()
            .data
            .peer_infos
            .get(&PeerId::channel(channel_id)?)
        {
            Some(PeerInfo::Channel { auth, .. }) => auth.map(PeerAuth::hash),
            _ => None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        // The cache holds plain data; a panic elsewhere cannot leave it half-written.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies a change; when it changed something, saves the latest state.
    async fn change(&self, apply: impl FnOnce(&mut Cache) -> bool) -> Result<(), SessionError> {
        let changed = {
            let mut cache = self.lock();
            let changed = apply(&mut cache);
            if changed {
                cache.version += 1;
            }
            changed
        };
        if changed { self.save().await } else { Ok(()) }
    }

    async fn save(&self) -> Result<(), SessionError> {
        let mut saved = self.saved.lock().await;
        let (version, session) = {
            let cache = self.lock();
            if cache.version <= *saved {
                return Ok(());
            }
            (
                cache.version,
                MtprotoSession {
                    home_dc: cache.data.home_dc,
                    data: Secret::new(encode(&cache.data, cache.self_user)),
                },
            )
        };
        self.sink.persist(session).await?;
        *saved = version;
        Ok(())
    }
}

fn cache_peer(cache: &mut Cache, peer: PeerInfo) -> bool {
    if let PeerInfo::User {
        id,
        is_self: Some(true),
        ..
    } = peer
    {
        cache.self_user = Some(id);
    }
    match cache.data.peer_infos.get_mut(&peer.id()) {
        Some(known) => {
            let before = known.clone();
            known.extend_info(&peer);
            *known != before
        }
        None => {
            cache.data.peer_infos.insert(peer.id(), peer);
            true
        }
    }
}

impl Session for StoredSession {
    type Error = SessionError;

    fn home_dc_id(&self) -> Result<i32, SessionError> {
        Ok(self.lock().data.home_dc)
    }

    fn set_home_dc_id(&self, dc_id: i32) -> BoxFuture<'_, Result<(), SessionError>> {
        Box::pin(
            self.change(move |cache| std::mem::replace(&mut cache.data.home_dc, dc_id) != dc_id),
        )
    }

    fn dc_option(&self, dc_id: i32) -> Result<Option<DcOption>, SessionError> {
        Ok(self.lock().data.dc_options.get(&dc_id).cloned())
    }

    fn set_dc_option(&self, dc_option: &DcOption) -> BoxFuture<'_, Result<(), SessionError>> {
        let dc_option = dc_option.clone();
        Box::pin(self.change(move |cache| {
            cache
                .data
                .dc_options
                .insert(dc_option.id, dc_option.clone())
                != Some(dc_option)
        }))
    }

    fn peer(&self, peer: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, SessionError>> {
        Box::pin(async move {
            let cache = self.lock();
            let peer = if peer == PeerId::self_user() {
                match cache.self_user.and_then(PeerId::user) {
                    Some(id) => id,
                    None => return Ok(None),
                }
            } else {
                peer
            };
            Ok(cache.data.peer_infos.get(&peer).cloned())
        })
    }

    fn cache_peer(&self, peer: PeerInfo) -> BoxFuture<'_, Result<(), SessionError>> {
        Box::pin(self.change(move |cache| cache_peer(cache, peer)))
    }

    fn cache_peers(&self, peers: Vec<PeerInfo>) -> BoxFuture<'_, Result<(), SessionError>> {
        Box::pin(self.change(move |cache| {
            peers
                .into_iter()
                .fold(false, |changed, peer| cache_peer(cache, peer) | changed)
        }))
    }

    fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, SessionError>> {
        Box::pin(async move { Ok(self.lock().data.updates_state.clone()) })
    }

    fn set_update_state(&self, update: UpdateState) -> BoxFuture<'_, Result<(), SessionError>> {
        Box::pin(async move {
            let persist = matches!(update, UpdateState::All(_));
            {
                let mut cache = self.lock();
                let state = &mut cache.data.updates_state;
                match update {
                    UpdateState::All(all) => *state = all,
                    UpdateState::Primary { pts, date, seq } => {
                        state.pts = pts;
                        state.date = date;
                        state.seq = seq;
                    }
                    UpdateState::Secondary { qts } => state.qts = qts,
                    UpdateState::Channel { id, pts } => {
                        state.channels.retain(|channel| channel.id != id);
                        state.channels.push(ChannelState { id, pts });
                    }
                }
                if persist {
                    cache.version += 1;
                }
            }
            if persist { self.save().await } else { Ok(()) }
        })
    }
}

/// The blob's first four bytes and its format version.
const MAGIC: &[u8; 4] = b"GBMS";
const VERSION: u32 = 1;

/// Encodes the session in a small versioned binary format built from TL primitives
/// (little-endian integers, length-prefixed byte strings). Peers and DCs are written in id
/// order so that equal sessions give equal blobs.
pub fn encode(data: &SessionData, self_user: Option<i64>) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    VERSION.serialize(&mut out);
    data.home_dc.serialize(&mut out);
    self_user.unwrap_or(0).serialize(&mut out);

    let mut dcs: Vec<_> = data.dc_options.values().collect();
    dcs.sort_by_key(|dc| dc.id);
    len(dcs.len()).serialize(&mut out);
    for dc in dcs {
        dc.id.serialize(&mut out);
        out.extend(dc.ipv4.ip().octets());
        u32::from(dc.ipv4.port()).serialize(&mut out);
        out.extend(dc.ipv6.ip().octets());
        u32::from(dc.ipv6.port()).serialize(&mut out);
        match &dc.auth_key {
            Some(key) => {
                1u32.serialize(&mut out);
                out.extend(key);
            }
            None => 0u32.serialize(&mut out),
        }
    }

    let mut peers: Vec<_> = data.peer_infos.values().collect();
    peers.sort_by_key(|peer| peer.id().bot_api_dialog_id_unchecked());
    len(peers.len()).serialize(&mut out);
    for peer in peers {
        match peer {
            PeerInfo::User {
                id,
                auth,
                bot,
                is_self,
            } => {
                0u32.serialize(&mut out);
                id.serialize(&mut out);
                encode_auth(*auth, &mut out);
                encode_flag(*bot, &mut out);
                encode_flag(*is_self, &mut out);
            }
            PeerInfo::Chat { id } => {
                1u32.serialize(&mut out);
                id.serialize(&mut out);
            }
            PeerInfo::Channel { id, auth, kind } => {
                2u32.serialize(&mut out);
                id.serialize(&mut out);
                encode_auth(*auth, &mut out);
                let kind: u32 = match kind {
                    None => 0,
                    Some(ChannelKind::Broadcast) => 1,
                    Some(ChannelKind::Megagroup) => 2,
                    Some(ChannelKind::Gigagroup) => 3,
                    Some(ChannelKind::Community) => 4,
                };
                kind.serialize(&mut out);
            }
        }
    }

    let state = &data.updates_state;
    for value in [state.pts, state.qts, state.date, state.seq] {
        value.serialize(&mut out);
    }
    len(state.channels.len()).serialize(&mut out);
    for channel in &state.channels {
        channel.id.serialize(&mut out);
        channel.pts.serialize(&mut out);
    }
    out
}

/// Decodes a blob written by [`encode`].
pub fn decode(blob: &[u8]) -> Result<(SessionData, Option<i64>), SessionError> {
    let magic = blob.get(..4).ok_or(SessionError::Corrupt("too short"))?;
    if magic != MAGIC {
        return Err(SessionError::Corrupt("not a giftbuyer session"));
    }
    let mut cursor = Cursor::from_slice(&blob[4..]);
    let reader = &mut cursor;
    let version = read::<u32>(reader)?;
    if version != VERSION {
        return Err(SessionError::UnknownVersion(version));
    }
    let home_dc = read::<i32>(reader)?;
    let self_user = Some(read::<i64>(reader)?).filter(|&id| id != 0);

    let mut dc_options = HashMap::new();
    for _ in 0..read::<u32>(reader)? {
        let id = read::<i32>(reader)?;
        let ipv4 = SocketAddrV4::new(Ipv4Addr::from(read_array::<4>(reader)?), read_port(reader)?);
        let ipv6 = SocketAddrV6::new(
            Ipv6Addr::from(read_array::<16>(reader)?),
            read_port(reader)?,
            0,
            0,
        );
        let auth_key = match read::<u32>(reader)? {
            0 => None,
            1 => Some(read_array::<256>(reader)?),
            _ => return Err(SessionError::Corrupt("bad auth key marker")),
        };
        dc_options.insert(
            id,
            DcOption {
                id,
                ipv4,
                ipv6,
                auth_key,
            },
        );
    }

    let mut peer_infos = HashMap::new();
    for _ in 0..read::<u32>(reader)? {
        let peer = match read::<u32>(reader)? {
            0 => PeerInfo::User {
                id: read_positive(reader)?,
                auth: decode_auth(reader)?,
                bot: decode_flag(reader)?,
                is_self: decode_flag(reader)?,
            },
            1 => PeerInfo::Chat {
                id: read_positive(reader)?,
            },
            2 => PeerInfo::Channel {
                id: read_positive(reader)?,
                auth: decode_auth(reader)?,
                kind: match read::<u32>(reader)? {
                    0 => None,
                    1 => Some(ChannelKind::Broadcast),
                    2 => Some(ChannelKind::Megagroup),
                    3 => Some(ChannelKind::Gigagroup),
                    4 => Some(ChannelKind::Community),
                    _ => return Err(SessionError::Corrupt("bad channel kind")),
                },
            },
            _ => return Err(SessionError::Corrupt("bad peer kind")),
        };
        peer_infos.insert(peer.id(), peer);
    }

    let mut updates_state = UpdatesState {
        pts: read(reader)?,
        qts: read(reader)?,
        date: read(reader)?,
        seq: read(reader)?,
        channels: Vec::new(),
    };
    for _ in 0..read::<u32>(reader)? {
        updates_state.channels.push(ChannelState {
            id: read(reader)?,
            pts: read(reader)?,
        });
    }
    if reader.pos() + 4 != blob.len() {
        return Err(SessionError::Corrupt("trailing bytes"));
    }
    Ok((
        SessionData {
            home_dc,
            dc_options,
            peer_infos,
            updates_state,
        },
        self_user,
    ))
}

/// A collection length as the format stores it. Sessions hold a few DCs and at most some
/// thousands of peers, far below `u32::MAX`.
fn len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn encode_auth(auth: Option<PeerAuth>, out: &mut Vec<u8>) {
    match auth {
        Some(auth) => {
            1u32.serialize(out);
            auth.hash().serialize(out);
        }
        None => 0u32.serialize(out),
    }
}

fn decode_auth(reader: &mut Cursor<'_>) -> Result<Option<PeerAuth>, SessionError> {
    match read::<u32>(reader)? {
        0 => Ok(None),
        1 => Ok(Some(PeerAuth::from_hash(read(reader)?))),
        _ => Err(SessionError::Corrupt("bad access hash marker")),
    }
}

fn encode_flag(flag: Option<bool>, out: &mut Vec<u8>) {
    let value: u32 = match flag {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    };
    value.serialize(out);
}

fn decode_flag(reader: &mut Cursor<'_>) -> Result<Option<bool>, SessionError> {
    match read::<u32>(reader)? {
        0 => Ok(None),
        1 => Ok(Some(false)),
        2 => Ok(Some(true)),
        _ => Err(SessionError::Corrupt("bad flag")),
    }
}

fn read<T: Deserializable>(reader: &mut Cursor<'_>) -> Result<T, SessionError> {
    T::deserialize(reader).map_err(|_| SessionError::Corrupt("truncated"))
}

fn read_positive(reader: &mut Cursor<'_>) -> Result<i64, SessionError> {
    Some(read::<i64>(reader)?)
        .filter(|&id| id > 0)
        .ok_or(SessionError::Corrupt("peer id not positive"))
}

fn read_port(reader: &mut Cursor<'_>) -> Result<u16, SessionError> {
    u16::try_from(read::<u32>(reader)?).map_err(|_| SessionError::Corrupt("bad port"))
}

fn read_array<const N: usize>(reader: &mut Cursor<'_>) -> Result<[u8; N], SessionError> {
    let mut bytes = [0u8; N];
    reader
        .read_exact(&mut bytes)
        .map_err(|_| SessionError::Corrupt("truncated"))?;
    Ok(bytes)
}
