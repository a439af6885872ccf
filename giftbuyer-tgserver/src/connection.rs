//! One client connection: framing, decryption, the checks of msg_id, seqno and salt, the
//! service messages (<https://core.telegram.org/mtproto/service_messages>) and the RPC calls,
//! each answered by its own task so that a slow call never holds up the others.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grammers_tl_types::{self as tl, Cursor, Deserializable, Identifiable, Serializable};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::backend::{CallContext, allowed_without_login};
use crate::crypto::{self, AuthKey};
use crate::faults::FaultAction;
use crate::framing::{self, FrameWriter};
use crate::rpc::{self, ClientInfo, Reply, RpcFailure};
use crate::server::{Shared, Stats};
use crate::session::{Admission, BadMsg, Session, lock};
use crate::wire::{self, Message};

/// An RPC answer not ready after this long is acknowledged first, so the client knows the
/// request arrived (as Telegram does for slow calls).
const ACK_AFTER: Duration = Duration::from_millis(300);

/// What the writer half sends.
enum Outgoing {
    Message {
        key: Arc<AuthKey>,
        session: Arc<Mutex<Session>>,
        body: Vec<u8>,
        is_answer: bool,
        content_related: bool,
    },
    TransportError(i32),
    Close,
}

/// The connection's current key and session, learned from its packets.
struct Peer {
    key: Arc<AuthKey>,
    key_id: u64,
    session: Arc<Mutex<Session>>,
}

fn unix_now() -> i64 {
    (wire::now_millis() / 1000) as i64
}

