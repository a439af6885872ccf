//! Logging a user account in: `auth.sendCode` -> `auth.signIn` -> `account.getPassword` /
//! `auth.checkPassword`, sent over the [`RawInvoker`] seam rather than through grammers' login
//! helpers.
//!
//! grammers' `LoginToken` has private fields, so it cannot be kept between two HTTP requests
//! of the panel, and its helpers panic on answers Telegram may legitimately send
//! (`auth.sentCodeSuccess`, `auth.sentCodePaymentRequired`, a `303` without a DC number,
//! password parameters it does not expect). Here every answer becomes a value or a
//! [`LoginError`], never a crash.
//!
//! A login in progress lives in memory only, under an opaque [`LoginId`] the panel hands to
//! the browser, for at most [`LoginConfig::ttl`] after its last step, and a user may have at
//! most [`LoginConfig::max_pending_per_user`] of them. Nothing here logs or returns the code,
//! the password, the phone number in clear (it is masked as `+1555****567`) or an auth key.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use giftbuyer_core::ports::{AccountRowId, MtprotoSession, Profile, Secret, UserId, mask_phone};
use grammers_crypto::two_factor_auth::{calculate_2fa, check_p_and_g};
use grammers_mtsender::{InvocationError, RpcError};
use grammers_session::Session;
use grammers_session::types::{PeerAuth, PeerInfo};
use grammers_tl_types::{RemoteCall, enums, functions, types};
use tokio::time::Instant;

use crate::dc_override::DcOverride;
use crate::errors::rpc_error_name;
use crate::mapping;
use crate::session::{DiscardSink, StoredSession};
use crate::transport::{InvokerFactory, RawInvoker, invoke};

/// The `api_id` and `api_hash` a login introduces itself with (from my.telegram.org).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCredentials {
    pub api_id: i32,
    pub api_hash: Secret<String>,
}

/// Limits of the login flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginConfig {
    /// How long a login waits for its next step (the code or the password) before it is
    /// forgotten and its connection closed.
    pub ttl: Duration,
    /// Logins one panel user may have in progress at once.
    pub max_pending_per_user: usize,
    /// Logins in progress over all users, so that memory and open connections stay bounded.
    pub max_pending_total: usize,
    /// Upper bound on one request to Telegram.
    pub call_timeout: Duration,
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(10 * 60),
            max_pending_per_user: 3,
            max_pending_total: 256,
            call_timeout: Duration::from_secs(30),
        }
    }
}

