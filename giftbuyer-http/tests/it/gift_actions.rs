//! Manual purchase and catalog refresh routes, over a scripted `GiftActions` port.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::http::StatusCode;
use giftbuyer_core::ports::UserId;
use giftbuyer_core::{AccountId, GiftId, Recipient};
use giftbuyer_http::{BuyError, BuyOutcome, BuyResult, GiftActions, RefreshResult};
use serde_json::json;

use crate::support::TestApp;

/// Answers purchases by account id and records what it was asked.
#[derive(Default)]
struct ScriptedActions {
    calls: Mutex<Vec<(i64, i64, Recipient, i64)>>,
    refresh_fails: bool,
}

#[async_trait]
impl GiftActions for ScriptedActions {
    async fn buy(
        &self,
        user: UserId,
        account: AccountId,
        recipient: Recipient,
        gift: GiftId,
    ) -> Result<BuyResult, BuyError> {
        self.calls
            .lock()
            .expect("calls")
            .push((user.get(), account.get(), recipient, gift.get()));
        match account.get() {
            1 => Ok(BuyResult {
                run_id: 7,
                outcome: BuyOutcome::Bought,
            }),
            2 => Ok(BuyResult {
                run_id: 8,
                outcome: BuyOutcome::Failed("STARGIFT_USAGE_LIMITED".into()),
            }),
            3 => Ok(BuyResult {
                run_id: 9,
                outcome: BuyOutcome::Unknown,
            }),
            4 => Err(BuyError::NotFound { what: "account" }),
            5 => Err(BuyError::NotBuyable {
                reason: "sold_out".into(),
            }),
            _ => Err(BuyError::Unavailable("storage is down".into())),
        }
    }

    async fn refresh(&self) -> Result<RefreshResult, String> {
        if self.refresh_fails {
            Err("no account can poll".to_owned())
        } else {
            Ok(RefreshResult {
                outcome: "new_gifts".into(),
            })
        }
    }
}

/// The details of my `gift.bought` audit entries, newest first.
async fn bought_audit(app: &TestApp, user: i64) -> Vec<String> {
    app.audit(user)
        .await
        .into_iter()
        .filter(|entry| entry.kind == "gift.bought")
        .map(|entry| entry.detail)
        .collect()
}

async fn app(actions: Arc<ScriptedActions>) -> TestApp {
    TestApp::with_ports(move |state, _| state.with_gift_actions(actions)).await
}

fn buy_body(account: i64) -> serde_json::Value {
    json!({"account_id": account, "channel_id": -1001234567890_i64})
}

#[tokio::test]
async fn a_manual_purchase_reports_its_outcome_and_is_audited() {
    let actions = Arc::new(ScriptedActions::default());
    let app = app(actions.clone()).await;
    let (cookie, user) = app.user("alice").await;
    let path = "/api/gifts/555/buy";
    let bought = app
        .post(path, &cookie, buy_body(1))
        .await
        .ok(StatusCode::OK);
    assert_eq!(bought, json!({"run_id": 7, "outcome": "bought"}));
    let failed = app
        .post(path, &cookie, buy_body(2))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        failed,
        json!({"run_id": 8, "outcome": "failed", "error": "STARGIFT_USAGE_LIMITED"})
    );
    let unknown = app
        .post(path, &cookie, buy_body(3))
        .await
        .ok(StatusCode::OK);
    assert_eq!(unknown, json!({"run_id": 9, "outcome": "unknown"}));

    // The port was asked for exactly these purchases, on behalf of this user.
    let calls = actions.calls.lock().expect("calls").clone();
    let channel = Recipient::Channel(giftbuyer_core::ChannelId::new(-1001234567890).expect("id"));
    assert_eq!(
        calls,
        [1, 2, 3].map(|account| (user, account, channel, 555))
    );
    let audit = bought_audit(&app, user).await;
    assert_eq!(audit.len(), 3, "{audit:?}");
    assert!(
        audit
            .iter()
            .any(|detail| detail.contains("failed (STARGIFT_USAGE_LIMITED) (run 8)"))
    );
}

