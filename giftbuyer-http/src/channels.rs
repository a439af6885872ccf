//! `/api/channels`: the targets bought gifts are sent to (a channel, the buying account itself,
//! or a person by username), each with the price and supply bounds that select its gifts and
//! the exclude list of gifts it never takes, and a preview of which targets would take a given
//! gift. The routes keep the name they had when every target was a channel, so that scripts
//! written against them keep working: a channel target reads and writes as it always did.
//!
//! Validation reuses the core's rules (`ChannelId` for the Bot API form, `TelegramUsername`,
//! `Bounds` for `min <= max`), so the panel refuses exactly what the engine could not use, and
//! names the field at fault.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use giftbuyer_core::ports::{NewTarget, PanelStoreError};
use giftbuyer_core::{
    Bounds, ChannelId, ExcludeList, GiftId, GiftKind, GiftKinds, Recipient, Target, TargetFilter,
    TargetRanking, TargetRowId,
};
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::client::ClientInfo;
use crate::common::{Patch, audit, check_label, named, origin_text, path_id};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::recipient;
use crate::state::AppState;

/// The longest channel title, in characters (Telegram's own limit for channel titles).
pub(crate) const MAX_TITLE_CHARS: usize = 128;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/channels", get(list).post(create))
        .route("/api/channels/preview", post(preview))
        .route("/api/channels/{id}", patch(update).delete(remove))
}

/// The target routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, create, update, remove, preview))]
pub(crate) struct ChannelsApi;

/// A target to add: a channel (`channel_id`), a person (`username`), or, with neither, the
/// buying account itself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewChannelRequest {
    /// A channel target: the Bot API id, -100 followed by the channel's id.
    #[serde(default)]
    #[schema(example = -1001234567890_i64)]
    channel_id: Option<i64>,
    /// A person target: a Telegram username, 5 to 32 latin letters, digits and `_`, with or
    /// without its `@`. Not together with `channel_id`.
    #[serde(default)]
    #[schema(example = "gift_friend")]
    username: Option<String>,
    /// Up to 128 characters without control characters; empty means none.
    #[serde(default)]
    title: Option<String>,
    /// Stars, inclusive; null or absent means no bound.
    #[serde(default)]
    price_min: Option<i64>,
    #[serde(default)]
    price_max: Option<i64>,
    /// Total supply of the gift, inclusive; null or absent means no bound.
    #[serde(default)]
    supply_min: Option<i64>,
    #[serde(default)]
    supply_max: Option<i64>,
    /// Gifts never bought onto this channel; absent or null means none.
    #[serde(default)]
    exclude: Option<ExcludeRequest>,
}

/// Gifts a channel never takes, even when its bounds accept them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExcludeRequest {
    /// Positive gift ids, at most 1000 once duplicates are removed. Each is an integer or its
    /// decimal string: gift ids exceed what a JavaScript number holds exactly.
    #[serde(default)]
    gift_ids: Vec<GiftIdInput>,
    #[serde(default)]
    kinds: Vec<GiftKindWire>,
}

/// A gift kind, named after the `starGift` flag that marks it. Any other name is refused
/// with a 422 that quotes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GiftKindWire {
    /// `birthday`: Telegram's birthday gifts.
    Birthday,
    /// `require_premium`: gifts only Premium accounts may buy.
    PremiumOnly,
}

impl<'de> Deserialize<'de> for GiftKindWire {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        named(
            deserializer,
            &["birthday", "premium_only"],
            &[Self::Birthday, Self::PremiumOnly],
        )
    }
}

impl From<GiftKindWire> for GiftKind {
    fn from(kind: GiftKindWire) -> Self {
        match kind {
            GiftKindWire::Birthday => Self::Birthday,
            GiftKindWire::PremiumOnly => Self::PremiumOnly,
        }
    }
}

impl From<GiftKind> for GiftKindWire {
    fn from(kind: GiftKind) -> Self {
        match kind {
            GiftKind::Birthday => Self::Birthday,
            GiftKind::PremiumOnly => Self::PremiumOnly,
        }
    }
}

/// A gift id given as a JSON integer or as its decimal string.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(value_type = i64, example = 5_170_145_012_310_081_615_i64)]
pub(crate) struct GiftIdInput(i64);

