//! CSRF: state-changing requests need a JSON content type and a same-origin `Origin` (or
//! `Sec-Fetch-Site: same-origin`); GET is never checked.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use giftbuyer_http::HttpConfig;
use serde_json::json;

use crate::support::{HOST, PASSWORD, TestApp, config, panel_request};

fn register_body() -> Body {
    Body::from(json!({"username": "alice", "password": PASSWORD}).to_string())
}

/// A register request with exactly the given headers (plus Host).
fn bare(headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/register")
        .header(header::HOST, HOST);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(register_body()).expect("request")
}

#[tokio::test]
async fn state_changing_requests_without_a_same_origin_proof_are_refused() {
    let app = TestApp::new().await;
    let json = ("content-type", "application/json");
    let cases: [&[(&str, &str)]; 8] = [
        &[json],
        &[json, ("origin", "https://evil.example")],
        &[json, ("origin", "http://panel.test.evil.example")],
        &[json, ("origin", "null")],
        &[json, ("sec-fetch-site", "cross-site")],
        &[json, ("sec-fetch-site", "same-site")],
        &[
            json,
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin"),
        ],
        &[json, ("origin", "http://panel.test/path")],
    ];
    for headers in cases {
        let response = app.send(bare(headers)).await;
        response.assert_error(StatusCode::FORBIDDEN, "csrf");
    }
    // Nothing was created by the refused requests.
    let response = app
        .send(bare(&[json, ("origin", "http://PANEL.test")]))
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
}

#[tokio::test]
async fn form_and_text_content_types_are_refused() {
    let app = TestApp::new().await;
    for content_type in [
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("text/plain"),
        Some("application/jsonx"),
        None,
    ] {
        let mut headers = vec![("origin", "http://panel.test")];
        if let Some(content_type) = content_type {
            headers.push(("content-type", content_type));
        }
        let response = app.send(bare(&headers)).await;
        response.assert_error(StatusCode::FORBIDDEN, "csrf");
    }
    let response = app
        .send(bare(&[
            ("origin", "http://panel.test"),
            ("content-type", "Application/JSON; charset=utf-8"),
        ]))
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
}

#[tokio::test]
async fn sec_fetch_site_same_origin_is_enough_without_origin() {
    let app = TestApp::new().await;
    let response = app
        .send(bare(&[
            ("content-type", "application/json"),
            ("sec-fetch-site", "same-origin"),
        ]))
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
}

#[tokio::test]
async fn configured_origins_and_trusted_proxy_hosts_are_accepted() {
    let app = TestApp::with_config(HttpConfig {
        allowed_origins: vec!["https://Panel.Example.com/".into()],
        ..config()
    })
    .await;
    let response = app
        .send(bare(&[
            ("content-type", "application/json"),
            ("origin", "https://panel.example.com"),
        ]))
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    // X-Forwarded-Host is not believed without a trusted proxy.
    let forwarded = [
        ("content-type", "application/json"),
        ("origin", "https://proxied.example"),
        ("x-forwarded-host", "proxied.example"),
    ];
    app.send(bare(&forwarded))
        .await
        .assert_error(StatusCode::FORBIDDEN, "csrf");

    let proxied = TestApp::with_config(HttpConfig {
        trust_proxy: true,
        ..config()
    })
    .await;
    let response = proxied.send(bare(&forwarded)).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
}

#[tokio::test]
async fn bodiless_state_changes_are_checked_too() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let logout = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/logout")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::COOKIE,
            format!("{}={cookie}", giftbuyer_http::SESSION_COOKIE),
        )
        .body(Body::empty())
        .expect("request");
    app.send(logout)
        .await
        .assert_error(StatusCode::FORBIDDEN, "csrf");
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&cookie), None)
        .await;
    assert_eq!(
        me.status,
        StatusCode::OK,
        "the session survived the forged logout"
    );
}

#[tokio::test]
async fn reads_are_not_checked() {
    let app = TestApp::new().await;
    let request = Request::builder()
        .uri("/api/health")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::OK);
    let head = panel_request(Method::HEAD, "/api/health")
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(head).await.status, StatusCode::OK);
}
