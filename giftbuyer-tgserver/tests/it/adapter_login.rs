//! GiftBuyer's own login flow (`giftbuyer_telegram::login::LoginFlow` over grammers) against the
//! loopback Telegram: new sessions take the server's DCs and fresh keys through the DC
//! override, and what the flow saves is what the adapter later runs on.

use std::sync::Arc;

use giftbuyer_core::ports::{ChannelAccess, MtprotoSession, Secret, TelegramAccount, UserId};
use giftbuyer_core::{AccountId, ChannelId, Stars};
use giftbuyer_sim::{AccountSpec, Market, MarketConfig};
use giftbuyer_telegram::account::{AccountConfig, MtprotoAccount};
use giftbuyer_telegram::login::{ApiCredentials, LoginConfig, LoginError, LoginFlow, LoginRequest};
use giftbuyer_telegram::session::{DiscardSink, StoredSession};
use giftbuyer_telegram::transport::{GrammersFactory, InvokerFactory};
use giftbuyer_tgserver::TgServer;

use crate::support::{instant_market, market_server};

const HOME: &str = "+15550000031"; // last digit 1: DC 2, the default home
const AWAY: &str = "+15550000033"; // last digit 3: DC 1, reached by PHONE_MIGRATE_1
const GUARDED: &str = "+15550000041"; // DC 2, two-step password

fn market() -> Market {
    instant_market(MarketConfig {
        accounts: vec![
            AccountSpec::new(AccountId::new(2001).expect("id"), Stars::new(300))
                .phone(HOME)
                .channel(channel(), ChannelAccess::CanPost),
            AccountSpec::new(AccountId::new(2002).expect("id"), Stars::new(40)).phone(AWAY),
            AccountSpec::new(AccountId::new(2003).expect("id"), Stars::new(5))
                .phone(GUARDED)
                .premium()
                .two_factor("open sesame", None),
        ],
        ..MarketConfig::with_seed(11)
    })
}

fn channel() -> ChannelId {
    ChannelId::new(-1_001_234_567_890).expect("channel id")
}

/// The adapter for `account` on a stored session.
fn adapter(stored: &MtprotoSession, account: i64) -> (MtprotoAccount, Arc<StoredSession>) {
    let session = Arc::new(StoredSession::load(stored, Arc::new(DiscardSink)).expect("loads"));
    let invoker = GrammersFactory::default()
        .connect(Arc::clone(&session), 12345)
        .expect("connects");
    let adapter = MtprotoAccount::new(
        AccountId::new(account).expect("id"),
        invoker,
        Arc::clone(&session),
        AccountConfig::default(),
    );
    (adapter, session)
}

fn flow(server: &TgServer) -> LoginFlow {
    LoginFlow::new(Arc::new(GrammersFactory::default()), LoginConfig::default())
        .with_dc_override(Arc::new(server.key_issuer()))
}

fn request(phone: &str) -> LoginRequest {
    LoginRequest {
        user: UserId::new(1).expect("user id"),
        account: None,
        phone: Secret::new(phone.to_owned()),
        api: ApiCredentials {
            api_id: 12345,
            api_hash: Secret::new("0123456789abcdef0123456789abcdef".to_owned()),
        },
    }
}

fn user() -> UserId {
    UserId::new(1).expect("user id")
}

