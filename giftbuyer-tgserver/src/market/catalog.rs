//! `payments.getStarGifts(hash)`: the account's view of the market's catalog as layer-230
//! `starGift` entries, or `payments.starGiftsNotModified` when the client's hash is current.
//!
//! Entries are built so that `giftbuyer-telegram`'s reading of a `starGift` gives back the
//! market's `CatalogGift` field for field; only the sticker differs, since the document is
//! the server's (its DC and its file reference).

use std::collections::HashMap;

use giftbuyer_core::ports::{CatalogResponse, TelegramAccount};
use giftbuyer_core::{AccountId, CatalogGift};
use grammers_tl_types::{self as tl, functions};

use super::{MarketBackend, telegram_error};
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};

/// The schema's counts are `int`; the market's are wider, and a count past `i32::MAX` is shown
/// as the largest one that fits (a negative one as zero) rather than wrapped.
fn count(value: i64) -> i32 {
    i32::try_from(value.max(0)).unwrap_or(i32::MAX)
}

impl MarketBackend {
    pub(super) async fn star_gifts(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::payments::GetStarGifts = decode(body)?;
        let sim = self.account(context)?;
        let answer = sim
            .star_gifts(request.hash)
            .await
            .map_err(|error| telegram_error(&error))?;
        let (hash, gifts) = match answer {
            CatalogResponse::NotModified => {
                return Ok(Reply::answer(&tl::enums::payments::StarGifts::NotModified));
            }
            CatalogResponse::Catalog { hash, gifts } => (hash, gifts),
        };
        let bought = self.bought_by(sim.account_id(), &gifts);
        let gifts = gifts
            .iter()
            .map(|gift| self.star_gift(gift, sim.account_id(), &bought))
            .collect();
        Ok(Reply::answer(&tl::enums::payments::StarGifts::Gifts(
            tl::types::payments::StarGifts {
                hash,
                gifts,
                // No gift here is released by a peer (`released_by`), so none is listed.
                chats: Vec::new(),
                users: Vec::new(),
            },
        )))
    }

    /// How many copies of each gift with a per-user limit the account bought: the market's
    /// catalog says how many remain, and `per_user_total` is those plus the ones bought.
    pub(super) fn bought_by(&self, account: AccountId, gifts: &[CatalogGift]) -> HashMap<i64, i64> {
        let mut bought = HashMap::new();
        if gifts.iter().all(|gift| gift.per_user_remains.is_none()) {
            return bought;
        }
        for purchase in self.market().purchases() {
            if purchase.account == account {
                *bought.entry(purchase.gift.get()).or_insert(0i64) += 1;
            }
        }
        bought
    }

    /// One catalog entry. The schema ties optional fields to shared flags (`limited` with both
    /// availability counts, `sold_out` with both sale dates, `limited_per_user` with both
    /// per-user counts), and grammers serialises a flag from any field that is set without
    /// checking the others, so each group is filled whole or left out whole.
    pub(super) fn star_gift(
        &self,
        gift: &CatalogGift,
        account: AccountId,
        bought: &HashMap<i64, i64>,
    ) -> tl::enums::StarGift {
        let sticker = self.sticker_document(gift.id, gift.sticker.as_ref(), gift.sold_out);
        let limited = gift.limited;
        let per_user = gift.per_user_remains.map(|remains| {
            let total = remains
                .max(0)
                .saturating_add(bought.get(&gift.id).copied().unwrap_or(0));
            (count(total), count(remains))
        });
        tl::enums::StarGift::Gift(tl::types::StarGift {
            limited,
            sold_out: gift.sold_out,
            birthday: gift.birthday,
            require_premium: gift.require_premium,
            limited_per_user: per_user.is_some(),
            peer_color_available: false,
            auction: gift.auction.is_some(),
            id: gift.id,
            sticker: sticker.document,
            stars: gift.price,
            availability_remains: limited.then(|| count(gift.remaining.unwrap_or(0))),
            availability_total: limited.then(|| count(gift.supply.unwrap_or(0))),
            availability_resale: None,
            // What the receiver could convert the gift into; Telegram shows less than the
            // price, and no client here reads it.
            convert_stars: gift.price.saturating_mul(85) / 100,
            first_sale_date: gift.sold_out.then_some(sticker.date),
            last_sale_date: gift
                .sold_out
                .then(|| sticker.sold_out_at.unwrap_or(sticker.date)),
            upgrade_stars: None,
            resell_min_stars: None,
            title: gift.title.clone(),
            released_by: None,
            per_user_total: per_user.map(|(total, _)| total),
            per_user_remains: per_user.map(|(_, remains)| remains),
            locked_until_date: gift.locks.get(&account).map(|until| count(until.secs())),
            auction_slug: gift.auction.as_ref().map(|auction| auction.slug.clone()),
            gifts_per_round: gift
                .auction
                .as_ref()
                .map(|auction| count(auction.gifts_per_round)),
            auction_start_date: gift
                .auction
                .as_ref()
                .map(|auction| count(auction.start_date)),
            upgrade_variants: None,
            background: None,
        })
    }
}