/// Why a login step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// `PHONE_NUMBER_INVALID`, or a number that is not 5 to 15 digits.
    #[error("the phone number is invalid")]
    InvalidPhone,
    /// `PHONE_NUMBER_BANNED`.
    #[error("telegram banned this phone number")]
    PhoneBanned,
    /// `API_ID_INVALID`, `API_ID_PUBLISHED_FLOOD`.
    #[error("telegram rejected the api id or api hash")]
    InvalidApiCredentials,
    /// `PHONE_CODE_INVALID`, `PHONE_CODE_EMPTY`. The login stays open for another try.
    #[error("the code is wrong")]
    InvalidCode,
    /// `PHONE_CODE_EXPIRED`. The login is over; start again to get a new code.
    #[error("the code expired; request a new one")]
    CodeExpired,
    /// `PASSWORD_HASH_INVALID`. The login stays open for another try.
    #[error("the password is wrong")]
    InvalidPassword,
    /// The code was right and the account has two-step verification: send the password next.
    #[error("the account has a two-step verification password")]
    PasswordRequired { hint: Option<String> },
    /// `auth.authorizationSignUpRequired` or `PHONE_NUMBER_UNOCCUPIED`: no account uses the
    /// number, and third-party apps may not create one.
    #[error("no telegram account uses this number; sign up in an official app first")]
    SignUpRequired,
    /// `FLOOD_WAIT_<n>`: retry after `seconds`.
    #[error("too many attempts, retry in {seconds} s")]
    FloodWait { seconds: u32 },
    /// Telegram sent the login to another data centre twice in a row (`PHONE_MIGRATE_<n>`,
    /// `USER_MIGRATE_<n>`, `NETWORK_MIGRATE_<n>`). The first redirect is followed by moving
    /// the session's home DC; a second one stops here.
    #[error("telegram keeps redirecting the login, last to data centre {dc}")]
    Migrate { dc: i32 },
    /// `auth.sentCodePaymentRequired`: Telegram wants a payment before it sends a code to
    /// this number, which only an official app can make.
    #[error(
        "telegram requires a payment to send a code to this number; log in from an official app"
    )]
    PaymentRequired,
    /// The login id is unknown, expired, or belongs to another user.
    #[error("the login expired or does not exist; start again")]
    UnknownLogin,
    /// Another request on the same login is still running.
    #[error("the previous step of this login is still running")]
    Busy,
    /// Too many logins in progress for this user (or overall).
    #[error("too many logins in progress; finish or cancel one first")]
    TooManyPending,
    /// The login is waiting for the other step (a code when a password was sent, or the
    /// reverse).
    #[error("the login is waiting for the {expected}, not this step")]
    WrongStep { expected: &'static str },
    /// The connection failed or no answer came in time.
    #[error("network error: {0}")]
    Network(String),
    /// Any other RPC error, with Telegram's code and name.
    #[error("telegram error {code} {name}")]
    Rpc { code: i32, name: String },
    /// Telegram answered with something the flow cannot use.
    #[error("unexpected answer from telegram: {0}")]
    Unexpected(&'static str),
}

impl LoginError {
    /// Whether the login is over after this error (the id is forgotten); otherwise the same
    /// step may be tried again.
    fn ends_login(&self) -> bool {
        matches!(
            self,
            Self::InvalidPhone
                | Self::PhoneBanned
                | Self::InvalidApiCredentials
                | Self::CodeExpired
                | Self::SignUpRequired
                | Self::Migrate { .. }
                | Self::PaymentRequired
                | Self::Unexpected(_)
        )
    }
}

/// Maps an invocation error of any login step. The RPC error names of the steps do not
/// overlap, so one table serves them all.
pub fn map_login_error(error: &InvocationError) -> LoginError {
    let InvocationError::Rpc(rpc) = error else {
        return LoginError::Network(error.to_string());
    };
    match rpc.name.as_str() {
        "FLOOD_WAIT" | "FLOOD_PREMIUM_WAIT" => LoginError::FloodWait {
            seconds: rpc.value.unwrap_or(0),
        },
        "PHONE_NUMBER_INVALID" => LoginError::InvalidPhone,
        "PHONE_NUMBER_BANNED" => LoginError::PhoneBanned,
        "API_ID_INVALID" | "API_ID_PUBLISHED_FLOOD" => LoginError::InvalidApiCredentials,
        "PHONE_CODE_INVALID" | "PHONE_CODE_EMPTY" => LoginError::InvalidCode,
        "PHONE_CODE_EXPIRED" => LoginError::CodeExpired,
        "PASSWORD_HASH_INVALID" => LoginError::InvalidPassword,
        "PHONE_NUMBER_UNOCCUPIED" => LoginError::SignUpRequired,
        _ => match migrate_dc(rpc) {
            Some(dc) => LoginError::Migrate { dc },
            None => LoginError::Rpc {
                code: rpc.code,
                name: rpc_error_name(rpc),
            },
        },
    }
}

/// The data centre a `303 *_MIGRATE_<n>` error sends the request to.
fn migrate_dc(rpc: &RpcError) -> Option<i32> {
    if rpc.code == 303 && rpc.name.ends_with("_MIGRATE") {
        rpc.value.and_then(|dc| i32::try_from(dc).ok())
    } else {
        None
    }
}

/// The opaque id of a login in progress, handed to the browser between steps. 128 random
/// bits in hex; it is only valid together with the panel user who started the login.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LoginId(String);

impl LoginId {
    /// The id as the browser sent it back.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn random() -> Result<Self, LoginError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|error| LoginError::Network(format!("no randomness: {error}")))?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }
}

impl fmt::Debug for LoginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The id is a bearer token for the login step; a prefix is enough to follow it in logs.
        let prefix = self.0.get(..6).unwrap_or("");
        write!(f, "LoginId({prefix}…)")
    }
}

