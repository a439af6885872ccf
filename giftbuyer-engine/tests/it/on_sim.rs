//! The engine against the simulated market, end to end in virtual time.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{
    ChannelAccess, ChatId, JournalStatus, UserConfig, UserId, UserSettings,
};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{
    AccountId, Bounds, ChannelId, GiftId, Recipient, Stars, Target, TargetFilter, TargetRowId,
    TelegramUsername,
};
use giftbuyer_engine::{Engine, EngineConfig, MemoryStore, TokioClock};
use giftbuyer_sim::{
    AccountSpec, BotConfig, Demand, GiftSpec, Market, MarketConfig, SimBot, SimConnector,
};

use crate::fake::unix;

fn account(id: i64) -> AccountId {
    AccountId::new(id).expect("valid account")
}

fn channel_id(suffix: i64) -> ChannelId {
    ChannelId::from_mtproto(suffix).expect("valid channel")
}

fn channel(row: i64, suffix: i64, supply_max: Option<u64>) -> Target {
    Target {
        exclude: giftbuyer_core::ExcludeList::EMPTY,
        row_id: TargetRowId::new(row).expect("valid row"),
        recipient: Recipient::Channel(channel_id(suffix)),
        filter: TargetFilter {
            price: Bounds::UNBOUNDED,
            supply: Bounds::new(None, supply_max, "supply").expect("valid bounds"),
        },
        title: None,
    }
}

struct World {
    market: Market,
    bot: SimBot,
    store: Arc<MemoryStore>,
    engine: Engine,
}

/// Two premium accounts; account 2 may only read the narrow channel, so its purchases must
/// fall back to the wide one.
fn world(config: EngineConfig) -> World {
    world_with(
        config,
        vec![channel(1, 111, Some(5000)), channel(2, 222, None)],
        MarketConfig::with_seed(3),
    )
}

/// The same market and accounts, with these targets, on top of `market_config` (for its people).
fn world_with(config: EngineConfig, targets: Vec<Target>, market_config: MarketConfig) -> World {
    let clock = Arc::new(TokioClock::starting_at(unix(1_764_000_000)));
    let market_config = market_config
        .account(
            AccountSpec::new(account(1), Stars::new(1000))
                .premium()
                .channel(channel_id(111), ChannelAccess::CanPost)
                .channel(channel_id(222), ChannelAccess::CanPost),
        )
        .account(
            AccountSpec::new(account(2), Stars::new(500))
                .premium()
                .channel(channel_id(111), ChannelAccess::ReadOnly)
                .channel(channel_id(222), ChannelAccess::CanPost),
        )
        .gift(GiftSpec::unlimited(
            GiftId::new(1).expect("valid"),
            Stars::new(15),
        ))
        .gift(
            GiftSpec::limited(GiftId::new(50).expect("valid"), Stars::new(100), 2000)
                .released_at(Duration::from_secs(5))
                .title("Rocket")
                .demand(Demand::Nobody),
        );
    let market = Market::new(market_config, clock.clone()).expect("valid market");
    let bot = SimBot::new(clock.clone(), BotConfig::default());
    let store = Arc::new(MemoryStore::new());
    store.set_users(vec![UserConfig {
        user_id: UserId::new(1).expect("valid user"),
        settings: UserSettings {
            priority: giftbuyer_core::Priority::ScarcestFirst,
            autobuy: true,
            notification_chats: vec![ChatId::new(-1_009_999).expect("valid chat")],
            report_lang: Lang::Ru,
            forced_target: None,
        },
        accounts: vec![account(1), account(2)],
        targets,
    }]);
    let engine = Engine::new(
        store.clone(),
        Arc::new(SimConnector::new(market.clone(), Some(bot.clone()))),
        clock,
        config,
    );
    World {
        market,
        bot,
        store,
        engine,
    }
}

async fn run_for(world: &World, duration: Duration) {
    let deadline = tokio::time::Instant::now() + duration;
    while tokio::time::Instant::now() < deadline {
        world.engine.tick().await.expect("tick");
        tokio::time::sleep(world.engine.poll_gap().await).await;
    }
    world.engine.settle().await;
}

#[tokio::test(start_paused = true)]
async fn a_drop_is_caught_and_the_journal_matches_the_market() {
    let world = world(EngineConfig::default());
    run_for(&world, Duration::from_secs(20)).await;

    // Account 1 spends its 1000 stars on 10 copies, account 2 its 500 on 5, all of gift 50.
    let purchases = world.market.purchases();
    assert_eq!(purchases.len(), 15);
    assert_eq!(world.market.balance(account(1)), Some(Stars::ZERO));
    assert_eq!(world.market.balance(account(2)), Some(Stars::ZERO));

    // Every copy the market sold is a `bought` journal entry for the same account, channel
    // and gift, and nothing else is marked bought.
    let mut sold: Vec<(i64, Recipient, i64)> = purchases
        .iter()
        .map(|p| (p.account.get(), p.recipient, p.gift.get()))
        .collect();
    let mut journaled: Vec<(i64, Recipient, i64)> = world
        .store
        .journal()
        .iter()
        .filter(|entry| entry.status == JournalStatus::Bought)
        .map(|entry| {
            let op = entry.operation;
            (op.account_id.get(), op.recipient, op.gift_id.get())
        })
        .collect();
    sold.sort_unstable();
    journaled.sort_unstable();
    assert_eq!(sold, journaled);
}

