//! How store errors reach the client: a mocked panel store fails the one call a route makes,
//! and the answer must carry that error's status and code (and nothing of its cause). The
//! SQLite store cannot be made to fail in each of these ways on demand.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use giftbuyer_core::ports::{
    AccountRecord, AccountRowId, AccountStore, ApiProfile, ApiProfileId, ApiProfileStore,
    AuditEntry, CatalogStore, DaySpending, HistoryStore, KnownGift, LockoutPolicy, LoginFailure,
    MtprotoSession, NewAccount, NewApiProfile, NewTarget, NewWebSession, PanelStoreError, Profile,
    RemainingPoint, RunRecord, Secret, SessionTokenHash, SessionVault, SettingsStore, StoredReport,
    TargetStore, UserId, UserRecord, UserSettings, UserStore, Username, WebSession, WebSessionId,
    WebSessionStore,
};
use giftbuyer_core::{AccountId, GiftId, Target, TargetRowId, UnixTime, ValueError};
use giftbuyer_http::{AppState, PanelAssets, SESSION_COOKIE, router};
use mockall::mock;
use tower::ServiceExt as _;

use crate::support::{START, TestClock, config, panel_request};

mock! {
    Store {}

    #[async_trait]
    impl UserStore for Store {
        async fn create_user(&self, username: &Username, password_hash: &str, now: UnixTime) -> Result<UserId, PanelStoreError>;
        async fn user(&self, user: UserId) -> Result<Option<UserRecord>, PanelStoreError>;
        async fn user_by_name(&self, username: &Username) -> Result<Option<UserRecord>, PanelStoreError>;
        async fn set_password_hash(&self, user: UserId, password_hash: &str) -> Result<(), PanelStoreError>;
        async fn record_login_success(&self, user: UserId, now: UnixTime) -> Result<(), PanelStoreError>;
        async fn record_login_failure(&self, user: UserId, policy: LockoutPolicy, now: UnixTime) -> Result<LoginFailure, PanelStoreError>;
        async fn delete_user(&self, user: UserId) -> Result<bool, PanelStoreError>;
    }

    #[async_trait]
    impl WebSessionStore for Store {
        async fn create_session(&self, user: UserId, session: NewWebSession, now: UnixTime) -> Result<WebSessionId, PanelStoreError>;
        async fn session_by_token(&self, token_hash: SessionTokenHash, now: UnixTime) -> Result<Option<WebSession>, PanelStoreError>;
        async fn sessions(&self, user: UserId, now: UnixTime) -> Result<Vec<WebSession>, PanelStoreError>;
        async fn revoke_session(&self, user: UserId, session: WebSessionId) -> Result<bool, PanelStoreError>;
        async fn revoke_sessions(&self, user: UserId, keep: Option<WebSessionId>) -> Result<u64, PanelStoreError>;
        async fn purge_expired_sessions(&self, now: UnixTime) -> Result<u64, PanelStoreError>;
    }

    #[async_trait]
    impl ApiProfileStore for Store {
        async fn create_api_profile(&self, user: UserId, profile: NewApiProfile, now: UnixTime) -> Result<ApiProfileId, PanelStoreError>;
        async fn api_profiles(&self, user: UserId) -> Result<Vec<ApiProfile>, PanelStoreError>;
        async fn api_profile(&self, user: UserId, profile: ApiProfileId) -> Result<Option<ApiProfile>, PanelStoreError>;
        async fn rename_api_profile(&self, user: UserId, profile: ApiProfileId, name: &str) -> Result<bool, PanelStoreError>;
        async fn delete_api_profile(&self, user: UserId, profile: ApiProfileId) -> Result<bool, PanelStoreError>;
    }

    #[async_trait]
    impl AccountStore for Store {
        async fn create_account(&self, user: UserId, account: NewAccount, now: UnixTime) -> Result<AccountRowId, PanelStoreError>;
        async fn accounts(&self, user: UserId) -> Result<Vec<AccountRecord>, PanelStoreError>;
        async fn account(&self, user: UserId, account: AccountRowId) -> Result<Option<AccountRecord>, PanelStoreError>;
        async fn account_by_telegram_id(&self, user: UserId, telegram_id: AccountId) -> Result<Option<AccountRecord>, PanelStoreError>;
        async fn record_account_login(&self, user: UserId, account: AccountRowId, profile: &Profile, now: UnixTime) -> Result<(), PanelStoreError>;
        async fn delete_account(&self, user: UserId, account: AccountRowId) -> Result<bool, PanelStoreError>;
    }

    #[async_trait]
    impl SessionVault for Store {
        async fn load_session(&self, user: UserId, account: AccountRowId) -> Result<Option<MtprotoSession>, PanelStoreError>;
        async fn save_session(&self, user: UserId, account: AccountRowId, session: &MtprotoSession, now: UnixTime) -> Result<(), PanelStoreError>;
        async fn clear_session(&self, user: UserId, account: AccountRowId) -> Result<bool, PanelStoreError>;
        async fn lease_account(&self, user: UserId, account: AccountRowId, holder: &str, ttl: Duration) -> Result<bool, PanelStoreError>;
        async fn renew_lease(&self, user: UserId, account: AccountRowId, holder: &str, ttl: Duration) -> Result<bool, PanelStoreError>;
        async fn release_lease(&self, user: UserId, account: AccountRowId, holder: &str) -> Result<bool, PanelStoreError>;
    }

    #[async_trait]
    impl TargetStore for Store {
        async fn add_target(&self, user: UserId, target: NewTarget, now: UnixTime) -> Result<TargetRowId, PanelStoreError>;
        async fn targets(&self, user: UserId) -> Result<Vec<Target>, PanelStoreError>;
        async fn update_target(&self, user: UserId, target: &Target) -> Result<(), PanelStoreError>;
        async fn delete_target(&self, user: UserId, target: TargetRowId) -> Result<bool, PanelStoreError>;
    }

    #[async_trait]
    impl HistoryStore for Store {
        async fn runs(&self, user: UserId, before: Option<i64>, limit: u32) -> Result<Vec<RunRecord>, PanelStoreError>;
        async fn run(&self, user: UserId, run_id: i64) -> Result<Option<RunRecord>, PanelStoreError>;
        async fn spending_per_day(&self, user: UserId, from_day: i64, to_day: i64) -> Result<Vec<DaySpending>, PanelStoreError>;
        async fn report(&self, user: UserId, run_id: i64) -> Result<Option<StoredReport>, PanelStoreError>;
        async fn append_audit(&self, user: UserId, kind: &str, detail: &str, now: UnixTime) -> Result<(), PanelStoreError>;
        async fn audit_log(&self, user: UserId, limit: u32) -> Result<Vec<AuditEntry>, PanelStoreError>;
    }

    #[async_trait]
    impl CatalogStore for Store {
        async fn known_gifts(&self) -> Result<Vec<KnownGift>, PanelStoreError>;
        async fn remaining_history(&self, gift: GiftId) -> Result<Vec<RemainingPoint>, PanelStoreError>;
        async fn set_sticker_cache_path(&self, gift: GiftId, path: &str) -> Result<(), PanelStoreError>;
    }
}

