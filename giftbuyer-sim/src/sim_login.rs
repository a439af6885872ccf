//! `SimLogin`: the core's [`TelegramLogin`] port over the market's login emulation, so the
//! panel's "add a Telegram account" flow (phone, code, two-step password) runs against the
//! simulated market, and the demo can show the code it sent.
//!
//! Pending logins live in memory, keyed by a [`LoginId`] drawn from the market's seed and a
//! counter, so tests see the same ids on every run. Each belongs to one user, who alone can
//! continue or cancel it; it lives as long as the market's code does, and each successful step
//! gives it that long again.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{
    LoggedIn, LoginError, LoginId, LoginProgress, LoginStart, MtprotoSession, Profile, Secret,
    TelegramLogin, UserId, mask_phone,
};

use crate::login::{LoginError as MarketError, normalize_phone};
use crate::market::Market;
use crate::rng::SplitMix64;

/// Keeps login id draws apart from every other keyed draw.
const LOGIN_ID_TAG: u64 = 0x4C4F_4749_4E49_4400;

/// The simulated market's "data centre" recorded in the sessions it hands out.
const SIM_HOME_DC: i32 = 2;

/// The prefix of a simulated session blob, followed by the account's id in decimal.
pub const SIM_SESSION_PREFIX: &str = "giftbuyer-sim:";

/// How many logins one user may have in progress at once, unless configured otherwise.
pub const DEFAULT_MAX_PENDING_PER_USER: usize = 5;

/// Told about every code the market sends: the masked phone and the code, for the demo's log.
pub type CodeObserver = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// Logs accounts in to a [`Market`] through the [`TelegramLogin`] port.
#[derive(Clone)]
pub struct SimLogin {
    market: Market,
    max_pending_per_user: usize,
    observer: Option<CodeObserver>,
    pending: Arc<Mutex<Pending>>,
}

#[derive(Default)]
struct Pending {
    /// How many ids were drawn; each draw is keyed by it, so ids never repeat.
    issued: u64,
    logins: HashMap<LoginId, PendingLogin>,
}

struct PendingLogin {
    user: UserId,
    /// Normalized: `+` and digits.
    phone: String,
    phone_code_hash: String,
    step: Step,
    /// On the market's clock (`Clock::elapsed`), so that virtual time expires logins too.
    expires_at: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Code,
    Password,
}

