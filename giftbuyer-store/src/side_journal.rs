//! What the resale journal and the bid journal share: the compare-and-set move of one entry and
//! the recovery after a crash. Both tables have `id`, `status`, `error` and `updated_at`; the
//! statements are spelled out per table, so no SQL is ever built from text at run time.

use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::JournalStatus;

use crate::db::{BeginWrite, with_db};
use crate::journal::{Transition, clean_error};
use crate::{Error, Store};

/// A journal beside the purchase journal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SideJournal {
    Resale,
    Bids,
}

impl SideJournal {
    const fn move_one(self) -> &'static str {
        match self {
            Self::Resale => {
                "UPDATE resale_journal SET status = $1, error = $2, updated_at = $3 \
                 WHERE id = $4 AND status = $5"
            }
            Self::Bids => {
                "UPDATE bid_journal SET status = $1, error = $2, updated_at = $3 \
                 WHERE id = $4 AND status = $5"
            }
        }
    }

    const fn exists(self) -> &'static str {
        match self {
            Self::Resale => "SELECT 1 AS one FROM resale_journal WHERE id = $1",
            Self::Bids => "SELECT 1 AS one FROM bid_journal WHERE id = $1",
        }
    }

    const fn move_all(self) -> &'static str {
        match self {
            Self::Resale => {
                "UPDATE resale_journal SET status = $1, error = $2, updated_at = $3 \
                 WHERE status = $4"
            }
            Self::Bids => {
                "UPDATE bid_journal SET status = $1, error = $2, updated_at = $3 \
                 WHERE status = $4"
            }
        }
    }

    /// Moves entry `id` from `from` to `to` if it is in `from`.
    pub(crate) async fn transition(
        self,
        store: &Store,
        id: i64,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<Transition, Error> {
        let error = error.map(clean_error);
        with_db!(store.db(), pool => {
            let moved = sqlx::query(self.move_one())
                .bind(to.code())
                .bind(error.as_deref())
                .bind(now.secs())
                .bind(id)
                .bind(from.code())
                .execute(pool)
                .await?
                .rows_affected();
            if moved > 0 {
                return Ok(Transition::Moved);
            }
            let exists = sqlx::query(self.exists())
                .bind(id)
                .fetch_optional(pool)
                .await?
                .is_some();
            Ok(if exists { Transition::Refused } else { Transition::Missing })
        })
    }

    /// Closes what a crash left open, with the purchase journal's reasons: `sending` becomes
    /// `unknown` (it may have gone through and is never sent again) and `planned` becomes
    /// `failed` (abandoned before sending, so it may be planned again). Returns how many of
    /// each, in one transaction.
    pub(crate) async fn recover(self, store: &Store, now: UnixTime) -> Result<(u64, u64), Error> {
        with_db!(store.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let mut counts = [0; 2];
            for (count, (from, to, reason)) in counts.iter_mut().zip([
                (JournalStatus::Sending, JournalStatus::Unknown, "interrupted"),
                (JournalStatus::Planned, JournalStatus::Failed, "abandoned"),
            ]) {
                *count = sqlx::query(self.move_all())
                    .bind(to.code())
                    .bind(reason)
                    .bind(now.secs())
                    .bind(from.code())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok((counts[0], counts[1]))
        })
    }
}
