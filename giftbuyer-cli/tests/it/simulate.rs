//! Tests of `giftbuyer simulate`: the shipped drops through both strategies, and bad input.

use serde_json::Value;

use crate::plan::{example_path, giftbuyer, stdout_of};

fn simulate(drop: &str, strategy: &str) -> Value {
    let path = example_path("drops", drop);
    let args = [
        "simulate",
        "-i",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--strategy",
        strategy,
    ];
    serde_json::from_str(&stdout_of(&giftbuyer(&args, None))).expect("valid JSON")
}

/// The result without the wall-clock latencies, which differ between runs.
fn virtual_part(mut result: Value) -> Value {
    result
        .as_object_mut()
        .expect("an object")
        .remove("reaction_latency_us");
    result
}

#[test]
fn the_engine_catches_far_more_than_the_original_on_a_competitive_drop() {
    let engine = simulate("competitive_drop.json", "engine");
    let sequential = simulate("competitive_drop.json", "sequential");
    let caught = |result: &Value| result["bought"].as_u64().expect("bought");
    assert!(
        caught(&engine) >= 3 * caught(&sequential),
        "engine {} vs sequential {}",
        caught(&engine),
        caught(&sequential)
    );
    assert!(caught(&sequential) > 0);
    // The engine stops on sold-out; the original keeps sending into a sold-out gift.
    assert!(engine["sent"].as_u64() < sequential["sent"].as_u64());
    assert!(engine["detection_delay_ms"].as_u64() < sequential["detection_delay_ms"].as_u64());
    let latency = &engine["reaction_latency_us"];
    assert_eq!(latency["samples"], 4, "every account sent a first purchase");
    assert!(latency["p50"].as_u64() <= latency["p99"].as_u64());
}

#[test]
fn every_shipped_drop_runs_and_reports() {
    for drop in [
        "premium_drop.json",
        "mass_drop.json",
        "multi_drop.json",
        "competitive_drop.json",
    ] {
        let result = simulate(drop, "engine");
        for key in [
            "detection_delay_ms",
            "reaction_latency_us",
            "bought",
            "failed",
            "stars_spent",
            "report",
        ] {
            assert!(result.get(key).is_some(), "{drop}: no {key}");
        }
        assert!(
            result["bought"].as_u64() > Some(0),
            "{drop}: nothing bought"
        );
        let report = result["report"].as_str().expect("report");
        assert!(report.starts_with("🧾 Autobuy report"), "{drop}: {report}");
    }
}

#[test]
fn a_simulation_is_deterministic_for_its_seed() {
    let first = virtual_part(simulate("multi_drop.json", "engine"));
    let second = virtual_part(simulate("multi_drop.json", "engine"));
    assert_eq!(first, second);
}

#[test]
fn the_premium_drop_skips_the_account_without_premium() {
    let result = simulate("premium_drop.json", "engine");
    let report = result["report"].as_str().expect("report");
    assert!(report.contains("premium required (acc=1003)"), "{report}");
}

#[test]
fn a_bad_drop_file_names_the_field() {
    let output = giftbuyer(
        &["simulate", "-i", "-"],
        Some(r#"{"duration_ms": 1000, "drops": [{"at_ms": 0, "id": 5, "price": -5}]}"#),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: invalid drop file standard input: drops[0].price"),
        "{stderr}"
    );
}
