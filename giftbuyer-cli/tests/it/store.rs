//! Tests of `giftbuyer migrate` and `giftbuyer rotate-key` on a temporary SQLite database.

use std::path::Path;

use crate::plan::{giftbuyer, stdout_of};

fn run(args: &[&str]) -> std::process::Output {
    giftbuyer(args, None)
}

#[test]
fn migrate_creates_the_schema_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}",
        dir.path().join("data/giftbuyer.db").display()
    );
    let first = stdout_of(&run(&["migrate", "--database-url", &url]));
    assert_eq!(
        first,
        "applied migrations 1, 2, 3, 4, 5, 6, 7, 8; the schema is at version 8\n"
    );
    let second = stdout_of(&run(&["migrate", "--database-url", &url]));
    assert_eq!(second, "the schema is up to date (version 8)\n");
}

#[test]
fn rotate_key_replaces_the_key_file_and_the_old_key_stops_working() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    let key_file = dir.path().join("master.key");
    write_key(&key_file, &"ab".repeat(32));
    let key_arg = key_file.to_str().expect("utf-8 path");

    let output = stdout_of(&run(&[
        "rotate-key",
        "--database-url",
        &url,
        "--key-file",
        key_arg,
    ]));
    assert!(
        output.contains("re-encrypted 0 values of user_settings.bot_token"),
        "{output}"
    );
    let new_key = std::fs::read_to_string(&key_file).expect("key file");
    assert_ne!(new_key.trim(), "ab".repeat(32));
    assert!(!dir.path().join("master.key.new").exists());

    // The rotated key opens the database again; the old one is refused and left unchanged.
    stdout_of(&run(&[
        "rotate-key",
        "--database-url",
        &url,
        "--key-file",
        key_arg,
    ]));
    let old_file = dir.path().join("old.key");
    write_key(&old_file, &"ab".repeat(32));
    let refused = run(&[
        "rotate-key",
        "--database-url",
        &url,
        "--key-file",
        old_file.to_str().expect("utf-8"),
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("the master key does not match this database"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&old_file).expect("old key").trim(),
        "ab".repeat(32)
    );
}

#[test]
fn a_missing_key_file_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    let missing = dir.path().join("nope.key");
    let output = run(&[
        "rotate-key",
        "--database-url",
        &url,
        "--key-file",
        missing.to_str().expect("utf-8"),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rotate-key needs the current key"),
        "{stderr}"
    );
    assert!(stderr.contains("nope.key"), "{stderr}");
}

fn write_key(path: &Path, hex: &str) {
    std::fs::write(path, format!("{hex}\n")).expect("write key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}
