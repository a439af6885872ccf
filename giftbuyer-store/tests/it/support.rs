//! Test databases: a temporary SQLite file, or a fresh PostgreSQL database per test when
//! `GIFTBUYER_TEST_PG_URL` names a server (the database is dropped when the test ends, even
//! when it fails).

use std::str::FromStr as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use giftbuyer_core::ports::{UserId, UserStore as _, Username};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Operation, Recipient, Stars, UnixTime};
use giftbuyer_store::{Backend, MasterKey, Store};
use sha2::Digest as _;
use sqlx::Connection as _;

pub(crate) const PG_URL_ENV: &str = "GIFTBUYER_TEST_PG_URL";

/// Runs each listed `async fn name(db: &TestDb)` as a test on SQLite, and on PostgreSQL when
/// `GIFTBUYER_TEST_PG_URL` is set (the PostgreSQL test passes without running otherwise).
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::support::TestDb::sqlite();
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = crate::support::TestDb::postgres().await {
                        super::$name(&db).await;
                    }
                }
            )*
        }
    };
}
pub(crate) use on_every_backend;

/// A database that exists for one test.
pub(crate) struct TestDb {
    pub(crate) url: String,
    pub(crate) backend: Backend,
    /// Holds the SQLite file's directory until the test ends.
    dir: Option<tempfile::TempDir>,
    /// The PostgreSQL server's admin URL and the database to drop.
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        Self {
            url,
            backend: Backend::Sqlite,
            dir: Some(dir),
            postgres: None,
        }
    }

    /// A new database on the server of `GIFTBUYER_TEST_PG_URL`, or `None` when it is unset.
    pub(crate) async fn postgres() -> Option<Self> {
        let admin = std::env::var(PG_URL_ENV)
            .ok()
            .filter(|url| !url.is_empty())?;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .subsec_nanos();
        let name = format!(
            "giftbuyer_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to GIFTBUYER_TEST_PG_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        Some(Self {
            url: with_database(&admin, &name),
            backend: Backend::Postgres,
            dir: None,
            postgres: Some((admin, name)),
        })
    }

    pub(crate) async fn store(&self) -> Store {
        self.store_with(key(1)).await
    }

    pub(crate) async fn store_with(&self, key: MasterKey) -> Store {
        Store::connect(&self.url, key).await.expect("connect store")
    }

    /// The SQLite file and its WAL and shared-memory companions.
    pub(crate) fn sqlite_files(&self) -> Vec<std::path::PathBuf> {
        let dir = self.dir.as_ref().expect("a sqlite test database");
        ["store.db", "store.db-wal", "store.db-shm"]
            .iter()
            .map(|name| dir.path().join(name))
            .filter(|path| path.exists())
            .collect()
    }

    /// The SQLite files, or none on PostgreSQL.
    pub(crate) fn sqlite_files_if_any(&self) -> Vec<std::path::PathBuf> {
        if self.dir.is_some() {
            self.sqlite_files()
        } else {
            Vec::new()
        }
    }

    /// A raw connection pool for reading or tampering with rows directly.
    pub(crate) async fn raw(&self) -> Raw {
        match self.backend {
            Backend::Sqlite => Raw::Sqlite(
                sqlx::SqlitePool::connect(&self.url)
                    .await
                    .expect("raw sqlite"),
            ),
            Backend::Postgres => Raw::Postgres(
                sqlx::PgPool::connect(&self.url)
                    .await
                    .expect("raw postgres"),
            ),
        }
    }

    /// Brings the empty database to schema `version` the way the store's runner does, from
    /// the backend's migration files up to that version, and records them with the runner's
    /// checksum (the SHA-256 of the file, in hex), so that connecting a store afterwards
    /// applies only the later migrations, as it would to a database an older build left.
    pub(crate) async fn migrated_to(&self, version: i64) -> Raw {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(self.backend.to_string());
        let mut files: Vec<(i64, String, String)> = std::fs::read_dir(&dir)
            .expect("migrations directory")
            .map(|entry| {
                let path = entry.expect("migration file").path();
                let stem = path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .expect("utf-8 name")
                    .to_owned();
                let (number, name) = stem.split_once('_').expect("NNNN_name.sql");
                let sql = std::fs::read_to_string(&path).expect("read migration");
                (number.parse().expect("numbered"), name.to_owned(), sql)
            })
            .filter(|(number, _, _)| *number <= version)
            .collect();
        files.sort_by_key(|(number, _, _)| *number);
        assert_eq!(
            files.last().map(|(number, _, _)| *number),
            Some(version),
            "no migration {version}"
        );
        let raw = match self.backend {
            Backend::Sqlite => {
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(&self.url)
                    .expect("sqlite url")
                    .create_if_missing(true);
                Raw::Sqlite(
                    sqlx::SqlitePool::connect_with(options)
                        .await
                        .expect("raw sqlite"),
                )
            }
            Backend::Postgres => Raw::Postgres(
                sqlx::PgPool::connect(&self.url)
                    .await
                    .expect("raw postgres"),
            ),
        };
        raw.execute(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await;
        for (number, name, sql) in files {
            raw.script(&sql).await;
            let checksum = hex::encode(sha2::Sha256::digest(sql.as_bytes()));
            raw.execute(&format!(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
                 VALUES ({number}, '{name}', '{checksum}', 0)"
            ))
            .await;
        }
        raw
    }

    /// The admin URL of the PostgreSQL server.
    pub(crate) fn admin_url(&self) -> Option<&str> {
        self.postgres.as_ref().map(|(admin, _)| admin.as_str())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async context (or inside a runtime that cannot block), so the
        // database is dropped from a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database");
        }
    }
}

