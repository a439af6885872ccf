//! `MemoryStore`'s auction plans, bidding budgets and bid journal, under the same rules as the
//! database store: one transaction (here, one lock) decides whether a bid may be journaled.

use std::collections::{BTreeMap, HashMap};
use std::sync::MutexGuard;

use async_trait::async_trait;
use giftbuyer_core::bidding::{AuctionPlan, AuctionPlanId};
use giftbuyer_core::ports::{
    AuctionPlanStore, BidEntry, BidEntryId, BidStore, JournalStatus, NewAuctionPlan, PlannedBid,
    StoreError, UserAuctionPlan, UserId, check_bid_move,
};
use giftbuyer_core::{AccountId, GiftId, Stars, UnixTime};

use crate::MemoryStore;

/// The bid side of the memory store.
#[derive(Debug, Default)]
pub(crate) struct Bids {
    plans: BTreeMap<AuctionPlanId, (UserId, AuctionPlan)>,
    next_plan: i64,
    budgets: HashMap<UserId, Stars>,
    /// Each bid with the id of its chain (the first bid it raises, or itself).
    journal: BTreeMap<BidEntryId, (BidEntry, BidEntryId)>,
    next_bid: i64,
}

impl Bids {
    /// The newest entry of (user, account, gift) that did not fail, with its chain.
    fn newest_standing(
        &self,
        user: UserId,
        account: AccountId,
        gift: GiftId,
    ) -> Option<&(BidEntry, BidEntryId)> {
        self.journal.values().rev().find(|(entry, _)| {
            entry.user_id == user
                && entry.bid.account_id == account
                && entry.bid.gift_id == gift
                && entry.status != JournalStatus::Failed
        })
    }

    /// For each of the user's chains, its highest total that did not fail, summed.
    fn committed(&self, user: UserId) -> Stars {
        let mut chains: BTreeMap<BidEntryId, Stars> = BTreeMap::new();
        for (entry, chain) in self.journal.values() {
            if entry.user_id == user && entry.status != JournalStatus::Failed {
                let top = chains.entry(*chain).or_insert(Stars::ZERO);
                *top = (*top).max(entry.bid.total);
            }
        }
        chains
            .values()
            .fold(Stars::ZERO, |sum, total| sum.saturating_add(*total))
    }
}

impl MemoryStore {
    fn bids(&self) -> MutexGuard<'_, Bids> {
        // As for the rest of the store, a poisoned lock is recovered rather than spread.
        self.bids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every bid journal entry, in id order.
    pub fn bid_journal(&self) -> Vec<BidEntry> {
        self.bids()
            .journal
            .values()
            .map(|(entry, _)| entry.clone())
            .collect()
    }
}

fn new_id<T>(
    counter: &mut i64,
    make: fn(i64) -> Result<T, giftbuyer_core::ValueError>,
) -> Result<T, StoreError> {
    *counter += 1;
    make(*counter).map_err(|error| StoreError::Other(error.to_string()))
}

#[async_trait]
impl BidStore for MemoryStore {
    async fn auction_plans(&self) -> Result<Vec<UserAuctionPlan>, StoreError> {
        let bids = self.bids();
        let mut plans: Vec<UserAuctionPlan> = bids
            .plans
            .values()
            .map(|(user, plan)| UserAuctionPlan {
                user_id: *user,
                plan: plan.clone(),
                budget: bids.budgets.get(user).copied().unwrap_or(Stars::ZERO),
                committed: bids.committed(*user),
                account_id: bids
                    .journal
                    .values()
                    .rev()
                    .find(|(entry, _)| {
                        entry.bid.plan_id == plan.id && entry.status != JournalStatus::Failed
                    })
                    .map(|(entry, _)| entry.bid.account_id),
            })
            .collect();
        plans.sort_by_key(|plan| (plan.user_id, plan.plan.id));
        Ok(plans)
    }

