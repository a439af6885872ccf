//! The panel's stores one by one: users and lockout, web sessions, API profiles, channels,
//! settings, run history, and the users the engine loads from them.

use std::time::Duration;

use giftbuyer_core::ports::{
    AccountStore as _, ApiProfileId, ApiProfileStore as _, ChatId, EngineStore as _,
    HistoryStore as _, JournalKey, JournalStatus, LockoutPolicy, MtprotoSession, NewAccount,
    NewApiProfile, NewTarget, NewWebSession, PanelStoreError, Profile, Secret, SessionVault as _,
    SettingsStore as _, TargetStore as _, UserId, UserSettings, UserStore as _, Username,
    WebSessionStore as _,
};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{
    Account, AccountId, Bounds, ChannelId, Recipient, Stars, TargetFilter, ValueError,
};
use giftbuyer_store::hash_session_token;

use crate::support::{TestDb, at, on_every_backend, operation, user};

async fn users_lock_out_after_repeated_failures(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "Alice").await;
    let name = Username::new("ALICE").expect("name");
    assert_eq!(
        store.create_user(&name, "hash", at(1)).await,
        Err(PanelStoreError::Conflict { what: "user" }),
        "names are case-insensitive"
    );
    let record = store
        .user_by_name(&name)
        .await
        .expect("read")
        .expect("some");
    assert_eq!((record.id, record.username.as_str()), (alice, "alice"));
    assert!(
        !format!("{record:?}").contains("argon2id"),
        "hash hidden from Debug"
    );

    let policy = LockoutPolicy {
        max_failures: 3,
        lock_for: Duration::from_secs(60),
    };
    for expected in 1..=2 {
        let failure = store
            .record_login_failure(alice, policy, at(100))
            .await
            .expect("fail");
        assert_eq!(
            (failure.failed_logins, failure.locked_until),
            (expected, None)
        );
    }
    let failure = store
        .record_login_failure(alice, policy, at(100))
        .await
        .expect("fail");
    assert_eq!(
        (failure.failed_logins, failure.locked_until),
        (3, Some(at(160)))
    );
    let record = store.user(alice).await.expect("read").expect("some");
    assert!(record.is_locked(at(159)) && !record.is_locked(at(160)));
    store
        .record_login_success(alice, at(200))
        .await
        .expect("success");
    let record = store.user(alice).await.expect("read").expect("some");
    assert_eq!(
        (
            record.failed_logins,
            record.locked_until,
            record.last_login_at
        ),
        (0, None, Some(at(200)))
    );
    store
        .set_password_hash(alice, "$argon2id$new")
        .await
        .expect("rehash");
    let record = store.user(alice).await.expect("read").expect("some");
    assert_eq!(record.password_hash.expose(), "$argon2id$new");

    let ghost = UserId::new(999_999).expect("id");
    let missing = Err(PanelStoreError::NotFound { what: "user" });
    assert_eq!(store.record_login_success(ghost, at(1)).await, missing);
    assert_eq!(store.set_password_hash(ghost, "h").await, missing);
    assert_eq!(
        store
            .record_login_failure(ghost, policy, at(1))
            .await
            .map(|_| ()),
        missing
    );
    assert!(matches!(
        store.set_password_hash(alice, "nul\0").await,
        Err(PanelStoreError::Invalid {
            field: "password hash",
            ..
        })
    ));
    assert_eq!(
        Username::new("a b"),
        Err(ValueError::Username("a b".into()))
    );
}

