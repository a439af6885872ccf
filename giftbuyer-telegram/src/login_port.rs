//! `TelegramLoginPort`: the core's [`TelegramLogin`] port over the crate's [`LoginFlow`], so
//! the panel (and `giftbuyer account login`) log real accounts in.
//!
//! The flow keeps the logins in progress; this adapter only translates: the port's request into
//! a [`LoginRequest`] (the user's API profile is required: real Telegram knows no default), the
//! flow's ids and answers into the port's, and the flow's errors onto the port's
//! [`LoginError`]. A two-step password is an error of the flow's code step and a step of the
//! port's.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use giftbuyer_core::ports::{
    LoggedIn, LoginError, LoginId, LoginProgress, LoginStart, Secret, TelegramLogin, UserId,
};
use tokio::task::JoinHandle;

use crate::login::{self, ApiCredentials, LoginFlow, LoginRequest};

/// Logs accounts in to Telegram through the [`TelegramLogin`] port.
#[derive(Clone)]
pub struct TelegramLoginPort {
    flow: Arc<LoginFlow>,
}

impl fmt::Debug for TelegramLoginPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramLoginPort")
            .field("flow", &self.flow)
            .finish()
    }
}

impl TelegramLoginPort {
    pub fn new(flow: LoginFlow) -> Self {
        Self {
            flow: Arc::new(flow),
        }
    }

    /// The flow underneath (its limits, its pending logins).
    pub fn flow(&self) -> &LoginFlow {
        &self.flow
    }

    /// Forgets expired logins every `every`, so their connections close on time even when
    /// nobody starts another login; ends when the returned task is aborted.
    pub fn spawn_purge(&self, every: Duration) -> JoinHandle<()> {
        let flow = Arc::downgrade(&self.flow);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(flow) = flow.upgrade() else {
                    return;
                };
                flow.purge_expired();
            }
        })
    }

    async fn start_login(&self, request: LoginStart) -> Result<LoginProgress, LoginError> {
        let api = request.api.ok_or(LoginError::ApiProfileRequired)?;
        let request = LoginRequest {
            user: request.user,
            account: None,
            phone: request.phone,
            api: ApiCredentials {
                api_id: api.api_id,
                api_hash: api.api_hash,
            },
        };
        let sent = self.flow.start(request).await.map_err(map_login_error)?;
        Ok(LoginProgress::CodeSent {
            login: LoginId::new(sent.login_id.as_str()),
            masked_phone: sent.masked_phone,
            expires_in: self.flow.config().ttl,
            demo_code: None,
        })
    }
}

/// The flow's id for the port's.
fn flow_id(login: &LoginId) -> login::LoginId {
    login::LoginId::new(login.as_str())
}

/// A finished step of the flow as the port's progress: logged in, or (from the code step) a
/// password to send next.
fn progress(
    login: &LoginId,
    result: Result<login::LoggedIn, login::LoginError>,
) -> Result<LoginProgress, LoginError> {
    match result {
        Ok(done) => Ok(LoginProgress::Done(LoggedIn {
            profile: done.profile,
            session: done.session,
        })),
        Err(login::LoginError::PasswordRequired { hint }) => Ok(LoginProgress::PasswordRequired {
            login: login.clone(),
            hint,
        }),
        Err(error) => Err(map_login_error(error)),
    }
}

