//! Engine behaviour: seeding, buying with a journal, failures, notifications, reloads, polling.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{
    BotError, ChatId, EngineStore, EventFeed, EventSubscription, JournalStatus, Lagged, LiveEvent,
    TelegramError, UserConfig, UserId, UserSettings,
};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{Bounds, ChannelId, GiftId, Recipient, Target, TargetFilter, TargetRowId};
use giftbuyer_engine::{
    Engine, EngineConfig, EngineEvent, MemoryStore, PollOutcome, TokioClock, spawn_supervised,
};

use crate::fake::{BuyScript, Fake, limited, unix};

pub(crate) struct Harness {
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) fake: Fake,
    pub(crate) engine: Arc<Engine>,
}

fn channel(row: i64, suffix: i64, supply_max: Option<u64>) -> Target {
    Target {
        exclude: giftbuyer_core::ExcludeList::EMPTY,
        row_id: TargetRowId::new(row).expect("valid row"),
        recipient: Recipient::Channel(ChannelId::from_mtproto(suffix).expect("valid channel")),
        filter: TargetFilter {
            price: Bounds::UNBOUNDED,
            supply: Bounds::new(None, supply_max, "supply").expect("valid bounds"),
        },
        title: None,
    }
}

/// A recipient as the journal lines show it: a channel by its MTProto id, `self`, or `@name`.
pub(crate) fn short_recipient(recipient: Recipient) -> String {
    match recipient {
        Recipient::Channel(channel) => channel.mtproto_id().to_string(),
        other => other.to_string(),
    }
}

pub(crate) fn user(id: i64, accounts: &[i64]) -> UserConfig {
    UserConfig {
        user_id: UserId::new(id).expect("valid user"),
        settings: UserSettings {
            priority: giftbuyer_core::Priority::ScarcestFirst,
            autobuy: true,
            notification_chats: vec![ChatId::new(-100_500).expect("valid chat")],
            report_lang: Lang::En,
            forced_target: None,
        },
        accounts: accounts
            .iter()
            .map(|&id| giftbuyer_core::AccountId::new(id).expect("valid account"))
            .collect(),
        targets: vec![channel(1, 111, Some(10_000)), channel(2, 222, None)],
    }
}

pub(crate) fn harness(config: EngineConfig, users: Vec<UserConfig>) -> Harness {
    let clock = Arc::new(TokioClock::starting_at(unix(1_764_000_000)));
    let store = Arc::new(MemoryStore::new());
    store.set_users(users);
    let fake = Fake::new(clock.clone());
    let engine = Arc::new(Engine::new(
        store.clone(),
        Arc::new(fake.clone()),
        clock,
        config,
    ));
    Harness {
        store,
        fake,
        engine,
    }
}

/// A user with two accounts and a catalog already seeded with one old gift.
pub(crate) async fn seeded() -> Harness {
    let h = harness(EngineConfig::default(), vec![user(1, &[11, 12])]);
    h.fake.add_account(11, 100, true);
    h.fake.add_account(12, 60, false);
    h.fake.set_catalog(vec![limited(1, 10, 100, 50)]);
    let report = h.engine.tick().await.expect("tick");
    assert_eq!(report.outcome, PollOutcome::Seeded { gifts: 1 });
    h
}

