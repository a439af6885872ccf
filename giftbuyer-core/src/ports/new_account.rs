//! Turning a finished Telegram login into an account of the user's list, the same way from the
//! panel and from the terminal, and the phone number form both accept.

use super::{
    AccountRowId, AccountStore, LoggedIn, NewAccount, PanelStoreError, SessionVault, UserId,
};
use crate::UnixTime;

/// A phone number in the form the panel and the command line accept: `+` and 7 to 15 digits
/// once spaces, dashes and parentheses are removed. Returns that compact form, or `None`.
pub fn compact_phone(raw: &str) -> Option<String> {
    let compact: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let valid = compact.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    });
    valid.then_some(compact)
}

/// Why a finished login could not be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveLoginError {
    /// The Telegram account is already in a list (the user's own, or another user's).
    #[error("this Telegram account is already added")]
    AlreadyAdded,
    /// Storing failed. `cleanup` is set when the half-added row could not be removed again
    /// either, for the caller to report.
    #[error("{error}")]
    Store {
        error: PanelStoreError,
        cleanup: Option<PanelStoreError>,
    },
}

impl From<PanelStoreError> for SaveLoginError {
    fn from(error: PanelStoreError) -> Self {
        match error {
            PanelStoreError::Conflict { .. } => Self::AlreadyAdded,
            error => Self::Store {
                error,
                cleanup: None,
            },
        }
    }
}

/// Saves a finished login as a new account of `user`: the row (its phone is a secret the store
/// encrypts), then its Telegram identity, then its session. An account already in the user's
/// list is refused before anything is written; when the identity or the session cannot be
/// saved, the row is removed again, so the list never holds an account that cannot be used.
pub async fn save_login<S>(
    store: &S,
    user: UserId,
    account: NewAccount,
    done: &LoggedIn,
    now: UnixTime,
) -> Result<AccountRowId, SaveLoginError>
where
    S: AccountStore + SessionVault + ?Sized,
{
    if store
        .account_by_telegram_id(user, done.profile.account_id)
        .await?
        .is_some()
    {
        return Err(SaveLoginError::AlreadyAdded);
    }
    let row = store.create_account(user, account, now).await?;
    let saved = async {
        store
            .record_account_login(user, row, &done.profile, now)
            .await?;
        store.save_session(user, row, &done.session, now).await
    };
    if let Err(error) = saved.await {
        let cleanup = store.delete_account(user, row).await.err();
        return Err(match SaveLoginError::from(error) {
            SaveLoginError::Store { error, .. } => SaveLoginError::Store { error, cleanup },
            already => already,
        });
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::compact_phone;

    #[test]
    fn phones_are_compacted_or_refused() {
        assert_eq!(
            compact_phone(" +1 (555) 123-4567 ").as_deref(),
            Some("+15551234567")
        );
        assert_eq!(compact_phone("+1234567").as_deref(), Some("+1234567"));
        for bad in [
            "15551234567",
            "+123456",
            "+1234567890123456",
            "+1555.123.4567",
            "+1555abc4567",
            "",
        ] {
            assert_eq!(compact_phone(bad), None, "{bad}");
        }
    }
}
