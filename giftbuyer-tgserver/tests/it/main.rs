//! Integration tests of the loopback Telegram: its protocol checks against hand-built packets,
//! and grammers' own sender talking to it over TCP.

mod adapter_login;
mod auction;
mod catalog;
mod login;
mod payments;
mod people;
mod protocol;
mod raw;
mod resale;
mod support;
