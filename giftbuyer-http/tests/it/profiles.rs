//! `/api/profiles`: creating, listing and deleting API profiles, their validation, the
//! write-only `api_hash`, `in_use`, and the rename route that waits for store support.

use axum::http::{Method, StatusCode};
use giftbuyer_core::ports::{
    AccountStore as _, ApiProfileId, ApiProfileStore as _, NewAccount, Secret, UserId,
};
use serde_json::{Value, json};

use crate::support::{START, TestApp};

pub(crate) const HASH: &str = "0123456789abcdef0123456789abcdef";

pub(crate) fn new_profile(name: &str) -> Value {
    json!({"name": name, "api_id": 1234567, "api_hash": HASH})
}

#[tokio::test]
async fn create_list_and_delete_a_profile_without_ever_showing_the_hash() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    assert_eq!(
        app.get("/api/profiles", &cookie).await.ok(StatusCode::OK),
        json!({"profiles": []})
    );

    let created = app
        .post("/api/profiles", &cookie, new_profile("  main  "))
        .await;
    let body = created.ok(StatusCode::CREATED);
    let id = body["id"].as_i64().expect("id");
    assert_eq!(
        body,
        json!({"id": id, "name": "main", "api_id": 1234567, "api_hash_set": true,
               "accounts": 0, "created_at": START})
    );
    assert!(!created.text().contains(HASH));

    let list = app.get("/api/profiles", &cookie).await;
    assert_eq!(list.ok(StatusCode::OK), json!({"profiles": [body]}));
    assert!(!list.text().contains(HASH));

    // The store keeps the hash, in lower case, for the Telegram login.
    let stored = app
        .store
        .api_profiles(UserId::new(user).expect("id"))
        .await
        .expect("profiles");
    assert_eq!(stored[0].api_hash.expose(), HASH);

    let deleted = app.delete(&format!("/api/profiles/{id}"), &cookie).await;
    assert_eq!(deleted.ok(StatusCode::NO_CONTENT), Value::Null);
    app.delete(&format!("/api/profiles/{id}"), &cookie)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let audit = app.audit(user).await;
    let kinds: Vec<_> = audit.iter().map(|entry| entry.kind.as_str()).collect();
    assert_eq!(
        kinds[..2],
        ["api_profile.deleted", "api_profile.created"],
        "{kinds:?}"
    );
    assert!(audit[1].detail.contains("\"main\"") && audit[1].detail.contains("1234567"));
    assert!(audit.iter().all(|entry| !entry.detail.contains(HASH)));
    let log = app.get("/api/audit", &cookie).await;
    assert!(!log.text().contains(HASH));
}

#[tokio::test]
async fn the_hash_is_accepted_in_upper_case_and_stored_in_lower_case() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let upper = HASH.to_ascii_uppercase();
    let response = app
        .post(
            "/api/profiles",
            &cookie,
            json!({"name": "x", "api_id": 1, "api_hash": upper}),
        )
        .await;
    response.ok(StatusCode::CREATED);
    assert!(!response.text().contains(&upper) && !response.text().contains(HASH));
}

#[tokio::test]
async fn invalid_fields_are_named_and_the_hash_is_never_echoed() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let bad_hash = "0123456789abcdef0123456789abcdeZ";
    let cases = [
        (json!({"name": "", "api_id": 1, "api_hash": HASH}), "name"),
        (
            json!({"name": " \t ", "api_id": 1, "api_hash": HASH}),
            "name",
        ),
        (
            json!({"name": "x".repeat(65), "api_id": 1, "api_hash": HASH}),
            "name",
        ),
        (
            json!({"name": "a\nb", "api_id": 1, "api_hash": HASH}),
            "name",
        ),
        (
            json!({"name": "я".repeat(33), "api_id": 1, "api_hash": HASH}),
            "name",
        ),
        (
            json!({"name": "x", "api_id": 0, "api_hash": HASH}),
            "api_id",
        ),
        (
            json!({"name": "x", "api_id": -3, "api_hash": HASH}),
            "api_id",
        ),
        (
            json!({"name": "x", "api_id": 2_147_483_648_i64, "api_hash": HASH}),
            "api_id",
        ),
        (
            json!({"name": "x", "api_id": "12", "api_hash": HASH}),
            "api_id",
        ),
        (
            json!({"name": "x", "api_id": 1, "api_hash": bad_hash}),
            "api_hash",
        ),
        (
            json!({"name": "x", "api_id": 1, "api_hash": "abc"}),
            "api_hash",
        ),
        (json!({"name": "x", "api_id": 1}), "api_hash"),
        (
            json!({"name": "x", "api_id": 1, "api_hash": HASH, "owner": 2}),
            "owner",
        ),
    ];
    for (body, field) in cases {
        let response = app.post("/api/profiles", &cookie, body.clone()).await;
        response.assert_invalid(field);
        assert!(!response.text().contains(bad_hash), "{}", response.text());
        assert!(!response.text().contains(HASH), "{}", response.text());
    }
    let longest = app
        .post(
            "/api/profiles",
            &cookie,
            json!({"name": "я".repeat(32), "api_id": 1, "api_hash": HASH}),
        )
        .await;
    longest.ok(StatusCode::CREATED);
    assert_eq!(
        app.get("/api/profiles", &cookie).await.json()["profiles"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "only the valid profile was created"
    );
}

