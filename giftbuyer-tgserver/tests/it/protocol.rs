//! The protocol layer: grammers' sender connects with a pre-shared key, survives the salt
//! dance, and gets answers; hand-built packets check what the server refuses.

use std::time::Duration;

use giftbuyer_tgserver::Stats;
use grammers_mtsender::InvocationError;
use grammers_tl_types as tl;

use crate::support::{bare_server, memory_session};

async fn pool(
    session: std::sync::Arc<grammers_session::storages::MemorySession>,
) -> grammers_mtsender::SenderPoolFatHandle {
    crate::support::raw_pool(session)
}

#[tokio::test]
async fn grammers_connects_with_a_pre_shared_key_and_gets_answers() {
    let server = bare_server().await;
    let handle = pool(memory_session(&server, 2)).await;
    let config = tokio::time::timeout(
        Duration::from_secs(10),
        handle.invoke_in_dc(2, &tl::functions::help::GetConfig {}),
    )
    .await
    .expect("answers in time")
    .expect("config");
    let tl::enums::Config::Config(config) = config;
    assert_eq!(config.this_dc, 2);
    assert_eq!(config.dc_options.len(), 3);
    // The first message used salt 0, as grammers always does: the server corrected it.
    assert!(Stats::get(&server.stats().bad_salts) >= 1);
    // A method the server does not know is an RPC error naming it, not a dropped connection.
    let error = handle
        .invoke_in_dc(2, &tl::functions::help::GetNearestDc {})
        .await
        .expect_err("not implemented");
    match error {
        InvocationError::Rpc(rpc) => {
            assert_eq!(rpc.code, 400);
            assert_eq!(rpc.name, "INPUT_METHOD_INVALID");
        }
        other => panic!("unexpected {other:?}"),
    }
    // A call that needs a login answers 401 on a key nobody logged in on.
    let error = handle
        .invoke_in_dc(2, &tl::functions::payments::GetStarGifts { hash: 0 })
        .await
        .expect_err("needs a login");
    assert!(
        matches!(error, InvocationError::Rpc(ref rpc) if rpc.code == 401 && rpc.name == "AUTH_KEY_UNREGISTERED"),
        "{error:?}"
    );
    handle.quit();
    server.shutdown().await;
}

use giftbuyer_tgserver::TgServer;
use giftbuyer_tgserver::wire::Message;
use grammers_tl_types::{Cursor, Deserializable, Identifiable, Serializable};

use crate::raw::{Framing, RawClient, Received};

const BAD_SERVER_SALT: u32 = tl::types::BadServerSalt::CONSTRUCTOR_ID;
const BAD_MSG: u32 = tl::types::BadMsgNotification::CONSTRUCTOR_ID;
const PONG: u32 = tl::types::Pong::CONSTRUCTOR_ID;

async fn raw_client(server: &TgServer, framing: Framing) -> RawClient {
    let (dc, key) = server
        .mint_session_keys()
        .expect("keys")
        .into_iter()
        .find(|(dc, _)| dc.id == 2)
        .expect("dc 2");
    RawClient::connect(dc.addr, key.to_bytes(), framing).await
}

fn ping(client: &mut RawClient, ping_id: i64, seq_no: i32) -> Message {
    Message {
        msg_id: client.next_msg_id(),
        seq_no,
        body: tl::functions::Ping { ping_id }.to_bytes(),
    }
}

/// Sends a ping under salt 0 and returns the salt the server then names.
async fn learn_salt(client: &mut RawClient) -> i64 {
    let message = ping(client, 1, 1);
    client.send(0, &message).await;
    let answer = client.recv_constructor(BAD_SERVER_SALT).await;
    let tl::enums::BadMsgNotification::BadServerSalt(bad) =
        tl::enums::BadMsgNotification::from_bytes(&answer.body).expect("reads")
    else {
        panic!("not bad_server_salt");
    };
    assert_eq!(bad.bad_msg_id, message.msg_id);
    assert_eq!(bad.error_code, 48);
    assert_eq!(answer.msg_id % 4, 1, "an answer's msg_id ends in binary 01");
    bad.new_server_salt
}

fn pong_of(message: &Message) -> tl::types::Pong {
    let tl::enums::Pong::Pong(pong) = tl::enums::Pong::from_bytes(&message.body).expect("pong");
    pong
}

fn bad_msg_code(message: &Message) -> i32 {
    match tl::enums::BadMsgNotification::from_bytes(&message.body).expect("reads") {
        tl::enums::BadMsgNotification::Notification(bad) => bad.error_code,
        tl::enums::BadMsgNotification::BadServerSalt(bad) => bad.error_code,
    }
}

