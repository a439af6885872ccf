//! `/api/gifts`: the catalog list and its live SSE stream, read as a stream, with a
//! channel-backed event feed the test publishes into.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::{Body, BodyDataStream};
use axum::http::{Method, StatusCode, header};
use futures_util::StreamExt as _;
use giftbuyer_core::ports::{
    EngineStore as _, EventFeed, EventSubscription, Lagged, LiveEvent, UserId,
};
use giftbuyer_core::{AccountId, CatalogGift, ChannelId, GiftId, UnixTime};
use giftbuyer_http::SESSION_COOKIE;
use serde_json::Value;
use tokio::sync::broadcast;
use tower::ServiceExt as _;

use crate::support::{START, TestApp, panel_request};

/// An event feed on a tokio broadcast channel, as the engine's is, but small, so that a test
/// can make a subscriber lag.
struct TestFeed {
    sender: broadcast::Sender<LiveEvent>,
}

impl TestFeed {
    fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            sender: broadcast::channel(capacity).0,
        })
    }

    fn publish(&self, event: LiveEvent) {
        self.sender.send(event).expect("a subscriber is listening");
    }
}

struct TestSubscription(broadcast::Receiver<LiveEvent>);

impl EventFeed for TestFeed {
    fn subscribe(&self) -> Box<dyn EventSubscription> {
        Box::new(TestSubscription(self.sender.subscribe()))
    }
}

