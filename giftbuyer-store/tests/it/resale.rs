//! The resale market's storage: watches scoped to their user, `bought` counted from the
//! journal, one live journal entry per user and slug (also between two instances racing on one
//! database), compare-and-set moves, crash recovery, and hostile strings and rows.

use giftbuyer_core::ports::{
    JournalStatus, NewWatch, ResaleEntry, ResaleEntryId, ResaleStore, ResaleWatchStore, StoreError,
    UserId, UserStore as _,
};
use giftbuyer_core::resale::{AttributeFilter, Recipient, ResaleWatch, SnipeBuy, WatchId};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars};
use giftbuyer_store::Store;

use crate::support::{TestDb, at, on_every_backend, user};

const CHANNEL: i64 = -1001234567890;

fn channel() -> Recipient {
    Recipient::Channel(ChannelId::new(CHANNEL).expect("channel"))
}

fn new_watch(gift: i64, copies: u32, recipient: Recipient) -> NewWatch {
    NewWatch {
        gift_id: GiftId::new(gift).expect("gift"),
        attributes: AttributeFilter::default(),
        max_price: Stars::new(500),
        recipient,
        copies,
    }
}

fn buy(watch: WatchId, slug: &str) -> SnipeBuy {
    SnipeBuy {
        watch_id: watch,
        account_id: AccountId::new(7).expect("account"),
        unique_id: 9_000,
        gift_id: GiftId::new(42).expect("gift"),
        slug: slug.to_owned(),
        price: Stars::new(300),
        recipient: channel(),
    }
}

fn watch_id(raw: i64) -> WatchId {
    WatchId::new(raw).expect("watch id")
}

async fn plan(store: &Store, owner: UserId, buy: &SnipeBuy) -> Option<ResaleEntryId> {
    store
        .plan_resale(owner, buy, at(100))
        .await
        .expect("plan resale")
}

async fn planned(store: &Store, owner: UserId, buy: &SnipeBuy) -> ResaleEntryId {
    plan(store, owner, buy).await.expect("planned")
}

async fn move_to(store: &Store, id: ResaleEntryId, from: JournalStatus, to: JournalStatus) {
    assert!(
        store
            .transition_resale(id, from, to, None, at(200))
            .await
            .expect("transition"),
        "{id}: {from:?} -> {to:?}"
    );
}

/// The watch's journal entries that count as bought, in `list_watches`.
async fn bought(store: &Store, owner: UserId, watch: WatchId) -> u32 {
    store
        .list_watches(owner)
        .await
        .expect("list")
        .into_iter()
        .find(|w| w.id == watch)
        .expect("watch listed")
        .bought
}

fn message(error: &StoreError) -> String {
    error.to_string()
}

