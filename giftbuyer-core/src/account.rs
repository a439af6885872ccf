//! A snapshot of a Telegram account's buying power: star balance and premium status.

use crate::{AccountId, Stars};

/// What the planner needs to know about an account at planning time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub balance: Stars,
    pub premium: bool,
}