pub(crate) fn statuses(store: &MemoryStore) -> Vec<String> {
    store
        .journal()
        .iter()
        .map(|entry| {
            let mut line = format!(
                "seq={} acc={} gift={} ch={} {}",
                entry.key.seq,
                entry.operation.account_id,
                entry.operation.gift_id,
                short_recipient(entry.operation.recipient),
                entry.status.code()
            );
            if let Some(error) = &entry.error {
                line.push_str(&format!(" ({error})"));
            }
            line
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_first_catalog_only_seeds_the_known_gifts() {
    let h = seeded().await;
    assert!(h.fake.state().buys.is_empty());
    assert_eq!(h.store.known_gifts().len(), 1);
    // The second account has no hash yet, so it reads the whole catalog: nothing is new.
    // Each account then keeps its own hash, and the same catalog is not modified.
    assert_eq!(
        h.engine.tick().await.expect("tick").outcome,
        PollOutcome::Updated
    );
    for _ in 0..2 {
        assert_eq!(
            h.engine.tick().await.expect("tick").outcome,
            PollOutcome::NotModified
        );
    }
    assert!(h.store.journal().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_new_gift_is_planned_journaled_bought_and_reported() {
    let h = seeded().await;
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(7, 25, 1000, 1000)]);
    let report = h.engine.tick().await.expect("tick");
    let PollOutcome::NewGifts { gifts, runs } = report.outcome else {
        panic!("expected new gifts, got {report:?}");
    };
    assert_eq!(gifts.len(), 1);
    assert_eq!(runs, [UserId::new(1).expect("valid")]);
    h.engine.settle().await;

    // Account 11 (100 stars) buys 4 copies, account 12 (60 stars) buys 2, on the narrowest
    // channel that accepts a supply of 1000.
    let bought = h.fake.state().bought.clone();
    assert_eq!(bought.len(), 6);
    assert!(
        bought
            .iter()
            .all(|(_, gift, ch)| gift.get() == 7 && short_recipient(*ch) == "111")
    );
    let journal = statuses(&h.store);
    assert_eq!(journal.len(), 6);
    assert!(
        journal.iter().all(|line| line.ends_with("bought")),
        "{journal:#?}"
    );

    let reports = h.store.reports();
    assert_eq!(reports.len(), 1);
    assert!(
        reports[0].2.contains("📊 New: 1 | Bought: 1 | Skipped: 0"),
        "{}",
        reports[0].2
    );
    let state = h.fake.state();
    // The report goes to both accounts' DMs; the notification chat gets a sticker and a text.
    let report_chats: Vec<i64> = state
        .messages
        .iter()
        .filter(|(_, text)| text.starts_with("🧾"))
        .map(|(chat, _)| chat.get())
        .collect();
    assert_eq!(report_chats, [11, 12]);
    assert_eq!(
        state.stickers,
        [(
            ChatId::new(-100_500).expect("chat"),
            giftbuyer_core::GiftId::new(7).expect("gift")
        )]
    );
    assert!(
        state
            .messages
            .iter()
            .any(|(chat, text)| chat.get() == -100_500 && text.starts_with("🎁 New gift 7"))
    );
}

#[tokio::test(start_paused = true)]
async fn sold_out_stops_the_gift_and_the_journal_says_why() {
    let h = seeded().await;
    let first = giftbuyer_core::AccountId::new(11).expect("valid");
    h.fake
        .state()
        .buy_scripts
        .insert(first, [BuyScript::Fail(TelegramError::GiftSoldOut)].into());
    let mut events = h.engine.subscribe();
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(7, 25, 1000, 3)]);
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;

    // Three copies were left, all planned for account 11; the first answer says sold out, so
    // the other two are never sent.
    assert_eq!(h.fake.state().buys.len(), 1);
    expect_test::expect![[r#"
        [
            "seq=0 acc=11 gift=7 ch=111 failed (STARGIFT_USAGE_LIMITED)",
            "seq=1 acc=11 gift=7 ch=111 failed (STARGIFT_USAGE_LIMITED)",
            "seq=2 acc=11 gift=7 ch=111 failed (STARGIFT_USAGE_LIMITED)",
        ]
    "#]]
    .assert_debug_eq(&statuses(&h.store));
    let mut finished = None;
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::RunFinished(summary) = event {
            finished = Some(summary);
        }
    }
    let summary = finished.expect("the run finished");
    assert_eq!(
        (summary.bought, summary.failed, summary.stars_spent),
        (0, 3, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_purchase_without_an_answer_is_unknown_and_never_resent() {
    let h = seeded().await;
    let first = giftbuyer_core::AccountId::new(11).expect("valid");
    h.fake
        .state()
        .buy_scripts
        .insert(first, [BuyScript::Hang { executed: true }].into());
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(7, 50, 1000, 1)]);
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;

    assert_eq!(h.fake.state().buys.len(), 1);
    assert_eq!(
        statuses(&h.store),
        ["seq=0 acc=11 gift=7 ch=111 unknown (timeout)"]
    );
    // Later polls do not send it again: the gift is known now.
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;
    assert_eq!(h.fake.state().buys.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_crash_while_sending_leaves_unknown_entries_after_recovery() {
    let h = seeded().await;
    let first = giftbuyer_core::AccountId::new(11).expect("valid");
    h.fake
        .state()
        .buy_scripts
        .insert(first, [BuyScript::Hang { executed: false }].into());
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(7, 50, 1000, 2)]);
    h.engine.tick().await.expect("tick");
    // Let the run reach the hanging purchase, then "crash": drop every task mid-flight.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let buys_before_crash = h.fake.state().buys.len();
    drop(h.engine);

    let clock = Arc::new(TokioClock::starting_at(unix(1_764_000_100)));
    let restarted = Engine::new(
        h.store.clone(),
        Arc::new(h.fake.clone()),
        clock,
        EngineConfig::default(),
    );
    assert_eq!(restarted.recover().await.expect("recover"), 2);
    assert_eq!(
        statuses(&h.store),
        [
            "seq=0 acc=11 gift=7 ch=111 unknown (interrupted)",
            "seq=1 acc=11 gift=7 ch=111 failed (abandoned)",
        ]
    );
    assert_eq!(buys_before_crash, 1);
    // Recovery never sends anything, and neither does polling the same catalog again.
    restarted.tick().await.expect("tick");
    restarted.settle().await;
    assert_eq!(h.fake.state().buys.len(), 1);
    // Recording the same transition again is refused by the journal's compare-and-set.
    let key = h.store.journal()[0].key;
    let moved = h
        .store
        .transition(
            key,
            JournalStatus::Planned,
            JournalStatus::Sending,
            None,
            unix(0),
        )
        .await
        .expect("transition");
    assert!(!moved);
}

#[tokio::test(start_paused = true)]
async fn a_failing_bot_never_blocks_buying() {
    let h = seeded().await;
    h.fake.state().bot_error = Some(BotError::Blocked);
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(7, 25, 1000, 1000)]);
    let mut events = h.engine.subscribe();
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;
    assert_eq!(h.fake.state().bought.len(), 6);
    assert!(h.fake.state().messages.is_empty());
    assert_eq!(h.store.reports().len(), 1);
    // What did not reach its chat is on record: the report, once per account's chat, and the
    // new gift's sticker and text in the notification chat.
    let mut failed = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::DeliveryFailed { chat, what, .. } = event {
            failed.push((chat.get(), what));
        }
    }
    failed.sort_unstable();
    assert_eq!(
        failed,
        [
            (-100_500, "the new gift's sticker"),
            (-100_500, "the new-gift notification"),
            (11, "the run's report"),
            (12, "the run's report"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn accounts_are_reloaded_on_request_and_after_the_ttl() {
    let h = seeded().await;
    let polled = |h: &Harness| -> Vec<i64> {
        h.fake
            .state()
            .polls
            .iter()
            .map(|(account, _)| account.get())
            .collect()
    };
    h.engine.tick().await.expect("tick");
    assert_eq!(polled(&h), [11, 12]);

    // A third account appears in the store; it is used once the engine reloads.
    h.fake.add_account(13, 0, false);
    h.store.set_users(vec![user(1, &[11, 12, 13])]);
    h.engine.tick().await.expect("tick");
    assert_eq!(polled(&h), [11, 12, 11]);
    h.engine.request_reload();
    h.engine.tick().await.expect("tick");
    h.engine.tick().await.expect("tick");
    assert_eq!(polled(&h), [11, 12, 11, 12, 13]);

    // Without a request, the TTL (60 s) brings the next change in.
    h.store.set_users(vec![user(1, &[13])]);
    h.engine.tick().await.expect("tick");
    assert_eq!(polled(&h).last(), Some(&11));
    tokio::time::sleep(Duration::from_secs(61)).await;
    h.engine.tick().await.expect("tick");
    assert_eq!(polled(&h).last(), Some(&13));
}

#[tokio::test(start_paused = true)]
async fn a_flood_wait_on_polling_benches_that_account_only() {
    let h = seeded().await;
    let second = giftbuyer_core::AccountId::new(12).expect("valid");
    h.fake
        .state()
        .catalog_errors
        .insert(second, [TelegramError::FloodWait { seconds: 30 }].into());
    assert_eq!(
        h.engine.tick().await.expect("tick").outcome,
        PollOutcome::FloodWait { seconds: 30 }
    );
    for _ in 0..3 {
        let report = h.engine.tick().await.expect("tick");
        assert_eq!(report.poller.map(|a| a.get()), Some(11));
    }
    tokio::time::sleep(Duration::from_secs(31)).await;
    let mut pollers = Vec::new();
    for _ in 0..2 {
        let report = h.engine.tick().await.expect("tick");
        pollers.extend(report.poller.map(|a| a.get()));
    }
    pollers.sort_unstable();
    assert_eq!(
        pollers,
        [11, 12],
        "both accounts poll again once the wait is over"
    );
}

#[tokio::test(start_paused = true)]
async fn polls_are_staggered_across_accounts() {
    let config = EngineConfig {
        poll_interval: Duration::from_secs(2),
        ..EngineConfig::default()
    };
    let h = harness(config, vec![user(1, &[11, 12, 13, 14])]);
    for id in 11..=14 {
        h.fake.add_account(id, 0, false);
    }
    h.fake.set_catalog(vec![limited(1, 10, 100, 50)]);
    let engine = h.engine.clone();
    let handle = spawn_supervised(engine, Duration::from_secs(1));
    tokio::time::sleep(Duration::from_secs(10)).await;
    handle.shutdown().await;
    let polls = h.fake.state().polls.clone();
    // Four accounts at a 2 s interval: one poll every 0.5 s (plus each poll's 50 ms round
    // trip), and each account polls only every 2 s or so.
    assert!((17..=20).contains(&polls.len()), "{} polls", polls.len());
    let gaps: Vec<Duration> = polls.windows(2).map(|w| w[1].1 - w[0].1).collect();
    assert!(
        gaps.iter()
            .all(|gap| *gap >= Duration::from_millis(500) && *gap < Duration::from_millis(600)),
        "{gaps:?}"
    );
    let accounts: Vec<i64> = polls.iter().take(8).map(|(a, _)| a.get()).collect();
    assert_eq!(accounts, [11, 12, 13, 14, 11, 12, 13, 14]);
}

#[tokio::test(start_paused = true)]
async fn a_crashed_engine_task_is_restarted() {
    let h = harness(EngineConfig::default(), vec![user(1, &[11])]);
    h.fake.add_account(11, 0, false);
    h.fake.set_catalog(vec![limited(1, 10, 100, 50)]);
    h.fake.state().panic_next_connect = true;
    let handle = spawn_supervised(h.engine.clone(), Duration::from_secs(1));
    tokio::time::sleep(Duration::from_secs(5)).await;
    handle.shutdown().await;
    // The first poll crashed the task; after the restart polling went on.
    assert!(
        h.fake.state().polls.len() >= 3,
        "{:?}",
        h.fake.state().polls
    );
    assert_eq!(h.store.known_gifts().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_sequential_baseline_waits_between_calls_and_ignores_sold_out() {
    let h = harness(EngineConfig::sequential(), vec![user(1, &[11])]);
    let account = h.fake.add_account(11, 1000, true);
    h.fake.set_catalog(vec![limited(1, 10, 100, 50)]);
    h.engine.tick().await.expect("tick");
    h.fake.state().buy_scripts.insert(
        account,
        [
            BuyScript::Fail(TelegramError::GiftSoldOut),
            BuyScript::Fail(TelegramError::GiftSoldOut),
        ]
        .into(),
    );
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(7, 100, 1000, 3)]);
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;
    let buys = h.fake.state().buys.clone();
    assert_eq!(buys.len(), 3);
    for pair in buys.windows(2) {
        assert!(pair[1].3 - pair[0].3 >= Duration::from_millis(700));
    }
}

#[tokio::test(start_paused = true)]
async fn balances_are_refreshed_in_the_background_while_polling() {
    let h = seeded().await;
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;
    let first = giftbuyer_core::AccountId::new(11).expect("valid");
    let second = giftbuyer_core::AccountId::new(12).expect("valid");
    let (account, _) = h.store.account_state(first).expect("refreshed");
    assert_eq!((account.balance.get(), account.premium), (100, true));
    let (account, refreshed_at) = h.store.account_state(second).expect("refreshed");
    assert_eq!((account.balance.get(), account.premium), (60, false));

    // A balance change shows up after half of `balance_max_age` (30 s by default).
    h.fake.state().balances.insert(second, 5);
    tokio::time::sleep(Duration::from_secs(31)).await;
    for _ in 0..2 {
        h.engine.tick().await.expect("tick");
    }
    h.engine.settle().await;
    let (account, later) = h.store.account_state(second).expect("refreshed");
    assert_eq!(account.balance.get(), 5);
    assert!(later > refreshed_at);
}

#[tokio::test(start_paused = true)]
async fn purchases_of_an_account_that_cannot_connect_are_journaled_as_failed() {
    let h = seeded().await;
    // Account 12's session is gone by the time the drop comes: the connector refuses it.
    let second = giftbuyer_core::AccountId::new(12).expect("valid");
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;
    h.fake.state().balances.remove(&second);
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(7, 25, 1000, 1000)]);
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;
    let journal = statuses(&h.store);
    let failed: Vec<&String> = journal
        .iter()
        .filter(|line| line.contains("acc=12"))
        .collect();
    assert_eq!(failed.len(), 2, "{journal:#?}");
    assert!(
        failed
            .iter()
            .all(|line| line.ends_with("failed (account_unavailable)")),
        "{journal:#?}"
    );
    assert!(
        h.fake
            .state()
            .buys
            .iter()
            .all(|(account, ..)| *account != second)
    );
}

/// Everything a live subscription has received so far, waiting at most a second of virtual
/// time for each next event.
async fn drain(subscription: &mut dyn EventSubscription) -> Vec<LiveEvent> {
    let mut events = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_secs(1), subscription.next()).await
    {
        events.push(event.expect("no lag"));
    }
    events
}

#[tokio::test(start_paused = true)]
async fn the_engine_feeds_live_events_without_its_internal_ones() {
    let h = harness(EngineConfig::default(), vec![user(1, &[11, 12])]);
    h.fake.add_account(11, 100, true);
    h.fake.add_account(12, 60, false);
    let mut live = EventFeed::subscribe(h.engine.as_ref());
    h.fake.set_catalog(vec![limited(1, 10, 100, 50)]);
    h.engine.tick().await.expect("tick");
    // The seeding poll's `CatalogReceived` is internal; only the seeding itself shows.
    assert_eq!(drain(live.as_mut()).await, [LiveEvent::CatalogUpdated]);

    let first = giftbuyer_core::AccountId::new(11).expect("valid");
    h.fake
        .state()
        .buy_scripts
        .insert(first, [BuyScript::Fail(TelegramError::GiftSoldOut)].into());
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(7, 25, 1000, 3)]);
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;
    let events = drain(live.as_mut()).await;
    let gift = GiftId::new(7).expect("valid");
    let user_id = UserId::new(1).expect("valid");
    assert_eq!(
        events.first(),
        Some(&LiveEvent::NewGifts { gifts: vec![gift] })
    );
    assert!(
        events.contains(&LiveEvent::Purchase {
            user: user_id,
            account: first,
            gift,
            recipient: Recipient::Channel(ChannelId::from_mtproto(111).expect("valid channel")),
            outcome: "STARGIFT_USAGE_LIMITED".to_owned(),
        }),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(LiveEvent::RunFinished { user, .. }) if *user == user_id),
        "{events:?}"
    );
    assert!(events.iter().all(|event| match event {
        LiveEvent::Purchase { user, .. } | LiveEvent::RunFinished { user, .. } => *user == user_id,
        _ => true,
    }));
}

