//! Injected faults: errors, hangs and disconnects on chosen calls, to test how the engine copes.

use std::time::Duration;

use giftbuyer_core::AccountId;
use giftbuyer_core::ports::TelegramError;

use crate::config::ConfigError;
use crate::method::Method;
use crate::rng::{SplitMix64, key};

/// Tag that keeps fault coin flips apart from every other keyed draw.
const FAULT_TAG: u64 = 0x4641_554C_5400_0000;

/// A fault: which calls it hits and what happens to them.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub method: Method,
    /// Only this account's calls; `None` for every account.
    pub account: Option<AccountId>,
    pub when: FaultWhen,
    pub action: FaultAction,
}

/// Which calls of the method a fault hits. Call numbers start at 1 and count the calls of the
/// fault's account, or of all accounts when the fault has none. Times are the moment the
/// request reaches the server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultWhen {
    Always,
    /// Calls `first..=last`.
    Calls {
        first: u64,
        last: u64,
    },
    /// Requests that arrive in `from..until`.
    Window {
        from: Duration,
        until: Duration,
    },
    /// Each call with this probability, drawn from the seed (so the same calls in every run).
    Probability(f64),
}

/// What happens to a call a fault hits.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// The server answers this error and does nothing else.
    Error(TelegramError),
    /// No answer for `duration` (for the caller's timeout to fire). With `executed` the server
    /// carried the request out before the answer got stuck, and the answer arrives late;
    /// without it the request was lost and the connection fails after `duration`.
    Hang { duration: Duration, executed: bool },
    /// The connection drops as the request arrives: a [`TelegramError::Network`] error, the
    /// request carried out before the drop if `executed`.
    Disconnect { executed: bool },
}

impl Fault {
    pub const fn new(method: Method, when: FaultWhen, action: FaultAction) -> Self {
        Self {
            method,
            account: None,
            when,
            action,
        }
    }

    /// Restricts the fault to one account's calls.
    #[must_use]
    pub const fn for_account(mut self, account: AccountId) -> Self {
        self.account = Some(account);
        self
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.when {
            FaultWhen::Calls { first, last } if first == 0 || first > last => {
                Err(ConfigError::FaultCalls { first, last })
            }
            FaultWhen::Window { from, until } if from > until => {
                Err(ConfigError::FaultWindow { from, until })
            }
            FaultWhen::Probability(p) if !(0.0..=1.0).contains(&p) => {
                Err(ConfigError::FaultProbability(p))
            }
            _ => Ok(()),
        }
    }
}

/// Identifies an injected fault so that it can be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FaultId(u64);

/// One call as the faults see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallKey {
    pub(crate) method: Method,
    pub(crate) account: AccountId,
    /// The account's number for this call of the method.
    pub(crate) account_call: u64,
    /// The number of this call among every account's calls of the method.
    pub(crate) market_call: u64,
    pub(crate) arrival: Duration,
}

/// The active faults, in the order they were added.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    next_id: u64,
    active: Vec<(FaultId, Fault)>,
}

impl Faults {
    pub(crate) fn add(&mut self, fault: Fault) -> Result<FaultId, ConfigError> {
        fault.validate()?;
        self.next_id += 1;
        let id = FaultId(self.next_id);
        self.active.push((id, fault));
        Ok(id)
    }

    pub(crate) fn remove(&mut self, id: FaultId) -> bool {
        let before = self.active.len();
        self.active.retain(|(active, _)| *active != id);
        self.active.len() != before
    }

    pub(crate) fn clear(&mut self) {
        self.active.clear();
    }

    /// The action of the first fault that hits the call.
    pub(crate) fn hit(&self, seed: u64, call: CallKey) -> Option<FaultAction> {
        self.active
            .iter()
            .find(|(id, fault)| {
                fault.method == call.method
                    && fault.account.is_none_or(|account| account == call.account)
                    && Self::when_hits(seed, *id, fault, call)
            })
            .map(|(_, fault)| fault.action.clone())
    }

