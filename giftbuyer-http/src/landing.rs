//! The page at `/` until the web panel is built: what is running and where the API is.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

/// Plain HTML without scripts, so it passes the panel's content security policy as it is.
const LANDING: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GiftBuyer</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
code { background: #f2f2f2; padding: 0.1rem 0.3rem; border-radius: 0.2rem; }
</style>
</head>
<body>
<h1>GiftBuyer is running</h1>
<p>The web panel is not part of this build yet. Everything it will show is already served by the
JSON API under <code>/api</code>: its OpenAPI 3.1 description is at
<a href="/api/openapi.json"><code>/api/openapi.json</code></a>, health at
<a href="/api/health"><code>/api/health</code></a> and metrics at <a href="/metrics"><code>/metrics</code></a>.</p>
<p>Start with <code>POST /api/auth/register</code>, add an account with
<code>POST /api/accounts/login</code> (on the demo any phone number works and the code comes back
as <code>demo_code</code>), add a channel, turn autobuy on in <code>PATCH /api/settings</code>, and
watch the drops live on <code>GET /api/gifts/stream</code>.</p>
</body>
</html>
"#;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

async fn landing() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        LANDING,
    )
}
