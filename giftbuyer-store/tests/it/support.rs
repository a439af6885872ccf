//! Test databases: a temporary SQLite file, or a fresh PostgreSQL database per test when
//! `GIFTBUYER_TEST_PG_URL` names a server (the database is dropped when the test ends, even
//! when it fails).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use giftbuyer_core::ports::{UserId, UserStore as _, Username};
use giftbuyer_core::{AccountId, ChannelId, GiftId, Operation, Stars, UnixTime};
use giftbuyer_store::{Backend, MasterKey, Store};
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
        .expect("raw statement")
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

pub(crate) fn operation(account: i64, channel: i64, gift: i64, price: u64) -> Operation {
    Operation {
        account_id: AccountId::new(account).expect("account"),
        channel_id: ChannelId::new(channel).expect("channel"),
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
