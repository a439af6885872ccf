//! Planner invariants checked with proptest over generated accounts, channels and catalogs.
//!
//! The generators keep the typical case meaningful: most gifts are valid, limited and accepted
//! by some channel, so most cases produce operations. A minority of entries break one
//! validation rule, carry locks around `now`, or have per-user caps, so every branch of the
//! planner is reached. Some channels exclude gift ids or kinds, and each case plans in one of
//! the two priority orders, so the invariants hold for both.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use giftbuyer_core::{
    Account, AccountId, Bounds, CatalogGift, ChannelId, ExcludeList, GiftAuction, GiftId, GiftKind,
    LimitedGift, MAX_OPERATIONS, Plan, PlanInput, Priority, Recipient, SkipReason, Stars, Target,
    TargetFilter, TargetRowId, TelegramUsername, UnixTime, plan,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// The planning time of every case; lock times are generated around it.
const NOW: i64 = 1_764_000_000;

/// Account ids are drawn from `1..=ACCOUNT_IDS`, and lock keys from the same range, so that
/// locks often name an account of the case.
const ACCOUNT_IDS: i64 = 12;

/// One generated planner input, kept as plain lists so it can be shuffled and inspected.
#[derive(Debug, Clone)]
struct Case {
    accounts: Vec<Account>,
    channels: Vec<Target>,
    gifts: Vec<CatalogGift>,
    priority: Priority,
}

impl Case {
    fn now() -> UnixTime {
        UnixTime::from_secs(NOW).expect("NOW is not negative")
    }

    fn plan(&self) -> Plan {
        self.plan_in(self.priority)
    }

    fn plan_in(&self, priority: Priority) -> Plan {
        let input = PlanInput::new(
            self.accounts.clone(),
            self.channels.clone(),
            self.gifts.clone(),
        )
        .expect("generated ids are unique")
        .with_priority(priority);
        plan(&input, Self::now())
    }

    /// The planner's gift priority as a sort key: by default smaller supply, then higher
    /// price, then lower id; in `priciest_first` higher price, then smaller supply, then id.
    fn gift_priority(&self, facts: &LimitedGift) -> (u64, u64, GiftId) {
        let cheapness = u64::MAX - facts.price.get();
        match self.priority {
            Priority::ScarcestFirst => (facts.supply, cheapness, facts.id),
            Priority::PriciestFirst => (cheapness, facts.supply, facts.id),
        }
    }

    /// Channels whose filter accepts the gift, ignoring exclude lists.
    fn accepting(&self, facts: &LimitedGift) -> impl Iterator<Item = &Target> {
        self.channels
            .iter()
            .filter(move |channel| channel.filter.accepts(facts.price.get(), facts.supply))
    }

    /// Account ids in the order the planner lets them buy: higher balance first, ties by id.
    fn account_order(&self) -> Vec<AccountId> {
        let mut accounts: Vec<&Account> = self.accounts.iter().collect();
        accounts.sort_by_key(|account| (Reverse(account.balance), account.id));
        accounts.iter().map(|account| account.id).collect()
    }

    /// The position of each account in [`Case::account_order`].
    fn account_rank(&self) -> HashMap<AccountId, usize> {
        self.account_order()
            .into_iter()
            .enumerate()
            .map(|(rank, id)| (id, rank))
            .collect()
    }

    fn account(&self, id: AccountId) -> &Account {
        self.accounts
            .iter()
            .find(|account| account.id == id)
            .expect("the plan names only input accounts")
    }

    fn gift(&self, id: GiftId) -> &CatalogGift {
        self.gifts
            .iter()
            .find(|gift| gift.id == id.get())
            .expect("the plan names only input gifts")
    }

    /// The lowest-ranked channel whose filter accepts the gift and whose exclude list names
    /// neither its id nor a kind of it, computed directly from the definition rather than
    /// through `TargetRanking`.
    fn best_channel(&self, gift: &CatalogGift, facts: &LimitedGift) -> Option<&Target> {
        self.accepting(facts)
            .filter(|channel| !excludes(channel, gift))
            .min_by_key(|channel| channel.rank_key())
    }

