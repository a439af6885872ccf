//! Data-driven cases of plan execution: a scripted Telegram answers each attempt and the trace
//! of sends, cancellations and waits is checked against a snapshot.

use std::time::Duration;

use expect_test::{Expect, expect};
use giftbuyer_core::execution::{Attempt, ExecutionPolicy, Next, RunExecution, Verdict};
use giftbuyer_core::ports::TelegramError;
use giftbuyer_core::report::Outcome;
use giftbuyer_core::{Target, plan};

use crate::support::*;

/// Runs the execution to the end, accounts taking turns one step each (as concurrent accounts
/// would interleave), answering every attempt with `answer`.
fn trace(
    channels: Vec<Target>,
    plan: &giftbuyer_core::Plan,
    policy: ExecutionPolicy,
    mut answer: impl FnMut(&Attempt) -> Result<(), TelegramError>,
) -> String {
    let mut execution = RunExecution::new(plan, &channels, policy);
    let mut lines = Vec::new();
    let mut active = execution.accounts();
    while !active.is_empty() {
        active.retain(|&account| match execution.next(account) {
            Next::Done => false,
            Next::Cancel {
                seq,
                operation,
                reason,
            } => {
                lines.push(format!(
                    "acc={account} cancel #{seq} gift={} {}: {reason}",
                    operation.gift_id, operation.recipient
                ));
                true
            }
            Next::Send(attempt) => {
                let result = answer(&attempt);
                let op = attempt.operation;
                let fresh = if attempt.fresh { " (new)" } else { "" };
                let shown = match &result {
                    Ok(()) => "bought".to_owned(),
                    Err(error) => error.name().into_owned(),
                };
                lines.push(format!(
                    "acc={account} send #{}{fresh} gift={} {} → {shown}",
                    attempt.seq, op.gift_id, op.recipient
                ));
                if let Verdict::Wait(wait) =
                    execution.complete(attempt, result.as_ref().map(|_| ()))
                {
                    lines.push(format!("acc={account} wait {}s", wait.as_secs()));
                }
                true
            }
        });
    }
    let outcomes: Vec<String> = execution
        .executions()
        .iter()
        .map(|execution| match &execution.outcome {
            Outcome::Bought => "bought".to_owned(),
            Outcome::Failed(name) => format!("failed:{name}"),
            Outcome::Unknown => "unknown".to_owned(),
        })
        .collect();
    lines.push(format!("report: {}", outcomes.join(" ")));
    lines.join("\n") + "\n"
}

fn check(actual: String, expected: Expect) {
    expected.assert_eq(&actual);
}

fn two_accounts_three_copies() -> (Vec<Target>, giftbuyer_core::Plan) {
    let channels = vec![ch(1, 111, ANY, (None, Some(5000))), ch(2, 222, ANY, ANY)];
    let input = input(
        vec![acc(1, 30, true), acc(2, 20, true)],
        channels.clone(),
        vec![gift(5, 10, 1000, 100)],
    );
    let plan = plan(&input, at(NOW));
    (channels, plan)
}

