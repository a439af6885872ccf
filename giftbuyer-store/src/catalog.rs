//! The known catalog: recording each fetched catalog (what is new, what sold out, how the
//! remaining counts moved) and reading it back for the panel.
//!
//! The diff is computed in Rust from the stored state, walking the catalog in order exactly as
//! the in-memory store does, so both stores agree on every corner (duplicate entries, invalid
//! ids, gifts that come back from sold out). The whole recording is one transaction that
//! concurrent recorders queue for, so two instances never both see the same gift as new.

use std::collections::HashMap;

use async_trait::async_trait;
use giftbuyer_core::ports::{
    CatalogDiff, CatalogStore, KnownGift, PanelStoreError, RemainingPoint,
};
use giftbuyer_core::{CatalogGift, GiftAuction, GiftId, StickerRef, UnixTime};
use sqlx::AssertSqlSafe;

use crate::db::{Backend, BeginWrite, RowExt, check_text, opt_time, time, values_list, with_db};
use crate::{Error, Store};

/// Serialises catalog recordings across PostgreSQL instances (SQLite's `BEGIN IMMEDIATE`
/// already does on one file).
const CATALOG_LOCK_KEY: i64 = 0x6769_6674_6361_7401;
const GIFT_COLUMNS: usize = 21;
const GIFT_CHUNK: usize = 50;
const HISTORY_CHUNK: usize = 200;
/// Titles are untrusted; anything longer is cut rather than refused.
const MAX_TITLE_CHARS: usize = 256;

/// What the store remembers of a gift between recordings.
struct Known {
    sold_out: bool,
    remaining: Option<i64>,
    sold_out_at: Option<i64>,
}

/// One gift row to upsert: the last sighting of that id in this catalog.
struct GiftWrite<'a> {
    gift: &'a CatalogGift,
    sold_out: bool,
    sold_out_at: Option<i64>,
}

/// Whether a catalog entry counts as sold out: Telegram's flag, or a limited gift with nothing
/// left. This is the in-memory store's rule.
fn is_sold_out(gift: &CatalogGift) -> bool {
    gift.sold_out || (gift.limited && gift.remaining == Some(0))
}

