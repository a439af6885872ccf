//! Reports of the engine's side workers (the resale sniper, the auction bidder): sent to the
//! user's notification chats through the user's bot on a task of their own, so no purchase or
//! bid waits for the bot. A failed delivery is logged; the journals hold the truth either way.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{Connector, UserConfig};
use giftbuyer_core::report::{TELEGRAM_MESSAGE_LIMIT, split_message};

/// Sends `text` (split to Telegram's message limit) to each of the user's notification chats;
/// `what` names the report in the log.
pub(crate) async fn spawn_report(
    connector: &Arc<dyn Connector>,
    user: &UserConfig,
    text: String,
    timeout: Duration,
    what: &'static str,
) {
    if user.settings.notification_chats.is_empty() {
        return;
    }
    let bot = match connector.bot(user.user_id).await {
        Ok(Some(bot)) => bot,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(user = %user.user_id, %error, what, "no bot to send a report");
            return;
        }
    };
    let chats = user.settings.notification_chats.clone();
    let user_id = user.user_id;
    tokio::spawn(async move {
        for chat in chats {
            for message in split_message(&text, TELEGRAM_MESSAGE_LIMIT) {
                match tokio::time::timeout(timeout, bot.send_message(chat, message)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(user = %user_id, %error, what, "a report was not delivered");
                    }
                    Err(_) => {
                        tracing::warn!(user = %user_id, what, "a report timed out");
                    }
                }
            }
        }
    });
}
