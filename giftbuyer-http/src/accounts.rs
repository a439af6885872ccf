//! `/api/accounts`: the user's Telegram accounts. Adding one is a login in steps (phone, then
//! the code Telegram sends, then the two-step password if the account has one) through the
//! [`TelegramLogin`] port; the list shows each account's masked phone, Premium and balance;
//! refresh reads the profile and balance again and reports its progress as NDJSON.
//!
//! Phone numbers are stored encrypted and only ever leave the server masked
//! (`+1555****567`), in responses, audit entries and logs alike. Codes and passwords are
//! passed to the port and forgotten; they are never logged or audited.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use giftbuyer_core::ports::{
    AccountRecord, AccountRowId, ApiCredentials, ApiProfileId, LoggedIn, LoginError, LoginId,
    LoginProgress, LoginStart, NewAccount, PanelStoreError, Profile, SaveLoginError, Secret,
    TelegramAccount, UserId, compact_phone, mask_phone, save_login,
};
use giftbuyer_core::{Account, AccountId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::{OpenApi, ToSchema};

use crate::auth::AuthUser;
use crate::client::ClientInfo;
use crate::common::{audit, origin_text, path_id};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

/// The NDJSON media type of the refresh stream.
const NDJSON: &str = "application/x-ndjson";
/// The longest code accepted; Telegram's codes have five or six digits.
const MAX_CODE_CHARS: usize = 16;
/// The longest two-step password accepted (Telegram's own limit is lower).
const MAX_PASSWORD_CHARS: usize = 256;
/// The longest login id accepted in a path; adapters make short ones.
const MAX_LOGIN_ID_CHARS: usize = 128;
/// How long the routes remember a login after its last step. The port expires logins on its
/// own (with the code's TTL); this only bounds how long a login abandoned without a cancel
/// stays in memory here.
const PENDING_KEEP: Duration = Duration::from_secs(30 * 60);

const NO_LOGIN: &str = "Telegram account login is not available on this server: it was started without a Telegram login adapter";
const NO_CONNECTOR: &str = "refreshing Telegram accounts is not available on this server: it was started without a Telegram connection";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/accounts", get(list))
        .route("/api/accounts/login", post(start_login))
        .route("/api/accounts/login/{login_id}", delete(cancel_login))
        .route("/api/accounts/login/{login_id}/code", post(submit_code))
        .route(
            "/api/accounts/login/{login_id}/password",
            post(submit_password),
        )
        .route("/api/accounts/{id}", delete(remove))
        .route("/api/accounts/{id}/refresh", post(refresh))
}

/// The account routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    list,
    start_login,
    submit_code,
    submit_password,
    cancel_login,
    remove,
    refresh
))]
pub(crate) struct AccountsApi;

/// What the routes remember of a login in progress: whose it is, and what the account row
/// needs when it completes (the port's `LoggedIn` carries neither the phone nor the profile).
pub(crate) struct PendingLogin {
    user: UserId,
    /// Normalized (`+` and digits); stored encrypted once the login completes.
    phone: Secret<String>,
    api_profile: Option<ApiProfileId>,
    /// On the clock's monotonic time.
    keep_until: Duration,
}

/// Logins in progress, by id.
#[derive(Default)]
pub(crate) struct PendingLogins {
    logins: Mutex<HashMap<LoginId, PendingLogin>>,
}

impl PendingLogins {
    fn with<R>(&self, step: impl FnOnce(&mut HashMap<LoginId, PendingLogin>) -> R) -> R {
        // Each change is one insert or remove, so a poisoned lock leaves a consistent map.
        let mut logins = self.logins.lock().unwrap_or_else(PoisonError::into_inner);
        step(&mut logins)
    }

    /// Remembers a login, forgetting the ones abandoned long ago.
    fn insert(&self, login: LoginId, pending: PendingLogin, now: Duration) {
        self.with(|logins| {
            logins.retain(|_, old| old.keep_until > now);
            logins.insert(login, pending);
        });
    }

    /// The login's phone and profile, when it is `user`'s.
    fn get(&self, user: UserId, login: &LoginId) -> Option<(Secret<String>, Option<ApiProfileId>)> {
        self.with(|logins| {
            logins
                .get(login)
                .filter(|pending| pending.user == user)
                .map(|pending| (pending.phone.clone(), pending.api_profile))
        })
    }

