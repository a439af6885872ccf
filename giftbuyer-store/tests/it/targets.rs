//! Targets of every kind (a channel, the buying account itself, a person by username) through
//! the panel's store and the engine's reads; each recipient at most once per user; purchases
//! journaled for each kind; and migration 8 keeping the channels and the journal that a build
//! at schema 7 left.

use giftbuyer_core::ports::{
    EngineStore as _, HistoryStore as _, JournalKey, JournalStatus, NewTarget, PanelStoreError,
    TargetStore as _, UserId, UserStore as _,
};
use giftbuyer_core::{
    Bounds, ChannelId, ExcludeList, GiftKind, Recipient, Target, TargetFilter, TargetRowId,
    TelegramUsername,
};
use giftbuyer_store::{Backend, Store, migrate};

use crate::support::{TestDb, at, on_every_backend, operation, operation_for, user};

const CHANNEL: i64 = -1_001_000_000_001;

fn channel(id: i64) -> Recipient {
    Recipient::Channel(ChannelId::new(id).expect("channel"))
}

fn person(name: &str) -> Recipient {
    Recipient::User(TelegramUsername::new(name).expect("username"))
}

fn new_target(recipient: Recipient) -> NewTarget {
    NewTarget {
        recipient,
        title: None,
        filter: TargetFilter::default(),
        exclude: ExcludeList::EMPTY,
    }
}

fn conflict<T>(what: &'static str) -> Result<T, PanelStoreError> {
    Err(PanelStoreError::Conflict { what })
}

fn bounds(min: Option<u64>, max: Option<u64>) -> Bounds {
    Bounds::new(min, max, "bounds").expect("bounds")
}

/// The row of `target` as stored: its channel id and username columns.
async fn columns(db: &TestDb, target: TargetRowId) -> (i64, i64) {
    let raw = db.raw().await;
    let id = target.get();
    let found = (
        raw.int(&format!(
            "SELECT COUNT(*) FROM channels WHERE id = {id} AND channel_id IS NOT NULL"
        ))
        .await,
        raw.int(&format!(
            "SELECT COUNT(*) FROM channels WHERE id = {id} AND username IS NOT NULL"
        ))
        .await,
    );
    raw.close().await;
    found
}

