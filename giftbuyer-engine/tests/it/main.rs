//! Integration tests of the engine in virtual time, against a scripted Telegram.

mod auction_house;
mod bidder;
mod engine;
mod fake;
mod interactions;
mod manual;
mod on_sim;
mod sniper;
