//! The adapters wired together over the real store (SQLite in a temporary file) and a fake of
//! the network seam: the whole engine from "a new gift in getStarGifts" to "sendStarsForm
//! sent"; sessions saved through the vault with their auth keys encrypted at rest; the
//! connector's leases, reconnections and bot cache; a login through the `TelegramLogin` port
//! saved as the panel saves it, then opened by the connector.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use giftbuyer_core::ports::{
    AccountRowId, AccountStore, ApiCredentials, ApiProfileStore, Clock, Connector, EngineStore,
    HistoryStore, JournalStatus, LoginProgress, LoginStart, NewAccount, NewApiProfile, NewTarget,
    Profile, Secret, SessionVault, SettingsStore, TargetStore, TelegramError, TelegramLogin,
    UserId, UserSettings, UserStore, Username,
};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{ChannelId, TargetFilter};
use giftbuyer_engine::{Engine, EngineConfig, PollOutcome, TokioClock};
use giftbuyer_store::{MasterKey, Store};
use giftbuyer_telegram::connector::{ConnectorConfig, TelegramConnector};
use giftbuyer_telegram::login::{LoginConfig, LoginFlow};
use giftbuyer_telegram::login_port::TelegramLoginPort;
use giftbuyer_telegram::session::{SessionSink, StoredSession, VaultSink};
use giftbuyer_telegram::transport::{InvokerFactory, RawInvoker};
use grammers_mtsender::{InvocationError, RpcError};
use grammers_session::Session;
use grammers_session::types::{DcOption, PeerAuth, PeerInfo};
use grammers_tl_types::{Deserializable, Identifiable, Serializable, enums, functions, types};

use crate::fixtures::{plain_gift, star_gift, star_gift_form, user};

const TELEGRAM_ID: i64 = 1337;
const CHANNEL_MTPROTO: i64 = 1_234_567_890;
const CHANNEL_HASH: i64 = 4242;
const FORM_ID: i64 = 777;
const NEW_GIFT: i64 = 900;

/// An auth key no database would produce by chance.
fn auth_key() -> [u8; 256] {
    let mut key = [0u8; 256];
    let mut x: u32 = 0x9e37_79b9;
    for byte in &mut key {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *byte = x.to_le_bytes()[0];
    }
    key
}

/// Telegram as the engine's path needs it, answering by constructor id. Every request is kept.
#[derive(Default)]
struct FakeTelegram {
    gifts: Mutex<Vec<enums::StarGift>>,
    seen: Mutex<Vec<Vec<u8>>>,
    /// Answer everything with `AUTH_KEY_UNREGISTERED` (a revoked session).
    revoked: AtomicBool,
}

impl FakeTelegram {
    fn seen_of(&self, constructor: u32) -> Vec<Vec<u8>> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|body| body[..4] == constructor.to_le_bytes())
            .cloned()
            .collect()
    }

    fn answer(&self, body: &[u8]) -> Result<Vec<u8>, InvocationError> {
        let id = u32::from_le_bytes(body[..4].try_into().expect("id"));
        if self.revoked.load(Ordering::SeqCst) {
            return Err(rpc(id, 401, "AUTH_KEY_UNREGISTERED"));
        }
        let gifts = self.gifts.lock().expect("lock").clone();
        Ok(match id {
            functions::payments::GetStarGifts::CONSTRUCTOR_ID => {
                let request =
                    functions::payments::GetStarGifts::from_bytes(&body[4..]).expect("request");
                let hash = i32::try_from(gifts.len()).expect("small") + 1000;
                if request.hash == hash {
                    enums::payments::StarGifts::NotModified.to_bytes()
                } else {
                    enums::payments::StarGifts::Gifts(types::payments::StarGifts {
                        hash,
                        gifts,
                        chats: Vec::new(),
                        users: Vec::new(),
                    })
                    .to_bytes()
                }
            }
            functions::payments::GetStarsStatus::CONSTRUCTOR_ID => {
                enums::payments::StarsStatus::Status(types::payments::StarsStatus {
                    balance: enums::StarsAmount::Amount(types::StarsAmount {
                        amount: 10_000,
                        nanos: 0,
                    }),
                    subscriptions: None,
                    subscriptions_next_offset: None,
                    subscriptions_missing_balance: None,
                    history: None,
                    next_offset: None,
                    chats: Vec::new(),
                    users: Vec::new(),
                })
                .to_bytes()
            }
            // The login of `a_login_through_the_port_is_saved_and_the_connector_opens_it`.
            functions::auth::SendCode::CONSTRUCTOR_ID => {
                enums::auth::SentCode::Code(types::auth::SentCode {
                    r#type: enums::auth::SentCodeType::App(types::auth::SentCodeTypeApp {
                        length: 5,
                    }),
                    phone_code_hash: "hash".to_owned(),
                    next_type: None,
                    timeout: None,
                })
                .to_bytes()
            }
            functions::auth::SignIn::CONSTRUCTOR_ID => {
                enums::auth::Authorization::Authorization(types::auth::Authorization {
                    setup_password_required: false,
                    otherwise_relogin_days: None,
                    tmp_sessions: None,
                    future_auth_token: None,
                    user: enums::User::User(user(TELEGRAM_ID, true)),
                })
                .to_bytes()
            }
            functions::users::GetUsers::CONSTRUCTOR_ID => {
                vec![enums::User::User(user(TELEGRAM_ID, true))].to_bytes()
            }
            functions::payments::GetPaymentForm::CONSTRUCTOR_ID => {
                star_gift_form(FORM_ID, 25).to_bytes()
            }
            functions::payments::SendStarsForm::CONSTRUCTOR_ID => {
                enums::payments::PaymentResult::Result(types::payments::PaymentResult {
                    updates: enums::Updates::TooLong,
                })
                .to_bytes()
            }
            _ => return Err(rpc(id, 400, "NOT_SCRIPTED")),
        })
    }
}

