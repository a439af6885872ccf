//! Telegram API profiles and Telegram accounts. The API hash and the phone number are sealed
//! under the master key, bound to their row.
//!
//! A sealed value's associated data names its row id, which the database assigns on insert;
//! so a new row is inserted with an empty placeholder and sealed right after, inside the same
//! transaction, and no one ever sees the placeholder.

use async_trait::async_trait;
use giftbuyer_core::ports::{
    AccountRecord, AccountRowId, AccountStore, ApiProfile, ApiProfileId, ApiProfileStore,
    NewAccount, NewApiProfile, PanelStoreError, Profile, UserId,
};
use giftbuyer_core::{AccountId, Stars, UnixTime};

use crate::crypto::{API_HASH, Crypto, PHONE, RowKey};
use crate::db::{BeginWrite, RowExt, check_text, from_db_int, opt_time, time, with_db};
use crate::{Error, Store};

const MAX_NAME_LEN: usize = 64;
const MAX_API_HASH_LEN: usize = 128;
const MAX_PHONE_LEN: usize = 32;
const MAX_PROFILE_TEXT_LEN: usize = 256;

fn check_name(field: &'static str, text: &str, max_len: usize) -> Result<(), Error> {
    check_text(field, text, max_len)?;
    if text.trim().is_empty() {
        return Err(Error::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

fn api_profile_from_row<R: RowExt>(row: &R, crypto: &Crypto) -> Result<ApiProfile, Error> {
    let id = row.int("id")?;
    let user = row.int("user_id")?;
    let api_id = row.int("api_id")?;
    Ok(ApiProfile {
        id: ApiProfileId::new(id).map_err(|e| Error::corrupt("api profile id", e))?,
        user_id: UserId::new(user).map_err(|e| Error::corrupt("user id", e))?,
        name: row.text("name")?,
        api_id: i32::try_from(api_id).map_err(|_| Error::corrupt("api_id", api_id))?,
        api_hash: crypto.open_str(API_HASH, RowKey { user, row: id }, &row.bytes("api_hash")?)?,
        created_at: time("created_at", row.int("created_at")?)?,
    })
}

async fn create_api_profile(
    store: &Store,
    user: UserId,
    profile: NewApiProfile,
    now: UnixTime,
) -> Result<ApiProfileId, Error> {
    check_name("api profile name", &profile.name, MAX_NAME_LEN)?;
    check_name("api hash", profile.api_hash.expose(), MAX_API_HASH_LEN)?;
    if profile.api_id <= 0 {
        return Err(Error::Invalid {
            field: "api id",
            reason: format!("must be positive, got {}", profile.api_id),
        });
    }
    let crypto = store.crypto();
    let id = with_db!(store.db(), pool => {
        let mut tx = pool.begin_write().await?;
        let id = sqlx::query(
            "INSERT INTO api_profiles (user_id, name, api_id, api_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.get())
        .bind(&profile.name)
        .bind(i64::from(profile.api_id))
        .bind(Vec::<u8>::new())
        .bind(now.secs())
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::keys("api profile", Error::NotFound { what: "user" }))?
        .int("id")?;
        let sealed = crypto.seal_str(API_HASH, RowKey { user: user.get(), row: id }, profile.api_hash.expose())?;
        sqlx::query("UPDATE api_profiles SET api_hash = $1 WHERE id = $2 AND user_id = $3")
            .bind(sealed)
            .bind(id)
            .bind(user.get())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        id
    });
    ApiProfileId::new(id).map_err(|e| Error::corrupt("api profile id", e))
}

async fn api_profiles(store: &Store, user: UserId) -> Result<Vec<ApiProfile>, Error> {
    let crypto = store.crypto();
    with_db!(store.db(), pool => {
        let rows = sqlx::query(
            "SELECT id, user_id, name, api_id, api_hash, created_at FROM api_profiles \
             WHERE user_id = $1 ORDER BY id",
        )
        .bind(user.get())
        .fetch_all(pool)
        .await?;
        rows.iter().map(|row| api_profile_from_row(row, &crypto)).collect()
    })
}

async fn api_profile(
    store: &Store,
    user: UserId,
    profile: ApiProfileId,
) -> Result<Option<ApiProfile>, Error> {
    let crypto = store.crypto();
    with_db!(store.db(), pool => {
        sqlx::query(
            "SELECT id, user_id, name, api_id, api_hash, created_at FROM api_profiles \
             WHERE id = $1 AND user_id = $2",
        )
        .bind(profile.get())
        .bind(user.get())
        .fetch_optional(pool)
        .await?
        .map(|row| api_profile_from_row(&row, &crypto))
        .transpose()
    })
}

async fn rename_api_profile(
    store: &Store,
    user: UserId,
    profile: ApiProfileId,
    name: &str,
) -> Result<bool, Error> {
    check_name("api profile name", name, MAX_NAME_LEN)?;
    with_db!(store.db(), pool => {
        Ok(sqlx::query("UPDATE api_profiles SET name = $1 WHERE id = $2 AND user_id = $3")
            .bind(name)
            .bind(profile.get())
            .bind(user.get())
            .execute(pool)
            .await
            .map_err(Error::unique("api profile"))?
            .rows_affected()
            > 0)
    })
}

async fn delete_api_profile(
    store: &Store,
    user: UserId,
    profile: ApiProfileId,
) -> Result<bool, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM api_profiles WHERE id = $1 AND user_id = $2")
            .bind(profile.get())
            .bind(user.get())
            .execute(pool)
            .await
            .map_err(Error::keys("api profile", Error::InUse { what: "api profile" }))?
            .rows_affected()
            > 0)
    })
}