/// Where Telegram sent the code, as the panel tells the user where to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeDelivery {
    /// In another logged-in Telegram app.
    App,
    Sms,
    Call,
    FlashCall,
    MissedCall,
    Email,
    /// The account must set up a login email first, which only an official app can do.
    SetUpEmailRequired,
    FragmentSms,
    FirebaseSms,
    SmsWord,
    SmsPhrase,
}

impl CodeDelivery {
    fn from_tl(kind: &enums::auth::SentCodeType) -> Self {
        use enums::auth::SentCodeType as T;
        match kind {
            T::App(_) => Self::App,
            T::Sms(_) => Self::Sms,
            T::Call(_) => Self::Call,
            T::FlashCall(_) => Self::FlashCall,
            T::MissedCall(_) => Self::MissedCall,
            T::EmailCode(_) => Self::Email,
            T::SetUpEmailRequired(_) => Self::SetUpEmailRequired,
            T::FragmentSms(_) => Self::FragmentSms,
            T::FirebaseSms(_) => Self::FirebaseSms,
            T::SmsWord(_) => Self::SmsWord,
            T::SmsPhrase(_) => Self::SmsPhrase,
        }
    }
}

/// The code was sent: what the panel shows while the user waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    pub login_id: LoginId,
    /// The number as `+1555****567`.
    pub masked_phone: String,
    pub delivery: CodeDelivery,
    /// Seconds before another way of delivery may be asked for, when Telegram says.
    pub timeout: Option<i32>,
}

/// A completed login: the account's profile and the session to save for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    pub user: UserId,
    /// The account row of the request, when it named one.
    pub account: Option<AccountRowId>,
    pub profile: Profile,
    /// The session with its auth keys, to save with `SessionVault::save_session`.
    pub session: MtprotoSession,
}

/// A login to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRequest {
    pub user: UserId,
    /// The account row the login is for, when one was created before asking for the code
    /// (only for the logs); the core's `TelegramLogin` port creates the row afterwards and
    /// passes `None`.
    pub account: Option<AccountRowId>,
    pub phone: Secret<String>,
    pub api: ApiCredentials,
}

/// The client's share of the SRP secret `a`.
///
/// The 256 bytes this fills are XOR-ed with Telegram's `secure_random`, so the secret is never
/// weaker than either source. Tests put a fixed source here to check the `auth.checkPassword`
/// fields against `calculate_2fa`.
pub trait SrpRandom: Send + Sync {
    fn fill(&self, bytes: &mut [u8; 256]) -> Result<(), LoginError>;
}

/// The operating system's random generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl SrpRandom for OsRandom {
    fn fill(&self, bytes: &mut [u8; 256]) -> Result<(), LoginError> {
        getrandom::fill(bytes)
            .map_err(|error| LoginError::Network(format!("no randomness: {error}")))
    }
}

/// What a login waits for.
enum Stage {
    Code,
    /// The code was accepted; `params` are the password parameters fetched with it, used once
    /// (`srp_id` is single-use, so a second try fetches new ones).
    Password {
        params: Option<Box<types::account::Password>>,
    },
}

/// A login between two steps: its connection, and what Telegram needs for the next step.
struct Pending {
    user: UserId,
    account: Option<AccountRowId>,
    masked_phone: String,
    /// The number, digits only.
    phone: Secret<String>,
    phone_code_hash: Secret<String>,
    session: Arc<StoredSession>,
    invoker: Arc<dyn RawInvoker>,
    stage: Stage,
}

/// One login in the table. `pending` is `None` while a step runs, so a concurrent request on
/// the same login is refused instead of racing it, and the slot still counts against the cap.
struct Slot {
    user: UserId,
    expires_at: Instant,
    pending: Option<Pending>,
}

/// Runs logins and keeps those in progress.
pub struct LoginFlow {
    factory: Arc<dyn InvokerFactory>,
    config: LoginConfig,
    random: Arc<dyn SrpRandom>,
    /// Where new sessions connect instead of Telegram's DCs, when set (a loopback Telegram).
    dc_override: Option<Arc<dyn DcOverride>>,
    slots: Mutex<HashMap<LoginId, Slot>>,
}

