//! Logins over the socket with grammers' sender: a code, a `PHONE_MIGRATE_X` to the number's
//! DC, a wrong code, and two-step verification whose SRP proof the server checks.

use giftbuyer_core::{AccountId, Stars};
use giftbuyer_sim::{AccountSpec, Market, MarketConfig};
use grammers_mtsender::{InvocationError, SenderPoolFatHandle};
use grammers_tl_types::{self as tl, functions};

use crate::support::memory_session;

/// Dialled on DC 2 (the last digit picks the DC: 1 -> 2), no password, Premium.
const PLAIN: &str = "+15550000011";
/// Lives on DC 1 (3 -> 1), so a login from DC 2 is redirected.
const MIGRATING: &str = "+15550000013";
/// On DC 2, with a two-step password.
const TWO_FACTOR: &str = "+15550000021";

fn market() -> Market {
    crate::support::instant_market(MarketConfig {
        accounts: vec![
            AccountSpec::new(AccountId::new(1001).expect("id"), Stars::new(500))
                .phone(PLAIN)
                .premium()
                .username("plain"),
            AccountSpec::new(AccountId::new(1002).expect("id"), Stars::new(70)).phone(MIGRATING),
            AccountSpec::new(AccountId::new(1003).expect("id"), Stars::new(9))
                .phone(TWO_FACTOR)
                .two_factor("correct horse", Some("the horse")),
        ],
        ..MarketConfig::with_seed(7)
    })
}

fn pool(server: &giftbuyer_tgserver::TgServer) -> SenderPoolFatHandle {
    crate::support::raw_pool(memory_session(server, 2))
}

fn send_code(phone: &str) -> functions::auth::SendCode {
    functions::auth::SendCode {
        phone_number: phone.trim_start_matches('+').to_owned(),
        api_id: 4,
        api_hash: "0123456789abcdef".into(),
        settings: tl::enums::CodeSettings::Settings(tl::types::CodeSettings {
            allow_flashcall: false,
            current_number: false,
            allow_app_hash: false,
            allow_missed_call: false,
            allow_firebase: false,
            unknown_number: false,
            logout_tokens: None,
            token: None,
            app_sandbox: None,
        }),
    }
}

fn sign_in(phone: &str, hash: &str, code: &str) -> functions::auth::SignIn {
    functions::auth::SignIn {
        phone_number: phone.trim_start_matches('+').to_owned(),
        phone_code_hash: hash.to_owned(),
        phone_code: Some(code.to_owned()),
        email_verification: None,
    }
}

fn rpc_name(error: InvocationError) -> (i32, String, Option<u32>) {
    match error {
        InvocationError::Rpc(rpc) => (rpc.code, rpc.name, rpc.value),
        other => panic!("expected an rpc error, got {other:?}"),
    }
}

fn hash_of(sent: tl::enums::auth::SentCode) -> String {
    match sent {
        tl::enums::auth::SentCode::Code(code) => code.phone_code_hash,
        other => panic!("unexpected {other:?}"),
    }
}

