//! The retry policy of every account connection: it never sleeps inside a purchase or a
//! catalog poll (the engine decides what to do about a flood wait there), and sleeps through
//! short flood waits on background calls only.

use std::num::NonZeroU32;
use std::ops::ControlFlow;
use std::time::Duration;

use grammers_mtsender::{InvocationError, RetryContext, RetryPolicy, RpcError};
use grammers_tl_types::{Identifiable, functions};

/// The requests that are never retried by the connection, by constructor id.
///
/// A purchase must be sent at most once per call (`getPaymentForm` leads straight to
/// `sendStarsForm`), and a flood wait on the catalog poll must reach the engine so that it
/// benches the account and lets another one poll instead of stalling.
pub const NEVER_RETRIED: [u32; 3] = [
    functions::payments::GetPaymentForm::CONSTRUCTOR_ID,
    functions::payments::SendStarsForm::CONSTRUCTOR_ID,
    functions::payments::GetStarGifts::CONSTRUCTOR_ID,
];

/// Flood waits up to `max_sleep` on background calls are slept through, at most `tries`
/// times per request; everything else goes back to the caller.
///
/// I/O errors are never retried here: grammers gives them no request id, so the policy cannot
/// tell a dropped catalog poll from a dropped purchase, and resending a purchase whose outcome
/// is unknown could pay twice. The caller sees a network error of unknown outcome instead.
/// An RPC error without a request id is treated the same way, for the same reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodPolicy {
    pub max_sleep: Duration,
    pub tries: NonZeroU32,
}

impl Default for FloodPolicy {
    fn default() -> Self {
        Self {
            max_sleep: Duration::from_secs(5),
            tries: NonZeroU32::MIN,
        }
    }
}

impl FloodPolicy {
    /// The decision for one failure: `Continue(wait)` to sleep and resend, `Break` to return
    /// the error.
    pub fn decide(
        &self,
        error: &InvocationError,
        fail_count: NonZeroU32,
    ) -> ControlFlow<(), Duration> {
        match error {
            InvocationError::Rpc(RpcError {
                code: 420,
                value: Some(seconds),
                caused_by: Some(request),
                ..
            }) if !NEVER_RETRIED.contains(request)
                && fail_count <= self.tries
                && Duration::from_secs(u64::from(*seconds)) <= self.max_sleep =>
            {
                ControlFlow::Continue(Duration::from_secs(u64::from(*seconds)))
            }
            _ => ControlFlow::Break(()),
        }
    }
}

impl RetryPolicy for FloodPolicy {
    fn should_retry(&self, ctx: &RetryContext) -> ControlFlow<(), Duration> {
        self.decide(&ctx.error, ctx.fail_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flood(seconds: u32, request: Option<u32>) -> InvocationError {
        InvocationError::Rpc(RpcError {
            code: 420,
            name: "FLOOD_WAIT".to_owned(),
            value: Some(seconds),
            caused_by: request,
        })
    }

    const ONCE: NonZeroU32 = NonZeroU32::MIN;

    #[test]
    fn purchases_and_catalog_polls_never_sleep() {
        let policy = FloodPolicy::default();
        for request in NEVER_RETRIED {
            assert_eq!(
                policy.decide(&flood(1, Some(request)), ONCE),
                ControlFlow::Break(())
            );
        }
        assert_eq!(policy.decide(&flood(1, None), ONCE), ControlFlow::Break(()));
    }

    #[test]
    fn background_calls_sleep_through_short_waits_once() {
        let policy = FloodPolicy::default();
        let balance = functions::payments::GetStarsStatus::CONSTRUCTOR_ID;
        assert_eq!(
            policy.decide(&flood(5, Some(balance)), ONCE),
            ControlFlow::Continue(Duration::from_secs(5))
        );
        assert_eq!(
            policy.decide(&flood(6, Some(balance)), ONCE),
            ControlFlow::Break(())
        );
        let twice = NonZeroU32::new(2).expect("non-zero");
        assert_eq!(
            policy.decide(&flood(1, Some(balance)), twice),
            ControlFlow::Break(())
        );
    }

    #[test]
    fn io_and_other_errors_are_returned() {
        let policy = FloodPolicy::default();
        let io = InvocationError::Io(std::io::Error::other("reset"));
        assert_eq!(policy.decide(&io, ONCE), ControlFlow::Break(()));
        let other = InvocationError::Rpc(RpcError {
            code: 400,
            name: "BALANCE_TOO_LOW".to_owned(),
            value: None,
            caused_by: Some(functions::payments::GetStarsStatus::CONSTRUCTOR_ID),
        });
        assert_eq!(policy.decide(&other, ONCE), ControlFlow::Break(()));
    }
}
