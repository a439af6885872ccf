//! `/api/auctions`: plans added with the core's validation (422 naming the field), one per gift
//! and scoped to their owner, the bidding budget (zero until set, bounded), the bid journal
//! newest first for its owner only, and an auction's live state through my account.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use giftbuyer_core::bidding::AuctionPlanId;
use giftbuyer_core::ports::{
    AuctionPlanStore as _, BidRequest, BidStore as _, EngineStore as _, JournalStatus,
    NewAuctionPlan, PlannedBid, TelegramAccount as _, UserId,
};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, CatalogGift, GiftAuction, GiftId, Stars};
use giftbuyer_sim::{
    AuctionSpec, FloodConfig, GiftSpec, Latency, LatencyConfig, Market, MarketConfig, SimConnector,
    SimLogin,
};
use serde_json::{Value, json};

use crate::accounts::{PHONE, add_account};
use crate::support::{TestApp, config};

/// An auction gift; its id needs more than a double's 53 bits, as real ones do.
const GIFT: i64 = 5_170_145_012_310_081_615;
/// An ordinary limited gift the catalog knows.
const PLAIN: i64 = 5_170_145_012_310_081_777;
const CHANNEL: i64 = -1_001_234_567_890;

async fn app() -> TestApp {
    TestApp::with_ports(|state, store| {
        state.with_auctions(Arc::new(store.clone()), Arc::new(store.clone()))
    })
    .await
}

fn plan(gift_id: Value) -> Value {
    json!({"gift_id": gift_id, "max_bid": 5000, "wanted": 2})
}

async fn put(app: &TestApp, path: &str, cookie: &str, body: Value) -> crate::support::TestResponse {
    app.call(Method::PUT, path, Some(cookie), Some(body)).await
}

/// Records a catalog holding the auction gift and an ordinary one.
async fn seed_catalog(app: &TestApp) {
    let auctioned = CatalogGift {
        id: GIFT,
        price: 1000,
        limited: true,
        supply: Some(100),
        remaining: Some(100),
        auction: Some(GiftAuction {
            slug: "pepe".into(),
            gifts_per_round: 10,
            start_date: 1_764_000_600,
        }),
        ..CatalogGift::default()
    };
    let plain = CatalogGift {
        id: PLAIN,
        price: 50,
        limited: true,
        supply: Some(1000),
        remaining: Some(900),
        ..CatalogGift::default()
    };
    app.store
        .record_catalog(&[auctioned, plain], app.state.now())
        .await
        .expect("catalog");
}

