//! The purchase journal: the same script gives the same transcript on the in-memory store and
//! on both databases; compare-and-set holds under concurrent writers; recovery never resends.

use giftbuyer_core::ports::{
    EngineStore, HistoryStore as _, JournalKey, JournalStatus, StoreError, UserId,
};
use giftbuyer_core::{Recipient, TelegramUsername};
use giftbuyer_engine::MemoryStore;

use crate::support::{TestDb, at, on_every_backend, operation, operation_for, user};

const CHANNEL: i64 = -1001234567890;

/// Every journal rule in one sequence of calls, written down as text.
async fn journal_script(store: &dyn EngineStore, owner: UserId, other: UserId) -> Vec<String> {
    use JournalStatus::{Bought, Failed, Planned, Sending};
    let mut log = Vec::new();
    // Each kind of recipient, so that the transcripts compare how each is stored.
    let friend = Recipient::User(TelegramUsername::new("gift_friend").expect("username"));
    let ops = [
        operation(1, CHANNEL, 10, 5),
        operation_for(1, Recipient::Buyer, 11, 7),
        operation_for(2, friend, 10, 5),
    ];
    let run = store
        .begin_run(owner, &ops, at(100))
        .await
        .expect("begin run");
    let key = |seq| JournalKey { run_id: run, seq };
    let add = |seq, op, now| store.add_operation(owner, key(seq), op, at(now));
    log.push(format!(
        "add 3: {:?}",
        add(3, operation(2, CHANNEL, 12, 9), 101).await
    ));
    // Recording a key again keeps the first entry, whatever the second says.
    log.push(format!(
        "add 3 again: {:?}",
        add(3, operation(1, CHANNEL, 99, 1), 102).await
    ));
    log.push(format!(
        "add 0 again: {:?}",
        add(0, operation(1, CHANNEL, 99, 1), 102).await
    ));
    let steps: [(u32, JournalStatus, JournalStatus, Option<&str>); 9] = [
        (0, Planned, Sending, None),
        (0, Planned, Sending, None),
        (0, Sending, Bought, None),
        (0, Sending, Bought, None),
        (1, Planned, Failed, Some("PEER_ID_INVALID")),
        (0, Bought, Sending, None),
        (9, Planned, Sending, None),
        (2, Planned, Sending, None),
        (1, Failed, Planned, None),
    ];
    for (seq, from, to, error) in steps {
        let result = store.transition(key(seq), from, to, error, at(110)).await;
        log.push(format!(
            "{seq} {} -> {}: {result:?}",
            from.code(),
            to.code()
        ));
    }
    // A crash here leaves entry 2 sending and entry 3 planned.
    log.push(format!(
        "recover: {:?}",
        store.recover_journal(at(200)).await
    ));
    log.push(format!(
        "recover again: {:?}",
        store.recover_journal(at(201)).await
    ));
    for seq in [2, 3] {
        let result = store
            .transition(key(seq), Planned, Sending, None, at(202))
            .await;
        log.push(format!("resend {seq}: {result:?}"));
    }
    for entry in store.run_journal(owner, run).await.expect("journal") {
        log.push(format!(
            "entry {} {} {:?} at {} op {:?}",
            entry.key.seq,
            entry.status.code(),
            entry.error,
            entry.updated_at.secs(),
            entry.operation
        ));
    }
    let foreign = store.run_journal(other, run).await.expect("journal");
    log.push(format!("other user's view: {} entries", foreign.len()));
    log
}

