//! Faults on demand: rules that make the next calls of a method (for one user, or anyone)
//! lose their connection before or after they are executed, wait, answer an error, or never
//! answer. Tests and the demo use them to check that the client never resends a purchase
//! whose fate it cannot know.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::rpc::RpcFailure;

/// What a matching call suffers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// The connection closes on receipt; the call is never executed.
    DropBefore,
    /// The call is executed, then the connection closes before the answer is sent.
    DropAfter,
    /// The answer waits this long before the call is executed.
    Delay(Duration),
    /// The call answers this error without being executed.
    Error(RpcFailure),
    /// The call is executed and never answered (the connection stays open).
    ExecuteSilently,
}

/// One rule: `times` calls of `method` (a constructor id) by `user` (or anyone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub method: u32,
    pub user: Option<i64>,
    pub times: u32,
    pub action: FaultAction,
}

/// The rules in force, shared by every connection of a server.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn add(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Takes the first rule that matches a call, counting it down.
    pub fn take(&self, method: u32, user: Option<i64>) -> Option<FaultAction> {
        let mut rules = self.lock();
        let index = rules.iter().position(|rule| {
            rule.method == method && rule.times > 0 && (rule.user.is_none() || rule.user == user)
        })?;
        let rule = &mut rules[index];
        rule.times -= 1;
        let action = rule.action.clone();
        if rule.times == 0 {
            rules.remove(index);
        }
        Some(action)
    }
}
