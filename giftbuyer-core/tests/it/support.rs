//! Compact builders for the data-driven tests, so each case reads like a scenario table.

use std::collections::BTreeMap;

use giftbuyer_core::{
    Account, AccountId, Bounds, CatalogGift, ChannelId, ExcludeList, GiftAuction, GiftKind, Plan,
    PlanInput, Priority, Recipient, Stars, Target, TargetFilter, TargetRowId, TelegramUsername,
    UnixTime, plan,
};

/// The planning time of every case, 2025-11-24 16:00:00 UTC.
pub(crate) const NOW: i64 = 1_764_000_000;

pub(crate) fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).expect("valid time")
}

pub(crate) fn acc(id: i64, balance: u64, premium: bool) -> Account {
    Account {
        id: AccountId::new(id).expect("valid account id"),
        balance: Stars::new(balance),
        premium,
    }
}

pub(crate) type Range = (Option<u64>, Option<u64>);

pub(crate) const ANY: Range = (None, None);

/// A channel target whose Bot API id is `-100` followed by `suffix`.
pub(crate) fn ch(row: i64, suffix: i64, price: Range, supply: Range) -> Target {
    let channel = ChannelId::from_mtproto(suffix).expect("valid channel");
    target(row, Recipient::Channel(channel), price, supply)
}

/// The buying account itself as a target.
pub(crate) fn me(row: i64, price: Range, supply: Range) -> Target {
    target(row, Recipient::Buyer, price, supply)
}

/// A person, by username, as a target.
pub(crate) fn person(row: i64, username: &str, price: Range, supply: Range) -> Target {
    let user = TelegramUsername::new(username).expect("valid username");
    target(row, Recipient::User(user), price, supply)
}

pub(crate) fn target(row: i64, recipient: Recipient, price: Range, supply: Range) -> Target {
    Target {
        exclude: ExcludeList::EMPTY,
        row_id: TargetRowId::new(row).expect("valid row id"),
        recipient,
        filter: TargetFilter {
            price: Bounds::new(price.0, price.1, "price").expect("valid price bounds"),
            supply: Bounds::new(supply.0, supply.1, "supply").expect("valid supply bounds"),
        },
        title: None,
    }
}

/// A limited gift with the given supply and remaining count.
pub(crate) fn gift(id: i64, price: i64, supply: i64, remaining: i64) -> CatalogGift {
    CatalogGift {
        id,
        price,
        limited: true,
        supply: Some(supply),
        remaining: Some(remaining),
        ..CatalogGift::default()
    }
}

/// The target with an exclude list of these gift ids and kinds.
pub(crate) fn excluding(channel: Target, ids: &[i64], kinds: &[GiftKind]) -> Target {
    Target {
        exclude: ExcludeList::new(ids.iter().copied(), kinds.iter().copied())
            .expect("valid exclude list"),
        ..channel
    }
}

pub(crate) fn birthday(gift: CatalogGift) -> CatalogGift {
    CatalogGift {
        birthday: true,
        ..gift
    }
}

pub(crate) fn premium_only(gift: CatalogGift) -> CatalogGift {
    CatalogGift {
        require_premium: true,
        ..gift
    }
}

pub(crate) fn capped(gift: CatalogGift, per_user_remains: i64) -> CatalogGift {
    CatalogGift {
        per_user_remains: Some(per_user_remains),
        ..gift
    }
}

/// The gift sold by auction instead, with `gifts_per_round` gifts a round from `start_date`.
pub(crate) fn auctioned(gift: CatalogGift, gifts_per_round: i64, start_date: i64) -> CatalogGift {
    CatalogGift {
        auction: Some(GiftAuction {
            slug: format!("gift-{}", gift.id),
            gifts_per_round,
            start_date,
        }),
        ..gift
    }
}

pub(crate) fn locked(gift: CatalogGift, account: i64, until: i64) -> CatalogGift {
    let mut locks = BTreeMap::new();
    locks.insert(
        AccountId::new(account).expect("valid account id"),
        at(until),
    );
    CatalogGift { locks, ..gift }
}

pub(crate) fn input(
    accounts: Vec<Account>,
    channels: Vec<Target>,
    gifts: Vec<CatalogGift>,
) -> PlanInput {
    PlanInput::new(accounts, channels, gifts).expect("valid input")
}

pub(crate) fn plan_of(
    accounts: Vec<Account>,
    channels: Vec<Target>,
    gifts: Vec<CatalogGift>,
) -> Plan {
    plan(&input(accounts, channels, gifts), at(NOW))
}

pub(crate) fn plan_with(
    priority: Priority,
    accounts: Vec<Account>,
    channels: Vec<Target>,
    gifts: Vec<CatalogGift>,
) -> Plan {
    plan(
        &input(accounts, channels, gifts).with_priority(priority),
        at(NOW),
    )
}
