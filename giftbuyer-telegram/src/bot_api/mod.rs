//! A small Bot API client: `getMe`, `sendMessage` and `sendSticker` with the `.tgs` uploaded
//! once per bot and gift, behind the core's `NotificationBot` port.

mod client;
mod wire;

pub use client::{BotApi, BotApiConfig, DEFAULT_BOT_API_URL};
pub use wire::{BotUser, map_error};
