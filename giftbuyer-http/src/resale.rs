//! `/api/resale`: the resale market. My watches (a gift type, optional model, backdrop and
//! symbol, a maximum price, how many, and who receives them), what the sniper bought for them,
//! and the live listings of a gift type as one of my accounts sees them.
//!
//! Validation reuses the core's rules (`ResaleWatch::new`, `AttributeFilter::new`), so the
//! panel refuses exactly what the sniper could not use, and names the field at fault.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use giftbuyer_core::ports::{NewWatch, ResaleEntry, StoreError, TelegramError};
use giftbuyer_core::resale::{
    AttributeFilter, MAX_WATCH_COPIES, ResaleListing, ResaleWatch, WatchError, WatchId,
};
use giftbuyer_core::{GiftId, Stars};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::channels::GiftIdInput;
use crate::client::ClientInfo;
use crate::common::{audit, origin_text, page_limit, path_id, side_store_error};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::recipient;
use crate::state::AppState;

/// The most stars a watch may offer for one listing: far above any listing seen, and a bound
/// that keeps a mistyped maximum (a few extra zeros) from being taken at its word.
pub(crate) const MAX_WATCH_PRICE: u64 = 100_000_000;
/// The most watches one user keeps.
pub(crate) const MAX_WATCHES: usize = 200;
/// The most journal entries one request returns.
const MAX_PURCHASES: u32 = 500;
/// The listings one request asks Telegram for.
const LISTINGS_PAGE: i32 = 50;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/resale/watches", get(list).post(create))
        .route("/api/resale/watches/{id}", delete(remove))
        .route("/api/resale/purchases", get(purchases))
        .route("/api/resale/listings/{gift_id}", get(listings))
}

/// The resale routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, create, remove, purchases, listings))]
pub(crate) struct ResaleApi;

/// A watch to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWatchRequest {
    /// The gift type (`starGift.id`) whose upgraded items to watch, as an integer or its
    /// decimal string (ids exceed what a JavaScript number holds exactly).
    gift_id: GiftIdInput,
    /// The most stars paid for one listing, 1 to 100 000 000.
    #[schema(example = 2500)]
    max_price: i64,
    /// How many listings to buy in all, 1 to 100.
    #[schema(example = 1)]
    copies: i64,
    /// Only items of this model (as the apps name it); absent or null for any.
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    backdrop: Option<String>,
    #[serde(default)]
    symbol: Option<String>,
    /// One of my channels (Bot API id) to receive the items; absent or null for the buying
    /// account itself (or a person, with `to_username`).
    #[serde(default)]
    to_channel_id: Option<i64>,
    /// A Telegram user to receive the items, by username (`@name` or `name`); absent or null
    /// for none. Not together with `to_channel_id`.
    #[serde(default)]
    #[schema(example = "gift_friend")]
    to_username: Option<String>,
}

/// One of my watches.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WatchResponse {
    id: i64,
    gift_id: i64,
    max_price: u64,
    copies: u32,
    /// Listings bought for it so far, counting purchases whose outcome is unknown.
    bought: u32,
    model: Option<String>,
    backdrop: Option<String>,
    symbol: Option<String>,
    /// The receiving channel; null for the buying account itself or a person.
    to_channel_id: Option<i64>,
    /// The receiving person's username; null otherwise.
    to_username: Option<String>,
}

impl From<&ResaleWatch> for WatchResponse {
    fn from(watch: &ResaleWatch) -> Self {
        Self {
            id: watch.id.get(),
            gift_id: watch.gift_id.get(),
            max_price: watch.max_price.get(),
            copies: watch.copies,
            bought: watch.bought,
            model: watch.attributes.model().map(str::to_owned),
            backdrop: watch.attributes.backdrop().map(str::to_owned),
            symbol: watch.attributes.symbol().map(str::to_owned),
            to_channel_id: recipient::channel(watch.recipient),
            to_username: recipient::username(watch.recipient),
        }
    }
}

/// My watches, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WatchList {
    watches: Vec<WatchResponse>,
}

/// One resale purchase of mine.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResalePurchaseResponse {
    id: i64,
    watch_id: i64,
    account_id: i64,
    gift_id: i64,
    /// The item's link slug (`t.me/nft/<slug>`).
    slug: String,
    price: u64,
    /// The receiving channel; null for the buying account itself or a person.
    to_channel_id: Option<i64>,
    /// The receiving person's username; null otherwise.
    to_username: Option<String>,
    /// `planned`, `sending`, `bought`, `failed` or `unknown` (sent, no answer: never resent).
    status: String,
    /// Telegram's error name for `failed` and `unknown`.
    error: Option<String>,
    /// When the entry last changed (unix seconds).
    updated_at: i64,
}

