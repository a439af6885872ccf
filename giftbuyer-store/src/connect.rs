//! Opening a store: the URL picks the backend, the pool is configured for it, migrations run,
//! and the master key is checked against the database before anything else happens.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::broadcast;

use crate::Error;
use crate::crypto::{Crypto, KEY_CHECK, MasterKey, RowKey};
use crate::db::{Backend, Db, RowExt, with_db};
use crate::migrate::{self, MigrationReport};

/// How a store connects. The defaults suit a single server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Connections in the pool. SQLite writes one transaction at a time whatever this says;
    /// more connections only let reads run beside a write.
    pub max_connections: Option<u32>,
    /// How long a SQLite statement waits for another connection's write lock before it fails
    /// with "database is locked".
    pub busy_timeout: Duration,
    /// How long a caller waits for a free pooled connection.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: None,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

const SQLITE_CONNECTIONS: u32 = 4;
const POSTGRES_CONNECTIONS: u32 = 10;
/// Capacity of the in-process event channel on SQLite; a subscriber that falls further behind
/// is told it missed events.
pub(crate) const LOCAL_EVENT_CAPACITY: usize = 1024;

/// The database: users, sessions, accounts, channels, settings, catalog, journal and reports.
///
/// Cloning is cheap and shares the pool. It implements the engine's
/// [`EngineStore`](giftbuyer_core::ports::EngineStore) and every panel port
/// ([`PanelStore`](giftbuyer_core::ports::PanelStore)).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    /// Swapped as a whole by a key rotation, so a reader holds one consistent cipher.
    crypto: RwLock<Arc<Crypto>>,
    /// SQLite's event fan-out (one process); PostgreSQL uses LISTEN/NOTIFY instead.
    local_events: broadcast::Sender<Arc<str>>,
    /// PostgreSQL's connection options, for the dedicated connections of leadership and
    /// event subscriptions.
    pg_options: Option<PgConnectOptions>,
    /// The SQLite database file (none in memory), beside which the leader lock file lives.
    sqlite_path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects with the default options: `sqlite://PATH` (the file is created when missing)
    /// or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`. Applies pending migrations and
    /// checks that `key` is the key this database's secrets were encrypted with; on a new
    /// database, `key` becomes that key.
    pub async fn connect(url: &str, key: MasterKey) -> Result<Self, Error> {
        Self::connect_with(url, key, StoreOptions::default()).await
    }

    pub async fn connect_with(
        url: &str,
        key: MasterKey,
        options: StoreOptions,
    ) -> Result<Self, Error> {
        let Opened {
            db,
            pg_options,
            sqlite_path,
        } = open(url, &options).await?;
        let result = async {
            migrate::run(&db).await?;
            let crypto = Crypto::new(&key);
            verify_key(&db, &crypto).await?;
            Ok(crypto)
        }
        .await;
        let crypto = match result {
            Ok(crypto) => crypto,
            Err(error) => {
                close(&db).await;
                return Err(error);
            }
        };
        let (local_events, _) = broadcast::channel(LOCAL_EVENT_CAPACITY);
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                crypto: RwLock::new(Arc::new(crypto)),
                local_events,
                pg_options,
                sqlite_path,
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.db.backend()
    }

    /// Applies pending migrations (connecting already did; this is for a long-running
    /// process that wants to check).
    pub async fn migrate(&self) -> Result<MigrationReport, Error> {
        migrate::run(&self.inner.db).await
    }

    /// Closes the pool, waiting for connections in use to come back.
    pub async fn close(&self) {
        close(&self.inner.db).await;
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn crypto(&self) -> Arc<Crypto> {
        // A panic while the lock was held cannot leave a half-written `Arc`; the value is
        // still one whole cipher, so poisoning is ignored.
        self.inner
            .crypto
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_crypto(&self, crypto: Crypto) {
        *self
            .inner
            .crypto
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(crypto);
    }

    pub(crate) fn local_events(&self) -> &broadcast::Sender<Arc<str>> {
        &self.inner.local_events
    }

    pub(crate) fn pg_options(&self) -> Option<&PgConnectOptions> {
        self.inner.pg_options.as_ref()
    }

    pub(crate) fn sqlite_path(&self) -> Option<&Path> {
        self.inner.sqlite_path.as_deref()
    }
}

/// Applies pending migrations to the database at `url` without a master key (migrations never
/// touch secrets). This is what `giftbuyer migrate` runs.
pub async fn migrate(url: &str) -> Result<MigrationReport, Error> {
    let db = open(url, &StoreOptions::default()).await?.db;
    let report = migrate::run(&db).await;
    close(&db).await;
    report
}

async fn close(db: &Db) {
    with_db!(db, pool => pool.close().await);
}

/// The scheme of a database URL, without anything after it (which may hold a password).
fn scheme(url: &str) -> &str {
    url.split_once(':').map_or(url, |(scheme, _)| scheme)
}

/// An open pool and what the store keeps of how it was opened.
struct Opened {
    db: Db,
    pg_options: Option<PgConnectOptions>,
    sqlite_path: Option<PathBuf>,
}

async fn open(url: &str, options: &StoreOptions) -> Result<Opened, Error> {
    match scheme(url) {
        "sqlite" => {
            let (pool, sqlite_path) = open_sqlite(url, options).await?;
            Ok(Opened {
                db: Db::Sqlite(pool),
                pg_options: None,
                sqlite_path,
            })
        }
        "postgres" | "postgresql" => {
            let connect =
                PgConnectOptions::from_str(url).map_err(|e| Error::InvalidUrl(e.to_string()))?;
            // The pool retries a refused connection until its acquire timeout; one direct
            // attempt first makes a wrong URL or a stopped server fail at once, with the
            // server's own reason.
            PgConnection::connect_with(&connect)
                .await
                .map_err(Error::Connect)?
                .close()
                .await
                .map_err(Error::Connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.unwrap_or(POSTGRES_CONNECTIONS))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect.clone())
                .await
                .map_err(Error::Connect)?;
            Ok(Opened {
                db: Db::Postgres(pool),
                pg_options: Some(connect),
                sqlite_path: None,
            })
        }
        other => Err(Error::UnsupportedUrl {
            scheme: other.to_owned(),
        }),
    }
}

