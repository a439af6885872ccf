//! Bad input of every kind answers a 4xx JSON error naming the field, never a 500.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{PASSWORD, TestApp, TestResponse, panel_request};

async fn register_raw(app: &TestApp, body: impl Into<Body>) -> TestResponse {
    let request = panel_request(Method::POST, "/api/auth/register")
        .body(body.into())
        .expect("request");
    app.send(request).await
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = TestApp::new().await;
    for body in [
        "",
        "{",
        "{\"username\": \"alice\",}",
        "not json",
        "{\"username\": \"alice\", \"password\": \"correct horse battery\"} trailing",
        "\u{feff}{}",
    ] {
        let response = register_raw(&app, body).await;
        response.assert_error(StatusCode::BAD_REQUEST, "malformed_json");
    }
    let empty = register_raw(&app, "").await;
    assert!(empty.text().contains("empty"), "{}", empty.text());
    let invalid_utf8 = register_raw(&app, vec![b'{', 0xff, b'}']).await;
    invalid_utf8.assert_error(StatusCode::BAD_REQUEST, "malformed_json");
}

#[tokio::test]
async fn wrong_shapes_name_the_field() {
    let app = TestApp::new().await;
    let cases = [
        (
            json!({"username": 5, "password": PASSWORD}),
            "username",
            "invalid type",
        ),
        (
            json!({"username": "alice", "password": null}),
            "password",
            "invalid type",
        ),
        (json!({"username": "alice"}), "password", "missing field"),
        (json!({"password": PASSWORD}), "username", "missing field"),
        (
            json!({"username": "alice", "password": PASSWORD, "admin": true}),
            "admin",
            "unknown field",
        ),
        (
            json!({"username": "alice", "password": PASSWORD, "remember": "yes"}),
            "remember",
            "invalid type",
        ),
        (json!(["alice", PASSWORD]), "body", "invalid type"),
        (json!("alice"), "body", "invalid type"),
    ];
    for (body, field, reason) in cases {
        let response = register_raw(&app, body.to_string()).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        response.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let error = &response.json()["error"];
        let problem = error["fields"][field].as_str().unwrap_or_default();
        assert!(problem.contains(reason), "{body}: {error}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(field)),
            "{error}"
        );
        assert!(!problem.contains("line"), "no parser positions: {problem}");
    }
}

#[tokio::test]
async fn oversized_bodies_are_a_413() {
    let app = TestApp::new().await;
    let padding = "x".repeat(70 * 1024);
    let body = json!({"username": "alice", "password": PASSWORD, "pad": padding}).to_string();
    let response = register_raw(&app, body.clone()).await;
    response.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    // Without a Content-Length (a streamed body), the limit holds as well.
    let stream = futures_stream(body);
    let response = register_raw(&app, stream).await;
    response.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

/// A body without a known length, sent in chunks.
fn futures_stream(text: String) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = text
        .into_bytes()
        .chunks(4096)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn unknown_routes_are_a_json_404() {
    let app = TestApp::new().await;
    for (method, path) in [
        (Method::GET, "/api/nope"),
        (Method::GET, "/index.html"),
        (Method::GET, "/api/auth/me/extra"),
        (Method::POST, "/api/nope"),
        (Method::GET, "/api/auth/sessions/1"),
        (Method::GET, "/../../etc/passwd"),
    ] {
        let response = app
            .send(
                panel_request(method.clone(), path)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        let expected = if method == Method::GET && path == "/api/auth/sessions/1" {
            StatusCode::METHOD_NOT_ALLOWED
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(
            response.status,
            expected,
            "{method} {path}: {}",
            response.text()
        );
        assert!(response.json()["error"]["code"].is_string());
    }
    let response = app
        .send(
            panel_request(Method::GET, "/api/nope")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    response.assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn wrong_methods_are_a_json_405_with_allow() {
    let app = TestApp::new().await;
    for (method, path, allow) in [
        (Method::GET, "/api/auth/login", "POST"),
        (Method::PUT, "/api/health", "GET,HEAD"),
        (Method::DELETE, "/api/auth/me", "GET,HEAD"),
        (Method::POST, "/api/auth/sessions", "GET,HEAD"),
        (Method::PATCH, "/metrics", "GET,HEAD"),
    ] {
        let response = app
            .send(
                panel_request(method.clone(), path)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        response.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
    }
}

#[tokio::test]
async fn a_json_body_needs_a_json_content_type_even_on_reads() {
    // The CSRF guard refuses writes without JSON first; the extractor's own check is what a
    // route would hit if it read a body on a method the guard lets through.
    let app = TestApp::new().await;
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/auth/login")
        .header("host", crate::support::HOST)
        .header("origin", crate::support::ORIGIN)
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .expect("request");
    app.send(request)
        .await
        .assert_error(StatusCode::FORBIDDEN, "csrf");
}
