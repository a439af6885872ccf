//! `SimBot`: the notification bot port in simulation. It records every message and sticker it
//! delivers and fails the way the Bot API does: blocked, chat not found, too many requests.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::GiftId;
use giftbuyer_core::ports::{BotError, ChatId, Clock, NotificationBot, Sticker};

use crate::flood::ceil_secs;

/// How the simulated bot behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotConfig {
    /// How long a Bot API request takes, there and back.
    pub latency: Duration,
    /// Chats whose user blocked the bot.
    pub blocked: BTreeSet<ChatId>,
    /// Chats the bot has never seen (the user never pressed Start).
    pub missing: BTreeSet<ChatId>,
    /// At most this many deliveries per chat in any one second; `None` for no limit. The Bot
    /// API allows about one message per second in a private chat.
    pub max_per_second_per_chat: Option<u32>,
}

impl Default for BotConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(50),
            blocked: BTreeSet::new(),
            missing: BTreeSet::new(),
            max_per_second_per_chat: None,
        }
    }
}

/// What the bot delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotContent {
    Text(String),
    /// A gift's sticker, by the gift it shows.
    Sticker(GiftId),
}

/// One delivery, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotDelivery {
    pub chat: ChatId,
    pub content: BotContent,
    /// When the Bot API accepted it, on the bot's clock.
    pub at: Duration,
}

/// A simulated bot. Clones share the same record.
#[derive(Clone)]
pub struct SimBot {
    clock: Arc<dyn Clock>,
    state: Arc<Mutex<BotState>>,
}

#[derive(Debug)]
struct BotState {
    config: BotConfig,
    delivered: Vec<BotDelivery>,
    recent: BTreeMap<ChatId, VecDeque<Duration>>,
}

impl SimBot {
    pub fn new(clock: Arc<dyn Clock>, config: BotConfig) -> Self {
        Self {
            clock,
            state: Arc::new(Mutex::new(BotState {
                config,
                delivered: Vec::new(),
                recent: BTreeMap::new(),
            })),
        }
    }

    /// Everything delivered so far, in order.
    pub fn delivered(&self) -> Vec<BotDelivery> {
        self.with_state(|state| state.delivered.clone())
    }

    /// The texts delivered to one chat, in order.
    pub fn texts(&self, chat: ChatId) -> Vec<String> {
        self.with_state(|state| {
            state
                .delivered
                .iter()
                .filter(|delivery| delivery.chat == chat)
                .filter_map(|delivery| match &delivery.content {
                    BotContent::Text(text) => Some(text.clone()),
                    BotContent::Sticker(_) => None,
                })
                .collect()
        })
    }

    /// The user of `chat` blocks (`true`) or unblocks the bot.
    pub fn set_blocked(&self, chat: ChatId, blocked: bool) {
        self.with_state(|state| toggle(&mut state.config.blocked, chat, blocked));
    }

    /// Makes `chat` unknown to the bot (`true`), or known again.
    pub fn set_missing(&self, chat: ChatId, missing: bool) {
        self.with_state(|state| toggle(&mut state.config.missing, chat, missing));
    }

    fn with_state<R>(&self, step: impl FnOnce(&mut BotState) -> R) -> R {
        // A poisoned lock still holds a consistent record; keep using it.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        step(&mut state)
    }

    /// Waits for the request's round trip, then delivers or refuses it at that moment.
    async fn deliver(&self, chat: ChatId, content: BotContent) -> Result<(), BotError> {
        let latency = self.with_state(|state| state.config.latency);
        if !latency.is_zero() {
            self.clock.sleep(latency).await;
        }
        self.with_state(|state| {
            let now = self.clock.elapsed();
            if state.config.missing.contains(&chat) {
                return Err(BotError::ChatNotFound(chat));
            }
            if state.config.blocked.contains(&chat) {
                return Err(BotError::Blocked);
            }
            if let Some(limit) = state.config.max_per_second_per_chat {
                let recent = state.recent.entry(chat).or_default();
                while recent
                    .front()
                    .is_some_and(|&at| now.saturating_sub(at) >= Duration::from_secs(1))
                {
                    recent.pop_front();
                }
                if recent.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                    let oldest = recent.front().copied().unwrap_or(now);
                    let free_at = oldest.saturating_add(Duration::from_secs(1));
                    return Err(BotError::RetryAfter {
                        seconds: ceil_secs(free_at.saturating_sub(now)),
                    });
                }
                recent.push_back(now);
            }
            state.delivered.push(BotDelivery {
                chat,
                content,
                at: now,
            });
            Ok(())
        })
    }
}

fn toggle(set: &mut BTreeSet<ChatId>, chat: ChatId, on: bool) {
    if on {
        set.insert(chat);
    } else {
        set.remove(&chat);
    }
}

impl fmt::Debug for SimBot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("SimBot");
        if let Ok(state) = self.state.try_lock() {
            debug.field("delivered", &state.delivered.len());
        }
        debug.finish_non_exhaustive()
    }
}

#[async_trait]
impl NotificationBot for SimBot {
    async fn send_message(&self, chat: ChatId, text: String) -> Result<(), BotError> {
        self.deliver(chat, BotContent::Text(text)).await
    }

    async fn send_sticker(&self, chat: ChatId, sticker: Sticker) -> Result<(), BotError> {
        self.deliver(chat, BotContent::Sticker(sticker.gift_id))
            .await
    }
}
