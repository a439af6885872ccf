//! Master key rotation: every secret is decrypted under the old key and sealed again under the
//! new one in a single transaction, so the database never holds a mix of the two.

use crate::connect::key_check_marker;
use crate::crypto::{
    API_HASH, BOT_TOKEN, Crypto, Field, KEY_CHECK, MasterKey, PHONE, RowKey, SESSION_DATA,
};
use crate::db::{Backend, BeginWrite, RowExt, with_db};
use crate::{Error, Store};

/// A secret column and how to read and rewrite it. This is the list of every secret the store
/// keeps: a new secret column must be added here, or a rotation would leave it under the old
/// key.
struct SecretColumn {
    field: Field,
    /// Yields `row_id`, `user_id` and `sealed` for every row with a value.
    select: &'static str,
    /// Binds the new sealed value, the row id and the user id.
    update: &'static str,
}

const SECRET_COLUMNS: [SecretColumn; 4] = [
    SecretColumn {
        field: API_HASH,
        select: "SELECT id AS row_id, user_id, api_hash AS sealed FROM api_profiles",
        update: "UPDATE api_profiles SET api_hash = $1 WHERE id = $2 AND user_id = $3",
    },
    SecretColumn {
        field: PHONE,
        select: "SELECT id AS row_id, user_id, phone AS sealed FROM accounts",
        update: "UPDATE accounts SET phone = $1 WHERE id = $2 AND user_id = $3",
    },
    SecretColumn {
        field: SESSION_DATA,
        select: "SELECT account_id AS row_id, user_id, data AS sealed FROM account_sessions",
        update: "UPDATE account_sessions SET data = $1 WHERE account_id = $2 AND user_id = $3",
    },
    SecretColumn {
        field: BOT_TOKEN,
        select: "SELECT user_id AS row_id, user_id, bot_token AS sealed FROM user_settings \
                 WHERE bot_token IS NOT NULL",
        update: "UPDATE user_settings SET bot_token = $1 WHERE user_id = $2 AND user_id = $3",
    },
];

/// What a rotation re-encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// Re-encrypted values per column, as `table.column`.
    pub columns: Vec<(String, u64)>,
    pub old_fingerprint: String,
    pub new_fingerprint: String,
}

impl RotationReport {
    pub fn total(&self) -> u64 {
        self.columns.iter().map(|(_, count)| count).sum()
    }
}

impl Store {
    /// Re-encrypts every secret under `new` in one transaction, then uses `new` from here on.
    ///
    /// Run it while no other instance writes secrets (stop the others first): an instance
    /// still holding the old key would write values no one can read after the rotation. On
    /// PostgreSQL the secret tables are locked against writers for the transaction, which
    /// keeps concurrent writes out but cannot fix another instance's key.
    pub async fn rotate_master_key(&self, new: &MasterKey) -> Result<RotationReport, Error> {
        let old = self.crypto();
        let next = Crypto::new(new);
        let columns = with_db!(self.db(), pool, backend => {
            let mut tx = pool.begin_write().await?;
            if backend == Backend::Postgres {
                sqlx::query(
                    "LOCK TABLE store_meta, api_profiles, accounts, account_sessions, \
                     user_settings IN EXCLUSIVE MODE",
                )
                .execute(&mut *tx)
                .await?;
            }
            let (name, marker) = key_check_marker(&next)?;
            let current = sqlx::query("SELECT value FROM store_meta WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.bytes("value"))
                .transpose()?
                .ok_or(Error::WrongMasterKey)?;
            old.open(KEY_CHECK, RowKey { user: 0, row: 0 }, &current)
                .map_err(|_| Error::WrongMasterKey)?;
            let mut columns = Vec::with_capacity(SECRET_COLUMNS.len());
            for column in &SECRET_COLUMNS {
                let rows = sqlx::query(column.select).fetch_all(&mut *tx).await?;
                let mut count = 0;
                for row in &rows {
                    let key = RowKey {
                        user: row.int("user_id")?,
                        row: row.int("row_id")?,
                    };
                    let plain = zeroize::Zeroizing::new(old.open(column.field, key, &row.bytes("sealed")?)?);
                    let sealed = next.seal(column.field, key, &plain)?;
                    sqlx::query(column.update)
                        .bind(sealed)
                        .bind(key.row)
                        .bind(key.user)
                        .execute(&mut *tx)
                        .await?;
                    count += 1;
                }
                columns.push((format!("{}.{}", column.field.table, column.field.column), count));
            }
            sqlx::query("UPDATE store_meta SET value = $1 WHERE name = $2")
                .bind(marker)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            columns
        });
        self.set_crypto(next);
        Ok(RotationReport {
            columns,
            old_fingerprint: old.fingerprint().to_owned(),
            new_fingerprint: new.fingerprint(),
        })
    }
}

/// Connects to `url` with the `old` key, re-encrypts every secret under `new` and closes.
/// This is what `giftbuyer rotate-key` runs.
pub async fn rotate_master_key(
    url: &str,
    old: MasterKey,
    new: &MasterKey,
) -> Result<RotationReport, Error> {
    let store = Store::connect(url, old).await?;
    let result = store.rotate_master_key(new).await;
    store.close().await;
    result
}
