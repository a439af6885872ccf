//! The auction bidder against a scripted auction, in virtual time: it bids the least that wins
//! a slot, raises when outbid and stops at the maximum; bidding is off without a budget; a bid
//! whose answer was lost stays unknown and is never sent again, not even after a restart; the
//! first bid comes from the richest account and raises from that same account; wins and
//! returns are reported through the user's bot.

use std::sync::Arc;

use giftbuyer_core::ports::{
    AuctionPlanStore as _, BidStore as _, ChatId, JournalStatus, NewAuctionPlan, PlannedBid,
    UserConfig, UserId, UserSettings,
};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, Stars};
use giftbuyer_engine::{
    AuctionBidder, BidTick, BidderConfig, EngineEvent, MemoryStore, TokioClock,
};
use giftbuyer_sim::{BotConfig, SimBot};
use tokio::sync::broadcast;

use crate::auction_house::{BidFault, House};
use crate::fake::unix;

fn account(id: i64) -> AccountId {
    AccountId::new(id).expect("valid account")
}

fn user() -> UserId {
    UserId::new(1).expect("valid user")
}

const CHAT: i64 = 777;

struct World {
    house: House,
    store: Arc<MemoryStore>,
    clock: Arc<TokioClock>,
    bidder: AuctionBidder,
    bot: SimBot,
}

/// One user with `accounts` (each funded with the given stars) in a house of two gifts per
/// round, a bidding budget, and one plan with `max_bid`, to the bidding account itself.
async fn world(accounts: &[(i64, u64)], budget: u64, max_bid: u64) -> World {
    world_for(accounts, budget, max_bid, Recipient::Buyer).await
}

/// The same world with the plan's gifts going to `recipient`.
async fn world_for(
    accounts: &[(i64, u64)],
    budget: u64,
    max_bid: u64,
    recipient: Recipient,
) -> World {
    let clock = Arc::new(TokioClock::starting_at(unix(1_764_000_000)));
    let house = House::new(clock.clone(), 2);
    for &(id, stars) in accounts {
        house.fund(account(id), Stars::new(stars));
    }
    let ids: Vec<AccountId> = accounts.iter().map(|&(id, _)| account(id)).collect();
    let store = Arc::new(MemoryStore::new());
    store.set_users(vec![UserConfig {
        user_id: user(),
        settings: UserSettings {
            notification_chats: vec![ChatId::new(CHAT).expect("valid chat")],
            ..UserSettings::default()
        },
        accounts: ids.clone(),
        targets: Vec::new(),
    }]);
    store
        .set_bid_budget(user(), Stars::new(budget))
        .await
        .expect("budget");
    store
        .create_auction_plan(
            user(),
            &NewAuctionPlan {
                gift_id: House::gift(),
                max_bid: Stars::new(max_bid),
                recipient,
                wanted: 1,
            },
        )
        .await
        .expect("plan");
    let bot = SimBot::new(clock.clone(), BotConfig::default());
    let connector = house.connector(&ids, Some(Arc::new(bot.clone())));
    let bidder = AuctionBidder::new(
        store.clone(),
        store.clone(),
        connector,
        clock.clone(),
        BidderConfig::default(),
    );
    World {
        house,
        store,
        clock,
        bidder,
        bot,
    }
}

/// The totals of every bid request the house received, in order.
fn totals(house: &House) -> Vec<(i64, u64, Option<u64>)> {
    house
        .requests()
        .into_iter()
        .map(|(account, request)| {
            (
                account.get(),
                request.total.get(),
                request.standing.map(Stars::get),
            )
        })
        .collect()
}

async fn tick(world: &World) -> BidTick {
    let tick = world.bidder.tick().await.expect("tick");
    // Reports go out on tasks of their own, through a bot with latency; let them arrive.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    tick
}

