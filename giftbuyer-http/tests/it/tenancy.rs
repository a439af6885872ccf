//! The cross-tenant walk: user B calls every route of the profile, channel, settings and
//! history groups with user A's ids and gets 404 or empty lists, and A's data is unchanged.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::channels::CHANNEL;
use crate::history::seed_run;
use crate::profiles::{HASH, new_profile};
use crate::settings::TOKEN;
use crate::support::TestApp;

/// Everything A can read, to compare before and after B's walk.
async fn snapshot(app: &TestApp, cookie: &str) -> Vec<Value> {
    let mut views = Vec::new();
    for path in [
        "/api/profiles",
        "/api/channels",
        "/api/settings",
        "/api/runs",
        "/api/stats/spending?days=2",
    ] {
        views.push(app.get(path, cookie).await.ok(StatusCode::OK));
    }
    views
}

#[tokio::test]
async fn another_user_sees_and_changes_nothing_of_mine() {
    let app = TestApp::new().await;
    let (alice, alice_id) = app.user("alice").await;
    let profile = app
        .post("/api/profiles", &alice, new_profile("main"))
        .await
        .ok(StatusCode::CREATED)["id"]
        .clone();
    let channel = app
        .post(
            "/api/channels",
            &alice,
            json!({"channel_id": CHANNEL, "title": "Alice's", "price_max": 1000}),
        )
        .await
        .ok(StatusCode::CREATED)["id"]
        .clone();
    app.patch(
        "/api/settings",
        &alice,
        json!({"bot_token": TOKEN, "autobuy": true, "notification_chats": [42],
               "forced_target": CHANNEL, "report_lang": "ru"}),
    )
    .await
    .ok(StatusCode::OK);
    let run = seed_run(&app, alice_id, &[100, 200], Some("Alice's report")).await;
    let before = snapshot(&app, &alice).await;
    let alice_audit = app.audit(alice_id).await;

    let (bob, _) = app.user("bob").await;
    let profile_path = format!("/api/profiles/{profile}");
    let channel_path = format!("/api/channels/{channel}");
    let run_path = format!("/api/runs/{run}");
    let not_found: [(Method, &str, Option<Value>); 6] = [
        (Method::PATCH, &profile_path, Some(json!({"name": "mine"}))),
        (Method::DELETE, &profile_path, None),
        (Method::PATCH, &channel_path, Some(json!({"title": "mine"}))),
        (
            Method::PATCH,
            &channel_path,
            Some(json!({"price_max": null})),
        ),
        (Method::DELETE, &channel_path, None),
        (Method::GET, &run_path, None),
    ];
    for (method, path, body) in not_found {
        let response = app.call(method.clone(), path, Some(&bob), body).await;
        response.assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(!response.text().contains("Alice"), "{method} {path}");
    }

    assert_eq!(
        app.get("/api/profiles", &bob).await.ok(StatusCode::OK),
        json!({"profiles": []})
    );
    assert_eq!(
        app.get("/api/channels", &bob).await.ok(StatusCode::OK),
        json!({"channels": []})
    );
    let preview = app
        .post(
            "/api/channels/preview",
            &bob,
            json!({"price": 100, "supply": 1000}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        preview,
        json!({"best": null, "matching": [], "forced_target": null})
    );
    assert_eq!(
        app.get("/api/settings", &bob).await.ok(StatusCode::OK),
        json!({"bot_token_set": false, "notification_chats": [], "forced_target": null,
               "autobuy": false, "report_lang": "en"})
    );
    assert_eq!(
        app.get("/api/runs", &bob).await.ok(StatusCode::OK),
        json!({"runs": []})
    );
    assert_eq!(
        app.get(&format!("/api/runs?before={}", run + 1), &bob)
            .await
            .ok(StatusCode::OK),
        json!({"runs": []})
    );
    let spending = app
        .get("/api/stats/spending?days=2", &bob)
        .await
        .ok(StatusCode::OK);
    assert_eq!(spending["total_stars"], 0);
    let audit = app.get("/api/audit", &bob).await;
    let entries = audit.ok(StatusCode::OK)["entries"].clone();
    assert_eq!(
        entries.as_array().map(Vec::len),
        Some(1),
        "only Bob's registration: {entries}"
    );
    // Bob changing his own settings touches only his.
    app.patch(
        "/api/settings",
        &bob,
        json!({"autobuy": true, "bot_token": null}),
    )
    .await
    .ok(StatusCode::OK);

    assert_eq!(
        snapshot(&app, &alice).await,
        before,
        "Alice's data is unchanged"
    );
    assert_eq!(
        app.audit(alice_id).await,
        alice_audit,
        "and so is her audit log"
    );
    let detail = app.get(&run_path, &alice).await.ok(StatusCode::OK);
    assert_eq!(detail["report"], "Alice's report");
    assert_eq!(
        app.get("/api/settings", &alice).await.json()["bot_token_set"],
        true
    );
    for view in before {
        let text = view.to_string();
        assert!(!text.contains(HASH) && !text.contains(TOKEN), "{text}");
    }
}
