//! A gift's recipient as the two columns every table that stores one has: `channel_id` and
//! `username`.
//!
//! A channel sets `channel_id`, a person sets `username` (lower case, without the `@`), and
//! the buying account itself leaves both NULL. Targets, the purchase journal, resale watches,
//! the resale journal, auction plans and the bid journal all store a recipient this way, so
//! that one reading of the columns holds everywhere. Both columns set is a corrupt row: the
//! tables of targets and of the purchase journal refuse it with a CHECK, and every read refuses
//! it too, for the tables that predate such checks.

use giftbuyer_core::{ChannelId, Recipient, TelegramUsername};

use crate::Error;
use crate::db::RowExt;

/// The recipient's channel column: the channel's id, or NULL for a user or the account itself.
pub(crate) fn recipient_column(recipient: Recipient) -> Option<i64> {
    recipient.channel().map(ChannelId::get)
}

/// The recipient's username column: the user's username, or NULL for a channel or the account.
pub(crate) fn recipient_username(recipient: Recipient) -> Option<String> {
    recipient.user().map(|user| user.as_str().to_owned())
}

/// The recipient from its two columns; both set, a channel id outside the Bot API form or a
/// username Telegram would refuse is a corrupt row.
pub(crate) fn recipient_from_columns(
    channel: Option<i64>,
    username: Option<String>,
) -> Result<Recipient, Error> {
    match (channel, username) {
        (None, None) => Ok(Recipient::Buyer),
        (Some(channel), None) => ChannelId::new(channel)
            .map(Recipient::Channel)
            .map_err(|e| Error::corrupt("recipient channel_id", e)),
        (None, Some(username)) => TelegramUsername::new(&username)
            .map(Recipient::User)
            .map_err(|e| Error::corrupt("recipient username", e)),
        (Some(_), Some(_)) => Err(Error::corrupt(
            "recipient",
            "both a channel and a username".to_owned(),
        )),
    }
}

/// The recipient of a row with `channel_id` and `username` columns.
pub(crate) fn recipient_of<R: RowExt>(row: &R) -> Result<Recipient, Error> {
    recipient_from_columns(row.opt_int("channel_id")?, row.opt_text("username")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_round_trip_through_their_columns() {
        let channel = Recipient::Channel(ChannelId::new(-1001234567890).expect("channel"));
        let user = Recipient::User(TelegramUsername::new("gift_friend").expect("username"));
        for recipient in [channel, Recipient::Buyer, user] {
            let columns = (recipient_column(recipient), recipient_username(recipient));
            assert_eq!(
                recipient_from_columns(columns.0, columns.1).ok(),
                Some(recipient)
            );
        }
    }

    #[test]
    fn unreadable_columns_are_corrupt_rows() {
        for (channel, username, what) in [
            (Some(5), None, "recipient channel_id"),
            (None, Some("a b".to_owned()), "recipient username"),
            (
                Some(-1001234567890),
                Some("gift_friend".to_owned()),
                "recipient",
            ),
        ] {
            let error = recipient_from_columns(channel, username).expect_err("corrupt");
            assert!(
                matches!(error, Error::Corrupt { what: found, .. } if found == what),
                "{error}"
            );
        }
    }
}
