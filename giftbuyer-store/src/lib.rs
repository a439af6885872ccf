//! Persistence for GiftBuyer: SQLite by default, PostgreSQL for multi-instance deployments.
//!
//! This crate is a placeholder until the storage issue lands; it depends on the core only, so
//! the dependency direction (adapters point inward) is fixed from the start.