    /// A gift the planner should offer to accounts: valid and taken by some channel.
    fn candidate(&self, gift: &CatalogGift) -> Option<(LimitedGift, &Target)> {
        let facts = gift.check().ok()?;
        let channel = self.best_channel(gift, &facts)?;
        Some((facts, channel))
    }
}

/// Whether the channel's exclude list refuses the gift, read from the raw flags rather than
/// through `CatalogGift::kinds`.
fn excludes(channel: &Target, gift: &CatalogGift) -> bool {
    let kinds = channel.exclude.kinds();
    channel.exclude.gift_ids().any(|id| id.get() == gift.id)
        || (gift.birthday && kinds.contains(GiftKind::Birthday))
        || (gift.require_premium && kinds.contains(GiftKind::PremiumOnly))
}

/// Copies bought per (account, gift).
fn copies_per_pair(plan: &Plan) -> HashMap<(AccountId, GiftId), u64> {
    let mut copies = HashMap::new();
    for op in &plan.operations {
        *copies.entry((op.account_id, op.gift_id)).or_insert(0) += 1;
    }
    copies
}

/// Copies bought per gift, over all accounts.
fn copies_per_gift(plan: &Plan) -> HashMap<GiftId, u64> {
    let mut copies = HashMap::new();
    for op in &plan.operations {
        *copies.entry(op.gift_id).or_insert(0) += 1;
    }
    copies
}

/// Copies of `gift` bought by accounts that buy before the account of rank `rank`, which is
/// how much stock those accounts took before its turn.
fn bought_before(plan: &Plan, ranks: &HashMap<AccountId, usize>, gift: GiftId, rank: usize) -> u64 {
    plan.operations
        .iter()
        .filter(|op| op.gift_id == gift && ranks[&op.account_id] < rank)
        .count() as u64
}

/// Until when `gift` is locked for `account` at `now`, read from the raw lock map rather than
/// through `CatalogGift::locked_for`: a lock counts only while it ends strictly after `now`.
fn lock_for(gift: &CatalogGift, account: AccountId, now: UnixTime) -> Option<UnixTime> {
    gift.locks
        .get(&account)
        .copied()
        .filter(|&until| until > now)
}

/// Whether a skip reason is about the gift itself rather than about one account.
fn is_gift_level(reason: SkipReason) -> bool {
    matches!(
        reason,
        SkipReason::InvalidId
            | SkipReason::Auction
            | SkipReason::InvalidPrice
            | SkipReason::Unlimited
            | SkipReason::NoSupplyForLimited
            | SkipReason::InvalidSupply
            | SkipReason::SoldOut
            | SkipReason::NoChannelMatch
            | SkipReason::Excluded
    )
}