#[async_trait]
impl EventSubscription for TestSubscription {
    async fn next(&mut self) -> Option<Result<LiveEvent, Lagged>> {
        match self.0.recv().await {
            Ok(event) => Some(Ok(event)),
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(Err(Lagged { missed })),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

fn gift(id: i64, remaining: i64) -> CatalogGift {
    CatalogGift {
        id,
        price: 25 * id,
        limited: true,
        supply: Some(1000),
        remaining: Some(remaining),
        require_premium: id == 2,
        birthday: id == 3,
        title: Some(format!("Gift {id}")),
        ..CatalogGift::default()
    }
}

fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(START + secs).expect("valid time")
}

/// An app whose store has seen gift 1, then gifts 2 and 3 a minute later, and gift 1 sell out.
async fn app_with_catalog(feed: Option<Arc<TestFeed>>) -> TestApp {
    let app = TestApp::with_ports(|state, store| {
        let state = state.with_run_journal(Arc::new(store.clone()));
        match feed {
            Some(feed) => state.with_events(feed),
            None => state,
        }
    })
    .await;
    app.store
        .record_catalog(&[gift(1, 10)], at(0))
        .await
        .expect("seed");
    app.store
        .record_catalog(&[gift(1, 0), gift(2, 500), gift(3, 1000)], at(60))
        .await
        .expect("drop");
    app
}

#[tokio::test]
async fn the_catalog_lists_every_known_gift_newest_first() {
    let app = app_with_catalog(None).await;
    let (cookie, _) = app.user("alice").await;
    let body = app.get("/api/gifts", &cookie).await.ok(StatusCode::OK);
    let gifts = body["gifts"].as_array().expect("gifts");
    let ids: Vec<i64> = gifts
        .iter()
        .map(|g| g["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [3, 2, 1]);
    let two = &gifts[1];
    assert_eq!(two["title"], "Gift 2");
    assert_eq!(two["price"], 50);
    assert_eq!(two["limited"], true);
    assert_eq!(two["supply"], 1000);
    assert_eq!(two["remaining"], 500);
    assert_eq!(two["sold_out"], false);
    assert_eq!(two["require_premium"], true);
    assert_eq!(two["birthday"], false);
    assert_eq!(gifts[0]["birthday"], true);
    assert_eq!(two["has_sticker"], false);
    assert_eq!(two["first_seen"], START + 60);
    assert_eq!(two["sold_out_at"], Value::Null);
    let one = &gifts[2];
    assert_eq!(one["first_seen"], START);
    assert_eq!(one["remaining"], 0);
    assert_eq!(one["sold_out"], true);
    assert_eq!(one["sold_out_at"], START + 60);
}

#[tokio::test]
async fn the_catalog_and_its_stream_need_a_session() {
    let app = app_with_catalog(Some(TestFeed::new(8))).await;
    for path in ["/api/gifts", "/api/gifts/stream"] {
        app.call(Method::GET, path, None, None)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

#[tokio::test]
async fn the_stream_is_unavailable_without_the_engine_events() {
    let app = app_with_catalog(None).await;
    let (cookie, _) = app.user("alice").await;
    app.get("/api/gifts/stream", &cookie)
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

/// An open SSE response, read event by event.
struct EventStream {
    body: BodyDataStream,
    buffer: String,
}

impl EventStream {
    async fn open(app: &TestApp, cookie: &str) -> Self {
        let request = panel_request(Method::GET, "/api/gifts/stream")
            .header(header::COOKIE, format!("{SESSION_COOKIE}={cookie}"))
            .body(Body::empty())
            .expect("request");
        let response = app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Self {
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
        }
    }

    /// The next named event and its JSON data, skipping keep-alive comments; `None` when the
    /// stream ended. Fails the test after five seconds without one.
    async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event: ") {
                        name = Some(value.to_owned());
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(value).expect("JSON data"));
                    }
                }
                match (name, data) {
                    (Some(name), Some(data)) => return Some((name, data)),
                    _ => continue,
                }
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.body.next())
                .await
                .expect("an event within five seconds")?;
            self.buffer
                .push_str(std::str::from_utf8(&chunk.expect("body chunk")).expect("UTF-8"));
        }
    }
}

fn ids(raw: &[i64]) -> Vec<GiftId> {
    raw.iter()
        .map(|&id| GiftId::new(id).expect("valid gift"))
        .collect()
}

fn purchase(user: i64, gift: i64, outcome: &str) -> LiveEvent {
    LiveEvent::Purchase {
        user: UserId::new(user).expect("valid user"),
        account: AccountId::new(11).expect("valid account"),
        gift: GiftId::new(gift).expect("valid gift"),
        recipient: giftbuyer_core::Recipient::Channel(
            ChannelId::from_mtproto(111).expect("valid channel"),
        ),
        outcome: outcome.to_owned(),
    }
}

#[tokio::test]
async fn the_stream_sends_the_snapshot_then_the_events_of_the_catalog_and_my_purchases_only() {
    let feed = TestFeed::new(64);
    let app = app_with_catalog(Some(feed.clone())).await;
    let (alice, alice_id) = app.user("alice").await;
    let (_bob, bob_id) = app.user("bob").await;
    let mut stream = EventStream::open(&app, &alice).await;
    assert_eq!(app.state.metrics().sse_clients(), 1);

    let (name, snapshot) = stream.next().await.expect("snapshot");
    assert_eq!(name, "snapshot");
    let listed = app.get("/api/gifts", &alice).await.ok(StatusCode::OK);
    assert_eq!(snapshot, listed);

    feed.publish(LiveEvent::NewGifts { gifts: ids(&[4]) });
    feed.publish(purchase(bob_id, 4, "bought"));
    feed.publish(LiveEvent::RunFinished {
        user: UserId::new(bob_id).expect("valid user"),
        run_id: 99,
    });
    feed.publish(purchase(alice_id, 4, "STARGIFT_USAGE_LIMITED"));
    let resale = |user: i64, slug: &str| LiveEvent::ResalePurchase {
        user: UserId::new(user).expect("valid user"),
        account: AccountId::new(12).expect("valid account"),
        slug: slug.to_owned(),
        outcome: "bought".to_owned(),
    };
    feed.publish(resale(bob_id, "bobs-item"));
    feed.publish(resale(alice_id, "pepe-9"));
    feed.publish(LiveEvent::RunFinished {
        user: UserId::new(alice_id).expect("valid user"),
        run_id: 7,
    });
    feed.publish(LiveEvent::SoldOut { gifts: ids(&[4]) });
    feed.publish(LiveEvent::CatalogUpdated);

    let mut received = Vec::new();
    for _ in 0..6 {
        received.push(stream.next().await.expect("event"));
    }
    let names: Vec<&str> = received.iter().map(|(name, _)| name.as_str()).collect();
    // Bob's purchases and run never reach Alice.
    assert_eq!(
        names,
        [
            "new_gifts",
            "purchase",
            "resale_purchase",
            "run_finished",
            "sold_out",
            "catalog"
        ]
    );
    assert_eq!(
        received[2].1,
        serde_json::json!({"account": 12, "slug": "pepe-9", "outcome": "bought"})
    );
    let received: Vec<_> = received
        .into_iter()
        .enumerate()
        .filter(|(index, _)| *index != 2)
        .map(|(_, event)| event)
        .collect();
    assert_eq!(received[0].1, serde_json::json!({"gifts": [4]}));
    assert_eq!(
        received[1].1,
        serde_json::json!({
            "account": 11,
            "gift": 4,
            "channel": -1_000_000_000_111_i64,
            "username": null,
            "outcome": "STARGIFT_USAGE_LIMITED",
        })
    );
    assert_eq!(received[2].1, serde_json::json!({"run_id": 7}));
    assert_eq!(received[3].1, serde_json::json!({"gifts": [4]}));
    assert_eq!(received[4].1, listed);

    drop(stream);
    assert_eq!(app.state.metrics().sse_clients(), 0);
}

#[tokio::test]
async fn a_lagging_stream_tells_the_client_to_reload() {
    let feed = TestFeed::new(2);
    let app = app_with_catalog(Some(feed.clone())).await;
    let (alice, _) = app.user("alice").await;
    let mut stream = EventStream::open(&app, &alice).await;
    for id in 1..=5 {
        feed.publish(LiveEvent::NewGifts { gifts: ids(&[id]) });
    }
    assert_eq!(stream.next().await.expect("snapshot").0, "snapshot");
    assert_eq!(
        stream.next().await.expect("lagged"),
        ("lagged".to_owned(), serde_json::json!({"missed": 3}))
    );
    // The stream goes on with what the feed still holds.
    assert_eq!(
        stream.next().await.expect("event"),
        ("new_gifts".to_owned(), serde_json::json!({"gifts": [4]}))
    );
}

#[tokio::test]
async fn the_stream_ends_when_the_server_shuts_down() {
    let feed = TestFeed::new(8);
    let app = app_with_catalog(Some(feed.clone())).await;
    let (alice, _) = app.user("alice").await;
    let mut stream = EventStream::open(&app, &alice).await;
    assert_eq!(stream.next().await.expect("snapshot").0, "snapshot");
    app.state.begin_shutdown();
    assert_eq!(stream.next().await, None);
    assert_eq!(app.state.metrics().sse_clients(), 0);
}

#[tokio::test]
async fn changes_of_copies_left_reach_every_client() {
    let feed = TestFeed::new(8);
    let app = app_with_catalog(Some(feed.clone())).await;
    let (alice, _) = app.user("alice").await;
    let mut stream = EventStream::open(&app, &alice).await;
    assert_eq!(stream.next().await.expect("snapshot").0, "snapshot");
    feed.publish(LiveEvent::Remaining {
        gifts: vec![
            (GiftId::new(2).expect("id"), 480),
            (GiftId::new(3).expect("id"), 0),
        ],
    });
    let (name, data) = stream.next().await.expect("event");
    assert_eq!(name, "remaining");
    assert_eq!(
        data,
        serde_json::json!({"gifts": [{"id": 2, "remaining": 480}, {"id": 3, "remaining": 0}]})
    );
}

/// Per-account limits and locks as an engine would report them: a fixed list, filtered by the
/// accounts asked for, as the port requires.
struct FixedAccountCatalogs(Vec<giftbuyer_core::ports::AccountGiftState>);

impl giftbuyer_core::ports::AccountCatalogs for FixedAccountCatalogs {
    fn account_gifts(
        &self,
        accounts: &[AccountId],
    ) -> Vec<giftbuyer_core::ports::AccountGiftState> {
        self.0
            .iter()
            .filter(|entry| accounts.contains(&entry.account))
            .copied()
            .collect()
    }
}

#[tokio::test]
async fn each_gift_shows_my_accounts_own_limits_and_locks_only() {
    use giftbuyer_core::ports::{AccountGiftState, AccountStore as _, NewAccount, Secret};
    let state =
        |account: i64, gift: i64, remains: Option<i64>, locked: Option<i64>| AccountGiftState {
            account: AccountId::new(account).expect("account"),
            gift: GiftId::new(gift).expect("gift"),
            per_user_remains: remains,
            locked_until: locked.map(at),
            seen_at: at(90),
        };
    let catalogs = Arc::new(FixedAccountCatalogs(vec![
        state(501, 2, Some(1), None),
        state(500, 2, Some(3), None),
        state(500, 3, None, Some(3600)),
        // Bob's account: never shown to Alice.
        state(900, 2, Some(0), Some(7200)),
    ]));
    let app = TestApp::with_ports(|state, _| state.with_account_catalogs(catalogs)).await;
    app.store
        .record_catalog(&[gift(1, 10)], at(0))
        .await
        .expect("seed");
    app.store
        .record_catalog(&[gift(1, 9), gift(2, 500), gift(3, 1000)], at(60))
        .await
        .expect("drop");
    let (alice, alice_id) = app.user("alice").await;
    let (bob, bob_id) = app.user("bob").await;
    for (user, phone, telegram) in [
        (alice_id, "+15550000500", 500),
        (alice_id, "+15550000501", 501),
        (bob_id, "+15550000900", 900),
    ] {
        let user = UserId::new(user).expect("user");
        let row = app
            .store
            .create_account(
                user,
                NewAccount {
                    phone: Secret::new(phone.to_owned()),
                    api_profile: None,
                },
                at(0),
            )
            .await
            .expect("account");
        crate::support::log_in_account(&app, user, row, telegram).await;
    }

    let body = app.get("/api/gifts", &alice).await.ok(StatusCode::OK);
    let accounts = |id: i64| {
        body["gifts"]
            .as_array()
            .expect("gifts")
            .iter()
            .find(|gift| gift["id"] == id)
            .expect("gift listed")["accounts"]
            .clone()
    };
    assert_eq!(
        accounts(2),
        serde_json::json!([
            {"account_id": 500, "per_user_remains": 3, "locked_until": null, "seen_at": START + 90},
            {"account_id": 501, "per_user_remains": 1, "locked_until": null, "seen_at": START + 90},
        ])
    );
    assert_eq!(
        accounts(3),
        serde_json::json!([
            {"account_id": 500, "per_user_remains": null, "locked_until": START + 3600, "seen_at": START + 90},
        ])
    );
    assert_eq!(accounts(1), serde_json::json!([]));

    let bobs = app.get("/api/gifts", &bob).await.ok(StatusCode::OK);
    let text = bobs.to_string();
    assert!(!text.contains("\"account_id\":500") && !text.contains("\"account_id\":501"));
    assert!(text.contains("\"account_id\":900"));
}

#[tokio::test]
async fn a_revoked_session_is_told_to_its_owner_only() {
    let feed = TestFeed::new(8);
    let app = app_with_catalog(Some(feed.clone())).await;
    let (alice, alice_id) = app.user("alice").await;
    let (_bob, bob_id) = app.user("bob").await;
    let mut stream = EventStream::open(&app, &alice).await;
    assert_eq!(stream.next().await.expect("snapshot").0, "snapshot");
    for (user, account) in [(bob_id, 900), (alice_id, 500)] {
        feed.publish(LiveEvent::SessionRevoked {
            user: UserId::new(user).expect("user"),
            account: AccountId::new(account).expect("account"),
        });
    }
    let (name, data) = stream.next().await.expect("event");
    assert_eq!(name, "session_revoked");
    assert_eq!(data, serde_json::json!({"account": 500}));
}
