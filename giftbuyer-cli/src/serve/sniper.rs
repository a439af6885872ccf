//! The resale sniper's loop beside the engine: it ticks only while this instance leads the
//! engine, so one instance of several on a database buys, and recovers its journal each time it
//! starts leading (an entry left sending by a crash is unknown and never resent).

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_engine::{Engine, ResaleSniper};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running loop; [`SniperHandle::shutdown`] lets a tick in flight finish (its purchases
/// journaled with their outcomes) and then stops.
pub(crate) struct SniperHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SniperHandle {
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the resale sniper ended abnormally");
        }
    }
}

/// How often every watched gift type is polled; each poll comes from the next account in turn.
pub(crate) const POLL_EVERY: Duration = Duration::from_secs(2);

/// Runs `sniper` every `every` while `engine` may act.
pub(crate) fn spawn(sniper: ResaleSniper, engine: Arc<Engine>, every: Duration) -> SniperHandle {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut leading = false;
        while !*stopped.borrow() {
            let now_leading = engine.may_act();
            if now_leading && !leading {
                match sniper.recover().await {
                    Ok((unknown, failed)) if unknown + failed > 0 => {
                        tracing::warn!(unknown, failed, "recovered interrupted resale purchases");
                    }
                    Ok(_) => {}
                    Err(error) => {
                        // Without recovery an entry left sending could look sendable to nobody
                        // but this check; try again next time instead of buying.
                        tracing::error!(%error, "cannot recover the resale journal");
                        wait(&mut stopped, every).await;
                        continue;
                    }
                }
            }
            leading = now_leading;
            if leading {
                match sniper.tick().await {
                    Ok(tick) if tick.sent > 0 => tracing::info!(
                        sent = tick.sent,
                        bought = tick.bought,
                        failed = tick.failed,
                        unknown = tick.unknown,
                        "resale purchases sent"
                    ),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "a resale tick failed"),
                }
            }
            wait(&mut stopped, every).await;
        }
    });
    SniperHandle { stop, task }
}

/// Sleeps `every`, or less when asked to stop.
async fn wait(stopped: &mut watch::Receiver<bool>, every: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(every) => {}
        _ = stopped.changed() => {}
    }
}
