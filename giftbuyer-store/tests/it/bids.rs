//! Gift auctions' storage: plans and budgets scoped to their user, the bid journal's rules
//! (a plan's maximum, one live entry per total, no bid while another is open; also between two
//! instances racing on one database), chains and what they commit, compare-and-set moves,
//! crash recovery, and unreadable rows.

use giftbuyer_core::bidding::{AuctionPlan, AuctionPlanId};
use giftbuyer_core::ports::{
    AuctionPlanStore, BidEntry, BidEntryId, BidStore, JournalStatus, NewAuctionPlan, PlannedBid,
    StoreError, UserAuctionPlan, UserId, UserStore as _,
};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars};
use giftbuyer_store::Store;

use crate::support::{TestDb, at, on_every_backend, user};

const CHANNEL: i64 = -1001234567890;
const GIFT: i64 = 42;

fn channel() -> Recipient {
    Recipient::Channel(ChannelId::new(CHANNEL).expect("channel"))
}

fn new_plan(gift: i64, max_bid: u64, wanted: u32) -> NewAuctionPlan {
    NewAuctionPlan {
        gift_id: GiftId::new(gift).expect("gift"),
        max_bid: Stars::new(max_bid),
        recipient: channel(),
        wanted,
    }
}

fn account(raw: i64) -> AccountId {
    AccountId::new(raw).expect("account")
}

/// A bid of `plan` in the auction of gift 42 from account `from`.
fn bid(plan: AuctionPlanId, from: i64, total: u64, standing: Option<u64>) -> PlannedBid {
    PlannedBid {
        plan_id: plan,
        gift_id: GiftId::new(GIFT).expect("gift"),
        account_id: account(from),
        recipient: channel(),
        total: Stars::new(total),
        standing: standing.map(Stars::new),
    }
}

async fn create(store: &Store, owner: UserId, plan: &NewAuctionPlan) -> AuctionPlan {
    store
        .create_auction_plan(owner, plan)
        .await
        .expect("create plan")
}

async fn plan(store: &Store, owner: UserId, bid: &PlannedBid) -> Option<BidEntryId> {
    store.plan_bid(owner, bid, at(100)).await.expect("plan bid")
}

async fn planned(store: &Store, owner: UserId, bid: &PlannedBid) -> BidEntryId {
    plan(store, owner, bid).await.expect("planned")
}

async fn move_to(store: &Store, id: BidEntryId, from: JournalStatus, to: JournalStatus) {
    assert!(
        store
            .transition_bid(id, from, to, None, at(200))
            .await
            .expect("transition"),
        "{id}: {from:?} -> {to:?}"
    );
}

/// Plans a bid and moves it along `path` from `Planned`.
async fn bid_through(
    store: &Store,
    owner: UserId,
    bid: &PlannedBid,
    path: &[JournalStatus],
) -> BidEntryId {
    let id = planned(store, owner, bid).await;
    let mut from = JournalStatus::Planned;
    for &to in path {
        move_to(store, id, from, to).await;
        from = to;
    }
    id
}

/// The bidder's view of one plan.
async fn view(store: &Store, plan: AuctionPlanId) -> UserAuctionPlan {
    store
        .auction_plans()
        .await
        .expect("auction plans")
        .into_iter()
        .find(|p| p.plan.id == plan)
        .expect("plan listed")
}

async fn committed(store: &Store, plan: AuctionPlanId) -> u64 {
    view(store, plan).await.committed.get()
}

async fn entry_count(store: &Store, owner: UserId) -> usize {
    store.bid_entries(owner, 1000).await.expect("entries").len()
}

fn message(error: &StoreError) -> String {
    error.to_string()
}

