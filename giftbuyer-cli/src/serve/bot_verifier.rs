//! `BotApiVerifier`: the HTTP crate's `BotVerifier` port over the Bot API's `getMe`, with the
//! answers kept a few minutes per token, since the panel reads its settings often.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use giftbuyer_core::ports::{BotError, Secret};
use giftbuyer_http::{BotIdentity, BotVerifier, VerifyError};
use giftbuyer_telegram::bot_api::{BotApi, BotApiConfig};

/// How long a verified token's identity is reused.
const CACHE_TTL: Duration = Duration::from_secs(5 * 60);
/// The most tokens remembered (one per user who set a bot); the oldest goes first.
const CACHE_MAX: usize = 256;

/// A verified token and who it belongs to.
struct Known {
    token: Secret<String>,
    identity: BotIdentity,
    at: Instant,
}

/// Checks bot tokens with Telegram.
pub(crate) struct BotApiVerifier {
    config: BotApiConfig,
    known: Mutex<Vec<Known>>,
}

impl BotApiVerifier {
    pub(crate) fn new(config: BotApiConfig) -> Self {
        Self {
            config,
            known: Mutex::new(Vec::new()),
        }
    }

    fn cached(&self, token: &Secret<String>) -> Option<BotIdentity> {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known.retain(|entry| entry.at.elapsed() < CACHE_TTL);
        known
            .iter()
            .find(|entry| entry.token == *token)
            .map(|entry| entry.identity.clone())
    }

    fn remember(&self, token: &Secret<String>, identity: &BotIdentity) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known.retain(|entry| entry.token != *token);
        if known.len() >= CACHE_MAX {
            known.remove(0);
        }
        known.push(Known {
            token: token.clone(),
            identity: identity.clone(),
            at: Instant::now(),
        });
    }

    async fn check(&self, token: &Secret<String>) -> Result<BotIdentity, VerifyError> {
        if let Some(identity) = self.cached(token) {
            return Ok(identity);
        }
        let bot = BotApi::new(token.clone(), self.config.clone()).map_err(verify_error)?;
        let me = bot.get_me().await.map_err(verify_error)?;
        if !me.is_bot {
            return Err(VerifyError::Rejected);
        }
        let username = me.username.filter(|name| !name.is_empty()).ok_or_else(|| {
            VerifyError::Unavailable("telegram's getMe answered without a username".to_owned())
        })?;
        let identity = BotIdentity { username };
        self.remember(token, &identity);
        Ok(identity)
    }
}

/// The Bot API client's errors as the port's. The client strips URLs (which hold the token)
/// from its errors, so their text is safe to pass on.
fn verify_error(error: BotError) -> VerifyError {
    match error {
        BotError::Unauthorized => VerifyError::Rejected,
        BotError::Api {
            code: 401 | 404, ..
        } => VerifyError::Rejected,
        other => VerifyError::Unavailable(other.to_string()),
    }
}

#[async_trait]
impl BotVerifier for BotApiVerifier {
    async fn verify(&self, token: &Secret<String>) -> Result<BotIdentity, VerifyError> {
        self.check(token).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    const TOKEN: &str = "123456:ABC-def_ghi";

    /// A one-route Bot API on loopback: answers every request with `status` and `body`, and
    /// counts the requests.
    async fn bot_api(status: u16, body: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut request = vec![0u8; 4096];
                let _ = stream.read(&mut request).await;
                let response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            }
        });
        (format!("http://{addr}"), hits)
    }

    fn verifier(base_url: String) -> BotApiVerifier {
        BotApiVerifier::new(BotApiConfig {
            base_url,
            timeout: Duration::from_secs(5),
        })
    }

    fn token(raw: &str) -> Secret<String> {
        Secret::new(raw.to_owned())
    }

    #[tokio::test]
    async fn a_good_token_gives_the_username_once_per_ttl() {
        let (url, hits) = bot_api(
            200,
            r#"{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"B","username":"gift_bot"}}"#,
        )
        .await;
        let verifier = verifier(url);
        for _ in 0..2 {
            assert_eq!(
                verifier.verify(&token(TOKEN)).await,
                Ok(BotIdentity {
                    username: "gift_bot".to_owned()
                })
            );
        }
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "the second answer is cached"
        );
    }

    #[tokio::test]
    async fn refused_and_malformed_tokens_are_rejected() {
        let (url, hits) = bot_api(
            401,
            r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
        )
        .await;
        let verifier = verifier(url);
        assert_eq!(
            verifier.verify(&token(TOKEN)).await,
            Err(VerifyError::Rejected)
        );
        assert_eq!(
            verifier.verify(&token("not/a?token")).await,
            Err(VerifyError::Rejected)
        );
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "a malformed token is never sent"
        );
    }

    #[tokio::test]
    async fn rate_limits_and_unreachable_servers_are_unavailable_without_the_token() {
        let (url, _) = bot_api(
            429,
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":9}}"#,
        )
        .await;
        assert_eq!(
            verifier(url).verify(&token(TOKEN)).await,
            Err(VerifyError::Unavailable(
                "too many requests, retry in 9 s".to_owned()
            ))
        );
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", closed.local_addr().expect("addr"));
        drop(closed);
        let error = verifier(url)
            .verify(&token(TOKEN))
            .await
            .expect_err("nobody listens");
        assert!(matches!(&error, VerifyError::Unavailable(_)), "{error:?}");
        assert!(!error.to_string().contains(TOKEN), "{error}");
    }
}