async fn every_kind_of_target_round_trips(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let to_self = NewTarget {
        title: Some("Me 🎁".into()),
        filter: TargetFilter {
            price: bounds(None, Some(500)),
            supply: Bounds::UNBOUNDED,
        },
        exclude: ExcludeList::new([7], [GiftKind::Birthday]).expect("exclude"),
        ..new_target(Recipient::Buyer)
    };
    // Typed the way people type it; stored the way Telegram compares it.
    let to_friend = NewTarget {
        filter: TargetFilter {
            price: Bounds::UNBOUNDED,
            supply: bounds(Some(10), Some(5_000)),
        },
        ..new_target(Recipient::User(
            TelegramUsername::new(" @Gift_Friend ").expect("username"),
        ))
    };
    let self_row = store
        .add_target(alice, to_self.clone(), at(1))
        .await
        .expect("self");
    let friend_row = store
        .add_target(alice, to_friend.clone(), at(2))
        .await
        .expect("friend");
    let channel_row = store
        .add_target(alice, new_target(channel(CHANNEL)), at(3))
        .await
        .expect("channel");
    let target = |row_id, new: &NewTarget| Target {
        row_id,
        recipient: new.recipient,
        filter: new.filter,
        exclude: new.exclude.clone(),
        title: new.title.clone(),
    };
    let mut expected = vec![
        target(self_row, &to_self),
        target(friend_row, &to_friend),
        target(channel_row, &new_target(channel(CHANNEL))),
    ];
    let listed = store.targets(alice).await.expect("list");
    assert_eq!(listed, expected);
    assert_eq!(listed[1].recipient, person("gift_friend"));
    assert_eq!(
        (
            columns(db, self_row).await,
            columns(db, friend_row).await,
            columns(db, channel_row).await
        ),
        ((0, 0), (0, 1), (1, 0))
    );

    // The engine reads the same list through its own query.
    let users = store.users().await.expect("users");
    let config = users.iter().find(|c| c.user_id == alice).expect("alice");
    assert_eq!(config.targets, expected);

    // Everything of a target changes, its kind of recipient included; the column of the old
    // kind is cleared, not left behind.
    expected[0].filter = TargetFilter::default();
    expected[0].title = None;
    expected[0].exclude = ExcludeList::EMPTY;
    expected[1].recipient = person("other_friend");
    expected[1].title = Some("Bob".into());
    expected[2].recipient = person("third_friend");
    for target in &expected {
        store.update_target(alice, target).await.expect("update");
    }
    assert_eq!(store.targets(alice).await.expect("list"), expected);
    assert_eq!(columns(db, channel_row).await, (0, 1));
    expected[2].recipient = channel(CHANNEL);
    store
        .update_target(alice, &expected[2])
        .await
        .expect("back to the channel");
    assert_eq!(columns(db, channel_row).await, (1, 0));
    expected[1].recipient = Recipient::Buyer;
    expected[0].recipient = person("gift_friend");
    // The self target moves away first, so that the user's one self target is free.
    store
        .update_target(alice, &expected[0])
        .await
        .expect("self to a person");
    store
        .update_target(alice, &expected[1])
        .await
        .expect("person to self");
    assert_eq!(store.targets(alice).await.expect("list"), expected);
    assert_eq!(
        (columns(db, self_row).await, columns(db, friend_row).await),
        ((0, 1), (0, 0))
    );

    assert_eq!(store.delete_target(alice, friend_row).await, Ok(true));
    assert_eq!(store.delete_target(alice, friend_row).await, Ok(false));
    assert_eq!(store.delete_target(alice, self_row).await, Ok(true));
    assert_eq!(
        store.targets(alice).await.expect("list"),
        vec![expected[2].clone()]
    );
    // Updating a deleted target is a missing row, named by its kind.
    assert_eq!(
        store.update_target(alice, &expected[1]).await,
        Err(PanelStoreError::NotFound { what: "target" })
    );
}

async fn each_recipient_appears_once_per_user(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let mut rows = Vec::new();
    for recipient in [Recipient::Buyer, person("gift_friend"), channel(CHANNEL)] {
        rows.push(
            store
                .add_target(alice, new_target(recipient), at(1))
                .await
                .expect("add"),
        );
    }
    for (recipient, what) in [
        (Recipient::Buyer, "target"),
        (person("@GIFT_FRIEND"), "target"),
        (channel(CHANNEL), "channel"),
    ] {
        assert_eq!(
            store.add_target(alice, new_target(recipient), at(2)).await,
            conflict(what),
            "{recipient}"
        );
        // Another user may have the same recipient.
        assert!(
            store
                .add_target(bob, new_target(recipient), at(2))
                .await
                .is_ok(),
            "{recipient}"
        );
    }
    let listed = store.targets(alice).await.expect("list");
    assert_eq!(listed.len(), 3);
    assert_eq!(store.targets(bob).await.expect("list").len(), 3);

    // Changing a target onto a recipient the list has is the same conflict, and changes
    // nothing.
    let onto = |recipient| Target {
        recipient,
        ..listed[2].clone()
    };
    assert_eq!(
        store.update_target(alice, &onto(Recipient::Buyer)).await,
        conflict("target")
    );
    assert_eq!(
        store
            .update_target(alice, &onto(person("gift_friend")))
            .await,
        conflict("target")
    );
    let channel_onto_friend = Target {
        recipient: channel(CHANNEL),
        ..listed[1].clone()
    };
    assert_eq!(
        store.update_target(alice, &channel_onto_friend).await,
        conflict("channel")
    );
    assert_eq!(store.targets(alice).await.expect("list"), listed);

    // A deleted recipient may be added again.
    assert_eq!(store.delete_target(alice, rows[0]).await, Ok(true));
    let again = store
        .add_target(alice, new_target(Recipient::Buyer), at(3))
        .await
        .expect("self again");
    assert!(again > rows[2], "{again:?} comes after {:?}", rows[2]);
}

