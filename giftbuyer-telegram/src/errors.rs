//! grammers' invocation errors mapped onto the core's `TelegramError`, and this crate's own
//! errors for conditions the core has no variant for.

use giftbuyer_core::ports::TelegramError;
use grammers_mtsender::{InvocationError, RpcError};

/// Telegram's full RPC error name.
///
/// grammers takes the first number out of an error name and keeps it apart (`FLOOD_WAIT_17`
/// arrives as name `FLOOD_WAIT` with value 17). The core maps names as Telegram writes them, so
/// the number goes back where Telegram puts it: inside the name for the `INTERDC_<n>_...`
/// family, at the end for every other one (`FLOOD_WAIT_<n>`, `FILE_MIGRATE_<n>`, ...).
pub fn rpc_error_name(error: &RpcError) -> String {
    match error.value {
        None => error.name.clone(),
        Some(value) => match error.name.strip_prefix("INTERDC_") {
            Some(rest) => format!("INTERDC_{value}_{rest}"),
            None => format!("{}_{value}", error.name),
        },
    }
}

/// Maps an error from one grammers call onto what the engine acts on.
///
/// RPC errors go through [`TelegramError::from_rpc`] by their full name. Any other `401`
/// (`AUTH_KEY_INVALID`, `SESSION_PASSWORD_NEEDED`, ...) also means the account cannot be used
/// until it logs in again, so it becomes [`TelegramError::AuthKeyUnregistered`] as well.
///
/// Every failure that is not an answer from Telegram becomes [`TelegramError::Network`]: a
/// dropped connection, an I/O or transport error, an answer that cannot be read, or a session
/// storage failure. Their outcome is unknown (the request may have been executed), and the
/// engine never resends an operation whose outcome is unknown, which is the safe reading for a
/// purchase.
pub fn map_invocation_error(error: &InvocationError) -> TelegramError {
    match error {
        InvocationError::Rpc(rpc) => {
            let mapped = TelegramError::from_rpc(rpc.code, &rpc_error_name(rpc));
            match mapped {
                TelegramError::Rpc { code: 401, .. } => TelegramError::AuthKeyUnregistered,
                other => other,
            }
        }
        InvocationError::Io(io) => TelegramError::Network(format!("i/o error: {io}")),
        InvocationError::Transport(transport) => {
            TelegramError::Network(format!("transport error: {transport}"))
        }
        InvocationError::Deserialize(deserialize) => {
            TelegramError::Network(format!("unreadable answer: {deserialize}"))
        }
        InvocationError::Dropped(reason) => {
            TelegramError::Network(format!("request dropped: {reason}"))
        }
        InvocationError::Session(session) => {
            TelegramError::Network(format!("session storage failed: {session}"))
        }
        InvocationError::InvalidDc => {
            TelegramError::Network("the session knows no such data centre".to_owned())
        }
        InvocationError::Authentication(auth) => {
            TelegramError::Network(format!("auth key generation failed: {auth}"))
        }
    }
}

/// Telegram answered with something the adapter cannot use: a constructor it did not ask for,
/// or a value outside what the schema allows. The core has no variant for it, so it travels as
/// an RPC error with code 0 and a lowercase name, which the engine classes as `Other` (no rule,
/// no retry).
pub fn unexpected(what: &str) -> TelegramError {
    TelegramError::Rpc {
        code: 0,
        name: format!("unexpected_response: {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(code: i32, message: &str) -> InvocationError {
        InvocationError::Rpc(RpcError::from(grammers_tl_types::types::RpcError {
            error_code: code,
            error_message: message.to_owned(),
        }))
    }

    #[test]
    fn names_with_numbers_are_put_back_together() {
        for message in [
            "FLOOD_WAIT_17",
            "INTERDC_2_CALL_ERROR",
            "FILE_MIGRATE_4",
            "BALANCE_TOO_LOW",
        ] {
            let InvocationError::Rpc(error) = rpc(400, message) else {
                unreachable!("built as an rpc error")
            };
            assert_eq!(rpc_error_name(&error), message);
        }
    }

    #[test]
    fn any_401_stops_the_account() {
        assert_eq!(
            map_invocation_error(&rpc(401, "AUTH_KEY_INVALID")),
            TelegramError::AuthKeyUnregistered
        );
        assert_eq!(
            map_invocation_error(&rpc(400, "SOMETHING_NEW")),
            TelegramError::Rpc {
                code: 400,
                name: "SOMETHING_NEW".into()
            }
        );
    }
}