    fn touch(&self, login: &LoginId, now: Duration) {
        self.with(|logins| {
            if let Some(pending) = logins.get_mut(login) {
                pending.keep_until = now.saturating_add(PENDING_KEEP);
            }
        });
    }

    fn remove(&self, user: UserId, login: &LoginId) {
        self.with(|logins| {
            if logins
                .get(login)
                .is_some_and(|pending| pending.user == user)
            {
                logins.remove(login);
            }
        });
    }
}

// No `Debug`: it holds the phone number.
/// Starts adding a Telegram account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartLoginRequest {
    /// The account's phone number in international form: `+` and 7 to 15 digits; spaces,
    /// dashes and parentheses are ignored.
    #[schema(example = "+1 555 123 4567")]
    phone: String,
    /// One of my API profiles, whose `api_id` and `api_hash` the login uses. Optional on
    /// servers that need none (the demo).
    api_profile_id: Option<i64>,
}

// No `Debug`: it holds the code.
/// The code Telegram sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeRequest {
    #[schema(example = "12345")]
    code: String,
}

// No `Debug`: it holds the password.
/// The account's two-step verification password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordRequest {
    #[schema(format = Password)]
    password: String,
}

/// What a login step asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LoginStep {
    /// Submit the code Telegram sent.
    Code,
    /// Submit the two-step verification password.
    Password,
    /// The account is added.
    Done,
}

/// Where a login stands: `code` (with the login's id), `password` (with the hint) or `done`
/// (with the account).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LoginStepResponse {
    step: LoginStep,
    /// The login's id, for the next step's path.
    #[serde(skip_serializing_if = "Option::is_none")]
    login_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "+1555****567")]
    masked_phone: Option<String>,
    /// How long the code stays valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in_secs: Option<u64>,
    /// The code itself, only on the demo's simulated market.
    #[serde(skip_serializing_if = "Option::is_none")]
    demo_code: Option<String>,
    /// The two-step password's hint, when the account set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<AccountResponse>,
}

impl LoginStepResponse {
    fn step(step: LoginStep) -> Self {
        Self {
            step,
            login_id: None,
            masked_phone: None,
            expires_in_secs: None,
            demo_code: None,
            hint: None,
            account: None,
        }
    }
}

/// A Telegram account of mine. The phone number is never shown whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AccountResponse {
    id: i64,
    /// The account's Telegram user id, once a login completed.
    telegram_id: Option<i64>,
    /// The account's first name on Telegram.
    first_name: Option<String>,
    username: Option<String>,
    #[schema(example = "+1555****567")]
    masked_phone: String,
    premium: bool,
    /// Unix seconds; `null` for no end or no Premium.
    premium_until: Option<i64>,
    /// The last known star balance.
    stars: Option<u64>,
    /// When the balance was read (unix seconds).
    stars_refreshed_at: Option<i64>,
    api_profile_id: Option<i64>,
    /// Whether a Telegram session is stored, i.e. the account can buy.
    logged_in: bool,
}

impl AccountResponse {
    fn new(record: &AccountRecord) -> Self {
        Self {
            id: record.row_id.get(),
            telegram_id: record.telegram_id.map(AccountId::get),
            first_name: record.first_name.clone(),
            username: record.username.clone(),
            masked_phone: mask_phone(record.phone.expose()),
            premium: record.premium,
            premium_until: record.premium_until.map(|until| until.secs()),
            stars: record.balance.map(|stars| stars.get()),
            stars_refreshed_at: record.balance_at.map(|at| at.secs()),
            api_profile_id: record.api_profile.map(ApiProfileId::get),
            logged_in: record.logged_in,
        }
    }
}

/// My Telegram accounts, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AccountList {
    accounts: Vec<AccountResponse>,
}

/// One line of the refresh stream: `connect`, `profile`, `stars`, `premium`, `save`, then
/// `done` with the account or `error`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefreshEvent {
    #[schema(example = "stars")]
    stage: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<AccountResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<RefreshError>,
}

/// Why a refresh stopped.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefreshError {
    code: &'static str,
    message: String,
}

