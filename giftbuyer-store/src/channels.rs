//! A user's targets, the rows of the `channels` table: the recipient (a channel by its Bot API
//! id, the buying account itself, or a person by username), a title, the price and supply
//! bounds that select the gifts bought onto each, and the exclude list of gifts never bought
//! onto it.
//!
//! The table keeps its first name, from when every target was a channel. Each recipient
//! appears at most once in a user's list: the partial unique indexes of migration 8 allow one
//! row per channel, one per username and one for the account itself, so adding or changing a
//! target onto a recipient the list already has is a conflict.

use async_trait::async_trait;
use giftbuyer_core::ports::{NewTarget, PanelStoreError, TargetStore, UserId};
use giftbuyer_core::{Bounds, ExcludeList, Recipient, Target, TargetFilter, TargetRowId, UnixTime};
use sqlx::AssertSqlSafe;

use crate::db::{RowExt, check_text, to_db_int, with_db};
use crate::recipient_columns::{recipient_column, recipient_of, recipient_username};
use crate::{Error, Store};

const MAX_TITLE_LEN: usize = 512;

/// The four bound columns of a filter, each checked against the database's range.
struct FilterColumns([Option<i64>; 4]);

impl FilterColumns {
    fn new(filter: &TargetFilter) -> Result<Self, Error> {
        let column = |field, value: Option<u64>| value.map(|v| to_db_int(field, v)).transpose();
        Ok(Self([
            column("price minimum", filter.price.min())?,
            column("price maximum", filter.price.max())?,
            column("supply minimum", filter.supply.min())?,
            column("supply maximum", filter.supply.max())?,
        ]))
    }
}

/// The columns every target query selects, the ones [`target_from_row`] reads.
pub(crate) const TARGET_COLUMNS: &str = "id, channel_id, username, title, price_min, price_max, \
     supply_min, supply_max, exclude_gift_ids, exclude_kinds";

/// What a conflict or a missing row is called: a duplicate channel keeps the error it always
/// had, and the recipients that came later are named as targets.
fn what(recipient: Recipient) -> &'static str {
    match recipient {
        Recipient::Channel(_) => "channel",
        Recipient::Buyer | Recipient::User(_) => "target",
    }
}

/// An exclude list as its two text columns: comma-separated gift ids and kind codes.
fn exclude_columns(exclude: &ExcludeList) -> (String, String) {
    let ids: Vec<String> = exclude.gift_ids().map(|id| id.get().to_string()).collect();
    let kinds: Vec<&str> = exclude.kinds().iter().map(|kind| kind.code()).collect();
    (ids.join(","), kinds.join(","))
}

