//! `/api/gifts`: the gift catalog as the engine has recorded it, and a live Server-Sent Events
//! stream of what changes it (new gifts, sell-outs) and of the signed-in user's purchases.
//!
//! The catalog is global: every signed-in user sees the same list. Purchases and finished runs
//! are not: the stream forwards them only to the user they belong to, whatever the feed
//! carries. Locks and per-user limits are facts about one account: Telegram tells each account
//! only its own, so each gift lists them for the signed-in user's accounts, as the engine last
//! saw them in each account's catalog (not stored; empty until the accounts have polled).

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::Stream;
use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{EventSubscription, KnownGift, LiveEvent, UserId};
use serde::Serialize;
use tokio::sync::watch;
use utoipa::{OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::metrics::SseClientGuard;
use crate::state::AppState;

/// How often an idle stream sends a comment, so that proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

const NO_EVENTS: &str = "the live gift stream is not available on this server: it was started without the engine's events";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/gifts", get(list))
        .route("/api/gifts/stream", get(stream))
}

/// The gift routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, stream))]
pub(crate) struct GiftsApi;

/// One gift of the catalog, as last seen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GiftResponse {
    pub(crate) id: i64,
    pub(crate) title: Option<String>,
    /// The price in stars.
    pub(crate) price: i64,
    /// Whether the gift has a limited supply.
    pub(crate) limited: bool,
    /// The total supply of a limited gift.
    pub(crate) supply: Option<i64>,
    /// The copies left when the gift was last seen.
    pub(crate) remaining: Option<i64>,
    pub(crate) sold_out: bool,
    pub(crate) require_premium: bool,
    /// Telegram's birthday flag; channels may exclude birthday gifts.
    pub(crate) birthday: bool,
    /// Whether the sticker can be fetched (the catalog carried a reference to it).
    pub(crate) has_sticker: bool,
    /// When the gift first appeared in the catalog (unix seconds).
    pub(crate) first_seen: i64,
    /// When the gift was last seen in the catalog (unix seconds).
    pub(crate) last_seen: i64,
    /// When the gift was seen going from available to sold out (unix seconds).
    pub(crate) sold_out_at: Option<i64>,
    /// Set for a gift sold by auction, which takes bids only and is never bought as a purchase.
    pub(crate) auction: Option<GiftAuctionResponse>,
    /// My accounts' own per-user limits and locks on this gift, where they have any.
    pub(crate) accounts: Vec<AccountGiftResponse>,
}

/// The auction a gift is sold through.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GiftAuctionResponse {
    /// The auction's link slug (`t.me/auction/<slug>`); empty when Telegram gave none.
    pub(crate) slug: String,
    /// Gifts each round hands to its top bidders.
    pub(crate) gifts_per_round: i64,
    /// When the first round starts (unix seconds); absent when unknown.
    pub(crate) start_date: Option<i64>,
}

/// What one of my accounts last saw of a gift limited per user or locked for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AccountGiftResponse {
    /// The account's Telegram user id.
    pub(crate) account_id: i64,
    /// Copies this account may still buy; absent when the gift has no per-user limit.
    pub(crate) per_user_remains: Option<i64>,
    /// Until when the gift is locked for this account (unix seconds).
    pub(crate) locked_until: Option<i64>,
    /// When the account's catalog showing this was fetched (unix seconds).
    pub(crate) seen_at: i64,
}

impl From<&KnownGift> for GiftResponse {
    fn from(known: &KnownGift) -> Self {
        let gift = &known.gift;
        Self {
            id: gift.id,
            title: gift.title.clone(),
            price: gift.price,
            limited: gift.limited,
            supply: gift.supply,
            remaining: gift.remaining,
            // Telegram's flag wins, but a limited gift with nothing left is sold out too,
            // as the planner judges it.
            sold_out: gift.sold_out || (gift.limited && gift.remaining == Some(0)),
            require_premium: gift.require_premium,
            birthday: gift.birthday,
            has_sticker: gift.sticker.is_some(),
            first_seen: known.first_seen.secs(),
            last_seen: known.last_seen.secs(),
            sold_out_at: known.sold_out_at.map(|at| at.secs()),
            auction: gift.auction.as_ref().map(|auction| GiftAuctionResponse {
                slug: auction.slug.clone(),
                gifts_per_round: auction.gifts_per_round,
                start_date: auction.starts_at().map(|start| start.secs()),
            }),
            accounts: Vec::new(),
        }
    }
}

/// The catalog, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GiftList {
    pub(crate) gifts: Vec<GiftResponse>,
}

/// Copies left of one gift, as the `remaining` stream event carries them.
#[derive(Debug, Serialize)]
struct GiftRemaining {
    id: i64,
    remaining: i64,
}

/// The `remaining` stream event: copies left changed for these limited gifts.
#[derive(Debug, Serialize)]
struct RemainingEvent {
    gifts: Vec<GiftRemaining>,
}

/// Gift ids, as the `new_gifts` and `sold_out` stream events carry them.
#[derive(Debug, Serialize)]
struct GiftIds {
    gifts: Vec<i64>,
}