/// mockall cannot mock `save_settings_and_token` (an `Option<&T>` argument under
/// `#[async_trait]` ends in a lifetime mismatch), and no test here reaches the settings, so
/// this part of the store refuses every call, as an unexpected call to a mock would.
#[async_trait]
impl SettingsStore for MockStore {
    async fn settings(&self, _user: UserId) -> Result<UserSettings, PanelStoreError> {
        unexpected("settings")
    }

    async fn save_settings(
        &self,
        _user: UserId,
        _settings: &UserSettings,
        _now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        unexpected("save_settings")
    }

    async fn bot_token(&self, _user: UserId) -> Result<Option<Secret<String>>, PanelStoreError> {
        unexpected("bot_token")
    }

    async fn set_bot_token(
        &self,
        _user: UserId,
        _token: Option<Secret<String>>,
        _now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        unexpected("set_bot_token")
    }

    async fn save_settings_and_token(
        &self,
        _user: UserId,
        _settings: Option<&UserSettings>,
        _token: Option<Secret<String>>,
        _now: UnixTime,
    ) -> Result<(), PanelStoreError> {
        unexpected("save_settings_and_token")
    }
}

fn unexpected<T>(method: &str) -> T {
    panic!("MockStore::{method}: no call to the settings was expected")
}

const USER: i64 = 5;
/// A session cookie of the right shape; the mocked store accepts it.
const TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Every store error, with the status and code the client must get for it.
fn cases() -> Vec<(PanelStoreError, StatusCode, &'static str)> {
    vec![
        (
            PanelStoreError::Conflict { what: "channel" },
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            PanelStoreError::NotFound { what: "channel" },
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            PanelStoreError::InUse { what: "channel" },
            StatusCode::CONFLICT,
            "in_use",
        ),
        (
            PanelStoreError::Invalid {
                field: "title",
                reason: "contains NUL".into(),
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            PanelStoreError::Value(ValueError::UserId(0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            PanelStoreError::Unavailable("connection to db.internal:5432 refused".into()),
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
        ),
        (
            PanelStoreError::Corrupt("channels row 7 unreadable".into()),
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
        ),
        (
            PanelStoreError::Other("sqlite: disk I/O error".into()),
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
        ),
    ]
}

/// A store that knows the test's session and expects nothing else but what `expect` adds; any
/// other call panics, which fails the request.
fn store(expect: impl FnOnce(&mut MockStore)) -> MockStore {
    let mut store = MockStore::new();
    store
        .expect_session_by_token()
        .times(1)
        .returning(|_, now| {
            Ok(Some(WebSession {
                id: WebSessionId::new(1).expect("valid session"),
                user_id: UserId::new(USER).expect("valid user"),
                created_at: now,
                expires_at: UnixTime::from_secs(now.secs() + 3600).expect("valid time"),
                user_agent: None,
                ip: None,
            }))
        });
    expect(&mut store);
    store
}

/// Sends `method path` with the session cookie to an app over `store`; returns the status and
/// the body's text.
async fn call(store: MockStore, method: Method, path: &str) -> (StatusCode, String) {
    let clock = Arc::new(TestClock::at(START));
    let state = AppState::new(Arc::new(store), clock, config())
        .expect("state")
        .with_panel(PanelAssets::default());
    let body = if method == Method::GET { "" } else { "{}" };
    let request = panel_request(method, path)
        .header(header::COOKIE, format!("{SESSION_COOKIE}={TOKEN}"))
        .body(Body::from(body))
        .expect("request");
    let response = router(state).oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8(body.to_vec()).expect("utf-8"))
}

fn assert_answer(answer: &(StatusCode, String), status: StatusCode, code: &str, error: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{error}: {body}");
    let json: serde_json::Value = serde_json::from_str(body).expect("json error body");
    assert_eq!(json["error"]["code"], code, "{error}: {body}");
    // Causes a client must not see stay out of the answer.
    for internal in ["db.internal", "row 7", "sqlite"] {
        assert!(!body.contains(internal), "{error}: {body}");
    }
}

#[tokio::test]
async fn a_failed_read_answers_the_status_of_its_store_error() {
    for (error, status, code) in cases() {
        let failure = error.clone();
        let store = store(move |store| {
            store
                .expect_targets()
                .withf(|user| user.get() == USER)
                .times(1)
                .returning(move |_| Err(failure.clone()));
        });
        let answer = call(store, Method::GET, "/api/channels").await;
        assert_answer(&answer, status, code, &error.to_string());
    }
}

#[tokio::test]
async fn a_failed_change_answers_the_status_of_its_store_error_and_is_not_audited() {
    for (error, status, code) in cases() {
        let failure = error.clone();
        let store = store(move |store| {
            store
                .expect_delete_target()
                .withf(|user, row| (user.get(), row.get()) == (USER, 3))
                .times(1)
                .returning(move |_, _| Err(failure.clone()));
            // A change that did not happen leaves no audit entry.
            store.expect_append_audit().never();
        });
        let answer = call(store, Method::DELETE, "/api/channels/3").await;
        assert_answer(&answer, status, code, &error.to_string());
    }
}
