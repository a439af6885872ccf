//! Router tests of the HTTP server against a real SQLite store in a temporary directory (a
//! mocked store where a test is about the store's failures), driven with
//! `tower::ServiceExt::oneshot`, plus one run of the real server on a loopback port.

mod support;

mod accounts;
mod auctions;
mod auth;
mod channel_check;
mod channels;
mod config_listener;
mod csrf;
mod errors;
mod gift_actions;
mod gifts;
mod headers;
mod history;
mod panel;
mod profiles;
mod rate_limits;
mod resale;
mod serve;
mod sessions;
mod settings;
mod stickers;
mod store_errors;
mod system;
mod tenancy;
