//! Events the engine publishes: catalog changes, purchases and finished runs, for live streams
//! (the panel's SSE), metrics and simulations, and the engine as the core's [`EventFeed`] port.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use giftbuyer_core::ports::{ChatId, EventFeed, EventSubscription, Lagged, LiveEvent, UserId};
use giftbuyer_core::report::Outcome;
use giftbuyer_core::{AccountId, CatalogGift, GiftId, Recipient, Stars};
use tokio::sync::broadcast;

use crate::Engine;

/// Something the engine did. `at` is the engine clock's elapsed time (virtual in simulations);
/// `wall` is the process's real monotonic time, for measuring the engine's own latency.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    CatalogReceived {
        account: AccountId,
        gifts: usize,
        at: Duration,
        wall: Instant,
    },
    /// The first catalog ever was recorded; nothing is bought from it.
    Seeded {
        gifts: usize,
        at: Duration,
    },
    NewGifts {
        gifts: Vec<CatalogGift>,
        at: Duration,
        /// The time since the previous answered poll (by any account): the gifts appeared
        /// within it, so it bounds how late they were detected. `None` on the first answer.
        detection_window: Option<Duration>,
    },
    SoldOut {
        gifts: Vec<GiftId>,
        at: Duration,
    },
    /// Copies left of known limited gifts changed, as `(gift, remaining)`.
    Remaining {
        gifts: Vec<(GiftId, i64)>,
        at: Duration,
    },
    PollFailed {
        account: AccountId,
        error: String,
        at: Duration,
    },
    PurchaseSending {
        user: UserId,
        account: AccountId,
        gift: GiftId,
        recipient: Recipient,
        at: Duration,
        wall: Instant,
    },
    PurchaseDone {
        user: UserId,
        account: AccountId,
        gift: GiftId,
        recipient: Recipient,
        outcome: Outcome,
        at: Duration,
    },
    RunFinished(RunSummary),
    /// One resale purchase ended (the resale sniper publishes these through the engine).
    ResalePurchaseDone {
        user: UserId,
        account: AccountId,
        slug: String,
        /// `bought`, the error name, or `unknown`.
        outcome: String,
    },
    /// One auction bid ended (the auction bidder publishes these through the engine).
    BidDone {
        user: UserId,
        account: AccountId,
        gift_id: GiftId,
        total: Stars,
        /// `placed`, the error name, or `unknown`.
        outcome: String,
    },
    /// A message to one of the user's chats (`what` names it: a run's report, a notice, a
    /// new-gift notification) could not be delivered, so its loss is on record beside the log.
    DeliveryFailed {
        user: UserId,
        chat: ChatId,
        what: &'static str,
        error: String,
    },
    /// Telegram revoked an account's session; its stored session was deleted.
    SessionRevoked {
        user: UserId,
        account: AccountId,
    },
}

/// One finished autobuy run of one user.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub user: UserId,
    pub run_id: i64,
    pub bought: u64,
    pub failed: u64,
    pub unknown: u64,
    pub stars_spent: u64,
    pub report: String,
}

/// The engine's events as the core's [`LiveEvent`]s, for drivers that only know the port.
impl EventFeed for Engine {
    fn subscribe(&self) -> Box<dyn EventSubscription> {
        Box::new(LiveEvents {
            receiver: Engine::subscribe(self),
        })
    }
}

/// One subscription to the engine's broadcast, mapped to [`LiveEvent`]s.
struct LiveEvents {
    receiver: broadcast::Receiver<EngineEvent>,
}

#[async_trait]
impl EventSubscription for LiveEvents {
    async fn next(&mut self) -> Option<Result<LiveEvent, Lagged>> {
        loop {
            match self.receiver.recv().await {
                Ok(event) => {
                    // Internal events are skipped here rather than returned as `None`,
                    // which would end the subscriber's stream.
                    if let Some(live) = live_event(event) {
                        return Some(Ok(live));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    return Some(Err(Lagged { missed }));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// What a live view sees of an engine event, or `None` for the engine's internal events
/// (every poll, failed polls, purchases about to be sent), which would only wake subscribers
/// for nothing.
pub(crate) fn live_event(event: EngineEvent) -> Option<LiveEvent> {
    match event {
        EngineEvent::NewGifts { gifts, .. } => Some(LiveEvent::NewGifts {
            // The catalog is untrusted: an entry with an invalid id was never stored, so it
            // is not announced either.
            gifts: gifts
                .iter()
                .filter_map(|gift| GiftId::new(gift.id).ok())
                .collect(),
        }),
        EngineEvent::SoldOut { gifts, .. } => Some(LiveEvent::SoldOut { gifts }),
        EngineEvent::Remaining { gifts, .. } => Some(LiveEvent::Remaining { gifts }),
        EngineEvent::SessionRevoked { user, account } => {
            Some(LiveEvent::SessionRevoked { user, account })
        }
        EngineEvent::Seeded { .. } => Some(LiveEvent::CatalogUpdated),
        EngineEvent::ResalePurchaseDone {
            user,
            account,
            slug,
            outcome,
        } => Some(LiveEvent::ResalePurchase {
            user,
            account,
            slug,
            outcome,
        }),
        EngineEvent::BidDone {
            user,
            account,
            gift_id,
            total,
            outcome,
        } => Some(LiveEvent::Bid {
            user,
            account,
            gift_id,
            total,
            outcome,
        }),
        EngineEvent::PurchaseDone {
            user,
            account,
            gift,
            recipient,
            outcome,
            ..
        } => Some(LiveEvent::Purchase {
            user,
            account,
            gift,
            recipient,
            outcome: match outcome {
                Outcome::Bought => "bought".to_owned(),
                Outcome::Failed(name) => name,
                Outcome::Unknown => "unknown".to_owned(),
            },
        }),
        EngineEvent::RunFinished(summary) => Some(LiveEvent::RunFinished {
            user: summary.user,
            run_id: summary.run_id,
        }),
        EngineEvent::CatalogReceived { .. }
        | EngineEvent::PollFailed { .. }
        | EngineEvent::PurchaseSending { .. }
        | EngineEvent::DeliveryFailed { .. } => None,
    }
}