impl From<&ResaleEntry> for ResalePurchaseResponse {
    fn from(entry: &ResaleEntry) -> Self {
        Self {
            id: entry.id.get(),
            watch_id: entry.buy.watch_id.get(),
            account_id: entry.buy.account_id.get(),
            gift_id: entry.buy.gift_id.get(),
            slug: entry.buy.slug.clone(),
            price: entry.buy.price.get(),
            to_channel_id: recipient::channel(entry.buy.recipient),
            to_username: recipient::username(entry.buy.recipient),
            status: entry.status.code().to_owned(),
            error: entry.error.clone(),
            updated_at: entry.updated_at.secs(),
        }
    }
}

/// My resale purchases, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResalePurchaseList {
    purchases: Vec<ResalePurchaseResponse>,
}

/// How many purchases to return.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct PurchasesQuery {
    /// 1 to 500; 100 when absent.
    limit: Option<u32>,
}

/// One listed item.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ListingResponse {
    unique_id: i64,
    gift_id: i64,
    slug: String,
    title: String,
    num: i64,
    /// The asking price in stars; null when the seller takes TON only.
    price: Option<i64>,
    model: Option<String>,
    backdrop: Option<String>,
    symbol: Option<String>,
    require_premium: bool,
}

impl From<&ResaleListing> for ListingResponse {
    fn from(listing: &ResaleListing) -> Self {
        Self {
            unique_id: listing.unique_id,
            gift_id: listing.gift_id,
            slug: listing.slug.clone(),
            title: listing.title.clone(),
            num: listing.num,
            price: listing.price,
            model: listing.attributes.model.clone(),
            backdrop: listing.attributes.backdrop.clone(),
            symbol: listing.attributes.symbol.clone(),
            require_premium: listing.require_premium,
        }
    }
}

/// The cheapest listings of a gift type, as one of my accounts sees them now.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ListingList {
    /// How many listings the gift type has in all.
    count: i64,
    listings: Vec<ListingResponse>,
}

fn store_error(error: StoreError) -> ApiError {
    side_store_error("resale storage failed")(error)
}

fn watch_error(error: WatchError) -> ApiError {
    let field = match &error {
        WatchError::Id(_) => "id",
        WatchError::GiftId(_) => "gift_id",
        WatchError::ZeroMaxPrice => "max_price",
        WatchError::Copies(_) => "copies",
        WatchError::Attribute { field } => field,
    };
    ApiError::invalid(field, error.to_string())
}

const NO_RESALE: ApiError = ApiError::PortMissing {
    message: "the resale market is not available on this server",
};