pub(crate) async fn record(
    store: &Store,
    gifts: &[CatalogGift],
    seen_at: UnixTime,
) -> Result<CatalogDiff, Error> {
    let seen = seen_at.secs();
    with_db!(store.db(), pool, backend => {
        let mut tx = pool.begin_write().await?;
        if backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(CATALOG_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
        }
        let first_run = sqlx::query("SELECT seeded_at FROM catalog_state WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
            .is_none();
        sqlx::query(
            "INSERT INTO catalog_state (id, seeded_at, recorded_at) VALUES (1, $1, $1) \
             ON CONFLICT (id) DO UPDATE SET recorded_at = excluded.recorded_at",
        )
        .bind(seen)
        .execute(&mut *tx)
        .await?;
        let mut known = HashMap::new();
        for row in sqlx::query("SELECT id, sold_out, remaining, sold_out_at FROM gifts")
            .fetch_all(&mut *tx)
            .await?
        {
            known.insert(
                row.int("id")?,
                Known {
                    sold_out: row.flag("sold_out")?,
                    remaining: row.opt_int("remaining")?,
                    sold_out_at: row.opt_int("sold_out_at")?,
                },
            );
        }

        let plan = diff(first_run, gifts, seen, &mut known);

        for chunk in plan.writes.chunks(GIFT_CHUNK) {
            let sql = format!(
                "INSERT INTO gifts (id, price, limited, sold_out_flag, sold_out, supply, \
                 remaining, require_premium, title, sticker_document_id, sticker_access_hash, \
                 sticker_file_reference, sticker_dc_id, sticker_size, first_seen, last_seen, \
                 sold_out_at, auction_slug, auction_gifts_per_round, auction_start_date, \
                 birthday) VALUES {} \
                 ON CONFLICT (id) DO UPDATE SET price = excluded.price, \
                 limited = excluded.limited, sold_out_flag = excluded.sold_out_flag, \
                 sold_out = excluded.sold_out, supply = excluded.supply, \
                 remaining = excluded.remaining, require_premium = excluded.require_premium, \
                 title = excluded.title, \
                 sticker_cache_path = CASE WHEN gifts.sticker_document_id = \
                     excluded.sticker_document_id THEN gifts.sticker_cache_path ELSE NULL END, \
                 sticker_document_id = excluded.sticker_document_id, \
                 sticker_access_hash = excluded.sticker_access_hash, \
                 sticker_file_reference = excluded.sticker_file_reference, \
                 sticker_dc_id = excluded.sticker_dc_id, sticker_size = excluded.sticker_size, \
                 last_seen = excluded.last_seen, sold_out_at = excluded.sold_out_at, \
                 auction_slug = excluded.auction_slug, \
                 auction_gifts_per_round = excluded.auction_gifts_per_round, \
                 auction_start_date = excluded.auction_start_date, \
                 birthday = excluded.birthday",
                values_list(backend, chunk.len(), GIFT_COLUMNS)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for write in chunk {
                let gift = write.gift;
                let sticker = gift.sticker.as_ref();
                let auction = gift.auction.as_ref();
                query = query
                    .bind(gift.id)
                    .bind(gift.price)
                    .bind(gift.limited)
                    .bind(gift.sold_out)
                    .bind(write.sold_out)
                    .bind(gift.supply)
                    .bind(gift.remaining)
                    .bind(gift.require_premium)
                    .bind(gift.title.as_deref().map(clean_title))
                    .bind(sticker.map(|s| s.document_id))
                    .bind(sticker.map(|s| s.access_hash))
                    .bind(sticker.map(|s| s.file_reference.clone()))
                    .bind(sticker.map(|s| i64::from(s.dc_id)))
                    .bind(sticker.map(|s| s.size))
                    .bind(seen)
                    .bind(seen)
                    .bind(write.sold_out_at)
                    .bind(auction.map(|a| clean_title(&a.slug)))
                    .bind(auction.map(|a| a.gifts_per_round))
                    .bind(auction.map(|a| a.start_date))
                    .bind(gift.birthday);
            }
            query.execute(&mut *tx).await?;
        }
        for chunk in plan.history.chunks(HISTORY_CHUNK) {
            let sql = format!(
                "INSERT INTO gift_remaining (gift_id, at, remaining) VALUES {} \
                 ON CONFLICT (gift_id, at) DO UPDATE SET remaining = excluded.remaining",
                values_list(backend, chunk.len(), 3)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for &(gift_id, remaining) in chunk {
                query = query.bind(gift_id).bind(seen).bind(remaining);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(plan.diff)
    })
}

/// The diff of one recording and the rows it writes.
struct Plan<'a> {
    diff: CatalogDiff,
    writes: Vec<GiftWrite<'a>>,
    /// (gift id, remaining) points to append, one per gift whose count changed.
    history: Vec<(i64, i64)>,
}

/// Walks the catalog in order against the known state, updating it as it goes, exactly as the
/// in-memory store does; entries with invalid ids are skipped (they cannot be keyed).
fn diff<'a>(
    first_run: bool,
    gifts: &'a [CatalogGift],
    seen: i64,
    known: &mut HashMap<i64, Known>,
) -> Plan<'a> {
    let mut plan = Plan {
        diff: CatalogDiff {
            first_run,
            ..CatalogDiff::default()
        },
        writes: Vec::new(),
        history: Vec::new(),
    };
    // Position of each id in `writes` and `history`, so a repeated id rewrites its slot: one
    // multi-row upsert may not touch the same row twice.
    let mut write_slot: HashMap<i64, usize> = HashMap::new();
    let mut history_slot: HashMap<i64, usize> = HashMap::new();
    for gift in gifts {
        let Ok(id) = GiftId::new(gift.id) else {
            continue;
        };
        let sold_out = is_sold_out(gift);
        let (sold_out_at, remaining_changed) = match known.get_mut(&gift.id) {
            Some(entry) => {
                let sold_out_at = if sold_out && !entry.sold_out {
                    plan.diff.sold_out.push(id);
                    Some(seen)
                } else if sold_out {
                    entry.sold_out_at
                } else {
                    None
                };
                let changed = entry.remaining != gift.remaining;
                *entry = Known {
                    sold_out,
                    remaining: gift.remaining,
                    sold_out_at,
                };
                (sold_out_at, changed)
            }
            None => {
                known.insert(
                    gift.id,
                    Known {
                        sold_out,
                        remaining: gift.remaining,
                        sold_out_at: None,
                    },
                );
                if !first_run {
                    plan.diff.new_gifts.push(gift.clone());
                }
                (None, true)
            }
        };
        let write = GiftWrite {
            gift,
            sold_out,
            sold_out_at,
        };
        match write_slot.get(&gift.id) {
            Some(&slot) => plan.writes[slot] = write,
            None => {
                write_slot.insert(gift.id, plan.writes.len());
                plan.writes.push(write);
            }
        }
        if let (true, Some(remaining)) = (remaining_changed, gift.remaining) {
            match history_slot.get(&gift.id) {
                Some(&slot) => plan.history[slot].1 = remaining,
                None => {
                    history_slot.insert(gift.id, plan.history.len());
                    plan.history.push((gift.id, remaining));
                }
            }
        }
    }
    plan
}

fn clean_title(title: &str) -> String {
    title
        .chars()
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .take(MAX_TITLE_CHARS)
        .collect()
}

async fn known_gifts(store: &Store) -> Result<Vec<KnownGift>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(
            "SELECT id, price, limited, sold_out_flag, supply, remaining, require_premium, title, \
             sticker_document_id, sticker_access_hash, sticker_file_reference, sticker_dc_id, \
             sticker_size, sticker_cache_path, first_seen, last_seen, sold_out_at, \
             auction_slug, auction_gifts_per_round, auction_start_date, birthday \
             FROM gifts ORDER BY id",
        )
        .fetch_all(pool)
        .await?;
        rows.iter().map(known_gift).collect()
    })
}

