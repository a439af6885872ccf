//! A user receiving a gift by username: `contacts.resolveUsername` and the `inputPeerUser` its
//! answer gives.

use giftbuyer_core::ports::TelegramError;
use giftbuyer_core::resale::TelegramUsername;
use grammers_tl_types::{enums, functions, types};

use crate::errors::unexpected;

/// `contacts.resolveUsername#725afbbc username:string` for `username`.
pub fn resolve_username_request(
    username: TelegramUsername,
) -> functions::contacts::ResolveUsername {
    functions::contacts::ResolveUsername {
        username: username.as_str().to_owned(),
        referer: None,
    }
}

/// The user the answer names, as `(user_id, access_hash)`. A username of a channel, a group or
/// a bot is refused: a gift for a person must not land anywhere else.
pub fn resolved_user(answer: &enums::contacts::ResolvedPeer) -> Result<(i64, i64), TelegramError> {
    let enums::contacts::ResolvedPeer::Peer(answer) = answer;
    let enums::Peer::User(types::PeerUser { user_id }) = answer.peer else {
        return Err(unexpected("the username is not a user's"));
    };
    let user = answer.users.iter().find_map(|user| match user {
        enums::User::User(user) if user.id == user_id => Some(user),
        enums::User::User(_) | enums::User::Empty(_) => None,
    });
    let user = user.ok_or_else(|| unexpected("the resolved user is missing from the answer"))?;
    if user.bot {
        return Err(unexpected("the username is a bot's"));
    }
    let access_hash = user
        .access_hash
        .ok_or_else(|| unexpected("the resolved user has no access hash"))?;
    Ok((user_id, access_hash))
}

/// `inputPeerUser#dde8a54c` for a resolved user.
pub fn input_peer_user(user_id: i64, access_hash: i64) -> enums::InputPeer {
    enums::InputPeer::User(types::InputPeerUser {
        user_id,
        access_hash,
    })
}