/// Checks a phone number's form: `+` and 7 to 15 digits once spaces, dashes and parentheses
/// are removed. The message never repeats the number.
fn parse_phone(raw: &str) -> Result<String, ApiError> {
    compact_phone(raw).ok_or_else(|| {
        ApiError::invalid(
            "phone",
            "must be an international number: + and 7 to 15 digits (spaces and dashes are ignored)",
        )
    })
}

/// A login id from a path: anything that could not have been issued answers 404.
fn parse_login_id(raw: &str) -> Result<LoginId, ApiError> {
    let valid = !raw.is_empty()
        && raw.len() <= MAX_LOGIN_ID_CHARS
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if valid {
        Ok(LoginId::new(raw))
    } else {
        Err(unknown_login())
    }
}

fn unknown_login() -> ApiError {
    telegram_error(
        StatusCode::NOT_FOUND,
        "unknown_login",
        &LoginError::UnknownLogin,
    )
}

fn telegram_error(status: StatusCode, code: &'static str, error: &LoginError) -> ApiError {
    ApiError::Telegram {
        status,
        code,
        message: error.to_string(),
        retry_after_secs: None,
    }
}

/// A login step's failure as the client sees it.
fn login_error(error: &LoginError) -> ApiError {
    let (status, code) = match error {
        LoginError::InvalidPhone => {
            return ApiError::invalid("phone", error.to_string());
        }
        LoginError::InvalidCode => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_code"),
        LoginError::CodeExpired => (StatusCode::GONE, "code_expired"),
        LoginError::InvalidPassword => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_password"),
        LoginError::SignUpRequired => (StatusCode::UNPROCESSABLE_ENTITY, "sign_up_required"),
        LoginError::FloodWait { seconds } => {
            return ApiError::Telegram {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "flood_wait",
                message: error.to_string(),
                retry_after_secs: Some(u64::from(*seconds)),
            };
        }
        LoginError::InvalidApiCredentials => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_api_credentials")
        }
        LoginError::ApiProfileRequired => {
            return ApiError::invalid("api_profile_id", error.to_string());
        }
        LoginError::UnknownLogin => (StatusCode::NOT_FOUND, "unknown_login"),
        LoginError::WrongStep => (StatusCode::CONFLICT, "wrong_step"),
        LoginError::TooManyPending => (StatusCode::TOO_MANY_REQUESTS, "too_many_pending"),
        LoginError::Network(reason) => {
            tracing::warn!(%reason, "Telegram login: network failure");
            (StatusCode::SERVICE_UNAVAILABLE, "telegram_unavailable")
        }
        LoginError::Other(reason) => {
            tracing::warn!(%reason, "Telegram login refused");
            (StatusCode::BAD_GATEWAY, "telegram_error")
        }
    };
    telegram_error(status, code, error)
}

/// Whether a failed step ends the login, so that the routes forget it too.
fn ends_login(error: &LoginError) -> bool {
    matches!(
        error,
        LoginError::CodeExpired | LoginError::UnknownLogin | LoginError::SignUpRequired
    )
}

fn login_port(state: &AppState) -> Result<Arc<dyn giftbuyer_core::ports::TelegramLogin>, ApiError> {
    state
        .login()
        .cloned()
        .ok_or(ApiError::PortMissing { message: NO_LOGIN })
}