impl GiftIdInput {
    pub(crate) const fn get(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for GiftIdInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl Visitor<'_> for IdVisitor {
            type Value = GiftIdInput;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a gift id: an integer or its decimal string")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<GiftIdInput, E> {
                Ok(GiftIdInput(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<GiftIdInput, E> {
                i64::try_from(value)
                    .map(GiftIdInput)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(value), &self))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<GiftIdInput, E> {
                value
                    .parse()
                    .map(GiftIdInput)
                    .map_err(|_| E::invalid_value(Unexpected::Str(value), &self))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

/// Gifts a channel never takes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ExcludeResponse {
    /// Gift ids in ascending order.
    gift_ids: Vec<i64>,
    kinds: Vec<GiftKindWire>,
}

impl From<&ExcludeList> for ExcludeResponse {
    fn from(exclude: &ExcludeList) -> Self {
        Self {
            gift_ids: exclude.gift_ids().map(|id| id.get()).collect(),
            kinds: exclude.kinds().iter().map(GiftKindWire::from).collect(),
        }
    }
}

/// The exclude list of a request, checked by the core's rules. Kinds were checked when the
/// body was read, so what is left to refuse is about the ids.
fn parse_exclude(raw: Option<ExcludeRequest>) -> Result<ExcludeList, ApiError> {
    let raw = raw.unwrap_or_default();
    let kinds = raw.kinds.into_iter().map(GiftKind::from);
    ExcludeList::new(raw.gift_ids.iter().map(|id| id.0), kinds)
        .map_err(|error| ApiError::invalid("exclude.gift_ids", error.to_string()))
}

/// Changes to a target: an absent field keeps its value, `null` clears a title or a bound.
/// When `channel_id` or `username` is present, the recipient is read again from both (an
/// absent one counting as null), so both null makes the target the buying account itself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelPatchRequest {
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    channel_id: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    username: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    price_min: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    price_max: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    supply_min: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    supply_max: Patch<i64>,
    /// Replaces the whole exclude list; `null` empties it.
    #[serde(default)]
    #[schema(value_type = Option<ExcludeRequest>)]
    exclude: Patch<ExcludeRequest>,
}

/// A gift to place: its price in stars and its total supply, and optionally its id and kinds,
/// which exclude lists select on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewRequest {
    #[schema(example = 5000)]
    price: u64,
    #[schema(example = 10000)]
    supply: u64,
    /// The gift's id, an integer or its decimal string; channels that exclude it are left out.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    gift_id: Option<GiftIdInput>,
    /// The gift's kinds; channels that exclude one of them are left out.
    #[serde(default)]
    kinds: Vec<GiftKindWire>,
}

/// Which kind of recipient a target is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TargetKind {
    /// One of my channels (`channel_id` is set).
    Channel,
    /// The buying account's own profile: each account buys onto itself.
    #[serde(rename = "self")]
    Buyer,
    /// A person by username (`username` is set).
    User,
}

/// One of my targets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ChannelResponse {
    /// The row id, used in paths.
    id: i64,
    kind: TargetKind,
    /// Set for a channel target.
    channel_id: Option<i64>,
    /// Set for a person target: the username in lower case, without the `@`.
    username: Option<String>,
    title: Option<String>,
    price_min: Option<u64>,
    price_max: Option<u64>,
    supply_min: Option<u64>,
    supply_max: Option<u64>,
    exclude: ExcludeResponse,
}

impl From<&Target> for ChannelResponse {
    fn from(channel: &Target) -> Self {
        Self {
            id: channel.row_id.get(),
            kind: match channel.recipient {
                Recipient::Channel(_) => TargetKind::Channel,
                Recipient::Buyer => TargetKind::Buyer,
                Recipient::User(_) => TargetKind::User,
            },
            channel_id: recipient::channel(channel.recipient),
            username: recipient::username(channel.recipient),
            title: channel.title.clone(),
            price_min: channel.filter.price.min(),
            price_max: channel.filter.price.max(),
            supply_min: channel.filter.supply.min(),
            supply_max: channel.filter.supply.max(),
            exclude: ExcludeResponse::from(&channel.exclude),
        }
    }
}

/// My targets, by id.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChannelList {
    channels: Vec<ChannelResponse>,
}

/// Where a gift of the given price and supply would go.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PreviewResponse {
    /// The target the engine tries first, if any accepts the gift.
    best: Option<ChannelResponse>,
    /// Every target that takes it (its bounds accept the gift and its exclude list does not
    /// name the given id or kinds), best first: the engine falls back along this list when a
    /// target refuses a purchase.
    matching: Vec<ChannelResponse>,
    /// When set in my settings, every purchase goes to this channel instead and the filters
    /// above are not used.
    forced_target: Option<i64>,
}

fn parse_recipient(channel_id: Option<i64>, username: Option<&str>) -> Result<Recipient, ApiError> {
    recipient::from_parts(channel_id, username, ("channel_id", "username"))
}

