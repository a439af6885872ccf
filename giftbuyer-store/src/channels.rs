//! A user's channels: the Bot API id, a title, the price and supply bounds that select the
//! gifts bought onto each, and the exclude list of gifts never bought onto it.

use async_trait::async_trait;
use giftbuyer_core::ports::{ChannelStore, NewChannel, PanelStoreError, UserId};
use giftbuyer_core::{
    Bounds, Channel, ChannelFilter, ChannelId, ChannelRowId, ExcludeList, UnixTime,
};
use sqlx::AssertSqlSafe;

use crate::db::{RowExt, check_text, to_db_int, with_db};
use crate::{Error, Store};

const MAX_TITLE_LEN: usize = 512;

/// The four bound columns of a filter, each checked against the database's range.
struct FilterColumns([Option<i64>; 4]);

impl FilterColumns {
    fn new(filter: &ChannelFilter) -> Result<Self, Error> {
        let column = |field, value: Option<u64>| value.map(|v| to_db_int(field, v)).transpose();
        Ok(Self([
            column("price minimum", filter.price.min())?,
            column("price maximum", filter.price.max())?,
            column("supply minimum", filter.supply.min())?,
            column("supply maximum", filter.supply.max())?,
        ]))
    }
}

/// The columns every channel query selects, in the order [`channel_from_row`] reads them.
pub(crate) const CHANNEL_COLUMNS: &str = "id, channel_id, title, price_min, price_max, supply_min, \
     supply_max, exclude_gift_ids, exclude_kinds";

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
        .map_err(|e| Error::corrupt("channel exclude list", e))
}

pub(crate) fn channel_from_row<R: RowExt>(row: &R) -> Result<Channel, Error> {
    let bounds = |min, max, what| -> Result<Bounds, Error> {
        Bounds::from_i64(row.opt_int(min)?, row.opt_int(max)?, what)
            .map_err(|e| Error::corrupt("channel bounds", e))
    };
    Ok(Channel {
        row_id: ChannelRowId::new(row.int("id")?).map_err(|e| Error::corrupt("channel id", e))?,
        channel_id: ChannelId::new(row.int("channel_id")?)
            .map_err(|e| Error::corrupt("channel_id", e))?,
        filter: ChannelFilter {
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
    channel: NewChannel,
    now: UnixTime,
) -> Result<ChannelRowId, Error> {
    if let Some(title) = &channel.title {
        check_text("channel title", title, MAX_TITLE_LEN)?;
    }
    let [price_min, price_max, supply_min, supply_max] = FilterColumns::new(&channel.filter)?.0;
    let (exclude_ids, exclude_kinds) = exclude_columns(&channel.exclude);
    let id = with_db!(store.db(), pool => {
        sqlx::query(
            "INSERT INTO channels (user_id, channel_id, title, price_min, price_max, supply_min, \
             supply_max, exclude_gift_ids, exclude_kinds, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(user.get())
        .bind(channel.channel_id.get())
        .bind(channel.title.as_deref())
        .bind(price_min)
        .bind(price_max)
        .bind(supply_min)
        .bind(supply_max)
        .bind(&exclude_ids)
        .bind(&exclude_kinds)
        .bind(now.secs())
        .fetch_one(pool)
        .await
        .map_err(Error::keys("channel", Error::NotFound { what: "user" }))?
        .int("id")?
    });
    ChannelRowId::new(id).map_err(|e| Error::corrupt("channel id", e))
}

async fn list(store: &Store, user: UserId) -> Result<Vec<Channel>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE user_id = $1 ORDER BY id"
        )))
        .bind(user.get())
        .fetch_all(pool)
        .await?;
        rows.iter().map(channel_from_row).collect()
    })
}

async fn update(store: &Store, user: UserId, channel: &Channel) -> Result<(), Error> {
    if let Some(title) = &channel.title {
        check_text("channel title", title, MAX_TITLE_LEN)?;
    }
    let [price_min, price_max, supply_min, supply_max] = FilterColumns::new(&channel.filter)?.0;
    let (exclude_ids, exclude_kinds) = exclude_columns(&channel.exclude);
    let updated = with_db!(store.db(), pool => {
        sqlx::query(
            "UPDATE channels SET channel_id = $1, title = $2, price_min = $3, price_max = $4, \
             supply_min = $5, supply_max = $6, exclude_gift_ids = $7, exclude_kinds = $8 \
             WHERE id = $9 AND user_id = $10",
        )
        .bind(channel.channel_id.get())
        .bind(channel.title.as_deref())
        .bind(price_min)
        .bind(price_max)
        .bind(supply_min)
        .bind(supply_max)
        .bind(&exclude_ids)
        .bind(&exclude_kinds)
        .bind(channel.row_id.get())
        .bind(user.get())
        .execute(pool)
        .await
        .map_err(Error::unique("channel"))?
        .rows_affected()
    });
    if updated == 0 {
        return Err(Error::NotFound { what: "channel" });
    }
    Ok(())
}

async fn delete(store: &Store, user: UserId, channel: ChannelRowId) -> Result<bool, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM channels WHERE id = $1 AND user_id = $2")
            .bind(channel.get())
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
            > 0)
    })
}

#[async_trait]
impl ChannelStore for Store {
    async fn add_channel(
        &self,
        user: UserId,
        channel: NewChannel,
        now: UnixTime,
    ) -> Result<ChannelRowId, PanelStoreError> {
        Ok(add(self, user, channel, now).await?)
    }

    async fn channels(&self, user: UserId) -> Result<Vec<Channel>, PanelStoreError> {
        Ok(list(self, user).await?)
    }

    async fn update_channel(&self, user: UserId, channel: &Channel) -> Result<(), PanelStoreError> {
        Ok(update(self, user, channel).await?)
    }

    async fn delete_channel(
        &self,
        user: UserId,
        channel: ChannelRowId,
    ) -> Result<bool, PanelStoreError> {
        Ok(delete(self, user, channel).await?)
    }
}
