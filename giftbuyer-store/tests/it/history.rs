//! Run history as the panel reads it: keyset paging by run id over more runs than one listing
//! holds, one run by id, and spending per UTC day, each scoped by user.

use giftbuyer_core::ports::{
    DaySpending, EngineStore as _, HistoryStore as _, JournalKey, JournalStatus, UserId,
};
use giftbuyer_store::Store;

use crate::support::{TestDb, at, on_every_backend, operation, user};

const DAY: i64 = 86_400;
/// More runs than the store's cap on one listing (1000).
const MANY: usize = 1100;

/// Moves an entry from planned to `to` at `secs`, through sending when it goes further.
async fn finish(store: &Store, run_id: i64, seq: u32, to: JournalStatus, secs: i64) {
    let key = JournalKey { run_id, seq };
    let sending = JournalStatus::Sending;
    assert!(
        store
            .transition(key, JournalStatus::Planned, sending, None, at(secs))
            .await
            .expect("sending")
    );
    if to != sending {
        assert!(
            store
                .transition(key, sending, to, Some("ERR"), at(secs))
                .await
                .expect("outcome")
        );
    }
}

async fn paging_reaches_every_run(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    // The oldest run has purchases; then many empty runs, with one of Bob's among them.
    let ops = [
        operation(1, -1_001_234_567_890, 10, 50),
        operation(1, -1_001_234_567_890, 11, 70),
    ];
    let oldest = store.begin_run(alice, &ops, at(100)).await.expect("run");
    finish(&store, oldest, 0, JournalStatus::Bought, 101).await;
    store
        .save_report(alice, oldest, "old".into(), at(102))
        .await
        .expect("report");
    let mut bobs = 0;
    for n in 1..MANY {
        if n == MANY / 2 {
            bobs = store.begin_run(bob, &[], at(200)).await.expect("bob's run");
        }
        store.begin_run(alice, &[], at(200)).await.expect("run");
    }

    let first = store.runs(alice, None, 10).await.expect("first page");
    assert_eq!(first.len(), 10);
    assert!(first.windows(2).all(|w| w[0].run_id > w[1].run_id));
    let second = store
        .runs(alice, Some(first[9].run_id), 10)
        .await
        .expect("second page");
    assert_eq!(second.len(), 10);
    assert!(second[0].run_id < first[9].run_id);
    assert_eq!(
        store.runs(alice, None, 20).await.expect("both pages"),
        [first, second].concat()
    );
    // One listing is capped, but paging by id reaches every run, the oldest included.
    assert_eq!(
        store.runs(alice, None, 5_000).await.expect("capped").len(),
        1000
    );
    let (mut seen, mut before) = (Vec::new(), None);
    loop {
        let page = store.runs(alice, before, 300).await.expect("page");
        let Some(last) = page.last() else { break };
        before = Some(last.run_id);
        seen.extend(page);
    }
    assert_eq!(seen.len(), MANY);
    assert!(seen.windows(2).all(|w| w[0].run_id > w[1].run_id));
    assert!(seen.iter().all(|run| run.run_id != bobs));
    let last = seen.last().expect("oldest");
    assert_eq!(
        (
            last.run_id,
            last.started_at,
            last.operations,
            last.bought,
            last.has_report
        ),
        (oldest, at(100), 2, 1, true)
    );
    assert_eq!(
        store.runs(alice, Some(oldest), 10).await.expect("past"),
        vec![]
    );

    // One run by id, whatever its age, and only for its owner.
    assert_eq!(
        store.run(alice, oldest).await.expect("run").as_ref(),
        Some(last)
    );
    assert_eq!(store.run(bob, oldest).await.expect("not bob's"), None);
    assert_eq!(store.run(alice, bobs).await.expect("not alice's"), None);
    assert_eq!(store.run(alice, i64::MAX).await.expect("missing"), None);
    let bob_runs = store.runs(bob, None, 10).await.expect("bob's runs");
    assert_eq!(
        bob_runs.iter().map(|run| run.run_id).collect::<Vec<_>>(),
        vec![bobs]
    );
    assert_eq!(
        store.run(bob, bobs).await.expect("bob's run"),
        bob_runs.first().cloned()
    );
}

async fn spending_groups_bought_entries_by_utc_day(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let day = 20_000;
    let start = day * DAY;
    let ops: Vec<_> = [100, 200, 300, 400, 500, 600, 700]
        .into_iter()
        .enumerate()
        .map(|(n, price)| operation(1, -1_001_234_567_890, 10 + n as i64, price))
        .collect();
    let run = store
        .begin_run(alice, &ops, at(start - DAY))
        .await
        .expect("run");
    // Dated by the last change: the last second of `day`, then the first of the next day.
    finish(&store, run, 0, JournalStatus::Bought, start + DAY - 1).await;
    finish(&store, run, 1, JournalStatus::Bought, start + DAY).await;
    finish(&store, run, 2, JournalStatus::Failed, start).await;
    finish(&store, run, 3, JournalStatus::Unknown, start).await;
    finish(&store, run, 4, JournalStatus::Sending, start).await;
    // Bought two days before the window, and entry 6 stays planned.
    finish(&store, run, 5, JournalStatus::Bought, start - 2 * DAY).await;
    let other = store
        .begin_run(alice, &ops[..1], at(start))
        .await
        .expect("run");
    finish(&store, other, 0, JournalStatus::Bought, start + 10).await;
    let bobs = store
        .begin_run(bob, &ops, at(start))
        .await
        .expect("bob's run");
    finish(&store, bobs, 0, JournalStatus::Bought, start).await;
    finish(&store, bobs, 1, JournalStatus::Bought, start + DAY).await;

    let spent = |user: UserId, from: i64, to: i64| {
        let store = &store;
        async move {
            store
                .spending_per_day(user, from, to)
                .await
                .expect("spending")
        }
    };
    let spending = |day, stars, purchases| DaySpending {
        day,
        stars,
        purchases,
    };
    assert_eq!(
        spent(alice, day - 1, day + 1).await,
        vec![spending(day, 200, 2), spending(day + 1, 200, 1)]
    );
    assert_eq!(spent(alice, day, day).await, vec![spending(day, 200, 2)]);
    assert_eq!(
        spent(alice, day - 2, day - 2).await,
        vec![spending(day - 2, 600, 1)]
    );
    assert_eq!(spent(alice, day + 2, day + 30).await, vec![]);
    assert_eq!(spent(alice, day + 1, day).await, vec![]);
    assert_eq!(
        spent(bob, 0, day + 1).await,
        vec![spending(day, 100, 1), spending(day + 1, 200, 1)]
    );
    // Days before 1970 hold nothing; huge windows do not overflow.
    assert_eq!(spent(alice, i64::MIN, -1).await, vec![]);
    assert_eq!(spent(alice, i64::MIN, i64::MAX).await.len(), 3);
}

on_every_backend!(
    paging_reaches_every_run,
    spending_groups_bought_entries_by_utc_day
);
