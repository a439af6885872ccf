//! Panel users (login name, password hash, lockout) and their web sessions, which are stored
//! by the SHA-256 of the cookie token only.

use async_trait::async_trait;
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{
    LockoutPolicy, LoginFailure, NewWebSession, PanelStoreError, Secret, SessionTokenHash, UserId,
    UserRecord, UserStore, Username, WebSession, WebSessionId, WebSessionStore,
};
use sha2::{Digest, Sha256};

use crate::db::{RowExt, check_text, from_db_u32, opt_time, time, with_db};
use crate::{Error, Store};

/// A PHC string of argon2id is about 100 bytes; the bound only stops absurd input.
const MAX_HASH_LEN: usize = 512;
const MAX_USER_AGENT_LEN: usize = 512;
const MAX_IP_LEN: usize = 64;

/// The hash under which a web session's cookie token is stored and looked up.
pub fn hash_session_token(token: &str) -> SessionTokenHash {
    SessionTokenHash(Sha256::digest(token.as_bytes()).into())
}

/// `SELECT` of every user column, followed by `$rest` (a literal, so the SQL stays static).
macro_rules! select_user {
    ($rest:literal) => {
        concat!(
            "SELECT id, username, password_hash, created_at, last_login_at, failed_logins, ",
            "locked_until FROM users ",
            $rest
        )
    };
}

fn user_from_row<R: RowExt>(row: &R) -> Result<UserRecord, Error> {
    Ok(UserRecord {
        id: UserId::new(row.int("id")?).map_err(|e| Error::corrupt("user id", e))?,
        username: Username::new(&row.text("username")?)
            .map_err(|e| Error::corrupt("username", e))?,
        password_hash: Secret::new(row.text("password_hash")?),
        created_at: time("created_at", row.int("created_at")?)?,
        last_login_at: opt_time("last_login_at", row.opt_int("last_login_at")?)?,
        failed_logins: from_db_u32("failed_logins", row.int("failed_logins")?)?,
        locked_until: opt_time("locked_until", row.opt_int("locked_until")?)?,
    })
}

async fn create_user(
    store: &Store,
    username: &Username,
    password_hash: &str,
    now: UnixTime,
) -> Result<UserId, Error> {
    check_text("password hash", password_hash, MAX_HASH_LEN)?;
    let id = with_db!(store.db(), pool => {
        sqlx::query(
            "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) \
             RETURNING id",
        )
        .bind(username.as_str())
        .bind(password_hash)
        .bind(now.secs())
        .fetch_one(pool)
        .await
        .map_err(Error::unique("user"))?
        .int("id")?
    });
    UserId::new(id).map_err(|e| Error::corrupt("user id", e))
}

async fn user(store: &Store, user: UserId) -> Result<Option<UserRecord>, Error> {
    with_db!(store.db(), pool => {
        sqlx::query(select_user!("WHERE id = $1"))
            .bind(user.get())
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    })
}

async fn user_by_name(store: &Store, username: &Username) -> Result<Option<UserRecord>, Error> {
    with_db!(store.db(), pool => {
        sqlx::query(select_user!("WHERE username = $1"))
        .bind(username.as_str())
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    })
}

async fn set_password_hash(store: &Store, user: UserId, password_hash: &str) -> Result<(), Error> {
    check_text("password hash", password_hash, MAX_HASH_LEN)?;
    let updated = with_db!(store.db(), pool => {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
    });
    found(updated, "user")
}

async fn record_login_success(store: &Store, user: UserId, now: UnixTime) -> Result<(), Error> {
    let updated = with_db!(store.db(), pool => {
        sqlx::query(
            "UPDATE users SET last_login_at = $1, failed_logins = 0, locked_until = NULL \
             WHERE id = $2",
        )
        .bind(now.secs())
        .bind(user.get())
        .execute(pool)
        .await?
        .rows_affected()
    });
    found(updated, "user")
}

