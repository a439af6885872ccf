//! The soak's verdict: what the journal, the market, the store's record and the engine's
//! events must agree on after a run full of faults, as plain functions over what was gathered.

use std::collections::BTreeMap;

use giftbuyer_core::ports::{ChatId, JournalEntry, JournalKey, JournalStatus, UserId};
use giftbuyer_core::{AccountId, GiftId, Recipient};

/// Everything gathered at the end of a soak.
#[derive(Debug, Default)]
pub(super) struct Evidence {
    /// The drops the market released.
    pub(super) drops: Vec<GiftId>,
    /// The users who buy automatically, with the chats their reports go to.
    pub(super) report_chats: BTreeMap<UserId, Vec<ChatId>>,
    /// How many times the engine announced each gift as new.
    pub(super) detected: BTreeMap<GiftId, u32>,
    /// How many catalogs brought new gifts: each starts one run per buying user.
    pub(super) batches: usize,
    /// Every run begun or attempted, with the gifts its operations buy.
    pub(super) begun: Vec<(UserId, Vec<GiftId>)>,
    /// The journal after the final recovery.
    pub(super) journal: Vec<JournalEntry>,
    /// How many times each entry moved to `sending`.
    pub(super) sending: BTreeMap<JournalKey, u32>,
    /// Purchase requests the market received.
    pub(super) buy_calls: u64,
    /// Purchases the market carried out.
    pub(super) purchases: Vec<(AccountId, GiftId, Recipient)>,
    /// Each finished run's report (its first message), by user.
    pub(super) reports: Vec<(UserId, String)>,
    /// Texts the bot delivered, by chat.
    pub(super) delivered: BTreeMap<ChatId, Vec<String>>,
    /// Reports the engine recorded as undelivered, by chat.
    pub(super) undelivered: BTreeMap<ChatId, u64>,
    /// Engine events the soak missed (its checks would be incomplete).
    pub(super) lost_events: u64,
}

/// What the checks found: figures, and every rule broken.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Verdict {
    pub(super) operations: usize,
    pub(super) bought: usize,
    pub(super) failed: usize,
    pub(super) unknown: usize,
    /// Unknown entries that the market did carry out.
    pub(super) unknown_bought: usize,
    pub(super) duplicates: u64,
    pub(super) reports: usize,
    pub(super) undelivered: u64,
    pub(super) violations: Vec<String>,
}

/// A purchase as the market and the journal both name it.
type Purchase = (AccountId, GiftId, Recipient);

pub(super) fn check(evidence: &Evidence) -> Verdict {
    let mut verdict = Verdict {
        operations: evidence.journal.len(),
        ..Verdict::default()
    };
    let violations = &mut verdict.violations;

    // Every drop was seen once, and each catalog that brought new gifts began one run for
    // every buying user (a drop sold out before it was seen is planned, and skipped, there).
    for drop in &evidence.drops {
        match evidence.detected.get(drop).copied().unwrap_or(0) {
            1 => {}
            0 => violations.push(format!("drop {drop} was never detected")),
            n => violations.push(format!("drop {drop} was announced as new {n} times")),
        }
    }
    for user in evidence.report_chats.keys() {
        let begun = evidence.begun.iter().filter(|(who, _)| who == user).count();
        if begun != evidence.batches {
            violations.push(format!(
                "user {user} began {begun} runs for {} catalogs with new gifts",
                evidence.batches
            ));
        }
    }

    // Every entry ended, and the market agrees with what the journal says of each purchase.
    let mut bought: BTreeMap<Purchase, usize> = BTreeMap::new();
    let mut unknown: BTreeMap<Purchase, usize> = BTreeMap::new();
    for entry in &evidence.journal {
        let op = &entry.operation;
        let purchase = (op.account_id, op.gift_id, op.recipient);
        match entry.status {
            JournalStatus::Bought => {
                verdict.bought += 1;
                *bought.entry(purchase).or_default() += 1;
            }
            JournalStatus::Unknown => {
                verdict.unknown += 1;
                *unknown.entry(purchase).or_default() += 1;
            }
            JournalStatus::Failed => verdict.failed += 1,
            JournalStatus::Planned | JournalStatus::Sending => violations.push(format!(
                "journal entry {}/{} never ended: {}",
                entry.key.run_id,
                entry.key.seq,
                entry.status.code()
            )),
        }
    }
    let mut carried_out: BTreeMap<Purchase, usize> = BTreeMap::new();
    for purchase in &evidence.purchases {
        *carried_out.entry(*purchase).or_default() += 1;
    }
    let mut keys: Vec<&Purchase> = carried_out.keys().chain(bought.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let (account, gift, channel) = key;
        let done = carried_out.get(key).copied().unwrap_or(0);
        let said_bought = bought.get(key).copied().unwrap_or(0);
        let maybe = unknown.get(key).copied().unwrap_or(0);
        if done < said_bought {
            violations.push(format!(
                "account {account} bought gift {gift} onto {channel} {done} times, the journal says {said_bought}"
            ));
        } else if done > said_bought + maybe {
            verdict.duplicates += (done - said_bought - maybe) as u64;
            violations.push(format!(
                "account {account} bought gift {gift} onto {channel} {done} times, the journal \
                 allows {said_bought} bought and {maybe} unknown"
            ));
        } else {
            verdict.unknown_bought += done - said_bought;
        }
    }

    // Nothing was sent without its own move to `sending`, and no entry moved twice.
    for (key, moves) in &evidence.sending {
        if *moves > 1 {
            verdict.duplicates += u64::from(*moves - 1);
            violations.push(format!(
                "journal entry {}/{} moved to sending {moves} times",
                key.run_id, key.seq
            ));
        }
    }
    let journaled_sends = evidence.sending.len() as u64;
    if evidence.buy_calls > journaled_sends {
        verdict.duplicates += evidence.buy_calls - journaled_sends;
        violations.push(format!(
            "the market got {} purchase requests for {journaled_sends} journaled sends",
            evidence.buy_calls
        ));
    }

    // Every report reached each of its chats, or its failure is on record.
    verdict.reports = evidence.reports.len();
    for (user, chats) in &evidence.report_chats {
        let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, report) in evidence.reports.iter().filter(|(who, _)| who == user) {
            *expected.entry(report.as_str()).or_default() += 1;
        }
        for chat in chats {
            let delivered = evidence.delivered.get(chat).map_or(&[][..], Vec::as_slice);
            let missing: usize = expected
                .iter()
                .map(|(text, want)| {
                    let got = delivered.iter().filter(|sent| sent == text).count();
                    want.saturating_sub(got)
                })
                .sum();
            let recorded = evidence.undelivered.get(chat).copied().unwrap_or(0);
            verdict.undelivered += recorded;
            if missing as u64 > recorded {
                violations.push(format!(
                    "{missing} reports of user {user} never reached chat {chat}, {recorded} failures recorded"
                ));
            }
        }
    }

    if evidence.lost_events > 0 {
        violations.push(format!(
            "{} engine events were lost; the checks are incomplete",
            evidence.lost_events
        ));
    }
    verdict
}

