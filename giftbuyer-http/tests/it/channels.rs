//! `/api/channels`: CRUD with PATCH semantics, validation through the core's rules, duplicates
//! and the ranking preview.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

pub(crate) const CHANNEL: i64 = -1_001_234_567_890;
const OTHER: i64 = -1_009_876_543_210;

async fn create(app: &TestApp, cookie: &str, body: Value) -> Value {
    app.post("/api/channels", cookie, body)
        .await
        .ok(StatusCode::CREATED)
}

#[tokio::test]
async fn create_list_change_and_delete_a_channel() {
    let app = TestApp::new().await;
    let (cookie, user) = app.user("alice").await;
    assert_eq!(
        app.get("/api/channels", &cookie).await.ok(StatusCode::OK),
        json!({"channels": []})
    );
    let created = create(
        &app,
        &cookie,
        json!({"channel_id": CHANNEL, "title": " Gifts ", "price_min": 100, "price_max": 5000,
               "supply_max": 10000}),
    )
    .await;
    let id = created["id"].as_i64().expect("id");
    assert_eq!(
        created,
        json!({"id": id, "kind": "channel", "channel_id": CHANNEL, "username": null,
               "title": "Gifts", "price_min": 100, "price_max": 5000, "supply_min": null,
               "supply_max": 10000, "exclude": {"gift_ids": [], "kinds": []}})
    );
    assert_eq!(
        app.get("/api/channels", &cookie).await.json(),
        json!({"channels": [created]})
    );

    // Absent fields keep their values, null clears a bound or the title.
    let path = format!("/api/channels/{id}");
    let changed = app
        .patch(&path, &cookie, json!({"price_max": null, "supply_min": 10}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        changed,
        json!({"id": id, "kind": "channel", "channel_id": CHANNEL, "username": null,
               "title": "Gifts", "price_min": 100, "price_max": null, "supply_min": 10,
               "supply_max": 10000, "exclude": {"gift_ids": [], "kinds": []}})
    );
    let renamed = app
        .patch(&path, &cookie, json!({"title": null, "channel_id": OTHER}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(renamed["title"], Value::Null);
    assert_eq!(renamed["channel_id"], OTHER);
    assert_eq!(renamed["price_min"], 100);
    let empty_patch = app
        .patch(&path, &cookie, json!({}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(empty_patch, renamed);
    assert_eq!(
        app.get("/api/channels", &cookie).await.json()["channels"][0],
        renamed
    );

    app.delete(&path, &cookie).await.ok(StatusCode::NO_CONTENT);
    app.delete(&path, &cookie)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.patch(&path, &cookie, json!({"title": "x"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let kinds: Vec<_> = app
        .audit(user)
        .await
        .into_iter()
        .map(|entry| entry.kind)
        .collect();
    assert_eq!(
        kinds[..4],
        [
            "channel.deleted",
            "channel.changed",
            "channel.changed",
            "channel.added"
        ],
        "an empty PATCH changes nothing and is not audited: {kinds:?}"
    );
}

#[tokio::test]
async fn invalid_fields_are_named() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let cases = [
        (json!({"channel_id": -1}), "channel_id"),
        (json!({"channel_id": 1_234_567_890}), "channel_id"),
        (json!({"channel_id": -1_234_567_890}), "channel_id"),
        (json!({"channel_id": "x"}), "channel_id"),
        (json!({"username": "x"}), "username"),
        (json!({"username": "@1abcde"}), "username"),
        (json!({"username": "bad name"}), "username"),
        (json!({"username": 5}), "username"),
        (
            json!({"channel_id": CHANNEL, "username": "gift_friend"}),
            "username",
        ),
        (json!({"channel_id": CHANNEL, "price_min": -1}), "price_min"),
        (json!({"channel_id": CHANNEL, "price_max": -1}), "price_max"),
        (
            json!({"channel_id": CHANNEL, "supply_min": -5}),
            "supply_min",
        ),
        (
            json!({"channel_id": CHANNEL, "supply_max": -5}),
            "supply_max",
        ),
        (
            json!({"channel_id": CHANNEL, "price_min": 10, "price_max": 5}),
            "price_min",
        ),
        (
            json!({"channel_id": CHANNEL, "supply_min": 10, "supply_max": 5}),
            "supply_min",
        ),
        (
            json!({"channel_id": CHANNEL, "title": "x".repeat(129)}),
            "title",
        ),
        (json!({"channel_id": CHANNEL, "title": "a\u{7}b"}), "title"),
        (json!({"channel_id": CHANNEL, "price": 5}), "price"),
    ];
    for (body, field) in cases {
        let response = app.post("/api/channels", &cookie, body).await;
        response.assert_invalid(field);
    }
    let message = app
        .post("/api/channels", &cookie, json!({"channel_id": -1}))
        .await
        .assert_invalid("channel_id");
    assert!(message.contains("-100"), "{message}");
    let message = app
        .post(
            "/api/channels",
            &cookie,
            json!({"channel_id": CHANNEL, "price_min": 10, "price_max": 5}),
        )
        .await
        .assert_invalid("price_min");
    assert!(message.contains("price minimum 10"), "{message}");
    create(
        &app,
        &cookie,
        json!({"channel_id": CHANNEL, "title": "я".repeat(128), "price_min": 5, "price_max": 5}),
    )
    .await;
    assert_eq!(
        app.get("/api/channels", &cookie).await.json()["channels"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn a_patch_is_checked_against_the_values_it_keeps() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let created = create(
        &app,
        &cookie,
        json!({"channel_id": CHANNEL, "price_min": 10, "price_max": 100}),
    )
    .await;
    let path = format!("/api/channels/{}", created["id"]);
    app.patch(&path, &cookie, json!({"price_min": 500}))
        .await
        .assert_invalid("price_min");
    app.patch(&path, &cookie, json!({"price_max": 5}))
        .await
        .assert_invalid("price_min");
    app.patch(&path, &cookie, json!({"username": "no"}))
        .await
        .assert_invalid("username");
    app.patch(
        &path,
        &cookie,
        json!({"channel_id": CHANNEL, "username": "gift_friend"}),
    )
    .await
    .assert_invalid("username");
    app.patch(&path, &cookie, json!({"channel_id": 42}))
        .await
        .assert_invalid("channel_id");
    app.patch(&path, &cookie, json!({"supply_max": -1}))
        .await
        .assert_invalid("supply_max");
    app.patch(&path, &cookie, json!({"title": "\u{1b}[2J"}))
        .await
        .assert_invalid("title");
    app.patch(&path, &cookie, json!({"colour": "red"}))
        .await
        .assert_invalid("colour");
    assert_eq!(
        app.get("/api/channels", &cookie).await.json()["channels"][0],
        created,
        "refused patches change nothing"
    );
    // Raising the maximum first makes the same minimum valid.
    app.patch(&path, &cookie, json!({"price_min": 500, "price_max": 1000}))
        .await
        .ok(StatusCode::OK);
}

#[tokio::test]
async fn the_same_channel_twice_is_a_conflict() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    create(&app, &cookie, json!({"channel_id": CHANNEL})).await;
    let second = create(&app, &cookie, json!({"channel_id": OTHER})).await;
    app.post("/api/channels", &cookie, json!({"channel_id": CHANNEL}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    app.patch(
        &format!("/api/channels/{}", second["id"]),
        &cookie,
        json!({"channel_id": CHANNEL}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");

    // Another user may list the same channel.
    let (bob, _) = app.user("bob").await;
    create(&app, &bob, json!({"channel_id": CHANNEL})).await;
}

#[tokio::test]
async fn the_preview_ranks_matching_channels_as_the_engine_does() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let preview = |price: i64, supply: i64| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            app.post(
                "/api/channels/preview",
                &cookie,
                json!({"price": price, "supply": supply}),
            )
            .await
            .ok(StatusCode::OK)
        }
    };
    assert_eq!(
        preview(100, 1000).await,
        json!({"best": null, "matching": [], "forced_target": null})
    );

    let wide = create(&app, &cookie, json!({"channel_id": CHANNEL})).await;
    let narrow = create(
        &app,
        &cookie,
        json!({"channel_id": OTHER, "supply_max": 5000, "price_max": 1000}),
    )
    .await;
    let cheap = create(
        &app,
        &cookie,
        json!({"channel_id": -1_005_555_555_555_i64, "price_max": 50}),
    )
    .await;

    // The narrowest supply window wins; every match follows, best first.
    assert_eq!(
        preview(100, 1000).await,
        json!({"best": narrow, "matching": [narrow, wide], "forced_target": null})
    );
    // Too dear for the narrow and the cheap channel: only the wide one takes it.
    assert_eq!(
        preview(2000, 1000).await,
        json!({"best": wide, "matching": [wide], "forced_target": null})
    );
    assert_eq!(
        preview(10, 100_000).await["matching"],
        json!([cheap, wide]),
        "a higher price maximum ranks first among equal supply windows, an open one last"
    );

    app.patch("/api/settings", &cookie, json!({"forced_target": OTHER}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(preview(2000, 1000).await["forced_target"], OTHER);

    for (body, field) in [
        (json!({"price": 1, "supply": 1, "gift_id": 0}), "gift_id"),
        (json!({"price": 1, "supply": 1, "gift_id": "x"}), "gift_id"),
        (
            json!({"price": 1, "supply": 1, "kinds": ["plush"]}),
            "kinds[0]",
        ),
        (json!({"price": -1, "supply": 5}), "price"),
        (json!({"price": 1}), "supply"),
        (json!({"price": 1, "supply": 1.5}), "supply"),
        (json!({"price": 1, "supply": 1, "x": 1}), "x"),
    ] {
        app.post("/api/channels/preview", &cookie, body)
            .await
            .assert_invalid(field);
    }
}

#[tokio::test]
async fn every_channel_route_needs_a_session_and_a_valid_id() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    for (method, path) in [
        (Method::GET, "/api/channels"),
        (Method::POST, "/api/channels"),
        (Method::POST, "/api/channels/preview"),
        (Method::PATCH, "/api/channels/1"),
        (Method::DELETE, "/api/channels/1"),
    ] {
        app.call(method, path, None, Some(json!({"channel_id": CHANNEL})))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    for id in ["0", "-1", "abc", "1.5"] {
        app.delete(&format!("/api/channels/{id}"), &cookie)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.patch(&format!("/api/channels/{id}"), &cookie, json!({}))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
}

/// A gift id beyond 2^53, as real gift ids are: it must come back exactly.
const BIG_GIFT: i64 = 5_170_145_012_310_081_615;

#[tokio::test]
async fn exclude_lists_are_created_changed_and_cleared() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    // Ids may be integers or decimal strings (the panel sends big ids as strings); duplicates
    // are dropped and the list comes back sorted.
    let created = create(
        &app,
        &cookie,
        json!({"channel_id": CHANNEL, "exclude": {"gift_ids": [BIG_GIFT, "7", 7],
               "kinds": ["birthday", "birthday"]}}),
    )
    .await;
    assert_eq!(
        created["exclude"],
        json!({"gift_ids": [7, BIG_GIFT], "kinds": ["birthday"]})
    );
    assert_eq!(
        app.get("/api/channels", &cookie).await.json()["channels"][0]["exclude"],
        created["exclude"]
    );

    let path = format!("/api/channels/{}", created["id"]);
    let kept = app
        .patch(&path, &cookie, json!({"price_max": 100}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        kept["exclude"], created["exclude"],
        "an absent list is kept"
    );
    let replaced = app
        .patch(
            &path,
            &cookie,
            json!({"exclude": {"kinds": ["premium_only", "birthday"]}}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        replaced["exclude"],
        json!({"gift_ids": [], "kinds": ["birthday", "premium_only"]}),
        "a list replaces the whole list"
    );
    let cleared = app
        .patch(&path, &cookie, json!({"exclude": null}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(cleared["exclude"], json!({"gift_ids": [], "kinds": []}));
    assert_eq!(
        app.get("/api/channels", &cookie).await.json()["channels"][0],
        cleared
    );
}

#[tokio::test]
async fn hostile_exclude_lists_are_refused_by_name() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let with = |exclude: Value| json!({"channel_id": CHANNEL, "exclude": exclude});
    let too_many: Vec<i64> = (1..=1001).collect();
    let cases = [
        (with(json!({"gift_ids": [5, -3]})), "exclude.gift_ids", "-3"),
        (
            with(json!({"gift_ids": [0]})),
            "exclude.gift_ids",
            "positive",
        ),
        (
            with(json!({"gift_ids": too_many})),
            "exclude.gift_ids",
            "1000",
        ),
        (
            with(json!({"kinds": ["plush"]})),
            "exclude.kinds[0]",
            "plush",
        ),
        (
            with(json!({"gift_ids": "7"})),
            "exclude.gift_ids",
            "sequence",
        ),
        (
            with(json!({"gift_ids": [true]})),
            "exclude.gift_ids[0]",
            "gift id",
        ),
        (
            with(json!({"gift_ids": ["7x"]})),
            "exclude.gift_ids[0]",
            "7x",
        ),
        (
            with(json!({"gift_ids": [18_446_744_073_709_551_615_u64]})),
            "exclude.gift_ids[0]",
            "gift id",
        ),
        (
            with(json!({"kinds": [1]})),
            "exclude.kinds[0]",
            "invalid type",
        ),
        (
            with(json!({"kinds": "birthday"})),
            "exclude.kinds",
            "sequence",
        ),
        (with(json!({"ids": [1]})), "exclude.ids", "unknown field"),
        // serde reads a struct from an array of its fields, so the first one is at fault.
        (with(json!([1, 2])), "exclude[0]", "invalid type"),
    ];
    for (body, field, needle) in cases {
        let response = app.post("/api/channels", &cookie, body.clone()).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = response.assert_invalid(field);
        assert!(message.contains(needle), "{body}: {message}");
    }
    // A thousand distinct ids fit, and so does a longer list that repeats some.
    let thousand: Vec<i64> = (1..=1000).chain([1, 2]).collect();
    let created = create(&app, &cookie, with(json!({"gift_ids": thousand}))).await;
    assert_eq!(
        created["exclude"]["gift_ids"].as_array().map(Vec::len),
        Some(1000)
    );

    // A PATCH is refused the same way, and changes nothing.
    let path = format!("/api/channels/{}", created["id"]);
    for (body, field) in [
        (json!({"exclude": {"gift_ids": [-1]}}), "exclude.gift_ids"),
        (
            json!({"exclude": {"kinds": ["birthday", "auction"]}}),
            "exclude.kinds[1]",
        ),
        (json!({"exclude": 5}), "exclude"),
    ] {
        app.patch(&path, &cookie, body).await.assert_invalid(field);
    }
    assert_eq!(
        app.get("/api/channels", &cookie).await.json()["channels"][0],
        created
    );
}

#[tokio::test]
async fn the_preview_leaves_out_channels_that_exclude_the_gift() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let wide = create(&app, &cookie, json!({"channel_id": CHANNEL})).await;
    let narrow = create(
        &app,
        &cookie,
        json!({"channel_id": OTHER, "supply_max": 5000,
               "exclude": {"gift_ids": [BIG_GIFT], "kinds": ["birthday"]}}),
    )
    .await;
    let preview = |extra: Value| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            let mut body = json!({"price": 100, "supply": 1000});
            for (key, value) in extra.as_object().expect("object") {
                body[key] = value.clone();
            }
            app.post("/api/channels/preview", &cookie, body)
                .await
                .ok(StatusCode::OK)
        }
    };
    // Without an id or kinds, both channels accept it and the narrow one is best.
    assert_eq!(preview(json!({})).await["matching"], json!([narrow, wide]));
    for extra in [
        json!({"gift_id": BIG_GIFT.to_string()}),
        json!({"gift_id": BIG_GIFT}),
        json!({"kinds": ["birthday"]}),
        json!({"gift_id": 5, "kinds": ["premium_only", "birthday"]}),
    ] {
        let answer = preview(extra.clone()).await;
        assert_eq!(answer["best"], wide, "{extra}");
        assert_eq!(answer["matching"], json!([wide]), "{extra}");
    }
    assert_eq!(
        preview(json!({"gift_id": 5, "kinds": ["premium_only"]})).await["best"],
        narrow
    );
}

#[tokio::test]
async fn the_account_itself_and_a_person_are_targets_like_a_channel() {
    let app = TestApp::new().await;
    let (cookie, _) = app.user("alice").await;
    let (other_cookie, _) = app.user("bob").await;
    let me = create(
        &app,
        &cookie,
        json!({"title": "My profile", "supply_max": 5000}),
    )
    .await;
    assert_eq!(
        (&me["kind"], &me["channel_id"], &me["username"]),
        (&json!("self"), &Value::Null, &Value::Null)
    );
    let friend = create(
        &app,
        &cookie,
        json!({"username": "@Gift_Friend", "price_max": 900}),
    )
    .await;
    assert_eq!(
        (&friend["kind"], &friend["channel_id"], &friend["username"]),
        (&json!("user"), &Value::Null, &json!("gift_friend"))
    );
    // One target per recipient: a second self target, or the same person written otherwise,
    // is a conflict; another user has a list of their own.
    for body in [json!({}), json!({"username": "GIFT_FRIEND"})] {
        app.post("/api/channels", &cookie, body)
            .await
            .assert_error(StatusCode::CONFLICT, "conflict");
    }
    create(&app, &other_cookie, json!({"username": "gift_friend"})).await;

    // The recipient changes only when named: a person becomes a channel, then the channel
    // becomes the account itself once the self target is gone.
    let path = format!("/api/channels/{}", friend["id"]);
    let kept = app
        .patch(&path, &cookie, json!({"price_max": 800}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        (&kept["username"], &kept["price_max"]),
        (&json!("gift_friend"), &json!(800))
    );
    let moved = app
        .patch(&path, &cookie, json!({"channel_id": CHANNEL}))
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        (&moved["kind"], &moved["channel_id"], &moved["username"]),
        (&json!("channel"), &json!(CHANNEL), &Value::Null)
    );
    app.patch(&path, &cookie, json!({"channel_id": null}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    app.delete(&format!("/api/channels/{}", me["id"]), &cookie)
        .await
        .ok(StatusCode::NO_CONTENT);
    let now_me = app
        .patch(
            &path,
            &cookie,
            json!({"channel_id": null, "username": null}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(now_me["kind"], "self");

    // Only a channel has a membership to check.
    app.post(&format!("{path}/check"), &cookie, json!({}))
        .await
        .assert_invalid("id");

    // The preview ranks every kind by the same rules.
    let person = create(
        &app,
        &cookie,
        json!({"username": "durov_fan", "supply_max": 100}),
    )
    .await;
    let preview = app
        .post(
            "/api/channels/preview",
            &cookie,
            json!({"price": 10, "supply": 50}),
        )
        .await
        .ok(StatusCode::OK);
    assert_eq!(preview["best"]["id"], person["id"]);
    assert_eq!(preview["matching"][1]["kind"], "self");
}