async fn record_login_failure(
    store: &Store,
    user: UserId,
    policy: LockoutPolicy,
    now: UnixTime,
) -> Result<LoginFailure, Error> {
    let lock_secs = i64::try_from(policy.lock_for.as_secs()).map_err(|_| Error::Invalid {
        field: "lockout duration",
        reason: "too long".into(),
    })?;
    let until = now.secs().checked_add(lock_secs).ok_or(Error::Invalid {
        field: "lockout duration",
        reason: "too long".into(),
    })?;
    // One statement counts and locks, so concurrent failures cannot both read the old count.
    // SET expressions see the row as it was before the update on both databases. Failures
    // keep counting while locked, and the first failure after a lock expires locks again:
    // only a successful login resets the count.
    let row = with_db!(store.db(), pool => {
        sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END \
             WHERE id = $3 RETURNING failed_logins, locked_until",
        )
        .bind(i64::from(policy.max_failures))
        .bind(until)
        .bind(user.get())
        .fetch_optional(pool)
        .await?
        .map(|row| -> Result<_, Error> {
            Ok((row.int("failed_logins")?, row.opt_int("locked_until")?))
        })
        .transpose()?
    });
    let (failed, locked_until) = row.ok_or(Error::NotFound { what: "user" })?;
    Ok(LoginFailure {
        failed_logins: from_db_u32("failed_logins", failed)?,
        locked_until: opt_time("locked_until", locked_until)?,
    })
}

async fn delete_user(store: &Store, user: UserId) -> Result<bool, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
            > 0)
    })
}

fn found(updated: u64, what: &'static str) -> Result<(), Error> {
    if updated == 0 {
        Err(Error::NotFound { what })
    } else {
        Ok(())
    }
}

#[async_trait]
impl UserStore for Store {
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        now: UnixTime,
    ) -> Result<UserId, PanelStoreError> {
        Ok(create_user(self, username, password_hash, now).await?)
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>, PanelStoreError> {
        Ok(user(self, id).await?)
    }

    async fn user_by_name(
        &self,
        username: &Username,
    ) -> Result<Option<UserRecord>, PanelStoreError> {
        Ok(user_by_name(self, username).await?)
    }

    async fn set_password_hash(
        &self,
        user: UserId,
        password_hash: &str,
    ) -> Result<(), PanelStoreError> {
        Ok(set_password_hash(self, user, password_hash).await?)
    }

    async fn record_login_success(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        Ok(record_login_success(self, user, now).await?)
    }

    async fn record_login_failure(
        &self,
        user: UserId,
        policy: LockoutPolicy,
        now: UnixTime,
    ) -> Result<LoginFailure, PanelStoreError> {
        Ok(record_login_failure(self, user, policy, now).await?)
    }

    async fn delete_user(&self, user: UserId) -> Result<bool, PanelStoreError> {
        Ok(delete_user(self, user).await?)
    }
}

/// `SELECT` of every web session column except the token hash, followed by `$rest`.
macro_rules! select_session {
    ($rest:literal) => {
        concat!(
            "SELECT id, user_id, created_at, expires_at, user_agent, ip FROM web_sessions ",
            $rest
        )
    };
}

fn session_from_row<R: RowExt>(row: &R) -> Result<WebSession, Error> {
    Ok(WebSession {
        id: WebSessionId::new(row.int("id")?).map_err(|e| Error::corrupt("session id", e))?,
        user_id: UserId::new(row.int("user_id")?).map_err(|e| Error::corrupt("user id", e))?,
        created_at: time("created_at", row.int("created_at")?)?,
        expires_at: time("expires_at", row.int("expires_at")?)?,
        user_agent: row.opt_text("user_agent")?,
        ip: row.opt_text("ip")?,
    })
}

