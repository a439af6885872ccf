//! Secrets at rest: none appears in clear anywhere in the database, each decrypts only in its
//! own row and column, a wrong master key is refused at connect, and key rotation re-encrypts
//! everything.

use giftbuyer_core::ports::{
    AccountStore as _, ApiProfileStore as _, MtprotoSession, NewAccount, NewApiProfile,
    PanelStoreError, Secret, SessionVault as _, SettingsStore as _,
};
use giftbuyer_store::{Error, Store, rotate_master_key};

use crate::support::{Raw, TestDb, at, key, on_every_backend, user};
use crate::tenancy::{Owned, populate};

const API_HASH: &str = "SECRET-API-HASH-7f3a9c";
const PHONE: &str = "+99912345678901";
const BOT_TOKEN: &str = "424242:SECRET-BOT-TOKEN-x9";
const SESSION: &str = "SECRET-AUTH-KEY-MATERIAL-q8";

/// Writes one of each secret for a user named `secretscan`.
async fn write_secrets(store: &Store) {
    let user = user(store, "secretscan").await;
    let profile = store
        .create_api_profile(
            user,
            NewApiProfile {
                name: "p".into(),
                api_id: 1,
                api_hash: Secret::new(API_HASH.into()),
            },
            at(1),
        )
        .await
        .expect("profile");
    let account = store
        .create_account(
            user,
            NewAccount {
                phone: Secret::new(PHONE.into()),
                api_profile: Some(profile),
            },
            at(1),
        )
        .await
        .expect("account");
    let session = MtprotoSession {
        home_dc: 2,
        data: Secret::new(SESSION.as_bytes().to_vec()),
    };
    store
        .save_session(user, account, &session, at(1))
        .await
        .expect("session");
    store
        .set_bot_token(user, Some(Secret::new(BOT_TOKEN.into())), at(1))
        .await
        .expect("token");

    // Every secret reads back, and none shows in Debug output.
    let profile = store
        .api_profile(user, profile)
        .await
        .expect("read")
        .expect("some");
    let account_row = store
        .account(user, account)
        .await
        .expect("read")
        .expect("some");
    let loaded = store
        .load_session(user, account)
        .await
        .expect("read")
        .expect("some");
    let token = store.bot_token(user).await.expect("read").expect("some");
    assert_eq!(profile.api_hash.expose(), API_HASH);
    assert_eq!(account_row.phone.expose(), PHONE);
    assert_eq!(loaded, session);
    assert_eq!(token.expose(), BOT_TOKEN);
    let debug = format!("{profile:?} {account_row:?} {loaded:?} {token:?}");
    for secret in [API_HASH, PHONE, BOT_TOKEN, SESSION] {
        assert!(
            !debug.contains(secret),
            "{secret} printed by Debug: {debug}"
        );
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The needles a clear secret would leave: its bytes, and on PostgreSQL the hex form in
/// which `bytea` columns print.
fn needles() -> Vec<Vec<u8>> {
    [API_HASH, PHONE, BOT_TOKEN, SESSION]
        .iter()
        .flat_map(|secret| [secret.as_bytes().to_vec(), hex_bytes(secret.as_bytes())])
        .collect()
}

fn hex_bytes(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .into_bytes()
}

/// Every row of every table, as text (PostgreSQL) or the raw database files (SQLite).
async fn everything_stored(db: &TestDb) -> Vec<u8> {
    match db.raw().await {
        Raw::Sqlite(pool) => {
            pool.close().await;
            let mut bytes = Vec::new();
            for file in db.sqlite_files() {
                bytes.extend(std::fs::read(file).expect("read database file"));
            }
            bytes
        }
        Raw::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            )
            .fetch_all(&pool)
            .await
            .expect("tables");
            assert!(tables.len() > 10, "{tables:?}");
            let mut text = String::new();
            for table in tables {
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT t::text FROM {table} t"
                )))
                .fetch_all(&pool)
                .await
                .expect("rows");
                text.push_str(&rows.join("\n"));
            }
            pool.close().await;
            text.into_bytes()
        }
    }
}

