//! Data-driven report cases: dry runs and executed runs rendered in English and Russian.

use expect_test::{Expect, expect};
use giftbuyer_core::report::{
    Execution, Lang, Outcome, Report, Run, TELEGRAM_MESSAGE_LIMIT, split_message,
};
use giftbuyer_core::{CatalogGift, ChannelId, Operation, Recipient, plan};

use crate::support::*;

/// The scenario of the README: two accounts, two channels, five new gifts.
fn scenario() -> giftbuyer_core::PlanInput {
    let gifts = vec![
        CatalogGift {
            title: Some("Heart".into()),
            ..locked(gift(123456, 25, 1000, 1000), 4242, NOW + 3600)
        },
        capped(premium_only(gift(223344, 50, 500, 3)), 1),
        gift(334455, 15, 100_000, 99_000),
        CatalogGift {
            limited: false,
            ..gift(445566, 15, 0, 0)
        },
        gift(556677, 1000, 200, 0),
    ];
    let channels = vec![
        ch(1, 1234567890, (Some(0), Some(100)), (None, Some(5000))),
        ch(2, 9876543210, ANY, ANY),
    ];
    input(
        vec![acc(1337, 100, true), acc(4242, 60, false)],
        channels,
        gifts,
    )
}

fn build(
    input: &giftbuyer_core::PlanInput,
    plan: &giftbuyer_core::Plan,
    executions: Option<&[Execution]>,
) -> Report {
    Report::build(Run {
        new_gifts: input.gifts(),
        accounts: input.accounts(),
        plan,
        executions,
    })
}

fn check(report: &Report, lang: Lang, expected: Expect) {
    expected.assert_eq(&report.render(lang));
}

fn dry_run_report() -> Report {
    let input = scenario();
    let plan = plan(&input, at(NOW));
    build(&input, &plan, None)
}

/// The same run as executed: the premium gift sold out under us, one copy of the heart went
/// through, the second timed out, and the mass-drop account's channel refused the first copy
/// so the engine moved the rest to the fallback channel.
fn executed_report() -> Report {
    let input = scenario();
    let plan = plan(&input, at(NOW));
    let outcome_of = |index: usize, op: &Operation| match (op.gift_id.get(), index) {
        (223344, _) => Outcome::Failed("STARGIFT_USAGE_LIMITED".into()),
        (123456, 1) => Outcome::Bought,
        (123456, _) => Outcome::Unknown,
        (334455, 3) => Outcome::Failed("CHAT_WRITE_FORBIDDEN".into()),
        _ => Outcome::Bought,
    };
    let fallback = ChannelId::from_mtproto(1234567890).expect("valid");
    let executions: Vec<Execution> = plan
        .operations
        .iter()
        .enumerate()
        .map(|(index, op)| {
            let mut operation = *op;
            if op.gift_id.get() == 334455 && index > 3 {
                operation.recipient = Recipient::Channel(fallback);
            }
            Execution {
                operation,
                outcome: outcome_of(index, op),
            }
        })
        .collect();
    build(&input, &plan, Some(&executions))
}

