//! Target exclude lists and the planner's priority setting: saved and read back on each
//! backend, through the panel's reads and the engine's, and rows written before migration 4
//! read as an empty list and the default order.

use giftbuyer_core::ports::{
    EngineStore as _, NewTarget, SettingsStore as _, TargetStore as _, UserSettings,
};
use giftbuyer_core::{Bounds, ChannelId, ExcludeList, GiftKind, Priority, Recipient, TargetFilter};

use crate::support::{TestDb, at, on_every_backend, user};

/// A gift id beyond 2^53, as real Telegram gift ids are, so that no step rounds it.
const BIG_GIFT: i64 = 5_170_145_012_310_081_615;

async fn exclude_lists_and_priority_round_trip(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let exclude = ExcludeList::new([BIG_GIFT, 7, 7], [GiftKind::Birthday]).expect("valid");
    let row = store
        .add_target(
            alice,
            NewTarget {
                recipient: Recipient::Channel(ChannelId::new(-1_001_000_000_001).expect("channel")),
                title: None,
                filter: TargetFilter {
                    price: Bounds::UNBOUNDED,
                    supply: Bounds::new(None, Some(5000), "supply").expect("bounds"),
                },
                exclude: exclude.clone(),
            },
            at(1),
        )
        .await
        .expect("add");
    let mut listed = store.targets(alice).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].row_id, row);
    assert_eq!(listed[0].exclude, exclude);

    listed[0].exclude =
        ExcludeList::new([9], [GiftKind::PremiumOnly, GiftKind::Birthday]).expect("valid");
    store
        .update_target(alice, &listed[0])
        .await
        .expect("update");
    assert_eq!(store.targets(alice).await.expect("list"), listed);

    let settings = UserSettings {
        priority: Priority::PriciestFirst,
        autobuy: true,
        ..UserSettings::default()
    };
    store
        .save_settings_and_token(alice, Some(&settings), None, at(2))
        .await
        .expect("save");
    assert_eq!(store.settings(alice).await, Ok(settings.clone()));

    // The engine reads both through its own query.
    let users = store.users().await.expect("users");
    let config = users
        .iter()
        .find(|config| config.user_id == alice)
        .expect("alice");
    assert_eq!(config.settings.priority, Priority::PriciestFirst);
    assert_eq!(config.targets, listed);

    // Emptying a list stores it empty, not as a list of one blank entry.
    listed[0].exclude = ExcludeList::EMPTY;
    store
        .update_target(alice, &listed[0])
        .await
        .expect("update");
    assert_eq!(
        store.targets(alice).await.expect("list")[0].exclude,
        ExcludeList::EMPTY
    );
}

async fn rows_from_before_the_migration_read_as_defaults(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    // Written as the code before migration 4 wrote them, without the new columns.
    let raw = db.raw().await;
    raw.execute(&format!(
        "INSERT INTO channels (user_id, channel_id, title, price_min, price_max, supply_min, \
         supply_max, created_at) VALUES ({}, -1001000000002, NULL, NULL, 100, NULL, NULL, 5)",
        alice.get()
    ))
    .await;
    raw.execute(&format!(
        "INSERT INTO user_settings (user_id, autobuy, report_lang, forced_target, updated_at) \
         VALUES ({}, {}, 'ru', NULL, 5)",
        alice.get(),
        match db.backend {
            giftbuyer_store::Backend::Sqlite => "1",
            giftbuyer_store::Backend::Postgres => "TRUE",
        }
    ))
    .await;
    raw.close().await;
    let channels = store.targets(alice).await.expect("list");
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].exclude, ExcludeList::EMPTY);
    assert_eq!(channels[0].filter.price.max(), Some(100));
    let settings = store.settings(alice).await.expect("settings");
    assert!(settings.autobuy);
    assert_eq!(settings.priority, Priority::ScarcestFirst);
}

async fn an_unreadable_stored_list_is_an_error_not_a_panic(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let raw = db.raw().await;
    raw.execute(&format!(
        "INSERT INTO channels (user_id, channel_id, created_at, exclude_gift_ids, exclude_kinds) \
         VALUES ({}, -1001000000003, 5, '1,x', 'plush')",
        alice.get()
    ))
    .await;
    raw.close().await;
    let error = store.targets(alice).await.expect_err("corrupt");
    assert!(error.to_string().contains("exclude"), "{error}");
}

on_every_backend!(
    exclude_lists_and_priority_round_trip,
    rows_from_before_the_migration_read_as_defaults,
    an_unreadable_stored_list_is_an_error_not_a_panic,
);