fn known_gift<R: RowExt>(row: &R) -> Result<KnownGift, Error> {
    let sticker = match row.opt_int("sticker_document_id")? {
        None => None,
        Some(document_id) => {
            let dc_id = row.opt_int("sticker_dc_id")?.unwrap_or_default();
            Some(StickerRef {
                document_id,
                access_hash: row.opt_int("sticker_access_hash")?.unwrap_or_default(),
                file_reference: row.opt_bytes("sticker_file_reference")?.unwrap_or_default(),
                dc_id: i32::try_from(dc_id).map_err(|_| Error::corrupt("sticker_dc_id", dc_id))?,
                size: row.opt_int("sticker_size")?.unwrap_or_default(),
            })
        }
    };
    Ok(KnownGift {
        gift: CatalogGift {
            id: row.int("id")?,
            price: row.int("price")?,
            limited: row.flag("limited")?,
            sold_out: row.flag("sold_out_flag")?,
            supply: row.opt_int("supply")?,
            remaining: row.opt_int("remaining")?,
            require_premium: row.flag("require_premium")?,
            birthday: row.flag("birthday")?,
            title: row.opt_text("title")?,
            sticker,
            auction: match row.opt_text("auction_slug")? {
                None => None,
                Some(slug) => Some(GiftAuction {
                    slug,
                    gifts_per_round: row.opt_int("auction_gifts_per_round")?.unwrap_or_default(),
                    start_date: row.opt_int("auction_start_date")?.unwrap_or_default(),
                }),
            },
            ..CatalogGift::default()
        },
        first_seen: time("first_seen", row.int("first_seen")?)?,
        last_seen: time("last_seen", row.int("last_seen")?)?,
        sold_out_at: opt_time("sold_out_at", row.opt_int("sold_out_at")?)?,
        sticker_cache_path: row.opt_text("sticker_cache_path")?,
    })
}

async fn remaining_history(store: &Store, gift: GiftId) -> Result<Vec<RemainingPoint>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(
            "SELECT at, remaining FROM gift_remaining WHERE gift_id = $1 ORDER BY at",
        )
        .bind(gift.get())
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RemainingPoint {
                    at: time("at", row.int("at")?)?,
                    remaining: row.int("remaining")?,
                })
            })
            .collect()
    })
}

async fn set_sticker_cache_path(store: &Store, gift: GiftId, path: &str) -> Result<(), Error> {
    check_text("sticker cache path", path, 4096)?;
    let updated = with_db!(store.db(), pool => {
        sqlx::query("UPDATE gifts SET sticker_cache_path = $1 WHERE id = $2")
            .bind(path)
            .bind(gift.get())
            .execute(pool)
            .await?
            .rows_affected()
    });
    if updated == 0 {
        return Err(Error::NotFound { what: "gift" });
    }
    Ok(())
}

#[async_trait]
impl CatalogStore for Store {
    async fn known_gifts(&self) -> Result<Vec<KnownGift>, PanelStoreError> {
        Ok(known_gifts(self).await?)
    }

    async fn remaining_history(
        &self,
        gift: GiftId,
    ) -> Result<Vec<RemainingPoint>, PanelStoreError> {
        Ok(remaining_history(self, gift).await?)
    }

    async fn set_sticker_cache_path(
        &self,
        gift: GiftId,
        path: &str,
    ) -> Result<(), PanelStoreError> {
        Ok(set_sticker_cache_path(self, gift, path).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gift(id: i64, remaining: Option<i64>) -> CatalogGift {
        CatalogGift {
            id,
            price: 10,
            limited: true,
            supply: Some(100),
            remaining,
            ..CatalogGift::default()
        }
    }

    #[test]
    fn a_repeated_id_is_written_once_with_its_last_sighting() {
        let mut known = HashMap::new();
        let gifts = [gift(1, Some(5)), gift(1, Some(4)), gift(0, Some(1))];
        let plan = diff(false, &gifts, 7, &mut known);
        assert_eq!(plan.diff.new_gifts.len(), 1);
        assert_eq!(plan.writes.len(), 1);
        assert_eq!(plan.writes[0].gift.remaining, Some(4));
        assert_eq!(plan.history, vec![(1, 4)]);
    }

    #[test]
    fn titles_are_cut_and_cleaned() {
        assert_eq!(clean_title("a\0b"), "a\u{fffd}b");
        assert_eq!(
            clean_title(&"й".repeat(300)).chars().count(),
            MAX_TITLE_CHARS
        );
    }
}
