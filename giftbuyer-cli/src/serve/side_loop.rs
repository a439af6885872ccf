//! The loops of the engine's side workers (the resale sniper, the auction bidder) beside the
//! engine: each ticks only while this instance leads the engine, so one instance of several on
//! a database buys and bids, and recovers its journal each time it starts leading (an entry
//! left sending by a crash is unknown and never resent).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use giftbuyer_core::ports::StoreError;
use giftbuyer_engine::{AuctionBidder, Engine, ResaleSniper};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A side worker as its loop drives it.
pub(crate) trait SideWorker: Send + Sync + 'static {
    /// Names the worker in the log.
    const NAME: &'static str;

    /// Recovers the worker's journal: `(unknown, failed)` entries after a crash.
    fn recover(&self) -> impl Future<Output = Result<(u64, u64), StoreError>> + Send;

    /// One round of work; logs what it sent.
    fn tick(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl SideWorker for ResaleSniper {
    const NAME: &'static str = "the resale sniper";

    async fn recover(&self) -> Result<(u64, u64), StoreError> {
        ResaleSniper::recover(self).await
    }

    async fn tick(&self) -> Result<(), StoreError> {
        let tick = ResaleSniper::tick(self).await?;
        if tick.sent > 0 {
            tracing::info!(
                sent = tick.sent,
                bought = tick.bought,
                failed = tick.failed,
                unknown = tick.unknown,
                "resale purchases sent"
            );
        }
        Ok(())
    }
}

impl SideWorker for AuctionBidder {
    const NAME: &'static str = "the auction bidder";

    async fn recover(&self) -> Result<(u64, u64), StoreError> {
        AuctionBidder::recover(self).await
    }

    async fn tick(&self) -> Result<(), StoreError> {
        let tick = AuctionBidder::tick(self).await?;
        if tick.sent > 0 {
            tracing::info!(
                sent = tick.sent,
                placed = tick.placed,
                failed = tick.failed,
                unknown = tick.unknown,
                "auction bids sent"
            );
        }
        Ok(())
    }
}

/// The running loop; [`SideHandle::shutdown`] lets a tick in flight finish (its purchases or
/// bids journaled with their outcomes) and then stops.
pub(crate) struct SideHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    name: &'static str,
}

impl SideHandle {
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, worker = self.name, "a side worker ended abnormally");
        }
    }
}

/// How often every watched gift type is polled; each poll comes from the next account in turn.
pub(crate) const RESALE_EVERY: Duration = Duration::from_secs(2);

/// How often every planned auction is read. Rounds last minutes, but an extendable round's last
/// seconds decide it, and each read also renews the auction's update subscription.
pub(crate) const AUCTIONS_EVERY: Duration = Duration::from_secs(1);

/// Runs `worker` every `every` while `engine` may act.
pub(crate) fn spawn<W: SideWorker>(worker: W, engine: Arc<Engine>, every: Duration) -> SideHandle {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut leading = false;
        while !*stopped.borrow() {
            let now_leading = engine.may_act();
            if now_leading && !leading {
                match worker.recover().await {
                    Ok((unknown, failed)) if unknown + failed > 0 => {
                        tracing::warn!(
                            unknown,
                            failed,
                            worker = W::NAME,
                            "recovered interrupted work"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => {
                        // Without recovery an entry left sending could look sendable to nobody
                        // but this check; try again next time instead of sending.
                        tracing::error!(%error, worker = W::NAME, "cannot recover the journal");
                        wait(&mut stopped, every).await;
                        continue;
                    }
                }
            }
            leading = now_leading;
            if leading && let Err(error) = worker.tick().await {
                tracing::warn!(%error, worker = W::NAME, "a tick failed");
            }
            wait(&mut stopped, every).await;
        }
    });
    SideHandle {
        stop,
        task,
        name: W::NAME,
    }
}

/// Sleeps `every`, or less when asked to stop.
async fn wait(stopped: &mut watch::Receiver<bool>, every: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(every) => {}
        _ = stopped.changed() => {}
    }
}
