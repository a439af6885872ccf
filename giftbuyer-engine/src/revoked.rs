//! Accounts whose session Telegram revoked (`AUTH_KEY_UNREGISTERED`, a logout from another
//! device, a deleted account): the stored session is forgotten, so that the panel shows the
//! account as logged out and the engine stops loading it, and its owner is told once through
//! their bot.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{TelegramError, UserConfig};
use giftbuyer_core::report::Lang;

use crate::engine::{Shared, lock};
use crate::events::EngineEvent;
use crate::notify;

/// Starts handling a revoked session when `error` says the account's session is gone; other
/// errors are left alone. Handling runs beside whatever saw the error, never delaying it.
pub(crate) fn check(shared: &Arc<Shared>, account: AccountId, error: &TelegramError) {
    if *error != TelegramError::AuthKeyUnregistered {
        return;
    }
    let task = session_revoked(shared.clone(), account);
    lock(&shared.tasks).spawn(task);
}

async fn session_revoked(shared: Arc<Shared>, account: AccountId) {
    // The store decides who is told: only the call that actually deleted the session gets an
    // owner back, so concurrent sightings (a poll and a purchase) tell the user once.
    let owner = match shared.store.forget_session(account).await {
        Ok(Some(owner)) => owner,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%account, %error, "cannot forget a revoked session");
            return;
        }
    };
    tracing::warn!(%account, user = %owner, "telegram revoked the account's session; it needs a new login");
    shared.reload_requested.store(true, Ordering::Release);
    shared.emit(EngineEvent::SessionRevoked {
        user: owner,
        account,
    });
    let settings = lock(&shared.users)
        .iter()
        .find(|user| user.user_id == owner)
        .map(|user: &UserConfig| user.settings.clone());
    let Some(settings) = settings else {
        return;
    };
    if settings.notification_chats.is_empty() {
        return;
    }
    let text = message(account, settings.report_lang);
    notify::deliver_messages(
        shared,
        owner,
        settings.notification_chats,
        vec![text],
        "a logout notice",
    )
    .await;
}

/// What the owner reads.
pub(crate) fn message(account: AccountId, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "Telegram ended the session of account {account} (AUTH_KEY_UNREGISTERED): it no \
             longer buys. Log it in again in the panel."
        ),
        Lang::Ru => format!(
            "Telegram завершил сеанс аккаунта {account} (AUTH_KEY_UNREGISTERED): он больше не \
             покупает. Войдите в него снова в панели."
        ),
    }
}
