//! The store's integration tests: a contract suite run on SQLite (a temporary file) and, when
//! `GIFTBUYER_TEST_PG_URL` names a PostgreSQL server, on a fresh database there per test.

mod support;

mod bids;
mod catalog;
mod coordination;
mod engine_failover;
mod exclude_priority;
mod history;
mod journal;
mod migrations;
mod panel;
mod resale;
mod revoked;
mod secrets;
mod settings;
mod targets;
mod tenancy;
