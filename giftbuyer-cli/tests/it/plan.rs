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
        🛰️ By target:
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
    expect![[r#"{"account_id":1337,"channel_id":-1001234567890,"gift_id":223344,"price":50,"supply":500,"username":null}"#]].assert_eq(&serde_json::to_string(&operations[0]).expect("json"));
    expect![[r#"[{"gift_id":445566,"reason":"unlimited"},{"gift_id":556677,"reason":"sold_out"},{"account_id":1337,"gift_id":334455,"reason":"not_enough_stars"},{"account_id":4242,"gift_id":223344,"reason":"premium_required"}]"#]].assert_eq(&serde_json::to_string(&json["skips"]).expect("json"));
    expect![[r#"[{"account_id":4242,"channel_id":-1001234567890,"gift_id":123456,"until":1764003600,"username":null}]"#]]
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
        [{"account_id":1337,"channel_id":-1009876543210,"gift_id":223344,"price":500,"supply":2000,"username":null},{"account_id":1337,"channel_id":-1009876543210,"gift_id":223344,"price":500,"supply":2000,"username":null}]
        [{"gift_id":334455,"reason":"excluded"},{"account_id":1337,"gift_id":123456,"reason":"not_enough_stars"}]"#]].assert_eq(&format!("{}\n{}", json["operations"], json["skips"]));
    // The same file in the default order buys the rarer Heart first instead.
    let text = std::fs::read_to_string(path)
        .expect("example")
        .replace("priciest_first", "scarcest_first");
    let output = giftbuyer(&["plan", "--input", "-", "--format", "json"], Some(&text));
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&output)).expect("json");
    expect![[r#"
        [{"account_id":1337,"channel_id":-1001234567890,"gift_id":123456,"price":300,"supply":1000,"username":null},{"account_id":1337,"channel_id":-1001234567890,"gift_id":123456,"price":300,"supply":1000,"username":null},{"account_id":1337,"channel_id":-1001234567890,"gift_id":123456,"price":300,"supply":1000,"username":null}]
        [{"gift_id":334455,"reason":"excluded"},{"account_id":1337,"gift_id":223344,"reason":"not_enough_stars"}]"#]].assert_eq(&format!("{}\n{}", json["operations"], json["skips"]));
}

/// The targets example: a person takes the rarest gifts but never a birthday gift, a channel
/// the mid-supply ones, and each buying account's own profile everything else.
#[test]
fn plans_the_targets_example_onto_a_person_a_channel_and_the_accounts_themselves() {
    let path = example("targets.json");
    let path = path.to_str().expect("utf-8 path");
    let text = stdout_of(&giftbuyer(&["plan", "--input", path], None));
    expect![[r#"
        operations: 59 (total 950⭐)
          acc=1337 → @gift_friend gift=101 100⭐ supply=500 ×2
          acc=1337 → ch=-1001234567890 gift=102 50⭐ supply=800 ×3
          acc=1337 → ch=-1001234567890 gift=103 25⭐ supply=20000 ×4
          acc=1337 → self gift=104 10⭐ supply=1000000 ×50
        skips: 0
        deferred: 0

        🧾 Autobuy plan (dry run)
        📊 New: 4 | Planned: 4 | Skipped: 0
        📦 By gift:
        • 🗓️ 101 «Rose» | 100⭐ | supply=500 → @gift_friend acc=1337 ×2
        • 🗓️ 102 «Cake» | 50⭐ | supply=800 → ch=-1001234567890 acc=1337 ×3
        • 🗓️ 103 «Star» | 25⭐ | supply=20000 → ch=-1001234567890 acc=1337 ×4
        • 🗓️ 104 «Heart» | 10⭐ | supply=1000000 → self acc=1337 ×50
        🛰️ By target:
        • -1001234567890: plan=7
        • self: plan=50
        • @gift_friend: plan=2
        👤 By account:
        • acc=1337: plan=59 💰cost=950 start=1000 end=50
        • acc=4242: plan=0 💰cost=0 start=300 end=300
    "#]]
    .assert_eq(&text);
    let output = giftbuyer(&["plan", "--input", path, "--format", "json"], None);
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&output)).expect("json");
    let receivers: Vec<String> = json["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|op| format!("{}/{}", op["channel_id"], op["username"]))
        .collect();
    assert!(
        receivers.contains(&"null/\"gift_friend\"".to_owned()),
        "{receivers:?}"
    );
    assert!(
        receivers.contains(&"-1001234567890/null".to_owned()),
        "{receivers:?}"
    );
    assert!(receivers.contains(&"null/null".to_owned()), "{receivers:?}");
}

/// The market example: resale watches meet listings (the richest account buys, a listing above
/// every maximum is skipped) and two auction plans are decided (a first bid that passes the
/// second level by one star; a standing bid that would need more than its maximum holds).
#[test]
fn plans_the_resale_and_auction_example() {
    let path = example("market.json");
    let path = path.to_str().expect("utf-8 path");
    let text = stdout_of(&giftbuyer(&["plan", "--input", path], None));
    let market = &text[text.find("\nresale:").expect("a market section")..];
    expect![[r#"

        resale:
          buy HeartCap-12 (1200⭐) for watch 1 from acc=1337 → @gift_friend
          buy HeartCap-40 (700⭐) for watch 2 from acc=1337 → ch=-1001234567890
          skip HeartCap-77 for watch 1: above_max_price
          skip HeartCap-12 for watch 2: above_max_price
          skip HeartCap-77 for watch 2: above_max_price
        bids:
          gift=6011111111111111111 acc=1337: bid 1101⭐
          gift=6022222222222222222 acc=1337: hold: above_max
    "#]]
    .assert_eq(market);
    let output = giftbuyer(&["plan", "--input", path, "--format", "json"], None);
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&output)).expect("json");
    expect![[r#"
        [{"account_id":1337,"price":1200,"slug":"HeartCap-12","to_username":"gift_friend","watch_id":1},{"account_id":1337,"price":700,"slug":"HeartCap-40","to_channel_id":-1001234567890,"watch_id":2}]
        [{"account_id":1337,"decision":"bid","gift_id":6011111111111111111,"total":1101},{"account_id":1337,"decision":"hold","gift_id":6022222222222222222,"reason":"above_max"}]"#]]
    .assert_eq(&format!("{}\n{}", json["resale_buys"], json["bids"]));
}

#[test]
fn market_fields_are_checked_and_named() {
    let cases = [
        (
            r#"{"watches": [{"id": 1, "gift_id": 5, "max_price": 0}]}"#,
            "error: invalid scenario in standard input: watches[0]: max_price must be positive\n",
        ),
        (
            r#"{"auctions": [{"gift_id": 5, "max_bid": 10, "account_id": 9, "state": {"start_date": 0, "end_date": 10, "min_bid": 1, "gifts_per_round": 1, "gifts_left": 1}}]}"#,
            "error: invalid scenario in standard input: auctions[0]: account_id 9 is not in accounts\n",
        ),
        (
            r#"{"auctions": [{"gift_id": 5, "max_bid": 10, "wanted": 50, "account_id": 9, "state": {"start_date": 0, "end_date": 10, "min_bid": 1, "gifts_per_round": 1, "gifts_left": 1}}]}"#,
            "error: invalid scenario in standard input: auctions[0]: wanted must be between 1 and 10, got 50\n",
        ),
        (
            r#"{"bidding": {"budget": -1}}"#,
            "error: invalid scenario in standard input: bidding.budget: a star amount must not be negative, got -1\n",
        ),
    ];
    for (text, expected) in cases {
        let output = giftbuyer(&["plan", "--input", "-"], Some(text));
        assert!(!output.status.success(), "{text}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), expected, "{text}");
    }
}
