//! `/api/settings`: PATCH semantics, validation, the write-only bot token with and without a
//! bot verifier, and audit entries that never hold the token.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use giftbuyer_core::ports::{Secret, SettingsStore as _, UserId};
use giftbuyer_http::{BotIdentity, BotVerifier, VerifyError};
use serde_json::{Value, json};

use crate::support::TestApp;

pub(crate) const TOKEN: &str = "123456789:AAE_secret-token-abcdefghijklmnop";
const REFUSED: &str = "987654321:AAE_revoked-token-abcdefghijklmnop";
const UNREACHABLE: &str = "555555555:AAE_network-down-abcdefghijklmnop";

fn defaults() -> Value {
    json!({"bot_token_set": false, "notification_chats": [], "forced_target": null,
           "autobuy": false, "report_lang": "en", "priority": "scarcest_first"})
}

/// Accepts [`TOKEN`] as `@gift_test_bot`, refuses [`REFUSED`], cannot reach Telegram for
/// [`UNREACHABLE`].
#[derive(Debug)]
struct FakeVerifier;

#[async_trait]
impl BotVerifier for FakeVerifier {
    async fn verify(&self, token: &Secret<String>) -> Result<BotIdentity, VerifyError> {
        match token.expose().as_str() {
            TOKEN => Ok(BotIdentity {
                username: "gift_test_bot".into(),
            }),
            UNREACHABLE => Err(VerifyError::Unavailable("timeout".into())),
            _ => Err(VerifyError::Rejected),
        }
    }
}

async fn stored_token(app: &TestApp, user: i64) -> Option<String> {
    app.store
        .bot_token(UserId::new(user).expect("id"))
        .await
        .expect("token")
        .map(Secret::into_exposed)
}

#[tokio::test]
async fn omitted_fields_keep_their_values() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    assert_eq!(
        app.get("/api/settings", &cookie).await.ok(StatusCode::OK),
        defaults()
    );

    let mut expected = defaults();
    expected["autobuy"] = json!(true);
    let changed = app
        .patch("/api/settings", &cookie, json!({"autobuy": true}))
        .await;
    assert_eq!(changed.ok(StatusCode::OK), expected);

    expected["notification_chats"] = json!([42, -1_001_234_567_890_i64, 7]);
    expected["report_lang"] = json!("ru");
    let changed = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"notification_chats": [42, -1_001_234_567_890_i64, 42, 7], "report_lang": "ru"}),
        )
        .await;
    assert_eq!(changed.ok(StatusCode::OK), expected, "duplicates dropped");

    expected["forced_target"] = json!(-1_001_234_567_890_i64);
    let changed = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"forced_target": -1_001_234_567_890_i64}),
        )
        .await;
    assert_eq!(changed.ok(StatusCode::OK), expected);
    expected["forced_target"] = Value::Null;
    let changed = app
        .patch("/api/settings", &cookie, json!({"forced_target": null}))
        .await;
    assert_eq!(changed.ok(StatusCode::OK), expected);
    assert_eq!(app.get("/api/settings", &cookie).await.json(), expected);

    // An empty patch changes nothing and writes no audit entry.
    let before = app.audit(user).await.len();
    assert_eq!(
        app.patch("/api/settings", &cookie, json!({}))
            .await
            .ok(StatusCode::OK),
        expected
    );
    let audit = app.audit(user).await;
    assert_eq!(audit.len(), before);
    let details: Vec<_> = audit
        .iter()
        .filter(|entry| entry.kind == "settings.changed")
        .map(|entry| entry.detail.as_str())
        .collect();
    assert_eq!(details.len(), 4, "{details:?}");
    assert!(
        details[0].starts_with("changed settings: forced_target none"),
        "{details:?}"
    );
    assert!(
        details[2].contains("notification_chats [42, -1001234567890, 7]")
            && details[2].contains("report_lang ru"),
        "{details:?}"
    );
    assert!(details[3].contains("autobuy on"), "{details:?}");
}

