//! The login flow over a scripted network: the requests it sends byte for byte, the SRP
//! answer against `calculate_2fa`, every error it maps, the TTL and the cap on pending logins.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::ports::{AccountRowId, Secret, UserId};
use giftbuyer_telegram::login::{
    ApiCredentials, CodeDelivery, LoginConfig, LoginError, LoginFlow, LoginId, LoginRequest,
    SrpRandom, srp_client_secret,
};
use giftbuyer_telegram::session::{DiscardSink, StoredSession};
use giftbuyer_telegram::transport::{InvokerFactory, RawInvoker};
use grammers_crypto::two_factor_auth::calculate_2fa;
use grammers_mtsender::{InvocationError, RpcError};
use grammers_session::Session;
use grammers_tl_types::{Deserializable, Identifiable, Serializable, enums, functions, types};

use crate::fixtures::user;

pub(crate) const PHONE: &str = "+1 555 123-4567";
pub(crate) const DIGITS: &str = "15551234567";
pub(crate) const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// Telegram's 2048-bit prime, as `account.getPassword` sends it.
const PRIME: &str = concat!(
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f",
    "48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c37",
    "20fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64",
    "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4",
    "a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754",
    "fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4",
    "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f",
    "0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b",
);

fn prime() -> Vec<u8> {
    (0..PRIME.len() / 2)
        .map(|i| u8::from_str_radix(&PRIME[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

pub(crate) enum Answer {
    Bytes(Vec<u8>),
    Rpc(i32, &'static str),
}

/// A scripted network shared by every connection the factory opens.
#[derive(Default)]
pub(crate) struct Net {
    script: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Vec<u8>>>,
}

impl Net {
    pub(crate) fn answer(&self, value: &impl Serializable) -> &Self {
        self.then(Answer::Bytes(value.to_bytes()))
    }

    pub(crate) fn then(&self, answer: Answer) -> &Self {
        self.script.lock().expect("lock").push_back(answer);
        self
    }

    fn seen(&self) -> Vec<Vec<u8>> {
        self.seen.lock().expect("lock").clone()
    }

    pub(crate) fn constructors(&self) -> Vec<u32> {
        self.seen()
            .iter()
            .map(|body| u32::from_le_bytes(body[..4].try_into().expect("id")))
            .collect()
    }
}

#[async_trait]
impl RawInvoker for Net {
    async fn invoke_raw(&self, dc: Option<i32>, body: Vec<u8>) -> Result<Vec<u8>, InvocationError> {
        assert_eq!(dc, None, "login requests go to the home DC");
        let caused_by = u32::from_le_bytes(body[..4].try_into().expect("id"));
        self.seen.lock().expect("lock").push(body);
        let answer = self.script.lock().expect("lock").pop_front();
        match answer {
            Some(Answer::Bytes(bytes)) => Ok(bytes),
            Some(Answer::Rpc(code, message)) => Err(InvocationError::Rpc(
                RpcError::from(types::RpcError {
                    error_code: code,
                    error_message: message.to_owned(),
                })
                .with_caused_by(caused_by),
            )),
            None => Err(InvocationError::Dropped("nothing scripted")),
        }
    }

    async fn refresh_dialogs(&self) -> Result<(), InvocationError> {
        Ok(())
    }
}

/// Hands out the scripted network and keeps each session it was given.
#[derive(Default)]
pub(crate) struct Factory {
    pub(crate) net: Arc<Net>,
    sessions: Mutex<Vec<Arc<StoredSession>>>,
}

impl InvokerFactory for Factory {
    fn connect(
        &self,
        session: Arc<StoredSession>,
        api_id: i32,
    ) -> Result<Arc<dyn RawInvoker>, InvocationError> {
        assert_eq!(api_id, 12345);
        self.sessions.lock().expect("lock").push(session);
        Ok(self.net.clone())
    }
}

impl Factory {
    fn connects(&self) -> usize {
        self.sessions.lock().expect("lock").len()
    }

    fn session(&self, index: usize) -> Arc<StoredSession> {
        self.sessions.lock().expect("lock")[index].clone()
    }
}

/// A fixed client share of the SRP secret.
struct Fixed;

impl SrpRandom for Fixed {
    fn fill(&self, bytes: &mut [u8; 256]) -> Result<(), LoginError> {
        *bytes = [0x42; 256];
        Ok(())
    }
}

pub(crate) fn flow(config: LoginConfig) -> (Arc<Factory>, LoginFlow) {
    let factory = Arc::new(Factory::default());
    let flow = LoginFlow::new(factory.clone(), config).with_srp_random(Arc::new(Fixed));
    (factory, flow)
}

pub(crate) fn alice() -> UserId {
    UserId::new(1).expect("positive")
}

fn request(user: UserId) -> LoginRequest {
    LoginRequest {
        user,
        account: Some(AccountRowId::new(9).expect("positive")),
        phone: Secret::new(PHONE.to_owned()),
        api: ApiCredentials {
            api_id: 12345,
            api_hash: Secret::new(API_HASH.to_owned()),
        },
    }
}

pub(crate) fn sent_code(hash: &str) -> enums::auth::SentCode {
    enums::auth::SentCode::Code(types::auth::SentCode {
        r#type: enums::auth::SentCodeType::App(types::auth::SentCodeTypeApp { length: 5 }),
        phone_code_hash: hash.to_owned(),
        next_type: None,
        timeout: Some(60),
    })
}

pub(crate) fn authorization(id: i64) -> enums::auth::Authorization {
    enums::auth::Authorization::Authorization(types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: enums::User::User(user(id, true)),
    })
}

fn salt1() -> Vec<u8> {
    (0..40).collect()
}

fn salt2() -> Vec<u8> {
    (100..116).collect()
}

fn srp_b() -> Vec<u8> {
    (0..=255u8).rev().collect()
}

pub(crate) fn password(srp_id: i64) -> enums::account::Password {
    enums::account::Password::Password(types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        has_password: true,
        current_algo: Some(
            enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
                types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
                    salt1: salt1(),
                    salt2: salt2(),
                    g: 3,
                    p: prime(),
                },
            ),
        ),
        srp_b: Some(srp_b()),
        srp_id: Some(srp_id),
        hint: Some("pet".to_owned()),
        email_unconfirmed_pattern: None,
        new_algo: enums::PasswordKdfAlgo::Unknown,
        new_secure_algo: enums::SecurePasswordKdfAlgo::Unknown,
        secure_random: vec![7; 256],
        pending_reset_date: None,
        login_email_pattern: None,
    })
}

pub(crate) fn secret(value: &str) -> Secret<String> {
    Secret::new(value.to_owned())
}

#[tokio::test]
async fn a_login_sends_the_code_signs_in_and_returns_the_profile_and_session() {
    let (factory, flow) = flow(LoginConfig::default());
    factory
        .net
        .answer(&sent_code("hash-1"))
        .answer(&authorization(1337));
    let sent = flow.start(request(alice())).await.expect("code sent");
    assert_eq!(sent.masked_phone, "+1555****567");
    assert_eq!(sent.delivery, CodeDelivery::App);
    assert_eq!(sent.timeout, Some(60));
    assert_eq!(sent.login_id.as_str().len(), 32);
    assert_eq!(flow.pending_for(alice()), 1);

    let logged_in = flow
        .submit_code(alice(), &sent.login_id, secret(" 12345 "))
        .await
        .expect("logged in");
    assert_eq!(logged_in.profile.account_id.get(), 1337);
    assert!(logged_in.profile.premium);
    assert_eq!(logged_in.account, AccountRowId::new(9).ok());
    let reloaded =
        StoredSession::load(&logged_in.session, Arc::new(DiscardSink)).expect("readable");
    assert!(reloaded.is_logged_in(), "the self user is in the session");

    let seen = factory.net.seen();
    let send = functions::auth::SendCode::from_bytes(&seen[0][4..]).expect("sendCode");
    assert_eq!(send.phone_number, DIGITS);
    assert_eq!((send.api_id, send.api_hash.as_str()), (12345, API_HASH));
    let sign_in = functions::auth::SignIn::from_bytes(&seen[1][4..]).expect("signIn");
    assert_eq!(sign_in.phone_number, DIGITS);
    assert_eq!(sign_in.phone_code_hash, "hash-1");
    assert_eq!(sign_in.phone_code.as_deref(), Some("12345"));

    // A completed login is forgotten, and nothing printable carries the phone or the code.
    assert_eq!(flow.pending_for(alice()), 0);
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await,
        Err(LoginError::UnknownLogin)
    );
    let printed = format!("{sent:?} {logged_in:?} {flow:?}");
    assert!(!printed.contains(DIGITS) && !printed.contains("12345"));
}