/// Starts adding a Telegram account: Telegram sends a code to the phone.
#[utoipa::path(
    post,
    path = "/api/accounts/login",
    tag = "accounts",
    security(("session" = [])),
    request_body = StartLoginRequest,
    responses(
        (status = 200, description = "A code was sent (`step: code`)", body = LoginStepResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such API profile of mine", body = ErrorBody),
        (status = 422, description = "The phone is invalid (`fields.phone`), or the API profile was refused", body = ErrorBody),
        (status = 429, description = "Too many logins in progress (`too_many_pending`) or a flood wait (`flood_wait`, with Retry-After)", body = ErrorBody),
        (status = 503, description = "Telegram is unreachable, or the server has no Telegram login", body = ErrorBody),
    )
)]
pub(crate) async fn start_login(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    ApiJson(body): ApiJson<StartLoginRequest>,
) -> Result<Json<LoginStepResponse>, ApiError> {
    let port = login_port(&state)?;
    let phone = parse_phone(&body.phone)?;
    let (api_profile, api) = match body.api_profile_id {
        None => (None, None),
        Some(raw) => {
            let not_found = || ApiError::NotFound {
                what: "api profile",
            };
            let id = ApiProfileId::new(raw).map_err(|_| not_found())?;
            let profile = state
                .store()
                .api_profile(auth.user_id, id)
                .await?
                .ok_or_else(not_found)?;
            let api = ApiCredentials {
                api_id: profile.api_id,
                api_hash: profile.api_hash,
            };
            (Some(id), Some(api))
        }
    };
    let request = LoginStart {
        user: auth.user_id,
        phone: Secret::new(phone.clone()),
        api,
    };
    let progress = port
        .start(request)
        .await
        .map_err(|error| login_error(&error))?;
    let LoginProgress::CodeSent {
        login,
        masked_phone,
        expires_in,
        demo_code,
    } = progress
    else {
        // Telegram always sends a code first; anything else is an adapter bug.
        return Err(ApiError::internal(
            "Telegram login",
            "the login port skipped the code step",
        ));
    };
    state.pending_logins().insert(
        login.clone(),
        PendingLogin {
            user: auth.user_id,
            phone: Secret::new(phone),
            api_profile,
            keep_until: state.clock().elapsed().saturating_add(PENDING_KEEP),
        },
        state.clock().elapsed(),
    );
    let detail = format!(
        "started a Telegram login for {masked_phone} {}",
        origin_text(&client)
    );
    audit(
        &state,
        auth.user_id,
        "account.login_started",
        &detail,
        state.now(),
    )
    .await;
    Ok(Json(LoginStepResponse {
        login_id: Some(login.as_str().to_owned()),
        masked_phone: Some(masked_phone),
        expires_in_secs: Some(expires_in.as_secs()),
        demo_code,
        ..LoginStepResponse::step(LoginStep::Code)
    }))
}

/// Submits the code Telegram sent.
#[utoipa::path(
    post,
    path = "/api/accounts/login/{login_id}/code",
    tag = "accounts",
    security(("session" = [])),
    params(("login_id" = String, Path, description = "The login's id")),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "`step: password` (with the hint) or `step: done` (with the account)", body = LoginStepResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such login of mine (`unknown_login`)", body = ErrorBody),
        (status = 409, description = "The account is already in my list (`conflict`), or the login expects the password (`wrong_step`)", body = ErrorBody),
        (status = 410, description = "The code expired (`code_expired`); start again", body = ErrorBody),
        (status = 422, description = "Wrong code (`invalid_code`)", body = ErrorBody),
        (status = 429, description = "A flood wait (`flood_wait`, with Retry-After)", body = ErrorBody),
        (status = 503, description = "Telegram is unreachable, or the server has no Telegram login", body = ErrorBody),
    )
)]
pub(crate) async fn submit_code(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(login_id): Path<String>,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Json<LoginStepResponse>, ApiError> {
    let port = login_port(&state)?;
    let login = parse_login_id(&login_id)?;
    let code = body.code.trim();
    if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
        return Err(ApiError::invalid(
            "code",
            format!("must be the code Telegram sent (1 to {MAX_CODE_CHARS} characters)"),
        ));
    }
    let pending = state
        .pending_logins()
        .get(auth.user_id, &login)
        .ok_or_else(unknown_login)?;
    let progress = port
        .submit_code(auth.user_id, &login, Secret::new(code.to_owned()))
        .await;
    step_answer(&state, &client, auth, &login, pending, progress).await
}

