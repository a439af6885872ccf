//! `/api/auctions`: gift auctions. My bidding plans (a gift, the most any bid may total, how
//! many gifts, and who receives them), my bidding budget (zero turns bidding off), the bids the
//! bidder journaled for them, and an auction's live state as one of my accounts sees it.
//!
//! Validation reuses the core's rules (`AuctionPlanError`, `check_wanted`), so the panel
//! refuses exactly what the bidder could not use, and names the field at fault.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use giftbuyer_core::auction::{AuctionAnswer, AuctionState, BidderState, bidder_position};
use giftbuyer_core::bidding::{AuctionPlan, AuctionPlanError, AuctionPlanId, check_wanted};
use giftbuyer_core::ports::{
    AuctionPlanStore, BidEntry, JournalStatus, NewAuctionPlan, StoreError, TelegramError, UserId,
};
use giftbuyer_core::{AccountId, GiftId, Stars};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::channels::GiftIdInput;
use crate::client::ClientInfo;
use crate::common::{audit, origin_text, page_limit, path_id, side_store_error};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::recipient;
use crate::resale::telegram_error;
use crate::state::AppState;

/// The most stars a plan may bid, and the largest budget: far above any auction seen, and a
/// bound that keeps a mistyped amount (a few extra zeros) from being taken at its word.
pub(crate) const MAX_BID_STARS: u64 = 100_000_000;
/// The most plans one user keeps.
pub(crate) const MAX_PLANS: usize = 100;
/// The most journal entries one request returns.
const MAX_BIDS: u32 = 500;
/// How long the state route waits for Telegram.
const STATE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auctions/plans", get(list).post(create))
        .route("/api/auctions/plans/{id}", delete(remove))
        .route("/api/auctions/budget", get(budget).put(set_budget))
        .route("/api/auctions/bids", get(bids))
        .route("/api/auctions/{gift_id}/state", get(live_state))
}

/// The auction routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, create, remove, budget, set_budget, bids, live_state))]
pub(crate) struct AuctionsApi;

/// A plan to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPlanRequest {
    /// The auction gift (`starGift.id`), as an integer or its decimal string (ids exceed what
    /// a JavaScript number holds exactly).
    gift_id: GiftIdInput,
    /// The most any bid of this plan may total, 1 to 100 000 000 stars. A bid is a total, so
    /// this is the most the plan can ever commit per gift.
    #[schema(example = 5000)]
    max_bid: i64,
    /// How many gifts to win, 1 to 10; 1 when absent.
    #[serde(default = "one")]
    #[schema(example = 1)]
    wanted: i64,
    /// One of my channels (Bot API id) to receive the gifts; absent or null for the bidding
    /// account itself (or a person, with `to_username`).
    #[serde(default)]
    to_channel_id: Option<i64>,
    /// A Telegram user to receive the gifts, by username (`@name` or `name`); absent or null
    /// for none. Not together with `to_channel_id`.
    #[serde(default)]
    #[schema(example = "gift_friend")]
    to_username: Option<String>,
}

const fn one() -> i64 {
    1
}

/// One of my plans.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlanResponse {
    id: i64,
    /// The gift's id as a string, exact for JavaScript.
    gift_id: String,
    max_bid: u64,
    wanted: u32,
    /// The receiving channel; null for the bidding account itself or a person.
    to_channel_id: Option<i64>,
    /// The receiving Telegram user's username, for a gift sent to a person; null otherwise.
    to_username: Option<String>,
}

impl From<&AuctionPlan> for PlanResponse {
    fn from(plan: &AuctionPlan) -> Self {
        Self {
            id: plan.id.get(),
            gift_id: plan.gift_id.get().to_string(),
            max_bid: plan.max_bid.get(),
            wanted: plan.wanted,
            to_channel_id: recipient::channel(plan.recipient),
            to_username: recipient::username(plan.recipient),
        }
    }
}

/// My plans, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlanList {
    plans: Vec<PlanResponse>,
}

/// My bidding budget: the most all my bids together may hold at once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BudgetResponse {
    /// In stars; 0 means bidding is off.
    budget: u64,
}

/// A new bidding budget.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BudgetRequest {
    /// 0 (bidding off) to 100 000 000 stars.
    #[schema(example = 10000)]
    budget: i64,
}

