//! Who receives a gift bought or bid for through the API: one of my channels, a Telegram user by
//! username, or (neither given) the buying account itself; read from a request's
//! `to_channel_id` and `to_username` and written back the same way.

use giftbuyer_core::ports::UserId;
use giftbuyer_core::{Recipient, ValueError};

use crate::error::ApiError;
use crate::state::AppState;

/// The recipient a pair of fields names, checked by the core's rules: a channel id, a username,
/// or neither for the buying account. A bad value or both at once is refused under the field
/// at fault (`fields.0` for the channel, `fields.1` for the username).
pub(crate) fn from_parts(
    channel: Option<i64>,
    username: Option<&str>,
    (channel_field, username_field): (&str, &str),
) -> Result<Recipient, ApiError> {
    Recipient::from_parts(channel, username).map_err(|error| {
        let field = match error {
            ValueError::ChannelId(_) => channel_field,
            _ => username_field,
        };
        let message = match error {
            ValueError::TwoRecipients => {
                format!("give either {channel_field} or {username_field}, not both")
            }
            other => other.to_string(),
        };
        ApiError::invalid(field, message)
    })
}

/// The recipient a request names. A channel must be one of `user`'s targets; a username must
/// be a valid one (`@name` or `name`); both at once is refused, naming both fields.
pub(crate) async fn from_request(
    state: &AppState,
    user: UserId,
    to_channel_id: Option<i64>,
    to_username: Option<&str>,
) -> Result<Recipient, ApiError> {
    let recipient = from_parts(to_channel_id, to_username, ("to_channel_id", "to_username"))?;
    let Some(channel) = recipient.channel() else {
        return Ok(recipient);
    };
    let mine = state
        .store()
        .targets(user)
        .await?
        .iter()
        .any(|known| known.recipient == recipient);
    if mine {
        Ok(recipient)
    } else {
        Err(ApiError::invalid(
            "to_channel_id",
            format!("{channel} is not one of my channels"),
        ))
    }
}

/// The receiving channel, for a response's `to_channel_id`.
pub(crate) fn channel(recipient: Recipient) -> Option<i64> {
    recipient.channel().map(giftbuyer_core::ChannelId::get)
}

/// The receiving person's username, for a response's `to_username`.
pub(crate) fn username(recipient: Recipient) -> Option<String> {
    recipient.user().map(|user| user.as_str().to_owned())
}

/// What a receiver is called in the audit log.
pub(crate) fn describe(recipient: Recipient) -> String {
    match recipient {
        Recipient::Channel(channel) => format!("channel {channel}"),
        Recipient::Buyer => "the buying account itself".to_owned(),
        Recipient::User(user) => format!("person {user}"),
    }
}
