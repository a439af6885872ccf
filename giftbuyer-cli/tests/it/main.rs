//! Integration tests of the `giftbuyer` binary: runs it as a user would and checks its output.

mod account;
mod plan;
mod serve;
mod simulate;
mod soak;
mod store;