#[tokio::test(start_paused = true)]
async fn a_slow_live_subscriber_is_told_it_lagged() {
    let h = seeded().await;
    let mut live = EventFeed::subscribe(h.engine.as_ref());
    // The broadcast keeps 4096 events; each poll that reads a changed catalog publishes an
    // internal `CatalogReceived`, which still takes a slot, so enough of them overflow it.
    for i in 0..4200 {
        h.fake.set_catalog(vec![limited(1, 10, 100, 40 + i % 2)]);
        h.engine.tick().await.expect("tick");
    }
    let first = tokio::time::timeout(Duration::from_secs(1), live.next())
        .await
        .expect("an event")
        .expect("open");
    assert!(
        matches!(first, Err(Lagged { missed }) if missed > 0),
        "{first:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn changes_of_copies_left_are_announced_once_per_change() {
    let h = harness(EngineConfig::default(), vec![user(1, &[11])]);
    h.fake.add_account(11, 100, true);
    let mut live = EventFeed::subscribe(h.engine.as_ref());
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(2, 10, 100, 9)]);
    h.engine.tick().await.expect("tick");
    assert_eq!(drain(live.as_mut()).await, [LiveEvent::CatalogUpdated]);

    h.fake
        .set_catalog(vec![limited(1, 10, 100, 42), limited(2, 10, 100, 9)]);
    h.engine.tick().await.expect("tick");
    let gift = GiftId::new(1).expect("valid");
    assert_eq!(
        drain(live.as_mut()).await,
        [LiveEvent::Remaining {
            gifts: vec![(gift, 42)]
        }]
    );

    // The same counts again announce nothing.
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 42), limited(2, 10, 100, 9)]);
    h.engine.tick().await.expect("tick");
    assert_eq!(drain(live.as_mut()).await, []);
}

