//! Server-side MTProto sessions: which msg_ids and seqnos a client may use
//! (<https://core.telegram.org/mtproto/service_messages_about_messages>), server salts, and
//! the numbering of the server's own messages. A session is a client's `session_id` under one
//! auth key and outlives a connection, as on Telegram.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};

use crate::wire::{Message, ServerMsgIds, ServerSeqNo, msg_id_seconds};

/// How long one server salt is valid, in seconds.
pub const SALT_PERIOD: i64 = 1800;

/// How many of a session's msg_ids are remembered to refuse replays. Older ids than the
/// oldest remembered are refused as too old (code 20), so nothing slips past the window.
const REMEMBERED: usize = 4096;

/// The reasons `bad_msg_notification` gives, with Telegram's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadMsg {
    /// 16: msg_id too low (the client's clock is behind, or the id is stale).
    MsgIdTooLow = 16,
    /// 17: msg_id too high (the client's clock is ahead).
    MsgIdTooHigh = 17,
    /// 18: a client's msg_id must be divisible by 4.
    MsgIdParity = 18,
    /// 20: too old to tell whether it was already received.
    TooOld = 20,
    /// 32: seqno lower than one already received for a later message.
    SeqNoTooLow = 32,
    /// 33: seqno higher than one already received for an earlier message.
    SeqNoTooHigh = 33,
    /// 34: an even seqno was expected (the message is not content-related).
    ExpectedEven = 34,
    /// 35: an odd seqno was expected (the message is content-related).
    ExpectedOdd = 35,
    /// 64: the container is malformed.
    BadContainer = 64,
}

/// The outcome of checking one incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// New: process it.
    Accept,
    /// Already received: never process it twice (a replay, or a resend of a delivered message).
    Duplicate,
    /// Refused with a `bad_msg_notification`.
    Refuse(BadMsg),
}

/// The server's salts: one per period, derived from a secret so that every DC and every
/// restart with the same secret agrees.
#[derive(Clone)]
pub struct Salts {
    secret: [u8; 32],
}

impl std::fmt::Debug for Salts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Salts").finish_non_exhaustive()
    }
}

impl Salts {
    pub fn new(secret: [u8; 32]) -> Self {
        Self { secret }
    }

    pub fn for_period(&self, period: i64) -> i64 {
        let hash = Sha256::new()
            .chain_update(self.secret)
            .chain_update(period.to_le_bytes())
            .finalize();
        let mut salt = [0; 8];
        salt.copy_from_slice(&hash[..8]);
        i64::from_le_bytes(salt)
    }

    pub fn current(&self, now: i64) -> i64 {
        self.for_period(now.div_euclid(SALT_PERIOD))
    }

    /// Whether a client may use `salt` at `now`: the current period's, or the previous one's
    /// (clients switch a little after a period starts).
    pub fn is_valid(&self, salt: i64, now: i64) -> bool {
        let period = now.div_euclid(SALT_PERIOD);
        salt == self.for_period(period) || salt == self.for_period(period - 1)
    }

    /// `future_salts` entries: the current period first, then the next ones.
    pub fn future(&self, now: i64, count: usize) -> Vec<(i32, i32, i64)> {
        let period = now.div_euclid(SALT_PERIOD);
        (0..count as i64)
            .map(|i| {
                let since = (period + i) * SALT_PERIOD;
                (
                    since as i32,
                    (since + SALT_PERIOD) as i32,
                    self.for_period(period + i),
                )
            })
            .collect()
    }
}

/// One client session.
#[derive(Debug)]
pub struct Session {
    pub session_id: i64,
    /// Received msg_ids with their seqnos, bounded by [`REMEMBERED`].
    received: BTreeMap<i64, i32>,
    /// The highest msg_id ever forgotten: anything at or below it is too old to judge.
    forgotten_up_to: i64,
    msg_ids: ServerMsgIds,
    seq_nos: ServerSeqNo,
    /// A unique number for `new_session_created`.
    pub unique_id: i64,
    /// Whether `new_session_created` was sent.
    pub announced: bool,
}

impl Session {
    fn new(session_id: i64) -> Self {
        let mut unique = [0u8; 8];
        let _ = getrandom::fill(&mut unique);
        Self {
            session_id,
            received: BTreeMap::new(),
            forgotten_up_to: i64::MIN,
            msg_ids: ServerMsgIds::default(),
            seq_nos: ServerSeqNo::default(),
            unique_id: i64::from_le_bytes(unique),
            announced: false,
        }
    }

