//! Running the engine in the background and restarting it if its task crashes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Engine;

/// Controls a supervised engine.
#[derive(Debug)]
pub struct EngineHandle {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl EngineHandle {
    /// Stops polling, waits for the runs in flight to finish and journal their outcomes.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the engine supervisor failed");
        }
    }
}

/// Runs the engine until [`EngineHandle::shutdown`]. If the engine's task panics, it is logged
/// and started again after `restart_delay` (journal recovery runs on every start, so purchases
/// interrupted by the crash are marked `unknown` and never resent).
pub fn spawn_supervised(engine: Arc<Engine>, restart_delay: Duration) -> EngineHandle {
    let (shutdown, watcher) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            let mut stop = watcher.clone();
            let engine = engine.clone();
            let run = tokio::spawn(async move {
                engine
                    .run(async move {
                        let _ = stop.wait_for(|stopped| *stopped).await;
                    })
                    .await;
            });
            match run.await {
                Ok(()) => return,
                Err(error) if error.is_panic() => {
                    tracing::error!(%error, "the engine crashed; restarting");
                }
                Err(error) => {
                    tracing::error!(%error, "the engine task was cancelled");
                    return;
                }
            }
            if *watcher.borrow() {
                return;
            }
            tokio::time::sleep(restart_delay).await;
        }
    });
    EngineHandle { shutdown, task }
}