#[tokio::test]
async fn a_wrong_salt_is_corrected_and_the_session_opens_with_the_right_one() {
    for framing in [Framing::Full, Framing::Intermediate, Framing::Abridged] {
        let server = bare_server().await;
        let mut client = raw_client(&server, framing).await;
        let salt = learn_salt(&mut client).await;
        let message = ping(&mut client, 42, 3);
        client.send(salt, &message).await;
        let created = client
            .recv_constructor(tl::types::NewSessionCreated::CONSTRUCTOR_ID)
            .await;
        let tl::enums::NewSession::Created(created) =
            tl::enums::NewSession::from_bytes(&created.body).expect("reads");
        assert_eq!(created.first_msg_id, message.msg_id);
        assert_eq!(created.server_salt, salt);
        let pong = pong_of(&client.recv_constructor(PONG).await);
        assert_eq!(
            (pong.msg_id, pong.ping_id),
            (message.msg_id, 42),
            "{framing:?}"
        );
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_packet_with_a_bad_msg_key_is_refused_and_closes_the_connection() {
    let server = bare_server().await;
    let mut client = raw_client(&server, Framing::Full).await;
    let salt = learn_salt(&mut client).await;
    let message = ping(&mut client, 7, 3);
    let mut packet = client.seal(salt, &message);
    let last = packet.len() - 1;
    packet[last] ^= 0x40;
    client.send_packet(&packet).await;
    assert!(matches!(client.recv().await, Received::Closed));
    assert_eq!(Stats::get(&server.stats().bad_msg_keys), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_replayed_packet_is_never_processed_twice() {
    let server = bare_server().await;
    let mut client = raw_client(&server, Framing::Full).await;
    let salt = learn_salt(&mut client).await;
    let message = ping(&mut client, 9, 3);
    let packet = client.send(salt, &message).await;
    assert_eq!(pong_of(&client.recv_constructor(PONG).await).ping_id, 9);
    client.send_packet(&packet).await;
    // A later ping proves the connection is alive and that the replay produced nothing.
    let next = ping(&mut client, 10, 5);
    client.send(salt, &next).await;
    assert_eq!(pong_of(&client.recv_constructor(PONG).await).ping_id, 10);
    assert_eq!(Stats::get(&server.stats().duplicates), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn msg_ids_and_seqnos_that_break_the_rules_get_bad_msg_notification() {
    let server = bare_server().await;
    let mut client = raw_client(&server, Framing::Intermediate).await;
    let salt = learn_salt(&mut client).await;
    let mut odd_id = ping(&mut client, 1, 3);
    odd_id.msg_id += 1;
    client.send(salt, &odd_id).await;
    assert_eq!(bad_msg_code(&client.recv_constructor(BAD_MSG).await), 18);
    let even_seq = ping(&mut client, 2, 4);
    client.send(salt, &even_seq).await;
    assert_eq!(bad_msg_code(&client.recv_constructor(BAD_MSG).await), 35);
    let stale = Message {
        msg_id: (client.next_msg_id() - (400i64 << 32)) & !3,
        ..ping(&mut client, 3, 5)
    };
    client.send(salt, &stale).await;
    assert_eq!(bad_msg_code(&client.recv_constructor(BAD_MSG).await), 16);
    let future = Message {
        msg_id: client.next_msg_id() + (60i64 << 32),
        ..ping(&mut client, 4, 7)
    };
    client.send(salt, &future).await;
    assert_eq!(bad_msg_code(&client.recv_constructor(BAD_MSG).await), 17);
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_auth_key_gets_transport_error_404() {
    let server = bare_server().await;
    let addr = server.dcs()[0].addr;
    let mut client = RawClient::connect(addr, [5; 256], Framing::Full).await;
    let message = ping(&mut client, 1, 1);
    client.send(0, &message).await;
    assert!(matches!(client.recv().await, Received::TransportError(404)));
    // A key of another DC is unknown on this one too.
    let (_, key) = server
        .mint_session_keys()
        .expect("keys")
        .into_iter()
        .find(|(dc, _)| dc.id == 3)
        .expect("dc 3");
    let mut client = RawClient::connect(addr, key.to_bytes(), Framing::Abridged).await;
    let message = ping(&mut client, 1, 1);
    client.send(0, &message).await;
    assert!(matches!(client.recv().await, Received::TransportError(404)));
    assert_eq!(Stats::get(&server.stats().unknown_keys), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn containers_and_gzip_packed_messages_are_unpacked() {
    let server = bare_server().await;
    let mut client = raw_client(&server, Framing::Full).await;
    let salt = learn_salt(&mut client).await;
    let first = ping(&mut client, 100, 3);
    let second = Message {
        body: giftbuyer_tgserver::wire::gzip(&tl::functions::Ping { ping_id: 101 }.to_bytes()),
        ..ping(&mut client, 0, 5)
    };
    let container = Message {
        msg_id: client.next_msg_id(),
        seq_no: 6,
        body: giftbuyer_tgserver::wire::container(&[first, second]),
    };
    client.send(salt, &container).await;
    let mut ids = vec![
        pong_of(&client.recv_constructor(PONG).await).ping_id,
        pong_of(&client.recv_constructor(PONG).await).ping_id,
    ];
    ids.sort_unstable();
    assert_eq!(ids, [100, 101]);
    // A container whose id is not above its messages' is refused as a whole message.
    let inner = ping(&mut client, 102, 7);
    let bad = Message {
        msg_id: inner.msg_id - 4,
        seq_no: 8,
        body: giftbuyer_tgserver::wire::container(&[inner]),
    };
    client.send(salt, &bad).await;
    assert_eq!(bad_msg_code(&client.recv_constructor(BAD_MSG).await), 64);
    server.shutdown().await;
}

#[tokio::test]
async fn future_salts_are_served_in_the_session() {
    let server = bare_server().await;
    let mut client = raw_client(&server, Framing::Full).await;
    let salt = learn_salt(&mut client).await;
    let request = Message {
        body: tl::functions::GetFutureSalts { num: 3 }.to_bytes(),
        ..ping(&mut client, 0, 3)
    };
    client.send(salt, &request).await;
    let answer = client
        .recv_constructor(tl::types::FutureSalts::CONSTRUCTOR_ID)
        .await;
    let mut cursor = Cursor::from_slice(&answer.body);
    let tl::enums::FutureSalts::Salts(salts) =
        tl::enums::FutureSalts::deserialize(&mut cursor).expect("reads");
    assert_eq!(salts.req_msg_id, request.msg_id);
    assert_eq!(salts.salts.0.len(), 3);
    assert_eq!(salts.salts.0[0].salt, salt);
    server.shutdown().await;
}