fn accounts() -> impl Strategy<Value = Vec<Account>> {
    // A few shared balances make ties, which the planner breaks by account id.
    let balance = prop_oneof![
        1 => prop::sample::select(vec![0_u64, 25, 1000, 4999]),
        4 => 0_u64..5000,
    ];
    prop::collection::btree_map(1..=ACCOUNT_IDS, (balance, any::<bool>()), 0..8)
        .prop_map(|accounts| {
            accounts
                .into_iter()
                .map(|(id, (balance, premium))| Account {
                    id: AccountId::new(id).expect("generated account ids are positive"),
                    balance: Stars::new(balance),
                    premium,
                })
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

/// Optional bounds with `min <= max`, drawing ends from `edges` often so that ranks tie and
/// gift values land exactly on a bound.
fn bounds(edges: &'static [u64], limit: u64) -> impl Strategy<Value = Bounds> {
    let end =
        move || prop::option::weighted(0.35, prop_oneof![prop::sample::select(edges), 0..=limit]);
    (end(), end()).prop_map(|ends| {
        let (min, max) = match ends {
            (Some(a), Some(b)) => (Some(a.min(b)), Some(a.max(b))),
            other => other,
        };
        Bounds::new(min, max, "generated").expect("ends are ordered")
    })
}

const PRICE_EDGES: &[u64] = &[0, 1, 25, 100, 500, 1000, 2000];
const SUPPLY_EDGES: &[u64] = &[0, 1, 100, 1000, 5000, 10_000];

/// Mostly empty exclude lists; the others name a few of the generated gift ids (`1..=40`)
/// and sometimes a kind.
fn exclude_list() -> impl Strategy<Value = ExcludeList> {
    let listed = (
        prop::collection::vec(1_i64..=40, 0..6),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(ids, birthday, premium)| {
            let kinds = [
                birthday.then_some(GiftKind::Birthday),
                premium.then_some(GiftKind::PremiumOnly),
            ];
            ExcludeList::new(ids, kinds.into_iter().flatten()).expect("small positive ids")
        });
    prop_oneof![3 => Just(ExcludeList::EMPTY), 2 => listed]
}

fn channels() -> impl Strategy<Value = Vec<Target>> {
    let filter = (bounds(PRICE_EDGES, 2500), bounds(SUPPLY_EDGES, 12_000))
        .prop_map(|(price, supply)| TargetFilter { price, supply });
    prop::collection::btree_map(1_i64..=20, (filter, exclude_list()), 0..8)
        .prop_flat_map(|rows| {
            let ids = prop::collection::btree_set(ChannelId::MIN..=ChannelId::MAX, rows.len())
                .prop_map(|ids| ids.into_iter().collect::<Vec<_>>())
                .prop_shuffle();
            // Some lists also hold the buying account itself and a person: every kind of
            // target follows the same rules.
            (Just(rows), ids, any::<bool>(), any::<bool>())
        })
        .prop_map(|(rows, ids, with_self, with_person)| {
            rows.into_iter()
                .zip(ids)
                .enumerate()
                .map(|(index, ((row_id, (filter, exclude)), channel_id))| {
                    let recipient = match index {
                        0 if with_self => Recipient::Buyer,
                        1 if with_person => Recipient::User(
                            TelegramUsername::new("gift_friend").expect("a valid username"),
                        ),
                        _ => Recipient::Channel(
                            ChannelId::new(channel_id).expect("generated in range"),
                        ),
                    };
                    Target {
                        exclude,
                        row_id: TargetRowId::new(row_id).expect("generated row ids are positive"),
                        recipient,
                        filter,
                        title: None,
                    }
                })
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

/// How a gift's `remaining` relates to its supply.
#[derive(Debug, Clone, Copy)]
enum Remaining {
    /// A handful of copies, so that stock runs out across accounts.
    Few,
    /// Anywhere in `1..=supply`.
    Any,
    Zero,
    Missing,
    AboveSupply,
    Negative,
}

impl Remaining {
    fn apply(self, supply: Option<i64>, seed: u64) -> Option<i64> {
        let seed = i64::try_from(seed % 1_000_000).expect("small");
        // Gifts without a usable supply still get some remaining count to check against.
        let supply = supply.filter(|&supply| supply > 0).unwrap_or(10);
        match self {
            Self::Few => Some(1 + seed % supply.min(5)),
            Self::Any => Some(1 + seed % supply),
            Self::Zero => Some(0),
            Self::Missing => None,
            Self::AboveSupply => Some(supply + 1 + seed % 3),
            Self::Negative => Some(-1 - seed % 3),
        }
    }
}

fn catalog_gift() -> impl Strategy<Value = CatalogGift> {
    let price = prop_oneof![
        1 => prop::sample::select(vec![0_i64, -1, -25]),
        4 => prop::sample::select(vec![1_i64, 25, 100, 500, 1000, 2000]),
        15 => 1_i64..2000,
    ];
    let supply = prop_oneof![
        1 => Just(None),
        1 => (-3_i64..=0).prop_map(Some),
        8 => prop::sample::select(vec![1_i64, 100, 1000, 5000, 10_000]).prop_map(Some),
        30 => (1_i64..10_000).prop_map(Some),
    ];
    let remaining = prop_oneof![
        12 => Just(Remaining::Few),
        8 => Just(Remaining::Any),
        1 => Just(Remaining::Zero),
        1 => Just(Remaining::Missing),
        1 => Just(Remaining::AboveSupply),
        1 => Just(Remaining::Negative),
    ];
    let per_user_remains = prop_oneof![
        6 => Just(None),
        3 => (1_i64..4).prop_map(Some),
        1 => Just(Some(0)),
        1 => (-3_i64..0).prop_map(Some),
    ];
    // Locks end a little before, exactly at, or a little after `now`, or far from it.
    let lock_offset = prop_oneof![3 => -2_i64..=2, 1 => -100_000_i64..100_000];
    let locks = prop::collection::btree_map(1..=ACCOUNT_IDS, lock_offset, 1..4).prop_map(|locks| {
        locks
            .into_iter()
            .map(|(account, offset)| {
                (
                    AccountId::new(account).expect("generated account ids are positive"),
                    UnixTime::from_secs(NOW + offset).expect("near NOW, so positive"),
                )
            })
            .collect::<BTreeMap<_, _>>()
    });
    (
        price,
        prop::bool::weighted(0.95),
        prop::bool::weighted(0.03),
        supply,
        (remaining, any::<u64>()),
        (prop::bool::weighted(0.3), prop::bool::weighted(0.15)),
        per_user_remains,
        prop_oneof![2 => Just(BTreeMap::new()), 1 => locks],
        prop::option::weighted(
            0.1,
            (1_i64..=50, -1_i64..=NOW + 86_400).prop_map(|(gifts_per_round, start_date)| {
                GiftAuction {
                    slug: "auction".into(),
                    gifts_per_round,
                    start_date,
                }
            }),
        ),
    )
        .prop_map(
            |(
                price,
                limited,
                sold_out,
                supply,
                (remaining, seed),
                (require_premium, birthday),
                per_user_remains,
                locks,
                auction,
            )| CatalogGift {
                id: 0,
                price,
                limited,
                sold_out,
                supply,
                remaining: remaining.apply(supply, seed),
                require_premium,
                birthday,
                per_user_remains,
                locks,
                auction,
                ..CatalogGift::default()
            },
        )
}

fn gifts() -> impl Strategy<Value = Vec<CatalogGift>> {
    let id = prop_oneof![14 => 1_i64..=40, 1 => -3_i64..=0];
    prop::collection::btree_map(id, catalog_gift(), 0..15)
        .prop_map(|gifts| {
            gifts
                .into_iter()
                .map(|(id, gift)| CatalogGift { id, ..gift })
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

fn cases() -> impl Strategy<Value = Case> {
    let priority = prop::sample::select(Priority::ALL.to_vec());
    (accounts(), channels(), gifts(), priority).prop_map(|(accounts, channels, gifts, priority)| {
        Case {
            accounts,
            channels,
            gifts,
            priority,
        }
    })
}

/// A case together with the same case, its three lists shuffled independently.
fn case_and_shuffle() -> impl Strategy<Value = (Case, Case)> {
    cases().prop_flat_map(|case| {
        let shuffled = (
            Just(case.accounts.clone()).prop_shuffle(),
            Just(case.channels.clone()).prop_shuffle(),
            Just(case.gifts.clone()).prop_shuffle(),
        )
            .prop_map(move |(accounts, channels, gifts)| Case {
                accounts,
                channels,
                gifts,
                priority: case.priority,
            });
        (Just(case), shuffled)
    })
}

proptest! {
    #![proptest_config(Config::with_cases(256))]

    /// Invariant 1: no account spends more than its balance.
    #[test]
    fn no_account_overspends(case in cases()) {
        let plan = case.plan();
        let mut spent: HashMap<AccountId, u64> = HashMap::new();
        for op in &plan.operations {
            *spent.entry(op.account_id).or_insert(0) += op.price.get();
        }
        for (account, spent) in spent {
            let balance = case.account(account).balance.get();
            prop_assert!(spent <= balance, "account {account} spent {spent} of {balance}");
        }
    }

    /// Invariant 2: no gift is bought more often than Telegram says it has copies left.
    #[test]
    fn no_gift_beyond_its_stock(case in cases()) {
        let plan = case.plan();
        for (gift, copies) in copies_per_gift(&plan) {
            let remaining = case.gift(gift).check().map_or(0, |facts| facts.remaining);
            prop_assert!(copies <= remaining, "gift {gift}: {copies} copies of {remaining}");
        }
    }

    /// Invariant 3: each account buys at most the per-user allowance of a gift, a negative
    /// allowance counting as none.
    #[test]
    fn per_user_caps_hold(case in cases()) {
        let plan = case.plan();
        for ((account, gift), copies) in copies_per_pair(&plan) {
            if let Some(cap) = case.gift(gift).per_user_remains {
                let cap = u64::try_from(cap).unwrap_or(0);
                prop_assert!(copies <= cap, "account {account}, gift {gift}: {copies} > {cap}");
            }
        }
    }

    /// Invariant 4: every operation goes to a channel that accepts the gift, and to the best
    /// ranked of those channels.
    #[test]
    fn operations_use_the_best_accepting_channel(case in cases()) {
        let plan = case.plan();
        for op in &plan.operations {
            let channel = case
                .channels
                .iter()
                .find(|channel| channel.recipient == op.recipient)
                .expect("the plan names only input channels");
            prop_assert!(
                channel.filter.accepts(op.price.get(), op.supply),
                "{op:?} does not fit {channel:?}"
            );
            let gift = case.gift(op.gift_id);
            let facts = gift.check().expect("bought gifts are valid");
            let best = case.best_channel(gift, &facts).expect("an accepting channel exists");
            prop_assert_eq!(op.recipient, best.recipient, "{:?}", op);
        }
    }

    /// Invariant 5: only valid, limited, in-stock gifts are bought, at their checked price and
    /// supply.
    #[test]
    fn only_valid_gifts_are_bought(case in cases()) {
        let plan = case.plan();
        for op in &plan.operations {
            let checked = case.gift(op.gift_id).check();
            prop_assert!(checked.is_ok(), "{op:?} buys a defective gift: {checked:?}");
            let facts = checked.expect("checked above");
            prop_assert_eq!((op.price, op.supply), (facts.price, facts.supply), "{:?}", op);
        }
    }

    /// Invariant 5b: a gift sold by auction is never bought, whatever its price, supply and
    /// the balances say, and is skipped as `auction` when its id is valid.
    #[test]
    fn auction_gifts_are_never_bought(case in cases()) {
        let plan = case.plan();
        for op in &plan.operations {
            prop_assert!(case.gift(op.gift_id).auction.is_none(), "{op:?} buys an auction gift");
        }
        for gift in case.gifts.iter().filter(|gift| gift.auction.is_some() && gift.id > 0) {
            prop_assert!(
                plan.skips.iter().any(|skip| skip.gift_id == gift.id
                    && skip.reason == SkipReason::Auction
                    && skip.account_id.is_none()),
                "auction gift {} is not skipped as auction", gift.id
            );
        }
    }

    /// Invariant 6: premium-only gifts are bought by premium accounts only.
    #[test]
    fn premium_gifts_only_on_premium_accounts(case in cases()) {
        let plan = case.plan();
        for op in &plan.operations {
            if case.gift(op.gift_id).require_premium {
                prop_assert!(case.account(op.account_id).premium, "{op:?}");
            }
        }
    }

    /// Invariant 7: an account never buys a gift locked for it after `now`. The pair is
    /// deferred, on the gift's best channel, exactly when the gift still had stock at that
    /// account's turn; and every deferred entry stands for such a lock.
    #[test]
    fn locked_gifts_are_deferred_not_bought(case in cases()) {
        let plan = case.plan();
        let now = Case::now();
        let ranks = case.account_rank();
        for op in &plan.operations {
            let lock = lock_for(case.gift(op.gift_id), op.account_id, now);
            prop_assert!(lock.is_none(), "{op:?} buys a gift locked until {lock:?}");
        }
        for entry in &plan.deferred {
            let gift = case.gift(entry.gift_id);
            prop_assert_eq!(lock_for(gift, entry.account_id, now), Some(entry.until));
            let (_, channel) = case.candidate(gift).expect("deferred gifts are candidates");
            prop_assert_eq!(entry.recipient, channel.recipient);
        }
        for gift in &case.gifts {
            let Some((facts, channel)) = case.candidate(gift) else { continue };
            for account in &case.accounts {
                let Some(until) = lock_for(gift, account.id, now) else { continue };
                let rank = ranks[&account.id];
                let had_stock = bought_before(&plan, &ranks, facts.id, rank) < facts.remaining;
                let entries: Vec<_> = plan
                    .deferred
                    .iter()
                    .filter(|entry| entry.gift_id == facts.id && entry.account_id == account.id)
                    .collect();
                if had_stock {
                    prop_assert_eq!(entries.len(), 1, "gift {} account {}", facts.id, account.id);
                    prop_assert_eq!(
                        (entries[0].until, entries[0].recipient),
                        (until, channel.recipient)
                    );
                } else {
                    prop_assert!(entries.is_empty(), "gift {} sold out before {}", facts.id, account.id);
                }
            }
        }
    }

    /// Invariant 8: the plan does not depend on the order of accounts, channels and gifts.
    #[test]
    fn plan_ignores_input_order((case, shuffled) in case_and_shuffle()) {
        prop_assert_eq!(case.plan(), shuffled.plan());
    }

    /// Invariant 9: every gift is accounted for.
    ///
    /// Every candidate (valid, channel-matched) gift starts with stock, so the first account
    /// to buy walks all of them; hence with at least one account each gift has an operation, a
    /// skip or a deferred entry. More precisely, each account that reaches a candidate with
    /// stock left gives exactly one outcome for it (copies bought, one skip naming it, or one
    /// deferred entry) and an account whose turn comes after the stock ran out gives none.
    /// Without accounts, candidates have no outcome at all and the rest have their skip.
    #[test]
    fn every_gift_is_accounted_for(case in cases()) {
        let plan = case.plan();
        let ranks = case.account_rank();
        let copies = copies_per_pair(&plan);
        for gift in &case.gifts {
            let skipped = plan.skips.iter().any(|skip| skip.gift_id == gift.id);
            let deferred = plan.deferred.iter().any(|entry| entry.gift_id.get() == gift.id);
            let bought = plan.operations.iter().any(|op| op.gift_id.get() == gift.id);
            if case.accounts.is_empty() {
                prop_assert!(!deferred && !bought);
                prop_assert_eq!(skipped, case.candidate(gift).is_none(), "{:?}", gift);
            } else {
                prop_assert!(skipped || deferred || bought, "{gift:?} vanished from the plan");
            }
            let Some((facts, _)) = case.candidate(gift) else { continue };
            for account in &case.accounts {
                let had_stock =
                    bought_before(&plan, &ranks, facts.id, ranks[&account.id]) < facts.remaining;
                let pair_skips = plan
                    .skips
                    .iter()
                    .filter(|skip| skip.gift_id == gift.id && skip.account_id == Some(account.id))
                    .count();
                let pair_deferred = plan
                    .deferred
                    .iter()
                    .filter(|entry| entry.gift_id == facts.id && entry.account_id == account.id)
                    .count();
                let pair_bought = usize::from(copies.contains_key(&(account.id, facts.id)));
                let outcomes = pair_skips + pair_deferred + pair_bought;
                prop_assert_eq!(
                    outcomes,
                    usize::from(had_stock),
                    "gift {} account {}: {} skips, {} deferred, bought {}",
                    facts.id, account.id, pair_skips, pair_deferred, pair_bought
                );
            }
        }
    }

    /// Invariant 10: operations are sorted by account rank (balance descending, ties by id),
    /// then by the case's gift priority, so the copies
    /// of one gift by one account are contiguous.
    #[test]
    fn operations_follow_account_and_gift_order(case in cases()) {
        let plan = case.plan();
        let ranks = case.account_rank();
        let keys: Vec<_> = plan
            .operations
            .iter()
            .map(|op| {
                let facts = case.gift(op.gift_id).check().expect("bought gifts are valid");
                (ranks[&op.account_id], case.gift_priority(&facts))
            })
            .collect();
        for (index, pair) in keys.windows(2).enumerate() {
            prop_assert!(
                pair[0] <= pair[1],
                "operations {} and {} are out of order: {:?} then {:?}",
                index, index + 1, plan.operations[index], plan.operations[index + 1]
            );
        }
    }

    /// Invariant 11: a gift that fails validation has exactly one skip, with the reason of its
    /// defect and no account, and nothing else; these skips lead the list in gift id order. A
    /// valid gift has an account-less skip only when no channel's filter accepts it
    /// (`no_channel_match`) or every channel that accepts it excludes it (`excluded`).
    /// `account_id` is `None` exactly for gift-level reasons.
    #[test]
    fn skips_match_validation(case in cases()) {
        let plan = case.plan();
        for skip in &plan.skips {
            prop_assert_eq!(skip.account_id.is_none(), is_gift_level(skip.reason), "{:?}", skip);
        }
        let mut defective: Vec<&CatalogGift> =
            case.gifts.iter().filter(|gift| gift.check().is_err()).collect();
        defective.sort_by_key(|gift| gift.id);
        let leading: Vec<(i64, SkipReason)> = plan
            .skips
            .iter()
            .take(defective.len())
            .map(|skip| (skip.gift_id, skip.reason))
            .collect();
        let expected: Vec<(i64, SkipReason)> = defective
            .iter()
            .map(|gift| (gift.id, gift.check().map(|_| ()).expect_err("defective").into()))
            .collect();
        prop_assert_eq!(leading, expected);
        for gift in &case.gifts {
            let skips: Vec<_> = plan.skips.iter().filter(|skip| skip.gift_id == gift.id).collect();
            match gift.check() {
                Err(_) => prop_assert_eq!(skips.len(), 1, "{:?}", gift),
                Ok(facts) => {
                    let gift_level: Vec<_> =
                        skips.iter().filter(|skip| skip.account_id.is_none()).collect();
                    if case.best_channel(gift, &facts).is_some() {
                        prop_assert!(gift_level.is_empty(), "{gift:?}: {gift_level:?}");
                    } else {
                        let expected = if case.accepting(&facts).next().is_none() {
                            SkipReason::NoChannelMatch
                        } else {
                            SkipReason::Excluded
                        };
                        prop_assert_eq!(gift_level.len(), 1, "{:?}", gift);
                        prop_assert_eq!(gift_level[0].reason, expected);
                        prop_assert_eq!(skips.len(), 1, "{:?}", gift);
                    }
                }
            }
        }
    }

    /// Invariant 12: what each account does with each gift it reaches follows the rules of
    /// step 4. Walking accounts in rank order and gifts in priority order, with the stock left
    /// by earlier accounts and the balance left by the account's own earlier purchases, a
    /// gift that is not locked is skipped as premium-only, skipped for a per-user cap of 0,
    /// bought exactly `min(stock, balance / price, cap)` times, or skipped for lack of stars
    /// when that is zero.
    #[test]
    fn account_outcomes_follow_the_rules(case in cases()) {
        let plan = case.plan();
        let now = Case::now();
        let ranks = case.account_rank();
        let copies = copies_per_pair(&plan);
        prop_assert!(plan.operations.len() < MAX_OPERATIONS);
        for account in &case.accounts {
            let rank = ranks[&account.id];
            for gift in &case.gifts {
                let Some((facts, _)) = case.candidate(gift) else { continue };
                let stock = facts.remaining - bought_before(&plan, &ranks, facts.id, rank);
                if stock == 0 || lock_for(gift, account.id, now).is_some() {
                    continue;
                }
                let spent_before: u64 = plan
                    .operations
                    .iter()
                    .filter(|op| op.account_id == account.id)
                    .filter(|op| {
                        let other = case.gift(op.gift_id).check().expect("bought gifts are valid");
                        case.gift_priority(&other) < case.gift_priority(&facts)
                    })
                    .map(|op| op.price.get())
                    .sum();
                let balance = account.balance.get() - spent_before;
                let cap = facts.per_user_cap.unwrap_or(u64::MAX);
                let expected = if facts.require_premium && !account.premium {
                    Err(SkipReason::PremiumRequired)
                } else if cap == 0 {
                    Err(SkipReason::PerUserCapReached)
                } else {
                    match stock.min(balance / facts.price.get()).min(cap) {
                        0 => Err(SkipReason::NotEnoughStars),
                        bought => Ok(bought),
                    }
                };
                let reasons: Vec<SkipReason> = plan
                    .skips
                    .iter()
                    .filter(|skip| skip.gift_id == gift.id && skip.account_id == Some(account.id))
                    .map(|skip| skip.reason)
                    .collect();
                let actual = match (copies.get(&(account.id, facts.id)), reasons.as_slice()) {
                    (Some(&bought), []) => Ok(bought),
                    (None, [reason]) => Err(*reason),
                    other => {
                        return Err(TestCaseError::fail(format!(
                            "gift {} account {}: ambiguous outcome {other:?}",
                            facts.id, account.id
                        )));
                    }
                };
                prop_assert_eq!(actual, expected, "gift {} account {}", facts.id, account.id);
            }
        }
    }

    /// Invariant 13: no operation lands on a channel whose exclude list names its gift or one
    /// of the gift's kinds, and every gift the exclude lists keep from all accepting channels
    /// is skipped as `excluded` and never bought.
    #[test]
    fn no_operation_lands_on_an_excluding_channel(case in cases()) {
        let plan = case.plan();
        for op in &plan.operations {
            let channel = case
                .channels
                .iter()
                .find(|channel| channel.recipient == op.recipient)
                .expect("the plan names only input channels");
            let gift = case.gift(op.gift_id);
            prop_assert!(!excludes(channel, gift), "{op:?} lands on {channel:?} for {gift:?}");
        }
        for skip in plan.skips.iter().filter(|skip| skip.reason == SkipReason::Excluded) {
            prop_assert!(!plan.operations.iter().any(|op| op.gift_id.get() == skip.gift_id));
        }
    }

    /// Invariant 14: the priority order changes which gifts get the stars first, never the
    /// limits. Planned in either order, no account overspends, no per-user cap or stock is
    /// exceeded, and the same gifts are refused for themselves (defects, no channel,
    /// excluded), with the same reasons.
    #[test]
    fn the_priority_order_keeps_every_limit(case in cases()) {
        let gift_level = |plan: &Plan| -> Vec<(i64, SkipReason)> {
            let mut skips: Vec<_> = plan
                .skips
                .iter()
                .filter(|skip| skip.account_id.is_none())
                .map(|skip| (skip.gift_id, skip.reason))
                .collect();
            skips.sort_unstable();
            skips
        };
        let plans = Priority::ALL.map(|priority| case.plan_in(priority));
        for plan in &plans {
            let mut spent: HashMap<AccountId, u64> = HashMap::new();
            for op in &plan.operations {
                *spent.entry(op.account_id).or_insert(0) += op.price.get();
            }
            for (account, spent) in spent {
                prop_assert!(spent <= case.account(account).balance.get());
            }
            for ((_, gift), copies) in copies_per_pair(plan) {
                if let Some(cap) = case.gift(gift).per_user_remains {
                    prop_assert!(copies <= u64::try_from(cap).unwrap_or(0));
                }
            }
            for (gift, copies) in copies_per_gift(plan) {
                prop_assert!(copies <= case.gift(gift).check().map_or(0, |facts| facts.remaining));
            }
        }
        prop_assert_eq!(gift_level(&plans[0]), gift_level(&plans[1]));
    }
}