async fn journal_matches_the_memory_store(db: &TestDb) {
    let store = db.store().await;
    let owner = user(&store, "owner").await;
    let other = user(&store, "other").await;
    let expected = journal_script(&MemoryStore::new(), owner, other).await;
    let actual = journal_script(&store, owner, other).await;
    assert_eq!(actual, expected);
    // Spot-check the transcript itself, so that a change to both stores is noticed too.
    let text = expected.join("\n");
    for line in [
        "0 planned -> sending: Ok(true)\n0 planned -> sending: Ok(false)",
        "0 bought -> sending: Err(BadTransition",
        "9 planned -> sending: Err(UnknownEntry",
        "recover: Ok(2)\nrecover again: Ok(0)",
        "resend 2: Ok(false)\nresend 3: Ok(false)",
        "entry 2 unknown Some(\"interrupted\")",
        "entry 3 failed Some(\"abandoned\")",
        "gift_id: GiftId(12)",
        "recipient: Buyer",
        "recipient: User(TelegramUsername(@gift_friend))",
        "other user's view: 0 entries",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

/// 8 tasks × 200 transitions on one database: every move succeeds and none surfaces
/// SQLITE_BUSY (or any other error).
async fn concurrent_writers_never_fail(db: &TestDb) {
    const TASKS: u32 = 8;
    const PER_TASK: u32 = 100;
    let store = db.store().await;
    let owner = user(&store, "owner").await;
    let ops = vec![operation(1, CHANNEL, 10, 5); (TASKS * PER_TASK) as usize];
    let run = store
        .begin_run(owner, &ops, at(100))
        .await
        .expect("begin run");
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        let store = store.clone();
        tasks.spawn(async move {
            for seq in task * PER_TASK..(task + 1) * PER_TASK {
                let key = JournalKey { run_id: run, seq };
                for (from, to) in [
                    (JournalStatus::Planned, JournalStatus::Sending),
                    (JournalStatus::Sending, JournalStatus::Bought),
                ] {
                    let moved = store.transition(key, from, to, None, at(101)).await;
                    assert_eq!(moved, Ok(true), "seq {seq}");
                }
            }
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("task");
    }
    let journal = store.run_journal(owner, run).await.expect("journal");
    assert_eq!(journal.len(), (TASKS * PER_TASK) as usize);
    assert!(journal.iter().all(|e| e.status == JournalStatus::Bought));
}

/// Instances racing for the same entries: each entry is won by exactly one of them.
async fn only_one_racer_wins_each_entry(db: &TestDb) {
    const ENTRIES: u32 = 50;
    // Two stores are two instances with their own pools (on SQLite, their own connections to
    // the file).
    let first = db.store().await;
    let second = db.store().await;
    let owner = user(&first, "owner").await;
    let ops = vec![operation(1, CHANNEL, 10, 5); ENTRIES as usize];
    let run = first
        .begin_run(owner, &ops, at(100))
        .await
        .expect("begin run");
    let mut tasks = tokio::task::JoinSet::new();
    for racer in 0..8 {
        let store = if racer % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.spawn(async move {
            let mut won = Vec::new();
            for seq in 0..ENTRIES {
                let key = JournalKey { run_id: run, seq };
                if store
                    .transition(
                        key,
                        JournalStatus::Planned,
                        JournalStatus::Sending,
                        None,
                        at(1),
                    )
                    .await
                    .expect("transition")
                {
                    won.push(seq);
                }
            }
            won
        });
    }
    let mut winners = vec![0; ENTRIES as usize];
    while let Some(won) = tasks.join_next().await {
        for seq in won.expect("task") {
            winners[seq as usize] += 1;
        }
    }
    assert!(winners.iter().all(|&count| count == 1), "{winners:?}");
}

async fn out_of_range_numbers_are_refused_before_writing(db: &TestDb) {
    let store = db.store().await;
    let owner = user(&store, "owner").await;
    let mut bad = operation(1, CHANNEL, 10, u64::MAX);
    let error = store
        .begin_run(owner, &[operation(1, CHANNEL, 10, 5), bad], at(1))
        .await
        .expect_err("price above i64::MAX");
    assert!(
        matches!(&error, StoreError::Other(message) if message.contains("out of range")),
        "{error:?}"
    );
    assert_eq!(store.runs(owner, None, 10).await.expect("runs"), vec![]);
    bad.price = giftbuyer_core::Stars::new(5);
    bad.supply = u64::MAX;
    let run = store.begin_run(owner, &[], at(1)).await.expect("empty run");
    let key = JournalKey {
        run_id: run,
        seq: 0,
    };
    assert!(store.add_operation(owner, key, bad, at(1)).await.is_err());
    assert_eq!(
        store.run_journal(owner, run).await.expect("journal"),
        vec![]
    );
    // Error texts from Telegram are stored cleaned, whatever they hold.
    store
        .add_operation(owner, key, operation(1, CHANNEL, 10, 5), at(1))
        .await
        .expect("add");
    let hostile = format!("BAD\0{}", "x".repeat(10_000));
    let moved = store
        .transition(
            key,
            JournalStatus::Planned,
            JournalStatus::Failed,
            Some(&hostile),
            at(2),
        )
        .await;
    assert_eq!(moved, Ok(true));
    let entry = &store.run_journal(owner, run).await.expect("journal")[0];
    let error = entry.error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("BAD\u{fffd}x") && error.chars().count() == 200,
        "{error}"
    );
}

/// Runs and reports belong to the user who started them.
async fn reports_are_kept_per_run(db: &TestDb) {
    let store = db.store().await;
    let owner = user(&store, "owner").await;
    let run = store.begin_run(owner, &[], at(5)).await.expect("run");
    store
        .save_report(owner, run, "🧾 report\0".into(), at(6))
        .await
        .expect("save");
    let report = store
        .report(owner, run)
        .await
        .expect("report")
        .expect("some");
    assert_eq!(
        (report.text.as_str(), report.saved_at),
        ("🧾 report\u{fffd}", at(6))
    );
    let missing = store.save_report(owner, run + 100, "x".into(), at(7)).await;
    assert!(matches!(missing, Err(StoreError::Other(ref m)) if m.contains("run not found")));
}

on_every_backend!(
    journal_matches_the_memory_store,
    concurrent_writers_never_fail,
    only_one_racer_wins_each_entry,
    out_of_range_numbers_are_refused_before_writing,
    reports_are_kept_per_run,
);