#[async_trait]
impl ApiProfileStore for Store {
    async fn create_api_profile(
        &self,
        user: UserId,
        profile: NewApiProfile,
        now: UnixTime,
    ) -> Result<ApiProfileId, PanelStoreError> {
        Ok(create_api_profile(self, user, profile, now).await?)
    }

    async fn api_profiles(&self, user: UserId) -> Result<Vec<ApiProfile>, PanelStoreError> {
        Ok(api_profiles(self, user).await?)
    }

    async fn api_profile(
        &self,
        user: UserId,
        profile: ApiProfileId,
    ) -> Result<Option<ApiProfile>, PanelStoreError> {
        Ok(api_profile(self, user, profile).await?)
    }

    async fn rename_api_profile(
        &self,
        user: UserId,
        profile: ApiProfileId,
        name: &str,
    ) -> Result<bool, PanelStoreError> {
        Ok(rename_api_profile(self, user, profile, name).await?)
    }

    async fn delete_api_profile(
        &self,
        user: UserId,
        profile: ApiProfileId,
    ) -> Result<bool, PanelStoreError> {
        Ok(delete_api_profile(self, user, profile).await?)
    }
}

/// `SELECT` of an account with whether it has a session, followed by `$rest`.
macro_rules! select_account {
    ($rest:literal) => {
        concat!(
            "SELECT a.id, a.user_id, a.phone, a.api_profile_id, a.telegram_id, a.username, ",
            "a.first_name, a.premium, a.premium_until, a.balance, a.balance_at, a.created_at, ",
            "EXISTS (SELECT 1 FROM account_sessions s WHERE s.account_id = a.id) AS logged_in ",
            "FROM accounts a ",
            $rest
        )
    };
}

fn account_from_row<R: RowExt>(row: &R, crypto: &Crypto) -> Result<AccountRecord, Error> {
    let id = row.int("id")?;
    let user = row.int("user_id")?;
    Ok(AccountRecord {
        row_id: AccountRowId::new(id).map_err(|e| Error::corrupt("account id", e))?,
        user_id: UserId::new(user).map_err(|e| Error::corrupt("user id", e))?,
        phone: crypto.open_str(PHONE, RowKey { user, row: id }, &row.bytes("phone")?)?,
        api_profile: row
            .opt_int("api_profile_id")?
            .map(ApiProfileId::new)
            .transpose()
            .map_err(|e| Error::corrupt("api_profile_id", e))?,
        telegram_id: row
            .opt_int("telegram_id")?
            .map(AccountId::new)
            .transpose()
            .map_err(|e| Error::corrupt("telegram_id", e))?,
        username: row.opt_text("username")?,
        first_name: row.opt_text("first_name")?,
        premium: row.flag("premium")?,
        premium_until: opt_time("premium_until", row.opt_int("premium_until")?)?,
        balance: row
            .opt_int("balance")?
            .map(|balance| from_db_int("balance", balance).map(Stars::new))
            .transpose()?,
        balance_at: opt_time("balance_at", row.opt_int("balance_at")?)?,
        logged_in: row.flag("logged_in")?,
        created_at: time("created_at", row.int("created_at")?)?,
    })
}

async fn create_account(
    store: &Store,
    user: UserId,
    account: NewAccount,
    now: UnixTime,
) -> Result<AccountRowId, Error> {
    check_name("phone", account.phone.expose(), MAX_PHONE_LEN)?;
    let missing_parent = Error::NotFound {
        what: if account.api_profile.is_some() {
            "api profile"
        } else {
            "user"
        },
    };
    let crypto = store.crypto();
    let id = with_db!(store.db(), pool => {
        let mut tx = pool.begin_write().await?;
        let id = sqlx::query(
            "INSERT INTO accounts (user_id, phone, api_profile_id, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user.get())
        .bind(Vec::<u8>::new())
        .bind(account.api_profile.map(ApiProfileId::get))
        .bind(now.secs())
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::keys("account", missing_parent))?
        .int("id")?;
        let sealed = crypto.seal_str(PHONE, RowKey { user: user.get(), row: id }, account.phone.expose())?;
        sqlx::query("UPDATE accounts SET phone = $1 WHERE id = $2 AND user_id = $3")
            .bind(sealed)
            .bind(id)
            .bind(user.get())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        id
    });
    AccountRowId::new(id).map_err(|e| Error::corrupt("account id", e))
}