async fn an_unreadable_recipient_is_an_error_not_a_panic(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let raw = db.raw().await;
    for (channel_id, username, what) in [
        ("NULL", "'not a name'", "recipient username"),
        ("5", "NULL", "recipient channel_id"),
    ] {
        raw.execute(&format!(
            "INSERT INTO channels (user_id, channel_id, username, created_at) \
             VALUES ({}, {channel_id}, {username}, 5)",
            alice.get()
        ))
        .await;
        let error = store.targets(alice).await.expect_err("corrupt");
        assert!(
            matches!(&error, PanelStoreError::Corrupt(message) if message.contains(what)),
            "{error:?}"
        );
        let error = store.users().await.expect_err("corrupt");
        assert!(error.to_string().contains(what), "{error}");
        raw.execute("DELETE FROM channels").await;
    }

    // Both a channel and a username is refused by the database itself, for targets and for
    // journal entries alike.
    let both = raw
        .try_execute(&format!(
            "INSERT INTO channels (user_id, channel_id, username, created_at) \
             VALUES ({}, {CHANNEL}, 'gift_friend', 5)",
            alice.get()
        ))
        .await;
    assert!(both.is_err(), "{both:?}");
    let run = store.begin_run(alice, &[], at(5)).await.expect("run");
    let journal_row = |username: &str| {
        format!(
            "INSERT INTO journal (run_id, seq, user_id, account_id, channel_id, username, \
             gift_id, price, supply, status, created_at, updated_at) \
             VALUES ({run}, 0, {}, 1, {CHANNEL}, {username}, 10, 5, 100, 'planned', 5, 5)",
            alice.get()
        )
    };
    let both = raw.try_execute(&journal_row("'gift_friend'")).await;
    assert!(both.is_err(), "{both:?}");
    // The same rows with the channel only are taken: the CHECK is what refused them.
    assert_eq!(raw.try_execute(&journal_row("NULL")).await.ok(), Some(1));
    raw.execute(&format!(
        "INSERT INTO channels (user_id, channel_id, username, created_at) \
         VALUES ({}, {CHANNEL}, NULL, 5)",
        alice.get()
    ))
    .await;
    raw.close().await;
    assert_eq!(
        store
            .targets(alice)
            .await
            .expect("list")
            .iter()
            .map(|t| t.recipient)
            .collect::<Vec<_>>(),
        vec![channel(CHANNEL)]
    );
}

async fn the_journal_keeps_every_kind_of_recipient(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Planned, Sending};
    let store = db.store().await;
    let owner = user(&store, "owner").await;
    let day = 20_000;
    let start = day * 86_400;
    let ops = [
        operation(1, CHANNEL, 10, 5),
        operation_for(1, Recipient::Buyer, 11, 7),
        operation_for(2, person("gift_friend"), 12, 9),
    ];
    let run = store.begin_run(owner, &ops, at(start)).await.expect("run");
    let key = |seq| JournalKey { run_id: run, seq };
    // A purchase moved to another target during execution is recorded on its own.
    let moved = operation_for(2, person("second_friend"), 12, 9);
    store
        .add_operation(owner, key(3), moved, at(start))
        .await
        .expect("add");
    let journal = store.run_journal(owner, run).await.expect("journal");
    assert_eq!(
        journal.iter().map(|e| e.operation).collect::<Vec<_>>(),
        [ops.as_slice(), &[moved]].concat()
    );
    let raw = db.raw().await;
    let count = |filter: &str| {
        let raw = &raw;
        let sql = format!("SELECT COUNT(*) FROM journal WHERE run_id = {run} AND {filter}");
        async move { raw.int(&sql).await }
    };
    assert_eq!(
        (
            count("channel_id IS NOT NULL AND username IS NULL").await,
            count("channel_id IS NULL AND username IS NULL").await,
            count("channel_id IS NULL AND username = 'gift_friend'").await,
        ),
        (1, 1, 1)
    );
    raw.close().await;

    for (seq, to) in [(0, Failed), (1, Bought), (2, Bought), (3, Sending)] {
        assert_eq!(
            store
                .transition(key(seq), Planned, Sending, None, at(start + 10))
                .await,
            Ok(true)
        );
        if to != Sending {
            assert_eq!(
                store
                    .transition(key(seq), Sending, to, None, at(start + 10))
                    .await,
                Ok(true)
            );
        }
    }
    assert_eq!(store.recover_journal(at(start + 20)).await, Ok(1));
    let journal = store.run_journal(owner, run).await.expect("journal");
    assert_eq!(
        journal
            .iter()
            .map(|e| (e.operation.recipient, e.status))
            .collect::<Vec<_>>(),
        vec![
            (channel(CHANNEL), Failed),
            (Recipient::Buyer, Bought),
            (person("gift_friend"), Bought),
            (person("second_friend"), JournalStatus::Unknown),
        ]
    );

    // History counts them whatever their recipient.
    let record = store.run(owner, run).await.expect("run").expect("some");
    assert_eq!(
        (
            record.operations,
            record.bought,
            record.failed,
            record.unknown
        ),
        (4, 2, 1, 1)
    );
    let spent = store
        .spending_per_day(owner, day, day)
        .await
        .expect("spending");
    assert_eq!(
        spent
            .iter()
            .map(|d| (d.day, d.stars, d.purchases))
            .collect::<Vec<_>>(),
        vec![(day, 16, 2)]
    );
}

