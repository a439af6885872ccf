//! Telegram's RPC errors as the engine needs to tell them apart, mapped from their names.

use std::borrow::Cow;
use std::fmt;

use crate::Stars;

/// An error from a Telegram account call.
///
/// Adapters map Telegram's RPC error names onto these variants with
/// [`TelegramError::from_rpc`]; [`TelegramError::name`] gives the name back for journals and
/// reports. Names Telegram may add later keep their text in [`TelegramError::Rpc`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelegramError {
    /// `STARGIFT_USAGE_LIMITED`: the gift sold out.
    #[error("the gift is sold out (STARGIFT_USAGE_LIMITED)")]
    GiftSoldOut,
    /// `STARGIFT_USER_USAGE_LIMITED`: this account reached the gift's per-user limit.
    #[error("the account reached the gift's per-user limit (STARGIFT_USER_USAGE_LIMITED)")]
    UserLimitReached,
    /// `BALANCE_TOO_LOW`: not enough stars.
    #[error("not enough stars (BALANCE_TOO_LOW)")]
    BalanceTooLow,
    /// `FLOOD_WAIT_<n>` (and `FLOOD_PREMIUM_WAIT_<n>`): retry after `seconds`.
    #[error("too many requests, retry in {seconds} s (FLOOD_WAIT_{seconds})")]
    FloodWait { seconds: u32 },
    /// `PEER_ID_INVALID`: the channel is unknown to the account.
    #[error("the channel is unknown to this account (PEER_ID_INVALID)")]
    PeerInvalid,
    /// `CHAT_WRITE_FORBIDDEN`: the account may not post in the channel.
    #[error("the account may not post in the channel (CHAT_WRITE_FORBIDDEN)")]
    ChatWriteForbidden,
    /// `CHANNEL_PRIVATE`: the channel is private and the account is not in it.
    #[error("the channel is private and the account is not in it (CHANNEL_PRIVATE)")]
    ChannelPrivate,
    /// The account cannot see the channel at all (not in its dialogs), so no access hash is
    /// known for it. Raised by adapters before anything is sent.
    #[error("the account is not a member of the channel")]
    NotMember,
    /// `PREMIUM_ACCOUNT_REQUIRED`: the gift needs Telegram Premium.
    #[error("the gift requires Telegram Premium (PREMIUM_ACCOUNT_REQUIRED)")]
    PremiumRequired,
    /// `AUTH_KEY_UNREGISTERED` (and the other dead-session errors): the account must log in again.
    #[error("the account's session is no longer valid (AUTH_KEY_UNREGISTERED); log in again")]
    AuthKeyUnregistered,
    /// `FORM_EXPIRED`: the payment form went stale before it was sent.
    #[error("the payment form expired (FORM_EXPIRED)")]
    FormExpired,
    /// `payments.paymentVerificationNeeded`: Telegram wants the payment confirmed in a browser.
    /// Nothing was paid, and an unattended buyer cannot confirm it.
    #[error("telegram asks to confirm this payment in a browser; nothing was paid")]
    PaymentVerificationNeeded,
    /// The account cannot be used right now for a reason on GiftBuyer's side (its session is
    /// leased to another instance, unreadable, or has no API profile). Nothing was sent.
    #[error("the account is unavailable: {0}")]
    AccountUnavailable(String),
    /// The payment form asks for another price than the plan's; nothing was paid.
    #[error("the gift's price changed from {expected} to {actual}; nothing was paid")]
    PriceChanged { expected: Stars, actual: Stars },
    /// No answer in time. The request may or may not have been executed.
    #[error("no answer from Telegram in time")]
    Timeout,
    /// The connection failed. The request may or may not have been executed.
    #[error("network error: {0}")]
    Network(String),
    /// Any other RPC error, with Telegram's code and name.
    #[error("telegram error {code} {name}")]
    Rpc { code: i32, name: String },
}

