//! Purchases: the rules a gift purchase is checked against, in Telegram's order, and what a
//! successful one changes.

use giftbuyer_core::AccountId;
use giftbuyer_core::ports::{PurchaseReceipt, PurchaseRequest, TelegramError};

use crate::market::{Now, Purchase, State};
use crate::rng::SplitMix64;

/// Tag that keeps form ids apart from every other keyed draw.
const FORM_TAG: u64 = 0x464F_524D_0000_0000;

impl State {
    /// Buys one copy of a gift for a recipient, at the moment the request arrived.
    ///
    /// The checks run in this order, and the first that fails answers: the recipient (an
    /// unknown username; a channel unknown, then read-only), the gift (unknown or not yet released, then sold out), the account's
    /// right to it (Premium, a lock, the per-user limit), the price, the balance. Only then is
    /// anything changed: the balance, the stock, the per-user count and the purchase log.
    pub(crate) fn buy(
        &mut self,
        account_id: AccountId,
        request: PurchaseRequest,
        now: Now,
    ) -> Result<PurchaseReceipt, TelegramError> {
        self.check_recipient(account_id, request.recipient)?;
        let account = self.account(account_id)?;
        let gift = self
            .gifts
            .iter()
            .find(|gift| gift.id() == request.gift_id && gift.is_released(now.elapsed))
            .ok_or_else(|| rpc("STARGIFT_INVALID"))?;
        // An auction gift only takes bids; Telegram refuses the gift itself as a purchase.
        if gift.spec.auction.is_some() {
            return Err(rpc("STARGIFT_INVALID"));
        }
        if gift.sold_out_at(now.elapsed) {
            return Err(TelegramError::GiftSoldOut);
        }
        if gift.spec.require_premium && !account.has_premium(now.unix) {
            return Err(TelegramError::PremiumRequired);
        }
        if gift.locked_until(account_id, now.unix).is_some() {
            return Err(rpc("STARGIFT_LOCKED"));
        }
        if gift.per_user_remains(account_id) == Some(0) {
            return Err(TelegramError::UserLimitReached);
        }
        let price = gift.spec.price;
        if price != request.price {
            return Err(TelegramError::PriceChanged {
                expected: request.price,
                actual: price,
            });
        }
        if account.spec.balance < price {
            return Err(TelegramError::BalanceTooLow);
        }

        let form_id = self.next_form_id();
        if let Some(account) = self.accounts.get_mut(&account_id) {
            account.spec.balance = account.spec.balance.saturating_sub(price);
        }
        if let Some(gift) = self
            .gifts
            .iter_mut()
            .find(|gift| gift.id() == request.gift_id)
        {
            gift.record_sale(account_id);
        }
        self.purchases.push(Purchase {
            form_id,
            account: account_id,
            recipient: request.recipient,
            gift: request.gift_id,
            price,
            at: now.elapsed,
            unix: now.unix,
            hide_name: request.hide_name,
            message: request.message,
        });
        Ok(PurchaseReceipt { form_id })
    }

    /// A payment form id that looks random but is unique: the purchase's sequence number in the
    /// high bits, a seeded draw in the low 24.
    fn next_form_id(&self) -> i64 {
        let sequence = self.purchases.len() as u64 + 1;
        let noise = SplitMix64::keyed(self.seed, &[FORM_TAG, sequence]).next_u64() & 0xFF_FFFF;
        i64::try_from((sequence << 24) | noise).unwrap_or(i64::MAX)
    }
}

fn rpc(name: &str) -> TelegramError {
    TelegramError::Rpc {
        code: 400,
        name: name.to_owned(),
    }
}
