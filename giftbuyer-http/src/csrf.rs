//! Cross-site request forgery protection for every state-changing request.
//!
//! A POST, PUT, PATCH or DELETE must say `Content-Type: application/json` (a cross-site HTML
//! form cannot, and a cross-site `fetch` with that type needs a CORS preflight, which this
//! server never grants) and must come from our own origin: an `Origin` header that matches the
//! request's host or a configured origin, or, when a browser sends no `Origin`,
//! `Sec-Fetch-Site: same-origin`. The session cookie is also `SameSite=Lax`; these checks do
//! not rely on it.
//!
//! GET and HEAD never change state, so they pass unchecked.

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client::header_str;
use crate::error::ApiError;
use crate::extract::is_json_content_type;
use crate::state::{AppState, normalize_origin};

pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_state_changing(request.method()) {
        let (parts, body) = request.into_parts();
        if let Err(error) = check(&state, &parts) {
            return error.into_response();
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    next.run(request).await
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn refuse(message: &str) -> ApiError {
    ApiError::Forbidden {
        code: "csrf",
        message: message.to_owned(),
    }
}

fn check(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    if !is_json_content_type(&parts.headers) {
        return Err(refuse(
            "state-changing requests must send Content-Type: application/json",
        ));
    }
    match parts.headers.get(header::ORIGIN) {
        Some(origin) => {
            let origin = origin.to_str().ok().and_then(normalize_origin);
            if origin.is_some_and(|origin| same_origin(state, parts, &origin)) {
                Ok(())
            } else {
                Err(refuse("cross-origin request refused"))
            }
        }
        None if header_str(&parts.headers, "sec-fetch-site") == Some("same-origin") => Ok(()),
        None => Err(refuse(
            "state-changing requests must carry an Origin header",
        )),
    }
}

/// Whether a normalised origin is this server as the browser addressed it, or one the
/// configuration allows.
///
/// Only the host and port are compared with the `Host` header: behind a proxy that ends TLS
/// the server sees plain HTTP while the browser's origin says `https`. Someone who can serve
/// pages on our own host over plain HTTP already controls the panel's traffic.
fn same_origin(state: &AppState, parts: &Parts, origin: &str) -> bool {
    if state
        .allowed_origins()
        .iter()
        .any(|allowed| allowed == origin)
    {
        return true;
    }
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    let forwarded_host = state
        .config()
        .trust_proxy
        .then(|| header_str(&parts.headers, "x-forwarded-host"))
        .flatten();
    let host = forwarded_host
        .or_else(|| header_str(&parts.headers, header::HOST.as_str()))
        .or_else(|| parts.uri.authority().map(|authority| authority.as_str()));
    host.is_some_and(|host| host.trim().eq_ignore_ascii_case(authority))
}
