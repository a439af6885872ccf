//! History: paged runs, a run's report and outcomes, spending per day and the audit log.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use giftbuyer_core::ports::{EngineStore as _, JournalKey, JournalStatus, UserId};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Operation, Stars, UnixTime};
use serde_json::json;

use crate::support::{START, TestApp};

fn operation(price: u64) -> Operation {
    Operation {
        account_id: AccountId::new(777).expect("id"),
        recipient: giftbuyer_core::Recipient::Channel(
            ChannelId::new(-1_001_234_567_890).expect("id"),
        ),
        gift_id: GiftId::new(5_000_000 + price as i64).expect("id"),
        price: Stars::new(price),
        supply: 10_000,
    }
}

/// Records a run of `prices`: the first is bought, the second fails, the rest stay planned.
pub(crate) async fn seed_run(
    app: &TestApp,
    user: i64,
    prices: &[u64],
    report: Option<&str>,
) -> i64 {
    let user = UserId::new(user).expect("id");
    let now = app.state.now();
    let ops: Vec<_> = prices.iter().map(|price| operation(*price)).collect();
    let run_id = app.store.begin_run(user, &ops, now).await.expect("run");
    let step = |seq: u32, to: JournalStatus, error: Option<&'static str>| {
        let key = JournalKey { run_id, seq };
        async move {
            assert!(
                app.store
                    .transition(
                        key,
                        JournalStatus::Planned,
                        JournalStatus::Sending,
                        None,
                        now
                    )
                    .await
                    .expect("sending")
            );
            assert!(
                app.store
                    .transition(key, JournalStatus::Sending, to, error, now)
                    .await
                    .expect("outcome")
            );
        }
    };
    if !prices.is_empty() {
        step(0, JournalStatus::Bought, None).await;
    }
    if prices.len() > 1 {
        step(1, JournalStatus::Failed, Some("BALANCE_TOO_LOW")).await;
    }
    if let Some(report) = report {
        app.store
            .save_report(user, run_id, report.to_owned(), now)
            .await
            .expect("report");
    }
    run_id
}

#[tokio::test]
async fn runs_page_newest_first() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    assert_eq!(
        app.get("/api/runs", &cookie).await.ok(StatusCode::OK),
        json!({"runs": []})
    );
    let first = seed_run(&app, user, &[100, 200, 300], Some("report one")).await;
    let second = seed_run(&app, user, &[50], None).await;
    let third = seed_run(&app, user, &[], None).await;

    let page = app
        .get("/api/runs?limit=2", &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        page,
        json!({"runs": [
            {"id": third, "started_at": START, "operations": 0, "bought": 0, "failed": 0,
             "unknown": 0, "has_report": false},
            {"id": second, "started_at": START, "operations": 1, "bought": 1, "failed": 0,
             "unknown": 0, "has_report": false},
        ], "next_before": second})
    );
    let next = app
        .get(&format!("/api/runs?limit=2&before={second}"), &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        next,
        json!({"runs": [{"id": first, "started_at": START, "operations": 3, "bought": 1,
                         "failed": 1, "unknown": 0, "has_report": true}]})
    );
    assert_eq!(
        app.get("/api/runs", &cookie).await.json()["runs"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("before=-1", "before"),
        ("limit=1&limit=2", "limit"),
        ("page=2", "page"),
    ] {
        app.get(&format!("/api/runs?{query}"), &cookie)
            .await
            .assert_invalid(field);
    }
}

