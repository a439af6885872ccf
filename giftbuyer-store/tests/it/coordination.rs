//! Several instances on one database: leadership with failover, account leases, and events.

use std::time::{Duration, Instant};

use giftbuyer_core::ports::{
    AccountRowId, AccountStore as _, NewAccount, Secret, SessionVault as _,
};
use giftbuyer_store::{Backend, Error, EventStream, LEADER_LOCK_KEY, MAX_EVENT_LEN, Store};
use sqlx::Connection as _;

use crate::support::{TestDb, at, on_every_backend, user};

async fn account(store: &Store) -> (giftbuyer_core::ports::UserId, AccountRowId) {
    let user = user(store, "leaser").await;
    let account = store
        .create_account(
            user,
            NewAccount {
                phone: Secret::new("+15550000".into()),
                api_profile: None,
            },
            at(1),
        )
        .await
        .expect("account");
    (user, account)
}

async fn a_lease_has_one_holder_at_a_time(db: &TestDb) {
    let first = db.store().await;
    let second = db.store().await;
    let (user, acc) = account(&first).await;
    let long = Duration::from_secs(60);
    assert_eq!(first.lease_account(user, acc, "i1", long).await, Ok(true));
    assert_eq!(second.lease_account(user, acc, "i2", long).await, Ok(false));
    assert_eq!(
        first.lease_account(user, acc, "i1", long).await,
        Ok(true),
        "re-entrant"
    );
    assert_eq!(second.renew_lease(user, acc, "i2", long).await, Ok(false));
    assert_eq!(first.renew_lease(user, acc, "i1", long).await, Ok(true));
    assert_eq!(second.release_lease(user, acc, "i2").await, Ok(false));
    assert_eq!(first.release_lease(user, acc, "i1").await, Ok(true));
    assert_eq!(second.lease_account(user, acc, "i2", long).await, Ok(true));
    assert_eq!(
        first.renew_lease(user, acc, "i1", long).await,
        Ok(false),
        "lost"
    );

    // An expired lease can be taken; its old holder then cannot renew it.
    second
        .release_lease(user, acc, "i2")
        .await
        .expect("release");
    let short = Duration::from_millis(200);
    assert_eq!(first.lease_account(user, acc, "i1", short).await, Ok(true));
    assert_eq!(second.lease_account(user, acc, "i2", long).await, Ok(false));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(second.lease_account(user, acc, "i2", long).await, Ok(true));
    assert_eq!(first.renew_lease(user, acc, "i1", long).await, Ok(false));
    second
        .release_lease(user, acc, "i2")
        .await
        .expect("release");

    // Many instances racing for a free lease: exactly one gets it.
    let mut tasks = tokio::task::JoinSet::new();
    for racer in 0..8 {
        let store = if racer % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.spawn(async move {
            store
                .lease_account(user, acc, &format!("racer-{racer}"), long)
                .await
                .expect("lease")
        });
    }
    let mut winners = 0;
    while let Some(won) = tasks.join_next().await {
        winners += usize::from(won.expect("task"));
    }
    assert_eq!(winners, 1);

    let too_long = first
        .lease_account(user, acc, "i1", Duration::from_secs(u64::MAX))
        .await;
    assert!(too_long.is_err());
    assert!(first.lease_account(user, acc, "", long).await.is_err());
    // Deleting the account ends its lease with it.
    assert!(first.delete_account(user, acc).await.expect("delete"));
}

