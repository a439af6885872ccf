//! The simulated notification bot: what it records and how it fails.

use std::sync::Arc;

use giftbuyer_core::ports::{BotError, ChatId, NotificationBot, Sticker};
use giftbuyer_sim::{BotConfig, BotContent, BotDelivery, SimBot, lottie};

use crate::support::*;

fn chat(raw: i64) -> ChatId {
    ChatId::new(raw).expect("valid chat")
}

fn sticker(gift: i64) -> Sticker {
    Sticker {
        gift_id: gift_id(gift),
        tgs: Arc::from(lottie::tgs(gift_id(gift))),
    }
}

#[tokio::test(start_paused = true)]
async fn the_bot_records_messages_and_stickers_with_their_times() {
    let clock = TestClock::new();
    let bot = SimBot::new(clock.clone(), BotConfig::default());
    bot.send_message(chat(42), "new gift: Plush Pepe".into())
        .await
        .expect("sent");
    bot.send_sticker(chat(42), sticker(9001))
        .await
        .expect("sent");
    bot.send_message(chat(-1001234567890), "report".into())
        .await
        .expect("sent");
    assert_eq!(
        bot.delivered(),
        [
            BotDelivery {
                chat: chat(42),
                content: BotContent::Text("new gift: Plush Pepe".into()),
                at: ms(50),
            },
            BotDelivery {
                chat: chat(42),
                content: BotContent::Sticker(gift_id(9001)),
                at: ms(100),
            },
            BotDelivery {
                chat: chat(-1001234567890),
                content: BotContent::Text("report".into()),
                at: ms(150),
            },
        ]
    );
    assert_eq!(bot.texts(chat(42)), ["new gift: Plush Pepe"]);
}

#[tokio::test(start_paused = true)]
async fn blocked_and_unknown_chats_fail_and_record_nothing() {
    let clock = TestClock::new();
    let mut config = BotConfig::default();
    config.blocked.insert(chat(1));
    config.missing.insert(chat(2));
    let bot = SimBot::new(clock, config);
    assert_eq!(
        bot.send_message(chat(1), "hi".into()).await,
        Err(BotError::Blocked)
    );
    assert_eq!(
        bot.send_sticker(chat(2), sticker(5)).await,
        Err(BotError::ChatNotFound(chat(2)))
    );
    assert!(bot.delivered().is_empty());

    bot.set_blocked(chat(1), false);
    bot.set_missing(chat(2), false);
    bot.set_blocked(chat(3), true);
    assert!(bot.send_message(chat(1), "hi".into()).await.is_ok());
    assert!(bot.send_message(chat(2), "hi".into()).await.is_ok());
    assert_eq!(
        bot.send_message(chat(3), "hi".into()).await,
        Err(BotError::Blocked)
    );
}

#[tokio::test(start_paused = true)]
async fn more_than_the_limit_per_second_in_a_chat_must_retry_after() {
    let clock = TestClock::new();
    let config = BotConfig {
        max_per_second_per_chat: Some(2),
        ..BotConfig::default()
    };
    let bot = SimBot::new(clock.clone(), config);
    // Delivered at 50 and 100 ms; the third, at 150 ms, is one too many in that second.
    assert!(bot.send_message(chat(7), "1".into()).await.is_ok());
    assert!(bot.send_message(chat(7), "2".into()).await.is_ok());
    assert_eq!(
        bot.send_message(chat(7), "3".into()).await,
        Err(BotError::RetryAfter { seconds: 1 })
    );
    assert!(
        bot.send_message(chat(8), "elsewhere".into()).await.is_ok(),
        "the limit is per chat"
    );
    clock.advance_to(ms(1_000)).await;
    // Lands at 1050 ms, when the message of 50 ms has left the window.
    assert!(bot.send_message(chat(7), "3 again".into()).await.is_ok());
    assert_eq!(bot.texts(chat(7)), ["1", "2", "3 again"]);
}
