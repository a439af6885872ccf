//! Registration, login, logout and `me`: the happy paths, the password policy, usernames,
//! duplicates, wrong passwords, unknown users and lockout.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use giftbuyer_core::ports::{UserStore as _, Username, WebSessionStore as _};
use giftbuyer_store::hash_session_token;
use serde_json::json;

use crate::support::{PASSWORD, START, TestApp};

#[tokio::test]
async fn register_signs_in_with_a_session_cookie() {
    let app = TestApp::new().await;
    let response = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "Alice", "password": PASSWORD})),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    assert_eq!(
        body["username"], "alice",
        "usernames are kept in lower case"
    );
    assert_eq!(body["created_at"], START);
    assert!(body["id"].as_i64().is_some_and(|id| id > 0));
    assert_eq!(body.as_object().map(|o| o.len()), Some(3), "{body}");

    let set_cookie = response.set_cookie().expect("Set-Cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Max-Age"),
        "not remembered: {set_cookie}"
    );
    assert!(
        !set_cookie.contains("Secure"),
        "plain HTTP by default: {set_cookie}"
    );
    let cookie = response.session_cookie().expect("cookie");
    assert_eq!(cookie.len(), 43, "32 bytes in base64url");

    let me = app
        .call(Method::GET, "/api/auth/me", Some(&cookie), None)
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    assert_eq!(me.json(), body);

    // Only the hash is stored, computed as the store's reference function does.
    let now = app.state.now();
    let session = app
        .store
        .session_by_token(hash_session_token(&cookie), now)
        .await
        .expect("lookup")
        .expect("stored under the cookie's hash");
    assert_eq!(session.user_agent.as_deref(), Some("TestBrowser/1.0"));
    assert_eq!(session.ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(
        session.expires_at.secs(),
        START + 24 * 3600,
        "a session that is not remembered ends after a day"
    );
    let user = app
        .store
        .user_by_name(&Username::new("alice").expect("name"))
        .await
        .expect("read")
        .expect("user");
    assert!(user.password_hash.expose().starts_with("$argon2id$"));
    let kinds: Vec<_> = app
        .audit(user.id.get())
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["register"]);
}

#[tokio::test]
async fn remember_me_keeps_the_cookie_and_session_for_seven_days() {
    let app = TestApp::new().await;
    let response = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "alice", "password": PASSWORD, "remember": true})),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    let set_cookie = response.set_cookie().expect("Set-Cookie");
    assert!(set_cookie.contains("Max-Age=604800"), "{set_cookie}");
    let cookie = response.session_cookie().expect("cookie");

    let login = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "alice", "password": PASSWORD, "remember": true})),
        )
        .await;
    assert!(
        login
            .set_cookie()
            .expect("cookie")
            .contains("Max-Age=604800")
    );

    app.clock.advance(Duration::from_secs(7 * 24 * 3600 - 1));
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&cookie), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    app.clock.advance(Duration::from_secs(1));
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&cookie), None)
        .await;
    me.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn sessions_that_are_not_remembered_end_after_a_day() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    app.clock.advance(Duration::from_secs(24 * 3600 - 1));
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&cookie), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    app.clock.advance(Duration::from_secs(1));
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&cookie), None)
        .await;
    me.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn weak_passwords_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let long = "x1".repeat(129);
    let cases = [
        ("short1234", "at least 10 characters"),
        ("Password123", "most common passwords"),
        ("QWERTYUIOP", "most common passwords"),
        ("1234567890", "most common passwords"),
        ("Alexander_The_Great", "must not be the username"),
        ("zzzzzzzzzzzz", "single character"),
        (long.as_str(), "at most 256 characters"),
    ];
    for (password, reason) in cases {
        let response = app
            .call(
                Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"username": "alexander_the_great", "password": password})),
            )
            .await;
        response.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let fields = &response.json()["error"]["fields"];
        let message = fields["password"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{password}: {fields}");
        assert!(
            !response.text().contains(password),
            "the password is not echoed"
        );
    }
    // Ten characters, counted as characters, not bytes.
    let response = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "boris", "password": "пароль-это"})),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
}

#[tokio::test]
async fn bad_usernames_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let long = "x".repeat(33);
    for username in [
        "ab",
        "a b c",
        "имя",
        "bob\u{0}",
        "",
        long.as_str(),
        "<script>",
    ] {
        let response = app
            .call(
                Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"username": username, "password": PASSWORD})),
            )
            .await;
        response.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let fields = &response.json()["error"]["fields"];
        assert!(fields["username"].is_string(), "{username}: {fields}");
    }
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_whatever_its_case() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let response = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "ALICE", "password": "another good passphrase"})),
        )
        .await;
    response.assert_error(StatusCode::CONFLICT, "conflict");
    assert!(response.set_cookie().is_none());
}

#[tokio::test]
async fn registration_can_be_closed() {
    let app = TestApp::with_config(giftbuyer_http::HttpConfig {
        allow_registration: false,
        ..crate::support::config()
    })
    .await;
    let response = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    response.assert_error(StatusCode::FORBIDDEN, "registration_closed");
}

