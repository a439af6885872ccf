//! What the engine remembers of each poll beyond the store's diff: the copies left of each
//! limited gift (to announce changes) and each account's own per-user limits and locks.

use std::collections::HashMap;

use giftbuyer_core::ports::{AccountCatalogs, AccountGiftState};
use giftbuyer_core::{AccountId, CatalogGift, GiftId, UnixTime};

use crate::engine::{Engine, lock};

/// Limited gifts of `current` whose copies left differ from `previous`, as
/// `(gift, remaining)`. Gifts that `previous` did not hold are new, announced on their own,
/// and left out; so is everything when there is no previous catalog (the first poll).
pub(crate) fn remaining_changes(
    previous: &[CatalogGift],
    current: &[CatalogGift],
) -> Vec<(GiftId, i64)> {
    if previous.is_empty() {
        return Vec::new();
    }
    let before: HashMap<i64, Option<i64>> = previous
        .iter()
        .filter(|gift| gift.limited)
        .map(|gift| (gift.id, gift.remaining))
        .collect();
    current
        .iter()
        .filter(|gift| gift.limited)
        .filter_map(|gift| {
            let remaining = gift.remaining?;
            let was = before.get(&gift.id)?;
            let id = GiftId::new(gift.id).ok()?;
            (*was != Some(remaining)).then_some((id, remaining))
        })
        .collect()
}

/// The per-account entries of one account's catalog: gifts limited per user or locked for it.
pub(crate) fn account_view(
    account: AccountId,
    gifts: &[CatalogGift],
    seen_at: UnixTime,
) -> Vec<AccountGiftState> {
    gifts
        .iter()
        .filter_map(|gift| {
            let locked_until = gift.locks.get(&account).copied();
            if gift.per_user_remains.is_none() && locked_until.is_none() {
                return None;
            }
            Some(AccountGiftState {
                account,
                gift: GiftId::new(gift.id).ok()?,
                per_user_remains: gift.per_user_remains.map(|left| left.max(0)),
                locked_until,
                seen_at,
            })
        })
        .collect()
}

impl AccountCatalogs for Engine {
    fn account_gifts(&self, accounts: &[AccountId]) -> Vec<AccountGiftState> {
        let views = lock(&self.shared.account_views);
        accounts
            .iter()
            .filter_map(|account| views.get(account))
            .flat_map(|view| view.iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gift(id: i64, limited: bool, remaining: Option<i64>) -> CatalogGift {
        CatalogGift {
            id,
            price: 100,
            limited,
            supply: limited.then_some(1000),
            remaining,
            ..CatalogGift::default()
        }
    }

    fn id(raw: i64) -> GiftId {
        GiftId::new(raw).expect("valid id")
    }

    #[test]
    fn only_changed_known_limited_gifts_are_reported() {
        let previous = [
            gift(1, true, Some(500)),
            gift(2, true, Some(10)),
            gift(3, false, None),
            gift(4, true, Some(7)),
        ];
        let current = [
            gift(1, true, Some(480)),
            gift(2, true, Some(10)),
            gift(3, false, None),
            gift(4, true, Some(0)),
            gift(5, true, Some(1000)),
        ];
        assert_eq!(
            remaining_changes(&previous, &current),
            [(id(1), 480), (id(4), 0)]
        );
    }

    #[test]
    fn the_first_catalog_reports_nothing() {
        assert!(remaining_changes(&[], &[gift(1, true, Some(5))]).is_empty());
    }

    #[test]
    fn an_account_view_holds_its_own_limits_and_locks_only() {
        let me = AccountId::new(7).expect("id");
        let other = AccountId::new(8).expect("id");
        let at = UnixTime::from_secs(1_000).expect("time");
        let until = UnixTime::from_secs(5_000).expect("time");
        let mut capped = gift(1, true, Some(50));
        capped.per_user_remains = Some(-3);
        let mut locked = gift(2, true, Some(50));
        locked.locks.insert(me, until);
        let mut locked_for_other = gift(3, true, Some(50));
        locked_for_other.locks.insert(other, until);
        let view = account_view(
            me,
            &[capped, locked, locked_for_other, gift(4, false, None)],
            at,
        );
        assert_eq!(
            view,
            [
                AccountGiftState {
                    account: me,
                    gift: id(1),
                    // A negative allowance from Telegram means none left.
                    per_user_remains: Some(0),
                    locked_until: None,
                    seen_at: at,
                },
                AccountGiftState {
                    account: me,
                    gift: id(2),
                    per_user_remains: None,
                    locked_until: Some(until),
                    seen_at: at,
                },
            ]
        );
    }
}
