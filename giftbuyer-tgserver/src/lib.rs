//! A loopback Telegram: `giftbuyer-sim`'s market served over real MTProto 2.0 on TCP, so that
//! GiftBuyer's grammers adapters (sender, session, requests and answer parsing) run end to end
//! over a socket without reaching Telegram.
//!
//! The protocol layer (`framing`, `crypto`, `wire`, `session`, `connection`) is written from
//! Telegram's public MTProto documentation and decodes requests with the layer-230 types of
//! `grammers-tl-types`. Auth keys are pre-shared (`keys`): grammers pins Telegram's RSA keys,
//! so the key exchange cannot run against a local server; everything after it is real.

mod backend;
mod client;
mod connection;
pub mod crypto;
mod faults;
pub mod framing;
mod keys;
mod market;
pub mod rpc;
mod server;
pub mod session;
pub mod srp;
pub mod wire;

pub use backend::{Backend, CallContext, NoMethods, allowed_without_login, unknown_method};
pub use client::{KeyIssuer, write_keys_file};
pub use crypto::AuthKey;
pub use faults::{FaultAction, FaultRule, Faults};
pub use keys::{KeyEntry, KeyRing, KeyRingError, decode_key, write_private};
pub use market::MarketBackend;
pub use rpc::{ClientInfo, Query, Reply, RpcFailure, decode};
pub use server::{DcAddress, ServerError, ServerOptions, Stats, TgServer};
