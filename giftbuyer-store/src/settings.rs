//! A user's settings (autobuy, notification chats, forced target, report language, priority)
//! and their bot token, which is sealed under the master key.

use async_trait::async_trait;
use giftbuyer_core::ports::{ChatId, PanelStoreError, Secret, SettingsStore, UserId, UserSettings};
use giftbuyer_core::{ChannelId, UnixTime};

use crate::crypto::{BOT_TOKEN, RowKey};
use crate::db::{BeginWrite, RowExt, check_text, with_db};
use crate::engine_store::{parse_lang, parse_priority};
use crate::{Error, Store};

/// Telegram bot tokens are about 46 characters; the bound only stops absurd input.
const MAX_TOKEN_LEN: usize = 256;
/// More chats than this is a mistake or abuse; each gets a message for every new gift.
const MAX_NOTIFICATION_CHATS: usize = 50;

fn bot_token_row(user: UserId) -> RowKey {
    RowKey {
        user: user.get(),
        row: user.get(),
    }
}

async fn load(store: &Store, user: UserId) -> Result<UserSettings, Error> {
    with_db!(store.db(), pool => {
        let Some(row) = sqlx::query(
            "SELECT autobuy, report_lang, forced_target, priority FROM user_settings \
             WHERE user_id = $1",
        )
        .bind(user.get())
        .fetch_optional(pool)
        .await?
        else {
            return Ok(UserSettings::default());
        };
        let chats = sqlx::query(
            "SELECT chat_id FROM notification_chats WHERE user_id = $1 ORDER BY position",
        )
        .bind(user.get())
        .fetch_all(pool)
        .await?;
        Ok(UserSettings {
            autobuy: row.flag("autobuy")?,
            notification_chats: chats
                .iter()
                .map(|chat| {
                    ChatId::new(chat.int("chat_id")?).map_err(|e| Error::corrupt("chat_id", e))
                })
                .collect::<Result<_, _>>()?,
            report_lang: parse_lang(&row.text("report_lang")?)?,
            forced_target: row
                .opt_int("forced_target")?
                .map(ChannelId::new)
                .transpose()
                .map_err(|e| Error::corrupt("forced_target", e))?,
            priority: parse_priority(&row.text("priority")?)?,
        })
    })
}

async fn bot_token(store: &Store, user: UserId) -> Result<Option<Secret<String>>, Error> {
    let sealed = with_db!(store.db(), pool => {
        sqlx::query("SELECT bot_token FROM user_settings WHERE user_id = $1")
            .bind(user.get())
            .fetch_optional(pool)
            .await?
            .map(|row| row.opt_bytes("bot_token"))
            .transpose()?
            .flatten()
    });
    sealed
        .map(|sealed| {
            store
                .crypto()
                .open_str(BOT_TOKEN, bot_token_row(user), &sealed)
        })
        .transpose()
}

/// Writes the settings when given and the bot token when given (`Some(None)` removes it), in
/// one transaction.
async fn save(
    store: &Store,
    user: UserId,
    settings: Option<&UserSettings>,
    token: Option<Option<&Secret<String>>>,
    now: UnixTime,
) -> Result<(), Error> {
    if let Some(settings) = settings
        && settings.notification_chats.len() > MAX_NOTIFICATION_CHATS
    {
        return Err(Error::Invalid {
            field: "notification chats",
            reason: format!("at most {MAX_NOTIFICATION_CHATS}"),
        });
    }
    let sealed = match token {
        Some(Some(token)) => {
            check_text("bot token", token.expose(), MAX_TOKEN_LEN)?;
            Some(Some(store.crypto().seal_str(
                BOT_TOKEN,
                bot_token_row(user),
                token.expose(),
            )?))
        }
        Some(None) => Some(None),
        None => None,
    };
    with_db!(store.db(), pool => {
        let mut tx = pool.begin_write().await?;
        if let Some(sealed) = sealed {
            sqlx::query(
                "INSERT INTO user_settings (user_id, bot_token, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET bot_token = excluded.bot_token, \
                 updated_at = excluded.updated_at",
            )
            .bind(user.get())
            .bind(sealed)
            .bind(now.secs())
            .execute(&mut *tx)
            .await
            .map_err(Error::keys("settings", Error::NotFound { what: "user" }))?;
        }
        if let Some(settings) = settings {
            sqlx::query(
                "INSERT INTO user_settings (user_id, autobuy, report_lang, forced_target, \
                 priority, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) \
                 DO UPDATE SET autobuy = excluded.autobuy, report_lang = excluded.report_lang, \
                 forced_target = excluded.forced_target, priority = excluded.priority, \
                 updated_at = excluded.updated_at",
            )
            .bind(user.get())
            .bind(settings.autobuy)
            .bind(settings.report_lang.code())
            .bind(settings.forced_target.map(ChannelId::get))
            .bind(settings.priority.code())
            .bind(now.secs())
            .execute(&mut *tx)
            .await
            .map_err(Error::keys("settings", Error::NotFound { what: "user" }))?;
            sqlx::query("DELETE FROM notification_chats WHERE user_id = $1")
                .bind(user.get())
                .execute(&mut *tx)
                .await?;
            for (position, chat) in (0i64..).zip(&settings.notification_chats) {
                sqlx::query(
                    "INSERT INTO notification_chats (user_id, position, chat_id) \
                     VALUES ($1, $2, $3)",
                )
                .bind(user.get())
                .bind(position)
                .bind(chat.get())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
    });
    Ok(())
}

#[async_trait]
impl SettingsStore for Store {
    async fn settings(&self, user: UserId) -> Result<UserSettings, PanelStoreError> {
        Ok(load(self, user).await?)
    }

    async fn save_settings(
        &self,
        user: UserId,
        settings: &UserSettings,
        now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        Ok(save(self, user, Some(settings), None, now).await?)
    }

    async fn bot_token(&self, user: UserId) -> Result<Option<Secret<String>>, PanelStoreError> {
        Ok(bot_token(self, user).await?)
    }

    async fn set_bot_token(
        &self,
        user: UserId,
        token: Option<Secret<String>>,
        now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        Ok(save(self, user, None, Some(token.as_ref()), now).await?)
    }

    async fn save_settings_and_token(
        &self,
        user: UserId,
        settings: Option<&UserSettings>,
        token: Option<Secret<String>>,
        now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        Ok(save(self, user, settings, Some(token.as_ref()), now).await?)
    }
}
