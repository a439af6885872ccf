//! Data-driven planner cases, one per rule of `giftbuyer_core::plan`, checked against snapshots.
//!
//! Run with `UPDATE_EXPECT=1` to rewrite a snapshot after an intended change, then review the
//! diff: the snapshots are the planner's specification by example.

use expect_test::{Expect, expect};
use giftbuyer_core::{
    CatalogGift, ChannelId, GiftKind, Plan, PlanInput, PlanInputError, Priority, Recipient, plan,
};

use crate::support::*;

fn check(plan: Plan, expected: Expect) {
    expected.assert_eq(&plan.to_string());
}

#[test]
fn rule_1_validation_skips_each_defect_in_order() {
    let unlimited = CatalogGift {
        limited: false,
        ..gift(3, 10, 100, 100)
    };
    let no_supply = CatalogGift {
        supply: None,
        ..gift(4, 10, 100, 100)
    };
    let unknown_remaining = CatalogGift {
        remaining: None,
        ..gift(10, 10, 100, 5)
    };
    let flagged_sold_out = CatalogGift {
        sold_out: true,
        ..gift(11, 10, 100, 5)
    };
    let gifts = vec![
        gift(0, 10, 100, 100),
        gift(-7, 0, 100, 100),
        gift(2, 0, 100, 100),
        gift(1, -10, 100, 100),
        unlimited,
        no_supply,
        gift(5, 10, 0, 0),
        gift(6, 10, -100, 0),
        gift(7, 10, 100, 101),
        gift(8, 10, 100, -1),
        gift(9, 10, 100, 0),
        unknown_remaining,
        flagged_sold_out,
        gift(12, 10, 100, 1),
    ];
    check(
        plan_of(vec![acc(1, 1000, true)], vec![ch(1, 1, ANY, ANY)], gifts),
        expect![[r#"
            operations: 1 (total 10⭐)
              acc=1 → ch=-1000000000001 gift=12 10⭐ supply=100 ×1
            skips: 13
              gift=-7 invalid_id
              gift=0 invalid_id
              gift=1 invalid_price
              gift=2 invalid_price
              gift=3 unlimited
              gift=4 no_supply_for_limited
              gift=5 invalid_supply
              gift=6 invalid_supply
              gift=7 invalid_supply
              gift=8 invalid_supply
              gift=9 sold_out
              gift=10 sold_out
              gift=11 sold_out
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_1_an_auction_gift_is_never_bought_even_when_everything_else_allows_it() {
    // Gift 2 is cheap, in stock and accepted everywhere, but it is sold by auction: it takes
    // bids, so buying it as a purchase would fail on every account. Gift 3 is an auction entry
    // with a broken price, which still reads as an auction.
    let gifts = vec![
        gift(1, 10, 100, 100),
        auctioned(gift(2, 5, 50, 50), 10, NOW + 600),
        auctioned(gift(3, 0, 50, 50), 10, 0),
    ];
    check(
        plan_of(vec![acc(1, 1000, true)], vec![ch(1, 1, ANY, ANY)], gifts),
        expect![[r#"
            operations: 100 (total 1000⭐)
              acc=1 → ch=-1000000000001 gift=1 10⭐ supply=100 ×100
            skips: 2
              gift=2 auction
              gift=3 auction
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_2_priority_is_smaller_supply_then_higher_price_then_lower_id() {
    let gifts = vec![
        gift(40, 10, 5000, 1),
        gift(30, 10, 1000, 1),
        gift(20, 50, 1000, 1),
        gift(10, 10, 1000, 1),
    ];
    check(
        plan_of(vec![acc(1, 1000, true)], vec![ch(1, 1, ANY, ANY)], gifts),
        expect![[r#"
            operations: 4 (total 80⭐)
              acc=1 → ch=-1000000000001 gift=20 50⭐ supply=1000 ×1
              acc=1 → ch=-1000000000001 gift=10 10⭐ supply=1000 ×1
              acc=1 → ch=-1000000000001 gift=30 10⭐ supply=1000 ×1
              acc=1 → ch=-1000000000001 gift=40 10⭐ supply=5000 ×1
            skips: 0
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_3_best_channel_is_the_narrowest_supply_window() {
    // Windows: open = 10^12, 100..=1_000_000 and ..=5000; the gift fits all three.
    let channels = vec![
        ch(1, 111, ANY, ANY),
        ch(2, 222, ANY, (Some(100), Some(1_000_000))),
        ch(3, 333, ANY, (None, Some(5000))),
    ];
    check(
        plan_of(
            vec![acc(1, 10, true)],
            channels,
            vec![gift(9, 10, 1000, 1000)],
        ),
        expect![[r#"
            operations: 1 (total 10⭐)
              acc=1 → ch=-1000000000333 gift=9 10⭐ supply=1000 ×1
            skips: 0
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_3_window_ties_go_to_the_higher_price_max_then_the_lower_row() {
    let channels = vec![
        // An open price maximum counts as 0, so it loses to any bounded one.
        ch(1, 111, ANY, (None, Some(5000))),
        ch(4, 444, (None, Some(100)), (None, Some(5000))),
        ch(3, 333, (Some(5), Some(100)), (None, Some(5000))),
        ch(2, 222, (None, Some(50)), (None, Some(5000))),
    ];
    check(
        plan_of(
            vec![acc(1, 10, true)],
            channels,
            vec![gift(9, 10, 1000, 1000)],
        ),
        expect![[r#"
            operations: 1 (total 10⭐)
              acc=1 → ch=-1000000000333 gift=9 10⭐ supply=1000 ×1
            skips: 0
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_3_targets_of_every_kind_rank_by_the_same_rules() {
    // Rare gifts go to a person, mid-supply ones to a channel, and everything else to each
    // buying account's own profile; the kind of target plays no part in the ranking, and the
    // person never takes birthday gifts.
    let targets = vec![
        me(1, ANY, ANY),
        ch(2, 222, ANY, (None, Some(50_000))),
        excluding(
            person(3, "@Gift_Friend", ANY, (None, Some(1000))),
            &[],
            &[GiftKind::Birthday],
        ),
    ];
    let gifts = vec![
        gift(1, 10, 500, 2),
        birthday(gift(2, 10, 800, 5)),
        gift(3, 10, 20_000, 1),
        gift(4, 10, 1_000_000, 1),
    ];
    check(
        plan_of(vec![acc(1, 1000, true), acc(2, 30, false)], targets, gifts),
        expect![[r#"
            operations: 9 (total 90⭐)
              acc=1 → @gift_friend gift=1 10⭐ supply=500 ×2
              acc=1 → ch=-1000000000222 gift=2 10⭐ supply=800 ×5
              acc=1 → ch=-1000000000222 gift=3 10⭐ supply=20000 ×1
              acc=1 → self gift=4 10⭐ supply=1000000 ×1
            skips: 0
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_3_a_gift_no_channel_accepts_is_skipped() {
    let channels = vec![
        ch(1, 111, (Some(100), None), ANY),
        ch(2, 222, ANY, (None, Some(999))),
    ];
    let gifts = vec![gift(9, 10, 1000, 1000), gift(8, 200, 1000, 1000)];
    check(
        plan_of(vec![acc(1, 1000, true)], channels, gifts),
        expect![[r#"
            operations: 5 (total 1000⭐)
              acc=1 → ch=-1000000000111 gift=8 200⭐ supply=1000 ×5
            skips: 1
              gift=9 no_channel_match
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_4_accounts_buy_in_descending_balance_with_ties_to_the_lower_id() {
    // Three copies left: the richest account takes two (its balance allows 2), then the
    // tie between accounts 3 and 2 goes to account 2.
    let accounts = vec![acc(3, 10, true), acc(9, 20, true), acc(2, 10, true)];
    check(
        plan_of(
            accounts,
            vec![ch(1, 111, ANY, ANY)],
            vec![gift(5, 10, 100, 3)],
        ),
        expect![[r#"
            operations: 3 (total 30⭐)
              acc=9 → ch=-1000000000111 gift=5 10⭐ supply=100 ×2
              acc=2 → ch=-1000000000111 gift=5 10⭐ supply=100 ×1
            skips: 0
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_4_a_locked_gift_is_deferred_until_its_lock_ends() {
    let gifts = vec![
        locked(gift(5, 10, 100, 100), 1, NOW + 3600),
        // A lock ending exactly now no longer holds.
        locked(gift(6, 10, 100, 100), 1, NOW),
        locked(gift(7, 10, 100, 100), 2, NOW + 60),
    ];
    check(
        plan_of(vec![acc(1, 20, true)], vec![ch(1, 111, ANY, ANY)], gifts),
        expect![[r#"
            operations: 2 (total 20⭐)
              acc=1 → ch=-1000000000111 gift=6 10⭐ supply=100 ×2
            skips: 1
              gift=7 not_enough_stars acc=1
            deferred: 1
              gift=5 acc=1 ch=-1000000000111 until 2025-11-24 17:00:00 UTC
        "#]],
    );
}

#[test]
fn rule_4_premium_only_gifts_skip_accounts_without_premium() {
    let accounts = vec![acc(1, 100, false), acc(2, 10, true)];
    check(
        plan_of(
            accounts,
            vec![ch(1, 111, ANY, ANY)],
            vec![premium_only(gift(5, 10, 100, 100))],
        ),
        expect![[r#"
            operations: 1 (total 10⭐)
              acc=2 → ch=-1000000000111 gift=5 10⭐ supply=100 ×1
            skips: 1
              gift=5 premium_required acc=1
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_4_per_user_caps_limit_each_account() {
    let gifts = vec![
        capped(gift(5, 10, 100, 100), 2),
        capped(gift(6, 10, 200, 200), 0),
        capped(gift(7, 10, 300, 300), -1),
    ];
    let accounts = vec![acc(1, 100, true), acc(2, 50, true)];
    check(
        plan_of(accounts, vec![ch(1, 111, ANY, ANY)], gifts),
        expect![[r#"
            operations: 4 (total 40⭐)
              acc=1 → ch=-1000000000111 gift=5 10⭐ supply=100 ×2
              acc=2 → ch=-1000000000111 gift=5 10⭐ supply=100 ×2
            skips: 4
              gift=6 per_user_cap_reached acc=1
              gift=7 per_user_cap_reached acc=1
              gift=6 per_user_cap_reached acc=2
              gift=7 per_user_cap_reached acc=2
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_4_accounts_buy_what_they_can_afford_then_skip() {
    // 35 stars buy one 25-star gift, then nothing is left for the second gift.
    let gifts = vec![gift(5, 25, 100, 100), gift(6, 20, 200, 200)];
    let accounts = vec![acc(1, 35, true), acc(2, 0, true)];
    check(
        plan_of(accounts, vec![ch(1, 111, ANY, ANY)], gifts),
        expect![[r#"
            operations: 1 (total 25⭐)
              acc=1 → ch=-1000000000111 gift=5 25⭐ supply=100 ×1
            skips: 3
              gift=6 not_enough_stars acc=1
              gift=5 not_enough_stars acc=2
              gift=6 not_enough_stars acc=2
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_4_stock_is_shared_across_accounts() {
    // Two copies left: the first account takes both, the second finds nothing and the gift
    // does not appear for it at all.
    let gifts = vec![gift(5, 10, 100, 2), gift(6, 10, 200, 50)];
    let accounts = vec![acc(1, 100, true), acc(2, 30, true)];
    check(
        plan_of(accounts, vec![ch(1, 111, ANY, ANY)], gifts),
        expect![[r#"
            operations: 13 (total 130⭐)
              acc=1 → ch=-1000000000111 gift=5 10⭐ supply=100 ×2
              acc=1 → ch=-1000000000111 gift=6 10⭐ supply=200 ×8
              acc=2 → ch=-1000000000111 gift=6 10⭐ supply=200 ×3
            skips: 0
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_5_operations_follow_planning_order_across_accounts_gifts_and_channels() {
    let channels = vec![
        ch(1, 111, ANY, (None, Some(1000))),
        ch(2, 222, ANY, (Some(1001), None)),
    ];
    let gifts = vec![
        gift(5, 10, 100_000, 100),
        gift(6, 20, 1000, 1),
        gift(7, 30, 500, 1),
    ];
    let accounts = vec![acc(1, 65, true), acc(2, 70, false)];
    check(
        plan_of(accounts, channels, gifts),
        expect![[r#"
        operations: 10 (total 130⭐)
          acc=2 → ch=-1000000000111 gift=7 30⭐ supply=500 ×1
          acc=2 → ch=-1000000000111 gift=6 20⭐ supply=1000 ×1
          acc=2 → ch=-1000000000222 gift=5 10⭐ supply=100000 ×2
          acc=1 → ch=-1000000000222 gift=5 10⭐ supply=100000 ×6
        skips: 0
        deferred: 0
    "#]],
    );
}

#[test]
fn an_empty_input_plans_nothing() {
    check(
        plan_of(vec![], vec![], vec![]),
        expect![[r#"
        operations: 0 (total 0⭐)
        skips: 0
        deferred: 0
    "#]],
    );
}

#[test]
fn duplicate_ids_are_refused_with_their_position() {
    let cases = [
        (
            PlanInput::new(vec![acc(1, 0, true), acc(1, 5, false)], vec![], vec![]),
            PlanInputError::DuplicateAccount { index: 1, id: 1 },
        ),
        (
            PlanInput::new(vec![], vec![ch(1, 5, ANY, ANY), ch(1, 6, ANY, ANY)], vec![]),
            PlanInputError::DuplicateTargetRow { index: 1, id: 1 },
        ),
        (
            PlanInput::new(vec![], vec![ch(1, 5, ANY, ANY), ch(2, 5, ANY, ANY)], vec![]),
            PlanInputError::DuplicateRecipient {
                index: 1,
                recipient: Recipient::Channel(ChannelId::new(-1_000_000_000_005).expect("valid")),
            },
        ),
        (
            PlanInput::new(
                vec![],
                vec![me(1, ANY, ANY), me(2, (Some(5), None), ANY)],
                vec![],
            ),
            PlanInputError::DuplicateRecipient {
                index: 1,
                recipient: Recipient::Buyer,
            },
        ),
        (
            PlanInput::new(vec![], vec![], vec![gift(0, 1, 1, 1), gift(0, 2, 2, 2)]),
            PlanInputError::DuplicateGift { index: 1, id: 0 },
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(result.expect_err("duplicate"), expected);
    }
}

#[test]
fn the_plan_is_capped_at_max_operations() {
    let accounts = vec![acc(1, u64::MAX, true), acc(2, u64::MAX, true)];
    let gifts = vec![gift(5, 1, i64::MAX, i64::MAX), gift(6, 1, 10, 10)];
    let input = input(accounts, vec![ch(1, 111, ANY, ANY)], gifts);
    let plan = plan(&input, at(NOW));
    assert_eq!(plan.operations.len(), giftbuyer_core::MAX_OPERATIONS);
    let skipped: Vec<String> = plan
        .skips
        .iter()
        .map(|skip| {
            format!(
                "{} {} {:?}",
                skip.gift_id,
                skip.reason,
                skip.account_id.map(|a| a.get())
            )
        })
        .collect();
    // Gift 6 has the smaller supply, so account 1 takes all ten copies of it first and fills
    // the rest of the plan with gift 5; account 2 finds the plan full.
    assert_eq!(skipped, ["5 operation_limit Some(2)"]);
    assert!(plan.operations[..10].iter().all(|op| op.gift_id.get() == 6));
    assert!(plan.operations[10..].iter().all(|op| op.gift_id.get() == 5));
}

#[test]
fn rule_3_a_gift_excluded_by_id_on_the_best_channel_goes_to_the_next() {
    // Channel 1 has the narrowest window but never takes gift 7; gift 8 still goes there.
    let channels = vec![
        excluding(ch(1, 111, ANY, (None, Some(5000))), &[7], &[]),
        ch(2, 222, ANY, ANY),
    ];
    check(
        plan_of(
            vec![acc(1, 100, true)],
            channels,
            vec![gift(7, 10, 1000, 1), gift(8, 10, 1000, 1)],
        ),
        expect![[r#"
            operations: 2 (total 20⭐)
              acc=1 → ch=-1000000000222 gift=7 10⭐ supply=1000 ×1
              acc=1 → ch=-1000000000111 gift=8 10⭐ supply=1000 ×1
            skips: 0
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_3_a_gift_excluded_by_kind_goes_to_the_next_channel() {
    // Channel 1 never takes birthday gifts (gift 7); channel 2 never takes Premium-only ones.
    let channels = vec![
        excluding(
            ch(1, 111, ANY, (None, Some(5000))),
            &[],
            &[GiftKind::Birthday],
        ),
        excluding(ch(2, 222, ANY, ANY), &[], &[GiftKind::PremiumOnly]),
    ];
    let gifts = vec![
        birthday(gift(7, 10, 1000, 1)),
        premium_only(gift(8, 10, 1000, 1)),
        birthday(premium_only(gift(9, 10, 1000, 1))),
    ];
    check(
        plan_of(vec![acc(1, 100, true)], channels, gifts),
        expect![[r#"
            operations: 2 (total 20⭐)
              acc=1 → ch=-1000000000222 gift=7 10⭐ supply=1000 ×1
              acc=1 → ch=-1000000000111 gift=8 10⭐ supply=1000 ×1
            skips: 1
              gift=9 excluded
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_3_a_gift_every_accepting_channel_excludes_is_skipped_as_excluded() {
    // Gift 7 fits both channels and both exclude it; gift 8 fits no channel at all, which is
    // still `no_channel_match`, whatever the exclude lists say. Skips come in priority order,
    // so the pricier gift 8 is first.
    let channels = vec![
        excluding(ch(1, 111, (None, Some(100)), ANY), &[7, 8], &[]),
        excluding(
            ch(2, 222, (None, Some(100)), ANY),
            &[],
            &[GiftKind::Birthday],
        ),
        // Channel 3 would take gift 7, but its filter refuses it.
        ch(3, 333, (Some(500), None), ANY),
    ];
    let gifts = vec![birthday(gift(7, 10, 1000, 1)), gift(8, 200, 1000, 1)];
    check(
        plan_of(vec![acc(1, 1000, true)], channels, gifts),
        expect![[r#"
            operations: 0 (total 0⭐)
            skips: 2
              gift=8 no_channel_match
              gift=7 excluded
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_2_the_priority_order_decides_what_a_limited_balance_buys() {
    // 100 stars: scarcest first buys the rare cheap gift and then what is left; priciest first
    // spends the balance on the expensive gift of larger supply.
    let gifts = vec![gift(1, 30, 100, 5), gift(2, 80, 5000, 5)];
    let accounts = || vec![acc(1, 100, true)];
    let channels = || vec![ch(1, 111, ANY, ANY)];
    check(
        plan_with(
            Priority::ScarcestFirst,
            accounts(),
            channels(),
            gifts.clone(),
        ),
        expect![[r#"
            operations: 3 (total 90⭐)
              acc=1 → ch=-1000000000111 gift=1 30⭐ supply=100 ×3
            skips: 1
              gift=2 not_enough_stars acc=1
            deferred: 0
        "#]],
    );
    check(
        plan_with(Priority::PriciestFirst, accounts(), channels(), gifts),
        expect![[r#"
            operations: 1 (total 80⭐)
              acc=1 → ch=-1000000000111 gift=2 80⭐ supply=5000 ×1
            skips: 1
              gift=1 not_enough_stars acc=1
            deferred: 0
        "#]],
    );
}

#[test]
fn rule_2_priciest_first_breaks_price_ties_by_smaller_supply_then_lower_id() {
    let gifts = vec![
        gift(40, 10, 100, 1),
        gift(30, 50, 5000, 1),
        gift(20, 50, 1000, 1),
        gift(10, 50, 1000, 1),
    ];
    check(
        plan_with(
            Priority::PriciestFirst,
            vec![acc(1, 1000, true)],
            vec![ch(1, 1, ANY, ANY)],
            gifts,
        ),
        expect![[r#"
            operations: 4 (total 160⭐)
              acc=1 → ch=-1000000000001 gift=10 50⭐ supply=1000 ×1
              acc=1 → ch=-1000000000001 gift=20 50⭐ supply=1000 ×1
              acc=1 → ch=-1000000000001 gift=30 50⭐ supply=5000 ×1
              acc=1 → ch=-1000000000001 gift=40 10⭐ supply=100 ×1
            skips: 0
            deferred: 0
        "#]],
    );
}