    /// Checks a message the client sent against the rules for msg_id and seqno, and records it
    /// when it is accepted.
    pub fn admit(&mut self, message: &Message, content_related: bool, now: i64) -> Admission {
        let msg_id = message.msg_id;
        if msg_id % 4 != 0 {
            return Admission::Refuse(BadMsg::MsgIdParity);
        }
        if self.received.contains_key(&msg_id) {
            return Admission::Duplicate;
        }
        if msg_id <= self.forgotten_up_to {
            return Admission::Refuse(BadMsg::TooOld);
        }
        let seconds = msg_id_seconds(msg_id);
        if seconds < now - 300 {
            return Admission::Refuse(BadMsg::MsgIdTooLow);
        }
        if seconds > now + 30 {
            return Admission::Refuse(BadMsg::MsgIdTooHigh);
        }
        let seq_no = message.seq_no;
        if content_related && seq_no % 2 == 0 {
            return Admission::Refuse(BadMsg::ExpectedOdd);
        }
        if !content_related && seq_no % 2 != 0 {
            return Admission::Refuse(BadMsg::ExpectedEven);
        }
        // An earlier message must not carry a higher seqno (or the same odd one), and a later
        // one must not carry a lower seqno.
        if let Some((_, &before)) = self.received.range(..msg_id).next_back()
            && (before > seq_no || (before == seq_no && seq_no % 2 == 1))
        {
            return Admission::Refuse(BadMsg::SeqNoTooLow);
        }
        if let Some((_, &after)) = self.received.range(msg_id..).next()
            && after < seq_no
        {
            return Admission::Refuse(BadMsg::SeqNoTooHigh);
        }
        self.received.insert(msg_id, seq_no);
        while self.received.len() > REMEMBERED {
            if let Some((oldest, _)) = self.received.pop_first() {
                self.forgotten_up_to = self.forgotten_up_to.max(oldest);
            }
        }
        Admission::Accept
    }

    /// Numbers a message the server sends in this session.
    pub fn number(&mut self, body: Vec<u8>, is_answer: bool, content_related: bool) -> Message {
        Message {
            msg_id: self.msg_ids.next(is_answer),
            seq_no: self.seq_nos.next(content_related),
            body,
        }
    }
}

/// Sessions by auth key id and session id.
type SessionMap = HashMap<(u64, i64), Arc<Mutex<Session>>>;

/// Every session of every key on one server.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    inner: Arc<Mutex<SessionMap>>,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, SessionMap> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session of a key with this id, created on first use.
    pub fn get_or_create(&self, key_id: u64, session_id: i64) -> Arc<Mutex<Session>> {
        Arc::clone(
            self.lock()
                .entry((key_id, session_id))
                .or_insert_with(|| Arc::new(Mutex::new(Session::new(session_id)))),
        )
    }

    /// Forgets every session of a key (the key was revoked).
    pub fn drop_key(&self, key_id: u64) {
        self.lock().retain(|(key, _), _| *key != key_id);
    }
}

/// Locks a session; its state stays consistent across a panic elsewhere.
pub fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seconds: i64, n: i64, seq_no: i32) -> Message {
        Message {
            msg_id: (seconds << 32) | (n << 2),
            seq_no,
            body: vec![0; 4],
        }
    }

    #[test]
    fn msg_id_and_seqno_rules() {
        let mut session = Session::new(1);
        let now = 1_800_000_000;
        assert_eq!(session.admit(&msg(now, 1, 1), true, now), Admission::Accept);
        assert_eq!(
            session.admit(&msg(now, 1, 1), true, now),
            Admission::Duplicate
        );
        assert_eq!(
            session.admit(&msg(now - 301, 1, 3), true, now),
            Admission::Refuse(BadMsg::MsgIdTooLow)
        );
        assert_eq!(
            session.admit(&msg(now + 31, 1, 3), true, now),
            Admission::Refuse(BadMsg::MsgIdTooHigh)
        );
        let mut odd = msg(now, 2, 3);
        odd.msg_id += 1;
        assert_eq!(
            session.admit(&odd, true, now),
            Admission::Refuse(BadMsg::MsgIdParity)
        );
        assert_eq!(
            session.admit(&msg(now, 3, 2), true, now),
            Admission::Refuse(BadMsg::ExpectedOdd)
        );
        assert_eq!(
            session.admit(&msg(now, 3, 3), false, now),
            Admission::Refuse(BadMsg::ExpectedEven)
        );
        // The same odd seqno as an earlier message is too low; a lower one than a later
        // message's is too high.
        assert_eq!(
            session.admit(&msg(now, 4, 1), true, now),
            Admission::Refuse(BadMsg::SeqNoTooLow)
        );
        assert_eq!(
            session.admit(&msg(now, 10, 5), true, now),
            Admission::Accept
        );
        assert_eq!(
            session.admit(&msg(now, 5, 7), true, now),
            Admission::Refuse(BadMsg::SeqNoTooHigh)
        );
        assert_eq!(session.admit(&msg(now, 5, 3), true, now), Admission::Accept);
        assert_eq!(
            session.admit(&msg(now, 11, 6), false, now),
            Admission::Accept
        );
    }

    #[test]
    fn forgotten_ids_are_too_old_rather_than_new() {
        let mut session = Session::new(1);
        let now = 1_800_000_000;
        for n in 0..(REMEMBERED as i64 + 10) {
            let accepted = session.admit(&msg(now, n + 1, (2 * n + 1) as i32), true, now);
            assert_eq!(accepted, Admission::Accept);
        }
        assert_eq!(
            session.admit(&msg(now, 1, 1), true, now),
            Admission::Refuse(BadMsg::TooOld)
        );
    }

    #[test]
    fn salts_cover_the_current_and_previous_period() {
        let salts = Salts::new([7; 32]);
        let now = 10 * SALT_PERIOD + 5;
        assert!(salts.is_valid(salts.current(now), now));
        assert!(salts.is_valid(salts.for_period(9), now));
        assert!(!salts.is_valid(salts.for_period(8), now));
        assert!(!salts.is_valid(salts.for_period(11), now));
        let future = salts.future(now, 3);
        assert_eq!(
            future[0],
            (
                (10 * SALT_PERIOD) as i32,
                (11 * SALT_PERIOD) as i32,
                salts.current(now)
            )
        );
        assert_eq!(future.len(), 3);
    }
}
