//! GiftBuyer's self-hosted HTTP server: the JSON API under `/api`, its authentication and
//! security, health, Prometheus metrics and the OpenAPI document.
//!
//! This crate is a driving adapter: it depends on `giftbuyer-core` (ports and domain) and on
//! the HTTP stack, never on the store, the engine or the simulator. The binary composes it:
//! it opens a store, picks a clock, builds an [`AppState`] and calls [`serve`].
//!
//! # Design, for whoever adds a route group
//!
//! - **One module per route group** (`auth/`, `profiles`, `channels`, `settings`,
//!   `history`, `accounts`, `gifts`, `resale`, `auctions`), each with `pub(crate) fn routes() ->
//!   Router<AppState>` and a `#[derive(OpenApi)]` struct listing its `#[utoipa::path]`
//!   handlers. [`router`] merges the routes and [`openapi()`] merges the documents: one line
//!   each.
//! - **State.** Handlers take `State<AppState>`: the [`PanelStore`](giftbuyer_core::ports::PanelStore)
//!   as a trait object, the [`Clock`](giftbuyer_core::ports::Clock) port for every "now", the
//!   [`HttpConfig`] and the [`Metrics`]. A group that needs more (the engine's handle, a
//!   Telegram connector, an event stream) adds a field to `AppState`'s inner struct, or, for
//!   an optional port the binary plugs in, an `Option<Arc<dyn ...>>` beside it with a
//!   `with_*` builder, as the [`BotVerifier`] and the [`RunJournal`] are.
//! - **Shared helpers** live in `common`: `audit` (never pass a secret), `path_id`, the
//!   tri-state `Patch<T>` for PATCH bodies (absent keeps, `null` clears), `check_label` for
//!   names and titles, and `QueryParams`, a strict query string reader that names the
//!   parameter at fault.
//! - **Authentication.** Take [`AuthUser`] as an argument and pass `auth.user_id` to every
//!   store call: the store scopes each query by user, so another user's row answers
//!   `NotFound`, which maps to 404, never 403. `Option<AuthUser>` makes a session optional.
//!   [`ClientInfo`] gives the client's address and user agent (proxy headers only when
//!   trusted), for audit details and limits.
//! - **Input.** Take bodies as [`ApiJson<T>`] with `#[serde(deny_unknown_fields)]` request
//!   DTOs; errors name the field. Parse path ids from a `Path<String>` and answer 404 for
//!   anything that is not a valid id (as `DELETE /api/auth/sessions/{id}` does). Request and
//!   response DTOs live in the group and map to and from the domain types, which carry no
//!   serde derives.
//! - **Errors.** Return `Result<_, ApiError>`. `PanelStoreError` converts with `?` (conflict
//!   409, not found 404, in use 409, invalid 422; storage failures 500/503 with the cause only
//!   in the log). Never put a secret in a message or a log line.
//! - **Cross-cutting layers** (in `router`, outermost first): security headers and
//!   `Cache-Control: no-store` on `/api`, request metrics by route template, panic capture (a
//!   500 JSON answer), CSRF checks on POST/PUT/PATCH/DELETE (JSON content type and a
//!   same-origin `Origin` or `Sec-Fetch-Site`), and the body size limit. A new group gets them
//!   all by being merged. A route that must not send `no-store` (a cached sticker) sets its
//!   own `Cache-Control`.
//! - **Long-lived responses** (SSE, NDJSON) should end when the shutdown future passed to
//!   [`serve`] resolves, otherwise graceful shutdown waits for them.
//!
//! # Sessions
//!
//! A session cookie ([`SESSION_COOKIE`]) holds 32 random bytes in base64url; the store keeps
//! only its SHA-256. With `remember: true` the cookie and the session last 7 days; without it
//! the cookie lives as long as the browser session and the server ends the session after a
//! day. The cookie is `HttpOnly; SameSite=Lax; Path=/`, and `Secure` when configured or when a
//! trusted proxy says the request came over HTTPS.

mod accounts;
mod auctions;
mod auth;
mod channel_check;
mod channels;
mod client;
mod common;
mod csrf;
mod error;
mod extract;
mod gift_actions;
mod gifts;
mod headers;
mod health;
mod history;
mod metrics;
mod openapi;
mod panel;
mod ports;
mod profiles;
mod recipient;
mod resale;
mod settings;
mod state;
mod stickers;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};

pub use auth::{
    AuthUser, BROWSER_SESSION_TTL, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, SESSION_COOKIE,
    SESSION_TTL,
};
pub use client::ClientInfo;
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use extract::ApiJson;
pub use headers::CONTENT_SECURITY_POLICY;
pub use metrics::{Metrics, PollOutcome, PurchaseOutcome, SseClientGuard};
pub use openapi::openapi;
pub use panel::PanelAssets;
pub use ports::{
    AccountStateSink, BotIdentity, BotVerifier, BuyError, BuyOutcome, BuyResult, ConfigListener,
    GiftActions, RefreshResult, RunJournal, VerifyError,
};
pub use state::{AppState, ConfigError, HttpConfig, PasswordHashing, RateLimit};

/// How often expired sessions are deleted from the store.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);

/// The whole application: every route group, the fallbacks for unknown routes (404) and
/// methods (405), and the cross-cutting layers.
pub fn router(state: AppState) -> Router {
    let max_body = state.config().max_body_bytes;
    Router::new()
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(openapi::routes())
        .merge(auth::routes())
        .merge(profiles::routes())
        .merge(channels::routes())
        .merge(resale::routes())
        .merge(auctions::routes())
        .merge(channel_check::routes())
        .merge(settings::routes())
        .merge(history::routes())
        .merge(accounts::routes())
        .merge(gifts::routes())
        .merge(gift_actions::routes())
        .merge(stickers::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        // Layers wrap what is above them: the last one added runs first.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(from_fn_with_state(state.clone(), csrf::guard))
        .layer(from_fn(error::catch_panic))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn(headers::security_headers))
        .with_state(state)
}

/// Answers what no route matched: the web panel for pages outside the API (its own routes
/// fall back to its `index.html`), a JSON 404 for everything else.
async fn fallback(
    axum::extract::State(state): axum::extract::State<AppState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let path = uri.path();
    let readable = method == axum::http::Method::GET || method == axum::http::Method::HEAD;
    if headers::is_api_path(path) || !readable {
        return error::not_found().await.into_response();
    }
    state.panel().respond(&method, path, &headers)
}

/// Serves the application on `listener` until `shutdown` resolves, then ends the SSE streams,
/// stops accepting connections and waits for the requests in flight. Expired sessions are
/// purged hourly meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The panel's files are hashed and compressed before the first visitor waits for it.
    let panel = state.panel();
    tracing::debug!(built = panel.is_built(), "web panel ready");
    let housekeeping = tokio::spawn(purge_sessions_forever(state.clone()));
    // Graceful shutdown waits for every response in flight, so the SSE streams are told to
    // end as soon as the signal comes.
    let streams = state.clone();
    let shutdown = async move {
        shutdown.await;
        streams.begin_shutdown();
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    housekeeping.abort();
    result
}

async fn purge_sessions_forever(state: AppState) {
    loop {
        match state.store().purge_expired_sessions(state.now()).await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "purged expired sessions"),
            Err(error) => tracing::warn!(%error, "could not purge expired sessions"),
        }
        state.clock().sleep(HOUSEKEEPING_EVERY).await;
    }
}
