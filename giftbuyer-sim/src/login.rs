//! Login emulation: a code sent to a phone number, the code, then the two-step verification
//! password if the account has one. Codes come from the seed and can be read back, so a demo
//! can show them.

use std::collections::BTreeMap;
use std::time::Duration;

use giftbuyer_core::ports::ChannelAccess;
use giftbuyer_core::{AccountId, ChannelId, Stars};

use crate::account::{AccountSpec, AccountState};
use crate::market::{Market, State};
use crate::rng::{SplitMix64, key_str};

/// Tags that keep login draws apart from every other keyed draw.
const CODE_TAG: u64 = 0x434F_4445_0000_0000;
const ACCOUNT_TAG: u64 = 0x4143_434F_554E_5400;

/// Telegram's login codes have five digits.
const CODE_LENGTH: usize = 5;

/// New accounts get user ids in the range Telegram hands out today.
const NEW_ACCOUNT_IDS: std::ops::Range<i64> = 5_000_000_000..8_000_000_000;

/// How logins behave, and what an account created by one starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginConfig {
    /// The balance of an account created by logging in with a number no account has.
    pub starting_balance: Stars,
    /// How long a code stays valid.
    pub code_ttl: Duration,
    /// Wrong codes accepted before the code expires.
    pub max_code_attempts: u32,
    /// The channels an account created by a login can see.
    pub channels: BTreeMap<ChannelId, ChannelAccess>,
    /// Whether an account created by a login can post in every channel not in `channels`
    /// (see [`AccountSpec::any_channel`](crate::AccountSpec::any_channel)). The demo sets it,
    /// so that whatever channel a newcomer adds receives gifts.
    pub any_channel: bool,
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            starting_balance: Stars::new(2_500),
            code_ttl: Duration::from_secs(300),
            max_code_attempts: 5,
            channels: BTreeMap::new(),
            any_channel: false,
        }
    }
}

/// What `auth.sendCode` answers: the hash that ties the code to the next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCode {
    pub phone_code_hash: String,
    pub code_length: usize,
    pub expires_in: Duration,
}

/// Why a login step failed, with Telegram's error names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("{0:?} is not a phone number: expected + and 7 to 15 digits (PHONE_NUMBER_INVALID)")]
    PhoneNumberInvalid(String),
    #[error("no code was requested for this number (PHONE_CODE_EMPTY)")]
    NoCodeSent,
    #[error("the code is wrong (PHONE_CODE_INVALID)")]
    InvalidCode,
    #[error("the code expired or was replaced; request a new one (PHONE_CODE_EXPIRED)")]
    CodeExpired,
    #[error("the account has two-step verification; send its password (SESSION_PASSWORD_NEEDED)")]
    PasswordRequired { hint: Option<String> },
    #[error("the password is wrong (PASSWORD_HASH_INVALID)")]
    InvalidPassword,
    #[error("no login of this number is waiting for a password")]
    NoPasswordPending,
}

/// Logins in progress.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoginState {
    pending: BTreeMap<String, PendingCode>,
    awaiting_password: BTreeMap<String, AccountId>,
    codes_sent: BTreeMap<String, u64>,
    last_codes: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct PendingCode {
    hash: String,
    code: String,
    sent_at: Duration,
    wrong_attempts: u32,
}

/// A phone number in the form the market keeps: `+` and 7 to 15 digits, with spaces, dashes
/// and parentheses removed.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+')?;
    (digits.chars().all(|c| c.is_ascii_digit()) && (7..=15).contains(&digits.len()))
        .then_some(compact)
}

impl Market {
    /// `auth.sendCode`: sends a new code to the number; an older code stops working.
    pub fn request_login_code(&self, phone: &str) -> Result<SentCode, LoginError> {
        let phone = normalize(phone)?;
        let now = self.now().elapsed;
        self.with_state(|state| {
            let seed = state.seed;
            let login = &mut state.login;
            let count = login.codes_sent.entry(phone.clone()).or_insert(0);
            *count += 1;
            let mut rng = SplitMix64::keyed(seed, &[CODE_TAG, key_str(&phone), *count]);
            let code = format!("{:05}", rng.below(100_000));
            let hash = format!("{:016x}", rng.next_u64());
            login.last_codes.insert(phone.clone(), code.clone());
            login.awaiting_password.remove(&phone);
            login.pending.insert(
                phone,
                PendingCode {
                    hash: hash.clone(),
                    code,
                    sent_at: now,
                    wrong_attempts: 0,
                },
            );
            Ok(SentCode {
                phone_code_hash: hash,
                code_length: CODE_LENGTH,
                expires_in: state.login_config.code_ttl,
            })
        })
    }