/// One bid of mine.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BidResponse {
    id: i64,
    plan_id: i64,
    /// The gift's id as a string, exact for JavaScript.
    gift_id: String,
    /// The bidding account's Telegram user id.
    account_id: i64,
    /// The receiving channel; null for the bidding account itself or a person.
    to_channel_id: Option<i64>,
    /// The receiving Telegram user's username, for a gift sent to a person; null otherwise.
    to_username: Option<String>,
    /// The bid's total.
    total: u64,
    /// The total that stood before, for a raise.
    standing: Option<u64>,
    /// `planned`, `sending`, `bought` (placed: Telegram took the stars), `failed` or `unknown`
    /// (sent, no answer: never resent).
    status: String,
    /// Telegram's error name (or the bidder's reason) for `failed` and `unknown`.
    error: Option<String>,
    /// When the entry last changed (unix seconds).
    updated_at: i64,
}

impl From<&BidEntry> for BidResponse {
    fn from(entry: &BidEntry) -> Self {
        Self {
            id: entry.id.get(),
            plan_id: entry.bid.plan_id.get(),
            gift_id: entry.bid.gift_id.get().to_string(),
            account_id: entry.bid.account_id.get(),
            to_channel_id: recipient::channel(entry.bid.recipient),
            to_username: recipient::username(entry.bid.recipient),
            total: entry.bid.total.get(),
            standing: entry.bid.standing.map(Stars::get),
            status: entry.status.code().to_owned(),
            error: entry.error.clone(),
            updated_at: entry.updated_at.secs(),
        }
    }
}

/// My bids, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BidList {
    bids: Vec<BidResponse>,
}

/// How many bids to return.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct BidsQuery {
    /// 1 to 500; 100 when absent.
    limit: Option<u32>,
}

/// One level of the bids: the bid at a position.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LevelResponse {
    /// From 1, the highest bid.
    pos: u32,
    amount: u64,
}

/// My own bid in the auction.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MyBidResponse {
    /// My current total bid, if any.
    bid: Option<u64>,
    /// The least my next total may be once a bid stands.
    min_bid: Option<u64>,
    /// My bid fell out of reach and its stars came back.
    returned: bool,
    /// Gifts I have won in this auction so far.
    acquired: u32,
    /// The lowest position my standing bid can have, as far as the levels prove (pessimistic);
    /// null without a standing bid or when the levels prove nothing.
    position: Option<u32>,
}

/// An auction's state now.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuctionStateResponse {
    /// `running` or `finished`; the auction's fields below are null once it finished.
    #[schema(example = "running")]
    status: String,
    version: Option<i32>,
    current_round: Option<u32>,
    total_rounds: Option<u32>,
    gifts_left: Option<u32>,
    /// Gifts each round hands to its top bidders; 0 when Telegram did not say.
    gifts_per_round: Option<u32>,
    /// The least a first bid may be.
    min_bid: Option<u64>,
    /// Unix seconds.
    start_date: Option<i64>,
    end_date: Option<i64>,
    next_round_at: Option<i64>,
    /// The listed bid levels, highest first.
    levels: Vec<LevelResponse>,
    /// The account the state was read with (its Telegram user id).
    account_id: i64,
    my: MyBidResponse,
}

impl AuctionStateResponse {
    fn running(state: &AuctionState, bidder: &BidderState, account: AccountId) -> Self {
        let mut levels: Vec<LevelResponse> = state
            .levels
            .iter()
            .map(|level| LevelResponse {
                pos: level.pos,
                amount: level.amount.get(),
            })
            .collect();
        levels.sort_by_key(|level| level.pos);
        let position = match (bidder.bid, bidder.bid_date) {
            (Some(bid), Some(date)) if !bidder.returned => {
                bidder_position(&state.levels, bid, date)
            }
            _ => None,
        };
        Self {
            status: "running".to_owned(),
            version: Some(state.version),
            current_round: Some(state.current_round),
            total_rounds: Some(state.total_rounds),
            gifts_left: Some(state.gifts_left),
            gifts_per_round: Some(state.gifts_per_round),
            min_bid: Some(state.min_bid.get()),
            start_date: Some(state.start_date.secs()),
            end_date: Some(state.end_date.secs()),
            next_round_at: Some(state.next_round_at.secs()),
            levels,
            account_id: account.get(),
            my: MyBidResponse::new(bidder, position),
        }
    }

