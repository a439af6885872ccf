//! The test harness: an app on a fresh SQLite store with a clock the test moves, and helpers
//! to send requests the way the panel does (same-origin JSON) and read the answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{AuditEntry, Clock, HistoryStore as _, LockoutPolicy, UserId};
use giftbuyer_http::{
    AppState, HttpConfig, PanelAssets, PasswordHashing, RateLimit, SESSION_COOKIE, router,
};
use giftbuyer_store::{MasterKey, Store};
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub(crate) const HOST: &str = "panel.test";
pub(crate) const ORIGIN: &str = "http://panel.test";
pub(crate) const PASSWORD: &str = "correct horse battery staple";
/// The unix time tests start at.
pub(crate) const START: i64 = 1_764_000_000;
pub(crate) const PEER: &str = "198.51.100.7:40000";

/// A clock the test advances by hand; wall time and monotonic time move together.
#[derive(Debug)]
pub(crate) struct TestClock {
    unix: AtomicI64,
    elapsed_ms: AtomicU64,
}

impl TestClock {
    /// A clock at `unix` seconds that has not moved yet.
    pub(crate) fn at(unix: i64) -> Self {
        Self {
            unix: AtomicI64::new(unix),
            elapsed_ms: AtomicU64::new(0),
        }
    }

    pub(crate) fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).expect("small duration");
        self.unix.fetch_add(secs, Ordering::SeqCst);
        let ms = u64::try_from(by.as_millis()).expect("small duration");
        self.elapsed_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

#[async_trait]
impl Clock for TestClock {
    fn elapsed(&self) -> Duration {
        Duration::from_millis(self.elapsed_ms.load(Ordering::SeqCst))
    }

    fn unix_now(&self) -> UnixTime {
        UnixTime::from_secs(self.unix.load(Ordering::SeqCst)).expect("positive")
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await
    }
}

/// Settings for tests: cheap hashing, a short lockout, and limits high enough not to get in
/// the way of tests that are not about them.
pub(crate) fn config() -> HttpConfig {
    let generous = RateLimit {
        burst: 1000,
        refill_every: Duration::from_millis(1),
    };
    HttpConfig {
        lockout: LockoutPolicy {
            max_failures: 3,
            lock_for: Duration::from_secs(60),
        },
        login_per_ip: generous,
        login_per_username: generous,
        register_per_ip: generous,
        password_hashing: PasswordHashing {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        },
        ..HttpConfig::default()
    }
}

pub(crate) struct TestApp {
    pub(crate) router: Router,
    pub(crate) store: Store,
    pub(crate) clock: Arc<TestClock>,
    pub(crate) state: AppState,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub(crate) async fn new() -> Self {
        Self::with_config(config()).await
    }

    pub(crate) async fn with_config(config: HttpConfig) -> Self {
        Self::build(config, |state, store| {
            state.with_run_journal(Arc::new(store.clone()))
        })
        .await
    }

    /// An app whose optional ports `ports` sets; the other constructors make the store the run
    /// journal, as the binary does, and set no bot verifier.
    pub(crate) async fn with_ports(ports: impl FnOnce(AppState, &Store) -> AppState) -> Self {
        Self::build_on_clock(config(), |state, store, _| ports(state, store)).await
    }

    async fn build(config: HttpConfig, ports: impl FnOnce(AppState, &Store) -> AppState) -> Self {
        Self::build_on_clock(config, |state, store, _| ports(state, store)).await
    }