async fn web_sessions_expire_and_revoke(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let new = |token: &str, expires| NewWebSession {
        token_hash: hash_session_token(token),
        expires_at: at(expires),
        user_agent: Some("Firefox".into()),
        ip: Some("203.0.113.7".into()),
    };
    let first = store
        .create_session(alice, new("t1", 1_000), at(10))
        .await
        .expect("s1");
    let second = store
        .create_session(alice, new("t2", 50), at(20))
        .await
        .expect("s2");
    let third = store
        .create_session(alice, new("t3", 2_000), at(30))
        .await
        .expect("s3");
    assert_eq!(
        store.create_session(alice, new("t1", 5), at(40)).await,
        Err(PanelStoreError::Conflict {
            what: "session token"
        })
    );
    let found = store
        .session_by_token(hash_session_token("t1"), at(500))
        .await
        .expect("lookup")
        .expect("some");
    assert_eq!(
        (found.id, found.user_id, found.ip.as_deref()),
        (first, alice, Some("203.0.113.7"))
    );
    assert_eq!(
        store
            .session_by_token(hash_session_token("t2"), at(50))
            .await,
        Ok(None)
    );
    assert_eq!(
        store
            .session_by_token(hash_session_token("nope"), at(0))
            .await,
        Ok(None)
    );
    let listed: Vec<_> = store
        .sessions(alice, at(60))
        .await
        .expect("list")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, vec![third, first], "newest first, expired left out");
    assert_eq!(store.purge_expired_sessions(at(60)).await, Ok(1));
    assert_eq!(store.revoke_sessions(alice, Some(third)).await, Ok(1));
    assert_eq!(store.revoke_session(alice, third).await, Ok(true));
    assert_eq!(store.revoke_session(alice, third).await, Ok(false));
    let _ = second;
}