#[tokio::test]
async fn login_signs_in_and_is_audited() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let response = app.login("Alice", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json()["username"], "alice");
    let cookie = response.session_cookie().expect("cookie");
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&cookie), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    let id = response.json()["id"].as_i64().expect("id");
    let audit = app.audit(id).await;
    assert_eq!(audit[0].kind, "login");
    assert!(audit[0].detail.contains("198.51.100.7"), "{:?}", audit[0]);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let wrong = app.login("alice", "not the password at all").await;
    let unknown = app.login("mallory", "not the password at all").await;
    let impossible = app.login("no such name!", "not the password at all").await;
    wrong.assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    for other in [&unknown, &impossible] {
        assert_eq!(other.status, wrong.status);
        assert_eq!(other.body, wrong.body);
        assert!(other.set_cookie().is_none());
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_the_remaining_time() {
    let app = TestApp::new().await;
    app.register("alice").await;
    for _ in 0..2 {
        app.login("alice", "wrong password here")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let locking = app.login("alice", "wrong password here").await;
    locking.assert_error(StatusCode::LOCKED, "account_locked");
    assert_eq!(locking.json()["error"]["retry_after_secs"], 60);
    assert_eq!(locking.header("retry-after"), Some("60"));

    app.clock.advance(Duration::from_secs(20));
    let refused = app.login("alice", PASSWORD).await;
    refused.assert_error(StatusCode::LOCKED, "account_locked");
    assert_eq!(refused.json()["error"]["retry_after_secs"], 40);
    assert_eq!(refused.header("retry-after"), Some("40"));
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("40 seconds"))
    );

    app.clock.advance(Duration::from_secs(40));
    let response = app.login("alice", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let id = response.json()["id"].as_i64().expect("id");
    let kinds: Vec<_> = app
        .audit(id)
        .await
        .into_iter()
        .rev()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "register",
            "login.failure",
            "login.failure",
            "login.failure",
            "login.lockout",
            "login"
        ]
    );
    // A successful login starts the count afresh.
    for _ in 0..2 {
        app.login("alice", "wrong password here")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
}

#[tokio::test]
async fn logout_revokes_the_session_on_the_server() {
    let app = TestApp::new().await;
    let cookie = app.register("alice").await;
    let response = app
        .call(Method::POST, "/api/auth/logout", Some(&cookie), None)
        .await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    assert!(response.body.is_empty());
    let cleared = response.set_cookie().expect("Set-Cookie");
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("HttpOnly"),
        "{cleared}"
    );
    assert_eq!(response.session_cookie(), None);

    // The browser might keep the old cookie; the server no longer accepts it.
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&cookie), None)
        .await;
    me.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let stored = app
        .store
        .session_by_token(hash_session_token(&cookie), app.state.now())
        .await
        .expect("lookup");
    assert_eq!(stored, None);

    // Signing out without a session still succeeds and clears the cookie.
    let again = app
        .call(Method::POST, "/api/auth/logout", Some(&cookie), None)
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    assert!(again.set_cookie().is_some());
    let user = app
        .store
        .user_by_name(&Username::new("alice").expect("name"))
        .await
        .expect("read")
        .expect("user");
    let kinds: Vec<_> = app
        .audit(user.id.get())
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["logout", "register"],
        "one logout: the second had no session"
    );
}

#[tokio::test]
async fn me_requires_a_valid_session() {
    let app = TestApp::new().await;
    app.register("alice").await;
    let anonymous = app.call(Method::GET, "/api/auth/me", None, None).await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let forged = "A".repeat(43);
    for cookie in [forged.as_str(), "garbage", ""] {
        let response = app
            .call(Method::GET, "/api/auth/me", Some(cookie), None)
            .await;
        response.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

#[tokio::test]
async fn secrets_never_reach_responses_or_the_audit_log() {
    let app = TestApp::new().await;
    let mut seen = String::new();
    let register = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    seen.push_str(&register.text());
    let first = register.session_cookie().expect("cookie");
    let wrong = app.login("alice", "a wrong password guess").await;
    seen.push_str(&wrong.text());
    let login = app.login("alice", PASSWORD).await;
    seen.push_str(&login.text());
    let second = login.session_cookie().expect("cookie");
    for path in ["/api/auth/me", "/api/auth/sessions"] {
        let response = app.call(Method::GET, path, Some(&second), None).await;
        seen.push_str(&response.text());
        for (name, value) in &response.headers {
            seen.push_str(&format!("{name}: {value:?}\n"));
        }
    }
    let id = login.json()["id"].as_i64().expect("id");
    for entry in app.audit(id).await {
        seen.push_str(&format!("{} {}\n", entry.kind, entry.detail));
    }
    let hashes = [hash_session_token(&first), hash_session_token(&second)];
    for secret in [PASSWORD, "a wrong password guess", &first, &second] {
        assert!(!seen.contains(secret), "{secret:?} leaked in:\n{seen}");
    }
    for hash in hashes {
        let hex: String = hash.0.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!seen.contains(&hex), "a token hash leaked");
    }
    assert!(
        !seen.contains("argon2"),
        "password hashes never leave the store"
    );
}