fn user_of(authorization: tl::enums::auth::Authorization) -> tl::types::User {
    match authorization {
        tl::enums::auth::Authorization::Authorization(auth) => match auth.user {
            tl::enums::User::User(user) => user,
            other => panic!("unexpected {other:?}"),
        },
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_code_login_binds_the_key_and_the_account_answers() {
    let market = market();
    let server = crate::support::market_server(&market).await;
    let handle = pool(&server);
    let hash = hash_of(
        handle
            .invoke_in_dc(2, &send_code(PLAIN))
            .await
            .expect("code sent"),
    );
    let wrong = handle
        .invoke_in_dc(2, &sign_in(PLAIN, &hash, "00000"))
        .await
        .expect_err("wrong code");
    assert_eq!(rpc_name(wrong).1, "PHONE_CODE_INVALID");
    let code = market.last_code(PLAIN).expect("a code was sent");
    let user = user_of(
        handle
            .invoke_in_dc(2, &sign_in(PLAIN, &hash, &code))
            .await
            .expect("signed in"),
    );
    assert_eq!((user.id, user.is_self, user.premium), (1001, true, true));
    assert_eq!(user.username.as_deref(), Some("plain"));

    let users = handle
        .invoke_in_dc(
            2,
            &functions::users::GetUsers {
                id: vec![tl::enums::InputUser::UserSelf],
            },
        )
        .await
        .expect("users");
    assert_eq!(users.len(), 1);
    let tl::enums::payments::StarsStatus::Status(status) = handle
        .invoke_in_dc(
            2,
            &functions::payments::GetStarsStatus {
                ton: false,
                peer: tl::enums::InputPeer::PeerSelf,
            },
        )
        .await
        .expect("stars");
    assert_eq!(status.balance.amount(), 500);
    server.shutdown().await;
}

#[tokio::test]
async fn a_login_on_the_wrong_dc_is_sent_to_the_numbers_dc() {
    let market = market();
    let server = crate::support::market_server(&market).await;
    let handle = pool(&server);
    let migrate = handle
        .invoke_in_dc(2, &send_code(MIGRATING))
        .await
        .expect_err("migrates");
    assert_eq!(
        rpc_name(migrate),
        (303, "PHONE_MIGRATE".to_owned(), Some(1))
    );
    let hash = hash_of(
        handle
            .invoke_in_dc(1, &send_code(MIGRATING))
            .await
            .expect("code sent"),
    );
    let code = market.last_code(MIGRATING).expect("code");
    // Signing in on the wrong DC names the user's DC too.
    let elsewhere = handle
        .invoke_in_dc(2, &sign_in(MIGRATING, &hash, &code))
        .await
        .expect_err("migrates");
    assert_eq!(
        rpc_name(elsewhere),
        (303, "USER_MIGRATE".to_owned(), Some(1))
    );
    let user = user_of(
        handle
            .invoke_in_dc(1, &sign_in(MIGRATING, &hash, &code))
            .await
            .expect("signed in"),
    );
    assert_eq!(user.id, 1002);
    // The key of DC 2 is not logged in: Telegram wants an exported authorization there.
    let elsewhere = handle
        .invoke_in_dc(
            2,
            &functions::payments::GetStarsStatus {
                ton: false,
                peer: tl::enums::InputPeer::PeerSelf,
            },
        )
        .await
        .expect_err("not logged in on dc 2");
    assert_eq!(rpc_name(elsewhere).1, "AUTH_KEY_UNREGISTERED");
    server.shutdown().await;
}

async fn srp_answer(
    handle: &SenderPoolFatHandle,
    password: &str,
) -> functions::auth::CheckPassword {
    let tl::enums::account::Password::Password(params) = handle
        .invoke_in_dc(2, &functions::account::GetPassword {})
        .await
        .expect("password parameters");
    assert!(params.has_password);
    assert_eq!(params.hint.as_deref(), Some("the horse"));
    let Some(tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)) =
        params.current_algo
    else {
        panic!("unexpected algorithm");
    };
    assert!(
        grammers_crypto::two_factor_auth::check_p_and_g(&algo.p, &algo.g),
        "telegram's prime"
    );
    let (m1, g_a) = grammers_crypto::two_factor_auth::calculate_2fa(
        &algo.salt1,
        &algo.salt2,
        &algo.p,
        &algo.g,
        params.srp_b.expect("srp_B"),
        vec![42; 256],
        password,
    );
    functions::auth::CheckPassword {
        password: tl::enums::InputCheckPasswordSrp::Srp(tl::types::InputCheckPasswordSrp {
            srp_id: params.srp_id.expect("srp_id"),
            a: g_a.to_vec(),
            m1: m1.to_vec(),
        }),
    }
}

#[tokio::test]
async fn two_step_verification_is_checked_by_srp() {
    let market = market();
    let server = crate::support::market_server(&market).await;
    let handle = pool(&server);
    let hash = hash_of(
        handle
            .invoke_in_dc(2, &send_code(TWO_FACTOR))
            .await
            .expect("code sent"),
    );
    let code = market.last_code(TWO_FACTOR).expect("code");
    let needed = handle
        .invoke_in_dc(2, &sign_in(TWO_FACTOR, &hash, &code))
        .await
        .expect_err("password");
    assert_eq!(
        rpc_name(needed),
        (401, "SESSION_PASSWORD_NEEDED".to_owned(), None)
    );
    // Until the password is given, the key is not logged in.
    let early = handle
        .invoke_in_dc(
            2,
            &functions::users::GetUsers {
                id: vec![tl::enums::InputUser::UserSelf],
            },
        )
        .await
        .expect_err("not yet");
    assert_eq!(rpc_name(early).0, 401);
    let wrong = handle
        .invoke_in_dc(2, &srp_answer(&handle, "wrong horse").await)
        .await
        .expect_err("wrong password");
    assert_eq!(rpc_name(wrong).1, "PASSWORD_HASH_INVALID");
    let user = user_of(
        handle
            .invoke_in_dc(2, &srp_answer(&handle, "correct horse").await)
            .await
            .expect("password accepted"),
    );
    assert_eq!(user.id, 1003);
    server.shutdown().await;
}

#[tokio::test]
async fn the_adapter_reads_profile_and_balance_over_the_socket() {
    use giftbuyer_core::ports::TelegramAccount;
    let market = crate::support::instant_market(MarketConfig {
        accounts: vec![
            AccountSpec::new(AccountId::new(1001).expect("id"), Stars::new(500))
                .phone(PLAIN)
                .premium()
                .username("plain"),
        ],
        ..MarketConfig::with_seed(3)
    });
    let server = crate::support::market_server(&market).await;
    let account = crate::support::adapter_account(&server, 1001, 2);
    let profile = account.profile().await.expect("profile");
    assert_eq!(profile.account_id.get(), 1001);
    assert!(profile.premium);
    assert_eq!(profile.username.as_deref(), Some("plain"));
    assert_eq!(
        account.stars_balance().await.expect("balance"),
        Stars::new(500)
    );
    server.revoke_user(1001).expect("revokes");
    let revoked = account.stars_balance().await.expect_err("revoked");
    assert_eq!(
        revoked,
        giftbuyer_core::ports::TelegramError::AuthKeyUnregistered
    );
    assert!(account.is_revoked());
    server.shutdown().await;
}
