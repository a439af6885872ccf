//! The resale market: `payments.getResaleStarGifts` and its answer mapped onto `ResalePage`,
//! and the `inputInvoiceStarGiftResale` invoice a resale purchase pays.

use giftbuyer_core::GiftId;
use giftbuyer_core::ports::ResalePage;
use giftbuyer_core::resale::{GiftAttributes, ResaleListing};
use grammers_tl_types::{enums, functions, types};

/// `payments.getResaleStarGifts#7a5fa236` for one gift type, cheapest first, listings priced
/// in Stars only (`stars_only`: a listing for TON cannot be bought with Stars).
pub fn resale_request(
    gift_id: GiftId,
    offset: &str,
    limit: i32,
) -> functions::payments::GetResaleStarGifts {
    functions::payments::GetResaleStarGifts {
        sort_by_price: true,
        sort_by_num: false,
        for_craft: false,
        stars_only: true,
        attributes_hash: None,
        gift_id: gift_id.get(),
        attributes: None,
        offset: offset.to_owned(),
        limit,
    }
}

/// Maps a page of listings. Entries that are not unique gifts cannot be resold and are left
/// out; `next_offset` is kept as Telegram gave it.
pub fn resale_page(answer: enums::payments::ResaleStarGifts) -> ResalePage {
    let enums::payments::ResaleStarGifts::Gifts(page) = answer;
    ResalePage {
        listings: page
            .gifts
            .iter()
            .filter_map(|gift| match gift {
                enums::StarGift::Unique(unique) => Some(resale_listing(unique)),
                enums::StarGift::Gift(_) => None,
            })
            .collect(),
        count: i64::from(page.count),
        next_offset: page.next_offset.filter(|offset| !offset.is_empty()),
    }
}

/// One listed unique gift, untrusted, field for field.
///
/// The price is the `starsAmount` of `resell_amount` (whole stars: a fractional amount is no
/// price GiftBuyer can pay); a gift sold for TON only has none.
pub fn resale_listing(gift: &types::StarGiftUnique) -> ResaleListing {
    let price = if gift.resale_ton_only {
        None
    } else {
        gift.resell_amount.as_ref().and_then(|amounts| {
            amounts.iter().find_map(|amount| match amount {
                enums::StarsAmount::Amount(stars) if stars.nanos == 0 => Some(stars.amount),
                enums::StarsAmount::Amount(_) | enums::StarsAmount::StarsTonAmount(_) => None,
            })
        })
    };
    let mut attributes = GiftAttributes::default();
    for attribute in &gift.attributes {
        match attribute {
            enums::StarGiftAttribute::Model(model) => attributes.model = Some(model.name.clone()),
            enums::StarGiftAttribute::Pattern(pattern) => {
                attributes.symbol = Some(pattern.name.clone());
            }
            enums::StarGiftAttribute::Backdrop(backdrop) => {
                attributes.backdrop = Some(backdrop.name.clone());
            }
            enums::StarGiftAttribute::OriginalDetails(_) => {}
        }
    }
    ResaleListing {
        unique_id: gift.id,
        gift_id: gift.gift_id,
        slug: gift.slug.clone(),
        title: gift.title.clone(),
        num: i64::from(gift.num),
        price,
        attributes,
        require_premium: gift.require_premium,
    }
}

/// `inputInvoiceStarGiftResale#e9b0c658 flags:# ton:flags.0?true show_name:flags.2?true
/// slug:string to_id:InputPeer message:flags.1?TextWithEntities`, paid in Stars (`ton` off).
pub fn resale_invoice(slug: &str, to: enums::InputPeer) -> enums::InputInvoice {
    enums::InputInvoice::StarGiftResale(types::InputInvoiceStarGiftResale {
        ton: false,
        show_name: false,
        slug: slug.to_owned(),
        to_id: to,
        message: None,
    })
}