#[tokio::test(start_paused = true)]
async fn each_account_keeps_its_own_limits_and_locks() {
    use giftbuyer_core::ports::AccountCatalogs as _;
    let h = harness(EngineConfig::default(), vec![user(1, &[11, 12])]);
    h.fake.add_account(11, 100, true);
    h.fake.add_account(12, 100, true);
    let first = giftbuyer_core::AccountId::new(11).expect("valid");
    let second = giftbuyer_core::AccountId::new(12).expect("valid");
    let mut capped = limited(1, 10, 100, 50);
    capped.per_user_remains = Some(2);
    let mut locked = limited(2, 10, 100, 50);
    locked.locks.insert(second, unix(9_999_999));
    h.fake
        .set_catalog(vec![capped, locked, limited(3, 10, 100, 50)]);
    assert!(h.engine.account_gifts(&[first, second]).is_empty());

    // Each tick polls through the next account; two ticks cover both.
    h.engine.tick().await.expect("tick");
    tokio::time::advance(Duration::from_secs(5)).await;
    h.engine.tick().await.expect("tick");

    let mut seen: Vec<_> = h
        .engine
        .account_gifts(&[first, second])
        .into_iter()
        .map(|entry| {
            (
                entry.account.get(),
                entry.gift.get(),
                entry.per_user_remains,
                entry.locked_until.map(|at| at.secs()),
            )
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            (11, 1, Some(2), None),
            (12, 1, Some(2), None),
            (12, 2, None, Some(9_999_999)),
        ]
    );
    // Only the accounts asked for are answered.
    assert!(
        h.engine
            .account_gifts(&[first])
            .iter()
            .all(|entry| entry.account == first)
    );
}

