//! The grammers session over the store: persist, reload, and find the same DCs, auth keys and
//! peers; write-through on change only; unreadable blobs refused.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use giftbuyer_core::ports::{MtprotoSession, Secret};
use giftbuyer_telegram::session::{SessionError, SessionSink, StoredSession};
use grammers_session::Session;
use grammers_session::types::{
    ChannelKind, DcOption, PeerAuth, PeerId, PeerInfo, UpdateState, UpdatesState,
};

/// Records every blob written, as the store would receive it.
#[derive(Default)]
struct Recorder(Mutex<Vec<MtprotoSession>>);

impl Recorder {
    fn writes(&self) -> usize {
        self.0.lock().expect("lock").len()
    }

    fn last(&self) -> MtprotoSession {
        self.0
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("a write")
    }
}

#[async_trait]
impl SessionSink for Recorder {
    async fn persist(&self, session: MtprotoSession) -> Result<(), SessionError> {
        self.0.lock().expect("lock").push(session);
        Ok(())
    }
}

struct Failing;

#[async_trait]
impl SessionSink for Failing {
    async fn persist(&self, _: MtprotoSession) -> Result<(), SessionError> {
        Err(SessionError::Save("database is locked".to_owned()))
    }
}

fn dc(id: i32, key: u8) -> DcOption {
    DcOption {
        id,
        ipv4: SocketAddrV4::new(Ipv4Addr::new(149, 154, 167, 91), 443),
        ipv6: SocketAddrV6::new(
            Ipv6Addr::new(0x2001, 0x67c, 0x4e8, 0xf004, 0, 0, 0, 0xa),
            443,
            0,
            0,
        ),
        auth_key: Some([key; 256]),
    }
}

fn peers() -> Vec<PeerInfo> {
    vec![
        PeerInfo::User {
            id: 1337,
            auth: Some(PeerAuth::from_hash(-5)),
            bot: Some(false),
            is_self: Some(true),
        },
        PeerInfo::Channel {
            id: 1_234_567_890,
            auth: Some(PeerAuth::from_hash(424_242)),
            kind: Some(ChannelKind::Broadcast),
        },
        PeerInfo::Channel {
            id: 55,
            auth: None,
            kind: None,
        },
        PeerInfo::Chat { id: 77 },
        PeerInfo::User {
            id: 9,
            auth: None,
            bot: None,
            is_self: None,
        },
    ]
}

#[tokio::test]
async fn a_reloaded_session_has_the_same_dcs_keys_and_peers() {
    let recorder = Arc::new(Recorder::default());
    let session = StoredSession::new(recorder.clone());
    session.set_home_dc_id(4).await.expect("saved");
    session.set_dc_option(&dc(4, 7)).await.expect("saved");
    session.set_dc_option(&dc(2, 9)).await.expect("saved");
    session.cache_peers(peers()).await.expect("saved");
    let state = UpdatesState {
        pts: 10,
        qts: 2,
        date: 1_700_000_000,
        seq: 3,
        channels: Vec::new(),
    };
    session
        .set_update_state(UpdateState::All(state.clone()))
        .await
        .expect("saved");

    let stored = recorder.last();
    assert_eq!(stored.home_dc, 4);
    assert_eq!(stored, session.snapshot());
    let reloaded = StoredSession::load(&stored, Arc::new(Recorder::default())).expect("readable");
    assert_eq!(reloaded.home_dc_id(), Ok(4));
    assert_eq!(reloaded.dc_option(4), Ok(Some(dc(4, 7))));
    assert_eq!(reloaded.dc_option(2), Ok(Some(dc(2, 9))));
    // The DCs grammers knows statically are kept too.
    assert_eq!(reloaded.dc_option(1), session.dc_option(1));
    assert!(reloaded.dc_option(5).expect("cached").is_some());
    for peer in peers() {
        assert_eq!(
            reloaded.peer(peer.id()).await,
            Ok(Some(peer.clone())),
            "{peer:?}"
        );
    }
    assert_eq!(
        reloaded.peer(PeerId::self_user()).await,
        Ok(Some(peers()[0].clone()))
    );
    assert!(reloaded.is_logged_in());
    assert_eq!(reloaded.channel_access_hash(1_234_567_890), Some(424_242));
    assert_eq!(reloaded.channel_access_hash(55), None);
    assert_eq!(reloaded.channel_access_hash(56), None);
    assert_eq!(reloaded.updates_state().await, Ok(state));
    // Equal sessions give equal blobs, whatever the hash map order.
    assert_eq!(reloaded.snapshot(), stored);
}

#[tokio::test]
async fn only_changes_are_written_through() {
    let recorder = Arc::new(Recorder::default());
    let session = StoredSession::new(recorder.clone());
    assert!(!session.is_logged_in());
    assert_eq!(session.peer(PeerId::self_user()).await, Ok(None));
    session.set_dc_option(&dc(4, 7)).await.expect("saved");
    assert_eq!(recorder.writes(), 1);
    session.set_dc_option(&dc(4, 7)).await.expect("no change");
    session
        .set_home_dc_id(session.home_dc_id().expect("cached"))
        .await
        .expect("no change");
    assert_eq!(recorder.writes(), 1);
    session.cache_peers(peers()).await.expect("saved");
    assert_eq!(recorder.writes(), 2, "a batch of peers is one write");
    session
        .cache_peer(peers()[1].clone())
        .await
        .expect("no change");
    assert_eq!(recorder.writes(), 2);
    // A peer seen again with a new access hash is an update.
    session
        .cache_peer(PeerInfo::Channel {
            id: 55,
            auth: Some(PeerAuth::from_hash(1)),
            kind: None,
        })
        .await
        .expect("saved");
    assert_eq!(recorder.writes(), 3);
    // Per-update state moves stay in memory.
    session
        .set_update_state(UpdateState::Primary {
            pts: 1,
            date: 2,
            seq: 3,
        })
        .await
        .expect("kept");
    assert_eq!(recorder.writes(), 3);
    assert_eq!(session.updates_state().await.map(|state| state.pts), Ok(1));
}

#[tokio::test]
async fn a_failed_save_is_reported_to_grammers() {
    let session = StoredSession::new(Arc::new(Failing));
    assert_eq!(
        session.set_dc_option(&dc(4, 7)).await,
        Err(SessionError::Save("database is locked".to_owned()))
    );
}

#[test]
fn unreadable_blobs_are_refused() {
    let blob = |bytes: Vec<u8>| MtprotoSession {
        home_dc: 2,
        data: Secret::new(bytes),
    };
    let good = StoredSession::new(Arc::new(Recorder::default())).snapshot();
    let sink = || Arc::new(Recorder::default());
    assert!(StoredSession::load(&good, sink()).is_ok());
    assert!(matches!(
        StoredSession::load(&blob(b"GB".to_vec()), sink()),
        Err(SessionError::Corrupt(_))
    ));
    assert!(matches!(
        StoredSession::load(&blob(b"SQLite format 3\0".to_vec()), sink()),
        Err(SessionError::Corrupt(_))
    ));
    let mut future = good.data.expose().clone();
    future[4] = 9;
    assert_eq!(
        StoredSession::load(&blob(future), sink()).map(drop),
        Err(SessionError::UnknownVersion(9))
    );
    let mut truncated = good.data.expose().clone();
    truncated.pop();
    assert!(StoredSession::load(&blob(truncated), sink()).is_err());
    let mut trailing = good.data.expose().clone();
    trailing.push(0);
    assert!(StoredSession::load(&blob(trailing), sink()).is_err());
}
