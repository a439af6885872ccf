//! `/api/accounts`: adding Telegram accounts through the login steps on the simulated market
//! (`SimLogin` and `SimConnector` over a `Market` on the app's clock), the list with masked
//! phones, deletion, the NDJSON refresh read as a stream, and every error on the way.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use futures_util::StreamExt as _;
use giftbuyer_core::ports::{SessionVault as _, UserId};
use giftbuyer_core::{AccountId, ChannelId, Stars};
use giftbuyer_sim::{
    AccountSpec, FloodConfig, Latency, LatencyConfig, LoginConfig, Market, MarketConfig,
    SimConnector, SimLogin,
};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::profiles::new_profile;
use crate::support::{TestApp, config, panel_request};

/// A number the market does not know: a login creates its account.
pub(crate) const PHONE: &str = "+15551234567";
/// The digits of `PHONE`, which no response may contain.
const DIGITS: &str = "15551234567";
/// An account with a two-step password.
const TWO_FACTOR_PHONE: &str = "+447700900123";
const TWO_FACTOR_ID: i64 = 4242;
const STARTING_BALANCE: u64 = 1_500;
/// A channel the market knows the title of.
pub(crate) const CHANNEL_WITH_TITLE: i64 = -1_001_234_567_890;

/// The app with the simulated market's login and connector, and the market.
pub(crate) async fn app_with_market() -> (TestApp, Market) {
    let mut market_config = MarketConfig {
        latency: LatencyConfig::uniform(Latency::ZERO),
        flood: FloodConfig::NONE,
        ..MarketConfig::with_seed(11)
    }
    .account(
        AccountSpec::new(
            AccountId::new(TWO_FACTOR_ID).expect("id"),
            Stars::new(9_000),
        )
        .phone(TWO_FACTOR_PHONE)
        .username("secure_one")
        .premium()
        .two_factor("open sesame", Some("the cave")),
    );
    market_config.login.starting_balance = Stars::new(STARTING_BALANCE);
    market_config.channel_titles.insert(
        ChannelId::new(CHANNEL_WITH_TITLE).expect("channel"),
        "Gift Drops".to_owned(),
    );
    let slot = Arc::new(std::sync::Mutex::new(None));
    let market_slot = slot.clone();
    let app = TestApp::build_on_clock(config(), move |state, store, clock| {
        let market = Market::new(market_config, clock).expect("market");
        *market_slot.lock().expect("slot") = Some(market.clone());
        state
            .with_login(Arc::new(SimLogin::new(market.clone())))
            .with_connector(Arc::new(SimConnector::new(market, None)))
            .with_account_states(Arc::new(store.clone()))
            .with_run_journal(Arc::new(store.clone()))
    })
    .await;
    let market = slot.lock().expect("slot").take().expect("market built");
    (app, market)
}

/// Starts a login and returns its answer.
async fn start(app: &TestApp, cookie: &str, phone: &str) -> Value {
    app.post("/api/accounts/login", cookie, json!({"phone": phone}))
        .await
        .ok(StatusCode::OK)
}

fn login_path(started: &Value, step: &str) -> String {
    let id = started["login_id"].as_str().expect("login id");
    format!("/api/accounts/login/{id}/{step}")
}