/// Submits the account's two-step verification password.
#[utoipa::path(
    post,
    path = "/api/accounts/login/{login_id}/password",
    tag = "accounts",
    security(("session" = [])),
    params(("login_id" = String, Path, description = "The login's id")),
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "`step: done` with the account", body = LoginStepResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such login of mine (`unknown_login`)", body = ErrorBody),
        (status = 409, description = "The account is already in my list (`conflict`), or the login expects the code (`wrong_step`)", body = ErrorBody),
        (status = 410, description = "The login expired (`code_expired`); start again", body = ErrorBody),
        (status = 422, description = "Wrong password (`invalid_password`)", body = ErrorBody),
        (status = 429, description = "A flood wait (`flood_wait`, with Retry-After)", body = ErrorBody),
        (status = 503, description = "Telegram is unreachable, or the server has no Telegram login", body = ErrorBody),
    )
)]
pub(crate) async fn submit_password(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(login_id): Path<String>,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> Result<Json<LoginStepResponse>, ApiError> {
    let port = login_port(&state)?;
    let login = parse_login_id(&login_id)?;
    if body.password.is_empty() || body.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::invalid(
            "password",
            format!("must be 1 to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let pending = state
        .pending_logins()
        .get(auth.user_id, &login)
        .ok_or_else(unknown_login)?;
    let progress = port
        .submit_password(auth.user_id, &login, Secret::new(body.password))
        .await;
    step_answer(&state, &client, auth, &login, pending, progress).await
}

/// Answers a code or password step: the next step, the added account, or the error.
async fn step_answer(
    state: &AppState,
    client: &ClientInfo,
    auth: AuthUser,
    login: &LoginId,
    (phone, api_profile): (Secret<String>, Option<ApiProfileId>),
    progress: Result<LoginProgress, LoginError>,
) -> Result<Json<LoginStepResponse>, ApiError> {
    match progress {
        Ok(LoginProgress::PasswordRequired { hint, .. }) => {
            state.pending_logins().touch(login, state.clock().elapsed());
            Ok(Json(LoginStepResponse {
                hint,
                login_id: Some(login.as_str().to_owned()),
                ..LoginStepResponse::step(LoginStep::Password)
            }))
        }
        Ok(LoginProgress::Done(done)) => {
            state.pending_logins().remove(auth.user_id, login);
            let account = add_account(state, client, auth, phone, api_profile, done).await?;
            Ok(Json(LoginStepResponse {
                account: Some(account),
                ..LoginStepResponse::step(LoginStep::Done)
            }))
        }
        Ok(LoginProgress::CodeSent { .. }) => Err(ApiError::internal(
            "Telegram login",
            "the login port asked for a new code mid-login",
        )),
        Err(error) => {
            if ends_login(&error) {
                state.pending_logins().remove(auth.user_id, login);
            }
            Err(login_error(&error))
        }
    }
}

/// Adds the account a login completed: its row (phone encrypted by the store), its identity
/// and its session; then, with a connector, its balance. A Telegram account already in a list
/// (mine or anyone's) is a conflict, and leaves nothing behind.
async fn add_account(
    state: &AppState,
    client: &ClientInfo,
    auth: AuthUser,
    phone: Secret<String>,
    api_profile: Option<ApiProfileId>,
    done: LoggedIn,
) -> Result<AccountResponse, ApiError> {
    let store = state.store();
    let user = auth.user_id;
    let now = state.now();
    let masked = mask_phone(phone.expose());
    let telegram_id = done.profile.account_id;
    let row = save_login(store, user, NewAccount { phone, api_profile }, &done, now)
        .await
        .map_err(|error| match error {
            SaveLoginError::AlreadyAdded => ApiError::Conflict {
                what: "this Telegram account",
            },
            SaveLoginError::Store { error, cleanup } => {
                if let Some(cleanup) = cleanup {
                    tracing::warn!(error = %cleanup, "could not remove a half-added account");
                }
                error.into()
            }
        })?;
    if let Some(account) = connect(state, telegram_id).await {
        match account.stars_balance().await {
            Ok(balance) => save_state(state, &done.profile, balance, now).await,
            Err(error) => tracing::warn!(%error, "could not read a new account's balance"),
        }
    }
    let detail = format!(
        "added Telegram account {row} ({masked}, Telegram id {telegram_id}) {}",
        origin_text(client),
        telegram_id = telegram_id.get()
    );
    audit(state, user, "account.added", &detail, now).await;
    state.config_changed(user);
    let record = store
        .account(user, row)
        .await?
        .ok_or(ApiError::NotFound { what: "account" })?;
    Ok(AccountResponse::new(&record))
}

/// The account's live connection, when the server has a connector and it connects.
async fn connect(state: &AppState, id: AccountId) -> Option<Arc<dyn TelegramAccount>> {
    match state.connector()?.account(id).await {
        Ok(account) => Some(account),
        Err(error) => {
            tracing::warn!(%error, "could not connect to a Telegram account");
            None
        }
    }
}

/// Saves a balance and Premium status, when the server can keep them; a failure is logged,
/// since the balance is refreshed again by the engine anyway.
async fn save_state(
    state: &AppState,
    profile: &Profile,
    balance: giftbuyer_core::Stars,
    now: giftbuyer_core::UnixTime,
) {
    let Some(sink) = state.account_states() else {
        return;
    };
    let account = Account {
        id: profile.account_id,
        balance,
        premium: profile.premium,
    };
    if let Err(error) = sink.save_account_state(account, now).await {
        tracing::warn!(%error, "could not save an account's balance");
    }
}

/// Cancels a login in progress.
#[utoipa::path(
    delete,
    path = "/api/accounts/login/{login_id}",
    tag = "accounts",
    security(("session" = [])),
    params(("login_id" = String, Path, description = "The login's id")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such login of mine (`unknown_login`)", body = ErrorBody),
        (status = 503, description = "The server has no Telegram login", body = ErrorBody),
    )
)]
pub(crate) async fn cancel_login(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(login_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let port = login_port(&state)?;
    let login = parse_login_id(&login_id)?;
    state.pending_logins().remove(auth.user_id, &login);
    if port.cancel(auth.user_id, &login).await {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(unknown_login())
    }
}

/// My Telegram accounts.
#[utoipa::path(
    get,
    path = "/api/accounts",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "My accounts, oldest first; phones masked", body = AccountList),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<AccountList>, ApiError> {
    let accounts = state.store().accounts(auth.user_id).await?;
    Ok(Json(AccountList {
        accounts: accounts.iter().map(AccountResponse::new).collect(),
    }))
}

/// Deletes a Telegram account with its stored session.
#[utoipa::path(
    delete,
    path = "/api/accounts/{id}",
    tag = "accounts",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such account of mine", body = ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    client: ClientInfo,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "account", AccountRowId::new)?;
    let not_found = ApiError::NotFound { what: "account" };
    let Some(record) = state.store().account(auth.user_id, id).await? else {
        return Err(not_found);
    };
    // `delete_account` removes the session with the row; clearing it first means that even a
    // row that outlived a failed delete can no longer be used.
    state.store().clear_session(auth.user_id, id).await?;
    if !state.store().delete_account(auth.user_id, id).await? {
        return Err(not_found);
    }
    let detail = format!(
        "deleted Telegram account {id} ({}) {}",
        mask_phone(record.phone.expose()),
        origin_text(&client)
    );
    audit(
        &state,
        auth.user_id,
        "account.deleted",
        &detail,
        state.now(),
    )
    .await;
    state.config_changed(auth.user_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Reads an account's profile and balance from Telegram again and saves them, reporting each
/// stage as one JSON line.
#[utoipa::path(
    post,
    path = "/api/accounts/{id}/refresh",
    tag = "accounts",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "NDJSON: one `RefreshEvent` per line, `connect`, `profile`, `stars`, `premium`, `save`, then `done` with the account or `error`", body = RefreshEvent, content_type = "application/x-ndjson"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such account of mine", body = ErrorBody),
        (status = 503, description = "The server has no Telegram connection", body = ErrorBody),
    )
)]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "account", AccountRowId::new)?;
    if state.connector().is_none() {
        return Err(ApiError::PortMissing {
            message: NO_CONNECTOR,
        });
    }
    let record = state
        .store()
        .account(auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound { what: "account" })?;
    // The stages run in their own task and the body streams what they send, so the client
    // sees each stage as it happens; a client that goes away does not stop a save midway.
    let (lines, receiver) = mpsc::channel::<Bytes>(8);
    tokio::spawn(run_refresh(state, auth.user_id, record, lines));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|line| (Ok::<_, Infallible>(line), receiver))
    });
    Ok(([(header::CONTENT_TYPE, NDJSON)], Body::from_stream(body)).into_response())
}