async fn events_reach_every_subscriber(db: &TestDb) {
    let first = db.store().await;
    let second = db.store().await;
    let mut own = first.subscribe().await.expect("subscribe");
    let mut remote = second.subscribe().await.expect("subscribe");
    let event = r#"{"kind":"bought","gift":42}"#;
    first.publish(event).await.expect("publish");
    assert_eq!(next_event(&mut own).await, event);
    if db.backend == Backend::Postgres {
        // Another instance's subscriber gets it through the database.
        assert_eq!(next_event(&mut remote).await, event);
    } else {
        // On SQLite each store is one process's fan-out; the second store is separate.
        second.publish(event).await.expect("publish");
        assert_eq!(next_event(&mut remote).await, event);
    }
    let large = "x".repeat(MAX_EVENT_LEN + 1);
    let error = first.publish(&large).await.expect_err("too large");
    assert!(
        matches!(
            error,
            Error::EventTooLarge {
                len: 8000,
                max: 8000
            }
        ),
        "{error}"
    );
    first
        .publish(&"y".repeat(MAX_EVENT_LEN))
        .await
        .expect("largest allowed");
    assert_eq!(next_event(&mut own).await.len(), MAX_EVENT_LEN);
}

/// One leader at a time on both backends: on SQLite a second instance on the same file (a
/// mistaken second process) stays a follower until the first releases.
async fn leadership_can_be_taken_and_released(db: &TestDb) {
    let first = db.store().await;
    let second = db.store().await;
    let leader = first.leadership();
    let follower = second.leadership();
    assert!(!leader.is_leader());
    assert!(leader.try_acquire().await.expect("acquire"));
    assert!(leader.try_acquire().await.expect("still"));
    assert!(!follower.try_acquire().await.expect("follow"));
    assert!(!format!("{leader:?}").contains("password"));
    leader.release().await.expect("release");
    assert!(!leader.is_leader());
    assert!(follower.try_acquire().await.expect("take over"));
    drop(follower);
    assert!(leader.try_acquire().await.expect("back after drop"));
    // An in-memory database is one process's own: always granted.
    let memory = Store::connect("sqlite::memory:", crate::support::key(1))
        .await
        .expect("memory");
    assert!(memory.leadership().try_acquire().await.expect("granted"));
    assert!(
        memory
            .leadership()
            .try_acquire()
            .await
            .expect("granted again")
    );
}

async fn next_event(stream: &mut EventStream) -> String {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event in time")
        .expect("stream open")
        .expect("no error")
}

on_every_backend!(
    a_lease_has_one_holder_at_a_time,
    events_reach_every_subscriber,
    leadership_can_be_taken_and_released,
);

/// Two instances on one PostgreSQL database: one leads; when its connection is killed, the
/// other takes over within seconds and the first finds out it lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_leadership_fails_over() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let first = db.store().await;
    let second = db.store().await;
    let leader = first.leadership();
    let follower = second.leadership();
    assert!(leader.try_acquire().await.expect("acquire"));
    assert!(leader.try_acquire().await.expect("still leader"));
    assert!(!follower.try_acquire().await.expect("follow"));
    assert!(leader.is_leader() && !follower.is_leader());

    // Kill the leader's session from a third connection, as a crash or a network cut would.
    let mut admin = sqlx::PgConnection::connect(db.admin_url().expect("admin"))
        .await
        .expect("admin connection");
    // pg_locks splits a bigint advisory key into two 32-bit halves.
    let classid = LEADER_LOCK_KEY >> 32;
    let objid = LEADER_LOCK_KEY & 0xffff_ffff;
    let database = db.url.rsplit('/').next().expect("database name").to_owned();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l \
         JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 \
         AND l.objid::bigint = $2 AND a.datname = $3",
    )
    .bind(classid)
    .bind(objid)
    .bind(database)
    .fetch_all(&mut admin)
    .await
    .expect("terminate");
    assert_eq!(
        killed,
        vec![true],
        "exactly the leader's session was terminated"
    );

    let started = Instant::now();
    loop {
        if follower.try_acquire().await.unwrap_or(false) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no takeover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(follower.is_leader());
    assert!(
        !leader.try_acquire().await.unwrap_or(false),
        "the old leader lost"
    );
    assert!(!leader.is_leader());

    // A clean release hands over at once.
    follower.release().await.expect("release");
    assert!(leader.try_acquire().await.expect("take back"));
    drop(leader);
    let started = Instant::now();
    while !follower.try_acquire().await.unwrap_or(false) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "drop did not release"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = admin.close().await;
}