async fn plans_round_trip_and_stay_with_their_user(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;

    let first = create(&store, alice, &new_plan(GIFT, 500, 1)).await;
    let mut buyer = new_plan(43, u64::try_from(i64::MAX).expect("fits"), 10);
    buyer.recipient = Recipient::Buyer;
    let second = create(&store, alice, &buyer).await;
    let bobs = create(&store, bob, &new_plan(GIFT, 300, 2)).await;
    assert_eq!(
        (
            first.gift_id.get(),
            first.max_bid,
            first.recipient,
            first.wanted
        ),
        (GIFT, Stars::new(500), channel(), 1)
    );
    assert_eq!(second.recipient, Recipient::Buyer);
    assert_eq!(
        store.list_auction_plans(alice).await.expect("list"),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        store.list_auction_plans(bob).await.expect("list"),
        vec![bobs.clone()]
    );

    // Every user's plans, oldest first per user, with nothing bid and bidding off.
    let all = store.auction_plans().await.expect("all");
    let listed: Vec<(UserId, AuctionPlanId)> = all.iter().map(|p| (p.user_id, p.plan.id)).collect();
    assert_eq!(
        listed,
        vec![(alice, first.id), (alice, second.id), (bob, bobs.id)]
    );
    assert!(
        all.iter().all(|p| p.budget == Stars::ZERO
            && p.committed == Stars::ZERO
            && p.account_id.is_none()),
        "{all:?}"
    );
    assert_eq!(all[1].plan, second);

    // Plans the core refuses are never stored.
    for (bad, field) in [
        (new_plan(GIFT, 0, 1), "invalid max_bid"),
        (new_plan(GIFT, 10, 0), "invalid wanted"),
        (new_plan(GIFT, 10, 11), "invalid wanted"),
        (
            new_plan(GIFT, u64::MAX, 1),
            "max_bid 18446744073709551615 is out of range",
        ),
    ] {
        let error = store
            .create_auction_plan(alice, &bad)
            .await
            .expect_err("refused plan");
        assert!(message(&error).contains(field), "{error}");
    }
    assert_eq!(
        store.list_auction_plans(alice).await.expect("list").len(),
        2
    );
    let nobody = UserId::new(999_999).expect("id");
    let error = store
        .create_auction_plan(nobody, &new_plan(GIFT, 10, 1))
        .await
        .expect_err("no such user");
    assert!(message(&error).contains("user not found"), "{error}");

    // Another user's plan is not found and not deleted.
    assert_eq!(store.delete_auction_plan(bob, first.id).await, Ok(false));
    assert_eq!(
        store.list_auction_plans(alice).await.expect("list").len(),
        2
    );
    assert_eq!(store.delete_auction_plan(alice, first.id).await, Ok(true));
    assert_eq!(store.delete_auction_plan(alice, first.id).await, Ok(false));
    assert_eq!(
        store.list_auction_plans(alice).await.expect("list"),
        vec![second]
    );
    assert_eq!(
        store.list_auction_plans(bob).await.expect("list"),
        vec![bobs]
    );
    store.close().await;
}

async fn budgets_are_zero_until_set(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    assert_eq!(store.bid_budget(alice).await, Ok(Stars::ZERO));

    store
        .set_bid_budget(alice, Stars::new(1_500))
        .await
        .expect("set");
    assert_eq!(store.bid_budget(alice).await, Ok(Stars::new(1_500)));
    assert_eq!(store.bid_budget(bob).await, Ok(Stars::ZERO));
    store
        .set_bid_budget(alice, Stars::new(700))
        .await
        .expect("change");
    assert_eq!(store.bid_budget(alice).await, Ok(Stars::new(700)));

    // The bidder reads the budget beside each plan.
    let plan = create(&store, alice, &new_plan(GIFT, 500, 1)).await;
    let bobs = create(&store, bob, &new_plan(GIFT, 500, 1)).await;
    assert_eq!(view(&store, plan.id).await.budget, Stars::new(700));
    assert_eq!(view(&store, bobs.id).await.budget, Stars::ZERO);

    store
        .set_bid_budget(alice, Stars::ZERO)
        .await
        .expect("turn off");
    assert_eq!(store.bid_budget(alice).await, Ok(Stars::ZERO));
    assert_eq!(view(&store, plan.id).await.budget, Stars::ZERO);

    let error = store
        .set_bid_budget(alice, Stars::new(u64::MAX))
        .await
        .expect_err("too large");
    assert!(message(&error).contains("out of range"), "{error}");
    let nobody = UserId::new(999_999).expect("id");
    let error = store
        .set_bid_budget(nobody, Stars::new(5))
        .await
        .expect_err("no such user");
    assert!(message(&error).contains("user not found"), "{error}");
    assert_eq!(store.bid_budget(nobody).await, Ok(Stars::ZERO));
    store.close().await;
}