async fn watches_round_trip_and_stay_with_their_user(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;

    let mut filtered = new_watch(42, 3, channel());
    filtered.attributes =
        AttributeFilter::new(Some("  Plush Pepe "), Some("Onyx Black"), None).expect("filter");
    let first = store.create_watch(alice, &filtered).await.expect("create");
    let second = store
        .create_watch(alice, &new_watch(43, 1, Recipient::Buyer))
        .await
        .expect("create");
    let friend = Recipient::User(
        giftbuyer_core::resale::TelegramUsername::new("@Gift_Friend").expect("username"),
    );
    let theirs = store
        .create_watch(bob, &new_watch(42, 2, friend))
        .await
        .expect("create");
    assert_eq!(theirs.recipient, friend, "a person by username round-trips");

    let expected = ResaleWatch::new(
        first.id.get(),
        42,
        filtered.attributes.clone(),
        Stars::new(500),
        channel(),
        3,
    )
    .expect("watch");
    assert_eq!(first, expected);
    assert_eq!(first.attributes.model(), Some("plush pepe"));
    assert!(first.id < second.id && second.id < theirs.id);
    assert_eq!(
        store.list_watches(alice).await.expect("list"),
        vec![first.clone(), second.clone()],
        "oldest first, read back exactly as created"
    );
    assert_eq!(
        store.list_watches(bob).await.expect("list"),
        vec![theirs.clone()]
    );

    // Every user's watches, oldest first per user.
    let all: Vec<(UserId, WatchId)> = store
        .resale_watches()
        .await
        .expect("all")
        .into_iter()
        .map(|w| (w.user_id, w.watch.id))
        .collect();
    assert_eq!(
        all,
        vec![(alice, first.id), (alice, second.id), (bob, theirs.id)]
    );

    // Bob cannot delete Alice's watch, and nothing of hers changes when he tries.
    assert!(!store.delete_watch(bob, first.id).await.expect("delete"));
    assert_eq!(store.list_watches(alice).await.expect("list").len(), 2);
    assert!(store.delete_watch(alice, first.id).await.expect("delete"));
    assert!(!store.delete_watch(alice, first.id).await.expect("again"));
    assert!(
        !store
            .delete_watch(alice, watch_id(999_999))
            .await
            .expect("missing")
    );
    assert_eq!(
        store.list_watches(alice).await.expect("list"),
        vec![second.clone()]
    );
    assert_eq!(
        store.list_watches(bob).await.expect("list"),
        vec![theirs.clone()]
    );

    // A watch needs an existing user, and the core's limits on copies.
    let nobody = UserId::new(999_999).expect("id");
    let error = store
        .create_watch(nobody, &new_watch(42, 1, Recipient::Buyer))
        .await
        .expect_err("no such user");
    assert!(message(&error).contains("user not found"), "{error}");
    for copies in [0, 101] {
        let error = store
            .create_watch(alice, &new_watch(42, copies, Recipient::Buyer))
            .await
            .expect_err("copies out of range");
        assert!(message(&error).contains("invalid copies"), "{error}");
    }
    let mut free = new_watch(42, 1, Recipient::Buyer);
    free.max_price = Stars::ZERO;
    let error = store.create_watch(alice, &free).await.expect_err("zero");
    assert!(message(&error).contains("invalid max_price"), "{error}");
    assert_eq!(store.list_watches(alice).await.expect("list").len(), 1);
    store.close().await;
}

async fn bought_counts_every_entry_that_may_have_bought(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Planned, Sending, Unknown};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let watch = store
        .create_watch(alice, &new_watch(42, 10, channel()))
        .await
        .expect("create")
        .id;
    let other = store
        .create_watch(alice, &new_watch(43, 10, channel()))
        .await
        .expect("create")
        .id;
    assert_eq!(bought(&store, alice, watch).await, 0);

    let _planned = planned(&store, alice, &buy(watch, "a-1")).await;
    let sending = planned(&store, alice, &buy(watch, "a-2")).await;
    move_to(&store, sending, Planned, Sending).await;
    let done = planned(&store, alice, &buy(watch, "a-3")).await;
    move_to(&store, done, Planned, Sending).await;
    move_to(&store, done, Sending, Bought).await;
    let unknown = planned(&store, alice, &buy(watch, "a-4")).await;
    move_to(&store, unknown, Planned, Sending).await;
    move_to(&store, unknown, Sending, Unknown).await;
    let cancelled = planned(&store, alice, &buy(watch, "a-5")).await;
    move_to(&store, cancelled, Planned, Failed).await;
    let refused = planned(&store, alice, &buy(watch, "a-6")).await;
    move_to(&store, refused, Planned, Sending).await;
    move_to(&store, refused, Sending, Failed).await;
    // Entries of another watch, and another user's entries that name this watch, are not its.
    planned(&store, alice, &buy(other, "b-1")).await;
    planned(&store, bob, &buy(watch, "c-1")).await;

    assert_eq!(bought(&store, alice, watch).await, 4);
    assert_eq!(bought(&store, alice, other).await, 1);
    let all: Vec<(UserId, WatchId, u32)> = store
        .resale_watches()
        .await
        .expect("all")
        .into_iter()
        .map(|w| (w.user_id, w.watch.id, w.watch.bought))
        .collect();
    assert_eq!(all, vec![(alice, watch, 4), (alice, other, 1)]);
    let watches = store.list_watches(alice).await.expect("list");
    assert_eq!(watches[0].wanted(), 6);

    // Deleting a watch keeps its journal: the money it spent stays on record.
    assert!(store.delete_watch(alice, watch).await.expect("delete"));
    let entries = store.resale_entries(alice, 100).await.expect("entries");
    assert_eq!(entries.len(), 7);
    assert_eq!(
        entries.iter().filter(|e| e.buy.watch_id == watch).count(),
        6
    );
    store.close().await;
}