async fn profiles_accounts_and_channels(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let profile = NewApiProfile {
        name: "main".into(),
        api_id: 42,
        api_hash: Secret::new("0123456789abcdef".into()),
    };
    let profile_id = store
        .create_api_profile(alice, profile.clone(), at(1))
        .await
        .expect("profile");
    assert_eq!(
        store
            .create_api_profile(alice, profile.clone(), at(1))
            .await,
        Err(PanelStoreError::Conflict {
            what: "api profile"
        })
    );
    assert!(matches!(
        store
            .create_api_profile(
                alice,
                NewApiProfile {
                    api_id: 0,
                    ..profile
                },
                at(1)
            )
            .await,
        Err(PanelStoreError::Invalid {
            field: "api id",
            ..
        })
    ));
    let account = store
        .create_account(
            alice,
            NewAccount {
                phone: Secret::new("+15551234567".into()),
                api_profile: Some(profile_id),
            },
            at(2),
        )
        .await
        .expect("account");
    assert_eq!(
        store.delete_api_profile(alice, profile_id).await,
        Err(PanelStoreError::InUse {
            what: "api profile"
        })
    );
    let record = store
        .account(alice, account)
        .await
        .expect("read")
        .expect("some");
    assert_eq!(
        (record.telegram_id, record.logged_in, record.balance),
        (None, false, None)
    );
    assert_eq!(record.api_profile, Some(profile_id));

    let telegram = AccountId::new(8001).expect("id");
    store
        .record_account_login(
            alice,
            account,
            &Profile {
                account_id: telegram,
                username: Some("alice_tg".into()),
                first_name: Some("Alice".into()),
                premium: false,
                premium_until: None,
            },
            at(3),
        )
        .await
        .expect("login");
    store
        .save_session(
            alice,
            account,
            &MtprotoSession {
                home_dc: 4,
                data: Secret::new(vec![0, 1, 2, 255]),
            },
            at(4),
        )
        .await
        .expect("session");
    store
        .save_account_state(
            Account {
                id: telegram,
                balance: Stars::new(1500),
                premium: true,
            },
            at(5),
        )
        .await
        .expect("state");
    let record = store
        .account_by_telegram_id(alice, telegram)
        .await
        .expect("read")
        .expect("some");
    assert_eq!(
        (
            record.logged_in,
            record.balance,
            record.balance_at,
            record.premium
        ),
        (true, Some(Stars::new(1500)), Some(at(5)), true)
    );
    let huge = Account {
        id: telegram,
        balance: Stars::new(u64::MAX),
        premium: true,
    };
    assert!(store.save_account_state(huge, at(6)).await.is_err());

    let channel = |id: i64| NewTarget {
        exclude: giftbuyer_core::ExcludeList::EMPTY,
        recipient: Recipient::Channel(ChannelId::new(id).expect("channel")),
        title: Some("Gifts 🎁".into()),
        filter: TargetFilter {
            price: Bounds::new(Some(1), Some(1_000), "price").expect("bounds"),
            supply: Bounds::new(None, Some(5_000), "supply").expect("bounds"),
        },
    };
    let first = store
        .add_target(alice, channel(-1001000000001), at(7))
        .await
        .expect("add");
    let second = store
        .add_target(alice, channel(-1001000000002), at(7))
        .await
        .expect("add");
    let mut listed = store.targets(alice).await.expect("list");
    assert_eq!(
        listed.iter().map(|c| c.row_id).collect::<Vec<_>>(),
        vec![first, second]
    );
    assert_eq!(listed[0].filter, channel(1 - 1001000000002).filter);
    listed[1].recipient = listed[0].recipient;
    assert_eq!(
        store.update_target(alice, &listed[1]).await,
        Err(PanelStoreError::Conflict { what: "channel" })
    );
    listed[1].recipient = Recipient::Channel(ChannelId::new(-1001000000003).expect("channel"));
    listed[1].title = None;
    store
        .update_target(alice, &listed[1])
        .await
        .expect("update");
    assert_eq!(store.targets(alice).await.expect("list")[1], listed[1]);
    let out_of_range = NewTarget {
        filter: TargetFilter {
            price: Bounds::new(None, Some(u64::MAX), "price").expect("bounds"),
            supply: Bounds::UNBOUNDED,
        },
        ..channel(-1001000000009)
    };
    assert!(matches!(
        store.add_target(alice, out_of_range, at(8)).await,
        Err(PanelStoreError::Invalid {
            field: "price maximum",
            ..
        })
    ));
    let nul_title = NewTarget {
        title: Some("bad\0title".into()),
        ..channel(-1001000000009)
    };
    assert!(matches!(
        store.add_target(alice, nul_title, at(8)).await,
        Err(PanelStoreError::Invalid {
            field: "target title",
            ..
        })
    ));

    // What the engine loads: settings, logged-in accounts only, channels.
    let without_session = store
        .create_account(
            alice,
            NewAccount {
                phone: Secret::new("+15550000000".into()),
                api_profile: None,
            },
            at(9),
        )
        .await
        .expect("account");
    let settings = UserSettings {
        priority: giftbuyer_core::Priority::ScarcestFirst,
        autobuy: true,
        notification_chats: vec![
            ChatId::new(-100500).expect("chat"),
            ChatId::new(42).expect("chat"),
        ],
        report_lang: Lang::Ru,
        forced_target: None,
    };
    store
        .save_settings(alice, &settings, at(10))
        .await
        .expect("settings");
    let bob = user(&store, "bob").await;
    let users = store.users().await.expect("users");
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].user_id, alice);
    assert_eq!(users[0].settings, settings);
    assert_eq!(users[0].accounts, vec![telegram]);
    assert_eq!(users[0].targets, store.targets(alice).await.expect("list"));
    assert_eq!(users[1].user_id, bob);
    assert_eq!(users[1].settings, UserSettings::default());
    assert!(users[1].accounts.is_empty() && users[1].targets.is_empty());

    assert_eq!(store.clear_session(alice, account).await, Ok(true));
    assert!(store.users().await.expect("users")[0].accounts.is_empty());
    assert_eq!(store.delete_account(alice, account).await, Ok(true));
    assert_eq!(store.delete_account(alice, without_session).await, Ok(true));
    assert_eq!(store.delete_api_profile(alice, profile_id).await, Ok(true));
}

