//! Login emulation: codes, two-step verification, new accounts, expiry.

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{ChannelAccess, TelegramAccount};
use giftbuyer_sim::{AccountSpec, LoginError, Market, MarketConfig};

use crate::support::*;

const PHONE: &str = "+15550001001";

fn config(seed: u64) -> MarketConfig {
    let mut config = quiet_config(seed).account(
        AccountSpec::new(account_id(1001), Stars::new(50_000))
            .phone(PHONE)
            .two_factor("correct horse", Some("the usual")),
    );
    config.login.starting_balance = Stars::new(1_234);
    config
        .login
        .channels
        .insert(channel(1), ChannelAccess::CanPost);
    config
}

fn code_of(market: &Market, phone: &str) -> String {
    market.last_code(phone).expect("a code was sent")
}

#[tokio::test(start_paused = true)]
async fn an_account_with_two_step_verification_logs_in_with_code_and_password() {
    let (market, _clock) = start(config(5));
    assert_eq!(market.sign_in(PHONE, "x", "1"), Err(LoginError::NoCodeSent));
    let sent = market.request_login_code("+1 555 000-10-01").expect("sent");
    assert_eq!(sent.code_length, 5);
    let code = code_of(&market, PHONE);
    assert_eq!(code.len(), 5);
    assert!(code.chars().all(|c| c.is_ascii_digit()));

    let wrong = if code == "00000" { "11111" } else { "00000" };
    assert_eq!(
        market.sign_in(PHONE, &sent.phone_code_hash, wrong),
        Err(LoginError::InvalidCode)
    );
    assert_eq!(
        market.check_password(PHONE, "correct horse"),
        Err(LoginError::NoPasswordPending),
        "the password comes after the code"
    );
    assert_eq!(
        market.sign_in(PHONE, &sent.phone_code_hash, &code),
        Err(LoginError::PasswordRequired {
            hint: Some("the usual".into())
        })
    );
    assert_eq!(
        market.check_password(PHONE, "wrong"),
        Err(LoginError::InvalidPassword)
    );
    assert_eq!(
        market.check_password(PHONE, "correct horse"),
        Ok(account_id(1001))
    );
    assert_eq!(
        market.check_password(PHONE, "correct horse"),
        Err(LoginError::NoPasswordPending),
        "a login completes once"
    );
}

#[tokio::test(start_paused = true)]
async fn a_new_number_creates_an_account_with_the_starting_balance() {
    let (market, _clock) = start(config(5));
    let phone = "+447700900123";
    let sent = market.request_login_code(phone).expect("sent");
    let id = market
        .sign_in(phone, &sent.phone_code_hash, &code_of(&market, phone))
        .expect("no password on a new account");
    let account = market.account(id).expect("created");
    assert_eq!(account.stars_balance().await, Ok(Stars::new(1_234)));
    assert_eq!(
        account.channel_info(channel(1)).await.expect("info").access,
        ChannelAccess::CanPost
    );

    // Logging in again reaches the same account.
    let sent = market.request_login_code(phone).expect("sent");
    assert_eq!(
        market.sign_in(phone, &sent.phone_code_hash, &code_of(&market, phone)),
        Ok(id)
    );
    assert_eq!(market.accounts().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn codes_expire_by_time_by_replacement_and_after_too_many_tries() {
    let (market, clock) = start(config(5));
    let phone = "+447700900123";
    let old = market.request_login_code(phone).expect("sent");
    let old_code = code_of(&market, phone);
    let new = market.request_login_code(phone).expect("sent");
    assert_ne!(old.phone_code_hash, new.phone_code_hash);
    assert_eq!(
        market.sign_in(phone, &old.phone_code_hash, &old_code),
        Err(LoginError::CodeExpired),
        "a newer code replaces the old one"
    );

    clock.advance_to(new.expires_in).await;
    assert_eq!(
        market.sign_in(phone, &new.phone_code_hash, &code_of(&market, phone)),
        Err(LoginError::CodeExpired)
    );

    let sent = market.request_login_code(phone).expect("sent");
    let code = code_of(&market, phone);
    let wrong = if code == "00000" { "11111" } else { "00000" };
    for _ in 0..5 {
        assert_eq!(
            market.sign_in(phone, &sent.phone_code_hash, wrong),
            Err(LoginError::InvalidCode)
        );
    }
    assert_eq!(
        market.sign_in(phone, &sent.phone_code_hash, &code),
        Err(LoginError::CodeExpired),
        "five wrong tries burn the code"
    );

    assert_eq!(
        market.request_login_code("12345"),
        Err(LoginError::PhoneNumberInvalid("12345".into()))
    );
    assert_eq!(market.last_code("+10000000000"), None);
}

#[tokio::test(start_paused = true)]
async fn codes_come_from_the_seed() {
    let codes = |seed| {
        let (market, _clock) = start(config(seed));
        (1..=5)
            .map(|_| {
                market.request_login_code(PHONE).expect("sent");
                code_of(&market, PHONE)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(5), codes(5));
    assert_ne!(codes(5), codes(6));
}
