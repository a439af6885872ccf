//! Tests of `giftbuyer account list` and `giftbuyer account login` on a temporary data
//! directory; logins go to the demo market through the hidden `--demo` switch, driven through
//! standard input.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use giftbuyer_core::UnixTime;
use giftbuyer_core::ports::{
    ApiProfileStore as _, NewApiProfile, Secret, UserStore as _, Username,
};
use giftbuyer_store::Store;

use crate::plan::stdout_of;

/// A data directory with user `alice` and her API profile; returns the profile's id.
fn setup(data_dir: &Path) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        std::fs::create_dir_all(data_dir).expect("data dir");
        let (key, _) =
            giftbuyer_store::load_master_key(&data_dir.join("master.key")).expect("a key");
        let url = format!("sqlite://{}", data_dir.join("giftbuyer.db").display());
        let store = Store::connect(&url, key).await.expect("store");
        let now = UnixTime::from_secs(1_760_000_000).expect("time");
        let alice = store
            .create_user(&Username::new("alice").expect("name"), "hash", now)
            .await
            .expect("alice");
        let profile = store
            .create_api_profile(
                alice,
                NewApiProfile {
                    name: "main".to_owned(),
                    api_id: 12345,
                    api_hash: Secret::new("0123456789abcdef0123456789abcdef".to_owned()),
                },
                now,
            )
            .await
            .expect("profile");
        store.close().await;
        profile.get()
    })
}

fn giftbuyer(args: &[&str], data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_giftbuyer"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("GIFTBUYER_MASTER_KEY")
        .env_remove("GIFTBUYER_KEY_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stderr_of(output: &Output) -> String {
    assert!(!output.status.success(), "unexpected success");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `account login --demo`, answering the phone, then every line of `after_code` once
/// the demo code is printed (`{code}` stands for it). Returns whether it succeeded, stdout and
/// stderr.
fn demo_login(
    data_dir: &Path,
    profile: i64,
    phone: &str,
    after_code: &[&str],
) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_giftbuyer"))
        .args(["account", "login", "--demo", "--user", "Alice", "--profile"])
        .arg(profile.to_string())
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("GIFTBUYER_MASTER_KEY")
        .env_remove("GIFTBUYER_KEY_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    writeln!(stdin, "{phone}").expect("the phone");
    let mut seen = String::new();
    let code = loop {
        let mut line = String::new();
        let read = stdout.read_line(&mut line).expect("stdout");
        assert!(read > 0, "no demo code in {seen:?}");
        seen.push_str(&line);
        if let Some(code) = line.strip_prefix("demo code: ") {
            break code.trim().to_owned();
        }
    };
    for answer in after_code {
        writeln!(stdin, "{}", answer.replace("{code}", &code)).expect("an answer");
    }
    drop(stdin);
    stdout.read_to_string(&mut seen).expect("stdout");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = child.wait().expect("the login ends");
    (status.success(), seen, stderr)
}

#[test]
fn a_demo_login_saves_the_account_and_the_list_shows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let profile = setup(&data);

    let empty = stdout_of(&giftbuyer(&["account", "list", "--user", "alice"], &data));
    assert_eq!(empty, "user alice has no telegram accounts\n");

    // A wrong code first, then the right one.
    let (ok, stdout, stderr) = demo_login(&data, profile, "+1 555 000 1234", &["x", "{code}"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with("telegram sent a login code for +1555****234\n"),
        "{stdout}"
    );
    assert!(stdout.contains("added telegram account "), "{stdout}");
    assert!(stdout.contains("to user alice as account 1"), "{stdout}");
    assert!(
        stderr.contains("the code is not valid; try again"),
        "{stderr}"
    );

    let json = stdout_of(&giftbuyer(
        &["account", "list", "--user", "alice", "--format", "json"],
        &data,
    ));
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    let account = &json["accounts"][0];
    assert_eq!(account["id"], 1);
    assert_eq!(account["masked_phone"], "+1555****234");
    assert_eq!(account["logged_in"], true);
    assert!(account["telegram_id"].as_i64().is_some(), "{json}");
    assert_eq!(account["stars"], 50_000, "the balance is read and saved");
    assert!(account["stars_refreshed_at"].as_i64().is_some(), "{json}");

    let text = stdout_of(&giftbuyer(&["account", "list", "--user", "alice"], &data));
    assert!(text.starts_with("#1  telegram "), "{text}");
    assert!(text.contains("  +1555****234  "), "{text}");
    assert!(text.contains("50000 stars (refreshed "), "{text}");
    // The phone is stored encrypted: never in clear in the database.
    let db = std::fs::read(data.join("giftbuyer.db")).expect("the database");
    assert!(!db.windows(11).any(|window| window == b"15550001234"));

    // The same Telegram account again is refused, and names the user.
    let (ok, _, stderr) = demo_login(&data, profile, "+1 555 000 1234", &["{code}"]);
    assert!(!ok);
    assert!(
        stderr.contains("is already added (to user alice or another user)"),
        "{stderr}"
    );
}

#[test]
fn the_password_is_asked_only_when_the_account_has_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let profile = setup(&data);
    let (ok, stdout, stderr) = demo_login(
        &data,
        profile,
        "+15550002222",
        &["{code}", "wrong", "demo-password"],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("(+1555****222, @demo_2fa)"), "{stdout}");
    assert!(
        stderr.contains("two-step verification password (hint: demo): "),
        "{stderr}"
    );
    assert!(
        stderr.contains("the password is not valid; try again"),
        "{stderr}"
    );
    assert!(!stdout.contains("demo-password") && !stderr.contains("demo-password"));
    let text = stdout_of(&giftbuyer(&["account", "list", "--user", "alice"], &data));
    assert!(text.contains("@demo_2fa  premium"), "{text}");
}

#[test]
fn unknown_users_and_profiles_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let profile = setup(&data);
    let stderr = stderr_of(&giftbuyer(&["account", "list", "--user", "bob"], &data));
    assert_eq!(stderr, "error: unknown user bob\n");
    let stderr = stderr_of(&giftbuyer(
        &[
            "account",
            "login",
            "--demo",
            "--user",
            "alice",
            "--profile",
            &(profile + 1).to_string(),
        ],
        &data,
    ));
    assert_eq!(
        stderr,
        format!("error: unknown api profile {} of user alice\n", profile + 1)
    );
    let stderr = stderr_of(&giftbuyer(
        &["account", "login", "--user", "bob", "--profile", "1"],
        &data,
    ));
    assert_eq!(stderr, "error: unknown user bob\n");
}

#[test]
fn a_login_stops_cleanly_when_input_ends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let profile = setup(&data);
    let stderr = stderr_of(&giftbuyer(
        &[
            "account",
            "login",
            "--demo",
            "--user",
            "alice",
            "--profile",
            &profile.to_string(),
        ],
        &data,
    ));
    assert!(
        stderr.ends_with("error: standard input ended before the login finished\n"),
        "{stderr}"
    );
}

#[test]
fn a_data_directory_without_a_key_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let stderr = stderr_of(&giftbuyer(&["account", "list", "--user", "alice"], &data));
    assert!(stderr.starts_with("error: no master key in "), "{stderr}");
    assert!(!data.join("master.key").exists(), "no key is created");
}