#[test]
fn dry_run_in_english() {
    check(
        &dry_run_report(),
        Lang::En,
        expect![[r#"
            🧾 Autobuy plan (dry run)
            📊 New: 5 | Planned: 3 | Skipped: 2
            📦 By gift:
            • 🗓️ 123456 «Heart» | 25⭐ | supply=1000 → ch=-1001234567890 acc=1337 ×2; locked until 2025-11-24 17:00:00 UTC (acc=4242)
            • 🗓️ 223344 | 50⭐ | supply=500 → ch=-1001234567890 acc=1337 ×1; premium required (acc=4242)
            • 🗓️ 334455 | 15⭐ | supply=100000 → ch=-1009876543210 acc=4242 ×4; not enough stars (acc=1337)
            • ⏭️ 445566 | 15⭐ | unlimited → non-limited (skipped)
            • ⏭️ 556677 | 1000⭐ | supply=200 → sold out
            🛰️ By target:
            • -1009876543210: plan=4
            • -1001234567890: plan=3
            👤 By account:
            • acc=1337: plan=3 💰cost=100 start=100 end=0
            • acc=4242: plan=4 💰cost=60 start=60 end=0
        "#]],
    );
}

#[test]
fn dry_run_in_russian() {
    check(
        &dry_run_report(),
        Lang::Ru,
        expect![[r#"
            🧾 План автопокупки (пробный запуск)
            📊 Новых: 5 | Запланировано: 3 | Пропущено: 2
            📦 По подаркам:
            • 🗓️ 123456 «Heart» | 25⭐ | supply=1000 → ch=-1001234567890 acc=1337 ×2; заблокирован до 2025-11-24 17:00:00 UTC (acc=4242)
            • 🗓️ 223344 | 50⭐ | supply=500 → ch=-1001234567890 acc=1337 ×1; нужен Premium (acc=4242)
            • 🗓️ 334455 | 15⭐ | supply=100000 → ch=-1009876543210 acc=4242 ×4; недостаточно звёзд (acc=1337)
            • ⏭️ 445566 | 15⭐ | без лимита → не лимитированный (пропущен)
            • ⏭️ 556677 | 1000⭐ | supply=200 → распродан
            🛰️ По получателям:
            • -1009876543210: plan=4
            • -1001234567890: plan=3
            👤 По аккаунтам:
            • acc=1337: plan=3 💰cost=100 start=100 end=0
            • acc=4242: plan=4 💰cost=60 start=60 end=0
        "#]],
    );
}

#[test]
fn executed_run_in_english() {
    check(
        &executed_report(),
        Lang::En,
        expect![[r#"
            🧾 Autobuy report
            📊 New: 5 | Bought: 2 | Skipped: 3
            📦 By gift:
            • ✅ 123456 «Heart» | 25⭐ | supply=1000 → ch=-1001234567890 acc=1337 ×1; outcome unknown, not resent (acc=1337); locked until 2025-11-24 17:00:00 UTC (acc=4242)
            • ❌ 223344 | 50⭐ | supply=500 → reason: STARGIFT_USAGE_LIMITED (acc=1337); premium required (acc=4242)
            • ✅ 334455 | 15⭐ | supply=100000 → ch=-1001234567890 acc=4242 ×3; CHAT_WRITE_FORBIDDEN (acc=4242); not enough stars (acc=1337)
            • ⏭️ 445566 | 15⭐ | unlimited → non-limited (skipped)
            • ⏭️ 556677 | 1000⭐ | supply=200 → sold out
            🛰️ By target:
            • -1009876543210: plan=1 ok=0 fail=1 reasons=CHAT_WRITE_FORBIDDEN×1
            • -1001234567890: plan=6 ok=4 fail=1 unknown=1 reasons=STARGIFT_USAGE_LIMITED×1
            👤 By account:
            • acc=1337: plan=3 💰spent=25 start=100 end=75 buys=1 fail=1 unknown=1
            • acc=4242: plan=4 💰spent=45 start=60 end=15 buys=3 fail=1
        "#]],
    );
}

#[test]
fn executed_run_in_russian() {
    check(
        &executed_report(),
        Lang::Ru,
        expect![[r#"
            🧾 Отчёт автопокупки
            📊 Новых: 5 | Куплено: 2 | Пропущено: 3
            📦 По подаркам:
            • ✅ 123456 «Heart» | 25⭐ | supply=1000 → ch=-1001234567890 acc=1337 ×1; результат неизвестен, повторно не отправлялось (acc=1337); заблокирован до 2025-11-24 17:00:00 UTC (acc=4242)
            • ❌ 223344 | 50⭐ | supply=500 → причина: STARGIFT_USAGE_LIMITED (acc=1337); нужен Premium (acc=4242)
            • ✅ 334455 | 15⭐ | supply=100000 → ch=-1001234567890 acc=4242 ×3; CHAT_WRITE_FORBIDDEN (acc=4242); недостаточно звёзд (acc=1337)
            • ⏭️ 445566 | 15⭐ | без лимита → не лимитированный (пропущен)
            • ⏭️ 556677 | 1000⭐ | supply=200 → распродан
            🛰️ По получателям:
            • -1009876543210: plan=1 ok=0 fail=1 reasons=CHAT_WRITE_FORBIDDEN×1
            • -1001234567890: plan=6 ok=4 fail=1 unknown=1 reasons=STARGIFT_USAGE_LIMITED×1
            👤 По аккаунтам:
            • acc=1337: plan=3 💰spent=25 start=100 end=75 buys=1 fail=1 unknown=1
            • acc=4242: plan=4 💰spent=45 start=60 end=15 buys=3 fail=1
        "#]],
    );
}

#[test]
fn counts_are_of_gifts_so_skipped_is_never_negative() {
    let report = executed_report();
    assert_eq!(
        (
            report.new_count(),
            report.bought_count(),
            report.skipped_count()
        ),
        (5, 2, 3)
    );
}

#[test]
fn every_new_gift_appears_exactly_once() {
    let report = executed_report();
    let mut ids: Vec<i64> = report.gifts.iter().map(|line| line.gift_id).collect();
    ids.dedup();
    assert_eq!(ids, [123456, 223344, 334455, 445566, 556677]);
    let text = report.render(Lang::En);
    for id in ids {
        assert_eq!(text.matches(&format!(" {id} ")).count(), 1, "{id}");
    }
}

#[test]
fn reasons_repeated_across_accounts_are_listed_once() {
    let gifts = vec![gift(5, 500, 100, 100)];
    let accounts = vec![acc(1, 10, true), acc(2, 20, true), acc(3, 30, true)];
    let input = input(accounts, vec![ch(1, 111, ANY, ANY)], gifts);
    let plan = plan(&input, at(NOW));
    let report = build(&input, &plan, Some(&[]));
    check(
        &report,
        Lang::En,
        expect![[r#"
            🧾 Autobuy report
            📊 New: 1 | Bought: 0 | Skipped: 1
            📦 By gift:
            • ⏭️ 5 | 500⭐ | supply=100 → not enough stars (acc=1, 2, 3)
            🛰️ By target:
            • none
            👤 By account:
            • acc=3: plan=0 💰spent=0 start=30 end=30 buys=0
            • acc=2: plan=0 💰spent=0 start=20 end=20 buys=0
            • acc=1: plan=0 💰spent=0 start=10 end=10 buys=0
        "#]],
    );
}

#[test]
fn auction_gifts_are_reported_with_their_start_in_both_languages() {
    let gifts = vec![
        CatalogGift {
            title: Some("Auction star".into()),
            ..auctioned(gift(7, 1000, 500, 500), 50, NOW + 7200)
        },
        auctioned(gift(8, 1000, 500, 500), 50, 0),
    ];
    let input = input(vec![acc(1, 5000, true)], vec![ch(1, 111, ANY, ANY)], gifts);
    let plan = plan(&input, at(NOW));
    let report = build(&input, &plan, Some(&[]));
    let gift_lines = |lang| -> Vec<String> {
        report
            .render(lang)
            .lines()
            .filter(|line| line.contains("⭐ |"))
            .map(str::to_owned)
            .collect()
    };
    expect![[r#"
        (
            [
                "• ⏭\u{fe0f} 7 «Auction star» | 1000⭐ | supply=500 → auction gift (bids only, never bought), starts 2025-11-24 18:00:00 UTC",
                "• ⏭\u{fe0f} 8 | 1000⭐ | supply=500 → auction gift (bids only, never bought)",
            ],
            [
                "• ⏭\u{fe0f} 7 «Auction star» | 1000⭐ | supply=500 → аукционный подарок (только ставки, не покупается), начало 2025-11-24 18:00:00 UTC",
                "• ⏭\u{fe0f} 8 | 1000⭐ | supply=500 → аукционный подарок (только ставки, не покупается)",
            ],
        )
    "#]].assert_debug_eq(&(gift_lines(Lang::En), gift_lines(Lang::Ru)));
}

#[test]
fn hostile_titles_stay_on_one_line() {
    let gifts = vec![CatalogGift {
        title: Some("Evil\n• ✅ 999 | 1⭐ | fake line\u{202e}".into()),
        ..gift(5, 10, 100, 100)
    }];
    let input = input(vec![], vec![], gifts);
    let plan = plan(&input, at(NOW));
    let report = build(&input, &plan, None);
    let text = report.render(Lang::En);
    let gift_lines: Vec<&str> = text.lines().filter(|line| line.contains(" 5 «")).collect();
    expect![[r#"
        [
            "• ⏭\u{fe0f} 5 «Evil • ✅ 999 | 1⭐ | fake line» | 10⭐ | supply=100 → no matching target",
        ]
    "#]].assert_debug_eq(&gift_lines);
}

#[test]
fn long_reports_split_into_telegram_sized_messages_on_line_boundaries() {
    let gifts: Vec<CatalogGift> = (1..=400)
        .map(|id| CatalogGift {
            title: Some(format!("Gift number {id} with a rather long title")),
            ..gift(id, 10, 1000 + id, 0)
        })
        .collect();
    let input = input(vec![acc(1, 100, true)], vec![ch(1, 111, ANY, ANY)], gifts);
    let plan = plan(&input, at(NOW));
    let report = build(&input, &plan, None);
    for lang in [Lang::En, Lang::Ru] {
        let text = report.render(lang);
        let messages = report.messages(lang);
        assert!(messages.len() > 1, "{} characters", text.len());
        for message in &messages {
            assert!(message.encode_utf16().count() <= TELEGRAM_MESSAGE_LIMIT);
        }
        // Nothing is lost or reordered: joining the messages gives the report back.
        assert_eq!(messages.join("\n"), text.trim_end());
        assert_eq!(messages, split_message(&text, TELEGRAM_MESSAGE_LIMIT));
    }
}

/// A birthday gift that the only channel excludes: the report names the reason in both
/// languages, next to a gift bought as usual.
#[test]
fn an_excluded_gift_is_reported_with_its_reason() {
    let gifts = vec![
        CatalogGift {
            title: Some("Cake".into()),
            ..birthday(gift(700, 10, 1000, 10))
        },
        CatalogGift {
            title: Some("Rose".into()),
            ..gift(800, 10, 1000, 10)
        },
    ];
    let channels = vec![excluding(
        ch(1, 1234567890, ANY, ANY),
        &[],
        &[giftbuyer_core::GiftKind::Birthday],
    )];
    let input = input(vec![acc(1337, 10, true)], channels, gifts);
    let plan = plan(&input, at(NOW));
    let report = build(&input, &plan, None);
    check(
        &report,
        Lang::En,
        expect![[r#"
            🧾 Autobuy plan (dry run)
            📊 New: 2 | Planned: 1 | Skipped: 1
            📦 By gift:
            • ⏭️ 700 «Cake» | 10⭐ | supply=1000 → excluded by every matching target
            • 🗓️ 800 «Rose» | 10⭐ | supply=1000 → ch=-1001234567890 acc=1337 ×1
            🛰️ By target:
            • -1001234567890: plan=1
            👤 By account:
            • acc=1337: plan=1 💰cost=10 start=10 end=0
        "#]],
    );
    check(
        &report,
        Lang::Ru,
        expect![[r#"
            🧾 План автопокупки (пробный запуск)
            📊 Новых: 2 | Запланировано: 1 | Пропущено: 1
            📦 По подаркам:
            • ⏭️ 700 «Cake» | 10⭐ | supply=1000 → исключён у всех подходящих получателей
            • 🗓️ 800 «Rose» | 10⭐ | supply=1000 → ch=-1001234567890 acc=1337 ×1
            🛰️ По получателям:
            • -1001234567890: plan=1
            👤 По аккаунтам:
            • acc=1337: plan=1 💰cost=10 start=10 end=0
        "#]],
    );
}

#[test]
fn a_resale_tick_is_reported_per_purchase_in_both_languages() {
    use giftbuyer_core::ports::JournalStatus;
    use giftbuyer_core::report::{ResaleLine, resale_report};
    use giftbuyer_core::resale::{Recipient, SnipeBuy, WatchId};
    use giftbuyer_core::{AccountId, GiftId, Stars};
    let buy = |slug: &str, price, recipient| SnipeBuy {
        watch_id: WatchId::new(3).expect("valid"),
        account_id: AccountId::new(11).expect("valid"),
        unique_id: 1,
        gift_id: GiftId::new(77).expect("valid"),
        slug: slug.into(),
        price: Stars::new(price),
        recipient,
    };
    let channel = ChannelId::new(-1001234567890).expect("valid");
    let lines = [
        ResaleLine {
            buy: buy("pepe-1", 900, Recipient::Buyer),
            status: JournalStatus::Bought,
            error: None,
        },
        ResaleLine {
            buy: buy("pepe-2\nfake line", 950, Recipient::Channel(channel)),
            status: JournalStatus::Failed,
            error: Some("STARGIFT_NOT_FOUND".into()),
        },
        ResaleLine {
            buy: buy("pepe-3", 990, Recipient::Buyer),
            status: JournalStatus::Unknown,
            error: Some("timeout".into()),
        },
    ];
    assert_eq!(resale_report(&[], Lang::En), None);
    expect![[r#"
        🛒 Resale
        • ✅ pepe-1 | 900⭐ | acc=11 → self | watch 3 | bought
        • ❌ pepe-2 fake line | 950⭐ | acc=11 → ch=-1001234567890 | watch 3 | failed (STARGIFT_NOT_FOUND)
        • ❓ pepe-3 | 990⭐ | acc=11 → self | watch 3 | outcome unknown, not resent (timeout)
    "#]].assert_eq(&resale_report(&lines, Lang::En).expect("a report"));
    expect![[r#"
        🛒 Перепродажа
        • ✅ pepe-1 | 900⭐ | acc=11 → себе | наблюдение 3 | куплено
        • ❌ pepe-2 fake line | 950⭐ | acc=11 → ch=-1001234567890 | наблюдение 3 | не удалось (STARGIFT_NOT_FOUND)
        • ❓ pepe-3 | 990⭐ | acc=11 → себе | наблюдение 3 | результат неизвестен, повторно не отправлялось (timeout)
    "#]].assert_eq(&resale_report(&lines, Lang::Ru).expect("a report"));
}

#[test]
fn targets_of_every_kind_are_named_in_both_languages() {
    let input = input(
        vec![acc(1337, 100, true)],
        vec![
            person(1, "gift_friend", ANY, (None, Some(1000))),
            ch(2, 1234567890, ANY, (None, Some(50_000))),
            me(3, ANY, ANY),
        ],
        vec![
            gift(1, 10, 500, 1),
            gift(2, 10, 20_000, 1),
            gift(3, 10, 1_000_000, 1),
        ],
    );
    let plan = plan(&input, at(NOW));
    let report = build(&input, &plan, None);
    check(
        &report,
        Lang::En,
        expect![[r#"
        🧾 Autobuy plan (dry run)
        📊 New: 3 | Planned: 3 | Skipped: 0
        📦 By gift:
        • 🗓️ 1 | 10⭐ | supply=500 → @gift_friend acc=1337 ×1
        • 🗓️ 2 | 10⭐ | supply=20000 → ch=-1001234567890 acc=1337 ×1
        • 🗓️ 3 | 10⭐ | supply=1000000 → self acc=1337 ×1
        🛰️ By target:
        • -1001234567890: plan=1
        • self: plan=1
        • @gift_friend: plan=1
        👤 By account:
        • acc=1337: plan=3 💰cost=30 start=100 end=70
    "#]],
    );
    check(
        &report,
        Lang::Ru,
        expect![[r#"
        🧾 План автопокупки (пробный запуск)
        📊 Новых: 3 | Запланировано: 3 | Пропущено: 0
        📦 По подаркам:
        • 🗓️ 1 | 10⭐ | supply=500 → @gift_friend acc=1337 ×1
        • 🗓️ 2 | 10⭐ | supply=20000 → ch=-1001234567890 acc=1337 ×1
        • 🗓️ 3 | 10⭐ | supply=1000000 → себе acc=1337 ×1
        🛰️ По получателям:
        • -1001234567890: plan=1
        • себе: plan=1
        • @gift_friend: plan=1
        👤 По аккаунтам:
        • acc=1337: plan=3 💰cost=30 start=100 end=70
    "#]],
    );
}

#[test]
fn the_bidders_report_tells_every_kind_of_line_in_both_languages() {
    use giftbuyer_core::report::{BidLine, bid_report};
    use giftbuyer_core::{AccountId, GiftId, Stars};
    let gift = GiftId::new(4242).expect("valid");
    let account = AccountId::new(7).expect("valid");
    let channel = Recipient::Channel(ChannelId::from_mtproto(777).expect("valid"));
    let lines = [
        BidLine::Placed {
            gift,
            account,
            recipient: Recipient::Buyer,
            total: Stars::new(901),
            raise: false,
        },
        BidLine::Placed {
            gift,
            account,
            recipient: channel,
            total: Stars::new(1001),
            raise: true,
        },
        BidLine::Failed {
            gift,
            account,
            total: Stars::new(1100),
            error: "STARGIFT_INVALID\nfake line".to_owned(),
            retry_in_secs: 5,
        },
        BidLine::ClosedToGifts {
            gift,
            account,
            recipient: channel,
            retry_in_secs: 600,
        },
        BidLine::Unknown {
            gift,
            account,
            total: Stars::new(1200),
        },
        BidLine::Won {
            gift,
            account,
            count: 1,
        },
        BidLine::OutbidAboveMax {
            gift,
            account,
            max_bid: Stars::new(1500),
        },
        BidLine::Returned {
            gift,
            account,
            total: Stars::new(1200),
        },
    ];
    assert_eq!(bid_report(&[], Lang::En), None);
    expect![[r#"
        🔨 Auctions
        • ✅ gift=4242 | 901⭐ | acc=7 → self | bid placed
        • ✅ gift=4242 | 1001⭐ | acc=7 → ch=-1000000000777 | bid raised
        • ❌ gift=4242 | 1100⭐ | acc=7 | bid refused (STARGIFT_INVALID fake line); this plan bids again in 5 s
        • 🚫 gift=4242 | acc=7 → ch=-1000000000777 | the channel takes no star gifts from this account (its owner turned them off, or the account cannot see it), so no bid is placed for it; this plan bids again in 10 min
        • ❓ gift=4242 | 1200⭐ | acc=7 | outcome unknown, not resent
        • 🏆 gift=4242 | acc=7 | won ×1
        • ⚠️ gift=4242 | acc=7 | outbid: winning back a slot needs more than your maximum of 1500⭐
        • ↩️ gift=4242 | 1200⭐ | acc=7 | bid returned, stars refunded
    "#]].assert_eq(&bid_report(&lines, Lang::En).expect("a report"));
    expect![[r#"
        🔨 Аукционы
        • ✅ gift=4242 | 901⭐ | acc=7 → себе | ставка сделана
        • ✅ gift=4242 | 1001⭐ | acc=7 → ch=-1000000000777 | ставка повышена
        • ❌ gift=4242 | 1100⭐ | acc=7 | ставка отклонена (STARGIFT_INVALID fake line); следующая попытка по этому плану через 5 с
        • 🚫 gift=4242 | acc=7 → ch=-1000000000777 | канал не принимает подарки за звёзды от этого аккаунта (владелец их отключил или аккаунт его не видит), ставка за него не делается; следующая попытка по этому плану через 10 мин
        • ❓ gift=4242 | 1200⭐ | acc=7 | результат неизвестен, повторно не отправлялось
        • 🏆 gift=4242 | acc=7 | выиграно ×1
        • ⚠️ gift=4242 | acc=7 | ставку перебили: чтобы вернуть место, нужно больше вашего максимума 1500⭐
        • ↩️ gift=4242 | 1200⭐ | acc=7 | ставка возвращена, звёзды вернулись
    "#]].assert_eq(&bid_report(&lines, Lang::Ru).expect("a report"));
}
