//! `/api/profiles`: the user's Telegram API profiles (my.telegram.org's `api_id` and
//! `api_hash`), which Telegram account logins use.
//!
//! The `api_hash` is write-only: it is accepted on creation and never sent back, not even in
//! part, since a profile is told apart by its name and `api_id`. Audit entries name the
//! profile, never the hash.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use giftbuyer_core::ports::{ApiProfile, ApiProfileId, NewApiProfile, PanelStoreError, Secret};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::client::ClientInfo;
use crate::common::{audit, check_label, origin_text, path_id};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

/// The longest profile name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 64;
/// The store's own limit on a profile name, in UTF-8 bytes: it stops names of 64 non-latin
/// characters, so it is checked here too, to name the field as the client knows it.
const MAX_NAME_BYTES: usize = 64;
/// my.telegram.org issues `api_hash` as 32 hexadecimal digits.
const API_HASH_LEN: usize = 32;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/profiles", get(list).post(create))
        .route("/api/profiles/{id}", patch(rename).delete(remove))
}

/// The profile routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, create, rename, remove))]
pub(crate) struct ProfilesApi;

// No `Debug`: it holds the api_hash.
/// A new API profile.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProfileRequest {
    /// 1 to 64 characters (and at most 64 bytes in UTF-8), no control characters; surrounding
    /// spaces are removed.
    #[schema(example = "main")]
    name: String,
    /// my.telegram.org's `api_id`, a positive number.
    #[schema(example = 1234567)]
    api_id: i64,
    /// my.telegram.org's `api_hash`: 32 hexadecimal digits. Write-only.
    #[schema(format = Password, example = "0123456789abcdef0123456789abcdef")]
    api_hash: String,
}

/// A new name for a profile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenameProfileRequest {
    /// 1 to 64 characters, no control characters.
    name: String,
}

/// An API profile, without its `api_hash`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProfileResponse {
    id: i64,
    name: String,
    api_id: i32,
    /// Always true: a profile cannot exist without its hash, which is never shown.
    api_hash_set: bool,
    /// How many of my Telegram accounts use this profile; a profile in use cannot be deleted.
    accounts: u32,
    /// Unix seconds.
    created_at: i64,
}

impl ProfileResponse {
    fn new(profile: &ApiProfile, accounts: u32) -> Self {
        Self {
            id: profile.id.get(),
            name: profile.name.clone(),
            api_id: profile.api_id,
            api_hash_set: !profile.api_hash.expose().is_empty(),
            accounts,
            created_at: profile.created_at.secs(),
        }
    }
}

/// My API profiles, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProfileList {
    profiles: Vec<ProfileResponse>,
}

fn check_name(raw: &str) -> Result<String, ApiError> {
    let name = check_label("name", raw, 1, MAX_NAME_CHARS)?;
    if name.len() > MAX_NAME_BYTES {
        return Err(ApiError::invalid(
            "name",
            format!(
                "must be at most {MAX_NAME_BYTES} bytes in UTF-8 (a non-latin letter takes 2 or more), got {}",
                name.len()
            ),
        ));
    }
    Ok(name)
}

fn parse_api_id(raw: i64) -> Result<i32, ApiError> {
    i32::try_from(raw).ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::invalid(
            "api_id",
            format!("must be a positive number from my.telegram.org, got {raw}"),
        )
    })
}

/// Checks the hash's form without ever echoing it: the message says what was expected and, at
/// most, how long the input was.
fn parse_api_hash(raw: &str) -> Result<Secret<String>, ApiError> {
    let raw = raw.trim();
    if raw.len() != API_HASH_LEN || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::invalid(
            "api_hash",
            format!(
                "must be the {API_HASH_LEN} hexadecimal digits my.telegram.org shows, got {} characters",
                raw.chars().count()
            ),
        ));
    }
    Ok(Secret::new(raw.to_ascii_lowercase()))
}

/// How many of the user's accounts use each profile.
async fn usage(state: &AppState, auth: AuthUser) -> Result<Vec<ApiProfileId>, ApiError> {
    Ok(state
        .store()
        .accounts(auth.user_id)
        .await?
        .iter()
        .filter_map(|account| account.api_profile)
        .collect())
}

fn count(used: &[ApiProfileId], id: ApiProfileId) -> u32 {
    u32::try_from(used.iter().filter(|used| **used == id).count()).unwrap_or(u32::MAX)
}

