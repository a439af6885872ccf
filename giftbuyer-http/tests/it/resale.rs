//! `/api/resale`: watches added with the core's validation (422 naming the field), scoped to
//! their owner, the sniper's purchases, and a gift type's live listings through my account.

use std::sync::Arc;

use axum::http::StatusCode;
use giftbuyer_core::ports::{NewWatch, ResaleStore as _, ResaleWatchStore as _, UserId};
use giftbuyer_core::resale::{AttributeFilter, Recipient, SnipeBuy};
use giftbuyer_core::{AccountId, GiftId, Stars};
use giftbuyer_sim::{
    FloodConfig, Latency, LatencyConfig, Market, MarketConfig, ResaleSpec, SimConnector, SimLogin,
};
use serde_json::{Value, json};

use crate::accounts::{PHONE, add_account};
use crate::support::{TestApp, config};

const GIFT: i64 = 5_170_145_012_310_081_615;

async fn app() -> TestApp {
    TestApp::with_ports(|state, store| {
        state.with_resale(Arc::new(store.clone()), Arc::new(store.clone()))
    })
    .await
}

fn watch(gift_id: Value) -> Value {
    json!({"gift_id": gift_id, "max_price": 2500, "copies": 2, "model": " Durov's Cap "})
}

#[tokio::test]
async fn watches_are_added_listed_and_deleted_by_their_owner_only() {
    let app = app().await;
    let (alice, _) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    // The id as a string keeps it exact for JavaScript; as a number it works too.
    let created = app
        .post(
            "/api/resale/watches",
            &alice,
            watch(json!(GIFT.to_string())),
        )
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(created["gift_id"], json!(GIFT));
    assert_eq!(
        (
            &created["model"],
            &created["max_price"],
            &created["copies"],
            &created["bought"]
        ),
        (&json!("durov's cap"), &json!(2500), &json!(2), &json!(0))
    );
    assert_eq!(created["to_channel_id"], Value::Null);
    app.post("/api/resale/watches", &alice, watch(json!(GIFT)))
        .await
        .ok(StatusCode::CREATED);
    let listed = app
        .get("/api/resale/watches", &alice)
        .await
        .ok(StatusCode::OK);
    assert_eq!(listed["watches"].as_array().map(Vec::len), Some(2));
    let others = app
        .get("/api/resale/watches", &bob)
        .await
        .ok(StatusCode::OK);
    assert_eq!(others["watches"], json!([]));

    let id = created["id"].as_i64().expect("id");
    let path = format!("/api/resale/watches/{id}");
    app.delete(&path, &bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.delete(&path, &alice).await.status,
        StatusCode::NO_CONTENT
    );
    app.delete(&path, &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    for bad in ["0", "-1", "abc", "99999999999999999999"] {
        app.delete(&format!("/api/resale/watches/{bad}"), &alice)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let after = app
        .get("/api/resale/watches", &alice)
        .await
        .ok(StatusCode::OK);
    assert_eq!(after["watches"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn bad_watches_are_refused_naming_the_field() {
    let app = app().await;
    let (alice, _) = app.user("alice").await;
    let with = |field: &str, value: Value| {
        let mut body = watch(json!(GIFT));
        body[field] = value;
        body
    };
    let cases = [
        (with("gift_id", json!(0)), "gift_id"),
        (with("gift_id", json!("-5")), "gift_id"),
        (with("max_price", json!(0)), "max_price"),
        (with("max_price", json!(-1)), "max_price"),
        (with("max_price", json!(100_000_001)), "max_price"),
        (with("copies", json!(0)), "copies"),
        (with("copies", json!(101)), "copies"),
        (with("model", json!("x".repeat(65))), "model"),
        (with("backdrop", json!("a\u{0}b")), "backdrop"),
        (with("symbol", json!("   ")), "symbol"),
        (with("to_channel_id", json!(-123)), "to_channel_id"),
        // A channel id of the right form that is not one of my channels.
        (
            with("to_channel_id", json!(-1_001_234_567_890_i64)),
            "to_channel_id",
        ),
        (with("to_username", json!("no")), "to_username"),
        (with("to_username", json!("bad name!")), "to_username"),
    ];
    for (body, field) in cases {
        let response = app.post("/api/resale/watches", &alice, body.clone()).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            response.text()
        );
        response.assert_invalid(field);
    }
    // Wrong types and unknown fields are refused before anything is looked at.
    for body in [
        json!({"gift_id": GIFT, "max_price": "lots", "copies": 1}),
        json!({"gift_id": GIFT, "max_price": 1, "copies": 1, "colour": "red"}),
        json!({"gift_id": [1], "max_price": 1, "copies": 1}),
    ] {
        let status = app
            .post("/api/resale/watches", &alice, body.clone())
            .await
            .status;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{body}: {status}"
        );
    }
    let listed = app
        .get("/api/resale/watches", &alice)
        .await
        .ok(StatusCode::OK);
    assert_eq!(listed["watches"], json!([]), "nothing was stored");
    // A person by username receives the items; the watch says who.
    let mut to_friend = watch(json!(GIFT));
    to_friend["to_username"] = json!("@Gift_Friend");
    let created = app
        .post("/api/resale/watches", &alice, to_friend)
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(created["to_username"], "gift_friend", "{created}");
}

#[tokio::test]
async fn my_purchases_show_the_sniper_journal_and_nobody_elses() {
    let app = app().await;
    let (alice, alice_id) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    let user = UserId::new(alice_id).expect("user");
    let watch = app
        .store
        .create_watch(
            user,
            &NewWatch {
                gift_id: GiftId::new(GIFT).expect("gift"),
                attributes: AttributeFilter::default(),
                max_price: Stars::new(3000),
                recipient: Recipient::Buyer,
                copies: 1,
            },
        )
        .await
        .expect("watch");
    let buy = SnipeBuy {
        watch_id: watch.id,
        account_id: AccountId::new(42).expect("account"),
        unique_id: 9,
        gift_id: GiftId::new(GIFT).expect("gift"),
        slug: "pepe-9".into(),
        price: Stars::new(2400),
        recipient: Recipient::Buyer,
    };
    app.store
        .plan_resale(user, &buy, app.state.now())
        .await
        .expect("planned")
        .expect("new entry");
    let mine = app
        .get("/api/resale/purchases", &alice)
        .await
        .ok(StatusCode::OK);
    let purchases = mine["purchases"].as_array().expect("purchases");
    assert_eq!(purchases.len(), 1);
    assert_eq!(
        (
            &purchases[0]["slug"],
            &purchases[0]["status"],
            &purchases[0]["price"]
        ),
        (&json!("pepe-9"), &json!("planned"), &json!(2400))
    );
    let watches = app
        .get("/api/resale/watches", &alice)
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        watches["watches"][0]["bought"],
        json!(1),
        "a planned purchase uses a copy"
    );
    let theirs = app
        .get("/api/resale/purchases", &bob)
        .await
        .ok(StatusCode::OK);
    assert_eq!(theirs["purchases"], json!([]));
    for bad in ["0", "501", "-1", "abc"] {
        let response = app
            .get(&format!("/api/resale/purchases?limit={bad}"), &alice)
            .await;
        assert!(
            response.status == StatusCode::UNPROCESSABLE_ENTITY
                || response.status == StatusCode::BAD_REQUEST,
            "{bad}: {}",
            response.status
        );
    }
}

#[tokio::test]
async fn without_the_resale_ports_the_routes_say_so() {
    let app = TestApp::new().await;
    let (alice, _) = app.user("alice").await;
    app.get("/api/resale/watches", &alice)
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    app.get(&format!("/api/resale/listings/{GIFT}"), &alice)
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

#[tokio::test]
async fn listings_come_from_my_account_cheapest_first() {
    let market_config = MarketConfig {
        latency: LatencyConfig::uniform(Latency::ZERO),
        flood: FloodConfig::NONE,
        ..MarketConfig::with_seed(4)
    }
    .listing(ResaleSpec::new(
        GiftId::new(GIFT).expect("gift"),
        2,
        Stars::new(900),
    ))
    .listing(
        ResaleSpec::new(GiftId::new(GIFT).expect("gift"), 1, Stars::new(700))
            .attributes("Cap", "Black", "Moon"),
    );
    let slot = Arc::new(std::sync::Mutex::new(None::<Market>));
    let market_slot = slot.clone();
    let app = TestApp::build_on_clock(config(), move |state, store, clock| {
        let market = Market::new(market_config, clock).expect("market");
        *market_slot.lock().expect("slot") = Some(market.clone());
        state
            .with_login(Arc::new(SimLogin::new(market.clone())))
            .with_connector(Arc::new(SimConnector::new(market, None)))
            .with_resale(Arc::new(store.clone()), Arc::new(store.clone()))
    })
    .await;
    let (alice, _) = app.user("alice").await;
    let path = format!("/api/resale/listings/{GIFT}");
    app.get(&path, &alice)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    add_account(&app, &alice, PHONE).await;
    let page = app.get(&path, &alice).await.ok(StatusCode::OK);
    assert_eq!(page["count"], json!(2));
    let listings = page["listings"].as_array().expect("listings");
    assert_eq!(listings[0]["price"], json!(700));
    assert_eq!(
        (
            &listings[0]["model"],
            &listings[0]["backdrop"],
            &listings[0]["symbol"]
        ),
        (&json!("Cap"), &json!("Black"), &json!("Moon"))
    );
    assert_eq!(listings[1]["price"], json!(900));
    for bad in ["0", "-3", "abc"] {
        app.get(&format!("/api/resale/listings/{bad}"), &alice)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}