#[tokio::test]
async fn runs_older_than_the_latest_thousand_are_reachable() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    let oldest = seed_run(&app, user, &[100, 200], Some("old")).await;
    let id = UserId::new(user).expect("id");
    for _ in 0..1_100 {
        app.store
            .begin_run(id, &[], app.state.now())
            .await
            .expect("run");
    }

    let detail = app
        .get(&format!("/api/runs/{oldest}"), &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(detail["run"]["id"], oldest);
    assert_eq!(detail["report"], "old");
    assert_eq!(detail["operations"].as_array().map(Vec::len), Some(2));

    let (mut seen, mut before) = (Vec::new(), None::<i64>);
    loop {
        let path = match before {
            Some(before) => format!("/api/runs?limit=100&before={before}"),
            None => "/api/runs?limit=100".to_owned(),
        };
        let page = app.get(&path, &cookie).await.ok(StatusCode::OK);
        let runs = page["runs"].as_array().expect("runs");
        seen.extend(runs.iter().map(|run| run["id"].as_i64().expect("id")));
        match page.get("next_before") {
            Some(next) => before = next.as_i64(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 1_101);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(seen.last(), Some(&oldest));
    let last = app
        .get(&format!("/api/runs?limit=1&before={}", oldest + 1), &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(last["runs"][0]["id"], oldest);
    assert_eq!(last.get("next_before"), None);

    let (other, _) = app.user("bob").await;
    app.get(&format!("/api/runs/{oldest}"), &other)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_run_shows_its_report_and_each_outcome() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    let run = seed_run(&app, user, &[100, 200, 300], Some("Bought 1 of 3")).await;
    let detail = app
        .get(&format!("/api/runs/{run}"), &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(detail["report"], "Bought 1 of 3");
    assert_eq!(detail["report_saved_at"], START);
    assert_eq!(detail["operations_available"], true);
    assert_eq!(detail["run"]["bought"], 1);
    let ops = detail["operations"].as_array().expect("operations");
    assert_eq!(ops.len(), 3);
    assert_eq!(
        ops[1],
        json!({"seq": 1, "account_id": 777, "channel_id": -1_001_234_567_890_i64,
               "username": null, "gift_id": 5_000_200, "price": 200, "supply": 10_000, "status": "failed",
               "error": "BALANCE_TOO_LOW", "updated_at": START})
    );
    assert_eq!(ops[0]["status"], "bought");
    assert_eq!(ops[2]["status"], "planned");

    let unreported = seed_run(&app, user, &[5], None).await;
    let detail = app
        .get(&format!("/api/runs/{unreported}"), &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(detail["report"], serde_json::Value::Null);
    for id in ["999", "0", "-1", "x"] {
        app.get(&format!("/api/runs/{id}"), &cookie)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn without_the_journal_a_run_shows_counts_and_report_only() {
    let app = TestApp::with_ports(|state, _| state).await;
    let (cookie, user) = app.user("alice").await;
    let run = seed_run(&app, user, &[100], Some("r")).await;
    let detail = app
        .get(&format!("/api/runs/{run}"), &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(detail["operations"], json!([]));
    assert_eq!(detail["operations_available"], false);
    assert_eq!(detail["run"]["bought"], 1);
    let spending = app
        .get("/api/stats/spending?days=1", &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(spending["available"], false);
    assert_eq!(spending["total_stars"], 0);
}

#[tokio::test]
async fn spending_sums_bought_purchases_per_utc_day() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    // START is 2025-11-24 16:00 UTC.
    seed_run(&app, user, &[100, 999], None).await;
    seed_run(&app, user, &[250], None).await;
    // Ten hours later it is the next UTC day, and the browser session is still valid.
    app.clock.advance(Duration::from_secs(10 * 3600));
    seed_run(&app, user, &[40], None).await;

    let spending = app
        .get("/api/stats/spending?days=3", &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        spending,
        json!({"days": [
            {"date": "2025-11-23", "stars": 0, "purchases": 0},
            {"date": "2025-11-24", "stars": 350, "purchases": 2},
            {"date": "2025-11-25", "stars": 40, "purchases": 1},
        ], "total_stars": 390, "available": true})
    );
    let one = app
        .get("/api/stats/spending?days=1", &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(one["total_stars"], 40);
    let default = app
        .get("/api/stats/spending", &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(default["days"].as_array().map(Vec::len), Some(30));
    assert_eq!(default["total_stars"], 390);
    for query in ["days=0", "days=367", "days=x", "weeks=1"] {
        let response = app
            .get(&format!("/api/stats/spending?{query}"), &cookie)
            .await;
        response.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    }
    assert_eq!(
        UnixTime::from_secs(START).map(|t| t.secs() % 86_400),
        Ok(57_600)
    );
}

#[tokio::test]
async fn the_audit_log_lists_my_entries_newest_first() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    app.patch("/api/settings", &cookie, json!({"autobuy": true}))
        .await
        .ok(StatusCode::OK);
    let log = app.get("/api/audit", &cookie).await.ok(StatusCode::OK);
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{log}");
    assert_eq!(entries[0]["kind"], "settings.changed");
    assert_eq!(entries[1]["kind"], "register");
    assert_eq!(entries[0]["at"], START);
    let one = app
        .get("/api/audit?limit=1", &cookie)
        .await
        .ok(StatusCode::OK);
    assert_eq!(one["entries"].as_array().map(Vec::len), Some(1));
    for query in ["limit=0", "limit=501", "limit=", "offset=3"] {
        app.get(&format!("/api/audit?{query}"), &cookie)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    }
}

#[tokio::test]
async fn history_needs_a_session() {
    let app = TestApp::new().await;
    for path in [
        "/api/runs",
        "/api/runs/1",
        "/api/stats/spending",
        "/api/audit",
    ] {
        app.call(Method::GET, path, None, None)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}