#[tokio::test]
async fn a_second_profile_with_the_same_name_is_a_conflict() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    app.post("/api/profiles", &cookie, new_profile("main"))
        .await
        .ok(StatusCode::CREATED);
    let again = app
        .post("/api/profiles", &cookie, new_profile("main"))
        .await;
    again.assert_error(StatusCode::CONFLICT, "conflict");
    assert!(
        again.json()["error"]["message"]
            .as_str()
            .expect("message")
            .contains("name")
    );

    // Names are per user.
    let (bob, _) = app.user("bob").await;
    app.post("/api/profiles", &bob, new_profile("main"))
        .await
        .ok(StatusCode::CREATED);
}

#[tokio::test]
async fn a_profile_that_accounts_use_cannot_be_deleted() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    let id = app
        .post("/api/profiles", &cookie, new_profile("main"))
        .await
        .ok(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    let account = NewAccount {
        phone: Secret::new("+15550001111".into()),
        api_profile: Some(ApiProfileId::new(id).expect("id")),
    };
    app.store
        .create_account(UserId::new(user).expect("id"), account, app.state.now())
        .await
        .expect("account");

    let listed = app.get("/api/profiles", &cookie).await;
    assert_eq!(listed.json()["profiles"][0]["accounts"], 1);
    assert!(!listed.text().contains("5550001111"), "no phone numbers");
    let response = app.delete(&format!("/api/profiles/{id}"), &cookie).await;
    response.assert_error(StatusCode::CONFLICT, "in_use");
    assert_eq!(
        app.get("/api/profiles", &cookie).await.json()["profiles"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn rename_checks_owner_name_and_duplicates() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let id = app
        .post("/api/profiles", &cookie, new_profile("main"))
        .await
        .ok(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    app.post("/api/profiles", &cookie, new_profile("spare"))
        .await
        .ok(StatusCode::CREATED);
    let path = format!("/api/profiles/{id}");
    app.patch(&path, &cookie, json!({"name": ""}))
        .await
        .assert_invalid("name");
    app.patch(&path, &cookie, json!({"title": "x"}))
        .await
        .assert_invalid("title");
    app.patch("/api/profiles/999", &cookie, json!({"name": "new"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.patch(&path, &cookie, json!({"name": "spare"}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    let renamed = app
        .patch(&path, &cookie, json!({"name": "  renamed  "}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        (renamed["id"].as_i64(), renamed["name"].as_str()),
        (Some(id), Some("renamed"))
    );
    assert_eq!(renamed["api_hash_set"], true);
    assert_eq!(
        app.get("/api/profiles", &cookie).await.json()["profiles"][0]["name"],
        "renamed"
    );

    // Another user's profile cannot be renamed, and stays as it was.
    let (bob, _) = app.user("bob").await;
    app.patch(&path, &bob, json!({"name": "stolen"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.get("/api/profiles", &cookie).await.json()["profiles"][0]["name"],
        "renamed"
    );
}

#[tokio::test]
async fn every_profile_route_needs_a_session_and_a_valid_id() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    for (method, path) in [
        (Method::GET, "/api/profiles"),
        (Method::POST, "/api/profiles"),
        (Method::PATCH, "/api/profiles/1"),
        (Method::DELETE, "/api/profiles/1"),
    ] {
        app.call(method, path, None, Some(new_profile("x")))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    for id in ["0", "-1", "abc", "99999999999999999999"] {
        app.delete(&format!("/api/profiles/{id}"), &cookie)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}
