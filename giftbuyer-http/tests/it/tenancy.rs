//! The cross-tenant walk: user B calls every route of the profile, channel, settings,
//! history and account groups with user A's ids and gets 404 or empty lists, and A's data is
//! unchanged.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::accounts::{PHONE, add_account, app_with_market};
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
        "/api/accounts",
    ] {
        views.push(app.get(path, cookie).await.ok(StatusCode::OK));
    }
    views
}

#[tokio::test]
async fn another_user_sees_and_changes_nothing_of_mine() {
    let (app, _market) = app_with_market().await;
    let (alice, alice_id) = app.user("alice").await;
    let account = add_account(&app, &alice, PHONE).await["id"].clone();
    let pending = app
        .post(
            "/api/accounts/login",
            &alice,
            json!({"phone": "+15557654321"}),
        )
        .await
        .ok(StatusCode::OK);
    let login_id = pending["login_id"].as_str().expect("login id").to_owned();
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
    let account_path = format!("/api/accounts/{account}");
    let refresh_path = format!("/api/accounts/{account}/refresh");
    let not_found: [(Method, &str, Option<Value>); 8] = [
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
        (Method::DELETE, &account_path, None),
        (Method::POST, &refresh_path, None),
    ];
    for (method, path, body) in not_found {
        let response = app.call(method.clone(), path, Some(&bob), body).await;
        response.assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(!response.text().contains("Alice"), "{method} {path}");
    }

    // Alice's login in progress is unknown to Bob at every step.
    let login_path = format!("/api/accounts/login/{login_id}");
    let login_steps: [(Method, String, Option<Value>); 3] = [
        (
            Method::POST,
            format!("{login_path}/code"),
            Some(json!({"code": pending["demo_code"]})),
        ),
        (
            Method::POST,
            format!("{login_path}/password"),
            Some(json!({"password": "guess"})),
        ),
        (Method::DELETE, login_path.clone(), None),
    ];
    for (method, path, body) in login_steps {
        app.call(method, &path, Some(&bob), body)
            .await
            .assert_error(StatusCode::NOT_FOUND, "unknown_login");
    }
    assert_eq!(
        app.get("/api/accounts", &bob).await.ok(StatusCode::OK),
        json!({"accounts": []})
    );

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
               "autobuy": false, "report_lang": "en", "priority": "scarcest_first"})
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
    // Alice's login survived Bob's attempts and still completes.
    let done = app
        .post(
            &format!("/api/accounts/login/{login_id}/code"),
            &alice,
            json!({"code": pending["demo_code"]}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(done["step"], "done");
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
