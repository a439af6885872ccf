//! Integration tests of giftbuyer-telegram. Nothing here reaches Telegram: TL objects are built
//! by hand, the Bot API runs in-process on loopback, and MTProto calls go to a scripted fake.

mod account;
mod auction;
mod bot_api;
mod fixtures;
mod login;
mod login_port;
mod mapping;
mod requests;
mod resale;
mod session;
mod user_peer;
mod wiring;