async fn no_secret_is_stored_in_clear(db: &TestDb) {
    let store = db.store().await;
    write_secrets(&store).await;
    store.close().await;
    #[cfg(unix)]
    for file in db.sqlite_files_if_any() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    let stored = everything_stored(db).await;
    // The scan does see plain data: the user name is stored in clear.
    assert!(find(&stored, b"secretscan"), "the scan misses plain data");
    for needle in needles() {
        assert!(
            !find(&stored, &needle),
            "{} found in clear",
            String::from_utf8_lossy(&needle)
        );
    }
}

/// A sealed value copied to another row or column does not decrypt there.
async fn moved_ciphertexts_do_not_decrypt(db: &TestDb) {
    let store = db.store().await;
    let alice = populate(&store, "alice", 6001).await;
    let bob = populate(&store, "bob", 6002).await;
    let raw = db.raw().await;
    let (a, b) = (alice.user.get(), bob.user.get());

    let token = raw
        .bytes(&format!(
            "SELECT bot_token FROM user_settings WHERE user_id = {a}"
        ))
        .await;
    raw.set_blob(
        "user_settings",
        "bot_token",
        &format!("user_id = {b}"),
        &token,
    )
    .await;
    let error = store.bot_token(bob.user).await.expect_err("moved token");
    assert_decrypt_error(&error, "user_settings.bot_token");
    assert!(
        store.bot_token(alice.user).await.is_ok(),
        "the original still decrypts"
    );

    let phone = raw
        .bytes(&format!("SELECT phone FROM accounts WHERE user_id = {a}"))
        .await;
    raw.set_blob("accounts", "phone", &format!("user_id = {b}"), &phone)
        .await;
    assert_decrypt_error(
        &store.accounts(bob.user).await.expect_err("moved phone"),
        "accounts.phone",
    );

    let session = raw
        .bytes(&format!(
            "SELECT data FROM account_sessions WHERE user_id = {a}"
        ))
        .await;
    raw.set_blob(
        "account_sessions",
        "data",
        &format!("user_id = {b}"),
        &session,
    )
    .await;
    assert_decrypt_error(
        &store
            .load_session(bob.user, bob.account)
            .await
            .expect_err("moved session"),
        "account_sessions.data",
    );

    // Same user and column, another row: one of Alice's phone numbers over another.
    let second = store
        .create_account(
            alice.user,
            NewAccount {
                phone: Secret::new("+15550000002".into()),
                api_profile: None,
            },
            at(40),
        )
        .await
        .expect("second account");
    let first_phone = raw
        .bytes(&format!(
            "SELECT phone FROM accounts WHERE id = {}",
            alice.account.get()
        ))
        .await;
    raw.set_blob(
        "accounts",
        "phone",
        &format!("id = {}", second.get()),
        &first_phone,
    )
    .await;
    assert_decrypt_error(
        &store
            .account(alice.user, second)
            .await
            .expect_err("moved within the user"),
        "accounts.phone",
    );
    assert!(store.account(alice.user, alice.account).await.is_ok());
    assert!(
        store
            .delete_account(alice.user, second)
            .await
            .expect("delete")
    );

    // Same row, another column: an API hash pasted over the row's phone number.
    let api_hash = raw
        .bytes(&format!(
            "SELECT api_hash FROM api_profiles WHERE user_id = {a}"
        ))
        .await;
    raw.set_blob("accounts", "phone", &format!("user_id = {a}"), &api_hash)
        .await;
    assert_decrypt_error(
        &store
            .account(alice.user, alice.account)
            .await
            .expect_err("swapped column"),
        "accounts.phone",
    );

    // A flipped bit anywhere breaks authentication.
    let mut hash = raw
        .bytes(&format!(
            "SELECT api_hash FROM api_profiles WHERE user_id = {b}"
        ))
        .await;
    if let Some(byte) = hash.get_mut(30) {
        *byte ^= 0x01;
    }
    raw.set_blob("api_profiles", "api_hash", &format!("user_id = {b}"), &hash)
        .await;
    assert_decrypt_error(
        &store
            .api_profile(bob.user, bob.profile)
            .await
            .expect_err("flipped bit"),
        "api_profiles.api_hash",
    );
    raw.close().await;
}