async fn plan_bid_refuses_what_the_rules_forbid(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Planned, Sending};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let mine = create(&store, alice, &new_plan(GIFT, 500, 1)).await;
    let bobs = create(&store, bob, &new_plan(GIFT, 500, 1)).await;

    // No such plan, another user's plan, a plan of another gift, a total above the maximum.
    let gone = AuctionPlanId::new(bobs.id.get() + 100).expect("id");
    assert_eq!(plan(&store, alice, &bid(gone, 7, 100, None)).await, None);
    assert_eq!(plan(&store, alice, &bid(bobs.id, 7, 100, None)).await, None);
    let mut other_gift = bid(mine.id, 7, 100, None);
    other_gift.gift_id = GiftId::new(GIFT + 1).expect("gift");
    assert_eq!(plan(&store, alice, &other_gift).await, None);
    assert_eq!(plan(&store, alice, &bid(mine.id, 7, 501, None)).await, None);
    assert_eq!(
        plan(&store, alice, &bid(mine.id, 7, u64::MAX, None)).await,
        None
    );
    assert_eq!(entry_count(&store, alice).await, 0);

    // The maximum itself is allowed; while it is open, no other bid of the account and gift.
    let at_max = planned(&store, alice, &bid(mine.id, 7, 500, None)).await;
    assert_eq!(plan(&store, alice, &bid(mine.id, 7, 200, None)).await, None);
    assert_eq!(
        plan(&store, alice, &bid(mine.id, 7, 300, Some(500))).await,
        None
    );
    move_to(&store, at_max, Planned, Sending).await;
    assert_eq!(plan(&store, alice, &bid(mine.id, 7, 200, None)).await, None);
    // Another account, or another user with the same account, gift and total, is not held up.
    let other_account = planned(&store, alice, &bid(mine.id, 8, 500, None)).await;
    let bobs_bid = planned(&store, bob, &bid(bobs.id, 7, 500, None)).await;
    assert_eq!(entry_count(&store, alice).await, 2);

    // A bid that failed may be made again with the same total, and only once.
    move_to(&store, at_max, Sending, Failed).await;
    let again = planned(&store, alice, &bid(mine.id, 7, 500, None)).await;
    assert_ne!(again, at_max);
    move_to(&store, again, Planned, Sending).await;
    move_to(&store, again, Sending, Bought).await;
    // A placed total is never journaled again, not even as a raise.
    assert_eq!(plan(&store, alice, &bid(mine.id, 7, 500, None)).await, None);
    assert_eq!(
        plan(&store, alice, &bid(mine.id, 7, 500, Some(500))).await,
        None
    );
    // Once nothing is open, another total goes through.
    assert!(
        plan(&store, alice, &bid(mine.id, 7, 400, None))
            .await
            .is_some()
    );

    for id in [other_account, bobs_bid] {
        move_to(&store, id, Planned, Failed).await;
    }
    assert_eq!(entry_count(&store, alice).await, 4);
    assert_eq!(entry_count(&store, bob).await, 1);
    store.close().await;
}

