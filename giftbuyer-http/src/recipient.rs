//! Who receives a gift bought or bid for through the API: one of my channels, a Telegram user by
//! username, or (neither given) the buying account itself; read from a request's
//! `to_channel_id` and `to_username` and written back the same way.

use giftbuyer_core::ChannelId;
use giftbuyer_core::ports::UserId;
use giftbuyer_core::resale::{Recipient, TelegramUsername};

use crate::error::ApiError;
use crate::state::AppState;

/// The recipient a request names. A channel must be one of `user`'s; a username must be a
/// valid one (`@name` or `name`); both at once is refused, naming both fields.
pub(crate) async fn from_request(
    state: &AppState,
    user: UserId,
    to_channel_id: Option<i64>,
    to_username: Option<&str>,
) -> Result<Recipient, ApiError> {
    match (to_channel_id, to_username) {
        (None, None) => Ok(Recipient::Buyer),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "to_username",
            "give either to_channel_id or to_username, not both".to_owned(),
        )),
        (None, Some(name)) => TelegramUsername::new(name)
            .map(Recipient::User)
            .map_err(|error| ApiError::invalid("to_username", error.to_string())),
        (Some(raw), None) => {
            let channel = ChannelId::new(raw)
                .map_err(|error| ApiError::invalid("to_channel_id", error.to_string()))?;
            let mine = state
                .store()
                .channels(user)
                .await?
                .iter()
                .any(|known| known.channel_id == channel);
            if mine {
                Ok(Recipient::Channel(channel))
            } else {
                Err(ApiError::invalid(
                    "to_channel_id",
                    format!("{raw} is not one of my channels"),
                ))
            }
        }
    }
}

/// The receiving channel, for a response's `to_channel_id`.
pub(crate) fn channel(recipient: Recipient) -> Option<i64> {
    match recipient {
        Recipient::Channel(channel) => Some(channel.get()),
        Recipient::Buyer | Recipient::User(_) => None,
    }
}

/// The receiving person's username, for a response's `to_username`.
pub(crate) fn username(recipient: Recipient) -> Option<String> {
    match recipient {
        Recipient::User(user) => Some(user.as_str().to_owned()),
        Recipient::Channel(_) | Recipient::Buyer => None,
    }
}
