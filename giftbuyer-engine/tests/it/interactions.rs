//! Interaction tests of the engine against mocked ports: which calls it makes to Telegram and
//! to the bot, how often and in which order. The scripted fake (`fake.rs`) and the simulator
//! model a market; these tests only state expectations, so mockall checks them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::thread::{self, ThreadId};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::auction::AuctionAnswer;
use giftbuyer_core::ports::{
    BidRequest, BotError, CatalogResponse, ChannelInfo, ChatId, Clock, Connector, EngineStore as _,
    JournalStatus, NotificationBot, Profile, PurchaseReceipt, PurchaseRequest, ResalePage,
    ResalePurchaseRequest, Sticker, TelegramAccount, TelegramError, UserConfig, UserId,
    UserSettings,
};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{
    Account, AccountId, Bounds, CatalogGift, ChannelId, GiftId, Operation, PlanInput, Recipient,
    Stars, StickerRef, Target, TargetFilter, TargetRowId, UnixTime, plan,
};
use giftbuyer_engine::{Engine, EngineConfig, MemoryStore, PollOutcome, TokioClock};
use mockall::{Sequence, mock};

mock! {
    Account {}

    #[async_trait]
    impl TelegramAccount for Account {
        fn account_id(&self) -> AccountId;
        async fn star_gifts(&self, hash: i32) -> Result<CatalogResponse, TelegramError>;
        async fn profile(&self) -> Result<Profile, TelegramError>;
        async fn stars_balance(&self) -> Result<Stars, TelegramError>;
        async fn buy_gift(&self, request: PurchaseRequest)
        -> Result<PurchaseReceipt, TelegramError>;
        async fn resale_listings(&self, gift_id: GiftId, offset: &str, limit: i32)
        -> Result<ResalePage, TelegramError>;
        async fn buy_resale(&self, request: ResalePurchaseRequest)
        -> Result<PurchaseReceipt, TelegramError>;
        async fn auction_state(&self, gift_id: GiftId, version: i32)
        -> Result<AuctionAnswer, TelegramError>;
        async fn place_bid(&self, request: BidRequest) -> Result<PurchaseReceipt, TelegramError>;
        async fn download_sticker(&self, sticker: StickerRef) -> Result<Vec<u8>, TelegramError>;
        async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, TelegramError>;
        async fn channel_takes_star_gifts(&self, channel: ChannelId) -> Result<bool, TelegramError>;
    }
}

mock! {
    Connector {}

    #[async_trait]
    impl Connector for Connector {
        async fn account(&self, id: AccountId)
        -> Result<Arc<dyn TelegramAccount>, TelegramError>;
        async fn bot(&self, user: UserId) -> Result<Option<Arc<dyn NotificationBot>>, BotError>;
    }
}

mock! {
    Bot {}

    #[async_trait]
    impl NotificationBot for Bot {
        async fn send_message(&self, chat: ChatId, text: String) -> Result<(), BotError>;
        async fn send_sticker(&self, chat: ChatId, sticker: Sticker) -> Result<(), BotError>;
    }
}

const START: i64 = 1_764_000_000;
/// The hash of the catalog every mocked account serves.
const HASH: i32 = 7;
const USER: i64 = 1;
const NOTICE_CHAT: i64 = -100_500;

fn unix(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).expect("valid time")
}

fn account_id(id: i64) -> AccountId {
    AccountId::new(id).expect("valid account")
}

/// A limited gift without a sticker, so that no download gets in the way of the calls a test
/// is about.
fn gift(id: i64, supply: i64, per_user: i64) -> CatalogGift {
    CatalogGift {
        id,
        price: 10,
        limited: true,
        supply: Some(supply),
        remaining: Some(supply),
        per_user_remains: Some(per_user),
        ..CatalogGift::default()
    }
}

/// The gift the store knew before the drop.
fn old_gift() -> CatalogGift {
    gift(1, 100, 10)
}

fn channels() -> Vec<Target> {
    let channel = |row: i64, suffix: i64, supply_max: Option<u64>| Target {
        exclude: giftbuyer_core::ExcludeList::EMPTY,
        row_id: TargetRowId::new(row).expect("valid row"),
        recipient: Recipient::Channel(ChannelId::from_mtproto(suffix).expect("valid channel")),
        filter: TargetFilter {
            price: Bounds::UNBOUNDED,
            supply: Bounds::new(None, supply_max, "supply").expect("valid bounds"),
        },
        title: None,
    };
    vec![channel(1, 111, Some(10_000)), channel(2, 222, None)]
}