/// What the engine does about an error, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The gift is gone for everyone: stop all its purchases.
    GiftGone,
    /// This account cannot buy this gift: stop the gift for the account.
    GiftClosedForAccount,
    /// This account cannot buy anything now: stop the account.
    AccountStopped,
    /// The recipient (a channel, or a user) refused the account, or cannot be found: move the
    /// copies to the next target.
    Recipient,
    /// Wait this many seconds, then the same request may be tried again.
    Flood(u32),
    /// Nothing was executed and trying again at once may work.
    RetryNow,
    /// The outcome is unknown: never resend.
    Uncertain,
    /// The request failed for a reason the engine has no rule for.
    Other,
}

impl TelegramError {
    /// Maps an RPC error by its name (`FLOOD_WAIT_17`, `BALANCE_TOO_LOW`, ...) and code.
    pub fn from_rpc(code: i32, name: &str) -> Self {
        if let Some(seconds) = ["FLOOD_WAIT_", "FLOOD_PREMIUM_WAIT_", "SLOWMODE_WAIT_"]
            .iter()
            .find_map(|prefix| name.strip_prefix(prefix))
            .and_then(|seconds| seconds.parse().ok())
        {
            return Self::FloodWait { seconds };
        }
        match name {
            "STARGIFT_USAGE_LIMITED" | "STARGIFT_SOLD_OUT" => Self::GiftSoldOut,
            "STARGIFT_USER_USAGE_LIMITED" => Self::UserLimitReached,
            "BALANCE_TOO_LOW" => Self::BalanceTooLow,
            "PEER_ID_INVALID" | "CHANNEL_INVALID" => Self::PeerInvalid,
            "CHAT_WRITE_FORBIDDEN" | "CHAT_ADMIN_REQUIRED" | "USER_BANNED_IN_CHANNEL" => {
                Self::ChatWriteForbidden
            }
            "CHANNEL_PRIVATE" => Self::ChannelPrivate,
            "PREMIUM_ACCOUNT_REQUIRED" => Self::PremiumRequired,
            "AUTH_KEY_UNREGISTERED"
            | "SESSION_REVOKED"
            | "SESSION_EXPIRED"
            | "USER_DEACTIVATED"
            | "USER_DEACTIVATED_BAN"
            | "AUTH_KEY_DUPLICATED" => Self::AuthKeyUnregistered,
            "FORM_EXPIRED" => Self::FormExpired,
            _ => Self::Rpc {
                code,
                name: name.to_owned(),
            },
        }
    }

    /// The name recorded in the journal and shown in reports: Telegram's RPC error name, or a
    /// lowercase name for conditions GiftBuyer detects itself.
    pub fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::GiftSoldOut => "STARGIFT_USAGE_LIMITED",
            Self::UserLimitReached => "STARGIFT_USER_USAGE_LIMITED",
            Self::BalanceTooLow => "BALANCE_TOO_LOW",
            Self::FloodWait { seconds } => return Cow::Owned(format!("FLOOD_WAIT_{seconds}")),
            Self::PeerInvalid => "PEER_ID_INVALID",
            Self::ChatWriteForbidden => "CHAT_WRITE_FORBIDDEN",
            Self::ChannelPrivate => "CHANNEL_PRIVATE",
            Self::NotMember => "not_a_member",
            Self::PremiumRequired => "PREMIUM_ACCOUNT_REQUIRED",
            Self::AuthKeyUnregistered => "AUTH_KEY_UNREGISTERED",
            Self::FormExpired => "FORM_EXPIRED",
            Self::PaymentVerificationNeeded => "PAYMENT_VERIFICATION_NEEDED",
            Self::AccountUnavailable(_) => "account_unavailable",
            Self::PriceChanged { .. } => "price_changed",
            Self::Timeout => "timeout",
            Self::Network(_) => "network_error",
            Self::Rpc { name, .. } => return Cow::Owned(name.clone()),
        })
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            Self::GiftSoldOut | Self::PriceChanged { .. } => ErrorClass::GiftGone,
            Self::UserLimitReached | Self::PremiumRequired | Self::PaymentVerificationNeeded => {
                ErrorClass::GiftClosedForAccount
            }
            Self::BalanceTooLow | Self::AuthKeyUnregistered | Self::AccountUnavailable(_) => {
                ErrorClass::AccountStopped
            }
            Self::PeerInvalid
            | Self::ChatWriteForbidden
            | Self::ChannelPrivate
            | Self::NotMember => ErrorClass::Recipient,
            Self::FloodWait { seconds } => ErrorClass::Flood(*seconds),
            Self::FormExpired => ErrorClass::RetryNow,
            Self::Timeout | Self::Network(_) => ErrorClass::Uncertain,
            // A 5xx is Telegram failing inside the call: a purchase may or may not have run.
            // A duplicate submission says the form was paid before. Neither may be resent.
            Self::Rpc { code, name } if *code >= 500 || name == "FORM_SUBMIT_DUPLICATE" => {
                ErrorClass::Uncertain
            }
            Self::Rpc { name, .. } if RECIPIENT_ERRORS.contains(&name.as_str()) => {
                ErrorClass::Recipient
            }
            Self::Rpc { .. } => ErrorClass::Other,
        }
    }
}

