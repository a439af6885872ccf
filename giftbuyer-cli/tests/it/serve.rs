//! Smoke tests of `giftbuyer serve`, with `--demo` and on real Telegram (never called): the
//! real server on a free port, spoken to over HTTP/1.1, then stopped with SIGTERM, or killed
//! with SIGKILL and started again on the same data.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A same-origin JSON POST with the session cookie, as the panel sends it.
fn post(addr: &str, path: &str, cookie: &str, body: &str) -> String {
    send(addr, "POST", path, cookie, body)
}

/// A same-origin JSON request with the session cookie, as the panel sends it.
fn send(addr: &str, method: &str, path: &str, cookie: &str, body: &str) -> String {
    http(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
             Cookie: {cookie}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// A GET with the session cookie, answered 200 with JSON.
fn get_json(addr: &str, path: &str, cookie: &str) -> serde_json::Value {
    let response = http(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
             Connection: close\r\n\r\n"
        ),
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{path}: {response}");
    json_body(&response)
}

/// The JSON body of a response (after the blank line; the server sends it unchunked).
fn json_body(response: &str) -> serde_json::Value {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {response}"))
}

/// Sends one request and returns the whole response (the server closes the connection).
fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    response
}

/// Where a test server's log goes: nowhere, or with `GIFTBUYER_TEST_SERVER_LOG=<dir>` to a
/// file of its own there, for looking into a failing test.
fn server_log() -> Stdio {
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(dir) = std::env::var_os("GIFTBUYER_TEST_SERVER_LOG") else {
        return Stdio::null();
    };
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::path::Path::new(&dir).join(format!("server-{}-{n}.log", std::process::id()));
    std::fs::File::create(path).map_or_else(|_| Stdio::null(), Stdio::from)
}

/// A `giftbuyer serve` process on a free port with its own data directory.
struct Server {
    child: std::process::Child,
    stdout: BufReader<std::process::ChildStdout>,
    /// The line announcing where the server listens.
    banner: String,
    addr: String,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts `giftbuyer serve` with `extra` arguments and waits for its banner.
    fn start(extra: &[&str]) -> Self {
        Self::start_in(tempfile::tempdir().expect("temp dir"), extra)
    }

    /// Starts `giftbuyer serve` on the data directory `data` in `dir`, as a restart does.
    fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_giftbuyer"))
            .arg("serve")
            .args(extra)
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"))
            .env_remove("DATABASE_URL")
            .env_remove("GIFTBUYER_MASTER_KEY")
            .env_remove("GIFTBUYER_KEY_FILE")
            .stdout(Stdio::piped())
            .stderr(server_log())
            .spawn()
            .expect("the server starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut banner = String::new();
        stdout
            .read_line(&mut banner)
            .expect("the server announces its address");
        let addr = banner
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("an address")
            .to_owned();
        Self {
            child,
            stdout,
            banner,
            addr,
            dir,
        }
    }

    /// Checks health, registers `alice` and returns the registration response and her cookie.
    fn register(&self) -> (String, String) {
        let addr = &self.addr;
        let health = http(
            addr,
            &format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        );
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        assert!(health.ends_with("{\"status\":\"ok\"}"), "{health}");
        let body = r#"{"username":"alice","password":"correct horse battery"}"#;
        let register = http(
            addr,
            &format!(
                "POST /api/auth/register HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(register.starts_with("HTTP/1.1 201"), "{register}");
        let cookie = register
            .lines()
            .find_map(|line| line.strip_prefix("set-cookie: "))
            .and_then(|value| value.split(';').next())
            .expect("a session cookie")
            .to_owned();
        (register, cookie)
    }

    /// Kills the server with SIGKILL, as a crash or `kill -9` does: nothing is flushed or
    /// released. Returns its directory, to start it again on the same data.
    fn kill(mut self) -> tempfile::TempDir {
        self.child.kill().expect("send SIGKILL");
        let exit = self.child.wait().expect("the server exits");
        assert!(!exit.success(), "{exit:?}");
        self.dir
    }

    /// Stops the server with SIGTERM and checks that it said goodbye and kept its database.
    fn stop(mut self) -> tempfile::TempDir {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("send SIGTERM");
        assert!(status.success());
        let exit = self.child.wait().expect("the server exits");
        let mut rest = String::new();
        self.stdout
            .read_to_string(&mut rest)
            .expect("the rest of stdout");
        assert!(exit.success(), "{exit:?}");
        assert_eq!(rest, "GiftBuyer stopped\n");
        assert!(self.dir.path().join("data/giftbuyer.db").exists());
        self.dir
    }
}

/// Adds a Telegram account on the demo market as the panel does: an API profile, a phone
/// number, then the code the demo shows.
fn add_demo_account(addr: &str, cookie: &str) {
    let profile = post(
        addr,
        "/api/profiles",
        cookie,
        r#"{"name":"main","api_id":12345,"api_hash":"0123456789abcdef0123456789abcdef"}"#,
    );
    assert!(profile.starts_with("HTTP/1.1 201"), "{profile}");
    let profile_id = json_body(&profile)["id"].clone();
    let started = post(
        addr,
        "/api/accounts/login",
        cookie,
        &format!(r#"{{"phone":"+1 555 000 1234","api_profile_id":{profile_id}}}"#),
    );
    assert!(started.starts_with("HTTP/1.1 200"), "{started}");
    let started = json_body(&started);
    assert_eq!(started["step"], "code");
    let code = started["demo_code"]
        .as_str()
        .expect("the demo shows the code");
    let login_id = started["login_id"].as_str().expect("a login id");
    let done = post(
        addr,
        &format!("/api/accounts/login/{login_id}/code"),
        cookie,
        &format!(r#"{{"code":"{code}"}}"#),
    );
    assert!(done.starts_with("HTTP/1.1 200"), "{done}");
    assert_eq!(json_body(&done)["step"], "done");
}

#[test]
fn the_demo_server_serves_the_api_and_stops_gracefully() {
    let server = Server::start(&["--demo"]);
    let addr = server.addr.clone();
    let (register, cookie) = server.register();
    assert!(register.contains("HttpOnly; SameSite=Lax"), "{register}");
    assert!(!register.contains("correct horse battery"));

    // Adding a Telegram account on the demo market: an API profile, a phone, the demo code.
    add_demo_account(&addr, &cookie);
    let accounts = http(
        &addr,
        &format!(
            "GET /api/accounts HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
             Connection: close\r\n\r\n"
        ),
    );
    assert!(accounts.starts_with("HTTP/1.1 200"), "{accounts}");
    let accounts = json_body(&accounts);
    let account = &accounts["accounts"][0];
    assert_eq!(account["masked_phone"], "+1555****234");
    assert_eq!(account["logged_in"], true);
    assert!(
        account["stars"].as_u64().is_some_and(|stars| stars > 0),
        "the demo account has a balance: {accounts}"
    );
    assert!(!accounts.to_string().contains("15550001234"));

    // The database and a private key file were created in the data directory.
    let dir = server.stop();
    assert!(dir.path().join("data/master.key").exists());
}

#[test]
fn without_demo_the_server_runs_on_real_telegram_and_stops_gracefully() {
    let server = Server::start(&[]);
    assert!(
        server.banner.ends_with("(real Telegram)\n"),
        "{}",
        server.banner
    );
    let addr = server.addr.clone();
    // The real login port is plugged in: without an API profile it refuses before connecting
    // to Telegram, and says why.
    let (_, cookie) = server.register();
    let started = post(
        &addr,
        "/api/accounts/login",
        &cookie,
        r#"{"phone":"+1 555 000 1234"}"#,
    );
    // Real Telegram needs an API profile: the refusal names the field to fill in.
    assert!(started.starts_with("HTTP/1.1 422"), "{started}");
    let error = json_body(&started)["error"].clone();
    assert_eq!(error["code"], "invalid", "{started}");
    assert!(
        error["fields"]["api_profile_id"]
            .as_str()
            .is_some_and(|text| text.contains("API profile")),
        "{started}"
    );

    server.stop();
}

#[test]
fn bad_settings_are_named() {
    let output = Command::new(env!("CARGO_BIN_EXE_giftbuyer"))
        .args(["serve", "--demo", "--addr", "nowhere"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid value 'nowhere' for '--addr <ADDR>'"),
        "{stderr}"
    );
}

/// The user's runs that bought something, newest first, each with the gifts it bought.
fn bought_runs(addr: &str, cookie: &str) -> Vec<(i64, Vec<i64>)> {
    let page = get_json(addr, "/api/runs?limit=50", cookie);
    let runs = page["runs"].as_array().cloned().unwrap_or_default();
    runs.iter()
        .filter(|run| run["bought"].as_u64().is_some_and(|bought| bought > 0))
        .filter_map(|run| run["id"].as_i64())
        .map(|id| {
            let detail = get_json(addr, &format!("/api/runs/{id}"), cookie);
            let gifts = detail["operations"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|operation| operation["status"] == "bought")
                .filter_map(|operation| operation["gift_id"].as_i64())
                .collect();
            (id, gifts)
        })
        .collect()
}

/// Polls until a run that bought something satisfies `wanted`; the deadline only stops a
/// broken server from hanging the test, it measures nothing.
fn wait_for_bought_run(
    addr: &str,
    cookie: &str,
    what: &str,
    wanted: impl Fn(&(i64, Vec<i64>)) -> bool,
) -> (i64, Vec<i64>) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(run) = bought_runs(addr, cookie).into_iter().find(&wanted) {
            return run;
        }
        assert!(Instant::now() < deadline, "no run bought {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_demo_killed_with_sigkill_carries_on_after_a_restart_without_a_new_login() {
    demo_carries_on_after_sigkill(&["--demo", "--demo-drop-every", "10"]);
}

#[test]
fn a_demo_over_mtproto_buys_drops_and_carries_on_after_sigkill_without_a_new_login() {
    demo_carries_on_after_sigkill(&["--demo", "--demo-mtproto", "--demo-drop-every", "10"]);
}

/// A demo with autobuy on buys a drop, is killed with SIGKILL, restarts on the same data and
/// buys a later drop with the same account, still logged in.
fn demo_carries_on_after_sigkill(args: &[&str]) {
    let server = Server::start(args);
    let addr = server.addr.clone();
    let (_, cookie) = server.register();
    add_demo_account(&addr, &cookie);
    let channel = post(
        &addr,
        "/api/channels",
        &cookie,
        r#"{"channel_id":-1001234567890,"title":"Rare gifts"}"#,
    );
    assert!(channel.starts_with("HTTP/1.1 201"), "{channel}");
    let settings = send(
        &addr,
        "PATCH",
        "/api/settings",
        &cookie,
        r#"{"autobuy":true}"#,
    );
    assert!(settings.starts_with("HTTP/1.1 200"), "{settings}");
    let (first_run, first_gifts) =
        wait_for_bought_run(&addr, &cookie, "a drop before the crash", |_| true);
    let accounts = get_json(&addr, "/api/accounts", &cookie);
    let account_id = accounts["accounts"][0]["telegram_id"].clone();

    // `kill -9`, then the same command on the same data directory.
    let dir = server.kill();
    let server = Server::start_in(dir, args);
    let addr = server.addr.clone();

    // The web session and the Telegram account both survived: no new login is made.
    let (later_run, later_gifts) = wait_for_bought_run(
        &addr,
        &cookie,
        "a new drop after the restart",
        |(run, gifts)| *run > first_run && gifts.iter().all(|gift| !first_gifts.contains(gift)),
    );
    assert!(later_run > first_run && !later_gifts.is_empty());
    let accounts = get_json(&addr, "/api/accounts", &cookie);
    let accounts = accounts["accounts"].as_array().cloned().unwrap_or_default();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0]["telegram_id"], account_id, "{accounts:?}");
    assert_eq!(accounts[0]["logged_in"], true, "{accounts:?}");

    // The gift bought after the restart is a new drop, first seen after the first purchase.
    let gifts = get_json(&addr, "/api/gifts", &cookie);
    let gifts = gifts["gifts"].as_array().cloned().unwrap_or_default();
    let first_seen = |id: i64| {
        gifts
            .iter()
            .find(|gift| gift["id"].as_i64() == Some(id))
            .and_then(|gift| gift["first_seen"].as_i64())
            .unwrap_or_else(|| panic!("gift {id} is not in the catalog: {gifts:?}"))
    };
    assert!(
        later_gifts.iter().all(|&later| first_gifts
            .iter()
            .all(|&first| first_seen(later) > first_seen(first))),
        "{first_gifts:?} then {later_gifts:?}"
    );
    server.stop();
}

#[test]
fn the_demo_over_mtproto_logs_an_account_in_through_the_real_telegram_adapters() {
    let server = Server::start(&["--demo", "--demo-mtproto"]);
    assert!(
        server
            .banner
            .contains("demo market over MTProto at 127.0.0.1:"),
        "{}",
        server.banner
    );
    let addr = server.addr.clone();
    let (_, cookie) = server.register();
    add_demo_account(&addr, &cookie);
    let accounts = get_json(&addr, "/api/accounts", &cookie);
    let account = &accounts["accounts"][0];
    assert_eq!(account["logged_in"], true, "{accounts}");
    assert!(
        account["stars"].as_u64().is_some_and(|stars| stars > 0),
        "the balance came over MTProto: {accounts}"
    );
    // The demo's two-step account: code, then the password, checked by SRP on DC 3 (its
    // number's DC, reached by PHONE_MIGRATE_3).
    let profile_id = json_body(&post(
        &addr,
        "/api/profiles",
        &cookie,
        r#"{"name":"second","api_id":1,"api_hash":"0123456789abcdef0123456789abcdef"}"#,
    ))["id"]
        .clone();
    let started = json_body(&post(
        &addr,
        "/api/accounts/login",
        &cookie,
        &format!(r#"{{"phone":"+1 555 000 2222","api_profile_id":{profile_id}}}"#),
    ));
    let login_id = started["login_id"].as_str().expect("a login id").to_owned();
    let code = started["demo_code"]
        .as_str()
        .expect("the demo shows the code")
        .to_owned();
    let step = json_body(&post(
        &addr,
        &format!("/api/accounts/login/{login_id}/code"),
        &cookie,
        &format!(r#"{{"code":"{code}"}}"#),
    ));
    assert_eq!(step["step"], "password", "{step}");
    let wrong = post(
        &addr,
        &format!("/api/accounts/login/{login_id}/password"),
        &cookie,
        r#"{"password":"not it"}"#,
    );
    assert!(!wrong.starts_with("HTTP/1.1 200"), "{wrong}");
    let done = json_body(&post(
        &addr,
        &format!("/api/accounts/login/{login_id}/password"),
        &cookie,
        r#"{"password":"demo-password"}"#,
    ));
    assert_eq!(done["step"], "done", "{done}");
    let accounts = get_json(&addr, "/api/accounts", &cookie);
    assert_eq!(
        accounts["accounts"].as_array().map(Vec::len),
        Some(2),
        "{accounts}"
    );

    // What the store keeps is a real grammers session on the loopback DCs, not a demo token.
    let dir = server.stop();
    assert!(dir.path().join("data/loopback-telegram-keys.json").exists());
}

/// A keys file as `giftbuyer tgserver` writes it, with DCs at `addr`.
fn keys_file(dir: &std::path::Path, addr: &str) -> std::path::PathBuf {
    let key = "ab".repeat(256);
    let text = format!(
        r#"{{"format":"giftbuyer-loopback-telegram-keys/1","home_dc":2,"dcs":[{{"id":1,"addr":"{addr}","keys":["{key}"]}},{{"id":2,"addr":"{addr}","keys":["{key}"]}}]}}"#
    );
    let path = dir.join("keys.json");
    std::fs::write(&path, text).expect("keys file");
    path
}

fn serve_output(data: &std::path::Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_giftbuyer"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(extra)
        .env_remove("DATABASE_URL")
        .env_remove("GIFTBUYER_MASTER_KEY")
        .env_remove("GIFTBUYER_KEY_FILE")
        .env_remove("GIFTBUYER_TELEGRAM_DC_OVERRIDE")
        .output()
        .expect("run")
}

#[test]
fn the_dc_override_is_taken_on_a_test_database_and_refused_where_it_could_be_an_accident() {
    let keys_dir = tempfile::tempdir().expect("temp dir");
    let flag = std::ffi::OsStr::new("--telegram-dc-override");

    // A fresh database: the server starts, sending new logins to the loopback Telegram.
    let good = keys_file(keys_dir.path(), "127.0.0.1:4430");
    let server = Server::start(&["--telegram-dc-override", good.to_str().expect("utf-8")]);
    assert!(
        server.banner.contains("a loopback Telegram"),
        "{}",
        server.banner
    );
    let dir = server.stop();

    // An address that is not loopback is refused, whatever the database holds.
    let remote_dir = tempfile::tempdir().expect("temp dir");
    let remote = keys_file(remote_dir.path(), "149.154.167.50:443");
    let output = serve_output(&dir.path().join("data"), &[flag, remote.as_os_str()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a loopback address"), "{stderr}");

    // A database that holds an account whose session is not on a loopback Telegram (here a
    // demo account) is refused, naming the account, before anything else happens.
    let demo = Server::start(&["--demo"]);
    let addr = demo.addr.clone();
    let (_, cookie) = demo.register();
    add_demo_account(&addr, &cookie);
    let demo_dir = demo.stop();
    let output = serve_output(&demo_dir.path().join("data"), &[flag, good.as_os_str()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing --telegram-dc-override: account ")
            && stderr.contains("not a test database"),
        "{stderr}"
    );
    // With --demo the flag is refused outright.
    let output = serve_output(
        &demo_dir.path().join("data"),
        &[std::ffi::OsStr::new("--demo"), flag, good.as_os_str()],
    );
    assert_eq!(output.status.code(), Some(2));
}
