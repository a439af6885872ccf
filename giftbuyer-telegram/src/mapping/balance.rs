//! `payments.getStarsStatus` for the account itself, and the balance it reports.

use giftbuyer_core::Stars;
use giftbuyer_core::ports::TelegramError;
use grammers_tl_types::{enums, functions};

use crate::errors::unexpected;

/// `payments.getStarsStatus#4ea9b3bf flags:# ton:flags.0?true peer:InputPeer` for
/// `inputPeerSelf`, asking for Stars (not TON).
pub fn stars_status_request() -> functions::payments::GetStarsStatus {
    functions::payments::GetStarsStatus {
        ton: false,
        peer: enums::InputPeer::PeerSelf,
    }
}

/// The spendable balance in whole Stars.
///
/// `starsAmount` carries whole Stars and a fraction in `nanos`; only whole Stars pay for a
/// gift, so the fraction is dropped. A negative balance (Telegram lets refunds push it below
/// zero) can buy nothing and reads as zero. A `starsTonAmount` is a TON amount in nanotons:
/// reading it as Stars would make the planner spend money the account does not have, so it is
/// refused.
pub fn stars_balance(status: &enums::payments::StarsStatus) -> Result<Stars, TelegramError> {
    let enums::payments::StarsStatus::Status(status) = status;
    match &status.balance {
        enums::StarsAmount::Amount(amount) => {
            Ok(Stars::from_i64(amount.amount).unwrap_or(Stars::ZERO))
        }
        enums::StarsAmount::StarsTonAmount(_) => Err(unexpected(
            "payments.starsStatus carries a TON amount where Stars were asked for",
        )),
    }
}
