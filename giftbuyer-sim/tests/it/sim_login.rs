//! `SimLogin`: the `TelegramLogin` port over the market's login emulation (steps, ownership,
//! expiry, the per-user cap, deterministic ids) and accounts that may post in any channel.

use std::sync::{Arc, Mutex};

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{
    ChannelAccess, LoggedIn, LoginError, LoginId, LoginProgress, LoginStart, Secret,
    TelegramAccount as _, TelegramLogin, UserId,
};
use giftbuyer_sim::{AccountSpec, LoginConfig, MarketConfig, SIM_SESSION_PREFIX, SimLogin};

use crate::support::*;

const TWO_FACTOR_PHONE: &str = "+15550001001";
const NEW_PHONE: &str = "+447700900123";

fn config(seed: u64) -> MarketConfig {
    let mut config = quiet_config(seed).account(
        AccountSpec::new(account_id(1001), Stars::new(50_000))
            .phone(TWO_FACTOR_PHONE)
            .two_factor("correct horse", Some("the usual")),
    );
    config.login.starting_balance = Stars::new(777);
    config
}

/// The test markets keep the default code TTL.
fn code_ttl() -> std::time::Duration {
    LoginConfig::default().code_ttl
}

fn user(id: i64) -> UserId {
    UserId::new(id).expect("user id")
}

fn start_request(user_id: i64, phone: &str) -> LoginStart {
    LoginStart {
        user: user(user_id),
        phone: Secret::new(phone.to_owned()),
        api: None,
    }
}

/// Starts a login and returns its id and the demo code.
async fn begin(login: &SimLogin, user_id: i64, phone: &str) -> (LoginId, String) {
    match login.start(start_request(user_id, phone)).await {
        Ok(LoginProgress::CodeSent {
            login, demo_code, ..
        }) => (
            login,
            demo_code.expect("the simulated market shows its code"),
        ),
        other => panic!("expected a sent code, got {other:?}"),
    }
}

fn secret(text: &str) -> Secret<String> {
    Secret::new(text.to_owned())
}

fn wrong(code: &str) -> &'static str {
    if code == "00000" { "11111" } else { "00000" }
}