#[tokio::test]
async fn two_step_verification_answers_with_the_srp_proof() {
    let (factory, flow) = flow(LoginConfig::default());
    factory
        .net
        .answer(&sent_code("hash-1"))
        .then(Answer::Rpc(401, "SESSION_PASSWORD_NEEDED"))
        .answer(&password(555))
        .answer(&authorization(1337));
    let sent = flow.start(request(alice())).await.expect("code sent");
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await,
        Err(LoginError::PasswordRequired {
            hint: Some("pet".to_owned())
        })
    );
    // The login now waits for the password, not another code.
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await,
        Err(LoginError::WrongStep {
            expected: "password"
        })
    );
    let logged_in = flow
        .submit_password(alice(), &sent.login_id, secret("hunter2"))
        .await
        .expect("logged in");
    assert_eq!(logged_in.profile.account_id.get(), 1337);

    assert_eq!(
        factory.net.constructors(),
        [
            functions::auth::SendCode::CONSTRUCTOR_ID,
            functions::auth::SignIn::CONSTRUCTOR_ID,
            functions::account::GetPassword::CONSTRUCTOR_ID,
            functions::auth::CheckPassword::CONSTRUCTOR_ID,
        ]
    );
    let (m1, g_a) = calculate_2fa(
        &salt1(),
        &salt2(),
        &prime(),
        &3,
        srp_b(),
        srp_client_secret([0x42; 256], &[7; 256]),
        "hunter2",
    );
    let body = &factory.net.seen()[3];
    let check = functions::auth::CheckPassword::from_bytes(&body[4..]).expect("checkPassword");
    assert_eq!(
        check.password,
        enums::InputCheckPasswordSrp::Srp(types::InputCheckPasswordSrp {
            srp_id: 555,
            a: g_a.to_vec(),
            m1: m1.to_vec(),
        })
    );
    // The request on the wire is exactly the TL serialization of those fields.
    assert_eq!(
        *body,
        functions::auth::CheckPassword {
            password: check.password
        }
        .to_bytes()
    );
    assert!(
        !body.windows(7).any(|window| window == b"hunter2"),
        "the password itself never leaves"
    );
}