async fn one_live_entry_per_user_and_slug(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Planned, Sending, Unknown};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let item = buy(watch_id(1), "PlushPepe-1");

    let first = planned(&store, alice, &item).await;
    assert_eq!(plan(&store, alice, &item).await, None);
    // Another account, price or watch does not make it another item: the slug does.
    let mut again = item.clone();
    again.account_id = AccountId::new(8).expect("account");
    again.price = Stars::new(1);
    again.watch_id = watch_id(2);
    assert_eq!(plan(&store, alice, &again).await, None);
    assert_eq!(
        store
            .resale_entries(alice, 10)
            .await
            .expect("entries")
            .len(),
        1
    );
    // Another user may plan the same listing.
    assert!(plan(&store, bob, &item).await.is_some());

    // Once the entry failed, the listing may be planned again, but only once more.
    move_to(&store, first, Planned, Failed).await;
    let second = planned(&store, alice, &item).await;
    assert_ne!(second, first);
    assert_eq!(plan(&store, alice, &item).await, None);
    // Neither a sending, a bought nor an unknown entry lets it be planned again.
    move_to(&store, second, Planned, Sending).await;
    assert_eq!(plan(&store, alice, &item).await, None);
    let bought_one = buy(watch_id(1), "PlushPepe-2");
    let bought_id = planned(&store, alice, &bought_one).await;
    move_to(&store, bought_id, Planned, Sending).await;
    move_to(&store, bought_id, Sending, Bought).await;
    assert_eq!(plan(&store, alice, &bought_one).await, None);
    move_to(&store, second, Sending, Unknown).await;
    assert_eq!(plan(&store, alice, &item).await, None);

    let statuses: Vec<(String, JournalStatus)> = store
        .resale_entries(alice, 10)
        .await
        .expect("entries")
        .into_iter()
        .map(|e| (e.buy.slug, e.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("PlushPepe-2".to_owned(), Bought),
            ("PlushPepe-1".to_owned(), Unknown),
            ("PlushPepe-1".to_owned(), Failed),
        ]
    );

    let nobody = UserId::new(999_999).expect("id");
    let error = store
        .plan_resale(nobody, &item, at(1))
        .await
        .expect_err("no such user");
    assert!(message(&error).contains("user not found"), "{error}");
    store.close().await;
}

async fn racing_instances_plan_a_listing_once(db: &TestDb) {
    const SLUGS: usize = 30;
    // Two stores are two instances with their own pools (on SQLite, their own connections to
    // the file).
    let first = db.store().await;
    let second = db.store().await;
    let owner = user(&first, "owner").await;
    let mut tasks = tokio::task::JoinSet::new();
    for racer in 0..8 {
        let store = if racer % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.spawn(async move {
            let mut won = Vec::new();
            for n in 0..SLUGS {
                let item = buy(watch_id(1), &format!("Race-{n}"));
                if store
                    .plan_resale(owner, &item, at(1))
                    .await
                    .expect("plan resale")
                    .is_some()
                {
                    won.push(n);
                }
            }
            won
        });
    }
    let mut winners = vec![0; SLUGS];
    while let Some(won) = tasks.join_next().await {
        for n in won.expect("task") {
            winners[n] += 1;
        }
    }
    assert!(winners.iter().all(|&count| count == 1), "{winners:?}");
    assert_eq!(
        second
            .resale_entries(owner, 100)
            .await
            .expect("entries")
            .len(),
        SLUGS
    );

    // Two calls at the same moment, one on each instance, for one new listing.
    let item = buy(watch_id(1), "Race-pair");
    let (a, b) = tokio::join!(
        first.plan_resale(owner, &item, at(2)),
        second.plan_resale(owner, &item, at(2)),
    );
    let ids = [a.expect("first"), b.expect("second")];
    assert_eq!(ids.iter().filter(|id| id.is_some()).count(), 1, "{ids:?}");
    first.close().await;
    second.close().await;
}

