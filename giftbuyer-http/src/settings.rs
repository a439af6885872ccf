//! `/api/settings`: autobuy on or off, notification chats, the forced buy target, the report
//! language, the order in which new gifts get the stars, and the bot token.
//!
//! The bot token is write-only: responses say whether one is set and, when a
//! [`BotVerifier`](crate::BotVerifier) is configured, the bot's username. It is checked for
//! its form (and with Telegram, when a verifier is present) before it is saved, and neither
//! error messages, audit entries nor logs ever contain it.
//!
//! A request that changes settings and the token saves both in one store transaction, so a
//! failure cannot leave one half saved.

use std::collections::HashSet;
use std::fmt::Write as _;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use giftbuyer_core::ports::{ChatId, Secret, UserSettings};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{ChannelId, Priority};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::client::ClientInfo;
use crate::common::{Patch, audit, named, origin_text};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::ports::VerifyError;
use crate::state::AppState;

/// The most notification chats a user may have: each gets a message for every new gift.
pub(crate) const MAX_NOTIFICATION_CHATS: usize = 20;
/// Bot tokens are about 46 characters; this only stops absurd input.
const MAX_TOKEN_LEN: usize = 128;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/settings", get(show).patch(change))
}

/// The settings routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(show, change))]
pub(crate) struct SettingsApi;

/// My settings. The bot token itself is never sent.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SettingsResponse {
    bot_token_set: bool,
    /// The bot's username as Telegram reports it, when the server can ask Telegram and a token
    /// is set; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    bot_username: Option<String>,
    /// Chats that get a message for every new gift.
    notification_chats: Vec<i64>,
    /// When set, every purchase goes to this channel and channel filters are ignored.
    forced_target: Option<i64>,
    /// Whether new limited gifts are bought automatically.
    autobuy: bool,
    /// `en` or `ru`.
    #[schema(example = "en")]
    report_lang: String,
    priority: PriorityWire,
}

/// The order in which new gifts get the stars when a balance cannot buy them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PriorityWire {
    /// Smaller supply first, then higher price, then lower id (the default).
    ScarcestFirst,
    /// Higher price first, then smaller supply, then lower id.
    PriciestFirst,
}

impl<'de> Deserialize<'de> for PriorityWire {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        named(
            deserializer,
            &["scarcest_first", "priciest_first"],
            &[Self::ScarcestFirst, Self::PriciestFirst],
        )
    }
}

impl From<Priority> for PriorityWire {
    fn from(priority: Priority) -> Self {
        match priority {
            Priority::ScarcestFirst => Self::ScarcestFirst,
            Priority::PriciestFirst => Self::PriciestFirst,
        }
    }
}

impl From<PriorityWire> for Priority {
    fn from(priority: PriorityWire) -> Self {
        match priority {
            PriorityWire::ScarcestFirst => Self::ScarcestFirst,
            PriorityWire::PriciestFirst => Self::PriciestFirst,
        }
    }
}

// No `Debug`: it may hold the bot token.
/// Changes to my settings: absent fields keep their values.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsPatchRequest {
    /// A token from @BotFather sets it; `null` removes it. Write-only.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    bot_token: Patch<String>,
    /// Non-zero Bot API chat ids, at most 20; duplicates are dropped. Cannot be null.
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    notification_chats: Patch<Vec<i64>>,
    /// A Bot API channel id (-100...); `null` buys by channel filters again.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    forced_target: Patch<i64>,
    /// Cannot be null.
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    autobuy: Patch<bool>,
    /// `en` or `ru`. Cannot be null.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    report_lang: Patch<String>,
    /// `scarcest_first` or `priciest_first`. Cannot be null.
    #[serde(default)]
    #[schema(value_type = Option<PriorityWire>)]
    priority: Patch<PriorityWire>,
}

fn response(
    settings: &UserSettings,
    token_set: bool,
    username: Option<String>,
) -> SettingsResponse {
    SettingsResponse {
        bot_token_set: token_set,
        bot_username: username,
        notification_chats: settings
            .notification_chats
            .iter()
            .map(|chat| chat.get())
            .collect(),
        forced_target: settings.forced_target.map(ChannelId::get),
        autobuy: settings.autobuy,
        report_lang: settings.report_lang.code().to_owned(),
        priority: settings.priority.into(),
    }
}

/// Checks a token's form: `<bot id>:<secret>`, as @BotFather issues them. The message
/// describes the expected form and never repeats the input.
fn parse_token(raw: String) -> Result<Secret<String>, ApiError> {
    let token = raw.trim();
    let valid = token.len() <= MAX_TOKEN_LEN
        && token.split_once(':').is_some_and(|(id, secret)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && secret.len() >= 20
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        });
    if !valid {
        return Err(ApiError::invalid(
            "bot_token",
            "expected a token from @BotFather: the bot's id, a colon and at least 20 letters, digits, '_' or '-'",
        ));
    }
    Ok(Secret::new(token.to_owned()))
}