    async fn plan_bid(
        &self,
        user: UserId,
        bid: &PlannedBid,
        now: UnixTime,
    ) -> Result<Option<BidEntryId>, StoreError> {
        let mut bids = self.bids();
        let Some((owner, plan)) = bids.plans.get(&bid.plan_id) else {
            return Ok(None);
        };
        if *owner != user || plan.gift_id != bid.gift_id || bid.total > plan.max_bid {
            return Ok(None);
        }
        let mine = |entry: &BidEntry| {
            entry.user_id == user
                && entry.bid.account_id == bid.account_id
                && entry.bid.gift_id == bid.gift_id
        };
        let refused = bids.journal.values().any(|(entry, _)| {
            mine(entry)
                && (matches!(
                    entry.status,
                    JournalStatus::Planned | JournalStatus::Sending
                ) || (entry.bid.total == bid.total && entry.status != JournalStatus::Failed))
        });
        if refused {
            return Ok(None);
        }
        let chain = if bid.raise() {
            bids.newest_standing(user, bid.account_id, bid.gift_id)
                .map(|(_, chain)| *chain)
        } else {
            None
        };
        let id = new_id(&mut bids.next_bid, BidEntryId::new)?;
        let entry = BidEntry {
            id,
            user_id: user,
            bid: bid.clone(),
            status: JournalStatus::Planned,
            error: None,
            updated_at: now,
        };
        bids.journal.insert(id, (entry, chain.unwrap_or(id)));
        Ok(Some(id))
    }

    async fn transition_bid(
        &self,
        id: BidEntryId,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        check_bid_move(id, from, to)?;
        let mut bids = self.bids();
        let (entry, _) = bids
            .journal
            .get_mut(&id)
            .ok_or(StoreError::UnknownBidEntry(id.get()))?;
        if entry.status != from {
            return Ok(false);
        }
        entry.status = to;
        entry.error = error.map(str::to_owned);
        entry.updated_at = now;
        Ok(true)
    }

    async fn recover_bids(&self, now: UnixTime) -> Result<(u64, u64), StoreError> {
        let (mut unknown, mut failed) = (0, 0);
        for (entry, _) in self.bids().journal.values_mut() {
            match entry.status {
                JournalStatus::Sending => {
                    entry.status = JournalStatus::Unknown;
                    entry.error = Some("interrupted".to_owned());
                    unknown += 1;
                }
                JournalStatus::Planned => {
                    entry.status = JournalStatus::Failed;
                    entry.error = Some("abandoned".to_owned());
                    failed += 1;
                }
                JournalStatus::Bought | JournalStatus::Failed | JournalStatus::Unknown => continue,
            }
            entry.updated_at = now;
        }
        Ok((unknown, failed))
    }

    async fn bid_entries(&self, user: UserId, limit: u32) -> Result<Vec<BidEntry>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .bids()
            .journal
            .values()
            .rev()
            .filter(|(entry, _)| entry.user_id == user)
            .take(limit)
            .map(|(entry, _)| entry.clone())
            .collect())
    }
}

#[async_trait]
impl AuctionPlanStore for MemoryStore {
    async fn create_auction_plan(
        &self,
        user: UserId,
        plan: &NewAuctionPlan,
    ) -> Result<AuctionPlan, StoreError> {
        let mut bids = self.bids();
        let id = new_id(&mut bids.next_plan, AuctionPlanId::new)?;
        let created = AuctionPlan {
            id,
            gift_id: plan.gift_id,
            max_bid: plan.max_bid,
            recipient: plan.recipient,
            wanted: plan.wanted,
        };
        bids.plans.insert(id, (user, created.clone()));
        Ok(created)
    }

    async fn list_auction_plans(&self, user: UserId) -> Result<Vec<AuctionPlan>, StoreError> {
        Ok(self
            .bids()
            .plans
            .values()
            .filter(|(owner, _)| *owner == user)
            .map(|(_, plan)| plan.clone())
            .collect())
    }

    async fn delete_auction_plan(
        &self,
        user: UserId,
        plan: AuctionPlanId,
    ) -> Result<bool, StoreError> {
        let mut bids = self.bids();
        if bids
            .plans
            .get(&plan)
            .is_some_and(|(owner, _)| *owner == user)
        {
            bids.plans.remove(&plan);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    async fn bid_budget(&self, user: UserId) -> Result<Stars, StoreError> {
        Ok(self
            .bids()
            .budgets
            .get(&user)
            .copied()
            .unwrap_or(Stars::ZERO))
    }

    async fn set_bid_budget(&self, user: UserId, budget: Stars) -> Result<(), StoreError> {
        self.bids().budgets.insert(user, budget);
        Ok(())
    }
}