async fn racing_instances_plan_a_bid_once(db: &TestDb) {
    const TOTALS: u64 = 20;
    // Two stores are two instances with their own pools (on SQLite, their own connections to
    // the file).
    let first = db.store().await;
    let second = db.store().await;
    let owner = user(&first, "owner").await;
    let plans = [
        create(&first, owner, &new_plan(GIFT, 1_000, 1)).await,
        create(&first, owner, &new_plan(GIFT, 1_000, 1)).await,
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for racer in 0..8_u64 {
        let store = if racer % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        // Racers plan under either plan of the same gift and account, with totals that
        // overlap: the rules hold per account and gift, not per plan.
        let plan_id = plans[usize::from(racer % 4 < 2)].id;
        tasks.spawn(async move {
            let mut won = Vec::new();
            for n in 0..TOTALS {
                let total = 100 + n * 10 + racer % 3;
                if let Some(id) = store
                    .plan_bid(owner, &bid(plan_id, 7, total, None), at(1))
                    .await
                    .expect("plan bid")
                {
                    won.push(id);
                }
            }
            won
        });
    }
    let mut won = Vec::new();
    while let Some(ids) = tasks.join_next().await {
        won.extend(ids.expect("task"));
    }
    // Nothing was moved, so the first bid planned stays open and every later one is refused.
    assert_eq!(won.len(), 1, "{won:?}");
    assert_eq!(
        second.bid_entries(owner, 100).await.expect("entries").len(),
        1
    );

    // Two calls at the same moment for one new total, one on each instance, after the open
    // bid failed.
    first
        .transition_bid(
            won[0],
            JournalStatus::Planned,
            JournalStatus::Failed,
            None,
            at(2),
        )
        .await
        .expect("fail");
    let same = bid(plans[0].id, 7, 900, None);
    let (a, b) = tokio::join!(
        first.plan_bid(owner, &same, at(3)),
        second.plan_bid(owner, &same, at(3)),
    );
    let ids = [a.expect("first"), b.expect("second")];
    assert_eq!(ids.iter().filter(|id| id.is_some()).count(), 1, "{ids:?}");
    first.close().await;
    second.close().await;
}

async fn chains_commit_their_highest_live_total(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Sending, Unknown};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    store
        .set_bid_budget(alice, Stars::new(10_000))
        .await
        .expect("budget");
    let plan = create(&store, alice, &new_plan(GIFT, 1_000, 2)).await.id;
    assert_eq!(committed(&store, plan).await, 0);

    // A first bid holds its total from the moment it is planned.
    let first = planned(&store, alice, &bid(plan, 7, 100, None)).await;
    assert_eq!(committed(&store, plan).await, 100);
    move_to(&store, first, JournalStatus::Planned, Sending).await;
    move_to(&store, first, Sending, Bought).await;
    assert_eq!(committed(&store, plan).await, 100);

    // A raise replaces its chain's total rather than adding to it.
    let raise = planned(&store, alice, &bid(plan, 7, 150, Some(100))).await;
    assert_eq!(committed(&store, plan).await, 150);
    // A failed raise leaves the chain at its highest total that did not fail.
    move_to(&store, raise, JournalStatus::Planned, Failed).await;
    assert_eq!(committed(&store, plan).await, 100);
    // An unknown raise may stand, so it counts.
    bid_through(
        &store,
        alice,
        &bid(plan, 7, 130, Some(100)),
        &[Sending, Unknown],
    )
    .await;
    assert_eq!(committed(&store, plan).await, 130);
    bid_through(
        &store,
        alice,
        &bid(plan, 7, 140, Some(130)),
        &[Sending, Bought],
    )
    .await;
    assert_eq!(committed(&store, plan).await, 140);

    // After a win the next bid has nothing standing and starts a chain of its own.
    let next = planned(&store, alice, &bid(plan, 7, 200, None)).await;
    assert_eq!(committed(&store, plan).await, 340);
    move_to(&store, next, JournalStatus::Planned, Sending).await;
    move_to(&store, next, Sending, Bought).await;
    bid_through(
        &store,
        alice,
        &bid(plan, 7, 260, Some(200)),
        &[Sending, Bought],
    )
    .await;
    assert_eq!(committed(&store, plan).await, 400);

    // A chain on another plan and account counts for the same user; deleting that plan keeps
    // its bids, which keep counting. Another user's bids never count.
    let other = create(&store, alice, &new_plan(GIFT, 1_000, 1)).await.id;
    bid_through(&store, alice, &bid(other, 8, 50, None), &[Sending, Bought]).await;
    assert_eq!(committed(&store, plan).await, 450);
    assert_eq!(committed(&store, other).await, 450);
    let bobs = create(&store, bob, &new_plan(GIFT, 1_000, 1)).await.id;
    bid_through(&store, bob, &bid(bobs, 7, 999, None), &[Sending, Bought]).await;
    assert_eq!(committed(&store, bobs).await, 999);
    let before = entry_count(&store, alice).await;
    assert_eq!(store.delete_auction_plan(alice, other).await, Ok(true));
    assert_eq!(entry_count(&store, alice).await, before);
    assert_eq!(committed(&store, plan).await, 450);
    let kept = &store.bid_entries(alice, 1).await.expect("entries")[0];
    assert_eq!(
        (kept.bid.plan_id, kept.bid.total, kept.status),
        (other, Stars::new(50), Bought)
    );

    // A chain whose every bid failed holds nothing.
    let lone = create(&store, alice, &new_plan(GIFT + 1, 1_000, 1))
        .await
        .id;
    let mut lone_bid = bid(lone, 9, 70, None);
    lone_bid.gift_id = GiftId::new(GIFT + 1).expect("gift");
    bid_through(&store, alice, &lone_bid, &[Sending, Failed]).await;
    assert_eq!(committed(&store, lone).await, 450);
    store.close().await;
}