fn exclude_from_columns(ids: &str, kinds: &str) -> Result<ExcludeList, Error> {
    let parts = |text: &str| -> Vec<String> {
        text.split(',')
            .filter(|part| !part.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let ids = parts(ids)
        .iter()
        .map(|id| id.parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::corrupt("exclude_gift_ids", e))?;
    let kinds = parts(kinds);
    ExcludeList::from_codes(ids, kinds.iter().map(String::as_str))
        .map_err(|e| Error::corrupt("target exclude list", e))
}

/// A target from a row with the [`TARGET_COLUMNS`]. A recipient that cannot be read (both
/// columns set, a bad channel id or username) is a corrupt row, as any other bad column is.
pub(crate) fn target_from_row<R: RowExt>(row: &R) -> Result<Target, Error> {
    let bounds = |min, max, what| -> Result<Bounds, Error> {
        Bounds::from_i64(row.opt_int(min)?, row.opt_int(max)?, what)
            .map_err(|e| Error::corrupt("target bounds", e))
    };
    Ok(Target {
        row_id: TargetRowId::new(row.int("id")?).map_err(|e| Error::corrupt("target id", e))?,
        recipient: recipient_of(row)?,
        filter: TargetFilter {
            price: bounds("price_min", "price_max", "price")?,
            supply: bounds("supply_min", "supply_max", "supply")?,
        },
        exclude: exclude_from_columns(&row.text("exclude_gift_ids")?, &row.text("exclude_kinds")?)?,
        title: row.opt_text("title")?,
    })
}

async fn add(
    store: &Store,
    user: UserId,
    target: NewTarget,
    now: UnixTime,
) -> Result<TargetRowId, Error> {
    if let Some(title) = &target.title {
        check_text("target title", title, MAX_TITLE_LEN)?;
    }
    let [price_min, price_max, supply_min, supply_max] = FilterColumns::new(&target.filter)?.0;
    let (exclude_ids, exclude_kinds) = exclude_columns(&target.exclude);
    let id = with_db!(store.db(), pool => {
        sqlx::query(
            "INSERT INTO channels (user_id, channel_id, username, title, price_min, price_max, \
             supply_min, supply_max, exclude_gift_ids, exclude_kinds, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(user.get())
        .bind(recipient_column(target.recipient))
        .bind(recipient_username(target.recipient))
        .bind(target.title.as_deref())
        .bind(price_min)
        .bind(price_max)
        .bind(supply_min)
        .bind(supply_max)
        .bind(&exclude_ids)
        .bind(&exclude_kinds)
        .bind(now.secs())
        .fetch_one(pool)
        .await
        .map_err(Error::keys(what(target.recipient), Error::NotFound { what: "user" }))?
        .int("id")?
    });
    TargetRowId::new(id).map_err(|e| Error::corrupt("target id", e))
}

async fn list(store: &Store, user: UserId) -> Result<Vec<Target>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TARGET_COLUMNS} FROM channels WHERE user_id = $1 ORDER BY id"
        )))
        .bind(user.get())
        .fetch_all(pool)
        .await?;
        rows.iter().map(target_from_row).collect()
    })
}

async fn update(store: &Store, user: UserId, target: &Target) -> Result<(), Error> {
    if let Some(title) = &target.title {
        check_text("target title", title, MAX_TITLE_LEN)?;
    }
    let [price_min, price_max, supply_min, supply_max] = FilterColumns::new(&target.filter)?.0;
    let (exclude_ids, exclude_kinds) = exclude_columns(&target.exclude);
    // Both recipient columns are written, so a target may change kind (a channel becoming the
    // account itself, say) and never keeps a stale value in the other column.
    let updated = with_db!(store.db(), pool => {
        sqlx::query(
            "UPDATE channels SET channel_id = $1, username = $2, title = $3, price_min = $4, \
             price_max = $5, supply_min = $6, supply_max = $7, exclude_gift_ids = $8, \
             exclude_kinds = $9 WHERE id = $10 AND user_id = $11",
        )
        .bind(recipient_column(target.recipient))
        .bind(recipient_username(target.recipient))
        .bind(target.title.as_deref())
        .bind(price_min)
        .bind(price_max)
        .bind(supply_min)
        .bind(supply_max)
        .bind(&exclude_ids)
        .bind(&exclude_kinds)
        .bind(target.row_id.get())
        .bind(user.get())
        .execute(pool)
        .await
        .map_err(Error::unique(what(target.recipient)))?
        .rows_affected()
    });
    if updated == 0 {
        return Err(Error::NotFound {
            what: what(target.recipient),
        });
    }
    Ok(())
}

async fn delete(store: &Store, user: UserId, target: TargetRowId) -> Result<bool, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM channels WHERE id = $1 AND user_id = $2")
            .bind(target.get())
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
            > 0)
    })
}

#[async_trait]
impl TargetStore for Store {
    async fn add_target(
        &self,
        user: UserId,
        target: NewTarget,
        now: UnixTime,
    ) -> Result<TargetRowId, PanelStoreError> {
        Ok(add(self, user, target, now).await?)
    }

    async fn targets(&self, user: UserId) -> Result<Vec<Target>, PanelStoreError> {
        Ok(list(self, user).await?)
    }

    async fn update_target(&self, user: UserId, target: &Target) -> Result<(), PanelStoreError> {
        Ok(update(self, user, target).await?)
    }

    async fn delete_target(
        &self,
        user: UserId,
        target: TargetRowId,
    ) -> Result<bool, PanelStoreError> {
        Ok(delete(self, user, target).await?)
    }
}
