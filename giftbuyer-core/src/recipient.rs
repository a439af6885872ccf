//! Who receives a gift: one of the user's channels, the buying account itself, or another
//! Telegram user by username.

use std::fmt;

use crate::{ChannelId, ValueError};

/// The longest Telegram username: 32 characters.
pub const MAX_USERNAME_CHARS: usize = 32;

/// A Telegram user's public username, without the `@`: 5 to 32 latin letters, digits and
/// underscores, starting with a letter, kept in lower case (Telegram compares usernames without
/// case). It is held inline so that a [`Recipient`] stays a small `Copy` value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TelegramUsername {
    bytes: [u8; MAX_USERNAME_CHARS],
    len: u8,
}

impl TelegramUsername {
    /// Checks a username as people type it: an optional leading `@`, surrounding spaces.
    pub fn new(text: &str) -> Result<Self, ValueError> {
        let name = text.trim();
        let name = name.strip_prefix('@').unwrap_or(name);
        let valid = (5..=MAX_USERNAME_CHARS).contains(&name.len())
            && name.starts_with(|ch: char| ch.is_ascii_alphabetic())
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            && !name.ends_with('_');
        if !valid {
            return Err(ValueError::TelegramUsername(
                text.chars().take(MAX_USERNAME_CHARS + 8).collect(),
            ));
        }
        let mut bytes = [0; MAX_USERNAME_CHARS];
        for (slot, byte) in bytes.iter_mut().zip(name.bytes()) {
            *slot = byte.to_ascii_lowercase();
        }
        Ok(Self {
            bytes,
            // At most 32, checked above.
            len: u8::try_from(name.len()).unwrap_or(u8::MAX),
        })
    }

    /// The username in lower case, without the `@`.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters, digits and underscores are ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for TelegramUsername {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.as_str())
    }
}

impl fmt::Debug for TelegramUsername {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TelegramUsername(@{})", self.as_str())
    }
}

/// Who receives a bought gift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recipient {
    /// One of the user's channels (`inputPeerChannel`).
    Channel(ChannelId),
    /// The buying account's own profile (`inputPeerSelf`).
    Buyer,
    /// Another Telegram user, by username (resolved to `inputPeerUser` when sending).
    User(TelegramUsername),
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Channel(channel) => write!(f, "ch={channel}"),
            Self::Buyer => f.write_str("self"),
            Self::User(user) => write!(f, "{user}"),
        }
    }
}

impl Recipient {
    /// The recipient that a pair of optional fields names, as requests, drop files and stored
    /// rows carry it: a channel id, a username, or neither for the buying account. Both at once
    /// is refused: a gift has one recipient.
    pub fn from_parts(channel: Option<i64>, username: Option<&str>) -> Result<Self, ValueError> {
        match (channel, username) {
            (None, None) => Ok(Self::Buyer),
            (Some(channel), None) => ChannelId::new(channel).map(Self::Channel),
            (None, Some(name)) => TelegramUsername::new(name).map(Self::User),
            (Some(_), Some(_)) => Err(ValueError::TwoRecipients),
        }
    }

    /// The receiving channel, when it is one.
    pub const fn channel(self) -> Option<ChannelId> {
        match self {
            Self::Channel(channel) => Some(channel),
            Self::Buyer | Self::User(_) => None,
        }
    }

    /// The receiving person, when it is one.
    pub const fn user(self) -> Option<TelegramUsername> {
        match self {
            Self::User(user) => Some(user),
            Self::Channel(_) | Self::Buyer => None,
        }
    }

    /// The recipient's kind as a stable code: `channel`, `self` or `user`.
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Channel(_) => "channel",
            Self::Buyer => "self",
            Self::User(_) => "user",
        }
    }
}