#[tokio::test]
async fn plans_are_added_listed_and_deleted_by_their_owner_only() {
    let app = app().await;
    let (alice, alice_id) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    seed_catalog(&app).await;
    app.post(
        "/api/channels",
        &alice,
        json!({"channel_id": CHANNEL, "title": "Vault"}),
    )
    .await
    .ok(StatusCode::CREATED);
    // The id as a string keeps it exact for JavaScript, and comes back as one.
    let created = app
        .post(
            "/api/auctions/plans",
            &alice,
            json!({"gift_id": GIFT.to_string(), "max_bid": 5000, "to_channel_id": CHANNEL}),
        )
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(created["gift_id"], json!(GIFT.to_string()));
    assert_eq!(
        (
            &created["max_bid"],
            &created["wanted"],
            &created["to_channel_id"]
        ),
        (&json!(5000), &json!(1), &json!(CHANNEL)),
        "wanted defaults to one"
    );
    // One plan per gift: a second would raise the same bid under another maximum.
    app.post("/api/auctions/plans", &alice, plan(json!(GIFT)))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    // Bob may plan for the same gift: plans are per user.
    let bobs = app
        .post("/api/auctions/plans", &bob, plan(json!(GIFT)))
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(
        bobs["to_channel_id"],
        Value::Null,
        "the bidding account itself"
    );
    let listed = app
        .get("/api/auctions/plans", &alice)
        .await
        .ok(StatusCode::OK);
    assert_eq!(listed["plans"], json!([created]));

    let id = created["id"].as_i64().expect("id");
    let path = format!("/api/auctions/plans/{id}");
    app.delete(&path, &bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let user = UserId::new(alice_id).expect("user");
    assert_eq!(
        app.store
            .list_auction_plans(user)
            .await
            .expect("plans")
            .len(),
        1,
        "bob's attempt deleted nothing"
    );
    assert_eq!(
        app.delete(&path, &alice).await.status,
        StatusCode::NO_CONTENT
    );
    app.delete(&path, &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    for bad in ["0", "-1", "abc", "99999999999999999999"] {
        app.delete(&format!("/api/auctions/plans/{bad}"), &alice)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let after = app
        .get("/api/auctions/plans", &alice)
        .await
        .ok(StatusCode::OK);
    assert_eq!(after["plans"], json!([]));
    let theirs = app
        .get("/api/auctions/plans", &bob)
        .await
        .ok(StatusCode::OK);
    assert_eq!(theirs["plans"].as_array().map(Vec::len), Some(1));
    let kinds: Vec<String> = app
        .audit(alice_id)
        .await
        .into_iter()
        .map(|entry| entry.kind)
        .collect();
    assert!(
        kinds.contains(&"auction.plan_added".to_owned()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"auction.plan_deleted".to_owned()),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn bad_plans_are_refused_naming_the_field() {
    let app = app().await;
    let (alice, _) = app.user("alice").await;
    seed_catalog(&app).await;
    let with = |field: &str, value: Value| {
        let mut body = plan(json!(GIFT));
        body[field] = value;
        body
    };
    let cases = [
        (with("gift_id", json!(0)), "gift_id", "must be positive"),
        (with("gift_id", json!("-5")), "gift_id", "must be positive"),
        (
            with("gift_id", json!(PLAIN)),
            "gift_id",
            "is not an auction gift",
        ),
        (with("max_bid", json!(0)), "max_bid", "must be positive"),
        (with("max_bid", json!(-1)), "max_bid", "must be positive"),
        (
            with("max_bid", json!(100_000_001)),
            "max_bid",
            "between 1 and",
        ),
        (with("wanted", json!(0)), "wanted", "between 1 and 10"),
        (with("wanted", json!(11)), "wanted", "between 1 and 10"),
        (with("wanted", json!(-3)), "wanted", "between 1 and 10"),
        (with("to_channel_id", json!(-123)), "to_channel_id", "-123"),
        // A channel id of the right form that is not one of my channels.
        (
            with("to_channel_id", json!(CHANNEL)),
            "to_channel_id",
            "is not one of my channels",
        ),
        (with("to_username", json!("ab")), "to_username", "5 to 32"),
        (
            with("to_username", json!("<script>")),
            "to_username",
            "telegram username",
        ),
        (
            {
                let mut both = with("to_username", json!("gift_friend"));
                both["to_channel_id"] = json!(CHANNEL);
                both
            },
            "to_username",
            "not both",
        ),
    ];
    for (body, field, says) in cases {
        let response = app.post("/api/auctions/plans", &alice, body.clone()).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            response.text()
        );
        let reason = response.assert_invalid(field);
        assert!(reason.contains(says), "{body}: {reason}");
    }
    // Wrong types and unknown fields are refused before anything is looked at.
    for body in [
        json!({"gift_id": GIFT, "max_bid": "lots"}),
        json!({"gift_id": GIFT, "max_bid": 1, "colour": "red"}),
        json!({"gift_id": [1], "max_bid": 1}),
        json!({"max_bid": 1}),
    ] {
        let status = app
            .post("/api/auctions/plans", &alice, body.clone())
            .await
            .status;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{body}: {status}"
        );
    }
    let listed = app
        .get("/api/auctions/plans", &alice)
        .await
        .ok(StatusCode::OK);
    assert_eq!(listed["plans"], json!([]), "nothing was stored");
    // A gift the catalog has not seen yet may be planned: the catalog lags behind Telegram.
    app.post("/api/auctions/plans", &alice, plan(json!(42)))
        .await
        .ok(StatusCode::CREATED);
    // A person by username, as people type it, is kept in lower case without the @.
    let mut to_friend = plan(json!(GIFT));
    to_friend["to_username"] = json!(" @Gift_Friend ");
    let created = app
        .post("/api/auctions/plans", &alice, to_friend)
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(created["to_username"], "gift_friend", "{created}");
    assert_eq!(created["to_channel_id"], Value::Null, "{created}");
}

#[tokio::test]
async fn the_budget_starts_at_zero_and_stays_in_range() {
    let app = app().await;
    let (alice, alice_id) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    assert_eq!(
        app.get("/api/auctions/budget", &alice)
            .await
            .ok(StatusCode::OK),
        json!({"budget": 0}),
        "bidding is off until the user turns it on"
    );
    assert_eq!(
        put(
            &app,
            "/api/auctions/budget",
            &alice,
            json!({"budget": 12_000})
        )
        .await
        .ok(StatusCode::OK),
        json!({"budget": 12_000})
    );
    assert_eq!(
        app.get("/api/auctions/budget", &alice)
            .await
            .ok(StatusCode::OK),
        json!({"budget": 12_000})
    );
    assert_eq!(
        app.get("/api/auctions/budget", &bob)
            .await
            .ok(StatusCode::OK),
        json!({"budget": 0}),
        "one user's budget is not another's"
    );
    for bad in [json!(-1), json!(100_000_001)] {
        put(&app, "/api/auctions/budget", &alice, json!({"budget": bad}))
            .await
            .assert_invalid("budget");
    }
    assert_eq!(
        put(
            &app,
            "/api/auctions/budget",
            &alice,
            json!({"budget": 100_000_000})
        )
        .await
        .ok(StatusCode::OK),
        json!({"budget": 100_000_000}),
        "the bound itself is allowed"
    );
    // Zero turns bidding off again.
    put(&app, "/api/auctions/budget", &alice, json!({"budget": 0}))
        .await
        .ok(StatusCode::OK);
    let user = UserId::new(alice_id).expect("user");
    assert_eq!(
        app.store.bid_budget(user).await.expect("budget"),
        Stars::ZERO
    );
}

fn bid(plan: AuctionPlanId, total: u64, standing: Option<u64>) -> PlannedBid {
    PlannedBid {
        plan_id: plan,
        gift_id: GiftId::new(GIFT).expect("gift"),
        account_id: AccountId::new(42).expect("account"),
        recipient: Recipient::Buyer,
        total: Stars::new(total),
        standing: standing.map(Stars::new),
    }
}

#[tokio::test]
async fn my_bids_show_the_journal_newest_first_and_nobody_elses() {
    let app = app().await;
    let (alice, alice_id) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    let user = UserId::new(alice_id).expect("user");
    let created = app
        .store
        .create_auction_plan(
            user,
            &NewAuctionPlan {
                gift_id: GiftId::new(GIFT).expect("gift"),
                max_bid: Stars::new(5000),
                recipient: Recipient::Buyer,
                wanted: 1,
            },
        )
        .await
        .expect("plan");
    let first = app
        .store
        .plan_bid(user, &bid(created.id, 1000, None), app.state.now())
        .await
        .expect("planned")
        .expect("new entry");
    app.store
        .transition_bid(
            first,
            JournalStatus::Planned,
            JournalStatus::Failed,
            Some("BALANCE_TOO_LOW"),
            app.state.now(),
        )
        .await
        .expect("moved");
    app.clock.advance(Duration::from_secs(5));
    let second = app
        .store
        .plan_bid(user, &bid(created.id, 1500, None), app.state.now())
        .await
        .expect("planned")
        .expect("new entry");
    for (from, to) in [
        (JournalStatus::Planned, JournalStatus::Sending),
        (JournalStatus::Sending, JournalStatus::Bought),
    ] {
        assert!(
            app.store
                .transition_bid(second, from, to, None, app.state.now())
                .await
                .expect("moved")
        );
    }
    let mine = app
        .get("/api/auctions/bids", &alice)
        .await
        .ok(StatusCode::OK);
    let bids = mine["bids"].as_array().expect("bids");
    assert_eq!(bids.len(), 2);
    assert_eq!(
        bids[0],
        json!({
            "id": second.get(), "plan_id": created.id.get(), "gift_id": GIFT.to_string(),
            "account_id": 42, "to_channel_id": null, "to_username": null, "total": 1500,
            "standing": null,
            "status": "bought", "error": null, "updated_at": app.state.now().secs(),
        }),
        "the newest first"
    );
    assert_eq!(
        (&bids[1]["status"], &bids[1]["error"], &bids[1]["total"]),
        (&json!("failed"), &json!("BALANCE_TOO_LOW"), &json!(1000))
    );
    let one = app
        .get("/api/auctions/bids?limit=1", &alice)
        .await
        .ok(StatusCode::OK);
    assert_eq!(one["bids"].as_array().map(Vec::len), Some(1));
    let theirs = app.get("/api/auctions/bids", &bob).await.ok(StatusCode::OK);
    assert_eq!(theirs["bids"], json!([]));
    for bad in ["0", "501", "-1", "abc"] {
        let response = app
            .get(&format!("/api/auctions/bids?limit={bad}"), &alice)
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
async fn without_the_auction_ports_the_routes_say_so() {
    let app = TestApp::new().await;
    let (alice, _) = app.user("alice").await;
    for path in [
        "/api/auctions/plans",
        "/api/auctions/budget",
        "/api/auctions/bids",
    ] {
        app.get(path, &alice)
            .await
            .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    }
    app.post("/api/auctions/plans", &alice, plan(json!(GIFT)))
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    put(&app, "/api/auctions/budget", &alice, json!({"budget": 5}))
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    app.get(&format!("/api/auctions/{GIFT}/state"), &alice)
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

/// An app on a simulated market with the login, the connector and the auction ports.
async fn app_on_market(market_config: MarketConfig) -> (TestApp, Market) {
    let slot = Arc::new(std::sync::Mutex::new(None::<Market>));
    let market_slot = slot.clone();
    let app = TestApp::build_on_clock(config(), move |state, store, clock| {
        let market = Market::new(market_config, clock).expect("market");
        *market_slot.lock().expect("slot") = Some(market.clone());
        state
            .with_login(Arc::new(SimLogin::new(market.clone())))
            .with_connector(Arc::new(SimConnector::new(market, None)))
            .with_auctions(Arc::new(store.clone()), Arc::new(store.clone()))
    })
    .await;
    let market = slot.lock().expect("slot").take().expect("market");
    (app, market)
}

fn quiet_market() -> MarketConfig {
    MarketConfig {
        latency: LatencyConfig::uniform(Latency::ZERO),
        flood: FloodConfig::NONE,
        ..MarketConfig::with_seed(4)
    }
}

#[tokio::test]
async fn the_state_of_a_gift_without_an_auction_is_not_found_and_needs_an_account() {
    let (app, _market) = app_on_market(quiet_market()).await;
    let (alice, _) = app.user("alice").await;
    let path = format!("/api/auctions/{GIFT}/state");
    app.get(&path, &alice)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    add_account(&app, &alice, PHONE).await;
    // The market auctions nothing, so Telegram's STARGIFT_INVALID comes back as a 404.
    app.get(&path, &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    for bad in ["0", "-3", "abc"] {
        app.get(&format!("/api/auctions/{bad}/state"), &alice)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn the_state_of_a_running_auction_shows_its_round_levels_and_my_bid_then_its_end() {
    // Two rounds of a minute, two gifts each, from now on.
    let gift = GiftSpec::limited(GiftId::new(GIFT).expect("gift"), Stars::new(500), 4).auctioned(
        AuctionSpec::new(2, Duration::ZERO)
            .rounds(2, Duration::from_secs(60))
            .min_bid(Stars::new(100)),
    );
    let (app, market) = app_on_market(quiet_market().gift(gift)).await;
    let (alice, _) = app.user("alice").await;
    let account = add_account(&app, &alice, PHONE).await;
    let account_id =
        AccountId::new(account["telegram_id"].as_i64().expect("telegram id")).expect("account");
    let path = format!("/api/auctions/{GIFT}/state");
    let fresh = app.get(&path, &alice).await.ok(StatusCode::OK);
    assert_eq!(
        (
            &fresh["status"],
            &fresh["current_round"],
            &fresh["total_rounds"],
            &fresh["gifts_left"],
            &fresh["gifts_per_round"],
            &fresh["min_bid"],
        ),
        (
            &json!("running"),
            &json!(1),
            &json!(2),
            &json!(4),
            &json!(2),
            &json!(100)
        )
    );
    assert_eq!(fresh["levels"], json!([]));
    assert_eq!(fresh["account_id"], json!(account_id.get()));
    assert_eq!(
        fresh["my"],
        json!({"bid": null, "min_bid": null, "returned": false, "acquired": 0, "position": null})
    );
    assert!(
        fresh["next_round_at"].as_i64() > fresh["start_date"].as_i64(),
        "{fresh}"
    );

    // A bid of mine shows in the levels and as my standing bid, at the top.
    market
        .account(account_id)
        .expect("sim account")
        .place_bid(BidRequest {
            gift_id: GiftId::new(GIFT).expect("gift"),
            recipient: Recipient::Buyer,
            total: Stars::new(300),
            standing: None,
        })
        .await
        .expect("bid placed");
    let bidding = app.get(&path, &alice).await.ok(StatusCode::OK);
    assert_eq!(bidding["levels"], json!([{"pos": 1, "amount": 300}]));
    assert_eq!(
        (
            &bidding["my"]["bid"],
            &bidding["my"]["position"],
            &bidding["my"]["returned"]
        ),
        (&json!(300), &json!(1), &json!(false))
    );

    // After both rounds the auction is over, and my bid won a gift in the first.
    app.clock.advance(Duration::from_secs(125));
    let over = app.get(&path, &alice).await.ok(StatusCode::OK);
    assert_eq!(over["status"], json!("finished"), "{over}");
    assert_eq!(
        (&over["current_round"], &over["levels"]),
        (&Value::Null, &json!([]))
    );
    assert_eq!(over["my"]["acquired"], json!(1), "{over}");
}

#[tokio::test]
async fn the_state_is_read_through_the_account_that_bids_in_the_auction() {
    let gift = GiftSpec::limited(GiftId::new(GIFT).expect("gift"), Stars::new(500), 4)
        .auctioned(AuctionSpec::new(2, Duration::ZERO).rounds(2, Duration::from_secs(60)));
    let (app, _market) = app_on_market(quiet_market().gift(gift)).await;
    let (alice, alice_id) = app.user("alice").await;
    let first = add_account(&app, &alice, PHONE).await;
    let second = add_account(&app, &alice, "+15557654321").await;
    let telegram_id = |account: &Value| account["telegram_id"].as_i64().expect("telegram id");
    let path = format!("/api/auctions/{GIFT}/state");
    let before = app.get(&path, &alice).await.ok(StatusCode::OK);
    assert_eq!(
        before["account_id"],
        json!(telegram_id(&first)),
        "my first account"
    );

    // Once the second account bid in this auction, its own bid is the one to show.
    let user = UserId::new(alice_id).expect("user");
    let created = app
        .store
        .create_auction_plan(
            user,
            &NewAuctionPlan {
                gift_id: GiftId::new(GIFT).expect("gift"),
                max_bid: Stars::new(5000),
                recipient: Recipient::Buyer,
                wanted: 1,
            },
        )
        .await
        .expect("plan");
    let planned = PlannedBid {
        account_id: AccountId::new(telegram_id(&second)).expect("account"),
        ..bid(created.id, 200, None)
    };
    app.store
        .plan_bid(user, &planned, app.state.now())
        .await
        .expect("planned")
        .expect("new entry");
    let after = app.get(&path, &alice).await.ok(StatusCode::OK);
    assert_eq!(after["account_id"], json!(telegram_id(&second)));
}
