//! Migrations from an empty database on each backend, refusing edited or unknown migrations,
//! and connection errors that name the problem without leaking the URL's password.

use giftbuyer_store::{Error, Store, migrate};

use crate::support::{TestDb, key, on_every_backend};

async fn migrations_run_from_empty_once(db: &TestDb) {
    let report = migrate(&db.url).await.expect("first migration");
    assert_eq!(
        (report.applied.as_slice(), report.version),
        (&[1, 2, 3, 4, 5, 6, 7, 8][..], 8)
    );
    let report = migrate(&db.url).await.expect("second migration");
    assert!(report.applied.is_empty());
    let store = db.store().await;
    assert_eq!(store.backend(), db.backend);
    assert!(store.migrate().await.expect("again").applied.is_empty());
    store.close().await;

    let raw = db.raw().await;
    assert_eq!(raw.int("SELECT COUNT(*) FROM schema_migrations").await, 8);
    for table in [
        "users",
        "accounts",
        "journal",
        "channels",
        "gifts",
        "gift_remaining",
        "audit_log",
        "resale_watches",
        "resale_journal",
        "auction_plans",
        "bid_budgets",
        "bid_journal",
    ] {
        assert_eq!(raw.int(&format!("SELECT COUNT(*) FROM {table}")).await, 0);
    }

    raw.execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'future', 'x', 0)")
        .await;
    let error = migrate(&db.url).await.expect_err("newer schema");
    assert!(
        matches!(
            error,
            Error::SchemaTooNew {
                found: 99,
                known: 8
            }
        ),
        "{error}"
    );
    raw.execute("DELETE FROM schema_migrations WHERE version = 99")
        .await;

    raw.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        .await;
    let error = Store::connect(&db.url, key(1))
        .await
        .expect_err("edited migration");
    assert!(
        matches!(error, Error::MigrationChanged { version: 1, .. }),
        "{error}"
    );
    raw.close().await;
}

on_every_backend!(migrations_run_from_empty_once);

#[tokio::test]
async fn bad_urls_are_named_without_their_password() {
    let error = Store::connect("mysql://user:hunter2@host/db", key(1))
        .await
        .expect_err("unsupported");
    assert!(matches!(error, Error::UnsupportedUrl { .. }));
    assert!(!error.to_string().contains("hunter2"), "{error}");

    let error = Store::connect("postgres://user:hunter2@127.0.0.1:1/db", key(1))
        .await
        .expect_err("nothing listens on port 1");
    assert!(matches!(error, Error::Connect(_)), "{error}");
    assert!(!error.to_string().contains("hunter2"), "{error}");

    // A missing data directory is created, but not below a regular file.
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let url = format!("sqlite://{}/x/y.db", file.path().display());
    let error = Store::connect(&url, key(1))
        .await
        .expect_err("a file cannot hold a directory");
    assert!(matches!(error, Error::CreateFile { .. }), "{error}");
}

#[tokio::test]
async fn a_missing_data_directory_is_created_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let url = format!("sqlite://{}", data.join("giftbuyer.db").display());
    let store = Store::connect(&url, key(1)).await.expect("created");
    store.close().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&data)
            .expect("data dir")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data() {
    let store = Store::connect("sqlite::memory:", key(1))
        .await
        .expect("memory");
    let user = crate::support::user(&store, "memory").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    use giftbuyer_core::ports::UserStore as _;
    assert!(store.user(user).await.expect("read").is_some());
}