async fn a_plan_bids_from_its_newest_live_bids_account(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Sending};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let plan = create(&store, alice, &new_plan(GIFT, 1_000, 1)).await.id;
    let other = create(&store, alice, &new_plan(GIFT, 1_000, 1)).await.id;
    assert_eq!(view(&store, plan).await.account_id, None);

    bid_through(&store, alice, &bid(plan, 7, 100, None), &[Sending, Bought]).await;
    assert_eq!(view(&store, plan).await.account_id, Some(account(7)));
    // A newer bid that failed does not move the plan to its account.
    bid_through(&store, alice, &bid(plan, 8, 120, None), &[Failed]).await;
    assert_eq!(view(&store, plan).await.account_id, Some(account(7)));
    // A newer bid that may stand does, even while it is still planned.
    planned(&store, alice, &bid(plan, 8, 130, None)).await;
    assert_eq!(view(&store, plan).await.account_id, Some(account(8)));
    // Another plan's bids never name this plan's account.
    bid_through(&store, alice, &bid(other, 9, 100, None), &[Sending, Bought]).await;
    assert_eq!(view(&store, plan).await.account_id, Some(account(8)));
    assert_eq!(view(&store, other).await.account_id, Some(account(9)));
    store.close().await;
}

async fn transitions_are_compare_and_set(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Planned, Sending, Unknown};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let plan = create(&store, alice, &new_plan(GIFT, 500, 1)).await.id;
    let id = planned(&store, alice, &bid(plan, 7, 100, None)).await;

    let step = |from, to, error: Option<&'static str>| {
        let store = store.clone();
        async move { store.transition_bid(id, from, to, error, at(300)).await }
    };
    assert_eq!(step(Planned, Sending, None).await, Ok(true));
    // The second caller of the same move loses: the bid is no longer planned.
    assert_eq!(step(Planned, Sending, None).await, Ok(false));
    assert_eq!(step(Sending, Failed, Some("BID\0TOO_LOW")).await, Ok(true));
    // A second outcome for the same sending bid is refused.
    assert_eq!(step(Sending, Bought, None).await, Ok(false));
    assert_eq!(step(Sending, Unknown, None).await, Ok(false));

    // Moves the journal forbids are errors, whatever the bid's state, before any write.
    for (from, to) in [
        (Failed, Planned),
        (Bought, Sending),
        (Planned, Bought),
        (Unknown, Sending),
        (Sending, Planned),
    ] {
        let error = step(from, to, None).await.expect_err("forbidden");
        assert_eq!(
            error,
            StoreError::BadBidTransition {
                id: id.get(),
                from: from.code(),
                to: to.code()
            }
        );
    }
    let entry = &store.bid_entries(alice, 1).await.expect("entries")[0];
    assert_eq!(entry.status, Failed);
    assert_eq!(entry.error.as_deref(), Some("BID\u{fffd}TOO_LOW"));
    assert_eq!(entry.updated_at, at(300));

    let missing = BidEntryId::new(id.get() + 1000).expect("id");
    assert_eq!(
        store
            .transition_bid(missing, Planned, Sending, None, at(1))
            .await,
        Err(StoreError::UnknownBidEntry(missing.get()))
    );
    store.close().await;
}

