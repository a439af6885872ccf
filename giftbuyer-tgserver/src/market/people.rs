//! People as Telegram serves them: `contacts.resolveUsername` answers a username of the
//! market's directory of people with their `user` and an access hash for the asking account,
//! and an invoice's `inputPeerUser` names a person only with that hash.

use giftbuyer_core::AccountId;
use giftbuyer_core::ports::TelegramAccount;
use giftbuyer_core::resale::{Recipient, TelegramUsername};
use grammers_tl_types::{self as tl, functions};

use super::MarketBackend;
use super::users::{UserFields, plain_user};
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};

/// Mixed into a person's access hash so that it never equals a channel's of the same id.
const PERSON_HASH_TAG: i64 = 0x7065_7273_6f6e;

impl MarketBackend {
    /// The access hash of person `user_id` for `account`: stable for the pair (a server
    /// restarted with the same secret gives the same one), different for every other account,
    /// as Telegram's are, and not computable without the server's secret.
    pub(crate) fn person_hash(&self, account: AccountId, user_id: i64) -> i64 {
        self.access_hash(self.access_hash(account.get()) ^ user_id ^ PERSON_HASH_TAG)
    }

    /// `contacts.resolveUsername`: `USERNAME_INVALID` for text that cannot be a username (a
    /// leading `@` or spaces included: clients send the bare name), `USERNAME_NOT_OCCUPIED`
    /// for one nobody in the market holds, otherwise the person as `peerUser` with their
    /// `user`. The referer (a link's start parameter) changes nothing here.
    pub(super) fn resolve_username(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::contacts::ResolveUsername = decode(body)?;
        let me = self.account(context)?.account_id();
        let name = TelegramUsername::new(&request.username)
            .ok()
            .filter(|name| name.as_str().eq_ignore_ascii_case(&request.username))
            .ok_or_else(|| RpcFailure::bad_request("USERNAME_INVALID"))?;
        let user_id = self
            .market()
            .person(&name)
            .ok_or_else(|| RpcFailure::bad_request("USERNAME_NOT_OCCUPIED"))?;
        Ok(Reply::answer(&tl::enums::contacts::ResolvedPeer::Peer(
            tl::types::contacts::ResolvedPeer {
                peer: tl::enums::Peer::User(tl::types::PeerUser { user_id }),
                chats: Vec::new(),
                users: vec![plain_user(UserFields {
                    id: user_id,
                    access_hash: self.person_hash(me, user_id),
                    is_self: false,
                    premium: false,
                    // The directory keeps usernames only; the name shown is the username.
                    first_name: Some(name.as_str().to_owned()),
                    username: Some(name.as_str().to_owned()),
                })],
            },
        )))
    }

    /// Who receives what an invoice pays for, from its peer: the buyer itself
    /// (`inputPeerSelf`, or its own `inputPeerUser`), a person of the market's directory by
    /// their user id with this account's access hash for them, or a channel with this
    /// account's access hash. Anything else, a stale or another account's hash included, is
    /// `PEER_ID_INVALID`.
    pub(super) fn invoice_recipient(
        &self,
        me: AccountId,
        peer: &tl::enums::InputPeer,
    ) -> Result<Recipient, RpcFailure> {
        match peer {
            tl::enums::InputPeer::PeerSelf => Ok(Recipient::Buyer),
            tl::enums::InputPeer::User(user) if user.user_id == me.get() => Ok(Recipient::Buyer),
            tl::enums::InputPeer::User(user) => self
                .market()
                .person_by_id(user.user_id)
                .filter(|_| user.access_hash == self.person_hash(me, user.user_id))
                .map(Recipient::User)
                .ok_or_else(|| RpcFailure::bad_request("PEER_ID_INVALID")),
            channel => Ok(Recipient::Channel(self.input_peer_channel(me, channel)?)),
        }
    }
}
