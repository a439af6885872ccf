//! Gift auctions on the database: each user's auction plans and bidding budget, and the bid
//! journal, whose rules and compare-and-set moves make sure a bid is sent at most once and
//! never above its plan's maximum.
//!
//! Planning a bid is one write transaction. It reads the plan (on PostgreSQL with `FOR UPDATE`,
//! so two instances planning for one plan take turns) to check that the plan is the user's,
//! names the bid's gift and allows its total, and then inserts with `ON CONFLICT DO NOTHING`
//! under two unique partial indexes: one live entry per user, account, gift and total
//! (`bid_journal_one_live_per_total`) and one open entry per user, account and gift
//! (`bid_journal_one_open_per_gift`). The indexes are what makes the rules hold between
//! instances racing on one database: on SQLite only one writer runs at a time, and on
//! PostgreSQL the second insert waits for the first to commit and then finds the conflict.
//! Moves between states are single `UPDATE ... WHERE status = from` statements, as in the
//! purchase journal (`journal.rs`).
//!
//! Bids form chains: a first bid starts one (its `chain_id` is its own id) and a raise joins
//! the chain of the newest entry of the same user, account and gift that did not fail. What a
//! user's bids hold is the sum over their chains of each chain's highest total that did not
//! fail, computed in the same statement that reads the plans.

use async_trait::async_trait;
use giftbuyer_core::bidding::{AuctionPlan, AuctionPlanError, AuctionPlanId};
use giftbuyer_core::ports::{
    AuctionPlanStore, BidEntry, BidEntryId, BidStore, JournalStatus, NewAuctionPlan, PlannedBid,
    StoreError, UserAuctionPlan, UserId, check_bid_move,
};
use giftbuyer_core::{AccountId, GiftId, Stars, UnixTime};

use crate::db::{BeginWrite, RowExt, time, to_db_int, with_db};
use crate::journal::{Transition, status_from_code};
use crate::recipient_columns::{recipient_column, recipient_of, recipient_username};
use crate::side_journal::SideJournal;
use crate::{Error, Store};

/// The columns of a plan.
macro_rules! plan_columns {
    () => {
        "p.id, p.user_id, p.gift_id, p.max_bid, p.channel_id, p.username, p.wanted"
    };
}

/// Every plan with its user's budget, what the user's bids hold and the account of the plan's
/// newest bid that did not fail. Only the journals of users with plans are summed. `SUM` is
/// cast back to `BIGINT` (PostgreSQL sums into `numeric`): a sum beyond its range is an error
/// on both databases, never a wrapped value.
const ALL_PLANS: &str = concat!(
    "WITH chains AS (SELECT user_id, MAX(total) AS top FROM bid_journal \
     WHERE status <> 'failed' AND user_id IN (SELECT user_id FROM auction_plans) \
     GROUP BY user_id, chain_id), \
     held AS (SELECT user_id, CAST(SUM(top) AS BIGINT) AS committed FROM chains \
     GROUP BY user_id) \
     SELECT ",
    plan_columns!(),
    ", COALESCE(b.budget, 0) AS budget, COALESCE(h.committed, 0) AS committed, \
     (SELECT j.account_id FROM bid_journal j \
      WHERE j.user_id = p.user_id AND j.plan_id = p.id AND j.status <> 'failed' \
      ORDER BY j.id DESC LIMIT 1) AS account_id \
     FROM auction_plans p \
     LEFT JOIN bid_budgets b ON b.user_id = p.user_id \
     LEFT JOIN held h ON h.user_id = p.user_id \
     ORDER BY p.user_id, p.id"
);

/// The plan a bid is planned under, on SQLite (where the write transaction already excludes
/// every other writer).
const PLAN_FOR_BID_SQLITE: &str =
    "SELECT gift_id, max_bid FROM auction_plans WHERE id = $1 AND user_id = $2";

/// The same on PostgreSQL, locking the plan's row until the transaction ends.
const PLAN_FOR_BID_POSTGRES: &str =
    "SELECT gift_id, max_bid FROM auction_plans WHERE id = $1 AND user_id = $2 FOR UPDATE";

/// The columns of a journal entry.
macro_rules! entry_select {
    () => {
        "SELECT id, user_id, plan_id, account_id, gift_id, channel_id, username, total, standing, status, \
         error, updated_at FROM bid_journal"
    };
}