/// Checks and deduplicates chat ids, keeping the first occurrence's position.
fn parse_chats(raw: Vec<i64>) -> Result<Vec<ChatId>, ApiError> {
    let mut seen = HashSet::new();
    let mut chats = Vec::new();
    for (index, id) in raw.into_iter().enumerate() {
        let chat = ChatId::new(id).map_err(|error| {
            ApiError::invalid(format!("notification_chats[{index}]"), error.to_string())
        })?;
        if seen.insert(chat) {
            chats.push(chat);
        }
    }
    if chats.len() > MAX_NOTIFICATION_CHATS {
        return Err(ApiError::invalid(
            "notification_chats",
            format!(
                "at most {MAX_NOTIFICATION_CHATS} chats, got {}",
                chats.len()
            ),
        ));
    }
    Ok(chats)
}

fn parse_lang(raw: &str) -> Result<Lang, ApiError> {
    raw.parse::<Lang>()
        .map_err(|error| ApiError::invalid("report_lang", error.to_string()))
}

/// The bot's username for a stored token, when a verifier is configured. A failure only
/// leaves the username out: the settings must stay readable while Telegram is unreachable.
async fn username(state: &AppState, token: Option<&Secret<String>>) -> Option<String> {
    let (verifier, token) = (state.bot_verifier()?, token?);
    match verifier.verify(token).await {
        Ok(identity) => Some(identity.username),
        Err(error) => {
            tracing::warn!(%error, "could not verify the stored bot token");
            None
        }
    }
}

/// My settings.
#[utoipa::path(
    get,
    path = "/api/settings",
    tag = "settings",
    security(("session" = [])),
    responses(
        (status = 200, description = "My settings, without the bot token", body = SettingsResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<SettingsResponse>, ApiError> {
    let settings = state.store().settings(auth.user_id).await?;
    let token = state.store().bot_token(auth.user_id).await?;
    let username = username(&state, token.as_ref()).await;
    Ok(Json(response(&settings, token.is_some(), username)))
}

/// Changes my settings. Absent fields keep their values; `bot_token: null` removes the token.
/// Every field is checked before anything is saved.
#[utoipa::path(
    patch,
    path = "/api/settings",
    tag = "settings",
    security(("session" = [])),
    request_body = SettingsPatchRequest,
    responses(
        (status = 200, description = "My settings as changed", body = SettingsResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "A field is invalid (`fields` names it), or Telegram refused the bot token", body = ErrorBody),
        (status = 503, description = "Telegram could not be asked about the bot token", body = ErrorBody),
    )
)]
pub(crate) async fn change(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    ApiJson(body): ApiJson<SettingsPatchRequest>,
) -> Result<Json<SettingsResponse>, ApiError> {
    let token = match body.bot_token {
        Patch::Keep => Patch::Keep,
        Patch::Clear => Patch::Clear,
        Patch::Set(raw) => Patch::Set(parse_token(raw)?),
    };
    let chats = body
        .notification_chats
        .not_null("notification_chats")?
        .map(parse_chats)
        .transpose()?;
    let forced_target = match body.forced_target {
        Patch::Keep => Patch::Keep,
        Patch::Clear => Patch::Clear,
        Patch::Set(raw) => Patch::Set(
            ChannelId::new(raw)
                .map_err(|error| ApiError::invalid("forced_target", error.to_string()))?,
        ),
    };
    let autobuy = body.autobuy.not_null("autobuy")?;
    let lang = body
        .report_lang
        .not_null("report_lang")?
        .map(|raw| parse_lang(&raw))
        .transpose()?;
    let priority = body.priority.not_null("priority")?.map(Priority::from);

    // A new token is verified before anything is saved, so a refused token leaves every
    // setting as it was.
    let mut verified = None;
    if let (Patch::Set(token), Some(verifier)) = (&token, state.bot_verifier()) {
        match verifier.verify(token).await {
            Ok(identity) => verified = Some(identity.username),
            Err(VerifyError::Rejected) => {
                return Err(ApiError::invalid(
                    "bot_token",
                    "Telegram does not accept this bot token",
                ));
            }
            Err(error @ VerifyError::Unavailable(_)) => {
                tracing::warn!(%error, "could not verify a new bot token");
                return Err(ApiError::Unavailable);
            }
        }
    }

    let now = state.now();
    let from = origin_text(&client);
    let current = state.store().settings(auth.user_id).await?;
    let mut next = current.clone();
    if let Some(chats) = chats {
        next.notification_chats = chats;
    }
    next.forced_target = forced_target.apply(current.forced_target);
    if let Some(autobuy) = autobuy {
        next.autobuy = autobuy;
    }
    if let Some(lang) = lang {
        next.report_lang = lang;
    }
    if let Some(priority) = priority {
        next.priority = priority;
    }
    // The settings and the token are written together, so a failure leaves both as they were.
    let changed = next != current;
    let token_set = matches!(token, Patch::Set(_));
    let had_token = match token {
        Patch::Clear => state.store().bot_token(auth.user_id).await?.is_some(),
        Patch::Keep | Patch::Set(_) => false,
    };
    let stored_token = match token {
        Patch::Keep => {
            if changed {
                state
                    .store()
                    .save_settings(auth.user_id, &next, now)
                    .await?;
            }
            state.store().bot_token(auth.user_id).await?
        }
        Patch::Clear => {
            state
                .store()
                .save_settings_and_token(auth.user_id, changed.then_some(&next), None, now)
                .await?;
            None
        }
        Patch::Set(token) => {
            state
                .store()
                .save_settings_and_token(
                    auth.user_id,
                    changed.then_some(&next),
                    Some(token.clone()),
                    now,
                )
                .await?;
            Some(token)
        }
    };
    if changed {
        let detail = format!("{} {from}", describe_changes(&current, &next));
        audit(&state, auth.user_id, "settings.changed", &detail, now).await;
    }
    if changed || had_token || token_set {
        state.config_changed(auth.user_id);
    }
    if had_token {
        let detail = format!("removed the bot token {from}");
        audit(&state, auth.user_id, "bot_token.cleared", &detail, now).await;
    }
    if token_set {
        let bot = verified
            .as_deref()
            .map_or_else(String::new, |name| format!(" for @{name}"));
        let detail = format!("set the bot token{bot} {from}");
        audit(&state, auth.user_id, "bot_token.set", &detail, now).await;
    }
    let username = match verified {
        Some(name) => Some(name),
        None => username(&state, stored_token.as_ref()).await,
    };
    Ok(Json(response(&next, stored_token.is_some(), username)))
}