async fn accounts(store: &Store, user: UserId) -> Result<Vec<AccountRecord>, Error> {
    let crypto = store.crypto();
    with_db!(store.db(), pool => {
        let rows = sqlx::query(select_account!("WHERE a.user_id = $1 ORDER BY a.id"))
            .bind(user.get())
            .fetch_all(pool)
            .await?;
        rows.iter().map(|row| account_from_row(row, &crypto)).collect()
    })
}

async fn account(
    store: &Store,
    user: UserId,
    account: AccountRowId,
) -> Result<Option<AccountRecord>, Error> {
    find_account(
        store,
        select_account!("WHERE a.id = $1 AND a.user_id = $2"),
        account.get(),
        user,
    )
    .await
}

async fn account_by_telegram_id(
    store: &Store,
    user: UserId,
    telegram_id: AccountId,
) -> Result<Option<AccountRecord>, Error> {
    find_account(
        store,
        select_account!("WHERE a.telegram_id = $1 AND a.user_id = $2"),
        telegram_id.get(),
        user,
    )
    .await
}

/// One of the user's accounts by a `query` whose `$1` is the key and `$2` the user.
async fn find_account(
    store: &Store,
    query: &'static str,
    key: i64,
    user: UserId,
) -> Result<Option<AccountRecord>, Error> {
    let crypto = store.crypto();
    with_db!(store.db(), pool => {
        sqlx::query(query)
            .bind(key)
            .bind(user.get())
            .fetch_optional(pool)
            .await?
            .map(|row| account_from_row(&row, &crypto))
            .transpose()
    })
}

async fn record_account_login(
    store: &Store,
    user: UserId,
    account: AccountRowId,
    profile: &Profile,
    now: UnixTime,
) -> Result<(), Error> {
    for (field, text) in [
        ("username", &profile.username),
        ("first name", &profile.first_name),
    ] {
        if let Some(text) = text {
            check_text(field, text, MAX_PROFILE_TEXT_LEN)?;
        }
    }
    let updated = with_db!(store.db(), pool => {
        sqlx::query(
            "UPDATE accounts SET telegram_id = $1, username = $2, first_name = $3, premium = $4, \
             premium_until = $5, logged_in_at = $6 WHERE id = $7 AND user_id = $8",
        )
        .bind(profile.account_id.get())
        .bind(profile.username.as_deref())
        .bind(profile.first_name.as_deref())
        .bind(profile.premium)
        .bind(profile.premium_until.map(UnixTime::secs))
        .bind(now.secs())
        .bind(account.get())
        .bind(user.get())
        .execute(pool)
        .await
        .map_err(Error::unique("telegram account"))?
        .rows_affected()
    });
    if updated == 0 {
        return Err(Error::NotFound { what: "account" });
    }
    Ok(())
}

async fn delete_account(store: &Store, user: UserId, account: AccountRowId) -> Result<bool, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM accounts WHERE id = $1 AND user_id = $2")
            .bind(account.get())
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
            > 0)
    })
}

#[async_trait]
impl AccountStore for Store {
    async fn create_account(
        &self,
        user: UserId,
        account: NewAccount,
        now: UnixTime,
    ) -> Result<AccountRowId, PanelStoreError> {
        Ok(create_account(self, user, account, now).await?)
    }

    async fn accounts(&self, user: UserId) -> Result<Vec<AccountRecord>, PanelStoreError> {
        Ok(accounts(self, user).await?)
    }

    async fn account(
        &self,
        user: UserId,
        row: AccountRowId,
    ) -> Result<Option<AccountRecord>, PanelStoreError> {
        Ok(account(self, user, row).await?)
    }

    async fn account_by_telegram_id(
        &self,
        user: UserId,
        telegram_id: AccountId,
    ) -> Result<Option<AccountRecord>, PanelStoreError> {
        Ok(account_by_telegram_id(self, user, telegram_id).await?)
    }

    async fn record_account_login(
        &self,
        user: UserId,
        row: AccountRowId,
        profile: &Profile,
        now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        Ok(record_account_login(self, user, row, profile, now).await?)
    }

    async fn delete_account(
        &self,
        user: UserId,
        row: AccountRowId,
    ) -> Result<bool, PanelStoreError> {
        Ok(delete_account(self, user, row).await?)
    }
}
