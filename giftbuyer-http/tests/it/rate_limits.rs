//! Login and registration rate limits: per client address and per username, with 429 and
//! `Retry-After`, recovering as time passes.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use giftbuyer_http::{HttpConfig, RateLimit};
use serde_json::json;

use crate::support::{PASSWORD, TestApp, TestResponse, config, peer_request};

fn limit(burst: u32, secs: u64) -> RateLimit {
    RateLimit {
        burst,
        refill_every: Duration::from_secs(secs),
    }
}

async fn login_from(app: &TestApp, peer: &str, username: &str, password: &str) -> TestResponse {
    let body = json!({"username": username, "password": password}).to_string();
    let request = peer_request(Method::POST, "/api/auth/login", peer)
        .body(Body::from(body))
        .expect("request");
    app.send(request).await
}

#[tokio::test]
async fn logins_are_limited_per_address() {
    let app = TestApp::with_config(HttpConfig {
        login_per_ip: limit(3, 60),
        ..config()
    })
    .await;
    app.register("alice").await;
    let peer = "203.0.113.9:1234";
    for name in ["alice", "bob", "carol"] {
        login_from(&app, peer, name, "wrong password!")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let limited = login_from(&app, peer, "alice", PASSWORD).await;
    limited.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("60"));
    assert_eq!(limited.json()["error"]["retry_after_secs"], 60);
    assert!(
        limited.set_cookie().is_none(),
        "not even a right password gets through"
    );

    // Another address is not affected; an IPv6 neighbour in the same /64 is the same client.
    let other = login_from(&app, "203.0.113.10:1234", "alice", PASSWORD).await;
    assert_eq!(other.status, StatusCode::OK);
    for (peer, name) in [
        ("[2001:db8:1:2::1]:1", "dave"),
        ("[2001:db8:1:2::2]:1", "erin"),
        ("[2001:db8:1:2::3]:1", "frank"),
    ] {
        login_from(&app, peer, name, "wrong password!")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    login_from(&app, "[2001:db8:1:2:ffff::9]:1", "alice", PASSWORD)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");

    app.clock.advance(Duration::from_secs(60));
    let recovered = login_from(&app, peer, "alice", PASSWORD).await;
    assert_eq!(recovered.status, StatusCode::OK, "{}", recovered.text());
}

#[tokio::test]
async fn logins_are_limited_per_username_across_addresses() {
    let app = TestApp::with_config(HttpConfig {
        login_per_username: limit(2, 30),
        ..config()
    })
    .await;
    for (i, expected) in [
        StatusCode::UNAUTHORIZED,
        StatusCode::UNAUTHORIZED,
        StatusCode::TOO_MANY_REQUESTS,
    ]
    .into_iter()
    .enumerate()
    {
        let peer = format!("192.0.2.{}:80", i + 1);
        let response = login_from(&app, &peer, "Ghost", "wrong password!").await;
        assert_eq!(response.status, expected, "{}", response.text());
    }
    let limited = login_from(&app, "192.0.2.50:80", "ghost", "wrong password!").await;
    limited.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("30"));
    let other_name = login_from(&app, "192.0.2.50:80", "someone", "wrong password!").await;
    other_name.assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = TestApp::with_config(HttpConfig {
        register_per_ip: limit(2, 120),
        ..config()
    })
    .await;
    // Refused attempts do not count: only those that reach the expensive part do.
    let weak = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "zed", "password": "short"})),
        )
        .await;
    weak.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    app.register("alice").await;
    app.register("bob").await;
    let limited = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "carol", "password": PASSWORD})),
        )
        .await;
    limited.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("120"));
}
