//! The engine's storage port on the database: catalog diffs, the users to buy for, the purchase
//! journal, reports and account balances.
//!
//! The contract is the one `giftbuyer_engine::MemoryStore` implements, and the integration tests
//! run the same scenarios against both. Where the trait has no user parameter (`transition`,
//! `recover_journal`, `save_account_state`, `record_catalog`, `users`) the method acts for the
//! engine as a whole, which is the only caller of this port.

use std::collections::BTreeMap;

use async_trait::async_trait;
use giftbuyer_core::ports::{
    CatalogDiff, ChatId, EngineStore, JournalEntry, JournalKey, JournalStatus, StoreError,
    UserConfig, UserId, UserSettings,
};
use giftbuyer_core::report::Lang;
use giftbuyer_core::{Account, AccountId, CatalogGift, ChannelId, Operation, Priority, UnixTime};
use sqlx::AssertSqlSafe;

use crate::channels::{TARGET_COLUMNS, target_from_row};
use crate::db::{RowExt, to_db_int, with_db};
use crate::journal::{self, Transition};
use crate::{Error, Store, catalog};

#[async_trait]
impl EngineStore for Store {
    async fn record_catalog(
        &self,
        gifts: &[CatalogGift],
        seen_at: UnixTime,
    ) -> Result<CatalogDiff, StoreError> {
        Ok(catalog::record(self, gifts, seen_at).await?)
    }

    async fn users(&self) -> Result<Vec<UserConfig>, StoreError> {
        Ok(load_users(self).await?)
    }

    async fn begin_run(
        &self,
        user: UserId,
        operations: &[Operation],
        now: UnixTime,
    ) -> Result<i64, StoreError> {
        Ok(journal::begin_run(self, user, operations, now).await?)
    }

    async fn add_operation(
        &self,
        user: UserId,
        key: JournalKey,
        operation: Operation,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        Ok(journal::add_operation(self, user, key, &operation, now).await?)
    }

    async fn transition(
        &self,
        key: JournalKey,
        from: JournalStatus,
        to: JournalStatus,
        error: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        if !from.can_become(to) {
            return Err(StoreError::BadTransition {
                run_id: key.run_id,
                seq: key.seq,
                from: from.code(),
                to: to.code(),
            });
        }
        match journal::transition(self, key, from, to, error, now).await? {
            Transition::Moved => Ok(true),
            Transition::Refused => Ok(false),
            Transition::Missing => Err(StoreError::UnknownEntry {
                run_id: key.run_id,
                seq: key.seq,
            }),
        }
    }

    async fn recover_journal(&self, now: UnixTime) -> Result<u64, StoreError> {
        Ok(journal::recover(self, now).await?)
    }

    async fn run_journal(
        &self,
        user: UserId,
        run_id: i64,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        Ok(journal::run_journal(self, user, run_id).await?)
    }

    async fn save_report(
        &self,
        user: UserId,
        run_id: i64,
        text: String,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        Ok(journal::save_report(self, user, run_id, &text, now).await?)
    }

    async fn save_account_state(
        &self,
        account: Account,
        refreshed_at: UnixTime,
    ) -> Result<(), StoreError> {
        Ok(save_account_state(self, account, refreshed_at).await?)
    }

    async fn forget_session(&self, account: AccountId) -> Result<Option<UserId>, StoreError> {
        Ok(forget_session(self, account).await?)
    }
}

/// Deletes the session of the account with this Telegram user id (unique across users) and
/// returns its owner, in one statement, so that two callers cannot both see it deleted.
async fn forget_session(store: &Store, account: AccountId) -> Result<Option<UserId>, Error> {
    let owner: Option<i64> = with_db!(store.db(), pool => {
        sqlx::query_scalar(
            "DELETE FROM account_sessions WHERE account_id = \
             (SELECT id FROM accounts WHERE telegram_id = $1) RETURNING user_id",
        )
        .bind(account.get())
        .fetch_optional(pool)
        .await?
    });
    owner
        .map(|id| {
            UserId::new(id).map_err(|error| Error::corrupt("account_sessions.user_id", error))
        })
        .transpose()
}

