//! Integration tests of the simulated market, on a virtual clock over tokio's paused time.

mod auction;
mod bot;
mod catalog;
mod competitors;
mod determinism;
mod drop_file;
mod faults;
mod flood;
mod login;
mod people;
mod purchase;
mod resale;
mod sim_login;
mod support;
