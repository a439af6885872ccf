//! MTProto sessions of Telegram accounts (sealed under the master key) and the leases that keep
//! each session in use from one instance at a time.
//!
//! Lease expiry is measured on the database's clock, in milliseconds, so instances whose clocks
//! disagree still agree on who holds a lease. A lease is a row per account; taking it is one
//! `INSERT ... ON CONFLICT DO UPDATE ... WHERE` that only replaces an expired lease or one the
//! same holder already has, which the database applies atomically.

use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{
    AccountRowId, MtprotoSession, PanelStoreError, Secret, SessionVault, UserId,
};

use crate::crypto::{RowKey, SESSION_DATA};
use crate::db::{RowExt, check_text, with_db};
use crate::{Error, Store};

/// A serialised session (auth keys of a few DCs and a peer cache) is a few kilobytes; the bound
/// stops a runaway cache from bloating every row read.
const MAX_SESSION_LEN: usize = 4 * 1024 * 1024;
const MAX_HOLDER_LEN: usize = 128;

fn session_row(user: UserId, account: AccountRowId) -> RowKey {
    RowKey {
        user: user.get(),
        row: account.get(),
    }
}

async fn load_session(
    store: &Store,
    user: UserId,
    account: AccountRowId,
) -> Result<Option<MtprotoSession>, Error> {
    let row = with_db!(store.db(), pool => {
        sqlx::query("SELECT home_dc, data FROM account_sessions WHERE account_id = $1 AND user_id = $2")
            .bind(account.get())
            .bind(user.get())
            .fetch_optional(pool)
            .await?
            .map(|row| -> Result<_, Error> { Ok((row.int("home_dc")?, row.bytes("data")?)) })
            .transpose()?
    });
    let Some((home_dc, sealed)) = row else {
        return Ok(None);
    };
    let data = store
        .crypto()
        .open(SESSION_DATA, session_row(user, account), &sealed)?;
    Ok(Some(MtprotoSession {
        home_dc: i32::try_from(home_dc).map_err(|_| Error::corrupt("home_dc", home_dc))?,
        data: Secret::new(data),
    }))
}

async fn save_session(
    store: &Store,
    user: UserId,
    account: AccountRowId,
    session: &MtprotoSession,
    now: UnixTime,
) -> Result<(), Error> {
    let len = session.data.expose().len();
    if len > MAX_SESSION_LEN {
        return Err(Error::Invalid {
            field: "session",
            reason: format!("{len} bytes; at most {MAX_SESSION_LEN}"),
        });
    }
    let sealed = store.crypto().seal(
        SESSION_DATA,
        session_row(user, account),
        session.data.expose(),
    )?;
    // The composite foreign key refuses an account of another user on insert; on update the
    // WHERE leaves another user's row alone. Either way nothing changes and the account is
    // reported missing.
    let updated = with_db!(store.db(), pool => {
        sqlx::query(
            "INSERT INTO account_sessions (account_id, user_id, home_dc, data, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
             home_dc = excluded.home_dc, data = excluded.data, updated_at = excluded.updated_at \
             WHERE account_sessions.user_id = excluded.user_id",
        )
        .bind(account.get())
        .bind(user.get())
        .bind(i64::from(session.home_dc))
        .bind(sealed)
        .bind(now.secs())
        .execute(pool)
        .await
        .map_err(Error::keys("session", Error::NotFound { what: "account" }))?
        .rows_affected()
    });
    if updated == 0 {
        return Err(Error::NotFound { what: "account" });
    }
    Ok(())
}

async fn clear_session(store: &Store, user: UserId, account: AccountRowId) -> Result<bool, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM account_sessions WHERE account_id = $1 AND user_id = $2")
            .bind(account.get())
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
            > 0)
    })
}

/// Writes each lease statement for both dialects from one template, so they cannot drift; the
/// gaps take the database clock in unix milliseconds (`clock_timestamp()` rather than `now()`
/// on PostgreSQL, which would be the transaction's start).
macro_rules! lease_sql {
    ($before:literal, $after:literal) => {
        (
            concat!(
                $before,
                "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
                $after
            ),
            concat!(
                $before,
                "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
                $after
            ),
        )
    };
    ($before:literal, $middle:literal, $after:literal) => {
        (
            concat!(
                $before,
                "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
                $middle,
                "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
                $after
            ),
            concat!(
                $before,
                "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
                $middle,
                "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
                $after
            ),
        )
    };
}

const TAKE_LEASE: (&str, &str) = lease_sql!(
    "INSERT INTO account_leases (account_id, user_id, holder, expires_at_ms) \
     SELECT a.id, a.user_id, $1, ",
    " + $2 FROM accounts a WHERE a.id = $3 AND a.user_id = $4 \
     ON CONFLICT (account_id) DO UPDATE SET holder = excluded.holder, \
     expires_at_ms = excluded.expires_at_ms \
     WHERE account_leases.holder = excluded.holder OR account_leases.expires_at_ms <= ",
    ""
);