async fn recovery_closes_what_a_crash_left_open(db: &TestDb) {
    use JournalStatus::{Bought, Failed, Sending, Unknown};
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let mine = create(&store, alice, &new_plan(GIFT, 1_000, 1)).await.id;
    let bobs = create(&store, bob, &new_plan(GIFT, 1_000, 1)).await.id;
    // One account per bid, so that open bids do not hold each other up.
    for (owner, plan, from, total, path) in [
        (alice, mine, 1, 101, &[][..]),
        (bob, bobs, 2, 102, &[][..]),
        (alice, mine, 3, 103, &[Sending][..]),
        (alice, mine, 4, 104, &[Sending][..]),
        (bob, bobs, 5, 105, &[Sending][..]),
        (alice, mine, 6, 106, &[Sending, Bought][..]),
        (alice, mine, 7, 107, &[Failed][..]),
    ] {
        bid_through(&store, owner, &bid(plan, from, total, None), path).await;
    }

    assert_eq!(store.recover_bids(at(900)).await, Ok((3, 2)));
    assert_eq!(store.recover_bids(at(901)).await, Ok((0, 0)));

    let mut after = Vec::new();
    for owner in [alice, bob] {
        for entry in store.bid_entries(owner, 100).await.expect("entries") {
            after.push((
                entry.bid.total.get(),
                entry.status,
                entry.error,
                entry.updated_at,
            ));
        }
    }
    after.sort_by_key(|row| row.0);
    let row = |total, status, error: Option<&str>, secs| {
        (total, status, error.map(str::to_owned), at(secs))
    };
    assert_eq!(
        after,
        vec![
            row(101, Failed, Some("abandoned"), 900),
            row(102, Failed, Some("abandoned"), 900),
            row(103, Unknown, Some("interrupted"), 900),
            row(104, Unknown, Some("interrupted"), 900),
            row(105, Unknown, Some("interrupted"), 900),
            row(106, Bought, None, 200),
            row(107, Failed, None, 200),
        ]
    );
    // What was abandoned before sending may be planned again; what may stand not.
    assert!(
        plan(&store, alice, &bid(mine, 1, 101, None))
            .await
            .is_some()
    );
    assert_eq!(plan(&store, alice, &bid(mine, 3, 103, None)).await, None);
    store.close().await;
}

async fn entries_come_newest_first_within_the_limit(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let mine = create(&store, alice, &new_plan(GIFT, 1_000, 1)).await.id;
    let bobs = create(&store, bob, &new_plan(GIFT, 1_000, 1)).await.id;
    let mut expected = Vec::new();
    for n in 0..5_u64 {
        let raw = i64::try_from(n).expect("small");
        let mut item = bid(mine, raw + 1, 100 + n, (n % 2 == 1).then_some(50 + n));
        if n % 2 == 0 {
            item.recipient = Recipient::Buyer;
        }
        let id = store
            .plan_bid(alice, &item, at(100 + raw))
            .await
            .expect("plan")
            .expect("planned");
        expected.push(BidEntry {
            id,
            user_id: alice,
            bid: item,
            status: JournalStatus::Planned,
            error: None,
            updated_at: at(100 + raw),
        });
    }
    planned(&store, bob, &bid(bobs, 1, 100, None)).await;
    expected.reverse();

    assert_eq!(store.bid_entries(alice, 100).await.expect("all"), expected);
    assert_eq!(
        store.bid_entries(alice, 3).await.expect("three"),
        expected[..3]
    );
    assert!(store.bid_entries(alice, 0).await.expect("none").is_empty());
    assert_eq!(store.bid_entries(bob, 100).await.expect("bob").len(), 1);
    let nobody = UserId::new(999_999).expect("id");
    assert!(
        store
            .bid_entries(nobody, 10)
            .await
            .expect("nobody")
            .is_empty()
    );
    store.close().await;
}

