//! The resale market on the database: each user's watches and the resale journal, whose
//! compare-and-set moves make sure a listing is paid for at most once.
//!
//! A unique gift can be bought once, so the journal holds at most one entry per user and slug
//! that is not `failed`. The database enforces that with a unique partial index
//! (`resale_journal_one_live_per_slug`), and planning is one `INSERT ... ON CONFLICT DO
//! NOTHING` under it: of two instances planning the same listing at the same moment, the
//! database lets exactly one row in, on SQLite (one writer at a time) and on PostgreSQL (the
//! second insert waits for the first to commit and then finds the conflict) alike, without
//! explicit locks. Moves between states are single `UPDATE ... WHERE status = from` statements,
//! as in the purchase journal (`journal.rs`).

use async_trait::async_trait;
use giftbuyer_core::ports::{
    JournalStatus, NewWatch, ResaleEntry, ResaleEntryId, ResaleStore, ResaleWatchStore, StoreError,
    UserId, UserWatch, check_resale_move,
};
use giftbuyer_core::resale::{AttributeFilter, ResaleWatch, SnipeBuy, WatchError, WatchId};
use giftbuyer_core::{AccountId, GiftId, Stars, UnixTime};

use crate::db::{RowExt, check_text, from_db_u32, time, to_db_int, with_db};
use crate::journal::{Transition, status_from_code};
use crate::recipient_columns::{recipient_column, recipient_of, recipient_username};
use crate::side_journal::SideJournal;
use crate::{Error, Store};

/// Slugs come from Telegram's listings and are short (`PlushPepe-1234`). A longer one is
/// refused rather than cut: the slug is what gets bought and what keeps an item from being
/// journaled twice, so a stored slug must be exactly the one sent. The bound also keeps every
/// key of the unique index well under PostgreSQL's limit for a B-tree entry (about 2.7 kB).
pub(crate) const MAX_SLUG_LEN: usize = 256;

/// The columns of a watch, with `bought` counted from the journal the way the port defines it:
/// every entry that may have bought something (planned, sending, bought, unknown), that is
/// every entry but a failed one. The condition is written exactly as the partial index
/// `resale_journal_live_by_watch` states it, so that both databases can use the index.
macro_rules! watch_select {
    () => {
        "SELECT w.id, w.user_id, w.gift_id, w.model, w.backdrop, w.symbol, w.max_price, \
         w.channel_id, w.username, w.copies, \
         (SELECT COUNT(*) FROM resale_journal j \
          WHERE j.user_id = w.user_id AND j.watch_id = w.id AND j.status <> 'failed') AS bought \
         FROM resale_watches w"
    };
}

/// The columns of a journal entry.
macro_rules! entry_select {
    () => {
        "SELECT id, user_id, watch_id, account_id, unique_id, gift_id, slug, price, channel_id, username, \
         status, error, updated_at FROM resale_journal"
    };
}

#[async_trait]
impl ResaleStore for Store {
    async fn resale_watches(&self) -> Result<Vec<UserWatch>, StoreError> {
        Ok(all_watches(self).await?)
    }

    async fn plan_resale(
        &self,
        user: UserId,
        buy: &SnipeBuy,
        now: UnixTime,
    ) -> Result<Option<ResaleEntryId>, StoreError> {
        Ok(plan(self, user, buy, now).await?)
    }

    async fn transition_resale(
        &self,
        id: ResaleEntryId,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        check_resale_move(id, from, to)?;
        match SideJournal::Resale
            .transition(self, id.get(), from, to, error, now)
            .await?
        {
            Transition::Moved => Ok(true),
            Transition::Refused => Ok(false),
            Transition::Missing => Err(StoreError::UnknownResaleEntry(id.get())),
        }
    }

    async fn recover_resale(&self, now: UnixTime) -> Result<(u64, u64), StoreError> {
        Ok(SideJournal::Resale.recover(self, now).await?)
    }

    async fn resale_entries(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<ResaleEntry>, StoreError> {
        Ok(entries(self, user, limit).await?)
    }
}

#[async_trait]
impl ResaleWatchStore for Store {
    async fn create_watch(
        &self,
        user: UserId,
        watch: &NewWatch,
    ) -> Result<ResaleWatch, StoreError> {
        Ok(create_watch(self, user, watch).await?)
    }

    async fn list_watches(&self, user: UserId) -> Result<Vec<ResaleWatch>, StoreError> {
        Ok(list_watches(self, user).await?)
    }