async fn transitions_are_compare_and_set(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Planned, Sending, Unknown};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let id = planned(&store, alice, &buy(watch_id(1), "Cas-1")).await;

    let step = |from, to, error: Option<&'static str>| {
        let store = store.clone();
        async move { store.transition_resale(id, from, to, error, at(300)).await }
    };
    assert_eq!(step(Planned, Sending, None).await, Ok(true));
    // The second caller of the same move loses: the entry is no longer planned.
    assert_eq!(step(Planned, Sending, None).await, Ok(false));
    assert_eq!(step(Sending, Failed, Some("FLOOD\0WAIT")).await, Ok(true));
    // A second outcome for the same sending entry is refused.
    assert_eq!(step(Sending, Bought, None).await, Ok(false));
    assert_eq!(step(Sending, Unknown, None).await, Ok(false));

    // Moves the journal forbids are errors, whatever the entry's state, before any write.
    for (from, to) in [
        (Failed, Planned),
        (Bought, Sending),
        (Planned, Bought),
        (Unknown, Sending),
        (Sending, Planned),
    ] {
        let error = step(from, to, None).await.expect_err("forbidden");
        assert!(
            message(&error).contains(&format!(
                "resale entry {id} cannot go from {} to {}",
                from.code(),
                to.code()
            )),
            "{error}"
        );
    }
    let entry = &store.resale_entries(alice, 1).await.expect("entries")[0];
    assert_eq!(entry.status, Failed);
    assert_eq!(entry.error.as_deref(), Some("FLOOD\u{fffd}WAIT"));
    assert_eq!(entry.updated_at, at(300));

    let missing = ResaleEntryId::new(id.get() + 1000).expect("id");
    let error = store
        .transition_resale(missing, Planned, Sending, None, at(1))
        .await
        .expect_err("unknown entry");
    assert!(
        message(&error).contains(&format!("resale entry {missing} not found")),
        "{error}"
    );
    store.close().await;
}

async fn recovery_closes_what_a_crash_left_open(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Planned, Sending, Unknown};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    for (owner, slug, path) in [
        (alice, "r-planned-1", &[][..]),
        (bob, "r-planned-2", &[][..]),
        (alice, "r-sending-1", &[Sending][..]),
        (alice, "r-sending-2", &[Sending][..]),
        (bob, "r-sending-3", &[Sending][..]),
        (alice, "r-bought", &[Sending, Bought][..]),
        (alice, "r-failed", &[Failed][..]),
    ] {
        let id = planned(&store, owner, &buy(watch_id(1), slug)).await;
        let mut from = Planned;
        for &to in path {
            move_to(&store, id, from, to).await;
            from = to;
        }
    }

    assert_eq!(store.recover_resale(at(900)).await, Ok((3, 2)));
    assert_eq!(store.recover_resale(at(901)).await, Ok((0, 0)));

    let mut after = Vec::new();
    for owner in [alice, bob] {
        for entry in store.resale_entries(owner, 100).await.expect("entries") {
            after.push((entry.buy.slug, entry.status, entry.error, entry.updated_at));
        }
    }
    after.sort_by(|a, b| a.0.cmp(&b.0));
    let row = |slug: &str, status, error: Option<&str>, secs| {
        (slug.to_owned(), status, error.map(str::to_owned), at(secs))
    };
    assert_eq!(
        after,
        vec![
            row("r-bought", Bought, None, 200),
            row("r-failed", Failed, None, 200),
            row("r-planned-1", Failed, Some("abandoned"), 900),
            row("r-planned-2", Failed, Some("abandoned"), 900),
            row("r-sending-1", Unknown, Some("interrupted"), 900),
            row("r-sending-2", Unknown, Some("interrupted"), 900),
            row("r-sending-3", Unknown, Some("interrupted"), 900),
        ]
    );
    // What was abandoned before sending may be planned again; what may have been bought not.
    assert!(
        plan(&store, alice, &buy(watch_id(1), "r-planned-1"))
            .await
            .is_some()
    );
    assert_eq!(
        plan(&store, alice, &buy(watch_id(1), "r-sending-1")).await,
        None
    );
    store.close().await;
}

