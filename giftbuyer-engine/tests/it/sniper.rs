//! The resale sniper against the simulated market, in virtual time: a listing under a watch's
//! maximum is bought once by the richest account, journaled all the way; one above it waits for
//! a cheaper one; an unanswered purchase stays unknown and is never resent, even after a
//! restart; a flood-limited account hands its polls to the next one.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{
    ChannelAccess, JournalStatus, NewWatch, ResaleStore as _, ResaleWatchStore as _, TelegramError,
    UserConfig, UserId, UserSettings,
};
use giftbuyer_core::resale::{AttributeFilter, Recipient};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars};
use giftbuyer_engine::{MemoryStore, ResaleSniper, SnipeTick, SniperConfig, TokioClock};
use giftbuyer_sim::{
    AccountSpec, Fault, FaultAction, FaultWhen, LatencyConfig, Market, MarketConfig, Method,
    ResaleSpec, SimBot, SimConnector,
};

use crate::fake::unix;

const GIFT: i64 = 77;

fn account(id: i64) -> AccountId {
    AccountId::new(id).expect("valid account")
}

fn gift() -> GiftId {
    GiftId::new(GIFT).expect("valid gift")
}

fn user() -> UserId {
    UserId::new(1).expect("valid user")
}

fn channel() -> ChannelId {
    ChannelId::from_mtproto(555).expect("valid channel")
}

struct World {
    market: Market,
    store: Arc<MemoryStore>,
    sniper: ResaleSniper,
}

/// Two accounts of one user (the second richer) and listings of gift 77 that nobody else buys.
fn world(listings: Vec<ResaleSpec>) -> World {
    let mut config = MarketConfig::with_seed(9)
        .account(
            AccountSpec::new(account(1), Stars::new(1_000))
                .channel(channel(), ChannelAccess::CanPost),
        )
        .account(
            AccountSpec::new(account(2), Stars::new(3_000))
                .channel(channel(), ChannelAccess::CanPost),
        );
    config.latency = LatencyConfig::default();
    config.resale = listings;
    world_on(config, one_user(&[1, 2], UserSettings::default()), None)
}

/// User 1 with these accounts and settings.
fn one_user(accounts: &[i64], settings: UserSettings) -> Vec<UserConfig> {
    vec![UserConfig {
        user_id: user(),
        settings,
        accounts: accounts.iter().map(|&id| account(id)).collect(),
        targets: Vec::new(),
    }]
}

/// A sniper over `config`'s market for `users`, with `bot` as every user's bot.
fn world_on(config: MarketConfig, users: Vec<UserConfig>, bot: Option<SimBot>) -> World {
    let clock = Arc::new(TokioClock::starting_at(unix(1_764_000_000)));
    let market = Market::new(config, clock.clone()).expect("valid market");
    let store = Arc::new(MemoryStore::new());
    store.set_users(users);
    let sniper = ResaleSniper::new(
        store.clone(),
        store.clone(),
        Arc::new(SimConnector::new(market.clone(), bot)),
        clock,
        SniperConfig::default(),
    );
    World {
        market,
        store,
        sniper,
    }
}

async fn watch(world: &World, max_price: u64, copies: u32, recipient: Recipient) {
    world
        .store
        .create_watch(
            user(),
            &NewWatch {
                gift_id: gift(),
                attributes: AttributeFilter::default(),
                max_price: Stars::new(max_price),
                recipient,
                copies,
            },
        )
        .await
        .expect("watch");
}

