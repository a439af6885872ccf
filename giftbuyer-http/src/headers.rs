//! Security headers on every response, and `Cache-Control: no-store` on the API, whose answers
//! are per user and must not linger in shared or browser caches.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The panel is a same-origin single-page app: scripts, styles, images and API calls all come
/// from us. Inline styles are allowed because UI libraries set `style` attributes; inline
/// scripts are not. Nothing may frame the panel, and `<base>` cannot be injected.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const STATIC_HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

/// Whether a path belongs to the API (or the metrics) rather than to the web panel: such paths
/// are never cached and never fall back to the panel's page.
pub(crate) fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/metrics"
}

pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let no_store = is_api_path(path);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in STATIC_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // A route that caches on purpose (a sticker with an ETag) sets its own Cache-Control.
    if no_store {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    response
}
