//! The store's error type, and how it maps onto the core's storage errors.

use std::path::PathBuf;

use giftbuyer_core::ValueError;
use giftbuyer_core::ports::{PanelStoreError, StoreError};

/// Why a store operation failed.
///
/// Messages never include a secret or a database password: URLs are reduced to their scheme,
/// and encrypted values are named by table, column and row, never shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "unsupported database url scheme {scheme:?}: expected sqlite://PATH or postgres://USER@HOST/DB"
    )]
    UnsupportedUrl { scheme: String },
    #[error("invalid database url: {0}")]
    InvalidUrl(String),
    #[error("cannot connect to the database")]
    Connect(#[source] sqlx::Error),
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{what} is still in use")]
    InUse { what: &'static str },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{field} {value} is out of range: the database holds at most {max}", max = i64::MAX)]
    OutOfRange { field: &'static str, value: u64 },
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error(
        "cannot decrypt {table}.{column} of row {row}: the master key is wrong, or the value was altered or copied from another row"
    )]
    Decrypt {
        table: &'static str,
        column: &'static str,
        row: String,
    },
    #[error("cannot encrypt {table}.{column}: the value is too large")]
    Encrypt {
        table: &'static str,
        column: &'static str,
    },
    #[error(
        "the master key does not match this database: its secrets were encrypted with another key"
    )]
    WrongMasterKey,
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("migration {version} ({name}) failed")]
    Migration {
        version: i64,
        name: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "migration {version} ({name}) differs from the one applied to this database; migrations must never be edited once released"
    )]
    MigrationChanged { version: i64, name: &'static str },
    #[error(
        "the database schema is at version {found}, newer than this build knows ({known}); run a newer giftbuyer"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("cannot lock the leader file {path}")]
    LeaderLock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the database file {path}")]
    CreateFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("event payload is {len} bytes; PostgreSQL notifications carry less than {max} bytes")]
    EventTooLarge { len: usize, max: usize },
    #[error("events may have been missed: {0}")]
    EventsMissed(String),
    #[error(transparent)]
    Value(#[from] ValueError),
}

/// Why the master key could not be loaded, parsed or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the master key must be 32 bytes written as 64 hex digits or in base64, got {len} characters that are neither"
    )]
    Malformed { len: usize },
    #[error("the master key must be 32 bytes, got {0}")]
    WrongLength(usize),
    #[error("GIFTBUYER_MASTER_KEY is not a valid master key: {0}")]
    Env(Box<KeyError>),
    #[error("key file {path} is not a valid master key")]
    File {
        path: PathBuf,
        #[source]
        source: Box<KeyError>,
    },
    #[error("cannot read key file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create key file {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "key file {path} can be read by other users (mode {mode:o}); restrict it with chmod 600"
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("the system random number generator failed")]
    Random,
}

impl Error {
    /// Classifies a database error: lost connections and timeouts are `Unavailable`, a busy
    /// SQLite file too (it means the busy timeout ran out), everything else is `Database`.
    pub(crate) fn from_sqlx(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => Self::Unavailable(error),
            sqlx::Error::Database(db) if is_sqlite_busy(db.code().as_deref()) => {
                Self::Unavailable(error)
            }
            _ => Self::Database(error),
        }
    }

    /// Like [`Error::from_sqlx`], reading a unique violation as a conflict on `what`.
    pub(crate) fn unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict { what },
            _ => Self::from_sqlx(error),
        }
    }

    /// Like [`Error::from_sqlx`], reading a foreign key violation as `on_fk` (a missing parent
    /// on insert, a remaining child on delete) and a unique violation as a conflict on `what`.
    pub(crate) fn keys(what: &'static str, on_fk: Self) -> impl FnOnce(sqlx::Error) -> Self {
        move |error| match &error {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => on_fk,
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict { what },
            _ => Self::from_sqlx(error),
        }
    }

    pub(crate) fn corrupt(what: &'static str, detail: impl ToString) -> Self {
        Self::Corrupt {
            what,
            detail: detail.to_string(),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::from_sqlx(error)
    }
}

/// SQLite's `SQLITE_BUSY` and its extended codes (`SQLITE_BUSY_SNAPSHOT` and others) all have
/// 5 as their low byte.
fn is_sqlite_busy(code: Option<&str>) -> bool {
    code.and_then(|code| code.parse::<i64>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

impl From<Error> for PanelStoreError {
    fn from(error: Error) -> Self {
        match error {
            Error::Conflict { what } => Self::Conflict { what },
            Error::NotFound { what } => Self::NotFound { what },
            Error::InUse { what } => Self::InUse { what },
            Error::Invalid { field, reason } => Self::Invalid { field, reason },
            Error::OutOfRange { field, .. } => Self::Invalid {
                field,
                reason: error.to_string(),
            },
            Error::Value(value) => Self::Value(value),
            Error::Corrupt { .. } | Error::Decrypt { .. } | Error::WrongMasterKey => {
                Self::Corrupt(error.to_string())
            }
            Error::Connect(_) | Error::Unavailable(_) => Self::Unavailable(full_message(&error)),
            other => Self::Other(full_message(&other)),
        }
    }
}

impl From<Error> for StoreError {
    fn from(error: Error) -> Self {
        match error {
            Error::Connect(_) | Error::Unavailable(_) => Self::Unavailable(full_message(&error)),
            other => Self::Other(full_message(&other)),
        }
    }
}

/// The error with its causes, `outer: inner: innermost`. The port errors carry text only, so
/// the causes that `source()` would otherwise give are written out here.
fn full_message(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some causes repeat their own source in their message; skip exact repeats.
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
