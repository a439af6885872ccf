//! Event fan-out between instances: what one instance publishes (a purchase, a new gift, a
//! settings change) reaches the subscribers of every instance, for example to refresh web
//! panels or reload settings.
//!
//! On PostgreSQL it is LISTEN/NOTIFY on one channel, with each subscription on a connection of
//! its own; on SQLite, where there is one instance, it is an in-process broadcast. In both cases
//! a subscriber receives the events published after `subscribe` returned, its own included,
//! and is told when it may have missed some (it fell behind, or the connection dropped).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::db::Db;
use crate::{Error, Store};

/// The PostgreSQL notification channel of GiftBuyer's events.
pub const EVENT_CHANNEL: &str = "giftbuyer_events";
/// PostgreSQL refuses notification payloads of 8000 bytes or more.
pub const MAX_EVENT_LEN: usize = 7999;
/// Events a subscriber may have pending before its forwarding task waits for it.
const STREAM_BUFFER: usize = 256;
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

impl Store {
    /// Sends an event (a JSON text under 8000 bytes) to every subscriber of every instance.
    pub async fn publish(&self, event_json: &str) -> Result<(), Error> {
        if event_json.len() > MAX_EVENT_LEN {
            return Err(Error::EventTooLarge {
                len: event_json.len(),
                max: MAX_EVENT_LEN + 1,
            });
        }
        crate::db::check_text("event", event_json, MAX_EVENT_LEN)?;
        match self.db() {
            Db::Sqlite(_) => {
                // No subscriber is not an error: nobody is listening right now.
                let _ = self.local_events().send(Arc::from(event_json));
            }
            Db::Postgres(pool) => {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(EVENT_CHANNEL)
                    .bind(event_json)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Starts receiving events; every event published after this returns is delivered.
    pub async fn subscribe(&self) -> Result<EventStream, Error> {
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        let task = match self.pg_options() {
            None => tokio::spawn(forward_local(self.local_events().subscribe(), sender)),
            Some(options) => {
                // A pool of one, so the subscription's connection does not take a slot of the
                // store's pool for as long as it lives.
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_lazy_with(options.clone());
                let mut listener = PgListener::connect_with(&pool)
                    .await
                    .map_err(Error::Connect)?;
                listener.listen(EVENT_CHANNEL).await?;
                tokio::spawn(forward_postgres(listener, sender))
            }
        };
        Ok(EventStream { receiver, task })
    }
}

async fn forward_local(
    mut events: broadcast::Receiver<Arc<str>>,
    sender: mpsc::Sender<Result<String, Error>>,
) {
    loop {
        let item = match events.recv().await {
            Ok(event) => Ok(event.to_string()),
            Err(broadcast::error::RecvError::Lagged(missed)) => Err(Error::EventsMissed(format!(
                "{missed} events were dropped because the subscriber fell behind"
            ))),
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if sender.send(item).await.is_err() {
            return;
        }
    }
}

async fn forward_postgres(mut listener: PgListener, sender: mpsc::Sender<Result<String, Error>>) {
    loop {
        let item = match listener.try_recv().await {
            Ok(Some(notification)) => Ok(notification.payload().to_owned()),
            // The connection dropped; the next call reconnects and listens again, but what was
            // sent in between is gone.
            Ok(None) => Err(Error::EventsMissed(
                "the connection to the database was lost".into(),
            )),
            Err(error) => {
                tokio::time::sleep(RECONNECT_PAUSE).await;
                Err(Error::EventsMissed(error.to_string()))
            }
        };
        if sender.send(item).await.is_err() {
            return;
        }
    }
}

/// A subscription to events. Dropping it ends the subscription.
#[derive(Debug)]
pub struct EventStream {
    receiver: mpsc::Receiver<Result<String, Error>>,
    task: JoinHandle<()>,
}

impl EventStream {
    /// The next event, or an [`Error::EventsMissed`] notice; `None` once the store is gone.
    pub async fn next(&mut self) -> Option<Result<String, Error>> {
        self.receiver.recv().await
    }
}

impl futures_core::Stream for EventStream {
    type Item = Result<String, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}
