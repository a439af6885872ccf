//! Holds the new-gift notices of a drop until the drop's autobuy runs have sent their
//! purchases, so that neither the bot nor the sticker download (which goes through the polling
//! account) competes with the purchases for the accounts' connections or the machine. A run
//! that takes unusually long (flood waits, a hung request) releases the notices after a bound,
//! so they are late rather than lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use giftbuyer_core::ports::Clock;
use tokio::sync::Notify;

/// The longest a notice waits for the runs.
pub(crate) const NOTICE_WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Counts the runs of one drop still sending.
#[derive(Debug, Default)]
pub(crate) struct RunsGate {
    running: AtomicUsize,
    finished: Notify,
}

/// One run's place in the gate, released when dropped: a run that fails or panics still
/// lets the notices go.
#[derive(Debug)]
pub(crate) struct RunTicket(Arc<RunsGate>);

impl Drop for RunTicket {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.finished.notify_waiters();
        }
    }
}

impl RunsGate {
    pub(crate) fn ticket(self: &Arc<Self>) -> RunTicket {
        self.running.fetch_add(1, Ordering::AcqRel);
        RunTicket(Arc::clone(self))
    }

    /// Waits until every run holding a ticket finished, or `limit` passed on `clock`.
    pub(crate) async fn wait(&self, clock: &dyn Clock, limit: Duration) {
        let all_finished = async {
            loop {
                let finished = self.finished.notified();
                tokio::pin!(finished);
                // Registered before the check, so a run ending in between still wakes us.
                finished.as_mut().enable();
                if self.running.load(Ordering::Acquire) == 0 {
                    return;
                }
                finished.await;
            }
        };
        tokio::select! {
            () = all_finished => {}
            () = clock.sleep(limit) => {
                tracing::info!("new-gift notices go out while purchases are still running");
            }
        }
    }
}