#[tokio::test]
async fn a_wrong_code_can_be_corrected() {
    let (factory, flow) = flow(LoginConfig::default());
    factory
        .net
        .answer(&sent_code("hash-1"))
        .then(Answer::Rpc(400, "PHONE_CODE_INVALID"))
        .answer(&authorization(1337));
    let sent = flow.start(request(alice())).await.expect("code sent");
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("11111"))
            .await,
        Err(LoginError::InvalidCode)
    );
    assert!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_expired_code_ends_the_login() {
    let (factory, flow) = flow(LoginConfig::default());
    factory
        .net
        .answer(&sent_code("hash-1"))
        .then(Answer::Rpc(400, "PHONE_CODE_EXPIRED"));
    let sent = flow.start(request(alice())).await.expect("code sent");
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await,
        Err(LoginError::CodeExpired)
    );
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await,
        Err(LoginError::UnknownLogin)
    );
}

#[tokio::test]
async fn a_wrong_password_fetches_fresh_parameters_for_the_next_try() {
    let (factory, flow) = flow(LoginConfig::default());
    factory
        .net
        .answer(&sent_code("hash-1"))
        .then(Answer::Rpc(401, "SESSION_PASSWORD_NEEDED"))
        .answer(&password(1))
        .then(Answer::Rpc(400, "PASSWORD_HASH_INVALID"))
        .answer(&password(2))
        .answer(&authorization(1337));
    let sent = flow.start(request(alice())).await.expect("code sent");
    assert!(matches!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await,
        Err(LoginError::PasswordRequired { .. })
    ));
    assert_eq!(
        flow.submit_password(alice(), &sent.login_id, secret("wrong"))
            .await,
        Err(LoginError::InvalidPassword)
    );
    assert!(
        flow.submit_password(alice(), &sent.login_id, secret("hunter2"))
            .await
            .is_ok()
    );
    let seen = factory.net.seen();
    let srp_ids: Vec<i64> = [&seen[3], &seen[5]]
        .iter()
        .map(|body| {
            let check = functions::auth::CheckPassword::from_bytes(&body[4..]).expect("check");
            let enums::InputCheckPasswordSrp::Srp(srp) = check.password else {
                panic!("an SRP answer");
            };
            srp.srp_id
        })
        .collect();
    assert_eq!(srp_ids, [1, 2], "each try uses its own srp_id");
}

#[tokio::test]
async fn sign_up_required_ends_the_login() {
    let (factory, flow) = flow(LoginConfig::default());
    factory
        .net
        .answer(&sent_code("hash-1"))
        .answer(&enums::auth::Authorization::SignUpRequired(
            types::auth::AuthorizationSignUpRequired {
                terms_of_service: None,
            },
        ));
    let sent = flow.start(request(alice())).await.expect("code sent");
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await,
        Err(LoginError::SignUpRequired)
    );
    assert_eq!(flow.pending_for(alice()), 0);
}

