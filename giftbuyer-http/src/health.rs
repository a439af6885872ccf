//! `GET /api/health`: whether the server answers. It says nothing else (no version, no
//! database state), because it is public.

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: &'static str,
}

/// Liveness.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "system",
    responses((status = 200, description = "The server is up", body = Health))
)]
pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/health", get(health))
}

#[derive(OpenApi)]
#[openapi(paths(health, crate::metrics::metrics))]
pub(crate) struct SystemApi;