fn rpc(caused_by: u32, code: i32, message: &str) -> InvocationError {
    InvocationError::Rpc(
        RpcError::from(types::RpcError {
            error_code: code,
            error_message: message.to_owned(),
        })
        .with_caused_by(caused_by),
    )
}

/// One connection of the fake: it answers from the shared fake Telegram and can be killed.
struct FakeConnection {
    telegram: Arc<FakeTelegram>,
    alive: Arc<AtomicBool>,
}

#[async_trait]
impl RawInvoker for FakeConnection {
    async fn invoke_raw(&self, dc: Option<i32>, body: Vec<u8>) -> Result<Vec<u8>, InvocationError> {
        assert_eq!(dc, None, "everything on this path goes to the home DC");
        self.telegram.seen.lock().expect("lock").push(body.clone());
        self.telegram.answer(&body)
    }

    async fn refresh_dialogs(&self) -> Result<(), InvocationError> {
        Ok(())
    }

    fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }
}

/// One connection the factory opened: its session, its `api_id` and its liveness switch.
type Opened = (Arc<StoredSession>, i32, Arc<AtomicBool>);

/// Opens fake connections and remembers what each was opened with.
#[derive(Default)]
struct FakeFactory {
    telegram: Arc<FakeTelegram>,
    opened: Mutex<Vec<Opened>>,
}

impl InvokerFactory for FakeFactory {
    fn connect(
        &self,
        session: Arc<StoredSession>,
        api_id: i32,
    ) -> Result<Arc<dyn RawInvoker>, InvocationError> {
        let alive = Arc::new(AtomicBool::new(true));
        self.opened
            .lock()
            .expect("lock")
            .push((session, api_id, Arc::clone(&alive)));
        Ok(Arc::new(FakeConnection {
            telegram: Arc::clone(&self.telegram),
            alive,
        }))
    }
}

impl FakeFactory {
    fn opened(&self) -> usize {
        self.opened.lock().expect("lock").len()
    }
}

/// A store in a temporary SQLite file with one user, one logged-in account and one channel.
struct World {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    clock: Arc<TokioClock>,
    user: UserId,
    row: AccountRowId,
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = Arc::new(
        Store::connect(&url, MasterKey::from_bytes([3; 32]))
            .await
            .expect("store"),
    );
    let clock = Arc::new(TokioClock::system());
    let now = clock.unix_now();
    let user = store
        .create_user(&Username::new("alice").expect("name"), "$argon2id$x", now)
        .await
        .expect("user");
    let profile = store
        .create_api_profile(
            user,
            NewApiProfile {
                name: "main".to_owned(),
                api_id: 12345,
                api_hash: Secret::new("0123456789abcdef0123456789abcdef".to_owned()),
            },
            now,
        )
        .await
        .expect("api profile");
    let row = store
        .create_account(
            user,
            NewAccount {
                phone: Secret::new("+15551234567".to_owned()),
                api_profile: Some(profile),
            },
            now,
        )
        .await
        .expect("account");
    World {
        dir,
        store,
        clock,
        user,
        row,
    }
}