fn statuses(world: &World) -> Vec<(String, JournalStatus, Option<AccountId>)> {
    world
        .store
        .resale_journal()
        .into_iter()
        .map(|entry| (entry.buy.slug, entry.status, Some(entry.buy.account_id)))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_listing_under_the_maximum_is_bought_once_by_the_richest_account() {
    let world = world(vec![
        ResaleSpec::new(gift(), 1, Stars::new(2_500)),
        ResaleSpec::new(gift(), 2, Stars::new(800)),
    ]);
    watch(&world, 1_000, 1, Recipient::Channel(channel())).await;

    let tick = world.sniper.tick().await.expect("tick");
    assert_eq!(
        tick,
        SnipeTick {
            polls: 1,
            listings_seen: 2,
            sent: 1,
            bought: 1,
            ..SnipeTick::default()
        }
    );
    assert_eq!(
        statuses(&world),
        [(
            "gift77-2".to_owned(),
            JournalStatus::Bought,
            Some(account(2))
        )]
    );
    let purchases = world.market.resale_purchases();
    assert_eq!(purchases.len(), 1);
    assert_eq!(
        (
            purchases[0].account,
            purchases[0].recipient,
            purchases[0].price
        ),
        (account(2), Recipient::Channel(channel()), Stars::new(800))
    );

    // The watch has what it wanted: later ticks poll nothing and buy nothing.
    let again = world.sniper.tick().await.expect("tick");
    assert_eq!(again, SnipeTick::default());
    assert_eq!(world.market.resale_purchases().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_listing_above_the_maximum_waits_for_a_cheaper_one() {
    let world = world(vec![
        ResaleSpec::new(gift(), 1, Stars::new(1_500)),
        ResaleSpec::new(gift(), 2, Stars::new(600)).listed_at(Duration::from_secs(30)),
    ]);
    watch(&world, 1_000, 1, Recipient::Buyer).await;
    let first = world.sniper.tick().await.expect("tick");
    assert_eq!((first.polls, first.sent), (1, 0));
    assert!(world.market.resale_purchases().is_empty());

    tokio::time::sleep(Duration::from_secs(31)).await;
    let later = world.sniper.tick().await.expect("tick");
    assert_eq!((later.sent, later.bought), (1, 1));
    let purchases = world.market.resale_purchases();
    assert_eq!(purchases.len(), 1);
    assert_eq!(
        (purchases[0].slug.as_str(), purchases[0].recipient),
        ("gift77-2", Recipient::Buyer)
    );
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_purchase_is_unknown_and_never_resent_even_after_a_restart() {
    let world = world(vec![ResaleSpec::new(gift(), 1, Stars::new(500))]);
    watch(&world, 1_000, 2, Recipient::Buyer).await;
    world
        .market
        .inject_fault(Fault::new(
            Method::ResaleBuy,
            FaultWhen::Always,
            FaultAction::Disconnect { executed: true },
        ))
        .expect("fault");

    let tick = world.sniper.tick().await.expect("tick");
    assert_eq!((tick.sent, tick.unknown), (1, 1));
    assert_eq!(world.market.resale_purchases().len(), 1, "it went through");
    world.market.clear_faults();

    // Neither a later tick nor a restart's recovery sends it again.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let tick = world.sniper.tick().await.expect("tick");
        assert_eq!(tick.sent, 0);
    }
    assert_eq!(world.sniper.recover().await.expect("recover"), (0, 0));
    assert_eq!(world.sniper.tick().await.expect("tick").sent, 0);
    assert_eq!(world.market.resale_purchases().len(), 1);
    assert_eq!(
        statuses(&world),
        [(
            "gift77-1".to_owned(),
            JournalStatus::Unknown,
            Some(account(2))
        )]
    );
    // The unknown purchase uses up one of the watch's two copies.
    let watches = world.store.resale_watches().await.expect("watches");
    assert_eq!((watches[0].watch.bought, watches[0].watch.wanted()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_flood_limited_account_hands_its_polls_to_the_next_one() {
    let world = world(Vec::new());
    watch(&world, 1_000, 1, Recipient::Buyer).await;
    world
        .market
        .inject_fault(
            Fault::new(
                Method::Resale,
                FaultWhen::Always,
                FaultAction::Error(TelegramError::FloodWait { seconds: 30 }),
            )
            .for_account(account(1)),
        )
        .expect("fault");
    for _ in 0..4 {
        let tick = world.sniper.tick().await.expect("tick");
        assert_eq!((tick.polls, tick.missed_polls), (1, 0), "{tick:?}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Account 1 was asked once, then left alone while its wait lasts; account 2 polled the rest.
    assert_eq!(world.market.call_count(account(1), Method::Resale), 1);
    assert_eq!(world.market.call_count(account(2), Method::Resale), 4);
}

#[tokio::test(start_paused = true)]
async fn two_users_watching_one_item_do_not_both_send_for_it() {
    let world = world(vec![ResaleSpec::new(gift(), 1, Stars::new(500))]);
    let second = UserId::new(2).expect("valid user");
    world.store.set_users(vec![
        UserConfig {
            user_id: user(),
            settings: UserSettings::default(),
            accounts: vec![account(1)],
            targets: Vec::new(),
        },
        UserConfig {
            user_id: second,
            settings: UserSettings::default(),
            accounts: vec![account(2)],
            targets: Vec::new(),
        },
    ]);
    watch(&world, 1_000, 1, Recipient::Buyer).await;
    world
        .store
        .create_watch(
            second,
            &NewWatch {
                gift_id: gift(),
                attributes: AttributeFilter::default(),
                max_price: Stars::new(1_000),
                recipient: Recipient::Buyer,
                copies: 1,
            },
        )
        .await
        .expect("watch");
    let tick = world.sniper.tick().await.expect("tick");
    assert_eq!((tick.sent, tick.bought, tick.failed), (1, 1, 0));
    let purchases = world.market.resale_purchases();
    assert_eq!(purchases.len(), 1);
    assert_eq!(
        purchases[0].account,
        account(1),
        "the older user is served first"
    );
}

#[tokio::test(start_paused = true)]
async fn what_was_bought_is_reported_to_the_users_chats_in_their_language() {
    use giftbuyer_core::ports::ChatId;
    use giftbuyer_core::report::Lang;
    use giftbuyer_sim::BotConfig;
    let mut config =
        MarketConfig::with_seed(9).account(AccountSpec::new(account(1), Stars::new(1_000)));
    config.resale = vec![ResaleSpec::new(gift(), 1, Stars::new(400))];
    let bot = SimBot::new(
        Arc::new(TokioClock::starting_at(unix(1_764_000_000))),
        BotConfig::default(),
    );
    let chat = ChatId::new(-100_777).expect("valid chat");
    let settings = UserSettings {
        notification_chats: vec![chat],
        report_lang: Lang::Ru,
        ..UserSettings::default()
    };
    let world = world_on(config, one_user(&[1], settings), Some(bot.clone()));
    watch(&world, 1_000, 1, Recipient::Buyer).await;
    let tick = world.sniper.tick().await.expect("tick");
    assert_eq!(tick.bought, 1);
    // The report goes out on its own task, after the purchase.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let texts = bot.texts(chat);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].starts_with("🛒 Перепродажа\n• ✅ gift77-1 | 400⭐ | acc=1 → себе"),
        "{}",
        texts[0]
    );
    // A tick that buys nothing says nothing.
    world.sniper.tick().await.expect("tick");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(bot.texts(chat).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_account_a_channel_refused_is_not_planned_for_it_again() {
    let mut config = MarketConfig::with_seed(9)
        .account(
            AccountSpec::new(account(1), Stars::new(1_000))
                .channel(channel(), ChannelAccess::CanPost),
        )
        .account(
            // The richer account may only read the channel.
            AccountSpec::new(account(2), Stars::new(5_000))
                .channel(channel(), ChannelAccess::ReadOnly),
        );
    config.resale = vec![
        ResaleSpec::new(gift(), 1, Stars::new(300)),
        ResaleSpec::new(gift(), 2, Stars::new(400)),
    ];
    let world = world_on(config, one_user(&[1, 2], UserSettings::default()), None);
    watch(&world, 1_000, 2, Recipient::Channel(channel())).await;
    // The first tick sends both from the richest account, and the channel refuses it.
    let first = world.sniper.tick().await.expect("tick");
    assert_eq!((first.sent, first.failed), (2, 2), "{first:?}");
    // From then on the account that may post buys them; the refused one is left out.
    let second = world.sniper.tick().await.expect("tick");
    assert_eq!(
        (second.sent, second.bought, second.failed),
        (2, 2, 0),
        "{second:?}"
    );
    let buyers: Vec<AccountId> = world
        .market
        .resale_purchases()
        .iter()
        .map(|purchase| purchase.account)
        .collect();
    assert_eq!(buyers, [account(1), account(1)]);
}

#[tokio::test(start_paused = true)]
async fn a_username_nobody_holds_is_not_tried_again_every_tick() {
    let mut config =
        MarketConfig::with_seed(9).account(AccountSpec::new(account(1), Stars::new(5_000)));
    config.resale = vec![
        ResaleSpec::new(gift(), 1, Stars::new(300)),
        ResaleSpec::new(gift(), 2, Stars::new(400)),
    ];
    let world = world_on(config, one_user(&[1], UserSettings::default()), None);
    let stranger = giftbuyer_core::TelegramUsername::new("nobody_here").expect("valid");
    watch(&world, 1_000, 2, Recipient::User(stranger)).await;
    // Both listings are sent once and refused before anything is paid.
    let first = world.sniper.tick().await.expect("tick");
    assert_eq!((first.sent, first.failed), (2, 2), "{first:?}");
    // The refusal is remembered: the next ticks send nothing for that person.
    for _ in 0..3 {
        let later = world.sniper.tick().await.expect("tick");
        assert_eq!(later.sent, 0, "{later:?}");
    }
    assert!(world.market.resale_purchases().is_empty());
    assert_eq!(world.market.balance(account(1)), Some(Stars::new(5_000)));
}

#[tokio::test(start_paused = true)]
async fn each_purchase_end_is_published_for_live_views() {
    use giftbuyer_engine::EngineEvent;
    let world = world(vec![ResaleSpec::new(gift(), 1, Stars::new(500))]);
    let (events, mut received) = tokio::sync::broadcast::channel(8);
    let World {
        market,
        store,
        sniper,
    } = world;
    let world = World {
        sniper: sniper.with_events(events),
        market,
        store,
    };
    watch(&world, 1_000, 1, Recipient::Buyer).await;
    world.sniper.tick().await.expect("tick");
    match received.try_recv().expect("an event") {
        EngineEvent::ResalePurchaseDone {
            user: who,
            account: by,
            slug,
            outcome,
        } => assert_eq!(
            (who, by, slug.as_str(), outcome.as_str()),
            (user(), account(2), "gift77-1", "bought")
        ),
        other => panic!("unexpected event {other:?}"),
    }
}