    async fn delete_watch(&self, user: UserId, watch: WatchId) -> Result<bool, StoreError> {
        Ok(delete_watch(self, user, watch).await?)
    }
}

async fn create_watch(store: &Store, user: UserId, new: &NewWatch) -> Result<ResaleWatch, Error> {
    // The watch is checked with the core's own rules before anything is written, so a row the
    // store would refuse to read back is never stored. The id is not known yet; any valid one
    // does for the check.
    ResaleWatch::new(
        1,
        new.gift_id.get(),
        new.attributes.clone(),
        new.max_price,
        new.recipient,
        i64::from(new.copies),
    )
    .map_err(invalid_watch)?;
    let max_price = to_db_int("max_price", new.max_price.get())?;
    // Attribute names need no check of their own: an `AttributeFilter` only holds short names
    // without control characters (so without NUL), already trimmed and lowercased.
    let attributes = &new.attributes;
    let id: i64 = with_db!(store.db(), pool => {
        sqlx::query_scalar(
            "INSERT INTO resale_watches (user_id, gift_id, model, backdrop, symbol, max_price, \
             channel_id, copies, created_at, username) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(user.get())
        .bind(new.gift_id.get())
        .bind(attributes.model())
        .bind(attributes.backdrop())
        .bind(attributes.symbol())
        .bind(max_price)
        .bind(recipient_column(new.recipient))
        .bind(i64::from(new.copies))
        // The port passes no time for a watch; the wall clock is good enough for a column
        // that only records when it was made (the order of watches is their id's).
        .bind(crate::migrate::now_secs())
        .bind(recipient_username(new.recipient))
        .fetch_one(pool)
        .await
        .map_err(Error::keys("resale watch", Error::NotFound { what: "user" }))?
    });
    ResaleWatch::new(
        id,
        new.gift_id.get(),
        new.attributes.clone(),
        new.max_price,
        new.recipient,
        i64::from(new.copies),
    )
    .map_err(|e| Error::corrupt("resale watch", e))
}

async fn list_watches(store: &Store, user: UserId) -> Result<Vec<ResaleWatch>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(concat!(watch_select!(), " WHERE w.user_id = $1 ORDER BY w.id"))
            .bind(user.get())
            .fetch_all(pool)
            .await?;
        rows.iter().map(|row| Ok(watch_from_row(row)?.watch)).collect()
    })
}

async fn all_watches(store: &Store) -> Result<Vec<UserWatch>, Error> {
    // One statement, so every watch and its count come from one snapshot of the database.
    with_db!(store.db(), pool => {
        let rows = sqlx::query(concat!(watch_select!(), " ORDER BY w.user_id, w.id"))
            .fetch_all(pool)
            .await?;
        rows.iter().map(watch_from_row).collect()
    })
}

