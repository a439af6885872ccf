//! Feeds the server's Prometheus metrics from the engine: catalog polls by outcome, how late
//! new gifts were detected at most, and purchases by outcome.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::report::Outcome;
use giftbuyer_engine::{Engine, EngineEvent, PollStats};
use giftbuyer_http::{Metrics, PollOutcome, PurchaseOutcome};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

/// How often the poll counters are copied: polls are too frequent to be engine events.
const POLL_SYNC_EVERY: Duration = Duration::from_secs(5);

/// Runs until the engine's event channel closes or the task is aborted.
pub(super) fn spawn(engine: Arc<Engine>, metrics: Arc<Metrics>) -> JoinHandle<()> {
    let mut events = engine.subscribe();
    tokio::spawn(async move {
        let mut synced = PollStats::default();
        let mut ticker = tokio::time::interval(POLL_SYNC_EVERY);
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    synced = sync_polls(&metrics, synced, engine.poll_stats());
                }
                received = events.recv() => match received {
                    Ok(event) => record(&metrics, &event),
                    // Missed events only make the counters a little low.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
            }
        }
    })
}

/// Adds the polls counted since `before` and returns the new reference point.
fn sync_polls(metrics: &Metrics, before: PollStats, now: PollStats) -> PollStats {
    for (outcome, count) in [
        (
            PollOutcome::Changed,
            now.changed.saturating_sub(before.changed),
        ),
        (
            PollOutcome::NotModified,
            now.not_modified.saturating_sub(before.not_modified),
        ),
        (
            PollOutcome::Failed,
            now.failed.saturating_sub(before.failed),
        ),
    ] {
        metrics.record_monitor_polls(outcome, count);
    }
    now
}

fn record(metrics: &Metrics, event: &EngineEvent) {
    match event {
        EngineEvent::NewGifts {
            detection_window: Some(window),
            ..
        } => metrics.observe_detection_delay(*window),
        EngineEvent::PurchaseDone { outcome, .. } => {
            metrics.record_purchase(purchase_outcome(outcome));
        }
        _ => {}
    }
}

fn purchase_outcome(outcome: &Outcome) -> PurchaseOutcome {
    match outcome {
        Outcome::Bought => PurchaseOutcome::Bought,
        Outcome::Unknown => PurchaseOutcome::Unknown,
        Outcome::Failed(name) => match name.as_str() {
            "STARGIFT_USAGE_LIMITED" => PurchaseOutcome::SoldOut,
            "BALANCE_TOO_LOW" => PurchaseOutcome::NotEnoughStars,
            _ => PurchaseOutcome::Failed,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_outcomes_are_labelled_by_their_error() {
        let failed = |name: &str| purchase_outcome(&Outcome::Failed(name.to_owned()));
        assert_eq!(purchase_outcome(&Outcome::Bought), PurchaseOutcome::Bought);
        assert_eq!(
            purchase_outcome(&Outcome::Unknown),
            PurchaseOutcome::Unknown
        );
        assert_eq!(failed("STARGIFT_USAGE_LIMITED"), PurchaseOutcome::SoldOut);
        assert_eq!(failed("BALANCE_TOO_LOW"), PurchaseOutcome::NotEnoughStars);
        assert_eq!(failed("PEER_ID_INVALID"), PurchaseOutcome::Failed);
    }

    #[test]
    fn poll_counts_are_added_as_deltas() {
        let metrics = Metrics::new();
        let first = PollStats {
            changed: 2,
            not_modified: 10,
            failed: 1,
        };
        let synced = sync_polls(&metrics, PollStats::default(), first);
        let second = PollStats {
            changed: 3,
            not_modified: 15,
            failed: 1,
        };
        sync_polls(&metrics, synced, second);
        let text = metrics.render();
        for line in [
            "giftbuyer_monitor_polls_total{outcome=\"changed\"} 3",
            "giftbuyer_monitor_polls_total{outcome=\"not_modified\"} 15",
            "giftbuyer_monitor_polls_total{outcome=\"failed\"} 1",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