async fn settings_and_history(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    assert_eq!(store.settings(alice).await, Ok(UserSettings::default()));
    assert_eq!(store.bot_token(alice).await, Ok(None));
    store
        .set_bot_token(alice, Some(Secret::new("1:abc".into())), at(1))
        .await
        .expect("token");
    // Saving settings keeps the token, and the other way round.
    let settings = UserSettings {
        priority: giftbuyer_core::Priority::ScarcestFirst,
        autobuy: true,
        notification_chats: vec![ChatId::new(5).expect("chat")],
        report_lang: Lang::Ru,
        forced_target: Some(ChannelId::new(-1001000000001).expect("channel")),
    };
    store
        .save_settings(alice, &settings, at(2))
        .await
        .expect("save");
    assert_eq!(
        store
            .bot_token(alice)
            .await
            .map(|t| t.map(|t| t.expose().clone())),
        Ok(Some("1:abc".into()))
    );
    store
        .set_bot_token(alice, None, at(3))
        .await
        .expect("remove");
    assert_eq!(store.settings(alice).await, Ok(settings));
    assert_eq!(store.bot_token(alice).await, Ok(None));
    let too_many = UserSettings {
        notification_chats: vec![ChatId::new(1).expect("chat"); 51],
        ..UserSettings::default()
    };
    assert!(store.save_settings(alice, &too_many, at(4)).await.is_err());
    let ghost = UserId::new(999_999).expect("id");
    assert_eq!(
        store
            .save_settings(ghost, &UserSettings::default(), at(4))
            .await,
        Err(PanelStoreError::NotFound { what: "user" })
    );

    let ops = vec![operation(1, -1001000000001, 7, 10); 4];
    let run = store.begin_run(alice, &ops, at(10)).await.expect("run");
    for (seq, outcome) in [
        (0, JournalStatus::Bought),
        (1, JournalStatus::Failed),
        (2, JournalStatus::Unknown),
    ] {
        let key = JournalKey { run_id: run, seq };
        store
            .transition(
                key,
                JournalStatus::Planned,
                JournalStatus::Sending,
                None,
                at(11),
            )
            .await
            .expect("sending");
        store
            .transition(key, JournalStatus::Sending, outcome, None, at(12))
            .await
            .expect("outcome");
    }
    let empty = store
        .begin_run(alice, &[], at(20))
        .await
        .expect("empty run");
    store
        .save_report(alice, run, "done".into(), at(13))
        .await
        .expect("report");
    let runs = store.runs(alice, None, 10).await.expect("runs");
    let summary: Vec<_> = runs
        .iter()
        .map(|r| {
            (
                r.run_id,
                r.operations,
                r.bought,
                r.failed,
                r.unknown,
                r.has_report,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![(empty, 0, 0, 0, 0, false), (run, 4, 1, 1, 1, true)]
    );
    assert_eq!(store.runs(alice, None, 1).await.expect("runs").len(), 1);

    for n in 0..3 {
        store
            .append_audit(alice, "login", &format!("login {n}"), at(30 + n))
            .await
            .expect("audit");
    }
    let log = store.audit_log(alice, 2).await.expect("log");
    assert_eq!(
        log.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
        vec!["login 2", "login 1"]
    );
    assert_eq!(
        store.append_audit(ghost, "login", "x", at(1)).await,
        Err(PanelStoreError::NotFound { what: "user" })
    );
}

on_every_backend!(
    users_lock_out_after_repeated_failures,
    web_sessions_expire_and_revoke,
    profiles_accounts_and_channels,
    settings_and_history,
    renaming_an_api_profile,
);

async fn renaming_an_api_profile(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let profile = |name: &str| NewApiProfile {
        name: name.into(),
        api_id: 12345,
        api_hash: Secret::new("0123456789abcdef0123456789abcdef".into()),
    };
    let main = store
        .create_api_profile(alice, profile("main"), at(1))
        .await
        .expect("main");
    store
        .create_api_profile(alice, profile("spare"), at(2))
        .await
        .expect("spare");
    assert_eq!(
        store.rename_api_profile(alice, main, "renamed").await,
        Ok(true)
    );
    let renamed = store
        .api_profile(alice, main)
        .await
        .expect("read")
        .expect("some");
    assert_eq!(renamed.name, "renamed");
    // The hash still decrypts: renaming does not touch the sealed column or its binding.
    assert_eq!(
        renamed.api_hash.expose(),
        "0123456789abcdef0123456789abcdef"
    );
    assert!(matches!(
        store.rename_api_profile(alice, main, "spare").await,
        Err(PanelStoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.rename_api_profile(alice, main, "").await,
        Err(PanelStoreError::Invalid { .. })
    ));
    let missing = ApiProfileId::new(9999).expect("id");
    assert_eq!(
        store.rename_api_profile(alice, missing, "x").await,
        Ok(false)
    );
}
