//! Settings and the bot token saved together: both change, or, when the transaction fails
//! half way, neither does.

use giftbuyer_core::ChannelId;
use giftbuyer_core::ports::{
    ChatId, PanelStoreError, Secret, SettingsStore as _, UserId, UserSettings,
};
use giftbuyer_core::report::Lang;
use giftbuyer_store::{Backend, Store};

use crate::support::{TestDb, at, on_every_backend, user};

async fn token(store: &Store, user: UserId) -> Option<String> {
    store
        .bot_token(user)
        .await
        .expect("token")
        .map(|token| token.expose().clone())
}

async fn settings_and_token_save_together(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let settings = UserSettings {
        priority: giftbuyer_core::Priority::ScarcestFirst,
        autobuy: true,
        notification_chats: vec![ChatId::new(5).expect("chat")],
        report_lang: Lang::Ru,
        forced_target: Some(ChannelId::new(-1_001_000_000_001).expect("channel")),
    };
    store
        .save_settings_and_token(
            alice,
            Some(&settings),
            Some(Secret::new("1:a".into())),
            at(1),
        )
        .await
        .expect("both");
    assert_eq!(store.settings(alice).await, Ok(settings.clone()));
    assert_eq!(token(&store, alice).await.as_deref(), Some("1:a"));
    // Without settings only the token changes; `None` removes it.
    store
        .save_settings_and_token(alice, None, Some(Secret::new("1:b".into())), at(2))
        .await
        .expect("token only");
    assert_eq!(store.settings(alice).await, Ok(settings.clone()));
    assert_eq!(token(&store, alice).await.as_deref(), Some("1:b"));
    store
        .save_settings_and_token(alice, None, None, at(3))
        .await
        .expect("removed");
    assert_eq!(token(&store, alice).await, None);
    assert_eq!(store.settings(alice).await, Ok(settings.clone()));
    // Bob's settings were never touched.
    assert_eq!(store.settings(bob).await, Ok(UserSettings::default()));
    assert_eq!(token(&store, bob).await, None);
    // A refused value saves nothing.
    let too_many = UserSettings {
        notification_chats: vec![ChatId::new(1).expect("chat"); 51],
        ..UserSettings::default()
    };
    assert!(matches!(
        store
            .save_settings_and_token(
                alice,
                Some(&too_many),
                Some(Secret::new("1:c".into())),
                at(4)
            )
            .await,
        Err(PanelStoreError::Invalid { .. })
    ));
    assert_eq!(token(&store, alice).await, None);
    let ghost = UserId::new(999_999).expect("id");
    assert_eq!(
        store
            .save_settings_and_token(
                ghost,
                Some(&settings),
                Some(Secret::new("1:d".into())),
                at(5)
            )
            .await,
        Err(PanelStoreError::NotFound { what: "user" })
    );

    // A failure after the token is written (here: the database refuses notification chats)
    // rolls the token back with the settings.
    store
        .save_settings_and_token(alice, None, Some(Secret::new("1:e".into())), at(6))
        .await
        .expect("token");
    let raw = db.raw().await;
    match db.backend {
        Backend::Sqlite => {
            raw.execute(
                "CREATE TRIGGER refuse_chats BEFORE INSERT ON notification_chats \
                 BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .await;
        }
        Backend::Postgres => {
            raw.execute(
                "CREATE FUNCTION refuse_chats() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
            )
            .await;
            raw.execute(
                "CREATE TRIGGER refuse_chats BEFORE INSERT ON notification_chats \
                 FOR EACH ROW EXECUTE FUNCTION refuse_chats()",
            )
            .await;
        }
    }
    let changed = UserSettings {
        autobuy: false,
        notification_chats: vec![ChatId::new(7).expect("chat")],
        ..settings.clone()
    };
    assert!(
        store
            .save_settings_and_token(alice, Some(&changed), None, at(7))
            .await
            .is_err()
    );
    assert_eq!(store.settings(alice).await, Ok(settings));
    assert_eq!(token(&store, alice).await.as_deref(), Some("1:e"));
    raw.close().await;
}

on_every_backend!(settings_and_token_save_together);