#[tokio::test]
async fn invalid_fields_are_named_and_nothing_is_saved() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let too_many: Vec<i64> = (1..=21).collect();
    let cases = [
        (
            json!({"notification_chats": [5, 0]}),
            "notification_chats[1]",
        ),
        (
            json!({"notification_chats": too_many}),
            "notification_chats",
        ),
        (json!({"notification_chats": null}), "notification_chats"),
        (
            json!({"notification_chats": ["5"]}),
            "notification_chats[0]",
        ),
        (json!({"forced_target": 5}), "forced_target"),
        (json!({"forced_target": -1_234_567}), "forced_target"),
        (json!({"report_lang": "de"}), "report_lang"),
        (json!({"report_lang": null}), "report_lang"),
        (json!({"autobuy": null}), "autobuy"),
        (json!({"autobuy": "yes"}), "autobuy"),
        (json!({"bot_token": "not a token"}), "bot_token"),
        (json!({"bot_token": 12}), "bot_token"),
        (
            json!({"autobuy": true, "bot_token": "123:short"}),
            "bot_token",
        ),
        (json!({"autobuy": true, "lang": "ru"}), "lang"),
    ];
    for (body, field) in cases {
        app.patch("/api/settings", &cookie, body)
            .await
            .assert_invalid(field);
    }
    let message = app
        .patch("/api/settings", &cookie, json!({"report_lang": "de"}))
        .await
        .assert_invalid("report_lang");
    assert!(message.contains("\"en\" or \"ru\""), "{message}");
    let twenty: Vec<i64> = (1..=20).chain(1..=20).collect();
    let ok = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"notification_chats": twenty}),
        )
        .await;
    assert_eq!(
        ok.ok(StatusCode::OK)["notification_chats"]
            .as_array()
            .map(Vec::len),
        Some(20)
    );
    let mut expected = defaults();
    expected["notification_chats"] = json!((1..=20).collect::<Vec<i64>>());
    assert_eq!(app.get("/api/settings", &cookie).await.json(), expected);
}

#[tokio::test]
async fn the_bot_token_is_write_only() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    let set = app
        .patch("/api/settings", &cookie, json!({"bot_token": TOKEN}))
        .await;
    assert_eq!(set.ok(StatusCode::OK)["bot_token_set"], true);
    assert!(set.json().get("bot_username").is_none(), "no verifier");
    assert_eq!(stored_token(&app, user).await.as_deref(), Some(TOKEN));

    let read = app.get("/api/settings", &cookie).await;
    assert_eq!(read.json()["bot_token_set"], true);
    let audit = app.get("/api/audit", &cookie).await;
    for response in [&set, &read, &audit] {
        assert!(!response.text().contains(TOKEN), "{}", response.text());
        assert!(
            !response.text().contains("secret-token"),
            "{}",
            response.text()
        );
    }

    let cleared = app
        .patch("/api/settings", &cookie, json!({"bot_token": null}))
        .await;
    assert_eq!(cleared.ok(StatusCode::OK), defaults());
    assert_eq!(stored_token(&app, user).await, None);
    // Clearing again is not a change worth an audit entry.
    app.patch("/api/settings", &cookie, json!({"bot_token": null}))
        .await
        .ok(StatusCode::OK);

    let entries = app.audit(user).await;
    let kinds: Vec<_> = entries.iter().map(|entry| entry.kind.as_str()).collect();
    assert_eq!(
        kinds[..2],
        ["bot_token.cleared", "bot_token.set"],
        "{kinds:?}"
    );
    assert!(
        entries
            .iter()
            .all(|entry| !entry.detail.contains("secret-token"))
    );

    // A refused token's message does not repeat it either.
    let bad = "123456789:has spaces in the secret part";
    let refused = app
        .patch("/api/settings", &cookie, json!({"bot_token": bad}))
        .await;
    refused.assert_invalid("bot_token");
    assert!(!refused.text().contains("spaces in the secret"));
}

#[tokio::test]
async fn settings_and_the_token_change_in_one_request() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    let both = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"bot_token": TOKEN, "autobuy": true, "notification_chats": [42]}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        (
            &both["bot_token_set"],
            &both["autobuy"],
            &both["notification_chats"]
        ),
        (&json!(true), &json!(true), &json!([42]))
    );
    assert_eq!(stored_token(&app, user).await.as_deref(), Some(TOKEN));
    let stored = app
        .store
        .settings(UserId::new(user).expect("id"))
        .await
        .expect("settings");
    assert!(stored.autobuy);

    let cleared = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"bot_token": null, "autobuy": false, "notification_chats": []}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(cleared, defaults());
    assert_eq!(stored_token(&app, user).await, None);
    // The token alone, with the settings unchanged.
    app.patch("/api/settings", &cookie, json!({"bot_token": TOKEN}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        app.get("/api/settings", &cookie).await.ok(StatusCode::OK)["autobuy"],
        false
    );

    let entries = app.audit(user).await;
    let kinds: Vec<_> = entries.iter().map(|entry| entry.kind.as_str()).collect();
    assert_eq!(
        kinds[..5],
        [
            "bot_token.set",
            "bot_token.cleared",
            "settings.changed",
            "bot_token.set",
            "settings.changed"
        ],
        "{kinds:?}"
    );
}

