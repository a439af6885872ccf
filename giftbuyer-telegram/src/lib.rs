//! GiftBuyer's real Telegram adapters: user accounts over MTProto through grammers (layer 230)
//! and notification bots over the Bot API.
//!
//! - [`mapping`]: pure conversions between Telegram's TL objects and the core's types.
//! - [`errors`]: grammers' errors mapped onto the core's `TelegramError`.
//! - [`bot_api`]: a small Bot API client implementing the core's `NotificationBot`.
//! - [`session`]: grammers' `Session` over an opaque blob the store keeps encrypted.
//! - [`retry`]: the flood-wait policy that never sleeps inside a purchase.
//! - [`transport`], [`account`]: the `TelegramAccount` port over one MTProto connection.
//! - [`login`]: phone -> code -> password logins, kept in memory between the panel's steps.
//! - [`login_port`]: the core's `TelegramLogin` port over [`login`].
//! - [`connector`]: the core's `Connector`, one leased connection per account and one bot
//!   client per user.
//! - [`dc_override`]: new sessions on a local (loopback) Telegram's DCs with pre-shared keys.

pub mod account;
pub mod bot_api;
pub mod connector;
pub mod dc_override;
pub mod errors;
pub mod login;
pub mod login_port;
pub mod mapping;
pub mod retry;
pub mod session;
pub mod transport;