#[cfg(test)]
mod tests {
    use giftbuyer_core::{Operation, Stars, UnixTime};

    use super::*;

    fn entry(seq: u32, status: JournalStatus) -> JournalEntry {
        JournalEntry {
            key: JournalKey { run_id: 1, seq },
            user_id: UserId::new(1).expect("id"),
            operation: Operation {
                account_id: AccountId::new(11).expect("id"),
                recipient: Recipient::Channel(
                    giftbuyer_core::ChannelId::new(-1_001_000_000_001).expect("id"),
                ),
                gift_id: GiftId::new(900).expect("id"),
                price: Stars::new(10),
                supply: 100,
            },
            status,
            error: None,
            updated_at: UnixTime::default(),
        }
    }

    fn purchase() -> Purchase {
        let op = entry(0, JournalStatus::Bought).operation;
        (op.account_id, op.gift_id, op.recipient)
    }

    /// One drop, one user, one bought and one unknown purchase that the market carried out,
    /// one report delivered: everything agrees.
    fn agreeing() -> Evidence {
        let user = UserId::new(1).expect("id");
        let gift = GiftId::new(900).expect("id");
        let chat = ChatId::new(11).expect("id");
        let sending = [0, 1].map(|seq| (JournalKey { run_id: 1, seq }, 1));
        Evidence {
            drops: vec![gift],
            report_chats: BTreeMap::from([(user, vec![chat])]),
            detected: BTreeMap::from([(gift, 1)]),
            batches: 1,
            begun: vec![(user, vec![gift, gift])],
            journal: vec![
                entry(0, JournalStatus::Bought),
                entry(1, JournalStatus::Unknown),
            ],
            sending: BTreeMap::from(sending),
            buy_calls: 2,
            purchases: vec![purchase(), purchase()],
            reports: vec![(user, "report".to_owned())],
            delivered: BTreeMap::from([(chat, vec!["report".to_owned()])]),
            ..Evidence::default()
        }
    }

    #[test]
    fn agreeing_evidence_passes_with_its_figures() {
        let verdict = check(&agreeing());
        assert_eq!(verdict.violations, Vec::<String>::new());
        assert_eq!(
            (
                verdict.operations,
                verdict.bought,
                verdict.unknown,
                verdict.unknown_bought
            ),
            (2, 1, 1, 1)
        );
        assert_eq!(verdict.duplicates, 0);
    }

    #[test]
    fn a_purchase_beyond_the_journal_is_a_duplicate() {
        let mut evidence = agreeing();
        evidence.purchases.push(purchase());
        evidence.buy_calls = 3;
        let verdict = check(&evidence);
        assert_eq!(verdict.duplicates, 2, "{:?}", verdict.violations);
        assert_eq!(verdict.violations.len(), 2);
    }

    #[test]
    fn a_bought_entry_the_market_never_saw_is_refused() {
        let mut evidence = agreeing();
        evidence.purchases.clear();
        let verdict = check(&evidence);
        assert_eq!(verdict.violations.len(), 1, "{:?}", verdict.violations);
        assert!(verdict.violations[0].contains("the journal says 1"));
    }

    #[test]
    fn unended_entries_missed_drops_and_lost_reports_are_named() {
        let mut evidence = agreeing();
        evidence.journal.push(entry(2, JournalStatus::Sending));
        evidence.detected.clear();
        evidence.begun.clear();
        evidence.delivered.clear();
        let verdict = check(&evidence);
        let text = verdict.violations.join("\n");
        assert!(text.contains("entry 1/2 never ended: sending"), "{text}");
        assert!(text.contains("was never detected"), "{text}");
        assert!(
            text.contains("user 1 began 0 runs for 1 catalogs"),
            "{text}"
        );
        assert!(
            text.contains("1 reports of user 1 never reached chat 11"),
            "{text}"
        );
        // A failure on record accounts for the missing report.
        evidence.undelivered.insert(ChatId::new(11).expect("id"), 1);
        let verdict = check(&evidence);
        assert!(!verdict.violations.join("\n").contains("never reached"));
    }
}