fn done(progress: Result<LoginProgress, LoginError>) -> LoggedIn {
    match progress {
        Ok(LoginProgress::Done(done)) => done,
        other => panic!("expected a finished login, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_new_number_logs_in_with_its_code_and_gets_an_account() {
    let (market, _clock) = start(config(5));
    let sim = SimLogin::new(market.clone());
    let started = sim
        .start(start_request(1, "+44 7700-900123"))
        .await
        .expect("sent");
    let LoginProgress::CodeSent {
        login,
        masked_phone,
        expires_in,
        demo_code,
    } = started
    else {
        panic!("expected a code: {started:?}");
    };
    assert_eq!(masked_phone, "+4477*****123");
    assert_eq!(expires_in, code_ttl());
    let code = demo_code.expect("demo code");
    assert_eq!(market.last_code(NEW_PHONE), Some(code.clone()));
    assert!(
        login
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "URL-safe: {login:?}"
    );

    assert_eq!(
        sim.submit_code(user(1), &login, secret(wrong(&code))).await,
        Err(LoginError::InvalidCode)
    );
    assert_eq!(
        sim.submit_password(user(1), &login, secret("x")).await,
        Err(LoginError::WrongStep)
    );
    let finished = done(sim.submit_code(user(1), &login, secret(&code)).await);
    let id = finished.profile.account_id;
    assert!(!finished.profile.premium);
    assert_eq!(
        finished.session.data.expose(),
        &format!("{SIM_SESSION_PREFIX}{}", id.get()).into_bytes()
    );
    let account = market.account(id).expect("created in the market");
    assert_eq!(account.stars_balance().await, Ok(Stars::new(777)));
    assert_eq!(
        sim.submit_code(user(1), &login, secret(&code)).await,
        Err(LoginError::UnknownLogin),
        "a login completes once"
    );
    assert_eq!(sim.pending_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn an_account_with_two_step_verification_needs_its_password() {
    let (market, _clock) = start(config(5));
    let sim = SimLogin::new(market);
    let (login, code) = begin(&sim, 1, TWO_FACTOR_PHONE).await;
    assert_eq!(
        sim.submit_code(user(1), &login, secret(&code)).await,
        Ok(LoginProgress::PasswordRequired {
            login: login.clone(),
            hint: Some("the usual".into())
        })
    );
    assert_eq!(
        sim.submit_code(user(1), &login, secret(&code)).await,
        Err(LoginError::WrongStep)
    );
    assert_eq!(
        sim.submit_password(user(2), &login, secret("correct horse"))
            .await,
        Err(LoginError::UnknownLogin),
        "another user cannot finish it"
    );
    assert_eq!(
        sim.submit_password(user(1), &login, secret("wrong")).await,
        Err(LoginError::InvalidPassword)
    );
    let finished = done(
        sim.submit_password(user(1), &login, secret("correct horse"))
            .await,
    );
    assert_eq!(finished.profile.account_id, account_id(1001));
}

#[tokio::test(start_paused = true)]
async fn only_the_owner_continues_or_cancels_a_login() {
    let (market, _clock) = start(config(5));
    let sim = SimLogin::new(market);
    let (login, code) = begin(&sim, 1, NEW_PHONE).await;
    assert_eq!(
        sim.submit_code(user(2), &login, secret(&code)).await,
        Err(LoginError::UnknownLogin)
    );
    assert!(!sim.cancel(user(2), &login).await);
    assert!(sim.cancel(user(1), &login).await);
    assert!(!sim.cancel(user(1), &login).await);
    assert_eq!(
        sim.submit_code(user(1), &login, secret(&code)).await,
        Err(LoginError::UnknownLogin)
    );
    assert_eq!(
        sim.start(start_request(1, "12345")).await,
        Err(LoginError::InvalidPhone)
    );
}

#[tokio::test(start_paused = true)]
async fn logins_expire_with_the_market_code() {
    let (market, clock) = start(config(5));
    let sim = SimLogin::new(market);
    let (login, code) = begin(&sim, 1, NEW_PHONE).await;
    clock.advance_to(code_ttl()).await;
    assert_eq!(
        sim.submit_code(user(1), &login, secret(&code)).await,
        Err(LoginError::CodeExpired)
    );
    assert_eq!(
        sim.submit_code(user(1), &login, secret(&code)).await,
        Err(LoginError::UnknownLogin),
        "an expired login is forgotten once reported"
    );
}

#[tokio::test(start_paused = true)]
async fn each_user_has_a_few_logins_in_progress_at_most() {
    let (market, clock) = start(config(5));
    let sim = SimLogin::new(market).max_pending_per_user(3);
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(begin(&sim, 1, &format!("+44770090010{n}")).await.0);
    }
    assert_eq!(
        sim.start(start_request(1, NEW_PHONE)).await,
        Err(LoginError::TooManyPending)
    );
    // Another user is not held back by the first one's logins.
    begin(&sim, 2, NEW_PHONE).await;
    assert!(sim.cancel(user(1), &ids[0]).await);
    begin(&sim, 1, NEW_PHONE).await;
    // Expired logins stop counting.
    clock.advance_to(code_ttl()).await;
    for n in 0..3 {
        begin(&sim, 1, &format!("+44770090020{n}")).await;
    }
}

#[tokio::test(start_paused = true)]
async fn login_ids_come_from_the_seed_and_never_repeat() {
    let ids = |seed| async move {
        let (market, _clock) = start(config(seed));
        let sim = SimLogin::new(market);
        let mut ids = Vec::new();
        for user_id in 1..=4 {
            ids.push(begin(&sim, user_id, NEW_PHONE).await.0);
        }
        ids
    };
    let first = ids(5).await;
    assert_eq!(first, ids(5).await);
    assert_ne!(first, ids(6).await);
    let mut unique = first.clone();
    unique.dedup();
    assert_eq!(unique.len(), first.len());
}

#[tokio::test(start_paused = true)]
async fn the_observer_sees_the_masked_phone_and_the_code() {
    let (market, _clock) = start(config(5));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let sim = SimLogin::new(market).on_code_sent(move |phone, code| {
        sink.lock()
            .expect("lock")
            .push((phone.to_owned(), code.to_owned()));
    });
    let (_, code) = begin(&sim, 1, NEW_PHONE).await;
    assert_eq!(
        *seen.lock().expect("lock"),
        vec![("+4477*****123".to_owned(), code)]
    );
}

#[tokio::test(start_paused = true)]
async fn accounts_created_with_any_channel_post_everywhere_unless_told_otherwise() {
    let mut market_config = config(5);
    market_config.login.any_channel = true;
    market_config
        .login
        .channels
        .insert(channel(2), ChannelAccess::ReadOnly);
    let (market, _clock) = start(market_config);
    let sim = SimLogin::new(market.clone());
    let (login, code) = begin(&sim, 1, NEW_PHONE).await;
    let id = done(sim.submit_code(user(1), &login, secret(&code)).await)
        .profile
        .account_id;
    let account = market.account(id).expect("created");
    let access = |n| {
        let account = account.clone();
        async move { account.channel_info(channel(n)).await.expect("info").access }
    };
    assert_eq!(access(1).await, ChannelAccess::CanPost);
    assert_eq!(access(99).await, ChannelAccess::CanPost);
    assert_eq!(
        access(2).await,
        ChannelAccess::ReadOnly,
        "listed entries win"
    );
    // Accounts from the config keep their explicit list.
    let listed = market.account(account_id(1001)).expect("listed");
    assert_eq!(
        listed.channel_info(channel(1)).await.expect("info").access,
        ChannelAccess::NotMember
    );
}