impl fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginFlow")
            .field("config", &self.config)
            .field("pending", &self.lock().len())
            .finish_non_exhaustive()
    }
}

impl LoginFlow {
    pub fn new(factory: Arc<dyn InvokerFactory>, config: LoginConfig) -> Self {
        Self {
            factory,
            config,
            random: Arc::new(OsRandom),
            dc_override: None,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Starts new sessions on a local Telegram's DCs with its pre-shared keys instead of
    /// Telegram's (see [`crate::dc_override`]).
    pub fn with_dc_override(mut self, dc_override: Arc<dyn DcOverride>) -> Self {
        self.dc_override = Some(dc_override);
        self
    }

    /// Replaces the source of the client's SRP randomness (tests).
    pub fn with_srp_random(mut self, random: Arc<dyn SrpRandom>) -> Self {
        self.random = random;
        self
    }

    /// The flow's limits.
    pub fn config(&self) -> &LoginConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<LoginId, Slot>> {
        // The table holds plain data; a panic elsewhere cannot leave an entry half-written.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets logins whose time ran out, closing their connections. Every call does this
    /// first; a server may also call it on a timer so idle connections close on time.
    pub fn purge_expired(&self) -> usize {
        let now = Instant::now();
        let expired: Vec<Slot> = {
            let mut slots = self.lock();
            let ids: Vec<LoginId> = slots
                .iter()
                .filter(|(_, slot)| slot.expires_at <= now)
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| slots.remove(id)).collect()
        };
        // The connections close as the slots drop, outside the lock.
        expired.len()
    }

    /// How many logins `user` has in progress.
    pub fn pending_for(&self, user: UserId) -> usize {
        self.purge_expired();
        self.lock()
            .values()
            .filter(|slot| slot.user == user)
            .count()
    }

    /// Gives a login up. Returns whether it existed (for this user).
    pub fn cancel(&self, user: UserId, login: &LoginId) -> bool {
        let mut slots = self.lock();
        if slots.get(login).is_some_and(|slot| slot.user == user) {
            slots.remove(login);
            true
        } else {
            false
        }
    }

    /// Connects with a fresh session and asks Telegram to send the login code.
    pub async fn start(&self, request: LoginRequest) -> Result<CodeSent, LoginError> {
        let phone = normalize_phone(request.phone.expose()).ok_or(LoginError::InvalidPhone)?;
        let masked_phone = mask_phone(&phone);
        self.purge_expired();
        {
            let slots = self.lock();
            let mine = slots
                .values()
                .filter(|slot| slot.user == request.user)
                .count();
            if mine >= self.config.max_pending_per_user
                || slots.len() >= self.config.max_pending_total
            {
                return Err(LoginError::TooManyPending);
            }
        }
        let session = Arc::new(match &self.dc_override {
            Some(dc_override) => {
                let seed = dc_override
                    .fresh_session()
                    .map_err(|error| LoginError::Network(error.to_string()))?;
                StoredSession::seeded(&seed, Arc::new(DiscardSink))
            }
            None => StoredSession::new(Arc::new(DiscardSink)),
        });
        let invoker = self
            .factory
            .connect(Arc::clone(&session), request.api.api_id)
            .map_err(|error| LoginError::Network(error.to_string()))?;
        let send_code = functions::auth::SendCode {
            phone_number: phone.clone(),
            api_id: request.api.api_id,
            api_hash: request.api.api_hash.expose().clone(),
            settings: enums::CodeSettings::Settings(types::CodeSettings {
                allow_flashcall: false,
                current_number: false,
                allow_app_hash: false,
                allow_missed_call: false,
                allow_firebase: false,
                unknown_number: false,
                logout_tokens: None,
                token: None,
                app_sandbox: None,
            }),
        };
        let sent = match self.call(&session, invoker.as_ref(), &send_code).await {
            Ok(sent) => sent,
            Err(error) => {
                tracing::info!(user = %request.user, phone = %masked_phone, %error, "login code not sent");
                return Err(error);
            }
        };
        let code = match sent {
            enums::auth::SentCode::Code(code) => code,
            enums::auth::SentCode::PaymentRequired(_) => return Err(LoginError::PaymentRequired),
            // Only sent in answer to future auth tokens, which this flow never offers.
            enums::auth::SentCode::Success(_) => {
                return Err(LoginError::Unexpected(
                    "auth.sentCodeSuccess without a login token",
                ));
            }
        };
        let login_id = LoginId::random()?;
        let sent = CodeSent {
            login_id: login_id.clone(),
            masked_phone: masked_phone.clone(),
            delivery: CodeDelivery::from_tl(&code.r#type),
            timeout: code.timeout,
        };
        tracing::info!(user = %request.user, account = ?request.account, phone = %sent.masked_phone, delivery = ?sent.delivery, "login code sent");
        self.lock().insert(
            login_id,
            Slot {
                user: request.user,
                expires_at: Instant::now() + self.config.ttl,
                pending: Some(Pending {
                    user: request.user,
                    account: request.account,
                    masked_phone,
                    phone: Secret::new(phone),
                    phone_code_hash: Secret::new(code.phone_code_hash),
                    session,
                    invoker,
                    stage: Stage::Code,
                }),
            },
        );
        Ok(sent)
    }

    /// Signs in with the code. An account with two-step verification answers
    /// [`LoginError::PasswordRequired`] and waits for [`LoginFlow::submit_password`].
    pub async fn submit_code(
        &self,
        user: UserId,
        login: &LoginId,
        code: Secret<String>,
    ) -> Result<LoggedIn, LoginError> {
        let mut pending = self.take(user, login, "code")?;
        let result = self.sign_in(&mut pending, code.expose().trim()).await;
        self.finish(login, pending, result)
    }

    /// Checks the two-step verification password.
    pub async fn submit_password(
        &self,
        user: UserId,
        login: &LoginId,
        password: Secret<String>,
    ) -> Result<LoggedIn, LoginError> {
        let mut pending = self.take(user, login, "password")?;
        let result = self.check_password(&mut pending, password).await;
        self.finish(login, pending, result)
    }

    /// Takes a login's state out of its slot for one step.
    fn take(
        &self,
        user: UserId,
        login: &LoginId,
        step: &'static str,
    ) -> Result<Pending, LoginError> {
        self.purge_expired();
        let mut slots = self.lock();
        let slot = slots
            .get_mut(login)
            .filter(|slot| slot.user == user)
            .ok_or(LoginError::UnknownLogin)?;
        let pending = slot.pending.take().ok_or(LoginError::Busy)?;
        let expected = match pending.stage {
            Stage::Code => "code",
            Stage::Password { .. } => "password",
        };
        if expected != step {
            slot.pending = Some(pending);
            return Err(LoginError::WrongStep { expected });
        }
        Ok(pending)
    }

    /// Puts a login back after a step, or forgets it when the step ended it.
    fn finish(
        &self,
        login: &LoginId,
        pending: Pending,
        result: Result<Profile, LoginError>,
    ) -> Result<LoggedIn, LoginError> {
        let mut slots = self.lock();
        match result {
            Ok(profile) => {
                // A login that expired while its last step ran is still returned: Telegram has
                // authorized the session, and dropping it would leave an authorization nobody
                // can use.
                let slot = slots.remove(login);
                drop(slots);
                drop(slot);
                tracing::info!(user = %pending.user, account = ?pending.account, phone = %pending.masked_phone, telegram_id = %profile.account_id, "login completed");
                Ok(LoggedIn {
                    user: pending.user,
                    account: pending.account,
                    profile,
                    session: pending.session.snapshot(),
                })
            }
            Err(error) => {
                tracing::info!(user = %pending.user, account = ?pending.account, phone = %pending.masked_phone, %error, "login step failed");
                if error.ends_login() {
                    slots.remove(login);
                } else if let Some(slot) = slots.get_mut(login) {
                    slot.pending = Some(pending);
                    slot.expires_at = Instant::now() + self.config.ttl;
                }
                Err(error)
            }
        }
    }

    /// One request with the timeout and the login's error mapping.
    async fn call<R: RemoteCall>(
        &self,
        session: &StoredSession,
        invoker: &dyn RawInvoker,
        request: &R,
    ) -> Result<R::Return, LoginError> {
        self.call_raw(session, invoker, request)
            .await?
            .map_err(|error| map_login_error(&error))
    }

    /// One request with the timeout, grammers' error kept for steps that look at it.
    ///
    /// A first `303 *_MIGRATE_<n>` moves the session's home DC to `n` (the connection routes
    /// every later request there, connecting to it on demand) and sends the request again; a
    /// second one is returned as it came, and maps to [`LoginError::Migrate`].
    async fn call_raw<R: RemoteCall>(
        &self,
        session: &StoredSession,
        invoker: &dyn RawInvoker,
        request: &R,
    ) -> Result<Result<R::Return, InvocationError>, LoginError> {
        let mut migrated = false;
        loop {
            let answer =
                tokio::time::timeout(self.config.call_timeout, invoke(invoker, None, request))
                    .await
                    .map_err(|_| {
                        LoginError::Network("no answer from telegram in time".to_owned())
                    })?;
            let dc = match &answer {
                Err(InvocationError::Rpc(rpc)) if !migrated => migrate_dc(rpc),
                _ => None,
            };
            let Some(dc) = dc else {
                return Ok(answer);
            };
            tracing::debug!(dc, "login redirected to another data centre");
            session
                .set_home_dc_id(dc)
                .await
                .map_err(|error| LoginError::Network(error.to_string()))?;
            migrated = true;
        }
    }

    async fn sign_in(&self, pending: &mut Pending, code: &str) -> Result<Profile, LoginError> {
        if code.is_empty() || code.len() > 64 {
            return Err(LoginError::InvalidCode);
        }
        let request = functions::auth::SignIn {
            phone_number: pending.phone.expose().clone(),
            phone_code_hash: pending.phone_code_hash.expose().clone(),
            phone_code: Some(code.to_owned()),
            email_verification: None,
        };
        let answer = self
            .call_raw(&pending.session, pending.invoker.as_ref(), &request)
            .await?;
        match answer {
            Ok(authorization) => complete(&pending.session, authorization).await,
            Err(InvocationError::Rpc(rpc)) if rpc.name == "SESSION_PASSWORD_NEEDED" => {
                let password = self.password_params(pending).await?;
                let hint = password.hint.clone().filter(|hint| !hint.is_empty());
                pending.stage = Stage::Password {
                    params: Some(password),
                };
                Err(LoginError::PasswordRequired { hint })
            }
            Err(error) => Err(map_login_error(&error)),
        }
    }

    /// `account.getPassword`: the SRP parameters of the account's password.
    async fn password_params(
        &self,
        pending: &Pending,
    ) -> Result<Box<types::account::Password>, LoginError> {
        let enums::account::Password::Password(password) = self
            .call(
                &pending.session,
                pending.invoker.as_ref(),
                &functions::account::GetPassword {},
            )
            .await?;
        Ok(Box::new(password))
    }

    async fn check_password(
        &self,
        pending: &mut Pending,
        password: Secret<String>,
    ) -> Result<Profile, LoginError> {
        let cached = match &mut pending.stage {
            Stage::Password { params } => params.take(),
            Stage::Code => None,
        };
        let mut params = match cached {
            Some(params) => params,
            None => self.password_params(pending).await?,
        };
        let mut fetched_again = false;
        loop {
            let srp = srp_params(&params)?;
            // Telegram's prime is checked once per process; a changed or broken one is
            // fetched again once before giving up, as the SRP specification asks.
            if !checked_prime(&srp).await {
                if fetched_again {
                    return Err(LoginError::Unexpected(
                        "the password parameters fail the prime check",
                    ));
                }
                fetched_again = true;
                params = self.password_params(pending).await?;
                continue;
            }
            let mut client_random = [0u8; 256];
            self.random.fill(&mut client_random)?;
            let check = srp_answer(srp, client_random, password.clone()).await?;
            let request = functions::auth::CheckPassword { password: check };
            let answer = self
                .call_raw(&pending.session, pending.invoker.as_ref(), &request)
                .await?;
            return match answer {
                Ok(authorization) => complete(&pending.session, authorization).await,
                // The SRP id is single-use and short-lived: take new parameters and try once
                // more with the same password.
                Err(InvocationError::Rpc(rpc))
                    if rpc.name == "SRP_ID_INVALID" && !fetched_again =>
                {
                    fetched_again = true;
                    params = self.password_params(pending).await?;
                    continue;
                }
                Err(error) => Err(map_login_error(&error)),
            };
        }
    }
}

/// The parts of `account.password` the SRP answer is computed from.
#[derive(Clone)]
struct SrpParams {
    salt1: Vec<u8>,
    salt2: Vec<u8>,
    p: Vec<u8>,
    g: i32,
    srp_b: Vec<u8>,
    srp_id: i64,
    secure_random: Vec<u8>,
}

fn srp_params(password: &types::account::Password) -> Result<SrpParams, LoginError> {
    let algo = match &password.current_algo {
        Some(enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)) => {
            algo
        }
        Some(enums::PasswordKdfAlgo::Unknown) => {
            return Err(LoginError::Unexpected(
                "the password uses a key derivation this client does not know",
            ));
        }
        None => {
            return Err(LoginError::Unexpected(
                "account.password has no current algorithm",
            ));
        }
    };
    let (Some(srp_b), Some(srp_id)) = (&password.srp_b, password.srp_id) else {
        return Err(LoginError::Unexpected(
            "account.password has no srp_b or srp_id",
        ));
    };
    Ok(SrpParams {
        salt1: algo.salt1.clone(),
        salt2: algo.salt2.clone(),
        p: algo.p.clone(),
        g: algo.g,
        srp_b: srp_b.clone(),
        srp_id,
        secure_random: password.secure_random.clone(),
    })
}

/// Telegram's 2048-bit safe prime, the one every account's password uses today.
///
/// Official clients accept it with a generator of 3, 4, 5 or 7 without testing it again; so
/// does this one, because the full test takes seconds of CPU.
pub const TELEGRAM_PRIME_HEX: &str = concat!(
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f",
    "48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c37",
    "20fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64",
    "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4",
    "a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754",
    "fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4",
    "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f",
    "0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b",
);

fn is_telegram_prime(p: &[u8]) -> bool {
    p.len() * 2 == TELEGRAM_PRIME_HEX.len()
        && p.iter()
            .zip(TELEGRAM_PRIME_HEX.as_bytes().chunks(2))
            .all(|(byte, hex)| format!("{byte:02x}").as_bytes() == hex)
}

/// Other primes (with their generator) that passed `check_p_and_g` in this process.
static CHECKED_PRIMES: Mutex<Vec<(Vec<u8>, i32)>> = Mutex::new(Vec::new());

/// Whether `p` is a 2048-bit safe prime and `g` generates the right subgroup, as the SRP
/// specification asks a client to check before answering.
async fn checked_prime(srp: &SrpParams) -> bool {
    let g = srp.g;
    // `check_p_and_g` panics on a generator outside 2..=7; such parameters are refused here.
    if !(2..=7).contains(&g) {
        return false;
    }
    if is_telegram_prime(&srp.p) && matches!(g, 3 | 4 | 5 | 7) {
        return true;
    }
    let known = CHECKED_PRIMES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .any(|(known_p, known_g)| *known_p == srp.p && *known_g == g);
    if known {
        return true;
    }
    let p = srp.p.clone();
    let valid = tokio::task::spawn_blocking(move || {
        let valid = check_p_and_g(&p, &g);
        if valid {
            CHECKED_PRIMES
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((p, g));
        }
        valid
    })
    .await;
    // A panic inside the check (no OS randomness) counts as a failed check, not a crash.
    valid.unwrap_or(false)
}

/// The client's secret `a` for one SRP answer: its own randomness XOR Telegram's
/// `secure_random` (which is 256 bytes in practice; a shorter one adds to the first bytes).
pub fn srp_client_secret(client_random: [u8; 256], secure_random: &[u8]) -> Vec<u8> {
    let mut a = client_random;
    for (byte, server) in a.iter_mut().zip(secure_random) {
        *byte ^= server;
    }
    a.to_vec()
}

/// `inputCheckPasswordSRP` for the password, computed off the async threads: the key
/// derivation runs 100 000 rounds of PBKDF2-HMAC-SHA512.
async fn srp_answer(
    srp: SrpParams,
    client_random: [u8; 256],
    password: Secret<String>,
) -> Result<enums::InputCheckPasswordSrp, LoginError> {
    tokio::task::spawn_blocking(move || {
        let a = srp_client_secret(client_random, &srp.secure_random);
        let (m1, g_a) = calculate_2fa(
            &srp.salt1,
            &srp.salt2,
            &srp.p,
            &srp.g,
            srp.srp_b,
            a,
            password.expose().as_bytes(),
        );
        enums::InputCheckPasswordSrp::Srp(types::InputCheckPasswordSrp {
            srp_id: srp.srp_id,
            a: g_a.to_vec(),
            m1: m1.to_vec(),
        })
    })
    .await
    .map_err(|_| LoginError::Unexpected("the password computation failed"))
}

/// The login's end: the profile from the authorization, and the self user cached in the
/// session so that the connector finds the account logged in.
async fn complete(
    session: &StoredSession,
    authorization: enums::auth::Authorization,
) -> Result<Profile, LoginError> {
    let authorization = match authorization {
        enums::auth::Authorization::Authorization(authorization) => authorization,
        enums::auth::Authorization::SignUpRequired(_) => return Err(LoginError::SignUpRequired),
    };
    let profile = mapping::profile(std::slice::from_ref(&authorization.user))
        .map_err(|_| LoginError::Unexpected("the authorization carries no usable user"))?;
    if let enums::User::User(user) = &authorization.user {
        session
            .cache_peer(PeerInfo::User {
                id: user.id,
                auth: user.access_hash.map(PeerAuth::from_hash),
                bot: Some(user.bot),
                is_self: Some(true),
            })
            .await
            .map_err(|error| LoginError::Network(error.to_string()))?;
    }
    Ok(profile)
}

/// The digits of a phone number as Telegram takes it, or `None` when it is not 5 to 15 digits
/// (E.164) once spaces, dashes, dots, parentheses and a leading `+` are removed.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let trimmed = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut digits = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (5..=15).contains(&digits.len()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized_and_masked() {
        assert_eq!(
            normalize_phone(" +1 (555) 123-4567 ").as_deref(),
            Some("15551234567")
        );
        assert_eq!(normalize_phone("+1555abc"), None);
        assert_eq!(normalize_phone("1234"), None);
        // The flow masks the normalized digits with the core's one rule (`mask_phone`), so a
        // number looks the same here as in the panel and the simulator.
        let masked = |raw: &str| normalize_phone(raw).map(|digits| mask_phone(&digits));
        assert_eq!(
            masked(" +1 (555) 123-4567 ").as_deref(),
            Some("+1555****567")
        );
        assert_eq!(masked("123456").as_deref(), Some("+1**456"));
        assert_eq!(masked("not a phone"), None);
    }

    #[test]
    fn login_ids_are_random_hex_and_not_printed_whole() {
        let id = LoginId::random().expect("random");
        assert_eq!(id.as_str().len(), 32);
        assert_ne!(id, LoginId::random().expect("random"));
        assert!(!format!("{id:?}").contains(id.as_str()));
    }

    #[test]
    fn the_known_prime_is_recognized() {
        let mut p: Vec<u8> = (0..TELEGRAM_PRIME_HEX.len() / 2)
            .map(|i| u8::from_str_radix(&TELEGRAM_PRIME_HEX[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        assert!(is_telegram_prime(&p));
        p[255] ^= 1;
        assert!(!is_telegram_prime(&p));
        assert!(!is_telegram_prime(&p[..255]));
    }

    #[test]
    fn the_client_secret_mixes_both_sources() {
        let a = srp_client_secret([0xff; 256], &[0x0f; 256]);
        assert!(a.iter().all(|&b| b == 0xf0));
        assert_eq!(srp_client_secret([1; 256], &[]), vec![1; 256]);
    }
}
