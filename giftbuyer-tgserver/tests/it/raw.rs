//! A hand-built MTProto client for the protocol tests: it sends exactly the packets a test
//! writes (grammers' own transports and client-side encryption frame and seal them), so a
//! test can send what a correct client never would.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use giftbuyer_tgserver::wire::{self, Message};
use grammers_crypto::{AuthKey, DequeBuffer, decrypt_data_v2, encrypt_data_v2};
use grammers_mtproto::transport::{self, Abridged, Full, Intermediate, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Which framing the raw client speaks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Framing {
    Full,
    Intermediate,
    Abridged,
}

/// What the client read.
#[derive(Debug)]
pub(crate) enum Received {
    Message { session_id: i64, message: Message },
    TransportError(u32),
    Closed,
}

pub(crate) struct RawClient {
    stream: TcpStream,
    framing: Framing,
    transport: Box<dyn Transport + Send>,
    key: AuthKey,
    pub(crate) session_id: i64,
    last_msg_id: i64,
    read: Vec<u8>,
}

impl RawClient {
    pub(crate) async fn connect(addr: SocketAddr, key: [u8; 256], framing: Framing) -> Self {
        let transport: Box<dyn Transport + Send> = match framing {
            Framing::Full => Box::new(Full::new()),
            Framing::Intermediate => Box::new(Intermediate::new()),
            Framing::Abridged => Box::new(Abridged::new()),
        };
        Self {
            stream: TcpStream::connect(addr).await.expect("connects"),
            framing,
            transport,
            key: AuthKey::from_bytes(key),
            session_id: 0x1234_5678,
            last_msg_id: 0,
            read: Vec::new(),
        }
    }

    /// A fresh client msg_id: the current time, divisible by 4, rising.
    pub(crate) fn next_msg_id(&mut self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970");
        let id = ((now.as_secs() as i64) << 32) | (((now.subsec_nanos() as i64) << 2) & !3);
        self.last_msg_id = id.max(self.last_msg_id + 4);
        self.last_msg_id
    }

    /// The encrypted packet for one message, not yet framed.
    pub(crate) fn seal(&self, salt: i64, message: &Message) -> Vec<u8> {
        let plain = wire::server_plaintext(salt, self.session_id, message);
        let mut buffer = DequeBuffer::with_capacity(plain.len(), 64);
        buffer.extend(plain.iter().copied());
        encrypt_data_v2(&mut buffer, &self.key);
        buffer[..].to_vec()
    }

    pub(crate) async fn send_packet(&mut self, packet: &[u8]) {
        let mut buffer = DequeBuffer::with_capacity(packet.len(), 64);
        buffer.extend(packet.iter().copied());
        self.transport.pack(&mut buffer);
        self.stream.write_all(&buffer[..]).await.expect("writes");
    }

    /// Seals and sends a message; returns the sealed packet so a test can replay it.
    pub(crate) async fn send(&mut self, salt: i64, message: &Message) -> Vec<u8> {
        let packet = self.seal(salt, message);
        self.send_packet(&packet).await;
        packet
    }

    /// The next thing the server sent, within five seconds.
    pub(crate) async fn recv(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(5), self.recv_inner())
            .await
            .expect("the server answers in time")
    }

    async fn recv_inner(&mut self) -> Received {
        loop {
            if !self.read.is_empty() {
                match unpack(self.framing, self.transport.as_mut(), &mut self.read) {
                    Ok(offset) => {
                        let mut payload = self.read[offset.data_range.clone()].to_vec();
                        self.read.drain(..offset.next_offset);
                        if payload.len() == 4 {
                            let code = i32::from_le_bytes(payload[..4].try_into().expect("4"));
                            return Received::TransportError(code.unsigned_abs());
                        }
                        let plain = decrypt_data_v2(&mut payload, &self.key).expect("decrypts");
                        let envelope = wire::read_envelope(plain).expect("reads");
                        return Received::Message {
                            session_id: envelope.session_id,
                            message: envelope.message,
                        };
                    }
                    Err(transport::Error::MissingBytes) => {}
                    Err(transport::Error::BadStatus { status }) => {
                        self.read.clear();
                        return Received::TransportError(status);
                    }
                    Err(other) => panic!("transport error {other}"),
                }
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Received::Closed,
                Ok(n) => self.read.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Reads until a message with `constructor` arrives and returns it, skipping others.
    pub(crate) async fn recv_constructor(&mut self, constructor: u32) -> Message {
        loop {
            match self.recv().await {
                Received::Message {
                    message,
                    session_id,
                } => {
                    assert_eq!(
                        session_id, self.session_id,
                        "the server answers in our session"
                    );
                    if message.constructor() == Some(constructor) {
                        return message;
                    }
                }
                other => panic!("expected {constructor:#x}, got {other:?}"),
            }
        }
    }
}

/// Unpacks one server packet. grammers' own unpacking is used for the full transport only:
/// its abridged one reads the first four bytes of every packet as a possible error code (half
/// of all auth key ids look negative there), and its intermediate one checks the length
/// without the length field itself, so both misread packets that Telegram sends as well.
fn unpack(
    framing: Framing,
    full: &mut (dyn Transport + Send),
    buffer: &mut [u8],
) -> Result<transport::UnpackedOffset, transport::Error> {
    let (header, len) = match framing {
        Framing::Full => return full.unpack(buffer),
        Framing::Intermediate => {
            let Some(len) = buffer.get(..4) else {
                return Err(transport::Error::MissingBytes);
            };
            (4, u32::from_le_bytes(len.try_into().expect("4")) as usize)
        }
        Framing::Abridged => match buffer.first() {
            None => return Err(transport::Error::MissingBytes),
            Some(&first) if first < 0x7f => (1, usize::from(first) * 4),
            Some(_) => {
                let Some(len) = buffer.get(1..4) else {
                    return Err(transport::Error::MissingBytes);
                };
                (
                    4,
                    (u32::from_le_bytes([len[0], len[1], len[2], 0]) as usize) * 4,
                )
            }
        },
    };
    if buffer.len() < header + len {
        return Err(transport::Error::MissingBytes);
    }
    Ok(transport::UnpackedOffset {
        data_range: header..header + len,
        next_offset: header + len,
    })
}
