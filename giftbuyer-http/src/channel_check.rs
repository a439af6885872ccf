//! `POST /api/channels/{id}/check`: asks Telegram, through each of my logged-in accounts (or
//! one of them), whether it can see the channel and post in it, and fills in the channel's
//! title from Telegram when it has none.
//!
//! Gifts bought onto a channel need the buying account to see it (Telegram needs the account's
//! access hash for the channel), so the answer is per account: an account that is not a
//! member cannot buy for this channel, and the panel says which.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use futures_util::future::join_all;
use giftbuyer_core::ports::{AccountRecord, ChannelAccess, Connector, TelegramError};
use giftbuyer_core::{AccountId, ChannelId, TargetRowId};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::common::path_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

/// How long one account may take to answer before it counts as unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

const NO_CONNECTOR: &str =
    "channel checks are not available on this server: it was started without Telegram access";

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/channels/{id}/check", post(check))
}

/// The channel check's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(check))]
pub(crate) struct ChannelCheckApi;

/// Which accounts to check with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckRequest {
    /// The Telegram id of one of my accounts; absent checks with every logged-in account.
    #[serde(default)]
    account_id: Option<i64>,
}

/// What one account can do in the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CheckStatus {
    /// A member allowed to post: gifts can be bought onto the channel from this account.
    CanPost,
    /// A member without the right to post.
    ReadOnly,
    /// The account does not see the channel (not a member, or the channel is private to it).
    NotAMember,
    /// The account could not be asked (not connected, flood wait, network).
    Unavailable,
}

/// One account's answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AccountCheck {
    /// The account's Telegram user id.
    account_id: i64,
    username: Option<String>,
    status: CheckStatus,
    /// Why the account could not be asked, for `unavailable`.
    message: Option<String>,
}

/// The channel as my accounts see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CheckResponse {
    /// The row id of the channel in my list.
    id: i64,
    /// The Bot API id (`-100…`).
    channel_id: i64,
    /// The title Telegram shows, when an account could see it.
    telegram_title: Option<String>,
    /// The channel's title in my list (filled in from Telegram when it had none).
    title: Option<String>,
    /// Whether at least one account can buy onto the channel.
    usable: bool,
    /// Whether the channel takes star gifts at all (`stargifts_available`): an auction gift can
    /// be won for it only then. Read through the first account that sees the channel; null
    /// when none does or the answer could not be read.
    takes_star_gifts: Option<bool>,
    accounts: Vec<AccountCheck>,
    /// When the check ran (unix seconds).
    checked_at: i64,
}

/// Checks that my accounts can see and post in a channel.
///
/// Answers per account: `can_post`, `read_only`, `not_a_member` or `unavailable` (with the
/// reason). An account that is not a member cannot buy gifts for this channel. When the
/// channel has no title yet, the title Telegram shows is saved.
#[utoipa::path(
    post,
    path = "/api/channels/{id}/check",
    tag = "channels",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The channel's row id")),
    request_body = CheckRequest,
    responses(
        (status = 200, description = "What each account can do in the channel", body = CheckResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such channel or account of mine", body = ErrorBody),
        (status = 409, description = "No logged-in account to check with (`no_accounts`)", body = ErrorBody),
        (status = 422, description = "Invalid body, or the target is not a channel (the account itself or a person has no membership to check)", body = ErrorBody),
        (status = 503, description = "The server has no Telegram access", body = ErrorBody),
    )
)]
pub(crate) async fn check(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CheckRequest>,
) -> Result<Json<CheckResponse>, ApiError> {
    let row_id = path_id(&id, "channel", TargetRowId::new)?;
    let mut channel = state
        .store()
        .targets(auth.user_id)
        .await?
        .into_iter()
        .find(|channel| channel.row_id == row_id)
        .ok_or(ApiError::NotFound { what: "channel" })?;
    let Some(channel_id) = channel.recipient.channel() else {
        return Err(ApiError::invalid(
            "id",
            format!(
                "target {row_id} is not a channel: the buying account itself or a person has no membership to check"
            ),
        ));
    };
    let connector = state.connector().ok_or(ApiError::PortMissing {
        message: NO_CONNECTOR,
    })?;
    let accounts = accounts_to_check(&state, &auth, request.account_id).await?;

    let answers = join_all(
        accounts
            .iter()
            .map(|(account, record)| ask(connector.as_ref(), *account, record, channel_id)),
    )
    .await;
    let telegram_title = answers.iter().find_map(|(_, title)| title.clone());
    let seeing = answers
        .iter()
        .find(|(check, _)| matches!(check.status, CheckStatus::CanPost | CheckStatus::ReadOnly))
        .map(|(check, _)| check.account_id);
    let takes_star_gifts = match seeing.and_then(|id| AccountId::new(id).ok()) {
        Some(account) => takes_star_gifts(connector.as_ref(), account, channel_id).await,
        None => None,
    };
    if channel.title.is_none()
        && let Some(title) = telegram_title.as_deref().and_then(clean_title)
    {
        channel.title = Some(title);
        state.store().update_target(auth.user_id, &channel).await?;
        state.config_changed(auth.user_id);
    }
    let accounts: Vec<AccountCheck> = answers.into_iter().map(|(check, _)| check).collect();
    Ok(Json(CheckResponse {
        id: channel.row_id.get(),
        channel_id: channel_id.get(),
        telegram_title,
        title: channel.title,
        usable: accounts
            .iter()
            .any(|account| account.status == CheckStatus::CanPost),
        takes_star_gifts,
        accounts,
        checked_at: state.now().secs(),
    }))
}