/// The `resale_purchase` stream event: one of my resale purchases ended.
#[derive(Debug, Serialize)]
struct ResalePurchaseEvent {
    account: i64,
    slug: String,
    /// `bought`, the error name that refused it, or `unknown`.
    outcome: String,
}

/// The `bid` stream event: one of my auction bids ended.
#[derive(Debug, Serialize)]
struct BidEvent {
    account: i64,
    /// The gift's id as a string, exact for JavaScript.
    gift_id: String,
    total: u64,
    /// `placed`, the error name that refused it, or `unknown`.
    outcome: String,
}

/// The `purchase` stream event: one of my purchase attempts ended.
#[derive(Debug, Serialize)]
struct PurchaseEvent {
    account: i64,
    gift: i64,
    /// The receiving channel in Bot API form (`-100…`); null for the buying account itself or
    /// a person.
    channel: Option<i64>,
    /// The receiving person's username; null for a channel or the buying account itself.
    username: Option<String>,
    /// `bought`, the error name that refused it, or `unknown`.
    outcome: String,
}

/// The `run_finished` stream event: one of my autobuy runs finished.
#[derive(Debug, Serialize)]
struct RunFinishedEvent {
    run_id: i64,
}

/// The `session_revoked` stream event: Telegram ended one of my accounts' sessions, and the
/// account needs a new login.
#[derive(Debug, Serialize)]
struct SessionRevokedEvent {
    account: i64,
}

/// The `lagged` stream event: events were dropped, reload the catalog and history.
#[derive(Debug, Serialize)]
struct LaggedEvent {
    missed: u64,
}

/// The catalog from the store, newest first (ties by id, newest id first), so that a drop
/// shows at the top, with `user`'s accounts' own limits and locks on each gift.
async fn catalog(state: &AppState, user: UserId) -> Result<GiftList, ApiError> {
    let mut known = state.store().known_gifts().await?;
    known.sort_by(|a, b| {
        b.first_seen
            .cmp(&a.first_seen)
            .then_with(|| b.gift.id.cmp(&a.gift.id))
    });
    let mut per_gift = account_states(state, user).await?;
    let gifts = known
        .iter()
        .map(|known| {
            let mut gift = GiftResponse::from(known);
            gift.accounts = per_gift.remove(&known.gift.id).unwrap_or_default();
            gift
        })
        .collect();
    Ok(GiftList { gifts })
}

/// `user`'s accounts' limits and locks by gift id, ordered by account.
async fn account_states(
    state: &AppState,
    user: UserId,
) -> Result<HashMap<i64, Vec<AccountGiftResponse>>, ApiError> {
    let Some(catalogs) = state.account_catalogs() else {
        return Ok(HashMap::new());
    };
    let accounts: Vec<AccountId> = state
        .store()
        .accounts(user)
        .await?
        .iter()
        .filter_map(|account| account.telegram_id)
        .collect();
    if accounts.is_empty() {
        return Ok(HashMap::new());
    }
    let mut per_gift: HashMap<i64, Vec<AccountGiftResponse>> = HashMap::new();
    for entry in catalogs.account_gifts(&accounts) {
        per_gift
            .entry(entry.gift.get())
            .or_default()
            .push(AccountGiftResponse {
                account_id: entry.account.get(),
                per_user_remains: entry.per_user_remains,
                locked_until: entry.locked_until.map(|at| at.secs()),
                seen_at: entry.seen_at.secs(),
            });
    }
    for entries in per_gift.values_mut() {
        entries.sort_by_key(|entry| entry.account_id);
    }
    Ok(per_gift)
}