#[tokio::test(start_paused = true)]
async fn a_revoked_session_is_forgotten_and_its_owner_told_once() {
    let h = harness(EngineConfig::default(), vec![user(1, &[11, 12])]);
    h.fake.add_account(11, 100, true);
    h.fake.add_account(12, 100, true);
    let revoked = giftbuyer_core::AccountId::new(11).expect("valid");
    h.fake.state().catalog_errors.insert(
        revoked,
        [
            TelegramError::AuthKeyUnregistered,
            TelegramError::AuthKeyUnregistered,
        ]
        .into(),
    );
    h.fake.set_catalog(vec![limited(1, 10, 100, 50)]);
    let mut live = EventFeed::subscribe(h.engine.as_ref());

    // The first poll goes through account 11 and finds its session revoked.
    let report = h.engine.tick().await.expect("tick");
    assert_eq!(report.poller, Some(revoked));
    h.engine.settle().await;
    let owner = UserId::new(1).expect("valid");
    assert!(
        drain(live.as_mut())
            .await
            .contains(&LiveEvent::SessionRevoked {
                user: owner,
                account: revoked,
            })
    );
    let users = EngineStore::users(h.store.as_ref()).await.expect("users");
    assert_eq!(
        users[0].accounts,
        [giftbuyer_core::AccountId::new(12).expect("valid")],
        "the session is forgotten, so the account is no longer loaded"
    );
    let notices: Vec<String> = h
        .fake
        .state()
        .messages
        .iter()
        .filter(|(_, text)| text.contains("AUTH_KEY_UNREGISTERED"))
        .map(|(chat, text)| format!("{chat}: {text}"))
        .collect();
    assert_eq!(
        notices,
        [
            "-100500: Telegram ended the session of account 11 (AUTH_KEY_UNREGISTERED): it no longer buys. Log it in again in the panel."
        ]
    );

    // Seeing the error again (a purchase, a refresh) tells nobody twice.
    assert_eq!(h.store.forget_session(revoked).await.expect("forget"), None);
    // The reload that the revocation asked for drops the account from polling.
    for _ in 0..4 {
        tokio::time::advance(Duration::from_secs(5)).await;
        let report = h.engine.tick().await.expect("tick");
        assert_ne!(report.poller, Some(revoked));
    }
    h.engine.settle().await;
    let notices = h
        .fake
        .state()
        .messages
        .iter()
        .filter(|(_, text)| text.contains("AUTH_KEY_UNREGISTERED"))
        .count();
    assert_eq!(notices, 1);
}

