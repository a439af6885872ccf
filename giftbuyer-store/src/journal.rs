//! The purchase journal: runs, their operations and the compare-and-set moves between states
//! that make sure an operation is sent at most once.
//!
//! Every move is one `UPDATE ... WHERE status = from`: the database applies it to the row
//! atomically, so of two callers racing for `planned -> sending` exactly one sees a changed row,
//! on SQLite and on PostgreSQL alike, without explicit locks.

use giftbuyer_core::ports::{JournalEntry, JournalKey, JournalStatus, UserId};
use giftbuyer_core::{AccountId, GiftId, Operation, Stars, UnixTime};
use sqlx::AssertSqlSafe;

use crate::db::{BeginWrite, RowExt, from_db_int, time, to_db_int, values_list, with_db};
use crate::recipient_columns::{recipient_column, recipient_of, recipient_username};
use crate::{Error, Store};

/// Rows per multi-row `INSERT` (12 values each, well under both databases' parameter limits).
const INSERT_CHUNK: usize = 100;
const INSERT_COLUMNS: usize = 12;
/// Error texts come from Telegram; they are kept short and free of NUL so that a hostile or
/// broken answer cannot make a journal write fail.
const MAX_ERROR_LEN: usize = 200;

/// An operation checked against the database's integer range, its recipient as its two
/// columns.
struct OperationRow {
    account_id: i64,
    channel_id: Option<i64>,
    username: Option<String>,
    gift_id: i64,
    price: i64,
    supply: i64,
}

impl OperationRow {
    fn new(operation: &Operation) -> Result<Self, Error> {
        Ok(Self {
            account_id: operation.account_id.get(),
            channel_id: recipient_column(operation.recipient),
            username: recipient_username(operation.recipient),
            gift_id: operation.gift_id.get(),
            price: to_db_int("price", operation.price.get())?,
            supply: to_db_int("supply", operation.supply)?,
        })
    }
}

pub(crate) async fn begin_run(
    store: &Store,
    user: UserId,
    operations: &[Operation],
    now: UnixTime,
) -> Result<i64, Error> {
    if u32::try_from(operations.len()).is_err() {
        return Err(Error::Invalid {
            field: "operations",
            reason: format!("a run holds at most {} operations", u32::MAX),
        });
    }
    let rows = operations
        .iter()
        .map(OperationRow::new)
        .collect::<Result<Vec<_>, _>>()?;
    with_db!(store.db(), pool, backend => {
        let mut tx = pool.begin_write().await?;
        let run_id = sqlx::query("INSERT INTO runs (user_id, started_at) VALUES ($1, $2) RETURNING id")
            .bind(user.get())
            .bind(now.secs())
            .fetch_one(&mut *tx)
            .await
            .map_err(Error::keys("run", Error::NotFound { what: "user" }))?
            .int("id")?;
        let mut seq: i64 = 0;
        for chunk in rows.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO journal (run_id, seq, user_id, account_id, channel_id, username, \
                 gift_id, price, supply, status, created_at, updated_at) VALUES {}",
                values_list(backend, chunk.len(), INSERT_COLUMNS)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for row in chunk {
                query = query
                    .bind(run_id)
                    .bind(seq)
                    .bind(user.get())
                    .bind(row.account_id)
                    .bind(row.channel_id)
                    .bind(row.username.as_deref())
                    .bind(row.gift_id)
                    .bind(row.price)
                    .bind(row.supply)
                    .bind(JournalStatus::Planned.code())
                    .bind(now.secs())
                    .bind(now.secs());
                seq += 1;
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(run_id)
    })
}

pub(crate) async fn add_operation(
    store: &Store,
    user: UserId,
    key: JournalKey,
    operation: &Operation,
    now: UnixTime,
) -> Result<(), Error> {
    let row = OperationRow::new(operation)?;
    // A key that exists keeps its first entry (`DO NOTHING`), whoever owns it; a new key must
    // belong to a run of this user, which the (run_id, user_id) foreign key enforces.
    with_db!(store.db(), pool => {
        sqlx::query(
            "INSERT INTO journal (run_id, seq, user_id, account_id, channel_id, username, gift_id, \
             price, supply, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (run_id, seq) DO NOTHING",
        )
        .bind(key.run_id)
        .bind(i64::from(key.seq))
        .bind(user.get())
        .bind(row.account_id)
        .bind(row.channel_id)
        .bind(row.username.as_deref())
        .bind(row.gift_id)
        .bind(row.price)
        .bind(row.supply)
        .bind(JournalStatus::Planned.code())
        .bind(now.secs())
        .execute(pool)
        .await
        .map_err(Error::keys("journal entry", Error::NotFound { what: "run" }))?;
    });
    Ok(())
}

/// The outcome of a compare-and-set move.
pub(crate) enum Transition {
    Moved,
    /// The entry exists but was not in the expected state.
    Refused,
    Missing,
}

pub(crate) async fn transition(
    store: &Store,
    key: JournalKey,
    from: JournalStatus,
    to: JournalStatus,
    error: Option<&str>,
    now: UnixTime,
) -> Result<Transition, Error> {
    let error = error.map(clean_error);
    with_db!(store.db(), pool => {
        let moved = sqlx::query(
            "UPDATE journal SET status = $1, error = $2, updated_at = $3 \
             WHERE run_id = $4 AND seq = $5 AND status = $6",
        )
        .bind(to.code())
        .bind(error.as_deref())
        .bind(now.secs())
        .bind(key.run_id)
        .bind(i64::from(key.seq))
        .bind(from.code())
        .execute(pool)
        .await?
        .rows_affected();
        if moved > 0 {
            return Ok(Transition::Moved);
        }
        let exists = sqlx::query("SELECT 1 AS one FROM journal WHERE run_id = $1 AND seq = $2")
            .bind(key.run_id)
            .bind(i64::from(key.seq))
            .fetch_optional(pool)
            .await?
            .is_some();
        Ok(if exists { Transition::Refused } else { Transition::Missing })
    })
}

/// Closes what a crash left open: `sending` becomes `unknown` (it may have been bought and is
/// never sent again) and `planned` becomes `failed` (abandoned before sending).
pub(crate) async fn recover(store: &Store, now: UnixTime) -> Result<u64, Error> {
    with_db!(store.db(), pool => {
        let mut tx = pool.begin_write().await?;
        let mut changed = 0;
        for (from, to, reason) in [
            (JournalStatus::Sending, JournalStatus::Unknown, "interrupted"),
            (JournalStatus::Planned, JournalStatus::Failed, "abandoned"),
        ] {
            changed += sqlx::query(
                "UPDATE journal SET status = $1, error = $2, updated_at = $3 WHERE status = $4",
            )
            .bind(to.code())
            .bind(reason)
            .bind(now.secs())
            .bind(from.code())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    })
}

pub(crate) async fn run_journal(
    store: &Store,
    user: UserId,
    run_id: i64,
) -> Result<Vec<JournalEntry>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(
            "SELECT run_id, seq, user_id, account_id, channel_id, username, gift_id, price, supply, \
             status, error, updated_at FROM journal WHERE user_id = $1 AND run_id = $2 ORDER BY seq",
        )
        .bind(user.get())
        .bind(run_id)
        .fetch_all(pool)
        .await?;
        rows.iter().map(journal_entry).collect()
    })
}

