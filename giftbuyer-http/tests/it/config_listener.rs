//! The engine hears about every change of a user's accounts, channels and settings (so that it
//! reloads them before its next poll), and only about real changes.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use giftbuyer_core::ports::UserId;
use giftbuyer_http::ConfigListener;
use serde_json::json;

use crate::accounts::{PHONE, add_account, app_with_market};

#[derive(Default)]
struct Recorder(Mutex<Vec<i64>>);

impl ConfigListener for Recorder {
    fn config_changed(&self, user: UserId) {
        self.0.lock().expect("lock").push(user.get());
    }
}

impl Recorder {
    fn take(&self) -> Vec<i64> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

#[tokio::test]
async fn every_change_of_accounts_channels_and_settings_is_told_once() {
    let (app, _market) = app_with_market().await;
    let recorder = Arc::new(Recorder::default());
    let app = app.rebuilt(|state| state.with_config_listener(recorder.clone()));
    let (cookie, user) = app.user("alice").await;
    let (bob, bob_id) = app.user("bob").await;
    assert_eq!(
        recorder.take(),
        Vec::<i64>::new(),
        "registering changes nothing"
    );

    let account = add_account(&app, &cookie, PHONE).await;
    assert_eq!(recorder.take(), [user]);

    let channel = app
        .post(
            "/api/channels",
            &bob,
            json!({"channel_id": -1_001_234_567_890_i64}),
        )
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(recorder.take(), [bob_id]);
    let path = format!("/api/channels/{}", channel["id"]);
    app.patch(&path, &bob, json!({"price_max": 5000}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(recorder.take(), [bob_id]);
    // The same values again change nothing.
    app.patch(&path, &bob, json!({"price_max": 5000}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(recorder.take(), Vec::<i64>::new());
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::NO_CONTENT);
    assert_eq!(recorder.take(), [bob_id]);

    app.patch("/api/settings", &cookie, json!({"autobuy": true}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(recorder.take(), [user]);
    app.patch("/api/settings", &cookie, json!({"autobuy": true}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(recorder.take(), Vec::<i64>::new());

    let account_path = format!("/api/accounts/{}", account["id"]);
    assert_eq!(
        app.delete(&account_path, &cookie).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(recorder.take(), [user]);
    // Refused requests tell nothing.
    assert_eq!(
        app.delete(&account_path, &cookie).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(recorder.take(), Vec::<i64>::new());
}