#[tokio::test(start_paused = true)]
async fn polls_are_counted_and_new_gifts_carry_their_detection_window() {
    let h = harness(EngineConfig::default(), vec![user(1, &[11])]);
    h.fake.add_account(11, 100, true);
    let mut events = h.engine.subscribe();
    h.fake.set_catalog(vec![limited(1, 10, 100, 50)]);
    h.engine.tick().await.expect("seed");
    tokio::time::advance(Duration::from_secs(2)).await;
    h.engine.tick().await.expect("not modified");
    let account = giftbuyer_core::AccountId::new(11).expect("valid");
    h.fake
        .state()
        .catalog_errors
        .insert(account, [TelegramError::Timeout].into());
    tokio::time::advance(Duration::from_secs(2)).await;
    h.engine.tick().await.expect("failed");
    assert_eq!(
        h.engine.poll_stats(),
        giftbuyer_engine::PollStats {
            changed: 1,
            not_modified: 1,
            failed: 1,
        }
    );

    // A drop three seconds after the last answered poll: detected within those three seconds.
    tokio::time::advance(Duration::from_secs(30)).await;
    h.fake
        .set_catalog(vec![limited(1, 10, 100, 50), limited(2, 10, 100, 50)]);
    let report = h.engine.tick().await.expect("drop");
    assert!(
        matches!(report.outcome, PollOutcome::NewGifts { .. }),
        "{report:?}"
    );
    let window = std::iter::from_fn(|| events.try_recv().ok()).find_map(|event| match event {
        EngineEvent::NewGifts {
            detection_window, ..
        } => Some(detection_window),
        _ => None,
    });
    // The failed poll does not count as an answer: the window runs from the not-modified one
    // (32 s of waiting, plus the fake's call times).
    let window = window.flatten().expect("a window");
    assert!(
        (Duration::from_secs(32)..Duration::from_secs(33)).contains(&window),
        "{window:?}"
    );
    assert_eq!(h.engine.poll_stats().changed, 2);
}

