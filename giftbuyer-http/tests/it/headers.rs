//! Security headers on every response, `no-store` on the API, and the cookie's `Secure` flag.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use giftbuyer_http::{CONTENT_SECURITY_POLICY, HttpConfig};
use serde_json::json;

use crate::support::{PASSWORD, TestApp, TestResponse, config, panel_request};

#[track_caller]
fn assert_security_headers(response: &TestResponse) {
    assert_eq!(
        response.header("content-security-policy"),
        Some(CONTENT_SECURITY_POLICY)
    );
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(CONTENT_SECURITY_POLICY.contains(directive), "{directive}");
    }
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
    assert_eq!(response.header("referrer-policy"), Some("same-origin"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    let cases = [
        (Method::GET, "/api/health", StatusCode::OK),
        (Method::GET, "/api/auth/me", StatusCode::UNAUTHORIZED),
        (Method::GET, "/api/missing", StatusCode::NOT_FOUND),
        // Outside the API: the panel's page (here the placeholder of a build without it).
        (Method::GET, "/elsewhere", StatusCode::OK),
        (Method::PUT, "/api/health", StatusCode::METHOD_NOT_ALLOWED),
        (Method::GET, "/metrics", StatusCode::OK),
        (Method::GET, "/api/openapi.json", StatusCode::OK),
    ];
    for (method, path, status) in cases {
        let response = app
            .send(
                panel_request(method.clone(), path)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(response.status, status, "{method} {path}");
        assert_security_headers(&response);
        if path.starts_with("/api") {
            assert_eq!(response.header("cache-control"), Some("no-store"), "{path}");
        }
    }
    // Refusals from the middleware carry them too.
    let forged = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/auth/login")
        .body(Body::empty())
        .expect("request");
    let response = app.send(forged).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_security_headers(&response);
    assert_eq!(response.header("cache-control"), Some("no-store"));
}

async fn register_cookie_line(app: &TestApp, forwarded_proto: Option<&str>) -> String {
    let mut builder =
        panel_request(Method::POST, "/api/auth/register").header("x-forwarded-for", "192.0.2.200");
    if let Some(proto) = forwarded_proto {
        builder = builder.header("x-forwarded-proto", proto);
    }
    let body = json!({"username": "alice", "password": PASSWORD}).to_string();
    let response = app
        .send(builder.body(Body::from(body)).expect("request"))
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.set_cookie().expect("cookie")
}

#[tokio::test]
async fn the_cookie_is_secure_when_configured() {
    let app = TestApp::with_config(HttpConfig {
        cookie_secure: true,
        ..config()
    })
    .await;
    assert!(register_cookie_line(&app, None).await.contains("; Secure"));
}

#[tokio::test]
async fn forwarded_headers_are_believed_only_from_a_trusted_proxy() {
    let direct = TestApp::new().await;
    let line = register_cookie_line(&direct, Some("https")).await;
    assert!(!line.contains("Secure"), "{line}");
    let cookie = direct
        .login("alice", PASSWORD)
        .await
        .session_cookie()
        .expect("cookie");
    let sessions = direct
        .call(Method::GET, "/api/auth/sessions", Some(&cookie), None)
        .await
        .json();
    assert_eq!(
        sessions["sessions"][0]["ip"], "198.51.100.7",
        "the peer, not the header"
    );

    let proxied = TestApp::with_config(HttpConfig {
        trust_proxy: true,
        ..config()
    })
    .await;
    let line = register_cookie_line(&proxied, Some("https")).await;
    assert!(line.contains("; Secure"), "{line}");
    let response = proxied
        .send(
            panel_request(Method::POST, "/api/auth/login")
                .header("x-forwarded-for", "10.9.9.9, 192.0.2.201")
                .body(Body::from(
                    json!({"username": "alice", "password": PASSWORD}).to_string(),
                ))
                .expect("request"),
        )
        .await;
    let cookie = response.session_cookie().expect("cookie");
    assert!(
        !response.set_cookie().expect("line").contains("Secure"),
        "plain HTTP"
    );
    let sessions = proxied
        .call(Method::GET, "/api/auth/sessions", Some(&cookie), None)
        .await
        .json();
    assert_eq!(
        sessions["sessions"][0]["ip"], "192.0.2.201",
        "the address the proxy appended, not the client's claim"
    );
}
