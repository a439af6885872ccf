//! Which account polls the catalog next: a rotation that skips accounts in flood backoff.

use std::collections::HashMap;
use std::time::Duration;

use giftbuyer_core::AccountId;

/// Round-robin over the accounts that may poll, remembering flood waits.
#[derive(Debug, Default)]
pub(crate) struct Rotation {
    accounts: Vec<AccountId>,
    next: usize,
    blocked_until: HashMap<AccountId, Duration>,
}

impl Rotation {
    /// Replaces the set of accounts, keeping backoffs of accounts that remain.
    pub(crate) fn set_accounts(&mut self, mut accounts: Vec<AccountId>) {
        accounts.sort_unstable();
        accounts.dedup();
        self.blocked_until
            .retain(|account, _| accounts.contains(account));
        self.accounts = accounts;
        if self.next >= self.accounts.len() {
            self.next = 0;
        }
    }

    /// Accounts not in backoff at `now`.
    pub(crate) fn available(&self, now: Duration) -> usize {
        self.accounts
            .iter()
            .filter(|account| !self.is_blocked(**account, now))
            .count()
    }

    /// The next account that may poll at `now`, advancing the rotation.
    pub(crate) fn next(&mut self, now: Duration) -> Option<AccountId> {
        for _ in 0..self.accounts.len() {
            let account = self.accounts[self.next];
            self.next = (self.next + 1) % self.accounts.len();
            if !self.is_blocked(account, now) {
                return Some(account);
            }
        }
        None
    }

    /// Keeps `account` from polling until `until`.
    pub(crate) fn block(&mut self, account: AccountId, until: Duration) {
        self.blocked_until.insert(account, until);
    }

    fn is_blocked(&self, account: AccountId, now: Duration) -> bool {
        self.blocked_until
            .get(&account)
            .is_some_and(|&until| until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: i64) -> AccountId {
        AccountId::new(raw).expect("valid")
    }

    #[test]
    fn rotates_and_skips_blocked_accounts_until_their_wait_ends() {
        let mut rotation = Rotation::default();
        rotation.set_accounts(vec![id(3), id(1), id(2), id(1)]);
        let at = Duration::from_secs;
        assert_eq!(rotation.next(at(0)), Some(id(1)));
        rotation.block(id(2), at(10));
        assert_eq!(rotation.available(at(0)), 2);
        assert_eq!(rotation.next(at(0)), Some(id(3)));
        assert_eq!(rotation.next(at(0)), Some(id(1)));
        assert_eq!(rotation.next(at(10)), Some(id(2)));
        for account in [1, 2, 3] {
            rotation.block(id(account), at(20));
        }
        assert_eq!(rotation.next(at(5)), None);
        rotation.set_accounts(Vec::new());
        assert_eq!(rotation.next(at(50)), None);
    }
}