/// Sends one line of the stream; false once the client is gone.
async fn send(lines: &mpsc::Sender<Bytes>, event: &RefreshEvent) -> bool {
    let mut line = serde_json::to_vec(event).unwrap_or_else(|_| b"{}".to_vec());
    line.push(b'\n');
    lines.send(Bytes::from(line)).await.is_ok()
}

fn stage(stage: &'static str) -> RefreshEvent {
    RefreshEvent {
        stage,
        account: None,
        error: None,
    }
}

async fn run_refresh(
    state: AppState,
    user: UserId,
    record: AccountRecord,
    lines: mpsc::Sender<Bytes>,
) {
    // A refresh only reads Telegram and saves what it read, so it may stop anywhere: graceful
    // shutdown does not wait for a slow account (the catalog refresh, which may start
    // purchases, is left to finish instead).
    let mut shutdown = state.shutdown_watch();
    let outcome = tokio::select! {
        outcome = refresh_stages(&state, user, &record, &lines) => outcome,
        _ = shutdown.wait_for(|stopping| *stopping) => Err(RefreshError {
            code: "shutting_down",
            message: "the server is shutting down; refresh again once it is back".to_owned(),
        }),
    };
    let last = match outcome {
        Ok(account) => RefreshEvent {
            account: Some(account),
            ..stage("done")
        },
        Err(error) => RefreshEvent {
            error: Some(error),
            ..stage("error")
        },
    };
    send(&lines, &last).await;
}