/// "autobuy on, report_lang ru", naming each changed setting with its new value (none of
/// which is a secret).
fn describe_changes(old: &UserSettings, new: &UserSettings) -> String {
    let mut parts = Vec::new();
    if old.autobuy != new.autobuy {
        parts.push(format!(
            "autobuy {}",
            if new.autobuy { "on" } else { "off" }
        ));
    }
    if old.notification_chats != new.notification_chats {
        let mut text = String::from("notification_chats [");
        for (index, chat) in new.notification_chats.iter().enumerate() {
            let comma = if index == 0 { "" } else { ", " };
            let _ = write!(text, "{comma}{chat}");
        }
        text.push(']');
        parts.push(text);
    }
    if old.forced_target != new.forced_target {
        parts.push(match new.forced_target {
            Some(target) => format!("forced_target {target}"),
            None => "forced_target none".to_owned(),
        });
    }
    if old.report_lang != new.report_lang {
        parts.push(format!("report_lang {}", new.report_lang));
    }
    if old.priority != new.priority {
        parts.push(format!("priority {}", new.priority));
    }
    format!("changed settings: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_never_echo_the_token() {
        for bad in [
            "123456:short",
            "abc:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "no colon at all",
        ] {
            let error = parse_token(bad.to_owned()).map(|_| ()).expect_err(bad);
            assert!(!format!("{:?}", error.body()).contains(bad), "{bad}");
        }
        let token =
            parse_token(" 123456789:AAE_abcdefghijklmnopqrstuvwxyz-0 ".into()).expect("valid");
        assert_eq!(token.expose(), "123456789:AAE_abcdefghijklmnopqrstuvwxyz-0");
    }

    #[test]
    fn chats_are_deduplicated_in_order_and_bounded() {
        let chats = parse_chats(vec![5, -7, 5, 9]).expect("valid");
        assert_eq!(
            chats.iter().map(|c| c.get()).collect::<Vec<_>>(),
            [5, -7, 9]
        );
        let zero = parse_chats(vec![5, 0]).expect_err("zero");
        assert_eq!(
            zero.body()
                .error
                .fields
                .map(|f| f.into_keys().collect::<Vec<_>>()),
            Some(vec!["notification_chats[1]".to_owned()])
        );
        assert!(parse_chats((1..=21).collect()).is_err());
        assert!(
            parse_chats((1..=20).chain(1..=20).collect()).is_ok(),
            "counted after deduplication"
        );
    }
}