    fn finished(bidder: &BidderState, account: AccountId) -> Self {
        Self {
            status: "finished".to_owned(),
            version: None,
            current_round: None,
            total_rounds: None,
            gifts_left: None,
            gifts_per_round: None,
            min_bid: None,
            start_date: None,
            end_date: None,
            next_round_at: None,
            levels: Vec::new(),
            account_id: account.get(),
            my: MyBidResponse::new(bidder, None),
        }
    }
}

impl MyBidResponse {
    fn new(bidder: &BidderState, position: Option<u32>) -> Self {
        Self {
            bid: bidder.bid.map(Stars::get),
            min_bid: bidder.min_bid.map(Stars::get),
            returned: bidder.returned,
            acquired: bidder.acquired,
            position,
        }
    }
}

fn store_error(error: StoreError) -> ApiError {
    side_store_error("auction storage failed")(error)
}

fn plan_error(error: AuctionPlanError) -> ApiError {
    let field = match &error {
        AuctionPlanError::Id(_) => "id",
        AuctionPlanError::GiftId(_) => "gift_id",
        AuctionPlanError::ZeroMaxBid => "max_bid",
        AuctionPlanError::Wanted(_) => "wanted",
    };
    ApiError::invalid(field, error.to_string())
}

const NO_AUCTIONS: ApiError = ApiError::PortMissing {
    message: "auction bidding is not available on this server",
};

fn plan_store(state: &AppState) -> Result<&dyn AuctionPlanStore, ApiError> {
    state
        .auction_plans()
        .map(|plans| plans.as_ref())
        .ok_or(NO_AUCTIONS)
}