fn user(accounts: &[i64], notification_chats: &[i64], autobuy: bool) -> UserConfig {
    UserConfig {
        user_id: UserId::new(USER).expect("valid user"),
        settings: UserSettings {
            priority: giftbuyer_core::Priority::ScarcestFirst,
            autobuy,
            notification_chats: notification_chats
                .iter()
                .map(|&chat| ChatId::new(chat).expect("valid chat"))
                .collect(),
            report_lang: Lang::En,
            forced_target: None,
        },
        accounts: accounts.iter().map(|&id| account_id(id)).collect(),
        targets: channels(),
    }
}

/// An account that serves `catalog` (answering `NotModified` to its hash) with a fixed balance
/// and no Premium, however often it is asked; a test adds the purchases it expects.
fn account(id: i64, balance: u64, catalog: Vec<CatalogGift>) -> MockAccount {
    let id = account_id(id);
    let mut account = MockAccount::new();
    account.expect_account_id().return_const(id);
    account.expect_star_gifts().returning(move |hash| {
        Ok(if hash == HASH {
            CatalogResponse::NotModified
        } else {
            CatalogResponse::Catalog {
                hash: HASH,
                gifts: catalog.clone(),
            }
        })
    });
    account
        .expect_stars_balance()
        .returning(move || Ok(Stars::new(balance)));
    account.expect_profile().returning(move || {
        Ok(Profile {
            account_id: id,
            username: None,
            first_name: None,
            premium: false,
            premium_until: None,
        })
    });
    account
}

/// What the engine should send for `balances` over `gifts`: the core's plan, per account in
/// plan order.
fn planned(balances: &[(i64, u64)], gifts: &[CatalogGift]) -> HashMap<AccountId, Vec<Operation>> {
    let accounts = balances
        .iter()
        .map(|&(id, balance)| Account {
            id: account_id(id),
            balance: Stars::new(balance),
            premium: false,
        })
        .collect();
    let input = PlanInput::new(accounts, channels(), gifts.to_vec()).expect("valid input");
    let mut per_account: HashMap<AccountId, Vec<Operation>> = HashMap::new();
    for op in plan(&input, unix(START)).operations {
        per_account.entry(op.account_id).or_default().push(op);
    }
    per_account
}

/// Expects exactly `ops`, each once, in this order.
fn expect_purchases(
    account: &mut MockAccount,
    ops: &[Operation],
    seq: &mut Sequence,
    answer: fn() -> Result<PurchaseReceipt, TelegramError>,
) {
    for op in ops.iter().copied() {
        account
            .expect_buy_gift()
            .withf(move |request| {
                (request.gift_id, request.recipient, request.price)
                    == (op.gift_id, op.recipient, op.price)
            })
            .times(1)
            .in_sequence(seq)
            .returning(move |_| answer());
    }
}

fn bought() -> Result<PurchaseReceipt, TelegramError> {
    Ok(PurchaseReceipt { form_id: 1 })
}

/// Lets `connector` hand out the mocked accounts (any number of times: polls, balance
/// refreshes and each account's purchases connect).
fn serve_accounts(connector: &mut MockConnector, accounts: Vec<MockAccount>) {
    let accounts: HashMap<AccountId, Arc<dyn TelegramAccount>> = accounts
        .into_iter()
        .map(|account| {
            let account: Arc<dyn TelegramAccount> = Arc::new(account);
            (account.account_id(), account)
        })
        .collect();
    connector.expect_account().returning(move |id| {
        accounts
            .get(&id)
            .cloned()
            .ok_or(TelegramError::AuthKeyUnregistered)
    });
}

/// An engine over `connector` for `user`, on a store that already knows the catalog from
/// before the drop, so the first poll finds the new gifts instead of seeding.
async fn engine(user: UserConfig, connector: MockConnector) -> (Engine, Arc<MemoryStore>) {
    let clock = Arc::new(TokioClock::starting_at(unix(START)));
    let store = Arc::new(MemoryStore::new());
    store.set_users(vec![user]);
    store
        .record_catalog(&[old_gift()], unix(START))
        .await
        .expect("seed the known catalog");
    let engine = Engine::new(
        store.clone(),
        Arc::new(connector),
        clock,
        EngineConfig::default(),
    );
    (engine, store)
}

/// Threads on which something panicked since `watch_panics` was first called.
static PANICKED: Mutex<Option<HashSet<ThreadId>>> = Mutex::new(None);

/// Notes every panic's thread. The engine's tasks catch panics and only log them, so a mock's
/// complaint inside one (a call nobody expected, or one out of sequence) would not fail a test
/// by itself. These tests run on tokio's current-thread runtime, where every task runs on the
/// test's own thread, so a test can tell whether one of its tasks panicked.
fn watch_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert_with(HashSet::new)
                .insert(thread::current().id());
            previous(info);
        }));
    });
}

fn assert_no_task_panicked() {
    let panicked = PANICKED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .is_some_and(|threads| threads.contains(&thread::current().id()));
    assert!(
        !panicked,
        "a mock refused a call inside an engine task (see its panic above)"
    );
}

