//! Telling the user: new-gift notifications (sticker and text) and report delivery, through the
//! user's bot. Nothing here is awaited by buying.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{BotError, ChatId, NotificationBot, Sticker, UserConfig, UserId};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{AccountId, CatalogGift, GiftId};

use crate::EngineEvent;
use crate::engine::{Shared, lock};

/// The longest `retry_after` the engine honours before giving a message up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Sends a message, waiting out one rate limit; other failures are returned.
pub(crate) async fn deliver(
    shared: &Shared,
    bot: &dyn NotificationBot,
    chat: ChatId,
    text: String,
) -> Result<(), BotError> {
    match bot.send_message(chat, text.clone()).await {
        Err(BotError::RetryAfter { seconds })
            if Duration::from_secs(u64::from(seconds)) <= MAX_RETRY_AFTER =>
        {
            shared
                .clock
                .sleep(Duration::from_secs(u64::from(seconds)))
                .await;
            bot.send_message(chat, text).await
        }
        result => result,
    }
}

/// What [`EngineEvent::DeliveryFailed`] names for a new gift's sticker and its text.
const NEW_GIFT_STICKER: &str = "the new gift's sticker";
const NEW_GIFT_TEXT: &str = "the new-gift notification";

/// Puts a message that could not be delivered on record as an event.
fn delivery_failed(
    shared: &Shared,
    user: UserId,
    chat: ChatId,
    what: &'static str,
    error: &BotError,
) {
    shared.emit(EngineEvent::DeliveryFailed {
        user,
        chat,
        what,
        error: error.to_string(),
    });
}

/// The user's bot, or `None` when the user has none or it cannot be reached (logged, naming
/// `what` was to be sent).
async fn user_bot(
    shared: &Shared,
    user: UserId,
    what: &'static str,
) -> Option<Arc<dyn NotificationBot>> {
    match shared.connector.bot(user).await {
        Ok(bot) => bot,
        Err(error) => {
            tracing::warn!(%user, %error, what, "cannot reach the user's bot");
            None
        }
    }
}

/// Sends messages (a run's report, a notice; `what` names them in the log) to each recipient
/// through the user's bot; a failing chat does not stop the others.
pub(crate) async fn deliver_messages(
    shared: Arc<Shared>,
    user: UserId,
    recipients: Vec<ChatId>,
    messages: Vec<String>,
    what: &'static str,
) {
    let Some(bot) = user_bot(&shared, user, what).await else {
        return;
    };
    for chat in recipients {
        for message in &messages {
            if let Err(error) = deliver(&shared, bot.as_ref(), chat, message.clone()).await {
                tracing::warn!(%user, %chat, %error, what, "message not delivered");
                delivery_failed(&shared, user, chat, what, &error);
                break;
            }
        }
    }
}

/// Announces new gifts to the user's notification chats: the sticker, then a short text.
pub(crate) async fn new_gifts(
    shared: Arc<Shared>,
    user: UserConfig,
    downloader: AccountId,
    gifts: Arc<[CatalogGift]>,
) {
    let Some(bot) = user_bot(&shared, user.user_id, "new-gift notifications").await else {
        return;
    };
    let lang = user.settings.report_lang;
    for gift in gifts.iter() {
        let Ok(gift_id) = GiftId::new(gift.id) else {
            continue;
        };
        let sticker = sticker(&shared, downloader, gift_id, gift).await;
        let text = announcement(gift, lang);
        for &chat in &user.settings.notification_chats {
            if let Some(tgs) = &sticker {
                let sticker = Sticker {
                    gift_id,
                    tgs: tgs.clone(),
                };
                if let Err(error) = bot.send_sticker(chat, sticker).await {
                    tracing::warn!(user = %user.user_id, %chat, %error, "sticker not delivered");
                    delivery_failed(&shared, user.user_id, chat, NEW_GIFT_STICKER, &error);
                }
            }
            if let Err(error) = deliver(&shared, bot.as_ref(), chat, text.clone()).await {
                tracing::warn!(user = %user.user_id, %chat, %error, "notification not delivered");
                delivery_failed(&shared, user.user_id, chat, NEW_GIFT_TEXT, &error);
            }
        }
    }
}

/// How many gifts' stickers are kept. A sticker is only needed while a drop is announced to
/// each user, so a few recent ones suffice; keeping every gift's for the life of the server
/// would grow without bound (a real `.tgs` weighs tens of kilobytes).
const CACHED_STICKERS: usize = 16;

/// The stickers of the latest gifts announced, oldest first.
#[derive(Debug, Default)]
pub(crate) struct StickerCache {
    recent: std::collections::VecDeque<(GiftId, Arc<[u8]>)>,
}

impl StickerCache {
    fn get(&self, gift: GiftId) -> Option<Arc<[u8]>> {
        self.recent
            .iter()
            .find(|(id, _)| *id == gift)
            .map(|(_, tgs)| tgs.clone())
    }

    /// Keeps the gift's sticker, forgetting the oldest beyond [`CACHED_STICKERS`].
    fn insert(&mut self, gift: GiftId, tgs: Arc<[u8]>) {
        self.recent.retain(|(id, _)| *id != gift);
        self.recent.push_back((gift, tgs));
        while self.recent.len() > CACHED_STICKERS {
            self.recent.pop_front();
        }
    }
}

