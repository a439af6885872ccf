//! Tests of `giftbuyer plan`: the shipped example scenario, both formats, and bad input.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use expect_test::expect;

pub(crate) fn example_path(folder: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(folder)
        .join(name)
}

fn example(name: &str) -> PathBuf {
    example_path("scenarios", name)
}

pub(crate) fn giftbuyer(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_giftbuyer"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin.unwrap_or("").as_bytes())
        .expect("stdin accepts the scenario");
    drop(pipe);
    child.wait_with_output().expect("the binary finishes")
}

pub(crate) fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

#[test]
fn plans_the_example_scenario_as_text() {
    let path = example("basic.json");
    let output = giftbuyer(
        &["plan", "--input", path.to_str().expect("utf-8 path")],
        None,
    );
    expect![[r#"
        operations: 7 (total 160⭐)
          acc=1337 → ch=-1001234567890 gift=223344 50⭐ supply=500 ×1
          acc=1337 → ch=-1001234567890 gift=123456 25⭐ supply=1000 ×2
          acc=4242 → ch=-1009876543210 gift=334455 15⭐ supply=100000 ×4
        skips: 4
          gift=445566 unlimited
          gift=556677 sold_out
          gift=334455 not_enough_stars acc=1337
          gift=223344 premium_required acc=4242
        deferred: 1
          gift=123456 acc=4242 ch=-1001234567890 until 2025-11-24 17:00:00 UTC

        🧾 Autobuy plan (dry run)
        📊 New: 5 | Planned: 3 | Skipped: 2
        📦 By gift:
        • 🗓️ 123456 «Heart» | 25⭐ | supply=1000 → ch=-1001234567890 acc=1337 ×2; locked until 2025-11-24 17:00:00 UTC (acc=4242)
        • 🗓️ 223344 «Premium star» | 50⭐ | supply=500 → ch=-1001234567890 acc=1337 ×1; premium required (acc=4242)
        • 🗓️ 334455 «Mass drop» | 15⭐ | supply=100000 → ch=-1009876543210 acc=4242 ×4; not enough stars (acc=1337)
        • ⏭️ 445566 «Teddy» | 15⭐ | unlimited → non-limited (skipped)
        • ⏭️ 556677 «Gone» | 1000⭐ | supply=200 → sold out
        🛰️ By channel:
        • -1009876543210: plan=4
        • -1001234567890: plan=3
        👤 By account:
        • acc=1337: plan=3 💰cost=100 start=100 end=0
        • acc=4242: plan=4 💰cost=60 start=60 end=0
    "#]].assert_eq(&stdout_of(&output));
}

#[test]
fn plans_the_example_scenario_as_json_in_russian() {
    let path = example("basic.json");
    let args = [
        "plan",
        "-i",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--lang",
        "ru",
    ];
    let output = stdout_of(&giftbuyer(&args, None));
    let json: serde_json::Value = serde_json::from_str(&output).expect("valid JSON");
    let operations = json["operations"].as_array().expect("operations");
    assert_eq!(operations.len(), 7);
    expect![[r#"{"account_id":1337,"channel_id":-1001234567890,"gift_id":223344,"price":50,"supply":500}"#]].assert_eq(&serde_json::to_string(&operations[0]).expect("json"));
    expect![[r#"[{"gift_id":445566,"reason":"unlimited"},{"gift_id":556677,"reason":"sold_out"},{"account_id":1337,"gift_id":334455,"reason":"not_enough_stars"},{"account_id":4242,"gift_id":223344,"reason":"premium_required"}]"#]].assert_eq(&serde_json::to_string(&json["skips"]).expect("json"));
    expect![[
        r#"[{"account_id":4242,"channel_id":-1001234567890,"gift_id":123456,"until":1764003600}]"#
    ]]
    .assert_eq(&serde_json::to_string(&json["deferred"]).expect("json"));
    let report = json["report"].as_str().expect("report text");
    assert!(
        report.starts_with(
            "🧾 План автопокупки (пробный запуск)\n📊 Новых: 5 | Запланировано: 3 | Пропущено: 2\n"
        ),
        "{report}"
    );
}

#[test]
fn reads_the_scenario_from_standard_input() {
    let scenario = r#"{"now": 0, "accounts": [{"id": 1, "balance": 30}],
        "channels": [{"id": 1, "channel_id": -1001234567890}],
        "gifts": [{"id": 9, "price": 10, "limited": true, "supply": 5, "remaining": 5}]}"#;
    let output = giftbuyer(&["plan", "-i", "-", "--format", "json"], Some(scenario));
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&output)).expect("valid JSON");
    assert_eq!(json["operations"].as_array().map(Vec::len), Some(3));
}

#[test]
fn bad_input_exits_non_zero_with_a_message_naming_the_problem() {
    let cases = [
        (
            "{\"gifts\": [{\"id\": 1}]}",
            expect![[r#"
            error: invalid scenario in standard input: gifts[0]: missing field `price` at line 1 column 20
        "#]],
        ),
        (
            "{\"channels\": [{\"id\": 1, \"channel_id\": 1234567890}]}",
            expect![[r#"
                error: invalid scenario in standard input: channels[0]: channel_id: 1234567890 is not a channel id: expected the Bot API form, -100 followed by the channel's id (e.g. -1001234567890)
            "#]],
        ),
        (
            "not json",
            expect![[r#"
            error: invalid scenario in standard input: not valid JSON: expected ident at line 1 column 2
        "#]],
        ),
    ];
    for (scenario, expected) in cases {
        let output = giftbuyer(&["plan", "-i", "-"], Some(scenario));
        assert!(!output.status.success(), "{scenario}");
        assert!(output.stdout.is_empty(), "{scenario}");
        expected.assert_eq(&String::from_utf8_lossy(&output.stderr));
    }
}

#[test]
fn a_missing_file_is_named() {
    let output = giftbuyer(&["plan", "-i", "/nonexistent/scenario.json"], None);
    assert!(!output.status.success());
    expect![[r#"
        error: cannot read /nonexistent/scenario.json: No such file or directory (os error 2)
    "#]]
    .assert_eq(&String::from_utf8_lossy(&output.stderr));
}

#[test]
fn an_unknown_format_is_refused_by_the_argument_parser() {
    let path = example("basic.json");
    let output = giftbuyer(
        &[
            "plan",
            "-i",
            path.to_str().expect("utf-8 path"),
            "--format",
            "xml",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid value 'xml' for '--format <FORMAT>'"),
        "{stderr}"
    );
}

/// The exclude-list example: the Rocket is excluded by id on the best channel and goes to the
/// next one, the birthday Cake is excluded everywhere, and `priciest_first` spends the balance
/// on the Rocket before the rarer Heart.
#[test]
fn plans_the_exclude_and_priority_example() {
    let path = example("exclude_and_priority.json");
    let path = path.to_str().expect("utf-8 path");
    let output = giftbuyer(&["plan", "--input", path, "--format", "json"], None);
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&output)).expect("json");
    expect![[r#"
        [{"account_id":1337,"channel_id":-1009876543210,"gift_id":223344,"price":500,"supply":2000},{"account_id":1337,"channel_id":-1009876543210,"gift_id":223344,"price":500,"supply":2000}]
        [{"gift_id":334455,"reason":"excluded"},{"account_id":1337,"gift_id":123456,"reason":"not_enough_stars"}]"#]].assert_eq(&format!("{}\n{}", json["operations"], json["skips"]));
    // The same file in the default order buys the rarer Heart first instead.
    let text = std::fs::read_to_string(path)
        .expect("example")
        .replace("priciest_first", "scarcest_first");
    let output = giftbuyer(&["plan", "--input", "-", "--format", "json"], Some(&text));
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&output)).expect("json");
    expect![[r#"
        [{"account_id":1337,"channel_id":-1001234567890,"gift_id":123456,"price":300,"supply":1000},{"account_id":1337,"channel_id":-1001234567890,"gift_id":123456,"price":300,"supply":1000},{"account_id":1337,"channel_id":-1001234567890,"gift_id":123456,"price":300,"supply":1000}]
        [{"gift_id":334455,"reason":"excluded"},{"account_id":1337,"gift_id":223344,"reason":"not_enough_stars"}]"#]].assert_eq(&format!("{}\n{}", json["operations"], json["skips"]));
}