pub(crate) async fn serve(dc: i32, stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let (read, write) = stream.into_split();
    let (mut reader, writer) = match framing::accept(read, write).await {
        Ok(halves) => halves,
        Err(error) => {
            tracing::debug!(dc, %peer, %error, "connection closed before its framing was known");
            return;
        }
    };
    let (out, outgoing) = mpsc::unbounded_channel();
    let writer_task = tokio::spawn(write_loop(writer, outgoing, Arc::clone(&shared)));
    let mut shutdown = shared.shutdown.clone();
    let mut connection = Connection {
        dc,
        shared,
        out,
        client: ClientInfo::default(),
        disconnect_at: None,
    };
    loop {
        let deadline = connection.disconnect_at;
        let packet = tokio::select! {
            _ = shutdown.changed() => break,
            _ = sleep_until_opt(deadline) => {
                tracing::debug!(dc, %peer, "no ping within the client's disconnect delay");
                break;
            }
            _ = connection.out.closed() => break,
            packet = reader.read_packet() => packet,
        };
        match packet {
            Ok(Some(packet)) => {
                if !connection.on_packet(&packet) {
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                tracing::debug!(dc, %peer, %error, "connection framing broke");
                break;
            }
        }
    }
    let _ = connection.out.send(Outgoing::Close);
    let _ = writer_task.await;
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn write_loop(
    mut writer: FrameWriter<tokio::net::tcp::OwnedWriteHalf>,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    shared: Arc<Shared>,
) {
    while let Some(next) = outgoing.recv().await {
        let result = match next {
            Outgoing::Message {
                key,
                session,
                body,
                is_answer,
                content_related,
            } => {
                let (session_id, message) = {
                    let mut session = lock(&session);
                    (
                        session.session_id,
                        session.number(body, is_answer, content_related),
                    )
                };
                let salt = shared.salts.current(unix_now());
                let plaintext = wire::server_plaintext(salt, session_id, &message);
                writer
                    .write_packet(&crypto::encrypt_for_client(&key, plaintext))
                    .await
            }
            Outgoing::TransportError(code) => {
                let result = writer.write_transport_error(code).await;
                writer.shutdown().await;
                outgoing.close();
                result
            }
            Outgoing::Close => {
                writer.shutdown().await;
                outgoing.close();
                Ok(())
            }
        };
        if result.is_err() {
            outgoing.close();
            break;
        }
    }
}

struct Connection {
    dc: i32,
    shared: Arc<Shared>,
    out: mpsc::UnboundedSender<Outgoing>,
    client: ClientInfo,
    disconnect_at: Option<Instant>,
}

impl Connection {
    /// Handles one packet; `false` closes the connection.
    fn on_packet(&mut self, packet: &[u8]) -> bool {
        let stats = &self.shared.stats;
        let key_id = crypto::packet_key_id(packet).unwrap_or(0);
        if key_id == 0 {
            // A plain message starts a key exchange, which cannot succeed: grammers only
            // trusts Telegram's RSA keys. Keys are pre-shared instead (see `keys`).
            Stats::bump(&stats.plain_messages);
            tracing::warn!(
                dc = self.dc,
                "client asked for a key exchange; the loopback telegram only accepts pre-shared keys"
            );
            let _ = self.out.send(Outgoing::TransportError(404));
            return false;
        }
        let Some(entry) = self
            .shared
            .keys
            .get(key_id)
            .filter(|entry| entry.dc == self.dc)
        else {
            Stats::bump(&stats.unknown_keys);
            tracing::debug!(
                dc = self.dc,
                key_id = format_args!("{key_id:016x}"),
                "unknown auth key"
            );
            let _ = self.out.send(Outgoing::TransportError(404));
            return false;
        };
        let plaintext = match crypto::decrypt_from_client(&entry.key, packet) {
            Ok(plaintext) => plaintext,
            Err(error) => {
                // A packet that fails its msg_key check may be forged or replayed with damage;
                // MTProto says to drop it, and the connection with it.
                Stats::bump(&stats.bad_msg_keys);
                tracing::debug!(dc = self.dc, %error, "refused an encrypted packet");
                return false;
            }
        };
        let Ok(envelope) = wire::read_envelope(&plaintext) else {
            Stats::bump(&stats.bad_msgs);
            return false;
        };
        let now = unix_now();
        let session = self
            .shared
            .sessions
            .get_or_create(key_id, envelope.session_id);
        let peer = Peer {
            key: Arc::new(entry.key),
            key_id,
            session,
        };
        if !self.shared.salts.is_valid(envelope.salt, now) {
            Stats::bump(&stats.bad_salts);
            let message = &envelope.message;
            let body = tl::enums::BadMsgNotification::BadServerSalt(tl::types::BadServerSalt {
                bad_msg_id: message.msg_id,
                bad_msg_seqno: message.seq_no,
                error_code: 48,
                new_server_salt: self.shared.salts.current(now),
            })
            .to_bytes();
            self.send(&peer, body, true, false);
            return true;
        }
        let announce = {
            let mut session = lock(&peer.session);
            (!std::mem::replace(&mut session.announced, true)).then_some(session.unique_id)
        };
        if let Some(unique_id) = announce {
            // The first message with a valid salt opens the session for the server.
            let body = tl::enums::NewSession::Created(tl::types::NewSessionCreated {
                first_msg_id: envelope.message.msg_id,
                unique_id,
                server_salt: self.shared.salts.current(now),
            })
            .to_bytes();
            self.send(&peer, body, false, true);
        }
        self.on_message(&peer, envelope.message, None, now);
        true
    }

    fn send(&self, peer: &Peer, body: Vec<u8>, is_answer: bool, content_related: bool) {
        let _ = self.out.send(Outgoing::Message {
            key: Arc::clone(&peer.key),
            session: Arc::clone(&peer.session),
            body,
            is_answer,
            content_related,
        });
    }

    fn bad_msg(&self, peer: &Peer, message: &Message, code: BadMsg) {
        Stats::bump(&self.shared.stats.bad_msgs);
        let body = tl::enums::BadMsgNotification::Notification(tl::types::BadMsgNotification {
            bad_msg_id: message.msg_id,
            bad_msg_seqno: message.seq_no,
            error_code: code as i32,
        })
        .to_bytes();
        self.send(peer, body, true, false);
    }

    /// Checks and handles one message; `container` is the msg_id of the container it came in.
    fn on_message(&mut self, peer: &Peer, message: Message, container: Option<i64>, now: i64) {
        let constructor = message.constructor().unwrap_or(0);
        let content_related = !matches!(
            constructor,
            wire::MSG_CONTAINER | tl::types::MsgsAck::CONSTRUCTOR_ID
        );
        if let Some(container) = container
            && message.msg_id >= container
        {
            self.bad_msg(peer, &message, BadMsg::BadContainer);
            return;
        }
        let admission = lock(&peer.session).admit(&message, content_related, now);
        match admission {
            Admission::Accept => {}
            Admission::Duplicate => {
                // Never executed twice: a replayed or re-sent message is ignored, as MTProto
                // requires of a message already received.
                Stats::bump(&self.shared.stats.duplicates);
                tracing::debug!(
                    msg_id = message.msg_id,
                    "ignored a message already received"
                );
                return;
            }
            Admission::Refuse(code) => {
                self.bad_msg(peer, &message, code);
                return;
            }
        }
        match constructor {
            wire::MSG_CONTAINER => {
                if container.is_some() {
                    self.bad_msg(peer, &message, BadMsg::BadContainer);
                    return;
                }
                match wire::read_container(&message.body) {
                    Ok(inner) => {
                        for inner in inner {
                            self.on_message(peer, inner, Some(message.msg_id), now);
                        }
                    }
                    Err(_) => self.bad_msg(peer, &message, BadMsg::BadContainer),
                }
            }
            wire::GZIP_PACKED => match wire::read_gzip(&message.body) {
                Ok(inflated) => self.on_body(peer, message.msg_id, inflated, now),
                Err(_) => self.bad_msg(peer, &message, BadMsg::BadContainer),
            },
            _ => self.on_body(peer, message.msg_id, message.body, now),
        }
    }

    /// Handles the content of an accepted message: a service message or an RPC call.
    fn on_body(&mut self, peer: &Peer, msg_id: i64, body: Vec<u8>, now: i64) {
        let mut cursor = Cursor::from_slice(body.get(4..).unwrap_or_default());
        match wire::constructor(&body).unwrap_or(0) {
            tl::types::MsgsAck::CONSTRUCTOR_ID | tl::types::HttpWait::CONSTRUCTOR_ID => {}
            tl::types::MsgResendReq::CONSTRUCTOR_ID
            | tl::types::MsgResendAnsReq::CONSTRUCTOR_ID => {
                // Answers are not kept for resending; a client that lost one asks again with a
                // new message, which a purchase never does.
            }
            tl::functions::Ping::CONSTRUCTOR_ID => {
                if let Ok(ping_id) = i64::deserialize(&mut cursor) {
                    self.pong(peer, msg_id, ping_id);
                }
            }
            tl::functions::PingDelayDisconnect::CONSTRUCTOR_ID => {
                if let (Ok(ping_id), Ok(delay)) =
                    (i64::deserialize(&mut cursor), i32::deserialize(&mut cursor))
                {
                    self.disconnect_at =
                        Some(Instant::now() + Duration::from_secs(delay.clamp(1, 3600) as u64));
                    self.pong(peer, msg_id, ping_id);
                }
            }
            tl::functions::GetFutureSalts::CONSTRUCTOR_ID => {
                let num = i32::deserialize(&mut cursor).unwrap_or(1).clamp(1, 64);
                let salts = self
                    .shared
                    .salts
                    .future(now, num as usize)
                    .into_iter()
                    .map(|(valid_since, valid_until, salt)| tl::types::FutureSalt {
                        valid_since,
                        valid_until,
                        salt,
                    })
                    .collect();
                let body = tl::enums::FutureSalts::Salts(tl::types::FutureSalts {
                    req_msg_id: msg_id,
                    now: now as i32,
                    salts: tl::RawVec(salts),
                })
                .to_bytes();
                self.send(peer, body, true, true);
            }
            tl::functions::DestroySession::CONSTRUCTOR_ID => {
                let session_id = i64::deserialize(&mut cursor).unwrap_or(0);
                let body = if session_id == lock(&peer.session).session_id {
                    // The current session cannot destroy itself.
                    tl::enums::DestroySessionRes::DestroySessionNone(
                        tl::types::DestroySessionNone { session_id },
                    )
                } else {
                    tl::enums::DestroySessionRes::DestroySessionOk(tl::types::DestroySessionOk {
                        session_id,
                    })
                }
                .to_bytes();
                self.send(peer, body, true, true);
            }
            tl::functions::RpcDropAnswer::CONSTRUCTOR_ID => {
                let answer = tl::enums::RpcDropAnswer::RpcAnswerUnknown.to_bytes();
                self.send(peer, wire::rpc_result(msg_id, &answer), true, true);
            }
            tl::types::MsgsStateReq::CONSTRUCTOR_ID => {
                let ids = Vec::<i64>::deserialize(&mut cursor).unwrap_or_default();
                // 4: received; 1: nothing is known about the message.
                let info = ids.iter().map(|_| 4u8).collect();
                let body = tl::enums::MsgsStateInfo::Info(tl::types::MsgsStateInfo {
                    req_msg_id: msg_id,
                    info,
                })
                .to_bytes();
                self.send(peer, body, true, false);
            }
            _ => self.call(peer, msg_id, body),
        }
    }

    fn pong(&self, peer: &Peer, msg_id: i64, ping_id: i64) {
        let body = tl::enums::Pong::Pong(tl::types::Pong { msg_id, ping_id }).to_bytes();
        self.send(peer, body, true, true);
    }

    /// Starts an RPC call on a task of its own.
    fn call(&mut self, peer: &Peer, msg_id: i64, body: Vec<u8>) {
        let query = match rpc::unwrap(body) {
            Ok(query) => query,
            Err(failure) => {
                self.send(
                    peer,
                    wire::rpc_result(msg_id, &failure.to_bytes()),
                    true,
                    true,
                );
                return;
            }
        };
        // What initConnection says holds for the rest of the connection.
        if query.info.layer.is_some() {
            self.client.layer = query.info.layer;
        }
        if query.info.api_id.is_some() {
            self.client = ClientInfo {
                layer: self.client.layer,
                ..query.info.clone()
            };
        }
        let task = CallTask {
            dc: self.dc,
            shared: Arc::clone(&self.shared),
            out: self.out.clone(),
            key: Arc::clone(&peer.key),
            key_id: peer.key_id,
            session: Arc::clone(&peer.session),
            client: self.client.clone(),
            msg_id,
        };
        tokio::spawn(task.run(query));
    }
}

/// One RPC call being answered.
struct CallTask {
    dc: i32,
    shared: Arc<Shared>,
    out: mpsc::UnboundedSender<Outgoing>,
    key: Arc<AuthKey>,
    key_id: u64,
    session: Arc<Mutex<Session>>,
    client: ClientInfo,
    msg_id: i64,
}

impl CallTask {
    fn send(&self, body: Vec<u8>, is_answer: bool, content_related: bool) {
        let _ = self.out.send(Outgoing::Message {
            key: Arc::clone(&self.key),
            session: Arc::clone(&self.session),
            body,
            is_answer,
            content_related,
        });
    }

    async fn run(self, query: rpc::Query) {
        let method = query.constructor();
        self.shared.stats.count_call(method);
        // The key's state is read per call: a login or a revocation on another connection
        // applies at once.
        let entry = self.shared.keys.get(self.key_id);
        let user = entry.as_ref().and_then(|entry| entry.user);
        let revoked = entry.as_ref().is_none_or(|entry| entry.revoked);
        let mut drop_after = false;
        let mut silent = false;
        match self.shared.faults.take(method, user) {
            Some(FaultAction::DropBefore) => {
                tracing::info!(method = %rpc::name(method), "fault: connection dropped before the call");
                let _ = self.out.send(Outgoing::Close);
                return;
            }
            Some(FaultAction::DropAfter) => drop_after = true,
            Some(FaultAction::ExecuteSilently) => silent = true,
            Some(FaultAction::Delay(delay)) => {
                self.ack_then_sleep(delay).await;
            }
            Some(FaultAction::Error(failure)) => {
                self.answer(Reply::Error(failure));
                return;
            }
            None => {}
        }
        let reply = if method == tl::functions::help::GetConfig::CONSTRUCTOR_ID {
            Reply::answer(&self.config())
        } else if revoked || (user.is_none() && !allowed_without_login(method)) {
            Reply::Error(RpcFailure::unauthorized())
        } else {
            let context = CallContext {
                dc: self.dc,
                key_id: self.key_id,
                user,
                client: self.client.clone(),
                keys: self.shared.keys.clone(),
            };
            let backend = Arc::clone(&self.shared.backend);
            let call = backend.call(context, query);
            tokio::pin!(call);
            tokio::select! {
                reply = &mut call => reply,
                _ = tokio::time::sleep(ACK_AFTER) => {
                    self.ack();
                    call.await
                }
            }
        };
        if drop_after {
            tracing::info!(method = %rpc::name(method), "fault: connection dropped after the call ran");
            let _ = self.out.send(Outgoing::Close);
            return;
        }
        if silent {
            tracing::info!(method = %rpc::name(method), "fault: the call ran and is never answered");
            return;
        }
        if let Reply::Error(failure) = &reply
            && failure.is_disconnect()
        {
            tracing::info!(method = %rpc::name(method), "the market dropped the connection during the call");
            let _ = self.out.send(Outgoing::Close);
            return;
        }
        self.answer(reply);
    }

    fn ack(&self) {
        let body = tl::enums::MsgsAck::Ack(tl::types::MsgsAck {
            msg_ids: vec![self.msg_id],
        })
        .to_bytes();
        self.send(body, false, false);
    }

    async fn ack_then_sleep(&self, delay: Duration) {
        if delay >= ACK_AFTER {
            self.ack();
        }
        tokio::time::sleep(delay).await;
    }

    fn answer(&self, reply: Reply) {
        if let Reply::Error(failure) = &reply {
            tracing::debug!(code = failure.code, error = %failure.message, "rpc error");
        }
        self.send(
            wire::rpc_result(self.msg_id, &reply.into_bytes()),
            true,
            true,
        );
    }

    /// `help.getConfig` (also the query inside grammers' `initConnection`): the DC list with
    /// every DC marked `static`, which is what makes grammers store the addresses.
    fn config(&self) -> tl::enums::Config {
        let now = unix_now() as i32;
        let dc_options = self
            .shared
            .dcs
            .iter()
            .map(|dc| {
                tl::enums::DcOption::Option(tl::types::DcOption {
                    ipv6: dc.addr.is_ipv6(),
                    media_only: false,
                    tcpo_only: false,
                    cdn: false,
                    r#static: true,
                    this_port_only: true,
                    id: dc.id,
                    ip_address: dc.addr.ip().to_string(),
                    port: i32::from(dc.addr.port()),
                    secret: None,
                })
            })
            .collect();
        tl::enums::Config::Config(tl::types::Config {
            default_p2p_contacts: false,
            preload_featured_stickers: false,
            revoke_pm_inbox: false,
            blocked_mode: false,
            force_try_ipv6: false,
            date: now,
            expires: now + 3600,
            test_mode: false,
            this_dc: self.dc,
            dc_options,
            dc_txt_domain_name: String::new(),
            chat_size_max: 200,
            megagroup_size_max: 200_000,
            forwarded_count_max: 100,
            online_update_period_ms: 210_000,
            offline_blur_timeout_ms: 5_000,
            offline_idle_timeout_ms: 30_000,
            online_cloud_timeout_ms: 300_000,
            notify_cloud_delay_ms: 30_000,
            notify_default_delay_ms: 1_500,
            push_chat_period_ms: 60_000,
            push_chat_limit: 2,
            edit_time_limit: 172_800,
            revoke_time_limit: i32::MAX,
            revoke_pm_time_limit: i32::MAX,
            rating_e_decay: 2_419_200,
            stickers_recent_limit: 200,
            channels_read_media_period: 604_800,
            tmp_sessions: None,
            call_receive_timeout_ms: 20_000,
            call_ring_timeout_ms: 90_000,
            call_connect_timeout_ms: 30_000,
            call_packet_timeout_ms: 10_000,
            me_url_prefix: "https://t.me/".into(),
            autoupdate_url_prefix: None,
            gif_search_username: None,
            venue_search_username: None,
            img_search_username: None,
            static_maps_provider: None,
            caption_length_max: 1024,
            message_length_max: 4096,
            webfile_dc_id: self.shared.default_dc,
            suggested_lang_code: None,
            lang_pack_version: None,
            base_lang_pack_version: None,
            reactions_default: None,
            autologin_token: None,
        })
    }
}