impl fmt::Debug for SimLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimLogin")
            .field("max_pending_per_user", &self.max_pending_per_user)
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl SimLogin {
    pub fn new(market: Market) -> Self {
        Self {
            market,
            max_pending_per_user: DEFAULT_MAX_PENDING_PER_USER,
            observer: None,
            pending: Arc::new(Mutex::new(Pending::default())),
        }
    }

    /// Changes how many logins one user may have in progress (at least one).
    #[must_use]
    pub fn max_pending_per_user(mut self, max: usize) -> Self {
        self.max_pending_per_user = max.max(1);
        self
    }

    /// Calls `observer` with the masked phone and the code whenever a code is sent, so the
    /// demo server can write the code to its log as well as show it in the panel.
    #[must_use]
    pub fn on_code_sent(mut self, observer: impl Fn(&str, &str) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// How many logins are in progress, across users (expired ones not yet swept included).
    pub fn pending_count(&self) -> usize {
        self.with_pending(|pending| pending.logins.len())
    }

    fn with_pending<R>(&self, step: impl FnOnce(&mut Pending) -> R) -> R {
        // A panic while holding the lock cannot leave the map half-changed (every change is
        // one insert or remove), so a poisoned lock is safe to keep using.
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        step(&mut pending)
    }

    fn now(&self) -> Duration {
        self.market.now().elapsed
    }

    fn code_ttl(&self) -> Duration {
        self.market.with_state(|state| state.login_config.code_ttl)
    }

    fn start_now(&self, request: &LoginStart) -> Result<LoginProgress, LoginError> {
        let phone = normalize_phone(request.phone.expose()).ok_or(LoginError::InvalidPhone)?;
        let now = self.now();
        let ttl = self.code_ttl();
        let login = self.with_pending(|pending| {
            // Logins expired for a whole further TTL are forgotten; until then they answer
            // `CodeExpired` rather than `UnknownLogin`, which tells the user more.
            pending
                .logins
                .retain(|_, login| now < login.expires_at.saturating_add(ttl));
            let mine = pending
                .logins
                .values()
                .filter(|login| login.user == request.user && now < login.expires_at)
                .count();
            if mine >= self.max_pending_per_user {
                return Err(LoginError::TooManyPending);
            }
            pending.issued += 1;
            let mut rng = SplitMix64::keyed(self.market.seed(), &[LOGIN_ID_TAG, pending.issued]);
            Ok(LoginId::new(format!(
                "{:016x}{:016x}",
                rng.next_u64(),
                rng.next_u64()
            )))
        })?;
        let sent = self
            .market
            .request_login_code(&phone)
            .map_err(market_error)?;
        let code = self
            .market
            .last_code(&phone)
            .ok_or_else(|| LoginError::Other("the market sent no code".to_owned()))?;
        let masked_phone = mask_phone(&phone);
        if let Some(observer) = &self.observer {
            observer(&masked_phone, &code);
        }
        self.with_pending(|pending| {
            pending.logins.insert(
                login.clone(),
                PendingLogin {
                    user: request.user,
                    phone,
                    phone_code_hash: sent.phone_code_hash,
                    step: Step::Code,
                    expires_at: now.saturating_add(sent.expires_in),
                },
            );
        });
        Ok(LoginProgress::CodeSent {
            login,
            masked_phone,
            expires_in: sent.expires_in,
            demo_code: Some(code),
        })
    }

    /// The login's phone and code hash, if `user` has this login at `step` and it has not
    /// expired. An expired login is removed and answers `CodeExpired`.
    fn take_step(
        &self,
        user: UserId,
        login: &LoginId,
        step: Step,
    ) -> Result<(String, String), LoginError> {
        let now = self.now();
        self.with_pending(|pending| {
            let found = pending
                .logins
                .get(login)
                .filter(|found| found.user == user)
                .ok_or(LoginError::UnknownLogin)?;
            if now >= found.expires_at {
                pending.logins.remove(login);
                return Err(LoginError::CodeExpired);
            }
            if found.step != step {
                return Err(LoginError::WrongStep);
            }
            Ok((found.phone.clone(), found.phone_code_hash.clone()))
        })
    }

    fn forget(&self, login: &LoginId) {
        self.with_pending(|pending| pending.logins.remove(login));
    }

    fn submit_code_now(
        &self,
        user: UserId,
        login: &LoginId,
        code: &Secret<String>,
    ) -> Result<LoginProgress, LoginError> {
        let (phone, hash) = self.take_step(user, login, Step::Code)?;
        match self.market.sign_in(&phone, &hash, code.expose()) {
            Ok(id) => {
                self.forget(login);
                self.logged_in(id)
            }
            Err(MarketError::PasswordRequired { hint }) => {
                let expires_at = self.now().saturating_add(self.code_ttl());
                self.with_pending(|pending| {
                    if let Some(found) = pending.logins.get_mut(login) {
                        found.step = Step::Password;
                        found.expires_at = expires_at;
                    }
                });
                Ok(LoginProgress::PasswordRequired {
                    login: login.clone(),
                    hint,
                })
            }
            Err(MarketError::InvalidCode) => Err(LoginError::InvalidCode),
            Err(error) => {
                // The code expired, was burnt by wrong tries or replaced by a newer one: this
                // login cannot go on.
                self.forget(login);
                Err(market_error(error))
            }
        }
    }

    fn submit_password_now(
        &self,
        user: UserId,
        login: &LoginId,
        password: &Secret<String>,
    ) -> Result<LoginProgress, LoginError> {
        let (phone, _) = self.take_step(user, login, Step::Password)?;
        match self.market.check_password(&phone, password.expose()) {
            Ok(id) => {
                self.forget(login);
                self.logged_in(id)
            }
            Err(MarketError::InvalidPassword) => Err(LoginError::InvalidPassword),
            Err(error) => {
                self.forget(login);
                Err(market_error(error))
            }
        }
    }

    /// The finished login: the account's profile as the market has it now, and a session blob
    /// that names the account.
    fn logged_in(&self, id: AccountId) -> Result<LoginProgress, LoginError> {
        let unix = self.market.now().unix;
        let profile: Option<Profile> = self
            .market
            .with_state(|state| state.accounts.get(&id).map(|account| account.profile(unix)));
        let profile = profile
            .ok_or_else(|| LoginError::Other("the account vanished from the market".to_owned()))?;
        let data = format!("{SIM_SESSION_PREFIX}{}", id.get()).into_bytes();
        Ok(LoginProgress::Done(LoggedIn {
            profile,
            session: MtprotoSession {
                home_dc: SIM_HOME_DC,
                data: Secret::new(data),
            },
        }))
    }
}

/// The market's error as the port names it.
fn market_error(error: MarketError) -> LoginError {
    match error {
        MarketError::PhoneNumberInvalid(_) => LoginError::InvalidPhone,
        MarketError::InvalidCode => LoginError::InvalidCode,
        MarketError::NoCodeSent | MarketError::CodeExpired | MarketError::NoPasswordPending => {
            LoginError::CodeExpired
        }
        MarketError::InvalidPassword => LoginError::InvalidPassword,
        MarketError::PasswordRequired { .. } => LoginError::WrongStep,
    }
}

#[async_trait]
impl TelegramLogin for SimLogin {
    async fn start(&self, request: LoginStart) -> Result<LoginProgress, LoginError> {
        // The market ignores API credentials: any profile, or none, is accepted.
        self.start_now(&request)
    }

    async fn submit_code(
        &self,
        user: UserId,
        login: &LoginId,
        code: Secret<String>,
    ) -> Result<LoginProgress, LoginError> {
        self.submit_code_now(user, login, &code)
    }

    async fn submit_password(
        &self,
        user: UserId,
        login: &LoginId,
        password: Secret<String>,
    ) -> Result<LoginProgress, LoginError> {
        self.submit_password_now(user, login, &password)
    }

    async fn cancel(&self, user: UserId, login: &LoginId) -> bool {
        self.with_pending(|pending| {
            let mine = pending
                .logins
                .get(login)
                .is_some_and(|found| found.user == user);
            if mine {
                pending.logins.remove(login);
            }
            mine
        })
    }
}