async fn create_session(
    store: &Store,
    user: UserId,
    session: NewWebSession,
    now: UnixTime,
) -> Result<WebSessionId, Error> {
    if let Some(agent) = &session.user_agent {
        check_text("user agent", agent, MAX_USER_AGENT_LEN)?;
    }
    if let Some(ip) = &session.ip {
        check_text("ip", ip, MAX_IP_LEN)?;
    }
    let id = with_db!(store.db(), pool => {
        sqlx::query(
            "INSERT INTO web_sessions (user_id, token_sha256, created_at, expires_at, user_agent, \
             ip) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.get())
        .bind(session.token_hash.0.as_slice())
        .bind(now.secs())
        .bind(session.expires_at.secs())
        .bind(session.user_agent.as_deref())
        .bind(session.ip.as_deref())
        .fetch_one(pool)
        .await
        .map_err(Error::keys("session token", Error::NotFound { what: "user" }))?
        .int("id")?
    });
    WebSessionId::new(id).map_err(|e| Error::corrupt("session id", e))
}

async fn session_by_token(
    store: &Store,
    token_hash: SessionTokenHash,
    now: UnixTime,
) -> Result<Option<WebSession>, Error> {
    with_db!(store.db(), pool => {
        sqlx::query(select_session!("WHERE token_sha256 = $1 AND expires_at > $2"))
        .bind(token_hash.0.as_slice())
        .bind(now.secs())
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(session_from_row)
        .transpose()
    })
}

async fn sessions(store: &Store, user: UserId, now: UnixTime) -> Result<Vec<WebSession>, Error> {
    with_db!(store.db(), pool => {
        let rows = sqlx::query(select_session!(
            "WHERE user_id = $1 AND expires_at > $2 ORDER BY id DESC"
        ))
        .bind(user.get())
        .bind(now.secs())
        .fetch_all(pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    })
}

async fn revoke_session(store: &Store, user: UserId, session: WebSessionId) -> Result<bool, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM web_sessions WHERE id = $1 AND user_id = $2")
            .bind(session.get())
            .bind(user.get())
            .execute(pool)
            .await?
            .rows_affected()
            > 0)
    })
}

async fn revoke_sessions(
    store: &Store,
    user: UserId,
    keep: Option<WebSessionId>,
) -> Result<u64, Error> {
    // Session ids are positive, so 0 keeps nothing.
    let keep = keep.map_or(0, WebSessionId::get);
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM web_sessions WHERE user_id = $1 AND id <> $2")
            .bind(user.get())
            .bind(keep)
            .execute(pool)
            .await?
            .rows_affected())
    })
}

async fn purge_expired_sessions(store: &Store, now: UnixTime) -> Result<u64, Error> {
    with_db!(store.db(), pool => {
        Ok(sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
            .bind(now.secs())
            .execute(pool)
            .await?
            .rows_affected())
    })
}

#[async_trait]
impl WebSessionStore for Store {
    async fn create_session(
        &self,
        user: UserId,
        session: NewWebSession,
        now: UnixTime,
    ) -> Result<WebSessionId, PanelStoreError> {
        Ok(create_session(self, user, session, now).await?)
    }

    async fn session_by_token(
        &self,
        token_hash: SessionTokenHash,
        now: UnixTime,
    ) -> Result<Option<WebSession>, PanelStoreError> {
        Ok(session_by_token(self, token_hash, now).await?)
    }

    async fn sessions(
        &self,
        user: UserId,
        now: UnixTime,
    ) -> Result<Vec<WebSession>, PanelStoreError> {
        Ok(sessions(self, user, now).await?)
    }

    async fn revoke_session(
        &self,
        user: UserId,
        session: WebSessionId,
    ) -> Result<bool, PanelStoreError> {
        Ok(revoke_session(self, user, session).await?)
    }

    async fn revoke_sessions(
        &self,
        user: UserId,
        keep: Option<WebSessionId>,
    ) -> Result<u64, PanelStoreError> {
        Ok(revoke_sessions(self, user, keep).await?)
    }

    async fn purge_expired_sessions(&self, now: UnixTime) -> Result<u64, PanelStoreError> {
        Ok(purge_expired_sessions(self, now).await?)
    }
}