/// Polls once, expecting the drop, waits for everything it started, and checks that no mock
/// refused a call on the way.
async fn drop_found(engine: &Engine) {
    watch_panics();
    let report = engine.tick().await.expect("tick");
    assert!(
        matches!(report.outcome, PollOutcome::NewGifts { .. }),
        "{report:?}"
    );
    engine.settle().await;
    assert_no_task_panicked();
}

/// Each journal entry as `account gift status error`, by key.
fn journal(store: &MemoryStore) -> Vec<(i64, i64, JournalStatus, Option<String>)> {
    store
        .journal()
        .into_iter()
        .map(|entry| {
            (
                entry.operation.account_id.get(),
                entry.operation.gift_id.get(),
                entry.status,
                entry.error,
            )
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn each_planned_purchase_is_sent_once_in_plan_order_per_account() {
    // Two gifts, two copies each per user: every account buys the rarer gift twice, then the
    // other twice, so an account's order is visible in its calls.
    let gifts = vec![old_gift(), gift(501, 50, 2), gift(502, 100, 2)];
    let balances = [(11, 100), (12, 60)];
    let plan = planned(&balances, &gifts[1..]);
    for id in [11, 12] {
        let order: Vec<i64> = plan[&account_id(id)]
            .iter()
            .map(|op| op.gift_id.get())
            .collect();
        assert_eq!(order, [501, 501, 502, 502], "account {id}");
    }

    let mut accounts = Vec::new();
    for (id, balance) in balances {
        let mut account = account(id, balance, gifts.clone());
        // One sequence per account: accounts send concurrently, so only each account's own
        // order is promised.
        let mut seq = Sequence::new();
        expect_purchases(&mut account, &plan[&account_id(id)], &mut seq, bought);
        accounts.push(account);
    }
    let mut connector = MockConnector::new();
    serve_accounts(&mut connector, accounts);
    connector.expect_bot().returning(|_| Ok(None));
    let (engine, store) = engine(user(&[11, 12], &[], true), connector).await;

    drop_found(&engine).await;

    let journal = journal(&store);
    assert_eq!(journal.len(), 8, "{journal:#?}");
    assert!(
        journal
            .iter()
            .all(|(_, _, status, _)| *status == JournalStatus::Bought),
        "{journal:#?}"
    );
    // Dropping the engine drops the mocks, which check that every expected purchase came.
    drop(engine);
}

#[tokio::test(start_paused = true)]
async fn balance_too_low_stops_that_account_and_no_other() {
    let gifts = vec![old_gift(), gift(501, 50, 2), gift(502, 100, 2)];
    let balances = [(11, 100), (12, 60)];
    let plan = planned(&balances, &gifts[1..]);

    // Account 11's first purchase is refused for its balance: it must send nothing more.
    let mut poor = account(11, 100, gifts.clone());
    expect_purchases(
        &mut poor,
        &plan[&account_id(11)][..1],
        &mut Sequence::new(),
        || Err(TelegramError::BalanceTooLow),
    );
    let mut rich = account(12, 60, gifts.clone());
    expect_purchases(
        &mut rich,
        &plan[&account_id(12)],
        &mut Sequence::new(),
        bought,
    );
    let mut connector = MockConnector::new();
    serve_accounts(&mut connector, vec![poor, rich]);
    connector.expect_bot().returning(|_| Ok(None));
    let (engine, store) = engine(user(&[11, 12], &[], true), connector).await;

    drop_found(&engine).await;

    let journal = journal(&store);
    let refused = Some("BALANCE_TOO_LOW".to_owned());
    let poor: Vec<_> = journal.iter().filter(|entry| entry.0 == 11).collect();
    assert_eq!(poor.len(), 4, "{journal:#?}");
    // The refused purchase and the three cancelled after it all name the reason.
    assert!(
        poor.iter()
            .all(|(_, _, status, error)| *status == JournalStatus::Failed && *error == refused),
        "{journal:#?}"
    );
    assert!(
        journal
            .iter()
            .filter(|entry| entry.0 == 12)
            .all(|(_, _, status, _)| *status == JournalStatus::Bought),
        "{journal:#?}"
    );
    drop(engine);
}

#[tokio::test(start_paused = true)]
async fn the_bot_is_called_only_after_every_purchase_was_sent() {
    let gifts = vec![old_gift(), gift(501, 50, 3)];
    let plan = planned(&[(11, 100)], &gifts[1..]);
    assert_eq!(plan[&account_id(11)].len(), 3);

    // One sequence across the ports: the three purchases, then the bot is asked for and sends
    // the run's report to the account's own chat. The user has no notification chats: new-gift
    // notices run beside buying, not after it, so they may reach the bot first.
    let mut seq = Sequence::new();
    let mut buyer = account(11, 100, gifts.clone());
    expect_purchases(&mut buyer, &plan[&account_id(11)], &mut seq, bought);
    let mut connector = MockConnector::new();
    serve_accounts(&mut connector, vec![buyer]);
    // The bot is made after the connector's expectation, which must come first in the sequence.
    let slot: Arc<OnceLock<Arc<dyn NotificationBot>>> = Arc::default();
    let handed_out = slot.clone();
    connector
        .expect_bot()
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_| Ok(handed_out.get().cloned()));
    let mut bot = MockBot::new();
    bot.expect_send_message()
        .withf(|chat, text| chat.get() == 11 && text.starts_with("🧾"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    assert!(slot.set(Arc::new(bot)).is_ok());
    let (engine, store) = engine(user(&[11], &[], true), connector).await;

    drop_found(&engine).await;

    assert_eq!(store.journal().len(), 3);
    drop(engine);
}

#[tokio::test(start_paused = true)]
async fn a_new_gift_notice_reaches_the_bot_only_after_the_purchases_were_sent() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let gifts = vec![old_gift(), gift(501, 50, 3)];
    let plan = planned(&[(11, 100)], &gifts[1..]);
    let sent = Arc::new(AtomicUsize::new(0));
    let mut buyer = account(11, 100, gifts.clone());
    let counted = sent.clone();
    buyer
        .expect_buy_gift()
        .times(plan[&account_id(11)].len())
        .returning(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            bought()
        });
    let mut connector = MockConnector::new();
    serve_accounts(&mut connector, vec![buyer]);
    let mut bot = MockBot::new();
    let at_send = sent.clone();
    // The notice and the run's report: both only once all three purchases went out.
    bot.expect_send_message().times(2).returning(move |_, _| {
        assert_eq!(
            at_send.load(Ordering::SeqCst),
            3,
            "the bot was used before the purchases"
        );
        Ok(())
    });
    let bot: Arc<dyn NotificationBot> = Arc::new(bot);
    let at_bot = sent.clone();
    connector.expect_bot().times(2).returning(move |_| {
        assert_eq!(
            at_bot.load(Ordering::SeqCst),
            3,
            "the bot was asked for before the purchases"
        );
        Ok(Some(bot.clone()))
    });
    let (engine, store) = engine(user(&[11], &[NOTICE_CHAT], true), connector).await;

    drop_found(&engine).await;

    assert_eq!(store.journal().len(), 3);
    drop(engine);
}

/// A bot whose first answer to the new-gift notice is `retry_after`, and that records when each
/// call came, in the engine's clock.
fn rate_limited_bot(clock: Arc<dyn Clock>, retry_after: u32, resends: usize) -> MockBot {
    let sent_at = Arc::new(Mutex::new(Vec::new()));
    let mut seq = Sequence::new();
    let mut bot = MockBot::new();
    let first = sent_at.clone();
    let first_clock = clock.clone();
    bot.expect_send_message()
        .withf(|chat, text| chat.get() == NOTICE_CHAT && text.starts_with("🎁 New gift 501"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_, _| {
            first.lock().expect("times").push(first_clock.elapsed());
            Err(BotError::RetryAfter {
                seconds: retry_after,
            })
        });
    let wait = Duration::from_secs(u64::from(retry_after));
    // The resend is only accepted once the wait is over: a call before would match nothing.
    bot.expect_send_message()
        .withf(move |chat, text| {
            let first = sent_at.lock().expect("times").first().copied();
            chat.get() == NOTICE_CHAT
                && text.starts_with("🎁 New gift 501")
                && first.is_some_and(|first| clock.elapsed() >= first + wait)
        })
        .times(resends)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    bot
}

async fn notify_with(bot: MockBot) -> Engine {
    let gifts = vec![old_gift(), gift(501, 50, 3)];
    let mut connector = MockConnector::new();
    serve_accounts(&mut connector, vec![account(11, 100, gifts)]);
    let bot: Arc<dyn NotificationBot> = Arc::new(bot);
    connector
        .expect_bot()
        .times(1)
        .returning(move |_| Ok(Some(bot.clone())));
    // Autobuy is off: the notice is the only message.
    let (engine, _store) = engine(user(&[11], &[NOTICE_CHAT], false), connector).await;
    engine
}

#[tokio::test(start_paused = true)]
async fn the_notifier_waits_out_a_short_retry_after_and_sends_once_more() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(unix(START)));
    let engine = notify_with(rate_limited_bot(clock, 5, 1)).await;
    drop_found(&engine).await;
    drop(engine);
}

#[tokio::test(start_paused = true)]
async fn the_notifier_gives_up_on_a_retry_after_longer_than_it_honours() {
    // The engine honours waits up to 30 s; a longer one drops the message without a resend.
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(unix(START)));
    let engine = notify_with(rate_limited_bot(clock, 31, 0)).await;
    drop_found(&engine).await;
    drop(engine);
}
