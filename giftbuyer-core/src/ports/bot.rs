//! The port to a Telegram bot that sends notifications and reports to the user.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{GiftId, ValueError};

/// A chat a bot can write to: a user (positive id), a group or a channel (negative id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChatId(i64);

impl ChatId {
    /// Accepts any non-zero Bot API chat id.
    pub const fn new(raw: i64) -> Result<Self, ValueError> {
        if raw != 0 {
            Ok(Self(raw))
        } else {
            Err(ValueError::ChatId(raw))
        }
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A gift's sticker, ready to upload. The gift id lets a bot cache the `file_id` Telegram
/// returns, so each sticker is uploaded once per bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sticker {
    pub gift_id: GiftId,
    /// The `.tgs` file (gzipped Lottie JSON).
    pub tgs: Arc<[u8]>,
}

/// Why a bot could not deliver a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotError {
    #[error("the user blocked the bot")]
    Blocked,
    #[error("chat {0} not found; the user must start the bot first")]
    ChatNotFound(ChatId),
    #[error("the bot is not an administrator of chat {0}")]
    NotAdmin(ChatId),
    #[error("the bot token was rejected")]
    Unauthorized,
    #[error("too many requests, retry in {seconds} s")]
    RetryAfter { seconds: u32 },
    #[error("bot API error {code}: {description}")]
    Api { code: i32, description: String },
    #[error("network error: {0}")]
    Network(String),
}

/// A bot acting for one user (with that user's token).
#[async_trait]
pub trait NotificationBot: Send + Sync {
    async fn send_message(&self, chat: ChatId, text: String) -> Result<(), BotError>;

    async fn send_sticker(&self, chat: ChatId, sticker: Sticker) -> Result<(), BotError>;
}
