//! `giftbuyer soak` (hidden; `scripts/soak`): a short soak passes its checks and prints its
//! figures on one line.

use std::process::Command;

#[test]
fn a_short_soak_passes_and_prints_one_line_of_figures() {
    let output = Command::new(env!("CARGO_BIN_EXE_giftbuyer"))
        .args(["soak", "--drops", "40", "--seed", "7"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let line = lines[0];
    assert!(
        line.starts_with("soak: 40 drops, 3 users x 3 accounts, "),
        "{line}"
    );
    assert!(line.contains(", duplicates 0, "), "{line}");
    assert!(line.contains("engine crashes 1)"), "{line}");
    // Faults were met, and some purchases ended unknown, so the checks had work to do.
    assert!(!line.contains("faults injected 0 "), "{line}");
    assert!(!line.contains("unknown 0 "), "{line}");
}

#[test]
fn a_store_failure_rate_outside_zero_to_one_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_giftbuyer"))
        .args(["soak", "--drops", "8", "--store-failures", "1.5"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: --store-failures must be between 0 and 1, not 1.5\n"
    );
}