    fn when_hits(seed: u64, id: FaultId, fault: &Fault, call: CallKey) -> bool {
        let number = if fault.account.is_some() {
            call.account_call
        } else {
            call.market_call
        };
        match fault.when {
            FaultWhen::Always => true,
            FaultWhen::Calls { first, last } => (first..=last).contains(&number),
            FaultWhen::Window { from, until } => (from..until).contains(&call.arrival),
            FaultWhen::Probability(p) => {
                let mut rng = SplitMix64::keyed(
                    seed,
                    &[
                        FAULT_TAG,
                        id.0,
                        call.method.key(),
                        key(call.account.get()),
                        call.account_call,
                    ],
                );
                rng.next_f64() < p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(account: i64, account_call: u64, market_call: u64, arrival_ms: u64) -> CallKey {
        CallKey {
            method: Method::Buy,
            account: AccountId::new(account).expect("valid"),
            account_call,
            market_call,
            arrival: Duration::from_millis(arrival_ms),
        }
    }

    #[test]
    fn faults_hit_by_call_number_window_and_account() {
        let mut faults = Faults::default();
        let error = FaultAction::Error(TelegramError::FormExpired);
        faults
            .add(
                Fault::new(
                    Method::Buy,
                    FaultWhen::Calls { first: 2, last: 3 },
                    error.clone(),
                )
                .for_account(AccountId::new(1).expect("valid")),
            )
            .expect("valid");
        assert_eq!(faults.hit(0, call(1, 1, 5, 0)), None);
        assert_eq!(faults.hit(0, call(1, 2, 1, 0)), Some(error.clone()));
        assert_eq!(faults.hit(0, call(1, 4, 2, 0)), None);
        assert_eq!(faults.hit(0, call(2, 2, 2, 0)), None);

        let disconnect = FaultAction::Disconnect { executed: false };
        let window = faults
            .add(Fault::new(
                Method::Buy,
                FaultWhen::Window {
                    from: Duration::from_secs(1),
                    until: Duration::from_secs(2),
                },
                disconnect.clone(),
            ))
            .expect("valid");
        assert_eq!(faults.hit(0, call(2, 1, 1, 999)), None);
        assert_eq!(faults.hit(0, call(2, 1, 1, 1000)), Some(disconnect.clone()));
        assert_eq!(faults.hit(0, call(2, 1, 1, 2000)), None);
        assert!(faults.remove(window));
        assert!(!faults.remove(window));
        assert_eq!(faults.hit(0, call(2, 1, 1, 1000)), None);
    }

    #[test]
    fn probability_hits_about_that_share_the_same_way_each_time() {
        let mut faults = Faults::default();
        faults
            .add(Fault::new(
                Method::Buy,
                FaultWhen::Probability(0.25),
                FaultAction::Error(TelegramError::FormExpired),
            ))
            .expect("valid");
        let hits = |seed| {
            (1..=1000)
                .filter(|&n| faults.hit(seed, call(1, n, n, 0)).is_some())
                .collect::<Vec<_>>()
        };
        assert!((200..300).contains(&hits(1).len()), "{}", hits(1).len());
        assert_eq!(hits(1), hits(1));
        assert_ne!(hits(1), hits(2));
    }

    #[test]
    fn bad_triggers_are_refused() {
        let action = FaultAction::Disconnect { executed: true };
        let mut faults = Faults::default();
        for (when, error) in [
            (
                FaultWhen::Calls { first: 0, last: 1 },
                ConfigError::FaultCalls { first: 0, last: 1 },
            ),
            (
                FaultWhen::Calls { first: 3, last: 2 },
                ConfigError::FaultCalls { first: 3, last: 2 },
            ),
            (
                FaultWhen::Probability(1.5),
                ConfigError::FaultProbability(1.5),
            ),
            (
                FaultWhen::Window {
                    from: Duration::from_secs(2),
                    until: Duration::from_secs(1),
                },
                ConfigError::FaultWindow {
                    from: Duration::from_secs(2),
                    until: Duration::from_secs(1),
                },
            ),
        ] {
            assert_eq!(
                faults.add(Fault::new(Method::Buy, when, action.clone())),
                Err(error)
            );
        }
        assert!(
            faults
                .add(Fault::new(
                    Method::Buy,
                    FaultWhen::Probability(f64::NAN),
                    action
                ))
                .is_err()
        );
    }
}
