//! Integration tests of the loopback Telegram: its protocol checks against hand-built packets,
//! and grammers' own sender talking to it over TCP.

mod catalog;
mod login;
mod protocol;
mod raw;
mod support;