async fn unreadable_rows_are_errors_not_panics(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let plan = create(&store, alice, &new_plan(GIFT, 500, 1)).await.id;
    planned(&store, alice, &bid(plan, 7, 100, None)).await;
    let raw = db.raw().await;

    for (tamper, restore) in [
        (
            "UPDATE auction_plans SET wanted = 0",
            "UPDATE auction_plans SET wanted = 1",
        ),
        (
            "UPDATE auction_plans SET channel_id = 5",
            "UPDATE auction_plans SET channel_id = -1001234567890",
        ),
        (
            "UPDATE auction_plans SET max_bid = -1",
            "UPDATE auction_plans SET max_bid = 500",
        ),
    ] {
        raw.execute(tamper).await;
        for error in [
            store.list_auction_plans(alice).await.expect_err(tamper),
            store.auction_plans().await.expect_err(tamper),
        ] {
            assert!(
                message(&error).contains("is unreadable"),
                "{tamper}: {error}"
            );
        }
        raw.execute(restore).await;
        assert_eq!(store.list_auction_plans(alice).await.expect("ok").len(), 1);
    }

    for tamper in [
        "UPDATE bid_journal SET gift_id = 0",
        "UPDATE bid_journal SET total = -5, gift_id = 42",
        "UPDATE bid_journal SET standing = -1, total = 100",
        "UPDATE bid_journal SET plan_id = 0, standing = NULL",
    ] {
        raw.execute(tamper).await;
        let error = store.bid_entries(alice, 10).await.expect_err(tamper);
        assert!(
            message(&error).contains("is unreadable"),
            "{tamper}: {error}"
        );
    }
    raw.close().await;
    store.close().await;
}

async fn a_deleted_user_takes_plans_budget_and_bids_along(db: &TestDb) {
    let store = db.store().await;
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    store
        .set_bid_budget(alice, Stars::new(100))
        .await
        .expect("budget");
    let mine = create(&store, alice, &new_plan(GIFT, 500, 1)).await.id;
    let bobs = create(&store, bob, &new_plan(GIFT, 500, 1)).await.id;
    planned(&store, alice, &bid(mine, 7, 100, None)).await;
    planned(&store, bob, &bid(bobs, 7, 100, None)).await;
    assert!(store.delete_user(alice).await.expect("delete user"));
    let raw = db.raw().await;
    assert_eq!(raw.int("SELECT COUNT(*) FROM auction_plans").await, 1);
    assert_eq!(raw.int("SELECT COUNT(*) FROM bid_budgets").await, 0);
    assert_eq!(raw.int("SELECT COUNT(*) FROM bid_journal").await, 1);
    raw.close().await;
    assert_eq!(entry_count(&store, bob).await, 1);
    store.close().await;
}

on_every_backend!(
    plans_round_trip_and_stay_with_their_user,
    budgets_are_zero_until_set,
    plan_bid_refuses_what_the_rules_forbid,
    racing_instances_plan_a_bid_once,
    chains_commit_their_highest_live_total,
    a_plan_bids_from_its_newest_live_bids_account,
    transitions_are_compare_and_set,
    recovery_closes_what_a_crash_left_open,
    entries_come_newest_first_within_the_limit,
    unreadable_rows_are_errors_not_panics,
    a_deleted_user_takes_plans_budget_and_bids_along,
);