#[test]
fn sold_out_stops_every_remaining_purchase_of_the_gift() {
    let (channels, plan) = two_accounts_three_copies();
    let mut calls = 0;
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |_| {
            calls += 1;
            if calls == 1 {
                Ok(())
            } else {
                Err(TelegramError::GiftSoldOut)
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → bought
            acc=2 send #3 gift=5 ch=-1000000000111 → STARGIFT_USAGE_LIMITED
            acc=1 cancel #1 gift=5 ch=-1000000000111: STARGIFT_USAGE_LIMITED
            acc=2 cancel #4 gift=5 ch=-1000000000111: STARGIFT_USAGE_LIMITED
            acc=1 cancel #2 gift=5 ch=-1000000000111: STARGIFT_USAGE_LIMITED
            report: bought failed:STARGIFT_USAGE_LIMITED failed:STARGIFT_USAGE_LIMITED failed:STARGIFT_USAGE_LIMITED failed:STARGIFT_USAGE_LIMITED
        "#]],
    );
}

#[test]
fn the_baseline_keeps_sending_after_sold_out() {
    let (channels, plan) = two_accounts_three_copies();
    let policy = ExecutionPolicy {
        stop_on_sold_out: false,
        ..ExecutionPolicy::default()
    };
    check(
        trace(channels, &plan, policy, |_| Err(TelegramError::GiftSoldOut)),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → STARGIFT_USAGE_LIMITED
            acc=2 send #3 gift=5 ch=-1000000000111 → STARGIFT_USAGE_LIMITED
            acc=1 send #1 gift=5 ch=-1000000000111 → STARGIFT_USAGE_LIMITED
            acc=2 send #4 gift=5 ch=-1000000000111 → STARGIFT_USAGE_LIMITED
            acc=1 send #2 gift=5 ch=-1000000000111 → STARGIFT_USAGE_LIMITED
            report: failed:STARGIFT_USAGE_LIMITED failed:STARGIFT_USAGE_LIMITED failed:STARGIFT_USAGE_LIMITED failed:STARGIFT_USAGE_LIMITED failed:STARGIFT_USAGE_LIMITED
        "#]],
    );
}

#[test]
fn balance_too_low_stops_only_that_account() {
    let (channels, plan) = two_accounts_three_copies();
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            if attempt.operation.account_id.get() == 1 {
                Err(TelegramError::BalanceTooLow)
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → BALANCE_TOO_LOW
            acc=2 send #3 gift=5 ch=-1000000000111 → bought
            acc=1 cancel #1 gift=5 ch=-1000000000111: BALANCE_TOO_LOW
            acc=2 send #4 gift=5 ch=-1000000000111 → bought
            acc=1 cancel #2 gift=5 ch=-1000000000111: BALANCE_TOO_LOW
            report: failed:BALANCE_TOO_LOW bought failed:BALANCE_TOO_LOW bought failed:BALANCE_TOO_LOW
        "#]],
    );
}

#[test]
fn a_channel_error_moves_the_copies_to_the_next_matching_channel() {
    let (channels, plan) = two_accounts_three_copies();
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            let refused = attempt.operation.account_id.get() == 1 && on_channel(attempt, 111);
            if refused {
                Err(TelegramError::ChatWriteForbidden)
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → CHAT_WRITE_FORBIDDEN
            acc=2 send #3 gift=5 ch=-1000000000111 → bought
            acc=1 send #5 (new) gift=5 ch=-1000000000222 → bought
            acc=2 send #4 gift=5 ch=-1000000000111 → bought
            acc=1 cancel #1 gift=5 ch=-1000000000111: moved
            acc=1 send #6 (new) gift=5 ch=-1000000000222 → bought
            acc=1 cancel #2 gift=5 ch=-1000000000111: moved
            acc=1 send #7 (new) gift=5 ch=-1000000000222 → bought
            report: failed:CHAT_WRITE_FORBIDDEN bought bought bought bought bought
        "#]],
    );
}

#[test]
fn copies_are_cancelled_when_no_channel_is_left() {
    let (channels, plan) = two_accounts_three_copies();
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            if attempt.operation.account_id.get() == 2 {
                Err(TelegramError::NotMember)
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → bought
            acc=2 send #3 gift=5 ch=-1000000000111 → not_a_member
            acc=1 send #1 gift=5 ch=-1000000000111 → bought
            acc=2 send #5 (new) gift=5 ch=-1000000000222 → not_a_member
            acc=1 send #2 gift=5 ch=-1000000000111 → bought
            acc=2 cancel #4 gift=5 ch=-1000000000111: not_a_member
            report: bought failed:not_a_member bought failed:not_a_member bought failed:not_a_member
        "#]],
    );
}

#[test]
fn a_short_flood_wait_is_waited_out_and_retried() {
    let (channels, plan) = two_accounts_three_copies();
    let mut flooded = false;
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            if attempt.operation.account_id.get() == 2 && !flooded {
                flooded = true;
                Err(TelegramError::FloodWait { seconds: 3 })
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → bought
            acc=2 send #3 gift=5 ch=-1000000000111 → FLOOD_WAIT_3
            acc=2 wait 3s
            acc=1 send #1 gift=5 ch=-1000000000111 → bought
            acc=2 send #5 (new) gift=5 ch=-1000000000111 → bought
            acc=1 send #2 gift=5 ch=-1000000000111 → bought
            acc=2 send #4 gift=5 ch=-1000000000111 → bought
            report: bought failed:FLOOD_WAIT_3 bought bought bought bought
        "#]],
    );
}

#[test]
fn a_long_flood_wait_gives_up_the_account() {
    let (channels, plan) = two_accounts_three_copies();
    let policy = ExecutionPolicy {
        max_flood_wait: Duration::from_secs(2),
        ..ExecutionPolicy::default()
    };
    check(
        trace(channels, &plan, policy, |attempt| {
            if attempt.operation.account_id.get() == 1 {
                Err(TelegramError::FloodWait { seconds: 3 })
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → FLOOD_WAIT_3
            acc=2 send #3 gift=5 ch=-1000000000111 → bought
            acc=1 cancel #1 gift=5 ch=-1000000000111: flood_wait
            acc=2 send #4 gift=5 ch=-1000000000111 → bought
            acc=1 cancel #2 gift=5 ch=-1000000000111: flood_wait
            report: failed:FLOOD_WAIT_3 bought failed:flood_wait bought failed:flood_wait
        "#]],
    );
}

#[test]
fn an_expired_form_is_retried_once() {
    let (channels, plan) = two_accounts_three_copies();
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            if attempt.operation.account_id.get() == 2 {
                Err(TelegramError::FormExpired)
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → bought
            acc=2 send #3 gift=5 ch=-1000000000111 → FORM_EXPIRED
            acc=1 send #1 gift=5 ch=-1000000000111 → bought
            acc=2 send #5 (new) gift=5 ch=-1000000000111 → FORM_EXPIRED
            acc=1 send #2 gift=5 ch=-1000000000111 → bought
            acc=2 send #4 gift=5 ch=-1000000000111 → FORM_EXPIRED
            acc=2 send #6 (new) gift=5 ch=-1000000000111 → FORM_EXPIRED
            report: bought failed:FORM_EXPIRED bought failed:FORM_EXPIRED bought failed:FORM_EXPIRED failed:FORM_EXPIRED
        "#]],
    );
}

#[test]
fn an_unanswered_purchase_is_unknown_and_never_resent() {
    let (channels, plan) = two_accounts_three_copies();
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            if attempt.seq == 0 {
                Err(TelegramError::Timeout)
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → timeout
            acc=2 send #3 gift=5 ch=-1000000000111 → bought
            acc=1 send #1 gift=5 ch=-1000000000111 → bought
            acc=2 send #4 gift=5 ch=-1000000000111 → bought
            acc=1 send #2 gift=5 ch=-1000000000111 → bought
            report: unknown bought bought bought bought
        "#]],
    );
}

#[test]
fn a_telegram_server_error_on_a_purchase_is_unknown_and_never_resent() {
    let (channels, plan) = two_accounts_three_copies();
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            if attempt.seq == 0 {
                Err(TelegramError::from_rpc(500, "INTERNAL_SERVER_ERROR"))
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → INTERNAL_SERVER_ERROR
            acc=2 send #3 gift=5 ch=-1000000000111 → bought
            acc=1 send #1 gift=5 ch=-1000000000111 → bought
            acc=2 send #4 gift=5 ch=-1000000000111 → bought
            acc=1 send #2 gift=5 ch=-1000000000111 → bought
            report: unknown bought bought bought bought
        "#]],
    );
}

#[test]
fn a_per_user_limit_stops_the_gift_for_that_account_only() {
    let channels = vec![ch(1, 111, ANY, ANY)];
    let input = input(
        vec![acc(1, 30, true), acc(2, 20, true)],
        channels.clone(),
        // Account 1 buys two copies of gift 5 and two of gift 6; account 2 finds gift 5 gone
        // and buys four of gift 6.
        vec![gift(5, 10, 1000, 2), gift(6, 5, 2000, 100)],
    );
    let plan = plan(&input, at(NOW));
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            let op = attempt.operation;
            if op.account_id.get() == 1 && op.gift_id.get() == 5 {
                Err(TelegramError::UserLimitReached)
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → STARGIFT_USER_USAGE_LIMITED
            acc=2 send #4 gift=6 ch=-1000000000111 → bought
            acc=1 cancel #1 gift=5 ch=-1000000000111: STARGIFT_USER_USAGE_LIMITED
            acc=2 send #5 gift=6 ch=-1000000000111 → bought
            acc=1 send #2 gift=6 ch=-1000000000111 → bought
            acc=2 send #6 gift=6 ch=-1000000000111 → bought
            acc=1 send #3 gift=6 ch=-1000000000111 → bought
            acc=2 send #7 gift=6 ch=-1000000000111 → bought
            report: failed:STARGIFT_USER_USAGE_LIMITED bought failed:STARGIFT_USER_USAGE_LIMITED bought bought bought bought bought
        "#]],
    );
}

#[test]
fn endless_flood_waits_give_up_after_the_retry_budget() {
    let (channels, plan) = two_accounts_three_copies();
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            if attempt.operation.account_id.get() == 2 {
                Err(TelegramError::FloodWait { seconds: 1 })
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → bought
            acc=2 send #3 gift=5 ch=-1000000000111 → FLOOD_WAIT_1
            acc=2 wait 1s
            acc=1 send #1 gift=5 ch=-1000000000111 → bought
            acc=2 send #5 (new) gift=5 ch=-1000000000111 → FLOOD_WAIT_1
            acc=2 wait 1s
            acc=1 send #2 gift=5 ch=-1000000000111 → bought
            acc=2 send #6 (new) gift=5 ch=-1000000000111 → FLOOD_WAIT_1
            acc=2 wait 1s
            acc=2 send #7 (new) gift=5 ch=-1000000000111 → FLOOD_WAIT_1
            acc=2 cancel #4 gift=5 ch=-1000000000111: flood_wait
            report: bought failed:FLOOD_WAIT_1 bought failed:FLOOD_WAIT_1 bought failed:FLOOD_WAIT_1 failed:FLOOD_WAIT_1 failed:flood_wait
        "#]],
    );
}

#[test]
fn a_refused_channel_never_falls_back_onto_one_that_excludes_the_gift() {
    // Gift 5 is a birthday gift. Channel 2 excludes birthday gifts, channel 3 excludes the id,
    // channel 4 takes it: when channel 1 refuses, the copies skip 2 and 3 and go to 4.
    let channels = vec![
        ch(1, 111, ANY, (None, Some(5000))),
        excluding(
            ch(2, 222, ANY, (None, Some(6000))),
            &[],
            &[giftbuyer_core::GiftKind::Birthday],
        ),
        excluding(ch(3, 333, ANY, (None, Some(7000))), &[5], &[]),
        ch(4, 444, ANY, ANY),
    ];
    let input = input(
        vec![acc(1, 20, true)],
        channels.clone(),
        vec![birthday(gift(5, 10, 1000, 10))],
    );
    let plan = plan(&input, at(NOW));
    check(
        trace(channels, &plan, ExecutionPolicy::default(), |attempt| {
            if on_channel(attempt, 111) {
                Err(TelegramError::ChatWriteForbidden)
            } else {
                Ok(())
            }
        }),
        expect![[r#"
            acc=1 send #0 gift=5 ch=-1000000000111 → CHAT_WRITE_FORBIDDEN
            acc=1 send #2 (new) gift=5 ch=-1000000000444 → bought
            acc=1 cancel #1 gift=5 ch=-1000000000111: moved
            acc=1 send #3 (new) gift=5 ch=-1000000000444 → bought
            report: failed:CHAT_WRITE_FORBIDDEN bought bought
        "#]],
    );
}

#[test]
fn a_person_nobody_holds_moves_the_copies_to_the_next_target_and_self_takes_them() {
    // The username no longer resolves: Telegram refuses before any payment, so the copies go
    // to the next target, the buying account's own profile.
    let targets = vec![
        person(1, "gift_friend", ANY, (None, Some(5000))),
        me(2, ANY, ANY),
    ];
    let input = input(
        vec![acc(1, 20, true)],
        targets.clone(),
        vec![gift(5, 10, 1000, 10)],
    );
    let plan = plan(&input, at(NOW));
    check(
        trace(
            targets,
            &plan,
            ExecutionPolicy::default(),
            |attempt| match attempt.operation.recipient {
                giftbuyer_core::Recipient::User(_) => Err(TelegramError::Rpc {
                    code: 400,
                    name: "USERNAME_NOT_OCCUPIED".to_owned(),
                }),
                _ => Ok(()),
            },
        ),
        expect![[r#"
            acc=1 send #0 gift=5 @gift_friend → USERNAME_NOT_OCCUPIED
            acc=1 send #2 (new) gift=5 self → bought
            acc=1 cancel #1 gift=5 @gift_friend: moved
            acc=1 send #3 (new) gift=5 self → bought
            report: failed:USERNAME_NOT_OCCUPIED bought bought
        "#]],
    );
}

/// Whether the attempt is for the channel `-100<suffix>`.
fn on_channel(attempt: &Attempt, suffix: i64) -> bool {
    attempt
        .operation
        .recipient
        .channel()
        .is_some_and(|channel| channel.mtproto_id() == suffix)
}