/// My logged-in accounts to check with: the one asked for (404 when it is not mine), or all.
async fn accounts_to_check(
    state: &AppState,
    auth: &AuthUser,
    wanted: Option<i64>,
) -> Result<Vec<(AccountId, AccountRecord)>, ApiError> {
    let wanted = match wanted {
        Some(raw) => Some(AccountId::new(raw).map_err(|_| ApiError::NotFound { what: "account" })?),
        None => None,
    };
    let accounts: Vec<(AccountId, AccountRecord)> = state
        .store()
        .accounts(auth.user_id)
        .await?
        .into_iter()
        .filter_map(|record| Some((record.telegram_id?, record)))
        .filter(|(id, _)| wanted.is_none_or(|wanted| wanted == *id))
        .collect();
    if wanted.is_some() && accounts.is_empty() {
        return Err(ApiError::NotFound { what: "account" });
    }
    let logged_in: Vec<_> = accounts
        .into_iter()
        .filter(|(_, record)| record.logged_in)
        .collect();
    if logged_in.is_empty() {
        return Err(ApiError::Telegram {
            status: StatusCode::CONFLICT,
            code: "no_accounts",
            message: "no logged-in Telegram account to check the channel with; add one first"
                .to_owned(),
            retry_after_secs: None,
        });
    }
    Ok(logged_in)
}

/// Whether the channel takes star gifts, as `account` reads it; `None` when unreadable.
async fn takes_star_gifts(
    connector: &dyn Connector,
    account: AccountId,
    channel: ChannelId,
) -> Option<bool> {
    let answer = async {
        let live = connector.account(account).await?;
        live.channel_takes_star_gifts(channel).await
    };
    match tokio::time::timeout(CHECK_TIMEOUT, answer).await {
        Ok(Ok(takes)) => Some(takes),
        Ok(Err(error)) => {
            tracing::debug!(%account, %channel, %error, "a channel's gift setting could not be read");
            None
        }
        Err(_) => None,
    }
}

/// One account's answer and the title it saw.
async fn ask(
    connector: &dyn Connector,
    account: AccountId,
    record: &AccountRecord,
    channel: ChannelId,
) -> (AccountCheck, Option<String>) {
    let answer = async {
        let live = connector.account(account).await?;
        live.channel_info(channel).await
    };
    let result = match tokio::time::timeout(CHECK_TIMEOUT, answer).await {
        Ok(result) => result,
        Err(_) => Err(TelegramError::Timeout),
    };
    let (status, message, title) = match result {
        Ok(info) => {
            let status = match info.access {
                ChannelAccess::CanPost => CheckStatus::CanPost,
                ChannelAccess::ReadOnly => CheckStatus::ReadOnly,
                ChannelAccess::NotMember => CheckStatus::NotAMember,
            };
            (status, None, info.title)
        }
        Err(
            TelegramError::NotMember | TelegramError::ChannelPrivate | TelegramError::PeerInvalid,
        ) => (CheckStatus::NotAMember, None, None),
        Err(TelegramError::ChatWriteForbidden) => (CheckStatus::ReadOnly, None, None),
        Err(error) => (CheckStatus::Unavailable, Some(error.to_string()), None),
    };
    let check = AccountCheck {
        account_id: account.get(),
        username: record.username.clone(),
        status,
        message,
    };
    (check, title)
}

/// A title from Telegram as the panel stores titles: one line, at most the panel's length, or
/// nothing when it holds no visible character.
fn clean_title(raw: &str) -> Option<String> {
    let title: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(crate::channels::MAX_TITLE_CHARS)
        .collect();
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_owned())
}