async fn entries_come_newest_first_within_the_limit(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let mut expected = Vec::new();
    for n in 0..5_i64 {
        let mut item = buy(watch_id(n + 1), &format!("Entry-{n}"));
        item.unique_id = -n; // Stored as Telegram sent it.
        item.price = Stars::new(u64::try_from(n).expect("small") * 10 + 1);
        item.recipient = if n % 2 == 0 {
            channel()
        } else {
            Recipient::Buyer
        };
        let id = store
            .plan_resale(alice, &item, at(100 + n))
            .await
            .expect("plan")
            .expect("planned");
        expected.push(ResaleEntry {
            id,
            user_id: alice,
            buy: item,
            status: JournalStatus::Planned,
            error: None,
            updated_at: at(100 + n),
        });
    }
    planned(&store, bob, &buy(watch_id(1), "Entry-bob")).await;
    expected.reverse();

    assert_eq!(
        store.resale_entries(alice, 100).await.expect("all"),
        expected
    );
    assert_eq!(
        store.resale_entries(alice, 3).await.expect("three"),
        expected[..3]
    );
    assert!(
        store
            .resale_entries(alice, 0)
            .await
            .expect("none")
            .is_empty()
    );
    assert_eq!(store.resale_entries(bob, 100).await.expect("bob").len(), 1);
    let nobody = UserId::new(999_999).expect("id");
    assert!(
        store
            .resale_entries(nobody, 10)
            .await
            .expect("nobody")
            .is_empty()
    );
    store.close().await;
}