/// Direct access to the test database, beside the store.
pub(crate) enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    /// Runs a statement with no parameters.
    pub(crate) async fn execute(&self, sql: &str) -> u64 {
        self.try_execute(sql).await.expect("raw statement")
    }

    /// Runs a statement with no parameters that the database may refuse.
    pub(crate) async fn try_execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Self::Sqlite(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            Self::Postgres(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        }
    }

    /// Runs several statements at once, as a migration file holds them.
    pub(crate) async fn script(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Self::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            Self::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        }
        .expect("raw script");
    }

    /// The single integer a query returns.
    pub(crate) async fn int(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .expect("raw integer")
    }

    /// The single byte string a query returns.
    pub(crate) async fn bytes(&self, sql: &str) -> Vec<u8> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .expect("raw bytes")
    }

    /// Sets a blob column of the rows `filter` selects.
    pub(crate) async fn set_blob(
        &self,
        table: &str,
        column: &str,
        filter: &str,
        value: &[u8],
    ) -> u64 {
        let sql = sqlx::AssertSqlSafe(format!("UPDATE {table} SET {column} = $1 WHERE {filter}"));
        match self {
            Self::Sqlite(pool) => sqlx::query(sql)
                .bind(value)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            Self::Postgres(pool) => sqlx::query(sql)
                .bind(value)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        }
        .expect("raw update")
    }

    pub(crate) async fn close(self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// A master key made of one repeated byte.
pub(crate) fn key(byte: u8) -> MasterKey {
    MasterKey::from_bytes([byte; 32])
}

pub(crate) fn at(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).expect("valid time")
}

pub(crate) async fn user(store: &Store, name: &str) -> UserId {
    store
        .create_user(
            &Username::new(name).expect("valid name"),
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            at(1_000),
        )
        .await
        .expect("create user")
}

/// A purchase onto a channel.
pub(crate) fn operation(account: i64, channel: i64, gift: i64, price: u64) -> Operation {
    let channel = ChannelId::new(channel).expect("channel");
    operation_for(account, Recipient::Channel(channel), gift, price)
}

/// A purchase for any recipient.
pub(crate) fn operation_for(
    account: i64,
    recipient: Recipient,
    gift: i64,
    price: u64,
) -> Operation {
    Operation {
        account_id: AccountId::new(account).expect("account"),
        recipient,
        gift_id: GiftId::new(gift).expect("gift"),
        price: Stars::new(price),
        supply: 1000,
    }
}

#[test]
fn database_names_replace_only_the_path() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/postgres?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
}