/// What a build at schema 7 left: a user with channels (one of them deleted, so that its id
/// must not come back) and a run with journal entries onto them.
struct Version7 {
    user: i64,
    first: i64,
    second: i64,
    deleted: i64,
    run: i64,
}

async fn write_version_7(db: &TestDb) -> Version7 {
    let raw = db.migrated_to(7).await;
    let user = raw
        .int(
            "INSERT INTO users (username, password_hash, created_at) \
             VALUES ('alice', 'x', 1) RETURNING id",
        )
        .await;
    let insert_channel = |channel: i64, rest: &'static str| {
        let raw = &raw;
        let sql = format!(
            "INSERT INTO channels (user_id, channel_id, title, price_min, price_max, \
             supply_min, supply_max, created_at, exclude_gift_ids, exclude_kinds) \
             VALUES ({user}, {channel}, {rest}) RETURNING id"
        );
        async move { raw.int(&sql).await }
    };
    let first = insert_channel(
        -1_001_000_000_001,
        "'Gifts', 1, 500, NULL, 5000, 2, '7,9', 'birthday'",
    )
    .await;
    let second = insert_channel(
        -1_001_000_000_002,
        "NULL, NULL, NULL, NULL, NULL, 3, '', ''",
    )
    .await;
    let deleted = insert_channel(
        -1_001_000_000_003,
        "NULL, NULL, NULL, NULL, NULL, 4, '', ''",
    )
    .await;
    raw.execute(&format!("DELETE FROM channels WHERE id = {deleted}"))
        .await;
    let run = raw
        .int(&format!(
            "INSERT INTO runs (user_id, started_at) VALUES ({user}, 10) RETURNING id"
        ))
        .await;
    raw.execute(&format!(
        "INSERT INTO journal (run_id, seq, user_id, account_id, channel_id, gift_id, price, \
         supply, status, error, created_at, updated_at) VALUES \
         ({run}, 0, {user}, 5001, -1001000000001, 10, 25, 1000, 'bought', NULL, 10, 11), \
         ({run}, 1, {user}, 5001, -1001000000002, 11, 30, 500, 'failed', 'PEER_ID_INVALID', 10, 12), \
         ({run}, 2, {user}, 5002, -1001000000002, 12, 40, 100, 'sending', NULL, 10, 13)"
    ))
    .await;
    raw.close().await;
    Version7 {
        user,
        first,
        second,
        deleted,
        run,
    }
}