/// My plans.
#[utoipa::path(
    get,
    path = "/api/auctions/plans",
    tag = "auctions",
    security(("session" = [])),
    responses(
        (status = 200, description = "My plans, oldest first", body = PlanList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 503, description = "The server runs without auction bidding", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<PlanList>, ApiError> {
    let plans = plan_store(&state)?
        .list_auction_plans(auth.user_id)
        .await
        .map_err(store_error)?;
    Ok(Json(PlanList {
        plans: plans.iter().map(PlanResponse::from).collect(),
    }))
}

/// Adds a plan. While my budget is above zero, the bidder bids in the gift's auction for the
/// receiver, never above `max_bid`, until `wanted` gifts were won. One plan per gift.
#[utoipa::path(
    post,
    path = "/api/auctions/plans",
    tag = "auctions",
    security(("session" = [])),
    request_body = NewPlanRequest,
    responses(
        (status = 201, description = "The plan", body = PlanResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "I already have a plan for this gift, or 100 plans", body = ErrorBody),
        (status = 422, description = "A field is invalid; `fields` names it", body = ErrorBody),
        (status = 503, description = "The server runs without auction bidding", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewPlanRequest>,
) -> Result<(StatusCode, Json<PlanResponse>), ApiError> {
    let raw_gift = body.gift_id.get();
    let gift_id =
        GiftId::new(raw_gift).map_err(|_| plan_error(AuctionPlanError::GiftId(raw_gift)))?;
    let max_bid = match u64::try_from(body.max_bid) {
        Ok(0) | Err(_) => return Err(plan_error(AuctionPlanError::ZeroMaxBid)),
        Ok(stars) if stars > MAX_BID_STARS => {
            return Err(ApiError::invalid(
                "max_bid",
                format!("must be between 1 and {MAX_BID_STARS} stars, got {stars}"),
            ));
        }
        Ok(stars) => Stars::new(stars),
    };
    let wanted = check_wanted(body.wanted).map_err(plan_error)?;
    let recipient = recipient::from_request(
        &state,
        auth.user_id,
        body.to_channel_id,
        body.to_username.as_deref(),
    )
    .await?;
    // A gift the catalog does not know yet may still be auctioned (the catalog lags behind
    // Telegram), but one it knows as an ordinary gift takes no bids.
    let known = state.store().known_gifts().await?;
    if let Some(gift) = known.iter().find(|known| known.gift.id == raw_gift)
        && gift.gift.auction.is_none()
    {
        return Err(ApiError::invalid(
            "gift_id",
            format!("{raw_gift} is not an auction gift"),
        ));
    }
    let plans = plan_store(&state)?;
    let existing = plans
        .list_auction_plans(auth.user_id)
        .await
        .map_err(store_error)?;
    // An account holds one bid per auction, so two plans for one gift would raise each
    // other's bid; one plan per gift keeps each plan's maximum the only one that applies.
    if existing.iter().any(|plan| plan.gift_id == gift_id) {
        return Err(ApiError::Conflict {
            what: "a plan for this gift",
        });
    }
    if existing.len() >= MAX_PLANS {
        return Err(ApiError::Conflict {
            what: "the most plans a user may keep (100)",
        });
    }
    let created = plans
        .create_auction_plan(
            auth.user_id,
            &NewAuctionPlan {
                gift_id,
                max_bid,
                recipient,
                wanted,
            },
        )
        .await
        .map_err(store_error)?;
    let detail = format!(
        "added auction plan {} for gift {gift_id}, bids at most {max_bid}, {wanted} wanted {}",
        created.id,
        origin_text(&client)
    );
    audit(
        &state,
        auth.user_id,
        "auction.plan_added",
        &detail,
        state.now(),
    )
    .await;
    Ok((StatusCode::CREATED, Json(PlanResponse::from(&created))))
}

/// Deletes a plan. Its bids stay in my journal, and a bid that stands keeps counting against
/// the budget.
#[utoipa::path(
    delete,
    path = "/api/auctions/plans/{id}",
    tag = "auctions",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such plan of mine", body = ErrorBody),
        (status = 503, description = "The server runs without auction bidding", body = ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: AuctionPlanId = path_id(&id, "plan", AuctionPlanId::new)?;
    if !plan_store(&state)?
        .delete_auction_plan(auth.user_id, id)
        .await
        .map_err(store_error)?
    {
        return Err(ApiError::NotFound { what: "plan" });
    }
    let detail = format!("deleted auction plan {id} {}", origin_text(&client));
    audit(
        &state,
        auth.user_id,
        "auction.plan_deleted",
        &detail,
        state.now(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// My bidding budget.
#[utoipa::path(
    get,
    path = "/api/auctions/budget",
    tag = "auctions",
    security(("session" = [])),
    responses(
        (status = 200, description = "My budget; 0 until set", body = BudgetResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 503, description = "The server runs without auction bidding", body = ErrorBody),
    )
)]
pub(crate) async fn budget(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<BudgetResponse>, ApiError> {
    let budget = plan_store(&state)?
        .bid_budget(auth.user_id)
        .await
        .map_err(store_error)?;
    Ok(Json(BudgetResponse {
        budget: budget.get(),
    }))
}

/// Sets my bidding budget: the most all my bids together may hold at once. 0 turns bidding
/// off; bids that already stand are not withdrawn.
#[utoipa::path(
    put,
    path = "/api/auctions/budget",
    tag = "auctions",
    security(("session" = [])),
    request_body = BudgetRequest,
    responses(
        (status = 200, description = "The new budget", body = BudgetResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "`budget` is out of range", body = ErrorBody),
        (status = 503, description = "The server runs without auction bidding", body = ErrorBody),
    )
)]
pub(crate) async fn set_budget(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    ApiJson(body): ApiJson<BudgetRequest>,
) -> Result<Json<BudgetResponse>, ApiError> {
    let budget = u64::try_from(body.budget)
        .ok()
        .filter(|budget| *budget <= MAX_BID_STARS)
        .map(Stars::new)
        .ok_or_else(|| {
            ApiError::invalid(
                "budget",
                format!(
                    "must be between 0 and {MAX_BID_STARS} stars, got {}",
                    body.budget
                ),
            )
        })?;
    plan_store(&state)?
        .set_bid_budget(auth.user_id, budget)
        .await
        .map_err(store_error)?;
    let detail = format!(
        "set the bidding budget to {budget} {}",
        origin_text(&client)
    );
    audit(
        &state,
        auth.user_id,
        "auction.budget_set",
        &detail,
        state.now(),
    )
    .await;
    Ok(Json(BudgetResponse {
        budget: budget.get(),
    }))
}

/// My bids.
#[utoipa::path(
    get,
    path = "/api/auctions/bids",
    tag = "auctions",
    security(("session" = [])),
    params(BidsQuery),
    responses(
        (status = 200, description = "My bids, newest first", body = BidList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "`limit` is out of range", body = ErrorBody),
        (status = 503, description = "The server runs without auction bidding", body = ErrorBody),
    )
)]
pub(crate) async fn bids(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(query): Query<BidsQuery>,
) -> Result<Json<BidList>, ApiError> {
    let limit = page_limit(query.limit, 100, MAX_BIDS)?;
    let journal = state.bid_journal().ok_or(NO_AUCTIONS)?;
    let entries = journal
        .bid_entries(auth.user_id, limit)
        .await
        .map_err(store_error)?;
    Ok(Json(BidList {
        bids: entries.iter().map(BidResponse::from).collect(),
    }))
}

/// Which of my logged-in accounts reads `gift`'s auction: the one my newest bid in it that did
/// not fail came from (Telegram shows each account only its own bid), else my first one.
async fn reading_account(
    state: &AppState,
    user: UserId,
    gift: GiftId,
) -> Result<Option<AccountId>, ApiError> {
    let logged_in: Vec<AccountId> = state
        .store()
        .accounts(user)
        .await?
        .iter()
        .filter(|account| account.logged_in)
        .filter_map(|account| account.telegram_id)
        .collect();
    if let Some(journal) = state.bid_journal() {
        let bidder = journal
            .bid_entries(user, MAX_BIDS)
            .await
            .map_err(store_error)?
            .into_iter()
            .filter(|entry| entry.bid.gift_id == gift && entry.status != JournalStatus::Failed)
            .map(|entry| entry.bid.account_id)
            .find(|account| logged_in.contains(account));
        if bidder.is_some() {
            return Ok(bidder);
        }
    }
    Ok(logged_in.first().copied())
}

/// A gift's auction now, asked from Telegram through the account that bids in it (or my
/// first logged-in account), with that account's own bid.
#[utoipa::path(
    get,
    path = "/api/auctions/{gift_id}/state",
    tag = "auctions",
    security(("session" = [])),
    params(("gift_id" = i64, Path, description = "The auction gift")),
    responses(
        (status = 200, description = "The auction's state and my bid", body = AuctionStateResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such auction gift", body = ErrorBody),
        (status = 409, description = "I have no logged-in account to ask with", body = ErrorBody),
        (status = 429, description = "Telegram asked to wait; `retry_after_secs` says how long", body = ErrorBody),
        (status = 502, description = "Telegram refused or did not answer", body = ErrorBody),
        (status = 503, description = "The server runs without a Telegram connection", body = ErrorBody),
    )
)]
pub(crate) async fn live_state(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(gift_id): Path<String>,
) -> Result<Json<AuctionStateResponse>, ApiError> {
    let gift = path_id(&gift_id, "gift", GiftId::new)?;
    let connector = state.connector().ok_or(ApiError::PortMissing {
        message: "the server runs without a Telegram connection",
    })?;
    let account = reading_account(&state, auth.user_id, gift)
        .await?
        .ok_or(ApiError::Conflict {
            what: "a logged-in account to ask with",
        })?;
    let port = connector.account(account).await.map_err(telegram_error)?;
    // Version 0 asks for the whole state, so the answer is never `NotModified`.
    let answer = tokio::time::timeout(STATE_TIMEOUT, port.auction_state(gift, 0))
        .await
        .map_err(|_| telegram_error(TelegramError::Timeout))?
        .map_err(telegram_error)?;
    match answer {
        AuctionAnswer::Running { state, bidder, .. } => Ok(Json(AuctionStateResponse::running(
            &state, &bidder, account,
        ))),
        AuctionAnswer::Finished { bidder } => {
            Ok(Json(AuctionStateResponse::finished(&bidder, account)))
        }
        AuctionAnswer::NotModified { .. } => Err(ApiError::Telegram {
            status: StatusCode::BAD_GATEWAY,
            code: "telegram_error",
            message: "telegram answered a first state request with not modified".to_owned(),
            retry_after_secs: None,
        }),
    }
}
