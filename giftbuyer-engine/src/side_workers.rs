//! What the engine's side workers (the resale sniper, the auction bidder) share: their reports,
//! sent to the user's notification chats through the user's bot on a task of their own so no
//! purchase or bid waits for the bot (a failed delivery is logged; the journals hold the truth
//! either way), and the jitter added to a flood wait.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::AccountId;
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

/// A deterministic share of `bound` for this account and wait, added to a flood wait so that
/// accounts told to wait at once come back spread out, and a test can predict when.
pub(crate) fn flood_jitter(bound: Duration, account: AccountId, seconds: u32) -> Duration {
    let bound = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
    if bound == 0 {
        return Duration::ZERO;
    }
    let mixed = (account.get() as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(seconds));
    Duration::from_millis((mixed >> 11) % (bound.saturating_add(1)))
}