impl World {
    fn vault_sink(&self) -> Arc<dyn SessionSink> {
        Arc::new(VaultSink::new(
            self.store.clone(),
            self.clock.clone(),
            self.user,
            self.row,
        ))
    }

    /// Logs the account in as a completed login leaves it: a session with an auth key, the
    /// self user and the channel in its peer cache, saved through the vault; the profile
    /// recorded; a channel and autobuy set up.
    async fn log_in(&self) {
        let session = StoredSession::new(self.vault_sink());
        session
            .set_dc_option(&DcOption {
                id: 2,
                ipv4: SocketAddrV4::new(Ipv4Addr::new(149, 154, 167, 51), 443),
                ipv6: SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, 0, 0),
                auth_key: Some(auth_key()),
            })
            .await
            .expect("saved");
        session
            .cache_peers(vec![
                PeerInfo::User {
                    id: TELEGRAM_ID,
                    auth: Some(PeerAuth::from_hash(99)),
                    bot: Some(false),
                    is_self: Some(true),
                },
                PeerInfo::Channel {
                    id: CHANNEL_MTPROTO,
                    auth: Some(PeerAuth::from_hash(CHANNEL_HASH)),
                    kind: None,
                },
            ])
            .await
            .expect("saved");
        let now = self.clock.unix_now();
        self.store
            .record_account_login(
                self.user,
                self.row,
                &Profile {
                    account_id: giftbuyer_core::AccountId::new(TELEGRAM_ID).expect("id"),
                    username: Some("alice".to_owned()),
                    first_name: Some("Alice".to_owned()),
                    premium: true,
                    premium_until: None,
                },
                now,
            )
            .await
            .expect("login recorded");
        self.store
            .add_target(
                self.user,
                NewTarget {
                    exclude: giftbuyer_core::ExcludeList::EMPTY,
                    recipient: giftbuyer_core::Recipient::Channel(
                        ChannelId::from_mtproto(CHANNEL_MTPROTO).expect("channel"),
                    ),
                    title: Some("Gifts".to_owned()),
                    filter: TargetFilter::default(),
                },
                now,
            )
            .await
            .expect("channel");
        self.store
            .save_settings(
                self.user,
                &UserSettings {
                    priority: giftbuyer_core::Priority::ScarcestFirst,
                    autobuy: true,
                    notification_chats: Vec::new(),
                    report_lang: Lang::En,
                    forced_target: None,
                },
                now,
            )
            .await
            .expect("settings");
    }

    fn connector(&self, factory: &Arc<FakeFactory>, holder: &str) -> Arc<TelegramConnector> {
        Arc::new(TelegramConnector::new(
            self.store.clone(),
            self.clock.clone(),
            factory.clone(),
            ConnectorConfig::new(holder),
        ))
    }

    /// Every byte of the database's files (the main file, the WAL and the shared memory).
    fn database_bytes(&self) -> Vec<u8> {
        ["store.db", "store.db-wal", "store.db-shm"]
            .iter()
            .map(|name| self.dir.path().join(name))
            .filter(|path| path.exists())
            .flat_map(|path| std::fs::read(path).expect("readable"))
            .collect()
    }
}

