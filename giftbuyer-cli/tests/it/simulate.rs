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

/// `examples/drops/mtproto_smoke.json` over MTProto: the real adapters, grammers and a loopback
/// Telegram on TCP, in real time (three seconds of wall time).
#[test]
fn a_drop_over_mtproto_is_bought_through_the_wire() {
    let path = example_path("drops", "mtproto_smoke.json");
    let args = [
        "simulate",
        "-i",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--over-mtproto",
    ];
    let result: Value =
        serde_json::from_str(&stdout_of(&giftbuyer(&args, None))).expect("valid JSON");
    assert_eq!(result["transport"], "mtproto");
    assert_eq!(result["time"], "real");
    let bought = result["bought"].as_u64().expect("bought");
    assert!(bought > 0, "nothing bought over MTProto: {result}");
    // No fault was injected, so every purchase has its answer, and the market carried out
    // exactly the purchases the journal records as bought: none lost, none sent twice.
    assert_eq!(result["unknown"], 0, "{result}");
    assert_eq!(
        result["market_purchases"].as_u64(),
        Some(bought),
        "{result}"
    );
    let gift = &result["gifts"][0];
    assert_eq!(gift["title"], "Smoke Bunny");
    assert_eq!(gift["caught"].as_u64(), Some(bought));
    assert!(gift["detection_delay_ms"].as_u64().is_some(), "{result}");
    // The catalog polls and the purchases crossed the wire: the server counted them.
    let wire = &result["wire"];
    let polls = wire["get_star_gifts"].as_u64().expect("polls");
    assert!(polls >= 2, "the engine polled {polls} times over the wire");
    let sent = wire["send_stars_form"]
        .as_u64()
        .expect("sendStarsForm calls");
    assert!(sent >= bought, "{sent} sendStarsForm for {bought} copies");
    assert!(wire["get_payment_form"].as_u64() >= Some(sent));
    let latency = &result["reaction_latency_us"];
    assert_eq!(latency["samples"], 2, "both accounts sent a first purchase");
    // The resale sniper polled and bought through the same wire: the listing under the watch's
    // maximum, never the one above it.
    let resale = &result["resale"];
    assert_eq!(resale["wanted"], 1, "{resale}");
    assert_eq!(resale["caught"], 1, "{resale}");
    assert_eq!(resale["stars_spent"], 400, "{resale}");
    assert_eq!(resale["unknown"], 0, "{resale}");
    assert!(wire["get_resale_star_gifts"].as_u64() >= Some(1), "{wire}");
}

#[test]
fn the_text_output_says_the_run_went_over_mtproto_in_real_time() {
    let quiet = r#"{"duration_ms": 600,
        "accounts": [{"id": 4201, "balance": 100, "channels": {}}],
        "catalog": [{"id": 5170145012310081615, "price": 15, "supply": null}]}"#;
    let output = stdout_of(&giftbuyer(
        &["simulate", "-i", "-", "--over-mtproto"],
        Some(quiet),
    ));
    assert!(
        output.contains("ran over MTProto") && output.contains("in real time"),
        "{output}"
    );
    assert!(output.contains("purchases: 0 sent, 0 bought"), "{output}");
    let polls: u64 = output
        .split_once("wire calls: ")
        .and_then(|(_, rest)| rest.split_once(' '))
        .and_then(|(count, _)| count.parse().ok())
        .expect("a count of getStarGifts calls");
    assert!(polls >= 1, "{output}");
}

#[test]
fn the_resale_sniper_fills_its_watches_without_paying_above_a_maximum() {
    let result = simulate("resale_drop.json", "engine");
    let resale = &result["resale"];
    // Three watches want 5 + 2 + 3 items; the market lists 31 that some watch would take.
    assert_eq!(resale["listings"], 60, "{resale}");
    assert_eq!(resale["wanted"], 31, "{resale}");
    assert_eq!(resale["caught"], 10, "every watch is filled: {resale}");
    assert_eq!(resale["unknown"], 0);
    let spent = resale["stars_spent"].as_u64().expect("stars");
    assert!(
        spent > 0 && spent <= 5 * 1500 + 2 * 3000 + 3 * 2200,
        "{spent}"
    );
    let p50 = resale["catch_after_ms_p50"].as_u64().expect("caught");
    // Polls every 2 s plus a 70 ms round trip each way: well under two poll intervals.
    assert!(p50 < 4_000, "{p50}");
    // The same file runs the same way: virtual time and one seed.
    assert_eq!(
        virtual_part(simulate("resale_drop.json", "engine"))["resale"],
        virtual_part(result)["resale"]
    );
}

/// `examples/drops/auction_drop.json`: the bidder against a dozen simulated competitors over
/// three rounds wins within its plan's maximum, and the market accepted exactly the bids the
/// journal records as placed (none sent twice, none lost).
#[test]
fn the_auction_bidder_wins_within_its_maximum_and_never_bids_twice() {
    let result = simulate("auction_drop.json", "engine");
    let auctions = &result["auctions"];
    assert_eq!(auctions["plans"], 1, "{auctions}");
    let placed = auctions["bids_placed"].as_u64().expect("placed");
    assert!(placed >= 2, "a first bid and raises: {auctions}");
    assert_eq!(auctions["market_bids"].as_u64(), Some(placed), "{auctions}");
    assert_eq!(auctions["bids_unknown"], 0, "{auctions}");
    let highest = auctions["highest_bid"].as_u64().expect("highest");
    assert!(highest <= 4_000, "above the plan's maximum: {auctions}");
    let won = auctions["won"].as_u64().expect("won");
    assert!((1..=2).contains(&won), "{auctions}");
    assert!(
        auctions["stars_spent"].as_u64() <= Some(4_000 * won),
        "{auctions}"
    );
    // The same file twice gives the same run: the market and the bidder are deterministic.
    assert_eq!(
        virtual_part(simulate("auction_drop.json", "engine"))["auctions"],
        virtual_part(result)["auctions"]
    );
}
