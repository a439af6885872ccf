//! The Telegram accounts a server's store holds, each with its session: what a restarted demo
//! brings back into its market, and what the DC override checks before it is allowed.

use anyhow::Context as _;
use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{
    AccountRecord, AccountStore as _, EngineStore as _, MtprotoSession, SessionVault as _,
};
use giftbuyer_store::Store;

/// One account of one panel user.
pub(super) struct StoredAccount {
    pub(super) id: AccountId,
    pub(super) record: AccountRecord,
    /// `None` when the account has no session (Telegram ended it).
    pub(super) session: Option<MtprotoSession>,
}

/// Every user's accounts with their sessions.
pub(super) async fn stored_accounts(store: &Store) -> anyhow::Result<Vec<StoredAccount>> {
    let users = store
        .users()
        .await
        .context("cannot read the stored accounts")?;
    let mut accounts = Vec::new();
    for user in users {
        for id in user.accounts {
            let Some(record) = store
                .account_by_telegram_id(user.user_id, id)
                .await
                .with_context(|| format!("cannot read account {id}"))?
            else {
                continue;
            };
            let session = store
                .load_session(user.user_id, record.row_id)
                .await
                .with_context(|| format!("cannot read the session of account {id}"))?;
            accounts.push(StoredAccount {
                id,
                record,
                session,
            });
        }
    }
    Ok(accounts)
}