/// A title as stored: trimmed, empty meaning none.
fn parse_title(raw: Option<String>) -> Result<Option<String>, ApiError> {
    raw.map(|title| check_label("title", &title, 0, MAX_TITLE_CHARS))
        .transpose()
        .map(|title| title.filter(|title| !title.is_empty()))
}

/// One end of a bound: a negative value is refused under its own field name.
fn bound_end(field: &str, value: Option<i64>) -> Result<Option<u64>, ApiError> {
    value
        .map(|value| {
            u64::try_from(value)
                .map_err(|_| ApiError::invalid(field, format!("must not be negative, got {value}")))
        })
        .transpose()
}

/// Both ends of a range, checked by the core's [`Bounds`]; an inverted range is reported on
/// its minimum.
fn bounds(
    what: &'static str,
    (min_field, min): (&str, Option<i64>),
    (max_field, max): (&str, Option<i64>),
) -> Result<Bounds, ApiError> {
    let min = bound_end(min_field, min)?;
    let max = bound_end(max_field, max)?;
    Bounds::new(min, max, what).map_err(|error| ApiError::invalid(min_field, error.to_string()))
}

fn filter(
    price: (Option<i64>, Option<i64>),
    supply: (Option<i64>, Option<i64>),
) -> Result<TargetFilter, ApiError> {
    Ok(TargetFilter {
        price: bounds("price", ("price_min", price.0), ("price_max", price.1))?,
        supply: bounds("supply", ("supply_min", supply.0), ("supply_max", supply.1))?,
    })
}

/// A duplicate is reported as such; everything else maps as usual.
fn store_error(error: PanelStoreError) -> ApiError {
    match error {
        PanelStoreError::Conflict { .. } => ApiError::Conflict {
            what: "a target with this recipient",
        },
        other => other.into(),
    }
}

fn signed(value: Option<u64>) -> Option<i64> {
    // Stored bounds came through `i64` on the way in, so they always fit.
    value.map(|value| i64::try_from(value).unwrap_or(i64::MAX))
}

