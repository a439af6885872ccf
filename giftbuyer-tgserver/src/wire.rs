//! The parts of MTProto's wire format that the TL schema leaves to hand-written code: the
//! decrypted message header, `msg_container`, `rpc_result` and `gzip_packed`, plus the
//! server's message identifiers.

use std::io::{Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use grammers_tl_types::Serializable;

pub const MSG_CONTAINER: u32 = 0x73f1_f8dc;
pub const RPC_RESULT: u32 = 0xf35c_6d01;
pub const GZIP_PACKED: u32 = 0x3072_cfa1;

/// The most a `gzip_packed` request may inflate to: more than any request grammers sends, and
/// a bound against a compressed bomb.
pub const MAX_INFLATED: usize = 4 * 1024 * 1024;

/// Answers at least this large are sent `gzip_packed` when that makes them smaller.
pub const GZIP_THRESHOLD: usize = 512;

/// A decrypted packet: the salt and session it was sent under, and its (top-level) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub salt: i64,
    pub session_id: i64,
    pub message: Message,
}

/// One MTProto message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub msg_id: i64,
    pub seq_no: i32,
    pub body: Vec<u8>,
}

impl Message {
    pub fn constructor(&self) -> Option<u32> {
        constructor(&self.body)
    }
}

/// Why a decrypted message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("message is truncated")]
    Truncated,
    #[error("container is malformed: {0}")]
    BadContainer(&'static str),
    #[error("gzip_packed body is corrupt or inflates beyond {MAX_INFLATED} bytes")]
    BadGzip,
}

/// The constructor id at the start of a TL body.
pub fn constructor(body: &[u8]) -> Option<u32> {
    body.get(..4)
        .and_then(|id| id.try_into().ok())
        .map(u32::from_le_bytes)
}

fn i64_at(bytes: &[u8], at: usize) -> Result<i64, WireError> {
    bytes
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(i64::from_le_bytes)
        .ok_or(WireError::Truncated)
}

fn i32_at(bytes: &[u8], at: usize) -> Result<i32, WireError> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(i32::from_le_bytes)
        .ok_or(WireError::Truncated)
}

/// Reads the plaintext `crypto::decrypt_from_client` returned.
pub fn read_envelope(plaintext: &[u8]) -> Result<Envelope, WireError> {
    let salt = i64_at(plaintext, 0)?;
    let session_id = i64_at(plaintext, 8)?;
    let msg_id = i64_at(plaintext, 16)?;
    let seq_no = i32_at(plaintext, 24)?;
    let len = usize::try_from(i32_at(plaintext, 28)?).map_err(|_| WireError::Truncated)?;
    let body = plaintext
        .get(32..32usize.saturating_add(len))
        .ok_or(WireError::Truncated)?
        .to_vec();
    Ok(Envelope {
        salt,
        session_id,
        message: Message {
            msg_id,
            seq_no,
            body,
        },
    })
}

/// The messages of a `msg_container` body.
pub fn read_container(body: &[u8]) -> Result<Vec<Message>, WireError> {
    let count = i32_at(body, 4)?;
    let count = usize::try_from(count).map_err(|_| WireError::BadContainer("negative count"))?;
    if count > 1020 {
        return Err(WireError::BadContainer("more than 1020 messages"));
    }
    let mut messages = Vec::with_capacity(count);
    let mut at = 8;
    for _ in 0..count {
        let msg_id = i64_at(body, at)?;
        let seq_no = i32_at(body, at + 8)?;
        let len = usize::try_from(i32_at(body, at + 12)?)
            .map_err(|_| WireError::BadContainer("negative length"))?;
        if !len.is_multiple_of(4) {
            return Err(WireError::BadContainer("length not a multiple of 4"));
        }
        let inner = body
            .get(at + 16..at + 16 + len)
            .ok_or(WireError::BadContainer("message runs past the container"))?;
        if constructor(inner) == Some(MSG_CONTAINER) {
            return Err(WireError::BadContainer("nested container"));
        }
        messages.push(Message {
            msg_id,
            seq_no,
            body: inner.to_vec(),
        });
        at += 16 + len;
    }
    Ok(messages)
}

