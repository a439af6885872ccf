//! Schema migrations: each backend's SQL files are embedded in the binary and applied in order,
//! recorded in `schema_migrations` with a checksum.
//!
//! sqlx's own migrator is loaded by a macro that needs sqlx's `macros` feature; embedding the
//! files with `include_str!` keeps the build light and needs no database at build time either.
//! All pending migrations run in one transaction, so a failure leaves the schema as it was.

use sha2::{Digest, Sha256};

use crate::Error;
use crate::db::{BeginWrite, Db, RowExt, with_db};

/// One migration: its number, a short name and its SQL.
#[derive(Debug, Clone, Copy)]
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "spending_index",
        sql: include_str!("../migrations/sqlite/0002_spending_index.sql"),
    },
    Migration {
        version: 3,
        name: "gift_auction",
        sql: include_str!("../migrations/sqlite/0003_gift_auction.sql"),
    },
    Migration {
        version: 4,
        name: "exclude_and_priority",
        sql: include_str!("../migrations/sqlite/0004_exclude_and_priority.sql"),
    },
    Migration {
        version: 5,
        name: "resale",
        sql: include_str!("../migrations/sqlite/0005_resale.sql"),
    },
    Migration {
        version: 6,
        name: "auctions",
        sql: include_str!("../migrations/sqlite/0006_auctions.sql"),
    },
    Migration {
        version: 7,
        name: "user_recipients",
        sql: include_str!("../migrations/sqlite/0007_user_recipients.sql"),
    },
    Migration {
        version: 8,
        name: "targets",
        sql: include_str!("../migrations/sqlite/0008_targets.sql"),
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "spending_index",
        sql: include_str!("../migrations/postgres/0002_spending_index.sql"),
    },
    Migration {
        version: 3,
        name: "gift_auction",
        sql: include_str!("../migrations/postgres/0003_gift_auction.sql"),
    },
    Migration {
        version: 4,
        name: "exclude_and_priority",
        sql: include_str!("../migrations/postgres/0004_exclude_and_priority.sql"),
    },
    Migration {
        version: 5,
        name: "resale",
        sql: include_str!("../migrations/postgres/0005_resale.sql"),
    },
    Migration {
        version: 6,
        name: "auctions",
        sql: include_str!("../migrations/postgres/0006_auctions.sql"),
    },
    Migration {
        version: 7,
        name: "user_recipients",
        sql: include_str!("../migrations/postgres/0007_user_recipients.sql"),
    },
    Migration {
        version: 8,
        name: "targets",
        sql: include_str!("../migrations/postgres/0008_targets.sql"),
    },
];

/// Serialises migrations of several instances starting at once against one PostgreSQL
/// database: the first takes this transaction-level advisory lock, the others wait and then
/// find nothing left to do.
const MIGRATION_LOCK_KEY: i64 = 0x6769_6674_6d69_6701;

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this run, in order.
    pub applied: Vec<i64>,
    /// The schema version now.
    pub version: i64,
}

const CREATE_TABLE_SQLITE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT";

const CREATE_TABLE_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// Applies every pending migration of the store's backend.
pub(crate) async fn run(db: &Db) -> Result<MigrationReport, Error> {
    let now = now_secs();
    with_db!(db, pool, backend => {
        let migrations = backend.pick_migrations();
        let mut tx = pool.begin_write().await?;
        if backend == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(backend.pick(CREATE_TABLE_SQLITE, CREATE_TABLE_POSTGRES))
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
        let mut done = Vec::with_capacity(rows.len());
        for row in &rows {
            done.push((row.int("version")?, row.text("checksum")?));
        }
        let known = migrations.last().map_or(0, |m| m.version);
        if let Some(&(found, _)) = done.iter().find(|(version, _)| *version > known) {
            return Err(Error::SchemaTooNew { found, known });
        }
        let mut applied = Vec::new();
        for migration in migrations {
            let checksum = checksum(migration.sql);
            match done.iter().find(|(version, _)| *version == migration.version) {
                Some((_, stored)) if *stored == checksum => continue,
                Some(_) => {
                    return Err(Error::MigrationChanged {
                        version: migration.version,
                        name: migration.name,
                    });
                }
                None => {}
            }
            let failed = |source| Error::Migration {
                version: migration.version,
                name: migration.name,
                source,
            };
            sqlx::raw_sql(migration.sql)
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(migration.version)
            .bind(migration.name)
            .bind(&checksum)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
            applied.push(migration.version);
        }
        tx.commit().await?;
        Ok(MigrationReport {
            applied,
            version: known,
        })
    })
}

impl crate::Backend {
    const fn pick_migrations(self) -> &'static [Migration] {
        match self {
            Self::Sqlite => SQLITE,
            Self::Postgres => POSTGRES,
        }
    }
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// The wall clock in unix seconds, for bookkeeping columns only.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Versions must increase; they need not be consecutive. The runner applies every listed
    /// version the database lacks, whatever its neighbours, so a version written on a branch
    /// (5, resale) may be listed before the one another branch brings (4) is merged, and a
    /// database that already has 5 still gets 4 when it arrives.
    #[test]
    fn versions_increase_and_both_backends_agree() {
        for list in [SQLITE, POSTGRES] {
            assert_eq!(list.first().map(|m| m.version), Some(1));
            for pair in list.windows(2) {
                assert!(pair[0].version < pair[1].version, "{pair:?}");
            }
        }
        let names =
            |list: &[Migration]| list.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
    }
}
