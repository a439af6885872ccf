//! Data-driven resale cases, one per rule of `giftbuyer_core::resale::plan_snipes`, checked
//! against snapshots (`UPDATE_EXPECT=1` rewrites them; review the diff).

use expect_test::{Expect, expect};
use giftbuyer_core::resale::{
    AttributeFilter, GiftAttributes, Recipient, ResaleListing, ResaleWatch, WatchError, plan_snipes,
};
use giftbuyer_core::{ChannelId, Stars};

use crate::support::acc;

fn check(plan: giftbuyer_core::resale::SnipePlan, expected: Expect) {
    expected.assert_eq(&plan.to_string());
}

fn listing(slug: &str, gift_id: i64, num: i64, price: Option<i64>) -> ResaleListing {
    ResaleListing {
        unique_id: 1000 + num,
        gift_id,
        slug: slug.into(),
        title: "Plush Pepe".into(),
        num,
        price,
        attributes: GiftAttributes::default(),
        require_premium: false,
    }
}

fn with_model(listing: ResaleListing, model: &str, backdrop: &str) -> ResaleListing {
    ResaleListing {
        attributes: GiftAttributes {
            model: Some(model.into()),
            backdrop: Some(backdrop.into()),
            symbol: None,
        },
        ..listing
    }
}

fn watch(id: i64, gift_id: i64, max_price: u64, copies: i64) -> ResaleWatch {
    ResaleWatch::new(
        id,
        gift_id,
        AttributeFilter::default(),
        Stars::new(max_price),
        Recipient::Buyer,
        copies,
    )
    .expect("valid watch")
}