#[tokio::test]
async fn a_code_login_with_a_wrong_code_first() {
    let market = market();
    let server = market_server(&market).await;
    let flow = flow(&server);
    let sent = flow.start(request(HOME)).await.expect("code sent");
    let wrong = flow
        .submit_code(user(), &sent.login_id, Secret::new("99999".into()))
        .await
        .expect_err("wrong code");
    assert_eq!(wrong, LoginError::InvalidCode);
    let code = market.last_code(HOME).expect("code");
    let logged_in = flow
        .submit_code(user(), &sent.login_id, Secret::new(code))
        .await
        .expect("logged in");
    assert_eq!(logged_in.profile.account_id.get(), 2001);
    assert_eq!(logged_in.session.home_dc, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_login_migrates_to_the_numbers_dc_and_the_session_remembers_it() {
    let market = market();
    let server = market_server(&market).await;
    let flow = flow(&server);
    let sent = flow
        .start(request(AWAY))
        .await
        .expect("code sent after the migrate");
    let code = market.last_code(AWAY).expect("code");
    let logged_in = flow
        .submit_code(user(), &sent.login_id, Secret::new(code))
        .await
        .expect("logged in");
    assert_eq!(logged_in.profile.account_id.get(), 2002);
    assert_eq!(
        logged_in.session.home_dc, 1,
        "the DC switch is in the saved session"
    );
    // The saved session works on its own: a new connection on DC 1 reads the balance.
    let session =
        Arc::new(StoredSession::load(&logged_in.session, Arc::new(DiscardSink)).expect("loads"));
    let invoker = GrammersFactory::default()
        .connect(Arc::clone(&session), 12345)
        .expect("connects");
    let account = MtprotoAccount::new(
        AccountId::new(2002).expect("id"),
        invoker,
        session,
        AccountConfig::default(),
    );
    assert_eq!(
        account.stars_balance().await.expect("balance"),
        Stars::new(40)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn two_step_verification_with_a_wrong_password_first() {
    let market = market();
    let server = market_server(&market).await;
    let flow = flow(&server);
    let sent = flow.start(request(GUARDED)).await.expect("code sent");
    let code = market.last_code(GUARDED).expect("code");
    let needed = flow
        .submit_code(user(), &sent.login_id, Secret::new(code))
        .await
        .expect_err("password needed");
    assert!(
        matches!(needed, LoginError::PasswordRequired { .. }),
        "{needed:?}"
    );
    let wrong = flow
        .submit_password(user(), &sent.login_id, Secret::new("closed sesame".into()))
        .await
        .expect_err("wrong password");
    assert_eq!(wrong, LoginError::InvalidPassword);
    let logged_in = flow
        .submit_password(user(), &sent.login_id, Secret::new("open sesame".into()))
        .await
        .expect("logged in");
    assert_eq!(logged_in.profile.account_id.get(), 2003);
    assert!(logged_in.profile.premium);
    server.shutdown().await;
}

#[tokio::test]
async fn a_restarted_server_still_knows_the_login_of_a_reloaded_session() {
    use giftbuyer_tgserver::{KeyRing, MarketBackend, ServerOptions};
    let market = market();
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path().join("keys.json");
    let start = |ports: Vec<u16>| {
        let market = market.clone();
        let state = state.clone();
        async move {
            let options = ServerOptions {
                ports,
                ..ServerOptions::default()
            };
            let keys = KeyRing::open(state).expect("ring");
            let backend =
                MarketBackend::with_secret(market, options.dcs.clone(), keys.server_secret());
            TgServer::start(options, keys, Arc::new(backend))
                .await
                .expect("starts")
        }
    };
    let server = start(Vec::new()).await;
    let ports: Vec<u16> = server.dcs().iter().map(|dc| dc.addr.port()).collect();
    let flow = flow(&server);
    let sent = flow.start(request(HOME)).await.expect("code sent");
    let code = market.last_code(HOME).expect("code");
    let saved = flow
        .submit_code(user(), &sent.login_id, Secret::new(code))
        .await
        .expect("logged in")
        .session;
    drop(flow);
    // The account finds its channel once, which caches the channel's access hash in the
    // session, as the store would keep it.
    let (account, session) = adapter(&saved, 2001);
    let info = account.channel_info(channel()).await.expect("channel");
    assert_eq!(info.access, ChannelAccess::CanPost);
    let saved = session.snapshot();
    drop(account);
    server.shutdown().await;

    // The same ports, the same key file: what a restarted process would have.
    let server = start(ports).await;
    let (account, _) = adapter(&saved, 2001);
    assert_eq!(
        account.stars_balance().await.expect("no new login needed"),
        Stars::new(300)
    );
    // The cached access hash is still the channel's: Telegram's never change.
    let info = account
        .channel_info(channel())
        .await
        .expect("channel after the restart");
    assert_eq!(info.access, ChannelAccess::CanPost);
    server.shutdown().await;
}