/// Inflates a `gzip_packed` body.
pub fn read_gzip(body: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut cursor =
        grammers_tl_types::Cursor::from_slice(body.get(4..).ok_or(WireError::BadGzip)?);
    let packed: Vec<u8> = grammers_tl_types::Deserializable::deserialize(&mut cursor)
        .map_err(|_| WireError::BadGzip)?;
    let mut inflated = Vec::new();
    GzDecoder::new(&packed[..])
        .take(MAX_INFLATED as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|_| WireError::BadGzip)?;
    if inflated.len() > MAX_INFLATED {
        return Err(WireError::BadGzip);
    }
    Ok(inflated)
}

/// `gzip_packed` around `body`.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    let packed = encoder.finish().unwrap_or_default();
    let mut out = GZIP_PACKED.to_le_bytes().to_vec();
    packed.serialize(&mut out);
    out
}

/// `rpc_result` for the request `req_msg_id`, packed when large enough to gain from it.
pub fn rpc_result(req_msg_id: i64, answer: &[u8]) -> Vec<u8> {
    let mut out = RPC_RESULT.to_le_bytes().to_vec();
    out.extend_from_slice(&req_msg_id.to_le_bytes());
    if answer.len() >= GZIP_THRESHOLD {
        let packed = gzip(answer);
        if packed.len() < answer.len() {
            out.extend_from_slice(&packed);
            return out;
        }
    }
    out.extend_from_slice(answer);
    out
}

/// A `msg_container` of already numbered messages.
pub fn container(messages: &[Message]) -> Vec<u8> {
    let mut out = MSG_CONTAINER.to_le_bytes().to_vec();
    (messages.len() as i32).serialize(&mut out);
    for message in messages {
        write_message(message, &mut out);
    }
    out
}

fn write_message(message: &Message, out: &mut Vec<u8>) {
    out.extend_from_slice(&message.msg_id.to_le_bytes());
    out.extend_from_slice(&message.seq_no.to_le_bytes());
    out.extend_from_slice(&(message.body.len() as i32).to_le_bytes());
    out.extend_from_slice(&message.body);
}

/// The plaintext of a server packet, before encryption.
pub fn server_plaintext(salt: i64, session_id: i64, message: &Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + message.body.len());
    out.extend_from_slice(&salt.to_le_bytes());
    out.extend_from_slice(&session_id.to_le_bytes());
    write_message(message, &mut out);
    out
}

/// The current unix time in milliseconds: msg_ids are built from it.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The unix time a msg_id carries, in seconds (its upper 32 bits).
pub fn msg_id_seconds(msg_id: i64) -> i64 {
    msg_id >> 32
}

/// Issues the server's msg_ids for one session: rising, about unix time times 2^32, and
/// ending in binary 01 for answers to a client message, 11 for messages of the server's own.
#[derive(Debug, Default)]
pub struct ServerMsgIds {
    last: i64,
}

impl ServerMsgIds {
    pub fn next(&mut self, is_answer: bool) -> i64 {
        let millis = now_millis();
        let seconds = (millis / 1000) as i64;
        let fraction = (((millis % 1000) << 32) / 1000) as i64;
        let mut id = (seconds << 32) | (fraction & !3);
        if id <= self.last {
            id = (self.last & !3) + 4;
        }
        id |= if is_answer { 1 } else { 3 };
        self.last = id;
        id
    }
}

/// Numbers the server's messages: odd and rising for content-related ones, even for others.
#[derive(Debug, Default)]
pub struct ServerSeqNo {
    content_sent: i32,
}

impl ServerSeqNo {
    pub fn next(&mut self, content_related: bool) -> i32 {
        if content_related {
            self.content_sent += 1;
            self.content_sent * 2 - 1
        } else {
            self.content_sent * 2
        }
    }
}