/// Adds the account of `phone` (without a password) and returns it.
pub(crate) async fn add_account(app: &TestApp, cookie: &str, phone: &str) -> Value {
    let started = start(app, cookie, phone).await;
    let done = app
        .post(
            &login_path(&started, "code"),
            cookie,
            json!({"code": started["demo_code"]}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(done["step"], "done", "{done}");
    done["account"].clone()
}

fn wrong(code: &Value) -> &'static str {
    if code == "00000" { "11111" } else { "00000" }
}

#[tokio::test]
async fn a_login_adds_the_account_with_its_balance_and_never_shows_the_phone() {
    let (app, _market) = app_with_market().await;
    let (cookie, user) = app.user("alice").await;
    let profile = app
        .post("/api/profiles", &cookie, new_profile("main"))
        .await
        .ok(StatusCode::CREATED)["id"]
        .clone();

    let started = app
        .post(
            "/api/accounts/login",
            &cookie,
            json!({"phone": "+1 555-123-4567", "api_profile_id": profile}),
        )
        .await;
    let body = started.ok(StatusCode::OK);
    assert_eq!(body["step"], "code");
    assert_eq!(body["masked_phone"], "+1555****567");
    assert_eq!(
        body["expires_in_secs"],
        LoginConfig::default().code_ttl.as_secs()
    );
    let code = body["demo_code"].as_str().expect("demo code").to_owned();
    assert_eq!(code.len(), 5);

    let done = app
        .post(&login_path(&body, "code"), &cookie, json!({"code": code}))
        .await;
    let done_body = done.ok(StatusCode::OK);
    let account = done_body["account"].clone();
    let id = account["id"].as_i64().expect("id");
    let telegram_id = account["telegram_id"].as_i64().expect("telegram id");
    assert_eq!(
        account,
        // The market names the accounts it creates after their number's last digits.
        json!({"id": id, "telegram_id": telegram_id, "first_name": "Demo 4567", "username": null,
               "masked_phone": "+1555****567", "premium": false, "premium_until": null,
               "stars": STARTING_BALANCE, "stars_refreshed_at": crate::support::START,
               "api_profile_id": profile, "logged_in": true})
    );
    let list = app.get("/api/accounts", &cookie).await;
    assert_eq!(list.ok(StatusCode::OK), json!({"accounts": [account]}));

    // The session is kept (encrypted) for the engine.
    let session = app
        .store
        .load_session(
            UserId::new(user).expect("user"),
            giftbuyer_core::ports::AccountRowId::new(id).expect("row"),
        )
        .await
        .expect("session")
        .expect("saved");
    assert!(!session.data.expose().is_empty());

    for response in [&started, &done, &list] {
        assert!(!response.text().contains(DIGITS), "{}", response.text());
    }
    let audit = app.audit(user).await;
    let kinds: Vec<&str> = audit.iter().map(|entry| entry.kind.as_str()).collect();
    assert!(kinds.contains(&"account.login_started"), "{kinds:?}");
    assert!(kinds.contains(&"account.added"), "{kinds:?}");
    for entry in &audit {
        assert!(!entry.detail.contains(DIGITS), "{entry:?}");
        assert!(!entry.detail.contains(&code), "{entry:?}");
    }
}

#[tokio::test]
async fn an_account_with_two_step_verification_asks_for_its_password() {
    let (app, _market) = app_with_market().await;
    let (cookie, user) = app.user("alice").await;
    let started = start(&app, &cookie, TWO_FACTOR_PHONE).await;
    let next = app
        .post(
            &login_path(&started, "code"),
            &cookie,
            json!({"code": started["demo_code"]}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        next,
        json!({"step": "password", "hint": "the cave", "login_id": started["login_id"]})
    );
    app.post(
        &login_path(&started, "code"),
        &cookie,
        json!({"code": started["demo_code"]}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "wrong_step");
    app.post(
        &login_path(&started, "password"),
        &cookie,
        json!({"password": "wrong"}),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_password");
    app.post(
        &login_path(&started, "password"),
        &cookie,
        json!({"password": ""}),
    )
    .await
    .assert_invalid("password");
    let done = app
        .post(
            &login_path(&started, "password"),
            &cookie,
            json!({"password": "open sesame"}),
        )
        .await
        .ok(StatusCode::OK);
    let account = &done["account"];
    assert_eq!(account["telegram_id"], TWO_FACTOR_ID);
    assert_eq!(account["username"], "secure_one");
    assert_eq!(account["premium"], true);
    assert_eq!(account["stars"], 9_000);
    for entry in app.audit(user).await {
        assert!(!entry.detail.contains("open sesame"), "{entry:?}");
    }
}

#[tokio::test]
async fn wrong_codes_and_expired_logins_are_told_apart() {
    let (app, _market) = app_with_market().await;
    let (cookie, _) = app.user("alice").await;
    let started = start(&app, &cookie, PHONE).await;
    let path = login_path(&started, "code");
    app.post(
        &path,
        &cookie,
        json!({"code": wrong(&started["demo_code"])}),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    app.post(&path, &cookie, json!({"code": " "}))
        .await
        .assert_invalid("code");
    app.post(&path, &cookie, json!({"code": "1", "extra": true}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");

    app.clock.advance(LoginConfig::default().code_ttl);
    app.post(&path, &cookie, json!({"code": started["demo_code"]}))
        .await
        .assert_error(StatusCode::GONE, "code_expired");
    app.post(&path, &cookie, json!({"code": started["demo_code"]}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_login");
    assert_eq!(
        app.get("/api/accounts", &cookie).await.ok(StatusCode::OK),
        json!({"accounts": []})
    );
}

#[tokio::test]
async fn another_users_login_is_not_found_and_cancel_is_the_owners() {
    let (app, _market) = app_with_market().await;
    let (alice, _) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    let started = start(&app, &alice, PHONE).await;
    let code_path = login_path(&started, "code");
    let cancel_path = format!(
        "/api/accounts/login/{}",
        started["login_id"].as_str().expect("id")
    );
    app.post(&code_path, &bob, json!({"code": started["demo_code"]}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_login");
    app.post(
        &login_path(&started, "password"),
        &bob,
        json!({"password": "x"}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "unknown_login");
    app.delete(&cancel_path, &bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_login");
    app.delete("/api/accounts/login/not%20an%20id", &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_login");

    // Alice's login is intact; she cancels it.
    assert_eq!(
        app.delete(&cancel_path, &alice)
            .await
            .ok(StatusCode::NO_CONTENT),
        Value::Null
    );
    app.delete(&cancel_path, &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_login");
    app.post(&code_path, &alice, json!({"code": started["demo_code"]}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_login");
}

#[tokio::test]
async fn start_checks_the_phone_the_profile_and_the_pending_cap() {
    let (app, _market) = app_with_market().await;
    let (alice, _) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    for bad in ["5551234567", "+123", "+1555abc4567", "+1234567890123456"] {
        let response = app
            .post("/api/accounts/login", &alice, json!({"phone": bad}))
            .await;
        response.assert_invalid("phone");
        assert!(!response.text().contains(bad), "{}", response.text());
    }
    let bobs = app
        .post("/api/profiles", &bob, new_profile("bob's"))
        .await
        .ok(StatusCode::CREATED)["id"]
        .clone();
    for profile in [bobs, json!(0), json!(999)] {
        app.post(
            "/api/accounts/login",
            &alice,
            json!({"phone": PHONE, "api_profile_id": profile}),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    }

    for n in 0..5 {
        start(&app, &alice, &format!("+1555000000{n}")).await;
    }
    let refused = app
        .post("/api/accounts/login", &alice, json!({"phone": PHONE}))
        .await;
    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_pending");
    // Bob is not held back by Alice's logins.
    start(&app, &bob, PHONE).await;
}

#[tokio::test]
async fn the_same_telegram_account_cannot_be_added_twice() {
    let (app, _market) = app_with_market().await;
    let (alice, _) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    add_account(&app, &alice, PHONE).await;
    for cookie in [&alice, &bob] {
        let started = start(&app, cookie, PHONE).await;
        app.post(
            &login_path(&started, "code"),
            cookie,
            json!({"code": started["demo_code"]}),
        )
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    }
    let list = app.get("/api/accounts", &alice).await.ok(StatusCode::OK);
    assert_eq!(list["accounts"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.get("/api/accounts", &bob).await.ok(StatusCode::OK),
        json!({"accounts": []}),
        "no half-added row is left"
    );
}

#[tokio::test]
async fn deleting_an_account_removes_it_and_its_session() {
    let (app, _market) = app_with_market().await;
    let (alice, alice_id) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    let id = add_account(&app, &alice, PHONE).await["id"].clone();
    let path = format!("/api/accounts/{id}");
    app.delete(&path, &bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.delete(&path, &alice).await.ok(StatusCode::NO_CONTENT),
        Value::Null
    );
    app.delete(&path, &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.delete("/api/accounts/abc", &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.get("/api/accounts", &alice).await.ok(StatusCode::OK),
        json!({"accounts": []})
    );
    let row = giftbuyer_core::ports::AccountRowId::new(id.as_i64().expect("id")).expect("row");
    let session = app
        .store
        .load_session(UserId::new(alice_id).expect("user"), row)
        .await
        .expect("store");
    assert_eq!(session, None);
    let audit = app.audit(alice_id).await;
    assert!(audit.iter().any(|entry| entry.kind == "account.deleted"));
}

/// Sends a refresh and reads its body frame by frame, parsing each line as it arrives.
async fn refresh_lines(app: &TestApp, cookie: &str, id: &Value) -> (StatusCode, Vec<Value>) {
    let request = panel_request(Method::POST, &format!("/api/accounts/{id}/refresh"))
        .header(
            axum::http::header::COOKIE,
            format!("{}={cookie}", giftbuyer_http::SESSION_COOKIE),
        )
        .body(Body::empty())
        .expect("request");
    let response = app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("application/x-ndjson")
        );
    }
    let mut stream = response.into_body().into_data_stream();
    let mut pending = Vec::new();
    let mut lines = Vec::new();
    while let Some(chunk) = stream.next().await {
        pending.extend_from_slice(&chunk.expect("chunk"));
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            lines.push(serde_json::from_slice(&line[..end]).expect("each line is JSON"));
        }
    }
    if status == StatusCode::OK {
        assert!(pending.is_empty(), "the stream ends with a full line");
    } else {
        lines.push(serde_json::from_slice(&pending).expect("error JSON"));
    }
    (status, lines)
}

#[tokio::test]
async fn refresh_streams_its_stages_and_saves_the_new_balance() {
    let (app, market) = app_with_market().await;
    let (alice, _) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    let account = add_account(&app, &alice, PHONE).await;
    let telegram_id = AccountId::new(account["telegram_id"].as_i64().expect("id")).expect("id");
    market.set_balance(telegram_id, Stars::new(321));
    market.set_premium(telegram_id, true);
    app.clock.advance(std::time::Duration::from_secs(60));

    let (status, lines) = refresh_lines(&app, &alice, &account["id"]).await;
    assert_eq!(status, StatusCode::OK);
    let stages: Vec<&str> = lines
        .iter()
        .map(|line| line["stage"].as_str().expect("stage"))
        .collect();
    assert_eq!(
        stages,
        ["connect", "profile", "stars", "premium", "save", "done"]
    );
    let refreshed = &lines[5]["account"];
    assert_eq!(refreshed["stars"], 321);
    assert_eq!(refreshed["premium"], true);
    assert_eq!(refreshed["stars_refreshed_at"], crate::support::START + 60);
    let list = app.get("/api/accounts", &alice).await.ok(StatusCode::OK);
    assert_eq!(&list["accounts"][0], refreshed);

    let (status, lines) = refresh_lines(&app, &bob, &account["id"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(lines[0]["error"]["code"], "not_found");
}

#[tokio::test]
async fn refresh_reports_a_failure_as_its_last_line() {
    let (app, _market) = app_with_market().await;
    let (alice, alice_id) = app.user("alice").await;
    let account = add_account(&app, &alice, PHONE).await;
    let row =
        giftbuyer_core::ports::AccountRowId::new(account["id"].as_i64().expect("id")).expect("row");
    app.store
        .clear_session(UserId::new(alice_id).expect("user"), row)
        .await
        .expect("cleared");
    let (status, lines) = refresh_lines(&app, &alice, &account["id"]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["stage"], "error");
    assert_eq!(lines[0]["error"]["code"], "not_logged_in");
}

#[tokio::test]
async fn without_the_ports_the_routes_say_what_is_missing() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    let response = app
        .post("/api/accounts/login", &cookie, json!({"phone": PHONE}))
        .await;
    response.assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        response.text().contains("Telegram login"),
        "{}",
        response.text()
    );
    app.post(
        "/api/accounts/login/abc/code",
        &cookie,
        json!({"code": "1"}),
    )
    .await
    .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_eq!(
        app.get("/api/accounts", &cookie).await.ok(StatusCode::OK),
        json!({"accounts": []}),
        "the list needs only the store"
    );
    // An account added by other means cannot be refreshed without a connector.
    let row = {
        use giftbuyer_core::ports::{AccountStore as _, NewAccount, Secret};
        app.store
            .create_account(
                UserId::new(user).expect("user"),
                NewAccount {
                    phone: Secret::new(PHONE.to_owned()),
                    api_profile: None,
                },
                giftbuyer_core::UnixTime::from_secs(crate::support::START).expect("time"),
            )
            .await
            .expect("created")
    };
    let (status, lines) = refresh_lines(&app, &cookie, &json!(row.get())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(lines[0]["error"]["code"], "unavailable");
    let list = app.get("/api/accounts", &cookie).await;
    assert_eq!(list.json()["accounts"][0]["masked_phone"], "+1555****567");
    assert!(!list.text().contains(DIGITS));
}

#[tokio::test]
async fn every_route_needs_a_session_and_is_documented() {
    let (app, _market) = app_with_market().await;
    for (method, path) in [
        (Method::GET, "/api/accounts"),
        (Method::POST, "/api/accounts/login"),
        (Method::POST, "/api/accounts/login/abc/code"),
        (Method::POST, "/api/accounts/login/abc/password"),
        (Method::DELETE, "/api/accounts/login/abc"),
        (Method::DELETE, "/api/accounts/1"),
        (Method::POST, "/api/accounts/1/refresh"),
    ] {
        app.call(method.clone(), path, None, Some(json!({})))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let doc = app
        .call(Method::GET, "/api/openapi.json", None, None)
        .await
        .json();
    for path in [
        "/api/accounts",
        "/api/accounts/login",
        "/api/accounts/login/{login_id}",
        "/api/accounts/login/{login_id}/code",
        "/api/accounts/login/{login_id}/password",
        "/api/accounts/{id}",
        "/api/accounts/{id}/refresh",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}
