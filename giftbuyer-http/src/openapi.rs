//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and the
//! DTOs' `ToSchema` derives, and served as JSON at `/api/openapi.json` (no UI: nothing is
//! downloaded at build time).
//!
//! Each route group keeps its own `#[derive(OpenApi)]` listing its paths; [`openapi`] merges
//! them, so adding a group is one line here.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::accounts::AccountsApi;
use crate::auctions::AuctionsApi;
use crate::auth::{AuthApi, SESSION_COOKIE};
use crate::channel_check::ChannelCheckApi;
use crate::channels::ChannelsApi;
use crate::error::ErrorBody;
use crate::gifts::GiftsApi;
use crate::health::SystemApi;
use crate::history::HistoryApi;
use crate::profiles::ProfilesApi;
use crate::resale::ResaleApi;
use crate::settings::SettingsApi;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "GiftBuyer API",
        description = "The JSON API of a self-hosted GiftBuyer server. State-changing requests \
            need Content-Type: application/json and a same-origin Origin header. Every error is \
            {\"error\": {\"code\", \"message\", \"fields\"?, \"retry_after_secs\"?}}."
    ),
    components(schemas(ErrorBody)),
    modifiers(&SessionCookie),
    tags(
        (name = "auth", description = "Registration, login and sessions"),
        (name = "profiles", description = "Telegram API profiles (api_id, write-only api_hash)"),
        (name = "channels", description = "Channels that receive bought gifts, and their filters"),
        (name = "settings", description = "Autobuy, notifications, report language and the write-only bot token"),
        (name = "accounts", description = "Telegram accounts: login (phone, code, 2FA password), list, delete, refresh (NDJSON)"),
        (name = "gifts", description = "The gift catalog and its live stream (SSE)"),
        (name = "history", description = "Autobuy runs, spending and the audit log"),
        (name = "resale", description = "Resale watches, the sniper's purchases and live listings of upgraded gifts"),
        (name = "auctions", description = "Gift auctions: bidding plans, the bidding budget (0 turns bidding off), the bid journal and an auction's live state"),
        (name = "system", description = "Health, metrics and this document"),
    )
)]
struct ApiDoc;

/// Declares the session cookie as the `session` security scheme that routes refer to.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
    }
}

/// The whole API's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(SystemApi::openapi());
    doc.merge(AuthApi::openapi());
    doc.merge(ProfilesApi::openapi());
    doc.merge(ChannelsApi::openapi());
    doc.merge(ResaleApi::openapi());
    doc.merge(AuctionsApi::openapi());
    doc.merge(ChannelCheckApi::openapi());
    doc.merge(SettingsApi::openapi());
    doc.merge(HistoryApi::openapi());
    doc.merge(AccountsApi::openapi());
    doc.merge(GiftsApi::openapi());
    doc.merge(crate::gift_actions::GiftActionsApi::openapi());
    doc.merge(crate::stickers::StickersApi::openapi());
    doc.merge(OpenApiDoc::openapi());
    add_common_responses(&mut doc);
    doc
}

/// Documents the answers that the cross-cutting layers give on any route, so that each
/// handler's annotation can list only its own: every state change may be refused by the CSRF
/// check (403), and one with a body may have it refused as a whole (400 not JSON, 413 too
/// large, 415 not declared as JSON).
fn add_common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let changes = [
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for operation in changes.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            responses.entry("403".to_owned()).or_insert_with(|| {
                error("A CSRF check failed: state changes need a same-origin Origin (or Sec-Fetch-Site) and Content-Type: application/json")
            });
            if operation.request_body.is_some() {
                for (status, description) in [
                    ("400", "The body is not JSON"),
                    ("413", "The body is too large"),
                    ("415", "The body is not declared as JSON"),
                ] {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error(description));
                }
            }
        }
    }
}

/// The document, serialised once: it depends only on the code.
static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| openapi().to_json().unwrap_or_else(|_| String::from("{}")));

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "system",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub(crate) async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

#[derive(OpenApi)]
#[openapi(paths(document))]
struct OpenApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(document))
}