/// The gift's `.tgs`, downloaded once per gift and shared by every user's notification.
async fn sticker(
    shared: &Shared,
    downloader: AccountId,
    gift_id: GiftId,
    gift: &CatalogGift,
) -> Option<Arc<[u8]>> {
    if let Some(cached) = lock(&shared.stickers).get(gift_id) {
        return Some(cached);
    }
    let reference = gift.sticker.clone()?;
    let download = async {
        let account = shared.connector.account(downloader).await?;
        account.download_sticker(reference).await
    };
    match tokio::time::timeout(shared.config.call_timeout, download).await {
        Ok(Ok(bytes)) => {
            let bytes: Arc<[u8]> = bytes.into();
            lock(&shared.stickers).insert(gift_id, bytes.clone());
            Some(bytes)
        }
        Ok(Err(error)) => {
            tracing::warn!(gift = %gift_id, %error, "cannot download the gift's sticker");
            None
        }
        Err(_) => {
            tracing::warn!(gift = %gift_id, "downloading the gift's sticker timed out");
            None
        }
    }
}

/// The short text announcing a gift.
pub(crate) fn announcement(gift: &CatalogGift, lang: Lang) -> String {
    let (new_gift, unlimited, premium, per_user) = match lang {
        Lang::En => ("🎁 New gift", "unlimited", "⭐ Premium only", "per user"),
        Lang::Ru => (
            "🎁 Новый подарок",
            "без лимита",
            "⭐ Только Premium",
            "на пользователя",
        ),
    };
    let (auction, per_round, starts) = match lang {
        Lang::En => ("🔨 Auction (bids only)", "per round", "starts"),
        Lang::Ru => ("🔨 Аукцион (только ставки)", "за раунд", "начало"),
    };
    let mut text = format!("{new_gift} {}", gift.id);
    if let Some(title) = gift.title.as_deref() {
        let title: String = title
            .chars()
            .map(|ch| if ch.is_control() { ' ' } else { ch })
            .take(64)
            .collect();
        text.push_str(&format!(" «{}»", title.trim()));
    }
    text.push_str(&format!("\n💰 {}⭐", gift.price));
    match (gift.limited, gift.supply) {
        (true, Some(supply)) => {
            let remaining = gift.remaining.unwrap_or(0);
            text.push_str(&format!(" | 📦 {remaining}/{supply}"));
        }
        _ => text.push_str(&format!(" | {unlimited}")),
    }
    if gift.require_premium {
        text.push_str(&format!("\n{premium}"));
    }
    if let Some(cap) = gift.per_user_remains {
        text.push_str(&format!("\n👤 {cap} {per_user}"));
    }
    if let Some(details) = &gift.auction {
        text.push_str(&format!("\n{auction}"));
        if details.gifts_per_round > 0 {
            text.push_str(&format!(" | {} {per_round}", details.gifts_per_round));
        }
        if let Some(start) = details.starts_at() {
            text.push_str(&format!(" | {starts} {start}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sticker_cache_keeps_only_the_latest_gifts() {
        let gift = |n: i64| GiftId::new(n).expect("valid id");
        let mut cache = StickerCache::default();
        for n in 1..=40 {
            cache.insert(gift(n), Arc::from(vec![u8::try_from(n).expect("small")]));
        }
        assert_eq!(cache.recent.len(), CACHED_STICKERS);
        assert_eq!(cache.get(gift(24)), None);
        assert_eq!(cache.get(gift(40)).as_deref(), Some(&[40_u8][..]));
        // Storing a gift again refreshes it rather than keeping two copies.
        cache.insert(gift(25), Arc::from(vec![0]));
        cache.insert(gift(41), Arc::from(vec![41]));
        assert_eq!(cache.recent.len(), CACHED_STICKERS);
        assert_eq!(cache.get(gift(25)).as_deref(), Some(&[0_u8][..]));
        assert_eq!(cache.get(gift(26)), None);
    }

    #[test]
    fn announces_price_supply_and_restrictions() {
        let gift = CatalogGift {
            id: 77,
            price: 2500,
            limited: true,
            supply: Some(5000),
            remaining: Some(4990),
            require_premium: true,
            per_user_remains: Some(2),
            title: Some("Rocket\nlaunch".into()),
            ..CatalogGift::default()
        };
        assert_eq!(
            announcement(&gift, Lang::En),
            "🎁 New gift 77 «Rocket launch»\n💰 2500⭐ | 📦 4990/5000\n⭐ Premium only\n👤 2 per user"
        );
        let plain = CatalogGift {
            id: 5,
            price: 15,
            ..CatalogGift::default()
        };
        assert_eq!(
            announcement(&plain, Lang::Ru),
            "🎁 Новый подарок 5\n💰 15⭐ | без лимита"
        );
        let auctioned = CatalogGift {
            id: 9,
            price: 100,
            limited: true,
            supply: Some(500),
            remaining: Some(500),
            auction: Some(giftbuyer_core::GiftAuction {
                slug: "pepe".into(),
                gifts_per_round: 50,
                start_date: 1_764_000_000,
            }),
            ..CatalogGift::default()
        };
        assert_eq!(
            announcement(&auctioned, Lang::En),
            "🎁 New gift 9\n💰 100⭐ | 📦 500/500\n🔨 Auction (bids only) | 50 per round | starts 2025-11-24 16:00:00 UTC"
        );
        assert_eq!(
            announcement(&auctioned, Lang::Ru),
            "🎁 Новый подарок 9\n💰 100⭐ | 📦 500/500\n🔨 Аукцион (только ставки) | 50 за раунд | начало 2025-11-24 16:00:00 UTC"
        );
    }
}
