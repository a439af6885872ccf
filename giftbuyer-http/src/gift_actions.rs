//! `POST /api/gifts/{id}/buy` and `POST /api/gifts/refresh`: buying one gift now with one of
//! my accounts for one of my targets (a channel, the account itself, a person), and polling
//! the catalog now.
//!
//! Both go through the optional [`GiftActions`](crate::GiftActions) port, which the binary
//! implements over the engine: a manual purchase is journaled and sent exactly as autobuy's
//! are, so the answer is the journal's outcome, `unknown` included.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use giftbuyer_core::{AccountId, GiftId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::{OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::client::ClientInfo;
use crate::common::{audit, origin_text, path_id};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::ports::{BuyError, BuyOutcome, GiftActions};
use crate::state::AppState;

const NDJSON: &str = "application/x-ndjson";

const NO_ACTIONS: &str = "buying and refreshing gifts is not available on this server: it was started without the engine";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/gifts/{id}/buy", post(buy))
        .route("/api/gifts/refresh", post(refresh))
}

/// The gift action routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(buy, refresh),
    components(schemas(BuyRequest, BuyResponse, RefreshEvent))
)]
pub(crate) struct GiftActionsApi;

/// Which of my accounts buys, and for which of my targets: a channel (`channel_id`), a person
/// (`username`), or, with neither, the buying account itself. The target must be in my list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BuyRequest {
    /// The buying account's Telegram user id (`telegram_id` in `GET /api/accounts`).
    account_id: i64,
    /// A channel target in Bot API form (`channel_id` in `GET /api/channels`, `-100…`).
    #[serde(default)]
    channel_id: Option<i64>,
    /// A person target (`username` in `GET /api/channels`).
    #[serde(default)]
    username: Option<String>,
}

/// How the purchase ended, as journaled in run `run_id`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BuyResponse {
    run_id: i64,
    /// `bought`, `failed` (see `error`) or `unknown` (sent without an answer: it may have
    /// been bought; check the balance before trying again).
    #[schema(example = "bought")]
    outcome: &'static str,
    /// Telegram's error name when `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// One line of the refresh stream: `poll`, then `done` with the outcome or `error`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefreshEvent {
    #[schema(example = "poll")]
    stage: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn actions(state: &AppState) -> Result<std::sync::Arc<dyn GiftActions>, ApiError> {
    state.gift_actions().cloned().ok_or(ApiError::PortMissing {
        message: NO_ACTIONS,
    })
}

/// Buys one copy of a gift now, through the engine's journal, and answers with its outcome.
#[utoipa::path(
    post,
    path = "/api/gifts/{id}/buy",
    tag = "gifts",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The gift's id")),
    request_body = BuyRequest,
    responses(
        (status = 200, description = "The purchase was journaled; its outcome", body = BuyResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such gift, or no such account or target of mine", body = ErrorBody),
        (status = 422, description = "Invalid fields, or a gift that cannot be bought (sold out, unlimited)", body = ErrorBody),
        (status = 503, description = "The server runs without the engine, or the engine cannot buy now", body = ErrorBody),
    )
)]
pub(crate) async fn buy(
    State(state): State<AppState>,
    auth: AuthUser,
    client: ClientInfo,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<BuyRequest>,
) -> Result<Json<BuyResponse>, ApiError> {
    let gift = path_id(&id, "gift", GiftId::new)?;
    let actions = actions(&state)?;
    let account = AccountId::new(request.account_id)
        .map_err(|_| ApiError::invalid("account_id", "must be a positive Telegram user id"))?;
    let recipient = crate::recipient::from_parts(
        request.channel_id,
        request.username.as_deref(),
        ("channel_id", "username"),
    )?;
    let result = actions
        .buy(auth.user_id, account, recipient, gift)
        .await
        .map_err(|error| match error {
            BuyError::NotFound { what } => ApiError::NotFound { what },
            BuyError::NotBuyable { reason } => {
                ApiError::invalid("id", format!("the gift cannot be bought: {reason}"))
            }
            BuyError::Unavailable(reason) => {
                tracing::warn!(%reason, "a manual purchase could not be started");
                ApiError::Unavailable
            }
        })?;
    let (outcome, error) = match result.outcome {
        BuyOutcome::Bought => ("bought", None),
        BuyOutcome::Failed(name) => ("failed", Some(name)),
        BuyOutcome::Unknown => ("unknown", None),
    };
    // Every purchase the user asked for is in the audit log, whatever its outcome: stars may
    // have moved.
    let detail = format!(
        "manual purchase of gift {gift} by account {account} for {}: {outcome}{} (run {}) {}",
        crate::recipient::describe(recipient),
        error
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default(),
        result.run_id,
        origin_text(&client)
    );
    audit(&state, auth.user_id, "gift.bought", &detail, state.now()).await;
    Ok(Json(BuyResponse {
        run_id: result.run_id,
        outcome,
        error,
    }))
}

/// Polls the catalog now, reporting each stage as one JSON line.
#[utoipa::path(
    post,
    path = "/api/gifts/refresh",
    tag = "gifts",
    security(("session" = [])),
    responses(
        (status = 200, description = "NDJSON: one `RefreshEvent` per line, `poll`, then `done` with the outcome or `error`", body = RefreshEvent, content_type = "application/x-ndjson"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 503, description = "The server runs without the engine", body = ErrorBody),
    )
)]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> Result<Response, ApiError> {
    let actions = actions(&state)?;
    // The poll runs in its own task and the body streams its stages, so a client that goes
    // away does not cut a poll (and the runs it may start) short.
    let (lines, receiver) = mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        send(&lines, &stage("poll")).await;
        let last = match actions.refresh().await {
            Ok(result) => RefreshEvent {
                outcome: Some(result.outcome),
                ..stage("done")
            },
            Err(error) => RefreshEvent {
                error: Some(error),
                ..stage("error")
            },
        };
        send(&lines, &last).await;
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|line| (Ok::<_, Infallible>(line), receiver))
    });
    Ok(([(header::CONTENT_TYPE, NDJSON)], Body::from_stream(body)).into_response())
}

fn stage(stage: &'static str) -> RefreshEvent {
    RefreshEvent {
        stage,
        outcome: None,
        error: None,
    }
}

/// Sends one line of the stream; a client that is gone is not an error.
async fn send(lines: &mpsc::Sender<Bytes>, event: &RefreshEvent) {
    let mut line = serde_json::to_vec(event).unwrap_or_else(|_| b"{}".to_vec());
    line.push(b'\n');
    let _ = lines.send(Bytes::from(line)).await;
}
