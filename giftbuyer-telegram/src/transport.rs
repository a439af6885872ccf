//! The seam between the adapters and the network: serialized requests in, serialized answers
//! out. The real implementation sends them through a grammers `Client` over one `SenderPool`
//! per session; tests put a scripted fake here (and a fake [`InvokerFactory`] in front of the
//! connector and the login flow), so every request the adapters build and every answer they
//! read is exercised without Telegram.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use grammers_client::Client;
use grammers_mtsender::{ConnectionParams, InvocationError, SenderPool, SenderPoolHandle};
use grammers_tl_types::{Cursor, Deserializable, RemoteCall, Serializable};
use tokio::task::JoinHandle;

use crate::retry::FloodPolicy;
use crate::session::StoredSession;

/// Sends serialized MTProto requests for one account.
#[async_trait]
pub trait RawInvoker: Send + Sync {
    /// Sends one serialized request (constructor id first) to a data centre (`None`: the
    /// account's home DC) and returns the serialized answer.
    async fn invoke_raw(&self, dc: Option<i32>, body: Vec<u8>) -> Result<Vec<u8>, InvocationError>;

    /// Walks the account's dialogs so that their peers, with access hashes, land in the
    /// session's peer cache.
    async fn refresh_dialogs(&self) -> Result<(), InvocationError>;

    /// Whether the connection can still carry requests. A grammers pool whose runner task
    /// ended (it panicked, or it was told to quit) answers every request with an error, so
    /// the connector replaces it instead of handing it out again.
    fn is_alive(&self) -> bool {
        true
    }
}

/// Opens one connection per session: the real one builds a grammers `SenderPool`, tests return
/// scripted fakes.
pub trait InvokerFactory: Send + Sync {
    /// Opens a connection that reads and writes `session` (DC options, auth keys, peers) and
    /// introduces itself with `api_id`. The connection closes when the returned value is
    /// dropped.
    fn connect(
        &self,
        session: Arc<StoredSession>,
        api_id: i32,
    ) -> Result<Arc<dyn RawInvoker>, InvocationError>;
}

/// Sends a typed request through a [`RawInvoker`] and reads the typed answer.
pub async fn invoke<R: RemoteCall>(
    invoker: &dyn RawInvoker,
    dc: Option<i32>,
    request: &R,
) -> Result<R::Return, InvocationError> {
    let answer = invoker.invoke_raw(dc, request.to_bytes()).await?;
    Ok(R::Return::from_bytes(&answer)?)
}

/// A request already serialized, so it can cross the object-safe seam and still go through
/// grammers' `invoke` (home DC routing, retry policy, `caused_by` on errors, which grammers
/// reads from the body's first four bytes).
struct RawRequest(Vec<u8>);

impl Serializable for RawRequest {
    fn serialize(&self, buf: &mut impl Extend<u8>) {
        buf.extend(self.0.iter().copied());
    }
}

impl RemoteCall for RawRequest {
    type Return = RawAnswer;
}

/// An answer left serialized, read by the typed [`invoke`].
struct RawAnswer(Vec<u8>);

impl Deserializable for RawAnswer {
    fn deserialize(buf: &mut Cursor<'_>) -> grammers_tl_types::deserialize::Result<Self> {
        let mut bytes = Vec::new();
        buf.read_to_end(&mut bytes)?;
        Ok(Self(bytes))
    }
}

/// The most dialogs walked to find channels: a buyer account is in a handful of channels,
/// and the bound keeps a huge account from flooding itself.
const MAX_DIALOGS: usize = 2000;

/// The real network: a connected grammers client.
#[derive(Clone)]
pub struct GrammersInvoker {
    client: Client,
}

impl GrammersInvoker {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl fmt::Debug for GrammersInvoker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrammersInvoker").finish_non_exhaustive()
    }
}

#[async_trait]
impl RawInvoker for GrammersInvoker {
    async fn invoke_raw(&self, dc: Option<i32>, body: Vec<u8>) -> Result<Vec<u8>, InvocationError> {
        let request = RawRequest(body);
        let answer = match dc {
            None => self.client.invoke(&request).await?,
            Some(dc) => self.client.invoke_in_dc(dc, &request).await?,
        };
        Ok(answer.0)
    }

    async fn refresh_dialogs(&self) -> Result<(), InvocationError> {
        // grammers caches every peer of each page in the session (`auto_cache_peers`).
        let mut dialogs = self.client.iter_dialogs().limit(MAX_DIALOGS);
        while dialogs.next().await?.is_some() {}
        Ok(())
    }
}

/// Opens real MTProto connections through grammers, with the crate's [`FloodPolicy`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GrammersFactory {
    policy: FloodPolicy,
}

impl GrammersFactory {
    pub fn new(policy: FloodPolicy) -> Self {
        Self { policy }
    }
}

impl InvokerFactory for GrammersFactory {
    fn connect(
        &self,
        session: Arc<StoredSession>,
        api_id: i32,
    ) -> Result<Arc<dyn RawInvoker>, InvocationError> {
        let params = ConnectionParams {
            retry_policy: Box::new(self.policy),
            ..ConnectionParams::default()
        };
        let SenderPool {
            runner,
            handle,
            mut updates,
        } = SenderPool::with_configuration(session, api_id, params);
        let quit = handle.thin.clone();
        let client = Client::new(handle);
        let runner = tokio::spawn(runner.run());
        // GiftBuyer acts on no update. Draining the channel keeps the runner from blocking on
        // a full channel; the updates themselves are dropped on arrival.
        let drain = tokio::spawn(async move { while updates.recv().await.is_some() {} });
        Ok(Arc::new(PoolConnection {
            invoker: GrammersInvoker::new(client),
            quit,
            runner,
            drain,
        }))
    }
}

/// One grammers sender pool with its runner and update-draining tasks, closed on drop.
struct PoolConnection {
    invoker: GrammersInvoker,
    quit: SenderPoolHandle,
    runner: JoinHandle<()>,
    drain: JoinHandle<()>,
}

impl fmt::Debug for PoolConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolConnection")
            .field("alive", &!self.runner.is_finished())
            .finish_non_exhaustive()
    }
}

impl Drop for PoolConnection {
    fn drop(&mut self) {
        // The runner closes its connections and ends on `quit`; the drain task ends with it,
        // but is aborted too in case the runner is already gone.
        self.quit.quit();
        self.drain.abort();
    }
}

#[async_trait]
impl RawInvoker for PoolConnection {
    async fn invoke_raw(&self, dc: Option<i32>, body: Vec<u8>) -> Result<Vec<u8>, InvocationError> {
        self.invoker.invoke_raw(dc, body).await
    }

    async fn refresh_dialogs(&self) -> Result<(), InvocationError> {
        self.invoker.refresh_dialogs().await
    }

    fn is_alive(&self) -> bool {
        !self.runner.is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_requests_and_answers_pass_bytes_through_unchanged() {
        let body = grammers_tl_types::functions::payments::GetStarGifts { hash: 7 }.to_bytes();
        assert_eq!(RawRequest(body.clone()).to_bytes(), body);
        let answer = RawAnswer::from_bytes(&body).expect("reads everything");
        assert_eq!(answer.0, body);
        assert!(RawAnswer::from_bytes(&[]).expect("empty").0.is_empty());
    }
}
