//! `SimConnector`: hands the engine the simulated market's accounts and bot.

use std::sync::Arc;

use async_trait::async_trait;
use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{
    BotError, Connector, NotificationBot, TelegramAccount, TelegramError, UserId,
};

use crate::{Market, SimBot};

/// Connects the engine to a [`Market`]: every account the market knows, and one bot that
/// serves every user (a simulation has a single user of interest; tests that need one bot per
/// user can wrap their own).
#[derive(Clone)]
pub struct SimConnector {
    market: Market,
    bot: Option<SimBot>,
}

impl SimConnector {
    /// `bot` is `None` to simulate users without a bot token.
    pub fn new(market: Market, bot: Option<SimBot>) -> Self {
        Self { market, bot }
    }
}

impl std::fmt::Debug for SimConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConnector")
            .field("bot", &self.bot.is_some())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Connector for SimConnector {
    async fn account(&self, id: AccountId) -> Result<Arc<dyn TelegramAccount>, TelegramError> {
        // An account the market does not know has no valid session, which is what Telegram
        // answers for a revoked login.
        self.market
            .account(id)
            .map(|account| Arc::new(account) as Arc<dyn TelegramAccount>)
            .ok_or(TelegramError::AuthKeyUnregistered)
    }

    async fn bot(&self, _user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError> {
        let bot = self
            .bot
            .clone()
            .map(|bot| Arc::new(bot) as Arc<dyn NotificationBot>);
        Ok(bot)
    }
}