#[tokio::test]
async fn refusals_map_to_clear_errors() {
    let actions = Arc::new(ScriptedActions::default());
    let app = app(actions.clone()).await;
    let (cookie, _) = app.user("alice").await;
    let path = "/api/gifts/555/buy";
    app.post(path, &cookie, buy_body(4))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.post(path, &cookie, buy_body(5))
        .await
        .assert_invalid("id");
    app.post(path, &cookie, buy_body(6))
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    app.post(
        path,
        &cookie,
        json!({"account_id": 0, "channel_id": -1001234567890_i64}),
    )
    .await
    .assert_invalid("account_id");
    app.post(path, &cookie, json!({"account_id": 1, "channel_id": -5}))
        .await
        .assert_invalid("channel_id");
    app.post(path, &cookie, json!({"account_id": 1, "username": "x"}))
        .await
        .assert_invalid("username");
    app.post(
        path,
        &cookie,
        json!({"account_id": 1, "channel_id": -1001234567890_i64, "username": "gift_friend"}),
    )
    .await
    .assert_invalid("username");
    app.post("/api/gifts/0/buy", &cookie, buy_body(1))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // The three refusals came from the engine; the invalid inputs never reached it.
    assert_eq!(actions.calls.lock().expect("calls").len(), 3);
}

#[tokio::test]
async fn a_manual_purchase_goes_to_the_account_itself_or_a_person_as_asked() {
    let actions = Arc::new(ScriptedActions::default());
    let app = app(actions.clone()).await;
    let (cookie, user) = app.user("alice").await;
    let path = "/api/gifts/555/buy";
    app.post(path, &cookie, json!({"account_id": 1}))
        .await
        .ok(StatusCode::OK);
    app.post(
        path,
        &cookie,
        json!({"account_id": 1, "username": "@Gift_Friend"}),
    )
    .await
    .ok(StatusCode::OK);
    let friend =
        Recipient::User(giftbuyer_core::TelegramUsername::new("gift_friend").expect("valid"));
    assert_eq!(
        actions.calls.lock().expect("calls").clone(),
        [(user, 1, Recipient::Buyer, 555), (user, 1, friend, 555)]
    );
    let audit = bought_audit(&app, user).await;
    assert!(
        audit
            .iter()
            .any(|detail| detail.contains("for person @gift_friend")),
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|detail| detail.contains("for the buying account itself")),
        "{audit:?}"
    );
}

#[tokio::test]
async fn refresh_streams_its_stages() {
    let app = app(Arc::new(ScriptedActions::default())).await;
    let (cookie, _) = app.user("alice").await;
    let response = app.post("/api/gifts/refresh", &cookie, json!({})).await;
    assert_eq!(
        response.header("content-type"),
        Some("application/x-ndjson")
    );
    let lines: Vec<serde_json::Value> = response
        .text()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    assert_eq!(
        lines,
        [
            json!({"stage": "poll"}),
            json!({"stage": "done", "outcome": "new_gifts"})
        ]
    );

    let failing = app_with_failing_refresh().await;
    let (cookie, _) = failing.user("bob").await;
    let text = failing
        .post("/api/gifts/refresh", &cookie, json!({}))
        .await
        .text();
    assert_eq!(
        text,
        "{\"stage\":\"poll\"}\n{\"stage\":\"error\",\"error\":\"no account can poll\"}\n"
    );
}

async fn app_with_failing_refresh() -> TestApp {
    app(Arc::new(ScriptedActions {
        refresh_fails: true,
        ..ScriptedActions::default()
    }))
    .await
}

#[tokio::test]
async fn without_the_engine_both_routes_answer_503_and_both_need_a_session() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    app.post("/api/gifts/555/buy", &cookie, buy_body(1))
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    app.post("/api/gifts/refresh", &cookie, json!({}))
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    let with_engine = app_with_failing_refresh().await;
    for path in ["/api/gifts/555/buy", "/api/gifts/refresh"] {
        with_engine
            .post(path, "", buy_body(1))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}