async fn delete_watch(store: &Store, user: UserId, watch: WatchId) -> Result<bool, Error> {
    // The journal keeps the watch's entries: they record money spent, and `watch_id` there is a
    // plain column, not a foreign key.
    let deleted = with_db!(store.db(), pool => {
        sqlx::query("DELETE FROM resale_watches WHERE id = $1 AND user_id = $2")
            .bind(watch.get())
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(deleted > 0)
}

async fn plan(
    store: &Store,
    user: UserId,
    buy: &SnipeBuy,
    now: UnixTime,
) -> Result<Option<ResaleEntryId>, Error> {
    check_slug(&buy.slug)?;
    let price = to_db_int("price", buy.price.get())?;
    // The conflict target names the partial index, so only a live entry for the same slug
    // makes this a no-op; `RETURNING` then yields no row, which is the `None` of the port.
    let id: Option<i64> = with_db!(store.db(), pool => {
        sqlx::query_scalar(
            "INSERT INTO resale_journal (user_id, watch_id, account_id, unique_id, gift_id, \
             slug, price, channel_id, status, created_at, updated_at, username) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) \
             ON CONFLICT (user_id, slug) WHERE status <> 'failed' DO NOTHING \
             RETURNING id",
        )
        .bind(user.get())
        .bind(buy.watch_id.get())
        .bind(buy.account_id.get())
        .bind(buy.unique_id)
        .bind(buy.gift_id.get())
        .bind(buy.slug.as_str())
        .bind(price)
        .bind(recipient_column(buy.recipient))
        .bind(JournalStatus::Planned.code())
        .bind(now.secs())
        .bind(recipient_username(buy.recipient))
        .fetch_optional(pool)
        .await
        .map_err(Error::keys("resale entry", Error::NotFound { what: "user" }))?
    });
    id.map(|id| ResaleEntryId::new(id).map_err(|e| Error::corrupt("resale entry id", e)))
        .transpose()
}

async fn entries(store: &Store, user: UserId, limit: u32) -> Result<Vec<ResaleEntry>, Error> {
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

/// Refuses a slug that could not be journaled exactly as it will be sent: empty, with NUL
/// (which PostgreSQL cannot store in text) or longer than [`MAX_SLUG_LEN`].
fn check_slug(slug: &str) -> Result<(), Error> {
    if slug.is_empty() {
        return Err(Error::Invalid {
            field: "slug",
            reason: "must not be empty".into(),
        });
    }
    check_text("slug", slug, MAX_SLUG_LEN)
}

/// Names the field a watch was refused for, with the core's reason.
fn invalid_watch(error: WatchError) -> Error {
    let field = match error {
        WatchError::Id(_) => "id",
        WatchError::GiftId(_) => "gift_id",
        WatchError::ZeroMaxPrice => "max_price",
        WatchError::Copies(_) => "copies",
        WatchError::Attribute { field } => field,
    };
    Error::Invalid {
        field,
        reason: error.to_string(),
    }
}

fn watch_from_row<R: RowExt>(row: &R) -> Result<UserWatch, Error> {
    let model = row.opt_text("model")?;
    let backdrop = row.opt_text("backdrop")?;
    let symbol = row.opt_text("symbol")?;
    let attributes = AttributeFilter::new(model.as_deref(), backdrop.as_deref(), symbol.as_deref())
        .map_err(|e| Error::corrupt("resale watch attributes", e))?;
    let max_price =
        Stars::from_i64(row.int("max_price")?).map_err(|e| Error::corrupt("max_price", e))?;
    let mut watch = ResaleWatch::new(
        row.int("id")?,
        row.int("gift_id")?,
        attributes,
        max_price,
        recipient_of(row)?,
        row.int("copies")?,
    )
    .map_err(|e| Error::corrupt("resale watch", e))?;
    watch.bought = from_db_u32("bought", row.int("bought")?)?;
    Ok(UserWatch {
        user_id: UserId::new(row.int("user_id")?).map_err(|e| Error::corrupt("user_id", e))?,
        watch,
    })
}

fn entry_from_row<R: RowExt>(row: &R) -> Result<ResaleEntry, Error> {
    let status = row.text("status")?;
    let status = status_from_code(&status)
        .ok_or_else(|| Error::corrupt("status", format!("unknown status {status:?}")))?;
    Ok(ResaleEntry {
        id: ResaleEntryId::new(row.int("id")?).map_err(|e| Error::corrupt("resale entry id", e))?,
        user_id: UserId::new(row.int("user_id")?).map_err(|e| Error::corrupt("user_id", e))?,
        buy: SnipeBuy {
            watch_id: WatchId::new(row.int("watch_id")?)
                .map_err(|e| Error::corrupt("watch_id", e))?,
            account_id: AccountId::new(row.int("account_id")?)
                .map_err(|e| Error::corrupt("account_id", e))?,
            unique_id: row.int("unique_id")?,
            gift_id: GiftId::new(row.int("gift_id")?).map_err(|e| Error::corrupt("gift_id", e))?,
            slug: row.text("slug")?,
            price: Stars::from_i64(row.int("price")?).map_err(|e| Error::corrupt("price", e))?,
            recipient: recipient_of(row)?,
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
    fn slugs_are_refused_rather_than_altered() {
        assert!(check_slug("PlushPepe-1").is_ok());
        assert!(check_slug(&"x".repeat(MAX_SLUG_LEN)).is_ok());
        for bad in ["", "a\0b", &"x".repeat(MAX_SLUG_LEN + 1)] {
            let error = check_slug(bad).expect_err("refused");
            assert!(error.to_string().starts_with("invalid slug: "), "{error}");
        }
    }

    #[test]
    fn refused_watches_name_their_field() {
        let error = invalid_watch(WatchError::Copies(0));
        assert!(
            matches!(
                error,
                Error::Invalid {
                    field: "copies",
                    ..
                }
            ),
            "{error}"
        );
        let error = invalid_watch(WatchError::Attribute { field: "symbol" });
        assert!(error.to_string().starts_with("invalid symbol: "), "{error}");
    }
}
