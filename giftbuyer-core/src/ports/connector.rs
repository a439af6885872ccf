//! The port that hands the engine a live connection for an account or a user's bot.

use std::sync::Arc;

use async_trait::async_trait;

use super::{BotError, NotificationBot, TelegramAccount, TelegramError, UserId};
use crate::AccountId;

/// Opens (or reuses) connections. The engine asks for an account or a bot when it needs one,
/// so adapters can connect lazily, keep connections alive and reconnect after a failure.
#[async_trait]
pub trait Connector: Send + Sync {
    /// A connected account, or why it cannot be used (e.g. its session was revoked).
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError>;

    /// The user's bot, or `None` when the user has not set a bot token.
    async fn bot(&self, user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError>;
}
