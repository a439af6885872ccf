//! Listing and revoking sessions, and keeping users apart: another user's session answers 404.

use axum::http::{Method, StatusCode};
use giftbuyer_core::ports::WebSessionStore as _;
use giftbuyer_store::hash_session_token;
use serde_json::Value;

use crate::support::{PASSWORD, TestApp};

async fn session_ids(app: &TestApp, cookie: &str) -> Vec<(i64, bool)> {
    let response = app
        .call(Method::GET, "/api/auth/sessions", Some(cookie), None)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| {
            (
                s["id"].as_i64().expect("id"),
                s["current"].as_bool().expect("current"),
            )
        })
        .collect()
}

#[tokio::test]
async fn lists_my_sessions_newest_first_with_the_current_one_marked() {
    let app = TestApp::new().await;
    let first = app.register("alice").await;
    app.clock.advance(std::time::Duration::from_secs(5));
    let second = app
        .login("alice", PASSWORD)
        .await
        .session_cookie()
        .expect("cookie");

    let response = app
        .call(Method::GET, "/api/auth/sessions", Some(&second), None)
        .await;
    let body = response.json();
    let sessions = body["sessions"].as_array().expect("array");
    assert_eq!(sessions.len(), 2, "{body}");
    let newest = &sessions[0];
    assert_eq!(newest["current"], true);
    assert_eq!(newest["created_at"], crate::support::START + 5);
    assert_eq!(newest["expires_at"], crate::support::START + 5 + 24 * 3600);
    assert_eq!(newest["user_agent"], "TestBrowser/1.0");
    assert_eq!(newest["ip"], "198.51.100.7");
    assert_eq!(sessions[1]["current"], false);
    let keys: Vec<_> = newest
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        [
            "created_at",
            "current",
            "expires_at",
            "id",
            "ip",
            "user_agent"
        ]
    );

    let from_first: Vec<_> = session_ids(&app, &first).await;
    assert_eq!(from_first.iter().filter(|(_, current)| *current).count(), 1);
    assert!(
        from_first[1].1,
        "the first session is current for the first cookie"
    );

    let anonymous = app
        .call(Method::GET, "/api/auth/sessions", None, None)
        .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn revoking_a_session_signs_that_browser_out() {
    let app = TestApp::new().await;
    let first = app.register("alice").await;
    let second = app
        .login("alice", PASSWORD)
        .await
        .session_cookie()
        .expect("cookie");
    let sessions = session_ids(&app, &second).await;
    let (other, _) = sessions
        .iter()
        .copied()
        .find(|(_, current)| !current)
        .expect("other");

    let response = app
        .call(
            Method::DELETE,
            &format!("/api/auth/sessions/{other}"),
            Some(&second),
            None,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        response.text()
    );
    assert!(response.set_cookie().is_none(), "the current cookie stays");
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&second), None)
        .await;
    let user_id = me.json()["id"].as_i64().expect("id");
    let revoked = app.audit(user_id).await.into_iter().next().expect("entry");
    assert_eq!(revoked.kind, "session.revoked");
    assert!(
        revoked.detail.contains(&format!("session {other}")),
        "{revoked:?}"
    );
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&first), None)
        .await;
    me.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(session_ids(&app, &second).await.len(), 1);

    let again = app
        .call(
            Method::DELETE,
            &format!("/api/auth/sessions/{other}"),
            Some(&second),
            None,
        )
        .await;
    again.assert_error(StatusCode::NOT_FOUND, "not_found");

    for bad in ["0", "-1", "abc", "99999999999999999999999", "1.5"] {
        let response = app
            .call(
                Method::DELETE,
                &format!("/api/auth/sessions/{bad}"),
                Some(&second),
                None,
            )
            .await;
        response.assert_error(StatusCode::NOT_FOUND, "not_found");
    }

    // Revoking the current session also clears its cookie.
    let (current, _) = session_ids(&app, &second).await[0];
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/auth/sessions/{current}"),
            Some(&second),
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    assert!(
        response
            .set_cookie()
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&second), None)
        .await;
    me.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");

    let id = app
        .store
        .session_by_token(hash_session_token(&second), app.state.now())
        .await
        .expect("lookup");
    assert_eq!(id, None);
}

#[tokio::test]
async fn another_user_can_neither_see_nor_revoke_my_sessions() {
    let app = TestApp::new().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let alice_sessions = session_ids(&app, &alice).await;
    let bob_sessions = session_ids(&app, &bob).await;
    assert_eq!(bob_sessions.len(), 1);
    assert!(
        alice_sessions.iter().all(|a| !bob_sessions.contains(a)),
        "bob sees only his own session"
    );

    let (alice_id, _) = alice_sessions[0];
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/auth/sessions/{alice_id}"),
            Some(&bob),
            None,
        )
        .await;
    response.assert_error(StatusCode::NOT_FOUND, "not_found");
    let missing = app
        .call(
            Method::DELETE,
            "/api/auth/sessions/987654",
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(
        (missing.status, missing.body.clone()),
        (response.status, response.body.clone()),
        "another user's session looks exactly like a missing one"
    );
    let me = app
        .call(Method::GET, "/api/auth/me", Some(&alice), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    let body: Value = me.json();
    assert_eq!(body["username"], "alice");
}
