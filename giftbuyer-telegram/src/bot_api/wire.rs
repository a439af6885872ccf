//! The Bot API's JSON envelope and its errors mapped onto the core's `BotError`. Pure, so every
//! error rule is tested without a server.

use giftbuyer_core::ports::{BotError, ChatId};
use serde::Deserialize;

/// Every Bot API answer: `{"ok": true, "result": ...}` or `{"ok": false, "error_code": ...,
/// "description": ..., "parameters": {"retry_after": ...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    pub(crate) ok: bool,
    pub(crate) result: Option<T>,
    pub(crate) error_code: Option<i32>,
    pub(crate) description: Option<String>,
    pub(crate) parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Parameters {
    pub(crate) retry_after: Option<u32>,
}

/// `getMe`'s answer, the fields GiftBuyer shows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BotUser {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    pub username: Option<String>,
}

/// The parts of a sent `Message` that matter: the sticker's reusable `file_id`.
#[derive(Debug, Deserialize)]
pub(crate) struct SentMessage {
    pub(crate) sticker: Option<SentSticker>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SentSticker {
    pub(crate) file_id: String,
}

/// Reads an answer body: the result, or the error it carries.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(
    status: u16,
    body: &[u8],
    chat: Option<ChatId>,
) -> Result<T, BotError> {
    let envelope: Envelope<T> = serde_json::from_slice(body).map_err(|_| BotError::Api {
        code: i32::from(status),
        description: format!("unreadable bot api answer (http {status})"),
    })?;
    match envelope {
        Envelope {
            ok: true,
            result: Some(result),
            ..
        } => Ok(result),
        Envelope { ok: true, .. } => Err(BotError::Api {
            code: i32::from(status),
            description: "bot api answer without a result".to_owned(),
        }),
        Envelope {
            error_code,
            description,
            parameters,
            ..
        } => Err(map_error(
            error_code.unwrap_or(i32::from(status)),
            description.as_deref().unwrap_or(""),
            parameters.and_then(|parameters| parameters.retry_after),
            chat,
        )),
    }
}

/// Maps a Bot API error by code and description.
///
/// The Bot API gives most per-chat errors the same code (400 or 403), so the description
/// tells them apart; matching is on lowercase fragments that have been stable for years.
pub fn map_error(
    code: i32,
    description: &str,
    retry_after: Option<u32>,
    chat: Option<ChatId>,
) -> BotError {
    let text = description.to_lowercase();
    let per_chat = |make: fn(ChatId) -> BotError| match chat {
        Some(chat) => make(chat),
        None => BotError::Api {
            code,
            description: description.to_owned(),
        },
    };
    if code == 429 {
        // Without a `retry_after` the safest wait is a short one rather than none.
        return BotError::RetryAfter {
            seconds: retry_after.unwrap_or(1),
        };
    }
    if code == 401 || (code == 404 && chat.is_none()) {
        return BotError::Unauthorized;
    }
    if text.contains("bot was blocked by the user") || text.contains("user is deactivated") {
        return BotError::Blocked;
    }
    if text.contains("chat not found") || text.contains("can't initiate conversation") {
        return per_chat(BotError::ChatNotFound);
    }
    if text.contains("not enough rights")
        || text.contains("need administrator rights")
        || text.contains("have no rights to send")
        || text.contains("bot is not a member")
        || text.contains("bot was kicked")
        || text.contains("chat_write_forbidden")
    {
        return per_chat(BotError::NotAdmin);
    }
    BotError::Api {
        code,
        description: description.to_owned(),
    }
}
