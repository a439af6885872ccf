//! Invariants of `plan_snipes` over generated watches, listings and accounts: never beyond a
//! balance or a watch's maximum and copies, one purchase per item, and every bought listing
//! matches its watch.

use std::collections::{HashMap, HashSet};

use giftbuyer_core::resale::{
    AttributeFilter, GiftAttributes, Recipient, ResaleListing, ResaleWatch, plan_snipes,
};
use giftbuyer_core::{Account, AccountId, Stars};
use proptest::prelude::*;
use proptest::test_runner::Config;

const NAMES: [&str; 3] = ["Cap", "Frog", "Star"];

fn name() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(&NAMES[..]).prop_map(str::to_owned))
}

fn listings() -> impl Strategy<Value = Vec<ResaleListing>> {
    let listing = (
        1_i64..=3,
        0_i64..=12,
        prop_oneof![1 => Just(None), 1 => (-5_i64..=0).prop_map(Some), 8 => (1_i64..3000).prop_map(Some)],
        (name(), name(), name()),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(gift_id, num, price, (model, backdrop, symbol), require_premium, no_slug)| {
                ResaleListing {
                    unique_id: 100 + gift_id * 100 + num,
                    gift_id,
                    slug: if no_slug {
                        String::new()
                    } else {
                        format!("g{gift_id}-{num}")
                    },
                    title: String::new(),
                    num,
                    price,
                    attributes: GiftAttributes {
                        model,
                        backdrop,
                        symbol,
                    },
                    require_premium,
                }
            },
        );
    prop::collection::vec(listing, 0..25)
}

fn watches() -> impl Strategy<Value = Vec<ResaleWatch>> {
    let watch = (
        1_i64..=3,
        1_u64..3000,
        1_i64..=4,
        0_u32..=4,
        (name(), name()),
    )
        .prop_map(|(gift_id, max_price, copies, bought, (model, backdrop))| {
            let filter = AttributeFilter::new(model.as_deref(), backdrop.as_deref(), None)
                .expect("generated names are valid");
            (gift_id, max_price, copies, bought, filter)
        });
    prop::collection::vec(watch, 0..5).prop_map(|watches| {
        watches
            .into_iter()
            .enumerate()
            .map(|(index, (gift_id, max_price, copies, bought, filter))| {
                let mut watch = ResaleWatch::new(
                    index as i64 + 1,
                    gift_id,
                    filter,
                    Stars::new(max_price),
                    Recipient::Buyer,
                    copies,
                )
                .expect("generated watches are valid");
                watch.bought = bought;
                watch
            })
            .collect()
    })
}

fn accounts() -> impl Strategy<Value = Vec<Account>> {
    prop::collection::btree_map(1_i64..=6, (0_u64..5000, any::<bool>()), 0..4).prop_map(|map| {
        map.into_iter()
            .map(|(id, (balance, premium))| Account {
                id: AccountId::new(id).expect("positive"),
                balance: Stars::new(balance),
                premium,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(Config::with_cases(512))]

    #[test]
    fn snipes_respect_balances_maxima_copies_and_items(
        watches in watches(),
        listings in listings(),
        accounts in accounts(),
    ) {
        let plan = plan_snipes(&watches, &listings, &accounts);
        let watch_of: HashMap<_, _> = watches.iter().map(|watch| (watch.id, watch)).collect();
        let account_of: HashMap<_, _> = accounts.iter().map(|account| (account.id, account)).collect();
        let mut spent: HashMap<AccountId, u64> = HashMap::new();
        let mut per_watch: HashMap<_, u32> = HashMap::new();
        let mut slugs = HashSet::new();
        for buy in &plan.buys {
            let watch = watch_of[&buy.watch_id];
            let account = account_of[&buy.account_id];
            prop_assert!(buy.price <= watch.max_price, "{buy:?} above the maximum");
            prop_assert!(slugs.insert(buy.slug.clone()), "{} bought twice", buy.slug);
            let listing = listings
                .iter()
                .find(|listing| listing.slug == buy.slug)
                .expect("a bought listing was offered");
            prop_assert_eq!(listing.gift_id, watch.gift_id.get());
            prop_assert!(watch.attributes.matches(&listing.attributes));
            prop_assert_eq!(listing.price, Some(buy.price.get() as i64));
            prop_assert!(account.premium || !listing.require_premium);
            *spent.entry(buy.account_id).or_default() += buy.price.get();
            *per_watch.entry(buy.watch_id).or_default() += 1;
        }
        for (account, spent) in spent {
            prop_assert!(spent <= account_of[&account].balance.get(), "account {account} overspends");
        }
        for (watch, count) in per_watch {
            prop_assert!(count <= watch_of[&watch].wanted(), "watch {watch} buys beyond its copies");
        }
    }

    #[test]
    fn snipes_do_not_depend_on_the_order_of_watches_or_accounts(
        watches in watches(),
        listings in listings(),
        accounts in accounts(),
    ) {
        let plan = plan_snipes(&watches, &listings, &accounts);
        let mut reversed_watches = watches.clone();
        reversed_watches.reverse();
        let mut reversed_accounts = accounts.clone();
        reversed_accounts.reverse();
        prop_assert_eq!(plan, plan_snipes(&reversed_watches, &listings, &reversed_accounts));
    }
}
