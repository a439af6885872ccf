//! The resale market as Telegram serves it: `payments.getResaleStarGifts` answers the
//! simulated market's listings as `starGiftUnique` entries, and a `getPaymentForm` with
//! `inputInvoiceStarGiftResale` makes a form that `sendStarsForm` pays through the market's
//! `buy_resale` (single use, like every form; see `payments`).

use giftbuyer_core::GiftId;
use giftbuyer_core::Stars;
use giftbuyer_core::ports::TelegramAccount;
use giftbuyer_core::resale::ResaleListing;
use grammers_tl_types::{self as tl, functions};

use super::payments::FormFor;
use super::{MarketBackend, telegram_error};
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};

impl MarketBackend {
    /// `payments.getResaleStarGifts`: one page of a gift type's listings through the market's
    /// account port (its latency, faults and paging rules), cheapest first. The market always
    /// sorts by price; `sort_by_num` and attribute filters are not served and are refused with
    /// `SORT_INVALID`/`ATTRIBUTES_INVALID` rather than answered wrongly.
    pub(super) async fn resale_star_gifts(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::payments::GetResaleStarGifts = decode(body)?;
        if request.sort_by_num {
            return Err(RpcFailure::bad_request("SORT_INVALID"));
        }
        if request.attributes.is_some() {
            return Err(RpcFailure::bad_request("ATTRIBUTES_INVALID"));
        }
        let gift = GiftId::new(request.gift_id)
            .map_err(|_| RpcFailure::bad_request("STARGIFT_INVALID"))?;
        let sim = self.account(context)?;
        let page = sim
            .resale_listings(gift, &request.offset, request.limit)
            .await
            .map_err(|error| telegram_error(&error))?;
        Ok(Reply::answer(&tl::enums::payments::ResaleStarGifts::Gifts(
            tl::types::payments::ResaleStarGifts {
                count: i32::try_from(page.count).unwrap_or(i32::MAX),
                gifts: page.listings.iter().map(unique_gift).collect(),
                next_offset: page.next_offset,
                attributes: None,
                attributes_hash: None,
                chats: Vec::new(),
                counters: None,
                users: Vec::new(),
            },
        )))
    }

    /// The form of `inputInvoiceStarGiftResale`, checked in this order: the recipient (the
    /// buyer itself, a person or a channel with this account's access hash for them;
    /// `PEER_ID_INVALID` otherwise, see `invoice_recipient`), payment in TON (`INVOICE_INVALID`: this market sells for Stars only), then
    /// the listing (`STARGIFT_SLUG_INVALID` unknown, `STARGIFT_NOT_FOUND` no longer on sale).
    pub(super) fn resale_payment_form(
        &self,
        context: &CallContext,
        invoice: &tl::enums::InputInvoice,
        resale: &tl::types::InputInvoiceStarGiftResale,
    ) -> Result<Reply, RpcFailure> {
        let me = self.account(context)?.account_id();
        let recipient = self.invoice_recipient(me, &resale.to_id)?;
        if resale.ton {
            return Err(RpcFailure::bad_request("INVOICE_INVALID"));
        }
        let (listing, on_sale) = self
            .market()
            .listing(&resale.slug)
            .ok_or_else(|| RpcFailure::bad_request("STARGIFT_SLUG_INVALID"))?;
        if !on_sale {
            return Err(RpcFailure::bad_request("STARGIFT_NOT_FOUND"));
        }
        let price = listing
            .price
            .and_then(|price| u64::try_from(price).ok())
            .map(Stars::new)
            .ok_or_else(|| RpcFailure::bad_request("STARGIFT_NOT_FOUND"))?;
        self.new_form(
            me,
            invoice,
            price,
            listing.title.clone(),
            FormFor::Resale {
                slug: resale.slug.clone(),
                recipient,
            },
        )
    }
}

/// A listing as `starGiftUnique`, priced in `resell_amount` (whole stars) and with its
/// attributes by name. Documents and colours are not simulated, so the attributes carry empty
/// documents, zero colours and a plain rarity.
fn unique_gift(listing: &ResaleListing) -> tl::enums::StarGift {
    let rarity = || tl::enums::StarGiftAttributeRarity::Rare;
    let document = || tl::enums::Document::Empty(tl::types::DocumentEmpty { id: 0 });
    let mut attributes = Vec::new();
    if let Some(name) = &listing.attributes.model {
        attributes.push(tl::enums::StarGiftAttribute::Model(
            tl::types::StarGiftAttributeModel {
                crafted: false,
                name: name.clone(),
                document: document(),
                rarity: rarity(),
            },
        ));
    }
    if let Some(name) = &listing.attributes.symbol {
        attributes.push(tl::enums::StarGiftAttribute::Pattern(
            tl::types::StarGiftAttributePattern {
                name: name.clone(),
                document: document(),
                rarity: rarity(),
            },
        ));
    }
    if let Some(name) = &listing.attributes.backdrop {
        attributes.push(tl::enums::StarGiftAttribute::Backdrop(
            tl::types::StarGiftAttributeBackdrop {
                name: name.clone(),
                backdrop_id: 1,
                center_color: 0,
                edge_color: 0,
                pattern_color: 0,
                text_color: 0,
                rarity: rarity(),
            },
        ));
    }
    let num = i32::try_from(listing.num).unwrap_or(i32::MAX);
    tl::enums::StarGift::Unique(tl::types::StarGiftUnique {
        require_premium: listing.require_premium,
        resale_ton_only: false,
        theme_available: false,
        burned: false,
        crafted: false,
        id: listing.unique_id,
        gift_id: listing.gift_id,
        title: listing.title.clone(),
        slug: listing.slug.clone(),
        num,
        owner_id: None,
        owner_name: None,
        owner_address: None,
        attributes,
        availability_issued: num,
        availability_total: num,
        gift_address: None,
        resell_amount: listing.price.map(|amount| {
            vec![tl::enums::StarsAmount::Amount(tl::types::StarsAmount {
                amount,
                nanos: 0,
            })]
        }),
        released_by: None,
        value_amount: None,
        value_currency: None,
        value_usd_amount: None,
        theme_peer: None,
        peer_color: None,
        host_id: None,
        offer_min_stars: None,
        craft_chance_permille: None,
    })
}
