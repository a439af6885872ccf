//! Leadership: which instance runs the engine, so that two engines never plan purchases for the
//! same gifts.
//!
//! On PostgreSQL the leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a
//! connection of its own, outside the pool, so the pool recycling connections can never drop it
//! by accident. PostgreSQL releases the lock the moment that session ends, so when the leader
//! dies or has its backend terminated, the next follower to call [`Leadership::try_acquire`]
//! takes over. Followers poll every second or two, which bounds the takeover time. The
//! connection asks the server for TCP keepalives, so a leader whose host vanished without
//! closing its socket is noticed within about half a minute instead of the operating system's
//! default of two hours.
//!
//! The old leader learns that it lost the lock at its next `try_acquire`, when the connection
//! check fails; until then two instances may both believe they lead. That window cannot cause
//! a second send of an operation (the journal's compare-and-set allows one), but the engine
//! should stop starting runs as soon as `try_acquire` returns false.
//!
//! On SQLite there is one instance per database file. An exclusive lock on a file beside the
//! database (`<database>.leader`) enforces it: a second process started on the same file by
//! mistake stays a follower instead of buying twice. The operating system releases the lock
//! when the process ends. An in-memory database belongs to one process, so leadership is
//! always granted there.

use std::fmt;
use std::fs::{File, TryLockError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::sync::Mutex;

use crate::db::RowExt;
use crate::{Error, Store};

/// The advisory lock key of the leader: "giftldr" with a version byte.
pub const LEADER_LOCK_KEY: i64 = 0x6769_6674_6c64_7201;
/// How long a liveness check of the lock's connection may take before it counts as lost.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// This instance's claim to leadership. Dropping it releases the claim (the lock's connection or
/// file closes).
pub struct Leadership {
    leader: AtomicBool,
    claim: Claim,
}

enum Claim {
    /// An in-memory SQLite database: one process, always the leader.
    Granted,
    /// A lock file beside a SQLite database, and the open file while it is locked.
    File {
        path: PathBuf,
        held: Mutex<Option<File>>,
    },
    /// Boxed: a connection is far larger than the other claims.
    Postgres {
        options: Box<PgConnectOptions>,
        connection: Mutex<Option<Box<PgConnection>>>,
    },
}

// Written by hand: the PostgreSQL connect options hold the database password.
impl fmt::Debug for Leadership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.claim {
            Claim::Granted => "granted",
            Claim::File { .. } => "lock file",
            Claim::Postgres { .. } => "advisory lock",
        };
        f.debug_struct("Leadership")
            .field("kind", &kind)
            .field("leader", &self.is_leader())
            .finish()
    }
}

impl Store {
    /// A handle to compete for leadership; it holds nothing until [`Leadership::try_acquire`].
    pub fn leadership(&self) -> Leadership {
        let claim = match (self.pg_options(), self.sqlite_path()) {
            (Some(options), _) => Claim::Postgres {
                options: Box::new(options.clone()),
                connection: Mutex::new(None),
            },
            (None, Some(path)) => {
                let mut name = path.as_os_str().to_owned();
                name.push(".leader");
                Claim::File {
                    path: PathBuf::from(name),
                    held: Mutex::new(None),
                }
            }
            (None, None) => Claim::Granted,
        };
        Leadership {
            leader: AtomicBool::new(false),
            claim,
        }
    }
}

impl Leadership {
    /// Becomes the leader if no one is, or checks that this instance still is. Returns whether
    /// it leads now. Call it periodically: a follower takes over within one period of the
    /// leader's end, and a leader finds out within one period that it lost its connection.
    pub async fn try_acquire(&self) -> Result<bool, Error> {
        let leads = match &self.claim {
            Claim::Granted => true,
            Claim::File { path, held } => lock_file(path, &mut *held.lock().await)?,
            Claim::Postgres {
                options,
                connection,
            } => {
                let mut connection = connection.lock().await;
                advisory_lock(options, &mut connection, self.is_leader()).await?
            }
        };
        self.leader.store(leads, Ordering::Release);
        Ok(leads)
    }

    /// Whether this instance led at the last [`Leadership::try_acquire`].
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::Acquire)
    }

    /// Gives leadership up now, so a follower can take over without waiting for this
    /// instance's connection or process to end.
    pub async fn release(&self) -> Result<(), Error> {
        self.leader.store(false, Ordering::Release);
        match &self.claim {
            Claim::Granted => Ok(()),
            Claim::File { held, .. } => {
                // Closing the file releases its lock.
                held.lock().await.take();
                Ok(())
            }
            Claim::Postgres { connection, .. } => {
                let Some(mut conn) = connection.lock().await.take() else {
                    return Ok(());
                };
                let unlocked = sqlx::query("SELECT pg_advisory_unlock_all()")
                    .execute(&mut *conn)
                    .await;
                // Closing the session releases the lock too, so an unlock error only matters
                // if the close fails as well.
                let closed = conn.close().await;
                unlocked.map_err(Error::from_sqlx)?;
                closed.map_err(Error::from_sqlx)
            }
        }
    }
}

fn lock_file(path: &std::path::Path, held: &mut Option<File>) -> Result<bool, Error> {
    if held.is_some() {
        return Ok(true);
    }
    let lock_error = |source| Error::LeaderLock {
        path: path.to_owned(),
        source,
    };
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(lock_error)?;
    match file.try_lock() {
        Ok(()) => {
            *held = Some(file);
            Ok(true)
        }
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(error)) => Err(lock_error(error)),
    }
}

async fn advisory_lock(
    options: &PgConnectOptions,
    connection: &mut Option<Box<PgConnection>>,
    was_leader: bool,
) -> Result<bool, Error> {
    if was_leader {
        if let Some(conn) = connection.as_mut()
            && alive(conn).await
        {
            return Ok(true);
        }
        // The session that held the lock is gone, and the lock with it.
        *connection = None;
    }
    let conn = match connection.as_mut() {
        Some(conn) => conn,
        None => connection.insert(Box::new(connect(options).await?)),
    };
    // Only called while not holding the lock: advisory locks stack, and a second grant would
    // need a second unlock.
    let locked = sqlx::query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind(LEADER_LOCK_KEY)
        .fetch_one(&mut **conn)
        .await
        .map_err(Error::from_sqlx)
        .and_then(|row| row.flag("locked"));
    if locked.is_err() {
        *connection = None;
    }
    locked
}

/// A connection for the lock, with server-side TCP keepalives (probe after 10 s idle, every
/// 5 s, give up after 3), so the server ends the session of a vanished host, and releases its
/// lock, in about 25 s.
async fn connect(options: &PgConnectOptions) -> Result<PgConnection, Error> {
    let mut conn = PgConnection::connect_with(options)
        .await
        .map_err(Error::Connect)?;
    sqlx::query(
        "SELECT set_config('tcp_keepalives_idle', '10', false), \
         set_config('tcp_keepalives_interval', '5', false), \
         set_config('tcp_keepalives_count', '3', false)",
    )
    .execute(&mut conn)
    .await?;
    Ok(conn)
}

async fn alive(conn: &mut PgConnection) -> bool {
    matches!(
        tokio::time::timeout(CHECK_TIMEOUT, sqlx::query("SELECT 1").execute(&mut *conn)).await,
        Ok(Ok(_))
    )
}

#[async_trait]
impl giftbuyer_core::ports::LeaderElection for Leadership {
    async fn try_lead(&self) -> Result<bool, giftbuyer_core::ports::StoreError> {
        self.try_acquire().await.map_err(Into::into)
    }
}