async fn open_sqlite(
    url: &str,
    options: &StoreOptions,
) -> Result<(sqlx::SqlitePool, Option<PathBuf>), Error> {
    let connect = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::InvalidUrl(e.to_string()))?
        .create_if_missing(true)
        // WAL lets readers run while one connection writes, and FULL makes every commit
        // durable across a power cut: a lost journal transition is worth more than the fsync.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(options.busy_timeout);
    let mut pool = SqlitePoolOptions::new()
        .max_connections(options.max_connections.unwrap_or(SQLITE_CONNECTIONS))
        .acquire_timeout(options.acquire_timeout);
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory {
        // An in-memory database lives as long as one connection to it does, so the pool keeps
        // one open for good.
        pool = pool
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    let path = (!in_memory).then(|| connect.get_filename().to_owned());
    if let Some(path) = &path {
        create_private_file(path)?;
    }
    let pool = pool.connect_with(connect).await.map_err(Error::Connect)?;
    Ok((pool, path))
}

/// Creates a missing database file readable by its owner only. It holds password and session
/// token hashes; SQLite gives the WAL and shared-memory files the database file's mode.
#[cfg(unix)]
fn create_private_file(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
    // A fresh install points at a data directory that does not exist yet; it holds secrets'
    // neighbours (the key file, the database), so it is created private too.
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| Error::CreateFile {
                path: path.to_owned(),
                source,
            })?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(Error::CreateFile {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> Result<(), Error> {
    Ok(())
}

const KEY_CHECK_NAME: &str = "key_check";
const KEY_CHECK_TEXT: &[u8] = b"giftbuyer master key check";
const KEY_CHECK_ROW: RowKey = RowKey { user: 0, row: 0 };

/// Checks the key against the sealed marker the database keeps, or stores the marker on a new
/// database. A wrong key is refused here, at start-up, instead of at the first secret read.
pub(crate) async fn verify_key(db: &Db, crypto: &Crypto) -> Result<(), Error> {
    // Two instances may start on a new database at once: whichever marker is inserted first
    // wins, and the loser checks its key against the winner's marker on the second pass.
    for _ in 0..2 {
        let stored = with_db!(db, pool => {
            sqlx::query("SELECT value FROM store_meta WHERE name = $1")
                .bind(KEY_CHECK_NAME)
                .fetch_optional(pool)
                .await?
                .map(|row| row.bytes("value"))
                .transpose()?
        });
        if let Some(sealed) = stored {
            return match crypto.open(KEY_CHECK, KEY_CHECK_ROW, &sealed) {
                Ok(text) if text == KEY_CHECK_TEXT => Ok(()),
                _ => Err(Error::WrongMasterKey),
            };
        }
        let sealed = crypto.seal(KEY_CHECK, KEY_CHECK_ROW, KEY_CHECK_TEXT)?;
        with_db!(db, pool => {
            sqlx::query(
                "INSERT INTO store_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(KEY_CHECK_NAME)
            .bind(&sealed)
            .execute(pool)
            .await?;
        });
    }
    Err(Error::WrongMasterKey)
}

/// The sealed key marker under `crypto`, for a key rotation to store.
pub(crate) fn key_check_marker(crypto: &Crypto) -> Result<(&'static str, Vec<u8>), Error> {
    Ok((
        KEY_CHECK_NAME,
        crypto.seal(KEY_CHECK, KEY_CHECK_ROW, KEY_CHECK_TEXT)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_stops_before_credentials() {
        assert_eq!(scheme("postgres://u:secret@h/db"), "postgres");
        assert_eq!(scheme("sqlite://x.db"), "sqlite");
        assert_eq!(scheme("nothing"), "nothing");
    }
}
