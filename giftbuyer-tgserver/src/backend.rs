//! What answers the RPC calls once the protocol layer has decrypted, checked and unwrapped them:
//! the [`Backend`] trait (the simulated market implements it in `market`) and the context a
//! call carries.

use grammers_tl_types as tl;
use grammers_tl_types::Identifiable;

use crate::keys::KeyRing;
use crate::rpc::{ClientInfo, Query, Reply};

/// Where a call came from.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The DC whose port the call arrived on.
    pub dc: i32,
    /// The auth key it was encrypted with.
    pub key_id: u64,
    /// The user logged in on that key, if any.
    pub user: Option<i64>,
    /// What `initConnection` said on this connection.
    pub client: ClientInfo,
    /// The server's keys, so a login can bind the key it succeeded on.
    pub keys: KeyRing,
}

/// Answers RPC calls.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Answers one call. `help.getConfig` is answered by the protocol layer and never
    /// reaches here; nor does a call that needs a logged-in user on a key without one.
    async fn call(&self, context: CallContext, query: Query) -> Reply;
}

/// Methods that a key without a logged-in user may call, as on Telegram: the login itself
/// and the configuration. Everything else answers `401 AUTH_KEY_UNREGISTERED` there.
pub fn allowed_without_login(method: u32) -> bool {
    use tl::functions::{account, auth, help};
    [
        help::GetConfig::CONSTRUCTOR_ID,
        help::GetNearestDc::CONSTRUCTOR_ID,
        auth::SendCode::CONSTRUCTOR_ID,
        auth::ResendCode::CONSTRUCTOR_ID,
        auth::CancelCode::CONSTRUCTOR_ID,
        auth::SignIn::CONSTRUCTOR_ID,
        auth::SignUp::CONSTRUCTOR_ID,
        auth::CheckPassword::CONSTRUCTOR_ID,
        auth::ImportAuthorization::CONSTRUCTOR_ID,
        account::GetPassword::CONSTRUCTOR_ID,
    ]
    .contains(&method)
}

/// A backend that knows no method: every call answers `INPUT_METHOD_INVALID_<id>`, as
/// Telegram answers a constructor it does not know.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMethods;

#[async_trait::async_trait]
impl Backend for NoMethods {
    async fn call(&self, _context: CallContext, query: Query) -> Reply {
        unknown_method(query.constructor())
    }
}

/// The answer to a method the server does not implement; the constructor is logged so that
/// the missing method is easy to name.
pub fn unknown_method(method: u32) -> Reply {
    tracing::warn!(method = %crate::rpc::name(method), "method not implemented by the loopback telegram");
    Reply::error(400, format!("INPUT_METHOD_INVALID_{method}"))
}