/// Errors about a user receiving a gift that keep their own name in journals (they have no
/// variant) but are refused before anything is paid, so the copy may go to the next target.
const RECIPIENT_ERRORS: [&str; 4] = [
    "USERNAME_NOT_OCCUPIED",
    "USERNAME_INVALID",
    "USER_ID_INVALID",
    "STARGIFT_PEER_INVALID",
];

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_rpc_name_the_engine_acts_on_and_back() {
        let cases = [
            ("STARGIFT_USAGE_LIMITED", ErrorClass::GiftGone),
            (
                "STARGIFT_USER_USAGE_LIMITED",
                ErrorClass::GiftClosedForAccount,
            ),
            ("BALANCE_TOO_LOW", ErrorClass::AccountStopped),
            ("FLOOD_WAIT_17", ErrorClass::Flood(17)),
            ("PEER_ID_INVALID", ErrorClass::Recipient),
            ("CHAT_WRITE_FORBIDDEN", ErrorClass::Recipient),
            ("CHANNEL_PRIVATE", ErrorClass::Recipient),
            ("PREMIUM_ACCOUNT_REQUIRED", ErrorClass::GiftClosedForAccount),
            ("AUTH_KEY_UNREGISTERED", ErrorClass::AccountStopped),
            ("FORM_EXPIRED", ErrorClass::RetryNow),
            ("FORM_SUBMIT_DUPLICATE", ErrorClass::Uncertain),
            ("SOMETHING_NEW", ErrorClass::Other),
        ];
        for (name, class) in cases {
            let error = TelegramError::from_rpc(400, name);
            assert_eq!(error.class(), class, "{name}");
            assert_eq!(error.name(), name);
        }
    }

    #[test]
    fn flood_variants_carry_their_seconds() {
        assert_eq!(
            TelegramError::from_rpc(420, "FLOOD_PREMIUM_WAIT_3"),
            TelegramError::FloodWait { seconds: 3 }
        );
        assert_eq!(
            TelegramError::from_rpc(420, "FLOOD_WAIT_x"),
            TelegramError::Rpc {
                code: 420,
                name: "FLOOD_WAIT_x".into()
            }
        );
        assert_eq!(TelegramError::Timeout.class(), ErrorClass::Uncertain);
        // Telegram's own failures inside a call leave a purchase's outcome open.
        for (code, name) in [
            (500, "INTERNAL_SERVER_ERROR"),
            (500, "RPC_CALL_FAIL"),
            (503, "Timedout"),
        ] {
            assert_eq!(
                TelegramError::from_rpc(code, name).class(),
                ErrorClass::Uncertain,
                "{name}"
            );
        }
        assert_eq!(
            TelegramError::from_rpc(400, "SOMETHING_NEW").class(),
            ErrorClass::Other
        );
        assert_eq!(TelegramError::NotMember.name(), "not_a_member");
        let unavailable = TelegramError::AccountUnavailable("leased elsewhere".into());
        assert_eq!(unavailable.class(), ErrorClass::AccountStopped);
        assert_eq!(unavailable.name(), "account_unavailable");
        assert_eq!(
            TelegramError::PaymentVerificationNeeded.class(),
            ErrorClass::GiftClosedForAccount
        );
    }
}