/// Stores an account's balance and Premium status on its row (found by Telegram user id, which
/// is unique across users). An account without a row has nowhere to keep them: nothing happens.
async fn save_account_state(
    store: &Store,
    account: Account,
    refreshed_at: UnixTime,
) -> Result<(), Error> {
    let balance = to_db_int("balance", account.balance.get())?;
    with_db!(store.db(), pool => {
        sqlx::query(
            "UPDATE accounts SET balance = $1, premium = $2, balance_at = $3 WHERE telegram_id = $4",
        )
        .bind(balance)
        .bind(account.premium)
        .bind(refreshed_at.secs())
        .bind(account.id.get())
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Every user with settings, logged-in accounts (a Telegram id and a stored session) and
/// targets, read in one snapshot so that a user is never half-updated.
async fn load_users(store: &Store) -> Result<Vec<UserConfig>, Error> {
    let mut users: BTreeMap<i64, UserConfig> = BTreeMap::new();
    with_db!(store.db(), pool, backend => {
        let mut tx = pool
            .begin_with(backend.pick(
                "BEGIN",
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            ))
            .await?;
        let rows = sqlx::query(
            "SELECT u.id, s.autobuy, s.report_lang, s.forced_target, s.priority FROM users u \
             LEFT JOIN user_settings s ON s.user_id = u.id ORDER BY u.id",
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let id = row.int("id")?;
            let settings = match row.opt_text("report_lang")? {
                // No settings row: the user never saved any.
                None => UserSettings::default(),
                Some(lang) => UserSettings {
                    autobuy: row.flag("autobuy")?,
                    notification_chats: Vec::new(),
                    report_lang: parse_lang(&lang)?,
                    forced_target: row
                        .opt_int("forced_target")?
                        .map(ChannelId::new)
                        .transpose()
                        .map_err(|e| Error::corrupt("forced_target", e))?,
                    priority: parse_priority(&row.text("priority")?)?,
                },
            };
            users.insert(
                id,
                UserConfig {
                    user_id: UserId::new(id).map_err(|e| Error::corrupt("user id", e))?,
                    settings,
                    accounts: Vec::new(),
                    targets: Vec::new(),
                },
            );
        }
        let rows = sqlx::query(
            "SELECT user_id, chat_id FROM notification_chats ORDER BY user_id, position",
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            if let Some(user) = users.get_mut(&row.int("user_id")?) {
                let chat = ChatId::new(row.int("chat_id")?).map_err(|e| Error::corrupt("chat_id", e))?;
                user.settings.notification_chats.push(chat);
            }
        }
        let rows = sqlx::query(
            "SELECT a.user_id, a.telegram_id FROM accounts a \
             JOIN account_sessions s ON s.account_id = a.id \
             WHERE a.telegram_id IS NOT NULL ORDER BY a.user_id, a.id",
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            if let Some(user) = users.get_mut(&row.int("user_id")?) {
                let id = AccountId::new(row.int("telegram_id")?)
                    .map_err(|e| Error::corrupt("telegram_id", e))?;
                user.accounts.push(id);
            }
        }
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT user_id, {TARGET_COLUMNS} FROM channels ORDER BY user_id, id"
        )))
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            if let Some(user) = users.get_mut(&row.int("user_id")?) {
                user.targets.push(target_from_row(row)?);
            }
        }
        tx.commit().await?;
    });
    Ok(users.into_values().collect())
}

pub(crate) fn parse_lang(code: &str) -> Result<Lang, Error> {
    code.parse().map_err(|e| Error::corrupt("report_lang", e))
}

pub(crate) fn parse_priority(code: &str) -> Result<Priority, Error> {
    code.parse().map_err(|e| Error::corrupt("priority", e))
}
