//! `BotApi`: one bot's client, its sticker `file_id` cache, and the `NotificationBot` port.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::GiftId;
use giftbuyer_core::ports::{BotError, ChatId, NotificationBot, Secret, Sticker};
use giftbuyer_core::report::{TELEGRAM_MESSAGE_LIMIT, split_message};
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use serde_json::json;

use super::wire::{BotUser, SentMessage, parse};

/// Telegram's public Bot API server.
pub const DEFAULT_BOT_API_URL: &str = "https://api.telegram.org";

/// The MIME type Telegram expects for animated stickers.
const TGS_MIME: &str = "application/x-tgsticker";

/// Where and how a bot reaches the Bot API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotApiConfig {
    /// `https://api.telegram.org`, a self-hosted Bot API server, or a test server.
    pub base_url: String,
    /// Upper bound on one HTTP call, upload included.
    pub timeout: Duration,
}

impl Default for BotApiConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BOT_API_URL.to_owned(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// One bot, with its token.
///
/// The token is part of every request path (`/bot<token>/method`), so it is kept in a
/// [`Secret`], left out of `Debug`, and every HTTP error is stripped of its URL before it
/// becomes a [`BotError`]: it can reach neither a log line nor an error message.
#[derive(Clone)]
pub struct BotApi {
    http: reqwest::Client,
    base_url: String,
    token: Secret<String>,
    /// The `file_id` Telegram returned for each gift's sticker, so a sticker is uploaded once
    /// per bot (a `file_id` is only valid for the bot that received it).
    stickers: Arc<Mutex<HashMap<GiftId, String>>>,
}

impl fmt::Debug for BotApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotApi")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl BotApi {
    /// A client for the bot with `token`.
    ///
    /// A token that does not look like `<digits>:<letters, digits, - and _>` is refused as
    /// [`BotError::Unauthorized`] before any request: it goes into the URL path, and a `/` or a
    /// `?` in it would send the request elsewhere.
    pub fn new(token: Secret<String>, config: BotApiConfig) -> Result<Self, BotError> {
        if !valid_token(token.expose()) {
            return Err(BotError::Unauthorized);
        }
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&base_url).is_err() {
            return Err(BotError::Api {
                code: 0,
                description: format!("invalid bot api url {base_url}"),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|error| BotError::Network(error.without_url().to_string()))?;
        Ok(Self {
            http,
            base_url,
            token,
            stickers: Arc::default(),
        })
    }

    /// `getMe`: checks the token and gives the bot's identity (to show its username).
    pub async fn get_me(&self) -> Result<BotUser, BotError> {
        self.call("getMe", None, self.http.post(self.url("getMe")))
            .await
    }

    /// `sendMessage` as plain text (no parse mode, so untrusted titles cannot inject markup).
    ///
    /// Text longer than Telegram's 4096 UTF-16 units is cut on line boundaries and sent as
    /// several messages; the engine already splits reports, so this is a safety net.
    pub async fn send_text(&self, chat: ChatId, text: &str) -> Result<(), BotError> {
        for part in split_message(text, TELEGRAM_MESSAGE_LIMIT) {
            let request = self
                .http
                .post(self.url("sendMessage"))
                .json(&json!({ "chat_id": chat.get(), "text": part }));
            self.call::<serde_json::Value>("sendMessage", Some(chat), request)
                .await?;
        }
        Ok(())
    }

    /// `sendSticker`: by cached `file_id` when this bot sent the gift's sticker before,
    /// otherwise by uploading the `.tgs`, whose `file_id` is then cached.
    ///
    /// A cached `file_id` that Telegram no longer accepts is forgotten and the sticker is
    /// uploaded again, once.
    pub async fn send_sticker_file(&self, chat: ChatId, sticker: &Sticker) -> Result<(), BotError> {
        if let Some(file_id) = self.cached_file_id(sticker.gift_id) {
            let request = self
                .http
                .post(self.url("sendSticker"))
                .json(&json!({ "chat_id": chat.get(), "sticker": file_id }));
            match self
                .call::<serde_json::Value>("sendSticker", Some(chat), request)
                .await
            {
                Err(BotError::Api {
                    code: 400,
                    description,
                }) if description.to_lowercase().contains("file") => {
                    self.forget_file_id(sticker.gift_id);
                }
                result => return result.map(drop),
            }
        }
        let part = Part::bytes(sticker.tgs.to_vec())
            .file_name(format!("{}.tgs", sticker.gift_id))
            .mime_str(TGS_MIME)
            .map_err(|error| BotError::Network(error.without_url().to_string()))?;
        let form = Form::new()
            .text("chat_id", chat.get().to_string())
            .part("sticker", part);
        let request = self.http.post(self.url("sendSticker")).multipart(form);
        let sent: SentMessage = self.call("sendSticker", Some(chat), request).await?;
        if let Some(sent) = sent.sticker {
            self.stickers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(sticker.gift_id, sent.file_id);
        }
        Ok(())
    }

    /// The cached `file_id` of a gift's sticker for this bot.
    pub fn cached_file_id(&self, gift: GiftId) -> Option<String> {
        self.stickers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&gift)
            .cloned()
    }

    fn forget_file_id(&self, gift: GiftId) {
        self.stickers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&gift);
    }

    fn url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.base_url, self.token.expose())
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: &'static str,
        chat: Option<ChatId>,
        request: reqwest::RequestBuilder,
    ) -> Result<T, BotError> {
        let response = request.send().await.map_err(network_error)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(network_error)?;
        let result = parse(status, &body, chat);
        if let Err(error) = &result {
            tracing::debug!(method, %error, "bot api call failed");
        }
        result
    }
}

/// A transport error without its URL, which holds the token.
fn network_error(error: reqwest::Error) -> BotError {
    let timeout = error.is_timeout();
    let error = error.without_url();
    if timeout {
        BotError::Network(format!("timed out: {error}"))
    } else {
        BotError::Network(error.to_string())
    }
}

/// `<bot id>:<secret>`, the shape of every Bot API token.
fn valid_token(token: &str) -> bool {
    match token.split_once(':') {
        Some((id, secret)) => {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !secret.is_empty()
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
        None => false,
    }
}

#[async_trait]
impl NotificationBot for BotApi {
    async fn send_message(&self, chat: ChatId, text: String) -> Result<(), BotError> {
        self.send_text(chat, &text).await
    }

    async fn send_sticker(&self, chat: ChatId, sticker: Sticker) -> Result<(), BotError> {
        self.send_sticker_file(chat, &sticker).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_have_the_bot_api_shape() {
        assert!(valid_token("123456:ABC-def_ghi"));
        for bad in [
            "", "123456", ":abc", "abc:def", "1:a/b", "1:a?b", "1:", "1:a b",
        ] {
            assert!(!valid_token(bad), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let bot = BotApi::new(
            Secret::new("123456:SECRET-token".to_owned()),
            BotApiConfig::default(),
        )
        .expect("valid");
        let shown = format!("{bot:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