#[tokio::test(start_paused = true)]
async fn bids_the_least_that_wins_raises_when_outbid_and_stops_at_the_maximum() {
    let world = world(&[(1, 10_000)], 5_000, 1_500).await;
    let (events, mut seen) = broadcast::channel(16);
    let bidder = AuctionBidder::new(
        world.store.clone(),
        world.store.clone(),
        world.house.connector(&[account(1)], None),
        world.clock.clone(),
        BidderConfig::default(),
    )
    .with_events(events);
    world.house.rival(1_000);
    world.house.rival(900);
    world.house.rival(800);
    // Two slots: passing the second bid (900) by one star wins one.
    let first = bidder.tick().await.expect("tick");
    assert_eq!((first.sent, first.placed), (1, 1));
    assert_eq!(totals(&world.house), [(1, 901, None)]);
    assert!(matches!(
        seen.try_recv(),
        Ok(EngineEvent::BidDone { total, ref outcome, .. }) if total == Stars::new(901) && outcome == "placed"
    ));
    // Winning: nothing more is sent while nobody passes it.
    let holding = bidder.tick().await.expect("tick");
    assert_eq!((holding.sent, holding.held), (0, 1));
    // A rival passes it: the raise passes the new second bid by one star, from the standing
    // total, charged the difference.
    world.house.rival(950);
    bidder.tick().await.expect("tick");
    assert_eq!(totals(&world.house), [(1, 901, None), (1, 951, Some(901))]);
    assert_eq!(world.house.balance(account(1)), Stars::new(10_000 - 951));
    // Winning back a slot now needs 1 901, above the maximum of 1 500: it holds.
    world.house.rival(2_000);
    world.house.rival(1_900);
    let above = bidder.tick().await.expect("tick");
    assert_eq!((above.sent, above.held), (0, 1));
    assert_eq!(totals(&world.house).len(), 2, "nothing above the maximum");
    let journal = world.store.bid_journal();
    assert_eq!(
        journal
            .iter()
            .map(|entry| (entry.bid.total.get(), entry.status))
            .collect::<Vec<_>>(),
        [(901, JournalStatus::Bought), (951, JournalStatus::Bought)]
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_budget_nothing_is_read_or_bid_and_a_small_budget_holds() {
    let off = world(&[(1, 10_000)], 0, 1_500).await;
    off.house.rival(500);
    let idle = tick(&off).await;
    assert_eq!((idle.states, idle.held, idle.sent), (0, 1, 0));
    assert_eq!(off.house.state_reads(), 0, "an idle plan costs no requests");

    let small = world(&[(1, 10_000)], 300, 1_500).await;
    small.house.rival(500);
    small.house.rival(400);
    let held = tick(&small).await;
    assert_eq!((held.states, held.held, held.sent), (1, 1, 0));
    assert!(
        small.house.requests().is_empty(),
        "401 is over a budget of 300"
    );
}

#[tokio::test(start_paused = true)]
async fn the_balance_bounds_a_bid_as_the_budget_does() {
    let world = world(&[(1, 450)], 5_000, 1_500).await;
    world.house.rival(500);
    world.house.rival(400);
    // 401 wins a slot and fits in 450 stars.
    tick(&world).await;
    assert_eq!(totals(&world.house), [(1, 401, None)]);
    // Passing 460 takes a raise to 461, charged 60 more: 49 stars are left, so it holds.
    world.house.rival(460);
    world.house.rival(455);
    tick(&world).await;
    assert_eq!(
        totals(&world.house).len(),
        1,
        "the raise would pass the balance"
    );
    assert_eq!(world.house.balance(account(1)), Stars::new(49));
}

#[tokio::test(start_paused = true)]
async fn a_bid_whose_answer_was_lost_is_unknown_and_never_sent_again_even_after_a_restart() {
    let world = world(&[(1, 10_000)], 5_000, 1_500).await;
    world.house.rival(1_000);
    world.house.rival(900);
    world.house.set_fault(BidFault::LoseAnswer);
    let lost = tick(&world).await;
    assert_eq!((lost.sent, lost.unknown), (1, 1));
    assert_eq!(
        world.store.bid_journal()[0].status,
        JournalStatus::Unknown,
        "it may stand"
    );
    world.house.set_fault(BidFault::None);
    // The house says the bid stands and wins: nothing is sent again.
    tick(&world).await;
    // A restart over the same store: recovery finds nothing in flight, and the new bidder
    // holds on the standing bid too.
    let restarted = AuctionBidder::new(
        world.store.clone(),
        world.store.clone(),
        world.house.connector(&[account(1)], None),
        world.clock.clone(),
        BidderConfig::default(),
    );
    assert_eq!(restarted.recover().await.expect("recover"), (0, 0));
    restarted.tick().await.expect("tick");
    assert_eq!(totals(&world.house), [(1, 901, None)], "sent exactly once");
}

#[tokio::test(start_paused = true)]
async fn a_bid_left_sending_by_a_crash_is_never_sent_again() {
    let world = world(&[(1, 10_000)], 5_000, 1_500).await;
    world.house.rival(1_000);
    world.house.rival(900);
    let plan = world.store.list_auction_plans(user()).await.expect("plans")[0].clone();
    // The crashed instance had journaled 901 and moved it to sending.
    let id = world
        .store
        .plan_bid(
            user(),
            &PlannedBid {
                plan_id: plan.id,
                gift_id: House::gift(),
                account_id: account(1),
                recipient: Recipient::Buyer,
                total: Stars::new(901),
                standing: None,
            },
            unix(1_764_000_000),
        )
        .await
        .expect("plan bid")
        .expect("journaled");
    assert!(
        world
            .store
            .transition_bid(
                id,
                JournalStatus::Planned,
                JournalStatus::Sending,
                None,
                unix(1_764_000_000)
            )
            .await
            .expect("move")
    );
    assert_eq!(world.bidder.recover().await.expect("recover"), (1, 0));
    // The same total is what the auction calls for, and the journal refuses it.
    let after = tick(&world).await;
    assert_eq!(after.sent, 0);
    assert!(world.house.requests().is_empty());
    // A store never journals a total above the plan's maximum, whatever the caller asks.
    let above = world
        .store
        .plan_bid(
            user(),
            &PlannedBid {
                plan_id: plan.id,
                gift_id: House::gift(),
                account_id: account(1),
                recipient: Recipient::Buyer,
                total: Stars::new(1_501),
                standing: Some(Stars::new(901)),
            },
            unix(1_764_000_000),
        )
        .await
        .expect("plan bid");
    assert_eq!(above, None);
}

#[tokio::test(start_paused = true)]
async fn the_richest_account_bids_first_and_raises_its_own_bid_after() {
    let world = world(&[(1, 2_000), (2, 6_000)], 10_000, 3_000).await;
    world.house.rival(1_000);
    world.house.rival(900);
    tick(&world).await;
    world.house.fund(account(1), Stars::new(50_000));
    world.house.rival(1_200);
    tick(&world).await;
    assert_eq!(
        totals(&world.house),
        [(2, 901, None), (2, 1_001, Some(901))],
        "account 2 was richer at the first bid; only it can raise its bid"
    );
}

#[tokio::test(start_paused = true)]
async fn refusals_are_journaled_and_wins_and_returns_reported_in_the_users_chats() {
    let world = world(&[(1, 10_000)], 5_000, 1_500).await;
    world.house.rival(1_000);
    world.house.rival(900);
    world
        .house
        .set_fault(BidFault::Refuse("STARGIFT_AUCTION_NOT_STARTED"));
    let refused = tick(&world).await;
    assert_eq!((refused.sent, refused.failed), (1, 1));
    let journal = world.store.bid_journal();
    assert_eq!(journal[0].status, JournalStatus::Failed);
    assert_eq!(
        journal[0].error.as_deref(),
        Some("STARGIFT_AUCTION_NOT_STARTED")
    );
    world.house.set_fault(BidFault::None);
    // A failed total may be sent again.
    tick(&world).await;
    world.house.end_round();
    tick(&world).await;
    assert_eq!(world.house.bidder(account(1)).acquired, 1);
    world.house.finish();
    tick(&world).await;
    let texts = world
        .bot
        .texts(ChatId::new(CHAT).expect("valid chat"))
        .join("\n");
    assert!(
        texts.contains("bid refused (STARGIFT_AUCTION_NOT_STARTED)"),
        "{texts}"
    );
    assert!(
        texts.contains("901⭐ | acc=1 → self | bid placed"),
        "{texts}"
    );
    assert!(texts.contains("won ×1"), "{texts}");
    // After the win the bidder wanted no more (one wanted), so nothing stood to return.
    assert!(!texts.contains("returned"), "{texts}");
    let reads = world.house.state_reads();
    tick(&world).await;
    assert_eq!(
        world.house.state_reads(),
        reads,
        "a finished auction is not read again"
    );
}

/// A tick some seconds after the previous one ended (which itself waited 5 s for reports).
async fn tick_after(world: &World, secs: u64) -> BidTick {
    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
    tick(world).await
}

#[tokio::test(start_paused = true)]
async fn a_refused_bid_waits_longer_each_time_and_is_reported_once() {
    let world = world(&[(1, 10_000)], 5_000, 1_500).await;
    world.house.rival(900);
    world.house.set_fault(BidFault::Refuse("STARGIFT_INVALID"));
    // Refused at 0 s: 5 s to wait. The next tick, 5 s later, asks again: refused, 10 s.
    assert_eq!(tick(&world).await.failed, 1);
    assert_eq!(tick(&world).await.failed, 1);
    // 5 s later the plan still waits, and nothing is asked.
    let waiting = tick(&world).await;
    assert_eq!((waiting.sent, waiting.held), (0, 1));
    assert_eq!(world.house.requests().len(), 2);
    // Then it asks again, and once the cause is gone the bid goes through.
    world.house.set_fault(BidFault::None);
    assert_eq!(tick(&world).await.placed, 1);
    let texts = world
        .bot
        .texts(ChatId::new(CHAT).expect("valid chat"))
        .join("\n");
    assert_eq!(
        texts.matches("bid refused (STARGIFT_INVALID)").count(),
        1,
        "a streak of refusals is told once: {texts}"
    );
    assert!(texts.contains("this plan bids again in 5 s"), "{texts}");
}

#[tokio::test(start_paused = true)]
async fn a_person_nobody_holds_stops_the_plan_for_ten_minutes() {
    let world = world(&[(1, 10_000)], 5_000, 1_500).await;
    world.house.rival(900);
    world
        .house
        .set_fault(BidFault::Refuse("USERNAME_NOT_OCCUPIED"));
    assert_eq!(tick(&world).await.failed, 1);
    world.house.set_fault(BidFault::None);
    // 9 minutes of ticks later nothing was asked again.
    for _ in 0..9 {
        let held = tick_after(&world, 55).await;
        assert_eq!(held.sent, 0);
    }
    assert_eq!(world.house.requests().len(), 1);
    assert_eq!(tick_after(&world, 55).await.placed, 1);
}

#[tokio::test(start_paused = true)]
async fn a_channel_closed_to_star_gifts_gets_no_bid_and_is_asked_again_in_ten_minutes() {
    let channel = giftbuyer_core::ChannelId::from_mtproto(777).expect("valid channel");
    let world = world_for(&[(1, 10_000)], 5_000, 1_500, Recipient::Channel(channel)).await;
    world.house.rival(900);
    world.house.set_closed(channel, true);
    for _ in 0..3 {
        let held = tick(&world).await;
        assert_eq!((held.sent, held.held), (0, 1));
    }
    assert!(
        world.house.requests().is_empty(),
        "no bid for a closed channel"
    );
    assert_eq!(
        world.house.channel_checks(),
        1,
        "the answer is kept, not asked each tick"
    );
    let texts = world
        .bot
        .texts(ChatId::new(CHAT).expect("valid chat"))
        .join("\n");
    assert_eq!(
        texts
            .matches("the channel takes no star gifts from this account")
            .count(),
        1,
        "{texts}"
    );
    assert!(texts.contains("acc=1 → ch=-1000000000777"), "{texts}");
    // The owner turns gifts on; ten minutes after the first look the bidder looks again.
    world.house.set_closed(channel, false);
    tick_after(&world, 600).await;
    assert_eq!(world.house.channel_checks(), 2);
    assert_eq!(
        totals(&world.house),
        [(1, 100, None)],
        "the least that wins a slot goes to the channel once it takes gifts"
    );
    let sent = world.house.requests();
    assert_eq!(sent[0].1.recipient, Recipient::Channel(channel));
}