#[tokio::test]
async fn a_verifier_checks_new_tokens_and_names_the_bot() {
    let app = TestApp::with_ports(|state, _| state.with_bot_verifier(Arc::new(FakeVerifier))).await;
    let (cookie, user) = app.user("alice").await;
    assert!(
        app.get("/api/settings", &cookie)
            .await
            .json()
            .get("bot_username")
            .is_none(),
        "no token, no username"
    );

    let set = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"bot_token": TOKEN, "autobuy": true}),
        )
        .await;
    let body = set.ok(StatusCode::OK);
    assert_eq!(body["bot_username"], "gift_test_bot");
    assert_eq!(body["autobuy"], true);
    assert!(!set.text().contains(TOKEN));
    assert_eq!(
        app.get("/api/settings", &cookie).await.json()["bot_username"],
        "gift_test_bot"
    );
    let entry = app.audit(user).await.into_iter().next().expect("entry");
    assert_eq!(entry.kind, "bot_token.set");
    assert!(
        entry
            .detail
            .starts_with("set the bot token for @gift_test_bot"),
        "{}",
        entry.detail
    );

    // A refused token changes nothing, not even the other fields of the same request.
    let refused = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"bot_token": REFUSED, "autobuy": false}),
        )
        .await;
    let message = refused.assert_invalid("bot_token");
    assert!(message.contains("Telegram"), "{message}");
    assert!(!refused.text().contains(REFUSED));
    let unreachable = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"bot_token": UNREACHABLE, "autobuy": false}),
        )
        .await;
    unreachable.assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(!unreachable.text().contains(UNREACHABLE));
    assert_eq!(stored_token(&app, user).await.as_deref(), Some(TOKEN));
    assert_eq!(
        app.get("/api/settings", &cookie).await.json()["autobuy"],
        true
    );

    // A stored token Telegram no longer accepts only loses its username.
    app.store
        .set_bot_token(
            UserId::new(user).expect("id"),
            Some(Secret::new(REFUSED.into())),
            app.state.now(),
        )
        .await
        .expect("token");
    let read = app.get("/api/settings", &cookie).await.ok(StatusCode::OK);
    assert_eq!(read["bot_token_set"], true);
    assert!(read.get("bot_username").is_none(), "{read}");
}

#[tokio::test]
async fn settings_need_a_session() {
    let app = TestApp::new().await;
    for method in [Method::GET, Method::PATCH] {
        app.call(
            method,
            "/api/settings",
            None,
            Some(json!({"autobuy": true})),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

#[tokio::test]
async fn the_priority_order_round_trips_and_refuses_unknown_values() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    let changed = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"priority": "priciest_first"}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(changed["priority"], "priciest_first");
    assert_eq!(
        app.get("/api/settings", &cookie).await.ok(StatusCode::OK)["priority"],
        "priciest_first"
    );
    let stored = app
        .store
        .settings(UserId::new(user).expect("id"))
        .await
        .expect("settings");
    assert_eq!(stored.priority, giftbuyer_core::Priority::PriciestFirst);
    // Other changes keep it.
    let kept = app
        .patch("/api/settings", &cookie, json!({"autobuy": true}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(kept["priority"], "priciest_first");

    for (body, needle) in [
        (json!({"priority": "cheapest_first"}), "cheapest_first"),
        (json!({"priority": null}), "null"),
        (json!({"priority": 1}), "invalid type"),
        (json!({"priority": ["scarcest_first"]}), "invalid type"),
    ] {
        let message = app
            .patch("/api/settings", &cookie, body.clone())
            .await
            .assert_invalid("priority");
        assert!(message.contains(needle), "{body}: {message}");
    }
    assert_eq!(
        app.get("/api/settings", &cookie).await.ok(StatusCode::OK)["priority"],
        "priciest_first"
    );
    let back = app
        .patch(
            "/api/settings",
            &cookie,
            json!({"priority": "scarcest_first"}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(back, {
        let mut expected = defaults();
        expected["autobuy"] = json!(true);
        expected
    });
}