fn assert_decrypt_error(error: &PanelStoreError, column: &str) {
    let PanelStoreError::Corrupt(message) = error else {
        panic!("expected a decryption error, got {error:?}");
    };
    assert!(
        message.contains(&format!("cannot decrypt {column}")),
        "{message}"
    );
}

async fn a_wrong_master_key_is_refused_at_connect(db: &TestDb) {
    db.store_with(key(1)).await.close().await;
    let error = Store::connect(&db.url, key(2))
        .await
        .expect_err("wrong key");
    assert!(matches!(error, Error::WrongMasterKey), "{error}");
    assert!(error.to_string().contains("master key does not match"));
}

async fn rotation_reencrypts_every_secret(db: &TestDb) {
    let store = db.store_with(key(1)).await;
    let alice = populate(&store, "alice", 7001).await;
    let bob: Owned = populate(&store, "bob", 7002).await;
    let raw = db.raw().await;
    let sealed = |table: &'static str, column: &'static str, user: i64| {
        format!("SELECT {column} FROM {table} WHERE user_id = {user}")
    };
    let queries: Vec<String> = [alice.user.get(), bob.user.get()]
        .iter()
        .flat_map(|&user| {
            [
                sealed("api_profiles", "api_hash", user),
                sealed("accounts", "phone", user),
                sealed("account_sessions", "data", user),
                sealed("user_settings", "bot_token", user),
            ]
        })
        .collect();
    let mut before = Vec::new();
    for query in &queries {
        before.push(raw.bytes(query).await);
    }

    let report = store.rotate_master_key(&key(2)).await.expect("rotate");
    assert_eq!(report.total(), 8, "{report:?}");
    assert_eq!(report.new_fingerprint, key(2).fingerprint());
    for (query, old) in queries.iter().zip(&before) {
        assert_ne!(&raw.bytes(query).await, old, "{query} was not re-encrypted");
    }
    // The same store goes on with the new key.
    let token = store
        .bot_token(alice.user)
        .await
        .expect("token")
        .expect("some");
    assert_eq!(token.expose(), "123:token-of-alice");
    store.close().await;
    raw.close().await;

    let error = Store::connect(&db.url, key(1)).await.expect_err("old key");
    assert!(matches!(error, Error::WrongMasterKey), "{error}");
    let error = rotate_master_key(&db.url, key(1), &key(3))
        .await
        .expect_err("rotating from a wrong key");
    assert!(matches!(error, Error::WrongMasterKey), "{error}");

    let reopened = db.store_with(key(2)).await;
    let phone = reopened
        .account(bob.user, bob.account)
        .await
        .expect("account")
        .expect("some")
        .phone;
    assert_eq!(phone.expose(), "+15557002");
    let session = reopened
        .load_session(alice.user, alice.account)
        .await
        .expect("session")
        .expect("some");
    assert_eq!(session.data.expose(), b"session-of-alice");
    reopened.close().await;

    // The command-line path: connect with the old key, rotate, close.
    let report = rotate_master_key(&db.url, key(2), &key(3))
        .await
        .expect("rotate");
    assert_eq!(report.total(), 8);
    db.store_with(key(3)).await.close().await;
}

on_every_backend!(
    no_secret_is_stored_in_clear,
    moved_ciphertexts_do_not_decrypt,
    a_wrong_master_key_is_refused_at_connect,
    rotation_reencrypts_every_secret,
);