async fn hostile_strings_are_stored_or_refused(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    // The journal entries below name no watch of this user, so the watch at the end has
    // bought nothing.

    // Quotes, SQL and non-ASCII are bound as parameters and come back byte for byte.
    let quoted = "x'); DROP TABLE resale_journal; --\"`\\ 🎁 \u{202e}";
    let id = planned(&store, alice, &buy(watch_id(77), quoted)).await;
    assert_eq!(plan(&store, alice, &buy(watch_id(77), quoted)).await, None);
    let longest = "é".repeat(128);
    planned(&store, alice, &buy(watch_id(77), &longest)).await;

    // A slug that could not be journaled exactly as sent is refused, and nothing is recorded.
    for (slug, reason) in [
        ("a\0b".to_owned(), "must not contain NUL characters"),
        ("x".repeat(10_000), "must be at most 256 bytes, got 10000"),
        ("é".repeat(129), "must be at most 256 bytes, got 258"),
        (String::new(), "must not be empty"),
    ] {
        let error = store
            .plan_resale(alice, &buy(watch_id(77), &slug), at(1))
            .await
            .expect_err("refused slug");
        assert!(
            message(&error).contains(&format!("invalid slug: {reason}")),
            "{error}"
        );
    }

    // Error texts from Telegram are kept NUL-free and bounded, never refused.
    let long_error = format!("{}\0{}", "E".repeat(5), "R".repeat(10_000));
    assert!(
        store
            .transition_resale(
                id,
                JournalStatus::Planned,
                JournalStatus::Failed,
                Some(&long_error),
                at(5)
            )
            .await
            .expect("failed with a long error")
    );
    let entries = store.resale_entries(alice, 10).await.expect("entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].buy.slug, longest);
    assert_eq!(entries[1].buy.slug, quoted);
    let stored = entries[1].error.as_deref().expect("error kept");
    assert!(stored.starts_with("EEEEE\u{fffd}RRR"), "{stored}");
    assert_eq!(stored.chars().count(), 200);

    // Attribute names with quotes and non-ASCII are stored as the core normalised them.
    let mut watch = new_watch(42, 1, Recipient::Buyer);
    watch.attributes =
        AttributeFilter::new(Some("O'Brien\"; --"), Some("Ночь"), Some("🎁")).expect("filter");
    let created = store.create_watch(alice, &watch).await.expect("create");
    let listed = store.list_watches(alice).await.expect("list");
    assert_eq!(listed, vec![created.clone()]);
    assert_eq!(listed[0].attributes.model(), Some("o'brien\"; --"));
    assert_eq!(listed[0].attributes.backdrop(), Some("ночь"));

    let raw = db.raw().await;
    assert_eq!(raw.int("SELECT COUNT(*) FROM resale_journal").await, 2);
    raw.close().await;
    store.close().await;
}

async fn unreadable_rows_are_errors_not_panics(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    store
        .create_watch(alice, &new_watch(42, 1, channel()))
        .await
        .expect("create");
    planned(&store, alice, &buy(watch_id(1), "Corrupt-1")).await;
    let raw = db.raw().await;

    for (tamper, restore) in [
        (
            "UPDATE resale_watches SET copies = 0",
            "UPDATE resale_watches SET copies = 1",
        ),
        (
            "UPDATE resale_watches SET channel_id = 5",
            "UPDATE resale_watches SET channel_id = -1001234567890",
        ),
        (
            "UPDATE resale_watches SET max_price = -1",
            "UPDATE resale_watches SET max_price = 500",
        ),
        (
            "UPDATE resale_watches SET model = ''",
            "UPDATE resale_watches SET model = NULL",
        ),
    ] {
        raw.execute(tamper).await;
        for error in [
            store.list_watches(alice).await.expect_err(tamper),
            store.resale_watches().await.expect_err(tamper),
        ] {
            assert!(
                message(&error).contains("is unreadable"),
                "{tamper}: {error}"
            );
        }
        raw.execute(restore).await;
        assert_eq!(store.list_watches(alice).await.expect("restored").len(), 1);
    }

    for tamper in [
        "UPDATE resale_journal SET gift_id = 0",
        "UPDATE resale_journal SET price = -5, gift_id = 42",
        "UPDATE resale_journal SET watch_id = -1, price = 300",
    ] {
        raw.execute(tamper).await;
        let error = store.resale_entries(alice, 10).await.expect_err(tamper);
        assert!(
            message(&error).contains("is unreadable"),
            "{tamper}: {error}"
        );
    }
    raw.close().await;
    store.close().await;
}

async fn a_deleted_user_takes_watches_and_entries_along(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let watch = store
        .create_watch(alice, &new_watch(42, 1, channel()))
        .await
        .expect("create");
    planned(&store, alice, &buy(watch.id, "Gone-1")).await;
    planned(&store, bob, &buy(watch.id, "Gone-1")).await;
    assert!(store.delete_user(alice).await.expect("delete user"));
    let raw = db.raw().await;
    assert_eq!(raw.int("SELECT COUNT(*) FROM resale_watches").await, 0);
    assert_eq!(raw.int("SELECT COUNT(*) FROM resale_journal").await, 1);
    raw.close().await;
    assert_eq!(store.resale_entries(bob, 10).await.expect("bob").len(), 1);
    store.close().await;
}

on_every_backend!(
    watches_round_trip_and_stay_with_their_user,
    bought_counts_every_entry_that_may_have_bought,
    one_live_entry_per_user_and_slug,
    racing_instances_plan_a_listing_once,
    transitions_are_compare_and_set,
    recovery_closes_what_a_crash_left_open,
    entries_come_newest_first_within_the_limit,
    hostile_strings_are_stored_or_refused,
    unreadable_rows_are_errors_not_panics,
    a_deleted_user_takes_watches_and_entries_along,
);
