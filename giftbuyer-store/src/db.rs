//! The two database backends behind one store, and the helpers every query module shares:
//! dispatching a query to the right pool, reading columns, starting write transactions and
//! converting numbers at the boundary.
//!
//! Queries are written once in SQL that both SQLite and PostgreSQL accept (`$1` placeholders,
//! `ON CONFLICT`, `RETURNING`), and [`with_db!`] compiles each query body once per backend. That
//! keeps every query monomorphic (no generic bounds over `sqlx::Database`) while the SQL text
//! stays in one place; the few statements that differ pick their text with [`Backend::pick`].

use std::fmt;

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{PgPool, Postgres, Row, Sqlite, SqlitePool, Transaction};

use crate::Error;

/// The database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The statement for this backend, where the two dialects differ.
    pub(crate) const fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Self::Sqlite => sqlite,
            Self::Postgres => postgres,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        })
    }
}

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    pub(crate) const fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool (`&SqlitePool` or `&PgPool`) and
/// `$backend` to its [`Backend`]; the body is compiled once for each.
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        with_db!($db, $pool, _backend => $body)
    };
    ($db:expr, $pool:ident, $backend:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $backend = $crate::db::Backend::Sqlite;
                $body
            }
            $crate::db::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $backend = $crate::db::Backend::Postgres;
                $body
            }
        }
    };
}
pub(crate) use with_db;

/// Starts a transaction that will write.
///
/// On SQLite it is `BEGIN IMMEDIATE`, which takes the write lock up front and waits for it
/// under the busy timeout. A deferred transaction that reads first and writes later fails at
/// once with `SQLITE_BUSY` when another connection committed in between, which no timeout
/// helps with.
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Database>, Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = Sqlite;

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, Error> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl BeginWrite for PgPool {
    type Database = Postgres;

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, Error> {
        Ok(self.begin().await?)
    }
}

/// Typed column reads that name the column when a value does not fit.
pub(crate) trait RowExt {
    fn int(&self, column: &'static str) -> Result<i64, Error>;
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, Error>;
    fn text(&self, column: &'static str) -> Result<String, Error>;
    fn opt_text(&self, column: &'static str) -> Result<Option<String>, Error>;
    fn bytes(&self, column: &'static str) -> Result<Vec<u8>, Error>;
    fn opt_bytes(&self, column: &'static str) -> Result<Option<Vec<u8>>, Error>;
    fn flag(&self, column: &'static str) -> Result<bool, Error>;
}

macro_rules! impl_row_ext {
    ($row:ty, $flag:expr) => {
        impl RowExt for $row {
            fn int(&self, column: &'static str) -> Result<i64, Error> {
                self.try_get(column).map_err(|e| Error::corrupt(column, e))
            }
            fn opt_int(&self, column: &'static str) -> Result<Option<i64>, Error> {
                self.try_get(column).map_err(|e| Error::corrupt(column, e))
            }
            fn text(&self, column: &'static str) -> Result<String, Error> {
                self.try_get(column).map_err(|e| Error::corrupt(column, e))
            }
            fn opt_text(&self, column: &'static str) -> Result<Option<String>, Error> {
                self.try_get(column).map_err(|e| Error::corrupt(column, e))
            }
            fn bytes(&self, column: &'static str) -> Result<Vec<u8>, Error> {
                self.try_get(column).map_err(|e| Error::corrupt(column, e))
            }
            fn opt_bytes(&self, column: &'static str) -> Result<Option<Vec<u8>>, Error> {
                self.try_get(column).map_err(|e| Error::corrupt(column, e))
            }
            fn flag(&self, column: &'static str) -> Result<bool, Error> {
                $flag(self, column).map_err(|e| Error::corrupt(column, e))
            }
        }
    };
}

// SQLite has no boolean type: flags are integers, and so are boolean expressions such as
// `EXISTS (...)`, so they are read as integers on SQLite and as booleans on PostgreSQL.
impl_row_ext!(SqliteRow, |row: &SqliteRow, column| row
    .try_get::<i64, _>(column)
    .map(|value| value != 0));
impl_row_ext!(PgRow, |row: &PgRow, column| row.try_get::<bool, _>(column));

/// A `u64` as the `BIGINT` the databases store, refusing values above `i64::MAX`.
pub(crate) fn to_db_int(field: &'static str, value: u64) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::OutOfRange { field, value })
}

/// A stored `BIGINT` read back as a `u64`; a negative value means the row is corrupt.
pub(crate) fn from_db_int(field: &'static str, value: i64) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::corrupt(field, format!("negative value {value}")))
}

/// A stored `BIGINT` read back as a `u32`.
pub(crate) fn from_db_u32(field: &'static str, value: i64) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| Error::corrupt(field, format!("value {value} out of range")))
}

/// A stored time read back as a `UnixTime`.
pub(crate) fn time(field: &'static str, secs: i64) -> Result<giftbuyer_core::UnixTime, Error> {
    giftbuyer_core::UnixTime::from_secs(secs).map_err(|e| Error::corrupt(field, e))
}

/// An optional stored time read back as a `UnixTime`.
pub(crate) fn opt_time(
    field: &'static str,
    secs: Option<i64>,
) -> Result<Option<giftbuyer_core::UnixTime>, Error> {
    secs.map(|secs| time(field, secs)).transpose()
}

/// Refuses text the databases cannot store as given: PostgreSQL rejects NUL in `TEXT`, and
/// accepting it on SQLite only would make the two backends disagree.
pub(crate) fn check_text(field: &'static str, text: &str, max_len: usize) -> Result<(), Error> {
    if text.contains('\0') {
        return Err(Error::Invalid {
            field,
            reason: "must not contain NUL characters".into(),
        });
    }
    if text.len() > max_len {
        return Err(Error::Invalid {
            field,
            reason: format!("must be at most {max_len} bytes, got {}", text.len()),
        });
    }
    Ok(())
}

/// `VALUES` text for `rows` rows of `columns` placeholders each, numbered in binding order.
///
/// Batches are inserted with one multi-row statement per chunk rather than one statement per
/// row, which saves a round trip per row on PostgreSQL. Only placeholders are generated; values
/// are always bound.
///
/// SQLite gets anonymous `?` placeholders (bound by position, in the same order): sqlx looks up
/// each parameter's name, and SQLite finds a name by scanning the statement's list of names,
/// which made a 1,000-parameter insert quadratic (70 % of its time went to that lookup).
pub(crate) fn values_list(backend: Backend, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_list_numbers_placeholders_across_rows() {
        assert_eq!(
            values_list(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(values_list(Backend::Postgres, 1, 1), "($1)");
        assert_eq!(values_list(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn numbers_outside_the_database_range_are_typed_errors() {
        assert!(matches!(
            to_db_int("price", u64::MAX),
            Err(Error::OutOfRange {
                field: "price",
                value: u64::MAX
            })
        ));
        assert_eq!(to_db_int("price", 5).ok(), Some(5));
        assert!(matches!(
            from_db_int("supply", -1),
            Err(Error::Corrupt { .. })
        ));
    }

    #[test]
    fn text_with_nul_is_refused() {
        assert!(check_text("title", "a\0b", 100).is_err());
        assert!(check_text("title", "ok", 1).is_err());
        assert!(check_text("title", "ok", 2).is_ok());
    }
}