/// My targets.
#[utoipa::path(
    get,
    path = "/api/channels",
    tag = "channels",
    security(("session" = [])),
    responses(
        (status = 200, description = "My targets, by id", body = ChannelList),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<ChannelList>, ApiError> {
    let channels = state.store().targets(auth.user_id).await?;
    Ok(Json(ChannelList {
        channels: channels.iter().map(ChannelResponse::from).collect(),
    }))
}

/// Adds a target.
#[utoipa::path(
    post,
    path = "/api/channels",
    tag = "channels",
    security(("session" = [])),
    request_body = NewChannelRequest,
    responses(
        (status = 201, description = "The target", body = ChannelResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "This recipient is already in my list", body = ErrorBody),
        (status = 422, description = "A field is invalid; `fields` names it", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewChannelRequest>,
) -> Result<(StatusCode, Json<ChannelResponse>), ApiError> {
    let recipient = parse_recipient(body.channel_id, body.username.as_deref())?;
    let title = parse_title(body.title)?;
    let filter = filter(
        (body.price_min, body.price_max),
        (body.supply_min, body.supply_max),
    )?;
    let exclude = parse_exclude(body.exclude)?;
    let now = state.now();
    let new = NewTarget {
        recipient,
        title: title.clone(),
        filter,
        exclude: exclude.clone(),
    };
    let row_id = state
        .store()
        .add_target(auth.user_id, new, now)
        .await
        .map_err(store_error)?;
    let detail = format!(
        "added {} (row {row_id}) {}",
        recipient::describe(recipient),
        origin_text(&client)
    );
    audit(&state, auth.user_id, "channel.added", &detail, now).await;
    state.config_changed(auth.user_id);
    let channel = Target {
        row_id,
        recipient,
        filter,
        exclude,
        title,
    };
    Ok((StatusCode::CREATED, Json(ChannelResponse::from(&channel))))
}

/// Changes a target. Absent fields keep their values; `null` clears the title or a bound.
/// The result must still be valid as a whole (e.g. a new `price_min` above the kept
/// `price_max` is refused).
#[utoipa::path(
    patch,
    path = "/api/channels/{id}",
    tag = "channels",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The target's row id")),
    request_body = ChannelPatchRequest,
    responses(
        (status = 200, description = "The target as changed", body = ChannelResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such target of mine", body = ErrorBody),
        (status = 409, description = "Another of my targets has this recipient", body = ErrorBody),
        (status = 422, description = "A field is invalid; `fields` names it", body = ErrorBody),
    )
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChannelPatchRequest>,
) -> Result<Json<ChannelResponse>, ApiError> {
    let row_id = path_id(&id, "target", TargetRowId::new)?;
    // Fields are checked before the lookup so that a bad body gets the same answer whoever
    // owns the row; the lookup decides 404 before anything is written.
    let new_recipient = match (body.channel_id, body.username) {
        (Patch::Keep, Patch::Keep) => None,
        (channel_id, username) => {
            let username = username.apply(None);
            Some(parse_recipient(
                channel_id.apply(None),
                username.as_deref(),
            )?)
        }
    };
    let new_title = match body.title {
        Patch::Set(title) => Patch::Set(parse_title(Some(title))?),
        Patch::Clear => Patch::Clear,
        Patch::Keep => Patch::Keep,
    };
    let new_exclude = match body.exclude {
        Patch::Set(exclude) => Some(parse_exclude(Some(exclude))?),
        Patch::Clear => Some(ExcludeList::EMPTY),
        Patch::Keep => None,
    };
    let current = state
        .store()
        .targets(auth.user_id)
        .await?
        .into_iter()
        .find(|channel| channel.row_id == row_id)
        .ok_or(ApiError::NotFound { what: "target" })?;
    let old = current.filter;
    let filter = filter(
        (
            body.price_min.apply(signed(old.price.min())),
            body.price_max.apply(signed(old.price.max())),
        ),
        (
            body.supply_min.apply(signed(old.supply.min())),
            body.supply_max.apply(signed(old.supply.max())),
        ),
    )?;
    let title = match new_title {
        Patch::Set(title) => title,
        Patch::Clear => None,
        Patch::Keep => current.title.clone(),
    };
    let channel = Target {
        row_id,
        recipient: new_recipient.unwrap_or(current.recipient),
        filter,
        exclude: new_exclude.unwrap_or_else(|| current.exclude.clone()),
        title,
    };
    if channel != current {
        state
            .store()
            .update_target(auth.user_id, &channel)
            .await
            .map_err(store_error)?;
        let detail = format!(
            "changed {} (row {row_id}) {}",
            recipient::describe(channel.recipient),
            origin_text(&client)
        );
        audit(
            &state,
            auth.user_id,
            "channel.changed",
            &detail,
            state.now(),
        )
        .await;
        state.config_changed(auth.user_id);
    }
    Ok(Json(ChannelResponse::from(&channel)))
}

/// Removes a target from my list.
#[utoipa::path(
    delete,
    path = "/api/channels/{id}",
    tag = "channels",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The target's row id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such target of mine", body = ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row_id = path_id(&id, "target", TargetRowId::new)?;
    if !state.store().delete_target(auth.user_id, row_id).await? {
        return Err(ApiError::NotFound { what: "target" });
    }
    let detail = format!("deleted target row {row_id} {}", origin_text(&client));
    audit(
        &state,
        auth.user_id,
        "channel.deleted",
        &detail,
        state.now(),
    )
    .await;
    state.config_changed(auth.user_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Which of my targets would take a gift of this price and supply, ranked as the engine ranks
/// them. Changes nothing; it is a POST because it takes a body.
#[utoipa::path(
    post,
    path = "/api/channels/preview",
    tag = "channels",
    security(("session" = [])),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The targets that accept the gift, best first", body = PreviewResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "price or supply is missing or negative, gift_id is not positive, or a kind is unknown", body = ErrorBody),
    )
)]
pub(crate) async fn preview(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Json<PreviewResponse>, ApiError> {
    let channels = state.store().targets(auth.user_id).await?;
    let settings = state.store().settings(auth.user_id).await?;
    let gift = body
        .gift_id
        .map(|raw| GiftId::new(raw.0))
        .transpose()
        .map_err(|error| ApiError::invalid("gift_id", error.to_string()))?;
    let kinds: GiftKinds = body.kinds.into_iter().map(GiftKind::from).collect();
    // Without an id only the kinds can be excluded, which is what the planner would decide for
    // a gift no list names.
    let takes = |channel: &&Target| match gift {
        Some(id) => !channel.exclude.matches(id, kinds),
        None => !channel.exclude.kinds().intersects(kinds),
    };
    let ranking = TargetRanking::new(&channels);
    let matching: Vec<ChannelResponse> = ranking
        .matching(body.price, body.supply)
        .filter(takes)
        .map(ChannelResponse::from)
        .collect();
    Ok(Json(PreviewResponse {
        best: matching.first().cloned(),
        matching,
        forced_target: settings.forced_target.map(ChannelId::get),
    }))
}