fn account_id() -> giftbuyer_core::AccountId {
    giftbuyer_core::AccountId::new(TELEGRAM_ID).expect("id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_buys_a_new_gift_through_the_adapters() {
    let world = world().await;
    world.log_in().await;
    let factory = Arc::new(FakeFactory::default());
    *factory.telegram.gifts.lock().expect("lock") = vec![enums::StarGift::Gift(plain_gift(1))];
    let connector = world.connector(&factory, "instance-a");
    let engine = Engine::new(
        world.store.clone(),
        connector.clone(),
        world.clock.clone(),
        EngineConfig::default(),
    );

    // The first catalog ever only seeds the known gifts.
    let first = engine.tick().await.expect("tick");
    assert_eq!(first.outcome, PollOutcome::Seeded { gifts: 1 });

    // A limited gift appears: the engine plans and buys it for the channel.
    let mut gift = star_gift(NEW_GIFT);
    gift.require_premium = false;
    gift.locked_until_date = None;
    factory
        .telegram
        .gifts
        .lock()
        .expect("lock")
        .push(enums::StarGift::Gift(gift));
    let second = engine.tick().await.expect("tick");
    assert!(
        matches!(&second.outcome, PollOutcome::NewGifts { gifts, runs }
            if gifts.len() == 1 && gifts[0].get() == NEW_GIFT && runs == &[world.user]),
        "{second:?}"
    );
    engine.settle().await;

    // The purchase went out exactly as the schema wants it, once per copy, each paying the
    // form it was given for the invoice it was made for.
    let forms = factory
        .telegram
        .seen_of(functions::payments::GetPaymentForm::CONSTRUCTOR_ID);
    let sends = factory
        .telegram
        .seen_of(functions::payments::SendStarsForm::CONSTRUCTOR_ID);
    assert!(!sends.is_empty(), "sendStarsForm was sent");
    assert_eq!(forms.len(), sends.len());
    let expected_invoice = enums::InputInvoice::StarGift(types::InputInvoiceStarGift {
        hide_name: false,
        include_upgrade: false,
        peer: enums::InputPeer::Channel(types::InputPeerChannel {
            channel_id: CHANNEL_MTPROTO,
            access_hash: CHANNEL_HASH,
        }),
        gift_id: NEW_GIFT,
        message: None,
    });
    let expected_send = functions::payments::SendStarsForm {
        form_id: FORM_ID,
        invoice: expected_invoice.clone(),
    }
    .to_bytes();
    assert_eq!(expected_send[..4], 0x7998c914u32.to_le_bytes());
    for (form, send) in forms.iter().zip(&sends) {
        let form = functions::payments::GetPaymentForm::from_bytes(&form[4..]).expect("form");
        assert_eq!(form.invoice, expected_invoice);
        assert_eq!(*send, expected_send, "the exact sendStarsForm bytes");
    }

    // The journal says bought, for the gift, the account and the channel.
    let runs = world.store.runs(world.user, None, 10).await.expect("runs");
    assert_eq!(runs.len(), 1);
    let journal = world
        .store
        .run_journal(world.user, runs[0].run_id)
        .await
        .expect("journal");
    assert_eq!(journal.len(), sends.len());
    for entry in &journal {
        assert_eq!(entry.status, JournalStatus::Bought, "{entry:?}");
        assert_eq!(entry.operation.gift_id.get(), NEW_GIFT);
        assert_eq!(entry.operation.account_id, account_id());
        assert_eq!(
            entry
                .operation
                .recipient
                .channel()
                .map(ChannelId::mtproto_id),
            Some(CHANNEL_MTPROTO)
        );
    }

    // One connection served the whole path, opened with the account's API profile.
    assert_eq!(factory.opened(), 1);
    assert_eq!(factory.opened.lock().expect("lock")[0].1, 12345);
    connector.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_keys_are_not_in_clear_in_the_database() {
    let world = world().await;
    world.log_in().await;
    let key = auth_key();

    // The session went through the vault: reading it back gives the key.
    let stored = world
        .store
        .load_session(world.user, world.row)
        .await
        .expect("load")
        .expect("a session");
    let reloaded = StoredSession::load(&stored, world.vault_sink()).expect("readable");
    assert_eq!(
        reloaded
            .dc_option(2)
            .expect("dc")
            .and_then(|dc| dc.auth_key),
        Some(key)
    );

    // No 16-byte run of the key appears anywhere in the database files.
    let bytes = world.database_bytes();
    assert!(bytes.len() > 4096, "the database files were read");
    for window in key.chunks(16) {
        assert!(
            !bytes
                .windows(window.len())
                .any(|candidate| candidate == window),
            "a piece of the auth key is stored in clear"
        );
    }
    world.store.close().await;
    let bytes = world.database_bytes();
    assert!(
        !bytes.windows(16).any(|candidate| candidate == &key[..16]),
        "not after a checkpoint either"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connector_leases_reconnects_and_releases_accounts() {
    let world = world().await;
    let factory = Arc::new(FakeFactory::default());
    let connector = world.connector(&factory, "instance-a");

    // Not logged in yet: nothing to connect with.
    assert_eq!(
        connector.account(account_id()).await.err(),
        Some(TelegramError::AuthKeyUnregistered)
    );
    world.log_in().await;

    let first = connector.account(account_id()).await.expect("connected");
    let again = connector.account(account_id()).await.expect("cached");
    assert!(Arc::ptr_eq(&first, &again), "one connection per account");
    assert_eq!(factory.opened(), 1);
    // The session the connection got is the stored one, with its key.
    let session = factory.opened.lock().expect("lock")[0].0.clone();
    assert_eq!(
        session.dc_option(2).expect("dc").and_then(|dc| dc.auth_key),
        Some(auth_key())
    );

    // Another instance cannot take the account while this one holds the lease.
    let other = world.connector(&factory, "instance-b");
    assert!(matches!(
        other.account(account_id()).await.err(),
        Some(TelegramError::AccountUnavailable(_))
    ));
    assert_eq!(connector.renew_leases().await, 1);

    // A dead runner is replaced on the next request.
    factory.opened.lock().expect("lock")[0]
        .2
        .store(false, Ordering::SeqCst);
    let rebuilt = connector.account(account_id()).await.expect("reconnected");
    assert!(!Arc::ptr_eq(&first, &rebuilt));
    assert_eq!(factory.opened(), 2);

    // A revoked session is reported, then the account is built again from the store.
    factory.telegram.revoked.store(true, Ordering::SeqCst);
    assert_eq!(
        rebuilt.stars_balance().await,
        Err(TelegramError::AuthKeyUnregistered)
    );
    factory.telegram.revoked.store(false, Ordering::SeqCst);
    let fresh = connector.account(account_id()).await.expect("rebuilt");
    assert_eq!(factory.opened(), 3);
    assert_eq!(fresh.stars_balance().await.map(|s| s.get()), Ok(10_000));

    // After a shutdown the lease is free for the other instance.
    connector.shutdown().await;
    assert!(other.account(account_id()).await.is_ok());
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bot_client_per_user_until_the_token_changes() {
    let world = world().await;
    let factory = Arc::new(FakeFactory::default());
    let connector = world.connector(&factory, "instance-a");
    assert!(connector.bot(world.user).await.expect("bot").is_none());

    let now = world.clock.unix_now();
    let set = |token: &str| {
        let store = world.store.clone();
        let (user, token) = (world.user, Secret::new(token.to_owned()));
        async move {
            store
                .set_bot_token(user, Some(token), now)
                .await
                .expect("token")
        }
    };
    set("123456:AAAA_first-token").await;
    let first = connector.bot(world.user).await.expect("bot").expect("set");
    let same = connector.bot(world.user).await.expect("bot").expect("set");
    assert!(Arc::ptr_eq(&first, &same), "the sticker cache survives");
    set("123456:BBBB_second-token").await;
    let changed = connector.bot(world.user).await.expect("bot").expect("set");
    assert!(!Arc::ptr_eq(&first, &changed));
    world
        .store
        .set_bot_token(world.user, None, now)
        .await
        .expect("removed");
    assert!(connector.bot(world.user).await.expect("bot").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_through_the_port_is_saved_and_the_connector_opens_it() {
    let world = world().await;
    let factory = Arc::new(FakeFactory::default());
    let port = TelegramLoginPort::new(LoginFlow::new(factory.clone(), LoginConfig::default()));
    let started = port
        .start(LoginStart {
            user: world.user,
            phone: Secret::new("+15551234567".to_owned()),
            api: Some(ApiCredentials {
                api_id: 12345,
                api_hash: Secret::new("0123456789abcdef0123456789abcdef".to_owned()),
            }),
        })
        .await
        .expect("code sent");
    let LoginProgress::CodeSent { login, .. } = started else {
        panic!("a code step: {started:?}");
    };
    let done = port
        .submit_code(world.user, &login, Secret::new("12345".to_owned()))
        .await
        .expect("signed in");
    let LoginProgress::Done(done) = done else {
        panic!("done: {done:?}");
    };
    // Saved as the panel saves a completed login.
    let now = world.clock.unix_now();
    world
        .store
        .record_account_login(world.user, world.row, &done.profile, now)
        .await
        .expect("login recorded");
    world
        .store
        .save_session(world.user, world.row, &done.session, now)
        .await
        .expect("session saved");

    let connector = world.connector(&factory, "instance-a");
    let account = connector.account(account_id()).await.expect("connected");
    assert_eq!(
        account.stars_balance().await,
        Ok(giftbuyer_core::Stars::new(10_000))
    );
    assert_eq!(
        factory.opened(),
        2,
        "one connection to log in, one to use the account"
    );
    connector.shutdown().await;
}
