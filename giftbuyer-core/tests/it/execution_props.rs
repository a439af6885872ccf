//! Invariants of plan execution under arbitrary Telegram answers, checked with proptest: no
//! purchase is sent twice, every planned purchase ends exactly once, stops are honoured, and
//! execution always finishes.

use std::collections::{HashMap, HashSet};

use giftbuyer_core::execution::{ExecutionPolicy, MOVED, Next, RunExecution};
use giftbuyer_core::ports::TelegramError;
use giftbuyer_core::{AccountId, GiftId, plan};
use proptest::prelude::*;

use crate::support::*;

/// The answers a scripted Telegram gives, cycled through call by call.
fn answer() -> impl Strategy<Value = Option<TelegramError>> {
    prop_oneof![
        6 => Just(None),
        1 => Just(Some(TelegramError::GiftSoldOut)),
        1 => Just(Some(TelegramError::BalanceTooLow)),
        1 => Just(Some(TelegramError::UserLimitReached)),
        1 => Just(Some(TelegramError::ChatWriteForbidden)),
        1 => Just(Some(TelegramError::NotMember)),
        1 => (1u32..10).prop_map(|seconds| Some(TelegramError::FloodWait { seconds })),
        1 => Just(Some(TelegramError::FormExpired)),
        1 => Just(Some(TelegramError::Timeout)),
        1 => Just(Some(TelegramError::Rpc { code: 400, name: "SOMETHING_NEW".into() })),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    balances: Vec<u64>,
    channel_caps: Vec<Option<u64>>,
    gifts: Vec<(i64, i64, i64)>,
    answers: Vec<Option<TelegramError>>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0u64..200, 1..4),
        prop::collection::vec(prop::option::of(500u64..5000), 1..4),
        prop::collection::vec((1i64..30, 100i64..6000, 1i64..6), 1..4),
        prop::collection::vec(answer(), 1..20),
    )
        .prop_map(|(balances, channel_caps, gifts, answers)| Case {
            balances,
            channel_caps,
            gifts,
            answers,
        })
}

/// What happened to each sequence number, in order.
#[derive(Debug, Default)]
struct Trace {
    sent: Vec<(u32, AccountId, GiftId)>,
    cancelled: Vec<(u32, String)>,
    answers: Vec<(usize, AccountId, GiftId, Option<TelegramError>)>,
    steps: usize,
}

fn run(case: &Case) -> (usize, Trace, usize) {
    let accounts = (0i64..)
        .zip(&case.balances)
        .map(|(i, &balance)| acc(i + 1, balance, true))
        .collect();
    let channels: Vec<_> = (0i64..)
        .zip(&case.channel_caps)
        .map(|(i, &cap)| ch(i + 1, 100 + i, ANY, (None, cap)))
        .collect();
    let gifts = (0i64..)
        .zip(&case.gifts)
        .map(|(i, &(price, supply, remaining))| gift(i + 1, price, supply, remaining))
        .collect();
    let plan = plan(&input(accounts, channels.clone(), gifts), at(NOW));
    let mut execution = RunExecution::new(&plan, &channels, ExecutionPolicy::default());
    let mut trace = Trace::default();
    let mut active = execution.accounts();
    let mut call = 0;
    while !active.is_empty() && trace.steps < 10_000 {
        trace.steps += 1;
        active.retain(|&account| match execution.next(account) {
            Next::Done => false,
            Next::Cancel { seq, reason, .. } => {
                trace.cancelled.push((seq, reason));
                true
            }
            Next::Send(attempt) => {
                let answer = case.answers[call % case.answers.len()].clone();
                call += 1;
                let op = attempt.operation;
                trace.sent.push((attempt.seq, op.account_id, op.gift_id));
                trace.answers.push((
                    trace.sent.len() - 1,
                    op.account_id,
                    op.gift_id,
                    answer.clone(),
                ));
                execution.complete(attempt, answer.as_ref().map_or(Ok(()), Err));
                true
            }
        });
    }
    let reported = execution.executions().len();
    (plan.operations.len(), trace, reported)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn execution_finishes_and_never_sends_a_purchase_twice(case in case()) {
        let (planned, trace, _) = run(&case);
        prop_assert!(trace.steps < 10_000, "execution did not finish");
        let mut seen = HashSet::new();
        for (seq, _, _) in &trace.sent {
            prop_assert!(seen.insert(*seq), "#{seq} sent twice");
        }
        // Each planned purchase ends exactly once: sent or cancelled, never both.
        let mut ended: HashMap<u32, usize> = HashMap::new();
        for seq in trace.sent.iter().map(|(seq, _, _)| *seq).chain(trace.cancelled.iter().map(|(seq, _)| *seq)) {
            *ended.entry(seq).or_default() += 1;
        }
        for seq in 0..u32::try_from(planned).expect("small plan") {
            prop_assert_eq!(ended.get(&seq).copied(), Some(1), "#{} did not end exactly once", seq);
        }
        prop_assert!(ended.values().all(|&count| count == 1));
    }

    #[test]
    fn stops_are_honoured(case in case()) {
        let (_, trace, _) = run(&case);
        for (index, account, gift, answer) in &trace.answers {
            let later = &trace.sent[index + 1..];
            match answer {
                Some(TelegramError::GiftSoldOut) => {
                    prop_assert!(later.iter().all(|(_, _, g)| g != gift), "gift {gift} sent after sold out");
                }
                Some(TelegramError::BalanceTooLow) => {
                    prop_assert!(later.iter().all(|(_, a, _)| a != account), "account {account} sent after BALANCE_TOO_LOW");
                }
                Some(TelegramError::UserLimitReached) => {
                    prop_assert!(
                        later.iter().all(|(_, a, g)| a != account || g != gift),
                        "account {account} sent gift {gift} after its per-user limit"
                    );
                }
                _ => {}
            }
        }
    }

    #[test]
    fn the_report_lists_every_answer_and_every_real_cancellation(case in case()) {
        let (_, trace, reported) = run(&case);
        let cancellations = trace.cancelled.iter().filter(|(_, reason)| reason != MOVED).count();
        prop_assert_eq!(reported, trace.sent.len() + cancellations);
    }
}