async fn migration_8_keeps_what_version_7_stored(db: &TestDb) {
    let old = write_version_7(db).await;
    let report = migrate(&db.url).await.expect("migrate");
    assert_eq!((report.applied.as_slice(), report.version), (&[8][..], 8));
    let store: Store = db.store().await;
    let alice = UserId::new(old.user).expect("user id");

    // Every channel row is a channel target, with its id and every other column as it was.
    let row = |id| TargetRowId::new(id).expect("row id");
    assert_eq!(
        store.targets(alice).await.expect("targets"),
        vec![
            Target {
                row_id: row(old.first),
                recipient: channel(-1_001_000_000_001),
                filter: TargetFilter {
                    price: bounds(Some(1), Some(500)),
                    supply: bounds(None, Some(5000)),
                },
                exclude: ExcludeList::new([7, 9], [GiftKind::Birthday]).expect("exclude"),
                title: Some("Gifts".into()),
            },
            Target {
                row_id: row(old.second),
                recipient: channel(-1_001_000_000_002),
                filter: TargetFilter::default(),
                exclude: ExcludeList::EMPTY,
                title: None,
            },
        ]
    );

    // Every journal entry keeps its channel, status, error and time, and the run's history
    // is what it was.
    let journal = store.run_journal(alice, old.run).await.expect("journal");
    assert_eq!(
        journal
            .iter()
            .map(|e| (
                e.key.seq,
                e.operation.account_id.get(),
                e.operation.recipient,
                e.operation.gift_id.get(),
                e.operation.price.get(),
                e.operation.supply,
                e.status,
                e.error.as_deref(),
                e.updated_at.secs()
            ))
            .collect::<Vec<_>>(),
        vec![
            (
                0,
                5001,
                channel(-1_001_000_000_001),
                10,
                25,
                1000,
                JournalStatus::Bought,
                None,
                11
            ),
            (
                1,
                5001,
                channel(-1_001_000_000_002),
                11,
                30,
                500,
                JournalStatus::Failed,
                Some("PEER_ID_INVALID"),
                12
            ),
            (
                2,
                5002,
                channel(-1_001_000_000_002),
                12,
                40,
                100,
                JournalStatus::Sending,
                None,
                13
            ),
        ]
    );
    let record = store.run(alice, old.run).await.expect("run").expect("some");
    assert_eq!((record.operations, record.bought, record.failed), (3, 1, 1));
    // Recovery still finds the entry a crash left sending.
    assert_eq!(store.recover_journal(at(100)).await, Ok(1));

    // The rules of the new schema hold on the old rows: a channel already listed is a
    // conflict, a self target and a person are new, and ids are not handed out again.
    assert_eq!(
        store
            .add_target(alice, new_target(channel(-1_001_000_000_001)), at(101))
            .await,
        Err(PanelStoreError::Conflict { what: "channel" })
    );
    let to_self = store
        .add_target(alice, new_target(Recipient::Buyer), at(101))
        .await
        .expect("self");
    assert!(to_self.get() > old.deleted, "{to_self:?} reuses an old id");
    store
        .add_target(alice, new_target(person("gift_friend")), at(101))
        .await
        .expect("person");

    let raw = db.raw().await;
    let indexes = match db.backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN",
        Backend::Postgres => "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN",
    };
    assert_eq!(
        raw.int(&format!(
            "{indexes} ('journal_open', 'journal_bought_by_user', 'channels_one_per_channel', \
             'channels_one_per_username', 'channels_one_self', 'channels_by_user')"
        ))
        .await,
        6
    );
    // Column types are still enforced (the rebuilt SQLite tables are STRICT).
    let wrong_type = raw
        .try_execute(&format!(
            "INSERT INTO channels (user_id, channel_id, created_at) VALUES ({}, 'x', 1)",
            old.user
        ))
        .await;
    assert!(wrong_type.is_err(), "{wrong_type:?}");
    if db.backend == Backend::Sqlite {
        assert_eq!(
            raw.int("SELECT COUNT(*) FROM pragma_foreign_key_check")
                .await,
            0
        );
    }
    // The foreign keys still cascade: deleting the user removes its targets and journal.
    assert_eq!(store.delete_user(alice).await, Ok(true));
    assert_eq!(
        (
            raw.int("SELECT COUNT(*) FROM channels").await,
            raw.int("SELECT COUNT(*) FROM journal").await
        ),
        (0, 0)
    );
    raw.close().await;
}

on_every_backend!(
    every_kind_of_target_round_trips,
    each_recipient_appears_once_per_user,
    an_unreadable_recipient_is_an_error_not_a_panic,
    the_journal_keeps_every_kind_of_recipient,
    migration_8_keeps_what_version_7_stored,
);