    /// The last code sent to the number, as the user would read it in the Telegram app.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let phone = normalize_phone(phone)?;
        self.with_state(|state| state.login.last_codes.get(&phone).cloned())
    }

    /// `auth.signIn`: the code. Logs in to the number's account, creating one with the
    /// configured starting balance if no account has the number, unless the account has a
    /// password, which [`Market::check_password`] then takes.
    pub fn sign_in(
        &self,
        phone: &str,
        phone_code_hash: &str,
        code: &str,
    ) -> Result<AccountId, LoginError> {
        let phone = normalize(phone)?;
        let now = self.now().elapsed;
        self.with_state(|state| {
            let ttl = state.login_config.code_ttl;
            let max_attempts = state.login_config.max_code_attempts;
            let pending = state
                .login
                .pending
                .get_mut(&phone)
                .ok_or(LoginError::NoCodeSent)?;
            if pending.hash != phone_code_hash
                || now.saturating_sub(pending.sent_at) >= ttl
                || pending.wrong_attempts >= max_attempts
            {
                return Err(LoginError::CodeExpired);
            }
            if pending.code != code.trim() {
                pending.wrong_attempts += 1;
                return Err(LoginError::InvalidCode);
            }
            state.login.pending.remove(&phone);
            let id = state.account_for_phone(&phone);
            let two_factor = state
                .accounts
                .get(&id)
                .and_then(|account| account.spec.two_factor.clone());
            match two_factor {
                Some(two_factor) => {
                    state.login.awaiting_password.insert(phone, id);
                    Err(LoginError::PasswordRequired {
                        hint: two_factor.hint,
                    })
                }
                None => Ok(id),
            }
        })
    }

    /// The two-step verification password (and hint) of the account that a login of this
    /// number waits on, for a server that checks it by SRP and so must build its verifier.
    pub fn pending_two_factor(&self, phone: &str) -> Option<crate::TwoFactor> {
        let phone = normalize_phone(phone)?;
        self.with_state(|state| {
            let id = state.login.awaiting_password.get(&phone)?;
            state.accounts.get(id)?.spec.two_factor.clone()
        })
    }

    /// `auth.checkPassword`: the two-step verification password after a correct code.
    pub fn check_password(&self, phone: &str, password: &str) -> Result<AccountId, LoginError> {
        let phone = normalize(phone)?;
        self.with_state(|state| {
            let id = *state
                .login
                .awaiting_password
                .get(&phone)
                .ok_or(LoginError::NoPasswordPending)?;
            let matches = state
                .accounts
                .get(&id)
                .and_then(|account| account.spec.two_factor.as_ref())
                .is_none_or(|two_factor| two_factor.password == password);
            if !matches {
                return Err(LoginError::InvalidPassword);
            }
            state.login.awaiting_password.remove(&phone);
            Ok(id)
        })
    }
}

fn normalize(phone: &str) -> Result<String, LoginError> {
    normalize_phone(phone).ok_or_else(|| LoginError::PhoneNumberInvalid(phone.to_owned()))
}

impl State {
    /// The account with this phone number, created now if there is none.
    fn account_for_phone(&mut self, phone: &str) -> AccountId {
        if let Some(account) = self
            .accounts
            .values()
            .find(|account| account.spec.phone.as_deref() == Some(phone))
        {
            return account.spec.id;
        }
        let mut rng = SplitMix64::keyed(self.seed, &[ACCOUNT_TAG, key_str(phone)]);
        let span = (NEW_ACCOUNT_IDS.end - NEW_ACCOUNT_IDS.start) as u64;
        let id = loop {
            let raw = NEW_ACCOUNT_IDS.start + i64::try_from(rng.below(span)).unwrap_or(0);
            // A person's id is theirs: a new account never takes it, so a user id names one
            // of the two only.
            if let Ok(id) = AccountId::new(raw)
                && !self.accounts.contains_key(&id)
                && !self.people.values().any(|&person| person == raw)
            {
                break id;
            }
        };
        let mut spec = AccountSpec::new(id, self.login_config.starting_balance).phone(phone);
        // A name the panel can show, told apart by the number's last digits.
        let last_digits = &phone[phone.len().saturating_sub(4)..];
        spec.first_name = Some(format!("Demo {last_digits}"));
        spec.channels = self.login_config.channels.clone();
        spec.any_channel = self.login_config.any_channel;
        self.accounts.insert(id, AccountState::new(spec));
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalized_or_refused() {
        assert_eq!(
            normalize_phone("+7 (999) 123-45-67").as_deref(),
            Some("+79991234567")
        );
        for bad in [
            "79991234567",
            "+123456",
            "+1234567890123456",
            "+7999abc4567",
            "",
            "+",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }
}