const RENEW_LEASE: (&str, &str) = lease_sql!(
    "UPDATE account_leases SET expires_at_ms = ",
    " + $1 WHERE account_id = $2 AND user_id = $3 AND holder = $4"
);

fn ttl_ms(ttl: Duration) -> Result<i64, Error> {
    i64::try_from(ttl.as_millis())
        .ok()
        .filter(|ms| *ms <= i64::from(u32::MAX))
        .ok_or(Error::Invalid {
            field: "lease ttl",
            reason: "must be under 49 days".into(),
        })
}

async fn account_exists(store: &Store, user: UserId, account: AccountRowId) -> Result<bool, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("SELECT 1 AS one FROM accounts WHERE id = $1 AND user_id = $2")
            .bind(account.get())
            .bind(user.get())
            .fetch_optional(pool)
            .await?
            .is_some())
    })
}

async fn lease_account(
    store: &Store,
    user: UserId,
    account: AccountRowId,
    holder: &str,
    ttl: Duration,
) -> Result<bool, Error> {
    check_holder(holder)?;
    let ttl = ttl_ms(ttl)?;
    let taken = with_db!(store.db(), pool, backend => {
        sqlx::query(backend.pick(TAKE_LEASE.0, TAKE_LEASE.1))
            .bind(holder)
            .bind(ttl)
            .bind(account.get())
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
    });
    if taken > 0 {
        return Ok(true);
    }
    // Nothing was written: either another holder has the lease, or the account is not this
    // user's (the SELECT found no row), which must look like a missing account.
    if account_exists(store, user, account).await? {
        Ok(false)
    } else {
        Err(Error::NotFound { what: "account" })
    }
}

async fn renew_lease(
    store: &Store,
    user: UserId,
    account: AccountRowId,
    holder: &str,
    ttl: Duration,
) -> Result<bool, Error> {
    check_holder(holder)?;
    let ttl = ttl_ms(ttl)?;
    // A lease still carrying this holder's name was never taken over, even if it expired in
    // between: taking it requires replacing the holder. So renewing checks the holder only.
    with_db!(store.db(), pool, backend => {
        Ok(sqlx::query(backend.pick(RENEW_LEASE.0, RENEW_LEASE.1))
            .bind(ttl)
            .bind(account.get())
            .bind(user.get())
            .bind(holder)
            .execute(pool)
            .await?
            .rows_affected()
            > 0)
    })
}

async fn release_lease(
    store: &Store,
    user: UserId,
    account: AccountRowId,
    holder: &str,
) -> Result<bool, Error> {
    check_holder(holder)?;
    with_db!(store.db(), pool => {
        Ok(sqlx::query(
            "DELETE FROM account_leases WHERE account_id = $1 AND user_id = $2 AND holder = $3",
        )
        .bind(account.get())
        .bind(user.get())
        .bind(holder)
        .execute(pool)
        .await?
        .rows_affected()
            > 0)
    })
}

fn check_holder(holder: &str) -> Result<(), Error> {
    check_text("lease holder", holder, MAX_HOLDER_LEN)?;
    if holder.is_empty() {
        return Err(Error::Invalid {
            field: "lease holder",
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

#[async_trait]
impl SessionVault for Store {
    async fn load_session(
        &self,
        user: UserId,
        account: AccountRowId,
    ) -> Result<Option<MtprotoSession>, PanelStoreError> {
        Ok(load_session(self, user, account).await?)
    }

    async fn save_session(
        &self,
        user: UserId,
        account: AccountRowId,
        session: &MtprotoSession,
        now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        Ok(save_session(self, user, account, session, now).await?)
    }

    async fn clear_session(
        &self,
        user: UserId,
        account: AccountRowId,
    ) -> Result<bool, PanelStoreError> {
        Ok(clear_session(self, user, account).await?)
    }

    async fn lease_account(
        &self,
        user: UserId,
        account: AccountRowId,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, PanelStoreError> {
        Ok(lease_account(self, user, account, holder, ttl).await?)
    }

    async fn renew_lease(
        &self,
        user: UserId,
        account: AccountRowId,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, PanelStoreError> {
        Ok(renew_lease(self, user, account, holder, ttl).await?)
    }

    async fn release_lease(
        &self,
        user: UserId,
        account: AccountRowId,
        holder: &str,
    ) -> Result<bool, PanelStoreError> {
        Ok(release_lease(self, user, account, holder).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_use_their_own_clock() {
        for (sql, own, other) in [
            (TAKE_LEASE.0, "unixepoch", "clock_timestamp"),
            (TAKE_LEASE.1, "clock_timestamp", "unixepoch"),
            (RENEW_LEASE.0, "unixepoch", "clock_timestamp"),
            (RENEW_LEASE.1, "clock_timestamp", "unixepoch"),
        ] {
            assert!(sql.contains(own) && !sql.contains(other), "{sql}");
        }
    }
}