async fn refresh_stages(
    state: &AppState,
    user: UserId,
    record: &AccountRecord,
    lines: &mpsc::Sender<Bytes>,
) -> Result<AccountResponse, RefreshError> {
    let (Some(telegram_id), true) = (record.telegram_id, record.logged_in) else {
        return Err(RefreshError {
            code: "not_logged_in",
            message: "the account has no Telegram session; log it in again".to_owned(),
        });
    };
    let telegram = |error: giftbuyer_core::ports::TelegramError| RefreshError {
        code: "telegram_error",
        message: error.to_string(),
    };
    send(lines, &stage("connect")).await;
    let connector = state.connector().ok_or_else(|| RefreshError {
        code: "unavailable",
        message: NO_CONNECTOR.to_owned(),
    })?;
    let account = connector.account(telegram_id).await.map_err(telegram)?;
    send(lines, &stage("profile")).await;
    let profile = account.profile().await.map_err(telegram)?;
    if profile.account_id != telegram_id {
        return Err(RefreshError {
            code: "telegram_error",
            message: "the session belongs to another Telegram account; log it in again".to_owned(),
        });
    }
    send(lines, &stage("stars")).await;
    let balance = account.stars_balance().await.map_err(telegram)?;
    // Premium and its end date come with the profile; this stage reports that they were read.
    send(lines, &stage("premium")).await;
    send(lines, &stage("save")).await;
    let now = state.now();
    let stored = |error: PanelStoreError| {
        tracing::error!(%error, "could not save a refreshed account");
        RefreshError {
            code: "internal",
            message: "the account could not be saved; try again".to_owned(),
        }
    };
    state
        .store()
        .record_account_login(user, record.row_id, &profile, now)
        .await
        .map_err(stored)?;
    save_state(state, &profile, balance, now).await;
    let record = state
        .store()
        .account(user, record.row_id)
        .await
        .map_err(stored)?
        .ok_or_else(|| RefreshError {
            code: "not_found",
            message: "the account was deleted meanwhile".to_owned(),
        })?;
    Ok(AccountResponse::new(&record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_checked_without_being_echoed() {
        assert_eq!(
            parse_phone("+1 555-123-4567"),
            Ok("+15551234567".to_owned())
        );
        assert_eq!(
            parse_phone("+7 (999) 123 45 67"),
            Ok("+79991234567".to_owned())
        );
        for bad in [
            "15551234567",
            "+123456",
            "+1234567890123456",
            "+1555abc4567",
            "",
        ] {
            let error = parse_phone(bad).expect_err(bad);
            if !bad.is_empty() {
                assert!(!error.to_string().contains(bad), "{error}");
            }
        }
    }

    #[test]
    fn login_ids_from_paths_are_url_safe_and_short() {
        assert!(parse_login_id("0123abcdEF-_").is_ok());
        for bad in ["", "a/b", "a b", "é", &"a".repeat(129)] {
            assert!(parse_login_id(bad).is_err(), "{bad}");
        }
    }
}