/// The user's priority and exclude lists reach the plan: with `priciest_first` the stars go to
/// the expensive gift before the rarer cheap one, and the birthday gift skips the channel that
/// excludes birthday gifts for the next one. A forced target that names that channel keeps its
/// exclude list: the other user buys only the gift that is not a birthday gift there.
#[tokio::test(start_paused = true)]
async fn the_users_priority_and_exclude_lists_reach_the_plan() {
    let mut config = user(1, &[11, 12]);
    config.settings.priority = giftbuyer_core::Priority::PriciestFirst;
    config.targets[0].exclude =
        giftbuyer_core::ExcludeList::new([], [giftbuyer_core::GiftKind::Birthday]).expect("valid");
    let mut forced = user(2, &[13]);
    forced.settings.forced_target = config.targets[0].recipient.channel();
    forced.targets = config.targets.clone();
    let h = harness(EngineConfig::default(), vec![config, forced]);
    h.fake.add_account(11, 100, true);
    h.fake.add_account(12, 60, false);
    h.fake.add_account(13, 10_000, true);
    h.fake.set_catalog(vec![limited(1, 10, 100, 50)]);
    h.engine.tick().await.expect("seed");
    let cake = giftbuyer_core::CatalogGift {
        birthday: true,
        ..limited(8, 50, 5000, 100)
    };
    h.fake.set_catalog(vec![
        limited(1, 10, 100, 50),
        limited(7, 30, 100, 100),
        cake,
    ]);
    h.engine.tick().await.expect("tick");
    h.engine.settle().await;
    let mut bought: Vec<(i64, i64, i64)> = h
        .fake
        .state()
        .bought
        .iter()
        .map(|(account, gift, ch)| {
            let ch = ch.channel().expect("every target here is a channel");
            (account.get(), gift.get(), ch.mtproto_id())
        })
        .collect();
    bought.sort_unstable();
    let (forced, own): (Vec<_>, Vec<_>) = bought.iter().partition(|(account, ..)| *account == 13);
    assert_eq!(own, [&(11, 8, 222), &(11, 8, 222), &(12, 8, 222)]);
    // 10 000 stars buy all 100 copies of the 30-star gift and would buy the birthday gift too,
    // but the forced target excludes it.
    assert_eq!(forced.len(), 100);
    assert!(
        forced.iter().all(|&&entry| entry == (13, 7, 111)),
        "{forced:?}"
    );
}