#[async_trait]
impl BidStore for Store {
    async fn auction_plans(&self) -> Result<Vec<UserAuctionPlan>, StoreError> {
        Ok(all_plans(self).await?)
    }

    async fn plan_bid(
        &self,
        user: UserId,
        bid: &PlannedBid,
        now: UnixTime,
    ) -> Result<Option<BidEntryId>, StoreError> {
        Ok(plan(self, user, bid, now).await?)
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
        match SideJournal::Bids
            .transition(self, id.get(), from, to, error, now)
            .await?
        {
            Transition::Moved => Ok(true),
            Transition::Refused => Ok(false),
            Transition::Missing => Err(StoreError::UnknownBidEntry(id.get())),
        }
    }

    async fn recover_bids(&self, now: UnixTime) -> Result<(u64, u64), StoreError> {
        Ok(SideJournal::Bids.recover(self, now).await?)
    }

    async fn bid_entries(&self, user: UserId, limit: u32) -> Result<Vec<BidEntry>, StoreError> {
        Ok(entries(self, user, limit).await?)
    }
}

#[async_trait]
impl AuctionPlanStore for Store {
    async fn create_auction_plan(
        &self,
        user: UserId,
        plan: &NewAuctionPlan,
    ) -> Result<AuctionPlan, StoreError> {
        Ok(create_plan(self, user, plan).await?)
    }

    async fn list_auction_plans(&self, user: UserId) -> Result<Vec<AuctionPlan>, StoreError> {
        Ok(list_plans(self, user).await?)
    }

    async fn delete_auction_plan(
        &self,
        user: UserId,
        plan: AuctionPlanId,
    ) -> Result<bool, StoreError> {
        Ok(delete_plan(self, user, plan).await?)
    }

    async fn bid_budget(&self, user: UserId) -> Result<Stars, StoreError> {
        Ok(budget(self, user).await?)
    }

    async fn set_bid_budget(&self, user: UserId, budget: Stars) -> Result<(), StoreError> {
        Ok(set_budget(self, user, budget).await?)
    }
}

async fn create_plan(
    store: &Store,
    user: UserId,
    new: &NewAuctionPlan,
) -> Result<AuctionPlan, Error> {
    // The plan is checked with the core's own rules before anything is written, so a row the
    // store would refuse to read back is never stored. The id is not known yet; any valid one
    // does for the check.
    let checked = |id| {
        AuctionPlan::new(
            id,
            new.gift_id.get(),
            new.max_bid,
            new.recipient,
            i64::from(new.wanted),
        )
    };
    checked(1).map_err(invalid_plan)?;
    let max_bid = to_db_int("max_bid", new.max_bid.get())?;
    let id: i64 = with_db!(store.db(), pool => {
        sqlx::query_scalar(
            "INSERT INTO auction_plans (user_id, gift_id, max_bid, channel_id, wanted, \
             created_at, username) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(user.get())
        .bind(new.gift_id.get())
        .bind(max_bid)
        .bind(recipient_column(new.recipient))
        .bind(i64::from(new.wanted))
        // The port passes no time for a plan; the wall clock is good enough for a column that
        // only records when it was made (the order of plans is their id's).
        .bind(crate::migrate::now_secs())
        .bind(recipient_username(new.recipient))
        .fetch_one(pool)
        .await
        .map_err(Error::keys("auction plan", Error::NotFound { what: "user" }))?
    });
    checked(id).map_err(|e| Error::corrupt("auction plan", e))
}

async fn list_plans(store: &Store, user: UserId) -> Result<Vec<AuctionPlan>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(concat!(
            "SELECT ",
            plan_columns!(),
            " FROM auction_plans p WHERE p.user_id = $1 ORDER BY p.id"
        ))
        .bind(user.get())
        .fetch_all(pool)
        .await?;
        rows.iter().map(plan_from_row).collect()
    })
}

async fn all_plans(store: &Store) -> Result<Vec<UserAuctionPlan>, Error> {
    // One statement, so every plan and the sums around it come from one snapshot.
    with_db!(store.db(), pool => {
        let rows = sqlx::query(ALL_PLANS).fetch_all(pool).await?;
        rows.iter().map(user_plan_from_row).collect()
    })
}