/// The gift catalog: every gift the engine has seen, newest first.
#[utoipa::path(
    get,
    path = "/api/gifts",
    tag = "gifts",
    security(("session" = [])),
    responses(
        (status = 200, description = "The catalog, newest first", body = GiftList),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<GiftList>, ApiError> {
    Ok(Json(catalog(&state, auth.user_id).await?))
}

/// A live stream of the catalog and my purchases (Server-Sent Events).
///
/// Events: `snapshot` first (the catalog, as `GET /api/gifts` returns it); then `new_gifts`
/// and `sold_out` (`{"gifts": [ids]}`), `remaining` (`{"gifts": [{"id", "remaining"}]}`, copies
/// left of limited gifts that changed), `catalog` (the whole catalog again, after a change
/// that affects all of it), `purchase` (`{account, gift, channel, outcome}`),
/// `resale_purchase` (`{account, slug, outcome}`: one of the resale sniper's purchases ended),
/// `bid` (`{account, gift_id, total, outcome}`: one of the bidder's auction bids ended; the gift
/// id is a string, the outcome `placed`, Telegram's error name or `unknown`),
/// `run_finished` (`{run_id}`) and `session_revoked` (`{account}`: Telegram ended that
/// account's session; log it in again) for my own purchases and accounts only, and `lagged` (`{missed}`) when the
/// server dropped events for this client, which should then reload what it shows. Comments
/// keep an idle connection alive. The stream ends when the server shuts down.
#[utoipa::path(
    get,
    path = "/api/gifts/stream",
    tag = "gifts",
    security(("session" = [])),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 503, description = "The server runs without the engine's events", body = ErrorBody),
    )
)]
pub(crate) async fn stream(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let feed = state
        .events()
        .ok_or(ApiError::PortMissing { message: NO_EVENTS })?;
    // Subscribing before the snapshot is read means no change falls between the two: at
    // worst an event repeats what the snapshot already shows, which is harmless.
    let subscription = feed.subscribe();
    let snapshot = catalog(&state, auth.user_id).await?;
    let live = Live {
        user: auth.user_id,
        subscription,
        shutdown: state.shutdown_watch(),
        _client: state.metrics().sse_client_connected(),
        state,
        snapshot: Some(snapshot),
    };
    let events = futures_util::stream::unfold(live, |mut live| async move {
        live.next_event().await.map(|event| (Ok(event), live))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One client's stream: what it still has to send and where its events come from. The
/// metrics guard lives here, so the client is counted until the stream is dropped.
struct Live {
    user: UserId,
    subscription: Box<dyn EventSubscription>,
    shutdown: watch::Receiver<bool>,
    state: AppState,
    snapshot: Option<GiftList>,
    _client: SseClientGuard,
}

impl Live {
    /// The next event to send, or `None` when the stream should end (shutdown, or the feed
    /// closed).
    async fn next_event(&mut self) -> Option<Event> {
        if let Some(snapshot) = self.snapshot.take() {
            return Some(json_event("snapshot", &snapshot));
        }
        loop {
            let received = tokio::select! {
                // A closed sender (the state dropped) ends the stream as a shutdown does.
                _ = self.shutdown.wait_for(|stopped| *stopped) => return None,
                received = self.subscription.next() => received?,
            };
            let event = match received {
                Err(lagged) => json_event(
                    "lagged",
                    &LaggedEvent {
                        missed: lagged.missed,
                    },
                ),
                Ok(live) => match translate(&self.state, self.user, live).await {
                    Some(event) => event,
                    None => continue,
                },
            };
            return Some(event);
        }
    }
}

/// The SSE event for a live event, or `None` when `user` must not see it (another user's
/// purchase or run). It borrows the state, not the whole stream, because the subscription
/// inside the stream is `Send` but not `Sync`.
async fn translate(state: &AppState, user: UserId, event: LiveEvent) -> Option<Event> {
    if event.user().is_some_and(|owner| owner != user) {
        return None;
    }
    let ids = |gifts: Vec<giftbuyer_core::GiftId>| GiftIds {
        gifts: gifts.into_iter().map(giftbuyer_core::GiftId::get).collect(),
    };
    Some(match event {
        LiveEvent::NewGifts { gifts } => json_event("new_gifts", &ids(gifts)),
        LiveEvent::SoldOut { gifts } => json_event("sold_out", &ids(gifts)),
        LiveEvent::Remaining { gifts } => json_event(
            "remaining",
            &RemainingEvent {
                gifts: gifts
                    .into_iter()
                    .map(|(id, remaining)| GiftRemaining {
                        id: id.get(),
                        remaining,
                    })
                    .collect(),
            },
        ),
        LiveEvent::CatalogUpdated => match catalog(state, user).await {
            Ok(list) => json_event("catalog", &list),
            // The client cannot be sent the catalog now; telling it that it missed
            // something makes it reload through `GET /api/gifts` instead.
            Err(error) => {
                tracing::warn!(?error, "could not read the catalog for a live stream");
                json_event("lagged", &LaggedEvent { missed: 1 })
            }
        },
        LiveEvent::Purchase {
            account,
            gift,
            recipient,
            outcome,
            ..
        } => json_event(
            "purchase",
            &PurchaseEvent {
                account: account.get(),
                gift: gift.get(),
                channel: crate::recipient::channel(recipient),
                username: crate::recipient::username(recipient),
                outcome,
            },
        ),
        LiveEvent::ResalePurchase {
            account,
            slug,
            outcome,
            ..
        } => json_event(
            "resale_purchase",
            &ResalePurchaseEvent {
                account: account.get(),
                slug,
                outcome,
            },
        ),
        LiveEvent::Bid {
            account,
            gift_id,
            total,
            outcome,
            ..
        } => json_event(
            "bid",
            &BidEvent {
                account: account.get(),
                gift_id: gift_id.get().to_string(),
                total: total.get(),
                outcome,
            },
        ),
        LiveEvent::RunFinished { run_id, .. } => {
            json_event("run_finished", &RunFinishedEvent { run_id })
        }
        LiveEvent::SessionRevoked { account, .. } => json_event(
            "session_revoked",
            &SessionRevokedEvent {
                account: account.get(),
            },
        ),
    })
}

/// A named event with a JSON body. Serializing these plain structs cannot fail; if it ever
/// did, the client gets an empty object rather than a broken stream.
fn json_event(name: &'static str, body: &impl Serialize) -> Event {
    let data = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    Event::default().event(name).data(data)
}