#[tokio::test]
async fn flood_waits_and_odd_answers_are_errors_never_panics() {
    let (factory, flow) = flow(LoginConfig::default());
    factory
        .net
        .then(Answer::Rpc(420, "FLOOD_WAIT_31"))
        .then(Answer::Rpc(400, "PHONE_NUMBER_INVALID"))
        .answer(&enums::auth::SentCode::Success(
            types::auth::SentCodeSuccess {
                authorization: authorization(1),
            },
        ))
        .answer(&enums::auth::SentCode::PaymentRequired(
            types::auth::SentCodePaymentRequired {
                store_product: String::new(),
                phone_code_hash: "x".to_owned(),
                support_email_address: String::new(),
                support_email_subject: String::new(),
                premium_days: 0,
                currency: "USD".to_owned(),
                amount: 1,
            },
        ))
        .then(Answer::Rpc(400, "SOMETHING_NEW"));
    assert_eq!(
        flow.start(request(alice())).await,
        Err(LoginError::FloodWait { seconds: 31 })
    );
    assert_eq!(
        flow.start(request(alice())).await,
        Err(LoginError::InvalidPhone)
    );
    assert!(matches!(
        flow.start(request(alice())).await,
        Err(LoginError::Unexpected(_))
    ));
    assert_eq!(
        flow.start(request(alice())).await,
        Err(LoginError::PaymentRequired)
    );
    assert_eq!(
        flow.start(request(alice())).await,
        Err(LoginError::Rpc {
            code: 400,
            name: "SOMETHING_NEW".to_owned()
        })
    );
    assert_eq!(flow.pending_for(alice()), 0, "a failed start keeps nothing");

    // A number that cannot be one is refused before connecting.
    let mut bad = request(alice());
    bad.phone = secret("+1 555 CALL-NOW");
    let connects = factory.connects();
    assert_eq!(flow.start(bad).await, Err(LoginError::InvalidPhone));
    assert_eq!(factory.connects(), connects);
}

#[tokio::test]
async fn a_phone_migration_moves_the_home_dc_once() {
    let (factory, flow) = flow(LoginConfig::default());
    factory
        .net
        .then(Answer::Rpc(303, "PHONE_MIGRATE_4"))
        .answer(&sent_code("hash-1"))
        .then(Answer::Rpc(303, "PHONE_MIGRATE_2"))
        .then(Answer::Rpc(303, "PHONE_MIGRATE_5"));
    assert!(flow.start(request(alice())).await.is_ok());
    assert_eq!(factory.session(0).home_dc_id().expect("home"), 4);
    let seen = factory.net.seen();
    assert_eq!(seen[0], seen[1], "the same sendCode, sent again");

    assert_eq!(
        flow.start(request(alice())).await,
        Err(LoginError::Migrate { dc: 5 })
    );
    assert_eq!(factory.session(1).home_dc_id().expect("home"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_login_left_past_its_ttl_is_forgotten() {
    let (factory, flow) = flow(LoginConfig {
        ttl: Duration::from_secs(60),
        ..LoginConfig::default()
    });
    factory
        .net
        .answer(&sent_code("hash-1"))
        .then(Answer::Rpc(400, "PHONE_CODE_INVALID"));
    let sent = flow.start(request(alice())).await.expect("code sent");
    // A step within the TTL extends it.
    tokio::time::advance(Duration::from_secs(50)).await;
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("1")).await,
        Err(LoginError::InvalidCode)
    );
    tokio::time::advance(Duration::from_secs(50)).await;
    assert_eq!(flow.pending_for(alice()), 1);
    tokio::time::advance(Duration::from_secs(11)).await;
    assert_eq!(
        flow.submit_code(alice(), &sent.login_id, secret("12345"))
            .await,
        Err(LoginError::UnknownLogin)
    );
    assert_eq!(flow.pending_for(alice()), 0);
    assert_eq!(
        factory.net.seen().len(),
        2,
        "nothing sent for an expired login"
    );
}

#[tokio::test]
async fn pending_logins_are_capped_per_user_and_private_to_their_user() {
    let (factory, flow) = flow(LoginConfig {
        max_pending_per_user: 2,
        ..LoginConfig::default()
    });
    for hash in ["a", "b", "c", "d"] {
        factory.net.answer(&sent_code(hash));
    }
    let first = flow.start(request(alice())).await.expect("first");
    flow.start(request(alice())).await.expect("second");
    assert_eq!(
        flow.start(request(alice())).await,
        Err(LoginError::TooManyPending)
    );
    assert_eq!(factory.connects(), 2, "no connection for a refused login");

    let bob = UserId::new(2).expect("positive");
    flow.start(request(bob)).await.expect("another user");
    // Bob cannot use or cancel Alice's login.
    assert_eq!(
        flow.submit_code(bob, &first.login_id, secret("12345"))
            .await,
        Err(LoginError::UnknownLogin)
    );
    assert!(!flow.cancel(bob, &first.login_id));
    assert!(flow.cancel(alice(), &first.login_id));
    flow.start(request(alice())).await.expect("room again");
    assert_eq!(
        flow.submit_code(alice(), &LoginId::new("nope"), secret("1"))
            .await,
        Err(LoginError::UnknownLogin)
    );
}