async fn delete_plan(store: &Store, user: UserId, plan: AuctionPlanId) -> Result<bool, Error> {
    // The journal keeps the plan's bids: they hold or spent stars, and `plan_id` there is a
    // plain column, not a foreign key.
    let deleted = with_db!(store.db(), pool => {
        sqlx::query("DELETE FROM auction_plans WHERE id = $1 AND user_id = $2")
            .bind(plan.get())
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(deleted > 0)
}

async fn budget(store: &Store, user: UserId) -> Result<Stars, Error> {
    let budget: Option<i64> = with_db!(store.db(), pool => {
        sqlx::query_scalar("SELECT budget FROM bid_budgets WHERE user_id = $1")
            .bind(user.get())
            .fetch_optional(pool)
            .await?
    });
    budget.map_or(Ok(Stars::ZERO), |budget| {
        Stars::from_i64(budget).map_err(|e| Error::corrupt("bid budget", e))
    })
}

async fn set_budget(store: &Store, user: UserId, budget: Stars) -> Result<(), Error> {
    let budget = to_db_int("budget", budget.get())?;
    with_db!(store.db(), pool => {
        sqlx::query(
            "INSERT INTO bid_budgets (user_id, budget, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET budget = excluded.budget, \
             updated_at = excluded.updated_at",
        )
        .bind(user.get())
        .bind(budget)
        // As for a plan's creation, the port passes no time; this column is bookkeeping only.
        .bind(crate::migrate::now_secs())
        .execute(pool)
        .await
        .map_err(Error::keys("bid budget", Error::NotFound { what: "user" }))?;
    });
    Ok(())
}

async fn plan(
    store: &Store,
    user: UserId,
    bid: &PlannedBid,
    now: UnixTime,
) -> Result<Option<BidEntryId>, Error> {
    // A total the database cannot hold is above every plan's maximum (maxima are stored
    // there), so the rule refuses it like any other total above the maximum.
    let Ok(total) = to_db_int("total", bid.total.get()) else {
        return Ok(None);
    };
    let standing = bid
        .standing
        .map(|standing| to_db_int("standing", standing.get()))
        .transpose()?;
    let id: Option<i64> = with_db!(store.db(), pool, backend => {
        let mut tx = pool.begin_write().await?;
        let row = sqlx::query(backend.pick(PLAN_FOR_BID_SQLITE, PLAN_FOR_BID_POSTGRES))
            .bind(bid.plan_id.get())
            .bind(user.get())
            .fetch_optional(&mut *tx)
            .await?;
        // A plan that is gone (or another user's, which looks the same) allows nothing, and a
        // plan allows bids only in its own gift's auction and only up to its maximum, whatever
        // the caller computed.
        let allowed = match &row {
            Some(row) => {
                let max_bid = Stars::from_i64(row.int("max_bid")?)
                    .map_err(|e| Error::corrupt("max_bid", e))?;
                row.int("gift_id")? == bid.gift_id.get() && bid.total <= max_bid
            }
            None => false,
        };
        if !allowed {
            tx.rollback().await?;
            return Ok(None);
        }
        // A raise joins the chain of the newest bid that did not fail. A raise with no such
        // bid (one placed outside GiftBuyer, or journaled before a crash as failed) starts a
        // chain of its own, so its total is still counted in full.
        let chain: Option<i64> = if bid.raise() {
            let newest = sqlx::query(
                "SELECT chain_id FROM bid_journal \
                 WHERE user_id = $1 AND account_id = $2 AND gift_id = $3 \
                 AND status <> 'failed' ORDER BY id DESC LIMIT 1",
            )
            .bind(user.get())
            .bind(bid.account_id.get())
            .bind(bid.gift_id.get())
            .fetch_optional(&mut *tx)
            .await?;
            match newest {
                Some(row) => Some(
                    row.opt_int("chain_id")?
                        .ok_or_else(|| Error::corrupt("chain_id", "missing"))?,
                ),
                None => None,
            }
        } else {
            None
        };
        // Without a conflict target, `DO NOTHING` covers both unique partial indexes: a live
        // entry with the same total or an open entry for the same gift makes this a no-op, and
        // `RETURNING` then yields no row.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO bid_journal (user_id, plan_id, account_id, gift_id, channel_id, total, \
             standing, chain_id, status, created_at, updated_at, username) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(user.get())
        .bind(bid.plan_id.get())
        .bind(bid.account_id.get())
        .bind(bid.gift_id.get())
        .bind(recipient_column(bid.recipient))
        .bind(total)
        .bind(standing)
        .bind(chain)
        .bind(JournalStatus::Planned.code())
        .bind(now.secs())
        .bind(recipient_username(bid.recipient))
        .fetch_optional(&mut *tx)
        .await
        .map_err(Error::keys("bid entry", Error::NotFound { what: "user" }))?;
        match id {
            Some(id) => {
                if chain.is_none() {
                    sqlx::query("UPDATE bid_journal SET chain_id = id WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            None => tx.rollback().await?,
        }
        id
    });
    id.map(|id| BidEntryId::new(id).map_err(|e| Error::corrupt("bid entry id", e)))
        .transpose()
}

async fn entries(store: &Store, user: UserId, limit: u32) -> Result<Vec<BidEntry>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(concat!(
            entry_select!(),
            " WHERE user_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(user.get())
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    })
}

/// Names the field a plan was refused for, with the core's reason.
fn invalid_plan(error: AuctionPlanError) -> Error {
    let field = match error {
        AuctionPlanError::Id(_) => "id",
        AuctionPlanError::GiftId(_) => "gift_id",
        AuctionPlanError::ZeroMaxBid => "max_bid",
        AuctionPlanError::Wanted(_) => "wanted",
    };
    Error::Invalid {
        field,
        reason: error.to_string(),
    }
}

fn stars(field: &'static str, value: i64) -> Result<Stars, Error> {
    Stars::from_i64(value).map_err(|e| Error::corrupt(field, e))
}

fn plan_from_row<R: RowExt>(row: &R) -> Result<AuctionPlan, Error> {
    AuctionPlan::new(
        row.int("id")?,
        row.int("gift_id")?,
        stars("max_bid", row.int("max_bid")?)?,
        recipient_of(row)?,
        row.int("wanted")?,
    )
    .map_err(|e| Error::corrupt("auction plan", e))
}

fn user_plan_from_row<R: RowExt>(row: &R) -> Result<UserAuctionPlan, Error> {
    Ok(UserAuctionPlan {
        user_id: UserId::new(row.int("user_id")?).map_err(|e| Error::corrupt("user_id", e))?,
        plan: plan_from_row(row)?,
        budget: stars("budget", row.int("budget")?)?,
        committed: stars("committed", row.int("committed")?)?,
        account_id: row
            .opt_int("account_id")?
            .map(|id| AccountId::new(id).map_err(|e| Error::corrupt("account_id", e)))
            .transpose()?,
    })
}

fn entry_from_row<R: RowExt>(row: &R) -> Result<BidEntry, Error> {
    let status = row.text("status")?;
    let status = status_from_code(&status)
        .ok_or_else(|| Error::corrupt("status", format!("unknown status {status:?}")))?;
    Ok(BidEntry {
        id: BidEntryId::new(row.int("id")?).map_err(|e| Error::corrupt("bid entry id", e))?,
        user_id: UserId::new(row.int("user_id")?).map_err(|e| Error::corrupt("user_id", e))?,
        bid: PlannedBid {
            plan_id: AuctionPlanId::new(row.int("plan_id")?)
                .map_err(|e| Error::corrupt("plan_id", e))?,
            gift_id: GiftId::new(row.int("gift_id")?).map_err(|e| Error::corrupt("gift_id", e))?,
            account_id: AccountId::new(row.int("account_id")?)
                .map_err(|e| Error::corrupt("account_id", e))?,
            recipient: recipient_of(row)?,
            total: stars("total", row.int("total")?)?,
            standing: row
                .opt_int("standing")?
                .map(|standing| stars("standing", standing))
                .transpose()?,
        },
        status,
        error: row.opt_text("error")?,
        updated_at: time("updated_at", row.int("updated_at")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_plans_name_their_field() {
        let error = invalid_plan(AuctionPlanError::Wanted(0));
        assert!(
            matches!(
                error,
                Error::Invalid {
                    field: "wanted",
                    ..
                }
            ),
            "{error}"
        );
        let error = invalid_plan(AuctionPlanError::ZeroMaxBid);
        assert!(
            error.to_string().starts_with("invalid max_bid: "),
            "{error}"
        );
    }
}