    /// An app whose optional ports `ports` sets, given the app's clock too (for ports that
    /// keep time on it, such as a simulated market).
    pub(crate) async fn build_on_clock(
        config: HttpConfig,
        ports: impl FnOnce(AppState, &Store, Arc<TestClock>) -> AppState,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("http.db").display());
        let store = Store::connect(&url, MasterKey::from_bytes([7; 32]))
            .await
            .expect("store");
        let clock = Arc::new(TestClock::at(START));
        // No built panel, whatever `web/dist` holds on this machine: the panel's own tests
        // set their files.
        let state = AppState::new(Arc::new(store.clone()), clock.clone(), config)
            .expect("state")
            .with_panel(PanelAssets::default());
        let state = ports(state, &store, clock.clone());
        Self {
            router: router(state.clone()),
            store,
            clock,
            state,
            _dir: dir,
        }
    }

    /// The same app (store, clock, ports) with its state changed, for example one more port.
    pub(crate) fn rebuilt(self, change: impl FnOnce(AppState) -> AppState) -> Self {
        let state = change(self.state);
        Self {
            router: router(state.clone()),
            state,
            ..self
        }
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// A same-origin JSON request with an optional session cookie and body.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut builder = panel_request(method, path);
        if let Some(cookie) = cookie {
            builder = builder.header(header::COOKIE, format!("{SESSION_COOKIE}={cookie}"));
        }
        let body = body.map_or_else(Body::empty, |body| Body::from(body.to_string()));
        self.send(builder.body(body).expect("request")).await
    }

    pub(crate) async fn register(&self, username: &str) -> String {
        let response = self
            .call(
                Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.session_cookie().expect("session cookie")
    }

    /// Registers a user and returns their session cookie and user id.
    pub(crate) async fn user(&self, username: &str) -> (String, i64) {
        let cookie = self.register(username).await;
        let me = self
            .call(Method::GET, "/api/auth/me", Some(&cookie), None)
            .await;
        (cookie, me.json()["id"].as_i64().expect("user id"))
    }

    pub(crate) async fn get(&self, path: &str, cookie: &str) -> TestResponse {
        self.call(Method::GET, path, Some(cookie), None).await
    }

    pub(crate) async fn post(&self, path: &str, cookie: &str, body: Value) -> TestResponse {
        self.call(Method::POST, path, Some(cookie), Some(body))
            .await
    }

    pub(crate) async fn patch(&self, path: &str, cookie: &str, body: Value) -> TestResponse {
        self.call(Method::PATCH, path, Some(cookie), Some(body))
            .await
    }

    pub(crate) async fn delete(&self, path: &str, cookie: &str) -> TestResponse {
        self.call(Method::DELETE, path, Some(cookie), None).await
    }

    pub(crate) async fn login(&self, username: &str, password: &str) -> TestResponse {
        self.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    pub(crate) async fn audit(&self, user: i64) -> Vec<AuditEntry> {
        let user = UserId::new(user).expect("user id");
        self.store.audit_log(user, 100).await.expect("audit log")
    }
}

/// A request as the panel sends it: same origin, JSON, from [`PEER`].
pub(crate) fn panel_request(method: Method, path: &str) -> axum::http::request::Builder {
    peer_request(method, path, PEER)
}

pub(crate) fn peer_request(method: Method, path: &str, peer: &str) -> axum::http::request::Builder {
    let peer: SocketAddr = peer.parse().expect("peer address");
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, "TestBrowser/1.0")
        .extension(ConnectInfo(peer))
}

pub(crate) struct TestResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl TestResponse {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    /// The error code of an error body.
    pub(crate) fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {}", self.text()))
            .to_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The whole `Set-Cookie` line for the session cookie.
    pub(crate) fn set_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with(&format!("{SESSION_COOKIE}=")))
            .map(str::to_owned)
    }

    /// The session cookie's value, when one is set (not cleared).
    pub(crate) fn session_cookie(&self) -> Option<String> {
        let line = self.set_cookie()?;
        let value = line
            .split(';')
            .next()?
            .strip_prefix(&format!("{SESSION_COOKIE}="))?;
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// Asserts a successful answer and returns its JSON body.
    #[track_caller]
    pub(crate) fn ok(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Asserts a 422 whose `fields` names `field`, and returns the field's message.
    #[track_caller]
    pub(crate) fn assert_invalid(&self, field: &str) -> String {
        self.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let body = self.json();
        let fields = body["error"]["fields"].as_object().expect("fields");
        assert!(fields.contains_key(field), "{field} not named: {body}");
        fields[field].as_str().expect("message").to_owned()
    }

    /// Asserts an error answer: its status, code and JSON shape.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.code(), code, "{}", self.text());
        assert!(
            self.json()["error"]["message"].is_string(),
            "{}",
            self.text()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "errors are JSON"
        );
    }
}

/// Records a finished login for an account row, which gives it its Telegram id (no session).
pub(crate) async fn log_in_account(
    app: &TestApp,
    user: giftbuyer_core::ports::UserId,
    row: giftbuyer_core::ports::AccountRowId,
    telegram_id: i64,
) {
    use giftbuyer_core::ports::AccountStore as _;
    let profile = giftbuyer_core::ports::Profile {
        account_id: giftbuyer_core::AccountId::new(telegram_id).expect("telegram id"),
        username: Some(format!("user{telegram_id}")),
        first_name: None,
        premium: false,
        premium_until: None,
    };
    app.store
        .record_account_login(user, row, &profile, app.state.now())
        .await
        .expect("login recorded");
}