/// Maps the flow's errors onto the port's. Those the port has no variant for keep the flow's
/// message (lowercase, without secrets) in [`LoginError::Other`], or in
/// [`LoginError::Network`] when Telegram could not be reached.
pub fn map_login_error(error: login::LoginError) -> LoginError {
    use login::LoginError as Flow;
    match error {
        Flow::InvalidPhone => LoginError::InvalidPhone,
        Flow::InvalidApiCredentials => LoginError::InvalidApiCredentials,
        Flow::InvalidCode => LoginError::InvalidCode,
        Flow::CodeExpired => LoginError::CodeExpired,
        Flow::InvalidPassword => LoginError::InvalidPassword,
        Flow::SignUpRequired => LoginError::SignUpRequired,
        Flow::FloodWait { seconds } => LoginError::FloodWait { seconds },
        Flow::UnknownLogin => LoginError::UnknownLogin,
        Flow::TooManyPending => LoginError::TooManyPending,
        // The password is asked for by a step, never by an error; on any other step than the
        // code it means the login expects the password.
        Flow::PasswordRequired { .. } | Flow::WrongStep { .. } => LoginError::WrongStep,
        Flow::Network(reason) => LoginError::Network(reason),
        error @ Flow::Migrate { .. } => LoginError::Network(error.to_string()),
        error @ (Flow::PhoneBanned
        | Flow::PaymentRequired
        | Flow::Busy
        | Flow::Rpc { .. }
        | Flow::Unexpected(_)) => LoginError::Other(error.to_string()),
    }
}

#[async_trait]
impl TelegramLogin for TelegramLoginPort {
    async fn start(&self, request: LoginStart) -> Result<LoginProgress, LoginError> {
        self.start_login(request).await
    }

    async fn submit_code(
        &self,
        user: UserId,
        login: &LoginId,
        code: Secret<String>,
    ) -> Result<LoginProgress, LoginError> {
        let result = self.flow.submit_code(user, &flow_id(login), code).await;
        progress(login, result)
    }

    async fn submit_password(
        &self,
        user: UserId,
        login: &LoginId,
        password: Secret<String>,
    ) -> Result<LoginProgress, LoginError> {
        let result = self
            .flow
            .submit_password(user, &flow_id(login), password)
            .await;
        progress(login, result)
    }

    async fn cancel(&self, user: UserId, login: &LoginId) -> bool {
        self.flow.cancel(user, &flow_id(login))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use login::LoginError as Flow;

    #[test]
    fn every_flow_error_has_a_port_error() {
        let cases = [
            (Flow::InvalidPhone, LoginError::InvalidPhone),
            (
                Flow::InvalidApiCredentials,
                LoginError::InvalidApiCredentials,
            ),
            (Flow::InvalidCode, LoginError::InvalidCode),
            (Flow::CodeExpired, LoginError::CodeExpired),
            (Flow::InvalidPassword, LoginError::InvalidPassword),
            (Flow::SignUpRequired, LoginError::SignUpRequired),
            (
                Flow::FloodWait { seconds: 7 },
                LoginError::FloodWait { seconds: 7 },
            ),
            (Flow::UnknownLogin, LoginError::UnknownLogin),
            (Flow::TooManyPending, LoginError::TooManyPending),
            (Flow::WrongStep { expected: "code" }, LoginError::WrongStep),
            (Flow::PasswordRequired { hint: None }, LoginError::WrongStep),
            (
                Flow::Network("reset".to_owned()),
                LoginError::Network("reset".to_owned()),
            ),
            (
                Flow::Migrate { dc: 4 },
                LoginError::Network(
                    "telegram keeps redirecting the login, last to data centre 4".to_owned(),
                ),
            ),
            (
                Flow::PhoneBanned,
                LoginError::Other("telegram banned this phone number".to_owned()),
            ),
            (
                Flow::Busy,
                LoginError::Other("the previous step of this login is still running".to_owned()),
            ),
            (
                Flow::Rpc {
                    code: 400,
                    name: "SOMETHING_NEW".to_owned(),
                },
                LoginError::Other("telegram error 400 SOMETHING_NEW".to_owned()),
            ),
        ];
        for (flow, port) in cases {
            assert_eq!(map_login_error(flow), port);
        }
        assert!(matches!(
            map_login_error(Flow::PaymentRequired),
            LoginError::Other(message) if message.contains("payment")
        ));
        assert!(matches!(
            map_login_error(Flow::Unexpected("odd")),
            LoginError::Other(message) if message.ends_with("odd")
        ));
    }
}