#[test]
fn rule_2_the_cheapest_matching_listings_under_the_maximum_are_bought() {
    let listings = vec![
        listing("pepe-3", 7, 3, Some(900)),
        listing("pepe-1", 7, 1, Some(1200)),
        listing("pepe-2", 7, 2, Some(500)),
        listing("pepe-4", 7, 4, Some(500)),
        listing("pepe-ton", 7, 5, None),
        listing("other-1", 8, 1, Some(1)),
    ];
    check(
        plan_snipes(&[watch(1, 7, 1000, 2)], &listings, &[acc(10, 5000, false)]),
        expect![[r#"
            buys: 2 (total 1000⭐)
              watch=1 acc=10 → self gift=7 "pepe-2" 500⭐
              watch=1 acc=10 → self gift=7 "pepe-4" 500⭐
            skips: 3
              watch=1 "pepe-3" watch_full
              watch=1 "pepe-1" above_max_price
              watch=1 "pepe-ton" no_star_price
        "#]],
    );
}

#[test]
fn rule_2_attribute_filters_match_names_without_case_and_a_watch_stops_when_full() {
    let mut by_model = watch(1, 7, 2000, 1);
    by_model.attributes =
        AttributeFilter::new(Some(" durov's cap "), Some("Black"), None).expect("valid");
    let listings = vec![
        with_model(
            listing("cap-black", 7, 1, Some(1500)),
            "Durov's Cap",
            "black",
        ),
        with_model(
            listing("cap-black-2", 7, 2, Some(1400)),
            "DUROV'S CAP",
            "Black",
        ),
        with_model(
            listing("cap-white", 7, 3, Some(100)),
            "Durov's Cap",
            "White",
        ),
        listing("bare", 7, 4, Some(100)),
    ];
    check(
        plan_snipes(&[by_model], &listings, &[acc(10, 5000, false)]),
        expect![[r#"
            buys: 1 (total 1400⭐)
              watch=1 acc=10 → self gift=7 "cap-black-2" 1400⭐
            skips: 1
              watch=1 "cap-black" watch_full
        "#]],
    );
}

#[test]
fn rule_3_the_richest_account_that_can_pay_buys_and_pays_from_its_own_balance() {
    let listings = vec![
        listing("a", 7, 1, Some(600)),
        listing("b", 7, 2, Some(600)),
        listing("c", 7, 3, Some(600)),
        ResaleListing {
            require_premium: true,
            ..listing("premium", 7, 4, Some(100))
        },
    ];
    let channel = ChannelId::new(-1001234567890).expect("valid");
    let mut to_channel = watch(1, 7, 1000, 10);
    to_channel.recipient = Recipient::Channel(channel);
    check(
        plan_snipes(
            &[to_channel],
            &listings,
            &[
                acc(10, 700, false),
                acc(11, 1000, false),
                acc(12, 100, false),
            ],
        ),
        expect![[r#"
            buys: 2 (total 1200⭐)
              watch=1 acc=11 → ch=-1001234567890 gift=7 "a" 600⭐
              watch=1 acc=10 → ch=-1001234567890 gift=7 "b" 600⭐
            skips: 2
              watch=1 "premium" premium_required
              watch=1 "c" not_enough_stars
        "#]],
    );
}

#[test]
fn rule_1_an_earlier_watch_takes_a_listing_first_and_it_is_bought_once() {
    let mut late = watch(2, 7, 1000, 5);
    late.bought = 1;
    let listings = vec![listing("x", 7, 1, Some(100)), listing("y", 7, 2, Some(200))];
    check(
        plan_snipes(
            &[late, watch(1, 7, 150, 5)],
            &listings,
            &[acc(10, 5000, true)],
        ),
        expect![[r#"
            buys: 2 (total 300⭐)
              watch=1 acc=10 → self gift=7 "x" 100⭐
              watch=2 acc=10 → self gift=7 "y" 200⭐
            skips: 2
              watch=1 "y" above_max_price
              watch=2 "x" taken_by_earlier_watch
        "#]],
    );
}

#[test]
fn invalid_listings_are_passed_over_with_a_reason() {
    let listings = vec![
        listing("", 7, 1, Some(100)),
        ResaleListing {
            unique_id: 0,
            ..listing("zero", 7, 2, Some(100))
        },
        listing("negative", 7, 3, Some(-5)),
        listing("free", 7, 4, Some(0)),
        listing("dup", 7, 5, Some(50)),
        listing("dup", 7, 6, Some(10)),
        listing("nul\u{0}slug", 7, 7, Some(20)),
        listing(&"s".repeat(257), 7, 8, Some(30)),
    ];
    check(
        plan_snipes(&[watch(1, 7, 1000, 5)], &listings, &[acc(10, 5000, true)]),
        expect![[r#"
            buys: 1 (total 50⭐)
              watch=1 acc=10 → self gift=7 "dup" 50⭐
            skips: 6
              watch=1 "negative" no_star_price
              watch=1 "free" no_star_price
              watch=1 "nul\0slug" invalid_listing
              watch=1 "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss" invalid_listing
              watch=1 "" invalid_listing
              watch=1 "zero" invalid_listing
        "#]],
    );
}

#[test]
fn watches_refuse_bad_values_with_the_field_named() {
    let bad = |id, gift, max, copies| {
        ResaleWatch::new(
            id,
            gift,
            AttributeFilter::default(),
            Stars::new(max),
            Recipient::Buyer,
            copies,
        )
        .expect_err("invalid")
        .to_string()
    };
    assert_eq!(bad(0, 7, 10, 1), "watch id must be positive, got 0");
    assert_eq!(bad(1, -7, 10, 1), "gift id must be positive, got -7");
    assert_eq!(bad(1, 7, 0, 1), "max_price must be positive");
    assert_eq!(bad(1, 7, 10, 0), "copies must be between 1 and 100, got 0");
    assert_eq!(
        bad(1, 7, 10, 101),
        "copies must be between 1 and 100, got 101"
    );
    let attribute = |model: &str| AttributeFilter::new(Some(model), None, None);
    assert_eq!(
        attribute("  ").expect_err("blank").to_string(),
        "model must be 1 to 64 characters without control characters"
    );
    assert_eq!(
        attribute("a\u{0}b"),
        Err(WatchError::Attribute { field: "model" })
    );
    assert_eq!(
        attribute(&"m".repeat(65)),
        Err(WatchError::Attribute { field: "model" })
    );
    assert_eq!(attribute(" Cap ").expect("valid").model(), Some("cap"));
}