pub(crate) async fn save_report(
    store: &Store,
    user: UserId,
    run_id: i64,
    text: &str,
    now: UnixTime,
) -> Result<(), Error> {
    // Reports are built from untrusted titles; NUL cannot be stored in PostgreSQL text.
    let text = text.replace('\0', "\u{fffd}");
    let updated = with_db!(store.db(), pool => {
        sqlx::query("UPDATE runs SET report = $1, report_at = $2 WHERE id = $3 AND user_id = $4")
            .bind(&text)
            .bind(now.secs())
            .bind(run_id)
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
    });
    if updated == 0 {
        return Err(Error::NotFound { what: "run" });
    }
    Ok(())
}

fn journal_entry<R: RowExt>(row: &R) -> Result<JournalEntry, Error> {
    let status = row.text("status")?;
    let status = status_from_code(&status)
        .ok_or_else(|| Error::corrupt("status", format!("unknown status {status:?}")))?;
    let seq = row.int("seq")?;
    Ok(JournalEntry {
        key: JournalKey {
            run_id: row.int("run_id")?,
            seq: u32::try_from(seq).map_err(|_| Error::corrupt("seq", seq))?,
        },
        user_id: UserId::new(row.int("user_id")?).map_err(|e| Error::corrupt("user_id", e))?,
        operation: Operation {
            account_id: AccountId::new(row.int("account_id")?)
                .map_err(|e| Error::corrupt("account_id", e))?,
            recipient: recipient_of(row)?,
            gift_id: GiftId::new(row.int("gift_id")?).map_err(|e| Error::corrupt("gift_id", e))?,
            price: Stars::new(from_db_int("price", row.int("price")?)?),
            supply: from_db_int("supply", row.int("supply")?)?,
        },
        status,
        error: row.opt_text("error")?,
        updated_at: time("updated_at", row.int("updated_at")?)?,
    })
}

pub(crate) fn status_from_code(code: &str) -> Option<JournalStatus> {
    [
        JournalStatus::Planned,
        JournalStatus::Sending,
        JournalStatus::Bought,
        JournalStatus::Failed,
        JournalStatus::Unknown,
    ]
    .into_iter()
    .find(|status| status.code() == code)
}

pub(crate) fn clean_error(error: &str) -> String {
    error
        .chars()
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .take(MAX_ERROR_LEN)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_code_reads_back() {
        for status in [
            JournalStatus::Planned,
            JournalStatus::Sending,
            JournalStatus::Bought,
            JournalStatus::Failed,
            JournalStatus::Unknown,
        ] {
            assert_eq!(status_from_code(status.code()), Some(status));
        }
        assert_eq!(status_from_code("sent"), None);
    }

    #[test]
    fn error_texts_are_bounded_and_nul_free() {
        assert_eq!(clean_error("FLOOD\0WAIT"), "FLOOD\u{fffd}WAIT");
        assert_eq!(clean_error(&"x".repeat(500)).len(), MAX_ERROR_LEN);
    }
}