/// My API profiles.
#[utoipa::path(
    get,
    path = "/api/profiles",
    tag = "profiles",
    security(("session" = [])),
    responses(
        (status = 200, description = "My API profiles, oldest first", body = ProfileList),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<ProfileList>, ApiError> {
    let profiles = state.store().api_profiles(auth.user_id).await?;
    let used = usage(&state, auth).await?;
    Ok(Json(ProfileList {
        profiles: profiles
            .iter()
            .map(|profile| ProfileResponse::new(profile, count(&used, profile.id)))
            .collect(),
    }))
}

/// Adds an API profile.
#[utoipa::path(
    post,
    path = "/api/profiles",
    tag = "profiles",
    security(("session" = [])),
    request_body = NewProfileRequest,
    responses(
        (status = 201, description = "The profile, without its api_hash", body = ProfileResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "I already have a profile with this name", body = ErrorBody),
        (status = 422, description = "A field is missing or invalid; `fields` names it", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewProfileRequest>,
) -> Result<(StatusCode, Json<ProfileResponse>), ApiError> {
    let name = check_name(&body.name)?;
    let api_id = parse_api_id(body.api_id)?;
    let api_hash = parse_api_hash(&body.api_hash)?;
    let now = state.now();
    let new = NewApiProfile {
        name: name.clone(),
        api_id,
        api_hash,
    };
    let id = state
        .store()
        .create_api_profile(auth.user_id, new, now)
        .await
        .map_err(|error| match error {
            PanelStoreError::Conflict { .. } => ApiError::Conflict {
                what: "an API profile with this name",
            },
            other => other.into(),
        })?;
    let detail = format!(
        "created API profile {id} {name:?} (api_id {api_id}) {}",
        origin_text(&client)
    );
    audit(&state, auth.user_id, "api_profile.created", &detail, now).await;
    Ok((
        StatusCode::CREATED,
        Json(ProfileResponse {
            id: id.get(),
            name,
            api_id,
            api_hash_set: true,
            accounts: 0,
            created_at: now.secs(),
        }),
    ))
}

/// Renames an API profile.
#[utoipa::path(
    patch,
    path = "/api/profiles/{id}",
    tag = "profiles",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The profile's id")),
    request_body = RenameProfileRequest,
    responses(
        (status = 200, description = "The renamed profile", body = ProfileResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such profile of mine", body = ErrorBody),
        (status = 409, description = "I already have a profile with this name", body = ErrorBody),
        (status = 422, description = "The name is invalid", body = ErrorBody),
    )
)]
pub(crate) async fn rename(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenameProfileRequest>,
) -> Result<Json<ProfileResponse>, ApiError> {
    let id = path_id(&id, "api profile", ApiProfileId::new)?;
    let name = check_name(&body.name)?;
    let not_found = || ApiError::NotFound {
        what: "api profile",
    };
    let renamed = state
        .store()
        .rename_api_profile(auth.user_id, id, &name)
        .await
        .map_err(|error| match error {
            PanelStoreError::Conflict { .. } => ApiError::Conflict {
                what: "an API profile with this name",
            },
            other => other.into(),
        })?;
    if !renamed {
        return Err(not_found());
    }
    let profile = state
        .store()
        .api_profile(auth.user_id, id)
        .await?
        .ok_or_else(not_found)?;
    let used = usage(&state, auth).await?;
    let now = state.now();
    let detail = format!(
        "renamed API profile {id} to {name:?} {}",
        origin_text(&client)
    );
    audit(&state, auth.user_id, "api_profile.renamed", &detail, now).await;
    Ok(Json(ProfileResponse::new(&profile, count(&used, id))))
}

/// Deletes an API profile that no account uses.
#[utoipa::path(
    delete,
    path = "/api/profiles/{id}",
    tag = "profiles",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The profile's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such profile of mine", body = ErrorBody),
        (status = 409, description = "Accounts still use it (`in_use`)", body = ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "api profile", ApiProfileId::new)?;
    let deleted = state
        .store()
        .delete_api_profile(auth.user_id, id)
        .await
        .map_err(|error| match error {
            PanelStoreError::InUse { .. } => ApiError::InUse {
                what: "this API profile",
            },
            other => other.into(),
        })?;
    if !deleted {
        return Err(ApiError::NotFound {
            what: "api profile",
        });
    }
    let detail = format!("deleted API profile {id} {}", origin_text(&client));
    audit(
        &state,
        auth.user_id,
        "api_profile.deleted",
        &detail,
        state.now(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_hash_errors_never_echo_the_input() {
        let secret = "0123456789abcdef0123456789abcdeg";
        let error = parse_api_hash(secret)
            .map(|_| ())
            .expect_err("g is not hex");
        assert!(!error.to_string().contains(secret), "{error}");
        assert!(!format!("{:?}", error.body()).contains(secret));
        assert_eq!(
            parse_api_hash(" 0123456789ABCDEF0123456789abcdef ").map(Secret::into_exposed),
            Ok("0123456789abcdef0123456789abcdef".to_owned())
        );
    }

    #[test]
    fn api_ids_are_positive_32_bit_numbers() {
        assert_eq!(parse_api_id(1), Ok(1));
        for bad in [0, -5, i64::from(i32::MAX) + 1] {
            assert!(parse_api_id(bad).is_err(), "{bad}");
        }
    }
}