#[tokio::test(start_paused = true)]
async fn a_read_only_channel_falls_back_to_the_next_one() {
    let world = world(EngineConfig::default());
    run_for(&world, Duration::from_secs(20)).await;
    let by_account = |id: i64| -> Vec<i64> {
        world
            .market
            .purchases()
            .iter()
            .filter(|p| p.account.get() == id)
            .filter_map(|p| p.recipient.channel())
            .map(ChannelId::mtproto_id)
            .collect()
    };
    assert!(by_account(1).iter().all(|&ch| ch == 111));
    assert_eq!(by_account(2), [222; 5]);
    let refused = world
        .store
        .journal()
        .into_iter()
        .filter(|entry| entry.error.as_deref() == Some("CHAT_WRITE_FORBIDDEN"))
        .count();
    assert_eq!(
        refused, 1,
        "only the first attempt hits the read-only channel"
    );
}

#[tokio::test(start_paused = true)]
async fn the_user_is_notified_and_gets_a_russian_report() {
    let world = world(EngineConfig::default());
    run_for(&world, Duration::from_secs(20)).await;
    let chat = ChatId::new(-1_009_999).expect("valid chat");
    let notifications = world.bot.texts(chat);
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    assert!(notifications[0].starts_with("🎁 Новый подарок 50 «Rocket»"));
    let delivered = world.bot.delivered();
    assert!(
        delivered.iter().any(|d| d.chat == chat
            && matches!(d.content, giftbuyer_sim::BotContent::Sticker(gift) if gift.get() == 50)),
        "{delivered:?}"
    );
    let report = world.bot.texts(ChatId::new(1).expect("valid chat"));
    assert_eq!(report.len(), 1);
    assert!(
        report[0].starts_with("🧾 Отчёт автопокупки\n📊 Новых: 1 | Куплено: 1 | Пропущено: 0"),
        "{}",
        report[0]
    );
}

#[tokio::test(start_paused = true)]
async fn the_drop_is_detected_within_one_staggered_poll() {
    let world = world(EngineConfig::default());
    let mut events = world.engine.subscribe();
    run_for(&world, Duration::from_secs(8)).await;
    let mut detected = None;
    while let Ok(event) = events.try_recv() {
        if let giftbuyer_engine::EngineEvent::NewGifts { at, .. } = event {
            detected.get_or_insert(at);
        }
    }
    let detected = detected.expect("the drop was detected");
    // Released at 5 s; two accounts at a 1 s interval poll every 0.5 s, plus a round trip.
    assert!(detected >= Duration::from_secs(5), "{detected:?}");
    assert!(detected < Duration::from_millis(5700), "{detected:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stranger_is_refused_before_payment_and_the_copies_reach_the_next_person() {
    let target = |row: i64, recipient: Recipient, supply_max: Option<u64>| Target {
        recipient,
        ..channel(row, 111, supply_max)
    };
    let friend = Recipient::User(TelegramUsername::new("gift_friend").expect("valid"));
    let stranger = Recipient::User(TelegramUsername::new("nobody_here").expect("valid"));
    // The stranger ranks first, the friend second, the buyers' own profiles last.
    let world = world_with(
        EngineConfig::default(),
        vec![
            target(1, stranger, Some(2000)),
            target(2, friend, Some(3000)),
            target(3, Recipient::Buyer, None),
        ],
        MarketConfig::with_seed(3).person(
            TelegramUsername::new("gift_friend").expect("valid"),
            7_000_000_001,
        ),
    );
    run_for(&world, Duration::from_secs(20)).await;

    // Nobody holds the stranger's username: each account's first copy is refused before
    // anything is paid, and the rest move to the friend.
    let purchases = world.market.purchases();
    assert_eq!(purchases.len(), 15);
    assert!(
        purchases.iter().all(|p| p.recipient == friend),
        "{purchases:?}"
    );
    let refused: Vec<(i64, String)> = world
        .store
        .journal()
        .iter()
        .filter(|entry| entry.status == JournalStatus::Failed)
        .filter(|entry| entry.error.as_deref() != Some("moved"))
        .map(|entry| {
            (
                entry.operation.account_id.get(),
                entry.error.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            (1, "USERNAME_NOT_OCCUPIED".to_owned()),
            (2, "USERNAME_NOT_OCCUPIED".to_owned())
        ]
    );
    assert!(
        world
            .store
            .journal()
            .iter()
            .filter(|entry| entry.status == JournalStatus::Bought)
            .all(|entry| entry.operation.recipient == friend)
    );
}
