//! The seam between the account adapter and the network: serialized requests in, serialized
//! answers out. The real implementation sends them through a grammers `Client`; tests put a
//! scripted fake here, so every request the adapter builds and every answer it reads is
//! exercised without Telegram.

use std::fmt;

use giftbuyer_core::ports::BoxFuture;
use grammers_client::Client;
use grammers_mtsender::InvocationError;
use grammers_tl_types::{Cursor, Deserializable, RemoteCall, Serializable};

/// Sends serialized MTProto requests for one account.
pub trait RawInvoker: Send + Sync {
    /// Sends one serialized request (constructor id first) to a data centre (`None`: the
    /// account's home DC) and returns the serialized answer.
    fn invoke_raw(
        &self,
        dc: Option<i32>,
        body: Vec<u8>,
    ) -> BoxFuture<'_, Result<Vec<u8>, InvocationError>>;

    /// Walks the account's dialogs so that their peers, with access hashes, land in the
    /// session's peer cache.
    fn refresh_dialogs(&self) -> BoxFuture<'_, Result<(), InvocationError>>;
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

impl RawInvoker for GrammersInvoker {
    fn invoke_raw(
        &self,
        dc: Option<i32>,
        body: Vec<u8>,
    ) -> BoxFuture<'_, Result<Vec<u8>, InvocationError>> {
        Box::pin(async move {
            let request = RawRequest(body);
            let answer = match dc {
                None => self.client.invoke(&request).await?,
                Some(dc) => self.client.invoke_in_dc(dc, &request).await?,
            };
            Ok(answer.0)
        })
    }

    fn refresh_dialogs(&self) -> BoxFuture<'_, Result<(), InvocationError>> {
        Box::pin(async move {
            // grammers caches every peer of each page in the session (`auto_cache_peers`).
            let mut dialogs = self.client.iter_dialogs().limit(MAX_DIALOGS);
            while dialogs.next().await?.is_some() {}
            Ok(())
        })
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