/// My watches.
#[utoipa::path(
    get,
    path = "/api/resale/watches",
    tag = "resale",
    security(("session" = [])),
    responses(
        (status = 200, description = "My watches, oldest first", body = WatchList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 503, description = "The server runs without the resale market", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<WatchList>, ApiError> {
    let watches = state.resale_watches().ok_or(NO_RESALE)?;
    let watches = watches
        .list_watches(auth.user_id)
        .await
        .map_err(store_error)?;
    Ok(Json(WatchList {
        watches: watches.iter().map(WatchResponse::from).collect(),
    }))
}

/// Adds a watch. The sniper buys matching listings at or under `max_price` from my account
/// with the most stars, until it has `copies` of them.
#[utoipa::path(
    post,
    path = "/api/resale/watches",
    tag = "resale",
    security(("session" = [])),
    request_body = NewWatchRequest,
    responses(
        (status = 201, description = "The watch", body = WatchResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "I already have 200 watches", body = ErrorBody),
        (status = 422, description = "A field is invalid; `fields` names it", body = ErrorBody),
        (status = 503, description = "The server runs without the resale market", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewWatchRequest>,
) -> Result<(StatusCode, Json<WatchResponse>), ApiError> {
    let raw_gift = body.gift_id.get();
    let gift_id = GiftId::new(raw_gift).map_err(|_| watch_error(WatchError::GiftId(raw_gift)))?;
    let max_price = u64::try_from(body.max_price)
        .ok()
        .filter(|price| (1..=MAX_WATCH_PRICE).contains(price))
        .map(Stars::new)
        .ok_or_else(|| {
            ApiError::invalid(
                "max_price",
                format!(
                    "must be between 1 and {MAX_WATCH_PRICE} stars, got {}",
                    body.max_price
                ),
            )
        })?;
    let copies = u32::try_from(body.copies)
        .ok()
        .filter(|copies| (1..=MAX_WATCH_COPIES).contains(copies))
        .ok_or_else(|| watch_error(WatchError::Copies(body.copies)))?;
    let attributes = AttributeFilter::new(
        body.model.as_deref(),
        body.backdrop.as_deref(),
        body.symbol.as_deref(),
    )
    .map_err(watch_error)?;
    let recipient = recipient::from_request(
        &state,
        auth.user_id,
        body.to_channel_id,
        body.to_username.as_deref(),
    )
    .await?;
    let watches = state.resale_watches().ok_or(NO_RESALE)?;
    let existing = watches
        .list_watches(auth.user_id)
        .await
        .map_err(store_error)?;
    if existing.len() >= MAX_WATCHES {
        return Err(ApiError::Conflict {
            what: "the most watches a user may keep (200)",
        });
    }
    let created = watches
        .create_watch(
            auth.user_id,
            &NewWatch {
                gift_id,
                attributes,
                max_price,
                recipient,
                copies,
            },
        )
        .await
        .map_err(store_error)?;
    let now = state.now();
    let detail = format!(
        "added resale watch {} for gift {gift_id} at most {max_price} {}",
        created.id,
        origin_text(&client)
    );
    audit(&state, auth.user_id, "resale.watch_added", &detail, now).await;
    Ok((StatusCode::CREATED, Json(WatchResponse::from(&created))))
}

/// Deletes a watch. What it bought stays in my purchases.
#[utoipa::path(
    delete,
    path = "/api/resale/watches/{id}",
    tag = "resale",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The watch's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such watch of mine", body = ErrorBody),
        (status = 503, description = "The server runs without the resale market", body = ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: WatchId = path_id(&id, "watch", WatchId::new)?;
    let watches = state.resale_watches().ok_or(NO_RESALE)?;
    if !watches
        .delete_watch(auth.user_id, id)
        .await
        .map_err(store_error)?
    {
        return Err(ApiError::NotFound { what: "watch" });
    }
    let now = state.now();
    let detail = format!("deleted resale watch {id} {}", origin_text(&client));
    audit(&state, auth.user_id, "resale.watch_deleted", &detail, now).await;
    Ok(StatusCode::NO_CONTENT)
}

/// My resale purchases.
#[utoipa::path(
    get,
    path = "/api/resale/purchases",
    tag = "resale",
    security(("session" = [])),
    params(PurchasesQuery),
    responses(
        (status = 200, description = "My resale purchases, newest first", body = ResalePurchaseList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "`limit` is out of range", body = ErrorBody),
        (status = 503, description = "The server runs without the resale market", body = ErrorBody),
    )
)]
pub(crate) async fn purchases(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(query): Query<PurchasesQuery>,
) -> Result<Json<ResalePurchaseList>, ApiError> {
    let limit = page_limit(query.limit, 100, MAX_PURCHASES)?;
    let journal = state.resale_journal().ok_or(NO_RESALE)?;
    let entries = journal
        .resale_entries(auth.user_id, limit)
        .await
        .map_err(store_error)?;
    Ok(Json(ResalePurchaseList {
        purchases: entries.iter().map(ResalePurchaseResponse::from).collect(),
    }))
}

/// The cheapest listings of a gift type now, asked from Telegram through my first logged-in
/// account.
#[utoipa::path(
    get,
    path = "/api/resale/listings/{gift_id}",
    tag = "resale",
    security(("session" = [])),
    params(("gift_id" = i64, Path, description = "The gift type")),
    responses(
        (status = 200, description = "The cheapest listings", body = ListingList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such gift type", body = ErrorBody),
        (status = 409, description = "I have no logged-in account to ask with", body = ErrorBody),
        (status = 429, description = "Telegram asked to wait; `retry_after_secs` says how long", body = ErrorBody),
        (status = 502, description = "Telegram refused or did not answer", body = ErrorBody),
        (status = 503, description = "The server runs without a Telegram connection", body = ErrorBody),
    )
)]
pub(crate) async fn listings(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(gift_id): Path<String>,
) -> Result<Json<ListingList>, ApiError> {
    let gift = path_id(&gift_id, "gift", GiftId::new)?;
    let connector = state.connector().ok_or(ApiError::PortMissing {
        message: "the server runs without a Telegram connection",
    })?;
    let accounts = state.store().accounts(auth.user_id).await?;
    let account = accounts
        .iter()
        .filter(|account| account.logged_in)
        .find_map(|account| account.telegram_id)
        .ok_or(ApiError::Conflict {
            what: "a logged-in account to ask with",
        })?;
    let port = connector.account(account).await.map_err(telegram_error)?;
    let page = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        port.resale_listings(gift, "", LISTINGS_PAGE),
    )
    .await
    .map_err(|_| telegram_error(TelegramError::Timeout))?
    .map_err(telegram_error)?;
    Ok(Json(ListingList {
        count: page.count,
        listings: page.listings.iter().map(ListingResponse::from).collect(),
    }))
}

/// Maps a Telegram failure of a read through one of my accounts: a flood wait is a 429 with
/// its wait, an unknown gift a 404, anything else a 502 naming Telegram's error.
pub(crate) fn telegram_error(error: TelegramError) -> ApiError {
    match error {
        TelegramError::FloodWait { seconds } => ApiError::Telegram {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "flood_wait",
            message: format!("telegram asks to wait {seconds} seconds"),
            retry_after_secs: Some(u64::from(seconds)),
        },
        TelegramError::Rpc { ref name, .. } if name == "STARGIFT_INVALID" => {
            ApiError::NotFound { what: "gift" }
        }
        other => ApiError::Telegram {
            status: StatusCode::BAD_GATEWAY,
            code: "telegram_error",
            message: format!("telegram refused: {}", other.name()),
            retry_after_secs: None,
        },
    }
}
