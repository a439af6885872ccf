//! The core's `TelegramLogin` port over the login flow, on the scripted network of
//! `login.rs`: each step's progress, the error mapping, and what the port refuses.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::{
    ApiCredentials, LoginError, LoginId, LoginProgress, LoginStart, Secret, TelegramLogin, UserId,
};
use giftbuyer_telegram::login::LoginConfig;
use giftbuyer_telegram::login_port::TelegramLoginPort;
use giftbuyer_telegram::session::{DiscardSink, StoredSession};

use crate::login::{
    API_HASH, Answer, Factory, PHONE, alice, authorization, flow, password, secret, sent_code,
};

fn port() -> (Arc<Factory>, TelegramLoginPort) {
    let (factory, flow) = flow(LoginConfig {
        ttl: Duration::from_secs(300),
        ..LoginConfig::default()
    });
    (factory, TelegramLoginPort::new(flow))
}

fn start(user: UserId) -> LoginStart {
    LoginStart {
        user,
        phone: Secret::new(PHONE.to_owned()),
        api: Some(ApiCredentials {
            api_id: 12345,
            api_hash: Secret::new(API_HASH.to_owned()),
        }),
    }
}

/// Starts a login and returns its id, checking the code step's fields.
async fn code_sent(port: &TelegramLoginPort) -> LoginId {
    let progress = port.start(start(alice())).await.expect("code sent");
    let LoginProgress::CodeSent {
        login,
        masked_phone,
        expires_in,
        demo_code,
    } = progress
    else {
        panic!("a code step first: {progress:?}");
    };
    assert_eq!(masked_phone, "+1555****567");
    assert_eq!(expires_in, Duration::from_secs(300));
    assert_eq!(demo_code, None, "real Telegram never shows the code");
    login
}

#[tokio::test]
async fn a_code_signs_in_with_the_profile_and_session() {
    let (factory, port) = port();
    factory
        .net
        .answer(&sent_code("hash-1"))
        .answer(&authorization(1337));
    let login = code_sent(&port).await;
    let progress = port
        .submit_code(alice(), &login, secret("12345"))
        .await
        .expect("signed in");
    let LoginProgress::Done(done) = progress else {
        panic!("done: {progress:?}");
    };
    assert_eq!(done.profile.account_id.get(), 1337);
    let session = StoredSession::load(&done.session, Arc::new(DiscardSink)).expect("readable");
    assert!(session.is_logged_in());
    assert_eq!(port.flow().pending_for(alice()), 0);
}

#[tokio::test]
async fn a_password_step_follows_the_code_when_asked() {
    let (factory, port) = port();
    factory
        .net
        .answer(&sent_code("hash-1"))
        .then(Answer::Rpc(401, "SESSION_PASSWORD_NEEDED"))
        .answer(&password(555))
        .answer(&authorization(1337));
    let login = code_sent(&port).await;
    assert_eq!(
        port.submit_code(alice(), &login, secret("12345")).await,
        Ok(LoginProgress::PasswordRequired {
            login: login.clone(),
            hint: Some("pet".to_owned()),
        })
    );
    // The code again is the wrong step now.
    assert_eq!(
        port.submit_code(alice(), &login, secret("12345")).await,
        Err(LoginError::WrongStep)
    );
    let done = port
        .submit_password(alice(), &login, secret("hunter2"))
        .await
        .expect("logged in");
    assert!(matches!(done, LoginProgress::Done(done) if done.profile.account_id.get() == 1337));
}

#[tokio::test]
async fn a_wrong_code_may_be_corrected_and_an_expired_one_ends_the_login() {
    let (factory, port) = port();
    factory
        .net
        .answer(&sent_code("hash-1"))
        .then(Answer::Rpc(400, "PHONE_CODE_INVALID"))
        .then(Answer::Rpc(400, "PHONE_CODE_EXPIRED"));
    let login = code_sent(&port).await;
    assert_eq!(
        port.submit_code(alice(), &login, secret("11111")).await,
        Err(LoginError::InvalidCode)
    );
    assert_eq!(
        port.submit_code(alice(), &login, secret("12345")).await,
        Err(LoginError::CodeExpired)
    );
    assert_eq!(
        port.submit_code(alice(), &login, secret("12345")).await,
        Err(LoginError::UnknownLogin)
    );
}

#[tokio::test]
async fn a_flood_wait_says_how_long() {
    let (factory, port) = port();
    factory.net.then(Answer::Rpc(420, "FLOOD_WAIT_31"));
    assert_eq!(
        port.start(start(alice())).await,
        Err(LoginError::FloodWait { seconds: 31 })
    );
    assert_eq!(port.flow().pending_for(alice()), 0);
}

#[tokio::test]
async fn unknown_and_foreign_logins_are_refused_and_cancel_forgets() {
    let (factory, port) = port();
    factory.net.answer(&sent_code("hash-1"));
    let login = code_sent(&port).await;
    let bob = UserId::new(2).expect("positive");
    assert_eq!(
        port.submit_code(bob, &login, secret("12345")).await,
        Err(LoginError::UnknownLogin)
    );
    assert_eq!(
        port.submit_password(alice(), &LoginId::new("nope"), secret("x"))
            .await,
        Err(LoginError::UnknownLogin)
    );
    assert!(!port.cancel(bob, &login).await, "not bob's to cancel");
    assert!(port.cancel(alice(), &login).await);
    assert!(!port.cancel(alice(), &login).await, "already forgotten");
    assert_eq!(
        port.submit_code(alice(), &login, secret("12345")).await,
        Err(LoginError::UnknownLogin)
    );
}

#[tokio::test]
async fn a_login_without_an_api_profile_is_refused_before_connecting() {
    let (factory, port) = port();
    let request = LoginStart {
        api: None,
        ..start(alice())
    };
    assert_eq!(
        port.start(request).await,
        Err(LoginError::ApiProfileRequired)
    );
    assert!(factory.net.constructors().is_empty(), "nothing sent");
}

#[tokio::test(start_paused = true)]
async fn the_purge_task_forgets_expired_logins() {
    let (factory, port) = port();
    factory.net.answer(&sent_code("hash-1"));
    code_sent(&port).await;
    let purge = port.spawn_purge(Duration::from_secs(60));
    assert!(format!("{:?}", port.flow()).contains("pending: 1"));
    tokio::time::sleep(Duration::from_secs(400)).await;
    // `Debug` counts the table without purging it, unlike `pending_for`.
    assert!(format!("{:?}", port.flow()).contains("pending: 0"));
    purge.abort();
}
