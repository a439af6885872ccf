//! `POST /api/channels/{id}/check`: per-account membership through the connector, the title
//! filled in from Telegram, and the errors (no account, another user's ids, no connector).

use axum::http::StatusCode;
use giftbuyer_core::ports::ChannelAccess;
use giftbuyer_core::{AccountId, ChannelId};
use serde_json::{Value, json};

use crate::accounts::{CHANNEL_WITH_TITLE, PHONE, add_account, app_with_market};
use crate::support::TestApp;

const CHANNEL: i64 = CHANNEL_WITH_TITLE;

async fn add_channel(app: &TestApp, cookie: &str, title: Option<&str>) -> i64 {
    let created = app
        .post(
            "/api/channels",
            cookie,
            json!({"channel_id": CHANNEL, "title": title}),
        )
        .await
        .ok(StatusCode::CREATED);
    created["id"].as_i64().expect("row id")
}

fn check_path(row: i64) -> String {
    format!("/api/channels/{row}/check")
}

fn statuses(answer: &Value) -> Vec<(i64, String)> {
    answer["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|account| {
            (
                account["account_id"].as_i64().expect("id"),
                account["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_account_says_whether_it_can_post_and_the_title_is_filled_in() {
    let (app, market) = app_with_market().await;
    let (cookie, _) = app.user("alice").await;
    let account = add_account(&app, &cookie, PHONE).await;
    let telegram_id = account["telegram_id"].as_i64().expect("telegram id");
    let row = add_channel(&app, &cookie, None).await;

    // The new account sees no channel yet.
    let answer = app
        .post(&check_path(row), &cookie, json!({}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        statuses(&answer),
        [(telegram_id, "not_a_member".to_owned())]
    );
    assert_eq!(answer["usable"], false);
    assert_eq!(answer["title"], Value::Null);
    assert_eq!(
        answer["takes_star_gifts"],
        Value::Null,
        "no account sees the channel"
    );

    let id = AccountId::new(telegram_id).expect("id");
    let channel = ChannelId::new(CHANNEL).expect("channel");
    market.set_channel_access(id, channel, ChannelAccess::ReadOnly);
    let answer = app
        .post(
            &check_path(row),
            &cookie,
            json!({"account_id": telegram_id}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(statuses(&answer), [(telegram_id, "read_only".to_owned())]);
    assert_eq!(answer["takes_star_gifts"], true);
    // Its owner turns star gifts off: auctions cannot be won for it, and the check says so.
    market.set_closed_to_gifts(channel, true);
    let answer = app
        .post(&check_path(row), &cookie, json!({}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(answer["takes_star_gifts"], false);
    market.set_closed_to_gifts(channel, false);

    market.set_channel_access(id, channel, ChannelAccess::CanPost);
    let answer = app
        .post(&check_path(row), &cookie, json!({}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(statuses(&answer), [(telegram_id, "can_post".to_owned())]);
    assert_eq!(answer["usable"], true);
    assert_eq!(answer["channel_id"], CHANNEL);
    assert!(answer["checked_at"].as_i64().is_some());
    // A member sees the title, which fills in the untitled channel.
    assert_eq!(answer["telegram_title"], "Gift Drops");
    assert_eq!(answer["title"], "Gift Drops");
    let listed = app.get("/api/channels", &cookie).await.ok(StatusCode::OK);
    assert!(listed.to_string().contains("Gift Drops"), "{listed}");
}

#[tokio::test]
async fn a_title_of_my_own_is_kept() {
    let (app, market) = app_with_market().await;
    let (cookie, _) = app.user("alice").await;
    let account = add_account(&app, &cookie, PHONE).await;
    let id = AccountId::new(account["telegram_id"].as_i64().expect("id")).expect("id");
    market.set_channel_access(
        id,
        ChannelId::new(CHANNEL).expect("channel"),
        ChannelAccess::CanPost,
    );
    let row = add_channel(&app, &cookie, Some("My drops")).await;
    let answer = app
        .post(&check_path(row), &cookie, json!({}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(answer["telegram_title"], "Gift Drops");
    assert_eq!(answer["title"], "My drops");
}

#[tokio::test]
async fn errors_name_what_is_missing_or_not_mine() {
    let (app, _market) = app_with_market().await;
    let (cookie, _) = app.user("alice").await;
    let row = add_channel(&app, &cookie, Some("Mine")).await;

    let none = app.post(&check_path(row), &cookie, json!({})).await;
    assert_eq!(none.status, StatusCode::CONFLICT);
    assert_eq!(none.json()["error"]["code"], "no_accounts");

    let account = add_account(&app, &cookie, PHONE).await;
    let (bob, _) = app.user("bob").await;
    let bobs_row = add_channel(&app, &bob, None).await;
    // Another user's channel, and another user's account, look like no channel and no account.
    let theirs = app.post(&check_path(bobs_row), &cookie, json!({})).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.json()["error"]["message"], "channel not found");
    let not_bobs = app
        .post(
            &check_path(bobs_row),
            &bob,
            json!({"account_id": account["telegram_id"]}),
        )
        .await;
    assert_eq!(not_bobs.status, StatusCode::NOT_FOUND);
    assert_eq!(not_bobs.json()["error"]["message"], "account not found");

    for (path, body) in [
        (check_path(row), json!({"account_id": "seven"})),
        (check_path(row), json!({"account": 1})),
    ] {
        let bad = app.post(&path, &cookie, body).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            bad.text()
        );
    }
    for path in ["/api/channels/0/check", "/api/channels/abc/check"] {
        let missing = app.post(path, &cookie, json!({})).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn without_a_connector_the_check_says_so() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let row = add_channel(&app, &cookie, None).await;
    let answer = app.post(&check_path(row), &cookie, json!({})).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.json()["error"]["code"], "unavailable");
}
