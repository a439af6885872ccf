//! GiftBuyer's self-hosted HTTP server: the JSON API and the embedded web panel.
//!
//! This crate is a placeholder until the server issue lands; it depends on the core only, so
//! the dependency direction (adapters point inward) is fixed from the start.
